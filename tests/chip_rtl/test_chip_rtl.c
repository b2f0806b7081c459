/* The RTL chip (rtl/chip/tessera_chip_top.sv) through its harness (sim/include/tsim_chip.h), running
 * the bare-metal firmware firmware/tests/test_chiprtl_*.c: the DMA engine in every mode and endpoint
 * with its data checked here, its refusals and counters; a linear layer on tile 0 against the
 * functional model (ttile_fn); the stream links between tiles (link_case.h: attention's GEMMs fed
 * by send, against the tile cmodel); the host interface handshake, trap reporting and bus faults. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chiprtl_layout.h"
#include "link_case.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tessera/sparse.h"
#include "tchip.h"
#include "tsim_chip.h"
#include "ttile_fn.h"

#define L TESSERA_CFG_LANES
#define P TESSERA_CFG_NNZ_PER_CYCLE
#define BUDGET 20000000u

static uint32_t rng_state;
static uint32_t rnd(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state ^ (rng_state >> 15);
}

static tsim_chip *boot(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/test_chiprtl_%s.elf", CHIPRTL_FW_DIR, name);
  tsim_chip *c = tsim_chip_open(NULL);
  assert_non_null(c);
  if (tsim_chip_load_elf(c, path) != 0) fail_msg("%s", tsim_chip_error(c));
  return c;
}

static void run_to_exit(tsim_chip *c) {
  tsim_chip_state st = tsim_chip_run(c, BUDGET, 0);
  char con[4096];
  size_t n = tsim_chip_console(c, con, sizeof con - 1);
  con[n] = '\0';
  if (st != TSIM_CHIP_EXITED) fail_msg("state %d: %s (console: %s)", (int)st, tsim_chip_error(c), con);
  assert_int_equal(tsim_chip_exit_code(c), 0);
}

static uint32_t dram32(tsim_chip *c, uint32_t addr) {
  uint32_t v = 0;
  assert_int_equal(tsim_chip_dram_read(c, addr, &v, 4), 0);
  return v;
}

static uint32_t res(tsim_chip *c, uint32_t i) { return dram32(c, CHIPRTL_RESULTS + 4u * i); }

/* ---- DMA ------------------------------------------------------------------------------------------- */

