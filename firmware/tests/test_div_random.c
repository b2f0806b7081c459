/* The divider on random operands of every width (the RTL skips the dividend's leading zero bits,
 * so each width takes a different number of cycles): fixed-seed operands, and for each of div,
 * divu, rem, remu the defining identities checked in the program itself: a = q * b + r with
 * |r| < |b|, r carrying the sign of a (signed) or r < b (unsigned). Under --cosim every result is
 * also compared with the ISS. */
#include "tfw_test.h"

static uint32_t seed = 0x9e3779b9u;
static uint32_t rnd(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed;
}

static uint32_t mag(int32_t v) { return v < 0 ? 0u - (uint32_t)v : (uint32_t)v; }

int main(void) {
  unsigned bad = 0, n = 0;
  for (unsigned i = 0; i < 1500; i++) {
    uint32_t a = rnd() >> (rnd() & 31u), b = rnd() >> (rnd() & 31u);
    if (i & 1u) a = 0u - a; /* negative dividends too */
    if (i & 2u) b = 0u - b;
    if (b == 0) continue;
    uint32_t q = RR("divu", a, b), r = RR("remu", a, b);
    if (q * b + r != a || r >= b) bad++;
    int32_t sa = (int32_t)a, sb = (int32_t)b;
    if (sa == INT32_MIN && sb == -1) continue;
    int32_t sq = (int32_t)RR("div", a, b), sr = (int32_t)RR("rem", a, b);
    if ((uint32_t)sq * (uint32_t)sb + (uint32_t)sr != a || mag(sr) >= mag(sb) || (sr != 0 && (sr < 0) != (sa < 0))) bad++;
    n++;
  }
  CHECK("random div/rem operands pass the identities", bad, 0u);
  CHECK("at least 1400 operand pairs", n >= 1400u, 1u);
  CHECK("div 0 / 7 = 0", RR("div", 0, 7), 0u);
  CHECK("rem 0 / 7 = 0", RR("rem", 0, 7), 0u);
  CHECK("divu 1 / 1 = 1", RR("divu", 1, 1), 1u);
  CHECK("div MIN / 1 = MIN", RR("div", 0x80000000u, 1), 0x80000000u);
  CHECK("rem MIN / 3 = -2", RR("rem", 0x80000000u, 3), (uint32_t)-2);
  CHECK("divu 0xffffffff / 0xffffffff = 1", RR("divu", 0xffffffffu, 0xffffffffu), 1u);
  return tfw_done();
}
