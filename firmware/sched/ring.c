/* The firmware's command-ring consumer (tfw_ring.h, docs/protocol.md "Ring processing"). */
#include "tfw_ring.h"

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"

#define CTRL_BYTES ((uint64_t)sizeof(struct tproto_ring))
#define CMD_BYTES ((uint32_t)sizeof(struct tproto_cmd))
#define CPL_BYTES ((uint32_t)sizeof(struct tproto_cpl))

static void zero_bytes(void *p, uint32_t n) {
  uint8_t *b = (uint8_t *)p;
  for (uint32_t i = 0; i < n; i++) b[i] = 0;
}

static void say(const struct tfw_ring *r, const char *msg) {
  if (r->port->log != NULL) r->port->log(r->port->ctx, msg);
}

static uint64_t now(const struct tfw_ring *r) {
  return r->port->cycles != NULL ? r->port->cycles(r->port->ctx) : 0u;
}

static int put32(const struct tfw_ring *r, uint32_t off, uint32_t v) {
  return r->port->write(r->port->ctx, r->ctrl_addr + off, &v, 4u);
}

/* Stop for good: record the code and try to publish it (a failing bus is ignored here). */
static int fail(struct tfw_ring *r, uint32_t code, uint32_t detail) {
  r->fatal = code;
  r->fatal_detail = detail;
  say(r, "ring: fatal, see fw_status");
  if (code != TFW_FATAL_BUS) {
    (void)put32(r, TFW_RING_FW_DETAIL_OFF, detail);
    (void)put32(r, TFW_RING_FW_STATUS_OFF, code);
  }
  return TFW_RING_FATAL;
}

static int pow2(uint32_t v) { return v != 0u && (v & (v - 1u)) == 0u; }

/* [base, base + bytes) with bytes >= 1 ends at or below 2^64; *last gets its last byte. */
static int area(uint64_t base, uint64_t bytes, uint64_t *last) {
  if (bytes - 1u > UINT64_MAX - base) return 0;
  *last = base + (bytes - 1u);
  return 1;
}

static int overlap(uint64_t a, uint64_t alast, uint64_t b, uint64_t blast) {
  return a <= blast && b <= alast;
}

/* Check the host-written configuration of the control block; 0 or a TFW_FATAL_* code. */
static uint32_t check_ctrl(const struct tfw_ring *r, const struct tproto_ring *c, uint32_t *detail) {
  uint64_t ctrl_last, cmd_last, cpl_last;
  *detail = 0u;
  if (c->magic != TPROTO_RING_MAGIC) { *detail = c->magic; return TFW_FATAL_MAGIC; }
  if (c->version_major != TPROTO_VERSION_MAJOR) { *detail = c->version_major; return TFW_FATAL_VERSION; }
  if (!pow2(c->cmd_entries)) { *detail = c->cmd_entries; return TFW_FATAL_ENTRIES; }
  if (!pow2(c->cpl_entries)) { *detail = c->cpl_entries; return TFW_FATAL_ENTRIES; }
  if (c->cmd_stride != CMD_BYTES) { *detail = c->cmd_stride; return TFW_FATAL_STRIDE; }
  if (c->cpl_stride != CPL_BYTES) { *detail = c->cpl_stride; return TFW_FATAL_STRIDE; }
  if ((c->cmd_base & (TPROTO_TENSOR_ALIGN - 1u)) != 0u) { *detail = (uint32_t)c->cmd_base; return TFW_FATAL_ALIGN; }
  if ((c->cpl_base & (TPROTO_TENSOR_ALIGN - 1u)) != 0u) { *detail = (uint32_t)c->cpl_base; return TFW_FATAL_ALIGN; }
  if (!area(r->ctrl_addr, CTRL_BYTES, &ctrl_last) ||
      !area(c->cmd_base, (uint64_t)c->cmd_entries * CMD_BYTES, &cmd_last) ||
      !area(c->cpl_base, (uint64_t)c->cpl_entries * CPL_BYTES, &cpl_last) ||
      overlap(c->cpl_base, cpl_last, r->ctrl_addr, ctrl_last) ||
      overlap(c->cpl_base, cpl_last, c->cmd_base, cmd_last) ||
      overlap(c->cmd_base, cmd_last, r->ctrl_addr, ctrl_last)) {
    return TFW_FATAL_AREA;
  }
  return 0u;
}

