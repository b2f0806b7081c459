# The RTL compute tile (ttile_rtl_run) against the functional model ttile_fn, bit for bit.
$(eval $(call ctest,tile_rtl,$(O)/obj/tests/tile_rtl/test_tile_rtl.o $(TILE_RTL_MODEL) $(TILE_FN_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS)))
# One descriptor of every kernel on the RTL tile (ttile_rtl_exec) against ttile_cm_exec: all words, all counters
# (attn_qk and attn_pv with a stream source: ttile_rtl_exec_stream against ttile_cm_exec_stream).
$(eval $(call ctest,tile_exec_rtl,$(O)/obj/tests/tile_rtl/test_tile_exec_rtl.o $(TILE_RTL_MODEL) $(TILE_EXEC_OBJS) $(TVEC_ATTN_OBJS) $(TVEC_FN_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS)))
# The RTL tile's stream check: a malformed stream (each kind, weight buffer and stream-in port) is code 3
# on both backends and the RTL writes nothing outside the run's output operand (ttile_rtl_exec against ttile_cm_exec).
$(eval $(call ctest,tile_stream_check,$(O)/obj/tests/tile_rtl/test_tile_stream_check.o $(TILE_RTL_MODEL) $(TILE_EXEC_OBJS) $(TVEC_FN_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS)))

# make bench-tile-rtl: the RTL tile alone at m = 128, k = n = 256 (minutes; never part of make test).
TILE_RTL_BENCH := $(O)/tests/bench_tile_rtl
$(TILE_RTL_BENCH): $(O)/obj/tests/tile_rtl/bench_tile_rtl.o $(TILE_RTL_MODEL) $(TILE_FN_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS) | need-cxx
	@mkdir -p $(@D)
	@echo "  LINK     $@"
	@$(CXX) -o $@ $^ $(LDLIBS) $(VL_LDLIBS)
.PHONY: bench-tile-rtl
BENCHES += bench-tile-rtl
bench-tile-rtl: $(TILE_RTL_BENCH)
	$(TILE_RTL_BENCH)
# Exact stream timing (RTL == cmodel): attn_qk / attn_pv on sources of valid times, send on sinks of
# ready times, every take time; ttile_cm_attn_takes on prefixes; two tiles linked (send -> attn).
$(eval $(call ctest,tile_stream_timing,$(O)/obj/tests/tile_rtl/test_tile_stream_timing.o $(TILE_RTL_MODEL) $(TILE_EXEC_OBJS) $(TVEC_FN_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS)))
