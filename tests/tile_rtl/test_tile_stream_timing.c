/* Exact stream timing, RTL tile against its cmodel (ttile_exec.h; docs/tile.md, "Stream ports").
 *
 * attn_qk and attn_pv on a source given as valid times (late beat 0, gaps, bursts, ties, beats valid
 * before their predecessor is taken, beats valid exactly when the tile becomes ready for them) and
 * send on a sink given as ready times: ttile_rtl_exec_io == ttile_cm_exec_io in status, every bank
 * and gradient-buffer word, every counter and EVERY take time; ttile_cm_attn_takes on a prefix of
 * the beats equals the prefix of the full run's take times. Then two tiles linked (the producer's
 * stream-out port wired to the consumer's stream-in port), send on one and attn on the other started
 * `offset` cycles later: ttile_rtl_exec_link == ttile_cm_exec_link in both tiles' statuses, words,
 * counters, beats and take times, and on the RTL itself the coupling rule the cmodel uses (the
 * consumer takes beat 0 at its busy cycle max(0, 2 - offset); each take is the same edge on both
 * tiles). Fixed seeds; the build's preset. */
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

enum { L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, S = TESSERA_CFG_SUB_BANKS };
#define BANK TESSERA_CFG_LANE_BANK_WORDS
#define KERNEL(name) TESSERA_TILE_KERNEL_##name

static uint64_t rng = 41;
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

static struct ttile_state *state_copy(const struct ttile_state *ts) {
  struct ttile_state *c = malloc(sizeof *c);
  assert_non_null(c);
  memcpy(c, ts, sizeof *c);
  return c;
}

static uint32_t tpl_of(uint32_t ntok) { return (ntok + L - 1) / L; }

/* Moderate values in every word of the first tpl regions of kn words. */
static void fill(struct ttile_state *ts, uint32_t tpl, uint32_t kn) {
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t a = 0; a < tpl * kn; a++) ts->bank[l][a] = rnd_f(2.0f);
}

static void expect_states(const struct ttile_state *a, const struct ttile_state *b, const char *what) {
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t w = 0; w < BANK; w++)
      if (a->bank[l][w] != b->bank[l][w])
        fail_msg("%s: lane %u word %u: cmodel %08x, rtl %08x", what, l, w, a->bank[l][w], b->bank[l][w]);
  for (uint32_t g = 0; g < TTILE_GROUPS; g++)
    for (uint32_t p = 0; p < P; p++)
      if (a->gbuf[g][p] != b->gbuf[g][p])
        fail_msg("%s: gbuf %u slot %u: cmodel %08x, rtl %08x", what, g, p, a->gbuf[g][p], b->gbuf[g][p]);
}

static void expect_counters(const struct ttile_counters *a, const struct ttile_counters *b, const char *what) {
  if (memcmp(a, b, sizeof *a))
    fail_msg("%s: counters cmodel cycles %llu busy %llu memory %llu conflict %llu starved %llu backpressure %llu macs "
             "%llu, rtl %llu %llu %llu %llu %llu %llu %llu",
             what, (unsigned long long)a->cycles, (unsigned long long)a->busy, (unsigned long long)a->stall_memory,
             (unsigned long long)a->stall_bank_conflict, (unsigned long long)a->stall_stream_starved,
             (unsigned long long)a->stall_backpressure, (unsigned long long)a->macs, (unsigned long long)b->cycles,
             (unsigned long long)b->busy, (unsigned long long)b->stall_memory, (unsigned long long)b->stall_bank_conflict,
             (unsigned long long)b->stall_stream_starved, (unsigned long long)b->stall_backpressure,
             (unsigned long long)b->macs);
}

static void expect_takes(const uint64_t *a, const uint64_t *b, uint32_t n, const char *what) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != b[i])
      fail_msg("%s: beat %u taken at cmodel %lld, rtl %lld (-1: never)", what, i, a[i] == TTILE_NEVER ? -1LL : (long long)a[i],
               b[i] == TTILE_NEVER ? -1LL : (long long)b[i]);
}

