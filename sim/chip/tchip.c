/* tchip: the chip cmodel (sim/include/tchip.h, docs/chip.md). Registers and fields come from the
 * generated map (tessera/gen/map.h); the timing of tiles and DMA from ttile_cm_exec and the DRAM
 * model. */
#include "tchip.h"
#include "ttimeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/map.h"
#include "tsim_dram.h"
#include "tsim_elf.h"

#define T TESSERA_CFG_TILES
#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define LBW TESSERA_CFG_LANE_BANK_WORDS
#define DMA_QUEUE 4u
#define HOSTIF_REGS (TESSERA_HOSTIF_TRAP_TVAL_OFFSET / 4u + 1u)
#define FIELD(v, name) (((v) & name##_MASK) >> name##_SHIFT)

/* Tile counters kept by the registers (cleared by tile.clear.counters). */
enum { CNT_BUSY, CNT_MACS, CNT_CONFLICT, CNT_STARVED, CNT_MEMORY, CNT_BACKPRESSURE, CNT_N };

struct tile_ctl {
  struct ttile_desc regs;     /* descriptor registers as written */
  int busy;                   /* a run is in flight (finish not yet applied) */
  uint64_t start, finish;     /* of the run in flight */
  uint32_t kernel;            /* of the run in flight */
  struct ttile_counters run;  /* of the run in flight */
  uint32_t error, code, done;
  /* A send or attn run on a stream link whose timing waits for the other side (finish unknown). */
  int linked;
  uint64_t lfirst; /* the run's first beat on its link (the link's beat count at its start) */
  uint64_t lbeats; /* its beats */
  uint32_t fail;   /* status code it ends with instead of done (a malformed stream: 3) */
  uint64_t cnt[CNT_N];
  uint32_t latch[CNT_N];
  struct tchip_tile_counters tot; /* for tchip_counters */
};

struct dma_desc {
  uint64_t src, dst, aux;
  uint32_t rows, row_bytes, src_stride, dst_stride, ctrl;
  uint64_t queued, start, finish;
  int started;
  uint64_t dram_bytes;
  int32_t *idx; /* gather: the indices, read when the descriptor starts */
};

/* A stream link (docs/chip.md, "Stream links"): tile i's stream-out port feeds tile i+1's stream-in
 * port. It holds the beats its producer's send runs put on it (contents at the send's start, the
 * cycle each is first presented, and the cycle it is taken: TTILE_NEVER until known), element e
 * being beat base + e of all the link's beats; beats below base are no longer needed. */
struct link {
  uint32_t *hdr;
  uint32_t (*slot)[P];
  uint64_t *valid, *take;
  uint64_t base, n; /* beats [base, n) held */
  uint64_t claimed; /* beats claimed by the consumer's attn runs so far */
  uint64_t cap;     /* elements allocated */
};

struct tchip {
  tiss *iss;
  struct link link[T > 1 ? T - 1 : 1];
  struct tsim_dram *dram;
  /* A run computes into shadow from the memories copied at its start (pre); at completion it
   * replaces only the words it changed (DMA may write the words a run does not use meanwhile). */
  struct ttile_state *tile[T], *shadow[T], *pre[T];
  struct tile_ctl tc[T];
  /* DMA engine */
  uint32_t dreg[TESSERA_DMA_CTRL_OFFSET / 4u + 1u];
  struct dma_desc q[DMA_QUEUE];
  unsigned qhead, qn;
  uint32_t dma_error, dma_code, dma_done, dma_latch;
  uint64_t dma_dram_bytes; /* the register's count (since reset) */
  /* hostif */
  uint32_t hif[HOSTIF_REGS];
  int event; /* a host-visible write happened during tchip_run */
  /* accounting */
  uint64_t acct_t; /* busy cycles accounted up to here */
  uint64_t cyc0, instret0;
  struct tchip_counters ctr; /* accumulating fields only */
  /* timeline */
  struct ttl tl;
  char err[256];
};

/* ---- small helpers ------------------------------------------------------------------------------- */

static void set_err(tchip *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(tchip *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof c->err, fmt, ap);
  va_end(ap);
}

static uint32_t ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void st32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static void st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }

static void span_add(tchip *c, const struct ttl_span *s) { ttl_add(&c->tl, s); }

/* ---- DMA: descriptor checks ---------------------------------------------------------------------- */

static int is_tile_kind(uint32_t k) {
  return k == TESSERA_DMA_KIND_BANK || k == TESSERA_DMA_KIND_WBUF || k == TESSERA_DMA_KIND_GBUF;
}
static int is_byte_kind(uint32_t k) { return k == TESSERA_DMA_KIND_DRAM || k == TESSERA_DMA_KIND_DMEM; }

static uint64_t kind_bytes(uint32_t k) {
  return k == TESSERA_DMA_KIND_DRAM ? (uint64_t)TESSERA_CFG_DRAM_BYTES : (uint64_t)TESSERA_DMEM_SIZE;
}

/* Rows of `len` bytes at base + r * stride, r < rows, inside [0, cap). */
static int byte_rows_fit(uint64_t base, uint32_t stride, uint32_t rows, uint64_t len, uint64_t cap) {
  uint64_t last = (uint64_t)(rows - 1u) * stride;
  return base <= cap && len <= cap && last <= cap && base + last <= cap - len;
}

/* Bank words of the rows of one side inside the lane banks. */
static int bank_rows_fit(uint64_t a, uint32_t stride, uint32_t rows, uint32_t lane0, int bcast, uint64_t words) {
  uint64_t qmax = bcast ? (uint64_t)(rows - 1u) : ((uint64_t)lane0 + rows - 1u) / L;
  uint64_t end = a + qmax * (stride / 4u) + words;
  return a < LBW && end <= LBW;
}

