# The numerics library (common/numerics/): the bit-exact golden model of the arithmetic units.
# TNUM_OBJS: link these to use tessera/numerics.h (host objects; the library is integer-only and
# freestanding, so firmware may compile the same sources for rv32im).
TNUM_SRCS := $(sort $(wildcard common/numerics/*.c))
TNUM_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(TNUM_SRCS))
TESSERA_OBJS += $(TNUM_OBJS)

# Every library file compiles for the controller: rv32im, no FPU, freestanding (plain suite).
# -nostdinc with only GCC's own header directory leaves the freestanding headers (stdint.h,
# stddef.h, stdbool.h, ...): an #include of stdio.h, math.h or stdlib.h fails. The objects may
# call nothing outside the library: no libgcc helper, no soft-float routine (float or double).
TNUM_RV32_CFLAGS := -march=rv32im -mabi=ilp32 -ffreestanding -nostdlib -std=c11 -O2 -Wall -Wextra -Werror -Icommon/include \
                    -nostdinc -isystem $(shell $(RISCV_PREFIX)gcc -print-file-name=include 2>/dev/null)
TNUM_RV32_OBJS := $(patsubst %.c,$(O)/rv32/%.o,$(TNUM_SRCS))
$(O)/rv32/common/numerics/%.o: common/numerics/%.c $(wildcard common/numerics/*.h) common/include/tessera/numerics.h common/include/tessera/fpu_ops.h | need-riscv
	@mkdir -p $(@D)
	@echo "  RV32CC   $<"
	@$(RISCV_PREFIX)gcc $(TNUM_RV32_CFLAGS) -c $< -o $@
.PHONY: numerics-rv32-build
numerics-rv32-build: $(TNUM_RV32_OBJS)
	@ext=$$($(RISCV_PREFIX)nm -u $^ | awk 'NF == 2 && $$2 !~ /^tnum_/ { print $$2 }' | sort -u | tr '\n' ' '); \
	if [ -n "$$ext" ]; then echo "numerics: the rv32 library calls outside itself: $$ext"; exit 1; fi; \
	echo "numerics: $(words $^) files build for rv32im, freestanding, integer only"
SUITES += numerics_rv32_build
SUITE_numerics_rv32_build_MODE := plain
SUITE_numerics_rv32_build_CMD  := $(MAKE) --no-print-directory BUILD=$(BUILD) PRESET=$(PRESET) numerics-rv32-build
SUITE_numerics_rv32_build_DEPS :=

# Exact operations against the host's IEEE arithmetic (fixed seeds, the make-test tier).
$(eval $(call ctest,numerics_exact,$(O)/obj/tests/numerics/test_exact.o $(TNUM_OBJS)))

# `tessera fpu` (host/cli/cmd_fpu.c): the library and the RTL units (sim/fpu/) from the command line.
TESSERA_OBJS += $(O)/obj/host/cli/cmd_fpu.o
# `tessera fpu` on both backends (TAP script).
SUITES += numerics_fpu_cli
SUITE_numerics_fpu_cli_MODE := tap
SUITE_numerics_fpu_cli_CMD  := tests/numerics/test_fpu_cli.sh $(BIN)/tessera
SUITE_numerics_fpu_cli_DEPS := $(BIN)/tessera

# Long tier: millions of random vectors per exact operation against the IEEE reference.
TNUM_BENCH := $(O)/tests/numerics_bench
$(TNUM_BENCH): $(O)/obj/tests/numerics/bench_exact.o $(TNUM_OBJS) | need-cc
	@mkdir -p $(@D)
	@echo "  LINK     $@"
	@$(CC) -o $@ $^ $(LDLIBS)
.PHONY: bench-numerics-c
BENCHES += bench-numerics-c
bench-numerics-c: $(TNUM_BENCH)
	$(TNUM_BENCH) $(TNUM_BENCH_ARGS)

# `tessera fpu` throughput: one million random f32_fma lines on each backend, outputs compared.
.PHONY: bench-numerics-cli
BENCHES += bench-numerics-cli
bench-numerics-cli: $(BIN)/tessera
	@mkdir -p $(O)/numerics
	@awk 'BEGIN { srand(7); for (i = 0; i < 1000000; i++) { l = "f32_fma"; \
	  for (j = 0; j < 3; j++) l = l sprintf(" %04x%04x", int(rand() * 65536), int(rand() * 65536)); print l } }' \
	  > $(O)/numerics/fma1m.txt
	@for b in cmodel rtl; do \
	  s=$$(date +%s.%N); $(BIN)/tessera fpu --backend $$b < $(O)/numerics/fma1m.txt > $(O)/numerics/fma1m.$$b || exit 1; \
	  e=$$(date +%s.%N); awk -v b=$$b -v s=$$s -v e=$$e 'BEGIN { printf "tessera fpu --backend %-6s 1000000 f32_fma lines: %.2f s, %.3g lines/s\n", b, e - s, 1e6 / (e - s) }'; \
	done
	@cmp -s $(O)/numerics/fma1m.cmodel $(O)/numerics/fma1m.rtl && echo "rtl and cmodel outputs identical" || { echo "rtl and cmodel outputs DIFFER"; exit 1; }