int tfw_ring_init(struct tfw_ring *r, const struct tfw_port *port, uint64_t ctrl_addr,
                  const struct tfw_alloc_table *allocs, struct tfw_sched_if sched) {
  struct tproto_ring c;
  uint32_t code, detail;
  zero_bytes(r, (uint32_t)sizeof *r);
  r->port = port;
  r->allocs = allocs;
  r->sched = sched;
  r->ctrl_addr = ctrl_addr;
  if (port->read(port->ctx, ctrl_addr, &c, (uint32_t)sizeof c) != 0) return fail(r, TFW_FATAL_BUS, 0u);
  code = check_ctrl(r, &c, &detail);
  if (code != 0u) return fail(r, code, detail);
  r->cmd_tail = c.cmd_tail;
  r->cpl_head = c.cpl_head;
  if (put32(r, TFW_RING_FW_STATUS_OFF, TFW_FATAL_NONE) != 0) return fail(r, TFW_FATAL_BUS, 0u);
  return TFW_RING_IDLE;
}

/* Run one validated command through the scheduler, filling the completion. */
static void run_cmd(struct tfw_ring *r, struct tproto_cpl *cpl) {
  const struct tproto_cmd *cmd = &r->buf[r->cur].cmd;
  struct tfw_verr err = {0u, 0u, TPROTO_NO_INDEX, TPROTO_NO_INDEX};
  uint32_t n_ops = cmd->n_ops <= TPROTO_MAX_OPS ? cmd->n_ops : TPROTO_MAX_OPS;
  if (r->sched.cmd != NULL) n_ops = 1u; /* one call for the whole group */
  for (uint32_t op = 0; op < n_ops; op++) {
    int rc = r->sched.cmd != NULL  ? r->sched.cmd(r->sched.ctx, cmd, cpl->cmd_index, &err)
             : r->sched.op != NULL ? r->sched.op(r->sched.ctx, cmd, cpl->cmd_index, op, &err)
                                   : 0;
    if (rc != 0) {
      cpl->status = TPROTO_ST_FAILED;
      cpl->error = (uint16_t)rc;
      cpl->error_offset = err.offset;
      cpl->error_op = err.op;
      cpl->error_tensor = err.tensor;
      return;
    }
  }
}

/* tfw_validate_cmd is a function of the command's bytes (seq and group are not checked) and of
 * the allocation entries its tensors name: a command equal to the last valid one in the rest,
 * naming entries that are unchanged, is valid without the checks (a training loop sends the same
 * commands every step, and the first one of a step is validated while the device waits; the ones
 * read ahead are validated while it runs and do not replace the entry). */
typedef uint32_t __attribute__((__may_alias__)) alias_word;
_Static_assert(sizeof(struct tproto_cmd) % 16u == 0u, "validate() compares and copies four words a round");
#define SEQ_WORD ((uint32_t)offsetof(struct tproto_cmd, seq) / 4u)
#define GROUP_WORD ((uint32_t)offsetof(struct tproto_cmd, group) / 4u)
static int validate(struct tfw_ring *r, const uint8_t *bytes, struct tfw_verr *err) {
  const alias_word *w = (const alias_word *)(const void *)bytes;
  const struct tproto_cmd *cmd = (const struct tproto_cmd *)(const void *)bytes;
  uint32_t same = r->vc_ok, count = r->allocs != NULL ? r->allocs->count : 0u;
  int rc;
  if (count > TFW_MAX_ALLOCS) count = TFW_MAX_ALLOCS;
  for (uint32_t i = 0; same && i < 8u; i++) /* the header's first words; seq and group may differ */
    if (i != SEQ_WORD && i != GROUP_WORD && w[i] != r->vc.words[i]) same = 0u;
  for (uint32_t i = 8u; same && i + 4u <= (uint32_t)(CMD_BYTES / 4u); i += 4u) /* four words a round */
    same = ((w[i] ^ r->vc.words[i]) | (w[i + 1u] ^ r->vc.words[i + 1u]) | (w[i + 2u] ^ r->vc.words[i + 2u]) |
            (w[i + 3u] ^ r->vc.words[i + 3u])) == 0u;
  for (uint32_t t = 0; same && t < cmd->n_tensors; t++) {
    uint32_t id = cmd->tensor[t].alloc_id;
    same = id < count && r->allocs->entry[id].base == r->vc_alloc[t].base && r->allocs->entry[id].size == r->vc_alloc[t].size;
  }
  if (same) {
    err->code = 0u, err->offset = 0u, err->op = TPROTO_NO_INDEX, err->tensor = TPROTO_NO_INDEX;
    return 0;
  }
  rc = tfw_validate_cmd(bytes, CMD_BYTES, r->allocs, err);
  r->vc_ok = 0u;
  if (rc == 0) {
    for (uint32_t i = 0; i + 4u <= (uint32_t)(CMD_BYTES / 4u); i += 4u)
      r->vc.words[i] = w[i], r->vc.words[i + 1u] = w[i + 1u], r->vc.words[i + 2u] = w[i + 2u], r->vc.words[i + 3u] = w[i + 3u];
    for (uint32_t t = 0; t < cmd->n_tensors; t++) r->vc_alloc[t] = r->allocs->entry[cmd->tensor[t].alloc_id];
    r->vc_ok = 1u;
  }
  return rc;
}

