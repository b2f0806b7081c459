/* ttile_cm_exec (ttile_exec.h): one descriptor run on a tile's memories, loaded the way the DMA
 * engine loads them (docs/chip.md, "DMA": bank endpoints, broadcast, wload). Every word of the
 * tile's memories is compared afterwards: the results with the token-major functional models
 * (ttile_fn_*, tvec_*) on the same data, every other word with its value before the run. The
 * linear kernels' counters equal ttile_cm_run's for the same single-pass job; every error code is
 * raised with nothing written. Preset: the build's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tessera/numerics.h"
#include "tessera/sparse.h"
#include "tsim_tile.h"
#include "ttile.h"
#include "ttile_exec.h"
#include "ttile_fn.h"
#include "tvec_fn.h"

enum { L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, S = TESSERA_CFG_SUB_BANKS };
#define BANK TESSERA_CFG_LANE_BANK_WORDS
#define KERNEL(name) TESSERA_TILE_KERNEL_##name

static uint64_t rng = 11;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
/* A float in about [-r, r] with 12 significant bits, never zero. */
static uint32_t rnd_f(float r) { return f2u(((float)(rnd() % 4096) - 2047.5f) / 2048.0f * r); }
static uint32_t rnd_bf16(void) { return rnd_f(2.0f) & 0xffff0000u; }

/* A tile whose every word holds junk: whatever a run does not write must keep it. */
static struct ttile_state *state_new(void) {
  struct ttile_state *ts = malloc(sizeof *ts);
  assert_non_null(ts);
  uint32_t *w = (uint32_t *)ts;
  for (size_t a = 0; a < sizeof *ts / 4; a++) w[a] = rnd();
  return ts;
}
static struct ttile_state *state_copy(const struct ttile_state *ts) {
  struct ttile_state *c = malloc(sizeof *c);
  assert_non_null(c);
  memcpy(c, ts, sizeof *c);
  return c;
}

/* DMA bank endpoint as destination (docs/chip.md): row r of `rows` rows of `words` words goes to
 * lane (lane0 + r) mod L at words a + q * stride / 4 .., q = (lane0 + r) div L. */
static void dma_to_bank(struct ttile_state *ts, uint32_t a, uint32_t stride_bytes, uint32_t lane0, uint32_t rows,
                        uint32_t words, const uint32_t *src) {
  for (uint32_t r = 0; r < rows; r++) {
    uint32_t l = (lane0 + r) % L, q = (lane0 + r) / L;
    for (uint32_t j = 0; j < words; j++) ts->bank[l][a + q * (stride_bytes / 4) + j] = src[(size_t)r * words + j];
  }
}
/* The same, bank to a token-major array. */
static void dma_from_bank(const struct ttile_state *ts, uint32_t a, uint32_t stride_bytes, uint32_t rows,
                          uint32_t words, uint32_t *dst) {
  for (uint32_t r = 0; r < rows; r++)
    for (uint32_t j = 0; j < words; j++) dst[(size_t)r * words + j] = ts->bank[r % L][a + (r / L) * (stride_bytes / 4) + j];
}
/* Broadcast: row r to every lane at word a + r * stride / 4. */
static void dma_broadcast(struct ttile_state *ts, uint32_t a, uint32_t words, const uint32_t *src) {
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t j = 0; j < words; j++) ts->bank[l][a + j] = src[j];
}
/* wload: the stream's groups zipped with their bf16 values into entries 0, 1, ... */
static void dma_wload(struct ttile_state *ts, const struct tsp_stream *st, const uint16_t *wv) {
  for (uint32_t g = 0; g < st->ngroups; g++) {
    ts->wb_hdr[g] = (uint32_t)st->row[g] | (uint32_t)st->flags[g] << 16;
    for (uint32_t a = 0; a < P; a++) ts->wb_slot[g][a] = (uint32_t)st->col[(size_t)g * P + a] << 16 | wv[(size_t)g * P + a];
  }
}

/* Every word of got equals want; the first difference is named. */
static void expect_state(const struct ttile_state *got, const struct ttile_state *want, const char *what) {
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t a = 0; a < BANK; a++)
      if (got->bank[l][a] != want->bank[l][a])
        fail_msg("%s: lane %u word %u is %08x, want %08x", what, l, a, got->bank[l][a], want->bank[l][a]);
  for (uint32_t g = 0; g < TTILE_GROUPS; g++)
    for (uint32_t a = 0; a < P; a++)
      if (got->gbuf[g][a] != want->gbuf[g][a])
        fail_msg("%s: gbuf %u slot %u is %08x, want %08x", what, g, a, got->gbuf[g][a], want->gbuf[g][a]);
  if (memcmp(got->wb_hdr, want->wb_hdr, sizeof got->wb_hdr) || memcmp(got->wb_slot, want->wb_slot, sizeof got->wb_slot))
    fail_msg("%s: the weight buffer changed", what);
}

static uint32_t tpl_of(uint32_t ntok) { return (ntok + L - 1) / L; }

/* --- Linear kernels ----------------------------------------------------------------------------- */

struct lin {
  uint32_t m, k, n, kin; /* tokens; Y's offset k (kin columns of W used); n outputs */
  uint8_t *mask;
  struct tsp_stream st;
  uint16_t *wv;
  uint32_t *x, *dy;
};

/* W is n x kin with some rows empty; the stream's k is the descriptor's k (columns < kin). */
static void lin_make(struct lin *p, uint32_t m, uint32_t kin, uint32_t k, uint32_t n, double density) {
  p->m = m, p->k = k, p->n = n, p->kin = kin;
  p->mask = malloc((size_t)n * kin);
  assert_int_equal(tsp_mask_random(p->mask, n, kin, density, rnd()), TSP_OK);
  for (uint32_t i = 1; i < n; i += 3) memset(p->mask + (size_t)i * kin, 0, kin); /* rows without a group */
  assert_int_equal(tsp_stream_build(&p->st, p->mask, n, kin, P, S, 1), TSP_OK);
  p->st.k = k;
  p->wv = malloc(sizeof *p->wv * ((size_t)p->st.ngroups * P + 1));
  for (size_t a = 0; a < (size_t)p->st.ngroups * P; a++) p->wv[a] = p->st.col[a] == TSP_EMPTY ? 0 : (uint16_t)(rnd_bf16() >> 16);
  p->x = malloc(sizeof *p->x * m * k);
  p->dy = malloc(sizeof *p->dy * m * n);
  for (size_t a = 0; a < (size_t)m * k; a++) p->x[a] = rnd_bf16();
  for (size_t a = 0; a < (size_t)m * n; a++) p->dy[a] = rnd_bf16();
}
static void lin_free(struct lin *p) {
  p->st.k = p->kin;
  tsp_stream_free(&p->st);
  free(p->mask), free(p->wv), free(p->x), free(p->dy);
}

