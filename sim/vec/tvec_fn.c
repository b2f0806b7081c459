/* The vector-unit kernels in their documented operation order (tvec_fn.h,
 * docs/vector-kernels.md). Integer and numerics-library operations only. */
#include "tvec_fn.h"

#include <stddef.h>

#include "tessera/numerics.h"

/* fp32 constants (bit patterns of the nearest fp32 value). */
#define F_HALF 0x3f000000u
#define F_TWO 0x40000000u
#define F_NEG_ONE 0xbf800000u
#define F_NEG_INF 0xff800000u
#define F_POS_INF 0x7f800000u
#define F_GELU_K0 0x3f4c422au     /* sqrt(2/pi) */
#define F_GELU_HK0 0x3ecc422au    /* sqrt(2/pi) / 2 */
#define F_GELU_K1 0x3d372713u     /* 0.044715 */
#define F_GELU_3K1 0x3e095d4fu    /* 3 * 0.044715 */
#define F_LN2 0x3f317218u         /* ln 2 */
#define F_SQRT2_BITS 0x3fb504f3u  /* sqrt(2) rounded down: m >= this is halved */
static const uint32_t log_poly[6] = {
    /* 1/11, 1/9, 1/7, 1/5, 1/3, 1: Horner in w = z^2 from the top */
    0x3dba2e8cu, 0x3de38e39u, 0x3e124925u, 0x3e4ccccdu, 0x3eaaaaabu, TVEC_F32_ONE};

static uint32_t neg(uint32_t a) { return a ^ TVEC_F32_SIGN; }
static uint32_t sub(uint32_t a, uint32_t b) { return tnum_f32_add(a, neg(b)); }
static bool is_nan(uint32_t a) { return (a & 0x7fffffffu) > 0x7f800000u; }

/* --- Scalar helpers ------------------------------------------------------------------------- */

uint32_t tvec_f32_max(uint32_t a, uint32_t b) {
  if (is_nan(a) || is_nan(b)) return TNUM_F32_QNAN;
  /* Map to a monotonic integer key: negatives reversed below the positives. */
  uint32_t ka = (a & TVEC_F32_SIGN) ? ~a : (a | TVEC_F32_SIGN);
  uint32_t kb = (b & TVEC_F32_SIGN) ? ~b : (b | TVEC_F32_SIGN);
  if ((a & 0x7fffffffu) == 0 && (b & 0x7fffffffu) == 0) return a;
  return kb > ka ? b : a;
}

uint32_t tvec_recip_u32(uint32_t d) {
  if (d == 0) return F_POS_INF;
  uint64_t num = (uint64_t)1 << 63;
  uint64_t q = num / d, r = num % d;
  return tnum_f32_round_pack(false, -63, q | (r != 0));
}

uint32_t tvec_u32_to_f32(uint32_t d) { return tnum_f32_round_pack(false, 0, d); }

static uint32_t i32_to_f32(int32_t e) {
  return tnum_f32_round_pack(e < 0, 0, (uint64_t)(e < 0 ? -(int64_t)e : (int64_t)e));
}

uint32_t tvec_log(uint32_t x) {
  if (is_nan(x)) return TNUM_F32_QNAN;
  if ((x & 0x7fffffffu) == 0) return F_NEG_INF;
  if (x & TVEC_F32_SIGN) return TNUM_F32_QNAN;
  if (x == F_POS_INF) return F_POS_INF;
  /* x = 2^e * m, m in [1, 2), then m in [sqrt(1/2), sqrt(2)). */
  int32_t e;
  uint32_t frac = x & 0x7fffffu, eb = x >> 23;
  if (eb == 0) {
    int32_t sh = 0;
    while (!(frac & 0x800000u)) frac <<= 1, sh++;
    frac &= 0x7fffffu;
    e = -126 - sh;
  } else {
    e = (int32_t)eb - 127;
  }
  uint32_t m = 0x3f800000u | frac;
  if (m >= F_SQRT2_BITS) m -= 0x00800000u, e += 1; /* m / 2 exactly */
  /* log m = 2 atanh(z) = 2z (1 + w/3 + w^2/5 + ... + w^5/11), z = (m - 1)/(m + 1), w = z^2. */
  uint32_t f = sub(m, TVEC_F32_ONE); /* exact (Sterbenz) */
  uint32_t z = tnum_f32_mul(f, tnum_f32_recip(tnum_f32_add(m, TVEC_F32_ONE)));
  uint32_t w = tnum_f32_mul(z, z);
  uint32_t p = log_poly[0];
  for (int a = 1; a < 6; a++) p = tnum_f32_fma(p, w, log_poly[a]);
  uint32_t t = tnum_f32_mul(tnum_f32_mul(z, F_TWO), p);
  return tnum_f32_fma(i32_to_f32(e), F_LN2, t);
}

