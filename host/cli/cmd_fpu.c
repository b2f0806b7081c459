/* tessera fpu: evaluate numerics operations given as text lines, on the RTL units (through the
 * Verilated model, sim/include/tsim_fpu.h) or on the C golden library (tessera/numerics.h).
 *
 * Input, one operation per line: the op name, then its operands in hex (fp32 8 digits, bf16 4,
 * fp8 2, exactly), separated by blanks. Output: each line back with the result appended in hex.
 * The rtl backend collects consecutive lines of one op into batches of up to 65536 and streams
 * each batch through the pipelined unit in one tsim_fpu_run call. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "tessera/numerics.h"
#include "tsim_fpu.h"

#define FPU_BATCH 65536u

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera fpu [--op OP] [--backend rtl|cmodel]\n"
          "Reads lines on stdin: an op name, then its operands in hex, e.g. 'f32_fma 3f800000 40000000 00000000'\n"
          "(fp32 operands 8 hex digits, bf16 4, fp8 2, exactly). Writes each line back with the result\n"
          "appended in lowercase hex (8, 4 or 2 digits). Blank lines and lines starting with '#' are\n"
          "copied through. A malformed line stops the run with its line number and exit status 2.\n"
          "  --op OP           every line is this op; the name may be left out of the lines\n"
          "  --backend B       rtl (the RTL units through Verilator, default) or cmodel (the C library)\n"
          "ops and operands (docs/numerics.md):\n");
  for (int i = 0; i < TNUM_OP_COUNT; i++) {
    const struct tnum_op_info *in = tnum_op_info((enum tnum_op)i);
    fprintf(f, "  %-12s", in->name);
    for (int k = 0; k < in->nargs; k++)
      fprintf(f, " %s", in->bits[k] == 32 ? "fp32" : in->bits[k] == 16 ? "bf16" : "fp8");
    fprintf(f, " -> %s\n", in->result_bits == 32 ? "fp32" : in->result_bits == 16 ? "bf16" : "fp8");
  }
}

/* Lines waiting for their batch: the text to echo and, for an operation, its operand slot. */
struct pending {
  size_t off, len;
  long slot; /* -1: copied through as it is */
};

struct fpu_run {
  int rtl;
  tsim_fpu *sim;
  int op; /* op of the batch being collected, -1 if none */
  size_t n; /* operations collected */
  uint32_t *a, *b, *c, *r;
  struct pending *lines;
  size_t nlines, cap_lines;
  char *text;
  size_t text_len, text_cap;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 1024;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * elem);
  if (!q) return -1;
  *p = q;
  *cap = n;
  return 0;
}

static int push_line(struct fpu_run *s, const char *line, size_t len, long slot) {
  if (grow((void **)&s->lines, &s->cap_lines, s->nlines + 1, sizeof *s->lines) ||
      grow((void **)&s->text, &s->text_cap, s->text_len + len, 1))
    return -1;
  if (len) memcpy(s->text + s->text_len, line, len);
  s->lines[s->nlines++] = (struct pending){s->text_len, len, slot};
  s->text_len += len;
  return 0;
}

static const char HEX[] = "0123456789abcdef";

/* Evaluate the collected batch and print every pending line. Returns an exit status. */
static int flush(struct fpu_run *s) {
  if (s->n) {
    if (s->rtl) {
      tsim_fpu_status st = tsim_fpu_run(s->sim, (enum tnum_op)s->op, s->n, s->a, s->b, s->c, s->r);
      if (st == TSIM_FPU_UNSUPPORTED) {
        fprintf(stderr, "tessera fpu: the rtl backend has no unit for %s yet (--backend cmodel has every op)\n",
                tnum_op_info((enum tnum_op)s->op)->name);
        return TESSERA_EXIT_FAIL;
      }
      if (st != TSIM_FPU_OK) {
        fprintf(stderr, "tessera fpu: the rtl backend failed on %s (status %d)\n",
                tnum_op_info((enum tnum_op)s->op)->name, (int)st);
        return TESSERA_EXIT_FAIL;
      }
    } else {
      for (size_t i = 0; i < s->n; i++) s->r[i] = tnum_eval((enum tnum_op)s->op, s->a[i], s->b[i], s->c[i]);
    }
  }
  int digits = s->op >= 0 ? tnum_op_info((enum tnum_op)s->op)->result_bits / 4 : 0;
  for (size_t i = 0; i < s->nlines; i++) {
    const struct pending *p = &s->lines[i];
    fwrite(s->text + p->off, 1, p->len, stdout);
    if (p->slot >= 0) {
      char buf[10];
      uint32_t v = s->r[p->slot];
      buf[0] = ' ';
      for (int k = 0; k < digits; k++) buf[1 + k] = HEX[(v >> (4 * (digits - 1 - k))) & 0xfu];
      buf[1 + digits] = '\n';
      fwrite(buf, 1, (size_t)digits + 2, stdout);
    } else {
      putchar('\n');
    }
  }
  s->n = 0;
  s->nlines = 0;
  s->text_len = 0;
  return TESSERA_EXIT_OK;
}

