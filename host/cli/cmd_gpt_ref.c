/* tessera gpt-ref: train the float64 GPT reference (tessera/gpt_ref64.h, docs/gpt.md) on the host,
 * on a synthetic next-token task generated from the seed. This is the golden model, not the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera.h"
#include "tessera/gpt_ref64.h"

#define ME "tessera gpt-ref"

/* Refused above these (memory: params, gradient and two moments are 4 doubles per parameter;
 * one step keeps every activation of the batch for the backward). */
#define MAX_PARAMS 4000000.0 /* 128 MB for parameters, gradient, moments */
#define MAX_ACTS 16000000.0  /* 128 MB of activations in one step */
#define PATTERN_PERIOD 7

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera gpt-ref [--vocab V] [--ctx T] [--width D] [--heads H] [--layers L] [--ffn F]\n"
          "                       [--batch B] [--steps N] [--lr LR] [--seed S] [--task pattern|copy]\n"
          "                       [--grad-check K] [--json]\n"
          "Trains the float64 GPT reference (host/gpt/gpt_ref64.c, docs/gpt.md) on the HOST: the golden model a\n"
          "device run will be compared with. It does not use the device; the device GPT does not exist yet.\n"
          "AdamW (betas 0.9, 0.999, eps 1e-8, no weight decay) on a synthetic next-token task from the seed:\n"
          "  pattern  a fixed random sequence of period %d (distinct tokens), each sequence starts at a random\n"
          "           phase; fully learnable (the first token gives the phase)\n"
          "  copy     each sequence's second half repeats its first half (random tokens); only the second\n"
          "           half is predictable, so the loss cannot fall below about half of ln V; an induction\n"
          "           task, much harder: at the default sizes the loss barely moves in 300 steps\n"
          "A new batch is drawn every step. One progress line per step on stderr, a summary on stdout.\n"
          "  --vocab V    1..65536 (default 32)     --ctx T     1..4096 (default 16)\n"
          "  --width D    1..4096 (default 32)      --heads H   1..4096, divides D (default 4)\n"
          "  --layers L   1..64 (default 2)         --ffn F     1..65536 (default 4 D)\n"
          "  --batch B    1..4096 (default 4)       --steps N   1..100000 (default 50)\n"
          "  --lr LR      in (0, 1] (default 0.01)  --seed S    default 1 (init and data)\n"
          "  --task T     pattern (default) or copy\n"
          "  --grad-check K  after training, compare the analytic gradient with central finite differences\n"
          "               (h 1e-5) on K entries sampled from every tensor; report the max relative error\n"
          "               over the entries with |g| > 1e-4\n"
          "  --json       one JSON object on stdout: losses (per step), params, config, wall_s, and\n"
          "               fd_max_rel_err, fd_entries with --grad-check\n"
          "Refused: more than %.0f parameters, or more than %.0f activation doubles in one step.\n"
          "Exit status: 0 ok, 1 failure (out of memory, a reference call failed), 2 bad arguments.\n",
          PATTERN_PERIOD, MAX_PARAMS, MAX_ACTS);
}

/* splitmix64: the data stream (distinct from the init's, which starts from the seed itself). */
static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint32_t below(uint64_t *s, uint32_t n) { return (uint32_t)(next_u64(s) % n); }

struct task {
  int copy;
  uint32_t vocab, ctx, period;
  uint32_t pat[PATTERN_PERIOD];
  uint32_t *seq; /* ctx + 1 */
};