/* The refusal code of a descriptor (0: it may run), per dma.status.code. */
static uint32_t dma_check(const struct dma_desc *d) {
  uint32_t sk = FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_KIND), dk = FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_KIND);
  uint32_t mode = FIELD(d->ctrl, TESSERA_DMA_CTRL_MODE), st = FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_TILE);
  uint32_t dt = FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_TILE), lane0 = FIELD(d->ctrl, TESSERA_DMA_CTRL_LANE0);
  int bcast = FIELD(d->ctrl, TESSERA_DMA_CTRL_BROADCAST) != 0, pack = FIELD(d->ctrl, TESSERA_DMA_CTRL_PACK16) != 0;
  int unpack = FIELD(d->ctrl, TESSERA_DMA_CTRL_UNPACK16) != 0;
  /* 2: kinds and mode */
  if (sk >= TESSERA_DMA_KIND_COUNT || dk >= TESSERA_DMA_KIND_COUNT || mode >= TESSERA_DMA_MODE_COUNT) return 2;
  if (mode == TESSERA_DMA_MODE_WLOAD) {
    if (sk != TESSERA_DMA_KIND_DRAM || dk != TESSERA_DMA_KIND_WBUF || bcast || pack || unpack) return 2;
  } else {
    if (sk == TESSERA_DMA_KIND_WBUF || dk == TESSERA_DMA_KIND_WBUF) return 2;
    if (mode == TESSERA_DMA_MODE_GATHER && !is_byte_kind(sk)) return 2;
    if (pack && unpack) return 2;
    if (pack && !is_byte_kind(dk)) return 2;   /* the bf16 side is byte-addressed */
    if (unpack && !is_byte_kind(sk)) return 2;
    if (bcast && dk != TESSERA_DMA_KIND_BANK) return 2;
  }
  /* 3: tiles */
  if ((is_tile_kind(sk) && st >= T) || (is_tile_kind(dk) && dt >= T)) return 3;
  /* 5: alignment (the word side 4 bytes, a bf16 side 2) */
  if (mode == TESSERA_DMA_MODE_WLOAD) {
    if ((d->src | d->aux) & 1u) return 5;
  } else {
    uint32_t sa = unpack ? 2u : 4u, da = pack ? 2u : 4u;
    if (d->row_bytes % 4u) return 5;
    if (sk == TESSERA_DMA_KIND_BANK && d->src_stride % 4u) return 5;
    if (dk == TESSERA_DMA_KIND_BANK && d->dst_stride % 4u) return 5;
    if (is_byte_kind(sk) && ((d->src % sa) || (d->src_stride % sa))) return 5;
    if (is_byte_kind(dk) && ((d->dst % da) || (d->dst_stride % da))) return 5;
    if (mode == TESSERA_DMA_MODE_GATHER && d->aux % 4u) return 5;
  }
  /* 4: ranges */
  if (d->rows == 0u) return 4;
  if (mode == TESSERA_DMA_MODE_WLOAD) {
    uint64_t gb = 4u + 2u * P, vb = 2u * P;
    if (d->dst >= TTILE_GROUPS || d->rows > TTILE_GROUPS - d->dst) return 4;
    if (!byte_rows_fit(d->src, 0, 1, gb * d->rows, TESSERA_CFG_DRAM_BYTES)) return 4;
    if (!byte_rows_fit(d->aux, 0, 1, vb * d->rows, TESSERA_CFG_DRAM_BYTES)) return 4;
    return 0;
  }
  if (d->row_bytes == 0u) return 4;
  uint64_t sbytes = unpack ? d->row_bytes / 2u : d->row_bytes, dbytes = pack ? d->row_bytes / 2u : d->row_bytes;
  if (mode == TESSERA_DMA_MODE_GATHER) {
    if (!byte_rows_fit(d->aux, 0, 1, 4ull * d->rows, TESSERA_CFG_DRAM_BYTES)) return 4;
  } else if (is_byte_kind(sk)) {
    if (!byte_rows_fit(d->src, d->src_stride, d->rows, sbytes, kind_bytes(sk))) return 4;
  } else if (sk == TESSERA_DMA_KIND_BANK) {
    if (!bank_rows_fit(d->src, d->src_stride, d->rows, lane0, 0, sbytes / 4u)) return 4;
  } else { /* gbuf */
    if (sbytes != 4u * P || d->src >= TTILE_GROUPS || d->rows > TTILE_GROUPS - d->src) return 4;
  }
  if (is_byte_kind(dk)) {
    if (!byte_rows_fit(d->dst, d->dst_stride, d->rows, dbytes, kind_bytes(dk))) return 4;
  } else if (dk == TESSERA_DMA_KIND_BANK) {
    if (!bank_rows_fit(d->dst, d->dst_stride, d->rows, lane0, bcast, dbytes / 4u)) return 4;
  } else {
    if (dbytes != 4u * P || d->dst >= TTILE_GROUPS || d->rows > TTILE_GROUPS - d->dst) return 4;
  }
  return 0;
}

/* ---- DMA: data movement ------------------------------------------------------------------------- */

/* Read `n` bytes of row r of a byte-addressed or word-addressed source into buf. */
static void side_read(tchip *c, uint32_t kind, uint32_t tile, uint64_t a, uint32_t stride, uint32_t r,
                      uint32_t lane0, uint8_t *buf, uint64_t n) {
  switch (kind) {
  case TESSERA_DMA_KIND_DRAM: (void)tsim_dram_read(c->dram, a + (uint64_t)r * stride, buf, n); break;
  case TESSERA_DMA_KIND_DMEM:
    (void)tiss_read_mem(c->iss, TESSERA_DMEM_BASE + (uint32_t)(a + (uint64_t)r * stride), buf, (size_t)n);
    break;
  case TESSERA_DMA_KIND_BANK: {
    uint32_t l = (lane0 + r) % L, q = (lane0 + r) / L;
    const uint32_t *w = &c->tile[tile]->bank[l][a + (uint64_t)q * (stride / 4u)];
    for (uint64_t i = 0; i < n / 4u; i++) st32(buf + 4u * i, w[i]);
    break;
  }
  default: { /* gbuf */
    const uint32_t *w = c->tile[tile]->gbuf[a + r];
    for (uint32_t i = 0; i < P; i++) st32(buf + 4u * i, w[i]);
    break;
  }
  }
}

static void bank_put(uint32_t *w, const uint8_t *buf, uint64_t words) {
  for (uint64_t i = 0; i < words; i++) w[i] = ld32(buf + 4u * i);
}

static void side_write(tchip *c, uint32_t kind, uint32_t tile, uint64_t a, uint32_t stride, uint32_t r,
                       uint32_t lane0, int bcast, const uint8_t *buf, uint64_t n) {
  switch (kind) {
  case TESSERA_DMA_KIND_DRAM: (void)tsim_dram_write(c->dram, a + (uint64_t)r * stride, buf, n); break;
  case TESSERA_DMA_KIND_DMEM:
    (void)tiss_write_mem(c->iss, TESSERA_DMEM_BASE + (uint32_t)(a + (uint64_t)r * stride), buf, (size_t)n);
    break;
  case TESSERA_DMA_KIND_BANK:
    if (bcast) {
      for (uint32_t l = 0; l < L; l++) bank_put(&c->tile[tile]->bank[l][a + (uint64_t)r * (stride / 4u)], buf, n / 4u);
    } else {
      uint32_t l = (lane0 + r) % L, q = (lane0 + r) / L;
      bank_put(&c->tile[tile]->bank[l][a + (uint64_t)q * (stride / 4u)], buf, n / 4u);
    }
    break;
  default: bank_put(c->tile[tile]->gbuf[a + r], buf, P); break;
  }
}

/* Where gather row r comes from: 1 and *addr if inside the source endpoint. */
static int gather_src(const struct dma_desc *d, uint32_t r, uint64_t n, uint64_t *addr) {
  uint32_t sk = FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_KIND);
  int64_t i = d->idx ? d->idx[r] : 0;
  if (i < 0) return 0;
  uint64_t off = (uint64_t)i * d->src_stride;
  if (!byte_rows_fit(d->src + off, 0, 1, n, kind_bytes(sk)) || d->src + off < d->src) return 0;
  *addr = d->src + off;
  return 1;
}

/* Bytes of one row at each side and the totals the timing needs. */
static void dma_sizes(const struct dma_desc *d, uint64_t *dram, uint64_t *onchip) {
  uint32_t sk = FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_KIND), dk = FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_KIND);
  uint32_t mode = FIELD(d->ctrl, TESSERA_DMA_CTRL_MODE);
  if (mode == TESSERA_DMA_MODE_WLOAD) {
    *dram = (uint64_t)d->rows * (4u + 4u * P);
    *onchip = (uint64_t)d->rows * 4u * (P + 1u);
    return;
  }
  uint64_t sb = FIELD(d->ctrl, TESSERA_DMA_CTRL_UNPACK16) ? d->row_bytes / 2u : d->row_bytes;
  uint64_t db = FIELD(d->ctrl, TESSERA_DMA_CTRL_PACK16) ? d->row_bytes / 2u : d->row_bytes;
  uint64_t src_rows = d->rows;
  *dram = 0;
  if (mode == TESSERA_DMA_MODE_GATHER) {
    uint64_t a;
    *dram += 4ull * d->rows;
    src_rows = 0;
    for (uint32_t r = 0; r < d->rows; r++) src_rows += (uint64_t)gather_src(d, r, sb, &a);
  }
  if (sk == TESSERA_DMA_KIND_DRAM) *dram += src_rows * sb;
  if (dk == TESSERA_DMA_KIND_DRAM) *dram += (uint64_t)d->rows * db;
  *onchip = dk != TESSERA_DMA_KIND_DRAM ? (uint64_t)d->rows * db : sk != TESSERA_DMA_KIND_DRAM ? (uint64_t)d->rows * sb : 0;
}

