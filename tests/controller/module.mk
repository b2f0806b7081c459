# Controller tests: CMocka suites of the ISS, the ELF loader and the firmware's printf; the
# run-elf TAP suite over every firmware test (tests/controller/run_elf_tests.sh); the benchmark.
$(eval $(call ctest,controller_iss,$(O)/obj/tests/controller/test_iss.o $(TISS_OBJS)))

CONTROLLER_ELF_FIXTURE := $(O)/fw/test_hello.elf
$(O)/obj/tests/controller/test_elf.o: CFLAGS += -DTEST_ELF='"$(CONTROLLER_ELF_FIXTURE)"'
$(O)/obj/tests/controller/test_elf.o: tests/controller/module.mk
$(eval $(call ctest,controller_elf,$(O)/obj/tests/controller/test_elf.o $(TSIM_ELF_OBJS)))
SUITE_controller_elf_DEPS += $(CONTROLLER_ELF_FIXTURE)

$(O)/obj/tests/controller/test_printf.o $(O)/obj/firmware/lib/tfw_format.o: CFLAGS += -Ifirmware/include
$(eval $(call ctest,firmware_printf,$(O)/obj/tests/controller/test_printf.o $(O)/obj/firmware/lib/tfw_format.o))

# run-elf on every firmware test with the cmodel backend, the rtl backend and rtl --cosim.
SUITES += controller_run_elf controller_run_elf_rtl controller_run_elf_cosim
SUITE_controller_run_elf_MODE := tap
SUITE_controller_run_elf_CMD  := tests/controller/run_elf_tests.sh $(BIN)/tessera $(O)/fw cmodel
SUITE_controller_run_elf_DEPS := $(BIN)/tessera $(FW_PROGS)
SUITE_controller_run_elf_rtl_MODE := tap
SUITE_controller_run_elf_rtl_CMD  := tests/controller/run_elf_tests.sh $(BIN)/tessera $(O)/fw rtl
SUITE_controller_run_elf_rtl_DEPS := $(BIN)/tessera $(FW_PROGS)
SUITE_controller_run_elf_cosim_MODE := tap
SUITE_controller_run_elf_cosim_CMD  := tests/controller/run_elf_tests.sh $(BIN)/tessera $(O)/fw rtl --cosim
SUITE_controller_run_elf_cosim_DEPS := $(BIN)/tessera $(FW_PROGS)

# --- Bare-metal programs built against nothing of ours (tests/controller/baremetal/) -----------
# Own _start and linker script, only the ABI's addresses; without a C library (bm_plain) and with
# picolibc (bm_libc: printf through a put hook, string functions, qsort, strtol), at -O2 and -Os.
# The same source built for the host prints the expected output (tests/controller/baremetal.sh).
BM_DIR   := $(O)/baremetal
BM_SRC   := tests/controller/baremetal
BM_PICO  ?= /usr/lib/picolibc/riscv64-unknown-elf
BM_WARN  := -std=c11 -Wall -Wextra -Werror
BM_RVFLAGS := -march=rv32im -mabi=ilp32 -ffreestanding -nostdlib -nostartfiles -static $(BM_WARN) \
              -ffunction-sections -fdata-sections -Wl,--gc-sections -T $(BM_SRC)/link.ld
BM_OPTS  := O2 Os
BM_ELFS  := $(foreach o,$(BM_OPTS),$(BM_DIR)/bm_plain_$(o).elf $(BM_DIR)/bm_libc_$(o).elf) $(BM_DIR)/bm_plain_gap.elf
BM_HOSTS := $(BM_DIR)/bm_plain_host $(BM_DIR)/bm_libc_host
BM_DEPS  := $(BM_SRC)/bm_main.c $(BM_SRC)/start.S $(BM_SRC)/link.ld tests/controller/module.mk

$(BM_DIR)/bm_plain_%.elf: $(BM_DEPS) $(BM_SRC)/bm_rt.c | need-riscv
	@mkdir -p $(@D)
	@echo "  RVCC     $@"
	@$(RISCV_PREFIX)gcc $(BM_RVFLAGS) -$* $(BM_SRC)/start.S $(BM_SRC)/bm_main.c $(BM_SRC)/bm_rt.c -lgcc -o $@

# Entry point 0x100, the reset PC's word left zero: the rtl backend jumps there from the reset PC.
$(BM_DIR)/bm_plain_gap.elf: $(BM_DEPS) $(BM_SRC)/bm_rt.c | need-riscv
	@mkdir -p $(@D)
	@echo "  RVCC     $@"
	@$(RISCV_PREFIX)gcc $(BM_RVFLAGS) -O2 -Wl,--defsym=bm_entry_gap=0x100 $(BM_SRC)/start.S $(BM_SRC)/bm_main.c \
	  $(BM_SRC)/bm_rt.c -lgcc -o $@

$(BM_DIR)/bm_libc_%.elf: $(BM_DEPS) | need-riscv
	@mkdir -p $(@D)
	@test -f $(BM_PICO)/include/stdio.h || { echo "tessera: missing picolibc ($(BM_PICO)); run 'make deps'"; exit 1; }
	@echo "  RVCC     $@"
	@$(RISCV_PREFIX)gcc $(BM_RVFLAGS) -$* -DBM_LIBC -isystem $(BM_PICO)/include $(BM_SRC)/start.S \
	  $(BM_SRC)/bm_main.c -L$(BM_PICO)/lib/rv32im/ilp32 -lc -lgcc -o $@

$(BM_DIR)/bm_plain_host: $(BM_DEPS) | need-cc
	@mkdir -p $(@D)
	@$(CC) $(BM_WARN) -O2 -DBM_HOST $(BM_SRC)/bm_main.c -o $@

$(BM_DIR)/bm_libc_host: $(BM_DEPS) | need-cc
	@mkdir -p $(@D)
	@$(CC) $(BM_WARN) -O2 -DBM_HOST -DBM_LIBC $(BM_SRC)/bm_main.c -o $@

SUITES += controller_baremetal
SUITE_controller_baremetal_MODE := tap
SUITE_controller_baremetal_CMD  := tests/controller/baremetal.sh $(BIN)/tessera $(BM_DIR)
SUITE_controller_baremetal_DEPS := $(BIN)/tessera $(BM_ELFS) $(BM_HOSTS)

# make bench-controller: the benchmark loops on every backend; CPI and instructions per second.
.PHONY: bench-controller
BENCHES += bench-controller
bench-controller: $(BIN)/tessera $(O)/fw/bench_loop.elf $(O)/fw/bench_branchy.elf
	@tests/controller/bench.sh $(BIN)/tessera "$(O)/fw/bench_loop.elf $(O)/fw/bench_branchy.elf" \
	  cmodel rtl "rtl --cosim"
