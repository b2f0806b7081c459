// OCP FP8 -> binary32, exact (e5m2_i = 0: E4M3, bias 7, 0x7f/0xff NaN; e5m2_i = 1: E5M2,
// bias 15, exponent field 31 infinity or NaN). fp8 subnormals become normal binary32 values;
// E5M2 infinities stay infinities; every NaN gives the canonical 0x7fc00000.
// Latency: 1 cycle, one operation per cycle.
module tnum_fp8_to_f32 (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic        e5m2_i,
  input  logic [7:0]  a_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 1;

  logic [Latency-1:0] valid_q;
  logic [4:0]         e;      // fp8 exponent field
  logic [2:0]         m;      // fp8 fraction, left-aligned to 3 bits for E5M2
  logic [7:0]         bias_adj;  // 127 - bias
  logic [1:0]         msb;    // position of the leading one of a subnormal fraction
  logic [7:0]         f32_e;
  logic [22:0]        f32_m;
  logic [31:0]        result_d;

  always_comb begin
    e        = e5m2_i ? a_i[6:2] : {1'b0, a_i[6:3]};
    m        = e5m2_i ? {a_i[1:0], 1'b0} : a_i[2:0];
    bias_adj = e5m2_i ? 8'd112 : 8'd120;
    msb      = 2'd0;
    for (int i = 0; i < 3; i++) begin
      if (m[i]) msb = 2'(i);
    end
    if (e != 5'd0) begin
      f32_e = 8'(e) + bias_adj;
      f32_m = {m, 20'd0};
    end else begin
      // value = m/8 * 2^(1 - bias) = 1.x * 2^(msb - 3 + 1 - bias)
      f32_e = bias_adj + 8'(msb) - 8'd2;
      f32_m = 23'({m, 20'd0} << (2'd3 - msb));
    end
    if (e5m2_i ? (e == 5'd31 && m != 3'd0) : (a_i[6:0] == 7'h7f)) begin
      result_d = 32'h7fc0_0000;
    end else if (e5m2_i && e == 5'd31) begin
      result_d = {a_i[7], 31'h7f80_0000};
    end else if (e == 5'd0 && m == 3'd0) begin
      result_d = {a_i[7], 31'd0};
    end else begin
      result_d = {a_i[7], f32_e, f32_m};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else begin
      valid_q[0] <= in_valid_i;
    end
  end

  always_ff @(posedge clk_i) begin
    result_o <= result_d;
  end

  assign out_valid_o = valid_q[Latency-1];

endmodule
