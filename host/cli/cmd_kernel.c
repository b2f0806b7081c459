/* tessera kernel: run one linear-layer kernel on one tile with random bf16 inputs, check the RTL
 * against the cmodel bit for bit and the cmodel against the float64 reference (docs/kernels.md);
 * or one vector-unit kernel's functional model against its float64 reference, and with
 * --backend rtl the same kernel on the tile's vector unit (RTL == cmodel == functional model). */
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
#include "tessera/numerics.h"
#include "tessera/ref64.h"
#include "tessera/ref64_nn.h"
#include "tessera/sparse.h"
#include "tessera/gen/map.h"
#include "ttile.h"
#include "ttile_exec.h"
#include "ttile_fn.h"
#include "tvec_fn.h"

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
          "  --dump DIR        write inputs and outputs as float32 .npy files into DIR (created if missing):\n"
          "                    fwd X, W, Y; bwd_data dY, W, dX; bwd_weight X, dY, dW (NAME.npy)\n"
          "  --trace FILE.fst  waveform of the RTL run (rtl backend only), every pass in the one file\n"
          "Vector-unit kernels (functional model against float64, docs/vector-kernels.md; --backend rtl also runs\n"
          "the tile's vector unit, RTL and cmodel, and checks both against the functional model bit for bit):\n"
          "  tessera kernel NAME [--m M] [--n N] [--v V] [--causal] [--step T] [--seed S] [--json] [--dump DIR]\n"
          "                      [--backend cmodel|rtl] [--trace FILE.fst] (rtl: not embedding_fwd, the DMA's gather)\n"
          "  NAME              gelu_fwd, gelu_bwd, softmax_fwd, softmax_bwd (--causal: row r sees columns <= r),\n"
          "                    layernorm_fwd, layernorm_bwd, cross_entropy_fwd, cross_entropy_bwd (rows of width\n"
          "                    --v), embedding_fwd, embedding_bwd (table of --v rows of width --n), adamw (--step)\n"
          "  --m M, --n N      rows (tokens) and width (default 64 x 256; cross-entropy 32 x --v 1000)\n"
          "  --v V             vocabulary (default 1000 for cross-entropy, 50 for embedding)\n"
          "  --dump DIR        every input and output as float32 .npy (names in docs/kernels.md)\n"
          "  --trace FILE.fst  waveforms of the tile runs (rtl backend only): one tile per run (pass or token\n"
          "                    chunk), run 0 in FILE.fst, run i > 0 in FILE.<i>.fst\n"
          "Attention with K (attn_qk: S = Q K^T) or V (attn_pv: O = P V) on the tile's stream-in port, one group\n"
          "per beat (RTL == cmodel, cycles included; cmodel == functional model; float64 reference):\n"
          "  tessera kernel attn_qk|attn_pv [--m M] [--k D] [--n KEYS] [--period N] [--backend rtl|cmodel]\n"
          "                                 [--seed S] [--json] [--dump DIR] [--trace FILE.fst]\n"
          "  --m, --k, --n     queries, head dimension, keys (default 64 each); k + n must fit a lane bank\n"
          "  --period N        the source presents a beat every N cycles (default 0: always valid)\n"
          "  --dump DIR        attn_qk Q [m,k], K [n,k] (as streamed), S [m,n]; attn_pv P [m,n], V [n,k], O [m,k]\n"
          "  --trace FILE.fst  waveforms of the tile runs (rtl backend only; runs = passes x stream chunks):\n"
          "                    run 0 in FILE.fst, run i > 0 in FILE.<i>.fst\n"
          "Rows of X [m][n] (random fp32) out of the tile's stream-out port as the dense stream of their bf16 values,\n"
          "one group of P columns per beat (RTL == cmodel, cycles included; beats == the stream builder's; float64):\n"
          "  tessera kernel send [--m M] [--n N] [--period N] [--backend rtl|cmodel] [--seed S] [--json] [--dump DIR]\n"
          "                     [--trace FILE.fst]\n"
          "  --period N        the sink takes a beat every N cycles at most (default 0: always ready); the cycles\n"
          "                    the tile holds a beat the sink refuses are the backpressure stall\n"
          "  --dump DIR        X [m,n] and Out [m,n] (the values the sink received)\n"
          "  --trace FILE.fst  waveforms of the tile runs (rtl backend only; a run per pass), named as above\n"
          "Two tiles linked, tile A's stream-out port driving tile B's stream-in port (docs/tile.md, \"Linking two\n"
          "tiles\"): A holds K (attn_qk) or V (attn_pv), KEYS rows of D random fp32 words, and sends them (the send\n"
          "rounds to bf16); B holds Q [M][D] (or P [M][KEYS]) and runs the consumer over all the beats (RTL == cmodel in\n"
          "both tiles' words, every run's counters and every take time; float64 reference of Q bf16(K)^T / P bf16(V)):\n"
          "  tessera kernel link [--consumer attn_qk|attn_pv] [--m M] [--k D] [--n KEYS] [--offset N] [--sends S]\n"
          "                      [--backend rtl|cmodel] [--seed S] [--json] [--dump DIR] [--trace FILE.fst]\n"
          "  --consumer K      tile B's kernel (default attn_qk)\n"
          "  --m, --k, --n     queries, head dimension, keys (default 64 each); one run on each tile: B's rows take\n"
          "                    ceil(M / L) <= acc_depth entries of D + KEYS words, A's S x D words per entry\n"
          "  --offset N        B's first busy cycle N cycles after A's first send's (negative: before; default 0,\n"
          "                    |N| <= 1000000)\n"
          "  --sends S         K/V as S sends of consecutive rows (row0 set), each as soon as A is free (default 1,\n"
          "                    at most KEYS)\n"
          "  --dump DIR        attn_qk Q [m,k], K [n,k] (as sent, bf16), S [m,n]; attn_pv P [m,n], V [n,k], O [m,k]\n"
          "  --trace FILE.fst  waveform of the producer tile A only (rtl backend only; what the link driver records)\n"
          "Exit status: 0 ok, 1 RTL != cmodel or rel_err above its bound, 2 bad arguments.\n",
          TESSERA_CFG_PRESET_NAME, (unsigned)TESSERA_CFG_LANES, (unsigned)TESSERA_CFG_NNZ_PER_CYCLE,
          (unsigned)TESSERA_CFG_SUB_BANKS, (unsigned)TESSERA_CFG_LANE_BANK_WORDS, MAX_M,
          (unsigned)TESSERA_CFG_LANE_BANK_WORDS, (unsigned)TESSERA_CFG_NNZ_PER_CYCLE, ttile_rtl_run ? "yes" : "no");
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

/* Uniform in [-2, 2), truncated to bf16 (so exactly representable as bf16). */
static float rnd_bf16(uint64_t *s) {
  float v = (float)((int64_t)(tsp_rng_next(s) >> 40) - (1 << 23)) / (float)(1 << 22);
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

/* The waveform file of tile run i of a vector or attention kernel (each run opens a tile of its
 * own): FILE for run 0; for i > 0, FILE with ".<i>" before a final ".fst" (FILE.<i>.fst), or after
 * FILE when it does not end in ".fst". NULL trace: NULL. err set and NULL returned when the name
 * does not fit buf. */
static const char *trace_run_path(const char *trace, uint32_t i, char *buf, size_t len, char *err, size_t errlen) {
  if (!trace) return NULL;
  size_t tl = strlen(trace), stem = tl > 4 && !strcmp(trace + tl - 4, ".fst") ? tl - 4 : tl;
  int w = i ? snprintf(buf, len, "%.*s.%u%s", (int)stem, trace, i, trace + stem) : snprintf(buf, len, "%s", trace);
  if (w < 0 || (size_t)w >= len) {
    snprintf(err, errlen, "the trace file name of run %u is too long", i);
    return NULL;
  }
  return buf;
}

/* The summary's line naming the waveform files of `runs` tile runs. */
static void trace_summary(const char *trace, uint32_t runs) {
  char last[4096], e[64];
  if (runs <= 1) {
    printf("  trace         %s\n", trace);
  } else if (trace_run_path(trace, runs - 1, last, sizeof last, e, sizeof e)) {
    printf("  trace         %u files, one per tile run: %s, then %s%s\n", runs, trace, runs > 2 ? ".. " : "", last);
  }
}


/* The options the vector, attention and send commands share. */
struct kopts {
  uint32_t seed, period;
  int json;
  const char *backend, *dump_dir, *trace;
};

/* argv[*i] as one of the shared options: 1 when it was one (*i past its value), 0 when it is not
 * (unknown options included: the caller's), -1 after a one-line message (a bad or missing value),
 * 2 for --help (printed). --period only where `period` is set. */
static int kopt(int argc, char **argv, int *i, struct kopts *o, int period) {
  const char *a = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
  int bad = 0;
  if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
    help(stdout);
    return 2;
  } else if (!strcmp(a, "--json")) {
    o->json = 1;
    return 1;
  } else if (!strcmp(a, "--seed")) {
    bad = tessera_arg_u32(ME, a, val, 0, UINT32_MAX, &o->seed);
  } else if (period && !strcmp(a, "--period")) {
    bad = tessera_arg_u32(ME, a, val, 0, 1000000, &o->period);
  } else if (!strcmp(a, "--backend") || !strcmp(a, "--dump") || !strcmp(a, "--trace")) {
    if (!val) {
      fprintf(stderr, ME ": option needs a value: '%s' (see tessera kernel --help)\n", a);
      return -1;
    }
    if (a[2] == 'b') {
      o->backend = val;
      if (strcmp(val, "rtl") && strcmp(val, "cmodel")) {
        fprintf(stderr, ME ": --backend must be rtl or cmodel, got '%s'\n", val);
        bad = 1;
      }
    } else if (a[2] == 'd') {
      o->dump_dir = val;
    } else {
      o->trace = val;
    }
  } else {
    return 0;
  }
  (*i)++;
  return bad ? -1 : 1;
}

/* --- The vector-unit kernels (docs/vector-kernels.md) on the cmodel backend ---------------------
 * Random inputs from the seed, the bit-exact functional model (tvec_fn.h), the float64 reference
 * (ref64_nn.h) and the per-output first-order bound of docs/vector-kernels.md; the normwise check
 * is ||model - ref||_F / ||ref||_F <= ||bound||_F / ||ref||_F over all of a kernel's outputs. */
enum vk { VK_GELU_FWD, VK_GELU_BWD, VK_SOFTMAX_FWD, VK_SOFTMAX_BWD, VK_LN_FWD, VK_LN_BWD, VK_CE_FWD, VK_CE_BWD,
          VK_EMB_FWD, VK_EMB_BWD, VK_ADAMW, VK_COUNT };
static const char *const vk_names[VK_COUNT] = {"gelu_fwd",          "gelu_bwd",          "softmax_fwd",
                                               "softmax_bwd",       "layernorm_fwd",     "layernorm_bwd",
                                               "cross_entropy_fwd", "cross_entropy_bwd", "embedding_fwd",
                                               "embedding_bwd",     "adamw"};
#define VK_MAX_ELEMS (1u << 24) /* largest array of a run */
#define VK_U (1.0 / 16777216.0)
#define VK_E_EXP (1.0 / 1048576.0) /* exp: 2^-20 relative */
#define VK_E_RCP (1.0 / 2097152.0) /* recip, rsqrt: 2^-21 relative */
#define VK_E_FN (1.0 / 1048576.0)  /* tanh, gelu: 2^-20 max(|f|, 2^-4) absolute */
#define VK_E_LOG (1.0 / 524288.0)  /* tvec_log: 2^-19 relative */

static int vk_lookup(const char *name) {
  for (int q = 0; q < VK_COUNT; q++)
    if (!strcmp(name, vk_names[q])) return q;
  return -1;
}

static uint32_t vk_f32(double v) { return f2u((float)v); }
static double vk_d(uint32_t u) { return (double)u2f(u); }

/* One named float32 array of a run, for the report's sizes and --dump. */
struct vk_arr {
  const char *name;
  float *v;
  uint32_t rows, cols;
};

/* Softmax-style row statistics in float64: max, and the relative error bound eps_s of the sum. */
static double vk_row_eps(const float *x, uint32_t nv, double *mx_out) {
  double mx = x[0], e = 0.0;
  for (uint32_t c = 1; c < nv; c++)
    if (x[c] > mx) mx = x[c];
  for (uint32_t c = 0; c < nv; c++) {
    double ec = VK_U * fabs(x[c] - mx) + VK_E_EXP;
    if (ec > e) e = ec;
  }
  *mx_out = mx;
  return e + gamma_c(nv ? nv - 1 : 0);
}

/* A vector kernel on the tile (docs/chip.md, "Tile"): rows placed as the DMA places them (row r of a
 * pass in lane r mod L, region r div L of kn words), in passes of at most L x min(acc_depth,
 * bank / kn) rows; every pass on the cmodel (ttile_cm_exec) and the RTL (ttile_rtl_exec), whose
 * states must agree word for word. The RTL's results go to out[]. */
struct vk_tile {
  uint32_t kernel, m, w, kn, off[4], param_reg, s[7];
  const uint32_t *in[4];  /* [m][w] inputs at region offsets in_off */
  uint32_t in_off[4], nin;
  const uint32_t *label;  /* [m] at region offset off[2] (xent), or NULL */
  const uint32_t *scal[2]; /* [m] at region offsets scal_off (layernorm_bwd: mean, rstd), or NULL */
  uint32_t scal_off[2];
  const uint32_t *param;  /* broadcast vector of plen words after the regions (gamma and beta), or NULL */
  uint32_t plen;
  /* Words param[carry_off .. carry_off + carry_len) are sums the next pass continues
   * (layernorm_bwd: dgamma, dbeta): after each pass they are read back from lane 0 into carry. */
  uint32_t *carry, carry_off, carry_len;
  uint32_t *out[3];       /* [m][out_len] results from region offset out_off */
  uint32_t out_off[3], out_len[3], nout;
  const char *trace;      /* --trace: run i's waveform in trace_run_path(trace, i), or NULL */
  /* results */
  struct ttile_counters cm, rtl;
  uint32_t passes;
  size_t state_diffs;
};

/* One pass: state a on the cmodel, its copy b on the RTL (b := a first), the same descriptor; the
 * run must be accepted by both; words that differ are counted in j->state_diffs, cycles summed. */
