/* The RTL tile against its cmodel, one descriptor at a time: ttile_rtl_exec and ttile_cm_exec
 * (ttile_exec.h) on copies of the same tile state must return the same status, leave every word of
 * the lane banks and the gradient buffer equal, and report equal counters. Every kernel, ragged
 * shapes (rows not a multiple of the lanes, columns not a multiple of the sub-banks), in place
 * operands, the causal mask, the fwd epilogue's flags, holds above the pipeline's, and refused
 * descriptors. Operands hold either random bit patterns (NaNs, infinities, subnormals included) or
 * moderate random values. Preset: the build's. */
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
#include "tessera/sparse.h"
#include "ttile.h"
#include "ttile_exec.h"
#include "tessera/numerics.h"
#include "ttile_fn.h"
#include "tvec_fn.h"

enum { L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, S = TESSERA_CFG_SUB_BANKS };
#define BANK TESSERA_CFG_LANE_BANK_WORDS
#define KERNEL(name) TESSERA_TILE_KERNEL_##name

static uint64_t rng = 23;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static uint32_t rnd_f(float r) { return f2u(((float)(rnd() % 4096) - 2047.5f) / 2048.0f * r); }

static struct ttile_state *state_new(void) {
  struct ttile_state *ts = malloc(sizeof *ts);
  assert_non_null(ts);
  uint32_t *w = (uint32_t *)ts;
  for (size_t a = 0; a < sizeof *ts / 4; a++) w[a] = rnd();
  return ts;
}

static uint32_t tpl_of(uint32_t ntok) { return (ntok + L - 1) / L; }

/* Moderate values in `cols` words at region offset off of every row of the first tpl entries. */
static void fill(struct ttile_state *ts, uint32_t tpl, uint32_t kn, uint32_t off, uint32_t cols, float r) {
  for (uint32_t e = 0; e < tpl; e++)
    for (uint32_t l = 0; l < L; l++)
      for (uint32_t c = 0; c < cols; c++) ts->bank[l][e * kn + off + c] = rnd_f(r);
}

/* Both backends on copies of ts; everything equal. Returns the status. */
static int compare(const struct ttile_state *ts, const struct ttile_desc *d, const char *what) {
  struct ttile_state *cm = malloc(sizeof *cm), *rt = malloc(sizeof *rt);
  assert_true(cm && rt);
  memcpy(cm, ts, sizeof *cm), memcpy(rt, ts, sizeof *rt);
  struct ttile_counters ccm, crt;
  char err[200] = "";
  int a = ttile_cm_exec(cm, d, &ccm);
  int b = ttile_rtl_exec(rt, d, &crt, NULL, err, sizeof err);
  if (b < 0) fail_msg("%s: rtl: %s", what, err);
  if (a != b) fail_msg("%s: cmodel status %d, rtl %d", what, a, b);
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t w = 0; w < BANK; w++)
      if (cm->bank[l][w] != rt->bank[l][w])
        fail_msg("%s: lane %u word %u: cmodel %08x, rtl %08x (before %08x)", what, l, w, cm->bank[l][w], rt->bank[l][w],
                 ts->bank[l][w]);
  for (uint32_t g = 0; g < TTILE_GROUPS; g++)
    for (uint32_t p = 0; p < P; p++)
      if (cm->gbuf[g][p] != rt->gbuf[g][p])
        fail_msg("%s: gbuf %u slot %u: cmodel %08x, rtl %08x", what, g, p, cm->gbuf[g][p], rt->gbuf[g][p]);
  if (memcmp(&ccm, &crt, sizeof ccm))
    fail_msg("%s: counters cmodel cycles %llu memory %llu conflict %llu starved %llu macs %llu, rtl %llu %llu %llu %llu %llu",
             what, (unsigned long long)ccm.cycles, (unsigned long long)ccm.stall_memory,
             (unsigned long long)ccm.stall_bank_conflict, (unsigned long long)ccm.stall_stream_starved,
             (unsigned long long)ccm.macs, (unsigned long long)crt.cycles, (unsigned long long)crt.stall_memory,
             (unsigned long long)crt.stall_bank_conflict, (unsigned long long)crt.stall_stream_starved,
             (unsigned long long)crt.macs);
  print_message("# %s: status %d, %llu cycles\n", what, a, (unsigned long long)ccm.cycles);
  free(cm), free(rt);
  return a;
}

/* --- Linear kernels and the fwd epilogue --------------------------------------------------------- */

/* A stream of W (n x kin, some rows empty) for descriptor k >= kin, in the weight buffer. */
static uint32_t load_stream(struct ttile_state *ts, uint32_t n, uint32_t kin) {
  uint8_t *mask = malloc((size_t)n * kin);
  assert_int_equal(tsp_mask_random(mask, n, kin, 0.4, rnd()), TSP_OK);
  for (uint32_t i = 1; i < n; i += 3) memset(mask + (size_t)i * kin, 0, kin);
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, n, kin, P, S, rnd() & 1), TSP_OK);
  assert_true(st.ngroups <= TTILE_GROUPS);
  for (uint32_t g = 0; g < st.ngroups; g++) {
    ts->wb_hdr[g] = (uint32_t)st.row[g] | (uint32_t)st.flags[g] << 16;
    for (uint32_t a = 0; a < P; a++)
      ts->wb_slot[g][a] = (uint32_t)st.col[(size_t)g * P + a] << 16 | (f2u(rnd_f(2.0f)) >> 16);
  }
  uint32_t ng = st.ngroups;
  tsp_stream_free(&st);
  free(mask);
  return ng;
}

