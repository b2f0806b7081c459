/* The instruction-set simulator, instruction by instruction: hand-encoded instructions placed in
 * IMEM, executed with tiss_step, results and retire records checked against hand-computed values.
 * Also the CSR rules, traps, interrupts, wfi, memory-map faults and the tiss_run fast path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/map.h"
#include "tiss.h"

/* ---- encoders (test helpers; the expected results below are worked out by hand) ---- */
static uint32_t R(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t I(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return ((uint32_t)imm & 0xfffu) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t S(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  uint32_t u = (uint32_t)imm;
  return ((u >> 5) & 0x7fu) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31u) << 7 | 0x23u;
}
static uint32_t B(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  uint32_t u = (uint32_t)imm;
  return ((u >> 12) & 1u) << 31 | ((u >> 5) & 0x3fu) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
         ((u >> 1) & 0xfu) << 8 | ((u >> 11) & 1u) << 7 | 0x63u;
}
static uint32_t J(int32_t imm, uint32_t rd) {
  uint32_t u = (uint32_t)imm;
  return ((u >> 20) & 1u) << 31 | ((u >> 1) & 0x3ffu) << 21 | ((u >> 11) & 1u) << 20 |
         ((u >> 12) & 0xffu) << 12 | rd << 7 | 0x6fu;
}
#define OP 0x33u
#define OPI 0x13u
#define LOAD 0x03u
#define SYS 0x73u
#define CSRRW(rd, csr, rs1) I((int32_t)(csr), rs1, 1, rd, SYS)
#define CSRRS(rd, csr, rs1) I((int32_t)(csr), rs1, 2, rd, SYS)
#define CSRRC(rd, csr, rs1) I((int32_t)(csr), rs1, 3, rd, SYS)
#define ECALL 0x00000073u
#define EBREAK 0x00100073u
#define MRET 0x30200073u
#define WFI 0x10500073u
#define DMEM TESSERA_DMEM_BASE

static int setup(void **state) {
  *state = tiss_new();
  return *state ? 0 : -1;
}
static int teardown(void **state) {
  tiss_free(*state);
  return 0;
}

/* Place instructions at pc 0 and reset. */
static void prog(tiss *s, const uint32_t *insns, size_t n) {
  assert_int_equal(tiss_write_mem(s, 0, insns, n * 4), 0);
  tiss_reset(s);
}

/* Run one instruction with rs1 = x1 = a, rs2 = x2 = b and return x3. */
static uint32_t exec_rr(tiss *s, uint32_t insn, uint32_t a, uint32_t b) {
  struct tsim_retire r;
  prog(s, &insn, 1);
  tiss_set_reg(s, 1, a);
  tiss_set_reg(s, 2, b);
  assert_int_equal(tiss_step(s, &r), TISS_RUNNING);
  assert_int_equal(r.trap, 0);
  assert_int_equal(r.pc, 0);
  assert_int_equal(r.insn, insn);
  assert_int_equal(tiss_pc(s), 4);
  return tiss_get_reg(s, 3);
}

static void alu_register_ops(void **state) {
  tiss *s = *state;
  assert_int_equal(exec_rr(s, R(0, 2, 1, 0, 3, OP), 0x7fffffffu, 1), 0x80000000u);    /* add */
  assert_int_equal(exec_rr(s, R(0x20, 2, 1, 0, 3, OP), 0, 1), 0xffffffffu);          /* sub */
  assert_int_equal(exec_rr(s, R(0, 2, 1, 1, 3, OP), 1, 33), 2u);                     /* sll: low 5 bits */
  assert_int_equal(exec_rr(s, R(0, 2, 1, 2, 3, OP), 0xffffffffu, 1), 1u);            /* slt */
  assert_int_equal(exec_rr(s, R(0, 2, 1, 3, 3, OP), 0xffffffffu, 1), 0u);            /* sltu */
  assert_int_equal(exec_rr(s, R(0, 2, 1, 4, 3, OP), 0xff00ff00u, 0x0ff00ff0u), 0xf0f0f0f0u);
  assert_int_equal(exec_rr(s, R(0, 2, 1, 5, 3, OP), 0x80000000u, 0xffffffe4u), 0x08000000u); /* srl */
  assert_int_equal(exec_rr(s, R(0x20, 2, 1, 5, 3, OP), 0x80000000u, 4), 0xf8000000u); /* sra */
  assert_int_equal(exec_rr(s, R(0, 2, 1, 6, 3, OP), 0xff00ff00u, 0x0ff00ff0u), 0xfff0fff0u);
  assert_int_equal(exec_rr(s, R(0, 2, 1, 7, 3, OP), 0xff00ff00u, 0x0ff00ff0u), 0x0f000f00u);
}

static void alu_immediates_sign_extend(void **state) {
  tiss *s = *state;
  assert_int_equal(exec_rr(s, I(-2048, 1, 0, 3, OPI), 0, 0), 0xfffff800u);  /* addi */
  assert_int_equal(exec_rr(s, I(2047, 1, 0, 3, OPI), 1, 0), 0x800u);
  assert_int_equal(exec_rr(s, I(-1, 1, 3, 3, OPI), 3, 0), 1u);               /* sltiu 3 < 0xffffffff */
  assert_int_equal(exec_rr(s, I(-4, 1, 2, 3, OPI), 0xfffffffbu, 0), 1u);     /* slti -5 < -4 */
  assert_int_equal(exec_rr(s, I(-1, 1, 4, 3, OPI), 0x12345678u, 0), 0xedcba987u); /* xori */
  assert_int_equal(exec_rr(s, I(31, 1, 1, 3, OPI), 3, 0), 0x80000000u);      /* slli */
  assert_int_equal(exec_rr(s, I(0x400 | 31, 1, 5, 3, OPI), 0x80000000u, 0), 0xffffffffu); /* srai */
  assert_int_equal(exec_rr(s, I(31, 1, 5, 3, OPI), 0x80000000u, 0), 1u);     /* srli */
  assert_int_equal(exec_rr(s, 0xfffff1b7u, 0, 0), 0xfffff000u);                /* lui x3, 0xfffff */
  assert_int_equal(exec_rr(s, 0x00001197u, 0, 0), 0x1000u);                    /* auipc x3, 1 at pc 0 */
}

static void mul_div_corners(void **state) {
  tiss *s = *state;
  assert_int_equal(exec_rr(s, R(1, 2, 1, 0, 3, OP), 0x00010003u, 0x00020005u), 0x000b000fu);
  assert_int_equal(exec_rr(s, R(1, 2, 1, 1, 3, OP), 0x80000000u, 0x80000000u), 0x40000000u); /* mulh */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 1, 3, OP), 0x80000000u, 1), 0xffffffffu);
  assert_int_equal(exec_rr(s, R(1, 2, 1, 2, 3, OP), 0x80000000u, 0xffffffffu), 0x80000000u); /* mulhsu */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 2, 3, OP), 0xffffffffu, 0xffffffffu), 0xffffffffu);
  assert_int_equal(exec_rr(s, R(1, 2, 1, 3, 3, OP), 0xffffffffu, 0xffffffffu), 0xfffffffeu); /* mulhu */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 4, 3, OP), 7, 0xfffffffeu), 0xfffffffdu); /* div 7/-2 */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 6, 3, OP), 0xfffffff9u, 2), 0xffffffffu); /* rem -7%2 */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 4, 3, OP), 5, 0), 0xffffffffu);            /* div by 0 */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 5, 3, OP), 5, 0), 0xffffffffu);            /* divu by 0 */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 6, 3, OP), 0xfffffb2eu, 0), 0xfffffb2eu);  /* rem by 0 */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 7, 3, OP), 1234, 0), 1234u);               /* remu by 0 */
  assert_int_equal(exec_rr(s, R(1, 2, 1, 4, 3, OP), 0x80000000u, 0xffffffffu), 0x80000000u);
  assert_int_equal(exec_rr(s, R(1, 2, 1, 6, 3, OP), 0x80000000u, 0xffffffffu), 0u);
}

