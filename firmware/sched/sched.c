/* The firmware's scheduler (tfw_sched.h; docs/firmware.md "The scheduler").
 *
 * A command becomes a plan: one or more stages, each bound to a tile, through which token groups
 * (rows of the op's tensors, as many as a tile's banks hold) flow. Per token group a stage has
 * input transfers (DRAM -> bank, zeroing, or the previous stage's bank -> this bank), tile runs,
 * and output transfers (bank -> DRAM, bank -> next stage). Unfused, a plan is one op on up to T
 * copies of one stage (token groups round-robin over the tiles); fused, it is a pipeline of
 * stages on consecutive tiles (replicated when T allows). The engine advances every (pipe,
 * stage) whenever its conditions hold (inputs' DMA tickets done, tile idle, buffer free), so DMA
 * of one token group overlaps the compute of another; it never waits on time. */
#include "tfw_sched.h"

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/map.h"

#define LANES TESSERA_CFG_LANES
#define BANK_WORDS TESSERA_CFG_LANE_BANK_WORDS
#define NNZ TESSERA_CFG_NNZ_PER_CYCLE
#define NTILES TESSERA_CFG_TILES
#define WB_GROUPS (TESSERA_CFG_WEIGHT_BUF_WORDS / (NNZ + 1u))
#define ACC_DEPTH TESSERA_CFG_ACC_DEPTH
#define SGROUP_BYTES TPROTO_STREAM_GROUP_BYTES(NNZ)
#define DMA_QUEUE 4u /* dma.status.queued: at most 4 descriptors queued or running */
#define F32_ONE 0x3F800000u

#define T_OFF(t, field) \
  ((uint16_t)(offsetof(struct tproto_cmd, tensor) + (uint32_t)(t) * sizeof(struct tproto_tensor) + \
              offsetof(struct tproto_tensor, field)))
#define O_OFF(o, field) \
  ((uint16_t)(offsetof(struct tproto_cmd, op) + (uint32_t)(o) * sizeof(struct tproto_op) + offsetof(struct tproto_op, field)))

/* --- Plan ------------------------------------------------------------------------------------- */
enum { XF_LOAD = 1, XF_STORE, XF_ZERO, XF_MOVE };
enum { CV_NONE = 0, CV_UNPACK, CV_PACK };

/* A transfer of every token group: `words` words per row (0: the group's cols) at region offset
 * `off` of the stage's buffer; DRAM side row r of the op at addr + r * rstride. */
struct xfer {
  uint8_t kind, cvt, tensor;
  uint8_t dst;    /* MOVE: the stage it goes to (a later one of the same pipe) */
  uint32_t off;   /* LOAD / ZERO: destination; STORE / MOVE: source (region offset) */
  uint32_t off2;  /* MOVE: destination region offset in stage dst */
  uint32_t words; /* 0: the group's cols */
  uint64_t addr;
  uint32_t rstride;
};

/* A tile run of every token group (region offsets relative to the group's buffer). */
struct run {
  uint32_t kernel, k, off_a, off_b, off_c, off_d, param;
  uint32_t s[8];
  uint8_t param_rel; /* param is a region offset (adamw) rather than a bank word */
  uint8_t linear;    /* uses the weight buffer (ngroups) */
  uint8_t op;
  uint8_t pad;
};

/* A vector in DRAM broadcast to every lane at bank word `word` before the first group. */
struct bcast {
  uint64_t addr;
  uint32_t word, words;
};

/* The scalars come first: a new stage zeroes them only (stage_reset); the arrays are filled up to
 * their counts. */
struct stage {
  uint32_t kn, half; /* region words; buffer b's region offsets start at b * half */
  uint8_t nbuf, n_in, n_out, n_run, n_bc, first_op;
  uint8_t has_w;   /* a linear run: weights in the weight buffer */
  uint8_t bwdw;    /* bwd_weight: one pipe per chunk, the gradient buffer kept for all groups */
  uint8_t accum;   /* bwd_weight: gradient buffer starts from dW (else zero) */
  uint8_t dw_tensor;
  uint8_t from;    /* fused: stages that move tensors into this one (bit per stage) */
  uint8_t to;      /* fused: stages this one moves tensors into */
  uint32_t pwords; /* vector stage: bank words at the top for broadcast parameters */
  uint64_t s_addr, wv_addr, dw_addr; /* stream, weights, dW of the linear run */
  uint32_t g_total;                  /* stream groups */
  uint32_t nchunks;
  struct xfer in[TFW_SCHED_MAX_XFER], out[TFW_SCHED_MAX_XFER];
  struct run run[TFW_SCHED_MAX_RUNS];
  struct bcast bc[2];
  uint32_t chunk0[TFW_SCHED_MAX_CHUNKS + 1u]; /* chunk c: groups chunk0[c] .. chunk0[c+1]-1 */
};
#define STAGE_SCALAR_BYTES ((uint32_t)offsetof(struct stage, in))

struct plan {
  uint8_t fused, n_stages, n_pipes, all_groups;
  uint32_t rows, cols, tail; /* rows of `cols` elements, then one row of `tail` (0: none) */
  uint32_t rpg;              /* rows per token group */
  struct stage st[TFW_SCHED_MAX_STAGES];
};
#define PLAN_SCALAR_BYTES ((uint32_t)offsetof(struct plan, st))

/* The plan being built or run (one command at a time; too large for the firmware's stack). */
/* Plans: 0 and 1 for the running command and the next one planned ahead (tfw_sched_prepare);
 * PLAN_CACHED keeps the last fused plan made when a command arrived with nothing planned ahead (the
 * first command after the device waited for the host: a training step's forward), reused while
 * the same command comes again (g_cached_cmd: its tensors and ops; seq and group may differ). */
#define PLAN_CACHED 2u
static struct plan g_plans[3];
static uint32_t g_cur;
static uint32_t g_cached_ok;
static struct tproto_cmd g_cached_cmd;
#define g_plan (g_plans[g_cur])

/* Zeroing is on the controller's critical path (plans are rebuilt for every command): word
 * stores where the pointer is aligned (every struct here is), bytes for the rest. */
typedef uint32_t __attribute__((__may_alias__)) alias_word;
static void zero_bytes(void *p, uint32_t n) {
  uint8_t *b = (uint8_t *)p;
  uint32_t i = 0;
  if (((uintptr_t)b & 3u) == 0u)
    for (alias_word *w = (alias_word *)p; i + 4u <= n; i += 4u) *w++ = 0u;
  for (; i < n; i++) b[i] = 0;
}

static uint32_t udiv_up(uint32_t a, uint32_t b) { return a / b + (a % b != 0u ? 1u : 0u); }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }

static int unsupported(struct tfw_verr *err, uint32_t off, uint32_t op, uint32_t tensor) {
  err->code = (uint16_t)TPROTO_E_UNSUPPORTED;
  err->offset = (uint16_t)off;
  err->op = (uint8_t)op;
  err->tensor = (uint8_t)tensor;
  return TPROTO_E_UNSUPPORTED;
}

/* RN(1/d) as fp32 bits for an integer d >= 1 (LayerNorm's 1/cols; the tile takes it from s1):
 * 24 quotient bits of 2^(e + 24) / d by restoring division, rounded to nearest even. */
static uint32_t recip_u32(uint32_t d) {
  uint32_t e = 0, q = 0, rem = 1;
  if (d == 0u) return 0x7F800000u;
  while ((d >> e) > 1u) e++;
  if ((d & (d - 1u)) == 0u) return (127u - e) << 23;
  for (uint32_t i = 0; i < e + 24u; i++) {
    rem <<= 1, q <<= 1;
    if (rem >= d) rem -= d, q |= 1u;
  }
  /* q in [2^23, 2^24): 1/d = q * 2^-(e + 24) before rounding */
  if (2u * rem > d || (2u * rem == d && (q & 1u))) q++;
  if (q == (1u << 24)) return (127u - e) << 23;
  return ((127u - e - 1u) << 23) | (q - (1u << 23));
}

uint32_t tfw_sched_recip_u32(uint32_t d) { return recip_u32(d); }

/* --- Tensor geometry ----------------------------------------------------------------------------- */
static int contiguous(const struct tproto_tensor *t) {
  uint64_t want = 1u;
  for (uint32_t d = t->rank; d-- > 0u;) {
    if (t->stride[d] != want) return 0;
    want *= t->shape[d];
  }
  return 1;
}

static uint64_t elements(const struct tproto_tensor *t) {
  uint64_t n = 1u;
  for (uint32_t d = 0; d < t->rank && d < TPROTO_MAX_RANK; d++) n *= t->shape[d];
  return n;
}

/* Rows of a tensor: rank 1 is `shape[0]` rows of one element; otherwise the innermost dim is a
 * row (stride 1) and the outer dims must collapse to one uniform row stride. */
static int row_geom(const struct tproto_tensor *t, uint32_t *rows, uint32_t *cols, uint64_t *rstride) {
  uint32_t r = t->rank;
  if (r == 1u) {
    *rows = t->shape[0], *cols = 1u, *rstride = t->stride[0];
    return 1;
  }
  if (t->stride[r - 1u] != 1u) return 0;
  uint64_t n = 1u;
  for (uint32_t d = 0; d + 1u < r; d++) {
    if (d + 2u < r && (uint64_t)t->stride[d] != (uint64_t)t->stride[d + 1u] * t->shape[d + 1u]) return 0;
    n *= t->shape[d];
    if (n > 0xFFFFFFFFu) return 0;
  }
  *rows = (uint32_t)n, *cols = t->shape[r - 1u], *rstride = t->stride[r - 2u];
  return 1;
}

/* A DRAM transfer of tensor ti: fp32 and i32 move as words, bf16 through unpack16 (in) or
 * pack16 (out: the bank values must be bf16-exact, low halves zero); other dtypes are refused. */
static int mk_xfer(struct xfer *x, uint32_t kind, const struct tproto_cmd *cmd, uint32_t ti, uint32_t off,
                   uint32_t words, uint64_t rstride_el, uint32_t op, struct tfw_verr *err) {
  const struct tproto_tensor *t = &cmd->tensor[ti];
  uint64_t esize;
  zero_bytes(x, (uint32_t)sizeof *x);
  x->kind = (uint8_t)kind;
  x->tensor = (uint8_t)ti;
  x->off = off;
  x->words = words;
  x->addr = t->addr;
  if (t->dtype == TPROTO_DT_FP32 || t->dtype == TPROTO_DT_I32) {
    esize = 4u;
  } else if (t->dtype == TPROTO_DT_BF16) {
    esize = 2u;
    x->cvt = kind == XF_LOAD ? CV_UNPACK : CV_PACK;
  } else {
    return unsupported(err, T_OFF(ti, dtype), op, ti);
  }
  if (rstride_el * esize > 0xFFFFFFFFu || (rstride_el * esize) % 4u != 0u)
    return unsupported(err, T_OFF(ti, stride), op, ti);
  x->rstride = (uint32_t)(rstride_el * esize);
  return 0;
}

