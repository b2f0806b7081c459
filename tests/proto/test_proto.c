/* The command protocol (common/include/tessera/proto.h) and the firmware's validator
 * (firmware/sched/validate.c), docs/protocol.md.
 *
 * Good commands of every opcode pass; one hand-made bad command per check fails with the exact
 * error code, field offset, op and tensor; a fuzzer with a fixed seed mutates good commands (bit
 * flips, random and extreme field values, truncation, shapes and strides whose extents overflow 32
 * and 64 bits) and compares every verdict with ref_check(), an independent checker written here
 * from the document (struct field access, 128-bit extent arithmetic, rules as strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/proto.h"
#include "tfw_validate.h"

#define P TFW_VALIDATE_P
#define OFF(field) ((uint16_t)offsetof(struct tproto_cmd, field))
#define NOI TPROTO_NO_INDEX

/* --- Allocation table and builders ------------------------------------------------------------- */
static struct tfw_alloc_table allocs;
static uint64_t bump[TFW_MAX_ALLOCS];

static void allocs_init(void) {
  memset(&allocs, 0, sizeof allocs);
  memset(bump, 0, sizeof bump);
  allocs.count = 4;
  allocs.entry[0] = (struct tfw_alloc){0x100000u, 64u << 20};      /* general: 64 MiB */
  allocs.entry[1] = (struct tfw_alloc){0x8000000u, 4096u};         /* small: 4 KiB */
  allocs.entry[2] = (struct tfw_alloc){0xFFFFFFFFFFFF0000ull, 0x10000u}; /* at the top of 64-bit space */
  allocs.entry[3] = (struct tfw_alloc){0x9000000u, 1u << 20};
}

static void cmd_init(struct tproto_cmd *c) {
  memset(c, 0, sizeof *c);
  c->magic = TPROTO_MAGIC;
  c->version_major = TPROTO_VERSION_MAJOR;
  c->version_minor = TPROTO_VERSION_MINOR;
  c->cmd_bytes = sizeof *c;
  c->seq = 77;
  c->group = 5;
  memset(bump, 0, sizeof bump);
}

/* A contiguous row-major tensor in allocation `a`, placed after the previous ones (64-byte aligned). */
static uint8_t tensor_in(struct tproto_cmd *c, uint32_t a, uint8_t dt, uint8_t rank, uint32_t d0, uint32_t d1,
                         uint32_t d2, uint32_t d3) {
  uint8_t t = c->n_tensors++;
  struct tproto_tensor *x = &c->tensor[t];
  uint32_t dims[4] = {d0, d1, d2, d3};
  x->dtype = dt;
  x->rank = rank;
  uint64_t elems = 1;
  for (int d = rank - 1; d >= 0; d--) {
    x->shape[d] = dims[d];
    x->stride[d] = (uint32_t)elems;
    elems *= dims[d];
  }
  x->alloc_id = a;
  x->alloc_base = allocs.entry[a].base;
  x->alloc_size = allocs.entry[a].size;
  x->addr = allocs.entry[a].base + bump[a];
  bump[a] += (elems * tproto_dtype_bytes(dt) + 63u) & ~63ull;
  return t;
}
#define T1(c, dt, a) tensor_in(c, 0, dt, 1, a, 0, 0, 0)
#define T2(c, dt, a, b) tensor_in(c, 0, dt, 2, a, b, 0, 0)
#define T3(c, dt, a, b, d) tensor_in(c, 0, dt, 3, a, b, d, 0)

static uint8_t op_add(struct tproto_cmd *c, uint16_t opcode, uint16_t flags, int n, ...) {
  uint8_t o = c->n_ops++;
  struct tproto_op *p = &c->op[o];
  p->opcode = opcode;
  p->flags = flags;
  p->n_operands = (uint8_t)n;
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) p->operand[i] = (uint8_t)va_arg(ap, int);
  va_end(ap);
  return o;
}

static void dep_add(struct tproto_cmd *c, uint8_t o, uint8_t d) { c->op[o].dep[c->op[o].n_deps++] = d; }

#define F32_BITS(f) ((union { float x; uint32_t u; }){.x = (f)}.u)

/* Shapes used by the good commands: m tokens, W is n x k, G stream groups. */
enum { M = 32, K = 64, N = 48, G = 200, NNZ = 250, V = 100 };

/* A good command with one op of `opcode` (for linear fwd also all epilogue flags). */
static void good_cmd(struct tproto_cmd *c, int opcode) {
  cmd_init(c);
  uint8_t o;
  switch (opcode) {
  case TPROTO_OP_LINEAR_FWD: {
    uint8_t x = T2(c, TPROTO_DT_BF16, M, K), s = T2(c, TPROTO_DT_BLOB, G, TPROTO_STREAM_GROUP_BYTES(P)),
            w = T2(c, TPROTO_DT_BF16, G, P), y = T2(c, TPROTO_DT_FP32, M, N), b = T1(c, TPROTO_DT_FP32, N),
            r = T2(c, TPROTO_DT_FP32, M, N);
    o = op_add(c, opcode, TPROTO_EPI_BIAS | TPROTO_EPI_RESIDUAL | TPROTO_EPI_GELU | TPROTO_EPI_SCALE, 6, x, s, w, y,
               b, r);
    c->op[o].iparam[0] = N;
    c->op[o].iparam[1] = K;
    c->op[o].iparam[2] = NNZ;
    c->op[o].scalar[0] = F32_BITS(0.5f);
    break;
  }
  case TPROTO_OP_LINEAR_BWD_DATA: {
    uint8_t dy = T2(c, TPROTO_DT_FP32, M, N), s = T2(c, TPROTO_DT_BLOB, G, TPROTO_STREAM_GROUP_BYTES(P)),
            w = T2(c, TPROTO_DT_BF16, G, P), dx = T2(c, TPROTO_DT_FP32, M, K);
    o = op_add(c, opcode, TPROTO_OPF_ACCUM, 4, dy, s, w, dx);
    c->op[o].iparam[0] = N;
    c->op[o].iparam[1] = K;
    c->op[o].iparam[2] = NNZ;
    break;
  }
  case TPROTO_OP_LINEAR_BWD_WEIGHT: {
    uint8_t dy = T2(c, TPROTO_DT_BF16, M, N), x = T2(c, TPROTO_DT_FP8_E4M3, M, K),
            s = T2(c, TPROTO_DT_BLOB, G, TPROTO_STREAM_GROUP_BYTES(P)), dw = T2(c, TPROTO_DT_FP32, G, P);
    o = op_add(c, opcode, 0, 4, dy, x, s, dw);
    c->op[o].iparam[0] = N;
    c->op[o].iparam[1] = K;
    c->op[o].iparam[2] = NNZ;
    break;
  }
  case TPROTO_OP_GELU_FWD: {
    uint8_t x = T3(c, TPROTO_DT_FP32, 2, M, N), y = T3(c, TPROTO_DT_BF16, 2, M, N);
    op_add(c, opcode, 0, 2, x, y);
    break;
  }
  case TPROTO_OP_GELU_BWD: {
    uint8_t x = T2(c, TPROTO_DT_FP32, M, N), dy = T2(c, TPROTO_DT_FP32, M, N), dx = T2(c, TPROTO_DT_FP32, M, N);
    op_add(c, opcode, 0, 3, x, dy, dx);
    break;
  }
  case TPROTO_OP_SOFTMAX: {
    uint8_t x = T2(c, TPROTO_DT_FP32, M, N), y = T2(c, TPROTO_DT_FP32, M, N);
    op_add(c, opcode, 0, 2, x, y);
    break;
  }
  case TPROTO_OP_LAYERNORM_FWD: {
    uint8_t x = T2(c, TPROTO_DT_FP32, M, N), g = T1(c, TPROTO_DT_FP32, N), b = T1(c, TPROTO_DT_FP32, N),
            y = T2(c, TPROTO_DT_BF16, M, N), mu = T1(c, TPROTO_DT_FP32, M), rs = T1(c, TPROTO_DT_FP32, M);
    o = op_add(c, opcode, 0, 6, x, g, b, y, mu, rs);
    c->op[o].scalar[0] = F32_BITS(1e-5f);
    break;
  }
  case TPROTO_OP_LAYERNORM_BWD: {
    uint8_t x = T2(c, TPROTO_DT_FP32, M, N), g = T1(c, TPROTO_DT_FP32, N), mu = T1(c, TPROTO_DT_FP32, M),
            rs = T1(c, TPROTO_DT_FP32, M), dy = T2(c, TPROTO_DT_BF16, M, N), dx = T2(c, TPROTO_DT_FP32, M, N),
            dg = T1(c, TPROTO_DT_FP32, N), db = T1(c, TPROTO_DT_FP32, N);
    op_add(c, opcode, TPROTO_OPF_ACCUM, 8, x, g, mu, rs, dy, dx, dg, db);
    break;
  }
  case TPROTO_OP_XENT_FWD: {
    uint8_t l = T2(c, TPROTO_DT_FP32, M, V), y = T1(c, TPROTO_DT_I32, M), loss = T1(c, TPROTO_DT_FP32, M);
    op_add(c, opcode, 0, 3, l, y, loss);
    break;
  }
  case TPROTO_OP_XENT_BWD: {
    uint8_t l = T2(c, TPROTO_DT_FP32, M, V), y = T1(c, TPROTO_DT_I32, M), dl = T2(c, TPROTO_DT_FP32, M, V);
    o = op_add(c, opcode, 0, 3, l, y, dl);
    c->op[o].scalar[0] = F32_BITS(1.0f / M);
    break;
  }
  case TPROTO_OP_EMBED_FWD: {
    uint8_t tab = T2(c, TPROTO_DT_BF16, V, K), ids = T1(c, TPROTO_DT_I32, M), y = T2(c, TPROTO_DT_FP32, M, K);
    op_add(c, opcode, 0, 3, tab, ids, y);
    break;
  }
  case TPROTO_OP_EMBED_BWD: {
    uint8_t dy = T2(c, TPROTO_DT_FP32, M, K), ids = T1(c, TPROTO_DT_I32, M), dt = T2(c, TPROTO_DT_FP32, V, K);
    op_add(c, opcode, TPROTO_OPF_ACCUM, 3, dy, ids, dt);
    break;
  }
  case TPROTO_OP_RESIDUAL_ADD: {
    uint8_t a = T1(c, TPROTO_DT_FP32, M * N), b = T1(c, TPROTO_DT_BF16, M * N), y = T1(c, TPROTO_DT_FP32, M * N);
    op_add(c, opcode, 0, 3, a, b, y);
    break;
  }
  case TPROTO_OP_ADAMW: {
    uint8_t p = T2(c, TPROTO_DT_FP32, G, P), g = T2(c, TPROTO_DT_FP32, G, P), m = T2(c, TPROTO_DT_FP32, G, P),
            v = T2(c, TPROTO_DT_FP32, G, P);
    o = op_add(c, opcode, 0, 4, p, g, m, v);
    c->op[o].iparam[0] = 3;
    const float s[7] = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.271f, 0.002997f};
    for (int i = 0; i < 7; i++) c->op[o].scalar[i] = F32_BITS(s[i]);
    break;
  }
  case TPROTO_OP_COPY: { /* fp32 in allocation 3 to fp8 in allocation 0, rank 4 */
    uint8_t src = tensor_in(c, 3, TPROTO_DT_FP32, 4, 2, 3, 4, 5), dst = tensor_in(c, 0, TPROTO_DT_FP8_E5M2, 4, 2, 3, 4, 5);
    op_add(c, opcode, 0, 2, src, dst);
    break;
  }
  default: fail_msg("no good command for opcode %d", opcode);
  }
}

