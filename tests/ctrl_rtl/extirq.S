/* External interrupt: the host raises the line while the program spins. Results at RESULTS:
 *  0 mcause, 1 mepc, 2 mip in the handler, 3 handler entries, 4/5 first/last address of the
 *  spin loop, 6 mstatus in the handler */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS
  la t0, handler
  csrw mtvec, t0
  li s1, 0
  li s2, 0
  la t0, spin
  sw t0, 16(s0)
  la t0, spin_end
  addi t0, t0, -4
  sw t0, 20(s0)
  li t0, 0x800
  csrs mie, t0
  csrsi mstatus, 8
spin:
  addi s3, s3, 1
  beqz s1, spin
spin_end:
  sw s2, 12(s0)
  li a0, 0
  EXIT_WITH(a0)

  .balign 4
handler:
  csrr t5, mcause
  sw t5, 0(s0)
  csrr t5, mepc
  sw t5, 4(s0)
  csrr t5, mip
  sw t5, 8(s0)
  csrr t5, mstatus
  sw t5, 24(s0)
  li t5, 0x800
  csrc mie, t5                 /* the line stays high: stop listening to it */
  li s1, 1
  addi s2, s2, 1
  mret
