// Verilator harness for the RTL chip (rtl/chip/tessera_chip_top.sv) behind the C API of
// tsim_chip.h. The chip is simulated as two kinds of model: the uncore (tchip_uncore: controller,
// hostif, DMA engine, tile register blocks) and one tile model (ttile_top, the model of
// sim/tile_rtl/) per tile, wired port for port as tessera_chip_top wires them, the stream links
// included (tile i's stream-out drives tile i+1's stream-in). Every tile output is a register
// output, so a clock period is: tile outputs into the uncore, the uncore settles, its outputs and
// the other tiles' outputs into the tiles, then the rising edge on every model at once.
//
// The harness is also the chip's device DRAM: it serves the DRAM port (docs/chip.md, "RTL chip")
// from a tsim_dram, one request at a time. A request to the DRAM page of the previous request
// (an open page) is answered in the next cycle; any other after the DRAM model's latency.
#include "tsim_chip.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
extern "C" {
#include "tsim_dram.h"  // a C header without its own extern "C"
}
#include "tsim_elf.h"
#include "ttimeline.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "Vtile.h"
#include "Vuncore.h"
#include "Vuncore__Syms.h"
#include "verilated.h"
#include "verilated_fst_c.h"

constexpr unsigned kTiles = TESSERA_CFG_TILES;
constexpr uint32_t kPageBytes = TESSERA_CFG_DRAM_PAGE_BYTES;  // the DRAM page of the open-page rule
constexpr unsigned kQuietEdges = 64;   // idle edges before a tile's edges are skipped
constexpr unsigned kCnt = 6;           // the tile's counters: busy macs conflict starved memory backpressure
constexpr unsigned kSlotWords = TESSERA_CFG_NNZ_PER_CYCLE;

// A tile's stream-in data inputs (header and slots) as seen at an edge.
struct stream_in {
  uint32_t hdr;
  uint32_t slots[kSlotWords];
  bool operator==(const stream_in &o) const { return std::memcmp(this, &o, sizeof o) == 0; }
};

struct tsim_chip {
  VerilatedContext ctx;
  Vuncore *top = nullptr;
  Vtile *tile[kTiles] = {};
  VerilatedFstC *fst = nullptr;
  VerilatedFstC *tfst[kTiles] = {};
  uint32_t last_page = 0xffffffffu;  // the open DRAM page (address / kPageBytes)
  struct tsim_dram *dram = nullptr;
  uint64_t edges = 0;  // every rising edge: trace time and the DRAM model's clock
  bool started = false;
  tsim_chip_state state = TSIM_CHIP_RUNNING;
  uint32_t exit_code = 0;
  uint32_t fault_addr = 0, fault_pc = 0;
  // DRAM port: the request in flight
  bool pend = false;
  uint64_t rsp_at = 0;
  uint32_t rsp_data = 0;
  // Host-visible events since the last check
  bool irq_rose = false, fw_changed = false;  // irq_rose: the firmware raised (or re-raised) irq
  uint32_t last_fw = 0;
  struct tsim_chip_counters ctr = {};
  uint64_t cnt_last[kTiles][kCnt] = {};  // the tiles' counter outputs at the last sample
  unsigned quiet[kTiles] = {};        // consecutive evaluated idle edges with quiet inputs
  stream_in si_last[kTiles] = {};     // each tile's stream-in data at its last evaluated edge
  bool no_skip = false;               // TSIM_CHIP_NO_SKIP: evaluate every tile at every edge
  // Timeline: the open tile runs and DMA descriptor (start edge, what), recorded when they end.
  struct ttl tl = {};
  bool tl_busy[kTiles] = {}, tl_dma = false;
  uint64_t tl_start[kTiles] = {}, tl_dma_start = 0, tl_dma_dram0 = 0, dma_dram_total = 0;
  uint32_t tl_kernel[kTiles] = {}, tl_ctrl = 0;
  uint64_t tl_bytes = 0;
  std::string console;
  char err[200] = "";
};

static auto &imem(tsim_chip *c) { return c->top->rootp->vlSymsp->TOP__tchip_uncore__u_ctrl__u_imem.mem_q; }
static auto &dmem(tsim_chip *c) { return c->top->rootp->vlSymsp->TOP__tchip_uncore__u_ctrl__u_dmem.mem_q; }

