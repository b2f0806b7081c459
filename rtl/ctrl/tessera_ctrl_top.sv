// Tessera controller: the RV32IM core with its instruction and data SRAMs, the simulation-control
// block, the machine timer and the interconnect that joins them on the Tessera bus (docs/bus.md).
//
// Memory map and sizes come from tessera_map_pkg and tessera_cfg_pkg. The core fetches from IMEM
// through IMEM's own port; every data access goes through tessera_ctrl_xbar. An access to no region
// or a bus error halts the core: fault_valid_o rises and stays high, with the byte address of the
// access (or the PC, for a fetch outside IMEM) and the PC of the instruction. The harness ends the
// simulation on it, on exit_valid_o, or after its cycle budget.
//
// With ExtEn (the chip, rtl/chip/tessera_chip_top.sv) every data address outside the four regions
// goes out on the ext_* port (the Tessera bus, full address) and DMEM's second port is the dmem_b_*
// port; without it (the controller alone) both are ignored and such an address is a fault as before.
module tessera_ctrl_top #(
  parameter bit ExtEn = 1'b0
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // External interrupt line (machine external interrupt, mip.MEIP; level)
  input  logic        irq_ext_i,

  // Simulation control side effects (one-cycle pulses)
  output logic        console_valid_o,
  output logic [7:0]  console_char_o,
  output logic        exit_valid_o,
  output logic [31:0] exit_code_o,

  // Fault (sticky): access outside the memory map or bus error
  output logic        fault_valid_o,
  output logic [31:0] fault_addr_o,
  output logic [31:0] fault_pc_o,

  // External bus (ExtEn): requester side, full byte address
  output logic        ext_valid_o,
  input  logic        ext_ready_i,
  output logic [31:0] ext_addr_o,
  output logic [3:0]  ext_wstrb_o,
  output logic [31:0] ext_wdata_o,
  input  logic [31:0] ext_rdata_i,
  input  logic        ext_err_i,

  // DMEM second port (ExtEn; tessera_ctrl_dmem): byte offset within DMEM
  input  logic        dmem_b_req_i,
  input  logic        dmem_b_we_i,
  input  logic [3:0]  dmem_b_be_i,
  input  logic [31:0] dmem_b_addr_i,
  input  logic [31:0] dmem_b_wdata_i,
  output logic [31:0] dmem_b_rdata_o,

  // Retirement port of the core (sim/include/tsim_retire.h)
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

  // Core fetch port
  logic [31:0] fetch_addr, fetch_rdata;

  // Core data bus
  logic        cb_valid, cb_ready, cb_err;
  logic [31:0] cb_addr, cb_wdata, cb_rdata;
  logic [3:0]  cb_wstrb;

  // Responder buses
  logic        im_valid, im_ready, im_err, dm_valid, dm_ready, dm_err;
  logic        sc_valid, sc_ready, sc_err, tm_valid, tm_ready, tm_err;
  logic [31:0] im_addr, im_rdata, dm_addr, dm_rdata, sc_rdata, tm_rdata, wdata;
  logic [11:0] sc_addr, tm_addr;
  logic [3:0]  wstrb;
  logic        irq_timer;

  tessera_ctrl_core u_core (
    .clk_i,
    .rst_ni,
    .imem_addr_o      (fetch_addr),
    .imem_rdata_i     (fetch_rdata),
    .bus_valid_o      (cb_valid),
    .bus_ready_i      (cb_ready),
    .bus_addr_o       (cb_addr),
    .bus_wstrb_o      (cb_wstrb),
    .bus_wdata_o      (cb_wdata),
    .bus_rdata_i      (cb_rdata),
    .bus_err_i        (cb_err),
    .irq_timer_i      (irq_timer),
    .irq_ext_i,
    .fault_valid_o,
    .fault_addr_o,
    .fault_pc_o,
    .rvfi_valid_o,
    .rvfi_pc_o,
    .rvfi_insn_o,
    .rvfi_rd_o,
    .rvfi_rd_value_o,
    .rvfi_mem_wstrb_o,
    .rvfi_mem_addr_o,
    .rvfi_mem_wdata_o,
    .rvfi_trap_o,
    .rvfi_cause_o,
    .rvfi_tval_o
  );

  tessera_ctrl_xbar #(.ExtEn(ExtEn)) u_xbar (
    .bus_valid_i     (cb_valid),
    .bus_ready_o     (cb_ready),
    .bus_addr_i      (cb_addr),
    .bus_wstrb_i     (cb_wstrb),
    .bus_wdata_i     (cb_wdata),
    .bus_rdata_o     (cb_rdata),
    .bus_err_o       (cb_err),
    .imem_valid_o    (im_valid),
    .imem_ready_i    (im_ready),
    .imem_addr_o     (im_addr),
    .imem_rdata_i    (im_rdata),
    .imem_err_i      (im_err),
    .dmem_valid_o    (dm_valid),
    .dmem_ready_i    (dm_ready),
    .dmem_addr_o     (dm_addr),
    .dmem_rdata_i    (dm_rdata),
    .dmem_err_i      (dm_err),
    .simctrl_valid_o (sc_valid),
    .simctrl_ready_i (sc_ready),
    .simctrl_addr_o  (sc_addr),
    .simctrl_rdata_i (sc_rdata),
    .simctrl_err_i   (sc_err),
    .timer_valid_o   (tm_valid),
    .timer_ready_i   (tm_ready),
    .timer_addr_o    (tm_addr),
    .timer_rdata_i   (tm_rdata),
    .timer_err_i     (tm_err),
    .ext_valid_o,
    .ext_ready_i,
    .ext_addr_o,
    .ext_rdata_i,
    .ext_err_i,
    .wstrb_o         (wstrb),
    .wdata_o         (wdata)
  );

  tessera_ctrl_imem #(.Bytes(tessera_cfg_pkg::ImemBytes)) u_imem (
    .clk_i,
    .fetch_addr_i  (fetch_addr - tessera_map_pkg::ImemBase),
    .fetch_rdata_o (fetch_rdata),
    .bus_valid_i   (im_valid),
    .bus_ready_o   (im_ready),
    .bus_addr_i    (im_addr),
    .bus_wstrb_i   (wstrb),
    .bus_wdata_i   (wdata),
    .bus_rdata_o   (im_rdata),
    .bus_err_o     (im_err)
  );

  tessera_ctrl_dmem #(.Bytes(tessera_cfg_pkg::DmemBytes)) u_dmem (
    .clk_i,
    .bus_valid_i (dm_valid),
    .bus_ready_o (dm_ready),
    .bus_addr_i  (dm_addr),
    .bus_wstrb_i (wstrb),
    .bus_wdata_i (wdata),
    .bus_rdata_o (dm_rdata),
    .bus_err_o   (dm_err),
    .b_req_i     (ExtEn && dmem_b_req_i),
    .b_we_i      (dmem_b_we_i),
    .b_be_i      (dmem_b_be_i),
    .b_addr_i    (dmem_b_addr_i),
    .b_wdata_i   (dmem_b_wdata_i),
    .b_rdata_o   (dmem_b_rdata_o)
  );

  assign ext_wstrb_o = wstrb;
  assign ext_wdata_o = wdata;

  tessera_simctrl u_simctrl (
    .clk_i,
    .rst_ni,
    .bus_valid_i     (sc_valid),
    .bus_ready_o     (sc_ready),
    .bus_addr_i      (sc_addr),
    .bus_wstrb_i     (wstrb),
    .bus_wdata_i     (wdata),
    .bus_rdata_o     (sc_rdata),
    .bus_err_o       (sc_err),
    .console_valid_o,
    .console_char_o,
    .exit_valid_o,
    .exit_code_o
  );

  tessera_timer u_timer (
    .clk_i,
    .rst_ni,
    .bus_valid_i (tm_valid),
    .bus_ready_o (tm_ready),
    .bus_addr_i  (tm_addr),
    .bus_wstrb_i (wstrb),
    .bus_wdata_i (wdata),
    .bus_rdata_o (tm_rdata),
    .bus_err_o   (tm_err),
    .irq_o       (irq_timer)
  );

endmodule
