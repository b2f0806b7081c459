/* The firmware's command validator: every field of a struct tproto_cmd, in the order of
 * docs/protocol.md ("Validation"). The first failing check is reported with its field's offset. */
#include "tfw_validate.h"

/* --- Reading the command: byte loads, little-endian, never past `len` (checked first) ----------- */
#define CMD_OFF(field) ((uint32_t)offsetof(struct tproto_cmd, field))
#define T_OFF(t, field) \
  ((uint32_t)offsetof(struct tproto_cmd, tensor) + (uint32_t)(t) * (uint32_t)sizeof(struct tproto_tensor) + \
   (uint32_t)offsetof(struct tproto_tensor, field))
#define O_OFF(o, field) \
  ((uint32_t)offsetof(struct tproto_cmd, op) + (uint32_t)(o) * (uint32_t)sizeof(struct tproto_op) + \
   (uint32_t)offsetof(struct tproto_op, field))

/* The validator runs for every command while the device waits: an aligned field is read with one
 * load on a little-endian machine (the controller and the hosts the tests run on), else by bytes. */
typedef uint32_t __attribute__((__may_alias__)) alias_u32;
typedef uint16_t __attribute__((__may_alias__)) alias_u16;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define VALIDATE_LE 1
#else
#define VALIDATE_LE 0
#endif
static inline __attribute__((always_inline)) uint32_t rd8(const uint8_t *b, uint32_t off) { return b[off]; }
static inline __attribute__((always_inline)) uint32_t rd16(const uint8_t *b, uint32_t off) {
  if (VALIDATE_LE && ((uintptr_t)(b + off) & 1u) == 0u) return *(const alias_u16 *)(const void *)(b + off);
  return (uint32_t)b[off] | ((uint32_t)b[off + 1u] << 8);
}
static inline __attribute__((always_inline)) uint32_t rd32(const uint8_t *b, uint32_t off) {
  if (VALIDATE_LE && ((uintptr_t)(b + off) & 3u) == 0u) return *(const alias_u32 *)(const void *)(b + off);
  return (uint32_t)b[off] | ((uint32_t)b[off + 1u] << 8) | ((uint32_t)b[off + 2u] << 16) |
         ((uint32_t)b[off + 3u] << 24);
}
static inline __attribute__((always_inline)) uint64_t rd64(const uint8_t *b, uint32_t off) {
  return (uint64_t)rd32(b, off) | ((uint64_t)rd32(b, off + 4u) << 32);
}

static int fail(struct tfw_verr *err, uint32_t code, uint32_t off, uint32_t op, uint32_t tensor) {
  if (err) {
    err->code = (uint16_t)code;
    err->offset = (uint16_t)off;
    err->op = (uint8_t)op;
    err->tensor = (uint8_t)tensor;
  }
  return (int)code;
}

#define NOI TPROTO_NO_INDEX

/* First non-zero byte in [off, off + n), or UINT32_MAX. */
static uint32_t first_nonzero(const uint8_t *b, uint32_t off, uint32_t n) {
  uint32_t i = 0;
  /* whole aligned words first; a nonzero word is then searched byte by byte */
  while (i < n && ((uintptr_t)(b + off + i) & 3u) != 0u) {
    if (b[off + i]) return off + i;
    i++;
  }
  while (i + 4u <= n && *(const alias_u32 *)(const void *)(b + off + i) == 0u) i += 4u;
  for (; i < n; i++)
    if (b[off + i]) return off + i;
  return UINT32_MAX;
}

