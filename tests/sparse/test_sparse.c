/* Masks and the nonzero stream builder (host/sparse/, docs/tile.md). The lower bound on groups is
 * recomputed here independently; hand-worked streams pin the slot order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/sparse.h"

static uint32_t row_nnz(const uint8_t *m, uint32_t k, uint32_t i) {
  uint32_t c = 0;
  for (uint32_t j = 0; j < k; j++) c += m[(size_t)i * k + j];
  return c;
}

static void random_mask_rows_exact_and_seeded(void **state) {
  (void)state;
  enum { N = 64, K = 256 };
  uint8_t *a = malloc(N * K), *b = malloc(N * K);
  assert_int_equal(tsp_mask_random(a, N, K, 0.25, 7), TSP_OK);
  for (uint32_t i = 0; i < N; i++) assert_int_equal(row_nnz(a, K, i), 64);
  assert_int_equal(tsp_mask_random(b, N, K, 0.25, 7), TSP_OK);
  assert_memory_equal(a, b, N * K);
  assert_int_equal(tsp_mask_random(b, N, K, 0.25, 8), TSP_OK);
  assert_memory_not_equal(a, b, N * K);
  /* Ragged and tiny densities: round to nearest, at least one per row. */
  assert_int_equal(tsp_row_count(100, 0.125), 13);
  assert_int_equal(tsp_row_count(10, 0.01), 1);
  assert_int_equal(tsp_row_count(7, 1.0), 7);
  /* Columns are spread: over 64 rows every column is hit at least once at density 0.25. */
  for (uint32_t j = 0; j < K; j++) {
    uint32_t hit = 0;
    for (uint32_t i = 0; i < N; i++) hit |= a[i * K + j];
    assert_true(hit);
  }
  free(a);
  free(b);
}

static void block_mask_aligned_blocks(void **state) {
  (void)state;
  enum { N = 16, K = 30, P = 4 }; /* ragged: 8 blocks, the last has 2 columns */
  uint8_t m[N * K];
  assert_int_equal(tsp_mask_block(m, N, K, P, 0.5, 3), TSP_OK);
  for (uint32_t i = 0; i < N; i++) {
    uint32_t blocks = 0;
    for (uint32_t b = 0; b * P < K; b++) {
      uint32_t on = 0, width = K - b * P < P ? K - b * P : P;
      for (uint32_t j = b * P; j < b * P + width; j++) on += m[i * K + j];
      assert_true(on == 0 || on == width); /* whole blocks only */
      blocks += on != 0;
    }
    assert_int_equal(blocks, 4);
  }
}

static void nm_mask_two_of_four(void **state) {
  (void)state;
  enum { N = 8, K = 22 }; /* last group has 2 columns: keeps both */
  uint8_t m[N * K];
  assert_int_equal(tsp_mask_nm(m, N, K, 2, 4, 11), TSP_OK);
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t g = 0; g < K; g += 4) {
      uint32_t on = 0;
      for (uint32_t j = g; j < g + 4 && j < K; j++) on += m[i * K + j];
      assert_int_equal(on, 2);
    }
}

static void magnitude_keeps_largest(void **state) {
  (void)state;
  const float w[2 * 5] = {0.1f, -3.0f, 2.0f, 0.5f, -2.0f, /* row 0: keep -3, then tie 2/-2 -> col 2 */
                          1.0f, 1.0f, 1.0f, 1.0f, 9.0f};  /* row 1: keep 9, then col 0 */
  uint8_t m[10];
  assert_int_equal(tsp_mask_magnitude(m, w, 2, 5, 0.4), TSP_OK);
  const uint8_t want[10] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 1};
  assert_memory_equal(m, want, 10);
}

static void bad_arguments(void **state) {
  (void)state;
  uint8_t m[16];
  struct tsp_stream st;
  assert_int_equal(tsp_mask_random(m, 4, 4, 0.0, 1), TSP_ERR_ARG);
  assert_int_equal(tsp_mask_random(m, 4, 4, 1.5, 1), TSP_ERR_ARG);
  assert_int_equal(tsp_mask_random(m, 0, 4, 0.5, 1), TSP_ERR_ARG);
  assert_int_equal(tsp_mask_block(m, 4, 4, 0, 0.5, 1), TSP_ERR_ARG);
  assert_int_equal(tsp_mask_nm(m, 4, 4, 3, 2, 1), TSP_ERR_ARG);
  assert_int_equal(tsp_mask_dense(m, 4, 4), TSP_OK);
  assert_int_equal(tsp_stream_build(&st, m, 4, 4, 4, 3, 1), TSP_ERR_ARG); /* sub-banks not a power of 2 */
  assert_int_equal(tsp_stream_build(&st, m, 4, 4, 0, 4, 1), TSP_ERR_ARG);
  assert_int_equal(tsp_stream_build(&st, m, 4, 4, TSP_MAX_P + 1, 4, 1), TSP_ERR_ARG);
}

