/* The same training job on both backends of libtessera (issue 6's first acceptance item): the rtl
 * backend (the Verilated chip: controller, DMA engine, tiles) and the cmodel (ISS, chip cmodel) run
 * the same firmware ELF and must give bit-identical losses, master weights and gradients, and move
 * the same DRAM bytes. Cycle counts differ (the cmodel's are estimates) and are only printed. */
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
#include "tessera/tdev.h"
#include "../driver/copy_cmd.h"

static const char *fw_path(void) {
  const char *e = getenv("TESSERA_FW");
  return e && *e ? e : TESSERA_FW_ELF;
}

static tdev *boot(const char *backend) {
  tdev *d = NULL;
  struct tdev_config dc = {0};
  dc.backend = backend;
  enum tdev_status st = tdev_open(&d, &dc);
  if (st != TDEV_OK) fprintf(stderr, "open %s: %s\n", backend, tdev_errmsg(NULL));
  assert_int_equal(st, TDEV_OK);
  st = tdev_boot(d, fw_path());
  if (st != TDEV_OK) fprintf(stderr, "boot %s on %s: %s\n", fw_path(), backend, tdev_errmsg(d));
  assert_int_equal(st, TDEV_OK);
  return d;
}

#define STEPS 2

/* One job on both backends, STEPS steps: every loss, DRAM byte count, gradient and master weight. */
static void same_job(uint32_t layers, uint32_t width, uint32_t tokens, double density, int fuse) {
  static const char *const be[2] = {"cmodel", "rtl"};
  struct mlp m[2];
  tdev *d[2];
  struct mlp_step_stats s[2][STEPS];
  for (int b = 0; b < 2; b++) {
    struct mlp_cfg c;
    mlp_cfg_default(&c);
    c.layers = layers, c.width = width, c.tokens = tokens, c.density = density, c.fuse = fuse, c.seed = 11;
    memset(&m[b], 0, sizeof m[b]);
    assert_int_equal(mlp_init(&m[b], &c), TDEV_OK);
    d[b] = boot(be[b]);
    assert_int_equal(mlp_attach(&m[b], d[b]), TDEV_OK);
    for (int k = 0; k < STEPS; k++) {
      enum tdev_status st = mlp_step(&m[b], &s[b][k]);
      if (st != TDEV_OK) fprintf(stderr, "%s step %d: %s\n", be[b], k, m[b].err);
      assert_int_equal(st, TDEV_OK);
    }
  }
  for (int k = 0; k < STEPS; k++) {
    print_message("L=%u D=%u T=%u %s step %d: loss %.6f, cycles cmodel %llu rtl %llu, DRAM bytes %llu\n", layers,
                  width, tokens, fuse ? "fused" : "unfused", k, s[1][k].loss, (unsigned long long)s[0][k].cycles,
                  (unsigned long long)s[1][k].cycles, (unsigned long long)s[1][k].dram_bytes);
    assert_memory_equal(&s[0][k].loss, &s[1][k].loss, sizeof(double));
    assert_int_equal(s[0][k].dram_bytes, s[1][k].dram_bytes);
    assert_int_equal(s[0][k].macs, s[1][k].macs);
    assert_true(s[1][k].cycles > 0);
  }
  /* The tiles' runs of the last step: the same busy cycles in all (the tile RTL and its cmodel agree
   * cycle for cycle; only the DMA and the controller's timing differ between the backends). */
  uint64_t busy[2] = {0, 0};
  for (int b = 0; b < 2; b++) {
    struct tdev_counters k;
    assert_int_equal(tdev_counters(d[b], &k), TDEV_OK);
    for (uint32_t i = 0; i < k.tiles; i++) busy[b] += k.tile[i].busy;
  }
  print_message("tile busy cycles of the last step: cmodel %llu, rtl %llu\n", (unsigned long long)busy[0],
                (unsigned long long)busy[1]);
  assert_true(busy[1] > 0);
  assert_int_equal(busy[0], busy[1]);
  /* the losses moved: the job really trained */
  assert_true(s[1][STEPS - 1].loss != s[1][0].loss);
  for (uint32_t l = 0; l < layers; l++) {
    size_t gp = (size_t)m[0].layer[l].groups * m[0].p;
    uint32_t *a = malloc(gp * 4), *b = malloc(gp * 4);
    assert_non_null(a), assert_non_null(b);
    assert_int_equal(mlp_read_weights(&m[0], l, a), TDEV_OK);
    assert_int_equal(mlp_read_weights(&m[1], l, b), TDEV_OK);
    assert_memory_equal(a, b, gp * 4);
    assert_true(memcmp(b, m[1].layer[l].w, gp * 4) != 0); /* the weights moved */
    assert_int_equal(mlp_read_grad(&m[0], l, a), TDEV_OK);
    assert_int_equal(mlp_read_grad(&m[1], l, b), TDEV_OK);
    assert_memory_equal(a, b, gp * 4);
    free(a), free(b);
  }
  for (int b = 0; b < 2; b++) mlp_free(&m[b]), tdev_close(d[b]);
}

