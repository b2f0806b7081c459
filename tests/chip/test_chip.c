/* The chip cmodel (sim/chip/, docs/chip.md): every DMA mode and endpoint on random data against a
 * reference computed here from the contract's formulas, refused descriptors and their codes, the
 * queue, the DMA timing formula on hand-computed cases, tile start/busy/done/error through the
 * registers against ttile_cm_exec on a copy, counter registers, hostif, the dram window, and two
 * bare-metal programs (firmware/tests/test_chip_*.c) run on the chip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../chip_rtl/link_case.h"
#include "tchip.h"
#include "tessera/gen/map.h"
#include "tessera/sparse.h"
#include "ttile_fn.h"

#define T TESSERA_CFG_TILES
#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define LBW TESSERA_CFG_LANE_BANK_WORDS

#ifndef CHIP_FW_DIR
#define CHIP_FW_DIR "build/default/fw"
#endif

/* ---- helpers ------------------------------------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static void wr(tchip *c, uint32_t addr, uint32_t v) {
  if (tchip_bus_write(c, addr, v) != 0) fail_msg("bus write 0x%08x: %s", addr, tchip_error(c));
}
static uint32_t rd(tchip *c, uint32_t addr) {
  uint32_t v = 0;
  if (tchip_bus_read(c, addr, &v) != 0) fail_msg("bus read 0x%08x: %s", addr, tchip_error(c));
  return v;
}

struct dma {
  uint64_t src, dst, aux;
  uint32_t rows, row_bytes, sstride, dstride;
  uint32_t sk, dk, mode, st, dt, lane0, bcast, pack, unpack;
};

static uint32_t dma_ctrl(const struct dma *d) {
  return d->sk << TESSERA_DMA_CTRL_SRC_KIND_SHIFT | d->dk << TESSERA_DMA_CTRL_DST_KIND_SHIFT |
         d->mode << TESSERA_DMA_CTRL_MODE_SHIFT | d->st << TESSERA_DMA_CTRL_SRC_TILE_SHIFT |
         d->dt << TESSERA_DMA_CTRL_DST_TILE_SHIFT | d->bcast << TESSERA_DMA_CTRL_BROADCAST_SHIFT |
         d->pack << TESSERA_DMA_CTRL_PACK16_SHIFT | d->unpack << TESSERA_DMA_CTRL_UNPACK16_SHIFT |
         d->lane0 << TESSERA_DMA_CTRL_LANE0_SHIFT;
}

#define DMA_REG(off) (TESSERA_DMA_BASE + (off))
#define TILE_REG(t, off) (TESSERA_TILE_ADDR(t) + (off))

static void dma_start(tchip *c, const struct dma *d) {
  wr(c, DMA_REG(TESSERA_DMA_SRC_LO_OFFSET), (uint32_t)d->src);
  wr(c, DMA_REG(TESSERA_DMA_SRC_HI_OFFSET), (uint32_t)(d->src >> 32));
  wr(c, DMA_REG(TESSERA_DMA_DST_LO_OFFSET), (uint32_t)d->dst);
  wr(c, DMA_REG(TESSERA_DMA_DST_HI_OFFSET), (uint32_t)(d->dst >> 32));
  wr(c, DMA_REG(TESSERA_DMA_AUX_LO_OFFSET), (uint32_t)d->aux);
  wr(c, DMA_REG(TESSERA_DMA_AUX_HI_OFFSET), (uint32_t)(d->aux >> 32));
  wr(c, DMA_REG(TESSERA_DMA_ROWS_OFFSET), d->rows);
  wr(c, DMA_REG(TESSERA_DMA_ROW_BYTES_OFFSET), d->row_bytes);
  wr(c, DMA_REG(TESSERA_DMA_SRC_STRIDE_OFFSET), d->sstride);
  wr(c, DMA_REG(TESSERA_DMA_DST_STRIDE_OFFSET), d->dstride);
  wr(c, DMA_REG(TESSERA_DMA_CTRL_OFFSET), dma_ctrl(d));
  wr(c, DMA_REG(TESSERA_DMA_START_OFFSET), TESSERA_DMA_START_GO_MASK);
}

static uint32_t dma_status(tchip *c) { return rd(c, DMA_REG(TESSERA_DMA_STATUS_OFFSET)); }
static uint32_t dma_code(tchip *c) {
  return (dma_status(c) & TESSERA_DMA_STATUS_CODE_MASK) >> TESSERA_DMA_STATUS_CODE_SHIFT;
}

/* Wait (polling like firmware) until `ticket` descriptors are done. */
static void dma_wait(tchip *c, uint32_t ticket) {
  for (int i = 0; i < 10000000; i++) {
    if ((int32_t)(rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)) - ticket) >= 0) return;
    tchip_advance(c, 7);
  }
  fail_msg("DMA ticket %u never done", ticket);
}

static uint64_t dma_bytes_reg(tchip *c) {
  uint32_t lo = rd(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_LO_OFFSET));
  return (uint64_t)rd(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_HI_OFFSET)) << 32 | lo;
}

static void fill(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

static void dram_put(tchip *c, uint64_t a, const void *p, uint64_t n) {
  assert_int_equal(tchip_dram_write(c, a, p, n), TCHIP_OK);
}
static void dram_get(tchip *c, uint64_t a, void *p, uint64_t n) {
  assert_int_equal(tchip_dram_read(c, a, p, n), TCHIP_OK);
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int setup(void **state) {
  tchip *c = tchip_new();
  if (!c) return -1;
  *state = c;
  return 0;
}
static int teardown(void **state) {
  tchip_free(*state);
  return 0;
}

/* ---- hostif, bus errors, window ------------------------------------------------------------------ */

static void hostif_registers(void **state) {
  tchip *c = *state;
  const uint32_t offs[] = {TESSERA_HOSTIF_DOORBELL_OFFSET, TESSERA_HOSTIF_RING_LO_OFFSET, TESSERA_HOSTIF_RING_HI_OFFSET,
                           TESSERA_HOSTIF_ALLOC_LO_OFFSET, TESSERA_HOSTIF_ALLOC_HI_OFFSET,
                           TESSERA_HOSTIF_TRAP_CAUSE_OFFSET, TESSERA_HOSTIF_TRAP_PC_OFFSET,
                           TESSERA_HOSTIF_TRAP_TVAL_OFFSET};
  for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    uint32_t v = rnd() | 0x80000001u, h = 0;
    assert_int_equal(rd(c, TESSERA_HOSTIF_BASE + offs[i]), 0);
    wr(c, TESSERA_HOSTIF_BASE + offs[i], v);
    assert_int_equal(rd(c, TESSERA_HOSTIF_BASE + offs[i]), v);
    assert_int_equal(tchip_hostif_read(c, offs[i], &h), TCHIP_OK);
    assert_int_equal(h, v);
    assert_int_equal(tchip_hostif_write(c, offs[i], ~v), TCHIP_OK);
    assert_int_equal(rd(c, TESSERA_HOSTIF_BASE + offs[i]), ~v);
  }
  /* Fields narrower than the word keep only their bits. */
  wr(c, TESSERA_HOSTIF_BASE + TESSERA_HOSTIF_FW_STATE_OFFSET, 0x1234501u);
  assert_int_equal(rd(c, TESSERA_HOSTIF_BASE + TESSERA_HOSTIF_FW_STATE_OFFSET), 0x01u);
  wr(c, TESSERA_HOSTIF_BASE + TESSERA_HOSTIF_IRQ_OFFSET, 3u);
  assert_int_equal(rd(c, TESSERA_HOSTIF_BASE + TESSERA_HOSTIF_IRQ_OFFSET), 1u);
  uint32_t v;
  assert_int_not_equal(tchip_bus_read(c, TESSERA_HOSTIF_BASE + TESSERA_HOSTIF_TRAP_TVAL_OFFSET + 4u, &v), 0);
  assert_non_null(strstr(tchip_error(c), "hostif"));
  assert_int_equal(tchip_hostif_read(c, 0x400, &v), TCHIP_E_ARG);
  tchip_reset(c);
  assert_int_equal(rd(c, TESSERA_HOSTIF_BASE + TESSERA_HOSTIF_IRQ_OFFSET), 0u);
}

static void bus_errors(void **state) {
  tchip *c = *state;
  uint32_t v;
  /* wo reads, ro writes, holes, tiles beyond the preset, misaligned and unmapped addresses. */
  assert_int_not_equal(tchip_bus_read(c, DMA_REG(TESSERA_DMA_START_OFFSET), &v), 0);
  assert_int_not_equal(tchip_bus_read(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), &v), 0);
  assert_int_not_equal(tchip_bus_write(c, DMA_REG(TESSERA_DMA_STATUS_OFFSET), 1), 0);
  assert_int_not_equal(tchip_bus_write(c, DMA_REG(TESSERA_DMA_DONE_OFFSET), 1), 0);
  assert_int_not_equal(tchip_bus_write(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_LO_OFFSET), 1), 0);
  assert_int_not_equal(tchip_bus_read(c, DMA_REG(0x03c), &v), 0);
  assert_int_not_equal(tchip_bus_read(c, TILE_REG(0, TESSERA_TILE_START_OFFSET), &v), 0);
  assert_int_not_equal(tchip_bus_read(c, TILE_REG(0, TESSERA_TILE_CLEAR_OFFSET), &v), 0);
  assert_int_not_equal(tchip_bus_write(c, TILE_REG(0, TESSERA_TILE_STATUS_OFFSET), 1), 0);
  assert_int_not_equal(tchip_bus_write(c, TILE_REG(0, TESSERA_TILE_CNT_MACS_HI_OFFSET), 1), 0);
  assert_int_not_equal(tchip_bus_read(c, TILE_REG(0, 0x034), &v), 0);
  assert_int_not_equal(tchip_bus_read(c, TESSERA_TILE_ADDR(T), &v), 0);
  assert_int_not_equal(tchip_bus_read(c, TESSERA_HOSTIF_BASE + 2u, &v), 0);
  assert_int_not_equal(tchip_bus_write(c, 0x40000000u, 1), 0);
  assert_non_null(strstr(tchip_error(c), "0x40000000"));
  /* The last tile exists. */
  wr(c, TILE_REG(T - 1, TESSERA_TILE_COLS_OFFSET), 77);
  assert_int_equal(rd(c, TILE_REG(T - 1, TESSERA_TILE_COLS_OFFSET)), 77);
}

