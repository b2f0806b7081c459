/* Training through the whole stack on the cmodel backend: host driver -> ring -> firmware ->
 * DMA and tiles (host/train/mlp.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlp.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/numerics.h"
#include "tvec_fn.h"

static const char *fw_path(void) {
  const char *e = getenv("TESSERA_FW");
  return e && *e ? e : TESSERA_FW_ELF;
}

static double f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* A small job: ragged token count (not a multiple of the lanes), two layers. */
static void small_cfg(struct mlp_cfg *c, uint32_t width, uint32_t tokens, int fuse) {
  mlp_cfg_default(c);
  c->layers = 2, c->width = width, c->tokens = tokens, c->density = 0.5, c->fuse = fuse, c->seed = 7;
}

static tdev *boot(void) {
  tdev *d = NULL;
  struct tdev_config dc = {0};
  dc.backend = "cmodel";
  assert_int_equal(tdev_open(&d, &dc), TDEV_OK);
  enum tdev_status st = tdev_boot(d, fw_path());
  if (st != TDEV_OK) fprintf(stderr, "boot %s: %s\n", fw_path(), tdev_errmsg(d));
  assert_int_equal(st, TDEV_OK);
  return d;
}

/* bf16 copies of the master weights: what the tiles multiply with. */
static uint32_t **bf16_weights(const struct mlp *m) {
  uint32_t **wv = calloc(m->cfg.layers, sizeof *wv);
  for (uint32_t l = 0; l < m->cfg.layers; l++) {
    size_t gp = (size_t)m->layer[l].groups * m->p;
    wv[l] = malloc(gp * 4);
    for (size_t s = 0; s < gp; s++) wv[l][s] = tnum_bf16_to_f32(tnum_f32_to_bf16(m->layer[l].w[s]));
  }
  return wv;
}

static double **grads(const struct mlp *m) {
  double **g = calloc(m->cfg.layers, sizeof *g);
  for (uint32_t l = 0; l < m->cfg.layers; l++) g[l] = calloc((size_t)m->layer[l].groups * m->p, sizeof(double));
  return g;
}

/* The float64 analytic gradients equal central finite differences of the float64 loss. */
static void test_ref64_matches_finite_differences(void **state) {
  (void)state;
  struct mlp m;
  struct mlp_cfg c;
  small_cfg(&c, 24, 19, 1);
  assert_int_equal(mlp_init(&m, &c), TDEV_OK);
  uint32_t **wv = bf16_weights(&m);
  double **g = grads(&m);
  double loss = mlp_ref64_loss_grad(&m, (const uint32_t *const *)wv, g);
  assert_true(isfinite(loss) && loss > 0);
  /* FD on the float64 model: perturb a weight by +-h (as a double: the model reads fp32 bits, so the
   * perturbation goes through a local copy of the bf16 values promoted to double via fp32 bits of
   * w +- h, exact for h a power of two above the value's ulp). */
  uint32_t checked = 0;
  double worst = 0;
  for (uint32_t l = 0; l < m.cfg.layers; l++) {
    size_t gp = (size_t)m.layer[l].groups * m.p;
    for (size_t s = l; s < gp; s += 7) {
      if (m.layer[l].st.col[s] == TSP_EMPTY) continue;
      const double h = 0x1p-12;
      uint32_t keep = wv[l][s];
      float wp = (float)(f32(keep) + h), wm = (float)(f32(keep) - h);
      memcpy(&wv[l][s], &wp, 4);
      double lp = mlp_ref64_loss_grad(&m, (const uint32_t *const *)wv, NULL);
      memcpy(&wv[l][s], &wm, 4);
      double lm = mlp_ref64_loss_grad(&m, (const uint32_t *const *)wv, NULL);
      wv[l][s] = keep;
      double fd = (lp - lm) / ((double)wp - (double)wm);
      double err = fabs(fd - g[l][s]);
      /* Truncation error of the central difference is O(h^2) times the third derivative (h^2 =
       * 6e-8); the gradients are O(1e-2). */
      assert_true(err <= 1e-6 + 1e-4 * fabs(g[l][s]));
      worst = err > worst ? err : worst;
      checked++;
    }
  }
  assert_true(checked >= 40);
  print_message("ref64 vs finite differences: %u weights, worst |error| %.3g\n", checked, worst);
  for (uint32_t l = 0; l < m.cfg.layers; l++) free(wv[l]), free(g[l]);
  free(wv), free(g);
  mlp_free(&m);
}

