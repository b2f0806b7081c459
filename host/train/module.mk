# The sparse MLP training job (host/train/, docs/training.md) and `tessera mlp` (host/cli/cmd_mlp.c).
# The CLI finds the device firmware at $(O)/fw/tessera_fw.elf unless told otherwise.
TRAIN_OBJS := $(O)/obj/host/train/mlp.o $(O)/obj/host/train/mlp_ref64.o
TESSERA_FW_ELF_PATH := $(abspath $(O)/fw/tessera_fw.elf)
$(O)/obj/host/cli/cmd_mlp.o: CFLAGS += -DTESSERA_FW_ELF='"$(TESSERA_FW_ELF_PATH)"'
TESSERA_OBJS += $(TRAIN_OBJS) $(O)/obj/host/cli/cmd_mlp.o
$(BIN)/tessera: | $(O)/fw/tessera_fw.elf