static int is_blank(char ch) { return ch == ' ' || ch == '\t'; }

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int all_hex(const char *t, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (hex_value(t[i]) < 0) return 0;
  return 1;
}

/* A field for a message: at most 24 characters, anything unprintable shown as '?'. */
static const char *shown(const char *t, size_t len, char buf[32]) {
  size_t n = len > 24 ? 24 : len, i;
  for (i = 0; i < n; i++) buf[i] = (t[i] >= 0x20 && t[i] < 0x7f) ? t[i] : '?';
  if (len > n) buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
  buf[i] = '\0';
  return buf;
}

/* Parse one operation line into op and operands, or write the complaint into why. */
static int parse_line(const char *line, size_t len, int fixed_op, int *op, uint32_t v[3], char *why, size_t why_len) {
  const char *tok[5];
  size_t tlen[5];
  int nt = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && is_blank(line[i])) i++;
    if (i >= len) break;
    size_t j = i;
    while (j < len && !is_blank(line[j])) j++;
    if (nt == 5) {
      snprintf(why, why_len, "too many fields (an op takes at most 3 operands)");
      return -1;
    }
    tok[nt] = line + i, tlen[nt] = j - i, nt++;
    i = j;
  }
  int first = 0;
  char sb[32];
  /* A first field that is not all hex digits names the op (every op name has a '_'). */
  if (nt > 0 && !all_hex(tok[0], tlen[0])) {
    char name[32];
    int o = -1;
    if (tlen[0] < sizeof name) {
      memcpy(name, tok[0], tlen[0]);
      name[tlen[0]] = '\0';
      o = tnum_op_by_name(name);
    }
    if (o < 0) {
      snprintf(why, why_len, "unknown op '%s' (tessera fpu --help lists them)", shown(tok[0], tlen[0], sb));
      return -1;
    }
    if (fixed_op >= 0 && o != fixed_op) {
      snprintf(why, why_len, "op %s differs from --op %s", name, tnum_op_info((enum tnum_op)fixed_op)->name);
      return -1;
    }
    *op = o;
    first = 1;
  } else if (fixed_op >= 0) {
    *op = fixed_op;
  } else {
    snprintf(why, why_len, "no op name (give one first on the line, or --op)");
    return -1;
  }
  const struct tnum_op_info *in = tnum_op_info((enum tnum_op)*op);
  if (nt - first != in->nargs) {
    snprintf(why, why_len, "%s takes %d operand%s, got %d", in->name, in->nargs, in->nargs > 1 ? "s" : "", nt - first);
    return -1;
  }
  v[0] = v[1] = v[2] = 0;
  for (int k = 0; k < in->nargs; k++) {
    const char *t = tok[first + k];
    size_t tl = tlen[first + k];
    size_t want = in->bits[k] / 4u;
    if (!all_hex(t, tl)) {
      snprintf(why, why_len, "operand %d of %s is not hex: '%s'", k + 1, in->name, shown(t, tl, sb));
      return -1;
    }
    if (tl != want) {
      snprintf(why, why_len, "operand %d of %s must be %zu hex digits, got %zu ('%s')", k + 1, in->name, want, tl,
               shown(t, tl, sb));
      return -1;
    }
    uint32_t x = 0;
    for (size_t i = 0; i < tl; i++) x = x << 4 | (uint32_t)hex_value(t[i]);
    v[k] = x;
  }
  return 0;
}

