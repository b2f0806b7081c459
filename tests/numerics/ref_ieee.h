/* Independent references and test vectors for the exact numerics operations (test code only).
 *
 * The reference for binary32 add, mul and fma is the host's IEEE hardware: this assumes x86-64,
 * where float arithmetic is SSE (IEEE binary32, round to nearest even, subnormals kept: the
 * default MXCSR has neither FTZ nor DAZ) and glibc's fmaf is correctly rounded. Never build the
 * tests with -ffast-math; C11 mode (-std=c11) keeps -ffp-contract=off, and volatile keeps each
 * operation a single IEEE operation. Every NaN is mapped to 0x7fc00000 before comparing.
 * The narrow formats are checked against nearest-value searches over the enumerated fp8 grid in
 * double arithmetic, independent of the library's integer rounding. */
#ifndef TESSERA_TESTS_NUMERICS_REF_IEEE_H
#define TESSERA_TESTS_NUMERICS_REF_IEEE_H

#if !defined(__x86_64__)
#error "the numerics reference assumes x86-64 SSE float arithmetic"
#endif

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define REF_QNAN 0x7fc00000u

static inline float ref_f(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t ref_u(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return isnan(f) ? REF_QNAN : u;
}

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
  volatile float r = fmaf(x, y, z);
  return ref_u(r);
}

static inline uint32_t ref_bf16_fma(uint32_t a, uint32_t b, uint32_t c) {
  return ref_fma((a & 0xffffu) << 16, (b & 0xffffu) << 16, c);
}

/* f32 -> bf16: nearest of the two bf16 neighbours of |a| (exact distances in double), ties to the
 * even one; 0x7f80 stands for the first value past the largest finite bf16 (2^128), which is how
 * IEEE rounding decides overflow. */
static inline double ref_bf16_mag(uint32_t h) {
  h &= 0x7fffu;
  return h == 0x7f80u ? ldexp(1.0, 128) : fabs((double)ref_f(h << 16));
}

static inline uint32_t ref_f32_to_bf16(uint32_t a) {
  float f = ref_f(a);
  if (isnan(f)) return 0x7fc0u;
  if (isinf(f)) return a >> 16;
  double v = fabs((double)f);
  uint32_t lo = (a >> 16) & 0x7fffu, hi = lo + 1u;
  double dlo = v - ref_bf16_mag(lo), dhi = ref_bf16_mag(hi) - v;
  uint32_t pick = dlo < dhi ? lo : dhi < dlo ? hi : (lo & 1u) ? hi : lo;
  return ((a >> 16) & 0x8000u) | pick;
}

static inline uint32_t ref_bf16_to_f32(uint32_t h) {
  float f = ref_f((h & 0xffffu) << 16);
  return ref_u(f);
}

/* OCP FP8: value of every magnitude code by the format's definition, NaN and infinity marked. */
struct ref_fp8 {
  const char *name;
  int ebits, mbits, bias;
  uint32_t max_code, nan_out;
  double val[129]; /* [0..127] by code; [128] one grid step past the largest finite value */
  int kind[128];   /* 0 finite, 1 infinity, 2 NaN */
  double max_val;
};

static inline void ref_fp8_init(struct ref_fp8 *f, int e4m3) {
  memset(f, 0, sizeof *f);
  f->name = e4m3 ? "e4m3" : "e5m2";
  f->ebits = e4m3 ? 4 : 5;
  f->mbits = e4m3 ? 3 : 2;
  f->bias = e4m3 ? 7 : 15;
  for (int code = 0; code < 128; code++) {
    int e = code >> f->mbits, m = code & ((1 << f->mbits) - 1);
    if (e == 0)
      f->val[code] = ldexp((double)m / (1 << f->mbits), 1 - f->bias);
    else
      f->val[code] = ldexp(1.0 + (double)m / (1 << f->mbits), e - f->bias);
    if (e4m3 && code == 127) f->kind[code] = 2;
    if (!e4m3 && e == 31) f->kind[code] = m ? 2 : 1;
  }
  f->max_code = 0;
  for (int code = 0; code < 128; code++)
    if (f->kind[code] == 0 && f->val[code] > f->val[f->max_code]) f->max_code = (uint32_t)code;
  f->max_val = f->val[f->max_code];
  f->val[128] = f->max_val + (f->val[f->max_code] - f->val[f->max_code - 1]);
  f->nan_out = e4m3 ? 0x7fu : 0x7eu;
}