static void dram_window(void **state) {
  tchip *c = *state;
  uint64_t a = (uint64_t)TESSERA_CFG_DRAM_BYTES - 8u;
  uint64_t t0 = tchip_now(c);
  wr(c, TESSERA_DRAM_BASE + (uint32_t)a, 0xfeedbeefu);
  assert_true(tchip_now(c) == t0 + 1u + TESSERA_CFG_DRAM_LATENCY);
  uint8_t b[4];
  dram_get(c, a, b, 4);
  assert_int_equal(le32(b), 0xfeedbeefu);
  b[0] = 0x11;
  dram_put(c, a + 4u, b, 4);
  assert_int_equal(rd(c, TESSERA_DRAM_BASE + (uint32_t)a + 4u), le32(b));
  struct tchip_counters k;
  tchip_counters(c, &k);
  assert_true(k.window_bytes == 8 && k.dram_bytes == 8 && k.dma_dram_bytes == 0);
  /* The DMEM is the controller's: reads and writes through the bus reach it. */
  wr(c, TESSERA_DMEM_BASE + 64u, 0x12345678u);
  assert_int_equal(rd(c, TESSERA_DMEM_BASE + 64u), 0x12345678u);
}

/* ---- DMA modes and endpoints ------------------------------------------------------------------------ */

static void dma_copy_dram(void **state) {
  tchip *c = *state;
  for (int it = 0; it < 8; it++) {
    struct dma d = {0};
    d.rows = 1 + rnd() % 9;
    d.row_bytes = 4u * (1 + rnd() % 40);
    d.sstride = d.row_bytes + 4u * (rnd() % 5);
    d.dstride = d.row_bytes + 4u * (rnd() % 7);
    d.src = 4096u * (1 + rnd() % 16);
    d.dst = 1u << 20;
    uint64_t sspan = (uint64_t)(d.rows - 1) * d.sstride + d.row_bytes;
    uint64_t dspan = (uint64_t)(d.rows - 1) * d.dstride + d.row_bytes;
    uint8_t *src = malloc(sspan), *before = malloc(dspan), *after = malloc(dspan);
    fill(src, sspan);
    fill(before, dspan);
    dram_put(c, d.src, src, sspan);
    dram_put(c, d.dst, before, dspan);
    uint64_t bytes0 = dma_bytes_reg(c);
    uint32_t done0 = rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET));
    dma_start(c, &d);
    assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0);
    dma_wait(c, done0 + 1);
    dram_get(c, d.dst, after, dspan);
    for (uint32_t r = 0; r < d.rows; r++) {
      memcpy(before + (uint64_t)r * d.dstride, src + (uint64_t)r * d.sstride, d.row_bytes);
    }
    assert_memory_equal(after, before, dspan); /* rows copied, gaps untouched */
    assert_true(dma_bytes_reg(c) - bytes0 == 2ull * d.rows * d.row_bytes);
    assert_int_equal(dma_status(c) & (TESSERA_DMA_STATUS_BUSY_MASK | TESSERA_DMA_STATUS_QUEUED_MASK), 0);
    free(src), free(before), free(after);
  }
}

/* Where DMA row r of a bank endpoint lives: docs/chip.md, "bank endpoints". */
static const uint32_t *bank_row(struct ttile_state *ts, uint32_t a, uint32_t stride, uint32_t lane0, uint32_t r) {
  uint32_t l = (lane0 + r) % L, q = (lane0 + r) / L;
  return &ts->bank[l][a + q * (stride / 4u)];
}

static void dma_bank_lane_interleave(void **state) {
  tchip *c = *state;
  for (int it = 0; it < 4; it++) {
    uint32_t t = rnd() % T, words = 1 + rnd() % 12, kn = words + rnd() % 5, lane0 = 1 + rnd() % (L > 1 ? L - 1 : 1);
    struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .dt = t, .lane0 = lane0};
    d.rows = 1 + rnd() % (3 * L);
    d.row_bytes = 4u * words;
    d.sstride = d.row_bytes;
    d.dstride = 4u * kn;
    d.dst = rnd() % 7; /* bank word */
    d.src = 8192;
    uint64_t n = (uint64_t)d.rows * d.row_bytes;
    uint8_t *src = malloc(n), *back = malloc(n);
    fill(src, n);
    dram_put(c, d.src, src, n);
    uint32_t done0 = rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET));
    dma_start(c, &d);
    dma_wait(c, done0 + 1);
    struct ttile_state *ts = tchip_tile(c, t);
    for (uint32_t r = 0; r < d.rows; r++) {
      const uint32_t *w = bank_row(ts, (uint32_t)d.dst, d.dstride, lane0, r);
      for (uint32_t i = 0; i < words; i++) assert_int_equal(w[i], le32(src + (uint64_t)r * d.row_bytes + 4u * i));
    }
    /* And back out with the bank as the source, to another place. */
    struct dma e = {.sk = TESSERA_DMA_KIND_BANK, .dk = TESSERA_DMA_KIND_DRAM, .st = t, .lane0 = lane0};
    e.rows = d.rows, e.row_bytes = d.row_bytes, e.sstride = d.dstride, e.dstride = d.row_bytes;
    e.src = d.dst, e.dst = 65536;
    dma_start(c, &e);
    dma_wait(c, done0 + 2);
    dram_get(c, e.dst, back, n);
    assert_memory_equal(back, src, n);
    free(src), free(back);
  }
}

static void dma_broadcast(void **state) {
  tchip *c = *state;
  uint32_t t = T - 1, words = 5;
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .dt = t, .bcast = 1};
  d.rows = 3, d.row_bytes = 4u * words, d.sstride = d.row_bytes, d.dstride = 4u * 8u, d.dst = LBW - 3u * 8u;
  d.src = 4096;
  uint8_t src[60];
  fill(src, sizeof src);
  dram_put(c, d.src, src, sizeof src);
  uint32_t done0 = rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET));
  dma_start(c, &d);
  dma_wait(c, done0 + 1);
  struct ttile_state *ts = tchip_tile(c, t);
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t r = 0; r < d.rows; r++)
      for (uint32_t i = 0; i < words; i++)
        assert_int_equal(ts->bank[l][d.dst + r * 8u + i], le32(src + r * d.row_bytes + 4u * i));
  /* One word further is outside the bank: refused with code 4. */
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  d.dst += 4u;
  dma_start(c, &d);
  assert_int_equal(dma_code(c), 4);
}

static void dma_dmem(void **state) {
  tchip *c = *state;
  uint8_t src[512], mid[512], back[512];
  fill(src, sizeof src);
  dram_put(c, 0x3000, src, sizeof src);
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DMEM, .rows = 4, .row_bytes = 128,
                  .sstride = 128, .dstride = 128, .src = 0x3000, .dst = 0x800};
  dma_start(c, &d);
  dma_wait(c, 1);
  assert_int_equal(tiss_read_mem(tchip_iss(c), TESSERA_DMEM_BASE + 0x800, mid, sizeof mid), 0);
  assert_memory_equal(mid, src, sizeof src);
  struct dma e = {.sk = TESSERA_DMA_KIND_DMEM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 512,
                  .src = 0x800, .dst = 0x9000};
  dma_start(c, &e);
  dma_wait(c, 2);
  dram_get(c, 0x9000, back, sizeof back);
  assert_memory_equal(back, src, sizeof src);
  /* DMEM-only transfers move no DRAM bytes: 2 * 512 so far. */
  assert_true(dma_bytes_reg(c) == 1024);
  /* Beyond the DMEM: refused. */
  e.src = TESSERA_DMEM_SIZE - 256u;
  dma_start(c, &e);
  assert_int_equal(dma_code(c), 4);
}

static void dma_gbuf(void **state) {
  tchip *c = *state;
  uint32_t t = 0, rows = 6;
  uint8_t src[6 * 4 * P], back[6 * 4 * P];
  fill(src, sizeof src);
  dram_put(c, 0x4000, src, sizeof src);
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_GBUF, .dt = t, .rows = rows,
                  .row_bytes = 4u * P, .sstride = 4u * P, .src = 0x4000, .dst = TTILE_GROUPS - rows};
  dma_start(c, &d);
  dma_wait(c, 1);
  struct ttile_state *ts = tchip_tile(c, t);
  for (uint32_t r = 0; r < rows; r++)
    for (uint32_t p = 0; p < P; p++) assert_int_equal(ts->gbuf[TTILE_GROUPS - rows + r][p], le32(src + (r * P + p) * 4u));
  struct dma e = {.sk = TESSERA_DMA_KIND_GBUF, .dk = TESSERA_DMA_KIND_DRAM, .st = t, .rows = rows,
                  .row_bytes = 4u * P, .dstride = 4u * P, .src = TTILE_GROUPS - rows, .dst = 0x5000};
  dma_start(c, &e);
  dma_wait(c, 2);
  dram_get(c, 0x5000, back, sizeof back);
  assert_memory_equal(back, src, sizeof src);
  /* A row is exactly P words; one entry too many is outside. */
  e.row_bytes = 4u * P + 4u;
  dma_start(c, &e);
  assert_int_equal(dma_code(c), 4);
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  e.row_bytes = 4u * P, e.src = TTILE_GROUPS - rows + 1u;
  dma_start(c, &e);
  assert_int_equal(dma_code(c), 4);
}

