/* The float64 GPT reference (tessera/gpt_ref64.h): every parameter's gradient against central
 * finite differences of the loss, causality of the logits and losses, the head split and the
 * 1/sqrt(head width) scale on hand-computed attention, AdamW training on a fixed sequence task,
 * and bad arguments refused. Worst errors and the loss curve go out as TAP comments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gpt_ref64.h"
#include "tessera/ref64.h"
#include "tessera/ref64_nn.h"

/* The brief's tiny configuration: every tensor small enough to difference in full. */
static const struct gpt_cfg TINY = {.vocab = 11, .ctx = 5, .d = 8, .heads = 2, .layers = 2, .ffn = 16};
#define TINY_B 2

static uint64_t rng_state;
static uint32_t rnd(void) { /* xorshift64*, high half */
  rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static double unif(void) { return rnd() * 0x1p-32 * 2.0 - 1.0; } /* [-1, 1) */

static double *alloc_params(const struct gpt_cfg *c, struct gpt_layout *lay) {
  assert_int_equal(gpt_layout_init(c, lay), 0);
  double *p = calloc(lay->total, sizeof(double));
  assert_non_null(p);
  return p;
}

static void random_tokens(uint32_t *t, size_t n, uint32_t vocab) {
  for (size_t i = 0; i < n; i++) t[i] = rnd() % vocab;
}

/* The layout: tensors tile [0, total) in memory order with the documented shapes. */
static void test_layout_shapes_and_order(void **state) {
  (void)state;
  const struct gpt_cfg *c = &TINY;
  struct gpt_layout lay;
  assert_int_equal(gpt_layout_init(c, &lay), 0);
  size_t d = c->d, f = c->ffn;
  size_t per_block = 4 * d * d + 2 * f * d + 9 * d + f; /* 4 d x d, W1, W2, 4 d-biases, b2, b1, 2 LN of 2 d */
  assert_int_equal(lay.block_size, per_block);
  assert_int_equal(lay.total, c->vocab * d + c->ctx * d + c->layers * per_block + 2 * d);
  assert_int_equal(lay.total, 1344);
  size_t nt = gpt_tensor_count(c), at = 0;
  assert_int_equal(nt, 4 + 16 * c->layers);
  for (size_t i = 0; i < nt; i++) {
    struct gpt_tensor t;
    assert_int_equal(gpt_tensor_info(c, i, &t), 0);
    assert_int_equal(t.off, at);
    at += t.rows * t.cols;
  }
  assert_int_equal(at, lay.total);
  struct gpt_tensor t;
  assert_int_equal(gpt_tensor_info(c, 2 + 16 + GPT_W1, &t), 0);
  assert_string_equal(t.name, "h1.w1");
  assert_int_equal(t.rows, f);
  assert_int_equal(t.cols, d);
  assert_int_equal(t.off, gpt_block_at(&lay, 1, GPT_W1));
  assert_int_equal(gpt_tensor_info(c, 2 + GPT_W2, &t), 0);
  assert_string_equal(t.name, "h0.w2");
  assert_int_equal(t.rows, d);
  assert_int_equal(t.cols, f);
  assert_int_equal(gpt_tensor_info(c, nt, &t), -1);
}

/* Initialisation: deterministic per seed, the documented constants and spreads; near-uniform
 * predictions, so the first loss is close to ln(vocab). */
static void test_init_deterministic_loss_near_log_vocab(void **state) {
  (void)state;
  struct gpt_cfg c = {.vocab = 50, .ctx = 16, .d = 32, .heads = 4, .layers = 2, .ffn = 128};
  struct gpt_layout lay;
  double *a = alloc_params(&c, &lay), *b = alloc_params(&c, &lay);
  assert_int_equal(gpt_ref64_init(&c, 42, a), 0);
  assert_int_equal(gpt_ref64_init(&c, 42, b), 0);
  assert_memory_equal(a, b, lay.total * sizeof(double));
  assert_int_equal(gpt_ref64_init(&c, 43, b), 0);
  assert_true(memcmp(a, b, lay.total * sizeof(double)) != 0);
  /* wte's spread: 1600 normals of std 0.02 (the sample std within 10%). */
  double s2 = 0.0;
  size_t nw = (size_t)c.vocab * c.d;
  for (size_t i = 0; i < nw; i++) s2 += a[lay.wte + i] * a[lay.wte + i];
  double sd = sqrt(s2 / nw);
  printf("# init: wte sample std %.5f (0.02 wanted)\n", sd);
  assert_true(fabs(sd - 0.02) < 0.002);
  assert_true(a[gpt_block_at(&lay, 1, GPT_LN2_G) + 5] == 1.0 && a[gpt_block_at(&lay, 0, GPT_B1) + 7] == 0.0);
  assert_true(a[lay.lnf_g] == 1.0 && a[lay.lnf_b + c.d - 1] == 0.0);
  uint32_t tok[2 * 16], tgt[2 * 16];
  rng_state = 5;
  random_tokens(tok, 32, c.vocab), random_tokens(tgt, 32, c.vocab);
  double loss;
  assert_int_equal(gpt_ref64_loss(&c, a, tok, tgt, 2, &loss), 0);
  printf("# init: loss %.6f, ln(vocab) %.6f\n", loss, log(c.vocab));
  assert_true(fabs(loss - log(c.vocab)) < 0.05);
  free(a), free(b);
}

/* Central differences of every parameter (all 1344 of TINY, B 2, so every tensor's first and last
 * entry among them) against gpt_ref64_grad. The parameters are the seeded init plus uniform noise
 * of +-0.3 on everything (gammas, biases too), so that no tensor sits at a point where its
 * gradient vanishes by symmetry and the nonlinear parts (GELU, softmax, LayerNorm) are exercised.
 * Error of the difference with h = 1e-5 on a loss of about 2.4: truncation h^2 |L'''| / 6 ~ 1e-11
 * and rounding ~ 2^-52 * 2.4 / h ~ 5e-11, i.e. ~1e-10 absolute, ~1e-8 relative on a gradient of
 * ~1e-2. The check |fd - g| <= 1e-6 |g| + 1e-9 leaves one to two orders of headroom; a wrong term
 * (a missing residual, a transposed weight, the LM head's share of wte forgotten) is off by O(|g|). */
static void fd_check(const struct gpt_cfg *c, uint32_t B, uint64_t seed) {
  struct gpt_layout lay;
  double *p = alloc_params(c, &lay), *g = calloc(lay.total, sizeof(double));
  uint32_t *tok = calloc((size_t)B * c->ctx, sizeof(uint32_t)), *tgt = calloc((size_t)B * c->ctx, sizeof(uint32_t));
  assert_true(g && tok && tgt);
  assert_int_equal(gpt_ref64_init(c, seed, p), 0);
  rng_state = seed * 7 + 11;
  for (size_t i = 0; i < lay.total; i++) p[i] += 0.3 * unif();
  random_tokens(tok, (size_t)B * c->ctx, c->vocab), random_tokens(tgt, (size_t)B * c->ctx, c->vocab);
  double loss, l2;
  assert_int_equal(gpt_ref64_grad(c, p, tok, tgt, B, &loss, g), 0);
  assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, B, &l2), 0);
  assert_true(loss == l2);
  const double h = 1e-5;
  double worst_rel = 0.0, worst_abs = 0.0, worst_norm = 0.0;
  char worst_name[24] = "", worst_norm_name[24] = "";
  size_t bad = 0;
  for (size_t ti = 0; ti < gpt_tensor_count(c); ti++) {
    struct gpt_tensor t;
    assert_int_equal(gpt_tensor_info(c, ti, &t), 0);
    double tmax = 0.0, trel = 0.0, ediff = 0.0, enorm = 0.0;
    for (size_t e = 0; e < t.rows * t.cols; e++) {
      size_t i = t.off + e;
      double keep = p[i], lp, lm;
      p[i] = keep + h;
      assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, B, &lp), 0);
      p[i] = keep - h;
      assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, B, &lm), 0);
      p[i] = keep;
      double fd = (lp - lm) / (2 * h), err = fabs(fd - g[i]);
      if (err > 1e-6 * fabs(g[i]) + 1e-9) {
        if (bad++ < 10) printf("# %s[%zu]: fd %.12e grad %.12e\n", t.name, e, fd, g[i]);
      }
      tmax = fmax(tmax, fabs(g[i]));
      if (fabs(g[i]) > 1e-4) trel = fmax(trel, err / fabs(g[i]));
      ediff += err * err, enorm += g[i] * g[i];
      worst_abs = fmax(worst_abs, err);
    }
    /* A tensor whose gradient is all zero would make the check vacuous, except the key bias:
     * q . bk adds one constant to a whole row of scores, which softmax ignores, so d loss / d bk
     * is 0 exactly in real arithmetic (rounding only here); a backward that lost the row-sum term
     * of the softmax gradient would give it a real value. */
    if (strstr(t.name, ".bk")) {
      printf("# %s: max |grad| %.3e (0 in exact arithmetic)\n", t.name, tmax);
      assert_true(tmax < 1e-14);
    } else {
      if (tmax <= 1e-4) printf("# %s: max |grad| %.3e\n", t.name, tmax);
      assert_true(tmax > 1e-4);
    }
    if (trel > worst_rel) worst_rel = trel, memcpy(worst_name, t.name, sizeof worst_name);
    if (!strstr(t.name, ".bk") && sqrt(ediff / enorm) > worst_norm)
      worst_norm = sqrt(ediff / enorm), memcpy(worst_norm_name, t.name, sizeof worst_norm_name);
  }
  printf("# fd: %zu parameters, loss %.6f, max rel err %.3e (%s, entries with |grad| > 1e-4), max abs err %.3e,\n"
         "# fd: worst tensor |fd - grad| / |grad| (2-norms) %.3e (%s)\n",
         lay.total, loss, worst_rel, worst_name, worst_abs, worst_norm, worst_norm_name);
  assert_int_equal(bad, 0);
  free(p), free(g), free(tok), free(tgt);
}