/* --- Stage builders ----------------------------------------------------------------------------- */
#define KFLAG(name) TESSERA_TILE_KERNEL_##name##_MASK
#define KCODE(name) (TESSERA_TILE_KERNEL_##name << TESSERA_TILE_KERNEL_CODE_SHIFT)

static int add_in(struct stage *st, const struct xfer *x) {
  if (st->n_in >= TFW_SCHED_MAX_XFER) return 0;
  st->in[st->n_in++] = *x;
  return 1;
}
static int add_out(struct stage *st, const struct xfer *x) {
  if (st->n_out >= TFW_SCHED_MAX_XFER) return 0;
  st->out[st->n_out++] = *x;
  return 1;
}

/* The linear op o as the first run of stage st: X (or dY) and Y (or dX) regions, weights, bias.
 * linked: bit i set when row operand i comes from an earlier stage of a fused plan (moved into the
 * region, no DRAM load of it). Returns 0 or an error; *cap gets the most rows per lane a group may
 * have. */
static int stage_linear(const struct tproto_cmd *cmd, uint32_t o, struct stage *st, uint32_t linked, uint32_t *cap,
                        struct tfw_verr *err) {
  const struct tproto_op *p = &cmd->op[o];
  uint32_t n = p->iparam[0], k = p->iparam[1], rc, words_free = BANK_WORDS;
  struct xfer x;
  struct run *r = &st->run[st->n_run++];
  uint32_t ts = p->operand[p->opcode == TPROTO_OP_LINEAR_BWD_WEIGHT ? 2 : 1];
  zero_bytes(r, (uint32_t)sizeof *r);
  r->linear = 1u;
  r->op = (uint8_t)o;
  r->k = k;
  st->kn = k + n;
  st->nbuf = 1u;
  st->has_w = 1u;
  st->s_addr = cmd->tensor[ts].addr;
  st->g_total = cmd->tensor[ts].shape[0];
  if (p->opcode != TPROTO_OP_LINEAR_BWD_WEIGHT) {
    uint32_t tw = p->operand[2];
    if (cmd->tensor[tw].dtype != TPROTO_DT_BF16) return unsupported(err, T_OFF(tw, dtype), o, tw);
    st->wv_addr = cmd->tensor[tw].addr;
  }
  /* Row operands: [M, cols] with unit inner stride. */
  for (uint32_t i = 0; i < p->n_operands; i++) {
    uint32_t ti = p->operand[i], rows, cols;
    uint64_t rs;
    if (cmd->tensor[ti].dtype == TPROTO_DT_BLOB) continue;
    if (i == 2u && p->opcode != TPROTO_OP_LINEAR_BWD_WEIGHT) continue;
    if (i == 3u && p->opcode == TPROTO_OP_LINEAR_BWD_WEIGHT) continue;
    if (!row_geom(&cmd->tensor[ti], &rows, &cols, &rs) || cmd->tensor[ti].dtype == TPROTO_DT_FP8_E4M3 ||
        cmd->tensor[ti].dtype == TPROTO_DT_FP8_E5M2)
      return unsupported(err, T_OFF(ti, dtype), o, ti);
  }
  switch (p->opcode) {
  case TPROTO_OP_LINEAR_FWD: {
    uint32_t tx = p->operand[0], ty = p->operand[3], nb = 4u;
    uint32_t f = p->flags;
    /* The residual: the protocol adds it before GELU, the tile after; and the only region words
     * free for R are Y's own (off_a = k), which the tile model reads after writing Y there
     * (sim/tile/tile_exec.c run_epilogue). Refused until the tile reads R first; RESIDUAL_ADD
     * does the same work. */
    if ((f & TPROTO_EPI_RESIDUAL) && (!TFW_SCHED_EPI_RESIDUAL || (f & TPROTO_EPI_GELU)))
      return unsupported(err, O_OFF(o, flags), o, TPROTO_NO_INDEX);
    r->kernel = KCODE(FWD);
    if (f & TPROTO_EPI_BIAS) {
      uint32_t tb = p->operand[nb++];
      words_free -= n;
      r->kernel |= KFLAG(EPI_BIAS);
      r->param = BANK_WORDS - n;
      st->bc[st->n_bc].addr = cmd->tensor[tb].addr;
      st->bc[st->n_bc].word = BANK_WORDS - n;
      st->bc[st->n_bc++].words = n;
      if (cmd->tensor[tb].stride[0] != 1u) return unsupported(err, T_OFF(tb, stride), o, tb);
    }
    if (f & TPROTO_EPI_GELU) r->kernel |= KFLAG(EPI_GELU);
    if (f & TPROTO_EPI_SCALE) r->kernel |= KFLAG(EPI_SCALE), r->s[0] = p->scalar[0];
    if (cmd->tensor[ty].dtype == TPROTO_DT_BF16) r->kernel |= KFLAG(CAST_BF16);
    if (!(linked & 1u)) {
      if ((rc = (uint32_t)mk_xfer(&x, XF_LOAD, cmd, tx, 0u, k, cmd->tensor[tx].stride[0], o, err)) != 0u) return (int)rc;
      add_in(st, &x);
    }
    if (f & TPROTO_EPI_RESIDUAL) {
      /* The residual sits where Y goes: the tile reads it at off_a = k and writes Y over it. */
      uint32_t tr = p->operand[nb];
      r->kernel |= KFLAG(EPI_RESIDUAL);
      r->off_a = k;
      if ((rc = (uint32_t)mk_xfer(&x, XF_LOAD, cmd, tr, k, n, cmd->tensor[tr].stride[0], o, err)) != 0u) return (int)rc;
    } else {
      /* Rows of W without a nonzero produce no write: Y starts at +0. */
      zero_bytes(&x, (uint32_t)sizeof x);
      x.kind = XF_ZERO, x.off = k, x.words = n;
    }
    add_in(st, &x);
    /* (a fused plan drops the stores of transient outputs afterwards) */
    if ((rc = (uint32_t)mk_xfer(&x, XF_STORE, cmd, ty, k, n, cmd->tensor[ty].stride[0], o, err)) != 0u) return (int)rc;
    add_out(st, &x);
    *cap = umin(ACC_DEPTH, words_free / st->kn);
    break;
  }
  case TPROTO_OP_LINEAR_BWD_DATA: {
    uint32_t tdy = p->operand[0], tdx = p->operand[3];
    r->kernel = KCODE(BWD_DATA);
    if (!(linked & 1u)) {
      if ((rc = (uint32_t)mk_xfer(&x, XF_LOAD, cmd, tdy, k, n, cmd->tensor[tdy].stride[0], o, err)) != 0u) return (int)rc;
      add_in(st, &x);
    }
    if (p->flags & TPROTO_OPF_ACCUM) {
      if ((rc = (uint32_t)mk_xfer(&x, XF_LOAD, cmd, tdx, 0u, k, cmd->tensor[tdx].stride[0], o, err)) != 0u) return (int)rc;
    } else {
      zero_bytes(&x, (uint32_t)sizeof x);
      x.kind = XF_ZERO, x.off = 0u, x.words = k;
    }
    add_in(st, &x);
    if ((rc = (uint32_t)mk_xfer(&x, XF_STORE, cmd, tdx, 0u, k, cmd->tensor[tdx].stride[0], o, err)) != 0u) return (int)rc;
    add_out(st, &x);
    *cap = umin(ACC_DEPTH, words_free / st->kn);
    break;
  }
  default: { /* LINEAR_BWD_WEIGHT */
    uint32_t tdy = p->operand[0], tx = p->operand[1], tdw = p->operand[3];
    r->kernel = KCODE(BWD_WEIGHT);
    st->bwdw = 1u;
    st->accum = (p->flags & TPROTO_OPF_ACCUM) != 0u;
    st->dw_addr = cmd->tensor[tdw].addr;
    st->dw_tensor = (uint8_t)tdw;
    /* wload zips the stream with 2P bytes of values per group; bwd_weight does not read them.
     * The first half of the group's own dW bytes (4P per group) stands in: inside a tensor the
     * command names, and the gradient buffer is loaded after the weights. */
    st->wv_addr = st->dw_addr;
    if (!(linked & 2u)) {
      if ((rc = (uint32_t)mk_xfer(&x, XF_LOAD, cmd, tx, 0u, k, cmd->tensor[tx].stride[0], o, err)) != 0u) return (int)rc;
      add_in(st, &x);
    }
    if (!(linked & 1u)) {
      if ((rc = (uint32_t)mk_xfer(&x, XF_LOAD, cmd, tdy, k, n, cmd->tensor[tdy].stride[0], o, err)) != 0u) return (int)rc;
      add_in(st, &x);
    }
    *cap = words_free / st->kn;
    break;
  }
  }
  if (*cap == 0u) return unsupported(err, O_OFF(o, iparam[1]), o, TPROTO_NO_INDEX);
  return 0;
}

/* Region slots of a vector stage: one per tensor, `words` wide, at increasing offsets. */
struct slots {
  uint32_t n, used;
  uint8_t tensor[2u * TPROTO_MAX_OPERANDS * TFW_SCHED_MAX_RUNS];
  uint32_t off[2u * TPROTO_MAX_OPERANDS * TFW_SCHED_MAX_RUNS];
};

static uint32_t slot_of(struct slots *sl, uint32_t ti, uint32_t words, int *fresh) {
  for (uint32_t i = 0; i < sl->n; i++)
    if (sl->tensor[i] == ti) {
      *fresh = 0;
      return sl->off[i];
    }
  *fresh = 1;
  sl->tensor[sl->n] = (uint8_t)ti;
  sl->off[sl->n++] = sl->used;
  sl->used += words;
  return sl->off[sl->n - 1u];
}

static int slot_has(const struct slots *sl, uint32_t ti) {
  for (uint32_t i = 0; i < sl->n; i++)
    if (sl->tensor[i] == ti) return 1;
  return 0;
}

/* Kernels whose output may share its words with a row input (in place, docs/chip.md): the
 * elementwise ones read a column before they write it; xent_bwd reads the logits in its first two
 * passes only, each column before its pass 2 store (the third pass reads its own output). */
static int elementwise_op(uint32_t opc) {
  return opc == TPROTO_OP_GELU_FWD || opc == TPROTO_OP_GELU_BWD || opc == TPROTO_OP_RESIDUAL_ADD ||
         opc == TPROTO_OP_XENT_BWD;
}

/* Operands of one word per row (labels, losses, LayerNorm's mean and rstd). */
static int per_row_operand(uint32_t opc, uint32_t i) {
  return (opc == TPROTO_OP_XENT_FWD && i >= 1u) || (opc == TPROTO_OP_XENT_BWD && i == 1u) ||
         (opc == TPROTO_OP_LAYERNORM_FWD && i >= 4u);
}

/* Output operand i of op p takes the slot of one of the op's inputs (earlier operands, whose offsets
 * are in off[]) that `reuse` names: that tensor is no longer in the stage afterwards. */
