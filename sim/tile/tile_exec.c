/* ttile_cm_exec: one run of a tile descriptor on a tile's memories (ttile_exec.h; docs/chip.md,
 * "Tile"; docs/tile.md, "Vector unit").
 *
 * Results: the linear kernels through the functional model of ttile_fn.c on the stream that the
 * weight buffer holds; the vector kernels through the functional models of sim/vec (tvec_fn.h),
 * one row at a time. Rows live in different regions and a kernel's operand ranges are identical or
 * disjoint (checked), so row by row gives the same bits as the RTL's column-by-column interleave.
 * Only the run's rows (r < ntok) are written.
 *
 * Cycles: the linear kernels' sequencer model of tile_cm.c (ttile_cm_run_cost); the vector unit's
 * is docs/tile.md's: every micro-op of the kernel's program is issued once per column it loops
 * over, for each of the fullest lane's rows in turn, held for at least TEX_VEC_HOLD cycles. */
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tessera/numerics.h"
#include "tessera/sparse.h"
#include "tile_cost.h"
#include "ttile.h"
#include "ttile_exec.h"
#include "ttile_fn.h"
#include "tvec_fn.h"

#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define S TESSERA_CFG_SUB_BANKS
#define BANK TESSERA_CFG_LANE_BANK_WORDS

enum {
  TEX_OK = 0,
  TEX_UNKNOWN = 2, /* tile.status.code: unknown kernel */
  TEX_RANGE = 3,   /* operands outside the bank or the weight buffer, or an inconsistent shape */
  TEX_LABEL = 4,   /* a label outside its row */
  /* The vector unit: one micro-op per cycle per lane; a micro-op's result is in the lane's register
   * file 8 cycles after its issue (tnum_fpu_top's latency) and readable in the next cycle, so a
   * row's next micro-op comes at least 9 cycles after its previous one. */
  TEX_VEC_HOLD = 9,
};

static uint32_t kernel_code(uint32_t kernel) {
  return (kernel & TESSERA_TILE_KERNEL_CODE_MASK) >> TESSERA_TILE_KERNEL_CODE_SHIFT;
}

/* The fwd epilogue's flags. */
#define EPI_FLAGS                                                                                                   \
  (TESSERA_TILE_KERNEL_EPI_BIAS_MASK | TESSERA_TILE_KERNEL_EPI_GELU_MASK | TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK | \
   TESSERA_TILE_KERNEL_EPI_SCALE_MASK | TESSERA_TILE_KERNEL_CAST_BF16_MASK)

/* Micro-ops of a vector program (docs/tile.md, "Vector unit"): `fixed` issued once, `per_col`
 * once per column of the row, `serial` once per block of 9 columns and run row (the cross-row
 * chains of layernorm_bwd: rows in increasing order, a column per issue slot), `per_tok` once per token
 * of embed_bwd (k tokens) and `per_col_tok` once per column and token. The fwd epilogue's depend
 * on its flags. */
struct vprog {
  uint32_t fixed, per_col, serial, per_tok, per_col_tok;
};

static struct vprog vector_program(uint32_t code, uint32_t kernel) {
  switch (code) {
  case TESSERA_TILE_KERNEL_FWD: {
    uint32_t n = 3; /* load Y, multiply by the scale (1.0 without epi_scale), store Y */
    if (kernel & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) n += 2;
    if (kernel & TESSERA_TILE_KERNEL_EPI_GELU_MASK) n += 1;
    if (kernel & TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK) n += 2;
    if (kernel & TESSERA_TILE_KERNEL_CAST_BF16_MASK) n += 2;
    return (struct vprog){0, n, 0, 0, 0};
  }
  case TESSERA_TILE_KERNEL_GELU_FWD: return (struct vprog){0, 3, 0, 0, 0};
  case TESSERA_TILE_KERNEL_GELU_BWD: return (struct vprog){0, 17, 0, 0, 0};
  case TESSERA_TILE_KERNEL_ADD: return (struct vprog){0, 4, 0, 0, 0};
  case TESSERA_TILE_KERNEL_SCALE: return (struct vprog){0, 3, 0, 0, 0};
  case TESSERA_TILE_KERNEL_SOFTMAX_FWD: return (struct vprog){2, 11, 0, 0, 0};
  case TESSERA_TILE_KERNEL_SOFTMAX_BWD: return (struct vprog){1, 9, 0, 0, 0};
  case TESSERA_TILE_KERNEL_LAYERNORM_FWD: return (struct vprog){12, 12, 0, 0, 0};
  case TESSERA_TILE_KERNEL_XENT_FWD: return (struct vprog){21, 7, 0, 0, 0};
  case TESSERA_TILE_KERNEL_XENT_BWD: return (struct vprog){3, 12, 0, 0, 0};
  case TESSERA_TILE_KERNEL_LAYERNORM_BWD: return (struct vprog){6, 19, 8, 0, 0};
  case TESSERA_TILE_KERNEL_EMBED_BWD: return (struct vprog){1, 0, 0, 1, 5};
  default: return (struct vprog){5, 25, 0, 0, 0}; /* adamw */
  }
}

/* Adds a vector program's cycles: every issue slot is held max(tpl, TEX_VEC_HOLD) cycles, and the
 * run ends one cycle after its last issue. Hold cycles past the fullest lane's rows and that last
 * cycle are memory stalls (the linear kernels' convention). A serial micro-op is held TEX_VEC_HOLD
 * cycles whatever tpl is and issued for each of its block's columns (9, the last block fewer). */
static void vector_cost(struct vprog pr, uint32_t cols, uint32_t ntok, uint32_t tpl, uint32_t ktok,
                        struct ttile_counters *c) {
  uint64_t hold = tpl > TEX_VEC_HOLD ? tpl : TEX_VEC_HOLD;
  uint64_t uops = pr.fixed + (uint64_t)pr.per_col * cols + (uint64_t)pr.per_tok * ktok +
                  (uint64_t)pr.per_col_tok * cols * ktok;
  uint64_t blocks = ((uint64_t)cols + TEX_VEC_HOLD - 1) / TEX_VEC_HOLD, ser = (uint64_t)pr.serial * ntok;
  c->busy += uops * hold + ser * blocks * TEX_VEC_HOLD + 1;
  c->stall_memory += uops * (hold - tpl) + ser * (blocks * TEX_VEC_HOLD - cols) + 1;
}