/* One linear run; expected state from ttile_fn_*; counters against ttile_cm_run (when kin == k). */
static void check_linear(uint32_t code, uint32_t m, uint32_t kin, uint32_t k, uint32_t n, uint32_t flags) {
  struct lin p;
  lin_make(&p, m, kin, k, n, 0.4);
  uint32_t kn = k + n, tpl = tpl_of(m);
  assert_true(tpl * kn <= BANK && p.st.ngroups <= TTILE_GROUPS && tpl <= TESSERA_CFG_ACC_DEPTH);
  struct ttile_state *ts = state_new();
  /* Rows: X (or dX) at 0, Y (or dY) at k; a residual at kin when it fits before Y. */
  dma_to_bank(ts, 0, 4 * kn, 0, m, k, p.x);
  if (code != KERNEL(FWD)) dma_to_bank(ts, k, 4 * kn, 0, m, n, p.dy);
  dma_wload(ts, &p.st, p.wv);
  for (uint32_t g = 0; g < p.st.ngroups; g++)
    for (uint32_t a = 0; a < P; a++)
      if (p.st.col[(size_t)g * P + a] == TSP_EMPTY && (g & 1)) ts->gbuf[g][a] = 0x80000000u; /* -0 becomes +0 */
  uint32_t *bias = malloc(4 * n), *res = malloc(4 * (size_t)m * n);
  for (uint32_t i = 0; i < n; i++) bias[i] = rnd_f(1.0f);
  for (size_t a = 0; a < (size_t)m * n; a++) res[a] = rnd_f(3.0f);
  struct ttile_desc d = {.kernel = code | flags, .k = k, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = p.st.ngroups};
  if (flags & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) {
    d.param = tpl * kn + rnd() % (BANK - tpl * kn - n + 1);
    dma_broadcast(ts, d.param, n, bias);
  }
  if (flags & TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK) {
    assert_true(k >= kin + n);
    d.off_a = kin;
    dma_to_bank(ts, kin, 4 * kn, 0, m, n, res);
  }
  d.s[0] = rnd_f(2.0f);
  struct ttile_state *want = state_copy(ts);

  uint32_t *y = malloc(4 * (size_t)m * n), *dx = malloc(4 * (size_t)m * k), *dwv = malloc(4 * ((size_t)p.st.ngroups * P + 1));
  uint8_t *has = calloc(n, 1);
  for (uint32_t g = 0; g < p.st.ngroups; g++) has[p.st.row[g]] = 1;
  if (code == KERNEL(FWD)) {
    uint32_t *y0 = malloc(4 * (size_t)m * n);
    dma_from_bank(ts, k, 4 * kn, m, n, y0); /* rows of W without a group keep these */
    dma_from_bank(ts, 0, 4 * kn, m, k, dx);  /* X as the tile sees it (the residual included) */
    ttile_fn_fwd(&p.st, p.wv, dx, m, y);
    for (uint32_t t = 0; t < m; t++)
      for (uint32_t i = 0; i < n; i++)
        if (!has[i]) y[(size_t)t * n + i] = y0[(size_t)t * n + i];
    if (flags) {
      struct tvec_epilogue ep = {
          .bias = (flags & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) ? bias : NULL,
          .act = (flags & TESSERA_TILE_KERNEL_EPI_GELU_MASK) ? TVEC_ACT_GELU : TVEC_ACT_NONE,
          .residual = (flags & TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK) ? res : NULL,
          .scale = (flags & TESSERA_TILE_KERNEL_EPI_SCALE_MASK) ? d.s[0] : TVEC_F32_ONE,
          .cast = (flags & TESSERA_TILE_KERNEL_CAST_BF16_MASK) ? TVEC_CAST_BF16 : TVEC_CAST_F32};
      tvec_epilogue_apply(&ep, y, y, m, n);
    }
    dma_to_bank(want, k, 4 * kn, 0, m, n, y);
    free(y0);
  } else if (code == KERNEL(BWD_DATA)) {
    memcpy(dx, p.x, 4 * (size_t)m * k);
    ttile_fn_bwd_data(&p.st, p.wv, p.dy, m, dx);
    dma_to_bank(want, 0, 4 * kn, 0, m, k, dx);
  } else {
    for (uint32_t g = 0; g < p.st.ngroups; g++) memcpy(dwv + (size_t)g * P, ts->gbuf[g], 4 * P);
    ttile_fn_bwd_weight(&p.st, p.dy, p.x, m, L, tpl, dwv);
    for (uint32_t g = 0; g < p.st.ngroups; g++)
      for (uint32_t a = 0; a < P; a++)
        want->gbuf[g][a] = p.st.col[(size_t)g * P + a] == TSP_EMPTY ? tnum_f32_add(ts->gbuf[g][a], 0) : dwv[(size_t)g * P + a];
  }

  struct ttile_counters c;
  assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  char what[96];
  snprintf(what, sizeof what, "kernel %u flags %x m=%u k=%u n=%u", code, flags, m, k, n);
  expect_state(ts, want, what);
  assert_int_equal(c.cycles, c.busy);
  if (!flags && kin == k) {
    /* The same job through ttile_cm_run: one pass (tpl tokens per lane), one chunk. */
    assert_int_equal(ttile_pass_d((enum ttile_kernel)code, m, k, n), tpl);
    struct ttile_job job = {.kernel = (enum ttile_kernel)code, .st = &p.st, .wv = p.wv, .m = m, .x = p.x, .dy = p.dy};
    uint32_t *out = calloc((size_t)m * (k + n) + (size_t)p.st.ngroups * P + 1, 4);
    job.y = job.dx = job.dwv = out;
    struct ttile_counters r;
    char err[200] = "";
    assert_int_equal(ttile_cm_run(&job, &r, err, sizeof err), 0);
    assert_memory_equal(&c, &r, sizeof c);
    free(out);
  } else {
    assert_true(c.busy > 0 && c.stall_memory < c.busy);
  }
  free(y), free(dx), free(dwv), free(has), free(bias), free(res);
  free(ts), free(want);
  lin_free(&p);
}

