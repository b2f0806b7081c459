/* tiss: instruction-set simulator of the Tessera controller (RV32IM + Zicsr, machine mode).
 * One switch-decoded interpreter serves both the recording path (tiss_step, for tests and lock-step
 * co-simulation) and the fast path (tiss_run); docs/firmware.md describes the behaviour. */
#include "tiss.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/map.h"

#define MSTATUS_MIE 0x8u
#define MSTATUS_MPIE 0x80u
#define MSTATUS_MPP 0x1800u
#define MIP_MTIP 0x80u
#define MIP_MEIP 0x800u
#define MIE_MASK (MIP_MTIP | MIP_MEIP)

enum { CAUSE_MISALIGNED_FETCH = 0, CAUSE_ILLEGAL = 2, CAUSE_BREAKPOINT = 3, CAUSE_MISALIGNED_LOAD = 4,
       CAUSE_MISALIGNED_STORE = 6, CAUSE_ECALL_M = 11 };

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#define ALWAYS_INLINE inline
#endif

struct tiss {
  uint32_t x[32];
  uint32_t pc;
  uint64_t cycles;   /* estimated cycles since reset (the simctrl cycle counter) */
  uint64_t instret;  /* instructions retired since reset */
  uint64_t stop_at;  /* the fast loop leaves when cycles >= stop_at (interrupt, limit, state change) */
  uint64_t max_cycles;
  uint64_t irq_at;   /* earliest cycle at which an enabled interrupt can be taken */
  uint64_t order;    /* records produced by tiss_step / tiss_take_interrupt */
  uint64_t mcycle_off, minstret_off, mtime_off, mtimecmp;
  uint32_t mstatus, mtvec, mepc, mcause, mtval, mie, mscratch;
  uint32_t simctrl_cycle_hi;
  unsigned load_rd; /* rd of the previous instruction if it was a load (load-use penalty) */
  int ext_irq, cosim, sleeping, timing_read;
  tiss_state state;
  uint32_t exit_code;
  uint8_t *imem, *dmem;
  char *con;
  size_t con_len, con_cap;
  void (*con_fn)(void *ctx, char c);
  void *con_ctx;
  tiss_bus_read_fn bus_rd; /* device bus beyond the ISS's own blocks, or NULL */
  tiss_bus_write_fn bus_wr;
  void *bus_ctx;
  int stop_req; /* tiss_request_stop: leave tiss_run after this instruction */
  char err[256];
};

/* ---- helpers -------------------------------------------------------------------------------- */

