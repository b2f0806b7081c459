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

/* A take time that never comes: a beat never presented (valid_at), a sink never ready (ready_at),
 * a beat never taken (taken_at). */
#define TTILE_NEVER UINT64_MAX
/* A send's first beat is in its output register from the run's busy cycle TTILE_SEND_FILL on (the
 * read, then the register: those cycles are its stall_memory); each later beat from the cycle after
 * its predecessor is taken (docs/tile.md, "Stream ports"). */
#define TTILE_SEND_FILL 2u

/* The source on a tile's stream-in port for one run of attn_qk or attn_pv (docs/tile.md, "Stream
 * ports"): beats b = 0 .. nbeats-1, each one weight group (hdr[b] in the wb_hdr layout, slot[b] as
 * wb_slot). Busy cycle 0 is the run's first cycle. valid_at NULL: beat b is presented (valid) from
 * busy cycle b * period on (period 0: always valid) until the tile takes it. valid_at set (nbeats
 * entries): beat b is presented from busy cycle valid_at[b] on, and never before beat b-1 has been
 * taken, until the tile takes it (TTILE_NEVER: never presented); period is then unused. taken_at:
 * NULL, or set by the run to the busy cycle in which the tile takes beat b, b < nbeats (TTILE_NEVER:
 * not taken, as every beat from ngroups on and every beat of a refused run; a malformed stream, code
 * 3 found as the RTL runs: the RTL's take times, the cmodel's TTILE_NEVER). Both models take this pattern as an input, so the
 * cycles the tile waits for a beat (stall_stream_starved) and the take times agree. */
struct ttile_instream {
  const uint32_t *hdr;
  const uint32_t (*slot)[TESSERA_CFG_NNZ_PER_CYCLE];
  uint32_t nbeats;
  uint32_t period;
  const uint64_t *valid_at;
  uint64_t *taken_at;
};

/* The sink on a tile's stream-out port for one run of send (docs/tile.md, "Stream ports"):
 * ready_at NULL: it is ready for the tile's beat b from the run's busy cycle b * period on (period 0:
 * always ready) until it takes it; ready_at set (cap entries): from busy cycle ready_at[b] on until
 * it takes it (period unused). The cycles the tile holds a beat the sink is not ready for are
 * stall_backpressure. The run stores its beats in hdr[b] (wb_hdr layout) and slot[b] (wb_slot
 * layout), b < cap, and sets nbeats to the number it sent; taken_at: NULL, or set to the busy cycle
 * in which the sink takes beat b, b < nbeats (TTILE_NEVER for b < cap not taken). */
