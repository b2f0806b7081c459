/* C interface to the Verilated Tessera chip (rtl/chip/tessera_chip_top.sv, docs/chip.md "RTL
 * chip"): the controller, the hostif registers, the DMA engine and the preset's tiles, with the
 * device DRAM (tsim_dram: the preset's capacity, bandwidth and latency) served on the chip's DRAM
 * port by this harness.
 *
 * Life cycle: tsim_chip_open() creates a chip after reset with zeroed memories and the controller
 * held in reset. Load the firmware (tsim_chip_load_elf, or tsim_chip_mem_write: a backdoor into
 * IMEM/DMEM), fill the DRAM (tsim_chip_dram_write) and the hostif registers
 * (tsim_chip_hostif_write); the first tsim_chip_step()/tsim_chip_run() releases the controller,
 * which starts at the reset PC. Backdoor and host accesses take no simulated time and are not
 * counted as device DRAM traffic. Nothing aborts: errors are return codes, one line in
 * tsim_chip_error(). */
#ifndef TSIM_CHIP_H
#define TSIM_CHIP_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsim_chip tsim_chip;

typedef enum tsim_chip_state {
  TSIM_CHIP_RUNNING = 0, /* running (or not yet started) */
  TSIM_CHIP_EXITED,      /* the firmware wrote simctrl.exit: tsim_chip_exit_code() */
  TSIM_CHIP_FAULT,       /* the core halted on a fault (bus error, outside the map): tsim_chip_error() */
  TSIM_CHIP_MAX_CYCLES,  /* tsim_chip_run() spent its cycle budget */
  TSIM_CHIP_EVENT,       /* a stop condition of tsim_chip_run() happened (irq written, fw_state changed) */
} tsim_chip_state;

/* Stop conditions of tsim_chip_run (exit and fault always stop). */
#define TSIM_CHIP_STOP_IRQ 0x1u      /* the firmware writes hostif.irq with pending set */
#define TSIM_CHIP_STOP_FW_STATE 0x2u /* hostif.fw_state changes */

/* fst_path: NULL for no waveform, else the FST file to write every cycle to (slow).
 * NULL when out of memory or when the trace file cannot be opened. */
tsim_chip *tsim_chip_open(const char *fst_path);
void tsim_chip_close(tsim_chip *c);
const char *tsim_chip_error(const tsim_chip *c);

/* Reset the chip (controller, hostif, DMA, tile control and counters) and hold the controller in
 * reset until the next step/run; memories (IMEM, DMEM, DRAM, tile memories) keep their contents. */
void tsim_chip_reset(tsim_chip *c);

/* Backdoor IMEM / DMEM by bus address: 0, or -1 (nothing copied) outside one of them. */
int tsim_chip_mem_write(tsim_chip *c, uint32_t addr, const void *data, size_t len);
int tsim_chip_mem_read(tsim_chip *c, uint32_t addr, void *data, size_t len);
/* Load an ELF into IMEM/DMEM (tsim_elf). 0, or -1 with the reason in tsim_chip_error(). */
int tsim_chip_load_elf(tsim_chip *c, const char *path);

/* Backdoor DRAM by device address: 0, or -1 outside the DRAM. */
int tsim_chip_dram_write(tsim_chip *c, uint64_t addr, const void *data, size_t len);
int tsim_chip_dram_read(tsim_chip *c, uint64_t addr, void *data, size_t len);

/* hostif registers by offset (TESSERA_HOSTIF_*_OFFSET), as the host sees them: 0, or -1 for an
 * offset that names no register. A write takes effect at the next clock edge (one cycle passes). */
int tsim_chip_hostif_read(tsim_chip *c, uint32_t off, uint32_t *v);
int tsim_chip_hostif_write(tsim_chip *c, uint32_t off, uint32_t v);

/* Level of the controller's external interrupt line from the next cycle on. */
void tsim_chip_set_irq(tsim_chip *c, int level);

/* One clock cycle (nothing happens once the run has ended). */
tsim_chip_state tsim_chip_step(tsim_chip *c);
/* Run until exit, fault, a stop condition of stop_mask (TSIM_CHIP_STOP_*) or max_cycles more cycles.
 * After TSIM_CHIP_EVENT or TSIM_CHIP_MAX_CYCLES, call again to go on. */
tsim_chip_state tsim_chip_run(tsim_chip *c, uint64_t max_cycles, unsigned stop_mask);
tsim_chip_state tsim_chip_get_state(const tsim_chip *c);

uint32_t tsim_chip_exit_code(const tsim_chip *c);
/* 1 with *addr and *pc after a fault, else 0. */
int tsim_chip_fault(const tsim_chip *c, uint32_t *addr, uint32_t *pc);
/* Copy out (and forget) the console bytes printed so far; returns how many were copied. */
size_t tsim_chip_console(tsim_chip *c, char *buf, size_t cap);

struct tsim_chip_counters {
  uint64_t cycles;         /* cycles since the controller was released */
  uint64_t instret;        /* instructions retired */
  uint64_t dram_bytes;     /* bytes on the DRAM port: DMA + window */
  uint64_t dma_dram_bytes; /* of them, the DMA engine's */
  uint64_t window_bytes;   /* of them, the controller's dram window */
  uint64_t dram_requests;  /* requests served on the DRAM port */
  uint64_t dma_busy;       /* cycles with a DMA descriptor queued or running */
  uint64_t any_tile_busy;  /* cycles with at least one tile busy */
  uint64_t any_busy;       /* cycles with the DMA engine or a tile busy */
  uint32_t tiles;          /* entries of tile[] in use: the preset's tiles */
  struct {                 /* tile i's counters summed over its runs (clears by firmware included) */
    uint64_t busy, macs, conflict, starved, memory, backpressure;
  } tile[TESSERA_CFG_TILES];
};
void tsim_chip_counters(const tsim_chip *c, struct tsim_chip_counters *out);
/* Zero the counters above (the tiles' own counter registers are left alone). */
void tsim_chip_counters_reset(tsim_chip *c);
/* Clock edges since tsim_chip_open (monotonic: resets do not rewind it). */
uint64_t tsim_chip_now(const tsim_chip *c);

/* Timeline (sim/include/ttimeline.h): while on, tile runs (busy rise to fall with done) and DMA
 * descriptors (while one runs) are recorded as spans in clock edges (tsim_chip_now); marks add the
 * driver's commands. Write: 0, or -1 with the reason in tsim_chip_error(). */
void tsim_chip_timeline(tsim_chip *c, int on);
void tsim_chip_timeline_mark(tsim_chip *c, const char *name, uint64_t start, uint64_t end);
int tsim_chip_timeline_write(tsim_chip *c, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* TSIM_CHIP_H */
