/* The firmware's port layer: everything the ring consumer (ring.c) and the scheduler (sched.c)
 * need from the hardware.
 *
 * The firmware fills one with functions over the controller's bus (HAL); the host tests fill one
 * with a mock that owns a few memory areas and checks every address. Plain C11, no C library. */
#ifndef TFW_PORT_H
#define TFW_PORT_H

#include <stdint.h>

struct tfw_port {
  void *ctx; /* passed back to every function */
  /* Copy len bytes of device memory at addr into buf / from buf to addr. Return 0, or nonzero on a
   * bus error (the caller then stops with a fatal status). */
  int (*read)(void *ctx, uint64_t addr, void *buf, uint32_t len);
  int (*write)(void *ctx, uint64_t addr, const void *buf, uint32_t len);
  uint64_t (*cycles)(void *ctx);  /* the controller's free-running cycle counter */
  void (*irq)(void *ctx);         /* raise the host interrupt (completions were posted) */
  void (*log)(void *ctx, const char *msg); /* one line, no newline; may be NULL */
  /* One 32-bit access to a controller bus register (blocks dma, tile, hostif; addresses from
   * tessera/gen/map.h). The scheduler drives the DMA engine and the tiles only through these;
   * the ring consumer does not use them (they may be NULL for it). */
  uint32_t (*reg_read)(void *ctx, uint32_t addr);
  void (*reg_write)(void *ctx, uint32_t addr, uint32_t v);
};

#endif /* TFW_PORT_H */