/* The descriptor at the head of the queue starts at `at`: read its indices, time it. */
static void dma_begin(tchip *c, struct dma_desc *d, uint64_t at) {
  uint64_t dram, onchip, dram_done = at;
  d->start = at;
  d->started = 1;
  if (FIELD(d->ctrl, TESSERA_DMA_CTRL_MODE) == TESSERA_DMA_MODE_GATHER) {
    d->idx = malloc((size_t)d->rows * 4u);
    if (d->idx) {
      uint8_t w[4];
      for (uint32_t r = 0; r < d->rows; r++) {
        (void)tsim_dram_read(c->dram, d->aux + 4ull * r, w, 4);
        d->idx[r] = (int32_t)ld32(w);
      }
    }
  }
  dma_sizes(d, &dram, &onchip);
  d->dram_bytes = dram;
  if (dram) (void)tsim_dram_transfer(c->dram, at, dram, &dram_done);
  uint64_t chip_done = at + (onchip + TESSERA_CFG_DMA_BYTES_PER_CYCLE - 1u) / TESSERA_CFG_DMA_BYTES_PER_CYCLE;
  d->finish = (dram_done > chip_done ? dram_done : chip_done) + 1u;
}

/* Move the data of a descriptor (at its finish cycle). Returns 1 if a gather index was bad. */
static int dma_move(tchip *c, const struct dma_desc *d) {
  uint32_t sk = FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_KIND), dk = FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_KIND);
  uint32_t mode = FIELD(d->ctrl, TESSERA_DMA_CTRL_MODE), st = FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_TILE);
  uint32_t dt = FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_TILE), lane0 = FIELD(d->ctrl, TESSERA_DMA_CTRL_LANE0);
  int bcast = FIELD(d->ctrl, TESSERA_DMA_CTRL_BROADCAST) != 0, pack = FIELD(d->ctrl, TESSERA_DMA_CTRL_PACK16) != 0;
  int unpack = FIELD(d->ctrl, TESSERA_DMA_CTRL_UNPACK16) != 0, bad = 0;
  if (mode == TESSERA_DMA_MODE_WLOAD) {
    uint8_t g[4u + 2u * P], v[2u * P];
    struct ttile_state *ts = c->tile[dt];
    for (uint32_t r = 0; r < d->rows; r++) {
      (void)tsim_dram_read(c->dram, d->src + (uint64_t)r * sizeof g, g, sizeof g);
      (void)tsim_dram_read(c->dram, d->aux + (uint64_t)r * sizeof v, v, sizeof v);
      ts->wb_hdr[d->dst + r] = (uint32_t)ld16(g) | (uint32_t)g[2] << 16;
      for (uint32_t p = 0; p < P; p++) ts->wb_slot[d->dst + r][p] = (uint32_t)ld16(g + 4 + 2 * p) << 16 | ld16(v + 2 * p);
    }
    return 0;
  }
  uint64_t sb = unpack ? d->row_bytes / 2u : d->row_bytes, db = pack ? d->row_bytes / 2u : d->row_bytes;
  uint8_t *in = malloc(sb ? sb : 1), *out = malloc(db ? db : 1);
  if (!in || !out) {
    free(in), free(out);
    return 0;
  }
  for (uint32_t r = 0; r < d->rows; r++) {
    if (mode == TESSERA_DMA_MODE_GATHER) {
      uint64_t a;
      if (gather_src(d, r, sb, &a)) {
        side_read(c, sk, st, a, 0, 0, lane0, in, sb);
      } else {
        memset(in, 0, sb);
        bad = 1;
      }
    } else {
      side_read(c, sk, st, d->src, d->src_stride, r, lane0, in, sb);
    }
    if (unpack) {
      for (uint64_t i = 0; i < sb / 2u; i++) st32(out + 4u * i, (uint32_t)ld16(in + 2u * i) << 16);
    } else if (pack) {
      for (uint64_t i = 0; i < db / 2u; i++) st16(out + 2u * i, (uint16_t)(ld32(in + 4u * i) >> 16));
    } else {
      memcpy(out, in, db);
    }
    side_write(c, dk, dt, d->dst, d->dst_stride, r, lane0, bcast, out, db);
  }
  free(in), free(out);
  return bad;
}

static void dma_error(tchip *c, uint32_t code) {
  if (!c->dma_error) c->dma_code = code;
  c->dma_error = 1;
}

/* ---- events -------------------------------------------------------------------------------------- */

static int any_tile_busy(const tchip *c) {
  for (unsigned i = 0; i < T; i++)
    if (c->tc[i].busy) return 1;
  return 0;
}

/* Busy-cycle counters over [acct_t, t): the busy sets do not change inside it. */
static void account(tchip *c, uint64_t t) {
  if (t <= c->acct_t) return;
  uint64_t n = t - c->acct_t;
  int tb = any_tile_busy(c), db = c->qn > 0;
  if (db) c->ctr.dma_busy += n;
  if (tb) c->ctr.any_tile_busy += n;
  if (tb || db) c->ctr.any_busy += n;
  c->acct_t = t;
}

static void tile_error(struct tile_ctl *tc, uint32_t code) {
  if (!tc->error) tc->code = code;
  tc->error = 1;
}

static void tile_finish(tchip *c, unsigned i) {
  struct tile_ctl *tc = &c->tc[i];
  const uint32_t *sh = (const uint32_t *)c->shadow[i], *pr = (const uint32_t *)c->pre[i];
  uint32_t *cur = (uint32_t *)c->tile[i];
  for (size_t w = 0; w < sizeof *c->tile[i] / sizeof *cur; w++)
    if (sh[w] != pr[w]) cur[w] = sh[w];
  tc->busy = 0;
  if (tc->fail)
    tile_error(tc, tc->fail), tc->fail = 0;
  else
    tc->done++;
  tc->cnt[CNT_BUSY] += tc->run.cycles;
  tc->cnt[CNT_MACS] += tc->run.macs;
  tc->cnt[CNT_CONFLICT] += tc->run.stall_bank_conflict;
  tc->cnt[CNT_STARVED] += tc->run.stall_stream_starved;
  tc->cnt[CNT_MEMORY] += tc->run.stall_memory;
  tc->cnt[CNT_BACKPRESSURE] += tc->run.stall_backpressure;
  tc->tot.runs++;
  tc->tot.busy += tc->run.cycles;
  tc->tot.macs += tc->run.macs;
  tc->tot.conflict += tc->run.stall_bank_conflict;
  tc->tot.starved += tc->run.stall_stream_starved;
  tc->tot.backpressure += tc->run.stall_backpressure;
  tc->tot.memory += tc->run.stall_memory;
  struct ttl_span s = {.kind = TTL_TILE, .tile = (uint8_t)i, .kernel = tc->kernel, .start = tc->start,
                   .dur = tc->finish - tc->start};
  span_add(c, &s);
}

static void dma_finish(tchip *c) {
  struct dma_desc *d = &c->q[c->qhead];
  if (dma_move(c, d)) dma_error(c, 4);
  c->dma_done++;
  c->dma_dram_bytes += d->dram_bytes;
  c->ctr.dma_dram_bytes += d->dram_bytes;
  c->ctr.dma_descriptors++;
  struct ttl_span s = {.kind = TTL_DMA, .src_kind = (uint8_t)FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_KIND),
                   .dst_kind = (uint8_t)FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_KIND),
                   .src_tile = (uint8_t)FIELD(d->ctrl, TESSERA_DMA_CTRL_SRC_TILE),
                   .dst_tile = (uint8_t)FIELD(d->ctrl, TESSERA_DMA_CTRL_DST_TILE),
                   .kernel = FIELD(d->ctrl, TESSERA_DMA_CTRL_MODE), .start = d->start,
                   .dur = d->finish - d->start, .bytes = (uint64_t)d->rows * d->row_bytes,
                   .dram_bytes = d->dram_bytes};
  span_add(c, &s);
  free(d->idx);
  d->idx = NULL;
  uint64_t f = d->finish;
  c->qhead = (c->qhead + 1u) % DMA_QUEUE;
  c->qn--;
  if (c->qn) {
    struct dma_desc *n = &c->q[c->qhead];
    dma_begin(c, n, n->queued > f ? n->queued : f);
  }
}