/* --- attn_qk, attn_pv on a source of valid times ----------------------------------------------- */

/* A stream of W (n x k, some rows empty) as beats: column order (sub-bank conflicts) or reordered. */
static uint32_t make_beats(uint32_t n, uint32_t k, double density, int reorder, uint32_t extra, uint32_t **hdr,
                           uint32_t (**slot)[P]) {
  uint8_t *mask = malloc((size_t)n * k);
  assert_non_null(mask);
  assert_int_equal(tsp_mask_random(mask, n, k, density, rnd()), TSP_OK);
  for (uint32_t i = 2; i < n; i += 4) memset(mask + (size_t)i * k, 0, k);
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, n, k, P, S, reorder), TSP_OK);
  free(mask);
  uint32_t ng = st.ngroups;
  assert_true(ng > 2 && ng <= TTILE_GROUPS);
  *hdr = malloc(sizeof **hdr * (ng + extra));
  *slot = malloc(sizeof **slot * (ng + extra));
  assert_true(*hdr && *slot);
  for (uint32_t g = 0; g < ng + extra; g++) {
    uint32_t gg = g < ng ? g : ng - 1; /* beats past the run's: copies of its last */
    (*hdr)[g] = (uint32_t)st.row[gg] | (uint32_t)st.flags[gg] << 16;
    for (uint32_t a = 0; a < P; a++)
      (*slot)[g][a] = (uint32_t)st.col[(size_t)gg * P + a] << 16 | (f2u(rnd_f(2.0f)) >> 16);
  }
  tsp_stream_free(&st);
  return ng;
}

enum { PAT_ZERO, PAT_LATE0, PAT_GAPS, PAT_BURSTS, PAT_SHUFFLED, PAT_ALL_LATE, PAT_AT_READY, PAT_COUNT };
static const char *const pat_name[PAT_COUNT] = {"all valid at 0", "beat 0 late, the rest at 0", "random gaps",
                                                "bursts of ties", "random, some before their predecessor",
                                                "every beat late", "each at the tile's ready cycle +-1"};

/* Valid (or ready) times of n beats for pattern `pat`; scale: about a group's cycles; t0: the take
 * times of a run with every beat valid at 0 (PAT_AT_READY). */
static void pattern(int pat, uint32_t n, uint64_t scale, const uint64_t *t0, uint64_t *va) {
  uint64_t t = 0;
  for (uint32_t b = 0; b < n; b++) {
    switch (pat) {
    case PAT_ZERO: va[b] = 0; break;
    case PAT_LATE0: va[b] = b ? 0 : 17 + rnd() % 40; break;
    case PAT_GAPS: va[b] = t += rnd() % (3 * scale); break;
    case PAT_BURSTS: va[b] = t += (b % 5 == 0) ? rnd() % (8 * scale) : 0; break;
    case PAT_SHUFFLED: va[b] = rnd() % (n * scale + 1); break;
    case PAT_ALL_LATE: va[b] = 61; break;
    default: {
      int64_t v = (int64_t)t0[b] + (int64_t)(rnd() % 3) - 1;
      va[b] = v < 0 ? 0 : (uint64_t)v;
      break;
    }
    }
  }
}

