/* The Verilated compute tile (ttile_rtl_run) against the functional model ttile_fn, bit for bit:
 * every mask pattern, ragged shapes (m, k, n not multiples of L or P), several passes, a stream
 * cut into weight-buffer chunks, streams with sub-bank conflicts, special values; the counters'
 * invariants; bad jobs rejected with a message. Fixed seeds, small shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/numerics.h"
#include "tessera/sparse.h"
#include "tsim_tile.h"
#include "ttile.h"
#include "ttile_fn.h"

#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define S TESSERA_CFG_SUB_BANKS

enum pattern { PAT_DENSE, PAT_UNSTRUCTURED, PAT_BLOCK, PAT_NM };

static uint64_t rng;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
/* fp32 bits of a value in about [-2, 2]: bf16-representable or not (the tile rounds). */
static uint32_t rnd_f32(int bf16_only) {
  uint32_t e = 126u + rnd() % 3u, man = rnd() & 0x7fffffu;
  uint32_t v = (rnd() & 1u) << 31 | e << 23 | man;
  return bf16_only ? v & 0xffff0000u : v;
}

struct problem {
  uint32_t m, n, k;
  uint8_t *mask;
  struct tsp_stream st;
  uint16_t *wv;
  uint32_t *x, *dy, *y_rtl, *y_fn, *dx_rtl, *dx_fn, *dw_rtl, *dw_fn;
};

static void make(struct problem *pb, uint32_t m, uint32_t k, uint32_t n, enum pattern pat, double density, int reorder,
                 uint64_t seed) {
  memset(pb, 0, sizeof *pb);
  rng = seed * 0x9e3779b97f4a7c15ull + 1;
  pb->m = m, pb->k = k, pb->n = n;
  pb->mask = malloc((size_t)n * k);
  assert_non_null(pb->mask);
  switch (pat) {
    case PAT_DENSE: assert_int_equal(tsp_mask_dense(pb->mask, n, k), TSP_OK); break;
    case PAT_UNSTRUCTURED: assert_int_equal(tsp_mask_random(pb->mask, n, k, density, seed), TSP_OK); break;
    case PAT_BLOCK: assert_int_equal(tsp_mask_block(pb->mask, n, k, P, density, seed), TSP_OK); break;
    case PAT_NM: assert_int_equal(tsp_mask_nm(pb->mask, n, k, 2, 4, seed), TSP_OK); break;
  }
  assert_int_equal(tsp_stream_build(&pb->st, pb->mask, n, k, P, S, reorder), TSP_OK);
  size_t slots = (size_t)pb->st.ngroups * P;
  pb->wv = malloc(sizeof *pb->wv * (slots ? slots : 1));
  pb->x = malloc(sizeof(uint32_t) * m * k);
  pb->dy = malloc(sizeof(uint32_t) * m * n);
  pb->y_rtl = malloc(sizeof(uint32_t) * m * n);
  pb->y_fn = malloc(sizeof(uint32_t) * m * n);
  pb->dx_rtl = malloc(sizeof(uint32_t) * m * k);
  pb->dx_fn = malloc(sizeof(uint32_t) * m * k);
  pb->dw_rtl = malloc(sizeof(uint32_t) * (slots ? slots : 1));
  pb->dw_fn = malloc(sizeof(uint32_t) * (slots ? slots : 1));
  assert_true(pb->wv && pb->x && pb->dy && pb->y_rtl && pb->y_fn && pb->dx_rtl && pb->dx_fn && pb->dw_rtl && pb->dw_fn);
  for (size_t a = 0; a < slots; a++) pb->dw_rtl[a] = pb->dw_fn[a] = rnd_f32(0);
  for (size_t a = 0; a < slots; a++) pb->wv[a] = pb->st.col[a] == TSP_EMPTY ? 0 : (uint16_t)(rnd_f32(1) >> 16);
  for (size_t a = 0; a < (size_t)m * k; a++) pb->x[a] = rnd_f32(a & 1);
  for (size_t a = 0; a < (size_t)m * n; a++) pb->dy[a] = rnd_f32(a & 1);
  for (size_t a = 0; a < (size_t)m * k; a++) pb->dx_rtl[a] = pb->dx_fn[a] = rnd_f32(0);
  for (size_t a = 0; a < (size_t)m * n; a++) pb->y_rtl[a] = 0xdeadbeefu, pb->y_fn[a] = 0;
}

