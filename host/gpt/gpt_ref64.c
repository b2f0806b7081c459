/* float64 reference of a GPT training step (tessera/gpt_ref64.h, docs/gpt.md). Each layer's
 * forward sits next to its backward so one reads against the other. */
#include "tessera/gpt_ref64.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sizes ------------------------------------------------------------------------------------ */

/* a * b into *r; 0 on overflow. */
static int mul_sz(size_t a, size_t b, size_t *r) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *r = a * b;
  return 1;
}

static int add_sz(size_t a, size_t b, size_t *r) {
  if (b > SIZE_MAX - a) return 0;
  *r = a + b;
  return 1;
}

/* Every array any call allocates is at most this many doubles (far beyond a reference's use, and
 * small enough that sums of a few such counts cannot overflow). */
#define MAX_DOUBLES ((size_t)1 << 40)

static int count_ok(size_t n) { return n <= MAX_DOUBLES && n <= SIZE_MAX / sizeof(double); }

const char *gpt_cfg_check(const struct gpt_cfg *cfg) {
  if (!cfg) return "gpt_cfg: NULL configuration";
  if (!cfg->vocab) return "gpt_cfg: vocab must be at least 1";
  if (!cfg->ctx) return "gpt_cfg: ctx (sequence length) must be at least 1";
  if (!cfg->d) return "gpt_cfg: d (model width) must be at least 1";
  if (!cfg->heads) return "gpt_cfg: heads must be at least 1";
  if (!cfg->layers) return "gpt_cfg: layers must be at least 1";
  if (!cfg->ffn) return "gpt_cfg: ffn (hidden width) must be at least 1";
  if (cfg->d % cfg->heads) return "gpt_cfg: d must be a multiple of heads";
  /* Parameters, and one sequence's largest activations: [ctx][vocab] logits, [heads][ctx][ctx]
   * attention probabilities, [ctx][ffn] hidden. */
  size_t dd, fd, vd, cd, blk, tot, cv, cc, hcc, cf;
  if (!mul_sz(cfg->d, cfg->d, &dd) || !mul_sz(cfg->ffn, cfg->d, &fd) || !mul_sz(cfg->vocab, cfg->d, &vd) ||
      !mul_sz(cfg->ctx, cfg->d, &cd) || !count_ok(dd) || !count_ok(fd) || !count_ok(vd) || !count_ok(cd))
    return "gpt_cfg: a weight matrix is too large (its size overflows)";
  blk = 4 * dd + 2 * fd + 9 * (size_t)cfg->d + cfg->ffn;
  if (!count_ok(blk) || !mul_sz(blk, cfg->layers, &tot) || !add_sz(tot, vd + cd + 2 * (size_t)cfg->d, &tot) ||
      !count_ok(tot))
    return "gpt_cfg: the parameter count overflows";
  if (!mul_sz(cfg->ctx, cfg->vocab, &cv) || !mul_sz(cfg->ctx, cfg->ctx, &cc) || !mul_sz(cc, cfg->heads, &hcc) ||
      !mul_sz(cfg->ctx, cfg->ffn, &cf) || !count_ok(cv) || !count_ok(hcc) || !count_ok(cf))
    return "gpt_cfg: one sequence's activations overflow (ctx x vocab, heads x ctx x ctx or ctx x ffn)";
  return NULL;
}

