/* The cmodel backend of the tile (ttile_cm_run): job validation, results equal to the functional
 * model in the documented order, counters that add up and follow the schedule, and accuracy against
 * the float64 references. Preset: the build's (TESSERA_CFG_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/ref64.h"
#include "tessera/sparse.h"
#include "tsim_tile.h"
#include "ttile.h"
#include "ttile_fn.h"

enum { L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, S = TESSERA_CFG_SUB_BANKS };
enum { DENSE, UNSTRUCTURED, BLOCK, NM24, PATTERNS };
static const char *const pattern_name[PATTERNS] = {"dense", "unstructured", "block", "2:4"};

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint64_t rng = 7;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
/* bf16-representable, about [-2, 2], never zero. */
static float rnd_bf16(void) {
  float v = ((float)(rnd() % 2048) + 1.0f) / 1024.0f * (rnd() & 1 ? 1.0f : -1.0f);
  return u2f(f2u(v) & 0xffff0000u);
}

struct problem {
  uint32_t m, n, k;
  uint8_t *mask;
  float *x, *w, *dy;
  struct tsp_stream st;
  uint16_t *wv;
};

static void make_problem(struct problem *pb, uint32_t m, uint32_t n, uint32_t k, int pattern, double density,
                         int reorder) {
  pb->m = m, pb->n = n, pb->k = k;
  pb->mask = malloc((size_t)n * k);
  pb->x = malloc(sizeof(float) * m * k);
  pb->w = malloc(sizeof(float) * n * k);
  pb->dy = malloc(sizeof(float) * m * n);
  if (pattern == DENSE) assert_int_equal(tsp_mask_dense(pb->mask, n, k), TSP_OK);
  if (pattern == UNSTRUCTURED) assert_int_equal(tsp_mask_random(pb->mask, n, k, density, 5), TSP_OK);
  if (pattern == BLOCK) assert_int_equal(tsp_mask_block(pb->mask, n, k, P, density, 5), TSP_OK);
  if (pattern == NM24) assert_int_equal(tsp_mask_nm(pb->mask, n, k, 2, 4, 5), TSP_OK);
  for (size_t a = 0; a < (size_t)m * k; a++) pb->x[a] = rnd_bf16();
  for (size_t a = 0; a < (size_t)n * k; a++) pb->w[a] = pb->mask[a] ? rnd_bf16() : 0.0f;
  for (size_t a = 0; a < (size_t)m * n; a++) pb->dy[a] = rnd_bf16();
  assert_int_equal(tsp_stream_build(&pb->st, pb->mask, n, k, P, S, reorder), TSP_OK);
  pb->wv = malloc(sizeof(uint16_t) * (pb->st.ngroups * P + 1));
  for (size_t a = 0; a < (size_t)pb->st.ngroups * P; a++)
    pb->wv[a] = pb->st.src[a] == UINT32_MAX ? 0 : (uint16_t)(f2u(pb->w[pb->st.src[a]]) >> 16);
}

static void free_problem(struct problem *pb) {
  tsp_stream_free(&pb->st);
  free(pb->mask), free(pb->x), free(pb->w), free(pb->dy), free(pb->wv);
}

static size_t out_count(const struct problem *pb, enum ttile_kernel kn) {
  return kn == TTILE_FWD ? (size_t)pb->m * pb->n : kn == TTILE_BWD_DATA ? (size_t)pb->m * pb->k
                                                                         : (size_t)pb->st.ngroups * P;
}

static struct ttile_job job_of(struct problem *pb, enum ttile_kernel kn, uint32_t *out) {
  struct ttile_job j = {.kernel = kn, .st = &pb->st, .wv = pb->wv, .m = pb->m, .x = (const uint32_t *)pb->x,
                        .dy = (const uint32_t *)pb->dy};
  j.y = j.dx = j.dwv = out;
  return j;
}

/* Run and expect failure with `want` in the message, counters and outputs untouched. */
static void expect_error(const struct ttile_job *job, const char *want) {
  struct ttile_counters c;
  memset(&c, 0xa5, sizeof c);
  char err[256] = "";
  assert_int_equal(ttile_cm_run(job, &c, err, sizeof err), -1);
  if (!strstr(err, want)) fail_msg("error '%s' does not mention '%s'", err, want);
  assert_null(strchr(err, '\n'));
  for (size_t a = 0; a < sizeof c; a++) assert_int_equal(((unsigned char *)&c)[a], 0xa5);
}

