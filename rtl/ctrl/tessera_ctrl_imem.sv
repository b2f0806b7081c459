// Controller instruction SRAM: one word-wide array with a fetch read port and a Tessera bus port.
//
// Fetch port: combinational read of the word at fetch_addr_i (byte address within the region,
// low two bits ignored; out-of-range addresses wrap, the core checks the range itself).
// Bus port (docs/bus.md): zero wait states, bus_ready_o = bus_valid_i; reads return the aligned
// word, writes update the lanes named by bus_wstrb_i at the clock edge that completes the transfer.
// Never answers with an error (the interconnect only routes in-range offsets here).
// The array is public to the simulation harness, which loads programs through it (backdoor).
module tessera_ctrl_imem #(
  parameter int unsigned Bytes = 65536
) (
  input  logic        clk_i,

  // Instruction fetch
  input  logic [31:0] fetch_addr_i,
  output logic [31:0] fetch_rdata_o,

  // Tessera bus (responder), offset within the region
  input  logic        bus_valid_i,
  output logic        bus_ready_o,
  input  logic [31:0] bus_addr_i,
  input  logic [3:0]  bus_wstrb_i,
  input  logic [31:0] bus_wdata_i,
  output logic [31:0] bus_rdata_o,
  output logic        bus_err_o
);

  localparam int unsigned Words = Bytes / 4;
  localparam int unsigned Aw = $clog2(Words);

  logic [31:0] mem_q [Words] /* verilator public */;
  logic [Aw-1:0] fetch_idx, bus_idx;

  assign fetch_idx     = fetch_addr_i[Aw+1:2];
  // Address bits above the array and below the word are not used (the interconnect and the core
  // check ranges and alignment).
  logic unused_addr;
  assign unused_addr = ^{fetch_addr_i[31:Aw+2], fetch_addr_i[1:0], bus_addr_i[31:Aw+2], bus_addr_i[1:0]};
  assign bus_idx       = bus_addr_i[Aw+1:2];
  assign fetch_rdata_o = mem_q[fetch_idx];
  assign bus_ready_o   = bus_valid_i;
  assign bus_err_o     = 1'b0;
  assign bus_rdata_o   = (|bus_wstrb_i) ? 32'd0 : mem_q[bus_idx];

  always_ff @(posedge clk_i) begin
    if (bus_valid_i) begin
      if (bus_wstrb_i[0]) mem_q[bus_idx][7:0]   <= bus_wdata_i[7:0];
      if (bus_wstrb_i[1]) mem_q[bus_idx][15:8]  <= bus_wdata_i[15:8];
      if (bus_wstrb_i[2]) mem_q[bus_idx][23:16] <= bus_wdata_i[23:16];
      if (bus_wstrb_i[3]) mem_q[bus_idx][31:24] <= bus_wdata_i[31:24];
    end
  end

endmodule