/* Row 0 has columns {0, 1, 4, 8} (sub-banks 0, 1, 0, 0 with S = 4), row 1 is empty, row 2 has {3}. */
static void hand_worked_streams(void **state) {
  (void)state;
  uint8_t m[3 * 12] = {0};
  m[0] = m[1] = m[4] = m[8] = 1;
  m[2 * 12 + 3] = 1;
  struct tsp_stream st;
  /* Reordered: sub-bank 0 holds three, so row 0 needs three groups: {0,1}, {4}, {8}. */
  assert_int_equal(tsp_stream_build(&st, m, 3, 12, 4, 4, 1), TSP_OK);
  assert_int_equal(st.ngroups, 4);
  const uint16_t want_col[16] = {0, 1, TSP_EMPTY, TSP_EMPTY, 4, TSP_EMPTY, TSP_EMPTY, TSP_EMPTY,
                                 8, TSP_EMPTY, TSP_EMPTY, TSP_EMPTY, 3, TSP_EMPTY, TSP_EMPTY, TSP_EMPTY};
  assert_memory_equal(st.col, want_col, sizeof want_col);
  const uint16_t want_row[4] = {0, 0, 0, 2};
  assert_memory_equal(st.row, want_row, sizeof want_row);
  const uint8_t want_flags[4] = {TSP_FIRST, 0, TSP_LAST, TSP_FIRST | TSP_LAST};
  assert_memory_equal(st.flags, want_flags, sizeof want_flags);
  assert_int_equal(st.src[4], 4);
  assert_int_equal(st.src[12], 2 * 12 + 3);
  assert_int_equal(st.conflict_cycles, 0);
  assert_int_equal(st.empty_slots, 11);
  tsp_stream_free(&st);
  /* Column order: one group {0,1,4,8} hitting sub-bank 0 three times: two extra cycles. */
  assert_int_equal(tsp_stream_build(&st, m, 3, 12, 4, 4, 0), TSP_OK);
  assert_int_equal(st.ngroups, 2);
  const uint16_t want_col2[8] = {0, 1, 4, 8, 3, TSP_EMPTY, TSP_EMPTY, TSP_EMPTY};
  assert_memory_equal(st.col, want_col2, sizeof want_col2);
  assert_int_equal(st.conflict_cycles, 2);
  tsp_stream_free(&st);
}

/* Checks every invariant of docs/tile.md on a stream; returns the independent lower bound. */
static uint32_t check_stream(const struct tsp_stream *st, const uint8_t *m, uint32_t n, uint32_t k) {
  uint32_t p = st->p, s = st->s, bound = 0, nnz = 0;
  uint8_t *seen = calloc((size_t)n * k, 1);
  for (uint32_t g = 0; g < st->ngroups; g++) {
    uint32_t i = st->row[g], used = 0;
    assert_true(i < n);
    if (g > 0) assert_true(st->row[g - 1] <= i);
    assert_int_equal(!!(st->flags[g] & TSP_FIRST), g == 0 || st->row[g - 1] != i);
    assert_int_equal(!!(st->flags[g] & TSP_LAST), g + 1 == st->ngroups || st->row[g + 1] != i);
    for (uint32_t a = 0; a < p; a++) {
      uint16_t j = st->col[(size_t)g * p + a];
      if (j == TSP_EMPTY) {
        assert_int_equal(st->src[(size_t)g * p + a], UINT32_MAX);
        continue;
      }
      used++;
      assert_true(j < k);
      assert_true(m[(size_t)i * k + j]);
      assert_int_equal(st->src[(size_t)g * p + a], i * k + j);
      assert_int_equal(seen[(size_t)i * k + j], 0); /* exactly once */
      seen[(size_t)i * k + j] = 1;
    }
    assert_true(used > 0);
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c[64] = {0}, r = 0, most = 0;
    for (uint32_t j = 0; j < k; j++) {
      assert_int_equal(seen[(size_t)i * k + j], m[(size_t)i * k + j]); /* none missing */
      if (m[(size_t)i * k + j]) c[j % s]++, r++;
    }
    for (uint32_t b = 0; b < s; b++) most = c[b] > most ? c[b] : most;
    bound += (r + p - 1) / p > most ? (r + p - 1) / p : most;
    nnz += r;
  }
  assert_int_equal(st->nnz, nnz);
  assert_int_equal(st->empty_slots, st->ngroups * p - nnz);
  free(seen);
  return bound;
}