// Bits [lsb, lsb + w) of a Verilated signal (an integer type or a VlWide), w <= 32.
template <class S> static uint32_t get_bits(const S &s, unsigned lsb, unsigned w) {
  const uint32_t m = w >= 32 ? 0xffffffffu : (1u << w) - 1u;
  if constexpr (std::is_integral_v<S>) {
    return static_cast<uint32_t>(static_cast<uint64_t>(s) >> lsb) & m;
  } else {
    const unsigned i = lsb / 32, sh = lsb % 32;
    uint64_t v = s[i];
    if (sh + w > 32) v |= static_cast<uint64_t>(s[i + 1]) << 32;
    return static_cast<uint32_t>(v >> sh) & m;
  }
}

template <class S> static void set_bits(S &s, unsigned lsb, unsigned w, uint32_t v) {
  const uint64_t m = w >= 32 ? 0xffffffffull : (1ull << w) - 1ull;
  const uint64_t x = v & m;
  if constexpr (std::is_integral_v<S>) {
    s = static_cast<S>((static_cast<uint64_t>(s) & ~(m << lsb)) | (x << lsb));
  } else {
    const unsigned i = lsb / 32, sh = lsb % 32;
    s[i] = static_cast<uint32_t>((s[i] & ~(m << sh)) | (x << sh));
    if (sh + w > 32) s[i + 1] = static_cast<uint32_t>((s[i + 1] & ~(m >> (32 - sh))) | (x >> (32 - sh)));
  }
}

// width bits of src from src_lsb into dst at dst_lsb.
template <class D, class S> static void copy_bits(D &dst, unsigned dst_lsb, const S &src, unsigned src_lsb, unsigned width) {
  for (unsigned b = 0; b < width; b += 32) {
    const unsigned w = width - b < 32 ? width - b : 32;
    set_bits(dst, dst_lsb + b, w, get_bits(src, src_lsb + b, w));
  }
}

constexpr unsigned kLaneBits = TESSERA_CFG_LANES * 32, kSlotBits = TESSERA_CFG_NNZ_PER_CYCLE * 32;

// Tile outputs (all registered) into the uncore's tile ports.
static void to_uncore(tsim_chip *c) {
  Vuncore *u = c->top;
  for (unsigned i = 0; i < kTiles; i++) {
    const Vtile *t = c->tile[i];
    set_bits(u->tile_busy_i, i, 1, t->busy_o);
    set_bits(u->tile_done_i, i, 1, t->done_o);
    set_bits(u->tile_code_i, 8 * i, 8, t->code_o);
    copy_bits(u->tile_bk_rdata_i, kLaneBits * i, t->bk_rdata_o, 0, kLaneBits);
    copy_bits(u->tile_gb_rdata_i, kSlotBits * i, t->gb_rdata_o, 0, kSlotBits);
    copy_bits(u->tile_cnt_busy_i, 64 * i, t->cnt_busy_o, 0, 64);
    copy_bits(u->tile_cnt_macs_i, 64 * i, t->cnt_macs_o, 0, 64);
    copy_bits(u->tile_cnt_conflict_i, 64 * i, t->cnt_conflict_o, 0, 64);
    copy_bits(u->tile_cnt_starved_i, 64 * i, t->cnt_starved_o, 0, 64);
    copy_bits(u->tile_cnt_memory_i, 64 * i, t->cnt_memory_o, 0, 64);
    copy_bits(u->tile_cnt_backpressure_i, 64 * i, t->cnt_backpressure_o, 0, 64);
  }
}

