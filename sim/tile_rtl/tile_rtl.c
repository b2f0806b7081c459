/* ttile_rtl_run: one linear-layer job on the Verilated compute tile (ttile.h, tsim_tile.h);
 * ttile_rtl_exec: one descriptor on a struct ttile_state (ttile_exec.h), at the end of this file.
 *
 * The job is cut into passes of up to lanes * d tokens (d = ttile_plan_d, at most
 * TSIM_TILE_ACC_DEPTH) and the stream into chunks of whole rows that fit the weight buffer. Per
 * pass the driver loads each token's rows into its lane's bank region (docs/tile.md, "RTL
 * microarchitecture"), then per chunk loads the weight buffer (and for bwd_weight the chunk's dW
 * into the gradient buffer) and runs one descriptor, then reads the results back. Loads and reads go through the tile's backdoor ports and are not counted. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tsim_tile.h"
#include "ttile.h"
#include "ttile_exec.h"

#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define S TESSERA_CFG_SUB_BANKS
#define BANK TESSERA_CFG_LANE_BANK_WORDS

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* The stream's structure: rows ascending with first/last flags on their first/last group,
 * columns inside the matrix and distinct within a group (what the tile checks, docs/tile.md "One
 * descriptor run"). */
static int check_stream(const struct tsp_stream *st, char *err, size_t errlen) {
  for (uint32_t g = 0; g < st->ngroups; g++) {
    int first = g == 0 || st->row[g] != st->row[g - 1];
    int last = g + 1 == st->ngroups || st->row[g + 1] != st->row[g];
    if (st->row[g] >= st->n || (g && st->row[g] < st->row[g - 1]))
      return fail(err, errlen, "bad stream: group %u has row %u (n = %u)", g, st->row[g], st->n);
    if (first != !!(st->flags[g] & TSP_FIRST) || last != !!(st->flags[g] & TSP_LAST))
      return fail(err, errlen, "bad stream: group %u (row %u) has wrong first/last flags", g, st->row[g]);
    for (uint32_t a = 0; a < P; a++) {
      uint16_t j = st->col[(size_t)g * P + a];
      if (j != TSP_EMPTY && j >= st->k)
        return fail(err, errlen, "bad stream: group %u slot %u has column %u (k = %u)", g, a, j, st->k);
      for (uint32_t b = 0; b < a && j != TSP_EMPTY; b++)
        if (st->col[(size_t)g * P + b] == j)
          return fail(err, errlen, "bad stream: group %u has column %u in slots %u and %u", g, j, b, a);
    }
  }
  return 0;
}