/* Apply every event due at or before `now`, in time order (tile runs before the DMA at a tie). */
static void process(tchip *c, uint64_t now) {
  for (;;) {
    uint64_t best = UINT64_MAX;
    int who = -2; /* -1 DMA, >= 0 tile */
    for (unsigned i = 0; i < T; i++)
      if (c->tc[i].busy && c->tc[i].finish < best) best = c->tc[i].finish, who = (int)i;
    if (c->qn && c->q[c->qhead].finish < best) best = c->q[c->qhead].finish, who = -1;
    if (who == -2 || best > now) break;
    account(c, best);
    if (who >= 0) tile_finish(c, (unsigned)who);
    else dma_finish(c);
  }
  account(c, now);
}

/* ---- register blocks ----------------------------------------------------------------------------- */

static uint32_t *tile_desc_reg(struct ttile_desc *d, uint32_t off) {
  switch (off) {
  case TESSERA_TILE_KERNEL_OFFSET: return &d->kernel;
  case TESSERA_TILE_K_OFFSET: return &d->k;
  case TESSERA_TILE_KN_OFFSET: return &d->kn;
  case TESSERA_TILE_NTOK_OFFSET: return &d->ntok;
  case TESSERA_TILE_TPL_OFFSET: return &d->tpl;
  case TESSERA_TILE_NGROUPS_OFFSET: return &d->ngroups;
  case TESSERA_TILE_OFF_A_OFFSET: return &d->off_a;
  case TESSERA_TILE_OFF_B_OFFSET: return &d->off_b;
  case TESSERA_TILE_OFF_C_OFFSET: return &d->off_c;
  case TESSERA_TILE_OFF_D_OFFSET: return &d->off_d;
  case TESSERA_TILE_COLS_OFFSET: return &d->cols;
  case TESSERA_TILE_PARAM_OFFSET: return &d->param;
  case TESSERA_TILE_ROW0_OFFSET: return &d->row0;
  case TESSERA_TILE_S0_OFFSET: return &d->s[0];
  case TESSERA_TILE_S1_OFFSET: return &d->s[1];
  case TESSERA_TILE_S2_OFFSET: return &d->s[2];
  case TESSERA_TILE_S3_OFFSET: return &d->s[3];
  case TESSERA_TILE_S4_OFFSET: return &d->s[4];
  case TESSERA_TILE_S5_OFFSET: return &d->s[5];
  case TESSERA_TILE_S6_OFFSET: return &d->s[6];
  case TESSERA_TILE_S7_OFFSET: return &d->s[7];
  default: return NULL;
  }
}

/* Counter registers: index and whether it is the _lo word; -1 if off is none. */
static int tile_cnt_reg(uint32_t off, int *lo) {
  static const uint32_t los[CNT_N] = {TESSERA_TILE_CNT_BUSY_LO_OFFSET, TESSERA_TILE_CNT_MACS_LO_OFFSET,
                                      TESSERA_TILE_CNT_CONFLICT_LO_OFFSET, TESSERA_TILE_CNT_STARVED_LO_OFFSET,
                                      TESSERA_TILE_CNT_MEMORY_LO_OFFSET, TESSERA_TILE_CNT_BACKPRESSURE_LO_OFFSET};
  static const uint32_t his[CNT_N] = {TESSERA_TILE_CNT_BUSY_HI_OFFSET, TESSERA_TILE_CNT_MACS_HI_OFFSET,
                                      TESSERA_TILE_CNT_CONFLICT_HI_OFFSET, TESSERA_TILE_CNT_STARVED_HI_OFFSET,
                                      TESSERA_TILE_CNT_MEMORY_HI_OFFSET, TESSERA_TILE_CNT_BACKPRESSURE_HI_OFFSET};
  for (int i = 0; i < CNT_N; i++) {
    if (off == los[i]) return *lo = 1, i;
    if (off == his[i]) return *lo = 0, i;
  }
  return -1;
}

/* ---- stream links -------------------------------------------------------------------------------- */

/* Every beat of a send run started at s is presented to the consumer from s + TTILE_SEND_FILL on
 * (later beats also wait for their predecessor's take: the source's rule; docs/tile.md, "Linking
 * two tiles"). */
#define TILE_CODE_MALFORMED 3u /* tile.status.code of a malformed stream */

static int is_attn(uint32_t k) { return k == TESSERA_TILE_KERNEL_ATTN_QK || k == TESSERA_TILE_KERNEL_ATTN_PV; }
/* Tile i's run in flight as the producer of link i / the consumer of link i - 1, waiting on it. */
static int waits_send(const tchip *c, unsigned i) {
  return c->tc[i].busy && c->tc[i].linked && c->tc[i].kernel == TESSERA_TILE_KERNEL_SEND;
}
static int waits_attn(const tchip *c, unsigned i) { return c->tc[i].busy && c->tc[i].linked && is_attn(c->tc[i].kernel); }

static void link_clear(struct link *l) {
  free(l->hdr), free(l->slot), free(l->valid), free(l->take);
  memset(l, 0, sizeof *l);
}

/* Room for `more` beats past n; 0, or -1 when out of memory. */
static int link_reserve(struct link *l, uint64_t more) {
  uint64_t need = l->n - l->base + more;
  if (need <= l->cap) return 0;
  uint64_t cap = l->cap ? l->cap : 256;
  while (cap < need) cap *= 2;
  uint32_t *h = realloc(l->hdr, sizeof *h * cap);
  if (h) l->hdr = h;
  uint32_t(*sl)[P] = realloc(l->slot, sizeof *sl * cap);
  if (sl) l->slot = sl;
  uint64_t *v = realloc(l->valid, sizeof *v * cap);
  if (v) l->valid = v;
  uint64_t *t = realloc(l->take, sizeof *t * cap);
  if (t) l->take = t;
  if (!h || !sl || !v || !t) return -1;
  l->cap = cap;
  return 0;
}

/* Drop the beats no run needs any more: below the first beat of an unresolved run on the link and
 * below the first beat not yet claimed by a consumer run. */
static void link_compact(tchip *c, unsigned i) {
  struct link *l = &c->link[i];
  uint64_t keep = l->claimed;
  if (waits_send(c, i) && c->tc[i].lfirst < keep) keep = c->tc[i].lfirst;
  if (waits_attn(c, i + 1) && c->tc[i + 1].lfirst < keep) keep = c->tc[i + 1].lfirst;
  if (keep <= l->base) return;
  uint64_t drop = keep - l->base, left = l->n - keep;
  memmove(l->hdr, l->hdr + drop, sizeof *l->hdr * left);
  memmove(l->slot, l->slot + drop, sizeof *l->slot * left);
  memmove(l->valid, l->valid + drop, sizeof *l->valid * left);
  memmove(l->take, l->take + drop, sizeof *l->take * left);
  l->base = keep;
}

/* Time what can be timed on link i after a start on either side. The consumer's attn run (tile
 * i + 1) takes its beats at the times ttile_cm_attn_takes gives for the beats on the link so far
 * (presented from their send's start + TTILE_SEND_FILL, or the consumer's start if later); once all of
 * them are there it runs (ttile_cm_exec_stream) and its finish is known. The producer's send
 * (tile i) ends when the consumer has taken all its beats: ttile_cm_exec_io with the sink ready
 * for each beat exactly when the consumer takes it. Returns -1 (and sets the error) when out of
 * memory or the models disagree with the link's bookkeeping. */