/* Both backends on the source with valid times va: everything equal; then the prefixes. */
static void compare_attn(const struct ttile_state *ts, const struct ttile_desc *d, const uint32_t *hdr,
                         const uint32_t (*slot)[P], uint32_t nbeats, const uint64_t *va, uint64_t *t_out, const char *what) {
  struct ttile_state *cm = state_copy(ts), *rt = state_copy(ts);
  uint64_t *tc = malloc(sizeof *tc * nbeats), *tr = malloc(sizeof *tr * nbeats), *tp = malloc(sizeof *tp * nbeats);
  assert_true(tc && tr && tp);
  struct ttile_instream ic = {.hdr = hdr, .slot = slot, .nbeats = nbeats, .valid_at = va, .taken_at = tc};
  struct ttile_instream ir = ic;
  ir.taken_at = tr;
  struct ttile_counters ccm, crt;
  char err[200] = "";
  int a = ttile_cm_exec_io(cm, d, &ic, NULL, &ccm);
  int b = ttile_rtl_exec_io(rt, d, &ir, NULL, &crt, NULL, err, sizeof err);
  if (b < 0) fail_msg("%s: rtl: %s", what, err);
  if (a != b) fail_msg("%s: cmodel status %d, rtl %d", what, a, b);
  assert_int_equal(a, 0);
  expect_states(cm, rt, what);
  expect_counters(&ccm, &crt, what);
  expect_takes(tc, tr, nbeats, what);
  for (uint32_t i = d->ngroups; i < nbeats; i++) assert_true(tr[i] == TTILE_NEVER);
  /* Causal: the take times of any prefix, knowing only its beats. */
  uint32_t ng = d->ngroups, ks[5] = {0, 1, ng / 2, ng - 1, 1 + rnd() % (ng - 1)};
  for (int i = 0; i < 5; i++) {
    struct ttile_instream part = {.hdr = hdr, .slot = slot, .nbeats = ks[i], .valid_at = va};
    memset(tp, 0x5a, sizeof *tp * nbeats);
    assert_int_equal(ttile_cm_attn_takes(d, &part, ks[i], tp), 0);
    expect_takes(tp, tr, ks[i], what);
  }
  print_message("# %s: %llu cycles, %llu starved, %llu conflict; beat 0 at %llu, last at %llu\n", what,
                (unsigned long long)ccm.cycles, (unsigned long long)ccm.stall_stream_starved,
                (unsigned long long)ccm.stall_bank_conflict, (unsigned long long)tr[0],
                (unsigned long long)tr[ng - 1]);
  if (t_out) memcpy(t_out, tr, sizeof *tr * ng);
  free(cm), free(rt), free(tc), free(tr), free(tp);
}

static void attn_case(uint32_t code, uint32_t m, uint32_t k, uint32_t n, double density, int reorder) {
  uint32_t *hdr, (*slot)[P], tpl = tpl_of(m), kn = k + n;
  uint32_t ng = make_beats(n, k, density, reorder, 2, &hdr, &slot), nbeats = ng + 2;
  struct ttile_state *ts = state_new();
  fill(ts, tpl, kn);
  struct ttile_desc d = {.kernel = code, .k = k, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = ng};
  uint64_t *va = malloc(sizeof *va * nbeats), *t0 = calloc(nbeats, sizeof *t0);
  assert_true(va && t0);
  uint64_t scale = tpl > 7 ? tpl : 7;
  char what[200];
  for (int pat = 0; pat < PAT_COUNT; pat++) {
    pattern(pat, nbeats, scale, t0, va);
    snprintf(what, sizeof what, "%s m %u k %u n %u (%u groups%s), %s", code == KERNEL(ATTN_QK) ? "attn_qk" : "attn_pv", m,
             k, n, ng, reorder ? "" : ", column order", pat_name[pat]);
    compare_attn(ts, &d, hdr, (const uint32_t(*)[P])slot, nbeats, va, pat == PAT_ZERO ? t0 : NULL, what);
  }
  /* A beat the run takes never valid: both refuse (the tile would wait for ever); the take times of
   * the prefixes stop there. */
  pattern(PAT_GAPS, nbeats, scale, t0, va);
  va[ng / 2] = TTILE_NEVER;
  struct ttile_counters c;
  char err[200] = "";
  struct ttile_instream in = {.hdr = hdr, .slot = (const uint32_t(*)[P])slot, .nbeats = nbeats, .valid_at = va};
  struct ttile_state *cp = state_copy(ts);
  assert_int_equal(ttile_cm_exec_io(cp, &d, &in, NULL, &c), -1);
  assert_int_equal(ttile_rtl_exec_io(cp, &d, &in, NULL, &c, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "never valid"));
  assert_int_equal(ttile_cm_attn_takes(&d, &in, ng, t0), 0);
  for (uint32_t b = ng / 2; b < ng; b++) assert_true(t0[b] == TTILE_NEVER);
  /* A beat past the run's never valid: no matter. */
  pattern(PAT_GAPS, nbeats, scale, t0, va);
  va[ng] = TTILE_NEVER;
  snprintf(what, sizeof what, "%s m %u, a beat past the run's never valid", code == KERNEL(ATTN_QK) ? "attn_qk" : "attn_pv", m);
  compare_attn(ts, &d, hdr, (const uint32_t(*)[P])slot, nbeats, va, NULL, what);
  free(cp), free(ts), free(va), free(t0), free(hdr), free(slot);
}