int ttile_rtl_run(const struct ttile_job *job, struct ttile_counters *ctr, const char *fst_path, char *err,
                  size_t errlen) {
  if (!job || !job->st || !ctr) return fail(err, errlen, "tile rtl: no job, stream or counters");
  const struct tsp_stream *st = job->st;
  if (job->kernel != TTILE_FWD && job->kernel != TTILE_BWD_DATA && job->kernel != TTILE_BWD_WEIGHT)
    return fail(err, errlen, "tile rtl: unknown kernel %u", (unsigned)job->kernel);
  if (st->p != P || st->s != S)
    return fail(err, errlen, "tile rtl: stream built with p = %u, s = %u; this tile needs p = %u, s = %u", st->p, st->s, P, S);
  if ((P & (P - 1)) != 0 || (L & (L - 1)) != 0)
    return fail(err, errlen, "tile rtl: nnz_per_cycle %u and lanes %u must be powers of two (adder trees)", P, L);
  uint32_t m = job->m, k = st->k, n = st->n;
  if (!m || !k || !n) return fail(err, errlen, "tile rtl: empty shape m = %u, k = %u, n = %u", m, k, n);
  if ((st->ngroups && (!st->row || !st->flags || !st->col || !job->wv)) ||
      (job->kernel == TTILE_FWD && (!job->x || !job->y)) || (job->kernel == TTILE_BWD_DATA && (!job->dy || !job->dx)) ||
      (job->kernel == TTILE_BWD_WEIGHT && (!job->dy || !job->x || !job->dwv)))
    return fail(err, errlen, "tile rtl: missing input or output array");
  uint32_t d = ttile_pass_d(job->kernel, m, k, n);
  if (!d)
    return fail(err, errlen, "tile rtl: k + n = %u words per token do not fit a lane bank of %u words", k + n, BANK);
  if ((uint64_t)L * d > 0xffffu)
    return fail(err, errlen, "tile rtl: %u tokens per pass exceed the descriptor's 16-bit token count", L * d);
  if (check_stream(st, err, errlen)) return -1;

  /* Chunks of whole rows, each at most TSIM_TILE_GROUPS groups. */
  uint32_t *cut = malloc(sizeof *cut * (st->ngroups + 2));
  uint32_t nchunks = 0;
  if (!cut) return fail(err, errlen, "tile rtl: out of memory");
  cut[0] = 0;
  for (uint32_t g = 0, start = 0; g < st->ngroups; g++) {
    if (!(st->flags[g] & TSP_LAST)) continue;
    uint32_t row_start = g;
    while (row_start > 0 && !(st->flags[row_start] & TSP_FIRST)) row_start--;
    if (g + 1 - row_start > TSIM_TILE_GROUPS) {
      free(cut);
      return fail(err, errlen, "tile rtl: row %u has %u groups, more than the weight buffer holds (%u)", st->row[g],
                  g + 1 - row_start, TSIM_TILE_GROUPS);
    }
    if (g + 1 - start > TSIM_TILE_GROUPS) {
      cut[++nchunks] = row_start;
      start = row_start;
    }
  }
  cut[++nchunks] = st->ngroups;

  tsim_tile *t = tsim_tile_open(fst_path);
  if (!t) {
    free(cut);
    if (err && errlen) snprintf(err, errlen, "tile rtl: cannot open the tile%s%s", fst_path ? " or trace file " : "", fst_path ? fst_path : "");
    return -1;
  }

  int rc = 0;
  uint32_t lanes[L], slots[P];
  uint32_t kn = k + n;
  for (uint32_t base = 0; base < m && !rc; base += L * d) {
    uint32_t ntok = m - base < L * d ? m - base : L * d;
    uint32_t tpl = (ntok + L - 1) / L;
    /* Bank regions: token e at e*(k+n); column-indexed row at 0, row-indexed row at k. */
    for (uint32_t e = 0; e < tpl; e++) {
      for (uint32_t j = 0; j < kn; j++) {
        for (uint32_t l = 0; l < L; l++) {
          uint32_t tok = base + l + e * L;
          uint32_t v = 0;
          if (tok < m) {
            if (job->kernel == TTILE_FWD)
              v = j < k ? job->x[(size_t)tok * k + j] : 0; /* Y starts at +0: rows without groups stay +0 */
            else if (job->kernel == TTILE_BWD_DATA)
              v = j < k ? job->dx[(size_t)tok * k + j] : job->dy[(size_t)tok * n + (j - k)];
            else
              v = j < k ? job->x[(size_t)tok * k + j] : job->dy[(size_t)tok * n + (j - k)];
          }
          lanes[l] = v;
        }
        tsim_tile_bank_write(t, e * kn + j, lanes);
      }
    }
    for (uint32_t c = 0; c < nchunks && !rc; c++) {
      for (uint32_t g = cut[c]; g < cut[c + 1]; g++) {
        for (uint32_t a = 0; a < P; a++) slots[a] = TSIM_TILE_SLOT(st->col[(size_t)g * P + a], job->wv[(size_t)g * P + a]);
        tsim_tile_wbuf_write(t, g - cut[c], TSIM_TILE_HDR(st->row[g], st->flags[g]), slots);
        if (job->kernel == TTILE_BWD_WEIGHT) tsim_tile_gbuf_write(t, g - cut[c], job->dwv + (size_t)g * P);
      }
      struct tsim_tile_desc desc = {
          .kernel = (uint32_t)job->kernel, .k = k, .kn = kn, .ntok = ntok, .tpl = tpl, .ngroups = cut[c + 1] - cut[c]};
      uint32_t hold = tpl > TSIM_TILE_MIN_HOLD_BWD_DATA ? tpl : TSIM_TILE_MIN_HOLD_BWD_DATA;
      uint64_t limit = (uint64_t)(cut[c + 1] - cut[c] + TSIM_TILE_WINDOW) * (P + 1) * (hold + 64) + 1000;
      if (tsim_tile_run(t, &desc, limit)) {
        rc = fail(err, errlen, "tile rtl: the tile did not finish within %llu cycles (pass at token %u)",
                  (unsigned long long)limit, base);
      } else if (tsim_tile_code(t)) {
        rc = fail(err, errlen, "tile rtl: the tile ended a run with status code %u (pass at token %u)", tsim_tile_code(t),
                  base);
      }
      /* dW back, for the slots that hold a nonzero (the others keep the job's values). */
      for (uint32_t g = cut[c]; g < cut[c + 1] && !rc && job->kernel == TTILE_BWD_WEIGHT; g++) {
        tsim_tile_gbuf_read(t, g - cut[c], slots);
        for (uint32_t a = 0; a < P; a++)
          if (st->col[(size_t)g * P + a] != TSP_EMPTY) job->dwv[(size_t)g * P + a] = slots[a];
      }
    }
    /* Results back. */
    for (uint32_t e = 0; e < tpl && !rc && job->kernel != TTILE_BWD_WEIGHT; e++) {
      uint32_t off = job->kernel == TTILE_FWD ? k : 0, len = job->kernel == TTILE_FWD ? n : k;
      for (uint32_t j = 0; j < len; j++) {
        tsim_tile_bank_read(t, e * kn + off + j, lanes);
        for (uint32_t l = 0; l < L; l++) {
          uint32_t tok = base + l + e * L;
          if (tok >= m) continue;
          if (job->kernel == TTILE_FWD)
            job->y[(size_t)tok * n + j] = lanes[l];
          else
            job->dx[(size_t)tok * k + j] = lanes[l];
        }
      }
    }
  }

  struct tsim_tile_counters tc;
  tsim_tile_counters(t, &tc);
  tsim_tile_close(t);
  free(cut);
  if (rc) return rc;
  memset(ctr, 0, sizeof *ctr);
  ctr->cycles = tc.busy; /* only the sequencer's cycles: backdoor loads are not counted */
  ctr->busy = tc.busy;
  ctr->macs = tc.macs;
  ctr->stall_bank_conflict = tc.conflict;
  ctr->stall_stream_starved = tc.starved;
  ctr->stall_backpressure = 0;
  ctr->stall_memory = tc.memory;
  return 0;
}