static int take_slot(struct slots *sl, const struct tproto_op *p, uint32_t rd, uint32_t i, uint32_t reuse, uint32_t *off) {
  for (uint32_t j = 0; j < i; j++) {
    uint32_t u = p->operand[j];
    if (!(rd >> j & 1u) || !(reuse >> u & 1u) || per_row_operand(p->opcode, j)) continue;
    for (uint32_t e = 0; e < sl->n; e++)
      if (sl->tensor[e] == u) {
        sl->tensor[e] = p->operand[i];
        off[i] = off[j];
        return 1;
      }
  }
  return 0;
}

static int is_vector_op(uint32_t opc) {
  return opc == TPROTO_OP_GELU_FWD || opc == TPROTO_OP_GELU_BWD || opc == TPROTO_OP_RESIDUAL_ADD ||
         opc == TPROTO_OP_SOFTMAX || opc == TPROTO_OP_LAYERNORM_FWD || opc == TPROTO_OP_XENT_FWD ||
         opc == TPROTO_OP_XENT_BWD || opc == TPROTO_OP_ADAMW;
}

/* Adds op o's run to a vector stage. Its operands get slots (a tensor already in the stage keeps
 * its slot: an intermediate never leaves the bank); `have` marks tensors already in the stage
 * (produced by an earlier run or moved in), the others are loaded from DRAM per group. Per-row
 * operands ([M] labels, losses, means) take one word. cols: elements of a row. flat: the op's
 * tensors are cut into rows of `cols` elements (rstride = cols). Outputs are stored unless the
 * caller drops them. Words for broadcast parameters come from the top of the bank (*param_words). */
static int stage_vector(const struct tproto_cmd *cmd, uint32_t o, struct stage *st, struct slots *sl, uint32_t *have,
                        uint32_t cols, int flat, uint32_t *param_words, uint32_t reuse, struct tfw_verr *err) {
  const struct tproto_op *p = &cmd->op[o];
  uint32_t rd = tfw_operand_reads(p->opcode, p->flags, p->n_operands);
  uint32_t wr = tfw_operand_writes(p->opcode, p->flags, p->n_operands);
  uint32_t off[TPROTO_MAX_OPERANDS];
  struct run *r;
  struct xfer x;
  int rc, fresh;
  if (st->n_run >= TFW_SCHED_MAX_RUNS) return unsupported(err, O_OFF(o, opcode), o, TPROTO_NO_INDEX);
  r = &st->run[st->n_run++];
  zero_bytes(r, (uint32_t)sizeof *r);
  r->op = (uint8_t)o;
  for (uint32_t i = 0; i < p->n_operands; i++) {
    uint32_t ti = p->operand[i], words = cols, rows, c;
    uint64_t rs;
    const struct tproto_tensor *t = &cmd->tensor[ti];
    /* Broadcast parameters: LayerNorm's gamma and beta. */
    if (p->opcode == TPROTO_OP_LAYERNORM_FWD && (i == 1u || i == 2u)) {
      if (t->stride[0] != 1u || t->dtype != TPROTO_DT_FP32) return unsupported(err, T_OFF(ti, stride), o, ti);
      continue;
    }
    if (per_row_operand(p->opcode, i)) words = 1u;
    if (p->opcode == TPROTO_OP_LAYERNORM_FWD && i == 5u) {
      off[i] = off[4] + 1u; /* rstd: the word after mean */
    } else if ((wr >> i & 1u) && words == cols && elementwise_op(p->opcode) && !slot_has(sl, ti) &&
               take_slot(sl, p, rd, i, reuse, off)) {
      /* in place: the output takes the slot of an input nothing reads afterwards */
    } else {
      off[i] = slot_of(sl, ti, p->opcode == TPROTO_OP_LAYERNORM_FWD && i == 4u ? 2u : words, &fresh);
    }
    if (flat) rs = cols;
    else if (!row_geom(t, &rows, &c, &rs)) return unsupported(err, T_OFF(ti, stride), o, ti);
    if ((rd >> i & 1u) && !(*have >> ti & 1u)) {
      if ((rc = mk_xfer(&x, XF_LOAD, cmd, ti, off[i], words == cols ? 0u : words, rs, o, err)) != 0) return rc;
      if (!add_in(st, &x)) return unsupported(err, O_OFF(o, n_operands), o, ti);
      *have |= 1u << ti;
    }
    if (wr >> i & 1u) {
      /* Vector kernels write fp32; only AdamW's copy is bf16-exact (pack16 of its high halves). */
      if (t->dtype == TPROTO_DT_BF16 && !(p->opcode == TPROTO_OP_ADAMW && i == 4u))
        return unsupported(err, T_OFF(ti, dtype), o, ti);
      if ((rc = mk_xfer(&x, XF_STORE, cmd, ti, off[i], words == cols ? 0u : words, rs, o, err)) != 0) return rc;
      if (!add_out(st, &x)) return unsupported(err, O_OFF(o, n_operands), o, ti);
      *have |= 1u << ti;
    }
  }
  switch (p->opcode) {
  case TPROTO_OP_GELU_FWD:
    r->kernel = KCODE(GELU_FWD), r->off_a = off[0], r->off_b = off[1];
    break;
  case TPROTO_OP_GELU_BWD:
    r->kernel = KCODE(GELU_BWD), r->off_a = off[0], r->off_b = off[1], r->off_c = off[2];
    break;
  case TPROTO_OP_RESIDUAL_ADD:
    r->kernel = KCODE(ADD), r->off_a = off[0], r->off_b = off[1], r->off_c = off[2];
    break;
  case TPROTO_OP_SOFTMAX:
    r->kernel = KCODE(SOFTMAX_FWD), r->off_a = off[0], r->off_b = off[1];
    break;
  case TPROTO_OP_LAYERNORM_FWD:
    *param_words += 2u * cols;
    r->kernel = KCODE(LAYERNORM_FWD), r->off_a = off[0], r->off_b = off[3], r->off_c = off[4];
    r->param = BANK_WORDS - *param_words;
    r->s[0] = p->scalar[0];
    r->s[1] = recip_u32(cols);
    if (st->n_bc + 2u > 2u) return unsupported(err, O_OFF(o, opcode), o, TPROTO_NO_INDEX);
    st->bc[st->n_bc].addr = cmd->tensor[p->operand[1]].addr, st->bc[st->n_bc].word = r->param;
    st->bc[st->n_bc++].words = cols;
    st->bc[st->n_bc].addr = cmd->tensor[p->operand[2]].addr, st->bc[st->n_bc].word = r->param + cols;
    st->bc[st->n_bc++].words = cols;
    break;
  case TPROTO_OP_XENT_FWD:
    r->kernel = KCODE(XENT_FWD), r->off_a = off[0], r->off_c = off[1], r->off_d = off[2];
    break;
  case TPROTO_OP_XENT_BWD:
    r->kernel = KCODE(XENT_BWD), r->off_a = off[0], r->off_c = off[1], r->off_b = off[2], r->s[0] = p->scalar[0];
    break;
  default: /* ADAMW */
    r->kernel = KCODE(ADAMW), r->off_a = off[0], r->off_b = off[1], r->off_c = off[2], r->off_d = off[3];
    for (uint32_t j = 0; j < 7u; j++) r->s[j] = p->scalar[j];
    if (p->flags & TPROTO_OPF_BF16_COPY) r->param_rel = 1u, r->param = off[4];
    else r->param_rel = 1u, r->param = slot_of(sl, 0xFFu, cols, &fresh); /* the kernel writes it anyway */
    break;
  }
  return 0;
}

/* Rows, cols of a vector op unfused: flat rows of TFW_SCHED_FLAT_COLS for elementwise ops on
 * contiguous tensors, else the tensors' rows. */
static int vector_geom(const struct tproto_cmd *cmd, uint32_t o, struct plan *pl, int *flat, struct tfw_verr *err) {
  const struct tproto_op *p = &cmd->op[o];
  uint32_t t0 = p->operand[0], rows, cols;
  uint64_t rs;
  int elementwise = p->opcode == TPROTO_OP_GELU_FWD || p->opcode == TPROTO_OP_GELU_BWD ||
                    p->opcode == TPROTO_OP_RESIDUAL_ADD || p->opcode == TPROTO_OP_ADAMW;
  *flat = 0;
  if (elementwise) {
    int all = 1;
    for (uint32_t i = 0; i < p->n_operands; i++) all &= contiguous(&cmd->tensor[p->operand[i]]);
    if (all) {
      uint64_t e = elements(&cmd->tensor[t0]);
      if (e > 0xFFFFFFFFu) return unsupported(err, T_OFF(t0, shape), o, t0);
      *flat = 1;
      if (e <= TFW_SCHED_FLAT_COLS) {
        pl->rows = 1u, pl->cols = (uint32_t)e, pl->tail = 0u;
      } else {
        pl->rows = (uint32_t)(e / TFW_SCHED_FLAT_COLS), pl->cols = TFW_SCHED_FLAT_COLS;
        pl->tail = (uint32_t)(e % TFW_SCHED_FLAT_COLS);
      }
      return 0;
    }
    if (cmd->tensor[t0].rank < 2u) return unsupported(err, T_OFF(t0, stride), o, t0);
  }
  if (!row_geom(&cmd->tensor[t0], &rows, &cols, &rs)) return unsupported(err, T_OFF(t0, stride), o, t0);
  pl->rows = rows, pl->cols = cols, pl->tail = 0u;
  return 0;
}

/* Region size of a vector stage and its buffering: double buffered when two regions of a row per
 * lane fit, else single. Returns rows per lane a group may have (0: does not fit). */
static uint32_t vector_fit(struct stage *st, uint32_t words, uint32_t param_words) {
  uint32_t avail = BANK_WORDS > param_words ? BANK_WORDS - param_words : 0u;
  if (words == 0u) words = 1u;
  st->half = words;
  if (TFW_SCHED_DOUBLE_BUFFER && 2u * words <= avail) {
    st->nbuf = 2u, st->kn = 2u * words;
  } else {
    st->nbuf = 1u, st->kn = words;
  }
  return avail / st->kn;
}

/* Rows per group and pipes for a plan whose stages allow `cap` rows per lane. */
static void size_groups(struct plan *pl, uint32_t cap, uint32_t pipes, uint32_t min_groups) {
  uint32_t rows = pl->rows == 0u ? 1u : pl->rows;
  uint32_t want = udiv_up(udiv_up(rows, pipes * min_groups), LANES);
  if (want == 0u) want = 1u;
  pl->rpg = LANES * umin(cap, want);
}

