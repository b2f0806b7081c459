# The vector-unit kernels' functional model (sim/vec/, sim/include/tvec_fn.h): GELU, softmax,
# LayerNorm, cross-entropy, embedding, AdamW, the epilogue chain, bit-exact in the operation order
# of docs/vector-kernels.md. Link $(TVEC_FN_OBJS) with $(TNUM_OBJS).
TVEC_FN_OBJS := $(O)/obj/sim/vec/tvec_fn.o
TESSERA_OBJS += $(TVEC_FN_OBJS)
# Attention's dense GEMMs on top of the tile's functional model: link $(TVEC_ATTN_OBJS) with
# $(TVEC_FN_OBJS), $(TILE_FN_OBJS), $(SPARSE_OBJS) and $(TNUM_OBJS). Kept apart so that the
# kernels above do not depend on the tile model.
TVEC_ATTN_OBJS := $(O)/obj/sim/vec/tvec_attn.o
TESSERA_OBJS += $(TVEC_ATTN_OBJS)