int gpt_layout_init(const struct gpt_cfg *cfg, struct gpt_layout *lay) {
  if (!lay || gpt_cfg_check(cfg)) return -1;
  size_t d = cfg->d, f = cfg->ffn;
  memset(lay, 0, sizeof *lay);
  static const enum gpt_block_tensor order[GPT_BLOCK_TENSORS] = {
      GPT_LN1_G, GPT_LN1_B, GPT_WQ, GPT_BQ, GPT_WK, GPT_BK, GPT_WV, GPT_BV,
      GPT_WO,    GPT_BO,    GPT_LN2_G, GPT_LN2_B, GPT_W1, GPT_B1, GPT_W2, GPT_B2};
  for (int i = 0; i < GPT_BLOCK_TENSORS; i++) {
    enum gpt_block_tensor t = order[i];
    size_t rows = 1, cols = d;
    if (t == GPT_WQ || t == GPT_WK || t == GPT_WV || t == GPT_WO || t == GPT_W2) rows = d;
    if (t == GPT_W1) rows = f;
    if (t == GPT_B1) cols = f;
    if (t == GPT_W2) cols = f;
    lay->block_off[t] = lay->block_size;
    lay->block_rows[t] = rows, lay->block_cols[t] = cols;
    lay->block_size += rows * cols;
  }
  lay->wte = 0;
  lay->wpe = (size_t)cfg->vocab * d;
  lay->block0 = lay->wpe + (size_t)cfg->ctx * d;
  lay->lnf_g = lay->block0 + lay->block_size * cfg->layers;
  lay->lnf_b = lay->lnf_g + d;
  lay->total = lay->lnf_b + d;
  return 0;
}

size_t gpt_block_at(const struct gpt_layout *lay, uint32_t l, enum gpt_block_tensor t) {
  return lay->block0 + (size_t)l * lay->block_size + lay->block_off[t];
}

static const char *const block_names[GPT_BLOCK_TENSORS] = {
    [GPT_LN1_G] = "ln1_g", [GPT_LN1_B] = "ln1_b", [GPT_WQ] = "wq",       [GPT_BQ] = "bq",
    [GPT_WK] = "wk",       [GPT_BK] = "bk",       [GPT_WV] = "wv",       [GPT_BV] = "bv",
    [GPT_WO] = "wo",       [GPT_BO] = "bo",       [GPT_LN2_G] = "ln2_g", [GPT_LN2_B] = "ln2_b",
    [GPT_W1] = "w1",       [GPT_B1] = "b1",       [GPT_W2] = "w2",       [GPT_B2] = "b2"};

size_t gpt_tensor_count(const struct gpt_cfg *cfg) {
  return gpt_cfg_check(cfg) ? 0 : 4 + (size_t)GPT_BLOCK_TENSORS * cfg->layers;
}

int gpt_tensor_info(const struct gpt_cfg *cfg, size_t i, struct gpt_tensor *t) {
  struct gpt_layout lay;
  if (!t || gpt_layout_init(cfg, &lay) || i >= gpt_tensor_count(cfg)) return -1;
  size_t nb = (size_t)GPT_BLOCK_TENSORS * cfg->layers;
  if (i == 0) {
    snprintf(t->name, sizeof t->name, "wte");
    t->off = lay.wte, t->rows = cfg->vocab, t->cols = cfg->d;
  } else if (i == 1) {
    snprintf(t->name, sizeof t->name, "wpe");
    t->off = lay.wpe, t->rows = cfg->ctx, t->cols = cfg->d;
  } else if (i < 2 + nb) {
    uint32_t l = (uint32_t)((i - 2) / GPT_BLOCK_TENSORS);
    enum gpt_block_tensor bt = (enum gpt_block_tensor)((i - 2) % GPT_BLOCK_TENSORS);
    snprintf(t->name, sizeof t->name, "h%u.%s", (unsigned)l, block_names[bt]);
    t->off = gpt_block_at(&lay, l, bt), t->rows = lay.block_rows[bt], t->cols = lay.block_cols[bt];
  } else {
    int g = i == 2 + nb;
    snprintf(t->name, sizeof t->name, g ? "lnf_g" : "lnf_b");
    t->off = g ? lay.lnf_g : lay.lnf_b, t->rows = 1, t->cols = cfg->d;
  }
  return 0;
}

/* ---- initialisation --------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in (0, 1): the top 53 bits, offset by half a step so log() never sees 0. */
static double unit_open(uint64_t *s) { return ((double)(splitmix64(s) >> 11) + 0.5) * 0x1p-53; }

