// Verilator harness for the compute tile (rtl/tile/ttile_top.sv) behind the C API of tsim_tile.h.
#include "tsim_tile.h"

#include <new>

#include "tessera/gen/map.h"

#include "Vtile.h"
#include "verilated.h"
#include "verilated_fst_c.h"

struct tsim_tile {
  VerilatedContext ctx;
  Vtile *top = nullptr;
  VerilatedFstC *fst = nullptr;
  uint64_t edges = 0;
};

// One clock period. Verilator detects an edge against the level of the previous eval, so the
// falling edge is evaluated too.
static inline void tick(tsim_tile *s) {
  Vtile *t = s->top;
  t->clk_i = 1;
  t->eval();
  if (s->fst) s->fst->dump(s->edges * 2);
  t->clk_i = 0;
  t->eval();
  if (s->fst) s->fst->dump(s->edges * 2 + 1);
  s->edges++;
}

// Ports of n 32-bit words: a plain integer up to 64 bits, a VlWide above.
template <std::size_t N>
static void put_words(VlWide<N> &w, const uint32_t *src, unsigned n) {
  for (unsigned i = 0; i < n && i < N; i++) w[i] = src[i];
}
static void put_words(QData &w, const uint32_t *src, unsigned n) {
  w = src[0] | (n > 1 ? (uint64_t)src[1] << 32 : 0);
}
static void put_words(IData &w, const uint32_t *src, unsigned) { w = src[0]; }
template <std::size_t N>
static void get_words(const VlWide<N> &w, uint32_t *dst, unsigned n) {
  for (unsigned i = 0; i < n && i < N; i++) dst[i] = w[i];
}
static void get_words(QData w, uint32_t *dst, unsigned n) {
  dst[0] = (uint32_t)w;
  if (n > 1) dst[1] = (uint32_t)(w >> 32);
}
static void get_words(IData w, uint32_t *dst, unsigned) { dst[0] = w; }

extern "C" tsim_tile *tsim_tile_open(const char *fst_path) {
  tsim_tile *s = new (std::nothrow) tsim_tile;
  if (!s) return nullptr;
  s->top = new (std::nothrow) Vtile(&s->ctx, "tile");
  if (!s->top) {
    delete s;
    return nullptr;
  }
  if (fst_path) {
    s->ctx.traceEverOn(true);
    s->fst = new (std::nothrow) VerilatedFstC;
    if (!s->fst) {
      tsim_tile_close(s);
      return nullptr;
    }
    s->top->trace(s->fst, 99);
    s->fst->open(fst_path);
    if (!s->fst->isOpen()) {
      tsim_tile_close(s);
      return nullptr;
    }
  }
  Vtile *t = s->top;
  t->clk_i = 0;
  t->rst_ni = 0;
  t->start_i = 0;
  t->bk_we_i = 0;
  t->bk_re_i = 0;
  t->wb_we_i = 0;
  t->gb_we_i = 0;
  t->gb_re_i = 0;
  t->clr_i = 0;
  t->si_en_i = 0;
  t->si_valid_i = 0;
  t->so_en_i = 0;
  t->so_ready_i = 0;
  t->eval();
  for (int i = 0; i < 4; i++) tick(s);
  t->rst_ni = 1;
  t->eval();
  return s;
}

extern "C" void tsim_tile_close(tsim_tile *s) {
  if (!s) return;
  if (s->fst) {
    s->fst->close();
    delete s->fst;
  }
  if (s->top) s->top->final();
  delete s->top;
  delete s;
}

extern "C" void tsim_tile_bank_write(tsim_tile *s, uint32_t addr, const uint32_t *lanes) {
  Vtile *t = s->top;
  t->bk_we_i = 1;
  t->bk_addr_i = addr;
  put_words(t->bk_wdata_i, lanes, TESSERA_CFG_LANES);
  tick(s);
  t->bk_we_i = 0;
}

extern "C" void tsim_tile_bank_read(tsim_tile *s, uint32_t addr, uint32_t *lanes) {
  Vtile *t = s->top;
  t->bk_re_i = 1;
  t->bk_addr_i = addr;
  tick(s);
  t->bk_re_i = 0;
  t->eval();
  get_words(t->bk_rdata_o, lanes, TESSERA_CFG_LANES);
}

