// binary32 exp(a) (tnum_f32_exp of common/numerics/tnum_approx.c, bit for bit):
// 2^t with t = a log2(e) in fixed point (41 bits, 32 fraction bits), by tnum_exp2_core.
// exp(-inf) = +0, exp(+inf) = inf, |a| >= 128: +0 or inf, NaN -> 0x7fc00000; results below
// 2^-126 are subnormal (gradual underflow; below 2^-150 they round to +0), from 2^128 inf.
// Latency: 3 cycles, one operation per cycle.
//   1 unpack, t = m * log2(e) shifted by the exponent
//   2 2^t (tnum_exp2_core: table and cubic)
//   3 round and pack (tnum_approx_pack), special values
module tnum_exp (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] a_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 3;

  logic [Latency-1:0] valid_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else begin
      valid_q[0] <= in_valid_i;
      for (int i = 1; i < Latency; i++) begin
        valid_q[i] <= valid_q[i-1];
      end
    end
  end

  assign out_valid_o = valid_q[Latency-1];

  // --- Stage 1: t = |a| log2(e) in Q.32 -------------------------------------------------------
  logic [23:0] m;
  logic [7:0]  eb;
  logic [63:0] prod;
  logic [8:0]  sh;      // 30 - e for e = eb - 127 <= 6: 24..156
  logic [40:0] t;
  logic        special;
  logic [31:0] special_val;

  always_comb begin
    eb   = (a_i[30:23] != 8'd0) ? a_i[30:23] : 8'd1;
    m    = {a_i[30:23] != 8'd0, a_i[22:0]};
    prod = 64'(m) * 64'(tnum_approx_pkg::Log2eQ39);
    sh   = 9'd157 - 9'(eb);
    t    = (sh >= 9'd64) ? 41'd0 : 41'(prod >> sh[5:0]);
    special     = 1'b0;
    special_val = 32'h0000_0000;
    if (a_i[30:23] == 8'hff && a_i[22:0] != 23'd0) begin
      special     = 1'b1;
      special_val = 32'h7fc0_0000;
    end else if (eb >= 8'd134) begin  // |a| >= 128, infinities included
      special     = 1'b1;
      special_val = a_i[31] ? 32'h0000_0000 : 32'h7f80_0000;
      t           = '0;
    end
  end

  logic        s1_neg_q, s1_special_q, s2_special_q;
  logic [40:0] s1_t_q;
  logic [31:0] s1_special_val_q, s2_special_val_q;

  always_ff @(posedge clk_i) begin
    s1_neg_q         <= a_i[31];
    s1_t_q           <= t;
    s1_special_q     <= special;
    s1_special_val_q <= special_val;
  end

  // --- Stage 2: 2^t ---------------------------------------------------------------------------
  logic [32:0]        r;
  logic signed [10:0] n;

  tnum_exp2_core u_exp2 (
    .neg_i(s1_neg_q),
    .t_i  (s1_t_q),
    .r_o  (r),
    .n_o  (n)
  );

  logic [32:0]        s2_r_q;
  logic signed [12:0] s2_k_q;

  always_ff @(posedge clk_i) begin
    s2_r_q           <= r;
    s2_k_q           <= 13'(n) - 13'sd31;
    s2_special_q     <= s1_special_q;
    s2_special_val_q <= s1_special_val_q;
  end

  // --- Stage 3: round and pack -------------------------------------------------------------------
  logic [31:0] packed_val;

  tnum_approx_pack #(.Width(33)) u_pack (
    .sign_i  (1'b0),
    .k_i     (s2_k_q),
    .s_i     (s2_r_q),
    .result_o(packed_val)
  );

  always_ff @(posedge clk_i) begin
    result_o <= s2_special_q ? s2_special_val_q : packed_val;
  end

endmodule
