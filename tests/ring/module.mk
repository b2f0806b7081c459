# The firmware's command-ring consumer (firmware/sched/ring.c, docs/protocol.md "Ring processing"):
# CMocka tests against a mock port (tests/ring/test_ring.c), and the rv32im build of ring.c with the
# firmware's strict flags (a warning there fails make test).
TFW_RING_HOST_OBJS := $(O)/obj/firmware/sched/ring.o
TFW_RING_FW_OBJS   := $(O)/fw/obj/firmware/sched/ring.o
$(O)/obj/tests/ring/%.o: CFLAGS += -Ifirmware/sched
$(O)/obj/firmware/sched/ring.o: CFLAGS += -Ifirmware/sched
$(eval $(call ctest,ring,$(O)/obj/tests/ring/test_ring.o $(TFW_RING_HOST_OBJS) $(TFW_SCHED_HOST_OBJS)))

SUITES += fw_ring_build
SUITE_fw_ring_build_MODE := plain
SUITE_fw_ring_build_CMD  := $(FW_CC) $(FW_CFLAGS) -c firmware/sched/ring.c -o $(O)/fw/obj/firmware/sched/ring.check.o
SUITE_fw_ring_build_DEPS := $(TFW_RING_FW_OBJS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer (about 1 s).
RING_ASAN_FLAGS := -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                   $(INCLUDES) -Ifirmware/sched $(DEFS)
$(O)/asan/test_ring: tests/ring/test_ring.c firmware/sched/ring.c firmware/sched/validate.c firmware/sched/tfw_ring.h \
                     firmware/sched/tfw_port.h firmware/sched/tfw_validate.h common/include/tessera/proto.h | need-cmocka need-cc
	@mkdir -p $(@D)
	@echo "  CC+ASAN  $@"
	@$(CC) $(RING_ASAN_FLAGS) -o $@ tests/ring/test_ring.c firmware/sched/ring.c firmware/sched/validate.c -lcmocka

SUITES += ring_asan
SUITE_ring_asan_MODE := tap
SUITE_ring_asan_CMD  := $(O)/asan/test_ring
SUITE_ring_asan_DEPS := $(O)/asan/test_ring