static void dma_wload(void **state) {
  tchip *c = *state;
  uint32_t t = T > 1 ? 1 : 0, rows = 9, gb = 4u + 2u * P, vb = 2u * P;
  uint8_t grp[9 * (4 + 2 * P)], val[9 * 2 * P];
  fill(grp, sizeof grp);
  fill(val, sizeof val);
  dram_put(c, 0x6000, grp, sizeof grp);
  dram_put(c, 0x7002, val, sizeof val); /* bf16 values need only 2-byte alignment */
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_WBUF, .mode = TESSERA_DMA_MODE_WLOAD, .dt = t,
                  .rows = rows, .src = 0x6000, .aux = 0x7002, .dst = 3};
  uint64_t b0 = dma_bytes_reg(c);
  dma_start(c, &d);
  assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0);
  dma_wait(c, 1);
  struct ttile_state *ts = tchip_tile(c, t);
  for (uint32_t g = 0; g < rows; g++) {
    const uint8_t *G = grp + g * gb;
    assert_int_equal(ts->wb_hdr[3 + g], (uint32_t)le16(G) | (uint32_t)G[2] << 16);
    for (uint32_t p = 0; p < P; p++)
      assert_int_equal(ts->wb_slot[3 + g][p], (uint32_t)le16(G + 4 + 2 * p) << 16 | le16(val + g * vb + 2 * p));
  }
  assert_true(dma_bytes_reg(c) - b0 == (uint64_t)rows * (gb + vb));
  /* wload only from DRAM to the weight buffer; the weight buffer only by wload. */
  d.sk = TESSERA_DMA_KIND_DMEM;
  dma_start(c, &d);
  assert_int_equal(dma_code(c), 2);
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  struct dma e = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_WBUF, .rows = 1, .row_bytes = 4};
  dma_start(c, &e);
  assert_int_equal(dma_code(c), 2);
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  d.sk = TESSERA_DMA_KIND_DRAM, d.dst = TTILE_GROUPS - rows + 1u;
  dma_start(c, &d);
  assert_int_equal(dma_code(c), 4);
}

static void dma_pack_unpack(void **state) {
  tchip *c = *state;
  uint32_t rows = 5, words = 6;
  uint8_t src[5 * 6 * 4], packed[5 * 6 * 2], back[5 * 6 * 4];
  fill(src, sizeof src);
  dram_put(c, 0x10000, src, sizeof src);
  /* fp32 rows -> bf16 rows (high halves), destination stride in bf16 bytes. */
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .pack = 1, .rows = rows,
                  .row_bytes = 4u * words, .sstride = 4u * words, .dstride = 2u * words + 2u, .src = 0x10000,
                  .dst = 0x20002};
  uint64_t b0 = dma_bytes_reg(c);
  dma_start(c, &d);
  assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0);
  dma_wait(c, 1);
  assert_true(dma_bytes_reg(c) - b0 == (uint64_t)rows * words * 6u);
  for (uint32_t r = 0; r < rows; r++) {
    dram_get(c, d.dst + r * d.dstride, packed + r * 2u * words, 2u * words);
    for (uint32_t i = 0; i < words; i++)
      assert_int_equal(le16(packed + (r * words + i) * 2u), le32(src + (r * words + i) * 4u) >> 16);
  }
  /* bf16 rows -> bank words (value << 16), then out again as words. */
  dram_put(c, 0x30000, packed, sizeof packed);
  struct dma e = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .unpack = 1, .rows = rows,
                  .row_bytes = 4u * words, .sstride = 2u * words, .dstride = 4u * words, .dst = 0};
  e.src = 0x30000;
  dma_start(c, &e);
  dma_wait(c, 2);
  struct ttile_state *ts = tchip_tile(c, 0);
  for (uint32_t r = 0; r < rows; r++)
    for (uint32_t i = 0; i < words; i++)
      assert_int_equal(bank_row(ts, 0, e.dstride, 0, r)[i], (uint32_t)le16(packed + (r * words + i) * 2u) << 16);
  struct dma f = {.sk = TESSERA_DMA_KIND_BANK, .dk = TESSERA_DMA_KIND_DRAM, .rows = rows, .row_bytes = 4u * words,
                  .sstride = 4u * words, .dstride = 4u * words, .src = 0, .dst = 0x40000};
  dma_start(c, &f);
  dma_wait(c, 3);
  dram_get(c, 0x40000, back, sizeof back);
  for (uint32_t i = 0; i < rows * words; i++) assert_int_equal(le32(back + 4u * i), le32(src + 4u * i) & 0xffff0000u);
  /* The bf16 side must be byte-addressed; both flags at once is not a mode. */
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  f.pack = 1, f.dk = TESSERA_DMA_KIND_BANK, f.dt = 0;
  dma_start(c, &f);
  assert_int_equal(dma_code(c), 2);
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  d.unpack = 1;
  dma_start(c, &d);
  assert_int_equal(dma_code(c), 2);
}

static void dma_gather(void **state) {
  tchip *c = *state;
  uint32_t vocab = 10, rb = 24, rows = 7;
  uint8_t table[10 * 24], out[7 * 24], idxb[7 * 4];
  int32_t idx[7] = {3, 0, 9, -1, 4, 10, 3};
  fill(table, sizeof table);
  dram_put(c, 0x50000, table, sizeof table);
  for (uint32_t r = 0; r < rows; r++)
    for (int b = 0; b < 4; b++) idxb[4 * r + (uint32_t)b] = (uint8_t)((uint32_t)idx[r] >> (8 * b));
  dram_put(c, 0x51000, idxb, sizeof idxb);
  memset(out, 0xee, sizeof out);
  dram_put(c, 0x52000, out, sizeof out);
  /* The source endpoint is the table: DRAM of vocab rows; the rule is the DRAM's bounds. Make it
   * the DMEM instead to have a small endpoint: rows outside it are written as zeros. */
  assert_int_equal(tiss_write_mem(tchip_iss(c), TESSERA_DMEM_BASE + TESSERA_DMEM_SIZE - sizeof table, table,
                                  sizeof table), 0);
  struct dma d = {.sk = TESSERA_DMA_KIND_DMEM, .dk = TESSERA_DMA_KIND_DRAM, .mode = TESSERA_DMA_MODE_GATHER,
                  .rows = rows, .row_bytes = rb, .sstride = rb, .dstride = rb,
                  .src = TESSERA_DMEM_SIZE - sizeof table, .aux = 0x51000, .dst = 0x52000};
  uint64_t b0 = dma_bytes_reg(c);
  dma_start(c, &d);
  assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0); /* accepted */
  dma_wait(c, 1);
  assert_int_equal(dma_code(c), 4);                                    /* a bad index */
  assert_int_not_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0);
  dram_get(c, 0x52000, out, sizeof out);
  for (uint32_t r = 0; r < rows; r++) {
    if (idx[r] < 0 || (uint32_t)idx[r] >= vocab) {
      for (uint32_t i = 0; i < rb; i++) assert_int_equal(out[r * rb + i], 0);
    } else {
      assert_memory_equal(out + r * rb, table + (uint32_t)idx[r] * rb, rb);
    }
  }
  /* DRAM bytes: the indices and the written rows (the source is the DMEM). */
  assert_true(dma_bytes_reg(c) - b0 == 4u * rows + (uint64_t)rows * rb);
  (void)vocab;
  /* From the DRAM: every index inside. */
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  idx[3] = 1, idx[5] = 2;
  for (uint32_t r = 0; r < rows; r++)
    for (int b = 0; b < 4; b++) idxb[4 * r + (uint32_t)b] = (uint8_t)((uint32_t)idx[r] >> (8 * b));
  dram_put(c, 0x51000, idxb, sizeof idxb);
  d.sk = TESSERA_DMA_KIND_DRAM, d.src = 0x50000;
  dma_start(c, &d);
  dma_wait(c, 2);
  assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0);
  dram_get(c, 0x52000, out, sizeof out);
  for (uint32_t r = 0; r < rows; r++) assert_memory_equal(out + r * rb, table + (uint32_t)idx[r] * rb, rb);
}

static void dma_refused(void **state) {
  tchip *c = *state;
  struct {
    struct dma d;
    uint32_t code;
  } cases[] = {
    {{.sk = 7, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 4}, 2},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .mode = 3, .rows = 1, .row_bytes = 4}, 2},
    {{.sk = TESSERA_DMA_KIND_WBUF, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 4}, 2},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .bcast = 1, .rows = 1, .row_bytes = 4}, 2},
    {{.sk = TESSERA_DMA_KIND_BANK, .dk = TESSERA_DMA_KIND_DRAM, .mode = TESSERA_DMA_MODE_GATHER, .rows = 1,
      .row_bytes = 4}, 2},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .dt = T, .rows = 1, .row_bytes = 4}, 3},
    {{.sk = TESSERA_DMA_KIND_GBUF, .dk = TESSERA_DMA_KIND_DRAM, .st = 63, .rows = 1, .row_bytes = 4u * P}, 3},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 0, .row_bytes = 4}, 4},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 0}, 4},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 2, .row_bytes = 64, .sstride = 64,
      .src = TESSERA_CFG_DRAM_BYTES - 64}, 4},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 8, .dst = 1ull << 40}, 4},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .rows = L + 1, .row_bytes = 4, .dstride = 4u * LBW / 2u,
      .dst = LBW / 2u}, 4},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 6}, 5},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 8, .src = 2}, 5},
    {{.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .rows = 2, .row_bytes = 8, .dstride = 6}, 5},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t done0 = rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET));
    wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
    assert_int_equal(dma_status(c), 0);
    dma_start(c, &cases[i].d);
    uint32_t s = dma_status(c);
    if (!(s & TESSERA_DMA_STATUS_ERROR_MASK) || dma_code(c) != cases[i].code)
      fail_msg("case %u: status 0x%08x, want code %u", i, s, cases[i].code);
    assert_int_equal(s & (TESSERA_DMA_STATUS_BUSY_MASK | TESSERA_DMA_STATUS_QUEUED_MASK), 0);
    tchip_advance(c, 1000);
    assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)), done0);
  }
  /* The code is the first error's until cleared; a good descriptor does not clear it. */
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  dma_start(c, &cases[5].d);
  dma_start(c, &cases[0].d);
  assert_int_equal(dma_code(c), 3);
  struct dma ok = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 4, .dst = 64};
  dma_start(c, &ok);
  dma_wait(c, rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)) + 1);
  assert_int_equal(dma_code(c), 3);
  wr(c, DMA_REG(TESSERA_DMA_CLEAR_OFFSET), 1);
  assert_int_equal(dma_status(c), 0);
}

