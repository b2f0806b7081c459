/* Every register-register and register-immediate ALU and M instruction on all pairs of a table
 * of corner-case operands. Writes the pair count to RESULTS, then per pair: a, b, add, sub, sll,
 * slt, sltu, xor, srl, sra, or, and, mul, mulh, mulhsu, mulhu, div, divu, rem, remu, addi -1,
 * slti 5, sltiu -1, xori 0x555, ori 0x0f0, andi -16, slli 7, srli 7, srai 7 (29 words). */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS + 4          /* output pointer */
  la s1, operands
  la s2, operands_end
  li s5, 0                    /* pair count */
  mv s3, s1
outer:
  mv s4, s1
inner:
  lw a0, 0(s3)
  lw a1, 0(s4)
  sw a0, 0(s0)
  sw a1, 4(s0)
  add t0, a0, a1
  sw t0, 8(s0)
  sub t0, a0, a1
  sw t0, 12(s0)
  sll t0, a0, a1
  sw t0, 16(s0)
  slt t0, a0, a1
  sw t0, 20(s0)
  sltu t0, a0, a1
  sw t0, 24(s0)
  xor t0, a0, a1
  sw t0, 28(s0)
  srl t0, a0, a1
  sw t0, 32(s0)
  sra t0, a0, a1
  sw t0, 36(s0)
  or t0, a0, a1
  sw t0, 40(s0)
  and t0, a0, a1
  sw t0, 44(s0)
  mul t0, a0, a1
  sw t0, 48(s0)
  mulh t0, a0, a1
  sw t0, 52(s0)
  mulhsu t0, a0, a1
  sw t0, 56(s0)
  mulhu t0, a0, a1
  sw t0, 60(s0)
  div t0, a0, a1
  sw t0, 64(s0)
  divu t0, a0, a1
  sw t0, 68(s0)
  rem t0, a0, a1
  sw t0, 72(s0)
  remu t0, a0, a1
  sw t0, 76(s0)
  addi t0, a0, -1
  sw t0, 80(s0)
  slti t0, a0, 5
  sw t0, 84(s0)
  sltiu t0, a0, -1
  sw t0, 88(s0)
  xori t0, a0, 0x555
  sw t0, 92(s0)
  ori t0, a0, 0x0f0
  sw t0, 96(s0)
  andi t0, a0, -16
  sw t0, 100(s0)
  slli t0, a0, 7
  sw t0, 104(s0)
  srli t0, a0, 7
  sw t0, 108(s0)
  srai t0, a0, 7
  sw t0, 112(s0)
  addi s0, s0, 116
  addi s5, s5, 1
  addi s4, s4, 4
  bne s4, s2, inner
  addi s3, s3, 4
  bne s3, s2, outer
  li t0, RESULTS
  sw s5, 0(t0)
  li a0, 0
  EXIT_WITH(a0)

  .section .rodata
  .balign 4
operands:
  .word 0, 1, 2, 3, 7, 31, 32, 0xffffffff, 0xfffffffd, 0x80000000, 0x7fffffff, 0x12345678
  .word 0xfedcba98, 0xffff0000, 0x00008000, 0x8000001f
operands_end:
