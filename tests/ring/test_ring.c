/* The firmware's command-ring consumer (firmware/sched/ring.c) against a mock port.
 *
 * The mock owns three areas (the control block, the command ring, the completion ring) and checks
 * every access: reads must lie inside one area, writes inside the completion ring (one whole entry,
 * never over a completion the host has not consumed) or on the firmware's own words of the control
 * block. Any other access is counted as a violation and refused. The tests cover the good path
 * (wraparound of both rings and of the free-running indices), each bad case with its exact error,
 * and a fuzz loop of 100k random ring states with a fixed seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/proto.h"
#include "tfw_ring.h"
#include "tfw_validate.h"

#define CMD_SZ ((uint32_t)sizeof(struct tproto_cmd))
#define CPL_SZ ((uint32_t)sizeof(struct tproto_cpl))
#define MAX_ENTRIES 16u

/* --- Mock port --------------------------------------------------------------------------------- */
struct mock {
  uint64_t ctrl_addr, cmd_addr, cpl_addr;
  uint32_t cmd_bytes, cpl_bytes; /* sizes of the areas the mock owns */
  union { struct tproto_ring r; uint8_t b[sizeof(struct tproto_ring)]; } ctrl;
  uint8_t cmd[MAX_ENTRIES * sizeof(struct tproto_cmd)];
  uint8_t cpl[MAX_ENTRIES * sizeof(struct tproto_cpl)];
  uint32_t violations, irqs, reads, writes, cpl_writes;
  uint64_t clock;
  int32_t fail_after; /* accesses before a bus error; -1 never */
};

static struct mock mk;

/* [addr, addr+len) inside [base, base+size)? No wrap allowed. */
static int inside(uint64_t addr, uint32_t len, uint64_t base, uint64_t size) {
  return addr >= base && addr - base <= size && len <= size - (addr - base);
}

static int bus_fault(void) {
  if (mk.fail_after < 0) return 0;
  if (mk.fail_after == 0) return 1;
  mk.fail_after--;
  return 0;
}

static int m_read(void *ctx, uint64_t addr, void *buf, uint32_t len) {
  struct mock *m = ctx;
  m->reads++;
  if (bus_fault()) return -1;
  if (inside(addr, len, m->ctrl_addr, sizeof m->ctrl)) memcpy(buf, m->ctrl.b + (addr - m->ctrl_addr), len);
  else if (inside(addr, len, m->cmd_addr, m->cmd_bytes)) memcpy(buf, m->cmd + (addr - m->cmd_addr), len);
  else if (inside(addr, len, m->cpl_addr, m->cpl_bytes)) memcpy(buf, m->cpl + (addr - m->cpl_addr), len);
  else { m->violations++; return -1; }
  return 0;
}

static int m_write(void *ctx, uint64_t addr, const void *buf, uint32_t len) {
  struct mock *m = ctx;
  m->writes++;
  if (bus_fault()) return -1;
  if (inside(addr, len, m->cpl_addr, m->cpl_bytes)) {
    uint32_t entries = m->cpl_bytes / CPL_SZ;
    uint32_t slot_ok = (addr - m->cpl_addr) % CPL_SZ == 0 && len == CPL_SZ;
    /* The slot written must be the one at cpl_head and the ring must not be full. */
    uint32_t head = m->ctrl.r.cpl_head, tail = m->ctrl.r.cpl_tail;
    if (!slot_ok || head - tail >= entries || (addr - m->cpl_addr) / CPL_SZ != (head & (entries - 1u))) {
      m->violations++;
      return -1;
    }
    memcpy(m->cpl + (addr - m->cpl_addr), buf, len);
    m->cpl_writes++;
    return 0;
  }
  if (len == 4 && addr >= m->ctrl_addr && addr - m->ctrl_addr < sizeof m->ctrl) {
    uint64_t off = addr - m->ctrl_addr;
    if (off == TFW_RING_CMD_TAIL_OFF || off == TFW_RING_CPL_HEAD_OFF || off == TFW_RING_FW_STATUS_OFF ||
        off == TFW_RING_FW_DETAIL_OFF) {
      memcpy(m->ctrl.b + off, buf, 4);
      return 0;
    }
  }
  m->violations++;
  return -1;
}

static uint64_t m_cycles(void *ctx) { return ((struct mock *)ctx)->clock += 7u; }
static void m_irq(void *ctx) { ((struct mock *)ctx)->irqs++; }

