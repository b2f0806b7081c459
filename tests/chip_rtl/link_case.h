/* The stream-link test (docs/chip.md, "Stream links"): its shapes, DRAM layout and results, shared
 * by the firmware firmware/tests/test_chiprtl_link.c and the host side, and (host only) the input
 * generation, the expected values and the checks, which do not depend on the chip that runs the
 * firmware (the RTL chip in tests/chip_rtl, the chip cmodel in tests/chip).
 *
 * The firmware runs five cases on a chip of at least three tiles:
 *   A  send (tile 0, the keys K: nk rows of dh words) started first, then attn_qk on tile 1
 *      (Q: m rows of dh words) taking all its beats;
 *   B  the same with attn_qk started first;
 *   C  one send of 2 nk key rows feeding two attn_qk runs on tile 1 (the same Q; the first takes the
 *      keys 0 .. nk-1 into S columns 0 .. nk-1, the second the keys nk .. 2nk-1 into columns
 *      nk .. 2nk-1);
 *   D  two sends on tile 1 (value rows 0 .. nv/2-1, then the rest with row0 = nv/2) feeding one
 *      attn_pv run on tile 2 (P: m rows of nv words, O accumulated onto its initial values);
 *   E  attn_qk on tile 0 (no stream source) and send on the last tile (no sink): status code 2.
 * It records each run's status, done and counters (the tile's counter registers, cleared before
 * the run) and takes S and O out by DMA. */
#ifndef LINK_CASE_H
#define LINK_CASE_H

#include <stddef.h>
#include <stdint.h>

/* Shapes: ragged on purpose (not multiples of the lanes, nor of P). */
#define LINK_DH 13u  /* head dimension: K and Q row words */
#define LINK_NK 21u  /* keys of cases A and B (case C sends 2 LINK_NK) */
#define LINK_M 19u   /* query rows (tiles 1 and 2) */
#define LINK_DV 11u  /* value row words */
#define LINK_NV 21u  /* value rows (keys of case D) */
#define LINK_NV1 10u /* value rows of case D's first send */
/* Bank layouts. Tile 0: K row r at region offset LINK_K_OFF of a LINK_KN0-word region. Tile 1 for
 * A-C: Q at 0, S at LINK_DH (kn LINK_KN1); for D: value rows 0 .. NV1-1 at offset 0, rows NV1 ..
 * as rows 0 .. at offset LINK_DV (kn 2 LINK_DV). Tile 2: O at 0, P at LINK_DV (kn LINK_KN2). */
#define LINK_K_OFF 2u
#define LINK_KN0 (LINK_DH + 5u)
#define LINK_KN1 (LINK_DH + 2u * LINK_NK)
#define LINK_KNV (2u * LINK_DV)
#define LINK_KN2 (LINK_DV + LINK_NV)
#define LINK_SENTINEL 0x7fbadbadu /* what S holds before each attn_qk case (a NaN no run makes) */

/* DRAM (device byte addresses) */
#define LINK_RESULTS 0x080000u /* result words, written by the firmware through the dram window */
#define LINK_K 0x081000u       /* 2 nk rows of dh fp32 words */
#define LINK_QIMG 0x082000u    /* tile 1's regions for A-C: m rows of kn1 words (Q, then sentinels) */
#define LINK_V 0x084000u       /* nv rows of dv words */
#define LINK_PIMG 0x085000u    /* tile 2's regions: m rows of kn2 words (O's initial values, then P) */
#define LINK_S(c) (0x088000u + (uint32_t)(c) * 0x2000u) /* S of case c (0 A, 1 B, 2 C): m rows of 2 nk words */
#define LINK_O 0x090000u       /* O of case D: m rows of dv words */

/* Runs, in the order the firmware records them */
enum link_run { LR_A_SEND = 0, LR_A_QK, LR_B_QK, LR_B_SEND, LR_C_SEND, LR_C_QK1, LR_C_QK2, LR_D_SEND1, LR_D_SEND2, LR_D_PV, LR_RUNS };
/* Words of a run's record: result word LINK_RUN_WORD(run, w) */
enum link_word {
  LW_STATUS = 0, /* tile.status after the run */
  LW_DONE,       /* tile.done after minus before */
  LW_BUSY, LW_MACS, LW_CONFLICT, LW_STARVED, LW_MEMORY, LW_BACKPRESSURE, /* counters' _lo words */
  LW_HI,         /* the OR of their _hi words */
  LW_N
};
#define LINK_RUN_WORD(run, w) ((uint32_t)(run) * LW_N + (uint32_t)(w))
enum link_extra {
  LX_E_QK = LR_RUNS * LW_N, /* status.code of attn_qk on tile 0 */
  LX_E_SEND,                /* status.code of send on the last tile */
  LX_TIMEOUT,               /* bit r: run r did not end within the firmware's poll limit */
  LX_DMA,                   /* dma.status at the end (0: no descriptor refused) */
  LX_CYC_A, LX_CYC_B, LX_CYC_C, LX_CYC_D, /* controller cycles of each case (start to done) */
  LX_MAGIC,                 /* LINK_MAGIC once the firmware finished */
  LX_COUNT
};
#define LINK_MAGIC 0x4c494e4bu

#ifndef __riscv /* the host side */
/* DRAM access of the chip under test: 0, or non-zero on failure. */
typedef int (*link_write_fn)(void *ctx, uint64_t addr, const void *data, size_t len);
typedef int (*link_read_fn)(void *ctx, uint64_t addr, void *data, size_t len);

/* Write the inputs (fixed seed) into the chip's DRAM before the firmware runs. 0, or -1. */
int link_case_prepare(link_write_fn write, void *ctx);
/* After the firmware exited: compare S and O bit for bit with the tile cmodel's
 * (ttile_cm_exec_stream fed with the column-order dense stream of the bf16 K and V rows, which is
 * what send produces) and check the counters through identities that hold on any timing
 * (send: busy = beats + 2 + backpressure; attn: busy - starved, MACs, conflicts and memory stalls
 * as the cmodel's; done counts; the code-2 cases). 0, or -1 with the first difference in why. */
int link_case_check(link_read_fn read, void *ctx, char *why, size_t whylen);
#endif

#endif /* LINK_CASE_H */