/* One op by itself (not COPY). */
static int plan_op(const struct tproto_cmd *cmd, uint32_t o, struct plan *pl, struct tfw_verr *err) {
  const struct tproto_op *p = &cmd->op[o];
  struct stage *st = &pl->st[0];
  uint32_t cap = 0u;
  int rc;
  zero_bytes(pl, PLAN_SCALAR_BYTES);
  zero_bytes(st, STAGE_SCALAR_BYTES);
  pl->n_stages = 1u;
  st->first_op = (uint8_t)o;
  if (p->opcode <= TPROTO_OP_LINEAR_BWD_WEIGHT) {
    uint32_t t0 = p->operand[0];
    if ((rc = stage_linear(cmd, o, st, 0u, &cap, err)) != 0) return rc;
    pl->rows = cmd->tensor[t0].shape[0];
    pl->cols = 0u;
    if (st->bwdw) {
      /* Passes of exactly d = min(ceil(M / L), bank / (k + n)) rows per lane (ttile_pass_d): the
       * tile adds each pass onto the gradient buffer in order, so the cut fixes the sums. */
      pl->rpg = LANES * umin(cap, udiv_up(pl->rows, LANES));
      pl->all_groups = 1u;
      pl->n_pipes = 1u;
    } else {
      pl->n_pipes = (uint8_t)NTILES;
      size_groups(pl, cap, NTILES, 1u);
    }
    return 0;
  }
  if (!is_vector_op(p->opcode)) return unsupported(err, O_OFF(o, opcode), o, TPROTO_NO_INDEX);
  {
    struct slots sl;
    uint32_t have = 0u, param_words = 0u;
    int flat;
    zero_bytes(&sl, (uint32_t)sizeof sl);
    if ((rc = vector_geom(cmd, o, pl, &flat, err)) != 0) return rc;
    if ((rc = stage_vector(cmd, o, st, &sl, &have, pl->cols, flat, &param_words, 0u, err)) != 0) return rc;
    cap = vector_fit(st, sl.used, param_words);
    if (cap == 0u) return unsupported(err, T_OFF(p->operand[0], shape), o, p->operand[0]);
    pl->n_pipes = (uint8_t)NTILES;
    size_groups(pl, cap, NTILES, 3u); /* three groups per tile: load, compute, store overlap */
  }
  return 0;
}

/* --- Fusion ------------------------------------------------------------------------------------- */
#define NO_OFF 0xFFFFFFFFu
/* Region offset of a linear op's row operand i (docs/tile.md: X or dX at 0, Y or dY at k), NO_OFF
 * for the others (stream, weights, dW, bias). */
static uint32_t linear_off(const struct tproto_op *p, uint32_t i) {
  uint32_t k = p->iparam[1];
  if (p->opcode == TPROTO_OP_LINEAR_FWD) return i == 0u ? 0u : i == 3u ? k : NO_OFF;
  if (p->opcode == TPROTO_OP_LINEAR_BWD_DATA) return i == 0u ? k : i == 3u ? 0u : NO_OFF;
  return i == 0u ? k : i == 1u ? 0u : NO_OFF; /* bwd_weight: dY, X */
}

/* A bank-to-bank move of tensor t from stage `from` (region offset src) into stage `to` (dst) for
 * every token group, after from's runs; words 0: the group's cols. */
static int add_move(struct plan *pl, uint32_t from, uint32_t to, uint32_t t, uint32_t src, uint32_t dst, uint32_t words) {
  struct xfer x;
  zero_bytes(&x, (uint32_t)sizeof x);
  x.kind = XF_MOVE, x.tensor = (uint8_t)t, x.dst = (uint8_t)to;
  x.off = src, x.off2 = dst, x.words = words;
  if (from >= to || !add_out(&pl->st[from], &x)) return 0;
  pl->st[from].to = (uint8_t)(pl->st[from].to | 1u << to);
  pl->st[to].from = (uint8_t)(pl->st[to].from | 1u << from);
  return 1;
}

/* Try to map the whole command onto one pipeline of stages, each on its own tile. Every linear op
 * (fwd, bwd_data, bwd_weight; weights resident) starts a stage; a vector op joins the current
 * vector stage when it reads one of its tensors, else starts one. A tensor that an earlier stage
 * holds after its runs (its output, or an input it loaded) reaches a later stage by a bank-to-bank
 * move instead of DRAM; a stage may take moves from several earlier stages (a DAG, e.g. the MLP's
 * backward: dY feeds bwd_data and bwd_weight, the recomputed activation feeds bwd_weight). In a
 * vector stage an elementwise op's output takes the words of an input nothing reads afterwards.
 * Returns 1 with the plan built, 0 when the command does not map (it then runs op by op). */
static int plan_fused(const struct tproto_cmd *cmd, struct plan *pl) {
  uint8_t where[TPROTO_MAX_TENSORS]; /* the stage that holds tensor t after its runs, 0xFF: none */
  uint8_t nwr[TPROTO_MAX_TENSORS], wr_op[TPROTO_MAX_TENSORS], last_rd[TPROTO_MAX_TENSORS];
  uint32_t off_of_t[TPROTO_MAX_TENSORS];
  uint32_t rows = 0u, cols = 0u, cap = ACC_DEPTH, any_transient = 0u, bw_d = 0u;
  struct slots sl;
  uint32_t have = 0u, param_words = 0u;
  struct tfw_verr err;
  int cur = -1, cur_linear = 0;
  if (cmd->n_ops < 2u) return 0;
  zero_bytes(pl, PLAN_SCALAR_BYTES);
  zero_bytes(&sl, (uint32_t)sizeof sl);
  for (uint32_t t = 0; t < cmd->n_tensors; t++) any_transient |= cmd->tensor[t].flags & TPROTO_TF_TRANSIENT;
  if (!any_transient) return 0;
  /* Per tensor: how many ops write it (and the first), the last op that reads it. */
  for (uint32_t t = 0; t < TPROTO_MAX_TENSORS; t++) where[t] = 0xFFu, off_of_t[t] = 0u, nwr[t] = 0u, last_rd[t] = 0u;
  for (uint32_t o = 0; o < cmd->n_ops; o++) {
    const struct tproto_op *p = &cmd->op[o];
    uint32_t rd = tfw_operand_reads(p->opcode, p->flags, p->n_operands);
    uint32_t wr = tfw_operand_writes(p->opcode, p->flags, p->n_operands);
    for (uint32_t i = 0; i < p->n_operands; i++) {
      uint32_t t = p->operand[i];
      if (rd >> i & 1u) last_rd[t] = (uint8_t)o;
      if ((wr >> i & 1u) && nwr[t]++ == 0u) wr_op[t] = (uint8_t)o;
    }
  }
  for (uint32_t o = 0; o < cmd->n_ops; o++) {
    const struct tproto_op *p = &cmd->op[o];
    uint32_t rd = tfw_operand_reads(p->opcode, p->flags, p->n_operands);
    uint32_t wr = tfw_operand_writes(p->opcode, p->flags, p->n_operands);
    uint32_t in_cur = 0u, r, c;
    uint64_t rs;
    int lin = p->opcode <= TPROTO_OP_LINEAR_BWD_WEIGHT;
    struct stage *st;
    if (!lin && !(is_vector_op(p->opcode) && p->opcode != TPROTO_OP_ADAMW)) return 0;
    /* Inputs: held by a stage of the plan, or command inputs that no op writes (else a hazard the
     * pipeline would reorder). */
    for (uint32_t i = 0; i < p->n_operands; i++) {
      uint32_t t = p->operand[i];
      if (!(rd >> i & 1u)) continue;
      if (where[t] == 0xFFu) {
        if (nwr[t] != 0u && !(nwr[t] == 1u && wr_op[t] == o)) return 0; /* (an op accumulating onto its output) */
      } else if (cur >= 0 && where[t] == (uint32_t)cur) {
        in_cur = 1u;
      }
    }
    /* Row geometry: every activation of the pipeline has the same rows. */
    if (!row_geom(&cmd->tensor[p->operand[0]], &r, &c, &rs) || cmd->tensor[p->operand[0]].rank != 2u) return 0;
    if (rows == 0u) rows = r;
    if (r != rows) return 0;
    if (lin || cur < 0 || !in_cur || cur_linear) {
      if (pl->n_stages >= TFW_SCHED_MAX_STAGES || pl->n_stages >= NTILES) return 0;
      if (cur >= 0 && cur_linear == 0) {
        pl->st[cur].pwords = param_words;
        if (vector_fit(&pl->st[cur], sl.used, param_words) == 0u) return 0;
      }
      cur = (int)pl->n_stages++;
      st = &pl->st[cur];
      zero_bytes(st, STAGE_SCALAR_BYTES);
      st->first_op = (uint8_t)o;
      zero_bytes(&sl, (uint32_t)sizeof sl);
      have = 0u, param_words = 0u;
      if (lin) {
        uint32_t linked = 0u, lcap = 0u, k = p->iparam[1], n = p->iparam[0];
        uint32_t ts = p->operand[p->opcode == TPROTO_OP_LINEAR_BWD_WEIGHT ? 2 : 1];
        for (uint32_t i = 0; i < p->n_operands; i++) {
          if (!(rd >> i & 1u) || where[p->operand[i]] == 0xFFu) continue;
          /* only the row operands (not bwd_data's accumulated dX) can be moved in */
          if (linear_off(p, i) == NO_OFF || (p->opcode == TPROTO_OP_LINEAR_BWD_DATA && i != 0u)) return 0;
          linked |= 1u << i;
        }
        if (cmd->tensor[ts].shape[0] > WB_GROUPS) return 0; /* weights must stay resident */
        if (stage_linear(cmd, o, st, linked, &lcap, &err) != 0) return 0;
        if (st->bwdw) {
          /* its sums depend on the passes: exactly those of the op run alone (plan_op) */
          uint32_t d = umin(lcap, udiv_up(rows, LANES));
          if (bw_d != 0u && d != bw_d) return 0;
          bw_d = d;
        } else {
          cap = umin(cap, lcap);
        }
        cur_linear = 1;
        for (uint32_t i = 0; i < p->n_operands; i++) {
          uint32_t t = p->operand[i], at = linear_off(p, i);
          if (at == NO_OFF) continue;
          if (linked >> i & 1u) {
            if (!add_move(pl, where[t], (uint32_t)cur, t, off_of_t[t], at, at == 0u ? k : n)) return 0;
          }
          if ((rd >> i & 1u) || (wr >> i & 1u)) where[t] = (uint8_t)cur, off_of_t[t] = at;
        }
      } else {
        if (cols == 0u) cols = c;
        cur_linear = 0;
      }
    }
    if (!lin) {
      uint32_t reuse = 0u;
      uint8_t before[2u * TPROTO_MAX_OPERANDS * TFW_SCHED_MAX_RUNS];
      uint32_t nbefore = sl.n;
      st = &pl->st[cur];
      if (c != cols) return 0;
      /* Tensors of other stages come by moves into slots of this one. */
      for (uint32_t i = 0; i < p->n_operands; i++) {
        uint32_t t = p->operand[i], at;
        int fresh;
        if (!(rd >> i & 1u) || where[t] == 0xFFu || where[t] == (uint32_t)cur) continue;
        if (cmd->tensor[t].rank != 2u || cmd->tensor[t].shape[1] != cols) return 0; /* whole rows only */
        at = slot_of(&sl, t, cols, &fresh);
        if (!add_move(pl, where[t], (uint32_t)cur, t, off_of_t[t], at, 0u)) return 0;
        have |= 1u << t;
        where[t] = (uint8_t)cur, off_of_t[t] = at;
      }
      /* Inputs whose words an output may take: no later op reads them and the stage does not store
       * them (a store runs after all of the stage's runs). */
      for (uint32_t e = 0; e < sl.n; e++) {
        uint32_t u = sl.tensor[e], stored = 0u;
        if (u >= TPROTO_MAX_TENSORS || last_rd[u] > o) continue;
        for (uint32_t x = 0; x < st->n_out; x++) stored |= st->out[x].kind == XF_STORE && st->out[x].tensor == u;
        if (!stored) reuse |= 1u << u;
      }
      nbefore = sl.n;
      for (uint32_t e = 0; e < nbefore; e++) before[e] = sl.tensor[e];
      if (stage_vector(cmd, o, st, &sl, &have, cols, 0, &param_words, reuse, &err) != 0) return 0;
      for (uint32_t e = 0; e < nbefore; e++)
        if (before[e] < TPROTO_MAX_TENSORS && sl.tensor[e] != before[e]) where[before[e]] = 0xFFu; /* overwritten */
      for (uint32_t e = 0; e < sl.n; e++)
        if (sl.tensor[e] < TPROTO_MAX_TENSORS) where[sl.tensor[e]] = (uint8_t)cur, off_of_t[sl.tensor[e]] = sl.off[e];
    }
  }
  if (cur >= 0 && !cur_linear) {
    pl->st[cur].pwords = param_words;
    if (vector_fit(&pl->st[cur], sl.used, param_words) == 0u) return 0;
  }
  if (pl->n_stages < 2u || pl->n_stages > NTILES) return 0;
  /* Vector stages: double buffered unless that leaves fewer rows per lane than bwd_weight's passes
   * need (then single: loads wait for the runs, the other stages still overlap). */
  for (uint32_t s = 0; s < pl->n_stages; s++) {
    struct stage *st = &pl->st[s];
    if (st->has_w) continue;
    if (st->nbuf == 2u && (BANK_WORDS - st->pwords) / st->kn < bw_d) st->nbuf = 1u, st->kn = st->half;
    cap = umin(cap, (BANK_WORDS - st->pwords) / st->kn);
  }
  if (cap == 0u) return 0;
  /* Transient outputs stay on chip: drop their stores. */
  for (uint32_t s = 0; s < pl->n_stages; s++) {
    struct stage *st = &pl->st[s];
    uint32_t k = 0;
    for (uint32_t i = 0; i < st->n_out; i++) {
      if (st->out[i].kind == XF_STORE && (cmd->tensor[st->out[i].tensor].flags & TPROTO_TF_TRANSIENT)) continue;
      st->out[k++] = st->out[i];
    }
    st->n_out = (uint8_t)k;
  }
  /* Every tensor an op writes, once. */
  for (uint32_t t = 0; t < cmd->n_tensors; t++)
    if (nwr[t] > 1u) return 0;
  pl->fused = 1u;
  pl->rows = rows;
  pl->cols = cols;
  pl->tail = 0u;
  if (bw_d != 0u) {
    /* bwd_weight adds every pass onto its gradient buffer: one pipe, token groups of exactly the
     * rows per lane it takes alone, which every other stage must hold. */
    if (bw_d > cap) return 0;
    pl->n_pipes = 1u;
    pl->rpg = LANES * bw_d;
  } else {
    pl->n_pipes = (uint8_t)(NTILES / pl->n_stages);
    size_groups(pl, cap, pl->n_pipes, 2u);
  }
  return 1;
}