/* A range of region words [off, off + len). */
struct span {
  uint32_t off, len;
};

static int span_fits(struct span a, uint32_t kn) { return (uint64_t)a.off + a.len <= kn; }

static int spans_meet(struct span a, struct span b) {
  return (uint64_t)a.off < (uint64_t)b.off + b.len && (uint64_t)b.off < (uint64_t)a.off + a.len;
}

/* Two operands may be the same words (in place) or apart, never partly overlapping: the RTL's
 * column order would then see some of its own results. */
static int spans_clash(struct span a, struct span b) {
  return !(a.off == b.off && a.len == b.len) && spans_meet(a, b);
}

/* Every pair of the n spans identical or disjoint, and all inside a region of kn words. */
static int spans_ok(const struct span *sp, uint32_t n, uint32_t kn) {
  for (uint32_t a = 0; a < n; a++) {
    if (!span_fits(sp[a], kn)) return 0;
    for (uint32_t b = 0; b < a; b++)
      if (spans_clash(sp[a], sp[b])) return 0;
  }
  return 1;
}

/* A vector every lane holds at bank word param (bias; gamma then beta): after the run's regions,
 * so no result can land on it, and inside the bank. */
static int param_ok(const struct ttile_desc *d, uint32_t len) {
  return d->param >= d->tpl * d->kn && (uint64_t)d->param + len <= BANK;
}

/* Rows of this run: tpl and ntok agree, the regions fit the bank. */
static int shape_ok(const struct ttile_desc *d, uint32_t code) {
  if (!d->ntok || d->ntok > 0xffffu || !d->tpl || !d->kn) return 0;
  if (d->tpl != (d->ntok + L - 1) / L) return 0;
  if ((uint64_t)d->tpl * d->kn > BANK) return 0;
  /* fwd, bwd_data and the vector unit keep per-row state in acc_depth entries per lane. */
  if (code != TESSERA_TILE_KERNEL_BWD_WEIGHT && code != TESSERA_TILE_KERNEL_SEND && d->tpl > TESSERA_CFG_ACC_DEPTH)
    return 0;
  return 1;
}

/* The stream held in weight-buffer entries 0 .. ngroups-1 for W of n = kn - k rows and k columns;
 * TEX_RANGE when it is not one (rows out of range or order, first/last flags that do not match the
 * rows, a column outside k or twice in a group). The RTL checks the same cases group by group as
 * the run goes and ends with code 3 too (docs/tile.md, "One descriptor run"), having possibly
 * written its output operand; the cmodel refuses the run before writing anything, so the two agree
 * on the code only. */
static int stream_from_groups(const uint32_t *hdr, const uint32_t (*slots)[P], const struct ttile_desc *d,
                              struct tsp_stream *st, uint16_t **wv, uint64_t *nnz) {
  uint32_t ng = d->ngroups, n = d->kn - d->k;
  memset(st, 0, sizeof *st);
  st->n = n, st->k = d->k, st->p = P, st->s = S, st->ngroups = ng;
  st->row = malloc(sizeof *st->row * (ng + 1));
  st->flags = malloc(ng + 1);
  st->col = malloc(sizeof *st->col * ((size_t)ng * P + 1));
  *wv = malloc(sizeof **wv * ((size_t)ng * P + 1));
  if (!st->row || !st->flags || !st->col || !*wv) return -1;
  uint64_t count = 0;
  for (uint32_t g = 0; g < ng; g++) {
    uint32_t row = hdr[g] & 0xffffu;
    if (row >= n || (g && row < st->row[g - 1])) return TEX_RANGE;
    st->row[g] = (uint16_t)row;
    st->flags[g] = (uint8_t)((hdr[g] >> 16) & 3u);
    for (uint32_t a = 0; a < P; a++) {
      uint32_t slot = slots[g][a];
      uint16_t j = (uint16_t)(slot >> 16);
      st->col[(size_t)g * P + a] = j;
      (*wv)[(size_t)g * P + a] = (uint16_t)slot;
      if (j == TSP_EMPTY) continue;
      if (j >= d->k) return TEX_RANGE;
      for (uint32_t b = 0; b < a; b++)
        if (st->col[(size_t)g * P + b] == j) return TEX_RANGE;
      count++;
    }
  }
  for (uint32_t g = 0; g < ng; g++) {
    int first = g == 0 || st->row[g - 1] != st->row[g];
    int last = g + 1 == ng || st->row[g + 1] != st->row[g];
    if (!!(st->flags[g] & TSP_FIRST) != first || !!(st->flags[g] & TSP_LAST) != last) return TEX_RANGE;
  }
  st->nnz = (uint32_t)count;
  *nnz = count;
  return TEX_OK;
}

static void free_stream(struct tsp_stream *st, uint16_t *wv) {
  free(st->row), free(st->flags), free(st->col), free(wv);
}

/* Word `off` of row r's region. */
static uint32_t *region(struct ttile_state *ts, const struct ttile_desc *d, uint32_t r, uint32_t off) {
  return &ts->bank[r % L][(size_t)(r / L) * d->kn + off];
}

/* Operand checks of the fwd epilogue (TEX_RANGE or TEX_OK). */
static int epilogue_ok(const struct ttile_desc *d) {
  uint32_t n = d->kn - d->k;
  if ((d->kernel & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) && !param_ok(d, n)) return 0;
  if (d->kernel & TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK) {
    struct span sp[2] = {{d->k, n}, {d->off_a, n}};
    if (!spans_ok(sp, 2, d->kn)) return 0;
  }
  return 1;
}

