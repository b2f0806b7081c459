/* The firmware's scheduler: runs one validated command (a fusion group) on the chip's DMA engine
 * and tiles (docs/firmware.md, "The scheduler"; docs/chip.md for the registers it drives).
 *
 * It plans the command first (token groups that fit a tile's banks, weight chunks that fit the
 * weight buffer, which ops share a tile and which tiles form a pipeline), refuses what it cannot
 * run with TPROTO_E_UNSUPPORTED before touching the device, then issues DMA descriptors and tile
 * runs through the port's bus-register functions, waiting only on the DMA engine's done count
 * (tickets) and the tiles' done counters. Plain C11 without a C library (rv32im and the host). */
#ifndef TFW_SCHED_H
#define TFW_SCHED_H

#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/proto.h"
#include "tfw_port.h"
#include "tfw_validate.h"

/* Limits of the planner (a command beyond them falls back or is E_UNSUPPORTED). */
#define TFW_SCHED_MAX_STAGES 8u  /* stages of a fused pipeline (at most one per op) */
#define TFW_SCHED_MAX_XFER 8u    /* per-token-group transfers into or out of one stage */
#define TFW_SCHED_MAX_RUNS 4u    /* tile runs of one stage per token group */
#define TFW_SCHED_MAX_CHUNKS 64u /* weight-buffer chunks of one stream */
#define TFW_SCHED_LOG 64u        /* per-group records kept (the last ones) */
/* Row length of elementwise ops on contiguous tensors (ADAMW, GELU, RESIDUAL_ADD): the flat
 * vector is cut into rows of this many elements, spread over the lanes; a shorter last row. */
#define TFW_SCHED_FLAT_COLS 64u
/* Vector stages use two buffers per region when they fit (1), or one (0: no DMA into a tile's bank
 * while it runs; for a chip model that does not allow it). */
#ifndef TFW_SCHED_DOUBLE_BUFFER
#define TFW_SCHED_DOUBLE_BUFFER 1
#endif
/* Linear fwd's EPI_RESIDUAL with R at Y's words (off_a = k): needs a tile that reads R before it
 * writes Y there (docs/firmware.md, "Known limits"). 0: refused (E_UNSUPPORTED). */
#ifndef TFW_SCHED_EPI_RESIDUAL
#define TFW_SCHED_EPI_RESIDUAL 0
#endif
/* Zeroed DMEM bytes the scheduler needs (zeroing a gradient buffer or a bank area by DMA). */
#define TFW_SCHED_ZERO_BYTES 1024u
/* Bus polls without progress before the scheduler gives up on the device (a hung DMA or tile):
 * a watchdog on counters, not a timing assumption. */
#define TFW_SCHED_SPIN_LIMIT 50000000u

/* How the device refused work while a command ran (completion FAILED, error E_DEVICE): */
#define TFW_SCHED_FAIL_DMA 1u  /* the DMA engine refused a descriptor (status code in detail) */
#define TFW_SCHED_FAIL_TILE 2u /* a tile refused a run (a label out of range: code 4) */
#define TFW_SCHED_FAIL_HANG 3u /* a counter stopped moving (watchdog) */
#define TFW_SCHED_FAIL_STREAM 4u /* a stream row longer than the weight buffer */

/* One record per token group and stage: where it ran and how long its tile runs took
 * (cycles from the first start to the last done seen, by the port's cycle counter). */
struct tfw_sched_grec {
  uint32_t cmd_index;
  uint32_t group;      /* token group index within the op / pipeline */
  uint32_t rows;       /* rows (tokens) of the group */
  uint32_t cycles;     /* cycles its tile runs took (0 when the port has no counter) */
  uint8_t op;          /* first op of the stage */
  uint8_t stage;
  uint8_t tile;
  uint8_t fused;       /* 1 when the command ran as a fused pipeline */
};

/* Totals since init (the lead's counters come from the chip; these are the firmware's view). */
struct tfw_sched_stats {
  uint32_t commands;   /* commands run (OK or FAILED) */
  uint32_t fused;      /* of which as one fused pipeline */
  uint32_t groups;     /* token groups x stages run */
  uint32_t tile_runs;  /* tile starts */
  uint32_t dmas;       /* DMA descriptors issued */
  uint64_t dram_bytes; /* DRAM bytes the issued descriptors move (by their sizes) */
};

struct tfw_sched {
  const struct tfw_port *port;
  uint32_t zero_dmem;      /* DMEM byte offset of TFW_SCHED_ZERO_BYTES zero bytes */
  uint32_t dma_issued;     /* DMA tickets handed out (compared with dma.done) */
  uint32_t tile_expect[TESSERA_CFG_TILES]; /* done count each tile reaches when idle */
  uint32_t fail_kind;      /* TFW_SCHED_FAIL_* of the last FAILED command, else 0 */
  uint32_t fail_detail;
  uint32_t allow_fusion;   /* 1 (default): fuse commands whose ops chain through transient tensors */
  /* Called while a command waits on the tiles with the DMA engine idle (may be NULL): the firmware
   * reads the next command ahead there (tfw_ring_prefetch). */
  void (*idle)(void *ctx);
  void *idle_ctx;
  /* The next command as planned by tfw_sched_prepare (NULL: none). */
  const struct tproto_cmd *pre_cmd;
  uint32_t pre_plan;       /* which plan buffer holds it */
  uint32_t pre_fused;
  int32_t pre_rc;
  struct tfw_verr pre_err;
  struct tfw_sched_stats stats;
  uint32_t nrec;           /* records written so far (rec[nrec % TFW_SCHED_LOG] is the next) */
  struct tfw_sched_grec rec[TFW_SCHED_LOG];
};

/* Start: take the DMA engine's and the tiles' done counts as the base of the tickets.
 * zero_dmem: DMEM byte offset (from the DMEM base) of TFW_SCHED_ZERO_BYTES bytes that stay zero. */
void tfw_sched_init(struct tfw_sched *s, const struct tfw_port *port, uint32_t zero_dmem);

/* Run one validated command. Returns 0, or an enum tproto_error with *err filled:
 * TPROTO_E_UNSUPPORTED (nothing was issued: the op and, where one is to blame, the tensor and
 * field) or TPROTO_E_DEVICE (the device refused work or stopped; what was issued has drained).
 * Usable as a struct tfw_sched_if's cmd function (ctx: struct tfw_sched *). */
int tfw_sched_run(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, struct tfw_verr *err);

/* Plan cmd ahead (the ring's struct tfw_sched_if prepare): if the next tfw_sched_run gets this very
 * command (the same pointer, unchanged), it runs with this plan; NULL forgets it. */
void tfw_sched_prepare(void *ctx, const struct tproto_cmd *cmd);

/* Whether the planner would run cmd as one fused pipeline (1), op by op (0), or not at all
 * (an enum tproto_error with *err filled). Issues nothing. */
int tfw_sched_plan_fused(const struct tproto_cmd *cmd, struct tfw_verr *err);

/* RN(1/d) in fp32 bits for an integer d >= 1: LayerNorm's 1/cols, the tile's s1 (equal to
 * tvec_recip_u32 of sim/vec; tests/sched checks every d up to 65536). */
uint32_t tfw_sched_recip_u32(uint32_t d);

#endif /* TFW_SCHED_H */
