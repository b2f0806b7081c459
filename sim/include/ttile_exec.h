/* One compute tile as the chip sees it: its memories (lane banks, weight buffer, gradient buffer)
 * and one run of a descriptor, as the tile register block describes it (docs/chip.md, "Tile";
 * spec/tessera.toml block `tile`, enum `tile_kernel`).
 *
 * ttile_cm_exec is the cmodel of a run: the results the RTL tile writes, in the summation orders
 * of docs/tile.md and docs/vector-kernels.md, and the RTL's cycle and stall counts. The chip
 * cmodel (sim/chip/) owns one struct ttile_state per tile; its DMA model reads and writes the
 * arrays directly. */
#ifndef TTILE_EXEC_H
#define TTILE_EXEC_H

#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "ttile.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TTILE_GROUPS (TESSERA_CFG_WEIGHT_BUF_WORDS / (TESSERA_CFG_NNZ_PER_CYCLE + 1u))

/* A tile's memories. bank[l][a]: word a of lane l's bank. wb_hdr[g]: group g's header
 * (row | flags << 16, the TSIM_TILE_HDR layout); wb_slot[g][p]: slot p (column << 16 | bf16 weight,
 * column 0xffff empty). gbuf[g][p]: fp32 dW of group g slot p. Large: allocate on the heap. */
struct ttile_state {
  uint32_t bank[TESSERA_CFG_LANES][TESSERA_CFG_LANE_BANK_WORDS];
  uint32_t wb_hdr[TTILE_GROUPS];
  uint32_t wb_slot[TTILE_GROUPS][TESSERA_CFG_NNZ_PER_CYCLE];
  uint32_t gbuf[TTILE_GROUPS][TESSERA_CFG_NNZ_PER_CYCLE];
};

/* The descriptor registers of block `tile`, as written (kernel: the whole register, code and
 * flags; s[i]: s0..s7). */
struct ttile_desc {
  uint32_t kernel, k, kn, ntok, tpl, ngroups;
  uint32_t off_a, off_b, off_c, off_d, cols, param, row0;
  uint32_t s[8];
};

/* The source on a tile's stream-in port for one run of attn_qk or attn_pv (docs/tile.md, "Stream
 * ports"): beats b = 0 .. nbeats-1, each one weight group (hdr[b] in the wb_hdr layout, slot[b] as
 * wb_slot). Beat b is presented (valid) from the run's busy cycle b * period on (cycle 0 is the
 * first busy cycle; period 0: always valid) until the tile takes it. Both models take this
 * pattern as an input, so the cycles the tile waits for a beat (stall_stream_starved) agree. */
struct ttile_instream {
  const uint32_t *hdr;
  const uint32_t (*slot)[TESSERA_CFG_NNZ_PER_CYCLE];
  uint32_t nbeats;
  uint32_t period;
};

/* The sink on a tile's stream-out port for one run of send (docs/tile.md, "Stream ports"): it is
 * ready for the tile's beat b from the run's busy cycle b * period on (period 0: always ready)
 * until it takes it; the cycles the tile holds a beat the sink is not ready for are
 * stall_backpressure. The run stores its beats in hdr[b] (wb_hdr layout) and slot[b] (wb_slot
 * layout), b < cap, and sets nbeats to the number it sent. */
struct ttile_outstream {
  uint32_t *hdr;
  uint32_t (*slot)[TESSERA_CFG_NNZ_PER_CYCLE];
  uint32_t cap;
  uint32_t period;
  uint32_t nbeats;
};

/* Beats a send run of descriptor d presents: ntok rows of ceil(cols / P) groups. */
uint64_t ttile_send_beats(const struct ttile_desc *d);

/* Run one descriptor. Returns 0, or the tile.status.code the RTL reports for it (2 unknown kernel,
 * 3 operands outside the bank or weight buffer or an inconsistent shape, or a malformed stream of
 * groups, 4 a label outside its row; docs/tile.md, "One descriptor run", lists every case): nothing
 * is written then; ctr->cycles and
 * ctr->busy are 1 and the other counters 0 (code 4: the cycles of loading and checking the labels,
 * 2 max(tpl, 9) + 2). Otherwise state holds the results (rows r < ntok only) and *ctr the run's
 * counters (cycles = busy = the cycles the tile is busy with this run; the vector
 * unit's schedule is docs/tile.md's "Vector unit"). -1: a NULL argument or out of memory. */
int ttile_cm_exec(struct ttile_state *st, const struct ttile_desc *d, struct ttile_counters *ctr);
/* The same with a stream source attached (in may be NULL: none; attn_qk and attn_pv are then code 2,
 * as on a tile whose stream-in port is tied off). With a source, attn_qk and attn_pv read the
 * descriptor's ngroups groups from it, never the weight buffer; -1 when it has fewer beats (the
 * tile would wait for ever). */
int ttile_cm_exec_stream(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                         struct ttile_counters *ctr);
/* The same with a source (in) and a sink (out) attached, either NULL: none. Without a sink, send is
 * code 2 (a tile whose stream-out port is tied off); with one, -1 when its cap is smaller than
 * ttile_send_beats(d). */
int ttile_cm_exec_io(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                     struct ttile_outstream *out, struct ttile_counters *ctr);

/* The same run on the Verilated tile (sim/tile_rtl/tile_rtl.c; weak: NULL when not linked in):
 * bank words 0 .. max(tpl * kn, the param vector's end) - 1 of every lane and weight- and
 * gradient-buffer entries 0 .. ngroups-1 are loaded by backdoor, the descriptor runs, the same
 * words are read back. Returns what ttile_cm_exec returns for the descriptor, with the tile's
 * counters; -1 with a one-line reason in err when the tile cannot be opened or does not finish.
 * A malformed stream is code 3 on both, but they agree on the code only: the tile finds it as the
 * run goes, runs its schedule to the end (its cycles, not ttile_cm_exec's 1) and stops writing at
 * the first malformed group, so its output operand (fwd, attn_qk: Y; bwd_data, attn_pv: dX;
 * bwd_weight: the run's gradient-buffer entries) is undefined, while every other word is as
 * before, as on the cmodel, which writes nothing.
 * fst_path: NULL, or a waveform file. */
int ttile_rtl_exec(struct ttile_state *st, const struct ttile_desc *d, struct ttile_counters *ctr, const char *fst_path,
                   char *err, size_t errlen) __attribute__((weak));
/* ttile_rtl_exec with the stream source `in` on the tile's stream-in port (NULL: none). */
int ttile_rtl_exec_stream(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                          struct ttile_counters *ctr, const char *fst_path, char *err, size_t errlen)
    __attribute__((weak));
/* ttile_rtl_exec with a source (in) and a sink (out) on the tile's stream ports, either NULL. */
int ttile_rtl_exec_io(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                      struct ttile_outstream *out, struct ttile_counters *ctr, const char *fst_path, char *err,
                      size_t errlen) __attribute__((weak));

#ifdef __cplusplus
}
#endif
#endif /* TTILE_EXEC_H */
