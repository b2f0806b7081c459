/* Loads and stores: sign and zero extension of every load width, byte and halfword lanes of
 * stores, negative offsets, data reads from IMEM (read-only data lives there). */
#include "tfw_test.h"

static volatile uint32_t buf[4] = {0x80ff7f01u, 0x12345678u, 0, 0};
static const uint32_t rodata_word = 0xcafef00du; /* .rodata: in IMEM */

int main(void) {
  volatile uint32_t *b = buf;
  CHECK("lb byte0 0x01", LD("lb", b, 0), 0x00000001u);
  CHECK("lb byte1 0x7f", LD("lb", b, 1), 0x0000007fu);
  CHECK("lb byte2 0xff sign-extends", LD("lb", b, 2), 0xffffffffu);
  CHECK("lb byte3 0x80 sign-extends", LD("lb", b, 3), 0xffffff80u);
  CHECK("lbu byte2", LD("lbu", b, 2), 0x000000ffu);
  CHECK("lbu byte3", LD("lbu", b, 3), 0x00000080u);
  CHECK("lh half0 0x7f01", LD("lh", b, 0), 0x00007f01u);
  CHECK("lh half1 0x80ff sign-extends", LD("lh", b, 2), 0xffff80ffu);
  CHECK("lhu half1", LD("lhu", b, 2), 0x000080ffu);
  CHECK("lw", LD("lw", b, 0), 0x80ff7f01u);
  CHECK("lw offset 4", LD("lw", b, 4), 0x12345678u);
  CHECK("lw negative offset", LD("lw", b + 1, -4), 0x80ff7f01u);
  CHECK("lbu negative offset", LD("lbu", b + 1, -1), 0x00000080u);

  b[2] = 0;
  ST("sb", 0x123456abu, b, 9);
  CHECK("sb lane 1", b[2], 0x0000ab00u);
  ST("sb", 0xffffffcdu, b, 11);
  CHECK("sb lane 3", b[2], 0xcd00ab00u);
  ST("sb", 0x11u, b, 8);
  CHECK("sb lane 0", b[2], 0xcd00ab11u);
  ST("sb", 0x22u, b, 10);
  CHECK("sb lane 2", b[2], 0xcd22ab11u);
  b[3] = 0;
  ST("sh", 0x1234beefu, b, 14);
  CHECK("sh upper half", b[3], 0xbeef0000u);
  ST("sh", 0xffff5566u, b, 12);
  CHECK("sh lower half", b[3], 0xbeef5566u);
  ST("sw", 0x01020304u, b + 4, -8);
  CHECK("sw negative offset", b[2], 0x01020304u);
  CHECK("lh after sw", LD("lh", b, 10), 0x00000102u);

  const uint32_t *r = &rodata_word;
  CHECK("lw from IMEM", LD("lw", r, 0), 0xcafef00du);
  CHECK("lb from IMEM sign-extends", LD("lb", r, 3), 0xffffffcau);
  CHECK("lhu from IMEM", LD("lhu", r, 0), 0x0000f00du);
  return tfw_done();
}
