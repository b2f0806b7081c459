/* The tile's vector-unit kernels of a GPT training step (everything but the three linear-layer
 * kernels of ttile_fn.h) as a bit-exact functional model: the numerics the tile's vector unit
 * applies, in the operation order of docs/vector-kernels.md. The RTL must produce the same bits.
 *
 * Every value is an fp32 bit pattern in a uint32_t and every operation is one of the numerics
 * library's (tessera/numerics.h): no float or double here. Arrays are token-major, row-major:
 * element (t, c) of a [m][n] array is a[t * n + c]. Kernels that take indices return TVEC_OK or
 * TVEC_EBADARG (an index out of range; nothing is written then). */
#ifndef TVEC_FN_H
#define TVEC_FN_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TVEC_OK = 0, TVEC_EBADARG = -1 };

#define TVEC_F32_ONE 0x3f800000u
#define TVEC_F32_SIGN 0x80000000u

/* --- Scalar helpers ------------------------------------------------------------------------- */
/* max(a, b) in IEEE order (+0 and -0 compare equal: a is kept); any NaN gives TNUM_F32_QNAN. */
uint32_t tvec_f32_max(uint32_t a, uint32_t b);
/* RN(1/d), correctly rounded, for an integer d >= 1 (integer division; firmware computes it for
 * the descriptor). d = 0 gives +inf. */
uint32_t tvec_recip_u32(uint32_t d);
/* The fp32 value of an integer d < 2^24 (exact). */
uint32_t tvec_u32_to_f32(uint32_t d);
/* Natural logarithm: relative error at most 2^-19 for positive finite x (docs/vector-kernels.md);
 * log(+-0) = -inf, log(+inf) = +inf, x < 0 or NaN give TNUM_F32_QNAN. */
uint32_t tvec_log(uint32_t x);

/* --- Elementwise ------------------------------------------------------------------------------ */
/* y = gelu(x) (tnum_f32_gelu, GPT-2's tanh form). */
void tvec_gelu_fwd(const uint32_t *x, uint32_t *y, uint32_t count);
/* dx = dy * gelu'(x), gelu' of the tanh form in the order of docs/vector-kernels.md. */
void tvec_gelu_bwd(const uint32_t *x, const uint32_t *dy, uint32_t *dx, uint32_t count);
/* The derivative alone (dy = 1 without the final multiply); |x| >= 16 gives 1 (x > 0) or +0. */
uint32_t tvec_gelu_grad(uint32_t x);
/* y = a + b. */
void tvec_residual_add(const uint32_t *a, const uint32_t *b, uint32_t *y, uint32_t count);
/* y = x * s. */
void tvec_scale(const uint32_t *x, uint32_t s, uint32_t *y, uint32_t count);

/* --- Row reductions (one row per token, per lane) ---------------------------------------------- */
/* Columns of row r that take part: all `cols`, or with `causal` those c <= r + offset (none when
 * r + offset < 0). */
uint32_t tvec_row_valid(uint32_t r, uint32_t cols, bool causal, int32_t offset);
/* Row softmax of x [rows][cols]; masked columns, and every column of a fully masked row, give +0. */
void tvec_softmax_fwd(const uint32_t *x, uint32_t *y, uint32_t rows, uint32_t cols, bool causal, int32_t offset);
/* dx = p * (dy - sum_c dy[c] p[c]) over the valid columns; masked columns give +0. */
void tvec_softmax_bwd(const uint32_t *p, const uint32_t *dy, uint32_t *dx, uint32_t rows, uint32_t cols, bool causal,
                      int32_t offset);
/* LayerNorm of x [rows][d]: y = (x - mean) * rstd * gamma + beta, rstd = rsqrt(var + eps) with the
 * biased variance; saves mean [rows] and rstd [rows]. */
void tvec_layernorm_fwd(const uint32_t *x, const uint32_t *gamma, const uint32_t *beta, uint32_t eps, uint32_t *y,
                        uint32_t *mean, uint32_t *rstd, uint32_t rows, uint32_t d);
/* The same with invd = RN(1/d) given (the tile takes it from its descriptor: tvec_recip_u32(d) gives
 * tvec_layernorm_fwd's results). */
void tvec_layernorm_fwd_inv(const uint32_t *x, const uint32_t *gamma, const uint32_t *beta, uint32_t eps,
                            uint32_t invd, uint32_t *y, uint32_t *mean, uint32_t *rstd, uint32_t rows, uint32_t d);
/* dx [rows][d]; dgamma [d] and dbeta [d] accumulate onto their values (callers zero them), one
 * chain per column in increasing row order. */
void tvec_layernorm_bwd(const uint32_t *dy, const uint32_t *x, const uint32_t *mean, const uint32_t *rstd,
                        const uint32_t *gamma, uint32_t *dx, uint32_t *dgamma, uint32_t *dbeta, uint32_t rows,
                        uint32_t d);
/* The same with invd = RN(1/d) given (the tile's layernorm_bwd takes it from its descriptor). */
void tvec_layernorm_bwd_inv(const uint32_t *dy, const uint32_t *x, const uint32_t *mean, const uint32_t *rstd,
                            const uint32_t *gamma, uint32_t invd, uint32_t *dx, uint32_t *dgamma, uint32_t *dbeta,
                            uint32_t rows, uint32_t d);
