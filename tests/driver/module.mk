# The host driver (host/lib/, docs/driver.md): boot, submit, wait, timeouts, trap and fatal
# reporting, allocator and buffers over the cmodel backend with small firmwares of their own
# (firmware/tests/test_chip_{echo,silent,trap,fatal}.c), the real firmware (suite driver_fw), and a program
# built only from `pkg-config --cflags --libs tessera`.
$(eval $(call fw_prog,test_chip_echo,firmware/tests/test_chip_echo.c firmware/sched/ring.c firmware/sched/validate.c))
$(eval $(call fw_prog,test_chip_silent,firmware/tests/test_chip_silent.c))
$(eval $(call fw_prog,test_chip_fatal,firmware/tests/test_chip_fatal.c))

DRIVER_FW := $(O)/fw/test_chip_echo.elf $(O)/fw/test_chip_silent.elf $(O)/fw/test_chip_trap.elf \
             $(O)/fw/test_chip_fatal.elf
$(O)/obj/tests/driver/test_driver.o: CFLAGS += -DDRIVER_FW_DIR='"$(O)/fw"' -Ifirmware/sched
$(O)/obj/tests/driver/test_driver.o: tests/driver/module.mk
$(eval $(call ctest,driver,$(O)/obj/tests/driver/test_driver.o $(LIBTESSERA)))
SUITE_driver_DEPS += $(DRIVER_FW)

SUITES += driver_pkgconfig
SUITE_driver_pkgconfig_MODE := plain
SUITE_driver_pkgconfig_CMD  := tests/driver/pkgconfig.sh $(O) $(CC)
SUITE_driver_pkgconfig_DEPS := $(LIBTESSERA) $(LIBTESSERA_PC)

# The real firmware (firmware/app/, $(O)/fw/tessera_fw.elf) once it exists in the tree.
ifneq ($(wildcard firmware/app/*.c),)
SUITES += driver_fw
SUITE_driver_fw_MODE := tap
SUITE_driver_fw_CMD  := $(O)/tests/driver $(O)/fw/tessera_fw.elf
SUITE_driver_fw_DEPS := $(O)/tests/driver $(O)/fw/tessera_fw.elf
endif

# The tessera program links the driver (tessera mlp). Added here, after every component's fragment
# has added its own objects, so that none is linked twice.
TESSERA_OBJS += $(filter-out $(TESSERA_OBJS),$(TDEV_LIB_OBJS))