static void dma_queue_full(void **state) {
  tchip *c = *state;
  /* Large transfers so the queue cannot drain while the registers are written. */
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 64, .row_bytes = 4096,
                  .sstride = 4096, .dstride = 4096, .dst = 1u << 20};
  for (int i = 0; i < 4; i++) dma_start(c, &d);
  uint32_t s = dma_status(c);
  assert_int_equal(s & TESSERA_DMA_STATUS_ERROR_MASK, 0);
  assert_int_equal((s & TESSERA_DMA_STATUS_QUEUED_MASK) >> TESSERA_DMA_STATUS_QUEUED_SHIFT, 4);
  assert_int_not_equal(s & TESSERA_DMA_STATUS_BUSY_MASK, 0);
  dma_start(c, &d);
  assert_int_equal(dma_code(c), 1);
  assert_int_equal((dma_status(c) & TESSERA_DMA_STATUS_QUEUED_MASK) >> TESSERA_DMA_STATUS_QUEUED_SHIFT, 4);
  dma_wait(c, 4);
  tchip_advance(c, 1u << 20);
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)), 4); /* the refused one never runs */
  assert_int_equal(dma_status(c) & (TESSERA_DMA_STATUS_BUSY_MASK | TESSERA_DMA_STATUS_QUEUED_MASK), 0);
}

/* dma.dram_bytes_hi reads the value latched by the last read of _lo: past 2^32 bytes it still
 * reads 0 until _lo is read. One descriptor moves 2^32 + 2^16 bytes (the DMEM row, 65537 times, to
 * one DRAM place). */
static void dma_counter_latch(void **state) {
  tchip *c = *state;
  struct dma d = {.sk = TESSERA_DMA_KIND_DMEM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 65537, .row_bytes = 65536};
  dma_start(c, &d);
  assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_ERROR_MASK, 0);
  /* Past its end, whichever side (DRAM or on-chip) is slower. */
  uint64_t bpc = TESSERA_CFG_DRAM_BYTES_PER_CYCLE < TESSERA_CFG_DMA_BYTES_PER_CYCLE ? TESSERA_CFG_DRAM_BYTES_PER_CYCLE
                                                                                  : TESSERA_CFG_DMA_BYTES_PER_CYCLE;
  tchip_advance(c, 65537ull * 65536u / bpc + 1000000u);
  dma_wait(c, 1);
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_HI_OFFSET)), 0);
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_LO_OFFSET)), 65536);
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_HI_OFFSET)), 1);
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DRAM_BYTES_HI_OFFSET)), 1);
}

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1u) / b; }

/* docs/chip.md: a descriptor starts when queued (or when the one before it finishes); its DRAM bytes
 * take latency + bytes / dram_bytes_per_cycle on the DRAM channel, its on-chip side
 * bytes / dma_bytes_per_cycle; it finishes one cycle after the later. */
static void dma_timing_by_hand(void **state) {
  tchip *c = *state;
  const uint64_t lat = TESSERA_CFG_DRAM_LATENCY, dbw = TESSERA_CFG_DRAM_BYTES_PER_CYCLE,
                 cbw = TESSERA_CFG_DMA_BYTES_PER_CYCLE;
  /* A: DRAM -> bank, 8 rows of 256 bytes (2048 bytes each side). */
  struct dma a = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .rows = 8, .row_bytes = 256,
                  .sstride = 256, .dstride = 256};
  /* B: DRAM -> DRAM, 1 row of 1000 bytes: 2000 DRAM bytes, no on-chip side. */
  struct dma b = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_DRAM, .rows = 1, .row_bytes = 1000,
                  .src = 4096, .dst = 8192};
  dma_start(c, &a); /* the start write is the last access of dma_start */
  uint64_t ta = tchip_now(c) - 1u;
  uint64_t a_dram = ta + lat + ceil_div(2048, dbw), a_chip = ta + ceil_div(2048, cbw);
  uint64_t fa = (a_dram > a_chip ? a_dram : a_chip) + 1u;
  dma_start(c, &b);
  /* B starts at fa; the channel is free by then (A's data ended at a_dram < fa). */
  uint64_t fb = fa + lat + ceil_div(2000, dbw) + 1u;
  assert_true(tchip_now(c) < fa);
  tchip_advance(c, fa - 1u - tchip_now(c));
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)), 0); /* read at fa - 1 */
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)), 1); /* read at fa */
  tchip_advance(c, fb - 1u - tchip_now(c));
  assert_int_not_equal(dma_status(c) & TESSERA_DMA_STATUS_BUSY_MASK, 0);
  assert_int_equal(dma_status(c) & TESSERA_DMA_STATUS_BUSY_MASK, 0);
  assert_int_equal(rd(c, DMA_REG(TESSERA_DMA_DONE_OFFSET)), 2);
  struct tchip_counters k;
  tchip_counters(c, &k);
  assert_true(k.dma_busy == fb - ta);
  assert_true(k.dma_dram_bytes == 4048 && k.dma_descriptors == 2);
}

/* ---- tiles --------------------------------------------------------------------------------------------- */

static void tile_desc_write(tchip *c, unsigned t, const struct ttile_desc *d) {
  wr(c, TILE_REG(t, TESSERA_TILE_KERNEL_OFFSET), d->kernel);
  wr(c, TILE_REG(t, TESSERA_TILE_K_OFFSET), d->k);
  wr(c, TILE_REG(t, TESSERA_TILE_KN_OFFSET), d->kn);
  wr(c, TILE_REG(t, TESSERA_TILE_NTOK_OFFSET), d->ntok);
  wr(c, TILE_REG(t, TESSERA_TILE_TPL_OFFSET), d->tpl);
  wr(c, TILE_REG(t, TESSERA_TILE_NGROUPS_OFFSET), d->ngroups);
  wr(c, TILE_REG(t, TESSERA_TILE_OFF_A_OFFSET), d->off_a);
  wr(c, TILE_REG(t, TESSERA_TILE_OFF_B_OFFSET), d->off_b);
  wr(c, TILE_REG(t, TESSERA_TILE_OFF_C_OFFSET), d->off_c);
  wr(c, TILE_REG(t, TESSERA_TILE_OFF_D_OFFSET), d->off_d);
  wr(c, TILE_REG(t, TESSERA_TILE_COLS_OFFSET), d->cols);
  wr(c, TILE_REG(t, TESSERA_TILE_PARAM_OFFSET), d->param);
  wr(c, TILE_REG(t, TESSERA_TILE_ROW0_OFFSET), d->row0);
  const uint32_t soff[8] = {TESSERA_TILE_S0_OFFSET, TESSERA_TILE_S1_OFFSET, TESSERA_TILE_S2_OFFSET,
                            TESSERA_TILE_S3_OFFSET, TESSERA_TILE_S4_OFFSET, TESSERA_TILE_S5_OFFSET,
                            TESSERA_TILE_S6_OFFSET, TESSERA_TILE_S7_OFFSET};
  for (int i = 0; i < 8; i++) wr(c, TILE_REG(t, soff[i]), d->s[i]);
}

static uint32_t tile_status(tchip *c, unsigned t) { return rd(c, TILE_REG(t, TESSERA_TILE_STATUS_OFFSET)); }
static uint64_t tile_cnt(tchip *c, unsigned t, uint32_t lo_off, uint32_t hi_off) {
  uint32_t lo = rd(c, TILE_REG(t, lo_off));
  return (uint64_t)rd(c, TILE_REG(t, hi_off)) << 32 | lo;
}

static void tile_registers(void **state) {
  tchip *c = *state;
  unsigned t = T - 1;
  struct ttile_desc d;
  uint32_t *w = (uint32_t *)&d;
  for (size_t i = 0; i < sizeof d / 4; i++) w[i] = rnd();
  tile_desc_write(c, t, &d);
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_KERNEL_OFFSET)), d.kernel);
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_ROW0_OFFSET)), d.row0);
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_S7_OFFSET)), d.s[7]);
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_OFF_D_OFFSET)), d.off_d);
  assert_int_equal(tile_status(c, t), 0);
  /* An unknown kernel: code 2, nothing runs. */
  wr(c, TILE_REG(t, TESSERA_TILE_KERNEL_OFFSET), TESSERA_TILE_KERNEL_CODE_MASK);
  wr(c, TILE_REG(t, TESSERA_TILE_START_OFFSET), 1);
  assert_int_equal(tile_status(c, t), TESSERA_TILE_STATUS_ERROR_MASK | 2u << TESSERA_TILE_STATUS_CODE_SHIFT);
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_DONE_OFFSET)), 0);
  /* Writing start without the go bit does nothing; clear takes the error away. */
  wr(c, TILE_REG(t, TESSERA_TILE_START_OFFSET), 0);
  wr(c, TILE_REG(t, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_ERROR_MASK);
  assert_int_equal(tile_status(c, t), 0);
}

