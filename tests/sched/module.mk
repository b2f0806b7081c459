# The firmware scheduler (firmware/sched/sched.c, docs/firmware.md "The scheduler") run natively
# against the chip cmodel through a recording port that checks every DMA and tile start
# (tests/sched/test_sched.c): every opcode's results against the functional models, fused ==
# op by op, DMA inside the command's tensors, double buffering order; and the device firmware
# image ($(O)/fw/tessera_fw.elf) booted on the chip, running commands through the rings.
TFW_SCHED_RUN_HOST_OBJS := $(O)/obj/firmware/sched/sched.o
TFW_SCHED_RUN_FW_OBJS   := $(O)/fw/obj/firmware/sched/sched.o
$(O)/obj/tests/sched/%.o: CFLAGS += -Ifirmware/sched -DSCHED_FW_ELF='"$(O)/fw/tessera_fw.elf"'
$(O)/obj/tests/sched/test_sched.o: tests/sched/module.mk
$(O)/obj/firmware/sched/sched.o: CFLAGS += -Ifirmware/sched
$(eval $(call ctest,sched,$(O)/obj/tests/sched/test_sched.o $(TFW_SCHED_RUN_HOST_OBJS) $(TFW_SCHED_HOST_OBJS) $(TCHIP_OBJS)))
SUITE_sched_DEPS += $(TESSERA_FW_ELF)

# The rv32im build of the scheduler with the firmware's strict flags (a warning fails make test).
SUITES += fw_sched_build
SUITE_fw_sched_build_MODE := plain
SUITE_fw_sched_build_CMD  := $(FW_CC) $(FW_CFLAGS) -c firmware/sched/sched.c -o $(O)/fw/obj/firmware/sched/sched.check.o
SUITE_fw_sched_build_DEPS := $(TFW_SCHED_RUN_FW_OBJS)