/* A fused group: linear fwd -> GELU -> linear fwd, the second depending on both earlier ops. */
static void good_group(struct tproto_cmd *c) {
  cmd_init(c);
  uint8_t x = T2(c, TPROTO_DT_BF16, M, K), s1 = T2(c, TPROTO_DT_BLOB, G, TPROTO_STREAM_GROUP_BYTES(P)),
          w1 = T2(c, TPROTO_DT_BF16, G, P), h = T2(c, TPROTO_DT_FP32, M, N), a = T2(c, TPROTO_DT_BF16, M, N),
          s2 = T2(c, TPROTO_DT_BLOB, G, TPROTO_STREAM_GROUP_BYTES(P)), w2 = T2(c, TPROTO_DT_BF16, G, P),
          y = T2(c, TPROTO_DT_FP32, M, K);
  uint8_t o0 = op_add(c, TPROTO_OP_LINEAR_FWD, 0, 4, x, s1, w1, h);
  c->op[o0].iparam[0] = N, c->op[o0].iparam[1] = K, c->op[o0].iparam[2] = NNZ;
  uint8_t o1 = op_add(c, TPROTO_OP_GELU_FWD, 0, 2, h, a);
  dep_add(c, o1, o0);
  uint8_t o2 = op_add(c, TPROTO_OP_LINEAR_FWD, 0, 4, a, s2, w2, y);
  c->op[o2].iparam[0] = K, c->op[o2].iparam[1] = N, c->op[o2].iparam[2] = NNZ;
  dep_add(c, o2, o0);
  dep_add(c, o2, o1);
}

/* Protocol 1.1: the fused group with its two intermediates transient (on-chip scratch). */
static void good_group_transient(struct tproto_cmd *c) {
  good_group(c);
  c->tensor[3].flags = TPROTO_TF_TRANSIENT; /* h: written by op 0, read by op 1 */
  c->tensor[4].flags = TPROTO_TF_TRANSIENT; /* a: written by op 1, read by op 2 */
}

/* Protocol 1.1: AdamW with the bf16 copy of the new weights (fifth operand). */
static void good_adamw_bf16(struct tproto_cmd *c) {
  good_cmd(c, TPROTO_OP_ADAMW);
  uint8_t wv = T2(c, TPROTO_DT_BF16, G, P);
  c->op[0].flags = TPROTO_OPF_BF16_COPY;
  c->op[0].operand[c->op[0].n_operands++] = wv;
}

/* Every good command the fuzzers start from. */
#define N_BASES (TPROTO_OP_COUNT + 2)
static unsigned make_bases(struct tproto_cmd *bases) {
  unsigned nb = 0;
  for (int opc = 1; opc < TPROTO_OP_COUNT; opc++) good_cmd(&bases[nb++], opc);
  good_group(&bases[nb++]);
  good_group_transient(&bases[nb++]);
  good_adamw_bf16(&bases[nb++]);
  return nb;
}

/* --- The independent checker ------------------------------------------------------------------- */
struct verdict {
  int code;
  uint16_t offset;
  uint8_t op, tensor;
};
static struct verdict V_(int code, size_t off, unsigned op, unsigned t) {
  return (struct verdict){code, (uint16_t)off, (uint8_t)op, (uint8_t)t};
}
#define BAD(code, field, op, t) return V_(code, offsetof(struct tproto_cmd, field), op, t)

/* Operand rules as text: "dtypes:dims" per operand; dims letters bind symbols, '*' = same shape as
 * operand 0 (any rank), '!' = contiguous. dtypes: m (fp32,bf16,fp8), a (fp32,bf16), w (bf16,fp8),
 * f (fp32), i (i32), b (blob), x (any). */
static const char *const rules[TPROTO_OP_COUNT] = {
  [TPROTO_OP_LINEAR_FWD] = "m:MK b:GB! w:GP! a:MN",
  [TPROTO_OP_LINEAR_BWD_DATA] = "m:MN b:GB! w:GP! f:MK",
  [TPROTO_OP_LINEAR_BWD_WEIGHT] = "m:MN m:MK b:GB! f:GP!",
  [TPROTO_OP_GELU_FWD] = "a:* a:*",
  [TPROTO_OP_GELU_BWD] = "a:* a:* f:*",
  [TPROTO_OP_SOFTMAX] = "a:MN a:MN",
  [TPROTO_OP_LAYERNORM_FWD] = "a:MN f:N f:N a:MN f:M f:M",
  [TPROTO_OP_LAYERNORM_BWD] = "a:MN f:N f:M f:M a:MN f:MN f:N f:N",
  [TPROTO_OP_XENT_FWD] = "f:MV i:M f:M",
  [TPROTO_OP_XENT_BWD] = "f:MV i:M f:MV",
  [TPROTO_OP_EMBED_FWD] = "a:VD i:M a:MD",
  [TPROTO_OP_EMBED_BWD] = "f:MD i:M f:VD",
  [TPROTO_OP_RESIDUAL_ADD] = "a:* a:* a:*",
  [TPROTO_OP_ADAMW] = "f:* f:* f:* f:*",
  [TPROTO_OP_COPY] = "x:* x:*",
};
/* What each operand does, in the same order: r read, w written, u updated in place (read first),
 * a written, and read first with OPF_ACCUM. Linear fwd's B and R and ADAMW's bf16 copy follow. */
static const char *const roles[TPROTO_OP_COUNT] = {
  [TPROTO_OP_LINEAR_FWD] = "rrrw", [TPROTO_OP_LINEAR_BWD_DATA] = "rrra", [TPROTO_OP_LINEAR_BWD_WEIGHT] = "rrra",
  [TPROTO_OP_GELU_FWD] = "rw", [TPROTO_OP_GELU_BWD] = "rrw", [TPROTO_OP_SOFTMAX] = "rw",
  [TPROTO_OP_LAYERNORM_FWD] = "rrrwww", [TPROTO_OP_LAYERNORM_BWD] = "rrrrrwaa", [TPROTO_OP_XENT_FWD] = "rrw",
  [TPROTO_OP_XENT_BWD] = "rrw", [TPROTO_OP_EMBED_FWD] = "rrw", [TPROTO_OP_EMBED_BWD] = "rra",
  [TPROTO_OP_RESIDUAL_ADD] = "rrw", [TPROTO_OP_ADAMW] = "uruu", [TPROTO_OP_COPY] = "rw",
};
static const uint16_t ok_flags[TPROTO_OP_COUNT] = {
  [TPROTO_OP_LINEAR_FWD] = TPROTO_EPI_BIAS | TPROTO_EPI_RESIDUAL | TPROTO_EPI_GELU | TPROTO_EPI_SCALE,
  [TPROTO_OP_LINEAR_BWD_DATA] = TPROTO_OPF_ACCUM, [TPROTO_OP_LINEAR_BWD_WEIGHT] = TPROTO_OPF_ACCUM,
  [TPROTO_OP_LAYERNORM_BWD] = TPROTO_OPF_ACCUM, [TPROTO_OP_EMBED_BWD] = TPROTO_OPF_ACCUM,
  [TPROTO_OP_ADAMW] = TPROTO_OPF_BF16_COPY,
};

