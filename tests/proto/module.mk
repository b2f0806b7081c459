# The command protocol and the firmware's validator (tests/proto/test_proto.c: hand-made bad
# commands, good commands of every opcode, 1M fuzzed commands against an independent checker),
# and the simulation DRAM model (tests/proto/test_dram.c).
$(O)/obj/tests/proto/%.o: CFLAGS += -Ifirmware/sched
$(eval $(call ctest,proto,$(O)/obj/tests/proto/test_proto.o $(TFW_SCHED_HOST_OBJS)))
$(eval $(call ctest,dram,$(O)/obj/tests/proto/test_dram.o $(TSIM_DRAM_OBJS)))

# The same programs under AddressSanitizer and UndefinedBehaviorSanitizer, built in $(O)/asan/
# with their own flags. The proto one is a suite (the million cases take ~3 s under ASan);
# make bench-proto-asan runs both by themselves.
PROTO_ASAN_DIR := $(O)/asan
PROTO_ASAN_FLAGS := -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                    $(INCLUDES) -Ifirmware/sched $(DEFS)
$(PROTO_ASAN_DIR)/test_proto: tests/proto/test_proto.c firmware/sched/validate.c firmware/sched/tfw_validate.h \
                              common/include/tessera/proto.h | need-cmocka need-cc
	@mkdir -p $(@D)
	@echo "  CC+ASAN  $@"
	@$(CC) $(PROTO_ASAN_FLAGS) -o $@ tests/proto/test_proto.c firmware/sched/validate.c -lcmocka
$(PROTO_ASAN_DIR)/test_dram: tests/proto/test_dram.c sim/dram/tsim_dram.c sim/include/tsim_dram.h | need-cmocka need-cc
	@mkdir -p $(@D)
	@echo "  CC+ASAN  $@"
	@$(CC) $(PROTO_ASAN_FLAGS) -o $@ tests/proto/test_dram.c sim/dram/tsim_dram.c -lcmocka

SUITES += proto_asan
SUITE_proto_asan_MODE := tap
SUITE_proto_asan_CMD  := $(PROTO_ASAN_DIR)/test_proto
SUITE_proto_asan_DEPS := $(PROTO_ASAN_DIR)/test_proto

BENCHES += bench-proto-asan
.PHONY: bench-proto-asan
bench-proto-asan: $(PROTO_ASAN_DIR)/test_proto $(PROTO_ASAN_DIR)/test_dram
	@time $(PROTO_ASAN_DIR)/test_proto
	@$(PROTO_ASAN_DIR)/test_dram

# The validator on the controller: the host emits fuzz cases with their verdicts
# ($(O)/gen/proto/proto_cases.h), firmware rebuilds them and validates them with the rv32im build
# of validate.c on the cmodel backend (instruction-set simulator); every verdict must match.
PROTO_GEN := $(O)/gen/proto
PROTO_FW_CASES ?= 1000
$(O)/gen/proto/proto-emit: tests/proto/test_proto.c firmware/sched/validate.c firmware/sched/tfw_validate.h \
                           common/include/tessera/proto.h | need-cmocka need-cc
	@mkdir -p $(@D)
	@echo "  CC       $@"
	@$(CC) $(CSTD) $(CWARN) -Wno-unused-function -O2 $(INCLUDES) -Ifirmware/sched $(DEFS) -DPROTO_EMIT -o $@ \
	  tests/proto/test_proto.c firmware/sched/validate.c -lcmocka
$(PROTO_GEN)/proto_cases.h: $(O)/gen/proto/proto-emit tests/proto/module.mk
	@echo "  GEN      $@"
	@$< $(PROTO_FW_CASES) > $@.tmp && mv $@.tmp $@
$(O)/fw/obj/tests/proto/fw_validate_main.o: $(PROTO_GEN)/proto_cases.h
$(O)/fw/obj/tests/proto/fw_validate_main.o: FW_CFLAGS += -I$(PROTO_GEN) -Ifirmware/sched
$(eval $(call fw_prog,proto_validate,tests/proto/fw_validate_main.c firmware/sched/validate.c))

SUITES += proto_fw
SUITE_proto_fw_MODE := plain
SUITE_proto_fw_CMD  := $(BIN)/tessera run-elf $(O)/fw/proto_validate.elf --backend cmodel
SUITE_proto_fw_DEPS := $(BIN)/tessera $(O)/fw/proto_validate.elf
