/* The device firmware's port layer (tfw_app.h) over the controller's bus (docs/chip.md). */
#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tfw.h"
#include "tfw_app.h"

/* Transfers at least this long, word aligned, into DMEM go by DMA (a command is 1728 bytes: one
 * descriptor instead of 432 uncached window reads, each costing the DRAM latency). */
#define DMA_MIN_BYTES 64u
/* Writes from DMEM of at least this many bytes (a completion) go by DMA too. */
#define DMA_MIN_WRITE_BYTES 16u

static struct tfw_sched *port_sched;
static uint8_t zero_area[TFW_SCHED_ZERO_BYTES] __attribute__((aligned(4)));

uint32_t tfw_app_zero_dmem(void) { return (uint32_t)(uintptr_t)zero_area - TESSERA_DMEM_BASE; }

static uint32_t reg_rd(void *ctx, uint32_t addr) {
  (void)ctx;
  return TFW_REG(addr, 0u);
}
static void reg_wr(void *ctx, uint32_t addr, uint32_t v) {
  (void)ctx;
  TFW_REG(addr, 0u) = v;
}

static int in_window(uint64_t addr, uint32_t len) {
  return addr < TESSERA_CFG_DRAM_BYTES && len <= TESSERA_CFG_DRAM_BYTES - addr;
}

static int in_dmem(const void *buf, uint32_t len) {
  uintptr_t p = (uintptr_t)buf;
  return p >= TESSERA_DMEM_BASE && p - TESSERA_DMEM_BASE <= TESSERA_CFG_DMEM_BYTES &&
         len <= TESSERA_CFG_DMEM_BYTES - (p - TESSERA_DMEM_BASE);
}

/* The DMA engine's done count has caught up with every ticket handed out. */
static void dma_idle(void) {
  while (TFW_REG(TESSERA_DMA_BASE, TESSERA_DMA_DONE_OFFSET) != port_sched->dma_issued) {
  }
}

/* One DRAM <-> DMEM copy by DMA (to_dram: DMEM -> DRAM); takes a ticket of the scheduler's count
 * and waits for it. */
static int dma_copy(uint64_t addr, const void *buf, uint32_t len, int to_dram) {
  const uint32_t b = TESSERA_DMA_BASE;
  uint32_t dmem = (uint32_t)(uintptr_t)buf - TESSERA_DMEM_BASE;
  dma_idle();
  TFW_REG(b, TESSERA_DMA_SRC_LO_OFFSET) = to_dram ? dmem : (uint32_t)addr;
  TFW_REG(b, TESSERA_DMA_SRC_HI_OFFSET) = to_dram ? 0u : (uint32_t)(addr >> 32);
  TFW_REG(b, TESSERA_DMA_DST_LO_OFFSET) = to_dram ? (uint32_t)addr : dmem;
  TFW_REG(b, TESSERA_DMA_DST_HI_OFFSET) = to_dram ? (uint32_t)(addr >> 32) : 0u;
  TFW_REG(b, TESSERA_DMA_AUX_LO_OFFSET) = 0u;
  TFW_REG(b, TESSERA_DMA_AUX_HI_OFFSET) = 0u;
  TFW_REG(b, TESSERA_DMA_ROWS_OFFSET) = 1u;
  TFW_REG(b, TESSERA_DMA_ROW_BYTES_OFFSET) = len;
  TFW_REG(b, TESSERA_DMA_SRC_STRIDE_OFFSET) = len;
  TFW_REG(b, TESSERA_DMA_DST_STRIDE_OFFSET) = len;
  TFW_REG(b, TESSERA_DMA_CTRL_OFFSET) =
      ((to_dram ? TESSERA_DMA_KIND_DMEM : TESSERA_DMA_KIND_DRAM) << TESSERA_DMA_CTRL_SRC_KIND_SHIFT) |
      ((to_dram ? TESSERA_DMA_KIND_DRAM : TESSERA_DMA_KIND_DMEM) << TESSERA_DMA_CTRL_DST_KIND_SHIFT) |
      (TESSERA_DMA_MODE_COPY << TESSERA_DMA_CTRL_MODE_SHIFT);
  TFW_REG(b, TESSERA_DMA_START_OFFSET) = TESSERA_DMA_START_GO_MASK;
  if (TFW_REG(b, TESSERA_DMA_STATUS_OFFSET) & TESSERA_DMA_STATUS_ERROR_MASK) {
    TFW_REG(b, TESSERA_DMA_CLEAR_OFFSET) = TESSERA_DMA_CLEAR_GO_MASK;
    return -1;
  }
  port_sched->dma_issued++;
  dma_idle();
  return 0;
}

static int port_read(void *ctx, uint64_t addr, void *buf, uint32_t len) {
  (void)ctx;
  if (!in_window(addr, len)) return -1;
  if (len >= DMA_MIN_BYTES && (addr & 3u) == 0u && (len & 3u) == 0u && ((uintptr_t)buf & 3u) == 0u && in_dmem(buf, len))
    return dma_copy(addr, buf, len, 0);
  /* Small reads: whole words through the window. */
  uint8_t *out = (uint8_t *)buf;
  for (uint32_t i = 0; i < len;) {
    uint64_t a = addr + i;
    uint32_t w = TFW_REG(TESSERA_DRAM_BASE, (uint32_t)(a & ~3ull));
    for (uint32_t k = (uint32_t)(a & 3u); k < 4u && i < len; k++, i++) out[i] = (uint8_t)(w >> (8u * k));
  }
  return 0;
}

static int port_write(void *ctx, uint64_t addr, const void *buf, uint32_t len) {
  (void)ctx;
  const uint8_t *in = (const uint8_t *)buf;
  if (!in_window(addr, len)) return -1;
  /* Completions: one DMA descriptor (a window access costs the DRAM latency per word). */
  if (len >= DMA_MIN_WRITE_BYTES && (addr & 3u) == 0u && (len & 3u) == 0u && ((uintptr_t)buf & 3u) == 0u &&
      in_dmem(buf, len))
    return dma_copy(addr, buf, len, 1);
  /* Indices: words through the window (read-modify-write at ragged ends). */
  for (uint32_t i = 0; i < len;) {
    uint64_t a = addr + i;
    uint32_t off = (uint32_t)(a & ~3ull), k = (uint32_t)(a & 3u);
    uint32_t w = (k == 0u && len - i >= 4u) ? 0u : TFW_REG(TESSERA_DRAM_BASE, off);
    for (; k < 4u && i < len; k++, i++) w = (w & ~(0xFFu << (8u * k))) | ((uint32_t)in[i] << (8u * k));
    TFW_REG(TESSERA_DRAM_BASE, off) = w;
  }
  return 0;
}

static uint64_t port_cycles(void *ctx) {
  (void)ctx;
  return tfw_cycles();
}

static void port_irq(void *ctx) {
  (void)ctx;
  TFW_REG(TESSERA_HOSTIF_BASE, TESSERA_HOSTIF_IRQ_OFFSET) = TESSERA_HOSTIF_IRQ_PENDING_MASK;
}

void tfw_app_port_init(struct tfw_port *port, struct tfw_sched *sched) {
  port_sched = sched;
  port->ctx = NULL;
  port->read = port_read;
  port->write = port_write;
  port->cycles = port_cycles;
  port->irq = port_irq;
  port->log = NULL;
  port->reg_read = reg_rd;
  port->reg_write = reg_wr;
}
