// Iterative RV32M divider: DIV, DIVU, REM, REMU, one quotient bit per cycle, skipping the leading
// zero bits of the dividend's magnitude.
//
// Handshake: start_i (one cycle, only while idle) latches op_i, a_i (dividend) and b_i (divisor).
// done_o rises n + 1 cycles later, n = the number of significant bits of the dividend's magnitude
// (0..32; |a| for DIV/REM, a for DIVU/REMU), 1 cycle later for a zero divisor, and stays high,
// with result_o stable, until ack_i; ack_i while done_o returns the unit to idle. kill_i abandons
// any operation at once.
// op_i is funct3[1:0] of the instruction: 0 DIV, 1 DIVU, 2 REM, 3 REMU. Results follow the RISC-V spec:
// x/0 = all ones, x%0 = x, (-2^31)/(-1) = -2^31, (-2^31)%(-1) = 0.
module tessera_ctrl_div (
  input  logic        clk_i,
  input  logic        rst_ni,

  input  logic        start_i,
  input  logic        kill_i,
  input  logic        ack_i,
  input  logic [1:0]  op_i,
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic        done_o,
  output logic [31:0] result_o
);

  localparam logic [1:0] StIdle = 2'd0;
  localparam logic [1:0] StRun  = 2'd1;
  localparam logic [1:0] StDone = 2'd2;

  logic [1:0]  st_q, st_d;
  logic [5:0]  count_q, count_d;
  logic [31:0] quot_q, quot_d;    // dividend shifted out / quotient shifted in
  logic [32:0] rem_q, rem_d;      // partial remainder
  logic [31:0] div_q, div_d;      // divisor magnitude
  logic        neg_q, neg_d;      // negate the result at the end
  logic        rem_op_q, rem_op_d;
  logic [31:0] result_q, result_d;
  logic        a_neg, b_neg, is_signed;
  logic [32:0] rem_shift, rem_sub;
  logic [31:0] a_mag, b_mag, fin;
  logic [5:0]  a_lz;

  assign is_signed = !op_i[0];
  assign a_neg     = is_signed && a_i[31];
  assign b_neg     = is_signed && b_i[31];
  assign a_mag     = a_neg ? (32'd0 - a_i) : a_i;
  assign b_mag     = b_neg ? (32'd0 - b_i) : b_i;
  // Early out: the dividend's leading zero bits would only shift zeros through the remainder, so
  // the dividend starts shifted left past them and only its significant bits are iterated.
  always_comb begin
    a_lz = 6'd32;
    for (int i = 0; i < 32; i++) begin
      if (a_mag[i]) a_lz = 6'(31 - i);
    end
  end
  assign rem_shift = {rem_q[31:0], quot_q[31]};
  assign rem_sub   = rem_shift - {1'b0, div_q};
  assign fin       = rem_op_q ? rem_q[31:0] : quot_q;

  always_comb begin
    st_d     = st_q;
    count_d  = count_q;
    quot_d   = quot_q;
    rem_d    = rem_q;
    div_d    = div_q;
    neg_d    = neg_q;
    rem_op_d = rem_op_q;
    result_d = result_q;
    unique case (st_q)
      StIdle: begin
        if (start_i) begin
          if (b_i == 32'd0) begin
            result_d = op_i[1] ? a_i : 32'hffff_ffff;
            st_d     = StDone;
          end else begin
            quot_d   = a_mag << a_lz;
            rem_d    = '0;
            div_d    = b_mag;
            rem_op_d = op_i[1];
            neg_d    = op_i[1] ? a_neg : (a_neg ^ b_neg);
            count_d  = 6'd32 - a_lz;
            st_d     = StRun;
          end
        end
      end
      StRun: begin
        if (count_q == 6'd0) begin
          result_d = neg_q ? (32'd0 - fin) : fin;
          st_d     = StDone;
        end else begin
          if (!rem_sub[32]) begin
            rem_d  = rem_sub;
            quot_d = {quot_q[30:0], 1'b1};
          end else begin
            rem_d  = rem_shift;
            quot_d = {quot_q[30:0], 1'b0};
          end
          count_d = count_q - 6'd1;
        end
      end
      StDone: begin
        if (ack_i) st_d = StIdle;
      end
      default: st_d = StIdle;
    endcase
    if (kill_i) st_d = StIdle;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q     <= StIdle;
      count_q  <= '0;
      quot_q   <= '0;
      rem_q    <= '0;
      div_q    <= '0;
      neg_q    <= 1'b0;
      rem_op_q <= 1'b0;
      result_q <= '0;
    end else begin
      st_q     <= st_d;
      count_q  <= count_d;
      quot_q   <= quot_d;
      rem_q    <= rem_d;
      div_q    <= div_d;
      neg_q    <= neg_d;
      rem_op_q <= rem_op_d;
      result_q <= result_d;
    end
  end

  assign done_o   = st_q == StDone;
  assign result_o = result_q;

endmodule