static void linear(uint32_t code, uint32_t flags, uint32_t m, uint32_t kin, uint32_t k, uint32_t n) {
  struct ttile_state *ts = state_new();
  uint32_t kn = k + n, tpl = tpl_of(m);
  struct ttile_desc d = {.kernel = code | flags, .k = k, .kn = kn, .ntok = m, .tpl = tpl};
  d.ngroups = load_stream(ts, n, kin);
  fill(ts, tpl, kn, 0, kn, 2.0f);
  if (code == KERNEL(BWD_WEIGHT))
    for (uint32_t g = 0; g < d.ngroups; g++)
      for (uint32_t a = 0; a < P; a++) ts->gbuf[g][a] = a & 1 ? 0x80000000u : rnd_f(1.0f);
  if (flags & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) {
    d.param = tpl * kn + 1;
    for (uint32_t l = 0; l < L; l++)
      for (uint32_t i = 0; i < n; i++) ts->bank[l][d.param + i] = rnd_f(1.0f);
  }
  d.off_a = kin; /* the residual, between X and Y */
  d.s[0] = rnd_f(2.0f);
  char what[96];
  snprintf(what, sizeof what, "kernel %u flags %04x m=%u k=%u n=%u", code, flags, m, k, n);
  assert_int_equal(compare(ts, &d, what), 0);
  free(ts);
}

static void linear_kernels(void **state) {
  (void)state;
  for (uint32_t code = 0; code <= KERNEL(BWD_WEIGHT); code++) {
    linear(code, 0, L + 3, 13, 13, 9);
    linear(code, 0, 2 * L - 1, S + 3, S + 3, 2 * S + 1);
    linear(code, 0, 5 * L + 2, 7, 7, 5); /* hold above the minimum */
  }
}

static void fwd_epilogue(void **state) {
  (void)state;
  const uint32_t B = TESSERA_TILE_KERNEL_EPI_BIAS_MASK, G = TESSERA_TILE_KERNEL_EPI_GELU_MASK,
                 R = TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK, SC = TESSERA_TILE_KERNEL_EPI_SCALE_MASK,
                 C = TESSERA_TILE_KERNEL_CAST_BF16_MASK;
  const uint32_t sets[] = {B, G, R, SC, C, B | G | R | SC | C, B | SC, G | C};
  for (size_t a = 0; a < sizeof sets / sizeof sets[0]; a++) linear(KERNEL(FWD), sets[a], L + 2 + (uint32_t)a, 9, 9 + 7, 7);
  linear(KERNEL(FWD), B | G, 11 * L, 6, 6 + 5, 5); /* hold 11 */
}

/* --- Vector kernels ------------------------------------------------------------------------------ */

/* One vector run: operands A..D at 1, cols+2, 2cols+3, 3cols+4 (or in place), kn = 5 cols + 6. */
static void vector(uint32_t code, uint32_t flags, uint32_t m, uint32_t cols, int junk, int inplace) {
  struct ttile_state *ts = state_new();
  uint32_t kn = 5 * cols + 6, tpl = tpl_of(m);
  struct ttile_desc d = {.kernel = code | flags, .kn = kn, .ntok = m, .tpl = tpl, .cols = cols, .off_a = 1,
                         .off_b = cols + 2, .off_c = 2 * cols + 3, .off_d = 3 * cols + 4, .param = tpl * kn + 2};
  float range = code == KERNEL(SOFTMAX_FWD) || code == KERNEL(XENT_FWD) || code == KERNEL(XENT_BWD) ? 8.0f : 3.0f;
  if (!junk)
    for (uint32_t o = 0; o < 4; o++) fill(ts, tpl, kn, 1 + o * (cols + 1), cols, o == 3 && code == KERNEL(ADAMW) ? 0.01f : range);
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t c = 0; c < 3 * cols; c++) ts->bank[l][d.param + c] = rnd_f(1.5f);
  switch (code) {
  case KERNEL(SCALE):
  case KERNEL(XENT_BWD):
    d.s[0] = rnd_f(2.0f);
    break;
  case KERNEL(SOFTMAX_FWD):
  case KERNEL(SOFTMAX_BWD):
    d.row0 = rnd() % 5, d.s[1] = (uint32_t)(int32_t)(rnd() % 9) - 6;
    break;
  case KERNEL(LAYERNORM_FWD):
    d.s[0] = f2u(1e-5f), d.s[1] = tvec_recip_u32(cols), d.off_c = 2 * cols + 3;
    break;
  case KERNEL(LAYERNORM_BWD): /* mean, rstd at D, D + 1; dgamma, dbeta after gamma */
    d.s[1] = tvec_recip_u32(cols);
    break;
  case KERNEL(ADAMW):
    d.s[0] = f2u(1e-3f), d.s[1] = f2u(0.9f), d.s[2] = f2u(0.999f), d.s[3] = f2u(1e-8f), d.s[4] = f2u(0.01f);
    d.s[5] = tvec_bias_correction(d.s[1], 3), d.s[6] = tvec_bias_correction(d.s[2], 3);
    d.param = 4 * cols + 5;
    for (uint32_t e = 0; e < tpl; e++)
      for (uint32_t l = 0; l < L; l++)
        for (uint32_t c = 0; c < cols; c++) ts->bank[l][e * kn + d.off_d + c] &= junk ? 0xffffffffu : 0x7fffffffu;
    break;
  default:
    break;
  }
  if (code == KERNEL(XENT_FWD) || code == KERNEL(XENT_BWD)) {
    d.off_c = 0, d.off_d = kn - 1;
    for (uint32_t r = 0; r < m; r++) ts->bank[r % L][(r / L) * kn] = rnd() % cols;
  }
  if (inplace) {
    if (code == KERNEL(ADD) || code == KERNEL(GELU_BWD) || code == KERNEL(SOFTMAX_BWD))
      d.off_c = d.off_a;
    else if (code != KERNEL(ADAMW) && code != KERNEL(XENT_FWD))
      d.off_b = d.off_a;
  }
  char what[128];
  snprintf(what, sizeof what, "kernel %u flags %04x ntok=%u cols=%u%s%s", code, flags, m, cols, junk ? " bits" : "",
           inplace ? " in place" : "");
  assert_int_equal(compare(ts, &d, what), 0);
  free(ts);
}

