# The controller's instruction-set simulator (the cmodel backend of tessera run-elf).
# TISS_OBJS: link these to use the ISS (sim/include/tiss.h).
TISS_OBJS := $(O)/obj/sim/iss/tiss.o
TESSERA_OBJS += $(TISS_OBJS) $(O)/obj/host/cli/cmd_run_elf.o
