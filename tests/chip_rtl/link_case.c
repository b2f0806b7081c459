/* The stream-link test's host side (link_case.h): inputs, expected values from the tile cmodel and
 * the checks, independent of the chip that ran firmware/tests/test_chiprtl_link.c. */
#include "link_case.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tessera/numerics.h"
#include "tessera/sparse.h"
#include "tsim_tile.h"
#include "ttile_exec.h"

#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define GK ((LINK_DH + P - 1u) / P) /* beats of a key row */
#define GV ((LINK_DV + P - 1u) / P) /* beats of a value row */
#define NB (LINK_NK * GK)           /* beats of cases A and B (case C: 2 NB) */
#define NBV (LINK_NV * GV)          /* beats of case D */
#define TPL ((LINK_M + L - 1u) / L)

struct inputs {
  uint32_t k[2 * LINK_NK][LINK_DH];
  uint32_t q[LINK_M][LINK_DH];
  uint32_t v[LINK_NV][LINK_DV];
  uint32_t p[LINK_M][LINK_NV];
  uint32_t o0[LINK_M][LINK_DV];
};

static uint32_t rng;
static uint32_t rnd(void) {
  rng = rng * 1664525u + 1013904223u;
  return rng ^ (rng >> 15);
}
/* +-[0.5, 2): full 23-bit mantissas, so the bf16 rounding of K and V matters. */
static uint32_t rnd_f32(void) {
  uint32_t m = rnd() & 0x007fffffu;
  return (rnd() & 1u) << 31 | ((rnd() & 1u) ? 0x3f000000u : 0x3f800000u) | m;
}
/* [0.25, 1): the attention probabilities. */
static uint32_t rnd_prob(void) { return ((rnd() & 1u) ? 0x3e800000u : 0x3f000000u) | (rnd() & 0x007fffffu); }

static void gen(struct inputs *in) {
  rng = 0x11c4u;
  for (uint32_t r = 0; r < 2 * LINK_NK; r++)
    for (uint32_t j = 0; j < LINK_DH; j++) in->k[r][j] = rnd_f32();
  for (uint32_t r = 0; r < LINK_M; r++)
    for (uint32_t j = 0; j < LINK_DH; j++) in->q[r][j] = rnd_f32();
  for (uint32_t r = 0; r < LINK_NV; r++)
    for (uint32_t j = 0; j < LINK_DV; j++) in->v[r][j] = rnd_f32();
  for (uint32_t r = 0; r < LINK_M; r++) {
    for (uint32_t j = 0; j < LINK_NV; j++) in->p[r][j] = rnd_prob();
    for (uint32_t j = 0; j < LINK_DV; j++) in->o0[r][j] = rnd_f32();
  }
}

int link_case_prepare(link_write_fn write, void *ctx) {
  struct inputs *in = malloc(sizeof *in);
  uint32_t *img = malloc(sizeof *img * LINK_M * (LINK_KN1 > LINK_KN2 ? LINK_KN1 : LINK_KN2));
  uint32_t *fill = malloc(sizeof *fill * LINK_M * 2u * LINK_NK);
  int rc = -1;
  if (!in || !img || !fill) goto out;
  gen(in);
  if (write(ctx, LINK_K, in->k, sizeof in->k) || write(ctx, LINK_V, in->v, sizeof in->v)) goto out;
  for (uint32_t r = 0; r < LINK_M; r++)
    for (uint32_t j = 0; j < LINK_KN1; j++) img[r * LINK_KN1 + j] = j < LINK_DH ? in->q[r][j] : LINK_SENTINEL;
  if (write(ctx, LINK_QIMG, img, sizeof *img * LINK_M * LINK_KN1)) goto out;
  for (uint32_t r = 0; r < LINK_M; r++)
    for (uint32_t j = 0; j < LINK_KN2; j++) img[r * LINK_KN2 + j] = j < LINK_DV ? in->o0[r][j] : in->p[r][j - LINK_DV];
  if (write(ctx, LINK_PIMG, img, sizeof *img * LINK_M * LINK_KN2)) goto out;
  /* The results and the outputs hold a pattern no run writes until the firmware has written them. */
  for (uint32_t i = 0; i < LINK_M * 2u * LINK_NK; i++) fill[i] = 0xa5a5a5a5u;
  for (uint32_t c = 0; c < 3; c++)
    if (write(ctx, LINK_S(c), fill, sizeof *fill * LINK_M * 2u * LINK_NK)) goto out;
  if (write(ctx, LINK_O, fill, sizeof *fill * LINK_M * LINK_DV) || write(ctx, LINK_RESULTS, fill, 4u * LX_COUNT)) goto out;
  rc = 0;
out:
  free(in), free(img), free(fill);
  return rc;
}

