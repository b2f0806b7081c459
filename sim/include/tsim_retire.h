/* One retired instruction (or one trap) of the controller, as reported by both the RTL core's
 * harness and the instruction-set simulator. Lock-step co-simulation compares these records
 * field by field; docs/firmware.md describes the fields. */
#ifndef TSIM_RETIRE_H
#define TSIM_RETIRE_H

#include <stdint.h>

struct tsim_retire {
  uint64_t order;     /* index of this record since reset (0, 1, 2, ...) */
  uint32_t pc;        /* address of the instruction */
  uint32_t insn;      /* its encoding (0 if the fetch itself faulted) */
  uint8_t rd;         /* destination register written, 0 if none (writes to x0 are not reported) */
  uint32_t rd_value;  /* value written to rd */
  uint8_t mem_wstrb;  /* byte strobes of a store (0: no store) */
  uint32_t mem_addr;  /* aligned word address of the store */
  uint32_t mem_wdata; /* store data in its byte lanes, as on the bus (docs/bus.md) */
  uint8_t trap;       /* 1: this instruction did not retire, it trapped (or an interrupt was taken
                         before it); cause and tval below, pc is the mepc written */
  uint32_t cause;     /* mcause written by the trap */
  uint32_t tval;      /* mtval written by the trap */
};

#endif /* TSIM_RETIRE_H */