static void set_msg(tiss *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(tiss *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->err, sizeof s->err, fmt, ap);
  va_end(ap);
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

static uint64_t mtime_now(const tiss *s) { return s->cycles + s->mtime_off; }

static uint32_t mip_now(const tiss *s) {
  return (mtime_now(s) >= s->mtimecmp ? MIP_MTIP : 0u) | (s->ext_irq ? MIP_MEIP : 0u);
}

/* The cycle at which the timer interrupt becomes pending (now if it is). */
static uint64_t timer_due(const tiss *s) {
  uint64_t t = mtime_now(s);
  return s->mtimecmp <= t ? s->cycles : sat_add(s->cycles, s->mtimecmp - t);
}

static void update_stop(tiss *s) {
  uint64_t at = UINT64_MAX;
  if (!s->cosim && (s->mstatus & MSTATUS_MIE)) {
    if (s->ext_irq && (s->mie & MIP_MEIP)) at = 0;
    else if (s->mie & MIP_MTIP) at = timer_due(s);
  }
  s->irq_at = at;
  s->stop_at = s->state != TISS_RUNNING || s->sleeping || s->stop_req ? 0 : (at < s->max_cycles ? at : s->max_cycles);
}

static void console_put(tiss *s, char c) {
  if (s->con_fn) {
    s->con_fn(s->con_ctx, c);
    return;
  }
  if (s->con_len == s->con_cap) {
    size_t cap = s->con_cap ? s->con_cap * 2 : 256;
    char *p = realloc(s->con, cap);
    if (!p) return; /* out of memory: the byte is lost, the simulation goes on */
    s->con = p, s->con_cap = cap;
  }
  s->con[s->con_len++] = c;
}

static void fault(tiss *s, const char *what, uint32_t addr) {
  set_msg(s, "%s at address 0x%08" PRIx32 " (pc 0x%08" PRIx32 ")", what, addr, s->pc);
  s->state = TISS_FAULT;
  s->stop_at = 0;
}

static void enter_trap(tiss *s, uint32_t cause, uint32_t tval) {
  s->mepc = s->pc;
  s->mcause = cause;
  s->mtval = tval;
  s->mstatus = (s->mstatus & MSTATUS_MIE) ? MSTATUS_MPIE : 0u;
  s->pc = s->mtvec;
  s->cycles += 1 + TISS_PENALTY_TRAP;
  s->load_rd = 0;
  s->sleeping = 0;
  update_stop(s);
}

/* ---- CSRs ----------------------------------------------------------------------------------- */

static int csr_get(const tiss *s, unsigned csr, uint32_t *v) {
  uint64_t c = s->cycles + s->mcycle_off, n = s->instret + s->minstret_off;
  switch (csr) {
  case TISS_CSR_MSTATUS: *v = s->mstatus | MSTATUS_MPP; break;
  case TISS_CSR_MISA: *v = TISS_MISA_RV32IM; break;
  case TISS_CSR_MIE: *v = s->mie; break;
  case TISS_CSR_MTVEC: *v = s->mtvec; break;
  case TISS_CSR_MSCRATCH: *v = s->mscratch; break;
  case TISS_CSR_MEPC: *v = s->mepc; break;
  case TISS_CSR_MCAUSE: *v = s->mcause; break;
  case TISS_CSR_MTVAL: *v = s->mtval; break;
  case TISS_CSR_MIP: *v = mip_now(s); break;
  case TISS_CSR_MCYCLE: case TISS_CSR_CYCLE: *v = (uint32_t)c; break;
  case TISS_CSR_MCYCLEH: case TISS_CSR_CYCLEH: *v = (uint32_t)(c >> 32); break;
  case TISS_CSR_MINSTRET: case TISS_CSR_INSTRET: *v = (uint32_t)n; break;
  case TISS_CSR_MINSTRETH: case TISS_CSR_INSTRETH: *v = (uint32_t)(n >> 32); break;
  case TISS_CSR_MVENDORID: case TISS_CSR_MARCHID: case TISS_CSR_MIMPID: case TISS_CSR_MHARTID:
    *v = 0;
    break;
  default: return -1;
  }
  return 0;
}

/* Write a writable CSR (existence and read-only checked by the caller). The counters take the
 * written value as the value after this instruction (its own increment is suppressed). */
static void csr_put(tiss *s, unsigned csr, uint32_t v) {
  uint64_t c = s->cycles + 1 + s->mcycle_off, n = s->instret + 1 + s->minstret_off;
  switch (csr) {
  case TISS_CSR_MSTATUS: s->mstatus = v & (MSTATUS_MIE | MSTATUS_MPIE); break;
  case TISS_CSR_MIE: s->mie = v & MIE_MASK; break;
  case TISS_CSR_MTVEC: s->mtvec = v & ~3u; break;
  case TISS_CSR_MSCRATCH: s->mscratch = v; break;
  case TISS_CSR_MEPC: s->mepc = v & ~3u; break;
  case TISS_CSR_MCAUSE: s->mcause = v; break;
  case TISS_CSR_MTVAL: s->mtval = v; break;
  case TISS_CSR_MCYCLE: c = (c & 0xffffffff00000000ull) | v; break;
  case TISS_CSR_MCYCLEH: c = (c & 0xffffffffull) | ((uint64_t)v << 32); break;
  case TISS_CSR_MINSTRET: n = (n & 0xffffffff00000000ull) | v; break;
  case TISS_CSR_MINSTRETH: n = (n & 0xffffffffull) | ((uint64_t)v << 32); break;
  default: break; /* misa, mip: WARL, writes ignored */
  }
  s->mcycle_off = c - (s->cycles + 1);
  s->minstret_off = n - (s->instret + 1);
}

/* ---- memory-mapped blocks ------------------------------------------------------------------- */

/* A load outside the ISS's own blocks goes to the device bus when there is one: the value comes back
 * right-aligned and is placed in its byte lanes of the word (the caller shifts it out again). */
static int bus_read(tiss *s, uint32_t addr, uint32_t size, uint32_t *v) {
  uint32_t x = 0, extra = 0;
  if (s->bus_rd(s->bus_ctx, addr, size, &x, &extra)) {
    fault(s, "bus error: load", addr);
    return -1;
  }
  *v = x << (addr & 3u) * 8u;
  s->cycles += extra;
  return 0;
}

/* Read the aligned word at addr from simctrl or the timer (or `size` bytes at addr from the device
 * bus). 0 on success, -1 after a fault. */
static int mmio_read(tiss *s, uint32_t addr, uint32_t size, uint32_t *v) {
  uint32_t w = addr & ~3u;
  if (w - TESSERA_SIMCTRL_BASE < TESSERA_SIMCTRL_SIZE) {
    switch (w - TESSERA_SIMCTRL_BASE) {
    case TESSERA_SIMCTRL_CYCLE_LO_OFFSET:
      *v = (uint32_t)s->cycles;
      s->simctrl_cycle_hi = (uint32_t)(s->cycles >> 32);
      s->timing_read = 1;
      return 0;
    case TESSERA_SIMCTRL_CYCLE_HI_OFFSET: *v = s->simctrl_cycle_hi; s->timing_read = 1; return 0;
    case TESSERA_SIMCTRL_CONSOLE_OFFSET: fault(s, "bus error: read of write-only simctrl.console", addr); return -1;
    case TESSERA_SIMCTRL_EXIT_OFFSET: fault(s, "bus error: read of write-only simctrl.exit", addr); return -1;
    default: fault(s, "bus error: no simctrl register", addr); return -1;
    }
  }
  if (w - TESSERA_TIMER_BASE < TESSERA_TIMER_SIZE) {
    uint64_t t = mtime_now(s);
    switch (w - TESSERA_TIMER_BASE) {
    case TESSERA_TIMER_MTIME_LO_OFFSET: *v = (uint32_t)t; s->timing_read = 1; return 0;
    case TESSERA_TIMER_MTIME_HI_OFFSET: *v = (uint32_t)(t >> 32); s->timing_read = 1; return 0;
    case TESSERA_TIMER_MTIMECMP_LO_OFFSET: *v = (uint32_t)s->mtimecmp; return 0;
    case TESSERA_TIMER_MTIMECMP_HI_OFFSET: *v = (uint32_t)(s->mtimecmp >> 32); return 0;
    default: fault(s, "bus error: no timer register", addr); return -1;
    }
  }
  if (s->bus_rd != NULL) return bus_read(s, addr, size, v);
  fault(s, "access outside the memory map: load", addr);
  return -1;
}

static uint32_t merge(uint32_t old, uint32_t data, unsigned strb) {
  uint32_t m = (strb & 1 ? 0xffu : 0) | (strb & 2 ? 0xff00u : 0) | (strb & 4 ? 0xff0000u : 0) |
               (strb & 8 ? 0xff000000u : 0);
  return (old & ~m) | (data & m);
}

/* Write lane-placed data with strobes to simctrl or the timer. 0 on success, -1 after a fault. */
static int mmio_write(tiss *s, uint32_t addr, uint32_t data, unsigned strb) {
  uint32_t w = addr & ~3u;
  if (w - TESSERA_SIMCTRL_BASE < TESSERA_SIMCTRL_SIZE) {
    switch (w - TESSERA_SIMCTRL_BASE) {
    case TESSERA_SIMCTRL_CONSOLE_OFFSET:
      if (!(strb & 1)) { fault(s, "bus error: console write without byte lane 0", addr); return -1; }
      console_put(s, (char)(data & 0xffu));
      return 0;
    case TESSERA_SIMCTRL_EXIT_OFFSET:
      s->exit_code = merge(0, data, strb);
      s->state = TISS_EXITED;
      s->stop_at = 0;
      return 0;
    case TESSERA_SIMCTRL_CYCLE_LO_OFFSET: fault(s, "bus error: write to read-only simctrl.cycle_lo", addr); return -1;
    case TESSERA_SIMCTRL_CYCLE_HI_OFFSET: fault(s, "bus error: write to read-only simctrl.cycle_hi", addr); return -1;
    default: fault(s, "bus error: no simctrl register", addr); return -1;
    }
  }
  if (w - TESSERA_TIMER_BASE < TESSERA_TIMER_SIZE) {
    uint64_t t = mtime_now(s);
    switch (w - TESSERA_TIMER_BASE) {
    case TESSERA_TIMER_MTIME_LO_OFFSET:
      t = (t & 0xffffffff00000000ull) | merge((uint32_t)t, data, strb);
      s->mtime_off = t - s->cycles;
      break;
    case TESSERA_TIMER_MTIME_HI_OFFSET:
      t = (t & 0xffffffffull) | ((uint64_t)merge((uint32_t)(t >> 32), data, strb) << 32);
      s->mtime_off = t - s->cycles;
      break;
    case TESSERA_TIMER_MTIMECMP_LO_OFFSET:
      s->mtimecmp = (s->mtimecmp & 0xffffffff00000000ull) | merge((uint32_t)s->mtimecmp, data, strb);
      break;
    case TESSERA_TIMER_MTIMECMP_HI_OFFSET:
      s->mtimecmp = (s->mtimecmp & 0xffffffffull) |
                    ((uint64_t)merge((uint32_t)(s->mtimecmp >> 32), data, strb) << 32);
      break;
    default: fault(s, "bus error: no timer register", addr); return -1;
    }
    update_stop(s);
    return 0;
  }
  if (w - TESSERA_IMEM_BASE < TESSERA_IMEM_SIZE) {
    fault(s, "bus error: store to IMEM (read-only on the data bus)", addr);
    return -1;
  }
  if (s->bus_wr != NULL) {
    /* The device bus takes the store as (address, size, right-aligned value). */
    uint32_t size = strb == 15u ? 4u : (strb == 3u || strb == 12u) ? 2u : 1u, extra = 0;
    uint32_t v = data >> (addr & 3u) * 8u;
    if (s->bus_wr(s->bus_ctx, addr, size, v, &extra)) {
      fault(s, "bus error: store", addr);
      return -1;
    }
    s->cycles += extra;
    return 0;
  }
  fault(s, "access outside the memory map: store", addr);
  return -1;
}

/* Pointer to RAM for an aligned access of n bytes at addr, or NULL. Loads see IMEM and DMEM,
 * stores only DMEM. */
static ALWAYS_INLINE uint8_t *ram(tiss *s, uint32_t addr, int store) {
  if (addr - TESSERA_DMEM_BASE < TESSERA_DMEM_SIZE) return s->dmem + (addr - TESSERA_DMEM_BASE);
  if (!store && addr - TESSERA_IMEM_BASE < TESSERA_IMEM_SIZE) return s->imem + (addr - TESSERA_IMEM_BASE);
  return NULL;
}

/* ---- execution ------------------------------------------------------------------------------ */

static void fill_trap(tiss *s, struct tsim_retire *r, uint32_t insn) {
  r->order = s->order++;
  r->pc = s->mepc;
  r->insn = insn;
  r->trap = 1;
  r->cause = s->mcause;
  r->tval = s->mtval;
}

#define IMM_I(i) ((uint32_t)((int32_t)(i) >> 20))
#define IMM_S(i) ((uint32_t)(((int32_t)(i) >> 20) & ~31) | (((i) >> 7) & 31u))
#define IMM_B(i)                                                                                \
  ((uint32_t)(((int32_t)(i) >> 19) & ~0xfff) | (((i) << 4) & 0x800u) | (((i) >> 20) & 0x7e0u) | \
   (((i) >> 7) & 0x1eu))
#define IMM_J(i)                                                                                 \
  ((uint32_t)(((int32_t)(i) >> 11) & ~0xfffff) | ((i)&0xff000u) | (((i) >> 9) & 0x800u) |        \
   (((i) >> 20) & 0x7feu))

/* Execute the instruction at pc: retire it, or take its exception, or fault. rec: fill *r. */
static ALWAYS_INLINE void exec_one(tiss *s, struct tsim_retire *r, const int rec) {
  const uint32_t pc = s->pc;
  if (UNLIKELY(pc - TESSERA_IMEM_BASE >= TESSERA_IMEM_SIZE)) {
    fault(s, "instruction fetch outside IMEM", pc);
    return;
  }
  uint32_t insn;
  memcpy(&insn, s->imem + (pc - TESSERA_IMEM_BASE), 4);
  const unsigned rd = (insn >> 7) & 31u, rs1 = (insn >> 15) & 31u, rs2 = (insn >> 20) & 31u;
  const unsigned f3 = (insn >> 12) & 7u, f7 = insn >> 25;
  const uint32_t a = s->x[rs1], b = s->x[rs2];
  const unsigned lrd = s->load_rd;
  uint32_t npc = pc + 4, val = 0, cause = CAUSE_ILLEGAL, tval = insn;
  uint32_t maddr = 0, mdata = 0;
  unsigned strb = 0, cost = 1, wr = 0, uses = 0; /* uses: 1 rs1, 2 rs1 and rs2 */
  s->load_rd = 0;
  switch (insn & 0x7fu) {
  case 0x37: val = insn & 0xfffff000u, wr = 1; break; /* lui */
  case 0x17: val = pc + (insn & 0xfffff000u), wr = 1; break; /* auipc */
  case 0x6f: { /* jal */
    uint32_t t = pc + IMM_J(insn);
    if (t & 3u) { cause = CAUSE_MISALIGNED_FETCH, tval = t; goto trap; }
    val = pc + 4, wr = 1, npc = t; /* predicted in fetch: no penalty */
    break;
  }
  case 0x67: { /* jalr */
    if (f3) goto trap;
    uses = 1;
    uint32_t t = (a + IMM_I(insn)) & ~1u;
    if (t & 3u) { cause = CAUSE_MISALIGNED_FETCH, tval = t; goto trap; }
    val = pc + 4, wr = 1, npc = t, cost += TISS_PENALTY_TAKEN;
    break;
  }
  case 0x63: { /* branches */
    int take;
    uses = 2;
    switch (f3) {
    case 0: take = a == b; break;
    case 1: take = a != b; break;
    case 4: take = (int32_t)a < (int32_t)b; break;
    case 5: take = (int32_t)a >= (int32_t)b; break;
    case 6: take = a < b; break;
    case 7: take = a >= b; break;
    default: goto trap;
    }
    if (take) {
      uint32_t t = pc + IMM_B(insn);
      if (t & 3u) { cause = CAUSE_MISALIGNED_FETCH, tval = t; goto trap; }
      npc = t;
    }
    /* Static prediction of the RTL fetch stage: backward (negative offset) taken. */
    if (take != (int)(insn >> 31)) cost += TISS_PENALTY_TAKEN;
    break;
  }
  case 0x03: { /* loads */
    uint32_t ad = a + IMM_I(insn), w;
    unsigned size = f3 & 3u;
    uses = 1;
    if (f3 == 3 || f3 > 5) goto trap;
    if (ad & ((1u << size) - 1u)) { cause = CAUSE_MISALIGNED_LOAD, tval = ad; goto trap; }
    uint8_t *p = ram(s, ad & ~3u, 0);
    if (LIKELY(p != NULL)) memcpy(&w, p, 4);
    else if (mmio_read(s, ad, 1u << size, &w)) return;
    w >>= (ad & 3u) * 8;
    switch (f3) {
    case 0: val = (uint32_t)(int32_t)(int8_t)w; break;
    case 1: val = (uint32_t)(int32_t)(int16_t)w; break;
    case 4: val = w & 0xffu; break;
    case 5: val = w & 0xffffu; break;
    default: val = w; break;
    }
    wr = 1;
    s->load_rd = rd;
    break;
  }
  case 0x23: { /* stores */
    uint32_t ad = a + IMM_S(insn);
    uses = 2;
    if (f3 > 2) goto trap;
    if (ad & ((1u << f3) - 1u)) { cause = CAUSE_MISALIGNED_STORE, tval = ad; goto trap; }
    unsigned sh = (ad & 3u) * 8;
    strb = (f3 == 0 ? 1u : f3 == 1 ? 3u : 15u) << (ad & 3u);
    mdata = (f3 == 0 ? (b & 0xffu) : f3 == 1 ? (b & 0xffffu) : b) << sh; /* other lanes zero */
    maddr = ad & ~3u;
    uint8_t *p = ram(s, maddr, 1);
    if (LIKELY(p != NULL)) {
      if (f3 == 2) memcpy(p, &b, 4);
      else if (f3 == 1) { p[ad & 3u] = (uint8_t)b; p[(ad & 3u) + 1] = (uint8_t)(b >> 8); }
      else p[ad & 3u] = (uint8_t)b;
    } else if (mmio_write(s, ad, mdata, strb)) {
      return;
    }
    break;
  }
  case 0x13: { /* op-imm */
    uint32_t imm = IMM_I(insn);
    unsigned sh = rs2;
    uses = 1, wr = 1;
    switch (f3) {
    case 0: val = a + imm; break;
    case 2: val = (int32_t)a < (int32_t)imm; break;
    case 3: val = a < imm; break;
    case 4: val = a ^ imm; break;
    case 6: val = a | imm; break;
    case 7: val = a & imm; break;
    case 1: if (f7) goto trap; val = a << sh; break;
    default:
      if (f7 == 0) val = a >> sh;
      else if (f7 == 0x20) val = (uint32_t)((int32_t)a >> sh);
      else goto trap;
      break;
    }
    break;
  }
  case 0x33: { /* op */
    uses = 2, wr = 1;
    if (f7 == 0) {
      switch (f3) {
      case 0: val = a + b; break;
      case 1: val = a << (b & 31u); break;
      case 2: val = (int32_t)a < (int32_t)b; break;
      case 3: val = a < b; break;
      case 4: val = a ^ b; break;
      case 5: val = a >> (b & 31u); break;
      case 6: val = a | b; break;
      default: val = a & b; break;
      }
    } else if (f7 == 0x20) {
      if (f3 == 0) val = a - b;
      else if (f3 == 5) val = (uint32_t)((int32_t)a >> (b & 31u));
      else goto trap;
    } else if (f7 == 1) {
      switch (f3) {
      case 0: val = a * b; break;
      case 1: val = (uint32_t)((uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b) >> 32); break;
      case 2: val = (uint32_t)((uint64_t)((int64_t)(int32_t)a * (int64_t)(uint64_t)b) >> 32); break;
      case 3: val = (uint32_t)(((uint64_t)a * (uint64_t)b) >> 32); break;
      case 4:
        val = b == 0 ? 0xffffffffu
              : (a == 0x80000000u && b == 0xffffffffu) ? a
                                                       : (uint32_t)((int32_t)a / (int32_t)b);
        break;
      case 5: val = b == 0 ? 0xffffffffu : a / b; break;
      case 6:
        val = b == 0 ? a : (a == 0x80000000u && b == 0xffffffffu) ? 0u : (uint32_t)((int32_t)a % (int32_t)b);
        break;
      default: val = b == 0 ? a : a % b; break;
      }
      if (f3 >= 4) {
        /* The RTL divider iterates over the significant bits of the dividend's magnitude. */
        uint32_t mag = (!(f3 & 1u) && (a >> 31)) ? 0u - a : a;
        unsigned bits = mag ? 32u - (unsigned)__builtin_clz(mag) : 0u;
        cost += b == 0 ? TISS_PENALTY_DIV_ZERO : TISS_PENALTY_DIV + bits;
      }
    } else {
      goto trap;
    }
    break;
  }
  case 0x0f: /* fence, fence.i: no caches, nothing to order */
    if (f3 > 1) goto trap;
    break;
  case 0x73: { /* system */
    if (f3 == 0) {
      if (insn == 0x00000073u) { cause = CAUSE_ECALL_M, tval = 0; goto trap; }
      if (insn == 0x00100073u) { cause = CAUSE_BREAKPOINT, tval = 0; goto trap; }
      if (insn == 0x30200073u) { /* mret */
        npc = s->mepc;
        s->mstatus = MSTATUS_MPIE | ((s->mstatus & MSTATUS_MPIE) ? MSTATUS_MIE : 0u);
        cost += TISS_PENALTY_TRAP;
        update_stop(s);
        break;
      }
      if (insn == 0x10500073u) { /* wfi */
        if (!s->cosim) {
          s->sleeping = 1;
          s->stop_at = 0;
        }
        break;
      }
      goto trap;
    }
    if (f3 == 4) goto trap;
    {
      unsigned csr = insn >> 20, op = f3 & 3u;
      uint32_t src = (f3 & 4u) ? rs1 : a, old;
      int write = op == 1 || rs1 != 0;
      if (!(f3 & 4u)) uses = 1;
      if (csr_get(s, csr, &old)) goto trap;
      if (write) {
        if ((csr >> 10) == 3u) goto trap;
        csr_put(s, csr, op == 1 ? src : op == 2 ? (old | src) : (old & ~src));
        if (csr == TISS_CSR_MSTATUS || csr == TISS_CSR_MIE) update_stop(s);
      }
      /* mcycle, mcycleh, cycle, cycleh, and mip (MTIP follows mtime) depend on timing. */
      if ((csr & 0x7fu) == 0 && ((csr >> 8) == 0xbu || (csr >> 8) == 0xcu)) s->timing_read = 1;
      if (csr == TISS_CSR_MIP) s->timing_read = 1;
      val = old, wr = 1;
    }
    break;
  }
  default: goto trap;
  }
  if (lrd && ((uses >= 1 && rs1 == lrd) || (uses == 2 && rs2 == lrd))) cost += TISS_PENALTY_LOAD_USE;
  if (rd == 0) wr = 0;
  if (wr) s->x[rd] = val;
  s->pc = npc;
  s->cycles += cost;
  s->instret++;
  if (rec) {
    r->order = s->order++;
    r->pc = pc;
    r->insn = insn;
    r->rd = (uint8_t)(wr ? rd : 0);
    r->rd_value = wr ? val : 0;
    r->mem_wstrb = (uint8_t)strb;
    r->mem_addr = maddr;
    r->mem_wdata = mdata;
  }
  return;
trap:
  s->load_rd = 0;
  enter_trap(s, cause, tval);
  if (rec) fill_trap(s, r, insn);
}

/* ---- public API ----------------------------------------------------------------------------- */

tiss *tiss_new(void) {
  tiss *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->imem = calloc(1, TESSERA_IMEM_SIZE);
  s->dmem = calloc(1, TESSERA_DMEM_SIZE);
  if (!s->imem || !s->dmem) {
    tiss_free(s);
    return NULL;
  }
  tiss_reset(s);
  return s;
}

void tiss_free(tiss *s) {
  if (!s) return;
  free(s->imem);
  free(s->dmem);
  free(s->con);
  free(s);
}

void tiss_reset(tiss *s) {
  memset(s->x, 0, sizeof s->x);
  s->pc = TESSERA_IMEM_BASE;
  s->cycles = s->instret = s->order = 0;
  s->mcycle_off = s->minstret_off = s->mtime_off = 0;
  s->mtimecmp = UINT64_MAX;
  s->mstatus = s->mtvec = s->mepc = s->mcause = s->mtval = s->mie = s->mscratch = 0;
  s->simctrl_cycle_hi = 0;
  s->load_rd = 0;
  s->ext_irq = s->sleeping = s->timing_read = s->stop_req = 0;
  s->state = TISS_RUNNING;
  s->exit_code = 0;
  s->con_len = 0;
  s->err[0] = 0;
  s->max_cycles = UINT64_MAX;
  update_stop(s);
}

static uint8_t *backdoor(tiss *s, uint32_t addr, size_t n) {
  if (n == 0) return NULL;
  if (addr - TESSERA_IMEM_BASE < TESSERA_IMEM_SIZE && n <= TESSERA_IMEM_SIZE - (addr - TESSERA_IMEM_BASE))
    return s->imem + (addr - TESSERA_IMEM_BASE);
  if (addr - TESSERA_DMEM_BASE < TESSERA_DMEM_SIZE && n <= TESSERA_DMEM_SIZE - (addr - TESSERA_DMEM_BASE))
    return s->dmem + (addr - TESSERA_DMEM_BASE);
  return NULL;
}

int tiss_write_mem(tiss *s, uint32_t addr, const void *src, size_t n) {
  if (n == 0) return 0;
  uint8_t *p = backdoor(s, addr, n);
  if (!p) return -1;
  memcpy(p, src, n);
  return 0;
}

int tiss_read_mem(tiss *s, uint32_t addr, void *dst, size_t n) {
  if (n == 0) return 0;
  uint8_t *p = backdoor(s, addr, n);
  if (!p) return -1;
  memcpy(dst, p, n);
  return 0;
}

/* A sleeping hart (wfi) wakes when an enabled interrupt is pending (mip & mie, whatever
 * mstatus.MIE says). Returns 1 if it is awake now (cycles advanced to the wake-up), 0 if it can
 * not wake before `limit`: cycles then advance to limit. */
static int wake(tiss *s, uint64_t limit) {
  if (mip_now(s) & s->mie) {
    s->sleeping = 0;
  } else if (s->mie & MIP_MTIP) {
    uint64_t at = timer_due(s);
    if (at > limit) {
      s->cycles = limit > s->cycles ? limit : s->cycles;
      return 0;
    }
    s->cycles = at;
    s->sleeping = 0;
  } else {
    s->cycles = limit > s->cycles ? limit : s->cycles;
    return 0;
  }
  update_stop(s);
  return 1;
}

static int irq_pending(tiss *s, uint32_t *cause) {
  if (!(s->mstatus & MSTATUS_MIE)) return 0;
  uint32_t p = mip_now(s) & s->mie;
  if (p & MIP_MEIP) *cause = TISS_CAUSE_EXT_IRQ;
  else if (p & MIP_MTIP) *cause = TISS_CAUSE_TIMER_IRQ;
  else return 0;
  return 1;
}

tiss_state tiss_step(tiss *s, struct tsim_retire *r) {
  memset(r, 0, sizeof *r);
  s->timing_read = 0;
  if (s->state != TISS_RUNNING) return s->state;
  s->max_cycles = UINT64_MAX;
  if (!s->cosim) {
    if (s->sleeping) {
      if (!(mip_now(s) & s->mie) && !(s->mie & MIP_MTIP)) {
        s->cycles++; /* nothing can wake the hart but the external line: one idle cycle, no record */
        r->order = s->order, r->pc = s->pc;
        return s->state;
      }
      wake(s, UINT64_MAX);
    }
    uint32_t cause;
    if (irq_pending(s, &cause)) {
      enter_trap(s, cause, 0);
      fill_trap(s, r, 0);
      return s->state;
    }
  }
  exec_one(s, r, 1);
  return s->state;
}

tiss_state tiss_take_interrupt(tiss *s, uint32_t cause, struct tsim_retire *r) {
  memset(r, 0, sizeof *r);
  if (s->state != TISS_RUNNING) return s->state;
  if (cause != TISS_CAUSE_TIMER_IRQ && cause != TISS_CAUSE_EXT_IRQ) {
    set_msg(s, "tiss_take_interrupt: 0x%08" PRIx32 " is not an interrupt cause (pc 0x%08" PRIx32 ")", cause, s->pc);
    s->state = TISS_FAULT;
    return s->state;
  }
  enter_trap(s, cause, 0);
  fill_trap(s, r, 0);
  return s->state;
}

tiss_state tiss_run(tiss *s, uint64_t max_cycles) {
  s->max_cycles = max_cycles;
  s->stop_req = 0;
  update_stop(s);
  while (s->state == TISS_RUNNING) {
    while (LIKELY(s->cycles < s->stop_at)) exec_one(s, NULL, 0);
    if (s->state != TISS_RUNNING) break;
    if (s->stop_req) break;
    if (s->sleeping && !wake(s, max_cycles)) {
      set_msg(s, "stopped at the cycle limit %" PRIu64 " at pc 0x%08" PRIx32 " (sleeping in wfi)", s->cycles, s->pc);
      s->state = TISS_MAX_CYCLES;
      break;
    }
    uint32_t cause;
    if (irq_pending(s, &cause)) {
      enter_trap(s, cause, 0);
      continue;
    }
    if (s->cycles >= max_cycles) {
      set_msg(s, "stopped at the cycle limit %" PRIu64 " at pc 0x%08" PRIx32, s->cycles, s->pc);
      s->state = TISS_MAX_CYCLES;
      break;
    }
    update_stop(s);
    if (s->stop_at <= s->cycles) exec_one(s, NULL, 0); /* interrupt due but not pending: progress */
  }
  s->max_cycles = UINT64_MAX;
  s->stop_req = 0;
  update_stop(s);
  return s->state;
}

void tiss_set_bus(tiss *s, tiss_bus_read_fn rd, tiss_bus_write_fn wr, void *ctx) {
  s->bus_rd = rd;
  s->bus_wr = wr;
  s->bus_ctx = ctx;
}

void tiss_resume(tiss *s) {
  if (s->state == TISS_MAX_CYCLES) {
    s->state = TISS_RUNNING;
    s->err[0] = 0;
    update_stop(s);
  }
}

void tiss_request_stop(tiss *s) {
  s->stop_req = 1;
  s->stop_at = 0;
}

void tiss_set_external_irq(tiss *s, int level) {
  s->ext_irq = level != 0;
  update_stop(s);
}

uint32_t tiss_get_reg(const tiss *s, unsigned r) { return r < 32 ? s->x[r] : 0; }
void tiss_set_reg(tiss *s, unsigned r, uint32_t v) {
  if (r > 0 && r < 32) s->x[r] = v;
}
uint32_t tiss_pc(const tiss *s) { return s->pc; }
void tiss_set_pc(tiss *s, uint32_t pc) { s->pc = pc; }
uint64_t tiss_cycles(const tiss *s) { return s->cycles; }
uint64_t tiss_instret(const tiss *s) { return s->instret; }
uint32_t tiss_exit_code(const tiss *s) { return s->exit_code; }
const char *tiss_error(const tiss *s) { return s->err; }
tiss_state tiss_state_get(const tiss *s) { return s->state; }
int tiss_last_timing_read(const tiss *s) { return s->timing_read; }
int tiss_sleeping(const tiss *s) { return s->sleeping; }
int tiss_csr_read(const tiss *s, unsigned csr, uint32_t *v) { return csr_get(s, csr, v); }

/* mcycle and mtime keep their offsets from the cycle count, so they follow it. */
void tiss_set_cycles(tiss *s, uint64_t cycles) {
  s->cycles = cycles;
  update_stop(s);
}

void tiss_set_cosim(tiss *s, int on) {
  s->cosim = on != 0;
  update_stop(s);
}

void tiss_set_console_fn(tiss *s, void (*fn)(void *ctx, char c), void *ctx) {
  s->con_fn = fn;
  s->con_ctx = ctx;
}

size_t tiss_console(tiss *s, char *buf, size_t cap) {
  size_t n = s->con_len < cap ? s->con_len : cap;
  if (n == 0) return 0;
  memcpy(buf, s->con, n);
  memmove(s->con, s->con + n, s->con_len - n);
  s->con_len -= n;
  return n;
}
