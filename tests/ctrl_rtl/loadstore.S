/* Load and store byte lanes. Results at RESULTS:
 *  0..10: word 0x8badf00d read back with lb/lbu at offsets 0..3, lh/lhu at 0 and 2, lw
 *  11..14: byte 0xa5 stored at offset 0..3 of a zeroed word, the word read back
 *  15..16: half 0xbeef stored at offset 0 and 2 of a zeroed word, the word read back
 *  17: a word written to IMEM through the data bus and read back
 *  18: 2, from an instruction patched in IMEM before a fence.i (1 if the stale one ran) */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS
  li s1, RESULTS + 0x1000      /* scratch */
  li t0, 0x8badf00d
  sw t0, 0(s1)
  lb t1, 0(s1)
  sw t1, 0(s0)
  lb t1, 1(s1)
  sw t1, 4(s0)
  lb t1, 2(s1)
  sw t1, 8(s0)
  lb t1, 3(s1)
  sw t1, 12(s0)
  lbu t1, 0(s1)
  sw t1, 16(s0)
  lbu t1, 1(s1)
  sw t1, 20(s0)
  lbu t1, 2(s1)
  sw t1, 24(s0)
  lbu t1, 3(s1)
  sw t1, 28(s0)
  lh t1, 0(s1)
  sw t1, 32(s0)
  lh t1, 2(s1)
  sw t1, 36(s0)
  lhu t1, 2(s1)
  sw t1, 40(s0)
  li t0, 0xa5
  li t2, 0
  addi s2, s0, 44
1:
  add t3, s1, t2
  sw zero, 4(s1)
  sb t0, 4(t3)
  lw t4, 4(s1)
  sw t4, 0(s2)
  addi s2, s2, 4
  addi t2, t2, 1
  li t5, 4
  bne t2, t5, 1b
  li t0, 0xffffbeef
  sw zero, 8(s1)
  sh t0, 8(s1)
  lw t4, 8(s1)
  sw t4, 60(s0)
  sw zero, 8(s1)
  sh t0, 10(s1)
  lw t4, 8(s1)
  sw t4, 64(s0)
  la t0, imem_slot
  li t1, 0x5eed1234
  sw t1, 0(t0)
  lw t2, 0(t0)
  sw t2, 68(s0)
  /* self-modifying code: patch the next instruction, fence.i, run the patched one */
  la t0, patch_site
  li t1, 0x00200593            /* addi a1, zero, 2 */
  sw t1, 0(t0)
  fence.i
patch_site:
  addi a1, zero, 1
  sw a1, 72(s0)
  li a0, 0
  EXIT_WITH(a0)
  .balign 4
imem_slot:
  .word 0
