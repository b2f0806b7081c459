/* Machine timer and wfi: mtimecmp reset value, the timer interrupt taken after wfi (cause,
 * mepc after the wfi), wfi waking without taking the interrupt while mstatus.MIE is clear, and
 * mip.MTIP following mtime >= mtimecmp. */
#include "tfw_test.h"

static volatile uint32_t irqs, irq_cause, irq_epc;
static volatile uint64_t irq_time;

static void handler(struct tfw_trap_frame *f) {
  if (f->mcause == TFW_MCAUSE_TIMER) {
    irqs++;
    irq_cause = f->mcause;
    irq_epc = f->mepc;
    irq_time = tfw_timer_now();
    tfw_timer_set_compare(~0ull); /* acknowledge: no longer pending */
    return;
  }
  tfw_default_trap_handler(f);
}

int main(void) {
  CHECK("mtimecmp_lo resets to all ones", TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIMECMP_LO_OFFSET), 0xffffffffu);
  CHECK("mtimecmp_hi resets to all ones", TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIMECMP_HI_OFFSET), 0xffffffffu);
  CHECK("no timer interrupt pending at reset", TFW_CSR_READ(mip) & TFW_MIE_MTIE, 0u);
  uint64_t t0 = tfw_timer_now(), t1 = tfw_timer_now();
  CHECK("mtime advances", t1 > t0, 1u);

  tfw_set_trap_handler(handler);
  uint64_t due = tfw_timer_now() + 500;
  tfw_timer_set_compare(due);
  tfw_timer_irq_enable();
  tfw_irq_enable();
  uint32_t after_wfi = 0;
  while (irqs == 0) {
    __asm__ volatile("wfi\n\tla %0, 1f\n1:" : "=r"(after_wfi)::"memory");
  }
  tfw_irq_disable();
  CHECK("one timer interrupt", irqs, 1u);
  CHECK("mcause is machine timer", irq_cause, 0x80000007u);
  CHECK("taken at or after mtimecmp", irq_time >= due, 1u);
  CHECK("mepc is an instruction after the wfi", irq_epc - (after_wfi - 8u) <= 8u, 1u);

  /* MIE clear: wfi wakes up when the timer is pending, no interrupt is taken. */
  tfw_timer_set_compare(tfw_timer_now() + 300);
  __asm__ volatile("wfi" ::: "memory");
  CHECK("woke with MTIP pending", TFW_CSR_READ(mip) & TFW_MIE_MTIE, TFW_MIE_MTIE);
  CHECK("no interrupt taken with MIE clear", irqs, 1u);
  tfw_timer_set_compare(~0ull);
  CHECK("MTIP clears when mtimecmp moves up", TFW_CSR_READ(mip) & TFW_MIE_MTIE, 0u);

  /* An interrupt becomes pending while running: taken between instructions. */
  tfw_timer_set_compare(tfw_timer_now() + 200);
  tfw_irq_enable();
  volatile uint32_t spin = 0;
  while (irqs == 1 && spin < 100000u) spin++;
  tfw_irq_disable();
  CHECK("interrupt taken while running", irqs, 2u);
  tfw_timer_irq_disable();
  tfw_set_trap_handler(0);
  return tfw_done();
}