/* An `add` run through the registers, compared with ttile_cm_exec on a copy of the memories. */
static void tile_run_add(void **state) {
  tchip *c = *state;
  unsigned t = 0;
  uint32_t cols = 13, kn = 3 * cols + 2, ntok = 2 * L + 1;
  struct ttile_desc d = {0};
  d.kernel = TESSERA_TILE_KERNEL_ADD;
  d.kn = kn, d.ntok = ntok, d.tpl = (ntok + L - 1) / L, d.cols = cols;
  d.off_a = 0, d.off_b = cols, d.off_c = 2 * cols;
  /* A and B by DMA: row r's region holds A then B. */
  uint64_t n = (uint64_t)ntok * 2u * cols * 4u;
  uint8_t *ab = malloc(n);
  for (uint64_t i = 0; i < n / 4u; i++) {
    uint32_t f = 0x3f800000u + (rnd() & 0x7fffffu) - (rnd() & 1u) * 0x800000u; /* values near 1 */
    memcpy(ab + 4u * i, &f, 4);
  }
  dram_put(c, 0x1000, ab, n);
  struct dma in = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .rows = ntok, .row_bytes = 8u * cols,
                   .sstride = 8u * cols, .dstride = 4u * kn, .src = 0x1000};
  dma_start(c, &in);
  dma_wait(c, 1);
  tile_desc_write(c, t, &d);
  /* The reference: the same run on a copy. */
  struct ttile_state *ref = malloc(sizeof *ref);
  memcpy(ref, tchip_tile(c, t), sizeof *ref);
  struct ttile_counters rc;
  memset(&rc, 0, sizeof rc);
  assert_int_equal(ttile_cm_exec(ref, &d, &rc), 0);
  assert_true(rc.cycles >= 8);
  wr(c, TILE_REG(t, TESSERA_TILE_START_OFFSET), 1);
  uint64_t t0 = tchip_now(c) - 1u;
  assert_int_equal(tile_status(c, t), TESSERA_TILE_STATUS_BUSY_MASK);
  /* A second start while busy: code 1, the run goes on. */
  wr(c, TILE_REG(t, TESSERA_TILE_START_OFFSET), 1);
  assert_int_equal(tile_status(c, t),
                   TESSERA_TILE_STATUS_BUSY_MASK | TESSERA_TILE_STATUS_ERROR_MASK | 1u << TESSERA_TILE_STATUS_CODE_SHIFT);
  wr(c, TILE_REG(t, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_ERROR_MASK);
  /* The results are not in the tile's memories before the run ends. */
  assert_int_equal(tchip_tile(c, t)->bank[0][2 * cols], 0);
  if (tchip_now(c) < t0 + rc.cycles - 2u) tchip_advance(c, t0 + rc.cycles - 2u - tchip_now(c));
  assert_int_equal(tile_status(c, t), TESSERA_TILE_STATUS_BUSY_MASK); /* read at t0 + cycles - 2 */
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_DONE_OFFSET)), 0);  /* at t0 + cycles - 1 */
  assert_int_equal(tile_status(c, t), 0);                             /* at t0 + cycles */
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_DONE_OFFSET)), 1);
  assert_memory_equal(tchip_tile(c, t)->bank, ref->bank, sizeof ref->bank);
  /* Counter registers: the run's counters; _lo latches _hi. */
  assert_true(tile_cnt(c, t, TESSERA_TILE_CNT_BUSY_LO_OFFSET, TESSERA_TILE_CNT_BUSY_HI_OFFSET) == rc.cycles);
  assert_true(tile_cnt(c, t, TESSERA_TILE_CNT_MACS_LO_OFFSET, TESSERA_TILE_CNT_MACS_HI_OFFSET) == rc.macs);
  assert_true(tile_cnt(c, t, TESSERA_TILE_CNT_CONFLICT_LO_OFFSET, TESSERA_TILE_CNT_CONFLICT_HI_OFFSET) ==
              rc.stall_bank_conflict);
  assert_true(tile_cnt(c, t, TESSERA_TILE_CNT_STARVED_LO_OFFSET, TESSERA_TILE_CNT_STARVED_HI_OFFSET) ==
              rc.stall_stream_starved);
  assert_true(tile_cnt(c, t, TESSERA_TILE_CNT_MEMORY_LO_OFFSET, TESSERA_TILE_CNT_MEMORY_HI_OFFSET) == rc.stall_memory);
  struct tchip_counters k;
  tchip_counters(c, &k);
  assert_true(k.tile[t].runs == 1 && k.tile[t].busy == rc.cycles && k.tile[t].macs == rc.macs);
  assert_true(k.any_tile_busy == rc.cycles);
  /* Zeroing the counters. */
  wr(c, TILE_REG(t, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_COUNTERS_MASK);
  assert_true(tile_cnt(c, t, TESSERA_TILE_CNT_BUSY_LO_OFFSET, TESSERA_TILE_CNT_BUSY_HI_OFFSET) == 0);
  assert_int_equal(rd(c, TILE_REG(t, TESSERA_TILE_DONE_OFFSET)), 1);
  /* Operands outside the bank: code 3, nothing written, not busy. */
  d.off_c = LBW;
  tile_desc_write(c, t, &d);
  wr(c, TILE_REG(t, TESSERA_TILE_START_OFFSET), 1);
  assert_int_equal(tile_status(c, t), TESSERA_TILE_STATUS_ERROR_MASK | 3u << TESSERA_TILE_STATUS_CODE_SHIFT);
  free(ab);
  free(ref);
}

#if TESSERA_CFG_TILES >= 2 /* a cmocka skip reads as a failure in TAP: the tests exist only with a link */
/* ---- stream links: tile i's stream-out feeds tile i + 1's stream-in --------------------------------- */

/* Writes rows r < rows of v (cols words each) at region offset off of a run with regions of kn words. */
static void rows_put(struct ttile_state *ts, uint32_t rows, uint32_t kn, uint32_t off, uint32_t cols, const uint32_t *v) {
  for (uint32_t r = 0; r < rows; r++) memcpy(&ts->bank[r % L][(size_t)(r / L) * kn + off], v + (size_t)r * cols, 4u * cols);
}

static uint32_t rnd_val(void) { return 0x3f000000u + (rnd() & 0x00ffffffu) + ((rnd() & 1u) << 31); } /* |v| in [0.5, 2) */

static void rnd_words(uint32_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = rnd_val();
}

/* The beats a send of desc d makes from tile state ts (the standalone tile model, always-ready sink). */
static uint32_t send_beats(const struct ttile_state *ts, const struct ttile_desc *d, uint32_t **hdr, uint32_t (**slot)[P]) {
  uint32_t nb = (uint32_t)ttile_send_beats(d);
  struct ttile_state *cp = malloc(sizeof *cp);
  *hdr = malloc(sizeof **hdr * nb), *slot = malloc(sizeof **slot * nb);
  assert_true(cp && *hdr && *slot);
  memcpy(cp, ts, sizeof *cp);
  struct ttile_outstream o = {.hdr = *hdr, .slot = *slot, .cap = nb};
  struct ttile_counters k;
  assert_int_equal(ttile_cm_exec_io(cp, d, NULL, &o, &k), 0);
  assert_int_equal(o.nbeats, nb);
  free(cp);
  return nb;
}

static void tile_go(tchip *c, unsigned t) { wr(c, TILE_REG(t, TESSERA_TILE_START_OFFSET), TESSERA_TILE_START_GO_MASK); }
static int tile_busy(tchip *c, unsigned t) { return (tile_status(c, t) & TESSERA_TILE_STATUS_BUSY_MASK) != 0; }
static void tile_wait(tchip *c, unsigned t) {
  for (uint64_t n = 0; tile_busy(c, t); n++)
    if (n > 10000000u) fail_msg("tile %u busy for ever", t);
}
struct tile_cnts {
  uint64_t busy, macs, conflict, starved, memory;
};
static struct tile_cnts cnts_of(tchip *c, unsigned t) {
  struct tile_cnts k;
  k.busy = tile_cnt(c, t, TESSERA_TILE_CNT_BUSY_LO_OFFSET, TESSERA_TILE_CNT_BUSY_HI_OFFSET);
  k.macs = tile_cnt(c, t, TESSERA_TILE_CNT_MACS_LO_OFFSET, TESSERA_TILE_CNT_MACS_HI_OFFSET);
  k.conflict = tile_cnt(c, t, TESSERA_TILE_CNT_CONFLICT_LO_OFFSET, TESSERA_TILE_CNT_CONFLICT_HI_OFFSET);
  k.starved = tile_cnt(c, t, TESSERA_TILE_CNT_STARVED_LO_OFFSET, TESSERA_TILE_CNT_STARVED_HI_OFFSET);
  k.memory = tile_cnt(c, t, TESSERA_TILE_CNT_MEMORY_LO_OFFSET, TESSERA_TILE_CNT_MEMORY_HI_OFFSET);
  return k;
}

/* One send on tile 0 (K: nk rows of dh words) feeding one attn_qk on tile 1 (Q: m rows), the
 * consumer started `offset` cycles after the producer (negative: before; a bus write takes a cycle,
 * so never 0). The results and both tiles' counters must be the standalone pair's
 * (ttile_cm_exec_link at the same offset). attn_pv: tile 0 sends V, tile 1 holds P. */