static void vector_kernels(void **state) {
  (void)state;
  for (uint32_t code = KERNEL(GELU_FWD); code <= KERNEL(EMBED_BWD); code++) {
    if (code == KERNEL(EMBED_BWD)) continue; /* embed_bwd below */
    vector(code, 0, L + 3, 7, 0, 0);
    vector(code, 0, 2 * L - 1, S + 1, 1, 0);
    vector(code, 0, 1, 3, 0, 1);
  }
  vector(KERNEL(ADD), 0, 11 * L - 3, 5, 0, 0); /* hold 11 */
  vector(KERNEL(LAYERNORM_BWD), 0, 10 * L + 1, 2, 0, 0); /* hold 11, the cross-row chains over 41+ rows */
  vector(KERNEL(LAYERNORM_BWD), 0, 3 * L + 2, S + 3, 0, 0);
  vector(KERNEL(LAYERNORM_BWD), 0, 2 * L + 1, 20, 1, 0); /* the chains in blocks of 9, 9 and 2 columns */
  vector(KERNEL(GELU_BWD), 0, 10 * L, 3, 1, 0);
}

/* embed_bwd: nt table rows from row0 (vocabulary v) at region offset 1, m tokens' ids and dY rows
 * broadcast at param (mode 0: ids uniform over the vocabulary, 1: all the same id, 2: ids in 3
 * rows; junk: each lane its own random copy of ids in range and of dY bit patterns). */
static void embed(uint32_t v, uint32_t row0, uint32_t nt, uint32_t m, uint32_t cols, int mode, int junk) {
  struct ttile_state *ts = state_new();
  uint32_t kn = cols + 3, tpl = tpl_of(nt);
  struct ttile_desc d = {.kernel = KERNEL(EMBED_BWD), .kn = kn, .ntok = nt, .tpl = tpl, .cols = cols, .off_a = 1,
                         .param = tpl * kn + 2, .k = m, .row0 = row0, .s = {v}};
  fill(ts, tpl, kn, 1, cols, 2.0f);
  uint32_t same = row0 + rnd() % nt;
  for (uint32_t t = 0; t < m; t++) {
    uint32_t id = mode == 0 ? rnd() % v : mode == 1 ? same : row0 + rnd() % 3;
    for (uint32_t l = 0; l < L; l++) ts->bank[l][d.param + t] = junk ? rnd() % v : id;
  }
  for (uint32_t a = 0; a < m * cols; a++) {
    uint32_t x = rnd_f(2.0f);
    for (uint32_t l = 0; l < L; l++) ts->bank[l][d.param + m + a] = junk ? rnd() : x;
  }
  char what[128];
  snprintf(what, sizeof what, "embed_bwd v=%u rows %u..+%u m=%u cols=%u mode %d%s", v, row0, nt - 1, m, cols, mode,
           junk ? " bits" : "");
  assert_int_equal(compare(ts, &d, what), 0);
  free(ts);
}

static void embed_bwd(void **state) {
  (void)state;
  embed(L + 3, 0, L + 3, 2 * L + 1, 7, 0, 0);    /* ragged */
  embed(40, 5, L + 1, 30, 3, 0, 0);              /* a slice of the vocabulary: most ids elsewhere */
  embed(2 * L, 0, 2 * L - 1, 3 * L, S + 1, 1, 0); /* every token the same id */
  embed(3, 0, 3, 20, 4, 2, 0);                   /* a tiny vocabulary */
  embed(10 * L + 1, 0, 10 * L + 1, 3, 2, 0, 0);  /* hold 11 */
  embed(7, 0, 7, 9, 5, 0, 1);                    /* per-lane copies, bit patterns */
  embed(1, 0, 1, 1, 1, 0, 0);
  embed(6, 0xfffffffeu, L + 1, 12, 3, 0, 0);     /* rows row0 + r modulo 2^32: rows 2.. are ids 0.. */
}

static void causal_softmax(void **state) {
  (void)state;
  const uint32_t c = TESSERA_TILE_KERNEL_CAUSAL_MASK;
  vector(KERNEL(SOFTMAX_FWD), c, 2 * L + 3, L + 5, 0, 0);
  vector(KERNEL(SOFTMAX_BWD), c, 2 * L + 3, L + 5, 0, 0);
  vector(KERNEL(SOFTMAX_FWD), c, L, 9, 1, 1);
}

/* --- Refused descriptors ------------------------------------------------------------------------ */

