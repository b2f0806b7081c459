/* The "cmodel" backend of libtessera: the chip cmodel (sim/chip/, sim/include/tchip.h). */
#include <stdio.h>
#include <string.h>

#include "tchip.h"
#include "tdev_backend.h"
#include "tessera/gen/hwcfg.h"

static void *cm_open(const struct tdev_config *cfg, char *err, size_t errlen) {
  if (cfg->trace_fst) {
    snprintf(err, errlen, "the cmodel backend writes no waveforms (trace_fst is for rtl)");
    return NULL;
  }
  tchip *c = tchip_new();
  if (!c) snprintf(err, errlen, "out of host memory for the chip cmodel");
  return c;
}

static void cm_close(void *h) { tchip_free(h); }

static int cm_load_elf(void *h, const char *path, char *err, size_t errlen) {
  if (tchip_load_elf(h, path) != TCHIP_OK) {
    snprintf(err, errlen, "%s", tchip_error(h));
    return -1;
  }
  return 0;
}

static int cm_dram_read(void *h, uint64_t addr, void *dst, uint64_t len, char *err, size_t errlen) {
  if (tchip_dram_read(h, addr, dst, len) != TCHIP_OK) {
    snprintf(err, errlen, "%s", tchip_error(h));
    return -1;
  }
  return 0;
}

static int cm_dram_write(void *h, uint64_t addr, const void *src, uint64_t len, char *err, size_t errlen) {
  if (tchip_dram_write(h, addr, src, len) != TCHIP_OK) {
    snprintf(err, errlen, "%s", tchip_error(h));
    return -1;
  }
  return 0;
}

static uint64_t cm_dram_bytes(void *h) {
  (void)h;
  return TESSERA_CFG_DRAM_BYTES;
}

static int cm_hostif_read(void *h, uint32_t off, uint32_t *v) { return tchip_hostif_read(h, off, v) == TCHIP_OK ? 0 : -1; }
static int cm_hostif_write(void *h, uint32_t off, uint32_t v) { return tchip_hostif_write(h, off, v) == TCHIP_OK ? 0 : -1; }

static enum tdev_run_end cm_run(void *h, uint64_t max_cycles, char *err, size_t errlen) {
  switch (tchip_run(h, max_cycles)) {
  case TCHIP_RUN_EVENT: return TDEV_RUN_EVENT;
  case TCHIP_RUN_LIMIT: return TDEV_RUN_LIMIT;
  case TCHIP_RUN_EXIT:
    snprintf(err, errlen, "exit status %u", (unsigned)tchip_exit_code(h));
    return TDEV_RUN_EXIT;
  default: snprintf(err, errlen, "%s", tchip_error(h)); return TDEV_RUN_FAULT;
  }
}

static uint64_t cm_now(void *h) { return tchip_now(h); }

static void cm_counters(void *h, struct tdev_counters *c) {
  struct tchip_counters k;
  tchip_counters(h, &k);
  c->cycles = k.cycles;
  c->ctrl_instret = k.ctrl_instret;
  c->dram_bytes = k.dram_bytes;
  c->dma_busy = k.dma_busy;
  c->any_tile_busy = k.any_tile_busy;
  c->any_busy = k.any_busy;
  c->tiles = k.tiles < TDEV_MAX_TILES ? k.tiles : TDEV_MAX_TILES;
  for (uint32_t i = 0; i < c->tiles; i++) {
    c->tile[i].busy = k.tile[i].busy;
    c->tile[i].macs = k.tile[i].macs;
    c->tile[i].conflict = k.tile[i].conflict;
    c->tile[i].starved = k.tile[i].starved;
    c->tile[i].backpressure = k.tile[i].backpressure;
    c->tile[i].memory = k.tile[i].memory;
  }
}

static void cm_counters_reset(void *h) { tchip_counters_reset(h); }
static int cm_timeline(void *h, int on) { return tchip_timeline(h, on) == TCHIP_OK ? 0 : -1; }
static void cm_timeline_mark(void *h, const char *name, uint64_t start, uint64_t end) {
  tchip_timeline_mark(h, name, start, end);
}

static int cm_timeline_write(void *h, const char *path, char *err, size_t errlen) {
  if (tchip_timeline_write(h, path) != TCHIP_OK) {
    snprintf(err, errlen, "%s", tchip_error(h));
    return -1;
  }
  return 0;
}

static size_t cm_console(void *h, char *buf, size_t cap) { return tchip_console(h, buf, cap); }

const struct tdev_backend tdev_backend_cmodel = {
  .name = "cmodel",
  .open = cm_open,
  .close = cm_close,
  .load_elf = cm_load_elf,
  .dram_read = cm_dram_read,
  .dram_write = cm_dram_write,
  .dram_bytes = cm_dram_bytes,
  .hostif_read = cm_hostif_read,
  .hostif_write = cm_hostif_write,
  .run = cm_run,
  .now = cm_now,
  .counters = cm_counters,
  .counters_reset = cm_counters_reset,
  .timeline = cm_timeline,
  .timeline_mark = cm_timeline_mark,
  .timeline_write = cm_timeline_write,
  .console = cm_console,
};
