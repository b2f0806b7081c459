/* RTL chip test firmware: the DMA engine in every mode and endpoint, its refusals and counters.
 * The host (tests/chip_rtl/test_chip_rtl.c) fills the inputs and checks the outputs and the result
 * words this program writes through the controller's dram window (tests/chip_rtl/chiprtl_layout.h). */
#include <stdint.h>

#include "../../tests/chip_rtl/chiprtl_layout.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tfw.h"

#define DMA(off) TFW_REG(TESSERA_DMA_BASE, off)
#define WIN(addr) (*(volatile uint32_t *)(uintptr_t)(TESSERA_DRAM_BASE + (addr)))
#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define T TESSERA_CFG_TILES

int main(void);

static uint32_t dmem_buf[CHIPRTL_IN_WORDS];
static uint32_t tickets;

static uint32_t ctrl(uint32_t sk, uint32_t dk, uint32_t mode, uint32_t st, uint32_t dt, uint32_t flags, uint32_t lane0) {
  return sk << TESSERA_DMA_CTRL_SRC_KIND_SHIFT | dk << TESSERA_DMA_CTRL_DST_KIND_SHIFT |
         mode << TESSERA_DMA_CTRL_MODE_SHIFT | st << TESSERA_DMA_CTRL_SRC_TILE_SHIFT |
         dt << TESSERA_DMA_CTRL_DST_TILE_SHIFT | flags | lane0 << TESSERA_DMA_CTRL_LANE0_SHIFT;
}

static void dma_regs(uint32_t src, uint32_t dst, uint32_t aux, uint32_t rows, uint32_t row_bytes, uint32_t ss,
                     uint32_t ds, uint32_t c) {
  DMA(TESSERA_DMA_SRC_LO_OFFSET) = src;
  DMA(TESSERA_DMA_SRC_HI_OFFSET) = 0;
  DMA(TESSERA_DMA_DST_LO_OFFSET) = dst;
  DMA(TESSERA_DMA_DST_HI_OFFSET) = 0;
  DMA(TESSERA_DMA_AUX_LO_OFFSET) = aux;
  DMA(TESSERA_DMA_AUX_HI_OFFSET) = 0;
  DMA(TESSERA_DMA_ROWS_OFFSET) = rows;
  DMA(TESSERA_DMA_ROW_BYTES_OFFSET) = row_bytes;
  DMA(TESSERA_DMA_SRC_STRIDE_OFFSET) = ss;
  DMA(TESSERA_DMA_DST_STRIDE_OFFSET) = ds;
  DMA(TESSERA_DMA_CTRL_OFFSET) = c;
}

static void clear(void) { DMA(TESSERA_DMA_CLEAR_OFFSET) = TESSERA_DMA_CLEAR_GO_MASK; }

/* Start the programmed descriptor; status.code after it if status.error is set, else 0. */
static uint32_t start_raw(void) {
  DMA(TESSERA_DMA_START_OFFSET) = TESSERA_DMA_START_GO_MASK;
  uint32_t st = DMA(TESSERA_DMA_STATUS_OFFSET);
  return (st & TESSERA_DMA_STATUS_ERROR_MASK) ? (st & TESSERA_DMA_STATUS_CODE_MASK) >> TESSERA_DMA_STATUS_CODE_SHIFT : 0;
}

/* Program, clear the error, start: the refusal code of this descriptor (0: queued, a ticket). */
static uint32_t dma_try(uint32_t src, uint32_t dst, uint32_t aux, uint32_t rows, uint32_t row_bytes, uint32_t ss,
                        uint32_t ds, uint32_t c) {
  dma_regs(src, dst, aux, rows, row_bytes, ss, ds, c);
  clear();
  uint32_t code = start_raw();
  if (!code) tickets++;
  return code;
}

/* A descriptor that must run: wait for room in the queue; a refusal is counted as unexpected. */
static uint32_t unexpected;
static void dma_go(uint32_t src, uint32_t dst, uint32_t aux, uint32_t rows, uint32_t row_bytes, uint32_t ss,
                   uint32_t ds, uint32_t c) {
  while (((DMA(TESSERA_DMA_STATUS_OFFSET) & TESSERA_DMA_STATUS_QUEUED_MASK) >> TESSERA_DMA_STATUS_QUEUED_SHIFT) >= 4u) {
  }
  unexpected += dma_try(src, dst, aux, rows, row_bytes, ss, ds, c) != 0;
}

static void dma_wait(void) {
  while (DMA(TESSERA_DMA_DONE_OFFSET) != tickets) {
  }
}

