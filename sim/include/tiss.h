/* tiss: the Tessera controller's instruction-set simulator (RV32IM + Zicsr, machine mode).
 *
 * Memories: IMEM at TESSERA_IMEM_BASE and DMEM at TESSERA_DMEM_BASE (sizes from the generated
 * hardware configuration), the simulation-control block and the machine timer. Architectural
 * behaviour, the cycle model and the retire records are described in docs/firmware.md.
 *
 * The functions marked "contract" are the interface the RTL co-simulation codes against; keep
 * their names and meaning. */
#ifndef TISS_H
#define TISS_H

#include <stddef.h>
#include <stdint.h>

#include "tsim_retire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tiss tiss;

typedef enum {
  TISS_RUNNING = 0, /* more instructions to run */
  TISS_EXITED,      /* the program wrote the exit register; tiss_exit_code() has the value */
  TISS_FAULT,       /* simulation error (access outside the map, bus error); tiss_error() says */
  TISS_MAX_CYCLES   /* tiss_run() reached its cycle limit (or a wfi can never wake up) */
} tiss_state;

/* Cycle-model penalties (added to 1 cycle per instruction), measured on the RTL core with
 * single-cycle SRAMs; docs/firmware.md. The RTL predicts jal and backward branches taken. */
enum {
  TISS_PENALTY_TAKEN = 2,     /* branch against its static prediction (forward taken, backward
                                 not taken) and jalr: refetch from EX. jal costs nothing */
  TISS_PENALTY_LOAD_USE = 0,  /* loads forward from MEM with zero-wait-state memories */
  TISS_PENALTY_DIV = 2,       /* div, divu, rem, remu: iterative divider, plus one cycle per
                                 significant bit of the dividend's magnitude (0..32) */
  TISS_PENALTY_DIV_ZERO = 1,  /* the same with a zero divisor: the divider answers at once */
  TISS_PENALTY_TRAP = 3,      /* trap or interrupt entry, mret: refetch from MEM */
};

/* contract */
tiss *tiss_new(void); /* memories sized TESSERA_IMEM_SIZE / TESSERA_DMEM_SIZE (zeroed), reset */
void tiss_free(tiss *s);
void tiss_reset(tiss *s); /* PC = TESSERA_IMEM_BASE, registers and CSRs reset; memories kept */
int tiss_write_mem(tiss *s, uint32_t addr, const void *src, size_t n); /* -1 if any byte outside IMEM/DMEM */
int tiss_read_mem(tiss *s, uint32_t addr, void *dst, size_t n);
tiss_state tiss_step(tiss *s, struct tsim_retire *r); /* one instruction retired, or one trap taken */
tiss_state tiss_run(tiss *s, uint64_t max_cycles);    /* fast path: no records; stops at max_cycles */
void tiss_set_external_irq(tiss *s, int level);
uint32_t tiss_get_reg(const tiss *s, unsigned r);
void tiss_set_reg(tiss *s, unsigned r, uint32_t v);
uint32_t tiss_pc(const tiss *s);
uint64_t tiss_cycles(const tiss *s);
uint64_t tiss_instret(const tiss *s);
uint32_t tiss_exit_code(const tiss *s);
const char *tiss_error(const tiss *s); /* message after TISS_FAULT / TISS_MAX_CYCLES */
size_t tiss_console(tiss *s, char *buf, size_t cap); /* drain buffered console bytes */
/* Co-simulation: take interrupt `cause` (0x80000007 or 0x8000000B) now, as the RTL did. Fills *r
 * like tiss_step does for a trap. Returns TISS_FAULT (with tiss_error) if cause is not one of the
 * two interrupts. */
tiss_state tiss_take_interrupt(tiss *s, uint32_t cause, struct tsim_retire *r);