// The uncore's tile ports into the tiles (as tessera_chip_top connects them).
static void to_tiles(tsim_chip *c) {
  const Vuncore *u = c->top;
  for (unsigned i = 0; i < kTiles; i++) {
    Vtile *t = c->tile[i];
    t->start_i = get_bits(u->tile_start_o, i, 1);
    t->kernel_i = get_bits(u->tile_kernel_o, 5 * i, 5);
    t->epi_bias_i = get_bits(u->tile_epi_bias_o, i, 1);
    t->epi_gelu_i = get_bits(u->tile_epi_gelu_o, i, 1);
    t->epi_residual_i = get_bits(u->tile_epi_residual_o, i, 1);
    t->epi_scale_i = get_bits(u->tile_epi_scale_o, i, 1);
    t->cast_bf16_i = get_bits(u->tile_cast_bf16_o, i, 1);
    t->causal_i = get_bits(u->tile_causal_o, i, 1);
    t->k_i = get_bits(u->tile_k_o, 32 * i, 32);
    t->kn_i = get_bits(u->tile_kn_o, 32 * i, 32);
    t->ntok_i = get_bits(u->tile_ntok_o, 32 * i, 32);
    t->tpl_i = get_bits(u->tile_tpl_o, 32 * i, 32);
    t->ngroups_i = get_bits(u->tile_ngroups_o, 32 * i, 32);
    t->off_a_i = get_bits(u->tile_off_a_o, 32 * i, 32);
    t->off_b_i = get_bits(u->tile_off_b_o, 32 * i, 32);
    t->off_c_i = get_bits(u->tile_off_c_o, 32 * i, 32);
    t->off_d_i = get_bits(u->tile_off_d_o, 32 * i, 32);
    t->cols_i = get_bits(u->tile_cols_o, 32 * i, 32);
    t->param_i = get_bits(u->tile_param_o, 32 * i, 32);
    t->row0_i = get_bits(u->tile_row0_o, 32 * i, 32);
    copy_bits(t->s_i, 0, u->tile_s_o, 7 * 32 * i, 7 * 32);
    t->bk_we_i = get_bits(u->tile_bk_we_o, i, 1);
    t->bk_re_i = get_bits(u->tile_bk_re_o, i, 1);
    t->bk_addr_i = u->tile_bk_addr_o;
    copy_bits(t->bk_wdata_i, 0, u->tile_bk_wdata_o, 0, kLaneBits);
    t->wb_we_i = get_bits(u->tile_wb_we_o, i, 1);
    t->wb_addr_i = u->tile_wb_addr_o;
    t->wb_hdr_i = u->tile_wb_hdr_o;
    copy_bits(t->wb_slots_i, 0, u->tile_wb_slots_o, 0, kSlotBits);
    t->gb_we_i = get_bits(u->tile_gb_we_o, i, 1);
    t->gb_re_i = get_bits(u->tile_gb_re_o, i, 1);
    t->gb_addr_i = u->tile_gb_addr_o;
    copy_bits(t->gb_wdata_i, 0, u->tile_gb_wdata_o, 0, kSlotBits);
    t->clr_i = get_bits(u->tile_clr_o, i, 1);
  }
  // The stream links, a chain: tile i-1's stream-out into tile i's stream-in (register outputs of
  // the other tiles, so the order does not matter). Tile 0 has no source, the last tile no sink.
  for (unsigned i = 0; i < kTiles; i++) {
    Vtile *t = c->tile[i];
    if (i > 0) {
      const Vtile *up = c->tile[i - 1];
      t->si_en_i = 1;
      t->si_valid_i = up->so_valid_o;
      t->si_hdr_i = up->so_hdr_o;
      copy_bits(t->si_slots_i, 0, up->so_slots_o, 0, kSlotBits);
    } else {
      t->si_en_i = 0;
      t->si_valid_i = 0;
      t->si_hdr_i = 0;
      for (unsigned w = 0; w < kSlotWords; w++) set_bits(t->si_slots_i, 32 * w, 32, 0);
    }
    t->so_en_i = i + 1 < kTiles;
    t->so_ready_i = i + 1 < kTiles ? c->tile[i + 1]->si_ready_o : 0;
  }
}

static stream_in stream_in_of(const Vtile *t) {
  stream_in s = {};
  s.hdr = t->si_hdr_i;
  for (unsigned w = 0; w < kSlotWords; w++) s.slots[w] = get_bits(t->si_slots_i, 32 * w, 32);
  return s;
}

// Settle the chip with the clock where it is: tile outputs in, uncore, tile inputs, tiles.
static void settle(tsim_chip *c) {
  to_uncore(c);
  c->top->eval();
  to_tiles(c);
  for (unsigned i = 0; i < kTiles; i++) c->tile[i]->eval();
}

static void set_clk(tsim_chip *c, int v) {
  c->top->clk_i = v;
  for (unsigned i = 0; i < kTiles; i++) c->tile[i]->clk_i = v;
}

static void set_rst(tsim_chip *c, int v) {
  c->top->rst_ni = v;
  for (unsigned i = 0; i < kTiles; i++) c->tile[i]->rst_ni = v;
}

static unsigned popcount4(unsigned be) { return (be & 1u) + (be >> 1 & 1u) + (be >> 2 & 1u) + (be >> 3 & 1u); }

