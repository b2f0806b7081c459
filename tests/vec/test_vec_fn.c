/* The vector-unit kernels' functional model (tvec_fn.h) against the float64 references
 * (ref64_nn.h): every output within the error bound derived in docs/vector-kernels.md, exact
 * values a wrong implementation would miss, and gradient checks of every backward kernel against
 * central finite differences of the float64 forward. Worst errors go out as TAP comments. */
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
#include "tessera/ref64_nn.h"
#include "tvec_fn.h"

#define U 0x1p-24       /* unit roundoff of fp32 */
#define E_EXP 0x1p-20   /* tnum_f32_exp relative bound */
#define E_RCP 0x1p-21   /* tnum_f32_recip / tnum_f32_rsqrt relative bound */
#define E_TANH 0x1p-20  /* tanh, gelu: 2^-20 max(|f|, 2^-4) */
#define E_LOG 0x1p-19   /* tvec_log relative bound (docs/vector-kernels.md) */
#define SECOND_ORDER (1.0 + 0x1p-10) /* first-order bounds: headroom for the u^2 terms */
#define FD_TOL 1e-9     /* finite-difference error (docs/vector-kernels.md, "Gradient checks") */

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
static double d(uint32_t u) { return (double)u2f(u); }

static uint64_t rng;
static void seed(uint64_t s) { rng = s * 0x9e3779b97f4a7c15ull + 1; }
static uint64_t rnd64(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/* A uniform fp32 value in [lo, hi). */
static float runi(double lo, double hi) { return (float)(lo + (hi - lo) * (double)(rnd64() >> 11) * 0x1p-53); }
static float rbf16(double lo, double hi) { return u2f(f2u(runi(lo, hi)) & 0xffff0000u); }
static uint32_t *fill(size_t count, double lo, double hi) {
  uint32_t *a = malloc(4 * (count ? count : 1));
  for (size_t i = 0; i < count; i++) a[i] = f2u(runi(lo, hi));
  return a;
}
static float *as_f(const uint32_t *a) { return (float *)(void *)a; } /* same bits, viewed as float */
static double gam(double n) { return n <= 0 ? 0 : n * U / (1.0 - n * U); }

/* Worst error of one kernel over the suite: absolute error and its ratio to the bound. */
struct worst {
  const char *name;
  double err, ratio;
  long checked;
};
static void check(struct worst *w, double got, double want, double bound, const char *what, size_t at) {
  double err = fabs(got - want);
  if (!(err <= bound)) {
    print_message("%s: %s[%zu] = %.9g, float64 %.17g, error %.3g > bound %.3g\n", w->name, what, at, got, want, err,
                  bound);
    fail();
  }
  if (err > w->err) w->err = err;
  if (bound > 0 && err / bound > w->ratio) w->ratio = err / bound;
  w->checked++;
}
static void report(const struct worst *w) {
  printf("# %-22s %8ld outputs, worst |err| %.3g (2^%.1f), worst err/bound %.3f\n", w->name, w->checked, w->err,
         w->err > 0 ? log2(w->err) : -INFINITY, w->ratio);
  fflush(stdout);
}

/* --- log, 1/d, bias correction ---------------------------------------------------------------- */

static void log_within_bound_against_libm(void **state) {
  (void)state;
  seed(11);
  double worst = 0;
  uint32_t worst_at = 0;
  long n = 0;
  for (int pass = 0; pass < 4; pass++)
    for (uint32_t i = 0; i < 100000; i++) {
      uint32_t x;
      if (pass == 0) x = (uint32_t)(rnd64() & 0x7f7fffffu);            /* every exponent, subnormals */
      else if (pass == 1) x = i % 2 ? 0x3f800000u + i : 0x3f800000u - i; /* around 1 */
      else if (pass == 2) x = f2u(runi(0.5, 2.0));
      else x = (uint32_t)(i << 7) | 1u;                                /* spread over the range */
      if (x == 0 || x >= 0x7f800000u) continue;
      double want = log(d(x)), got = d(tvec_log(x));
      if (want == 0) {
        assert_true(got == 0);
        continue;
      }
      double rel = fabs(got - want) / fabs(want);
      if (rel > worst) worst = rel, worst_at = x;
      if (!(rel <= E_LOG)) print_message("log(%08x) = %.9g, libm %.17g, relative %.3g\n", x, got, want, rel);
      assert_true(rel <= E_LOG);
      n++;
    }
  printf("# tvec_log: %ld inputs, worst relative error 2^%.2f at %08x (bound 2^-19)\n", n, log2(worst), worst_at);
  assert_int_equal(tvec_log(0), 0xff800000u);
  assert_int_equal(tvec_log(0x80000000u), 0xff800000u);
  assert_int_equal(tvec_log(0x7f800000u), 0x7f800000u);
  assert_int_equal(tvec_log(0xbf800000u), TNUM_F32_QNAN);
  assert_int_equal(tvec_log(0x7fa00000u), TNUM_F32_QNAN);
  assert_int_equal(tvec_log(0x3f800000u), 0u); /* log 1 = +0 exactly */
}

static void recip_u32_correctly_rounded_and_int_exact(void **state) {
  (void)state;
  for (uint32_t n = 1; n <= 70000; n += (n < 5000 ? 1 : 97)) {
    float r = u2f(tvec_recip_u32(n));
    double e = 1.0 / n;
    assert_true(fabs(r - e) <= fabs(nextafterf(r, 0.0f) - e));
    assert_true(fabs(r - e) <= fabs(nextafterf(r, 1.0f) - e));
    assert_true(u2f(tvec_u32_to_f32(n)) == (float)n);
  }
  assert_int_equal(tvec_recip_u32(0), 0x7f800000u);
}

static void bias_correction_near_float64(void **state) {
  (void)state;
  const float betas[] = {0.9f, 0.999f, 0.95f, 0.5f, 0.9999f};
  const uint32_t steps[] = {1, 2, 3, 7, 10, 100, 1000, 12345, 100000};
  double worst = 0;
  for (size_t b = 0; b < 5; b++)
    for (size_t s = 0; s < 9; s++) {
      double want = 1.0 - pow((double)betas[b], steps[s]);
      double got = d(tvec_bias_correction(f2u(betas[b]), steps[s]));
      double rel = fabs(got - want) / want;
      if (rel > worst) worst = rel;
      assert_true(rel <= 3 * U);
    }
  printf("# bias correction 1 - beta^t: worst relative error 2^%.2f (bound 3u = 2^-22.4)\n", log2(worst));
}

/* --- Elementwise ------------------------------------------------------------------------------ */

static double gelu_bwd_bound(double x, double dy) {
  double k0 = 0.79788456080286535588, k1 = 0.044715;
  double a = 1 + k1 * x * x, uarg = k0 * x * a, t = tanh(uarg), b = 1 + 3 * k1 * x * x;
  double s = 1 - t * t, r = 0.5 * k0 * x * s * b, g = 0.5 * (1 + t), dd = g + r;
  double et = s * 6 * U * fabs(uarg) + E_TANH * fmax(fabs(t), 0x1p-4);
  double er = fabs(0.5 * k0 * x * b) * 2 * fabs(t) * et + 8 * U * fabs(r);
  double eg = 0.5 * et + U * fabs(g);
  double ed = eg + er + U * fabs(dd);
  return SECOND_ORDER * (fabs(dy) * ed + U * fabs(dy * dd));
}

static void gelu_fwd_bwd_within_bounds(void **state) {
  (void)state;
  seed(21);
  struct worst wf = {"gelu_fwd", 0, 0, 0}, wb = {"gelu_bwd", 0, 0, 0};
  const uint32_t counts[] = {1, 7, 1000, 20000};
  for (size_t k = 0; k < 4; k++) {
    uint32_t n = counts[k];
    uint32_t *x = fill(n, -8, 8), *dy = fill(n, -2, 2), *y = malloc(4 * n), *dx = malloc(4 * n);
    for (uint32_t i = 0; i < n; i += 17) x[i] = f2u(runi(-40, 40)); /* saturated tails too */
    tvec_gelu_fwd(x, y, n);
    tvec_gelu_bwd(x, dy, dx, n);
    for (uint32_t i = 0; i < n; i++) {
      double want = ref64_gelu(d(x[i]));
      check(&wf, d(y[i]), want, E_TANH * fmax(fabs(want), 0x1p-4), "y", i);
      check(&wb, d(dx[i]), d(dy[i]) * ref64_gelu_grad(d(x[i])), gelu_bwd_bound(d(x[i]), d(dy[i])), "dx", i);
    }
    free(x), free(dy), free(y), free(dx);
  }
  /* Past |x| = 16 the chain saturates to 1 or +0; the shortcut gives the same bits at the edge
   * and keeps huge and infinite x away from inf * 0. */
  assert_int_equal(tvec_gelu_grad(f2u(15.999999f)), TVEC_F32_ONE);
  assert_int_equal(tvec_gelu_grad(f2u(-15.999999f)), 0u);
  assert_int_equal(tvec_gelu_grad(f2u(1e30f)), TVEC_F32_ONE);
  assert_int_equal(tvec_gelu_grad(0xff800000u), 0u);
  assert_int_equal(tvec_gelu_grad(0x7f800000u), TVEC_F32_ONE);
  assert_int_equal(tvec_gelu_grad(0x7fc12345u), TNUM_F32_QNAN);
  assert_int_equal(tvec_gelu_grad(0), f2u(0.5f));
  report(&wf), report(&wb);
}

static void residual_and_scale_are_correctly_rounded(void **state) {
  (void)state;
  seed(31);
  enum { N = 5000 };
  uint32_t *a = fill(N, -1e3, 1e3), *b = fill(N, -1e3, 1e3), y[N];
  for (int i = 0; i < N; i += 10) b[i] = a[i] ^ 0x80000000u; /* exact cancellation: +0 */
  tvec_residual_add(a, b, y, N);
  for (int i = 0; i < N; i++) {
    volatile float s = u2f(a[i]) + u2f(b[i]);
    assert_int_equal(y[i], f2u(s));
  }
  uint32_t sc = f2u(0.7071f);
  tvec_scale(a, sc, y, N);
  for (int i = 0; i < N; i++) {
    volatile float s = u2f(a[i]) * 0.7071f;
    assert_int_equal(y[i], f2u(s));
  }
  free(a), free(b);
}

/* --- Softmax ---------------------------------------------------------------------------------- */

struct smshape {
  uint32_t rows, cols;
  bool causal;
  int32_t offset;
};
static const struct smshape sm_shapes[] = {{7, 13, false, 0}, {16, 16, true, 0}, {5, 33, true, -2},
                                           {3, 1000, false, 0}, {9, 50, true, 10}, {1, 1, false, 0}};

/* Per-element bound of softmax (docs/vector-kernels.md): relative u|x_c - max| + 2^-20 for each
 * exp, the sum's max term error plus gamma_(nv-1), 2^-21 for the reciprocal, u for the product,
 * and 2^-148 absolute for underflowed terms. */
static void softmax_bounds(const float *xr, uint32_t nv, double *bound, const double *p) {
  double mx = -INFINITY, emax = 0;
  for (uint32_t c = 0; c < nv; c++) mx = fmax(mx, xr[c]);
  for (uint32_t c = 0; c < nv; c++) emax = fmax(emax, U * fabs(xr[c] - mx) + E_EXP);
  double es = emax + gam(nv - 1);
  for (uint32_t c = 0; c < nv; c++)
    bound[c] = SECOND_ORDER * (p[c] * (U * fabs(xr[c] - mx) + E_EXP + es + E_RCP + U) + 0x1p-148);
}

static void softmax_fwd_within_bounds_and_masked_rows_zero(void **state) {
  (void)state;
  seed(41);
  struct worst w = {"softmax_fwd", 0, 0, 0}, ws = {"softmax row sums", 0, 0, 0};
  for (size_t k = 0; k < sizeof sm_shapes / sizeof sm_shapes[0]; k++) {
    const struct smshape *s = &sm_shapes[k];
    size_t n = (size_t)s->rows * s->cols;
    uint32_t *x = fill(n, -10, 10), *y = malloc(4 * n);
    double *ref = malloc(8 * n), *bound = malloc(8 * s->cols);
    memset(y, 0x55, 4 * n);
    tvec_softmax_fwd(x, y, s->rows, s->cols, s->causal, s->offset);
    ref64_softmax_fwd(as_f(x), s->rows, s->cols, s->causal, s->offset, ref);
    for (uint32_t r = 0; r < s->rows; r++) {
      uint32_t nv = tvec_row_valid(r, s->cols, s->causal, s->offset);
      size_t o = (size_t)r * s->cols;
      softmax_bounds(as_f(x) + o, nv, bound, ref + o);
      double sum = 0, sb = 0;
      for (uint32_t c = 0; c < nv; c++) {
        check(&w, d(y[o + c]), ref[o + c], bound[c], "y", o + c);
        sum += d(y[o + c]), sb += bound[c];
      }
      for (uint32_t c = nv; c < s->cols; c++) assert_int_equal(y[o + c], 0u); /* +0, not -0 or NaN */
      if (nv) check(&ws, sum, 1.0, sb, "row sum", r);
    }
    free(x), free(y), free(ref), free(bound);
  }
  /* A fully masked row (offset -5: rows 0..4 see nothing) is all +0 even for -inf / huge inputs. */
  uint32_t x[6 * 4], y[6 * 4];
  for (int i = 0; i < 24; i++) x[i] = i % 3 ? 0xff800000u : 0x7f7fffffu;
  x[20] = 0xc2c80000u; /* -100 */
  tvec_softmax_fwd(x, y, 6, 4, true, -5);
  for (int i = 0; i < 20; i++) assert_int_equal(y[i], 0u);
  assert_int_equal(y[20], 0x3f800000u); /* row 5 sees column 0 only: exactly 1 */
  for (int i = 21; i < 24; i++) assert_int_equal(y[i], 0u);
  /* Valid entries that are all -inf give NaN, as in float64 (exp(-inf - -inf)). */
  x[20] = 0xff800000u;
  tvec_softmax_fwd(x, y, 6, 4, true, -5);
  assert_int_equal(y[20], TNUM_F32_QNAN);
  report(&w), report(&ws);
}

static void softmax_bwd_within_bounds(void **state) {
  (void)state;
  seed(51);
  struct worst w = {"softmax_bwd", 0, 0, 0};
  for (size_t k = 0; k < sizeof sm_shapes / sizeof sm_shapes[0]; k++) {
    const struct smshape *s = &sm_shapes[k];
    size_t n = (size_t)s->rows * s->cols;
    uint32_t *x = fill(n, -4, 4), *p = malloc(4 * n), *dy = fill(n, -1, 1), *dx = malloc(4 * n);
    double *ref = malloc(8 * n);
    tvec_softmax_fwd(x, p, s->rows, s->cols, s->causal, s->offset);
    tvec_softmax_bwd(p, dy, dx, s->rows, s->cols, s->causal, s->offset);
    ref64_softmax_bwd(as_f(p), as_f(dy), s->rows, s->cols, s->causal, s->offset, ref);
    for (uint32_t r = 0; r < s->rows; r++) {
      uint32_t nv = tvec_row_valid(r, s->cols, s->causal, s->offset);
      size_t o = (size_t)r * s->cols;
      double dot = 0, dabs = 0;
      for (uint32_t c = 0; c < nv; c++) dot += d(p[o + c]) * d(dy[o + c]), dabs += fabs(d(p[o + c]) * d(dy[o + c]));
      for (uint32_t c = 0; c < nv; c++) {
        double b = SECOND_ORDER * (d(p[o + c]) * (gam(nv) * dabs + U * fabs(d(dy[o + c]) - dot)) + U * fabs(ref[o + c]));
        check(&w, d(dx[o + c]), ref[o + c], b, "dx", o + c);
      }
      for (uint32_t c = nv; c < s->cols; c++) assert_int_equal(dx[o + c], 0u);
    }
    free(x), free(p), free(dy), free(dx), free(ref);
  }
  report(&w);
}

/* --- LayerNorm -------------------------------------------------------------------------------- */

/* Bounds of one row's forward (docs/vector-kernels.md): em on the mean, er (relative) on rstd,
 * by[c] on y. */
static void layernorm_fwd_bounds(const float *xr, const float *gamma, uint32_t dd, double eps, double mean, double rstd,
                                 const double *y, double *em, double *er, double *by) {
  double sabs = 0, sq = 0, sdl = 0;
  for (uint32_t c = 0; c < dd; c++) sabs += fabs(xr[c]);
  double var = 1.0 / (rstd * rstd) - eps;
  *em = gam(dd - 1) * sabs / dd + 2 * U * fabs(mean);
  for (uint32_t c = 0; c < dd; c++) {
    double dl = fabs(xr[c] - mean);
    sdl += 2 * dl * (*em + U * dl), sq += dl * dl;
  }
  double ev = sdl + gam(dd) * sq + dd * (*em) * (*em);
  double evar = ev / dd + 2 * U * var;
  double rho = (evar + U * (var + eps)) / (var + eps);
  *er = SECOND_ORDER * (rho / 2 + E_RCP);
  for (uint32_t c = 0; c < dd; c++) {
    double xh = (xr[c] - mean) * rstd;
    double exh = (*em + U * fabs(xr[c] - mean)) * rstd + fabs(xh) * (*er + U);
    by[c] = SECOND_ORDER * (fabs(gamma[c]) * exh + U * fabs(y[c]));
  }
  *em *= SECOND_ORDER;
}

static const uint32_t ln_shapes[][2] = {{5, 1}, {4, 3}, {8, 37}, {3, 768}, {2, 1000}};

static void layernorm_fwd_within_bounds(void **state) {
  (void)state;
  seed(61);
  struct worst wy = {"layernorm_fwd y", 0, 0, 0}, wm = {"layernorm_fwd mean", 0, 0, 0},
               wr = {"layernorm_fwd rstd", 0, 0, 0};
  const float eps = 1e-5f;
  for (size_t k = 0; k < 5; k++) {
    uint32_t rows = ln_shapes[k][0], dd = ln_shapes[k][1];
    uint32_t *x = fill((size_t)rows * dd, -1, 5), *ga = fill(dd, 0.5, 1.5), *be = fill(dd, -1, 1);
    uint32_t *y = malloc(4 * rows * dd), mean[8], rstd[8];
    double *ry = malloc(8 * rows * dd), rm[8], rr[8], *by = malloc(8 * dd), em, er;
    tvec_layernorm_fwd(x, ga, be, f2u(eps), y, mean, rstd, rows, dd);
    ref64_layernorm_fwd(as_f(x), as_f(ga), as_f(be), eps, rows, dd, ry, rm, rr);
    for (uint32_t r = 0; r < rows; r++) {
      size_t o = (size_t)r * dd;
      layernorm_fwd_bounds(as_f(x) + o, as_f(ga), dd, eps, rm[r], rr[r], ry + o, &em, &er, by);
      check(&wm, d(mean[r]), rm[r], em, "mean", r);
      check(&wr, d(rstd[r]), rr[r], er * rr[r], "rstd", r);
      for (uint32_t c = 0; c < dd; c++) check(&wy, d(y[o + c]), ry[o + c], by[c], "y", o + c);
    }
    free(x), free(ga), free(be), free(y), free(ry), free(by);
  }
  report(&wy), report(&wm), report(&wr);
}

/* A constant row has mean exactly c (d*c is exact for bf16 c and d <= 65536, and the corrected
 * division returns a representable quotient exactly), so x - mean = +0 and y = beta bit for bit.
 * The uncorrected s * RN(1/d) misses c for some of these rows. */
static void layernorm_constant_row_gives_beta(void **state) {
  (void)state;
  seed(71);
  const uint32_t dims[] = {1, 3, 7, 37, 100, 768, 1000, 3000};
  int naive_misses = 0;
  for (size_t k = 0; k < 8; k++)
    for (int rep = 0; rep < 20; rep++) {
      uint32_t dd = dims[k], c = f2u(rbf16(-50, 50));
      uint32_t *x = malloc(4 * dd), *ga = fill(dd, -2, 2), *be = fill(dd, -2, 2), *y = malloc(4 * dd), mean, rstd;
      for (uint32_t i = 0; i < dd; i++) x[i] = c;
      tvec_layernorm_fwd(x, ga, be, f2u(1e-5f), y, &mean, &rstd, 1, dd);
      assert_int_equal(mean, c);
      for (uint32_t i = 0; i < dd; i++) assert_int_equal(y[i], be[i]);
      uint32_t s = 0;
      for (uint32_t i = 0; i < dd; i++) s = tnum_f32_add(s, c);
      naive_misses += tnum_f32_mul(s, tvec_recip_u32(dd)) != c;
      free(x), free(ga), free(be), free(y);
    }
  printf("# layernorm constant rows: 160 rows give beta exactly; s * RN(1/d) alone misses the mean in %d\n",
         naive_misses);
  assert_true(naive_misses > 0);
}

/* Bound of the backward at given statistics (mean, rstd) plus the effect of errors em (absolute)
 * and er (relative) in those statistics. */
static void layernorm_bwd_bounds(const float *dy, const float *xr, const float *gamma, uint32_t dd, double mean,
                                 double rstd, double em, double er, const double *dx, double *bdx) {
  double sg = 0, sgx = 0, m1 = 0, m2 = 0;
  for (uint32_t c = 0; c < dd; c++) {
    double g = (double)dy[c] * gamma[c], xh = (xr[c] - mean) * rstd;
    sg += fabs(g), sgx += fabs(g * xh), m1 += g, m2 += g * xh;
  }
  m1 /= dd, m2 /= dd;
  double e1 = gam(dd) * sg / dd + 2 * U * fabs(m1), e2 = gam(dd + 3) * sgx / dd + 2 * U * fabs(m2);
  for (uint32_t c = 0; c < dd; c++) {
    double g = (double)dy[c] * gamma[c], xh = (xr[c] - mean) * rstd, a = g - xh * m2, b = a - m1;
    double ea = U * fabs(g) + fabs(xh) * e2 + 2 * U * fabs(xh * m2) + U * fabs(a);
    double eb = ea + e1 + U * fabs(b);
    double stats = er * (fabs(dx[c]) + 2 * rstd * fabs(xh * m2)) + rstd * em * rstd * (fabs(m2) + fabs(xh) * fabs(m1));
    bdx[c] = SECOND_ORDER * (rstd * eb + U * fabs(dx[c]) + stats);
  }
}

static void layernorm_bwd_within_bounds(void **state) {
  (void)state;
  seed(81);
  struct worst wx = {"layernorm_bwd dx", 0, 0, 0}, wg = {"layernorm_bwd dgamma", 0, 0, 0},
               wb = {"layernorm_bwd dbeta", 0, 0, 0};
  for (size_t k = 0; k < 5; k++) {
    uint32_t rows = ln_shapes[k][0], dd = ln_shapes[k][1];
    size_t n = (size_t)rows * dd;
    uint32_t *x = fill(n, -1, 5), *ga = fill(dd, 0.5, 1.5), *be = fill(dd, -1, 1), *dy = fill(n, -1, 1);
    uint32_t *y = malloc(4 * n), *dx = malloc(4 * n), *dg = calloc(dd, 4), *db = calloc(dd, 4), mean[8], rstd[8];
    double *rdx = malloc(8 * n), *rdg = malloc(8 * dd), *rdb = malloc(8 * dd), *bdx = malloc(8 * dd), rm[8], rr[8];
    tvec_layernorm_fwd(x, ga, be, f2u(1e-5f), y, mean, rstd, rows, dd);
    tvec_layernorm_bwd(dy, x, mean, rstd, ga, dx, dg, db, rows, dd);
    for (uint32_t r = 0; r < rows; r++) rm[r] = d(mean[r]), rr[r] = d(rstd[r]);
    ref64_layernorm_bwd(as_f(dy), as_f(x), rm, rr, as_f(ga), rows, dd, rdx, rdg, rdb);
    for (uint32_t r = 0; r < rows; r++) {
      size_t o = (size_t)r * dd;
      layernorm_bwd_bounds(as_f(dy) + o, as_f(x) + o, as_f(ga), dd, rm[r], rr[r], 0, 0, rdx + o, bdx);
      for (uint32_t c = 0; c < dd; c++) check(&wx, d(dx[o + c]), rdx[o + c], bdx[c], "dx", o + c);
    }
    for (uint32_t c = 0; c < dd; c++) {
      double sdy = 0, sdx = 0;
      for (uint32_t r = 0; r < rows; r++) {
        double xh = (d(x[(size_t)r * dd + c]) - rm[r]) * rr[r];
        sdy += fabs(d(dy[(size_t)r * dd + c])), sdx += fabs(d(dy[(size_t)r * dd + c]) * xh);
      }
      check(&wb, d(db[c]), rdb[c], gam(rows - 1) * sdy, "dbeta", c);
      check(&wg, d(dg[c]), rdg[c], SECOND_ORDER * gam(rows + 2) * sdx, "dgamma", c);
    }
    free(x), free(ga), free(be), free(dy), free(y), free(dx), free(dg), free(db), free(rdx), free(rdg), free(rdb);
    free(bdx);
  }
  report(&wx), report(&wg), report(&wb);
}

/* --- Cross-entropy ------------------------------------------------------------------------------ */

static const uint32_t ce_shapes[][2] = {{3, 1}, {5, 2}, {9, 7}, {6, 50}, {4, 1000}, {2, 50257}};

static void cross_entropy_within_bounds(void **state) {
  (void)state;
  seed(91);
  struct worst wf = {"cross_entropy_fwd", 0, 0, 0}, wb = {"cross_entropy_bwd", 0, 0, 0};
  for (size_t k = 0; k < 6; k++) {
    uint32_t m = ce_shapes[k][0], v = ce_shapes[k][1];
    size_t n = (size_t)m * v;
    uint32_t *x = fill(n, -8, 8), tg[16], loss[16], *dl = malloc(4 * n), scale = tvec_recip_u32(m);
    double rl[16], *rdl = malloc(8 * n), *p = malloc(8 * n), *bp = malloc(8 * v);
    for (uint32_t t = 0; t < m; t++) tg[t] = (uint32_t)(rnd64() % v);
    assert_int_equal(tvec_cross_entropy_fwd(x, tg, loss, m, v), TVEC_OK);
    assert_int_equal(tvec_cross_entropy_bwd(x, tg, scale, dl, m, v), TVEC_OK);
    ref64_cross_entropy_fwd(as_f(x), tg, m, v, rl);
    ref64_cross_entropy_bwd(as_f(x), tg, d(scale), m, v, rdl);
    ref64_softmax_fwd(as_f(x), m, v, false, 0, p);
    for (uint32_t t = 0; t < m; t++) {
      const float *xr = as_f(x) + (size_t)t * v;
      double mx = -INFINITY, emax = 0, s = 0;
      for (uint32_t c = 0; c < v; c++) mx = fmax(mx, xr[c]);
      for (uint32_t c = 0; c < v; c++) emax = fmax(emax, U * fabs(xr[c] - mx) + E_EXP), s += exp(xr[c] - mx);
      double es = emax + gam(v - 1), lse = mx + log(s);
      double bl = SECOND_ORDER * (es + E_LOG * fabs(log(s)) + U * fabs(lse) + U * fabs(rl[t]));
      check(&wf, d(loss[t]), rl[t], bl, "loss", t);
      softmax_bounds(xr, v, bp, p + (size_t)t * v);
      for (uint32_t c = 0; c < v; c++) {
        size_t o = (size_t)t * v + c;
        double q = p[o] - (c == tg[t]);
        check(&wb, d(dl[o]), rdl[o], SECOND_ORDER * (d(scale) * (bp[c] + U * fabs(q)) + U * fabs(rdl[o])), "dlogits", o);
      }
    }
    /* v = 1: the loss is +0 and the gradient 0 exactly. */
    if (v == 1)
      for (uint32_t t = 0; t < m; t++) assert_int_equal(loss[t], 0u);
    /* A target out of range is refused and nothing is written. */
    tg[m - 1] = v;
    loss[0] = 0x12345678u;
    assert_int_equal(tvec_cross_entropy_fwd(x, tg, loss, m, v), TVEC_EBADARG);
    assert_int_equal(tvec_cross_entropy_bwd(x, tg, scale, dl, m, v), TVEC_EBADARG);
    assert_int_equal(loss[0], 0x12345678u);
    free(x), free(dl), free(rdl), free(p), free(bp);
  }
  report(&wf), report(&wb);
}

/* --- Embedding -------------------------------------------------------------------------------- */

static void embedding_gather_and_colliding_scatter_add(void **state) {
  (void)state;
  seed(101);
  struct worst w = {"embedding_bwd", 0, 0, 0};
  enum { V = 5, D = 13, M = 200 };
  uint32_t *table = fill(V * D, -1, 1), ids[M], *out = malloc(4 * M * D), *dy = fill(M * D, -1, 1);
  uint32_t *dt = calloc(V * D, 4);
  double rt[V * D], ra[V * D];
  for (int t = 0; t < M; t++) ids[t] = (uint32_t)(rnd64() % V); /* 40 tokens per id on average */
  assert_int_equal(tvec_embedding_fwd(table, ids, out, M, V, D), TVEC_OK);
  for (int t = 0; t < M; t++) assert_memory_equal(out + t * D, table + ids[t] * D, 4 * D);
  assert_int_equal(tvec_embedding_bwd(dy, ids, dt, M, V, D), TVEC_OK);
  ref64_embedding_bwd(as_f(dy), ids, M, V, D, rt, ra);
  int cnt[V] = {0};
  for (int t = 0; t < M; t++) cnt[ids[t]]++;
  for (int a = 0; a < V * D; a++) check(&w, d(dt[a]), rt[a], gam(cnt[a / D] - 1) * ra[a], "dtable", (size_t)a);
  /* Every token the same id: the element is the sequential float sum in token order, bit for bit,
   * starting from the value already there. */
  for (int t = 0; t < M; t++) ids[t] = 3;
  for (int a = 0; a < V * D; a++) dt[a] = table[a];
  assert_int_equal(tvec_embedding_bwd(dy, ids, dt, M, V, D), TVEC_OK);
  for (int c = 0; c < D; c++) {
    volatile float s = u2f(table[3 * D + c]);
    for (int t = 0; t < M; t++) s = s + u2f(dy[t * D + c]);
    assert_int_equal(dt[3 * D + c], f2u(s));
    assert_int_equal(dt[2 * D + c], table[2 * D + c]); /* other rows untouched */
  }
  /* An id out of range is refused before anything is written. */
  ids[M - 1] = V;
  dt[0] = 0x12345678u;
  assert_int_equal(tvec_embedding_bwd(dy, ids, dt, M, V, D), TVEC_EBADARG);
  assert_int_equal(tvec_embedding_fwd(table, ids, out, M, V, D), TVEC_EBADARG);
  assert_int_equal(dt[0], 0x12345678u);
  free(table), free(out), free(dy), free(dt);
  report(&w);
}

/* --- AdamW -------------------------------------------------------------------------------------- */

/* Bound on the new weight (docs/vector-kernels.md, "AdamW"), from the float64 values. */
static double adamw_w_bound(const struct ref64_adamw *hp, double w, double g, double mo, double vo, double wn) {
  double bc1 = 1 - pow(hp->beta1, hp->step), bc2 = 1 - pow(hp->beta2, hp->step);
  double mn = hp->beta1 * mo + (1 - hp->beta1) * g, vn = hp->beta2 * vo + (1 - hp->beta2) * g * g;
  double emn = U * fabs((1 - hp->beta1) * g) + U * fabs(mn), evn = 2 * U * (1 - hp->beta2) * g * g + U * vn;
  double mh = mn / bc1, vh = vn / bc2, sq = sqrt(vh), den = sq + hp->eps, up = mh / den;
  double emh = emn / bc1 + fabs(mh) * (4 * U + E_RCP), evh = evn / bc2 + vh * (4 * U + E_RCP);
  double esq = vh > 0 ? sq * (evh / vh / 2 + E_RCP + U) : 0, eden = esq + U * den;
  double eup = emh / den + fabs(up) * (eden / den + E_RCP + U);
  double ew1 = 2 * U * fabs(w * (1 - hp->lr * hp->weight_decay));
  return SECOND_ORDER * (ew1 + hp->lr * eup + U * fabs(wn));
}

static void adamw_within_bounds(void **state) {
  (void)state;
  seed(111);
  struct worst ww = {"adamw w", 0, 0, 0}, wm = {"adamw m", 0, 0, 0}, wv = {"adamw v", 0, 0, 0};
  enum { N = 3001 };
  const uint32_t steps[] = {1, 2, 10, 1000, 54321};
  struct tvec_adamw hp = {f2u(1e-3f), f2u(0.9f), f2u(0.999f), f2u(1e-8f), f2u(0.01f), 0};
  struct ref64_adamw rh = {d(hp.lr), d(hp.beta1), d(hp.beta2), d(hp.eps), d(hp.weight_decay), 0};
  for (size_t k = 0; k < 5; k++) {
    uint32_t *w = fill(N, -2, 2), *g = fill(N, -1, 1), *m = fill(N, -0.1, 0.1), *v = fill(N, 0, 0.01);
    uint16_t *wb = malloc(2 * N);
    double *rw = malloc(8 * N), *rm = malloc(8 * N), *rv = malloc(8 * N);
    for (int i = 0; i < N; i += 7) g[i] = f2u(runi(-1e-6, 1e-6)); /* tiny gradients: eps matters */
    for (int i = 3; i < N; i += 11) m[i] = v[i] = 0, g[i] = 0;      /* all zero: sqrt(0) path */
    hp.step = rh.step = steps[k];
    ref64_adamw(&rh, as_f(w), as_f(g), as_f(m), as_f(v), N, rw, rm, rv);
    float *w0 = malloc(4 * N), *m0 = malloc(4 * N), *v0 = malloc(4 * N);
    memcpy(w0, w, 4 * N), memcpy(m0, m, 4 * N), memcpy(v0, v, 4 * N);
    assert_int_equal(tvec_adamw_update(&hp, w, g, m, v, wb, N), TVEC_OK);
    for (int i = 0; i < N; i++) {
      double gi = d(g[i]);
      check(&wm, d(m[i]), rm[i], SECOND_ORDER * (U * fabs((1 - rh.beta1) * gi) + U * fabs(rm[i])), "m", i);
      check(&wv, d(v[i]), rv[i], SECOND_ORDER * (2 * U * (1 - rh.beta2) * gi * gi + U * rv[i]), "v", i);
      check(&ww, d(w[i]), rw[i], adamw_w_bound(&rh, w0[i], gi, m0[i], v0[i], rw[i]), "w", i);
      assert_true(fabs(d(tnum_bf16_to_f32(wb[i])) - d(w[i])) <= 0x1p-8 * fabs(d(w[i]))); /* half a bf16 ulp */
    }
    free(w), free(g), free(m), free(v), free(wb), free(rw), free(rm), free(rv), free(w0), free(m0), free(v0);
  }
  report(&ww), report(&wm), report(&wv);
}

/* First step from zero moments, by hand: m = (1 - b1) g, v = (1 - b2) g^2, m_hat = g,
 * v_hat = g^2, so w' = w (1 - lr wd) - lr g / (|g| + eps). With w = 1.5, g = -0.25, lr = 2^-10,
 * wd = 2^-4, eps = 2^-20: w' = 1.5 (1 - 2^-14) + 2^-12 / (0.25 + 2^-20). */
static void adamw_first_step_by_hand(void **state) {
  (void)state;
  struct tvec_adamw hp = {f2u(0x1p-10f), f2u(0.9f), f2u(0.999f), f2u(0x1p-20f), f2u(0x1p-4f), 1};
  uint32_t w = f2u(1.5f), g = f2u(-0.25f), m = 0, v = 0;
  uint16_t wb;
  assert_int_equal(tvec_adamw_update(&hp, &w, &g, &m, &v, &wb, 1), TVEC_OK);
  double want = 1.5 * (1.0 - 0x1p-14) + 0x1p-12 / (0.25 + 0x1p-20);
  struct ref64_adamw rh = {0x1p-10, 0.9f, 0.999f, 0x1p-20, 0x1p-4, 1};
  double b = adamw_w_bound(&rh, 1.5, -0.25, 0, 0, want);
  printf("# adamw first step: got %.9g, by hand %.12g, error %.3g, bound %.3g\n", d(w), want, fabs(d(w) - want), b);
  assert_true(fabs(d(w) - want) <= b);
  assert_true(d(m) == (1.0 - (double)0.9f) * -0.25);                 /* exact: 1 - b1 exact, g a power of 2 */
  assert_true(fabs(d(v) - (1.0 - (double)0.999f) * 0.0625) <= U * d(v)); /* one rounding */
  assert_int_equal(wb, tnum_f32_to_bf16(w));
  hp.step = 0;
  assert_int_equal(tvec_adamw_update(&hp, &w, &g, &m, &v, &wb, 1), TVEC_EBADARG);
}

/* --- Epilogue ------------------------------------------------------------------------------- */

static void epilogue_chain_within_bounds_and_cast_last(void **state) {
  (void)state;
  seed(121);
  struct worst w = {"epilogue", 0, 0, 0};
  enum { M = 9, N = 13 };
  uint32_t *acc = fill(M * N, -6, 6), *bias = fill(N, -1, 1), *res = fill(M * N, -3, 3);
  uint32_t out[M * N], o32[M * N];
  double ref[M * N];
  const uint32_t scales[] = {TVEC_F32_ONE, f2u(0.7f), f2u(-3.25f)};
  for (int combo = 0; combo < 8; combo++)
    for (int si = 0; si < 3; si++) {
      struct tvec_epilogue ep = {combo & 1 ? bias : NULL, combo & 2 ? TVEC_ACT_GELU : TVEC_ACT_NONE,
                                 combo & 4 ? res : NULL, scales[si], TVEC_CAST_F32};
      tvec_epilogue_apply(&ep, acc, o32, M, N);
      ref64_epilogue(as_f(acc), ep.bias ? as_f(bias) : NULL, ep.act, ep.residual ? as_f(res) : NULL, d(scales[si]), M,
                     N, ref);
      for (int t = 0; t < M; t++)
        for (int c = 0; c < N; c++) {
          int o = t * N + c;
          double z = d(acc[o]) + (ep.bias ? d(bias[c]) : 0), e = ep.bias ? U * fabs(z) : 0;
          if (ep.act == TVEC_ACT_GELU) {
            double gz = ref64_gelu(z);
            e = fabs(ref64_gelu_grad(z)) * e + E_TANH * fmax(fabs(gz), 0x1p-4), z = gz;
          }
          if (ep.residual) z += d(res[o]), e += U * fabs(z);
          double s = d(scales[si]);
          e = fabs(s) * e + (s == 1.0 ? 0 : U * fabs(z * s));
          check(&w, d(o32[o]), ref[o], SECOND_ORDER * e, "out", (size_t)o);
        }
      /* The cast is the last step: the bf16 output is the fp32 output rounded to bf16. */
      ep.cast = TVEC_CAST_BF16;
      tvec_epilogue_apply(&ep, acc, out, M, N);
      for (int o = 0; o < M * N; o++) assert_int_equal(out[o], tnum_bf16_to_f32(tnum_f32_to_bf16(o32[o])));
    }
  /* In place (out aliases acc). */
  struct tvec_epilogue ep = {bias, TVEC_ACT_GELU, res, f2u(0.7f), TVEC_CAST_F32};
  tvec_epilogue_apply(&ep, acc, o32, M, N);
  tvec_epilogue_apply(&ep, acc, acc, M, N);
  assert_memory_equal(acc, o32, sizeof o32);
  free(acc), free(bias), free(res);
  report(&w);
}

/* --- Gradient checks: backward kernels against finite differences of the float64 forward ------ */

/* Fourth-order central difference of f at x along one coordinate, step h = 2^-12: exact on
 * bf16-valued inputs below 16 in magnitude (x +- 2h is an fp32 value). */
#define FD_H 0x1p-12
static double fd4(double fm2, double fm1, double fp1, double fp2) {
  return (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * FD_H);
}

static void gradient_check_gelu(void **state) {
  (void)state;
  seed(131);
  struct worst w = {"fd gelu_bwd", 0, 0, 0};
  enum { N = 400 };
  uint32_t x[N], dy[N], dx[N];
  for (int i = 0; i < N; i++) x[i] = f2u(rbf16(-6, 6)), dy[i] = f2u(rbf16(-2, 2));
  tvec_gelu_bwd(x, dy, dx, N);
  for (int i = 0; i < N; i++) {
    double xi = d(x[i]), dyi = d(dy[i]);
    double fd = dyi * fd4(ref64_gelu(xi - 2 * FD_H), ref64_gelu(xi - FD_H), ref64_gelu(xi + FD_H),
                          ref64_gelu(xi + 2 * FD_H));
    check(&w, d(dx[i]), fd, gelu_bwd_bound(xi, dyi) + FD_TOL, "dx", (size_t)i);
  }
  report(&w);
}

/* L(x) = sum_c dY[c] softmax(x)[c] over one row. */
static double sm_loss(float *xr, const float *dyr, uint32_t cols, uint32_t r, bool causal, int32_t off, double *tmp) {
  (void)r;
  ref64_softmax_fwd(xr, 1, cols, causal, off, tmp);
  double l = 0;
  for (uint32_t c = 0; c < cols; c++) l += dyr[c] * tmp[c];
  return l;
}

static void gradient_check_softmax(void **state) {
  (void)state;
  seed(141);
  struct worst w = {"fd softmax_bwd", 0, 0, 0};
  enum { R = 6, C = 11 };
  float x[R * C], dyf[R * C];
  double p[R * C], tmp[C];
  uint32_t pf[R * C], dy[R * C], dx[R * C];
  for (int i = 0; i < R * C; i++) x[i] = rbf16(-4, 4), dyf[i] = rbf16(-1, 1), dy[i] = f2u(dyf[i]);
  const int32_t off = 2;
  ref64_softmax_fwd(x, R, C, true, off, p);
  for (int i = 0; i < R * C; i++) pf[i] = f2u((float)p[i]);
  tvec_softmax_bwd(pf, dy, dx, R, C, true, off);
  for (uint32_t r = 0; r < R; r++) {
    /* Row r of the [R][C] matrix as a one-row problem with the same mask: offset + r. */
    float *xr = x + r * C;
    uint32_t nv = tvec_row_valid(r, C, true, off);
    double dot = 0, dabs = 0;
    for (uint32_t c = 0; c < nv; c++) dot += p[r * C + c] * dyf[r * C + c], dabs += fabs(p[r * C + c] * dyf[r * C + c]);
    for (uint32_t c = 0; c < C; c++) {
      float x0 = xr[c];
      double f[4];
      const double st[4] = {-2, -1, 1, 2};
      for (int s = 0; s < 4; s++) xr[c] = (float)(x0 + st[s] * FD_H), f[s] = sm_loss(xr, dyf + r * C, C, r, true, off + (int32_t)r, tmp);
      xr[c] = x0;
      double fd = fd4(f[0], f[1], f[2], f[3]);
      double pc = p[r * C + c], ref = pc * (dyf[r * C + c] - dot);
      /* Kernel bound at the given p, plus p rounded to fp32 (relative u) as its input. */
      double b = (gam(nv) * dabs + U * fabs(dyf[r * C + c] - dot)) * pc + U * fabs(ref);
      b += U * pc * (fabs(dyf[r * C + c] - dot) + dabs);
      check(&w, d(dx[r * C + c]), fd, SECOND_ORDER * b + FD_TOL, "dx", r * C + c);
    }
  }
  report(&w);
}

static void gradient_check_layernorm(void **state) {
  (void)state;
  seed(151);
  struct worst w = {"fd layernorm_bwd dx", 0, 0, 0}, wg = {"fd layernorm_bwd dgamma", 0, 0, 0};
  enum { R = 3, D = 9 };
  float x[R * D], ga[D], be[D], dyf[R * D];
  const float eps = 1e-5f;
  for (int i = 0; i < R * D; i++) x[i] = rbf16(-3, 3), dyf[i] = rbf16(-1, 1);
  for (int c = 0; c < D; c++) ga[c] = rbf16(0.5, 1.5), be[c] = rbf16(-1, 1);
  double y[R * D], mean[R], rstd[R];
  ref64_layernorm_fwd(x, ga, be, eps, R, D, y, mean, rstd);
  uint32_t mf[R], rf[R], dx[R * D], dg[D] = {0}, db[D] = {0};
  for (int r = 0; r < R; r++) mf[r] = f2u((float)mean[r]), rf[r] = f2u((float)rstd[r]);
  tvec_layernorm_bwd((uint32_t *)(void *)dyf, (uint32_t *)(void *)x, mf, rf, (uint32_t *)(void *)ga, dx, dg, db, R, D);
  double rdx[R * D], rdg[D], rdb[D], bdx[D];
  ref64_layernorm_bwd(dyf, x, mean, rstd, ga, R, D, rdx, rdg, rdb);
  for (int r = 0; r < R; r++) {
    layernorm_bwd_bounds(dyf + r * D, x + r * D, ga, D, mean[r], rstd[r], U * fabs(mean[r]), U, rdx + r * D, bdx);
    for (int c = 0; c < D; c++) {
      float x0 = x[r * D + c];
      double f[4];
      const double st[4] = {-2, -1, 1, 2};
      for (int s = 0; s < 4; s++) {
        double yy[D], mm, rr;
        x[r * D + c] = (float)(x0 + st[s] * FD_H);
        ref64_layernorm_fwd(x + r * D, ga, be, eps, 1, D, yy, &mm, &rr);
        f[s] = 0;
        for (int e = 0; e < D; e++) f[s] += dyf[r * D + e] * yy[e];
      }
      x[r * D + c] = x0;
      check(&w, d(dx[r * D + c]), fd4(f[0], f[1], f[2], f[3]), bdx[c] + FD_TOL, "dx", (size_t)(r * D + c));
    }
  }
  for (int c = 0; c < D; c++) {
    float g0 = ga[c];
    double f[4], sdx = 0;
    const double st[4] = {-2, -1, 1, 2};
    for (int s = 0; s < 4; s++) {
      double yy[R * D], mm[R], rr[R];
      ga[c] = (float)(g0 + st[s] * FD_H);
      ref64_layernorm_fwd(x, ga, be, eps, R, D, yy, mm, rr);
      f[s] = 0;
      for (int e = 0; e < R * D; e++) f[s] += dyf[e] * yy[e];
    }
    ga[c] = g0;
    for (int r = 0; r < R; r++) sdx += fabs(dyf[r * D + c] * (x[r * D + c] - mean[r]) * rstd[r]);
    /* dgamma's chain plus xhat from the fp32-rounded statistics (relative 2u + u|mean| rstd / |x - mean|). */
    double b = gam(R + 2) * sdx;
    for (int r = 0; r < R; r++) b += fabs(dyf[r * D + c]) * (U * fabs(x[r * D + c] - mean[r]) * rstd[r] + U * fabs(mean[r]) * rstd[r]);
    check(&wg, d(dg[c]), fd4(f[0], f[1], f[2], f[3]), SECOND_ORDER * b + FD_TOL, "dgamma", (size_t)c);
  }
  report(&w), report(&wg);
}

static void gradient_check_cross_entropy(void **state) {
  (void)state;
  seed(161);
  struct worst w = {"fd cross_entropy_bwd", 0, 0, 0};
  enum { M = 4, V = 10 };
  float x[M * V];
  uint32_t tg[M], dl[M * V], scale = tvec_recip_u32(M);
  double p[M * V], bp[V], loss[M];
  for (int i = 0; i < M * V; i++) x[i] = rbf16(-5, 5);
  for (int t = 0; t < M; t++) tg[t] = (uint32_t)(rnd64() % V);
  assert_int_equal(tvec_cross_entropy_bwd((uint32_t *)(void *)x, tg, scale, dl, M, V), TVEC_OK);
  ref64_softmax_fwd(x, M, V, false, 0, p);
  for (int t = 0; t < M; t++) {
    softmax_bounds(x + t * V, V, bp, p + t * V);
    for (int c = 0; c < V; c++) {
      float x0 = x[t * V + c];
      double f[4];
      const double st[4] = {-2, -1, 1, 2};
      for (int s = 0; s < 4; s++) {
        x[t * V + c] = (float)(x0 + st[s] * FD_H);
        ref64_cross_entropy_fwd(x, tg, M, V, loss);
        f[s] = 0;
        for (int e = 0; e < M; e++) f[s] += loss[e] * d(scale); /* the mean loss */
      }
      x[t * V + c] = x0;
      double q = p[t * V + c] - ((uint32_t)c == tg[t]), fd = fd4(f[0], f[1], f[2], f[3]);
      double b = SECOND_ORDER * (d(scale) * (bp[c] + U * fabs(q)) + U * fabs(q * d(scale)));
      check(&w, d(dl[t * V + c]), fd, b + FD_TOL, "dlogits", (size_t)(t * V + c));
    }
  }
  report(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(log_within_bound_against_libm),
      cmocka_unit_test(recip_u32_correctly_rounded_and_int_exact),
      cmocka_unit_test(bias_correction_near_float64),
      cmocka_unit_test(gelu_fwd_bwd_within_bounds),
      cmocka_unit_test(residual_and_scale_are_correctly_rounded),
      cmocka_unit_test(softmax_fwd_within_bounds_and_masked_rows_zero),
      cmocka_unit_test(softmax_bwd_within_bounds),
      cmocka_unit_test(layernorm_fwd_within_bounds),
      cmocka_unit_test(layernorm_constant_row_gives_beta),
      cmocka_unit_test(layernorm_bwd_within_bounds),
      cmocka_unit_test(cross_entropy_within_bounds),
      cmocka_unit_test(embedding_gather_and_colliding_scatter_add),
      cmocka_unit_test(adamw_within_bounds),
      cmocka_unit_test(adamw_first_step_by_hand),
      cmocka_unit_test(epilogue_chain_within_bounds_and_cast_last),
      cmocka_unit_test(gradient_check_gelu),
      cmocka_unit_test(gradient_check_softmax),
      cmocka_unit_test(gradient_check_layernorm),
      cmocka_unit_test(gradient_check_cross_entropy),
  };
  return cmocka_run_group_tests_name("vec_fn", tests, NULL, NULL);
}
