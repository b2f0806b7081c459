/* The RTL controller (rtl/ctrl/tessera_ctrl_top.sv) through its C harness: the assembly programs
 * of tests/ctrl_rtl run on the Verilated core; their results, read back from DMEM, are checked
 * against reference semantics computed here (ALU/M ops, byte lanes) or against the RISC-V
 * privileged spec (CSRs, traps, interrupts, faults). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/map.h"
#include "tsim_ctrl.h"

#define PROG(name)                                          \
  extern const unsigned char _binary_##name##_bin_start[]; \
  extern const unsigned char _binary_##name##_bin_end[];
PROG(alu)
PROG(hazard)
PROG(loadstore)
PROG(console)
PROG(traps)
PROG(csr)
PROG(timer)
PROG(extirq)
PROG(fault)
#define IMAGE(name) _binary_##name##_bin_start, (size_t)(_binary_##name##_bin_end - _binary_##name##_bin_start)

#define RESULTS TESSERA_DMEM_BASE
#define INPUTS (TESSERA_DMEM_BASE + 0x8000u)
#define BUDGET 2000000u

static tsim_ctrl *load(const unsigned char *img, size_t len) {
  tsim_ctrl *c = tsim_ctrl_open(NULL);
  assert_non_null(c);
  assert_int_equal(tsim_ctrl_mem_write(c, TESSERA_IMEM_BASE, img, len), 0);
  return c;
}

static uint32_t word(tsim_ctrl *c, uint32_t addr) {
  uint32_t v = 0;
  assert_int_equal(tsim_ctrl_mem_read(c, addr, &v, 4), 0);
  return v;
}

/* Run to the exit register and require exit status 0. */
static void run_ok(tsim_ctrl *c) {
  tsim_ctrl_state st = tsim_ctrl_run(c, BUDGET);
  if (st == TSIM_CTRL_FAULT) fail_msg("%s", tsim_ctrl_fault_msg(c));
  assert_int_equal(st, TSIM_CTRL_EXITED);
  assert_int_equal(tsim_ctrl_exit_code(c), 0);
}

/* ---- reference semantics of RV32IM ------------------------------------------------------ */
static uint32_t ref_op(int op, uint32_t a, uint32_t b) {
  int32_t sa = (int32_t)a, sb = (int32_t)b;
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a << (b & 31);
    case 3: return sa < sb;
    case 4: return a < b;
    case 5: return a ^ b;
    case 6: return a >> (b & 31);
    case 7: return (uint32_t)(sa >> (b & 31)); /* gcc: arithmetic shift of negative values */
    case 8: return a | b;
    case 9: return a & b;
    case 10: return a * b;
    case 11: return (uint32_t)(((int64_t)sa * (int64_t)sb) >> 32);
    case 12: return (uint32_t)((uint64_t)((int64_t)sa * (int64_t)(uint64_t)b) >> 32);
    case 13: return (uint32_t)(((uint64_t)a * (uint64_t)b) >> 32);
    case 14:
      if (b == 0) return 0xffffffffu;
      if (a == 0x80000000u && b == 0xffffffffu) return a;
      return (uint32_t)(sa / sb);
    case 15: return b == 0 ? 0xffffffffu : a / b;
    case 16:
      if (b == 0) return a;
      if (a == 0x80000000u && b == 0xffffffffu) return 0;
      return (uint32_t)(sa % sb);
    case 17: return b == 0 ? a : a % b;
    default: return 0xdeadbeefu;
  }
}

static uint32_t ref_imm(int op, uint32_t a) {
  switch (op) {
    case 0: return a + 0xffffffffu;
    case 1: return (int32_t)a < 5;
    case 2: return a < 0xffffffffu;
    case 3: return a ^ 0x555u;
    case 4: return a | 0x0f0u;
    case 5: return a & 0xfffffff0u;
    case 6: return a << 7;
    case 7: return a >> 7;
    default: return (uint32_t)((int32_t)a >> 7);
  }
}

static const char *const op_names[] = {"add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or",
                                       "and", "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem",
                                       "remu"};

static void alu_and_m_ops_match_reference_on_corner_operands(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(alu));
  run_ok(c);
  uint32_t n = word(c, RESULTS);
  assert_int_equal(n, 16 * 16);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t rec[29];
    assert_int_equal(tsim_ctrl_mem_read(c, RESULTS + 4 + i * sizeof rec, rec, sizeof rec), 0);
    uint32_t a = rec[0], b = rec[1];
    for (int op = 0; op < 18; op++)
      if (rec[2 + op] != ref_op(op, a, b))
        fail_msg("%s 0x%08x, 0x%08x: rtl 0x%08x, expected 0x%08x", op_names[op], a, b, rec[2 + op],
                 ref_op(op, a, b));
    for (int op = 0; op < 9; op++)
      if (rec[20 + op] != ref_imm(op, a))
        fail_msg("immediate op %d on 0x%08x: rtl 0x%08x, expected 0x%08x", op, a, rec[20 + op], ref_imm(op, a));
  }
  tsim_ctrl_close(c);
}

