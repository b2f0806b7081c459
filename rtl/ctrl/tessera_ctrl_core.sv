// Tessera controller core: RV32IM, machine mode only, four pipeline stages and a retirement register.
//
//   IF   fetch from IMEM (combinational read); predecode predicts JAL and backward branches taken
//   ID   decode, register-file read (with bypass of the instruction committing in MEM)
//   EX   ALU, single-cycle multiplier, iterative divider, branch/jump resolution (a mispredicted
//        or indirect jump redirects fetch: 2 bubbles), address generation, exception detection
//   MEM  the commit point: data bus access, CSRs, traps, interrupts, mret, wfi; the register file
//        is written at the end of this stage, results forward from here to EX
//   RET  registered retirement record (the rvfi_* port) of what MEM committed in the previous cycle
//
// Data bus: the Tessera bus of docs/bus.md, requester side. A load or store presents its request
// in its first MEM cycle and holds it until ready; the pipeline behind it stalls meanwhile. With a
// zero-wait-state responder (the SRAMs) a load's data forwards to the next instruction at once, so
// there is no load-use bubble. A bus error halts the core and raises fault_valid_o with the
// address and the PC; so does an instruction fetch outside IMEM once that instruction reaches MEM.
//
// Interrupts are taken in MEM, before the instruction there executes (its record has trap = 1 and
// its PC as mepc), only in its first MEM cycle and only if mstatus.MIE and mie & mip select one;
// external (cause 11) wins over timer (cause 7).
module tessera_ctrl_core (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Instruction fetch (combinational read of IMEM)
  output logic [31:0] imem_addr_o,
  input  logic [31:0] imem_rdata_i,

  // Data bus (Tessera bus requester)
  output logic        bus_valid_o,
  input  logic        bus_ready_i,
  output logic [31:0] bus_addr_o,
  output logic [3:0]  bus_wstrb_o,
  output logic [31:0] bus_wdata_o,
  input  logic [31:0] bus_rdata_i,
  input  logic        bus_err_i,

  // Interrupt lines (level)
  input  logic        irq_timer_i,
  input  logic        irq_ext_i,

  // Fault: the core has halted on an access outside the memory map or a bus error
  output logic        fault_valid_o,
  output logic [31:0] fault_addr_o,
  output logic [31:0] fault_pc_o,

  // Retirement port: one record per retired instruction or trap (sim/include/tsim_retire.h)
  output logic        rvfi_valid_o,
  output logic [31:0] rvfi_pc_o,
  output logic [31:0] rvfi_insn_o,
  output logic [4:0]  rvfi_rd_o,
  output logic [31:0] rvfi_rd_value_o,
  output logic [3:0]  rvfi_mem_wstrb_o,
  output logic [31:0] rvfi_mem_addr_o,
  output logic [31:0] rvfi_mem_wdata_o,
  output logic        rvfi_trap_o,
  output logic [31:0] rvfi_cause_o,
  output logic [31:0] rvfi_tval_o
);

  // ------------------------------------------------------------------------------------------
  // Encodings
  // ------------------------------------------------------------------------------------------
  localparam logic [6:0] OpLui    = 7'b0110111;
  localparam logic [6:0] OpAuipc  = 7'b0010111;
  localparam logic [6:0] OpJal    = 7'b1101111;
  localparam logic [6:0] OpJalr   = 7'b1100111;
  localparam logic [6:0] OpBranch = 7'b1100011;
  localparam logic [6:0] OpLoad   = 7'b0000011;
  localparam logic [6:0] OpStore  = 7'b0100011;
  localparam logic [6:0] OpImm    = 7'b0010011;
  localparam logic [6:0] OpReg    = 7'b0110011;
  localparam logic [6:0] OpFence  = 7'b0001111;
  localparam logic [6:0] OpSystem = 7'b1110011;

  localparam logic [3:0] AluAdd  = 4'd0;
  localparam logic [3:0] AluSub  = 4'd1;
  localparam logic [3:0] AluSll  = 4'd2;
  localparam logic [3:0] AluSlt  = 4'd3;
  localparam logic [3:0] AluSltu = 4'd4;
  localparam logic [3:0] AluXor  = 4'd5;
  localparam logic [3:0] AluSrl  = 4'd6;
  localparam logic [3:0] AluSra  = 4'd7;
  localparam logic [3:0] AluOr   = 4'd8;
  localparam logic [3:0] AluAnd  = 4'd9;

  localparam logic [31:0] CauseMisalignFetch = 32'd0;
  localparam logic [31:0] CauseIllegal       = 32'd2;
  localparam logic [31:0] CauseBreakpoint    = 32'd3;
  localparam logic [31:0] CauseMisalignLoad  = 32'd4;
  localparam logic [31:0] CauseMisalignStore = 32'd6;
  localparam logic [31:0] CauseEcallM        = 32'd11;
  localparam logic [31:0] CauseIrqTimer      = 32'h8000_0007;
  localparam logic [31:0] CauseIrqExt        = 32'h8000_000b;

  localparam logic [11:0] CsrMstatus   = 12'h300;
  localparam logic [11:0] CsrMisa      = 12'h301;
  localparam logic [11:0] CsrMie       = 12'h304;
  localparam logic [11:0] CsrMtvec     = 12'h305;
  localparam logic [11:0] CsrMscratch  = 12'h340;
  localparam logic [11:0] CsrMepc      = 12'h341;
  localparam logic [11:0] CsrMcause    = 12'h342;
  localparam logic [11:0] CsrMtval     = 12'h343;
  localparam logic [11:0] CsrMip       = 12'h344;
  localparam logic [11:0] CsrMcycle    = 12'hb00;
  localparam logic [11:0] CsrMinstret  = 12'hb02;
  localparam logic [11:0] CsrMcycleh   = 12'hb80;
  localparam logic [11:0] CsrMinstreth = 12'hb82;
  localparam logic [11:0] CsrCycle     = 12'hc00;
  localparam logic [11:0] CsrInstret   = 12'hc02;
  localparam logic [11:0] CsrCycleh    = 12'hc80;
  localparam logic [11:0] CsrInstreth  = 12'hc82;
  localparam logic [11:0] CsrMvendorid = 12'hf11;
  localparam logic [11:0] CsrMarchid   = 12'hf12;
  localparam logic [11:0] CsrMimpid    = 12'hf13;
  localparam logic [11:0] CsrMhartid   = 12'hf14;

  localparam logic [31:0] MisaValue = 32'h4000_1100;  // MXL = 32, I, M

  // ------------------------------------------------------------------------------------------
  // Pipeline state
  // ------------------------------------------------------------------------------------------
  logic        halt_q;

  // IF
  logic [31:0] pc_q, pc_d;

  // IF/ID
  logic        id_valid_q;
  logic [31:0] id_pc_q, id_insn_q, id_pnpc_q;
  logic        id_ffault_q;

  // ID/EX
  logic        ex_valid_q;
  logic [31:0] ex_pc_q, ex_insn_q, ex_pnpc_q, ex_imm_q, ex_rs1v_q, ex_rs2v_q;
  logic [4:0]  ex_rs1_q, ex_rs2_q, ex_rd_q;
  logic        ex_rd_we_q, ex_ffault_q, ex_illegal_q;
  logic [3:0]  ex_alu_op_q;
  logic        ex_a_pc_q, ex_a_zero_q, ex_b_imm_q;
  logic        ex_is_mul_q, ex_is_div_q, ex_is_branch_q, ex_is_jal_q, ex_is_jalr_q;
  logic        ex_is_load_q, ex_is_store_q, ex_is_csr_q, ex_is_ecall_q, ex_is_ebreak_q;
  logic        ex_is_mret_q, ex_is_wfi_q, ex_is_fencei_q;

  // EX/MEM
  logic        mem_valid_q;
  logic [31:0] mem_pc_q, mem_insn_q, mem_result_q, mem_addr_q, mem_wdata_q, mem_csr_src_q;
  logic [4:0]  mem_rd_q;
  logic        mem_rd_we_q, mem_ffault_q;
  logic [3:0]  mem_wstrb_q;
  logic        mem_is_load_q, mem_is_store_q, mem_is_csr_q, mem_is_mret_q, mem_is_wfi_q;
  logic        mem_is_fencei_q;
  logic        mem_exc_q;
  logic [31:0] mem_cause_q, mem_tval_q;
  logic        mem_wait_q;  // the instruction in MEM has waited at least one cycle (bus or wfi)

  // Retirement register
  logic        ret_valid_q;
  logic [31:0] ret_pc_q, ret_insn_q, ret_rd_value_q, ret_mem_addr_q, ret_mem_wdata_q;
  logic [31:0] ret_cause_q, ret_tval_q;
  logic [4:0]  ret_rd_q;
  logic [3:0]  ret_mem_wstrb_q;
  logic        ret_trap_q;

  // Fault
  logic        fault_q;
  logic [31:0] fault_addr_q, fault_pc_q;

  // CSRs
  // mstatus.MIE and mie are readable by the simulation harness (it recognises a hung program:
  // a jump to itself that no interrupt can leave).
  logic        mstatus_mie_q /* verilator public_flat_rd */;
  logic        mstatus_mpie_q;
  logic [31:0] mtvec_q, mepc_q, mcause_q, mtval_q, mscratch_q;
  logic        mie_mtie_q /* verilator public_flat_rd */;
  logic        mie_meie_q /* verilator public_flat_rd */;
  logic [63:0] mcycle_q, minstret_q;

  // Register file
  logic [31:0] rf_q [32];

  // ------------------------------------------------------------------------------------------
  // Control signals shared between stages
  // ------------------------------------------------------------------------------------------
  logic        mem_stall, ex_stall;
  logic        mem_redirect;         // trap, mret or fence.i committing in MEM
  logic [31:0] mem_redirect_pc;
  logic        ex_redirect;          // EX resolved a jump/branch differently from the prediction
  logic [31:0] ex_redirect_pc;
  logic        mem_commit;           // MEM retires its instruction this cycle
  logic        mem_trap;             // MEM takes a trap (exception or interrupt) this cycle
  logic        mem_fault;            // MEM halts the core on a fault this cycle
  logic [31:0] mem_fault_addr;
  logic [31:0] mem_trap_cause, mem_trap_tval;
  logic        mem_fwd_we;           // the MEM instruction's result is forwardable
  logic [31:0] mem_fwd_val;

  // ------------------------------------------------------------------------------------------
  // IF: fetch and predict
  // ------------------------------------------------------------------------------------------
  logic [31:0] if_insn, if_pnpc, if_imm_j, if_imm_b, if_off;
  logic        if_ffault;

  assign imem_addr_o = pc_q;
  assign if_insn     = imem_rdata_i;
  assign if_off      = pc_q - tessera_map_pkg::ImemBase;
  assign if_ffault   = !(if_off < tessera_cfg_pkg::ImemBytes);
  assign if_imm_j    = {{12{if_insn[31]}}, if_insn[19:12], if_insn[20], if_insn[30:21], 1'b0};
  assign if_imm_b    = {{20{if_insn[31]}}, if_insn[7], if_insn[30:25], if_insn[11:8], 1'b0};

  always_comb begin
    if_pnpc = pc_q + 32'd4;
    if (!if_ffault) begin
      if (if_insn[6:0] == OpJal) if_pnpc = pc_q + if_imm_j;
      else if (if_insn[6:0] == OpBranch && if_insn[31]) if_pnpc = pc_q + if_imm_b;
    end
  end

  // ------------------------------------------------------------------------------------------
  // ID: decode and register read
  // ------------------------------------------------------------------------------------------
  logic [6:0]  id_opcode, id_funct7;
  logic [2:0]  id_funct3;
  logic [4:0]  id_rs1, id_rs2, id_rd;
  logic [31:0] id_imm, id_rs1v, id_rs2v;
  logic        id_rd_we, id_illegal;
  logic [3:0]  id_alu_op;
  logic        id_a_pc, id_a_zero, id_b_imm;
  logic        id_is_mul, id_is_div, id_is_branch, id_is_jal, id_is_jalr;
  logic        id_is_load, id_is_store, id_is_csr, id_is_ecall, id_is_ebreak;
  logic        id_is_mret, id_is_wfi, id_is_fencei;
  logic        rf_we;
  logic [4:0]  rf_waddr;
  logic [31:0] rf_wdata;

  assign id_opcode = id_insn_q[6:0];
  assign id_funct3 = id_insn_q[14:12];
  assign id_funct7 = id_insn_q[31:25];
  assign id_rs1    = id_insn_q[19:15];
  assign id_rs2    = id_insn_q[24:20];
  assign id_rd     = id_insn_q[11:7];

  // Register read with a bypass of the value committed in MEM this cycle.
  // x0 reads zero (rf_q[0] is never written and not reset).
  assign id_rs1v = (id_rs1 == 5'd0) ? 32'd0 :
                   (rf_we && rf_waddr == id_rs1) ? rf_wdata : rf_q[id_rs1];
  assign id_rs2v = (id_rs2 == 5'd0) ? 32'd0 :
                   (rf_we && rf_waddr == id_rs2) ? rf_wdata : rf_q[id_rs2];

  always_comb begin
    id_imm       = '0;
    id_rd_we     = 1'b0;
    id_illegal   = 1'b0;
    id_alu_op    = AluAdd;
    id_a_pc      = 1'b0;
    id_a_zero    = 1'b0;
    id_b_imm     = 1'b0;
    id_is_mul    = 1'b0;
    id_is_div    = 1'b0;
    id_is_branch = 1'b0;
    id_is_jal    = 1'b0;
    id_is_jalr   = 1'b0;
    id_is_load   = 1'b0;
    id_is_store  = 1'b0;
    id_is_csr    = 1'b0;
    id_is_ecall  = 1'b0;
    id_is_ebreak = 1'b0;
    id_is_mret   = 1'b0;
    id_is_wfi    = 1'b0;
    id_is_fencei = 1'b0;
    unique case (id_opcode)
      OpLui: begin
        id_imm    = {id_insn_q[31:12], 12'd0};
        id_rd_we  = 1'b1;
        id_a_zero = 1'b1;
        id_b_imm  = 1'b1;
      end
      OpAuipc: begin
        id_imm   = {id_insn_q[31:12], 12'd0};
        id_rd_we = 1'b1;
        id_a_pc  = 1'b1;
        id_b_imm = 1'b1;
      end
      OpJal: begin
        id_imm    = {{12{id_insn_q[31]}}, id_insn_q[19:12], id_insn_q[20], id_insn_q[30:21], 1'b0};
        id_rd_we  = 1'b1;
        id_is_jal = 1'b1;
      end
      OpJalr: begin
        id_imm     = {{20{id_insn_q[31]}}, id_insn_q[31:20]};
        id_rd_we   = 1'b1;
        id_is_jalr = 1'b1;
        id_illegal = id_funct3 != 3'd0;
      end
      OpBranch: begin
        id_imm       = {{20{id_insn_q[31]}}, id_insn_q[7], id_insn_q[30:25], id_insn_q[11:8], 1'b0};
        id_is_branch = 1'b1;
        id_illegal   = id_funct3 == 3'd2 || id_funct3 == 3'd3;
      end
      OpLoad: begin
        id_imm     = {{20{id_insn_q[31]}}, id_insn_q[31:20]};
        id_rd_we   = 1'b1;
        id_is_load = 1'b1;
        id_illegal = id_funct3 == 3'd3 || id_funct3 == 3'd6 || id_funct3 == 3'd7;
      end
      OpStore: begin
        id_imm      = {{20{id_insn_q[31]}}, id_insn_q[31:25], id_insn_q[11:7]};
        id_is_store = 1'b1;
        id_illegal  = id_funct3 > 3'd2;
      end
      OpImm: begin
        id_imm   = {{20{id_insn_q[31]}}, id_insn_q[31:20]};
        id_rd_we = 1'b1;
        id_b_imm = 1'b1;
        unique case (id_funct3)
          3'd0: id_alu_op = AluAdd;
          3'd1: begin
            id_alu_op  = AluSll;
            id_illegal = id_funct7 != 7'd0;
          end
          3'd2: id_alu_op = AluSlt;
          3'd3: id_alu_op = AluSltu;
          3'd4: id_alu_op = AluXor;
          3'd5: begin
            id_alu_op  = id_funct7[5] ? AluSra : AluSrl;
            id_illegal = id_funct7 != 7'd0 && id_funct7 != 7'b0100000;
          end
          3'd6: id_alu_op = AluOr;
          3'd7: id_alu_op = AluAnd;
          default: ;
        endcase
      end
      OpReg: begin
        id_rd_we = 1'b1;
        if (id_funct7 == 7'b0000001) begin
          id_is_mul = !id_funct3[2];
          id_is_div = id_funct3[2];
        end else begin
          unique case (id_funct3)
            3'd0: id_alu_op = id_funct7[5] ? AluSub : AluAdd;
            3'd1: id_alu_op = AluSll;
            3'd2: id_alu_op = AluSlt;
            3'd3: id_alu_op = AluSltu;
            3'd4: id_alu_op = AluXor;
            3'd5: id_alu_op = id_funct7[5] ? AluSra : AluSrl;
            3'd6: id_alu_op = AluOr;
            3'd7: id_alu_op = AluAnd;
            default: ;
          endcase
          id_illegal = !(id_funct7 == 7'd0 ||
                         (id_funct7 == 7'b0100000 && (id_funct3 == 3'd0 || id_funct3 == 3'd5)));
        end
      end
      OpFence: begin
        // FENCE is a no-op on this single in-order core. FENCE.I refetches the instructions after
        // it (they may have been fetched before a store to IMEM changed them).
        id_is_fencei = id_funct3 == 3'd1;
        id_illegal   = id_funct3 > 3'd1;
      end
      OpSystem: begin
        if (id_funct3 == 3'd0) begin
          if (id_insn_q == 32'h0000_0073) id_is_ecall = 1'b1;
          else if (id_insn_q == 32'h0010_0073) id_is_ebreak = 1'b1;
          else if (id_insn_q == 32'h3020_0073) id_is_mret = 1'b1;
          else if (id_insn_q == 32'h1050_0073) id_is_wfi = 1'b1;
          else id_illegal = 1'b1;
        end else if (id_funct3 == 3'd4) begin
          id_illegal = 1'b1;
        end else begin
          id_is_csr = 1'b1;
          id_rd_we  = 1'b1;
        end
      end
      default: id_illegal = 1'b1;
    endcase
    if (id_insn_q[1:0] != 2'b11) id_illegal = 1'b1;
    if (id_illegal) id_rd_we = 1'b0;
    if (id_rd == 5'd0) id_rd_we = 1'b0;
  end

  // ------------------------------------------------------------------------------------------
  // EX: execute
  // ------------------------------------------------------------------------------------------
  logic [31:0] ex_rs1v, ex_rs2v, ex_a, ex_b, ex_alu, ex_result, ex_link;
  logic [2:0]  ex_funct3;
  logic [63:0] ex_mul_a, ex_mul_b, ex_mul_p;
  logic        ex_take, ex_cond;
  logic [31:0] ex_target, ex_npc, ex_addr;
  logic        ex_misalign;
  logic [3:0]  ex_wstrb;
  logic [31:0] ex_wdata;
  logic        ex_exc;
  logic [31:0] ex_cause, ex_tval;
  logic        div_start, div_done, div_ack;
  logic [31:0] div_result;

  assign ex_funct3 = ex_insn_q[14:12];

  // Forwarding from the instruction in MEM.
  assign ex_rs1v = (mem_fwd_we && mem_rd_q == ex_rs1_q) ? mem_fwd_val : ex_rs1v_q;
  assign ex_rs2v = (mem_fwd_we && mem_rd_q == ex_rs2_q) ? mem_fwd_val : ex_rs2v_q;

  assign ex_a = ex_a_zero_q ? 32'd0 : (ex_a_pc_q ? ex_pc_q : ex_rs1v);
  assign ex_b = ex_b_imm_q ? ex_imm_q : ex_rs2v;

  always_comb begin
    unique case (ex_alu_op_q)
      AluAdd:  ex_alu = ex_a + ex_b;
      AluSub:  ex_alu = ex_a - ex_b;
      AluSll:  ex_alu = ex_a << ex_b[4:0];
      AluSlt:  ex_alu = {31'd0, $signed(ex_a) < $signed(ex_b)};
      AluSltu: ex_alu = {31'd0, ex_a < ex_b};
      AluXor:  ex_alu = ex_a ^ ex_b;
      AluSrl:  ex_alu = ex_a >> ex_b[4:0];
      AluSra:  ex_alu = $unsigned($signed(ex_a) >>> ex_b[4:0]);
      AluOr:   ex_alu = ex_a | ex_b;
      AluAnd:  ex_alu = ex_a & ex_b;
      default: ex_alu = ex_a + ex_b;
    endcase
  end

  // Multiplier: 64-bit product of the sign- or zero-extended operands (exact modulo 2^64).
  // funct3: 0 MUL, 1 MULH (s x s), 2 MULHSU (s x u), 3 MULHU (u x u).
  assign ex_mul_a = {{32{ex_rs1v[31] && ex_funct3[1:0] != 2'd3}}, ex_rs1v};
  assign ex_mul_b = {{32{ex_rs2v[31] && ex_funct3[1:0] == 2'd1}}, ex_rs2v};
  assign ex_mul_p = ex_mul_a * ex_mul_b;

  // Branches and jumps
  always_comb begin
    unique case (ex_funct3)
      3'd0:    ex_cond = ex_rs1v == ex_rs2v;
      3'd1:    ex_cond = ex_rs1v != ex_rs2v;
      3'd4:    ex_cond = $signed(ex_rs1v) < $signed(ex_rs2v);
      3'd5:    ex_cond = $signed(ex_rs1v) >= $signed(ex_rs2v);
      3'd6:    ex_cond = ex_rs1v < ex_rs2v;
      3'd7:    ex_cond = ex_rs1v >= ex_rs2v;
      default: ex_cond = 1'b0;
    endcase
  end

  assign ex_link   = ex_pc_q + 32'd4;
  assign ex_target = ex_is_jalr_q ? ((ex_rs1v + ex_imm_q) & 32'hffff_fffe) : (ex_pc_q + ex_imm_q);
  assign ex_take   = ex_is_jal_q || ex_is_jalr_q || (ex_is_branch_q && ex_cond);
  assign ex_npc    = ex_take ? ex_target : ex_link;

  always_comb begin
    if (ex_is_jal_q || ex_is_jalr_q) ex_result = ex_link;
    else if (ex_is_mul_q) ex_result = (ex_funct3[1:0] == 2'd0) ? ex_mul_p[31:0] : ex_mul_p[63:32];
    else if (ex_is_div_q) ex_result = div_result;
    else ex_result = ex_alu;
  end

  // Load/store address, strobes and lane-aligned store data
  assign ex_addr = ex_rs1v + ex_imm_q;
  always_comb begin
    unique case (ex_funct3[1:0])
      2'd0: begin
        ex_misalign = 1'b0;
        ex_wstrb    = 4'b0001 << ex_addr[1:0];
        ex_wdata    = {4{ex_rs2v[7:0]}};
      end
      2'd1: begin
        ex_misalign = ex_addr[0];
        ex_wstrb    = ex_addr[1] ? 4'b1100 : 4'b0011;
        ex_wdata    = {2{ex_rs2v[15:0]}};
      end
      default: begin
        ex_misalign = ex_addr[1:0] != 2'd0;
        ex_wstrb    = 4'b1111;
        ex_wdata    = ex_rs2v;
      end
    endcase
  end

  // Exceptions detected up to EX, in priority order
  always_comb begin
    ex_exc   = 1'b1;
    ex_cause = '0;
    ex_tval  = '0;
    if (ex_illegal_q) begin
      ex_cause = CauseIllegal;
      ex_tval  = ex_insn_q;
    end else if (ex_is_ecall_q) begin
      ex_cause = CauseEcallM;
    end else if (ex_is_ebreak_q) begin
      ex_cause = CauseBreakpoint;
    end else if (ex_take && ex_target[1:0] != 2'd0) begin
      ex_cause = CauseMisalignFetch;
      ex_tval  = ex_target;
    end else if (ex_is_load_q && ex_misalign) begin
      ex_cause = CauseMisalignLoad;
      ex_tval  = ex_addr;
    end else if (ex_is_store_q && ex_misalign) begin
      ex_cause = CauseMisalignStore;
      ex_tval  = ex_addr;
    end else begin
      ex_exc = 1'b0;
    end
  end

  // Divider: started once the instruction is in EX and MEM is not holding it back.
  assign div_start = ex_valid_q && ex_is_div_q && !ex_illegal_q && !ex_ffault_q && !div_done &&
                     !mem_stall && !mem_redirect && !halt_q;
  assign div_ack   = !mem_stall && !halt_q;

  tessera_ctrl_div u_div (
    .clk_i,
    .rst_ni,
    .start_i  (div_start),
    .kill_i   (mem_redirect || halt_q || !ex_valid_q),
    .ack_i    (div_ack),
    .op_i     (ex_funct3[1:0]),
    .a_i      (ex_rs1v),
    .b_i      (ex_rs2v),
    .done_o   (div_done),
    .result_o (div_result)
  );

  assign ex_stall    = mem_stall ||
                       (ex_valid_q && ex_is_div_q && !ex_illegal_q && !ex_ffault_q && !div_done);
  assign ex_redirect = ex_valid_q && !ex_stall && !mem_redirect && !halt_q &&
                       !ex_ffault_q && !ex_exc && ex_npc != ex_pnpc_q;
  assign ex_redirect_pc = ex_npc;

  // ------------------------------------------------------------------------------------------
  // MEM: bus access, CSRs, traps (the commit point)
  // ------------------------------------------------------------------------------------------
  logic [31:0] mstatus_rd, mie_rd, mip_rd, csr_rdata, csr_wval, csr_new, load_word, load_val;
  logic [11:0] csr_addr;
  logic        csr_exists, csr_write, csr_illegal;
  logic        irq_pending, irq_take, wfi_wake;
  logic [31:0] irq_cause;
  logic        mem_access;

  assign mstatus_rd = {19'd0, 2'b11, 3'd0, mstatus_mpie_q, 3'd0, mstatus_mie_q, 3'd0};
  assign mie_rd     = {20'd0, mie_meie_q, 3'd0, mie_mtie_q, 7'd0};
  assign mip_rd     = {20'd0, irq_ext_i, 3'd0, irq_timer_i, 7'd0};

  assign csr_addr = mem_insn_q[31:20];
  always_comb begin
    csr_exists = 1'b1;
    csr_rdata  = '0;
    unique case (csr_addr)
      CsrMstatus:                csr_rdata = mstatus_rd;
      CsrMisa:                   csr_rdata = MisaValue;
      CsrMie:                    csr_rdata = mie_rd;
      CsrMtvec:                  csr_rdata = mtvec_q;
      CsrMscratch:               csr_rdata = mscratch_q;
      CsrMepc:                   csr_rdata = mepc_q;
      CsrMcause:                 csr_rdata = mcause_q;
      CsrMtval:                  csr_rdata = mtval_q;
      CsrMip:                    csr_rdata = mip_rd;
      CsrMcycle, CsrCycle:       csr_rdata = mcycle_q[31:0];
      CsrMinstret, CsrInstret:   csr_rdata = minstret_q[31:0];
      CsrMcycleh, CsrCycleh:     csr_rdata = mcycle_q[63:32];
      CsrMinstreth, CsrInstreth: csr_rdata = minstret_q[63:32];
      CsrMvendorid, CsrMarchid, CsrMimpid, CsrMhartid: csr_rdata = '0;
      default:                   csr_exists = 1'b0;
    endcase
  end

  // CSRRW[I] always write; CSRRS[I]/CSRRC[I] write unless rs1 (or uimm) is 0.
  assign csr_write   = mem_insn_q[13:12] == 2'b01 || mem_insn_q[19:15] != 5'd0;
  assign csr_illegal = !csr_exists || (csr_write && csr_addr[11:10] == 2'b11);
  assign csr_wval    = mem_insn_q[14] ? {27'd0, mem_insn_q[19:15]} : mem_csr_src_q;
  always_comb begin
    unique case (mem_insn_q[13:12])
      2'b01:   csr_new = csr_wval;
      2'b10:   csr_new = csr_rdata | csr_wval;
      2'b11:   csr_new = csr_rdata & ~csr_wval;
      default: csr_new = csr_rdata;
    endcase
  end

  assign irq_pending = mstatus_mie_q && ((mie_meie_q && irq_ext_i) || (mie_mtie_q && irq_timer_i));
  assign irq_cause   = (mie_meie_q && irq_ext_i) ? CauseIrqExt : CauseIrqTimer;
  assign irq_take    = mem_valid_q && !mem_wait_q && irq_pending && !halt_q;
  assign wfi_wake    = (mie_meie_q && irq_ext_i) || (mie_mtie_q && irq_timer_i);

  assign mem_access  = (mem_is_load_q || mem_is_store_q) && !mem_exc_q && !mem_ffault_q;
  assign bus_valid_o = mem_valid_q && mem_access && !irq_take && !halt_q;
  assign bus_addr_o  = mem_addr_q;
  assign bus_wstrb_o = mem_is_store_q ? mem_wstrb_q : 4'd0;
  assign bus_wdata_o = mem_wdata_q;

  assign load_word = bus_rdata_i >> {mem_addr_q[1:0], 3'd0};
  always_comb begin
    unique case (mem_insn_q[14:12])
      3'd0:    load_val = {{24{load_word[7]}}, load_word[7:0]};
      3'd1:    load_val = {{16{load_word[15]}}, load_word[15:0]};
      3'd4:    load_val = {24'd0, load_word[7:0]};
      3'd5:    load_val = {16'd0, load_word[15:0]};
      default: load_val = load_word;
    endcase
  end

  always_comb begin
    mem_stall       = 1'b0;
    mem_commit      = 1'b0;
    mem_trap        = 1'b0;
    mem_fault       = 1'b0;
    mem_fault_addr  = mem_pc_q;
    mem_trap_cause  = mem_cause_q;
    mem_trap_tval   = mem_tval_q;
    mem_redirect    = 1'b0;
    mem_redirect_pc = mtvec_q;
    if (mem_valid_q && !halt_q) begin
      if (irq_take) begin
        mem_trap       = 1'b1;
        mem_trap_cause = irq_cause;
        mem_trap_tval  = '0;
      end else if (mem_ffault_q) begin
        mem_fault = 1'b1;
      end else if (mem_exc_q) begin
        mem_trap = 1'b1;
      end else if (mem_access) begin
        if (!bus_ready_i) mem_stall = 1'b1;
        else if (bus_err_i) begin
          mem_fault      = 1'b1;
          mem_fault_addr = mem_addr_q;
        end else mem_commit = 1'b1;
      end else if (mem_is_csr_q && csr_illegal) begin
        mem_trap       = 1'b1;
        mem_trap_cause = CauseIllegal;
        mem_trap_tval  = mem_insn_q;
      end else if (mem_is_wfi_q && !wfi_wake) begin
        mem_stall = 1'b1;
      end else begin
        mem_commit = 1'b1;
        if (mem_is_mret_q) begin
          mem_redirect    = 1'b1;
          mem_redirect_pc = mepc_q;
        end else if (mem_is_fencei_q) begin
          mem_redirect    = 1'b1;
          mem_redirect_pc = mem_pc_q + 32'd4;
        end
      end
    end
    if (mem_trap) mem_redirect = 1'b1;
  end

  assign mem_fwd_we  = mem_valid_q && mem_rd_we_q;
  assign mem_fwd_val = mem_is_load_q ? load_val : (mem_is_csr_q ? csr_rdata : mem_result_q);

  assign rf_we    = mem_commit && mem_rd_we_q;
  assign rf_waddr = mem_rd_q;
  assign rf_wdata = mem_fwd_val;

  // ------------------------------------------------------------------------------------------
  // Next PC
  // ------------------------------------------------------------------------------------------
  always_comb begin
    if (mem_redirect) pc_d = mem_redirect_pc;
    else if (ex_redirect) pc_d = ex_redirect_pc;
    else if (ex_stall) pc_d = pc_q;
    else pc_d = if_pnpc;
  end

  // ------------------------------------------------------------------------------------------
  // Registers
  // ------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rf_we) rf_q[rf_waddr] <= rf_wdata;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      halt_q      <= 1'b0;
      pc_q        <= tessera_map_pkg::ImemBase;
      id_valid_q  <= 1'b0;
      ex_valid_q  <= 1'b0;
      mem_valid_q <= 1'b0;
      mem_wait_q  <= 1'b0;
      ret_valid_q <= 1'b0;
      fault_q     <= 1'b0;
      fault_addr_q <= '0;
      fault_pc_q   <= '0;
    end else if (!halt_q) begin
      pc_q <= pc_d;
      // IF/ID
      if (mem_redirect || ex_redirect) id_valid_q <= 1'b0;
      else if (!ex_stall) id_valid_q <= 1'b1;
      // ID/EX
      if (mem_redirect) ex_valid_q <= 1'b0;
      else if (!ex_stall) ex_valid_q <= id_valid_q && !ex_redirect;
      // EX/MEM
      if (mem_redirect || mem_fault) mem_valid_q <= 1'b0;
      else if (!mem_stall) mem_valid_q <= ex_valid_q && !ex_stall;
      mem_wait_q  <= mem_stall;
      ret_valid_q <= mem_commit || mem_trap;
      if (mem_fault) begin
        halt_q       <= 1'b1;
        fault_q      <= 1'b1;
        fault_addr_q <= mem_fault_addr;
        fault_pc_q   <= mem_pc_q;
      end
    end else begin
      ret_valid_q <= 1'b0;
    end
  end

  // Datapath registers (no reset needed: qualified by the valid bits)
  always_ff @(posedge clk_i) begin
    if (!halt_q && !ex_stall) begin
      id_pc_q     <= pc_q;
      id_insn_q   <= if_insn;
      id_pnpc_q   <= if_pnpc;
      id_ffault_q <= if_ffault;

      ex_pc_q        <= id_pc_q;
      ex_insn_q      <= id_insn_q;
      ex_pnpc_q      <= id_pnpc_q;
      ex_imm_q       <= id_imm;
      ex_rs1v_q      <= id_rs1v;
      ex_rs2v_q      <= id_rs2v;
      ex_rs1_q       <= id_rs1;
      ex_rs2_q       <= id_rs2;
      ex_rd_q        <= id_rd;
      ex_rd_we_q     <= id_rd_we;
      ex_ffault_q    <= id_ffault_q;
      ex_illegal_q   <= id_illegal;
      ex_alu_op_q    <= id_alu_op;
      ex_a_pc_q      <= id_a_pc;
      ex_a_zero_q    <= id_a_zero;
      ex_b_imm_q     <= id_b_imm;
      ex_is_mul_q    <= id_is_mul;
      ex_is_div_q    <= id_is_div;
      ex_is_branch_q <= id_is_branch;
      ex_is_jal_q    <= id_is_jal;
      ex_is_jalr_q   <= id_is_jalr;
      ex_is_load_q   <= id_is_load;
      ex_is_store_q  <= id_is_store;
      ex_is_csr_q    <= id_is_csr;
      ex_is_ecall_q  <= id_is_ecall;
      ex_is_ebreak_q <= id_is_ebreak;
      ex_is_mret_q   <= id_is_mret;
      ex_is_wfi_q    <= id_is_wfi;
      ex_is_fencei_q <= id_is_fencei;
    end
    if (!halt_q && !mem_stall) begin
      mem_pc_q       <= ex_pc_q;
      mem_insn_q     <= ex_insn_q;
      mem_result_q   <= ex_result;
      mem_addr_q     <= ex_addr;
      mem_wstrb_q    <= ex_wstrb;
      mem_wdata_q    <= ex_wdata;
      mem_csr_src_q  <= ex_rs1v;
      mem_rd_q       <= ex_rd_q;
      mem_rd_we_q    <= ex_rd_we_q;
      mem_ffault_q   <= ex_ffault_q;
      mem_is_load_q  <= ex_is_load_q;
      mem_is_store_q <= ex_is_store_q;
      mem_is_csr_q   <= ex_is_csr_q;
      mem_is_mret_q  <= ex_is_mret_q;
      mem_is_wfi_q   <= ex_is_wfi_q;
      mem_is_fencei_q <= ex_is_fencei_q;
      mem_exc_q      <= ex_exc;
      mem_cause_q    <= ex_cause;
      mem_tval_q     <= ex_tval;
    end
    if (!halt_q) begin
      ret_pc_q        <= mem_pc_q;
      ret_insn_q      <= irq_take ? 32'd0 : mem_insn_q;  // an interrupt record has no instruction
      ret_trap_q      <= mem_trap;
      ret_cause_q     <= mem_trap_cause;
      ret_tval_q      <= mem_trap_tval;
      ret_rd_q        <= rf_we ? mem_rd_q : 5'd0;
      ret_rd_value_q  <= rf_we ? rf_wdata : 32'd0;
      ret_mem_wstrb_q <= (mem_commit && mem_is_store_q) ? mem_wstrb_q : 4'd0;
      ret_mem_addr_q  <= (mem_commit && mem_is_store_q) ? {mem_addr_q[31:2], 2'b00} : 32'd0;
      ret_mem_wdata_q <= (mem_commit && mem_is_store_q) ? mem_wdata_q & {{8{mem_wstrb_q[3]}},
                         {8{mem_wstrb_q[2]}}, {8{mem_wstrb_q[1]}}, {8{mem_wstrb_q[0]}}} : 32'd0;
    end
  end

  // CSR state
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mstatus_mie_q  <= 1'b0;
      mstatus_mpie_q <= 1'b0;
      mtvec_q        <= '0;
      mepc_q         <= '0;
      mcause_q       <= '0;
      mtval_q        <= '0;
      mscratch_q     <= '0;
      mie_mtie_q     <= 1'b0;
      mie_meie_q     <= 1'b0;
      mcycle_q       <= '0;
      minstret_q     <= '0;
    end else begin
      mcycle_q <= mcycle_q + 64'd1;
      if (mem_commit) minstret_q <= minstret_q + 64'd1;
      if (mem_trap) begin
        mepc_q         <= mem_pc_q;
        mcause_q       <= mem_trap_cause;
        mtval_q        <= mem_trap_tval;
        mstatus_mpie_q <= mstatus_mie_q;
        mstatus_mie_q  <= 1'b0;
      end else if (mem_commit && mem_is_mret_q) begin
        mstatus_mie_q  <= mstatus_mpie_q;
        mstatus_mpie_q <= 1'b1;
      end else if (mem_commit && mem_is_csr_q && csr_write) begin
        unique case (csr_addr)
          CsrMstatus: begin
            mstatus_mie_q  <= csr_new[3];
            mstatus_mpie_q <= csr_new[7];
          end
          CsrMie: begin
            mie_mtie_q <= csr_new[7];
            mie_meie_q <= csr_new[11];
          end
          CsrMtvec:     mtvec_q <= {csr_new[31:2], 2'b00};
          CsrMscratch:  mscratch_q <= csr_new;
          CsrMepc:      mepc_q <= {csr_new[31:2], 2'b00};
          CsrMcause:    mcause_q <= csr_new;
          CsrMtval:     mtval_q <= csr_new;
          CsrMcycle:    mcycle_q[31:0] <= csr_new;
          CsrMcycleh:   mcycle_q[63:32] <= csr_new;
          CsrMinstret:  minstret_q[31:0] <= csr_new;
          CsrMinstreth: minstret_q[63:32] <= csr_new;
          default: ;  // misa and mip: writable, no writable bits
        endcase
      end
    end
  end

  // ------------------------------------------------------------------------------------------
  // Outputs
  // ------------------------------------------------------------------------------------------
  assign fault_valid_o    = fault_q;
  assign fault_addr_o     = fault_addr_q;
  assign fault_pc_o       = fault_pc_q;
  assign rvfi_valid_o     = ret_valid_q;
  assign rvfi_pc_o        = ret_pc_q;
  assign rvfi_insn_o      = ret_insn_q;
  assign rvfi_rd_o        = ret_rd_q;
  assign rvfi_rd_value_o  = ret_rd_value_q;
  assign rvfi_mem_wstrb_o = ret_mem_wstrb_q;
  assign rvfi_mem_addr_o  = ret_mem_addr_q;
  assign rvfi_mem_wdata_o = ret_mem_wdata_q;
  assign rvfi_trap_o      = ret_trap_q;
  assign rvfi_cause_o     = ret_cause_q;
  assign rvfi_tval_o      = ret_tval_q;

endmodule
