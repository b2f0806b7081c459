/* The firmware scheduler (firmware/sched/sched.c, docs/firmware.md "The scheduler") run natively
 * against the chip cmodel (sim/chip/, firmware-less mode) through a recording port.
 *
 * The port forwards every bus access to tchip and checks, at each DMA start and tile start:
 *  - every DRAM byte a DMA reads lies inside a tensor the command names, every byte it writes
 *    inside a tensor an op of the command writes;
 *  - no DMA touches the bank words, weight buffer or gradient buffer a running tile uses, and no
 *    tile starts while a queued DMA still has to write the words it reads (double buffering);
 *  - the DMA queue never overflows and no start is refused.
 * Results are compared bit for bit with the functional models (ttile_fn_*, tvec_*); fused commands
 * give the same bits as the same command run op by op, with fewer DRAM bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tchip.h"
#include "tessera/gen/map.h"
#include "tessera/numerics.h"
#include "tessera/proto.h"
#include "tessera/sparse.h"
#include "tfw_sched.h"
#include "tfw_validate.h"
#include "ttile.h"
#include "ttile_fn.h"
#include "tvec_fn.h"

#define T TESSERA_CFG_TILES
#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define S TESSERA_CFG_SUB_BANKS
#define BANK TESSERA_CFG_LANE_BANK_WORDS
#define SB TPROTO_STREAM_GROUP_BYTES(P)
#define OFF(field) ((uint16_t)offsetof(struct tproto_cmd, field))

_Static_assert(TPROTO_STREAM_FIRST == TSP_FIRST && TPROTO_STREAM_LAST == TSP_LAST, "stream flags agree");

/* --- Random data ------------------------------------------------------------------------------- */
static uint64_t rng;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static uint32_t f32(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
/* A value in about [-2, 2), a multiple of 2^-12 (well inside every kernel's range). */
static uint32_t rval(void) { return f32((float)((int32_t)(rnd() % 16384u) - 8192) / 4096.0f); }

/* --- The recording port over tchip ----------------------------------------------------------- */
struct range {
  uint64_t lo, hi; /* [lo, hi) */
  int writable;
};

struct tdesc {
  struct ttile_desc d;
  int valid;
};

struct dmarec {
  uint32_t reg[12]; /* src lo/hi, dst lo/hi, aux lo/hi, rows, row_bytes, sstride, dstride, ctrl */
};

static struct {
  tchip *chip;
  uint32_t dma_reg[12];
  uint32_t tile_reg[T][24];
  struct tdesc running[T]; /* the last descriptor started on each tile */
  struct dmarec *dmas;     /* every DMA started, in order */
  uint32_t ndma, cap, done_base;
  uint32_t tile_starts[T], tile_done_base[T];
  struct range ranges[2 * TPROTO_MAX_TENSORS];
  uint32_t nranges;
  int check_ranges;
  uint32_t violations;
  char first[256];
  uint32_t overlapped_loads; /* DMAs into a tile's bank (other words) issued while it ran, or
                              * still queued when a run started */
  int started[T];           /* a run started whose completion the scheduler has not read yet */
} pt;

static void violation(const char *fmt, ...) {
  va_list ap;
  pt.violations++;
  if (pt.violations > 1) return;
  va_start(ap, fmt);
  vsnprintf(pt.first, sizeof pt.first, fmt, ap);
  va_end(ap);
}

static uint32_t bus_rd(uint32_t addr) {
  uint32_t v = 0;
  if (tchip_bus_read(pt.chip, addr, &v) != 0) violation("bus read 0x%08x: %s", addr, tchip_error(pt.chip));
  return v;
}

/* The bank words of one region a run uses: [lo, hi) region offsets; linear kernels the whole region. */
static void run_span(const struct ttile_desc *d, uint32_t *lo, uint32_t *hi) {
  uint32_t code = d->kernel & TESSERA_TILE_KERNEL_CODE_MASK, c = d->cols;
  uint32_t offs[5], lens[5], n = 0;
  if (code <= TESSERA_TILE_KERNEL_BWD_WEIGHT) {
    *lo = 0, *hi = d->kn;
    return;
  }
  offs[n] = d->off_a, lens[n++] = c;
  switch (code) {
  case TESSERA_TILE_KERNEL_GELU_FWD: case TESSERA_TILE_KERNEL_SOFTMAX_FWD: offs[n] = d->off_b, lens[n++] = c; break;
  case TESSERA_TILE_KERNEL_LAYERNORM_FWD: offs[n] = d->off_b, lens[n++] = c, offs[n] = d->off_c, lens[n++] = 2; break;
  case TESSERA_TILE_KERNEL_XENT_FWD: offs[n] = d->off_c, lens[n++] = 1, offs[n] = d->off_d, lens[n++] = 1; break;
  case TESSERA_TILE_KERNEL_XENT_BWD: offs[n] = d->off_b, lens[n++] = c, offs[n] = d->off_c, lens[n++] = 1; break;
  case TESSERA_TILE_KERNEL_ADAMW:
    offs[n] = d->off_b, lens[n++] = c, offs[n] = d->off_c, lens[n++] = c, offs[n] = d->off_d, lens[n++] = c;
    offs[n] = d->param, lens[n++] = c;
    break;
  default: offs[n] = d->off_b, lens[n++] = c, offs[n] = d->off_c, lens[n++] = c; break;
  }
  *lo = UINT32_MAX, *hi = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (offs[i] < *lo) *lo = offs[i];
    if (offs[i] + lens[i] > *hi) *hi = offs[i] + lens[i];
  }
}

/* Whether bank words [w0, w0 + n) of lane `lane` meet what run d uses. */
static int bank_meets(const struct ttile_desc *d, uint32_t lane, uint32_t w0, uint32_t n) {
  uint32_t lo, hi;
  uint32_t code = d->kernel & TESSERA_TILE_KERNEL_CODE_MASK;
  run_span(d, &lo, &hi);
  uint32_t tpl = d->tpl, rows_here = d->ntok / L + (lane < d->ntok % L ? 1u : 0u);
  (void)tpl;
  for (uint32_t w = w0; w < w0 + n; w++) {
    uint32_t e = w / d->kn, o = w % d->kn;
    if (e < rows_here && o >= lo && o < hi) return 1;
    /* broadcast parameters (bias; gamma, beta) */
    if (((code == TESSERA_TILE_KERNEL_FWD && (d->kernel & TESSERA_TILE_KERNEL_EPI_BIAS_MASK)) ||
         code == TESSERA_TILE_KERNEL_LAYERNORM_FWD) &&
        w >= d->param && w < d->param + (code == TESSERA_TILE_KERNEL_FWD ? d->kn - d->k : 2u * d->cols))
      return 1;
  }
  return 0;
}

static int in_ranges(uint64_t lo, uint64_t len, int write) {
  for (uint32_t i = 0; i < pt.nranges; i++)
    if (lo >= pt.ranges[i].lo && len <= pt.ranges[i].hi - lo && lo <= pt.ranges[i].hi && (!write || pt.ranges[i].writable))
      return 1;
  return 0;
}

/* Bank rows a DMA touches on the bank side (src or dst). Calls f(lane, word, words) per row. */
static int dma_bank_meets(const struct dmarec *r, int dst, const struct ttile_desc *d) {
  uint32_t ctrl = r->reg[10], rows = r->reg[6], rb = r->reg[7];
  uint32_t a = dst ? r->reg[2] : r->reg[0], stride = dst ? r->reg[9] : r->reg[8];
  uint32_t lane0 = (ctrl & TESSERA_DMA_CTRL_LANE0_MASK) >> TESSERA_DMA_CTRL_LANE0_SHIFT;
  uint32_t words = rb / 4u;
  if (dst && (ctrl & TESSERA_DMA_CTRL_PACK16_MASK)) words = rb / 8u;
  if (dst && (ctrl & TESSERA_DMA_CTRL_BROADCAST_MASK)) {
    for (uint32_t row = 0; row < rows; row++)
      for (uint32_t l = 0; l < L; l++)
        if (bank_meets(d, l, a + row * stride / 4u, words)) return 1;
    return 0;
  }
  for (uint32_t row = 0; row < rows; row++) {
    uint32_t l = (lane0 + row) % L, q = (lane0 + row) / L;
    if (bank_meets(d, l, a + q * stride / 4u, words)) return 1;
  }
  return 0;
}