/* One forward + backward on the device: loss and gradients against the float64 model. The device
 * rounds matmul operands to bf16 (unit roundoff 2^-9) and every other operation to fp32; each
 * gradient entry passes through at most 2L + 1 bf16 operand roundings, so the normwise relative
 * error is bounded by about (2L + 1) * 2^-8 (a factor 2 for the products of two rounded operands).
 * step: the device then takes one AdamW step, whose master weights must equal tvec_adamw_update of
 * the initial weights and the device's own gradients (moments from zero) bit for bit. */
static void check_device_gradients(uint32_t width, uint32_t tokens, int fuse, int step) {
  static struct mlp m;
  struct mlp_cfg c;
  small_cfg(&c, width, tokens, fuse);
  assert_int_equal(mlp_init(&m, &c), TDEV_OK);
  tdev *d = boot();
  assert_int_equal(mlp_attach(&m, d), TDEV_OK);
  double loss = 0;
  enum tdev_status st;
  if (step) {
    struct mlp_step_stats ss;
    st = mlp_step(&m, &ss);
    loss = ss.loss;
  } else {
    st = mlp_forward_backward(&m, &loss);
  }
  if (st != TDEV_OK) fprintf(stderr, "%s\n", m.err);
  assert_int_equal(st, TDEV_OK);
  uint32_t **wv = bf16_weights(&m);
  double **g = grads(&m);
  double rloss = mlp_ref64_loss_grad(&m, (const uint32_t *const *)wv, g);
  const double bound = (2.0 * c.layers + 1) * 0x1p-8;
  print_message("width %u tokens %u %s: loss device %.9f, float64 %.9f\n", width, tokens, fuse ? "fused" : "unfused",
                loss, rloss);
  assert_true(fabs(loss - rloss) <= bound * rloss);
  for (uint32_t l = 0; l < c.layers; l++) {
    size_t gp = (size_t)m.layer[l].groups * m.p;
    uint32_t *dg = malloc(gp * 4);
    assert_int_equal(mlp_read_grad(&m, l, dg), TDEV_OK);
    double num = 0, den = 0;
    for (size_t s = 0; s < gp; s++) {
      double e = f32(dg[s]) - g[l][s];
      num += e * e, den += g[l][s] * g[l][s];
      if (m.layer[l].st.col[s] == TSP_EMPTY) assert_true(f32(dg[s]) == 0.0);
    }
    double rel = sqrt(num / den);
    print_message("layer %u: gradient normwise relative error %.3g (bound %.3g)\n", l, rel, bound);
    assert_true(den > 0);
    assert_true(rel <= bound);
    if (step) {
      /* AdamW from zero moments on the device's gradients, on the host */
      uint32_t *w = malloc(gp * 4), *mo = calloc(gp, 4), *vo = calloc(gp, 4), *dw = malloc(gp * 4);
      uint16_t *wb = malloc(gp * 2);
      struct tvec_adamw hp = {c.lr, c.beta1, c.beta2, c.eps, c.weight_decay, 1};
      memcpy(w, m.layer[l].w, gp * 4);
      assert_int_equal(tvec_adamw_update(&hp, w, dg, mo, vo, wb, (uint32_t)gp), 0);
      assert_int_equal(mlp_read_weights(&m, l, dw), TDEV_OK);
      for (size_t s = 0; s < gp; s++)
        if (dw[s] != w[s]) fail_msg("layer %u slot %zu: device weight 0x%08x, AdamW 0x%08x", l, s, dw[s], w[s]);
      free(w), free(mo), free(vo), free(dw), free(wb);
    }
    free(dg);
  }
  for (uint32_t l = 0; l < c.layers; l++) free(wv[l]), free(g[l]);
  free(wv), free(g);
  mlp_free(&m);
  tdev_close(d);
}

static void test_device_gradients_match_float64(void **state) {
  (void)state;
  check_device_gradients(32, 37, 1, 0);
}