static void test_grad_every_tensor_vs_finite_differences(void **state) {
  (void)state;
  fd_check(&TINY, TINY_B, 3);
}

/* The same on a second shape: three heads of width 4, every dimension distinct (V 13, T 6, d 12,
 * F 20), three sequences: an index that mixes up two sizes or the head width fails here. */
static void test_grad_three_heads_distinct_sizes_vs_finite_differences(void **state) {
  (void)state;
  const struct gpt_cfg c = {.vocab = 13, .ctx = 6, .d = 12, .heads = 3, .layers = 2, .ffn = 20};
  fd_check(&c, 3, 5);
}

static float *to_float(const double *x, size_t n) {
  float *f = malloc(n * sizeof(float));
  assert_non_null(f);
  for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
  return f;
}

/* y [rows][out] = epilogue(x W^T: ref64_fwd on an all-ones mask, bias, act, residual), rounded to
 * float as the next kernel reads it. */
static float *kernel_linear(const float *x, const float *w, const float *b, int act, const float *res, uint32_t rows,
                            uint32_t out, uint32_t in, const uint8_t *ones) {
  double *acc = malloc((size_t)rows * out * sizeof(double)), *y = malloc((size_t)rows * out * sizeof(double));
  assert_true(acc && y);
  ref64_fwd(x, w, ones, rows, out, in, acc, y);
  float *accf = to_float(acc, (size_t)rows * out);
  ref64_epilogue(accf, b, act, res, 1.0, rows, out, y);
  float *r = to_float(y, (size_t)rows * out);
  free(acc), free(y), free(accf);
  return r;
}