static int dt_ok(char cls, unsigned dt) {
  int fl = dt == TPROTO_DT_FP32 || dt == TPROTO_DT_BF16, f8 = dt == TPROTO_DT_FP8_E4M3 || dt == TPROTO_DT_FP8_E5M2;
  switch (cls) {
  case 'm': return fl || f8;
  case 'a': return fl;
  case 'w': return dt == TPROTO_DT_BF16 || f8;
  case 'f': return dt == TPROTO_DT_FP32;
  case 'i': return dt == TPROTO_DT_I32;
  case 'b': return dt == TPROTO_DT_BLOB;
  case 'h': return dt == TPROTO_DT_BF16;
  default: return dt >= 1 && dt <= 6;
  }
}

static int fin(uint32_t b) { return ((b >> 23) & 0xFF) != 0xFF; }
static int scalar_good(unsigned opc, unsigned j, uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  if (!fin(b)) return 0;
  int neg = (b >> 31) != 0; /* -0 counts as negative: the sign bit must be clear */
  switch (opc) {
  case TPROTO_OP_LAYERNORM_FWD: return !neg && f > 0.0f;
  case TPROTO_OP_ADAMW:
    if (j == 0 || j == 4) return !neg;
    if (j == 1 || j == 2) return !neg && f < 1.0f;
    if (j == 3) return !neg && f > 0.0f;
    return !neg && f > 0.0f && f <= 1.0f;
  default: return 1;
  }
}

static struct verdict ref_check(const struct tproto_cmd *c, size_t len, const struct tfw_alloc_table *al) {
  if (len != sizeof *c) return V_(TPROTO_E_LENGTH, 0, NOI, NOI);
  if (c->magic != TPROTO_MAGIC) BAD(TPROTO_E_MAGIC, magic, NOI, NOI);
  if (c->version_major != 1) BAD(TPROTO_E_VERSION, version_major, NOI, NOI);
  if (c->version_minor > 1) BAD(TPROTO_E_VERSION, version_minor, NOI, NOI);
  if (c->cmd_bytes != 1728) BAD(TPROTO_E_SIZE, cmd_bytes, NOI, NOI);
  if (c->flags) BAD(TPROTO_E_RESERVED, flags, NOI, NOI);
  const uint8_t *raw = (const uint8_t *)c;
  for (size_t i = offsetof(struct tproto_cmd, reserved); i < offsetof(struct tproto_cmd, tensor); i++)
    if (raw[i]) return V_(TPROTO_E_RESERVED, i, NOI, NOI);
  if (c->n_tensors < 1 || c->n_tensors > 16) BAD(TPROTO_E_COUNT, n_tensors, NOI, NOI);
  if (c->n_ops < 1 || c->n_ops > 8) BAD(TPROTO_E_COUNT, n_ops, NOI, NOI);
  for (unsigned t = c->n_tensors; t < 16; t++)
    for (size_t i = 0; i < sizeof(struct tproto_tensor); i++)
      if (((const uint8_t *)&c->tensor[t])[i]) return V_(TPROTO_E_RESERVED, offsetof(struct tproto_cmd, tensor[t]) + i, NOI, t);
  for (unsigned o = c->n_ops; o < 8; o++)
    for (size_t i = 0; i < sizeof(struct tproto_op); i++)
      if (((const uint8_t *)&c->op[o])[i]) return V_(TPROTO_E_RESERVED, offsetof(struct tproto_cmd, op[o]) + i, o, NOI);
  for (unsigned t = 0; t < c->n_tensors; t++) {
    const struct tproto_tensor *x = &c->tensor[t];
    if (x->dtype < 1 || x->dtype > 6) BAD(TPROTO_E_DTYPE, tensor[t].dtype, NOI, t);
    if (x->rank < 1 || x->rank > 4) BAD(TPROTO_E_RANK, tensor[t].rank, NOI, t);
    if (x->flags & ~1u) BAD(TPROTO_E_RESERVED, tensor[t].flags, NOI, t);
    unsigned __int128 last = 0;
    for (unsigned d = 0; d < 4; d++) {
      if (d < x->rank) {
        if (!x->shape[d]) BAD(TPROTO_E_SHAPE, tensor[t].shape[d], NOI, t);
        if (!x->stride[d]) BAD(TPROTO_E_STRIDE, tensor[t].stride[d], NOI, t);
        last += (unsigned __int128)(x->shape[d] - 1) * x->stride[d];
      } else {
        if (x->shape[d]) BAD(TPROTO_E_RESERVED, tensor[t].shape[d], NOI, t);
        if (x->stride[d]) BAD(TPROTO_E_RESERVED, tensor[t].stride[d], NOI, t);
      }
    }
    unsigned cnt = al->count > TFW_MAX_ALLOCS ? TFW_MAX_ALLOCS : al->count;
    if (x->alloc_id >= cnt) BAD(TPROTO_E_ALLOC, tensor[t].alloc_id, NOI, t);
    if (x->alloc_base != al->entry[x->alloc_id].base) BAD(TPROTO_E_ALLOC, tensor[t].alloc_base, NOI, t);
    if (x->alloc_size != al->entry[x->alloc_id].size) BAD(TPROTO_E_ALLOC, tensor[t].alloc_size, NOI, t);
    if (x->addr & 3) BAD(TPROTO_E_ALIGN, tensor[t].addr, NOI, t);
    unsigned __int128 end = (unsigned __int128)x->addr + (last + 1) * tproto_dtype_bytes(x->dtype);
    unsigned __int128 aend = (unsigned __int128)x->alloc_base + x->alloc_size;
    if ((last + 1) * tproto_dtype_bytes(x->dtype) > UINT64_MAX || x->addr < x->alloc_base || end > aend)
      BAD(TPROTO_E_EXTENT, tensor[t].addr, NOI, t);
  }
  unsigned produced[16] = {0}; /* tensor written by an earlier op */
  for (unsigned o = 0; o < c->n_ops; o++) {
    const struct tproto_op *p = &c->op[o];
    if (p->opcode < 1 || p->opcode > 15) BAD(TPROTO_E_OPCODE, op[o].opcode, o, NOI);
    if (p->flags & ~ok_flags[p->opcode]) BAD(TPROTO_E_FLAGS, op[o].flags, o, NOI);
    if (p->reserved0) BAD(TPROTO_E_RESERVED, op[o].reserved0, o, NOI);
    if (p->reserved1) BAD(TPROTO_E_RESERVED, op[o].reserved1, o, NOI);
    if (p->reserved2[0]) BAD(TPROTO_E_RESERVED, op[o].reserved2[0], o, NOI);
    if (p->reserved2[1]) BAD(TPROTO_E_RESERVED, op[o].reserved2[1], o, NOI);
    /* Operand rules: the rule string, with bias and residual appended for linear fwd. */
    char spec[96], role[16];
    int lin = p->opcode == TPROTO_OP_LINEAR_FWD, bf = p->opcode == TPROTO_OP_ADAMW && (p->flags & TPROTO_OPF_BF16_COPY);
    snprintf(spec, sizeof spec, "%s%s%s%s", rules[p->opcode], lin && (p->flags & TPROTO_EPI_BIAS) ? " f:N" : "",
             lin && (p->flags & TPROTO_EPI_RESIDUAL) ? " f:MN" : "", bf ? " h:*" : "");
    snprintf(role, sizeof role, "%s%s%s%s", roles[p->opcode], lin && (p->flags & TPROTO_EPI_BIAS) ? "r" : "",
             lin && (p->flags & TPROTO_EPI_RESIDUAL) ? "r" : "", bf ? "w" : "");
    const char *rule[8];
    unsigned nr = 0;
    for (char *tok = strtok(spec, " "); tok; tok = strtok(NULL, " ")) rule[nr++] = tok;
    if (p->n_operands != nr) BAD(TPROTO_E_OPERANDS, op[o].n_operands, o, NOI);
    for (unsigned i = 0; i < 8; i++) {
      if (i < nr && p->operand[i] >= c->n_tensors) BAD(TPROTO_E_OPERAND, op[o].operand[i], o, NOI);
      if (i >= nr && p->operand[i]) BAD(TPROTO_E_RESERVED, op[o].operand[i], o, NOI);
    }
    if (p->n_deps > 4) BAD(TPROTO_E_DEP, op[o].n_deps, o, NOI);
    for (unsigned i = 0; i < 4; i++) {
      if (i < p->n_deps && (p->dep[i] >= o || (i && p->dep[i] <= p->dep[i - 1]))) BAD(TPROTO_E_DEP, op[o].dep[i], o, NOI);
      if (i >= p->n_deps && p->dep[i]) BAD(TPROTO_E_RESERVED, op[o].dep[i], o, NOI);
    }
    const struct tproto_tensor *t0 = &c->tensor[p->operand[0]];
    for (unsigned i = 0; i < nr; i++) {
      unsigned t = p->operand[i];
      const struct tproto_tensor *x = &c->tensor[t];
      if (!dt_ok(rule[i][0], x->dtype)) BAD(TPROTO_E_DTYPE, tensor[t].dtype, o, t);
      size_t want = rule[i][2] == '*' ? t0->rank : strcspn(rule[i] + 2, "!");
      if (x->rank != want) BAD(TPROTO_E_RANK, tensor[t].rank, o, t);
    }
    if (p->opcode == TPROTO_OP_COPY) {
      unsigned s = t0->dtype, d = c->tensor[p->operand[1]].dtype;
      if (s != d && !(dt_ok('m', s) && dt_ok('m', d))) BAD(TPROTO_E_DTYPE, tensor[p->operand[1]].dtype, o, p->operand[1]);
    }
    uint64_t sym[128] = {0};
    sym['P'] = P;
    sym['B'] = 4 + 2 * P;
    for (unsigned i = 0; i < nr; i++) {
      unsigned t = p->operand[i];
      const struct tproto_tensor *x = &c->tensor[t];
      for (unsigned d = 0; d < x->rank; d++) {
        char s = rule[i][2 + (rule[i][2] == '*' ? 0 : d)];
        uint32_t want = s == '*' ? t0->shape[d] : (sym[(int)s] ? (uint32_t)sym[(int)s] : (sym[(int)s] = x->shape[d]));
        if (x->shape[d] != want) BAD(TPROTO_E_SHAPE, tensor[t].shape[d], o, t);
      }
      if (strchr(rule[i], '!')) {
        if (x->stride[1] != 1) BAD(TPROTO_E_STRIDE, tensor[t].stride[1], o, t);
        if (x->stride[0] != x->shape[1]) BAD(TPROTO_E_STRIDE, tensor[t].stride[0], o, t);
      }
    }
    int linear = p->opcode <= TPROTO_OP_LINEAR_BWD_WEIGHT;
    for (unsigned j = 0; j < 4; j++) {
      uint32_t v = p->iparam[j];
      int used = (linear && j < 3) || (p->opcode == TPROTO_OP_ADAMW && j == 0);
      if (!used) {
        if (v) BAD(TPROTO_E_RESERVED, op[o].iparam[j], o, NOI);
        continue;
      }
      int good;
      if (!linear) good = v >= 1;
      else if (j == 0) good = v == sym['N'] && v <= 65535;
      else if (j == 1) good = v == sym['K'] && v <= 65535;
      else good = v >= sym['G'] && v <= sym['G'] * P && v <= sym['N'] * sym['K'];
      if (!good) BAD(TPROTO_E_PARAM, op[o].iparam[j], o, NOI);
    }
    unsigned nsc = 0;
    if (p->opcode == TPROTO_OP_LINEAR_FWD && (p->flags & TPROTO_EPI_SCALE)) nsc = 1;
    if (p->opcode == TPROTO_OP_LAYERNORM_FWD || p->opcode == TPROTO_OP_XENT_BWD) nsc = 1;
    if (p->opcode == TPROTO_OP_ADAMW) nsc = 7;
    for (unsigned j = 0; j < 8; j++) {
      if (j >= nsc && p->scalar[j]) BAD(TPROTO_E_RESERVED, op[o].scalar[j], o, NOI);
      if (j < nsc && !scalar_good(p->opcode, j, p->scalar[j])) BAD(TPROTO_E_PARAM, op[o].scalar[j], o, NOI);
    }
    /* A transient tensor is scratch: no op may read it before an earlier op has written it. */
    int accum = (p->flags & TPROTO_OPF_ACCUM) != 0;
    for (unsigned i = 0; i < nr; i++) {
      char r = role[i];
      int reads = r == 'r' || r == 'u' || (r == 'a' && accum);
      if (reads && (c->tensor[p->operand[i]].flags & TPROTO_TF_TRANSIENT) && !produced[p->operand[i]])
        BAD(TPROTO_E_DEP, op[o].operand[i], o, p->operand[i]);
    }
    for (unsigned i = 0; i < nr; i++)
      if (role[i] != 'r') produced[p->operand[i]] = 1;
  }
  return V_(0, 0, NOI, NOI);
}

