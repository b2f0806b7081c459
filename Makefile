# Tessera: top-level build. `make help` lists the targets.
#
# Each component adds itself through a `module.mk` fragment (see docs/getting-started.md):
# sources, programs, Verilated models, lint tops and test suites. Outputs go under $(BUILD) only.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

# --- Tools (override on the command line: make VERILATOR=/opt/verilator/bin/verilator) --------
CC           := $(if $(filter default,$(origin CC)),gcc,$(CC))
CXX          := $(if $(filter default,$(origin CXX)),g++,$(CXX))
AR           := $(if $(filter default,$(origin AR)),ar,$(AR))
PYTHON       ?= python3
VERILATOR    ?= verilator
YOSYS        ?= yosys
RISCV_PREFIX ?= riscv64-unknown-elf-

# --- Configuration -----------------------------------------------------------------------------
PRESET ?= default
BUILD  ?= build
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
PRESETS := $(shell awk '/^\[\[/ { p = ($$0 == "[[preset]]") } p && /^name = / { gsub(/"/, "", $$3); print $$3 }' spec/tessera.toml)
ifeq ($(filter $(PRESET),$(PRESETS)),)
$(error unknown PRESET '$(PRESET)': spec/tessera.toml defines $(PRESETS))
endif
PRESET_UC := $(shell echo '$(PRESET)' | tr a-z A-Z)
# Objects and models of one preset; the default preset's programs live in build/bin.
O   := $(BUILD)/$(PRESET)
BIN := $(if $(filter default,$(PRESET)),$(BUILD)/bin,$(O)/bin)

CSTD     := -std=c11
CWARN    := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CXXFLAGS ?= -O2 -g
INCLUDES := -Icommon/include -Isim/include -Ihost/include
DEFS     := -DTESSERA_PRESET=TESSERA_PRESET_ID_$(PRESET_UC) -D_POSIX_C_SOURCE=200809L
HOST_CFLAGS   = $(CSTD) $(CWARN) $(CFLAGS) $(INCLUDES) $(DEFS) -MMD -MP
HOST_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror $(CXXFLAGS) $(INCLUDES) $(DEFS) -MMD -MP
LDLIBS   := -lm

# --- Verilator -----------------------------------------------------------------------------------
VERILATOR_ROOT_DIR := $(shell $(VERILATOR) --getenv VERILATOR_ROOT 2>/dev/null)
VL_INC   := $(VERILATOR_ROOT_DIR)/include
VLT      := rtl/lint/waivers.vlt
RTL_PKGS := rtl/gen/tessera_map_pkg.sv rtl/gen/cfg_$(PRESET)/tessera_cfg_pkg.sv
# Single-threaded models (--threads is slower on 2 cores); tracing compiled in, off until asked.
VFLAGS   := --cc -Wall --trace-fst --x-assign fast --x-initial unique -O3 \
            -MAKEFLAGS "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2" --build -j 1
VL_RT    := $(O)/vl/libverilated.a
VL_RT_SRC := verilated.cpp verilated_fst_c.cpp verilated_threads.cpp
VL_CXXFLAGS = -std=c++17 -O2 -g -I$(VL_INC) -I$(VL_INC)/vltstd -DVM_TRACE=1 -DVM_TRACE_FST=1 -w
VL_LDLIBS := -lz -pthread

# $(call vmodel,NAME,TOP,SOURCES): Verilate TOP into $(O)/vl/NAME/VNAME__ALL.a (prefix VNAME).
# Rebuilt only when its RTL, the packages or the waivers change.
define vmodel
VMODEL_$(1)_DIR := $(O)/vl/$(1)
VMODEL_$(1)_LIB := $(O)/vl/$(1)/V$(1)__ALL.a
VMODEL_$(1)_SRC := $(3)
$(O)/vl/$(1)/V$(1)__ALL.a: $(RTL_PKGS) $(3) $(VLT) | need-verilator
	@mkdir -p $$(@D)
	@echo "  VERILATE $(1) ($(2), preset $(PRESET))"
	@$(VERILATOR) $(VFLAGS) --Mdir $$(@D) --prefix V$(1) --top-module $(2) $(VLT) $(RTL_PKGS) $(3) \
	  > $$(@D)/verilate.log 2>&1 || { cat $$(@D)/verilate.log; exit 1; }
