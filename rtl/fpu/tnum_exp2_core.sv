// 2^t for t = (neg_i ? -1 : 1) * t_i * 2^-32, combinational (exp2_core() in
// common/numerics/tnum_approx.c): n = floor(t), f = t - n in Q0.32,
// 2^f = E[f[31:26]] * (1 + p(u)), u = f[25:0] * 2^-32, p(u) = ((C3 u + C2) u + C1) u by Horner
// with every product truncated to Q0.32. Result: 2^t ~ r_o * 2^(n_o - 31), r_o < 2^33.
module tnum_exp2_core (
  input  logic               neg_i,
  input  logic [40:0]        t_i,
  output logic [32:0]        r_o,
  output logic signed [10:0] n_o
);

  logic [31:0] f;
  logic [63:0] hu1, hu2, hu3, ep;
  logic [31:0] h1, h2, p, e;

  always_comb begin
    f   = t_i[31:0];
    n_o = 11'(t_i[40:32]);
    if (neg_i) begin
      f   = 32'd0 - t_i[31:0];
      n_o = 11'sd0 - 11'(t_i[40:32]) - ((f != 32'd0) ? 11'sd1 : 11'sd0);
    end
    hu1 = 64'(tnum_approx_pkg::Exp2C3) * 64'(f[25:0]);
    h1  = tnum_approx_pkg::Exp2C2 + hu1[63:32];
    hu2 = 64'(h1) * 64'(f[25:0]);
    h2  = tnum_approx_pkg::Exp2C1 + hu2[63:32];
    hu3 = 64'(h2) * 64'(f[25:0]);
    p   = hu3[63:32];
    e   = tnum_approx_pkg::exp2_tab(f[31:26]);
    ep  = 64'(e) * 64'(p);
    r_o = 33'(e) + 33'(ep[63:32]);
  end

  logic unused_bits;
  assign unused_bits = ^{hu1[31:0], hu2[31:0], hu3[31:0], ep[31:0]};

endmodule