/* --- Per-opcode operand rules ------------------------------------------------------------------ */
#define DT(x) (1u << (x))
#define DT_F32 DT(TPROTO_DT_FP32)
#define DT_ACT (DT(TPROTO_DT_FP32) | DT(TPROTO_DT_BF16))
#define DT_MMA (DT(TPROTO_DT_FP32) | DT(TPROTO_DT_BF16) | DT(TPROTO_DT_FP8_E4M3) | DT(TPROTO_DT_FP8_E5M2))
#define DT_WV (DT(TPROTO_DT_BF16) | DT(TPROTO_DT_FP8_E4M3) | DT(TPROTO_DT_FP8_E5M2))
#define DT_I32 DT(TPROTO_DT_I32)
#define DT_BLOB DT(TPROTO_DT_BLOB)
#define DT_ANY (DT_MMA | DT_I32 | DT_BLOB)

/* Shape symbols: a dim names one; the first operand that names it binds it, later ones must equal. */
enum { SY_NONE = 0, SY_M, SY_K, SY_N, SY_G, SY_V, SY_D, SY_P, SY_SB, SY_COUNT };

struct operand_rule {
  uint8_t dtypes; /* mask of accepted dtypes */
  uint8_t rank;   /* 0: elementwise (any rank, same shape as operand 0) */
  uint8_t dim[2]; /* symbols of the dims (rank 1 or 2) */
  uint8_t contig; /* must be row-major contiguous */
};

#define R1(dt, a) {(dt), 1u, {(a), SY_NONE}, 0u}
#define R2(dt, a, b) {(dt), 2u, {(a), (b)}, 0u}
#define RC(dt, a, b) {(dt), 2u, {(a), (b)}, 1u}
#define RE(dt) {(dt), 0u, {SY_NONE, SY_NONE}, 0u}

struct op_rule {
  uint16_t flags;     /* accepted flags */
  uint8_t n_base;     /* operands without optional ones */
  uint8_t n_iparams;  /* iparam[0 .. n_iparams) used */
  uint8_t n_scalars;  /* scalar[0 .. n_scalars) used (linear fwd: only with TPROTO_EPI_SCALE) */
  struct operand_rule operand[TPROTO_MAX_OPERANDS];
};

