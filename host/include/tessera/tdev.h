/* libtessera: the host driver of a Tessera device (docs/driver.md).
 *
 * One device is one simulated chip behind a backend chosen at run time: "cmodel" (the
 * instruction-set simulator, the tile cmodel and the DRAM model; sim/chip/) or "rtl" (the
 * Verilated chip, when linked in). Both run the same firmware ELF. Every function returns an
 * enum tdev_status; nothing aborts or exits the caller's process. tdev_errmsg() has one line about
 * the last failure. Not thread-safe: one device per thread. */
#ifndef TESSERA_TDEV_H
#define TESSERA_TDEV_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TDEV_MUST_USE __attribute__((warn_unused_result))
#else
#define TDEV_MUST_USE
#endif

enum tdev_status {
  TDEV_OK = 0,
  TDEV_E_ARG = 1,      /* bad argument (NULL, zero size, unknown backend, buffer not ours) */
  TDEV_E_NOMEM = 2,    /* host memory, or device memory (no free range large enough) */
  TDEV_E_RANGE = 3,    /* offset + length outside the buffer */
  TDEV_E_ELF = 4,      /* firmware image missing or malformed */
  TDEV_E_STATE = 5,    /* wrong order (submit before boot, boot twice, ...) */
  TDEV_E_TIMEOUT = 6,  /* the firmware did not answer within the cycle budget */
  TDEV_E_FIRMWARE = 7, /* the firmware stopped: fatal ring error or trap (tdev_fw_error) */
  TDEV_E_CMD = 8,      /* a completion with status INVALID or FAILED (the completion says why) */
  TDEV_E_RING = 9,     /* command ring full */
  TDEV_E_BACKEND = 10, /* the simulator failed (message in tdev_errmsg) */
  TDEV_E_COUNT = 11
};
const char *tdev_status_str(enum tdev_status st);

struct tdev_config {
  const char *backend;   /* "cmodel" or "rtl"; NULL: "cmodel" */
  const char *trace_fst; /* rtl: waveform file, or NULL */
  uint32_t ring_entries; /* command and completion ring entries (power of two); 0: 16 */
  uint64_t max_cycles;   /* default cycle budget of tdev_wait; 0: 2e9 */
};

typedef struct tdev tdev;

/* A device allocation. The handle is what commands name (tproto_tensor alloc_id/base/size). */
struct tdev_buf {
  uint32_t id;   /* index in the firmware's allocation table */
  uint64_t addr; /* device byte address */
  uint64_t size; /* bytes */
};

TDEV_MUST_USE enum tdev_status tdev_open(tdev **out, const struct tdev_config *cfg);
void tdev_close(tdev *d);
const char *tdev_errmsg(const tdev *d); /* NULL: why the last tdev_open failed */
const char *tdev_backend(const tdev *d);

/* Device memory: 64-byte aligned ranges of the DRAM, at most TFW_MAX_ALLOCS at once (the
 * driver's own rings and table sit at the top of the DRAM, outside the table). Contents of a new
 * buffer are zero. */
TDEV_MUST_USE enum tdev_status tdev_alloc(tdev *d, uint64_t bytes, struct tdev_buf *out);
TDEV_MUST_USE enum tdev_status tdev_free(tdev *d, const struct tdev_buf *b);
TDEV_MUST_USE enum tdev_status tdev_write(tdev *d, const struct tdev_buf *b, uint64_t off, const void *src,
                                          uint64_t len);
TDEV_MUST_USE enum tdev_status tdev_read(tdev *d, const struct tdev_buf *b, uint64_t off, void *dst, uint64_t len);

/* Load the firmware ELF, set up the rings and boot; returns once the firmware reports ready. */
TDEV_MUST_USE enum tdev_status tdev_boot(tdev *d, const char *elf_path);

/* Fill a tensor descriptor for buffer b (alloc fields from the handle). */
void tdev_tensor(struct tproto_tensor *t, const struct tdev_buf *b, uint64_t off, uint32_t dtype, uint32_t rank,
                 const uint32_t *shape);

/* Submit one command: the driver sets magic, version, cmd_bytes and seq (*seq gets it). */
TDEV_MUST_USE enum tdev_status tdev_submit(tdev *d, struct tproto_cmd *cmd, uint32_t *seq);
/* Run the device until the completion of seq is posted or max_cycles (0: the config's) pass.
 * *cpl (may be NULL) gets the completion; TDEV_E_CMD when its status is not OK. */
TDEV_MUST_USE enum tdev_status tdev_wait(tdev *d, uint32_t seq, uint64_t max_cycles, struct tproto_cpl *cpl);

/* After TDEV_E_FIRMWARE: the fw_state (TESSERA_FW_STATE_*), the ring's fw_status/fw_detail, and
 * after a trap its mcause, mepc and mtval. */
struct tdev_fw_error {
  uint32_t state, fw_status, fw_detail, trap_cause, trap_pc, trap_tval;
};
TDEV_MUST_USE enum tdev_status tdev_fw_error(tdev *d, struct tdev_fw_error *e);

/* Counters since open (or the last tdev_counters_reset). */
#define TDEV_MAX_TILES 64
struct tdev_counters {
  uint64_t cycles;            /* device cycles simulated */
  uint64_t ctrl_instret;      /* controller instructions retired */
  uint64_t dram_bytes;        /* bytes the DRAM moved (DMA and controller) */
  uint64_t dma_busy;          /* cycles the DMA engine was busy */
  uint64_t any_tile_busy;     /* cycles at least one tile was busy */
  uint64_t any_busy;          /* cycles a tile or the DMA engine was busy */
  uint32_t tiles;
  struct {
    uint64_t busy, macs, conflict, starved, backpressure, memory;
  } tile[TDEV_MAX_TILES];
};
TDEV_MUST_USE enum tdev_status tdev_counters(tdev *d, struct tdev_counters *c);
TDEV_MUST_USE enum tdev_status tdev_counters_reset(tdev *d);

/* Timeline: while on, the backend records spans (tile runs, DMA transfers, commands) and
 * tdev_timeline_write writes them as Chrome/Perfetto trace JSON. */
TDEV_MUST_USE enum tdev_status tdev_timeline(tdev *d, int on);
TDEV_MUST_USE enum tdev_status tdev_timeline_write(tdev *d, const char *path);

/* Console output of the firmware so far (drained). */
size_t tdev_console(tdev *d, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_TDEV_H */
