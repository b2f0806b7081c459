/* The RTL numerics units (rtl/fpu/, through sim/include/tsim_fpu.h) against independent IEEE
 * references (tests/numerics/ref_ieee.h) and against the C golden library (tessera/numerics.h) on the same
 * vectors: corner lists and fixed-seed random mixtures (fpu_vec.h) for f32 add/mul/fma and
 * bf16_fma, exhaustive and boundary sweeps for the conversions, every fp8 x fp8 product.
 * This is the make-test tier; fpu_check_long.c runs millions per op (make bench-numerics-rtl-long). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref_ieee.h"
#include "fpu_vec.h"
#include "tessera/numerics.h"
#include "tsim_fpu.h"

#define N_RANDOM 200000u

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

/* --- Running and comparing ------------------------------------------------------------------ */
static void run_ok(enum tnum_op op, size_t n, const uint32_t *a, const uint32_t *b, const uint32_t *c, uint32_t *r) {
  assert_int_equal(tsim_fpu_run(fpu, op, n, a, b, c, r), TSIM_FPU_OK);
}

static const char *op_name(enum tnum_op op) {
  static const char *names[] = {
#define NAME(id, name, nargs, a, b, c, r) name,
      TNUM_OPS(NAME)
#undef NAME
  };
  return (unsigned)op < TNUM_OP_COUNT ? names[op] : "?";
}

/* Said after the op name in failure messages (e.g. which class of a mixture); cleared by
 * vecs_new, so a test that failed inside a class leaves nothing behind. */
static char context[48];

/* RTL results against the IEEE reference and against the C library on the same vectors. Prints
 * the first few disagreements with all three values (so a library bug is told from an RTL one)
 * and fails if the RTL differs from either. */
static void expect_equal(enum tnum_op op, size_t n, const uint32_t *a, const uint32_t *b, const uint32_t *c,
                         const uint32_t *got, const uint32_t *want) {
  size_t bad_ref = 0, bad_lib = 0, lib_wrong = 0, shown = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t bi = b ? b[i] : 0, ci = c ? c[i] : 0;
    uint32_t lib = tnum_eval(op, a[i], bi, ci);
    if (got[i] == want[i] && lib == want[i]) continue;
    bad_ref += got[i] != want[i];
    bad_lib += got[i] != lib;
    lib_wrong += lib != want[i];
    if (shown++ < 8)
      print_message("%s a=%08x b=%08x c=%08x: rtl %08x, IEEE reference %08x, library %08x\n", op_name(op), a[i], bi,
                    ci, got[i], want[i], lib);
  }
  if (bad_ref || bad_lib)
    fail_msg("%s%s: of %zu results %zu differ from the IEEE reference and %zu from the library "
             "(the library differs from the IEEE reference on %zu)",
             op_name(op), context, n, bad_ref, bad_lib, lib_wrong);
}

struct vecs {
  size_t n;
  uint32_t *a, *b, *c, *r, *want;
};

static struct vecs vecs_new(size_t n) {
  struct vecs v = {n, calloc(n, 4), calloc(n, 4), calloc(n, 4), calloc(n, 4), calloc(n, 4)};
  context[0] = '\0';
  assert_non_null(v.a);
  assert_non_null(v.b);
  assert_non_null(v.c);
  assert_non_null(v.r);
  assert_non_null(v.want);
  return v;
}

static void vecs_free(struct vecs *v) {
  free(v->a);
  free(v->b);
  free(v->c);
  free(v->r);
  free(v->want);
}

/* Reference, RTL run and comparison of the first v->n vectors. */
static void check_vecs(enum tnum_op op, struct vecs *v) {
  for (size_t i = 0; i < v->n; i++) v->want[i] = vec_ref(op, v->a[i], v->b[i], v->c[i]);
  run_ok(op, v->n, v->a, v->b, v->c, v->r);
  expect_equal(op, v->n, v->a, v->b, v->c, v->r, v->want);
}

