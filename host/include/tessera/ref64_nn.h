/* float64 references of the vector-unit kernels (sim/include/tvec_fn.h, docs/vector-kernels.md):
 * the independent check of their functional model. Inputs are float32 values; everything is
 * computed in double with libm, in plain textbook order, with no attempt to copy the tile's
 * operation order. Arrays are token-major, row-major as in tvec_fn.h. */
#ifndef TESSERA_REF64_NN_H
#define TESSERA_REF64_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GPT-2's tanh-form GELU and its derivative. */
double ref64_gelu(double x);
double ref64_gelu_grad(double x);

/* Row softmax of x [rows][cols] (causal: row r sees columns c <= r + offset); masked entries and
 * fully masked rows give 0. */
void ref64_softmax_fwd(const float *x, uint32_t rows, uint32_t cols, bool causal, int32_t offset, double *y);
/* dx = p (dy - sum p dy) over the valid columns, 0 elsewhere. */
void ref64_softmax_bwd(const float *p, const float *dy, uint32_t rows, uint32_t cols, bool causal, int32_t offset,
                       double *dx);

/* LayerNorm: y, mean [rows], rstd [rows] = 1/sqrt(biased var + eps). */
void ref64_layernorm_fwd(const float *x, const float *gamma, const float *beta, double eps, uint32_t rows, uint32_t d,
                         double *y, double *mean, double *rstd);
/* The backward at the given statistics: dx [rows][d]; dgamma, dbeta [d] (set, not accumulated). */
void ref64_layernorm_bwd(const float *dy, const float *x, const double *mean, const double *rstd, const float *gamma,
                         uint32_t rows, uint32_t d, double *dx, double *dgamma, double *dbeta);

/* Per-token loss [m] = log sum exp(logits[t]) - logits[t][target[t]]. */
void ref64_cross_entropy_fwd(const float *logits, const uint32_t *target, uint32_t m, uint32_t v, double *loss);
/* dlogits [m][v] = (softmax - onehot) * scale. */
void ref64_cross_entropy_bwd(const float *logits, const uint32_t *target, double scale, uint32_t m, uint32_t v,
                             double *dlogits);

/* dtable [v][d] = sum over t with ids[t] = row of dy[t] (set, not accumulated); dabs the sum of
 * the absolute terms. */
void ref64_embedding_bwd(const float *dy, const uint32_t *ids, uint32_t m, uint32_t v, uint32_t d, double *dtable,
                         double *dabs);

/* One AdamW step (PyTorch's AdamW: decoupled weight decay, bias-corrected moments, eps added to
 * sqrt(v_hat)) on count elements: w, m, v are read from the float inputs and written to the
 * double outputs. */
struct ref64_adamw {
  double lr, beta1, beta2, eps, weight_decay;
  uint32_t step;
};
void ref64_adamw(const struct ref64_adamw *hp, const float *w, const float *g, const float *m, const float *v,
                 uint32_t count, double *w_out, double *m_out, double *v_out);

/* out [m][n] = scale * (act(acc + bias) + residual) (act 0: none, 1: gelu; bias, residual may be
 * NULL), no cast. */
void ref64_epilogue(const float *acc, const float *bias, int act, const float *residual, double scale, uint32_t m,
                    uint32_t n, double *out);

#endif /* TESSERA_REF64_NN_H */