static void x0_is_never_written(void **state) {
  tiss *s = *state;
  uint32_t p[] = {I(5, 0, 0, 0, OPI), 0x12345037u /* lui x0 */, J(8, 0)};
  struct tsim_retire r;
  prog(s, p, 3);
  assert_int_equal(tiss_step(s, &r), TISS_RUNNING);
  assert_int_equal(r.rd, 0); /* not reported */
  assert_int_equal(tiss_get_reg(s, 0), 0);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 0), 0);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 0), 0);
  assert_int_equal(tiss_pc(s), 16);
}

static void loads_and_stores_use_byte_lanes(void **state) {
  tiss *s = *state;
  const uint8_t data[4] = {0x01, 0x7f, 0xff, 0x80};
  assert_int_equal(tiss_write_mem(s, DMEM + 0x100, data, 4), 0);
  uint32_t p[] = {
      I(2, 1, 0, 3, LOAD),   /* lb x3, 2(x1) */
      I(3, 1, 4, 4, LOAD),   /* lbu x4, 3(x1) */
      I(2, 1, 1, 5, LOAD),   /* lh x5, 2(x1) */
      I(2, 1, 5, 6, LOAD),   /* lhu x6, 2(x1) */
      S(9, 2, 1, 0),         /* sb x2, 9(x1) */
      S(14, 2, 1, 1),        /* sh x2, 14(x1) */
      S(-4, 2, 1, 2),        /* sw x2, -4(x1) */
  };
  struct tsim_retire r;
  prog(s, p, 7);
  tiss_set_reg(s, 1, DMEM + 0x100);
  tiss_set_reg(s, 2, 0x123456abu);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 3), 0xffffffffu);
  assert_int_equal(r.rd, 3);
  assert_int_equal(r.rd_value, 0xffffffffu);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 4), 0x80u);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 5), 0xffff80ffu);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 6), 0x80ffu);
  tiss_step(s, &r); /* sb to 0x109: lane 1 */
  assert_int_equal(r.mem_addr, DMEM + 0x108);
  assert_int_equal(r.mem_wstrb, 0x2);
  assert_int_equal(r.mem_wdata, 0x0000ab00u);
  assert_int_equal(r.rd, 0);
  tiss_step(s, &r); /* sh to 0x10e: lanes 2-3 */
  assert_int_equal(r.mem_addr, DMEM + 0x10c);
  assert_int_equal(r.mem_wstrb, 0xc);
  assert_int_equal(r.mem_wdata, 0x56ab0000u);
  tiss_step(s, &r); /* sw to 0xfc */
  assert_int_equal(r.mem_addr, DMEM + 0xfc);
  assert_int_equal(r.mem_wstrb, 0xf);
  assert_int_equal(r.mem_wdata, 0x123456abu);
  uint8_t back[20];
  assert_int_equal(tiss_read_mem(s, DMEM + 0xfc, back, 20), 0);
  const uint8_t want[20] = {0xab, 0x56, 0x34, 0x12, /* 0xfc: sw */ 0x01, 0x7f, 0xff, 0x80, /* 0x100 */
                            0, 0, 0, 0, /* 0x104 */ 0, 0xab, 0, 0, /* 0x108: sb at 0x109 */
                            0, 0, 0xab, 0x56 /* 0x10c: sh at 0x10e */};
  assert_memory_equal(back, want, 20);
}