static const struct tfw_port port = {&mk, m_read, m_write, m_cycles, m_irq, NULL, NULL, NULL};

/* --- Builders ---------------------------------------------------------------------------------- */
static struct tfw_alloc_table allocs;
static struct tfw_sched_stub stub;
static struct tfw_ring ring;

/* A valid command: COPY of `tokens` fp32 values between two tensors of allocation 0; n_ops copies
 * (each op reads tensor 0 and writes tensor 1). */
static void good_cmd(struct tproto_cmd *c, uint32_t seq, uint32_t group, uint32_t tokens, uint8_t n_ops) {
  memset(c, 0, sizeof *c);
  c->magic = TPROTO_MAGIC;
  c->version_major = TPROTO_VERSION_MAJOR;
  c->version_minor = TPROTO_VERSION_MINOR;
  c->cmd_bytes = CMD_SZ;
  c->seq = seq;
  c->group = group;
  c->n_tensors = 2;
  c->n_ops = n_ops;
  for (unsigned t = 0; t < 2; t++) {
    struct tproto_tensor *x = &c->tensor[t];
    x->addr = allocs.entry[0].base + t * 0x10000u;
    x->alloc_base = allocs.entry[0].base;
    x->alloc_size = allocs.entry[0].size;
    x->alloc_id = 0;
    x->dtype = TPROTO_DT_FP32;
    x->rank = 1;
    x->shape[0] = tokens;
    x->stride[0] = 1;
  }
  for (unsigned i = 0; i < n_ops; i++) {
    struct tproto_op *o = &c->op[i];
    o->opcode = TPROTO_OP_COPY;
    o->n_operands = 2;
    o->operand[0] = 0;
    o->operand[1] = 1;
  }
}

static void mock_setup(uint64_t ctrl, uint64_t cmdb, uint32_t cmd_entries, uint64_t cplb, uint32_t cpl_entries) {
  memset(&mk, 0, sizeof mk);
  mk.fail_after = -1;
  mk.ctrl_addr = ctrl;
  mk.cmd_addr = cmdb;
  mk.cpl_addr = cplb;
  mk.cmd_bytes = cmd_entries * CMD_SZ;
  mk.cpl_bytes = cpl_entries * CPL_SZ;
  mk.ctrl.r.magic = TPROTO_RING_MAGIC;
  mk.ctrl.r.version_major = TPROTO_VERSION_MAJOR;
  mk.ctrl.r.version_minor = TPROTO_VERSION_MINOR;
  mk.ctrl.r.cmd_base = cmdb;
  mk.ctrl.r.cmd_entries = cmd_entries;
  mk.ctrl.r.cmd_stride = CMD_SZ;
  mk.ctrl.r.cpl_base = cplb;
  mk.ctrl.r.cpl_entries = cpl_entries;
  mk.ctrl.r.cpl_stride = CPL_SZ;
  memset(&allocs, 0, sizeof allocs);
  allocs.count = 1;
  allocs.entry[0] = (struct tfw_alloc){0x100000u, 1u << 20};
  memset(&stub, 0, sizeof stub);
}

static void std_setup(uint32_t cmd_entries, uint32_t cpl_entries, uint32_t start) {
  mock_setup(0x1000u, 0x20000u, cmd_entries, 0x80000u, cpl_entries);
  mk.ctrl.r.cmd_head = mk.ctrl.r.cmd_tail = start;
  mk.ctrl.r.cpl_head = mk.ctrl.r.cpl_tail = start;
}

static int init_ring(void) {
  return tfw_ring_init(&ring, &port, mk.ctrl_addr, &allocs, (struct tfw_sched_if){&stub, tfw_sched_stub_op, NULL});
}

/* Host side: write a command at cmd_head (no advance). */
static struct tproto_cmd *slot(uint32_t index) {
  uint32_t e = mk.ctrl.r.cmd_entries ? mk.ctrl.r.cmd_entries : 1u;
  return (struct tproto_cmd *)(void *)(mk.cmd + (size_t)(index & (e - 1u)) * CMD_SZ);
}
static void submit(const struct tproto_cmd *c) {
  memcpy(slot(mk.ctrl.r.cmd_head), c, sizeof *c);
  mk.ctrl.r.cmd_head++;
}
/* Host side: consume one completion. */
static struct tproto_cpl reap(void) {
  struct tproto_cpl c;
  assert_true(mk.ctrl.r.cpl_head != mk.ctrl.r.cpl_tail);
  memcpy(&c, mk.cpl + (size_t)(mk.ctrl.r.cpl_tail & (mk.ctrl.r.cpl_entries - 1u)) * CPL_SZ, sizeof c);
  mk.ctrl.r.cpl_tail++;
  return c;
}