extern "C" void tsim_tile_wbuf_write(tsim_tile *s, uint32_t g, uint32_t hdr, const uint32_t *slots) {
  Vtile *t = s->top;
  t->wb_we_i = 1;
  t->wb_addr_i = g;
  t->wb_hdr_i = hdr;
  put_words(t->wb_slots_i, slots, TESSERA_CFG_NNZ_PER_CYCLE);
  tick(s);
  t->wb_we_i = 0;
}

extern "C" void tsim_tile_gbuf_write(tsim_tile *s, uint32_t g, const uint32_t *slots) {
  Vtile *t = s->top;
  t->gb_we_i = 1;
  t->gb_addr_i = g;
  put_words(t->gb_wdata_i, slots, TESSERA_CFG_NNZ_PER_CYCLE);
  tick(s);
  t->gb_we_i = 0;
}

extern "C" void tsim_tile_gbuf_read(tsim_tile *s, uint32_t g, uint32_t *slots) {
  Vtile *t = s->top;
  t->gb_re_i = 1;
  t->gb_addr_i = g;
  tick(s);
  t->gb_re_i = 0;
  t->eval();
  get_words(t->gb_rdata_o, slots, TESSERA_CFG_NNZ_PER_CYCLE);
}

static void put_desc(Vtile *t, const struct tsim_tile_desc *d) {
  const uint32_t kr = d->kernel;
  t->kernel_i = (kr & TESSERA_TILE_KERNEL_CODE_MASK) >> TESSERA_TILE_KERNEL_CODE_SHIFT;
  t->epi_bias_i = (kr & TESSERA_TILE_KERNEL_EPI_BIAS_MASK) != 0;
  t->epi_gelu_i = (kr & TESSERA_TILE_KERNEL_EPI_GELU_MASK) != 0;
  t->epi_residual_i = (kr & TESSERA_TILE_KERNEL_EPI_RESIDUAL_MASK) != 0;
  t->epi_scale_i = (kr & TESSERA_TILE_KERNEL_EPI_SCALE_MASK) != 0;
  t->cast_bf16_i = (kr & TESSERA_TILE_KERNEL_CAST_BF16_MASK) != 0;
  t->causal_i = (kr & TESSERA_TILE_KERNEL_CAUSAL_MASK) != 0;
  t->k_i = d->k;
  t->kn_i = d->kn;
  t->ntok_i = d->ntok;
  t->tpl_i = d->tpl;
  t->ngroups_i = d->ngroups;
  t->off_a_i = d->off_a;
  t->off_b_i = d->off_b;
  t->off_c_i = d->off_c;
  t->off_d_i = d->off_d;
  t->cols_i = d->cols;
  t->param_i = d->param;
  t->row0_i = d->row0;
  put_words(t->s_i, d->s, 7);
}

extern "C" int tsim_tile_run(tsim_tile *s, const struct tsim_tile_desc *d, uint64_t max_cycles) {
  Vtile *t = s->top;
  put_desc(t, d);
  t->start_i = 1;
  tick(s);
  t->start_i = 0;
  for (uint64_t n = 0; n < max_cycles; n++) {
    if (!t->busy_o) return 0;
    tick(s);
  }
  return t->busy_o ? -1 : 0;
}

