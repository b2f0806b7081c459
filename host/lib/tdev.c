/* libtessera: the host driver (host/include/tessera/tdev.h, docs/driver.md). Device memory
 * allocator, the firmware's allocation table and the command/completion rings in device DRAM,
 * boot, submit and wait over a backend (host/lib/tdev_backend.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdev_backend.h"
#include "tessera/gen/map.h"
#include "tessera/tdev.h"
#include "tfw_validate.h"

#define ALIGN 64u
#define DEFAULT_ENTRIES 16u
#define DEFAULT_MAX_CYCLES 2000000000ull
#define MAX_ENTRIES 4096u

/* A free or used range of the device DRAM the allocator hands out. */
struct range {
  uint64_t base, size;
};

struct tdev {
  const struct tdev_backend *be;
  void *h;
  uint32_t entries;
  uint64_t max_cycles;
  int booted;
  int stopped; /* the firmware stopped (fatal, trap, exit, fault): only tdev_fw_error helps */
  /* allocator: free ranges sorted by base, and the table's entries (size 0: free slot) */
  struct range *free;
  size_t nfree, capfree;
  struct tfw_alloc_table table;
  uint64_t heap_end; /* user allocations live in [0, heap_end) */
  /* driver areas at the top of the DRAM */
  uint64_t table_addr, ring_addr, cmd_base, cpl_base;
  /* rings */
  uint32_t cmd_head, cpl_tail, next_seq, next_cpl_seq;
  uint64_t *submit_at; /* [entries]: cycle each in-flight command was submitted */
  struct tproto_cpl *got; /* completions read but not yet waited for */
  size_t ngot, capgot;
  char err[256];
};

static enum tdev_status fail(tdev *d, enum tdev_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum tdev_status fail(tdev *d, enum tdev_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->err, sizeof d->err, fmt, ap);
  va_end(ap);
  return st;
}

const char *tdev_status_str(enum tdev_status st) {
  static const char *const s[] = {"ok", "bad argument", "out of memory", "out of range", "bad firmware image",
                                  "wrong state", "timeout", "firmware stopped", "command failed",
                                  "command ring full", "backend failure"};
  _Static_assert(sizeof s / sizeof s[0] == TDEV_E_COUNT, "a string per status");
  return (unsigned)st < TDEV_E_COUNT ? s[st] : "unknown status";
}

/* Why the last tdev_open failed (the caller has no device to ask). */
static char open_err[256] = "no device";

const char *tdev_errmsg(const tdev *d) { return d ? d->err : open_err; }
const char *tdev_backend(const tdev *d) { return d ? d->be->name : "none"; }

static const struct tdev_backend *find_backend(const char *name) {
  if (!name || strcmp(name, "cmodel") == 0) return &tdev_backend_cmodel;
  if (strcmp(name, "rtl") == 0 && &tdev_backend_rtl != NULL) return &tdev_backend_rtl;
  return NULL;
}

/* ---- device memory -------------------------------------------------------------------------------- */

static enum tdev_status dram_write(tdev *d, uint64_t a, const void *p, uint64_t n) {
  if (d->be->dram_write(d->h, a, p, n, d->err, sizeof d->err)) return TDEV_E_BACKEND;
  return TDEV_OK;
}
static enum tdev_status dram_read(tdev *d, uint64_t a, void *p, uint64_t n) {
  if (d->be->dram_read(d->h, a, p, n, d->err, sizeof d->err)) return TDEV_E_BACKEND;
  return TDEV_OK;
}

/* The table as the firmware reads it: count is one past the highest slot in use. */
static enum tdev_status table_sync(tdev *d) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < TFW_MAX_ALLOCS; i++)
    if (d->table.entry[i].size) n = i + 1u;
  d->table.count = n;
  return dram_write(d, d->table_addr, &d->table, sizeof d->table);
}

static int free_insert(tdev *d, size_t at, uint64_t base, uint64_t size) {
  if (d->nfree == d->capfree) {
    size_t cap = d->capfree ? d->capfree * 2 : 16;
    struct range *p = realloc(d->free, cap * sizeof *p);
    if (!p) return -1;
    d->free = p, d->capfree = cap;
  }
  memmove(&d->free[at + 1], &d->free[at], (d->nfree - at) * sizeof *d->free);
  d->free[at].base = base, d->free[at].size = size;
  d->nfree++;
  return 0;
}

