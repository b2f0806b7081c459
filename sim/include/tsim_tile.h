/* Low-level C interface to the Verilated compute tile (rtl/tile/ttile_top.sv) of the build's
 * preset. ttile_rtl_run (sim/tile_rtl/tile_rtl.c, declared in ttile.h) is built on it; use that
 * unless you need the tile's backdoor ports directly.
 *
 * One handle is one tile with its own clock. Backdoor loads and reads (banks, weight buffer) take
 * one clock each and are not counted by the tile's counters; tsim_tile_run starts the sequencer
 * on one descriptor and clocks until it reports done. */
#ifndef TSIM_TILE_H
#define TSIM_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tokens a lane can interleave in one pass: acc_depth of the configuration (accumulator and
 * row-operand cache entries per lane). */
#define TSIM_TILE_ACC_DEPTH TESSERA_CFG_ACC_DEPTH
/* Groups the weight buffer holds: a group costs P + 1 words (a header and P slots). */
#define TSIM_TILE_GROUPS (TESSERA_CFG_WEIGHT_BUF_WORDS / (TESSERA_CFG_NNZ_PER_CYCLE + 1u))
/* Shortest hold of a group per kernel (cycles), see docs/tile.md "RTL microarchitecture". */
#define TSIM_TILE_MIN_HOLD_FWD 5u
#define TSIM_TILE_MIN_HOLD_BWD_DATA 7u
/* bwd_weight: groups applied in turn to each token (the window). */
#define TSIM_TILE_WINDOW 5u

/* Weight-buffer header word of a group. */
#define TSIM_TILE_HDR(row, flags) ((uint32_t)(row) | ((uint32_t)(flags) & 3u) << 16)
/* Weight-buffer slot word: column (0xffff: empty) and bf16 weight. */
#define TSIM_TILE_SLOT(col, w) ((uint32_t)(col) << 16 | (uint32_t)(w))

/* The descriptor registers of block `tile` (docs/chip.md, "Tile"; struct ttile_desc has the same
 * fields). The linear-layer driver ttile_rtl_run sets only the first six. */
struct tsim_tile_desc {
  uint32_t kernel;  /* the kernel register: code (enum tile_kernel, enum ttile_kernel for 0..2) and flags */
  uint32_t k;       /* offset of a token's row-indexed operand (Y, dY) in its bank region */
  uint32_t kn;      /* words of one token's bank region (k + n for the linear kernels) */
  uint32_t ntok;    /* tokens of this pass (lane l owns l, l + L, ...) */
  uint32_t tpl;     /* tokens of the fullest lane, >= 1; fwd, bwd_data, vector: at most TSIM_TILE_ACC_DEPTH */
  uint32_t ngroups; /* groups loaded in the weight buffer, 0 .. TSIM_TILE_GROUPS */
  uint32_t off_a, off_b, off_c, off_d, cols, param, row0; /* vector operands (docs/chip.md) */
  uint32_t s[7];    /* scalars s0 .. s6 (s7 is reserved) */
};

/* The tile's counters (cumulative since open or the last clear). */
struct tsim_tile_counters {
  uint64_t busy, macs, conflict, starved, memory, backpressure;
};

typedef struct tsim_tile tsim_tile;

/* Create a tile and reset it. fst_path: NULL, or a waveform file. NULL when out of memory or the
 * trace file cannot be opened. */
tsim_tile *tsim_tile_open(const char *fst_path);
void tsim_tile_close(tsim_tile *t);

/* Backdoor: word `addr` (< TESSERA_CFG_LANE_BANK_WORDS) of every lane's bank; lanes[l] is lane l. */
void tsim_tile_bank_write(tsim_tile *t, uint32_t addr, const uint32_t *lanes);
void tsim_tile_bank_read(tsim_tile *t, uint32_t addr, uint32_t *lanes);
/* Backdoor: weight-buffer entry g (< TSIM_TILE_GROUPS): header and P slot words. */
void tsim_tile_wbuf_write(tsim_tile *t, uint32_t g, uint32_t hdr, const uint32_t *slots);
/* Backdoor: gradient-buffer entry g (< TSIM_TILE_GROUPS): the P fp32 dW words of group g's slots. */
void tsim_tile_gbuf_write(tsim_tile *t, uint32_t g, const uint32_t *slots);
void tsim_tile_gbuf_read(tsim_tile *t, uint32_t g, uint32_t *slots);

/* Run one descriptor to completion. 0, or -1 if the tile did not finish within max_cycles. A
 * descriptor the tile refuses runs nothing (one busy cycle); tsim_tile_code tells. */
int tsim_tile_run(tsim_tile *t, const struct tsim_tile_desc *d, uint64_t max_cycles);
/* Run one descriptor whose groups come from the stream-in port (attn_qk, attn_pv; docs/tile.md,
 * "Stream ports"): beat b (hdr[b], a TSIM_TILE_HDR word, and slots[b * P .. b * P + P - 1]) is
 * presented from the run's busy cycle b * period on (cycle 0: the first busy cycle; period 0:
 * always) until the tile takes it; beats past nbeats are never presented. The tile's stream source
 * is attached (si_en_i) for this run only. 0, or -1 as tsim_tile_run. */
