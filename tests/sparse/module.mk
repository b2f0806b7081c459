# Masks and the nonzero stream builder.
$(eval $(call ctest,sparse,$(O)/obj/tests/sparse/test_sparse.o $(SPARSE_OBJS)))