/* The fwd epilogue on every Y word of the run's rows, in tvec_epilogue_apply's order. */
static int run_epilogue(struct ttile_state *ts, const struct ttile_desc *d) {
  uint32_t n = d->kn - d->k;
  uint32_t *acc = malloc(sizeof *acc * n * 2u), *res = acc + n;
  if (!acc) return -1;
  for (uint32_t r = 0; r < d->ntok; r++) {
    struct tvec_epilogue ep = {
        .bias = (d->kernel & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) ? &ts->bank[r % L][d->param] : NULL,
        .act = (d->kernel & TESSERA_TILE_KERNEL_EPI_GELU_MASK) ? TVEC_ACT_GELU : TVEC_ACT_NONE,
        .residual = NULL,
        .scale = (d->kernel & TESSERA_TILE_KERNEL_EPI_SCALE_MASK) ? d->s[0] : TVEC_F32_ONE,
        .cast = (d->kernel & TESSERA_TILE_KERNEL_CAST_BF16_MASK) ? TVEC_CAST_BF16 : TVEC_CAST_F32,
    };
    memcpy(acc, region(ts, d, r, d->k), sizeof *acc * n);
    if (d->kernel & TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK) {
      memcpy(res, region(ts, d, r, d->off_a), sizeof *res * n);
      ep.residual = res;
    }
    tvec_epilogue_apply(&ep, acc, region(ts, d, r, d->k), 1, n);
  }
  free(acc);
  return 0;
}

/* Beat b's valid time on the source: valid_at[b], or b * period. */
static uint64_t beat_valid(const struct ttile_instream *in, uint32_t b) {
  return in->valid_at ? in->valid_at[b] : (uint64_t)b * in->period;
}

/* a + b, TTILE_NEVER when it does not fit below it. */
static uint64_t add_sat(uint64_t a, uint64_t b) { return a >= TTILE_NEVER - b ? TTILE_NEVER : a + b; }

/* The cycles the sequencer holds the group of one beat (hdr, slot), from the cycle after its take to
 * its last issue: tile_cm.c's group cost on a one-group stream of it. */
static uint64_t beat_cycles(const struct ttile_desc *d, enum ttile_kernel kk, uint32_t hdr, const uint32_t *slot) {
  uint16_t row = (uint16_t)(hdr & 0xffffu), col[P];
  uint8_t flags = (uint8_t)((hdr >> 16) & 3u);
  for (uint32_t a = 0; a < P; a++) col[a] = (uint16_t)(slot[a] >> 16);
  struct tsp_stream g = {.k = d->k, .p = P, .s = S, .ngroups = 1, .row = &row, .flags = &flags, .col = col};
  return ttile_cm_group_cycles(&g, kk, 0, d->tpl);
}

/* attn (kk: TTILE_FWD or TTILE_BWD_DATA): the take times of beats 0 .. known-1 into taken_at, as
 * ttile_cm_attn_takes states them; returns the cycles the run waited for them beyond its first
 * (TTILE_NEVER if one is never taken). The tile is ready for beat 0 from cycle 0 (StLoad), for beat
 * b + 1 from the last cycle of group b (take + beat_cycles: the group's last issue cycle, when the
 * sequencer takes the next beat or else goes to StWait), and takes a beat in the first cycle it is
 * both ready and the beat valid. */
static uint64_t attn_takes(const struct ttile_desc *d, enum ttile_kernel kk, const struct ttile_instream *in,
                           uint32_t known, uint64_t *taken_at) {
  uint64_t ready = 0, wait = 0;
  for (uint32_t b = 0; b < known; b++) {
    uint64_t v = beat_valid(in, b), t = ready > v ? ready : v;
    taken_at[b] = t;
    if (t == TTILE_NEVER) {
      ready = wait = TTILE_NEVER;
      continue;
    }
    wait += t - ready;
    ready = add_sat(t, beat_cycles(d, kk, in->hdr[b], in->slot[b]));
  }
  return wait;
}

int ttile_cm_attn_takes(const struct ttile_desc *d, const struct ttile_instream *in, uint32_t known, uint64_t *taken_at) {
  if (!d || !in) return -1;
  uint32_t code = kernel_code(d->kernel);
  if (code != TESSERA_TILE_KERNEL_ATTN_QK && code != TESSERA_TILE_KERNEL_ATTN_PV) return -1;
  if (known > d->ngroups || known > in->nbeats) return -1;
  if (!known) return 0;
  if (!taken_at || !in->hdr || !in->slot) return -1;
  attn_takes(d, code == TESSERA_TILE_KERNEL_ATTN_QK ? TTILE_FWD : TTILE_BWD_DATA, in, known, taken_at);
  return 0;
}

/* fwd, bwd_data, bwd_weight; attn_qk and attn_pv (code: their fwd or bwd_data) with the groups of
 * the stream source `in` (docs/tile.md, "Stream ports"), else those of the weight buffer. */
