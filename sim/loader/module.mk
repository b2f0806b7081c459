# ELF loader of controller programs (sim/include/tsim_elf.h).
TSIM_ELF_OBJS := $(O)/obj/sim/loader/tsim_elf.o
TESSERA_OBJS += $(TSIM_ELF_OBJS)