extern "C" int tsim_tile_run_ports(tsim_tile *s, const struct tsim_tile_desc *d, const struct tsim_tile_source *src,
                                   struct tsim_tile_sink *snk, uint64_t max_cycles) {
  Vtile *t = s->top;
  put_desc(t, d);
  t->si_en_i = src != nullptr;
  t->so_en_i = snk != nullptr;
  if (src && src->taken_at)
    for (uint32_t b = 0; b < src->nbeats; b++) src->taken_at[b] = UINT64_MAX;
  if (snk && snk->taken_at)
    for (uint32_t b = 0; b < snk->cap; b++) snk->taken_at[b] = UINT64_MAX;
  t->start_i = 1;
  tick(s);
  t->start_i = 0;
  uint32_t in_taken = 0, out_taken = 0;
  if (snk) snk->taken = 0;
  int rc = -1;
  // Cycle n of the run: the source's beat `in_taken` is valid from its valid time on (valid_at, or
  // in_taken * period), and the sink is ready for the tile's beat `out_taken` from its ready time on
  // (ready_at, or out_taken * period). The tile's si_ready_o and so_valid_o are functions of its
  // registers alone, so both takes at this cycle's edge are known before the edge.
  for (uint64_t n = 0; n <= max_cycles; n++) {
    if (!t->busy_o) {
      rc = 0;
      break;
    }
    if (n == max_cycles) break;
    const bool valid = src && in_taken < src->nbeats &&
                       n >= (src->valid_at ? src->valid_at[in_taken] : (uint64_t)in_taken * src->period);
    t->si_valid_i = valid;
    if (valid) {
      t->si_hdr_i = src->hdr[in_taken];
      put_words(t->si_slots_i, src->slots + (size_t)in_taken * TESSERA_CFG_NNZ_PER_CYCLE, TESSERA_CFG_NNZ_PER_CYCLE);
    }
    const bool ready = snk && (snk->ready_at ? out_taken < snk->cap && n >= snk->ready_at[out_taken]
                                              : n >= (uint64_t)out_taken * snk->period);
    t->so_ready_i = ready;
    const bool take_in = valid && t->si_ready_o;
    const bool take_out = ready && t->so_valid_o;
    if (take_in && src->taken_at) src->taken_at[in_taken] = n;
    if (take_out && out_taken < snk->cap) {
      snk->hdr[out_taken] = t->so_hdr_o;
      get_words(t->so_slots_o, snk->slots + (size_t)out_taken * TESSERA_CFG_NNZ_PER_CYCLE, TESSERA_CFG_NNZ_PER_CYCLE);
      if (snk->taken_at) snk->taken_at[out_taken] = n;
    }
    tick(s);
    if (take_in) in_taken++;
    if (take_out) out_taken++;
  }
  if (snk) snk->taken = out_taken;
  t->si_valid_i = 0;
  t->si_en_i = 0;
  t->so_ready_i = 0;
  t->so_en_i = 0;
  t->eval();
  return rc;
}

// One side of a link: its tile, its runs in order, the next to start, whether one is on.
struct link_side {
  tsim_tile *s;
  struct tsim_tile_run *runs;
  uint32_t n, next;
  bool on;
  struct tsim_tile_counters base;
};

// At the start of link cycle g: a run that has ended (busy_o low again) is recorded; the next run
// starts (start_i high in this cycle) once the tile is free and g >= its requested cycle - 1.
static void side_step(link_side *sd, int64_t g) {
  Vtile *t = sd->s->top;
  t->start_i = 0;
  if (sd->on && !t->busy_o) {
    struct tsim_tile_run *r = &sd->runs[sd->next - 1];
    struct tsim_tile_counters c;
    tsim_tile_counters(sd->s, &c);
    r->ended = g - 1;
    r->code = t->code_o;
    r->ctr.busy = c.busy - sd->base.busy, r->ctr.macs = c.macs - sd->base.macs;
    r->ctr.conflict = c.conflict - sd->base.conflict, r->ctr.starved = c.starved - sd->base.starved;
    r->ctr.memory = c.memory - sd->base.memory, r->ctr.backpressure = c.backpressure - sd->base.backpressure;
    sd->on = false;
  }
  if (!sd->on && sd->next < sd->n && g >= sd->runs[sd->next].at - 1) {
    struct tsim_tile_run *r = &sd->runs[sd->next++];
    put_desc(t, &r->d);
    t->start_i = 1;
    r->began = g + 1;
    tsim_tile_counters(sd->s, &sd->base);
    sd->on = true;
  }
}