# Harness objects that include VNAME.h depend on the model having been generated.
$(O)/obj/%.vl_$(1).o: %.cpp $(O)/vl/$(1)/V$(1)__ALL.a
	@mkdir -p $$(@D)
	@echo "  CXX      $$<"
	@$(CXX) $(VL_CXXFLAGS) $(INCLUDES) $(DEFS) -I$(O)/vl/$(1) -MMD -MP -c $$< -o $$@
endef

# --- Component registries, filled by module.mk fragments ----------------------------------------
# LINT_TOPS += TOP:FILES   (colon-joined with commas) -- linted by make lint
# SYNTH_TOPS += TOP:FILES  (same form) -- read and checked by Yosys in make synth-check
# SUITES    += NAME        with SUITE_NAME_MODE (tap|plain), SUITE_NAME_CMD and SUITE_NAME_DEPS
# BENCHES   += bench-NAME  a phony target that prints figures (never part of make test)
# TESSERA_OBJS/TESSERA_LIBS += ... -- objects linked into $(BIN)/tessera (C++ objects welcome)
# $(call ctest,NAME,OBJS): a CMocka program $(O)/tests/NAME, registered as a TAP suite
PROGRAMS   :=
TESSERA_OBJS :=
TESSERA_LIBS :=
LINT_TOPS  :=
SYNTH_TOPS :=
BENCHES    :=
SUITES     :=
CLEAN_EXTRA :=

define ctest
$(O)/tests/$(1): $(2) | need-cmocka need-cxx
	@mkdir -p $$(@D)
	@echo "  LINK     $$@"
	@$(CXX) -o $$@ $$^ -lcmocka $(LDLIBS) $(VL_LDLIBS)
SUITES += $(1)
SUITE_$(1)_MODE := tap
SUITE_$(1)_CMD  := $(O)/tests/$(1)
SUITE_$(1)_DEPS := $(O)/tests/$(1)
endef