enum tdev_status tdev_alloc(tdev *d, uint64_t bytes, struct tdev_buf *out) {
  if (!d || !out || bytes == 0) return d ? fail(d, TDEV_E_ARG, "tdev_alloc: zero size or no output") : TDEV_E_ARG;
  memset(out, 0, sizeof *out);
  uint32_t id = 0;
  while (id < TFW_MAX_ALLOCS && d->table.entry[id].size) id++;
  if (id == TFW_MAX_ALLOCS) return fail(d, TDEV_E_NOMEM, "tdev_alloc: all %u allocation slots in use", TFW_MAX_ALLOCS);
  if (bytes > UINT64_MAX - ALIGN) return fail(d, TDEV_E_NOMEM, "tdev_alloc: %" PRIu64 " bytes is too large", bytes);
  uint64_t need = (bytes + ALIGN - 1u) / ALIGN * ALIGN;
  for (size_t i = 0; i < d->nfree; i++) {
    struct range *r = &d->free[i];
    if (r->size < need) continue;
    uint64_t base = r->base;
    r->base += need, r->size -= need;
    if (r->size == 0) {
      memmove(r, r + 1, (d->nfree - i - 1) * sizeof *r);
      d->nfree--;
    }
    /* New buffers read as zero. */
    uint8_t zero[4096];
    memset(zero, 0, sizeof zero);
    for (uint64_t o = 0; o < need; o += sizeof zero) {
      uint64_t n = need - o < sizeof zero ? need - o : sizeof zero;
      if (dram_write(d, base + o, zero, n) != TDEV_OK) return TDEV_E_BACKEND;
    }
    d->table.entry[id].base = base;
    d->table.entry[id].size = bytes;
    out->id = id, out->addr = base, out->size = bytes;
    return table_sync(d);
  }
  return fail(d, TDEV_E_NOMEM, "tdev_alloc: no free range of %" PRIu64 " bytes in the device DRAM", need);
}

/* 1 if b is a live allocation of d exactly as handed out. */
static int ours(const tdev *d, const struct tdev_buf *b) {
  return b && b->id < TFW_MAX_ALLOCS && d->table.entry[b->id].size != 0 && d->table.entry[b->id].base == b->addr &&
         d->table.entry[b->id].size == b->size;
}

enum tdev_status tdev_free(tdev *d, const struct tdev_buf *b) {
  if (!d) return TDEV_E_ARG;
  if (!ours(d, b)) return fail(d, TDEV_E_ARG, "tdev_free: not a live buffer of this device");
  uint64_t base = b->addr, size = (b->size + ALIGN - 1u) / ALIGN * ALIGN;
  size_t i = 0;
  while (i < d->nfree && d->free[i].base < base) i++;
  /* Merge with the neighbours. */
  int left = i > 0 && d->free[i - 1].base + d->free[i - 1].size == base;
  int right = i < d->nfree && base + size == d->free[i].base;
  if (left && right) {
    d->free[i - 1].size += size + d->free[i].size;
    memmove(&d->free[i], &d->free[i + 1], (d->nfree - i - 1) * sizeof *d->free);
    d->nfree--;
  } else if (left) {
    d->free[i - 1].size += size;
  } else if (right) {
    d->free[i].base = base, d->free[i].size += size;
  } else if (free_insert(d, i, base, size)) {
    return fail(d, TDEV_E_NOMEM, "tdev_free: out of host memory");
  }
  memset(&d->table.entry[b->id], 0, sizeof d->table.entry[b->id]);
  return table_sync(d);
}

enum tdev_status tdev_write(tdev *d, const struct tdev_buf *b, uint64_t off, const void *src, uint64_t len) {
  if (!d) return TDEV_E_ARG;
  if (!ours(d, b) || (!src && len)) return fail(d, TDEV_E_ARG, "tdev_write: not a live buffer of this device");
  if (off > b->size || len > b->size - off)
    return fail(d, TDEV_E_RANGE, "tdev_write: %" PRIu64 " bytes at offset %" PRIu64 " leave the %" PRIu64 "-byte buffer",
                len, off, b->size);
  return len ? dram_write(d, b->addr + off, src, len) : TDEV_OK;
}