static uint32_t fw_status(void) { return mk.ctrl.r.fw_status; }
static uint32_t fw_detail(void) { return mk.ctrl.r.fw_detail; }

/* --- Good path --------------------------------------------------------------------------------- */
/* 4-entry command ring, 2-entry completion ring, free-running indices crossing 2^32: 11 commands
 * of 1..3 ops, fed and reaped in uneven batches. */
static void test_good_path(void **state) {
  (void)state;
  const uint32_t start = 0xFFFFFFFCu;
  std_setup(4, 2, start);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  assert_int_equal(fw_status(), 0);
  struct tproto_cmd c;
  uint32_t sent = 0, got = 0, ops_total = 0, taken;
  const uint32_t n = 11;
  for (int round = 0; round < 40 && got < n; round++) {
    while (sent < n && mk.ctrl.r.cmd_head - mk.ctrl.r.cmd_tail < 4 && (round % 3) != 2) {
      uint8_t nops = (uint8_t)(1 + sent % 3);
      good_cmd(&c, 500 + sent, 0x40 + sent, 1 + 9 * sent, nops);
      submit(&c);
      sent++;
    }
    int rc = tfw_ring_poll(&ring, 3, &taken);
    assert_true(rc == TFW_RING_IDLE || rc == TFW_RING_DONE || rc == TFW_RING_BLOCKED);
    assert_true(taken <= 2);
    if (rc == TFW_RING_BLOCKED) assert_int_equal(mk.ctrl.r.cpl_head - mk.ctrl.r.cpl_tail, 2);
    int reap_n = round % 2 ? 2 : 1;
    for (int k = 0; k < reap_n && mk.ctrl.r.cpl_head != mk.ctrl.r.cpl_tail; k++) {
      struct tproto_cpl p = reap();
      assert_int_equal(p.seq, 500 + got);
      assert_int_equal(p.cmd_index, start + got);
      assert_int_equal(p.status, TPROTO_ST_OK);
      assert_int_equal(p.error, 0);
      assert_int_equal(p.error_op, TPROTO_NO_INDEX);
      assert_int_equal(p.error_tensor, TPROTO_NO_INDEX);
      assert_int_equal(p.group, 0x40 + got);
      assert_int_equal(p.reserved, 0);
      assert_int_equal(p.cycles, 7); /* the mock's counter advances 7 per read; one read each side */
      ops_total += 1 + got % 3;
      got++;
    }
  }
  assert_int_equal(got, n);
  assert_int_equal(mk.ctrl.r.cmd_tail, start + n);
  assert_int_equal(mk.ctrl.r.cpl_head, start + n);
  assert_int_equal(stub.total, ops_total);
  /* The stub's log: op i on tile i mod TILES, ceil(tokens / LANES) token groups. */
  for (uint32_t i = 0; i < stub.total && i < TFW_SCHED_LOG; i++) {
    const struct tfw_sched_rec *r = &stub.rec[i];
    uint32_t cmd = r->cmd_index - start, tokens = 1 + 9 * cmd;
    assert_true(cmd < n);
    assert_int_equal(r->group, 0x40 + cmd);
    assert_int_equal(r->opcode, TPROTO_OP_COPY);
    assert_true(r->op < 1 + cmd % 3);
    assert_int_equal(r->tile, r->op % TESSERA_CFG_TILES);
    assert_int_equal(r->token_groups, (tokens + TESSERA_CFG_LANES - 1) / TESSERA_CFG_LANES);
  }
  assert_true(mk.irqs > 0);
  assert_int_equal(mk.violations, 0);
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_IDLE);
  assert_int_equal(taken, 0);
}

