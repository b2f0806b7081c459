/* The runtime's own trap report: an illegal instruction with the default handler prints cause,
 * PC and tval on the console and exits with TFW_TRAP_EXIT_CODE (99). The test script finds the
 * address of trap_here with nm and checks the printed line. */
#include "tfw_test.h"

int main(void) {
  tfw_printf("executing an illegal instruction\n");
  __asm__ volatile(".globl trap_here\ntrap_here:\n\t.word 0xffffffff");
  tfw_printf("FAIL: returned from the default trap handler\n");
  return 1;
}
