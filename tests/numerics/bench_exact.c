/* Long tier of the exact numerics operations: millions of fixed-seed random vectors per op from
 * the test mixture (tests/numerics/ref_ieee.h) against the host's IEEE arithmetic, printing
 * counts, mismatches (0 expected) and the library's operations per second.
 * Usage: numerics_bench [VECTORS_PER_OP] [SEED]   (default 10000000, 1). Exit 1 on any mismatch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ref_ieee.h"
#include "tessera/numerics.h"

enum { CHUNK = 1 << 16 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum kind { K_ADD, K_MUL, K_FMA, K_BF16_FMA, K_TO_BF16, K_TO_E4M3, K_TO_E5M2, K_COUNT };
static const char *const kind_name[K_COUNT] = {"f32_add", "f32_mul", "f32_fma", "bf16_fma",
                                               "f32_to_bf16", "f32_to_e4m3", "f32_to_e5m2"};

static uint32_t lib(enum kind k, const uint32_t *v) {
  switch (k) {
    case K_ADD: return tnum_f32_add(v[0], v[2]);
    case K_MUL: return tnum_f32_mul(v[0], v[1]);
    case K_FMA: return tnum_f32_fma(v[0], v[1], v[2]);
    case K_BF16_FMA: return tnum_bf16_fma((uint16_t)(v[0] >> 16), (uint16_t)(v[1] >> 16), v[2]);
    case K_TO_BF16: return tnum_f32_to_bf16(v[0]);
    case K_TO_E4M3: return tnum_f32_to_e4m3(v[0]);
    case K_TO_E5M2: return tnum_f32_to_e5m2(v[0]);
    case K_COUNT: break;
  }
  return 0;
}

static uint32_t ref(enum kind k, const uint32_t *v, const struct ref_fp8 *e4, const struct ref_fp8 *e5) {
  switch (k) {
    case K_ADD: return ref_add(v[0], v[2]);
    case K_MUL: return ref_mul(v[0], v[1]);
    case K_FMA: return ref_fma(v[0], v[1], v[2]);
    case K_BF16_FMA: return ref_bf16_fma(v[0] >> 16, v[1] >> 16, v[2]);
    case K_TO_BF16: return ref_f32_to_bf16(v[0]);
    case K_TO_E4M3: return ref_f32_to_fp8(e4, v[0]);
    case K_TO_E5M2: return ref_f32_to_fp8(e5, v[0]);
    case K_COUNT: break;
  }
  return 0;
}

int main(int argc, char **argv) {
  char *end;
  unsigned long long n = 10000000, seed = 1;
  if (argc > 1 && (n = strtoull(argv[1], &end, 0), *end || !n)) {
    fprintf(stderr, "numerics_bench: VECTORS_PER_OP must be a positive integer, got '%s'\n", argv[1]);
    return 2;
  }
  if (argc > 2 && (seed = strtoull(argv[2], &end, 0), *end)) {
    fprintf(stderr, "numerics_bench: SEED must be an integer, got '%s'\n", argv[2]);
    return 2;
  }
  struct ref_fp8 e4, e5;
  ref_fp8_init(&e4, 1);
  ref_fp8_init(&e5, 0);
  static uint32_t vec[CHUNK][3], got[CHUNK];
  unsigned long long total_bad = 0;
  printf("%-12s %12s %10s %14s\n", "op", "vectors", "mismatches", "library op/s");
  for (int k = 0; k < K_COUNT; k++) {
    struct ref_rng r = {seed * 1000003ull + (unsigned long long)k};
    unsigned long long done = 0, bad = 0;
    double t_lib = 0;
    /* The fp8 references search the grid (slow): a quarter as many vectors for them. */
    unsigned long long want = (k == K_TO_E4M3 || k == K_TO_E5M2) ? (n + 3) / 4 : n;
    while (done < want) {
      size_t m = want - done < CHUNK ? (size_t)(want - done) : CHUNK;
      for (size_t i = 0; i < m; i++) ref_triple(&r, vec[i]);
      double t0 = now();
      for (size_t i = 0; i < m; i++) got[i] = lib((enum kind)k, vec[i]);
      t_lib += now() - t0;
      for (size_t i = 0; i < m; i++) {
        uint32_t w = ref((enum kind)k, vec[i], &e4, &e5);
        if (got[i] != w && bad++ < 5)
          printf("  MISMATCH %s(%08x, %08x, %08x) = %08x, reference %08x\n", kind_name[k], vec[i][0], vec[i][1],
                 vec[i][2], got[i], w);
      }
      done += m;
    }
    printf("%-12s %12llu %10llu %14.3e\n", kind_name[k], done, bad, t_lib > 0 ? (double)done / t_lib : 0.0);
    fflush(stdout);
    total_bad += bad;
  }
  /* Exhaustive one-operand ops: every bf16 and fp8 code, every fp8 x fp8 product. */
  unsigned long long ex = 0, exbad = 0;
  for (uint32_t h = 0; h < 0x10000u; h++, ex++) exbad += tnum_bf16_to_f32((uint16_t)h) != ref_bf16_to_f32(h);
  for (uint32_t x = 0; x < 256; x++, ex += 2) {
    exbad += tnum_e4m3_to_f32((uint8_t)x) != ref_fp8_to_f32(&e4, x);
    exbad += tnum_e5m2_to_f32((uint8_t)x) != ref_fp8_to_f32(&e5, x);
  }
  printf("%-12s %12llu %10llu\n", "exhaustive", ex, exbad);
  total_bad += exbad;
  printf("total mismatches: %llu\n", total_bad);
  return total_bad ? 1 : 0;
}
