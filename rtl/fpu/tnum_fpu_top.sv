// Tessera numerics units side by side, behind one streaming port for the Verilator harness.
//
// Op codes follow enum tnum_op of common/include/tessera/fpu_ops.h (OpF32Add = 0, ...).
// Operands are raw bit patterns in the low bits of a_i/b_i/c_i (fp32 32 bits, bf16 16, fp8 8);
// the result is zero-extended to 32 bits. One operation may be presented every cycle
// (in_valid_i high, op_i/a_i/b_i/c_i valid in that cycle); its result comes out Latency cycles
// later with out_valid_o high and out_op_o = its op, in issue order, whatever the mix of ops:
// every unit is padded to the same Latency. No back-pressure. An op that no unit implements
// (its supported_o bit clear, or op_i >= 15) returns 0.
//
// Latency: the localparam Latency below (the slowest unit's latency), one operation per cycle.
// Units and their own latencies (cycles), each its unit's localparam Latency:
//   tnum_fma          5  f32_add (a*1.0+b), f32_mul (a*b+(-0.0)), f32_fma, bf16_fma (widened)
//   tnum_f32_to_bf16  1
//   tnum_bf16_to_f32  1
//   tnum_f32_to_fp8   2  E4M3 and E5M2
//   tnum_fp8_to_f32   1  E4M3 and E5M2
//   tnum_approx_units 3..8  f32_exp 3, f32_recip 4, f32_rsqrt 4, f32_tanh 6, f32_gelu 8
//                     (padded inside to Latency; sets the top's Latency to 8)
module tnum_fpu_top (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Operation in
  input  logic        in_valid_i,
  input  logic [3:0]  op_i,
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  input  logic [31:0] c_i,

  // Result out, Latency cycles later
  output logic        out_valid_o,
  output logic [3:0]  out_op_o,
  output logic [31:0] result_o,

  // Constant: bit k set when op k is implemented
  output logic [15:0] supported_o
);

  // Op codes (enum tnum_op).
  localparam logic [3:0] OpF32Add    = 4'd0;
  localparam logic [3:0] OpF32Mul    = 4'd1;
  localparam logic [3:0] OpF32Fma    = 4'd2;
  localparam logic [3:0] OpBf16Fma   = 4'd3;
  localparam logic [3:0] OpF32ToBf16 = 4'd4;
  localparam logic [3:0] OpBf16ToF32 = 4'd5;
  localparam logic [3:0] OpF32ToE4m3 = 4'd6;
  localparam logic [3:0] OpF32ToE5m2 = 4'd7;
  localparam logic [3:0] OpE4m3ToF32 = 4'd8;
  localparam logic [3:0] OpE5m2ToF32 = 4'd9;
  localparam logic [3:0] OpF32Exp    = 4'd10;
  localparam logic [3:0] OpF32Recip  = 4'd11;
  localparam logic [3:0] OpF32Rsqrt  = 4'd12;
  localparam logic [3:0] OpF32Tanh   = 4'd13;
  localparam logic [3:0] OpF32Gelu   = 4'd14;

  // Unit latencies (each mirrors the unit's own localparam Latency) and the top's.
  localparam int unsigned FmaLatency      = 5;
  localparam int unsigned ToBf16Latency   = 1;
  localparam int unsigned FromBf16Latency = 1;
  localparam int unsigned ToFp8Latency    = 2;
  localparam int unsigned FromFp8Latency  = 1;
  localparam int unsigned ApproxLatency   = 8;  // the slowest approximation (f32_gelu)
  localparam int unsigned Latency         = 8;

  // --- FMA: four ops, operands routed into a*b+c -------------------------------------------------
  logic        fma_in_valid, fma_valid;
  logic [31:0] fma_a, fma_b, fma_c, fma_result;

  always_comb begin
    fma_in_valid = in_valid_i;
    fma_a        = a_i;
    fma_b        = b_i;
    fma_c        = c_i;
    unique case (op_i)
      OpF32Add: begin
        fma_b = 32'h3f80_0000;  // 1.0
        fma_c = b_i;
      end
      OpF32Mul: begin
        fma_c = 32'h8000_0000;  // -0.0: keeps the sign of a zero or underflowed product
      end
      OpF32Fma: begin
      end
      OpBf16Fma: begin
        fma_a = {a_i[15:0], 16'h0000};
        fma_b = {b_i[15:0], 16'h0000};
      end
      default: fma_in_valid = 1'b0;
    endcase
  end

  tnum_fma u_fma (
    .clk_i,
    .rst_ni,
    .in_valid_i (fma_in_valid),
    .a_i        (fma_a),
    .b_i        (fma_b),
    .c_i        (fma_c),
    .out_valid_o(fma_valid),
    .result_o   (fma_result)
  );

  // --- Conversions -------------------------------------------------------------------------------
  logic        to_bf16_valid, from_bf16_valid, to_fp8_valid, from_fp8_valid;
  logic [15:0] to_bf16_result;
  logic [31:0] from_bf16_result, from_fp8_result;
  logic [7:0]  to_fp8_result;

  tnum_f32_to_bf16 u_f32_to_bf16 (
    .clk_i,
    .rst_ni,
    .in_valid_i (in_valid_i && op_i == OpF32ToBf16),
    .a_i        (a_i),
    .out_valid_o(to_bf16_valid),
    .result_o   (to_bf16_result)
  );

  tnum_bf16_to_f32 u_bf16_to_f32 (
    .clk_i,
    .rst_ni,
    .in_valid_i (in_valid_i && op_i == OpBf16ToF32),
    .a_i        (a_i[15:0]),
    .out_valid_o(from_bf16_valid),
    .result_o   (from_bf16_result)
  );

  tnum_f32_to_fp8 u_f32_to_fp8 (
    .clk_i,
    .rst_ni,
    .in_valid_i (in_valid_i && (op_i == OpF32ToE4m3 || op_i == OpF32ToE5m2)),
    .e5m2_i     (op_i == OpF32ToE5m2),
    .a_i        (a_i),
    .out_valid_o(to_fp8_valid),
    .result_o   (to_fp8_result)
  );

  tnum_fp8_to_f32 u_fp8_to_f32 (
    .clk_i,
    .rst_ni,
    .in_valid_i (in_valid_i && (op_i == OpE4m3ToF32 || op_i == OpE5m2ToF32)),
    .e5m2_i     (op_i == OpE5m2ToF32),
    .a_i        (a_i[7:0]),
    .out_valid_o(from_fp8_valid),
    .result_o   (from_fp8_result)
  );

  // --- Padding to the common latency -------------------------------------------------------------
  logic        to_bf16_pad_valid, from_bf16_pad_valid, to_fp8_pad_valid, from_fp8_pad_valid;
  logic [15:0] to_bf16_pad;
  logic [31:0] from_bf16_pad, from_fp8_pad;
  logic [7:0]  to_fp8_pad;

  tnum_pipe #(.Width(16), .Depth(Latency - ToBf16Latency)) u_pad_to_bf16 (
    .clk_i, .rst_ni,
    .valid_i(to_bf16_valid), .data_i(to_bf16_result),
    .valid_o(to_bf16_pad_valid), .data_o(to_bf16_pad)
  );

  tnum_pipe #(.Width(32), .Depth(Latency - FromBf16Latency)) u_pad_from_bf16 (
    .clk_i, .rst_ni,
    .valid_i(from_bf16_valid), .data_i(from_bf16_result),
    .valid_o(from_bf16_pad_valid), .data_o(from_bf16_pad)
  );

  tnum_pipe #(.Width(8), .Depth(Latency - ToFp8Latency)) u_pad_to_fp8 (
    .clk_i, .rst_ni,
    .valid_i(to_fp8_valid), .data_i(to_fp8_result),
    .valid_o(to_fp8_pad_valid), .data_o(to_fp8_pad)
  );

  tnum_pipe #(.Width(32), .Depth(Latency - FromFp8Latency)) u_pad_from_fp8 (
    .clk_i, .rst_ni,
    .valid_i(from_fp8_valid), .data_i(from_fp8_result),
    .valid_o(from_fp8_pad_valid), .data_o(from_fp8_pad)
  );

  // The FMA too, once a slower unit sets Latency (Depth 0 is a wire).
  logic        fma_pad_valid;
  logic [31:0] fma_pad;

  tnum_pipe #(.Width(32), .Depth(Latency - FmaLatency)) u_pad_fma (
    .clk_i, .rst_ni,
    .valid_i(fma_valid), .data_i(fma_result),
    .valid_o(fma_pad_valid), .data_o(fma_pad)
  );

  // --- Vector-unit approximations (ops 10..14), padded to Latency inside ----------------------
  logic        approx_valid;
  logic [31:0] approx_result;
  logic [4:0]  approx_supported;

  tnum_approx_units #(.Latency(Latency)) u_approx (
    .clk_i, .rst_ni,
    .in_valid_i (in_valid_i),
    .op_i       (op_i),
    .a_i        (a_i),
    .valid_o    (approx_valid),
    .result_o   (approx_result),
    .supported_o(approx_supported)
  );

  // --- The op travels beside the units and selects the result --------------------------------
  logic       op_valid;
  logic [3:0] op_q;

  tnum_pipe #(.Width(4), .Depth(Latency)) u_op_pipe (
    .clk_i, .rst_ni,
    .valid_i(in_valid_i), .data_i(op_i),
    .valid_o(op_valid), .data_o(op_q)
  );

  always_comb begin
    unique case (op_q)
      OpF32Add, OpF32Mul, OpF32Fma, OpBf16Fma: result_o = fma_pad;
      OpF32ToBf16:                             result_o = 32'(to_bf16_pad);
      OpBf16ToF32:                             result_o = from_bf16_pad;
      OpF32ToE4m3, OpF32ToE5m2:                result_o = 32'(to_fp8_pad);
      OpE4m3ToF32, OpE5m2ToF32:                result_o = from_fp8_pad;
      OpF32Exp, OpF32Recip, OpF32Rsqrt,
      OpF32Tanh, OpF32Gelu:                    result_o = approx_result;
      default:                                 result_o = '0;
    endcase
  end

  assign out_valid_o = op_valid;
  assign out_op_o    = op_q;
  assign supported_o = {1'b0, approx_supported, 10'h3ff};  // ops 0..9 exact, 10..14 approximations

  // Unit valids are not needed at the output (u_op_pipe tracks every op); they stay for traces.
  logic unused_valid;
  assign unused_valid = ^{approx_valid, ApproxLatency, fma_pad_valid, to_bf16_pad_valid, from_bf16_pad_valid, to_fp8_pad_valid,
                          from_fp8_pad_valid, FmaLatency};

endmodule
