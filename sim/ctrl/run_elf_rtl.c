/* The rtl backend of `tessera run-elf` (host/cli/run_elf_backend.h): the Verilated controller
 * (sim/include/tsim_ctrl.h), optionally in lock step with the instruction-set simulator
 * (--cosim, sim/include/tiss.h). docs/firmware.md describes both.
 *
 * Co-simulation: the RTL runs one cycle at a time with retire records on. Every record is
 * matched by one ISS step (or, for an interrupt the RTL took, by tiss_take_interrupt) and the
 * two records are compared field by field: pc, insn, rd and its value, store strobes, address
 * and data, trap, cause, tval. Values that depend on timing (mcycle/cycle CSRs, mtime, the
 * simctrl cycle counter, mip) are taken from the RTL: its rd value is copied into the ISS once
 * every other field has matched. The first difference ends the run (RUN_ELF_MISMATCH) with both
 * records in the message.
 *
 * Test hook (never needed outside tests): TESSERA_COSIM_INJECT=ORDER:REG:XOR flips the bits XOR
 * of ISS register REG right after record ORDER, so a test can prove that a divergence is caught. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_elf_backend.h"
#include "tessera/gen/map.h"
#include "tiss.h"
#include "tsim_ctrl.h"
#include "tsim_elf.h"

/* Cycles simulated between two looks at the console (streaming without slowing the model). */
enum { RTL_CHUNK = 4096 };

struct rtl {
  tsim_ctrl *c;
  tiss *iss; /* only with --cosim */
  struct run_elf_opts o;
  int inject;                  /* test hook armed */
  uint64_t inject_order;
  unsigned inject_reg;
  uint32_t inject_xor;
};

static void *rtl_open(const struct run_elf_opts *o, char *err, size_t errlen) {
  struct rtl *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  r->o = *o;
  r->c = tsim_ctrl_open(o->trace);
  if (!r->c) {
    if (o->trace) snprintf(err, errlen, "cannot open the trace file '%s'", o->trace);
    else snprintf(err, errlen, "out of memory");
    free(r);
    return NULL;
  }
  if (o->cosim) {
    r->iss = tiss_new();
    if (!r->iss) {
      tsim_ctrl_close(r->c);
      free(r);
      snprintf(err, errlen, "out of memory");
      return NULL;
    }
    tiss_set_cosim(r->iss, 1);
    const char *inj = getenv("TESSERA_COSIM_INJECT");
    if (inj && *inj) {
      unsigned long long ord;
      unsigned reg;
      long x;
      if (sscanf(inj, "%llu:%u:%li", &ord, &reg, &x) != 3 || reg == 0 || reg > 31) {
        snprintf(err, errlen, "TESSERA_COSIM_INJECT wants ORDER:REG:XOR with REG 1..31, got '%s'", inj);
        tiss_free(r->iss);
        tsim_ctrl_close(r->c);
        free(r);
        return NULL;
      }
      r->inject = 1, r->inject_order = ord, r->inject_reg = reg, r->inject_xor = (uint32_t)x;
    }
  }
  return r;
}

static int rtl_write(void *ctx, uint32_t addr, const void *src, size_t n) {
  struct rtl *r = ctx;
  if (tsim_ctrl_mem_write(r->c, addr, src, n)) return -1;
  if (r->iss && tiss_write_mem(r->iss, addr, src, n)) return -1;
  return 0;
}

/* jal x0, off (off even, within +-1 MiB) */
static uint32_t enc_jal(int32_t off) {
  uint32_t u = (uint32_t)off;
  return ((u >> 20 & 1u) << 31) | ((u >> 1 & 0x3ffu) << 21) | ((u >> 11 & 1u) << 20) | ((u >> 12 & 0xffu) << 12) |
         0x6fu;
}

