# The compute tile's C side: the functional model in the documented summation order (ttile_fn.c),
# the cmodel backend (tile_cm.c: ttile_fn results and a cycle estimate), the `tessera kernel`
# command (host/cli/cmd_kernel.c) and `make bench-tile`. docs/tile.md, docs/kernels.md.
# Link $(TILE_CM_OBJS) (which includes the functional model) with $(SPARSE_OBJS) and $(TNUM_OBJS).
TILE_FN_OBJS := $(O)/obj/sim/tile/ttile_fn.o
TILE_CM_OBJS := $(O)/obj/sim/tile/tile_cm.o $(TILE_FN_OBJS)
# One descriptor run on a tile's memories (ttile_exec.h, tile_exec.c): link $(TILE_EXEC_OBJS) with
# $(TVEC_FN_OBJS) and $(TNUM_OBJS).
TILE_EXEC_OBJS := $(O)/obj/sim/tile/tile_exec.o $(TILE_CM_OBJS)
TESSERA_OBJS += $(TILE_EXEC_OBJS) $(O)/obj/host/cli/cmd_kernel.o
# The numerics library, unless its own fragment already links it into tessera.
TESSERA_OBJS += $(filter-out $(TESSERA_OBJS),$(TNUM_OBJS))

# make bench-tile: the issue's performance table (m=128, k=n=256, this preset; rtl when linked).
BENCHES += bench-tile
.PHONY: bench-tile
bench-tile: $(BIN)/tessera
	@tests/tile/bench_tile.sh $(BIN)/tessera