static void release(struct problem *pb) {
  tsp_stream_free(&pb->st);
  free(pb->mask), free(pb->wv), free(pb->x), free(pb->dy);
  free(pb->y_rtl), free(pb->y_fn), free(pb->dx_rtl), free(pb->dx_fn), free(pb->dw_rtl), free(pb->dw_fn);
}

static void check_counters(const struct problem *pb, const struct ttile_counters *c) {
  assert_int_equal(c->macs, (uint64_t)pb->st.nnz * pb->m);
  assert_true(c->cycles >= c->busy);
  uint64_t stalls = c->stall_bank_conflict + c->stall_stream_starved + c->stall_backpressure + c->stall_memory;
  assert_true(stalls <= c->busy);
  /* Every busy cycle that is not a stall issues at most P slots to each of L lanes. */
  assert_true(c->macs <= (c->busy - stalls) * (uint64_t)L * P);
}

static void first_diff(const uint32_t *a, const uint32_t *b, size_t cnt, uint32_t cols, const char *what) {
  for (size_t i = 0; i < cnt; i++)
    if (a[i] != b[i]) fail_msg("%s[%zu][%zu]: rtl %08x, ttile_fn %08x", what, i / cols, i % cols, a[i], b[i]);
}

static void run_fwd(struct problem *pb, struct ttile_counters *c) {
  char err[200] = "";
  struct ttile_job job = {.kernel = TTILE_FWD, .st = &pb->st, .wv = pb->wv, .m = pb->m, .x = pb->x, .y = pb->y_rtl};
  int rc = ttile_rtl_run(&job, c, NULL, err, sizeof err);
  if (rc) fail_msg("ttile_rtl_run: %s", err);
  ttile_fn_fwd(&pb->st, pb->wv, pb->x, pb->m, pb->y_fn);
  first_diff(pb->y_rtl, pb->y_fn, (size_t)pb->m * pb->n, pb->n, "Y");
  check_counters(pb, c);
}

static void run_bwd_data(struct problem *pb, struct ttile_counters *c) {
  char err[200] = "";
  struct ttile_job job = {.kernel = TTILE_BWD_DATA, .st = &pb->st, .wv = pb->wv, .m = pb->m, .dy = pb->dy, .dx = pb->dx_rtl};
  int rc = ttile_rtl_run(&job, c, NULL, err, sizeof err);
  if (rc) fail_msg("ttile_rtl_run: %s", err);
  ttile_fn_bwd_data(&pb->st, pb->wv, pb->dy, pb->m, pb->dx_fn);
  first_diff(pb->dx_rtl, pb->dx_fn, (size_t)pb->m * pb->k, pb->k, "dX");
  check_counters(pb, c);
}

static void run_bwd_weight(struct problem *pb, struct ttile_counters *c) {
  char err[200] = "";
  struct ttile_job job = {.kernel = TTILE_BWD_WEIGHT, .st = &pb->st, .wv = pb->wv, .m = pb->m, .x = pb->x, .dy = pb->dy,
                          .dwv = pb->dw_rtl};
  int rc = ttile_rtl_run(&job, c, NULL, err, sizeof err);
  if (rc) fail_msg("ttile_rtl_run: %s", err);
  uint32_t d = ttile_plan_d(pb->m, pb->k, pb->n, L, TESSERA_CFG_LANE_BANK_WORDS);
  ttile_fn_bwd_weight(&pb->st, pb->dy, pb->x, pb->m, L, d, pb->dw_fn);
  first_diff(pb->dw_rtl, pb->dw_fn, (size_t)pb->st.ngroups * P, P, "dW (group, slot)");
  check_counters(pb, c);
}

