/* Long tier of the RTL numerics tests (make bench-numerics-rtl-long): N random vectors of every
 * exact operation (the fpu_vec.h mixtures; every class of the binary mixtures equally often)
 * through the RTL units, each result compared with the IEEE reference (tests/numerics/ref_ieee.h) and with the
 * C library (tessera/numerics.h). bf16 -> f32 and fp8 -> f32 are exhaustive instead.
 * Prints one line per op (and per mixture class of the binary ops) with the mismatch counts and
 * the first mismatching vectors; exits 1 if any result differs, 2 on a bad command line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ref_ieee.h"
#include "fpu_vec.h"
#include "tessera/numerics.h"
#include "tsim_fpu.h"

enum { CHUNK = 1 << 20, SHOW = 4 };

struct counts {
  uint64_t n, rtl_ref, lib_ref, rtl_lib;
};

static uint32_t *va, *vb, *vc, *vr;
static unsigned shown;

static const char *op_name(enum tnum_op op) { return tnum_op_info(op)->name; }

/* Compare n results; add to cnt. */
static void compare(enum tnum_op op, size_t n, struct counts *cnt) {
  for (size_t i = 0; i < n; i++) {
    uint32_t want = vec_ref(op, va[i], vb[i], vc[i]);
    uint32_t lib = tnum_eval(op, va[i], vb[i], vc[i]);
    cnt->n++;
    if (vr[i] == want && lib == want) continue;
    cnt->rtl_ref += vr[i] != want;
    cnt->lib_ref += lib != want;
    cnt->rtl_lib += vr[i] != lib;
    if (shown++ < SHOW)
      printf("  mismatch %s a=%08x b=%08x c=%08x: rtl %08x, IEEE reference %08x, library %08x\n", op_name(op), va[i],
             vb[i], vc[i], vr[i], want, lib);
  }
}

static int run(tsim_fpu *f, enum tnum_op op, size_t n) {
  tsim_fpu_status st = tsim_fpu_run(f, op, n, va, vb, vc, vr);
  if (st != TSIM_FPU_OK) {
    fprintf(stderr, "fpu_check_long: tsim_fpu_run(%s) failed with status %d\n", op_name(op), (int)st);
    return -1;
  }
  return 0;
}

static void print_counts(const char *name, const struct counts *c) {
  printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", name, c->n, c->rtl_ref, c->lib_ref,
         c->rtl_lib);
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 0);
  if (*end) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  uint64_t n_per_op = 4000000, seed = 0x5eed;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) {
      if (parse_u64(argv[++i], &n_per_op) || n_per_op == 0) {
        fprintf(stderr, "fpu_check_long: --n needs a positive integer, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      if (parse_u64(argv[++i], &seed)) {
        fprintf(stderr, "fpu_check_long: --seed needs an integer, got '%s'\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "usage: fpu_check_long [--n VECTORS_PER_OP] [--seed SEED] (unknown argument '%s')\n", argv[i]);
      return 2;
    }
  }
  va = calloc(CHUNK, 4), vb = calloc(CHUNK, 4), vc = calloc(CHUNK, 4), vr = calloc(CHUNK, 4);
  tsim_fpu *f = tsim_fpu_open(NULL);
  if (!va || !vb || !vc || !vr || !f) {
    fprintf(stderr, "fpu_check_long: out of memory\n");
    return 1;
  }
  time_t t0 = time(NULL);
  uint64_t bad = 0;
  printf("%-26s %12s %12s %12s %12s\n", "op", "vectors", "rtl!=ieee", "lib!=ieee", "rtl!=lib");
  for (enum tnum_op op = 0; vec_is_exact(op); op++) {
    struct counts total = {0, 0, 0, 0};
    vec_seed(seed + (uint64_t)op * 0x9e3779b97f4a7c15ull);
    shown = 0;
    if (op == TNUM_BF16_TO_F32 || op == TNUM_E4M3_TO_F32 || op == TNUM_E5M2_TO_F32) {
      uint32_t codes = op == TNUM_BF16_TO_F32 ? 65536u : 256u; /* exhaustive */
      for (uint32_t i = 0; i < codes; i++) va[i] = i, vb[i] = vc[i] = 0;
      if (run(f, op, codes)) return 1;
      compare(op, codes, &total);
    } else if (op <= TNUM_BF16_FMA) {
      /* The binary mixtures class by class, equally many vectors each. */
      for (unsigned kind = 0; kind < VEC_BINARY_KINDS; kind++) {
        struct counts cls = {0, 0, 0, 0};
        uint64_t todo = n_per_op / VEC_BINARY_KINDS + (kind < n_per_op % VEC_BINARY_KINDS);
        while (todo) {
          size_t n = todo < CHUNK ? (size_t)todo : CHUNK;
          for (size_t i = 0; i < n; i++) vec_gen_binary_kind(op, kind, &va[i], &vb[i], &vc[i]);
          if (run(f, op, n)) return 1;
          compare(op, n, &cls);
          todo -= n;
        }
        char name[40];
        snprintf(name, sizeof name, "  %s class %u", op_name(op), kind);
        print_counts(name, &cls);
        total.n += cls.n, total.rtl_ref += cls.rtl_ref, total.lib_ref += cls.lib_ref, total.rtl_lib += cls.rtl_lib;
      }
    } else {
      uint64_t todo = n_per_op;
      while (todo) {
        size_t n = todo < CHUNK ? (size_t)todo : CHUNK;
        for (size_t i = 0; i < n; i++) vec_gen(op, &va[i], &vb[i], &vc[i]);
        if (run(f, op, n)) return 1;
        compare(op, n, &total);
        todo -= n;
      }
    }
    print_counts(op_name(op), &total);
    fflush(stdout);
    bad += total.rtl_ref + total.lib_ref + total.rtl_lib;
  }
  printf("fpu_check_long: %s (%.0f s, seed 0x%" PRIx64 ")\n", bad ? "MISMATCHES" : "no mismatch",
         difftime(time(NULL), t0), seed);
  tsim_fpu_close(f);
  free(va), free(vb), free(vc), free(vr);
  return bad ? 1 : 0;
}
