# Firmware scheduler core: the command validator (docs/protocol.md), the ring consumer and the
# scheduler (docs/firmware.md). Plain C11 that builds for the host (tests/proto, tests/ring,
# tests/sched) and for rv32im with the firmware's strict flags: the fw_*_build suites compile each
# file with $(FW_CC) $(FW_CFLAGS), so a warning there fails make test.
TFW_SCHED_HOST_OBJS := $(O)/obj/firmware/sched/validate.o
TFW_SCHED_FW_OBJS   := $(O)/fw/obj/firmware/sched/validate.o


SUITES += fw_validate_build
SUITE_fw_validate_build_MODE := plain
SUITE_fw_validate_build_CMD  := $(FW_CC) $(FW_CFLAGS) -c firmware/sched/validate.c -o $(O)/fw/obj/firmware/sched/validate.check.o
SUITE_fw_validate_build_DEPS := $(TFW_SCHED_FW_OBJS)

# The device firmware (firmware/app/, docs/firmware.md "The device firmware"): boot per
# docs/chip.md, the doorbell loop, the ring consumer and the scheduler over the bus port.
# $(O)/fw/tessera_fw.elf is what the host driver loads. (Defined here, not in firmware/app/: the
# fragments are read in sorted order and fw_prog comes from firmware/module.mk.)
TESSERA_FW_ELF := $(O)/fw/tessera_fw.elf
$(O)/fw/obj/firmware/app/%.o: FW_CFLAGS += -Ifirmware/sched -Ifirmware/app
# The image's scheduler drives registers directly (the port's reg_read/reg_write are plain bus
# accesses there); the fw_sched_build suite checks the port-call variant the host tests run.
$(O)/fw/obj/firmware/sched/sched.o: FW_CFLAGS += -DTFW_SCHED_DIRECT_MMIO
$(O)/fw/obj/firmware/sched/sched.o: firmware/sched/module.mk
$(eval $(call fw_prog,tessera_fw,firmware/app/main.c firmware/app/hal_port.c firmware/sched/sched.c \
  firmware/sched/ring.c firmware/sched/validate.c))

# The image builds with the strict flags (every file, -Werror) and links into IMEM / DMEM.
SUITES += fw_app_build
SUITE_fw_app_build_MODE := plain
SUITE_fw_app_build_CMD  := test -s $(TESSERA_FW_ELF)
SUITE_fw_app_build_DEPS := $(TESSERA_FW_ELF)