/* Per-token loss [m] = logsumexp(logits[t]) - logits[t][target[t]], logits [m][v]. */
int tvec_cross_entropy_fwd(const uint32_t *logits, const uint32_t *target, uint32_t *loss, uint32_t m, uint32_t v);
/* dlogits [m][v] = (softmax(logits[t]) - onehot(target[t])) * scale (scale = tvec_recip_u32(m) for
 * the mean loss). */
int tvec_cross_entropy_bwd(const uint32_t *logits, const uint32_t *target, uint32_t scale, uint32_t *dlogits, uint32_t m,
                           uint32_t v);

/* --- Embedding -------------------------------------------------------------------------------- */
/* out [m][d] = table [v][d] rows ids[t]. */
int tvec_embedding_fwd(const uint32_t *table, const uint32_t *ids, uint32_t *out, uint32_t m, uint32_t v, uint32_t d);
/* dtable[ids[t]][c] += dy[t][c] for t = 0, 1, ..., m-1 in that order (one chain per element,
 * starting from dtable's value). */
int tvec_embedding_bwd(const uint32_t *dy, const uint32_t *ids, uint32_t *dtable, uint32_t m, uint32_t v, uint32_t d);

/* --- AdamW -------------------------------------------------------------------------------------- */
struct tvec_adamw {
  uint32_t lr, beta1, beta2, eps, weight_decay; /* fp32 bit patterns */
  uint32_t step;                                /* t >= 1: the step being taken */
};
/* One AdamW step on count fp32 master weights w with gradients g and moments m, v (all updated in
 * place); wbf16 (may be NULL) receives the new weights rounded to bf16. TVEC_EBADARG for step 0. */
int tvec_adamw_update(const struct tvec_adamw *hp, uint32_t *w, const uint32_t *g, uint32_t *m, uint32_t *v,
                      uint16_t *wbf16, uint32_t count);
/* The step's arithmetic with the bias corrections given: bc1 = 1 - beta1^t, bc2 = 1 - beta2^t
 * (hp->step is not read). tvec_adamw_update is this with tvec_bias_correction's values; the tile's
 * adamw kernel takes them from its descriptor. */
void tvec_adamw_apply(const struct tvec_adamw *hp, uint32_t bc1, uint32_t bc2, uint32_t *w, const uint32_t *g,
                      uint32_t *m, uint32_t *v, uint16_t *wbf16, uint32_t count);
/* 1 - beta^t with beta^t formed by square-and-multiply in double-fp32 (hi + lo) arithmetic. */
uint32_t tvec_bias_correction(uint32_t beta, uint32_t t);

/* --- Epilogue ------------------------------------------------------------------------------- */
enum tvec_act { TVEC_ACT_NONE = 0, TVEC_ACT_GELU = 1 };
enum tvec_cast { TVEC_CAST_F32 = 0, TVEC_CAST_BF16 = 1 };
struct tvec_epilogue {
  const uint32_t *bias;     /* [n] or NULL */
  enum tvec_act act;
  const uint32_t *residual; /* [m][n] or NULL */
  uint32_t scale;           /* fp32 bits; TVEC_F32_ONE for none */
  enum tvec_cast cast;
};
/* out [m][n] = cast(scale * (act(acc + bias) + residual)); out may alias acc. */
void tvec_epilogue_apply(const struct tvec_epilogue *ep, const uint32_t *acc, uint32_t *out, uint32_t m, uint32_t n);

/* --- Attention pieces (sim/vec/tvec_attn.c, $(TVEC_ATTN_OBJS): built on the tile's fwd kernel) ---
 * Dense GEMMs in the tile's summation order: the right operand is the nonzero stream of a dense
 * mask built with P slots and S sub-banks (sub-bank reordering on) and goes through ttile_fn_fwd,
 * so operands are rounded to bf16 (the tile's MAC). They return TVEC_EBADARG when the stream
 * cannot be built (a dimension 0 or above 65535, P or S out of range, out of memory). */
/* y [m][n] = a [m][k] b[n][k]^T. */
int tvec_dense_abt(const uint32_t *a, const uint32_t *b, uint32_t m, uint32_t n, uint32_t k, uint32_t p, uint32_t s,
                   uint32_t *y);
/* scores [t][t] = mul(Q K^T, scale), Q and K [t][dh] (K is the stream). */
int tvec_attn_scores(const uint32_t *q, const uint32_t *kk, uint32_t t, uint32_t dh, uint32_t scale, uint32_t p,
                     uint32_t s, uint32_t *scores);
/* out [t][dh] = P V, P [t][t] (probabilities), V [t][dh] (V^T is the stream). */
int tvec_attn_pv(const uint32_t *prob, const uint32_t *v, uint32_t t, uint32_t dh, uint32_t p, uint32_t s,
                 uint32_t *out);

#ifdef __cplusplus
}
#endif
#endif /* TVEC_FN_H */