/* A wide shape with many token groups per tile (tokens >= 128: double-buffered vector stages, the
 * cross-entropy's second group onwards) and a step of AdamW, fused and op by op. */
static void test_device_step_wide(void **state) {
  (void)state;
  check_device_gradients(256, 128, 1, 1);
  check_device_gradients(256, 128, 0, 1);
}

/* Fused and unfused runs give the same bits (losses and master weights) and fusion moves fewer DRAM
 * bytes: at most half of them on a device whose tiles hold the backward pipeline. */
static void test_fused_equals_unfused(void **state) {
  (void)state;
  static struct mlp m[2];
  tdev *d[2];
  double loss[2][3];
  uint64_t bytes[2] = {0, 0};
  for (int f = 0; f < 2; f++) {
    struct mlp_cfg c;
    small_cfg(&c, 32, 64, f);
    assert_int_equal(mlp_init(&m[f], &c), TDEV_OK);
    d[f] = boot();
    assert_int_equal(mlp_attach(&m[f], d[f]), TDEV_OK);
    for (int k = 0; k < 3; k++) {
      struct mlp_step_stats s;
      enum tdev_status st = mlp_step(&m[f], &s);
      if (st != TDEV_OK) fprintf(stderr, "%s\n", m[f].err);
      assert_int_equal(st, TDEV_OK);
      loss[f][k] = s.loss;
      bytes[f] += s.dram_bytes;
    }
  }
  for (int k = 0; k < 3; k++) assert_true(loss[0][k] == loss[1][k]);
  for (uint32_t l = 0; l < m[0].cfg.layers; l++) {
    size_t gp = (size_t)m[0].layer[l].groups * m[0].p;
    uint32_t *a = malloc(gp * 4), *b = malloc(gp * 4);
    assert_int_equal(mlp_read_weights(&m[0], l, a), TDEV_OK);
    assert_int_equal(mlp_read_weights(&m[1], l, b), TDEV_OK);
    assert_memory_equal(a, b, gp * 4);
    /* and the weights moved */
    assert_true(memcmp(a, m[0].layer[l].w, gp * 4) != 0);
    free(a), free(b);
  }
  print_message("DRAM bytes over 3 steps: fused %llu, unfused %llu\n", (unsigned long long)bytes[1],
                (unsigned long long)bytes[0]);
  assert_true(bytes[1] < bytes[0]);
  /* The acceptance: with the tiles for the backward pipeline (bwd_data, the GELU pair,
   * bwd_weight, bwd_weight), fusion moves at most half the DRAM bytes of --no-fuse. Exact counts:
   * every byte the DRAM model moved. */
  if (TESSERA_CFG_TILES >= 4) assert_true(2 * bytes[1] <= bytes[0]);
  for (int f = 0; f < 2; f++) mlp_free(&m[f]), tdev_close(d[f]);
}

/* Losses fall over 50 steps: the last below 80% of the first. */
static void test_losses_fall(void **state) {
  (void)state;
  static struct mlp m;
  struct mlp_cfg c;
  small_cfg(&c, 32, 64, 1);
  assert_int_equal(mlp_init(&m, &c), TDEV_OK);
  tdev *d = boot();
  assert_int_equal(mlp_attach(&m, d), TDEV_OK);
  double first = 0, last = 0;
  for (int k = 0; k < 50; k++) {
    struct mlp_step_stats s;
    assert_int_equal(mlp_step(&m, &s), TDEV_OK);
    assert_true(isfinite(s.loss));
    if (!k) first = s.loss;
    last = s.loss;
  }
  print_message("loss %.6f -> %.6f over 50 steps\n", first, last);
  assert_true(last < 0.8 * first);
  mlp_free(&m);
  tdev_close(d);
}


/* Bad commands through the whole stack: a valid GELU_FWD command mutated at random (fixed seed)
 * always gets a completion (OK, INVALID or FAILED; never a hang), the firmware keeps running, and
 * allocations no command names are never written. */