static void attn_valid_times(void **state) {
  (void)state;
  attn_case(KERNEL(ATTN_QK), L + 3, S + 3, 9, 0.5, 0);      /* hold 5, conflicts */
  attn_case(KERNEL(ATTN_QK), 9 * L + 1, 19, 7, 0.4, 0);     /* hold 10 */
  attn_case(KERNEL(ATTN_QK), 2 * L - 1, 2 * S + 1, 6, 1.0, 1); /* dense, conflict-free */
  attn_case(KERNEL(ATTN_PV), 2 * L - 1, 13, 10, 0.6, 0);    /* hold 7, conflicts, row-operand reads */
  attn_case(KERNEL(ATTN_PV), 7 * L + 2, 2 * S + 1, 6, 1.0, 1); /* hold 8 */
  attn_case(KERNEL(ATTN_PV), 3, S - 1, 5, 0.7, 0);          /* fewer rows than lanes */
}

/* --- send on a sink of ready times --------------------------------------------------------------- */

static void send_case(uint32_t ntok, uint32_t kn, uint32_t off, uint32_t cols, uint32_t row0) {
  struct ttile_state *ts = state_new();
  uint32_t tpl = tpl_of(ntok);
  fill(ts, tpl, kn);
  struct ttile_desc d = {.kernel = KERNEL(SEND), .kn = kn, .ntok = ntok, .tpl = tpl, .off_a = off, .cols = cols, .row0 = row0};
  uint32_t nb = (uint32_t)ttile_send_beats(&d), cap = nb + 2;
  uint32_t *h[2], (*sl[2])[P];
  uint64_t *tk[2], *ra = malloc(sizeof *ra * cap), *t0 = calloc(cap, sizeof *t0);
  assert_true(ra && t0);
  for (int i = 0; i < 2; i++) {
    h[i] = calloc(cap, sizeof *h[i]), sl[i] = calloc(cap, sizeof *sl[i]), tk[i] = calloc(cap, sizeof *tk[i]);
    assert_true(h[i] && sl[i] && tk[i]);
  }
  for (uint32_t b = 0; b < cap; b++) t0[b] = 2 + b; /* the free-running take times */
  char what[200];
  for (int pat = 0; pat < PAT_COUNT; pat++) {
    pattern(pat, cap, 3, t0, ra);
    struct ttile_outstream oc = {.hdr = h[0], .slot = sl[0], .cap = cap, .ready_at = ra, .taken_at = tk[0]};
    struct ttile_outstream orl = {.hdr = h[1], .slot = sl[1], .cap = cap, .ready_at = ra, .taken_at = tk[1]};
    struct ttile_counters ccm, crt;
    char err[200] = "";
    snprintf(what, sizeof what, "send %u rows of %u words (%u beats), sink %s", ntok, cols, nb, pat_name[pat]);
    struct ttile_state *cm = state_copy(ts), *rt = state_copy(ts);
    int a = ttile_cm_exec_io(cm, &d, NULL, &oc, &ccm);
    int b = ttile_rtl_exec_io(rt, &d, NULL, &orl, &crt, NULL, err, sizeof err);
    if (b < 0) fail_msg("%s: rtl: %s", what, err);
    if (a != b) fail_msg("%s: cmodel status %d, rtl %d", what, a, b);
    assert_int_equal(a, 0);
    expect_states(cm, rt, what);
    expect_counters(&ccm, &crt, what);
    assert_int_equal(oc.nbeats, nb);
    assert_int_equal(orl.nbeats, nb);
    assert_memory_equal(h[0], h[1], sizeof *h[0] * nb);
    assert_memory_equal(sl[0], sl[1], sizeof *sl[0] * nb);
    expect_takes(tk[0], tk[1], cap, what);
    assert_true(tk[1][nb] == TTILE_NEVER && tk[1][nb + 1] == TTILE_NEVER);
    print_message("# %s: %llu cycles, %llu back-pressure; beat 0 at %llu, last at %llu\n", what,
                  (unsigned long long)ccm.cycles, (unsigned long long)ccm.stall_backpressure,
                  (unsigned long long)tk[1][0], (unsigned long long)tk[1][nb - 1]);
    free(cm), free(rt);
  }
  /* A sink never ready for a beat of the run: both refuse. */
  ra[nb - 1] = TTILE_NEVER;
  struct ttile_outstream o = {.hdr = h[0], .slot = sl[0], .cap = cap, .ready_at = ra};
  struct ttile_counters c;
  char err[200] = "";
  assert_int_equal(ttile_cm_exec_io(ts, &d, NULL, &o, &c), -1);
  assert_int_equal(ttile_rtl_exec_io(ts, &d, NULL, &o, &c, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "never ready"));
  for (int i = 0; i < 2; i++) free(h[i]), free(sl[i]), free(tk[i]);
  free(ra), free(t0), free(ts);
}

