// Verilator harness for tessera_ctrl_top behind the plain C API of tsim_ctrl.h.
#include "tsim_ctrl.h"
#include "tessera/gen/map.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>
#include <new>
#include <string>

#include "Vctrl.h"
#include "Vctrl__Syms.h"
#include "verilated.h"
#include "verilated_fst_c.h"

struct tsim_ctrl {
  VerilatedContext ctx;
  Vctrl *top = nullptr;
  VerilatedFstC *fst = nullptr;
  uint64_t edges = 0;   // all rising edges, for trace time
  uint64_t cycles = 0;  // rising edges since reset release
  uint64_t instret = 0;
  uint64_t order = 0;
  bool started = false;
  tsim_ctrl_state state = TSIM_CTRL_RUNNING;
  uint32_t exit_code = 0;
  bool exit_pending = false;
  unsigned exit_wait = 0;
  uint32_t fault_addr = 0, fault_pc = 0;
  uint32_t last_pc = 0;    // PC of the newest retire record
  bool last_trap = false;  // the newest retire record is a trap
  char fault_msg[160] = "";
  std::string console;
  bool record = false;
  std::deque<tsim_retire> retired;
};

// The SRAM arrays (public in the RTL), by member name so the parameter-named class does not matter.
static auto &imem(tsim_ctrl *c) { return c->top->rootp->vlSymsp->TOP__tessera_ctrl_top__u_imem.mem_q; }
static auto &dmem(tsim_ctrl *c) { return c->top->rootp->vlSymsp->TOP__tessera_ctrl_top__u_dmem.mem_q; }

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

// The register a bus error hit, for the fault message.
static const char *reg_name(uint32_t addr) {
  const uint32_t w = addr & ~3u;
  if (w - TESSERA_SIMCTRL_BASE < TESSERA_SIMCTRL_SIZE) {
    switch (w - TESSERA_SIMCTRL_BASE) {
    case TESSERA_SIMCTRL_CONSOLE_OFFSET: return "simctrl.console";
    case TESSERA_SIMCTRL_EXIT_OFFSET: return "simctrl.exit";
    case TESSERA_SIMCTRL_CYCLE_LO_OFFSET: return "simctrl.cycle_lo";
    case TESSERA_SIMCTRL_CYCLE_HI_OFFSET: return "simctrl.cycle_hi";
    default: return "simctrl (no register)";
    }
  }
  if (w - TESSERA_TIMER_BASE < TESSERA_TIMER_SIZE) {
    switch (w - TESSERA_TIMER_BASE) {
    case TESSERA_TIMER_MTIME_LO_OFFSET: return "timer.mtime_lo";
    case TESSERA_TIMER_MTIME_HI_OFFSET: return "timer.mtime_hi";
    case TESSERA_TIMER_MTIMECMP_LO_OFFSET: return "timer.mtimecmp_lo";
    case TESSERA_TIMER_MTIMECMP_HI_OFFSET: return "timer.mtimecmp_hi";
    default: return "timer (no register)";
    }
  }
  if (w - TESSERA_IMEM_BASE < TESSERA_IMEM_SIZE) return "IMEM (read-only)";
  return "memory";
}