static void branches_and_jumps(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  /* blt x1, x2, +12 with x1 = -1, x2 = 1: taken */
  uint32_t p1[] = {B(12, 2, 1, 4)};
  prog(s, p1, 1);
  tiss_set_reg(s, 1, 0xffffffffu);
  tiss_set_reg(s, 2, 1);
  tiss_step(s, &r);
  assert_int_equal(tiss_pc(s), 12);
  /* bltu: not taken for the same values */
  uint32_t p2[] = {B(12, 2, 1, 6)};
  prog(s, p2, 1);
  tiss_set_reg(s, 1, 0xffffffffu);
  tiss_set_reg(s, 2, 1);
  tiss_step(s, &r);
  assert_int_equal(tiss_pc(s), 4);
  /* backward branch: bne at 8 back to 0 */
  uint32_t p3[] = {I(0, 0, 0, 0, OPI), I(0, 0, 0, 0, OPI), B(-8, 0, 1, 1)};
  prog(s, p3, 3);
  tiss_set_reg(s, 1, 1);
  for (int i = 0; i < 3; i++) tiss_step(s, &r);
  assert_int_equal(tiss_pc(s), 0);
  /* jal x1, +0x100 at pc 0: link 4 */
  uint32_t p4[] = {J(0x100, 1)};
  prog(s, p4, 1);
  tiss_step(s, &r);
  assert_int_equal(tiss_pc(s), 0x100);
  assert_int_equal(r.rd, 1);
  assert_int_equal(r.rd_value, 4);
  /* jalr x1, 1(x1) with x1 = 0x201: target 0x202 & ~1 = 0x202 -> misaligned trap, x1 kept */
  uint32_t p5[] = {I(1, 1, 0, 1, 0x67)};
  prog(s, p5, 1);
  tiss_set_reg(s, 1, 0x201);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.cause, 0);
  assert_int_equal(r.tval, 0x202);
  assert_int_equal(tiss_get_reg(s, 1), 0x201);
  /* jalr x1, 0(x1) with x1 = 0x41: bit 0 cleared, target 0x40, link 4 */
  uint32_t p6[] = {I(0, 1, 0, 1, 0x67)};
  prog(s, p6, 1);
  tiss_set_reg(s, 1, 0x41);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 0);
  assert_int_equal(tiss_pc(s), 0x40);
  assert_int_equal(tiss_get_reg(s, 1), 4);
}

