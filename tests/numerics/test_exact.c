/* The exact operations of the numerics library (common/numerics/) against independent references
 * (tests/numerics/ref_ieee.h: the host's IEEE arithmetic, nearest-value searches over enumerated
 * grids). Exhaustive where the input space allows, fixed-seed random mixtures and corner lists
 * elsewhere. The make-test tier; bench_exact.c runs millions more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref_ieee.h"
#include "tessera/numerics.h"

#define N_RANDOM 200000

/* Count a mismatch and print the first few. */
struct tally {
  const char *what;
  unsigned long n, bad;
};

static void check(struct tally *t, uint32_t got, uint32_t want, uint32_t a, uint32_t b, uint32_t c) {
  t->n++;
  if (got == want) return;
  if (t->bad++ < 8)
    print_message("# %s(%08x, %08x, %08x) = %08x, reference %08x\n", t->what, a, b, c, got, want);
}

static void done(struct tally *t) {
  print_message("# %s: %lu vectors, %lu mismatches\n", t->what, t->n, t->bad);
  assert_true(t->n > 0);
  assert_int_equal(t->bad, 0);
}

/* --- bf16 ------------------------------------------------------------------------------------ */

static void bf16_to_f32_every_code(void **state) {
  (void)state;
  struct tally t = {"bf16_to_f32", 0, 0};
  for (uint32_t h = 0; h < 0x10000u; h++) check(&t, tnum_bf16_to_f32((uint16_t)h), ref_bf16_to_f32(h), h, 0, 0);
  done(&t);
}

static void f32_to_bf16_structured_and_random(void **state) {
  (void)state;
  struct tally t = {"f32_to_bf16", 0, 0};
  static const uint32_t low[] = {0x0000u, 0x0001u, 0x4000u, 0x7fffu, 0x8000u, 0x8001u, 0xc000u, 0xffffu};
  static const uint32_t high[] = {0x00u, 0x01u, 0x02u, 0x3fu, 0x40u, 0x7eu, 0x7fu};
  for (uint32_t s = 0; s < 2; s++)
    for (uint32_t e = 0; e < 256; e++)
      for (size_t i = 0; i < sizeof high / sizeof high[0]; i++)
        for (size_t j = 0; j < sizeof low / sizeof low[0]; j++) {
          uint32_t a = (s << 31) | (e << 23) | (high[i] << 16) | low[j];
          check(&t, tnum_f32_to_bf16(a), ref_f32_to_bf16(a), a, 0, 0);
        }
  struct ref_rng r = {101};
  for (int i = 0; i < N_RANDOM; i++) {
    uint32_t a = (uint32_t)ref_next(&r);
    check(&t, tnum_f32_to_bf16(a), ref_f32_to_bf16(a), a, 0, 0);
  }
  done(&t);
  /* Hand-checked: a tie rounds to the even neighbour, overflow to infinity, NaN to canonical. */
  assert_int_equal(tnum_f32_to_bf16(0x3f808000u), 0x3f80u);
  assert_int_equal(tnum_f32_to_bf16(0x3f818000u), 0x3f82u);
  assert_int_equal(tnum_f32_to_bf16(0x7f7fffffu), 0x7f80u);
  assert_int_equal(tnum_f32_to_bf16(0xffc00001u), 0x7fc0u);
}

/* --- fp8 ----------------------------------------------------------------------------------- */

static void fp8_to_f32_every_code(void **state) {
  (void)state;
  for (int e4 = 0; e4 < 2; e4++) {
    struct ref_fp8 f;
    ref_fp8_init(&f, e4);
    struct tally t = {e4 ? "e4m3_to_f32" : "e5m2_to_f32", 0, 0};
    for (uint32_t x = 0; x < 256; x++)
      check(&t, e4 ? tnum_e4m3_to_f32((uint8_t)x) : tnum_e5m2_to_f32((uint8_t)x), ref_fp8_to_f32(&f, x), x, 0, 0);
    done(&t);
  }
  /* The format's landmarks, by hand. */
  assert_int_equal(tnum_e4m3_to_f32(0x7e), 0x43e00000u); /* 448 */
  assert_int_equal(tnum_e4m3_to_f32(0x01), 0x3b000000u); /* 2^-9 */
  assert_int_equal(tnum_e4m3_to_f32(0xff), 0x7fc00000u);
  assert_int_equal(tnum_e5m2_to_f32(0x7b), 0x47600000u); /* 57344 */
  assert_int_equal(tnum_e5m2_to_f32(0xfc), 0xff800000u);
  assert_int_equal(tnum_e5m2_to_f32(0x01), 0x37800000u); /* 2^-16 */
}