/* Standard normal by Box-Muller (one value per pair of uniforms, the cosine branch). */
static double normal(uint64_t *s) {
  double u1 = unit_open(s), u2 = unit_open(s);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586477 * u2); /* 2 pi */
}

static void fill_normal(double *p, size_t n, double std, uint64_t *s) {
  for (size_t i = 0; i < n; i++) p[i] = std * normal(s);
}

static void fill_const(double *p, size_t n, double c) {
  for (size_t i = 0; i < n; i++) p[i] = c;
}

int gpt_ref64_init(const struct gpt_cfg *cfg, uint64_t seed, double *params) {
  struct gpt_layout lay;
  if (!params || gpt_layout_init(cfg, &lay)) return -1;
  const double std = 0.02, std_res = 0.02 / sqrt(2.0 * cfg->layers);
  uint64_t s = seed;
  size_t d = cfg->d;
  /* Memory order, so the values depend on the seed and the configuration only. */
  fill_normal(params + lay.wte, (size_t)cfg->vocab * d, std, &s);
  fill_normal(params + lay.wpe, (size_t)cfg->ctx * d, std, &s);
  for (uint32_t l = 0; l < cfg->layers; l++)
    for (int t = 0; t < GPT_BLOCK_TENSORS; t++) {
      double *p = params + gpt_block_at(&lay, l, (enum gpt_block_tensor)t);
      size_t n = lay.block_rows[t] * lay.block_cols[t];
      if (t == GPT_LN1_G || t == GPT_LN2_G)
        fill_const(p, n, 1.0);
      else if (t == GPT_WQ || t == GPT_WK || t == GPT_WV || t == GPT_W1)
        fill_normal(p, n, std, &s);
      else if (t == GPT_WO || t == GPT_W2)
        fill_normal(p, n, std_res, &s);
      else
        fill_const(p, n, 0.0);
    }
  fill_const(params + lay.lnf_g, d, 1.0);
  fill_const(params + lay.lnf_b, d, 0.0);
  return 0;
}

/* ---- layers: each forward next to its backward ------------------------------------------------ */

/* y [n][out] = x [n][in] W^T + b, W [out][in] (b may be NULL). */
static void linear_fwd(const double *x, const double *w, const double *b, size_t n, size_t in, size_t out,
                       double *y) {
  for (size_t t = 0; t < n; t++)
    for (size_t o = 0; o < out; o++) {
      double s = 0.0;
      for (size_t i = 0; i < in; i++) s += x[t * in + i] * w[o * in + i];
      y[t * out + o] = b ? s + b[o] : s;
    }
}

/* dx [n][in] += dy W; dw [out][in] += dy^T x; db [out] += sum over tokens of dy (db may be NULL). */
static void linear_bwd(const double *dy, const double *x, const double *w, size_t n, size_t in, size_t out,
                       double *dx, double *dw, double *db) {
  for (size_t t = 0; t < n; t++)
    for (size_t o = 0; o < out; o++) {
      double g = dy[t * out + o];
      for (size_t i = 0; i < in; i++) {
        dx[t * in + i] += g * w[o * in + i];
        dw[o * in + i] += g * x[t * in + i];
      }
      if (db) db[o] += g;
    }
}

/* y = (x - mean) rstd gamma + beta per row, rstd = 1 / sqrt(biased variance + eps). */
static void layernorm_fwd(const double *x, const double *g, const double *b, size_t n, size_t d, double *y,
                          double *mean, double *rstd) {
  for (size_t t = 0; t < n; t++) {
    const double *xr = x + t * d;
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < d; i++) m += xr[i];
    m /= (double)d;
    for (size_t i = 0; i < d; i++) v += (xr[i] - m) * (xr[i] - m);
    v /= (double)d;
    double r = 1.0 / sqrt(v + GPT_REF64_LN_EPS);
    for (size_t i = 0; i < d; i++) y[t * d + i] = (xr[i] - m) * r * g[i] + b[i];
    mean[t] = m, rstd[t] = r;
  }
}