static const struct op_rule op_rules[TPROTO_OP_COUNT] = {
  [TPROTO_OP_LINEAR_FWD] = {TPROTO_EPI_BIAS | TPROTO_EPI_RESIDUAL | TPROTO_EPI_GELU | TPROTO_EPI_SCALE, 4, 3, 1,
                            {R2(DT_MMA, SY_M, SY_K), RC(DT_BLOB, SY_G, SY_SB), RC(DT_WV, SY_G, SY_P),
                             R2(DT_ACT, SY_M, SY_N), R1(DT_F32, SY_N), R2(DT_F32, SY_M, SY_N)}},
  [TPROTO_OP_LINEAR_BWD_DATA] = {TPROTO_OPF_ACCUM, 4, 3, 0,
                                 {R2(DT_MMA, SY_M, SY_N), RC(DT_BLOB, SY_G, SY_SB), RC(DT_WV, SY_G, SY_P),
                                  R2(DT_F32, SY_M, SY_K)}},
  [TPROTO_OP_LINEAR_BWD_WEIGHT] = {TPROTO_OPF_ACCUM, 4, 3, 0,
                                   {R2(DT_MMA, SY_M, SY_N), R2(DT_MMA, SY_M, SY_K), RC(DT_BLOB, SY_G, SY_SB),
                                    RC(DT_F32, SY_G, SY_P)}},
  [TPROTO_OP_GELU_FWD] = {0, 2, 0, 0, {RE(DT_ACT), RE(DT_ACT)}},
  [TPROTO_OP_GELU_BWD] = {0, 3, 0, 0, {RE(DT_ACT), RE(DT_ACT), RE(DT_F32)}},
  [TPROTO_OP_SOFTMAX] = {0, 2, 0, 0, {R2(DT_ACT, SY_M, SY_N), R2(DT_ACT, SY_M, SY_N)}},
  [TPROTO_OP_LAYERNORM_FWD] = {0, 6, 0, 1,
                               {R2(DT_ACT, SY_M, SY_N), R1(DT_F32, SY_N), R1(DT_F32, SY_N), R2(DT_ACT, SY_M, SY_N),
                                R1(DT_F32, SY_M), R1(DT_F32, SY_M)}},
  [TPROTO_OP_LAYERNORM_BWD] = {TPROTO_OPF_ACCUM, 8, 0, 0,
                               {R2(DT_ACT, SY_M, SY_N), R1(DT_F32, SY_N), R1(DT_F32, SY_M), R1(DT_F32, SY_M),
                                R2(DT_ACT, SY_M, SY_N), R2(DT_F32, SY_M, SY_N), R1(DT_F32, SY_N), R1(DT_F32, SY_N)}},
  [TPROTO_OP_XENT_FWD] = {0, 3, 0, 0, {R2(DT_F32, SY_M, SY_V), R1(DT_I32, SY_M), R1(DT_F32, SY_M)}},
  [TPROTO_OP_XENT_BWD] = {0, 3, 0, 1, {R2(DT_F32, SY_M, SY_V), R1(DT_I32, SY_M), R2(DT_F32, SY_M, SY_V)}},
  [TPROTO_OP_EMBED_FWD] = {0, 3, 0, 0, {R2(DT_ACT, SY_V, SY_D), R1(DT_I32, SY_M), R2(DT_ACT, SY_M, SY_D)}},
  [TPROTO_OP_EMBED_BWD] = {TPROTO_OPF_ACCUM, 3, 0, 0,
                           {R2(DT_F32, SY_M, SY_D), R1(DT_I32, SY_M), R2(DT_F32, SY_V, SY_D)}},
  [TPROTO_OP_RESIDUAL_ADD] = {0, 3, 0, 0, {RE(DT_ACT), RE(DT_ACT), RE(DT_ACT)}},
  [TPROTO_OP_ADAMW] = {TPROTO_OPF_BF16_COPY, 4, 1, 7,
                       {RE(DT_F32), RE(DT_F32), RE(DT_F32), RE(DT_F32), RE(DT(TPROTO_DT_BF16))}},
  [TPROTO_OP_COPY] = {0, 2, 0, 0, {RE(DT_ANY), RE(DT_ANY)}},
};

/* Operands the opcode needs with these flags. */
static uint32_t operand_count(uint32_t opcode, uint32_t flags) {
  uint32_t n = op_rules[opcode].n_base;
  if (opcode == TPROTO_OP_LINEAR_FWD) {
    if (flags & TPROTO_EPI_BIAS) n++;
    if (flags & TPROTO_EPI_RESIDUAL) n++;
  }
  if (opcode == TPROTO_OP_ADAMW && (flags & TPROTO_OPF_BF16_COPY)) n++;
  return n;
}

/* The rule of operand slot i (linear fwd: slot 4 is R when there is no bias). */
static const struct operand_rule *rule_of(uint32_t opcode, uint32_t flags, uint32_t i) {
  if (opcode == TPROTO_OP_LINEAR_FWD && i == 4u && !(flags & TPROTO_EPI_BIAS)) return &op_rules[opcode].operand[5];
  return &op_rules[opcode].operand[i];
}

/* Operand roles (bit i: operand slot i as counted by n_operands): what the op reads and what it
 * writes. An operand in both is updated in place (read first). Used by the transient-tensor rule. */