/* --- Elementwise ------------------------------------------------------------------------------ */

void tvec_gelu_fwd(const uint32_t *x, uint32_t *y, uint32_t count) {
  for (uint32_t a = 0; a < count; a++) y[a] = tnum_f32_gelu(x[a]);
}

uint32_t tvec_gelu_grad(uint32_t x) {
  if (is_nan(x)) return TNUM_F32_QNAN;
  /* |x| >= 16: tanh(u) is +-1 exactly, so the chain below gives 1 or +0; taken directly so that
   * x^2 cannot overflow into inf * 0. */
  if ((x & 0x7fffffffu) >= 0x41800000u) return (x & TVEC_F32_SIGN) ? 0 : TVEC_F32_ONE;
  uint32_t x2 = tnum_f32_mul(x, x);
  uint32_t a = tnum_f32_fma(F_GELU_K1, x2, TVEC_F32_ONE);         /* 1 + k1 x^2 */
  uint32_t u = tnum_f32_mul(tnum_f32_mul(F_GELU_K0, x), a);       /* k0 x (1 + k1 x^2) */
  uint32_t t = tnum_f32_tanh(u);
  uint32_t b = tnum_f32_fma(F_GELU_3K1, x2, TVEC_F32_ONE);        /* 1 + 3 k1 x^2 */
  uint32_t s = tnum_f32_fma(neg(t), t, TVEC_F32_ONE);             /* 1 - t^2 */
  uint32_t r = tnum_f32_mul(tnum_f32_mul(F_GELU_HK0, x), tnum_f32_mul(s, b));
  uint32_t g = tnum_f32_fma(F_HALF, t, F_HALF);                   /* (1 + t) / 2 */
  return tnum_f32_add(g, r);
}

void tvec_gelu_bwd(const uint32_t *x, const uint32_t *dy, uint32_t *dx, uint32_t count) {
  for (uint32_t a = 0; a < count; a++) dx[a] = tnum_f32_mul(dy[a], tvec_gelu_grad(x[a]));
}

void tvec_residual_add(const uint32_t *a, const uint32_t *b, uint32_t *y, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) y[i] = tnum_f32_add(a[i], b[i]);
}

void tvec_scale(const uint32_t *x, uint32_t s, uint32_t *y, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) y[i] = tnum_f32_mul(x[i], s);
}

/* --- Row reductions --------------------------------------------------------------------------- */

uint32_t tvec_row_valid(uint32_t r, uint32_t cols, bool causal, int32_t offset) {
  if (!causal) return cols;
  int64_t nv = (int64_t)r + offset + 1;
  if (nv <= 0) return 0;
  return nv < (int64_t)cols ? (uint32_t)nv : cols;
}

/* Max of the row's first nv values (left to right), then e[c] = exp(x[c] - max) and the
 * sequential sum s = (((+0 + e0) + e1) + ...). e may be NULL. */
static uint32_t row_exp_sum(const uint32_t *x, uint32_t nv, uint32_t *e, uint32_t *mx_out) {
  uint32_t mx = x[0];
  for (uint32_t c = 1; c < nv; c++) mx = tvec_f32_max(mx, x[c]);
  uint32_t s = 0;
  for (uint32_t c = 0; c < nv; c++) {
    uint32_t ec = tnum_f32_exp(sub(x[c], mx));
    if (e) e[c] = ec;
    s = tnum_f32_add(s, ec);
  }
  *mx_out = mx;
  return s;
}

