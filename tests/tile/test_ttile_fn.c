/* The linear-layer kernels in the tile's summation order, against the float64 references:
 * elementwise rounding-error bounds, exact integer cases, and a case whose answer depends on the
 * documented order. Also the references' own consistency and the .npy files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <cmocka.h>

#include "tessera/npy.h"
#include "tessera/numerics.h"
#include "tessera/ref64.h"
#include "tessera/sparse.h"
#include "ttile_fn.h"

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

static uint64_t rng = 1;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
/* A bf16-representable value in about [-2, 2], never zero. */
static float rnd_bf16(void) {
  float v = ((float)(rnd() % 2048) + 1.0f) / 1024.0f * (rnd() & 1 ? 1.0f : -1.0f);
  return u2f(f2u(v) & 0xffff0000u);
}

/* gamma_c = c u / (1 - c u), u = 2^-24: the classic bound on c roundings in a sum. */
static double gamma_c(double c) {
  double u = 1.0 / 16777216.0;
  return c * u / (1.0 - c * u);
}

struct problem {
  uint32_t m, n, k;
  uint8_t *mask;
  float *x, *w, *dy;
  struct tsp_stream st;
  uint16_t *wv; /* W in stream order, bf16 */
};

static void make_problem(struct problem *pb, uint32_t m, uint32_t n, uint32_t k, int pattern, uint32_t p, uint32_t s) {
  pb->m = m, pb->n = n, pb->k = k;
  pb->mask = malloc((size_t)n * k);
  pb->x = malloc(sizeof(float) * m * k);
  pb->w = malloc(sizeof(float) * n * k);
  pb->dy = malloc(sizeof(float) * m * n);
  if (pattern == 0) assert_int_equal(tsp_mask_dense(pb->mask, n, k), TSP_OK);
  if (pattern == 1) assert_int_equal(tsp_mask_random(pb->mask, n, k, 0.25, 3), TSP_OK);
  if (pattern == 2) assert_int_equal(tsp_mask_block(pb->mask, n, k, p, 0.25, 3), TSP_OK);
  if (pattern == 3) assert_int_equal(tsp_mask_nm(pb->mask, n, k, 2, 4, 3), TSP_OK);
  for (size_t a = 0; a < (size_t)m * k; a++) pb->x[a] = rnd_bf16();
  for (size_t a = 0; a < (size_t)n * k; a++) pb->w[a] = pb->mask[a] ? rnd_bf16() : 0.0f;
  for (size_t a = 0; a < (size_t)m * n; a++) pb->dy[a] = rnd_bf16();
  assert_int_equal(tsp_stream_build(&pb->st, pb->mask, n, k, p, s, 1), TSP_OK);
  pb->wv = malloc(sizeof(uint16_t) * pb->st.ngroups * p);
  for (size_t a = 0; a < (size_t)pb->st.ngroups * p; a++)
    pb->wv[a] = pb->st.src[a] == UINT32_MAX ? 0 : (uint16_t)(f2u(pb->w[pb->st.src[a]]) >> 16);
}

static void free_problem(struct problem *pb) {
  tsp_stream_free(&pb->st);
  free(pb->mask), free(pb->x), free(pb->w), free(pb->dy), free(pb->wv);
}