static void exceptions_set_cause_epc_tval(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  uint32_t p[] = {I(0x200, 0, 0, 5, OPI), CSRRW(0, TISS_CSR_MTVEC, 5), ECALL, EBREAK, 0xffffffffu,
                  I(1, 6, 2, 7, LOAD) /* lw x7, 1(x6) */, S(2, 0, 6, 1) /* sh x0, 2(x6): aligned */,
                  S(1, 0, 6, 1) /* sh x0, 1(x6) */};
  prog(s, p, 8);
  tiss_set_reg(s, 6, DMEM);
  tiss_step(s, &r);
  tiss_step(s, &r);
  /* the handler at 0x200 is never executed: set pc back each time */
  tiss_step(s, &r);
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.cause, 11);
  assert_int_equal(r.pc, 8);
  assert_int_equal(r.tval, 0);
  assert_int_equal(tiss_pc(s), 0x200);
  uint32_t v;
  tiss_csr_read(s, TISS_CSR_MEPC, &v);
  assert_int_equal(v, 8);
  tiss_set_pc(s, 12);
  tiss_step(s, &r);
  assert_int_equal(r.cause, 3);
  tiss_set_pc(s, 16);
  tiss_step(s, &r);
  assert_int_equal(r.cause, 2);
  assert_int_equal(r.tval, 0xffffffffu);
  tiss_set_pc(s, 20);
  tiss_step(s, &r);
  assert_int_equal(r.cause, 4);
  assert_int_equal(r.tval, DMEM + 1);
  assert_int_equal(tiss_get_reg(s, 7), 0);
  tiss_set_pc(s, 24);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 0);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.cause, 6);
  assert_int_equal(r.tval, DMEM + 1);
  assert_int_equal(tiss_instret(s), 3); /* addi, csrrw, sh: traps do not retire */
}

static void csr_rules(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  uint32_t p[] = {
      CSRRW(3, TISS_CSR_MSCRATCH, 1),   /* x3 = old (0), mscratch = x1 */
      CSRRS(4, TISS_CSR_MSCRATCH, 2),   /* x4 = mscratch, set bits of x2 */
      CSRRC(5, TISS_CSR_MSCRATCH, 2),   /* x5 = mscratch, clear them again */
      CSRRS(6, TISS_CSR_MHARTID, 0),    /* read-only, rs1 = x0: no write, legal */
      CSRRS(7, TISS_CSR_MHARTID, 2),    /* read-only with a write: illegal */
      CSRRW(0, 0x7c0, 0),               /* unknown CSR: illegal */
      CSRRS(8, TISS_CSR_MISA, 0),
      CSRRS(9, TISS_CSR_MSTATUS, 0),
      CSRRS(10, TISS_CSR_MINSTRET, 0),
  };
  prog(s, p, 9);
  tiss_set_reg(s, 1, 0xdeadbeefu);
  tiss_set_reg(s, 2, 0x00000010u);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 3), 0);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 4), 0xdeadbeefu);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 5), 0xdeadbeffu);
  uint32_t v;
  tiss_csr_read(s, TISS_CSR_MSCRATCH, &v);
  assert_int_equal(v, 0xdeadbeefu);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 0);
  assert_int_equal(tiss_get_reg(s, 6), 0);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.cause, 2);
  assert_int_equal(r.tval, CSRRS(7, TISS_CSR_MHARTID, 2));
  tiss_set_pc(s, 20);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.tval, 0x7c001073u);
  tiss_set_pc(s, 24);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 8), 0x40001100u);
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 9), 0x1800u); /* MPP = M, MIE/MPIE clear after the traps */
  tiss_step(s, &r);
  assert_int_equal(tiss_get_reg(s, 10), 6u); /* 6 retired before it, 2 traps not counted */
}

