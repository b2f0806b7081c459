/* Machine timer and its interrupt. Results at RESULTS (words):
 *  0 mcause in the handler, 1 mip in the handler, 2 loop iterations before the interrupt,
 *  3 mtime read in the handler, 4 the mtimecmp that was set, 5 mip after the handler disarmed
 *  the timer, 6 mtime after a wfi with mstatus.MIE = 0, 7 the mtimecmp it waited for,
 *  8 handler entries (must stay 1: wfi with MIE = 0 wakes without a trap),
 *  9 mtime read right after writing 0x1000 to mtime_lo, 10 mepc in the handler,
 *  11 address of the first and 12 of the last instruction of the wait loop */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS
  la t0, handler
  csrw mtvec, t0
  li s1, 0                     /* flag set by the handler */
  li s2, 0                     /* handler entries */
  li s3, 0                     /* loop count */
  li s4, TESSERA_TIMER_BASE
  sw zero, TESSERA_TIMER_MTIMECMP_HI_OFFSET(s4)
  lw t0, TESSERA_TIMER_MTIME_LO_OFFSET(s4)
  addi t0, t0, 200
  sw t0, TESSERA_TIMER_MTIMECMP_LO_OFFSET(s4)
  sw t0, 16(s0)
  li t1, 0x80
  csrs mie, t1
  csrsi mstatus, 8
loop_start:
  addi s3, s3, 1
  beqz s1, loop_start
loop_end:
  sw s3, 8(s0)
  csrr t0, mip
  sw t0, 20(s0)
  la t0, loop_start
  sw t0, 44(s0)
  la t0, loop_end
  addi t0, t0, -4
  sw t0, 48(s0)
  /* wfi with mstatus.MIE = 0 and mie.MTIE = 1: wakes when the timer fires, no trap */
  csrci mstatus, 8
  lw t0, TESSERA_TIMER_MTIME_LO_OFFSET(s4)
  addi t0, t0, 300
  sw t0, 28(s0)
  sw zero, TESSERA_TIMER_MTIMECMP_HI_OFFSET(s4)
  sw t0, TESSERA_TIMER_MTIMECMP_LO_OFFSET(s4)
  wfi
  lw t0, TESSERA_TIMER_MTIME_LO_OFFSET(s4)
  sw t0, 24(s0)
  sw s2, 32(s0)
  li t0, 0x1000
  sw t0, TESSERA_TIMER_MTIME_LO_OFFSET(s4)
  lw t0, TESSERA_TIMER_MTIME_LO_OFFSET(s4)
  sw t0, 36(s0)
  li a0, 0
  EXIT_WITH(a0)

  .balign 4
handler:
  csrr t5, mcause
  sw t5, 0(s0)
  csrr t5, mip
  sw t5, 4(s0)
  csrr t5, mepc
  sw t5, 40(s0)
  lw t5, TESSERA_TIMER_MTIME_LO_OFFSET(s4)
  sw t5, 12(s0)
  li t5, -1
  sw t5, TESSERA_TIMER_MTIMECMP_HI_OFFSET(s4)
  li s1, 1
  addi s2, s2, 1
  mret
