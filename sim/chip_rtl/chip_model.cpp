// Verilator harness for the RTL chip (rtl/chip/tessera_chip_top.sv) behind the C API of
// tsim_chip.h. The harness is the chip's device DRAM: it serves the DRAM port (docs/chip.md,
// "RTL chip") from a tsim_dram, one request at a time, answering each after the DRAM model's time
// for its bytes (latency, then bytes per cycle).
#include "tsim_chip.h"
#include "tessera/gen/hwcfg.h"
#include "tessera/gen/map.h"
extern "C" {
#include "tsim_dram.h"  // a C header without its own extern "C"
}
#include "tsim_elf.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "Vchip.h"
#include "Vchip__Syms.h"
#include "verilated.h"
#include "verilated_fst_c.h"

struct tsim_chip {
  VerilatedContext ctx;
  Vchip *top = nullptr;
  VerilatedFstC *fst = nullptr;
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
  std::string console;
  char err[200] = "";
};

static auto &imem(tsim_chip *c) { return c->top->rootp->vlSymsp->TOP__tessera_chip_top__u_ctrl__u_imem.mem_q; }
static auto &dmem(tsim_chip *c) { return c->top->rootp->vlSymsp->TOP__tessera_chip_top__u_ctrl__u_dmem.mem_q; }

static unsigned popcount4(unsigned be) { return (be & 1u) + (be >> 1 & 1u) + (be >> 2 & 1u) + (be >> 3 & 1u); }

// The DRAM port at the rising edge about to happen: a response handed over, a request accepted.
static void dram_edge(tsim_chip *c) {
  Vchip *t = c->top;
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
  uint64_t done = c->edges;
  (void)tsim_dram_transfer(c->dram, c->edges, bytes, &done);
  c->rsp_at = done > c->edges ? done : c->edges + 1;
  c->pend = true;
  c->ctr.dram_bytes += bytes;
  c->ctr.dram_requests++;
  if (t->dram_req_src_o) c->ctr.window_bytes += bytes;
  else c->ctr.dma_dram_bytes += bytes;
}

// After a rising edge with the controller running: side effects and stop conditions.
static void sample(tsim_chip *c) {
  Vchip *t = c->top;
  c->ctr.cycles++;
  if (t->rvfi_valid_o && !t->rvfi_trap_o) c->ctr.instret++;
  if (t->dma_busy_o) c->ctr.dma_busy++;
  if (t->tile_busy_o) c->ctr.any_tile_busy++;
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

// One clock period: the DRAM port's inputs for this cycle, the rising edge, the falling edge.
static void tick(tsim_chip *c) {
  Vchip *t = c->top;
  t->dram_req_ready_i = !c->pend;
  t->dram_rsp_valid_i = c->pend && c->edges >= c->rsp_at;
  t->dram_rsp_rdata_i = c->rsp_data;
  t->eval();
  dram_edge(c);
  t->clk_i = 1;
  t->eval();
  if (c->fst) c->fst->dump(c->edges * 2);
  if (c->started && t->rst_ni && t->ctrl_rst_ni) sample(c);
  t->host_we_i = 0;
  t->clk_i = 0;
  t->eval();
  if (c->fst) c->fst->dump(c->edges * 2 + 1);
  c->edges++;
}

static void do_reset(tsim_chip *c) {
  Vchip *t = c->top;
  t->rst_ni = 0;
  t->ctrl_rst_ni = 0;
  t->clk_i = 0;
  t->host_we_i = 0;
  t->dram_rsp_valid_i = 0;
  t->eval();
  c->pend = false;
  for (int i = 0; i < 2; i++) tick(c);
  t->rst_ni = 1;  // the device runs; the controller waits for the first step
  t->eval();
  tick(c);
  c->started = false;
  c->state = TSIM_CHIP_RUNNING;
  c->exit_code = 0;
  c->fault_addr = c->fault_pc = 0;
  c->irq_rose = c->fw_changed = false;
  c->last_fw = t->fw_state_o;
  c->ctr = {};
  c->console.clear();
  c->err[0] = '\0';
}

static void start(tsim_chip *c) {
  if (c->started) return;
  c->started = true;
  c->top->ctrl_rst_ni = 1;
  c->top->eval();
}

extern "C" tsim_chip *tsim_chip_open(const char *fst_path) {
  tsim_chip *c = new (std::nothrow) tsim_chip;
  if (!c) return nullptr;
  c->top = new (std::nothrow) Vchip(&c->ctx, "chip");
  if (!c->top || tsim_dram_open(&c->dram, 0, 0, 0) != TSIM_DRAM_OK) {
    tsim_chip_close(c);
    return nullptr;
  }
  if (fst_path) {
    c->ctx.traceEverOn(true);
    c->fst = new (std::nothrow) VerilatedFstC;
    if (!c->fst) {
      tsim_chip_close(c);
      return nullptr;
    }
    c->top->trace(c->fst, 99);
    c->fst->open(fst_path);
    if (!c->fst->isOpen()) {
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
  if (c->fst) {
    c->fst->close();
    delete c->fst;
  }
  if (c->top) c->top->final();
  delete c->top;
  tsim_dram_close(c->dram);
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
  c->top->eval();
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
  start(c);
  tick(c);
  return c->state;
}

extern "C" tsim_chip_state tsim_chip_run(tsim_chip *c, uint64_t max_cycles, unsigned stop_mask) {
  if (c->state != TSIM_CHIP_RUNNING) return c->state;
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
