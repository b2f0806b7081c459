/* make bench-tile-rtl: the RTL tile alone (ttile_rtl_run) at m = 128, k = n = 256 on this preset:
 * cycles, utilisation, stall breakdown and simulation speed per kernel and mask pattern. Results
 * are checked against ttile_fn bit for bit (a mismatch fails the run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/sparse.h"
#include "ttile.h"
#include "ttile_fn.h"

#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define S TESSERA_CFG_SUB_BANKS

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 7;
static uint32_t rnd_bf16_bits(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  uint32_t r = (uint32_t)(rng >> 16);
  return ((r & 1u) << 31 | (126u + r % 3u) << 23 | (r >> 8 & 0x7fu) << 16);
}

struct row {
  const char *pattern;
  double density;
};

int main(int argc, char **argv) {
  uint32_t m = 128, k = 256, n = 256;
  if (argc > 1) m = (uint32_t)atoi(argv[1]);
  const struct row rows[] = {{"dense", 1.0}, {"block", 0.25}, {"block", 0.125}, {"unstructured", 0.25}, {"2:4", 0.5}};
  const char *kname[] = {"fwd", "bwd_data", "bwd_weight"};
  printf("RTL tile, preset %s (L = %u, P = %u, S = %u), m = %u, k = n = %u; peak %u MACs/cycle\n", TESSERA_CFG_PRESET_NAME, L,
         P, S, m, k, L * P);
  printf("%-10s %-12s %6s %7s %9s %6s %8s %8s %8s %8s %7s %10s\n", "kernel", "pattern", "dens", "groups", "cycles",
         "util", "conflict", "starved", "memory", "speedup", "wall_s", "cycles/s");
  int bad = 0;
  for (int kern = 0; kern < 3; kern++) {
    uint64_t dense_cycles = 0;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
      uint8_t *mask = malloc((size_t)n * k);
      if (!strcmp(rows[r].pattern, "dense")) tsp_mask_dense(mask, n, k);
      else if (!strcmp(rows[r].pattern, "block")) tsp_mask_block(mask, n, k, P, rows[r].density, 1);
      else if (!strcmp(rows[r].pattern, "2:4")) tsp_mask_nm(mask, n, k, 2, 4, 1);
      else tsp_mask_random(mask, n, k, rows[r].density, 1);
      struct tsp_stream st;
      if (tsp_stream_build(&st, mask, n, k, P, S, 1) != TSP_OK) return 1;
      size_t slots = (size_t)st.ngroups * P;
      uint16_t *wv = malloc(2 * slots);
      uint32_t *x = malloc(4ul * m * k), *dy = malloc(4ul * m * n), *out = malloc(4ul * m * (k > n ? k : n)),
               *ref = malloc(4ul * m * (k > n ? k : n)), *dw = calloc(slots, 4), *dwr = calloc(slots, 4);
      for (size_t a = 0; a < slots; a++) wv[a] = (uint16_t)(rnd_bf16_bits() >> 16);
      for (size_t a = 0; a < (size_t)m * k; a++) x[a] = rnd_bf16_bits();
      for (size_t a = 0; a < (size_t)m * n; a++) dy[a] = rnd_bf16_bits();
      memset(out, 0, 4ul * m * (k > n ? k : n));
      memset(ref, 0, 4ul * m * (k > n ? k : n));
      struct ttile_job job = {.kernel = (enum ttile_kernel)kern, .st = &st, .wv = wv, .m = m, .x = x, .dy = dy,
                              .y = out, .dx = out, .dwv = dw};
      struct ttile_counters c;
      char err[200];
      double t0 = now();
      if (ttile_rtl_run(&job, &c, NULL, err, sizeof err)) {
        fprintf(stderr, "bench-tile-rtl: %s\n", err);
        return 1;
      }
      double wall = now() - t0;
      size_t cnt;
      const uint32_t *got, *want;
      if (kern == 0) ttile_fn_fwd(&st, wv, x, m, ref), cnt = (size_t)m * n, got = out, want = ref;
      else if (kern == 1) ttile_fn_bwd_data(&st, wv, dy, m, ref), cnt = (size_t)m * k, got = out, want = ref;
      else ttile_fn_bwd_weight(&st, dy, x, m, L, ttile_plan_d(m, k, n, L, TESSERA_CFG_LANE_BANK_WORDS), dwr),
           cnt = slots, got = dw, want = dwr;
      if (memcmp(got, want, 4 * cnt)) {
        fprintf(stderr, "bench-tile-rtl: %s %s: RTL differs from ttile_fn\n", kname[kern], rows[r].pattern);
        bad = 1;
      }
      if (r == 0) dense_cycles = c.cycles;
      printf("%-10s %-12s %6.3f %7u %9llu %6.3f %8llu %8llu %8llu %7.2fx %7.2f %10.0f\n", kname[kern], rows[r].pattern,
             rows[r].density, st.ngroups, (unsigned long long)c.cycles, (double)c.macs / (double)c.cycles / (L * P),
             (unsigned long long)c.stall_bank_conflict, (unsigned long long)c.stall_stream_starved,
             (unsigned long long)c.stall_memory, (double)dense_cycles / (double)c.cycles, wall, (double)c.cycles / wall);
      fflush(stdout);
      tsp_stream_free(&st);
      free(mask), free(wv), free(x), free(dy), free(out), free(ref), free(dw), free(dwr);
    }
  }
  return bad;
}