static int exec_linear(struct ttile_state *ts, const struct ttile_desc *d, uint32_t code, const struct ttile_instream *in,
                       struct ttile_counters *c) {
  if (!d->k || d->k >= d->kn || d->ngroups > TTILE_GROUPS) return TEX_RANGE;
  if (!in && code == TESSERA_TILE_KERNEL_FWD && (d->kernel & EPI_FLAGS) && !epilogue_ok(d)) return TEX_RANGE;
  struct tsp_stream st;
  uint16_t *wv = NULL;
  uint64_t nnz = 0;
  int rc = in ? stream_from_groups(in->hdr, in->slot, d, &st, &wv, &nnz)
              : stream_from_groups(ts->wb_hdr, (const uint32_t(*)[P])ts->wb_slot, d, &st, &wv, &nnz);
  if (rc) {
    free_stream(&st, wv);
    return rc;
  }
  uint32_t m = d->ntok, k = d->k, n = d->kn - d->k, ng = d->ngroups;
  uint32_t *x = malloc(sizeof *x * ((size_t)m * (k + n) + (size_t)ng * P + 1));
  if (!x) {
    free_stream(&st, wv);
    return -1;
  }
  uint32_t *y = x + (size_t)m * k, *dwv = y + (size_t)m * n; /* y: Y or dY, token-major */
  for (uint32_t r = 0; r < m; r++) {
    memcpy(x + (size_t)r * k, region(ts, d, r, 0), sizeof *x * k);
    memcpy(y + (size_t)r * n, region(ts, d, r, k), sizeof *y * n);
  }
  if (code == TESSERA_TILE_KERNEL_FWD) {
    /* Y words of rows of W without a group are not written (ttile_fn_fwd gives +0 there). */
    uint8_t *has = calloc(n, 1);
    if (!has) rc = -1;
    for (uint32_t g = 0; g < ng && has; g++) has[st.row[g]] = 1;
    uint32_t *yo = has ? malloc(sizeof *yo * ((size_t)m * n + 1)) : NULL;
    if (has && !yo) rc = -1;
    if (yo) {
      ttile_fn_fwd(&st, wv, x, m, yo);
      for (uint32_t r = 0; r < m; r++)
        for (uint32_t i = 0; i < n; i++)
          if (has[i]) *region(ts, d, r, k + i) = yo[(size_t)r * n + i];
      if (!in && (d->kernel & EPI_FLAGS)) rc = run_epilogue(ts, d);
    }
    free(yo), free(has);
  } else if (code == TESSERA_TILE_KERNEL_BWD_DATA) {
    ttile_fn_bwd_data(&st, wv, y, m, x);
    for (uint32_t r = 0; r < m; r++) memcpy(region(ts, d, r, 0), x + (size_t)r * k, sizeof *x * k);
  } else {
    for (uint32_t g = 0; g < ng; g++) memcpy(dwv + (size_t)g * P, ts->gbuf[g], sizeof *dwv * P);
    ttile_fn_bwd_weight(&st, y, x, m, L, d->tpl, dwv);
    /* An empty slot's lane chains stay +0: the RTL adds that tree of zeros onto its dW too. */
    for (uint32_t g = 0; g < ng; g++)
      for (uint32_t a = 0; a < P; a++)
        ts->gbuf[g][a] = st.col[(size_t)g * P + a] == TSP_EMPTY ? tnum_f32_add(ts->gbuf[g][a], 0) : dwv[(size_t)g * P + a];
  }
  if (!rc) {
    enum ttile_kernel kk = code == TESSERA_TILE_KERNEL_FWD        ? TTILE_FWD
                           : code == TESSERA_TILE_KERNEL_BWD_DATA ? TTILE_BWD_DATA
                                                                  : TTILE_BWD_WEIGHT;
    ttile_cm_run_cost(&st, kk, 0, ng, d->tpl, c);
    c->macs = nnz * m;
    if (in) {
      /* The run waits for beat 0 in its first state (StLoad: counted above as one stream-starved
       * cycle, plus one per cycle beat 0 comes later) and for each later beat past its group's last
       * cycle (StWait). */
      uint64_t *tk = in->taken_at ? in->taken_at : malloc(sizeof *tk * ((size_t)ng + 1));
      if (!tk) rc = -1;
      else {
        uint64_t wait = attn_takes(d, kk, in, ng, tk);
        c->busy += wait, c->stall_stream_starved += wait;
        if (tk != in->taken_at) free(tk);
      }
    }
    if (!in && code == TESSERA_TILE_KERNEL_FWD && (d->kernel & EPI_FLAGS)) vector_cost(vector_program(code, d->kernel), n, d->ntok, d->tpl, 0, c);
  }
  free(x);
  free_stream(&st, wv);
  return rc;
}

/* Operand checks of a vector kernel: TEX_RANGE, TEX_LABEL or TEX_OK. */
static int vector_check(const struct ttile_state *ts, const struct ttile_desc *d, uint32_t code) {
  uint32_t cols = d->cols, kn = d->kn;
  if (!cols) return TEX_RANGE;
  struct span a = {d->off_a, cols}, b = {d->off_b, cols}, cc = {d->off_c, cols}, dd = {d->off_d, cols};
  switch (code) {
  case TESSERA_TILE_KERNEL_GELU_FWD:
  case TESSERA_TILE_KERNEL_SCALE:
  case TESSERA_TILE_KERNEL_SOFTMAX_FWD:
  case TESSERA_TILE_KERNEL_XENT_BWD: {
    struct span sp[2] = {a, b};
    if (!spans_ok(sp, 2, kn)) return TEX_RANGE;
    break;
  }
  case TESSERA_TILE_KERNEL_GELU_BWD:
  case TESSERA_TILE_KERNEL_ADD:
  case TESSERA_TILE_KERNEL_SOFTMAX_BWD: {
    struct span sp[3] = {a, b, cc};
    if (!spans_ok(sp, 3, kn)) return TEX_RANGE;
    break;
  }
  case TESSERA_TILE_KERNEL_LAYERNORM_FWD: {
    /* mean and rstd are written before the last pass reads A: apart from A and B. */
    struct span sp[2] = {a, b}, stats = {d->off_c, 2};
    if (!spans_ok(sp, 2, kn) || !span_fits(stats, kn) || !param_ok(d, 2 * cols)) return TEX_RANGE;
    if (spans_meet(stats, a) || spans_meet(stats, b)) return TEX_RANGE;
    break;
  }
  case TESSERA_TILE_KERNEL_XENT_FWD:
    if (!span_fits(a, kn) || d->off_c >= kn || d->off_d >= kn) return TEX_RANGE;
    break;
  case TESSERA_TILE_KERNEL_EMBED_BWD: /* the table rows at A; k ids then k dY rows at param */
    if (!span_fits(a, kn) || !d->k || d->param < d->tpl * kn ||
        (uint64_t)d->param + d->k + (uint64_t)d->k * cols > BANK)
      return TEX_RANGE;
    /* Every lane holding a row loads its copy of the ids first; one >= s0 stops the run. */
    for (uint32_t l = 0; l < L && l < d->ntok; l++)
      for (uint32_t t = 0; t < d->k; t++)
        if (ts->bank[l][d->param + t] >= d->s[0]) return TEX_LABEL;
    break;
  case TESSERA_TILE_KERNEL_LAYERNORM_BWD: {
    /* C holds xh between the row pass and the cross-row chains, so it is apart from A, B and the
     * statistics; gamma, dgamma, dbeta: 3 cols words at param. */
    struct span sp[2] = {a, b}, stats = {d->off_d, 2};
    if (!spans_ok(sp, 2, kn) || !span_fits(cc, kn) || !span_fits(stats, kn) || !param_ok(d, 3 * cols)) return TEX_RANGE;
    if (spans_meet(cc, a) || spans_meet(cc, b) || spans_meet(cc, stats)) return TEX_RANGE;
    break;
  }
  default: { /* adamw */
    struct span sp[5] = {a, b, cc, dd, {d->param, cols}};
    if (!spans_ok(sp, 5, kn)) return TEX_RANGE;
    break;
  }
  }
  if (code == TESSERA_TILE_KERNEL_XENT_BWD && d->off_c >= kn) return TEX_RANGE;
  if (code == TESSERA_TILE_KERNEL_XENT_FWD || code == TESSERA_TILE_KERNEL_XENT_BWD)
    for (uint32_t r = 0; r < d->ntok; r++)
      if (ts->bank[r % L][(size_t)(r / L) * kn + d->off_c] >= cols) return TEX_LABEL;
  return TEX_OK;
}