static uint32_t operand_reads(uint32_t opcode, uint32_t flags) {
  uint32_t acc = (flags & TPROTO_OPF_ACCUM) != 0u;
  switch (opcode) {
  case TPROTO_OP_LINEAR_FWD: return 0x37u;            /* X S WV, B and/or R in slots 4, 5 */
  case TPROTO_OP_LINEAR_BWD_DATA:
  case TPROTO_OP_LINEAR_BWD_WEIGHT: return 0x07u | (acc << 3);
  case TPROTO_OP_GELU_FWD: case TPROTO_OP_SOFTMAX: case TPROTO_OP_COPY: return 0x01u;
  case TPROTO_OP_GELU_BWD: case TPROTO_OP_XENT_FWD: case TPROTO_OP_XENT_BWD: case TPROTO_OP_EMBED_FWD:
  case TPROTO_OP_RESIDUAL_ADD: return 0x03u;
  case TPROTO_OP_EMBED_BWD: return 0x03u | (acc << 2);
  case TPROTO_OP_LAYERNORM_FWD: return 0x07u;
  case TPROTO_OP_LAYERNORM_BWD: return 0x1Fu | (acc ? 0xC0u : 0u);
  case TPROTO_OP_ADAMW: return 0x0Fu;
  default: return 0u;
  }
}
static uint32_t operand_writes(uint32_t opcode) {
  switch (opcode) {
  case TPROTO_OP_LINEAR_FWD: case TPROTO_OP_LINEAR_BWD_DATA: case TPROTO_OP_LINEAR_BWD_WEIGHT: return 0x08u;
  case TPROTO_OP_GELU_FWD: case TPROTO_OP_SOFTMAX: case TPROTO_OP_COPY: return 0x02u;
  case TPROTO_OP_GELU_BWD: case TPROTO_OP_XENT_FWD: case TPROTO_OP_XENT_BWD: case TPROTO_OP_EMBED_FWD:
  case TPROTO_OP_EMBED_BWD: case TPROTO_OP_RESIDUAL_ADD: return 0x04u;
  case TPROTO_OP_LAYERNORM_FWD: return 0x38u;
  case TPROTO_OP_LAYERNORM_BWD: return 0xE0u;
  case TPROTO_OP_ADAMW: return 0x1Du;                 /* param, m, v, and the bf16 copy */
  default: return 0u;
  }
}

uint32_t tfw_operand_reads(uint32_t opcode, uint32_t flags, uint32_t n_operands) {
  uint32_t mask = n_operands >= 32u ? 0xFFFFFFFFu : (1u << n_operands) - 1u;
  return opcode < TPROTO_OP_COUNT ? operand_reads(opcode, flags) & mask : 0u;
}
uint32_t tfw_operand_writes(uint32_t opcode, uint32_t flags, uint32_t n_operands) {
  uint32_t mask = n_operands >= 32u ? 0xFFFFFFFFu : (1u << n_operands) - 1u;
  (void)flags;
  return opcode < TPROTO_OP_COUNT ? operand_writes(opcode) & mask : 0u;
}

/* --- fp32 bit-pattern predicates (the firmware has no FPU) -------------------------------------- */
static int f32_finite(uint32_t b) { return ((b >> 23) & 0xFFu) != 0xFFu; }
static int f32_nonneg(uint32_t b) { return f32_finite(b) && !(b >> 31); }
static int f32_pos(uint32_t b) { return f32_nonneg(b) && b != 0u; }
#define F32_ONE 0x3F800000u

/* Whether scalar j of an op is in range. */
static int scalar_ok(uint32_t opcode, uint32_t j, uint32_t b) {
  switch (opcode) {
  case TPROTO_OP_LAYERNORM_FWD: return f32_pos(b); /* eps > 0 */
  case TPROTO_OP_ADAMW:
    switch (j) {
    case 0: return f32_nonneg(b);                     /* lr >= 0 */
    case 1: case 2: return f32_nonneg(b) && b < F32_ONE; /* beta1, beta2 in [0, 1) */
    case 3: return f32_pos(b);                        /* eps > 0 */
    case 4: return f32_nonneg(b);                     /* weight decay >= 0 */
    default: return f32_pos(b) && b <= F32_ONE;       /* bias corrections 1 - beta^t in (0, 1] */
    }
  default: return f32_finite(b); /* scale factors: finite */
  }
}

