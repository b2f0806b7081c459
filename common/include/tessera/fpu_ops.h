/* The arithmetic operations of Tessera's numerics units, shared by the C golden library
 * (tessera/numerics.h), the RTL units (rtl/fpu/) and `tessera fpu`.
 *
 * X(ID, name, number of operands, bits of operand a, b, c, bits of the result).
 * Operands and results are raw bit patterns: fp32 32 bits, bf16 16, fp8 8. The order is the
 * order of the command-line names in docs/numerics.md; do not reorder (the RTL op codes follow it). */
#ifndef TESSERA_FPU_OPS_H
#define TESSERA_FPU_OPS_H

#define TNUM_OPS(X)                                   \
  X(F32_ADD, "f32_add", 2, 32, 32, 0, 32)             \
  X(F32_MUL, "f32_mul", 2, 32, 32, 0, 32)             \
  X(F32_FMA, "f32_fma", 3, 32, 32, 32, 32)            \
  X(BF16_FMA, "bf16_fma", 3, 16, 16, 32, 32)          \
  X(F32_TO_BF16, "f32_to_bf16", 1, 32, 0, 0, 16)      \
  X(BF16_TO_F32, "bf16_to_f32", 1, 16, 0, 0, 32)      \
  X(F32_TO_E4M3, "f32_to_e4m3", 1, 32, 0, 0, 8)       \
  X(F32_TO_E5M2, "f32_to_e5m2", 1, 32, 0, 0, 8)       \
  X(E4M3_TO_F32, "e4m3_to_f32", 1, 8, 0, 0, 32)       \
  X(E5M2_TO_F32, "e5m2_to_f32", 1, 8, 0, 0, 32)       \
  X(F32_EXP, "f32_exp", 1, 32, 0, 0, 32)              \
  X(F32_RECIP, "f32_recip", 1, 32, 0, 0, 32)          \
  X(F32_RSQRT, "f32_rsqrt", 1, 32, 0, 0, 32)          \
  X(F32_TANH, "f32_tanh", 1, 32, 0, 0, 32)            \
  X(F32_GELU, "f32_gelu", 1, 32, 0, 0, 32)

enum tnum_op {
#define TNUM_OP_ENUM(id, name, nargs, a, b, c, r) TNUM_##id,
  TNUM_OPS(TNUM_OP_ENUM)
#undef TNUM_OP_ENUM
  TNUM_OP_COUNT
};

#endif /* TESSERA_FPU_OPS_H */