/* --- Running the validator --------------------------------------------------------------------- */
static struct verdict run(const struct tproto_cmd *c) {
  struct tfw_verr e;
  int rc = tfw_validate_cmd(c, sizeof *c, &allocs, &e);
  assert_int_equal(rc, e.code);
  return (struct verdict){rc, e.offset, e.op, e.tensor};
}

static void expect(const struct tproto_cmd *c, int code, size_t off, unsigned op, unsigned t) {
  struct verdict v = run(c), r = ref_check(c, sizeof *c, &allocs);
  if (v.code != code || v.offset != off || v.op != op || v.tensor != t)
    fail_msg("validator: code %d offset %u op %u tensor %u; expected code %d offset %zu op %u tensor %u", v.code,
             v.offset, v.op, v.tensor, code, off, op, t);
  /* The independent checker agrees on every hand-made case too. */
  assert_int_equal(r.code, code);
  assert_int_equal(r.offset, off);
}

static void good_commands_of_every_opcode_pass(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  for (int opc = 1; opc < TPROTO_OP_COUNT; opc++) {
    good_cmd(&c, opc);
    struct tfw_verr e;
    int rc = tfw_validate_cmd(&c, sizeof c, &allocs, &e);
    if (rc) fail_msg("opcode %d: code %d offset %u op %u tensor %u", opc, rc, e.offset, e.op, e.tensor);
    assert_int_equal(e.op, NOI);
    assert_int_equal(e.tensor, NOI);
    assert_int_equal(ref_check(&c, sizeof c, &allocs).code, 0);
  }
  good_group(&c);
  expect(&c, 0, 0, NOI, NOI);
  /* Linear fwd without any epilogue, with only the residual (operand 4 is R), with bias only. */
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.op[0].flags = TPROTO_EPI_RESIDUAL;
  c.op[0].n_operands = 5;
  c.op[0].operand[4] = 5;
  c.op[0].operand[5] = 0;
  c.op[0].scalar[0] = 0;
  expect(&c, 0, 0, NOI, NOI);
  c.op[0].flags = TPROTO_EPI_BIAS | TPROTO_EPI_GELU;
  c.op[0].operand[4] = 4;
  expect(&c, 0, 0, NOI, NOI);
  /* A tensor ending exactly at the end of its allocation, and one at the top of 64-bit space. */
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.tensor[1].alloc_id = 1, c.tensor[1].alloc_base = allocs.entry[1].base, c.tensor[1].alloc_size = 4096;
  c.tensor[1].shape[0] = 1, c.tensor[0].shape[0] = 1; /* 1 x 48 floats = 192 bytes */
  c.tensor[1].addr = allocs.entry[1].base + 4096 - 192;
  expect(&c, 0, 0, NOI, NOI);
  c.tensor[1].alloc_id = 2, c.tensor[1].alloc_base = allocs.entry[2].base, c.tensor[1].alloc_size = 0x10000;
  c.tensor[1].addr = allocs.entry[2].base + 0x10000 - 192;
  expect(&c, 0, 0, NOI, NOI);
  c.tensor[1].addr += 4;
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[1].addr), NOI, 1);
}

/* One bad command per check, in the documented order; each asserts code, field, op and tensor. */
static void header_checks(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  struct tfw_verr e;
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  assert_int_equal(tfw_validate_cmd(&c, sizeof c - 1, &allocs, &e), TPROTO_E_LENGTH);
  assert_int_equal(e.offset, 0);
  assert_int_equal(tfw_validate_cmd(&c, sizeof c + 1, &allocs, &e), TPROTO_E_LENGTH);
  assert_int_equal(tfw_validate_cmd(NULL, sizeof c, &allocs, &e), TPROTO_E_LENGTH);
  assert_int_equal(tfw_validate_cmd(&c, 0, &allocs, NULL), TPROTO_E_LENGTH);
  c.magic ^= 0x100;
  expect(&c, TPROTO_E_MAGIC, OFF(magic), NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.version_major = 2;
  expect(&c, TPROTO_E_VERSION, OFF(version_major), NOI, NOI);
  c.version_major = 0;
  expect(&c, TPROTO_E_VERSION, OFF(version_major), NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.version_minor = TPROTO_VERSION_MINOR + 1;
  expect(&c, TPROTO_E_VERSION, OFF(version_minor), NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.cmd_bytes = 1024;
  expect(&c, TPROTO_E_SIZE, OFF(cmd_bytes), NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.flags = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(flags), NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.reserved[7] = 0x100;
  expect(&c, TPROTO_E_RESERVED, OFF(reserved[7]) + 1, NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.n_tensors = 0;
  expect(&c, TPROTO_E_COUNT, OFF(n_tensors), NOI, NOI);
  c.n_tensors = 17;
  expect(&c, TPROTO_E_COUNT, OFF(n_tensors), NOI, NOI);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.n_ops = 0;
  expect(&c, TPROTO_E_COUNT, OFF(n_ops), NOI, NOI);
  c.n_ops = 9;
  expect(&c, TPROTO_E_COUNT, OFF(n_ops), NOI, NOI);
  /* Unused slots must be zero: a stray byte in tensor 5 and in op 3. */
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.tensor[5].stride[2] = 0x10000;
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[5].stride[2]) + 2, NOI, 5);
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.op[3].dep[1] = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(op[3].dep[1]), 3, NOI);
  /* A command cut short by n_tensors: the op names tensor 1, which is now unused but non-zero. */
  good_cmd(&c, TPROTO_OP_SOFTMAX);
  c.n_tensors = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[1].addr) + 1, NOI, 1); /* addr 0x101800: byte 1 */
}