/* max_cmds bounds one poll; the rest waits for the next one. */
static void test_max_cmds(void **state) {
  (void)state;
  std_setup(8, 8, 0);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  struct tproto_cmd c;
  for (uint32_t i = 0; i < 5; i++) { good_cmd(&c, i, 0, 4, 1); submit(&c); }
  uint32_t taken;
  assert_int_equal(tfw_ring_poll(&ring, 2, &taken), TFW_RING_DONE);
  assert_int_equal(taken, 2);
  assert_int_equal(mk.irqs, 1);
  assert_int_equal(tfw_ring_poll(&ring, 0, &taken), TFW_RING_DONE);
  assert_int_equal(taken, 0);
  assert_int_equal(mk.irqs, 1);
  assert_int_equal(tfw_ring_poll(&ring, 100, &taken), TFW_RING_IDLE);
  assert_int_equal(taken, 3);
  assert_int_equal(mk.ctrl.r.cmd_tail, 5);
  assert_int_equal(mk.violations, 0);
}

/* --- Bad commands: error completions, and the ring goes on ------------------------------------ */
static void test_invalid_command(void **state) {
  (void)state;
  std_setup(4, 4, 0);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  struct tproto_cmd c;
  good_cmd(&c, 10, 1, 8, 1);
  c.magic ^= 1u;
  submit(&c);
  good_cmd(&c, 10, 2, 8, 2);
  c.tensor[1].shape[0] = 0; /* also the other tensor's binding: shape error on tensor 1 */
  submit(&c);
  good_cmd(&c, 10, 3, 8, 1);
  submit(&c);
  uint32_t taken;
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_IDLE);
  assert_int_equal(taken, 3);
  struct tproto_cpl p = reap();
  assert_int_equal(p.status, TPROTO_ST_INVALID);
  assert_int_equal(p.error, TPROTO_E_MAGIC);
  assert_int_equal(p.error_offset, 0);
  assert_int_equal(p.group, 1);
  assert_int_equal(p.cmd_index, 0);
  p = reap();
  assert_int_equal(p.status, TPROTO_ST_INVALID);
  assert_int_equal(p.error, TPROTO_E_SHAPE);
  assert_int_equal(p.error_offset, offsetof(struct tproto_cmd, tensor[1].shape[0]));
  assert_int_equal(p.error_tensor, 1);
  assert_int_equal(p.cmd_index, 1);
  /* The first valid command sets the sequence base: 10 is fine. */
  p = reap();
  assert_int_equal(p.status, TPROTO_ST_OK);
  assert_int_equal(p.seq, 10);
  assert_int_equal(stub.total, 1); /* invalid commands never reach the scheduler */
  assert_int_equal(mk.violations, 0);
}

static void test_seq_order(void **state) {
  (void)state;
  std_setup(8, 8, 100);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  struct tproto_cmd c;
  const uint32_t seqs[5] = {7, 8, 10, 10, 11}; /* 10 comes where 9 was due: that one fails alone */
  for (int i = 0; i < 5; i++) { good_cmd(&c, seqs[i], 0, 4, 1); submit(&c); }
  uint32_t taken;
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_IDLE);
  assert_int_equal(taken, 5);
  for (int i = 0; i < 5; i++) {
    struct tproto_cpl p = reap();
    assert_int_equal(p.seq, seqs[i]);
    assert_int_equal(p.cmd_index, 100 + i);
    if (i == 2) {
      assert_int_equal(p.status, TPROTO_ST_INVALID);
      assert_int_equal(p.error, TFW_E_SEQ);
      assert_int_equal(p.error_offset, offsetof(struct tproto_cmd, seq));
      assert_int_equal(p.error_op, TPROTO_NO_INDEX);
    } else {
      assert_int_equal(p.status, TPROTO_ST_OK);
    }
  }
  assert_int_equal(stub.total, 4);
  assert_int_equal(mk.violations, 0);
}

static int failing_op(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, uint32_t op, struct tfw_verr *err) {
  (void)ctx; (void)cmd; (void)cmd_index;
  if (op != 1) return 0;
  err->code = TPROTO_E_UNSUPPORTED;
  err->offset = (uint16_t)offsetof(struct tproto_cmd, op[1].opcode);
  err->op = 1;
  err->tensor = TPROTO_NO_INDEX;
  return TPROTO_E_UNSUPPORTED;
}