// The DRAM port at the rising edge about to happen: a response handed over, a request accepted.
static void dram_edge(tsim_chip *c) {
  Vuncore *t = c->top;
  const bool rsp = t->dram_rsp_valid_i;
  const bool accept = t->dram_req_valid_o && t->dram_req_ready_i;
  if (rsp) c->pend = false;
  if (!accept) return;
  const uint32_t addr = t->dram_req_addr_o, be = t->dram_req_be_o;
  uint8_t w[4] = {0, 0, 0, 0};
  if (tsim_dram_read(c->dram, addr, w, 4) != TSIM_DRAM_OK) {
    std::snprintf(c->err, sizeof c->err, "DRAM port: request at 0x%08" PRIx32 " beyond the DRAM", addr);
    c->rsp_data = 0;
  } else if (t->dram_req_we_o) {
    const uint32_t v = t->dram_req_wdata_o;
    for (unsigned i = 0; i < 4; i++)
      if (be >> i & 1u) w[i] = (uint8_t)(v >> (8 * i));
    (void)tsim_dram_write(c->dram, addr, w, 4);
    c->rsp_data = 0;
  } else {
    c->rsp_data = (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16 | (uint32_t)w[3] << 24;
  }
  const unsigned bytes = popcount4(be);
  const uint32_t page = addr / kPageBytes;
  uint64_t done = c->edges + 1;
  if (page != c->last_page) (void)tsim_dram_transfer(c->dram, c->edges, bytes, &done);
  c->last_page = page;
  c->rsp_at = done > c->edges ? done : c->edges + 1;
  c->pend = true;
  c->ctr.dram_bytes += bytes;
  c->ctr.dram_requests++;
  if (t->dram_req_src_o) c->ctr.window_bytes += bytes;
  else c->ctr.dma_dram_bytes += bytes, c->dma_dram_total += bytes;
}

// Timeline spans from the activity after this edge: a tile run from its busy's rise to its fall
// with done (a refused or aborted run leaves no span), a DMA descriptor while one runs.
static void timeline_sample(tsim_chip *c) {
  const Vuncore *t = c->top;
  const uint64_t now = c->edges;
  for (unsigned i = 0; i < kTiles; i++) {
    const Vtile *v = c->tile[i];
    if (v->busy_o && !c->tl_busy[i]) {
      c->tl_busy[i] = true;
      c->tl_start[i] = now;
      c->tl_kernel[i] = v->kernel_i;
    } else if (!v->busy_o && c->tl_busy[i]) {
      c->tl_busy[i] = false;
      if (v->done_o) {
        ttl_span sp = {};
        sp.kind = TTL_TILE, sp.tile = static_cast<uint8_t>(i), sp.kernel = c->tl_kernel[i];
        sp.start = c->tl_start[i], sp.dur = now - c->tl_start[i];
        ttl_add(&c->tl, &sp);
      }
    }
  }
  if (t->dma_run_o && !c->tl_dma) {
    c->tl_dma = true;
    c->tl_dma_start = now;
    c->tl_dma_dram0 = c->dma_dram_total;
    c->tl_ctrl = t->dma_run_ctrl_o;
    c->tl_bytes = static_cast<uint64_t>(t->dma_run_rows_o) * t->dma_run_row_bytes_o;
  } else if (!t->dma_run_o && c->tl_dma) {
    c->tl_dma = false;
    const uint32_t k = c->tl_ctrl;
    ttl_span sp = {};
    sp.kind = TTL_DMA;
    sp.src_kind = static_cast<uint8_t>((k & TESSERA_DMA_CTRL_SRC_KIND_MASK) >> TESSERA_DMA_CTRL_SRC_KIND_SHIFT);
    sp.dst_kind = static_cast<uint8_t>((k & TESSERA_DMA_CTRL_DST_KIND_MASK) >> TESSERA_DMA_CTRL_DST_KIND_SHIFT);
    sp.src_tile = static_cast<uint8_t>((k & TESSERA_DMA_CTRL_SRC_TILE_MASK) >> TESSERA_DMA_CTRL_SRC_TILE_SHIFT);
    sp.dst_tile = static_cast<uint8_t>((k & TESSERA_DMA_CTRL_DST_TILE_MASK) >> TESSERA_DMA_CTRL_DST_TILE_SHIFT);
    sp.kernel = (k & TESSERA_DMA_CTRL_MODE_MASK) >> TESSERA_DMA_CTRL_MODE_SHIFT;
    sp.start = c->tl_dma_start, sp.dur = now - c->tl_dma_start;
    sp.bytes = c->tl_bytes, sp.dram_bytes = c->dma_dram_total - c->tl_dma_dram0;
    ttl_add(&c->tl, &sp);
  }
}

// After a rising edge with the controller running: side effects and stop conditions.
static void sample(tsim_chip *c) {
  Vuncore *t = c->top;
  c->ctr.cycles++;
  if (t->rvfi_valid_o && !t->rvfi_trap_o) c->ctr.instret++;
  if (t->dma_busy_o) c->ctr.dma_busy++;
  if (t->tile_busy_o) c->ctr.any_tile_busy++;
  if (t->dma_busy_o || t->tile_busy_o) c->ctr.any_busy++;
  for (unsigned i = 0; i < kTiles; i++) {
    const Vtile *v = c->tile[i];
    const uint64_t now[kCnt] = {v->cnt_busy_o,    v->cnt_macs_o,   v->cnt_conflict_o,
                                v->cnt_starved_o, v->cnt_memory_o, v->cnt_backpressure_o};
    uint64_t *tot[kCnt] = {&c->ctr.tile[i].busy,    &c->ctr.tile[i].macs,   &c->ctr.tile[i].conflict,
                           &c->ctr.tile[i].starved, &c->ctr.tile[i].memory, &c->ctr.tile[i].backpressure};
    for (unsigned k = 0; k < kCnt; k++) {
      // A counter only grows, except when cleared: then it counted from zero since.
      *tot[k] += now[k] >= c->cnt_last[i][k] ? now[k] - c->cnt_last[i][k] : now[k];
      c->cnt_last[i][k] = now[k];
    }
  }
  if (c->tl.on) timeline_sample(c);
  if (t->console_valid_o) c->console.push_back(static_cast<char>(t->console_char_o));
  if (t->irq_set_o) c->irq_rose = true;
  if (t->fw_state_o != c->last_fw) c->fw_changed = true;
  c->last_fw = t->fw_state_o;
  if (t->exit_valid_o) {
    c->state = TSIM_CHIP_EXITED;
    c->exit_code = t->exit_code_o;
  } else if (t->fault_valid_o) {
    c->state = TSIM_CHIP_FAULT;
    c->fault_addr = t->fault_addr_o;
    c->fault_pc = t->fault_pc_o;
    if (c->fault_addr == c->fault_pc)
      std::snprintf(c->err, sizeof c->err,
                    "access fault: instruction fetch at 0x%08" PRIx32 " outside IMEM (pc 0x%08" PRIx32 ")",
                    c->fault_addr, c->fault_pc);
    else
      std::snprintf(c->err, sizeof c->err,
                    "access fault: bus error or no device at address 0x%08" PRIx32 " (pc 0x%08" PRIx32 ")",
                    c->fault_addr, c->fault_pc);
  }
}

static void dump(tsim_chip *c, uint64_t t) {
  c->fst->dump(t);
  for (unsigned i = 0; i < kTiles; i++) c->tfst[i]->dump(t);
}

// A tile's inputs ask nothing of it this cycle: no request from the uncore, no stream beat offered
// or taken (si_valid_i, so_ready_i low) and stream-in data as at the tile's last evaluated edge.
static bool inputs_quiet(const tsim_chip *c, unsigned i) {
  const Vtile *t = c->tile[i];
  return !t->start_i && !t->bk_we_i && !t->bk_re_i && !t->wb_we_i && !t->gb_we_i && !t->gb_re_i && !t->clr_i &&
         !t->si_valid_i && !t->so_ready_i && stream_in_of(t) == c->si_last[i];
}

// One clock period: the DRAM port's inputs for this cycle, the rising edge, the falling edge.
//
// A tile that has been idle (not busy, no done, inputs quiet) for kQuietEdges evaluated edges is at
// a fixed point: its registers no longer change while its inputs stay quiet (the vector unit's clock
// tail and every write pipeline have drained), so its edges are skipped until an input asks for it.
// TSIM_CHIP_NO_SKIP=1 in the environment evaluates every tile at every edge (same results, cycles).
static void tick(tsim_chip *c) {
  Vuncore *t = c->top;
  t->dram_req_ready_i = !c->pend;
  t->dram_rsp_valid_i = c->pend && c->edges >= c->rsp_at;
  t->dram_rsp_rdata_i = c->rsp_data;
  t->eval();
  to_tiles(c);
  dram_edge(c);
  // The rising edge: every model samples the inputs it settled with.
  bool run[kTiles], quiet[kTiles];
  for (unsigned i = 0; i < kTiles; i++) {
    quiet[i] = inputs_quiet(c, i);
    run[i] = c->no_skip || !quiet[i] || c->quiet[i] < kQuietEdges || !t->rst_ni;
    if (!quiet[i]) c->quiet[i] = 0;
  }
  t->clk_i = 1;
  t->eval();
  for (unsigned i = 0; i < kTiles; i++) {
    if (!run[i]) continue;
    Vtile *v = c->tile[i];
    c->si_last[i] = stream_in_of(v);  // the inputs this edge samples (to_tiles has not run since)
    v->clk_i = 1;
    v->eval();
    if (quiet[i] && !v->busy_o && !v->done_o) {
      if (c->quiet[i] < kQuietEdges) c->quiet[i]++;
    } else {
      c->quiet[i] = 0;
    }
  }
  to_uncore(c);
  t->eval();
  if (c->fst) dump(c, c->edges * 2);
  if (c->started && t->rst_ni && t->ctrl_rst_ni) sample(c);
  t->host_we_i = 0;
  // The falling edge.
  t->clk_i = 0;
  t->eval();
  to_tiles(c);
  for (unsigned i = 0; i < kTiles; i++) {
    if (!run[i]) continue;
    c->tile[i]->clk_i = 0;
    c->tile[i]->eval();
  }
  if (c->fst) dump(c, c->edges * 2 + 1);
  c->edges++;
}

static void do_reset(tsim_chip *c) {
  Vuncore *t = c->top;
  set_rst(c, 0);
  t->ctrl_rst_ni = 0;
  set_clk(c, 0);
  t->host_we_i = 0;
  t->dram_rsp_valid_i = 0;
  settle(c);
  c->pend = false;
  c->last_page = 0xffffffffu;
  for (unsigned i = 0; i < kTiles; i++) c->quiet[i] = 0, c->si_last[i] = {};
  for (int i = 0; i < 2; i++) tick(c);
  set_rst(c, 1);  // the device runs; the controller waits for the first step
  settle(c);
  tick(c);
  c->started = false;
  c->state = TSIM_CHIP_RUNNING;
  c->exit_code = 0;
  c->fault_addr = c->fault_pc = 0;
  c->irq_rose = c->fw_changed = false;
  c->last_fw = t->fw_state_o;
  c->ctr = {};
  c->ctr.tiles = kTiles;
  for (unsigned i = 0; i < kTiles; i++)
    for (unsigned k = 0; k < kCnt; k++) c->cnt_last[i][k] = 0;
  c->console.clear();
  c->err[0] = '\0';
}

static void start(tsim_chip *c) {
  if (c->started) return;
  c->started = true;
  c->top->ctrl_rst_ni = 1;
  settle(c);
}

extern "C" tsim_chip *tsim_chip_open(const char *fst_path) {
  tsim_chip *c = new (std::nothrow) tsim_chip;
  if (!c) return nullptr;
  const char *ns = std::getenv("TSIM_CHIP_NO_SKIP");
  c->no_skip = ns && *ns && *ns != '0';
  c->top = new (std::nothrow) Vuncore(&c->ctx, "chip");
  bool ok = c->top != nullptr;
  for (unsigned i = 0; i < kTiles && ok; i++) {
    const std::string name = "tile" + std::to_string(i);
    c->tile[i] = new (std::nothrow) Vtile(&c->ctx, name.c_str());
    ok = c->tile[i] != nullptr;
  }
  if (!ok || tsim_dram_open(&c->dram, 0, 0, 0) != TSIM_DRAM_OK) {
    tsim_chip_close(c);
    return nullptr;
  }
  if (fst_path) {
    // One file per model: the uncore's at fst_path, tile i's at fst_path with ".tile<i>" before
    // the extension (a model traces into a file of its own).
    c->ctx.traceEverOn(true);
    std::string base = fst_path, ext;
    const size_t dot = base.rfind('.');
    if (dot != std::string::npos && base.find('/', dot) == std::string::npos) ext = base.substr(dot), base.erase(dot);
    c->fst = new (std::nothrow) VerilatedFstC;
    ok = c->fst != nullptr;
    if (ok) {
      c->top->trace(c->fst, 99);
      c->fst->open(fst_path);
      ok = c->fst->isOpen();
    }
    for (unsigned i = 0; i < kTiles && ok; i++) {
      c->tfst[i] = new (std::nothrow) VerilatedFstC;
      ok = c->tfst[i] != nullptr;
      if (!ok) break;
      c->tile[i]->trace(c->tfst[i], 99);
      c->tfst[i]->open((base + ".tile" + std::to_string(i) + ext).c_str());
      ok = c->tfst[i]->isOpen();
    }
    if (!ok) {
      tsim_chip_close(c);
      return nullptr;
    }
  }
  c->top->irq_ext_i = 0;
  c->top->host_addr_i = 0;
  c->top->host_wdata_i = 0;
  for (uint32_t i = 0; i < TESSERA_IMEM_SIZE / 4; i++) imem(c)[i] = 0;
  for (uint32_t i = 0; i < TESSERA_DMEM_SIZE / 4; i++) dmem(c)[i] = 0;
  do_reset(c);
  return c;
}

extern "C" void tsim_chip_close(tsim_chip *c) {
  if (!c) return;
  // The models' destructors unregister their scopes from the calling thread's current context:
  // make that this chip's (another chip may have been the last to run, or be gone already).
  Verilated::threadContextp(&c->ctx);
  if (c->fst) {
    c->fst->close();
    delete c->fst;
  }
  for (unsigned i = 0; i < kTiles; i++) {
    if (c->tfst[i]) {
      c->tfst[i]->close();
      delete c->tfst[i];
    }
    if (c->tile[i]) c->tile[i]->final();
    delete c->tile[i];
  }
  if (c->top) c->top->final();
  delete c->top;
  tsim_dram_close(c->dram);
  ttl_free(&c->tl);
  delete c;
}

extern "C" const char *tsim_chip_error(const tsim_chip *c) { return c ? c->err : "no chip"; }

extern "C" void tsim_chip_reset(tsim_chip *c) { do_reset(c); }

// Which array holds [addr, addr + len): 1 IMEM, 2 DMEM, 0 neither. *off is the byte offset.
static int region(uint32_t addr, size_t len, uint32_t *off) {
  const uint64_t end = (uint64_t)addr + len;
  if (addr >= TESSERA_IMEM_BASE && end <= (uint64_t)TESSERA_IMEM_BASE + TESSERA_IMEM_SIZE) {
    *off = addr - TESSERA_IMEM_BASE;
    return 1;
  }
  if (addr >= TESSERA_DMEM_BASE && end <= (uint64_t)TESSERA_DMEM_BASE + TESSERA_DMEM_SIZE) {
    *off = addr - TESSERA_DMEM_BASE;
    return 2;
  }
  return 0;
}

extern "C" int tsim_chip_mem_write(tsim_chip *c, uint32_t addr, const void *data, size_t len) {
  uint32_t off = 0;
  const int r = region(addr, len, &off);
  if (!c || !r || (len && !data)) return -1;
  const uint8_t *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < len; i++) {
    const uint32_t o = off + (uint32_t)i, sh = 8 * (o & 3u);
    uint32_t &w = r == 1 ? imem(c)[o >> 2] : dmem(c)[o >> 2];
    w = (w & ~(0xffu << sh)) | (uint32_t)p[i] << sh;
  }
  return 0;
}