enum tdev_status tdev_read(tdev *d, const struct tdev_buf *b, uint64_t off, void *dst, uint64_t len) {
  if (!d) return TDEV_E_ARG;
  if (!ours(d, b) || (!dst && len)) return fail(d, TDEV_E_ARG, "tdev_read: not a live buffer of this device");
  if (off > b->size || len > b->size - off)
    return fail(d, TDEV_E_RANGE, "tdev_read: %" PRIu64 " bytes at offset %" PRIu64 " leave the %" PRIu64 "-byte buffer",
                len, off, b->size);
  return len ? dram_read(d, b->addr + off, dst, len) : TDEV_OK;
}

/* ---- open / close ---------------------------------------------------------------------------------- */

static uint64_t up(uint64_t v) { return (v + ALIGN - 1u) / ALIGN * ALIGN; }

enum tdev_status tdev_open(tdev **out, const struct tdev_config *cfg) {
  if (!out) return TDEV_E_ARG;
  *out = NULL;
  tdev *d = calloc(1, sizeof *d);
  if (!d) return TDEV_E_NOMEM;
  const char *name = cfg && cfg->backend ? cfg->backend : "cmodel";
  d->be = find_backend(name);
  d->entries = cfg && cfg->ring_entries ? cfg->ring_entries : DEFAULT_ENTRIES;
  d->max_cycles = cfg && cfg->max_cycles ? cfg->max_cycles : DEFAULT_MAX_CYCLES;
  enum tdev_status st = TDEV_OK;
  if (!d->be) {
    st = fail(d, TDEV_E_ARG, "unknown backend '%s' (cmodel%s)", name, &tdev_backend_rtl != NULL ? ", rtl" : "");
  } else if ((d->entries & (d->entries - 1u)) != 0 || d->entries > MAX_ENTRIES) {
    st = fail(d, TDEV_E_ARG, "ring_entries %" PRIu32 " is not a power of two up to %u", d->entries, MAX_ENTRIES);
  } else {
    struct tdev_config c = cfg ? *cfg : (struct tdev_config){0};
    c.backend = name;
    d->h = d->be->open(&c, d->err, sizeof d->err);
    if (!d->h) st = TDEV_E_BACKEND;
  }
  if (st == TDEV_OK) {
    d->submit_at = calloc(d->entries, sizeof *d->submit_at);
    if (!d->submit_at) st = fail(d, TDEV_E_NOMEM, "out of host memory");
  }
  if (st == TDEV_OK) {
    /* The driver's areas at the top of the DRAM: table, ring control block, command ring,
     * completion ring; the rest is the heap. */
    uint64_t top = d->be->dram_bytes(d->h);
    uint64_t need = up(sizeof(struct tfw_alloc_table)) + up(sizeof(struct tproto_ring)) +
                    up((uint64_t)d->entries * sizeof(struct tproto_cmd)) +
                    up((uint64_t)d->entries * sizeof(struct tproto_cpl));
    d->heap_end = (top - need) / ALIGN * ALIGN;
    d->table_addr = d->heap_end;
    d->ring_addr = d->table_addr + up(sizeof(struct tfw_alloc_table));
    d->cmd_base = d->ring_addr + up(sizeof(struct tproto_ring));
    d->cpl_base = d->cmd_base + up((uint64_t)d->entries * sizeof(struct tproto_cmd));
    if (free_insert(d, 0, 0, d->heap_end)) st = fail(d, TDEV_E_NOMEM, "out of host memory");
  }
  if (st == TDEV_OK) st = table_sync(d);
  if (st != TDEV_OK) {
    /* The caller has no device to ask: tdev_errmsg(NULL) gives the message. */
    snprintf(open_err, sizeof open_err, "%s", d->err);
    tdev_close(d);
    return st;
  }
  d->next_seq = 1;
  d->next_cpl_seq = 1;
  *out = d;
  return TDEV_OK;
}

