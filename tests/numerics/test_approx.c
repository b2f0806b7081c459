/* The vector-unit approximations of the numerics library (common/numerics/tnum_approx.c:
 * exp, recip, rsqrt, tanh, GELU) against double-precision libm.
 *
 * Each function is swept over its whole domain: both signs, every exponent, 2048 significands per
 * exponent (edge significands and fixed-seed random ones) = 1M inputs, plus every
 * bf16-representable input, plus 256K random inputs with 2^-27 <= |x| < 2^9. The bounds asserted are the issue's:
 *   exp:          |got - f| <= 2^-20 |f|   (normal results; subnormal results within 1 ulp = 2^-149)
 *   recip, rsqrt: |got - f| <= 2^-21 |f|   (same rule for subnormal results)
 *   tanh, gelu:   |got - f| <= 2^-20 max(|f|, 2^-4)
 * An infinite result counts as 2^128 (so a result just below the overflow threshold may round to
 * inf); a reference of 2^128 or more requires inf. The worst error found is printed per function
 * as a TAP comment line (docs/numerics.md keeps the table). Special values are checked one by one. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/numerics.h"

#define MANTS_PER_EXP 2048
#define QNAN 0x7fc00000u

static double f32_val(uint32_t a) {
  float f;
  memcpy(&f, &a, sizeof f);
  return (double)f;
}

static double ref_exp(double x) { return exp(x); }
static double ref_recip(double x) { return 1.0 / x; }
static double ref_rsqrt(double x) { return x < 0 ? NAN : 1.0 / sqrt(x); }
static double ref_tanh(double x) { return tanh(x); }
/* 0.5 x (1 + tanh(y)) = x / (1 + exp(-2y)): no cancellation for negative x. */
static double ref_gelu(double x) {
  if (isinf(x)) return x > 0 ? x : 0.0;
  const double y = sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * y));
}

struct approx_fn {
  const char *name;
  uint32_t (*f)(uint32_t);
  double (*ref)(double);
  double bound;   /* relative bound */
  double floor_;  /* scale = max(|f|, floor_) for tanh and gelu; 0: relative */
};

static const struct approx_fn fns[] = {
    {"exp", tnum_f32_exp, ref_exp, 0x1p-20, 0.0},
    {"recip", tnum_f32_recip, ref_recip, 0x1p-21, 0.0},
    {"rsqrt", tnum_f32_rsqrt, ref_rsqrt, 0x1p-21, 0.0},
    {"tanh", tnum_f32_tanh, ref_tanh, 0x1p-20, 0x1p-4},
    {"gelu", tnum_f32_gelu, ref_gelu, 0x1p-20, 0x1p-4},
};

struct stats {
  unsigned long n, bad;
  double worst;         /* worst error relative to the scale (normal results) */
  uint32_t worst_at;
  double worst_sub;     /* worst absolute error of a subnormal result, in units of 2^-149 */
  uint32_t worst_sub_at;
};

static void report_bad(struct stats *s, const struct approx_fn *fn, uint32_t a, uint32_t got, double ref, const char *why) {
  if (s->bad++ < 8)
    print_message("# %s(%08x) = %08x (%.9g), reference %.12g: %s\n", fn->name, a, got, f32_val(got), ref, why);
}

/* Check one input: special results exactly, finite ones against the bound. */
static void check_one(struct stats *s, const struct approx_fn *fn, uint32_t a) {
  const uint32_t got = fn->f(a);
  const double x = f32_val(a);
  const double ref = fn->ref(x);
  s->n++;
  if (isnan(ref) || isnan(x)) {
    if (got != QNAN) report_bad(s, fn, a, got, ref, "not the canonical NaN");
    return;
  }
  if ((got & 0x7fffffffu) > 0x7f800000u) {
    report_bad(s, fn, a, got, ref, "NaN for a non-NaN result");
    return;
  }
  if (ref != 0 && got != 0 && got != 0x80000000u && (signbit(ref) != 0) != (got >> 31 != 0)) {
    report_bad(s, fn, a, got, ref, "wrong sign");
    return;
  }
  if (isinf(ref) || fabs(ref) >= 0x1p128) {
    if ((got & 0x7fffffffu) != 0x7f800000u) report_bad(s, fn, a, got, ref, "must overflow to inf");
    return;
  }
  const double g = (got & 0x7fffffffu) == 0x7f800000u ? copysign(0x1p128, f32_val(got)) : f32_val(got);
  const double err = fabs(g - ref);
  if (fn->floor_ == 0 && fabs(ref) < 0x1p-126) {
    const double ulps = err / 0x1p-149;
    if (ulps > s->worst_sub) {
      s->worst_sub = ulps;
      s->worst_sub_at = a;
    }
    if (ulps > 1.0) report_bad(s, fn, a, got, ref, "subnormal result more than 1 ulp off");
    return;
  }
  const double scale = fabs(ref) > fn->floor_ ? fabs(ref) : fn->floor_;
  const double rel = err / scale;
  if (rel > s->worst) {
    s->worst = rel;
    s->worst_at = a;
  }
  if (rel > fn->bound) report_bad(s, fn, a, got, ref, "error above the bound");
}