/* Take the command at cmd_tail and post its completion at cpl_head. 0 or a bus failure (1). */
static int take_one(struct tfw_ring *r, const struct tproto_ring *c) {
  struct tproto_cpl cpl;
  struct tfw_verr err;
  uint64_t t0 = now(r);
  uint64_t at = c->cmd_base + (uint64_t)(r->cmd_tail & (c->cmd_entries - 1u)) * CMD_BYTES;
  int rc;
  if (r->pre_valid && r->pre_index == r->cmd_tail) {
    /* read and validated while the previous command ran */
    r->cur ^= 1u;
    rc = r->pre_rc;
    err = r->pre_err;
  } else {
    if (r->pre_valid && r->prepare != NULL) r->prepare(r->sched.ctx, NULL);
    if (r->port->read(r->port->ctx, at, r->buf[r->cur].bytes, CMD_BYTES) != 0) return 1;
    rc = validate(r, r->buf[r->cur].bytes, &err);
  }
  r->pre_valid = 0u;
  zero_bytes(&cpl, CPL_BYTES);
  cpl.seq = r->buf[r->cur].cmd.seq;
  cpl.cmd_index = r->cmd_tail;
  cpl.group = r->buf[r->cur].cmd.group;
  cpl.error_op = TPROTO_NO_INDEX;
  cpl.error_tensor = TPROTO_NO_INDEX;
  if (rc != 0) {
    cpl.status = TPROTO_ST_INVALID;
    cpl.error = err.code;
    cpl.error_offset = err.offset;
    cpl.error_op = err.op;
    cpl.error_tensor = err.tensor;
  } else if (r->have_seq && cpl.seq != r->expect_seq) {
    if (r->prepare != NULL) r->prepare(r->sched.ctx, NULL);
    cpl.status = TPROTO_ST_INVALID;
    cpl.error = (uint16_t)TFW_E_SEQ;
    cpl.error_offset = (uint16_t)offsetof(struct tproto_cmd, seq);
  } else {
    run_cmd(r, &cpl);
  }
  /* Each command taken uses one sequence number; the first valid one sets the base. */
  if (r->have_seq) {
    r->expect_seq++;
  } else if (rc == 0) {
    r->have_seq = 1u;
    r->expect_seq = cpl.seq + 1u;
  }
  cpl.cycles = now(r) - t0;
  at = c->cpl_base + (uint64_t)(r->cpl_head & (c->cpl_entries - 1u)) * CPL_BYTES;
  if (r->port->write(r->port->ctx, at, &cpl, CPL_BYTES) != 0) return 1;
  r->cpl_head++;
  r->cmd_tail++;
  if (put32(r, TFW_RING_CPL_HEAD_OFF, r->cpl_head) != 0) return 1;
  if (put32(r, TFW_RING_CMD_TAIL_OFF, r->cmd_tail) != 0) return 1;
  return 0;
}

