/* The simulation-side DRAM model (sim/dram/, docs/protocol.md "The DRAM model"): bounds, exact byte
 * counters, and the transfer-time formula against hand-computed cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/hwcfg.h"
#include "tsim_dram.h"

static void defaults_come_from_hwcfg(void **state) {
  (void)state;
  struct tsim_dram *d;
  assert_int_equal(tsim_dram_open(&d, 0, 0, 0), TSIM_DRAM_OK);
  assert_true(tsim_dram_capacity(d) == TESSERA_CFG_DRAM_BYTES);
  assert_int_equal(tsim_dram_bytes_per_cycle(d), TESSERA_CFG_DRAM_BYTES_PER_CYCLE);
  assert_int_equal(tsim_dram_latency(d), TESSERA_CFG_DRAM_LATENCY);
  /* The last byte of the capacity is usable, the next is not. */
  uint8_t v = 0xA5, r = 0;
  assert_int_equal(tsim_dram_write(d, TESSERA_CFG_DRAM_BYTES - 1, &v, 1), TSIM_DRAM_OK);
  assert_int_equal(tsim_dram_read(d, TESSERA_CFG_DRAM_BYTES - 1, &r, 1), TSIM_DRAM_OK);
  assert_int_equal(r, 0xA5);
  assert_int_equal(tsim_dram_write(d, TESSERA_CFG_DRAM_BYTES, &v, 1), TSIM_DRAM_ERR_BOUNDS);
  tsim_dram_close(d);
  assert_int_equal(tsim_dram_open(NULL, 0, 0, 0), TSIM_DRAM_ERR_ARG);
  assert_int_equal(tsim_dram_open(&d, 1ull << 40, 0, 0), TSIM_DRAM_ERR_ARG);
  assert_null(d);
}

static void bounds_and_counters(void **state) {
  (void)state;
  struct tsim_dram *d;
  assert_int_equal(tsim_dram_open(&d, 4096, 16, 40), TSIM_DRAM_OK);
  uint8_t buf[256], out[256];
  for (int i = 0; i < 256; i++) buf[i] = (uint8_t)(i * 7 + 1);
  /* Contents start at zero. */
  assert_int_equal(tsim_dram_read(d, 100, out, 256), TSIM_DRAM_OK);
  for (int i = 0; i < 256; i++) assert_int_equal(out[i], 0);
  assert_int_equal(tsim_dram_write(d, 3840, buf, 256), TSIM_DRAM_OK); /* ends exactly at 4096 */
  assert_int_equal(tsim_dram_read(d, 3840, out, 256), TSIM_DRAM_OK);
  assert_memory_equal(buf, out, 256);
  assert_int_equal(tsim_dram_write(d, 3841, buf, 256), TSIM_DRAM_ERR_BOUNDS);
  assert_int_equal(tsim_dram_read(d, 4096, out, 1), TSIM_DRAM_ERR_BOUNDS);
  assert_int_equal(tsim_dram_read(d, 4096, out, 0), TSIM_DRAM_OK); /* empty range at the end */
  assert_int_equal(tsim_dram_read(d, 4097, out, 0), TSIM_DRAM_ERR_BOUNDS);
  assert_int_equal(tsim_dram_write(d, UINT64_MAX, buf, 2), TSIM_DRAM_ERR_BOUNDS); /* addr + len wraps */
  assert_int_equal(tsim_dram_read(d, 8, out, UINT64_MAX), TSIM_DRAM_ERR_BOUNDS);
  assert_int_equal(tsim_dram_read(d, 0, NULL, 4), TSIM_DRAM_ERR_ARG);
  /* A refused write changed nothing. */
  assert_int_equal(tsim_dram_read(d, 3840, out, 256), TSIM_DRAM_OK);
  assert_memory_equal(buf, out, 256);
  struct tsim_dram_counters c;
  tsim_dram_counters(d, &c);
  assert_int_equal(c.bytes_read, 256 + 256 + 0 + 256);
  assert_int_equal(c.reads, 4);
  assert_int_equal(c.bytes_written, 256);
  assert_int_equal(c.writes, 1);
  assert_int_equal(c.bad_accesses, 5);
  tsim_dram_reset_counters(d);
  tsim_dram_counters(d, &c);
  assert_int_equal(c.bytes_read + c.bytes_written + c.reads + c.writes + c.bad_accesses, 0);
  tsim_dram_close(d);
}