void tdev_close(tdev *d) {
  if (!d) return;
  if (d->h) d->be->close(d->h);
  free(d->free);
  free(d->got);
  free(d->submit_at);
  free(d);
}

/* ---- boot -------------------------------------------------------------------------------------------- */

static enum tdev_status hif_read(tdev *d, uint32_t off, uint32_t *v) {
  if (d->be->hostif_read(d->h, off, v)) return fail(d, TDEV_E_BACKEND, "hostif read at 0x%03" PRIx32 " failed", off);
  return TDEV_OK;
}
static enum tdev_status hif_write(tdev *d, uint32_t off, uint32_t v) {
  if (d->be->hostif_write(d->h, off, v)) return fail(d, TDEV_E_BACKEND, "hostif write at 0x%03" PRIx32 " failed", off);
  return TDEV_OK;
}

/* The firmware stopped: say how in one line. */
static enum tdev_status firmware_stopped(tdev *d, uint32_t state) {
  struct tdev_fw_error e;
  d->stopped = 1;
  if (tdev_fw_error(d, &e) != TDEV_OK) return TDEV_E_BACKEND;
  if (state == TESSERA_FW_STATE_TRAP)
    return fail(d, TDEV_E_FIRMWARE, "firmware trapped: mcause 0x%08" PRIx32 " mepc 0x%08" PRIx32 " mtval 0x%08" PRIx32,
                e.trap_cause, e.trap_pc, e.trap_tval);
  return fail(d, TDEV_E_FIRMWARE, "firmware stopped on a bad ring: fw_status %" PRIu32 " fw_detail 0x%08" PRIx32,
              e.fw_status, e.fw_detail);
}

/* Run the device for up to `budget` cycles until the firmware raises an event. TDEV_OK on an event
 * (the firmware still running), else the error. */
static enum tdev_status run_for(tdev *d, uint64_t budget, uint64_t *used) {
  uint64_t t0 = d->be->now(d->h);
  char msg[200];
  enum tdev_run_end e = d->be->run(d->h, budget, msg, sizeof msg);
  *used = d->be->now(d->h) - t0;
  switch (e) {
  case TDEV_RUN_EVENT: {
    uint32_t state;
    enum tdev_status st = hif_read(d, TESSERA_HOSTIF_FW_STATE_OFFSET, &state);
    if (st != TDEV_OK) return st;
    if (state == TESSERA_FW_STATE_FATAL || state == TESSERA_FW_STATE_TRAP) return firmware_stopped(d, state);
    return TDEV_OK;
  }
  case TDEV_RUN_LIMIT: return fail(d, TDEV_E_TIMEOUT, "the firmware did not answer within %" PRIu64 " cycles", budget);
  case TDEV_RUN_EXIT: d->stopped = 1; return fail(d, TDEV_E_FIRMWARE, "the firmware exited: %s", msg);
  case TDEV_RUN_FAULT: d->stopped = 1; return fail(d, TDEV_E_FIRMWARE, "the controller faulted: %s", msg);
  default: d->stopped = 1; return fail(d, TDEV_E_BACKEND, "%s", msg);
  }
}

