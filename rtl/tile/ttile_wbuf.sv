// The tile's weight buffer: one entry per group of the nonzero stream (docs/tile.md), written
// whole through the load port and read whole by the streamer.
//
// Entry: header {last, first, row[15:0]} and P slot words {col[15:0], bf16 weight[15:0]}
// (col = 16'hffff for an empty slot); slot p is bits [32p+31:32p] of slots_i / slots_o. Groups = WeightBufWords / (P + 1): a group costs P + 1
// words of the configured buffer.
//
// A read presented in cycle X (re_i, raddr_i) returns the entry in cycle X+1 and holds it until
// the next read. A write (we_i) lands at the end of its cycle.
module ttile_wbuf #(
  parameter int unsigned P      = 4,
  parameter int unsigned Groups = 1024,
  parameter int unsigned Gw     = 10
) (
  input  logic                clk_i,
  input  logic                re_i,
  input  logic [Gw-1:0]       raddr_i,
  output logic [17:0]         hdr_o,
  output logic [P*32-1:0]     slots_o,
  input  logic                we_i,
  input  logic [Gw-1:0]       waddr_i,
  input  logic [17:0]         hdr_i,
  input  logic [P*32-1:0]     slots_i
);

  logic [17:0]        hdr_q  [Groups];
  logic [P*32-1:0]    slot_q [Groups];

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      hdr_o   <= hdr_q[raddr_i];
      slots_o <= slot_q[raddr_i];
    end
    if (we_i) begin
      hdr_q[waddr_i]  <= hdr_i;
      slot_q[waddr_i] <= slots_i;
    end
  end

endmodule
