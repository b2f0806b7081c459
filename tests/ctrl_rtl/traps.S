/* Synchronous traps. The handler appends a record {mcause, mepc, mtval, mstatus} for every trap,
 * steps mepc over the trapping instruction and returns; before each trapping instruction the
 * program appends its own record {expected pc}. Layout at RESULTS: word 0 the trap count; from
 * RESULTS + 0x100, 5 words per trap: mcause, mepc, mtval, mstatus in the handler, expected pc.
 * RESULTS + 4: mstatus after the last mret. RESULTS + 8: a misaligned-load destination register
 * after the trap (it must keep its old value 0x1234). */
#include "common.h"
#define EXPECT(label) la t0, label; sw t0, 16(s0)

  .section .text.start
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s0, RESULTS + 0x100       /* record pointer */
  li s1, 0                     /* trap count */
  csrsi mstatus, 8             /* MIE = 1: mstatus.MPIE must capture it (no interrupt is enabled) */
  EXPECT(t_ecall)
t_ecall:
  ecall
  EXPECT(t_ebreak)
t_ebreak:
  ebreak
  EXPECT(t_illegal)
t_illegal:
  .word 0xffffffff
  EXPECT(t_zero)
t_zero:
  .word 0x00000000
  EXPECT(t_csr_ro)
t_csr_ro:
  csrw cycle, t0
  EXPECT(t_csr_unknown)
t_csr_unknown:
  csrr t1, 0x7c0
  EXPECT(t_mulh_bad)
t_mulh_bad:
  .word 0x42b50533             /* OP with funct7 0100001: not an instruction */
  li t2, 0x1234
  li t3, RESULTS + 0x41
  EXPECT(t_load)
t_load:
  lw t2, 0(t3)
  li t0, RESULTS
  sw t2, 8(t0)
  li t3, RESULTS + 0x42
  EXPECT(t_store)
t_store:
  sw t2, 1(t3)
  li t3, RESULTS + 0x43
  EXPECT(t_half)
t_half:
  lh t2, 0(t3)
  la t3, t_jump_target
  addi t3, t3, 2
  EXPECT(t_jump)
t_jump:
  jalr zero, 0(t3)
t_jump_target:
  li t4, 1
  EXPECT(t_branch)
t_branch:
  beqz zero, 1f + 2            /* taken branch to a half-word address */
1:
  nop
  nop
  csrr t0, mstatus
  li t1, RESULTS
  sw t0, 4(t1)
  sw s1, 0(t1)
  li a0, 0
  EXIT_WITH(a0)

  .balign 4
handler:
  csrr t5, mcause
  sw t5, 0(s0)
  csrr t5, mepc
  sw t5, 4(s0)
  csrr t5, mtval
  sw t5, 8(s0)
  csrr t5, mstatus
  sw t5, 12(s0)
  addi s0, s0, 20
  addi s1, s1, 1
  csrr t5, mepc
  addi t5, t5, 4
  csrw mepc, t5
  mret
