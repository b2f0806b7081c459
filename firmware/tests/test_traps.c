/* Synchronous traps: ecall, ebreak, illegal instructions, misaligned load/store/jump/branch.
 * Each checks mcause, mepc and mtval as the handler saw them, and that mret resumes where the
 * handler asked (it skips the trapping instruction). */
#include "tfw_test.h"

static volatile uint32_t t_cause, t_epc, t_tval, t_mstatus, traps;
static volatile uint32_t word[2] = {0x11223344u, 0x55667788u};

static void handler(struct tfw_trap_frame *f) {
  t_cause = f->mcause;
  t_epc = f->mepc;
  t_tval = f->mtval;
  t_mstatus = TFW_CSR_READ(mstatus);
  traps++;
  f->mepc += 4;
}

static void expect(const char *what, uint32_t n, uint32_t cause, uint32_t epc, uint32_t tval) {
  tfw_printf("-- %s\n", what);
  CHECK("  trapped once", traps, n);
  CHECK("  mcause", t_cause, cause);
  CHECK("  mepc", t_epc, epc);
  CHECK("  mtval", t_tval, tval);
}

int main(void) {
  uint32_t pc, v;
  tfw_set_trap_handler(handler);
  __asm__ volatile("la %0, 1f\n1:\n\tecall" : "=r"(pc));
  expect("ecall", 1, 11, pc, 0);
  CHECK("  MIE clear in the handler", t_mstatus & 0x8u, 0u);
  __asm__ volatile("la %0, 1f\n1:\n\tebreak" : "=r"(pc));
  expect("ebreak", 2, 3, pc, 0);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0x00000000" : "=r"(pc));
  expect("illegal all-zero word", 3, 2, pc, 0);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0xffffffff" : "=r"(pc));
  expect("illegal all-ones word", 4, 2, pc, 0xffffffffu);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0x00010001" : "=r"(pc)); /* two c.nop: no C extension */
  expect("compressed instruction", 5, 2, pc, 0x00010001u);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0x40001033" : "=r"(pc)); /* sll with funct7 0x20 */
  expect("OP funct7 0x20 on sll", 6, 2, pc, 0x40001033u);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0x00001067" : "=r"(pc)); /* jalr with funct3 1 */
  expect("jalr funct3 1", 7, 2, pc, 0x00001067u);

  uintptr_t base = (uintptr_t)word;
  traps = 0;
  __asm__ volatile("la %0, 1f\n1:\n\tlw %1, 1(%2)" : "=&r"(pc), "=&r"(v) : "r"(base));
  expect("lw at +1", 1, 4, pc, (uint32_t)base + 1);
  __asm__ volatile("la %0, 1f\n1:\n\tlh %1, 3(%2)" : "=&r"(pc), "=&r"(v) : "r"(base));
  expect("lh at +3", 2, 4, pc, (uint32_t)base + 3);
  __asm__ volatile("la %0, 1f\n1:\n\tlhu %1, 1(%2)" : "=&r"(pc), "=&r"(v) : "r"(base));
  expect("lhu at +1", 3, 4, pc, (uint32_t)base + 1);
  CHECK("lh at +2 is aligned", LD("lh", (volatile uint32_t *)base, 2), 0x00001122u);
  CHECK("  no trap", traps, 3u);
  __asm__ volatile("la %0, 1f\n1:\n\tsw zero, 2(%1)" : "=&r"(pc) : "r"(base) : "memory");
  expect("sw at +2", 4, 6, pc, (uint32_t)base + 2);
  __asm__ volatile("la %0, 1f\n1:\n\tsh zero, 1(%1)" : "=&r"(pc) : "r"(base) : "memory");
  expect("sh at +1", 5, 6, pc, (uint32_t)base + 1);
  CHECK("misaligned store wrote nothing", word[0], 0x11223344u);

  uint32_t target, link = 0x5a5a5a5au;
  __asm__ volatile("la %1, 2f\n\taddi %1, %1, 2\n\tmv %2, %1\n\tla %0, 1f\n1:\n\tjalr %2, 0(%2)\n2:\n\tnop"
                   : "=&r"(pc), "=&r"(target), "+&r"(link));
  expect("jalr to pc+2", 6, 0, pc, target);
  CHECK("  link register not written", link, target);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0x0060006f\n\tnop\n\tnop" : "=r"(pc)); /* jal x0, +6 */
  expect("jal +6", 7, 0, pc, pc + 6);
  __asm__ volatile("la %0, 1f\n1:\n\t.word 0x00000363\n\tnop\n\tnop" : "=r"(pc)); /* beq x0, x0, +6 */
  expect("taken beq +6", 8, 0, pc, pc + 6);
  __asm__ volatile(".word 0x00001363\n\tnop\n\tnop"); /* bne x0, x0, +6: not taken, no trap */
  CHECK("not-taken branch to a misaligned target does not trap", traps, 8u);

  /* mret restores MIE from MPIE: enter with MIE set (no interrupt enabled in mie). */
  tfw_irq_enable();
  __asm__ volatile("ecall");
  CHECK("MIE clear inside the handler", t_mstatus & 0x8u, 0u);
  CHECK("MPIE set inside the handler", t_mstatus & 0x80u, 0x80u);
  CHECK("MIE restored by mret", TFW_CSR_READ(mstatus) & 0x8u, 0x8u);
  tfw_irq_disable();
  tfw_set_trap_handler(0);
  return tfw_done();
}
