// binary32 GELU in GPT-2's tanh form, gelu(a) = 0.5 a (1 + tanh(y)), y = sqrt(2/pi)(a + 0.044715 a^3)
// (tnum_f32_gelu of common/numerics/tnum_approx.c, bit for bit), computed as
// gelu(a) = a / (1 + q) for a >= 0 and a q / (1 + q) for a < 0, with q = exp(-2|y|):
//   t = 2|y| log2(e) = |a| (A + B a^2) in Q.32; q = 2^-t by tnum_exp2_core; 1 / (1 + q) by a seed
//   and two Newton steps (tnum_recip_step; exactly 1/2 when q rounds to 1).
// |a| >= 16: a (a > 0, +inf included) or -0 (a < 0, -inf included); NaN -> 0x7fc00000.
// Latency: 8 cycles, one operation per cycle.
//   1 unpack, z = a^2 (top 32 bits), w = A + B z (Q5.35)
//   2 t = m w shifted by the exponent
//   3 2^-t (tnum_exp2_core)
//   4 q in Q1.31, d = 1 + q, reciprocal seed
//   5 Newton step 1
//   6 Newton step 2
//   7 a / d (a >= 0) or a q / d (a < 0) as a significand and exponent
//   8 round and pack (tnum_approx_pack)
module tnum_gelu (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] a_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 8;
  localparam int unsigned Carry   = Latency - 1;  // stages the side band is carried through

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

  // Side band: sign, significand, exponent, special values; index i = after stage i + 1.
  logic               sign_q [Carry];
  logic [23:0]        m_q [Carry];
  logic signed [9:0]  e_q [Carry];
  logic               special_q [Carry];
  logic [31:0]        special_val_q [Carry];

  // --- Stage 1: z = a^2, w = A + B z ---------------------------------------------------------
  logic [7:0]  eb;
  logic [23:0] m;
  logic [63:0] mm, bz;
  logic [9:0]  sh_b;
  logic [39:0] w;
  logic        special;
  logic [31:0] special_val;

  always_comb begin
    eb   = (a_i[30:23] != 8'd0) ? a_i[30:23] : 8'd1;
    m    = {a_i[30:23] != 8'd0, a_i[22:0]};
    mm   = 64'(m) * 64'(m);
    bz   = 64'(tnum_approx_pkg::GeluB) * 64'(mm[47:16]);
    sh_b = 10'd284 - {1'b0, eb, 1'b0};             // 30 - 2e: >= 24 for |a| < 16
    w    = tnum_approx_pkg::GeluA;
    if (eb <= 8'd130 && sh_b < 10'd64) begin
      w = tnum_approx_pkg::GeluA + 40'(bz >> sh_b[5:0]);
    end
    special     = 1'b0;
    special_val = a_i[31] ? 32'h8000_0000 : a_i;   // -0, or a itself (+inf included)
    if (a_i[30:23] == 8'hff && a_i[22:0] != 23'd0) begin
      special     = 1'b1;
      special_val = 32'h7fc0_0000;
    end else if (eb >= 8'd131) begin               // |a| >= 16, infinities included
      special = 1'b1;
    end
  end

  logic [39:0] s1_w_q;

  always_ff @(posedge clk_i) begin
    s1_w_q           <= w;
    sign_q[0]        <= a_i[31];
    m_q[0]           <= m;
    e_q[0]           <= 10'(signed'({2'b00, eb})) - 10'sd127;
    special_q[0]     <= special;
    special_val_q[0] <= special_val;
    for (int i = 1; i < Carry; i++) begin
      sign_q[i]        <= sign_q[i-1];
      m_q[i]           <= m_q[i-1];
      e_q[i]           <= e_q[i-1];
      special_q[i]     <= special_q[i-1];
      special_val_q[i] <= special_val_q[i-1];
    end
  end

  // --- Stage 2: t = m w >> (26 - e) ---------------------------------------------------------------
  logic [63:0] mw;
  logic [9:0]  sh_t;
  logic [40:0] t;

  always_comb begin
    mw   = 64'(m_q[0]) * 64'(s1_w_q);
    sh_t = 10'd26 - 10'(e_q[0]);                    // 26 - e: 23..152
    t    = (special_q[0] || sh_t >= 10'd64) ? 41'd0 : 41'(mw >> sh_t[5:0]);
  end

  logic [40:0] s2_t_q;

  always_ff @(posedge clk_i) begin
    s2_t_q <= t;
  end

  // --- Stage 3: 2^-t ------------------------------------------------------------------------------
  logic [32:0]        r;
  logic signed [10:0] n;

  tnum_exp2_core u_exp2 (
    .neg_i(1'b1),
    .t_i  (s2_t_q),
    .r_o  (r),
    .n_o  (n)
  );

  logic [32:0]        r_q [4];
  logic signed [10:0] n_q [4];

  // --- Stage 4: q = r >> -n, d = 1 + q, seed --------------------------------------------------------
  logic [10:0] nn;
  logic [32:0] q;
  logic [33:0] d;

  always_comb begin
    nn = 11'd0 - 11'(n_q[0]);
    q  = (nn >= 11'd64) ? 33'd0 : (r_q[0] >> nn[5:0]);
    d  = 34'h0_8000_0000 + 34'(q);
  end

  logic        half_q [3];
  logic [31:0] d_q [3];
  logic [31:0] y_q [3];
  logic [31:0] y_next [3];

  assign y_next[0] = {2'b00, tnum_approx_pkg::recip_seed(d[30:24]), 14'd0};

  // --- Stages 5 and 6: Newton steps for 1 / d ------------------------------------------------------
  tnum_recip_step u_step1 (.a_i(d_q[0]), .y_i(y_q[0]), .y_o(y_next[1]));
  tnum_recip_step u_step2 (.a_i(d_q[1]), .y_i(y_q[1]), .y_o(y_next[2]));

  always_ff @(posedge clk_i) begin
    r_q[0]    <= r;
    n_q[0]    <= n;
    half_q[0] <= d[33:32] != 2'd0;                  // d >= 2: 1 / d taken as exactly 1/2
    d_q[0]    <= d[31:0];
    y_q[0]    <= y_next[0];
    for (int i = 1; i < 4; i++) begin
      r_q[i] <= r_q[i-1];
      n_q[i] <= n_q[i-1];
    end
    for (int i = 1; i < 3; i++) begin
      half_q[i] <= half_q[i-1];
      d_q[i]    <= d_q[i-1];
      y_q[i]    <= y_next[i];
    end
  end

  // --- Stage 7: a / d or a q / d ----------------------------------------------------------------------
  logic [31:0]        s;
  logic [64:0]        rs_full;
  logic [34:0]        rs;
  logic [57:0]        prod;
  logic signed [12:0] k;

  always_comb begin
    s       = half_q[2] ? 32'h2000_0000 : y_q[2];
    rs_full = 65'(r_q[3]) * 65'(s);
    rs      = rs_full[64:30];
    if (sign_q[5]) begin
      prod = 58'(m_q[5]) * 58'(rs);
      k    = 13'(e_q[5]) + 13'(n_q[3]) - 13'sd54;
    end else begin
      prod = 58'(m_q[5]) * 58'(s);
      k    = 13'(e_q[5]) - 13'sd53;
    end
  end

  logic [57:0]        s7_prod_q;
  logic signed [12:0] s7_k_q;

  always_ff @(posedge clk_i) begin
    s7_prod_q <= prod;
    s7_k_q    <= k;
  end

  // --- Stage 8: round and pack -------------------------------------------------------------------------
  logic [31:0] packed_val;

  tnum_approx_pack #(.Width(58)) u_pack (
    .sign_i  (sign_q[6]),
    .k_i     (s7_k_q),
    .s_i     (s7_prod_q),
    .result_o(packed_val)
  );

  always_ff @(posedge clk_i) begin
    result_o <= special_q[6] ? special_val_q[6] : packed_val;
  end

  logic unused_bits;
  assign unused_bits = ^{mm[63:48], mm[15:0], bz, mw, nn[10:6], rs_full[29:0], d_q[2], m_q[6], e_q[6]};

endmodule