/* --- Device access ------------------------------------------------------------------------------ */
#ifdef TFW_SCHED_DIRECT_MMIO
/* The device firmware (firmware/sched/module.mk builds tessera_fw.elf's copy so): its port reaches
 * registers with plain bus accesses (firmware/app/hal_port.c), which the scheduler then makes
 * itself, without an indirect call per register on the path from a tile's done to the next DMA. */
static uint32_t rr(struct tfw_sched *s, uint32_t addr) {
  (void)s;
  return *(volatile uint32_t *)(uintptr_t)addr;
}
static void rw(struct tfw_sched *s, uint32_t addr, uint32_t v) {
  (void)s;
  *(volatile uint32_t *)(uintptr_t)addr = v;
}
#else
static uint32_t rr(struct tfw_sched *s, uint32_t addr) { return s->port->reg_read(s->port->ctx, addr); }
static void rw(struct tfw_sched *s, uint32_t addr, uint32_t v) { s->port->reg_write(s->port->ctx, addr, v); }
#endif
static uint64_t now(struct tfw_sched *s) { return s->port->cycles != NULL ? s->port->cycles(s->port->ctx) : 0u; }

struct dma_desc {
  uint64_t src, dst, aux;
  uint32_t rows, row_bytes, sstride, dstride;
  uint32_t src_kind, dst_kind, mode, src_tile, dst_tile, bcast, pack, unpack;
};

static int device_fail(struct tfw_sched *s, uint32_t kind, uint32_t detail) {
  if (s->fail_kind == 0u) s->fail_kind = kind, s->fail_detail = detail;
  return -1;
}

/* The DMA engine's done count has reached ticket t. */
static int dma_reached(struct tfw_sched *s, uint32_t t) {
  return (int32_t)(rr(s, TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET) - t) >= 0;
}

static int dma_wait(struct tfw_sched *s, uint32_t t) {
  for (uint32_t spin = 0; !dma_reached(s, t); spin++)
    if (spin >= TFW_SCHED_SPIN_LIMIT) return device_fail(s, TFW_SCHED_FAIL_HANG, t);
  return 0;
}

/* Queue one descriptor (waiting for a free queue slot); *ticket: the done count when it ends. */
static int dma_go(struct tfw_sched *s, const struct dma_desc *d, uint32_t *ticket) {
  const uint32_t b = TESSERA_DMA_BASE;
  uint32_t ctrl, st;
  if (dma_wait(s, s->dma_issued - (DMA_QUEUE - 1u)) != 0) return -1;
  ctrl = (d->src_kind << TESSERA_DMA_CTRL_SRC_KIND_SHIFT & TESSERA_DMA_CTRL_SRC_KIND_MASK) |
         (d->dst_kind << TESSERA_DMA_CTRL_DST_KIND_SHIFT & TESSERA_DMA_CTRL_DST_KIND_MASK) |
         (d->mode << TESSERA_DMA_CTRL_MODE_SHIFT & TESSERA_DMA_CTRL_MODE_MASK) |
         (d->src_tile << TESSERA_DMA_CTRL_SRC_TILE_SHIFT & TESSERA_DMA_CTRL_SRC_TILE_MASK) |
         (d->dst_tile << TESSERA_DMA_CTRL_DST_TILE_SHIFT & TESSERA_DMA_CTRL_DST_TILE_MASK) |
         (d->bcast << TESSERA_DMA_CTRL_BROADCAST_SHIFT & TESSERA_DMA_CTRL_BROADCAST_MASK) |
         (d->pack << TESSERA_DMA_CTRL_PACK16_SHIFT & TESSERA_DMA_CTRL_PACK16_MASK) |
         (d->unpack << TESSERA_DMA_CTRL_UNPACK16_SHIFT & TESSERA_DMA_CTRL_UNPACK16_MASK);
  rw(s, b + TESSERA_DMA_SRC_LO_OFFSET, (uint32_t)d->src);
  rw(s, b + TESSERA_DMA_SRC_HI_OFFSET, (uint32_t)(d->src >> 32));
  rw(s, b + TESSERA_DMA_DST_LO_OFFSET, (uint32_t)d->dst);
  rw(s, b + TESSERA_DMA_DST_HI_OFFSET, (uint32_t)(d->dst >> 32));
  rw(s, b + TESSERA_DMA_AUX_LO_OFFSET, (uint32_t)d->aux);
  rw(s, b + TESSERA_DMA_AUX_HI_OFFSET, (uint32_t)(d->aux >> 32));
  rw(s, b + TESSERA_DMA_ROWS_OFFSET, d->rows);
  rw(s, b + TESSERA_DMA_ROW_BYTES_OFFSET, d->row_bytes);
  rw(s, b + TESSERA_DMA_SRC_STRIDE_OFFSET, d->sstride);
  rw(s, b + TESSERA_DMA_DST_STRIDE_OFFSET, d->dstride);
  rw(s, b + TESSERA_DMA_CTRL_OFFSET, ctrl);
  rw(s, b + TESSERA_DMA_START_OFFSET, TESSERA_DMA_START_GO_MASK);
  st = rr(s, b + TESSERA_DMA_STATUS_OFFSET);
  if (st & TESSERA_DMA_STATUS_ERROR_MASK) {
    rw(s, b + TESSERA_DMA_CLEAR_OFFSET, TESSERA_DMA_CLEAR_GO_MASK);
    return device_fail(s, TFW_SCHED_FAIL_DMA, (st & TESSERA_DMA_STATUS_CODE_MASK) >> TESSERA_DMA_STATUS_CODE_SHIFT);
  }
  s->dma_issued++;
  s->stats.dmas++;
  if (d->mode == TESSERA_DMA_MODE_WLOAD) {
    s->stats.dram_bytes += (uint64_t)d->rows * (SGROUP_BYTES + 2u * NNZ);
  } else {
    uint64_t bytes = (uint64_t)d->rows * d->row_bytes;
    if (d->src_kind == TESSERA_DMA_KIND_DRAM) s->stats.dram_bytes += d->unpack ? bytes / 2u : bytes;
    if (d->dst_kind == TESSERA_DMA_KIND_DRAM) s->stats.dram_bytes += d->pack ? bytes / 2u : bytes;
  }
  if (ticket != NULL) *ticket = s->dma_issued;
  return 0;
}

/* --- Engine ------------------------------------------------------------------------------------- */
struct pst {
  uint32_t next_in, ran, sent, count;
  uint32_t ticket[2];  /* DMA ticket of the last input into buffer b */
  uint32_t wticket;    /* chunked weights: ticket of the chunk's load */
  uint32_t run, chunk; /* run in progress: index, chunk */
  uint8_t busy;        /* 0 idle, 1 waiting for a chunk load, 2 tile running */
  uint8_t tile, pipe, stage;
  uint8_t dw_out;      /* a fused bwd_weight stage has issued its dW store */
  uint64_t t0;
};

static struct pst g_pst[NTILES];

struct grp {
  uint32_t row0, rows, cols;
};

static uint32_t n_groups(const struct plan *pl) {
  uint32_t full = pl->rows == 0u ? 0u : udiv_up(pl->rows, pl->rpg);
  return full + (pl->tail != 0u ? 1u : 0u);
}

