/* The host <-> firmware command protocol of Tessera (docs/protocol.md describes every field).
 *
 * Shared by host code (gcc) and the controller's firmware (riscv64-unknown-elf-gcc, rv32im): only
 * fixed-width types, explicit padding, no pointers, no bitfields, little-endian in device memory.
 * Every size and field offset is fixed by a _Static_assert below, so host and firmware cannot
 * disagree on the layout.
 *
 * The host writes commands into a ring in device memory. One command (`struct tproto_cmd`, fixed
 * size) is one fusion group: a table of up to TPROTO_MAX_TENSORS tensors and up to TPROTO_MAX_OPS
 * layer operations on them, each naming its operands by tensor index and its dependencies by the
 * index of earlier operations of the same group. The firmware answers each command with one
 * completion (`struct tproto_cpl`) in the completion ring. */
#ifndef TESSERA_PROTO_H
#define TESSERA_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* --- Identification ---------------------------------------------------------------------------- */
#define TPROTO_MAGIC 0x444D4354u /* "TCMD" read as a little-endian word */
#define TPROTO_RING_MAGIC 0x474E5254u /* "TRNG" */
#define TPROTO_VERSION_MAJOR 1u /* a firmware accepts only its own major */
#define TPROTO_VERSION_MINOR 1u /* a firmware accepts minors up to its own (1.1: tensor flags, ADAMW bf16 copy) */

/* --- Fixed maxima (the validator never loops beyond them) ---------------------------------------- */
#define TPROTO_MAX_TENSORS 16u
#define TPROTO_MAX_OPS 8u
#define TPROTO_MAX_RANK 4u
#define TPROTO_MAX_OPERANDS 8u
#define TPROTO_MAX_DEPS 4u
#define TPROTO_MAX_IPARAMS 4u
#define TPROTO_MAX_SCALARS 8u
/* Largest n or k of a sparse linear layer (stream indices are 16 bits, tessera/sparse.h). */
#define TPROTO_MAX_LINEAR_DIM 65535u
/* Every tensor's device address is a multiple of this (one DMA word). */
#define TPROTO_TENSOR_ALIGN 4u
/* A nonzero-stream group in device memory: u16 row, u8 flags, u8 zero, then P u16 columns. */
#define TPROTO_STREAM_GROUP_BYTES(p) (4u + 2u * (uint32_t)(p))
/* The group's flags byte (offset 2): first / last group of its row (host/include/tessera/sparse.h's
 * TSP_FIRST / TSP_LAST; tests/sched checks that they agree). */
#define TPROTO_STREAM_FIRST 0x1u
#define TPROTO_STREAM_LAST 0x2u
#define TPROTO_NO_INDEX 0xFFu /* tproto_cpl / tfw_verr: no operation or tensor involved */

/* --- Element types ----------------------------------------------------------------------------- */
enum tproto_dtype {
  TPROTO_DT_INVALID = 0,
  TPROTO_DT_FP32 = 1,     /* IEEE binary32, 4 bytes */
  TPROTO_DT_BF16 = 2,     /* bfloat16, 2 bytes */
  TPROTO_DT_FP8_E4M3 = 3, /* OCP FP8 E4M3, 1 byte */
  TPROTO_DT_FP8_E5M2 = 4, /* OCP FP8 E5M2, 1 byte */
  TPROTO_DT_I32 = 5,      /* signed 32-bit integers: token ids, labels */
  TPROTO_DT_BLOB = 6,     /* bytes: a nonzero stream or a mask */
  TPROTO_DT_COUNT = 7
};

/* Bytes per element of a dtype; 0 for an invalid one. */
static inline uint32_t tproto_dtype_bytes(uint32_t dt) {
  switch (dt) {
  case TPROTO_DT_FP32: return 4u;
  case TPROTO_DT_BF16: return 2u;
  case TPROTO_DT_FP8_E4M3: return 1u;
  case TPROTO_DT_FP8_E5M2: return 1u;
  case TPROTO_DT_I32: return 4u;
  case TPROTO_DT_BLOB: return 1u;
  default: return 0u;
  }
}

