// Leading-zero count of a Width-bit vector (Width >= 2): the number of zero bits above the most
// significant one; Width when the input is zero. Combinational (Latency 0).
//
// Binary search over Levels = clog2(Width) steps on the input padded below with ones to
// Pad = 2^Levels bits: step l tests whether the top Pad/2^(l+1) bits are zero and shifts them
// out if so; its answer is bit Levels-1-l of the count. A zero input is counted separately.
// (A loop over every bit simulates far slower in Verilator; so do inputs wider than 64 bits,
// which need multi-word arithmetic there: split those, as tnum_fma does.)
module tnum_lzc #(
  parameter int unsigned Width    = 24,
  parameter int unsigned CntWidth = $clog2(Width + 1)
) (
  input  logic [Width-1:0]    in_i,
  output logic [CntWidth-1:0] cnt_o
);

  localparam int unsigned Latency = 0;
  localparam int unsigned Levels  = $clog2(Width);
  localparam int unsigned Pad     = 1 << Levels;

  logic [Pad-1:0]    x;
  logic [Levels-1:0] cnt;

  always_comb begin
    x   = (Pad'(in_i) << (Pad - Width)) | ~({Pad{1'b1}} << (Pad - Width));
    cnt = '0;
    for (int l = 0; l < Levels; l++) begin
      if ((x >> (Pad - (Pad >> (l + 1)))) == '0) begin
        cnt[Levels-1-l] = 1'b1;
        x = x << (Pad >> (l + 1));
      end
    end
    cnt_o = (in_i == '0) ? CntWidth'(Width) : CntWidth'(cnt);
  end

  // Latency documents the unit.
  logic unused_latency;
  assign unused_latency = ^Latency;

endmodule