static int pass_both(struct vk_tile *j, struct ttile_state *a, struct ttile_state *b, const struct ttile_desc *d,
                     char *err, size_t errlen) {
  const uint32_t L = TESSERA_CFG_LANES, bank = TESSERA_CFG_LANE_BANK_WORDS;
  memcpy(b, a, sizeof *a);
  struct ttile_counters ca, cb;
  char fst[4096];
  const char *fp = trace_run_path(j->trace, j->passes, fst, sizeof fst, err, errlen);
  if (j->trace && !fp) return -1;
  int sa = ttile_cm_exec(a, d, &ca), sb = ttile_rtl_exec(b, d, &cb, fp, err, errlen);
  if (sb < 0) return -1;
  if (sa || sb) {
    snprintf(err, errlen, "the tile refused pass %u: status %d (cmodel %d)", j->passes, sb, sa);
    return -1;
  }
  for (uint32_t l = 0; l < L; l++)
    for (uint32_t w = 0; w < bank; w++) j->state_diffs += a->bank[l][w] != b->bank[l][w];
  j->cm.cycles += ca.cycles, j->cm.stall_memory += ca.stall_memory;
  j->rtl.cycles += cb.cycles, j->rtl.stall_memory += cb.stall_memory;
  return 0;
}

static int vk_tile_run(struct vk_tile *j, char *err, size_t errlen) {
  const uint32_t L = TESSERA_CFG_LANES, bank = TESSERA_CFG_LANE_BANK_WORDS;
  uint32_t tmax = j->plen < bank ? (bank - j->plen) / j->kn : 0;
  if (tmax > TESSERA_CFG_ACC_DEPTH) tmax = TESSERA_CFG_ACC_DEPTH;
  if (!tmax) {
    snprintf(err, errlen, "a row takes %u bank words (and the parameters %u), a lane bank holds %u", j->kn, j->plen,
             bank);
    return -2;
  }
  struct ttile_state *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  if (!a || !b) {
    free(a), free(b);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memset(&j->cm, 0, sizeof j->cm), memset(&j->rtl, 0, sizeof j->rtl);
  j->passes = 0, j->state_diffs = 0;
  int rc = 0;
  for (uint32_t base = 0; base < j->m && !rc; base += L * tmax) {
    uint32_t ntok = j->m - base < L * tmax ? j->m - base : L * tmax, tpl = (ntok + L - 1) / L;
    memset(a, 0, sizeof *a);
    for (uint32_t r = 0; r < ntok; r++) {
      uint32_t *reg = &a->bank[r % L][(size_t)(r / L) * j->kn];
      for (uint32_t q = 0; q < j->nin; q++) memcpy(reg + j->in_off[q], j->in[q] + (size_t)(base + r) * j->w, 4 * (size_t)j->w);
      if (j->label) reg[j->off[2]] = j->label[base + r];
      for (uint32_t q = 0; q < 2; q++)
        if (j->scal[q]) reg[j->scal_off[q]] = j->scal[q][base + r];
    }
    struct ttile_desc d = {.kernel = j->kernel, .kn = j->kn, .ntok = ntok, .tpl = tpl, .cols = j->w, .off_a = j->off[0],
                           .off_b = j->off[1], .off_c = j->off[2], .off_d = j->off[3], .row0 = base};
    d.param = j->param ? tpl * j->kn : j->param_reg;
    for (uint32_t l = 0; l < L && j->param; l++) {
      memcpy(&a->bank[l][d.param], j->param, 4 * (size_t)j->plen);
      if (j->carry) memcpy(&a->bank[l][d.param + j->carry_off], j->carry, 4 * (size_t)j->carry_len);
    }
    memcpy(d.s, j->s, sizeof j->s);
    if (pass_both(j, a, b, &d, err, errlen)) {
      rc = -1;
      break;
    }
    for (uint32_t r = 0; r < ntok; r++)
      for (uint32_t q = 0; q < j->nout; q++)
        memcpy(j->out[q] + (size_t)(base + r) * j->out_len[q], &b->bank[r % L][(size_t)(r / L) * j->kn + j->out_off[q]],
               4 * (size_t)j->out_len[q]);
    if (j->carry) memcpy(j->carry, &b->bank[0][d.param + j->carry_off], 4 * (size_t)j->carry_len);
    j->passes++;
  }
  free(a), free(b);
  return rc;
}

/* embed_bwd on the tile (docs/chip.md, "Tile"): the table's rows are the run's rows, a slice of
 * at most L x min(acc_depth, bank / 2 / n) of them per run (row0 = its first row), at region
 * offset 0 (kn = n words); the tokens' ids and dY rows are broadcast after the regions, as many
 * tokens per run as fit, chunks in token order (each run continues the sums of the one before).
 * Every run on the cmodel and the RTL, states compared; the RTL's table goes to out [v][n]. */
static int emb_tile_run(struct vk_tile *j, const uint32_t *dy, const uint32_t *ids, uint32_t v, uint32_t *out,
                        char *err, size_t errlen) {
  const uint32_t L = TESSERA_CFG_LANES, bank = TESSERA_CFG_LANE_BANK_WORDS, n = j->w, m = j->m;
  uint32_t tmax = bank / 2 / n;
  if (tmax > TESSERA_CFG_ACC_DEPTH) tmax = TESSERA_CFG_ACC_DEPTH;
  if (!tmax || (bank - tmax * n) / (1 + n) == 0) {
    snprintf(err, errlen, "a table row of %u words and a token's id and dY row do not fit a %u-word lane bank", n, bank);
    return -2;
  }
  struct ttile_state *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  if (!a || !b) {
    free(a), free(b);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memset(&j->cm, 0, sizeof j->cm), memset(&j->rtl, 0, sizeof j->rtl);
  j->passes = 0, j->state_diffs = 0;
  memset(out, 0, 4 * (size_t)v * n); /* dtable from +0 */
  int rc = 0;
  for (uint32_t row0 = 0; row0 < v && !rc; row0 += L * tmax) {
    uint32_t nt = v - row0 < L * tmax ? v - row0 : L * tmax, tpl = (nt + L - 1) / L, par = tpl * n;
    uint32_t mc = (bank - par) / (1 + n);
    for (uint32_t t0 = 0; t0 < m && !rc; t0 += mc) {
      uint32_t k = m - t0 < mc ? m - t0 : mc;
      memset(a, 0, sizeof *a);
      for (uint32_t r = 0; r < nt; r++)
        memcpy(&a->bank[r % L][(size_t)(r / L) * n], out + (size_t)(row0 + r) * n, 4 * (size_t)n);
      for (uint32_t l = 0; l < L; l++) {
        memcpy(&a->bank[l][par], ids + t0, 4 * (size_t)k);
        memcpy(&a->bank[l][par + k], dy + (size_t)t0 * n, 4 * (size_t)k * n);
      }
      struct ttile_desc d = {.kernel = TESSERA_TILE_KERNEL_EMBED_BWD, .kn = n, .ntok = nt, .tpl = tpl, .cols = n,
                             .k = k, .param = par, .row0 = row0, .s = {v}};
      if (pass_both(j, a, b, &d, err, errlen)) {
        rc = -1;
        break;
      }
      for (uint32_t r = 0; r < nt; r++)
        memcpy(out + (size_t)(row0 + r) * n, &b->bank[r % L][(size_t)(r / L) * n], 4 * (size_t)n);
      j->passes++;
    }
  }
  free(a), free(b);
  return rc;
}

static int run_vec(int argc, char **argv) {
  uint32_t m = 0, n = 0, v = 0, step = 1;
  int causal = 0, vk = -1, have_m = 0, have_n = 0, have_v = 0, have_step = 0;
  struct kopts ko = {.seed = 1, .backend = "cmodel"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0, k = kopt(argc, argv, &i, &ko, 0);
    if (k) {
      if (k != 1) return k < 0 ? TESSERA_EXIT_USAGE : TESSERA_EXIT_OK;
      continue;
    }
    if (!strcmp(a, "--causal")) causal = 1;
    else if (!strcmp(a, "--m")) bad = tessera_arg_u32(ME, a, val, 1, MAX_M, &m), have_m = 1, i++;
    else if (!strcmp(a, "--n")) bad = tessera_arg_u32(ME, a, val, 1, MAX_M, &n), have_n = 1, i++;
    else if (!strcmp(a, "--v")) bad = tessera_arg_u32(ME, a, val, 1, VK_MAX_ELEMS, &v), have_v = 1, i++;
    else if (!strcmp(a, "--step")) bad = tessera_arg_u32(ME, a, val, 1, 1000000, &step), have_step = 1, i++;
    else if (a[0] == '-') {
      fprintf(stderr, ME ": unknown argument for a vector kernel '%s' (see tessera kernel --help)\n", a);
      bad = 1;
    } else if (vk >= 0) {
      fprintf(stderr, ME ": one kernel at a time, got '%s' after '%s'\n", a, vk_names[vk]);
      bad = 1;
    } else if ((vk = vk_lookup(a)) < 0) {
      fprintf(stderr, ME ": unknown kernel '%s'\n", a);
      bad = 1;
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }
  const char *backend = ko.backend, *dump_dir = ko.dump_dir, *trace = ko.trace;
  const int json = ko.json;
  const uint32_t seed = ko.seed;
  if (vk < 0) { /* not reached: cmd_kernel calls this with a vector kernel's name */
    fprintf(stderr, ME ": no kernel named\n");
    return TESSERA_EXIT_USAGE;
  }
  const char *kn = vk_names[vk];
  int uses_v = vk == VK_CE_FWD || vk == VK_CE_BWD || vk == VK_EMB_FWD || vk == VK_EMB_BWD;
  if (causal && vk != VK_SOFTMAX_FWD && vk != VK_SOFTMAX_BWD) {
    fprintf(stderr, ME ": --causal applies to softmax_fwd and softmax_bwd only\n");
    return TESSERA_EXIT_USAGE;
  }
  if (have_v && !uses_v) {
    fprintf(stderr, ME ": --v applies to cross_entropy_* and embedding_* only\n");
    return TESSERA_EXIT_USAGE;
  }
  if (have_n && (vk == VK_CE_FWD || vk == VK_CE_BWD)) {
    fprintf(stderr, ME ": --n does not apply to %s (the row width is the vocabulary --v)\n", kn);
    return TESSERA_EXIT_USAGE;
  }
  if (have_step && vk != VK_ADAMW) {
    fprintf(stderr, ME ": --step applies to adamw only\n");
    return TESSERA_EXIT_USAGE;
  }
  const int use_rtl = !strcmp(backend, "rtl");
  if (use_rtl && vk == VK_EMB_FWD) {
    fprintf(stderr, ME ": embedding_fwd is not a tile kernel: the DMA's gather mode copies table rows by id into the "
                    "lane banks (docs/chip.md, \"DMA\")\n");
    return TESSERA_EXIT_USAGE;
  }
  if (use_rtl && !ttile_rtl_exec) {
    fprintf(stderr, ME ": --backend rtl: the RTL tile is not linked into this build (use --backend cmodel)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (trace && !use_rtl) {
    fprintf(stderr, ME ": --trace needs the rtl backend (--backend rtl)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (!have_m) m = vk == VK_CE_FWD || vk == VK_CE_BWD ? 32 : 64;
  if (!have_n) n = vk == VK_CE_FWD || vk == VK_CE_BWD ? 0 : 256;
  if (!have_v) v = vk == VK_CE_FWD || vk == VK_CE_BWD ? 1000 : uses_v ? 50 : 0;
  const uint32_t w = vk == VK_CE_FWD || vk == VK_CE_BWD ? v : n; /* row width */
  if ((uint64_t)m * w > VK_MAX_ELEMS || (uint64_t)v * n > VK_MAX_ELEMS) {
    fprintf(stderr, ME ": job too large: an array of more than %u elements\n", VK_MAX_ELEMS);
    return TESSERA_EXIT_USAGE;
  }
  if (dump_dir && !dump_dir_ok(dump_dir)) return TESSERA_EXIT_USAGE;

  /* Buffers: inputs in1..in4 (float), output bits o1..o3, float64 reference r and bound b over all
   * outputs concatenated. */
  const size_t mw = (size_t)m * w, vn = (size_t)v * n;
  size_t nout = 0;
  switch (vk) {
  case VK_LN_FWD: nout = mw + 2 * (size_t)m; break;
  case VK_LN_BWD: nout = mw + 2 * (size_t)n; break;
  case VK_CE_FWD: nout = m; break;
  case VK_EMB_BWD: nout = vn; break;
  case VK_ADAMW: nout = 3 * mw; break;
  default: nout = mw;
  }
  const size_t big = mw > vn ? mw : vn;
  int rc = TESSERA_EXIT_FAIL;
  uint32_t *tout = NULL; /* the tile's results (--backend rtl) */
  uint32_t *lnst = NULL; /* layernorm_bwd: the forward's mean [m] and rstd [m], for the tile */
  float *in[4] = {0}, *got = malloc(nout * sizeof *got), *extra = malloc((2 * (size_t)m + 1) * sizeof *extra);
  uint32_t *o = calloc(nout + 1, 4), *idx = calloc(m, 4), *tmp = calloc(big + 1, 4);
  double *r = calloc(nout + 1, 8), *b = calloc(nout + 1, 8), *aux = calloc(big + 2 * (size_t)m + 1, 8);
  int ok_mem = got && extra && o && idx && tmp && r && b && aux;
  for (int q = 0; q < 4 && ok_mem; q++) ok_mem = (in[q] = malloc((big + 1) * sizeof(float))) != NULL;
  struct vk_arr arrs[10];
  int narr = 0;
  if (!ok_mem) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  uint64_t rs = (uint64_t)seed * 0x2545f4914f6cdd1dull + 0x5eed + (uint64_t)vk;
  for (int q = 0; q < 4; q++)
    for (size_t a = 0; a < big; a++) in[q][a] = rnd_bf16(&rs);
  const uint32_t idx_n = uses_v ? v : 1;
  for (uint32_t t = 0; t < m; t++) idx[t] = (uint32_t)(tsp_rng_next(&rs) % idx_n);
  const uint32_t *I0 = (const uint32_t *)in[0], *I1 = (const uint32_t *)in[1], *I2 = (const uint32_t *)in[2];
  double t0 = now_s();
#define ARR(nm, p, rr, cc) (arrs[narr++] = (struct vk_arr){nm, p, rr, cc})
  switch (vk) {
  case VK_GELU_FWD:
    tvec_gelu_fwd(I0, o, (uint32_t)mw);
    for (size_t a = 0; a < mw; a++) {
      r[a] = ref64_gelu(in[0][a]);
      b[a] = VK_E_FN * fmax(fabs(r[a]), 1.0 / 16);
    }
    ARR("X.npy", in[0], m, n), ARR("Y.npy", got, m, n);
    break;
  case VK_GELU_BWD: {
    const double k0 = 0.79788456080286536 /* sqrt(2/pi) */, k1 = 0.044715;
    tvec_gelu_bwd(I0, I1, o, (uint32_t)mw);
    for (size_t a = 0; a < mw; a++) {
      double x = in[0][a], dy = in[1][a], uu = k0 * x * (1 + k1 * x * x), t = tanh(uu), bb = 1 + 3 * k1 * x * x;
      double rr = k0 / 2 * x * (1 - t * t) * bb, g = (1 + t) / 2, dd = ref64_gelu_grad(x);
      double et = (1 - t * t) * 6 * VK_U * fabs(uu) + VK_E_FN * fmax(fabs(t), 1.0 / 16);
      double dr = fabs(k0 / 2 * x * bb) * 2 * fabs(t) * et + 8 * VK_U * fabs(rr), dg = et / 2 + VK_U * fabs(g);
      double dgp = dg + dr + VK_U * fabs(dd);
      r[a] = dy * dd;
      b[a] = fabs(dy) * dgp + VK_U * fabs(dy * dd);
    }
    ARR("X.npy", in[0], m, n), ARR("dY.npy", in[1], m, n), ARR("dX.npy", got, m, n);
    break;
  }
  case VK_SOFTMAX_FWD:
  case VK_SOFTMAX_BWD: {
    /* softmax_bwd's p is softmax_fwd's output of a random row (the model's fp32 values). */
    tvec_softmax_fwd(I0, tmp, m, n, causal, 0);
    if (vk == VK_SOFTMAX_FWD) {
      memcpy(o, tmp, mw * 4);
      ref64_softmax_fwd(in[0], m, n, causal, 0, r);
    } else {
      for (size_t a = 0; a < mw; a++) in[2][a] = u2f(tmp[a]);
      tvec_softmax_bwd(tmp, I1, o, m, n, causal, 0);
      ref64_softmax_bwd(in[2], in[1], m, n, causal, 0, r);
    }
    for (uint32_t t = 0; t < m; t++) {
      uint32_t nv = tvec_row_valid(t, n, causal, 0);
      const float *x = in[0] + (size_t)t * n, *p = in[2] + (size_t)t * n, *dy = in[1] + (size_t)t * n;
      double mx, es = nv ? vk_row_eps(x, nv, &mx) : 0.0, sa = 0.0, dot = 0.0;
      for (uint32_t c = 0; c < nv && vk == VK_SOFTMAX_BWD; c++) sa += fabs(p[c] * dy[c]), dot += (double)p[c] * dy[c];
      for (uint32_t c = 0; c < nv; c++) {
        size_t a = (size_t)t * n + c;
        if (vk == VK_SOFTMAX_FWD)
          b[a] = r[a] * (VK_U * fabs(x[c] - mx) + VK_E_EXP + es + VK_E_RCP + VK_U) + 0x1p-148;
        else
          b[a] = p[c] * (gamma_c(nv) * sa + VK_U * fabs(dy[c] - dot)) + VK_U * fabs(r[a]);
      }
    }
    if (vk == VK_SOFTMAX_FWD) ARR("X.npy", in[0], m, n), ARR("Y.npy", got, m, n);
    else ARR("P.npy", in[2], m, n), ARR("dY.npy", in[1], m, n), ARR("dX.npy", got, m, n);
    break;
  }
  case VK_LN_FWD:
  case VK_LN_BWD: {
    /* gamma = in[1][0..n), beta = in[2][0..n); eps = 1e-5 in fp32. layernorm_bwd runs at the
     * statistics the model's forward saved (so the reference sees the same mean and rstd). */
    const uint32_t eps = vk_f32(1e-5);
    double *ym = aux, *mm = aux + mw, *rr = aux + mw + m;
    uint32_t *st = lnst = calloc(2 * (size_t)m + 1, 4);
    if (!st) {
      fprintf(stderr, ME ": out of memory\n");
      goto out;
    }
    uint32_t *mean = st, *rstd = st + m;
    tvec_layernorm_fwd(I0, I1, I2, eps, vk == VK_LN_FWD ? o : tmp, mean, rstd, m, n);
    for (uint32_t t = 0; t < m; t++) extra[t] = u2f(mean[t]), extra[m + t] = u2f(rstd[t]);
    if (vk == VK_LN_FWD) {
      memcpy(o + mw, mean, (size_t)m * 4), memcpy(o + mw + m, rstd, (size_t)m * 4);
      ref64_layernorm_fwd(in[0], in[1], in[2], vk_d(eps), m, n, ym, mm, rr);
      memcpy(r, ym, mw * 8), memcpy(r + mw, mm, (size_t)m * 8), memcpy(r + mw + m, rr, (size_t)m * 8);
      const double d = n, ep = vk_d(eps);
      for (uint32_t t = 0; t < m; t++) {
        const float *x = in[0] + (size_t)t * n;
        double sx = 0.0, M = mm[t], R = rr[t], var = 0.0, ev = 0.0;
        for (uint32_t c = 0; c < n; c++) sx += fabs(x[c]), var += (x[c] - M) * (x[c] - M);
        double em = gamma_c(d - 1) * sx / d + 2 * VK_U * fabs(M);
        for (uint32_t c = 0; c < n; c++) ev += 2 * fabs(x[c] - M) * (em + VK_U * fabs(x[c] - M));
        ev += gamma_c(d) * var + d * em * em;
        var /= d;
        double evar = ev / d + 2 * VK_U * var, rho = (evar + VK_U * (var + ep)) / (var + ep);
        double er = rho / 2 + VK_E_RCP;
        for (uint32_t c = 0; c < n; c++) {
          size_t a = (size_t)t * n + c;
          double dl = x[c] - M, xh = dl * R, dxh = (em + VK_U * fabs(dl)) * R + fabs(xh) * (er + VK_U);
          b[a] = fabs((double)in[1][c]) * dxh + VK_U * fabs(r[a]);
        }
        b[mw + t] = em, b[mw + m + t] = er * R;
      }
      ARR("X.npy", in[0], m, n), ARR("gamma.npy", in[1], 1, n), ARR("beta.npy", in[2], 1, n);
      ARR("Y.npy", got, m, n), ARR("mean.npy", got + mw, 1, m), ARR("rstd.npy", got + mw + m, 1, m);
    } else {
      /* dy = in[3]; dgamma, dbeta start at +0. */
      for (uint32_t t = 0; t < m; t++) mm[t] = extra[t], rr[t] = extra[m + t];
      tvec_layernorm_bwd((const uint32_t *)in[3], I0, mean, rstd, I1, o, o + mw, o + mw + n, m, n);
      ref64_layernorm_bwd(in[3], in[0], mm, rr, in[1], m, n, r, r + mw, r + mw + n);
      const double d = n;
      double *sdy = b + mw + n, *sdx = b + mw; /* accumulate sum|dy|, sum|dy xh| per column */
      for (uint32_t t = 0; t < m; t++) {
        const float *x = in[0] + (size_t)t * n, *dy = in[3] + (size_t)t * n;
        double R = rr[t], m1 = 0.0, m2 = 0.0, s1 = 0.0, s2 = 0.0;
        for (uint32_t c = 0; c < n; c++) {
          double g = (double)dy[c] * in[1][c], xh = (x[c] - mm[t]) * R;
          m1 += g, m2 += g * xh, s1 += fabs(g), s2 += fabs(g * xh);
          sdy[c] += fabs((double)dy[c]), sdx[c] += fabs(dy[c] * xh);
        }
        m1 /= d, m2 /= d;
        double e1 = gamma_c(d) * s1 / d + 2 * VK_U * fabs(m1), e2 = gamma_c(d + 3) * s2 / d + 2 * VK_U * fabs(m2);
        for (uint32_t c = 0; c < n; c++) {
          size_t a = (size_t)t * n + c;
          double g = (double)dy[c] * in[1][c], xh = (x[c] - mm[t]) * R, A = g - xh * m2;
          double ea = VK_U * fabs(g) + fabs(xh) * e2 + 2 * VK_U * fabs(xh * m2) + VK_U * fabs(A);
          double eb = ea + e1 + VK_U * fabs(A - m1);
          b[a] = R * eb + VK_U * fabs(r[a]);
        }
      }
      for (uint32_t c = 0; c < n; c++) sdy[c] *= gamma_c(m ? m - 1 : 0), sdx[c] *= gamma_c(m + 2.0);
      ARR("dY.npy", in[3], m, n), ARR("X.npy", in[0], m, n), ARR("gamma.npy", in[1], 1, n);
      ARR("mean.npy", extra, 1, m), ARR("rstd.npy", extra + m, 1, m), ARR("dX.npy", got, m, n);
      ARR("dgamma.npy", got + mw, 1, n), ARR("dbeta.npy", got + mw + n, 1, n);
    }
    if (vk == VK_LN_FWD) free(st), lnst = NULL;
    break;
  }
  case VK_CE_FWD:
  case VK_CE_BWD: {
    const uint32_t scale = tvec_recip_u32(m);
    int e = vk == VK_CE_FWD ? tvec_cross_entropy_fwd(I0, idx, o, m, v)
                            : tvec_cross_entropy_bwd(I0, idx, scale, o, m, v);
    if (e != TVEC_OK) {
      fprintf(stderr, ME ": %s: the functional model refused the job\n", kn);
      goto out;
    }
    if (vk == VK_CE_FWD) ref64_cross_entropy_fwd(in[0], idx, m, v, r);
    else ref64_cross_entropy_bwd(in[0], idx, vk_d(scale), m, v, r);
    for (uint32_t t = 0; t < m; t++) {
      const float *x = in[0] + (size_t)t * v;
      double mx, es = vk_row_eps(x, v, &mx), s = 0.0;
      for (uint32_t c = 0; c < v; c++) s += exp(x[c] - mx);
      if (vk == VK_CE_FWD) {
        double lse = mx + log(s);
        b[t] = es + VK_E_LOG * fabs(log(s)) + VK_U * fabs(lse) + VK_U * fabs(r[t]);
      } else {
        for (uint32_t c = 0; c < v; c++) {
          size_t a = (size_t)t * v + c;
          double p = exp(x[c] - mx) / s;
          double bp = p * (VK_U * fabs(x[c] - mx) + VK_E_EXP + es + VK_E_RCP + VK_U) + 0x1p-148;
          b[a] = (bp + VK_U * fabs(p - (c == idx[t]))) * vk_d(scale) + VK_U * fabs(r[a]);
        }
      }
      extra[t] = (float)idx[t];
    }
    ARR("logits.npy", in[0], m, v), ARR("target.npy", extra, 1, m);
    if (vk == VK_CE_FWD) ARR("loss.npy", got, 1, m);
    else ARR("dlogits.npy", got, m, v);
    break;
  }
  case VK_EMB_FWD:
  case VK_EMB_BWD: {
    int e;
    if (vk == VK_EMB_FWD) {
      e = tvec_embedding_fwd(I0, idx, o, m, v, n); /* table [v][n] = in[0] */
      for (uint32_t t = 0; t < m; t++)
        for (uint32_t c = 0; c < n; c++) r[(size_t)t * n + c] = in[0][(size_t)idx[t] * n + c]; /* exact: b = 0 */
    } else {
      e = tvec_embedding_bwd(I0, idx, o, m, v, n); /* dy [m][n] = in[0], dtable from +0 */
      ref64_embedding_bwd(in[0], idx, m, v, n, r, b);
      uint32_t *hits = tmp;
      memset(hits, 0, (size_t)v * 4);
      for (uint32_t t = 0; t < m; t++) hits[idx[t]]++;
      for (uint32_t q = 0; q < v; q++)
        for (uint32_t c = 0; c < n; c++) b[(size_t)q * n + c] *= gamma_c(hits[q] ? hits[q] - 1 : 0);
    }
    if (e != TVEC_OK) {
      fprintf(stderr, ME ": %s: the functional model refused the job\n", kn);
      goto out;
    }
    for (uint32_t t = 0; t < m; t++) extra[t] = (float)idx[t];
    if (vk == VK_EMB_FWD) ARR("table.npy", in[0], v, n), ARR("ids.npy", extra, 1, m), ARR("out.npy", got, m, n);
    else ARR("dY.npy", in[0], m, n), ARR("ids.npy", extra, 1, m), ARR("dtable.npy", got, v, n);
    break;
  }
  case VK_ADAMW: {
    /* Master weights W fp32 in [-2, 2), gradients G bf16, moments M in [-0.25, 0.25) and V in
     * [0, 0.0625): fp32 values of earlier steps. lr 1e-3, betas 0.9 / 0.999, eps 1e-8, wd 0.01. */
    struct tvec_adamw hp = {vk_f32(1e-3), vk_f32(0.9), vk_f32(0.999), vk_f32(1e-8), vk_f32(0.01), step};
    struct ref64_adamw rp = {vk_d(hp.lr), vk_d(hp.beta1), vk_d(hp.beta2), vk_d(hp.eps), vk_d(hp.weight_decay), step};
    float *W = in[0], *G = in[1], *M = in[2], *V = in[3];
    for (size_t a = 0; a < mw; a++) {
      W[a] = (float)((double)(int64_t)(tsp_rng_next(&rs) >> 40) / (double)(1 << 22) - 2.0);
      M[a] = M[a] / 8;
      V[a] = V[a] * V[a] / 64;
    }
    memcpy(o, W, mw * 4), memcpy(o + mw, M, mw * 4), memcpy(o + 2 * mw, V, mw * 4);
    if (tvec_adamw_update(&hp, o, (const uint32_t *)G, o + mw, o + 2 * mw, NULL, (uint32_t)mw) != TVEC_OK) {
      fprintf(stderr, ME ": adamw: the functional model refused the job\n");
      goto out;
    }
    ref64_adamw(&rp, W, G, M, V, (uint32_t)mw, r, r + mw, r + 2 * mw);
    const double bc1 = 1 - pow(rp.beta1, step), bc2 = 1 - pow(rp.beta2, step), rx = VK_E_RCP;
    for (size_t a = 0; a < mw; a++) {
      double g = G[a], mn = r[mw + a], vn = r[2 * mw + a], mh = mn / bc1, vh = vn / bc2, sq = sqrt(vh);
      double den = sq + rp.eps, up = mh / den, w1 = W[a] * (1 - rp.lr * rp.weight_decay);
      double dm = VK_U * fabs((1 - rp.beta1) * g) + VK_U * fabs(mn), dv = 2 * VK_U * (1 - rp.beta2) * g * g + VK_U * vn;
      double dmh = dm / bc1 + fabs(mh) * (4 * VK_U + rx), dvh = dv / bc2 + vh * (4 * VK_U + rx);
      double dsq = vh > 0 ? sq * (dvh / (2 * vh) + rx + VK_U) : 0.0, dden = dsq + VK_U * den;
      double dup = dmh / den + fabs(up) * (dden / den + rx + VK_U);
      b[a] = 2 * VK_U * fabs(w1) + rp.lr * dup + VK_U * fabs(r[a]);
      b[mw + a] = dm, b[2 * mw + a] = dv;
    }
    ARR("W.npy", W, m, n), ARR("G.npy", G, m, n), ARR("M.npy", M, m, n), ARR("V.npy", V, m, n);
    ARR("W_out.npy", got, m, n), ARR("M_out.npy", got + mw, m, n), ARR("V_out.npy", got + 2 * mw, m, n);
    break;
  }
  }
#undef ARR
  double wall = now_s() - t0, wall_rtl = 0.0;
  /* The tile: operands A.. at region offsets 0, w, 2w, ..; the functional model's results are the
   * reference the RTL (and the cmodel) must equal bit for bit. */
  struct vk_tile tj = {.m = m, .w = w, .nin = 1, .nout = 1, .in = {I0}, .out_len = {w}, .trace = trace};
  tout = use_rtl ? calloc(nout + 1, 4) : NULL;
  size_t tile_diffs = 0, first_diff = 0;
  if (use_rtl) {
    uint32_t *gb = calloc(3 * (size_t)n + 1, 4);
    if (!tout || !gb) {
      free(gb);
      fprintf(stderr, ME ": out of memory\n");
      goto out;
    }
    tj.out[0] = tout;
    switch (vk) {
    case VK_GELU_FWD:
      tj.kernel = TESSERA_TILE_KERNEL_GELU_FWD, tj.kn = 2 * w, tj.off[1] = w, tj.out_off[0] = w;
      break;
    case VK_GELU_BWD:
    case VK_SOFTMAX_BWD:
      tj.kernel = vk == VK_GELU_BWD ? TESSERA_TILE_KERNEL_GELU_BWD : TESSERA_TILE_KERNEL_SOFTMAX_BWD;
      if (vk == VK_SOFTMAX_BWD) tj.in[0] = tmp; /* p: the model's softmax */
      tj.nin = 2, tj.in[1] = I1, tj.in_off[1] = w, tj.kn = 3 * w, tj.off[1] = w, tj.off[2] = 2 * w, tj.out_off[0] = 2 * w;
      break;
    case VK_SOFTMAX_FWD:
      tj.kernel = TESSERA_TILE_KERNEL_SOFTMAX_FWD, tj.kn = 2 * w, tj.off[1] = w, tj.out_off[0] = w;
      break;
    case VK_LN_FWD:
      tj.kernel = TESSERA_TILE_KERNEL_LAYERNORM_FWD, tj.kn = 2 * w + 2, tj.off[1] = w, tj.off[2] = 2 * w;
      tj.s[0] = vk_f32(1e-5), tj.s[1] = tvec_recip_u32(w);
      memcpy(gb, I1, 4 * (size_t)n), memcpy(gb + n, I2, 4 * (size_t)n);
      tj.param = gb, tj.plen = 2 * n, tj.out_off[0] = w, tj.nout = 3;
      tj.out[1] = tout + mw, tj.out[2] = tout + mw + m, tj.out_off[1] = 2 * w, tj.out_off[2] = 2 * w + 1;
      tj.out_len[1] = tj.out_len[2] = 1;
      break;
    case VK_LN_BWD: /* x, dY, dX at 0, w, 2w; mean, rstd at 3w, 3w + 1; gamma, dgamma, dbeta (from +0) at param */
      tj.kernel = TESSERA_TILE_KERNEL_LAYERNORM_BWD, tj.kn = 3 * w + 2, tj.nin = 2, tj.in[1] = (const uint32_t *)in[3];
      tj.in_off[1] = tj.off[1] = w, tj.off[2] = 2 * w, tj.off[3] = 3 * w, tj.s[1] = tvec_recip_u32(w);
      tj.scal[0] = lnst, tj.scal[1] = lnst + m, tj.scal_off[0] = 3 * w, tj.scal_off[1] = 3 * w + 1;
      memcpy(gb, I1, 4 * (size_t)n);
      tj.param = gb, tj.plen = 3 * n, tj.carry = gb + n, tj.carry_off = n, tj.carry_len = 2 * n;
      tj.out_off[0] = 2 * w;
      break;
    case VK_EMB_BWD: /* emb_tile_run: dY = in[0] [m][n], the ids, the table [v][n] */
      break;
    case VK_CE_FWD:
      tj.kernel = TESSERA_TILE_KERNEL_XENT_FWD, tj.kn = w + 2, tj.label = idx, tj.off[2] = w, tj.off[3] = w + 1;
      tj.out_off[0] = w + 1, tj.out_len[0] = 1;
      break;
    case VK_CE_BWD:
      tj.kernel = TESSERA_TILE_KERNEL_XENT_BWD, tj.kn = 2 * w + 1, tj.label = idx, tj.off[1] = w, tj.off[2] = 2 * w;
      tj.s[0] = tvec_recip_u32(m), tj.out_off[0] = w;
      break;
    default: /* adamw: W, G, M, V at 0, w, 2w, 3w; the bf16 copy at 4w */
      tj.kernel = TESSERA_TILE_KERNEL_ADAMW, tj.kn = 5 * w, tj.nin = 4, tj.param_reg = 4 * w;
      for (uint32_t q = 0; q < 4; q++) tj.in[q] = (const uint32_t *)in[q], tj.in_off[q] = tj.off[q] = q * w;
      tj.s[0] = vk_f32(1e-3), tj.s[1] = vk_f32(0.9), tj.s[2] = vk_f32(0.999), tj.s[3] = vk_f32(1e-8);
      tj.s[4] = vk_f32(0.01), tj.s[5] = tvec_bias_correction(tj.s[1], step), tj.s[6] = tvec_bias_correction(tj.s[2], step);
      tj.nout = 3, tj.out[1] = tout + mw, tj.out[2] = tout + 2 * mw, tj.out_off[1] = 2 * w, tj.out_off[2] = 3 * w;
      tj.out_len[1] = tj.out_len[2] = w;
      break;
    }
    if (causal) tj.kernel |= TESSERA_TILE_KERNEL_CAUSAL_MASK;
    char terr[200] = "";
    double t1 = now_s();
    int trc = vk == VK_EMB_BWD ? emb_tile_run(&tj, I0, idx, v, tout, terr, sizeof terr) : vk_tile_run(&tj, terr, sizeof terr);
    wall_rtl = now_s() - t1;
    if (trc) {
      free(gb);
      fprintf(stderr, ME ": %s on the tile: %s\n", kn, terr);
      if (trc == -2) rc = TESSERA_EXIT_USAGE; /* the job does not fit the tile */
      goto out;
    }
    if (vk == VK_LN_BWD) memcpy(tout + mw, gb + n, 8 * (size_t)n); /* dgamma, dbeta after the last pass */
    free(gb);
    for (size_t a = 0; a < nout; a++)
      if (tout[a] != o[a] && !tile_diffs++) first_diff = a;
  }
  const int tile_ok = !use_rtl || (!tile_diffs && !tj.state_diffs && tj.cm.cycles == tj.rtl.cycles &&
                                   tj.cm.stall_memory == tj.rtl.stall_memory);
  for (size_t a = 0; a < nout; a++) got[a] = u2f(o[a]);
  /* Normwise: ||got - ref|| <= ||b|| elementwise-summed, times 1 + 2^-10 for second-order terms. */
  double rel_err = ref64_rel_err(got, r, nout), rnorm = 0.0, bnorm = 0.0;
  for (size_t a = 0; a < nout; a++) rnorm += r[a] * r[a], bnorm += b[a] * b[a];
  double bound = rnorm > 0.0 ? (1 + 1.0 / 1024) * sqrt(bnorm / rnorm) : 0.0;
  int err_ok = rel_err <= bound;
  char shape[96], shape_h[64];
  if (vk == VK_CE_FWD || vk == VK_CE_BWD) {
    snprintf(shape, sizeof shape, "{\"m\": %u, \"v\": %u}", m, v);
    snprintf(shape_h, sizeof shape_h, "m=%u v=%u", m, v);
  } else if (uses_v) {
    snprintf(shape, sizeof shape, "{\"m\": %u, \"n\": %u, \"v\": %u}", m, n, v);
    snprintf(shape_h, sizeof shape_h, "m=%u n=%u v=%u", m, n, v);
  } else {
    snprintf(shape, sizeof shape, "{\"m\": %u, \"n\": %u}", m, n);
    snprintf(shape_h, sizeof shape_h, "m=%u n=%u", m, n);
  }
  if (json && use_rtl) {
    printf("{\"kernel\": \"%s\", \"shape\": %s, \"causal\": %s, \"backend\": \"rtl\", "
           "\"seed\": %u, \"outputs\": %zu, \"passes\": %u, \"cycles\": %" PRIu64 ", \"cmodel_cycles\": %" PRIu64
           ", \"stall_memory\": %" PRIu64 ", \"bitexact\": %s, \"rel_err\": %.6e, "
           "\"rel_err_bound\": %.6e, \"wall_s\": {\"cmodel\": %.6f, \"rtl\": %.6f}}\n",
           kn, shape, causal ? "true" : "false", seed, nout, tj.passes, tj.rtl.cycles, tj.cm.cycles, tj.rtl.stall_memory,
           tile_ok ? "true" : "false", rel_err, bound, wall, wall_rtl);
  } else if (json) {
    printf("{\"kernel\": \"%s\", \"shape\": %s, \"causal\": %s, \"backend\": \"cmodel\", "
           "\"seed\": %u, \"outputs\": %zu, \"cycles\": null, \"bitexact\": null, \"rel_err\": %.6e, "
           "\"rel_err_bound\": %.6e, \"wall_s\": {\"cmodel\": %.6f, \"rtl\": null}}\n",
           kn, shape, causal ? "true" : "false", seed, nout, rel_err, bound, wall);
  } else if (use_rtl) {
    printf("%s %s%s, backend rtl (the tile's vector unit, %u pass%s)\n", kn, shape_h, causal ? " causal" : "", tj.passes,
           tj.passes == 1 ? "" : "es");
    printf("  cycles        %" PRIu64 " (memory stalls %" PRIu64 "); cmodel %" PRIu64 "\n", tj.rtl.cycles,
           tj.rtl.stall_memory, tj.cm.cycles);
    if (tile_ok)
      printf("  bitexact      yes (rtl == cmodel == functional model, %zu outputs)\n", nout);
    else if (tile_diffs)
      printf("  bitexact      NO: %zu of %zu outputs differ, first at %zu: rtl 0x%08x model 0x%08x\n", tile_diffs, nout,
             first_diff, tout[first_diff], o[first_diff]);
    else
      printf("  bitexact      NO: rtl and cmodel differ (%zu bank words; cycles %" PRIu64 " vs %" PRIu64 ")\n",
             tj.state_diffs, tj.rtl.cycles, tj.cm.cycles);
    printf("  wall          rtl %.3f s, functional model %.4f s\n", wall_rtl, wall);
    if (trace) trace_summary(trace, tj.passes);
    printf("  rel_err       %.3e vs float64 over %zu outputs (bound %.3e, docs/vector-kernels.md)%s\n", rel_err, nout,
           bound, err_ok ? "" : "  ABOVE BOUND");
  } else {
    printf("%s %s%s, backend cmodel (functional model)\n", kn, shape_h, causal ? " causal" : "");
    printf("  cycles        n/a (the functional model alone; --backend rtl runs the tile)\n");
    printf("  bitexact      n/a (cmodel only)\n");
    printf("  rel_err       %.3e vs float64 over %zu outputs (bound %.3e, docs/vector-kernels.md)%s\n", rel_err, nout,
           bound, err_ok ? "" : "  ABOVE BOUND");
  }
  if (dump_dir)
    for (int q = 0; q < narr; q++)
      if (dump(dump_dir, arrs[q].name, arrs[q].v, arrs[q].rows, arrs[q].cols)) goto out;
  if (!err_ok) fprintf(stderr, ME ": rel_err %.3e exceeds its bound %.3e\n", rel_err, bound);
  if (!tile_ok) fprintf(stderr, ME ": %s: the tile's results differ (rtl, cmodel, functional model)\n", kn);
  rc = err_ok && tile_ok ? TESSERA_EXIT_OK : TESSERA_EXIT_FAIL;
out:
  free(tout), free(lnst);
  for (int q = 0; q < 4; q++) free(in[q]);
  free(got), free(extra), free(o), free(idx), free(tmp), free(r), free(b), free(aux);
  return rc;
}

/* --- Attention with K and V on the tile's stream-in port (docs/tile.md, "Stream ports") --------- */

/* One stream source: the dense stream of B (rows x cols, bf16 values) as beats. */
struct attn_src {
  struct tsp_stream st;
  uint16_t *wv;
  uint32_t *hdr;
  uint32_t (*slot)[TESSERA_CFG_NNZ_PER_CYCLE];
};

static int attn_src_build(struct attn_src *a, const float *b, uint32_t rows, uint32_t cols) {
  const uint32_t P = TESSERA_CFG_NNZ_PER_CYCLE;
  memset(a, 0, sizeof *a);
  uint8_t *mask = malloc((size_t)rows * cols);
  if (!mask) return -1;
  int bad = tsp_mask_dense(mask, rows, cols) != TSP_OK ||
            tsp_stream_build(&a->st, mask, rows, cols, P, TESSERA_CFG_SUB_BANKS, 1) != TSP_OK;
  free(mask);
  if (bad) return -1;
  uint32_t ng = a->st.ngroups;
  a->wv = malloc(sizeof *a->wv * ((size_t)ng * P + 1));
  a->hdr = malloc(sizeof *a->hdr * ((size_t)ng + 1));
  a->slot = malloc(sizeof *a->slot * ((size_t)ng + 1));
  if (!a->wv || !a->hdr || !a->slot) return -1;
  for (uint32_t g = 0; g < ng; g++) {
    a->hdr[g] = (uint32_t)a->st.row[g] | (uint32_t)a->st.flags[g] << 16;
    for (uint32_t q = 0; q < P; q++) {
      uint32_t src = a->st.src[(size_t)g * P + q];
      a->wv[(size_t)g * P + q] = src == UINT32_MAX ? 0 : (uint16_t)(f2u(b[src]) >> 16);
      a->slot[g][q] = (uint32_t)a->st.col[(size_t)g * P + q] << 16 | a->wv[(size_t)g * P + q];
    }
  }
  return 0;
}

static void attn_src_free(struct attn_src *a) {
  tsp_stream_free(&a->st);
  free(a->wv), free(a->hdr), free(a->slot);
}

/* attn_qk: S = Q K^T (Q [m][d] in the banks at offset 0, S [m][keys] at offset k = d); attn_pv:
 * O = P V (O [m][d] from +0 at offset 0, P [m][keys] at offset d). K or V: keys x d, streamed.
 * Passes of up to L x min(acc_depth, bank / (d + keys)) rows; each pass streams the whole source,
 * in chunks of whole rows of at most TTILE_GROUPS groups (one run each), a beat every `period`
 * cycles. cmodel on state a; with rtl, the RTL on b (b := a at each pass), compared, run i's
 * waveform in trace_run_path(trace, i) when trace is set. out: a's results (the cmodel's),
 * [m][out_len]. */
static int attn_tile_run(int pv, const struct attn_src *src, const float *in, uint32_t m, uint32_t d, uint32_t keys,
                         uint32_t period, int rtl, const char *trace, uint32_t *out, struct ttile_counters *cm,
                         struct ttile_counters *rc_rtl, size_t *diffs, uint32_t *runs, char *err, size_t errlen) {
  const uint32_t L = TESSERA_CFG_LANES, bank = TESSERA_CFG_LANE_BANK_WORDS, kn = d + keys;
  uint32_t tmax = bank / kn;
  if (tmax > TESSERA_CFG_ACC_DEPTH) tmax = TESSERA_CFG_ACC_DEPTH;
  if (!tmax) {
    snprintf(err, errlen, "a row takes d + keys = %u bank words, a lane bank holds %u", kn, bank);
    return -2;
  }
  /* Chunks of whole rows (keys) of at most TTILE_GROUPS groups. */
  const struct tsp_stream *st = &src->st;
  uint32_t *cut = malloc(sizeof *cut * ((size_t)st->ngroups + 2)), nch = 0;
  struct ttile_state *a = malloc(sizeof *a), *b = rtl ? malloc(sizeof *b) : NULL;
  if (!cut || !a || (rtl && !b)) {
    free(cut), free(a), free(b);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  cut[0] = 0;
  for (uint32_t g = 0, start = 0, row_start = 0; g < st->ngroups; g++) {
    if (st->flags[g] & TSP_FIRST) row_start = g;
    if ((st->flags[g] & TSP_LAST) && g + 1 - start > TTILE_GROUPS) cut[++nch] = start = row_start;
  }
  cut[++nch] = st->ngroups;
  const uint32_t in_off = pv ? d : 0, in_len = pv ? keys : d, out_off = pv ? 0 : d, out_len = pv ? d : keys;
  int rc = 0;
  memset(cm, 0, sizeof *cm), memset(rc_rtl, 0, sizeof *rc_rtl);
  *diffs = 0, *runs = 0;
  for (uint32_t base = 0; base < m && !rc; base += L * tmax) {
    uint32_t ntok = m - base < L * tmax ? m - base : L * tmax, tpl = (ntok + L - 1) / L;
    memset(a, 0, sizeof *a);
    for (uint32_t r = 0; r < ntok; r++)
      for (uint32_t j = 0; j < in_len; j++)
        a->bank[r % L][(size_t)(r / L) * kn + in_off + j] = f2u(in[(size_t)(base + r) * in_len + j]);
    if (rtl) memcpy(b, a, sizeof *a);
    for (uint32_t ch = 0; ch < nch && !rc; ch++) {
      struct ttile_desc dd = {.kernel = pv ? TESSERA_TILE_KERNEL_ATTN_PV : TESSERA_TILE_KERNEL_ATTN_QK, .k = d,
                              .kn = kn, .ntok = ntok, .tpl = tpl, .ngroups = cut[ch + 1] - cut[ch]};
      struct ttile_instream is = {.hdr = src->hdr + cut[ch],
                                  .slot = (const uint32_t(*)[TESSERA_CFG_NNZ_PER_CYCLE])(src->slot + cut[ch]),
                                  .nbeats = cut[ch + 1] - cut[ch], .period = period};
      struct ttile_counters ca, cb;
      int sa = ttile_cm_exec_stream(a, &dd, &is, &ca);
      if (sa) {
        snprintf(err, errlen, "the tile's cmodel refused run %u: status %d", *runs, sa);
        rc = -1;
        break;
      }
      cm->cycles += ca.cycles, cm->busy += ca.busy, cm->macs += ca.macs;
      cm->stall_stream_starved += ca.stall_stream_starved, cm->stall_bank_conflict += ca.stall_bank_conflict;
      cm->stall_memory += ca.stall_memory;
      if (rtl) {
        char fst[4096];
        const char *fp = trace_run_path(trace, *runs, fst, sizeof fst, err, errlen);
        if (trace && !fp) {
          rc = -1;
          break;
        }
        int sb = ttile_rtl_exec_stream(b, &dd, &is, &cb, fp, err, errlen);
        if (sb) {
          if (sb > 0) snprintf(err, errlen, "the RTL tile refused run %u: status %d", *runs, sb);
          rc = -1;
          break;
        }
        rc_rtl->cycles += cb.cycles, rc_rtl->busy += cb.busy, rc_rtl->macs += cb.macs;
        rc_rtl->stall_stream_starved += cb.stall_stream_starved, rc_rtl->stall_bank_conflict += cb.stall_bank_conflict;
        rc_rtl->stall_memory += cb.stall_memory;
      }
      (*runs)++;
    }
    if (rc) break;
    if (rtl)
      for (uint32_t l = 0; l < L; l++)
        for (uint32_t w = 0; w < bank; w++) *diffs += a->bank[l][w] != b->bank[l][w];
    for (uint32_t r = 0; r < ntok; r++)
      memcpy(out + (size_t)(base + r) * out_len, &a->bank[r % L][(size_t)(r / L) * kn + out_off], 4 * (size_t)out_len);
  }
  free(cut), free(a), free(b);
  return rc;
}

static int run_attn(int argc, char **argv) {
  uint32_t m = 64, d = 64, keys = 64;
  int pv = -1;
  struct kopts ko = {.seed = 1, .backend = ttile_rtl_exec_stream ? "rtl" : "cmodel"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0, k = kopt(argc, argv, &i, &ko, 1);
    if (k) {
      if (k != 1) return k < 0 ? TESSERA_EXIT_USAGE : TESSERA_EXIT_OK;
      continue;
    }
    if (!strcmp(a, "--m")) bad = tessera_arg_u32(ME, a, val, 1, MAX_M, &m), i++;
    else if (!strcmp(a, "--k")) bad = tessera_arg_u32(ME, a, val, 1, TSP_MAX_DIM, &d), i++;
    else if (!strcmp(a, "--n")) bad = tessera_arg_u32(ME, a, val, 1, TSP_MAX_DIM, &keys), i++;
    else if (a[0] == '-') {
      fprintf(stderr, ME ": unknown argument for attn_qk / attn_pv '%s' (see tessera kernel --help)\n", a);
      bad = 1;
    } else if (pv >= 0) {
      fprintf(stderr, ME ": one kernel at a time, got '%s'\n", a);
      bad = 1;
    } else {
      pv = !strcmp(a, "attn_pv");
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }
  const char *backend = ko.backend, *dump_dir = ko.dump_dir, *trace = ko.trace;
  const int json = ko.json;
  const uint32_t seed = ko.seed, period = ko.period;
  const int use_rtl = !strcmp(backend, "rtl");
  if (use_rtl && !ttile_rtl_exec_stream) {
    fprintf(stderr, ME ": --backend rtl: the RTL tile is not linked into this build (use --backend cmodel)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (trace && !use_rtl) {
    fprintf(stderr, ME ": --trace needs the rtl backend\n");
    return TESSERA_EXIT_USAGE;
  }
  if ((uint64_t)m * d * keys > MAX_WORK) {
    fprintf(stderr, ME ": job too large: m * k * n above 2^32\n");
    return TESSERA_EXIT_USAGE;
  }
  if (dump_dir && !dump_dir_ok(dump_dir)) return TESSERA_EXIT_USAGE;
  const char *kn = pv ? "attn_pv" : "attn_qk";
  /* Inputs: Q [m][d] and K [keys][d]; or P [m][keys] (in [0, 1)) and V [keys][d]; bf16 values. */
  const uint32_t in_len = pv ? keys : d, out_len = pv ? d : keys;
  const size_t nin = (size_t)m * in_len, nsrc = (size_t)keys * d, nout = (size_t)m * out_len;
  float *in = malloc(sizeof *in * (nin + 1)), *bsrc = malloc(sizeof *bsrc * (nsrc + 1)), *got = malloc(sizeof *got * (nout + 1));
  uint32_t *o = malloc(sizeof *o * (nout + 1)), *fn = calloc(nout + 1, sizeof *fn), *inb = malloc(sizeof *inb * (nin + 1));
  double *r = calloc(nout + 1, sizeof *r), *bd = calloc(nout + 1, sizeof *bd);
  struct attn_src src;
  memset(&src, 0, sizeof src);
  int rc = TESSERA_EXIT_FAIL;
  if (!in || !bsrc || !got || !o || !fn || !inb || !r || !bd) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  uint64_t rs = (uint64_t)seed * 0x9e3779b97f4a7c15ull + 7;
  for (size_t a = 0; a < nin; a++) in[a] = pv ? fabsf(rnd_bf16(&rs)) / 2.0f : rnd_bf16(&rs), inb[a] = f2u(in[a]);
  for (size_t a = 0; a < nsrc; a++) bsrc[a] = rnd_bf16(&rs);
  if (attn_src_build(&src, bsrc, keys, d)) {
    fprintf(stderr, ME ": cannot build the stream of %u x %u\n", keys, d);
    goto out;
  }
  struct ttile_counters cm, crt;
  size_t diffs = 0;
  uint32_t runs = 0;
  char terr[200] = "";
  double t0 = now_s();
  int trc =
      attn_tile_run(pv, &src, in, m, d, keys, period, use_rtl, trace, o, &cm, &crt, &diffs, &runs, terr, sizeof terr);
  double wall = now_s() - t0;
  if (trc) {
    fprintf(stderr, ME ": %s on the tile: %s\n", kn, terr);
    rc = trc == -2 ? TESSERA_EXIT_USAGE : TESSERA_EXIT_FAIL;
    goto out;
  }
  /* The functional model: qk the fwd order (tvec_dense_abt, as tvec_attn_scores), pv the bwd_data
   * order (ttile_fn_bwd_data: one chain per output over the keys in stream order, from +0). */
  if (pv) {
    ttile_fn_bwd_data(&src.st, src.wv, inb, m, fn);
  } else {
    if (tvec_dense_abt(inb, (const uint32_t *)(const void *)bsrc, m, keys, d, TESSERA_CFG_NNZ_PER_CYCLE,
                       TESSERA_CFG_SUB_BANKS, fn) != TVEC_OK) {
      fprintf(stderr, ME ": the functional model failed\n");
      goto out;
    }
  }
  size_t fn_diffs = 0;
  for (size_t a = 0; a < nout; a++) fn_diffs += o[a] != fn[a];
  /* float64 reference and the first-order bound: a dot of c products (exact: bf16 x bf16) summed
   * with c - 1 + log2 P fp32 roundings at most. */
  const uint32_t chain = pv ? keys : d + ceil_log2(TESSERA_CFG_NNZ_PER_CYCLE);
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < out_len; c++) {
      double s = 0.0, sa = 0.0;
      for (uint32_t j = 0; j < in_len; j++) {
        double x = in[(size_t)t * in_len + j], y = pv ? bsrc[(size_t)j * d + c] : bsrc[(size_t)c * d + j];
        s += x * y, sa += fabs(x * y);
      }
      r[(size_t)t * out_len + c] = s, bd[(size_t)t * out_len + c] = gamma_c(chain) * sa;
    }
  for (size_t a = 0; a < nout; a++) got[a] = u2f(o[a]);
  double rel_err = ref64_rel_err(got, r, nout), rnorm = 0.0, bnorm = 0.0;
  for (size_t a = 0; a < nout; a++) rnorm += r[a] * r[a], bnorm += bd[a] * bd[a];
  double bound = rnorm > 0.0 ? (1 + 1.0 / 1024) * sqrt(bnorm / rnorm) : 0.0;
  const int err_ok = rel_err <= bound;
  const int bitexact = !fn_diffs && (!use_rtl || (!diffs && !memcmp(&cm, &crt, sizeof cm)));
  const struct ttile_counters *c = use_rtl ? &crt : &cm;
  const double peak = (double)TESSERA_CFG_LANES * TESSERA_CFG_NNZ_PER_CYCLE;
  const double util = c->cycles ? (double)c->macs / ((double)c->cycles * peak) : 0.0;
  if (json) {
    printf("{\"kernel\": \"%s\", \"shape\": {\"m\": %u, \"k\": %u, \"n\": %u}, \"backend\": \"%s\", \"seed\": %u, "
           "\"period\": %u, \"runs\": %u, \"cycles\": %" PRIu64 ", \"cmodel_cycles\": %" PRIu64 ", \"macs\": %" PRIu64
           ", \"peak_macs_per_cycle\": %.0f, \"utilization\": %.6f, \"stalls\": {\"bank_conflict\": %" PRIu64
           ", \"stream_starved\": %" PRIu64 ", \"backpressure\": %" PRIu64 ", \"memory\": %" PRIu64 "}, "
           "\"bitexact\": %s, \"rel_err\": %.6e, \"rel_err_bound\": %.6e, \"wall_s\": %.6f}\n",
           kn, m, d, keys, use_rtl ? "rtl" : "cmodel", seed, period, runs, c->cycles, cm.cycles, c->macs, peak, util,
           c->stall_bank_conflict, c->stall_stream_starved, c->stall_backpressure, c->stall_memory,
           bitexact ? "true" : "false", rel_err, bound, wall);
  } else {
    printf("%s m=%u k=%u n=%u (%s), backend %s, K/V on the stream port, a beat every %u cycles, %u run%s\n", kn, m, d,
           keys, pv ? "O = P V" : "S = Q K^T", use_rtl ? "rtl" : "cmodel", period, runs, runs == 1 ? "" : "s");
    printf("  cycles        %" PRIu64 " (cmodel %" PRIu64 ")\n", c->cycles, cm.cycles);
    printf("  macs          %" PRIu64 " (peak %.0f per cycle, utilisation %.3f)\n", c->macs, peak, util);
    printf("  stalls        stream starved %" PRIu64 ", bank conflict %" PRIu64 ", memory %" PRIu64
           ", backpressure %" PRIu64 "\n",
           c->stall_stream_starved, c->stall_bank_conflict, c->stall_memory, c->stall_backpressure);
    printf("  bitexact      %s (%s%s)\n", bitexact ? "yes" : "NO", use_rtl ? "rtl == cmodel, " : "",
           pv ? "cmodel == ttile_fn_bwd_data" : "cmodel == tvec_dense_abt");
    printf("  rel_err       %.3e vs float64 over %zu outputs (bound %.3e)%s\n", rel_err, nout, bound,
           err_ok ? "" : "  ABOVE BOUND");
    if (trace) trace_summary(trace, runs);
  }
  if (dump_dir) {
    /* K or V as the stream carries it: every slot's bf16 value at its source element (the stream
     * is dense, so every element has one). */
    float *sv = calloc(nsrc + 1, sizeof *sv);
    if (!sv) {
      fprintf(stderr, ME ": out of memory\n");
      goto out;
    }
    for (size_t a = 0; a < (size_t)src.st.ngroups * TESSERA_CFG_NNZ_PER_CYCLE; a++)
      if (src.st.src[a] != UINT32_MAX) sv[src.st.src[a]] = u2f((uint32_t)src.wv[a] << 16);
    int bad = pv ? dump(dump_dir, "P.npy", in, m, keys) || dump(dump_dir, "V.npy", sv, keys, d) ||
                       dump(dump_dir, "O.npy", got, m, d)
                 : dump(dump_dir, "Q.npy", in, m, d) || dump(dump_dir, "K.npy", sv, keys, d) ||
                       dump(dump_dir, "S.npy", got, m, keys);
    free(sv);
    if (bad) goto out;
  }
  if (!err_ok) fprintf(stderr, ME ": rel_err %.3e exceeds its bound %.3e\n", rel_err, bound);
  if (!bitexact)
    fprintf(stderr, ME ": %s: results differ (%zu from the functional model, %zu bank words rtl vs cmodel)\n", kn,
            fn_diffs, diffs);
  rc = err_ok && bitexact ? TESSERA_EXIT_OK : TESSERA_EXIT_FAIL;
out:
  attn_src_free(&src);
  free(in), free(bsrc), free(got), free(o), free(fn), free(inb), free(r), free(bd);
  return rc;
}


/* --- send: rows of the banks on the tile's stream-out port (docs/tile.md, "Stream ports") ------- */

/* X, the values received, the float64 reference and both backends' beats are held whole: about 30 bytes
 * an element, so 2^24 elements is about 500 MB. */
#define SEND_MAX_ELEMS (1u << 24)

/* X [m][n] (random fp32, not bf16) in passes of L x (bank / n) rows at region offset 0; each pass
 * one send run to a sink ready for beat b from cycle b * period on. Checks: RTL == cmodel (beats and
 * counters), the beats == the column-order dense stream of X's bf16 values (the functional model:
 * tsp_stream_build without reordering, tnum_f32_to_bf16), and the values against float64 X (bf16's
 * unit roundoff 2^-8 bounds the normwise error). */
static int run_send(int argc, char **argv) {
  uint32_t m = 128, n = 256;
  int named = 0;
  struct kopts ko = {.seed = 1, .backend = ttile_rtl_exec_io ? "rtl" : "cmodel"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0, k = kopt(argc, argv, &i, &ko, 1);
    if (k) {
      if (k != 1) return k < 0 ? TESSERA_EXIT_USAGE : TESSERA_EXIT_OK;
      continue;
    }
    if (!strcmp(a, "--m")) bad = tessera_arg_u32(ME, a, val, 1, MAX_M, &m), i++;
    else if (!strcmp(a, "--n")) bad = tessera_arg_u32(ME, a, val, 1, TSP_MAX_DIM, &n), i++;
    else if (a[0] == '-') {
      fprintf(stderr, ME ": unknown argument for send '%s' (see tessera kernel --help)\n", a);
      bad = 1;
    } else if (named++) {
      fprintf(stderr, ME ": one kernel at a time, got '%s' after 'send'\n", a);
      bad = 1;
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }
  const char *backend = ko.backend, *dump_dir = ko.dump_dir, *trace = ko.trace;
  const int json = ko.json;
  const uint32_t seed = ko.seed, period = ko.period;
  const int use_rtl = !strcmp(backend, "rtl");
  if (use_rtl && !ttile_rtl_exec_io) {
    fprintf(stderr, ME ": --backend rtl: the RTL tile is not linked into this build (use --backend cmodel)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (trace && !use_rtl) {
    fprintf(stderr, ME ": --trace needs the rtl backend\n");
    return TESSERA_EXIT_USAGE;
  }
  const uint32_t L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, bank = TESSERA_CFG_LANE_BANK_WORDS;
  if (n > bank) {
    fprintf(stderr, ME ": --n %u: a row must fit a lane bank (%u words)\n", n, bank);
    return TESSERA_EXIT_USAGE;
  }
  if ((uint64_t)m * n > SEND_MAX_ELEMS) {
    fprintf(stderr, ME ": job too large: m * n = %" PRIu64 " exceeds %u elements\n", (uint64_t)m * n, SEND_MAX_ELEMS);
    return TESSERA_EXIT_USAGE;
  }
  if (dump_dir && !dump_dir_ok(dump_dir)) return TESSERA_EXIT_USAGE;
  const uint32_t rows_per_pass = L * (bank / n), gpr = (n + P - 1) / P;
  const size_t nx = (size_t)m * n, nbeats = (size_t)m * gpr;
  float *x = malloc(sizeof *x * nx), *got = malloc(sizeof *got * nx);
  double *ref = malloc(sizeof *ref * nx);
  uint32_t *hdr = malloc(sizeof *hdr * (nbeats + 2)), *hdr_rt = malloc(sizeof *hdr_rt * (nbeats + 2));
  uint32_t(*slot)[TESSERA_CFG_NNZ_PER_CYCLE] = malloc(sizeof *slot * (nbeats + 2));
  uint32_t(*slot_rt)[TESSERA_CFG_NNZ_PER_CYCLE] = malloc(sizeof *slot_rt * (nbeats + 2));
  struct ttile_state *ts = malloc(sizeof *ts), *tr = malloc(sizeof *tr);
  uint8_t *mask = malloc(nx);
  struct tsp_stream st;
  memset(&st, 0, sizeof st);
  int rc = TESSERA_EXIT_FAIL;
  if (!x || !got || !ref || !hdr || !hdr_rt || !slot || !slot_rt || !ts || !tr || !mask) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  uint64_t rs = (uint64_t)seed * 0x9e3779b97f4a7c15ull + 11;
  for (size_t a = 0; a < nx; a++) {
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    x[a] = (float)((double)(rs >> 11) / 9007199254740992.0 * 4.0 - 2.0);
    ref[a] = x[a];
  }
  struct ttile_counters cm = {0}, crt = {0};
  uint32_t runs = 0;
  size_t diffs = 0;
  char terr[200] = "";
  double t0 = now_s();
  for (uint32_t base = 0; base < m; base += rows_per_pass, runs++) {
    uint32_t ntok = m - base < rows_per_pass ? m - base : rows_per_pass;
    memset(ts, 0, sizeof *ts);
    for (uint32_t r = 0; r < ntok; r++)
      for (uint32_t c = 0; c < n; c++) ts->bank[r % L][(size_t)(r / L) * n + c] = f2u(x[(size_t)(base + r) * n + c]);
    struct ttile_desc d = {.kernel = TESSERA_TILE_KERNEL_SEND, .kn = n, .ntok = ntok, .tpl = (ntok + L - 1) / L,
                           .cols = n, .row0 = base};
    size_t b0 = (size_t)base * gpr, nb = (size_t)ntok * gpr;
    struct ttile_outstream o = {.hdr = hdr + b0, .slot = slot + b0, .cap = (uint32_t)nb, .period = period};
    struct ttile_counters c;
    int s = ttile_cm_exec_io(ts, &d, NULL, &o, &c);
    if (s || o.nbeats != nb) {
      fprintf(stderr, ME ": send on the tile's cmodel: status %d\n", s);
      goto out;
    }
    cm.cycles += c.cycles, cm.busy += c.busy, cm.stall_backpressure += c.stall_backpressure;
    cm.stall_memory += c.stall_memory;
    if (use_rtl) {
      memcpy(tr, ts, sizeof *tr);
      struct ttile_outstream orl = {.hdr = hdr_rt + b0, .slot = slot_rt + b0, .cap = (uint32_t)nb, .period = period};
      char fst[4096];
      const char *fp = trace_run_path(trace, runs, fst, sizeof fst, terr, sizeof terr);
      if (trace && !fp) {
        fprintf(stderr, ME ": %s\n", terr);
        goto out;
      }
      s = ttile_rtl_exec_io(tr, &d, NULL, &orl, &c, fp, terr, sizeof terr);
      if (s) {
        fprintf(stderr, ME ": send on the RTL tile: %s\n", s < 0 ? terr : "refused");
        goto out;
      }
      crt.cycles += c.cycles, crt.busy += c.busy, crt.stall_backpressure += c.stall_backpressure;
      crt.stall_memory += c.stall_memory, crt.stall_bank_conflict += c.stall_bank_conflict;
      crt.stall_stream_starved += c.stall_stream_starved, crt.macs += c.macs;
      diffs += orl.nbeats != nb;
      for (size_t b = b0; b < b0 + nb; b++) diffs += hdr[b] != hdr_rt[b] || memcmp(slot[b], slot_rt[b], sizeof slot[b]);
    }
  }
  double wall = now_s() - t0;
  /* The functional model: X's column-order dense stream with bf16 values. */
  if (tsp_mask_dense(mask, m, n) != TSP_OK || tsp_stream_build(&st, mask, m, n, P, TESSERA_CFG_SUB_BANKS, 0) != TSP_OK ||
      st.ngroups != nbeats) {
    fprintf(stderr, ME ": cannot build the dense stream of %u x %u\n", m, n);
    goto out;
  }
  size_t fn_diffs = 0;
  for (uint32_t g = 0; g < st.ngroups; g++) {
    fn_diffs += hdr[g] != ((uint32_t)st.row[g] | (uint32_t)st.flags[g] << 16);
    for (uint32_t q = 0; q < P; q++) {
      uint32_t src = st.src[(size_t)g * P + q];
      uint32_t want = src == UINT32_MAX ? (uint32_t)TSP_EMPTY << 16
                                        : (uint32_t)st.col[(size_t)g * P + q] << 16 | tnum_f32_to_bf16(f2u(x[src]));
      fn_diffs += slot[g][q] != want;
      if (src != UINT32_MAX) got[src] = u2f((slot[g][q] & 0xffffu) << 16);
    }
  }
  double rel_err = ref64_rel_err(got, ref, nx), bound = 1.0 / 256;
  const int err_ok = rel_err <= bound;
  const int bitexact = !fn_diffs && (!use_rtl || (!diffs && cm.cycles == crt.cycles &&
                                                  cm.stall_backpressure == crt.stall_backpressure &&
                                                  cm.stall_memory == crt.stall_memory && !crt.macs &&
                                                  !crt.stall_bank_conflict && !crt.stall_stream_starved));
  const struct ttile_counters *c = use_rtl ? &crt : &cm;
  const double peak = (double)L * P, bpc = c->cycles ? (double)nbeats / (double)c->cycles : 0.0;
  if (json) {
    printf("{\"kernel\": \"send\", \"shape\": {\"m\": %u, \"n\": %u}, \"backend\": \"%s\", \"seed\": %u, "
           "\"period\": %u, \"runs\": %u, \"beats\": %zu, \"beats_per_cycle\": %.6f, \"cycles\": %" PRIu64
           ", \"cmodel_cycles\": %" PRIu64 ", \"macs\": 0, \"peak_macs_per_cycle\": %.0f, \"utilization\": 0, "
           "\"stalls\": {\"bank_conflict\": %" PRIu64 ", \"stream_starved\": %" PRIu64 ", \"backpressure\": %" PRIu64
           ", \"memory\": %" PRIu64 "}, \"bitexact\": %s, \"rel_err\": %.6e, \"rel_err_bound\": %.6e, "
           "\"wall_s\": %.6f}\n",
           m, n, use_rtl ? "rtl" : "cmodel", seed, period, runs, nbeats, bpc, c->cycles, cm.cycles, peak,
           c->stall_bank_conflict, c->stall_stream_starved, c->stall_backpressure, c->stall_memory,
           bitexact ? "true" : "false", rel_err, bound, wall);
  } else {
    char pace[64] = "always ready";
    if (period) snprintf(pace, sizeof pace, "ready for a beat every %u cycles", period);
    printf("send m=%u n=%u (rows of X out of the stream-out port as groups of %u), backend %s, the sink %s, %u run%s\n",
           m, n, P, use_rtl ? "rtl" : "cmodel", pace, runs, runs == 1 ? "" : "s");
    printf("  cycles        %" PRIu64 " (cmodel %" PRIu64 ") for %zu beats, %.3f beats per cycle\n", c->cycles,
           cm.cycles, nbeats, bpc);
    printf("  stalls        backpressure %" PRIu64 ", memory %" PRIu64 ", stream starved %" PRIu64
           ", bank conflict %" PRIu64 "\n",
           c->stall_backpressure, c->stall_memory, c->stall_stream_starved, c->stall_bank_conflict);
    printf("  bitexact      %s (%scmodel == the dense stream of bf16(X))\n", bitexact ? "yes" : "NO",
           use_rtl ? "rtl == cmodel, " : "");
    printf("  rel_err       %.3e vs float64 X over %zu values (bound %.3e: bf16 rounding)%s\n", rel_err, nx, bound,
           err_ok ? "" : "  ABOVE BOUND");
    if (trace) trace_summary(trace, runs);
  }
  if (dump_dir && (dump(dump_dir, "X.npy", x, m, n) || dump(dump_dir, "Out.npy", got, m, n))) goto out;
  if (!err_ok) fprintf(stderr, ME ": rel_err %.3e exceeds its bound %.3e\n", rel_err, bound);
  if (!bitexact)
    fprintf(stderr, ME ": send: beats differ (%zu from the functional model, %zu rtl vs cmodel)\n", fn_diffs, diffs);
  rc = err_ok && bitexact ? TESSERA_EXIT_OK : TESSERA_EXIT_FAIL;
out:
  tsp_stream_free(&st);
  free(x), free(got), free(ref), free(hdr), free(hdr_rt), free(slot), free(slot_rt), free(ts), free(tr), free(mask);
  return rc;
}

/* --- link: two tiles, send -> attn_qk / attn_pv (docs/tile.md, "Linking two tiles") ------------ */

/* An integer in [lo, hi] (signed); a one-line message and -1 otherwise. */
static int arg_i64(const char *opt, const char *v, int64_t lo, int64_t hi, int64_t *out) {
  char *end = NULL;
  long long x = v && *v ? strtoll(v, &end, 10) : 0;
  if (!v || !*v || *end || x < lo || x > hi) {
    fprintf(stderr, ME ": %s wants an integer in [%lld, %lld], got '%s'\n", opt, (long long)lo, (long long)hi,
            v ? v : "");
    return -1;
  }
  *out = x;
  return 0;
}

#define LINK_MAX_OFFSET 1000000

static void link_sum(struct ttile_counters *s, const struct ttile_counters *c) {
  s->cycles += c->cycles, s->busy += c->busy, s->macs += c->macs, s->stall_bank_conflict += c->stall_bank_conflict;
  s->stall_stream_starved += c->stall_stream_starved, s->stall_backpressure += c->stall_backpressure;
  s->stall_memory += c->stall_memory;
}

static void link_json_tile(const char *name, uint32_t runs, const struct ttile_counters *c, int64_t began,
                           int64_t ended) {
  printf("\"%s\": {\"runs\": %u, \"began\": %lld, \"ended\": %lld, \"cycles\": %" PRIu64 ", \"busy\": %" PRIu64
         ", \"macs\": %" PRIu64 ", \"stalls\": {\"bank_conflict\": %" PRIu64 ", \"stream_starved\": %" PRIu64
         ", \"backpressure\": %" PRIu64 ", \"memory\": %" PRIu64 "}}",
         name, runs, (long long)began, (long long)ended, c->cycles, c->busy, c->macs, c->stall_bank_conflict,
         c->stall_stream_starved, c->stall_backpressure, c->stall_memory);
}

/* Tile A (the producer) holds K or V [keys][d] (random fp32) and sends its rows in `sends` sends of
 * consecutive rows (send j: rows cut[j] .. cut[j+1]-1, row0 = cut[j], at region offset j d of
 * regions of sends x d words, so every send's rows start in lane 0); tile B (the consumer) holds Q
 * [m][d] (attn_qk) or P [m][keys] (attn_pv) as `tessera kernel attn_qk` places them and runs one
 * attn run over all the beats, its first busy cycle `offset` cycles after the first send's.
 * ttile_cm_exec_link_runs and, with rtl, ttile_rtl_exec_link_runs on copies: every run's cycles,
 * status and counters, both tiles' words, the beats and every take time must agree. The beats must
 * be the column-order dense stream of bf16(K), the consumer's result ttile_fn_fwd /
 * ttile_fn_bwd_data over it, and within the float64 bound of Q bf16(K)^T / P bf16(V). */
static int run_link(int argc, char **argv) {
  uint32_t m = 64, d = 64, keys = 64, sends = 1;
  int64_t offset = 0;
  int pv = 0, named = 0;
  struct kopts ko = {.seed = 1, .backend = ttile_rtl_exec_link_runs ? "rtl" : "cmodel"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0, k = kopt(argc, argv, &i, &ko, 0);
    if (k) {
      if (k != 1) return k < 0 ? TESSERA_EXIT_USAGE : TESSERA_EXIT_OK;
      continue;
    }
    if (!strcmp(a, "--m")) bad = tessera_arg_u32(ME, a, val, 1, MAX_M, &m), i++;
    else if (!strcmp(a, "--k")) bad = tessera_arg_u32(ME, a, val, 1, TSP_MAX_DIM, &d), i++;
    else if (!strcmp(a, "--n")) bad = tessera_arg_u32(ME, a, val, 1, TSP_MAX_DIM, &keys), i++;
    else if (!strcmp(a, "--sends")) bad = tessera_arg_u32(ME, a, val, 1, TSP_MAX_DIM, &sends), i++;
    else if (!strcmp(a, "--offset")) bad = arg_i64(a, val, -LINK_MAX_OFFSET, LINK_MAX_OFFSET, &offset), i++;
    else if (!strcmp(a, "--consumer")) {
      if (!val || (strcmp(val, "attn_qk") && strcmp(val, "attn_pv"))) {
        fprintf(stderr, ME ": --consumer must be attn_qk or attn_pv, got '%s'\n", val ? val : "");
        bad = 1;
      } else {
        pv = !strcmp(val, "attn_pv");
      }
      i++;
    } else if (a[0] == '-') {
      fprintf(stderr, ME ": unknown argument for link '%s' (see tessera kernel --help)\n", a);
      bad = 1;
    } else if (named++) {
      fprintf(stderr, ME ": one kernel at a time, got '%s' after 'link'\n", a);
      bad = 1;
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }
  const char *dump_dir = ko.dump_dir, *trace = ko.trace;
  const int use_rtl = !strcmp(ko.backend, "rtl"), json = ko.json;
  const uint32_t seed = ko.seed;
  const uint32_t L = TESSERA_CFG_LANES, P = TESSERA_CFG_NNZ_PER_CYCLE, bank = TESSERA_CFG_LANE_BANK_WORDS;
  if (use_rtl && !ttile_rtl_exec_link_runs) {
    fprintf(stderr, ME ": --backend rtl: the RTL tile is not linked into this build (use --backend cmodel)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (trace && !use_rtl) {
    fprintf(stderr, ME ": --trace needs the rtl backend\n");
    return TESSERA_EXIT_USAGE;
  }
  if (sends > keys) {
    fprintf(stderr, ME ": --sends %u: at most one send per row of K/V (--n %u)\n", sends, keys);
    return TESSERA_EXIT_USAGE;
  }
  /* The consumer: one run of m rows of d + keys words; the producer: regions of sends x d words,
   * ceil(rows of the largest send / L) of them; the beats: one attn run's groups. */
  const uint32_t kn = d + keys, tpl = (m + L - 1) / L, gpr = (d + P - 1) / P, maxrows = (keys + sends - 1) / sends;
  const uint64_t nbeats = (uint64_t)keys * gpr, pkn = (uint64_t)sends * d, ptpl = (maxrows + L - 1) / L;
  if (tpl > TESSERA_CFG_ACC_DEPTH || (uint64_t)tpl * kn > bank) {
    fprintf(stderr,
            ME ": shape does not fit the consumer tile: ceil(m / L) = %u rows per lane (at most %u) of k + n = %u words "
               "(a lane bank holds %u)\n",
            tpl, (unsigned)TESSERA_CFG_ACC_DEPTH, kn, bank);
    return TESSERA_EXIT_USAGE;
  }
  if (ptpl * pkn > bank) {
    fprintf(stderr,
            ME ": shape does not fit the producer tile: %u sends of up to %u rows of %u words take %" PRIu64
               " words per lane (a lane bank holds %u)\n",
            sends, maxrows, d, ptpl * pkn, bank);
    return TESSERA_EXIT_USAGE;
  }
  if (nbeats > TTILE_GROUPS) {
    fprintf(stderr, ME ": the stream of %u rows of %u words is %" PRIu64 " beats, one attn run takes at most %u\n", keys,
            d, nbeats, (unsigned)TTILE_GROUPS);
    return TESSERA_EXIT_USAGE;
  }
  if ((uint64_t)m * d * keys > MAX_WORK) {
    fprintf(stderr, ME ": job too large: m * k * n above 2^32\n");
    return TESSERA_EXIT_USAGE;
  }
  if (dump_dir && !dump_dir_ok(dump_dir)) return TESSERA_EXIT_USAGE;
  const char *kname = pv ? "attn_pv" : "attn_qk";

  const uint32_t in_off = pv ? d : 0, in_len = pv ? keys : d, out_off = pv ? 0 : d, out_len = pv ? d : keys;
  const size_t nin = (size_t)m * in_len, nsrc = (size_t)keys * d, nout = (size_t)m * out_len, nb = (size_t)nbeats;
  int rc = TESSERA_EXIT_FAIL;
  float *in = malloc(sizeof *in * (nin + 1)), *src = malloc(sizeof *src * (nsrc + 1));
  float *sent = calloc(nsrc + 1, sizeof *sent), *got = malloc(sizeof *got * (nout + 1));
  uint32_t *inb = malloc(sizeof *inb * (nin + 1)), *fn = calloc(nout + 1, sizeof *fn), *cut = malloc(sizeof *cut * (sends + 1));
  double *r = calloc(nout + 1, sizeof *r), *bd = calloc(nout + 1, sizeof *bd);
  uint32_t *hdr[2], (*slot[2])[TESSERA_CFG_NNZ_PER_CYCLE];
  uint64_t *to[2], *ti[2];
  struct ttile_link_run *pr[2], cr[2];
  struct ttile_state *st[4]; /* producer, consumer: cmodel; producer, consumer: rtl */
  uint16_t *wv = malloc(sizeof *wv * (nb * P + 1));
  uint8_t *mask = malloc(nsrc + 1);
  struct tsp_stream ds;
  memset(&ds, 0, sizeof ds);
  int oom = !in || !src || !sent || !got || !inb || !fn || !cut || !r || !bd || !wv || !mask;
  for (int q = 0; q < 2; q++) {
    hdr[q] = calloc(nb + 1, sizeof *hdr[q]), slot[q] = calloc(nb + 1, sizeof *slot[q]);
    to[q] = calloc(nb + 1, sizeof *to[q]), ti[q] = calloc(nb + 1, sizeof *ti[q]);
    pr[q] = calloc(sends, sizeof *pr[q]);
    oom |= !hdr[q] || !slot[q] || !to[q] || !ti[q] || !pr[q];
  }
  for (int q = 0; q < 4; q++) oom |= !(st[q] = calloc(1, sizeof *st[q]));
  if (oom) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  /* Inputs: Q (bf16 in [-2, 2)) or P (bf16 in [0, 1]) as attn_qk / attn_pv make them; K or V fp32. */
  uint64_t rs = (uint64_t)seed * 0x9e3779b97f4a7c15ull + 13;
  for (size_t a = 0; a < nin; a++) in[a] = pv ? fabsf(rnd_bf16(&rs)) / 2.0f : rnd_bf16(&rs), inb[a] = f2u(in[a]);
  for (size_t a = 0; a < nsrc; a++) {
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    src[a] = (float)((double)(rs >> 11) / 9007199254740992.0 * 4.0 - 2.0);
  }
  /* The producer's banks: send j's row i at lane i mod L, region i div L, offset j d. */
  for (uint32_t j = 0; j <= sends; j++) cut[j] = (uint32_t)((uint64_t)j * keys / sends);
  for (uint32_t j = 0; j < sends; j++)
    for (uint32_t i = 0; i < cut[j + 1] - cut[j]; i++)
      for (uint32_t c = 0; c < d; c++)
        st[0]->bank[i % L][(size_t)(i / L) * pkn + (size_t)j * d + c] = f2u(src[(size_t)(cut[j] + i) * d + c]);
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t j = 0; j < in_len; j++) st[1]->bank[t % L][(size_t)(t / L) * kn + in_off + j] = inb[(size_t)t * in_len + j];
  memcpy(st[2], st[0], sizeof *st[0]), memcpy(st[3], st[1], sizeof *st[1]);
  const int64_t p_at = 1 + (offset < 0 ? -offset : 0), c_at = 1 + (offset > 0 ? offset : 0);
  for (uint32_t j = 0; j < sends; j++) {
    uint32_t rows = cut[j + 1] - cut[j];
    pr[0][j] = (struct ttile_link_run){.d = {.kernel = TESSERA_TILE_KERNEL_SEND, .kn = (uint32_t)pkn, .ntok = rows,
                                             .tpl = (rows + L - 1) / L, .off_a = j * d, .cols = d, .row0 = cut[j]},
                                       .at = p_at};
    pr[1][j] = pr[0][j];
  }
  cr[0] = (struct ttile_link_run){.d = {.kernel = pv ? TESSERA_TILE_KERNEL_ATTN_PV : TESSERA_TILE_KERNEL_ATTN_QK,
                                        .k = d, .kn = kn, .ntok = m, .tpl = tpl, .ngroups = (uint32_t)nb},
                                  .at = c_at};
  cr[1] = cr[0];
  struct ttile_outstream oc = {.hdr = hdr[0], .slot = slot[0], .cap = (uint32_t)nb, .taken_at = to[0]};
  struct ttile_outstream orl = {.hdr = hdr[1], .slot = slot[1], .cap = (uint32_t)nb, .taken_at = to[1]};
  char terr[300] = "";
  double t0 = now_s();
  if (ttile_cm_exec_link_runs(st[0], pr[0], sends, st[1], &cr[0], 1, &oc, ti[0]) || oc.nbeats != nb) {
    fprintf(stderr, ME ": link on the tiles' cmodel: refused or unfinished (%u of %zu beats)\n", oc.nbeats, nb);
    goto out;
  }
  double wall_cm = now_s() - t0, wall_rtl = 0.0;
  size_t diffs = 0;
  if (use_rtl) {
    t0 = now_s();
    if (ttile_rtl_exec_link_runs(st[2], pr[1], sends, st[3], &cr[1], 1, &orl, ti[1], trace, terr, sizeof terr)) {
      fprintf(stderr, ME ": link on the RTL tiles: %s\n", terr);
      goto out;
    }
    wall_rtl = now_s() - t0;
    /* Every word of both tiles, every run's times, status and counters, the beats, every take. */
    for (int q = 0; q < 2; q++)
      for (uint32_t l = 0; l < L; l++)
        for (uint32_t w = 0; w < bank; w++) diffs += st[q]->bank[l][w] != st[q + 2]->bank[l][w];
    for (int q = 0; q < 2; q++)
      diffs += !!memcmp(st[q]->wb_hdr, st[q + 2]->wb_hdr, sizeof st[q]->wb_hdr) +
               !!memcmp(st[q]->wb_slot, st[q + 2]->wb_slot, sizeof st[q]->wb_slot) +
               !!memcmp(st[q]->gbuf, st[q + 2]->gbuf, sizeof st[q]->gbuf);
    for (uint32_t i = 0; i <= sends; i++) {
      const struct ttile_link_run *a = i < sends ? &pr[0][i] : &cr[0], *b = i < sends ? &pr[1][i] : &cr[1];
      diffs += a->began != b->began || a->ended != b->ended || a->code != b->code ||
               memcmp(&a->ctr, &b->ctr, sizeof a->ctr) != 0;
    }
    diffs += orl.nbeats != nb;
    for (size_t b = 0; b < nb; b++)
      diffs += hdr[0][b] != hdr[1][b] || memcmp(slot[0][b], slot[1][b], sizeof slot[0][b]) || to[0][b] != to[1][b] ||
               ti[0][b] != ti[1][b];
  }
  /* The functional models: the beats are the column-order dense stream of bf16(K); the consumer's
   * result is ttile_fn_fwd (attn_qk) or ttile_fn_bwd_data (attn_pv) over it. */
  if (tsp_mask_dense(mask, keys, d) != TSP_OK || tsp_stream_build(&ds, mask, keys, d, P, TESSERA_CFG_SUB_BANKS, 0) != TSP_OK ||
      ds.ngroups != nb) {
    fprintf(stderr, ME ": cannot build the dense stream of %u x %u\n", keys, d);
    goto out;
  }
  size_t fn_diffs = 0;
  for (uint32_t g = 0; g < ds.ngroups; g++) {
    fn_diffs += hdr[0][g] != ((uint32_t)ds.row[g] | (uint32_t)ds.flags[g] << 16);
    for (uint32_t q = 0; q < P; q++) {
      uint32_t s = ds.src[(size_t)g * P + q];
      wv[(size_t)g * P + q] = s == UINT32_MAX ? 0 : tnum_f32_to_bf16(f2u(src[s]));
      uint32_t want = s == UINT32_MAX ? (uint32_t)TSP_EMPTY << 16 : (uint32_t)ds.col[(size_t)g * P + q] << 16 | wv[(size_t)g * P + q];
      fn_diffs += slot[0][g][q] != want;
      if (s != UINT32_MAX) sent[s] = u2f((uint32_t)wv[(size_t)g * P + q] << 16);
    }
  }
  if (pv) ttile_fn_bwd_data(&ds, wv, inb, m, fn);
  else ttile_fn_fwd(&ds, wv, inb, m, fn);
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < out_len; c++) {
      uint32_t w = st[1]->bank[t % L][(size_t)(t / L) * kn + out_off + c];
      fn_diffs += w != fn[(size_t)t * out_len + c];
      got[(size_t)t * out_len + c] = u2f(w);
    }
  /* float64 reference of Q bf16(K)^T / P bf16(V) and attn_qk's first-order bound. */
  const uint32_t chain = pv ? keys : d + ceil_log2(P);
  for (uint32_t t = 0; t < m; t++)
    for (uint32_t c = 0; c < out_len; c++) {
      double s = 0.0, sa = 0.0;
      for (uint32_t j = 0; j < in_len; j++) {
        double x = in[(size_t)t * in_len + j], y = pv ? sent[(size_t)j * d + c] : sent[(size_t)c * d + j];
        s += x * y, sa += fabs(x * y);
      }
      r[(size_t)t * out_len + c] = s, bd[(size_t)t * out_len + c] = gamma_c(chain) * sa;
    }
  double rel_err = ref64_rel_err(got, r, nout), rnorm = 0.0, bnorm = 0.0;
  for (size_t a = 0; a < nout; a++) rnorm += r[a] * r[a], bnorm += bd[a] * bd[a];
  const double bound = rnorm > 0.0 ? (1 + 1.0 / 1024) * sqrt(bnorm / rnorm) : 0.0;
  const int err_ok = rel_err <= bound, bitexact = !fn_diffs && !diffs;

  /* Report: the RTL's figures with rtl (equal to the cmodel's when bitexact), else the cmodel's. */
  const int q = use_rtl ? 1 : 0;
  struct ttile_counters pc = {0}, cc = cr[q].ctr, pcm = {0};
  /* Times relative to the first send's first busy cycle (link cycle p_at). */
  int64_t pbeg = pr[q][0].began - p_at, pend = pr[q][sends - 1].ended - p_at, cbeg = cr[q].began - p_at,
          cend = cr[q].ended - p_at;
  for (uint32_t j = 0; j < sends; j++) link_sum(&pc, &pr[q][j].ctr), link_sum(&pcm, &pr[0][j].ctr);
  const int64_t first = pbeg < cbeg ? pbeg : cbeg, last = pend > cend ? pend : cend;
  const uint64_t span = (uint64_t)(last - first + 1);
  const uint64_t *take = use_rtl ? to[1] : to[0];
  const double peak = (double)L * P, util = cc.cycles ? (double)cc.macs / ((double)cc.cycles * peak) : 0.0;
  if (json) {
    char rtl_wall_s[32] = "null";
    if (use_rtl) snprintf(rtl_wall_s, sizeof rtl_wall_s, "%.6f", wall_rtl);
    printf("{\"kernel\": \"link\", \"consumer_kernel\": \"%s\", \"shape\": {\"m\": %u, \"k\": %u, \"n\": %u}, "
           "\"backend\": \"%s\", \"preset\": \"%s\", \"seed\": %u, \"offset\": %lld, \"sends\": %u, \"beats\": %zu, "
           "\"cycles\": %" PRIu64 ", \"cmodel_cycles\": %" PRIu64 ", \"span_cycles\": %" PRIu64 ", \"macs\": %" PRIu64
           ", \"peak_macs_per_cycle\": %.0f, \"utilization\": %.6f, \"stalls\": {\"bank_conflict\": %" PRIu64
           ", \"stream_starved\": %" PRIu64 ", \"backpressure\": %" PRIu64 ", \"memory\": %" PRIu64 "}, ",
           kname, m, d, keys, use_rtl ? "rtl" : "cmodel", TESSERA_CFG_PRESET_NAME, seed, (long long)offset, sends, nb,
           cc.cycles, cr[0].ctr.cycles, span, cc.macs, peak, util, cc.stall_bank_conflict, cc.stall_stream_starved,
           cc.stall_backpressure, cc.stall_memory);
    link_json_tile("producer", sends, &pc, pbeg, pend);
    printf(", ");
    link_json_tile("consumer", 1, &cc, cbeg, cend);
    printf(", \"producer_cmodel_cycles\": %" PRIu64 ", \"takes\": {\"first\": %lld, \"last\": %lld"
           "}, \"bitexact\": %s, \"mismatches\": %zu, \"rel_err\": %.6e, \"rel_err_bound\": %.6e, "
           "\"wall_s\": {\"cmodel\": %.6f, \"rtl\": %s}}\n",
           pcm.cycles, (long long)(take[0] - p_at), (long long)(take[nb - 1] - p_at), bitexact ? "true" : "false",
           diffs + fn_diffs, rel_err, bound, wall_cm,
           rtl_wall_s);
  } else {
    printf("link: send of %s [%u][%u] (%u send%s, %zu beats) -> %s m=%u (%s), consumer started %lld cycles %s the "
           "first send (cycle 0: the first send's first busy cycle), backend %s, preset %s\n",
           pv ? "V" : "K", keys, d, sends, sends == 1 ? "" : "s", nb, kname, m, pv ? "O = P V" : "S = Q K^T",
           (long long)(offset < 0 ? -offset : offset), offset < 0 ? "before" : "after", use_rtl ? "rtl" : "cmodel",
           TESSERA_CFG_PRESET_NAME);
    for (int t = 0; t < 2; t++) {
      const struct ttile_counters *c = t ? &cc : &pc;
      printf("  %-13s cycles %" PRIu64 " (first busy cycle %lld, last %lld%s), busy %" PRIu64 ", starved %" PRIu64
             ", back-pressure %" PRIu64 ", memory %" PRIu64 ", conflict %" PRIu64 ", MACs %" PRIu64,
             t ? "consumer" : "producer", c->cycles, (long long)(t ? cbeg : pbeg), (long long)(t ? cend : pend), t || sends == 1 ? "" : ", the sends together", c->busy,
             c->stall_stream_starved, c->stall_backpressure, c->stall_memory, c->stall_bank_conflict, c->macs);
      if (t) printf(", utilisation %.3f (peak %.0f MACs/cycle)", util, peak);
      printf("\n");
    }
    printf("  link          %" PRIu64 " cycles from the first busy cycle to the last; beats 0, 1, %zu taken at cycles "
           "%lld, %lld, %lld\n",
           span, nb - 1, (long long)(take[0] - p_at), (long long)(take[nb > 1 ? 1 : 0] - p_at),
           (long long)(take[nb - 1] - p_at));
    if (use_rtl)
      printf("  bitexact      %s (rtl == cmodel: both tiles' words, every run's counters and times, %zu beats and "
             "their takes; beats == the dense stream of bf16(%s); consumer == %s)\n",
             bitexact ? "yes" : "NO", nb, pv ? "V" : "K", pv ? "ttile_fn_bwd_data" : "ttile_fn_fwd");
    else
      printf("  bitexact      %s (cmodel only: beats == the dense stream of bf16(%s); consumer == %s)\n",
             bitexact ? "yes" : "NO", pv ? "V" : "K", pv ? "ttile_fn_bwd_data" : "ttile_fn_fwd");
    printf("  rel_err       %.3e vs float64 %s over %zu outputs (bound %.3e)%s\n", rel_err,
           pv ? "P bf16(V)" : "Q bf16(K)^T", nout, bound, err_ok ? "" : "  ABOVE BOUND");
    if (use_rtl) printf("  wall          rtl %.3f s, cmodel %.4f s\n", wall_rtl, wall_cm);
    if (trace) printf("  trace         %s (the producer tile)\n", trace);
  }
  if (dump_dir) {
    int bad = pv ? dump(dump_dir, "P.npy", in, m, keys) || dump(dump_dir, "V.npy", sent, keys, d) ||
                       dump(dump_dir, "O.npy", got, m, d)
                 : dump(dump_dir, "Q.npy", in, m, d) || dump(dump_dir, "K.npy", sent, keys, d) ||
                       dump(dump_dir, "S.npy", got, m, keys);
    if (bad) goto out;
  }
  if (!err_ok) fprintf(stderr, ME ": rel_err %.3e exceeds its bound %.3e\n", rel_err, bound);
  if (!bitexact)
    fprintf(stderr, ME ": link: %zu differences rtl vs cmodel, %zu from the functional models\n", diffs, fn_diffs);
  rc = err_ok && bitexact ? TESSERA_EXIT_OK : TESSERA_EXIT_FAIL;
out:
  tsp_stream_free(&ds);
  free(in), free(src), free(sent), free(got), free(inb), free(fn), free(cut), free(r), free(bd), free(wv), free(mask);
  for (int k = 0; k < 2; k++) free(hdr[k]), free(slot[k]), free(to[k]), free(ti[k]), free(pr[k]);
  for (int k = 0; k < 4; k++) free(st[k]);
  return rc;
}

int cmd_kernel(int argc, char **argv) {
  /* A vector kernel's name as the first positional argument: its own command line. */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] == '-') {
      static const char *const valued[] = {"--m", "--k", "--n", "--v", "--step", "--seed", "--pattern",
                                           "--density", "--backend", "--dump", "--trace", "--period",
                                           "--consumer", "--offset", "--sends"};
      for (size_t q = 0; q < sizeof valued / sizeof *valued; q++)
        if (!strcmp(a, valued[q])) i++;
      continue;
    }
    if (vk_lookup(a) >= 0) return run_vec(argc, argv);
    if (!strcmp(a, "attn_qk") || !strcmp(a, "attn_pv")) return run_attn(argc, argv);
    if (!strcmp(a, "send")) return run_send(argc, argv);
    if (!strcmp(a, "link")) return run_link(argc, argv);
    break;
  }
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
      bad = tessera_arg_u32(ME, a, v, 1, MAX_M, &m), i++;
    } else if (!strcmp(a, "--k")) {
      bad = tessera_arg_u32(ME, a, v, 1, TSP_MAX_DIM, &k), i++;
    } else if (!strcmp(a, "--n")) {
      bad = tessera_arg_u32(ME, a, v, 1, TSP_MAX_DIM, &n), i++;
    } else if (!strcmp(a, "--seed")) {
      bad = tessera_arg_u32(ME, a, v, 0, UINT32_MAX, &seed), i++;
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
        fprintf(stderr, ME ": unknown kernel '%s' (fwd, bwd_data, bwd_weight or a vector kernel, see --help)\n", a);
        bad = 1;
      }
    }
    if (bad) return TESSERA_EXIT_USAGE;
  }
  if (kernel < 0) {
    fprintf(stderr, ME ": no kernel named (fwd, bwd_data, bwd_weight or a vector kernel; see tessera kernel --help)\n");
    return TESSERA_EXIT_USAGE;
  }
  const uint32_t lanes = TESSERA_CFG_LANES, p = TESSERA_CFG_NNZ_PER_CYCLE, s = TESSERA_CFG_SUB_BANKS;
  uint32_t d = ttile_pass_d((enum ttile_kernel)kernel, m, k, n); /* tokens per lane per pass */
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