static int rtl_load(void *h, const char *path, char *err, size_t errlen) {
  struct rtl *r = h;
  uint32_t entry;
  if (tsim_elf_load(path, rtl_write, r, &entry, err, errlen)) return -1;
  /* The core starts at the reset PC. An entry point elsewhere is reached through a jal placed at
   * the reset PC, if the program leaves that word zero (an illegal instruction, so never code). */
  if (entry != TESSERA_IMEM_BASE) {
    uint8_t w[4] = {0, 0, 0, 0};
    tsim_ctrl_mem_read(r->c, TESSERA_IMEM_BASE, w, 4);
    if (w[0] | w[1] | w[2] | w[3]) {
      snprintf(err, errlen, "%s: entry point 0x%08" PRIx32 " is not the reset PC 0x%08" PRIx32
               " and the program has code there", path, entry, (uint32_t)TESSERA_IMEM_BASE);
      return -1;
    }
    uint32_t jal = enc_jal((int32_t)(entry - TESSERA_IMEM_BASE));
    uint8_t b[4] = {(uint8_t)jal, (uint8_t)(jal >> 8), (uint8_t)(jal >> 16), (uint8_t)(jal >> 24)};
    if (rtl_write(r, TESSERA_IMEM_BASE, b, 4)) {
      snprintf(err, errlen, "%s: cannot place the jump to the entry point", path);
      return -1;
    }
  }
  if (r->iss) {
    tiss_reset(r->iss);
    tiss_set_pc(r->iss, TESSERA_IMEM_BASE);
  }
  return 0;
}

static void drain_console(struct rtl *r, run_elf_console_fn console, void *ctx) {
  char buf[1024];
  size_t n;
  while ((n = tsim_ctrl_console(r->c, buf, sizeof buf)) > 0) console(ctx, buf, n);
}

/* The ext-irq schedule: the line goes high at cycle o.ext_irq_at (0: never). */
static void irq_at(struct rtl *r, uint64_t cycle) {
  if (r->o.ext_irq_at && cycle == r->o.ext_irq_at) {
    tsim_ctrl_set_irq(r->c, 1);
    if (r->iss) tiss_set_external_irq(r->iss, 1);
  }
}

static void fill_end(struct rtl *r, tsim_ctrl_state st, struct run_elf_result *res) {
  res->cycles = tsim_ctrl_cycles(r->c);
  res->instret = tsim_ctrl_instret(r->c);
  res->exit_code = tsim_ctrl_exit_code(r->c);
  switch (st) {
  case TSIM_CTRL_EXITED: res->end = RUN_ELF_EXITED; break;
  case TSIM_CTRL_FAULT:
    res->end = RUN_ELF_FAULT;
    snprintf(res->msg, sizeof res->msg, "%s", tsim_ctrl_fault_msg(r->c));
    break;
  case TSIM_CTRL_MAX_CYCLES:
    res->end = RUN_ELF_MAX_CYCLES;
    snprintf(res->msg, sizeof res->msg, "stopped at the cycle limit %" PRIu64 " at pc 0x%08" PRIx32,
             tsim_ctrl_cycles(r->c), tsim_ctrl_pc(r->c));
    break;
  default: res->end = RUN_ELF_ERROR; snprintf(res->msg, sizeof res->msg, "the rtl model stopped unexpectedly"); break;
  }
}

/* 1 if the core is caught in a jump to itself that no interrupt can leave: the newest record is
 * that jal retiring (not a trap) and mstatus.MIE is clear, or no enabled interrupt source can
 * still fire. The rest of the run up to the cycle limit is then known (one jal retired per
 * cycle, nothing else happens). */
static int hung(struct rtl *r, uint64_t done) {
  uint32_t pc = tsim_ctrl_pc(r->c), mie = 0;
  uint8_t b[4];
  if (tsim_ctrl_last_trap(r->c) || tsim_ctrl_mem_read(r->c, pc, b, 4)) return 0; /* a handler may run */
  if ((b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24) != 0x0000006fu) return 0;
  if (!tsim_ctrl_irq_enabled(r->c, &mie)) return 1;
  if (mie & 0x80u) return 0;                                 /* the timer may fire */
  if ((mie & 0x800u) && r->o.ext_irq_at > done) return 0;    /* the external line will rise */
  return !(mie & 0x800u) || !r->o.ext_irq_at;
}

/* End a hung run at the cycle limit, as if every remaining cycle had been simulated. */
static void skip_to_limit(struct rtl *r, struct run_elf_result *res) {
  fill_end(r, TSIM_CTRL_MAX_CYCLES, res);
  res->instret += r->o.max_cycles - res->cycles;
  res->cycles = r->o.max_cycles;
  snprintf(res->msg, sizeof res->msg, "stopped at the cycle limit %" PRIu64 " at pc 0x%08" PRIx32, res->cycles,
           tsim_ctrl_pc(r->c));
}

