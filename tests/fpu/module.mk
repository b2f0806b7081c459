# Tests of the RTL numerics units (rtl/fpu/) through the harness of sim/fpu/: against the IEEE
# reference (tests/numerics/ref_ieee.h) and the C golden library ($(TNUM_OBJS), common/numerics/)
# on the same vectors. make-test tier: the fpu_rtl suite. Long tier: make bench-numerics-rtl-long.
# One IEEE reference for the library's tests and the RTL's.
$(O)/obj/tests/fpu/test_fpu_rtl.o $(O)/obj/tests/fpu/fpu_check_long.o: CFLAGS += -Itests/numerics
$(eval $(call ctest,fpu_rtl,$(O)/obj/tests/fpu/test_fpu_rtl.o $(FPU_MODEL) $(TNUM_OBJS)))

# Long tier: FPU_LONG_N random vectors of every exact op (default 4M; bf16/fp8 -> f32 exhaustive),
# RTL against the IEEE reference and the library; prints a mismatch table, fails on any mismatch.
FPU_LONG := $(O)/tests/fpu_check_long
FPU_LONG_N ?= 4000000
$(FPU_LONG): $(O)/obj/tests/fpu/fpu_check_long.o $(FPU_MODEL) $(TNUM_OBJS) | need-cxx
	@mkdir -p $(@D)
	@echo "  LINK     $@"
	@$(CXX) -o $@ $^ $(LDLIBS) $(VL_LDLIBS)
.PHONY: bench-numerics-rtl-long
BENCHES += bench-numerics-rtl-long
bench-numerics-rtl-long: $(FPU_LONG)
	$(FPU_LONG) --n $(FPU_LONG_N)