struct ttile_outstream {
  uint32_t *hdr;
  uint32_t (*slot)[TESSERA_CFG_NNZ_PER_CYCLE];
  uint32_t cap;
  uint32_t period;
  uint32_t nbeats;
  const uint64_t *ready_at;
  uint64_t *taken_at;
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
 * descriptor's ngroups groups from it, never the weight buffer; -1 when it has fewer beats or one of
 * the first ngroups is never valid (TTILE_NEVER in valid_at): the tile would wait for ever. */
int ttile_cm_exec_stream(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                         struct ttile_counters *ctr);
/* The same with a source (in) and a sink (out) attached, either NULL: none. Without a sink, send is
 * code 2 (a tile whose stream-out port is tied off); with one, -1 when its cap is smaller than
 * ttile_send_beats(d) or it is never ready for one of them (TTILE_NEVER in ready_at). */
int ttile_cm_exec_io(struct ttile_state *st, const struct ttile_desc *d, const struct ttile_instream *in,
                     struct ttile_outstream *out, struct ttile_counters *ctr);

/* The take times of beats 0 .. known-1 (known <= ngroups, known <= in->nbeats) of an attn_qk or
 * attn_pv run of descriptor d (which the caller has checked: ttile_cm_exec_io would run it) on the
 * source `in` (valid_at or the period rule; in->taken_at unused), when only those beats exist: the
 * run is causal, so they are the full run's take times of those beats. taken_at[b] = the busy cycle
 * in which the tile takes beat b, TTILE_NEVER once a beat is never presented. Beat 0 is taken in
 * the first cycle it is valid (the run waits for it in its first state, stream-starved); beat b + 1
 * in the later of the last cycle of group b (take + its subgroups x hold) and its valid time. No
 * stream checks; cost linear in known. 0, or -1 on bad arguments (NULL, not an attn kernel, known
 * too large). */
int ttile_cm_attn_takes(const struct ttile_desc *d, const struct ttile_instream *in, uint32_t known, uint64_t *taken_at);

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

/* Two tiles linked (docs/tile.md, "Linking two tiles"): the producer's stream-out port wired to the
 * consumer's stream-in port. The producer (state prod) runs send (pd) with its first busy cycle at
 * cycle 0, the consumer (cons) attn_qk or attn_pv (cd) with its first at cycle `offset` (negative:
 * the consumer starts first). The beats that cross are stored in out (hdr, slot, cap; nbeats set;
 * taken_at: NULL or the producer's busy cycle of each take; period and ready_at unused);
 * in_taken_at: NULL, or the consumer's busy cycle of each take, b < cd->ngroups. codes[0], ctr[0]:
 * the producer's status and counters, codes[1], ctr[1] the consumer's.
 *
 * ttile_cm_exec_link is built only from the primitives above, as the chip cmodel couples its
 * tiles: the consumer's run on the producer's beats, each valid from its busy cycle
 * max(0, 2 - offset) (the producer's first beat is in its output register from its busy cycle 2, a
 * later one from the cycle after its predecessor is taken), then the producer's run on a sink ready
 * for beat b from busy cycle (the consumer's take of b) + offset. 0, or -1: a NULL argument, the
 * producer not send or the consumer not attn, out->cap below the send's beats, or a pair that would
 * not finish (the producer refused while the consumer waits for beats, the consumer refused or
 * taking fewer beats than the send has while the producer waits for it to take them, or a malformed
 * stream of beats for the consumer, code 3 on the consumer alone).
 * ttile_rtl_exec_link: the same on two Verilated tiles clocked together (weak: NULL when not linked
 * in); -1 with a one-line reason in err on a bad argument or when they do not finish. fst_path:
 * NULL, or a waveform file of the producer. */
int ttile_cm_exec_link(struct ttile_state *prod, const struct ttile_desc *pd, struct ttile_state *cons,
                       const struct ttile_desc *cd, int64_t offset, struct ttile_outstream *out, uint64_t *in_taken_at,
                       int codes[2], struct ttile_counters ctr[2]);
int ttile_rtl_exec_link(struct ttile_state *prod, const struct ttile_desc *pd, struct ttile_state *cons,
                        const struct ttile_desc *cd, int64_t offset, struct ttile_outstream *out, uint64_t *in_taken_at,
                        int codes[2], struct ttile_counters ctr[2], const char *fst_path, char *err, size_t errlen)
    __attribute__((weak));

/* The general link: a sequence of send runs on the producer and of attn_qk / attn_pv runs on the
 * consumer, each run (struct ttile_link_run) starting with its first busy cycle at link cycle `at`
 * (>= 1), or as soon as its tile is free (two cycles after its previous run's last busy cycle) if
 * that is later; the beats of all sends, in order, feed the consumer's runs in order (the sends'
 * beats in total = the consumer runs' ngroups in total; a run's beats need not align with a send's).
 * began, ended, code, ctr: each run's first and last busy cycles, status and counters (out). The
 * beats are stored in out (hdr, slot, cap >= their total; nbeats; taken_at: NULL or the link cycle
 * of each take); in_taken_at: NULL, or the same times (both sides take a beat in the same edge).
 *
 * ttile_cm_exec_link_runs is the coupling rule built from the primitives (docs/tile.md, "Linking two
 * tiles"): beats in order; a beat that is the first of its send is valid from that send's busy cycle
 * 2 (the send starting at max(at, the previous send's last take + 2)), any other from the cycle after
 * its predecessor is taken (the source's rule); the consumer run's take times from
 * ttile_cm_attn_takes on the prefix known so far when a later send's start depends on them; each
 * send on a sink ready for its beat b at the consumer's take. 0, or -1: a bad argument, or a run
 * refused or ending with a nonzero status (not modelled: the pair would not finish, or the RTL's
 * malformed-stream run goes on taking beats). ttile_rtl_exec_link_runs: on two Verilated tiles
 * clocked together (weak), -1 with a reason in err when they do not finish. */
struct ttile_link_run {
  struct ttile_desc d;
  int64_t at;
  int64_t began, ended;
  int code;
  struct ttile_counters ctr;
};
int ttile_cm_exec_link_runs(struct ttile_state *prod, struct ttile_link_run *pr, uint32_t npr, struct ttile_state *cons,
                            struct ttile_link_run *cr, uint32_t ncr, struct ttile_outstream *out, uint64_t *in_taken_at);
int ttile_rtl_exec_link_runs(struct ttile_state *prod, struct ttile_link_run *pr, uint32_t npr, struct ttile_state *cons,
                             struct ttile_link_run *cr, uint32_t ncr, struct ttile_outstream *out, uint64_t *in_taken_at,
                             const char *fst_path, char *err, size_t errlen) __attribute__((weak));

#ifdef __cplusplus
}
#endif
#endif /* TTILE_EXEC_H */