/* --- Operations (operands in order; docs/protocol.md has the shape rules) ------------------------ */
enum tproto_opcode {
  TPROTO_OP_INVALID = 0,
  TPROTO_OP_LINEAR_FWD = 1,        /* X[m,k], S, WV, Y[m,n] (+ B[n] with EPI_BIAS, + R[m,n] with EPI_RESIDUAL) */
  TPROTO_OP_LINEAR_BWD_DATA = 2,   /* dY[m,n], S, WV, dX[m,k] */
  TPROTO_OP_LINEAR_BWD_WEIGHT = 3, /* dY[m,n], X[m,k], S, dWV[g,P] */
  TPROTO_OP_GELU_FWD = 4,          /* X, Y */
  TPROTO_OP_GELU_BWD = 5,          /* X, dY, dX */
  TPROTO_OP_SOFTMAX = 6,           /* X[m,n], Y[m,n] */
  TPROTO_OP_LAYERNORM_FWD = 7,     /* X[m,n], gamma[n], beta[n], Y[m,n], mean[m], rstd[m] */
  TPROTO_OP_LAYERNORM_BWD = 8,     /* X[m,n], gamma[n], mean[m], rstd[m], dY[m,n], dX[m,n], dgamma[n], dbeta[n] */
  TPROTO_OP_XENT_FWD = 9,          /* logits[m,v], labels[m], loss[m] */
  TPROTO_OP_XENT_BWD = 10,         /* logits[m,v], labels[m], dlogits[m,v] */
  TPROTO_OP_EMBED_FWD = 11,        /* table[v,d], ids[m], Y[m,d] */
  TPROTO_OP_EMBED_BWD = 12,        /* dY[m,d], ids[m], dtable[v,d] */
  TPROTO_OP_RESIDUAL_ADD = 13,     /* A, B, Y */
  TPROTO_OP_ADAMW = 14,            /* param, grad, m, v (+ WV bf16 with OPF_BF16_COPY) */
  TPROTO_OP_COPY = 15,             /* src, dst */
  TPROTO_OP_COUNT = 16
};

/* Operation flags (tproto_op.flags). Which flags an opcode accepts is in docs/protocol.md. */
#define TPROTO_EPI_BIAS 0x0001u     /* linear fwd: add B[n] to every row (one more operand) */
#define TPROTO_EPI_RESIDUAL 0x0002u /* linear fwd: add R[m,n] (one more operand, after B if any) */
#define TPROTO_EPI_GELU 0x0004u     /* linear fwd: GELU after bias and residual */
#define TPROTO_EPI_SCALE 0x0008u    /* linear fwd: multiply by scalar[0] last */
#define TPROTO_OPF_ACCUM 0x0010u    /* linear bwd_data / bwd_weight, embed bwd: add onto the output */
#define TPROTO_OPF_BF16_COPY 0x0020u /* adamw (1.1): also write the new weights rounded to bf16 (one more operand) */

/* Tensor flags (tproto_tensor.flags, 1.1). */
#define TPROTO_TF_TRANSIENT 0x0001u /* scratch of this command: written by an op before any op reads it,
                                     * never an input of the command; the firmware may keep it on chip
                                     * and need not write it to memory; undefined after the command */
#define TPROTO_TF_ALL TPROTO_TF_TRANSIENT

/* --- Layout ------------------------------------------------------------------------------------ */

/* A tensor in device memory. Element (i0, .., i_{r-1}) is at addr + esize * sum(i_d * stride[d]).
 * It must lie inside allocation alloc_id of the firmware's table, whose base and size the host
 * repeats in alloc_base/alloc_size (a stale or forged handle is caught). Unused dims are zero. */
struct tproto_tensor {
  uint64_t addr;        /* 0: device byte address of element 0 */
  uint64_t alloc_base;  /* 8: base of the allocation it lies in */
  uint64_t alloc_size;  /* 16: size in bytes of that allocation */
  uint32_t alloc_id;    /* 24: index in the firmware's allocation table */
  uint8_t dtype;        /* 28: enum tproto_dtype */
  uint8_t rank;         /* 29: 1..TPROTO_MAX_RANK */
  uint16_t flags;       /* 30: TPROTO_TF_* (1.1; zero in 1.0) */
  uint32_t shape[TPROTO_MAX_RANK];  /* 32: extent of each dim (>= 1); zero beyond rank */
  uint32_t stride[TPROTO_MAX_RANK]; /* 48: in elements (>= 1); zero beyond rank */
};