/* --- fwd ------------------------------------------------------------------------------------------ */
static void fwd_dense_ragged(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 2 * L + 3, 4 * P + 3, 13, PAT_DENSE, 1.0, 1, 1);
  run_fwd(&pb, &c);
  assert_int_equal(c.stall_bank_conflict, 0); /* dense rows are conflict-free with S >= P */
  release(&pb);
}

static void fwd_unstructured_ragged(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, L + 5, 53, 29, PAT_UNSTRUCTURED, 0.25, 1, 2);
  run_fwd(&pb, &c);
  release(&pb);
}

static void fwd_block(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 3 * L, 8 * P + 1, 17, PAT_BLOCK, 0.25, 1, 3);
  run_fwd(&pb, &c);
  assert_int_equal(c.stall_bank_conflict, 0);
  release(&pb);
}

static void fwd_2_4(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 7, 30, 11, PAT_NM, 0.5, 1, 4);
  run_fwd(&pb, &c);
  release(&pb);
}

/* Column-order streams put several slots of a group in one sub-bank: the tile issues the group
 * in subgroups, counts them as bank conflicts, and the sums do not change. */
static void fwd_conflicting_stream(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, L + 1, 64, 24, PAT_UNSTRUCTURED, 0.3, 0, 5);
  assert_true(pb.st.conflict_cycles > 0);
  run_fwd(&pb, &c);
  assert_true(c.stall_bank_conflict > 0);
  release(&pb);
}

/* Rows with a single nonzero (mostly empty slots), rows with none (Y stays +0), and special
 * values in X: infinities, NaN (non-canonical), -0, subnormals, values that round to bf16 ties. */
static void fwd_special_values_and_empty_rows(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, L + 2, 40, 9, PAT_UNSTRUCTURED, 1.0 / 40, 1, 6);
  uint32_t specials[] = {0x7f800000u, 0xff800000u, 0x7fa00001u, 0x80000000u, 0x00000001u, 0x00400000u,
                         0x3f808000u, 0x3f818000u, 0x7f7fffffu};
  for (size_t a = 0; a < (size_t)pb.m * pb.k; a += 7) pb.x[a] = specials[(a / 7) % 9];
  /* Drop row 3's groups: a row without nonzeros. */
  struct tsp_stream *st = &pb.st;
  uint32_t w = 0;
  for (uint32_t g = 0; g < st->ngroups; g++) {
    if (st->row[g] == 3) continue;
    st->row[w] = st->row[g], st->flags[w] = st->flags[g];
    for (uint32_t a = 0; a < P; a++) st->col[w * P + a] = st->col[g * P + a], pb.wv[w * P + a] = pb.wv[g * P + a];
    w++;
  }
  st->ngroups = w;
  st->nnz = 0;
  for (size_t a = 0; a < (size_t)w * P; a++) st->nnz += st->col[a] != TSP_EMPTY;
  run_fwd(&pb, &c);
  for (uint32_t t = 0; t < pb.m; t++) assert_int_equal(pb.y_rtl[t * pb.n + 3], 0);
  release(&pb);
}

/* k + n large: few tokens per lane fit a bank, so the job takes several passes. */
static void fwd_several_passes(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  uint32_t k = TESSERA_CFG_LANE_BANK_WORDS / 2 - 40, n = 30; /* d = 1 */
  make(&pb, 2 * L + 1, k, n, PAT_UNSTRUCTURED, 0.02, 1, 7);
  assert_int_equal(ttile_plan_d(pb.m, k, n, L, TESSERA_CFG_LANE_BANK_WORDS), 2);
  run_fwd(&pb, &c);
  release(&pb);
}

