# Tile tests: the functional model against float64 (test_ttile_fn.c), the cmodel backend
# (test_tile_cm.c), the descriptor-level cmodel (test_tile_exec.c) and the `tessera kernel` command (test_kernel_cli.sh).
TILE_TEST_LIBS := $(KERNELS_OBJS) $(SPARSE_OBJS) $(TNUM_OBJS)
$(eval $(call ctest,tile_fn,$(O)/obj/tests/tile/test_ttile_fn.o $(TILE_FN_OBJS) $(TILE_TEST_LIBS)))
$(eval $(call ctest,tile_cm,$(O)/obj/tests/tile/test_tile_cm.o $(TILE_CM_OBJS) $(TILE_TEST_LIBS)))
# One descriptor run on the tile's memories (ttile_cm_exec) against ttile_fn and tvec_fn.
$(eval $(call ctest,tile_exec,$(O)/obj/tests/tile/test_tile_exec.o $(TILE_EXEC_OBJS) $(TVEC_FN_OBJS) $(TILE_TEST_LIBS)))

SUITES += tile_kernel_cli
SUITE_tile_kernel_cli_MODE := tap
SUITE_tile_kernel_cli_CMD  := tests/tile/test_kernel_cli.sh $(BIN)/tessera
SUITE_tile_kernel_cli_DEPS := $(BIN)/tessera