extern "C" int tsim_chip_mem_read(tsim_chip *c, uint32_t addr, void *data, size_t len) {
  uint32_t off = 0;
  const int r = region(addr, len, &off);
  if (!c || !r || (len && !data)) return -1;
  uint8_t *p = static_cast<uint8_t *>(data);
  for (size_t i = 0; i < len; i++) {
    const uint32_t o = off + (uint32_t)i;
    const uint32_t w = r == 1 ? imem(c)[o >> 2] : dmem(c)[o >> 2];
    p[i] = (uint8_t)(w >> (8 * (o & 3u)));
  }
  return 0;
}

static int elf_write(void *ctx, uint32_t addr, const void *src, size_t n) {
  return tsim_chip_mem_write(static_cast<tsim_chip *>(ctx), addr, src, n);
}

extern "C" int tsim_chip_load_elf(tsim_chip *c, const char *path) {
  if (!c || !path) return -1;
  uint32_t entry = 0;
  if (tsim_elf_load(path, elf_write, c, &entry, c->err, sizeof c->err) != 0) return -1;
  if (entry != TESSERA_IMEM_BASE) {
    std::snprintf(c->err, sizeof c->err, "%s: entry 0x%08" PRIx32 " is not the reset PC 0x%08" PRIx32, path,
                  entry, (uint32_t)TESSERA_IMEM_BASE);
    return -1;
  }
  return 0;
}

