/* Sparse weight masks: dense, random static, 1xP blocks, N:M, magnitude. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/sparse.h"

uint64_t tsp_rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias. */
static uint32_t rng_below(uint64_t *s, uint32_t bound) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t v;
  do v = tsp_rng_next(s);
  while (v >= limit);
  return (uint32_t)(v % bound);
}

static int dims_ok(const uint8_t *mask, uint32_t n, uint32_t k) {
  return mask && n > 0 && k > 0 && n <= TSP_MAX_DIM && k <= TSP_MAX_DIM;
}

static int density_ok(double d) { return d > 0.0 && d <= 1.0; }

uint32_t tsp_row_count(uint32_t k, double density) {
  double c = floor(density * (double)k + 0.5);
  if (c < 1.0) return k ? 1 : 0;
  return c > (double)k ? k : (uint32_t)c;
}

const char *tsp_status_str(tsp_status st) {
  switch (st) {
    case TSP_OK: return "ok";
    case TSP_ERR_ARG: return "bad argument";
    case TSP_ERR_NOMEM: return "out of memory";
  }
  return "unknown status";
}

tsp_status tsp_mask_dense(uint8_t *mask, uint32_t n, uint32_t k) {
  if (!dims_ok(mask, n, k)) return TSP_ERR_ARG;
  memset(mask, 1, (size_t)n * k);
  return TSP_OK;
}

/* Choose `take` of `count` items uniformly (partial Fisher-Yates over idx[0..count)). */
static void choose(uint32_t *idx, uint32_t count, uint32_t take, uint64_t *rng) {
  for (uint32_t a = 0; a < count; a++) idx[a] = a;
  for (uint32_t a = 0; a < take; a++) {
    uint32_t b = a + rng_below(rng, count - a);
    uint32_t t = idx[a];
    idx[a] = idx[b];
    idx[b] = t;
  }
}

tsp_status tsp_mask_random(uint8_t *mask, uint32_t n, uint32_t k, double density, uint64_t seed) {
  if (!dims_ok(mask, n, k) || !density_ok(density)) return TSP_ERR_ARG;
  uint32_t *idx = malloc(sizeof *idx * k);
  if (!idx) return TSP_ERR_NOMEM;
  uint64_t rng = seed;
  uint32_t c = tsp_row_count(k, density);
  memset(mask, 0, (size_t)n * k);
  for (uint32_t i = 0; i < n; i++) {
    choose(idx, k, c, &rng);
    for (uint32_t a = 0; a < c; a++) mask[(size_t)i * k + idx[a]] = 1;
  }
  free(idx);
  return TSP_OK;
}

tsp_status tsp_mask_block(uint8_t *mask, uint32_t n, uint32_t k, uint32_t p, double density, uint64_t seed) {
  if (!dims_ok(mask, n, k) || !density_ok(density) || p == 0 || p > TSP_MAX_P) return TSP_ERR_ARG;
  uint32_t nb = (k + p - 1) / p;
  uint32_t *idx = malloc(sizeof *idx * nb);
  if (!idx) return TSP_ERR_NOMEM;
  uint64_t rng = seed;
  uint32_t c = tsp_row_count(nb, density);
  memset(mask, 0, (size_t)n * k);
  for (uint32_t i = 0; i < n; i++) {
    choose(idx, nb, c, &rng);
    for (uint32_t a = 0; a < c; a++)
      for (uint32_t j = idx[a] * p; j < idx[a] * p + p && j < k; j++) mask[(size_t)i * k + j] = 1;
  }
  free(idx);
  return TSP_OK;
}

tsp_status tsp_mask_nm(uint8_t *mask, uint32_t n, uint32_t k, uint32_t nn, uint32_t mm, uint64_t seed) {
  if (!dims_ok(mask, n, k) || mm == 0 || mm > 64 || nn == 0 || nn > mm) return TSP_ERR_ARG;
  uint32_t idx[64];
  uint64_t rng = seed;
  memset(mask, 0, (size_t)n * k);
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t g = 0; g < k; g += mm) {
      uint32_t r = k - g < mm ? k - g : mm;
      uint32_t take = nn < r ? nn : r;
      choose(idx, r, take, &rng);
      for (uint32_t a = 0; a < take; a++) mask[(size_t)i * k + g + idx[a]] = 1;
    }
  return TSP_OK;
}

struct mag {
  float a;
  uint32_t j;
};

/* Larger magnitude first; equal magnitudes: lower column first. */
static int mag_cmp(const void *x, const void *y) {
  const struct mag *p = x, *q = y;
  if (p->a != q->a) return p->a > q->a ? -1 : 1;
  return p->j < q->j ? -1 : p->j > q->j;
}

tsp_status tsp_mask_magnitude(uint8_t *mask, const float *w, uint32_t n, uint32_t k, double density) {
  if (!dims_ok(mask, n, k) || !w || !density_ok(density)) return TSP_ERR_ARG;
  struct mag *m = malloc(sizeof *m * k);
  if (!m) return TSP_ERR_NOMEM;
  uint32_t c = tsp_row_count(k, density);
  memset(mask, 0, (size_t)n * k);
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t j = 0; j < k; j++) {
      float v = w[(size_t)i * k + j];
      m[j].a = v != v ? 0.0f : fabsf(v); /* NaN weights count as zero magnitude */
      m[j].j = j;
    }
    qsort(m, k, sizeof *m, mag_cmp);
    for (uint32_t a = 0; a < c; a++) mask[(size_t)i * k + m[a].j] = 1;
  }
  free(m);
  return TSP_OK;
}
