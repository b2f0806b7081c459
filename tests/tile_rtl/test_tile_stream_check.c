/* The RTL tile checks its nonzero stream (docs/tile.md, "One descriptor run"): a run of fwd,
 * bwd_data or bwd_weight over the weight buffer, or of attn_qk or attn_pv over the stream-in port,
 * whose stream has a malformed group (row >= n, rows out of order, a first or last flag that does
 * not match the rows, a column >= k, a column twice in a group) ends with status code 3, as the
 * cmodel refuses it. The cmodel writes nothing; the RTL may have written its output operand, and
 * no other bank word and no gradient-buffer entry past the run's groups changes. A well-formed
 * stream still gives code 0 and RTL == cmodel in every word and counter. Preset: the build's. */
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
#include "tsim_tile.h"
#include "ttile.h"
#include "ttile_exec.h"

enum { L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, S = TESSERA_CFG_SUB_BANKS };
#define BANK TESSERA_CFG_LANE_BANK_WORDS
#define KERNEL(name) TESSERA_TILE_KERNEL_##name

/* The shape of every run: W of N rows by K columns, M tokens (3 per lane). */
enum { N = 9, K = 11, M = 2 * L + 1 };

static uint64_t rng = 41;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
/* A moderate float's bits. */
static uint32_t rnd_f(void) {
  float f = ((float)(rnd() % 4096) - 2047.5f) / 1024.0f;
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* A well-formed stream of W (N x K, random mask at density 0.6, row 4 empty): ng groups. */
struct strm {
  uint32_t ng;
  uint32_t hdr[TTILE_GROUPS];
  uint32_t slot[TTILE_GROUPS][P];
};
static void stream_new(struct strm *s) {
  uint8_t mask[N * K];
  assert_int_equal(tsp_mask_random(mask, N, K, 0.6, rnd()), TSP_OK);
  memset(mask + 4 * K, 0, K);
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, N, K, P, S, 1), TSP_OK);
  assert_true(st.ngroups >= 8 && st.ngroups <= TTILE_GROUPS);
  s->ng = st.ngroups;
  for (uint32_t g = 0; g < st.ngroups; g++) {
    s->hdr[g] = TSIM_TILE_HDR(st.row[g], st.flags[g]);
    for (uint32_t a = 0; a < P; a++) s->slot[g][a] = TSIM_TILE_SLOT(st.col[(size_t)g * P + a], rnd_f() >> 16);
  }
  tsp_stream_free(&st);
}

static uint32_t row_of(const struct strm *s, uint32_t g) { return s->hdr[g] & 0xffffu; }
static uint32_t flags_of(const struct strm *s, uint32_t g) { return s->hdr[g] >> 16; }
static uint32_t col_of(const struct strm *s, uint32_t g, uint32_t a) { return s->slot[g][a] >> 16; }
static uint32_t filled(const struct strm *s, uint32_t g) {
  uint32_t c = 0;
  for (uint32_t a = 0; a < P; a++) c += col_of(s, g, a) != TSP_EMPTY;
  return c;
}

/* The malformations, each in one group in the middle of the stream (neither the first nor the
 * last group; BAD_FINAL: the final group without its last flag). */
enum bad { BAD_ROW_N, BAD_ROW_ORDER, BAD_FIRST, BAD_LAST, BAD_COL_K, BAD_COL_TWICE, BAD_FINAL, BAD_COUNT };
static const char *const bad_name[BAD_COUNT] = {"row >= n",      "row below the previous", "wrong first flag",
                                                "wrong last flag", "column >= k",          "a column twice",
                                                "final group without its last flag"};

/* Whether group g can carry malformation b. */
static int fits(const struct strm *s, uint32_t g, enum bad b) {
  switch (b) {
  case BAD_ROW_N: return (flags_of(s, g) & TSP_LAST) != 0; /* fwd would write Y at k + row: past the region */
  case BAD_ROW_ORDER: return (flags_of(s, g) & TSP_FIRST) && row_of(s, g - 1) > 0;
  case BAD_COL_K: return filled(s, g) >= 1;
  case BAD_COL_TWICE: return filled(s, g) >= 2;
  default: return 1;
  }
}