static float *kernel_layernorm(const float *x, const float *g, const float *b, uint32_t rows, uint32_t d) {
  double *y = malloc((size_t)rows * d * sizeof(double)), *mean = malloc(rows * sizeof(double)),
         *rstd = malloc(rows * sizeof(double));
  assert_true(y && mean && rstd);
  ref64_layernorm_fwd(x, g, b, GPT_REF64_LN_EPS, rows, d, y, mean, rstd);
  float *r = to_float(y, (size_t)rows * d);
  free(y), free(mean), free(rstd);
  return r;
}

/* The forward composed the way the device will run it (docs/gpt.md, "Mapping onto the tile's
 * kernels"), from the per-kernel float64 references the device's kernels are checked with
 * (ref64_fwd, ref64_bwd_data for P V, ref64_epilogue, ref64_layernorm_fwd, ref64_softmax_fwd
 * causal, ref64_gelu, ref64_cross_entropy_fwd), every intermediate rounded to float as a kernel
 * reads it. Same float-representable parameters in both. It agrees with gpt_ref64_losses to float
 * rounding (a few 1e-7 relative per kernel, 1e-5 allowed on losses of about 2.4): so the
 * reference speaks the kernels' conventions (Y = X W^T, LayerNorm eps, tanh GELU, the causal mask,
 * the scale before the softmax, the tied head). A mismatch of convention moves the losses by far
 * more (tried: scale 1/sqrt(d) instead of 1/sqrt(d/heads) 5e-2, the erf form of GELU 1.4e-4). */
