# The vector-unit kernels' functional model against the float64 references (docs/vector-kernels.md).
$(eval $(call ctest,vec_fn,$(O)/obj/tests/vec/test_vec_fn.o $(TVEC_FN_OBJS) $(NNREF_OBJS) $(TNUM_OBJS)))

# Long tier: tvec_log on every positive finite fp32 input (VEC_LOG_STRIDE=N takes every N-th).
VEC_LOG_BENCH := $(O)/tests/vec_log_bench
$(VEC_LOG_BENCH): $(O)/obj/tests/vec/bench_vec_log.o $(TVEC_FN_OBJS) $(TNUM_OBJS) | need-cc
	@mkdir -p $(@D)
	@echo "  LINK     $@"
	@$(CC) -o $@ $^ $(LDLIBS)
.PHONY: bench-vec-log
BENCHES += bench-vec-log
bench-vec-log: $(VEC_LOG_BENCH)
	$(VEC_LOG_BENCH) $(VEC_LOG_STRIDE)

# Attention's dense GEMMs on the tile's functional model (needs sim/tile and host/sparse).
$(eval $(call ctest,vec_attn,$(O)/obj/tests/vec/test_vec_attn.o $(TVEC_ATTN_OBJS) $(TVEC_FN_OBJS) $(TILE_FN_OBJS) $(KERNELS_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS)))
