/* Faults that end the simulation. The host writes a case number to INPUTS before the run; the
 * program stores the address of the faulting instruction at RESULTS and then faults:
 *  0 load from an address in no region, 1 store to an address in no region, 2 write to the
 *  read-only simctrl cycle register (bus error), 3 read of an unknown timer offset (bus error),
 *  4 jump into DMEM (instruction fetch outside IMEM; RESULTS holds the target) */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS
  li t0, INPUTS
  lw t0, 0(t0)
  li t1, 1
  beq t0, zero, c0
  beq t0, t1, c1
  li t1, 2
  beq t0, t1, c2
  li t1, 3
  beq t0, t1, c3
  j c4
c0:
  li t2, 0x30000000
  la t3, f0
  sw t3, 0(s0)
f0:
  lw t4, 0(t2)
  j done
c1:
  li t2, 0xfffffff0
  la t3, f1
  sw t3, 0(s0)
f1:
  sb t4, 4(t2)
  j done
c2:
  li t2, TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_CYCLE_LO_OFFSET
  la t3, f2
  sw t3, 0(s0)
f2:
  sw t4, 0(t2)
  j done
c3:
  li t2, TESSERA_TIMER_BASE + 0x10
  la t3, f3
  sw t3, 0(s0)
f3:
  lw t4, 0(t2)
  j done
c4:
  li t2, TESSERA_DMEM_BASE + 0x100
  sw t2, 0(s0)
  jr t2
done:
  li a0, 0
  EXIT_WITH(a0)
