// Balanced pairwise fp32 sum of N values in index order (docs/tile.md, "Summation order"):
// tree(v, N) = add(tree(v, N/2), tree(v + N/2, N/2)), N a power of two; N = 1 returns v[0].
// Built from N - 1 tnum_fma units used as adders (fma(a, 1.0, b) = a + b, bit for bit as
// tnum_f32_add). Heap order: node n = add(node 2n+1, node 2n+2); leaves N-1 .. 2N-2 are v[0 .. N-1].
//
// Timing: fully pipelined, one sum per cycle, sum_o is the sum of the v_i presented
// 5 * log2(N) cycles earlier. No valid: the caller tracks which cycles carry real inputs.
module ttile_tree #(
  parameter int unsigned N = 4
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic [N*32-1:0] v_i,    // value i in bits [32i+31:32i]
  output logic [31:0]     sum_o
);

  localparam logic [31:0] One = 32'h3f80_0000;

  // split_var: each adder reads two nodes and drives a third; as one variable Verilator would
  // see a combinational cycle through the vector.
  logic [(2*N-1)*32-1:0] node /* verilator split_var */;
  logic [N-1:0]          add_valid;

  assign node[(2*N-1)*32-1 : (N-1)*32] = v_i;

  for (genvar n = 0; n < N - 1; n++) begin : g_add
    tnum_fma u_add (
      .clk_i,
      .rst_ni,
      .in_valid_i (1'b1),
      .a_i        (node[32*(2*n+1) +: 32]),
      .b_i        (One),
      .c_i        (node[32*(2*n+2) +: 32]),
      .out_valid_o(add_valid[n]),
      .result_o   (node[32*n +: 32])
    );
  end
  assign add_valid[N-1] = 1'b0;

  assign sum_o = node[31:0];

  logic unused_valid;
  assign unused_valid = ^add_valid;

endmodule