static void rejects_bad_jobs(void **state) {
  (void)state;
  struct problem pb;
  make_problem(&pb, 10, 12, 20, UNSTRUCTURED, 0.5, 1);
  uint32_t *y = calloc(10 * 12, 4);
  struct ttile_job j = job_of(&pb, TTILE_FWD, y);
  struct ttile_counters c;
  char err[256];
  assert_int_equal(ttile_cm_run(NULL, &c, err, sizeof err), -1);
  assert_int_equal(ttile_cm_run(&j, NULL, err, sizeof err), -1);

  struct ttile_job b = j;
  b.kernel = TTILE_KERNEL_COUNT;
  expect_error(&b, "unknown kernel");
  b = j, b.st = NULL;
  expect_error(&b, "no nonzero stream");
  b = j, b.m = 0;
  expect_error(&b, "m = 0");
  b = j, b.wv = NULL;
  expect_error(&b, "fwd needs");
  b = j, b.y = NULL;
  expect_error(&b, "fwd needs");
  b = j, b.kernel = TTILE_BWD_DATA, b.dy = NULL;
  expect_error(&b, "bwd_data needs");
  b = j, b.kernel = TTILE_BWD_WEIGHT, b.dwv = NULL;
  expect_error(&b, "bwd_weight needs");

  /* A stream built for another P or S. */
  struct tsp_stream other;
  assert_int_equal(tsp_stream_build(&other, pb.mask, 12, 20, P == 1 ? 2 : P - 1, S, 1), TSP_OK);
  b = j, b.st = &other;
  expect_error(&b, "the tile (preset " TESSERA_CFG_PRESET_NAME ") takes p=");
  tsp_stream_free(&other);
  assert_int_equal(tsp_stream_build(&other, pb.mask, 12, 20, P, S * 2, 1), TSP_OK);
  b.st = &other;
  expect_error(&b, "s=");
  tsp_stream_free(&other);

  /* Corrupted streams: each defect named. */
  struct tsp_stream bad = pb.st;
  uint16_t *row = malloc(2 * bad.ngroups), *col = malloc(2 * bad.ngroups * P);
  uint8_t *flags = malloc(bad.ngroups);
  bad.row = row, bad.col = col, bad.flags = flags;
  b = j, b.st = &bad;
#define RESET() memcpy(row, pb.st.row, 2 * bad.ngroups), memcpy(col, pb.st.col, 2 * bad.ngroups * P), \
                 memcpy(flags, pb.st.flags, bad.ngroups)
  RESET();
  row[bad.ngroups - 1] = 12;
  expect_error(&b, "outside n = 12");
  RESET();
  col[P] = 20;
  expect_error(&b, "outside k = 20");
  RESET();
  flags[0] &= (uint8_t)~TSP_FIRST;
  expect_error(&b, "flags");
  RESET();
  col[1] = col[0];
  expect_error(&b, "twice");
  RESET();
  struct ttile_counters ok;
  assert_int_equal(ttile_cm_run(&b, &ok, err, sizeof err), 0); /* the copy itself is fine */
  free(row), free(col), free(flags);

  /* A shape whose token rows do not fit a lane bank. */
  struct problem big;
  uint32_t half = TESSERA_CFG_LANE_BANK_WORDS / 2 + 1;
  make_problem(&big, 1, half, half, UNSTRUCTURED, 0.002, 1);
  uint32_t yb[TESSERA_CFG_LANE_BANK_WORDS];
  for (uint32_t a = 0; a < half; a++) yb[a] = 0x12345678u;
  b = job_of(&big, TTILE_FWD, yb);
  expect_error(&b, "does not fit the tile");
  for (uint32_t a = 0; a < half; a++) assert_int_equal(yb[a], 0x12345678u); /* nothing written */
  free_problem(&big);
  free(y);
  free_problem(&pb);
}

/* Results: exactly ttile_fn's, for every kernel and pattern at ragged shapes, one pass and several,
 * accumulating onto nonzero dX and dW. */
