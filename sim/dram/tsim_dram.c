/* The simulation-side device DRAM: contents, bounds, byte counters, transfer timing. */
#include "tsim_dram.h"

#include <stdlib.h>
#include <string.h>

#include "tessera/gen/hwcfg.h"

struct tsim_dram {
  uint8_t *mem;
  uint64_t capacity;
  uint32_t bpc, latency;
  uint64_t free_at;    /* cycle the channel frees up */
  uint64_t last_issue; /* issue cycle of the latest transfer */
  struct tsim_dram_counters c;
};

/* Largest capacity accepted: the spec's maximum for dram_bytes (16 GiB). */
#define TSIM_DRAM_MAX_CAPACITY (16ull << 30)

enum tsim_dram_status tsim_dram_open(struct tsim_dram **out, uint64_t capacity, uint32_t bytes_per_cycle,
                                     uint32_t latency) {
  if (!out) return TSIM_DRAM_ERR_ARG;
  *out = NULL;
  if (!capacity) capacity = TESSERA_CFG_DRAM_BYTES;
  if (!bytes_per_cycle) bytes_per_cycle = TESSERA_CFG_DRAM_BYTES_PER_CYCLE;
  if (!latency) latency = TESSERA_CFG_DRAM_LATENCY;
  if (capacity > TSIM_DRAM_MAX_CAPACITY || capacity > SIZE_MAX) return TSIM_DRAM_ERR_ARG;
  struct tsim_dram *d = calloc(1, sizeof *d);
  if (!d) return TSIM_DRAM_ERR_NOMEM;
  /* calloc: the pages of a large, mostly untouched DRAM are only mapped when written. */
  d->mem = calloc(1, (size_t)capacity);
  if (!d->mem) {
    free(d);
    return TSIM_DRAM_ERR_NOMEM;
  }
  d->capacity = capacity;
  d->bpc = bytes_per_cycle;
  d->latency = latency;
  *out = d;
  return TSIM_DRAM_OK;
}

void tsim_dram_close(struct tsim_dram *d) {
  if (!d) return;
  free(d->mem);
  free(d);
}

uint64_t tsim_dram_capacity(const struct tsim_dram *d) { return d ? d->capacity : 0; }
uint32_t tsim_dram_bytes_per_cycle(const struct tsim_dram *d) { return d ? d->bpc : 0; }
uint32_t tsim_dram_latency(const struct tsim_dram *d) { return d ? d->latency : 0; }

/* [addr, addr + len) inside [0, capacity), without forming addr + len. */
static int in_bounds(const struct tsim_dram *d, uint64_t addr, uint64_t len) {
  return addr <= d->capacity && len <= d->capacity - addr;
}

enum tsim_dram_status tsim_dram_read(struct tsim_dram *d, uint64_t addr, void *dst, uint64_t len) {
  if (!d || (!dst && len)) return TSIM_DRAM_ERR_ARG;
  if (!in_bounds(d, addr, len)) {
    d->c.bad_accesses++;
    return TSIM_DRAM_ERR_BOUNDS;
  }
  if (len) memcpy(dst, d->mem + addr, (size_t)len);
  d->c.bytes_read += len;
  d->c.reads++;
  return TSIM_DRAM_OK;
}

enum tsim_dram_status tsim_dram_write(struct tsim_dram *d, uint64_t addr, const void *src, uint64_t len) {
  if (!d || (!src && len)) return TSIM_DRAM_ERR_ARG;
  if (!in_bounds(d, addr, len)) {
    d->c.bad_accesses++;
    return TSIM_DRAM_ERR_BOUNDS;
  }
  if (len) memcpy(d->mem + addr, src, (size_t)len);
  d->c.bytes_written += len;
  d->c.writes++;
  return TSIM_DRAM_OK;
}

enum tsim_dram_status tsim_dram_transfer(struct tsim_dram *d, uint64_t issue, uint64_t bytes, uint64_t *done) {
  if (!d || !done) return TSIM_DRAM_ERR_ARG;
  if (issue < d->last_issue) return TSIM_DRAM_ERR_ORDER;
  d->last_issue = issue;
  if (!bytes) {
    *done = issue;
    return TSIM_DRAM_OK;
  }
  uint64_t beats = bytes / d->bpc + (bytes % d->bpc != 0);
  uint64_t ready = issue + d->latency; /* first data could arrive here */
  uint64_t start = ready > d->free_at ? ready : d->free_at;
  d->c.wait_cycles += start - ready;
  d->free_at = start + beats;
  d->c.transfers++;
  d->c.transfer_bytes += bytes;
  d->c.busy_cycles += beats;
  *done = d->free_at;
  return TSIM_DRAM_OK;
}

uint64_t tsim_dram_free_at(const struct tsim_dram *d) { return d ? d->free_at : 0; }

void tsim_dram_counters(const struct tsim_dram *d, struct tsim_dram_counters *c) {
  if (!c) return;
  if (!d) {
    memset(c, 0, sizeof *c);
    return;
  }
  *c = d->c;
}

void tsim_dram_reset_counters(struct tsim_dram *d) {
  if (d) memset(&d->c, 0, sizeof d->c);
}

const char *tsim_dram_status_str(enum tsim_dram_status st) {
  switch (st) {
  case TSIM_DRAM_OK: return "ok";
  case TSIM_DRAM_ERR_ARG: return "bad argument";
  case TSIM_DRAM_ERR_BOUNDS: return "access outside the DRAM";
  case TSIM_DRAM_ERR_ORDER: return "transfer issued before the previous one";
  case TSIM_DRAM_ERR_NOMEM: return "out of memory";
  }
  return "unknown status";
}