/* ---- Expected values ----------------------------------------------------------------------------- */

/* The column-order dense stream of rows[nrows][cols] (bf16 values), rows numbered from row0: the
 * beats send presents (docs/tile.md, "Stream ports"). */
static void dense_stream(const uint32_t *rows, uint32_t nrows, uint32_t cols, uint32_t row0, uint32_t *hdr,
                         uint32_t (*slot)[P]) {
  const uint32_t g_row = (cols + P - 1u) / P;
  for (uint32_t r = 0, b = 0; r < nrows; r++)
    for (uint32_t g = 0; g < g_row; g++, b++) {
      hdr[b] = TSIM_TILE_HDR(row0 + r, (g == 0 ? TSP_FIRST : 0u) | (g + 1u == g_row ? TSP_LAST : 0u));
      for (uint32_t q = 0; q < P; q++) {
        const uint32_t c = g * P + q;
        slot[b][q] = c < cols ? c << 16 | tnum_f32_to_bf16(rows[(size_t)r * cols + c]) : (uint32_t)TSP_EMPTY << 16;
      }
    }
}

static int fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whylen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (why && whylen) vsnprintf(why, whylen, fmt, ap);
  va_end(ap);
  return -1;
}

/* The beats of a send run by the tile cmodel equal the stream built here (so the expected values are
 * what the receiving tile gets); *mem: the run's memory stall cycles. */
static int send_matches(const uint32_t *rows, uint32_t nrows, uint32_t cols, uint32_t off_a, uint32_t kn, uint32_t row0,
                        const uint32_t *hdr, const uint32_t (*slot)[P], uint64_t *mem, char *why, size_t whylen) {
  struct ttile_state *st = calloc(1, sizeof *st);
  const uint32_t nb = nrows * ((cols + P - 1u) / P);
  uint32_t *oh = calloc(nb, sizeof *oh);
  uint32_t(*os)[P] = calloc(nb, sizeof *os);
  int rc = -1;
  if (!st || !oh || !os) {
    rc = fail(why, whylen, "out of memory");
    goto out;
  }
  for (uint32_t r = 0; r < nrows; r++)
    for (uint32_t j = 0; j < cols; j++) st->bank[r % L][(r / L) * kn + off_a + j] = rows[(size_t)r * cols + j];
  struct ttile_desc d = {.kernel = TESSERA_TILE_KERNEL_SEND, .kn = kn, .ntok = nrows, .tpl = (nrows + L - 1u) / L,
                         .off_a = off_a, .cols = cols, .row0 = row0};
  struct ttile_outstream o = {.hdr = oh, .slot = os, .cap = nb};
  struct ttile_counters c;
  memset(&c, 0, sizeof c);
  int e = ttile_cm_exec_io(st, &d, NULL, &o, &c);
  if (e != 0 || o.nbeats != nb) {
    rc = fail(why, whylen, "cmodel send: code %d, %u beats (want %u)", e, o.nbeats, nb);
    goto out;
  }
  for (uint32_t b = 0; b < nb; b++)
    if (oh[b] != hdr[b] || memcmp(os[b], slot[b], sizeof os[b])) {
      rc = fail(why, whylen, "cmodel send beat %u (row0 %u) differs from the dense stream", b, row0);
      goto out;
    }
  *mem = c.stall_memory;
  rc = 0;
out:
  free(st), free(oh), free(os);
  return rc;
}