/* The j-th group of pipe p. */
static struct grp group_of(const struct plan *pl, uint32_t p, uint32_t j) {
  struct grp g;
  uint32_t gi = pl->all_groups ? j : p + j * pl->n_pipes;
  uint32_t full = pl->rows == 0u ? 0u : udiv_up(pl->rows, pl->rpg);
  if (gi < full) {
    g.row0 = gi * pl->rpg;
    g.rows = umin(pl->rpg, pl->rows - g.row0);
    g.cols = pl->cols;
  } else {
    g.row0 = pl->rows, g.rows = 1u, g.cols = pl->tail;
  }
  return g;
}

static uint32_t group_index(const struct plan *pl, uint32_t p, uint32_t j) {
  return pl->all_groups ? j : p + j * pl->n_pipes;
}

/* Issue one transfer of group g for stage st on tile `tile`, buffer b. next/ntile/nb: the next
 * stage for a move. */
static int xfer_go(struct tfw_sched *s, const struct stage *st, uint32_t tile, uint32_t b, const struct xfer *x,
                   const struct grp *g, const struct stage *next, uint32_t ntile, uint32_t nb, uint32_t *ticket) {
  struct dma_desc d;
  uint32_t words = x->words != 0u ? x->words : g->cols;
  uint32_t boff = b * st->half;
  zero_bytes(&d, (uint32_t)sizeof d);
  d.rows = g->rows;
  d.row_bytes = 4u * words;
  switch (x->kind) {
  case XF_LOAD:
    d.src_kind = TESSERA_DMA_KIND_DRAM, d.src = x->addr + (uint64_t)g->row0 * x->rstride, d.sstride = x->rstride;
    d.dst_kind = TESSERA_DMA_KIND_BANK, d.dst = boff + x->off, d.dstride = 4u * st->kn, d.dst_tile = tile;
    d.unpack = x->cvt == CV_UNPACK;
    return dma_go(s, &d, ticket);
  case XF_STORE:
    d.src_kind = TESSERA_DMA_KIND_BANK, d.src = boff + x->off, d.sstride = 4u * st->kn, d.src_tile = tile;
    d.dst_kind = TESSERA_DMA_KIND_DRAM, d.dst = x->addr + (uint64_t)g->row0 * x->rstride, d.dstride = x->rstride;
    d.pack = x->cvt == CV_PACK;
    return dma_go(s, &d, ticket);
  case XF_MOVE:
    d.src_kind = TESSERA_DMA_KIND_BANK, d.src = boff + x->off, d.sstride = 4u * st->kn, d.src_tile = tile;
    d.dst_kind = TESSERA_DMA_KIND_BANK, d.dst = nb * next->half + x->off2, d.dstride = 4u * next->kn;
    d.dst_tile = ntile;
    return dma_go(s, &d, ticket);
  default: /* XF_ZERO: slices of the zero area, read again for every row (source stride 0) */
    for (uint32_t c0 = 0; c0 < words; c0 += TFW_SCHED_ZERO_BYTES / 4u) {
      uint32_t w = umin(words - c0, TFW_SCHED_ZERO_BYTES / 4u);
      d.row_bytes = 4u * w;
      d.src_kind = TESSERA_DMA_KIND_DMEM, d.src = s->zero_dmem, d.sstride = 0u;
      d.dst_kind = TESSERA_DMA_KIND_BANK, d.dst = boff + x->off + c0, d.dstride = 4u * st->kn, d.dst_tile = tile;
      if (dma_go(s, &d, ticket) != 0) return -1;
    }
    return 0;
  }
}

/* Load groups [g0, g0 + n) of the stream and weights into tile's weight buffer from entry 0. */
static int wload(struct tfw_sched *s, const struct stage *st, uint32_t tile, uint32_t g0, uint32_t n, uint32_t *ticket) {
  struct dma_desc d;
  zero_bytes(&d, (uint32_t)sizeof d);
  d.src_kind = TESSERA_DMA_KIND_DRAM, d.dst_kind = TESSERA_DMA_KIND_WBUF, d.mode = TESSERA_DMA_MODE_WLOAD;
  d.src = st->s_addr + (uint64_t)g0 * SGROUP_BYTES;
  d.aux = st->wv_addr + (uint64_t)g0 * 2u * NNZ;
  d.rows = n, d.dst_tile = tile;
  return dma_go(s, &d, ticket);
}

/* Gradient buffer entries 0..n-1 from dW groups [g0, g0 + n) (accum) or zero; or back to DRAM. */
static int gbuf_xfer(struct tfw_sched *s, const struct stage *st, uint32_t tile, uint32_t g0, uint32_t n, int out) {
  struct dma_desc d;
  zero_bytes(&d, (uint32_t)sizeof d);
  d.rows = n, d.row_bytes = 4u * NNZ;
  if (out) {
    d.src_kind = TESSERA_DMA_KIND_GBUF, d.src_tile = tile, d.sstride = 4u * NNZ;
    d.dst_kind = TESSERA_DMA_KIND_DRAM, d.dst = st->dw_addr + (uint64_t)g0 * 4u * NNZ, d.dstride = 4u * NNZ;
  } else if (st->accum) {
    d.src_kind = TESSERA_DMA_KIND_DRAM, d.src = st->dw_addr + (uint64_t)g0 * 4u * NNZ, d.sstride = 4u * NNZ;
    d.dst_kind = TESSERA_DMA_KIND_GBUF, d.dst_tile = tile, d.dstride = 4u * NNZ;
  } else {
    d.src_kind = TESSERA_DMA_KIND_DMEM, d.src = s->zero_dmem, d.sstride = 0u;
    d.dst_kind = TESSERA_DMA_KIND_GBUF, d.dst_tile = tile, d.dstride = 4u * NNZ;
  }
  return dma_go(s, &d, NULL);
}

static int tile_start(struct tfw_sched *s, uint32_t tile, const struct stage *st, const struct run *r, uint32_t b,
                      const struct grp *g, uint32_t ngroups) {
  const uint32_t base = TESSERA_TILE_ADDR(tile);
  uint32_t boff = b * st->half, status;
  rw(s, base + TESSERA_TILE_KERNEL_OFFSET, r->kernel);
  rw(s, base + TESSERA_TILE_K_OFFSET, r->k);
  rw(s, base + TESSERA_TILE_KN_OFFSET, st->kn);
  rw(s, base + TESSERA_TILE_NTOK_OFFSET, g->rows);
  rw(s, base + TESSERA_TILE_TPL_OFFSET, udiv_up(g->rows, LANES));
  rw(s, base + TESSERA_TILE_NGROUPS_OFFSET, r->linear ? ngroups : 0u);
  rw(s, base + TESSERA_TILE_OFF_A_OFFSET, r->linear ? r->off_a : boff + r->off_a);
  rw(s, base + TESSERA_TILE_OFF_B_OFFSET, r->linear ? 0u : boff + r->off_b);
  rw(s, base + TESSERA_TILE_OFF_C_OFFSET, r->linear ? 0u : boff + r->off_c);
  rw(s, base + TESSERA_TILE_OFF_D_OFFSET, r->linear ? 0u : boff + r->off_d);
  rw(s, base + TESSERA_TILE_COLS_OFFSET, r->linear ? 0u : g->cols);
  rw(s, base + TESSERA_TILE_PARAM_OFFSET, r->param_rel ? boff + r->param : r->param);
  rw(s, base + TESSERA_TILE_ROW0_OFFSET, g->row0);
  rw(s, base + TESSERA_TILE_S0_OFFSET, r->s[0]);
  rw(s, base + TESSERA_TILE_S1_OFFSET, r->s[1]);
  rw(s, base + TESSERA_TILE_S2_OFFSET, r->s[2]);
  rw(s, base + TESSERA_TILE_S3_OFFSET, r->s[3]);
  rw(s, base + TESSERA_TILE_S4_OFFSET, r->s[4]);
  rw(s, base + TESSERA_TILE_S5_OFFSET, r->s[5]);
  rw(s, base + TESSERA_TILE_S6_OFFSET, r->s[6]);
  rw(s, base + TESSERA_TILE_S7_OFFSET, 0u);
  rw(s, base + TESSERA_TILE_START_OFFSET, TESSERA_TILE_START_GO_MASK);
  status = rr(s, base + TESSERA_TILE_STATUS_OFFSET);
  if (status & TESSERA_TILE_STATUS_ERROR_MASK) {
    rw(s, base + TESSERA_TILE_CLEAR_OFFSET, TESSERA_TILE_CLEAR_ERROR_MASK);
    return device_fail(s, TFW_SCHED_FAIL_TILE, (status & TESSERA_TILE_STATUS_CODE_MASK) >> TESSERA_TILE_STATUS_CODE_SHIFT);
  }
  s->tile_expect[tile]++;
  s->stats.tile_runs++;
  return 0;
}

/* 1 when tile's runs are all done, 0 while busy, -1 when it reports an error. */
static int tile_idle(struct tfw_sched *s, uint32_t tile) {
  const uint32_t base = TESSERA_TILE_ADDR(tile);
  uint32_t status;
  if ((int32_t)(rr(s, base + TESSERA_TILE_DONE_OFFSET) - s->tile_expect[tile]) >= 0) return 1;
  status = rr(s, base + TESSERA_TILE_STATUS_OFFSET);
  if (status & TESSERA_TILE_STATUS_ERROR_MASK) {
    rw(s, base + TESSERA_TILE_CLEAR_OFFSET, TESSERA_TILE_CLEAR_ERROR_MASK);
    return device_fail(s, TFW_SCHED_FAIL_TILE, (status & TESSERA_TILE_STATUS_CODE_MASK) >> TESSERA_TILE_STATUS_CODE_SHIFT);
  }
  return 0;
}

static void record(struct tfw_sched *s, uint32_t cmd_index, const struct plan *pl, const struct pst *ps,
                   const struct grp *g, uint32_t gi) {
  struct tfw_sched_grec *r = &s->rec[s->nrec % TFW_SCHED_LOG];
  r->cmd_index = cmd_index;
  r->group = gi;
  r->rows = g->rows;
  r->cycles = (uint32_t)(now(s) - ps->t0);
  r->op = pl->st[ps->stage].first_op;
  r->stage = ps->stage;
  r->tile = ps->tile;
  r->fused = pl->fused;
  s->nrec++;
  s->stats.groups++;
}

/* Chunk cuts of a stream longer than the weight buffer: at row boundaries (a row's groups end
 * with a TPROTO_STREAM_LAST flag), found by reading the flags byte of groups backwards from the
 * buffer's end. */
static int cut_chunks(struct tfw_sched *s, struct stage *st) {
  uint32_t g0 = 0u;
  st->nchunks = 0u;
  while (g0 < st->g_total) {
    uint32_t end = g0 + WB_GROUPS;
    if (st->nchunks >= TFW_SCHED_MAX_CHUNKS) return device_fail(s, TFW_SCHED_FAIL_STREAM, g0);
    st->chunk0[st->nchunks++] = g0;
    if (end >= st->g_total) {
      g0 = st->g_total;
      break;
    }
    for (;;) {
      uint8_t hdr[4];
      if (end == g0) return device_fail(s, TFW_SCHED_FAIL_STREAM, g0);
      if (s->port->read(s->port->ctx, st->s_addr + (uint64_t)(end - 1u) * SGROUP_BYTES, hdr, 4u) != 0)
        return device_fail(s, TFW_SCHED_FAIL_STREAM, end);
      if (hdr[2] & TPROTO_STREAM_LAST) break;
      end--;
    }
    g0 = end;
  }
  st->chunk0[st->nchunks] = g0;
  return 0;
}