static void streams_of_every_pattern(void **state) {
  (void)state;
  enum { N = 48, K = 200 };
  static uint8_t m[N * K];
  const uint32_t ps[][2] = {{4, 4}, {2, 2}, {4, 8}, {8, 4}, {1, 1}, {3, 4}};
  for (int pat = 0; pat < 4; pat++) {
    for (size_t c = 0; c < sizeof ps / sizeof ps[0]; c++) {
      uint32_t p = ps[c][0], s = ps[c][1];
      if (pat == 0) assert_int_equal(tsp_mask_random(m, N, K, 0.25, 5 + c), TSP_OK);
      if (pat == 1) assert_int_equal(tsp_mask_block(m, N, K, p, 0.25, 5 + c), TSP_OK);
      if (pat == 2) assert_int_equal(tsp_mask_nm(m, N, K, 2, 4, 5 + c), TSP_OK);
      if (pat == 3) assert_int_equal(tsp_mask_dense(m, N, K), TSP_OK);
      struct tsp_stream a, b;
      assert_int_equal(tsp_stream_build(&a, m, N, K, p, s, 1), TSP_OK);
      assert_int_equal(tsp_stream_build(&b, m, N, K, p, s, 0), TSP_OK);
      uint32_t bound = check_stream(&a, m, N, K);
      check_stream(&b, m, N, K);
      /* Reordering reaches the lower bound and never collides. */
      assert_int_equal(a.ngroups, bound);
      assert_int_equal(tsp_min_groups(m, N, K, p, s), bound);
      assert_int_equal(a.conflict_cycles, 0);
      /* It never costs more cycles than column order. */
      assert_true(a.ngroups + a.conflict_cycles <= b.ngroups + b.conflict_cycles);
      /* Aligned 1xP blocks with P <= S are conflict-free even in column order. */
      if (pat == 1 && p <= s && K % p == 0) assert_int_equal(b.conflict_cycles, 0);
      tsp_stream_free(&a);
      tsp_stream_free(&b);
    }
  }
}

/* The case the reordering exists for: unstructured density 0.25 at the default shape. */
static void reordering_removes_conflicts(void **state) {
  (void)state;
  enum { N = 256, K = 256 };
  static uint8_t m[N * K];
  assert_int_equal(tsp_mask_random(m, N, K, 0.25, 1), TSP_OK);
  struct tsp_stream a, b;
  assert_int_equal(tsp_stream_build(&a, m, N, K, 4, 4, 1), TSP_OK);
  assert_int_equal(tsp_stream_build(&b, m, N, K, 4, 4, 0), TSP_OK);
  print_message("# unstructured 0.25, P=S=4: column order %u groups + %u conflict cycles; reordered %u + %u "
                "(ideal %u)\n",
                b.ngroups, b.conflict_cycles, a.ngroups, a.conflict_cycles, N * K / 4 / 4);
  assert_true(b.conflict_cycles > b.ngroups / 2); /* random columns collide often */
  assert_int_equal(a.conflict_cycles, 0);
  tsp_stream_free(&a);
  tsp_stream_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_mask_rows_exact_and_seeded),
      cmocka_unit_test(block_mask_aligned_blocks),
      cmocka_unit_test(nm_mask_two_of_four),
      cmocka_unit_test(magnitude_keeps_largest),
      cmocka_unit_test(bad_arguments),
      cmocka_unit_test(hand_worked_streams),
      cmocka_unit_test(streams_of_every_pattern),
      cmocka_unit_test(reordering_removes_conflicts),
  };
  return cmocka_run_group_tests_name("sparse", tests, NULL, NULL);
}
