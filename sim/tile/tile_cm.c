/* The cmodel backend of the compute tile (ttile.h): results from the functional model in the
 * documented summation order (ttile_fn.c), cycles and stall counters from the RTL tile's schedule
 * (rtl/tile/ttile_top.sv; docs/kernels.md, "Cycle estimate", has the formulas and their reasons).
 *
 * The job is cut as ttile_rtl_run cuts it: passes of up to L x d tokens (lane l owns tokens
 * base + l, base + l + L, ...; d = ttile_plan_d, capped at the lanes' accumulator depth for fwd and
 * bwd_data) and, per pass, chunks of whole rows that fit the weight buffer, one tile run each.
 * A run costs fill + its groups' cycles + drain:
 *   fwd, bwd_data  every group is held hold = max(dmax, min_hold) cycles per subgroup, one token per
 *                  cycle (dmax: tokens of the pass's fullest lane);
 *   bwd_weight     windows of W groups: each token in turn takes every group of the window, one
 *                  cycle per subgroup; a window hands its partial sums to the cross-lane tree and
 *                  waits for the tree to have finished the previous window.
 * A group takes one subgroup per access to its busiest sub-bank; the row operand (dY, word k + row)
 * is an access too when it is read: bwd_data in a row's first group, bwd_weight whenever the row
 * changes in a window and in a window's first group unless it was prefetched during the previous
 * token's round (possible when some subgroup of the window's later groups leaves its sub-bank free). */
#include <stdio.h>
#include <stdlib.h>

#include "tessera/gen/hwcfg.h"
#include "tsim_tile.h" /* the RTL tile's constants: accumulator depth, weight-buffer groups, holds */
#include "tile_cost.h"
#include "ttile.h"
#include "ttile_fn.h"

/* Schedule constants of the RTL tile (rtl/tile/ttile_top.sv). */
enum {
  TCM_FILL = 1,                                  /* StLoad: the weight-buffer read of the first group */
  TCM_LAT = TTILE_FMA_LATENCY,                   /* an FMA, or an adder level of a tree */
  TCM_TREE_WAIT = 1 + TTILE_FMA_LATENCY + 1,     /* bwd_weight: a window's last partial sums settle */
  TCM_TREE_ITEMS = TSIM_TILE_WINDOW * TESSERA_CFG_NNZ_PER_CYCLE, /* one item (group, slot) per cycle */
};

static uint32_t ceil_log2(uint32_t v) {
  uint32_t r = 0;
  while ((1u << r) < v) r++;
  return r;
}

/* Cycles of a run after its last issue: fwd and bwd_data, bank read + FMA + the lanes' P-slot tree;
 * bwd_weight, the cross-lane tree finishing the last window, then its L-lane tree, the gradient
 * read, the dW add and the write. */
static uint64_t drain_cycles(enum ttile_kernel kernel, int any_group) {
  if (kernel != TTILE_BWD_WEIGHT) return 1 + TCM_LAT + (uint64_t)TCM_LAT * ceil_log2(TESSERA_CFG_NNZ_PER_CYCLE);
  uint64_t tail = (uint64_t)TCM_LAT * ceil_log2(TESSERA_CFG_LANES) + 1 + TCM_LAT + 1;
  return (any_group ? TCM_TREE_WAIT + TCM_TREE_ITEMS : 0) + tail;
}

/* fwd reads an accumulator D cycles after its update (bypass); bwd_data reads a dX word again only
 * after read, FMA and write. */
static uint64_t min_hold(enum ttile_kernel kernel) {
  return kernel == TTILE_BWD_DATA ? TSIM_TILE_MIN_HOLD_BWD_DATA : TSIM_TILE_MIN_HOLD_FWD;
}

/* Subgroups of group g after its first: the accesses to its busiest sub-bank minus one, where the
 * row operand (word k + row, rank 0) counts when `row_read`. */
static uint32_t extra_subgroups(const struct tsp_stream *st, uint32_t g, int row_read) {
  uint32_t hits[64] = {0}, most = 0, smask = st->s - 1;
  for (uint32_t a = 0; a < st->p; a++) {
    uint16_t j = st->col[(size_t)g * st->p + a];
    if (j != TSP_EMPTY && ++hits[j & smask] > most) most = hits[j & smask];
  }
  if (!most) return 0;
  return row_read && hits[(st->k + st->row[g]) & smask] == most ? most : most - 1;
}

#define FAIL(...) return snprintf(err, errlen, __VA_ARGS__), -1

