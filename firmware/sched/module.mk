# Firmware scheduler core. For now: the command validator (docs/protocol.md). It is plain C11
# that builds for the host (tests/proto) and for rv32im with the firmware's strict flags: the
# fw_validate_build suite compiles it with $(FW_CC) $(FW_CFLAGS), so a warning there fails make test.
TFW_SCHED_HOST_OBJS := $(O)/obj/firmware/sched/validate.o
TFW_SCHED_FW_OBJS   := $(O)/fw/obj/firmware/sched/validate.o


SUITES += fw_validate_build
SUITE_fw_validate_build_MODE := plain
SUITE_fw_validate_build_CMD  := $(FW_CC) $(FW_CFLAGS) -c firmware/sched/validate.c -o $(O)/fw/obj/firmware/sched/validate.check.o
SUITE_fw_validate_build_DEPS := $(TFW_SCHED_FW_OBJS)
