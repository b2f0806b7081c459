/* Conversions between binary32, bf16 and OCP FP8 (E4M3, E5M2): integers only. */
#include "tessera/numerics.h"

#define F32_SIGN 0x80000000u
#define F32_INF 0x7f800000u

static bool is_nan(uint32_t x) { return (x & ~F32_SIGN) > F32_INF; }

uint16_t tnum_f32_to_bf16(uint32_t a) {
  if (is_nan(a)) return TNUM_BF16_QNAN;
  /* Round to nearest even at bit 16: add just under half, plus one if the kept part is odd. A
   * carry out of the fraction moves to the next binade; out of the largest one gives infinity;
   * infinities (zero fraction) are unchanged. */
  uint32_t r = a + 0x7fffu + ((a >> 16) & 1u);
  return (uint16_t)(r >> 16);
}

uint32_t tnum_bf16_to_f32(uint16_t a) {
  uint32_t x = (uint32_t)a << 16;
  return is_nan(x) ? TNUM_F32_QNAN : x;
}

/* An fp8 format: exponent and fraction widths, bias, largest finite code, NaN code (results). */
struct fp8_fmt {
  int mbits;
  int bias;
  uint32_t max_code;
  uint32_t nan_code;
};
static const struct fp8_fmt E4M3 = {3, 7, TNUM_E4M3_MAX, TNUM_E4M3_NAN};
static const struct fp8_fmt E5M2 = {2, 15, TNUM_E5M2_MAX, TNUM_E5M2_NAN};

static int msb32(uint32_t x) {
  int n = 0;
  if (x >> 16) n += 16, x >>= 16;
  if (x >> 8) n += 8, x >>= 8;
  if (x >> 4) n += 4, x >>= 4;
  if (x >> 2) n += 2, x >>= 2;
  if (x >> 1) n += 1;
  return n;
}

static uint8_t f32_to_fp8(const struct fp8_fmt *f, uint32_t a) {
  if (is_nan(a)) return (uint8_t)f->nan_code;
  uint32_t sign = (a >> 24) & 0x80u;
  uint32_t be = (a >> 23) & 0xffu, frac = a & 0x7fffffu;
  if (be == 0xffu) return (uint8_t)(sign | f->max_code); /* infinity saturates */
  if (!be && !frac) return (uint8_t)sign;
  uint32_t m = be ? frac | 0x800000u : frac;
  int32_t e = be ? (int32_t)be - 150 : -149; /* |a| = m * 2^e */
  int32_t k = msb32(m) + e;                  /* |a| in [2^k, 2^(k+1)) */
  int32_t emin = 1 - f->bias;                /* exponent of the smallest normal fp8 */
  /* The fp8 grid step at |a|: 2^(max(k, emin) - mbits); n = |a| / step rounded to nearest even. */
  int32_t q = (k > emin ? k : emin) - f->mbits;
  int32_t sh = q - e; /* >= 20: m has 24 bits, the grid keeps at most mbits + 1 of them */
  uint32_t n;
  if (sh >= 32) {
    n = 0; /* |a| < 2^(q-8): far below half a step */
  } else {
    uint32_t rem = m & ((1u << sh) - 1), half = 1u << (sh - 1);
    n = m >> sh;
    if (rem > half || (rem == half && (n & 1u))) n++;
  }
  /* Subnormal grid (k < emin): n is the code, and n = 2^mbits is the smallest normal. Normal:
   * n in [2^mbits, 2^(mbits+1)] includes the hidden bit, which adds one to the exponent field. */
  int32_t code = k < emin ? (int32_t)n : ((k + f->bias - 1) << f->mbits) + (int32_t)n;
  if (code > (int32_t)f->max_code) code = (int32_t)f->max_code; /* saturate */
  return (uint8_t)(sign | (uint32_t)code);
}

uint8_t tnum_f32_to_e4m3(uint32_t a) { return f32_to_fp8(&E4M3, a); }
uint8_t tnum_f32_to_e5m2(uint32_t a) { return f32_to_fp8(&E5M2, a); }

/* A finite fp8 magnitude code (not NaN or infinity) as binary32, exactly. */
static uint32_t fp8_finite_to_f32(const struct fp8_fmt *f, uint32_t code) {
  uint32_t be = code >> f->mbits, m = code & ((1u << f->mbits) - 1);
  if (!be) {
    if (!m) return 0;
    /* Subnormal m * 2^(1 - bias - mbits): normalise (every fp8 value is a normal binary32). */
    int p = msb32(m);
    uint32_t e32 = (uint32_t)(p + 1 - f->bias - f->mbits + 127);
    return (e32 << 23) | ((m << (23 - p)) & 0x7fffffu);
  }
  return ((be - (uint32_t)f->bias + 127u) << 23) | (m << (23 - f->mbits));
}

uint32_t tnum_e4m3_to_f32(uint8_t a) {
  uint32_t code = a & 0x7fu;
  if (code == 0x7fu) return TNUM_F32_QNAN;
  return ((uint32_t)(a & 0x80u) << 24) | fp8_finite_to_f32(&E4M3, code);
}

uint32_t tnum_e5m2_to_f32(uint8_t a) {
  uint32_t code = a & 0x7fu, sign = (uint32_t)(a & 0x80u) << 24;
  if (code > 0x7cu) return TNUM_F32_QNAN;
  if (code == 0x7cu) return sign | F32_INF;
  return sign | fp8_finite_to_f32(&E5M2, code);
}
