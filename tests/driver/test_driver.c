/* The host driver (host/lib/, docs/driver.md) over the cmodel backend: open and its errors, the
 * allocator and buffers, boot, submit and wait with the ring-echo firmware
 * (firmware/tests/test_chip_echo.c: the ring consumer and the validator with the stub scheduler),
 * timeouts (firmware/tests/test_chip_silent.c), trap reporting (test_chip_trap.c), counters and the
 * timeline; with an ELF argument, a command on the real firmware (suite driver_fw). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
#include "tessera/tdev.h"
#include "tfw_validate.h"
#include "copy_cmd.h"

#ifndef DRIVER_FW_DIR
#define DRIVER_FW_DIR "build/default/fw"
#endif
#define ECHO_FW DRIVER_FW_DIR "/test_chip_echo.elf"
#define SILENT_FW DRIVER_FW_DIR "/test_chip_silent.elf"
#define TRAP_FW DRIVER_FW_DIR "/test_chip_trap.elf"
#define FATAL_FW DRIVER_FW_DIR "/test_chip_fatal.elf"
/* The real firmware (firmware/app/), given on the command line by suite driver_fw. */
static const char *real_fw;

static void ok(tdev *d, enum tdev_status st) {
  if (st != TDEV_OK) fail_msg("%s: %s", tdev_status_str(st), tdev_errmsg(d));
}

static tdev *open_dev(uint32_t entries, uint64_t max_cycles) {
  struct tdev_config cfg = {.backend = "cmodel", .ring_entries = entries, .max_cycles = max_cycles};
  tdev *d = NULL;
  ok(NULL, tdev_open(&d, &cfg));
  return d;
}

/* A valid command: op i copies tensor 0 (n fp32) to tensor 1. */
static void open_errors(void **state) {
  (void)state;
  tdev *d = (tdev *)1;
  struct tdev_config cfg = {.backend = "verilog"};
  assert_int_equal(tdev_open(&d, &cfg), TDEV_E_ARG);
  assert_null(d);
  assert_non_null(strstr(tdev_errmsg(NULL), "verilog"));
  cfg.backend = NULL, cfg.ring_entries = 12;
  assert_int_equal(tdev_open(&d, &cfg), TDEV_E_ARG);
  assert_non_null(strstr(tdev_errmsg(NULL), "12"));
  cfg.ring_entries = 0, cfg.trace_fst = "x.fst";
  assert_int_equal(tdev_open(&d, &cfg), TDEV_E_BACKEND);
  assert_int_equal(tdev_open(NULL, NULL), TDEV_E_ARG);
  ok(NULL, tdev_open(&d, NULL));
  assert_string_equal(tdev_backend(d), "cmodel");
  /* Wrong order. */
  struct tproto_cmd c;
  uint32_t seq;
  memset(&c, 0, sizeof c);
  assert_int_equal(tdev_submit(d, &c, &seq), TDEV_E_STATE);
  assert_int_equal(tdev_wait(d, 1, 0, NULL), TDEV_E_STATE);
  assert_int_equal(tdev_boot(d, "/nonexistent/fw.elf"), TDEV_E_ELF);
  assert_non_null(strstr(tdev_errmsg(d), "/nonexistent/fw.elf"));
  assert_int_equal(tdev_boot(d, NULL), TDEV_E_ARG);
  for (int s = 0; s < TDEV_E_COUNT; s++) assert_true(strlen(tdev_status_str((enum tdev_status)s)) > 0);
  tdev_close(d);
  tdev_close(NULL);
}

