/* tessera kernel: run one linear-layer kernel on one tile with random bf16 inputs, check the RTL
 * against the cmodel bit for bit and the cmodel against the float64 reference (docs/kernels.md). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tessera.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/npy.h"
#include "tessera/ref64.h"
#include "tessera/sparse.h"
#include "tsim_tile.h" /* TSIM_TILE_ACC_DEPTH: the lanes' accumulator depth caps fwd/bwd_data passes */
#include "ttile.h"

#define ME "tessera kernel"
#define MAX_M 65535u
#define MAX_WORK (1ull << 32) /* m * n * k: the float64 reference's work */

static const char *const kernel_names[TTILE_KERNEL_COUNT] = {"fwd", "bwd_data", "bwd_weight"};

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera kernel NAME [--m M] [--k K] [--n N] [--density D] [--pattern dense|unstructured|block|2:4]\n"
          "                           [--backend rtl|cmodel] [--seed S] [--json] [--dump DIR] [--trace FILE.fst]\n"
          "Runs one linear-layer kernel on one compute tile (preset '%s': L=%u lanes, P=%u nonzeros per cycle,\n"
          "S=%u sub-banks, %u-word lane banks) with random bf16-representable inputs; checks the RTL against the\n"
          "cmodel bit for bit and the cmodel against a float64 reference (docs/kernels.md).\n"
          "  NAME              fwd (Y = X W^T), bwd_data (dX = dY W), bwd_weight (dW = dY^T X at the nonzeros)\n"
          "  --m M             tokens (default 128, at most %u)\n"
          "  --k K, --n N      W is n outputs x k inputs (default 256 x 256); k + n must fit a lane bank (<= %u),\n"
          "                    and m * n * k be at most 2^32\n"
          "  --density D       fraction of weights kept, in (0, 1] (default 0.25; ignored by dense and 2:4)\n"
          "  --pattern P       weight mask (default unstructured); block = 1x%u blocks\n"
          "  --backend B       rtl (runs both and compares; the default when the RTL tile is linked: %s) or cmodel\n"
          "  --seed S          seed of the mask and the inputs (default 1)\n"
          "  --json            one JSON object on stdout\n"
          "  --dump DIR        write inputs and outputs as float32 .npy files into DIR (created if missing)\n"
          "  --trace FILE.fst  waveform of the RTL run (rtl backend only)\n"
          "Exit status: 0 ok, 1 RTL != cmodel or rel_err above its bound, 2 bad arguments.\n",
          TESSERA_CFG_PRESET_NAME, (unsigned)TESSERA_CFG_LANES, (unsigned)TESSERA_CFG_NNZ_PER_CYCLE,
          (unsigned)TESSERA_CFG_SUB_BANKS, (unsigned)TESSERA_CFG_LANE_BANK_WORDS, MAX_M,
          (unsigned)TESSERA_CFG_LANE_BANK_WORDS, (unsigned)TESSERA_CFG_NNZ_PER_CYCLE, ttile_rtl_run ? "yes" : "no");
}

static int get_u32(const char *opt, const char *v, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end;
  unsigned long long x = v && *v && *v != '-' ? strtoull(v, &end, 0) : 0;
  if (!v || !*v || *v == '-' || *end || x < lo || x > hi) {
    fprintf(stderr, ME ": %s wants an integer in [%u, %u], got '%s'\n", opt, lo, hi, v ? v : "");
    return -1;
  }
  *out = (uint32_t)x;
  return 0;
}

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* splitmix64: the inputs' generator. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/* Uniform in [-2, 2), truncated to bf16 (so exactly representable as bf16). */
static float rnd_bf16(uint64_t *s) {
  float v = (float)((int64_t)(rng_next(s) >> 40) - (1 << 23)) / (float)(1 << 22);
  return u2f(f2u(v) & 0xffff0000u);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* gamma_c = c u / (1 - c u), u = 2^-24: bound on c fp32 roundings along any term's path. */
static double gamma_c(double c) {
  const double u = 1.0 / 16777216.0;
  return c * u / (1.0 - c * u);
}

static uint32_t ceil_log2(uint32_t v) {
  uint32_t r = 0;
  while ((1u << r) < v) r++;
  return r;
}

/* DIR exists (or is created) and is a writable directory; else a one-line reason. */
static int dump_dir_ok(const char *dir) {
  struct stat sb;
  if (stat(dir, &sb) != 0 && mkdir(dir, 0777) != 0) {
    fprintf(stderr, ME ": --dump: cannot create '%s': %s\n", dir, strerror(errno));
    return 0;
  }
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    fprintf(stderr, ME ": --dump: '%s' is not a directory\n", dir);
    return 0;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    fprintf(stderr, ME ": --dump: cannot write into '%s': %s\n", dir, strerror(errno));
    return 0;
  }
  return 1;
}

