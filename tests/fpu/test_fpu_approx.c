/* The RTL vector-unit approximations (rtl/fpu/tnum_{exp,recip,rsqrt,tanh,gelu}.sv, through
 * sim/include/tsim_fpu.h) against the C golden library (common/numerics/tnum_approx.c) on the
 * same vectors, bit for bit: special values and boundaries, every bf16 value, and fixed-seed
 * random inputs (all bit patterns, and the busy range 2^-27 <= |x| < 2^9), about 330K per
 * function. A unit whose supported_o bit is clear is reported as skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/numerics.h"
#include "tsim_fpu.h"

#define N_RANDOM 262144u

static tsim_fpu *fpu;

static int group_setup(void **state) {
  (void)state;
  fpu = tsim_fpu_open(NULL);
  return fpu ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  tsim_fpu_close(fpu);
  return 0;
}

static uint32_t rng_state;
static uint32_t rng(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

/* Operands: boundaries of every path of the five functions, every bf16, random. */
static size_t make_vectors(uint32_t *a, uint32_t seed) {
  static const uint32_t specials[] = {
      0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xffbfffffu,
      0x00000001u, 0x80000001u, 0x007fffffu, 0x807fffffu, 0x00400000u, 0x00200000u, 0x00800000u, 0x7f7fffffu,
      0xff7fffffu, 0x3f800000u, 0xbf800000u, 0x3f7fffffu, 0x3f800001u, 0x40000000u, 0x40400000u, 0x7f000000u,
      0x7e800000u, 0x42b17217u, 0x42b17218u, 0xc2aeac4fu, 0xc2aeac50u, 0xc2ce8ed0u, 0xc2cff1b4u, 0xc2d00000u,
      0x43000000u, 0xc3000000u, 0x42ffffffu, 0xc2ffffffu, 0x3d800000u, 0x3d7fffffu, 0xbd800000u, 0xbd7fffffu,
      0x41800000u, 0x417fffffu, 0xc1800000u, 0xc17fffffu, 0x41100000u, 0xc1200000u, 0x33800000u, 0xb3800000u,
  };
  size_t n = 0;
  for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) a[n++] = specials[i];
  for (uint32_t h = 0; h < 0x10000u; h++) a[n++] = h << 16;
  rng_state = seed;
  for (uint32_t k = 0; k < N_RANDOM; k++) {
    const uint32_t r = rng();
    if (k & 1u)
      a[n++] = r;
    else
      a[n++] = (r & 0x80000000u) | ((100u + (r >> 23) % 36u) << 23) | (rng() & 0x7fffffu);
  }
  return n;
}

static void rtl_equals_c(enum tnum_op op, uint32_t (*f)(uint32_t), const char *name, uint32_t seed) {
  const size_t cap = 64 + 0x10000u + N_RANDOM;
  uint32_t *a = malloc(cap * sizeof *a);
  uint32_t *r = malloc(cap * sizeof *r);
  assert_non_null(a);
  assert_non_null(r);
  const size_t n = make_vectors(a, seed);
  const tsim_fpu_status st = tsim_fpu_run(fpu, op, n, a, NULL, NULL, r);
  if (st == TSIM_FPU_UNSUPPORTED) {
    free(a);
    free(r);
    print_message("# %s: no RTL unit (supported_o bit clear)\n", name);
    skip();
  }
  assert_int_equal(st, TSIM_FPU_OK);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t want = f(a[i]);
    if (r[i] != want && bad++ < 8) print_message("# %s(%08x): rtl %08x, C %08x\n", name, a[i], r[i], want);
  }
  print_message("# %s: %zu vectors, %zu mismatches\n", name, n, bad);
  free(a);
  free(r);
  assert_int_equal(bad, 0);
}

static void exp_rtl_equals_c(void **state) { (void)state; rtl_equals_c(TNUM_F32_EXP, tnum_f32_exp, "f32_exp", 0x1234567u); }
static void recip_rtl_equals_c(void **state) { (void)state; rtl_equals_c(TNUM_F32_RECIP, tnum_f32_recip, "f32_recip", 0x2345678u); }
static void rsqrt_rtl_equals_c(void **state) { (void)state; rtl_equals_c(TNUM_F32_RSQRT, tnum_f32_rsqrt, "f32_rsqrt", 0x3456789u); }
static void tanh_rtl_equals_c(void **state) { (void)state; rtl_equals_c(TNUM_F32_TANH, tnum_f32_tanh, "f32_tanh", 0x456789au); }
static void gelu_rtl_equals_c(void **state) { (void)state; rtl_equals_c(TNUM_F32_GELU, tnum_f32_gelu, "f32_gelu", 0x56789abu); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exp_rtl_equals_c),  cmocka_unit_test(recip_rtl_equals_c), cmocka_unit_test(rsqrt_rtl_equals_c),
      cmocka_unit_test(tanh_rtl_equals_c), cmocka_unit_test(gelu_rtl_equals_c),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