static void forwarding_branches_and_x0(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(hazard));
  run_ok(c);
  uint32_t r[15];
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS, r, sizeof r), 0);
  assert_int_equal(r[0], 11);
  assert_int_equal(r[1], 111);
  assert_int_equal(r[2], 111);
  assert_int_equal(r[3], 12345u * 678u + 1u);
  assert_int_equal(r[4], 2u * ((12345u * 678u + 1u) / 678u));
  assert_int_equal(r[5], r[4] + 1);
  assert_int_equal(r[6], 7);
  assert_int_equal(r[7], 1000u * 1001u / 2u);
  assert_int_equal(r[8], 10);
  assert_int_equal(r[9], 2);
  assert_int_equal(r[10], r[11]); /* jalr link = address after the jalr */
  assert_int_equal(r[12], 0);     /* x0 */
  assert_int_equal(r[13], 0xabcde000u);
  assert_int_equal(r[14], 0x1000u);
  tsim_ctrl_close(c);
}

static uint32_t sext(uint32_t v, int bits) {
  uint32_t m = 1u << (bits - 1);
  v &= (bits == 32) ? 0xffffffffu : ((1u << bits) - 1);
  return (v ^ m) - m;
}

static void load_store_byte_lanes(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(loadstore));
  run_ok(c);
  uint32_t r[19];
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS, r, sizeof r), 0);
  const uint32_t w = 0x8badf00du;
  for (int k = 0; k < 4; k++) {
    assert_int_equal(r[k], sext(w >> (8 * k), 8));
    assert_int_equal(r[4 + k], (w >> (8 * k)) & 0xffu);
  }
  assert_int_equal(r[8], sext(w, 16));
  assert_int_equal(r[9], sext(w >> 16, 16));
  assert_int_equal(r[10], w >> 16);
  for (int k = 0; k < 4; k++) assert_int_equal(r[11 + k], 0xa5u << (8 * k));
  assert_int_equal(r[15], 0x0000beefu);
  assert_int_equal(r[16], 0xbeef0000u);
  assert_int_equal(r[17], 0x5eed1234u);
  assert_int_equal(r[18], 2);
  tsim_ctrl_close(c);
}

static void console_output_and_exit_code(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(console));
  assert_int_equal(tsim_ctrl_run(c, BUDGET), TSIM_CTRL_EXITED);
  assert_int_equal(tsim_ctrl_exit_code(c), 42);
  char buf[128] = {0};
  size_t n = tsim_ctrl_console(c, buf, sizeof buf - 1);
  assert_string_equal(buf, "Hello from Tessera's RV32IM core!\n");
  assert_int_equal(n, strlen(buf));
  assert_true(tsim_ctrl_instret(c) > n * 4);
  assert_true(tsim_ctrl_cycles(c) >= tsim_ctrl_instret(c));
  tsim_ctrl_close(c);
}

static void synchronous_traps_set_cause_epc_tval(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(traps));
  run_ok(c);
  struct {
    uint32_t cause, tval_kind; /* tval_kind: 0 zero, 3 given, 4 checked below */
    uint32_t tval;
  } want[] = {
      {11, 0, 0},                       /* ecall */
      {3, 0, 0},                        /* ebreak: mtval = 0 */
      {2, 3, 0xffffffffu},              /* illegal */
      {2, 3, 0},                        /* all-zero word */
      {2, 3, 0xc0029073u},              /* csrw cycle, t0 */
      {2, 3, 0x7c002373u},              /* csrr t1, 0x7c0 */
      {2, 3, 0x42b50533u},              /* bad funct7 */
      {4, 3, RESULTS + 0x41},           /* lw from +0x41 */
      {6, 3, RESULTS + 0x43},           /* sw to +0x42 + 1 */
      {4, 3, RESULTS + 0x43},           /* lh from +0x43 */
      {0, 4, 2},                        /* jalr to target + 2: tval = target */
      {0, 4, 6},                        /* beqz to pc + 6 */
  };
  const uint32_t n = sizeof want / sizeof want[0];
  assert_int_equal(word(c, RESULTS), n);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r[5];
    assert_int_equal(tsim_ctrl_mem_read(c, RESULTS + 0x100 + 20 * i, r, sizeof r), 0);
    uint32_t pc = r[4];
    assert_int_equal(r[0], want[i].cause);
    assert_int_equal(r[1], pc);
    switch (want[i].tval_kind) {
      case 0: assert_int_equal(r[2], 0); break;
      case 3: assert_int_equal(r[2], want[i].tval); break;
      default: break;
    }
    assert_int_equal(r[3], 0x1880u); /* MPP = M, MPIE = 1 (MIE was 1), MIE = 0 */
  }
  /* jalr: tval = the (bit 0 cleared) target = the address after the jalr + 2 */
  uint32_t r_j[5], r_b[5];
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS + 0x100 + 20 * 10, r_j, sizeof r_j), 0);
  assert_int_equal(r_j[2], r_j[4] + 4 + 2);
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS + 0x100 + 20 * 11, r_b, sizeof r_b), 0);
  assert_int_equal(r_b[2], r_b[4] + 6);
  assert_int_equal(word(c, RESULTS + 4), 0x1888u); /* after mret: MIE = MPIE = 1 */
  assert_int_equal(word(c, RESULTS + 8), 0x1234u); /* faulting load wrote nothing */
  tsim_ctrl_close(c);
}

