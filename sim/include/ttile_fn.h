/* The tile's linear-layer kernels as a functional model, in exactly the summation order of
 * docs/tile.md ("Summation order"). The RTL tile must produce the same bits; the cycle-level
 * cmodel reuses these functions for its results.
 *
 * Activations are fp32 bit patterns, row-major per token; multiplicands are rounded to bf16
 * (identity for bf16-representable values). Weights are bf16 bit patterns in stream slot order
 * (wv[g * p + slot]); empty slots are ignored. */
#ifndef TTILE_FN_H
#define TTILE_FN_H

#include <stdint.h>

#include "tessera/sparse.h"

/* Y [m][n] = X [m][k] W^T. Rows of W with no nonzero give +0. */
void ttile_fn_fwd(const struct tsp_stream *st, const uint16_t *wv, const uint32_t *x, uint32_t m, uint32_t *y);
/* dX [m][k] += dY [m][n] W: each dX element is one chain in stream order starting from its value. */
void ttile_fn_bwd_data(const struct tsp_stream *st, const uint16_t *wv, const uint32_t *dy, uint32_t m, uint32_t *dx);
/* dW (stream slot order, fp32) += dY^T X at the nonzeros, for `lanes` lanes interleaving `d`
 * tokens each: per pass of lanes*d tokens, per slot, a chain per lane over its tokens, a pairwise
 * tree over the lanes, then added onto dwv. */
void ttile_fn_bwd_weight(const struct tsp_stream *st, const uint32_t *dy, const uint32_t *x, uint32_t m,
                         uint32_t lanes, uint32_t d, uint32_t *dwv);
/* The balanced pairwise fp32 sum of docs/tile.md: tree(v, c) = add(tree(v, c - c/2), tree(v + c - c/2, c/2)). */
uint32_t ttile_fn_tree(const uint32_t *v, uint32_t c);

#endif /* TTILE_FN_H */