static void tensor_checks(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
#define FRESH() good_cmd(&c, TPROTO_OP_GELU_FWD)
  FRESH();
  c.tensor[1].dtype = 0;
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[1].dtype), NOI, 1);
  c.tensor[1].dtype = TPROTO_DT_COUNT;
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[1].dtype), NOI, 1);
  FRESH();
  c.tensor[0].rank = 0;
  expect(&c, TPROTO_E_RANK, OFF(tensor[0].rank), NOI, 0);
  c.tensor[0].rank = 5;
  expect(&c, TPROTO_E_RANK, OFF(tensor[0].rank), NOI, 0);
  FRESH();
  c.tensor[0].flags = 2; /* an undefined tensor flag */
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[0].flags), NOI, 0);
  c.tensor[0].flags = 0x8000;
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[0].flags), NOI, 0);
  FRESH();
  c.tensor[1].shape[2] = 0;
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[1].shape[2]), NOI, 1);
  FRESH();
  c.tensor[1].stride[0] = 0;
  expect(&c, TPROTO_E_STRIDE, OFF(tensor[1].stride[0]), NOI, 1);
  FRESH(); /* a dim beyond the rank */
  c.tensor[0].shape[3] = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[0].shape[3]), NOI, 0);
  FRESH();
  c.tensor[0].stride[3] = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[0].stride[3]), NOI, 0);
  FRESH();
  c.tensor[1].alloc_id = 4; /* the table has 4 entries */
  expect(&c, TPROTO_E_ALLOC, OFF(tensor[1].alloc_id), NOI, 1);
  c.tensor[1].alloc_id = UINT32_MAX;
  expect(&c, TPROTO_E_ALLOC, OFF(tensor[1].alloc_id), NOI, 1);
  FRESH();
  c.tensor[1].alloc_base += 64;
  expect(&c, TPROTO_E_ALLOC, OFF(tensor[1].alloc_base), NOI, 1);
  FRESH();
  c.tensor[1].alloc_size += 64; /* a forged, larger allocation */
  expect(&c, TPROTO_E_ALLOC, OFF(tensor[1].alloc_size), NOI, 1);
  FRESH();
  c.tensor[1].addr += 2;
  expect(&c, TPROTO_E_ALIGN, OFF(tensor[1].addr), NOI, 1);
  /* Extents: below the base, past the end by one element, and strides that overflow. */
  FRESH();
  c.tensor[0].addr = allocs.entry[0].base - 4;
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH();
  c.tensor[1].alloc_id = 1, c.tensor[1].alloc_base = allocs.entry[1].base, c.tensor[1].alloc_size = 4096;
  c.tensor[1].addr = allocs.entry[1].base; /* 2 x 32 x 48 bf16 = 6144 bytes > 4096 */
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[1].addr), NOI, 1);
  FRESH();
  c.tensor[0].stride[0] = UINT32_MAX; /* (2-1) * 2^32-1 elements: past 64 MiB */
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH(); /* four dims of 2^32-1 x 2^32-1: the sum of offsets overflows 64 bits */
  c.tensor[0].rank = 4;
  for (int d = 0; d < 4; d++) c.tensor[0].shape[d] = UINT32_MAX, c.tensor[0].stride[d] = UINT32_MAX;
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH(); /* offsets summing to exactly 2^64: a wrapping sum would see last = 0 (4 bytes) */
  c.tensor[0].shape[0] = 0xFFFFFFFFu, c.tensor[0].stride[0] = 0xFFFFFFFFu; /* 2^64 - 3 * 2^32 + 2 */
  c.tensor[0].shape[1] = 4, c.tensor[0].stride[1] = 0xFFFFFFFFu;           /* + 3 * 2^32 - 3 */
  c.tensor[0].shape[2] = 2, c.tensor[0].stride[2] = 1;                     /* + 1 */
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH(); /* last element offset 2^64 - 1: the element count last + 1 wraps to 0 */
  c.tensor[0].rank = 2, c.tensor[0].dtype = TPROTO_DT_FP8_E4M3;
  c.tensor[0].shape[2] = 0, c.tensor[0].stride[2] = 0;
  c.tensor[0].shape[0] = 0xFFFFFFFFu, c.tensor[0].stride[0] = 0xFFFFFFFFu;
  c.tensor[0].shape[1] = 4, c.tensor[0].stride[1] = 0xFFFFFFFFu;
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH(); /* last = 2^62: (last + 1) * 4 bytes = 2^64 + 4 would wrap to 4 */
  c.tensor[0].rank = 2;
  c.tensor[0].shape[2] = 0, c.tensor[0].stride[2] = 0;
  c.tensor[0].shape[0] = 0x40000001u, c.tensor[0].stride[0] = 0xFFFFFFFFu; /* 2^62 - 2^30 */
  c.tensor[0].shape[1] = 0x40000001u, c.tensor[0].stride[1] = 1;           /* + 2^30 */
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH(); /* last element offset fits 64 bits, times 4 bytes does not */
  c.tensor[0].rank = 2;
  c.tensor[0].shape[2] = 0, c.tensor[0].stride[2] = 0;
  c.tensor[0].shape[0] = 0xFFFFFFFFu, c.tensor[0].stride[0] = 0x40000000u; /* 2^62 - 2^31 */
  c.tensor[0].shape[1] = 0x80000001u, c.tensor[0].stride[1] = 0xFFFFFFFFu; /* + 2^63 - 2^31 */
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[0].addr), NOI, 0);
  FRESH(); /* addr + bytes wraps around 2^64 inside the allocation at the top of the space */
  c.tensor[1].alloc_id = 2, c.tensor[1].alloc_base = allocs.entry[2].base, c.tensor[1].alloc_size = 0x10000;
  c.tensor[1].addr = allocs.entry[2].base + 0xFF00; /* 6144 bytes from 2^64 - 256 */
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[1].addr), NOI, 1);
  FRESH(); /* extent of 2^32 + 2 bytes: a 32-bit computation would wrap to a small, valid size */
  c.tensor[1].rank = 1, c.tensor[1].shape[0] = 0x80000001u, c.tensor[1].stride[0] = 1;
  c.tensor[1].shape[1] = c.tensor[1].shape[2] = c.tensor[1].stride[1] = c.tensor[1].stride[2] = 0;
  expect(&c, TPROTO_E_EXTENT, OFF(tensor[1].addr), NOI, 1);
  /* A corrupt table count above TFW_MAX_ALLOCS reads as TFW_MAX_ALLOCS: id 64 is unknown. */
  FRESH();
  allocs.count = 1000;
  c.tensor[1].alloc_id = TFW_MAX_ALLOCS;
  struct verdict v = run(&c);
  assert_int_equal(v.code, TPROTO_E_ALLOC);
  assert_int_equal(v.offset, OFF(tensor[1].alloc_id));
  allocs.count = 4;
  /* An empty or NULL table: every alloc id is unknown. */
  FRESH();
  struct tfw_verr e;
  assert_int_equal(tfw_validate_cmd(&c, sizeof c, NULL, &e), TPROTO_E_ALLOC);
  assert_int_equal(e.offset, OFF(tensor[0].alloc_id));
#undef FRESH
}