static void linear_kernels(void **state) {
  (void)state;
  static const uint32_t shapes[][3] = {/* m, k, n */
                                       {3 * L + 1, 20, 12}, {5, 37, 9}, {2 * L, 16, 16}, {1, 7, 3}, {L - 1, S + 3, 2 * S + 1}};
  for (uint32_t code = 0; code <= KERNEL(BWD_WEIGHT); code++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      check_linear(code, shapes[s][0], shapes[s][1], shapes[s][1], shapes[s][2], 0);
}

static void fwd_epilogue(void **state) {
  (void)state;
  const uint32_t B = TESSERA_TILE_KERNEL_EPI_BIAS_MASK, G = TESSERA_TILE_KERNEL_EPI_GELU_MASK,
                 R = TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK, SC = TESSERA_TILE_KERNEL_EPI_SCALE_MASK,
                 C = TESSERA_TILE_KERNEL_CAST_BF16_MASK;
  const uint32_t sets[] = {B, G, SC, C, B | G, B | G | R | SC | C, R | C, B | R};
  for (size_t a = 0; a < sizeof sets / sizeof sets[0]; a++) {
    check_linear(KERNEL(FWD), L + 3, 13, 13 + 11, 11, sets[a]);
    check_linear(KERNEL(FWD), 2 * L, 8, 8 + 5, 5, sets[a]);
  }
}

/* --- Vector kernels ----------------------------------------------------------------------------- */

/* Operands A, B, C, D at region offsets oa.. (cols words each), kn words a region. */
struct vcase {
  uint32_t code, flags, ntok, cols, kn, oa, ob, oc, od, param, row0, s1;
};

static uint32_t *rows_of(uint32_t ntok, uint32_t cols, float r) {
  uint32_t *v = malloc(4 * ((size_t)ntok * cols + 1));
  for (size_t a = 0; a < (size_t)ntok * cols; a++) v[a] = rnd_f(r);
  return v;
}

static void check_vector(const struct vcase *vc) {
  uint32_t m = vc->ntok, cols = vc->cols, kn = vc->kn, tpl = tpl_of(m), stride = 4 * kn;
  size_t cnt = (size_t)m * cols;
  struct ttile_state *ts = state_new();
  struct ttile_desc d = {.kernel = vc->code | vc->flags, .kn = kn, .ntok = m, .tpl = tpl, .cols = cols,
                         .off_a = vc->oa, .off_b = vc->ob, .off_c = vc->oc, .off_d = vc->od, .param = vc->param,
                         .row0 = vc->row0};
  uint32_t *a = rows_of(m, cols, vc->code == KERNEL(SOFTMAX_FWD) || vc->code >= KERNEL(XENT_FWD) ? 6.0f : 3.0f);
  uint32_t *b = rows_of(m, cols, 2.0f), *c = rows_of(m, cols, 1.0f), *dd = rows_of(m, cols, 1.0f);
  uint32_t *out = calloc(cnt + 1, 4), *out2 = calloc(cnt + 1, 4), *lab = calloc(m, 4), *scal = calloc(2 * (size_t)m + 1, 4);
  uint32_t *par = rows_of(3, cols, 1.5f);
  dma_to_bank(ts, vc->oa, stride, 0, m, cols, a);
  struct ttile_state *want = NULL;
  switch (vc->code) {
  case KERNEL(GELU_FWD):
    tvec_gelu_fwd(a, out, (uint32_t)cnt);
    want = state_copy(ts), dma_to_bank(want, vc->ob, stride, 0, m, cols, out);
    break;
  case KERNEL(GELU_BWD):
    dma_to_bank(ts, vc->ob, stride, 0, m, cols, b);
    tvec_gelu_bwd(a, b, out, (uint32_t)cnt);
    want = state_copy(ts), dma_to_bank(want, vc->oc, stride, 0, m, cols, out);
    break;
  case KERNEL(ADD):
    dma_to_bank(ts, vc->ob, stride, 0, m, cols, b);
    dma_from_bank(ts, vc->oa, stride, m, cols, a); /* B may be A itself */
    tvec_residual_add(a, b, out, (uint32_t)cnt);
    want = state_copy(ts), dma_to_bank(want, vc->oc, stride, 0, m, cols, out);
    break;
  case KERNEL(SCALE):
    d.s[0] = rnd_f(4.0f);
    tvec_scale(a, d.s[0], out, (uint32_t)cnt);
    want = state_copy(ts), dma_to_bank(want, vc->ob, stride, 0, m, cols, out);
    break;
  case KERNEL(SOFTMAX_FWD):
    d.s[1] = vc->s1;
    tvec_softmax_fwd(a, out, m, cols, vc->flags != 0, (int32_t)(vc->row0 + vc->s1));
    want = state_copy(ts), dma_to_bank(want, vc->ob, stride, 0, m, cols, out);
    break;
  case KERNEL(SOFTMAX_BWD): {
    d.s[1] = vc->s1;
    tvec_softmax_fwd(a, a, m, cols, vc->flags != 0, (int32_t)(vc->row0 + vc->s1)); /* A: probabilities */
    dma_to_bank(ts, vc->oa, stride, 0, m, cols, a);
    dma_to_bank(ts, vc->ob, stride, 0, m, cols, b);
    tvec_softmax_bwd(a, b, out, m, cols, vc->flags != 0, (int32_t)(vc->row0 + vc->s1));
    want = state_copy(ts), dma_to_bank(want, vc->oc, stride, 0, m, cols, out);
    break;
  }
  case KERNEL(LAYERNORM_FWD):
    d.s[0] = f2u(1e-5f), d.s[1] = tvec_recip_u32(cols);
    dma_broadcast(ts, vc->param, cols, par);
    dma_broadcast(ts, vc->param + cols, cols, par + cols);
    tvec_layernorm_fwd(a, par, par + cols, d.s[0], out, scal, scal + m, m, cols);
    want = state_copy(ts), dma_to_bank(want, vc->ob, stride, 0, m, cols, out);
    for (uint32_t r = 0; r < m; r++) {
      want->bank[r % L][(r / L) * kn + vc->oc] = scal[r];
      want->bank[r % L][(r / L) * kn + vc->oc + 1] = scal[m + r];
    }
    break;
  case KERNEL(LAYERNORM_BWD): {
    /* x, dY and the statistics of the forward; gamma, and dgamma, dbeta holding earlier sums
     * (every lane the same copies, as DMA broadcasts them). */
    d.s[1] = tvec_recip_u32(cols);
    tvec_layernorm_fwd(a, par, par + cols, f2u(1e-5f), out, scal, scal + m, m, cols);
    dma_to_bank(ts, vc->ob, stride, 0, m, cols, b);
    for (uint32_t r = 0; r < m; r++) {
      ts->bank[r % L][(r / L) * kn + vc->od] = scal[r];
      ts->bank[r % L][(r / L) * kn + vc->od + 1] = scal[m + r];
    }
    for (uint32_t i = 0; i < 3; i++) dma_broadcast(ts, vc->param + i * cols, cols, par + i * cols);
    tvec_layernorm_bwd(b, a, scal, scal + m, par, out, par + cols, par + 2 * cols, m, cols);
    want = state_copy(ts), dma_to_bank(want, vc->oc, stride, 0, m, cols, out);
    dma_broadcast(want, vc->param + cols, cols, par + cols);
    dma_broadcast(want, vc->param + 2 * cols, cols, par + 2 * cols);
    break;
  }
  case KERNEL(XENT_FWD):
  case KERNEL(XENT_BWD):
    for (uint32_t r = 0; r < m; r++) lab[r] = rnd() % cols;
    dma_to_bank(ts, vc->oc, stride, 0, m, 1, lab);
    if (vc->code == KERNEL(XENT_FWD)) {
      assert_int_equal(tvec_cross_entropy_fwd(a, lab, out, m, cols), TVEC_OK);
      want = state_copy(ts), dma_to_bank(want, vc->od, stride, 0, m, 1, out);
    } else {
      d.s[0] = tvec_recip_u32(m);
      assert_int_equal(tvec_cross_entropy_bwd(a, lab, d.s[0], out, m, cols), TVEC_OK);
      want = state_copy(ts), dma_to_bank(want, vc->ob, stride, 0, m, cols, out);
    }
    break;
  default: { /* adamw */
    struct tvec_adamw hp = {.lr = f2u(1e-3f), .beta1 = f2u(0.9f), .beta2 = f2u(0.999f), .eps = f2u(1e-8f),
                            .weight_decay = f2u(0.01f), .step = 1 + rnd() % 50};
    for (size_t e = 0; e < cnt; e++) dd[e] &= 0x7fffffffu, dd[e] = e % 7 ? dd[e] : 0; /* v >= 0, some zeros */
    dma_to_bank(ts, vc->ob, stride, 0, m, cols, b);
    dma_to_bank(ts, vc->oc, stride, 0, m, cols, c);
    dma_to_bank(ts, vc->od, stride, 0, m, cols, dd);
    d.s[0] = hp.lr, d.s[1] = hp.beta1, d.s[2] = hp.beta2, d.s[3] = hp.eps, d.s[4] = hp.weight_decay;
    d.s[5] = tvec_bias_correction(hp.beta1, hp.step), d.s[6] = tvec_bias_correction(hp.beta2, hp.step);
    uint16_t *wb = malloc(2 * (cnt + 1));
    assert_int_equal(tvec_adamw_update(&hp, a, b, c, dd, wb, (uint32_t)cnt), TVEC_OK);
    for (size_t e = 0; e < cnt; e++) out[e] = (uint32_t)wb[e] << 16;
    want = state_copy(ts);
    dma_to_bank(want, vc->oa, stride, 0, m, cols, a);
    dma_to_bank(want, vc->oc, stride, 0, m, cols, c);
    dma_to_bank(want, vc->od, stride, 0, m, cols, dd);
    dma_to_bank(want, vc->param, stride, 0, m, cols, out);
    free(wb);
    break;
  }
  }
  struct ttile_counters ctr;
  char what[128];
  snprintf(what, sizeof what, "kernel %u flags %x ntok=%u cols=%u kn=%u", vc->code, vc->flags, m, cols, kn);
  int rc = ttile_cm_exec(ts, &d, &ctr);
  if (rc) fail_msg("%s: status %d", what, rc);
  expect_state(ts, want, what);
  assert_int_equal(ctr.cycles, ctr.busy);
  assert_true(ctr.busy > (uint64_t)cols * tpl && ctr.stall_memory < ctr.busy && ctr.macs == 0);
  free(a), free(b), free(c), free(dd), free(out), free(out2), free(lab), free(scal), free(par);
  free(ts), free(want);
}

static void vector_kernels(void **state) {
  (void)state;
  const uint32_t ntoks[] = {1, L + 3, 3 * L, 2 * L - 1, 5};
  const uint32_t colss[] = {1, 7, S + 3, 33, 2 * S};
  for (uint32_t code = KERNEL(GELU_FWD); code <= KERNEL(EMBED_BWD); code++)
    for (size_t i = 0; i < sizeof ntoks / sizeof ntoks[0] && code != KERNEL(EMBED_BWD); i++) {
      uint32_t m = ntoks[i], cols = colss[i];
      /* A, B, C, D apart, with a gap; the stats / label / loss words after them. */
      uint32_t kn = 4 * cols + 5, tpl = tpl_of(m);
      struct vcase vc = {code, 0, m, cols, kn, 1, cols + 2, 2 * cols + 3, 3 * cols + 4, tpl * kn + 3, 0, 0};
      if (code == KERNEL(LAYERNORM_FWD) || code == KERNEL(XENT_FWD) || code == KERNEL(XENT_BWD))
        vc.oc = 2 * cols + 3, vc.od = 2 * cols + 4; /* one word each */
      if (code == KERNEL(ADAMW)) vc.kn = kn = 5 * cols + 5, vc.param = 4 * cols + 5;
      if (code == KERNEL(LAYERNORM_FWD) && vc.param + 2 * cols > BANK) continue;
      if (code == KERNEL(LAYERNORM_BWD) && vc.param + 3 * cols > BANK) continue;
      check_vector(&vc);
      /* In place where the kernel allows it (the result over its first operand). */
      if (code == KERNEL(GELU_FWD) || code == KERNEL(SCALE) || code == KERNEL(SOFTMAX_FWD) || code == KERNEL(XENT_BWD) ||
          code == KERNEL(LAYERNORM_FWD))
        vc.ob = vc.oa, check_vector(&vc);
      if (code == KERNEL(ADD) || code == KERNEL(GELU_BWD) || code == KERNEL(SOFTMAX_BWD)) vc.oc = vc.ob, check_vector(&vc);
      if (code == KERNEL(ADD)) vc.ob = vc.oc = vc.oa, check_vector(&vc);
    }
  /* Causal softmax: row r keeps c <= row0 + r + s1, fully masked rows included (s1 < 0). */
  const int32_t offs[] = {0, -3, 5, -40};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
    for (uint32_t code = KERNEL(SOFTMAX_FWD); code <= KERNEL(SOFTMAX_BWD); code++) {
      uint32_t m = 2 * L + 3, cols = 2 * L + 5, kn = 3 * cols + 1;
      struct vcase vc = {code, TESSERA_TILE_KERNEL_CAUSAL_MASK, m, cols, kn, 0, cols, 2 * cols, 0, 0, (uint32_t)i * 7,
                         (uint32_t)offs[i]};
      check_vector(&vc);
    }
}

/* --- embed_bwd ------------------------------------------------------------------------------------
 * A table dT [v][cols] of earlier sums; m tokens with ids (mode 0: uniform over the vocabulary,
 * 1: all the same id, 2: ids in the first 3 rows) and dY rows. The table is run in slices of at
 * most `slice` rows (run rows = table rows row0 .., the ids and dY broadcast to every lane), one
 * run per slice on the same tile; every slice's rows must equal tvec_embedding_bwd on the whole
 * table, bit for bit, and nothing else may change. */
static void check_embed(uint32_t v, uint32_t slice, uint32_t m, uint32_t cols, int mode) {
  uint32_t *tab = malloc(4 * ((size_t)v * cols + 1)), *ids = malloc(4 * (size_t)m), *dy = malloc(4 * (size_t)m * cols);
  assert_true(tab && ids && dy);
  for (size_t a = 0; a < (size_t)v * cols; a++) tab[a] = rnd_f(1.0f);
  for (size_t a = 0; a < (size_t)m * cols; a++) dy[a] = rnd_f(2.0f);
  uint32_t same = rnd() % v;
  for (uint32_t t = 0; t < m; t++) ids[t] = mode == 0 ? rnd() % v : mode == 1 ? same : rnd() % (v < 3 ? v : 3);
  for (uint32_t row0 = 0; row0 < v; row0 += slice) {
    uint32_t nt = v - row0 < slice ? v - row0 : slice, tpl = tpl_of(nt), kn = cols + 2, stride = 4 * kn;
    struct ttile_state *ts = state_new();
    struct ttile_desc d = {.kernel = KERNEL(EMBED_BWD), .kn = kn, .ntok = nt, .tpl = tpl, .cols = cols, .off_a = 1,
                           .param = tpl * kn + 1, .k = m, .row0 = row0, .s = {v}};
    assert_true(d.param + m + (size_t)m * cols <= BANK);
    dma_to_bank(ts, 1, stride, 0, nt, cols, tab + (size_t)row0 * cols);
    dma_broadcast(ts, d.param, m, ids);
    dma_broadcast(ts, d.param + m, m * cols, dy);
    uint32_t *want_tab = malloc(4 * ((size_t)v * cols + 1));
    memcpy(want_tab, tab, 4 * (size_t)v * cols);
    assert_int_equal(tvec_embedding_bwd(dy, ids, want_tab, m, v, cols), TVEC_OK);
    struct ttile_state *want = state_copy(ts);
    dma_to_bank(want, 1, stride, 0, nt, cols, want_tab + (size_t)row0 * cols);
    struct ttile_counters ctr;
    char what[128];
    snprintf(what, sizeof what, "embed_bwd v=%u rows %u..%u m=%u cols=%u mode %d", v, row0, row0 + nt - 1, m, cols, mode);
    int rc = ttile_cm_exec(ts, &d, &ctr);
    if (rc) fail_msg("%s: status %d", what, rc);
    expect_state(ts, want, what);
    /* One id load per token, one micro-op, five per token and column, each held max(tpl, 9). */
    uint64_t hold = tpl > 9 ? tpl : 9, uops = m + 1 + 5ull * m * cols;
    assert_int_equal(ctr.cycles, uops * hold + 1);
    assert_int_equal(ctr.stall_memory, uops * (hold - tpl) + 1);
    free(want_tab), free(want), free(ts);
  }
  free(tab), free(ids), free(dy);
}

static void embed_bwd(void **state) {
  (void)state;
  check_embed(L + 3, L + 3, 2 * L + 1, 7, 0);  /* ragged: rows not a multiple of L */
  check_embed(50, 3 * L, 40, 5, 0);            /* the vocabulary in slices */
  check_embed(2 * L - 1, 2 * L - 1, 3 * L, S + 1, 1); /* every token the same id */
  check_embed(3, 3, 60, 4, 1);                 /* a tiny vocabulary: 60 tokens on one row */
  check_embed(4, 4, 45, 3, 2);                 /* ids in 3 rows, a row without tokens */
  check_embed(10 * L + 1, 10 * L + 1, 3, 2, 0); /* hold 11 */
  check_embed(1, 1, 1, 1, 0);
}

/* A label outside its row in a row past ntok is not the run's business. */
static void labels_of_other_rows_are_ignored(void **state) {
  (void)state;
  uint32_t m = L + 1, cols = 9, kn = 12;
  struct vcase vc = {KERNEL(XENT_FWD), 0, m, cols, kn, 0, 0, 10, 11, 0, 0, 0};
  check_vector(&vc); /* junk in the labels of rows m .. 2L-1 of entry 1 (state_new) */
}

/* --- Errors ------------------------------------------------------------------------------------- */

static void expect_code(struct ttile_state *ts, const struct ttile_desc *d, int code, const char *what) {
  struct ttile_state *before = state_copy(ts);
  struct ttile_counters c;
  memset(&c, 0xa5, sizeof c);
  int rc = ttile_cm_exec(ts, d, &c);
  if (rc != code) fail_msg("%s: status %d, want %d", what, rc, code);
  expect_state(ts, before, what);
  /* 2 and 3: refused at the start; 4: the vector unit's first section loads the labels (two
   * micro-ops held max(tpl, 9) cycles), the next cycle checks them, one more ends the run. */
  uint64_t hold = d->tpl > 9 ? d->tpl : 9, n = (d->kernel & TESSERA_TILE_KERNEL_CODE_MASK) == KERNEL(EMBED_BWD) ? d->k + 1 : 2;
  assert_int_equal(c.cycles, code == 4 ? n * hold + 2 : 1);
  assert_int_equal(c.busy, c.cycles);
  assert_int_equal(c.macs, 0);
  free(before);
}

static void errors(void **state) {
  (void)state;
  struct ttile_state *ts = state_new();
  struct ttile_counters c;
  assert_int_equal(ttile_cm_exec(NULL, &(struct ttile_desc){0}, &c), -1);
  assert_int_equal(ttile_cm_exec(ts, NULL, &c), -1);
  assert_int_equal(ttile_cm_exec(ts, &(struct ttile_desc){0}, NULL), -1);

  const uint32_t cols = 10, m = L + 2, tpl = 2, kn = 40;
  struct ttile_desc add = {.kernel = KERNEL(ADD), .kn = kn, .ntok = m, .tpl = tpl, .cols = cols, .off_a = 0, .off_b = 10, .off_c = 20};
  struct ttile_desc d = add;
  assert_int_equal(ttile_cm_exec(ts, &d, &c), 0); /* the reference descriptor runs */

  d.kernel = TESSERA_TILE_KERNEL_COUNT, expect_code(ts, &d, 2, "the first unknown kernel");
  d.kernel = TESSERA_TILE_KERNEL_CODE_MASK, expect_code(ts, &d, 2, "kernel 31");

  d = add, d.ntok = 0, expect_code(ts, &d, 3, "ntok 0");
  d = add, d.tpl = 3, expect_code(ts, &d, 3, "tpl too large");
  d = add, d.tpl = 1, expect_code(ts, &d, 3, "tpl too small");
  d = add, d.ntok = 0x10000, d.tpl = 0x10000 / L, expect_code(ts, &d, 3, "ntok beyond 16 bits");
  d = add, d.ntok = L * (TESSERA_CFG_ACC_DEPTH + 1), d.tpl = TESSERA_CFG_ACC_DEPTH + 1, d.kn = 12;
  expect_code(ts, &d, 3, "tpl above acc_depth");
  d = add, d.kn = BANK / 2 + 1, d.off_c = BANK / 2 + 1 - cols, expect_code(ts, &d, 3, "regions beyond the bank");
  d = add, d.kn = 0, expect_code(ts, &d, 3, "kn 0");
  d = add, d.cols = 0, expect_code(ts, &d, 3, "cols 0");
  d = add, d.off_c = kn - cols + 1, expect_code(ts, &d, 3, "operand beyond its region");
  d = add, d.off_c = 5, expect_code(ts, &d, 3, "partly overlapping operands");
  d = add, d.off_b = 0xfffffff0u, expect_code(ts, &d, 3, "offset wrapping around");

  struct ttile_desc ln = {.kernel = KERNEL(LAYERNORM_FWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = cols, .off_a = 0,
                          .off_b = 10, .off_c = 20, .param = tpl * kn};
  d = ln, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  d = ln, d.param = tpl * kn - 1, expect_code(ts, &d, 3, "param inside the regions");
  d = ln, d.param = BANK - 2 * cols + 1, expect_code(ts, &d, 3, "param beyond the bank");
  d = ln, d.off_c = 9, expect_code(ts, &d, 3, "stats over A");
  d = ln, d.off_c = kn - 1, expect_code(ts, &d, 3, "stats beyond the region");

  struct ttile_desc lb = {.kernel = KERNEL(LAYERNORM_BWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = cols, .off_a = 0,
                          .off_b = 10, .off_c = 20, .off_d = 30, .param = tpl * kn, .s = {0, tvec_recip_u32(cols)}};
  d = lb, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  d = lb, d.off_b = 0, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0); /* dY = x: the same words are fine */
  d = lb, d.off_c = 0, expect_code(ts, &d, 3, "layernorm_bwd dX over x");
  d = lb, d.off_c = 11, expect_code(ts, &d, 3, "layernorm_bwd dX over dY");
  d = lb, d.off_d = 29, expect_code(ts, &d, 3, "layernorm_bwd stats over dX");
  d = lb, d.off_d = kn - 1, expect_code(ts, &d, 3, "layernorm_bwd stats beyond the region");
  d = lb, d.param = tpl * kn - 1, expect_code(ts, &d, 3, "layernorm_bwd param inside the regions");
  d = lb, d.param = BANK - 3 * cols + 1, expect_code(ts, &d, 3, "layernorm_bwd dbeta beyond the bank");

  /* embed_bwd: k = 3 tokens, ids at param, dY rows after them; vocabulary s0 = 50. */
  struct ttile_desc eb = {.kernel = KERNEL(EMBED_BWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = cols, .off_a = 4,
                          .param = tpl * kn, .k = 3, .s = {50}};
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t t = 0; t < 3; t++) ts->bank[l][eb.param + t] = 49 - t;
  d = eb, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  d = eb, d.k = 0, expect_code(ts, &d, 3, "embed_bwd without tokens");
  d = eb, d.off_a = kn - cols + 1, expect_code(ts, &d, 3, "embed_bwd rows beyond the region");
  d = eb, d.param = tpl * kn - 1, expect_code(ts, &d, 3, "embed_bwd ids inside the regions");
  d = eb, d.param = BANK - 3 - 3 * cols + 1, expect_code(ts, &d, 3, "embed_bwd dY beyond the bank");
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t t = 0; t < 3; t++) ts->bank[l][BANK - 3 - 3 * cols + t] = t;
  d = eb, d.param = BANK - 3 - 3 * cols, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0); /* dY ends at the bank's end */
  d = eb, d.s[0] = 49, expect_code(ts, &d, 4, "embed_bwd id = vocabulary");
  d = eb, d.s[0] = 0, expect_code(ts, &d, 4, "embed_bwd vocabulary 0");
  ts->bank[1][eb.param + 2] = 0xffffffffu; /* lane 1 holds rows; its copy is checked */
  d = eb, expect_code(ts, &d, 4, "embed_bwd id -1 in lane 1's copy");
  d = eb, d.ntok = 1, d.tpl = 1, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0); /* lane 1 has no row */

  /* Labels: valid rows hold labels < cols except one. */
  struct ttile_desc xe = {.kernel = KERNEL(XENT_FWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = cols, .off_a = 0,
                          .off_c = 30, .off_d = 31};
  for (uint32_t r = 0; r < m; r++) ts->bank[r % L][(r / L) * kn + 30] = r % cols;
  d = xe, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  ts->bank[(m - 1) % L][((m - 1) / L) * kn + 30] = cols;
  d = xe, expect_code(ts, &d, 4, "xent_fwd label = cols");
  d = xe, d.kernel = KERNEL(XENT_BWD), d.off_b = 10, expect_code(ts, &d, 4, "xent_bwd label = cols");
  ts->bank[(m - 1) % L][((m - 1) / L) * kn + 30] = 0xffffffffu;
  d = xe, expect_code(ts, &d, 4, "label -1");
  d = xe, d.off_d = kn, expect_code(ts, &d, 3, "loss beyond the region");

  struct ttile_desc aw = {.kernel = KERNEL(ADAMW), .kn = kn, .ntok = m, .tpl = tpl, .cols = 8, .off_a = 0, .off_b = 8,
                          .off_c = 16, .off_d = 24, .param = 32};
  d = aw, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  d = aw, d.param = 28, expect_code(ts, &d, 3, "adamw bf16 copy over v");
  d = aw, d.param = 33, expect_code(ts, &d, 3, "adamw bf16 copy beyond the region");

  /* Linear kernels: shapes, the weight buffer and the stream in it. */
  struct lin p;
  lin_make(&p, m, 12, 12, 9, 0.5);
  dma_wload(ts, &p.st, p.wv);
  struct ttile_desc fw = {.kernel = KERNEL(FWD), .k = 12, .kn = 21, .ntok = m, .tpl = tpl, .ngroups = p.st.ngroups};
  d = fw, assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  d = fw, d.kernel = KERNEL(BWD_WEIGHT), assert_int_equal(ttile_cm_exec(ts, &d, &c), 0);
  d = fw, d.k = 0, expect_code(ts, &d, 3, "k 0");
  d = fw, d.k = 21, expect_code(ts, &d, 3, "k = kn");
  d = fw, d.ngroups = TTILE_GROUPS + 1, expect_code(ts, &d, 3, "ngroups above the buffer");
  d = fw, d.kn = 12 + 8, expect_code(ts, &d, 3, "a stream row outside n");
  uint32_t slot = ts->wb_slot[0][0];
  ts->wb_slot[0][0] = 12u << 16 | (slot & 0xffffu);
  d = fw, expect_code(ts, &d, 3, "a stream column outside k");
  ts->wb_slot[0][0] = slot;
  d = fw, d.kernel |= TESSERA_TILE_KERNEL_EPI_BIAS_MASK, d.param = 5, expect_code(ts, &d, 3, "bias inside the regions");
  d = fw, d.kernel |= TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK, d.off_a = 5, expect_code(ts, &d, 3, "residual over part of Y");
  uint32_t hdr0 = ts->wb_hdr[0];
  ts->wb_hdr[0] ^= (uint32_t)TSP_LAST << 16;
  d = fw, expect_code(ts, &d, 3, "wrong last flag");
  ts->wb_hdr[0] = hdr0;
  slot = ts->wb_slot[0][1];
  ts->wb_slot[0][1] = (ts->wb_slot[0][0] & 0xffff0000u) | 0x3f80u;
  d = fw, d.kernel = KERNEL(BWD_DATA), expect_code(ts, &d, 3, "a column twice in a group");
  ts->wb_slot[0][1] = slot;
  d = fw, d.kernel = KERNEL(BWD_WEIGHT), d.tpl = TESSERA_CFG_ACC_DEPTH + 1, expect_code(ts, &d, 3, "bwd_weight tpl vs ntok");
  lin_free(&p);
  free(ts);
}

