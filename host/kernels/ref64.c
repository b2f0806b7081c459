/* float64 reference kernels (tessera/ref64.h). */
#include "tessera/ref64.h"

#include <math.h>

void ref64_fwd(const float *x, const float *w, const uint8_t *mask, uint32_t m, uint32_t n, uint32_t k, double *y,
               double *yabs) {
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t i = 0; i < n; i++) {
      double s = 0.0, a = 0.0;
      for (uint32_t j = 0; j < k; j++) {
        if (!mask[(size_t)i * k + j]) continue;
        double p = (double)w[(size_t)i * k + j] * (double)x[(size_t)t * k + j];
        s += p, a += fabs(p);
      }
      y[(size_t)t * n + i] = s;
      yabs[(size_t)t * n + i] = a;
    }
}

void ref64_bwd_data(const float *dy, const float *w, const uint8_t *mask, uint32_t m, uint32_t n, uint32_t k,
                    double *dx, double *dxabs) {
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t j = 0; j < k; j++) {
      double s = 0.0, a = 0.0;
      for (uint32_t i = 0; i < n; i++) {
        if (!mask[(size_t)i * k + j]) continue;
        double p = (double)dy[(size_t)t * n + i] * (double)w[(size_t)i * k + j];
        s += p, a += fabs(p);
      }
      dx[(size_t)t * k + j] = s;
      dxabs[(size_t)t * k + j] = a;
    }
}

void ref64_bwd_weight(const float *dy, const float *x, const uint8_t *mask, uint32_t m, uint32_t n, uint32_t k,
                      double *dw, double *dwabs) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < k; j++) {
      double s = 0.0, a = 0.0;
      if (mask[(size_t)i * k + j])
        for (uint32_t t = 0; t < m; t++) {
          double p = (double)dy[(size_t)t * n + i] * (double)x[(size_t)t * k + j];
          s += p, a += fabs(p);
        }
      dw[(size_t)i * k + j] = s;
      dwabs[(size_t)i * k + j] = a;
    }
}

double ref64_rel_err(const float *got, const double *want, size_t count) {
  double num = 0.0, den = 0.0;
  for (size_t a = 0; a < count; a++) {
    double d = (double)got[a] - want[a];
    num += d * d, den += want[a] * want[a];
  }
  if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
  return sqrt(num / den);
}
