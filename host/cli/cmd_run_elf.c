/* tessera run-elf: load a controller program (a 32-bit RISC-V ELF) and run it on a backend.
 * The cmodel backend (the instruction-set simulator, sim/iss) lives here; the rtl backend plugs in
 * through host/cli/run_elf_backend.h. Exit statuses: docs/firmware.md. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_elf_backend.h"
#include "tessera.h"
#include "tiss.h"
#include "tsim_elf.h"

enum { EXIT_MAX_CYCLES = 3, EXIT_FAULT = 4, EXIT_MISMATCH = 5 };

/* ---- the cmodel backend ---------------------------------------------------------------------- */

struct cmodel {
  tiss *iss;
  uint64_t max_cycles;
  uint64_t ext_irq_at;
  run_elf_console_fn console;
  void *ctx;
};

static void *cmodel_open(const struct run_elf_opts *o, char *err, size_t errlen) {
  if (o->trace) {
    snprintf(err, errlen, "--trace needs the rtl backend (the cmodel backend has no waveforms)");
    return NULL;
  }
  if (o->cosim) {
    snprintf(err, errlen, "--cosim needs the rtl backend (it runs the cmodel in lock step with the RTL)");
    return NULL;
  }
  struct cmodel *c = calloc(1, sizeof *c);
  if (!c || !(c->iss = tiss_new())) {
    free(c);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  c->max_cycles = o->max_cycles;
  c->ext_irq_at = o->ext_irq_at;
  return c;
}

static int cmodel_write(void *ctx, uint32_t addr, const void *src, size_t n) {
  return tiss_write_mem(ctx, addr, src, n);
}

static int cmodel_load(void *h, const char *path, char *err, size_t errlen) {
  struct cmodel *c = h;
  uint32_t entry;
  if (tsim_elf_load(path, cmodel_write, c->iss, &entry, err, errlen)) return -1;
  tiss_reset(c->iss);
  tiss_set_pc(c->iss, entry);
  return 0;
}

static void cmodel_putc(void *ctx, char ch) {
  struct cmodel *c = ctx;
  c->console(c->ctx, &ch, 1);
}

static int cmodel_run(void *h, run_elf_console_fn console, void *ctx, struct run_elf_result *res) {
  struct cmodel *c = h;
  c->console = console, c->ctx = ctx;
  tiss_set_console_fn(c->iss, cmodel_putc, c);
  tiss_state st = TISS_RUNNING;
  if (c->ext_irq_at) {
    /* Step up to the cycle the external line rises (the fast path cannot stop there and go on). */
    struct tsim_retire r;
    uint64_t until = c->ext_irq_at < c->max_cycles ? c->ext_irq_at : c->max_cycles;
    while (st == TISS_RUNNING && tiss_cycles(c->iss) < until) st = tiss_step(c->iss, &r);
    tiss_set_external_irq(c->iss, 1);
  }
  if (st == TISS_RUNNING) st = tiss_run(c->iss, c->max_cycles);
  memset(res, 0, sizeof *res);
  res->cycles = tiss_cycles(c->iss);
  res->instret = tiss_instret(c->iss);
  res->exit_code = tiss_exit_code(c->iss);
  switch (st) {
  case TISS_EXITED: res->end = RUN_ELF_EXITED; break;
  case TISS_MAX_CYCLES: res->end = RUN_ELF_MAX_CYCLES; break;
  case TISS_FAULT: res->end = RUN_ELF_FAULT; break;
  default: res->end = RUN_ELF_ERROR; break;
  }
  if (st != TISS_EXITED) snprintf(res->msg, sizeof res->msg, "%s", tiss_error(c->iss));
  return 0;
}

static void cmodel_close(void *h) {
  struct cmodel *c = h;
  if (!c) return;
  tiss_free(c->iss);
  free(c);
}

const struct run_elf_backend run_elf_backend_cmodel = {
    "cmodel", cmodel_open, cmodel_load, cmodel_run, cmodel_close,
};

/* ---- the command ----------------------------------------------------------------------------- */

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera run-elf FILE [--backend rtl|cmodel] [--max-cycles N] [--trace FILE.fst]\n"
          "                            [--stats] [--json] [--cosim] [--ext-irq N]\n"
          "Loads a statically linked rv32im ELF into the controller's IMEM/DMEM, runs it from reset,\n"
          "prints its console output on stdout and exits with its exit code (low 8 bits).\n"
          "  --backend B       rtl (the Verilated core; default when built in) or cmodel (the ISS)\n"
          "  --max-cycles N    stop after N cycles (default %llu): exit status 3\n"
          "  --trace FILE.fst  waveform of the run (rtl backend only)\n"
          "  --stats           cycles, instructions and CPI on stderr\n"
          "  --json            the statistics as one JSON object on stderr (implies --stats)\n"
          "  --cosim           run the ISS in lock step with the RTL, stop at the first difference\n"
          "  --ext-irq N       raise the external interrupt line at cycle N (it stays high)\n"
          "Exit status: the program's, or 2 bad command line / bad ELF, 3 cycle limit,\n"
          "4 access outside the memory map or bus error, 5 co-simulation mismatch, 1 other failure.\n",
          (unsigned long long)RUN_ELF_DEFAULT_MAX_CYCLES);
}

