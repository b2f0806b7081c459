/* Attention's dense GEMMs in the tile's summation order (tvec_fn.h, docs/vector-kernels.md):
 * a dense nonzero stream through the linear-layer functional model ttile_fn_fwd. */
#include <stdlib.h>

#include "tessera/numerics.h"
#include "tessera/sparse.h"
#include "ttile_fn.h"
#include "tvec_fn.h"

int tvec_dense_abt(const uint32_t *a, const uint32_t *b, uint32_t m, uint32_t n, uint32_t k, uint32_t p, uint32_t s,
                   uint32_t *y) {
  if (!a || !b || !y || m == 0 || n == 0 || k == 0 || n > TSP_MAX_DIM || k > TSP_MAX_DIM) return TVEC_EBADARG;
  uint8_t *mask = malloc((size_t)n * k);
  if (!mask) return TVEC_EBADARG;
  struct tsp_stream st;
  if (tsp_mask_dense(mask, n, k) != TSP_OK || tsp_stream_build(&st, mask, n, k, p, s, 1) != TSP_OK) {
    free(mask);
    return TVEC_EBADARG;
  }
  free(mask);
  uint16_t *wv = malloc(sizeof *wv * (size_t)st.ngroups * p);
  if (!wv) {
    tsp_stream_free(&st);
    return TVEC_EBADARG;
  }
  for (size_t i = 0; i < (size_t)st.ngroups * p; i++) wv[i] = st.src[i] == UINT32_MAX ? 0 : tnum_f32_to_bf16(b[st.src[i]]);
  ttile_fn_fwd(&st, wv, a, m, y);
  free(wv);
  tsp_stream_free(&st);
  return TVEC_OK;
}

int tvec_attn_scores(const uint32_t *q, const uint32_t *kk, uint32_t t, uint32_t dh, uint32_t scale, uint32_t p,
                     uint32_t s, uint32_t *scores) {
  int rc = tvec_dense_abt(q, kk, t, t, dh, p, s, scores);
  if (rc == TVEC_OK) tvec_scale(scores, scale, scores, t * t);
  return rc;
}

int tvec_attn_pv(const uint32_t *prob, const uint32_t *v, uint32_t t, uint32_t dh, uint32_t p, uint32_t s,
                 uint32_t *out) {
  if (!v) return TVEC_EBADARG;
  size_t cnt = (size_t)t * dh;
  uint32_t *vt = malloc(sizeof *vt * (cnt ? cnt : 1));
  if (!vt) return TVEC_EBADARG;
  for (uint32_t j = 0; j < t; j++)
    for (uint32_t c = 0; c < dh; c++) vt[(size_t)c * t + j] = v[(size_t)j * dh + c];
  int rc = tvec_dense_abt(prob, vt, t, dh, t, p, s, out);
  free(vt);
  return rc;
}