static int link_resolve(tchip *c, unsigned i) {
  struct link *l = &c->link[i];
  struct tile_ctl *pc = &c->tc[i], *cc = &c->tc[i + 1];
  int rc = 0;
  if (waits_attn(c, i + 1) && l->n > cc->lfirst) {
    uint64_t have = l->n - cc->lfirst, o = cc->lfirst - l->base;
    if (have > cc->lbeats) have = cc->lbeats;
    uint64_t *vrel = malloc(sizeof *vrel * (have + 1)), *trel = malloc(sizeof *trel * (have + 1));
    if (!vrel || !trel) {
      free(vrel), free(trel);
      set_err(c, "out of memory on stream link %u", i);
      return -1;
    }
    for (uint64_t b = 0; b < have; b++) vrel[b] = l->valid[o + b] > cc->start ? l->valid[o + b] - cc->start : 0;
    struct ttile_instream in = {.hdr = l->hdr + o, .slot = (const uint32_t(*)[P])(l->slot + o), .nbeats = (uint32_t)have,
                                .valid_at = vrel, .taken_at = trel};
    if (have == cc->lbeats) {
      struct ttile_counters run;
      memset(&run, 0, sizeof run);
      int code = ttile_cm_exec_stream(c->shadow[i + 1], &cc->regs, &in, &run);
      if (code == TILE_CODE_MALFORMED) {
        /* A malformed stream (docs/tile.md): the tile takes every beat on its schedule, writes
         * nothing here (the RTL leaves its output operand undefined) and ends with code 3. */
        memcpy(c->shadow[i + 1], c->pre[i + 1], sizeof *c->shadow[i + 1]);
        if (ttile_cm_attn_takes(&cc->regs, &in, (uint32_t)have, trel) != 0) rc = -1;
        memset(&run, 0, sizeof run);
        run.cycles = run.busy = have ? trel[have - 1] + 1 : 1;
        cc->fail = TILE_CODE_MALFORMED;
      } else if (code != 0) {
        rc = -1;
      }
      if (!rc) {
        cc->run = run;
        cc->finish = cc->start + (run.cycles ? run.cycles : 1u);
        cc->linked = 0;
      }
    } else if (ttile_cm_attn_takes(&cc->regs, &in, (uint32_t)have, trel) != 0) {
      rc = -1;
    }
    for (uint64_t b = 0; !rc && b < have; b++) l->take[o + b] = trel[b] == TTILE_NEVER ? TTILE_NEVER : cc->start + trel[b];
    free(vrel), free(trel);
    if (rc) {
      set_err(c, "stream link %u: the attn run on tile %u cannot be timed", i, i + 1);
      return -1;
    }
  }
  if (waits_send(c, i)) {
    uint64_t o = pc->lfirst - l->base, nb = pc->lbeats, b;
    for (b = 0; b < nb && pc->lfirst + b < l->n && l->take[o + b] != TTILE_NEVER; b++) {
    }
    if (b == nb) {
      uint64_t *rrel = malloc(sizeof *rrel * nb), *trel = malloc(sizeof *trel * nb);
      uint32_t *hdr = malloc(sizeof *hdr * nb);
      uint32_t(*slot)[P] = malloc(sizeof *slot * nb);
      struct ttile_counters run;
      memset(&run, 0, sizeof run);
      if (rrel && trel && hdr && slot) {
        for (b = 0; b < nb; b++) rrel[b] = l->take[o + b] - pc->start;
        struct ttile_outstream out = {.hdr = hdr, .slot = slot, .cap = (uint32_t)nb, .ready_at = rrel, .taken_at = trel};
        if (ttile_cm_exec_io(c->shadow[i], &pc->regs, NULL, &out, &run) != 0 || out.nbeats != nb) rc = -1;
        for (b = 0; !rc && b < nb; b++)
          if (trel[b] != rrel[b]) rc = -1;
      } else {
        rc = -1;
      }
      free(rrel), free(trel), free(hdr), free(slot);
      if (rc) {
        set_err(c, "stream link %u: the send on tile %u cannot be timed", i, i);
        return -1;
      }
      pc->run = run;
      pc->finish = pc->start + run.cycles;
      pc->linked = 0;
    }
  }
  link_compact(c, i);
  return 0;
}

/* A send on a tile with a link after it: its beats go on the link now; it ends when the consumer
 * has taken them. 0 (started, or refused with a code), -1 on an internal error. */
static int start_send(tchip *c, unsigned i, uint64_t now) {
  struct tile_ctl *tc = &c->tc[i];
  struct link *l = &c->link[i];
  struct ttile_counters run;
  uint32_t hdr0[1], slot0[1][P];
  struct ttile_outstream probe = {.hdr = hdr0, .slot = slot0, .cap = 0};
  int code = ttile_cm_exec_io(c->shadow[i], &tc->regs, NULL, &probe, &run);
  if (code > 0) {
    tile_error(tc, (uint32_t)code);
    return 0;
  }
  uint64_t nb = ttile_send_beats(&tc->regs);
  if (link_reserve(l, nb)) {
    set_err(c, "out of memory on stream link %u", i);
    return -1;
  }
  uint64_t e = l->n - l->base;
  struct ttile_outstream out = {.hdr = l->hdr + e, .slot = l->slot + e, .cap = (uint32_t)nb};
  if (ttile_cm_exec_io(c->shadow[i], &tc->regs, NULL, &out, &run) != 0 || out.nbeats != nb) {
    set_err(c, "tile %u: send cannot produce its %" PRIu64 " beats", i, nb);
    return -1;
  }
  for (uint64_t b = 0; b < nb; b++) l->valid[e + b] = now + TTILE_SEND_FILL, l->take[e + b] = TTILE_NEVER;
  account(c, now);
  tc->busy = 1, tc->linked = 1, tc->fail = 0;
  tc->lfirst = l->n, tc->lbeats = nb;
  l->n += nb;
  tc->kernel = TESSERA_TILE_KERNEL_SEND;
  tc->start = now;
  tc->finish = UINT64_MAX;
  return link_resolve(c, i);
}

/* An attn run on a tile with a link before it: it claims the next ngroups beats of the link. */
static int start_attn(tchip *c, unsigned i, uint64_t now) {
  struct tile_ctl *tc = &c->tc[i];
  struct link *l = &c->link[i - 1];
  struct ttile_counters run;
  uint32_t hdr0[1], slot0[1][P];
  struct ttile_instream probe = {.hdr = hdr0, .slot = (const uint32_t(*)[P])slot0, .nbeats = 0};
  memset(&run, 0, sizeof run);
  int code = ttile_cm_exec_stream(c->shadow[i], &tc->regs, &probe, &run);
  if (code > 0) { /* refused before it takes anything: a bad shape */
    tile_error(tc, (uint32_t)code);
    return 0;
  }
  account(c, now);
  tc->busy = 1, tc->fail = 0;
  tc->kernel = FIELD(tc->regs.kernel, TESSERA_TILE_KERNEL_CODE);
  tc->start = now;
  if (code == 0) { /* no groups: nothing to wait for */
    tc->linked = 0;
    tc->run = run;
    tc->finish = now + (run.cycles ? run.cycles : 1u);
    return 0;
  }
  tc->linked = 1;
  tc->lfirst = l->claimed, tc->lbeats = tc->regs.ngroups;
  l->claimed += tc->regs.ngroups;
  tc->finish = UINT64_MAX;
  return link_resolve(c, i - 1);
}

