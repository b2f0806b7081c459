/* tfw: the Tessera firmware runtime's hardware layer (HAL) over the generated register map.
 * Console, exit, cycle counter, machine timer, interrupts and CSR access; docs/firmware.md. */
#ifndef TFW_H
#define TFW_H

#include <stdarg.h>
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tfw_format.h"

#define TFW_REG(base, off) (*(volatile uint32_t *)(uintptr_t)((base) + (off)))

/* CSR access by name: TFW_CSR_READ(mcause), TFW_CSR_WRITE(mscratch, v), SET and CLEAR bits. */
#define TFW_STR_(x) #x
#define TFW_CSR_READ(csr)                                          \
  ({                                                               \
    uint32_t tfw_v_;                                               \
    __asm__ volatile("csrr %0, " TFW_STR_(csr) : "=r"(tfw_v_));    \
    tfw_v_;                                                        \
  })
#define TFW_CSR_WRITE(csr, v) __asm__ volatile("csrw " TFW_STR_(csr) ", %0" ::"r"((uint32_t)(v)) : "memory")
#define TFW_CSR_SET(csr, v) __asm__ volatile("csrs " TFW_STR_(csr) ", %0" ::"r"((uint32_t)(v)) : "memory")
#define TFW_CSR_CLEAR(csr, v) __asm__ volatile("csrc " TFW_STR_(csr) ", %0" ::"r"((uint32_t)(v)) : "memory")

#define TFW_MSTATUS_MIE 0x8u
#define TFW_MIE_MTIE 0x80u
#define TFW_MIE_MEIE 0x800u
#define TFW_MCAUSE_TIMER 0x80000007u
#define TFW_MCAUSE_EXTERNAL 0x8000000Bu

/* Console and exit. */
static inline void tfw_putc(char c) {
  TFW_REG(TESSERA_SIMCTRL_BASE, TESSERA_SIMCTRL_CONSOLE_OFFSET) = (uint32_t)(unsigned char)c;
}
void tfw_puts(const char *s); /* no newline added */
__attribute__((noreturn)) void tfw_exit(uint32_t code);
int tfw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Simulation cycle counter (reads cycle_lo, which latches cycle_hi, then cycle_hi). */
uint64_t tfw_cycles(void);

/* Machine timer. */
uint64_t tfw_timer_now(void);
void tfw_timer_set_compare(uint64_t when); /* interrupt pending while mtime >= when */

/* Interrupts. */
static inline void tfw_irq_enable(void) { TFW_CSR_SET(mstatus, TFW_MSTATUS_MIE); }
static inline void tfw_irq_disable(void) { TFW_CSR_CLEAR(mstatus, TFW_MSTATUS_MIE); }
static inline void tfw_timer_irq_enable(void) { TFW_CSR_SET(mie, TFW_MIE_MTIE); }
static inline void tfw_timer_irq_disable(void) { TFW_CSR_CLEAR(mie, TFW_MIE_MTIE); }
static inline void tfw_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

/* Traps. Every trap and interrupt enters tfw_trap_entry (crt0 points mtvec at it), which saves
 * all registers in a frame and calls the installed handler; when the handler returns, registers
 * are restored from the frame and mret resumes at frame->mepc. The default handler prints cause,
 * PC and tval on the console and exits with status TFW_TRAP_EXIT_CODE. */
struct tfw_trap_frame {
  uint32_t x[32]; /* x[0] unused; x[2] is the sp before the trap */
  uint32_t mepc, mcause, mtval, pad;
};
typedef void (*tfw_trap_handler)(struct tfw_trap_frame *f);
#define TFW_TRAP_EXIT_CODE 99u
tfw_trap_handler tfw_set_trap_handler(tfw_trap_handler h); /* returns the previous one; NULL: default */
void tfw_default_trap_handler(struct tfw_trap_frame *f);

/* Test helpers: print "ok: what" or "FAIL: what: got X want Y" and count failures. */
extern unsigned tfw_failures;
void tfw_check(const char *what, uint32_t got, uint32_t want);
int tfw_done(void); /* prints the summary; returns the exit status (0 all passed) */

#endif /* TFW_H */