/* --- Attention on the stream-in port -------------------------------------------------------------- */

/* attn_qk / attn_pv over a stream source equal fwd / bwd_data over the same groups in the weight
 * buffer, words and counters, when the source is always valid (period 0); a slower source changes
 * only the cycles: with no conflicts and every group held h cycles, a beat every p >= h cycles makes
 * the tile wait p - h cycles before each group after the first. */
static void check_attn(uint32_t code, uint32_t m, uint32_t k, uint32_t n, double density, int dense) {
  struct lin p;
  lin_make(&p, m, k, k, n, density);
  if (dense) { /* a dense stream: conflict-free (S = 2P, reordered) */
    tsp_stream_free(&p.st);
    memset(p.mask, 1, (size_t)n * k);
    assert_int_equal(tsp_stream_build(&p.st, p.mask, n, k, P, S, 1), TSP_OK);
    free(p.wv);
    p.wv = malloc(sizeof *p.wv * ((size_t)p.st.ngroups * P + 1));
    for (size_t a = 0; a < (size_t)p.st.ngroups * P; a++) p.wv[a] = (uint16_t)(rnd_bf16() >> 16);
  }
  uint32_t ng = p.st.ngroups, kn = k + n, tpl = tpl_of(m);
  assert_true(ng <= TTILE_GROUPS);
  uint32_t *hdr = malloc(sizeof *hdr * ng), (*slot)[P] = malloc(sizeof *slot * ng);
  assert_true(hdr && slot);
  for (uint32_t g = 0; g < ng; g++) {
    hdr[g] = (uint32_t)p.st.row[g] | (uint32_t)p.st.flags[g] << 16;
    for (uint32_t a = 0; a < P; a++) slot[g][a] = (uint32_t)p.st.col[(size_t)g * P + a] << 16 | p.wv[(size_t)g * P + a];
  }
  struct ttile_state *base = state_new();
  int pv = code == KERNEL(ATTN_PV);
  dma_to_bank(base, pv ? k : 0, 4 * kn, 0, m, pv ? n : k, pv ? p.dy : p.x);
  /* The reference: the same groups in the weight buffer, run as fwd / bwd_data. */
  struct ttile_state *ref = state_copy(base);
  dma_wload(ref, &p.st, p.wv);
  struct ttile_desc d = {.kernel = pv ? KERNEL(BWD_DATA) : KERNEL(FWD), .k = k, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = ng};
  struct ttile_counters cref, c0, cp;
  assert_int_equal(ttile_cm_exec(ref, &d, &cref), 0);
  memcpy(ref->wb_hdr, base->wb_hdr, sizeof ref->wb_hdr), memcpy(ref->wb_slot, base->wb_slot, sizeof ref->wb_slot);
  d.kernel = code;
  struct ttile_state *a0 = state_copy(base), *ap = state_copy(base);
  struct ttile_instream in = {.hdr = hdr, .slot = (const uint32_t(*)[P])slot, .nbeats = ng};
  assert_int_equal(ttile_cm_exec_stream(a0, &d, &in, &c0), 0);
  expect_state(a0, ref, pv ? "attn_pv = bwd_data" : "attn_qk = fwd");
  assert_memory_equal(&c0, &cref, sizeof c0);
  uint64_t h = tpl > (pv ? TSIM_TILE_MIN_HOLD_BWD_DATA : TSIM_TILE_MIN_HOLD_FWD) ? tpl
               : (pv ? TSIM_TILE_MIN_HOLD_BWD_DATA : TSIM_TILE_MIN_HOLD_FWD);
  for (uint32_t period = 1; period < 4 * h; period += 3) {
    in.period = period;
    memcpy(ap, base, sizeof *ap);
    assert_int_equal(ttile_cm_exec_stream(ap, &d, &in, &cp), 0);
    expect_state(ap, ref, "a slower source: the same results");
    uint64_t wait = cp.stall_stream_starved - c0.stall_stream_starved;
    assert_int_equal(cp.busy - c0.busy, wait);
    assert_int_equal(cp.cycles, cp.busy);
    assert_int_equal(cp.macs, c0.macs);
    assert_int_equal(cp.stall_memory, c0.stall_memory);
    if (dense && !pv) assert_int_equal(wait, period > h ? (uint64_t)(ng - 1) * (period - h) : 0);
    if (period <= h && dense && !pv) assert_int_equal(wait, 0);
    /* The same pattern as valid times: the same counters and take times. */
    uint64_t *va = malloc(sizeof *va * ng), *t0 = malloc(sizeof *t0 * ng), *t1 = malloc(sizeof *t1 * ng);
    assert_true(va && t0 && t1);
    for (uint32_t b = 0; b < ng; b++) va[b] = (uint64_t)b * period;
    struct ttile_counters cv;
    in.taken_at = t0;
    memcpy(ap, base, sizeof *ap);
    assert_int_equal(ttile_cm_exec_stream(ap, &d, &in, &cv), 0);
    struct ttile_instream iv = {.hdr = hdr, .slot = (const uint32_t(*)[P])slot, .nbeats = ng, .valid_at = va, .taken_at = t1};
    memcpy(ap, base, sizeof *ap);
    assert_int_equal(ttile_cm_exec_stream(ap, &d, &iv, &cv), 0);
    assert_memory_equal(&cv, &cp, sizeof cv);
    assert_memory_equal(t0, t1, sizeof *t0 * ng);
    assert_int_equal(t0[0], 0);
    for (uint32_t b = 1; b < ng; b++) assert_true(t0[b] >= t0[b - 1] + h && t0[b] >= va[b]);
    /* Beat 0 late by v cycles (every beat valid from then on): the run waits v more cycles in its
     * first state, stream-starved, and every take moves by v when the source was always valid. */
    uint64_t v = 3 + period;
    for (uint32_t b = 0; b < ng; b++) va[b] = v;
    memcpy(ap, base, sizeof *ap);
    assert_int_equal(ttile_cm_exec_stream(ap, &d, &iv, &cv), 0);
    expect_state(ap, ref, "beat 0 late: the same results");
    assert_int_equal(cv.busy, c0.busy + v);
    assert_int_equal(cv.stall_stream_starved, c0.stall_stream_starved + v);
    assert_int_equal(t1[0], v);
    if (dense && !pv)
      for (uint32_t b = 0; b < ng; b++) assert_int_equal(t1[b], v + b * h);
    /* ttile_cm_attn_takes on a prefix: the prefix of the run's take times; a beat never valid makes
     * it and every later take never, and the run -1 (it would wait for ever). */
    for (uint32_t known = 0; known <= ng; known++) {
      memset(t0, 0xa5, sizeof *t0 * ng);
      assert_int_equal(ttile_cm_attn_takes(&d, &iv, known, t0), 0);
      assert_memory_equal(t0, t1, sizeof *t0 * known);
    }
    if (ng > 1) {
      va[ng / 2] = TTILE_NEVER;
      assert_int_equal(ttile_cm_attn_takes(&d, &iv, ng, t0), 0);
      for (uint32_t b = 0; b < ng; b++) assert_int_equal(t0[b], b < ng / 2 ? t1[b] : TTILE_NEVER);
      assert_int_equal(ttile_cm_exec_stream(ap, &d, &iv, &cv), -1);
    }
    assert_int_equal(ttile_cm_attn_takes(&d, &iv, ng + 1, t0), -1);
    assert_int_equal(ttile_cm_attn_takes(NULL, &iv, 1, t0), -1);
    in.taken_at = NULL;
    free(va), free(t0), free(t1);
  }
  free(hdr), free(slot), free(base), free(ref), free(a0), free(ap);
  lin_free(&p);
}