/* dx += rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma; dg += dy xhat;
 * db += dy. */
static void layernorm_bwd(const double *dy, const double *x, const double *mean, const double *rstd, const double *g,
                          size_t n, size_t d, double *dx, double *dg, double *db) {
  for (size_t t = 0; t < n; t++) {
    const double *xr = x + t * d, *dyr = dy + t * d;
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < d; i++) {
      double xh = (xr[i] - mean[t]) * rstd[t], dxh = dyr[i] * g[i];
      s1 += dxh, s2 += dxh * xh;
      dg[i] += dyr[i] * xh;
      db[i] += dyr[i];
    }
    s1 /= (double)d, s2 /= (double)d;
    for (size_t i = 0; i < d; i++) {
      double xh = (xr[i] - mean[t]) * rstd[t];
      dx[t * d + i] += rstd[t] * (dyr[i] * g[i] - s1 - xh * s2);
    }
  }
}

/* One sequence: q, k, v, y [T][d]; p [heads][T][T] the probabilities (0 above the diagonal). */
static void attention_fwd(size_t T, size_t d, size_t heads, const double *q, const double *k, const double *v,
                          double *p, double *y) {
  size_t hd = d / heads;
  double scale = 1.0 / sqrt((double)hd);
  for (size_t h = 0; h < heads; h++)
    for (size_t t = 0; t < T; t++) {
      double *pr = p + (h * T + t) * T, mx = -INFINITY, sum = 0.0;
      for (size_t u = 0; u <= t; u++) {
        double s = 0.0;
        for (size_t j = 0; j < hd; j++) s += q[t * d + h * hd + j] * k[u * d + h * hd + j];
        pr[u] = s * scale;
        mx = fmax(mx, pr[u]);
      }
      for (size_t u = 0; u <= t; u++) sum += (pr[u] = exp(pr[u] - mx));
      for (size_t u = 0; u < T; u++) pr[u] = u <= t ? pr[u] / sum : 0.0;
      for (size_t j = 0; j < hd; j++) {
        double s = 0.0;
        for (size_t u = 0; u <= t; u++) s += pr[u] * v[u * d + h * hd + j];
        y[t * d + h * hd + j] = s;
      }
    }
}

/* dq, dk, dv += the gradients through attention_fwd given dy; dp [T] scratch. */
static void attention_bwd(size_t T, size_t d, size_t heads, const double *q, const double *k, const double *v,
                          const double *p, const double *dy, double *dq, double *dk, double *dv, double *dp) {
  size_t hd = d / heads;
  double scale = 1.0 / sqrt((double)hd);
  for (size_t h = 0; h < heads; h++)
    for (size_t t = 0; t < T; t++) {
      const double *pr = p + (h * T + t) * T, *dyr = dy + t * d + h * hd;
      double dot = 0.0;
      for (size_t u = 0; u <= t; u++) {
        double s = 0.0;
        for (size_t j = 0; j < hd; j++) {
          s += dyr[j] * v[u * d + h * hd + j];
          dv[u * d + h * hd + j] += pr[u] * dyr[j];
        }
        dp[u] = s;
        dot += pr[u] * s;
      }
      for (size_t u = 0; u <= t; u++) {
        double ds = pr[u] * (dp[u] - dot) * scale; /* d loss / d (q.k) */
        for (size_t j = 0; j < hd; j++) {
          dq[t * d + h * hd + j] += ds * k[u * d + h * hd + j];
          dk[u * d + h * hd + j] += ds * q[t * d + h * hd + j];
        }
      }
    }
}

/* ---- the model -------------------------------------------------------------------------------- */

