/* The operation table (from TNUM_OPS) and evaluation by operation number. */
#include "tessera/numerics.h"

const struct tnum_op_info tnum_op_table[TNUM_OP_COUNT] = {
#define TNUM_OP_INFO(id, name, nargs, a, b, c, r) [TNUM_##id] = {name, nargs, {a, b, c}, r},
    TNUM_OPS(TNUM_OP_INFO)
#undef TNUM_OP_INFO
};

const struct tnum_op_info *tnum_op_info(enum tnum_op op) {
  if ((unsigned)op >= TNUM_OP_COUNT) return NULL;
  return &tnum_op_table[op];
}

static bool str_eq(const char *x, const char *y) {
  while (*x && *x == *y) x++, y++;
  return *x == *y;
}

int tnum_op_by_name(const char *name) {
  if (!name) return -1;
  for (int i = 0; i < TNUM_OP_COUNT; i++)
    if (str_eq(name, tnum_op_table[i].name)) return i;
  return -1;
}

uint32_t tnum_eval(enum tnum_op op, uint32_t a, uint32_t b, uint32_t c) {
  switch (op) {
    case TNUM_F32_ADD: return tnum_f32_add(a, b);
    case TNUM_F32_MUL: return tnum_f32_mul(a, b);
    case TNUM_F32_FMA: return tnum_f32_fma(a, b, c);
    case TNUM_BF16_FMA: return tnum_bf16_fma((uint16_t)a, (uint16_t)b, c);
    case TNUM_F32_TO_BF16: return tnum_f32_to_bf16(a);
    case TNUM_BF16_TO_F32: return tnum_bf16_to_f32((uint16_t)a);
    case TNUM_F32_TO_E4M3: return tnum_f32_to_e4m3(a);
    case TNUM_F32_TO_E5M2: return tnum_f32_to_e5m2(a);
    case TNUM_E4M3_TO_F32: return tnum_e4m3_to_f32((uint8_t)a);
    case TNUM_E5M2_TO_F32: return tnum_e5m2_to_f32((uint8_t)a);
    case TNUM_F32_EXP: return tnum_f32_exp(a);
    case TNUM_F32_RECIP: return tnum_f32_recip(a);
    case TNUM_F32_RSQRT: return tnum_f32_rsqrt(a);
    case TNUM_F32_TANH: return tnum_f32_tanh(a);
    case TNUM_F32_GELU: return tnum_f32_gelu(a);
    case TNUM_OP_COUNT: break;
  }
  return 0;
}
