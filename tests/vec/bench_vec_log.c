/* Long tier: tvec_log against libm on every positive finite fp32 input (or every STRIDE-th one):
 * bench_vec_log [STRIDE]. Prints the worst relative error and exits 1 if any input breaks the
 * 2^-19 bound of docs/vector-kernels.md. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tvec_fn.h"

int main(int argc, char **argv) {
  char *end = NULL;
  unsigned long stride = argc > 1 ? strtoul(argv[1], &end, 10) : 1;
  if (argc > 2 || (argc > 1 && (*end || stride == 0 || stride > 0x7f800000ul))) {
    fprintf(stderr, "usage: bench_vec_log [STRIDE]  (STRIDE a positive integer, default 1: every input)\n");
    return 2;
  }
  double worst = 0;
  uint32_t worst_at = 0;
  uint64_t n = 0, bad = 0;
  for (uint64_t x = 1; x < 0x7f800000u; x += stride) {
    float f;
    uint32_t u = (uint32_t)x, r = tvec_log(u);
    memcpy(&f, &u, 4);
    double want = log((double)f);
    float g;
    memcpy(&g, &r, 4);
    n++;
    if (want == 0) {
      bad += g != 0;
      continue;
    }
    double rel = fabs((double)g - want) / fabs(want);
    if (!(rel <= 0x1p-19)) bad++;
    if (rel > worst) worst = rel, worst_at = u;
  }
  printf("tvec_log: %llu inputs (stride %lu), worst relative error 2^%.2f at %08x, %llu above the 2^-19 bound\n",
         (unsigned long long)n, stride, log2(worst), worst_at, (unsigned long long)bad);
  return bad ? 1 : 0;
}
