# The RTL chip (rtl/chip/: tessera_chip_top = controller + hostif + DMA engine + tiles), its
# Verilator harness (sim/chip_rtl/, C API sim/include/tsim_chip.h) and its tests. The model is
# declared here rather than in sim/chip_rtl/ because it needs CTRL_RTL and TILE_RTL, which
# sim/ctrl/ and sim/tile_rtl/ define (module.mk files are included in sorted order).
CHIP_RTL := $(CTRL_RTL) $(TILE_RTL) rtl/chip/tchip_hostif.sv rtl/chip/tchip_tilereg.sv rtl/chip/tchip_dma.sv \
            rtl/chip/tessera_chip_top.sv
$(eval $(call vmodel,chip,tessera_chip_top,$(CHIP_RTL)))
CHIP_EMPTY :=
CHIP_SPACE := $(CHIP_EMPTY) $(CHIP_EMPTY)
CHIP_COMMA := ,
LINT_TOPS  += tessera_chip_top:$(subst $(CHIP_SPACE),$(CHIP_COMMA),$(strip $(CHIP_RTL)))
SYNTH_TOPS += tessera_chip_top:$(subst $(CHIP_SPACE),$(CHIP_COMMA),$(strip $(CHIP_RTL)))

# The harness: link these to use sim/include/tsim_chip.h.
CHIP_RTL_MODEL := $(O)/obj/sim/chip_rtl/chip_model.vl_chip.o $(VMODEL_chip_LIB) $(VL_RT) $(TSIM_ELF_OBJS) \
                  $(TSIM_DRAM_OBJS)

# Bare-metal firmware run on the RTL chip by the tests.
CHIPRTL_FW := dma tile trap
$(foreach t,$(CHIPRTL_FW),$(eval $(call fw_prog,test_chiprtl_$(t),firmware/tests/test_chiprtl_$(t).c)))

$(O)/obj/tests/chip_rtl/test_chip_rtl.o: CFLAGS += -DCHIPRTL_FW_DIR='"$(O)/fw"'
$(O)/obj/tests/chip_rtl/test_chip_rtl.o: tests/chip_rtl/module.mk
$(eval $(call ctest,chip_rtl,$(O)/obj/tests/chip_rtl/test_chip_rtl.o $(CHIP_RTL_MODEL) $(TILE_FN_OBJS) \
  $(SPARSE_OBJS) $(TNUM_OBJS)))
SUITE_chip_rtl_DEPS += $(foreach t,$(CHIPRTL_FW),$(O)/fw/test_chiprtl_$(t).elf)

# Verilating the default preset's chip (4 tiles of 16 lanes) and compiling it takes tens of minutes
# on two cores, so make test runs the suite on the small preset's chip (a few minutes), built by a
# sub-make in $(BUILD)/small. The default chip still builds on request:
# make $(BUILD)/default/tests/chip_rtl (and its firmware), then run it.
ifneq ($(PRESET),small)
CHIPRTL_SMALL := $(BUILD)/small/tests/chip_rtl
SUITE_chip_rtl_CMD  := $(CHIPRTL_SMALL)
SUITE_chip_rtl_DEPS := chip-rtl-small
.PHONY: chip-rtl-small
chip-rtl-small:
	@$(MAKE) --no-print-directory PRESET=small $(CHIPRTL_SMALL) \
	  $(foreach t,$(CHIPRTL_FW),$(BUILD)/small/fw/test_chiprtl_$(t).elf)
endif
