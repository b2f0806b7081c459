/* Reading the write-only console register is a bus error inside the simctrl block: the run ends
 * with exit status 4 and a message naming the address and the PC. */
#include "tfw_test.h"

int main(void) {
  tfw_printf("reading simctrl.console\n");
  uint32_t v = TFW_REG(TESSERA_SIMCTRL_BASE, TESSERA_SIMCTRL_CONSOLE_OFFSET);
  tfw_printf("FAIL: the read returned 0x%08x\n", (unsigned)v);
  return 1;
}