/* Additions. */
tiss_state tiss_state_get(const tiss *s);
void tiss_set_pc(tiss *s, uint32_t pc);
/* Console callback: when set, every console byte goes to fn at once instead of the buffer. */
void tiss_set_console_fn(tiss *s, void (*fn)(void *ctx, char c), void *ctx);
/* Co-simulation mode: tiss_step never takes an interrupt by itself (only tiss_take_interrupt
 * does) and a wfi retires without idling. */
void tiss_set_cosim(tiss *s, int on);
/* 1 if the instruction of the last tiss_step read a timing-dependent value into rd (mcycle[h],
 * cycle[h], mtime, the simctrl cycle counter): co-simulation copies the RTL's value with
 * tiss_set_reg. */
int tiss_last_timing_read(const tiss *s);
/* Set the estimated cycle count (co-simulation keeps it equal to the RTL's). */
void tiss_set_cycles(tiss *s, uint64_t cycles);
/* CSR access for tests and debuggers: 0 and *v on success, -1 if csr does not exist. */
int tiss_csr_read(const tiss *s, unsigned csr, uint32_t *v);
/* 1 while the hart sleeps in wfi. */
int tiss_sleeping(const tiss *s);

/* Device bus: loads and stores outside IMEM, DMEM, simctrl and the timer go to these callbacks
 * (the chip's hostif, DMA, tiles and DRAM window). addr is the byte address, size 1, 2 or 4 (the
 * access is naturally aligned), values are right-aligned (a load's value is zero-extended by the
 * callback and sign-extended by the ISS as the instruction asks). A nonzero return is a bus error:
 * the ISS faults with the address and the PC, as for an access outside the map. *extra_cycles
 * (0 on entry) adds to the instruction's cost. The callbacks may read tiss_cycles() (the cycle at
 * which the instruction started) and call tiss_request_stop(). NULL callbacks: accesses outside the
 * ISS's blocks fault as before. Stores to IMEM fault before reaching the bus. */
typedef int (*tiss_bus_read_fn)(void *ctx, uint32_t addr, uint32_t size, uint32_t *v, uint32_t *extra_cycles);
typedef int (*tiss_bus_write_fn)(void *ctx, uint32_t addr, uint32_t size, uint32_t v, uint32_t *extra_cycles);
void tiss_set_bus(tiss *s, tiss_bus_read_fn rd, tiss_bus_write_fn wr, void *ctx);
/* Make tiss_run return TISS_RUNNING after the current instruction (a device saw something the
 * caller must look at: a host interrupt, a firmware state change). */
void tiss_request_stop(tiss *s);
/* After TISS_MAX_CYCLES: make the hart runnable again (tiss_run goes on where it stopped). Other
 * states are kept. */
void tiss_resume(tiss *s);

/* CSR numbers. */
enum {
  TISS_CSR_MSTATUS = 0x300, TISS_CSR_MISA = 0x301, TISS_CSR_MIE = 0x304, TISS_CSR_MTVEC = 0x305,
  TISS_CSR_MSCRATCH = 0x340, TISS_CSR_MEPC = 0x341, TISS_CSR_MCAUSE = 0x342, TISS_CSR_MTVAL = 0x343,
  TISS_CSR_MIP = 0x344, TISS_CSR_MCYCLE = 0xB00, TISS_CSR_MINSTRET = 0xB02, TISS_CSR_MCYCLEH = 0xB80,
  TISS_CSR_MINSTRETH = 0xB82, TISS_CSR_CYCLE = 0xC00, TISS_CSR_INSTRET = 0xC02,
  TISS_CSR_CYCLEH = 0xC80, TISS_CSR_INSTRETH = 0xC82, TISS_CSR_MVENDORID = 0xF11,
  TISS_CSR_MARCHID = 0xF12, TISS_CSR_MIMPID = 0xF13, TISS_CSR_MHARTID = 0xF14,
};

#define TISS_MISA_RV32IM 0x40001100u
#define TISS_CAUSE_TIMER_IRQ 0x80000007u
#define TISS_CAUSE_EXT_IRQ 0x8000000Bu

#ifdef __cplusplus
}
#endif

#endif /* TISS_H */