/* Makes s malformed by b; returns the group. */
static uint32_t make_bad(struct strm *s, enum bad b) {
  if (b == BAD_FINAL) {
    s->hdr[s->ng - 1] &= ~((uint32_t)TSP_LAST << 16);
    return s->ng - 1;
  }
  uint32_t g = s->ng / 2;
  while (!fits(s, g, b)) g = g + 2 < s->ng ? g + 1 : 1;
  uint32_t a0 = 0, a1;
  while (col_of(s, g, a0) == TSP_EMPTY) a0++;
  for (a1 = a0 + 1; b == BAD_COL_TWICE && col_of(s, g, a1) == TSP_EMPTY; a1++) {
  }
  switch (b) {
  case BAD_ROW_N: s->hdr[g] = (s->hdr[g] & ~0xffffu) | (N + 1); break; /* Y would land on the next token's X */
  case BAD_ROW_ORDER: s->hdr[g] = (s->hdr[g] & ~0xffffu) | (row_of(s, g - 1) - 1); break;
  case BAD_FIRST: s->hdr[g] ^= (uint32_t)TSP_FIRST << 16; break;
  case BAD_LAST: s->hdr[g] ^= (uint32_t)TSP_LAST << 16; break;
  case BAD_COL_K: s->slot[g][a0] = (s->slot[g][a0] & 0xffffu) | (uint32_t)(K + 1) << 16; break; /* dX onto dY */
  default: s->slot[g][a1] = (s->slot[g][a1] & 0xffffu) | (s->slot[g][a0] & 0xffff0000u); break;
  }
  assert_true(g > 0 && g + 1 < s->ng);
  return g;
}

/* A tile state of random bits; the run's regions, and for bwd_weight the dW of the run's groups,
 * hold moderate values. */
static struct ttile_state *state_new(uint32_t code, uint32_t ng) {
  struct ttile_state *ts = malloc(sizeof *ts);
  assert_non_null(ts);
  uint32_t *w = (uint32_t *)ts;
  for (size_t a = 0; a < sizeof *ts / 4; a++) w[a] = rnd();
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t a = 0; a < (M + L - 1) / L * (K + N); a++) ts->bank[l][a] = rnd_f();
  if (code == KERNEL(BWD_WEIGHT))
    for (uint32_t g = 0; g < ng; g++)
      for (uint32_t a = 0; a < P; a++) ts->gbuf[g][a] = rnd_f();
  return ts;
}

/* The descriptor (flags: fwd's epilogue flags). param is not used by the linear kernels without
 * epi_bias; at the bank's end (with epi_bias: the bias there) it makes ttile_rtl_exec load and
 * read back every bank word, so a stray write anywhere in the bank shows. */
static struct ttile_desc desc_of(uint32_t code, uint32_t flags, uint32_t ng) {
  return (struct ttile_desc){.kernel = code | flags, .k = K, .kn = K + N, .ntok = M, .tpl = (M + L - 1) / L,
                             .ngroups = ng, .param = flags ? BANK - N : BANK};
}

/* Whether bank word a of lane l is in the run's output operand: Y (region offsets k .. kn-1) for
 * fwd and attn_qk, dX (0 .. k-1) for bwd_data and attn_pv, of a row r < ntok; bwd_weight has
 * none in the banks. */
static int in_output(uint32_t code, uint32_t l, uint32_t a) {
  uint32_t kn = K + N, e = a / kn, off = a % kn;
  if (e * L + l >= M || a >= (M + L - 1) / L * kn) return 0;
  if (code == KERNEL(FWD) || code == KERNEL(ATTN_QK)) return off >= K;
  if (code == KERNEL(BWD_DATA) || code == KERNEL(ATTN_PV)) return off < K;
  return 0;
}

/* bwd_weight on the tile's own harness with every gradient-buffer entry loaded: the entries past
 * the run's groups keep their words (ttile_rtl_exec loads and reads only the run's). The bank words
 * are ttile_rtl_exec's check; here only the run's regions are loaded. */
