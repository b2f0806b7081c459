/* Attention's dense GEMMs (tvec_attn_scores, tvec_attn_pv) in the tile's summation order against
 * the float64 linear-layer reference, plus exact integer cases and bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "tessera/numerics.h"
#include "tessera/ref64.h"
#include "tvec_fn.h"

#define U 0x1p-24

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint64_t rng = 7;
static uint64_t rnd64(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static float rbf16(double lo, double hi) {
  float f = (float)(lo + (hi - lo) * (double)(rnd64() >> 11) * 0x1p-53);
  return u2f(f2u(f) & 0xffff0000u);
}
static double gam(double n) { return n * U / (1.0 - n * U); }

static const uint32_t shapes[][4] = {{5, 3, 4, 8}, {16, 64, 4, 8}, {13, 37, 2, 4}, {9, 20, 1, 1}, {33, 17, 4, 8}};

static void attention_gemms_within_bounds(void **state) {
  (void)state;
  double worst_s = 0, worst_o = 0, ratio = 0;
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    uint32_t t = shapes[k][0], dh = shapes[k][1], p = shapes[k][2], s = shapes[k][3];
    float *q = malloc(4 * t * dh), *kk = malloc(4 * t * dh), *v = malloc(4 * t * dh), *vt = malloc(4 * t * dh);
    float *pb = malloc(4 * t * t);
    uint32_t *sc = malloc(4 * t * t), *pr = malloc(4 * t * t), *out = malloc(4 * t * dh);
    uint8_t *mask = malloc(t * (t > dh ? t : dh));
    double *ref = malloc(8 * t * (t > dh ? t : dh)), *abs_ = malloc(8 * t * (t > dh ? t : dh));
    for (uint32_t i = 0; i < t * dh; i++) q[i] = rbf16(-2, 2), kk[i] = rbf16(-2, 2), v[i] = rbf16(-2, 2);
    for (uint32_t j = 0; j < t; j++)
      for (uint32_t c = 0; c < dh; c++) vt[c * t + j] = v[j * dh + c];
    float scf = (float)(1.0 / sqrt((double)dh));
    uint32_t scale = f2u(scf);
    assert_int_equal(tvec_attn_scores((uint32_t *)(void *)q, (uint32_t *)(void *)kk, t, dh, scale, p, s, sc), TVEC_OK);
    memset(mask, 1, t * (t > dh ? t : dh));
    ref64_fwd(q, kk, mask, t, t, dh, ref, abs_);
    /* gamma over at most dh chain steps plus the P-slot tree, then the scale's rounding. */
    for (uint32_t i = 0; i < t * t; i++) {
      double want = scf * ref[i], err = fabs(u2f(sc[i]) - want);
      double b = scf * gam(dh + p) * abs_[i] * (1 + U) + U * fabs(want);
      assert_true(err <= b);
      if (err > worst_s) worst_s = err;
      if (b > 0 && err / b > ratio) ratio = err / b;
    }
    /* P = causal softmax of the scores, then P V with P rounded to bf16 by the MAC. */
    tvec_softmax_fwd(sc, pr, t, t, true, 0);
    for (uint32_t i = 0; i < t * t; i++) pb[i] = u2f((uint32_t)tnum_f32_to_bf16(pr[i]) << 16);
    assert_int_equal(tvec_attn_pv(pr, (uint32_t *)(void *)v, t, dh, p, s, out), TVEC_OK);
    ref64_fwd(pb, vt, mask, t, dh, t, ref, abs_);
    for (uint32_t i = 0; i < t * dh; i++) {
      double err = fabs(u2f(out[i]) - ref[i]), b = gam(t + p) * abs_[i];
      assert_true(err <= b);
      if (err > worst_o) worst_o = err;
      if (b > 0 && err / b > ratio) ratio = err / b;
    }
    free(q), free(kk), free(v), free(vt), free(pb), free(sc), free(pr), free(out), free(mask), free(ref), free(abs_);
  }
  printf("# attention: worst |err| scores 2^%.1f, P V 2^%.1f, worst err/bound %.3f\n", log2(worst_s), log2(worst_o),
         ratio);
}

/* Small integers: every partial sum exact, so the result is the exact integer product. */
static void integer_attention_is_exact(void **state) {
  (void)state;
  enum { T = 11, DH = 7 };
  uint32_t q[T * DH], kk[T * DH], pr[T * T], v[T * DH], sc[T * T], out[T * DH];
  for (int i = 0; i < T * DH; i++)
    q[i] = f2u((float)((int)(rnd64() % 9) - 4)), kk[i] = f2u((float)((int)(rnd64() % 9) - 4)),
    v[i] = f2u((float)((int)(rnd64() % 9) - 4));
  for (int i = 0; i < T * T; i++) pr[i] = f2u((float)((int)(rnd64() % 5) - 2));
  assert_int_equal(tvec_attn_scores(q, kk, T, DH, 0x3f800000u, 4, 8, sc), TVEC_OK);
  assert_int_equal(tvec_attn_pv(pr, v, T, DH, 4, 8, out), TVEC_OK);
  for (int a = 0; a < T; a++)
    for (int b = 0; b < T; b++) {
      double e = 0;
      for (int c = 0; c < DH; c++) e += (double)u2f(q[a * DH + c]) * u2f(kk[b * DH + c]);
      assert_true(u2f(sc[a * T + b]) == e);
    }
  for (int a = 0; a < T; a++)
    for (int c = 0; c < DH; c++) {
      double e = 0;
      for (int j = 0; j < T; j++) e += (double)u2f(pr[a * T + j]) * u2f(v[j * DH + c]);
      assert_true(u2f(out[a * DH + c]) == e);
    }
}

static void bad_arguments_are_refused(void **state) {
  (void)state;
  uint32_t a[4] = {0}, y[4];
  assert_int_equal(tvec_dense_abt(a, a, 2, 2, 1, 0, 8, y), TVEC_EBADARG);  /* P = 0 */
  assert_int_equal(tvec_dense_abt(a, a, 2, 2, 1, 4, 3, y), TVEC_EBADARG);  /* S not a power of two */
  assert_int_equal(tvec_dense_abt(a, a, 0, 2, 1, 4, 8, y), TVEC_EBADARG);  /* no tokens */
  assert_int_equal(tvec_attn_scores(a, a, 0, 2, 0x3f800000u, 4, 8, y), TVEC_EBADARG);
  assert_int_equal(tvec_attn_pv(a, NULL, 2, 2, 4, 8, y), TVEC_EBADARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(attention_gemms_within_bounds),
      cmocka_unit_test(integer_attention_is_exact),
      cmocka_unit_test(bad_arguments_are_refused),
  };
  return cmocka_run_group_tests_name("vec_attn", tests, NULL, NULL);
}