/* --- Corner lists ---------------------------------------------------------------------------- */
static const uint32_t corners[] = {
    0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x00000002u, 0x00000003u, 0x007fffffu, 0x807fffffu,
    0x00800000u, 0x80800000u, 0x00800001u, 0x00400000u, 0x00400001u, 0x00c00000u, 0x01000000u, 0x017fffffu,
    0x3f800000u, 0xbf800000u, 0x3f800001u, 0x3f7fffffu, 0x3fffffffu, 0x40000000u, 0x3f000000u, 0x34000000u,
    0x33800000u, 0x33800001u, 0x33ffffffu, 0x7f7fffffu, 0xff7fffffu, 0x7f7ffffeu, 0x7f000000u, 0x7effffffu,
    0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fbfffffu, 0x5f800000u, 0x1f800000u,
    0x20000000u, 0x1fffffffu, 0x4b800000u, 0x4b7fffffu, 0x3eaaaaabu, 0x40490fdbu, 0xc0490fdbu, 0x0ff00000u,
};
#define N_CORNERS (sizeof corners / sizeof corners[0])

static void corners_binary(enum tnum_op op) {
  struct vecs v = vecs_new(N_CORNERS * N_CORNERS * 6);
  size_t n = 0;
  static const uint32_t cs[] = {0x00000000u, 0x80000000u, 0x00000001u, 0x7f7fffffu, 0x3f800000u, 0x7f800000u};
  for (size_t i = 0; i < N_CORNERS; i++)
    for (size_t j = 0; j < N_CORNERS; j++)
      for (size_t k = 0; k < 6; k++) {
        v.a[n] = corners[i];
        v.b[n] = corners[j];
        /* fma: fixed addends, and the negated rounded product (cancellation to the error term) */
        v.c[n] = k < 5 ? cs[k] : ref_mul(corners[i], corners[j]) ^ 0x80000000u;
        n++;
      }
  v.n = n;
  if (op == TNUM_BF16_FMA)
    for (size_t i = 0; i < n; i++) {
      v.a[i] >>= 16;
      v.b[i] >>= 16;
    }
  check_vecs(op, &v);
  vecs_free(&v);
}

static void add_corners(void **state) {
  (void)state;
  corners_binary(TNUM_F32_ADD);
}
static void mul_corners(void **state) {
  (void)state;
  corners_binary(TNUM_F32_MUL);
}
static void fma_corners(void **state) {
  (void)state;
  corners_binary(TNUM_F32_FMA);
}
static void bf16_fma_corners(void **state) {
  (void)state;
  corners_binary(TNUM_BF16_FMA);
}

/* Rounding ties and near-ties: 1 + k*2^-24 (a tie between two floats), subnormal boundaries and
 * overflow thresholds, each as a sum, a product and an fma. */
static void ties_and_thresholds(void **state) {
  (void)state;
  struct vecs v = vecs_new(4096);
  size_t n = 0;
  static const uint32_t halves[] = {0x33800000u, 0x33800001u, 0x337fffffu, 0x34400000u, 0x33000000u};
  static const uint32_t bases[] = {0x3f800000u, 0x3f800001u, 0x3f7fffffu, 0x00800000u, 0x007fffffu, 0x7f7fffffu};
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
    for (size_t j = 0; j < sizeof halves / sizeof halves[0]; j++)
      for (uint32_t s = 0; s < 4; s++) {
        uint32_t base = bases[i] ^ ((s & 1u) << 31);
        uint32_t h = halves[j] ^ ((s & 2u) << 30);
        /* scale the half-ulp to the base's exponent */
        int32_t shift = (int32_t)((bases[i] >> 23) & 0xff) - 127;
        uint32_t he = (h >> 23) & 0xff;
        int32_t ne = (int32_t)he + shift;
        if (ne > 0 && ne < 255) h = (h & 0x807fffffu) | ((uint32_t)ne << 23);
        v.a[n] = base;
        v.b[n] = h;
        v.c[n] = h;
        n++;
      }
  /* Products at the overflow and underflow thresholds. */
  for (uint32_t m = 0; m < 64; m++) {
    v.a[n] = 0x5f800000u | (m * 0x1ffffu);  /* 2^64 * (1 + small) */
    v.b[n] = 0x5f7fff00u + m;               /* ~2^63.99 */
    v.c[n] = 0x7f7fffffu ^ ((m & 1u) << 31);
    n++;
    v.a[n] = 0x1f800000u | (m * 0x1ffffu);  /* 2^-64 * ... */
    v.b[n] = 0x1f800000u + m * 3u;
    v.c[n] = (m & 3u) ? 0x00000001u * m : 0x80000000u;
    n++;
    v.a[n] = 0x00800000u + m;               /* products landing on the subnormal boundary */
    v.b[n] = 0x3f7fff00u + m * 4u;
    v.c[n] = 0x80000000u | m;
    n++;
  }
  v.n = n;
  check_vecs(TNUM_F32_ADD, &v);
  check_vecs(TNUM_F32_MUL, &v);
  check_vecs(TNUM_F32_FMA, &v);
  vecs_free(&v);
}

