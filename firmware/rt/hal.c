/* The firmware runtime's HAL: console, exit, cycle counter, timer, trap dispatch, test helpers. */
#include "tfw.h"

void tfw_puts(const char *s) {
  while (*s) tfw_putc(*s++);
}

void tfw_exit(uint32_t code) {
  TFW_REG(TESSERA_SIMCTRL_BASE, TESSERA_SIMCTRL_EXIT_OFFSET) = code;
  for (;;) {
  }
}

static void out_console(void *ctx, char c) {
  (void)ctx;
  tfw_putc(c);
}

int tfw_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = tfw_vformat(out_console, 0, fmt, ap);
  va_end(ap);
  return n;
}

uint64_t tfw_cycles(void) {
  uint32_t lo = TFW_REG(TESSERA_SIMCTRL_BASE, TESSERA_SIMCTRL_CYCLE_LO_OFFSET);
  uint32_t hi = TFW_REG(TESSERA_SIMCTRL_BASE, TESSERA_SIMCTRL_CYCLE_HI_OFFSET);
  return (uint64_t)hi << 32 | lo;
}

uint64_t tfw_timer_now(void) {
  uint32_t hi, lo;
  do { /* re-read if the low word wrapped between the two reads */
    hi = TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIME_HI_OFFSET);
    lo = TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIME_LO_OFFSET);
  } while (hi != TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIME_HI_OFFSET));
  return (uint64_t)hi << 32 | lo;
}

void tfw_timer_set_compare(uint64_t when) {
  /* High word to all ones first so no spurious interrupt fires between the two writes. */
  TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIMECMP_HI_OFFSET) = 0xffffffffu;
  TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIMECMP_LO_OFFSET) = (uint32_t)when;
  TFW_REG(TESSERA_TIMER_BASE, TESSERA_TIMER_MTIMECMP_HI_OFFSET) = (uint32_t)(when >> 32);
}

static const char *cause_name(uint32_t cause) {
  switch (cause) {
  case 0: return "misaligned fetch";
  case 1: return "fetch access fault";
  case 2: return "illegal instruction";
  case 3: return "breakpoint";
  case 4: return "misaligned load";
  case 5: return "load access fault";
  case 6: return "misaligned store";
  case 7: return "store access fault";
  case 11: return "ecall";
  case TFW_MCAUSE_TIMER: return "timer interrupt";
  case TFW_MCAUSE_EXTERNAL: return "external interrupt";
  default: return "unknown";
  }
}

void tfw_default_trap_handler(struct tfw_trap_frame *f) {
  tfw_printf("TRAP: cause 0x%08x (%s) pc 0x%08x tval 0x%08x\n", (unsigned)f->mcause, cause_name(f->mcause),
             (unsigned)f->mepc, (unsigned)f->mtval);
  tfw_exit(TFW_TRAP_EXIT_CODE);
}

static tfw_trap_handler handler;

tfw_trap_handler tfw_set_trap_handler(tfw_trap_handler h) {
  tfw_trap_handler old = handler;
  handler = h;
  return old;
}

void tfw_trap_dispatch(struct tfw_trap_frame *f);
void tfw_trap_dispatch(struct tfw_trap_frame *f) {
  if (handler) handler(f);
  else tfw_default_trap_handler(f);
}

unsigned tfw_failures;

void tfw_check(const char *what, uint32_t got, uint32_t want) {
  if (got == want) {
    tfw_printf("ok: %s\n", what);
  } else {
    tfw_printf("FAIL: %s: got 0x%08x want 0x%08x\n", what, (unsigned)got, (unsigned)want);
    tfw_failures++;
  }
}

int tfw_done(void) {
  if (tfw_failures) tfw_printf("FAILED: %u check(s)\n", tfw_failures);
  else tfw_printf("PASSED\n");
  return tfw_failures ? 1 : 0;
}