/* --- One tensor: layout and allocation ---------------------------------------------------------- */
static int check_tensor(const uint8_t *b, uint32_t t, const struct tfw_alloc_table *allocs, struct tfw_verr *err) {
  uint32_t dt = rd8(b, T_OFF(t, dtype));
  uint32_t rank = rd8(b, T_OFF(t, rank));
  uint32_t esize = tproto_dtype_bytes(dt);
  if (!esize) return fail(err, TPROTO_E_DTYPE, T_OFF(t, dtype), NOI, t);
  if (rank == 0u || rank > TPROTO_MAX_RANK) return fail(err, TPROTO_E_RANK, T_OFF(t, rank), NOI, t);
  if (rd16(b, T_OFF(t, flags)) & ~(uint32_t)TPROTO_TF_ALL) return fail(err, TPROTO_E_RESERVED, T_OFF(t, flags), NOI, t);
  /* Largest element offset: sum of (shape - 1) * stride. Each product of two 32-bit values fits 64
   * bits; the sum is checked for carry. */
  uint64_t last = 0;
  int overflow = 0;
  for (uint32_t d = 0; d < TPROTO_MAX_RANK; d++) {
    uint32_t sh = rd32(b, T_OFF(t, shape) + 4u * d), st = rd32(b, T_OFF(t, stride) + 4u * d);
    if (d < rank) {
      if (sh == 0u) return fail(err, TPROTO_E_SHAPE, T_OFF(t, shape) + 4u * d, NOI, t);
      if (st == 0u) return fail(err, TPROTO_E_STRIDE, T_OFF(t, stride) + 4u * d, NOI, t);
      uint64_t term = (uint64_t)(sh - 1u) * (uint64_t)st;
      if (last + term < last) overflow = 1;
      last += term;
    } else {
      if (sh) return fail(err, TPROTO_E_RESERVED, T_OFF(t, shape) + 4u * d, NOI, t);
      if (st) return fail(err, TPROTO_E_RESERVED, T_OFF(t, stride) + 4u * d, NOI, t);
    }
  }
  uint32_t id = rd32(b, T_OFF(t, alloc_id));
  uint32_t count = allocs ? allocs->count : 0u;
  if (count > TFW_MAX_ALLOCS) count = TFW_MAX_ALLOCS;
  if (id >= count) return fail(err, TPROTO_E_ALLOC, T_OFF(t, alloc_id), NOI, t);
  uint64_t abase = allocs->entry[id].base, asize = allocs->entry[id].size;
  if (rd64(b, T_OFF(t, alloc_base)) != abase) return fail(err, TPROTO_E_ALLOC, T_OFF(t, alloc_base), NOI, t);
  if (rd64(b, T_OFF(t, alloc_size)) != asize) return fail(err, TPROTO_E_ALLOC, T_OFF(t, alloc_size), NOI, t);
  uint64_t addr = rd64(b, T_OFF(t, addr));
  if (addr % TPROTO_TENSOR_ALIGN) return fail(err, TPROTO_E_ALIGN, T_OFF(t, addr), NOI, t);
  /* bytes = (last + 1) * esize must not overflow and [addr, addr + bytes) must lie in the
   * allocation: addr >= base and bytes <= size - (addr - base), without forming base + size. */
  uint64_t limit = esize == 4u ? UINT64_MAX / 4u : esize == 2u ? UINT64_MAX / 2u : UINT64_MAX;
  if (overflow || last == UINT64_MAX || (last + 1u) > limit) return fail(err, TPROTO_E_EXTENT, T_OFF(t, addr), NOI, t);
  uint64_t bytes = (last + 1u) * (uint64_t)esize;
  if (addr < abase || addr - abase > asize || bytes > asize - (addr - abase))
    return fail(err, TPROTO_E_EXTENT, T_OFF(t, addr), NOI, t);
  return 0;
}

