/* Back-to-back dependences through every forwarding path: ALU -> ALU, load -> use, load -> store
 * data, mul/div -> use, CSR -> use, a dependent branch right after its producer, and a long loop
 * with a backward branch (predicted taken) that falls through at the end. Results at RESULTS. */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS
  li t0, 5
  addi t1, t0, 3              /* 8 */
  add t2, t1, t1              /* 16 */
  sub t3, t2, t0              /* 11 */
  sw t3, 0(s0)
  lw t4, 0(s0)                /* load -> use at once */
  addi t5, t4, 100            /* 111 */
  sw t5, 4(s0)
  lw a0, 4(s0)
  sw a0, 8(s0)                /* load -> store data */
  li a1, 12345
  li a2, 678
  mul a3, a1, a2
  addi a3, a3, 1              /* 8369911 */
  sw a3, 12(s0)
  divu a4, a3, a2
  add a4, a4, a4              /* 2 * 12345 = 24690 */
  sw a4, 16(s0)
  csrw mscratch, a4
  csrr a5, mscratch
  addi a5, a5, 1              /* 24691 */
  sw a5, 20(s0)
  li a6, 3
  addi a6, a6, -3
  beqz a6, 1f                 /* dependent branch, taken */
  li a7, 99
  j 2f
1:
  li a7, 7
2:
  sw a7, 24(s0)
  /* loop: sum 1..1000 with a backward branch */
  li t0, 0
  li t1, 1
  li t2, 1001
3:
  add t0, t0, t1
  addi t1, t1, 1
  bne t1, t2, 3b
  sw t0, 28(s0)               /* 500500 */
  /* forward branches, not taken then taken, and a jalr through a computed address */
  li t0, 0
  li t1, 10
4:
  addi t0, t0, 1
  blt t0, t1, 4b
  sw t0, 32(s0)               /* 10 */
  la t2, 5f
  jalr ra, 0(t2)
8:
  li t3, 1
  j 6f
5:
  li t3, 2
  sw ra, 40(s0)               /* link: address after the jalr */
  la t4, 8b
  sw t4, 44(s0)               /* expected link */
6:
  sw t3, 36(s0)               /* 2 */
  /* x0 stays zero */
  addi x0, x0, 5
  lui x0, 0x12345
  add t5, x0, x0
  sw t5, 48(s0)
  /* lui/auipc */
  lui t0, 0xabcde
  sw t0, 52(s0)
7:
  auipc t1, 0x1
  la t2, 7b
  sub t1, t1, t2              /* 0x1000 */
  sw t1, 56(s0)
  li a0, 0
  EXIT_WITH(a0)
