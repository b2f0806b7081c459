/* The `tessera` command-line program: one subcommand per job. */
#ifndef TESSERA_CLI_H
#define TESSERA_CLI_H

#include <stdint.h>

/* Exit statuses shared by every subcommand. A simulated program's own exit code passes through. */
enum {
  TESSERA_EXIT_OK = 0,
  TESSERA_EXIT_FAIL = 1,  /* the job ran and failed (mismatch, simulation error) */
  TESSERA_EXIT_USAGE = 2, /* bad command line or bad input file */
};

/* Parse v (an option's value) as an integer in [lo, hi] into *out. Returns 0, or -1 after printing
 * "ME: OPT wants an integer in [lo, hi], got 'v'" on stderr. */
int tessera_arg_u32(const char *me, const char *opt, const char *v, uint32_t lo, uint32_t hi, uint32_t *out);
/* Parse v as a finite number into *out. Returns 0, or -1 after printing "ME: OPT wants a number,
 * got 'v'" on stderr. */
int tessera_arg_double(const char *me, const char *opt, const char *v, double *out);

/* Each subcommand gets argv with argv[0] = its own name. */
int cmd_simctrl(int argc, char **argv);
int cmd_run_elf(int argc, char **argv);
int cmd_sparse_stats(int argc, char **argv);
int cmd_fpu(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_mlp(int argc, char **argv);
int cmd_gpt_ref(int argc, char **argv);

#endif /* TESSERA_CLI_H */