static inline uint32_t ref_fp8_to_f32(const struct ref_fp8 *f, uint32_t x) {
  uint32_t code = x & 0x7fu;
  int neg = (x & 0x80u) != 0;
  if (f->kind[code] == 2) return REF_QNAN;
  float v = f->kind[code] == 1 ? INFINITY : (float)f->val[code]; /* exact */
  return ref_u(neg ? -v : v);
}

/* f32 -> fp8: round |a| to the nearest point of the unbounded grid (the finite values plus one
 * step past the largest, ties to the even code), then saturate. */
static inline uint32_t ref_f32_to_fp8(const struct ref_fp8 *f, uint32_t a) {
  float x = ref_f(a);
  if (isnan(x)) return f->nan_out;
  uint32_t sign = (a >> 24) & 0x80u;
  double v = fabs((double)x);
  if (isinf(x) || v >= f->val[128]) return sign | f->max_code;
  uint32_t best = 0;
  double best_d = INFINITY;
  for (uint32_t code = 0; code <= f->max_code + 1; code++) {
    double g = code <= f->max_code ? f->val[code] : f->val[128];
    double d = fabs(g - v);
    if (d < best_d || (d == best_d && !(code & 1u))) best = code, best_d = d;
  }
  if (best > f->max_code) best = f->max_code;
  return sign | best;
}

/* The two formats, built once (callers that want them as constants). */
static inline const struct ref_fp8 *ref_e4m3(void) {
  static struct ref_fp8 f;
  static int ready;
  if (!ready) ref_fp8_init(&f, 1), ready = 1;
  return &f;
}

static inline const struct ref_fp8 *ref_e5m2(void) {
  static struct ref_fp8 f;
  static int ready;
  if (!ready) ref_fp8_init(&f, 0), ready = 1;
  return &f;
}

/* --- Random vectors ------------------------------------------------------------------------- */

struct ref_rng {
  uint64_t s;
};