enum tdev_status tdev_boot(tdev *d, const char *elf_path) {
  if (!d) return TDEV_E_ARG;
  if (d->booted) return fail(d, TDEV_E_STATE, "tdev_boot: already booted");
  if (!elf_path) return fail(d, TDEV_E_ARG, "tdev_boot: no firmware path");
  if (d->be->load_elf(d->h, elf_path, d->err, sizeof d->err)) return TDEV_E_ELF;
  struct tproto_ring r;
  memset(&r, 0, sizeof r);
  r.magic = TPROTO_RING_MAGIC;
  r.version_major = TPROTO_VERSION_MAJOR;
  r.version_minor = TPROTO_VERSION_MINOR;
  r.cmd_base = d->cmd_base;
  r.cmd_entries = d->entries;
  r.cmd_stride = sizeof(struct tproto_cmd);
  r.cpl_base = d->cpl_base;
  r.cpl_entries = d->entries;
  r.cpl_stride = sizeof(struct tproto_cpl);
  enum tdev_status st = dram_write(d, d->ring_addr, &r, sizeof r);
  if (st == TDEV_OK) st = table_sync(d);
  if (st == TDEV_OK) st = hif_write(d, TESSERA_HOSTIF_RING_LO_OFFSET, (uint32_t)d->ring_addr);
  if (st == TDEV_OK) st = hif_write(d, TESSERA_HOSTIF_RING_HI_OFFSET, (uint32_t)(d->ring_addr >> 32));
  if (st == TDEV_OK) st = hif_write(d, TESSERA_HOSTIF_ALLOC_LO_OFFSET, (uint32_t)d->table_addr);
  if (st == TDEV_OK) st = hif_write(d, TESSERA_HOSTIF_ALLOC_HI_OFFSET, (uint32_t)(d->table_addr >> 32));
  if (st != TDEV_OK) return st;
  d->cmd_head = d->cpl_tail = 0;
  uint64_t left = d->max_cycles;
  for (;;) {
    uint64_t used;
    st = run_for(d, left, &used);
    if (st == TDEV_E_TIMEOUT)
      return fail(d, TDEV_E_TIMEOUT, "the firmware did not report ready within %" PRIu64 " cycles", d->max_cycles);
    if (st != TDEV_OK) return st;
    uint32_t state;
    if ((st = hif_read(d, TESSERA_HOSTIF_FW_STATE_OFFSET, &state)) != TDEV_OK) return st;
    if (state == TESSERA_FW_STATE_READY) break;
    left = used < left ? left - used : 0;
    if (left == 0) return fail(d, TDEV_E_TIMEOUT, "the firmware did not report ready within %" PRIu64 " cycles", d->max_cycles);
  }
  d->booted = 1;
  return TDEV_OK;
}

/* ---- commands ---------------------------------------------------------------------------------------- */

void tdev_tensor(struct tproto_tensor *t, const struct tdev_buf *b, uint64_t off, uint32_t dtype, uint32_t rank,
                 const uint32_t *shape) {
  if (!t) return;
  memset(t, 0, sizeof *t);
  if (!b) return;
  t->addr = b->addr + off;
  t->alloc_base = b->addr;
  t->alloc_size = b->size;
  t->alloc_id = b->id;
  t->dtype = (uint8_t)dtype;
  t->rank = (uint8_t)rank;
  /* Row-major, contiguous: the last dim has stride 1. */
  uint32_t s = 1;
  for (uint32_t i = rank <= TPROTO_MAX_RANK ? rank : TPROTO_MAX_RANK; i-- > 0;) {
    t->shape[i] = shape ? shape[i] : 0;
    t->stride[i] = s;
    s *= t->shape[i];
  }
}

#define RING_OFF(field) ((uint64_t)offsetof(struct tproto_ring, field))

static enum tdev_status ring_word(tdev *d, uint64_t off, uint32_t *v) { return dram_read(d, d->ring_addr + off, v, 4); }

enum tdev_status tdev_submit(tdev *d, struct tproto_cmd *cmd, uint32_t *seq) {
  if (!d) return TDEV_E_ARG;
  if (!cmd) return fail(d, TDEV_E_ARG, "tdev_submit: no command");
  if (!d->booted) return fail(d, TDEV_E_STATE, "tdev_submit: the device is not booted");
  if (d->stopped) return fail(d, TDEV_E_FIRMWARE, "tdev_submit: the firmware has stopped (tdev_fw_error)");
  uint32_t tail;
  enum tdev_status st = ring_word(d, RING_OFF(cmd_tail), &tail);
  if (st != TDEV_OK) return st;
  if (d->cmd_head - tail >= d->entries)
    return fail(d, TDEV_E_RING, "tdev_submit: the command ring is full (%" PRIu32 " entries)", d->entries);
  /* Commands still unanswered also bound the completions the ring can hold. */
  if (d->cmd_head - (d->next_cpl_seq - 1u) >= d->entries)
    return fail(d, TDEV_E_RING, "tdev_submit: %" PRIu32 " commands unanswered; tdev_wait first", d->entries);
  cmd->magic = TPROTO_MAGIC;
  cmd->version_major = TPROTO_VERSION_MAJOR;
  cmd->version_minor = TPROTO_VERSION_MINOR;
  cmd->cmd_bytes = sizeof *cmd;
  cmd->seq = d->next_seq;
  uint64_t at = d->cmd_base + (uint64_t)(d->cmd_head % d->entries) * sizeof *cmd;
  if ((st = dram_write(d, at, cmd, sizeof *cmd)) != TDEV_OK) return st;
  d->submit_at[d->cmd_head % d->entries] = d->be->now(d->h);
  d->cmd_head++;
  if ((st = dram_write(d, d->ring_addr + RING_OFF(cmd_head), &d->cmd_head, 4)) != TDEV_OK) return st;
  if ((st = hif_write(d, TESSERA_HOSTIF_DOORBELL_OFFSET, d->cmd_head)) != TDEV_OK) return st;
  if (seq) *seq = d->next_seq;
  d->next_seq++;
  return TDEV_OK;
}