/* attn run of kernel code on st fed with beats hdr/slot (period 0); its counters in *c. */
static int attn(struct ttile_state *st, uint32_t code, uint32_t k, uint32_t kn, const uint32_t *hdr,
                const uint32_t (*slot)[P], uint32_t nb, struct ttile_counters *c, char *why, size_t whylen) {
  struct ttile_desc d = {.kernel = code, .k = k, .kn = kn, .ntok = LINK_M, .tpl = TPL, .ngroups = nb};
  struct ttile_instream in = {.hdr = hdr, .slot = slot, .nbeats = nb};
  memset(c, 0, sizeof *c);
  int e = ttile_cm_exec_stream(st, &d, &in, c);
  return e ? fail(why, whylen, "cmodel attn kernel %u: code %d", code, e) : 0;
}

/* ---- Checks -------------------------------------------------------------------------------------- */

static const char *const run_name[LR_RUNS] = {"A send", "A attn_qk", "B attn_qk", "B send", "C send",
                                              "C attn_qk 1", "C attn_qk 2", "D send 1", "D send 2", "D attn_pv"};

/* A run completed (status clear, done once, no high counter words). */
static int run_ok(const uint32_t *res, enum link_run r, char *why, size_t whylen) {
  const uint32_t *w = res + LINK_RUN_WORD(r, 0);
  if (w[LW_STATUS] != 0) return fail(why, whylen, "%s: tile.status 0x%08" PRIx32 " after the run", run_name[r], w[LW_STATUS]);
  if (w[LW_DONE] != 1) return fail(why, whylen, "%s: tile.done advanced by %" PRIu32 ", want 1", run_name[r], w[LW_DONE]);
  if (w[LW_HI] != 0) return fail(why, whylen, "%s: a counter's high word is 0x%08" PRIx32, run_name[r], w[LW_HI]);
  return 0;
}

/* send: busy = beats + 2 + backpressure on any timing; nothing computed, never starved. */
static int send_ok(const uint32_t *res, enum link_run r, uint32_t beats, uint64_t mem, char *why, size_t whylen) {
  if (run_ok(res, r, why, whylen)) return -1;
  const uint32_t *w = res + LINK_RUN_WORD(r, 0);
  if ((uint64_t)w[LW_BUSY] != (uint64_t)beats + 2u + w[LW_BACKPRESSURE])
    return fail(why, whylen, "%s: busy %" PRIu32 " != %u beats + 2 + backpressure %" PRIu32, run_name[r], w[LW_BUSY], beats,
                w[LW_BACKPRESSURE]);
  if (w[LW_MACS] || w[LW_STARVED] || w[LW_CONFLICT] || w[LW_MEMORY] != mem)
    return fail(why, whylen, "%s: macs %" PRIu32 " starved %" PRIu32 " conflict %" PRIu32 " memory %" PRIu32 " (want 0 0 0 %" PRIu64 ")",
                run_name[r], w[LW_MACS], w[LW_STARVED], w[LW_CONFLICT], w[LW_MEMORY], mem);
  return 0;
}

/* attn: the cmodel's MACs, conflicts and memory stalls; busy - starved as the cmodel's (a beat's
 * wait adds one busy and one starved cycle, whatever the timing). */
static int attn_ok(const uint32_t *res, enum link_run r, const struct ttile_counters *c, char *why, size_t whylen) {
  if (run_ok(res, r, why, whylen)) return -1;
  const uint32_t *w = res + LINK_RUN_WORD(r, 0);
  if (w[LW_MACS] != c->macs || w[LW_CONFLICT] != c->stall_bank_conflict || w[LW_MEMORY] != c->stall_memory ||
      w[LW_BACKPRESSURE] != 0)
    return fail(why, whylen,
                "%s: macs %" PRIu32 " conflict %" PRIu32 " memory %" PRIu32 " backpressure %" PRIu32
                ", cmodel %" PRIu64 " %" PRIu64 " %" PRIu64 " 0",
                run_name[r], w[LW_MACS], w[LW_CONFLICT], w[LW_MEMORY], w[LW_BACKPRESSURE], c->macs,
                c->stall_bank_conflict, c->stall_memory);
  if (w[LW_STARVED] > w[LW_BUSY] || (uint64_t)(w[LW_BUSY] - w[LW_STARVED]) != c->busy - c->stall_stream_starved)
    return fail(why, whylen, "%s: busy %" PRIu32 " - starved %" PRIu32 " != the cmodel's %" PRIu64 " - %" PRIu64, run_name[r],
                w[LW_BUSY], w[LW_STARVED], c->busy, c->stall_stream_starved);
  return 0;
}