/* --- Random vectors -------------------------------------------------------------------------- */
static void random_binary(enum tnum_op op, uint64_t seed) {
  vec_seed(seed);
  struct vecs v = vecs_new(N_RANDOM);
  for (size_t i = 0; i < v.n; i++) vec_gen_binary(op, &v.a[i], &v.b[i], &v.c[i]);
  check_vecs(op, &v);
  vecs_free(&v);
}

/* Every class of the mixture alone (so a class that breaks is named by its test output). */
static void random_binary_by_kind(enum tnum_op op, uint64_t seed) {
  enum { PER_KIND = 20000 };
  vec_seed(seed);
  struct vecs v = vecs_new(PER_KIND);
  for (unsigned kind = 0; kind < VEC_BINARY_KINDS; kind++) {
    for (size_t i = 0; i < v.n; i++) vec_gen_binary_kind(op, kind, &v.a[i], &v.b[i], &v.c[i]);
    snprintf(context, sizeof context, " (mixture class %u)", kind);
    check_vecs(op, &v);
    context[0] = '\0';
  }
  vecs_free(&v);
}

static void add_random_each_class(void **state) {
  (void)state;
  random_binary_by_kind(TNUM_F32_ADD, 0x1011);
}
static void mul_random_each_class(void **state) {
  (void)state;
  random_binary_by_kind(TNUM_F32_MUL, 0x1012);
}
static void fma_random_each_class(void **state) {
  (void)state;
  random_binary_by_kind(TNUM_F32_FMA, 0x1013);
}
static void bf16_fma_random_each_class(void **state) {
  (void)state;
  random_binary_by_kind(TNUM_BF16_FMA, 0x1014);
}

static void add_random(void **state) {
  (void)state;
  random_binary(TNUM_F32_ADD, 0x1001);
}
static void mul_random(void **state) {
  (void)state;
  random_binary(TNUM_F32_MUL, 0x1002);
}
static void fma_random(void **state) {
  (void)state;
  random_binary(TNUM_F32_FMA, 0x1003);
}
static void bf16_fma_random(void **state) {
  (void)state;
  random_binary(TNUM_BF16_FMA, 0x1004);
}

/* Every fp8 x fp8 product (each fp8 value widened exactly to bf16) through bf16_fma, with an
 * addend of -0, one that the products round against, and one that leaves most of them exact. */
static void every_fp8_product(const struct ref_fp8 *fx, const struct ref_fp8 *fy) {
  static const uint32_t addends[] = {0x80000000u, 0x3f800000u, 0x3a800001u};
  struct vecs v = vecs_new(3 * 65536);
  size_t n = 0;
  for (size_t k = 0; k < 3; k++)
    for (uint32_t x = 0; x < 256; x++)
      for (uint32_t y = 0; y < 256; y++) {
        v.a[n] = ref_fp8_to_f32(fx, x) >> 16;
        v.b[n] = ref_fp8_to_f32(fy, y) >> 16;
        v.c[n] = addends[k];
        n++;
      }
  check_vecs(TNUM_BF16_FMA, &v);
  vecs_free(&v);
}