/* Activations of one forward, kept for the backward (n = B*T tokens, L layers). */
struct acts {
  size_t n, nd, nf, natt;
  double *x;                  /* [L+1][n][d]: the residual stream entering block l; x[L] leaves the last */
  double *ln1, *mean1, *rstd1; /* [L][n][d], [L][n], [L][n] */
  double *q, *k, *v, *ay;     /* [L][n][d]; ay: the heads' outputs, before Wo */
  double *p;                  /* [L][B][heads][T][T] */
  double *xm;                 /* [L][n][d]: x + attention (the stream between the two halves) */
  double *ln2, *mean2, *rstd2;
  double *h, *g;              /* [L][n][ffn]: W1 output, its GELU */
  double *lnf, *meanf, *rstdf; /* [n][d], [n], [n] */
  double *logits;             /* [n][vocab] */
  double *block;              /* the one allocation */
};

static int acts_alloc(const struct gpt_cfg *c, uint32_t B, struct acts *a) {
  memset(a, 0, sizeof *a);
  size_t L = c->layers, n, nd, nf, natt, nv, tot = 0;
  /* gpt_cfg_check bounded one sequence's arrays by 2^40 doubles; B multiplies them. */
  if (!mul_sz(B, c->ctx, &n) || !mul_sz(n, c->d, &nd) || !mul_sz(n, c->ffn, &nf) || !mul_sz(n, c->vocab, &nv) ||
      !mul_sz(n, c->heads, &natt) || !mul_sz(natt, c->ctx, &natt) || !count_ok(nd) || !count_ok(nf) || !count_ok(nv) ||
      !count_ok(natt))
    return -1;
  /* Doubles in all: x (L+1) nd, 7 L nd-sized, 4 L n-sized, 2 L nf, L natt, lnf nd, 2 n, nv. */
  size_t parts[] = {(L + 1) * nd, 7 * L * nd, 4 * L * n, 2 * L * nf, L * natt, nd, 2 * n, nv};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (!count_ok(parts[i]) || !add_sz(tot, parts[i], &tot) || !count_ok(tot)) return -1;
  double *m = calloc(tot, sizeof(double));
  if (!m) return -1;
  a->block = m, a->n = n, a->nd = nd, a->nf = nf, a->natt = natt;
#define TAKE(ptr, cnt) (a->ptr = m, m += (cnt))
  TAKE(x, (L + 1) * nd);
  TAKE(ln1, L * nd), TAKE(q, L * nd), TAKE(k, L * nd), TAKE(v, L * nd), TAKE(ay, L * nd), TAKE(xm, L * nd),
      TAKE(ln2, L * nd), TAKE(lnf, nd);
  TAKE(mean1, L * n), TAKE(rstd1, L * n), TAKE(mean2, L * n), TAKE(rstd2, L * n), TAKE(meanf, n), TAKE(rstdf, n);
  TAKE(h, L * nf), TAKE(g, L * nf);
  TAKE(p, L * natt);
  TAKE(logits, nv);
#undef TAKE
  return 0;
}

static int args_ok(const struct gpt_cfg *c, const double *params, const uint32_t *tokens, const uint32_t *targets,
                   int need_targets, uint32_t B) {
  if (gpt_cfg_check(c) || !params || !tokens || B == 0 || (need_targets && !targets)) return 0;
  size_t n;
  if (!mul_sz(B, c->ctx, &n)) return 0;
  for (size_t i = 0; i < n; i++)
    if (tokens[i] >= c->vocab || (need_targets && targets[i] >= c->vocab)) return 0;
  return 1;
}

