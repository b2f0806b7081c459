# The chip cmodel (sim/chip/): DMA modes and endpoints, refusals, timing, tiles through their
# registers, hostif, the dram window and bare-metal programs on the chip (tests/chip/test_chip.c).
$(O)/obj/tests/chip/test_chip.o: CFLAGS += -DCHIP_FW_DIR='"$(O)/fw"'
$(O)/obj/tests/chip/test_chip.o: tests/chip/module.mk
# The stream-link firmware and its checks are the RTL chip's (tests/chip_rtl/link_case.h).
$(eval $(call ctest,chip,$(O)/obj/tests/chip/test_chip.o $(O)/obj/tests/chip_rtl/link_case.o $(TCHIP_OBJS)))
SUITE_chip_DEPS += $(O)/fw/test_chip_fwd.elf $(O)/fw/test_chip_trap.elf $(O)/fw/test_chip_window.elf \
                   $(O)/fw/test_chiprtl_link.elf
