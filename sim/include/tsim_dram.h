/* The simulation-side device DRAM (docs/protocol.md, "The DRAM model").
 *
 * Capacity, bandwidth (bytes per cycle) and latency come from the hardware configuration
 * (TESSERA_CFG_DRAM_*) unless given. Data: byte-range reads and writes with bounds checks, every
 * byte counted. Timing: one channel serving transfers in issue order; a transfer of N bytes issued
 * at cycle c starts moving data at max(c + latency, the cycle the channel frees up) and holds the
 * channel for ceil(N / bytes_per_cycle) cycles, so queued transfers share the bandwidth in turn
 * while their latencies overlap. Nothing aborts: errors are return codes. */
#ifndef TSIM_DRAM_H
#define TSIM_DRAM_H

#include <stddef.h>
#include <stdint.h>

enum tsim_dram_status {
  TSIM_DRAM_OK = 0,
  TSIM_DRAM_ERR_ARG = 1,    /* NULL pointer, zero or out-of-range parameter */
  TSIM_DRAM_ERR_BOUNDS = 2, /* [addr, addr + len) not inside [0, capacity) */
  TSIM_DRAM_ERR_ORDER = 3,  /* a transfer issued at an earlier cycle than the previous one */
  TSIM_DRAM_ERR_NOMEM = 4
};

struct tsim_dram_counters {
  uint64_t bytes_read;      /* bytes returned by tsim_dram_read */
  uint64_t bytes_written;   /* bytes stored by tsim_dram_write */
  uint64_t reads, writes;   /* successful calls */
  uint64_t bad_accesses;    /* calls refused for bounds */
  uint64_t transfers;       /* tsim_dram_transfer calls accounted */
  uint64_t transfer_bytes;  /* bytes of those transfers */
  uint64_t busy_cycles;     /* cycles the channel moved data */
  uint64_t wait_cycles;     /* cycles transfers waited for the channel beyond their latency */
};

struct tsim_dram; /* opaque */

/* capacity 0, bytes_per_cycle 0, latency 0 (each): the preset's TESSERA_CFG_DRAM_BYTES,
 * _DRAM_BYTES_PER_CYCLE, _DRAM_LATENCY. Contents start at zero. */
enum tsim_dram_status tsim_dram_open(struct tsim_dram **out, uint64_t capacity, uint32_t bytes_per_cycle,
                                     uint32_t latency);
void tsim_dram_close(struct tsim_dram *d);

uint64_t tsim_dram_capacity(const struct tsim_dram *d);
uint32_t tsim_dram_bytes_per_cycle(const struct tsim_dram *d);
uint32_t tsim_dram_latency(const struct tsim_dram *d);

/* Copy len bytes (len 0 is a no-op, still bounds-checked) between the DRAM and a host buffer. */
enum tsim_dram_status tsim_dram_read(struct tsim_dram *d, uint64_t addr, void *dst, uint64_t len);
enum tsim_dram_status tsim_dram_write(struct tsim_dram *d, uint64_t addr, const void *src, uint64_t len);

/* Timing of a transfer of `bytes` issued at cycle `issue` (issue cycles non-decreasing): *done is
 * the cycle its last byte arrives, so done - issue is its duration. bytes 0 takes no time and does
 * not touch the channel. */
enum tsim_dram_status tsim_dram_transfer(struct tsim_dram *d, uint64_t issue, uint64_t bytes, uint64_t *done);
/* The cycle the channel is free again (0 before any transfer). */
uint64_t tsim_dram_free_at(const struct tsim_dram *d);

void tsim_dram_counters(const struct tsim_dram *d, struct tsim_dram_counters *c);
void tsim_dram_reset_counters(struct tsim_dram *d);
const char *tsim_dram_status_str(enum tsim_dram_status st);

#endif /* TSIM_DRAM_H */