/* Inputs of the j-th group of pipe p into stage si (DRAM loads and zeroing). */
static int issue_inputs(struct tfw_sched *s, const struct plan *pl, uint32_t p, uint32_t si, uint32_t j) {
  struct pst *ps = &g_pst[p * pl->n_stages + si];
  const struct stage *st = &pl->st[si];
  struct grp g = group_of(pl, p, j);
  uint32_t b = j % st->nbuf, t = s->dma_issued;
  for (uint32_t i = 0; i < st->n_in; i++)
    if (xfer_go(s, st, ps->tile, b, &st->in[i], &g, NULL, 0u, 0u, &t) != 0) return -1;
  if (st->n_in != 0u) ps->ticket[b] = s->dma_issued;
  ps->next_in = j + 1u;
  return 0;
}

/* Group j's operands are all on their way into (pipe p, stage si): its own loads are issued and
 * every stage that moves tensors into it has sent group j. */
static int group_fed(const struct plan *pl, uint32_t p, uint32_t si, uint32_t j) {
  const struct pst *ps = &g_pst[p * pl->n_stages + si];
  uint32_t from = pl->st[si].from;
  if (ps->next_in <= j) return 0;
  for (uint32_t f = 0; from != 0u; f++, from >>= 1)
    if ((from & 1u) && g_pst[p * pl->n_stages + f].sent <= j) return 0;
  return 1;
}

/* The runs of group `ran` of (pipe p, stage si): start when its inputs have arrived and the tile is
 * idle, wait for a chunk's weights, notice completion. 1 on progress, 0 if none, -1 on failure. */
static int run_step(struct tfw_sched *s, const struct plan *pl, uint32_t p, uint32_t si, uint32_t cmd_index) {
  struct pst *ps = &g_pst[p * pl->n_stages + si];
  const struct stage *st = &pl->st[si];
  int progress = 0;
  if (ps->ran < ps->count && group_fed(pl, p, si, ps->ran)) {
    struct grp g = group_of(pl, p, ps->ran);
    uint32_t b = ps->ran % st->nbuf;
    const struct run *r = &st->run[ps->run];
    uint32_t chunked = r->linear && st->nchunks > 1u;
    if (ps->busy == 0u && dma_reached(s, ps->ticket[b])) {
      if (ps->run == 0u && ps->chunk == 0u) ps->t0 = now(s);
      if (chunked) {
        uint32_t c = ps->chunk;
        if (wload(s, st, ps->tile, st->chunk0[c], st->chunk0[c + 1u] - st->chunk0[c], &ps->wticket) != 0) return -1;
        ps->busy = 1u;
      } else {
        uint32_t ng = st->bwdw ? st->chunk0[p + 1u] - st->chunk0[p] : st->g_total;
        if (tile_start(s, ps->tile, st, r, b, &g, ng) != 0) return -1;
        ps->busy = 2u;
      }
      progress = 1;
    } else if (ps->busy == 1u && dma_reached(s, ps->wticket)) {
      uint32_t c = ps->chunk;
      if (tile_start(s, ps->tile, st, r, b, &g, st->chunk0[c + 1u] - st->chunk0[c]) != 0) return -1;
      ps->busy = 2u;
      progress = 1;
    } else if (ps->busy == 2u) {
      int idle = tile_idle(s, ps->tile);
      if (idle < 0) return -1;
      if (idle) {
        ps->busy = 0u;
        progress = 1;
        if (chunked && ps->chunk + 1u < st->nchunks) {
          ps->chunk++;
        } else {
          ps->chunk = 0u;
          if (ps->run + 1u < st->n_run) {
            ps->run++;
          } else {
            ps->run = 0u;
            record(s, cmd_index, pl, ps, &g, group_index(pl, p, ps->ran));
            ps->ran++;
          }
        }
      }
    }
  }
  return progress;
}

/* Advance (pipe p, stage si) as far as it can without waiting: start or continue the runs of the
 * oldest group whose inputs are in, issue the outputs of a finished group (stores, and moves into
 * later stages once their buffer for it is free), then the loads of the next group into a free
 * buffer (after the start, so that they load while the tile computes). Returns 1 on progress, 0 if
 * none, -1 on a device failure. */
static int advance(struct tfw_sched *s, const struct plan *pl, uint32_t p, uint32_t si, uint32_t cmd_index) {
  struct pst *ps = &g_pst[p * pl->n_stages + si];
  const struct stage *st = &pl->st[si];
  int progress = 0;
  /* 1. Runs: a finished group lets the next one start at once (before any transfer is issued). */
  for (int k = 0; k < 2; k++) {
    int r = run_step(s, pl, p, si, cmd_index);
    if (r < 0) return -1;
    progress |= r;
  }
  /* 2. Outputs of group `sent` once it ran; a move needs its stage's buffer for the group (that
   * stage has sent the group that buffer held: the queue runs its reads first). */
  if (ps->sent < ps->ran) {
    struct grp g = group_of(pl, p, ps->sent);
    uint32_t b = ps->sent % st->nbuf, free = 1u, to = st->to;
    for (uint32_t c = 0; to != 0u; c++, to >>= 1)
      if ((to & 1u) && ps->sent - g_pst[p * pl->n_stages + c].sent >= pl->st[c].nbuf) free = 0u;
    if (free) {
      for (uint32_t i = 0; i < st->n_out; i++) {
        const struct xfer *x = &st->out[i];
        if (x->kind == XF_MOVE) {
          struct pst *nx = &g_pst[p * pl->n_stages + x->dst];
          const struct stage *nst = &pl->st[x->dst];
          uint32_t nb = ps->sent % nst->nbuf;
          if (xfer_go(s, st, ps->tile, b, x, &g, nst, nx->tile, nb, NULL) != 0) return -1;
          nx->ticket[nb] = s->dma_issued;
        } else if (xfer_go(s, st, ps->tile, b, x, &g, NULL, 0u, 0u, NULL) != 0) {
          return -1;
        }
      }
      ps->sent++;
      progress = 1;
      /* A fused bwd_weight stage that ran its last group writes dW at once (its tile is idle). */
      if (pl->fused && st->bwdw && ps->sent == ps->count) {
        if (gbuf_xfer(s, st, ps->tile, 0u, st->g_total, 1) != 0) return -1;
        ps->dw_out = 1u;
      }
    }
  }
  /* 3. Loads of the next group when its buffer is free. */
  if (ps->next_in < ps->count && ps->next_in - ps->sent < st->nbuf) {
    if (issue_inputs(s, pl, p, si, ps->next_in) != 0) return -1;
    progress = 1;
  }
  return progress;
}

/* Wait until every issued DMA and tile run has finished (also after a failure, so nothing of
 * this command is still moving when its completion is posted). */
static void drain(struct tfw_sched *s) {
  (void)dma_wait(s, s->dma_issued);
  for (uint32_t t = 0; t < NTILES; t++)
    for (uint32_t spin = 0; spin < TFW_SCHED_SPIN_LIMIT; spin++)
      if (tile_idle(s, t) != 0) break;
}

static int run_plan(struct tfw_sched *s, struct plan *pl, uint32_t cmd_index) {
  uint32_t npst = (uint32_t)pl->n_pipes * pl->n_stages, total = n_groups(pl);
  /* Weight chunks: resident (one chunk), or cut at row boundaries. */
  for (uint32_t si = 0; si < pl->n_stages; si++) {
    struct stage *st = &pl->st[si];
    if (!st->has_w) continue;
    if (st->g_total <= WB_GROUPS) {
      st->nchunks = 1u, st->chunk0[0] = 0u, st->chunk0[1] = st->g_total;
    } else if (cut_chunks(s, st) != 0) {
      return -1;
    }
  }
  if (!pl->fused && pl->st[0].bwdw) {
    /* bwd_weight: one pipe per chunk, rounds of up to T chunks; each keeps its chunk's weights
     * and gradients on its tile for all token groups and writes dW once. */
    struct stage *st = &pl->st[0];
    uint32_t nch = st->nchunks;
    for (uint32_t c0 = 0; c0 < nch; c0 += NTILES) {
      uint32_t nc = umin(NTILES, nch - c0);
      struct stage saved = *st;
      /* Chunk c0 + p is pipe p: shift the cuts so chunk0[p] is the pipe's. */
      for (uint32_t i = 0; i <= nc; i++) st->chunk0[i] = saved.chunk0[c0 + i];
      st->nchunks = 1u; /* per pipe: its one chunk stays resident */
      pl->n_pipes = (uint8_t)nc;
      zero_bytes(g_pst, (uint32_t)sizeof g_pst);
      for (uint32_t p = 0; p < nc; p++) {
        struct pst *ps = &g_pst[p];
        ps->tile = (uint8_t)p, ps->pipe = (uint8_t)p, ps->count = total;
        if (wload(s, st, p, st->chunk0[p], st->chunk0[p + 1u] - st->chunk0[p], NULL) != 0) return -1;
        if (gbuf_xfer(s, st, p, st->chunk0[p], st->chunk0[p + 1u] - st->chunk0[p], 0) != 0) return -1;
      }
      for (uint32_t spin = 0;;) {
        uint32_t done = 1u;
        int any = 0;
        for (uint32_t p = 0; p < nc; p++) {
          int a = advance(s, pl, p, 0u, cmd_index);
          if (a < 0) return -1;
          any |= a;
          if (g_pst[p].sent < g_pst[p].count) done = 0u;
        }
        if (done) break;
        spin = any ? 0u : spin + 1u;
        if (spin >= TFW_SCHED_SPIN_LIMIT) return device_fail(s, TFW_SCHED_FAIL_HANG, 0u);
      }
      for (uint32_t p = 0; p < nc; p++) {
        if (tile_idle(s, p) < 0) return -1;
        if (gbuf_xfer(s, st, p, st->chunk0[p], st->chunk0[p + 1u] - st->chunk0[p], 1) != 0) return -1;
      }
      *st = saved;
    }
    return dma_wait(s, s->dma_issued);
  }
  if (pl->n_pipes > total) pl->n_pipes = (uint8_t)(total == 0u ? 1u : total);
  npst = (uint32_t)pl->n_pipes * pl->n_stages;
  zero_bytes(g_pst, (uint32_t)sizeof g_pst);
  for (uint32_t i = 0; i < npst; i++) {
    struct pst *ps = &g_pst[i];
    const struct stage *st;
    ps->pipe = (uint8_t)(i / pl->n_stages), ps->stage = (uint8_t)(i % pl->n_stages), ps->tile = (uint8_t)i;
    ps->count = total > ps->pipe ? udiv_up(total - ps->pipe, pl->n_pipes) : 0u;
    st = &pl->st[ps->stage];
    /* Per-tile setup: broadcast parameters, resident weights. */
    for (uint32_t k = 0; k < st->n_bc; k++) {
      struct dma_desc d;
      zero_bytes(&d, (uint32_t)sizeof d);
      d.src_kind = TESSERA_DMA_KIND_DRAM, d.src = st->bc[k].addr;
      d.dst_kind = TESSERA_DMA_KIND_BANK, d.dst = st->bc[k].word, d.dst_tile = i, d.bcast = 1u;
      d.rows = 1u, d.row_bytes = 4u * st->bc[k].words, d.sstride = 4u * st->bc[k].words, d.dstride = 4u * st->bc[k].words;
      if (dma_go(s, &d, NULL) != 0) return -1;
    }
    if (st->has_w && st->nchunks == 1u && ps->count != 0u && wload(s, st, i, 0u, st->g_total, NULL) != 0) return -1;
    /* A fused bwd_weight (one pipe): its gradient buffer takes every group, dW is written at the end. */
    if (st->bwdw && gbuf_xfer(s, st, i, 0u, st->g_total, 0) != 0) return -1;
  }
  for (uint32_t spin = 0;;) {
    uint32_t done = 1u;
    int any = 0;
    for (uint32_t i = 0; i < npst; i++) {
      int a = advance(s, pl, g_pst[i].pipe, g_pst[i].stage, cmd_index);
      if (a < 0) return -1;
      any |= a;
      if (g_pst[i].sent < g_pst[i].count) done = 0u;
    }
    if (done) break;
    spin = any ? 0u : spin + 1u;
    if (spin >= TFW_SCHED_SPIN_LIMIT) return device_fail(s, TFW_SCHED_FAIL_HANG, 0u);
    /* Waiting on the tiles with the DMA engine idle: the next command may be read ahead now. */
    if (!any && s->idle != NULL && dma_reached(s, s->dma_issued)) s->idle(s->idle_ctx);
  }
  for (uint32_t i = 0; i < npst; i++)
    if (pl->st[g_pst[i].stage].bwdw && !g_pst[i].dw_out &&
        gbuf_xfer(s, &pl->st[g_pst[i].stage], i, 0u, pl->st[g_pst[i].stage].g_total, 1) != 0)
      return -1;
  return dma_wait(s, s->dma_issued);
}