/* ---- co-simulation ----------------------------------------------------------------------------- */

/* One record as text: "pc 0x... insn 0x... x5=0x... store [0x...] 0x... strb 0x3 trap cause 0x.. tval 0x..". */
static int fmt_rec(char *b, size_t n, const struct tsim_retire *t) {
  int k = snprintf(b, n, "pc 0x%08" PRIx32 " insn 0x%08" PRIx32, t->pc, t->insn);
  if (t->rd) k += snprintf(b + k, n - (size_t)k, " x%u=0x%08" PRIx32, (unsigned)t->rd, t->rd_value);
  if (t->mem_wstrb)
    k += snprintf(b + k, n - (size_t)k, " store [0x%08" PRIx32 "]=0x%08" PRIx32 " strb 0x%x", t->mem_addr, t->mem_wdata,
                  (unsigned)t->mem_wstrb);
  if (t->trap) k += snprintf(b + k, n - (size_t)k, " trap cause 0x%08" PRIx32 " tval 0x%08" PRIx32, t->cause, t->tval);
  return k;
}

static uint32_t strb_mask(unsigned s) {
  return (s & 1 ? 0xffu : 0) | (s & 2 ? 0xff00u : 0) | (s & 4 ? 0xff0000u : 0) | (s & 8 ? 0xff000000u : 0);
}

/* The first field in which two records differ, or NULL. */
static const char *diff(const struct tsim_retire *a, const struct tsim_retire *b) {
  if (a->pc != b->pc) return "pc";
  if (a->insn != b->insn) return "insn";
  if (a->trap != b->trap) return "trap";
  if (a->trap && a->cause != b->cause) return "cause";
  if (a->trap && a->tval != b->tval) return "tval";
  if (a->rd != b->rd) return "rd";
  if (a->rd && a->rd_value != b->rd_value) return "rd value";
  if (a->mem_wstrb != b->mem_wstrb) return "store strobes";
  if (a->mem_wstrb && a->mem_addr != b->mem_addr) return "store address";
  if (a->mem_wstrb && (a->mem_wdata & strb_mask(a->mem_wstrb)) != (b->mem_wdata & strb_mask(b->mem_wstrb)))
    return "store data";
  return NULL;
}

static void mismatch(struct run_elf_result *res, uint64_t order, const char *what, const char *rtl,
                     const char *iss) {
  res->end = RUN_ELF_MISMATCH;
  snprintf(res->msg, sizeof res->msg, "co-simulation mismatch at record %" PRIu64 " (%s)\n  rtl: %s\n  iss: %s", order,
           what, rtl, iss);
}

/* A CSR instruction reading mip: its value depends on when the timer fired. */
static int reads_mip(uint32_t insn) {
  return (insn & 0x7fu) == 0x73u && ((insn >> 12) & 3u) != 0 && (insn >> 20) == TISS_CSR_MIP;
}

/* Check one RTL record against the ISS. 0 if they agree. */
static int cosim_check(struct rtl *r, const struct tsim_retire *rt, struct run_elf_result *res) {
  struct tsim_retire is;
  char a[200], b[200];
  tiss_set_cycles(r->iss, tsim_ctrl_cycles(r->c));
  tiss_state st;
  if (rt->trap && (rt->cause >> 31)) st = tiss_take_interrupt(r->iss, rt->cause, &is);
  else st = tiss_step(r->iss, &is);
  fmt_rec(a, sizeof a, rt);
  if (st == TISS_FAULT) {
    mismatch(res, rt->order, "the ISS faulted", a, tiss_error(r->iss));
    return -1;
  }
  if (st == TISS_MAX_CYCLES || (st == TISS_EXITED && !is.mem_wstrb)) {
    mismatch(res, rt->order, "the ISS stopped", a, tiss_error(r->iss));
    return -1;
  }
  const int timing = !is.trap && is.rd && is.rd == rt->rd && (tiss_last_timing_read(r->iss) || reads_mip(is.insn));
  if (timing) is.rd_value = rt->rd_value;
  const char *what = diff(rt, &is);
  if (what) {
    fmt_rec(b, sizeof b, &is);
    mismatch(res, rt->order, what, a, b);
    return -1;
  }
  if (timing) tiss_set_reg(r->iss, is.rd, rt->rd_value);
  if (r->inject && rt->order == r->inject_order)
    tiss_set_reg(r->iss, r->inject_reg, tiss_get_reg(r->iss, r->inject_reg) ^ r->inject_xor);
  return 0;
}

