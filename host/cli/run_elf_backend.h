/* The backend interface of `tessera run-elf`: one implementation per simulator of the controller.
 * cmodel (the instruction-set simulator, host/cli/cmd_run_elf.c) is always linked in; rtl (the
 * Verilated core) defines `run_elf_backend_rtl` in its own file and becomes the default when its
 * object is linked into the program (the reference below is weak).
 *
 * Call order: open, load, run (once), close. open and load report bad input (bad option for this
 * backend, bad ELF) with one line in err and run-elf exits 2. */
#ifndef RUN_ELF_BACKEND_H
#define RUN_ELF_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* Options of one run, as parsed from the command line. */
struct run_elf_opts {
  uint64_t max_cycles; /* stop after this many cycles (run-elf default RUN_ELF_DEFAULT_MAX_CYCLES) */
  const char *trace;   /* --trace FILE.fst, or NULL */
  int cosim;           /* --cosim: run the ISS in lock step and compare every retired instruction */
  uint64_t ext_irq_at; /* --ext-irq N: the external interrupt line goes high at cycle N and stays
                          high (0: never); for interrupt tests */
};

#define RUN_ELF_DEFAULT_MAX_CYCLES 100000000ull

/* How a run ended; run-elf maps each to its exit status (docs/firmware.md). */
enum run_elf_end {
  RUN_ELF_EXITED = 0, /* the program wrote simctrl.exit: status = exit_code & 0xff */
  RUN_ELF_MAX_CYCLES, /* cycle limit reached: status 3, msg names the cycle count and PC */
  RUN_ELF_FAULT,      /* access outside the map or a bus error: status 4, msg names address and PC */
  RUN_ELF_MISMATCH,   /* co-simulation found a difference: status 5, msg shows both views */
  RUN_ELF_ERROR,      /* the backend itself failed: status 1 */
};

struct run_elf_result {
  enum run_elf_end end;
  uint32_t exit_code; /* the full value written to simctrl.exit */
  uint64_t cycles;    /* cycles simulated (estimated by cmodel, counted by rtl) */
  uint64_t instret;   /* instructions retired */
  char msg[512];      /* one line (several for a mismatch) when end != RUN_ELF_EXITED */
};

/* Console bytes are passed on as soon as the program writes them. */
typedef void (*run_elf_console_fn)(void *ctx, const char *buf, size_t n);

struct run_elf_backend {
  const char *name;
  /* Create a simulator for these options. NULL with err filled if it cannot (bad option). */
  void *(*open)(const struct run_elf_opts *opts, char *err, size_t errlen);
  /* Load the ELF (tsim_elf_load does the checking). 0, or -1 with err filled. */
  int (*load)(void *h, const char *path, char *err, size_t errlen);
  /* Run from reset to the end; fills *res. Returns 0 (the end is in res->end). */
  int (*run)(void *h, run_elf_console_fn console, void *ctx, struct run_elf_result *res);
  void (*close)(void *h);
};

extern const struct run_elf_backend run_elf_backend_cmodel;
extern const struct run_elf_backend run_elf_backend_rtl __attribute__((weak));

#endif /* RUN_ELF_BACKEND_H */