/* More groups than the weight buffer holds: the driver loads the stream in row-aligned chunks. */
static void fwd_stream_in_chunks(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  /* Rows of up to k / P groups; enough rows to pass the buffer's capacity, k + n within a bank. */
  uint32_t k = TESSERA_CFG_LANE_BANK_WORDS - 96, n = TSIM_TILE_GROUPS / (k / P) + 2;
  make(&pb, 3, k, n, PAT_DENSE, 1.0, 1, 8);
  assert_true(pb.st.ngroups > TSIM_TILE_GROUPS);
  run_fwd(&pb, &c);
  release(&pb);
}

/* --- bwd_data ------------------------------------------------------------------------------------- */
static void bwd_data_dense_ragged(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 2 * L + 3, 4 * P + 3, 13, PAT_DENSE, 1.0, 1, 11);
  run_bwd_data(&pb, &c);
  release(&pb);
}

static void bwd_data_unstructured(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, L + 5, 53, 29, PAT_UNSTRUCTURED, 0.25, 1, 12);
  run_bwd_data(&pb, &c);
  release(&pb);
}

static void bwd_data_block_and_2_4(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 3 * L, 8 * P + 1, 17, PAT_BLOCK, 0.25, 1, 13);
  run_bwd_data(&pb, &c);
  release(&pb);
  make(&pb, 7, 30, 11, PAT_NM, 0.5, 1, 14);
  run_bwd_data(&pb, &c);
  release(&pb);
}

static void bwd_data_conflicts_and_passes(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, L + 1, 64, 24, PAT_UNSTRUCTURED, 0.3, 0, 15);
  run_bwd_data(&pb, &c);
  assert_true(c.stall_bank_conflict > 0);
  release(&pb);
  make(&pb, 2 * L + 1, TESSERA_CFG_LANE_BANK_WORDS / 2 - 40, 30, PAT_UNSTRUCTURED, 0.02, 1, 16);
  run_bwd_data(&pb, &c);
  release(&pb);
}

/* --- bwd_weight ----------------------------------------------------------------------------------- */
static void bwd_weight_dense_ragged(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 2 * L + 3, 4 * P + 3, 13, PAT_DENSE, 1.0, 1, 31);
  run_bwd_weight(&pb, &c);
  release(&pb);
}

static void bwd_weight_unstructured(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 5 * L + 5, 53, 29, PAT_UNSTRUCTURED, 0.25, 1, 32);
  run_bwd_weight(&pb, &c);
  release(&pb);
}

static void bwd_weight_block_and_2_4(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, 3 * L, 8 * P + 1, 17, PAT_BLOCK, 0.25, 1, 33);
  run_bwd_weight(&pb, &c);
  release(&pb);
  make(&pb, 7, 30, 11, PAT_NM, 0.5, 1, 34); /* fewer tokens than lanes: idle lanes add +0 */
  run_bwd_weight(&pb, &c);
  release(&pb);
}

/* Conflicting groups (column order), and several passes whose sums are added in pass order. */
static void bwd_weight_conflicts_and_passes(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  make(&pb, L + 1, 64, 24, PAT_UNSTRUCTURED, 0.3, 0, 35);
  run_bwd_weight(&pb, &c);
  assert_true(c.stall_bank_conflict > 0);
  release(&pb);
  make(&pb, 3 * L + 1, TESSERA_CFG_LANE_BANK_WORDS / 2 - 40, 30, PAT_UNSTRUCTURED, 0.02, 1, 36);
  assert_int_equal(ttile_plan_d(pb.m, pb.k, pb.n, L, TESSERA_CFG_LANE_BANK_WORDS), 2);
  run_bwd_weight(&pb, &c);
  release(&pb);
}

/* bwd_data and bwd_weight over a stream cut into weight-buffer chunks (bwd_weight: dW loaded into
 * and read back from the gradient buffer per chunk). */
static void backward_stream_in_chunks(void **state) {
  (void)state;
  struct problem pb;
  struct ttile_counters c;
  uint32_t k = TESSERA_CFG_LANE_BANK_WORDS - 96, n = TSIM_TILE_GROUPS / (k / P) + 2;
  make(&pb, 3, k, n, PAT_DENSE, 1.0, 1, 41);
  assert_true(pb.st.ngroups > TSIM_TILE_GROUPS);
  run_bwd_data(&pb, &c);
  run_bwd_weight(&pb, &c);
  release(&pb);
}