/* Take every posted completion into d->got, checking each is the next one expected. */
static enum tdev_status harvest(tdev *d) {
  uint32_t head;
  enum tdev_status st = ring_word(d, RING_OFF(cpl_head), &head);
  if (st != TDEV_OK) return st;
  if (head - d->cpl_tail > d->entries)
    return fail(d, TDEV_E_FIRMWARE, "the firmware posted %" PRIu32 " completions into a ring of %" PRIu32,
                head - d->cpl_tail, d->entries);
  while (d->cpl_tail != head) {
    struct tproto_cpl c;
    uint64_t at = d->cpl_base + (uint64_t)(d->cpl_tail % d->entries) * sizeof c;
    if ((st = dram_read(d, at, &c, sizeof c)) != TDEV_OK) return st;
    if (c.seq != d->next_cpl_seq || c.cmd_index != d->cpl_tail)
      return fail(d, TDEV_E_FIRMWARE, "completion %" PRIu32 " carries seq %" PRIu32 " index %" PRIu32
                  ", expected seq %" PRIu32 " index %" PRIu32, d->cpl_tail, c.seq, c.cmd_index, d->next_cpl_seq,
                  d->cpl_tail);
    if (d->ngot == d->capgot) {
      size_t cap = d->capgot ? d->capgot * 2 : 16;
      struct tproto_cpl *p = realloc(d->got, cap * sizeof *p);
      if (!p) return fail(d, TDEV_E_NOMEM, "out of host memory");
      d->got = p, d->capgot = cap;
    }
    d->got[d->ngot++] = c;
    char name[48];
    snprintf(name, sizeof name, "cmd %" PRIu32 " group %" PRIu32, c.seq, c.group);
    d->be->timeline_mark(d->h, name, d->submit_at[d->cpl_tail % d->entries], d->be->now(d->h));
    d->cpl_tail++;
    d->next_cpl_seq++;
  }
  return dram_write(d, d->ring_addr + RING_OFF(cpl_tail), &d->cpl_tail, 4);
}

/* Remove seq's completion from d->got into *out: 1 if it was there. */
static int take(tdev *d, uint32_t seq, struct tproto_cpl *out) {
  for (size_t i = 0; i < d->ngot; i++) {
    if (d->got[i].seq != seq) continue;
    *out = d->got[i];
    memmove(&d->got[i], &d->got[i + 1], (d->ngot - i - 1) * sizeof *d->got);
    d->ngot--;
    return 1;
  }
  return 0;
}

static enum tdev_status answer(tdev *d, const struct tproto_cpl *c, struct tproto_cpl *out) {
  if (out) *out = *c;
  if (c->status != TPROTO_ST_OK)
    return fail(d, TDEV_E_CMD, "command %" PRIu32 " %s: error %u at offset %u (op %u, tensor %u)", c->seq,
                c->status == TPROTO_ST_INVALID ? "rejected" : "failed", c->error, c->error_offset, c->error_op,
                c->error_tensor);
  return TDEV_OK;
}

