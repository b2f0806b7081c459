/* CSRs: read/write/set/clear forms on mscratch, identification registers, mstatus.MPP fixed to
 * M, counters advancing, writes to read-only and unknown CSRs trapping as illegal instructions. */
#include "tfw_test.h"

static volatile uint32_t trap_cause, trap_tval, traps;

static void skip_handler(struct tfw_trap_frame *f) {
  trap_cause = f->mcause;
  trap_tval = f->mtval;
  traps++;
  f->mepc += 4;
}

int main(void) {
  uint32_t v, old;
  TFW_CSR_WRITE(mscratch, 0xdeadbeefu);
  CHECK("mscratch write/read", TFW_CSR_READ(mscratch), 0xdeadbeefu);
  __asm__ volatile("csrrs %0, mscratch, %1" : "=r"(old) : "r"(0x00000010u));
  CHECK("csrrs returns old", old, 0xdeadbeefu);
  CHECK("csrrs sets bits", TFW_CSR_READ(mscratch), 0xdeadbeffu);
  __asm__ volatile("csrrc %0, mscratch, %1" : "=r"(old) : "r"(0xff0000ffu));
  CHECK("csrrc returns old", old, 0xdeadbeffu);
  CHECK("csrrc clears bits", TFW_CSR_READ(mscratch), 0x00adbe00u);
  __asm__ volatile("csrrwi %0, mscratch, 21" : "=r"(old));
  CHECK("csrrwi returns old", old, 0x00adbe00u);
  CHECK("csrrwi writes zimm", TFW_CSR_READ(mscratch), 21u);
  __asm__ volatile("csrrsi %0, mscratch, 10\n\tcsrrci x0, mscratch, 1" : "=r"(old));
  CHECK("csrrsi/csrrci", TFW_CSR_READ(mscratch), 30u);

  CHECK("misa is RV32IM", TFW_CSR_READ(misa), 0x40001100u);
  CHECK("mhartid", TFW_CSR_READ(mhartid), 0u);
  CHECK("mvendorid", TFW_CSR_READ(mvendorid), 0u);
  CHECK("marchid", TFW_CSR_READ(marchid), 0u);
  CHECK("mimpid", TFW_CSR_READ(mimpid), 0u);
  CHECK("mstatus.MPP reads M", TFW_CSR_READ(mstatus) & 0x1800u, 0x1800u);
  TFW_CSR_WRITE(mie, 0xffffffffu);
  CHECK("mie keeps MTIE and MEIE only", TFW_CSR_READ(mie), 0x880u);
  TFW_CSR_WRITE(mie, 0);

  uint32_t a, b;
  __asm__ volatile("csrr %0, minstret\n\tnop\n\tnop\n\tnop\n\tcsrr %1, minstret" : "=&r"(a), "=&r"(b));
  CHECK("minstret counts 4 instructions", b - a, 4u);
  __asm__ volatile("csrr %0, instret\n\tnop\n\tcsrr %1, instret" : "=&r"(a), "=&r"(b));
  CHECK("instret alias counts", b - a, 2u);
  __asm__ volatile("csrr %0, mcycle\n\tnop\n\tnop\n\tnop\n\tnop\n\tcsrr %1, mcycle" : "=&r"(a), "=&r"(b));
  CHECK("mcycle advances at least one per instruction", b - a >= 5u, 1u);
  __asm__ volatile("csrr %0, cycle\n\tnop\n\tcsrr %1, cycle" : "=&r"(a), "=&r"(b));
  CHECK("cycle alias advances", b - a >= 2u, 1u);
  __asm__ volatile("csrw mcycle, zero\n\tcsrr %0, mcycle" : "=r"(v));
  CHECK("mcycle write then read is small", v < 16u, 1u);
  __asm__ volatile("csrw minstret, %1\n\tcsrr %0, minstret" : "=r"(v) : "r"(1000u));
  CHECK("minstret write", v, 1000u);
  __asm__ volatile("csrw minstreth, %1\n\tcsrr %0, minstreth" : "=r"(v) : "r"(7u));
  CHECK("minstreth write", v, 7u);

  tfw_set_trap_handler(skip_handler);
  __asm__ volatile("csrw mhartid, x0"); /* csrrw x0, 0xf14, x0 = 0xf1401073 */
  CHECK("write mhartid traps", traps, 1u);
  CHECK("  cause illegal", trap_cause, 2u);
  CHECK("  tval is the instruction", trap_tval, 0xf1401073u);
  __asm__ volatile("csrr %0, mhartid" : "=r"(v)); /* csrrs with x0: no write, no trap */
  CHECK("read mhartid does not trap", traps, 1u);
  __asm__ volatile("csrw cycle, %0" ::"r"(5u)); /* csrrw x0, 0xc00, a? : read-only alias */
  CHECK("write cycle traps", traps, 2u);
  CHECK("  cause illegal", trap_cause, 2u);
  __asm__ volatile("csrs instret, %0" ::"r"(1u));
  CHECK("set bits in instret traps", traps, 3u);
  __asm__ volatile("csrr %0, 0x7c0" : "=r"(v)); /* 0x7c0: no such CSR; csrrs a?, 0x7c0, x0 */
  CHECK("read unknown CSR traps", traps, 4u);
  CHECK("  cause illegal", trap_cause, 2u);
  __asm__ volatile(".word 0x3a001073"); /* csrw pmpcfg0, x0: not implemented */
  CHECK("write pmpcfg0 traps", traps, 5u);
  CHECK("  tval is the instruction", trap_tval, 0x3a001073u);
  __asm__ volatile(".word 0x00004073"); /* SYSTEM funct3 4: reserved */
  CHECK("SYSTEM funct3=4 traps", traps, 6u);
  tfw_set_trap_handler(0);
  return tfw_done();
}