static void test_forward_matches_chained_kernel_references(void **state) {
  (void)state;
  const struct gpt_cfg c = {.vocab = 13, .ctx = 6, .d = 12, .heads = 3, .layers = 2, .ffn = 20};
  enum { B = 2 };
  const uint32_t T = c.ctx, d = c.d, f = c.ffn, V = c.vocab, H = c.heads, hd = d / H, n = B * T;
  struct gpt_layout lay;
  double *p = alloc_params(&c, &lay);
  assert_int_equal(gpt_ref64_init(&c, 21, p), 0);
  rng_state = 23;
  for (size_t i = 0; i < lay.total; i++) p[i] = (float)(p[i] + 0.3 * unif()); /* float-representable */
  float *pf = to_float(p, lay.total);
  uint32_t tok[B * 6], tgt[B * 6];
  random_tokens(tok, n, V), random_tokens(tgt, n, V);
  uint8_t ones[64 * 64];
  memset(ones, 1, sizeof ones);

  /* Embedding: gather plus the position rows. */
  float *x = malloc((size_t)n * d * sizeof(float));
  assert_non_null(x);
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < d; j++)
      x[i * d + j] = (float)((double)pf[lay.wte + tok[i] * d + j] + pf[lay.wpe + (i % T) * d + j]);
  for (uint32_t l = 0; l < c.layers; l++) {
#define PF(t) (pf + gpt_block_at(&lay, l, t))
    float *a = kernel_layernorm(x, PF(GPT_LN1_G), PF(GPT_LN1_B), n, d);
    float *q = kernel_linear(a, PF(GPT_WQ), PF(GPT_BQ), 0, NULL, n, d, d, ones);
    float *k = kernel_linear(a, PF(GPT_WK), PF(GPT_BK), 0, NULL, n, d, d, ones);
    float *v = kernel_linear(a, PF(GPT_WV), PF(GPT_BV), 0, NULL, n, d, d, ones);
    float *o = calloc((size_t)n * d, sizeof(float));
    assert_non_null(o);
    for (uint32_t b = 0; b < B; b++)
      for (uint32_t h = 0; h < H; h++) {
        float qh[6 * 4], kh[6 * 4], vh[6 * 4], sf[6 * 6], pr[6 * 6];
        double s[6 * 6], dummy[6 * 6], oh[6 * 4];
        for (uint32_t t = 0; t < T; t++)
          for (uint32_t j = 0; j < hd; j++) {
            size_t src = (size_t)(b * T + t) * d + h * hd + j;
            qh[t * hd + j] = q[src], kh[t * hd + j] = k[src], vh[t * hd + j] = v[src];
          }
        ref64_fwd(qh, kh, ones, T, T, hd, s, dummy); /* attn_qk: S = Q K^T */
        for (uint32_t i = 0; i < T * T; i++) sf[i] = (float)((float)s[i] * (1.0 / sqrt((double)hd))); /* scale */
        ref64_softmax_fwd(sf, T, T, true, 0, s);
        for (uint32_t i = 0; i < T * T; i++) pr[i] = (float)s[i];
        ref64_bwd_data(pr, vh, ones, T, T, hd, oh, dummy); /* attn_pv: O = P V */
        for (uint32_t t = 0; t < T; t++)
          for (uint32_t j = 0; j < hd; j++) o[(size_t)(b * T + t) * d + h * hd + j] = (float)oh[t * hd + j];
      }
    float *m = kernel_linear(o, PF(GPT_WO), PF(GPT_BO), 0, x, n, d, d, ones); /* residual epilogue */
    float *c2 = kernel_layernorm(m, PF(GPT_LN2_G), PF(GPT_LN2_B), n, d);
    float *hpre = kernel_linear(c2, PF(GPT_W1), PF(GPT_B1), 0, NULL, n, f, d, ones);
    for (uint32_t i = 0; i < n * f; i++) hpre[i] = (float)ref64_gelu(hpre[i]); /* gelu_fwd */
    float *xn = kernel_linear(hpre, PF(GPT_W2), PF(GPT_B2), 0, m, n, d, f, ones);
#undef PF
    free(x), free(a), free(q), free(k), free(v), free(o), free(m), free(c2), free(hpre);
    x = xn;
  }
  float *fl = kernel_layernorm(x, pf + lay.lnf_g, pf + lay.lnf_b, n, d);
  float *logits = kernel_linear(fl, pf + lay.wte, NULL, 0, NULL, n, V, d, ones); /* tied head */
  double want[B * 6], got[B * 6];
  ref64_cross_entropy_fwd(logits, tgt, n, V, want);
  assert_int_equal(gpt_ref64_losses(&c, p, tok, tgt, B, got), 0);
  double worst = 0.0;
  for (uint32_t i = 0; i < n; i++) worst = fmax(worst, fabs(got[i] - want[i]));
  printf("# chained kernel references vs gpt_ref64_losses: max |diff| %.3e over %u positions (loss[0] %.6f)\n",
         worst, (unsigned)n, got[0]);
  assert_true(worst < 1e-5);
  free(x), free(fl), free(logits), free(pf), free(p);
}