static void test_sched_failure(void **state) {
  (void)state;
  std_setup(2, 2, 0);
  assert_int_equal(tfw_ring_init(&ring, &port, mk.ctrl_addr, &allocs, (struct tfw_sched_if){NULL, failing_op, NULL}),
                   TFW_RING_IDLE);
  struct tproto_cmd c;
  good_cmd(&c, 1, 9, 4, 3);
  submit(&c);
  assert_int_equal(tfw_ring_poll(&ring, 8, NULL), TFW_RING_IDLE);
  struct tproto_cpl p = reap();
  assert_int_equal(p.status, TPROTO_ST_FAILED);
  assert_int_equal(p.error, TPROTO_E_UNSUPPORTED);
  assert_int_equal(p.error_offset, offsetof(struct tproto_cmd, op[1].opcode));
  assert_int_equal(p.error_op, 1);
  assert_int_equal(p.group, 9);
}

/* A whole-command scheduler (the interface of tfw_sched_run): called once per valid command with
 * all its ops; its failure completes the command FAILED with its code, offset, op and tensor. */
static uint32_t cmd_calls, cmd_ops_seen;
static int whole_cmd(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, struct tfw_verr *err) {
  (void)ctx;
  cmd_calls++;
  cmd_ops_seen += cmd->n_ops;
  if (cmd->group != 13u) return 0;
  err->code = TPROTO_E_DEVICE;
  err->offset = (uint16_t)offsetof(struct tproto_cmd, op[2]);
  err->op = 2;
  err->tensor = 1;
  (void)cmd_index;
  return TPROTO_E_DEVICE;
}

static void test_sched_whole_command(void **state) {
  (void)state;
  std_setup(4, 4, 0);
  cmd_calls = cmd_ops_seen = 0;
  assert_int_equal(tfw_ring_init(&ring, &port, mk.ctrl_addr, &allocs, (struct tfw_sched_if){NULL, failing_op, whole_cmd}),
                   TFW_RING_IDLE);
  struct tproto_cmd c;
  good_cmd(&c, 1, 9, 4, 3);
  submit(&c);
  good_cmd(&c, 2, 13, 4, 3);
  submit(&c);
  c.magic = 0; /* invalid: the scheduler never sees it */
  c.seq = 3;
  submit(&c);
  assert_int_equal(tfw_ring_poll(&ring, 8, NULL), TFW_RING_IDLE);
  assert_int_equal(cmd_calls, 2);    /* once per valid command, never per op */
  assert_int_equal(cmd_ops_seen, 6); /* and it saw all of each command's ops */
  struct tproto_cpl p = reap();
  assert_int_equal(p.status, TPROTO_ST_OK); /* failing_op (op 1 fails) is not used when cmd is set */
  p = reap();
  assert_int_equal(p.status, TPROTO_ST_FAILED);
  assert_int_equal(p.error, TPROTO_E_DEVICE);
  assert_int_equal(p.error_offset, offsetof(struct tproto_cmd, op[2]));
  assert_int_equal(p.error_op, 2);
  assert_int_equal(p.error_tensor, 1);
  p = reap();
  assert_int_equal(p.status, TPROTO_ST_INVALID);
  assert_int_equal(p.error, TPROTO_E_MAGIC);
  assert_int_equal(mk.violations, 0);
}

/* --- Bad ring states: fatal status, nothing else written --------------------------------------- */
static void expect_fatal_poll(uint32_t code, uint32_t detail) {
  uint32_t taken = 99;
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_FATAL);
  assert_int_equal(taken, 0);
  assert_int_equal(fw_status(), code);
  assert_int_equal(fw_detail(), detail);
  assert_int_equal(ring.fatal, code);
  assert_int_equal(mk.cpl_writes, 0);
  assert_int_equal(mk.violations, 0);
  /* Stopped for good: a later poll reads nothing and writes nothing. */
  uint32_t r = mk.reads, w = mk.writes;
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_FATAL);
  assert_int_equal(mk.reads, r);
  assert_int_equal(mk.writes, w);
}

static void test_head_out_of_range(void **state) {
  (void)state;
  std_setup(4, 4, 0xFFFFFFFEu);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  mk.ctrl.r.cmd_head = 0xFFFFFFFEu + 5u; /* 5 > 4 entries */
  expect_fatal_poll(TFW_FATAL_CMD_HEAD, 3u);
  /* Head behind tail (a huge unsigned difference) is out of range too. */
  std_setup(4, 4, 10);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  mk.ctrl.r.cmd_head = 9;
  expect_fatal_poll(TFW_FATAL_CMD_HEAD, 9u);
  /* Exactly full is fine. */
  std_setup(4, 4, 10);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  struct tproto_cmd c;
  for (uint32_t i = 0; i < 4; i++) { good_cmd(&c, i, 0, 4, 1); submit(&c); }
  assert_int_equal(tfw_ring_poll(&ring, 8, NULL), TFW_RING_IDLE);
  assert_int_equal(mk.ctrl.r.cmd_tail, 14);
}