static void gbuf_past_groups(const struct ttile_state *ts, const struct ttile_desc *d, const char *what) {
  tsim_tile *t = tsim_tile_open(NULL);
  assert_non_null(t);
  uint32_t lanes[L], slots[P];
  for (uint32_t a = 0; a < d->tpl * d->kn; a++) {
    for (uint32_t l = 0; l < L; l++) lanes[l] = ts->bank[l][a];
    tsim_tile_bank_write(t, a, lanes);
  }
  for (uint32_t g = 0; g < TTILE_GROUPS; g++) {
    if (g < d->ngroups) tsim_tile_wbuf_write(t, g, ts->wb_hdr[g], ts->wb_slot[g]);
    tsim_tile_gbuf_write(t, g, ts->gbuf[g]);
  }
  struct tsim_tile_desc td = {.kernel = d->kernel, .k = d->k, .kn = d->kn, .ntok = d->ntok, .tpl = d->tpl,
                              .ngroups = d->ngroups};
  assert_int_equal(tsim_tile_run(t, &td, 100000), 0);
  assert_int_equal(tsim_tile_code(t), 3);
  for (uint32_t g = d->ngroups; g < TTILE_GROUPS; g++) {
    tsim_tile_gbuf_read(t, g, slots);
    if (memcmp(slots, ts->gbuf[g], sizeof slots)) fail_msg("%s: gradient-buffer entry %u changed", what, g);
  }
  tsim_tile_close(t);
}

/* One run on both models. Malformed (bad < BAD_COUNT): both return 3, the cmodel leaves the state
 * as it was, the RTL every word outside its output operand. Well-formed: both 0, every word and
 * counter equal. */