/* --- One operation ----------------------------------------------------------------------------- */
static int check_op(const uint8_t *b, uint32_t o, uint32_t n_tensors, uint32_t *written, struct tfw_verr *err) {
  uint32_t opcode = rd16(b, O_OFF(o, opcode)), flags = rd16(b, O_OFF(o, flags));
  if (opcode == TPROTO_OP_INVALID || opcode >= TPROTO_OP_COUNT)
    return fail(err, TPROTO_E_OPCODE, O_OFF(o, opcode), o, NOI);
  const struct op_rule *r = &op_rules[opcode];
  if (flags & ~(uint32_t)r->flags) return fail(err, TPROTO_E_FLAGS, O_OFF(o, flags), o, NOI);
  if (rd16(b, O_OFF(o, reserved0))) return fail(err, TPROTO_E_RESERVED, O_OFF(o, reserved0), o, NOI);
  if (rd32(b, O_OFF(o, reserved1))) return fail(err, TPROTO_E_RESERVED, O_OFF(o, reserved1), o, NOI);
  for (uint32_t j = 0; j < 2u; j++)
    if (rd32(b, O_OFF(o, reserved2) + 4u * j)) return fail(err, TPROTO_E_RESERVED, O_OFF(o, reserved2) + 4u * j, o, NOI);

  uint32_t nops = rd8(b, O_OFF(o, n_operands)), need = operand_count(opcode, flags);
  if (nops != need) return fail(err, TPROTO_E_OPERANDS, O_OFF(o, n_operands), o, NOI);
  for (uint32_t i = 0; i < TPROTO_MAX_OPERANDS; i++) {
    uint32_t x = rd8(b, O_OFF(o, operand) + i);
    if (i < nops && x >= n_tensors) return fail(err, TPROTO_E_OPERAND, O_OFF(o, operand) + i, o, NOI);
    if (i >= nops && x) return fail(err, TPROTO_E_RESERVED, O_OFF(o, operand) + i, o, NOI);
  }
  uint32_t ndeps = rd8(b, O_OFF(o, n_deps));
  if (ndeps > TPROTO_MAX_DEPS) return fail(err, TPROTO_E_DEP, O_OFF(o, n_deps), o, NOI);
  for (uint32_t i = 0; i < TPROTO_MAX_DEPS; i++) {
    uint32_t d = rd8(b, O_OFF(o, dep) + i);
    if (i < ndeps && (d >= o || (i > 0u && d <= rd8(b, O_OFF(o, dep) + i - 1u))))
      return fail(err, TPROTO_E_DEP, O_OFF(o, dep) + i, o, NOI);
    if (i >= ndeps && d) return fail(err, TPROTO_E_RESERVED, O_OFF(o, dep) + i, o, NOI);
  }

  /* Operand dtypes and ranks, then shapes (symbols bound by the first operand naming them). */
  for (uint32_t i = 0; i < nops; i++) {
    const struct operand_rule *q = rule_of(opcode, flags, i);
    uint32_t t = rd8(b, O_OFF(o, operand) + i);
    uint32_t dt = rd8(b, T_OFF(t, dtype)), rank = rd8(b, T_OFF(t, rank));
    if (!(q->dtypes & DT(dt))) return fail(err, TPROTO_E_DTYPE, T_OFF(t, dtype), o, t);
    uint32_t want = q->rank ? q->rank : rd8(b, T_OFF(rd8(b, O_OFF(o, operand)), rank));
    if (rank != want) return fail(err, TPROTO_E_RANK, T_OFF(t, rank), o, t);
  }
  if (opcode == TPROTO_OP_COPY) {
    /* Float to float converts; integers and blobs copy only to their own dtype. */
    uint32_t s = rd8(b, T_OFF(rd8(b, O_OFF(o, operand)), dtype));
    uint32_t dtt = rd8(b, O_OFF(o, operand) + 1u), d = rd8(b, T_OFF(dtt, dtype));
    if (!((DT(s) & DT_MMA) && (DT(d) & DT_MMA)) && s != d) return fail(err, TPROTO_E_DTYPE, T_OFF(dtt, dtype), o, dtt);
  }
  uint32_t sym[SY_COUNT] = {0};
  sym[SY_P] = TFW_VALIDATE_P;
  sym[SY_SB] = TPROTO_STREAM_GROUP_BYTES(TFW_VALIDATE_P);
  uint32_t t0 = rd8(b, O_OFF(o, operand));
  for (uint32_t i = 0; i < nops; i++) {
    const struct operand_rule *q = rule_of(opcode, flags, i);
    uint32_t t = rd8(b, O_OFF(o, operand) + i), rank = rd8(b, T_OFF(t, rank));
    for (uint32_t d = 0; d < rank; d++) {
      uint32_t sh = rd32(b, T_OFF(t, shape) + 4u * d);
      if (q->rank == 0u) {
        if (sh != rd32(b, T_OFF(t0, shape) + 4u * d)) return fail(err, TPROTO_E_SHAPE, T_OFF(t, shape) + 4u * d, o, t);
        continue;
      }
      uint32_t s = q->dim[d];
      if (sym[s] == 0u) sym[s] = sh;
      else if (sym[s] != sh) return fail(err, TPROTO_E_SHAPE, T_OFF(t, shape) + 4u * d, o, t);
    }
    if (q->contig) { /* row-major contiguous: stride[rank-1] = 1, stride[d] = stride[d+1] * shape[d+1] */
      uint64_t want = 1u;
      for (uint32_t k = rank; k-- > 0u;) {
        if (rd32(b, T_OFF(t, stride) + 4u * k) != want) return fail(err, TPROTO_E_STRIDE, T_OFF(t, stride) + 4u * k, o, t);
        want *= rd32(b, T_OFF(t, shape) + 4u * k);
      }
    }
  }

  /* Integer parameters. Linear layers: n, k of the stream's matrix and its nonzero count. */
  for (uint32_t j = 0; j < TPROTO_MAX_IPARAMS; j++) {
    uint32_t v = rd32(b, O_OFF(o, iparam) + 4u * j);
    if (j >= r->n_iparams) {
      if (v) return fail(err, TPROTO_E_RESERVED, O_OFF(o, iparam) + 4u * j, o, NOI);
      continue;
    }
    int ok;
    if (opcode == TPROTO_OP_ADAMW) ok = v >= 1u; /* step */
    else if (j == 0u) ok = v == sym[SY_N] && v <= TPROTO_MAX_LINEAR_DIM;
    else if (j == 1u) ok = v == sym[SY_K] && v <= TPROTO_MAX_LINEAR_DIM;
    else /* every group holds 1..P nonzeros, and W has at most n * k */
      ok = v >= sym[SY_G] && (uint64_t)v <= (uint64_t)sym[SY_G] * TFW_VALIDATE_P &&
           (uint64_t)v <= (uint64_t)sym[SY_N] * sym[SY_K];
    if (!ok) return fail(err, TPROTO_E_PARAM, O_OFF(o, iparam) + 4u * j, o, NOI);
  }
  uint32_t nsc = r->n_scalars;
  if (opcode == TPROTO_OP_LINEAR_FWD && !(flags & TPROTO_EPI_SCALE)) nsc = 0u;
  for (uint32_t j = 0; j < TPROTO_MAX_SCALARS; j++) {
    uint32_t v = rd32(b, O_OFF(o, scalar) + 4u * j);
    if (j >= nsc) {
      if (v) return fail(err, TPROTO_E_RESERVED, O_OFF(o, scalar) + 4u * j, o, NOI);
    } else if (!scalar_ok(opcode, j, v)) {
      return fail(err, TPROTO_E_PARAM, O_OFF(o, scalar) + 4u * j, o, NOI);
    }
  }

  /* Transient tensors (1.1): every operand the op reads must have been written by an earlier op;
   * then the op's outputs count as written. */
  uint32_t rd = tfw_operand_reads(opcode, flags, nops), wr = tfw_operand_writes(opcode, flags, nops);
  for (uint32_t i = 0; i < nops; i++) {
    uint32_t t = rd8(b, O_OFF(o, operand) + i);
    if ((rd >> i & 1u) && (rd16(b, T_OFF(t, flags)) & TPROTO_TF_TRANSIENT) && !(*written >> t & 1u))
      return fail(err, TPROTO_E_DEP, O_OFF(o, operand) + i, o, t);
  }
  for (uint32_t i = 0; i < nops; i++)
    if (wr >> i & 1u) *written |= 1u << rd8(b, O_OFF(o, operand) + i);
  return 0;
}

