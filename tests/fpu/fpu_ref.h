/* Independent references for the exact numerics operations, used by the RTL tests: the host's
 * IEEE hardware float (x86-64 SSE add/mul, glibc's correctly rounded fmaf) and, for the narrow
 * formats, nearest-value searches in double arithmetic over enumerated grids. */
#ifndef TESSERA_TESTS_FPU_REF_H
#define TESSERA_TESTS_FPU_REF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define REF_CANON_NAN 0x7fc00000u

static inline float ref_f(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t ref_u(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return isnan(f) ? REF_CANON_NAN : u;
}

/* volatile keeps the compiler from folding or contracting: one IEEE operation each. */
static inline uint32_t ref_add(uint32_t a, uint32_t b) {
  volatile float x = ref_f(a), y = ref_f(b);
  volatile float r = x + y;
  return ref_u(r);
}

static inline uint32_t ref_mul(uint32_t a, uint32_t b) {
  volatile float x = ref_f(a), y = ref_f(b);
  volatile float r = x * y;
  return ref_u(r);
}

static inline uint32_t ref_fma(uint32_t a, uint32_t b, uint32_t c) {
  volatile float x = ref_f(a), y = ref_f(b), z = ref_f(c);
  return ref_u(fmaf(x, y, z));
}

static inline uint32_t ref_bf16_fma(uint32_t a, uint32_t b, uint32_t c) {
  return ref_fma((a & 0xffffu) << 16, (b & 0xffffu) << 16, c);
}

static inline uint32_t ref_bf16_to_f32(uint32_t h) {
  uint32_t u = (h & 0xffffu) << 16;
  return isnan(ref_f(u)) ? REF_CANON_NAN : u;
}

/* Value of a bf16 pattern as a double, with 0x7f80/0xff80 read as +-2^128 (the next step of
 * the grid past the largest finite value, so that IEEE overflow falls out of "nearest"). */
static inline double ref_bf16_grid(uint32_t h) {
  if ((h & 0x7fffu) == 0x7f80u) return (h & 0x8000u) ? -ldexp(1.0, 128) : ldexp(1.0, 128);
  return (double)ref_f(h << 16);
}

/* f32 -> bf16 by nearest search between the truncation and its successor, ties to even. */
static inline uint32_t ref_f32_to_bf16(uint32_t a) {
  float f = ref_f(a);
  if (isnan(f)) return 0x7fc0u;
  if (isinf(f)) return a >> 16;
  uint32_t lo = a >> 16, hi = lo + 1;
  double v = fabs((double)f), vlo = fabs(ref_bf16_grid(lo)), vhi = fabs(ref_bf16_grid(hi));
  if (v == vlo) return lo;
  double dlo = v - vlo, dhi = vhi - v;
  if (dlo < dhi) return lo;
  if (dhi < dlo) return hi;
  return (lo & 1u) ? hi : lo;
}

/* fp8 formats: exponent bits, fraction bits, bias. */
struct ref_fp8_fmt {
  int ebits, mbits, bias;
  uint32_t nan_code, max_code;
  int has_inf;
};
static const struct ref_fp8_fmt REF_E4M3 = {4, 3, 7, 0x7fu, 0x7eu, 0};
static const struct ref_fp8_fmt REF_E5M2 = {5, 2, 15, 0x7eu, 0x7bu, 1};

/* Value of a non-negative finite fp8 code (low 7 bits) as a double. */
static inline double ref_fp8_value(const struct ref_fp8_fmt *f, uint32_t code) {
  int e = (int)(code >> f->mbits) & ((1 << f->ebits) - 1);
  int m = (int)code & ((1 << f->mbits) - 1);
  if (e == 0) return ldexp((double)m, 1 - f->bias - f->mbits);
  return ldexp((double)((1 << f->mbits) + m), e - f->bias - f->mbits);
}

static inline uint32_t ref_fp8_to_f32(const struct ref_fp8_fmt *f, uint32_t x) {
  uint32_t code = x & 0x7fu, sign = (x & 0x80u) << 24;
  if (!f->has_inf && code == 0x7fu) return REF_CANON_NAN;
  if (f->has_inf && (code >> f->mbits) == 0x1fu) {
    if (code & ((1u << f->mbits) - 1)) return REF_CANON_NAN;
    return sign | 0x7f800000u;
  }
  float v = (float)ref_fp8_value(f, code); /* exact: every fp8 value is a binary32 value */
  return sign | ref_u(v);
}

/* f32 -> fp8: the nearest finite fp8 value of the magnitude (ties to the even code), which also
 * saturates; then the sign. Below the largest finite value every difference v - grid value is
 * exact in double (v has 24 significant bits, the grid 4, and their exponents differ by less
 * than 29 wherever the nearest value is not plainly 0), so the search is exact. */
static inline uint32_t ref_f32_to_fp8(const struct ref_fp8_fmt *f, uint32_t a) {
  float x = ref_f(a);
  if (isnan(x)) return f->nan_code;
  uint32_t sign = (a >> 24) & 0x80u;
  if (isinf(x)) return sign | f->max_code;
  double v = fabs((double)x);
  /* At or beyond the largest finite value: saturation. (Also keeps the search below exact: the
   * differences of v with grid values are exact in double only while v is near the grid.) */
  if (v >= ref_fp8_value(f, f->max_code)) return sign | f->max_code;
  uint32_t best = 0;
  double best_d = INFINITY;
  for (uint32_t code = 0; code <= f->max_code; code++) {
    double d = fabs(ref_fp8_value(f, code) - v);
    if (d < best_d || (d == best_d && !(code & 1u))) {
      best = code;
      best_d = d;
    }
  }
  return sign | best;
}

#endif /* TESSERA_TESTS_FPU_REF_H */