static int tile_busy(uint32_t t) {
  return (bus_rd(TESSERA_TILE_ADDR(t) + TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_BUSY_MASK) != 0;
}

static void check_dma(const struct dmarec *r) {
  uint32_t ctrl = r->reg[10], rows = r->reg[6], rb = r->reg[7];
  uint32_t sk = (ctrl & TESSERA_DMA_CTRL_SRC_KIND_MASK) >> TESSERA_DMA_CTRL_SRC_KIND_SHIFT;
  uint32_t dk = (ctrl & TESSERA_DMA_CTRL_DST_KIND_MASK) >> TESSERA_DMA_CTRL_DST_KIND_SHIFT;
  uint32_t mode = (ctrl & TESSERA_DMA_CTRL_MODE_MASK) >> TESSERA_DMA_CTRL_MODE_SHIFT;
  uint32_t stile = (ctrl & TESSERA_DMA_CTRL_SRC_TILE_MASK) >> TESSERA_DMA_CTRL_SRC_TILE_SHIFT;
  uint32_t dtile = (ctrl & TESSERA_DMA_CTRL_DST_TILE_MASK) >> TESSERA_DMA_CTRL_DST_TILE_SHIFT;
  uint64_t src = (uint64_t)r->reg[1] << 32 | r->reg[0], dst = (uint64_t)r->reg[3] << 32 | r->reg[2];
  uint64_t aux = (uint64_t)r->reg[5] << 32 | r->reg[4];
  /* Queue: at most 4 queued or running. */
  if (pt.ndma - (bus_rd(TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET) - pt.done_base) >= 4u)
    violation("DMA %u started with the queue full", pt.ndma);
  if (pt.check_ranges) {
    if (mode == TESSERA_DMA_MODE_WLOAD) {
      if (!in_ranges(src, (uint64_t)rows * SB, 0) || !in_ranges(aux, (uint64_t)rows * 2u * P, 0))
        violation("DMA %u: weight load outside the stream or weights", pt.ndma);
    } else {
      uint32_t sb = (ctrl & TESSERA_DMA_CTRL_UNPACK16_MASK) ? rb / 2u : rb;
      uint32_t db = (ctrl & TESSERA_DMA_CTRL_PACK16_MASK) ? rb / 2u : rb;
      for (uint32_t row = 0; row < rows; row++) {
        if (sk == TESSERA_DMA_KIND_DRAM && !in_ranges(src + (uint64_t)row * r->reg[8], sb, 0))
          violation("DMA %u row %u: DRAM read 0x%llx+%u outside the command's tensors", pt.ndma, row,
                    (unsigned long long)(src + (uint64_t)row * r->reg[8]), sb);
        if (dk == TESSERA_DMA_KIND_DRAM && !in_ranges(dst + (uint64_t)row * r->reg[9], db, 1))
          violation("DMA %u row %u: DRAM write 0x%llx+%u outside the command's outputs", pt.ndma, row,
                    (unsigned long long)(dst + (uint64_t)row * r->reg[9]), db);
      }
    }
  }
  /* A running tile's words are left alone. */
  for (uint32_t t = 0; t < T; t++) {
    int src_here = sk >= TESSERA_DMA_KIND_BANK && stile == t, dst_here = dk >= TESSERA_DMA_KIND_BANK && dtile == t;
    /* Running: by the chip's status, or as far as the scheduler can know (it has not read the
     * done count since the start; this does not depend on how fast the tile is). */
    if (!(src_here || dst_here) || !pt.running[t].valid || !(pt.started[t] || tile_busy(t))) continue;
    const struct ttile_desc *d = &pt.running[t].d;
    if (dk == TESSERA_DMA_KIND_WBUF || dk == TESSERA_DMA_KIND_GBUF || sk == TESSERA_DMA_KIND_GBUF) {
      violation("DMA %u touches tile %u's weight or gradient buffer while it runs", pt.ndma, t);
      continue;
    }
    if ((dst_here && dma_bank_meets(r, 1, d)) || (src_here && dma_bank_meets(r, 0, d)))
      violation("DMA %u touches bank words tile %u's running kernel %u uses", pt.ndma, t, d->kernel & 31u);
    else if (dst_here)
      pt.overlapped_loads++;
  }
}

static void check_tile_start(uint32_t t, const struct ttile_desc *d) {
  uint32_t done = bus_rd(TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET) - pt.done_base;
  if (tile_busy(t)) violation("tile %u started while busy", t);
  for (uint32_t i = done; i < pt.ndma; i++) {
    const struct dmarec *r = &pt.dmas[i];
    uint32_t ctrl = r->reg[10];
    uint32_t dk = (ctrl & TESSERA_DMA_CTRL_DST_KIND_MASK) >> TESSERA_DMA_CTRL_DST_KIND_SHIFT;
    uint32_t sk = (ctrl & TESSERA_DMA_CTRL_SRC_KIND_MASK) >> TESSERA_DMA_CTRL_SRC_KIND_SHIFT;
    uint32_t dtile = (ctrl & TESSERA_DMA_CTRL_DST_TILE_MASK) >> TESSERA_DMA_CTRL_DST_TILE_SHIFT;
    uint32_t stile = (ctrl & TESSERA_DMA_CTRL_SRC_TILE_MASK) >> TESSERA_DMA_CTRL_SRC_TILE_SHIFT;
    if (dk >= TESSERA_DMA_KIND_BANK && dtile == t &&
        (dk != TESSERA_DMA_KIND_BANK || dma_bank_meets(r, 1, d)))
      violation("tile %u started before queued DMA %u into its operands finished", t, i);
    else if (dk == TESSERA_DMA_KIND_BANK && dtile == t)
      pt.overlapped_loads++; /* still loading the tile's other buffer as the run starts */
    if (sk == TESSERA_DMA_KIND_GBUF && stile == t) violation("tile %u started before DMA %u read its gradients", t, i);
  }
}

static int p_read(void *ctx, uint64_t addr, void *buf, uint32_t len) {
  (void)ctx;
  if (pt.check_ranges && !in_ranges(addr, len, 0)) violation("port read 0x%llx+%u outside the tensors", (unsigned long long)addr, len);
  return tchip_dram_read(pt.chip, addr, buf, len) == TCHIP_OK ? 0 : -1;
}
static int p_write(void *ctx, uint64_t addr, const void *buf, uint32_t len) {
  (void)ctx;
  violation("the scheduler wrote DRAM through the port");
  return tchip_dram_write(pt.chip, addr, buf, len) == TCHIP_OK ? 0 : -1;
}
static uint64_t p_cycles(void *ctx) {
  (void)ctx;
  return tchip_now(pt.chip);
}
static uint32_t p_reg_read(void *ctx, uint32_t addr) {
  (void)ctx;
  uint32_t v = bus_rd(addr);
  for (uint32_t t = 0; t < T; t++) {
    if (addr == TESSERA_TILE_ADDR(t) + TESSERA_TILE_DONE_OFFSET && v - pt.tile_done_base[t] == pt.tile_starts[t])
      pt.started[t] = 0;
    if (addr == TESSERA_TILE_ADDR(t) + TESSERA_TILE_STATUS_OFFSET && (v & TESSERA_TILE_STATUS_ERROR_MASK) && pt.started[t]) {
      pt.started[t] = 0;
      pt.tile_starts[t]--; /* refused: not counted in done */
    }
  }
  return v;
}
static void p_reg_write(void *ctx, uint32_t addr, uint32_t v) {
  (void)ctx;
  if (addr >= TESSERA_DMA_BASE && addr < TESSERA_DMA_BASE + TESSERA_DMA_START_OFFSET) {
    pt.dma_reg[(addr - TESSERA_DMA_BASE) / 4u] = v;
  } else if (addr == TESSERA_DMA_BASE + TESSERA_DMA_START_OFFSET) {
    struct dmarec r;
    memcpy(r.reg, pt.dma_reg, sizeof r.reg);
    check_dma(&r);
    if (pt.ndma == pt.cap) {
      pt.cap = pt.cap ? 2 * pt.cap : 1024;
      pt.dmas = realloc(pt.dmas, sizeof *pt.dmas * pt.cap);
      assert_non_null(pt.dmas);
    }
    pt.dmas[pt.ndma++] = r;
  } else if (addr >= TESSERA_TILE_BASE && addr < TESSERA_TILE_ADDR(T)) {
    uint32_t t = (addr - TESSERA_TILE_BASE) / TESSERA_TILE_STRIDE, off = (addr - TESSERA_TILE_BASE) % TESSERA_TILE_STRIDE;
    if (off < TESSERA_TILE_START_OFFSET) pt.tile_reg[t][off / 4u] = v;
    if (off == TESSERA_TILE_START_OFFSET) {
      struct ttile_desc d;
      const uint32_t *g = pt.tile_reg[t];
      d.kernel = g[0], d.k = g[1], d.kn = g[2], d.ntok = g[3], d.tpl = g[4], d.ngroups = g[5];
      d.off_a = g[6], d.off_b = g[7], d.off_c = g[8], d.off_d = g[9], d.cols = g[10], d.param = g[11], d.row0 = g[12];
      for (int i = 0; i < 8; i++) d.s[i] = g[16 + i];
      check_tile_start(t, &d);
      pt.running[t].d = d;
      pt.running[t].valid = 1;
      pt.tile_starts[t]++;
      pt.started[t] = 1;
    }
  }
  if (tchip_bus_write(pt.chip, addr, v) != 0) violation("bus write 0x%08x: %s", addr, tchip_error(pt.chip));
}

static const struct tfw_port port = {NULL, p_read, p_write, p_cycles, NULL, NULL, p_reg_read, p_reg_write};
static struct tfw_sched sched;

#define ZERO_DMEM (TESSERA_CFG_DMEM_BYTES - TFW_SCHED_ZERO_BYTES)

static void chip_up(void) {
  if (pt.chip) tchip_free(pt.chip);
  free(pt.dmas);
  memset(&pt, 0, sizeof pt);
  pt.chip = tchip_new();
  assert_non_null(pt.chip);
  tfw_sched_init(&sched, &port, ZERO_DMEM);
  pt.done_base = bus_rd(TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET);
  for (uint32_t t = 0; t < T; t++) pt.tile_done_base[t] = bus_rd(TESSERA_TILE_ADDR(t) + TESSERA_TILE_DONE_OFFSET);
}

static int chip_setup(void **state) {
  (void)state;
  chip_up();
  return 0;
}
static int chip_teardown(void **state) {
  (void)state;
  tchip_free(pt.chip);
  free(pt.dmas);
  memset(&pt, 0, sizeof pt);
  return 0;
}

/* --- Commands ---------------------------------------------------------------------------------- */
#define ABASE 0x100000ull
#define ASIZE (TESSERA_CFG_DRAM_BYTES / 2u)
static struct tfw_alloc_table allocs;
static uint64_t bump;

static void cmd_init(struct tproto_cmd *c) {
  memset(c, 0, sizeof *c);
  c->magic = TPROTO_MAGIC;
  c->version_major = TPROTO_VERSION_MAJOR;
  c->version_minor = TPROTO_VERSION_MINOR;
  c->cmd_bytes = sizeof *c;
  c->seq = 1;
  c->group = 7;
  allocs.count = 1;
  allocs.entry[0] = (struct tfw_alloc){ABASE, ASIZE};
  bump = ABASE;
}

static uint8_t tensor(struct tproto_cmd *c, uint8_t dt, uint32_t d0, uint32_t d1) {
  uint8_t t = c->n_tensors++;
  struct tproto_tensor *x = &c->tensor[t];
  x->dtype = dt;
  x->rank = d1 ? 2 : 1;
  x->shape[0] = d0;
  x->stride[0] = d1 ? d1 : 1;
  if (d1) x->shape[1] = d1, x->stride[1] = 1;
  x->alloc_id = 0;
  x->alloc_base = ABASE;
  x->alloc_size = ASIZE;
  x->addr = bump;
  bump += ((uint64_t)d0 * (d1 ? d1 : 1) * tproto_dtype_bytes(dt) + 255u) & ~255ull;
  assert_true(bump <= ABASE + ASIZE);
  return t;
}

static uint8_t op(struct tproto_cmd *c, uint16_t opcode, uint16_t flags, int n, ...) {
  uint8_t o = c->n_ops++;
  va_list ap;
  c->op[o].opcode = opcode;
  c->op[o].flags = flags;
  c->op[o].n_operands = (uint8_t)n;
  va_start(ap, n);
  for (int i = 0; i < n; i++) c->op[o].operand[i] = (uint8_t)va_arg(ap, int);
  va_end(ap);
  return o;
}

static void put(const struct tproto_cmd *c, uint8_t t, const void *data, size_t bytes) {
  assert_int_equal(tchip_dram_write(pt.chip, c->tensor[t].addr, data, bytes), TCHIP_OK);
}
static void get(const struct tproto_cmd *c, uint8_t t, void *data, size_t bytes) {
  assert_int_equal(tchip_dram_read(pt.chip, c->tensor[t].addr, data, bytes), TCHIP_OK);
}

/* Random fp32 tensor data, written to the device; returns the host copy (caller frees). */
static uint32_t *fill(const struct tproto_cmd *c, uint8_t t, size_t count) {
  uint32_t *v = malloc(4 * count + 4);
  for (size_t i = 0; i < count; i++) v[i] = rval();
  put(c, t, v, 4 * count);
  return v;
}
/* Random bf16 tensor data: the device gets the 16-bit values, the host copy their fp32 words. */
static uint32_t *fill_bf16(const struct tproto_cmd *c, uint8_t t, size_t count) {
  uint32_t *v = malloc(4 * count + 4);
  uint16_t *h = malloc(2 * count + 2);
  for (size_t i = 0; i < count; i++) h[i] = (uint16_t)(rval() >> 16), v[i] = (uint32_t)h[i] << 16;
  put(c, t, h, 2 * count);
  free(h);
  return v;
}

/* The ranges the command may touch: every tensor's bytes; writable those some op writes. */
static void set_ranges(const struct tproto_cmd *c) {
  pt.nranges = 0;
  for (uint32_t t = 0; t < c->n_tensors; t++) {
    const struct tproto_tensor *x = &c->tensor[t];
    uint64_t last = 0;
    for (uint32_t d = 0; d < x->rank; d++) last += (uint64_t)(x->shape[d] - 1) * x->stride[d];
    int w = 0;
    for (uint32_t o = 0; o < c->n_ops; o++) {
      const struct tproto_op *p = &c->op[o];
      uint32_t wr = tfw_operand_writes(p->opcode, p->flags, p->n_operands);
      for (uint32_t i = 0; i < p->n_operands; i++) w |= (wr >> i & 1u) && p->operand[i] == t;
    }
    pt.ranges[pt.nranges++] = (struct range){x->addr, x->addr + (last + 1) * tproto_dtype_bytes(x->dtype), w};
  }
  pt.check_ranges = 1;
}

/* Validate and run a command; returns the scheduler's code. */
static int run_cmd(const struct tproto_cmd *c, struct tfw_verr *e) {
  struct tfw_verr v;
  if (tfw_validate_cmd(c, sizeof *c, &allocs, &v) != 0)
    fail_msg("test command invalid: code %u offset %u op %u tensor %u", v.code, v.offset, v.op, v.tensor);
  set_ranges(c);
  memset(e, 0, sizeof *e);
  int rc = tfw_sched_run(&sched, c, 0, e);
  if (pt.violations) fail_msg("%u violations, first: %s", pt.violations, pt.first);
  return rc;
}

static void run_ok(const struct tproto_cmd *c) {
  struct tfw_verr e;
  int rc = run_cmd(c, &e);
  if (rc != 0) fail_msg("scheduler: code %d offset %u op %u tensor %u (fail kind %u detail %u)", rc, e.offset, e.op,
                        e.tensor, sched.fail_kind, sched.fail_detail);
}

static void expect_words(const char *what, const uint32_t *got, const uint32_t *want, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i]) fail_msg("%s: word %zu is 0x%08x, want 0x%08x", what, i, got[i], want[i]);
}

