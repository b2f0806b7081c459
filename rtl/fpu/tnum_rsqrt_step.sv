// One Newton step of the reciprocal square root in Q2.30 fixed point, combinational:
// y' = y (3 - a y^2) / 2, a = a_i * 2^-30 in [1, 4), y = y_i * 2^-30; every product truncated
// (rsqrt_core() in common/numerics/tnum_approx.c).
module tnum_rsqrt_step (
  input  logic [31:0] a_i,
  input  logic [31:0] y_i,
  output logic [31:0] y_o
);

  logic [63:0] yy, ay2, yd;
  logic [31:0] y2, p, d;

  always_comb begin
    yy  = 64'(y_i) * 64'(y_i);
    y2  = yy[61:30];
    ay2 = 64'(a_i) * 64'(y2);
    p   = ay2[61:30];
    d   = 32'hc000_0000 - p;
    yd  = 64'(y_i) * 64'(d);
    y_o = yd[62:31];
  end

  logic unused_bits;
  assign unused_bits = ^{yy[63:62], yy[29:0], ay2[63:62], ay2[29:0], yd[63], yd[30:0]};

endmodule
