/* Control transfer: every branch taken and not taken (signed and unsigned), jal and jalr link
 * values, jalr clearing bit 0 of the target, jalr with rd == rs1. */
#include "tfw_test.h"

int main(void) {
  CHECK("beq taken", BR("beq", 5, 5), 1u);
  CHECK("beq not taken", BR("beq", 5, 6), 0u);
  CHECK("bne taken", BR("bne", 5, 6), 1u);
  CHECK("bne not taken", BR("bne", 5, 5), 0u);
  CHECK("blt -1<1 taken", BR("blt", 0xffffffffu, 1), 1u);
  CHECK("blt 1<-1 not taken", BR("blt", 1, 0xffffffffu), 0u);
  CHECK("blt equal not taken", BR("blt", 3, 3), 0u);
  CHECK("bge equal taken", BR("bge", 3, 3), 1u);
  CHECK("bge 1>=-1 taken", BR("bge", 1, 0xffffffffu), 1u);
  CHECK("bge -1>=1 not taken", BR("bge", 0xffffffffu, 1), 0u);
  CHECK("bltu 1<0xffffffff taken", BR("bltu", 1, 0xffffffffu), 1u);
  CHECK("bltu 0xffffffff<1 not taken", BR("bltu", 0xffffffffu, 1), 0u);
  CHECK("bgeu 0xffffffff>=1 taken", BR("bgeu", 0xffffffffu, 1), 1u);
  CHECK("bgeu 1>=0xffffffff not taken", BR("bgeu", 1, 0xffffffffu), 0u);
  CHECK("bgeu equal taken", BR("bgeu", 0x80000000u, 0x80000000u), 1u);

  /* Backward branch: a loop of 5 iterations. */
  uint32_t n;
  __asm__ volatile("li %0, 0\n\tli t0, 5\n1:\n\taddi %0, %0, 3\n\taddi t0, t0, -1\n\tbnez t0, 1b"
                   : "=&r"(n)::"t0");
  CHECK("backward branch loop", n, 15u);

  uint32_t link, expect;
  __asm__ volatile("jal %0, 1f\n2:\n\tnop\n1:\n\tla %1, 2b" : "=&r"(link), "=&r"(expect));
  CHECK("jal link is pc+4", link, expect);
  uint32_t skipped;
  __asm__ volatile("li %0, 0\n\tjal x0, 1f\n\tli %0, 1\n1:" : "=&r"(skipped));
  CHECK("jal skips", skipped, 0u);

  __asm__ volatile("la t0, 1f + 1\n\tjalr %0, 0(t0)\n2:\n\tnop\n1:\n\tla %1, 2b"
                   : "=&r"(link), "=&r"(expect)::"t0");
  CHECK("jalr clears bit 0, link pc+4", link, expect);
  __asm__ volatile("la t0, 1f + 8\n\tjalr %0, -8(t0)\n2:\n\tnop\n1:\n\tla %1, 2b"
                   : "=&r"(link), "=&r"(expect)::"t0");
  CHECK("jalr negative offset", link, expect);
  __asm__ volatile("la %0, 1f\n\tjalr %0, 0(%0)\n2:\n\tnop\n1:\n\tla %1, 2b" : "=&r"(link), "=&r"(expect));
  CHECK("jalr rd == rs1 uses old rs1", link, expect);
  return tfw_done();
}
