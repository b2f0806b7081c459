# Training through the whole stack (tests/train/test_mlp.c): float64 gradients against finite
# differences, device gradients against float64, fused == unfused bit for bit, losses falling over 50
# steps, bad commands answered with error completions and no stray writes. cmodel backend.
$(O)/obj/tests/train/test_mlp.o: CFLAGS += -DTESSERA_FW_ELF='"$(TESSERA_FW_ELF_PATH)"' -Ihost/train
$(eval $(call ctest,train,$(O)/obj/tests/train/test_mlp.o $(TRAIN_OBJS) $(NNREF_OBJS) $(TDEV_LIB_OBJS)))
$(O)/tests/train: | $(O)/fw/tessera_fw.elf

# make bench-mlp: training figures at the default shape (tests/train/bench_mlp.sh).
BENCHES += bench-mlp
.PHONY: bench-mlp
bench-mlp: $(BIN)/tessera
	@tests/train/bench_mlp.sh $(BIN)/tessera
