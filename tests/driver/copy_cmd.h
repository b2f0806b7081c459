/* A one-operation command for the driver tests (tests/driver, tests/chip_rtl): copy n fp32 values
 * from buffer a to buffer b, in fusion group `group`. */
#ifndef TESSERA_TESTS_COPY_CMD_H
#define TESSERA_TESTS_COPY_CMD_H

#include <string.h>

#include "tessera/proto.h"
#include "tessera/tdev.h"

static inline void copy_cmd(struct tproto_cmd *c, const struct tdev_buf *a, const struct tdev_buf *b, uint32_t n,
                            uint32_t group) {
  memset(c, 0, sizeof *c);
  c->group = group;
  c->n_tensors = 2;
  c->n_ops = 1;
  tdev_tensor(&c->tensor[0], a, 0, TPROTO_DT_FP32, 1, &n);
  tdev_tensor(&c->tensor[1], b, 0, TPROTO_DT_FP32, 1, &n);
  c->op[0].opcode = TPROTO_OP_COPY;
  c->op[0].n_operands = 2;
  c->op[0].operand[0] = 0;
  c->op[0].operand[1] = 1;
}

#endif /* TESSERA_TESTS_COPY_CMD_H */
