/* Chip cmodel test program (tests/chip): byte, halfword and word accesses through the dram window
 * (the ISS's device bus), with sign and zero extension, and a word the host wrote by backdoor at
 * DRAM 0x100 (0x8081f0f1). Exit status: the number of failed checks. */
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tfw.h"

#define B(a) (*(volatile int8_t *)(uintptr_t)(TESSERA_DRAM_BASE + (a)))
#define UB(a) (*(volatile uint8_t *)(uintptr_t)(TESSERA_DRAM_BASE + (a)))
#define H(a) (*(volatile int16_t *)(uintptr_t)(TESSERA_DRAM_BASE + (a)))
#define UH(a) (*(volatile uint16_t *)(uintptr_t)(TESSERA_DRAM_BASE + (a)))
#define W(a) (*(volatile uint32_t *)(uintptr_t)(TESSERA_DRAM_BASE + (a)))

int main(void) {
  tfw_check("host word", W(0x100), 0x8081f0f1u);
  tfw_check("lb sign-extends", (uint32_t)(int32_t)B(0x101), 0xfffffff0u);
  tfw_check("lbu zero-extends", UB(0x103), 0x80u);
  tfw_check("lh sign-extends", (uint32_t)(int32_t)H(0x102), 0xffff8081u);
  tfw_check("lhu zero-extends", UH(0x100), 0xf0f1u);
  W(0x200) = 0x11223344u;
  UB(0x201) = 0xaau;
  UH(0x202) = 0xbeefu;
  tfw_check("sb and sh land in their bytes", W(0x200), 0xbeefaa44u);
  UB(0x207) = 0x5au;
  tfw_check("sb into byte 3", W(0x204), 0x5a000000u);
  return tfw_done() ? 1 : 0;
}