void tvec_softmax_fwd(const uint32_t *x, uint32_t *y, uint32_t rows, uint32_t cols, bool causal, int32_t offset) {
  for (uint32_t r = 0; r < rows; r++) {
    const uint32_t *xr = x + (size_t)r * cols;
    uint32_t *yr = y + (size_t)r * cols;
    uint32_t nv = tvec_row_valid(r, cols, causal, offset), mx;
    if (nv) {
      uint32_t rs = tnum_f32_recip(row_exp_sum(xr, nv, yr, &mx));
      for (uint32_t c = 0; c < nv; c++) yr[c] = tnum_f32_mul(yr[c], rs);
    }
    for (uint32_t c = nv; c < cols; c++) yr[c] = 0;
  }
}

void tvec_softmax_bwd(const uint32_t *p, const uint32_t *dy, uint32_t *dx, uint32_t rows, uint32_t cols, bool causal,
                      int32_t offset) {
  for (uint32_t r = 0; r < rows; r++) {
    size_t o = (size_t)r * cols;
    uint32_t nv = tvec_row_valid(r, cols, causal, offset), dot = 0;
    for (uint32_t c = 0; c < nv; c++) dot = tnum_f32_fma(p[o + c], dy[o + c], dot);
    for (uint32_t c = 0; c < nv; c++) dx[o + c] = tnum_f32_mul(p[o + c], sub(dy[o + c], dot));
    for (uint32_t c = nv; c < cols; c++) dx[o + c] = 0;
  }
}

/* s / d: q = s * RN(1/d), then one correction with the exact remainder s - q d (an fma). The
 * result is s/d exactly whenever that is representable (a constant row's mean). */
static uint32_t div_by_count(uint32_t s, uint32_t df, uint32_t invd) {
  uint32_t q = tnum_f32_mul(s, invd);
  uint32_t r = tnum_f32_fma(neg(q), df, s);
  return tnum_f32_fma(r, invd, q);
}

void tvec_layernorm_fwd(const uint32_t *x, const uint32_t *gamma, const uint32_t *beta, uint32_t eps, uint32_t *y,
                        uint32_t *mean, uint32_t *rstd, uint32_t rows, uint32_t d) {
  tvec_layernorm_fwd_inv(x, gamma, beta, eps, tvec_recip_u32(d), y, mean, rstd, rows, d);
}

void tvec_layernorm_fwd_inv(const uint32_t *x, const uint32_t *gamma, const uint32_t *beta, uint32_t eps,
                            uint32_t invd, uint32_t *y, uint32_t *mean, uint32_t *rstd, uint32_t rows, uint32_t d) {
  uint32_t df = tvec_u32_to_f32(d);
  for (uint32_t r = 0; r < rows; r++) {
    const uint32_t *xr = x + (size_t)r * d;
    uint32_t *yr = y + (size_t)r * d;
    uint32_t s = 0;
    for (uint32_t c = 0; c < d; c++) s = tnum_f32_add(s, xr[c]);
    uint32_t mu = div_by_count(s, df, invd);
    uint32_t v = 0;
    for (uint32_t c = 0; c < d; c++) {
      uint32_t dl = sub(xr[c], mu);
      v = tnum_f32_fma(dl, dl, v);
    }
    uint32_t rs = tnum_f32_rsqrt(tnum_f32_add(div_by_count(v, df, invd), eps));
    for (uint32_t c = 0; c < d; c++) {
      uint32_t xh = tnum_f32_mul(sub(xr[c], mu), rs);
      yr[c] = tnum_f32_fma(xh, gamma[c], beta[c]);
    }
    mean[r] = mu, rstd[r] = rs;
  }
}

void tvec_layernorm_bwd(const uint32_t *dy, const uint32_t *x, const uint32_t *mean, const uint32_t *rstd,
                        const uint32_t *gamma, uint32_t *dx, uint32_t *dgamma, uint32_t *dbeta, uint32_t rows,
                        uint32_t d) {
  tvec_layernorm_bwd_inv(dy, x, mean, rstd, gamma, tvec_recip_u32(d), dx, dgamma, dbeta, rows, d);
}