static void mret_restores_mie(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  uint32_t p[] = {I(8, 0, 0, 1, OPI), CSRRS(0, TISS_CSR_MSTATUS, 1), ECALL, I(0, 0, 0, 0, OPI)};
  prog(s, p, 4);
  tiss_step(s, &r);
  tiss_step(s, &r);
  tiss_step(s, &r); /* ecall: MPIE = 1, MIE = 0 */
  uint32_t v;
  tiss_csr_read(s, TISS_CSR_MSTATUS, &v);
  assert_int_equal(v, 0x1880u);
  /* handler at mtvec = 0: put mret there */
  uint32_t m = MRET;
  tiss_write_mem(s, 0x40, &m, 4);
  tiss_set_pc(s, 0x40);
  uint32_t mepc = 12;
  (void)mepc;
  tiss_step(s, &r); /* mret to mepc = 8 */
  assert_int_equal(tiss_pc(s), 8);
  tiss_csr_read(s, TISS_CSR_MSTATUS, &v);
  assert_int_equal(v, 0x1888u);
}

static void timer_interrupt_and_wfi(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  /* x1 = timer base; mtimecmp_hi = 0; mtimecmp_lo = 100; mie = MTIE; mstatus = MIE; wfi; nop */
  uint32_t p[] = {
      0x200010b7u,                        /* lui x1, 0x20001 */
      S(TESSERA_TIMER_MTIMECMP_HI_OFFSET, 0, 1, 2),
      I(100, 0, 0, 2, OPI),
      S(TESSERA_TIMER_MTIMECMP_LO_OFFSET, 2, 1, 2),
      I(0x80, 0, 0, 3, OPI),
      CSRRW(0, TISS_CSR_MIE, 3),
      I(8, 0, 0, 3, OPI),
      CSRRS(0, TISS_CSR_MSTATUS, 3),
      WFI,
      I(0, 0, 0, 0, OPI),
  };
  prog(s, p, 10);
  for (int i = 0; i < 9; i++) {
    assert_int_equal(tiss_step(s, &r), TISS_RUNNING);
    assert_int_equal(r.trap, 0);
  }
  assert_true(tiss_sleeping(s));
  assert_true(tiss_cycles(s) < 100);
  tiss_step(s, &r); /* wakes at mtime 100 and takes the interrupt */
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.cause, 0x80000007u);
  assert_int_equal(r.pc, 36); /* the instruction after the wfi */
  assert_true(tiss_cycles(s) >= 100);
  uint32_t v;
  tiss_csr_read(s, TISS_CSR_MIP, &v);
  assert_int_equal(v, 0x80u);
}

static void external_interrupt_has_priority(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  /* mie = all ones (keeps MTIE|MEIE); mtimecmp = 0 so the timer is pending too */
  uint32_t p[] = {I(-1, 0, 0, 3, OPI), 0x200010b7u /* lui x1, 0x20001 */, S(TESSERA_TIMER_MTIMECMP_HI_OFFSET, 0, 1, 2),
                  CSRRW(0, TISS_CSR_MIE, 3), I(8, 0, 0, 3, OPI), CSRRS(0, TISS_CSR_MSTATUS, 3),
                  I(0, 0, 0, 0, OPI)};
  prog(s, p, 7);
  for (int i = 0; i < 6; i++) tiss_step(s, &r);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 0); /* nothing pending yet: mtimecmp = 0x00000000_ffffffff, line low */
  uint32_t zero = 0;
  (void)zero;
  tiss_set_external_irq(s, 1);
  tiss_step(s, &r);
  assert_int_equal(r.trap, 1);
  assert_int_equal(r.cause, 0x8000000Bu);
  assert_int_equal(tiss_take_interrupt(s, 0x5, &r), TISS_FAULT); /* not an interrupt cause */
}

