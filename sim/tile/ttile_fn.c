/* The tile's linear-layer kernels in their documented summation order (ttile_fn.h). */
#include "ttile_fn.h"

#include <stdlib.h>

#include "tessera/numerics.h"

uint32_t ttile_fn_tree(const uint32_t *v, uint32_t c) {
  if (c == 1) return v[0];
  uint32_t h = c - c / 2;
  return tnum_f32_add(ttile_fn_tree(v, h), ttile_fn_tree(v + h, c / 2));
}

void ttile_fn_fwd(const struct tsp_stream *st, const uint16_t *wv, const uint32_t *x, uint32_t m, uint32_t *y) {
  uint32_t p = st->p, n = st->n, k = st->k;
  uint32_t acc[TSP_MAX_P];
  for (uint32_t t = 0; t < m; t++) {
    const uint32_t *xr = x + (size_t)t * k;
    uint32_t *yr = y + (size_t)t * n;
    for (uint32_t i = 0; i < n; i++) yr[i] = 0; /* +0 for rows without nonzeros */
    for (uint32_t g = 0; g < st->ngroups; g++) {
      if (st->flags[g] & TSP_FIRST)
        for (uint32_t a = 0; a < p; a++) acc[a] = 0;
      for (uint32_t a = 0; a < p; a++) {
        uint16_t j = st->col[(size_t)g * p + a];
        if (j == TSP_EMPTY) continue;
        acc[a] = tnum_bf16_fma(wv[(size_t)g * p + a], tnum_f32_to_bf16(xr[j]), acc[a]);
      }
      if (st->flags[g] & TSP_LAST) yr[st->row[g]] = ttile_fn_tree(acc, p);
    }
  }
}

void ttile_fn_bwd_data(const struct tsp_stream *st, const uint16_t *wv, const uint32_t *dy, uint32_t m, uint32_t *dx) {
  uint32_t p = st->p, n = st->n, k = st->k;
  for (uint32_t t = 0; t < m; t++) {
    uint32_t *dxr = dx + (size_t)t * k;
    for (uint32_t g = 0; g < st->ngroups; g++) {
      uint16_t gy = tnum_f32_to_bf16(dy[(size_t)t * n + st->row[g]]);
      for (uint32_t a = 0; a < p; a++) {
        uint16_t j = st->col[(size_t)g * p + a];
        if (j != TSP_EMPTY) dxr[j] = tnum_bf16_fma(wv[(size_t)g * p + a], gy, dxr[j]);
      }
    }
  }
}

void ttile_fn_bwd_weight(const struct tsp_stream *st, const uint32_t *dy, const uint32_t *x, uint32_t m,
                         uint32_t lanes, uint32_t d, uint32_t *dwv) {
  uint32_t p = st->p, n = st->n, k = st->k;
  uint32_t *part = malloc(sizeof *part * (lanes ? lanes : 1));
  if (!part || !lanes || !d) {
    free(part);
    return;
  }
  for (uint32_t base = 0; base < m; base += lanes * d) {
    for (uint32_t g = 0; g < st->ngroups; g++) {
      uint32_t i = st->row[g];
      for (uint32_t a = 0; a < p; a++) {
        size_t slot = (size_t)g * p + a;
        uint16_t j = st->col[slot];
        if (j == TSP_EMPTY) continue;
        for (uint32_t l = 0; l < lanes; l++) {
          uint32_t acc = 0;
          /* Lane l owns tokens base + l, base + l + lanes, ... (d of them, fewer at the end). */
          for (uint32_t e = 0; e < d; e++) {
            uint32_t t = base + l + e * lanes;
            if (t >= m) break;
            acc = tnum_bf16_fma(tnum_f32_to_bf16(dy[(size_t)t * n + i]), tnum_f32_to_bf16(x[(size_t)t * k + j]), acc);
          }
          part[l] = acc;
        }
        dwv[slot] = tnum_f32_add(dwv[slot], ttile_fn_tree(part, lanes));
      }
    }
  }
  free(part);
}