static int run(struct fpu_run *s, int fixed_op) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  unsigned long lineno = 0;
  int rc = TESSERA_EXIT_OK;
  while ((got = getline(&line, &cap, stdin)) >= 0) {
    lineno++;
    size_t len = (size_t)got;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || is_blank(line[len - 1]))) len--;
    if (memchr(line, '\0', len)) {
      fprintf(stderr, "tessera fpu: line %lu: contains a NUL byte\n", lineno);
      rc = TESSERA_EXIT_USAGE;
      break;
    }
    size_t i = 0;
    while (i < len && is_blank(line[i])) i++;
    long slot = -1;
    if (i < len && line[i] != '#') {
      int op;
      uint32_t v[3];
      char why[160];
      if (parse_line(line, len, fixed_op, &op, v, why, sizeof why)) {
        rc = flush(s);
        if (rc == TESSERA_EXIT_OK) {
          fprintf(stderr, "tessera fpu: line %lu: %s\n", lineno, why);
          rc = TESSERA_EXIT_USAGE;
        }
        break;
      }
      if ((s->op >= 0 && op != s->op) || s->n == FPU_BATCH) {
        if ((rc = flush(s)) != TESSERA_EXIT_OK) break;
      }
      s->op = op;
      slot = (long)s->n;
      s->a[s->n] = v[0], s->b[s->n] = v[1], s->c[s->n] = v[2];
      s->n++;
    } else if (s->nlines >= 4 * FPU_BATCH) { /* a long run of comments: print it */
      if ((rc = flush(s)) != TESSERA_EXIT_OK) break;
    }
    if (push_line(s, line, len, slot)) {
      fprintf(stderr, "tessera fpu: out of memory\n");
      rc = TESSERA_EXIT_FAIL;
      break;
    }
  }
  free(line);
  if (rc == TESSERA_EXIT_OK) {
    if (ferror(stdin)) {
      fprintf(stderr, "tessera fpu: error reading stdin\n");
      rc = TESSERA_EXIT_FAIL;
    } else {
      rc = flush(s);
    }
  }
  return rc;
}

int cmd_fpu(int argc, char **argv) {
  int fixed_op = -1, rtl = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--op") && v) {
      fixed_op = tnum_op_by_name(v);
      if (fixed_op < 0) {
        fprintf(stderr, "tessera fpu: unknown op '%s' (tessera fpu --help lists them)\n", v);
        return TESSERA_EXIT_USAGE;
      }
      i++;
    } else if (!strcmp(a, "--backend") && v) {
      if (!strcmp(v, "rtl")) {
        rtl = 1;
      } else if (!strcmp(v, "cmodel")) {
        rtl = 0;
      } else {
        fprintf(stderr, "tessera fpu: --backend wants rtl or cmodel, got '%s'\n", v);
        return TESSERA_EXIT_USAGE;
      }
      i++;
    } else {
      int known = !strcmp(a, "--op") || !strcmp(a, "--backend");
      fprintf(stderr, "tessera fpu: %s '%s' (see tessera fpu --help)\n", known ? "option needs a value:" : "unknown argument",
              a);
      return TESSERA_EXIT_USAGE;
    }
  }

  struct fpu_run s;
  memset(&s, 0, sizeof s);
  s.rtl = rtl;
  s.op = -1;
  s.a = malloc(FPU_BATCH * sizeof *s.a);
  s.b = malloc(FPU_BATCH * sizeof *s.b);
  s.c = malloc(FPU_BATCH * sizeof *s.c);
  s.r = malloc(FPU_BATCH * sizeof *s.r);
  int rc = TESSERA_EXIT_OK;
  if (!s.a || !s.b || !s.c || !s.r) {
    fprintf(stderr, "tessera fpu: out of memory\n");
    rc = TESSERA_EXIT_FAIL;
  } else if (rtl && !(s.sim = tsim_fpu_open(NULL))) {
    fprintf(stderr, "tessera fpu: cannot start the RTL model\n");
    rc = TESSERA_EXIT_FAIL;
  } else {
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    rc = run(&s, fixed_op);
    if (fflush(stdout) || ferror(stdout)) {
      fprintf(stderr, "tessera fpu: error writing stdout\n");
      if (rc == TESSERA_EXIT_OK) rc = TESSERA_EXIT_FAIL;
    }
  }
  if (s.sim) tsim_fpu_close(s.sim);
  free(s.a), free(s.b), free(s.c), free(s.r), free(s.lines), free(s.text);
  return rc;
}