static void fast_run_matches_step(void **state) {
  tiss *s = *state;
  /* sum 1..100 into x3, then write it to simctrl.exit */
  uint32_t p[] = {
      I(100, 0, 0, 1, OPI), I(0, 0, 0, 3, OPI),
      R(0, 1, 3, 0, 3, OP), I(-1, 1, 0, 1, OPI), B(-8, 0, 1, 1),
      0x200002b7u, /* lui x5, 0x20000 */
      S(4, 3, 5, 2), /* sw x3, 4(x5) */
  };
  prog(s, p, 7);
  assert_int_equal(tiss_run(s, 1000000), TISS_EXITED);
  assert_int_equal(tiss_exit_code(s), 5050);
  uint64_t cycles = tiss_cycles(s), n = tiss_instret(s);
  assert_int_equal(n, 2 + 300 + 2);
  tiss_reset(s);
  struct tsim_retire r;
  uint64_t order = 0;
  while (tiss_step(s, &r) == TISS_RUNNING) assert_int_equal(r.order, order++);
  assert_int_equal(tiss_state_get(s), TISS_EXITED);
  assert_int_equal(tiss_cycles(s), cycles);
  assert_int_equal(r.mem_wdata, 5050);
}

static void faults_name_address_and_pc(void **state) {
  tiss *s = *state;
  uint32_t p[] = {I(0, 0, 0, 0, OPI), 0x300000b7u /* lui x1, 0x30000 */, I(0, 1, 2, 2, LOAD)};
  prog(s, p, 3);
  assert_int_equal(tiss_run(s, 1000), TISS_FAULT);
  assert_non_null(strstr(tiss_error(s), "0x30000000"));
  assert_non_null(strstr(tiss_error(s), "pc 0x00000008"));
  /* store to IMEM, read of the console, write of cycle_lo */
  uint32_t q[] = {S(0, 0, 0, 2)};
  prog(s, q, 1);
  assert_int_equal(tiss_run(s, 1000), TISS_FAULT);
  uint32_t q2[] = {0x200000b7u, I(0, 1, 2, 2, LOAD)};
  prog(s, q2, 2);
  assert_int_equal(tiss_run(s, 1000), TISS_FAULT);
  assert_non_null(strstr(tiss_error(s), "console"));
  uint32_t q3[] = {0x200000b7u, S(8, 0, 1, 2)};
  prog(s, q3, 2);
  assert_int_equal(tiss_run(s, 1000), TISS_FAULT);
  assert_non_null(strstr(tiss_error(s), "0x20000008"));
  /* console byte store to lane 1 is a bus error; lane 0 prints */
  uint32_t q4[] = {0x200000b7u, I('H', 0, 0, 2, OPI), S(0, 2, 1, 0), S(1, 2, 1, 0)};
  prog(s, q4, 4);
  assert_int_equal(tiss_run(s, 1000), TISS_FAULT);
  char buf[8];
  assert_int_equal(tiss_console(s, buf, sizeof buf), 1);
  assert_int_equal(buf[0], 'H');
  /* fetch outside IMEM */
  uint32_t q5[] = {0x100000b7u, I(0, 1, 0, 0, 0x67)};
  prog(s, q5, 2);
  assert_int_equal(tiss_run(s, 1000), TISS_FAULT);
  assert_non_null(strstr(tiss_error(s), "0x10000000"));
}

static void max_cycles_stops_a_loop(void **state) {
  tiss *s = *state;
  uint32_t p[] = {J(0, 0)};
  prog(s, p, 1);
  assert_int_equal(tiss_run(s, 3000), TISS_MAX_CYCLES);
  assert_true(tiss_cycles(s) >= 3000);
  assert_non_null(strstr(tiss_error(s), "pc 0x00000000"));
  /* wfi with no interrupt enabled sleeps to the limit */
  uint32_t q[] = {WFI};
  prog(s, q, 1);
  assert_int_equal(tiss_run(s, 5000), TISS_MAX_CYCLES);
  assert_int_equal(tiss_cycles(s), 5000);
}