static void send_ready_times(void **state) {
  (void)state;
  send_case(L + 3, 2 * P + 4, 1, 2 * P + 1, 0);
  send_case(2 * L - 1, S + 3, 0, S + 3, 100);
  send_case(1, P, 0, 1, 7);
}

/* --- Two tiles linked ----------------------------------------------------------------------------- */

/* The producer sends nk rows of dh words (K or V: nk * ceil(dh / P) beats); the consumer runs attn
 * (m rows; its ngroups the send's beats, or `short_by` fewer) from cycle offset. RTL == cmodel, and
 * on the RTL: the consumer takes beat 0 at its cycle max(0, 2 - offset), beat b at the producer's
 * take of b minus offset. */
static void link_case(uint32_t code, uint32_t m, uint32_t nk, uint32_t dh, int64_t offset, uint32_t short_by) {
  const uint32_t kn_p = dh + 5, off = 3;
  struct ttile_state *prod = state_new(), *cons = state_new();
  fill(prod, tpl_of(nk), kn_p);
  uint32_t kn = dh + nk, tpl = tpl_of(m);
  fill(cons, tpl, kn);
  struct ttile_desc pd = {.kernel = KERNEL(SEND), .kn = kn_p, .ntok = nk, .tpl = tpl_of(nk), .off_a = off, .cols = dh};
  uint32_t nb = (uint32_t)ttile_send_beats(&pd);
  struct ttile_desc cd = {.kernel = code, .k = dh, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = nb - short_by};
  uint32_t *h[2], (*sl[2])[P];
  uint64_t *to[2], *ti[2];
  for (int i = 0; i < 2; i++) {
    h[i] = calloc(nb, sizeof *h[i]), sl[i] = calloc(nb, sizeof *sl[i]);
    to[i] = calloc(nb, sizeof *to[i]), ti[i] = calloc(nb, sizeof *ti[i]);
    assert_true(h[i] && sl[i] && to[i] && ti[i]);
  }
  struct ttile_state *pc = state_copy(prod), *cc = state_copy(cons), *pr = state_copy(prod), *cr = state_copy(cons);
  struct ttile_outstream oc = {.hdr = h[0], .slot = sl[0], .cap = nb, .taken_at = to[0]};
  struct ttile_outstream orl = {.hdr = h[1], .slot = sl[1], .cap = nb, .taken_at = to[1]};
  int codes_c[2] = {-9, -9}, codes_r[2] = {-9, -9};
  struct ttile_counters ctr_c[2], ctr_r[2];
  char err[200] = "", what[200];
  snprintf(what, sizeof what, "send %u beats -> %s m %u (hold %u) from cycle %lld%s", nb,
           code == KERNEL(ATTN_QK) ? "attn_qk" : "attn_pv", m,
           tpl > (code == KERNEL(ATTN_QK) ? 5u : 7u) ? tpl : (code == KERNEL(ATTN_QK) ? 5u : 7u), (long long)offset,
           short_by ? ", the consumer short of beats" : "");
  int a = ttile_cm_exec_link(pc, &pd, cc, &cd, offset, &oc, ti[0], codes_c, ctr_c);
  int b = ttile_rtl_exec_link(pr, &pd, cr, &cd, offset, &orl, ti[1], codes_r, ctr_r, NULL, err, sizeof err);
  if (short_by) {
    /* The producer waits for ever for its last beats to be taken: both refuse the pair. */
    assert_int_equal(a, -1);
    assert_int_equal(b, -1);
    assert_non_null(strstr(err, "did not finish"));
    print_message("# %s: neither finishes (%s)\n", what, err);
  } else {
    if (b < 0) fail_msg("%s: rtl: %s", what, err);
    assert_int_equal(a, 0);
    assert_int_equal(codes_c[0], 0), assert_int_equal(codes_c[1], 0);
    assert_int_equal(codes_r[0], 0), assert_int_equal(codes_r[1], 0);
    expect_states(pc, pr, what);
    expect_states(cc, cr, what);
    expect_counters(&ctr_c[0], &ctr_r[0], what);
    expect_counters(&ctr_c[1], &ctr_r[1], what);
    assert_int_equal(oc.nbeats, nb);
    assert_int_equal(orl.nbeats, nb);
    assert_memory_equal(h[0], h[1], sizeof *h[0] * nb);
    assert_memory_equal(sl[0], sl[1], sizeof *sl[0] * nb);
    expect_takes(to[0], to[1], nb, what);
    expect_takes(ti[0], ti[1], nb, what);
    /* The rule on the RTL alone. */
    assert_int_equal(ti[1][0], offset >= 2 ? 0 : (uint64_t)(2 - offset));
    for (uint32_t i = 0; i < nb; i++) assert_int_equal((int64_t)to[1][i], (int64_t)ti[1][i] + offset);
    /* The consumer's words do not depend on the timing: a lone run on the same beats. */
    struct ttile_state *lone = state_copy(cons);
    struct ttile_instream in = {.hdr = h[1], .slot = (const uint32_t(*)[P])sl[1], .nbeats = nb};
    struct ttile_counters c;
    assert_int_equal(ttile_cm_exec_io(lone, &cd, &in, NULL, &c), 0);
    expect_states(lone, cr, what);
    free(lone);
    print_message("# %s: producer %llu cycles (%llu back-pressure), consumer %llu cycles (%llu starved); beats "
                  "0, 1, 2, last taken at producer cycles %llu, %llu, %llu, %llu\n",
                  what, (unsigned long long)ctr_r[0].cycles, (unsigned long long)ctr_r[0].stall_backpressure,
                  (unsigned long long)ctr_r[1].cycles, (unsigned long long)ctr_r[1].stall_stream_starved,
                  (unsigned long long)to[1][0], (unsigned long long)to[1][1], (unsigned long long)to[1][2],
                  (unsigned long long)to[1][nb - 1]);
  }
  for (int i = 0; i < 2; i++) free(h[i]), free(sl[i]), free(to[i]), free(ti[i]);
  free(prod), free(cons), free(pc), free(cc), free(pr), free(cr);
}