static void test_fuzzed_commands_complete_without_stray_writes(void **state) {
  (void)state;
  tdev *d = boot();
  const uint32_t rows = 24, cols = 40;
  struct tdev_buf in, out, guard[2];
  assert_int_equal(tdev_alloc(d, rows * cols * 4, &guard[0]), TDEV_OK);
  assert_int_equal(tdev_alloc(d, rows * cols * 4, &in), TDEV_OK);
  assert_int_equal(tdev_alloc(d, rows * cols * 4, &out), TDEV_OK);
  assert_int_equal(tdev_alloc(d, rows * cols * 4, &guard[1]), TDEV_OK);
  uint32_t *pat = malloc(rows * cols * 4), *back = malloc(rows * cols * 4);
  for (uint32_t i = 0; i < rows * cols; i++) pat[i] = 0xa5a50000u ^ i;
  for (int g = 0; g < 2; g++) assert_int_equal(tdev_write(d, &guard[g], 0, pat, rows * cols * 4), TDEV_OK);
  assert_int_equal(tdev_write(d, &in, 0, pat, rows * cols * 4), TDEV_OK);

  struct tproto_cmd good;
  memset(&good, 0, sizeof good);
  const uint32_t shape[2] = {rows, cols};
  tdev_tensor(&good.tensor[0], &in, 0, TPROTO_DT_FP32, 2, shape);
  tdev_tensor(&good.tensor[1], &out, 0, TPROTO_DT_FP32, 2, shape);
  good.n_tensors = 2, good.n_ops = 1;
  good.op[0].opcode = TPROTO_OP_GELU_FWD, good.op[0].n_operands = 2, good.op[0].operand[1] = 1;

  uint64_t rs = 20261123;
  uint32_t counts[3] = {0, 0, 0};
  for (int k = 0; k < 300; k++) {
    struct tproto_cmd c = good;
    uint8_t *b = (uint8_t *)&c;
    int flips = 1 + (int)((rs = rs * 6364136223846793005ull + 1442695040888963407ull) >> 62);
    for (int f = 0; f < flips; f++) {
      rs = rs * 6364136223846793005ull + 1442695040888963407ull;
      /* mostly the header, the two tensors and the op; sometimes anywhere */
      uint32_t span = (rs >> 60) < 12 ? 64 + 2 * 64 : (uint32_t)sizeof c;
      uint32_t at = (uint32_t)((rs >> 20) % span);
      if (at >= 64 + 128 && span != sizeof c) at = 1088 + at % 80;
      b[at] ^= (uint8_t)(1u << ((rs >> 8) & 7));
    }
    uint32_t seq;
    struct tproto_cpl cpl;
    assert_int_equal(tdev_submit(d, &c, &seq), TDEV_OK);
    enum tdev_status st = tdev_wait(d, seq, 50000000ull, &cpl);
    assert_true(st == TDEV_OK || st == TDEV_E_CMD);
    assert_int_equal(cpl.seq, seq);
    assert_true(cpl.status <= TPROTO_ST_FAILED);
    counts[cpl.status]++;
  }
  print_message("300 mutated commands: %u ok, %u invalid, %u failed\n", counts[0], counts[1], counts[2]);
  assert_true(counts[1] > 0);
  for (int g = 0; g < 2; g++) {
    assert_int_equal(tdev_read(d, &guard[g], 0, back, rows * cols * 4), TDEV_OK);
    assert_memory_equal(back, pat, rows * cols * 4);
  }
  assert_int_equal(tdev_read(d, &in, 0, back, rows * cols * 4), TDEV_OK);
  assert_memory_equal(back, pat, rows * cols * 4);
  /* and the device still runs a good command */
  uint32_t seq;
  struct tproto_cmd c = good;
  assert_int_equal(tdev_submit(d, &c, &seq), TDEV_OK);
  assert_int_equal(tdev_wait(d, seq, 0, NULL), TDEV_OK);
  free(pat), free(back);
  tdev_close(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ref64_matches_finite_differences),
      cmocka_unit_test(test_device_gradients_match_float64),
      cmocka_unit_test(test_device_step_wide),
      cmocka_unit_test(test_fused_equals_unfused),
      cmocka_unit_test(test_losses_fall),
      cmocka_unit_test(test_fuzzed_commands_complete_without_stray_writes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
