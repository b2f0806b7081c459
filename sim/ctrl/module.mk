# Controller: RV32IM core + IMEM + DMEM + simctrl + timer (rtl/ctrl/), its Verilator harness behind
# the C API of sim/include/tsim_ctrl.h, and its tests (tests/ctrl_rtl/).
CTRL_RTL := rtl/ctrl/tessera_ctrl_top.sv rtl/ctrl/tessera_ctrl_core.sv rtl/ctrl/tessera_ctrl_div.sv \
            rtl/ctrl/tessera_ctrl_xbar.sv rtl/ctrl/tessera_ctrl_imem.sv rtl/ctrl/tessera_ctrl_dmem.sv \
            rtl/ctrl/tessera_timer.sv rtl/ctrl/tessera_simctrl.sv
$(eval $(call vmodel,ctrl,tessera_ctrl_top,$(CTRL_RTL)))
CTRL_COMMA := ,
CTRL_EMPTY :=
CTRL_SPACE := $(CTRL_EMPTY) $(CTRL_EMPTY)
LINT_TOPS += tessera_ctrl_top:$(subst $(CTRL_SPACE),$(CTRL_COMMA),$(strip $(CTRL_RTL)))
LINT_TOPS += tessera_timer:rtl/ctrl/tessera_timer.sv
# Yosys reads the whole controller (make synth-check).
SYNTH_TOPS += tessera_ctrl_top:$(subst $(CTRL_SPACE),$(CTRL_COMMA),$(strip $(CTRL_RTL)))

CTRL_MODEL := $(O)/obj/sim/ctrl/ctrl_model.vl_ctrl.o $(VMODEL_ctrl_LIB) $(VL_RT)
TESSERA_LIBS += $(CTRL_MODEL)
# The rtl backend of tessera run-elf (with --cosim against the ISS); linking it makes rtl the default.
TESSERA_OBJS += $(O)/obj/sim/ctrl/run_elf_rtl.o
$(O)/obj/sim/ctrl/run_elf_rtl.o: CFLAGS += -Ihost/cli

# --- Test programs (tests/ctrl_rtl/*.S), linked by tests/ctrl_rtl/link.ld ---------------------
# Each becomes a flat IMEM image wrapped in a host object (symbols _binary_NAME_bin_start/_end).
CTRL_RV_CC    := $(RISCV_PREFIX)gcc
CTRL_RV_FLAGS := -march=rv32im_zicsr_zifencei -mabi=ilp32 -nostdlib -ffreestanding -Icommon/include
CTRL_PROGS    := $(filter-out link.ld,$(basename $(notdir $(wildcard tests/ctrl_rtl/*.S))))
CTRL_PROG_DIR := $(O)/ctrl_rtl
CTRL_PROG_OBJS := $(addprefix $(CTRL_PROG_DIR)/,$(addsuffix .bin.o,$(CTRL_PROGS)))

# Keep the intermediate images for inspection (objdump).
.PRECIOUS: $(CTRL_PROG_DIR)/%.elf $(CTRL_PROG_DIR)/%.bin
$(CTRL_PROG_DIR)/link.ld: tests/ctrl_rtl/link.ld.S common/include/tessera/gen/map.h | need-cc
	@mkdir -p $(@D)
	@echo "  GEN      $@"
	@$(call fw_ld_gen,$<,$@)

$(CTRL_PROG_DIR)/%.elf: tests/ctrl_rtl/%.S $(CTRL_PROG_DIR)/link.ld | need-riscv
	@mkdir -p $(@D)
	@echo "  RVAS     $<"
	@$(CTRL_RV_CC) $(CTRL_RV_FLAGS) -c $< -o $(@:.elf=.o)
	@$(CTRL_RV_CC) -march=rv32im -mabi=ilp32 -nostdlib -T $(CTRL_PROG_DIR)/link.ld $(@:.elf=.o) -o $@

$(CTRL_PROG_DIR)/%.bin: $(CTRL_PROG_DIR)/%.elf
	@$(RISCV_PREFIX)objcopy -O binary $< $@

$(CTRL_PROG_DIR)/%.bin.o: $(CTRL_PROG_DIR)/%.bin
	@cd $(@D) && objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
	  --rename-section .data=.rodata,alloc,load,readonly,data,contents \
	  --add-section .note.GNU-stack=/dev/null $*.bin $*.bin.o

$(eval $(call ctest,ctrl_rtl,$(O)/obj/tests/ctrl_rtl/test_ctrl.o $(CTRL_PROG_OBJS) $(CTRL_MODEL)))