static void forward(const struct gpt_cfg *c, const struct gpt_layout *lay, const double *P, const uint32_t *tok,
                    uint32_t B, struct acts *a) {
  size_t T = c->ctx, d = c->d, f = c->ffn, n = a->n, nd = a->nd, nf = a->nf;
  /* Embedding: token row plus position row. */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) a->x[i * d + j] = P[lay->wte + tok[i] * d + j] + P[lay->wpe + (i % T) * d + j];
  for (uint32_t l = 0; l < c->layers; l++) {
    const double *x = a->x + l * nd;
    double *ln1 = a->ln1 + l * nd, *q = a->q + l * nd, *k = a->k + l * nd, *v = a->v + l * nd;
    double *ay = a->ay + l * nd, *xm = a->xm + l * nd, *ln2 = a->ln2 + l * nd;
    double *h = a->h + l * nf, *g = a->g + l * nf, *xo = a->x + (l + 1) * nd;
#define W(t) (P + gpt_block_at(lay, l, t))
    layernorm_fwd(x, W(GPT_LN1_G), W(GPT_LN1_B), n, d, ln1, a->mean1 + l * n, a->rstd1 + l * n);
    linear_fwd(ln1, W(GPT_WQ), W(GPT_BQ), n, d, d, q);
    linear_fwd(ln1, W(GPT_WK), W(GPT_BK), n, d, d, k);
    linear_fwd(ln1, W(GPT_WV), W(GPT_BV), n, d, d, v);
    for (uint32_t b = 0; b < B; b++)
      attention_fwd(T, d, c->heads, q + b * T * d, k + b * T * d, v + b * T * d,
                    a->p + l * a->natt + (size_t)b * c->heads * T * T, ay + b * T * d);
    linear_fwd(ay, W(GPT_WO), W(GPT_BO), n, d, d, xm);
    for (size_t i = 0; i < nd; i++) xm[i] += x[i];
    layernorm_fwd(xm, W(GPT_LN2_G), W(GPT_LN2_B), n, d, ln2, a->mean2 + l * n, a->rstd2 + l * n);
    linear_fwd(ln2, W(GPT_W1), W(GPT_B1), n, d, f, h);
    for (size_t i = 0; i < nf; i++) g[i] = ref64_gelu(h[i]);
    linear_fwd(g, W(GPT_W2), W(GPT_B2), n, f, d, xo);
    for (size_t i = 0; i < nd; i++) xo[i] += xm[i];
#undef W
  }
  layernorm_fwd(a->x + c->layers * nd, P + lay->lnf_g, P + lay->lnf_b, n, d, a->lnf, a->meanf, a->rstdf);
  /* Tied LM head: logits = lnf wte^T. */
  linear_fwd(a->lnf, P + lay->wte, NULL, n, d, c->vocab, a->logits);
}

/* Per-position cross-entropy: logsumexp(logits) - logits[target]. */
static double xent(const double *z, uint32_t V, uint32_t target) {
  double mx = -INFINITY, s = 0.0;
  for (uint32_t i = 0; i < V; i++) mx = fmax(mx, z[i]);
  for (uint32_t i = 0; i < V; i++) s += exp(z[i] - mx);
  return mx + log(s) - z[target];
}

int gpt_ref64_logits(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens, uint32_t B,
                     double *logits) {
  struct gpt_layout lay;
  struct acts a;
  if (!logits || !args_ok(cfg, params, tokens, NULL, 0, B) || gpt_layout_init(cfg, &lay) || acts_alloc(cfg, B, &a))
    return -1;
  forward(cfg, &lay, params, tokens, B, &a);
  memcpy(logits, a.logits, a.n * cfg->vocab * sizeof(double));
  free(a.block);
  return 0;
}

int gpt_ref64_losses(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens,
                     const uint32_t *targets, uint32_t B, double *losses) {
  struct gpt_layout lay;
  struct acts a;
  if (!losses || !args_ok(cfg, params, tokens, targets, 1, B) || gpt_layout_init(cfg, &lay) ||
      acts_alloc(cfg, B, &a))
    return -1;
  forward(cfg, &lay, params, tokens, B, &a);
  for (size_t i = 0; i < a.n; i++) losses[i] = xent(a.logits + i * cfg->vocab, cfg->vocab, targets[i]);
  free(a.block);
  return 0;
}