/* Causality: changing token t0 of sequence 0 leaves every logit and loss of positions < t0
 * bit-identical, changes those of positions >= t0 (so attention does carry information forward),
 * and leaves sequence 1 alone. */
static void test_causal_logits_and_losses(void **state) {
  (void)state;
  const struct gpt_cfg *c = &TINY;
  struct gpt_layout lay;
  double *p = alloc_params(c, &lay);
  assert_int_equal(gpt_ref64_init(c, 9, p), 0);
  rng_state = 17;
  for (size_t i = 0; i < lay.total; i++) p[i] += 0.3 * unif();
  size_t T = c->ctx, V = c->vocab, n = TINY_B * T;
  uint32_t tok[TINY_B * 5], tgt[TINY_B * 5], tok2[TINY_B * 5];
  random_tokens(tok, n, V), random_tokens(tgt, n, V);
  double z0[TINY_B * 5 * 11], z1[TINY_B * 5 * 11], l0[TINY_B * 5], l1[TINY_B * 5];
  assert_int_equal(gpt_ref64_logits(c, p, tok, TINY_B, z0), 0);
  assert_int_equal(gpt_ref64_losses(c, p, tok, tgt, TINY_B, l0), 0);
  double mean = 0.0, loss;
  for (size_t i = 0; i < n; i++) mean += l0[i];
  assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, TINY_B, &loss), 0);
  assert_true(fabs(mean / n - loss) <= 1e-15 * loss);
  for (size_t t0 = 0; t0 < T; t0++) {
    memcpy(tok2, tok, sizeof tok);
    tok2[t0] = (tok[t0] + 1 + rnd() % (V - 1)) % V; /* a different token */
    assert_int_equal(gpt_ref64_logits(c, p, tok2, TINY_B, z1), 0);
    assert_int_equal(gpt_ref64_losses(c, p, tok2, tgt, TINY_B, l1), 0);
    for (size_t t = 0; t < T; t++) {
      int same = memcmp(z0 + t * V, z1 + t * V, V * sizeof(double)) == 0;
      if (t < t0) {
        assert_true(same);
        assert_true(l0[t] == l1[t]);
      } else {
        assert_false(same);
        assert_true(l0[t] != l1[t]);
      }
    }
    assert_memory_equal(z0 + T * V, z1 + T * V, T * V * sizeof(double));
    assert_memory_equal(l0 + T, l1 + T, T * sizeof(double));
  }
  free(p);
}

static int near(double a, double b) { return fabs(a - b) <= 1e-15 * fmax(1.0, fabs(b)); }

/* Two positions, two-way softmax: y1 = v0 + (v1 - v0) / (1 + exp(s0 - s1)), written out by hand.
 * d = 2: one head of width 2 (scale 1/sqrt 2) against two heads of width 1 (scale 1). d = 4, two
 * heads: head 0 must own columns 0-1 (an interleaved split, columns 0 and 2, scores differently). */