/* Bank words a run can read or write: its regions and its param vector (bias; gamma and beta;
 * layernorm_bwd: gamma, dgamma, dbeta; embed_bwd: k ids and k dY rows). */
static uint32_t touched_words(const struct ttile_desc *d) {
  uint32_t code = (d->kernel & TESSERA_TILE_KERNEL_CODE_MASK) >> TESSERA_TILE_KERNEL_CODE_SHIFT;
  uint64_t hi = (uint64_t)d->tpl * d->kn, par = (uint64_t)d->param + 2 * (uint64_t)(d->cols > d->kn ? d->cols : d->kn);
  if (code == TESSERA_TILE_KERNEL_LAYERNORM_BWD) par = (uint64_t)d->param + 3 * (uint64_t)d->cols;
  if (code == TESSERA_TILE_KERNEL_EMBED_BWD) par = (uint64_t)d->param + d->k + (uint64_t)d->k * d->cols;
  if (par > hi) hi = par;
  return hi > BANK ? BANK : (uint32_t)hi;
}

int ttile_rtl_exec(struct ttile_state *st, const struct ttile_desc *d, struct ttile_counters *ctr, const char *fst_path,
                   char *err, size_t errlen) {
  return ttile_rtl_exec_stream(st, d, NULL, ctr, fst_path, err, errlen);
}