static void expect_tensor(const char *what, const struct tproto_cmd *c, uint8_t t, const uint32_t *want, size_t n) {
  uint32_t *got = malloc(4 * n + 4);
  get(c, t, got, 4 * n);
  expect_words(what, got, want, n);
  free(got);
}

/* --- A sparse weight matrix in the protocol's stream format ---------------------------------- */
struct wmat {
  struct tsp_stream st;
  uint16_t *wv; /* [G * P] bf16 in slot order */
  uint8_t ts, tw;
};

static void wmat_make(struct wmat *w, struct tproto_cmd *c, uint32_t n, uint32_t k, double density, uint64_t seed,
                      int with_wv) {
  uint8_t *mask = malloc((size_t)n * k);
  assert_int_equal(density >= 1.0 ? tsp_mask_dense(mask, n, k) : tsp_mask_random(mask, n, k, density, seed), TSP_OK);
  assert_int_equal(tsp_stream_build(&w->st, mask, n, k, P, S, 1), TSP_OK);
  free(mask);
  uint32_t g = w->st.ngroups;
  uint8_t *bytes = calloc((size_t)g, SB);
  w->wv = calloc((size_t)g * P, 2);
  for (uint32_t i = 0; i < g; i++) {
    uint8_t *b = bytes + (size_t)i * SB;
    b[0] = (uint8_t)w->st.row[i], b[1] = (uint8_t)(w->st.row[i] >> 8), b[2] = w->st.flags[i];
    for (uint32_t p = 0; p < P; p++) {
      uint16_t col = w->st.col[(size_t)i * P + p];
      b[4 + 2 * p] = (uint8_t)col, b[5 + 2 * p] = (uint8_t)(col >> 8);
      if (col != TSP_EMPTY) w->wv[(size_t)i * P + p] = (uint16_t)(rval() >> 16);
    }
  }
  w->ts = tensor(c, TPROTO_DT_BLOB, g, SB);
  put(c, w->ts, bytes, (size_t)g * SB);
  free(bytes);
  if (with_wv) {
    w->tw = tensor(c, TPROTO_DT_BF16, g, P);
    put(c, w->tw, w->wv, (size_t)g * P * 2);
  }
}

static void lin_params(struct tproto_cmd *c, uint8_t o, const struct wmat *w) {
  c->op[o].iparam[0] = w->st.n;
  c->op[o].iparam[1] = w->st.k;
  c->op[o].iparam[2] = w->st.nnz;
}

/* --- Tests ------------------------------------------------------------------------------------- */
static void test_recip(void **state) {
  (void)state;
  for (uint32_t d = 1; d <= 65536; d++)
    if (tfw_sched_recip_u32(d) != tvec_recip_u32(d)) fail_msg("1/%u: 0x%08x, want 0x%08x", d, tfw_sched_recip_u32(d), tvec_recip_u32(d));
}

/* Linear fwd: plain fp32; bias + GELU + scale with bf16 X and a bf16 (cast) Y. Ragged m. */
static void linear_fwd_case(uint32_t m, uint32_t n, uint32_t k, double density, uint16_t flags, int bf16) {
  struct tproto_cmd c;
  struct wmat w;
  cmd_init(&c);
  rng = 0x1234u + m + flags;
  uint8_t x = tensor(&c, bf16 ? TPROTO_DT_BF16 : TPROTO_DT_FP32, m, k);
  wmat_make(&w, &c, n, k, density, 11u + n, 1);
  uint8_t y = tensor(&c, bf16 ? TPROTO_DT_BF16 : TPROTO_DT_FP32, m, n), b = 0;
  uint8_t o;
  if (flags & TPROTO_EPI_BIAS) {
    b = tensor(&c, TPROTO_DT_FP32, n, 0);
    o = op(&c, TPROTO_OP_LINEAR_FWD, flags, 5, x, w.ts, w.tw, y, b);
  } else {
    o = op(&c, TPROTO_OP_LINEAR_FWD, flags, 4, x, w.ts, w.tw, y);
  }
  lin_params(&c, o, &w);
  if (flags & TPROTO_EPI_SCALE) c.op[o].scalar[0] = f32(0.75f);
  uint32_t *xv = bf16 ? fill_bf16(&c, x, (size_t)m * k) : fill(&c, x, (size_t)m * k);
  uint32_t *bv = (flags & TPROTO_EPI_BIAS) ? fill(&c, b, n) : NULL;
  uint32_t *want = malloc(4 * (size_t)m * n);
  ttile_fn_fwd(&w.st, w.wv, xv, m, want);
  struct tvec_epilogue ep = {bv, (flags & TPROTO_EPI_GELU) ? TVEC_ACT_GELU : TVEC_ACT_NONE, NULL,
                             (flags & TPROTO_EPI_SCALE) ? f32(0.75f) : f32(1.0f), bf16 ? TVEC_CAST_BF16 : TVEC_CAST_F32};
  if (flags || bf16) tvec_epilogue_apply(&ep, want, want, m, n);
  run_ok(&c);
  if (bf16) {
    uint16_t *h = malloc(2 * (size_t)m * n);
    get(&c, y, h, 2 * (size_t)m * n);
    for (size_t i = 0; i < (size_t)m * n; i++) {
      if ((want[i] & 0xFFFFu) != 0) fail_msg("reference not bf16 at %zu", i);
      if (h[i] != want[i] >> 16) fail_msg("Y bf16 element %zu: 0x%04x, want 0x%04x", i, h[i], want[i] >> 16);
    }
    free(h);
  } else {
    expect_tensor("Y", &c, y, want, (size_t)m * n);
  }
  free(xv), free(bv), free(want), free(w.wv);
  tsp_stream_free(&w.st);
}

static void test_linear_fwd(void **state) {
  (void)state;
  linear_fwd_case(3 * L + 5, 40, 56, 0.3, 0, 0);
  linear_fwd_case(2 * T * L + 3, 48, 32, 0.5, TPROTO_EPI_BIAS | TPROTO_EPI_GELU | TPROTO_EPI_SCALE, 1);
  linear_fwd_case(7, 24, 16, 0.05, TPROTO_EPI_BIAS, 0); /* rows of W without a nonzero: bias of +0 */
  /* Every tile took part in the larger ones. */
  for (uint32_t t = 0; t < T; t++) assert_true(pt.tile_starts[t] > 0);
}

static void test_linear_bwd_data(void **state) {
  (void)state;
  for (int accum = 0; accum < 2; accum++) {
    struct tproto_cmd c;
    struct wmat w;
    uint32_t m = 2 * L + 3, n = 40, k = 56;
    cmd_init(&c);
    rng = 99u + (uint64_t)accum;
    uint8_t dy = tensor(&c, accum ? TPROTO_DT_BF16 : TPROTO_DT_FP32, m, n);
    wmat_make(&w, &c, n, k, 0.3, 5, 1);
    uint8_t dx = tensor(&c, TPROTO_DT_FP32, m, k);
    uint8_t o = op(&c, TPROTO_OP_LINEAR_BWD_DATA, accum ? TPROTO_OPF_ACCUM : 0, 4, dy, w.ts, w.tw, dx);
    lin_params(&c, o, &w);
    uint32_t *dyv = accum ? fill_bf16(&c, dy, (size_t)m * n) : fill(&c, dy, (size_t)m * n);
    uint32_t *want = fill(&c, dx, (size_t)m * k); /* garbage unless accumulated onto */
    if (!accum) memset(want, 0, 4 * (size_t)m * k);
    ttile_fn_bwd_data(&w.st, w.wv, dyv, m, want);
    uint32_t r0 = sched.nrec;
    run_ok(&c);
    expect_tensor("dX", &c, dx, want, (size_t)m * k);
    /* One record per token group: together they cover the m rows, each on a tile. */
    uint32_t rows = 0;
    assert_true(sched.nrec - r0 <= TFW_SCHED_LOG);
    for (uint32_t i = r0; i < sched.nrec; i++) {
      const struct tfw_sched_grec *g = &sched.rec[i % TFW_SCHED_LOG];
      rows += g->rows;
      assert_true(g->tile < T);
      assert_int_equal(g->op, 0);
      assert_true(g->rows >= 1 && g->rows <= m);
    }
    assert_int_equal(rows, m);
    free(dyv), free(want), free(w.wv);
    tsp_stream_free(&w.st);
  }
}

static void bwd_weight_case(uint32_t m, uint32_t n, uint32_t k, double density, int accum) {
  struct tproto_cmd c;
  struct wmat w;
  cmd_init(&c);
  rng = 4242u + m + (uint64_t)accum;
  uint8_t dy = tensor(&c, TPROTO_DT_FP32, m, n), x = tensor(&c, TPROTO_DT_BF16, m, k);
  wmat_make(&w, &c, n, k, density, 17, 0);
  uint32_t g = w.st.ngroups;
  uint8_t dw = tensor(&c, TPROTO_DT_FP32, g, P);
  uint8_t o = op(&c, TPROTO_OP_LINEAR_BWD_WEIGHT, accum ? TPROTO_OPF_ACCUM : 0, 4, dy, x, w.ts, dw);
  lin_params(&c, o, &w);
  uint32_t *dyv = fill(&c, dy, (size_t)m * n), *xv = fill_bf16(&c, x, (size_t)m * k);
  uint32_t *want = fill(&c, dw, (size_t)g * P);
  if (!accum) memset(want, 0, 4 * (size_t)g * P);
  ttile_fn_bwd_weight(&w.st, dyv, xv, m, L, ttile_pass_d(TTILE_BWD_WEIGHT, m, k, n), want);
  run_ok(&c);
  expect_tensor("dW", &c, dw, want, (size_t)g * P);
  free(dyv), free(xv), free(want), free(w.wv);
  tsp_stream_free(&w.st);
}

