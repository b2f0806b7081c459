/* RTL chip test firmware: a linear layer on tile 0 driven through its register block. The host
 * (tests/chip_rtl/test_chip_rtl.c) writes the shape and the addresses of the stream, weights, X and
 * dY into the parameter words; this program loads the weight buffer (DMA wload), X into the banks,
 * runs fwd, takes Y out, loads dY, zeroes the gradient buffer, runs bwd_weight, takes dW out, and
 * records the tile's registers (tests/chip_rtl/chiprtl_layout.h). */
#include <stdint.h>

#include "../../tests/chip_rtl/chiprtl_layout.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tfw.h"

#define DMA(off) TFW_REG(TESSERA_DMA_BASE, off)
#define TILE(off) TFW_REG(TESSERA_TILE_ADDR(0), off)
#define TILE_LAST(off) TFW_REG(TESSERA_TILE_ADDR(TESSERA_CFG_TILES - 1u), off)
#define WIN(addr) (*(volatile uint32_t *)(uintptr_t)(TESSERA_DRAM_BASE + (addr)))
#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE

int main(void);

static uint32_t tickets;

static uint32_t ctrl(uint32_t sk, uint32_t dk, uint32_t mode) {
  return sk << TESSERA_DMA_CTRL_SRC_KIND_SHIFT | dk << TESSERA_DMA_CTRL_DST_KIND_SHIFT |
         mode << TESSERA_DMA_CTRL_MODE_SHIFT;
}

static void dma_go(uint32_t src, uint32_t dst, uint32_t aux, uint32_t rows, uint32_t row_bytes, uint32_t ss,
                   uint32_t ds, uint32_t c) {
  DMA(TESSERA_DMA_SRC_LO_OFFSET) = src;
  DMA(TESSERA_DMA_DST_LO_OFFSET) = dst;
  DMA(TESSERA_DMA_AUX_LO_OFFSET) = aux;
  DMA(TESSERA_DMA_ROWS_OFFSET) = rows;
  DMA(TESSERA_DMA_ROW_BYTES_OFFSET) = row_bytes;
  DMA(TESSERA_DMA_SRC_STRIDE_OFFSET) = ss;
  DMA(TESSERA_DMA_DST_STRIDE_OFFSET) = ds;
  DMA(TESSERA_DMA_CTRL_OFFSET) = c;
  DMA(TESSERA_DMA_START_OFFSET) = TESSERA_DMA_START_GO_MASK;
  tickets++;
  while (DMA(TESSERA_DMA_DONE_OFFSET) != tickets) {
  }
}

static void result(uint32_t i, uint32_t v) { WIN(CHIPRTL_RESULTS + 4u * i) = v; }