// Called after every rising edge once reset is released. simctrl raises its exit pulse one cycle
// before the store that wrote the exit register completes and retires; the run ends when that
// store's record has been seen (at most a few cycles later), so the record stream is complete.
static void sample(tsim_ctrl *c) {
  Vctrl *t = c->top;
  if (c->exit_pending) {
    if ((t->rvfi_valid_o && t->rvfi_mem_wstrb_o) || ++c->exit_wait > 16) c->state = TSIM_CTRL_EXITED;
  }
  if (t->rvfi_valid_o) {
    if (!t->rvfi_trap_o) c->instret++;
    c->last_pc = t->rvfi_pc_o;
    c->last_trap = t->rvfi_trap_o;
    if (c->record) {
      tsim_retire r;
      r.order = c->order;
      r.pc = t->rvfi_pc_o;
      r.insn = t->rvfi_insn_o;
      r.rd = t->rvfi_rd_o;
      r.rd_value = t->rvfi_rd_value_o;
      r.mem_wstrb = t->rvfi_mem_wstrb_o;
      r.mem_addr = t->rvfi_mem_addr_o;
      r.mem_wdata = t->rvfi_mem_wdata_o;
      r.trap = t->rvfi_trap_o;
      r.cause = t->rvfi_cause_o;
      r.tval = t->rvfi_tval_o;
      c->retired.push_back(r);
    }
    c->order++;
  }
  if (t->console_valid_o) c->console.push_back(static_cast<char>(t->console_char_o));
  if (t->exit_valid_o && !c->exit_pending) {
    c->exit_pending = true;
    c->exit_code = t->exit_code_o;
  } else if (t->fault_valid_o) {
    c->state = TSIM_CTRL_FAULT;
    c->fault_addr = t->fault_addr_o;
    c->fault_pc = t->fault_pc_o;
    uint32_t off = 0;
    const bool mapped = region(c->fault_addr, 1, &off) != 0 ||
                        c->fault_addr - TESSERA_SIMCTRL_BASE < TESSERA_SIMCTRL_SIZE ||
                        c->fault_addr - TESSERA_TIMER_BASE < TESSERA_TIMER_SIZE;
    if (c->fault_addr == c->fault_pc && t->fault_valid_o)
      std::snprintf(c->fault_msg, sizeof c->fault_msg,
                    "access fault: instruction fetch at 0x%08" PRIx32 " outside IMEM (pc 0x%08" PRIx32 ")",
                    c->fault_addr, c->fault_pc);
    else if (!mapped)
      std::snprintf(c->fault_msg, sizeof c->fault_msg,
                    "access fault: outside the memory map at address 0x%08" PRIx32 " (pc 0x%08" PRIx32 ")",
                    c->fault_addr, c->fault_pc);
    else
      std::snprintf(c->fault_msg, sizeof c->fault_msg,
                    "access fault: bus error at %s (address 0x%08" PRIx32 ", pc 0x%08" PRIx32 ")",
                    reg_name(c->fault_addr), c->fault_addr, c->fault_pc);
  }
}

// One clock period: rising edge (outputs of the registered stages are sampled after it), then the
// falling edge.
static inline void tick(tsim_ctrl *c) {
  Vctrl *t = c->top;
  t->clk_i = 1;
  t->eval();
  if (c->fst) c->fst->dump(c->edges * 2);
  if (t->rst_ni) {
    c->cycles++;
    sample(c);
  }
  t->clk_i = 0;
  t->eval();
  if (c->fst) c->fst->dump(c->edges * 2 + 1);
  c->edges++;
}

static void hold_reset(tsim_ctrl *c) {
  Vctrl *t = c->top;
  t->rst_ni = 0;
  t->clk_i = 0;
  t->eval();
  for (int i = 0; i < 2; i++) tick(c);
}

static void start(tsim_ctrl *c) {
  if (c->started) return;
  c->started = true;
  c->top->rst_ni = 1;
  c->top->eval();
}

extern "C" tsim_ctrl *tsim_ctrl_open(const char *fst_path) {
  tsim_ctrl *c = new (std::nothrow) tsim_ctrl;
  if (!c) return nullptr;
  c->top = new (std::nothrow) Vctrl(&c->ctx, "ctrl");
  if (!c->top) {
    delete c;
    return nullptr;
  }
  if (fst_path) {
    c->ctx.traceEverOn(true);
    c->fst = new VerilatedFstC;
    c->top->trace(c->fst, 99);
    c->fst->open(fst_path);
    if (!c->fst->isOpen()) {
      tsim_ctrl_close(c);
      return nullptr;
    }
  }
  c->top->irq_ext_i = 0;
  for (uint32_t i = 0; i < TESSERA_IMEM_SIZE / 4; i++) imem(c)[i] = 0;
  for (uint32_t i = 0; i < TESSERA_DMEM_SIZE / 4; i++) dmem(c)[i] = 0;
  hold_reset(c);
  return c;
}

extern "C" void tsim_ctrl_close(tsim_ctrl *c) {
  if (!c) return;
  if (c->fst) {
    c->fst->close();
    delete c->fst;
  }
  if (c->top) c->top->final();
  delete c->top;
  delete c;
}

extern "C" int tsim_ctrl_mem_write(tsim_ctrl *c, uint32_t addr, const void *data, size_t len) {
  uint32_t off = 0;
  if (!c || (!data && len)) return -1;
  const int r = region(addr, len, &off);
  if (!r) return -1;
  auto &m = r == 1 ? imem(c) : dmem(c);
  const uint8_t *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < len; i++, off++) {
    const unsigned sh = (off & 3u) * 8u;
    m[off >> 2] = (m[off >> 2] & ~(0xffu << sh)) | ((uint32_t)p[i] << sh);
  }
  return 0;
}

