# The RTL chip (rtl/chip/: tessera_chip_top = tchip_uncore + Tiles x ttile_top), its Verilator
# harness (sim/chip_rtl/, C API sim/include/tsim_chip.h) and its tests. The harness simulates the
# uncore as one model and each tile as one instance of the tile model of sim/tile_rtl/ (so the tile
# is compiled once for the tile tests and the chip), wired as tessera_chip_top wires them. Declared
# here because it needs CTRL_RTL and TILE_RTL (module.mk files are included in sorted order).
CHIP_UNCORE_RTL := $(CTRL_RTL) rtl/chip/tchip_hostif.sv rtl/chip/tchip_tilereg.sv rtl/chip/tchip_dma.sv \
                   rtl/chip/tchip_uncore.sv
CHIP_RTL := $(CHIP_UNCORE_RTL) $(TILE_RTL) rtl/chip/tessera_chip_top.sv
$(eval $(call vmodel,uncore,tchip_uncore,$(CHIP_UNCORE_RTL)))
CHIP_EMPTY :=
CHIP_SPACE := $(CHIP_EMPTY) $(CHIP_EMPTY)
CHIP_COMMA := ,
LINT_TOPS  += tessera_chip_top:$(subst $(CHIP_SPACE),$(CHIP_COMMA),$(strip $(CHIP_RTL)))
SYNTH_TOPS += tessera_chip_top:$(subst $(CHIP_SPACE),$(CHIP_COMMA),$(strip $(CHIP_RTL)))

# The harness includes both models' headers (an explicit rule: the vmodel pattern rule knows one).
$(O)/obj/sim/chip_rtl/chip_model.vl_uncore.o: sim/chip_rtl/chip_model.cpp $(VMODEL_uncore_LIB) $(VMODEL_tile_LIB)
	@mkdir -p $(@D)
	@echo "  CXX      $<"
	@$(CXX) $(VL_CXXFLAGS) $(INCLUDES) $(DEFS) -I$(O)/vl/uncore -I$(O)/vl/tile -MMD -MP -c $< -o $@

# The harness: link these to use sim/include/tsim_chip.h.
CHIP_RTL_MODEL := $(O)/obj/sim/chip_rtl/chip_model.vl_uncore.o $(VMODEL_uncore_LIB) $(VMODEL_tile_LIB) $(VL_RT) \
                  $(TSIM_ELF_OBJS) $(TSIM_DRAM_OBJS)

# Bare-metal firmware run on the RTL chip by the tests.
CHIPRTL_FW := dma tile trap link
$(foreach t,$(CHIPRTL_FW),$(eval $(call fw_prog,test_chiprtl_$(t),firmware/tests/test_chiprtl_$(t).c)))

$(O)/obj/tests/chip_rtl/test_chip_rtl.o: CFLAGS += -DCHIPRTL_FW_DIR='"$(O)/fw"'
$(O)/obj/tests/chip_rtl/test_chip_rtl.o: tests/chip_rtl/module.mk
# The stream-link case (link_case.h): inputs, expected values from the tile cmodel and the checks,
# independent of the chip; link $(LINK_CASE_OBJS) (with the tile cmodel's objects) to use it.
LINK_CASE_OBJS := $(O)/obj/tests/chip_rtl/link_case.o
# The chip cmodel (TCHIP_OBJS: the tile cmodel and the rest) runs the link firmware too, to compare.
$(eval $(call ctest,chip_rtl,$(O)/obj/tests/chip_rtl/test_chip_rtl.o $(LINK_CASE_OBJS) $(CHIP_RTL_MODEL) $(TCHIP_OBJS)))
SUITE_chip_rtl_DEPS += $(foreach t,$(CHIPRTL_FW),$(O)/fw/test_chiprtl_$(t).elf)

# The rtl backend of libtessera (host/lib/backend_rtl.c) and the chip it drives, in build/bin/tessera.
$(O)/obj/host/lib/backend_rtl.o: CFLAGS += -Ifirmware/sched
TESSERA_OBJS += $(O)/obj/host/lib/backend_rtl.o
TESSERA_LIBS += $(O)/obj/sim/chip_rtl/chip_model.vl_uncore.o $(VMODEL_uncore_LIB) $(VMODEL_tile_LIB) $(VL_RT)

# The same training job on the rtl and cmodel backends, bit for bit (tests/chip_rtl/test_mlp_rtl.c).
$(O)/obj/tests/chip_rtl/test_mlp_rtl.o: CFLAGS += -DTESSERA_FW_ELF='"$(TESSERA_FW_ELF_PATH)"' -Ihost/train
$(eval $(call ctest,mlp_rtl,$(O)/obj/tests/chip_rtl/test_mlp_rtl.o $(O)/obj/host/lib/backend_rtl.o $(TRAIN_OBJS) \
  $(NNREF_OBJS) $(TDEV_LIB_OBJS) $(CHIP_RTL_MODEL)))
$(O)/tests/mlp_rtl: | $(O)/fw/tessera_fw.elf