static void test_linear_bwd_weight(void **state) {
  (void)state;
  bwd_weight_case(3 * L + 1, 40, 56, 0.3, 0);
  bwd_weight_case(5 * L, 24, 32, 0.5, 1);
  /* More tokens than one pass holds: passes of exactly ttile_pass_d rows per lane. */
  bwd_weight_case(BANK / (24 + 32) * L + 9, 24, 32, 0.5, 0);
}

/* A stream longer than the weight buffer: chunks cut at row boundaries (fwd, bwd_data, bwd_weight). */
static void test_weight_chunks(void **state) {
  (void)state;
  uint32_t n = 256, k = 256, m = L + 3;
  struct tproto_cmd c;
  struct wmat w;
  cmd_init(&c);
  rng = 777;
  uint8_t x = tensor(&c, TPROTO_DT_FP32, m, k);
  wmat_make(&w, &c, n, k, 1.0, 1, 1);
  assert_true(w.st.ngroups > TTILE_GROUPS);
  uint8_t y = tensor(&c, TPROTO_DT_FP32, m, n), dx = tensor(&c, TPROTO_DT_FP32, m, k);
  uint8_t dw = tensor(&c, TPROTO_DT_FP32, w.st.ngroups, P);
  uint8_t o0 = op(&c, TPROTO_OP_LINEAR_FWD, 0, 4, x, w.ts, w.tw, y);
  uint8_t o1 = op(&c, TPROTO_OP_LINEAR_BWD_DATA, 0, 4, y, w.ts, w.tw, dx);
  uint8_t o2 = op(&c, TPROTO_OP_LINEAR_BWD_WEIGHT, 0, 4, y, x, w.ts, dw);
  lin_params(&c, o0, &w), lin_params(&c, o1, &w), lin_params(&c, o2, &w);
  c.op[o1].n_deps = 1, c.op[o1].dep[0] = o0;
  c.op[o2].n_deps = 1, c.op[o2].dep[0] = o0;
  uint32_t *xv = fill(&c, x, (size_t)m * k);
  uint32_t *yv = malloc(4 * (size_t)m * n), *dxv = calloc((size_t)m * k, 4), *dwv = calloc((size_t)w.st.ngroups * P, 4);
  ttile_fn_fwd(&w.st, w.wv, xv, m, yv);
  ttile_fn_bwd_data(&w.st, w.wv, yv, m, dxv);
  ttile_fn_bwd_weight(&w.st, yv, xv, m, L, ttile_pass_d(TTILE_BWD_WEIGHT, m, k, n), dwv);
  uint32_t first = pt.ndma;
  run_ok(&c);
  expect_tensor("Y", &c, y, yv, (size_t)m * n);
  expect_tensor("dX", &c, dx, dxv, (size_t)m * k);
  expect_tensor("dW", &c, dw, dwv, (size_t)w.st.ngroups * P);
  /* The plan: every weight load is a chunk of at most a buffer's groups ending at a row's end;
   * chunks start where others end (they tile the stream); bwd_weight writes each group's dW once. */
  uint32_t wloads = 0, gstores = 0, covered = 0;
  uint8_t *ends = calloc(w.st.ngroups + 1, 1);
  for (uint32_t i = first; i < pt.ndma; i++) {
    const struct dmarec *r = &pt.dmas[i];
    uint32_t ctrl = r->reg[10], t = (ctrl & TESSERA_DMA_CTRL_DST_TILE_MASK) >> TESSERA_DMA_CTRL_DST_TILE_SHIFT;
    uint32_t sk = (ctrl & TESSERA_DMA_CTRL_SRC_KIND_MASK) >> TESSERA_DMA_CTRL_SRC_KIND_SHIFT;
    if (sk == TESSERA_DMA_KIND_GBUF) gstores++, covered += r->reg[6];
    if (((ctrl & TESSERA_DMA_CTRL_MODE_MASK) >> TESSERA_DMA_CTRL_MODE_SHIFT) != TESSERA_DMA_MODE_WLOAD) continue;
    uint64_t src = (uint64_t)r->reg[1] << 32 | r->reg[0];
    uint32_t g0 = (uint32_t)((src - c.tensor[w.ts].addr) / SB), ng = r->reg[6];
    wloads++;
    assert_true(ng >= 1 && ng <= TTILE_GROUPS);
    assert_true(w.st.flags[g0 + ng - 1] & TSP_LAST);
    if (g0 != 0) assert_true(ends[g0]); /* chunks start where another one ended */
    ends[g0 + ng] = 1;
    (void)t;
  }
  free(ends);
  assert_true(wloads >= 3 * ((w.st.ngroups + TTILE_GROUPS - 1) / TTILE_GROUPS));
  assert_int_equal(covered, w.st.ngroups); /* dW: each group written back exactly once */
  assert_true(gstores >= (w.st.ngroups + TTILE_GROUPS - 1) / TTILE_GROUPS);
  free(xv), free(yv), free(dxv), free(dwv), free(w.wv);
  tsp_stream_free(&w.st);
}

/* Every vector op alone, on rows that need several token groups per tile. */
static void test_vector_ops(void **state) {
  (void)state;
  uint32_t m = 12 * T * L + 3, n = 24;
  size_t e = (size_t)m * n;
  struct tproto_cmd c;
  struct tfw_verr err;
  /* GELU fwd / bwd, residual add on flat vectors (a ragged last row) */
  cmd_init(&c);
  rng = 31;
  uint8_t a = tensor(&c, TPROTO_DT_BF16, m, n), dy = tensor(&c, TPROTO_DT_FP32, m, n);
  uint8_t g = tensor(&c, TPROTO_DT_FP32, m, n), gb = tensor(&c, TPROTO_DT_FP32, m, n), r = tensor(&c, TPROTO_DT_FP32, m, n);
  op(&c, TPROTO_OP_GELU_FWD, 0, 2, a, g);
  op(&c, TPROTO_OP_GELU_BWD, 0, 3, a, dy, gb);
  op(&c, TPROTO_OP_RESIDUAL_ADD, 0, 3, g, dy, r);
  uint32_t *av = fill_bf16(&c, a, e), *dyv = fill(&c, dy, e);
  uint32_t *w1 = malloc(4 * e), *w2 = malloc(4 * e), *w3 = malloc(4 * e);
  tvec_gelu_fwd(av, w1, (uint32_t)e);
  tvec_gelu_bwd(av, dyv, w2, (uint32_t)e);
  tvec_residual_add(w1, dyv, w3, (uint32_t)e);
  pt.overlapped_loads = 0;
  run_ok(&c);
  expect_tensor("gelu", &c, g, w1, e);
  expect_tensor("gelu_bwd", &c, gb, w2, e);
  expect_tensor("add", &c, r, w3, e);
  /* Double buffering: loads into a tile's other buffer while it computed. */
  assert_true(pt.overlapped_loads > 0);
  free(av), free(dyv), free(w1), free(w2), free(w3);

  /* Softmax and LayerNorm (rows), in place softmax on a strided view */
  cmd_init(&c);
  uint8_t x = tensor(&c, TPROTO_DT_FP32, m, n), sm = tensor(&c, TPROTO_DT_FP32, m, n);
  uint8_t gam = tensor(&c, TPROTO_DT_FP32, n, 0), bet = tensor(&c, TPROTO_DT_FP32, n, 0);
  uint8_t ln = tensor(&c, TPROTO_DT_FP32, m, n), mu = tensor(&c, TPROTO_DT_FP32, m, 0), rs = tensor(&c, TPROTO_DT_FP32, m, 0);
  op(&c, TPROTO_OP_SOFTMAX, 0, 2, x, sm);
  uint8_t o = op(&c, TPROTO_OP_LAYERNORM_FWD, 0, 6, x, gam, bet, ln, mu, rs);
  c.op[o].scalar[0] = f32(1e-5f);
  uint32_t *xv = fill(&c, x, e), *gv = fill(&c, gam, n), *bv = fill(&c, bet, n);
  uint32_t *ws = malloc(4 * e), *wl = malloc(4 * e), *wm = malloc(4 * m), *wr = malloc(4 * m);
  tvec_softmax_fwd(xv, ws, m, n, false, 0);
  tvec_layernorm_fwd(xv, gv, bv, f32(1e-5f), wl, wm, wr, m, n);
  run_ok(&c);
  expect_tensor("softmax", &c, sm, ws, e);
  expect_tensor("layernorm", &c, ln, wl, e);
  expect_tensor("mean", &c, mu, wm, m);
  expect_tensor("rstd", &c, rs, wr, m);
  free(xv), free(gv), free(bv), free(ws), free(wl), free(wm), free(wr);

  /* Cross-entropy fwd / bwd */
  uint32_t v = 40;
  cmd_init(&c);
  uint8_t lg = tensor(&c, TPROTO_DT_FP32, m, v), lab = tensor(&c, TPROTO_DT_I32, m, 0);
  uint8_t loss = tensor(&c, TPROTO_DT_FP32, m, 0), dl = tensor(&c, TPROTO_DT_FP32, m, v);
  op(&c, TPROTO_OP_XENT_FWD, 0, 3, lg, lab, loss);
  o = op(&c, TPROTO_OP_XENT_BWD, 0, 3, lg, lab, dl);
  c.op[o].scalar[0] = tvec_recip_u32(m);
  uint32_t *lv = fill(&c, lg, (size_t)m * v), *labv = malloc(4 * m);
  for (uint32_t i = 0; i < m; i++) labv[i] = rnd() % v;
  put(&c, lab, labv, 4 * m);
  uint32_t *wlo = malloc(4 * m), *wdl = malloc(4 * (size_t)m * v);
  assert_int_equal(tvec_cross_entropy_fwd(lv, labv, wlo, m, v), 0);
  assert_int_equal(tvec_cross_entropy_bwd(lv, labv, tvec_recip_u32(m), wdl, m, v), 0);
  run_ok(&c);
  expect_tensor("loss", &c, loss, wlo, m);
  expect_tensor("dlogits", &c, dl, wdl, (size_t)m * v);
  /* A label out of range: FAILED with E_DEVICE, and the scheduler goes on afterwards. */
  labv[m / 2] = v;
  put(&c, lab, labv, 4 * m);
  assert_int_equal(run_cmd(&c, &err), TPROTO_E_DEVICE);
  assert_int_equal(sched.fail_kind, TFW_SCHED_FAIL_TILE);
  assert_int_equal(sched.fail_detail, 4);
  assert_int_equal(err.op, 0);
  labv[m / 2] = 0;
  put(&c, lab, labv, 4 * m);
  assert_int_equal(tvec_cross_entropy_fwd(lv, labv, wlo, m, v), 0);
  assert_int_equal(tvec_cross_entropy_bwd(lv, labv, tvec_recip_u32(m), wdl, m, v), 0);
  run_ok(&c);
  expect_tensor("loss after a failure", &c, loss, wlo, m);
  expect_tensor("dlogits after a failure", &c, dl, wdl, (size_t)m * v);
  free(lv), free(labv), free(wlo), free(wdl);
}

