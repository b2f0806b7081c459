/* The external interrupt line (run with `tessera run-elf --ext-irq N`: the line rises at cycle N
 * and stays high). mip.MEIP low at start, the interrupt taken through wfi with mcause 0x8000000B,
 * MEIP following the line, and external before timer when both are pending. */
#include "tfw_test.h"

static volatile uint32_t irqs, causes[4];

static void handler(struct tfw_trap_frame *f) {
  if (f->mcause == TFW_MCAUSE_EXTERNAL) {
    TFW_CSR_CLEAR(mie, TFW_MIE_MEIE); /* the line stays high: mask it */
  } else if (f->mcause == TFW_MCAUSE_TIMER) {
    tfw_timer_set_compare(~0ull);
  } else {
    tfw_default_trap_handler(f);
  }
  if (irqs < 4) causes[irqs] = f->mcause;
  irqs++;
}

int main(void) {
  uint32_t mip0 = TFW_CSR_READ(mip);
  tfw_set_trap_handler(handler);
  CHECK("MEIP low before the line rises", mip0 & TFW_MIE_MEIE, 0u);

  TFW_CSR_SET(mie, TFW_MIE_MEIE);
  tfw_irq_enable();
  while (irqs == 0) tfw_wfi();
  tfw_irq_disable();
  CHECK("one external interrupt", irqs, 1u);
  CHECK("mcause is machine external", causes[0], 0x8000000Bu);
  CHECK("MEIP follows the line", TFW_CSR_READ(mip) & TFW_MIE_MEIE, TFW_MIE_MEIE);
  CHECK("handler masked MEIE", TFW_CSR_READ(mie) & TFW_MIE_MEIE, 0u);

  /* Timer and external both pending when MIE is set: external first, then timer. */
  tfw_timer_set_compare(0);
  TFW_CSR_SET(mie, TFW_MIE_MEIE | TFW_MIE_MTIE);
  tfw_irq_enable();
  for (volatile int spin = 0; irqs < 3 && spin < 1000; spin++) {
  }
  tfw_irq_disable();
  CHECK("two more interrupts", irqs, 3u);
  CHECK("external wins over timer", causes[1], 0x8000000Bu);
  CHECK("then the timer", causes[2], 0x80000007u);
  TFW_CSR_CLEAR(mie, TFW_MIE_MTIE);
  tfw_set_trap_handler(0);
  return tfw_done();
}