static void op_checks(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  good_group(&c);
  c.op[1].opcode = 0;
  expect(&c, TPROTO_E_OPCODE, OFF(op[1].opcode), 1, NOI);
  c.op[1].opcode = TPROTO_OP_COUNT;
  expect(&c, TPROTO_E_OPCODE, OFF(op[1].opcode), 1, NOI);
  good_group(&c);
  c.op[1].flags = TPROTO_OPF_ACCUM; /* GELU takes no flags */
  expect(&c, TPROTO_E_FLAGS, OFF(op[1].flags), 1, NOI);
  good_group(&c);
  c.op[0].flags = 0x20;
  expect(&c, TPROTO_E_FLAGS, OFF(op[0].flags), 0, NOI);
  good_group(&c);
  c.op[2].reserved0 = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(op[2].reserved0), 2, NOI);
  good_group(&c);
  c.op[2].reserved1 = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(op[2].reserved1), 2, NOI);
  good_group(&c);
  c.op[2].reserved2[1] = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(op[2].reserved2[1]), 2, NOI);
  good_group(&c);
  c.op[0].n_operands = 5; /* linear fwd without epilogue takes 4 */
  expect(&c, TPROTO_E_OPERANDS, OFF(op[0].n_operands), 0, NOI);
  good_group(&c);
  c.op[0].flags = TPROTO_EPI_BIAS; /* now it needs 5 */
  expect(&c, TPROTO_E_OPERANDS, OFF(op[0].n_operands), 0, NOI);
  good_group(&c);
  c.op[1].operand[1] = 8; /* n_tensors is 8 */
  expect(&c, TPROTO_E_OPERAND, OFF(op[1].operand[1]), 1, NOI);
  good_group(&c);
  c.op[1].operand[2] = 3; /* beyond n_operands */
  expect(&c, TPROTO_E_RESERVED, OFF(op[1].operand[2]), 1, NOI);
  good_group(&c);
  c.op[2].n_deps = 5;
  expect(&c, TPROTO_E_DEP, OFF(op[2].n_deps), 2, NOI);
  good_group(&c);
  c.op[1].dep[0] = 1; /* itself */
  expect(&c, TPROTO_E_DEP, OFF(op[1].dep[0]), 1, NOI);
  good_group(&c);
  c.op[2].dep[1] = 0; /* not increasing (0, 0) */
  expect(&c, TPROTO_E_DEP, OFF(op[2].dep[1]), 2, NOI);
  good_group(&c);
  c.op[2].dep[0] = 1, c.op[2].dep[1] = 0; /* decreasing */
  expect(&c, TPROTO_E_DEP, OFF(op[2].dep[1]), 2, NOI);
  good_group(&c);
  c.op[2].dep[2] = 1; /* beyond n_deps */
  expect(&c, TPROTO_E_RESERVED, OFF(op[2].dep[2]), 2, NOI);
  good_group(&c);
  c.op[0].n_deps = 1; /* op 0 depends on 0: nothing is earlier */
  expect(&c, TPROTO_E_DEP, OFF(op[0].dep[0]), 0, NOI);
}

/* Protocol 1.1: transient tensors and AdamW's bf16 copy. */
static void v11_checks(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  good_group_transient(&c);
  expect(&c, 0, 0, NOI, NOI);
  c.tensor[7].flags = TPROTO_TF_TRANSIENT; /* written, never read: legal scratch */
  expect(&c, 0, 0, NOI, NOI);
  good_group_transient(&c);
  c.tensor[0].flags = TPROTO_TF_TRANSIENT; /* X is an input of the command */
  expect(&c, TPROTO_E_DEP, OFF(op[0].operand[0]), 0, 0);
  good_group_transient(&c);
  c.tensor[5].flags = TPROTO_TF_TRANSIENT; /* the second stream: read by op 2, never written */
  expect(&c, TPROTO_E_DEP, OFF(op[2].operand[1]), 2, 5);
  good_group_transient(&c);
  c.op[1].operand[0] = 4, c.op[1].operand[1] = 3; /* GELU reads a before anything writes it */
  c.tensor[4].dtype = TPROTO_DT_FP32;
  c.tensor[3].dtype = TPROTO_DT_BF16; /* keep operand rules satisfied for op 2 (a is mma) */
  expect(&c, TPROTO_E_DEP, OFF(op[1].operand[0]), 1, 4);
  good_group_transient(&c);
  c.tensor[3].flags = TPROTO_TF_TRANSIENT | 0x4; /* flag rule before the dependency rule */
  expect(&c, TPROTO_E_RESERVED, OFF(tensor[3].flags), NOI, 3);
  /* An in-place GELU on a transient tensor produced before it is legal; on one never produced not. */
  good_cmd(&c, TPROTO_OP_GELU_FWD);
  c.op[0].operand[1] = 0;
  c.tensor[0].dtype = TPROTO_DT_FP32;
  expect(&c, 0, 0, NOI, NOI);
  c.tensor[0].flags = TPROTO_TF_TRANSIENT;
  expect(&c, TPROTO_E_DEP, OFF(op[0].operand[0]), 0, 0);
  /* Accumulating outputs are read first: bwd_data with OPF_ACCUM onto a transient dX. */
  good_cmd(&c, TPROTO_OP_LINEAR_BWD_DATA);
  c.tensor[3].flags = TPROTO_TF_TRANSIENT;
  expect(&c, TPROTO_E_DEP, OFF(op[0].operand[3]), 0, 3);
  c.op[0].flags = 0; /* overwriting it is fine */
  expect(&c, 0, 0, NOI, NOI);
  /* AdamW: the moments are updated in place, so they cannot be transient. */
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.tensor[2].flags = TPROTO_TF_TRANSIENT;
  expect(&c, TPROTO_E_DEP, OFF(op[0].operand[2]), 0, 2);
  /* AdamW's bf16 copy: needs the flag and the operand, bf16, the param's shape. */
  good_adamw_bf16(&c);
  expect(&c, 0, 0, NOI, NOI);
  c.tensor[4].flags = TPROTO_TF_TRANSIENT; /* an output only: legal */
  expect(&c, 0, 0, NOI, NOI);
  good_adamw_bf16(&c);
  c.op[0].flags = 0;
  expect(&c, TPROTO_E_OPERANDS, OFF(op[0].n_operands), 0, NOI);
  good_adamw_bf16(&c);
  c.op[0].n_operands = 4, c.op[0].operand[4] = 0;
  expect(&c, TPROTO_E_OPERANDS, OFF(op[0].n_operands), 0, NOI);
  good_adamw_bf16(&c);
  c.op[0].flags |= TPROTO_OPF_ACCUM;
  expect(&c, TPROTO_E_FLAGS, OFF(op[0].flags), 0, NOI);
  good_adamw_bf16(&c);
  c.tensor[4].dtype = TPROTO_DT_FP32;
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[4].dtype), 0, 4);
  good_adamw_bf16(&c);
  c.tensor[4].shape[1] = 1, c.tensor[4].stride[0] = 1;
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[4].shape[1]), 0, 4);
  good_adamw_bf16(&c);
  c.op[0].operand[4] = 9; /* beyond n_tensors */
  expect(&c, TPROTO_E_OPERAND, OFF(op[0].operand[4]), 0, NOI);
  /* A 1.0 command with BF16_COPY set on another opcode is refused. */
  good_cmd(&c, TPROTO_OP_GELU_FWD);
  c.op[0].flags = TPROTO_OPF_BF16_COPY;
  expect(&c, TPROTO_E_FLAGS, OFF(op[0].flags), 0, NOI);
  /* Version 1.0 commands are still accepted. */
  good_group(&c);
  c.version_minor = 0;
  expect(&c, 0, 0, NOI, NOI);
}

static void operand_checks(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  /* Operand dtypes: GELU output as i32; the stream as bf16; X of linear as i32. */
  good_group(&c);
  c.tensor[4].dtype = TPROTO_DT_I32;
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[4].dtype), 1, 4);
  good_group(&c);
  c.tensor[1].dtype = TPROTO_DT_BF16;
  c.tensor[1].stride[0] /= 2; /* keep it in its allocation: only the dtype is wrong */
  c.tensor[1].shape[1] /= 2;
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[1].dtype), 0, 1);
  good_cmd(&c, TPROTO_OP_XENT_FWD);
  c.tensor[1].dtype = TPROTO_DT_FP32; /* labels must be i32 */
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[1].dtype), 0, 1);
  good_cmd(&c, TPROTO_OP_LINEAR_BWD_DATA);
  c.tensor[3].dtype = TPROTO_DT_BF16; /* dX is fp32 */
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[3].dtype), 0, 3);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[2].dtype = TPROTO_DT_FP32; /* weights are bf16 or fp8 */
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[2].dtype), 0, 2);
  good_cmd(&c, TPROTO_OP_COPY);
  c.tensor[1].dtype = TPROTO_DT_I32; /* fp32 -> i32 is no copy */
  expect(&c, TPROTO_E_DTYPE, OFF(tensor[1].dtype), 0, 1);
  /* Ranks: layernorm gamma as [1, n]; elementwise ops of different ranks. */
  good_cmd(&c, TPROTO_OP_LAYERNORM_FWD);
  c.tensor[1].rank = 2, c.tensor[1].shape[1] = N, c.tensor[1].shape[0] = 1, c.tensor[1].stride[1] = 1,
  c.tensor[1].stride[0] = N;
  expect(&c, TPROTO_E_RANK, OFF(tensor[1].rank), 0, 1);
  good_cmd(&c, TPROTO_OP_RESIDUAL_ADD);
  c.tensor[2].rank = 2, c.tensor[2].shape[0] = M, c.tensor[2].shape[1] = N, c.tensor[2].stride[0] = N,
  c.tensor[2].stride[1] = 1;
  expect(&c, TPROTO_E_RANK, OFF(tensor[2].rank), 0, 2);
  /* Shapes: linear fwd Y with the wrong m; X with a k that the stream's k (iparam) does not match. */
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[3].shape[0] = M - 1;
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[3].shape[0]), 0, 3);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[2].shape[0] = G - 1; /* weights must be [G, P] with G of the stream */
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[2].shape[0]), 0, 2);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[2].shape[1] = P + 1, c.tensor[2].stride[0] = P + 1; /* P from the configuration */
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[2].shape[1]), 0, 2);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[1].shape[1] = 3 + 2 * P, c.tensor[1].stride[0] = 3 + 2 * P; /* stream group bytes */
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[1].shape[1]), 0, 1);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[4].shape[0] = N + 1; /* bias [n] */
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[4].shape[0]), 0, 4);
  good_cmd(&c, TPROTO_OP_EMBED_BWD);
  c.tensor[2].shape[1] = K + 1; /* dtable [v, d] with d of dY */
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[2].shape[1]), 0, 2);
  good_cmd(&c, TPROTO_OP_GELU_FWD);
  c.tensor[1].shape[2] = N - 1;
  expect(&c, TPROTO_E_SHAPE, OFF(tensor[1].shape[2]), 0, 1);
  /* Strides: the stream and the weight tensor must be contiguous; activations may be strided. */
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[2].stride[0] = 2 * P;
  expect(&c, TPROTO_E_STRIDE, OFF(tensor[2].stride[0]), 0, 2);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[1].stride[1] = 2;
  expect(&c, TPROTO_E_STRIDE, OFF(tensor[1].stride[1]), 0, 1);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.tensor[0].stride[0] = 2 * K; /* X as every other row of a larger buffer: fine */
  expect(&c, 0, 0, NOI, NOI);
}