static void test_attention_heads_hand_computed(void **state) {
  (void)state;
  /* d = 2: q1 = (1, 2), k0 = (1, 0), k1 = (0, 1), v0 = (2, 4), v1 = (6, 8); q0 is irrelevant to y. */
  const double q[4] = {0.5, -0.25, 1, 2}, k[4] = {1, 0, 0, 1}, v[4] = {2, 4, 6, 8};
  double y1h[4], y2h[4];
  assert_int_equal(gpt_ref64_attention(2, 2, 1, q, k, v, y1h), 0);
  assert_int_equal(gpt_ref64_attention(2, 2, 2, q, k, v, y2h), 0);
  /* Position 0 sees only key 0: y0 = v0 exactly, whatever the heads. */
  assert_true(y1h[0] == 2 && y1h[1] == 4 && y2h[0] == 2 && y2h[1] == 4);
  /* One head: s0 = 1/sqrt2, s1 = 2/sqrt2. */
  double p1 = 1.0 / (1.0 + exp(1.0 / sqrt(2.0) - 2.0 / sqrt(2.0)));
  assert_true(near(y1h[2], 2 + 4 * p1) && near(y1h[3], 4 + 4 * p1));
  /* Two heads: head 0 s = (1, 0), head 1 s = (0, 2). */
  double a0 = 1.0 / (1.0 + exp(1.0)), a1 = 1.0 / (1.0 + exp(-2.0));
  assert_true(near(y2h[2], 2 + 4 * a0) && near(y2h[3], 4 + 4 * a1));
  assert_false(near(y1h[2], y2h[2]));
  printf("# attention d=2: 1 head y1 = (%.6f, %.6f), 2 heads y1 = (%.6f, %.6f)\n", y1h[2], y1h[3], y2h[2], y2h[3]);

  /* d = 4, heads 2 (width 2, scale 1/sqrt2): q1 = (0, 1, 1, 0), k0 = 0, k1 = (0, 1, 0, 0),
   * v0 = (1, 2, 3, 4), v1 = (5, 6, 7, 8). Head 0 (columns 0, 1): s = (0, 1/sqrt2); head 1
   * (columns 2, 3): s = (0, 0). Interleaved (head 0 on columns 0, 2) would give s = (0, 0). */
  const double q4[8] = {0, 0, 0, 0, 0, 1, 1, 0}, k4[8] = {0, 0, 0, 0, 0, 1, 0, 0}, v4[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  double y4[8];
  assert_int_equal(gpt_ref64_attention(2, 4, 2, q4, k4, v4, y4), 0);
  double b0 = 1.0 / (1.0 + exp(-1.0 / sqrt(2.0)));
  assert_true(near(y4[4], 1 + 4 * b0) && near(y4[5], 2 + 4 * b0));
  assert_true(near(y4[6], 3 + 4 * 0.5) && near(y4[7], 4 + 4 * 0.5));
  for (int j = 0; j < 4; j++) assert_true(y4[j] == v4[j]);
}

/* Training: a repeating pattern (period 12, "3 1 4 1 5 9 2 6 5 3 5 8") cut into 4 sequences of
 * 8 starting at offsets 0, 2, 4, 6; the target is the next token of the pattern. "1" and "5"
 * have several successors, so attention to earlier positions is needed; no two sequences share a
 * prefix, so the task is fully learnable. 200 AdamW steps (lr 1e-2, betas 0.9 / 0.999, eps 1e-8,
 * weight decay 0.01 on every parameter) must bring the loss below 20% of its start. */
static void test_train_200_adamw_steps_learns_pattern(void **state) {
  (void)state;
  const struct gpt_cfg c = {.vocab = 11, .ctx = 8, .d = 16, .heads = 2, .layers = 2, .ffn = 64};
  enum { B = 4, T = 8, STEPS = 200 };
  static const uint32_t pat[12] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
  uint32_t tok[B * T], tgt[B * T];
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) tok[b * T + t] = pat[(2 * b + t) % 12], tgt[b * T + t] = pat[(2 * b + t + 1) % 12];
  struct gpt_layout lay;
  double *w = alloc_params(&c, &lay), *g = calloc(lay.total, sizeof(double));
  double *m = calloc(lay.total, sizeof(double)), *v = calloc(lay.total, sizeof(double));
  assert_true(g && m && v);
  assert_int_equal(gpt_ref64_init(&c, 1, w), 0);
  struct ref64_adamw hp = {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01};
  double first = 0.0, loss = 0.0;
  for (uint32_t s = 1; s <= STEPS; s++) {
    assert_int_equal(gpt_ref64_grad(&c, w, tok, tgt, B, &loss, g), 0);
    if (s == 1) first = loss;
    if (s == 1 || s % 50 == 0) printf("# step %3u loss %.6f\n", s, loss);
    hp.step = s;
    assert_int_equal(gpt_ref64_adamw(&hp, w, g, m, v, lay.total), 0);
  }
  double last;
  assert_int_equal(gpt_ref64_loss(&c, w, tok, tgt, B, &last), 0);
  printf("# train: first loss %.6f, after %d steps %.6f (%.2f%% of the start)\n", first, STEPS, last,
         100.0 * last / first);
  assert_true(last < 0.2 * first);
  free(w), free(g), free(m), free(v);
}