static void refused(void **state) {
  (void)state;
  struct ttile_state *ts = state_new();
  const uint32_t m = L + 2, tpl = 2, kn = 40;
  struct ttile_desc add = {.kernel = KERNEL(ADD), .kn = kn, .ntok = m, .tpl = tpl, .cols = 10, .off_b = 10, .off_c = 20};
  struct ttile_desc d;
  d = add, d.kernel = TESSERA_TILE_KERNEL_COUNT, assert_int_equal(compare(ts, &d, "unknown kernel"), 2);
  d = add, d.tpl = 3, assert_int_equal(compare(ts, &d, "tpl vs ntok"), 3);
  d = add, d.ntok = 0, assert_int_equal(compare(ts, &d, "ntok 0"), 3);
  d = add, d.cols = 0, assert_int_equal(compare(ts, &d, "cols 0"), 3);
  d = add, d.off_c = 35, assert_int_equal(compare(ts, &d, "C past the region"), 3);
  d = add, d.off_c = 15, assert_int_equal(compare(ts, &d, "C partly over B"), 3);
  d = add, d.kn = BANK / 2 + 1, assert_int_equal(compare(ts, &d, "regions past the bank"), 3);
  d = add, d.kernel = KERNEL(LAYERNORM_FWD), d.param = 5, assert_int_equal(compare(ts, &d, "param in the regions"), 3);
  d = add, d.kernel = KERNEL(LAYERNORM_FWD), d.param = 80, d.off_c = 9, assert_int_equal(compare(ts, &d, "stats on A"), 3);
  d = add, d.kernel = KERNEL(ADAMW), d.off_d = 30, d.param = 25, assert_int_equal(compare(ts, &d, "adamw param on C"), 3);
  struct ttile_desc lb = {.kernel = KERNEL(LAYERNORM_BWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = 10, .off_a = 0,
                          .off_b = 10, .off_c = 20, .off_d = 30, .param = tpl * kn};
  d = lb, assert_int_equal(compare(ts, &d, "layernorm_bwd"), 0);
  d = lb, d.off_c = 0, assert_int_equal(compare(ts, &d, "layernorm_bwd C on A"), 3);
  d = lb, d.off_c = 19, assert_int_equal(compare(ts, &d, "layernorm_bwd C over B"), 3);
  d = lb, d.off_d = 29, assert_int_equal(compare(ts, &d, "layernorm_bwd stats on C"), 3);
  d = lb, d.off_d = 39, assert_int_equal(compare(ts, &d, "layernorm_bwd stats past the region"), 3);
  d = lb, d.param = tpl * kn - 1, assert_int_equal(compare(ts, &d, "layernorm_bwd param in the regions"), 3);
  d = lb, d.param = BANK - 29, assert_int_equal(compare(ts, &d, "layernorm_bwd dbeta past the bank"), 3);
  d = lb, d.param = BANK - 30, assert_int_equal(compare(ts, &d, "layernorm_bwd dbeta at the bank's end"), 0);
  /* embed_bwd: 4 tokens, vocabulary 60; a bad id stops the run after the ids are loaded. */
  struct ttile_desc eb = {.kernel = KERNEL(EMBED_BWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = 10, .off_a = 3,
                          .param = tpl * kn + 1, .k = 4, .s = {60}};
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t t = 0; t < 4; t++) ts->bank[l][eb.param + t] = (t * 5) % 60;
  d = eb, assert_int_equal(compare(ts, &d, "embed_bwd"), 0);
  d = eb, d.k = 0, assert_int_equal(compare(ts, &d, "embed_bwd k 0"), 3);
  d = eb, d.off_a = 31, assert_int_equal(compare(ts, &d, "embed_bwd rows past the region"), 3);
  d = eb, d.param = tpl * kn - 1, assert_int_equal(compare(ts, &d, "embed_bwd ids in the regions"), 3);
  d = eb, d.param = BANK - 43, assert_int_equal(compare(ts, &d, "embed_bwd dY past the bank"), 3);
  d = eb, d.s[0] = 15, assert_int_equal(compare(ts, &d, "embed_bwd id = vocabulary"), 4);
  ts->bank[0][eb.param] = 60;
  d = eb, assert_int_equal(compare(ts, &d, "embed_bwd the first id = vocabulary"), 4);
  ts->bank[0][eb.param] = 0;
  ts->bank[L - 1][eb.param + 3] = 0x80000000u;
  d = eb, assert_int_equal(compare(ts, &d, "embed_bwd a bad id in the last lane's copy"), 4);
  d = eb, d.ntok = L - 1, d.tpl = 1, assert_int_equal(compare(ts, &d, "embed_bwd the bad copy in a lane without rows"), 0);
  d = eb, d.ntok = 10 * L, d.tpl = 10, d.kn = 12, d.off_a = 1, d.param = 120,
  assert_int_equal(compare(ts, &d, "embed_bwd bad id, hold 10"), 4);
  /* Labels: code 4 after the first section, nothing written; a valid run with the same words. */
  struct ttile_desc xe = {.kernel = KERNEL(XENT_FWD), .kn = kn, .ntok = m, .tpl = tpl, .cols = 10, .off_a = 0,
                          .off_b = 10, .off_c = 30, .off_d = 31};
  for (uint32_t r = 0; r < m; r++) ts->bank[r % L][(r / L) * kn + 30] = (r * 7) % 10;
  d = xe, assert_int_equal(compare(ts, &d, "xent_fwd labels in range"), 0);
  ts->bank[(m - 1) % L][((m - 1) / L) * kn + 30] = 10;
  d = xe, assert_int_equal(compare(ts, &d, "xent_fwd label = cols"), 4);
  d = xe, d.kernel = KERNEL(XENT_BWD), assert_int_equal(compare(ts, &d, "xent_bwd label = cols"), 4);
  ts->bank[0][30] = 0x80000000u;
  d = xe, d.ntok = 11 * L, d.tpl = 11, assert_int_equal(compare(ts, &d, "xent_fwd label -0.0, hold 11"), 4);
  d = add, d.kernel = KERNEL(FWD), d.k = 0, assert_int_equal(compare(ts, &d, "k 0"), 3);
  d = add, d.kernel = KERNEL(BWD_DATA), d.k = 20, d.ngroups = TTILE_GROUPS + 1,
  assert_int_equal(compare(ts, &d, "ngroups"), 3);
  free(ts);
}

/* --- Attention with K and V on the stream-in port ---------------------------------------------- */

/* Both backends with the same stream source on copies of ts: status, banks, counters equal. */
static int compare_stream(const struct ttile_state *ts, const struct ttile_desc *d, const struct ttile_instream *in,
                          struct ttile_state *out, struct ttile_counters *cout, const char *what) {
  struct ttile_state *cm = malloc(sizeof *cm), *rt = malloc(sizeof *rt);
  assert_true(cm && rt);
  memcpy(cm, ts, sizeof *cm), memcpy(rt, ts, sizeof *rt);
  struct ttile_counters ccm, crt;
  char err[200] = "";
  int a = ttile_cm_exec_stream(cm, d, in, &ccm);
  int b = ttile_rtl_exec_stream(rt, d, in, &crt, NULL, err, sizeof err);
  if (b < 0) fail_msg("%s: rtl: %s", what, err);
  if (a != b) fail_msg("%s: cmodel status %d, rtl %d", what, a, b);
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t w = 0; w < BANK; w++)
      if (cm->bank[l][w] != rt->bank[l][w])
        fail_msg("%s: lane %u word %u: cmodel %08x, rtl %08x", what, l, w, cm->bank[l][w], rt->bank[l][w]);
  if (memcmp(&ccm, &crt, sizeof ccm))
    fail_msg("%s: counters cmodel cycles %llu memory %llu conflict %llu starved %llu macs %llu, rtl %llu %llu %llu %llu %llu",
             what, (unsigned long long)ccm.cycles, (unsigned long long)ccm.stall_memory,
             (unsigned long long)ccm.stall_bank_conflict, (unsigned long long)ccm.stall_stream_starved,
             (unsigned long long)ccm.macs, (unsigned long long)crt.cycles, (unsigned long long)crt.stall_memory,
             (unsigned long long)crt.stall_bank_conflict, (unsigned long long)crt.stall_stream_starved,
             (unsigned long long)crt.macs);
  print_message("# %s: status %d, %llu cycles, %llu starved\n", what, a, (unsigned long long)ccm.cycles,
                (unsigned long long)ccm.stall_stream_starved);
  if (out) memcpy(out, cm, sizeof *out);
  if (cout) *cout = ccm;
  free(cm), free(rt);
  return a;
}