/* Every output within gamma_(chain + tree depth) * sum|terms| of the float64 value. */
static void all_kernels_within_rounding_bounds(void **state) {
  (void)state;
  const uint32_t shapes[][3] = {{8, 24, 40}, {13, 17, 35}, {32, 64, 64}}; /* ragged ones included */
  for (size_t sh = 0; sh < 3; sh++)
    for (int pat = 0; pat < 4; pat++) {
      uint32_t m = shapes[sh][0], n = shapes[sh][1], k = shapes[sh][2], p = 4, s = 8, lanes = 4, d = 2;
      struct problem pb;
      make_problem(&pb, m, n, k, pat, p, s);
      uint32_t *xu = malloc(4 * m * k), *dyu = malloc(4 * m * n), *y = malloc(4 * m * n), *dx = calloc(m * k, 4);
      uint32_t *dwv = calloc(pb.st.ngroups * p, 4);
      double *ref = malloc(sizeof(double) * (m * k > n * k ? m * k : n * k) + sizeof(double) * m * n);
      double *abs_ = malloc(sizeof(double) * (m * k > n * k ? m * k : n * k) + sizeof(double) * m * n);
      memcpy(xu, pb.x, 4 * m * k);
      memcpy(dyu, pb.dy, 4 * m * n);

      ttile_fn_fwd(&pb.st, pb.wv, xu, m, y);
      ref64_fwd(pb.x, pb.w, pb.mask, m, n, k, ref, abs_);
      for (size_t a = 0; a < (size_t)m * n; a++)
        assert_true(fabs((double)u2f(y[a]) - ref[a]) <= gamma_c(k + 4) * abs_[a]);

      ttile_fn_bwd_data(&pb.st, pb.wv, dyu, m, dx);
      ref64_bwd_data(pb.dy, pb.w, pb.mask, m, n, k, ref, abs_);
      for (size_t a = 0; a < (size_t)m * k; a++)
        assert_true(fabs((double)u2f(dx[a]) - ref[a]) <= gamma_c(n) * abs_[a]);

      ttile_fn_bwd_weight(&pb.st, dyu, xu, m, lanes, d, dwv);
      ref64_bwd_weight(pb.dy, pb.x, pb.mask, m, n, k, ref, abs_);
      for (size_t a = 0; a < (size_t)pb.st.ngroups * p; a++) {
        if (pb.st.src[a] == UINT32_MAX) continue;
        assert_true(fabs((double)u2f(dwv[a]) - ref[pb.st.src[a]]) <= gamma_c(m + 4) * abs_[pb.st.src[a]]);
      }
      free(xu), free(dyu), free(y), free(dx), free(dwv), free(ref), free(abs_);
      free_problem(&pb);
    }
}

/* Small integers: every partial sum is exact, so any order must give the exact integer. A dropped,
 * doubled or misplaced term shows up as a wrong integer. */
static void integer_sums_are_exact(void **state) {
  (void)state;
  enum { M = 9, N = 11, K = 37, P = 4, S = 8 };
  struct problem pb;
  make_problem(&pb, M, N, K, 1, P, S);
  for (size_t a = 0; a < M * K; a++) pb.x[a] = (float)((int)(rnd() % 15) - 7);
  for (size_t a = 0; a < (size_t)pb.st.ngroups * P; a++)
    if (pb.st.src[a] != UINT32_MAX) {
      float v = (float)((int)(rnd() % 15) - 7);
      pb.w[pb.st.src[a]] = v;
      pb.wv[a] = (uint16_t)(f2u(v) >> 16);
    }
  for (size_t a = 0; a < M * N; a++) pb.dy[a] = (float)((int)(rnd() % 15) - 7);
  uint32_t y[M * N], dx[M * K] = {0}, *dw = calloc(pb.st.ngroups * P, 4);
  double ref[N * K], abs_[N * K];
  ttile_fn_fwd(&pb.st, pb.wv, (const uint32_t *)pb.x, M, y);
  ref64_fwd(pb.x, pb.w, pb.mask, M, N, K, ref, abs_);
  for (size_t a = 0; a < M * N; a++) assert_true((double)u2f(y[a]) == ref[a]);
  ttile_fn_bwd_data(&pb.st, pb.wv, (const uint32_t *)pb.dy, M, dx);
  ref64_bwd_data(pb.dy, pb.w, pb.mask, M, N, K, ref, abs_);
  for (size_t a = 0; a < M * K; a++) assert_true((double)u2f(dx[a]) == ref[a]);
  ttile_fn_bwd_weight(&pb.st, (const uint32_t *)pb.dy, (const uint32_t *)pb.x, M, 2, 2, dw);
  ref64_bwd_weight(pb.dy, pb.x, pb.mask, M, N, K, ref, abs_);
  for (size_t a = 0; a < (size_t)pb.st.ngroups * P; a++)
    if (pb.st.src[a] != UINT32_MAX) assert_true((double)u2f(dw[a]) == ref[pb.st.src[a]]);
  free(dw);
  free_problem(&pb);
}

/* One row, w = 1, x = (2^24, 1, 1, 1), P = S = 2. Groups {0,1} {2,3}: slot 0 sums 2^24 + 1 (a tie
 * that rounds back to 2^24), slot 1 sums 1 + 1 = 2, the tree adds them: 16777218. One sequential
 * chain would give 16777216; the exact sum is 16777219. */