extern "C" int tsim_ctrl_mem_read(tsim_ctrl *c, uint32_t addr, void *data, size_t len) {
  uint32_t off = 0;
  if (!c || (!data && len)) return -1;
  const int r = region(addr, len, &off);
  if (!r) return -1;
  auto &m = r == 1 ? imem(c) : dmem(c);
  uint8_t *p = static_cast<uint8_t *>(data);
  for (size_t i = 0; i < len; i++, off++) p[i] = (uint8_t)(m[off >> 2] >> ((off & 3u) * 8u));
  return 0;
}

extern "C" void tsim_ctrl_reset(tsim_ctrl *c) {
  if (!c) return;
  c->started = false;
  c->state = TSIM_CTRL_RUNNING;
  c->cycles = c->instret = c->order = 0;
  c->exit_code = c->fault_addr = c->fault_pc = c->last_pc = 0;
  c->last_trap = false;
  c->exit_pending = false;
  c->exit_wait = 0;
  c->fault_msg[0] = '\0';
  c->console.clear();
  c->retired.clear();
  hold_reset(c);
}

extern "C" tsim_ctrl_state tsim_ctrl_step(tsim_ctrl *c) {
  if (!c) return TSIM_CTRL_FAULT;
  if (c->state != TSIM_CTRL_RUNNING) return c->state;
  start(c);
  tick(c);
  return c->state;
}

extern "C" tsim_ctrl_state tsim_ctrl_run(tsim_ctrl *c, uint64_t max_cycles) {
  if (!c) return TSIM_CTRL_FAULT;
  if (c->state != TSIM_CTRL_RUNNING) return c->state;
  start(c);
  for (uint64_t i = 0; i < max_cycles && c->state == TSIM_CTRL_RUNNING; i++) tick(c);
  return c->state == TSIM_CTRL_RUNNING ? TSIM_CTRL_MAX_CYCLES : c->state;
}

extern "C" tsim_ctrl_state tsim_ctrl_get_state(const tsim_ctrl *c) { return c ? c->state : TSIM_CTRL_FAULT; }
extern "C" uint32_t tsim_ctrl_exit_code(const tsim_ctrl *c) { return c ? c->exit_code : 0; }

extern "C" int tsim_ctrl_fault(const tsim_ctrl *c, uint32_t *addr, uint32_t *pc) {
  if (!c || c->state != TSIM_CTRL_FAULT) return 0;
  if (addr) *addr = c->fault_addr;
  if (pc) *pc = c->fault_pc;
  return 1;
}

extern "C" const char *tsim_ctrl_fault_msg(const tsim_ctrl *c) { return c ? c->fault_msg : ""; }

extern "C" size_t tsim_ctrl_console(tsim_ctrl *c, char *buf, size_t cap) {
  if (!c || !buf) return 0;
  size_t n = c->console.size() < cap ? c->console.size() : cap;
  std::memcpy(buf, c->console.data(), n);
  c->console.erase(0, n);
  return n;
}

extern "C" uint64_t tsim_ctrl_cycles(const tsim_ctrl *c) { return c ? c->cycles : 0; }
extern "C" uint32_t tsim_ctrl_pc(const tsim_ctrl *c) { return c ? c->last_pc : 0; }
extern "C" int tsim_ctrl_last_trap(const tsim_ctrl *c) { return c && c->last_trap ? 1 : 0; }
extern "C" uint64_t tsim_ctrl_instret(const tsim_ctrl *c) { return c ? c->instret : 0; }

extern "C" int tsim_ctrl_irq_enabled(const tsim_ctrl *c, uint32_t *mie) {
  if (!c) return 0;
  const auto &t = c->top->rootp->vlSymsp->TOP__tessera_ctrl_top;
  if (mie) *mie = (t.u_core__DOT__mie_mtie_q ? 0x80u : 0u) | (t.u_core__DOT__mie_meie_q ? 0x800u : 0u);
  return t.u_core__DOT__mstatus_mie_q ? 1 : 0;
}

extern "C" void tsim_ctrl_set_irq(tsim_ctrl *c, int level) {
  if (c) c->top->irq_ext_i = level ? 1 : 0;
}

extern "C" void tsim_ctrl_record(tsim_ctrl *c, int on) {
  if (c) c->record = on != 0;
}

extern "C" int tsim_ctrl_retire_next(tsim_ctrl *c, struct tsim_retire *r) {
  if (!c || !r || c->retired.empty()) return 0;
  *r = c->retired.front();
  c->retired.pop_front();
  return 1;
}
