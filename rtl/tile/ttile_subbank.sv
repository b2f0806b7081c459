// One sub-bank of the tile's lane banks: Depth words, each word holding the same address of
// every lane (Width = lanes * 32 bits: lane l in bits [32l+31:32l]). All lanes use the same
// addresses in the same cycle (docs/tile.md), so L lane SRAMs with a shared address are one
// memory of L-wide words.
//
// Ports: one read and one write per cycle. A read presented in cycle X (re_i high, raddr_i)
// returns its word in rdata_o during cycle X+1 and rdata_o holds it until the next read. A write
// (we_i high) lands at the end of its cycle, in the lanes whose wmask_i bit is set (a lane's SRAM
// has its own write enable); a read of the same address in the same cycle returns the old word.
module ttile_subbank #(
  parameter int unsigned Lanes = 1,
  localparam int unsigned Width = Lanes * 32,
  parameter int unsigned Depth = 512,
  parameter int unsigned Aw    = 9
) (
  input  logic             clk_i,
  input  logic             re_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o,
  input  logic             we_i,
  input  logic [Lanes-1:0] wmask_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i
);

  logic [Width-1:0] mem_q [Depth];

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_o <= mem_q[raddr_i];
    end
    for (int l = 0; l < Lanes; l++) begin
      if (we_i && wmask_i[l]) begin
        mem_q[waddr_i][32*l +: 32] <= wdata_i[32*l +: 32];
      end
    end
  end

endmodule
