/* C interface to the Verilated simulation-control block (rtl/ctrl/tessera_simctrl.sv).
 *
 * One handle is one simulated block with its own clock. Bus accesses follow docs/bus.md: each
 * call presents one request, clocks until the block answers, and reports the answer. Register
 * offsets come from tessera/gen/map.h (TESSERA_SIMCTRL_*_OFFSET). */
#ifndef TSIM_SIMCTRL_H
#define TSIM_SIMCTRL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsim_status {
  TSIM_OK = 0,
  TSIM_ERR_BUS,     /* the block answered with a bus error */
  TSIM_ERR_TIMEOUT, /* the block did not answer within TSIM_BUS_TIMEOUT cycles */
  TSIM_ERR_ARG,     /* bad argument (NULL pointer, offset outside the block, illegal strobe) */
  TSIM_ERR_IO,      /* a trace file could not be opened */
} tsim_status;

/* Cycles a bus access may wait for its answer before it is reported as a timeout. */
#define TSIM_BUS_TIMEOUT 64u

typedef struct tsim_simctrl tsim_simctrl;

/* Create a block and hold it in reset for a few cycles. fst_path: NULL for no waveform, or the
 * FST file to write every cycle to. Returns NULL when out of memory or the trace cannot be opened. */
tsim_simctrl *tsim_simctrl_open(const char *fst_path);
void tsim_simctrl_close(tsim_simctrl *s);

/* One bus write of `data` with byte strobes `wstrb` (non-zero, naturally aligned lanes). */
tsim_status tsim_simctrl_write(tsim_simctrl *s, uint32_t offset, uint32_t data, uint8_t wstrb);
/* One bus read; *data is 0 on a bus error. */
tsim_status tsim_simctrl_read(tsim_simctrl *s, uint32_t offset, uint32_t *data);
/* Advance the clock with no request. */
void tsim_simctrl_step(tsim_simctrl *s, uint64_t cycles);
/* Rising clock edges since reset was released. */
uint64_t tsim_simctrl_cycles(const tsim_simctrl *s);
/* Copy out (and forget) the bytes the block has printed; returns how many were copied. */
size_t tsim_simctrl_console(tsim_simctrl *s, char *buf, size_t cap);
/* 1 and *code set once the exit register has been written, else 0. */
int tsim_simctrl_exited(const tsim_simctrl *s, uint32_t *code);

const char *tsim_status_str(tsim_status st);

#ifdef __cplusplus
}
#endif
#endif /* TSIM_SIMCTRL_H */