static void csr_reads_writes_and_warl_fields(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(csr));
  run_ok(c);
  uint32_t r[24];
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS, r, sizeof r), 0);
  assert_int_equal(r[0], (1u << 30) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')));
  assert_int_equal(r[1], 0);
  assert_int_equal(r[2], 0);
  assert_int_equal(r[3], 0);
  assert_int_equal(r[4], 0);
  assert_int_equal(r[5], 0xa5a5f00fu);
  assert_int_equal(r[6], 0xa5a5f00fu);
  assert_int_equal(r[7], 0xa5a5f00fu | 0x0ff0u);
  assert_int_equal(r[8], r[7]);
  assert_int_equal(r[9], r[7] & ~0xa000000fu);
  assert_int_equal(r[10], r[9]);
  assert_int_equal(r[11], 0x1d);
  assert_int_equal(r[12], 0x1000);
  assert_int_equal(r[13], 0x2000);
  assert_int_equal(r[14], (1u << 7) | (1u << 11));
  assert_int_equal(r[15], 0);
  assert_int_equal(r[16], 6); /* the first csrr and five nops retired in between */
  assert_true(r[17] > 0);
  assert_int_equal(r[18], 0x1888u);
  assert_int_equal(r[19], 1);
  assert_int_equal(r[20], 0x8000000bu);
  assert_int_equal(r[21], 0x12345678u);
  assert_int_equal(r[22], 0);
  assert_int_equal(r[23], 0x1800u);
  tsim_ctrl_close(c);
}

static void timer_interrupt_and_wfi(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(timer));
  run_ok(c);
  uint32_t r[13];
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS, r, sizeof r), 0);
  assert_int_equal(r[0], 0x80000007u);
  assert_int_equal(r[1] & 0x880u, 0x080u);
  assert_true(r[2] > 1);
  assert_true(r[3] >= r[4]);
  assert_int_equal(r[5] & 0x80u, 0);
  assert_true(r[6] >= r[7]);
  assert_int_equal(r[8], 1);
  assert_true(r[9] >= 0x1000u && r[9] < 0x1000u + 16u);
  assert_true(r[10] >= r[11] && r[10] <= r[12]); /* interrupted inside the wait loop */
  tsim_ctrl_close(c);
}

static void external_interrupt_from_the_pin(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(extirq));
  assert_int_equal(tsim_ctrl_run(c, 500), TSIM_CTRL_MAX_CYCLES);
  assert_int_equal(word(c, RESULTS + 12), 0); /* still spinning */
  tsim_ctrl_set_irq(c, 1);
  run_ok(c);
  uint32_t r[7];
  assert_int_equal(tsim_ctrl_mem_read(c, RESULTS, r, sizeof r), 0);
  assert_int_equal(r[0], 0x8000000bu);
  assert_true(r[1] >= r[4] && r[1] <= r[5]);
  assert_int_equal(r[2] & 0x800u, 0x800u);
  assert_int_equal(r[3], 1);
  assert_int_equal(r[6], 0x1880u);
  tsim_ctrl_close(c);
}

static void fault_case(uint32_t which, uint32_t want_addr) {
  tsim_ctrl *c = load(IMAGE(fault));
  assert_int_equal(tsim_ctrl_mem_write(c, INPUTS, &which, 4), 0);
  assert_int_equal(tsim_ctrl_run(c, BUDGET), TSIM_CTRL_FAULT);
  uint32_t addr = 0, pc = 0;
  assert_int_equal(tsim_ctrl_fault(c, &addr, &pc), 1);
  uint32_t at = word(c, RESULTS);
  if (which == 4) {
    assert_int_equal(pc, at);
    assert_int_equal(addr, at);
  } else {
    assert_int_equal(pc, at);
    assert_int_equal(addr, want_addr);
  }
  char hex[16];
  snprintf(hex, sizeof hex, "0x%08x", addr);
  assert_non_null(strstr(tsim_ctrl_fault_msg(c), hex));
  /* the run stays ended */
  assert_int_equal(tsim_ctrl_step(c), TSIM_CTRL_FAULT);
  tsim_ctrl_close(c);
}

