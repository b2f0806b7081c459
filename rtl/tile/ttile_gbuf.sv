// The tile's gradient buffer: dW of bwd_weight in stream slot order, one entry of P fp32 words per
// group of the weight buffer (slot p in bits [32p+31:32p]). Written and read whole through the
// load port; the cross-lane tree reads an entry and writes one slot of it back (we_i per slot).
//
// A read presented in cycle X (re_i, raddr_i) returns the entry in cycle X+1 and holds it until
// the next read. A write lands at the end of its cycle.
module ttile_gbuf #(
  parameter int unsigned P      = 4,
  parameter int unsigned Groups = 1024,
  parameter int unsigned Gw     = 10
) (
  input  logic            clk_i,
  input  logic            re_i,
  input  logic [Gw-1:0]   raddr_i,
  output logic [P*32-1:0] rdata_o,
  input  logic [P-1:0]    we_i,
  input  logic [Gw-1:0]   waddr_i,
  input  logic [P*32-1:0] wdata_i
);

  logic [P*32-1:0] mem_q [Groups];

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_o <= mem_q[raddr_i];
    end
    for (int p = 0; p < P; p++) begin
      if (we_i[p]) begin
        mem_q[waddr_i][32*p +: 32] <= wdata_i[32*p +: 32];
      end
    end
  end

endmodule