enum tdev_status tdev_wait(tdev *d, uint32_t seq, uint64_t max_cycles, struct tproto_cpl *cpl) {
  if (!d) return TDEV_E_ARG;
  if (!d->booted) return fail(d, TDEV_E_STATE, "tdev_wait: the device is not booted");
  if (seq == 0 || seq >= d->next_seq) return fail(d, TDEV_E_ARG, "tdev_wait: seq %" PRIu32 " was never submitted", seq);
  struct tproto_cpl c;
  if (take(d, seq, &c)) return answer(d, &c, cpl);
  if (seq < d->next_cpl_seq) return fail(d, TDEV_E_ARG, "tdev_wait: seq %" PRIu32 " was already waited for", seq);
  if (d->stopped) return fail(d, TDEV_E_FIRMWARE, "tdev_wait: the firmware has stopped (tdev_fw_error)");
  uint64_t budget = max_cycles ? max_cycles : d->max_cycles, left = budget;
  enum tdev_status st;
  for (;;) {
    if ((st = harvest(d)) != TDEV_OK) return st;
    if (take(d, seq, &c)) return answer(d, &c, cpl);
    if (left == 0) break;
    uint64_t used;
    st = run_for(d, left, &used);
    if (st == TDEV_E_TIMEOUT) break;
    if (st != TDEV_OK) return st;
    if ((st = hif_write(d, TESSERA_HOSTIF_IRQ_OFFSET, 0)) != TDEV_OK) return st;
    left = used < left ? left - used : 0;
  }
  return fail(d, TDEV_E_TIMEOUT, "no completion for seq %" PRIu32 " within %" PRIu64 " cycles", seq, budget);
}

enum tdev_status tdev_fw_error(tdev *d, struct tdev_fw_error *e) {
  if (!d || !e) return d ? fail(d, TDEV_E_ARG, "tdev_fw_error: no output") : TDEV_E_ARG;
  memset(e, 0, sizeof *e);
  enum tdev_status st = hif_read(d, TESSERA_HOSTIF_FW_STATE_OFFSET, &e->state);
  if (st == TDEV_OK) st = hif_read(d, TESSERA_HOSTIF_TRAP_CAUSE_OFFSET, &e->trap_cause);
  if (st == TDEV_OK) st = hif_read(d, TESSERA_HOSTIF_TRAP_PC_OFFSET, &e->trap_pc);
  if (st == TDEV_OK) st = hif_read(d, TESSERA_HOSTIF_TRAP_TVAL_OFFSET, &e->trap_tval);
  if (st == TDEV_OK) st = ring_word(d, RING_OFF(fw_status), &e->fw_status);
  if (st == TDEV_OK) st = ring_word(d, RING_OFF(fw_detail), &e->fw_detail);
  return st;
}

/* ---- counters, timeline, console ------------------------------------------------------------------------ */

enum tdev_status tdev_counters(tdev *d, struct tdev_counters *c) {
  if (!d || !c) return d ? fail(d, TDEV_E_ARG, "tdev_counters: no output") : TDEV_E_ARG;
  memset(c, 0, sizeof *c);
  d->be->counters(d->h, c);
  return TDEV_OK;
}

enum tdev_status tdev_counters_reset(tdev *d) {
  if (!d) return TDEV_E_ARG;
  d->be->counters_reset(d->h);
  return TDEV_OK;
}

enum tdev_status tdev_timeline(tdev *d, int on) {
  if (!d) return TDEV_E_ARG;
  if (d->be->timeline(d->h, on)) return fail(d, TDEV_E_BACKEND, "the backend cannot record a timeline");
  return TDEV_OK;
}

enum tdev_status tdev_timeline_write(tdev *d, const char *path) {
  if (!d) return TDEV_E_ARG;
  if (!path) return fail(d, TDEV_E_ARG, "tdev_timeline_write: no path");
  if (d->be->timeline_write(d->h, path, d->err, sizeof d->err)) return TDEV_E_ARG;
  return TDEV_OK;
}

size_t tdev_console(tdev *d, char *buf, size_t cap) {
  if (!d || !buf || cap == 0) return 0;
  return d->be->console(d->h, buf, cap);
}