/* The AdamW helper against the formula written out for one element at step 1 and step 2. */
static void test_adamw_double_matches_formula(void **state) {
  (void)state;
  struct ref64_adamw hp = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.5, .step = 1};
  double w = 2.0, g = 0.5, m = 0.0, v = 0.0;
  assert_int_equal(gpt_ref64_adamw(&hp, &w, &g, &m, &v, 1), 0);
  /* step 1: m = 0.05, v = 0.0025, m_hat = 0.5, v_hat = 0.25: w = 2 (1 - 0.05) - 0.1 * 0.5 / (0.5 + eps). */
  assert_true(near(m, 0.05) && near(v, 0.0025));
  assert_true(near(w, 1.9 - 0.1 * 0.5 / (0.5 + 1e-8)));
  double w1 = w;
  g = -1.0, hp.step = 2;
  assert_int_equal(gpt_ref64_adamw(&hp, &w, &g, &m, &v, 1), 0);
  double m2 = 0.9 * 0.05 - 0.1, v2 = 0.99 * 0.0025 + 0.01;
  assert_true(near(m, m2) && near(v, v2));
  assert_true(near(w, w1 * 0.95 - 0.1 * (m2 / (1 - 0.81)) / (sqrt(v2 / (1 - 0.9801)) + 1e-8)));
}

