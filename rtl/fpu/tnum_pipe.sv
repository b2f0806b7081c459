// Delay line: Depth register stages on a valid bit and a Width-bit payload (Depth >= 0; 0 is a
// plain wire). The valid bits are reset; the payload registers are not (they only matter while
// valid). Used by tnum_fpu_top to pad every unit to the top's common latency.
// Latency: Depth cycles (localparam Latency), one item per cycle.
module tnum_pipe #(
  parameter int unsigned Width = 32,
  parameter int unsigned Depth = 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             valid_i,
  input  logic [Width-1:0] data_i,
  output logic             valid_o,
  output logic [Width-1:0] data_o
);

  localparam int unsigned Latency = Depth;

  if (Latency == 0) begin : g_wire
    assign valid_o = valid_i;
    assign data_o  = data_i;

    // No clock or reset without registers.
    logic unused_clk;
    assign unused_clk = clk_i ^ rst_ni;
  end else begin : g_regs
    logic [Latency-1:0] valid_q;
    logic [Width-1:0]   data_q [Latency];

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        valid_q <= '0;
      end else begin
        valid_q[0] <= valid_i;
        for (int i = 1; i < Latency; i++) begin
          valid_q[i] <= valid_q[i-1];
        end
      end
    end

    always_ff @(posedge clk_i) begin
      data_q[0] <= data_i;
      for (int i = 1; i < Latency; i++) begin
        data_q[i] <= data_q[i-1];
      end
    end

    assign valid_o = valid_q[Latency-1];
    assign data_o  = data_q[Latency-1];
  end

endmodule
