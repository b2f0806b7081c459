/* RV32I register and immediate arithmetic: every ALU instruction, shifts by register (only the
 * low 5 bits count), sign extension of immediates, lui/auipc, writes to x0 ignored. */
#include "tfw_test.h"

int main(void) {
  CHECK("add wraps 0x7fffffff+1", RR("add", 0x7fffffffu, 1), 0x80000000u);
  CHECK("add -1+-1", RR("add", 0xffffffffu, 0xffffffffu), 0xfffffffeu);
  CHECK("sub 0-1", RR("sub", 0, 1), 0xffffffffu);
  CHECK("sub 5-7", RR("sub", 5, 7), 0xfffffffeu);
  CHECK("sll by 33 uses 1", RR("sll", 1, 33), 2u);
  CHECK("sll by 32 uses 0", RR("sll", 0x80000001u, 32), 0x80000001u);
  CHECK("sll by 31", RR("sll", 3, 31), 0x80000000u);
  CHECK("srl by 31", RR("srl", 0x80000000u, 31), 1u);
  CHECK("srl by 0xffffffe4 uses 4", RR("srl", 0x80000000u, 0xffffffe4u), 0x08000000u);
  CHECK("sra negative by 4", RR("sra", 0x80000000u, 4), 0xf8000000u);
  CHECK("sra by 0x3f uses 31", RR("sra", 0x80000000u, 0x3f), 0xffffffffu);
  CHECK("sra positive by 4", RR("sra", 0x70000000u, 4), 0x07000000u);
  CHECK("slt -1<1", RR("slt", 0xffffffffu, 1), 1u);
  CHECK("slt 1<-1", RR("slt", 1, 0xffffffffu), 0u);
  CHECK("slt equal", RR("slt", 7, 7), 0u);
  CHECK("sltu 0xffffffff<1", RR("sltu", 0xffffffffu, 1), 0u);
  CHECK("sltu 1<0xffffffff", RR("sltu", 1, 0xffffffffu), 1u);
  CHECK("xor", RR("xor", 0xff00ff00u, 0x0ff00ff0u), 0xf0f0f0f0u);
  CHECK("or", RR("or", 0xff00ff00u, 0x0ff00ff0u), 0xfff0fff0u);
  CHECK("and", RR("and", 0xff00ff00u, 0x0ff00ff0u), 0x0f000f00u);

  CHECK("addi -1", RI("addi", 5, -1), 4u);
  CHECK("addi 2047", RI("addi", 0, 2047), 0x7ffu);
  CHECK("addi -2048 sign-extends", RI("addi", 0, -2048), 0xfffff800u);
  CHECK("slti -5<-4", RI("slti", 0xfffffffbu, -4), 1u);
  CHECK("slti 5<-4", RI("slti", 5, -4), 0u);
  CHECK("sltiu 3<-1 (0xffffffff)", RI("sltiu", 3, -1), 1u);
  CHECK("sltiu 0xffffffff<-1", RI("sltiu", 0xffffffffu, -1), 0u);
  CHECK("sltiu 0xfffffffe<-1", RI("sltiu", 0xfffffffeu, -1), 1u);
  CHECK("xori -1 is not", RI("xori", 0x12345678u, -1), 0xedcba987u);
  CHECK("ori -2048", RI("ori", 1, -2048), 0xfffff801u);
  CHECK("andi 0x7f0", RI("andi", 0xffffffffu, 0x7f0), 0x7f0u);
  CHECK("andi -16", RI("andi", 0x12345678u, -16), 0x12345670u);
  CHECK("slli 31", RI("slli", 1, 31), 0x80000000u);
  CHECK("srli 31", RI("srli", 0x80000000u, 31), 1u);
  CHECK("srai 31", RI("srai", 0x80000000u, 31), 0xffffffffu);
  CHECK("srai 30 positive", RI("srai", 0x40000000u, 30), 1u);
  CHECK("srli 0", RI("srli", 0x80000000u, 0), 0x80000000u);

  uint32_t v;
  __asm__ volatile("lui %0, 0xfffff" : "=r"(v));
  CHECK("lui 0xfffff", v, 0xfffff000u);
  __asm__ volatile("lui %0, 0x80000" : "=r"(v));
  CHECK("lui 0x80000", v, 0x80000000u);
  uint32_t here, label;
  __asm__ volatile("1: auipc %0, 0x1\n\tla %1, 1b" : "=r"(here), "=r"(label));
  CHECK("auipc 1 is pc+0x1000", here - label, 0x1000u);
  __asm__ volatile("1: auipc %0, 0xfffff\n\tla %1, 1b" : "=r"(here), "=r"(label));
  CHECK("auipc 0xfffff is pc-0x1000", label - here, 0x1000u);

  /* x0 stays zero whatever writes it. */
  __asm__ volatile("addi x0, x0, 5\n\tlui x0, 0x12345\n\tadd x0, %1, %1\n\tmv %0, x0" : "=r"(v) : "r"(7u));
  CHECK("x0 ignores addi/lui/add", v, 0u);
  static volatile uint32_t word = 0xdeadbeefu;
  __asm__ volatile("lw x0, 0(%1)\n\tjal x0, 1f\n1:\n\tcsrr x0, mscratch\n\tmv %0, x0" : "=r"(v) : "r"(&word));
  CHECK("x0 ignores lw/jal/csrr", v, 0u);
  return tfw_done();
}
