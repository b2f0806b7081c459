// binary32 fused multiply-add: result = a*b + c with one rounding, IEEE 754 round to nearest
// even, subnormal inputs and outputs (no flush to zero), IEEE infinities and invalid cases
// (inf*0, inf-inf), every NaN result the canonical 0x7fc00000, IEEE signed-zero rules
// (an exact zero sum of nonzero terms is +0; (+-0) + (+-0) is -0 only when both are -0).
// Serves f32_add (a*1.0+b), f32_mul (a*b+(-0.0)) and bf16_fma (widened operands) too.
//
// Latency: 5 cycles, one operation per cycle (fully pipelined, no back-pressure).
//   1 unpack, classify, normalize subnormal significands (3x 24-bit lzc + shift)
//   2 24x24 significand product; addend aligned into an 80-bit window; special results
//   3 80-bit add or subtract, magnitude and sign
//   4 80-bit leading-zero count and normalizing shift
//   5 subnormal denormalization, round to nearest even, pack, overflow
//
// Window (80 bits): the product's 48-bit significand sits at bits [52:5] (Guard = 5), the
// addend's 24-bit significand at bits [k+28:k+5] where k = (exponent of the addend's lsb) -
// (exponent of the product's lsb), clamped to [-29, 50].
// - k > 50: the product lies entirely below the addend's lsb by at least 3 bit positions and is
//   replaced by a sticky 1 at bit 0.
// - -29 <= k < -5: the addend reaches below bit 0; it is shifted right and the bits shifted out
//   are ORed into bit 0 (sticky). The addend is then below 2^23 and the product at least 2^51,
//   so every rounding boundary of the result lies at bit 27 or above: compressing what is below
//   bit 1 into bit 0 cannot move the sum across one.
// - k < -29: the whole addend lies below bit 0 and is replaced by a sticky 1 at bit 0.
// (Replacing a term by a sticky bit is only exact when the term lies below the other term's lsb:
// a term merely below the round position still carries or borrows into the kept bits.)
module tnum_fma (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  input  logic [31:0] c_i,
  output logic        out_valid_o,
  output logic [31:0] result_o
);

  localparam int unsigned Latency = 5;
  localparam int unsigned Guard   = 5;
  localparam int unsigned Win     = 80;
  localparam logic [31:0] CanonNan = 32'h7fc0_0000;

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
  // Stage 1: unpack and normalize. Exponents are biased, signed and may go below 1 for
  // normalized subnormals: value = mant * 2^(exp - 150) with mant[23] set (unless zero).
  logic [23:0] a_mant, b_mant, c_mant;
  logic [4:0]  a_lz, b_lz, c_lz;

  assign a_mant = {a_i[30:23] != 8'd0, a_i[22:0]};
  assign b_mant = {b_i[30:23] != 8'd0, b_i[22:0]};
  assign c_mant = {c_i[30:23] != 8'd0, c_i[22:0]};

  tnum_lzc #(.Width(24)) u_lzc_a (.in_i(a_mant), .cnt_o(a_lz));
  tnum_lzc #(.Width(24)) u_lzc_b (.in_i(b_mant), .cnt_o(b_lz));
  tnum_lzc #(.Width(24)) u_lzc_c (.in_i(c_mant), .cnt_o(c_lz));

  logic               s1_sa_q, s1_sb_q, s1_sc_q;
  logic               s1_a_zero_q, s1_b_zero_q, s1_c_zero_q;
  logic               s1_a_inf_q, s1_b_inf_q, s1_c_inf_q, s1_any_nan_q;
  logic [23:0]        s1_ma_q, s1_mb_q, s1_mc_q;
  logic signed [11:0] s1_ea_q, s1_eb_q, s1_ec_q;
  logic [31:0]        s1_c_q;

  always_ff @(posedge clk_i) begin
    s1_sa_q      <= a_i[31];
    s1_sb_q      <= b_i[31];
    s1_sc_q      <= c_i[31];
    s1_a_zero_q  <= a_i[30:0] == 31'd0;
    s1_b_zero_q  <= b_i[30:0] == 31'd0;
    s1_c_zero_q  <= c_i[30:0] == 31'd0;
    s1_a_inf_q   <= a_i[30:0] == 31'h7f80_0000;
    s1_b_inf_q   <= b_i[30:0] == 31'h7f80_0000;
    s1_c_inf_q   <= c_i[30:0] == 31'h7f80_0000;
    s1_any_nan_q <= (a_i[30:23] == 8'hff && a_i[22:0] != 23'd0) ||
                    (b_i[30:23] == 8'hff && b_i[22:0] != 23'd0) ||
                    (c_i[30:23] == 8'hff && c_i[22:0] != 23'd0);
    s1_ma_q      <= a_mant << a_lz;
    s1_mb_q      <= b_mant << b_lz;
    s1_mc_q      <= c_mant << c_lz;
    s1_ea_q      <= 12'(signed'({1'b0, (a_i[30:23] == 8'd0) ? 8'd1 : a_i[30:23]})) -
                    12'(signed'({1'b0, a_lz}));
    s1_eb_q      <= 12'(signed'({1'b0, (b_i[30:23] == 8'd0) ? 8'd1 : b_i[30:23]})) -
                    12'(signed'({1'b0, b_lz}));
    s1_ec_q      <= 12'(signed'({1'b0, (c_i[30:23] == 8'd0) ? 8'd1 : c_i[30:23]})) -
                    12'(signed'({1'b0, c_lz}));
    s1_c_q       <= c_i;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 2: product, alignment of the addend, special cases.
  logic               sp, p_zero, p_inf, invalid;
  logic signed [11:0] eab, k, k_eff, e_win;
  logic               p_stk, c_stk;
  logic [Win-1:0]     p_al, c_al;
  logic [47:0]        prod;
  logic [4:0]         c_rsh;
  logic [47:0]        c_ext;
  logic               special;
  logic [31:0]        special_val;

  always_comb begin
    sp      = s1_sa_q ^ s1_sb_q;
    p_zero  = s1_a_zero_q || s1_b_zero_q;
    p_inf   = s1_a_inf_q || s1_b_inf_q;
    invalid = s1_any_nan_q || (s1_a_inf_q && s1_b_zero_q) || (s1_b_inf_q && s1_a_zero_q) ||
              (p_inf && s1_c_inf_q && (sp != s1_sc_q));
    special     = 1'b1;
    special_val = CanonNan;
    if (invalid) begin
      special_val = CanonNan;
    end else if (p_inf) begin
      special_val = {sp, 31'h7f80_0000};
    end else if (s1_c_inf_q) begin
      special_val = {s1_sc_q, 31'h7f80_0000};
    end else if (p_zero && s1_c_zero_q) begin
      special_val = {sp && s1_sc_q, 31'd0};
    end else if (p_zero) begin
      special_val = s1_c_q;
    end else begin
      special = 1'b0;
    end

    prod  = 48'(s1_ma_q) * 48'(s1_mb_q);
    eab   = s1_ea_q + s1_eb_q;
    k     = s1_ec_q - eab + 12'sd150;
    p_stk = 1'b0;
    c_stk = 1'b0;
    if (s1_c_zero_q) begin
      k_eff = 12'sd0;
    end else if (k > 12'sd50) begin
      k_eff = 12'sd50;
      p_stk = 1'b1;
    end else if (k < -12'sd29) begin
      k_eff = -12'sd29;
      c_stk = 1'b1;
    end else begin
      k_eff = k;
    end
    // Exponent (unbiased) of window bit 0, from whichever term is not sticky.
    if (p_stk) begin
      e_win = s1_ec_q - 12'sd150 - k_eff - 12'(Guard);
    end else begin
      e_win = eab - 12'sd300 - 12'(Guard);
    end
    p_al = p_stk ? Win'(1) : (Win'(prod) << Guard);
    // Addend below the window (k < -Guard): shifted right, the bits shifted out ORed into bit 0.
    c_rsh = 5'(-(k_eff + 12'(Guard)));
    c_ext = {s1_mc_q, 24'd0} >> c_rsh;
    if (c_stk) begin
      c_al = Win'(1);
    end else if (k_eff < -12'sd5) begin  // k_eff + Guard < 0
      c_al = Win'(c_ext[47:24]) | Win'(c_ext[23:0] != 24'd0);
    end else begin
      c_al = Win'(s1_mc_q) << 7'(k_eff + 12'(Guard));
    end
  end

  logic               s2_sub_q, s2_sp_q, s2_sc_q, s2_special_q;
  logic [31:0]        s2_special_val_q;
  logic [Win-1:0]     s2_p_q, s2_c_q;
  logic signed [11:0] s2_e_win_q;

  always_ff @(posedge clk_i) begin
    s2_sub_q         <= sp != s1_sc_q;
    s2_sp_q          <= sp;
    s2_sc_q          <= s1_sc_q;
    s2_special_q     <= special;
    s2_special_val_q <= special_val;
    s2_p_q           <= p_al;
    s2_c_q           <= c_al;
    s2_e_win_q       <= e_win;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 3: add or subtract; magnitude and sign of the exact (or sticky-equivalent) sum.
  logic [Win:0]   diff;
  logic [Win-1:0] mag;
  logic           sign;

  always_comb begin
    diff = {1'b0, s2_p_q} - {1'b0, s2_c_q};
    if (!s2_sub_q) begin
      mag  = s2_p_q + s2_c_q;
      sign = s2_sp_q;
    end else if (diff[Win]) begin
      mag  = s2_c_q - s2_p_q;
      sign = s2_sc_q;
    end else begin
      mag  = diff[Win-1:0];
      sign = s2_sp_q;
    end
  end

  logic               s3_sign_q, s3_special_q;
  logic [31:0]        s3_special_val_q;
  logic [Win-1:0]     s3_mag_q;
  logic signed [11:0] s3_e_top_q;

  always_ff @(posedge clk_i) begin
    // An exact zero sum of nonzero terms is +0 under round to nearest even.
    s3_special_q     <= s2_special_q || mag == '0;
    s3_special_val_q <= s2_special_q ? s2_special_val_q : 32'd0;
    s3_sign_q        <= sign;
    s3_mag_q         <= mag;
    s3_e_top_q       <= s2_e_win_q + 12'(Win - 1) + 12'sd127;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 4: normalize: the leading one moves to bit Win-1; E is then its biased exponent.
  logic [6:0]     lz;
  logic [Win-1:0] norm;

  // Counted in two parts (bits [79:64] and [63:0]) so that no count works on more than 64 bits.
  logic [4:0] lz_hi;
  logic [6:0] lz_lo;

  tnum_lzc #(.Width(Win - 64)) u_lzc_sum_hi (.in_i(s3_mag_q[Win-1:64]), .cnt_o(lz_hi));
  tnum_lzc #(.Width(64))       u_lzc_sum_lo (.in_i(s3_mag_q[63:0]),     .cnt_o(lz_lo));

  assign lz = (lz_hi == 5'(Win - 64)) ? 7'(Win - 64) + lz_lo : 7'(lz_hi);

  assign norm = s3_mag_q << lz;

  logic               s4_sign_q, s4_special_q, s4_sticky_q;
  logic [31:0]        s4_special_val_q;
  logic [24:0]        s4_m_q;  // 24 significand bits and the round bit
  logic signed [11:0] s4_e_q;

  always_ff @(posedge clk_i) begin
    s4_sign_q        <= s3_sign_q;
    s4_special_q     <= s3_special_q;
    s4_special_val_q <= s3_special_val_q;
    s4_m_q           <= norm[Win-1 -: 25];
    s4_sticky_q      <= norm[Win-26:0] != '0;
    s4_e_q           <= s3_e_top_q - 12'(lz);
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 5: denormalize below the normal range, round to nearest even, pack.
  logic [11:0] dshift;
  logic [24:0] m_den;
  logic [49:0] den_wide;
  logic        sticky, inc;
  logic [7:0]  e_enc;
  logic [30:0] packed_mag;
  logic [31:0] result_d;

  always_comb begin
    dshift   = 12'(12'sd1 - s4_e_q);
    den_wide = {s4_m_q, 25'd0};
    if (s4_e_q >= 12'sd1) begin
      den_wide = {s4_m_q, 25'd0};
    end else if (dshift > 12'd25) begin
      den_wide = {25'd0, 24'd0, s4_m_q != '0};
    end else begin
      den_wide = {s4_m_q, 25'd0} >> dshift[4:0];
    end
    m_den      = den_wide[49:25];
    sticky     = s4_sticky_q || den_wide[24:0] != '0;
    inc        = m_den[0] && (sticky || m_den[1]);
    e_enc      = (s4_e_q >= 12'sd1) ? s4_e_q[7:0] : 8'd0;
    packed_mag = {e_enc, m_den[23:1]} + 31'(inc);
    if (s4_special_q) begin
      result_d = s4_special_val_q;
    end else if (s4_e_q >= 12'sd255) begin
      result_d = {s4_sign_q, 31'h7f80_0000};
    end else begin
      result_d = {s4_sign_q, packed_mag};
    end
  end

  always_ff @(posedge clk_i) begin
    result_o <= result_d;
  end

  // m_den[24] is the hidden bit (implied by the exponent field).
  logic unused_hidden;
  assign unused_hidden = m_den[24];

endmodule
