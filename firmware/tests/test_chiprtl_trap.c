/* RTL chip test firmware: the host interface and trap reporting. The host writes the mode
 * (enum chiprtl_trap_mode) into hostif.alloc_lo before boot.
 *  - TM_HANDSHAKE: check ring_lo, write fw_state = ready, raise irq, wait for the host to clear it
 *    and ring the doorbell, copy the doorbell into ring_hi, then execute an illegal instruction:
 *    the trap handler reports mcause / mepc / mtval in hostif and sets fw_state = trap, and stops.
 *  - TM_RO_WRITE, TM_NO_TILE, TM_PAST_DRAM: an access the bus refuses (the run ends with a fault). */
#include <stdint.h>

#include "../../tests/chip_rtl/chiprtl_layout.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tfw.h"

#define HIF(off) TFW_REG(TESSERA_HOSTIF_BASE, off)

int main(void);

static void report(struct tfw_trap_frame *f) {
  HIF(TESSERA_HOSTIF_TRAP_CAUSE_OFFSET) = f->mcause;
  HIF(TESSERA_HOSTIF_TRAP_PC_OFFSET) = f->mepc;
  HIF(TESSERA_HOSTIF_TRAP_TVAL_OFFSET) = f->mtval;
  HIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_TRAP;
  for (;;) {
  }
}

int main(void) {
  const uint32_t mode = HIF(TESSERA_HOSTIF_ALLOC_LO_OFFSET);
  switch (mode) {
  case TM_RO_WRITE: TFW_REG(TESSERA_DMA_BASE, TESSERA_DMA_STATUS_OFFSET) = 1; return 1;
  case TM_NO_TILE: return (int)TFW_REG(TESSERA_TILE_ADDR(TESSERA_CFG_TILES), TESSERA_TILE_STATUS_OFFSET);
  case TM_PAST_DRAM: return (int)TFW_REG(TESSERA_DRAM_BASE, TESSERA_DRAM_SIZE);
  default: break;
  }
  if (HIF(TESSERA_HOSTIF_RING_LO_OFFSET) != CHIPRTL_RING_LO) {
    HIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_FATAL;
    return 2;
  }
  HIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_READY;
  HIF(TESSERA_HOSTIF_IRQ_OFFSET) = TESSERA_HOSTIF_IRQ_PENDING_MASK;
  while (HIF(TESSERA_HOSTIF_IRQ_OFFSET) != 0 || HIF(TESSERA_HOSTIF_DOORBELL_OFFSET) == 0) {
  }
  HIF(TESSERA_HOSTIF_RING_HI_OFFSET) = HIF(TESSERA_HOSTIF_DOORBELL_OFFSET);
  tfw_set_trap_handler(report);
  __asm__ volatile(".globl chiprtl_trap_here\nchiprtl_trap_here:\n\t.word 0xffffffff");
  return 3;
}