static int cosim_run(struct rtl *r, run_elf_console_fn console, void *ctx, struct run_elf_result *res) {
  tsim_ctrl_record(r->c, 1);
  tsim_ctrl_state st = TSIM_CTRL_RUNNING;
  struct tsim_retire rt;
  uint64_t cycle = 0;
  while (st == TSIM_CTRL_RUNNING) {
    if (cycle >= r->o.max_cycles) {
      st = TSIM_CTRL_MAX_CYCLES;
      break;
    }
    irq_at(r, cycle);
    st = tsim_ctrl_step(r->c);
    cycle++;
    while (tsim_ctrl_retire_next(r->c, &rt))
      if (cosim_check(r, &rt, res)) {
        drain_console(r, console, ctx);
        res->cycles = tsim_ctrl_cycles(r->c);
        res->instret = tsim_ctrl_instret(r->c);
        return 0;
      }
    if ((cycle & 1023u) == 0) {
      drain_console(r, console, ctx);
      if (st == TSIM_CTRL_RUNNING && hung(r, cycle)) {
        skip_to_limit(r, res);
        return 0;
      }
    }
  }
  drain_console(r, console, ctx);
  fill_end(r, st, res);
  char a[200];
  if (st == TSIM_CTRL_EXITED) {
    /* The exit store was the last record: the ISS must have exited with the same value. */
    if (tiss_state_get(r->iss) != TISS_EXITED || tiss_exit_code(r->iss) != res->exit_code) {
      snprintf(a, sizeof a, "exited with 0x%08" PRIx32, res->exit_code);
      char b[200];
      if (tiss_state_get(r->iss) == TISS_EXITED) snprintf(b, sizeof b, "exited with 0x%08" PRIx32, tiss_exit_code(r->iss));
      else snprintf(b, sizeof b, "still running at pc 0x%08" PRIx32, tiss_pc(r->iss));
      mismatch(res, tsim_ctrl_instret(r->c), "exit", a, b);
    }
  } else if (st == TSIM_CTRL_FAULT) {
    /* The faulting instruction has no record: the ISS must fault on its next instruction too. */
    struct tsim_retire is;
    if (tiss_step(r->iss, &is) != TISS_FAULT) {
      char b[200];
      fmt_rec(b, sizeof b, &is);
      snprintf(a, sizeof a, "%s", tsim_ctrl_fault_msg(r->c));
      mismatch(res, is.order, "fault", a, b);
    }
  }
  return 0;
}

/* ---- the backend ------------------------------------------------------------------------------- */

static int rtl_run(void *h, run_elf_console_fn console, void *ctx, struct run_elf_result *res) {
  struct rtl *r = h;
  memset(res, 0, sizeof *res);
  if (r->iss) return cosim_run(r, console, ctx, res);
  tsim_ctrl_state st = TSIM_CTRL_RUNNING;
  uint64_t done = 0;
  while (st == TSIM_CTRL_RUNNING || st == TSIM_CTRL_MAX_CYCLES) {
    if (done >= r->o.max_cycles) {
      st = TSIM_CTRL_MAX_CYCLES;
      break;
    }
    uint64_t n = r->o.max_cycles - done;
    if (n > RTL_CHUNK) n = RTL_CHUNK;
    /* Stop exactly at the cycle the external line rises. */
    if (r->o.ext_irq_at > done && r->o.ext_irq_at - done < n) n = r->o.ext_irq_at - done;
    irq_at(r, done);
    st = tsim_ctrl_run(r->c, n);
    done += n;
    drain_console(r, console, ctx);
    if (st == TSIM_CTRL_MAX_CYCLES && done < r->o.max_cycles && hung(r, done)) {
      skip_to_limit(r, res); /* the same end as simulating every cycle, at once */
      return 0;
    }
  }
  fill_end(r, st, res);
  return 0;
}

static void rtl_close(void *h) {
  struct rtl *r = h;
  if (!r) return;
  tsim_ctrl_close(r->c);
  if (r->iss) tiss_free(r->iss);
  free(r);
}

const struct run_elf_backend run_elf_backend_rtl = {
    "rtl", rtl_open, rtl_load, rtl_run, rtl_close,
};
