# The float64 GPT reference (tests/gpt/test_gpt_ref64.c): gradients of every tensor against central
# finite differences, the forward against the per-kernel references chained as the device will run
# it, causality, the head split on hand-computed attention, 200 AdamW steps learning a fixed
# sequence, bad arguments refused.
$(eval $(call ctest,gpt_ref64,$(O)/obj/tests/gpt/test_gpt_ref64.o $(GPT_OBJS) $(NNREF_OBJS) $(KERNELS_OBJS)))

# `tessera gpt-ref` (test_gpt_ref_cli.sh): the default run learns, --json, seeds, --grad-check against
# finite differences, bad arguments.
SUITES += gpt_ref_cli
SUITE_gpt_ref_cli_MODE := tap
SUITE_gpt_ref_cli_CMD  := tests/gpt/test_gpt_ref_cli.sh $(BIN)/tessera
SUITE_gpt_ref_cli_DEPS := $(BIN)/tessera
