/* tessera: the command-line front end of the Tessera simulator. */
#include <stdio.h>
#include <string.h>

#include "tessera.h"
#include "tessera/gen/hwcfg.h"

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

/* One line per subcommand. */
static const struct command commands[] = {
    {"simctrl", cmd_simctrl, "drive the RTL simulation-control block (console, exit, cycle counter)"},
    {"run-elf", cmd_run_elf, "run a controller program (rv32im ELF) on the rtl or cmodel backend"},
    {"fpu", cmd_fpu, "evaluate numerics operations from stdin on the RTL units or the C library"},
    {"sparse-stats", cmd_sparse_stats, "build a sparse mask and the tile's nonzero stream; report cycles and conflicts"},
    {"kernel", cmd_kernel, "run a linear-layer kernel on one tile (rtl vs cmodel vs float64); cycles, utilisation"},
    {"mlp", cmd_mlp, "train a sparse MLP on the device (driver -> firmware -> DMA and tiles); losses, cycles"},
    {"gpt-ref", cmd_gpt_ref, "train the float64 GPT reference on the host (golden model, not the device); losses"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: tessera COMMAND [ARGS]   (tessera COMMAND --help for a command's options)\n\n"
             "Tessera sparse-dataflow training accelerator simulator (preset '%s').\n\ncommands:\n",
          TESSERA_CFG_PRESET_NAME);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "tessera: no command given (tessera --help lists them)\n");
    return TESSERA_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return TESSERA_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "tessera: unknown command '%s' (tessera --help lists them)\n", argv[1]);
  return TESSERA_EXIT_USAGE;
}
