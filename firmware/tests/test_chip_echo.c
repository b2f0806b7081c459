/* Driver test firmware (tests/driver): the ring consumer of firmware/sched/ring.c with its stub
 * scheduler over the chip's dram window. It checks the ring the host set up, says ready (or fatal),
 * then answers every command: OK when the validator accepts it, INVALID with the error otherwise.
 * A stand-in for the real firmware (firmware/app/) while the driver is tested. */
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tfw.h"
#include "../sched/tfw_ring.h"

#define HOSTIF(off) TFW_REG(TESSERA_HOSTIF_BASE, off)

/* Device memory through the window: words where both sides allow, bytes otherwise. */
static int win_ok(uint64_t addr, uint32_t len) {
  return addr < TESSERA_DRAM_SIZE && len <= TESSERA_DRAM_SIZE - addr;
}

static int port_read(void *ctx, uint64_t addr, void *buf, uint32_t len) {
  (void)ctx;
  if (!win_ok(addr, len)) return -1;
  uint8_t *b = (uint8_t *)buf;
  uint32_t a = TESSERA_DRAM_BASE + (uint32_t)addr, i = 0;
  if (((a | (uint32_t)(uintptr_t)b) & 3u) == 0u)
    for (; i + 4u <= len; i += 4u) *(uint32_t *)(void *)(b + i) = *(volatile uint32_t *)(uintptr_t)(a + i);
  for (; i < len; i++) b[i] = *(volatile uint8_t *)(uintptr_t)(a + i);
  return 0;
}

static int port_write(void *ctx, uint64_t addr, const void *buf, uint32_t len) {
  (void)ctx;
  if (!win_ok(addr, len)) return -1;
  const uint8_t *b = (const uint8_t *)buf;
  uint32_t a = TESSERA_DRAM_BASE + (uint32_t)addr, i = 0;
  if (((a | (uint32_t)(uintptr_t)b) & 3u) == 0u)
    for (; i + 4u <= len; i += 4u) *(volatile uint32_t *)(uintptr_t)(a + i) = *(const uint32_t *)(const void *)(b + i);
  for (; i < len; i++) *(volatile uint8_t *)(uintptr_t)(a + i) = b[i];
  return 0;
}

static uint64_t port_cycles(void *ctx) {
  (void)ctx;
  return tfw_cycles();
}

static void port_irq(void *ctx) {
  (void)ctx;
  HOSTIF(TESSERA_HOSTIF_IRQ_OFFSET) = 1u;
}

static struct tfw_ring ring;
static struct tfw_alloc_table allocs;
static struct tfw_sched_stub stub;

int main(void) {
  static const struct tfw_port port = {
      .read = port_read, .write = port_write, .cycles = port_cycles, .irq = port_irq};
  uint64_t ctrl = (uint64_t)HOSTIF(TESSERA_HOSTIF_RING_HI_OFFSET) << 32 | HOSTIF(TESSERA_HOSTIF_RING_LO_OFFSET);
  uint64_t table = (uint64_t)HOSTIF(TESSERA_HOSTIF_ALLOC_HI_OFFSET) << 32 | HOSTIF(TESSERA_HOSTIF_ALLOC_LO_OFFSET);
  struct tfw_sched_if sched = {.ctx = &stub, .op = tfw_sched_stub_op};
  if (tfw_ring_init(&ring, &port, ctrl, &allocs, sched) == TFW_RING_FATAL) {
    HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_FATAL;
    for (;;) tfw_wfi();
  }
  HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_READY;
  uint32_t seen = 0;
  for (;;) {
    uint32_t bell = HOSTIF(TESSERA_HOSTIF_DOORBELL_OFFSET);
    if (bell == seen) continue;
    seen = bell;
    if (port_read(0, table, &allocs, sizeof allocs) != 0) allocs.count = 0;
    int rc;
    do {
      rc = tfw_ring_poll(&ring, 0xffffffffu, 0);
    } while (rc == TFW_RING_DONE);
    if (rc == TFW_RING_FATAL) {
      HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_FATAL;
      for (;;) tfw_wfi();
    }
  }
}