/* out (m rows of cols words read from the chip) against the region words at off of st (kn). */
static int same_rows(const char *what, const uint32_t *out, const struct ttile_state *st, uint32_t kn, uint32_t off,
                     uint32_t cols, char *why, size_t whylen) {
  for (uint32_t r = 0; r < LINK_M; r++)
    for (uint32_t j = 0; j < cols; j++) {
      const uint32_t want = st->bank[r % L][(r / L) * kn + off + j], got = out[(size_t)r * cols + j];
      if (got != want)
        return fail(why, whylen, "%s[%u][%u] = 0x%08" PRIx32 ", tile cmodel 0x%08" PRIx32, what, r, j, got, want);
    }
  return 0;
}

int link_case_check(link_read_fn read, void *ctx, char *why, size_t whylen) {
  struct inputs *in = malloc(sizeof *in);
  struct ttile_state *st = malloc(sizeof *st);
  uint32_t *hdr = malloc(sizeof *hdr * 2u * NB), *hv = malloc(sizeof *hv * NBV);
  uint32_t(*slot)[P] = malloc(sizeof *slot * 2u * NB), (*sv)[P] = malloc(sizeof *sv * NBV);
  uint32_t *out = malloc(sizeof *out * LINK_M * 2u * LINK_NK), res[LX_COUNT];
  struct ttile_counters c1, c2;
  uint64_t mem_k = 0, mem_k2 = 0, mem_v1 = 0, mem_v2 = 0;
  int rc = -1;
  if (!in || !st || !hdr || !hv || !slot || !sv || !out) {
    fail(why, whylen, "out of memory");
    goto out;
  }
  gen(in);
  if (read(ctx, LINK_RESULTS, res, sizeof res)) {
    fail(why, whylen, "cannot read the results");
    goto out;
  }
  if (res[LX_TIMEOUT]) {
    fail(why, whylen, "runs that did not end (bit per run, A send = bit 0): 0x%03" PRIx32, res[LX_TIMEOUT]);
    goto out;
  }
  if (res[LX_MAGIC] != LINK_MAGIC) {
    fail(why, whylen, "the firmware did not finish (magic 0x%08" PRIx32 ")", res[LX_MAGIC]);
    goto out;
  }
  if (res[LX_DMA] & TESSERA_DMA_STATUS_ERROR_MASK) {
    fail(why, whylen, "a DMA descriptor was refused: dma.status 0x%08" PRIx32, res[LX_DMA]);
    goto out;
  }
  if (res[LX_E_QK] != 2 || res[LX_E_SEND] != 2) {
    fail(why, whylen, "attn_qk on tile 0: code %" PRIu32 ", send on the last tile: code %" PRIu32 " (want 2 and 2)",
         res[LX_E_QK], res[LX_E_SEND]);
    goto out;
  }

  /* The streams: 2 nk key rows (A and B take the first nk), nv value rows. */
  dense_stream(&in->k[0][0], 2u * LINK_NK, LINK_DH, 0, hdr, slot);
  dense_stream(&in->v[0][0], LINK_NV, LINK_DV, 0, hv, sv);
  if (send_matches(&in->k[0][0], LINK_NK, LINK_DH, LINK_K_OFF, LINK_KN0, 0, hdr, (const uint32_t(*)[P])slot, &mem_k, why, whylen) ||
      send_matches(&in->k[0][0], 2u * LINK_NK, LINK_DH, LINK_K_OFF, LINK_KN0, 0, hdr, (const uint32_t(*)[P])slot, &mem_k2, why, whylen) ||
      send_matches(&in->v[0][0], LINK_NV1, LINK_DV, 0, LINK_KNV, 0, hv, (const uint32_t(*)[P])sv, &mem_v1, why, whylen) ||
      send_matches(&in->v[LINK_NV1][0], LINK_NV - LINK_NV1, LINK_DV, LINK_DV, LINK_KNV, LINK_NV1, hv + LINK_NV1 * GV,
                   (const uint32_t(*)[P])(sv + LINK_NV1 * GV), &mem_v2, why, whylen))
    goto out;

  /* A and B: S = Q K^T over the first nk keys; S columns nk .. 2nk-1 keep the sentinel. */
  memset(st, 0, sizeof *st);
  for (uint32_t r = 0; r < LINK_M; r++)
    for (uint32_t j = 0; j < LINK_KN1; j++) st->bank[r % L][(r / L) * LINK_KN1 + j] = j < LINK_DH ? in->q[r][j] : LINK_SENTINEL;
  if (attn(st, TESSERA_TILE_KERNEL_ATTN_QK, LINK_DH, LINK_KN1, hdr, (const uint32_t(*)[P])slot, NB, &c1, why, whylen)) goto out;
  for (uint32_t cs = 0; cs < 2; cs++) {
    char what[16];
    snprintf(what, sizeof what, "%c: S", cs ? 'B' : 'A');
    if (read(ctx, LINK_S(cs), out, sizeof *out * LINK_M * 2u * LINK_NK)) {
      fail(why, whylen, "cannot read S");
      goto out;
    }
    if (same_rows(what, out, st, LINK_KN1, LINK_DH, 2u * LINK_NK, why, whylen)) goto out;
  }
  if (send_ok(res, LR_A_SEND, NB, mem_k, why, whylen) || attn_ok(res, LR_A_QK, &c1, why, whylen) ||
      send_ok(res, LR_B_SEND, NB, mem_k, why, whylen) || attn_ok(res, LR_B_QK, &c1, why, whylen))
    goto out;

  /* C: the second run takes the keys nk .. 2nk-1 (rows nk .. of the same send) into their columns. */
  if (attn(st, TESSERA_TILE_KERNEL_ATTN_QK, LINK_DH, LINK_KN1, hdr + NB, (const uint32_t(*)[P])(slot + NB), NB, &c2, why,
           whylen))
    goto out;
  if (read(ctx, LINK_S(2), out, sizeof *out * LINK_M * 2u * LINK_NK)) {
    fail(why, whylen, "cannot read S");
    goto out;
  }
  if (same_rows("C: S", out, st, LINK_KN1, LINK_DH, 2u * LINK_NK, why, whylen)) goto out;
  if (send_ok(res, LR_C_SEND, 2u * NB, mem_k2, why, whylen) || attn_ok(res, LR_C_QK1, &c1, why, whylen) ||
      attn_ok(res, LR_C_QK2, &c2, why, whylen))
    goto out;

  /* D: O = O0 + P V in bwd_data's order, the value rows from two sends. */
  memset(st, 0, sizeof *st);
  for (uint32_t r = 0; r < LINK_M; r++)
    for (uint32_t j = 0; j < LINK_KN2; j++)
      st->bank[r % L][(r / L) * LINK_KN2 + j] = j < LINK_DV ? in->o0[r][j] : in->p[r][j - LINK_DV];
  if (attn(st, TESSERA_TILE_KERNEL_ATTN_PV, LINK_DV, LINK_KN2, hv, (const uint32_t(*)[P])sv, NBV, &c1, why, whylen)) goto out;
  if (read(ctx, LINK_O, out, sizeof *out * LINK_M * LINK_DV)) {
    fail(why, whylen, "cannot read O");
    goto out;
  }
  if (same_rows("D: O", out, st, LINK_KN2, 0, LINK_DV, why, whylen)) goto out;
  if (send_ok(res, LR_D_SEND1, LINK_NV1 * GV, mem_v1, why, whylen) ||
      send_ok(res, LR_D_SEND2, (LINK_NV - LINK_NV1) * GV, mem_v2, why, whylen) || attn_ok(res, LR_D_PV, &c1, why, whylen))
    goto out;
  rc = 0;
out:
  free(in), free(st), free(hdr), free(hv), free(slot), free(sv), free(out);
  return rc;
}