static void console_stdout(void *ctx, const char *buf, size_t n) {
  (void)ctx;
  fwrite(buf, 1, n, stdout);
  if (memchr(buf, '\n', n)) fflush(stdout);
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-' || *s == '+') return -1;
  unsigned long long v = strtoull(s, &end, 0);
  if (*end || v == 0) return -1;
  *out = v;
  return 0;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

int cmd_run_elf(int argc, char **argv) {
  const char *file = NULL, *backend_name = NULL;
  struct run_elf_opts o = {RUN_ELF_DEFAULT_MAX_CYCLES, NULL, 0, 0};
  int stats = 0, json = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--stats")) {
      stats = 1;
    } else if (!strcmp(a, "--json")) {
      json = stats = 1;
    } else if (!strcmp(a, "--cosim")) {
      o.cosim = 1;
    } else if (!strcmp(a, "--backend") || !strcmp(a, "--max-cycles") || !strcmp(a, "--trace") ||
               !strcmp(a, "--ext-irq")) {
      if (!v) {
        fprintf(stderr, "tessera run-elf: %s wants a value (tessera run-elf --help)\n", a);
        return TESSERA_EXIT_USAGE;
      }
      i++;
      if (!strcmp(a, "--backend")) {
        backend_name = v;
      } else if (!strcmp(a, "--trace")) {
        o.trace = v;
      } else if (!strcmp(a, "--ext-irq")) {
        if (parse_u64(v, &o.ext_irq_at)) {
          fprintf(stderr, "tessera run-elf: --ext-irq wants a positive cycle number, got '%s'\n", v);
          return TESSERA_EXIT_USAGE;
        }
      } else if (parse_u64(v, &o.max_cycles)) {
        fprintf(stderr, "tessera run-elf: --max-cycles wants a positive integer, got '%s'\n", v);
        return TESSERA_EXIT_USAGE;
      }
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "tessera run-elf: unknown option '%s' (tessera run-elf --help)\n", a);
      return TESSERA_EXIT_USAGE;
    } else if (file) {
      fprintf(stderr, "tessera run-elf: one ELF file only ('%s' and '%s')\n", file, a);
      return TESSERA_EXIT_USAGE;
    } else {
      file = a;
    }
  }
  if (!file) {
    fprintf(stderr, "tessera run-elf: no ELF file given (tessera run-elf --help)\n");
    return TESSERA_EXIT_USAGE;
  }
  const struct run_elf_backend *be;
  if (!backend_name) {
    be = &run_elf_backend_rtl ? &run_elf_backend_rtl : &run_elf_backend_cmodel;
  } else if (!strcmp(backend_name, "cmodel")) {
    be = &run_elf_backend_cmodel;
  } else if (!strcmp(backend_name, "rtl")) {
    if (!&run_elf_backend_rtl) {
      fprintf(stderr, "tessera run-elf: rtl backend not built\n");
      return TESSERA_EXIT_USAGE;
    }
    be = &run_elf_backend_rtl;
  } else {
    fprintf(stderr, "tessera run-elf: unknown backend '%s' (rtl or cmodel)\n", backend_name);
    return TESSERA_EXIT_USAGE;
  }

  char err[512] = "";
  void *h = be->open(&o, err, sizeof err);
  if (!h) {
    fprintf(stderr, "tessera run-elf: %s\n", err);
    return TESSERA_EXIT_USAGE;
  }
  if (be->load(h, file, err, sizeof err)) {
    fprintf(stderr, "tessera run-elf: %s\n", err);
    be->close(h);
    return TESSERA_EXIT_USAGE;
  }
  struct run_elf_result res;
  memset(&res, 0, sizeof res);
  double t0 = now_seconds();
  be->run(h, console_stdout, NULL, &res);
  double secs = now_seconds() - t0;
  be->close(h);
  fflush(stdout);

  int status;
  switch (res.end) {
  case RUN_ELF_EXITED: status = (int)(res.exit_code & 0xffu); break;
  case RUN_ELF_MAX_CYCLES: status = EXIT_MAX_CYCLES; break;
  case RUN_ELF_FAULT: status = EXIT_FAULT; break;
  case RUN_ELF_MISMATCH: status = EXIT_MISMATCH; break;
  default: status = TESSERA_EXIT_FAIL; break;
  }
  if (res.end != RUN_ELF_EXITED) fprintf(stderr, "tessera run-elf: %s: %s\n", file, res.msg);
  if (stats) {
    double cpi = res.instret ? (double)res.cycles / (double)res.instret : 0.0;
    double ips = secs > 0 ? (double)res.instret / secs : 0.0;
    if (json) {
      fprintf(stderr, "{\"backend\": \"%s\", \"file\": ", be->name);
      json_string(stderr, file);
      fprintf(stderr,
              ", \"status\": %d, \"exit_code\": %" PRIu32 ", \"cycles\": %" PRIu64 ", \"instructions\": %" PRIu64
              ", \"cpi\": %.4f, \"seconds\": %.6f, \"instructions_per_second\": %.0f}\n",
              status, res.exit_code, res.cycles, res.instret, cpi, secs, ips);
    } else {
      fprintf(stderr,
              "backend %s\ncycles %" PRIu64 "\ninstructions %" PRIu64 "\nCPI %.4f\n"
              "host seconds %.3f\ninstructions/second %.0f\n",
              be->name, res.cycles, res.instret, cpi, secs, ips);
    }
  }
  return status;
}