static void allocator(void **state) {
  (void)state;
  tdev *d = open_dev(0, 0);
  struct tdev_buf b[TFW_MAX_ALLOCS], x;
  uint64_t sizes[TFW_MAX_ALLOCS];
  for (uint32_t i = 0; i < TFW_MAX_ALLOCS; i++) {
    sizes[i] = 1 + (i * 977u) % 5000u;
    ok(d, tdev_alloc(d, sizes[i], &b[i]));
    assert_int_equal(b[i].addr % 64u, 0);
    assert_true(b[i].size == sizes[i]);
    for (uint32_t j = 0; j < i; j++) /* no overlap */
      assert_true(b[i].addr >= b[j].addr + b[j].size || b[j].addr >= b[i].addr + b[i].size);
  }
  /* Every slot of the table is in use. */
  assert_int_equal(tdev_alloc(d, 64, &x), TDEV_E_NOMEM);
  /* Buffers start at zero and keep what is written; ranges are checked. */
  uint8_t w[5000], r[5000];
  for (uint32_t i = 0; i < sizeof w; i++) w[i] = (uint8_t)(i * 13 + 5);
  memset(r, 0xff, sizeof r);
  ok(d, tdev_read(d, &b[7], 0, r, b[7].size));
  for (uint64_t i = 0; i < b[7].size; i++) assert_int_equal(r[i], 0);
  ok(d, tdev_write(d, &b[7], 0, w, b[7].size));
  ok(d, tdev_read(d, &b[7], 0, r, b[7].size));
  assert_memory_equal(r, w, b[7].size);
  assert_int_equal(tdev_write(d, &b[7], 1, w, b[7].size), TDEV_E_RANGE);
  assert_int_equal(tdev_read(d, &b[7], b[7].size + 1, r, 0), TDEV_E_RANGE);
  assert_int_equal(tdev_read(d, &b[7], UINT64_MAX, r, 2), TDEV_E_RANGE);
  ok(d, tdev_read(d, &b[7], b[7].size, r, 0));
  /* Free one, and first fit gives its place to the next buffer that fits. */
  struct tdev_buf freed = b[3];
  ok(d, tdev_free(d, &b[3]));
  assert_int_equal(tdev_free(d, &freed), TDEV_E_ARG); /* twice */
  assert_int_equal(tdev_read(d, &freed, 0, r, 1), TDEV_E_ARG);
  struct tdev_buf forged = b[4];
  forged.size += 1;
  assert_int_equal(tdev_free(d, &forged), TDEV_E_ARG);
  ok(d, tdev_alloc(d, 64, &x));
  assert_int_equal(x.id, 3);
  assert_true(x.addr == freed.addr);
  /* Free everything: neighbours merge, and the whole heap is one range again. */
  ok(d, tdev_free(d, &x));
  for (uint32_t i = 0; i < TFW_MAX_ALLOCS; i++)
    if (i != 3) ok(d, tdev_free(d, &b[i]));
  ok(d, tdev_alloc(d, TESSERA_CFG_DRAM_BYTES / 2, &x));
  assert_true(x.addr == 0);
  assert_int_equal(tdev_alloc(d, TESSERA_CFG_DRAM_BYTES, &b[0]), TDEV_E_NOMEM);
  assert_int_equal(tdev_alloc(d, 0, &b[0]), TDEV_E_ARG);
  ok(d, tdev_free(d, &x));
  tdev_close(d);
}

