# Simulation-control block: RTL model and its C-callable harness.
$(eval $(call vmodel,simctrl,tessera_simctrl,rtl/ctrl/tessera_simctrl.sv))
LINT_TOPS += tessera_simctrl:rtl/ctrl/tessera_simctrl.sv
SYNTH_TOPS += tessera_simctrl:rtl/ctrl/tessera_simctrl.sv

SIMCTRL_MODEL := $(O)/obj/sim/simctrl/simctrl_model.vl_simctrl.o $(VMODEL_simctrl_LIB) $(VL_RT)
TESSERA_LIBS  += $(SIMCTRL_MODEL)
