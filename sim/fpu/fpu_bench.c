/* make bench-numerics: throughput of the Verilated numerics units (rtl/fpu/) through
 * tsim_fpu_run. For every operation the RTL implements: N random operations (default 1M, raw
 * random bit patterns of each operand's width, generated before the clock starts) streamed one
 * per cycle; prints operations, simulated cycles, wall seconds and operations per second.
 * Usage: fpu_bench [--n OPS_PER_OP] [--fst FILE]   (--fst: write a waveform; slow). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsim_fpu.h"

static const char *const op_names[TNUM_OP_COUNT] = {
#define FPU_BENCH_NAME(id, name, nargs, a, b, c, r) name,
    TNUM_OPS(FPU_BENCH_NAME)
#undef FPU_BENCH_NAME
};
static const unsigned op_bits[TNUM_OP_COUNT][3] = {
#define FPU_BENCH_BITS(id, name, nargs, a, b, c, r) {a, b, c},
    TNUM_OPS(FPU_BENCH_BITS)
#undef FPU_BENCH_BITS
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rng32(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int usage(const char *why) {
  fprintf(stderr, "fpu_bench: %s; usage: fpu_bench [--n OPS_PER_OP] [--fst FILE]\n", why);
  return 2;
}

int main(int argc, char **argv) {
  unsigned long long n = 1000000;
  const char *fst = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) {
      char *end;
      const char *s = argv[++i];
      n = strtoull(s, &end, 0);
      if (!*s || *s == '-' || *end || n == 0 || n > (1ull << 30)) return usage("--n needs an integer in 1..2^30");
    } else if (!strcmp(argv[i], "--fst") && i + 1 < argc) {
      fst = argv[++i];
    } else {
      char msg[160];
      snprintf(msg, sizeof msg, "unknown or incomplete argument '%s'", argv[i]);
      return usage(msg);
    }
  }
  uint32_t *v[4];
  for (int k = 0; k < 4; k++) {
    v[k] = malloc((size_t)n * sizeof(uint32_t));
    if (!v[k]) {
      fprintf(stderr, "fpu_bench: out of memory for %llu operations\n", n);
      return 1;
    }
  }
  tsim_fpu *f = tsim_fpu_open(fst);
  if (!f) {
    fprintf(stderr, "fpu_bench: cannot open the RTL model%s%s\n", fst ? " or the trace " : "", fst ? fst : "");
    return 1;
  }
  printf("%-12s %12s %12s %10s %14s\n", "op", "operations", "cycles", "seconds", "ops/second");
  uint64_t total_ops = 0, total_cycles = 0;
  double total_secs = 0;
  for (int op = 0; op < TNUM_OP_COUNT; op++) {
    for (int k = 0; k < 3; k++) {
      uint32_t mask = op_bits[op][k] >= 32 ? 0xffffffffu : (1u << op_bits[op][k]) - 1u;
      for (size_t i = 0; i < n; i++) v[k][i] = rng32() & mask;
    }
    uint64_t c0 = tsim_fpu_cycles(f);
    double t0 = now();
    tsim_fpu_status st = tsim_fpu_run(f, (enum tnum_op)op, (size_t)n, v[0], v[1], v[2], v[3]);
    double secs = now() - t0;
    uint64_t cycles = tsim_fpu_cycles(f) - c0;
    if (st == TSIM_FPU_UNSUPPORTED) {
      printf("%-12s %12s\n", op_names[op], "not in RTL");
      continue;
    }
    if (st != TSIM_FPU_OK) {
      fprintf(stderr, "fpu_bench: tsim_fpu_run(%s) failed with status %d\n", op_names[op], (int)st);
      return 1;
    }
    printf("%-12s %12llu %12" PRIu64 " %10.3f %14.0f\n", op_names[op], n, cycles, secs, (double)n / secs);
    total_ops += n, total_cycles += cycles, total_secs += secs;
  }
  if (total_secs > 0)
    printf("%-12s %12" PRIu64 " %12" PRIu64 " %10.3f %14.0f\n", "all", total_ops, total_cycles, total_secs,
           (double)total_ops / total_secs);
  tsim_fpu_close(f);
  for (int k = 0; k < 4; k++) free(v[k]);
  return 0;
}
