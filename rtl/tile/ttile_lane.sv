// One lane of the compute tile (docs/tile.md, "RTL microarchitecture"): P FMA units, one per
// slot; a small accumulator memory (AccDepth entries of P words) and the bwd_data row-operand
// cache; the fwd row-end tree (ttile_tree, P - 1 adders). Per-slot words are packed into flat
// vectors: slot p is bits [32p+31:32p] (weights: [16p+15:16p]).
//
// Timing: the shared controls r_* and the gathered words r_x_i / r_row_i belong to one issue
// (cycle R). Its FMA results are w_res_o in cycle R + 5, when the tile presents the issue's
// controls on w_valid_i / w_idx_i / w_we_i (slot p's accumulator entry is written then if
// w_we_i[p]). A read of an entry in the cycle it is written returns the new value. The row-end
// tree returns tree(w_res_o) on y_o 5 * log2(P) cycles after R + 5. t_val_o is slot t_p_i of
// accumulator entry t_idx_i (combinational), for the tile's cross-lane tree.
//
// Kernels (r_kern_i), slot p, a slot not issued (r_act_i[p] low) or a token not present in this
// lane (r_on_i low, bwd_weight) computing fma(-0, 1, acc) = acc bit for bit (acc is +0 or an FMA
// result, so any NaN in it is already the canonical one):
//   fwd:        acc[idx][p] = fma(w_p, bf16(x_p), r_zero_i ? +0 : acc[idx][p])
//   bwd_data:   g = bf16(r_gload_i ? r_row_i : cached g of entry idx) (cached when loaded);
//               result = fma(w_p, g, x_p), written back to the bank by the tile
//   bwd_weight: g = r_gload_i ? bf16(r_row_i) : r_gpf_i ? the prefetched bf16(row) : the last g;
//               acc[idx][p] = fma(g, bf16(x_p), r_zero_i ? +0 : acc[idx][p])
module ttile_lane #(
  parameter int unsigned P        = 4,
  parameter int unsigned AccDepth = 64,
  parameter int unsigned AccW     = 6
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Issue (cycle R)
  input  logic              r_valid_i,
  input  logic [1:0]        r_kern_i,
  input  logic              r_on_i,
  input  logic [P-1:0]      r_act_i,
  input  logic [P*16-1:0]   r_w_i,
  input  logic              r_zero_i,
  input  logic              r_gload_i,
  input  logic [AccW-1:0]   r_idx_i,
  input  logic [P*32-1:0]   r_x_i,
  input  logic [31:0]       r_row_i,
  input  logic              r_gpf_i,    // bwd_weight: g is the prefetched row operand
  input  logic              r_pf_i,     // bwd_weight: r_pfrow_i is a prefetch, keep it
  input  logic [31:0]       r_pfrow_i,

  // Results (cycle R + 5)
  input  logic              w_valid_i,
  input  logic [AccW-1:0]   w_idx_i,
  input  logic [P-1:0]      w_we_i,
  output logic [P*32-1:0]   w_res_o,

  // Row-end tree (cycle R + 5 + 5 * log2(P))
  output logic [31:0]       y_o,

  // Accumulator read for the cross-lane tree
  input  logic [AccW-1:0]   t_idx_i,
  input  logic [$clog2(P+1)-1:0] t_p_i,
  output logic [31:0]       t_val_o
);

  localparam logic [31:0] One     = 32'h3f80_0000;
  localparam logic [31:0] NegZero = 32'h8000_0000;
  localparam logic [1:0]  KFwd    = 2'd0;
  localparam logic [1:0]  KBwdData = 2'd1;

  // binary32 -> bf16, round to nearest even, canonical NaN (as tnum_f32_to_bf16).
  function automatic logic [15:0] to_bf16(input logic [31:0] a);
    logic inc;
    inc = a[15] && ((a[14:0] != 15'd0) || a[16]);
    if (a[30:23] == 8'hff && a[22:0] != 23'd0) begin
      to_bf16 = 16'h7fc0;
    end else begin
      to_bf16 = a[31:16] + 16'(inc);
    end
  endfunction

  // --- Accumulators and row-operand cache -------------------------------------------------------
  logic [P*32-1:0] acc_q [AccDepth];
  logic [15:0]     g_q   [AccDepth];
  logic [15:0]     g_last_q, pf_q;
  logic [P*32-1:0] acc_mem, acc_rd;
  logic [15:0]     g, row16;

  assign acc_mem = acc_q[r_idx_i];
  assign row16   = to_bf16(r_row_i);
  assign g       = r_gload_i ? row16 :
                   r_gpf_i ? pf_q :
                   (r_kern_i == KBwdData) ? g_q[r_idx_i] : g_last_q;
  assign t_val_o = acc_q[t_idx_i][32*t_p_i +: 32];

  always_comb begin
    for (int p = 0; p < P; p++) begin
      acc_rd[32*p +: 32] = (w_valid_i && w_we_i[p] && w_idx_i == r_idx_i) ? w_res_o[32*p +: 32]
                                                                         : acc_mem[32*p +: 32];
    end
  end

  always_ff @(posedge clk_i) begin
    for (int p = 0; p < P; p++) begin
      if (w_valid_i && w_we_i[p]) begin
        acc_q[w_idx_i][32*p +: 32] <= w_res_o[32*p +: 32];
      end
    end
    if (r_valid_i && r_gload_i) begin
      g_q[r_idx_i] <= g;
    end
    if (r_valid_i && (r_gload_i || r_gpf_i)) begin
      g_last_q <= g;
    end
    if (r_pf_i) begin
      pf_q <= to_bf16(r_pfrow_i);
    end
  end

  // --- Slot FMA units ----------------------------------------------------------------------------
  logic [P-1:0] fma_out_valid;

  for (genvar p = 0; p < P; p++) begin : g_slot
    logic [31:0] a, b, c;
    logic        on;

    always_comb begin
      on = r_act_i[p] && r_on_i;
      unique case (r_kern_i)
        KFwd: begin
          a = r_act_i[p] ? {r_w_i[16*p +: 16], 16'h0000} : NegZero;
          b = r_act_i[p] ? {to_bf16(r_x_i[32*p +: 32]), 16'h0000} : One;
          c = r_zero_i ? 32'h0000_0000 : acc_rd[32*p +: 32];
        end
        KBwdData: begin
          a = {r_w_i[16*p +: 16], 16'h0000};
          b = {g, 16'h0000};
          c = r_x_i[32*p +: 32];
        end
        default: begin
          a  = on ? {g, 16'h0000} : NegZero;
          b  = on ? {to_bf16(r_x_i[32*p +: 32]), 16'h0000} : One;
          c  = r_zero_i ? 32'h0000_0000 : acc_rd[32*p +: 32];
        end
      endcase
    end

    tnum_fma u_fma (
      .clk_i,
      .rst_ni,
      .in_valid_i (r_valid_i),
      .a_i        (a),
      .b_i        (b),
      .c_i        (c),
      .out_valid_o(fma_out_valid[p]),
      .result_o   (w_res_o[32*p +: 32])
    );
  end

  // --- Row-end tree ------------------------------------------------------------------------------
  ttile_tree #(.N(P)) u_tree (
    .clk_i,
    .rst_ni,
    .v_i  (w_res_o),
    .sum_o(y_o)
  );

  // Valid bits of the units are tracked by the tile's control pipeline.
  logic unused_valid;
  assign unused_valid = ^fma_out_valid;

endmodule
