/* Chip cmodel test program (tests/chip): DMA a token block X and a sparse weight stream into one
 * tile, run fwd, DMA Y out to the DRAM, then DMA Y into DMEM and compare its checksum with the one
 * the host computed from the tile's functional model. The host describes the job in a parameter
 * block at DRAM address 0 (struct below, read through the dram window). Exit 0 when the checksum
 * matches, 1 when not, 2 on a DMA or tile error. */
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tfw.h"

#define CHIP_FWD_MAGIC 0x46574431u /* "1DWF" */
#define W(i) (*(volatile uint32_t *)(uintptr_t)(TESSERA_DRAM_BASE + 4u * (i)))
#define DMA(off) TFW_REG(TESSERA_DMA_BASE, off)
#define TILE(t, off) TFW_REG(TESSERA_TILE_ADDR(t), off)

/* Word indices of the parameter block (tests/chip/test_chip.c writes it). */
enum { P_MAGIC, P_TILE, P_M, P_K, P_N, P_NGROUPS, P_X, P_GRP, P_VAL, P_Y, P_SUM, P_LANE0, P_COUNT };

static uint32_t ybuf[2048];
static uint32_t tickets;

static int dma_go(uint64_t src, uint64_t dst, uint64_t aux, uint32_t rows, uint32_t row_bytes, uint32_t sstride,
                  uint32_t dstride, uint32_t ctrl) {
  DMA(TESSERA_DMA_SRC_LO_OFFSET) = (uint32_t)src;
  DMA(TESSERA_DMA_SRC_HI_OFFSET) = (uint32_t)(src >> 32);
  DMA(TESSERA_DMA_DST_LO_OFFSET) = (uint32_t)dst;
  DMA(TESSERA_DMA_DST_HI_OFFSET) = (uint32_t)(dst >> 32);
  DMA(TESSERA_DMA_AUX_LO_OFFSET) = (uint32_t)aux;
  DMA(TESSERA_DMA_AUX_HI_OFFSET) = (uint32_t)(aux >> 32);
  DMA(TESSERA_DMA_ROWS_OFFSET) = rows;
  DMA(TESSERA_DMA_ROW_BYTES_OFFSET) = row_bytes;
  DMA(TESSERA_DMA_SRC_STRIDE_OFFSET) = sstride;
  DMA(TESSERA_DMA_DST_STRIDE_OFFSET) = dstride;
  DMA(TESSERA_DMA_CTRL_OFFSET) = ctrl;
  DMA(TESSERA_DMA_START_OFFSET) = TESSERA_DMA_START_GO_MASK;
  tickets++;
  return (DMA(TESSERA_DMA_STATUS_OFFSET) & TESSERA_DMA_STATUS_ERROR_MASK) ? -1 : 0;
}

static void dma_wait(void) {
  while ((int32_t)(DMA(TESSERA_DMA_DONE_OFFSET) - tickets) < 0) {
  }
}

static uint32_t ctrl_of(uint32_t sk, uint32_t dk, uint32_t mode, uint32_t st, uint32_t dt, uint32_t lane0) {
  return sk << TESSERA_DMA_CTRL_SRC_KIND_SHIFT | dk << TESSERA_DMA_CTRL_DST_KIND_SHIFT |
         mode << TESSERA_DMA_CTRL_MODE_SHIFT | st << TESSERA_DMA_CTRL_SRC_TILE_SHIFT |
         dt << TESSERA_DMA_CTRL_DST_TILE_SHIFT | lane0 << TESSERA_DMA_CTRL_LANE0_SHIFT;
}