extern "C" int tsim_chip_dram_write(tsim_chip *c, uint64_t addr, const void *data, size_t len) {
  if (!c || tsim_dram_write(c->dram, addr, data, len) != TSIM_DRAM_OK) {
    if (c) std::snprintf(c->err, sizeof c->err, "DRAM write of %zu bytes at 0x%" PRIx64 " outside the DRAM", len, addr);
    return -1;
  }
  return 0;
}

extern "C" int tsim_chip_dram_read(tsim_chip *c, uint64_t addr, void *data, size_t len) {
  if (!c || tsim_dram_read(c->dram, addr, data, len) != TSIM_DRAM_OK) {
    if (c) std::snprintf(c->err, sizeof c->err, "DRAM read of %zu bytes at 0x%" PRIx64 " outside the DRAM", len, addr);
    return -1;
  }
  return 0;
}

static int hostif_ok(tsim_chip *c, uint32_t off) {
  if (off % 4u == 0 && off <= TESSERA_HOSTIF_TRAP_TVAL_OFFSET) return 1;
  std::snprintf(c->err, sizeof c->err, "no hostif register at offset 0x%03" PRIx32, off);
  return 0;
}

extern "C" int tsim_chip_hostif_read(tsim_chip *c, uint32_t off, uint32_t *v) {
  if (!c || !v || !hostif_ok(c, off)) return -1;
  c->top->host_addr_i = off;
  settle(c);
  *v = c->top->host_rdata_o;
  return 0;
}