int ttile_rtl_exec_stream(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                          struct ttile_counters *ctr, const char *fst_path, char *err, size_t errlen) {
  return ttile_rtl_exec_io(st, d, in, NULL, ctr, fst_path, err, errlen);
}

/* The cycles a run of d may take before the driver gives up: the linear part as ttile_rtl_run bounds
 * it, the vector program (at most 64 micro-ops per column and 64 once) at its hold, layernorm_bwd's
 * serial section (8 micro-ops per column and row, 9 cycles each), embed_bwd's token sections
 * (1 + 5 cols micro-ops per token), plus the source's and the sink's latest times. */
static uint64_t run_limit(const struct ttile_desc *d, const struct ttile_instream *in, const struct ttile_outstream *out) {
  uint32_t ng = d->ngroups <= TSIM_TILE_GROUPS ? d->ngroups : 0;
  uint64_t hold = d->tpl > 64 ? d->tpl : 64, cols = d->cols > d->kn ? d->cols : d->kn;
  uint64_t limit = (uint64_t)(ng + TSIM_TILE_WINDOW) * (P + 1) * (hold + 64) + (64 + 64 * cols) * hold + 10000;
  uint64_t nsend = (uint64_t)(d->ntok & 0xffffu) * ((d->cols + (uint64_t)P - 1) / P); /* send: its beats */
  if (in && !in->valid_at) limit += (uint64_t)(ng + 1) * in->period; /* beats presented every `period` cycles */
  for (uint32_t b = 0; in && in->valid_at && b < ng && b < in->nbeats; b++)
    if (in->valid_at[b] != TTILE_NEVER && in->valid_at[b] > limit / 2) limit = 2 * in->valid_at[b];
  if (out && !out->ready_at) limit += (nsend + 1) * ((uint64_t)out->period + 1);
  if (out) limit += nsend + 1;
  for (uint64_t b = 0; out && out->ready_at && b < nsend && b < out->cap; b++)
    if (out->ready_at[b] != TTILE_NEVER && out->ready_at[b] > limit / 2) limit = 2 * out->ready_at[b];
  return limit + 72 * cols * (uint64_t)(d->ntok & 0xffffu) + (uint64_t)(d->k < BANK ? d->k : BANK) * (1 + 5 * cols) * hold;
}

/* The tile's memories that a run of d can touch, by backdoor: bank words, weight and gradient buffer. */
static void load_state(tsim_tile *t, const struct ttile_state *st, const struct ttile_desc *d) {
  uint32_t lanes[L], hi = touched_words(d), ng = d->ngroups <= TSIM_TILE_GROUPS ? d->ngroups : 0;
  for (uint32_t a = 0; a < hi; a++) {
    for (uint32_t l = 0; l < L; l++) lanes[l] = st->bank[l][a];
    tsim_tile_bank_write(t, a, lanes);
  }
  for (uint32_t g = 0; g < ng; g++) {
    tsim_tile_wbuf_write(t, g, st->wb_hdr[g], st->wb_slot[g]);
    tsim_tile_gbuf_write(t, g, st->gbuf[g]);
  }
}

