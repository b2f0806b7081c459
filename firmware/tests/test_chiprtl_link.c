/* Stream-link test firmware (tests/chip_rtl/link_case.h describes the cases, the shapes and the
 * layout): tile 0 sends key rows into attn_qk on tile 1 (cases A, B, C), tile 1 sends value rows
 * into attn_pv on tile 2 (D), and the chain's ends refuse the stream kernels (E). Every run's
 * status, done count and counters go to the results area; S and O leave by DMA. Every wait is
 * bounded: a run that does not end is recorded (LX_TIMEOUT) and the program stops. The same ELF runs
 * on the RTL chip (tests/chip_rtl) and the chip cmodel (tests/chip). */
#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tfw.h"
#include "../../tests/chip_rtl/link_case.h"

#define DMA(off) TFW_REG(TESSERA_DMA_BASE, off)
#define TILE(t, off) TFW_REG(TESSERA_TILE_ADDR(t), off)
#define WIN(addr) (*(volatile uint32_t *)(uintptr_t)(TESSERA_DRAM_BASE + (addr)))
#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define POLLS 100000u /* status reads before a run counts as stuck (the runs here take < 2000 cycles) */

int main(void);

static uint32_t tickets, timeouts;

enum { DRAM = TESSERA_DMA_KIND_DRAM, BANK = TESSERA_DMA_KIND_BANK };

static uint32_t ctrl(uint32_t sk, uint32_t st, uint32_t dk, uint32_t dt) {
  return sk << TESSERA_DMA_CTRL_SRC_KIND_SHIFT | dk << TESSERA_DMA_CTRL_DST_KIND_SHIFT |
         st << TESSERA_DMA_CTRL_SRC_TILE_SHIFT | dt << TESSERA_DMA_CTRL_DST_TILE_SHIFT |
         TESSERA_DMA_MODE_COPY << TESSERA_DMA_CTRL_MODE_SHIFT;
}

/* A copy of rows rows of row_bytes bytes; waits for it. */
static void dma_go(uint32_t src, uint32_t dst, uint32_t rows, uint32_t row_bytes, uint32_t ss, uint32_t ds, uint32_t c) {
  DMA(TESSERA_DMA_SRC_LO_OFFSET) = src;
  DMA(TESSERA_DMA_DST_LO_OFFSET) = dst;
  DMA(TESSERA_DMA_AUX_LO_OFFSET) = 0;
  DMA(TESSERA_DMA_ROWS_OFFSET) = rows;
  DMA(TESSERA_DMA_ROW_BYTES_OFFSET) = row_bytes;
  DMA(TESSERA_DMA_SRC_STRIDE_OFFSET) = ss;
  DMA(TESSERA_DMA_DST_STRIDE_OFFSET) = ds;
  DMA(TESSERA_DMA_CTRL_OFFSET) = c;
  DMA(TESSERA_DMA_START_OFFSET) = TESSERA_DMA_START_GO_MASK;
  if (DMA(TESSERA_DMA_STATUS_OFFSET) & TESSERA_DMA_STATUS_ERROR_MASK) return; /* refused: the host sees dma.status */
  tickets++;
  for (uint32_t n = 0; DMA(TESSERA_DMA_DONE_OFFSET) != tickets && n < POLLS; n++) {
  }
}

static void result(uint32_t i, uint32_t v) { WIN(LINK_RESULTS + 4u * i) = v; }

