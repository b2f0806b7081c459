/* The "rtl" backend of libtessera: the Verilated chip (rtl/chip/, sim/chip_rtl/, sim/include/tsim_chip.h)
 * in process, with the same firmware ELF and the same DRAM model as the cmodel. Linked into a
 * program together with $(CHIP_RTL_MODEL); tdev finds it through the weak tdev_backend_rtl. */
#include <stdio.h>
#include <string.h>

#include "tdev_backend.h"
#include "tessera/gen/hwcfg.h"
#include "tsim_chip.h"

static void *rtl_open(const struct tdev_config *cfg, char *err, size_t errlen) {
  tsim_chip *c = tsim_chip_open(cfg->trace_fst);
  if (!c) {
    if (cfg->trace_fst) snprintf(err, errlen, "cannot open the RTL chip with a waveform at %s", cfg->trace_fst);
    else snprintf(err, errlen, "out of host memory for the RTL chip");
  }
  return c;
}

static void rtl_close(void *h) { tsim_chip_close(h); }

static int rtl_load_elf(void *h, const char *path, char *err, size_t errlen) {
  tsim_chip_reset(h); /* the controller held in reset until the next run; DRAM kept */
  if (tsim_chip_load_elf(h, path) != 0) {
    snprintf(err, errlen, "%s", tsim_chip_error(h));
    return -1;
  }
  return 0;
}

static int rtl_dram_read(void *h, uint64_t addr, void *dst, uint64_t len, char *err, size_t errlen) {
  if (tsim_chip_dram_read(h, addr, dst, (size_t)len) != 0) {
    snprintf(err, errlen, "%s", tsim_chip_error(h));
    return -1;
  }
  return 0;
}

static int rtl_dram_write(void *h, uint64_t addr, const void *src, uint64_t len, char *err, size_t errlen) {
  if (tsim_chip_dram_write(h, addr, src, (size_t)len) != 0) {
    snprintf(err, errlen, "%s", tsim_chip_error(h));
    return -1;
  }
  return 0;
}

static uint64_t rtl_dram_bytes(void *h) {
  (void)h;
  return TESSERA_CFG_DRAM_BYTES;
}

static int rtl_hostif_read(void *h, uint32_t off, uint32_t *v) { return tsim_chip_hostif_read(h, off, v); }
static int rtl_hostif_write(void *h, uint32_t off, uint32_t v) { return tsim_chip_hostif_write(h, off, v); }

static enum tdev_run_end rtl_run(void *h, uint64_t max_cycles, char *err, size_t errlen) {
  switch (tsim_chip_run(h, max_cycles, TSIM_CHIP_STOP_IRQ | TSIM_CHIP_STOP_FW_STATE)) {
  case TSIM_CHIP_EVENT: return TDEV_RUN_EVENT;
  case TSIM_CHIP_MAX_CYCLES: return TDEV_RUN_LIMIT;
  case TSIM_CHIP_EXITED:
    snprintf(err, errlen, "exit status %u", (unsigned)tsim_chip_exit_code(h));
    return TDEV_RUN_EXIT;
  case TSIM_CHIP_FAULT: snprintf(err, errlen, "%s", tsim_chip_error(h)); return TDEV_RUN_FAULT;
  default: snprintf(err, errlen, "the RTL chip stopped: %s", tsim_chip_error(h)); return TDEV_RUN_ERROR;
  }
}

static uint64_t rtl_now(void *h) { return tsim_chip_now(h); }

static void rtl_counters(void *h, struct tdev_counters *c) {
  struct tsim_chip_counters k;
  tsim_chip_counters(h, &k);
  c->cycles = k.cycles;
  c->ctrl_instret = k.instret;
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

static void rtl_counters_reset(void *h) { tsim_chip_counters_reset(h); }

static int rtl_timeline(void *h, int on) {
  tsim_chip_timeline(h, on);
  return 0;
}
static void rtl_timeline_mark(void *h, const char *name, uint64_t start, uint64_t end) {
  tsim_chip_timeline_mark(h, name, start, end);
}
static int rtl_timeline_write(void *h, const char *path, char *err, size_t errlen) {
  if (tsim_chip_timeline_write(h, path) != 0) {
    snprintf(err, errlen, "%s", tsim_chip_error(h));
    return -1;
  }
  return 0;
}

static size_t rtl_console(void *h, char *buf, size_t cap) { return tsim_chip_console(h, buf, cap); }

const struct tdev_backend tdev_backend_rtl = {
  .name = "rtl",
  .open = rtl_open,
  .close = rtl_close,
  .load_elf = rtl_load_elf,
  .dram_read = rtl_dram_read,
  .dram_write = rtl_dram_write,
  .dram_bytes = rtl_dram_bytes,
  .hostif_read = rtl_hostif_read,
  .hostif_write = rtl_hostif_write,
  .run = rtl_run,
  .now = rtl_now,
  .counters = rtl_counters,
  .counters_reset = rtl_counters_reset,
  .timeline = rtl_timeline,
  .timeline_mark = rtl_timeline_mark,
  .timeline_write = rtl_timeline_write,
  .console = rtl_console,
};
