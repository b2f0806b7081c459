// The vector-unit approximations side by side for tnum_fpu_top: ops 10..14 of enum tnum_op
// (f32_exp, f32_recip, f32_rsqrt, f32_tanh, f32_gelu), each unit padded to the top's common
// Latency (>= every unit's own latency). One operation per cycle may enter (in_valid_i with op_i
// and a_i); its result leaves Latency cycles later on result_o, with valid_o high. A unit's
// output is gated by its own valid, so result_o is 0 for any other op. supported_o is constant:
// bit k set when op 10 + k is implemented.
module tnum_approx_units #(
  parameter int unsigned Latency = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  input  logic        in_valid_i,
  input  logic [3:0]  op_i,
  input  logic [31:0] a_i,

  output logic        valid_o,
  output logic [31:0] result_o,
  output logic [4:0]  supported_o
);

  localparam int unsigned NumUnits = 5;
  // Own latency of each unit, in op order: exp, recip, rsqrt, tanh, gelu.
  localparam logic [8*NumUnits-1:0] UnitLatency = {8'd8, 8'd6, 8'd4, 8'd4, 8'd3};

  logic [NumUnits-1:0] unit_in_valid, unit_valid, pad_valid;
  logic [31:0]         unit_result [NumUnits];
  logic [31:0]         pad_result [NumUnits];

  for (genvar k = 0; k < NumUnits; k++) begin : g_in_valid
    assign unit_in_valid[k] = in_valid_i && op_i == 4'(10 + k);
  end

  tnum_exp u_exp (
    .clk_i, .rst_ni,
    .in_valid_i (unit_in_valid[0]), .a_i(a_i),
    .out_valid_o(unit_valid[0]), .result_o(unit_result[0])
  );

  tnum_recip u_recip (
    .clk_i, .rst_ni,
    .in_valid_i (unit_in_valid[1]), .a_i(a_i),
    .out_valid_o(unit_valid[1]), .result_o(unit_result[1])
  );

  tnum_rsqrt u_rsqrt (
    .clk_i, .rst_ni,
    .in_valid_i (unit_in_valid[2]), .a_i(a_i),
    .out_valid_o(unit_valid[2]), .result_o(unit_result[2])
  );

  tnum_tanh u_tanh (
    .clk_i, .rst_ni,
    .in_valid_i (unit_in_valid[3]), .a_i(a_i),
    .out_valid_o(unit_valid[3]), .result_o(unit_result[3])
  );

  tnum_gelu u_gelu (
    .clk_i, .rst_ni,
    .in_valid_i (unit_in_valid[4]), .a_i(a_i),
    .out_valid_o(unit_valid[4]), .result_o(unit_result[4])
  );

  assign supported_o = 5'b11111;

  // Padding to the common latency.
  for (genvar k = 0; k < NumUnits; k++) begin : g_pad
    if (Latency > 32'(UnitLatency[8*k +: 8])) begin : g_pipe
      tnum_pipe #(.Width(32), .Depth(Latency - 32'(UnitLatency[8*k +: 8]))) u_pad (
        .clk_i, .rst_ni,
        .valid_i(unit_valid[k]), .data_i(unit_result[k]),
        .valid_o(pad_valid[k]), .data_o(pad_result[k])
      );
    end else begin : g_wire
      assign pad_valid[k]  = unit_valid[k];
      assign pad_result[k] = unit_result[k];
    end
  end

  always_comb begin
    result_o = '0;
    for (int k = 0; k < NumUnits; k++) begin
      if (pad_valid[k]) result_o = result_o | pad_result[k];
    end
  end

  assign valid_o = |pad_valid;

endmodule