static void summation_order_is_the_documented_one(void **state) {
  (void)state;
  uint8_t mask[4] = {1, 1, 1, 1};
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, 1, 4, 2, 2, 1), TSP_OK);
  uint16_t wv[4] = {0x3f80, 0x3f80, 0x3f80, 0x3f80};
  uint32_t x[4] = {f2u(16777216.0f), f2u(1.0f), f2u(1.0f), f2u(1.0f)}, y = 0;
  ttile_fn_fwd(&st, wv, x, 1, &y);
  assert_true(u2f(y) == 16777218.0f);
  /* bwd_weight: 4 tokens, dY = 1, X column 0 = (2^24, 1, 1, 1); 2 lanes x 1 token per pass:
   * pass 0: tree(2^24, 1) = 2^24; pass 1 adds tree(1, 1) = 2 -> 16777218 again. */
  uint32_t dy[4], xx[16], dw[4] = {0};
  for (int t = 0; t < 4; t++) {
    dy[t] = f2u(1.0f);
    for (int j = 0; j < 4; j++) xx[t * 4 + j] = f2u(t == 0 && j == 0 ? 16777216.0f : 1.0f);
  }
  ttile_fn_bwd_weight(&st, dy, xx, 4, 2, 1, dw);
  assert_true(u2f(dw[0]) == 16777218.0f);
  /* The tree of three: add(add(a0, a1), a2). */
  uint32_t v[3] = {f2u(16777216.0f), f2u(1.0f), f2u(1.0f)};
  assert_true(u2f(ttile_fn_tree(v, 3)) == 16777216.0f);
  tsp_stream_free(&st);
}

/* <X W^T, dY> = <X, dY W>: the float64 references agree with each other. */
static void references_are_adjoint(void **state) {
  (void)state;
  struct problem pb;
  make_problem(&pb, 6, 10, 14, 1, 4, 8);
  double y[60], ya[60], dx[84], dxa[84], lhs = 0, rhs = 0, mag = 0;
  ref64_fwd(pb.x, pb.w, pb.mask, 6, 10, 14, y, ya);
  ref64_bwd_data(pb.dy, pb.w, pb.mask, 6, 10, 14, dx, dxa);
  for (int a = 0; a < 60; a++) lhs += y[a] * pb.dy[a], mag += ya[a] * fabs(pb.dy[a]);
  for (int a = 0; a < 84; a++) rhs += dx[a] * pb.x[a];
  assert_true(fabs(lhs - rhs) <= 1e-12 * mag);
  assert_true(mag > 1.0);
  free_problem(&pb);
}

static void npy_roundtrip_and_format(void **state) {
  (void)state;
  char path[] = "/tmp/tessera-npy-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  const float v[6] = {1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-40f};
  assert_int_equal(npy_write_f32(path, v, 2, 3), 0);
  FILE *f = fopen(path, "rb");
  unsigned char head[128];
  size_t got = fread(head, 1, sizeof head, f);
  fclose(f);
  assert_true(got == 128 && !memcmp(head, "\x93NUMPY\x01\x00", 8));
  size_t hlen = head[8] | (size_t)head[9] << 8;
  assert_int_equal((10 + hlen) % 64, 0);
  assert_int_equal(head[10 + hlen - 1], '\n');
  assert_non_null(strstr((char *)head + 10, "'shape': (2, 3)"));
  float *r;
  uint32_t rows, cols;
  char err[200];
  assert_int_equal(npy_read_f32(path, &r, &rows, &cols, err, sizeof err), 0);
  assert_int_equal(rows, 2);
  assert_int_equal(cols, 3);
  assert_memory_equal(r, v, sizeof v);
  free(r);
  f = fopen(path, "wb");
  fputs("not numpy", f);
  fclose(f);
  assert_int_equal(npy_read_f32(path, &r, &rows, &cols, err, sizeof err), -1);
  assert_non_null(strstr(err, "not a .npy file"));
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(all_kernels_within_rounding_bounds),
      cmocka_unit_test(integer_sums_are_exact),
      cmocka_unit_test(summation_order_is_the_documented_one),
      cmocka_unit_test(references_are_adjoint),
      cmocka_unit_test(npy_roundtrip_and_format),
  };
  return cmocka_run_group_tests_name("tile_fn", tests, NULL, NULL);
}