static void link_pair_case(tchip *c, uint32_t nk, uint32_t dh, uint32_t m, int64_t offset, int pv) {
  tchip_reset(c);
  const uint32_t kn_s = dh + 3, off = 2, gpr = (dh + P - 1) / P, nb = nk * gpr;
  struct ttile_desc sd = {.kernel = TESSERA_TILE_KERNEL_SEND, .kn = kn_s, .ntok = nk, .tpl = (nk + L - 1) / L,
                          .off_a = off, .cols = dh};
  /* attn_qk: Q (dh words) at 0, S at dh (nk words); attn_pv: O (dh words) at 0, P at dh (nk words). */
  struct ttile_desc ad = {.kernel = pv ? TESSERA_TILE_KERNEL_ATTN_PV : TESSERA_TILE_KERNEL_ATTN_QK, .k = dh,
                          .kn = dh + nk, .ntok = m, .tpl = (m + L - 1) / L, .ngroups = nb};
  uint32_t *kv = malloc(4u * nk * dh), *q = malloc(4u * m * (dh + nk));
  assert_true(kv && q);
  rnd_words(kv, (size_t)nk * dh);
  rnd_words(q, (size_t)m * (dh + nk));
  struct ttile_state *ps = tchip_tile(c, 0);
  memset(ps, 0, sizeof *ps);
  rows_put(ps, nk, kn_s, off, dh, kv);
  struct ttile_state *cs = tchip_tile(c, 1);
  memset(cs, 0, sizeof *cs);
  rows_put(cs, m, dh + nk, 0, dh + nk, q);
  /* The references, on copies. */
  struct ttile_state *pref = malloc(sizeof *pref), *cref = malloc(sizeof *cref);
  assert_true(pref && cref);
  memcpy(pref, ps, sizeof *pref), memcpy(cref, cs, sizeof *cref);
  struct ttile_counters kk[2];
  int codes[2];
  uint32_t *xh = malloc(sizeof *xh * nb), (*xs)[P] = malloc(sizeof *xs * nb);
  assert_true(xh && xs);
  struct ttile_outstream xo = {.hdr = xh, .slot = xs, .cap = nb};
  assert_int_equal(ttile_cm_exec_link(pref, &sd, cref, &ad, offset, &xo, NULL, codes, kk), 0);
  assert_int_equal(codes[0], 0);
  assert_int_equal(codes[1], 0);
  const struct ttile_counters pk = kk[0], ck = kk[1];
  free(xh), free(xs);
  tile_desc_write(c, 0, &sd);
  tile_desc_write(c, 1, &ad);
  /* Each start is a bus write at the cycle tchip_now() gives before it. */
  unsigned first = offset < 0 ? 1u : 0u;
  uint64_t gap = (uint64_t)(offset < 0 ? -offset : offset);
  tile_go(c, first);
  if (gap > 1) tchip_advance(c, gap - 1u);
  tile_go(c, 1u - first); /* gap cycles after the first start: a bus write takes a cycle */
  tile_wait(c, 0), tile_wait(c, 1);
  struct tile_cnts p = cnts_of(c, 0), q1 = cnts_of(c, 1);
  assert_int_equal(tile_status(c, 0), 0);
  assert_int_equal(tile_status(c, 1), 0);
  assert_int_equal(rd(c, TILE_REG(0, TESSERA_TILE_DONE_OFFSET)), 1);
  assert_int_equal(rd(c, TILE_REG(1, TESSERA_TILE_DONE_OFFSET)), 1);
  assert_memory_equal(tchip_tile(c, 1)->bank, cref->bank, sizeof cref->bank);
  if (p.busy != pk.cycles || p.memory != pk.stall_memory || q1.busy != ck.cycles || q1.starved != ck.stall_stream_starved ||
      q1.conflict != ck.stall_bank_conflict || q1.macs != ck.macs || q1.memory != ck.stall_memory)
    fail_msg("link %s nk %u dh %u m %u offset %lld: producer busy %llu memory %llu (want %llu %llu), consumer busy %llu "
             "starved %llu conflict %llu macs %llu (want %llu %llu %llu %llu)",
             pv ? "attn_pv" : "attn_qk", nk, dh, m, (long long)offset, (unsigned long long)p.busy,
             (unsigned long long)p.memory, (unsigned long long)pk.cycles, (unsigned long long)pk.stall_memory,
             (unsigned long long)q1.busy, (unsigned long long)q1.starved, (unsigned long long)q1.conflict,
             (unsigned long long)q1.macs, (unsigned long long)ck.cycles, (unsigned long long)ck.stall_stream_starved,
             (unsigned long long)ck.stall_bank_conflict, (unsigned long long)ck.macs);
  struct tchip_counters k;
  tchip_counters(c, &k);
  assert_true(k.tile[0].backpressure == pk.stall_backpressure);
  assert_true(pk.cycles == nb + 2u + pk.stall_backpressure); /* two cycles of filling (docs/tile.md) */
  free(kv), free(q), free(pref), free(cref);
}

static void link_pairs(void **state) {
  tchip *c = *state;
  static const int64_t offs[] = {-300, -7, -1, 1, 2, 3, 9, 500};
  for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
    link_pair_case(c, L + 5, 2 * P + 3, L + 2, offs[i], 0); /* a fast consumer */
    link_pair_case(c, 3, P + 1, 4 * L + 1, offs[i], 0);      /* a slow one: long rows */
    link_pair_case(c, L + 3, 2 * P + 1, 2 * L + 3, offs[i], 1);
  }
}

/* One send of 2n beats feeding two attn_qk runs of n beats each (the send ends only when the second
 * has taken its last beat), then two sends feeding one attn_pv run; refusals: attn on tile 0, send
 * on the last tile (no link: code 2), a send with cols = 0 (code 3, puts nothing on the link), and
 * an attn run whose groups cut a row (a malformed stream: its beats are taken, nothing is written,
 * code 3 without done). */