static inline uint64_t ref_next(struct ref_rng *r) { /* splitmix64 */
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline uint32_t ref_below(struct ref_rng *r, uint32_t n) { return (uint32_t)(ref_next(r) % n); }

/* A fraction with structure: random, or runs of zeros or ones at the bottom (ties and exact
 * cases), or a single bit. */
static inline uint32_t ref_frac(struct ref_rng *r) {
  uint32_t f = (uint32_t)ref_next(r) & 0x7fffffu;
  switch (ref_below(r, 6)) {
    case 0: return f & ~((1u << ref_below(r, 24)) - 1); /* trailing zeros */
    case 1: return f | ((1u << ref_below(r, 24)) - 1);  /* trailing ones */
    case 2: return 1u << ref_below(r, 23);
    case 3: return ref_below(r, 2) ? 0u : 0x7fffffu;
    default: return f;
  }
}

static inline uint32_t ref_make(struct ref_rng *r, int biased_exp) {
  if (biased_exp < 0) biased_exp = 0;
  if (biased_exp > 255) biased_exp = 255;
  uint32_t sign = ref_below(r, 2) ? 0x80000000u : 0u;
  uint32_t frac = ref_frac(r);
  if (biased_exp == 255 && ref_below(r, 4)) frac = 0; /* mostly infinities, some NaNs */
  return sign | ((uint32_t)biased_exp << 23) | frac;
}

/* One operand triple from a mixture: random bits; exponents clustered together (cancellation);
 * subnormal and near-underflow exponents; products near the overflow and underflow thresholds;
 * fma with c next to a*b (cancellation) or far above or below it. */
static inline void ref_triple(struct ref_rng *r, uint32_t v[3]) {
  int e0 = (int)ref_below(r, 254) + 1;
  switch (ref_below(r, 11)) {
    case 9: { /* near ties: sparse fractions, c a power of two (+-1 ulp) about 2^24 above a*b,
               * so the product's far low bits (the sticky bit) decide the rounding */
      int ea = (int)ref_below(r, 100) + 60, eb = (int)ref_below(r, 100) + 60;
      uint32_t fa = ref_below(r, 3) ? 1u << ref_below(r, 23) : 0u, fb = ref_below(r, 2) ? 1u << ref_below(r, 23) : 0x7fffffu >> ref_below(r, 23);
      v[0] = ((uint32_t)ea << 23) | fa | (ref_below(r, 2) ? 0x80000000u : 0u);
      v[1] = ((uint32_t)eb << 23) | fb | (ref_below(r, 2) ? 0x80000000u : 0u);
      v[2] = ((uint32_t)(ea + eb - 127 + 22 + (int)ref_below(r, 5)) << 23) + (uint32_t)ref_below(r, 3) - 1u;
      v[2] |= ref_below(r, 2) ? 0x80000000u : 0u;
      return;
    }
    case 0:
    case 1:
      for (int i = 0; i < 3; i++) v[i] = (uint32_t)ref_next(r);
      return;
    case 2: /* clustered exponents */
      for (int i = 0; i < 3; i++) v[i] = ref_make(r, e0 + (int)ref_below(r, 5) - 2);
      return;
    case 3: /* subnormal and smallest normal operands */
      for (int i = 0; i < 3; i++) v[i] = ref_make(r, (int)ref_below(r, 4));
      return;
    case 4: { /* a*b near the underflow threshold; c tiny too */
      int ea = (int)ref_below(r, 120) + 1, ep = (int)ref_below(r, 40) - 30, eb = ep + 127 - ea;
      v[0] = ref_make(r, ea), v[1] = ref_make(r, eb), v[2] = ref_make(r, (int)ref_below(r, 8));
      return;
    }
    case 5: { /* a*b near the overflow threshold */
      int ea = (int)ref_below(r, 120) + 130, ep = 251 + (int)ref_below(r, 6), eb = ep + 127 - ea;
      v[0] = ref_make(r, ea), v[1] = ref_make(r, eb), v[2] = ref_make(r, 250 + (int)ref_below(r, 5));
      return;
    }
    case 6:
    case 7: { /* c next to a*b, opposite sign often: massive cancellation */
      int ea = (int)ref_below(r, 160) + 40, eb = e0 - ea + 127;
      v[0] = ref_make(r, ea), v[1] = ref_make(r, eb);
      v[2] = ref_make(r, ea + eb - 127 + (int)ref_below(r, 3) - 1);
      uint32_t sp = (v[0] ^ v[1]) & 0x80000000u;
      if (ref_below(r, 4)) v[2] = (v[2] & 0x7fffffffu) | (sp ^ 0x80000000u); /* opposite signs */
      if (!ref_below(r, 4)) { /* c = -round(a*b) nudged by a few ulps */
        v[2] = ref_mul(v[0], v[1]) ^ 0x80000000u;
        if ((v[2] & 0x7f800000u) != 0x7f800000u) v[2] += (uint32_t)ref_below(r, 5) - 2u;
      }
      return;
    }
    case 8: { /* product tiny relative to c, or c tiny relative to the product */
      int ea = (int)ref_below(r, 120) + 67, eb = (int)ref_below(r, 120) + 67;
      int ep = ea + eb - 127, gap = (int)ref_below(r, 60) + 20;
      v[0] = ref_make(r, ea), v[1] = ref_make(r, eb);
      v[2] = ref_make(r, ref_below(r, 2) ? ep + gap : ep - gap);
      return;
    }
    default: /* anything */
      for (int i = 0; i < 3; i++) v[i] = ref_make(r, (int)ref_below(r, 256));
      return;
  }
}

/* Corner values for binary32 operations. */
static const uint32_t ref_f32_corners[] = {
    0x00000000u, 0x00000001u, 0x00000002u, 0x00000003u, 0x003fffffu, 0x00400000u, 0x00400001u,
    0x007ffffeu, 0x007fffffu, 0x00800000u, 0x00800001u, 0x00ffffffu, 0x01000000u, 0x0c000000u,
    0x1f800000u, 0x33800000u, 0x33800001u, 0x34000000u, 0x3effffffu, 0x3f000000u, 0x3f7fffffu,
    0x3f800000u, 0x3f800001u, 0x3f800002u, 0x3fc00000u, 0x3fffffffu, 0x40000000u, 0x40400000u,
    0x4b000000u, 0x4b800000u, 0x4b800001u, 0x5f800000u, 0x7e800000u, 0x7effffffu, 0x7f000000u,
    0x7f7ffffeu, 0x7f7fffffu, 0x7f800000u, 0x7f800001u, 0x7fc00000u, 0x7fffffffu, 0x5a7fffffu,
    0x26800000u, 0x26800001u, 0x19800000u, 0x3f7ffffeu, 0x3effffffu, 0x4effffffu};
#define REF_N_CORNERS (sizeof ref_f32_corners / sizeof ref_f32_corners[0])

#endif /* TESSERA_TESTS_NUMERICS_REF_IEEE_H */
