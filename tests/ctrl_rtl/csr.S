/* CSR reads and writes. Results at RESULTS (one word each):
 *  0 misa, 1 mhartid, 2 mvendorid, 3 marchid, 4 mimpid, 5 mscratch after csrw 0xa5a5f00f,
 *  6 old value returned by csrrs (0xa5a5f00f), 7 mscratch after csrrs 0x0ff0,
 *  8 old value returned by csrrc, 9 mscratch after csrrc 0xa000000f, 10 csrrwi old, 11 mscratch
 *  after csrrwi 0x1d, 12 mtvec after writing 0x1003, 13 mepc after writing 0x2003,
 *  14 mie after writing all ones, 15 mip (nothing pending), 16 minstret delta over the csrr and
 *  five nops, 17 mcycle delta (> 0), 18 mstatus after writing all ones, 19 instret == minstret
 *  low (1/0), 20 mcause after writing 0x8000000b, 21 mtval after writing 0x12345678,
 *  22 csrrsi with uimm 0 on read-only mhartid (no trap: result 0), 23 mstatus after clearing */
#include "common.h"
  .section .text.start
  .globl _start
_start:
  li s0, RESULTS
  csrr t0, misa
  sw t0, 0(s0)
  csrr t0, mhartid
  sw t0, 4(s0)
  csrr t0, mvendorid
  sw t0, 8(s0)
  csrr t0, marchid
  sw t0, 12(s0)
  csrr t0, mimpid
  sw t0, 16(s0)
  li t1, 0xa5a5f00f
  csrw mscratch, t1
  csrr t0, mscratch
  sw t0, 20(s0)
  li t1, 0x0ff0
  csrrs t0, mscratch, t1
  sw t0, 24(s0)
  csrr t0, mscratch
  sw t0, 28(s0)
  li t1, 0xa000000f
  csrrc t0, mscratch, t1
  sw t0, 32(s0)
  csrr t0, mscratch
  sw t0, 36(s0)
  csrrwi t0, mscratch, 0x1d
  sw t0, 40(s0)
  csrr t0, mscratch
  sw t0, 44(s0)
  li t1, 0x1003
  csrw mtvec, t1
  csrr t0, mtvec
  sw t0, 48(s0)
  li t1, 0x2003
  csrw mepc, t1
  csrr t0, mepc
  sw t0, 52(s0)
  li t1, -1
  csrw mie, t1
  csrr t0, mie
  sw t0, 56(s0)
  csrw mie, zero
  csrr t0, mip
  sw t0, 60(s0)
  csrr t1, minstret
  nop
  nop
  nop
  nop
  nop
  csrr t2, minstret
  sub t0, t2, t1
  sw t0, 64(s0)
  csrr t1, mcycle
  csrr t2, mcycle
  sub t0, t2, t1
  sw t0, 68(s0)
  li t1, -1
  csrw mstatus, t1
  csrr t0, mstatus
  sw t0, 72(s0)
  csrr t1, instret
  csrr t2, minstret
  sub t3, t2, t1
  li t4, 1
  sub t0, t4, t3               /* 1 exactly when minstret was one more than instret */
  seqz t0, t0
  sw t0, 76(s0)
  li t1, 0x8000000b
  csrw mcause, t1
  csrr t0, mcause
  sw t0, 80(s0)
  li t1, 0x12345678
  csrw mtval, t1
  csrr t0, mtval
  sw t0, 84(s0)
  li t0, 77
  csrrsi t0, mhartid, 0
  sw t0, 88(s0)
  csrci mstatus, 8
  csrci mstatus, 0x10
  li t1, 0x80
  csrc mstatus, t1
  csrr t0, mstatus
  sw t0, 92(s0)
  li a0, 0
  EXIT_WITH(a0)