extern "C" int tsim_chip_hostif_write(tsim_chip *c, uint32_t off, uint32_t v) {
  if (!c || !hostif_ok(c, off)) return -1;
  c->top->host_we_i = 1;
  c->top->host_addr_i = off;
  c->top->host_wdata_i = v;
  tick(c);  // the write happens at this edge; tick drops host_we_i after it
  c->last_fw = c->top->fw_state_o;  // the host's own writes are not events
  return 0;
}

extern "C" void tsim_chip_set_irq(tsim_chip *c, int level) {
  if (c) c->top->irq_ext_i = level ? 1 : 0;
}

extern "C" tsim_chip_state tsim_chip_step(tsim_chip *c) {
  if (c->state != TSIM_CHIP_RUNNING) return c->state;
  Verilated::threadContextp(&c->ctx);
  start(c);
  tick(c);
  return c->state;
}

extern "C" tsim_chip_state tsim_chip_run(tsim_chip *c, uint64_t max_cycles, unsigned stop_mask) {
  if (c->state != TSIM_CHIP_RUNNING) return c->state;
  Verilated::threadContextp(&c->ctx);
  start(c);
  c->irq_rose = c->fw_changed = false;
  for (uint64_t n = 0; n < max_cycles; n++) {
    tick(c);
    if (c->state != TSIM_CHIP_RUNNING) return c->state;
    if (((stop_mask & TSIM_CHIP_STOP_IRQ) && c->irq_rose) || ((stop_mask & TSIM_CHIP_STOP_FW_STATE) && c->fw_changed)) {
      c->irq_rose = c->fw_changed = false;
      return TSIM_CHIP_EVENT;
    }
  }
  return TSIM_CHIP_MAX_CYCLES;
}

