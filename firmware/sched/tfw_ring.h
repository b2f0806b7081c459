/* The firmware's command-ring consumer (docs/protocol.md, "Ring processing").
 *
 * tfw_ring_poll() reads the ring control block through a struct tfw_port, takes each new command,
 * validates it (tfw_validate_cmd), hands the fusion group to a scheduler, posts one
 * completion per command and advances cmd_tail / cpl_head. It loops only up to fixed bounds, reads
 * only the control block and the command ring, and writes only the firmware's words of the control
 * block and the completion ring. Plain C11 without a C library (built for rv32im and the host). */
#ifndef TFW_RING_H
#define TFW_RING_H

#include <stdint.h>

#include "tessera/proto.h"
#include "tfw_port.h"
#include "tfw_validate.h"

/* Completion error when seq is not the expected one (error_offset 12). */
#define TFW_E_SEQ ((uint32_t)TPROTO_E_SEQ)
/* Fatal codes, written to the control block's fw_status word (below). */
#define TFW_FATAL_NONE 0u
#define TFW_FATAL_MAGIC 1u     /* ring magic is not TPROTO_RING_MAGIC */
#define TFW_FATAL_VERSION 2u   /* other major version */
#define TFW_FATAL_ENTRIES 3u   /* cmd_entries or cpl_entries 0 or not a power of two */
#define TFW_FATAL_STRIDE 4u    /* cmd_stride / cpl_stride not the struct sizes */
#define TFW_FATAL_ALIGN 5u     /* cmd_base or cpl_base not TPROTO_TENSOR_ALIGN aligned */
#define TFW_FATAL_AREA 6u      /* a ring area wraps the 64-bit space or overlaps another area */
#define TFW_FATAL_CMD_HEAD 7u  /* cmd_head - cmd_tail > cmd_entries (host overran the ring) */
#define TFW_FATAL_CPL_TAIL 8u  /* cpl_head - cpl_tail > cpl_entries (host consumed too much) */
#define TFW_FATAL_BUS 9u       /* the port reported a bus error */

/* The firmware's status words live in the control block's firmware-owned line (the one of
 * cmd_tail): fw_status (a TFW_FATAL_* code, 0 while running) and fw_detail (the value that
 * failed: the bad index or count, low 32 bits). */
#define TFW_RING_FW_STATUS_OFF ((uint32_t)offsetof(struct tproto_ring, fw_status))
#define TFW_RING_FW_DETAIL_OFF ((uint32_t)offsetof(struct tproto_ring, fw_detail))
#define TFW_RING_CMD_TAIL_OFF ((uint32_t)offsetof(struct tproto_ring, cmd_tail))
#define TFW_RING_CPL_HEAD_OFF ((uint32_t)offsetof(struct tproto_ring, cpl_head))

/* The scheduler the ring hands each validated command to. cmd() runs the whole command (the
 * fusion group: it needs every op and the dependencies at once; tfw_sched_run of tfw_sched.h).
 * When cmd is NULL, op() is called for each op in order instead (the stub below). Both return 0,
 * or an enum tproto_error with *err filled (the command then completes FAILED with that error;
 * with op(), later ops are not run). */
struct tfw_sched_if {
  void *ctx;
  int (*op)(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, uint32_t op, struct tfw_verr *err);
  int (*cmd)(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, struct tfw_verr *err);
};

/* The stub scheduler: records what it would run. Op i of a command runs on tile
 * i mod TESSERA_CFG_TILES; its tokens (operand 0's shape[0]) split into ceil(tokens / LANES)
 * token groups. The last TFW_SCHED_LOG records are kept; total counts all. */
#define TFW_SCHED_LOG 64u
struct tfw_sched_rec {
  uint32_t cmd_index;
  uint32_t group;
  uint32_t token_groups;
  uint16_t opcode;
  uint8_t op;
  uint8_t tile;
};
struct tfw_sched_stub {
  uint32_t total;
  uint32_t reserved;
  struct tfw_sched_rec rec[TFW_SCHED_LOG];
};
int tfw_sched_stub_op(void *ctx, const struct tproto_cmd *cmd, uint32_t cmd_index, uint32_t op, struct tfw_verr *err);

/* The consumer's own state. */
struct tfw_ring {
  const struct tfw_port *port;
  const struct tfw_alloc_table *allocs;
  struct tfw_sched_if sched;
  uint64_t ctrl_addr;     /* device address of struct tproto_ring */
  uint32_t cmd_tail;      /* own copies of the firmware's indices */
  uint32_t cpl_head;
  uint32_t expect_seq;    /* seq the next command must carry, once have_seq */
  uint32_t have_seq;
  uint32_t fatal;         /* TFW_FATAL_* once stopped; polls then do nothing */
  uint32_t fatal_detail;
  union {                 /* the command being processed (buf[cur]) and the one read ahead */
    struct tproto_cmd cmd;
    uint8_t bytes[sizeof(struct tproto_cmd)];
  } buf[2];
  uint32_t cur;
  /* Read ahead (tfw_ring_prefetch): command pre_index in buf[cur ^ 1], its validation result. */
  uint32_t pre_valid, pre_index;
  int32_t pre_rc;
  struct tfw_verr pre_err;
  /* During a poll: commands this poll takes after the one running, and where they are. */
  uint32_t ahead;
  uint32_t cmd_mask;
  uint64_t cmd_base;
  /* Optional (set after tfw_ring_init): given the command the ring hands to sched.cmd next, read
   * and validated ahead (tfw_ring_prefetch); NULL: forget any such command. ctx: sched.ctx. */
  void (*prepare)(void *ctx, const struct tproto_cmd *cmd);
  /* The last command the validator accepted and the allocation entries its tensors named: the same
   * command again (seq and group aside) over the same entries is valid without the checks. */
  uint32_t vc_ok;
  union {
    struct tproto_cmd cmd;
    uint32_t words[sizeof(struct tproto_cmd) / 4u];
  } vc;
  struct tfw_alloc vc_alloc[TPROTO_MAX_TENSORS];
};

/* While a command runs (called from the scheduler when it waits on the device): read the next
 * command this poll will take and validate it, so that it starts without that delay; the
 * scheduler's prepare() may plan it. Does nothing when there is none or it is already read. */
void tfw_ring_prefetch(void *ring);

/* Result of a poll. */
enum tfw_ring_result {
  TFW_RING_IDLE = 0,    /* no command waiting */
  TFW_RING_DONE = 1,    /* max_cmds commands taken; more may wait */
  TFW_RING_BLOCKED = 2, /* commands wait but the completion ring is full */
  TFW_RING_FATAL = 3    /* stopped: fw_status written (when the bus allowed), ring->fatal set */
};

/* Start: read the control block, check it, and take cmd_tail and cpl_head from it. Returns
 * TFW_RING_IDLE or TFW_RING_FATAL. The first command taken sets the expected seq; each later
 * one must carry the previous expected seq + 1. */
int tfw_ring_init(struct tfw_ring *r, const struct tfw_port *port, uint64_t ctrl_addr,
                  const struct tfw_alloc_table *allocs, struct tfw_sched_if sched);

/* Take up to max_cmds commands (at most cmd_entries per call). *taken (may be NULL) gets the
 * number of commands consumed. Raises the interrupt once if any completion was posted. */
int tfw_ring_poll(struct tfw_ring *r, uint32_t max_cmds, uint32_t *taken);

#endif /* TFW_RING_H */