int gpt_ref64_loss(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens, const uint32_t *targets,
                   uint32_t B, double *loss) {
  struct gpt_layout lay;
  struct acts a;
  if (!loss || !args_ok(cfg, params, tokens, targets, 1, B) || gpt_layout_init(cfg, &lay) || acts_alloc(cfg, B, &a))
    return -1;
  forward(cfg, &lay, params, tokens, B, &a);
  double s = 0.0;
  for (size_t i = 0; i < a.n; i++) s += xent(a.logits + i * cfg->vocab, cfg->vocab, targets[i]);
  *loss = s / (double)a.n;
  free(a.block);
  return 0;
}

int gpt_ref64_grad(const struct gpt_cfg *cfg, const double *params, const uint32_t *tokens, const uint32_t *targets,
                   uint32_t B, double *loss, double *grad) {
  struct gpt_layout lay;
  struct acts a;
  if (!grad || !args_ok(cfg, params, tokens, targets, 1, B) || gpt_layout_init(cfg, &lay) || acts_alloc(cfg, B, &a))
    return -1;
  const struct gpt_cfg *c = cfg;
  const double *P = params;
  size_t T = c->ctx, d = c->d, f = c->ffn, V = c->vocab, n = a.n, nd = a.nd;
  /* Backward scratch: dlogits [n][V], two residual-stream gradients, one per projection input,
   * the MLP's [n][ffn] and attention's dp [T]. */
  size_t nv = n * V, ns = nv + 7 * nd + 2 * a.nf + T;
  double *s = calloc(ns, sizeof(double));
  if (!s) {
    free(a.block);
    return -1;
  }
  double *dlog = s, *dx = dlog + nv, *dxm = dx + nd, *dln = dxm + nd, *dq = dln + nd, *dk = dq + nd, *dv = dk + nd,
         *day = dv + nd, *dg = day + nd, *dh = dg + a.nf, *dp = dh + a.nf;

  forward(c, &lay, P, tokens, B, &a);
  memset(grad, 0, lay.total * sizeof(double));

  /* Loss and dlogits = (softmax - onehot) / n. */
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double *z = a.logits + i * V;
    double mx = -INFINITY, se = 0.0;
    for (size_t j = 0; j < V; j++) mx = fmax(mx, z[j]);
    for (size_t j = 0; j < V; j++) se += exp(z[j] - mx);
    sum += mx + log(se) - z[targets[i]];
    for (size_t j = 0; j < V; j++) dlog[i * V + j] = (exp(z[j] - mx) / se - (j == targets[i])) / (double)n;
  }
  if (loss) *loss = sum / (double)n;

  /* LM head (tied): dwte += dlogits^T lnf, dlnf = dlogits wte. */
  memset(dln, 0, nd * sizeof(double));
  linear_bwd(dlog, a.lnf, P + lay.wte, n, d, V, dln, grad + lay.wte, NULL);
  memset(dx, 0, nd * sizeof(double));
  layernorm_bwd(dln, a.x + c->layers * nd, a.meanf, a.rstdf, P + lay.lnf_g, n, d, dx, grad + lay.lnf_g,
                grad + lay.lnf_b);

  for (uint32_t l = c->layers; l-- > 0;) {
    const double *x = a.x + l * nd, *ln1 = a.ln1 + l * nd, *q = a.q + l * nd, *k = a.k + l * nd, *v = a.v + l * nd;
    const double *ay = a.ay + l * nd, *xm = a.xm + l * nd, *ln2 = a.ln2 + l * nd;
    const double *h = a.h + l * a.nf, *g = a.g + l * a.nf;
#define W(t) (P + gpt_block_at(&lay, l, t))
#define G(t) (grad + gpt_block_at(&lay, l, t))
    /* dx holds d loss / d x[l+1]. MLP half: x[l+1] = xm + W2 gelu(W1 ln2(xm) + b1) + b2. */
    memcpy(dxm, dx, nd * sizeof(double));
    memset(dg, 0, a.nf * sizeof(double));
    linear_bwd(dx, g, W(GPT_W2), n, f, d, dg, G(GPT_W2), G(GPT_B2));
    for (size_t i = 0; i < a.nf; i++) dh[i] = dg[i] * ref64_gelu_grad(h[i]);
    memset(dln, 0, nd * sizeof(double));
    linear_bwd(dh, ln2, W(GPT_W1), n, d, f, dln, G(GPT_W1), G(GPT_B1));
    layernorm_bwd(dln, xm, a.mean2 + l * n, a.rstd2 + l * n, W(GPT_LN2_G), n, d, dxm, G(GPT_LN2_G), G(GPT_LN2_B));
    /* Attention half: xm = x + Wo attn(Wq ln1(x), Wk ln1(x), Wv ln1(x)) + bo. */
    memcpy(dx, dxm, nd * sizeof(double));
    memset(day, 0, nd * sizeof(double));
    linear_bwd(dxm, ay, W(GPT_WO), n, d, d, day, G(GPT_WO), G(GPT_BO));
    memset(dq, 0, 3 * nd * sizeof(double)); /* dq, dk, dv are adjacent */
    for (uint32_t b = 0; b < B; b++) {
      size_t o = (size_t)b * T * d;
      attention_bwd(T, d, c->heads, q + o, k + o, v + o, a.p + l * a.natt + (size_t)b * c->heads * T * T, day + o,
                    dq + o, dk + o, dv + o, dp);
    }
    memset(dln, 0, nd * sizeof(double));
    linear_bwd(dq, ln1, W(GPT_WQ), n, d, d, dln, G(GPT_WQ), G(GPT_BQ));
    linear_bwd(dk, ln1, W(GPT_WK), n, d, d, dln, G(GPT_WK), G(GPT_BK));
    linear_bwd(dv, ln1, W(GPT_WV), n, d, d, dln, G(GPT_WV), G(GPT_BV));
    layernorm_bwd(dln, x, a.mean1 + l * n, a.rstd1 + l * n, W(GPT_LN1_G), n, d, dx, G(GPT_LN1_G), G(GPT_LN1_B));
#undef W
#undef G
  }
  /* Embedding: the token rows (scatter-add, on top of the LM head's share) and position rows. */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) {
      grad[lay.wte + tokens[i] * d + j] += dx[i * d + j];
      grad[lay.wpe + (i % T) * d + j] += dx[i * d + j];
    }
  free(s);
  free(a.block);
  return 0;
}

