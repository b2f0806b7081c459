/* float64 reference of one GPT (decoder-only transformer) training step: the golden model that a
 * bf16/fp32 run on the chip is compared with (docs/gpt.md). Everything is computed in double with
 * libm, in plain textbook order, with no attempt to copy the tile's operation order; no globals,
 * scratch memory is allocated by each call and freed before it returns.
 *
 * Conventions (Tessera's kernels): a projection is Y = X W^T with W stored [out][in]; arrays are
 * token-major and row-major; tokens[b][t] is token t of sequence b, every sequence is cfg.ctx
 * tokens long. Pre-LayerNorm blocks (eps GPT_REF64_LN_EPS, biased variance), causal multi-head
 * attention scaled by 1/sqrt(d/heads), GELU in its tanh form (ref64_gelu), residual connections,
 * a final LayerNorm, and an LM head tied to the token embedding (logits = lnf(x) wte^T, no bias).
 * The loss is the mean cross-entropy over the B*T positions. Functions returning int give 0 on
 * success and -1 on a bad argument (NULL pointer, invalid configuration, B = 0, a token or target
 * >= vocab, sizes that overflow) or when memory runs out. */
#ifndef TESSERA_GPT_REF64_H
#define TESSERA_GPT_REF64_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/ref64_nn.h"

#define GPT_REF64_LN_EPS 1e-5

struct gpt_cfg {
  uint32_t vocab;  /* token ids 0 .. vocab-1 */
  uint32_t ctx;    /* sequence length T */
  uint32_t d;      /* model width */
  uint32_t heads;  /* attention heads; d % heads == 0, head width d / heads */
  uint32_t layers; /* transformer blocks */
  uint32_t ffn;    /* hidden width of the MLP, usually 4 d */
};

/* NULL when cfg is valid, else a message naming what is wrong (a static string). */
const char *gpt_cfg_check(const struct gpt_cfg *cfg);

/* The tensors of one block, in the order they lie in memory. */
enum gpt_block_tensor {
  GPT_LN1_G, GPT_LN1_B, /* [d] */
  GPT_WQ, GPT_BQ,       /* [d][d], [d] */
  GPT_WK, GPT_BK,
  GPT_WV, GPT_BV,
  GPT_WO, GPT_BO,
  GPT_LN2_G, GPT_LN2_B, /* [d] */
  GPT_W1, GPT_B1,       /* [ffn][d], [ffn] */
  GPT_W2, GPT_B2,       /* [d][ffn], [d] */
  GPT_BLOCK_TENSORS
};

/* Offsets (in doubles) into the one flat parameter array: wte, wpe, the blocks one after the
 * other, lnf. Block l's tensor t starts at block0 + l * block_size + block_off[t]. */
struct gpt_layout {
  size_t wte;                            /* token embedding [vocab][d], also the LM head */
  size_t wpe;                            /* position embedding [ctx][d] */
  size_t block0, block_size;             /* first block, doubles per block */
  size_t block_off[GPT_BLOCK_TENSORS];   /* within a block */
  size_t block_rows[GPT_BLOCK_TENSORS];  /* shape [rows][cols] (rows 1 for vectors) */
  size_t block_cols[GPT_BLOCK_TENSORS];
  size_t lnf_g, lnf_b;                   /* final LayerNorm [d] each */
  size_t total;                          /* number of parameters */
};

int gpt_layout_init(const struct gpt_cfg *cfg, struct gpt_layout *lay);
/* Offset of block l's tensor t. */
size_t gpt_block_at(const struct gpt_layout *lay, uint32_t l, enum gpt_block_tensor t);

/* Every tensor in memory order, for tests and dumps: 4 + 16 layers of them. */
struct gpt_tensor {
  char name[24]; /* "wte", "wpe", "h0.ln1_g", ..., "h0.w2", "h0.b2", ..., "lnf_g", "lnf_b" */
  size_t off, rows, cols;
};
size_t gpt_tensor_count(const struct gpt_cfg *cfg);
int gpt_tensor_info(const struct gpt_cfg *cfg, size_t i, struct gpt_tensor *t);

/* Deterministic initialisation from seed (docs/gpt.md): splitmix64 uniforms, Box-Muller normals;
 * wte, wpe and the weight matrices N(0, 0.02^2), Wo and W2 N(0, (0.02 / sqrt(2 layers))^2),
 * biases and LayerNorm betas 0, LayerNorm gammas 1. params has gpt_layout.total doubles. */
int gpt_ref64_init(const struct gpt_cfg *cfg, uint64_t seed, double *params);

/* Forward: logits [B][T][vocab]. */
int gpt_ref64_logits(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens, uint32_t B,
                     double *logits);
/* Forward: per-position losses [B][T] = logsumexp(logits) - logits[target]. */
int gpt_ref64_losses(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens,
                     const uint32_t *targets, uint32_t B, double *losses);
/* Forward: the mean of the per-position losses. */
int gpt_ref64_loss(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens, const uint32_t *targets,
                   uint32_t B, double *loss);
/* Forward and backward: grad [total] = d loss / d params (set, not accumulated); loss (may be
 * NULL) the mean loss. */
int gpt_ref64_grad(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens, const uint32_t *targets,
                   uint32_t B, double *loss, double *grad);

/* Causal multi-head attention of one sequence, the model's own code path: q, k, v, y [T][d];
 * head h owns columns h*(d/heads) .. (h+1)*(d/heads)-1; y[t] (head h's columns) =
 * sum over u <= t of softmax_u(q_h[t] . k_h[u] / sqrt(d/heads)) v_h[u]. */
int gpt_ref64_attention(uint32_t T, uint32_t d, uint32_t heads, const double *q, const double *k, const double *v,
                        double *y);

/* One AdamW step on count doubles in place, the formula of ref64_adamw (PyTorch's AdamW: decay
 * w *= 1 - lr wd, bias-corrected moments, eps added to sqrt(v_hat); hp->step >= 1). A double
 * version because ref64_adamw reads float weights and moments: the reference keeps them in double
 * from step to step. The step decays whatever it is given; the caller chooses the span. */
int gpt_ref64_adamw(const struct ref64_adamw *hp, double *w, const double *g, double *m, double *v, size_t count);

#endif /* TESSERA_GPT_REF64_H */
