# float64 references of the vector-unit kernels (host/nnref/, tessera/ref64_nn.h).
NNREF_OBJS := $(O)/obj/host/nnref/ref64_nn.o
TESSERA_OBJS += $(NNREF_OBJS)