/* The causal offset of run row r for tvec_row_valid(0, ...): row r (global row0 + r) keeps columns
 * c <= row0 + r + s1, clamped so that it fits an int32 without changing the valid count. */
static int32_t causal_offset(const struct ttile_desc *d, uint32_t r) {
  int64_t o = (int64_t)d->row0 + r + (int32_t)d->s[1];
  if (o < -1) o = -1;
  if (o > (int64_t)d->cols) o = d->cols;
  return (int32_t)o;
}

/* layernorm_bwd: tvec_layernorm_bwd_inv (RN(1/cols) from s1) over the run's rows in increasing order, once per lane l: row
 * r's dx with the gamma copy of its lane (r mod L), and lane l's copies of dgamma and dbeta
 * (param + cols, param + 2 cols) as the chains' starting values: every lane runs the cross-row
 * chains on the same rows, each on its own copy. */
static int layernorm_bwd(struct ttile_state *ts, const struct ttile_desc *d) {
  uint32_t m = d->ntok, cols = d->cols;
  size_t mc = (size_t)m * cols;
  uint32_t *dy = malloc(sizeof *dy * (3 * mc + 2 * (size_t)m + 2 * (size_t)cols));
  if (!dy) return -1;
  uint32_t *x = dy + mc, *dx = x + mc, *mean = dx + mc, *rstd = mean + m, *dg = rstd + m, *db = dg + cols;
  for (uint32_t r = 0; r < m; r++) {
    memcpy(x + (size_t)r * cols, region(ts, d, r, d->off_a), sizeof *x * cols);
    memcpy(dy + (size_t)r * cols, region(ts, d, r, d->off_b), sizeof *dy * cols);
    mean[r] = *region(ts, d, r, d->off_d);
    rstd[r] = *region(ts, d, r, d->off_d + 1);
  }
  for (uint32_t l = 0; l < L; l++) {
    uint32_t *bank = ts->bank[l];
    memcpy(dg, &bank[d->param + cols], sizeof *dg * cols);
    memcpy(db, &bank[d->param + 2 * cols], sizeof *db * cols);
    tvec_layernorm_bwd_inv(dy, x, mean, rstd, &bank[d->param], d->s[1], dx, dg, db, m, cols);
    for (uint32_t r = l; r < m; r += L) memcpy(region(ts, d, r, d->off_c), dx + (size_t)r * cols, sizeof *dx * cols);
    memcpy(&bank[d->param + cols], dg, sizeof *dg * cols);
    memcpy(&bank[d->param + 2 * cols], db, sizeof *db * cols);
  }
  free(dy);
  return 0;
}

/* embed_bwd: run row r is table row row0 + r. Lane l runs tvec_embedding_bwd on its copies of the
 * ids and dY rows over a table of its rows' slice plus one row that every id outside the slice
 * goes to: each of its rows takes the dY rows of its tokens in increasing token order. */
static int embed_bwd(struct ttile_state *ts, const struct ttile_desc *d) {
  uint32_t m = d->k, cols = d->cols, nt = d->ntok;
  uint32_t *ids = malloc(sizeof *ids * m), *tab = malloc(sizeof *tab * ((size_t)nt + 1) * cols);
  if (!ids || !tab) {
    free(ids), free(tab);
    return -1;
  }
  for (uint32_t l = 0; l < L && l < nt; l++) {
    const uint32_t *bank = ts->bank[l];
    for (uint32_t t = 0; t < m; t++) {
      uint32_t rel = bank[d->param + t] - d->row0; /* the RTL's id == row0 + r, modulo 2^32 */
      ids[t] = rel < nt ? rel : nt;
    }
    for (uint32_t r = l; r < nt; r += L) memcpy(tab + (size_t)r * cols, region(ts, d, r, d->off_a), sizeof *tab * cols);
    tvec_embedding_bwd(&bank[d->param + m], ids, tab, m, nt + 1, cols);
    for (uint32_t r = l; r < nt; r += L) memcpy(region(ts, d, r, d->off_a), tab + (size_t)r * cols, sizeof *tab * cols);
  }
  free(ids), free(tab);
  return 0;
}