/* COPY: DRAM to DRAM by DMA, row by row (bf16 -> fp32 through unpack16). */
static int plan_copy(const struct tproto_cmd *cmd, uint32_t o, struct dma_desc *d, struct tfw_verr *err) {
  const struct tproto_op *p = &cmd->op[o];
  uint32_t ts = p->operand[0], td = p->operand[1], rows, cols, r2, c2;
  uint64_t rs, rd2, es = tproto_dtype_bytes(cmd->tensor[ts].dtype), ed = tproto_dtype_bytes(cmd->tensor[td].dtype);
  uint32_t sdt = cmd->tensor[ts].dtype, ddt = cmd->tensor[td].dtype;
  zero_bytes(d, (uint32_t)sizeof *d);
  if (sdt != ddt && !(sdt == TPROTO_DT_BF16 && ddt == TPROTO_DT_FP32))
    return unsupported(err, T_OFF(td, dtype), o, td); /* rounding conversions need a tile kernel */
  if (contiguous(&cmd->tensor[ts]) && contiguous(&cmd->tensor[td])) {
    uint64_t e = elements(&cmd->tensor[ts]);
    if (e * ed > 0xFFFFFFFFu) return unsupported(err, T_OFF(ts, shape), o, ts);
    rows = 1u, cols = (uint32_t)e, rs = e, rd2 = e;
  } else if (!row_geom(&cmd->tensor[ts], &rows, &cols, &rs) || !row_geom(&cmd->tensor[td], &r2, &c2, &rd2) ||
             cmd->tensor[ts].rank < 2u) {
    return unsupported(err, T_OFF(ts, stride), o, ts);
  }
  d->rows = rows;
  d->row_bytes = (uint32_t)(cols * ed); /* the word side: the destination for unpack16 */
  if (d->row_bytes % 4u != 0u || rs * es > 0xFFFFFFFFu || rd2 * ed > 0xFFFFFFFFu || (rs * es) % 4u != 0u ||
      (rd2 * ed) % 4u != 0u || (cols * es) % 4u != 0u)
    return unsupported(err, T_OFF(ts, shape), o, ts);
  d->src_kind = TESSERA_DMA_KIND_DRAM, d->src = cmd->tensor[ts].addr, d->sstride = (uint32_t)(rs * es);
  d->dst_kind = TESSERA_DMA_KIND_DRAM, d->dst = cmd->tensor[td].addr, d->dstride = (uint32_t)(rd2 * ed);
  d->unpack = sdt != ddt;
  return 0;
}

/* --- Entry points ------------------------------------------------------------------------------- */
void tfw_sched_init(struct tfw_sched *s, const struct tfw_port *port, uint32_t zero_dmem) {
  zero_bytes(s, (uint32_t)sizeof *s);
  s->port = port;
  s->zero_dmem = zero_dmem;
  s->allow_fusion = 1u;
  s->dma_issued = rr(s, TESSERA_DMA_BASE + TESSERA_DMA_DONE_OFFSET);
  for (uint32_t t = 0; t < NTILES; t++) s->tile_expect[t] = rr(s, TESSERA_TILE_ADDR(t) + TESSERA_TILE_DONE_OFFSET);
}

/* Check every op can run (op by op), without issuing anything. */
static int check_ops(const struct tproto_cmd *cmd, struct tfw_verr *err, struct plan *pl) {
  for (uint32_t o = 0; o < cmd->n_ops && o < TPROTO_MAX_OPS; o++) {
    int rc;
    if (cmd->op[o].opcode == TPROTO_OP_COPY) {
      struct dma_desc d;
      rc = plan_copy(cmd, o, &d, err);
    } else {
      rc = plan_op(cmd, o, pl, err);
    }
    if (rc != 0) return rc;
  }
  return 0;
}

/* A command that maps onto a pipeline runs fused (its stages have planned every op); any other is
 * checked op by op before anything is issued. */
int tfw_sched_plan_fused(const struct tproto_cmd *cmd, struct tfw_verr *err) {
  if (plan_fused(cmd, &g_plan)) return 1;
  return check_ops(cmd, err, &g_plan);
}

/* The plan of a command depends on its tensor table and ops only (a stream's chunk cuts are read
 * from the device when it runs). */
static int same_cmd(const struct tproto_cmd *a, const struct tproto_cmd *b) {
  const alias_word *x = (const alias_word *)(const void *)&a->tensor[0], *y = (const alias_word *)(const void *)&b->tensor[0];
  uint32_t n = (uint32_t)(sizeof *a - offsetof(struct tproto_cmd, tensor)) / 4u;
  uint32_t i = 0;
  if (a->n_tensors != b->n_tensors || a->n_ops != b->n_ops) return 0;
  for (; i < n; i += 4u) /* four words a round: this runs while the device waits */
    if (((x[i] ^ y[i]) | (x[i + 1u] ^ y[i + 1u]) | (x[i + 2u] ^ y[i + 2u]) | (x[i + 3u] ^ y[i + 3u])) != 0u) return 0;
  return 1;
}

_Static_assert(sizeof(struct tproto_cmd) % 16u == 0u && offsetof(struct tproto_cmd, tensor) % 16u == 0u,
               "same_cmd and copy_cmd go four words a round");
static void copy_cmd(struct tproto_cmd *dst, const struct tproto_cmd *src) {
  alias_word *d = (alias_word *)(void *)dst;
  const alias_word *s = (const alias_word *)(const void *)src;
  for (uint32_t i = 0; i < (uint32_t)sizeof *dst / 4u; i += 4u)
    d[i] = s[i], d[i + 1u] = s[i + 1u], d[i + 2u] = s[i + 2u], d[i + 3u] = s[i + 3u];
}

void tfw_sched_prepare(void *ctx, const struct tproto_cmd *cmd) {
  struct tfw_sched *s = (struct tfw_sched *)ctx;
  uint32_t spare = g_cur == 0u ? 1u : 0u;
  struct plan *pl = &g_plans[spare];
  s->pre_cmd = NULL;
  s->pre_plan = spare;
  if (cmd == NULL) return;
  s->pre_fused = s->allow_fusion && plan_fused(cmd, pl);
  s->pre_rc = s->pre_fused ? 0 : check_ops(cmd, &s->pre_err, pl);
  s->pre_cmd = cmd;
}

int tfw_sched_run(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, struct tfw_verr *err) {
  struct tfw_sched *s = (struct tfw_sched *)ctx;
  int fused, rc, planned = 0;
  if (cmd != NULL && cmd == s->pre_cmd) {
    /* planned while the previous command ran (a one-op command: check_ops planned that op) */
    planned = cmd->n_ops == 1u;
    g_cur = s->pre_plan;
    fused = (int)s->pre_fused;
    rc = s->pre_rc;
    if (rc != 0) *err = s->pre_err;
  } else if (s->allow_fusion && g_cached_ok && same_cmd(cmd, &g_cached_cmd)) {
    g_cur = PLAN_CACHED;
    fused = 1, rc = 0;
  } else {
    g_cur = PLAN_CACHED;
    g_cached_ok = 0u;
    fused = s->allow_fusion && plan_fused(cmd, &g_plan);
    rc = fused ? 0 : check_ops(cmd, err, &g_plan);
    if (fused) {
      copy_cmd(&g_cached_cmd, cmd);
      g_cached_ok = 1u;
    }
  }
  s->pre_cmd = NULL;
  uint32_t fail_op = TPROTO_NO_INDEX;
  s->fail_kind = 0u, s->fail_detail = 0u;
  if (rc != 0) return rc;
  s->stats.commands++;
  if (fused) {
    s->stats.fused++;
    fail_op = g_plan.st[0].first_op;
    rc = run_plan(s, &g_plan, cmd_index);
  } else {
    for (uint32_t o = 0; o < cmd->n_ops && rc == 0; o++) {
      fail_op = o;
      if (cmd->op[o].opcode == TPROTO_OP_COPY) {
        struct dma_desc d;
        (void)plan_copy(cmd, o, &d, err);
        rc = dma_go(s, &d, NULL);
        if (rc == 0) rc = dma_wait(s, s->dma_issued);
      } else {
        if (!planned) (void)plan_op(cmd, o, &g_plan, err);
        rc = run_plan(s, &g_plan, cmd_index);
      }
    }
  }
  if (rc == 0) return 0;
  drain(s);
  err->code = (uint16_t)TPROTO_E_DEVICE;
  err->offset = (uint16_t)offsetof(struct tproto_cmd, op) + (uint16_t)(fail_op * sizeof(struct tproto_op));
  err->op = (uint8_t)fail_op;
  err->tensor = TPROTO_NO_INDEX;
  return TPROTO_E_DEVICE;
}