/* One layer operation of a fusion group. */
struct tproto_op {
  uint16_t opcode;      /* 0: enum tproto_opcode */
  uint16_t flags;       /* 2: TPROTO_EPI_* / TPROTO_OPF_* */
  uint8_t n_operands;   /* 4: exactly what the opcode and flags ask for */
  uint8_t n_deps;       /* 5: 0..TPROTO_MAX_DEPS */
  uint16_t reserved0;   /* 6: zero */
  uint8_t operand[TPROTO_MAX_OPERANDS]; /* 8: tensor indices (< n_tensors); zero beyond n_operands */
  uint8_t dep[TPROTO_MAX_DEPS];         /* 16: earlier op indices, strictly increasing; zero beyond n_deps */
  uint32_t reserved1;   /* 20: zero */
  uint32_t iparam[TPROTO_MAX_IPARAMS];  /* 24: integer parameters (per opcode); zero where unused */
  uint32_t scalar[TPROTO_MAX_SCALARS];  /* 40: fp32 bit patterns (per opcode); zero where unused */
  uint32_t reserved2[2]; /* 72: zero */
};

/* A command: one fusion group. Tensor and op slots beyond n_tensors / n_ops are all zero. */
struct tproto_cmd {
  uint32_t magic;          /* 0: TPROTO_MAGIC */
  uint16_t version_major;  /* 4: TPROTO_VERSION_MAJOR */
  uint16_t version_minor;  /* 6: <= the firmware's TPROTO_VERSION_MINOR */
  uint32_t cmd_bytes;      /* 8: sizeof(struct tproto_cmd) */
  uint32_t seq;            /* 12: host's sequence number, echoed in the completion */
  uint32_t group;          /* 16: fusion-group id (host's choice; echoed in counters and traces) */
  uint8_t n_tensors;       /* 20: 1..TPROTO_MAX_TENSORS */
  uint8_t n_ops;           /* 21: 1..TPROTO_MAX_OPS */
  uint16_t flags;          /* 22: zero (none defined in 1.0) */
  uint32_t reserved[10];   /* 24: zero */
  struct tproto_tensor tensor[TPROTO_MAX_TENSORS]; /* 64 */
  struct tproto_op op[TPROTO_MAX_OPS];             /* 1088 */
};

/* Completion status. */
enum tproto_status {
  TPROTO_ST_OK = 0,      /* the command ran */
  TPROTO_ST_INVALID = 1, /* rejected by the validator: nothing was read or written; see error */
  TPROTO_ST_FAILED = 2   /* accepted but failed while running (error says why) */
};

/* Error codes (tproto_cpl.error, tfw_verr.code). Checks run in the order of docs/protocol.md and
 * the first failing one is reported. */
enum tproto_error {
  TPROTO_E_NONE = 0,
  TPROTO_E_LENGTH = 1,     /* the buffer is not exactly one command long */
  TPROTO_E_MAGIC = 2,      /* magic is not TPROTO_MAGIC */
  TPROTO_E_VERSION = 3,    /* other major, or a newer minor */
  TPROTO_E_SIZE = 4,       /* cmd_bytes is not sizeof(struct tproto_cmd) */
  TPROTO_E_RESERVED = 5,   /* a reserved field, unused slot or undefined flag bit is not zero */
  TPROTO_E_COUNT = 6,      /* n_tensors or n_ops is 0 or above its maximum */
  TPROTO_E_DTYPE = 7,      /* unknown dtype, or a dtype the operand does not accept */
  TPROTO_E_RANK = 8,       /* rank 0 or above TPROTO_MAX_RANK, or not what the operand needs */
  TPROTO_E_SHAPE = 9,      /* a zero dim, or shapes that do not agree with the opcode */
  TPROTO_E_STRIDE = 10,    /* a zero stride, or a layout the operand needs contiguous */
  TPROTO_E_ALLOC = 11,     /* alloc_id not in the table, or base/size not the table's */
  TPROTO_E_ALIGN = 12,     /* addr not a multiple of TPROTO_TENSOR_ALIGN */
  TPROTO_E_EXTENT = 13,    /* the tensor's bytes overflow or leave its allocation */
  TPROTO_E_OPCODE = 14,    /* unknown opcode */
  TPROTO_E_FLAGS = 15,     /* a flag the opcode does not accept */
  TPROTO_E_OPERANDS = 16,  /* n_operands is not what the opcode and flags need */
  TPROTO_E_OPERAND = 17,   /* an operand index >= n_tensors */
  TPROTO_E_DEP = 18,       /* n_deps too large, a dependency not earlier / not increasing, or a
                            * transient tensor read before an op of the command writes it */
  TPROTO_E_PARAM = 19,     /* an integer or scalar parameter out of its range */
  TPROTO_E_UNSUPPORTED = 20, /* valid, but this firmware cannot run it (reported by the scheduler) */
  TPROTO_E_SEQ = 21,       /* seq is not the one expected (reported by the ring processing) */
  TPROTO_E_DEVICE = 22,    /* accepted, but the device refused work or stopped while it ran (a label or a
                            * stream row out of range, a hung unit); reported by the scheduler */
  TPROTO_E_NCODES = 23
};