/* The dense stream of B (rows x cols, fp32 bits rounded to bf16) as stream beats; the stream and
 * its bf16 values for the functional models. */
struct beats {
  struct tsp_stream st;
  uint16_t *wv;
  uint32_t *hdr;
  uint32_t (*slot)[P];
};
static void beats_of(struct beats *bt, const uint32_t *b, uint32_t rows, uint32_t cols) {
  uint8_t *mask = malloc((size_t)rows * cols);
  assert_non_null(mask);
  assert_int_equal(tsp_mask_dense(mask, rows, cols), TSP_OK);
  assert_int_equal(tsp_stream_build(&bt->st, mask, rows, cols, P, S, 1), TSP_OK);
  free(mask);
  uint32_t ng = bt->st.ngroups;
  bt->wv = malloc(sizeof *bt->wv * ng * P);
  bt->hdr = malloc(sizeof *bt->hdr * ng);
  bt->slot = malloc(sizeof *bt->slot * ng);
  assert_true(bt->wv && bt->hdr && bt->slot);
  for (uint32_t g = 0; g < ng; g++) {
    bt->hdr[g] = (uint32_t)bt->st.row[g] | (uint32_t)bt->st.flags[g] << 16;
    for (uint32_t a = 0; a < P; a++) {
      uint32_t src = bt->st.src[(size_t)g * P + a];
      bt->wv[(size_t)g * P + a] = src == UINT32_MAX ? 0 : tnum_f32_to_bf16(b[src]);
      bt->slot[g][a] = (uint32_t)bt->st.col[(size_t)g * P + a] << 16 | bt->wv[(size_t)g * P + a];
    }
  }
}
static void beats_free(struct beats *bt) {
  tsp_stream_free(&bt->st);
  free(bt->wv), free(bt->hdr), free(bt->slot);
}

/* attn_qk: S = Q K^T for m query rows of dh values against nk keys streamed one group per beat,
 * a beat every `period` cycles; the scores are tvec_dense_abt's bits (the fwd order that
 * tvec_attn_scores uses), the weight buffer's (random) groups unused. attn_pv: O += P V with the
 * probabilities P (m x nk) in the banks and V (nk x dh) streamed: ttile_fn_bwd_data's bits. */
