/* The device timeline shared by the chip simulators (sim/include/ttimeline.h). */
#include "ttimeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"

const char *ttl_kernel_name(uint32_t code) {
  static const char *const n[] = {"fwd", "bwd_data", "bwd_weight", "gelu_fwd", "gelu_bwd", "add", "scale",
                                  "softmax_fwd", "softmax_bwd", "layernorm_fwd", "xent_fwd", "xent_bwd", "adamw",
                                  "layernorm_bwd", "embed_bwd", "attn_qk", "attn_pv", "send"};
  _Static_assert(sizeof n / sizeof n[0] == TESSERA_TILE_KERNEL_COUNT, "a name per kernel");
  return code < TESSERA_TILE_KERNEL_COUNT ? n[code] : "?";
}

const char *ttl_dma_kind_name(uint32_t kind) {
  static const char *const n[] = {"dram", "dmem", "bank", "wbuf", "gbuf"};
  _Static_assert(sizeof n / sizeof n[0] == TESSERA_DMA_KIND_COUNT, "a name per kind");
  return kind < TESSERA_DMA_KIND_COUNT ? n[kind] : "?";
}

void ttl_record(struct ttl *t, int on) {
  if (on && !t->on) t->n = 0;
  t->on = on != 0;
}

void ttl_add(struct ttl *t, const struct ttl_span *s) {
  if (!t->on) return;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    struct ttl_span *p = realloc(t->spans, cap * sizeof *p);
    if (!p) return;
    t->spans = p, t->cap = cap;
  }
  t->spans[t->n++] = *s;
}

void ttl_mark(struct ttl *t, const char *name, uint64_t start, uint64_t end) {
  struct ttl_span s;
  memset(&s, 0, sizeof s);
  s.kind = TTL_MARK;
  s.start = start;
  s.dur = end > start ? end - start : 0;
  snprintf(s.name, sizeof s.name, "%s", name ? name : "");
  ttl_add(t, &s);
}

void ttl_free(struct ttl *t) {
  free(t->spans);
  t->spans = NULL;
  t->n = t->cap = 0;
}

/* A name as a JSON string body: quotes, backslashes and control bytes left out. */
static void put_name(FILE *f, const char *s) {
  for (; *s; s++)
    if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20) fputc(*s, f);
}

/* Cycles as microseconds at the preset's clock, exactly (integer part and the remainder). */
static void put_us(FILE *f, uint64_t cyc) {
  uint64_t mhz = TESSERA_CFG_CLOCK_MHZ;
  uint64_t frac = (cyc % mhz) * 1000000u / mhz;
  fprintf(f, "%" PRIu64 ".%06" PRIu64, cyc / mhz, frac);
}

int ttl_write(const struct ttl *t, const char *path, unsigned tiles) {
  const unsigned T = tiles;
  FILE *f = path ? fopen(path, "w") : NULL;
  if (!f) return -1;
  static const char *const tile_track[] = {"tile 0", "tile 1", "tile 2", "tile 3", "tile 4", "tile 5", "tile 6",
                                           "tile 7", "tile 8", "tile 9", "tile 10", "tile 11", "tile 12", "tile 13",
                                           "tile 14", "tile 15", "tile 16", "tile 17", "tile 18", "tile 19", "tile 20",
                                           "tile 21", "tile 22", "tile 23", "tile 24", "tile 25", "tile 26", "tile 27",
                                           "tile 28", "tile 29", "tile 30", "tile 31", "tile 32", "tile 33", "tile 34",
                                           "tile 35", "tile 36", "tile 37", "tile 38", "tile 39", "tile 40", "tile 41",
                                           "tile 42", "tile 43", "tile 44", "tile 45", "tile 46", "tile 47", "tile 48",
                                           "tile 49", "tile 50", "tile 51", "tile 52", "tile 53", "tile 54", "tile 55",
                                           "tile 56", "tile 57", "tile 58", "tile 59", "tile 60", "tile 61", "tile 62",
                                           "tile 63"};
  fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
  fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"args\":{\"name\":\"tessera (%s)\"}}",
          TESSERA_CFG_PRESET_NAME);
  for (unsigned i = 0; i <= T + 1u; i++)
    fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":%u,\"args\":{\"name\":\"%s\"}}", i,
            i < T ? tile_track[i] : i == T ? "dma" : "commands");
  for (size_t k = 0; k < t->n; k++) {
    const struct ttl_span *s = &t->spans[k];
    if (s->kind == TTL_MARK) {
      fprintf(f, ",\n{\"name\":\"");
      put_name(f, s->name);
      fprintf(f, "\",\"cat\":\"command\",\"ph\":\"X\",\"ts\":");
      put_us(f, s->start);
      fprintf(f, ",\"dur\":");
      put_us(f, s->dur);
      fprintf(f, ",\"pid\":0,\"tid\":%u,\"args\":{\"start_cycle\":%" PRIu64 ",\"cycles\":%" PRIu64 "}}", (unsigned)T + 1u,
              s->start, s->dur);
    } else if (s->kind == TTL_TILE) {
      fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"tile\",\"ph\":\"X\",\"ts\":", ttl_kernel_name(s->kernel));
      put_us(f, s->start);
      fprintf(f, ",\"dur\":");
      put_us(f, s->dur);
      fprintf(f, ",\"pid\":0,\"tid\":%u,\"args\":{\"tile\":%u,\"start_cycle\":%" PRIu64 ",\"cycles\":%" PRIu64 "}}",
              s->tile, s->tile, s->start, s->dur);
    } else {
      fprintf(f, ",\n{\"name\":\"dma %s->%s\",\"cat\":\"dma\",\"ph\":\"X\",\"ts\":", ttl_dma_kind_name(s->src_kind),
              ttl_dma_kind_name(s->dst_kind));
      put_us(f, s->start);
      fprintf(f, ",\"dur\":");
      put_us(f, s->dur);
      fprintf(f,
              ",\"pid\":0,\"tid\":%u,\"args\":{\"src\":\"%s\",\"dst\":\"%s\",\"src_tile\":%u,\"dst_tile\":%u,"
              "\"mode\":%" PRIu32 ",\"bytes\":%" PRIu64 ",\"dram_bytes\":%" PRIu64 ",\"start_cycle\":%" PRIu64
              ",\"cycles\":%" PRIu64 "}}",
              (unsigned)T, ttl_dma_kind_name(s->src_kind), ttl_dma_kind_name(s->dst_kind), s->src_tile,
              s->dst_tile, s->kernel, s->bytes, s->dram_bytes, s->start, s->dur);
    }
  }
  fprintf(f, "\n]}\n");
  return fclose(f) != 0 ? -1 : 0;
}