/* A completion. error_offset is the byte offset in struct tproto_cmd of the field that failed
 * (e.g. offsetof(struct tproto_cmd, tensor[2].shape[1])). */
struct tproto_cpl {
  uint32_t seq;          /* 0: the command's seq */
  uint32_t cmd_index;    /* 4: ring index of the command (its position, not wrapped) */
  uint16_t status;       /* 8: enum tproto_status */
  uint16_t error;        /* 10: enum tproto_error */
  uint16_t error_offset; /* 12: byte offset of the failing field in the command */
  uint8_t error_op;      /* 14: op index involved, TPROTO_NO_INDEX if none */
  uint8_t error_tensor;  /* 15: tensor index involved, TPROTO_NO_INDEX if none */
  uint64_t cycles;       /* 16: controller cycles from fetch of the command to this completion */
  uint32_t group;        /* 24: the command's group */
  uint32_t reserved;     /* 28: zero */
};

/* The ring control block in device memory (at an address the host tells the firmware at boot).
 * Head and tail count entries modulo 2^32; entry i lives at base + (i mod entries) * stride. The
 * ring is empty when head == tail and full when head - tail == entries. Each side writes only its
 * own index, each on its own 64-byte line. */
struct tproto_ring {
  uint32_t magic;          /* 0: TPROTO_RING_MAGIC */
  uint16_t version_major;  /* 4 */
  uint16_t version_minor;  /* 6 */
  uint64_t cmd_base;       /* 8: device address of command entry 0 (TPROTO_TENSOR_ALIGN aligned) */
  uint32_t cmd_entries;    /* 16: power of two, >= 1 */
  uint32_t cmd_stride;     /* 20: sizeof(struct tproto_cmd) */
  uint64_t cpl_base;       /* 24: device address of completion entry 0 */
  uint32_t cpl_entries;    /* 32: power of two, >= 1 */
  uint32_t cpl_stride;     /* 36: sizeof(struct tproto_cpl) */
  uint32_t reserved0[6];   /* 40: zero */
  uint32_t cmd_head;       /* 64: written by the host: commands submitted */
  uint32_t reserved1[15];  /* 68 */
  uint32_t cmd_tail;       /* 128: written by the firmware: commands consumed */
  uint32_t fw_status;      /* 132: written by the firmware: 0 while running, else a fatal code */
  uint32_t fw_detail;      /* 136: written by the firmware: the value that made it stop */
  uint32_t reserved2[13];  /* 140 */
  uint32_t cpl_head;       /* 192: written by the firmware: completions posted */
  uint32_t reserved3[15];  /* 196 */
  uint32_t cpl_tail;       /* 256: written by the host: completions consumed */
  uint32_t reserved4[15];  /* 260 */
};