static uint32_t lib_to_fp8(int e4, uint32_t a) { return e4 ? tnum_f32_to_e4m3(a) : tnum_f32_to_e5m2(a); }

static void check_fp8(struct tally *t, const struct ref_fp8 *f, int e4, uint32_t a) {
  check(t, lib_to_fp8(e4, a), ref_f32_to_fp8(f, a), a, 0, 0);
  check(t, lib_to_fp8(e4, a ^ 0x80000000u), ref_f32_to_fp8(f, a ^ 0x80000000u), a ^ 0x80000000u, 0, 0);
}

/* A float and its neighbours one and two ulps away. */
static void check_fp8_around(struct tally *t, const struct ref_fp8 *f, int e4, float v) {
  uint32_t u = ref_u(v);
  for (int d = -2; d <= 2; d++) {
    uint32_t x = u + (uint32_t)d;
    if ((x & 0x7fffffffu) <= 0x7f800000u) check_fp8(t, f, e4, x);
  }
}

static void f32_to_fp8_all_bf16_values_and_boundaries(void **state) {
  (void)state;
  for (int e4 = 0; e4 < 2; e4++) {
    struct ref_fp8 f;
    ref_fp8_init(&f, e4);
    struct tally t = {e4 ? "f32_to_e4m3" : "f32_to_e5m2", 0, 0};
    for (uint32_t h = 0; h < 0x10000u; h++) check(&t, lib_to_fp8(e4, h << 16), ref_f32_to_fp8(&f, h << 16), h << 16, 0, 0);
    /* Every grid point, every midpoint between neighbours (ties), including the midpoint past
     * the largest finite value (saturation threshold), and their float neighbours. */
    for (uint32_t code = 0; code <= f.max_code; code++) {
      double g = f.val[code], next = code < f.max_code ? f.val[code + 1] : f.val[128];
      check_fp8_around(&t, &f, e4, (float)g);
      check_fp8_around(&t, &f, e4, (float)((g + next) / 2));
    }
    check_fp8_around(&t, &f, e4, (float)f.val[128]);
    check_fp8_around(&t, &f, e4, (float)(f.val[128] * 2));
    /* Below the smallest subnormal: half of it and a quarter, and the f32 extremes. */
    check_fp8_around(&t, &f, e4, (float)(f.val[1] / 2));
    check_fp8_around(&t, &f, e4, (float)(f.val[1] / 4));
    check_fp8_around(&t, &f, e4, FLT_MAX);
    check_fp8_around(&t, &f, e4, FLT_MIN);
    check_fp8(&t, &f, e4, 0x7f800000u);
    check_fp8(&t, &f, e4, 0x7fc00000u);
    check_fp8(&t, &f, e4, 0x7f800001u);
    check_fp8(&t, &f, e4, 0x00000001u);
    struct ref_rng r = {202};
    for (int i = 0; i < N_RANDOM / 4; i++) {
      uint32_t a = (uint32_t)ref_next(&r);
      /* Half of them with exponents in and around the fp8 range. */
      if (i & 1) a = (a & 0x807fffffu) | ((uint32_t)(127 - 30 + (int)ref_below(&r, 50)) << 23);
      check(&t, lib_to_fp8(e4, a), ref_f32_to_fp8(&f, a), a, 0, 0);
    }
    done(&t);
  }
  /* Hand-checked landmarks. */
  assert_int_equal(tnum_f32_to_e4m3(0x43e80000u), 0x7e); /* 464: tie between 448 and 480 -> 448 */
  assert_int_equal(tnum_f32_to_e4m3(0x43f00000u), 0x7e); /* 480 saturates */
  assert_int_equal(tnum_f32_to_e4m3(0xff800000u), 0xfe); /* -inf -> -448 */
  assert_int_equal(tnum_f32_to_e4m3(0xffc00000u), 0x7f); /* negative NaN: sign clear */
  assert_int_equal(tnum_f32_to_e5m2(0x7f800000u), 0x7b);
  assert_int_equal(tnum_f32_to_e5m2(0xffffffffu), 0x7e);
  assert_int_equal(tnum_f32_to_e4m3(0x3a800000u), 0x00); /* 2^-10: tie with 0 -> 0 */
  assert_int_equal(tnum_f32_to_e4m3(0x3a800001u), 0x01);
  assert_int_equal(tnum_f32_to_e4m3(0xba800001u), 0x81);
}

