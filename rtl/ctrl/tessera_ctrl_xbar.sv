// Controller interconnect: one Tessera bus requester (the core's data port) to the four regions of
// tessera_map_pkg (imem, dmem, simctrl, timer), and, with ExtEn, every other address to the external
// port (the chip top decodes hostif, dma, tile and dram there and answers the rest with an error).
//
// The region is decoded from the requester's address in every cycle; since a requester holds its
// address stable until the transfer completes (docs/bus.md rule 2), the decode, and so the routing
// of valid, ready, rdata and err, is stable for the whole transfer. Each responder sees the offset
// of the address within its region. An address in no region is answered in the same cycle with
// bus_err (zero wait states) and reaches no responder. Adds no wait state of its own. Without
// ExtEn (the controller alone) the external port is never selected and its inputs are ignored.
module tessera_ctrl_xbar #(
  parameter bit ExtEn = 1'b0
) (
  // Requester side (responder port of the interconnect)
  input  logic        bus_valid_i,
  output logic        bus_ready_o,
  input  logic [31:0] bus_addr_i,
  input  logic [3:0]  bus_wstrb_i,
  input  logic [31:0] bus_wdata_i,
  output logic [31:0] bus_rdata_o,
  output logic        bus_err_o,

  // imem data port
  output logic        imem_valid_o,
  input  logic        imem_ready_i,
  output logic [31:0] imem_addr_o,
  input  logic [31:0] imem_rdata_i,
  input  logic        imem_err_i,

  // dmem
  output logic        dmem_valid_o,
  input  logic        dmem_ready_i,
  output logic [31:0] dmem_addr_o,
  input  logic [31:0] dmem_rdata_i,
  input  logic        dmem_err_i,

  // simctrl
  output logic        simctrl_valid_o,
  input  logic        simctrl_ready_i,
  output logic [11:0] simctrl_addr_o,
  input  logic [31:0] simctrl_rdata_i,
  input  logic        simctrl_err_i,

  // timer
  output logic        timer_valid_o,
  input  logic        timer_ready_i,
  output logic [11:0] timer_addr_o,
  input  logic [31:0] timer_rdata_i,
  input  logic        timer_err_i,

  // External port (ExtEn): the full address
  output logic        ext_valid_o,
  input  logic        ext_ready_i,
  output logic [31:0] ext_addr_o,
  input  logic [31:0] ext_rdata_i,
  input  logic        ext_err_i,

  // Shared write lanes of every responder
  output logic [3:0]  wstrb_o,
  output logic [31:0] wdata_o
);

  logic [31:0] imem_off, dmem_off, simctrl_off, timer_off;
  logic        sel_imem, sel_dmem, sel_simctrl, sel_timer, sel_ext;

  assign imem_off    = bus_addr_i - tessera_map_pkg::ImemBase;
  assign dmem_off    = bus_addr_i - tessera_map_pkg::DmemBase;
  assign simctrl_off = bus_addr_i - tessera_map_pkg::SimctrlBase;
  assign timer_off   = bus_addr_i - tessera_map_pkg::TimerBase;

  assign sel_imem    = imem_off < tessera_cfg_pkg::ImemBytes;
  assign sel_dmem    = dmem_off < tessera_cfg_pkg::DmemBytes;
  assign sel_simctrl = simctrl_off < tessera_map_pkg::SimctrlSize;
  assign sel_timer   = timer_off < tessera_map_pkg::TimerSize;
  assign sel_ext     = ExtEn && !(sel_imem || sel_dmem || sel_simctrl || sel_timer);

  assign imem_valid_o    = bus_valid_i && sel_imem;
  assign dmem_valid_o    = bus_valid_i && sel_dmem;
  assign simctrl_valid_o = bus_valid_i && sel_simctrl;
  assign timer_valid_o   = bus_valid_i && sel_timer;
  assign ext_valid_o     = bus_valid_i && sel_ext;
  assign ext_addr_o      = bus_addr_i;
  assign imem_addr_o     = imem_off;
  assign dmem_addr_o     = dmem_off;
  assign simctrl_addr_o  = simctrl_off[11:0];
  assign timer_addr_o    = timer_off[11:0];
  assign wstrb_o         = bus_wstrb_i;
  assign wdata_o         = bus_wdata_i;

  always_comb begin
    bus_ready_o = bus_valid_i;  // no region: answered at once, with an error
    bus_rdata_o = '0;
    bus_err_o   = 1'b1;
    if (sel_imem) begin
      bus_ready_o = imem_ready_i;
      bus_rdata_o = imem_rdata_i;
      bus_err_o   = imem_err_i;
    end else if (sel_dmem) begin
      bus_ready_o = dmem_ready_i;
      bus_rdata_o = dmem_rdata_i;
      bus_err_o   = dmem_err_i;
    end else if (sel_simctrl) begin
      bus_ready_o = simctrl_ready_i;
      bus_rdata_o = simctrl_rdata_i;
      bus_err_o   = simctrl_err_i;
    end else if (sel_timer) begin
      bus_ready_o = timer_ready_i;
      bus_rdata_o = timer_rdata_i;
      bus_err_o   = timer_err_i;
    end else if (sel_ext) begin
      bus_ready_o = ext_ready_i;
      bus_rdata_o = ext_rdata_i;
      bus_err_o   = ext_err_i;
    end
  end

endmodule