static const int64_t offsets[] = {-300, -7, -1, 0, 1, 2, 3, 9, 500};

static void link_fast_consumer(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    link_case(KERNEL(ATTN_QK), L + 3, L + 5, 2 * P + 3, offsets[i], 0);
    link_case(KERNEL(ATTN_PV), L + 3, L + 5, 2 * P + 3, offsets[i], 0);
  }
}

static void link_slow_consumer(void **state) {
  (void)state;
  /* hold 10; attn_pv reads a row operand in each row's first group, a conflict when its sub-bank is
   * one of the group's columns'. */
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    link_case(KERNEL(ATTN_QK), 9 * L + 1, L - 3, S + 1, offsets[i], 0);
    link_case(KERNEL(ATTN_PV), 9 * L + 1, L - 3, S + 1, offsets[i], 0);
  }
}

static void link_refused(void **state) {
  (void)state;
  link_case(KERNEL(ATTN_QK), L + 3, 5, P + 1, 4, 1);
  /* Wrong kernels on either side: a usage error on both. */
  struct ttile_state *a = state_new(), *b = state_new();
  struct ttile_desc pd = {.kernel = KERNEL(FWD), .k = 4, .kn = 9, .ntok = L, .tpl = 1, .ngroups = 1};
  struct ttile_desc cd = {.kernel = KERNEL(ATTN_QK), .k = 4, .kn = 9, .ntok = L, .tpl = 1, .ngroups = 1};
  uint32_t hdr[4], slot[4][P];
  struct ttile_outstream o = {.hdr = hdr, .slot = slot, .cap = 4};
  int codes[2];
  struct ttile_counters c[2];
  char err[200] = "";
  assert_int_equal(ttile_cm_exec_link(a, &pd, b, &cd, 0, &o, NULL, codes, c), -1);
  assert_int_equal(ttile_rtl_exec_link(a, &pd, b, &cd, 0, &o, NULL, codes, c, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "send"));
  free(a), free(b);
}