/* One batch: tokens and targets [B][T]; the target is the next token of a (T+1)-token sequence. */
static void draw_batch(struct task *tk, uint64_t *rng, uint32_t B, uint32_t *tok, uint32_t *tgt) {
  uint32_t T = tk->ctx;
  for (uint32_t b = 0; b < B; b++) {
    if (tk->copy) {
      uint32_t h = (T + 1) / 2;
      for (uint32_t t = 0; t <= T; t++) tk->seq[t] = t < h ? below(rng, tk->vocab) : tk->seq[t - h];
    } else {
      uint32_t ph = below(rng, tk->period);
      for (uint32_t t = 0; t <= T; t++) tk->seq[t] = tk->pat[(ph + t) % tk->period];
    }
    for (uint32_t t = 0; t < T; t++) tok[(size_t)b * T + t] = tk->seq[t], tgt[(size_t)b * T + t] = tk->seq[t + 1];
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Central differences on k entries sampled from every tensor; *max_rel over |g| > 1e-4, *n_used
 * entries counted. Returns -1 if a reference call fails. */
static int grad_check(const struct gpt_cfg *c, double *p, const uint32_t *tok, const uint32_t *tgt, uint32_t B,
                      const double *g, uint32_t k, uint64_t *rng, double *max_rel, size_t *n_used) {
  const double h = 1e-5;
  *max_rel = 0.0, *n_used = 0;
  for (size_t ti = 0; ti < gpt_tensor_count(c); ti++) {
    struct gpt_tensor t;
    if (gpt_tensor_info(c, ti, &t)) return -1;
    size_t size = t.rows * t.cols;
    for (uint32_t j = 0; j < k; j++) {
      size_t i = t.off + (size_t)(next_u64(rng) % size);
      double keep = p[i], lp, lm;
      p[i] = keep + h;
      int r = gpt_ref64_loss(c, p, tok, tgt, B, &lp);
      p[i] = keep - h;
      r |= gpt_ref64_loss(c, p, tok, tgt, B, &lm);
      p[i] = keep;
      if (r) return -1;
      double fd = (lp - lm) / (2 * h);
      if (fabs(g[i]) > 1e-4) {
        *max_rel = fmax(*max_rel, fabs(fd - g[i]) / fabs(g[i]));
        ++*n_used;
      }
    }
  }
  return 0;
}

int cmd_gpt_ref(int argc, char **argv) {
  struct gpt_cfg c = {.vocab = 32, .ctx = 16, .d = 32, .heads = 4, .layers = 2, .ffn = 0};
  uint32_t B = 4, steps = 50, seed = 1, gcheck = 0;
  double lr = 0.01;
  int json = 0, copy = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint32_t *u = NULL, lo = 1, hi = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
      continue;
    } else if (!strcmp(a, "--vocab")) {
      u = &c.vocab, hi = 65536;
    } else if (!strcmp(a, "--ctx")) {
      u = &c.ctx, hi = 4096;
    } else if (!strcmp(a, "--width")) {
      u = &c.d, hi = 4096;
    } else if (!strcmp(a, "--heads")) {
      u = &c.heads, hi = 4096;
    } else if (!strcmp(a, "--layers")) {
      u = &c.layers, hi = 64;
    } else if (!strcmp(a, "--ffn")) {
      u = &c.ffn, hi = 65536;
    } else if (!strcmp(a, "--batch")) {
      u = &B, hi = 4096;
    } else if (!strcmp(a, "--steps")) {
      u = &steps, hi = 100000;
    } else if (!strcmp(a, "--seed")) {
      u = &seed, lo = 0, hi = UINT32_MAX;
    } else if (!strcmp(a, "--grad-check")) {
      u = &gcheck, lo = 0, hi = 100000;
    } else if (!strcmp(a, "--lr")) {
      if (tessera_arg_double(ME, a, v, &lr)) return TESSERA_EXIT_USAGE;
      if (!(lr > 0 && lr <= 1)) {
        fprintf(stderr, ME ": --lr must be in (0, 1], got %s\n", v);
        return TESSERA_EXIT_USAGE;
      }
      i++;
      continue;
    } else if (!strcmp(a, "--task")) {
      if (v && !strcmp(v, "pattern")) {
        copy = 0;
      } else if (v && !strcmp(v, "copy")) {
        copy = 1;
      } else {
        fprintf(stderr, ME ": --task wants pattern or copy, got '%s'\n", v ? v : "");
        return TESSERA_EXIT_USAGE;
      }
      i++;
      continue;
    } else {
      fprintf(stderr, ME ": unknown option '%s' (tessera gpt-ref --help lists them)\n", a);
      return TESSERA_EXIT_USAGE;
    }
    if (tessera_arg_u32(ME, a, v, lo, hi, u)) return TESSERA_EXIT_USAGE;
    i++;
  }
  if (!c.ffn) c.ffn = 4 * c.d;
  const char *why = gpt_cfg_check(&c);
  if (why) {
    fprintf(stderr, ME ": %s\n", why);
    return TESSERA_EXIT_USAGE;
  }
  /* Sizes, in double so nothing overflows (every dimension is bounded above). */
  double d = c.d, f = c.ffn, L = c.layers, V = c.vocab, T = c.ctx, n = (double)B * T;
  double nparams = V * d + T * d + 2 * d + L * (4 * d * d + 2 * f * d + 9 * d + f);
  double nacts = (L + 1) * n * d + 7 * L * n * d + 4 * L * n + 2 * L * n * f + L * n * c.heads * T + n * d + 2 * n +
                 n * V;
  if (nparams > MAX_PARAMS) {
    fprintf(stderr, ME ": %.0f parameters, more than the %.0f this command allows\n", nparams, MAX_PARAMS);
    return TESSERA_EXIT_USAGE;
  }
  if (nacts > MAX_ACTS) {
    fprintf(stderr, ME ": %.0f activation doubles in one step, more than the %.0f this command allows\n", nacts,
            MAX_ACTS);
    return TESSERA_EXIT_USAGE;
  }

  struct gpt_layout lay;
  if (gpt_layout_init(&c, &lay)) {
    fprintf(stderr, ME ": gpt_layout_init failed\n");
    return TESSERA_EXIT_FAIL;
  }
  size_t P = lay.total, nt = (size_t)B * c.ctx;
  double *w = calloc(P, sizeof(double)), *g = calloc(P, sizeof(double));
  double *m = calloc(P, sizeof(double)), *v = calloc(P, sizeof(double));
  double *losses = calloc(steps, sizeof(double));
  uint32_t *tok = calloc(nt, sizeof(uint32_t)), *tgt = calloc(nt, sizeof(uint32_t));
  struct task tk = {.copy = copy, .vocab = c.vocab, .ctx = c.ctx};
  tk.seq = calloc((size_t)c.ctx + 1, sizeof(uint32_t));
  int rc = TESSERA_EXIT_FAIL;
  double t0 = now_s(), fd_err = 0.0;
  size_t fd_n = 0;
  if (!w || !g || !m || !v || !losses || !tok || !tgt || !tk.seq) {
    fprintf(stderr, ME ": out of memory\n");
    goto out;
  }
  if (gpt_ref64_init(&c, seed, w)) {
    fprintf(stderr, ME ": gpt_ref64_init failed\n");
    goto out;
  }
  uint64_t rng = ((uint64_t)seed << 32) ^ 0x6770742d72656600ull; /* the data stream */
  /* pattern: PATTERN_PERIOD distinct tokens (fewer if the vocabulary is smaller), a partial shuffle. */
  tk.period = c.vocab < PATTERN_PERIOD ? c.vocab : PATTERN_PERIOD;
  for (uint32_t i = 0; i < tk.period; i++) {
    uint32_t x;
    int dup;
    do {
      x = below(&rng, c.vocab), dup = 0;
      for (uint32_t j = 0; j < i; j++) dup |= tk.pat[j] == x;
    } while (dup);
    tk.pat[i] = x;
  }
  struct ref64_adamw hp = {.lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.0};
  for (uint32_t s = 1; s <= steps; s++) {
    draw_batch(&tk, &rng, B, tok, tgt);
    if (gpt_ref64_grad(&c, w, tok, tgt, B, &losses[s - 1], g)) {
      fprintf(stderr, ME ": gpt_ref64_grad failed at step %u (out of memory?)\n", s);
      goto out;
    }
    fprintf(stderr, "step %u/%u loss %.6f\n", s, steps, losses[s - 1]);
    hp.step = s;
    if (gpt_ref64_adamw(&hp, w, g, m, v, P)) {
      fprintf(stderr, ME ": gpt_ref64_adamw failed at step %u\n", s);
      goto out;
    }
  }
  if (gcheck) {
    /* On the trained parameters and a fresh batch. */
    draw_batch(&tk, &rng, B, tok, tgt);
    if (gpt_ref64_grad(&c, w, tok, tgt, B, NULL, g) ||
        grad_check(&c, w, tok, tgt, B, g, gcheck, &rng, &fd_err, &fd_n)) {
      fprintf(stderr, ME ": the gradient check failed to run (out of memory?)\n");
      goto out;
    }
  }
  double wall = now_s() - t0;
  const char *task = copy ? "copy" : "pattern";
  if (json) {
    printf("{\"config\": {\"vocab\": %u, \"ctx\": %u, \"width\": %u, \"heads\": %u, \"layers\": %u, \"ffn\": %u, "
           "\"batch\": %u, \"steps\": %u, \"lr\": %.17g, \"seed\": %u, \"task\": \"%s\", \"grad_check\": %u},\n",
           c.vocab, c.ctx, c.d, c.heads, c.layers, c.ffn, B, steps, lr, seed, task, gcheck);
    printf(" \"params\": %zu, \"losses\": [", P);
    for (uint32_t s = 0; s < steps; s++) printf("%s%.17g", s ? ", " : "", losses[s]);
    printf("],\n");
    if (gcheck) printf(" \"fd_max_rel_err\": %.6e, \"fd_entries\": %zu,\n", fd_err, fd_n);
    printf(" \"wall_s\": %.6f}\n", wall);
  } else {
    printf("gpt-ref: float64 reference on the host (not the device): vocab %u ctx %u width %u heads %u layers %u "
           "ffn %u\n",
           c.vocab, c.ctx, c.d, c.heads, c.layers, c.ffn);
    printf("params %zu, task %s, batch %u, steps %u, lr %g, seed %u\n", P, task, B, steps, lr, seed);
    printf("loss first %.6f last %.6f (%.1f%% of the first)\n", losses[0], losses[steps - 1],
           100.0 * losses[steps - 1] / losses[0]);
    if (gcheck)
      printf("grad check: %u entries per tensor, %zu with |g| > 1e-4, max relative error %.3e\n", gcheck, fd_n,
             fd_err);
    printf("wall %.3f s\n", wall);
  }
  rc = TESSERA_EXIT_OK;
out:
  free(w), free(g), free(m), free(v), free(losses), free(tok), free(tgt), free(tk.seq);
  return rc;
}