static void link_runs(void **state) {
  tchip *c = *state;
  const uint32_t nk = 2 * L + 3, dh = P + 2, gpr = (dh + P - 1) / P, nb = nk * gpr, kn_s = dh;
  const uint32_t half = nk / 2, m = L > 1 ? L - 1 : 1; /* one region per lane: Q at word 0 whatever kn */
  uint32_t *kv = malloc(4u * nk * dh), *q = malloc(4u * m * (dh + nk));
  assert_true(kv && q);
  rnd_words(kv, (size_t)nk * dh), rnd_words(q, (size_t)m * (dh + nk));
  struct ttile_state *ps = tchip_tile(c, 0);
  rows_put(ps, nk, kn_s, 0, dh, kv);
  struct ttile_desc sd = {.kernel = TESSERA_TILE_KERNEL_SEND, .kn = kn_s, .ntok = nk, .tpl = (nk + L - 1) / L, .cols = dh};
  uint32_t *hdr, (*slot)[P];
  assert_int_equal(send_beats(ps, &sd, &hdr, &slot), nb);
  /* Run 1 takes rows 0 .. half-1 (S1 = Q K1^T over `half` keys), run 2 rows half .. nk-1: their
   * headers name rows from half on, so run 2's n (kn - k) counts every key and only columns
   * half .. nk-1 of its S are written. */
  struct ttile_desc a1 = {.kernel = TESSERA_TILE_KERNEL_ATTN_QK, .k = dh, .kn = dh + half, .ntok = m, .tpl = (m + L - 1) / L,
                          .ngroups = half * gpr};
  struct ttile_desc a2 = a1;
  a2.kn = dh + nk, a2.ngroups = nb - half * gpr;
  struct ttile_state *cs = tchip_tile(c, 1);
  rows_put(cs, m, dh + nk, 0, dh, q);
  struct ttile_state *r1 = malloc(sizeof *r1), *r2 = malloc(sizeof *r2);
  assert_true(r1 && r2);
  memcpy(r1, cs, sizeof *r1);
  struct ttile_counters k1, k2;
  struct ttile_instream in1 = {.hdr = hdr, .slot = (const uint32_t(*)[P])slot, .nbeats = a1.ngroups};
  assert_int_equal(ttile_cm_exec_stream(r1, &a1, &in1, &k1), 0);
  memcpy(r2, r1, sizeof *r2);
  struct ttile_instream in2 = {.hdr = hdr + a1.ngroups, .slot = (const uint32_t(*)[P])(slot + a1.ngroups), .nbeats = a2.ngroups};
  assert_int_equal(ttile_cm_exec_stream(r2, &a2, &in2, &k2), 0);

  /* The memories as the runs start, for the standalone sequence of runs. */
  struct ttile_state *p0 = malloc(sizeof *p0), *c0 = malloc(sizeof *c0);
  assert_true(p0 && c0);
  memcpy(p0, ps, sizeof *p0), memcpy(c0, cs, sizeof *c0);
  tile_desc_write(c, 0, &sd);
  const uint64_t ts = tchip_now(c);
  tile_go(c, 0);
  tile_desc_write(c, 1, &a1);
  const uint64_t ta1 = tchip_now(c);
  tile_go(c, 1);
  tile_wait(c, 1);
  assert_int_equal(rd(c, TILE_REG(1, TESSERA_TILE_DONE_OFFSET)), 1);
  assert_memory_equal(tchip_tile(c, 1)->bank, r1->bank, sizeof r1->bank);
  struct tile_cnts cc1 = cnts_of(c, 1);
  /* The send still holds the second half: busy for as long as nothing takes it. */
  tchip_advance(c, 5000);
  assert_true(tile_busy(c, 0));
  assert_int_equal(rd(c, TILE_REG(0, TESSERA_TILE_DONE_OFFSET)), 0);
  tile_desc_write(c, 1, &a2);
  const uint64_t ta2 = tchip_now(c);
  tile_go(c, 1);
  tile_wait(c, 1), tile_wait(c, 0);
  assert_int_equal(rd(c, TILE_REG(0, TESSERA_TILE_DONE_OFFSET)), 1);
  assert_int_equal(rd(c, TILE_REG(1, TESSERA_TILE_DONE_OFFSET)), 2);
  assert_memory_equal(tchip_tile(c, 1)->bank, r2->bank, sizeof r2->bank);
  struct tile_cnts pc = cnts_of(c, 0), cc = cnts_of(c, 1);
  struct tchip_counters k;
  tchip_counters(c, &k);
  assert_true(pc.busy == nb + 2u + k.tile[0].backpressure && k.tile[0].backpressure >= 5000);
  assert_true(cc.macs == k1.macs + k2.macs);
  /* Every run's counters are the standalone sequence's (ttile_cm_exec_link_runs) at the same starts. */
  struct ttile_link_run pr[1] = {{.d = sd, .at = 1}};
  struct ttile_link_run cr[2] = {{.d = a1, .at = 1 + (int64_t)(ta1 - ts)}, {.d = a2, .at = 1 + (int64_t)(ta2 - ts)}};
  uint32_t *xh = malloc(sizeof *xh * nb), (*xs)[P] = malloc(sizeof *xs * nb);
  assert_true(xh && xs);
  struct ttile_outstream xo = {.hdr = xh, .slot = xs, .cap = nb};
  assert_int_equal(ttile_cm_exec_link_runs(p0, pr, 1, c0, cr, 2, &xo, NULL), 0);
  assert_memory_equal(c0->bank, r2->bank, sizeof r2->bank);
  assert_true(pr[0].ctr.cycles == pc.busy && pr[0].ctr.stall_backpressure == k.tile[0].backpressure);
  assert_true(cr[0].ctr.cycles == cc1.busy && cr[0].ctr.stall_stream_starved == cc1.starved);
  assert_true(cr[0].ctr.cycles + cr[1].ctr.cycles == cc.busy);
  assert_true(cr[0].ctr.stall_stream_starved + cr[1].ctr.stall_stream_starved == cc.starved);
  free(p0), free(c0), free(xh), free(xs);

  /* Two sends (rows 0 .. half-1, then the rest with row0 = half) into one attn_pv on tile 2 if
   * there is one, else on tile 1. */
  unsigned pt = T > 2 ? 1u : 0u, ct = pt + 1u;
  ps = tchip_tile(c, pt);
  memset(ps, 0, sizeof *ps);
  rows_put(ps, nk, kn_s, 0, dh, kv);
  /* The first send takes rows 0 .. half-1; then rows half .. nk-1 are written in their place and
   * the second send takes them with row0 = half (a send reads the banks as it starts). */
  struct ttile_desc s1 = sd, s2 = sd;
  s1.ntok = half, s1.tpl = (half + L - 1) / L;
  s2.ntok = nk - half, s2.tpl = (nk - half + L - 1) / L, s2.row0 = half;
  struct ttile_desc pvd = {.kernel = TESSERA_TILE_KERNEL_ATTN_PV, .k = dh, .kn = dh + nk, .ntok = m,
                           .tpl = (m + L - 1) / L, .ngroups = nb};
  struct ttile_state *cs2 = tchip_tile(c, ct);
  memset(cs2, 0, sizeof *cs2);
  rows_put(cs2, m, dh + nk, 0, dh + nk, q);
  struct ttile_state *r3 = malloc(sizeof *r3);
  assert_non_null(r3);
  memcpy(r3, cs2, sizeof *r3);
  /* The reference takes the beats of one send of all nk rows: the same beats. */
  struct ttile_instream in3 = {.hdr = hdr, .slot = (const uint32_t(*)[P])slot, .nbeats = nb};
  struct ttile_counters k3;
  assert_int_equal(ttile_cm_exec_stream(r3, &pvd, &in3, &k3), 0);
  tile_desc_write(c, ct, &pvd);
  tile_go(c, ct);
  tile_desc_write(c, pt, &s1);
  tile_go(c, pt);
  tile_wait(c, pt);
  assert_true(tile_busy(c, ct));
  rows_put(tchip_tile(c, pt), nk - half, kn_s, 0, dh, kv + (size_t)half * dh);
  tile_desc_write(c, pt, &s2);
  tile_go(c, pt);
  tile_wait(c, pt), tile_wait(c, ct);
  assert_int_equal(tile_status(c, ct), 0);
  assert_memory_equal(tchip_tile(c, ct)->bank, r3->bank, sizeof r3->bank);

  /* Refusals. */
  struct ttile_desc bad = a1;
  tile_desc_write(c, 0, &bad);
  tile_go(c, 0);
  assert_int_equal(tile_status(c, 0), TESSERA_TILE_STATUS_ERROR_MASK | 2u << TESSERA_TILE_STATUS_CODE_SHIFT);
  wr(c, TILE_REG(0, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_ERROR_MASK);
  tile_desc_write(c, T - 1, &sd);
  tile_go(c, T - 1);
  assert_int_equal(tile_status(c, T - 1), TESSERA_TILE_STATUS_ERROR_MASK | 2u << TESSERA_TILE_STATUS_CODE_SHIFT);
  wr(c, TILE_REG(T - 1, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_ERROR_MASK);
  bad = sd, bad.cols = 0;
  tile_desc_write(c, 0, &bad);
  tile_go(c, 0);
  assert_int_equal(tile_status(c, 0), TESSERA_TILE_STATUS_ERROR_MASK | 3u << TESSERA_TILE_STATUS_CODE_SHIFT);
  wr(c, TILE_REG(0, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_ERROR_MASK);
  /* A malformed stream: 3 groups of rows of 2 (the third's row has no last group). */
  assert_int_equal(gpr, 2); /* dh = P + 2 */
  {
    struct ttile_state *before = malloc(sizeof *before);
    assert_non_null(before);
    memcpy(before, tchip_tile(c, 1), sizeof *before);
    uint32_t done1 = rd(c, TILE_REG(1, TESSERA_TILE_DONE_OFFSET));
    struct ttile_desc cut = a1;
    cut.ngroups = 3;
    tile_desc_write(c, 1, &cut);
    tile_go(c, 1);
    tile_desc_write(c, 0, &sd);
    tile_go(c, 0);
    tile_wait(c, 1);
    assert_int_equal(tile_status(c, 1), TESSERA_TILE_STATUS_ERROR_MASK | 3u << TESSERA_TILE_STATUS_CODE_SHIFT);
    assert_int_equal(rd(c, TILE_REG(1, TESSERA_TILE_DONE_OFFSET)), done1);
    assert_memory_equal(tchip_tile(c, 1)->bank, before->bank, sizeof before->bank);
    wr(c, TILE_REG(1, TESSERA_TILE_CLEAR_OFFSET), TESSERA_TILE_CLEAR_ERROR_MASK);
    /* The rest of the beats (from beat 3 on) go to the next run: its headers start mid-row, so
     * it is malformed too; take them all and the send ends. */
    cut.ngroups = nb - 3;
    cut.kn = dh + nk;
    tile_desc_write(c, 1, &cut);
    tile_go(c, 1);
    tile_wait(c, 1), tile_wait(c, 0);
    assert_int_equal(tile_status(c, 1), TESSERA_TILE_STATUS_ERROR_MASK | 3u << TESSERA_TILE_STATUS_CODE_SHIFT);
    assert_int_equal(tile_status(c, 0), 0);
    free(before);
  }
  free(kv), free(q), free(hdr), free(slot), free(r1), free(r2), free(r3);
}
#endif

static void timeline_and_counters(void **state) {
  tchip *c = *state;
  assert_int_equal(tchip_timeline(c, 1), TCHIP_OK);
  struct dma d = {.sk = TESSERA_DMA_KIND_DRAM, .dk = TESSERA_DMA_KIND_BANK, .rows = 4, .row_bytes = 64,
                  .sstride = 64, .dstride = 64, .dt = T - 1};
  dma_start(c, &d);
  dma_wait(c, 1);
  assert_int_equal(tchip_timeline_spans(c), 1);
  char path[] = "/tmp/tessera_chip_timeline_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(tchip_timeline_write(c, path), TCHIP_OK);
  FILE *f = fopen(path, "r");
  char buf[4096];
  size_t got = fread(buf, 1, sizeof buf - 1, f);
  buf[got] = 0;
  fclose(f);
  remove(path);
  assert_non_null(strstr(buf, "\"traceEvents\""));
  assert_non_null(strstr(buf, "\"name\":\"dma dram->bank\""));
  assert_non_null(strstr(buf, "\"ph\":\"X\""));
  assert_non_null(strstr(buf, "\"bytes\":256"));
  assert_int_equal(tchip_timeline_write(c, "/nonexistent-dir/x.json"), TCHIP_E_ARG);
  struct tchip_counters k;
  tchip_counters(c, &k);
  assert_true(k.dma_busy > 0 && k.any_busy == k.dma_busy && k.any_tile_busy == 0);
  assert_true(k.dram_bytes == 256 && k.cycles == tchip_now(c));
  tchip_counters_reset(c);
  tchip_counters(c, &k);
  assert_true(k.cycles == 0 && k.dram_bytes == 0 && k.dma_busy == 0);
}

/* ---- firmware on the chip ---------------------------------------------------------------------------- */

enum { P_MAGIC, P_TILE, P_M, P_K, P_N, P_NGROUPS, P_X, P_GRP, P_VAL, P_Y, P_SUM, P_LANE0, P_COUNT };

static enum tchip_run_result run_until(tchip *c, uint64_t budget, int want_exit) {
  enum tchip_run_result r;
  do {
    r = tchip_run(c, budget);
  } while (want_exit && r == TCHIP_RUN_EVENT);
  return r;
}

static void firmware_fwd(void **state) {
  tchip *c = *state;
  uint32_t m = 2 * L + 3, k = 24, n = 20, lane0 = L > 1 ? 1 : 0, t = T - 1;
  uint8_t *mask = malloc((size_t)n * k);
  assert_int_equal(tsp_mask_random(mask, n, k, 0.4, 77), TSP_OK);
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, n, k, P, TESSERA_CFG_SUB_BANKS, 1), TSP_OK);
  uint16_t *wv = calloc((size_t)st.ngroups * P, 2);
  uint32_t *x = malloc((size_t)m * k * 4), *y = calloc((size_t)m * n, 4), *yd = calloc((size_t)m * n, 4);
  for (uint32_t i = 0; i < st.ngroups * P; i++) wv[i] = st.col[i] == TSP_EMPTY ? 0 : (uint16_t)(0x3c00u + (rnd() & 0x7ffu));
  for (uint32_t i = 0; i < m * k; i++) x[i] = 0x3f000000u + (rnd() & 0xffffffu);
  ttile_fn_fwd(&st, wv, x, m, y);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < m * n; i++) sum = (sum << 5 | sum >> 27) ^ y[i];
  /* The stream in the protocol's format and its values. */
  uint32_t gb = 4u + 2u * P;
  uint8_t *grp = calloc(st.ngroups, gb), *val = calloc(st.ngroups, 2u * P);
  for (uint32_t g = 0; g < st.ngroups; g++) {
    grp[g * gb] = (uint8_t)st.row[g], grp[g * gb + 1] = (uint8_t)(st.row[g] >> 8), grp[g * gb + 2] = st.flags[g];
    for (uint32_t p = 0; p < P; p++) {
      grp[g * gb + 4 + 2 * p] = (uint8_t)st.col[g * P + p], grp[g * gb + 5 + 2 * p] = (uint8_t)(st.col[g * P + p] >> 8);
      val[(g * P + p) * 2] = (uint8_t)wv[g * P + p], val[(g * P + p) * 2 + 1] = (uint8_t)(wv[g * P + p] >> 8);
    }
  }
  uint32_t prm[P_COUNT] = {0x46574431u, t, m, k, n, st.ngroups, 0x10000, 0x20000, 0x30000, 0x40000, sum, lane0};
  dram_put(c, 0, prm, sizeof prm);
  dram_put(c, 0x10000, x, (uint64_t)m * k * 4);
  dram_put(c, 0x20000, grp, (uint64_t)st.ngroups * gb);
  dram_put(c, 0x30000, val, (uint64_t)st.ngroups * 2u * P);
  assert_int_equal(tchip_load_elf(c, CHIP_FW_DIR "/test_chip_fwd.elf"), TCHIP_OK);
  enum tchip_run_result r = run_until(c, 50000000, 1);
  char con[4096];
  size_t cn = tchip_console(c, con, sizeof con - 1);
  con[cn] = 0;
  if (r != TCHIP_RUN_EXIT || tchip_exit_code(c) != 0)
    fail_msg("run %d exit %u: %s\nconsole:\n%s", r, tchip_exit_code(c), tchip_error(c), con);
  assert_non_null(strstr(con, "ok: checksum of Y"));
  dram_get(c, 0x40000, yd, (uint64_t)m * n * 4);
  assert_memory_equal(yd, y, (size_t)m * n * 4);
  struct tchip_counters kc;
  tchip_counters(c, &kc);
  assert_true(kc.tile[t].runs == 1 && kc.dma_descriptors == 4 && kc.window_bytes == 4u * P_COUNT);
  assert_true(kc.any_busy >= kc.any_tile_busy && kc.ctrl_instret > 0);
  tsp_stream_free(&st);
  free(mask), free(wv), free(x), free(y), free(yd), free(grp), free(val);
}