static void boot_submit_wait(void **state) {
  (void)state;
  tdev *d = open_dev(4, 0);
  struct tdev_buf a, b, gone;
  ok(d, tdev_alloc(d, 4096, &a));
  ok(d, tdev_alloc(d, 4096, &b));
  ok(d, tdev_alloc(d, 4096, &gone));
  ok(d, tdev_timeline(d, 1));
  ok(d, tdev_boot(d, ECHO_FW));
  assert_int_equal(tdev_boot(d, ECHO_FW), TDEV_E_STATE);
  struct tproto_cmd c;
  struct tproto_cpl cpl;
  uint32_t seq[6];
  /* Three commands, waited for out of order. */
  for (int i = 0; i < 3; i++) {
    copy_cmd(&c, &a, &b, 100 + (uint32_t)i, 40 + (uint32_t)i);
    ok(d, tdev_submit(d, &c, &seq[i]));
    assert_int_equal(c.seq, seq[i]);
    assert_int_equal(c.magic, TPROTO_MAGIC);
  }
  assert_int_equal(seq[1], seq[0] + 1);
  ok(d, tdev_wait(d, seq[2], 0, &cpl));
  assert_int_equal(cpl.seq, seq[2]);
  assert_int_equal(cpl.status, TPROTO_ST_OK);
  assert_int_equal(cpl.group, 42);
  ok(d, tdev_wait(d, seq[0], 0, &cpl));
  assert_int_equal(cpl.seq, seq[0]);
  assert_int_equal(cpl.cmd_index, 0);
  ok(d, tdev_wait(d, seq[1], 0, NULL));
  assert_int_equal(tdev_wait(d, seq[1], 0, NULL), TDEV_E_ARG); /* already taken */
  assert_int_equal(tdev_wait(d, 999, 0, NULL), TDEV_E_ARG);    /* never submitted */
  /* A rejected command: the completion says why. */
  copy_cmd(&c, &a, &b, 10, 1);
  c.op[0].opcode = 200;
  ok(d, tdev_submit(d, &c, &seq[3]));
  assert_int_equal(tdev_wait(d, seq[3], 0, &cpl), TDEV_E_CMD);
  assert_int_equal(cpl.status, TPROTO_ST_INVALID);
  assert_int_equal(cpl.error, TPROTO_E_OPCODE);
  assert_non_null(strstr(tdev_errmsg(d), "rejected"));
  /* The allocation table in device memory follows tdev_free: a freed buffer is no longer valid. */
  ok(d, tdev_free(d, &gone));
  copy_cmd(&c, &a, &gone, 10, 1);
  ok(d, tdev_submit(d, &c, &seq[4]));
  assert_int_equal(tdev_wait(d, seq[4], 0, &cpl), TDEV_E_CMD);
  assert_int_equal(cpl.error, TPROTO_E_ALLOC);
  assert_int_equal(cpl.error_tensor, 1);
  /* A budget too small: timeout, then the same wait with the default budget succeeds. */
  copy_cmd(&c, &a, &b, 10, 1);
  ok(d, tdev_submit(d, &c, &seq[5]));
  assert_int_equal(tdev_wait(d, seq[5], 1, &cpl), TDEV_E_TIMEOUT);
  ok(d, tdev_wait(d, seq[5], 0, &cpl));
  /* The ring holds 4: a fifth unanswered command is refused. */
  uint32_t s2[5];
  for (int i = 0; i < 4; i++) {
    copy_cmd(&c, &a, &b, 8, 1);
    ok(d, tdev_submit(d, &c, &s2[i]));
  }
  copy_cmd(&c, &a, &b, 8, 1);
  assert_int_equal(tdev_submit(d, &c, &s2[4]), TDEV_E_RING);
  for (int i = 0; i < 4; i++) ok(d, tdev_wait(d, s2[i], 0, NULL));
  ok(d, tdev_submit(d, &c, &s2[4]));
  ok(d, tdev_wait(d, s2[4], 0, NULL));
  /* Counters and the timeline. */
  struct tdev_counters k;
  ok(d, tdev_counters(d, &k));
  assert_true(k.cycles > 0 && k.ctrl_instret > 0 && k.dram_bytes > 0);
  assert_int_equal(k.tiles, TESSERA_CFG_TILES);
  char path[] = "/tmp/tessera_driver_tl_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  ok(d, tdev_timeline_write(d, path));
  FILE *f = fopen(path, "r");
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  remove(path);
  assert_non_null(strstr(buf, "\"traceEvents\""));
  assert_non_null(strstr(buf, "\"name\":\"cmd 3 group 42\""));
  ok(d, tdev_counters_reset(d));
  ok(d, tdev_counters(d, &k));
  assert_true(k.cycles == 0 && k.dram_bytes == 0);
  tdev_close(d);
}