/* The same words back, and the run's counters. */
static void read_state(tsim_tile *t, struct ttile_state *st, const struct ttile_desc *d, struct ttile_counters *ctr) {
  uint32_t lanes[L], hi = touched_words(d), ng = d->ngroups <= TSIM_TILE_GROUPS ? d->ngroups : 0;
  for (uint32_t a = 0; a < hi; a++) {
    tsim_tile_bank_read(t, a, lanes);
    for (uint32_t l = 0; l < L; l++) st->bank[l][a] = lanes[l];
  }
  for (uint32_t g = 0; g < ng; g++) tsim_tile_gbuf_read(t, g, st->gbuf[g]);
  struct tsim_tile_counters tc;
  tsim_tile_counters(t, &tc);
  memset(ctr, 0, sizeof *ctr);
  ctr->cycles = ctr->busy = tc.busy;
  ctr->macs = tc.macs;
  ctr->stall_bank_conflict = tc.conflict;
  ctr->stall_stream_starved = tc.starved;
  ctr->stall_backpressure = tc.backpressure;
  ctr->stall_memory = tc.memory;
}

static struct tsim_tile_desc sim_desc(const struct ttile_desc *d) {
  struct tsim_tile_desc desc = {.kernel = d->kernel, .k = d->k, .kn = d->kn, .ntok = d->ntok, .tpl = d->tpl,
                                .ngroups = d->ngroups, .off_a = d->off_a, .off_b = d->off_b, .off_c = d->off_c,
                                .off_d = d->off_d, .cols = d->cols, .param = d->param, .row0 = d->row0};
  memcpy(desc.s, d->s, sizeof desc.s);
  return desc;
}

static uint32_t code_of(const struct ttile_desc *d) {
  return (d->kernel & TESSERA_TILE_KERNEL_CODE_MASK) >> TESSERA_TILE_KERNEL_CODE_SHIFT;
}

static int open_fail(const char *fst_path, char *err, size_t errlen) {
  if (err && errlen)
    snprintf(err, errlen, "tile rtl: cannot open the tile%s%s", fst_path ? " or trace file " : "", fst_path ? fst_path : "");
  return -1;
}

int ttile_rtl_exec_io(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                      struct ttile_outstream *out, struct ttile_counters *ctr, const char *fst_path, char *err,
                      size_t errlen) {
  if (!st || !d || !ctr) return fail(err, errlen, "tile rtl: no state, descriptor or counters");
  if (in && (!in->hdr || !in->slot)) return fail(err, errlen, "tile rtl: a stream source without beats");
  if (out && (!out->hdr || !out->slot)) return fail(err, errlen, "tile rtl: a stream sink without room for beats");
  /* A source with fewer beats than an attn run takes, or one never presenting a beat it takes,
   * would leave the tile waiting for ever; so would a sink never ready for a beat of send. */
  uint32_t code0 = code_of(d);
  if (in && (code0 == TESSERA_TILE_KERNEL_ATTN_QK || code0 == TESSERA_TILE_KERNEL_ATTN_PV)) {
    if (in->nbeats < d->ngroups)
      return fail(err, errlen, "tile rtl: the stream has %u beats, the run takes %u groups", in->nbeats, d->ngroups);
    for (uint32_t b = 0; in->valid_at && b < d->ngroups; b++)
      if (in->valid_at[b] == TTILE_NEVER)
        return fail(err, errlen, "tile rtl: stream beat %u is never valid, the run takes %u groups", b, d->ngroups);
  }
  if (out && code0 == TESSERA_TILE_KERNEL_SEND && out->ready_at) {
    uint64_t nsend = (uint64_t)(d->ntok & 0xffffu) * ((d->cols + (uint64_t)P - 1) / P);
    for (uint64_t b = 0; b < nsend && b < out->cap; b++)
      if (out->ready_at[b] == TTILE_NEVER)
        return fail(err, errlen, "tile rtl: the sink is never ready for beat %llu of send", (unsigned long long)b);
  }
  tsim_tile *t = tsim_tile_open(fst_path);
  if (!t) return open_fail(fst_path, err, errlen);
  load_state(t, st, d);
  struct tsim_tile_desc desc = sim_desc(d);
  uint64_t limit = run_limit(d, in, out);
  tsim_tile_clear_counters(t);
  struct tsim_tile_source src = {in ? in->hdr : NULL, in ? &in->slot[0][0] : NULL, in ? in->nbeats : 0,
                                 in ? in->period : 0, in ? in->valid_at : NULL, in ? in->taken_at : NULL};
  struct tsim_tile_sink snk = {out ? out->hdr : NULL, out ? &out->slot[0][0] : NULL, out ? out->cap : 0,
                               out ? out->period : 0, 0, out ? out->ready_at : NULL, out ? out->taken_at : NULL};
  int rc = tsim_tile_run_ports(t, &desc, in ? &src : NULL, out ? &snk : NULL, limit);
  if (out) out->nbeats = snk.taken;
  if (rc) {
    tsim_tile_close(t);
    return fail(err, errlen, "tile rtl: the tile did not finish within %llu cycles", (unsigned long long)limit);
  }
  uint32_t code = tsim_tile_code(t);
  read_state(t, st, d, ctr);
  tsim_tile_close(t);
  return (int)code;
}