static uint32_t code(void) {
  return (TILE(TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_CODE_MASK) >> TESSERA_TILE_STATUS_CODE_SHIFT;
}

static void tile_desc(uint32_t kernel, uint32_t k, uint32_t kn, uint32_t m, uint32_t tpl, uint32_t ngroups) {
  TILE(TESSERA_TILE_KERNEL_OFFSET) = kernel;
  TILE(TESSERA_TILE_K_OFFSET) = k;
  TILE(TESSERA_TILE_KN_OFFSET) = kn;
  TILE(TESSERA_TILE_NTOK_OFFSET) = m;
  TILE(TESSERA_TILE_TPL_OFFSET) = tpl;
  TILE(TESSERA_TILE_NGROUPS_OFFSET) = ngroups;
}

static void tile_run(void) {
  TILE(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  while (TILE(TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_BUSY_MASK) {
  }
}

enum { DRAM = TESSERA_DMA_KIND_DRAM, BANK = TESSERA_DMA_KIND_BANK, WBUF = TESSERA_DMA_KIND_WBUF,
       GBUF = TESSERA_DMA_KIND_GBUF };

int main(void) {
  const uint32_t k = WIN(CHIPRTL_PARAMS + 4u * TP_K), n = WIN(CHIPRTL_PARAMS + 4u * TP_N);
  const uint32_t m = WIN(CHIPRTL_PARAMS + 4u * TP_M), ng = WIN(CHIPRTL_PARAMS + 4u * TP_NGROUPS);
  const uint32_t kn = k + n, tpl = (m + L - 1u) / L;

  dma_go(WIN(CHIPRTL_PARAMS + 4u * TP_S), 0, WIN(CHIPRTL_PARAMS + 4u * TP_WV), ng, 0, 0, 0,
         ctrl(DRAM, WBUF, TESSERA_DMA_MODE_WLOAD));
  dma_go(WIN(CHIPRTL_PARAMS + 4u * TP_X), 0, 0, m, 4u * k, 4u * k, 4u * kn, ctrl(DRAM, BANK, TESSERA_DMA_MODE_COPY));

  tile_desc(TESSERA_TILE_KERNEL_FWD, k, kn, m, tpl, ng);
  tile_run();
  result(TR_DONE_FWD, TILE(TESSERA_TILE_DONE_OFFSET));
  result(TR_STATUS_FWD, TILE(TESSERA_TILE_STATUS_OFFSET));
  result(TR_BUSY_LO, TILE(TESSERA_TILE_CNT_BUSY_LO_OFFSET));
  result(TR_BUSY_HI, TILE(TESSERA_TILE_CNT_BUSY_HI_OFFSET));
  result(TR_MACS_LO, TILE(TESSERA_TILE_CNT_MACS_LO_OFFSET));
  result(TR_MACS_HI, TILE(TESSERA_TILE_CNT_MACS_HI_OFFSET));
  dma_go(k, WIN(CHIPRTL_PARAMS + 4u * TP_Y), 0, m, 4u * n, 4u * kn, 4u * n, ctrl(BANK, DRAM, TESSERA_DMA_MODE_COPY));

  /* bwd_weight onto a zeroed gradient buffer (stride 0: every entry from the same zero row). */
  dma_go(WIN(CHIPRTL_PARAMS + 4u * TP_DY), k, 0, m, 4u * n, 4u * n, 4u * kn, ctrl(DRAM, BANK, TESSERA_DMA_MODE_COPY));
  dma_go(CHIPRTL_ZERO, 0, 0, ng, 4u * P, 0, 4u * P, ctrl(DRAM, GBUF, TESSERA_DMA_MODE_COPY));
  tile_desc(TESSERA_TILE_KERNEL_BWD_WEIGHT, k, kn, m, tpl, ng);
  tile_run();
  dma_go(0, WIN(CHIPRTL_PARAMS + 4u * TP_DW), 0, ng, 4u * P, 4u * P, 4u * P, ctrl(GBUF, DRAM, TESSERA_DMA_MODE_COPY));

  /* Refusals: an unknown kernel, operands beyond the bank, a start while busy. */
  tile_desc(TESSERA_TILE_KERNEL_COUNT, k, kn, m, tpl, ng);
  TILE(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  result(TR_E_KERNEL, code());
  TILE(TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  /* The stream kernels at the ends of the chain of links: no source on tile 0's stream-in port, no
   * sink on the last tile's stream-out port. */
  tile_desc(TESSERA_TILE_KERNEL_ATTN_QK, k, kn, m, tpl, ng);
  TILE(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  uint32_t e = code() << 8;
  TILE(TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  /* send on the last tile (tile 0's stream-out feeds tile 1 when there is one). */
  TILE_LAST(TESSERA_TILE_KERNEL_OFFSET) = TESSERA_TILE_KERNEL_SEND;
  TILE_LAST(TESSERA_TILE_KN_OFFSET) = kn;
  TILE_LAST(TESSERA_TILE_NTOK_OFFSET) = m;
  TILE_LAST(TESSERA_TILE_TPL_OFFSET) = tpl;
  TILE_LAST(TESSERA_TILE_COLS_OFFSET) = k;
  TILE_LAST(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  result(TR_E_STREAM, e | ((TILE_LAST(TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_CODE_MASK) >> TESSERA_TILE_STATUS_CODE_SHIFT));
  TILE_LAST(TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  tile_desc(TESSERA_TILE_KERNEL_FWD, k, kn, m, TESSERA_CFG_LANE_BANK_WORDS / kn + 1u, ng);
  TILE(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  result(TR_E_RANGE, code());
  TILE(TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  tile_desc(TESSERA_TILE_KERNEL_BWD_WEIGHT, k, kn, m, tpl, ng);
  TILE(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  TILE(TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  result(TR_E_BUSY, code());
  while (TILE(TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_BUSY_MASK) {
  }
  TILE(TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_ERROR_MASK;
  result(TR_CLEARED, TILE(TESSERA_TILE_STATUS_OFFSET));
  result(TR_DONE_ALL, TILE(TESSERA_TILE_DONE_OFFSET));
  TILE(TESSERA_TILE_CLEAR_OFFSET) = TESSERA_TILE_CLEAR_COUNTERS_MASK;
  result(TR_CNT_CLEARED, TILE(TESSERA_TILE_CNT_BUSY_LO_OFFSET));
  return 0;
}
