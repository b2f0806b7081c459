# Sparse masks and the tile's nonzero stream builder.
SPARSE_OBJS := $(O)/obj/host/sparse/mask.o $(O)/obj/host/sparse/stream.o
TESSERA_OBJS += $(SPARSE_OBJS)