static uint32_t rng_state;
static uint32_t rng(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

/* Both signs x every exponent x MANTS_PER_EXP significands, then every bf16 value. */
static void sweep(const struct approx_fn *fn) {
  struct stats s = {0, 0, 0.0, 0, 0.0, 0};
  static const uint32_t edge[] = {0, 1, 2, 0x400000u, 0x7ffffeu, 0x7fffffu, 0x3fffffu, 0x555555u};
  const size_t n_edge = sizeof edge / sizeof edge[0];
  rng_state = 0x2545f491u;
  for (uint32_t sign = 0; sign < 2; sign++) {
    for (uint32_t eb = 0; eb < 256; eb++) {
      for (uint32_t k = 0; k < MANTS_PER_EXP; k++) {
        const uint32_t frac = k < n_edge ? edge[k] : (rng() & 0x7fffffu);
        check_one(&s, fn, (sign << 31) | (eb << 23) | frac);
      }
    }
  }
  for (uint32_t h = 0; h < 0x10000u; h++) check_one(&s, fn, h << 16);
  /* the busy range densely: random inputs with 2^-27 <= |x| < 2^9 */
  for (uint32_t k = 0; k < 262144u; k++) {
    const uint32_t r = rng();
    check_one(&s, fn, (r & 0x80000000u) | ((100u + (r >> 23) % 36u) << 23) | (rng() & 0x7fffffu));
  }
  if (fn->floor_ == 0)
    print_message("# %s: worst rel err 2^%.2f at 0x%08x (bound 2^%.0f); subnormal results: worst %.3f ulp at 0x%08x; "
                  "%lu inputs\n",
                  fn->name, s.worst > 0 ? log2(s.worst) : -INFINITY, s.worst_at, log2(fn->bound), s.worst_sub,
                  s.worst_sub_at, s.n);
  else
    print_message("# %s: worst err 2^%.2f x max(|f|, 2^-4) at 0x%08x (bound 2^%.0f); %lu inputs\n", fn->name,
                  s.worst > 0 ? log2(s.worst) : -INFINITY, s.worst_at, log2(fn->bound), s.n);
  assert_true(s.n > 1000000);
  assert_int_equal(s.bad, 0);
}

static void exp_sweep(void **state) { (void)state; sweep(&fns[0]); }
static void recip_sweep(void **state) { (void)state; sweep(&fns[1]); }
static void rsqrt_sweep(void **state) { (void)state; sweep(&fns[2]); }
static void tanh_sweep(void **state) { (void)state; sweep(&fns[3]); }
static void gelu_sweep(void **state) { (void)state; sweep(&fns[4]); }

/* --- Special values ------------------------------------------------------------------------ */

#define EQ(call, want) assert_int_equal((call), (want))

static void exp_special_values(void **state) {
  (void)state;
  EQ(tnum_f32_exp(0xff800000u), 0x00000000u);  /* exp(-inf) = +0 */
  EQ(tnum_f32_exp(0x7f800000u), 0x7f800000u);  /* exp(+inf) = inf */
  EQ(tnum_f32_exp(0x7fc00000u), QNAN);
  EQ(tnum_f32_exp(0xffc00001u), QNAN);
  EQ(tnum_f32_exp(0x7f800001u), QNAN);
  EQ(tnum_f32_exp(0x00000000u), 0x3f800000u);  /* exp(+-0) = 1 exactly */
  EQ(tnum_f32_exp(0x80000000u), 0x3f800000u);
  EQ(tnum_f32_exp(0x00000001u), 0x3f800000u);  /* subnormal: 1 */
  EQ(tnum_f32_exp(0x42b17218u), 0x7f800000u);  /* 88.7228 > ln(FLT_MAX): overflow */
  EQ(tnum_f32_exp(0x42c80000u), 0x7f800000u);  /* 100 */
  EQ(tnum_f32_exp(0x7f7fffffu), 0x7f800000u);  /* FLT_MAX */
  EQ(tnum_f32_exp(0xc2d00000u), 0x00000000u);  /* -104: below 2^-150, underflows to +0 */
  EQ(tnum_f32_exp(0xff7fffffu), 0x00000000u);
  /* 2^-149 < exp(-103) < 2^-126: a subnormal result, not flushed */
  const uint32_t sub = tnum_f32_exp(0xc2ce0000u);
  assert_true(sub > 0 && sub < 0x00800000u);
  /* exp(1) within 1 ulp of e; exp(-1) within 1 ulp of 1/e */
  assert_true(abs((int)tnum_f32_exp(0x3f800000u) - (int)0x402df854u) <= 1);
  assert_true(abs((int)tnum_f32_exp(0xbf800000u) - (int)0x3ebc5ab2u) <= 1);
}

static void recip_special_values(void **state) {
  (void)state;
  EQ(tnum_f32_recip(0x00000000u), 0x7f800000u);
  EQ(tnum_f32_recip(0x80000000u), 0xff800000u);
  EQ(tnum_f32_recip(0x7f800000u), 0x00000000u);
  EQ(tnum_f32_recip(0xff800000u), 0x80000000u);
  EQ(tnum_f32_recip(0x7fc00000u), QNAN);
  EQ(tnum_f32_recip(0xff812345u), QNAN);
  /* powers of two are exact, both signs, including subnormal results and inputs */
  for (uint32_t eb = 1; eb < 254; eb++) {
    const uint32_t want = (254u - eb) << 23; /* 1/2^(eb-127) = 2^(127-eb) */
    EQ(tnum_f32_recip(eb << 23), want);
    EQ(tnum_f32_recip(0x80000000u | (eb << 23)), 0x80000000u | want);
  }
  EQ(tnum_f32_recip(0x7f000000u), 0x00400000u); /* 1/2^127 = 2^-127 (subnormal) */
  EQ(tnum_f32_recip(0xff7fffffu), 0x80200000u); /* -1/FLT_MAX rounds to -2^-128 */
  EQ(tnum_f32_recip(0x00400000u), 0x7f000000u); /* 1/2^-127 = 2^127 */
  EQ(tnum_f32_recip(0x00200000u), 0x7f800000u); /* 1/2^-128 = 2^128: overflow */
  EQ(tnum_f32_recip(0x00000001u), 0x7f800000u); /* 1/2^-149: overflow */
  EQ(tnum_f32_recip(0x40400000u), 0x3eaaaaabu); /* 1/3 correctly rounded */
}

static void rsqrt_special_values(void **state) {
  (void)state;
  EQ(tnum_f32_rsqrt(0x00000000u), 0x7f800000u);
  EQ(tnum_f32_rsqrt(0x80000000u), 0xff800000u);
  EQ(tnum_f32_rsqrt(0x7f800000u), 0x00000000u);
  EQ(tnum_f32_rsqrt(0xff800000u), QNAN);
  EQ(tnum_f32_rsqrt(0xbf800000u), QNAN);
  EQ(tnum_f32_rsqrt(0x80000001u), QNAN);
  EQ(tnum_f32_rsqrt(0x7fc00000u), QNAN);
  EQ(tnum_f32_rsqrt(0x7f800001u), QNAN);
  /* even powers of two are exact */
  for (uint32_t eb = 1; eb < 255; eb += 2) EQ(tnum_f32_rsqrt(eb << 23), (127u - ((int)eb - 127) / 2) << 23);
  EQ(tnum_f32_rsqrt(0x00000001u), 0x64b504f3u); /* 2^-149: 2^74.5 */
  EQ(tnum_f32_rsqrt(0x40800000u), 0x3f000000u); /* 1/sqrt(4) */
}

static void tanh_special_values(void **state) {
  (void)state;
  EQ(tnum_f32_tanh(0x7f800000u), 0x3f800000u);
  EQ(tnum_f32_tanh(0xff800000u), 0xbf800000u);
  EQ(tnum_f32_tanh(0x7fc00000u), QNAN);
  EQ(tnum_f32_tanh(0xffffffffu), QNAN);
  EQ(tnum_f32_tanh(0x00000000u), 0x00000000u);
  EQ(tnum_f32_tanh(0x80000000u), 0x80000000u);
  EQ(tnum_f32_tanh(0x00000001u), 0x00000001u); /* tiny: tanh(x) = x */
  EQ(tnum_f32_tanh(0x80000001u), 0x80000001u);
  EQ(tnum_f32_tanh(0x39800000u), 0x39800000u); /* 2^-12: x - x^3/3 rounds to x */
  EQ(tnum_f32_tanh(0x41200000u), 0x3f800000u); /* tanh(10) rounds to 1 */
  EQ(tnum_f32_tanh(0xc1a00000u), 0xbf800000u); /* tanh(-20) = -1 */
  /* odd: tanh(-x) = -tanh(x) bit for bit */
  rng_state = 12345u;
  for (int i = 0; i < 100000; i++) {
    const uint32_t a = rng() & 0x7fffffffu;
    if (a > 0x7f800000u) continue;
    EQ(tnum_f32_tanh(a | 0x80000000u), tnum_f32_tanh(a) ^ 0x80000000u);
  }
}

static void gelu_special_values(void **state) {
  (void)state;
  EQ(tnum_f32_gelu(0x7f800000u), 0x7f800000u);
  EQ(tnum_f32_gelu(0xff800000u), 0x80000000u); /* gelu(-inf) = -0 */
  EQ(tnum_f32_gelu(0x7fc00000u), QNAN);
  EQ(tnum_f32_gelu(0xff800001u), QNAN);
  EQ(tnum_f32_gelu(0x00000000u), 0x00000000u);
  EQ(tnum_f32_gelu(0x80000000u), 0x80000000u);
  EQ(tnum_f32_gelu(0x00000002u), 0x00000001u); /* gelu(x) = x/2 for tiny x */
  EQ(tnum_f32_gelu(0x80000002u), 0x80000001u);
  assert_true(abs((int)tnum_f32_gelu(0x3f800000u) - (int)0x3f57585cu) <= 1); /* gelu(1) = 0.841192 */
  EQ(tnum_f32_gelu(0x41200000u), 0x41200000u); /* gelu(10) = 10 */
  EQ(tnum_f32_gelu(0x4b000000u), 0x4b000000u); /* 2^23 */
  EQ(tnum_f32_gelu(0x7f7fffffu), 0x7f7fffffu);
  EQ(tnum_f32_gelu(0xc1a00000u), 0x80000000u); /* gelu(-20) underflows to -0 */
  EQ(tnum_f32_gelu(0xff7fffffu), 0x80000000u);
}

/* Long tier (make bench-approx): every one of the 2^32 inputs of each named function (all five
 * when none is named), the same checks and the same report lines. Exit status 1 on any failure. */
static int exhaustive(int argc, char **argv) {
  int bad = 0;
  for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
    int wanted = argc == 0;
    for (int i = 0; i < argc; i++) wanted |= strcmp(argv[i], fns[k].name) == 0;
    if (!wanted) continue;
    struct stats s = {0, 0, 0.0, 0, 0.0, 0};
    uint32_t a = 0;
    do {
      check_one(&s, &fns[k], a);
    } while (++a != 0);
    printf("%s: every input (%lu): worst err 2^%.2f%s at 0x%08x (bound 2^%.0f), subnormal results worst %.3f ulp, "
           "%lu failures\n",
           fns[k].name, s.n, s.worst > 0 ? log2(s.worst) : -INFINITY, fns[k].floor_ > 0 ? " x max(|f|, 2^-4)" : " relative",
           s.worst_at, log2(fns[k].bound), s.worst_sub, s.bad);
    fflush(stdout);
    bad |= s.bad != 0;
  }
  return bad;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--exhaustive") == 0) {
    for (int i = 2; i < argc; i++) {
      int known = 0;
      for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) known |= strcmp(argv[i], fns[k].name) == 0;
      if (!known) {
        fprintf(stderr, "test_approx: unknown function '%s' (exp, recip, rsqrt, tanh, gelu)\n", argv[i]);
        return 2;
      }
    }
    return exhaustive(argc - 2, argv + 2);
  }
  if (argc >= 2) {
    fprintf(stderr, "usage: %s [--exhaustive [exp|recip|rsqrt|tanh|gelu]...]\n", argv[0]);
    return 2;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exp_special_values),  cmocka_unit_test(recip_special_values),
      cmocka_unit_test(rsqrt_special_values), cmocka_unit_test(tanh_special_values),
      cmocka_unit_test(gelu_special_values), cmocka_unit_test(exp_sweep),
      cmocka_unit_test(recip_sweep),         cmocka_unit_test(rsqrt_sweep),
      cmocka_unit_test(tanh_sweep),          cmocka_unit_test(gelu_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