static int exec_vector(struct ttile_state *ts, const struct ttile_desc *d, uint32_t code, struct ttile_counters *c) {
  int rc = vector_check(ts, d, code);
  if (rc) return rc;
  uint32_t cols = d->cols;
  uint32_t *t = malloc(sizeof *t * (size_t)cols * 5);
  uint16_t *wb = malloc(sizeof *wb * cols);
  if (!t || !wb) {
    free(t), free(wb);
    return -1;
  }
  uint32_t *ta = t, *tb = t + cols, *tc = t + 2 * (size_t)cols, *td = t + 3 * (size_t)cols, *to = t + 4 * (size_t)cols;
  bool causal = (d->kernel & TESSERA_TILE_KERNEL_CAUSAL_MASK) != 0;
  size_t bytes = sizeof *t * cols;
  for (uint32_t r = 0; r < d->ntok; r++) {
    uint32_t l = r % L;
    memcpy(ta, region(ts, d, r, d->off_a), bytes);
    switch (code) {
    case TESSERA_TILE_KERNEL_GELU_FWD:
      tvec_gelu_fwd(ta, to, cols);
      memcpy(region(ts, d, r, d->off_b), to, bytes);
      break;
    case TESSERA_TILE_KERNEL_GELU_BWD:
      memcpy(tb, region(ts, d, r, d->off_b), bytes);
      tvec_gelu_bwd(ta, tb, to, cols);
      memcpy(region(ts, d, r, d->off_c), to, bytes);
      break;
    case TESSERA_TILE_KERNEL_ADD:
      memcpy(tb, region(ts, d, r, d->off_b), bytes);
      tvec_residual_add(ta, tb, to, cols);
      memcpy(region(ts, d, r, d->off_c), to, bytes);
      break;
    case TESSERA_TILE_KERNEL_SCALE:
      tvec_scale(ta, d->s[0], to, cols);
      memcpy(region(ts, d, r, d->off_b), to, bytes);
      break;
    case TESSERA_TILE_KERNEL_SOFTMAX_FWD:
      tvec_softmax_fwd(ta, to, 1, cols, causal, causal_offset(d, r));
      memcpy(region(ts, d, r, d->off_b), to, bytes);
      break;
    case TESSERA_TILE_KERNEL_SOFTMAX_BWD:
      memcpy(tb, region(ts, d, r, d->off_b), bytes);
      tvec_softmax_bwd(ta, tb, to, 1, cols, causal, causal_offset(d, r));
      memcpy(region(ts, d, r, d->off_c), to, bytes);
      break;
    case TESSERA_TILE_KERNEL_LAYERNORM_FWD: {
      uint32_t mean, rstd;
      tvec_layernorm_fwd_inv(ta, &ts->bank[l][d->param], &ts->bank[l][d->param + cols], d->s[0], d->s[1], to, &mean,
                             &rstd, 1, cols);
      *region(ts, d, r, d->off_c) = mean;
      *region(ts, d, r, d->off_c + 1) = rstd;
      memcpy(region(ts, d, r, d->off_b), to, bytes);
      break;
    }
    case TESSERA_TILE_KERNEL_XENT_FWD: {
      uint32_t label = *region(ts, d, r, d->off_c), loss = 0;
      tvec_cross_entropy_fwd(ta, &label, &loss, 1, cols);
      *region(ts, d, r, d->off_d) = loss;
      break;
    }
    case TESSERA_TILE_KERNEL_XENT_BWD: {
      uint32_t label = *region(ts, d, r, d->off_c);
      tvec_cross_entropy_bwd(ta, &label, d->s[0], to, 1, cols);
      memcpy(region(ts, d, r, d->off_b), to, bytes);
      break;
    }
    case TESSERA_TILE_KERNEL_LAYERNORM_BWD:
    case TESSERA_TILE_KERNEL_EMBED_BWD:
      break; /* below: every row at once */
    default: { /* adamw: stores in the RTL's order w, m, v, bf16 copy (identical spans: the last wins) */
      struct tvec_adamw hp = {.lr = d->s[0], .beta1 = d->s[1], .beta2 = d->s[2], .eps = d->s[3], .weight_decay = d->s[4]};
      memcpy(tb, region(ts, d, r, d->off_b), bytes);
      memcpy(tc, region(ts, d, r, d->off_c), bytes);
      memcpy(td, region(ts, d, r, d->off_d), bytes);
      tvec_adamw_apply(&hp, d->s[5], d->s[6], ta, tb, tc, td, wb, cols);
      memcpy(region(ts, d, r, d->off_a), ta, bytes);
      memcpy(region(ts, d, r, d->off_c), tc, bytes);
      memcpy(region(ts, d, r, d->off_d), td, bytes);
      for (uint32_t a = 0; a < cols; a++) *region(ts, d, r, d->param + a) = (uint32_t)wb[a] << 16;
      break;
    }
    }
  }
  free(t), free(wb);
  if (code == TESSERA_TILE_KERNEL_LAYERNORM_BWD && layernorm_bwd(ts, d)) return -1;
  if (code == TESSERA_TILE_KERNEL_EMBED_BWD && embed_bwd(ts, d)) return -1;
  vector_cost(vector_program(code, d->kernel), cols, d->ntok, d->tpl, d->k, c);
  return TEX_OK;
}

uint64_t ttile_send_beats(const struct ttile_desc *d) {
  return d ? (uint64_t)d->ntok * (((uint64_t)d->cols + P - 1) / P) : 0;
}

/* Beat b's ready time at the sink: ready_at[b], or b * period. */
static uint64_t sink_ready(const struct ttile_outstream *out, uint64_t b) {
  return out->ready_at ? out->ready_at[b] : b * out->period;
}

/* send (docs/tile.md, "Stream ports"): the RTL's two stages, a read and the output register. The
 * first read is issued in cycle 0 and its beat is in the output register from cycle 2; the read
 * stage holds the next beat by then and hands it on at the edge its predecessor is taken, so beat
 * b + 1 is in the output register from the cycle after beat b is taken. Beat b is taken at
 * t_b = max(its cycle in the output register, the sink's ready time); the cycles it waits there
 * are back-pressure, the two of filling memory, and the run ends one cycle after the last take.
 * -1 when the sink is never ready for a beat (the tile would wait for ever). */
static int exec_send(const struct ttile_state *ts, const struct ttile_desc *d, struct ttile_outstream *out,
                     struct ttile_counters *c) {
  if (d->cols == 0 || (uint64_t)d->off_a + d->cols > d->kn || (uint64_t)d->row0 + d->ntok > 0x10000u) return TEX_RANGE;
  const uint64_t nb = ttile_send_beats(d);
  if (!out->hdr || !out->slot || out->cap < nb) return -1;
  for (uint64_t b = 0; b < nb && out->ready_at; b++)
    if (out->ready_at[b] == TTILE_NEVER) return -1;
  const uint32_t gpr = (d->cols + P - 1) / P; /* groups per row */
  uint64_t t = 0, bp = 0;
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t in_reg = b ? add_sat(t, 1) : TTILE_SEND_FILL, r = sink_ready(out, b);
    t = in_reg > r ? in_reg : r;
    bp += t - in_reg;
    if (out->taken_at) out->taken_at[b] = t;
  }
  for (uint64_t b = 0; b < nb; b++) {
    uint32_t r = (uint32_t)(b / gpr), g = (uint32_t)(b % gpr);
    const uint32_t *row = &ts->bank[r % L][(size_t)(r / L) * d->kn + d->off_a];
    out->hdr[b] = (d->row0 + r) | (uint32_t)(g == 0 ? TSP_FIRST : 0) << 16 | (uint32_t)(g + 1 == gpr ? TSP_LAST : 0) << 16;
    for (uint32_t q = 0; q < P; q++) {
      uint32_t col = g * P + q;
      out->slot[b][q] = col < d->cols ? col << 16 | tnum_f32_to_bf16(row[col]) : (uint32_t)TSP_EMPTY << 16;
    }
  }
  out->nbeats = (uint32_t)nb;
  c->busy = add_sat(t, 1);
  c->stall_memory = TTILE_SEND_FILL;
  c->stall_backpressure = bp;
  return TEX_OK;
}