static void attention(uint32_t m, uint32_t dh, uint32_t nk, uint32_t period) {
  struct ttile_state *ts = state_new();
  uint32_t tpl = tpl_of(m), kn = dh + nk;
  uint32_t *q = malloc(sizeof *q * m * dh), *kv = malloc(sizeof *kv * nk * dh), *sc = malloc(sizeof *sc * m * nk);
  uint32_t *pr = malloc(sizeof *pr * m * nk), *o = calloc((size_t)m * dh, sizeof *o);
  assert_true(q && kv && sc && pr && o);
  for (uint32_t i = 0; i < m * dh; i++) q[i] = rnd_f(2.0f);
  for (uint32_t i = 0; i < nk * dh; i++) kv[i] = rnd_f(2.0f);
  for (uint32_t i = 0; i < m * nk; i++) pr[i] = f2u((float)(rnd() % 1000) / 1000.0f);
  char what[120];
  struct ttile_state *out = malloc(sizeof *out);
  assert_non_null(out);
  struct ttile_counters c;

  /* Q K^T */
  struct beats bt;
  beats_of(&bt, kv, nk, dh);
  for (uint32_t r = 0; r < m; r++)
    for (uint32_t j = 0; j < dh; j++) ts->bank[r % L][(r / L) * kn + j] = q[(size_t)r * dh + j];
  struct ttile_instream in = {.hdr = bt.hdr, .slot = (const uint32_t(*)[P])bt.slot, .nbeats = bt.st.ngroups, .period = period};
  struct ttile_desc d = {.kernel = KERNEL(ATTN_QK), .k = dh, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = bt.st.ngroups};
  snprintf(what, sizeof what, "attn_qk m %u dh %u keys %u, a beat every %u cycles", m, dh, nk, period);
  assert_int_equal(compare_stream(ts, &d, &in, out, &c, what), 0);
  assert_int_equal(tvec_dense_abt(q, kv, m, nk, dh, P, S, sc), TVEC_OK);
  for (uint32_t r = 0; r < m; r++)
    for (uint32_t j = 0; j < nk; j++)
      if (out->bank[r % L][(r / L) * kn + dh + j] != sc[(size_t)r * nk + j])
        fail_msg("%s: S[%u][%u] = %08x, tvec_dense_abt %08x", what, r, j, out->bank[r % L][(r / L) * kn + dh + j],
                 sc[(size_t)r * nk + j]);
  assert_int_equal(c.macs, (uint64_t)m * nk * dh);
  /* A beat slower than a group's hold makes the tile wait for every beat after the first. */
  uint64_t hold = tpl > 5 ? tpl : 5;
  if (period > hold * (1 + S)) assert_true(c.stall_stream_starved >= bt.st.ngroups);
  if (period == 0) assert_int_equal(c.stall_stream_starved, 1);
  beats_free(&bt);

  /* P V: V as nk rows of dh; O (dX) at offset 0 starts at +0, P (dY) at offset k = dh. */
  beats_of(&bt, kv, nk, dh);
  for (uint32_t r = 0; r < m; r++) {
    for (uint32_t j = 0; j < dh; j++) ts->bank[r % L][(r / L) * kn + j] = 0;
    for (uint32_t j = 0; j < nk; j++) ts->bank[r % L][(r / L) * kn + dh + j] = pr[(size_t)r * nk + j];
  }
  in = (struct ttile_instream){.hdr = bt.hdr, .slot = (const uint32_t(*)[P])bt.slot, .nbeats = bt.st.ngroups, .period = period};
  d.kernel = KERNEL(ATTN_PV);
  snprintf(what, sizeof what, "attn_pv m %u dh %u keys %u, a beat every %u cycles", m, dh, nk, period);
  assert_int_equal(compare_stream(ts, &d, &in, out, &c, what), 0);
  ttile_fn_bwd_data(&bt.st, bt.wv, pr, m, o);
  for (uint32_t r = 0; r < m; r++)
    for (uint32_t j = 0; j < dh; j++)
      if (out->bank[r % L][(r / L) * kn + j] != o[(size_t)r * dh + j])
        fail_msg("%s: O[%u][%u] = %08x, ttile_fn_bwd_data %08x", what, r, j, out->bank[r % L][(r / L) * kn + j],
                 o[(size_t)r * dh + j]);
  beats_free(&bt);
  free(q), free(kv), free(sc), free(pr), free(o), free(out), free(ts);
}

static void attn_stream(void **state) {
  (void)state;
  attention(L + 3, S + 3, 5, 0);
  attention(2 * L - 1, 2 * S + 1, 7, 3);
  attention(L + 3, S + 3, 5, 37);
  attention(7 * L + 2, S, 9, 11); /* hold 8 */
  /* No stream source: the attn kernels are refused (code 2), as on the chip's tiles. */
  struct ttile_state *ts = state_new();
  struct ttile_desc d = {.kernel = KERNEL(ATTN_QK), .k = 4, .kn = 9, .ntok = L, .tpl = 1, .ngroups = 2};
  assert_int_equal(compare(ts, &d, "attn_qk without a stream"), 2);
  d.kernel = KERNEL(ATTN_PV), assert_int_equal(compare(ts, &d, "attn_pv without a stream"), 2);
  /* A source with fewer beats than the run's groups: refused by both drivers, nothing runs. */
  struct ttile_instream in = {.hdr = ts->wb_hdr, .slot = (const uint32_t(*)[P])ts->wb_slot, .nbeats = 1};
  struct ttile_counters c;
  char err[200] = "";
  assert_int_equal(ttile_cm_exec_stream(ts, &d, &in, &c), -1);
  assert_int_equal(ttile_rtl_exec_stream(ts, &d, &in, &c, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "beats"));
  /* Shape checks as the linear kernels': k = 0 is code 3 with a source. */
  in.nbeats = 2, d.k = 0;
  assert_int_equal(compare_stream(ts, &d, &in, NULL, NULL, "attn_pv k 0"), 3);
  free(ts);
}


/* --- send: a region of the banks on the stream-out port ------------------------------------------ */

/* bf16 of a binary32 word by the carry trick (round to nearest even; the canonical NaN): an
 * independent formulation of tnum_f32_to_bf16. */