/* Cross-entropy at the MLP's shape (tokens >= 128: two or more token groups per tile, the later
 * ones loaded into a tile's other buffer while it computes), op by op; and fused behind the linear
 * layer that makes the logits, as tessera mlp's forward command. */
static void test_xent_many_groups(void **state) {
  (void)state;
  const uint32_t m = 128, v = 32;
  struct tproto_cmd c;
  struct wmat w;
  struct tfw_verr e;
  cmd_init(&c);
  rng = 128;
  uint8_t x = tensor(&c, TPROTO_DT_FP32, m, v);
  wmat_make(&w, &c, v, v, 0.5, 12, 1);
  uint8_t lg = tensor(&c, TPROTO_DT_FP32, m, v), lab = tensor(&c, TPROTO_DT_I32, m, 0);
  uint8_t loss = tensor(&c, TPROTO_DT_FP32, m, 0), dl = tensor(&c, TPROTO_DT_FP32, m, v);
  c.tensor[lg].flags = TPROTO_TF_TRANSIENT;
  uint8_t o0 = op(&c, TPROTO_OP_LINEAR_FWD, 0, 4, x, w.ts, w.tw, lg);
  lin_params(&c, o0, &w);
  uint8_t o1 = op(&c, TPROTO_OP_XENT_FWD, 0, 3, lg, lab, loss);
  c.op[o1].n_deps = 1, c.op[o1].dep[0] = o0;
  uint8_t o2 = op(&c, TPROTO_OP_XENT_BWD, 0, 3, lg, lab, dl);
  c.op[o2].n_deps = 1, c.op[o2].dep[0] = o0;
  c.op[o2].scalar[0] = tvec_recip_u32(m);
  uint32_t *xv = fill(&c, x, (size_t)m * v), *labv = malloc(4 * m), *lv = malloc(4 * (size_t)m * v);
  for (uint32_t i = 0; i < m; i++) labv[i] = rnd() % v;
  put(&c, lab, labv, 4 * m);
  ttile_fn_fwd(&w.st, w.wv, xv, m, lv);
  uint32_t *wlo = malloc(4 * m), *wdl = malloc(4 * (size_t)m * v), *zero = calloc((size_t)m * v, 4);
  assert_int_equal(tvec_cross_entropy_fwd(lv, labv, wlo, m, v), 0);
  assert_int_equal(tvec_cross_entropy_bwd(lv, labv, tvec_recip_u32(m), wdl, m, v), 0);
  assert_int_equal(tfw_sched_plan_fused(&c, &e), T >= 2 ? 1 : 0);
  for (int fuse = 1; fuse >= 0; fuse--) {
    put(&c, loss, zero, 4 * m);
    put(&c, dl, zero, 4 * (size_t)m * v);
    sched.allow_fusion = (uint32_t)fuse;
    pt.overlapped_loads = 0;
    run_ok(&c);
    expect_tensor(fuse ? "loss fused" : "loss op by op", &c, loss, wlo, m);
    expect_tensor(fuse ? "dlogits fused" : "dlogits op by op", &c, dl, wdl, (size_t)m * v);
    /* the case this covers: loads into a running tile's other buffer */
    if (!fuse || T >= 2) assert_true(pt.overlapped_loads > 0);
  }
  sched.allow_fusion = 1;
  free(xv), free(labv), free(lv), free(wlo), free(wdl), free(zero), free(w.wv);
  tsp_stream_free(&w.st);
}

/* The chip model itself (docs/chip.md): a DMA into bank words a running kernel does not use lands,
 * and the run's results land too (a run replaces only the words it writes). */
static void test_dma_during_run(void **state) {
  (void)state;
  const uint32_t cols = 16, rows = 2 * L, kn = 3 * cols;
  struct tproto_cmd c;
  cmd_init(&c);
  rng = 4;
  uint8_t src = tensor(&c, TPROTO_DT_FP32, rows, cols);
  uint32_t *sv = fill(&c, src, (size_t)rows * cols);
  struct ttile_state *ts = tchip_tile(pt.chip, 0);
  uint32_t *av = malloc(4 * (size_t)rows * cols), *want = malloc(4 * (size_t)rows * cols);
  for (uint32_t r = 0; r < rows; r++)
    for (uint32_t i = 0; i < cols; i++) ts->bank[r % L][(r / L) * kn + i] = av[r * cols + i] = rval();
  tvec_gelu_fwd(av, want, rows * cols);
  /* GELU on words [0, cols) -> [cols, 2 cols) of each row's region */
  const uint32_t base = TESSERA_TILE_ADDR(0);
  const uint32_t regs[][2] = {
      {TESSERA_TILE_KERNEL_OFFSET, TESSERA_TILE_KERNEL_GELU_FWD << TESSERA_TILE_KERNEL_CODE_SHIFT},
      {TESSERA_TILE_K_OFFSET, 0}, {TESSERA_TILE_KN_OFFSET, kn}, {TESSERA_TILE_NTOK_OFFSET, rows},
      {TESSERA_TILE_TPL_OFFSET, rows / L}, {TESSERA_TILE_NGROUPS_OFFSET, 0}, {TESSERA_TILE_OFF_A_OFFSET, 0},
      {TESSERA_TILE_OFF_B_OFFSET, cols}, {TESSERA_TILE_OFF_C_OFFSET, 0}, {TESSERA_TILE_OFF_D_OFFSET, 0},
      {TESSERA_TILE_COLS_OFFSET, cols}, {TESSERA_TILE_PARAM_OFFSET, 0}, {TESSERA_TILE_ROW0_OFFSET, 0}};
  for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) assert_int_equal(tchip_bus_write(pt.chip, base + regs[i][0], regs[i][1]), 0);
  uint32_t done0 = bus_rd(base + TESSERA_TILE_DONE_OFFSET), dma0 = bus_rd(TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET);
  assert_int_equal(tchip_bus_write(pt.chip, base + TESSERA_TILE_START_OFFSET, TESSERA_TILE_START_GO_MASK), 0);
  assert_true(tile_busy(0));
  /* DRAM rows -> words [2 cols, 3 cols) of the same regions, while the run is in flight */
  const uint32_t d[][2] = {
      {TESSERA_DMA_SRC_LO_OFFSET, (uint32_t)c.tensor[src].addr}, {TESSERA_DMA_SRC_HI_OFFSET, (uint32_t)(c.tensor[src].addr >> 32)},
      {TESSERA_DMA_DST_LO_OFFSET, 2 * cols}, {TESSERA_DMA_DST_HI_OFFSET, 0}, {TESSERA_DMA_AUX_LO_OFFSET, 0},
      {TESSERA_DMA_AUX_HI_OFFSET, 0}, {TESSERA_DMA_ROWS_OFFSET, rows}, {TESSERA_DMA_ROW_BYTES_OFFSET, 4 * cols},
      {TESSERA_DMA_SRC_STRIDE_OFFSET, 4 * cols}, {TESSERA_DMA_DST_STRIDE_OFFSET, 4 * kn},
      {TESSERA_DMA_CTRL_OFFSET, (TESSERA_DMA_KIND_DRAM << TESSERA_DMA_CTRL_SRC_KIND_SHIFT) |
                                    (TESSERA_DMA_KIND_BANK << TESSERA_DMA_CTRL_DST_KIND_SHIFT)},
      {TESSERA_DMA_START_OFFSET, TESSERA_DMA_START_GO_MASK}};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) assert_int_equal(tchip_bus_write(pt.chip, TESSERA_DMA_BASE + d[i][0], d[i][1]), 0);
  /* the DMA ends first (a few rows), then the run */
  while (bus_rd(TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET) == dma0) tchip_advance(pt.chip, 1);
  assert_true(tile_busy(0));
  while (bus_rd(base + TESSERA_TILE_DONE_OFFSET) == done0) tchip_advance(pt.chip, 8);
  assert_int_equal(bus_rd(base + TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_ERROR_MASK, 0);
  ts = tchip_tile(pt.chip, 0);
  for (uint32_t r = 0; r < rows; r++)
    for (uint32_t i = 0; i < cols; i++) {
      uint32_t got = ts->bank[r % L][(r / L) * kn + 2 * cols + i], y = ts->bank[r % L][(r / L) * kn + cols + i];
      if (got != sv[r * cols + i]) fail_msg("row %u word %u: DMA wrote 0x%08x, the bank has 0x%08x", r, i, sv[r * cols + i], got);
      if (y != want[r * cols + i]) fail_msg("row %u word %u: gelu 0x%08x, want 0x%08x", r, i, y, want[r * cols + i]);
    }
  free(sv), free(av), free(want);
}

/* AdamW in place on a flat vector with a ragged tail, with and without the bf16 copy; COPY. */
static void test_adamw_copy(void **state) {
  (void)state;
  for (int bf = 0; bf < 2; bf++) {
    uint32_t cnt = 5 * TFW_SCHED_FLAT_COLS * L + 37;
    struct tproto_cmd c;
    cmd_init(&c);
    rng = 5u + (uint64_t)bf;
    uint8_t w = tensor(&c, TPROTO_DT_FP32, cnt, 0), g = tensor(&c, TPROTO_DT_FP32, cnt, 0);
    uint8_t mm = tensor(&c, TPROTO_DT_FP32, cnt, 0), vv = tensor(&c, TPROTO_DT_FP32, cnt, 0), wb = 0;
    uint8_t o;
    if (bf) {
      wb = tensor(&c, TPROTO_DT_BF16, cnt, 0);
      o = op(&c, TPROTO_OP_ADAMW, TPROTO_OPF_BF16_COPY, 5, w, g, mm, vv, wb);
    } else {
      o = op(&c, TPROTO_OP_ADAMW, 0, 4, w, g, mm, vv);
    }
    struct tvec_adamw hp = {f32(1e-3f), f32(0.9f), f32(0.999f), f32(1e-8f), f32(0.01f), 3};
    c.op[o].iparam[0] = 3;
    c.op[o].scalar[0] = hp.lr, c.op[o].scalar[1] = hp.beta1, c.op[o].scalar[2] = hp.beta2;
    c.op[o].scalar[3] = hp.eps, c.op[o].scalar[4] = hp.weight_decay;
    c.op[o].scalar[5] = tvec_bias_correction(hp.beta1, 3), c.op[o].scalar[6] = tvec_bias_correction(hp.beta2, 3);
    uint32_t *wv = fill(&c, w, cnt), *gv = fill(&c, g, cnt), *mv = fill(&c, mm, cnt), *vvv = fill(&c, vv, cnt);
    for (uint32_t i = 0; i < cnt; i++) vvv[i] &= 0x7FFFFFFFu; /* v >= 0 */
    put(&c, vv, vvv, 4 * cnt);
    uint16_t *wbv = malloc(2 * cnt);
    assert_int_equal(tvec_adamw_update(&hp, wv, gv, mv, vvv, wbv, cnt), 0);
    run_ok(&c);
    expect_tensor("w", &c, w, wv, cnt);
    expect_tensor("m", &c, mm, mv, cnt);
    expect_tensor("v", &c, vv, vvv, cnt);
    if (bf) {
      uint16_t *h = malloc(2 * cnt);
      get(&c, wb, h, 2 * cnt);
      for (uint32_t i = 0; i < cnt; i++)
        if (h[i] != wbv[i]) fail_msg("bf16 copy %u: 0x%04x, want 0x%04x", i, h[i], wbv[i]);
      free(h);
    }
    free(wv), free(gv), free(mv), free(vvv), free(wbv);
  }
  /* COPY: fp32 -> fp32 on a strided view, bf16 -> fp32 */
  struct tproto_cmd c;
  cmd_init(&c);
  uint32_t m = 37, n = 20;
  uint8_t a = tensor(&c, TPROTO_DT_FP32, m, 2 * n), b = tensor(&c, TPROTO_DT_FP32, m, n);
  uint8_t h = tensor(&c, TPROTO_DT_BF16, m, n), f = tensor(&c, TPROTO_DT_FP32, m, n);
  c.tensor[a].shape[1] = n; /* every row's first half */
  op(&c, TPROTO_OP_COPY, 0, 2, a, b);
  op(&c, TPROTO_OP_COPY, 0, 2, h, f);
  uint32_t *av = fill(&c, a, (size_t)m * 2 * n), *hv = fill_bf16(&c, h, (size_t)m * n), *want = malloc(4 * (size_t)m * n);
  for (uint32_t r = 0; r < m; r++) memcpy(want + (size_t)r * n, av + (size_t)r * 2 * n, 4 * n);
  run_ok(&c);
  expect_tensor("copy", &c, b, want, (size_t)m * n);
  expect_tensor("copy bf16", &c, f, hv, (size_t)m * n);
  free(av), free(hv), free(want);
}