static void results_equal_the_functional_model(void **state) {
  (void)state;
  const uint32_t shapes[][3] = {{13, 17, 35}, {L + 3, 2 * P + 1, 3 * P + 3}, {3 * L * 5 + 1, 40, 24}};
  for (size_t sh = 0; sh < 3; sh++)
    for (int pat = 0; pat < PATTERNS; pat++)
      for (int kn = 0; kn < TTILE_KERNEL_COUNT; kn++) {
        struct problem pb;
        make_problem(&pb, shapes[sh][0], shapes[sh][1], shapes[sh][2], pat, 0.3, 1);
        size_t cnt = out_count(&pb, (enum ttile_kernel)kn);
        uint32_t *got = malloc(4 * cnt + 4), *want = malloc(4 * cnt + 4);
        for (size_t a = 0; a < cnt; a++) got[a] = want[a] = kn == TTILE_FWD ? 0xdeadbeefu : f2u(rnd_bf16());
        struct ttile_job j = job_of(&pb, (enum ttile_kernel)kn, got);
        struct ttile_counters c;
        char err[256];
        assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
        uint32_t d = ttile_pass_d((enum ttile_kernel)kn, pb.m, pb.k, pb.n);
        if (kn == TTILE_FWD) ttile_fn_fwd(&pb.st, pb.wv, (const uint32_t *)pb.x, pb.m, want);
        if (kn == TTILE_BWD_DATA) ttile_fn_bwd_data(&pb.st, pb.wv, (const uint32_t *)pb.dy, pb.m, want);
        if (kn == TTILE_BWD_WEIGHT)
          ttile_fn_bwd_weight(&pb.st, (const uint32_t *)pb.dy, (const uint32_t *)pb.x, pb.m, L, d, want);
        for (size_t a = 0; a < cnt; a++)
          if (got[a] != want[a])
            fail_msg("%s %s m=%u n=%u k=%u: output %zu is 0x%08x, ttile_fn gives 0x%08x", pattern_name[pat],
                     kn == 0 ? "fwd" : kn == 1 ? "bwd_data" : "bwd_weight", pb.m, pb.n, pb.k, a, got[a], want[a]);
        free(got), free(want);
        free_problem(&pb);
      }
}

/* Several passes (k + n large, so few tokens fit a lane): bwd_weight depends on the pass split; the
 * cmodel must use ttile_plan_d's d, and a different d gives different bits here. */
static void bwd_weight_uses_the_planned_passes(void **state) {
  (void)state;
  uint32_t k = TESSERA_CFG_LANE_BANK_WORDS / 4, n = TESSERA_CFG_LANE_BANK_WORDS / 4; /* 2 tokens per lane */
  struct problem pb;
  make_problem(&pb, 5 * L + 7, n, k, UNSTRUCTURED, 0.01, 1);
  uint32_t d = ttile_pass_d(TTILE_BWD_WEIGHT, pb.m, k, n);
  assert_int_equal(d, 2);
  size_t cnt = (size_t)pb.st.ngroups * P;
  uint32_t *got = calloc(cnt, 4), *want = calloc(cnt, 4), *other = calloc(cnt, 4);
  struct ttile_job j = job_of(&pb, TTILE_BWD_WEIGHT, got);
  struct ttile_counters c;
  char err[256];
  assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
  ttile_fn_bwd_weight(&pb.st, (const uint32_t *)pb.dy, (const uint32_t *)pb.x, pb.m, L, d, want);
  ttile_fn_bwd_weight(&pb.st, (const uint32_t *)pb.dy, (const uint32_t *)pb.x, pb.m, L, (pb.m + L - 1) / L, other);
  assert_memory_equal(got, want, 4 * cnt);
  assert_memory_not_equal(got, other, 4 * cnt);
  free(got), free(want), free(other);
  free_problem(&pb);
}

/* Subgroups after the first, summed over the groups, by ranking every access of a group (the RTL's
 * way): an access's rank is the number of earlier accesses of the group in its sub-bank; the row
 * operand (word k + row) comes first when it is read: bwd_data in a row's first group, bwd_weight
 * in a window's first group (windows of TSIM_TILE_WINDOW groups; one weight-buffer chunk here) and
 * when the row changes. A group takes max rank + 1 subgroups. */
static uint64_t extra_subgroups(const struct tsp_stream *st, enum ttile_kernel kn) {
  uint64_t extra = 0;
  for (uint32_t g = 0; g < st->ngroups; g++) {
    uint32_t cls[TSP_MAX_P + 1], nacc = 0, rmax = 0;
    int row_read = kn == TTILE_BWD_DATA ? (st->flags[g] & TSP_FIRST) != 0
                 : kn == TTILE_BWD_WEIGHT ? g % TSIM_TILE_WINDOW == 0 || st->row[g] != st->row[g - 1] : 0;
    if (row_read) cls[nacc++] = (st->k + st->row[g]) % st->s;
    for (uint32_t a = 0; a < st->p; a++)
      if (st->col[(size_t)g * st->p + a] != TSP_EMPTY) cls[nacc++] = st->col[(size_t)g * st->p + a] % st->s;
    for (uint32_t a = row_read ? 1 : 0; a < nacc; a++) {
      uint32_t rank = 0;
      for (uint32_t b = 0; b < a; b++) rank += cls[b] == cls[a];
      if (rank > rmax) rmax = rank;
    }
    extra += rmax;
  }
  return extra;
}