static void test_dma(void **state) {
  (void)state;
  tsim_chip *c = boot("dma");
  uint32_t in[CHIPRTL_IN_WORDS];
  rng_state = 20261123u;
  for (uint32_t i = 0; i < CHIPRTL_IN_WORDS; i++) in[i] = rnd();
  assert_int_equal(tsim_chip_dram_write(c, CHIPRTL_IN, in, sizeof in), 0);
  const int32_t idx[CHIPRTL_GATHER_ROWS] = {3, 0, -1, 2, 0x7fffffff, 15};
  assert_int_equal(tsim_chip_dram_write(c, CHIPRTL_IDX, idx, sizeof idx), 0);
  uint8_t half[64];
  for (uint32_t i = 0; i < sizeof half; i++) half[i] = (uint8_t)(rnd() >> 8);
  assert_int_equal(tsim_chip_dram_write(c, CHIPRTL_HALF, half, sizeof half), 0);
  run_to_exit(c);
  if (getenv("CHIPRTL_DEBUG"))
    for (uint32_t i = 0; i < CR_COUNT; i++) fprintf(stderr, "result %u = 0x%08x\n", i, res(c, i));

  /* copy DRAM -> DRAM with strides; its DRAM bytes (64 read + 64 written) */
  for (uint32_t r = 0; r < 4; r++)
    for (uint32_t j = 0; j < 4; j++) assert_int_equal(dram32(c, CHIPRTL_OUT(0) + 16u * r + 4u * j), in[8 * r + j]);
  assert_int_equal(res(c, CR_BYTES1), 128);
  /* DRAM -> DMEM checked by the firmware; DMEM -> DRAM here */
  assert_int_equal(res(c, CR_DMEM_BAD), 0);
  for (uint32_t r = 0; r < 8; r++)
    for (uint32_t j = 0; j < 2; j++) assert_int_equal(dram32(c, CHIPRTL_OUT(1) + 8u * r + 4u * j), in[8 * r + j]);
  /* banks: row r' of a read from lane 0 is lane r' mod L, region r' div L: the broadcast rows
   * (in[32 + 2q ..]) where the interleaved write from lane 1 did not land, its row r' - 1 elsewhere */
  for (uint32_t r = 0; r < 2 * L; r++) {
    for (uint32_t j = 0; j < 2; j++) {
      uint32_t want = (r >= 1 && r - 1 < L + 2) ? in[2 * (r - 1) + j] : in[32 + 2 * (r / L) + j];
      assert_int_equal(dram32(c, CHIPRTL_OUT(2) + 8u * r + 4u * j), want);
      assert_int_equal(dram32(c, CHIPRTL_OUT(4) + 8u * r + 4u * j), want);
      if (r >= L) assert_int_equal(dram32(c, CHIPRTL_OUT(3) + 8u * (r - L) + 4u * j), want);
    }
  }
  /* gradient buffer entries 6, 7 = rows 1, 2 of the 4P-byte rows written */
  for (uint32_t w = 0; w < 2 * P; w++) assert_int_equal(dram32(c, CHIPRTL_OUT(5) + 4u * w), in[P + w]);
  /* gather: rows of 4 words by index, zeros for the two out of range; code 4 reported */
  for (int o = 6; o <= 7; o++) {
    for (uint32_t r = 0; r < CHIPRTL_GATHER_ROWS; r++) {
      for (uint32_t j = 0; j < 4; j++) {
        int bad = idx[r] < 0 || idx[r] > 63;
        assert_int_equal(dram32(c, CHIPRTL_OUT(o) + 16u * r + 4u * j), bad ? 0u : in[4 * (uint32_t)idx[r] + j]);
      }
    }
  }
  assert_int_equal(res(c, CR_GATHER_STATUS),
                   TESSERA_DMA_STATUS_ERROR_MASK | (4u << TESSERA_DMA_STATUS_CODE_SHIFT));
  assert_int_equal(res(c, CR_CLEARED_STATUS), 0);
  /* pack16: the high halves, 2-byte aligned rows of 8 bytes every 10; bytes around untouched */
  uint8_t out8[32];
  assert_int_equal(tsim_chip_dram_read(c, CHIPRTL_OUT(8), out8, sizeof out8), 0);
  uint8_t want8[32] = {0};
  for (uint32_t r = 0; r < 2; r++)
    for (uint32_t j = 0; j < 4; j++) {
      uint32_t h = in[4 * r + j] >> 16, at = 2 + 10 * r + 2 * j;
      want8[at] = (uint8_t)h;
      want8[at + 1] = (uint8_t)(h >> 8);
    }
  assert_memory_equal(out8, want8, sizeof out8);
  /* unpack16: halves at HALF + 2 + 10 r + 2 j become the high halves of words */
  for (uint32_t r = 0; r < 2; r++)
    for (uint32_t j = 0; j < 4; j++) {
      uint32_t at = 2 + 10 * r + 2 * j, h = (uint32_t)half[at] | (uint32_t)half[at + 1] << 8;
      assert_int_equal(dram32(c, CHIPRTL_OUT(9) + 16u * r + 4u * j), h << 16);
    }
  /* refusals */
  assert_int_equal(res(c, CR_E_KIND), 2);
  assert_int_equal(res(c, CR_E_WBUF), 2);
  assert_int_equal(res(c, CR_E_TILE), 3);
  assert_int_equal(res(c, CR_E_ALIGN), 5);
  assert_int_equal(res(c, CR_E_ROWS0), 4);
  assert_int_equal(res(c, CR_E_DMEM_RANGE), 4);
  assert_int_equal(res(c, CR_E_BANK_RANGE), 4);
  assert_int_equal(res(c, CR_QUEUED4), 4);
  assert_int_equal(res(c, CR_E_FULL), 1);
  assert_int_equal(res(c, CR_E_STICKY), 1);
  assert_int_equal(dram32(c, CHIPRTL_OUT(10)), 0); /* no refused descriptor ran */
  /* descriptors queued, all done: 3 copies DRAM/DMEM, 6 bank, 2 gbuf, 2 gather, 2 pack/unpack, 4 queue */
  assert_int_equal(res(c, CR_UNEXPECTED), 0);
  assert_int_equal(res(c, CR_TICKETS), 19);
  assert_int_equal(res(c, CR_DONE), 19);
  /* the engine's DRAM byte counter equals the bytes the harness saw on the DRAM port from the DMA */
  struct tsim_chip_counters ctr;
  tsim_chip_counters(c, &ctr);
  uint64_t reg = (uint64_t)res(c, CR_BYTES_HI) << 32 | res(c, CR_BYTES_LO);
  assert_int_equal(reg, ctr.dma_dram_bytes);
  assert_int_equal(ctr.dram_bytes, ctr.dma_dram_bytes + ctr.window_bytes);
  assert_true(ctr.window_bytes > 0);
  assert_true(ctr.dma_busy > 0);
  /* a byte store through the window lands in its lane only */
  assert_int_equal(res(c, CR_WINDOW_BYTE), 0xa5u << 8);
  tsim_chip_close(c);
}