/* What the scheduler refuses: nothing is issued. */
static void test_unsupported(void **state) {
  (void)state;
  struct tproto_cmd c;
  struct tfw_verr e;
  uint32_t before;
  cmd_init(&c);
  uint8_t tab = tensor(&c, TPROTO_DT_FP32, 10, 8), ids = tensor(&c, TPROTO_DT_I32, 4, 0), y = tensor(&c, TPROTO_DT_FP32, 4, 8);
  op(&c, TPROTO_OP_GELU_FWD, 0, 2, y, y);
  op(&c, TPROTO_OP_EMBED_FWD, 0, 3, tab, ids, y);
  before = pt.ndma;
  assert_int_equal(run_cmd(&c, &e), TPROTO_E_UNSUPPORTED);
  assert_int_equal(e.op, 1);
  assert_int_equal(e.offset, OFF(op[1].opcode));
  assert_int_equal(pt.ndma, before); /* not even op 0 ran */
  /* A vector kernel's bf16 output (no rounding kernel on the tile) */
  cmd_init(&c);
  uint8_t a = tensor(&c, TPROTO_DT_FP32, 8, 8), b = tensor(&c, TPROTO_DT_BF16, 8, 8);
  op(&c, TPROTO_OP_GELU_FWD, 0, 2, a, b);
  assert_int_equal(run_cmd(&c, &e), TPROTO_E_UNSUPPORTED);
  assert_int_equal(e.tensor, b);
  assert_int_equal(e.offset, OFF(tensor[1].dtype));
  /* fp8 activations; GELU with a residual (the protocol's order is not the tile's) */
  struct wmat w;
  cmd_init(&c);
  uint8_t x8 = tensor(&c, TPROTO_DT_FP8_E4M3, 8, 16);
  wmat_make(&w, &c, 8, 16, 0.5, 3, 1);
  uint8_t yy = tensor(&c, TPROTO_DT_FP32, 8, 8);
  uint8_t o = op(&c, TPROTO_OP_LINEAR_FWD, 0, 4, x8, w.ts, w.tw, yy);
  lin_params(&c, o, &w);
  assert_int_equal(run_cmd(&c, &e), TPROTO_E_UNSUPPORTED);
  assert_int_equal(e.tensor, x8);
  c.tensor[x8].dtype = TPROTO_DT_FP32;
  c.tensor[x8].alloc_size = c.tensor[x8].alloc_size; /* still inside */
  uint8_t rr = tensor(&c, TPROTO_DT_FP32, 8, 8);
  c.op[o].flags = TPROTO_EPI_GELU | TPROTO_EPI_RESIDUAL;
  c.op[o].n_operands = 5, c.op[o].operand[4] = rr;
  assert_int_equal(run_cmd(&c, &e), TPROTO_E_UNSUPPORTED);
  assert_int_equal(e.offset, OFF(op[0].flags));
  c.op[o].flags = TPROTO_EPI_RESIDUAL; /* (TFW_SCHED_EPI_RESIDUAL 0: until the tile reads R first) */
  if (!TFW_SCHED_EPI_RESIDUAL) {
    assert_int_equal(run_cmd(&c, &e), TPROTO_E_UNSUPPORTED);
    assert_int_equal(e.offset, OFF(op[0].flags));
  }
  free(w.wv);
  tsp_stream_free(&w.st);
  /* Rows longer than a bank holds */
  cmd_init(&c);
  uint8_t big = tensor(&c, TPROTO_DT_FP32, 2, BANK), bo = tensor(&c, TPROTO_DT_FP32, 2, BANK);
  op(&c, TPROTO_OP_SOFTMAX, 0, 2, big, bo);
  assert_int_equal(run_cmd(&c, &e), TPROTO_E_UNSUPPORTED);
  assert_int_equal(pt.ndma, before);
}

/* The MLP chain linear -> GELU -> linear through transient tensors: fused on a pipeline of tiles
 * (when the preset has enough tiles), the same bits as op by op, fewer DRAM bytes. */
static void mlp_cmd(struct tproto_cmd *c, struct wmat *w1, struct wmat *w2, uint32_t m, uint32_t d, uint32_t h,
                    uint8_t *x, uint8_t *y) {
  cmd_init(c);
  *x = tensor(c, TPROTO_DT_BF16, m, d);
  wmat_make(w1, c, h, d, 0.4, 21, 1);
  wmat_make(w2, c, d, h, 0.4, 22, 1);
  uint8_t b1 = tensor(c, TPROTO_DT_FP32, h, 0);
  uint8_t hh = tensor(c, TPROTO_DT_FP32, m, h), a = tensor(c, TPROTO_DT_FP32, m, h);
  *y = tensor(c, TPROTO_DT_FP32, m, d);
  c->tensor[hh].flags = TPROTO_TF_TRANSIENT;
  c->tensor[a].flags = TPROTO_TF_TRANSIENT;
  uint8_t o0 = op(c, TPROTO_OP_LINEAR_FWD, TPROTO_EPI_BIAS, 5, *x, w1->ts, w1->tw, hh, b1);
  lin_params(c, o0, w1);
  uint8_t o1 = op(c, TPROTO_OP_GELU_FWD, 0, 2, hh, a);
  c->op[o1].n_deps = 1, c->op[o1].dep[0] = o0;
  uint8_t o2 = op(c, TPROTO_OP_LINEAR_FWD, 0, 4, a, w2->ts, w2->tw, *y);
  lin_params(c, o2, w2);
  c->op[o2].n_deps = 1, c->op[o2].dep[0] = o1;
  free(fill_bf16(c, *x, (size_t)m * d));
  free(fill(c, b1, h));
}

/* The chain of mlp_cmd by the functional models, op by op: Y [m][d] (malloc'd). */
static uint32_t *mlp_want(const struct tproto_cmd *c, const struct wmat *w1, const struct wmat *w2, uint32_t m,
                          uint32_t d, uint32_t h, uint8_t x) {
  uint32_t *xv = malloc(4 * (size_t)m * d), *hv = malloc(4 * (size_t)m * h), *want = malloc(4 * (size_t)m * d);
  uint32_t *b1 = malloc(4 * h);
  uint16_t *xh = malloc(2 * (size_t)m * d);
  get(c, x, xh, 2 * (size_t)m * d);
  get(c, (uint8_t)(w2->tw + 1), b1, 4 * h);
  for (size_t i = 0; i < (size_t)m * d; i++) xv[i] = (uint32_t)xh[i] << 16;
  ttile_fn_fwd(&w1->st, w1->wv, xv, m, hv);
  struct tvec_epilogue ep = {b1, TVEC_ACT_NONE, NULL, f32(1.0f), TVEC_CAST_F32};
  tvec_epilogue_apply(&ep, hv, hv, m, h);
  tvec_gelu_fwd(hv, hv, m * h);
  ttile_fn_fwd(&w2->st, w2->wv, hv, m, want);
  free(xv), free(hv), free(b1), free(xh);
  return want;
}

static uint64_t dram_bytes(void) {
  struct tchip_counters k;
  tchip_counters(pt.chip, &k);
  return k.dma_dram_bytes;
}

static void test_fusion(void **state) {
  (void)state;
  uint32_t m = 6 * L + 5, d = 32, h = 64;
  struct tproto_cmd c;
  struct wmat w1, w2;
  struct tfw_verr e;
  uint8_t x, y;
  rng = 2026;
  mlp_cmd(&c, &w1, &w2, m, d, h, &x, &y);
  int fused = tfw_sched_plan_fused(&c, &e);
  assert_int_equal(fused, T >= 3 ? 1 : 0);
  uint32_t *want = mlp_want(&c, &w1, &w2, m, d, h, x); /* reference: the functional models op by op */
  /* Fused (as planned) */
  uint64_t b0 = dram_bytes(), c0 = tchip_now(pt.chip);
  uint32_t fused_runs = sched.stats.fused;
  run_ok(&c);
  uint64_t fused_bytes = dram_bytes() - b0, fused_cycles = tchip_now(pt.chip) - c0;
  assert_int_equal(sched.stats.fused - fused_runs, (uint32_t)fused);
  expect_tensor("Y fused", &c, y, want, (size_t)m * d);
  /* Op by op */
  uint32_t *zero = calloc((size_t)m * d, 4);
  put(&c, y, zero, 4 * (size_t)m * d);
  sched.allow_fusion = 0;
  b0 = dram_bytes(), c0 = tchip_now(pt.chip);
  run_ok(&c);
  uint64_t unfused_bytes = dram_bytes() - b0, unfused_cycles = tchip_now(pt.chip) - c0;
  sched.allow_fusion = 1;
  expect_tensor("Y op by op", &c, y, want, (size_t)m * d);
  print_message("# mlp chain m=%u d=%u h=%u: DRAM bytes fused %llu, op by op %llu; cycles (not asserted) %llu, %llu"
                " (fused: %d)\n", m, d, h, (unsigned long long)fused_bytes, (unsigned long long)unfused_bytes,
                (unsigned long long)fused_cycles, (unsigned long long)unfused_cycles, fused);
  if (fused) assert_true(fused_bytes < unfused_bytes);
  /* The intermediates never reached DRAM when fused (their bytes are what the difference is) */
  if (fused) assert_true(unfused_bytes - fused_bytes >= 2u * 4u * (uint64_t)m * h * 2u);
  free(want), free(zero), free(w1.wv), free(w2.wv);
  tsp_stream_free(&w1.st), tsp_stream_free(&w2.st);
}

/* A vector chain in one stage: residual add into a transient, LayerNorm of it (one tile: the
 * intermediate never leaves the bank), then a linear layer on another tile. */
