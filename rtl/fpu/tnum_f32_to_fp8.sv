// binary32 -> OCP FP8 (e5m2_i = 0: E4M3, bias 7, no infinities, largest finite 448 = 0x7e,
// NaN 0x7f; e5m2_i = 1: E5M2, bias 15, largest finite 57344 = 0x7b, infinity 0x7c).
// Round to nearest even onto the fp8 grid, fp8 subnormals included; then saturation: finite
// overflow and infinities give the largest finite value with the input's sign; a NaN gives
// 0x7f (E4M3) or 0x7e (E5M2). Zeros keep their sign.
// Latency: 2 cycles, one operation per cycle.
//   1 significand shifted to the fp8 precision (more below the fp8 normal range); round/sticky
//   2 round to nearest even, pack, saturate
module tnum_f32_to_fp8 (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic        e5m2_i,
  input  logic [31:0] a_i,
  output logic        out_valid_o,
  output logic [7:0]  result_o
);

  localparam int unsigned Latency = 2;

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

  // ---------------------------------------------------------------------------------------------
  // Stage 1. With E the binary32 biased exponent, the fp8 normal range starts at
  // E = 128 - bias; below it the significand loses one more bit per step of E.
  logic [23:0]       mant;
  logic [4:0]        mbits;    // fp8 fraction bits
  logic [9:0]        under;    // steps below the fp8 normal range
  logic [9:0]        shift;
  logic [49:0]       wide;
  logic signed [9:0] e_field;  // fp8 biased exponent minus one (the hidden bit adds it back)

  always_comb begin
    mant    = {a_i[30:23] != 8'd0, a_i[22:0]};
    mbits   = e5m2_i ? 5'd2 : 5'd3;
    under   = 10'd0;
    e_field = 10'(signed'({2'b00, a_i[30:23]})) - (e5m2_i ? 10'sd113 : 10'sd121);
    if (e_field < 10'sd0) begin
      under   = 10'(-e_field);
      e_field = 10'sd0;
    end
    shift = 10'd23 - 10'(mbits) + under;
    if (shift > 10'd25) begin
      shift = 10'd25;  // everything below half the smallest subnormal: rounds to zero
    end
    wide = {mant, 26'd0} >> shift[4:0];
  end

  logic       s1_sign_q, s1_nan_q, s1_inf_q, s1_e5m2_q, s1_round_q, s1_sticky_q;
  logic [3:0] s1_k_q;       // kept significand, at most 4 bits
  logic [9:0] s1_e_field_q;
  logic       unused_wide;

  assign unused_wide = ^wide[49:30];

  always_ff @(posedge clk_i) begin
    s1_sign_q    <= a_i[31];
    s1_nan_q     <= (a_i[30:23] == 8'hff) && (a_i[22:0] != '0);
    s1_inf_q     <= a_i[30:0] == 31'h7f80_0000;
    s1_e5m2_q    <= e5m2_i;
    s1_k_q       <= wide[29:26];
    s1_round_q   <= wide[25];
    s1_sticky_q  <= wide[24:0] != '0;
    s1_e_field_q <= e_field;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 2: round, pack (a carry out of the significand bumps the exponent), saturate.
  logic [4:0]  k_rnd;
  logic [15:0] code;
  logic [6:0]  max_code;
  logic [7:0]  result_d;

  always_comb begin
    k_rnd    = {1'b0, s1_k_q} + 5'(s1_round_q && (s1_sticky_q || s1_k_q[0]));
    code     = (16'(s1_e_field_q) << (s1_e5m2_q ? 2 : 3)) + 16'(k_rnd);
    max_code = s1_e5m2_q ? 7'h7b : 7'h7e;
    if (s1_nan_q) begin
      result_d = s1_e5m2_q ? 8'h7e : 8'h7f;
    end else if (s1_inf_q || code > 16'(max_code)) begin
      result_d = {s1_sign_q, max_code};
    end else begin
      result_d = {s1_sign_q, code[6:0]};
    end
  end

  always_ff @(posedge clk_i) begin
    result_o <= result_d;
  end

endmodule