int gpt_ref64_attention(uint32_t T, uint32_t d, uint32_t heads, const double *q, const double *k, const double *v,
                        double *y) {
  size_t tt, htt, td;
  if (!q || !k || !v || !y || !T || !d || !heads || d % heads || !mul_sz(T, T, &tt) || !mul_sz(tt, heads, &htt) ||
      !mul_sz(T, d, &td) || !count_ok(htt) || !count_ok(td))
    return -1;
  double *p = malloc(htt * sizeof(double));
  if (!p) return -1;
  attention_fwd(T, d, heads, q, k, v, p, y);
  free(p);
  return 0;
}

int gpt_ref64_adamw(const struct ref64_adamw *hp, double *w, const double *g, double *m, double *v, size_t count) {
  if (!hp || !w || !g || !m || !v || hp->step == 0) return -1;
  double bc1 = 1.0 - pow(hp->beta1, hp->step), bc2 = 1.0 - pow(hp->beta2, hp->step);
  for (size_t i = 0; i < count; i++) {
    double mn = hp->beta1 * m[i] + (1.0 - hp->beta1) * g[i];
    double vn = hp->beta2 * v[i] + (1.0 - hp->beta2) * g[i] * g[i];
    double wd = w[i] * (1.0 - hp->lr * hp->weight_decay);
    w[i] = wd - hp->lr * (mn / bc1) / (sqrt(vn / bc2) + hp->eps);
    m[i] = mn, v[i] = vn;
  }
  return 0;
}