/* ---- Tile --------------------------------------------------------------------------------------- */

/* fp32 bits of a value in about [-2, 2] */
static uint32_t rnd_f32(void) { return 0x3f800000u + (rnd() & 0x007fffffu) - ((rnd() & 1u) ? 0u : 0x00800000u) + ((rnd() & 1u) << 31); }

static void test_tile(void **state) {
  (void)state;
  const uint32_t k = 8, n = 12, m = L + 3;
  uint8_t mask[12 * 8];
  rng_state = 7u;
  for (uint32_t i = 0; i < n * k; i++) mask[i] = (rnd() % 3u) != 0;
  struct tsp_stream st;
  assert_int_equal(tsp_stream_build(&st, mask, n, k, P, TESSERA_CFG_SUB_BANKS, 1), TSP_OK);
  const uint32_t ng = st.ngroups;
  uint16_t *wv = calloc((size_t)ng * P, sizeof *wv);
  uint32_t *x = calloc((size_t)m * k, 4), *dy = calloc((size_t)m * n, 4);
  uint32_t *y_fn = calloc((size_t)m * n, 4), *y = calloc((size_t)m * n, 4);
  uint32_t *dw_fn = calloc((size_t)ng * P, 4), *dw = calloc((size_t)ng * P, 4);
  uint8_t *sbytes = calloc(ng, 4u + 2u * P);
  assert_non_null(wv);
  assert_non_null(x);
  assert_non_null(dy);
  assert_non_null(y_fn);
  assert_non_null(y);
  assert_non_null(dw_fn);
  assert_non_null(dw);
  assert_non_null(sbytes);
  for (uint32_t g = 0; g < ng; g++) {
    uint8_t *b = sbytes + (size_t)g * (4u + 2u * P);
    b[0] = (uint8_t)st.row[g];
    b[1] = (uint8_t)(st.row[g] >> 8);
    b[2] = st.flags[g];
    for (uint32_t p = 0; p < P; p++) {
      uint16_t col = st.col[(size_t)g * P + p];
      b[4 + 2 * p] = (uint8_t)col;
      b[5 + 2 * p] = (uint8_t)(col >> 8);
      wv[(size_t)g * P + p] = col == TSP_EMPTY ? 0 : (uint16_t)(rnd_f32() >> 16);
    }
  }
  for (uint32_t i = 0; i < m * k; i++) x[i] = rnd_f32();
  for (uint32_t i = 0; i < m * n; i++) dy[i] = rnd_f32();
  ttile_fn_fwd(&st, wv, x, m, y_fn);
  ttile_fn_bwd_weight(&st, dy, x, m, L, (m + L - 1) / L, dw_fn);

  tsim_chip *c = boot("tile");
  const uint32_t a_s = 0x20000, a_wv = 0x28000, a_x = 0x30000, a_y = 0x38000, a_dy = 0x40000, a_dw = 0x48000;
  const uint32_t params[TP_COUNT] = {k, n, m, ng, a_s, a_wv, a_x, a_y, a_dy, a_dw};
  assert_int_equal(tsim_chip_dram_write(c, CHIPRTL_PARAMS, params, sizeof params), 0);
  assert_int_equal(tsim_chip_dram_write(c, a_s, sbytes, (size_t)ng * (4u + 2u * P)), 0);
  assert_int_equal(tsim_chip_dram_write(c, a_wv, wv, (size_t)ng * P * 2u), 0);
  assert_int_equal(tsim_chip_dram_write(c, a_x, x, (size_t)m * k * 4u), 0);
  assert_int_equal(tsim_chip_dram_write(c, a_dy, dy, (size_t)m * n * 4u), 0);
  run_to_exit(c);

  assert_int_equal(tsim_chip_dram_read(c, a_y, y, (size_t)m * n * 4u), 0);
  for (uint32_t i = 0; i < m * n; i++)
    if (y[i] != y_fn[i]) fail_msg("fwd Y[%u][%u] = 0x%08x, model 0x%08x", i / n, i % n, y[i], y_fn[i]);
  assert_int_equal(tsim_chip_dram_read(c, a_dw, dw, (size_t)ng * P * 4u), 0);
  for (uint32_t i = 0; i < ng * P; i++) /* empty slots hold no gradient */
    if (st.col[i] != TSP_EMPTY && dw[i] != dw_fn[i]) fail_msg("bwd_weight dW[%u][%u] = 0x%08x, model 0x%08x", i / P, i % P, dw[i], dw_fn[i]);

  assert_int_equal(res(c, TR_DONE_FWD), 1);
  assert_int_equal(res(c, TR_STATUS_FWD), 0);
  assert_true(res(c, TR_BUSY_LO) > 0);
  assert_int_equal(res(c, TR_BUSY_HI), 0);
  assert_int_equal(res(c, TR_MACS_LO), (uint32_t)st.nnz * m);
  assert_int_equal(res(c, TR_MACS_HI), 0);
  assert_int_equal(res(c, TR_E_KERNEL), 2);
  assert_int_equal(res(c, TR_E_STREAM), 2 << 8 | 2); /* the ends of the chain of stream links */
  assert_int_equal(res(c, TR_E_RANGE), 3);
  assert_int_equal(res(c, TR_E_BUSY), 1);
  assert_int_equal(res(c, TR_CLEARED), 0);
  assert_int_equal(res(c, TR_DONE_ALL), 3);
  assert_int_equal(res(c, TR_CNT_CLEARED), 0);
  struct tsim_chip_counters ctr;
  tsim_chip_counters(c, &ctr);
  assert_true(ctr.any_tile_busy >= res(c, TR_BUSY_LO));
  tsim_chip_close(c);
  tsp_stream_free(&st);
  free(wv), free(x), free(dy), free(y_fn), free(y), free(dw_fn), free(dw), free(sbytes);
}

