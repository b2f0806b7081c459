/* A load outside every region ends the run (exit status 4) with a message naming the address and
 * the PC (the script finds the address of bad_load with nm). */
#include "tfw_test.h"

int main(void) {
  tfw_printf("loading from 0x30000000\n");
  uint32_t v;
  __asm__ volatile("li t0, 0x30000000\n.globl bad_load\nbad_load:\n\tlw %0, 0(t0)" : "=r"(v)::"t0");
  tfw_printf("FAIL: the load returned 0x%08x\n", (unsigned)v);
  return 1;
}