static void test_fusion_vector_stage(void **state) {
  (void)state;
  uint32_t m = 5 * L + 2, d = 32, n = 24;
  struct tproto_cmd c;
  struct wmat w;
  struct tfw_verr e;
  cmd_init(&c);
  rng = 77;
  uint8_t a = tensor(&c, TPROTO_DT_FP32, m, d), b = tensor(&c, TPROTO_DT_FP32, m, d), hh = tensor(&c, TPROTO_DT_FP32, m, d);
  uint8_t gam = tensor(&c, TPROTO_DT_FP32, d, 0), bet = tensor(&c, TPROTO_DT_FP32, d, 0);
  uint8_t ln = tensor(&c, TPROTO_DT_FP32, m, d), mu = tensor(&c, TPROTO_DT_FP32, m, 0), rs = tensor(&c, TPROTO_DT_FP32, m, 0);
  wmat_make(&w, &c, n, d, 0.5, 9, 1);
  uint8_t y = tensor(&c, TPROTO_DT_FP32, m, n);
  c.tensor[hh].flags = TPROTO_TF_TRANSIENT;
  c.tensor[ln].flags = TPROTO_TF_TRANSIENT;
  op(&c, TPROTO_OP_RESIDUAL_ADD, 0, 3, a, b, hh);
  uint8_t o1 = op(&c, TPROTO_OP_LAYERNORM_FWD, 0, 6, hh, gam, bet, ln, mu, rs);
  c.op[o1].scalar[0] = f32(1e-5f);
  c.op[o1].n_deps = 1;
  uint8_t o2 = op(&c, TPROTO_OP_LINEAR_FWD, 0, 4, ln, w.ts, w.tw, y);
  lin_params(&c, o2, &w);
  c.op[o2].n_deps = 1, c.op[o2].dep[0] = o1;
  size_t e1 = (size_t)m * d;
  uint32_t *av = fill(&c, a, e1), *bv = fill(&c, b, e1), *gv = fill(&c, gam, d), *bev = fill(&c, bet, d);
  uint32_t *hv = malloc(4 * e1), *lv = malloc(4 * e1), *mv = malloc(4 * m), *rv = malloc(4 * m), *want = malloc(4 * (size_t)m * n);
  tvec_residual_add(av, bv, hv, (uint32_t)e1);
  tvec_layernorm_fwd(hv, gv, bev, f32(1e-5f), lv, mv, rv, m, d);
  ttile_fn_fwd(&w.st, w.wv, lv, m, want);
  assert_int_equal(tfw_sched_plan_fused(&c, &e), T >= 2 ? 1 : 0);
  uint64_t b0 = dram_bytes();
  run_ok(&c);
  uint64_t fb = dram_bytes() - b0;
  expect_tensor("Y", &c, y, want, (size_t)m * n);
  expect_tensor("mean", &c, mu, mv, m);
  expect_tensor("rstd", &c, rs, rv, m);
  sched.allow_fusion = 0;
  b0 = dram_bytes();
  run_ok(&c);
  uint64_t ub = dram_bytes() - b0;
  sched.allow_fusion = 1;
  expect_tensor("Y op by op", &c, y, want, (size_t)m * n);
  if (T >= 2) assert_true(fb < ub);
  free(av), free(bv), free(gv), free(bev), free(hv), free(lv), free(mv), free(rv), free(want), free(w.wv);
  tsp_stream_free(&w.st);
}

/* The MLP's fused backward (host/train/mlp.c): bwd_data -> dh, GELU backward -> dpre, GELU forward
 * recomputing h from pre, bwd_weight of the top layer (dY and h), bwd_weight of the bottom one
 * (dpre and X, accumulated onto dW). Fused (with 4 tiles) it is a DAG of stages: dY is loaded once
 * and moved from the bwd_data tile to the top bwd_weight tile, h and dpre are moved from the GELU
 * tile; the three transients never reach DRAM. Every result against the functional models, bit
 * for bit, fused and op by op; the fused DRAM bytes are exactly the inputs read once, the weight
 * loads and dW. */
static void test_fusion_backward(void **state) {
  (void)state;
  const uint32_t d = 64, h = 64, q = 64; /* X: [m, d], W1: [h, d], W2: [q, h] */
  const uint32_t dpass = ttile_pass_d(TTILE_BWD_WEIGHT, 1u << 20, h, q);
  const uint32_t m = 3u * dpass * L + 5u; /* four token groups, the last one short */
  struct tproto_cmd c;
  struct wmat w1, w2;
  struct tfw_verr e;
  cmd_init(&c);
  rng = 5150;
  uint8_t dy = tensor(&c, TPROTO_DT_FP32, m, q), pre = tensor(&c, TPROTO_DT_FP32, m, h);
  uint8_t x = tensor(&c, TPROTO_DT_BF16, m, d);
  wmat_make(&w2, &c, q, h, 0.4, 31, 1);
  wmat_make(&w1, &c, h, d, 0.4, 32, 0);
  uint32_t g1 = w1.st.ngroups, g2 = w2.st.ngroups;
  uint8_t dw2 = tensor(&c, TPROTO_DT_FP32, g2, P), dw1 = tensor(&c, TPROTO_DT_FP32, g1, P);
  uint8_t dh = tensor(&c, TPROTO_DT_FP32, m, h), dpre = tensor(&c, TPROTO_DT_FP32, m, h), hh = tensor(&c, TPROTO_DT_FP32, m, h);
  const uint8_t tr[3] = {dh, dpre, hh};
  for (int i = 0; i < 3; i++) c.tensor[tr[i]].flags = TPROTO_TF_TRANSIENT;
  uint8_t o0 = op(&c, TPROTO_OP_LINEAR_BWD_DATA, 0, 4, dy, w2.ts, w2.tw, dh);
  lin_params(&c, o0, &w2);
  uint8_t o1 = op(&c, TPROTO_OP_GELU_BWD, 0, 3, pre, dh, dpre);
  c.op[o1].n_deps = 1, c.op[o1].dep[0] = o0;
  op(&c, TPROTO_OP_GELU_FWD, 0, 2, pre, hh);
  uint8_t o3 = op(&c, TPROTO_OP_LINEAR_BWD_WEIGHT, 0, 4, dy, hh, w2.ts, dw2);
  lin_params(&c, o3, &w2);
  c.op[o3].n_deps = 1, c.op[o3].dep[0] = 2;
  uint8_t o4 = op(&c, TPROTO_OP_LINEAR_BWD_WEIGHT, TPROTO_OPF_ACCUM, 4, dpre, x, w1.ts, dw1);
  lin_params(&c, o4, &w1);
  c.op[o4].n_deps = 1, c.op[o4].dep[0] = o1;
  uint32_t *dyv = fill(&c, dy, (size_t)m * q), *prev = fill(&c, pre, (size_t)m * h);
  uint32_t *xv = fill_bf16(&c, x, (size_t)m * d), *dw1_0 = fill(&c, dw1, (size_t)g1 * P);
  /* Reference: the functional models op by op. */
  uint32_t *dhv = calloc((size_t)m * h, 4), *dprev = malloc(4 * (size_t)m * h), *hv = malloc(4 * (size_t)m * h);
  uint32_t *want2 = calloc((size_t)g2 * P, 4), *want1 = malloc(4 * (size_t)g1 * P);
  memcpy(want1, dw1_0, 4 * (size_t)g1 * P);
  ttile_fn_bwd_data(&w2.st, w2.wv, dyv, m, dhv);
  tvec_gelu_bwd(prev, dhv, dprev, m * h);
  tvec_gelu_fwd(prev, hv, m * h);
  ttile_fn_bwd_weight(&w2.st, dyv, hv, m, L, ttile_pass_d(TTILE_BWD_WEIGHT, m, h, q), want2);
  ttile_fn_bwd_weight(&w1.st, dprev, xv, m, L, ttile_pass_d(TTILE_BWD_WEIGHT, m, d, h), want1);
  int fused = tfw_sched_plan_fused(&c, &e);
  assert_int_equal(fused, T >= 4 ? 1 : 0);
  uint32_t *poison = malloc(4 * (size_t)m * h), *back = malloc(4 * (size_t)m * h);
  for (size_t i = 0; i < (size_t)m * h; i++) poison[i] = 0x7fc00000u ^ (uint32_t)i;
  for (int i = 0; i < 3; i++) put(&c, tr[i], poison, 4 * (size_t)m * h);
  uint64_t b0 = dram_bytes(), c0 = tchip_now(pt.chip);
  uint32_t fused_runs = sched.stats.fused;
  run_ok(&c);
  uint64_t fused_bytes = dram_bytes() - b0, fused_cycles = tchip_now(pt.chip) - c0;
  assert_int_equal(sched.stats.fused - fused_runs, (uint32_t)fused);
  expect_tensor("dW2", &c, dw2, want2, (size_t)g2 * P);
  expect_tensor("dW1", &c, dw1, want1, (size_t)g1 * P);
  if (fused) {
    for (int i = 0; i < 3; i++) {
      get(&c, tr[i], back, 4 * (size_t)m * h);
      assert_memory_equal(back, poison, 4 * (size_t)m * h);
    }
    uint64_t wl = 4u + 4u * P; /* DRAM bytes of a weight-load group: the stream group and its values */
    uint64_t want_bytes = 4ull * m * q + 4ull * m * h + 2ull * m * d + 2u * g2 * wl + g1 * wl +
                          4ull * P * (g2 + 2u * g1); /* dW2 written; dW1 read and written */
    assert_int_equal(fused_bytes, want_bytes);
  }
  /* Op by op: the same bits (dW1 accumulates again from its initial value) */
  put(&c, dw1, dw1_0, 4 * (size_t)g1 * P);
  sched.allow_fusion = 0;
  b0 = dram_bytes(), c0 = tchip_now(pt.chip);
  run_ok(&c);
  uint64_t unfused_bytes = dram_bytes() - b0, unfused_cycles = tchip_now(pt.chip) - c0;
  sched.allow_fusion = 1;
  expect_tensor("dW2 op by op", &c, dw2, want2, (size_t)g2 * P);
  expect_tensor("dW1 op by op", &c, dw1, want1, (size_t)g1 * P);
  expect_tensor("dpre op by op", &c, dpre, dprev, (size_t)m * h);
  print_message("# backward chain m=%u: DRAM bytes fused %llu, op by op %llu; cycles (not asserted) %llu, %llu"
                " (fused: %d)\n", m, (unsigned long long)fused_bytes, (unsigned long long)unfused_bytes,
                (unsigned long long)fused_cycles, (unsigned long long)unfused_cycles, fused);
  if (fused) assert_true(2u * fused_bytes < unfused_bytes);
  free(dyv), free(prev), free(xv), free(dw1_0), free(dhv), free(dprev), free(hv), free(want1), free(want2);
  free(poison), free(back), free(w1.wv), free(w2.wv);
  tsp_stream_free(&w1.st), tsp_stream_free(&w2.st);
}

/* Commands the planner keeps op by op: no transient tensor; an intermediate read two stages later. */
static void test_no_fusion(void **state) {
  (void)state;
  struct tproto_cmd c;
  struct wmat w1, w2;
  struct tfw_verr e;
  uint8_t x, y;
  rng = 3;
  mlp_cmd(&c, &w1, &w2, 2 * L, 16, 16, &x, &y);
  for (uint32_t t = 0; t < c.n_tensors; t++) c.tensor[t].flags = 0;
  assert_int_equal(tfw_sched_plan_fused(&c, &e), 0);
  free(w1.wv), free(w2.wv);
  tsp_stream_free(&w1.st), tsp_stream_free(&w2.st);
}

