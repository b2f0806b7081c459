/* tessera mlp: train a stack of sparse linear + GELU layers with a cross-entropy loss on the device,
 * forward, backward and AdamW all on the tiles (host/train/mlp.h, docs/training.md). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../train/mlp.h"
#include "tessera.h"
#include "tessera/gen/hwcfg.h"

#define ME "tessera mlp"

#ifndef TESSERA_FW_ELF
#define TESSERA_FW_ELF "build/default/fw/tessera_fw.elf"
#endif

static void help(FILE *f) {
  fprintf(f,
          "usage: tessera mlp [--layers L] [--width D] [--tokens T] [--density S] [--steps N]\n"
          "                   [--backend rtl|cmodel] [--no-fuse] [--json] [--pattern unstructured|block|2:4|dense]\n"
          "                   [--seed S] [--lr LR] [--timeline FILE.json] [--dense-baseline] [--firmware ELF]\n"
          "Trains L sparse linear layers (width x width, GELU between them, cross-entropy over `width` classes\n"
          "against labels of a fixed random teacher) with AdamW on the device of preset '%s' (%u tiles):\n"
          "host driver -> command ring -> firmware -> DMA and tiles. One progress line per step on stderr.\n"
          "  --layers L        1..%u (default 2)       --width D   2..4096 (default 256)\n"
          "  --tokens T        default 256             --density S in (0, 1] (default 0.25)\n"
          "  --steps N         default 10              --seed S    default 1\n"
          "  --backend B       cmodel (default, fast) or rtl (the Verilated chip: same results, about 60k cycles/s)\n"
          "  --no-fuse         one command per operation, every intermediate through DRAM\n"
          "  --pattern P       weight masks (default unstructured; block = 1xP blocks)\n"
          "  --lr LR           AdamW learning rate (default 0.01; betas 0.9, 0.999, eps 1e-8, no decay)\n"
          "  --timeline FILE   Chrome/Perfetto trace JSON of the run (tiles, DMA)\n"
          "  --dense-baseline  also run one step of the same job with dense weights; report the speed-up\n"
          "  --firmware ELF    device firmware (default %s, or $TESSERA_FW)\n"
          "  --json            one JSON object on stdout: losses, cycles, dram_bytes, controller_gap (per step),\n"
          "                    utilization, controller_gap_fraction (all steps), fused\n"
          "Exit status: 0 ok, 1 the device or firmware failed, 2 bad arguments.\n",
          TESSERA_CFG_PRESET_NAME, (unsigned)TESSERA_CFG_TILES, MLP_MAX_LAYERS, TESSERA_FW_ELF);
}

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* Open a device, boot the firmware, build and upload the job. */
static int setup(tdev **d, struct mlp *m, const struct mlp_cfg *cfg, const char *backend, const char *fw) {
  struct tdev_config dc = {0};
  dc.backend = backend;
  enum tdev_status st = mlp_init(m, cfg);
  if (st == TDEV_E_ARG) {
    fprintf(stderr, ME ": %s\n", m->err);
    return TESSERA_EXIT_USAGE;
  }
  if (st != TDEV_OK) {
    fprintf(stderr, ME ": %s\n", m->err);
    return TESSERA_EXIT_FAIL;
  }
  st = tdev_open(d, &dc);
  if (st != TDEV_OK) {
    const char *why = tdev_errmsg(NULL);
    fprintf(stderr, ME ": cannot open a '%s' device: %s\n", backend, why && *why ? why : tdev_status_str(st));
    return st == TDEV_E_ARG ? TESSERA_EXIT_USAGE : TESSERA_EXIT_FAIL;
  }
  st = tdev_boot(*d, fw);
  if (st != TDEV_OK) {
    fprintf(stderr, ME ": booting %s: %s: %s\n", fw, tdev_status_str(st), tdev_errmsg(*d));
    return st == TDEV_E_ELF ? TESSERA_EXIT_USAGE : TESSERA_EXIT_FAIL;
  }
  st = mlp_attach(m, *d);
  if (st != TDEV_OK) {
    fprintf(stderr, ME ": %s\n", m->err);
    return TESSERA_EXIT_FAIL;
  }
  return TESSERA_EXIT_OK;
}

static void report_fw(tdev *d) {
  struct tdev_fw_error e;
  if (tdev_fw_error(d, &e) == TDEV_OK && e.state >= 2)
    fprintf(stderr, ME ": firmware state %u, fw_status %u (detail %u), trap cause 0x%08x at pc 0x%08x (tval 0x%08x)\n",
            e.state, e.fw_status, e.fw_detail, e.trap_cause, e.trap_pc, e.trap_tval);
}

