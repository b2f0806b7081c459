# Vector-unit approximations (exp, recip, rsqrt, tanh, GELU): common/numerics/tnum_approx.c and
# rtl/fpu/tnum_{exp,recip,rsqrt,tanh,gelu}.sv. docs/numerics.md, "Vector-unit functions".

# The generated tables (C header and RTL package) match tools/gen_numerics_tables.py.
SUITES += numerics_approx_tables
SUITE_numerics_approx_tables_MODE := plain
SUITE_numerics_approx_tables_CMD  := $(PYTHON) tools/gen_numerics_tables.py --check
SUITE_numerics_approx_tables_DEPS :=

# The C functions against double-precision libm: bounds, special values, worst errors.
$(eval $(call ctest,numerics_approx,$(O)/obj/tests/numerics/test_approx.o $(TNUM_OBJS)))

# The RTL units against the C functions on the same vectors (through sim/include/tsim_fpu.h).
$(eval $(call ctest,fpu_approx,$(O)/obj/tests/fpu/test_fpu_approx.o $(FPU_MODEL) $(TNUM_OBJS)))

# Long tier: every one of the 2^32 inputs of each function against libm (minutes per function;
# APPROX_FNS="exp recip" restricts it).
APPROX_FNS ?=
.PHONY: bench-approx
BENCHES += bench-approx
bench-approx: $(O)/tests/numerics_approx
	$(O)/tests/numerics_approx --exhaustive $(APPROX_FNS)
