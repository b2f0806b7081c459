/* The firmware's port layer: everything the ring consumer (ring.c) needs from the hardware.
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
};

#endif /* TFW_PORT_H */
