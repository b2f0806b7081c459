/* A program that never ends: run-elf --max-cycles stops it (exit status 3). */
#include "tfw_test.h"

int main(void) {
  tfw_printf("looping forever\n");
  for (;;) __asm__ volatile("" ::: "memory");
}