int ttile_rtl_exec_link(struct ttile_state *prod, const struct ttile_desc *pd, struct ttile_state *cons,
                        const struct ttile_desc *cd, int64_t offset, struct ttile_outstream *out, uint64_t *in_taken_at,
                        int codes[2], struct ttile_counters ctr[2], const char *fst_path, char *err, size_t errlen) {
  if (!prod || !pd || !cons || !cd || !out || !out->hdr || !out->slot || !codes || !ctr)
    return fail(err, errlen, "tile rtl link: a NULL argument");
  uint32_t pc = code_of(pd), cc = code_of(cd);
  if (pc != TESSERA_TILE_KERNEL_SEND || (cc != TESSERA_TILE_KERNEL_ATTN_QK && cc != TESSERA_TILE_KERNEL_ATTN_PV))
    return fail(err, errlen, "tile rtl link: the producer runs send and the consumer attn_qk or attn_pv");
  if (offset < -((int64_t)1 << 40) || offset > ((int64_t)1 << 40))
    return fail(err, errlen, "tile rtl link: offset %lld out of range", (long long)offset);
  tsim_tile *tp = tsim_tile_open(fst_path), *tc = tsim_tile_open(NULL);
  if (!tp || !tc) {
    tsim_tile_close(tp), tsim_tile_close(tc);
    return open_fail(fst_path, err, errlen);
  }
  load_state(tp, prod, pd);
  load_state(tc, cons, cd);
  struct tsim_tile_desc dp = sim_desc(pd), dc = sim_desc(cd);
  uint64_t limit = run_limit(pd, NULL, NULL) + run_limit(cd, NULL, NULL) + (uint64_t)(offset < 0 ? -offset : offset) +
                   2 * ((uint64_t)(pd->ntok & 0xffffu) * ((pd->cols + (uint64_t)P - 1) / P) + 2);
  tsim_tile_clear_counters(tp);
  tsim_tile_clear_counters(tc);
  struct tsim_tile_sink snk = {out->hdr, &out->slot[0][0], out->cap, 0, 0, NULL, out->taken_at};
  int rc = tsim_tile_run_link(tp, &dp, tc, &dc, offset, &snk, in_taken_at, cd->ngroups, limit);
  out->nbeats = snk.taken;
  if (rc) {
    tsim_tile_close(tp), tsim_tile_close(tc);
    return fail(err, errlen, "tile rtl link: the two tiles did not finish within %llu cycles", (unsigned long long)limit);
  }
  codes[0] = (int)tsim_tile_code(tp);
  codes[1] = (int)tsim_tile_code(tc);
  read_state(tp, prod, pd, &ctr[0]);
  read_state(tc, cons, cd, &ctr[1]);
  tsim_tile_close(tp), tsim_tile_close(tc);
  return 0;
}

