/* The RTL simulation-control block, driven through its C harness: console, exit, cycle counter
 * and every bus-error rule of docs/registers.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/map.h"
#include "tsim_simctrl.h"

static int setup(void **state) {
  *state = tsim_simctrl_open(NULL);
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  tsim_simctrl_close(*state);
  return 0;
}

static void console_prints_low_byte_of_each_write(void **state) {
  tsim_simctrl *s = *state;
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_CONSOLE_OFFSET, 0x12345648u, 0xF), TSIM_OK);
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_CONSOLE_OFFSET, 'i', 0x1), TSIM_OK);
  char buf[8] = {0};
  assert_int_equal(tsim_simctrl_console(s, buf, sizeof buf), 2);
  assert_string_equal(buf, "Hi");
  assert_int_equal(tsim_simctrl_console(s, buf, sizeof buf), 0); /* drained */
}

static void exit_records_strobed_code(void **state) {
  tsim_simctrl *s = *state;
  uint32_t code = 0;
  assert_int_equal(tsim_simctrl_exited(s, &code), 0);
  /* Only byte lane 0 is written: the code is the low byte of the data. */
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_EXIT_OFFSET, 0xdeadbe2au, 0x1), TSIM_OK);
  assert_int_equal(tsim_simctrl_exited(s, &code), 1);
  assert_int_equal(code, 0x2a);
}

static void exit_full_word(void **state) {
  tsim_simctrl *s = *state;
  uint32_t code = 0;
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_EXIT_OFFSET, 0x80000003u, 0xF), TSIM_OK);
  assert_int_equal(tsim_simctrl_exited(s, &code), 1);
  assert_int_equal(code, 0x80000003u);
}

/* A read takes exactly two cycles (decode, answer): reads N idle cycles apart differ by N + 2. */
static void cycle_counter_counts_every_cycle(void **state) {
  tsim_simctrl *s = *state;
  uint32_t a = 0, b = 0, hi = 1;
  assert_int_equal(tsim_simctrl_read(s, TESSERA_SIMCTRL_CYCLE_LO_OFFSET, &a), TSIM_OK);
  tsim_simctrl_step(s, 1000);
  assert_int_equal(tsim_simctrl_read(s, TESSERA_SIMCTRL_CYCLE_LO_OFFSET, &b), TSIM_OK);
  assert_int_equal(b - a, 1002);
  assert_int_equal(tsim_simctrl_read(s, TESSERA_SIMCTRL_CYCLE_HI_OFFSET, &hi), TSIM_OK);
  assert_int_equal(hi, 0);
  /* The value read is the count before the request's first edge, so the harness stands at
   * b + 2 after that read and b + 4 after the cycle_hi read. */
  assert_int_equal((uint64_t)b + 2, tsim_simctrl_cycles(s) - 2);
}

static void bus_errors(void **state) {
  tsim_simctrl *s = *state;
  uint32_t v = 0xffffffffu;
  assert_int_equal(tsim_simctrl_read(s, TESSERA_SIMCTRL_CONSOLE_OFFSET, &v), TSIM_ERR_BUS);
  assert_int_equal(v, 0);
  assert_int_equal(tsim_simctrl_read(s, TESSERA_SIMCTRL_EXIT_OFFSET, &v), TSIM_ERR_BUS);
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_CYCLE_LO_OFFSET, 1, 0xF), TSIM_ERR_BUS);
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_CYCLE_HI_OFFSET, 1, 0xF), TSIM_ERR_BUS);
  assert_int_equal(tsim_simctrl_read(s, 0x10, &v), TSIM_ERR_BUS);
  assert_int_equal(tsim_simctrl_write(s, 0xffc, 0, 0xF), TSIM_ERR_BUS);
  /* A console write that does not include byte lane 0 prints nothing and errs. */
  assert_int_equal(tsim_simctrl_write(s, TESSERA_SIMCTRL_CONSOLE_OFFSET, 0x4100, 0x2), TSIM_ERR_BUS);
  char buf[4];
  assert_int_equal(tsim_simctrl_console(s, buf, sizeof buf), 0);
  /* Errors have no side effects on exit. */
  assert_int_equal(tsim_simctrl_exited(s, NULL), 0);
  /* Offsets outside the block and illegal strobes are refused before reaching the bus. */
  assert_int_equal(tsim_simctrl_read(s, TESSERA_SIMCTRL_SIZE, &v), TSIM_ERR_ARG);
  assert_int_equal(tsim_simctrl_write(s, 0, 0, 0x5), TSIM_ERR_ARG);
  assert_int_equal(tsim_simctrl_write(s, 0, 0, 0x0), TSIM_ERR_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(console_prints_low_byte_of_each_write, setup, teardown),
      cmocka_unit_test_setup_teardown(exit_records_strobed_code, setup, teardown),
      cmocka_unit_test_setup_teardown(exit_full_word, setup, teardown),
      cmocka_unit_test_setup_teardown(cycle_counter_counts_every_cycle, setup, teardown),
      cmocka_unit_test_setup_teardown(bus_errors, setup, teardown),
  };
  return cmocka_run_group_tests_name("simctrl_rtl", tests, NULL, NULL);
}