/* Ragged token count (not a multiple of the lanes), two layers, fused and unfused. */
static void test_fused_rtl_equals_cmodel(void **state) {
  (void)state;
  same_job(2, 16, 2 * TESSERA_CFG_LANES + 3, 0.5, 1);
}

static void test_unfused_rtl_equals_cmodel(void **state) {
  (void)state;
  same_job(2, 16, 2 * TESSERA_CFG_LANES + 3, 0.5, 0);
}

/* Three layers, more token groups than tiles, sparser weights. */
static void test_deeper_rtl_equals_cmodel(void **state) {
  (void)state;
  same_job(3, 24, TESSERA_CFG_TILES * TESSERA_CFG_LANES + 5, 0.25, 1);
}

/* On the rtl backend, bad commands end in error completions, nothing outside the named tensors is
 * written, and the device goes on running good commands. */
static void test_rtl_rejects_bad_commands(void **state) {
  (void)state;
  tdev *d = boot("rtl");
  struct tdev_buf a, b, guard;
  enum { N = 256 };
  uint32_t src[N], dst[N], g[N], zero[N] = {0};
  for (uint32_t i = 0; i < N; i++) src[i] = 0x3f800000u + i * 77u;
  assert_int_equal(tdev_alloc(d, 4 * N, &a), TDEV_OK);
  assert_int_equal(tdev_alloc(d, 4 * N, &b), TDEV_OK);
  assert_int_equal(tdev_alloc(d, 4 * N, &guard), TDEV_OK);
  assert_int_equal(tdev_write(d, &a, 0, src, sizeof src), TDEV_OK);
  struct tproto_cmd c;
  struct tproto_cpl cpl;
  uint32_t seq;
  copy_cmd(&c, &a, &b, N, 0);
  c.op[0].opcode = 200; /* no such opcode */
  assert_int_equal(tdev_submit(d, &c, &seq), TDEV_OK);
  assert_int_equal(tdev_wait(d, seq, 0, &cpl), TDEV_E_CMD);
  assert_int_equal(cpl.status, TPROTO_ST_INVALID);
  assert_int_equal(cpl.error, TPROTO_E_OPCODE);
  copy_cmd(&c, &a, &b, N, 0);
  c.tensor[1].shape[0] = N + 1; /* one element past the allocation */
  assert_int_equal(tdev_submit(d, &c, &seq), TDEV_OK);
  assert_int_equal(tdev_wait(d, seq, 0, &cpl), TDEV_E_CMD);
  assert_int_equal(cpl.status, TPROTO_ST_INVALID);
  assert_int_equal(tdev_read(d, &b, 0, dst, sizeof dst), TDEV_OK);
  assert_memory_equal(dst, zero, sizeof dst);
  /* A good copy afterwards. */
  copy_cmd(&c, &a, &b, N, 0);
  assert_int_equal(tdev_submit(d, &c, &seq), TDEV_OK);
  assert_int_equal(tdev_wait(d, seq, 0, &cpl), TDEV_OK);
  assert_int_equal(tdev_read(d, &b, 0, dst, sizeof dst), TDEV_OK);
  assert_memory_equal(dst, src, sizeof dst);
  assert_int_equal(tdev_read(d, &guard, 0, g, sizeof g), TDEV_OK);
  assert_memory_equal(g, zero, sizeof g);
  tdev_close(d);
}

/* Two rtl devices alive at once, each running; the one that ran last is closed first, so the other
 * closes after the simulation context that ran last is gone (its models must erase their scopes
 * from their own context, not the thread's last one: this hung before). */
static void test_two_rtl_devices(void **state) {
  (void)state;
  tdev *a = boot("rtl"), *b = boot("rtl");
  struct tdev_buf x, y;
  uint32_t v = 0x12345678u, w = 0;
  assert_int_equal(tdev_alloc(a, 64, &x), TDEV_OK);
  assert_int_equal(tdev_alloc(b, 64, &y), TDEV_OK);
  assert_int_equal(tdev_write(a, &x, 0, &v, 4), TDEV_OK);
  assert_int_equal(tdev_read(b, &y, 0, &w, 4), TDEV_OK);
  assert_int_equal(w, 0); /* separate DRAMs */
  tdev_close(b);
  tdev_close(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fused_rtl_equals_cmodel),
    cmocka_unit_test(test_unfused_rtl_equals_cmodel),
    cmocka_unit_test(test_deeper_rtl_equals_cmodel),
    cmocka_unit_test(test_rtl_rejects_bad_commands),
    cmocka_unit_test(test_two_rtl_devices),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
