/* Test vectors for the exact numerics operations, shared by the make-test tier
 * (test_fpu_rtl.c) and the long tier (fpu_check_long.c): a fixed-seed generator, operand
 * mixtures aimed at the hard cases of each operation, and the IEEE reference by op number.
 *
 * The binary mixtures (gen_binary) make the failure classes of an FMA datapath frequent:
 * products that nearly or exactly cancel the addend, exponent distances at the edges of the
 * alignment window (the addend just inside, straddling or just outside either end), results in
 * the subnormal range and at the overflow threshold, tiny addends next to normal products,
 * and exact ties (short significands placed so the sum lands half-way between two floats). */
#ifndef TESSERA_TESTS_FPU_VEC_H
#define TESSERA_TESTS_FPU_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "ref_ieee.h"
#include "tessera/fpu_ops.h"

/* --- Random numbers: xorshift64*, fixed seeds ------------------------------------------------ */
static uint64_t vec_rng_state = 1;
static inline void vec_seed(uint64_t s) { vec_rng_state = s ? s : 1; }
static inline uint32_t vec_rng32(void) {
  vec_rng_state ^= vec_rng_state >> 12;
  vec_rng_state ^= vec_rng_state << 25;
  vec_rng_state ^= vec_rng_state >> 27;
  return (uint32_t)((vec_rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}
/* Uniform in [lo, hi]. */
static inline int vec_range(int lo, int hi) { return lo + (int)(vec_rng32() % (uint32_t)(hi - lo + 1)); }

/* A binary32 pattern from a mixture that makes subnormals, extremes and specials frequent. */
static inline uint32_t vec_rand_f32(void) {
  uint32_t r = vec_rng32(), sign = vec_rng32() & 0x80000000u;
  switch (vec_rng32() % 10) {
    case 0: return sign | (r & 0x007fffffu);                                    /* subnormal */
    case 1: return sign | ((1u + vec_rng32() % 30u) << 23) | (r & 0x7fffffu);   /* near the bottom */
    case 2: return sign | ((224u + vec_rng32() % 31u) << 23) | (r & 0x7fffffu); /* near the top */
    case 3: {
      static const uint32_t specials[] = {0x00000000u, 0x7f800000u, 0x7fc00000u, 0x7f800001u, 0x7f7fffffu,
                                          0x00800000u, 0x007fffffu, 0x00000001u, 0x3f800000u, 0x7fffffffu};
      return sign | specials[vec_rng32() % (sizeof specials / sizeof specials[0])];
    }
    case 4: return sign | ((120u + vec_rng32() % 16u) << 23) | (r & 0x7fffffu); /* around 1 */
    case 5: /* few significant bits */
      return sign | ((r & 0x7fffffu) & ~((1u << (vec_rng32() % 23u)) - 1u)) | ((100u + vec_rng32() % 50u) << 23);
    default: return r;
  }
}

/* Nudge a pattern by up to four ulps (keeps the sign; may cross exponent boundaries). */
static inline uint32_t vec_nudge(uint32_t x) {
  int32_t d = (int32_t)(vec_rng32() % 9u) - 4;
  uint32_t m = (x & 0x7fffffffu) + (uint32_t)d;
  if (m > 0x7f800000u) m = 0x7f7fffffu; /* stay finite */
  return (x & 0x80000000u) | m;
}

/* Exponent of the leading one of a finite non-zero pattern: x = 1.f * 2^e (subnormals too). */
static inline int vec_exp(uint32_t x) {
  int be = (int)((x >> 23) & 0xffu);
  if (be) return be - 127;
  uint32_t m = x & 0x7fffffu;
  int e = -127;
  while (!(m & 0x800000u)) m <<= 1, e--;
  return e;
}

/* sign | 1.frac * 2^e as a pattern: exact while normal, truncated to the subnormal grid below
 * (the smallest subnormal if nothing would be left), the largest finite value above. */
static inline uint32_t vec_make(uint32_t sign, int e, uint32_t frac) {
  frac &= 0x7fffffu;
  if (e > 127) return sign | 0x7f7fffffu;
  if (e >= -126) return sign | ((uint32_t)(e + 127) << 23) | frac;
  int sh = -126 - e; /* >= 1 */
  uint32_t m = sh >= 24 ? 0 : (0x800000u | frac) >> sh;
  return sign | (m ? m : 1u);
}

/* A significand with only its top `bits` bits (1..24, counting the hidden one) random. */
static inline uint32_t vec_short_frac(int bits) {
  uint32_t f = vec_rng32() & 0x7fffffu;
  return bits >= 24 ? f : f & ~((1u << (24 - bits)) - 1u);
}

/* An addend c that puts p + c on or a hair off a rounding boundary of binary32 (a float next to
 * p's rounded value, or a midpoint between two): c = boundary - p (exact in double), either
 * nudged by a few of its ulps or plus a small delta from just under p's rounding position to far
 * below p's lsb. Then c's low bits reach below the product's lsb and only a correct sticky bit
 * (and no carry lost from the bits shifted out) rounds the sum right.
 * p is a product of two floats (exact in double) or a float; sc is the sign used when p is 0. */
static inline uint32_t vec_boundary_addend(double p, uint32_t sc) {
  float r = (float)p; /* round to the float grid (host RNE); only picks a nearby boundary */
  uint32_t rb = ref_u(r);
  if ((rb & 0x7fffffffu) >= 0x7f800000u || p == 0.0) return vec_nudge(sc);
  int be = (int)((rb >> 23) & 0xffu);
  double ulp = ldexp(1.0, (be ? be : 1) - 150);
  double boundary = (double)r + (double)vec_range(-2, 2) * ulp / 2;
  double d = boundary - p; /* exact for a normal p: multiples of p's lsb less than 2^27 lsbs apart */
  if (vec_rng32() % 4 == 0) return d == 0.0 ? vec_nudge(sc) : vec_nudge(ref_u((float)d));
  /* Off the boundary by delta, from just under p's rounding position to far below its lsb. */
  double delta = ldexp(1.0 + (double)(vec_rng32() & 0xffffffu) * 0x1p-24, ilogb(p) - vec_range(24, 80));
  return ref_u((float)(d + ((vec_rng32() & 1u) ? delta : -delta)));
}

/* Carry and borrow chains: a product whose bits below its round bit down to bit 17 of the 48-bit
 * significand product are all ones with a round bit 0 (all zeros under a round bit 1): a hair
 * below (above) a midpoint between two floats. Found by stepping b. Then an addend
 * of the same (or the opposite) sign whose top bit lies from the product's lsb to 20 bits above
 * it. Its low bits then reach below the product's lsb and the sum carries (borrows) into the
 * rounding position only if nothing of the addend was lost in alignment. Half the time the
 * addend is instead exactly what takes the product to that midpoint plus a fraction of a
 * product lsb below every guard bit. For add (no product to search) only the addend's place. */
static inline void vec_gen_chain(enum tnum_op op, uint32_t *pa, uint32_t *pb, uint32_t *pc) {
  const int add = op == TNUM_F32_ADD;
  uint32_t sa = vec_rng32() & 0x80000000u, sb = vec_rng32() & 0x80000000u;
  int ea = vec_range(-40, 50), eb = vec_range(-40, 50);
  uint32_t a = vec_make(sa, ea, vec_rng32()), b = vec_make(sb, eb, vec_rng32());
  uint64_t p = 0;
  int ones = 0, found = 0, round_bit = 23;
  for (int tries = 0; tries < 400 && !add; tries++) {
    uint64_t ma = (a & 0x7fffffu) | 0x800000u, mb = (b & 0x7fffffu) | 0x800000u;
    p = ma * mb;
    round_bit = (p >> 47) ? 23 : 22;
    uint64_t run = (p >> 17) & ((1ull << (round_bit - 16)) - 1u), top = 1ull << (round_bit - 17);
    if (run == top || run == top - 1u) { /* 1000..0 (borrow chain) or 0111..1 (carry chain) */
      ones = run != top;
      found = 1;
      break;
    }
    b = (b & 0xff800000u) | ((b + 1u) & 0x7fffffu); /* next significand, same binade */
  }
  /* Exponent of the lsb of the 48-bit significand product (of a for add). */
  int lsb = add ? ea - 47 : ea + eb - 46;
  /* Same sign as the product for a carry chain, the opposite for a borrow chain. */
  uint32_t sp = add ? sa : sa ^ sb, sc = ones ? sp : sp ^ 0x80000000u;
  *pa = a;
  *pb = b;
  *pc = vec_make(sc, lsb + vec_range(0, 20), vec_rng32());
  if (found && vec_rng32() % 2) {
    /* The addend that takes the product exactly to the midpoint next to it (D product lsbs),
     * plus a fraction T of a product lsb that lies entirely below 2^-5: so the sum is a hair
     * past the midpoint and only the bits of T that no guard bit holds can say so. */
    uint64_t below = p & ((1ull << round_bit) - 1u); /* the bits under the round bit */
    uint64_t d = ones ? (1ull << round_bit) - below : below; /* 1 .. 2^17 */
    int w = 0;
    while ((d >> w) != 0) w++;
    int f = 24 - w; /* fraction bits of the addend below the product's lsb: at least 6 */
    uint64_t t = (vec_rng32() & ((1ull << (f - 5)) - 1u)) | 1u;
    double v = ldexp((double)((d << f) | t), lsb - f);
    *pc = sc | ref_u((float)v);
  }
}

/* Exponent distances (addend exponent minus product exponent) at the edges of an FMA's
 * alignment window: equal, one binade apart, one significand apart, a product apart, and past
 * every clamp a 48-bit product plus guard bits can have. */
static const int vec_fma_dists[] = {-80, -76, -75, -74, -73, -72, -60, -52, -51, -50, -49, -48, -47, -46,
                                    -30, -29, -28, -27, -26, -25, -24, -23, -22, -6, -5, -4, -3, -2, -1,
                                    0,   1,   2,   3,   4,   5,   22,  23,  24,  25,  26,  27,  28,  47,
                                    48,  49,  50,  51,  52,  53,  72,  73,  74,  75,  76,  80};
#define VEC_N_FMA_DISTS (sizeof vec_fma_dists / sizeof vec_fma_dists[0])

/* Operands of one f32_add, f32_mul, f32_fma or bf16_fma vector (bf16 operands in the low 16
 * bits). kind selects the mixture class; vec_gen_binary picks it at random. */
#define VEC_BINARY_KINDS 12
static inline void vec_gen_binary_kind(enum tnum_op op, unsigned kind, uint32_t *pa, uint32_t *pb, uint32_t *pc) {
  const int bf16 = op == TNUM_BF16_FMA, add = op == TNUM_F32_ADD, mul = op == TNUM_F32_MUL;
  const int sig_bits = bf16 ? 8 : 24; /* significand bits of a and b */
  uint32_t a = vec_rand_f32(), b = vec_rand_f32(), c = vec_rand_f32();
  uint32_t sa = vec_rng32() & 0x80000000u, sb = vec_rng32() & 0x80000000u, sc = vec_rng32() & 0x80000000u;
  switch (kind) {
    case 0: /* the plain mixture */
      break;
    case 1: /* finite normal operands, exponents anywhere */
      a = sa | vec_make(0, vec_range(-126, 127), vec_rng32());
      b = sb | vec_make(0, vec_range(-126, 127), vec_rng32());
      c = sc | vec_make(0, vec_range(-126, 127), vec_rng32());
      break;
    case 2: /* the addend exponent at a window edge relative to the product (or to a for add) */
    case 3: {
      int d = kind == 2 ? vec_fma_dists[vec_rng32() % VEC_N_FMA_DISTS] : vec_range(-80, 80);
      a = vec_make(sa, vec_range(-60, 60), vec_short_frac(vec_range(1, sig_bits)));
      b = vec_make(sb, vec_range(-60, 60), vec_short_frac(vec_range(1, sig_bits)));
      int e = add ? vec_exp(a) : vec_exp(a) + vec_exp(b);
      /* Half the time a power of two: minus a term below its lsb, the sum drops a binade and
       * the smaller term's top bits decide the rounding. */
      c = vec_make(sc, e + d, vec_short_frac(vec_rng32() % 2 ? 1 : vec_range(1, 24)));
      break;
    }
    case 4: /* cancellation: the addend is the negated rounded product, nudged */
    case 5: /* deep cancellation: same high bits, random low bits */
      a = vec_make(sa, vec_range(-70, 70), vec_rng32());
      b = vec_make(sb, vec_range(-70, 70), vec_rng32());
      if (vec_rng32() % 4 == 0) { /* a product in or near the subnormal range */
        a = vec_make(sa, vec_range(-126, -60), vec_rng32());
        b = vec_make(sb, vec_range(-66, 0), vec_rng32());
      }
      break;
    case 6: /* subnormal and tiny results */
      if (add) { /* subnormals and the smallest normals */
        a = sa | (vec_rng32() & 0x00ffffffu);
        c = sc | (vec_rng32() & 0x00ffffffu);
        break;
      }
      a = vec_make(sa, vec_range(-126, 0), vec_rng32());
      b = vec_make(sb, vec_range(-155, -115) - vec_exp(a), vec_rng32()); /* product 2^-155..2^-115 */
      c = vec_rng32() % 3 ? sc | (vec_rng32() & 0x00ffffffu) : sc;
      break;
    case 7: /* a tiny addend (subnormal) next to a normal product */
      a = vec_make(sa, vec_range(-40, 40), vec_rng32());
      b = vec_make(sb, vec_range(-40, 40), vec_rng32());
      c = sc | (vec_rng32() & 0x007fffffu);
      if (add) b = c;
      break;
    case 8: /* the overflow threshold */
      a = vec_make(sa, vec_range(60, 127), vec_rng32());
      b = vec_make(sb, vec_range(124, 129) - vec_exp(a), vec_rng32() | (vec_rng32() % 2 ? 0x7fff00u : 0));
      c = vec_make(sc, vec_range(120, 127), vec_rng32() | 0x7ff000u);
      if (add) b = vec_make(sb, 127, vec_rng32() | 0x7ff000u);
      break;
    case 9: { /* exact ties and near-ties: short significands, addend half an ulp away */
      int na = vec_range(1, sig_bits < 12 ? sig_bits : 12), nb = vec_range(1, sig_bits < 12 ? sig_bits : 12);
      a = vec_make(sa, vec_range(-40, 40), vec_short_frac(na));
      b = vec_make(sb, vec_range(-40, 40), vec_short_frac(mul ? 24 - na + vec_range(0, 2) : nb));
      int e = add ? vec_exp(a) : vec_exp(a) + vec_exp(b);
      /* 2^(e-24) is half an ulp of a result in the product's binade; one binade either way too */
      c = vec_make(sc, e - 24 + vec_range(-1, 1), vec_short_frac(vec_range(1, 3)));
      if (vec_rng32() % 4 == 0) c = vec_make(sc, e + vec_range(-2, 2), vec_short_frac(vec_range(1, 24)));
      break;
    }
    case 10: /* the sum just at a rounding boundary: the addend completes the product (below) */
      a = vec_make(sa, vec_range(-60, 60), vec_short_frac(vec_range(1, sig_bits)));
      b = vec_make(sb, vec_range(-60, 60), vec_short_frac(vec_range(1, sig_bits)));
      if (vec_rng32() % 4 == 0) b = vec_make(sb, vec_range(-130, -100) - vec_exp(a), vec_rng32()); /* subnormal */
      break;
    case 11: /* carry/borrow chains: the addend overlaps the product's lowest bits (below) */
      vec_gen_chain(op, &a, &b, &c);
      break;
    default: break;
  }
  if (bf16) {
    a &= 0xffff0000u;
    b &= 0xffff0000u;
  }
  if (kind == 4 || kind == 5) {
    uint32_t p = add ? a : ref_mul(a, b);
    if ((p & 0x7fffffffu) >= 0x7f800000u) p = a; /* overflowed: cancel a instead */
    c = p ^ 0x80000000u;
    if (kind == 4) {
      c = vec_nudge(c);
    } else {
      uint32_t low = (1u << vec_range(1, 23)) - 1u;
      c = (c & ~low) | (vec_rng32() & low);
    }
  }
  if (kind == 10) c = vec_boundary_addend(add ? (double)ref_f(a) : (double)ref_f(a) * (double)ref_f(b), sc);
  if (add) b = c; /* add: b is the second term */
  if (bf16) {
    a >>= 16;
    b >>= 16;
  }
  *pa = a;
  *pb = b;
  *pc = add || mul ? 0 : c;
}

static inline void vec_gen_binary(enum tnum_op op, uint32_t *a, uint32_t *b, uint32_t *c) {
  vec_gen_binary_kind(op, vec_rng32() % VEC_BINARY_KINDS, a, b, c);
}

/* Inputs of the narrowing conversions (f32 -> bf16, E4M3, E5M2) from a mixture: random
 * patterns, bf16 ties and near-ties, fp8 grid points, midpoints and their neighbours. */
static inline uint32_t vec_gen_narrowing(void) {
  uint32_t sign = vec_rng32() & 0x80000000u;
  switch (vec_rng32() % 6) {
    case 0: return vec_rand_f32();
    case 1: /* bf16 ties and near-ties */
      return sign | (vec_rng32() & 0x7fff0000u) | 0x8000u | ((vec_rng32() % 4 == 0) ? vec_rng32() & 0x7fffu : 0);
    case 2: /* fp8 magnitudes, both formats' ranges, short significands (ties) */
      return vec_make(sign, vec_range(-20, 17), vec_short_frac(vec_range(1, 6)));
    case 3: return vec_nudge(vec_make(sign, vec_range(-20, 17), vec_short_frac(vec_range(1, 6))));
    case 4: /* around the fp8 overflow thresholds (448/480, 57344/61440) and the bf16 one */
      return vec_nudge(sign | ((vec_rng32() % 3 == 0 ? 0x43e00000u : vec_rng32() % 2 ? 0x47600000u : 0x7f7f0000u) +
                               (vec_rng32() & 0x001fffffu)));
    default: return vec_rng32();
  }
}

/* The IEEE reference of any exact op on raw operands (bf16/fp8 operands in the low bits). */
static inline uint32_t vec_ref(enum tnum_op op, uint32_t a, uint32_t b, uint32_t c) {
  switch (op) {
    case TNUM_F32_ADD: return ref_add(a, b);
    case TNUM_F32_MUL: return ref_mul(a, b);
    case TNUM_F32_FMA: return ref_fma(a, b, c);
    case TNUM_BF16_FMA: return ref_bf16_fma(a, b, c);
    case TNUM_F32_TO_BF16: return ref_f32_to_bf16(a);
    case TNUM_BF16_TO_F32: return ref_bf16_to_f32(a);
    case TNUM_F32_TO_E4M3: return ref_f32_to_fp8(ref_e4m3(), a);
    case TNUM_F32_TO_E5M2: return ref_f32_to_fp8(ref_e5m2(), a);
    case TNUM_E4M3_TO_F32: return ref_fp8_to_f32(ref_e4m3(), a);
    case TNUM_E5M2_TO_F32: return ref_fp8_to_f32(ref_e5m2(), a);
    default: return 0;
  }
}

/* Exact ops: the ones with an IEEE reference (the approximations come after them). */
static inline int vec_is_exact(enum tnum_op op) { return op <= TNUM_E5M2_TO_F32; }

/* Operands of one random vector of any exact op. */
static inline void vec_gen(enum tnum_op op, uint32_t *a, uint32_t *b, uint32_t *c) {
  *b = *c = 0;
  switch (op) {
    case TNUM_F32_ADD:
    case TNUM_F32_MUL:
    case TNUM_F32_FMA:
    case TNUM_BF16_FMA: vec_gen_binary(op, a, b, c); return;
    case TNUM_BF16_TO_F32: *a = vec_rng32() & 0xffffu; return;
    case TNUM_E4M3_TO_F32:
    case TNUM_E5M2_TO_F32: *a = vec_rng32() & 0xffu; return;
    default: *a = vec_gen_narrowing(); return;
  }
}

#endif /* TESSERA_TESTS_FPU_VEC_H */
