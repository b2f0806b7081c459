/* A third-party bare-metal start-up: nothing from Tessera's firmware/ is used. Stack at the top
 * of DMEM, bss zeroed, main() called, its return value written to the exit register. */
  .section .text.start, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la tp, __tls_block
  la t0, __zero_begin
  la t1, __zero_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  call main
  li t0, 0x20000004 /* exit register of the ABI */
  sw a0, 0(t0)
3:
  j 3b
