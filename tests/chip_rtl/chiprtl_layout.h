/* The DRAM layout shared by the RTL chip tests (tests/chip_rtl/test_chip_rtl.c, the host side) and
 * their firmware (firmware/tests/test_chiprtl_*.c): device byte addresses. The host writes the
 * parameters and inputs, the firmware writes its results (through the controller's dram window)
 * and outputs (by DMA). */
#ifndef CHIPRTL_LAYOUT_H
#define CHIPRTL_LAYOUT_H

#define CHIPRTL_PARAMS 0x000000u  /* words written by the host */
#define CHIPRTL_RESULTS 0x000400u /* words written by the firmware */
#define CHIPRTL_IN 0x001000u      /* input words */
#define CHIPRTL_IN_WORDS 256u
#define CHIPRTL_IDX 0x002000u     /* gather indices (int32) */
#define CHIPRTL_HALF 0x002400u    /* bytes read as bf16 halves by unpack16 */
#define CHIPRTL_ZERO 0x003000u    /* stays zero */
#define CHIPRTL_OUT(i) (0x010000u + (uint32_t)(i) * 0x1000u) /* outputs 0, 1, ... */

/* DMA test: bank layout and sizes */
#define CHIPRTL_KN 5u       /* words of a bank region */
#define CHIPRTL_BANK_A 3u   /* word of the first region */
#define CHIPRTL_BANK_B 200u /* word of the copy in the last tile */
#define CHIPRTL_GATHER_ROWS 6u
#define CHIPRTL_QUEUE_BYTES 1024u

/* DMA test results (word index in CHIPRTL_RESULTS) */
enum chiprtl_dma_result {
  CR_BYTES1 = 0,    /* dram_bytes delta of a 64-byte DRAM to DRAM copy */
  CR_DMEM_BAD,      /* DMEM words differing from the DRAM words after a DRAM to DMEM copy */
  CR_GATHER_STATUS, /* dma.status after the gather with bad indices */
  CR_CLEARED_STATUS,/* dma.status after clear */
  CR_E_KIND,        /* status.code of each refused descriptor */
  CR_E_WBUF,
  CR_E_TILE,
  CR_E_ALIGN,
  CR_E_ROWS0,
  CR_E_DMEM_RANGE,
  CR_E_BANK_RANGE,
  CR_QUEUED4,       /* dma.status.queued after four starts */
  CR_E_FULL,        /* code after a fifth start */
  CR_E_STICKY,      /* code after another bad start without clear */
  CR_DONE,          /* dma.done at the end */
  CR_TICKETS,       /* descriptors the firmware queued */
  CR_BYTES_LO,      /* dma.dram_bytes at the end */
  CR_BYTES_HI,
  CR_UNEXPECTED,    /* descriptors that had to run and were refused */
  CR_WINDOW_BYTE,   /* a byte stored through the window (at CHIPRTL_RESULTS + 4 * CR_WINDOW_BYTE + 1) */
  CR_COUNT
};

/* Tile test parameters (word index in CHIPRTL_PARAMS) and results */
enum chiprtl_tile_param { TP_K = 0, TP_N, TP_M, TP_NGROUPS, TP_S, TP_WV, TP_X, TP_Y, TP_DY, TP_DW, TP_COUNT };
enum chiprtl_tile_result {
  TR_DONE_FWD = 0, /* tile.done after the fwd run */
  TR_STATUS_FWD,   /* tile.status after it */
  TR_BUSY_LO, TR_BUSY_HI, TR_MACS_LO, TR_MACS_HI, /* counters after fwd */
  TR_DONE_ALL,     /* tile.done at the end */
  TR_E_KERNEL,     /* status.code: unknown kernel */
  TR_E_RANGE,      /* status.code: operands outside the bank */
  TR_E_BUSY,       /* status.code: a start while busy */
  TR_CLEARED,      /* tile.status after clear.error */
  TR_CNT_CLEARED,  /* cnt_busy_lo after clear.counters */
  TR_E_STREAM,     /* status.code: attn_qk on tile 0 (no stream source) << 8 | send on the last tile (no sink) */
  TR_COUNT
};

/* Trap test: the mode the host writes into hostif.alloc_lo before boot */
enum chiprtl_trap_mode { TM_HANDSHAKE = 0, TM_RO_WRITE = 1, TM_NO_TILE = 2, TM_PAST_DRAM = 3 };
#define CHIPRTL_RING_LO 0x12345678u /* what the host writes into ring_lo */

#endif /* CHIPRTL_LAYOUT_H */