int tsim_tile_run_stream(tsim_tile *t, const struct tsim_tile_desc *d, const uint32_t *hdr, const uint32_t *slots,
                         uint32_t nbeats, uint32_t period, uint64_t max_cycles);
/* A stream source on the stream-in port for one run: beat b (hdr[b], slots[b * P .. b * P + P - 1])
 * is presented from the run's busy cycle b * period on until the tile takes it (period 0: always),
 * as tsim_tile_run_stream presents it; with valid_at set (nbeats entries), from busy cycle
 * valid_at[b] on instead (and never before beat b - 1 is taken; UINT64_MAX: never). taken_at: NULL,
 * or the busy cycle in which the tile takes beat b, b < nbeats (UINT64_MAX: not taken). */
struct tsim_tile_source {
  const uint32_t *hdr;
  const uint32_t *slots;
  uint32_t nbeats;
  uint32_t period;
  const uint64_t *valid_at;
  uint64_t *taken_at;
};
/* A stream sink on the stream-out port for one run (send; docs/tile.md, "Stream ports"): it is
 * ready for the tile's beat b from the run's busy cycle b * period on until it takes it (period 0:
 * always ready); with ready_at set (cap entries), from busy cycle ready_at[b] on instead, and never
 * for a beat past cap. The first cap beats
 * taken are stored (hdr[b], slots[b * P ..]) with their take times in taken_at[b] (NULL: not
 * wanted; UINT64_MAX for b < cap not taken); taken counts every beat taken. */
struct tsim_tile_sink {
  uint32_t *hdr;
  uint32_t *slots;
  uint32_t cap;
  uint32_t period;
  uint32_t taken;
  const uint64_t *ready_at;
  uint64_t *taken_at;
};
/* Run one descriptor with a source and / or a sink attached for this run only (NULL: none; the
 * port's enable is then low). 0, or -1 as tsim_tile_run. */
int tsim_tile_run_ports(tsim_tile *t, const struct tsim_tile_desc *d, const struct tsim_tile_source *src,
                        struct tsim_tile_sink *snk, uint64_t max_cycles);
/* Two tiles clocked together, the producer's stream-out port wired to the consumer's stream-in port
 * (the consumer's si_valid_i, si_hdr_i, si_slots_i are the producer's so_valid_o, so_hdr_o,
 * so_slots_o; the producer's so_ready_i is the consumer's si_ready_o; so_en_i and si_en_i high,
 * the other two enables low). The producer runs pd with its first busy cycle at cycle 0 of the link,
 * the consumer cd with its first at cycle `offset` (negative: the consumer starts first). The beats
 * that cross are stored in snk as a sink stores them (its period and ready_at unused; taken_at in
 * the producer's busy cycles); in_taken_at: NULL, or the consumer's busy cycle of each take, b <
 * in_cap (UINT64_MAX: not taken). Clocks until both tiles are idle: 0, or -1 after max_cycles. */
int tsim_tile_run_link(tsim_tile *prod, const struct tsim_tile_desc *pd, tsim_tile *cons,
                       const struct tsim_tile_desc *cd, int64_t offset, struct tsim_tile_sink *snk,
                       uint64_t *in_taken_at, uint32_t in_cap, uint64_t max_cycles);
/* One run of a tile in a link of scheduled runs: descriptor d, to start with its first busy cycle at
 * link cycle `at` (>= 1), or as soon as the tile is free if its previous run is still on then (a
 * run can start two cycles after the previous one's last busy cycle, at the earliest). began and
 * ended: its first and last busy cycles, code its status, ctr its own counters (out). */
struct tsim_tile_run {
  struct tsim_tile_desc d;
  int64_t at;
  int64_t began, ended;
  uint32_t code;
  struct tsim_tile_counters ctr;
};
/* tsim_tile_run_link with a sequence of runs on each tile (pr: the producer's npr, cr: the
 * consumer's ncr, each in order): the beats that cross in snk as there, their take times
 * (snk->taken_at and in_taken_at, b < in_cap) in link cycles. Clocks until every run has ended: 0,
 * or -1 after max_cycles. */
int tsim_tile_run_link_runs(tsim_tile *prod, struct tsim_tile_run *pr, uint32_t npr, tsim_tile *cons,
                            struct tsim_tile_run *cr, uint32_t ncr, struct tsim_tile_sink *snk, uint64_t *in_taken_at,
                            uint32_t in_cap, uint64_t max_cycles);
/* The status code of the last run: 0, or 2 / 3 / 4 (docs/tile.md, "One descriptor run"; 3 also
 * for a malformed stream, found as the run goes). */
uint32_t tsim_tile_code(const tsim_tile *t);
void tsim_tile_counters(const tsim_tile *t, struct tsim_tile_counters *c);
void tsim_tile_clear_counters(tsim_tile *t);
/* Every clock edge simulated so far (backdoor and runs): for simulation-speed figures. */
uint64_t tsim_tile_sim_cycles(const tsim_tile *t);

#ifdef __cplusplus
}
#endif
#endif /* TSIM_TILE_H */