int tfw_validate_cmd(const void *buf, size_t len, const struct tfw_alloc_table *allocs, struct tfw_verr *err) {
  if (err) {
    err->code = 0;
    err->offset = 0;
    err->op = NOI;
    err->tensor = NOI;
  }
  if (!buf || len != sizeof(struct tproto_cmd)) return fail(err, TPROTO_E_LENGTH, 0u, NOI, NOI);
  const uint8_t *b = (const uint8_t *)buf;
  if (rd32(b, CMD_OFF(magic)) != TPROTO_MAGIC) return fail(err, TPROTO_E_MAGIC, CMD_OFF(magic), NOI, NOI);
  if (rd16(b, CMD_OFF(version_major)) != TPROTO_VERSION_MAJOR)
    return fail(err, TPROTO_E_VERSION, CMD_OFF(version_major), NOI, NOI);
  if (rd16(b, CMD_OFF(version_minor)) > TPROTO_VERSION_MINOR)
    return fail(err, TPROTO_E_VERSION, CMD_OFF(version_minor), NOI, NOI);
  if (rd32(b, CMD_OFF(cmd_bytes)) != sizeof(struct tproto_cmd)) return fail(err, TPROTO_E_SIZE, CMD_OFF(cmd_bytes), NOI, NOI);
  if (rd16(b, CMD_OFF(flags))) return fail(err, TPROTO_E_RESERVED, CMD_OFF(flags), NOI, NOI);
  uint32_t nz = first_nonzero(b, CMD_OFF(reserved), (uint32_t)sizeof(((struct tproto_cmd *)0)->reserved));
  if (nz != UINT32_MAX) return fail(err, TPROTO_E_RESERVED, nz, NOI, NOI);
  uint32_t nt = rd8(b, CMD_OFF(n_tensors)), no = rd8(b, CMD_OFF(n_ops));
  if (nt == 0u || nt > TPROTO_MAX_TENSORS) return fail(err, TPROTO_E_COUNT, CMD_OFF(n_tensors), NOI, NOI);
  if (no == 0u || no > TPROTO_MAX_OPS) return fail(err, TPROTO_E_COUNT, CMD_OFF(n_ops), NOI, NOI);
  for (uint32_t t = nt; t < TPROTO_MAX_TENSORS; t++) {
    nz = first_nonzero(b, T_OFF(t, addr), (uint32_t)sizeof(struct tproto_tensor));
    if (nz != UINT32_MAX) return fail(err, TPROTO_E_RESERVED, nz, NOI, t);
  }
  for (uint32_t o = no; o < TPROTO_MAX_OPS; o++) {
    nz = first_nonzero(b, O_OFF(o, opcode), (uint32_t)sizeof(struct tproto_op));
    if (nz != UINT32_MAX) return fail(err, TPROTO_E_RESERVED, nz, o, NOI);
  }
  for (uint32_t t = 0; t < nt; t++) {
    int rc = check_tensor(b, t, allocs, err);
    if (rc) return rc;
  }
  uint32_t written = 0u;
  for (uint32_t o = 0; o < no; o++) {
    int rc = check_op(b, o, nt, &written, err);
    if (rc) return rc;
  }
  return 0;
}
