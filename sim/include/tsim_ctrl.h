/* C interface to the Verilated Tessera controller (rtl/ctrl/tessera_ctrl_top.sv): the RV32IM
 * core with IMEM, DMEM, the simulation-control block and the machine timer.
 *
 * Life cycle: tsim_ctrl_open() creates a controller held in reset with zeroed memories; place the
 * program with tsim_ctrl_mem_write() (a backdoor into IMEM/DMEM that takes no simulated time);
 * the first tsim_ctrl_step()/tsim_ctrl_run() releases reset and the core starts at the reset PC
 * (TESSERA_IMEM_BASE). The run ends when the program writes the simctrl exit register, when the
 * core faults (an access outside the memory map or a bus error: address and PC are reported), or
 * when the caller's cycle budget is spent. tsim_ctrl_reset() puts the core back into reset and
 * keeps the memories. */
#ifndef TSIM_CTRL_H
#define TSIM_CTRL_H

#include <stddef.h>
#include <stdint.h>

#include "tsim_retire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsim_ctrl tsim_ctrl;

typedef enum tsim_ctrl_state {
  TSIM_CTRL_RUNNING = 0, /* still running (or not yet started) */
  TSIM_CTRL_EXITED,      /* the program wrote the exit register: tsim_ctrl_exit_code() */
  TSIM_CTRL_FAULT,       /* the core halted on a fault: tsim_ctrl_fault() */
  TSIM_CTRL_MAX_CYCLES,  /* tsim_ctrl_run() spent its cycle budget */
} tsim_ctrl_state;

/* fst_path: NULL for no waveform, else the FST file to write every cycle to (slow).
 * Returns NULL when out of memory or when the trace file cannot be opened. */
tsim_ctrl *tsim_ctrl_open(const char *fst_path);
void tsim_ctrl_close(tsim_ctrl *c);

/* Backdoor access to IMEM and DMEM by bus address. Returns 0, or -1 (nothing copied) when any
 * byte of [addr, addr + len) lies outside IMEM and DMEM or the range spans both. */
int tsim_ctrl_mem_write(tsim_ctrl *c, uint32_t addr, const void *data, size_t len);
int tsim_ctrl_mem_read(tsim_ctrl *c, uint32_t addr, void *data, size_t len);

/* Hold the core, timer and simctrl in reset (memories keep their contents) and clear the run's
 * state: console, exit, fault, cycle and instruction counts, retire records. */
void tsim_ctrl_reset(tsim_ctrl *c);

/* Advance one clock cycle (nothing happens once the run has ended). */
tsim_ctrl_state tsim_ctrl_step(tsim_ctrl *c);
/* Advance until the run ends or max_cycles more cycles have passed (TSIM_CTRL_MAX_CYCLES). */
tsim_ctrl_state tsim_ctrl_run(tsim_ctrl *c, uint64_t max_cycles);
tsim_ctrl_state tsim_ctrl_get_state(const tsim_ctrl *c);

/* The value the program wrote to the exit register (0 before it exits). */
uint32_t tsim_ctrl_exit_code(const tsim_ctrl *c);
/* 1 with *addr (byte address of the access, or the PC for a fetch outside IMEM) and *pc (the
 * instruction) after a fault, else 0. */
int tsim_ctrl_fault(const tsim_ctrl *c, uint32_t *addr, uint32_t *pc);
/* One line describing the fault ("" without one), e.g.
 * "access fault: outside the memory map at address 0x30000000 (pc 0x00000010)". */
const char *tsim_ctrl_fault_msg(const tsim_ctrl *c);

/* Copy out (and forget) the console bytes printed so far; returns how many were copied. */
size_t tsim_ctrl_console(tsim_ctrl *c, char *buf, size_t cap);

/* Clock cycles since reset was released, and instructions retired (trap records not counted). */
uint64_t tsim_ctrl_cycles(const tsim_ctrl *c);
uint64_t tsim_ctrl_instret(const tsim_ctrl *c);
/* PC of the newest retire record (instruction or trap; 0 before the first). */
uint32_t tsim_ctrl_pc(const tsim_ctrl *c);
/* 1 if the newest retire record is a trap (exception or interrupt), else 0. */
int tsim_ctrl_last_trap(const tsim_ctrl *c);

/* Interrupt enables of the core: returns mstatus.MIE; *mie (if not NULL) gets mie (MTIE bit 7,
 * MEIE bit 11). */
int tsim_ctrl_irq_enabled(const tsim_ctrl *c, uint32_t *mie);

/* Level of the external interrupt line (mip.MEIP) from the next cycle on. */
void tsim_ctrl_set_irq(tsim_ctrl *c, int level);

/* Retirement records for co-simulation. Off by default (it costs a little speed); when on, every
 * record of the retirement port is queued and tsim_ctrl_retire_next() pops the oldest (1), or
 * returns 0 when none is queued. Records carry `order` counted from reset. */
void tsim_ctrl_record(tsim_ctrl *c, int on);
int tsim_ctrl_retire_next(tsim_ctrl *c, struct tsim_retire *r);

#ifdef __cplusplus
}
#endif
#endif /* TSIM_CTRL_H */