static uint32_t code(uint32_t t) {
  return (TILE(t, TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_CODE_MASK) >> TESSERA_TILE_STATUS_CODE_SHIFT;
}

struct desc {
  uint32_t kernel, k, kn, ntok, ngroups, off_a, cols, row0;
};

static void tile_desc(uint32_t t, const struct desc *d) {
  TILE(t, TESSERA_TILE_KERNEL_OFFSET) = d->kernel;
  TILE(t, TESSERA_TILE_K_OFFSET) = d->k;
  TILE(t, TESSERA_TILE_KN_OFFSET) = d->kn;
  TILE(t, TESSERA_TILE_NTOK_OFFSET) = d->ntok;
  TILE(t, TESSERA_TILE_TPL_OFFSET) = (d->ntok + L - 1u) / L;
  TILE(t, TESSERA_TILE_NGROUPS_OFFSET) = d->ngroups;
  TILE(t, TESSERA_TILE_OFF_A_OFFSET) = d->off_a;
  TILE(t, TESSERA_TILE_COLS_OFFSET) = d->cols;
  TILE(t, TESSERA_TILE_ROW0_OFFSET) = d->row0;
}

/* A run's record: done before it, cleared counters, then the start. */
static uint32_t done0[LR_RUNS];

static void start(uint32_t t, enum link_run r, const struct desc *d) {
  tile_desc(t, d);
  TILE(t, TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_COUNTERS_MASK;
  done0[r] = TILE(t, TESSERA_TILE_DONE_OFFSET);
  TILE(t, TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
}

/* Wait for run r on tile t to end and record it. 0, or -1 when it did not end. */
static int finish(uint32_t t, enum link_run r) {
  uint32_t n = 0;
  while ((TILE(t, TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_BUSY_MASK) && n < POLLS) n++;
  if (n == POLLS) {
    timeouts |= 1u << r;
    return -1;
  }
  static const uint32_t lo[6] = {TESSERA_TILE_CNT_BUSY_LO_OFFSET,    TESSERA_TILE_CNT_MACS_LO_OFFSET,
                                 TESSERA_TILE_CNT_CONFLICT_LO_OFFSET, TESSERA_TILE_CNT_STARVED_LO_OFFSET,
                                 TESSERA_TILE_CNT_MEMORY_LO_OFFSET,   TESSERA_TILE_CNT_BACKPRESSURE_LO_OFFSET};
  static const uint32_t word[6] = {LW_BUSY, LW_MACS, LW_CONFLICT, LW_STARVED, LW_MEMORY, LW_BACKPRESSURE};
  uint32_t hi = 0;
  result(LINK_RUN_WORD(r, LW_STATUS), TILE(t, TESSERA_TILE_STATUS_OFFSET));
  result(LINK_RUN_WORD(r, LW_DONE), TILE(t, TESSERA_TILE_DONE_OFFSET) - done0[r]);
  for (uint32_t i = 0; i < 6; i++) {
    result(LINK_RUN_WORD(r, word[i]), TILE(t, lo[i]));
    hi |= TILE(t, lo[i] + 4u); /* the _hi word, latched by the _lo read */
  }
  result(LINK_RUN_WORD(r, LW_HI), hi);
  return 0;
}

/* Tile 1's regions for an attn_qk case: Q and the sentinels over S. */
static void load_q(void) {
  dma_go(LINK_QIMG, 0, LINK_M, 4u * LINK_KN1, 4u * LINK_KN1, 4u * LINK_KN1, ctrl(DRAM, 0, BANK, 1));
}

/* S of case c: m rows of 2 nk words out of tile 1. */
static void take_s(uint32_t c) {
  dma_go(LINK_DH, LINK_S(c), LINK_M, 8u * LINK_NK, 4u * LINK_KN1, 8u * LINK_NK, ctrl(BANK, 1, DRAM, 0));
}

#define GK ((LINK_DH + P - 1u) / P)
#define GV ((LINK_DV + P - 1u) / P)

static int cases(void) {
  const struct desc send_k = {TESSERA_TILE_KERNEL_SEND, 0, LINK_KN0, LINK_NK, 0, LINK_K_OFF, LINK_DH, 0};
  const struct desc send_k2 = {TESSERA_TILE_KERNEL_SEND, 0, LINK_KN0, 2u * LINK_NK, 0, LINK_K_OFF, LINK_DH, 0};
  const struct desc qk = {TESSERA_TILE_KERNEL_ATTN_QK, LINK_DH, LINK_KN1, LINK_M, LINK_NK * GK, 0, 0, 0};
  const struct desc send_v1 = {TESSERA_TILE_KERNEL_SEND, 0, LINK_KNV, LINK_NV1, 0, 0, LINK_DV, 0};
  const struct desc send_v2 = {TESSERA_TILE_KERNEL_SEND, 0, LINK_KNV, LINK_NV - LINK_NV1, 0, LINK_DV, LINK_DV, LINK_NV1};
  const struct desc pv = {TESSERA_TILE_KERNEL_ATTN_PV, LINK_DV, LINK_KN2, LINK_M, LINK_NV * GV, 0, 0, 0};
  uint32_t t0;

  /* Tile 0: the 2 nk key rows at region offset K_OFF. */
  dma_go(LINK_K, LINK_K_OFF, 2u * LINK_NK, 4u * LINK_DH, 4u * LINK_DH, 4u * LINK_KN0, ctrl(DRAM, 0, BANK, 0));

  /* A: the send first; it holds its first beat until attn_qk starts. */
  load_q();
  t0 = (uint32_t)tfw_cycles();
  start(0, LR_A_SEND, &send_k);
  start(1, LR_A_QK, &qk);
  if (finish(1, LR_A_QK) || finish(0, LR_A_SEND)) return -1;
  result(LX_CYC_A, (uint32_t)tfw_cycles() - t0);
  take_s(0);

  /* B: attn_qk first; it waits (starved) until the send starts. */
  load_q();
  t0 = (uint32_t)tfw_cycles();
  start(1, LR_B_QK, &qk);
  start(0, LR_B_SEND, &send_k);
  if (finish(0, LR_B_SEND) || finish(1, LR_B_QK)) return -1;
  result(LX_CYC_B, (uint32_t)tfw_cycles() - t0);
  take_s(1);

  /* C: one send of 2 nk rows, two attn_qk runs of nk keys each (the second into S columns nk ..). */
  load_q();
  t0 = (uint32_t)tfw_cycles();
  start(0, LR_C_SEND, &send_k2);
  start(1, LR_C_QK1, &qk);
  if (finish(1, LR_C_QK1)) return -1;
  start(1, LR_C_QK2, &qk);
  if (finish(1, LR_C_QK2) || finish(0, LR_C_SEND)) return -1;
  result(LX_CYC_C, (uint32_t)tfw_cycles() - t0);
  take_s(2);

  /* D: value rows 0 .. NV1-1 at offset 0 and the rest at offset DV of tile 1; O and P in tile 2. */
  dma_go(LINK_V, 0, LINK_NV1, 4u * LINK_DV, 4u * LINK_DV, 4u * LINK_KNV, ctrl(DRAM, 0, BANK, 1));
  dma_go(LINK_V + 4u * LINK_DV * LINK_NV1, LINK_DV, LINK_NV - LINK_NV1, 4u * LINK_DV, 4u * LINK_DV, 4u * LINK_KNV,
         ctrl(DRAM, 0, BANK, 1));
  dma_go(LINK_PIMG, 0, LINK_M, 4u * LINK_KN2, 4u * LINK_KN2, 4u * LINK_KN2, ctrl(DRAM, 0, BANK, 2));
  t0 = (uint32_t)tfw_cycles();
  start(1, LR_D_SEND1, &send_v1);
  start(2, LR_D_PV, &pv);
  if (finish(1, LR_D_SEND1)) return -1;
  start(1, LR_D_SEND2, &send_v2);
  if (finish(1, LR_D_SEND2) || finish(2, LR_D_PV)) return -1;
  result(LX_CYC_D, (uint32_t)tfw_cycles() - t0);
  dma_go(0, LINK_O, LINK_M, 4u * LINK_DV, 4u * LINK_KN2, 4u * LINK_DV, ctrl(BANK, 2, DRAM, 0));

  /* E: the chain's ends. */
  tile_desc(0, &qk);
  TILE(0, TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  result(LX_E_QK, code(0));
  TILE(0, TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  tile_desc(TESSERA_CFG_TILES - 1u, &send_k);
  TILE(TESSERA_CFG_TILES - 1u, TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  result(LX_E_SEND, code(TESSERA_CFG_TILES - 1u));
  TILE(TESSERA_CFG_TILES - 1u, TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  return 0;
}

int main(void) {
  if (TESSERA_CFG_TILES < 3u) {
    tfw_puts("test_chiprtl_link: needs three tiles\n");
    return 1;
  }
  const int rc = cases();
  result(LX_TIMEOUT, timeouts);
  result(LX_DMA, DMA(TESSERA_DMA_STATUS_OFFSET));
  if (rc == 0) result(LX_MAGIC, LINK_MAGIC);
  return 0;
}
