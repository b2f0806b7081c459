/* A jump to itself left only by an interrupt (run with `tessera run-elf --ext-irq 20000`): the
 * rtl backend must not take the loop for a hung program while an enabled interrupt can still
 * come. The handler reports and exits. */
#include "tfw_test.h"

static void handler(struct tfw_trap_frame *f) {
  if (f->mcause == TFW_MCAUSE_EXTERNAL) {
    tfw_printf("left the loop by the external interrupt\n");
    tfw_exit(0);
  }
  tfw_default_trap_handler(f);
}

int main(void) {
  tfw_set_trap_handler(handler);
  TFW_CSR_SET(mie, TFW_MIE_MEIE);
  tfw_irq_enable();
  tfw_printf("looping until the line rises\n");
  for (;;) __asm__ volatile("" ::: "memory");
}
