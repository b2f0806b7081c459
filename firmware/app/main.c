/* The Tessera device firmware (docs/firmware.md "The device firmware"; docs/chip.md "Host interface
 * and boot"): reads the ring and allocation-table addresses from hostif, checks the ring, reports
 * ready (or fatal), then polls the doorbell and runs commands through the ring consumer and the
 * scheduler. An unexpected trap is reported in hostif and ends the simulation. */
#include <stdint.h>

#include "tessera/gen/map.h"
#include "tfw.h"
#include "tfw_app.h"
#include "tfw_ring.h"
#include "tfw_sched.h"
#include "tfw_validate.h"

#define HOSTIF(off) TFW_REG(TESSERA_HOSTIF_BASE, (off))

static struct tfw_port port;
static struct tfw_sched sched;
static struct tfw_ring ring;
static struct tfw_alloc_table allocs __attribute__((aligned(4)));

static void trap_handler(struct tfw_trap_frame *f) {
  HOSTIF(TESSERA_HOSTIF_TRAP_CAUSE_OFFSET) = f->mcause;
  HOSTIF(TESSERA_HOSTIF_TRAP_PC_OFFSET) = f->mepc;
  HOSTIF(TESSERA_HOSTIF_TRAP_TVAL_OFFSET) = f->mtval;
  HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_TRAP;
  tfw_exit(TFW_TRAP_EXIT_CODE);
}

/* The host's allocation table, by DMA into DMEM. A table that cannot be read is an empty one
 * (every command naming an allocation is then refused by the validator). */
static void read_allocs(uint64_t addr) {
  if (port.read(port.ctx, addr, &allocs, (uint32_t)sizeof allocs) != 0) allocs.count = 0u;
}

int main(void) {
  tfw_set_trap_handler(trap_handler);
  uint64_t ring_addr = (uint64_t)HOSTIF(TESSERA_HOSTIF_RING_HI_OFFSET) << 32 | HOSTIF(TESSERA_HOSTIF_RING_LO_OFFSET);
  uint64_t alloc_addr = (uint64_t)HOSTIF(TESSERA_HOSTIF_ALLOC_HI_OFFSET) << 32 | HOSTIF(TESSERA_HOSTIF_ALLOC_LO_OFFSET);
  tfw_app_port_init(&port, &sched);
  tfw_sched_init(&sched, &port, tfw_app_zero_dmem());
  read_allocs(alloc_addr);
  struct tfw_sched_if sif = {&sched, NULL, tfw_sched_run};
  if (tfw_ring_init(&ring, &port, ring_addr, &allocs, sif) != TFW_RING_IDLE) {
    HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_FATAL;
    for (;;) {
    }
  }
  /* While a command waits on the tiles, the next one is read, validated and planned. */
  ring.prepare = tfw_sched_prepare;
  sched.idle = tfw_ring_prefetch;
  sched.idle_ctx = &ring;
  HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_READY;
  uint32_t seen = ring.cmd_tail, more = 1u; /* one poll at once: commands may predate ready */
  for (;;) {
    /* The doorbell carries cmd_head: poll when it moved, or while commands were left waiting
     * (a full completion ring, or the per-poll limit). */
    uint32_t bell = HOSTIF(TESSERA_HOSTIF_DOORBELL_OFFSET);
    if (bell == seen && !more) continue;
    seen = bell;
    read_allocs(alloc_addr);
    int rc = tfw_ring_poll(&ring, 0xFFFFFFFFu, NULL);
    if (rc == TFW_RING_FATAL) {
      HOSTIF(TESSERA_HOSTIF_FW_STATE_OFFSET) = TESSERA_FW_STATE_FATAL;
      for (;;) {
      }
    }
    more = rc == TFW_RING_DONE || rc == TFW_RING_BLOCKED;
  }
}
