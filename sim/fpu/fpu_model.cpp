// Verilator harness for tnum_fpu_top (rtl/fpu/) behind the plain C API of tsim_fpu.h.
// tsim_fpu_run streams one operation per cycle into the top and collects results from its
// output end while later operations are still going in: n operations take n + Latency - 1
// cycles. One eval per clock edge; FST tracing only when tsim_fpu_open is given a file.
#include "tsim_fpu.h"

#include <new>

#include "Vfpu.h"
#include "verilated.h"
#include "verilated_fst_c.h"

struct tsim_fpu {
  VerilatedContext ctx;
  Vfpu *top = nullptr;
  VerilatedFstC *fst = nullptr;
  uint64_t cycles = 0;  // rising edges since reset release
  uint64_t edges = 0;   // all rising edges, for trace time
};

// One clock period: rising edge, then falling edge. Verilator detects an edge by comparing with
// the level seen at the previous eval, so the falling edge must be evaluated too.
static inline void tick(tsim_fpu *f) {
  Vfpu *t = f->top;
  t->clk_i = 1;
  t->eval();
  if (f->fst) f->fst->dump(f->edges * 2);
  if (t->rst_ni) f->cycles++;
  t->clk_i = 0;
  t->eval();
  if (f->fst) f->fst->dump(f->edges * 2 + 1);
  f->edges++;
}

extern "C" tsim_fpu *tsim_fpu_open(const char *fst_path) {
  tsim_fpu *f = new (std::nothrow) tsim_fpu;
  if (!f) return nullptr;
  f->top = new (std::nothrow) Vfpu(&f->ctx, "fpu");
  if (!f->top) {
    delete f;
    return nullptr;
  }
  if (fst_path) {
    f->ctx.traceEverOn(true);
    f->fst = new (std::nothrow) VerilatedFstC;
    if (!f->fst) {
      tsim_fpu_close(f);
      return nullptr;
    }
    f->top->trace(f->fst, 99);
    f->fst->open(fst_path);
    if (!f->fst->isOpen()) {
      tsim_fpu_close(f);
      return nullptr;
    }
  }
  Vfpu *t = f->top;
  t->clk_i = 0;
  t->rst_ni = 0;
  t->in_valid_i = 0;
  t->op_i = 0;
  t->a_i = 0;
  t->b_i = 0;
  t->c_i = 0;
  t->eval();
  for (int i = 0; i < 4; i++) tick(f);
  t->rst_ni = 1;
  t->eval();
  return f;
}

extern "C" void tsim_fpu_close(tsim_fpu *f) {
  if (!f) return;
  if (f->fst) {
    f->fst->close();
    delete f->fst;
  }
  if (f->top) f->top->final();
  delete f->top;
  delete f;
}

// More cycles than any unit's latency: waiting longer for a result means the RTL lost it.
static const unsigned kMaxLatency = 256;

// Result bits of each op (fpu_ops.h), to mask what the RTL zero-extends anyway.
static const uint32_t op_bits[TNUM_OP_COUNT] = {
#define TSIM_FPU_RBITS(id, name, nargs, a, b, c, r) r,
    TNUM_OPS(TSIM_FPU_RBITS)
#undef TSIM_FPU_RBITS
};
static const int op_nargs[TNUM_OP_COUNT] = {
#define TSIM_FPU_NARGS(id, name, nargs, a, b, c, r) nargs,
    TNUM_OPS(TSIM_FPU_NARGS)
#undef TSIM_FPU_NARGS
};

extern "C" tsim_fpu_status tsim_fpu_run(tsim_fpu *f, enum tnum_op op, size_t n, const uint32_t *a,
                                        const uint32_t *b, const uint32_t *c, uint32_t *r) {
  if (!f || (unsigned)op >= TNUM_OP_COUNT) return TSIM_FPU_ERR_ARG;
  if (n > 0 && (!r || !a || (op_nargs[op] >= 2 && !b) || (op_nargs[op] >= 3 && !c))) return TSIM_FPU_ERR_ARG;
  Vfpu *t = f->top;
  t->eval();
  if (!((t->supported_o >> op) & 1u)) return TSIM_FPU_UNSUPPORTED;
  const uint32_t mask = op_bits[op] >= 32 ? 0xffffffffu : ((1u << op_bits[op]) - 1u);
  t->op_i = static_cast<uint8_t>(op);
  size_t in = 0, out = 0;
  unsigned drain = 0;  // cycles since the last operation went in
  // Feed one operation per cycle; collect every result that leaves the pipeline. No allocation,
  // no trace work unless a trace is open: two evals per cycle is all the per-op cost.
  while (out < n) {
    if (in < n) {
      t->in_valid_i = 1;
      t->a_i = a[in];
      t->b_i = op_nargs[op] >= 2 ? b[in] : 0;
      t->c_i = op_nargs[op] >= 3 ? c[in] : 0;
      in++;
    } else {
      t->in_valid_i = 0;
      // Every unit answers within the top's fixed latency; a pipeline that stops answering
      // (an RTL bug) ends the run instead of hanging it.
      if (++drain > kMaxLatency) {
        t->in_valid_i = 0;
        return TSIM_FPU_UNSUPPORTED;
      }
    }
    tick(f);
    if (t->out_valid_o) r[out++] = t->result_o & mask;
  }
  t->in_valid_i = 0;
  return TSIM_FPU_OK;
}

extern "C" uint64_t tsim_fpu_cycles(const tsim_fpu *f) { return f ? f->cycles : 0; }