/* Counters add up: cycles = busy (one job, no idle); busy = issue cycles + every stall; macs =
 * nonzeros of the mask times m; no cycle count beats the peak; bank-conflict stalls appear exactly
 * when the stream has conflicts, as conflict cycles times the hold of each pass. */
static void counters_are_consistent(void **state) {
  (void)state;
  const uint32_t ms[] = {1, 7, L * 8, 5 * L + 7};
  for (size_t mi = 0; mi < 4; mi++)
    for (int pat = 0; pat < PATTERNS; pat++)
      for (int reorder = 0; reorder < 2; reorder++)
        for (int kn = 0; kn < TTILE_KERNEL_COUNT; kn++) {
          struct problem pb;
          /* Case 3: two tokens per lane, so several passes; few rows, so one weight-buffer chunk. */
          uint32_t n = mi == 3 ? 4 : 24, k = mi == 3 ? TESSERA_CFG_LANE_BANK_WORDS / 2 - n : 72;
          make_problem(&pb, ms[mi], n, k, pat, 0.25, reorder);
          size_t cnt = out_count(&pb, (enum ttile_kernel)kn);
          uint32_t *out = calloc(cnt + 1, 4);
          struct ttile_job j = job_of(&pb, (enum ttile_kernel)kn, out);
          struct ttile_counters c;
          char err[256];
          assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
          uint64_t nnz = 0;
          for (size_t a = 0; a < (size_t)n * k; a++) nnz += pb.mask[a];
          assert_int_equal(c.macs, nnz * pb.m);
          assert_int_equal(c.cycles, c.busy);
          assert_int_equal(c.stall_backpressure, 0);
          /* Issue cycles: per pass, every group is applied once per token of the fullest lane. */
          uint32_t d = ttile_pass_d((enum ttile_kernel)kn, pb.m, k, n);
          assert_true(pb.st.ngroups <= TSIM_TILE_GROUPS); /* one run per pass */
          uint64_t issue = 0, dsum = 0;
          for (uint32_t base = 0; base < pb.m; base += L * d) {
            uint32_t tok = pb.m - base < L * d ? pb.m - base : L * d, dmax = (tok + L - 1) / L;
            issue += (uint64_t)pb.st.ngroups * dmax;
            dsum += dmax;
          }
          uint64_t stalls = c.stall_bank_conflict + c.stall_stream_starved + c.stall_memory + c.stall_backpressure;
          assert_int_equal(c.busy, issue + stalls);
          assert_true(c.cycles * L * P >= c.macs);
          /* Every later subgroup issues once per token of the fullest lane. bwd_weight prefetches
           * a later token's first row operand when a sub-bank is free, saving some of them. */
          uint64_t want = extra_subgroups(&pb.st, (enum ttile_kernel)kn) * dsum;
          if (kn == TTILE_BWD_WEIGHT && dsum > 1) assert_true(c.stall_bank_conflict <= want);
          else assert_int_equal(c.stall_bank_conflict, want);
          if (kn == TTILE_FWD) assert_int_equal(extra_subgroups(&pb.st, TTILE_FWD), pb.st.conflict_cycles);
          assert_true(c.stall_stream_starved > 0 && c.stall_memory > 0); /* fill and drain exist */
          free(out);
          free_problem(&pb);
        }
  /* Column order with S sub-banks and unstructured sparsity does conflict; bwd_data's row operand
   * adds conflicts to a conflict-free dense stream. */
  struct problem pb;
  make_problem(&pb, 8, 64, 64, UNSTRUCTURED, 0.5, 0);
  assert_true(pb.st.conflict_cycles > 0);
  free_problem(&pb);
  make_problem(&pb, 8, 64, 64, DENSE, 1.0, 1);
  assert_int_equal(pb.st.conflict_cycles, 0);
  assert_true(extra_subgroups(&pb.st, TTILE_BWD_DATA) > 0);
  free_problem(&pb);
}