static void test_cpl_overrun(void **state) {
  (void)state;
  /* A full completion ring blocks: nothing taken, nothing written, no interrupt. */
  std_setup(4, 2, 0);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  struct tproto_cmd c;
  for (uint32_t i = 0; i < 3; i++) { good_cmd(&c, i, 0, 4, 1); submit(&c); }
  uint32_t taken;
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_BLOCKED);
  assert_int_equal(taken, 2);
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_BLOCKED);
  assert_int_equal(taken, 0);
  assert_int_equal(mk.irqs, 1);
  (void)reap();
  assert_int_equal(tfw_ring_poll(&ring, 8, &taken), TFW_RING_IDLE);
  assert_int_equal(taken, 1);
  assert_int_equal(mk.violations, 0);
  /* The host consuming completions that were never posted is fatal. */
  std_setup(4, 2, 0);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  mk.ctrl.r.cpl_tail = 1;
  expect_fatal_poll(TFW_FATAL_CPL_TAIL, 1u);
}

static void test_bad_config(void **state) {
  (void)state;
  struct { const char *what; uint32_t code, detail; } cases[] = {
    {"cmd_entries 0", TFW_FATAL_ENTRIES, 0}, {"cmd_entries 3", TFW_FATAL_ENTRIES, 3},
    {"cpl_entries 0", TFW_FATAL_ENTRIES, 0}, {"cpl_entries 6", TFW_FATAL_ENTRIES, 6},
    {"magic", TFW_FATAL_MAGIC, TPROTO_RING_MAGIC ^ 0x100u}, {"major", TFW_FATAL_VERSION, 2},
    {"cmd_stride", TFW_FATAL_STRIDE, 1727}, {"cpl_stride", TFW_FATAL_STRIDE, 64},
    {"cmd_base", TFW_FATAL_ALIGN, 0x20002u}, {"cpl_base", TFW_FATAL_ALIGN, 0x80001u},
    {"cmd wraps", TFW_FATAL_AREA, 0}, {"cpl wraps", TFW_FATAL_AREA, 0},
    {"cpl over ctrl", TFW_FATAL_AREA, 0}, {"cpl over cmd", TFW_FATAL_AREA, 0},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int at_init = 0; at_init < 2; at_init++) {
      std_setup(4, 4, 0);
      if (!at_init) assert_int_equal(init_ring(), TFW_RING_IDLE);
      struct tproto_ring *r = &mk.ctrl.r;
      switch (i) {
      case 0: r->cmd_entries = 0; break;
      case 1: r->cmd_entries = 3; break;
      case 2: r->cpl_entries = 0; break;
      case 3: r->cpl_entries = 6; break;
      case 4: r->magic ^= 0x100u; break;
      case 5: r->version_major = 2; break;
      case 6: r->cmd_stride = 1727; break;
      case 7: r->cpl_stride = 64; break;
      case 8: r->cmd_base = 0x20002u; break;
      case 9: r->cpl_base = 0x80001u; break;
      case 10: r->cmd_base = 0u - 4u * (uint64_t)CMD_SZ + 4u; break; /* the last 4 bytes wrap past 2^64 */
      case 11: r->cpl_base = 0u - 4u * (uint64_t)CPL_SZ + 4u; break;
      case 12: r->cpl_base = mk.ctrl_addr + 256u; break;
      case 13: r->cpl_base = mk.cmd_addr + 4u * CMD_SZ - 4u; break;
      }
      /* A command waits: the fatal state must keep it from being taken. */
      r->cmd_head = 1;
      if (at_init) {
        assert_int_equal(init_ring(), TFW_RING_FATAL);
        assert_int_equal(fw_status(), cases[i].code);
        assert_int_equal(fw_detail(), cases[i].detail);
        assert_int_equal(tfw_ring_poll(&ring, 8, NULL), TFW_RING_FATAL);
        assert_int_equal(mk.cpl_writes, 0);
        assert_int_equal(mk.violations, 0);
      } else {
        expect_fatal_poll(cases[i].code, cases[i].detail);
      }
      assert_int_equal(r->cmd_tail, 0);
    }
  }
  /* A control block that ends exactly at 2^64 is legal. */
  mock_setup(UINT64_MAX - sizeof(struct tproto_ring) + 1u, 0x20000u, 2, 0x80000u, 2);
  assert_int_equal(init_ring(), TFW_RING_IDLE);
  assert_int_equal(mk.violations, 0);
}

