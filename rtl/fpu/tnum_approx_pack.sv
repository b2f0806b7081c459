// Final rounding of the vector-unit approximations: the value s_i * 2^k_i (s_i unsigned,
// k_i signed) to binary32 with sign sign_i. Combinational; the same steps as pack() in
// common/numerics/tnum_approx.c:
//   s_i is normalized (leading one to the top) and cut to its top 32 bits; e is the biased
//   exponent of the leading one; normal results (e >= 1) keep 24 bits, subnormal ones 24 + e - 1
//   (at most 33 bits dropped); the kept bits are rounded to nearest, ties away from zero; a carry
//   out of the significand raises the exponent; e >= 255 or a carry to 255 gives infinity.
//   s_i == 0 gives a zero with sign sign_i.
module tnum_approx_pack #(
  parameter int unsigned Width = 32  // 32..64
) (
  input  logic                sign_i,
  input  logic signed [12:0]  k_i,
  input  logic [Width-1:0]    s_i,
  output logic [31:0]         result_o
);

  localparam int unsigned CntWidth = $clog2(Width + 1);

  logic [CntWidth-1:0] lz;
  logic [Width-1:0]    norm;
  logic [33:0]         s32;
  logic signed [13:0]  e;
  logic [5:0]          sh;
  logic [33:0]         sum;
  logic [33:0]         r;
  logic [33:0]         bits;
  logic [7:0]          base;

  tnum_lzc #(.Width(Width)) u_lzc (
    .in_i (s_i),
    .cnt_o(lz)
  );

  always_comb begin
    norm = s_i << lz;
    s32  = {2'b00, norm[Width-1 -: 32]};
    e    = 14'(k_i) + 14'(signed'(Width - 1 + 127)) - 14'(signed'({1'b0, lz}));
    base = '0;
    sh   = 6'd8;
    if (e >= 14'sd1) begin
      base = 8'(e - 14'sd1);
    end else if (e < -14'sd24) begin
      sh = 6'd33;
    end else begin
      sh = 6'(14'sd9 - e);
    end
    sum  = s32 + (34'd1 << (sh - 6'd1));
    r    = sum >> sh;
    bits = {3'b000, base, 23'd0} + r;
    if (s_i == '0) begin
      result_o = {sign_i, 31'd0};
    end else if (e >= 14'sd255 || bits >= 34'h0_7f80_0000) begin
      result_o = {sign_i, 31'h7f80_0000};
    end else begin
      result_o = {sign_i, bits[30:0]};
    end
  end

  logic unused_bits;
  assign unused_bits = ^{bits[33:31], norm};

endmodule