/* --- Sequences of runs on two linked tiles ----------------------------------------------------- */

/* Sends of rows [row_cut[k], row_cut[k + 1]) (each sends its tile's bank rows 0.. as rows row0 =
 * row_cut[k] ..) at the requested cycles p_at[k]; attn runs (code) over rows [c_cut[j], c_cut[j + 1])
 * of the keys at c_at[j] (1: as soon as the tile is free). RTL == ttile_cm_exec_link_runs in every
 * run's cycles, status and counters, both tiles' words, the beats and every take. */
static void runs_case(uint32_t code, uint32_t m, uint32_t nk, uint32_t dh, const uint32_t *p_cut, const int64_t *p_at,
                      uint32_t np, const uint32_t *c_cut, const int64_t *c_at, uint32_t nc, const char *what) {
  const uint32_t kn_p = dh + 2, gpr = (dh + P - 1) / P, nb = nk * gpr;
  struct ttile_state *prod = state_new(), *cons = state_new();
  fill(prod, tpl_of(nk), kn_p);
  uint32_t kn = dh + nk, tpl = tpl_of(m);
  fill(cons, tpl, kn);
  struct ttile_link_run pr[2][4], cr[2][4];
  for (uint32_t k = 0; k < np; k++) {
    uint32_t rows = p_cut[k + 1] - p_cut[k];
    pr[0][k] = (struct ttile_link_run){
        .d = {.kernel = KERNEL(SEND), .kn = kn_p, .ntok = rows, .tpl = tpl_of(rows), .off_a = 1, .cols = dh, .row0 = p_cut[k]},
        .at = p_at[k]};
    pr[1][k] = pr[0][k];
  }
  for (uint32_t j = 0; j < nc; j++) {
    cr[0][j] = (struct ttile_link_run){
        .d = {.kernel = code, .k = dh, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = (c_cut[j + 1] - c_cut[j]) * gpr},
        .at = c_at[j]};
    cr[1][j] = cr[0][j];
  }
  uint32_t *h[2], (*sl[2])[P];
  uint64_t *to[2], *ti[2];
  for (int i = 0; i < 2; i++) {
    h[i] = calloc(nb, sizeof *h[i]), sl[i] = calloc(nb, sizeof *sl[i]);
    to[i] = calloc(nb, sizeof *to[i]), ti[i] = calloc(nb, sizeof *ti[i]);
    assert_true(h[i] && sl[i] && to[i] && ti[i]);
  }
  struct ttile_state *pc = state_copy(prod), *cc = state_copy(cons), *prt = state_copy(prod), *crt = state_copy(cons);
  struct ttile_outstream oc = {.hdr = h[0], .slot = sl[0], .cap = nb, .taken_at = to[0]};
  struct ttile_outstream orl = {.hdr = h[1], .slot = sl[1], .cap = nb, .taken_at = to[1]};
  char err[200] = "";
  assert_int_equal(ttile_cm_exec_link_runs(pc, pr[0], np, cc, cr[0], nc, &oc, ti[0]), 0);
  if (ttile_rtl_exec_link_runs(prt, pr[1], np, crt, cr[1], nc, &orl, ti[1], NULL, err, sizeof err))
    fail_msg("%s: rtl: %s", what, err);
  expect_states(pc, prt, what);
  expect_states(cc, crt, what);
  assert_int_equal(oc.nbeats, nb);
  assert_int_equal(orl.nbeats, nb);
  assert_memory_equal(h[0], h[1], sizeof *h[0] * nb);
  assert_memory_equal(sl[0], sl[1], sizeof *sl[0] * nb);
  expect_takes(to[0], to[1], nb, what);
  expect_takes(ti[0], ti[1], nb, what);
  expect_takes(ti[1], to[1], nb, what);
  print_message("# %s (%s):", what, code == KERNEL(ATTN_QK) ? "attn_qk" : "attn_pv");
  for (uint32_t i = 0; i < np + nc; i++) {
    const struct ttile_link_run *a = i < np ? &pr[0][i] : &cr[0][i - np], *b = i < np ? &pr[1][i] : &cr[1][i - np];
    if (a->began != b->began || a->ended != b->ended || a->code != b->code)
      fail_msg("%s: %s run %u: cmodel cycles %lld..%lld code %d, rtl %lld..%lld code %d", what,
               i < np ? "send" : "attn", i < np ? i : i - np, (long long)a->began, (long long)a->ended, a->code,
               (long long)b->began, (long long)b->ended, b->code);
    assert_int_equal(b->code, 0);
    expect_counters(&a->ctr, &b->ctr, what);
    print_message(" %s %lld..%lld", i < np ? "send" : "attn", (long long)b->began, (long long)b->ended);
  }
  print_message("\n");
  for (int i = 0; i < 2; i++) free(h[i]), free(sl[i]), free(to[i]), free(ti[i]);
  free(prod), free(cons), free(pc), free(cc), free(prt), free(crt);
}

