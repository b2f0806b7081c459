# Host-side kernel support: float64 references and .npy files.
KERNELS_OBJS := $(O)/obj/host/kernels/ref64.o $(O)/obj/host/kernels/npy.o
TESSERA_OBJS += $(KERNELS_OBJS)