/* ---- Stream links ---------------------------------------------------------------------------------- */

#if TESSERA_CFG_TILES >= 3
static int link_write(void *ctx, uint64_t addr, const void *data, size_t len) { return tsim_chip_dram_write(ctx, addr, data, len); }
static int link_read(void *ctx, uint64_t addr, void *data, size_t len) { return tsim_chip_dram_read(ctx, addr, data, len); }
static int cm_write(void *ctx, uint64_t addr, const void *data, size_t len) {
  return tchip_dram_write(ctx, addr, data, len) == TCHIP_OK ? 0 : -1;
}

/* The link firmware on a fresh chip (no_skip: TSIM_CHIP_NO_SKIP=1, every tile evaluated at every
 * edge), checked by link_case_check; its results words and the harness's counters out. */
static void link_run(int no_skip, uint32_t res_out[LX_COUNT], struct tsim_chip_counters *ctr) {
  if (no_skip) assert_int_equal(setenv("TSIM_CHIP_NO_SKIP", "1", 1), 0);
  else assert_int_equal(unsetenv("TSIM_CHIP_NO_SKIP"), 0);
  tsim_chip *c = boot("link");
  assert_int_equal(unsetenv("TSIM_CHIP_NO_SKIP"), 0);
  assert_int_equal(link_case_prepare(link_write, c), 0);
  run_to_exit(c);
  char why[256] = "";
  if (link_case_check(link_read, c, why, sizeof why) != 0) fail_msg("stream links%s: %s", no_skip ? " (no skip)" : "", why);
  assert_int_equal(tsim_chip_dram_read(c, LINK_RESULTS, res_out, 4u * LX_COUNT), 0);
  tsim_chip_counters(c, ctr);
  tsim_chip_close(c);
}

