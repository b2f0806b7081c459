/* The firmware's printf formatting (firmware/lib/tfw_format.c), compiled for the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tfw_format.h"

#define EXPECT(want, ...)                                         \
  do {                                                            \
    char b_[128];                                                 \
    int n_ = tfw_snprintf(b_, sizeof b_, __VA_ARGS__);            \
    assert_string_equal(b_, want);                                \
    assert_int_equal(n_, (int)strlen(want));                      \
  } while (0)

static void integers(void **state) {
  (void)state;
  EXPECT("0", "%d", 0);
  EXPECT("-7 7", "%d %i", -7, 7);
  EXPECT("-2147483648", "%d", (int)0x80000000u);
  EXPECT("2147483647", "%d", 0x7fffffff);
  EXPECT("4294967295", "%u", 0xffffffffu);
  EXPECT("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
  EXPECT("0000beef", "%08x", 0xbeefu);
  EXPECT("12345678", "%08x", 0x12345678u);
  EXPECT("ffffffff", "%x", 0xffffffffu);
  EXPECT("   42", "%5d", 42);
  EXPECT("42   |", "%-5d|", 42);
  EXPECT("-0042", "%05d", -42);
  EXPECT("  -42", "%5d", -42);
  EXPECT("12", "%1d", 12);
}

static void long_long(void **state) {
  (void)state;
  EXPECT("-1234567890123", "%lld", -1234567890123ll);
  EXPECT("-9223372036854775808", "%lld", (long long)0x8000000000000000ull);
  EXPECT("18446744073709551615", "%llu", 0xffffffffffffffffull);
  EXPECT("123456789abcdef", "%llx", 0x123456789abcdefull);
  EXPECT("00000000ffffffff", "%016llx", 0xffffffffull);
  EXPECT("-5", "%ld", -5l);
}

static void strings_chars_percent(void **state) {
  (void)state;
  EXPECT("hello", "%s", "hello");
  EXPECT("[  ab]", "[%4s]", "ab");
  EXPECT("[ab  ]", "[%-4s]", "ab");
  const char *volatile nothing = NULL;
  EXPECT("(null)", "%s", nothing);
  EXPECT("x=Z", "x=%c", 'Z');
  EXPECT("100%", "100%%");
  EXPECT("", "%s", "");
}

static void truncation_and_count(void **state) {
  (void)state;
  char b[6];
  assert_int_equal(tfw_snprintf(b, sizeof b, "%d-%s", 12345, "abc"), 9);
  assert_string_equal(b, "12345");
  assert_int_equal(tfw_snprintf(NULL, 0, "%x", 0xabcu), 3);
  char one[1] = {'q'};
  assert_int_equal(tfw_snprintf(one, 1, "xyz"), 3);
  assert_int_equal(one[0], 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(integers),
      cmocka_unit_test(long_long),
      cmocka_unit_test(strings_chars_percent),
      cmocka_unit_test(truncation_and_count),
  };
  return cmocka_run_group_tests_name("firmware_printf", tests, NULL, NULL);
}