int main(void) {
  uint32_t p[P_COUNT];
  for (uint32_t i = 0; i < P_COUNT; i++) p[i] = W(i);
  if (p[P_MAGIC] != CHIP_FWD_MAGIC) {
    tfw_printf("FAIL: no parameter block\n");
    return 2;
  }
  uint32_t t = p[P_TILE], m = p[P_M], k = p[P_K], n = p[P_N], kn = k + n, lane0 = p[P_LANE0];
  if (m * n > sizeof ybuf / 4u) {
    tfw_printf("FAIL: Y does not fit the buffer\n");
    return 2;
  }
  /* X rows to operand X of the tile's rows (lane0 rotates which lane takes row 0). */
  int bad = dma_go(p[P_X], 0, 0, m, 4u * k, 4u * k, 4u * kn,
                   ctrl_of(TESSERA_DMA_KIND_DRAM, TESSERA_DMA_KIND_BANK, TESSERA_DMA_MODE_COPY, 0, t, lane0));
  bad |= dma_go(p[P_GRP], 0, p[P_VAL], p[P_NGROUPS], 0, 0, 0,
                ctrl_of(TESSERA_DMA_KIND_DRAM, TESSERA_DMA_KIND_WBUF, TESSERA_DMA_MODE_WLOAD, 0, t, 0));
  dma_wait();
  if (bad) {
    tfw_printf("FAIL: dma refused, status 0x%08x\n", (unsigned)DMA(TESSERA_DMA_STATUS_OFFSET));
    return 2;
  }
  /* With lane0 != 0 the tile's row r is DMA row r - lane0: the host placed X accordingly. */
  uint32_t ntok = m + lane0;
  TILE(t, TESSERA_TILE_KERNEL_OFFSET) = TESSERA_TILE_KERNEL_FWD;
  TILE(t, TESSERA_TILE_K_OFFSET) = k;
  TILE(t, TESSERA_TILE_KN_OFFSET) = kn;
  TILE(t, TESSERA_TILE_NTOK_OFFSET) = ntok;
  TILE(t, TESSERA_TILE_TPL_OFFSET) = (ntok + TESSERA_CFG_LANES - 1u) / TESSERA_CFG_LANES;
  TILE(t, TESSERA_TILE_NGROUPS_OFFSET) = p[P_NGROUPS];
  uint32_t done0 = TILE(t, TESSERA_TILE_DONE_OFFSET);
  TILE(t, TESSERA_TILE_START_OFFSET) = TESSERA_TILE_START_GO_MASK;
  if (TILE(t, TESSERA_TILE_STATUS_OFFSET) & TESSERA_TILE_STATUS_ERROR_MASK) {
    tfw_printf("FAIL: tile refused the run, status 0x%08x\n", (unsigned)TILE(t, TESSERA_TILE_STATUS_OFFSET));
    return 2;
  }
  while (TILE(t, TESSERA_TILE_DONE_OFFSET) == done0) {
  }
  tfw_printf("tile %u: fwd done, %u busy cycles\n", (unsigned)t, (unsigned)TILE(t, TESSERA_TILE_CNT_BUSY_LO_OFFSET));
  /* Y out (bank words k.. of each region) to the DRAM, then into DMEM for the checksum. */
  bad = dma_go(k, p[P_Y], 0, m, 4u * n, 4u * kn, 4u * n,
               ctrl_of(TESSERA_DMA_KIND_BANK, TESSERA_DMA_KIND_DRAM, TESSERA_DMA_MODE_COPY, t, 0, lane0));
  bad |= dma_go(p[P_Y], (uint32_t)(uintptr_t)ybuf - TESSERA_DMEM_BASE, 0, 1, 4u * m * n, 0, 0,
                ctrl_of(TESSERA_DMA_KIND_DRAM, TESSERA_DMA_KIND_DMEM, TESSERA_DMA_MODE_COPY, 0, 0, 0));
  dma_wait();
  if (bad) {
    tfw_printf("FAIL: dma refused, status 0x%08x\n", (unsigned)DMA(TESSERA_DMA_STATUS_OFFSET));
    return 2;
  }
  uint32_t sum = 0;
  for (uint32_t i = 0; i < m * n; i++) sum = (sum << 5 | sum >> 27) ^ ybuf[i];
  tfw_check("checksum of Y", sum, p[P_SUM]);
  return tfw_done();
}