static void test_links(void **state) {
  (void)state;
  uint32_t r[LX_COUNT], r_ns[LX_COUNT];
  struct tsim_chip_counters ctr, ctr_ns;
  const char *env = getenv("TSIM_CHIP_NO_SKIP");
  char saved[32] = "";
  if (env) snprintf(saved, sizeof saved, "%s", env);
  link_run(0, r, &ctr);
  /* The harness's sums of the tiles' counters agree with the registers the firmware read:
   * tile 0 ran the sends of A, B and C, tile 1 the sends of D and the attn_qk runs. */
  const uint64_t bp0 = (uint64_t)r[LINK_RUN_WORD(LR_A_SEND, LW_BACKPRESSURE)] + r[LINK_RUN_WORD(LR_B_SEND, LW_BACKPRESSURE)] +
                       r[LINK_RUN_WORD(LR_C_SEND, LW_BACKPRESSURE)];
  const uint64_t bp1 = (uint64_t)r[LINK_RUN_WORD(LR_D_SEND1, LW_BACKPRESSURE)] + r[LINK_RUN_WORD(LR_D_SEND2, LW_BACKPRESSURE)];
  const uint64_t st1 = (uint64_t)r[LINK_RUN_WORD(LR_A_QK, LW_STARVED)] + r[LINK_RUN_WORD(LR_B_QK, LW_STARVED)] +
                       r[LINK_RUN_WORD(LR_C_QK1, LW_STARVED)] + r[LINK_RUN_WORD(LR_C_QK2, LW_STARVED)];
  assert_int_equal(ctr.tile[0].backpressure, bp0);
  assert_int_equal(ctr.tile[1].backpressure, bp1);
  assert_int_equal(ctr.tile[1].starved, st1);
  assert_int_equal(ctr.tile[2].starved, r[LINK_RUN_WORD(LR_D_PV, LW_STARVED)]);
  /* A send started before its consumer holds its first beat until the consumer starts, and an
   * attn run started before its source waits for it. */
  assert_true(r[LINK_RUN_WORD(LR_A_SEND, LW_BACKPRESSURE)] > 0);
  assert_true(r[LINK_RUN_WORD(LR_B_QK, LW_STARVED)] > r[LINK_RUN_WORD(LR_A_QK, LW_STARVED)]);
  /* Skipping idle tiles' edges changes nothing: every result word (counters and the cases'
   * controller cycles included) and the chip's cycle count. */
  link_run(1, r_ns, &ctr_ns);
  if (env) assert_int_equal(setenv("TSIM_CHIP_NO_SKIP", saved, 1), 0); /* the caller's setting back */
  for (uint32_t i = 0; i < LX_COUNT; i++)
    if (r[i] != r_ns[i]) fail_msg("result word %u: 0x%08x, with TSIM_CHIP_NO_SKIP 0x%08x", i, r[i], r_ns[i]);
  assert_int_equal(ctr.cycles, ctr_ns.cycles);
  assert_int_equal(ctr.any_tile_busy, ctr_ns.any_tile_busy);
  /* The chip cmodel runs the same firmware: every run's record (status, done, counters) is the
   * RTL chip's. The controllers differ in time (DMA and DRAM), but each case starts its two runs
   * with back-to-back register writes, which cost the same on both, so the runs meet at the same
   * offsets and the link makes them equal to the cycle. */
  tchip *cm = tchip_new();
  assert_non_null(cm);
  char fw[512];
  snprintf(fw, sizeof fw, "%s/test_chiprtl_link.elf", CHIPRTL_FW_DIR);
  assert_int_equal(tchip_load_elf(cm, fw), TCHIP_OK);
  assert_int_equal(link_case_prepare(cm_write, cm), 0);
  enum tchip_run_result rr;
  do {
    rr = tchip_run(cm, BUDGET);
  } while (rr == TCHIP_RUN_EVENT);
  assert_int_equal(rr, TCHIP_RUN_EXIT);
  uint32_t r_cm[LX_COUNT];
  assert_int_equal(tchip_dram_read(cm, LINK_RESULTS, r_cm, sizeof r_cm), TCHIP_OK);
  tchip_free(cm);
  for (uint32_t run = 0; run < LR_RUNS; run++) {
    /* C's send waits for the second attn_qk and D's attn_pv for the second send across firmware
     * work that involves the DMA, whose time differs: there only the waiting differs. */
    const int gap = run == LR_C_SEND || run == LR_D_PV;
    for (uint32_t w = 0; w < LW_N; w++) {
      uint32_t i = LINK_RUN_WORD(run, w);
      if (gap && (w == LW_BUSY || w == LW_STARVED || w == LW_BACKPRESSURE)) continue;
      if (r[i] != r_cm[i]) fail_msg("link run %u word %u: 0x%08x on the RTL chip, 0x%08x on the chip cmodel", run, w, r[i], r_cm[i]);
    }
    uint32_t work = r[LINK_RUN_WORD(run, LW_BUSY)] - r[LINK_RUN_WORD(run, LW_STARVED)] - r[LINK_RUN_WORD(run, LW_BACKPRESSURE)];
    uint32_t work_cm = r_cm[LINK_RUN_WORD(run, LW_BUSY)] - r_cm[LINK_RUN_WORD(run, LW_STARVED)] -
                       r_cm[LINK_RUN_WORD(run, LW_BACKPRESSURE)];
    if (work != work_cm) fail_msg("link run %u: busy - waiting %u on the RTL chip, %u on the chip cmodel", run, work, work_cm);
  }
  for (uint32_t i = LR_RUNS * LW_N; i < LX_CYC_A; i++)
    if (r[i] != r_cm[i]) fail_msg("link result word %u: 0x%08x on the RTL chip, 0x%08x on the chip cmodel", i, r[i], r_cm[i]);
  printf("# links: chip cycles %" PRIu64 "; cases A %u, B %u, C %u, D %u controller cycles; A: send busy %u (backpressure %u), "
         "attn_qk busy %u (starved %u); B: attn_qk busy %u (starved %u), send busy %u (backpressure %u)\n",
         ctr.cycles, r[LX_CYC_A], r[LX_CYC_B], r[LX_CYC_C], r[LX_CYC_D], r[LINK_RUN_WORD(LR_A_SEND, LW_BUSY)],
         r[LINK_RUN_WORD(LR_A_SEND, LW_BACKPRESSURE)], r[LINK_RUN_WORD(LR_A_QK, LW_BUSY)], r[LINK_RUN_WORD(LR_A_QK, LW_STARVED)],
         r[LINK_RUN_WORD(LR_B_QK, LW_BUSY)], r[LINK_RUN_WORD(LR_B_QK, LW_STARVED)], r[LINK_RUN_WORD(LR_B_SEND, LW_BUSY)],
         r[LINK_RUN_WORD(LR_B_SEND, LW_BACKPRESSURE)]);
}
#endif /* the small preset's chip has one tile: no link, no link test (a cmocka skip reads as a failure in TAP) */