static void boot_timeout(void **state) {
  (void)state;
  tdev *d = open_dev(0, 200000);
  assert_int_equal(tdev_boot(d, SILENT_FW), TDEV_E_TIMEOUT);
  assert_non_null(strstr(tdev_errmsg(d), "ready"));
  struct tdev_fw_error e;
  ok(d, tdev_fw_error(d, &e));
  assert_int_equal(e.state, TESSERA_FW_STATE_RESET);
  tdev_close(d);
}

static void trap_reported(void **state) {
  (void)state;
  tdev *d = open_dev(0, 10000000);
  struct tdev_buf low;
  ok(d, tdev_alloc(d, 64, &low)); /* device address 0: the trap firmware writes its trap pc there */
  assert_true(low.addr == 0);
  ok(d, tdev_boot(d, TRAP_FW)); /* it says ready, then traps */
  struct tproto_cmd c;
  uint32_t seq;
  copy_cmd(&c, &low, &low, 4, 1);
  ok(d, tdev_submit(d, &c, &seq));
  assert_int_equal(tdev_wait(d, seq, 0, NULL), TDEV_E_FIRMWARE);
  assert_non_null(strstr(tdev_errmsg(d), "trapped"));
  struct tdev_fw_error e;
  uint32_t pc;
  ok(d, tdev_fw_error(d, &e));
  ok(d, tdev_read(d, &low, 0, &pc, 4));
  assert_int_equal(e.state, TESSERA_FW_STATE_TRAP);
  assert_int_equal(e.trap_cause, 2);
  assert_int_equal(e.trap_pc, pc);
  assert_int_equal(e.trap_tval, 0xffffffffu);
  /* Nothing more runs, nothing aborts. */
  assert_int_equal(tdev_submit(d, &c, &seq), TDEV_E_FIRMWARE);
  assert_int_equal(tdev_wait(d, seq, 0, NULL), TDEV_E_FIRMWARE);
  tdev_close(d);
}

static void fatal_reported(void **state) {
  (void)state;
  tdev *d = open_dev(0, 10000000);
  assert_int_equal(tdev_boot(d, FATAL_FW), TDEV_E_FIRMWARE);
  assert_non_null(strstr(tdev_errmsg(d), "fw_status 6"));
  struct tdev_fw_error e;
  ok(d, tdev_fw_error(d, &e));
  assert_int_equal(e.state, TESSERA_FW_STATE_FATAL);
  assert_int_equal(e.fw_status, 6);
  assert_int_equal(e.fw_detail, 0x0badf00du);
  tdev_close(d);
}

static void real_firmware(void **state) {
  (void)state;
  tdev *d = open_dev(0, 0);
  struct tdev_buf a, b;
  ok(d, tdev_alloc(d, 4096, &a));
  ok(d, tdev_alloc(d, 4096, &b));
  float v[64];
  for (int i = 0; i < 64; i++) v[i] = (float)i * 0.5f - 3.0f;
  ok(d, tdev_write(d, &a, 0, v, sizeof v));
  ok(d, tdev_boot(d, real_fw));
  struct tproto_cmd c;
  struct tproto_cpl cpl;
  uint32_t seq;
  copy_cmd(&c, &a, &b, 64, 7);
  ok(d, tdev_submit(d, &c, &seq));
  ok(d, tdev_wait(d, seq, 0, &cpl));
  assert_int_equal(cpl.status, TPROTO_ST_OK);
  float r[64];
  ok(d, tdev_read(d, &b, 0, r, sizeof r));
  assert_memory_equal(r, v, sizeof v);
  tdev_close(d);
}

/* No argument: the driver with the test firmwares. One argument: the real firmware's ELF. */
int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(open_errors),  cmocka_unit_test(allocator),     cmocka_unit_test(boot_submit_wait),
    cmocka_unit_test(boot_timeout), cmocka_unit_test(trap_reported),  cmocka_unit_test(fatal_reported),
  };
  const struct CMUnitTest fw_tests[] = {cmocka_unit_test(real_firmware)};
  if (argc > 1) {
    real_fw = argv[1];
    return cmocka_run_group_tests(fw_tests, NULL, NULL);
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
