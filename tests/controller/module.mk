# Controller tests: CMocka suites of the ISS, the ELF loader and the firmware's printf; the
# run-elf TAP suite over every firmware test (tests/controller/run_elf_tests.sh); the benchmark.
$(eval $(call ctest,controller_iss,$(O)/obj/tests/controller/test_iss.o $(TISS_OBJS)))

CONTROLLER_ELF_FIXTURE := $(O)/fw/test_hello.elf
$(O)/obj/tests/controller/test_elf.o: CFLAGS += -DTEST_ELF='"$(CONTROLLER_ELF_FIXTURE)"'
$(O)/obj/tests/controller/test_elf.o: tests/controller/module.mk
$(eval $(call ctest,controller_elf,$(O)/obj/tests/controller/test_elf.o $(TSIM_ELF_OBJS)))
SUITE_controller_elf_DEPS += $(CONTROLLER_ELF_FIXTURE)

$(O)/obj/tests/controller/test_printf.o $(O)/obj/firmware/lib/tfw_format.o: CFLAGS += -Ifirmware/include
$(eval $(call ctest,firmware_printf,$(O)/obj/tests/controller/test_printf.o $(O)/obj/firmware/lib/tfw_format.o))

# run-elf on every firmware test with the cmodel backend (h4 adds rtl and --cosim rows).
SUITES += controller_run_elf
SUITE_controller_run_elf_MODE := tap
SUITE_controller_run_elf_CMD  := tests/controller/run_elf_tests.sh $(BIN)/tessera $(O)/fw cmodel
SUITE_controller_run_elf_DEPS := $(BIN)/tessera $(FW_PROGS)

# make bench-controller: a compute-heavy firmware loop; instructions per second and CPI.
.PHONY: bench-controller
bench-controller: $(BIN)/tessera $(O)/fw/bench_loop.elf
	@tests/controller/bench.sh $(BIN)/tessera $(O)/fw/bench_loop.elf cmodel
