# The simulation-side device DRAM model (capacity, bandwidth, latency from hwcfg; byte counters).
TSIM_DRAM_OBJS := $(O)/obj/sim/dram/tsim_dram.o
