/* float64 references of the vector-unit kernels (tessera/ref64_nn.h). */
#include "tessera/ref64_nn.h"

#include <math.h>

#define GELU_K0 0.79788456080286535588 /* sqrt(2/pi) */
#define GELU_K1 0.044715

double ref64_gelu(double x) { return 0.5 * x * (1.0 + tanh(GELU_K0 * (x + GELU_K1 * x * x * x))); }

double ref64_gelu_grad(double x) {
  double t = tanh(GELU_K0 * (x + GELU_K1 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K0 * (1.0 + 3.0 * GELU_K1 * x * x);
}

static uint32_t valid(uint32_t r, uint32_t cols, bool causal, int32_t offset) {
  if (!causal) return cols;
  long long nv = (long long)r + offset + 1;
  return nv <= 0 ? 0 : nv < (long long)cols ? (uint32_t)nv : cols;
}

void ref64_softmax_fwd(const float *x, uint32_t rows, uint32_t cols, bool causal, int32_t offset, double *y) {
  for (uint32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    double *yr = y + (size_t)r * cols;
    uint32_t nv = valid(r, cols, causal, offset);
    double mx = -INFINITY, s = 0.0;
    for (uint32_t c = 0; c < nv; c++) mx = fmax(mx, xr[c]);
    for (uint32_t c = 0; c < nv; c++) s += exp((double)xr[c] - mx);
    for (uint32_t c = 0; c < cols; c++) yr[c] = c < nv ? exp((double)xr[c] - mx) / s : 0.0;
  }
}

void ref64_softmax_bwd(const float *p, const float *dy, uint32_t rows, uint32_t cols, bool causal, int32_t offset,
                       double *dx) {
  for (uint32_t r = 0; r < rows; r++) {
    size_t o = (size_t)r * cols;
    uint32_t nv = valid(r, cols, causal, offset);
    double dot = 0.0;
    for (uint32_t c = 0; c < nv; c++) dot += (double)p[o + c] * dy[o + c];
    for (uint32_t c = 0; c < cols; c++) dx[o + c] = c < nv ? p[o + c] * ((double)dy[o + c] - dot) : 0.0;
  }
}

void ref64_layernorm_fwd(const float *x, const float *gamma, const float *beta, double eps, uint32_t rows, uint32_t d,
                         double *y, double *mean, double *rstd) {
  for (uint32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * d;
    double mu = 0.0, var = 0.0;
    for (uint32_t c = 0; c < d; c++) mu += xr[c];
    mu /= d;
    for (uint32_t c = 0; c < d; c++) var += (xr[c] - mu) * (xr[c] - mu);
    var /= d;
    double rs = 1.0 / sqrt(var + eps);
    for (uint32_t c = 0; c < d; c++) y[(size_t)r * d + c] = (xr[c] - mu) * rs * gamma[c] + beta[c];
    mean[r] = mu, rstd[r] = rs;
  }
}

void ref64_layernorm_bwd(const float *dy, const float *x, const double *mean, const double *rstd, const float *gamma,
                         uint32_t rows, uint32_t d, double *dx, double *dgamma, double *dbeta) {
  for (uint32_t c = 0; c < d; c++) dgamma[c] = dbeta[c] = 0.0;
  for (uint32_t r = 0; r < rows; r++) {
    size_t o = (size_t)r * d;
    double s1 = 0.0, s2 = 0.0;
    for (uint32_t c = 0; c < d; c++) {
      double xh = (x[o + c] - mean[r]) * rstd[r], g = (double)dy[o + c] * gamma[c];
      s1 += g, s2 += g * xh;
      dbeta[c] += dy[o + c];
      dgamma[c] += dy[o + c] * xh;
    }
    s1 /= d, s2 /= d;
    for (uint32_t c = 0; c < d; c++) {
      double xh = (x[o + c] - mean[r]) * rstd[r], g = (double)dy[o + c] * gamma[c];
      dx[o + c] = rstd[r] * (g - s1 - xh * s2);
    }
  }
}

static double row_lse(const float *xr, uint32_t v) {
  double mx = -INFINITY, s = 0.0;
  for (uint32_t c = 0; c < v; c++) mx = fmax(mx, xr[c]);
  for (uint32_t c = 0; c < v; c++) s += exp((double)xr[c] - mx);
  return mx + log(s);
}

void ref64_cross_entropy_fwd(const float *logits, const uint32_t *target, uint32_t m, uint32_t v, double *loss) {
  for (uint32_t t = 0; t < m; t++) loss[t] = row_lse(logits + (size_t)t * v, v) - logits[(size_t)t * v + target[t]];
}

void ref64_cross_entropy_bwd(const float *logits, const uint32_t *target, double scale, uint32_t m, uint32_t v,
                             double *dlogits) {
  for (uint32_t t = 0; t < m; t++) {
    const float *xr = logits + (size_t)t * v;
    double lse = row_lse(xr, v);
    for (uint32_t c = 0; c < v; c++)
      dlogits[(size_t)t * v + c] = (exp((double)xr[c] - lse) - (c == target[t] ? 1.0 : 0.0)) * scale;
  }
}

void ref64_embedding_bwd(const float *dy, const uint32_t *ids, uint32_t m, uint32_t v, uint32_t d, double *dtable,
                         double *dabs) {
  for (size_t a = 0; a < (size_t)v * d; a++) dtable[a] = dabs[a] = 0.0;
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < d; c++) {
      dtable[(size_t)ids[t] * d + c] += dy[(size_t)t * d + c];
      dabs[(size_t)ids[t] * d + c] += fabs(dy[(size_t)t * d + c]);
    }
}

void ref64_adamw(const struct ref64_adamw *hp, const float *w, const float *g, const float *m, const float *v,
                 uint32_t count, double *w_out, double *m_out, double *v_out) {
  double bc1 = 1.0 - pow(hp->beta1, hp->step), bc2 = 1.0 - pow(hp->beta2, hp->step);
  for (uint32_t a = 0; a < count; a++) {
    double mn = hp->beta1 * m[a] + (1.0 - hp->beta1) * g[a];
    double vn = hp->beta2 * v[a] + (1.0 - hp->beta2) * (double)g[a] * g[a];
    double wd = w[a] * (1.0 - hp->lr * hp->weight_decay);
    w_out[a] = wd - hp->lr * (mn / bc1) / (sqrt(vn / bc2) + hp->eps);
    m_out[a] = mn, v_out[a] = vn;
  }
}

void ref64_epilogue(const float *acc, const float *bias, int act, const float *residual, double scale, uint32_t m,
                    uint32_t n, double *out) {
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < n; c++) {
      size_t o = (size_t)t * n + c;
      double z = acc[o];
      if (bias) z += bias[c];
      if (act == 1) z = ref64_gelu(z);
      if (residual) z += residual[o];
      out[o] = z * scale;
    }
}