extern "C" tsim_chip_state tsim_chip_get_state(const tsim_chip *c) { return c->state; }
extern "C" uint32_t tsim_chip_exit_code(const tsim_chip *c) { return c->exit_code; }

extern "C" int tsim_chip_fault(const tsim_chip *c, uint32_t *addr, uint32_t *pc) {
  if (c->state != TSIM_CHIP_FAULT) return 0;
  if (addr) *addr = c->fault_addr;
  if (pc) *pc = c->fault_pc;
  return 1;
}

extern "C" size_t tsim_chip_console(tsim_chip *c, char *buf, size_t cap) {
  const size_t n = c->console.size() < cap ? c->console.size() : cap;
  if (n) std::memcpy(buf, c->console.data(), n);
  c->console.erase(0, n);
  return n;
}

extern "C" void tsim_chip_counters(const tsim_chip *c, struct tsim_chip_counters *out) { *out = c->ctr; }

extern "C" void tsim_chip_counters_reset(tsim_chip *c) {
  c->ctr = {};
  c->ctr.tiles = kTiles;
}

extern "C" uint64_t tsim_chip_now(const tsim_chip *c) { return c->edges; }

extern "C" void tsim_chip_timeline(tsim_chip *c, int on) {
  if (on && !c->tl.on)
    for (unsigned i = 0; i < kTiles; i++) c->tl_busy[i] = false;
  if (on && !c->tl.on) c->tl_dma = false;
  ttl_record(&c->tl, on);
}

extern "C" void tsim_chip_timeline_mark(tsim_chip *c, const char *name, uint64_t start, uint64_t end) {
  ttl_mark(&c->tl, name, start, end);
}

extern "C" int tsim_chip_timeline_write(tsim_chip *c, const char *path) {
  if (ttl_write(&c->tl, path, kTiles) != 0) {
    std::snprintf(c->err, sizeof c->err, "cannot write the timeline to %s", path ? path : "(null)");
    return -1;
  }
  return 0;
}
