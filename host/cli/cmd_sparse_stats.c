/* tessera sparse-stats: build a mask and its nonzero stream, report groups, padding and conflicts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/sparse.h"

#define ME "tessera sparse-stats"

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera sparse-stats [--n N] [--k K] [--density D] [--pattern dense|unstructured|block|2:4]\n"
          "                            [--p P] [--s S] [--seed S] [--no-reorder] [--json]\n"
          "Builds a weight mask of n outputs x k inputs and the tile's nonzero stream for it (docs/tile.md),\n"
          "and prints stream cycles (groups plus sub-bank conflict cycles), padding and the speed-up over the\n"
          "dense stream of the same shape.\n"
          "  --n N, --k K      matrix shape (default 256 x 256; at most %u)\n"
          "  --density D       fraction of weights kept, in (0, 1] (default 0.25; ignored by dense and 2:4)\n"
          "  --pattern P       mask pattern (default unstructured)\n"
          "  --p P, --s S      nonzeros per cycle and sub-banks (default: the preset's, %u and %u)\n"
          "  --seed S          mask seed (default 1)\n"
          "  --no-reorder      take nonzeros in column order instead of balancing sub-banks\n"
          "  --json            one JSON object on stdout\n",
          TSP_MAX_DIM, (unsigned)TESSERA_CFG_NNZ_PER_CYCLE, (unsigned)TESSERA_CFG_SUB_BANKS);
}


int cmd_sparse_stats(int argc, char **argv) {
  uint32_t n = 256, k = 256, p = TESSERA_CFG_NNZ_PER_CYCLE, s = TESSERA_CFG_SUB_BANKS, seed = 1;
  double density = 0.25;
  const char *pattern = "unstructured";
  int reorder = 1, json = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--no-reorder")) {
      reorder = 0;
    } else if (!strcmp(a, "--n")) {
      bad = tessera_arg_u32(ME, a, v, 1, TSP_MAX_DIM, &n), i++;
    } else if (!strcmp(a, "--k")) {
      bad = tessera_arg_u32(ME, a, v, 1, TSP_MAX_DIM, &k), i++;
    } else if (!strcmp(a, "--p")) {
      bad = tessera_arg_u32(ME, a, v, 1, TSP_MAX_P, &p), i++;
    } else if (!strcmp(a, "--s")) {
      bad = tessera_arg_u32(ME, a, v, 1, 64, &s), i++;
      if (!bad && (s & (s - 1))) fprintf(stderr, "tessera sparse-stats: --s must be a power of two\n"), bad = 1;
    } else if (!strcmp(a, "--seed")) {
      bad = tessera_arg_u32(ME, a, v, 0, UINT32_MAX, &seed), i++;
    } else if (!strcmp(a, "--pattern") && v) {
      pattern = v, i++;
      if (strcmp(v, "dense") && strcmp(v, "unstructured") && strcmp(v, "block") && strcmp(v, "2:4")) {
        fprintf(stderr, "tessera sparse-stats: --pattern must be dense, unstructured, block or 2:4, got '%s'\n", v);
        bad = 1;
      }
    } else if (!strcmp(a, "--density") && v) {
      char *end;
      density = strtod(v, &end), i++;
      if (*end || !(density > 0.0 && density <= 1.0)) {
        fprintf(stderr, "tessera sparse-stats: --density must be a number in (0, 1], got '%s'\n", v);
        bad = 1;
      }
    } else {
      fprintf(stderr, "tessera sparse-stats: %s '%s' (see tessera sparse-stats --help)\n",
              !strcmp(a, "--pattern") || !strcmp(a, "--density") ? "option needs a value:" : "unknown argument", a);
      bad = 1;
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }

  uint8_t *mask = malloc((size_t)n * k);
  if (!mask) return fprintf(stderr, "tessera sparse-stats: out of memory\n"), TESSERA_EXIT_FAIL;
  tsp_status st;
  if (!strcmp(pattern, "dense")) st = tsp_mask_dense(mask, n, k);
  else if (!strcmp(pattern, "block")) st = tsp_mask_block(mask, n, k, p, density, seed);
  else if (!strcmp(pattern, "2:4")) st = tsp_mask_nm(mask, n, k, 2, 4, seed);
  else st = tsp_mask_random(mask, n, k, density, seed);
  struct tsp_stream sp, dn;
  if (st == TSP_OK) st = tsp_stream_build(&sp, mask, n, k, p, s, reorder);
  if (st == TSP_OK && (st = tsp_mask_dense(mask, n, k)) == TSP_OK) st = tsp_stream_build(&dn, mask, n, k, p, s, 1);
  free(mask);
  if (st != TSP_OK) {
    fprintf(stderr, "tessera sparse-stats: %s\n", tsp_status_str(st));
    return TESSERA_EXIT_FAIL;
  }
  uint64_t cycles = (uint64_t)sp.ngroups + sp.conflict_cycles, dense = (uint64_t)dn.ngroups + dn.conflict_cycles;
  double fill = (double)sp.nnz / ((double)cycles * p), speedup = (double)dense / (double)cycles;
  double ideal = (double)n * k / sp.nnz;
  if (json)
    printf("{\"n\": %u, \"k\": %u, \"pattern\": \"%s\", \"p\": %u, \"s\": %u, \"reorder\": %s, \"nnz\": %u, "
           "\"density\": %.6f, \"groups\": %u, \"empty_slots\": %u, \"conflict_cycles\": %u, \"cycles\": %" PRIu64
           ", \"dense_cycles\": %" PRIu64 ", \"slot_fill\": %.4f, \"speedup\": %.4f, \"ideal_speedup\": %.4f}\n",
           n, k, pattern, p, s, reorder ? "true" : "false", sp.nnz, (double)sp.nnz / ((double)n * k), sp.ngroups,
           sp.empty_slots, sp.conflict_cycles, cycles, dense, fill, speedup, ideal);
  else
    printf("%s %ux%u, P=%u S=%u, %s: %u nonzeros (density %.4f)\n"
           "  stream cycles %" PRIu64 " = %u groups + %u conflict cycles; %u empty slots (slots filled %.1f%%)\n"
           "  dense stream %" PRIu64 " cycles: speed-up %.2fx (ideal %.2fx)\n",
           pattern, n, k, p, s, reorder ? "reordered" : "column order", sp.nnz, (double)sp.nnz / ((double)n * k),
           cycles, sp.ngroups, sp.conflict_cycles, sp.empty_slots, 100.0 * fill, dense, speedup, ideal);
  tsp_stream_free(&sp);
  tsp_stream_free(&dn);
  return TESSERA_EXIT_OK;
}