/* --- Layout checks --------------------------------------------------------------------------- */
#define TPROTO_CHECK(type, field, off) \
  _Static_assert(offsetof(struct type, field) == (off), #type "." #field " moved")

TPROTO_CHECK(tproto_tensor, addr, 0);
TPROTO_CHECK(tproto_tensor, alloc_base, 8);
TPROTO_CHECK(tproto_tensor, alloc_size, 16);
TPROTO_CHECK(tproto_tensor, alloc_id, 24);
TPROTO_CHECK(tproto_tensor, dtype, 28);
TPROTO_CHECK(tproto_tensor, rank, 29);
TPROTO_CHECK(tproto_tensor, flags, 30);
TPROTO_CHECK(tproto_tensor, shape, 32);
TPROTO_CHECK(tproto_tensor, stride, 48);
_Static_assert(sizeof(struct tproto_tensor) == 64, "tproto_tensor is 64 bytes");

TPROTO_CHECK(tproto_op, opcode, 0);
TPROTO_CHECK(tproto_op, flags, 2);
TPROTO_CHECK(tproto_op, n_operands, 4);
TPROTO_CHECK(tproto_op, n_deps, 5);
TPROTO_CHECK(tproto_op, reserved0, 6);
TPROTO_CHECK(tproto_op, operand, 8);
TPROTO_CHECK(tproto_op, dep, 16);
TPROTO_CHECK(tproto_op, reserved1, 20);
TPROTO_CHECK(tproto_op, iparam, 24);
TPROTO_CHECK(tproto_op, scalar, 40);
TPROTO_CHECK(tproto_op, reserved2, 72);
_Static_assert(sizeof(struct tproto_op) == 80, "tproto_op is 80 bytes");

TPROTO_CHECK(tproto_cmd, magic, 0);
TPROTO_CHECK(tproto_cmd, version_major, 4);
TPROTO_CHECK(tproto_cmd, version_minor, 6);
TPROTO_CHECK(tproto_cmd, cmd_bytes, 8);
TPROTO_CHECK(tproto_cmd, seq, 12);
TPROTO_CHECK(tproto_cmd, group, 16);
TPROTO_CHECK(tproto_cmd, n_tensors, 20);
TPROTO_CHECK(tproto_cmd, n_ops, 21);
TPROTO_CHECK(tproto_cmd, flags, 22);
TPROTO_CHECK(tproto_cmd, reserved, 24);
TPROTO_CHECK(tproto_cmd, tensor, 64);
TPROTO_CHECK(tproto_cmd, op, 1088);
_Static_assert(sizeof(struct tproto_cmd) == 1728, "tproto_cmd is 1728 bytes");
_Static_assert(sizeof(struct tproto_cmd) <= 0xFFFFu, "error offsets fit 16 bits");

TPROTO_CHECK(tproto_cpl, seq, 0);
TPROTO_CHECK(tproto_cpl, cmd_index, 4);
TPROTO_CHECK(tproto_cpl, status, 8);
TPROTO_CHECK(tproto_cpl, error, 10);
TPROTO_CHECK(tproto_cpl, error_offset, 12);
TPROTO_CHECK(tproto_cpl, error_op, 14);
TPROTO_CHECK(tproto_cpl, error_tensor, 15);
TPROTO_CHECK(tproto_cpl, cycles, 16);
TPROTO_CHECK(tproto_cpl, group, 24);
TPROTO_CHECK(tproto_cpl, reserved, 28);
_Static_assert(sizeof(struct tproto_cpl) == 32, "tproto_cpl is 32 bytes");

TPROTO_CHECK(tproto_ring, magic, 0);
TPROTO_CHECK(tproto_ring, version_major, 4);
TPROTO_CHECK(tproto_ring, version_minor, 6);
TPROTO_CHECK(tproto_ring, cmd_base, 8);
TPROTO_CHECK(tproto_ring, cmd_entries, 16);
TPROTO_CHECK(tproto_ring, cmd_stride, 20);
TPROTO_CHECK(tproto_ring, cpl_base, 24);
TPROTO_CHECK(tproto_ring, cpl_entries, 32);
TPROTO_CHECK(tproto_ring, cpl_stride, 36);
TPROTO_CHECK(tproto_ring, cmd_head, 64);
TPROTO_CHECK(tproto_ring, cmd_tail, 128);
TPROTO_CHECK(tproto_ring, fw_status, 132);
TPROTO_CHECK(tproto_ring, fw_detail, 136);
TPROTO_CHECK(tproto_ring, cpl_head, 192);
TPROTO_CHECK(tproto_ring, cpl_tail, 256);
_Static_assert(sizeof(struct tproto_ring) == 320, "tproto_ring is 320 bytes");

#undef TPROTO_CHECK

#endif /* TESSERA_PROTO_H */