static int tile_start(tchip *c, unsigned i, uint64_t now) {
  struct tile_ctl *tc = &c->tc[i];
  if (tc->busy) {
    tile_error(tc, 1);
    return 0;
  }
  /* The run reads its inputs now and computes into a copy of the memories; at completion the
   * words it changed (shadow != pre) are written back. */
  memcpy(c->pre[i], c->tile[i], sizeof *c->pre[i]);
  memcpy(c->shadow[i], c->tile[i], sizeof *c->shadow[i]);
  uint32_t k = FIELD(tc->regs.kernel, TESSERA_TILE_KERNEL_CODE);
  if (k == TESSERA_TILE_KERNEL_SEND && i + 1 < T) return start_send(c, i, now);
  if (is_attn(k) && i > 0) return start_attn(c, i, now);
  struct ttile_counters run;
  memset(&run, 0, sizeof run);
  int code = ttile_cm_exec(c->shadow[i], &tc->regs, &run);
  if (code != 0) {
    tile_error(tc, (uint32_t)code);
    return 0;
  }
  account(c, now);
  tc->busy = 1;
  tc->run = run;
  tc->kernel = k;
  tc->start = now;
  tc->finish = now + (run.cycles ? run.cycles : 1u);
  return 0;
}

static int tile_read(tchip *c, unsigned i, uint32_t off, uint32_t *v, uint64_t now) {
  struct tile_ctl *tc = &c->tc[i];
  uint32_t *r = tile_desc_reg(&tc->regs, off);
  int lo, k;
  (void)now;
  if (r) return *v = *r, 0;
  switch (off) {
  case TESSERA_TILE_STATUS_OFFSET:
    *v = (tc->busy ? TESSERA_TILE_STATUS_BUSY_MASK : 0u) | (tc->error ? TESSERA_TILE_STATUS_ERROR_MASK : 0u) |
         ((tc->code << TESSERA_TILE_STATUS_CODE_SHIFT) & TESSERA_TILE_STATUS_CODE_MASK);
    return 0;
  case TESSERA_TILE_DONE_OFFSET: *v = tc->done; return 0;
  case TESSERA_TILE_START_OFFSET: set_err(c, "read of write-only tile.start"); return -1;
  case TESSERA_TILE_CLEAR_OFFSET: set_err(c, "read of write-only tile.clear"); return -1;
  default: break;
  }
  if ((k = tile_cnt_reg(off, &lo)) >= 0) {
    if (lo) {
      *v = (uint32_t)tc->cnt[k];
      tc->latch[k] = (uint32_t)(tc->cnt[k] >> 32);
    } else {
      *v = tc->latch[k];
    }
    return 0;
  }
  set_err(c, "no tile register at offset 0x%03" PRIx32, off);
  return -1;
}

static int tile_write(tchip *c, unsigned i, uint32_t off, uint32_t v, uint64_t now) {
  struct tile_ctl *tc = &c->tc[i];
  uint32_t *r = tile_desc_reg(&tc->regs, off);
  int lo;
  if (r) return *r = v, 0;
  switch (off) {
  case TESSERA_TILE_START_OFFSET:
    if (v & TESSERA_TILE_START_GO_MASK) return tile_start(c, i, now);
    return 0;
  case TESSERA_TILE_CLEAR_OFFSET:
    if (v & TESSERA_TILE_CLEAR_ERROR_MASK) tc->error = 0, tc->code = 0;
    if (v & TESSERA_TILE_CLEAR_COUNTERS_MASK) memset(tc->cnt, 0, sizeof tc->cnt), memset(tc->latch, 0, sizeof tc->latch);
    return 0;
  case TESSERA_TILE_STATUS_OFFSET: set_err(c, "write to read-only tile.status"); return -1;
  case TESSERA_TILE_DONE_OFFSET: set_err(c, "write to read-only tile.done"); return -1;
  default: break;
  }
  if (tile_cnt_reg(off, &lo) >= 0) {
    set_err(c, "write to read-only tile counter at offset 0x%03" PRIx32, off);
    return -1;
  }
  set_err(c, "no tile register at offset 0x%03" PRIx32, off);
  return -1;
}

static void dma_start(tchip *c, uint64_t now) {
  struct dma_desc d;
  memset(&d, 0, sizeof d);
  d.src = (uint64_t)c->dreg[TESSERA_DMA_SRC_HI_OFFSET / 4] << 32 | c->dreg[TESSERA_DMA_SRC_LO_OFFSET / 4];
  d.dst = (uint64_t)c->dreg[TESSERA_DMA_DST_HI_OFFSET / 4] << 32 | c->dreg[TESSERA_DMA_DST_LO_OFFSET / 4];
  d.aux = (uint64_t)c->dreg[TESSERA_DMA_AUX_HI_OFFSET / 4] << 32 | c->dreg[TESSERA_DMA_AUX_LO_OFFSET / 4];
  d.rows = c->dreg[TESSERA_DMA_ROWS_OFFSET / 4];
  d.row_bytes = c->dreg[TESSERA_DMA_ROW_BYTES_OFFSET / 4];
  d.src_stride = c->dreg[TESSERA_DMA_SRC_STRIDE_OFFSET / 4];
  d.dst_stride = c->dreg[TESSERA_DMA_DST_STRIDE_OFFSET / 4];
  d.ctrl = c->dreg[TESSERA_DMA_CTRL_OFFSET / 4];
  d.queued = now;
  if (c->qn == DMA_QUEUE) {
    dma_error(c, 1);
    return;
  }
  uint32_t code = dma_check(&d);
  if (code) {
    dma_error(c, code);
    return;
  }
  account(c, now);
  struct dma_desc *slot = &c->q[(c->qhead + c->qn) % DMA_QUEUE];
  *slot = d;
  c->qn++;
  if (c->qn == 1) dma_begin(c, slot, now);
}

static int dma_read(tchip *c, uint32_t off, uint32_t *v) {
  if (off <= TESSERA_DMA_CTRL_OFFSET) return *v = c->dreg[off / 4], 0;
  switch (off) {
  case TESSERA_DMA_STATUS_OFFSET:
    *v = (c->qn ? TESSERA_DMA_STATUS_BUSY_MASK : 0u) |
         ((c->qn << TESSERA_DMA_STATUS_QUEUED_SHIFT) & TESSERA_DMA_STATUS_QUEUED_MASK) |
         (c->dma_error ? TESSERA_DMA_STATUS_ERROR_MASK : 0u) |
         ((c->dma_code << TESSERA_DMA_STATUS_CODE_SHIFT) & TESSERA_DMA_STATUS_CODE_MASK);
    return 0;
  case TESSERA_DMA_DONE_OFFSET: *v = c->dma_done; return 0;
  case TESSERA_DMA_DRAM_BYTES_LO_OFFSET:
    *v = (uint32_t)c->dma_dram_bytes;
    c->dma_latch = (uint32_t)(c->dma_dram_bytes >> 32);
    return 0;
  case TESSERA_DMA_DRAM_BYTES_HI_OFFSET: *v = c->dma_latch; return 0;
  case TESSERA_DMA_START_OFFSET: set_err(c, "read of write-only dma.start"); return -1;
  case TESSERA_DMA_CLEAR_OFFSET: set_err(c, "read of write-only dma.clear"); return -1;
  default: set_err(c, "no dma register at offset 0x%03" PRIx32, off); return -1;
  }
}