static void attn_stream(void **state) {
  (void)state;
  check_attn(KERNEL(ATTN_QK), L + 3, S + 3, 6, 1.0, 1);
  check_attn(KERNEL(ATTN_QK), 7 * L + 1, 2 * S + 1, 9, 1.0, 1); /* hold 8 */
  check_attn(KERNEL(ATTN_QK), 2 * L - 1, 19, 11, 0.4, 0);     /* any stream, conflicts and empty rows */
  check_attn(KERNEL(ATTN_PV), L + 3, S + 3, 6, 1.0, 1);
  check_attn(KERNEL(ATTN_PV), 2 * L - 1, 19, 11, 0.4, 0);
  /* No source: code 2 (a tile whose port is tied off); a source with too few beats: -1. */
  struct ttile_state *ts = state_new(), *before = state_copy(ts);
  struct ttile_desc d = {.kernel = KERNEL(ATTN_QK), .k = 4, .kn = 9, .ntok = L, .tpl = 1, .ngroups = 2};
  struct ttile_counters c;
  assert_int_equal(ttile_cm_exec(ts, &d, &c), 2);
  assert_int_equal(c.cycles, 1);
  struct ttile_instream in = {.hdr = ts->wb_hdr, .slot = (const uint32_t(*)[P])ts->wb_slot, .nbeats = 1};
  assert_int_equal(ttile_cm_exec_stream(ts, &d, &in, &c), -1);
  d.kernel = KERNEL(ATTN_PV), d.ngroups = TTILE_GROUPS + 1, in.nbeats = TTILE_GROUPS + 1;
  assert_int_equal(ttile_cm_exec_stream(ts, &d, &in, &c), 3);
  expect_state(ts, before, "refused attention runs write nothing");
  free(ts), free(before);
}

