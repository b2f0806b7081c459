// Verilator harness for tessera_simctrl behind the plain C API of tsim_simctrl.h.
#include "tsim_simctrl.h"
#include "tessera/gen/map.h"

#include <cstring>
#include <new>
#include <string>

#include "Vsimctrl.h"
#include "verilated.h"
#include "verilated_fst_c.h"

struct tsim_simctrl {
  VerilatedContext ctx;
  Vsimctrl *top = nullptr;
  VerilatedFstC *fst = nullptr;
  uint64_t cycles = 0;  // rising edges since reset release
  uint64_t edges = 0;   // all rising edges, for trace time
  std::string console;
  bool exited = false;
  uint32_t exit_code = 0;
};

// One clock period: rising edge, then falling edge. Side-effect pulses are sampled after the
// rising edge that registers them.
static void tick(tsim_simctrl *s) {
  Vsimctrl *t = s->top;
  t->clk_i = 1;
  t->eval();
  if (s->fst) s->fst->dump(s->edges * 2);
  if (t->rst_ni) {
    s->cycles++;
    if (t->console_valid_o) s->console.push_back(static_cast<char>(t->console_char_o));
    if (t->exit_valid_o && !s->exited) {
      s->exited = true;
      s->exit_code = t->exit_code_o;
    }
  }
  t->clk_i = 0;
  t->eval();
  if (s->fst) s->fst->dump(s->edges * 2 + 1);
  s->edges++;
}

extern "C" tsim_simctrl *tsim_simctrl_open(const char *fst_path) {
  tsim_simctrl *s = new (std::nothrow) tsim_simctrl;
  if (!s) return nullptr;
  s->top = new (std::nothrow) Vsimctrl(&s->ctx, "simctrl");
  if (!s->top) {
    delete s;
    return nullptr;
  }
  if (fst_path) {
    s->ctx.traceEverOn(true);
    s->fst = new VerilatedFstC;
    s->top->trace(s->fst, 99);
    s->fst->open(fst_path);
    if (!s->fst->isOpen()) {
      tsim_simctrl_close(s);
      return nullptr;
    }
  }
  Vsimctrl *t = s->top;
  t->clk_i = 0;
  t->rst_ni = 0;
  t->bus_valid_i = 0;
  t->bus_addr_i = 0;
  t->bus_wstrb_i = 0;
  t->bus_wdata_i = 0;
  t->eval();
  for (int i = 0; i < 4; i++) tick(s);
  t->rst_ni = 1;
  t->eval();
  return s;
}

extern "C" void tsim_simctrl_close(tsim_simctrl *s) {
  if (!s) return;
  if (s->fst) {
    s->fst->close();
    delete s->fst;
  }
  if (s->top) s->top->final();
  delete s->top;
  delete s;
}

static bool strobe_ok(uint8_t w) {
  return w == 0x1 || w == 0x2 || w == 0x4 || w == 0x8 || w == 0x3 || w == 0xC || w == 0xF;
}

// Present one request and hold it until ready (docs/bus.md); the transfer completes on the
// rising edge at which valid and ready are both high.
static tsim_status access(tsim_simctrl *s, uint32_t offset, uint8_t wstrb, uint32_t wdata, uint32_t *rdata) {
  if (offset >= TESSERA_SIMCTRL_SIZE) return TSIM_ERR_ARG;
  Vsimctrl *t = s->top;
  t->bus_valid_i = 1;
  t->bus_addr_i = offset;
  t->bus_wstrb_i = wstrb;
  t->bus_wdata_i = wdata;
  t->eval();
  for (uint32_t n = 0; n < TSIM_BUS_TIMEOUT; n++) {
    if (t->bus_ready_o) {
      bool err = t->bus_err_o;
      if (rdata) *rdata = err ? 0 : t->bus_rdata_o;
      tick(s);
      t->bus_valid_i = 0;
      t->bus_wstrb_i = 0;
      t->eval();
      return err ? TSIM_ERR_BUS : TSIM_OK;
    }
    tick(s);
  }
  t->bus_valid_i = 0;
  t->eval();
  return TSIM_ERR_TIMEOUT;
}

extern "C" tsim_status tsim_simctrl_write(tsim_simctrl *s, uint32_t offset, uint32_t data, uint8_t wstrb) {
  if (!s || !strobe_ok(wstrb)) return TSIM_ERR_ARG;
  return access(s, offset, wstrb, data, nullptr);
}

extern "C" tsim_status tsim_simctrl_read(tsim_simctrl *s, uint32_t offset, uint32_t *data) {
  if (!s || !data) return TSIM_ERR_ARG;
  return access(s, offset, 0, 0, data);
}

extern "C" void tsim_simctrl_step(tsim_simctrl *s, uint64_t cycles) {
  for (uint64_t i = 0; s && i < cycles; i++) tick(s);
}

extern "C" uint64_t tsim_simctrl_cycles(const tsim_simctrl *s) { return s ? s->cycles : 0; }

extern "C" size_t tsim_simctrl_console(tsim_simctrl *s, char *buf, size_t cap) {
  if (!s || !buf) return 0;
  size_t n = s->console.size() < cap ? s->console.size() : cap;
  std::memcpy(buf, s->console.data(), n);
  s->console.erase(0, n);
  return n;
}

extern "C" int tsim_simctrl_exited(const tsim_simctrl *s, uint32_t *code) {
  if (!s || !s->exited) return 0;
  if (code) *code = s->exit_code;
  return 1;
}

extern "C" const char *tsim_status_str(tsim_status st) {
  switch (st) {
    case TSIM_OK: return "ok";
    case TSIM_ERR_BUS: return "bus error";
    case TSIM_ERR_TIMEOUT: return "bus timeout";
    case TSIM_ERR_ARG: return "bad argument";
    case TSIM_ERR_IO: return "cannot open trace file";
  }
  return "unknown status";
}