/* The job's one-line problem, or 0 if it can run. Also counts the nonzeros. */
static int check_job(const struct ttile_job *job, uint64_t *nnz, char *err, size_t errlen) {
  if (!job) FAIL("no job");
  if ((unsigned)job->kernel >= TTILE_KERNEL_COUNT) FAIL("unknown kernel %d", (int)job->kernel);
  const struct tsp_stream *st = job->st;
  if (!st) FAIL("no nonzero stream");
  if (st->p != TESSERA_CFG_NNZ_PER_CYCLE || st->s != TESSERA_CFG_SUB_BANKS)
    FAIL("stream built with p=%u s=%u, the tile (preset %s) takes p=%u s=%u", st->p, st->s, TESSERA_CFG_PRESET_NAME,
         (unsigned)TESSERA_CFG_NNZ_PER_CYCLE, (unsigned)TESSERA_CFG_SUB_BANKS);
  if (!st->n || !st->k || st->n > TSP_MAX_DIM || st->k > TSP_MAX_DIM) FAIL("stream shape %u x %u", st->n, st->k);
  if (!job->m) FAIL("no tokens (m = 0)");
  if (!ttile_plan_d(job->m, st->k, st->n, TESSERA_CFG_LANES, TESSERA_CFG_LANE_BANK_WORDS))
    FAIL("shape does not fit the tile: a token's rows take k + n = %u words, a lane bank holds %u",
         st->k + st->n, (unsigned)TESSERA_CFG_LANE_BANK_WORDS);
  if (st->ngroups && (!st->row || !st->flags || !st->col)) FAIL("stream has no group arrays");
  switch (job->kernel) {
  case TTILE_FWD:
    if (!job->wv || !job->x || !job->y) FAIL("fwd needs wv, x and y");
    break;
  case TTILE_BWD_DATA:
    if (!job->wv || !job->dy || !job->dx) FAIL("bwd_data needs wv, dy and dx");
    break;
  default:
    if (!job->x || !job->dy || !job->dwv) FAIL("bwd_weight needs x, dy and dwv");
    break;
  }
  /* The stream itself: rows in range and ascending, a row's groups flagged first..last, columns in
   * range and distinct within a group. */
  uint64_t count = 0;
  uint32_t p = st->p, row_groups = 0;
  for (uint32_t g = 0; g < st->ngroups; g++) {
    if (st->row[g] >= st->n) FAIL("stream group %u: row %u outside n = %u", g, st->row[g], st->n);
    if (g && st->row[g - 1] > st->row[g]) FAIL("stream group %u: rows out of order", g);
  }
  for (uint32_t g = 0; g < st->ngroups; g++) {
    uint32_t i = st->row[g];
    int first = g == 0 || st->row[g - 1] != i;
    int last = g + 1 == st->ngroups || st->row[g + 1] != i;
    if (!!(st->flags[g] & TSP_FIRST) != first || !!(st->flags[g] & TSP_LAST) != last)
      FAIL("stream group %u: first/last flags do not match its row", g);
    row_groups = first ? 1 : row_groups + 1;
    if (row_groups > TSIM_TILE_GROUPS)
      FAIL("stream row %u has more groups than the weight buffer holds (%u)", i, (unsigned)TSIM_TILE_GROUPS);
    for (uint32_t a = 0; a < p; a++) {
      uint16_t j = st->col[(size_t)g * p + a];
      if (j == TSP_EMPTY) continue;
      if (j >= st->k) FAIL("stream group %u slot %u: column %u outside k = %u", g, a, j, st->k);
      for (uint32_t b = 0; b < a; b++)
        if (st->col[(size_t)g * p + b] == j) FAIL("stream group %u: column %u twice", g, j);
      count++;
    }
  }
  *nnz = count;
  return 0;
}

/* Whether some subgroup of group g leaves the sub-bank `cls` unread (bwd_weight's prefetch of the
 * next token's row operand takes such a cycle). Ranks as in extra_subgroups. */
static int subgroup_free(const struct tsp_stream *st, uint32_t g, int row_read, uint32_t cls) {
  uint32_t smask = st->s - 1, row_cls = (st->k + st->row[g]) & smask, rank[TSP_MAX_P], rmax = 0;
  uint32_t used[TSP_MAX_P + 2] = {0}; /* per rank: does it read sub-bank cls */
  const uint16_t *col = st->col + (size_t)g * st->p;
  for (uint32_t a = 0; a < st->p; a++) {
    if (col[a] == TSP_EMPTY) continue;
    rank[a] = row_read && row_cls == (col[a] & smask);
    for (uint32_t b = 0; b < a; b++) rank[a] += col[b] != TSP_EMPTY && (col[b] & smask) == (col[a] & smask);
    if (rank[a] > rmax) rmax = rank[a];
    if ((col[a] & smask) == cls) used[rank[a]] = 1;
  }
  if (row_read && row_cls == cls) used[0] = 1;
  for (uint32_t r = 0; r <= rmax; r++)
    if (!used[r]) return 1;
  return 0;
}