/* ---- Host interface and traps ------------------------------------------------------------------ */

static uint32_t hif(tsim_chip *c, uint32_t off) {
  uint32_t v = 0;
  assert_int_equal(tsim_chip_hostif_read(c, off, &v), 0);
  return v;
}

static void test_hostif_trap(void **state) {
  (void)state;
  tsim_chip *c = boot("trap");
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_ALLOC_LO_OFFSET, TM_HANDSHAKE), 0);
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_RING_LO_OFFSET, CHIPRTL_RING_LO), 0);
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_FW_STATE_OFFSET, 0x1ffu), 0);
  assert_int_equal(hif(c, TESSERA_HOSTIF_FW_STATE_OFFSET), 0xffu); /* the 8-bit field only */
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_FW_STATE_OFFSET, TESSERA_FW_STATE_RESET), 0);
  assert_int_equal(tsim_chip_hostif_read(c, 0x28, &(uint32_t){0}), -1); /* past trap_tval */
  assert_int_equal(tsim_chip_hostif_read(c, 2, &(uint32_t){0}), -1);

  assert_int_equal(tsim_chip_run(c, BUDGET, TSIM_CHIP_STOP_FW_STATE), TSIM_CHIP_EVENT);
  assert_int_equal(hif(c, TESSERA_HOSTIF_FW_STATE_OFFSET), TESSERA_FW_STATE_READY);
  assert_int_equal(tsim_chip_run(c, BUDGET, TSIM_CHIP_STOP_IRQ), TSIM_CHIP_EVENT);
  assert_int_equal(hif(c, TESSERA_HOSTIF_IRQ_OFFSET), 1);
  /* the firmware waits for the host: nothing happens in 2000 cycles */
  assert_int_equal(tsim_chip_run(c, 2000, TSIM_CHIP_STOP_FW_STATE), TSIM_CHIP_MAX_CYCLES);
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_IRQ_OFFSET, 0), 0);
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_DOORBELL_OFFSET, 77), 0);
  assert_int_equal(tsim_chip_run(c, BUDGET, TSIM_CHIP_STOP_FW_STATE), TSIM_CHIP_EVENT);
  assert_int_equal(hif(c, TESSERA_HOSTIF_FW_STATE_OFFSET), TESSERA_FW_STATE_TRAP);
  assert_int_equal(hif(c, TESSERA_HOSTIF_RING_HI_OFFSET), 77);
  assert_int_equal(hif(c, TESSERA_HOSTIF_TRAP_CAUSE_OFFSET), 2); /* illegal instruction */
  uint32_t pc = hif(c, TESSERA_HOSTIF_TRAP_PC_OFFSET), word = 0;
  assert_int_equal(tsim_chip_mem_read(c, pc, &word, 4), 0);
  assert_int_equal(word, 0xffffffffu);
  /* stopped: it neither exits nor faults */
  assert_int_equal(tsim_chip_run(c, 5000, TSIM_CHIP_STOP_FW_STATE | TSIM_CHIP_STOP_IRQ), TSIM_CHIP_MAX_CYCLES);
  tsim_chip_close(c);
}