/* The accumulator depth caps the tokens per lane of fwd and bwd_data (two passes here, one run
 * each); bwd_weight keeps the bank's d (one pass), which its summation order depends on. */
static void accumulator_depth_caps_the_pass(void **state) {
  (void)state;
  struct problem pb;
  make_problem(&pb, L * TSIM_TILE_ACC_DEPTH + 5, 4, 4, DENSE, 1.0, 1);
  uint32_t d = ttile_plan_d(pb.m, 4, 4, L, TESSERA_CFG_LANE_BANK_WORDS);
  assert_true(d > TSIM_TILE_ACC_DEPTH);
  size_t cnt = (size_t)pb.st.ngroups * P;
  uint32_t *got = calloc(cnt, 4), *want = calloc(cnt, 4), *y = calloc((size_t)pb.m * 4, 4);
  struct ttile_job j = job_of(&pb, TTILE_BWD_WEIGHT, got);
  struct ttile_counters c;
  char err[256];
  assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
  assert_int_equal(c.stall_stream_starved, 1);
  ttile_fn_bwd_weight(&pb.st, (const uint32_t *)pb.dy, (const uint32_t *)pb.x, pb.m, L, d, want);
  assert_memory_equal(got, want, 4 * cnt);
  memset(want, 0, 4 * cnt); /* the capped split sums in another order, with other bits */
  ttile_fn_bwd_weight(&pb.st, (const uint32_t *)pb.dy, (const uint32_t *)pb.x, pb.m, L, TSIM_TILE_ACC_DEPTH, want);
  assert_memory_not_equal(got, want, 4 * cnt);
  j = job_of(&pb, TTILE_FWD, y);
  assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
  assert_int_equal(c.stall_stream_starved, 2);
  free(got), free(want), free(y);
  free_problem(&pb);
}

static uint64_t cycles_of(uint32_t m, uint32_t n, uint32_t k, int pat, double density, enum ttile_kernel kn) {
  struct problem pb;
  make_problem(&pb, m, n, k, pat, density, 1);
  uint32_t *out = calloc(out_count(&pb, kn) + 1, 4);
  struct ttile_job j = job_of(&pb, kn, out);
  struct ttile_counters c;
  char err[256];
  assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
  free(out);
  free_problem(&pb);
  return c.cycles;
}

/* The schedule's consequences: dense is near peak when every lane holds at least D tokens; 1xP
 * blocks at density 1/4 take about a quarter of dense's cycles; bwd_data never beats fwd; below D
 * tokens per lane the hold is D. */
static void schedule_follows_the_stream(void **state) {
  (void)state;
  uint32_t m = L * TTILE_FMA_LATENCY, n = 64, k = 128; /* one pass, D tokens per lane */
  struct problem pb;
  make_problem(&pb, m, n, k, DENSE, 1.0, 1);
  uint32_t *y = calloc((size_t)m * n, 4);
  struct ttile_job j = job_of(&pb, TTILE_FWD, y);
  struct ttile_counters c;
  char err[256];
  assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
  assert_true((double)c.macs / ((double)c.cycles * L * P) > 0.95);
  free(y);
  free_problem(&pb);
  uint64_t dense = cycles_of(m, n, k, DENSE, 1.0, TTILE_FWD), blk = cycles_of(m, n, k, BLOCK, 0.25, TTILE_FWD);
  assert_true((double)dense / (double)blk > 3.6 && (double)dense / (double)blk <= 4.0);
  /* bwd_data does what fwd does plus the row operand's reads, with a hold of at least D + 2. */
  for (int pat = 0; pat < PATTERNS; pat++)
    assert_true(cycles_of(m, n, k, pat, 0.25, TTILE_BWD_DATA) >= cycles_of(m, n, k, pat, 0.25, TTILE_FWD));
  assert_true(cycles_of(2, n, k, DENSE, 1.0, TTILE_BWD_DATA) > cycles_of(2, n, k, DENSE, 1.0, TTILE_FWD));
  /* Fewer than D tokens per lane: the hold is D, so 1 token costs as much as D tokens. */
  assert_int_equal(cycles_of(1, n, k, DENSE, 1.0, TTILE_FWD), cycles_of(L * TTILE_FMA_LATENCY, n, k, DENSE, 1.0, TTILE_FWD));
  assert_true(cycles_of(L * (TTILE_FMA_LATENCY + 1), n, k, DENSE, 1.0, TTILE_FWD) >
              cycles_of(L * TTILE_FMA_LATENCY, n, k, DENSE, 1.0, TTILE_FWD));
}

