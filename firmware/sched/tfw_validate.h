/* The firmware's command validator (docs/protocol.md, "Validation").
 *
 * Plain C11 without a C library: built for rv32im into the firmware and for the host, where the
 * tests/proto suite runs it against hand-made and fuzzed commands. It reads only the `len` bytes of
 * `buf` (byte by byte, so any alignment and either host endianness work) and the allocation table,
 * loops only up to the fixed maxima of tessera/proto.h, and writes only *err. */
#ifndef TFW_VALIDATE_H
#define TFW_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/proto.h"

/* Allocations the host made through the driver; a tensor must lie inside the one it names. */
#define TFW_MAX_ALLOCS 64u
struct tfw_alloc {
  uint64_t base; /* device byte address */
  uint64_t size; /* bytes */
};
struct tfw_alloc_table {
  uint32_t count; /* entries in use, <= TFW_MAX_ALLOCS (a larger value is read as TFW_MAX_ALLOCS) */
  uint32_t reserved;
  struct tfw_alloc entry[TFW_MAX_ALLOCS];
};

/* Nonzeros per stream group the tiles take (the stream and weight tensors of linear layers). */
#ifndef TFW_VALIDATE_P
#define TFW_VALIDATE_P TESSERA_CFG_NNZ_PER_CYCLE
#endif

/* What failed: an enum tproto_error, the byte offset of the field in struct tproto_cmd, and the op
 * and tensor involved (TPROTO_NO_INDEX when none). All zero/NO_INDEX for a valid command. */
struct tfw_verr {
  uint16_t code;
  uint16_t offset;
  uint8_t op;
  uint8_t tensor;
};

/* Validate one command of `len` bytes. Returns TPROTO_E_NONE (0) or the first failing check's
 * enum tproto_error, also stored in *err (err may be NULL). allocs NULL is an empty table. */
int tfw_validate_cmd(const void *buf, size_t len, const struct tfw_alloc_table *allocs, struct tfw_verr *err);

/* Operand roles of an opcode with its flags: bit i set when operand slot i (< n_operands) is read
 * (tfw_operand_reads) or written (tfw_operand_writes) by the op; both for an in-place update
 * (ADAMW's param and moments, an accumulated output). 0 for an unknown opcode. */
uint32_t tfw_operand_reads(uint32_t opcode, uint32_t flags, uint32_t n_operands);
uint32_t tfw_operand_writes(uint32_t opcode, uint32_t flags, uint32_t n_operands);

#endif /* TFW_VALIDATE_H */