/* Every fp8 x fp8 product (both formats, and mixed) through bf16_fma: fp8 values are bf16 values. */
static void fp8_products_through_bf16_fma(void **state) {
  (void)state;
  struct ref_fp8 f4, f5;
  ref_fp8_init(&f4, 1);
  ref_fp8_init(&f5, 0);
  const struct ref_fp8 *fa[3] = {&f4, &f5, &f4}, *fb[3] = {&f4, &f5, &f5};
  static const uint32_t cs[] = {0x80000000u, 0x00000000u, 0x3f800000u, 0xc1200000u, 0x00000001u, 0x4b7fffffu};
  struct tally t = {"bf16_fma(fp8, fp8)", 0, 0};
  for (int k = 0; k < 3; k++)
    for (uint32_t x = 0; x < 256; x++)
      for (uint32_t y = 0; y < 256; y++) {
        uint32_t a = ref_fp8_to_f32(fa[k], x) >> 16, b = ref_fp8_to_f32(fb[k], y) >> 16;
        for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
          check(&t, tnum_bf16_fma((uint16_t)a, (uint16_t)b, cs[i]), ref_bf16_fma(a, b, cs[i]), a, b, cs[i]);
      }
  done(&t);
}

/* --- binary32 ------------------------------------------------------------------------------ */

static uint32_t corner(size_t i) { /* both signs of every corner value */
  return ref_f32_corners[i / 2] ^ ((i & 1u) ? 0x80000000u : 0u);
}

static void f32_corner_lists(void **state) {
  (void)state;
  struct tally ta = {"f32_add", 0, 0}, tm = {"f32_mul", 0, 0}, tf = {"f32_fma", 0, 0};
  size_t n = 2 * REF_N_CORNERS;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      uint32_t a = corner(i), b = corner(j);
      check(&ta, tnum_f32_add(a, b), ref_add(a, b), a, b, 0);
      check(&tm, tnum_f32_mul(a, b), ref_mul(a, b), a, b, 0);
      for (size_t k = 0; k < n; k++) check(&tf, tnum_f32_fma(a, b, corner(k)), ref_fma(a, b, corner(k)), a, b, corner(k));
    }
  done(&ta);
  done(&tm);
  done(&tf);
}

static void f32_hand_checked(void **state) {
  (void)state;
  assert_int_equal(tnum_f32_add(0x3f800000u, 0x40000000u), 0x40400000u); /* 1 + 2 = 3 */
  assert_int_equal(tnum_f32_add(0x3f800000u, 0xbf800000u), 0x00000000u); /* x + -x = +0 */
  assert_int_equal(tnum_f32_add(0x80000000u, 0x80000000u), 0x80000000u); /* -0 + -0 = -0 */
  assert_int_equal(tnum_f32_add(0x7f800000u, 0xff800000u), 0x7fc00000u); /* inf - inf */
  assert_int_equal(tnum_f32_mul(0x00000000u, 0xff800000u), 0x7fc00000u); /* 0 * inf */
  assert_int_equal(tnum_f32_mul(0x80000000u, 0x3f800000u), 0x80000000u); /* -0 * 1 = -0 */
  assert_int_equal(tnum_f32_add(0x4b800000u, 0x3f800000u), 0x4b800000u); /* 2^24 + 1: tie to even */
  assert_int_equal(tnum_f32_add(0x4b800001u, 0x3f800000u), 0x4b800002u); /* odd: tie rounds up */
  assert_int_equal(tnum_f32_mul(0x00800000u, 0x3f000000u), 0x00400000u); /* subnormal result */
  assert_int_equal(tnum_f32_mul(0x7f7fffffu, 0x40000000u), 0x7f800000u); /* overflow */
  assert_int_equal(tnum_f32_mul(0x00000001u, 0x3f000000u), 0x00000000u); /* 2^-150: tie to 0 */
  assert_int_equal(tnum_f32_mul(0x00000001u, 0x3f400000u), 0x00000001u); /* 0.75 of it: up */
  /* fma: (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46 exactly, which mul-then-add would lose. */
  assert_int_equal(tnum_f32_fma(0x3f800001u, 0x3f7ffffeu, 0xbf800000u), 0xa8800000u);
  assert_int_equal(tnum_f32_fma(0x00000000u, 0x3f800000u, 0x80000000u), 0x00000000u);
  assert_int_equal(tnum_f32_fma(0x80000000u, 0x3f800000u, 0x80000000u), 0x80000000u);
  assert_int_equal(tnum_f32_fma(0x7f800000u, 0x3f800000u, 0xff800000u), 0x7fc00000u);
  assert_int_equal(tnum_f32_fma(0x7fa00000u, 0x3f800000u, 0x3f800000u), 0x7fc00000u); /* sNaN in */
  /* A product 2^-298 far below c = 1 is lost in rounding either way; against c = 2^-149 it
   * decides nothing either; against a subnormal tie it does (2^-149 * 1.5 = 1.5 ulp). */
  assert_int_equal(tnum_f32_fma(0x00000001u, 0x00000001u, 0x3f800000u), 0x3f800000u);
  assert_int_equal(tnum_f32_fma(0x80000001u, 0x00000001u, 0x3f800000u), 0x3f800000u);
  assert_int_equal(tnum_f32_fma(0x00000001u, 0x3fc00000u, 0x00000000u), 0x00000002u);
  assert_int_equal(tnum_f32_fma(0x00000001u, 0x3fc00000u, 0x80000000u), 0x00000002u);
  assert_int_equal(tnum_f32_fma(0x00000001u, 0x3f000000u, 0x00000001u), 0x00000002u); /* 1.5 ulp -> 2 */
  assert_int_equal(tnum_f32_fma(0x00000001u, 0x3f000000u, 0x80000001u), 0x80000000u); /* -0.5 ulp -> -0 */
}