static int dump(const char *dir, const char *name, const float *v, uint32_t rows, uint32_t cols) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (npy_write_f32(path, v, rows, cols) == 0) return 0;
  fprintf(stderr, ME ": cannot write %s: %s\n", path, strerror(errno));
  return -1;
}

int cmd_kernel(int argc, char **argv) {
  uint32_t m = 128, k = 256, n = 256, seed = 1;
  double density = 0.25;
  const char *pattern = "unstructured", *dump_dir = NULL, *trace = NULL, *backend = NULL;
  int json = 0, kernel = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--m")) {
      bad = get_u32(a, v, 1, MAX_M, &m), i++;
    } else if (!strcmp(a, "--k")) {
      bad = get_u32(a, v, 1, TSP_MAX_DIM, &k), i++;
    } else if (!strcmp(a, "--n")) {
      bad = get_u32(a, v, 1, TSP_MAX_DIM, &n), i++;
    } else if (!strcmp(a, "--seed")) {
      bad = get_u32(a, v, 0, UINT32_MAX, &seed), i++;
    } else if (!strcmp(a, "--pattern") && v) {
      pattern = v, i++;
      if (strcmp(v, "dense") && strcmp(v, "unstructured") && strcmp(v, "block") && strcmp(v, "2:4")) {
        fprintf(stderr, ME ": --pattern must be dense, unstructured, block or 2:4, got '%s'\n", v);
        bad = 1;
      }
    } else if (!strcmp(a, "--density") && v) {
      char *end;
      density = strtod(v, &end), i++;
      if (!*v || *end || !(density > 0.0 && density <= 1.0)) {
        fprintf(stderr, ME ": --density must be a number in (0, 1], got '%s'\n", v);
        bad = 1;
      }
    } else if (!strcmp(a, "--backend") && v) {
      backend = v, i++;
      if (strcmp(v, "rtl") && strcmp(v, "cmodel")) {
        fprintf(stderr, ME ": --backend must be rtl or cmodel, got '%s'\n", v);
        bad = 1;
      }
    } else if (!strcmp(a, "--dump") && v) {
      dump_dir = v, i++;
    } else if (!strcmp(a, "--trace") && v) {
      trace = v, i++;
    } else if (a[0] == '-') {
      int needs = !strcmp(a, "--pattern") || !strcmp(a, "--density") || !strcmp(a, "--backend") ||
                  !strcmp(a, "--dump") || !strcmp(a, "--trace");
      fprintf(stderr, ME ": %s '%s' (see tessera kernel --help)\n", needs ? "option needs a value:" : "unknown argument",
              a);
      bad = 1;
    } else if (kernel >= 0) {
      fprintf(stderr, ME ": one kernel at a time, got '%s' after '%s'\n", a, kernel_names[kernel]);
      bad = 1;
    } else {
      for (int q = 0; q < TTILE_KERNEL_COUNT; q++)
        if (!strcmp(a, kernel_names[q])) kernel = q;
      if (kernel < 0) {
        fprintf(stderr, ME ": unknown kernel '%s' (fwd, bwd_data or bwd_weight)\n", a);
        bad = 1;
      }
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }
  if (kernel < 0) {
    fprintf(stderr, ME ": no kernel named (fwd, bwd_data or bwd_weight; see tessera kernel --help)\n");
    return TESSERA_EXIT_USAGE;
  }
  const uint32_t lanes = TESSERA_CFG_LANES, p = TESSERA_CFG_NNZ_PER_CYCLE, s = TESSERA_CFG_SUB_BANKS;
  /* Tokens per lane per pass (docs/kernels.md): the bank's ttile_plan_d; fwd and bwd_data keep
   * per-token state in the lanes, at most the accumulator depth. */
  uint32_t d = ttile_plan_d(m, k, n, lanes, TESSERA_CFG_LANE_BANK_WORDS);
  if (kernel != TTILE_BWD_WEIGHT && d > TSIM_TILE_ACC_DEPTH) d = TSIM_TILE_ACC_DEPTH;
  if (!d) {
    fprintf(stderr, ME ": shape does not fit the tile: a token's rows take k + n = %u words, a lane bank holds %u\n",
            k + n, (unsigned)TESSERA_CFG_LANE_BANK_WORDS);
    return TESSERA_EXIT_USAGE;
  }
  /* The float64 reference visits every (token, output, input) triple: keep a run to minutes. */
  if ((uint64_t)m * n * k > MAX_WORK) {
    fprintf(stderr, ME ": job too large: m * n * k = %" PRIu64 " exceeds %" PRIu64 "\n", (uint64_t)m * n * k,
            (uint64_t)MAX_WORK);
    return TESSERA_EXIT_USAGE;
  }
  int use_rtl = backend ? !strcmp(backend, "rtl") : ttile_rtl_run != NULL;
  if (use_rtl && !ttile_rtl_run) {
    fprintf(stderr, ME ": --backend rtl: the RTL tile is not linked into this build (use --backend cmodel)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (trace && !use_rtl) {
    fprintf(stderr, ME ": --trace needs the rtl backend\n");
    return TESSERA_EXIT_USAGE;
  }
  if (dump_dir && !dump_dir_ok(dump_dir)) return TESSERA_EXIT_USAGE;

  /* The mask, its stream and the inputs. */
  const size_t mk = (size_t)m * k, mn = (size_t)m * n, nk = (size_t)n * k;
  int rc = TESSERA_EXIT_FAIL;
  uint8_t *mask = malloc(nk);
  float *w = calloc(nk, sizeof *w), *x = malloc(mk * sizeof *x), *dy = malloc(mn * sizeof *dy);
  struct tsp_stream st = {0};
  uint16_t *wv = NULL;
  uint32_t *out_cm = NULL, *out_rtl = NULL;
  float *got = NULL;
  double *ref = NULL, *refabs = NULL;
  if (!mask || !w || !x || !dy) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  tsp_status ts;
  if (!strcmp(pattern, "dense")) ts = tsp_mask_dense(mask, n, k);
  else if (!strcmp(pattern, "block")) ts = tsp_mask_block(mask, n, k, p, density, seed);
  else if (!strcmp(pattern, "2:4")) ts = tsp_mask_nm(mask, n, k, 2, 4, seed);
  else ts = tsp_mask_random(mask, n, k, density, seed);
  if (ts == TSP_OK) ts = tsp_stream_build(&st, mask, n, k, p, s, 1);
  if (ts != TSP_OK) {
    fprintf(stderr, ME ": %s\n", tsp_status_str(ts));
    goto out;
  }
  uint64_t rs = (uint64_t)seed * 0x2545f4914f6cdd1dull + 0x5eed;
  for (size_t a = 0; a < nk; a++) w[a] = mask[a] ? rnd_bf16(&rs) : 0.0f;
  for (size_t a = 0; a < mk; a++) x[a] = rnd_bf16(&rs);
  for (size_t a = 0; a < mn; a++) dy[a] = rnd_bf16(&rs);
  const size_t slots = (size_t)st.ngroups * p;
  wv = malloc((slots ? slots : 1) * sizeof *wv);
  if (!wv) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  for (size_t a = 0; a < slots; a++) wv[a] = st.src[a] == UINT32_MAX ? 0 : (uint16_t)(f2u(w[st.src[a]]) >> 16);

  /* Run the cmodel, then the RTL on the same job with its own zeroed outputs. */
  const size_t outn = kernel == TTILE_FWD ? mn : kernel == TTILE_BWD_DATA ? mk : slots;
  out_cm = calloc(outn ? outn : 1, 4);
  out_rtl = use_rtl ? calloc(outn ? outn : 1, 4) : NULL;
  if (!out_cm || (use_rtl && !out_rtl)) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  struct ttile_job job = {.kernel = (enum ttile_kernel)kernel, .st = &st, .wv = wv, .m = m,
                          .x = (const uint32_t *)x, .dy = (const uint32_t *)dy};
  job.y = job.dx = job.dwv = out_cm;
  struct ttile_counters ccm, crtl = {0};
  char err[512];
  double t0 = now_s();
  if (ttile_cm_run(&job, &ccm, err, sizeof err) != 0) {
    fprintf(stderr, ME ": cmodel: %s\n", err);
    goto out;
  }
  double wall_cm = now_s() - t0, wall_rtl = 0.0;
  int bitexact = -1;
  size_t mismatches = 0, first_bad = 0;
  if (use_rtl) {
    job.y = job.dx = job.dwv = out_rtl;
    t0 = now_s();
    if (ttile_rtl_run(&job, &crtl, trace, err, sizeof err) != 0) {
      fprintf(stderr, ME ": rtl: %s\n", err);
      goto out;
    }
    wall_rtl = now_s() - t0;
    for (size_t a = 0; a < outn; a++)
      if (out_cm[a] != out_rtl[a] && !mismatches++) first_bad = a;
    bitexact = mismatches == 0;
  }
  const struct ttile_counters *c = use_rtl ? &crtl : &ccm;

  /* The float64 reference and the bound on the normwise error: every output is a sum of exact
   * bf16 products, each passing through at most `chain` fp32 roundings, so
   * |C - R| <= gamma_chain * sum|terms| elementwise and ||C - R||_F <= gamma_chain ||A||_F. */
  const size_t refn = kernel == TTILE_FWD ? mn : kernel == TTILE_BWD_DATA ? mk : nk;
  got = malloc(refn * sizeof *got);
  ref = malloc(refn * sizeof *ref);
  refabs = malloc(refn * sizeof *refabs);
  if (!got || !ref || !refabs) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  uint32_t chain = 0;
  if (kernel == TTILE_FWD) {
    /* A slot accumulator takes at most one term per group of its row, then the tree over P. */
    for (uint32_t g = 0, run = 0; g < st.ngroups; g++) {
      run = (st.flags[g] & TSP_FIRST) ? 1 : run + 1;
      if (run > chain) chain = run;
    }
    chain += ceil_log2(p);
    ref64_fwd(x, w, mask, m, n, k, ref, refabs);
    for (size_t a = 0; a < mn; a++) got[a] = u2f(out_cm[a]);
  } else if (kernel == TTILE_BWD_DATA) {
    /* dX[t][j] is one chain over the nonzeros of column j. */
    for (uint32_t j = 0; j < k; j++) {
      uint32_t cnt = 0;
      for (uint32_t i = 0; i < n; i++) cnt += mask[(size_t)i * k + j] != 0;
      if (cnt > chain) chain = cnt;
    }
    ref64_bwd_data(dy, w, mask, m, n, k, ref, refabs);
    for (size_t a = 0; a < mk; a++) got[a] = u2f(out_cm[a]);
  } else {
    /* A lane chain of d tokens, the tree over L lanes, one add per pass onto dW. */
    chain = d + ceil_log2(lanes) + (m + lanes * d - 1) / (lanes * d);
    ref64_bwd_weight(dy, x, mask, m, n, k, ref, refabs);
    memset(got, 0, nk * sizeof *got);
    for (size_t a = 0; a < slots; a++)
      if (st.src[a] != UINT32_MAX) got[st.src[a]] = u2f(out_cm[a]);
  }
  double rel_err = ref64_rel_err(got, ref, refn), rnorm = 0.0, anorm = 0.0;
  for (size_t a = 0; a < refn; a++) rnorm += ref[a] * ref[a], anorm += refabs[a] * refabs[a];
  double bound = rnorm > 0.0 ? gamma_c(chain) * sqrt(anorm / rnorm) : 0.0;
  int err_ok = rel_err <= bound;

  /* Report. */
  const uint32_t peak = lanes * p, passes = (m + lanes * d - 1) / (lanes * d);
  double util = c->cycles ? (double)c->macs / ((double)c->cycles * peak) : 0.0;
  double dens = (double)st.nnz / (double)nk;
  const char *bname = use_rtl ? "rtl" : "cmodel";
  if (json) {
    char rtl_wall_s[32] = "null";
    if (use_rtl) snprintf(rtl_wall_s, sizeof rtl_wall_s, "%.6f", wall_rtl);
    printf("{\"kernel\": \"%s\", \"shape\": {\"m\": %u, \"k\": %u, \"n\": %u}, \"pattern\": \"%s\", "
           "\"density\": %.6f, \"nnz\": %u, \"backend\": \"%s\", \"preset\": \"%s\", \"lanes\": %u, \"p\": %u, "
           "\"s\": %u, \"seed\": %u, \"tokens_per_lane\": %u, \"passes\": %u, \"groups\": %u, \"cycles\": %" PRIu64
           ", \"busy\": %" PRIu64 ", \"macs\": %" PRIu64 ", \"peak_macs_per_cycle\": %u, \"utilization\": %.6f, "
           "\"stalls\": {\"bank_conflict\": %" PRIu64 ", \"stream_starved\": %" PRIu64 ", \"backpressure\": %" PRIu64
           ", \"memory\": %" PRIu64 "}, \"bitexact\": %s, \"mismatches\": %zu, \"rel_err\": %.6e, "
           "\"rel_err_bound\": %.6e, \"cmodel_cycles\": %" PRIu64 ", \"cmodel_stalls\": {\"bank_conflict\": %" PRIu64
           ", \"stream_starved\": %" PRIu64 ", \"backpressure\": %" PRIu64 ", \"memory\": %" PRIu64 "}, "
           "\"wall_s\": {\"cmodel\": %.6f, \"rtl\": %s}}\n",
           kernel_names[kernel], m, k, n, pattern, dens, st.nnz, bname, TESSERA_CFG_PRESET_NAME, lanes, p, s, seed, d,
           passes, st.ngroups, c->cycles, c->busy, c->macs, peak, util, c->stall_bank_conflict,
           c->stall_stream_starved, c->stall_backpressure, c->stall_memory,
           bitexact < 0 ? "null" : bitexact ? "true" : "false", mismatches, rel_err, bound, ccm.cycles,
           ccm.stall_bank_conflict, ccm.stall_stream_starved, ccm.stall_backpressure, ccm.stall_memory, wall_cm,
           rtl_wall_s);
  } else {
    printf("%s m=%u k=%u n=%u, %s (density %.4f, %u nonzeros in %u groups), preset %s (L=%u P=%u S=%u), "
           "backend %s\n",
           kernel_names[kernel], m, k, n, pattern, dens, st.nnz, st.ngroups, TESSERA_CFG_PRESET_NAME, lanes, p, s,
           bname);
    printf("  cycles        %" PRIu64 " (%u pass%s of up to %u tokens per lane)", c->cycles, passes,
           passes == 1 ? "" : "es", d);
    if (use_rtl)
      printf("; cmodel estimate %" PRIu64 " (cmodel/rtl %.3f)", ccm.cycles,
             crtl.cycles ? (double)ccm.cycles / (double)crtl.cycles : 0.0);
    printf("\n  useful MACs   %" PRIu64 "; peak %u MACs/cycle; utilisation %.1f%%\n", c->macs, peak, 100.0 * util);
    printf("  stalls        bank conflict %" PRIu64 ", stream starved %" PRIu64 ", back-pressure %" PRIu64
           ", memory %" PRIu64 "\n",
           c->stall_bank_conflict, c->stall_stream_starved, c->stall_backpressure, c->stall_memory);
    if (bitexact < 0) printf("  bitexact      n/a (cmodel only)\n");
    else if (bitexact) printf("  bitexact      yes (rtl == cmodel, %zu outputs)\n", outn);
    else
      printf("  bitexact      NO: %zu of %zu outputs differ, first at %zu: rtl 0x%08x cmodel 0x%08x\n", mismatches,
             outn, first_bad, out_rtl[first_bad], out_cm[first_bad]);
    printf("  rel_err       %.3e vs float64 (bound %.3e = gamma_%u * ||sum|terms|||_F / ||ref||_F)%s\n", rel_err, bound,
           chain, err_ok ? "" : "  ABOVE BOUND");
    if (use_rtl)
      printf("  wall          rtl %.3f s (%.0f cycles/s), cmodel %.4f s\n", wall_rtl,
             wall_rtl > 0 ? (double)crtl.cycles / wall_rtl : 0.0, wall_cm);
  }

  if (dump_dir) {
    float *o = malloc((kernel == TTILE_BWD_WEIGHT ? nk : outn ? outn : 1) * sizeof *o);
    int bad = !o;
    if (o && kernel == TTILE_BWD_WEIGHT) memcpy(o, got, nk * sizeof *o);
    else if (o)
      for (size_t a = 0; a < outn; a++) o[a] = u2f(out_cm[a]);
    if (!bad && kernel == TTILE_FWD)
      bad = dump(dump_dir, "X.npy", x, m, k) || dump(dump_dir, "W.npy", w, n, k) || dump(dump_dir, "Y.npy", o, m, n);
    else if (!bad && kernel == TTILE_BWD_DATA)
      bad = dump(dump_dir, "dY.npy", dy, m, n) || dump(dump_dir, "W.npy", w, n, k) ||
            dump(dump_dir, "dX.npy", o, m, k);
    else if (!bad)
      bad = dump(dump_dir, "X.npy", x, m, k) || dump(dump_dir, "dY.npy", dy, m, n) ||
            dump(dump_dir, "dW.npy", o, n, k);
    free(o);
    if (bad) goto out;
  }
  if (bitexact == 0) fprintf(stderr, ME ": rtl and cmodel differ in %zu of %zu outputs\n", mismatches, outn);
  if (!err_ok) fprintf(stderr, ME ": rel_err %.3e exceeds its bound %.3e\n", rel_err, bound);
  rc = bitexact == 0 || !err_ok ? TESSERA_EXIT_FAIL : TESSERA_EXIT_OK;
out:
  tsp_stream_free(&st);
  free(mask), free(w), free(x), free(dy), free(wv), free(out_cm), free(out_rtl), free(got), free(ref), free(refabs);
  return rc;
}