/* --- The device firmware on the chip ---------------------------------------------------------- */
#ifndef SCHED_FW_ELF
#define SCHED_FW_ELF "build/default/fw/tessera_fw.elf"
#endif
#define RING_AT 0x1000ull
#define CMDS_AT 0x2000ull
#define CPLS_AT 0x10000ull
#define ALLOC_AT 0x20000ull
#define NCMD 4u
#define NCPL 4u

static void fw_run_until(uint32_t irq_or_state) {
  for (int i = 0; i < 2000; i++) {
    uint32_t v = 0;
    enum tchip_run_result r = tchip_run(pt.chip, 200000);
    if (r == TCHIP_RUN_EXIT || r == TCHIP_RUN_FAULT) fail_msg("firmware stopped: %d %s", (int)r, tchip_error(pt.chip));
    if (irq_or_state == 0xFFu) {
      assert_int_equal(tchip_hostif_read(pt.chip, TESSERA_HOSTIF_IRQ_OFFSET, &v), TCHIP_OK);
      if (v) {
        assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_IRQ_OFFSET, 0), TCHIP_OK);
        return;
      }
    } else {
      assert_int_equal(tchip_hostif_read(pt.chip, TESSERA_HOSTIF_FW_STATE_OFFSET, &v), TCHIP_OK);
      if (v == irq_or_state) return;
      if (v != TESSERA_FW_STATE_RESET) fail_msg("fw_state %u, want %u", v, irq_or_state);
    }
  }
  fail_msg("firmware did not answer");
}

static struct tproto_cpl fw_submit(struct tproto_cmd *c, uint32_t index) {
  struct tproto_cpl cpl;
  uint32_t head = index + 1u;
  c->seq = 100u + index;
  assert_int_equal(tchip_dram_write(pt.chip, CMDS_AT + (index % NCMD) * sizeof *c, c, sizeof *c), TCHIP_OK);
  assert_int_equal(tchip_dram_write(pt.chip, RING_AT + offsetof(struct tproto_ring, cmd_head), &head, 4), TCHIP_OK);
  assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_DOORBELL_OFFSET, head), TCHIP_OK);
  fw_run_until(0xFFu);
  assert_int_equal(tchip_dram_read(pt.chip, RING_AT + offsetof(struct tproto_ring, cpl_head), &head, 4), TCHIP_OK);
  assert_int_equal(head, index + 1u);
  assert_int_equal(tchip_dram_read(pt.chip, CPLS_AT + (index % NCPL) * sizeof cpl, &cpl, sizeof cpl), TCHIP_OK);
  uint32_t tail = index + 1u;
  assert_int_equal(tchip_dram_write(pt.chip, RING_AT + offsetof(struct tproto_ring, cpl_tail), &tail, 4), TCHIP_OK);
  assert_int_equal(cpl.seq, 100u + index);
  assert_int_equal(cpl.cmd_index, index);
  return cpl;
}

/* n commands into the ring at once (one doorbell), indices first..first+n-1; their completions. */
static void fw_submit_batch(struct tproto_cmd *c, uint32_t n, uint32_t first, struct tproto_cpl *cpl) {
  uint32_t head = first + n, done = first;
  for (uint32_t i = 0; i < n; i++) {
    c[i].seq = 100u + first + i;
    assert_int_equal(tchip_dram_write(pt.chip, CMDS_AT + ((first + i) % NCMD) * sizeof *c, &c[i], sizeof *c), TCHIP_OK);
  }
  assert_int_equal(tchip_dram_write(pt.chip, RING_AT + offsetof(struct tproto_ring, cmd_head), &head, 4), TCHIP_OK);
  assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_DOORBELL_OFFSET, head), TCHIP_OK);
  for (int k = 0; done != head && k < 100; k++) {
    fw_run_until(0xFFu);
    assert_int_equal(tchip_dram_read(pt.chip, RING_AT + offsetof(struct tproto_ring, cpl_head), &done, 4), TCHIP_OK);
  }
  assert_int_equal(done, head);
  for (uint32_t i = 0; i < n; i++) {
    assert_int_equal(tchip_dram_read(pt.chip, CPLS_AT + ((first + i) % NCPL) * sizeof *cpl, &cpl[i], sizeof *cpl), TCHIP_OK);
    assert_int_equal(cpl[i].seq, 100u + first + i);
    assert_int_equal(cpl[i].cmd_index, first + i);
  }
  assert_int_equal(tchip_dram_write(pt.chip, RING_AT + offsetof(struct tproto_ring, cpl_tail), &head, 4), TCHIP_OK);
}

/* Boot the firmware image, run the MLP chain (fused where the preset allows), an invalid command
 * and an unsupported one through the rings. */
static void test_firmware_on_chip(void **state) {
  (void)state;
  struct tproto_ring rc;
  struct tproto_cmd c;
  struct wmat w1, w2;
  uint8_t x, y;
  uint32_t m = 3 * L + 1, d = 32, h = 48;
  assert_int_equal(tchip_load_elf(pt.chip, SCHED_FW_ELF), TCHIP_OK);
  memset(&rc, 0, sizeof rc);
  rc.magic = TPROTO_RING_MAGIC;
  rc.version_major = TPROTO_VERSION_MAJOR;
  rc.version_minor = TPROTO_VERSION_MINOR;
  rc.cmd_base = CMDS_AT, rc.cmd_entries = NCMD, rc.cmd_stride = sizeof(struct tproto_cmd);
  rc.cpl_base = CPLS_AT, rc.cpl_entries = NCPL, rc.cpl_stride = sizeof(struct tproto_cpl);
  assert_int_equal(tchip_dram_write(pt.chip, RING_AT, &rc, sizeof rc), TCHIP_OK);
  rng = 99;
  mlp_cmd(&c, &w1, &w2, m, d, h, &x, &y); /* also sets allocs */
  assert_int_equal(tchip_dram_write(pt.chip, ALLOC_AT, &allocs, sizeof allocs), TCHIP_OK);
  assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_RING_LO_OFFSET, (uint32_t)RING_AT), TCHIP_OK);
  assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_RING_HI_OFFSET, 0), TCHIP_OK);
  assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_ALLOC_LO_OFFSET, (uint32_t)ALLOC_AT), TCHIP_OK);
  assert_int_equal(tchip_hostif_write(pt.chip, TESSERA_HOSTIF_ALLOC_HI_OFFSET, 0), TCHIP_OK);
  fw_run_until(TESSERA_FW_STATE_READY);
  uint32_t *want = mlp_want(&c, &w1, &w2, m, d, h, x), *zero = calloc((size_t)m * d, 4);
  struct tproto_cpl cpl = fw_submit(&c, 0);
  if (cpl.status != TPROTO_ST_OK)
    fail_msg("completion status %u error %u offset %u op %u", cpl.status, cpl.error, cpl.error_offset, cpl.error_op);
  assert_true(cpl.cycles > 0);
  expect_tensor("Y by the firmware", &c, y, want, (size_t)m * d);
  /* Invalid: nothing runs */
  struct tproto_cmd bad = c;
  bad.tensor[0].dtype = 0;
  cpl = fw_submit(&bad, 1);
  assert_int_equal(cpl.status, TPROTO_ST_INVALID);
  assert_int_equal(cpl.error, TPROTO_E_DTYPE);
  assert_int_equal(cpl.error_offset, OFF(tensor[0].dtype));
  /* Unsupported: an embedding op */
  struct tproto_cmd un;
  cmd_init(&un);
  uint8_t tab = tensor(&un, TPROTO_DT_FP32, 10, 8), ids = tensor(&un, TPROTO_DT_I32, 4, 0), yy = tensor(&un, TPROTO_DT_FP32, 4, 8);
  op(&un, TPROTO_OP_EMBED_FWD, 0, 3, tab, ids, yy);
  cpl = fw_submit(&un, 2);
  assert_int_equal(cpl.status, TPROTO_ST_FAILED);
  assert_int_equal(cpl.error, TPROTO_E_UNSUPPORTED);
  assert_int_equal(cpl.error_op, 0);
  /* And a good one again (the ring wraps later; here: the state survived) */
  put(&c, y, zero, 4 * (size_t)m * d);
  cpl = fw_submit(&c, 3);
  assert_int_equal(cpl.status, TPROTO_ST_OK);
  expect_tensor("Y again", &c, y, want, (size_t)m * d);
  /* Four commands in the ring at once: each next one is read, validated and planned while the one
   * before runs (tfw_ring_prefetch); the chain again (the cached plan and validation), the invalid
   * one, the chain, the unsupported one: the same answers as one at a time. */
  put(&c, y, zero, 4 * (size_t)m * d);
  struct tproto_cmd batch[4] = {c, bad, c, un};
  struct tproto_cpl cpls[4];
  fw_submit_batch(batch, 4, 4, cpls);
  assert_int_equal(cpls[0].status, TPROTO_ST_OK);
  assert_int_equal(cpls[1].status, TPROTO_ST_INVALID);
  assert_int_equal(cpls[1].error, TPROTO_E_DTYPE);
  assert_int_equal(cpls[1].error_offset, OFF(tensor[0].dtype));
  assert_int_equal(cpls[2].status, TPROTO_ST_OK);
  assert_int_equal(cpls[3].status, TPROTO_ST_FAILED);
  assert_int_equal(cpls[3].error, TPROTO_E_UNSUPPORTED);
  expect_tensor("Y in a batch", &c, y, want, (size_t)m * d);
  /* The same command over a changed allocation entry is validated again: refused. */
  allocs.entry[0].size -= 256u;
  assert_int_equal(tchip_dram_write(pt.chip, ALLOC_AT, &allocs, sizeof allocs), TCHIP_OK);
  cpl = fw_submit(&c, 8);
  assert_int_equal(cpl.status, TPROTO_ST_INVALID);
  assert_int_equal(cpl.error, TPROTO_E_ALLOC);
  allocs.entry[0].size += 256u;
  assert_int_equal(tchip_dram_write(pt.chip, ALLOC_AT, &allocs, sizeof allocs), TCHIP_OK);
  cpl = fw_submit(&c, 9);
  assert_int_equal(cpl.status, TPROTO_ST_OK);
  uint32_t st = 0;
  assert_int_equal(tchip_hostif_read(pt.chip, TESSERA_HOSTIF_FW_STATE_OFFSET, &st), TCHIP_OK);
  assert_int_equal(st, TESSERA_FW_STATE_READY);
  free(want), free(zero), free(w1.wv), free(w2.wv);
  tsp_stream_free(&w1.st), tsp_stream_free(&w2.st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_recip),
    cmocka_unit_test_setup_teardown(test_linear_fwd, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_linear_bwd_data, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_linear_bwd_weight, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_weight_chunks, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_vector_ops, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_xent_many_groups, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_dma_during_run, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_adamw_copy, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_unsupported, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_fusion, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_fusion_vector_stage, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_fusion_backward, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_no_fusion, chip_setup, chip_teardown),
    cmocka_unit_test_setup_teardown(test_firmware_on_chip, chip_setup, chip_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