int ttile_rtl_exec_link_runs(struct ttile_state *prod, struct ttile_link_run *pr, uint32_t npr, struct ttile_state *cons,
                             struct ttile_link_run *cr, uint32_t ncr, struct ttile_outstream *out, uint64_t *in_taken_at,
                             const char *fst_path, char *err, size_t errlen) {
  if (!prod || !pr || !npr || !cons || !cr || !ncr || !out || !out->hdr || !out->slot)
    return fail(err, errlen, "tile rtl link: a NULL argument or no runs");
  uint64_t limit = 0, ng = 0;
  int64_t last = 0;
  for (uint32_t i = 0; i < npr + ncr; i++) {
    const struct ttile_link_run *r = i < npr ? &pr[i] : &cr[i - npr];
    uint32_t code = code_of(&r->d);
    if (i < npr ? code != TESSERA_TILE_KERNEL_SEND : (code != TESSERA_TILE_KERNEL_ATTN_QK && code != TESSERA_TILE_KERNEL_ATTN_PV))
      return fail(err, errlen, "tile rtl link: the producer runs send and the consumer attn_qk or attn_pv");
    if (r->at < 1 || r->at > ((int64_t)1 << 40)) return fail(err, errlen, "tile rtl link: a run at cycle %lld", (long long)r->at);
    if (r->at > last) last = r->at;
    limit += run_limit(&r->d, NULL, NULL) + 2 * ((uint64_t)(r->d.ntok & 0xffffu) * ((r->d.cols + (uint64_t)P - 1) / P) + 2);
    if (i >= npr) ng += r->d.ngroups;
  }
  limit += (uint64_t)last;
  tsim_tile *tp = tsim_tile_open(fst_path), *tc = tsim_tile_open(NULL);
  struct tsim_tile_run *runs = calloc((size_t)npr + ncr, sizeof *runs);
  if (!tp || !tc || !runs) {
    tsim_tile_close(tp), tsim_tile_close(tc), free(runs);
    return open_fail(fst_path, err, errlen);
  }
  for (uint32_t i = 0; i < npr + ncr; i++) {
    const struct ttile_link_run *r = i < npr ? &pr[i] : &cr[i - npr];
    load_state(i < npr ? tp : tc, i < npr ? prod : cons, &r->d);
    runs[i].d = sim_desc(&r->d);
    runs[i].at = r->at;
  }
  tsim_tile_clear_counters(tp);
  tsim_tile_clear_counters(tc);
  struct tsim_tile_sink snk = {out->hdr, &out->slot[0][0], out->cap, 0, 0, NULL, out->taken_at};
  int rc = tsim_tile_run_link_runs(tp, runs, npr, tc, runs + npr, ncr, &snk, in_taken_at,
                                   ng < UINT32_MAX ? (uint32_t)ng : UINT32_MAX, limit);
  out->nbeats = snk.taken;
  if (!rc) {
    struct ttile_counters scratch;
    for (uint32_t i = 0; i < npr + ncr; i++) {
      struct ttile_link_run *r = i < npr ? &pr[i] : &cr[i - npr];
      read_state(i < npr ? tp : tc, i < npr ? prod : cons, &r->d, &scratch);
      r->began = runs[i].began, r->ended = runs[i].ended, r->code = (int)runs[i].code;
      memset(&r->ctr, 0, sizeof r->ctr);
      r->ctr.cycles = r->ctr.busy = runs[i].ctr.busy;
      r->ctr.macs = runs[i].ctr.macs;
      r->ctr.stall_bank_conflict = runs[i].ctr.conflict;
      r->ctr.stall_stream_starved = runs[i].ctr.starved;
      r->ctr.stall_backpressure = runs[i].ctr.backpressure;
      r->ctr.stall_memory = runs[i].ctr.memory;
    }
  }
  tsim_tile_close(tp), tsim_tile_close(tc), free(runs);
  if (rc) return fail(err, errlen, "tile rtl link: the two tiles did not finish within %llu cycles", (unsigned long long)limit);
  return 0;
}