static void link_runs(void **state) {
  (void)state;
  const uint32_t nk = L + 5, dh = 2 * P + 3;
  const uint32_t all[] = {0, nk}, half[] = {0, nk / 2 - 1, nk}, thirds[] = {0, nk / 4, nk / 2 + 2, nk};
  static const int64_t at1[] = {1, 1, 1}, late[] = {40, 700, 1500}, mixed[] = {3, 60, 1};
  for (int pv = 0; pv < 2; pv++) {
    uint32_t code = pv ? KERNEL(ATTN_PV) : KERNEL(ATTN_QK);
    /* One send into two attn runs, the second at once or late; two sends into one run. */
    runs_case(code, L + 3, nk, dh, all, at1, 1, half, at1, 2, "a send into two runs back to back");
    runs_case(code, L + 3, nk, dh, all, mixed, 1, half, late, 2, "a send into two runs, the second late");
    runs_case(code, L + 3, nk, dh, half, at1, 2, all, late, 1, "two sends back to back into one late run");
    runs_case(code, 9 * L + 1, nk, dh, half, late, 2, all, at1, 1, "two sends, the second late, into one slow run");
    /* Three sends into two runs, boundaries apart. */
    runs_case(code, L + 3, nk, dh, thirds, mixed, 3, half, mixed, 2, "three sends into two runs");
    runs_case(code, 9 * L + 1, nk, dh, thirds, late, 3, half, at1, 2, "three late sends into two slow runs");
  }
}

int main(void) {
  if (!ttile_rtl_exec_io || !ttile_rtl_exec_link || !ttile_rtl_exec_link_runs) {
    printf("1..0 # SKIP the RTL tile is not linked in\n");
    return 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(attn_valid_times),  cmocka_unit_test(send_ready_times),   cmocka_unit_test(link_fast_consumer),
      cmocka_unit_test(link_slow_consumer), cmocka_unit_test(link_refused),       cmocka_unit_test(link_runs),
  };
  return cmocka_run_group_tests_name("tile_stream_timing", tests, NULL, NULL);
}