static void param_checks(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.op[0].iparam[0] = N + 1; /* the stream's n is not Y's */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LINEAR_BWD_DATA);
  c.op[0].iparam[1] = K - 1; /* the stream's k is not dX's */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[1]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LINEAR_BWD_WEIGHT);
  c.op[0].iparam[2] = G - 1; /* fewer nonzeros than groups */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[2]), 0, NOI);
  c.op[0].iparam[2] = G * P + 1; /* more than the slots */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[2]), 0, NOI);
  c.op[0].iparam[2] = G * P;
  expect(&c, 0, 0, NOI, NOI);
  /* A 1 x 3 matrix in 2 groups: nnz 4 fits the 2P >= 4 slots but not the 3 weights. */
  cmd_init(&c);
  {
    uint8_t dy = T2(&c, TPROTO_DT_FP32, M, 1), x = T2(&c, TPROTO_DT_FP32, M, 3),
            s = T2(&c, TPROTO_DT_BLOB, 2, TPROTO_STREAM_GROUP_BYTES(P)), dw = T2(&c, TPROTO_DT_FP32, 2, P);
    op_add(&c, TPROTO_OP_LINEAR_BWD_WEIGHT, 0, 4, dy, x, s, dw);
  }
  c.op[0].iparam[0] = 1, c.op[0].iparam[1] = 3, c.op[0].iparam[2] = 3;
  expect(&c, 0, 0, NOI, NOI);
  c.op[0].iparam[2] = 4;
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[2]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.op[0].iparam[3] = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(op[0].iparam[3]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD); /* n above 65535 (stream indices are 16 bits) */
  c.tensor[3].shape[1] = 70000, c.tensor[3].stride[0] = 70000;
  c.tensor[5].shape[1] = 70000, c.tensor[5].stride[0] = 70000;
  c.tensor[4].shape[0] = 70000;
  c.op[0].iparam[0] = 70000;
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.op[0].scalar[0] = 0x7FC00000u; /* NaN scale */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LINEAR_FWD);
  c.op[0].flags &= (uint16_t)~TPROTO_EPI_SCALE; /* scale given without the flag */
  expect(&c, TPROTO_E_RESERVED, OFF(op[0].scalar[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_LAYERNORM_FWD);
  c.op[0].scalar[0] = 0;
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[0]), 0, NOI);
  c.op[0].scalar[0] = F32_BITS(-1e-5f);
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.op[0].iparam[0] = 0; /* step counts from 1 */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].iparam[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.op[0].scalar[1] = F32_BITS(1.0f); /* beta1 < 1 */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[1]), 0, NOI);
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.op[0].scalar[3] = 0x7F800000u; /* eps = inf */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[3]), 0, NOI);
  c.op[0].scalar[3] = 0; /* eps = 0 */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[3]), 0, NOI);
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.op[0].scalar[6] = F32_BITS(1.5f); /* bias correction above 1 */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[6]), 0, NOI);
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.op[0].scalar[0] = 0x80000000u; /* lr = -0 */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[0]), 0, NOI);
  good_cmd(&c, TPROTO_OP_ADAMW);
  c.op[0].scalar[7] = 1;
  expect(&c, TPROTO_E_RESERVED, OFF(op[0].scalar[7]), 0, NOI);
  good_cmd(&c, TPROTO_OP_XENT_BWD);
  c.op[0].scalar[0] = 0xFF800000u; /* -inf */
  expect(&c, TPROTO_E_PARAM, OFF(op[0].scalar[0]), 0, NOI);
}

/* The validator reads nothing beyond len and accepts any alignment: the command at odd offsets,
 * and every truncation in a buffer that ends exactly at len (ASan catches a read past it). */
static void alignment_and_truncation(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd c;
  good_group(&c);
  uint8_t *raw = malloc(sizeof c + 8);
  for (int shift = 0; shift < 8; shift++) {
    memcpy(raw + shift, &c, sizeof c);
    assert_int_equal(tfw_validate_cmd(raw + shift, sizeof c, &allocs, NULL), 0);
  }
  free(raw);
  for (size_t len = 0; len < sizeof c; len++) {
    uint8_t *cut = malloc(len ? len : 1);
    memcpy(cut, &c, len);
    struct tfw_verr e;
    assert_int_equal(tfw_validate_cmd(cut, len, &allocs, &e), TPROTO_E_LENGTH);
    free(cut);
  }
}

/* --- The fuzzer -------------------------------------------------------------------------------- */
static uint64_t rng_state;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint32_t rnd_u32(void) { return (uint32_t)rnd(); }
static uint32_t extreme32(void) {
  static const uint32_t v[] = {0, 1, 2, 3, 4, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 0xFFFFu, 0x10000u,
                               0x40000000u, 0x40000001u, 65535, 65536, M, N, K, G, P, 4 + 2 * P};
  return (rnd() & 1) ? v[rnd() % (sizeof v / sizeof v[0])] : rnd_u32();
}

/* One mutation of a good command. */
static void mutate(struct tproto_cmd *c) {
  uint8_t *raw = (uint8_t *)c;
  unsigned nt = c->n_tensors >= 1 && c->n_tensors <= 16 ? c->n_tensors : 16;
  unsigned no = c->n_ops >= 1 && c->n_ops <= 8 ? c->n_ops : 8;
  unsigned t = (unsigned)(rnd() % nt), o = (unsigned)(rnd() % no), d = (unsigned)(rnd() % 4);
  switch (rnd() % 13) {
  case 0: /* bit flips anywhere */
  case 1: {
    unsigned n = 1 + (unsigned)(rnd() % 4);
    for (unsigned i = 0; i < n; i++) {
      size_t at = (size_t)(rnd() % sizeof *c);
      raw[at] ^= (uint8_t)(1u << (rnd() % 8));
    }
    break;
  }
  case 2: /* bit flips in the used part (header, used tensors, used ops) */
    for (int i = 0; i < 2; i++) {
      size_t at = (rnd() & 1) ? offsetof(struct tproto_cmd, tensor[t]) + (size_t)(rnd() % 64)
                              : offsetof(struct tproto_cmd, op[o]) + (size_t)(rnd() % 80);
      raw[at] ^= (uint8_t)(1u << (rnd() % 8));
    }
    break;
  case 3: c->tensor[t].shape[d] = extreme32(); break;
  case 4: c->tensor[t].stride[d] = extreme32(); break;
  case 5: /* extreme shapes and strides in every used dim: 32- and 64-bit overflow of extents */
    for (unsigned k = 0; k < c->tensor[t].rank && k < 4; k++) {
      if (rnd() & 1) c->tensor[t].shape[k] = extreme32();
      if (rnd() & 1) c->tensor[t].stride[k] = extreme32();
    }
    break;
  case 6: /* addresses near the allocation's ends and the ends of the 64-bit space */
    switch (rnd() % 4) {
    case 0: c->tensor[t].addr = c->tensor[t].alloc_base + c->tensor[t].alloc_size - 4 * (rnd() % 64); break;
    case 1: c->tensor[t].addr = UINT64_MAX - (rnd() % 4096); break;
    case 2: c->tensor[t].addr += (rnd() % 256) - 128; break;
    default: c->tensor[t].addr = rnd(); break;
    }
    break;
  case 7: { /* move the tensor into another allocation (right or wrong base/size) */
    unsigned a = (unsigned)(rnd() % 6);
    c->tensor[t].alloc_id = a;
    if (a < 4 && (rnd() % 4)) {
      c->tensor[t].alloc_base = allocs.entry[a].base;
      c->tensor[t].alloc_size = allocs.entry[a].size;
      c->tensor[t].addr = allocs.entry[a].base + 4 * (rnd() % 2048);
    }
    break;
  }
  case 8: c->tensor[t].dtype = (uint8_t)(rnd() % 8); if (rnd() & 1) c->tensor[t].rank = (uint8_t)(rnd() % 6); break;
  case 9: /* op fields */
    switch (rnd() % 6) {
    case 0: c->op[o].opcode = (uint16_t)(rnd() % 18); break;
    case 1: c->op[o].flags = (uint16_t)(1u << (rnd() % 6)) | (uint16_t)(rnd() % 2 ? c->op[o].flags : 0); break;
    case 2: c->op[o].operand[rnd() % 8] = (uint8_t)(rnd() % 18); break;
    case 3: c->op[o].n_operands = (uint8_t)(rnd() % 10); break;
    case 4: c->op[o].n_deps = (uint8_t)(rnd() % 6); c->op[o].dep[rnd() % 4] = (uint8_t)(rnd() % 9); break;
    default: c->op[o].iparam[rnd() % 4] = extreme32(); break;
    }
    break;
  case 10: c->op[o].scalar[rnd() % 8] = (rnd() & 1) ? rnd_u32() : (uint32_t)(0x3F800000u + (rnd() % 3) - 1); break;
  case 11: /* tensor flags (1.1): transient on any tensor, or undefined bits */
    c->tensor[t].flags = (rnd() % 4) ? (uint16_t)(c->tensor[t].flags ^ TPROTO_TF_TRANSIENT) : (uint16_t)rnd();
    break;
  default: /* header counts and version */
    switch (rnd() % 4) {
    case 0: c->n_tensors = (uint8_t)(rnd() % 18); break;
    case 1: c->n_ops = (uint8_t)(rnd() % 10); break;
    case 2: c->version_minor = (uint16_t)(rnd() % 3); break;
    default: c->magic ^= (uint32_t)(rnd() % 2); break;
    }
    break;
  }
}