void tvec_layernorm_bwd_inv(const uint32_t *dy, const uint32_t *x, const uint32_t *mean, const uint32_t *rstd,
                            const uint32_t *gamma, uint32_t invd, uint32_t *dx, uint32_t *dgamma, uint32_t *dbeta,
                            uint32_t rows, uint32_t d) {
  for (uint32_t r = 0; r < rows; r++) {
    size_t o = (size_t)r * d;
    uint32_t mu = mean[r], rs = rstd[r], s1 = 0, s2 = 0;
    for (uint32_t c = 0; c < d; c++) {
      uint32_t xh = tnum_f32_mul(sub(x[o + c], mu), rs);
      uint32_t g = tnum_f32_mul(dy[o + c], gamma[c]);
      s1 = tnum_f32_add(s1, g);
      s2 = tnum_f32_fma(g, xh, s2);
      dbeta[c] = tnum_f32_add(dbeta[c], dy[o + c]);
      dgamma[c] = tnum_f32_fma(dy[o + c], xh, dgamma[c]);
    }
    uint32_t m1 = tnum_f32_mul(s1, invd), m2 = tnum_f32_mul(s2, invd);
    for (uint32_t c = 0; c < d; c++) {
      uint32_t xh = tnum_f32_mul(sub(x[o + c], mu), rs);
      uint32_t g = tnum_f32_mul(dy[o + c], gamma[c]);
      uint32_t a = tnum_f32_fma(neg(xh), m2, g);
      dx[o + c] = tnum_f32_mul(sub(a, m1), rs);
    }
  }
}

int tvec_cross_entropy_fwd(const uint32_t *logits, const uint32_t *target, uint32_t *loss, uint32_t m, uint32_t v) {
  if (v == 0) return TVEC_EBADARG;
  for (uint32_t t = 0; t < m; t++)
    if (target[t] >= v) return TVEC_EBADARG;
  for (uint32_t t = 0; t < m; t++) {
    const uint32_t *xr = logits + (size_t)t * v;
    uint32_t mx, s = row_exp_sum(xr, v, NULL, &mx);
    uint32_t lse = tnum_f32_add(mx, tvec_log(s));
    loss[t] = sub(lse, xr[target[t]]);
  }
  return TVEC_OK;
}

int tvec_cross_entropy_bwd(const uint32_t *logits, const uint32_t *target, uint32_t scale, uint32_t *dlogits, uint32_t m,
                           uint32_t v) {
  if (v == 0) return TVEC_EBADARG;
  for (uint32_t t = 0; t < m; t++)
    if (target[t] >= v) return TVEC_EBADARG;
  for (uint32_t t = 0; t < m; t++) {
    const uint32_t *xr = logits + (size_t)t * v;
    uint32_t *dr = dlogits + (size_t)t * v, mx;
    uint32_t rs = tnum_f32_recip(row_exp_sum(xr, v, dr, &mx));
    for (uint32_t c = 0; c < v; c++) {
      uint32_t p = tnum_f32_mul(dr[c], rs);
      if (c == target[t]) p = tnum_f32_add(p, F_NEG_ONE);
      dr[c] = tnum_f32_mul(p, scale);
    }
  }
  return TVEC_OK;
}

/* --- Embedding -------------------------------------------------------------------------------- */

int tvec_embedding_fwd(const uint32_t *table, const uint32_t *ids, uint32_t *out, uint32_t m, uint32_t v, uint32_t d) {
  for (uint32_t t = 0; t < m; t++)
    if (ids[t] >= v) return TVEC_EBADARG;
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < d; c++) out[(size_t)t * d + c] = table[(size_t)ids[t] * d + c];
  return TVEC_OK;
}

int tvec_embedding_bwd(const uint32_t *dy, const uint32_t *ids, uint32_t *dtable, uint32_t m, uint32_t v, uint32_t d) {
  for (uint32_t t = 0; t < m; t++)
    if (ids[t] >= v) return TVEC_EBADARG;
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < d; c++) {
      uint32_t *e = &dtable[(size_t)ids[t] * d + c];
      *e = tnum_f32_add(*e, dy[(size_t)t * d + c]);
    }
  return TVEC_OK;
}

/* --- AdamW -------------------------------------------------------------------------------------- */

