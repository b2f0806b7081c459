/* binary32 fused multiply-add, and add and multiply through it: integers only, one rounding. */
#include "tessera/numerics.h"

#define F32_SIGN 0x80000000u
#define F32_INF 0x7f800000u
#define F32_ONE 0x3f800000u

/* Number of leading zero bits of a non-zero x (binary search: no libgcc call on rv32). */
static int clz64(uint64_t x) {
  int n = 0;
  if (!(x >> 32)) n += 32, x <<= 32;
  if (!(x >> 48)) n += 16, x <<= 16;
  if (!(x >> 56)) n += 8, x <<= 8;
  if (!(x >> 60)) n += 4, x <<= 4;
  if (!(x >> 62)) n += 2, x <<= 2;
  if (!(x >> 63)) n += 1;
  return n;
}

uint32_t tnum_f32_round_pack(bool sign, int32_t exp, uint64_t sig) {
  uint32_t s = sign ? F32_SIGN : 0u;
  if (!sig) return s;
  int n = clz64(sig);
  sig <<= n;
  /* sig in [2^63, 2^64): the value is sig * 2^(exp - n), its biased exponent e + 127. */
  int64_t be = (int64_t)exp - n + 63 + 127;
  if (be >= 255) return s | F32_INF;
  /* Bits of sig below the result's last significand bit: 40 for a normal result, more for a
   * subnormal one (the significand loses one bit per step below the smallest normal). */
  int64_t shift = be >= 1 ? 40 : 41 - be;
  uint64_t q, rem, half;
  if (shift > 64) return s; /* below half the smallest subnormal */
  if (shift == 64) {
    q = 0, rem = sig, half = 1ull << 63;
  } else {
    q = sig >> shift, rem = sig & ((1ull << shift) - 1), half = 1ull << (shift - 1);
  }
  if (rem > half || (rem == half && (q & 1u))) q++;
  /* For a normal result q includes the hidden bit, which adds one to the exponent field; a
   * carry out of the significand (q = 2^24) moves to the next binade the same way, and a
   * subnormal that rounds up to 2^23 becomes the smallest normal. */
  uint64_t bits = be >= 1 ? ((uint64_t)(be - 1) << 23) + q : q;
  if (bits >= F32_INF) return s | F32_INF;
  return s | (uint32_t)bits;
}

static bool is_nan(uint32_t x) { return (x & ~F32_SIGN) > F32_INF; }
static bool is_inf(uint32_t x) { return (x & ~F32_SIGN) == F32_INF; }
static bool is_zero(uint32_t x) { return !(x & ~F32_SIGN); }

/* A finite non-zero x as m * 2^e with an integer significand m < 2^24. */
static void unpack(uint32_t x, uint64_t *m, int32_t *e) {
  uint32_t be = (x >> 23) & 0xffu, f = x & 0x7fffffu;
  if (be) {
    *m = f | 0x800000u;
    *e = (int32_t)be - 150;
  } else {
    *m = f;
    *e = -149;
  }
}

/* Shift a non-zero m left so its top bit is bit 61, adjusting e to keep the value. */
static void align61(uint64_t *m, int32_t *e) {
  int sh = clz64(*m) - 2;
  *m <<= sh;
  *e -= sh;
}

uint32_t tnum_f32_fma(uint32_t a, uint32_t b, uint32_t c) {
  if (is_nan(a) || is_nan(b) || is_nan(c)) return TNUM_F32_QNAN;
  bool sp = ((a ^ b) & F32_SIGN) != 0, sc = (c & F32_SIGN) != 0;
  if (is_inf(a) || is_inf(b)) {
    if (is_zero(a) || is_zero(b)) return TNUM_F32_QNAN; /* 0 * inf */
    if (is_inf(c) && sc != sp) return TNUM_F32_QNAN;  /* inf - inf */
    return (sp ? F32_SIGN : 0u) | F32_INF;
  }
  if (is_inf(c)) return c;
  if (is_zero(a) || is_zero(b)) {
    /* Exact zero product: the sum rule for zeros (equal signs keep theirs, else +0 in RNE). */
    if (is_zero(c)) return (sp && sc) ? F32_SIGN : 0u;
    return c;
  }

  uint64_t ma, mb, mc;
  int32_t ea, eb, ec;
  unpack(a, &ma, &ea);
  unpack(b, &mb, &eb);
  uint64_t mp = ma * mb; /* exact: at most 48 bits */
  int32_t ep = ea + eb;
  if (is_zero(c)) return tnum_f32_round_pack(sp, ep, mp);
  unpack(c, &mc, &ec);

  /* Both terms with their top bit at bit 61 (no bit lost: 48 and 24 significant bits). */
  align61(&mp, &ep);
  align61(&mc, &ec);
  uint64_t x = mp, y = mc;
  int32_t ex = ep, ey = ec;
  bool sx = sp, sy = sc;
  if (ey > ex || (ey == ex && y > x)) {
    x = mc, y = mp, ex = ec, ey = ep, sx = sc, sy = sp;
  }
  /* The smaller term shifted to x's scale; dropped bits jammed into a sticky least significant
   * bit. A shift of 0 or 1 is exact (at least 14 zero bits at the bottom), and after a larger
   * shift the result keeps its top bit at bit 60 or above, far above the sticky bit. */
  uint32_t d = (uint32_t)(ex - ey);
  if (d >= 63)
    y = y != 0;
  else if (d)
    y = (y >> d) | ((y & ((1ull << d) - 1)) != 0);
  uint64_t sum = sx == sy ? x + y : x - y; /* x + y < 2^63; x >= y */
  if (!sum) return 0u;                     /* exact cancellation: +0 */
  return tnum_f32_round_pack(sx, ex, sum);
}

uint32_t tnum_f32_add(uint32_t a, uint32_t b) { return tnum_f32_fma(a, F32_ONE, b); }

uint32_t tnum_f32_mul(uint32_t a, uint32_t b) { return tnum_f32_fma(a, b, F32_SIGN); }

uint32_t tnum_bf16_fma(uint16_t a, uint16_t b, uint32_t c) {
  return tnum_f32_fma((uint32_t)a << 16, (uint32_t)b << 16, c);
}
