/* Tessera numerics: the bit-exact C golden model of the arithmetic units (rtl/fpu/).
 *
 * Every function takes and returns raw bit patterns (fp32 in a uint32_t, bf16 in a uint16_t, fp8
 * in a uint8_t) and computes with integers only, so results do not depend on the host's
 * floating-point environment and the library builds for rv32im without an FPU. Freestanding:
 * <stdint.h>, <stddef.h> and <stdbool.h> only. The semantics are in docs/numerics.md; the short
 * version:
 *   - fp32 add, mul, fma: IEEE 754 binary32, round to nearest even, subnormals in and out (no
 *     flush to zero), IEEE infinities and signed zeros. Every NaN result is TNUM_F32_QNAN.
 *   - bf16 <-> fp32: to bf16 rounds to nearest even (NaN -> TNUM_BF16_QNAN), to fp32 is exact.
 *   - fp32 -> OCP FP8 E4M3 / E5M2: nearest even on the fp8 grid, then saturation to the largest
 *     finite value (infinities too); NaN -> TNUM_E4M3_NAN / TNUM_E5M2_NAN. fp8 -> fp32 is exact.
 * The operation list and its order are in tessera/fpu_ops.h (TNUM_OPS, enum tnum_op). */
#ifndef TESSERA_NUMERICS_H
#define TESSERA_NUMERICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/fpu_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Canonical NaN results. */
#define TNUM_F32_QNAN 0x7fc00000u
#define TNUM_BF16_QNAN 0x7fc0u
#define TNUM_E4M3_NAN 0x7fu
#define TNUM_E5M2_NAN 0x7eu
/* Largest finite fp8 magnitudes: E4M3 448, E5M2 57344. */
#define TNUM_E4M3_MAX 0x7eu
#define TNUM_E5M2_MAX 0x7bu

/* --- Exact operations --------------------------------------------------------------------- */

/* binary32 a + b, a * b and a * b + c (one rounding), round to nearest even. */
uint32_t tnum_f32_add(uint32_t a, uint32_t b);
uint32_t tnum_f32_mul(uint32_t a, uint32_t b);
uint32_t tnum_f32_fma(uint32_t a, uint32_t b, uint32_t c);
/* The tile's MAC: bf16 a times bf16 b plus fp32 c, one rounding to fp32
 * (= tnum_f32_fma on the widened operands). */
uint32_t tnum_bf16_fma(uint16_t a, uint16_t b, uint32_t c);

uint16_t tnum_f32_to_bf16(uint32_t a);
uint32_t tnum_bf16_to_f32(uint16_t a);
uint8_t tnum_f32_to_e4m3(uint32_t a);
uint8_t tnum_f32_to_e5m2(uint32_t a);
uint32_t tnum_e4m3_to_f32(uint8_t a);
uint32_t tnum_e5m2_to_f32(uint8_t a);

/* --- Vector-unit functions (approximations, common/numerics/tnum_approx.c) --------------------
 * Error bounds and special values: docs/numerics.md, section "Vector-unit functions". */
uint32_t tnum_f32_exp(uint32_t a);
uint32_t tnum_f32_recip(uint32_t a);
uint32_t tnum_f32_rsqrt(uint32_t a);
uint32_t tnum_f32_tanh(uint32_t a);
uint32_t tnum_f32_gelu(uint32_t a); /* GPT-2's tanh form */

/* --- Building block ---------------------------------------------------------------------------
 * Round sign * sig * 2^exp to binary32, nearest even, with IEEE overflow to infinity and gradual
 * underflow. sig is an integer significand whose least significant bit may be a sticky bit (the
 * OR of every bit below it that was dropped); exact rounding needs at least two bits between the
 * sticky bit and the rounding position (always the case when sig has 26 or more significant
 * bits). sig == 0 gives a zero with the given sign. */
uint32_t tnum_f32_round_pack(bool sign, int32_t exp, uint64_t sig);

/* --- Operations by number ---------------------------------------------------------------------- */

struct tnum_op_info {
  const char *name;   /* as on the `tessera fpu` command line, e.g. "f32_fma" */
  uint8_t nargs;      /* 1..3 */
  uint8_t bits[3];    /* width of operands a, b, c (0: not taken) */
  uint8_t result_bits;
};

/* Indexed by enum tnum_op, built from TNUM_OPS. */
extern const struct tnum_op_info tnum_op_table[TNUM_OP_COUNT];

/* The info of op, or NULL if op is out of range. */
const struct tnum_op_info *tnum_op_info(enum tnum_op op);
/* The op named name, or -1 if no op has that name (or name is NULL). */
int tnum_op_by_name(const char *name);
/* op applied to the low bits of a, b, c (operands the op does not take are ignored); the result
 * is in the low result_bits bits. An op out of range returns 0. */
uint32_t tnum_eval(enum tnum_op op, uint32_t a, uint32_t b, uint32_t c);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_NUMERICS_H */
