/* float64 reference kernels: the independent check of the tile's results (docs/tile.md).
 * Inputs are float32 values (bit patterns of bf16-representable numbers in practice); every sum is
 * formed in double. Each function also returns, per output, the sum of absolute terms, which
 * bounds the rounding error of any summation order. */
#ifndef TESSERA_REF64_H
#define TESSERA_REF64_H

#include <stddef.h>
#include <stdint.h>

/* Y[t][i] = sum_j W[i][j] X[t][j] over mask[i][j]; X [m][k], W [n][k], Y and Yabs [m][n]. */
void ref64_fwd(const float *x, const float *w, const uint8_t *mask, uint32_t m, uint32_t n, uint32_t k, double *y,
               double *yabs);
/* dX[t][j] = sum_i dY[t][i] W[i][j] over mask[i][j]; dY [m][n], dX and dXabs [m][k]. */
void ref64_bwd_data(const float *dy, const float *w, const uint8_t *mask, uint32_t m, uint32_t n, uint32_t k,
                    double *dx, double *dxabs);
/* dW[i][j] = sum_t dY[t][i] X[t][j] where mask[i][j], else 0; dW and dWabs [n][k]. */
void ref64_bwd_weight(const float *dy, const float *x, const uint8_t *mask, uint32_t m, uint32_t n, uint32_t k,
                      double *dw, double *dwabs);
/* Normwise relative error ||got - want||_2 / ||want||_2 (0 when both are zero). */
double ref64_rel_err(const float *got, const double *want, size_t count);

#endif /* TESSERA_REF64_H */
