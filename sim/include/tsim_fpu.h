/* C interface to the Verilated numerics units (rtl/fpu/): batches of one operation streamed
 * through the pipelined RTL unit, one new operation per cycle, many in flight. */
#ifndef TSIM_FPU_H
#define TSIM_FPU_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/fpu_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsim_fpu tsim_fpu;

typedef enum tsim_fpu_status {
  TSIM_FPU_OK = 0,
  TSIM_FPU_UNSUPPORTED, /* no RTL unit implements this operation (yet) */
  TSIM_FPU_ERR_ARG,     /* NULL pointer or op out of range */
} tsim_fpu_status;

/* fst_path: NULL, or a waveform file to write. NULL return: out of memory or trace not opened. */
tsim_fpu *tsim_fpu_open(const char *fst_path);
void tsim_fpu_close(tsim_fpu *f);

/* Evaluate r[i] = op(a[i], b[i], c[i]) for i < n. Operands are bit patterns in the low bits;
 * pointers for operands the op does not take may be NULL. */
tsim_fpu_status tsim_fpu_run(tsim_fpu *f, enum tnum_op op, size_t n, const uint32_t *a, const uint32_t *b,
                             const uint32_t *c, uint32_t *r);
/* Rising clock edges simulated so far. */
uint64_t tsim_fpu_cycles(const tsim_fpu *f);

#ifdef __cplusplus
}
#endif
#endif /* TSIM_FPU_H */
