/* Command-line argument parsing shared by the tessera subcommands (tessera.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessera.h"

int tessera_arg_u32(const char *me, const char *opt, const char *v, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end;
  unsigned long long x = v && *v && *v != '-' ? strtoull(v, &end, 0) : 0;
  if (!v || !*v || *v == '-' || *end || x < lo || x > hi) {
    fprintf(stderr, "%s: %s wants an integer in [%u, %u], got '%s'\n", me, opt, lo, hi, v ? v : "");
    return -1;
  }
  *out = (uint32_t)x;
  return 0;
}

int tessera_arg_double(const char *me, const char *opt, const char *v, double *out) {
  char *end;
  double x = v ? strtod(v, &end) : 0;
  if (!v || !*v || *end || !isfinite(x)) {
    fprintf(stderr, "%s: %s wants a number, got '%s'\n", me, opt, v ? v : "");
    return -1;
  }
  *out = x;
  return 0;
}