/* A beat of the run's first ng that the source never presents. */
static int never_valid(const struct ttile_instream *in, uint32_t ng) {
  for (uint32_t b = 0; b < ng && in->valid_at; b++)
    if (in->valid_at[b] == TTILE_NEVER) return 1;
  return 0;
}

int ttile_cm_exec(struct ttile_state *st, const struct ttile_desc *d, struct ttile_counters *ctr) {
  return ttile_cm_exec_io(st, d, NULL, NULL, ctr);
}

int ttile_cm_exec_stream(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                         struct ttile_counters *ctr) {
  return ttile_cm_exec_io(st, d, in, NULL, ctr);
}

int ttile_cm_exec_io(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                     struct ttile_outstream *out, struct ttile_counters *ctr) {
  if (!st || !d || !ctr) return -1;
  struct ttile_counters c = {0};
  uint32_t code = kernel_code(d->kernel);
  int attn = code == TESSERA_TILE_KERNEL_ATTN_QK || code == TESSERA_TILE_KERNEL_ATTN_PV;
  /* Take times start as never: a refused run takes nothing. */
  if (in && in->taken_at && attn)
    for (uint32_t b = 0; b < in->nbeats; b++) in->taken_at[b] = TTILE_NEVER;
  if (out && out->taken_at)
    for (uint32_t b = 0; b < out->cap; b++) out->taken_at[b] = TTILE_NEVER;
  int rc;
  if (code >= TESSERA_TILE_KERNEL_COUNT || (attn && !in) || (code == TESSERA_TILE_KERNEL_SEND && !out))
    rc = TEX_UNKNOWN;
  else if (!shape_ok(d, code))
    rc = TEX_RANGE;
  else if (attn && (!d->k || d->k >= d->kn || d->ngroups > TTILE_GROUPS))
    rc = TEX_RANGE;
  else if (attn && (!in->hdr || !in->slot || in->nbeats < d->ngroups || never_valid(in, d->ngroups)))
    return -1;
  else if (code == TESSERA_TILE_KERNEL_SEND) {
    rc = exec_send(st, d, out, &c);
    if (rc < 0) return rc;
  } else if (attn)
    rc = exec_linear(st, d, code == TESSERA_TILE_KERNEL_ATTN_QK ? TESSERA_TILE_KERNEL_FWD : TESSERA_TILE_KERNEL_BWD_DATA,
                     in, &c);
  else if (code <= TESSERA_TILE_KERNEL_BWD_WEIGHT)
    rc = exec_linear(st, d, code, NULL, &c);
  else
    rc = exec_vector(st, d, code, &c);
  if (rc) {
    memset(ctr, 0, sizeof *ctr);
    ctr->cycles = ctr->busy = 1;
    if (rc == TEX_LABEL) {
      /* The vector unit runs its first section (xent: load the labels, clear the sum: two
       * micro-ops; embed_bwd: load each of the k ids, then one more micro-op) and stops in the
       * next cycle, when every label is in, before anything is written; one more cycle ends the
       * run. */
      uint64_t hold = d->tpl > TEX_VEC_HOLD ? d->tpl : TEX_VEC_HOLD;
      uint64_t n = code == TESSERA_TILE_KERNEL_EMBED_BWD ? (uint64_t)d->k + 1 : 2;
      ctr->cycles = ctr->busy = n * hold + 2;
      ctr->stall_memory = n * (hold - d->tpl) + 1;
    }
    return rc;
  }
  c.cycles = c.busy;
  *ctr = c;
  return TEX_OK;
}

int ttile_cm_exec_link(struct ttile_state *prod, const struct ttile_desc *pd, struct ttile_state *cons,
                       const struct ttile_desc *cd, int64_t offset, struct ttile_outstream *out, uint64_t *in_taken_at,
                       int codes[2], struct ttile_counters ctr[2]) {
  if (!prod || !pd || !cons || !cd || !out || !out->hdr || !out->slot || !codes || !ctr) return -1;
  uint32_t pc = kernel_code(pd->kernel), cc = kernel_code(cd->kernel);
  if (pc != TESSERA_TILE_KERNEL_SEND || (cc != TESSERA_TILE_KERNEL_ATTN_QK && cc != TESSERA_TILE_KERNEL_ATTN_PV)) return -1;
  if (offset < -((int64_t)1 << 40) || offset > ((int64_t)1 << 40)) return -1;
  /* The producer's beats (their values do not depend on the sink's timing). */
  struct ttile_outstream o = *out;
  o.period = 0, o.ready_at = NULL, o.taken_at = NULL;
  int p0 = ttile_cm_exec_io(prod, pd, NULL, &o, &ctr[0]);
  if (p0 < 0) return -1;
  uint32_t nb = p0 ? 0 : o.nbeats, ng = cd->ngroups;
  /* The consumer on those beats, each valid from the producer's busy cycle 2 on. */
  uint64_t *va = malloc(sizeof *va * ((size_t)nb + 1)), *tk = malloc(sizeof *tk * ((size_t)nb + 1));
  uint64_t *ra = malloc(sizeof *ra * ((size_t)out->cap + 1));
  int rc = -1;
  if (!va || !tk || !ra) goto done;
  for (uint32_t b = 0; b < nb; b++) va[b] = offset >= TTILE_SEND_FILL ? 0 : (uint64_t)(TTILE_SEND_FILL - offset);
  struct ttile_instream in = {.hdr = out->hdr, .slot = (const uint32_t(*)[P])out->slot, .nbeats = nb, .valid_at = va,
                              .taken_at = tk};
  int c0 = ttile_cm_exec_io(cons, cd, &in, NULL, &ctr[1]);
  if (c0 < 0) goto done; /* fewer beats than it takes: it would wait for ever */
  /* Beats the consumer never takes (refused, or a malformed stream, which the RTL finds only as it
   * runs): the producer would wait for ever. */
  if (!p0 && (c0 || ng != nb)) goto done;
  if (!p0) {
    /* The producer again, on a sink ready for beat b when the consumer takes it. */
    for (uint32_t b = 0; b < nb; b++) ra[b] = (uint64_t)((int64_t)tk[b] + offset);
    for (uint32_t b = nb; b < out->cap; b++) ra[b] = TTILE_NEVER;
    o = *out;
    o.ready_at = ra;
    p0 = ttile_cm_exec_io(prod, pd, NULL, &o, &ctr[0]);
    if (p0 < 0) goto done;
    out->nbeats = o.nbeats;
  } else {
    out->nbeats = 0;
    for (uint32_t b = 0; out->taken_at && b < out->cap; b++) out->taken_at[b] = TTILE_NEVER;
  }
  if (in_taken_at)
    for (uint32_t b = 0; b < ng; b++) in_taken_at[b] = b < nb && !c0 ? tk[b] : TTILE_NEVER;
  codes[0] = p0, codes[1] = c0;
  rc = 0;
done:
  free(va), free(tk), free(ra);
  return rc;
}

