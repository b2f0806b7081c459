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

/* attn_qk / attn_pv (kernel TTILE_FWD / TTILE_BWD_DATA) over groups [0, ng) of st taken from the
 * stream-in port, beat b valid from busy cycle b * period on: the cycles the sequencer waits in
 * StWait for a beat (stall_stream_starved beyond the run's first cycle; 0 when period is 0). */
uint64_t ttile_cm_stream_wait(const struct tsp_stream *st, enum ttile_kernel kernel, uint32_t ng, uint64_t dmax,
                              uint32_t period);

#endif /* TILE_COST_H */