static void fault_case(uint32_t mode, uint32_t want_addr) {
  tsim_chip *c = boot("trap");
  assert_int_equal(tsim_chip_hostif_write(c, TESSERA_HOSTIF_ALLOC_LO_OFFSET, mode), 0);
  assert_int_equal(tsim_chip_run(c, BUDGET, 0), TSIM_CHIP_FAULT);
  uint32_t addr = 0, pc = 0;
  assert_int_equal(tsim_chip_fault(c, &addr, &pc), 1);
  assert_int_equal(addr, want_addr);
  assert_true(strstr(tsim_chip_error(c), "access fault") != NULL);
  tsim_chip_close(c);
}

static void test_faults(void **state) {
  (void)state;
  fault_case(TM_RO_WRITE, TESSERA_DMA_BASE + TESSERA_DMA_STATUS_OFFSET);
  fault_case(TM_NO_TILE, TESSERA_TILE_ADDR(TESSERA_CFG_TILES) + TESSERA_TILE_STATUS_OFFSET);
  fault_case(TM_PAST_DRAM, TESSERA_DRAM_BASE + TESSERA_DRAM_SIZE);
}

static void test_bad_input(void **state) {
  (void)state;
  tsim_chip *c = tsim_chip_open(NULL);
  assert_non_null(c);
  uint8_t b[8] = {0};
  assert_int_equal(tsim_chip_dram_write(c, TESSERA_DRAM_SIZE - 4u, b, 8), -1);
  assert_int_equal(tsim_chip_dram_read(c, TESSERA_DRAM_SIZE, b, 1), -1);
  assert_int_equal(tsim_chip_mem_write(c, TESSERA_DMEM_BASE + TESSERA_DMEM_SIZE - 4u, b, 8), -1);
  assert_int_equal(tsim_chip_load_elf(c, "/nonexistent/firmware.elf"), -1);
  assert_true(strlen(tsim_chip_error(c)) > 0);
  tsim_chip_close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input), cmocka_unit_test(test_hostif_trap), cmocka_unit_test(test_faults),
      cmocka_unit_test(test_dma),       cmocka_unit_test(test_tile),
#if TESSERA_CFG_TILES >= 3
      cmocka_unit_test(test_links),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
