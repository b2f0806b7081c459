// One Newton step of the reciprocal in Q2.30 fixed point, combinational:
// y' = y (2 - a y), a = a_i * 2^-31 in [1, 2), y = y_i * 2^-30; both products truncated
// (recip_core() in common/numerics/tnum_approx.c).
module tnum_recip_step (
  input  logic [31:0] a_i,
  input  logic [31:0] y_i,
  output logic [31:0] y_o
);

  logic [63:0] ay, yd;
  logic [31:0] p, d;

  always_comb begin
    ay  = 64'(a_i) * 64'(y_i);
    p   = ay[62:31];
    d   = 32'h8000_0000 - p;
    yd  = 64'(y_i) * 64'(d);
    y_o = yd[61:30];
  end

  logic unused_bits;
  assign unused_bits = ^{ay[63], ay[30:0], yd[63:62], yd[29:0]};

endmodule
