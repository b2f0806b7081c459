/* Driver test firmware (tests/driver): stops at boot the way the firmware does on a bad ring
 * (docs/chip.md, "Host interface and boot"): fw_status and fw_detail in the ring control block,
 * then fw_state = fatal. The code and detail are fixed values the test looks for. */
#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tessera/proto.h"
#include "tfw.h"

#define HOSTIF(off) TFW_REG(TESSERA_HOSTIF_BASE, off)
#define FATAL_CODE 6u
#define FATAL_DETAIL 0x0badf00du

int main(void) {
  uint32_t ring = TESSERA_DRAM_BASE + HOSTIF(TESSERA_HOSTIF_RING_LO_OFFSET);
  *(volatile uint32_t *)(uintptr_t)(ring + offsetof(struct tproto_ring, fw_detail)) = FATAL_DETAIL;
  *(volatile uint32_t *)(uintptr_t)(ring + offsetof(struct tproto_ring, fw_status)) = FATAL_CODE;
  HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_FATAL;
  for (;;) tfw_wfi();
}