static int dma_write(tchip *c, uint32_t off, uint32_t v, uint64_t now) {
  if (off <= TESSERA_DMA_CTRL_OFFSET) return c->dreg[off / 4] = v, 0;
  switch (off) {
  case TESSERA_DMA_START_OFFSET:
    if (v & TESSERA_DMA_START_GO_MASK) dma_start(c, now);
    return 0;
  case TESSERA_DMA_CLEAR_OFFSET:
    if (v & TESSERA_DMA_CLEAR_GO_MASK) c->dma_error = 0, c->dma_code = 0;
    return 0;
  case TESSERA_DMA_STATUS_OFFSET: case TESSERA_DMA_DONE_OFFSET: case TESSERA_DMA_DRAM_BYTES_LO_OFFSET:
  case TESSERA_DMA_DRAM_BYTES_HI_OFFSET:
    set_err(c, "write to read-only dma register at offset 0x%03" PRIx32, off);
    return -1;
  default: set_err(c, "no dma register at offset 0x%03" PRIx32, off); return -1;
  }
}

static uint32_t hostif_mask(uint32_t off) {
  switch (off) {
  case TESSERA_HOSTIF_FW_STATE_OFFSET: return TESSERA_HOSTIF_FW_STATE_STATE_MASK;
  case TESSERA_HOSTIF_IRQ_OFFSET: return TESSERA_HOSTIF_IRQ_PENDING_MASK;
  default: return 0xffffffffu;
  }
}

static int hostif_ok(tchip *c, uint32_t off) {
  if (off % 4u == 0 && off / 4u < HOSTIF_REGS) return 1;
  set_err(c, "no hostif register at offset 0x%03" PRIx32, off);
  return 0;
}

/* ---- the controller's bus ------------------------------------------------------------------------ */

/* One access of `size` bytes at addr, at cycle now. *extra: cycles beyond the access's first. */
static int dev_read(tchip *c, uint32_t addr, uint32_t size, uint32_t *v, uint32_t *extra, uint64_t now) {
  process(c, now);
  if (addr - TESSERA_DRAM_BASE < TESSERA_DRAM_SIZE) {
    uint8_t b[4] = {0, 0, 0, 0};
    if (tsim_dram_read(c->dram, addr - TESSERA_DRAM_BASE, b, size) != TSIM_DRAM_OK) {
      set_err(c, "dram window access beyond the DRAM at 0x%08" PRIx32, addr);
      return -1;
    }
    *v = size == 4 ? ld32(b) : size == 2 ? ld16(b) : b[0];
    *extra = TESSERA_CFG_DRAM_LATENCY;
    c->ctr.window_bytes += size;
    return 0;
  }
  if (size != 4 || (addr & 3u)) {
    set_err(c, "%" PRIu32 "-byte access to a register at 0x%08" PRIx32 " (registers are 32-bit)", size, addr);
    return -1;
  }
  if (addr - TESSERA_HOSTIF_BASE < TESSERA_HOSTIF_SIZE) {
    uint32_t off = addr - TESSERA_HOSTIF_BASE;
    if (!hostif_ok(c, off)) return -1;
    *v = c->hif[off / 4];
    return 0;
  }
  if (addr - TESSERA_DMA_BASE < TESSERA_DMA_SIZE) return dma_read(c, addr - TESSERA_DMA_BASE, v);
  if (addr - TESSERA_TILE_BASE < (uint32_t)T * TESSERA_TILE_STRIDE) {
    uint32_t i = (addr - TESSERA_TILE_BASE) / TESSERA_TILE_STRIDE;
    return tile_read(c, i, addr - TESSERA_TILE_ADDR(i), v, now);
  }
  set_err(c, "no device at 0x%08" PRIx32, addr);
  return -1;
}

static int dev_write(tchip *c, uint32_t addr, uint32_t size, uint32_t v, uint32_t *extra, uint64_t now, int *event) {
  process(c, now);
  if (addr - TESSERA_DRAM_BASE < TESSERA_DRAM_SIZE) {
    uint8_t b[4];
    st32(b, v);
    if (tsim_dram_write(c->dram, addr - TESSERA_DRAM_BASE, b, size) != TSIM_DRAM_OK) {
      set_err(c, "dram window access beyond the DRAM at 0x%08" PRIx32, addr);
      return -1;
    }
    *extra = TESSERA_CFG_DRAM_LATENCY;
    c->ctr.window_bytes += size;
    return 0;
  }
  if (size != 4 || (addr & 3u)) {
    set_err(c, "%" PRIu32 "-byte access to a register at 0x%08" PRIx32 " (registers are 32-bit)", size, addr);
    return -1;
  }
  if (addr - TESSERA_HOSTIF_BASE < TESSERA_HOSTIF_SIZE) {
    uint32_t off = addr - TESSERA_HOSTIF_BASE;
    if (!hostif_ok(c, off)) return -1;
    uint32_t nv = v & hostif_mask(off);
    if ((off == TESSERA_HOSTIF_IRQ_OFFSET && (nv & TESSERA_HOSTIF_IRQ_PENDING_MASK)) ||
        (off == TESSERA_HOSTIF_FW_STATE_OFFSET && nv != c->hif[off / 4]))
      *event = 1;
    c->hif[off / 4] = nv;
    return 0;
  }
  if (addr - TESSERA_DMA_BASE < TESSERA_DMA_SIZE) return dma_write(c, addr - TESSERA_DMA_BASE, v, now);
  if (addr - TESSERA_TILE_BASE < (uint32_t)T * TESSERA_TILE_STRIDE) {
    uint32_t i = (addr - TESSERA_TILE_BASE) / TESSERA_TILE_STRIDE;
    return tile_write(c, i, addr - TESSERA_TILE_ADDR(i), v, now);
  }
  set_err(c, "no device at 0x%08" PRIx32, addr);
  return -1;
}

static int iss_bus_read(void *ctx, uint32_t addr, uint32_t size, uint32_t *v, uint32_t *extra) {
  tchip *c = ctx;
  return dev_read(c, addr, size, v, extra, tiss_cycles(c->iss));
}

static int iss_bus_write(void *ctx, uint32_t addr, uint32_t size, uint32_t v, uint32_t *extra) {
  tchip *c = ctx;
  int event = 0;
  int rc = dev_write(c, addr, size, v, extra, tiss_cycles(c->iss), &event);
  if (event) {
    c->event = 1;
    tiss_request_stop(c->iss);
  }
  return rc;
}

/* ---- public API ---------------------------------------------------------------------------------- */

tchip *tchip_new(void) {
  tchip *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->iss = tiss_new();
  if (!c->iss || tsim_dram_open(&c->dram, 0, 0, 0) != TSIM_DRAM_OK) goto fail;
  for (unsigned i = 0; i < T; i++) {
    c->tile[i] = calloc(1, sizeof *c->tile[i]);
    c->shadow[i] = calloc(1, sizeof *c->shadow[i]);
    c->pre[i] = calloc(1, sizeof *c->pre[i]);
    if (!c->tile[i] || !c->shadow[i] || !c->pre[i]) goto fail;
  }
  tiss_set_bus(c->iss, iss_bus_read, iss_bus_write, c);
  tchip_reset(c);
  return c;
fail:
  tchip_free(c);
  return NULL;
}

void tchip_free(tchip *c) {
  if (!c) return;
  for (unsigned i = 0; i < DMA_QUEUE; i++) free(c->q[i].idx);
  for (unsigned i = 0; i < T; i++) free(c->tile[i]), free(c->shadow[i]), free(c->pre[i]);
  for (unsigned i = 0; i + 1 < T; i++) link_clear(&c->link[i]);
  tiss_free(c->iss);
  tsim_dram_close(c->dram);
  ttl_free(&c->tl);
  free(c);
}

void tchip_reset(tchip *c) {
  tiss_reset(c->iss);
  for (unsigned i = 0; i < DMA_QUEUE; i++) free(c->q[i].idx);
  memset(c->q, 0, sizeof c->q);
  c->qhead = c->qn = 0;
  memset(c->dreg, 0, sizeof c->dreg);
  c->dma_error = c->dma_code = c->dma_done = c->dma_latch = 0;
  c->dma_dram_bytes = 0;
  memset(c->hif, 0, sizeof c->hif);
  for (unsigned i = 0; i < T; i++) memset(&c->tc[i], 0, sizeof c->tc[i]);
  for (unsigned i = 0; i + 1 < T; i++) link_clear(&c->link[i]);
  c->event = 0;
  c->acct_t = 0;
  c->err[0] = 0;
  tchip_counters_reset(c);
}