#ifndef FUZZ_CASES
#define FUZZ_CASES 1000000
#endif

static void fuzz_against_independent_checker(void **state) {
  (void)state;
  allocs_init();
  struct tproto_cmd bases[N_BASES + 1];
  unsigned nb = make_bases(bases);
  rng_state = 20261123;
  uint64_t by_code[TPROTO_E_NCODES] = {0};
  uint64_t truncated = 0;
  struct tproto_cmd c;
  for (long i = 0; i < FUZZ_CASES; i++) {
    c = bases[rnd() % nb];
    unsigned rounds = 1 + (unsigned)(rnd() % 3);
    for (unsigned r = 0; r < rounds; r++) mutate(&c);
    struct tfw_verr e;
    int rc;
    size_t len = sizeof c;
    if (rnd() % 64 == 0) { /* truncation, in a buffer that ends at len */
      len = (size_t)(rnd() % sizeof c);
      uint8_t *cut = malloc(len ? len : 1);
      memcpy(cut, &c, len);
      rc = tfw_validate_cmd(cut, len, &allocs, &e);
      free(cut);
      truncated++;
    } else {
      rc = tfw_validate_cmd(&c, len, &allocs, &e);
    }
    struct verdict r = ref_check(&c, len, &allocs);
    if (rc < 0 || rc >= TPROTO_E_NCODES || rc != r.code || e.offset != r.offset || e.op != r.op || e.tensor != r.tensor)
      fail_msg("case %ld: validator code %d offset %u op %u tensor %u; checker code %d offset %u op %u tensor %u", i,
               rc, e.offset, e.op, e.tensor, r.code, r.offset, r.op, r.tensor);
    by_code[rc]++;
  }
  /* The mutations reach every check, and a fair share of mutated commands is still valid. */
  for (int k = 0; k < TPROTO_E_NCODES; k++) {
    if (k == TPROTO_E_UNSUPPORTED || k == TPROTO_E_SEQ || k == TPROTO_E_DEVICE) continue; /* not the validator's */
    if (!by_code[k]) fail_msg("no fuzz case ended in code %d", k);
  }
  assert_true(by_code[0] > FUZZ_CASES / 100);
  assert_true(truncated > 0);
  print_message("# fuzz: %d cases, %llu valid, %llu truncated; by code:", FUZZ_CASES, (unsigned long long)by_code[0],
                (unsigned long long)truncated);
  for (int k = 1; k < TPROTO_E_NCODES; k++) print_message(" %d:%llu", k, (unsigned long long)by_code[k]);
  print_message("\n");
}

#ifdef PROTO_EMIT
/* Emit a C header of fuzz cases for tests/proto/fw_validate_main.c, which runs the validator on
 * the controller (rv32im) and must reach the verdicts computed here on the host: the allocation
 * table, the good commands as lists of non-zero bytes, and per case its base, length, the bytes it
 * changes and the expected code, offset, op and tensor. Cases changing more than 16 bytes are
 * skipped (the program must fit the controller's 64 KiB IMEM). */
int main(int argc, char **argv) {
  long want = argc > 1 ? atol(argv[1]) : 1000;
  allocs_init();
  struct tproto_cmd bases[N_BASES + 1];
  unsigned nb = make_bases(bases);
  printf("/* Generated by tests/proto/test_proto.c (PROTO_EMIT). Do not edit. */\n");
  printf("#define PC_NALLOCS %uu\n", allocs.count);
  printf("static const uint64_t pc_alloc[][2] = {");
  for (unsigned a = 0; a < allocs.count; a++)
    printf("{0x%llxull, 0x%llxull},", (unsigned long long)allocs.entry[a].base, (unsigned long long)allocs.entry[a].size);
  printf("};\n#define PC_NBASES %uu\nstatic const uint16_t pc_base_start[] = {0", nb);
  unsigned total = 0;
  for (unsigned b = 0; b < nb; b++) {
    for (size_t i = 0; i < sizeof bases[b]; i++) total += ((uint8_t *)&bases[b])[i] != 0;
    printf(",%u", total);
  }
  printf("};\nstatic const uint16_t pc_base_off[] = {");
  for (unsigned b = 0; b < nb; b++)
    for (size_t i = 0; i < sizeof bases[b]; i++)
      if (((uint8_t *)&bases[b])[i]) printf("%zu,", i);
  printf("};\nstatic const uint8_t pc_base_val[] = {");
  for (unsigned b = 0; b < nb; b++)
    for (size_t i = 0; i < sizeof bases[b]; i++)
      if (((uint8_t *)&bases[b])[i]) printf("%u,", ((uint8_t *)&bases[b])[i]);
  printf("};\n");
  rng_state = 424242;
  struct pc {
    unsigned base, len, np, code, off, op, tensor;
  } *cs = calloc((size_t)want, sizeof *cs);
  uint16_t *poff = calloc((size_t)want * 16, 2);
  uint8_t *pval = calloc((size_t)want * 16, 1);
  unsigned npatch = 0;
  long n = 0;
  while (n < want) {
    unsigned b = (unsigned)(rnd() % nb);
    struct tproto_cmd c = bases[b];
    unsigned rounds = 1 + (unsigned)(rnd() % 3);
    for (unsigned r = 0; r < rounds; r++) mutate(&c);
    size_t len = rnd() % 64 == 0 ? (size_t)(rnd() % sizeof c) : sizeof c;
    unsigned diff = 0;
    for (size_t i = 0; i < sizeof c; i++) diff += ((uint8_t *)&c)[i] != ((uint8_t *)&bases[b])[i];
    if (diff > 16) continue;
    struct tfw_verr e;
    int rc = tfw_validate_cmd(&c, len, &allocs, &e);
    cs[n] = (struct pc){b, (unsigned)len, diff, (unsigned)rc, e.offset, e.op, e.tensor};
    for (size_t i = 0; i < sizeof c; i++)
      if (((uint8_t *)&c)[i] != ((uint8_t *)&bases[b])[i]) poff[npatch] = (uint16_t)i, pval[npatch++] = ((uint8_t *)&c)[i];
    n++;
  }
  printf("#define PC_NCASES %ldu\n/* base, len, patches, code, offset, op, tensor */\n", want);
  printf("static const struct pc_case { uint8_t base; uint8_t np; uint16_t len; uint16_t off; uint8_t code, op, tensor; } pc_case[] = {\n");
  for (long i = 0; i < want; i++)
    printf("{%u,%u,%u,%u,%u,%u,%u},\n", cs[i].base, cs[i].np, cs[i].len, cs[i].off, cs[i].code, cs[i].op, cs[i].tensor);
  printf("};\nstatic const uint16_t pc_patch_off[] = {");
  for (unsigned i = 0; i < npatch; i++) printf("%u,", poff[i]);
  printf("0};\nstatic const uint8_t pc_patch_val[] = {");
  for (unsigned i = 0; i < npatch; i++) printf("%u,", pval[i]);
  printf("0};\n");
  free(cs), free(poff), free(pval);
  return 0;
}
#else
int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(good_commands_of_every_opcode_pass),
    cmocka_unit_test(header_checks),
    cmocka_unit_test(tensor_checks),
    cmocka_unit_test(op_checks),
    cmocka_unit_test(operand_checks),
    cmocka_unit_test(v11_checks),
    cmocka_unit_test(param_checks),
    cmocka_unit_test(alignment_and_truncation),
    cmocka_unit_test(fuzz_against_independent_checker),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