extern "C" int tsim_tile_run_link_runs(tsim_tile *ps, struct tsim_tile_run *pr, uint32_t npr, tsim_tile *cs,
                                       struct tsim_tile_run *cr, uint32_t ncr, struct tsim_tile_sink *snk,
                                       uint64_t *in_taken_at, uint32_t in_cap, uint64_t max_cycles) {
  Vtile *p = ps->top, *c = cs->top;
  p->so_en_i = 1;
  p->si_en_i = 0;
  c->si_en_i = 1;
  c->so_en_i = 0;
  for (uint32_t b = 0; snk->taken_at && b < snk->cap; b++) snk->taken_at[b] = UINT64_MAX;
  for (uint32_t b = 0; in_taken_at && b < in_cap; b++) in_taken_at[b] = UINT64_MAX;
  for (uint32_t i = 0; i < npr; i++) pr[i].began = pr[i].ended = -1, pr[i].code = 0;
  for (uint32_t i = 0; i < ncr; i++) cr[i].began = cr[i].ended = -1, cr[i].code = 0;
  snk->taken = 0;
  link_side sp = {ps, pr, npr, 0, false, {}}, sc = {cs, cr, ncr, 0, false, {}};
  int rc = -1;
  for (uint64_t g = 0; g <= max_cycles; g++) {
    side_step(&sp, (int64_t)g);
    side_step(&sc, (int64_t)g);
    if (!sp.on && !sc.on && sp.next == npr && sc.next == ncr) {
      rc = 0;
      break;
    }
    if (g == max_cycles) break;
    // The wires: so_valid_o and si_ready_o are functions of each tile's registers alone.
    const bool valid = p->so_valid_o, ready = c->si_ready_o;
    c->si_valid_i = valid;
    c->si_hdr_i = p->so_hdr_o;
    c->si_slots_i = p->so_slots_o;
    p->so_ready_i = ready;
    if (valid && ready) {
      uint32_t b = snk->taken;
      if (b < snk->cap) {
        snk->hdr[b] = p->so_hdr_o;
        get_words(p->so_slots_o, snk->slots + (size_t)b * TESSERA_CFG_NNZ_PER_CYCLE, TESSERA_CFG_NNZ_PER_CYCLE);
        if (snk->taken_at) snk->taken_at[b] = g;
      }
      if (in_taken_at && b < in_cap) in_taken_at[b] = g;
      snk->taken++;
    }
    tick(ps);
    tick(cs);
  }
  p->start_i = c->start_i = 0;
  c->si_valid_i = 0;
  c->si_en_i = 0;
  p->so_ready_i = 0;
  p->so_en_i = 0;
  p->eval();
  c->eval();
  return rc;
}

extern "C" int tsim_tile_run_link(tsim_tile *ps, const struct tsim_tile_desc *pd, tsim_tile *cs,
                                  const struct tsim_tile_desc *cd, int64_t offset, struct tsim_tile_sink *snk,
                                  uint64_t *in_taken_at, uint32_t in_cap, uint64_t max_cycles) {
  // The producer's first busy cycle at link cycle base, the consumer's at base + offset, both >= 1.
  const int64_t base = offset < 0 ? 1 - offset : 1;
  struct tsim_tile_run pr = {*pd, base, 0, 0, 0, {}}, cr = {*cd, base + offset, 0, 0, 0, {}};
  int rc = tsim_tile_run_link_runs(ps, &pr, 1, cs, &cr, 1, snk, in_taken_at, in_cap, max_cycles);
  for (uint32_t b = 0; snk->taken_at && b < snk->cap; b++)
    if (snk->taken_at[b] != UINT64_MAX) snk->taken_at[b] -= (uint64_t)base;
  for (uint32_t b = 0; in_taken_at && b < in_cap; b++)
    if (in_taken_at[b] != UINT64_MAX) in_taken_at[b] -= (uint64_t)(base + offset);
  return rc;
}

extern "C" int tsim_tile_run_stream(tsim_tile *s, const struct tsim_tile_desc *d, const uint32_t *hdr,
                                    const uint32_t *slots, uint32_t nbeats, uint32_t period, uint64_t max_cycles) {
  const struct tsim_tile_source src = {hdr, slots, nbeats, period, nullptr, nullptr};
  return tsim_tile_run_ports(s, d, &src, nullptr, max_cycles);
}

extern "C" uint32_t tsim_tile_code(const tsim_tile *s) { return s->top->code_o; }

extern "C" void tsim_tile_counters(const tsim_tile *s, struct tsim_tile_counters *c) {
  const Vtile *t = s->top;
  c->busy = t->cnt_busy_o;
  c->macs = t->cnt_macs_o;
  c->conflict = t->cnt_conflict_o;
  c->starved = t->cnt_starved_o;
  c->memory = t->cnt_memory_o;
  c->backpressure = t->cnt_backpressure_o;
}

extern "C" void tsim_tile_clear_counters(tsim_tile *s) {
  s->top->clr_i = 1;
  tick(s);
  s->top->clr_i = 0;
}

extern "C" uint64_t tsim_tile_sim_cycles(const tsim_tile *s) { return s ? s->edges : 0; }