static void run(uint32_t code, uint32_t flags, enum bad bad, uint32_t period) {
  struct strm *s = malloc(sizeof *s);
  assert_non_null(s);
  stream_new(s);
  uint32_t g = bad < BAD_COUNT ? make_bad(s, bad) : 0;
  int attn = code == KERNEL(ATTN_QK) || code == KERNEL(ATTN_PV);
  struct ttile_state *ts = state_new(code, s->ng), *cm = malloc(sizeof *cm), *rt = malloc(sizeof *rt);
  assert_true(cm && rt);
  struct ttile_instream in = {.hdr = s->hdr, .slot = (const uint32_t(*)[P])s->slot, .nbeats = s->ng, .period = period};
  if (!attn) {
    memcpy(ts->wb_hdr, s->hdr, sizeof *s->hdr * s->ng);
    memcpy(ts->wb_slot, s->slot, sizeof *s->slot * s->ng);
  }
  struct ttile_desc d = desc_of(code, flags, s->ng);
  for (uint32_t l = 0; l < L && flags; l++)
    for (uint32_t i = 0; i < N; i++) ts->bank[l][d.param + i] = rnd_f(); /* the bias */
  char what[160], err[200] = "";
  snprintf(what, sizeof what, "kernel %u flags %04x, %u groups, %s (group %u)%s", code, flags, s->ng,
           bad < BAD_COUNT ? bad_name[bad] : "well-formed", g, attn ? (period ? ", a beat every 3 cycles" : ", stream") : "");
  memcpy(cm, ts, sizeof *cm), memcpy(rt, ts, sizeof *rt);
  struct ttile_counters ccm, crt;
  int a = attn ? ttile_cm_exec_stream(cm, &d, &in, &ccm) : ttile_cm_exec(cm, &d, &ccm);
  int b = attn ? ttile_rtl_exec_stream(rt, &d, &in, &crt, NULL, err, sizeof err) : ttile_rtl_exec(rt, &d, &crt, NULL, err, sizeof err);
  if (b < 0) fail_msg("%s: rtl: %s", what, err);
  int want = bad < BAD_COUNT ? 3 : 0;
  if (a != want || b != want) fail_msg("%s: cmodel status %d, rtl %d, want %d", what, a, b, want);
  if (want) {
    if (memcmp(cm, ts, sizeof *cm)) fail_msg("%s: the cmodel wrote", what);
    uint32_t changed = 0;
    for (uint32_t l = 0; l < L; l++)
      for (uint32_t w = 0; w < BANK; w++) {
        if (in_output(code, l, w)) {
          changed += rt->bank[l][w] != ts->bank[l][w];
        } else if (rt->bank[l][w] != ts->bank[l][w]) {
          fail_msg("%s: lane %u word %u outside the output operand: rtl %08x, before %08x", what, l, w, rt->bank[l][w],
                   ts->bank[l][w]);
        }
      }
    for (uint32_t e = 0; e < TTILE_GROUPS; e++) {
      if (e < s->ng && code == KERNEL(BWD_WEIGHT))
        for (uint32_t p = 0; p < P; p++) changed += rt->gbuf[e][p] != ts->gbuf[e][p];
      else if (memcmp(rt->gbuf[e], ts->gbuf[e], sizeof ts->gbuf[e]))
        fail_msg("%s: gradient-buffer entry %u changed", what, e);
    }
    /* The gradient buffer's addresses do not depend on the groups' words: the kinds that change the
     * row operand's address, a slot's, or the number of subgroups. */
    if (code == KERNEL(BWD_WEIGHT) && (bad == BAD_ROW_N || bad == BAD_COL_K || bad == BAD_COL_TWICE))
      gbuf_past_groups(ts, &d, what);
    print_message("# %s: status 3, %u words of the output operand written before the check, %llu cycles\n", what,
                  changed, (unsigned long long)crt.cycles);
  } else {
    for (uint32_t l = 0; l < L; l++)
      for (uint32_t w = 0; w < BANK; w++)
        if (cm->bank[l][w] != rt->bank[l][w])
          fail_msg("%s: lane %u word %u: cmodel %08x, rtl %08x", what, l, w, cm->bank[l][w], rt->bank[l][w]);
    for (uint32_t e = 0; e < TTILE_GROUPS; e++)
      if (memcmp(cm->gbuf[e], rt->gbuf[e], sizeof cm->gbuf[e])) fail_msg("%s: gradient-buffer entry %u differs", what, e);
    if (memcmp(&ccm, &crt, sizeof ccm))
      fail_msg("%s: counters differ: cycles cmodel %llu rtl %llu", what, (unsigned long long)ccm.cycles,
               (unsigned long long)crt.cycles);
    print_message("# %s: status 0, %llu cycles\n", what, (unsigned long long)crt.cycles);
  }
  free(s), free(ts), free(cm), free(rt);
}

static void weight_buffer(void **state) {
  (void)state;
  for (uint32_t code = KERNEL(FWD); code <= KERNEL(BWD_WEIGHT); code++) {
    run(code, 0, BAD_COUNT, 0);
    for (int b = 0; b < BAD_COUNT; b++) run(code, 0, (enum bad)b, 0);
  }
  /* fwd with an epilogue: a code-3 run ends after the linear part, without the epilogue. */
  const uint32_t epi = TESSERA_TILE_KERNEL_EPI_BIAS_MASK | TESSERA_TILE_KERNEL_EPI_GELU_MASK;
  run(KERNEL(FWD), epi, BAD_COUNT, 0);
  run(KERNEL(FWD), epi, BAD_COL_K, 0);
  run(KERNEL(FWD), epi, BAD_FINAL, 0);
}

static void stream_in(void **state) {
  (void)state;
  const uint32_t codes[2] = {KERNEL(ATTN_QK), KERNEL(ATTN_PV)};
  for (int c = 0; c < 2; c++) {
    run(codes[c], 0, BAD_COUNT, 0);
    for (int b = 0; b < BAD_COUNT; b++) run(codes[c], 0, (enum bad)b, b & 1 ? 3 : 0);
  }
}

int main(void) {
  if (!ttile_rtl_exec) {
    printf("1..0 # SKIP the RTL tile is not linked in\n");
    return 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(weight_buffer),
      cmocka_unit_test(stream_in),
  };
  return cmocka_run_group_tests_name("tile_stream_check", tests, NULL, NULL);
}
