# The chip cmodel (sim/chip/tchip.c, sim/include/tchip.h, docs/chip.md): the ISS, the tiles
# (ttile_cm_exec), the DMA engine, hostif and the DRAM model of the build's preset.
# TCHIP_OBJS: link these (they include everything the chip needs). The objects of other components
# are named by path: their fragments may be read after this one.
TCHIP_TILE_EXEC_OBJ ?= $(O)/obj/sim/tile/tile_exec.o
TCHIP_OBJS := $(O)/obj/sim/chip/tchip.o $(O)/obj/sim/chip/timeline.o $(O)/obj/sim/iss/tiss.o $(O)/obj/sim/dram/tsim_dram.o \
              $(O)/obj/sim/loader/tsim_elf.o $(TCHIP_TILE_EXEC_OBJ) $(O)/obj/sim/tile/tile_cm.o \
              $(O)/obj/sim/tile/ttile_fn.o $(O)/obj/sim/vec/tvec_fn.o $(TNUM_OBJS) \
              $(O)/obj/host/sparse/mask.o $(O)/obj/host/sparse/stream.o

# Bare-metal programs the chip tests run (tests/chip/): a DMA + fwd round trip, a trap, and sized
# accesses through the dram window.
$(eval $(call fw_prog,test_chip_fwd,firmware/tests/test_chip_fwd.c))
$(eval $(call fw_prog,test_chip_trap,firmware/tests/test_chip_trap.c))
$(eval $(call fw_prog,test_chip_window,firmware/tests/test_chip_window.c))

# libtessera carries the chip cmodel (host/lib/module.mk makes the archive).
$(LIBTESSERA): $(TCHIP_OBJS)

# Everything a program using the driver links (the objects of libtessera).
TDEV_LIB_OBJS := $(TDEV_OBJS) $(TCHIP_OBJS)
