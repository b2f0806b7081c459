/* tchip: the chip cmodel of Tessera (docs/chip.md): the controller (the ISS, sim/include/tiss.h),
 * the build's preset of tiles (struct ttile_state each, runs by ttile_cm_exec), the DMA engine,
 * the hostif registers, the DRAM model (tsim_dram) and the controller's `dram` window.
 *
 * Time is the ISS's cycle count. Tile runs and DMA descriptors are events with completion times;
 * before every bus access and every host access the chip applies the events due by then, in time
 * order: a DMA transfer moves its data at its completion cycle, a tile run computes its results at
 * its start (inputs as they are then) and they replace the tile's memories at its completion.
 *
 * Two ways to drive it:
 *  - firmware-less (host-native firmware tests): tchip_bus_read / tchip_bus_write perform one
 *    controller bus access at the current time and advance time by its cost (1 cycle; a `dram`
 *    window access 1 + dram_latency); tchip_advance lets time pass.
 *  - with firmware: tchip_load_elf, then tchip_run runs the ISS until a host-visible event.
 * Nothing aborts: errors are return codes with one line in tchip_error(). */
#ifndef TCHIP_H
#define TCHIP_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "tiss.h"
#include "ttile_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tchip tchip;

enum tchip_status {
  TCHIP_OK = 0,
  TCHIP_E_ARG = 1,   /* NULL, bad size or offset */
  TCHIP_E_NOMEM = 2, /* host memory */
  TCHIP_E_BUS = 3,   /* bus error: no register there, access type refused, outside a region */
  TCHIP_E_ELF = 4,   /* firmware image missing or malformed */
  TCHIP_E_RANGE = 5  /* backdoor access outside the DRAM or a tile */
};

/* Why tchip_run returned. */
enum tchip_run_result {
  TCHIP_RUN_EVENT = 0, /* the firmware wrote hostif.irq (pending) or changed hostif.fw_state */
  TCHIP_RUN_LIMIT = 1, /* the cycle budget passed; call again to go on */
  TCHIP_RUN_EXIT = 2,  /* the firmware wrote simctrl.exit: tchip_exit_code() */
  TCHIP_RUN_FAULT = 3  /* the ISS faulted (bus error, access outside the map): tchip_error() */
};

tchip *tchip_new(void); /* NULL when out of memory; memories zero, reset done */
void tchip_free(tchip *c);
/* Device reset: controller registers and PC, hostif, DMA queue and registers, tile control and
 * counters. Memories (IMEM, DMEM, DRAM, tile memories) keep their contents. */
void tchip_reset(tchip *c);
const char *tchip_error(const tchip *c);

/* --- Firmware-less mode --------------------------------------------------------------------------- */
/* One aligned 32-bit controller bus access at tchip_now(): DMEM, IMEM (read), hostif, dma, tile
 * blocks, dram window. Returns 0, or -1 with tchip_error() on a bus error. */
int tchip_bus_read(tchip *c, uint32_t addr, uint32_t *v);
int tchip_bus_write(tchip *c, uint32_t addr, uint32_t v);
void tchip_advance(tchip *c, uint64_t cycles);
uint64_t tchip_now(tchip *c);

/* --- With firmware ------------------------------------------------------------------------------- */
/* Load an ELF into IMEM/DMEM (backdoor), reset the chip (tchip_reset: hostif too, so write the
 * hostif registers afterwards) and set the controller's PC to the entry. */
enum tchip_status tchip_load_elf(tchip *c, const char *path);
/* Run the controller for up to max_cycles more cycles or until a host-visible event. */
enum tchip_run_result tchip_run(tchip *c, uint64_t max_cycles);
uint32_t tchip_exit_code(const tchip *c);
tiss *tchip_iss(tchip *c);
size_t tchip_console(tchip *c, char *buf, size_t cap); /* drained */

/* --- Host side ------------------------------------------------------------------------------------ */
/* Backdoor DRAM copies: no simulated time, not counted as device traffic. */
enum tchip_status tchip_dram_read(tchip *c, uint64_t addr, void *dst, uint64_t len);
enum tchip_status tchip_dram_write(tchip *c, uint64_t addr, const void *src, uint64_t len);
/* hostif registers by offset (TESSERA_HOSTIF_*_OFFSET), as the host sees them. */
enum tchip_status tchip_hostif_read(tchip *c, uint32_t off, uint32_t *v);
enum tchip_status tchip_hostif_write(tchip *c, uint32_t off, uint32_t v);
/* A tile's memories (events due now applied first). A run's completion swaps in new memories:
 * take the pointer again after time passes. NULL if tile >= TESSERA_CFG_TILES. */
struct ttile_state *tchip_tile(tchip *c, unsigned tile);

/* --- Counters --------------------------------------------------------------------------------------- */
struct tchip_tile_counters {
  uint64_t runs, busy, macs, conflict, starved, backpressure, memory;
};
struct tchip_counters {
  uint64_t cycles;         /* chip cycles */
  uint64_t ctrl_instret;   /* controller instructions retired */
  uint64_t dram_bytes;     /* DMA DRAM bytes + window bytes */
  uint64_t dma_dram_bytes; /* bytes the DMA engine moved to or from the DRAM */
  uint64_t window_bytes;   /* bytes of controller accesses to the dram window */
  uint64_t dma_busy;       /* cycles with a descriptor running */
  uint64_t any_tile_busy;  /* cycles with at least one tile busy */
  uint64_t any_busy;       /* cycles with a tile or the DMA engine busy */
  uint64_t dma_descriptors;/* descriptors completed */
  uint32_t tiles;
  struct tchip_tile_counters tile[TESSERA_CFG_TILES];
};
/* Since tchip_new / tchip_reset / tchip_counters_reset (events due now applied first). */
void tchip_counters(tchip *c, struct tchip_counters *out);
void tchip_counters_reset(tchip *c);

/* --- Timeline ------------------------------------------------------------------------------------------ */
/* While on, tile runs and DMA transfers are recorded as spans. tchip_timeline_write writes them as
 * Chrome trace JSON (docs/driver.md: ts and dur in microseconds at the preset's clock_mhz; args carry
 * the exact cycles). on = 0 stops recording and keeps the spans; on = 1 starts afresh. */
enum tchip_status tchip_timeline(tchip *c, int on);
enum tchip_status tchip_timeline_write(tchip *c, const char *path);
size_t tchip_timeline_spans(const tchip *c);
/* A span of the driver's (a command), on its own track; name is cut to 47 bytes. */
void tchip_timeline_mark(tchip *c, const char *name, uint64_t start, uint64_t end);

/* Names of kernels and DMA kinds for messages and traces: ttl_kernel_name, ttl_dma_kind_name
 * (sim/include/ttimeline.h). */

#ifdef __cplusplus
}
#endif
#endif /* TCHIP_H */
