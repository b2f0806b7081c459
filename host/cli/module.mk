# The tessera command-line program ($(BIN)/tessera; the link rule is in the top Makefile).
TESSERA_OBJS += $(O)/obj/host/cli/main.o $(O)/obj/host/cli/cmd_simctrl.o $(O)/obj/host/cli/cmd_sparse_stats.o \
                $(O)/obj/host/cli/args.o