int cmd_mlp(int argc, char **argv) {
  struct mlp_cfg cfg;
  mlp_cfg_default(&cfg);
  uint32_t steps = 10;
  int json = 0, dense_base = 0;
  const char *backend = "cmodel", *timeline = NULL, *fw = getenv("TESSERA_FW");
  if (!fw || !*fw) fw = TESSERA_FW_ELF;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double x;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help(stdout);
      return TESSERA_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--no-fuse")) {
      cfg.fuse = 0;
    } else if (!strcmp(a, "--dense-baseline")) {
      dense_base = 1;
    } else if (!strcmp(a, "--layers")) {
      if (tessera_arg_u32(ME, a, v, 1, MLP_MAX_LAYERS, &cfg.layers)) return TESSERA_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--width")) {
      if (tessera_arg_u32(ME, a, v, 2, 4096, &cfg.width)) return TESSERA_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--tokens")) {
      if (tessera_arg_u32(ME, a, v, 1, 65536, &cfg.tokens)) return TESSERA_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--steps")) {
      if (tessera_arg_u32(ME, a, v, 1, 1000000, &steps)) return TESSERA_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--seed")) {
      uint32_t s;
      if (tessera_arg_u32(ME, a, v, 0, UINT32_MAX, &s)) return TESSERA_EXIT_USAGE;
      cfg.seed = s, i++;
    } else if (!strcmp(a, "--density")) {
      if (tessera_arg_double(ME, a, v, &x)) return TESSERA_EXIT_USAGE;
      if (!(x > 0 && x <= 1)) {
        fprintf(stderr, ME ": --density must be in (0, 1], got %s\n", v);
        return TESSERA_EXIT_USAGE;
      }
      cfg.density = x, i++;
    } else if (!strcmp(a, "--lr")) {
      if (tessera_arg_double(ME, a, v, &x)) return TESSERA_EXIT_USAGE;
      if (!(x >= 0 && x < 1e6)) {
        fprintf(stderr, ME ": --lr must be in [0, 1e6), got %s\n", v);
        return TESSERA_EXIT_USAGE;
      }
      cfg.lr = f2u((float)x), i++;
    } else if (!strcmp(a, "--pattern")) {
      if (!v) {
        fprintf(stderr, ME ": --pattern needs a value\n");
        return TESSERA_EXIT_USAGE;
      }
      if (!strcmp(v, "unstructured")) cfg.pattern = MLP_PAT_UNSTRUCTURED;
      else if (!strcmp(v, "block")) cfg.pattern = MLP_PAT_BLOCK;
      else if (!strcmp(v, "2:4")) cfg.pattern = MLP_PAT_NM24;
      else if (!strcmp(v, "dense")) cfg.pattern = MLP_PAT_DENSE;
      else {
        fprintf(stderr, ME ": unknown --pattern '%s' (unstructured, block, 2:4, dense)\n", v);
        return TESSERA_EXIT_USAGE;
      }
      i++;
    } else if (!strcmp(a, "--backend") || !strcmp(a, "--timeline") || !strcmp(a, "--firmware")) {
      if (!v || !*v) {
        fprintf(stderr, ME ": %s needs a value\n", a);
        return TESSERA_EXIT_USAGE;
      }
      if (!strcmp(a, "--backend")) backend = v;
      else if (!strcmp(a, "--timeline")) timeline = v;
      else fw = v;
      i++;
    } else {
      fprintf(stderr, ME ": unknown option '%s' (tessera mlp --help)\n", a);
      return TESSERA_EXIT_USAGE;
    }
  }

  tdev *d = NULL;
  static struct mlp m;
  int rc = setup(&d, &m, &cfg, backend, fw);
  if (rc != TESSERA_EXIT_OK) {
    mlp_free(&m);
    tdev_close(d);
    return rc;
  }
  if (timeline && tdev_timeline(d, 1) != TDEV_OK) {
    fprintf(stderr, ME ": the '%s' backend cannot record a timeline\n", backend);
    mlp_free(&m);
    tdev_close(d);
    return TESSERA_EXIT_USAGE;
  }
  struct mlp_step_stats *s = calloc(steps, sizeof *s);
  if (!s) {
    fprintf(stderr, ME ": out of memory\n");
    mlp_free(&m);
    tdev_close(d);
    return TESSERA_EXIT_FAIL;
  }
  uint64_t tot_cycles = 0, tot_macs = 0, tot_busy = 0;
  for (uint32_t k = 0; k < steps; k++) {
    enum tdev_status st = mlp_step(&m, &s[k]);
    if (st != TDEV_OK) {
      fprintf(stderr, ME ": step %u: %s\n", k + 1, m.err);
      report_fw(d);
      rc = TESSERA_EXIT_FAIL;
      break;
    }
    tot_cycles += s[k].cycles, tot_macs += s[k].macs, tot_busy += s[k].busy_any;
    fprintf(stderr, "step %4u/%u  loss %.6f  cycles %" PRIu64 "  dram %.2f MB  util %.1f%%  gap %.2f%%\n", k + 1,
            steps, s[k].loss, s[k].cycles, s[k].dram_bytes / 1e6, 100 * s[k].utilization,
            100 * s[k].controller_gap);
  }
  double peak = (double)TESSERA_CFG_TILES * TESSERA_CFG_LANES * TESSERA_CFG_NNZ_PER_CYCLE;
  double util = tot_cycles ? (double)tot_macs / (tot_cycles * peak) : 0;
  double gap = tot_cycles ? (double)(tot_cycles - tot_busy) / tot_cycles : 0;
  if (rc == TESSERA_EXIT_OK && timeline && tdev_timeline_write(d, timeline) != TDEV_OK) {
    fprintf(stderr, ME ": cannot write the timeline %s: %s\n", timeline, tdev_errmsg(d));
    rc = TESSERA_EXIT_FAIL;
  }
  uint64_t step_cycles = steps ? tot_cycles / steps : 0;
  double speedup = 0;
  if (rc == TESSERA_EXIT_OK && dense_base) {
    tdev *dd = NULL;
    static struct mlp md;
    struct mlp_cfg dc = cfg;
    struct mlp_step_stats ds;
    dc.pattern = MLP_PAT_DENSE;
    rc = setup(&dd, &md, &dc, backend, fw);
    if (rc == TESSERA_EXIT_OK && mlp_step(&md, &ds) != TDEV_OK) {
      fprintf(stderr, ME ": dense baseline: %s\n", md.err);
      rc = TESSERA_EXIT_FAIL;
    }
    if (rc == TESSERA_EXIT_OK) speedup = s[0].cycles ? (double)ds.cycles / s[0].cycles : 0;
    mlp_free(&md);
    tdev_close(dd);
  }
  if (rc == TESSERA_EXIT_OK) {
    if (json) {
      printf("{\"backend\": \"%s\", \"preset\": \"%s\", \"layers\": %u, \"width\": %u, \"tokens\": %u, "
             "\"density\": %g, \"steps\": %u, \"fused\": %s, \"losses\": [",
             backend, TESSERA_CFG_PRESET_NAME, cfg.layers, cfg.width, cfg.tokens, cfg.density, steps,
             cfg.fuse ? "true" : "false");
      for (uint32_t k = 0; k < steps; k++) printf("%s%.9g", k ? ", " : "", s[k].loss);
      printf("], \"cycles\": [");
      for (uint32_t k = 0; k < steps; k++) printf("%s%" PRIu64, k ? ", " : "", s[k].cycles);
      printf("], \"dram_bytes\": [");
      for (uint32_t k = 0; k < steps; k++) printf("%s%" PRIu64, k ? ", " : "", s[k].dram_bytes);
      printf("], \"controller_gap\": [");
      for (uint32_t k = 0; k < steps; k++) printf("%s%.6f", k ? ", " : "", s[k].controller_gap);
      printf("], \"commands_per_step\": %u, \"utilization\": %.6f, \"controller_gap_fraction\": %.6f", s[0].commands,
             util, gap);
      if (dense_base) printf(", \"dense_speedup\": %.4f", speedup);
      printf("}\n");
    } else {
      printf("trained %u steps: loss %.6f -> %.6f; %" PRIu64 " cycles per step, utilisation %.1f%%, "
             "controller gap %.2f%%, %s",
             steps, s[0].loss, s[steps - 1].loss, step_cycles, 100 * util, 100 * gap, cfg.fuse ? "fused" : "unfused");
      if (dense_base) printf(", %.2fx fewer cycles than dense", speedup);
      printf("\n");
    }
  } else {
    report_fw(d);
  }
  free(s);
  mlp_free(&m);
  tdev_close(d);
  return rc;
}
