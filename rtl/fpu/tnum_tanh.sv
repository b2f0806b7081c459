// binary32 tanh(a) (tnum_f32_tanh of common/numerics/tnum_approx.c, bit for bit).
//   |a| < 2^-4:        tanh = a (1 - z/3 + 2 z^2/15), z = a^2 in Q0.40 (Horner, truncated)
//   2^-4 <= |a| < 16:  q = exp(-2|a|) by tnum_exp2_core, tanh = 1 - 2 q / (1 + q), the
//                      reciprocal by a seed and two Newton steps (tnum_recip_step)
//   |a| >= 16 and +-inf: +-1; NaN -> 0x7fc00000; the sign is applied last (tanh is odd).
// Latency: 6 cycles, one operation per cycle.
//   1 unpack, t = 2|a| log2(e) in Q.32, z = a^2
//   2 2^-t (tnum_exp2_core); the small-argument polynomial and its product with a
//   3 q = 2^-t in Q1.31, d = 1 + q, reciprocal seed
//   4 Newton step 1
//   5 Newton step 2
//   6 1 - 2 q / d, select the path, round and pack (tnum_approx_pack)
module tnum_tanh (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] a_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 6;

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

  // Side band carried through every stage: sign, path and special values.
  logic        sign_q [Latency-1];
  logic        small_q [Latency-1];
  logic        special_q [Latency-1];
  logic [31:0] special_val_q [Latency-1];

  // --- Stage 1: unpack; t = 2|a| log2(e) (Q.32); z = a^2 (Q0.40) ------------------------------
  logic [7:0]  eb;
  logic [23:0] m;
  logic [63:0] mL, mm;
  logic [8:0]  sh_t, sh_z;
  logic [40:0] t;
  logic [31:0] z;
  logic        is_small, special;
  logic [31:0] special_val;

  always_comb begin
    eb      = (a_i[30:23] != 8'd0) ? a_i[30:23] : 8'd1;
    m       = {a_i[30:23] != 8'd0, a_i[22:0]};
    is_small = eb <= 8'd122;                        // e <= -5
    mL      = 64'(m) * 64'(tnum_approx_pkg::Log2eQ39);
    mm      = 64'(m) * 64'(m);
    sh_t    = 9'd156 - 9'(eb);                     // 29 - e: 26..33 on the exp path
    sh_z    = 9'd260 - {eb, 1'b0};                 // 6 - 2e: >= 16 on the is_small path
    t       = (is_small || eb >= 8'd131) ? 41'd0 : 41'(mL >> sh_t[5:0]);
    z       = (!is_small || sh_z >= 9'd64) ? 32'd0 : 32'(mm >> sh_z[5:0]);
    special     = 1'b0;
    special_val = {a_i[31], 31'h3f80_0000};        // +-1
    if (a_i[30:23] == 8'hff && a_i[22:0] != 23'd0) begin
      special     = 1'b1;
      special_val = 32'h7fc0_0000;
    end else if (eb >= 8'd131) begin               // |a| >= 16, infinities included
      special = 1'b1;
    end
  end

  logic [40:0]       s1_t_q;
  logic [31:0]       s1_z_q;
  logic [23:0]       s1_m_q;
  logic signed [9:0] s1_e_q;

  always_ff @(posedge clk_i) begin
    s1_t_q           <= t;
    s1_z_q           <= z;
    s1_m_q           <= m;
    s1_e_q           <= 10'(signed'({2'b00, eb})) - 10'sd127;
    sign_q[0]        <= a_i[31];
    small_q[0]       <= is_small;
    special_q[0]     <= special;
    special_val_q[0] <= special_val;
    for (int i = 1; i < Latency - 1; i++) begin
      sign_q[i]        <= sign_q[i-1];
      small_q[i]       <= small_q[i-1];
      special_q[i]     <= special_q[i-1];
      special_val_q[i] <= special_val_q[i-1];
    end
  end

  // --- Stage 2: 2^-t; is_small path a (1 - z/3 + 2z^2/15) -----------------------------------------
  logic [32:0]        r;
  logic signed [10:0] n;
  logic [63:0]        c2z, hz;
  logic [31:0]        h;
  logic [32:0]        poly;
  logic [56:0]        small_s;

  tnum_exp2_core u_exp2 (
    .neg_i(1'b1),
    .t_i  (s1_t_q),
    .r_o  (r),
    .n_o  (n)
  );

  always_comb begin
    c2z     = 64'(tnum_approx_pkg::TanhC2) * 64'(s1_z_q);
    h       = tnum_approx_pkg::TanhC1 - 32'(c2z[63:40]);
    hz      = 64'(h) * 64'(s1_z_q);
    poly    = 33'h1_0000_0000 - 33'(hz[63:40]);
    small_s = 57'(s1_m_q) * 57'(poly);
  end

  logic [32:0]        s2_r_q;
  logic signed [10:0] s2_n_q;
  logic [56:0]        small_s_q [4];
  logic signed [12:0] small_k_q [4];

  always_ff @(posedge clk_i) begin
    s2_r_q       <= r;
    s2_n_q       <= n;
    small_s_q[0] <= small_s;
    small_k_q[0] <= 13'(s1_e_q) - 13'sd55;
    for (int i = 1; i < 4; i++) begin
      small_s_q[i] <= small_s_q[i-1];
      small_k_q[i] <= small_k_q[i-1];
    end
  end

  // --- Stage 3: q = 2^-t in Q1.31, d = 1 + q, seed ----------------------------------------------
  logic [10:0] nn;
  logic [31:0] q, d;

  always_comb begin
    nn = 11'd0 - 11'(s2_n_q);
    q  = (nn >= 11'd64) ? 32'd0 : 32'(s2_r_q >> nn[5:0]);
    d  = 32'h8000_0000 + q;
  end

  logic [31:0] q_q [3];
  logic [31:0] d_q [3];
  logic [31:0] y_q [3];
  logic [31:0] y_next [3];

  assign y_next[0] = {2'b00, tnum_approx_pkg::recip_seed(d[30:24]), 14'd0};

  // --- Stages 4 and 5: Newton steps for 1 / d ----------------------------------------------------
  tnum_recip_step u_step1 (.a_i(d_q[0]), .y_i(y_q[0]), .y_o(y_next[1]));
  tnum_recip_step u_step2 (.a_i(d_q[1]), .y_i(y_q[1]), .y_o(y_next[2]));

  always_ff @(posedge clk_i) begin
    q_q[0] <= q;
    d_q[0] <= d;
    y_q[0] <= y_next[0];
    for (int i = 1; i < 3; i++) begin
      q_q[i] <= q_q[i-1];
      d_q[i] <= d_q[i-1];
      y_q[i] <= y_next[i];
    end
  end

  // --- Stage 6: 1 - 2 q / d, round and pack ------------------------------------------------------
  logic [63:0]        qy;
  logic [31:0]        v;
  logic [56:0]        s_sel;
  logic signed [12:0] k_sel;
  logic [31:0]        packed_val;

  always_comb begin
    qy    = 64'(q_q[2]) * 64'(y_q[2]);
    v     = 32'h8000_0000 - qy[60:29];
    s_sel = small_q[Latency-2] ? small_s_q[3] : 57'(v);
    k_sel = small_q[Latency-2] ? small_k_q[3] : -13'sd31;
  end

  tnum_approx_pack #(.Width(57)) u_pack (
    .sign_i  (sign_q[Latency-2]),
    .k_i     (k_sel),
    .s_i     (s_sel),
    .result_o(packed_val)
  );

  always_ff @(posedge clk_i) begin
    result_o <= special_q[Latency-2] ? special_val_q[Latency-2] : packed_val;
  end

  logic unused_bits;
  assign unused_bits = ^{sh_t[8:6], mL[63:41], mm[63:48], c2z[39:0], hz[39:0], nn[10:6], qy[63:61], qy[28:0],
                         d_q[2]};

endmodule
