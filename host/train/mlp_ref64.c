/* float64 reference of the MLP of mlp.h: forward, mean cross-entropy and the analytic backward, with
 * the weights taken from the bf16 copies. It is the independent check of the device's gradients
 * (tests/train/), and itself checked against central finite differences there. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "tessera/ref64_nn.h"

static double f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* y [T][D] = x [T][D] W^T over the stream's slots (w in slot order). */
static void lin_fwd(const struct tsp_stream *st, const double *w, const double *x, double *y, uint32_t T,
                    uint32_t D) {
  memset(y, 0, sizeof(double) * T * D);
  for (uint32_t g = 0; g < st->ngroups; g++)
    for (uint32_t a = 0; a < st->p; a++) {
      size_t s = (size_t)g * st->p + a;
      if (st->col[s] == TSP_EMPTY) continue;
      uint32_t i = st->row[g], j = st->col[s];
      for (uint32_t t = 0; t < T; t++) y[(size_t)t * D + i] += w[s] * x[(size_t)t * D + j];
    }
}

double mlp_ref64_loss_grad(const struct mlp *m, const uint32_t *const *wv, double *const *grad) {
  const uint32_t D = m->cfg.width, T = m->cfg.tokens, NL = m->cfg.layers;
  const size_t A = (size_t)T * D;
  double *h[MLP_MAX_LAYERS + 1] = {0}, *pre[MLP_MAX_LAYERS] = {0}, *w[MLP_MAX_LAYERS] = {0};
  double *dy = malloc(sizeof(double) * A), *dx = malloc(sizeof(double) * A);
  double loss = NAN;
  int ok = dy && dx;
  for (uint32_t l = 0; l <= NL && ok; l++) ok = (h[l] = malloc(sizeof(double) * A)) != NULL;
  for (uint32_t l = 0; l < NL; l++) {
    size_t gp = (size_t)m->layer[l].groups * m->p;
    if (ok) pre[l] = malloc(sizeof(double) * A), w[l] = malloc(sizeof(double) * gp);
    ok = ok && pre[l] && w[l];
    for (size_t s = 0; ok && s < gp; s++) w[l][s] = f32(wv[l][s]);
  }
  if (!ok) goto out;

  for (size_t e = 0; e < A; e++) h[0][e] = f32(m->x0[e]);
  for (uint32_t l = 0; l < NL; l++) {
    lin_fwd(&m->layer[l].st, w[l], h[l], pre[l], T, D);
    for (size_t e = 0; e < A; e++) h[l + 1][e] = l + 1 < NL ? ref64_gelu(pre[l][e]) : pre[l][e];
  }
  /* Mean cross-entropy and dlogits = (softmax - onehot) / T. */
  const double *lg = h[NL];
  loss = 0;
  for (uint32_t t = 0; t < T; t++) {
    const double *r = lg + (size_t)t * D;
    double mx = r[0], s = 0;
    for (uint32_t c = 1; c < D; c++) mx = r[c] > mx ? r[c] : mx;
    for (uint32_t c = 0; c < D; c++) s += exp(r[c] - mx);
    loss += mx + log(s) - r[m->labels[t]];
    for (uint32_t c = 0; c < D; c++) dy[(size_t)t * D + c] = (exp(r[c] - mx) / s - (c == m->labels[t])) / T;
  }
  loss /= T;
  if (!grad) goto out;

  for (uint32_t l = NL; l-- > 0;) {
    const struct tsp_stream *st = &m->layer[l].st;
    memset(grad[l], 0, sizeof(double) * st->ngroups * st->p);
    memset(dx, 0, sizeof(double) * A);
    for (uint32_t g = 0; g < st->ngroups; g++)
      for (uint32_t a = 0; a < st->p; a++) {
        size_t s = (size_t)g * st->p + a;
        if (st->col[s] == TSP_EMPTY) continue;
        uint32_t i = st->row[g], j = st->col[s];
        double acc = 0;
        for (uint32_t t = 0; t < T; t++) {
          acc += dy[(size_t)t * D + i] * h[l][(size_t)t * D + j];
          dx[(size_t)t * D + j] += w[l][s] * dy[(size_t)t * D + i];
        }
        grad[l][s] = acc;
      }
    if (l)
      for (size_t e = 0; e < A; e++) dy[e] = dx[e] * ref64_gelu_grad(pre[l - 1][e]);
  }
out:
  for (uint32_t l = 0; l <= NL; l++) free(h[l]);
  for (uint32_t l = 0; l < NL; l++) free(pre[l]), free(w[l]);
  free(dy), free(dx);
  return loss;
}