static void test_bus_error(void **state) {
  (void)state;
  /* Fail each access in turn of a two-command poll: always a clean fatal stop, never a stray write. */
  for (int32_t k = 0; k < 12; k++) {
    std_setup(4, 4, 0);
    assert_int_equal(init_ring(), TFW_RING_IDLE);
    struct tproto_cmd c;
    for (uint32_t i = 0; i < 2; i++) { good_cmd(&c, i, 0, 4, 1); submit(&c); }
    mk.fail_after = k;
    uint32_t taken, before = mk.reads + mk.writes;
    int rc = tfw_ring_poll(&ring, 8, &taken);
    uint32_t accesses = mk.reads + mk.writes - before;
    if (k < 1 + 2 * 4) { /* ctrl read, then per command: read, cpl write, two index writes */
      assert_int_equal(rc, TFW_RING_FATAL);
      assert_int_equal(ring.fatal, TFW_FATAL_BUS);
      assert_int_equal(taken, (uint32_t)(k == 0 ? 0 : (k - 1) / 4));
    } else {
      assert_int_equal(rc, TFW_RING_IDLE);
      assert_int_equal(taken, 2);
    }
    assert_true(accesses <= 1 + 2 * 4 + 1);
    assert_int_equal(mk.violations, 0);
  }
}

/* --- Fuzz -------------------------------------------------------------------------------------- */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { /* xorshift64* */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1Dull;
}
static uint32_t rndn(uint32_t n) { return (uint32_t)(rnd() % n); }

/* 100k random ring states: configuration (sometimes broken), indices anywhere in 2^32, head and
 * cpl_tail in and out of range, commands valid, mutated, or random bytes, seqs in and out of order,
 * and random bus errors. Every access stays inside the mock's areas, every poll returns, and every
 * completion says what the validator and the sequence rule say. */
