/* A device timeline (docs/chip.md, "The chip cmodel"): tile runs, DMA transfers and the driver's
 * command marks as spans in device cycles, written as Chrome / Perfetto trace JSON (one track per
 * tile, one for the DMA engine, one for commands; times in microseconds at the preset's clock).
 * Both chip simulators record into it: the cmodel (sim/chip/tchip.c) and the RTL chip's harness
 * (sim/chip_rtl/chip_model.cpp). */
#ifndef TTIMELINE_H
#define TTIMELINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ttl_kind { TTL_TILE, TTL_DMA, TTL_MARK };

struct ttl_span {
  uint8_t kind, tile, src_kind, dst_kind, src_tile, dst_tile; /* tile: TTL_TILE; the rest: TTL_DMA */
  uint32_t kernel;            /* TTL_TILE: enum tile_kernel; TTL_DMA: the mode */
  uint64_t start, dur;        /* cycles */
  uint64_t bytes, dram_bytes; /* TTL_DMA */
  char name[48];              /* TTL_MARK */
};

struct ttl {
  int on;
  struct ttl_span *spans;
  size_t n, cap;
};

/* Recording on (the spans of an earlier recording are dropped) or off. */
void ttl_record(struct ttl *t, int on);
/* Add a span while recording (out of host memory: the span is lost, the simulation goes on). */
void ttl_add(struct ttl *t, const struct ttl_span *s);
void ttl_mark(struct ttl *t, const char *name, uint64_t start, uint64_t end);
void ttl_free(struct ttl *t);
/* Write the spans as trace JSON for a chip of `tiles` tiles: 0, or -1 when the file cannot be written. */
int ttl_write(const struct ttl *t, const char *path, unsigned tiles);

const char *ttl_kernel_name(uint32_t code);    /* enum tile_kernel, "?" beyond it */
const char *ttl_dma_kind_name(uint32_t kind);  /* enum dma_kind, "?" beyond it */

#ifdef __cplusplus
}
#endif
#endif /* TTIMELINE_H */