/* Bad configurations and arguments: a message from gpt_cfg_check, -1 from every call, no crash. */
static void test_bad_configs_and_arguments_refused(void **state) {
  (void)state;
  struct gpt_cfg bad[] = {
      {0, 5, 8, 2, 2, 16},  {11, 0, 8, 2, 2, 16}, {11, 5, 0, 2, 2, 16}, {11, 5, 8, 0, 2, 16},
      {11, 5, 8, 2, 0, 16}, {11, 5, 8, 2, 2, 0},  {11, 5, 8, 3, 2, 16}, /* d % heads */
      {11, 5, UINT32_MAX, 1, 2, 16},                                     /* d x d overflows */
      {UINT32_MAX, 5, 1u << 20, 1, 1, 16},                               /* vocab x d too large */
      {11, 5, 1u << 16, 1, UINT32_MAX, 16},                              /* layers x block */
      {11, UINT32_MAX, 8, 8, 1, 16},                                     /* heads x ctx x ctx */
  };
  double buf[64] = {0}, out[64];
  uint32_t tok[16] = {0}, tgt[16] = {0};
  struct gpt_layout lay;
  struct gpt_tensor t;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *msg = gpt_cfg_check(&bad[i]);
    assert_non_null(msg);
    printf("# bad cfg %zu: %s\n", i, msg);
    assert_int_equal(gpt_layout_init(&bad[i], &lay), -1);
    assert_int_equal(gpt_tensor_count(&bad[i]), 0);
    assert_int_equal(gpt_tensor_info(&bad[i], 0, &t), -1);
    assert_int_equal(gpt_ref64_init(&bad[i], 1, buf), -1);
    assert_int_equal(gpt_ref64_loss(&bad[i], buf, tok, tgt, 1, out), -1);
    assert_int_equal(gpt_ref64_grad(&bad[i], buf, tok, tgt, 1, out, out), -1);
    assert_int_equal(gpt_ref64_logits(&bad[i], buf, tok, 1, out), -1);
    assert_int_equal(gpt_ref64_losses(&bad[i], buf, tok, tgt, 1, out), -1);
  }
  assert_non_null(gpt_cfg_check(NULL));
  assert_null(gpt_cfg_check(&TINY));
  assert_int_equal(gpt_layout_init(NULL, &lay), -1);
  assert_int_equal(gpt_layout_init(&TINY, NULL), -1);

  const struct gpt_cfg *c = &TINY;
  double *p = alloc_params(c, &lay), *g = calloc(lay.total, sizeof(double)), loss;
  assert_non_null(g);
  assert_int_equal(gpt_ref64_init(c, 1, NULL), -1);
  assert_int_equal(gpt_ref64_init(c, 1, p), 0);
  assert_int_equal(gpt_ref64_loss(c, NULL, tok, tgt, 1, &loss), -1);
  assert_int_equal(gpt_ref64_loss(c, p, NULL, tgt, 1, &loss), -1);
  assert_int_equal(gpt_ref64_loss(c, p, tok, NULL, 1, &loss), -1);
  assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, 1, NULL), -1);
  assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, 0, &loss), -1);
  assert_int_equal(gpt_ref64_grad(c, p, tok, tgt, 1, &loss, NULL), -1);
  assert_int_equal(gpt_ref64_grad(c, p, tok, tgt, 0, &loss, g), -1);
  assert_int_equal(gpt_ref64_logits(c, p, tok, 1, NULL), -1);
  assert_int_equal(gpt_ref64_losses(c, p, tok, tgt, 1, NULL), -1);
  tok[3] = c->vocab; /* a token outside the vocabulary */
  assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, 1, &loss), -1);
  assert_int_equal(gpt_ref64_grad(c, p, tok, tgt, 1, &loss, g), -1);
  assert_int_equal(gpt_ref64_logits(c, p, tok, 1, buf), -1);
  tok[3] = 0, tgt[4] = c->vocab + 7; /* a target outside it */
  assert_int_equal(gpt_ref64_loss(c, p, tok, tgt, 1, &loss), -1);
  assert_int_equal(gpt_ref64_grad(c, p, tok, tgt, 1, NULL, g), -1);
  assert_int_equal(gpt_ref64_logits(c, p, tok, 1, out), 0); /* logits need no targets */
  tgt[4] = 0;
  assert_int_equal(gpt_ref64_grad(c, p, tok, tgt, 1, NULL, g), 0);

  double q[4] = {0}, y[4];
  assert_int_equal(gpt_ref64_attention(2, 2, 3, q, q, q, y), -1);
  assert_int_equal(gpt_ref64_attention(0, 2, 1, q, q, q, y), -1);
  assert_int_equal(gpt_ref64_attention(2, 2, 1, q, NULL, q, y), -1);
  struct ref64_adamw hp = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .step = 0};
  assert_int_equal(gpt_ref64_adamw(&hp, q, q, q, q, 4), -1); /* step counts from 1 */
  hp.step = 1;
  assert_int_equal(gpt_ref64_adamw(NULL, q, q, q, q, 4), -1);
  assert_int_equal(gpt_ref64_adamw(&hp, q, NULL, q, q, 4), -1);
  free(p), free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout_shapes_and_order),
      cmocka_unit_test(test_init_deterministic_loss_near_log_vocab),
      cmocka_unit_test(test_grad_every_tensor_vs_finite_differences),
      cmocka_unit_test(test_grad_three_heads_distinct_sizes_vs_finite_differences),
      cmocka_unit_test(test_forward_matches_chained_kernel_references),
      cmocka_unit_test(test_causal_logits_and_losses),
      cmocka_unit_test(test_attention_heads_hand_computed),
      cmocka_unit_test(test_adamw_double_matches_formula),
      cmocka_unit_test(test_train_200_adamw_steps_learns_pattern),
      cmocka_unit_test(test_bad_configs_and_arguments_refused),
  };
  return cmocka_run_group_tests_name("gpt_ref64", tests, NULL, NULL);
}