static void result(uint32_t i, uint32_t v) { WIN(CHIPRTL_RESULTS + 4u * i) = v; }

enum { DRAM = TESSERA_DMA_KIND_DRAM, DMEM = TESSERA_DMA_KIND_DMEM, BANK = TESSERA_DMA_KIND_BANK,
       WBUF = TESSERA_DMA_KIND_WBUF, GBUF = TESSERA_DMA_KIND_GBUF };
enum { COPY = TESSERA_DMA_MODE_COPY, GATHER = TESSERA_DMA_MODE_GATHER };

int main(void) {
  const uint32_t dmem_off = (uint32_t)(uintptr_t)dmem_buf - TESSERA_DMEM_BASE;
  const uint32_t rstride = 4u * CHIPRTL_KN;

  /* Copy DRAM to DRAM: 4 rows of 16 bytes, source stride 32, destination stride 16. */
  uint32_t b0 = DMA(TESSERA_DMA_DRAM_BYTES_LO_OFFSET);
  dma_go(CHIPRTL_IN, CHIPRTL_OUT(0), 0, 4, 16, 32, 16, ctrl(DRAM, DRAM, COPY, 0, 0, 0, 0));
  dma_wait();
  result(CR_BYTES1, DMA(TESSERA_DMA_DRAM_BYTES_LO_OFFSET) - b0);

  /* DRAM to DMEM (checked against window reads), then DMEM to DRAM: 8 rows of 8 bytes, stride 32. */
  dma_go(CHIPRTL_IN, dmem_off, 0, 1, 4u * CHIPRTL_IN_WORDS, 0, 0, ctrl(DRAM, DMEM, COPY, 0, 0, 0, 0));
  dma_wait();
  uint32_t bad = 0;
  for (uint32_t i = 0; i < CHIPRTL_IN_WORDS; i++) bad += dmem_buf[i] != WIN(CHIPRTL_IN + 4u * i);
  result(CR_DMEM_BAD, bad);
  dma_go(dmem_off, CHIPRTL_OUT(1), 0, 8, 8, 32, 8, ctrl(DMEM, DRAM, COPY, 0, 0, 0, 0));

  /* Banks of tile 0: two rows broadcast, then L + 2 rows interleaved from lane 1 over them. */
  dma_go(CHIPRTL_IN + 128u, CHIPRTL_BANK_A, 0, 2, 8, 8, rstride,
         ctrl(DRAM, BANK, COPY, 0, 0, TESSERA_DMA_CTRL_BROADCAST_MASK, 0));
  dma_go(CHIPRTL_IN, CHIPRTL_BANK_A, 0, L + 2u, 8, 8, rstride, ctrl(DRAM, BANK, COPY, 0, 0, 0, 1));
  /* Read back 2L rows from lane 0, and L rows from lane0 = L (the second region of each lane). */
  dma_go(CHIPRTL_BANK_A, CHIPRTL_OUT(2), 0, 2u * L, 8, rstride, 8, ctrl(BANK, DRAM, COPY, 0, 0, 0, 0));
  dma_go(CHIPRTL_BANK_A, CHIPRTL_OUT(3), 0, L, 8, rstride, 8, ctrl(BANK, DRAM, COPY, 0, 0, 0, L));
  /* Bank to bank into the last tile (dense rows there), and back out. */
  dma_go(CHIPRTL_BANK_A, CHIPRTL_BANK_B, 0, 2u * L, 8, rstride, 8, ctrl(BANK, BANK, COPY, 0, T - 1u, 0, 0));
  dma_go(CHIPRTL_BANK_B, CHIPRTL_OUT(4), 0, 2u * L, 8, 8, 8, ctrl(BANK, DRAM, COPY, T - 1u, 0, 0, 0));

  /* Gradient buffer: entries 5..7 from DRAM, entries 6..7 back. */
  dma_go(CHIPRTL_IN, 5, 0, 3, 4u * P, 4u * P, 0, ctrl(DRAM, GBUF, COPY, 0, 0, 0, 0));
  dma_go(6, CHIPRTL_OUT(5), 0, 2, 4u * P, 0, 4u * P, ctrl(GBUF, DRAM, COPY, 0, 0, 0, 0));
  dma_wait();

  /* Gather from DRAM and from DMEM: rows of 16 bytes, indices at CHIPRTL_IDX (two out of range). */
  dma_go(CHIPRTL_IN, CHIPRTL_OUT(6), CHIPRTL_IDX, CHIPRTL_GATHER_ROWS, 16, 16, 16, ctrl(DRAM, DRAM, GATHER, 0, 0, 0, 0));
  dma_go(dmem_off, CHIPRTL_OUT(7), CHIPRTL_IDX, CHIPRTL_GATHER_ROWS, 16, 16, 16, ctrl(DMEM, DRAM, GATHER, 0, 0, 0, 0));
  dma_wait();
  result(CR_GATHER_STATUS, DMA(TESSERA_DMA_STATUS_OFFSET));
  clear();
  result(CR_CLEARED_STATUS, DMA(TESSERA_DMA_STATUS_OFFSET));

  /* pack16 to a 2-byte aligned destination; unpack16 from a 2-byte aligned source. */
  dma_go(CHIPRTL_IN, CHIPRTL_OUT(8) + 2u, 0, 2, 16, 16, 10, ctrl(DRAM, DRAM, COPY, 0, 0, TESSERA_DMA_CTRL_PACK16_MASK, 0));
  dma_go(CHIPRTL_HALF + 2u, CHIPRTL_OUT(9), 0, 2, 16, 10, 16, ctrl(DRAM, DRAM, COPY, 0, 0, TESSERA_DMA_CTRL_UNPACK16_MASK, 0));
  dma_wait();

  /* Refusals, each from a cleared status. */
  result(CR_E_KIND, dma_try(CHIPRTL_IN, CHIPRTL_OUT(10), 0, 1, 4, 4, 4, ctrl(5, DRAM, COPY, 0, 0, 0, 0)));
  result(CR_E_WBUF, dma_try(CHIPRTL_IN, 0, 0, 1, 4, 4, 4, ctrl(DRAM, WBUF, COPY, 0, 0, 0, 0)));
  result(CR_E_TILE, dma_try(CHIPRTL_IN, 0, 0, 1, 4, 4, 4, ctrl(DRAM, BANK, COPY, 0, T, 0, 0)));
  result(CR_E_ALIGN, dma_try(CHIPRTL_IN + 2u, CHIPRTL_OUT(10), 0, 1, 4, 4, 4, ctrl(DRAM, DRAM, COPY, 0, 0, 0, 0)));
  result(CR_E_ROWS0, dma_try(CHIPRTL_IN, CHIPRTL_OUT(10), 0, 0, 4, 4, 4, ctrl(DRAM, DRAM, COPY, 0, 0, 0, 0)));
  result(CR_E_DMEM_RANGE, dma_try(CHIPRTL_IN, TESSERA_DMEM_SIZE - 8u, 0, 1, 16, 16, 16, ctrl(DRAM, DMEM, COPY, 0, 0, 0, 0)));
  result(CR_E_BANK_RANGE, dma_try(CHIPRTL_IN, TESSERA_CFG_LANE_BANK_WORDS - 1u, 0, 1, 8, 8, 8, ctrl(DRAM, BANK, COPY, 0, 0, 0, 0)));

  /* Queue full: four long copies queue, the fifth is refused; a later refusal keeps code 1. */
  for (uint32_t i = 0; i < 4; i++)
    (void)dma_try(CHIPRTL_IN, CHIPRTL_OUT(11), 0, 1, CHIPRTL_QUEUE_BYTES, 0, 0, ctrl(DRAM, DRAM, COPY, 0, 0, 0, 0));
  result(CR_QUEUED4, (DMA(TESSERA_DMA_STATUS_OFFSET) & TESSERA_DMA_STATUS_QUEUED_MASK) >> TESSERA_DMA_STATUS_QUEUED_SHIFT);
  result(CR_E_FULL, dma_try(CHIPRTL_IN, CHIPRTL_OUT(11), 0, 1, 4, 0, 0, ctrl(DRAM, DRAM, COPY, 0, 0, 0, 0)));
  dma_regs(CHIPRTL_IN, CHIPRTL_OUT(11), 0, 1, 4, 4, 4, ctrl(7, DRAM, COPY, 0, 0, 0, 0));
  result(CR_E_STICKY, start_raw());
  clear();
  dma_wait();

  result(CR_DONE, DMA(TESSERA_DMA_DONE_OFFSET));
  result(CR_TICKETS, tickets);
  result(CR_UNEXPECTED, unexpected);
  result(CR_BYTES_LO, DMA(TESSERA_DMA_DRAM_BYTES_LO_OFFSET));
  result(CR_BYTES_HI, DMA(TESSERA_DMA_DRAM_BYTES_HI_OFFSET));
  *(volatile uint8_t *)(uintptr_t)(TESSERA_DRAM_BASE + CHIPRTL_RESULTS + 4u * CR_WINDOW_BYTE + 1u) = 0xa5;
  return 0;
}
