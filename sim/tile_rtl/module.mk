# Compute tile (rtl/tile/): the Verilated top, its C harness (sim/include/tsim_tile.h), the C
# driver ttile_rtl_run (sim/include/ttile.h), lint and a Yosys read check.
TILE_RTL := rtl/fpu/tnum_lzc.sv rtl/fpu/tnum_fma.sv rtl/fpu/tnum_pipe.sv rtl/fpu/tnum_approx_pkg.sv \
            rtl/fpu/tnum_approx_pack.sv rtl/fpu/tnum_exp2_core.sv rtl/fpu/tnum_exp.sv rtl/fpu/tnum_recip_step.sv \
            rtl/fpu/tnum_recip.sv rtl/fpu/tnum_rsqrt_step.sv rtl/fpu/tnum_rsqrt.sv rtl/fpu/tnum_tanh.sv \
            rtl/fpu/tnum_gelu.sv rtl/fpu/tnum_approx_units.sv rtl/fpu/tnum_f32_to_bf16.sv rtl/fpu/tnum_bf16_to_f32.sv \
            rtl/fpu/tnum_f32_to_fp8.sv rtl/fpu/tnum_fp8_to_f32.sv rtl/fpu/tnum_fpu_top.sv \
            rtl/tile/ttile_delay.sv rtl/tile/ttile_subbank.sv \
            rtl/tile/ttile_wbuf.sv rtl/tile/ttile_gbuf.sv rtl/tile/ttile_tree.sv rtl/tile/ttile_lane.sv \
            rtl/tile/ttile_vlane.sv rtl/tile/ttile_top.sv
$(eval $(call vmodel,tile,ttile_top,$(TILE_RTL)))
TILE_EMPTY :=
TILE_SPACE := $(TILE_EMPTY) $(TILE_EMPTY)
TILE_COMMA := ,
LINT_TOPS += ttile_top:$(subst $(TILE_SPACE),$(TILE_COMMA),$(strip $(TILE_RTL)))

# The Verilated tile and the driver: ttile_rtl_run for build/bin/tessera and the tests.
TILE_RTL_MODEL := $(O)/obj/sim/tile_rtl/tile_rtl.o $(O)/obj/sim/tile_rtl/tile_model.vl_tile.o $(VMODEL_tile_LIB) $(VL_RT)
TESSERA_OBJS += $(O)/obj/sim/tile_rtl/tile_rtl.o
TESSERA_LIBS += $(O)/obj/sim/tile_rtl/tile_model.vl_tile.o $(VMODEL_tile_LIB) $(VL_RT)

# Yosys 0.23 reads the tile (plain suite, part of make test).
SUITES += tile_yosys_read
SUITE_tile_yosys_read_MODE := plain
SUITE_tile_yosys_read_CMD  := $(YOSYS) -q -p "read_verilog -sv $(RTL_PKGS) $(TILE_RTL); hierarchy -check -top ttile_top; proc; check -assert"
SUITE_tile_yosys_read_DEPS :=