static void f32_random_mixture(void **state) {
  (void)state;
  struct tally ta = {"f32_add", 0, 0}, tm = {"f32_mul", 0, 0}, tf = {"f32_fma", 0, 0}, tb = {"bf16_fma", 0, 0};
  struct ref_rng r = {303};
  for (int i = 0; i < N_RANDOM; i++) {
    uint32_t v[3];
    ref_triple(&r, v);
    check(&ta, tnum_f32_add(v[0], v[2]), ref_add(v[0], v[2]), v[0], v[2], 0);
    check(&tm, tnum_f32_mul(v[0], v[1]), ref_mul(v[0], v[1]), v[0], v[1], 0);
    check(&tf, tnum_f32_fma(v[0], v[1], v[2]), ref_fma(v[0], v[1], v[2]), v[0], v[1], v[2]);
    /* bf16_fma on the top halves (with c from the same mixture). */
    uint32_t a = v[0] >> 16, b = v[1] >> 16;
    check(&tb, tnum_bf16_fma((uint16_t)a, (uint16_t)b, v[2]), ref_bf16_fma(a, b, v[2]), a, b, v[2]);
  }
  done(&ta);
  done(&tm);
  done(&tf);
  done(&tb);
}

/* The one-datapath identities the RTL relies on. */
static void add_and_mul_are_fma(void **state) {
  (void)state;
  struct ref_rng r = {404};
  for (int i = 0; i < 20000; i++) {
    uint32_t v[3];
    ref_triple(&r, v);
    assert_int_equal(tnum_f32_add(v[0], v[2]), tnum_f32_fma(v[0], 0x3f800000u, v[2]));
    assert_int_equal(tnum_f32_mul(v[0], v[1]), tnum_f32_fma(v[0], v[1], 0x80000000u));
    assert_int_equal(tnum_bf16_fma((uint16_t)v[0], (uint16_t)v[1], v[2]),
                     tnum_f32_fma(v[0] << 16, v[1] << 16, v[2]));
  }
}

static void round_pack_building_block(void **state) {
  (void)state;
  assert_int_equal(tnum_f32_round_pack(false, 0, 1), 0x3f800000u);
  assert_int_equal(tnum_f32_round_pack(true, -1, 3), 0xbfc00000u);
  assert_int_equal(tnum_f32_round_pack(true, 5, 0), 0x80000000u);
  assert_int_equal(tnum_f32_round_pack(false, -149, 1), 0x00000001u);
  assert_int_equal(tnum_f32_round_pack(false, -150, 1), 0x00000000u); /* tie to even: 0 */
  assert_int_equal(tnum_f32_round_pack(false, -150, 3), 0x00000002u); /* 1.5 -> 2 */
  assert_int_equal(tnum_f32_round_pack(false, 128, 1), 0x7f800000u);
  assert_int_equal(tnum_f32_round_pack(false, 2000000000, 1), 0x7f800000u);
  assert_int_equal(tnum_f32_round_pack(false, -2000000000, ~0ull), 0x00000000u);
  assert_int_equal(tnum_f32_round_pack(false, 0, (1ull << 24) + 1), 0x4b800000u); /* tie, even */
  assert_int_equal(tnum_f32_round_pack(false, 0, (1ull << 24) + 3), 0x4b800002u);
  assert_int_equal(tnum_f32_round_pack(false, -64, ~0ull), 0x3f800000u); /* rounds into 2^0 */
}

/* --- Operation table and tnum_eval ------------------------------------------------------------- */

