/* Smallest runtime check: printf formats, initialised data in DMEM, bss zeroed, exit through
 * main's return value (the runtime's crt0 writes it to simctrl.exit). */
#include "tfw.h"

int main(void);

static int counter = 41;             /* .data: placed in DMEM by the loader */
static volatile uint32_t zeroed[16]; /* .bss */

int main(void) {
  tfw_printf("hello from %s: %d %u 0x%08x %c %s %%\n", "tessera", -7, 7u, 0xbeefu, 'Z', "ok");
  counter++;
  uint32_t sum = 0;
  for (unsigned i = 0; i < 16; i++) sum |= zeroed[i];
  tfw_check("initialised data", (uint32_t)counter, 42u);
  tfw_check("bss zero", sum, 0u);
  tfw_printf("lld %lld llx %llx\n", -1234567890123ll, 0x123456789abcdefull);
  return tfw_done();
}