/* (ah + al)(bh + bl) in double-fp32: the exact product of the high parts by an fma, the cross
 * terms added to the low part, renormalized by a fast two-sum. */
static void dw_mul(uint32_t *h, uint32_t *l, uint32_t bh, uint32_t bl) {
  uint32_t ph = tnum_f32_mul(*h, bh);
  uint32_t pl = tnum_f32_fma(*h, bh, neg(ph));
  pl = tnum_f32_fma(*h, bl, pl);
  pl = tnum_f32_fma(*l, bh, pl);
  uint32_t s = tnum_f32_add(ph, pl);
  *l = tnum_f32_add(sub(ph, s), pl);
  *h = s;
}

uint32_t tvec_bias_correction(uint32_t beta, uint32_t t) {
  uint32_t rh = TVEC_F32_ONE, rl = 0, bh = beta, bl = 0;
  while (t) {
    if (t & 1) dw_mul(&rh, &rl, bh, bl);
    t >>= 1;
    if (t) dw_mul(&bh, &bl, bh, bl);
  }
  return sub(sub(TVEC_F32_ONE, rh), rl);
}

int tvec_adamw_update(const struct tvec_adamw *hp, uint32_t *w, const uint32_t *g, uint32_t *m, uint32_t *v,
                      uint16_t *wbf16, uint32_t count) {
  if (!hp || hp->step == 0) return TVEC_EBADARG;
  tvec_adamw_apply(hp, tvec_bias_correction(hp->beta1, hp->step), tvec_bias_correction(hp->beta2, hp->step), w, g, m,
                   v, wbf16, count);
  return TVEC_OK;
}

void tvec_adamw_apply(const struct tvec_adamw *hp, uint32_t bc1, uint32_t bc2, uint32_t *w, const uint32_t *g,
                      uint32_t *m, uint32_t *v, uint16_t *wbf16, uint32_t count) {
  uint32_t cwd = tnum_f32_fma(neg(hp->lr), hp->weight_decay, TVEC_F32_ONE); /* 1 - lr wd */
  uint32_t omb1 = sub(TVEC_F32_ONE, hp->beta1), omb2 = sub(TVEC_F32_ONE, hp->beta2);
  uint32_t ib1 = tnum_f32_recip(bc1);
  uint32_t ib2 = tnum_f32_recip(bc2);
  uint32_t nlr = neg(hp->lr);
  for (uint32_t a = 0; a < count; a++) {
    uint32_t w1 = tnum_f32_mul(w[a], cwd);
    uint32_t mn = tnum_f32_fma(hp->beta1, m[a], tnum_f32_mul(omb1, g[a]));
    uint32_t vn = tnum_f32_fma(hp->beta2, v[a], tnum_f32_mul(omb2, tnum_f32_mul(g[a], g[a])));
    uint32_t mh = tnum_f32_mul(mn, ib1), vh = tnum_f32_mul(vn, ib2);
    uint32_t sq = (vh & 0x7fffffffu) == 0 ? 0 : tnum_f32_mul(vh, tnum_f32_rsqrt(vh));
    uint32_t den = tnum_f32_add(sq, hp->eps);
    uint32_t up = tnum_f32_mul(mh, tnum_f32_recip(den));
    w[a] = tnum_f32_fma(nlr, up, w1);
    m[a] = mn, v[a] = vn;
    if (wbf16) wbf16[a] = tnum_f32_to_bf16(w[a]);
  }
}

/* --- Epilogue ------------------------------------------------------------------------------- */

void tvec_epilogue_apply(const struct tvec_epilogue *ep, const uint32_t *acc, uint32_t *out, uint32_t m, uint32_t n) {
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < n; c++) {
      size_t o = (size_t)t * n + c;
      uint32_t z = acc[o];
      if (ep->bias) z = tnum_f32_add(z, ep->bias[c]);
      if (ep->act == TVEC_ACT_GELU) z = tnum_f32_gelu(z);
      if (ep->residual) z = tnum_f32_add(z, ep->residual[o]);
      z = tnum_f32_mul(z, ep->scale);
      if (ep->cast == TVEC_CAST_BF16) z = tnum_bf16_to_f32(tnum_f32_to_bf16(z));
      out[o] = z;
    }
}