static uint16_t bf16_of(uint32_t u) {
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu)) return 0x7fc0;
  return (uint16_t)(((uint64_t)u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* send of rows 0 .. ntok-1, cols words at region offset off, rows numbered from row0, to a sink
 * ready for beat b from cycle b * period on. RTL == cmodel: status, beats, banks untouched,
 * counters. The beats are the column-order dense stream of the rows that the host builder makes
 * (tsp_stream_build without reordering), rows shifted by row0, each value its word's bf16. Cycles:
 * beat 0 is valid at cycle 2 (a read, then the output register), beat b + 1 one cycle after beat b
 * is taken; beat b is taken at t_b = max(valid_b, b * period), the waiting cycles being back-pressure,
 * the first two memory. Returns the status. */
static int send_one(uint32_t ntok, uint32_t kn, uint32_t off, uint32_t cols, uint32_t row0, uint32_t period, int junk,
                    struct ttile_state *rtl_out, uint32_t **beats_hdr, uint32_t (**beats_slot)[P]) {
  struct ttile_state *ts = state_new();
  uint32_t tpl = tpl_of(ntok);
  if (!junk) fill(ts, tpl, kn, off, cols, 3.0f);
  struct ttile_desc d = {.kernel = KERNEL(SEND), .kn = kn, .ntok = ntok, .tpl = tpl, .off_a = off, .cols = cols,
                         .row0 = row0};
  uint64_t nb = ttile_send_beats(&d), cap = nb + 3;
  uint32_t *h[2], (*sl[2])[P];
  for (int i = 0; i < 2; i++) {
    h[i] = calloc(cap, sizeof *h[i]), sl[i] = calloc(cap, sizeof *sl[i]);
    assert_true(h[i] && sl[i]);
  }
  struct ttile_state *cm = malloc(sizeof *cm), *rt = malloc(sizeof *rt);
  assert_true(cm && rt);
  memcpy(cm, ts, sizeof *cm), memcpy(rt, ts, sizeof *rt);
  struct ttile_outstream oc = {.hdr = h[0], .slot = sl[0], .cap = (uint32_t)cap, .period = period},
                         orl = {.hdr = h[1], .slot = sl[1], .cap = (uint32_t)cap, .period = period};
  struct ttile_counters ccm, crt;
  char err[200] = "", what[160];
  snprintf(what, sizeof what, "send %u rows of %u words at %u (region %u), row0 %u, sink period %u%s", ntok, cols, off,
           kn, row0, period, junk ? ", random bits" : "");
  int a = ttile_cm_exec_io(cm, &d, NULL, &oc, &ccm);
  int b = ttile_rtl_exec_io(rt, &d, NULL, &orl, &crt, NULL, err, sizeof err);
  if (b < 0) fail_msg("%s: rtl: %s", what, err);
  if (a != b) fail_msg("%s: cmodel status %d, rtl %d", what, a, b);
  if (memcmp(cm, ts, sizeof *cm) || memcmp(rt, ts, sizeof *rt)) fail_msg("%s: the tile's memories changed", what);
  if (memcmp(&ccm, &crt, sizeof ccm))
    fail_msg("%s: counters cmodel cycles %llu memory %llu backpressure %llu, rtl %llu %llu %llu", what,
             (unsigned long long)ccm.cycles, (unsigned long long)ccm.stall_memory,
             (unsigned long long)ccm.stall_backpressure, (unsigned long long)crt.cycles,
             (unsigned long long)crt.stall_memory, (unsigned long long)crt.stall_backpressure);
  if (a == 0) {
    assert_int_equal(oc.nbeats, nb);
    assert_int_equal(orl.nbeats, nb);
    uint8_t *mask = malloc((size_t)ntok * cols);
    assert_non_null(mask);
    assert_int_equal(tsp_mask_dense(mask, ntok, cols), TSP_OK);
    struct tsp_stream st;
    assert_int_equal(tsp_stream_build(&st, mask, ntok, cols, P, S, 0), TSP_OK);
    free(mask);
    assert_int_equal(st.ngroups, nb);
    for (uint32_t g = 0; g < nb; g++) {
      uint32_t want_h = (st.row[g] + row0) | (uint32_t)st.flags[g] << 16;
      if (h[0][g] != want_h || h[1][g] != want_h)
        fail_msg("%s: beat %u header cmodel %05x rtl %05x, want %05x", what, g, h[0][g], h[1][g], want_h);
      for (uint32_t q = 0; q < P; q++) {
        uint32_t col = st.col[(size_t)g * P + q], r = st.row[g];
        uint32_t want = col == TSP_EMPTY ? (uint32_t)TSP_EMPTY << 16
                                         : col << 16 | bf16_of(ts->bank[r % L][(r / L) * kn + off + col]);
        if (sl[0][g][q] != want || sl[1][g][q] != want)
          fail_msg("%s: beat %u slot %u cmodel %08x rtl %08x, want %08x", what, g, q, sl[0][g][q], sl[1][g][q], want);
      }
    }
    tsp_stream_free(&st);
    uint64_t t = 0, valid = 2, bp = 0;
    for (uint64_t bb = 0; bb < nb; bb++) {
      t = valid > bb * period ? valid : bb * period;
      bp += t - valid;
      valid = t + 1;
    }
    assert_int_equal(ccm.cycles, t + 1);
    assert_int_equal(ccm.busy, t + 1);
    assert_int_equal(ccm.stall_backpressure, bp);
    assert_int_equal(ccm.stall_memory, 2);
    assert_int_equal(ccm.macs, 0);
    assert_int_equal(ccm.stall_stream_starved + ccm.stall_bank_conflict, 0);
    print_message("# %s: %llu beats, %llu cycles, %llu back-pressure\n", what, (unsigned long long)nb,
                  (unsigned long long)ccm.cycles, (unsigned long long)bp);
  }
  if (rtl_out) memcpy(rtl_out, ts, sizeof *rtl_out);
  if (beats_hdr) *beats_hdr = h[1], *beats_slot = sl[1];
  else free(h[1]), free(sl[1]);
  free(h[0]), free(sl[0]), free(cm), free(rt), free(ts);
  return a;
}

static void send_kernel(void **state) {
  (void)state;
  assert_int_equal(send_one(1, 4, 0, 1, 0, 0, 0, NULL, NULL, NULL), 0);
  assert_int_equal(send_one(L + 3, 3 * S + 5, 5, 2 * S + 3, 7, 0, 0, NULL, NULL, NULL), 0);
  assert_int_equal(send_one(2 * L - 1, 2 * S, 0, 2 * S, 0, 1, 1, NULL, NULL, NULL), 0);
  assert_int_equal(send_one(3 * L + 1, S + 3, 1, S + 1, 65535 - 3 * L, 2, 1, NULL, NULL, NULL), 0);
  assert_int_equal(send_one(L, 2 * P + 1, 0, 2 * P + 1, 3, 9, 0, NULL, NULL, NULL), 0);
  /* More rows than the accumulators: send keeps no per-row state. */
  assert_int_equal(send_one((TESSERA_CFG_ACC_DEPTH + 1) * L, 2, 1, 1, 0, 0, 0, NULL, NULL, NULL), 0);

  /* Refused: no sink (code 2, as on the chip's tiles), no columns, columns past the region, rows
   * past the header's 16 bits (code 3); a sink too small for the run (-1). */
  struct ttile_state *ts = state_new();
  struct ttile_desc d = {.kernel = KERNEL(SEND), .kn = 9, .ntok = L, .tpl = 1, .off_a = 2, .cols = 7};
  assert_int_equal(compare(ts, &d, "send without a sink"), 2);
  assert_int_equal(send_one(L, 9, 2, 0, 0, 0, 0, NULL, NULL, NULL), 3);
  assert_int_equal(send_one(L, 9, 3, 7, 0, 0, 0, NULL, NULL, NULL), 3);
  assert_int_equal(send_one(L, 9, 2, 7, 65536 - L + 1, 0, 0, NULL, NULL, NULL), 3);
  uint32_t hdr[4], slot[4][P];
  struct ttile_outstream small = {.hdr = hdr, .slot = slot, .cap = 4};
  struct ttile_counters c;
  assert_int_equal(ttile_cm_exec_io(ts, &d, NULL, &small, &c), -1);
  free(ts);
}

/* send into attn_qk: the keys one tile holds (fwd results, say) stream out of it into the
 * stream-in port of another, which forms Q K^T; the scores are ttile_fn_fwd's over the column-order
 * dense stream of K's bf16 values, RTL == cmodel on the receiving tile too. */
static void send_to_attn(void **state) {
  (void)state;
  const uint32_t nk = L + 5, dh = 2 * S + 3, m = L + 2, kn_s = dh + 4;
  struct ttile_state *src = malloc(sizeof *src);
  uint32_t *hdr;
  uint32_t(*slot)[P];
  assert_non_null(src);
  assert_int_equal(send_one(nk, kn_s, 4, dh, 0, 0, 0, src, &hdr, &slot), 0);
  struct ttile_desc sd = {.kernel = KERNEL(SEND), .kn = kn_s, .ntok = nk, .tpl = tpl_of(nk), .off_a = 4, .cols = dh};
  uint32_t nb = (uint32_t)ttile_send_beats(&sd);
  /* K as the sender holds it, and Q. */
  uint32_t *k = malloc(sizeof *k * nk * dh), *q = malloc(sizeof *q * m * dh), *sc = malloc(sizeof *sc * m * nk);
  uint16_t *kv = malloc(sizeof *kv * nb * P);
  assert_true(k && q && sc && kv);
  for (uint32_t r = 0; r < nk; r++)
    for (uint32_t j = 0; j < dh; j++) k[(size_t)r * dh + j] = src->bank[r % L][(r / L) * kn_s + 4 + j];
  struct ttile_state *dst = state_new();
  uint32_t kn = dh + nk;
  for (uint32_t r = 0; r < m; r++)
    for (uint32_t j = 0; j < dh; j++) q[(size_t)r * dh + j] = dst->bank[r % L][(r / L) * kn + j] = rnd_f(2.0f);
  struct ttile_instream in = {.hdr = hdr, .slot = (const uint32_t(*)[P])slot, .nbeats = nb, .period = 3};
  struct ttile_desc d = {.kernel = KERNEL(ATTN_QK), .k = dh, .kn = kn, .ntok = m, .tpl = tpl_of(m), .ngroups = nb};
  struct ttile_state *out = malloc(sizeof *out);
  assert_non_null(out);
  assert_int_equal(compare_stream(dst, &d, &in, out, NULL, "attn_qk fed by send"), 0);
  uint8_t *mask = malloc((size_t)nk * dh);
  assert_non_null(mask);
  assert_int_equal(tsp_mask_dense(mask, nk, dh), TSP_OK);
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, nk, dh, P, S, 0), TSP_OK);
  for (uint32_t g = 0; g < st.ngroups; g++)
    for (uint32_t a = 0; a < P; a++) {
      uint32_t sr = st.src[(size_t)g * P + a];
      kv[(size_t)g * P + a] = sr == UINT32_MAX ? 0 : bf16_of(k[sr]);
    }
  ttile_fn_fwd(&st, kv, q, m, sc);
  for (uint32_t r = 0; r < m; r++)
    for (uint32_t j = 0; j < nk; j++)
      if (out->bank[r % L][(r / L) * kn + dh + j] != sc[(size_t)r * nk + j])
        fail_msg("attn_qk fed by send: S[%u][%u] = %08x, ttile_fn_fwd %08x", r, j,
                 out->bank[r % L][(r / L) * kn + dh + j], sc[(size_t)r * nk + j]);
  tsp_stream_free(&st);
  free(mask), free(k), free(q), free(sc), free(kv), free(out), free(dst), free(src), free(hdr), free(slot);
}

int main(void) {
  if (!ttile_rtl_exec) {
    printf("1..0 # SKIP the RTL tile is not linked in\n");
    return 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(refused),
      cmocka_unit_test(attn_stream),
      cmocka_unit_test(send_kernel),
      cmocka_unit_test(send_to_attn),
      cmocka_unit_test(vector_kernels),
      cmocka_unit_test(causal_softmax),
      cmocka_unit_test(embed_bwd),
      cmocka_unit_test(fwd_epilogue),
      cmocka_unit_test(linear_kernels),
  };
  return cmocka_run_group_tests_name("tile_exec_rtl", tests, NULL, NULL);
}
