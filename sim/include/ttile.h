/* One compute tile running one linear-layer kernel: the job description and counters shared by the
 * RTL backend (the Verilated tile, sim/tile_rtl/) and the cmodel backend (sim/tile/tile_cm.c).
 * Both produce the same bits, in the summation order of docs/tile.md, which sim/tile/ttile_fn.c
 * implements as plain loops.
 *
 * Token placement (docs/tile.md): a pass takes up to lanes * d tokens; lane l owns tokens
 * base + l, base + l + lanes, ... of the pass; d comes from the bank capacity (ttile_plan). */
#ifndef TTILE_H
#define TTILE_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/sparse.h"

enum ttile_kernel { TTILE_FWD = 0, TTILE_BWD_DATA, TTILE_BWD_WEIGHT, TTILE_KERNEL_COUNT };

/* Latency of the FMA pipeline (rtl/fpu/tnum_fma.sv, localparam Latency): a lane interleaves at
 * least this many tokens so a running sum is never read before its previous update is written. */
#define TTILE_FMA_LATENCY 5u

struct ttile_job {
  enum ttile_kernel kernel;
  const struct tsp_stream *st; /* the nonzero stream of W (n x k) */
  const uint16_t *wv;          /* bf16 weights in stream slot order [ngroups * p] */
  uint32_t m;                  /* tokens */
  const uint32_t *x;           /* fwd, bwd_weight: X [m][k], fp32 bits */
  const uint32_t *dy;          /* bwd_data, bwd_weight: dY [m][n], fp32 bits */
  uint32_t *y;                 /* fwd: Y [m][n] out */
  uint32_t *dx;                /* bwd_data: dX [m][k] in/out (accumulated onto) */
  uint32_t *dwv;               /* bwd_weight: dW in slot order [ngroups * p] in/out */
};

/* Cycle accounting. cycles = busy + idle; every busy cycle that issued no slot is a stall with
 * exactly one cause. macs counts useful multiply-adds (non-empty slots times tokens). */
struct ttile_counters {
  uint64_t cycles;
  uint64_t busy;
  uint64_t macs;
  uint64_t stall_bank_conflict;
  uint64_t stall_stream_starved;
  uint64_t stall_backpressure;
  uint64_t stall_memory;
};

/* How a job is cut into passes for a tile with `lanes` lanes and `bank_words` words per lane bank:
 * d = tokens per lane per pass = min(ceil(m / lanes), bank_words / (k + n)); 0 when one token's
 * rows do not fit a bank (the job cannot run). hold = cycles each group is applied
 * (max(tokens of the fullest lane in the pass, TTILE_FMA_LATENCY)). bwd_weight passes are exactly
 * d tokens per lane (its sums depend on d); fwd and bwd_data passes are further capped at
 * TESSERA_CFG_ACC_DEPTH tokens per lane (their results do not depend on the cut). */
static inline uint32_t ttile_plan_d(uint32_t m, uint32_t k, uint32_t n, uint32_t lanes, uint32_t bank_words) {
  if (!lanes || !m) return 0;
  uint32_t need = (m + lanes - 1) / lanes;
  uint32_t fit = bank_words / (k + n);
  return need < fit ? need : fit;
}

/* Tokens per lane per pass of `kernel` on the build's preset: ttile_plan_d, capped at
 * TESSERA_CFG_ACC_DEPTH for fwd and bwd_data (they keep per-token state in the lanes; their results
 * do not depend on the cut), exactly ttile_plan_d for bwd_weight (ttile_fn_bwd_weight's d). */
static inline uint32_t ttile_pass_d(enum ttile_kernel kernel, uint32_t m, uint32_t k, uint32_t n) {
  uint32_t d = ttile_plan_d(m, k, n, TESSERA_CFG_LANES, TESSERA_CFG_LANE_BANK_WORDS);
  return kernel != TTILE_BWD_WEIGHT && d > TESSERA_CFG_ACC_DEPTH ? TESSERA_CFG_ACC_DEPTH : d;
}

/* Run a job on one tile of the build's preset (TESSERA_CFG_LANES, _NNZ_PER_CYCLE, _SUB_BANKS,
 * _LANE_BANK_WORDS, _WEIGHT_BUF_WORDS). The stream must have been built with p = nnz_per_cycle and
 * s = sub_banks. Return 0, or -1 with a one-line reason in err (shape does not fit, bad stream,
 * trace file cannot be opened); nothing aborts. Counters are filled on success.
 *   ttile_cm_run:  the cmodel (sim/tile/tile_cm.c): ttile_fn results, estimated cycles.
 *   ttile_rtl_run: the Verilated tile (sim/tile_rtl/); weak, NULL when not linked in.
 *                  fst_path: NULL, or a waveform file. */
int ttile_cm_run(const struct ttile_job *job, struct ttile_counters *ctr, char *err, size_t errlen);
int ttile_rtl_run(const struct ttile_job *job, struct ttile_counters *ctr, const char *fst_path, char *err,
                  size_t errlen) __attribute__((weak));

#endif /* TTILE_H */
