// Controller data SRAM: one word-wide array behind a Tessera bus port.
//
// Bus port (docs/bus.md): zero wait states, bus_ready_o = bus_valid_i; reads return the aligned
// word, writes update the lanes named by bus_wstrb_i at the clock edge that completes the transfer.
// Never answers with an error (the interconnect only routes in-range offsets here).
// The array is public to the simulation harness, which loads programs through it (backdoor).
//
// Second port (the chip's DMA engine): b_req_i for one cycle performs a read (b_we_i low: b_rdata_o
// holds the aligned word from the next cycle on, until the next read) or a write of the lanes
// b_be_i names. A write of both ports to the same word in one cycle: the bus port's lanes win.
// Tied off (b_req_i low) in the controller alone.
module tessera_ctrl_dmem #(
  parameter int unsigned Bytes = 65536
) (
  input  logic        clk_i,

  // Tessera bus (responder), offset within the region
  input  logic        bus_valid_i,
  output logic        bus_ready_o,
  input  logic [31:0] bus_addr_i,
  input  logic [3:0]  bus_wstrb_i,
  input  logic [31:0] bus_wdata_i,
  output logic [31:0] bus_rdata_o,
  output logic        bus_err_o,

  // DMA port, offset within the region
  input  logic        b_req_i,
  input  logic        b_we_i,
  input  logic [3:0]  b_be_i,
  input  logic [31:0] b_addr_i,
  input  logic [31:0] b_wdata_i,
  output logic [31:0] b_rdata_o
);

  localparam int unsigned Words = Bytes / 4;
  localparam int unsigned Aw = $clog2(Words);

  logic [31:0] mem_q [Words] /* verilator public */;
  logic [Aw-1:0] bus_idx, b_idx;

  assign bus_idx     = bus_addr_i[Aw+1:2];
  // Address bits above the array and below the word are not used (the interconnect checks ranges).
  logic unused_addr;
  assign unused_addr = ^{bus_addr_i[31:Aw+2], bus_addr_i[1:0], b_addr_i[31:Aw+2], b_addr_i[1:0]};
  assign b_idx       = b_addr_i[Aw+1:2];
  assign bus_ready_o = bus_valid_i;
  assign bus_err_o   = 1'b0;
  assign bus_rdata_o = (|bus_wstrb_i) ? 32'd0 : mem_q[bus_idx];

  always_ff @(posedge clk_i) begin
    if (b_req_i && !b_we_i) begin
      b_rdata_o <= mem_q[b_idx];
    end
    if (b_req_i && b_we_i) begin
      if (b_be_i[0]) mem_q[b_idx][7:0]   <= b_wdata_i[7:0];
      if (b_be_i[1]) mem_q[b_idx][15:8]  <= b_wdata_i[15:8];
      if (b_be_i[2]) mem_q[b_idx][23:16] <= b_wdata_i[23:16];
      if (b_be_i[3]) mem_q[b_idx][31:24] <= b_wdata_i[31:24];
    end
    if (bus_valid_i) begin
      if (bus_wstrb_i[0]) mem_q[bus_idx][7:0]   <= bus_wdata_i[7:0];
      if (bus_wstrb_i[1]) mem_q[bus_idx][15:8]  <= bus_wdata_i[15:8];
      if (bus_wstrb_i[2]) mem_q[bus_idx][23:16] <= bus_wdata_i[23:16];
      if (bus_wstrb_i[3]) mem_q[bus_idx][31:24] <= bus_wdata_i[31:24];
    end
  end

endmodule
