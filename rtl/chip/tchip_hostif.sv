// Host interface register block (docs/registers.md, block hostif): the registers the host and the
// firmware share. Every register is rw from both sides; fw_state keeps its 8-bit field and irq its
// pending bit, the others all 32 bits (what the chip cmodel keeps too).
//
// Bus port (docs/bus.md): zero wait states. Registers are 32-bit: a write with partial strobes, or an
// offset that names no register, is answered with bus_err and changes nothing.
// Host port: host_we_i writes host_wdata_i at host_addr_i on the clock edge; host_rdata_o is the
// register at host_addr_i (combinational). The host's write wins over the firmware's in one cycle.
module tchip_hostif (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Tessera bus (responder), offset within the block
  input  logic        bus_valid_i,
  output logic        bus_ready_o,
  input  logic [11:0] bus_addr_i,
  input  logic [3:0]  bus_wstrb_i,
  input  logic [31:0] bus_wdata_i,
  output logic [31:0] bus_rdata_o,
  output logic        bus_err_o,

  // Host side
  input  logic        host_we_i,
  input  logic [11:0] host_addr_i,
  input  logic [31:0] host_wdata_i,
  output logic [31:0] host_rdata_o,

  output logic        irq_o,
  output logic        irq_set_o,  // pulse after a firmware write of irq with pending set
  output logic [7:0]  fw_state_o
);

  localparam int unsigned NRegs = 32'(tessera_map_pkg::HostifTrapTvalOffset) / 4 + 1;

  logic [31:0] regs_q [NRegs];
  logic [31:0] regs_d [NRegs];
  logic        bus_hit, host_hit, bus_we;
  logic [31:0] bus_idx, host_idx;

  // Field width of each register (the rest reads as zero).
  function automatic logic [31:0] reg_mask(int unsigned idx);
    if (idx == 32'(tessera_map_pkg::HostifFwStateOffset) / 4) reg_mask = 32'h0000_00ff;
    else if (idx == 32'(tessera_map_pkg::HostifIrqOffset) / 4) reg_mask = 32'h0000_0001;
    else reg_mask = 32'hffff_ffff;
  endfunction

  assign bus_idx  = 32'(bus_addr_i[11:2]);
  assign host_idx = 32'(host_addr_i[11:2]);
  assign bus_hit  = bus_addr_i[1:0] == 2'b00 && bus_idx < NRegs;
  assign host_hit = host_addr_i[1:0] == 2'b00 && host_idx < NRegs;
  assign bus_we   = bus_valid_i && bus_hit && bus_wstrb_i == 4'b1111;

  assign bus_ready_o  = bus_valid_i;
  assign bus_err_o    = bus_valid_i && (!bus_hit || (bus_wstrb_i != 4'b0000 && bus_wstrb_i != 4'b1111));
  assign bus_rdata_o  = (bus_valid_i && bus_hit && bus_wstrb_i == 4'b0000) ? regs_q[bus_idx[3:0]] : '0;
  assign host_rdata_o = host_hit ? regs_q[host_idx[3:0]] : '0;

  always_comb begin
    for (int unsigned i = 0; i < NRegs; i++) begin
      regs_d[i] = regs_q[i];
      if (bus_we && bus_idx == i) regs_d[i] = bus_wdata_i & reg_mask(i);
      if (host_we_i && host_hit && host_idx == i) regs_d[i] = host_wdata_i & reg_mask(i);
    end
  end

  // irq_set_o: high in the cycle after the write (the host-visible event; re-raising counts too).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NRegs; i++) regs_q[i] <= '0;
      irq_set_o <= 1'b0;
    end else begin
      for (int unsigned i = 0; i < NRegs; i++) regs_q[i] <= regs_d[i];
      irq_set_o <= bus_we && bus_idx == 32'(tessera_map_pkg::HostifIrqOffset) / 4 && bus_wdata_i[0];
    end
  end

  assign irq_o      = regs_q[32'(tessera_map_pkg::HostifIrqOffset) / 4][0];
  assign fw_state_o = regs_q[32'(tessera_map_pkg::HostifFwStateOffset) / 4][7:0];

  logic unused;
  assign unused = ^{bus_idx[31:4], host_idx[31:4]};

endmodule
