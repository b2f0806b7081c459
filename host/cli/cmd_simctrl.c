/* tessera simctrl: print a message and exit through the RTL simulation-control block.
 * The first vertical thread of the build: register map -> RTL -> Verilator -> C. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "tessera/gen/map.h"
#include "tsim_simctrl.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera simctrl [--text STR] [--exit N] [--idle N] [--trace FILE.fst] [--json]\n"
          "Writes STR to the RTL block's console register byte by byte, idles N cycles, reads the\n"
          "cycle counter, then writes N to the exit register. Prints the console output on stdout and\n"
          "exits with the code the block recorded.\n"
          "  --text STR        text to print (default: a greeting)\n"
          "  --exit N          exit code to write, 0..255 (default 0)\n"
          "  --idle N          idle cycles before reading the counter (default 100)\n"
          "  --trace FILE.fst  write a waveform of every cycle\n"
          "  --json            print statistics as JSON on stderr\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 0);
  if (*end || v > max) return -1;
  *out = v;
  return 0;
}

int cmd_simctrl(int argc, char **argv) {
  const char *text = "Hello from the Tessera RTL simulation-control block.\n";
  const char *trace = NULL;
  uint64_t code = 0, idle = 100;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--text") && v) {
      text = v, i++;
    } else if (!strcmp(a, "--trace") && v) {
      trace = v, i++;
    } else if (!strcmp(a, "--exit") && v) {
      if (parse_u64(v, 255, &code)) {
        fprintf(stderr, "tessera simctrl: --exit wants an integer 0..255, got '%s'\n", v);
        return TESSERA_EXIT_USAGE;
      }
      i++;
    } else if (!strcmp(a, "--idle") && v) {
      if (parse_u64(v, 1000000000ull, &idle)) {
        fprintf(stderr, "tessera simctrl: --idle wants an integer 0..1000000000, got '%s'\n", v);
        return TESSERA_EXIT_USAGE;
      }
      i++;
    } else {
      int known = !strcmp(a, "--text") || !strcmp(a, "--trace") || !strcmp(a, "--exit") || !strcmp(a, "--idle");
      fprintf(stderr, "tessera simctrl: %s '%s' (see tessera simctrl --help)\n",
              known ? "option needs a value:" : "unknown argument", a);
      return TESSERA_EXIT_USAGE;
    }
  }

  tsim_simctrl *s = tsim_simctrl_open(trace);
  if (!s) {
    fprintf(stderr, "tessera simctrl: cannot start the model%s%s\n", trace ? " or open " : "", trace ? trace : "");
    return TESSERA_EXIT_FAIL;
  }
  tsim_status st = TSIM_OK;
  for (const char *p = text; *p && st == TSIM_OK; p++)
    st = tsim_simctrl_write(s, TESSERA_SIMCTRL_CONSOLE_OFFSET, (uint8_t)*p, 0x1);
  tsim_simctrl_step(s, idle);
  uint32_t lo = 0, hi = 0;
  if (st == TSIM_OK) st = tsim_simctrl_read(s, TESSERA_SIMCTRL_CYCLE_LO_OFFSET, &lo);
  if (st == TSIM_OK) st = tsim_simctrl_read(s, TESSERA_SIMCTRL_CYCLE_HI_OFFSET, &hi);
  if (st == TSIM_OK) st = tsim_simctrl_write(s, TESSERA_SIMCTRL_EXIT_OFFSET, (uint32_t)code, 0xF);

  char buf[256];
  size_t n;
  while ((n = tsim_simctrl_console(s, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
  fflush(stdout);
  uint32_t exit_code = 0;
  int exited = tsim_simctrl_exited(s, &exit_code);
  uint64_t counter = (uint64_t)hi << 32 | lo, cycles = tsim_simctrl_cycles(s);
  tsim_simctrl_close(s);
  if (st != TSIM_OK) {
    fprintf(stderr, "tessera simctrl: bus access failed: %s\n", tsim_status_str(st));
    return TESSERA_EXIT_FAIL;
  }
  if (json)
    fprintf(stderr, "{\"cycles\": %" PRIu64 ", \"counter_read\": %" PRIu64 ", \"exit_code\": %" PRIu32 "}\n",
            cycles, counter, exit_code);
  else
    fprintf(stderr, "simctrl: %" PRIu64 " cycles simulated, counter read %" PRIu64 ", exit code %" PRIu32 "\n",
            cycles, counter, exit_code);
  return exited ? (int)(exit_code & 0xff) : TESSERA_EXIT_FAIL;
}