static void fault_on_unmapped_load(void **state) {
  (void)state;
  fault_case(0, 0x30000000u);
}
static void fault_on_unmapped_store(void **state) {
  (void)state;
  fault_case(1, 0xfffffff4u);
}
static void fault_on_bus_error_from_simctrl(void **state) {
  (void)state;
  fault_case(2, TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_CYCLE_LO_OFFSET);
}
static void fault_on_bus_error_from_timer(void **state) {
  (void)state;
  fault_case(3, TESSERA_TIMER_BASE + 0x10u);
}
static void fault_on_fetch_outside_imem(void **state) {
  (void)state;
  fault_case(4, 0);
}

static void runaway_program_stops_at_cycle_budget(void **state) {
  (void)state;
  static const uint32_t spin[] = {0x0000006fu}; /* j . */
  tsim_ctrl *c = load((const unsigned char *)spin, sizeof spin);
  assert_int_equal(tsim_ctrl_run(c, 1000), TSIM_CTRL_MAX_CYCLES);
  assert_int_equal(tsim_ctrl_cycles(c), 1000);
  assert_true(tsim_ctrl_instret(c) > 900); /* a predicted jump retires every cycle */
  tsim_ctrl_close(c);
}

static void backdoor_rejects_ranges_outside_memories(void **state) {
  (void)state;
  tsim_ctrl *c = tsim_ctrl_open(NULL);
  uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8] = {0};
  assert_int_equal(tsim_ctrl_mem_write(c, TESSERA_IMEM_BASE + TESSERA_IMEM_SIZE - 4, b, 8), -1);
  assert_int_equal(tsim_ctrl_mem_write(c, TESSERA_SIMCTRL_BASE, b, 4), -1);
  assert_int_equal(tsim_ctrl_mem_write(c, TESSERA_DMEM_BASE + 3, b, 8), 0);
  assert_int_equal(tsim_ctrl_mem_read(c, TESSERA_DMEM_BASE + 3, back, 8), 0);
  assert_memory_equal(b, back, 8);
  tsim_ctrl_close(c);
}

static void retire_records_and_reset(void **state) {
  (void)state;
  tsim_ctrl *c = load(IMAGE(hazard));
  tsim_ctrl_record(c, 1);
  run_ok(c);
  struct tsim_retire r;
  uint64_t n = 0, stores = 0;
  assert_int_equal(tsim_ctrl_retire_next(c, &r), 1);
  assert_int_equal(r.pc, TESSERA_IMEM_BASE);
  assert_int_equal(r.order, 0);
  n = 1;
  while (tsim_ctrl_retire_next(c, &r)) {
    assert_int_equal(r.order, n);
    assert_int_equal(r.trap, 0);
    if (r.mem_wstrb) stores++;
    n++;
  }
  assert_int_equal(n, tsim_ctrl_instret(c));
  assert_int_equal(r.mem_addr, TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_EXIT_OFFSET); /* last: exit */
  assert_true(stores >= 15);
  /* reset keeps memory; the program runs again identically */
  uint64_t cycles = tsim_ctrl_cycles(c);
  tsim_ctrl_reset(c);
  assert_int_equal(tsim_ctrl_cycles(c), 0);
  run_ok(c);
  assert_int_equal(tsim_ctrl_cycles(c), cycles);
  tsim_ctrl_close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(alu_and_m_ops_match_reference_on_corner_operands),
      cmocka_unit_test(forwarding_branches_and_x0),
      cmocka_unit_test(load_store_byte_lanes),
      cmocka_unit_test(console_output_and_exit_code),
      cmocka_unit_test(synchronous_traps_set_cause_epc_tval),
      cmocka_unit_test(csr_reads_writes_and_warl_fields),
      cmocka_unit_test(timer_interrupt_and_wfi),
      cmocka_unit_test(external_interrupt_from_the_pin),
      cmocka_unit_test(fault_on_unmapped_load),
      cmocka_unit_test(fault_on_unmapped_store),
      cmocka_unit_test(fault_on_bus_error_from_simctrl),
      cmocka_unit_test(fault_on_bus_error_from_timer),
      cmocka_unit_test(fault_on_fetch_outside_imem),
      cmocka_unit_test(runaway_program_stops_at_cycle_budget),
      cmocka_unit_test(backdoor_rejects_ranges_outside_memories),
      cmocka_unit_test(retire_records_and_reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
