# The tessera command-line program ($(BIN)/tessera; the link rule is in the top Makefile).
TESSERA_OBJS += $(O)/obj/host/cli/main.o $(O)/obj/host/cli/cmd_simctrl.o $(O)/obj/host/cli/cmd_sparse_stats.o \
                $(O)/obj/host/cli/args.o
# `tessera gpt-ref` (cmd_gpt_ref.c) trains the float64 GPT reference (host/gpt; its GPT_OBJS is defined
# after this file is read, hence the object named here).
TESSERA_OBJS += $(O)/obj/host/cli/cmd_gpt_ref.o $(O)/obj/host/gpt/gpt_ref64.o