void ttile_cm_run_cost(const struct tsp_stream *st, enum ttile_kernel kernel, uint32_t g0, uint32_t g1, uint64_t dmax,
                     struct ttile_counters *c) {
  uint64_t fill = g1 > g0 ? TCM_FILL : 0, drain = drain_cycles(kernel, g1 > g0);
  uint64_t busy = fill + drain, conflict = 0, memory = drain;
  if (kernel != TTILE_BWD_WEIGHT) {
    uint64_t hold = dmax > min_hold(kernel) ? dmax : min_hold(kernel), subgroups = 0;
    for (uint32_t g = g0; g < g1; g++)
      subgroups += 1 + extra_subgroups(st, g, kernel == TTILE_BWD_DATA && (st->flags[g] & TSP_FIRST));
    busy += subgroups * hold;
    conflict += (subgroups - (g1 - g0)) * dmax; /* issuing cycles of later subgroups */
    memory += subgroups * (hold - dmax);        /* hold cycles past the fullest lane's tokens */
  } else {
    const uint64_t tree = TCM_TREE_WAIT + TCM_TREE_ITEMS + 1; /* shortest window after the first */
    const uint32_t smask = st->s - 1;
    for (uint32_t w0 = g0; w0 < g1; w0 += TSIM_TILE_WINDOW) {
      /* One token's round over the window, with and without the row-operand read of its first
       * group (prefetched during the previous token's round when a sub-bank allows it). */
      uint64_t round_rd = 0, round_pf = 0, extra_rd = 0, extra_pf = 0, empty = 0;
      uint32_t pf_cls = (st->k + st->n + st->k + st->row[w0]) & smask;
      int pf_ok = 0;
      for (uint32_t g = w0; g < w0 + TSIM_TILE_WINDOW; g++) {
        if (g >= g1) { /* a position past the last group: one cycle, nothing issued */
          round_rd++, round_pf++, empty++;
          continue;
        }
        if (g == w0) {
          uint32_t x1 = extra_subgroups(st, g, 1), x0 = extra_subgroups(st, g, 0);
          round_rd += 1 + x1, extra_rd += x1, round_pf += 1 + x0, extra_pf += x0;
          continue;
        }
        int rd = st->row[g] != st->row[g - 1];
        uint32_t x = extra_subgroups(st, g, rd);
        round_rd += 1 + x, extra_rd += x, round_pf += 1 + x, extra_pf += x;
        pf_ok = pf_ok || subgroup_free(st, g, rd, pf_cls);
      }
      uint64_t later = dmax - 1, prefetched = pf_ok ? later : 0;
      uint64_t cycles = round_rd * (dmax - prefetched) + round_pf * prefetched;
      uint64_t window = w0 > g0 && cycles < tree ? tree : cycles;
      busy += window;
      conflict += extra_rd * (dmax - prefetched) + extra_pf * prefetched;
      memory += empty * dmax + (window - cycles); /* empty positions, waiting for the cross-lane tree */
    }
  }
  c->busy += busy;
  c->stall_stream_starved += fill;
  c->stall_bank_conflict += conflict;
  c->stall_memory += memory;
}

uint64_t ttile_cm_group_cycles(const struct tsp_stream *st, enum ttile_kernel kernel, uint32_t g, uint64_t dmax) {
  uint64_t hold = dmax > min_hold(kernel) ? dmax : min_hold(kernel);
  return (1 + extra_subgroups(st, g, kernel == TTILE_BWD_DATA && (st->flags[g] & TSP_FIRST))) * hold;
}

int ttile_cm_run(const struct ttile_job *job, struct ttile_counters *ctr, char *err, size_t errlen) {
  uint64_t nnz;
  if (!ctr) FAIL("no counters");
  if (check_job(job, &nnz, err, errlen)) return -1;
  const struct tsp_stream *st = job->st;
  const uint32_t lanes = TESSERA_CFG_LANES, m = job->m, d = ttile_pass_d(job->kernel, m, st->k, st->n);
  /* Chunks of whole rows of at most TSIM_TILE_GROUPS groups, cut greedily as ttile_rtl_run cuts them. */
  uint32_t *cut = malloc(sizeof *cut * ((size_t)st->ngroups + 2)), nchunks = 0;
  if (!cut) FAIL("out of memory");
  cut[0] = 0;
  for (uint32_t g = 0, start = 0, row_start = 0; g < st->ngroups; g++) {
    if (st->flags[g] & TSP_FIRST) row_start = g;
    if (!(st->flags[g] & TSP_LAST)) continue;
    if (g + 1 - start > TSIM_TILE_GROUPS) cut[++nchunks] = start = row_start;
  }
  cut[++nchunks] = st->ngroups;

  switch (job->kernel) {
  case TTILE_FWD:
    ttile_fn_fwd(st, job->wv, job->x, m, job->y);
    break;
  case TTILE_BWD_DATA:
    ttile_fn_bwd_data(st, job->wv, job->dy, m, job->dx);
    break;
  default:
    ttile_fn_bwd_weight(st, job->dy, job->x, m, lanes, d, job->dwv);
    break;
  }

  struct ttile_counters c = {0};
  for (uint32_t base = 0; base < m; base += lanes * d) {
    uint32_t tokens = m - base < lanes * d ? m - base : lanes * d;
    for (uint32_t ch = 0; ch < nchunks; ch++) ttile_cm_run_cost(st, job->kernel, cut[ch], cut[ch + 1], (tokens + lanes - 1) / lanes, &c);
  }
  free(cut);
  c.cycles = c.busy; /* the job starts at cycle 0 and the tile is busy until its last result */
  c.macs = nnz * m;
  *ctr = c;
  return 0;
}