static void bf16_fma_every_e4m3_product(void **state) {
  (void)state;
  every_fp8_product(ref_e4m3(), ref_e4m3());
}
static void bf16_fma_every_e5m2_product(void **state) {
  (void)state;
  every_fp8_product(ref_e5m2(), ref_e5m2());
}
static void bf16_fma_every_e4m3_e5m2_product(void **state) {
  (void)state;
  every_fp8_product(ref_e4m3(), ref_e5m2());
}

/* --- Conversions ----------------------------------------------------------------------------- */
static void bf16_to_f32_every_code(void **state) {
  (void)state;
  struct vecs v = vecs_new(65536);
  for (uint32_t i = 0; i < 65536; i++) v.a[i] = i;
  check_vecs(TNUM_BF16_TO_F32, &v);
  vecs_free(&v);
}

static void fp8_to_f32_every_code(void **state) {
  (void)state;
  struct vecs v = vecs_new(256);
  for (uint32_t i = 0; i < 256; i++) v.a[i] = i;
  check_vecs(TNUM_E4M3_TO_F32, &v);
  check_vecs(TNUM_E5M2_TO_F32, &v);
  vecs_free(&v);
}

/* Inputs for the narrowing conversions: every bf16-representable f32, the fp8 grid points of
 * both formats with their midpoints and neighbours (+-1 ulp), and N_NARROW_RANDOM vectors of the
 * narrowing mixture. At most N_NARROWING inputs. */
#define N_NARROW_RANDOM 100000u
#define N_NARROWING (65536u + 2u * 128u * 12u + N_NARROW_RANDOM)
static size_t narrowing_inputs(uint32_t *a) {
  size_t n = 0;
  for (uint32_t i = 0; i < 65536; i++) a[n++] = i << 16;
  for (int f = 0; f < 2; f++) {
    const struct ref_fp8 *fmt = f ? ref_e5m2() : ref_e4m3();
    for (uint32_t code = 0; code <= fmt->max_code; code++) {
      double lo = fmt->val[code];
      double hi = code < fmt->max_code ? fmt->val[code + 1] : 2 * lo;
      uint32_t pts[] = {ref_u((float)lo), ref_u((float)((lo + hi) / 2))};
      for (int p = 0; p < 2; p++)
        for (int d = -1; d <= 1; d++)
          for (uint32_t s = 0; s < 2; s++) a[n++] = (s << 31) | ((pts[p] & 0x7fffffffu) + (uint32_t)d);
    }
  }
  vec_seed(0x2001);
  for (uint32_t i = 0; i < N_NARROW_RANDOM; i++) a[n++] = vec_gen_narrowing();
  assert_true(n <= N_NARROWING);
  return n;
}

static void f32_to_bf16_sweep(void **state) {
  (void)state;
  struct vecs v = vecs_new(N_NARROWING + 2u * 65536u);
  v.n = narrowing_inputs(v.a);
  for (uint32_t i = 0; i < 65536; i++) v.a[v.n++] = 0x7f7f0000u + i;                 /* the overflow threshold */
  for (uint32_t i = 0; i < 65536; i++) v.a[v.n++] = (i << 16) | 0x8000u | (i & 1u); /* ties, near-ties */
  check_vecs(TNUM_F32_TO_BF16, &v);
  vecs_free(&v);
}

static void f32_to_fp8_sweep(void **state) {
  (void)state;
  struct vecs v = vecs_new(N_NARROWING);
  v.n = narrowing_inputs(v.a);
  check_vecs(TNUM_F32_TO_E4M3, &v);
  check_vecs(TNUM_F32_TO_E5M2, &v);
  vecs_free(&v);
}