const char *tchip_error(const tchip *c) { return c->err; }
tiss *tchip_iss(tchip *c) { return c->iss; }
uint64_t tchip_now(tchip *c) { return tiss_cycles(c->iss); }
uint32_t tchip_exit_code(const tchip *c) { return tiss_exit_code(c->iss); }
size_t tchip_console(tchip *c, char *buf, size_t cap) { return tiss_console(c->iss, buf, cap); }

void tchip_advance(tchip *c, uint64_t cycles) {
  uint64_t now = tiss_cycles(c->iss);
  tiss_set_cycles(c->iss, now + cycles);
}

/* Firmware-less accesses: DMEM and IMEM directly, the devices through the bus; each costs 1 cycle
 * (a window access 1 + dram_latency). */
int tchip_bus_read(tchip *c, uint32_t addr, uint32_t *v) {
  uint64_t now = tiss_cycles(c->iss);
  uint32_t extra = 0;
  if (addr & 3u) {
    set_err(c, "misaligned bus read at 0x%08" PRIx32, addr);
    return -1;
  }
  if (addr - TESSERA_DMEM_BASE < TESSERA_DMEM_SIZE || addr - TESSERA_IMEM_BASE < TESSERA_IMEM_SIZE) {
    uint8_t b[4];
    (void)tiss_read_mem(c->iss, addr, b, 4);
    *v = ld32(b);
  } else if (dev_read(c, addr, 4, v, &extra, now)) {
    return -1;
  }
  tiss_set_cycles(c->iss, now + 1u + extra);
  return 0;
}

int tchip_bus_write(tchip *c, uint32_t addr, uint32_t v) {
  uint64_t now = tiss_cycles(c->iss);
  uint32_t extra = 0;
  int event = 0;
  if (addr & 3u) {
    set_err(c, "misaligned bus write at 0x%08" PRIx32, addr);
    return -1;
  }
  if (addr - TESSERA_DMEM_BASE < TESSERA_DMEM_SIZE) {
    uint8_t b[4];
    st32(b, v);
    (void)tiss_write_mem(c->iss, addr, b, 4);
  } else if (dev_write(c, addr, 4, v, &extra, now, &event)) {
    return -1;
  }
  tiss_set_cycles(c->iss, now + 1u + extra);
  return 0;
}

static int elf_write(void *ctx, uint32_t addr, const void *src, size_t n) {
  return tiss_write_mem((tiss *)ctx, addr, src, n);
}

enum tchip_status tchip_load_elf(tchip *c, const char *path) {
  uint32_t entry = 0;
  char msg[200];
  if (!path) {
    set_err(c, "no firmware path");
    return TCHIP_E_ARG;
  }
  if (tsim_elf_load(path, elf_write, c->iss, &entry, msg, sizeof msg)) {
    set_err(c, "%s", msg);
    return TCHIP_E_ELF;
  }
  tchip_reset(c);
  tiss_set_pc(c->iss, entry);
  return TCHIP_OK;
}

enum tchip_run_result tchip_run(tchip *c, uint64_t max_cycles) {
  uint64_t now = tiss_cycles(c->iss);
  uint64_t limit = max_cycles > UINT64_MAX - now ? UINT64_MAX : now + max_cycles;
  c->event = 0;
  c->err[0] = 0; /* a fault below names its own cause */
  tiss_resume(c->iss);
  tiss_state st = tiss_run(c->iss, limit);
  process(c, tiss_cycles(c->iss));
  switch (st) {
  case TISS_EXITED: return TCHIP_RUN_EXIT;
  case TISS_FAULT:
    if (c->err[0]) {
      char dev[sizeof c->err];
      memcpy(dev, c->err, sizeof dev);
      set_err(c, "%s: %s", tiss_error(c->iss), dev);
    } else {
      set_err(c, "%s", tiss_error(c->iss));
    }
    return TCHIP_RUN_FAULT;
  case TISS_MAX_CYCLES: return TCHIP_RUN_LIMIT;
  default: return c->event ? TCHIP_RUN_EVENT : TCHIP_RUN_LIMIT;
  }
}

enum tchip_status tchip_dram_read(tchip *c, uint64_t addr, void *dst, uint64_t len) {
  process(c, tiss_cycles(c->iss));
  if (tsim_dram_read(c->dram, addr, dst, len) != TSIM_DRAM_OK) {
    set_err(c, "DRAM read of %" PRIu64 " bytes at 0x%" PRIx64 " outside the DRAM", len, addr);
    return TCHIP_E_RANGE;
  }
  return TCHIP_OK;
}

enum tchip_status tchip_dram_write(tchip *c, uint64_t addr, const void *src, uint64_t len) {
  process(c, tiss_cycles(c->iss));
  if (tsim_dram_write(c->dram, addr, src, len) != TSIM_DRAM_OK) {
    set_err(c, "DRAM write of %" PRIu64 " bytes at 0x%" PRIx64 " outside the DRAM", len, addr);
    return TCHIP_E_RANGE;
  }
  return TCHIP_OK;
}

enum tchip_status tchip_hostif_read(tchip *c, uint32_t off, uint32_t *v) {
  process(c, tiss_cycles(c->iss));
  if (!v || !hostif_ok(c, off)) return TCHIP_E_ARG;
  *v = c->hif[off / 4];
  return TCHIP_OK;
}

enum tchip_status tchip_hostif_write(tchip *c, uint32_t off, uint32_t v) {
  process(c, tiss_cycles(c->iss));
  if (!hostif_ok(c, off)) return TCHIP_E_ARG;
  c->hif[off / 4] = v & hostif_mask(off);
  return TCHIP_OK;
}

struct ttile_state *tchip_tile(tchip *c, unsigned tile) {
  if (tile >= T) return NULL;
  process(c, tiss_cycles(c->iss));
  return c->tile[tile];
}

void tchip_counters(tchip *c, struct tchip_counters *out) {
  process(c, tiss_cycles(c->iss));
  *out = c->ctr;
  out->cycles = tiss_cycles(c->iss) - c->cyc0;
  out->ctrl_instret = tiss_instret(c->iss) - c->instret0;
  out->dram_bytes = c->ctr.dma_dram_bytes + c->ctr.window_bytes;
  out->tiles = T;
  for (unsigned i = 0; i < T; i++) out->tile[i] = c->tc[i].tot;
}

void tchip_counters_reset(tchip *c) {
  process(c, tiss_cycles(c->iss));
  memset(&c->ctr, 0, sizeof c->ctr);
  for (unsigned i = 0; i < T; i++) memset(&c->tc[i].tot, 0, sizeof c->tc[i].tot);
  c->cyc0 = tiss_cycles(c->iss);
  c->instret0 = tiss_instret(c->iss);
}

enum tchip_status tchip_timeline(tchip *c, int on) {
  ttl_record(&c->tl, on);
  return TCHIP_OK;
}

size_t tchip_timeline_spans(const tchip *c) { return c->tl.n; }

void tchip_timeline_mark(tchip *c, const char *name, uint64_t start, uint64_t end) { ttl_mark(&c->tl, name, start, end); }

enum tchip_status tchip_timeline_write(tchip *c, const char *path) {
  process(c, tiss_cycles(c->iss));
  if (ttl_write(&c->tl, path, T) != 0) {
    set_err(c, "cannot write the timeline to %s", path ? path : "(null)");
    return TCHIP_E_ARG;
  }
  return TCHIP_OK;
}