static uint32_t umin32(uint32_t a, uint32_t b) { return a < b ? a : b; }

void tfw_ring_prefetch(void *ring) {
  struct tfw_ring *r = (struct tfw_ring *)ring;
  uint32_t next = r->cmd_tail + 1u, other = r->cur ^ 1u;
  if (r->fatal != 0u || r->ahead == 0u || r->pre_valid) return;
  /* a read that fails is left to take_one, which reads it again and reports the bus error */
  if (r->port->read(r->port->ctx, r->cmd_base + (uint64_t)(next & r->cmd_mask) * CMD_BYTES, r->buf[other].bytes, CMD_BYTES) != 0)
    return;
  r->pre_rc = tfw_validate_cmd(r->buf[other].bytes, CMD_BYTES, r->allocs, &r->pre_err); /* (off the critical path) */
  r->pre_index = next;
  r->pre_valid = 1u;
  if (r->pre_rc == 0 && r->prepare != NULL) r->prepare(r->sched.ctx, &r->buf[other].cmd);
}

int tfw_ring_poll(struct tfw_ring *r, uint32_t max_cmds, uint32_t *taken) {
  struct tproto_ring c;
  uint32_t code, detail, pending, inflight, limit, n = 0;
  int result = TFW_RING_IDLE;
  if (taken != NULL) *taken = 0u;
  if (r->fatal != 0u) return TFW_RING_FATAL;
  if (r->port->read(r->port->ctx, r->ctrl_addr, &c, (uint32_t)sizeof c) != 0) return fail(r, TFW_FATAL_BUS, 0u);
  code = check_ctrl(r, &c, &detail);
  if (code != 0u) return fail(r, code, detail);
  pending = c.cmd_head - r->cmd_tail;
  if (pending > c.cmd_entries) return fail(r, TFW_FATAL_CMD_HEAD, c.cmd_head);
  inflight = r->cpl_head - c.cpl_tail;
  if (inflight > c.cpl_entries) return fail(r, TFW_FATAL_CPL_TAIL, c.cpl_tail);
  limit = max_cmds < c.cmd_entries ? max_cmds : c.cmd_entries;
  r->cmd_base = c.cmd_base;
  r->cmd_mask = c.cmd_entries - 1u;
  while (n < limit) {
    if (pending == 0u) break;
    if (inflight == c.cpl_entries) break;
    /* what this poll takes after this command (the scheduler may read it ahead) */
    r->ahead = umin32(umin32(pending - 1u, limit - n - 1u), c.cpl_entries - inflight - 1u);
    if (take_one(r, &c) != 0) {
      r->ahead = 0u;
      if (taken != NULL) *taken = n;
      return fail(r, TFW_FATAL_BUS, r->cmd_tail);
    }
    pending--;
    inflight++;
    n++;
  }
  r->ahead = 0u;
  if (pending != 0u) result = inflight == c.cpl_entries ? TFW_RING_BLOCKED : TFW_RING_DONE;
  if (n != 0u && r->port->irq != NULL) r->port->irq(r->port->ctx);
  if (taken != NULL) *taken = n;
  return result;
}

int tfw_sched_stub_op(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, uint32_t op, struct tfw_verr *err) {
  struct tfw_sched_stub *s = (struct tfw_sched_stub *)ctx;
  struct tfw_sched_rec *rec;
  const struct tproto_op *o;
  uint32_t t, tokens;
  (void)err;
  if (op >= TPROTO_MAX_OPS) return TPROTO_E_UNSUPPORTED;
  o = &cmd->op[op];
  t = o->operand[0] < TPROTO_MAX_TENSORS ? o->operand[0] : 0u;
  tokens = cmd->tensor[t].shape[0];
  rec = &s->rec[s->total % TFW_SCHED_LOG];
  rec->cmd_index = cmd_index;
  rec->group = cmd->group;
  rec->token_groups = tokens / TESSERA_CFG_LANES + (tokens % TESSERA_CFG_LANES != 0u ? 1u : 0u);
  rec->opcode = o->opcode;
  rec->op = (uint8_t)op;
  rec->tile = (uint8_t)(op % TESSERA_CFG_TILES);
  s->total++;
  return 0;
}