MODULE_MKS := $(sort $(wildcard */module.mk */*/module.mk))
include $(MODULE_MKS)

# The command-line program: every component adds its objects through TESSERA_OBJS/TESSERA_LIBS.
PROGRAMS += $(BIN)/tessera
$(BIN)/tessera: $(TESSERA_OBJS) $(TESSERA_LIBS) | need-cxx
	@mkdir -p $(@D)
	@echo "  LINK     $@"
	@$(CXX) -o $@ $(TESSERA_OBJS) $(TESSERA_LIBS) $(LDLIBS) $(VL_LDLIBS)

# --- Generic compile rules -----------------------------------------------------------------------
$(O)/obj/%.o: %.c | need-cc
	@mkdir -p $(@D)
	@echo "  CC       $<"
	@$(CC) $(HOST_CFLAGS) -c $< -o $@

$(O)/obj/%.o: %.cpp | need-cxx
	@mkdir -p $(@D)
	@echo "  CXX      $<"
	@$(CXX) $(HOST_CXXFLAGS) -c $< -o $@

$(VL_RT): | need-verilator need-cxx
	@mkdir -p $(@D)/rt
	@echo "  VLRT     $(notdir $@)"
	@for f in $(VL_RT_SRC); do $(CXX) $(VL_CXXFLAGS) -c $(VL_INC)/$$f -o $(@D)/rt/$${f%.cpp}.o || exit 1; done
	@$(AR) rcs $@ $(addprefix $(@D)/rt/,$(VL_RT_SRC:.cpp=.o))

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)

# --- Tool checks: each names the missing tool in one line ---------------------------------------
.PHONY: need-cc need-cxx need-python need-verilator need-yosys need-riscv need-cmocka
need-cc:        ; @tools/need.sh cmd:$(CC)
need-cxx:       ; @tools/need.sh cmd:$(CXX)
need-python:    ; @tools/need.sh py311:$(PYTHON)
need-verilator: ; @tools/need.sh cmd:$(VERILATOR)
need-yosys:     ; @tools/need.sh cmd:$(YOSYS)
need-riscv:     ; @tools/need.sh cmd:$(RISCV_PREFIX)gcc
need-cmocka:    ; @tools/need.sh header:cmocka.h

# --- Top-level targets ---------------------------------------------------------------------------
.PHONY: all deps gen check-gen lint synth-check test demo bench clean help

all: $(PROGRAMS)

deps:
	@tools/deps.sh

gen: | need-python
	@$(PYTHON) tools/gen.py

check-gen: | need-python
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) tools/gen.py --out "$$tmp" && \
	bad=0; for f in $$($(PYTHON) tools/gen.py --list); do \
	  if ! cmp -s "$$tmp/$$f" "$$f"; then echo "check-gen: $$f is stale (edit spec/tessera.toml, then run make gen)"; bad=1; fi; \
	done; \
	[ $$bad -eq 0 ] && echo "check-gen: generated files match spec/tessera.toml"

lint: | need-verilator need-cc
	@fail=0; for t in $(LINT_TOPS); do \
	  top=$${t%%:*}; files=$$(echo $${t#*:} | tr , ' '); \
	  if $(VERILATOR) --lint-only -Wall $(VLT) $(RTL_PKGS) $$files --top-module $$top; then \
	    echo "lint: $$top clean"; else echo "lint: $$top has warnings"; fail=1; fi; \
	done; exit $$fail

# Yosys reads each synthesizable top (rtl only, no simulation glue) and checks it: no latches
# from incomplete processes, no undriven or multiply driven nets. Yosys 0.23 does not read
# `import pkg::*`: RTL names package items with their package prefix.
synth-check: | need-yosys
	@fail=0; for t in $(SYNTH_TOPS); do \
	  top=$${t%%:*}; files=$$(echo $${t#*:} | tr , ' '); \
	  if $(YOSYS) -q -l $(BUILD)/yosys-$$top.log -p "read_verilog -sv $(RTL_PKGS) $$files; hierarchy -check -top $$top; proc; check -assert" >/dev/null 2>&1; then \
	    echo "synth-check: $$top read and checked by yosys"; else echo "synth-check: $$top FAILED (see $(BUILD)/yosys-$$top.log)"; fail=1; fi; \
	done; exit $$fail

# make test: dependencies, then every suite (lint and check-gen are suites too), then the count.
TEST_RESULTS := $(BUILD)/test-results.txt
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) test-build
	@$(MAKE) --no-print-directory test-run

.PHONY: test-build test-run
test-build: $(PROGRAMS) $(foreach s,$(SUITES),$(SUITE_$(s)_DEPS))

test-run:
	@rm -f $(TEST_RESULTS); mkdir -p $(BUILD)
	@echo "Running $(words $(SUITES) lint check-gen synth-check) suites (logs in $(BUILD)/test-logs)"
	@tools/run-suite.sh $(TEST_RESULTS) $(BUILD)/test-logs lint plain $(MAKE) --no-print-directory lint
	@tools/run-suite.sh $(TEST_RESULTS) $(BUILD)/test-logs check-gen plain $(MAKE) --no-print-directory check-gen
	@tools/run-suite.sh $(TEST_RESULTS) $(BUILD)/test-logs synth-check plain $(MAKE) --no-print-directory synth-check
	@$(foreach s,$(SUITES),tools/run-suite.sh $(TEST_RESULTS) $(BUILD)/test-logs $(s) $(SUITE_$(s)_MODE) $(SUITE_$(s)_CMD);)
	@tools/test-summary.sh $(TEST_RESULTS)

# Every benchmark, one after the other (long: minutes). Each prints its own figures.
bench: deps
	@for b in $(BENCHES); do echo "=== $$b"; $(MAKE) --no-print-directory $$b || exit 1; done

clean:
	rm -rf $(BUILD)

help:
	@echo "Tessera make targets:"
	@echo "  make deps        install build/test dependencies from Debian (idempotent)"
	@echo "  make demo        run the main end-to-end job (see README.md)"
	@echo "  make test        build, lint, check generated files, run every test suite"
	@echo "  make all         build the programs (build/bin/tessera, ...)"
	@echo "  make bench       run every benchmark and print its figures: $(BENCHES)"
	@echo "  make lint        verilator --lint-only -Wall on every RTL top"
	@echo "  make synth-check Yosys reads and checks every synthesizable RTL top"
	@echo "  make gen         regenerate RTL packages, C headers and docs from spec/tessera.toml"
	@echo "  make check-gen   fail if generated files differ from spec/tessera.toml"
	@echo "  make clean       remove build/"
	@echo "Variables: PRESET=$(PRESET) (one of: $(PRESETS)), BUILD=$(BUILD), CC, CXX, VERILATOR, RISCV_PREFIX, PYTHON"

# The README's main job (until the training run exists): firmware on the RTL controller in lock
# step with the ISS, then a sparse linear layer on the RTL tile against dense (tools/demo.sh).
demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN)/tessera $(O)/fw/test_hello.elf
	@tools/demo.sh $(BIN)/tessera $(O)/fw