/* --- The streaming port ---------------------------------------------------------------------- */
static void run_checks_arguments_and_unsupported_ops(void **state) {
  (void)state;
  uint32_t a[2] = {0x3f800000u, 0x40000000u}, r[2];
  assert_int_equal(tsim_fpu_run(NULL, TNUM_F32_ADD, 1, a, a, NULL, r), TSIM_FPU_ERR_ARG);
  assert_int_equal(tsim_fpu_run(fpu, TNUM_OP_COUNT, 1, a, a, a, r), TSIM_FPU_ERR_ARG);
  assert_int_equal(tsim_fpu_run(fpu, TNUM_F32_ADD, 1, a, NULL, NULL, r), TSIM_FPU_ERR_ARG);
  assert_int_equal(tsim_fpu_run(fpu, TNUM_F32_FMA, 1, a, a, NULL, r), TSIM_FPU_ERR_ARG);
  assert_int_equal(tsim_fpu_run(fpu, TNUM_F32_ADD, 1, a, a, NULL, NULL), TSIM_FPU_ERR_ARG);
  assert_int_equal(tsim_fpu_run(fpu, TNUM_F32_ADD, 0, NULL, NULL, NULL, NULL), TSIM_FPU_OK);
  /* The approximations may or may not be in the RTL yet: either answer, never an error. */
  for (enum tnum_op op = TNUM_F32_EXP; op < TNUM_OP_COUNT; op++) {
    tsim_fpu_status st = tsim_fpu_run(fpu, op, 2, a, NULL, NULL, r);
    assert_true(st == TSIM_FPU_OK || st == TSIM_FPU_UNSUPPORTED);
  }
  /* Every exact op is implemented. */
  for (enum tnum_op op = TNUM_F32_ADD; vec_is_exact(op); op++)
    assert_int_equal(tsim_fpu_run(fpu, op, 2, a, a, a, r), TSIM_FPU_OK);
  /* After the refusals the port still works. */
  assert_int_equal(tsim_fpu_run(fpu, TNUM_F32_ADD, 2, a, a, NULL, r), TSIM_FPU_OK);
  assert_int_equal(r[0], 0x40000000u);
  assert_int_equal(r[1], 0x40800000u);
}

/* One operation per cycle: n operations take n + (Latency - 1) simulated clock cycles, in order. */
static void run_streams_one_operation_per_cycle(void **state) {
  (void)state;
  enum { N = 10000 };
  static uint32_t a[N], b[N], r[N];
  for (uint32_t i = 0; i < N; i++) {
    a[i] = 0x3f800000u + i;
    b[i] = 0x40000000u;
  }
  uint64_t before = tsim_fpu_cycles(fpu);
  run_ok(TNUM_F32_MUL, N, a, b, NULL, r);
  uint64_t used = tsim_fpu_cycles(fpu) - before;
  assert_in_range(used, N, N + 64); /* N + Latency - 1; every latency is well under 64 */
  for (uint32_t i = 0; i < N; i++) assert_int_equal(r[i], a[i] + 0x00800000u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(run_checks_arguments_and_unsupported_ops),
      cmocka_unit_test(run_streams_one_operation_per_cycle),
      cmocka_unit_test(add_corners),
      cmocka_unit_test(mul_corners),
      cmocka_unit_test(fma_corners),
      cmocka_unit_test(bf16_fma_corners),
      cmocka_unit_test(ties_and_thresholds),
      cmocka_unit_test(add_random),
      cmocka_unit_test(mul_random),
      cmocka_unit_test(fma_random),
      cmocka_unit_test(bf16_fma_random),
      cmocka_unit_test(add_random_each_class),
      cmocka_unit_test(mul_random_each_class),
      cmocka_unit_test(fma_random_each_class),
      cmocka_unit_test(bf16_fma_random_each_class),
      cmocka_unit_test(bf16_fma_every_e4m3_product),
      cmocka_unit_test(bf16_fma_every_e5m2_product),
      cmocka_unit_test(bf16_fma_every_e4m3_e5m2_product),
      cmocka_unit_test(bf16_to_f32_every_code),
      cmocka_unit_test(fp8_to_f32_every_code),
      cmocka_unit_test(f32_to_bf16_sweep),
      cmocka_unit_test(f32_to_fp8_sweep),
  };
  return cmocka_run_group_tests_name("fpu_rtl", tests, group_setup, group_teardown);
}
