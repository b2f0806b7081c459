/* The tile's nonzero stream: groups of P slots per output row (docs/tile.md). */
#include <stdlib.h>
#include <string.h>

#include "tessera/sparse.h"

static int params_ok(const uint8_t *mask, uint32_t n, uint32_t k, uint32_t p, uint32_t s) {
  return mask && n > 0 && k > 0 && n <= TSP_MAX_DIM && k <= TSP_MAX_DIM && p >= 1 && p <= TSP_MAX_P && s >= 1 &&
         s <= 64 && (s & (s - 1)) == 0;
}

/* Fewest groups row r can take: max(ceil(nnz / p), nonzeros in its busiest sub-bank). */
static uint32_t row_min_groups(const uint8_t *r, uint32_t k, uint32_t p, uint32_t s) {
  uint32_t cnt[64] = {0}, nnz = 0, most = 0;
  for (uint32_t j = 0; j < k; j++)
    if (r[j]) cnt[j & (s - 1)]++, nnz++;
  uint32_t g = (nnz + p - 1) / p;
  for (uint32_t b = 0; b < s; b++)
    if (cnt[b] > most) most = cnt[b];
  return most > g ? most : g;
}

uint32_t tsp_min_groups(const uint8_t *mask, uint32_t n, uint32_t k, uint32_t p, uint32_t s) {
  if (!params_ok(mask, n, k, p, s)) return 0;
  uint32_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += row_min_groups(mask + (size_t)i * k, k, p, s);
  return total;
}

void tsp_stream_free(struct tsp_stream *st) {
  if (!st) return;
  free(st->row);
  free(st->flags);
  free(st->col);
  free(st->src);
  memset(st, 0, sizeof *st);
}

/* Append one group of `used` columns (slot order as given) for row i. */
static void emit(struct tsp_stream *st, uint32_t i, const uint32_t *cols, uint32_t used, int first) {
  uint32_t g = st->ngroups++, p = st->p;
  uint32_t hits[64] = {0}, most = 0;
  st->row[g] = (uint16_t)i;
  st->flags[g] = first ? TSP_FIRST : 0;
  for (uint32_t a = 0; a < p; a++) {
    size_t slot = (size_t)g * p + a;
    if (a < used) {
      st->col[slot] = (uint16_t)cols[a];
      st->src[slot] = i * st->k + cols[a];
      uint32_t b = cols[a] & (st->s - 1);
      if (++hits[b] > most) most = hits[b];
    } else {
      st->col[slot] = TSP_EMPTY;
      st->src[slot] = UINT32_MAX;
      st->empty_slots++;
    }
  }
  st->conflict_cycles += most ? most - 1 : 0;
}

tsp_status tsp_stream_build(struct tsp_stream *st, const uint8_t *mask, uint32_t n, uint32_t k, uint32_t p,
                            uint32_t s, int reorder) {
  if (!st || !params_ok(mask, n, k, p, s) || (uint64_t)n * k > UINT32_MAX) return TSP_ERR_ARG;
  memset(st, 0, sizeof *st);
  st->n = n, st->k = k, st->p = p, st->s = s;
  /* Every group holds at least one nonzero, so nnz groups always suffice. */
  uint32_t total = 0;
  for (size_t a = 0; a < (size_t)n * k; a++) total += mask[a] != 0;
  size_t slots = (size_t)total * p;
  st->row = malloc(sizeof *st->row * (total ? total : 1));
  st->flags = malloc(total ? total : 1);
  st->col = malloc(sizeof *st->col * (slots ? slots : 1));
  st->src = malloc(sizeof *st->src * (slots ? slots : 1));
  uint32_t *cols = malloc(sizeof *cols * k); /* the row's columns, bucketed by sub-bank */
  if (!st->row || !st->flags || !st->col || !st->src || !cols) {
    free(cols);
    tsp_stream_free(st);
    return TSP_ERR_NOMEM;
  }

  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *r = mask + (size_t)i * k;
    uint32_t start = st->ngroups, nnz = 0, pick[TSP_MAX_P];
    if (!reorder) {
      uint32_t used = 0;
      for (uint32_t j = 0; j < k; j++) {
        if (!r[j]) continue;
        nnz++;
        pick[used++] = j;
        if (used == p) emit(st, i, pick, used, st->ngroups == start), used = 0;
      }
      if (used) emit(st, i, pick, used, st->ngroups == start);
    } else {
      uint32_t cnt[64] = {0}, head[64], end[64];
      for (uint32_t j = 0; j < k; j++)
        if (r[j]) cnt[j & (s - 1)]++, nnz++;
      for (uint32_t b = 0, at = 0; b < s; b++) head[b] = end[b] = at, at += cnt[b];
      for (uint32_t j = 0; j < k; j++)
        if (r[j]) cols[end[j & (s - 1)]++] = j; /* ascending within each sub-bank */
      for (uint32_t left = nnz; left > 0;) {
        /* The (up to) p sub-banks with the most columns left; ties to the lower sub-bank. */
        uint8_t chosen[64] = {0};
        uint32_t used = 0;
        while (used < p) {
          uint32_t best = s, best_n = 0;
          for (uint32_t b = 0; b < s; b++)
            if (!chosen[b] && end[b] - head[b] > best_n) best = b, best_n = end[b] - head[b];
          if (best == s) break;
          chosen[best] = 1;
          used++;
        }
        /* Slots in increasing sub-bank order. */
        uint32_t a = 0;
        for (uint32_t b = 0; b < s; b++)
          if (chosen[b]) pick[a++] = cols[head[b]++];
        emit(st, i, pick, used, st->ngroups == start);
        left -= used;
      }
    }
    if (st->ngroups > start) st->flags[st->ngroups - 1] |= TSP_LAST;
    st->nnz += nnz;
  }
  free(cols);
  return TSP_OK;
}
