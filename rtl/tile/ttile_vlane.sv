// One lane of the tile's vector unit (docs/tile.md, "Vector unit"): a register file of NumRegs
// fp32 registers for each of AccDepth entries (the lane's rows of a run), one numerics pipeline
// (tnum_fpu_top: every op has its Latency of 8 cycles) and the exact in-lane operations, padded to
// the same latency so that every micro-op writes its destination through one port.
//
// Timing: a micro-op issued in cycle I for entry idx_i reads its operands from the register file
// in cycle I (a store's value is operand a, returned on st_data_o in cycle I for the tile to write
// in that cycle); a load's bank word arrives on ld_data_i in cycle I + 1; the result of a numerics,
// special or load micro-op is written in cycle I + 8 (readable from I + 9), unless the micro-op's
// predicate is false for this lane's row, which leaves the destination as it was.
//
// Operand x (a, b, c): register src_x_i[3:0] when src_x_i[5] is low, else the shared constant
// k_x_i (the tile resolves constant ids); neg_x_i flips its sign (exact).
//
// Labels (xent; embed_bwd's token ids): a load into the label register of a row present (on_i)
// whose value is cols_i or more sets label_err_o; clr_i (the program's first cycle) clears it.
module ttile_vlane #(
  parameter int unsigned AccDepth = 64,
  parameter int unsigned AccW     = 6,
  parameter int unsigned Lanes    = 4,
  parameter int unsigned Lane     = 0,
  parameter int unsigned NumRegs  = 16
) (
  input  logic              clk_i,      // gated: runs while the vector unit has work
  input  logic              rst_ni,

  // Issue (cycle I)
  input  logic              valid_i,
  input  logic [1:0]        kind_i,     // 0 numerics, 1 special, 2 load, 3 store
  input  logic [3:0]        op_i,       // enum tnum_op (numerics) or the special op
  input  logic [3:0]        dst_i,
  input  logic [AccW-1:0]   idx_i,      // entry: the row e * Lanes + Lane
  input  logic [5:0]        src_a_i, src_b_i, src_c_i,
  input  logic              neg_a_i, neg_b_i,
  input  logic [31:0]       k_a_i, k_b_i, k_c_i,
  input  logic [1:0]        pred_i,     // 0 always, 1 causal-valid, 2 not causal-valid, 3 label == col (+ row)
  input  logic              first_i,    // column 0 (maxf)
  input  logic [31:0]       col_i,      // the column (or row0 with lab_row_i), for the label predicate
  input  logic              lab_row_i,  // predicate 3 compares the label with col_i + this lane's row
  input  logic              causal_i,
  input  logic signed [33:0] lim_i,     // row0 + s1 - column: row r keeps the column when r + lim >= 0
  input  logic              on_i,       // the row is one of the run's (r < ntok)
  output logic [31:0]       st_data_o,

  // Label check
  input  logic              clr_i,
  input  logic [31:0]       cols_i,
  output logic              label_err_o,

  // Load data (cycle I + 1)
  input  logic [31:0]       ld_data_i
);

  // One class for all lanes in the Verilated model: 16 copies of the numerics units would make the
  // model's C++ several times larger and slower to compile, for no speed.
  /* verilator no_inline_module */

  localparam int unsigned Latency = 8;  // tnum_fpu_top
  localparam int unsigned Rw      = $clog2(NumRegs);
  localparam logic [3:0]  LabelReg = 4'(NumRegs - 1);

  localparam logic [1:0] KNum = 2'd0;
  localparam logic [1:0] KSp  = 2'd1;
  localparam logic [1:0] KLd  = 2'd2;

  // Special ops.
  localparam logic [3:0] SpMov    = 4'd0;  // a
  localparam logic [3:0] SpMaxf   = 4'd1;  // first ? b : tvec_f32_max(a, b)
  localparam logic [3:0] SpGfix   = 4'd2;  // tvec_gelu_grad's |x| >= 16 and NaN cases: a = x, b = the chain
  localparam logic [3:0] SpZfix   = 4'd3;  // a a zero ? +0 : b
  localparam logic [3:0] SpLogm   = 4'd4;  // tvec_log: the significand m of a in [sqrt(1/2), sqrt(2))
  localparam logic [3:0] SpLoge   = 4'd5;  // tvec_log: the exponent e of a, as fp32
  localparam logic [3:0] SpLogfix = 4'd6;  // tvec_log's special values: a = x, b = the chain

  localparam logic [31:0] QNaN   = 32'h7fc0_0000;
  localparam logic [31:0] One    = 32'h3f80_0000;
  localparam logic [31:0] PosInf = 32'h7f80_0000;
  localparam logic [31:0] NegInf = 32'hff80_0000;

  logic [31:0] rf_q [AccDepth * NumRegs];

  function automatic logic is_nan(input logic [30:0] v);
    is_nan = v[30:23] == 8'hff && v[22:0] != '0;
  endfunction

  // tvec_f32_max: IEEE order through a monotonic key; +0 and -0 keep a; NaN gives the quiet NaN.
  function automatic logic [31:0] f32_max(input logic [31:0] a, input logic [31:0] b);
    logic [31:0] ka, kb;
    ka = a[31] ? ~a : (a | 32'h8000_0000);
    kb = b[31] ? ~b : (b | 32'h8000_0000);
    if (is_nan(a[30:0]) || is_nan(b[30:0])) begin
      f32_max = QNaN;
    end else if (a[30:0] == '0 && b[30:0] == '0) begin
      f32_max = a;
    end else begin
      f32_max = (kb > ka) ? b : a;
    end
  endfunction

  // The exact fp32 value of an integer -160 < v < 160 (tvec_log's exponent).
  function automatic logic [31:0] small_int_f32(input logic signed [9:0] v);
    logic [8:0] m;
    logic [7:0] e;
    logic [22:0] f;
    m = v[9] ? 9'(-v) : v[8:0];
    e = '0;
    f = '0;
    for (int i = 0; i < 9; i++) begin
      if (m[i]) begin
        e = 8'(127 + i);
        f = 23'({m, 23'd0} >> i);  // the bits below the leading one, left-aligned
      end
    end
    small_int_f32 = (m == '0) ? 32'h0 : {v[9], e, f};
  endfunction

  // tvec_log's split x = 2^e m, m in [sqrt(1/2), sqrt(2)) (x positive finite; subnormals
  // normalized): the fp32 m (logm) or e (loge).
  function automatic logic [31:0] log_split(input logic [30:0] x, input logic want_e);
    logic [22:0] frac;
    logic signed [9:0] e;
    logic [31:0] m;
    logic done;
    frac = x[22:0];
    e = 10'sd0;
    if (x[30:23] == 8'd0) begin
      done = 1'b0;
      for (int sh = 1; sh <= 23; sh++) begin
        if (!done && frac[23 - sh]) begin
          done = 1'b1;
          e = 10'(-126 - sh);
          frac = 23'({frac, 23'd0} >> (23 - sh));
        end
      end
    end else begin
      e = 10'($signed({2'b00, x[30:23]}) - 10'sd127);
    end
    m = {9'h07f, frac};
    if (m >= 32'h3fb5_04f3) begin
      m = m - 32'h0080_0000;
      e = e + 10'sd1;
    end
    log_split = want_e ? small_int_f32(e) : m;
  endfunction

  // --- Operands (cycle I) ----------------------------------------------------------------------
  logic [31:0] a, b, c, label;
  logic [AccW+Rw-1:0] base;

  assign base = {idx_i, Rw'(0)};

  always_comb begin
    a = src_a_i[5] ? k_a_i : rf_q[base + (AccW+Rw)'(src_a_i[Rw-1:0])];
    b = src_b_i[5] ? k_b_i : rf_q[base + (AccW+Rw)'(src_b_i[Rw-1:0])];
    c = src_c_i[5] ? k_c_i : rf_q[base + (AccW+Rw)'(src_c_i[Rw-1:0])];
    a[31] = a[31] ^ neg_a_i;
    b[31] = b[31] ^ neg_b_i;
    label = rf_q[base + (AccW+Rw)'(LabelReg)];
  end

  assign st_data_o = a;

  // Predicate of this lane's row (row e * Lanes + Lane; the column limit is shared).
  logic        valid_col, pred_ok;
  logic signed [33:0] row;

  always_comb begin
    row       = $signed({2'b00, 32'(idx_i) * 32'(Lanes) + 32'(Lane)});
    valid_col = !causal_i || (row + lim_i >= 34'sd0);
    unique case (pred_i)
      2'd0:    pred_ok = 1'b1;
      2'd1:    pred_ok = valid_col;
      2'd2:    pred_ok = !valid_col;
      default: pred_ok = label == (lab_row_i ? col_i + 32'(row) : col_i);
    endcase
  end

  // --- Special ops (combinational, then padded) ------------------------------------------------
  logic [31:0] sp_res, sp_q, ld_q, num_res;

  always_comb begin
    unique case (op_i)
      SpMov:  sp_res = a;
      SpMaxf: sp_res = first_i ? b : f32_max(a, b);
      SpGfix: begin
        if (is_nan(a[30:0])) sp_res = QNaN;
        else if (a[30:0] >= 31'h4180_0000) sp_res = a[31] ? 32'h0 : One;
        else sp_res = b;
      end
      SpZfix: sp_res = (a[30:0] == '0) ? 32'h0 : b;
      SpLogm: sp_res = log_split(a[30:0], 1'b0);
      SpLoge: sp_res = log_split(a[30:0], 1'b1);
      SpLogfix: begin
        if (is_nan(a[30:0])) sp_res = QNaN;
        else if (a[30:0] == '0) sp_res = NegInf;
        else if (a[31]) sp_res = QNaN;
        else if (a == PosInf) sp_res = PosInf;
        else sp_res = b;
      end
      default: sp_res = a;
    endcase
  end

  ttile_delay #(.Width(32), .Depth(Latency)) u_sp_pipe (
    .clk_i, .rst_ni, .d_i(sp_res), .q_o(sp_q)
  );

  ttile_delay #(.Width(32), .Depth(Latency - 1)) u_ld_pipe (
    .clk_i, .rst_ni, .d_i(ld_data_i), .q_o(ld_q)
  );

  logic        num_valid;
  logic [3:0]  num_op;
  logic [15:0] num_supported;

  tnum_fpu_top u_fpu (
    .clk_i,
    .rst_ni,
    .in_valid_i (valid_i && kind_i == KNum),
    .op_i       (op_i),
    .a_i        (a),
    .b_i        (b),
    .c_i        (c),
    .out_valid_o(num_valid),
    .out_op_o   (num_op),
    .result_o   (num_res),
    .supported_o(num_supported)
  );

  // --- Write-back (cycle I + 8) ----------------------------------------------------------------
  localparam int unsigned WbW = 1 + 1 + 2 + AccW + 4;
  logic [WbW-1:0] wb_q;
  logic           wb_we, wb_on;
  logic [1:0]     wb_kind;
  logic [AccW-1:0] wb_idx;
  logic [3:0]     wb_dst;

  ttile_delay #(.Width(WbW), .Depth(Latency)) u_wb_pipe (
    .clk_i, .rst_ni,
    .d_i({valid_i && pred_ok && kind_i != 2'd3, on_i, kind_i, idx_i, dst_i}),
    .q_o(wb_q)
  );
  assign {wb_we, wb_on, wb_kind, wb_idx, wb_dst} = wb_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      label_err_o <= 1'b0;
    end else if (clr_i) begin
      label_err_o <= 1'b0;
    end else if (wb_we && wb_on && wb_kind == KLd && wb_dst == LabelReg && ld_q >= cols_i) begin
      label_err_o <= 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (wb_we) begin
      rf_q[{wb_idx, Rw'(0)} + (AccW+Rw)'(wb_dst[Rw-1:0])] <= wb_kind == KNum ? num_res :
                                                             wb_kind == KSp ? sp_q : ld_q;
    end
  end

  // Numerics valid and op are tracked by the write-back pipe; KLd is the remaining kind.
  logic unused;
  assign unused = ^{num_valid, num_op, num_supported, src_a_i[4], src_b_i[4], src_c_i[4]};

endmodule
