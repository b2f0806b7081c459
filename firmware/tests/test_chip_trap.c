/* Chip cmodel test program (tests/chip, tests/driver): report an unexpected trap the way the
 * firmware does (docs/chip.md, "Host interface and boot"): write trap_cause, trap_pc and trap_tval,
 * then fw_state = trap, and stop. Before trapping it says ready and stores the address of the
 * trapping instruction at DRAM word 0 so the host can check trap_pc. */
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tfw.h"

#define HOSTIF(off) TFW_REG(TESSERA_HOSTIF_BASE, off)

static void report(struct tfw_trap_frame *f) {
  HOSTIF(TESSERA_HOSTIF_TRAP_CAUSE_OFFSET) = f->mcause;
  HOSTIF(TESSERA_HOSTIF_TRAP_PC_OFFSET) = f->mepc;
  HOSTIF(TESSERA_HOSTIF_TRAP_TVAL_OFFSET) = f->mtval;
  HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_TRAP;
  for (;;) tfw_wfi(); /* stopped: nothing enabled wakes the hart */
}

extern const uint32_t chip_trap_here[];

int main(void) {
  tfw_set_trap_handler(report);
  *(volatile uint32_t *)(uintptr_t)TESSERA_DRAM_BASE = (uint32_t)(uintptr_t)chip_trap_here;
  HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_READY;
  __asm__ volatile(".globl chip_trap_here\nchip_trap_here:\n\t.word 0xffffffff");
  return 1;
}