/* bytes per cycle 16, latency 40: a transfer of N bytes issued at c starts at
 * max(c + 40, channel free) and takes ceil(N / 16) cycles. */
static void transfer_time_by_hand(void **state) {
  (void)state;
  struct tsim_dram *d;
  assert_int_equal(tsim_dram_open(&d, 1 << 20, 16, 40), TSIM_DRAM_OK);
  uint64_t done;
  assert_int_equal(tsim_dram_transfer(d, 0, 100, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 47); /* 0 + 40 + ceil(100/16) = 7 */
  assert_int_equal(tsim_dram_transfer(d, 10, 32, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 52); /* ready 50 > free 47: 50 + 2 */
  assert_int_equal(tsim_dram_transfer(d, 11, 160, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 62); /* ready 51 < free 52: waits 1, 52 + 10 */
  assert_int_equal(tsim_dram_free_at(d), 62);
  assert_int_equal(tsim_dram_transfer(d, 1000, 16, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 1041);
  assert_int_equal(tsim_dram_transfer(d, 1000, 0, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 1000); /* nothing to move */
  assert_int_equal(tsim_dram_transfer(d, 999, 16, &done), TSIM_DRAM_ERR_ORDER);
  struct tsim_dram_counters c;
  tsim_dram_counters(d, &c);
  assert_int_equal(c.transfers, 4);
  assert_int_equal(c.transfer_bytes, 100 + 32 + 160 + 16);
  assert_int_equal(c.busy_cycles, 7 + 2 + 10 + 1);
  assert_int_equal(c.wait_cycles, 1);
  /* Timing moves no data. */
  assert_int_equal(c.bytes_read + c.bytes_written, 0);
  tsim_dram_close(d);
}

/* Four 64-byte transfers issued together share the bandwidth: their latencies overlap, their data
 * beats queue. The last finishes at 40 + 4 * 4; alone each would take 44. */
static void queued_transfers_share_bandwidth(void **state) {
  (void)state;
  struct tsim_dram *d;
  assert_int_equal(tsim_dram_open(&d, 1 << 20, 16, 40), TSIM_DRAM_OK);
  uint64_t done;
  for (int i = 0; i < 4; i++) {
    assert_int_equal(tsim_dram_transfer(d, 5, 64, &done), TSIM_DRAM_OK);
    assert_int_equal(done, 5 + 40 + 4 * (i + 1));
  }
  struct tsim_dram_counters c;
  tsim_dram_counters(d, &c);
  assert_int_equal(c.wait_cycles, 0 + 4 + 8 + 12);
  /* One byte more than a beat takes two beats; with bandwidth 1 a byte per cycle. */
  tsim_dram_close(d);
  assert_int_equal(tsim_dram_open(&d, 1 << 20, 1, 1), TSIM_DRAM_OK);
  assert_int_equal(tsim_dram_transfer(d, 0, 1000, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 1001);
  tsim_dram_close(d);
  assert_int_equal(tsim_dram_open(&d, 1 << 20, 64, 100), TSIM_DRAM_OK);
  assert_int_equal(tsim_dram_transfer(d, 7, 65, &done), TSIM_DRAM_OK);
  assert_int_equal(done, 7 + 100 + 2);
  assert_int_equal(tsim_dram_transfer(d, 7, 1, NULL), TSIM_DRAM_ERR_ARG);
  tsim_dram_close(d);
  assert_string_equal(tsim_dram_status_str(TSIM_DRAM_ERR_BOUNDS), "access outside the DRAM");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(defaults_come_from_hwcfg),
    cmocka_unit_test(bounds_and_counters),
    cmocka_unit_test(transfer_time_by_hand),
    cmocka_unit_test(queued_transfers_share_bandwidth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