static void op_table_and_eval(void **state) {
  (void)state;
  static const char *names[] = {"f32_add", "f32_mul", "f32_fma", "bf16_fma", "f32_to_bf16",
                                "bf16_to_f32", "f32_to_e4m3", "f32_to_e5m2", "e4m3_to_f32", "e5m2_to_f32",
                                "f32_exp", "f32_recip", "f32_rsqrt", "f32_tanh", "f32_gelu"};
  assert_int_equal(TNUM_OP_COUNT, 15);
  for (int i = 0; i < TNUM_OP_COUNT; i++) {
    assert_int_equal(tnum_op_by_name(names[i]), i);
    const struct tnum_op_info *in = tnum_op_info((enum tnum_op)i);
    assert_non_null(in);
    assert_string_equal(in->name, names[i]);
    for (int k = 0; k < 3; k++) assert_true((in->bits[k] != 0) == (k < in->nargs));
  }
  assert_int_equal(tnum_op_info(TNUM_BF16_FMA)->bits[0], 16);
  assert_int_equal(tnum_op_info(TNUM_BF16_FMA)->bits[2], 32);
  assert_int_equal(tnum_op_info(TNUM_F32_TO_E4M3)->result_bits, 8);
  assert_int_equal(tnum_op_info(TNUM_E5M2_TO_F32)->bits[0], 8);
  assert_null(tnum_op_info(TNUM_OP_COUNT));
  assert_int_equal(tnum_op_by_name("f32_ad"), -1);
  assert_int_equal(tnum_op_by_name("f32_add2"), -1);
  assert_int_equal(tnum_op_by_name(""), -1);
  assert_int_equal(tnum_op_by_name(NULL), -1);

  struct ref_rng r = {505};
  for (int i = 0; i < 2000; i++) {
    uint32_t a = (uint32_t)ref_next(&r), b = (uint32_t)ref_next(&r), c = (uint32_t)ref_next(&r);
    assert_int_equal(tnum_eval(TNUM_F32_ADD, a, b, c), tnum_f32_add(a, b));
    assert_int_equal(tnum_eval(TNUM_F32_MUL, a, b, c), tnum_f32_mul(a, b));
    assert_int_equal(tnum_eval(TNUM_F32_FMA, a, b, c), tnum_f32_fma(a, b, c));
    assert_int_equal(tnum_eval(TNUM_BF16_FMA, a, b, c), tnum_bf16_fma((uint16_t)a, (uint16_t)b, c));
    assert_int_equal(tnum_eval(TNUM_F32_TO_BF16, a, b, c), tnum_f32_to_bf16(a));
    assert_int_equal(tnum_eval(TNUM_BF16_TO_F32, a, b, c), tnum_bf16_to_f32((uint16_t)a));
    assert_int_equal(tnum_eval(TNUM_F32_TO_E4M3, a, b, c), tnum_f32_to_e4m3(a));
    assert_int_equal(tnum_eval(TNUM_F32_TO_E5M2, a, b, c), tnum_f32_to_e5m2(a));
    assert_int_equal(tnum_eval(TNUM_E4M3_TO_F32, a, b, c), tnum_e4m3_to_f32((uint8_t)a));
    assert_int_equal(tnum_eval(TNUM_E5M2_TO_F32, a, b, c), tnum_e5m2_to_f32((uint8_t)a));
    assert_int_equal(tnum_eval(TNUM_F32_EXP, a, b, c), tnum_f32_exp(a));
    assert_int_equal(tnum_eval(TNUM_F32_RECIP, a, b, c), tnum_f32_recip(a));
    assert_int_equal(tnum_eval(TNUM_F32_RSQRT, a, b, c), tnum_f32_rsqrt(a));
    assert_int_equal(tnum_eval(TNUM_F32_TANH, a, b, c), tnum_f32_tanh(a));
    assert_int_equal(tnum_eval(TNUM_F32_GELU, a, b, c), tnum_f32_gelu(a));
  }
  assert_int_equal(tnum_eval(TNUM_OP_COUNT, 1, 2, 3), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bf16_to_f32_every_code),
      cmocka_unit_test(f32_to_bf16_structured_and_random),
      cmocka_unit_test(fp8_to_f32_every_code),
      cmocka_unit_test(f32_to_fp8_all_bf16_values_and_boundaries),
      cmocka_unit_test(fp8_products_through_bf16_fma),
      cmocka_unit_test(f32_corner_lists),
      cmocka_unit_test(f32_hand_checked),
      cmocka_unit_test(f32_random_mixture),
      cmocka_unit_test(add_and_mul_are_fma),
      cmocka_unit_test(round_pack_building_block),
      cmocka_unit_test(op_table_and_eval),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