static double gamma_c(double c) {
  double u = 1.0 / 16777216.0;
  return c * u / (1.0 - c * u);
}

/* A stream longer than the weight buffer runs as chunks of whole rows, each with its own fill and
 * drain: twice the rows that fill one chunk cost exactly twice the cycles. */
static void long_streams_run_in_chunks(void **state) {
  (void)state;
  uint32_t k = 256, rows = TSIM_TILE_GROUPS / (k / P); /* dense rows of k / P groups per chunk */
  assert_true(rows >= 1 && 2 * rows + k <= TESSERA_CFG_LANE_BANK_WORDS);
  uint64_t one = cycles_of(1, rows, k, DENSE, 1.0, TTILE_FWD), two = cycles_of(1, 2 * rows, k, DENSE, 1.0, TTILE_FWD);
  assert_int_equal(two, 2 * one);
  assert_int_equal(cycles_of(1, rows + 1, k, DENSE, 1.0, TTILE_FWD), one + cycles_of(1, 1, k, DENSE, 1.0, TTILE_FWD));
}

/* Normwise error against float64 within gamma_c * ||sum|terms|||_F / ||ref||_F, c the longest
 * rounding path (chain plus tree), and small in absolute terms. */
static void accuracy_against_float64(void **state) {
  (void)state;
  uint32_t m = 2 * L + 5, n = 40, k = 56;
  for (int pat = 0; pat < PATTERNS; pat++)
    for (int kn = 0; kn < TTILE_KERNEL_COUNT; kn++) {
      struct problem pb;
      make_problem(&pb, m, n, k, pat, 0.25, 1);
      size_t cnt = out_count(&pb, (enum ttile_kernel)kn), refn = kn == 0 ? (size_t)m * n : kn == 1 ? (size_t)m * k : (size_t)n * k;
      uint32_t *out = calloc(cnt + 1, 4);
      float *got = calloc(refn, sizeof(float));
      double *ref = malloc(refn * sizeof(double)), *abs_ = malloc(refn * sizeof(double));
      struct ttile_job j = job_of(&pb, (enum ttile_kernel)kn, out);
      struct ttile_counters c;
      char err[256];
      assert_int_equal(ttile_cm_run(&j, &c, err, sizeof err), 0);
      uint32_t d = ttile_pass_d((enum ttile_kernel)kn, m, k, n), chain;
      if (kn == TTILE_FWD) {
        ref64_fwd(pb.x, pb.w, pb.mask, m, n, k, ref, abs_);
        chain = k + 4;
      } else if (kn == TTILE_BWD_DATA) {
        ref64_bwd_data(pb.dy, pb.w, pb.mask, m, n, k, ref, abs_);
        chain = n;
      } else {
        ref64_bwd_weight(pb.dy, pb.x, pb.mask, m, n, k, ref, abs_);
        chain = d + 5 + (m + L * d - 1) / (L * d);
      }
      if (kn == TTILE_BWD_WEIGHT) {
        for (size_t a = 0; a < cnt; a++)
          if (pb.st.src[a] != UINT32_MAX) got[pb.st.src[a]] = u2f(out[a]);
      } else {
        for (size_t a = 0; a < cnt; a++) got[a] = u2f(out[a]);
      }
      double rn = 0, an = 0;
      for (size_t a = 0; a < refn; a++) rn += ref[a] * ref[a], an += abs_[a] * abs_[a];
      double e = ref64_rel_err(got, ref, refn);
      assert_true(rn > 0);
      if (!(e <= gamma_c(chain) * sqrt(an / rn) && e < 1e-5))
        fail_msg("%s kernel %d: rel_err %g above bound %g", pattern_name[pat], kn, e, gamma_c(chain) * sqrt(an / rn));
      free(out), free(got), free(ref), free(abs_);
      free_problem(&pb);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rejects_bad_jobs),
      cmocka_unit_test(results_equal_the_functional_model),
      cmocka_unit_test(bwd_weight_uses_the_planned_passes),
      cmocka_unit_test(counters_are_consistent),
      cmocka_unit_test(schedule_follows_the_stream),
      cmocka_unit_test(accumulator_depth_caps_the_pass),
      cmocka_unit_test(long_streams_run_in_chunks),
      cmocka_unit_test(accuracy_against_float64),
  };
  return cmocka_run_group_tests_name("tile_cm", tests, NULL, NULL);
}
