/* Prints a string byte by byte on the console, then exits with status 42. */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  la t0, msg
  li t1, SIMCTRL_CONSOLE
1:
  lbu t2, 0(t0)
  beqz t2, 2f
  sw t2, 0(t1)
  addi t0, t0, 1
  j 1b
2:
  li a0, 42
  EXIT_WITH(a0)
  .section .rodata
msg:
  .asciz "Hello from Tessera's RV32IM core!\n"
