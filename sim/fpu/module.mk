# Numerics units (rtl/fpu/): the Verilated top, its C-callable harness (sim/include/tsim_fpu.h),
# a Yosys read check and `make bench-numerics`.
FPU_RTL := rtl/fpu/tnum_lzc.sv rtl/fpu/tnum_pipe.sv rtl/fpu/tnum_fma.sv rtl/fpu/tnum_f32_to_bf16.sv \
           rtl/fpu/tnum_bf16_to_f32.sv rtl/fpu/tnum_f32_to_fp8.sv rtl/fpu/tnum_fp8_to_f32.sv \
           rtl/fpu/tnum_fpu_top.sv
FPU_RTL := rtl/fpu/tnum_approx_pkg.sv $(FPU_RTL) rtl/fpu/tnum_approx_pack.sv rtl/fpu/tnum_recip_step.sv rtl/fpu/tnum_rsqrt_step.sv rtl/fpu/tnum_exp2_core.sv rtl/fpu/tnum_exp.sv rtl/fpu/tnum_recip.sv rtl/fpu/tnum_rsqrt.sv rtl/fpu/tnum_tanh.sv rtl/fpu/tnum_gelu.sv rtl/fpu/tnum_approx_units.sv
$(eval $(call vmodel,fpu,tnum_fpu_top,$(FPU_RTL)))
FPU_EMPTY :=
FPU_SPACE := $(FPU_EMPTY) $(FPU_EMPTY)
FPU_COMMA := ,
LINT_TOPS += tnum_fpu_top:$(subst $(FPU_SPACE),$(FPU_COMMA),$(strip $(FPU_RTL)))

FPU_MODEL := $(O)/obj/sim/fpu/fpu_model.vl_fpu.o $(VMODEL_fpu_LIB) $(VL_RT)
TESSERA_LIBS += $(FPU_MODEL)

# Yosys 0.23 reads every unit (plain suite, part of make test).
SUITES += fpu_yosys_read
SUITE_fpu_yosys_read_MODE := plain
SUITE_fpu_yosys_read_CMD  := $(YOSYS) -q -p "read_verilog -sv $(FPU_RTL); hierarchy -top tnum_fpu_top; proc; check -assert"
SUITE_fpu_yosys_read_DEPS :=

# make bench-numerics: 1M random operations per implemented op through tsim_fpu_run; prints
# operations, simulated cycles, wall seconds and operations per second (FPU_BENCH_ARGS="--n N").
FPU_BENCH := $(O)/bench/fpu_bench
$(FPU_BENCH): $(O)/obj/sim/fpu/fpu_bench.o $(FPU_MODEL) | need-cxx
	@mkdir -p $(@D)
	@echo "  LINK     $@"
	@$(CXX) -o $@ $^ $(LDLIBS) $(VL_LDLIBS)
.PHONY: bench-numerics
BENCHES += bench-numerics
bench-numerics: $(FPU_BENCH)
	$(FPU_BENCH) $(FPU_BENCH_ARGS)