static void test_fuzz(void **state) {
  (void)state;
  static const uint64_t far_bases[4] = {0x1000u, 0xFFFFF000ull, 0x7FFFFFFF00000000ull, 0xFFFFFFFFFFF00000ull};
  uint32_t fatals = 0, oks = 0, invalids = 0, seqerrs = 0, blocked = 0;
  for (uint32_t it = 0; it < 100000u; it++) {
    uint32_t ce = 1u << rndn(5), pe = 1u << rndn(5); /* 1..16 */
    uint64_t base = far_bases[rndn(4)];
    mock_setup(base, base + 0x1000u, ce, base + 0x1000u + ce * CMD_SZ + 64u * rndn(3), pe);
    struct tproto_ring *r = &mk.ctrl.r;
    uint32_t tail = (uint32_t)rnd(), head_cpl = (uint32_t)rnd();
    if (rndn(4) == 0) tail = 0xFFFFFFFFu - rndn(4);
    r->cmd_tail = tail;
    r->cpl_head = head_cpl;
    uint32_t waiting = rndn(ce + 1);
    r->cmd_head = tail + waiting;
    r->cpl_tail = head_cpl - rndn(pe + 1);
    uint32_t seq0 = (uint32_t)rnd();
    for (uint32_t i = 0; i < ce; i++) {
      struct tproto_cmd *c = slot(tail + i);
      uint32_t kind = rndn(10);
      if (kind == 0) {
        for (uint32_t b = 0; b < CMD_SZ; b++) ((uint8_t *)c)[b] = (uint8_t)rnd();
      } else {
        good_cmd(c, seq0 + i + (rndn(8) == 0 ? rndn(3) : 0u), (uint32_t)rnd(), 1 + rndn(100), (uint8_t)(1 + rndn(8)));
        if (kind == 1) ((uint8_t *)c)[rndn(CMD_SZ)] ^= (uint8_t)(1u << rndn(8));
        if (kind == 2) ((uint8_t *)c)[rndn(64)] = (uint8_t)rnd();
      }
    }
    int broken = 1;
    switch (rndn(24)) {
    case 0: r->cmd_entries = rndn(2) ? 0u : ce + 3u; break;
    case 1: r->cpl_entries = rndn(2) ? 0u : pe * 3u; break;
    case 2: r->cmd_head = tail + ce + 1u + rndn(1000); break;
    case 3: r->cpl_tail = head_cpl + 1u + rndn(1000); break;
    case 4: r->magic = (uint32_t)rnd(); break;
    case 5: r->cmd_stride = (uint32_t)rnd() | 1u; break;
    case 6: r->cpl_base = base + 8u; break;
    case 7: r->cmd_base = UINT64_MAX - rndn(CMD_SZ); break;
    default: broken = 0;
    }
    if (rndn(50) == 0) mk.fail_after = (int32_t)rndn(40);
    struct tproto_ring before = *r;
    uint32_t taken = 0, total = 0;
    int rc = init_ring();
    if (rc != TFW_RING_FATAL) {
      for (int k = 0; k < 3 && rc != TFW_RING_FATAL; k++) {
        rc = tfw_ring_poll(&ring, rndn(2) ? ce : 1u + rndn(4), &taken);
        assert_true(rc >= TFW_RING_IDLE && rc <= TFW_RING_FATAL);
        assert_true(taken <= ce);
        total += taken;
        if (rc == TFW_RING_BLOCKED) blocked++;
      }
    }
    assert_int_equal(mk.violations, 0);
    if (broken && mk.fail_after < 0) assert_int_equal(rc, TFW_RING_FATAL);
    if (rc == TFW_RING_FATAL) fatals++;
    /* Host fields never change; the firmware's indices moved by what was taken. */
    assert_int_equal(r->cmd_head, before.cmd_head);
    assert_int_equal(r->cpl_tail, before.cpl_tail);
    assert_memory_equal(r, &before, 64);
    if (mk.fail_after < 0) {
      assert_int_equal(r->cmd_tail, tail + total);
      assert_int_equal(r->cpl_head, head_cpl + total);
      assert_true(total <= waiting);
      assert_true(total <= pe - (head_cpl - r->cpl_tail));
      assert_int_equal(mk.cpl_writes, total);
    }
    /* Each completion posted says what the validator and the sequence rule say. */
    uint32_t have = 0, expect = 0, posted = r->cpl_head - head_cpl;
    for (uint32_t i = 0; i < posted; i++) {
      const struct tproto_cmd *c = slot(tail + i);
      struct tproto_cpl p;
      memcpy(&p, mk.cpl + (size_t)((head_cpl + i) & (pe - 1u)) * CPL_SZ, sizeof p);
      struct tfw_verr e;
      int v = tfw_validate_cmd(c, CMD_SZ, &allocs, &e);
      assert_int_equal(p.cmd_index, tail + i);
      assert_int_equal(p.seq, c->seq);
      assert_int_equal(p.group, c->group);
      if (v != 0) {
        assert_int_equal(p.status, TPROTO_ST_INVALID);
        assert_int_equal(p.error, e.code);
        assert_int_equal(p.error_offset, e.offset);
        invalids++;
      } else if (have && c->seq != expect) {
        assert_int_equal(p.status, TPROTO_ST_INVALID);
        assert_int_equal(p.error, TFW_E_SEQ);
        seqerrs++;
      } else {
        assert_int_equal(p.status, TPROTO_ST_OK);
        oks++;
      }
      if (have) expect++;
      else if (v == 0) { have = 1; expect = c->seq + 1u; }
    }
  }
  print_message("fuzz: %u fatal, %u ok, %u invalid, %u seq errors, %u blocked polls\n", fatals, oks, invalids,
                seqerrs, blocked);
  /* The fuzzer reached every outcome. */
  assert_true(fatals > 1000 && oks > 1000 && invalids > 1000 && seqerrs > 100 && blocked > 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good_path),    cmocka_unit_test(test_max_cmds),
    cmocka_unit_test(test_invalid_command), cmocka_unit_test(test_seq_order),
    cmocka_unit_test(test_sched_failure),
    cmocka_unit_test(test_sched_whole_command), cmocka_unit_test(test_head_out_of_range),
    cmocka_unit_test(test_cpl_overrun),  cmocka_unit_test(test_bad_config),
    cmocka_unit_test(test_bus_error),    cmocka_unit_test(test_fuzz),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