static void memory_backdoor_bounds(void **state) {
  tiss *s = *state;
  uint8_t b[8] = {0};
  assert_int_equal(tiss_write_mem(s, TESSERA_IMEM_BASE + TESSERA_IMEM_SIZE - 4, b, 4), 0);
  assert_int_equal(tiss_write_mem(s, TESSERA_IMEM_BASE + TESSERA_IMEM_SIZE - 4, b, 8), -1);
  assert_int_equal(tiss_write_mem(s, TESSERA_DMEM_BASE - 4, b, 8), -1);
  assert_int_equal(tiss_read_mem(s, TESSERA_SIMCTRL_BASE, b, 4), -1);
  assert_int_equal(tiss_read_mem(s, TESSERA_DMEM_BASE + TESSERA_DMEM_SIZE - 8, b, 8), 0);
}

static void cycle_model_penalties(void **state) {
  tiss *s = *state;
  struct tsim_retire r;
  /* 0 lw x1, 0(x6); 4 add x2, x1, x1 (load-use); 8 div x3, x2, x2; 12 div x4, x2, x0 (by zero);
   * 16 jal x0, +4 (predicted); 20 beq x0, x0, +8 (forward taken: mispredicted);
   * 28 bne x0, x0, -8 (backward not taken: mispredicted); 32 beq x0, x0, -4 (backward taken) */
  uint32_t p[] = {I(0, 6, 2, 1, LOAD), R(0, 1, 1, 0, 2, OP), R(1, 2, 2, 4, 3, OP), R(1, 0, 2, 4, 4, OP),
                  J(4, 0),              B(8, 0, 0, 0),       0,                    B(-8, 0, 0, 1),
                  B(-4, 0, 0, 0)};
  prog(s, p, 9);
  const uint32_t five = 5;
  assert_int_equal(tiss_write_mem(s, DMEM, &five, 4), 0);
  tiss_set_reg(s, 6, DMEM);
  uint64_t want = 0;
  /* div 10 / 10: the divider iterates over the 4 significant bits of 10 */
  const uint64_t cost[] = {1, 1 + TISS_PENALTY_LOAD_USE, 1 + TISS_PENALTY_DIV + 4, 1 + TISS_PENALTY_DIV_ZERO, 1,
                           1 + TISS_PENALTY_TAKEN, 1 + TISS_PENALTY_TAKEN, 1};
  const uint32_t next_pc[] = {4, 8, 12, 16, 20, 28, 32, 28};
  for (unsigned i = 0; i < 8; i++) {
    tiss_step(s, &r);
    want += cost[i];
    assert_int_equal(tiss_cycles(s), want);
    assert_int_equal(tiss_pc(s), next_pc[i]);
  }
  assert_int_equal(tiss_get_reg(s, 3), 1);          /* 10 / 10 */
  assert_int_equal(tiss_get_reg(s, 4), 0xffffffffu); /* 10 / 0 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(alu_register_ops, setup, teardown),
      cmocka_unit_test_setup_teardown(alu_immediates_sign_extend, setup, teardown),
      cmocka_unit_test_setup_teardown(mul_div_corners, setup, teardown),
      cmocka_unit_test_setup_teardown(x0_is_never_written, setup, teardown),
      cmocka_unit_test_setup_teardown(loads_and_stores_use_byte_lanes, setup, teardown),
      cmocka_unit_test_setup_teardown(branches_and_jumps, setup, teardown),
      cmocka_unit_test_setup_teardown(exceptions_set_cause_epc_tval, setup, teardown),
      cmocka_unit_test_setup_teardown(csr_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(mret_restores_mie, setup, teardown),
      cmocka_unit_test_setup_teardown(timer_interrupt_and_wfi, setup, teardown),
      cmocka_unit_test_setup_teardown(external_interrupt_has_priority, setup, teardown),
      cmocka_unit_test_setup_teardown(fast_run_matches_step, setup, teardown),
      cmocka_unit_test_setup_teardown(faults_name_address_and_pc, setup, teardown),
      cmocka_unit_test_setup_teardown(max_cycles_stops_a_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(memory_backdoor_bounds, setup, teardown),
      cmocka_unit_test_setup_teardown(cycle_model_penalties, setup, teardown),
  };
  return cmocka_run_group_tests_name("controller_iss", tests, NULL, NULL);
}
