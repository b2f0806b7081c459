# float64 reference of a GPT training step (host/gpt/, tessera/gpt_ref64.h, docs/gpt.md). Link
# $(GPT_OBJS) together with $(NNREF_OBJS) (ref64_gelu, ref64_gelu_grad).
GPT_OBJS := $(O)/obj/host/gpt/gpt_ref64.o