static void firmware_trap(void **state) {
  tchip *c = *state;
  uint32_t v, pc;
  assert_int_equal(tchip_load_elf(c, CHIP_FW_DIR "/test_chip_trap.elf"), TCHIP_OK);
  assert_int_equal(tchip_run(c, 1000000), TCHIP_RUN_EVENT); /* ready */
  assert_int_equal(tchip_hostif_read(c, TESSERA_HOSTIF_FW_STATE_OFFSET, &v), TCHIP_OK);
  assert_int_equal(v, TESSERA_FW_STATE_READY);
  assert_int_equal(tchip_run(c, 1000000), TCHIP_RUN_EVENT); /* trap */
  assert_int_equal(tchip_hostif_read(c, TESSERA_HOSTIF_FW_STATE_OFFSET, &v), TCHIP_OK);
  assert_int_equal(v, TESSERA_FW_STATE_TRAP);
  dram_get(c, 0, &pc, 4);
  assert_int_equal(tchip_hostif_read(c, TESSERA_HOSTIF_TRAP_PC_OFFSET, &v), TCHIP_OK);
  assert_int_equal(v, pc);
  assert_int_equal(tchip_hostif_read(c, TESSERA_HOSTIF_TRAP_CAUSE_OFFSET, &v), TCHIP_OK);
  assert_int_equal(v, 2); /* illegal instruction */
  assert_int_equal(tchip_hostif_read(c, TESSERA_HOSTIF_TRAP_TVAL_OFFSET, &v), TCHIP_OK);
  assert_int_equal(v, 0xffffffffu);
  /* Stopped: it sleeps until the budget is gone, and can be resumed without harm. */
  assert_int_equal(tchip_run(c, 5000), TCHIP_RUN_LIMIT);
  assert_int_equal(tchip_run(c, 5000), TCHIP_RUN_LIMIT);
  /* A missing image is an error, not a crash. */
  assert_int_equal(tchip_load_elf(c, "/nonexistent/fw.elf"), TCHIP_E_ELF);
  assert_true(strlen(tchip_error(c)) > 0);
}

static void firmware_window(void **state) {
  tchip *c = *state;
  uint8_t w[4] = {0xf1, 0xf0, 0x81, 0x80};
  dram_put(c, 0x100, w, 4);
  assert_int_equal(tchip_load_elf(c, CHIP_FW_DIR "/test_chip_window.elf"), TCHIP_OK);
  enum tchip_run_result r = run_until(c, 10000000, 1);
  char con[4096];
  size_t cn = tchip_console(c, con, sizeof con - 1);
  con[cn] = 0;
  if (r != TCHIP_RUN_EXIT || tchip_exit_code(c) != 0) fail_msg("run %d exit %u\n%s", r, tchip_exit_code(c), con);
  uint8_t b[8];
  dram_get(c, 0x200, b, 8);
  assert_int_equal(le32(b), 0xbeefaa44u);
  assert_int_equal(le32(b + 4), 0x5a000000u);
}

static void firmware_bus_fault(void **state) {
  tchip *c = *state;
  /* Sub-word register access from the ISS is a bus error naming the address and the PC. */
  tiss *s = tchip_iss(c);
  /* lui t0, 0x20003 ; lb t1, 0x30(t0) ; (never reached) */
  uint32_t prog[] = {0x200032b7u, 0x03028303u, 0x0000006fu};
  assert_int_equal(tiss_write_mem(s, TESSERA_IMEM_BASE, prog, sizeof prog), 0);
  tchip_reset(c);
  assert_int_equal(tchip_run(c, 1000), TCHIP_RUN_FAULT);
  assert_non_null(strstr(tchip_error(c), "0x20003030"));
  assert_non_null(strstr(tchip_error(c), "pc 0x00000004"));
  assert_non_null(strstr(tchip_error(c), "registers are 32-bit"));
}

#if TESSERA_CFG_TILES >= 3 /* the link firmware needs three tiles */
/* The RTL chip's stream-link firmware (firmware/tests/test_chiprtl_link.c, tests/chip_rtl/link_case.h)
 * on the chip cmodel: the same checks (results bit for bit, counter identities), and the tiles'
 * counters the firmware read agree with the chip's sums. */
static int link_write(void *ctx, uint64_t addr, const void *data, size_t len) {
  return tchip_dram_write(ctx, addr, data, len) == TCHIP_OK ? 0 : -1;
}
static int link_read(void *ctx, uint64_t addr, void *data, size_t len) {
  return tchip_dram_read(ctx, addr, data, len) == TCHIP_OK ? 0 : -1;
}

static void firmware_links(void **state) {
  tchip *c = *state;
  assert_int_equal(tchip_load_elf(c, CHIP_FW_DIR "/test_chiprtl_link.elf"), TCHIP_OK);
  assert_int_equal(link_case_prepare(link_write, c), 0);
  enum tchip_run_result r = run_until(c, 50000000, 1);
  if (r != TCHIP_RUN_EXIT) fail_msg("link firmware: run result %d: %s", (int)r, tchip_error(c));
  assert_int_equal(tchip_exit_code(c), 0);
  char why[256] = "";
  if (link_case_check(link_read, c, why, sizeof why) != 0) fail_msg("stream links on the chip cmodel: %s", why);
  uint32_t w[LX_COUNT];
  assert_int_equal(tchip_dram_read(c, LINK_RESULTS, w, sizeof w), TCHIP_OK);
  struct tchip_counters k;
  tchip_counters(c, &k);
  const uint64_t bp0 = (uint64_t)w[LINK_RUN_WORD(LR_A_SEND, LW_BACKPRESSURE)] + w[LINK_RUN_WORD(LR_B_SEND, LW_BACKPRESSURE)] +
                       w[LINK_RUN_WORD(LR_C_SEND, LW_BACKPRESSURE)];
  const uint64_t st1 = (uint64_t)w[LINK_RUN_WORD(LR_A_QK, LW_STARVED)] + w[LINK_RUN_WORD(LR_B_QK, LW_STARVED)] +
                       w[LINK_RUN_WORD(LR_C_QK1, LW_STARVED)] + w[LINK_RUN_WORD(LR_C_QK2, LW_STARVED)];
  assert_true(k.tile[0].backpressure == bp0);
  assert_true(k.tile[1].starved == st1);
  assert_true(k.tile[2].starved == w[LINK_RUN_WORD(LR_D_PV, LW_STARVED)]);
  /* A send started first holds its first beat until its consumer starts; an attn run started
   * first waits for its source. */
  assert_true(w[LINK_RUN_WORD(LR_A_SEND, LW_BACKPRESSURE)] > 0);
  assert_true(w[LINK_RUN_WORD(LR_B_QK, LW_STARVED)] > w[LINK_RUN_WORD(LR_A_QK, LW_STARVED)]);
  printf("# links (chip cmodel): cases A %u, B %u, C %u, D %u controller cycles; A: send busy %u (backpressure %u), "
         "attn_qk busy %u (starved %u); B: attn_qk busy %u (starved %u), send busy %u (backpressure %u)\n",
         w[LX_CYC_A], w[LX_CYC_B], w[LX_CYC_C], w[LX_CYC_D], w[LINK_RUN_WORD(LR_A_SEND, LW_BUSY)],
         w[LINK_RUN_WORD(LR_A_SEND, LW_BACKPRESSURE)], w[LINK_RUN_WORD(LR_A_QK, LW_BUSY)], w[LINK_RUN_WORD(LR_A_QK, LW_STARVED)],
         w[LINK_RUN_WORD(LR_B_QK, LW_BUSY)], w[LINK_RUN_WORD(LR_B_QK, LW_STARVED)], w[LINK_RUN_WORD(LR_B_SEND, LW_BUSY)],
         w[LINK_RUN_WORD(LR_B_SEND, LW_BACKPRESSURE)]);
}
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(hostif_registers, setup, teardown),
    cmocka_unit_test_setup_teardown(bus_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(dram_window, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_copy_dram, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_bank_lane_interleave, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_broadcast, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_dmem, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_gbuf, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_wload, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_pack_unpack, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_gather, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_queue_full, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_timing_by_hand, setup, teardown),
    cmocka_unit_test_setup_teardown(dma_counter_latch, setup, teardown),
    cmocka_unit_test_setup_teardown(tile_registers, setup, teardown),
    cmocka_unit_test_setup_teardown(tile_run_add, setup, teardown),
    cmocka_unit_test_setup_teardown(timeline_and_counters, setup, teardown),
#if TESSERA_CFG_TILES >= 2
    cmocka_unit_test_setup_teardown(link_pairs, setup, teardown),
    cmocka_unit_test_setup_teardown(link_runs, setup, teardown),
#endif
    cmocka_unit_test_setup_teardown(firmware_fwd, setup, teardown),
#if TESSERA_CFG_TILES >= 3
    cmocka_unit_test_setup_teardown(firmware_links, setup, teardown),
#endif
    cmocka_unit_test_setup_teardown(firmware_trap, setup, teardown),
    cmocka_unit_test_setup_teardown(firmware_window, setup, teardown),
    cmocka_unit_test_setup_teardown(firmware_bus_fault, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
