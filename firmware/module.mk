# Firmware of the Tessera controller: runtime (crt0, linker script, HAL, printf), instruction tests
# and the benchmark loop. Outputs under $(O)/fw/. docs/firmware.md describes the ABI.
#
# $(call fw_prog,NAME,SOURCES): build $(O)/fw/NAME.elf (and its disassembly $(O)/fw/NAME.dis) from
# SOURCES (.c/.S) plus the runtime. Other components reuse it for their firmware programs.

FW_CC    := $(RISCV_PREFIX)gcc
FW_DUMP  := $(RISCV_PREFIX)objdump
FW_WARN  := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-align -Wundef -Wformat=2 -Wconversion -Wsign-conversion
# Compile with zicsr, link without it: linking with _zicsr picks the rv64 libgcc (ARCHITECTURE.md).
FW_CFLAGS := -march=rv32im_zicsr -mabi=ilp32 -ffreestanding -nostdlib -O2 -g $(FW_WARN) \
             -ffunction-sections -fdata-sections \
             -Icommon/include -Ifirmware/include -DTESSERA_PRESET=TESSERA_PRESET_ID_$(PRESET_UC)
FW_LD     := $(O)/fw/tessera.ld
FW_LDFLAGS := -march=rv32im -mabi=ilp32 -nostdlib -nostartfiles -static -Wl,--gc-sections -T $(FW_LD)
FW_RT_OBJS := $(O)/fw/obj/firmware/rt/crt0.o $(O)/fw/obj/firmware/rt/hal.o $(O)/fw/obj/firmware/lib/tfw_format.o

# $(call fw_ld_gen,SRC,OUT): a linker script from SRC (a .ld.S including the generated headers):
# preprocessed, only what follows the TESSERA_LD_BEGIN marker kept, C 'u' suffixes dropped.
fw_ld_gen = $(CC) -E -P -x c -Icommon/include -DTESSERA_PRESET=TESSERA_PRESET_ID_$(PRESET_UC) $(1) \
	  | sed -e '1,/^TESSERA_LD_BEGIN$$/d' -E -e 's/\b(0x[0-9a-fA-F]+|[0-9]+)u\b/\1/g' > $(2).tmp && mv $(2).tmp $(2)

$(FW_LD): firmware/rt/tessera.ld.S common/include/tessera/gen/map.h common/include/tessera/gen/hwcfg.h | need-cc
	@mkdir -p $(@D)
	@echo "  GEN      $@"
	@$(call fw_ld_gen,$<,$@)

$(O)/fw/obj/%.o: %.c | need-riscv
	@mkdir -p $(@D)
	@echo "  FWCC     $<"
	@$(FW_CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(O)/fw/obj/%.o: %.S | need-riscv
	@mkdir -p $(@D)
	@echo "  FWAS     $<"
	@$(FW_CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(O)/fw/obj -name '*.d' 2>/dev/null)

FW_PROGS :=
define fw_prog
$(O)/fw/$(1).elf: $(FW_RT_OBJS) $(patsubst %,$(O)/fw/obj/%.o,$(basename $(2))) $(FW_LD)
	@echo "  FWLD     $$@"
	@$(FW_CC) $(FW_LDFLAGS) -o $$@ $(FW_RT_OBJS) $(patsubst %,$(O)/fw/obj/%.o,$(basename $(2))) -lgcc
	@$(FW_DUMP) -d -S $$@ > $(O)/fw/$(1).dis
FW_PROGS += $(O)/fw/$(1).elf
endef

# Instruction, CSR, trap and interrupt tests (tests/controller/run_elf_tests.sh runs them).
FW_TESTS := rv32i_alu rv32i_mem rv32i_ctl rv32m csr traps timer trap_report out_of_map runaway bus_error hello \
            ext_irq irq_loop div_random
$(foreach t,$(FW_TESTS),$(eval $(call fw_prog,test_$(t),firmware/tests/test_$(t).c)))
# Compute-heavy loop for make bench-controller.
$(eval $(call fw_prog,bench_loop,firmware/tests/bench_loop.c))
$(eval $(call fw_prog,bench_branchy,firmware/tests/bench_branchy.c))

.PHONY: firmware
firmware: $(FW_PROGS)