int ttile_cm_exec_link_runs(struct ttile_state *prod, struct ttile_link_run *pr, uint32_t npr, struct ttile_state *cons,
                            struct ttile_link_run *cr, uint32_t ncr, struct ttile_outstream *out, uint64_t *in_taken_at) {
  if (!prod || !pr || !npr || !cons || !cr || !ncr || !out || !out->hdr || !out->slot) return -1;
  for (uint32_t i = 0; i < npr + ncr; i++) {
    const struct ttile_link_run *r = i < npr ? &pr[i] : &cr[i - npr];
    uint32_t code = kernel_code(r->d.kernel);
    if (i < npr ? code != TESSERA_TILE_KERNEL_SEND : (code != TESSERA_TILE_KERNEL_ATTN_QK && code != TESSERA_TILE_KERNEL_ATTN_PV))
      return -1;
    if (r->at < 1 || r->at > ((int64_t)1 << 40)) return -1;
  }
  /* The sends' beats, in order (their values do not depend on the timing); first[k]: send k's first. */
  uint32_t *first = malloc(sizeof *first * ((size_t)npr + 1)), nb = 0;
  if (!first) return -1;
  for (uint32_t k = 0; k < npr; k++) {
    struct ttile_outstream o = {.hdr = out->hdr + nb, .slot = out->slot + nb, .cap = out->cap - nb};
    struct ttile_counters c;
    if (ttile_cm_exec_io(prod, &pr[k].d, NULL, &o, &c) != 0) {
      free(first);
      return -1;
    }
    first[k] = nb, nb += o.nbeats;
  }
  first[npr] = nb;
  uint64_t total = 0;
  for (uint32_t j = 0; j < ncr; j++) total += cr[j].d.ngroups;
  uint64_t *take = malloc(sizeof *take * ((size_t)nb + 1)), *va = malloc(sizeof *va * ((size_t)nb + 1));
  uint64_t *tk = malloc(sizeof *tk * ((size_t)nb + 1)), *ps = malloc(sizeof *ps * ((size_t)npr + 1));
  int rc = -1;
  if (total != nb || !take || !va || !tk || !ps) goto done;
  /* The consumer's runs in order; beat i (global) is beat i - i0 of the run that takes it. */
  uint32_t i0 = 0, ks = 0; /* ks: the next send whose first beat is still to come */
  int64_t prev_end = 0;
  for (uint32_t j = 0; j < ncr; j++) {
    const struct ttile_desc *d = &cr[j].d;
    int64_t q = j && prev_end + 2 > cr[j].at ? prev_end + 2 : cr[j].at;
    struct ttile_instream in = {.hdr = out->hdr + i0, .slot = (const uint32_t(*)[P])(out->slot + i0),
                                .nbeats = d->ngroups, .valid_at = va, .taken_at = tk};
    for (uint32_t b = 0; b < d->ngroups; b++) {
      uint32_t i = i0 + b;
      va[b] = 0; /* not the first of its send: from the cycle after its predecessor is taken */
      if (ks < npr && i == first[ks]) {
        /* Send ks starts once its tile is free: two cycles after its previous send's last take,
         * which may be a take of this run (then the prefix's take times, which only its beats
         * decide). */
        int64_t p = pr[ks].at;
        if (ks) {
          if (i > i0) {
            in.nbeats = b;
            if (ttile_cm_attn_takes(d, &in, b, tk)) goto done;
            in.nbeats = d->ngroups;
            for (uint32_t a = 0; a < b; a++) take[i0 + a] = (uint64_t)q + tk[a];
          }
          if ((int64_t)take[i - 1] + 2 > p) p = (int64_t)take[i - 1] + 2;
        }
        ps[ks++] = (uint64_t)p;
        va[b] = p + TTILE_SEND_FILL > q ? (uint64_t)(p + TTILE_SEND_FILL - q) : 0; /* in its output register */
      }
    }
    int c = ttile_cm_exec_io(cons, d, &in, NULL, &cr[j].ctr);
    if (c) goto done;
    for (uint32_t b = 0; b < d->ngroups; b++) take[i0 + b] = (uint64_t)q + tk[b];
    cr[j].began = q, cr[j].ended = prev_end = q + (int64_t)cr[j].ctr.cycles - 1, cr[j].code = 0;
    i0 += d->ngroups;
  }
  /* Each send on a sink ready for its beat when the consumer takes it. */
  for (uint32_t k = 0; k < npr; k++) {
    uint32_t n = first[k + 1] - first[k];
    for (uint32_t b = 0; b < n; b++) va[b] = take[first[k] + b] - ps[k];
    struct ttile_outstream o = {.hdr = out->hdr + first[k], .slot = out->slot + first[k], .cap = n, .ready_at = va,
                                .taken_at = tk};
    if (ttile_cm_exec_io(prod, &pr[k].d, NULL, &o, &pr[k].ctr)) goto done;
    pr[k].began = (int64_t)ps[k], pr[k].ended = (int64_t)ps[k] + (int64_t)pr[k].ctr.cycles - 1, pr[k].code = 0;
  }
  out->nbeats = nb;
  for (uint32_t i = 0; i < nb; i++) {
    if (out->taken_at) out->taken_at[i] = take[i];
    if (in_taken_at) in_taken_at[i] = take[i];
  }
  for (uint32_t i = nb; out->taken_at && i < out->cap; i++) out->taken_at[i] = TTILE_NEVER;
  rc = 0;
done:
  free(first), free(take), free(va), free(tk), free(ps);
  return rc;
}
