/* The linear kernels' cost model of the RTL tile's sequencer (sim/tile/tile_cm.c), shared by the
 * job-level cmodel (ttile_cm_run) and the descriptor-level one (ttile_cm_exec, tile_exec.c). */
#ifndef TILE_COST_H
#define TILE_COST_H

#include <stdint.h>

#include "tessera/sparse.h"
#include "ttile.h"

/* Adds to *c (busy, stall_stream_starved, stall_bank_conflict, stall_memory) the counters of one
 * sequencer run of `kernel` over groups [g0, g1) of st (a chunk of whole rows that the weight
 * buffer holds) for a pass whose fullest lane has dmax tokens. g0 == g1 is a run without groups
 * (the drain alone). */
void ttile_cm_run_cost(const struct tsp_stream *st, enum ttile_kernel kernel, uint32_t g0, uint32_t g1,
                       uint64_t dmax, struct ttile_counters *c);

/* fwd / bwd_data (attn_qk / attn_pv: TTILE_FWD / TTILE_BWD_DATA): the cycles group g of st holds
 * the sequencer, from the cycle after its read (or take) to its last issue, for a pass whose
 * fullest lane has dmax tokens: its subgroups times the hold max(dmax, the kernel's minimum). Only
 * group g's row, flags and columns and st->k, st->p, st->s are read (no stream checks). */
uint64_t ttile_cm_group_cycles(const struct tsp_stream *st, enum ttile_kernel kernel, uint32_t g, uint64_t dmax);

#endif /* TILE_COST_H */
