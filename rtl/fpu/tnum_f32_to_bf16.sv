// binary32 -> bf16, round to nearest even on the upper 16 bits (so overflow rounds to infinity,
// infinities and zeros keep their sign, subnormals round like any other value); every NaN gives
// the canonical bf16 NaN 0x7fc0.
// Latency: 1 cycle, one operation per cycle.
module tnum_f32_to_bf16 (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] a_i,
  output logic        out_valid_o,
  output logic [15:0] result_o
);

  localparam int unsigned Latency = 1;

  logic [Latency-1:0] valid_q;
  logic               is_nan, inc;
  logic [15:0]        result_d;

  assign is_nan   = (a_i[30:23] == 8'hff) && (a_i[22:0] != '0);
  // Round bit a_i[15]; up unless an exact tie with an even upper half.
  assign inc      = a_i[15] && ((a_i[14:0] != '0) || a_i[16]);
  assign result_d = is_nan ? 16'h7fc0 : a_i[31:16] + 16'(inc);

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
