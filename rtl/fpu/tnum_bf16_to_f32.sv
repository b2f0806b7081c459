// bf16 -> binary32, exact: the bf16 bits become the high half of the result. A bf16 NaN gives
// the canonical NaN 0x7fc00000 (every NaN result of the numerics units is canonical).
// Latency: 1 cycle (one output register), one operation per cycle.
module tnum_bf16_to_f32 (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [15:0] a_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 1;

  logic        is_nan;
  logic [31:0] result_d, result_q;
  logic [Latency-1:0] valid_q;

  assign is_nan   = (a_i[14:7] == 8'hff) && (a_i[6:0] != '0);
  assign result_d = is_nan ? 32'h7fc0_0000 : {a_i, 16'h0000};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else begin
      valid_q[0] <= in_valid_i;
    end
  end

  always_ff @(posedge clk_i) begin
    result_q <= result_d;
  end

  assign out_valid_o = valid_q[Latency-1];
  assign result_o    = result_q;

endmodule
