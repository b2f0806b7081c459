// binary32 reciprocal square root 1/sqrt(a) (tnum_f32_rsqrt of common/numerics/tnum_approx.c,
// bit for bit). Subnormal operands are normalized; rsqrt(+0) = +inf, rsqrt(-0) = -inf,
// rsqrt(+inf) = +0, negative operands (-inf included) and NaN -> 0x7fc00000.
// Latency: 4 cycles, one operation per cycle.
//   1 unpack, normalize, make the exponent even (a in [1, 4)), seed from {odd, 7 fraction bits}
//   2 Newton step 1 (tnum_rsqrt_step)
//   3 Newton step 2
//   4 round and pack (tnum_approx_pack), special values
module tnum_rsqrt (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] a_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 4;

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

  // --- Stage 1: unpack, normalize, seed --------------------------------------------------------
  logic [23:0]       m, mn;
  logic [4:0]        lz;
  logic signed [9:0] e, e_even;
  logic              odd;
  logic [31:0]       a_fix;
  logic              special;
  logic [31:0]       special_val;

  assign m = {a_i[30:23] != 8'd0, a_i[22:0]};

  tnum_lzc #(.Width(24)) u_lzc (
    .in_i (m),
    .cnt_o(lz)
  );

  always_comb begin
    mn     = m << lz;
    e      = 10'(signed'({2'b00, (a_i[30:23] != 8'd0) ? a_i[30:23] : 8'd1})) - 10'sd127
             - 10'(signed'({5'd0, lz}));
    odd    = e[0];
    e_even = e - 10'(signed'({9'd0, odd}));
    a_fix  = odd ? {mn, 8'd0} : {1'b0, mn, 7'd0};
    special     = 1'b1;
    special_val = 32'h7fc0_0000;  // NaN, and negative operands
    if (a_i[30:23] == 8'hff && a_i[22:0] != 23'd0) begin
      special_val = 32'h7fc0_0000;
    end else if (m == 24'd0) begin
      special_val = {a_i[31], 31'h7f80_0000};
    end else if (a_i[31]) begin
      special_val = 32'h7fc0_0000;
    end else if (a_i[30:23] == 8'hff) begin
      special_val = 32'h0000_0000;
    end else begin
      special = 1'b0;
    end
  end

  logic [31:0]        a_q [3];
  logic [31:0]        y_q [3];
  logic signed [12:0] k_q [3];
  logic               special_q [3];
  logic [31:0]        special_val_q [3];
  logic [31:0]        y_next [3];

  assign y_next[0] = {2'b00, tnum_approx_pkg::rsqrt_seed({odd, mn[22:16]}), 14'd0};

  // --- Stages 2 and 3: Newton steps ------------------------------------------------------------
  tnum_rsqrt_step u_step1 (.a_i(a_q[0]), .y_i(y_q[0]), .y_o(y_next[1]));
  tnum_rsqrt_step u_step2 (.a_i(a_q[1]), .y_i(y_q[1]), .y_o(y_next[2]));

  always_ff @(posedge clk_i) begin
    a_q[0]           <= a_fix;
    y_q[0]           <= y_next[0];
    k_q[0]           <= -13'sd30 - (13'(e_even) >>> 1);
    special_q[0]     <= special;
    special_val_q[0] <= special_val;
    for (int i = 1; i < 3; i++) begin
      a_q[i]           <= a_q[i-1];
      y_q[i]           <= y_next[i];
      k_q[i]           <= k_q[i-1];
      special_q[i]     <= special_q[i-1];
      special_val_q[i] <= special_val_q[i-1];
    end
  end

  // --- Stage 4: round and pack -------------------------------------------------------------------
  logic [31:0] packed_val;

  tnum_approx_pack #(.Width(32)) u_pack (
    .sign_i  (1'b0),
    .k_i     (k_q[2]),
    .s_i     (y_q[2]),
    .result_o(packed_val)
  );

  always_ff @(posedge clk_i) begin
    result_o <= special_q[2] ? special_val_q[2] : packed_val;
  end

  logic unused_a;
  assign unused_a = ^a_q[2];

endmodule