/* --- send on the stream-out port ---------------------------------------------------------------- */

/* A sink given as ready times: beat b is taken at t_b = max(t_{b-1} + 1 (2 for beat 0), ready_at[b]);
 * the beats do not depend on the timing; ready_at[b] = b * period is the period rule; a sink never
 * ready is -1 (the tile would wait for ever). */
static void send_sink(void **state) {
  (void)state;
  struct ttile_state *ts = state_new();
  struct ttile_desc d = {.kernel = KERNEL(SEND), .kn = 2 * P + 3, .ntok = L + 3, .tpl = 2, .off_a = 1, .cols = 2 * P + 1};
  const uint32_t nb = (uint32_t)ttile_send_beats(&d);
  uint32_t *h0 = malloc(sizeof *h0 * nb), *h1 = malloc(sizeof *h1 * nb), (*s0)[P] = malloc(sizeof *s0 * nb);
  uint32_t (*s1)[P] = malloc(sizeof *s1 * nb);
  uint64_t *ra = malloc(sizeof *ra * nb), *t0 = malloc(sizeof *t0 * nb), *t1 = malloc(sizeof *t1 * nb);
  assert_true(h0 && h1 && s0 && s1 && ra && t0 && t1);
  for (uint32_t period = 0; period < 5; period++) {
    struct ttile_outstream o0 = {.hdr = h0, .slot = s0, .cap = nb, .period = period, .taken_at = t0};
    struct ttile_outstream o1 = {.hdr = h1, .slot = s1, .cap = nb, .ready_at = ra, .taken_at = t1};
    for (uint32_t b = 0; b < nb; b++) ra[b] = (uint64_t)b * period;
    struct ttile_counters c0, c1;
    assert_int_equal(ttile_cm_exec_io(ts, &d, NULL, &o0, &c0), 0);
    assert_int_equal(ttile_cm_exec_io(ts, &d, NULL, &o1, &c1), 0);
    assert_memory_equal(&c0, &c1, sizeof c0);
    assert_memory_equal(t0, t1, sizeof *t0 * nb);
    /* Bursts and gaps, ties and a late first beat. */
    uint64_t r = 5 * period;
    for (uint32_t b = 0; b < nb; b++) ra[b] = r += (b % 4 == 0) ? 7 * period : 0;
    assert_int_equal(ttile_cm_exec_io(ts, &d, NULL, &o1, &c1), 0);
    assert_memory_equal(h0, h1, sizeof *h0 * nb);
    assert_memory_equal(s0, s1, sizeof *s0 * nb);
    uint64_t t = 0, bp = 0;
    for (uint32_t b = 0; b < nb; b++) {
      uint64_t in_reg = b ? t + 1 : 2;
      t = in_reg > ra[b] ? in_reg : ra[b];
      bp += t - in_reg;
      assert_int_equal(t1[b], t);
    }
    assert_int_equal(c1.busy, t + 1);
    assert_int_equal(c1.cycles, t + 1);
    assert_int_equal(c1.stall_backpressure, bp);
    assert_int_equal(c1.stall_memory, 2);
  }
  ra[nb - 1] = TTILE_NEVER;
  struct ttile_outstream o1 = {.hdr = h1, .slot = s1, .cap = nb, .ready_at = ra, .taken_at = t1};
  struct ttile_counters c;
  assert_int_equal(ttile_cm_exec_io(ts, &d, NULL, &o1, &c), -1);
  free(h0), free(h1), free(s0), free(s1), free(ra), free(t0), free(t1), free(ts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(linear_kernels),
      cmocka_unit_test(fwd_epilogue),
      cmocka_unit_test(vector_kernels),
      cmocka_unit_test(labels_of_other_rows_are_ignored),
      cmocka_unit_test(embed_bwd),
      cmocka_unit_test(errors),
      cmocka_unit_test(attn_stream),
      cmocka_unit_test(send_sink),
  };
  return cmocka_run_group_tests_name("tile_exec", tests, NULL, NULL);
}