/* --- bad jobs ------------------------------------------------------------------------------------- */
static void expect_reject(const struct ttile_job *job, const char *needle) {
  char err[200] = "";
  struct ttile_counters c;
  assert_int_equal(ttile_rtl_run(job, &c, NULL, err, sizeof err), -1);
  if (!strstr(err, needle)) fail_msg("message '%s' does not mention '%s'", err, needle);
}

static void bad_jobs_rejected(void **state) {
  (void)state;
  struct problem pb;
  make(&pb, 4, TESSERA_CFG_LANE_BANK_WORDS, 8, PAT_UNSTRUCTURED, 0.01, 1, 21);
  struct ttile_job job = {.kernel = TTILE_FWD, .st = &pb.st, .wv = pb.wv, .m = pb.m, .x = pb.x, .y = pb.y_rtl};
  expect_reject(&job, "do not fit a lane bank");
  release(&pb);

  make(&pb, 4, 16, 8, PAT_DENSE, 1.0, 1, 22);
  struct tsp_stream other;
  assert_int_equal(tsp_stream_build(&other, pb.mask, 8, 16, P == 1 ? 2 : P / 2, S, 1), TSP_OK);
  job = (struct ttile_job){.kernel = TTILE_FWD, .st = &other, .wv = pb.wv, .m = pb.m, .x = pb.x, .y = pb.y_rtl};
  expect_reject(&job, "stream built with");
  tsp_stream_free(&other);
  assert_int_equal(tsp_stream_build(&other, pb.mask, 8, 16, P, S * 2, 1), TSP_OK);
  job.st = &other;
  expect_reject(&job, "stream built with");
  tsp_stream_free(&other);

  job = (struct ttile_job){.kernel = TTILE_FWD, .st = &pb.st, .wv = pb.wv, .m = pb.m, .x = pb.x, .y = NULL};
  expect_reject(&job, "missing");
  job = (struct ttile_job){.kernel = TTILE_KERNEL_COUNT, .st = &pb.st, .wv = pb.wv, .m = pb.m, .x = pb.x, .y = pb.y_rtl};
  expect_reject(&job, "unknown kernel");
  job = (struct ttile_job){.kernel = TTILE_FWD, .st = &pb.st, .wv = pb.wv, .m = 0, .x = pb.x, .y = pb.y_rtl};
  expect_reject(&job, "empty shape");
  pb.st.col[1] = 16; /* a column outside k */
  job = (struct ttile_job){.kernel = TTILE_FWD, .st = &pb.st, .wv = pb.wv, .m = pb.m, .x = pb.x, .y = pb.y_rtl};
  expect_reject(&job, "bad stream");
  pb.st.col[1] = 1;
  pb.st.flags[0] = 0;
  expect_reject(&job, "bad stream");
  release(&pb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fwd_dense_ragged),
      cmocka_unit_test(fwd_unstructured_ragged),
      cmocka_unit_test(fwd_block),
      cmocka_unit_test(fwd_2_4),
      cmocka_unit_test(fwd_conflicting_stream),
      cmocka_unit_test(fwd_special_values_and_empty_rows),
      cmocka_unit_test(fwd_several_passes),
      cmocka_unit_test(fwd_stream_in_chunks),
      cmocka_unit_test(bwd_data_dense_ragged),
      cmocka_unit_test(bwd_data_unstructured),
      cmocka_unit_test(bwd_data_block_and_2_4),
      cmocka_unit_test(bwd_data_conflicts_and_passes),
      cmocka_unit_test(bwd_weight_dense_ragged),
      cmocka_unit_test(bwd_weight_unstructured),
      cmocka_unit_test(bwd_weight_block_and_2_4),
      cmocka_unit_test(bwd_weight_conflicts_and_passes),
      cmocka_unit_test(backward_stream_in_chunks),
      cmocka_unit_test(bad_jobs_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
