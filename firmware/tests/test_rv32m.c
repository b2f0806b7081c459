/* RV32M: mul, mulh/mulhsu/mulhu on sign corners, div/rem signed and unsigned, by zero and the
 * INT_MIN / -1 overflow. Expected values worked out by hand (comments). */
#include "tfw_test.h"

#define MIN 0x80000000u
#define M1 0xffffffffu

int main(void) {
  /* 0x00010003 * 0x00020005 = 2^33 + 5*2^16 + 3*2^17 + 15 = 0x2_000B_000F */
  CHECK("mul low", RR("mul", 0x00010003u, 0x00020005u), 0x000b000fu);
  CHECK("mulhu high", RR("mulhu", 0x00010003u, 0x00020005u), 2u);
  CHECK("mul -1*-1", RR("mul", M1, M1), 1u);
  CHECK("mul -3*5", RR("mul", 0xfffffffdu, 5), 0xfffffff1u);
  CHECK("mulh -1*-1 = 1: high 0", RR("mulh", M1, M1), 0u);
  CHECK("mulh MIN*MIN = 2^62", RR("mulh", MIN, MIN), 0x40000000u);
  CHECK("mulh MIN*1 = -2^31: high -1", RR("mulh", MIN, 1), M1);
  CHECK("mulh MAX*MAX = 2^62-2^32+1", RR("mulh", 0x7fffffffu, 0x7fffffffu), 0x3fffffffu);
  CHECK("mulh -3*5 = -15: high -1", RR("mulh", 0xfffffffdu, 5), M1);
  CHECK("mulhu 0xffffffff^2", RR("mulhu", M1, M1), 0xfffffffeu);
  CHECK("mulhu MIN*2", RR("mulhu", MIN, 2), 1u);
  CHECK("mulhsu -1*0xffffffff = -(2^32-1)", RR("mulhsu", M1, M1), M1);
  CHECK("mulhsu MIN*0xffffffff = -2^63+2^31", RR("mulhsu", MIN, M1), 0x80000000u);
  CHECK("mulhsu 1*0xffffffff", RR("mulhsu", 1, M1), 0u);
  CHECK("mulhsu 2*0x80000000 (rs2 unsigned)", RR("mulhsu", 2, MIN), 1u);

  CHECK("div 7/-2 = -3", RR("div", 7, 0xfffffffeu), 0xfffffffdu);
  CHECK("rem 7%-2 = 1", RR("rem", 7, 0xfffffffeu), 1u);
  CHECK("div -7/2 = -3", RR("div", 0xfffffff9u, 2), 0xfffffffdu);
  CHECK("rem -7%2 = -1", RR("rem", 0xfffffff9u, 2), M1);
  CHECK("divu 0xfffffff9/2", RR("divu", 0xfffffff9u, 2), 0x7ffffffcu);
  CHECK("remu 0xfffffff9%2", RR("remu", 0xfffffff9u, 2), 1u);
  CHECK("div by zero = -1", RR("div", 1234, 0), M1);
  CHECK("divu by zero = 0xffffffff", RR("divu", 1234, 0), M1);
  CHECK("rem by zero = dividend", RR("rem", 0xfffffb2eu, 0), 0xfffffb2eu);
  CHECK("remu by zero = dividend", RR("remu", 1234, 0), 1234u);
  CHECK("div MIN/-1 overflow = MIN", RR("div", MIN, M1), MIN);
  CHECK("rem MIN%-1 overflow = 0", RR("rem", MIN, M1), 0u);
  CHECK("divu MIN/0xffffffff", RR("divu", MIN, M1), 0u);
  CHECK("remu MIN%0xffffffff", RR("remu", MIN, M1), MIN);
  CHECK("div MIN/1", RR("div", MIN, 1), MIN);
  return tfw_done();
}
