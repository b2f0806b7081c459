// Tessera compute tile: the linear-layer kernels fwd, bwd_data and bwd_weight over a sparse
// weight stream (docs/tile.md: stream format, token placement, summation order; its section
// "RTL microarchitecture" describes this implementation).
//
// Structure: the sequencer/streamer (this module), the weight buffer (ttile_wbuf), the gradient
// buffer (ttile_gbuf), S sub-banks of L-lane-wide words (ttile_subbank: lane l's bank is lane l of
// every sub-bank), L lanes (ttile_lane: P FMA units, accumulators, row-end tree), the cross-lane
// tree (ttile_tree) and the performance counters.
//
// Bank layout of a pass: token e of each lane (e = 0 .. tpl-1) owns words e*(k+n) .. e*(k+n)+k+n-1:
// its column-indexed row (X for fwd and bwd_weight, dX for bwd_data) at offset 0, its row-indexed
// row (Y for fwd, dY for bwd_data and bwd_weight) at offset k. Word a is in sub-bank a mod S.
//
// Descriptor: kernel_i (0 fwd, 1 bwd_data, 2 bwd_weight), k_i, kn_i (= k + n), ntok_i (tokens of
// this pass; lane l owns tokens l, l + L, ...), tpl_i (tokens of the fullest lane, >= 1; at most
// AccDepth for fwd and bwd_data), ngroups_i (groups in the weight buffer, entries 0 .. ngroups-1).
// It is sampled in the cycle start_i is high while busy_o is low and must stay stable until
// done_o; start_i is ignored while busy_o is high. done_o is high for one cycle when every result
// is in the banks (fwd, bwd_data) or the gradient buffer (bwd_weight).
//
// Backdoor ports (bank, weight buffer, gradient buffer) may be used only while busy_o is low;
// they model the DMA engine of a later issue. A read (bk_re_i, gb_re_i) returns its data in the
// next cycle: every lane's word at bk_addr_i (lane l in bits [32l+31:32l]), or gradient entry
// gb_addr_i (slot p in bits [32p+31:32p]; wb_slots_i likewise). Counters count the sequencer's
// cycles only; clr_i zeroes them.
module ttile_top #(
  parameter int unsigned Lanes     = tessera_cfg_pkg::Lanes,
  parameter int unsigned P         = tessera_cfg_pkg::NnzPerCycle,
  parameter int unsigned S         = tessera_cfg_pkg::SubBanks,
  parameter int unsigned BankWords = tessera_cfg_pkg::LaneBankWords,
  parameter int unsigned Groups    = tessera_cfg_pkg::WeightBufWords / (tessera_cfg_pkg::NnzPerCycle + 1),
  parameter int unsigned AccDepth  = tessera_cfg_pkg::AccDepth,
  localparam int unsigned Aw       = $clog2(BankWords),
  localparam int unsigned Gw       = $clog2(Groups)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,

  // Descriptor and handshake
  input  logic                  start_i,
  input  logic [1:0]            kernel_i,
  input  logic [Aw:0]           k_i,
  input  logic [Aw:0]           kn_i,
  input  logic [15:0]           ntok_i,
  input  logic [Aw:0]           tpl_i,
  input  logic [Gw:0]           ngroups_i,
  output logic                  busy_o,
  output logic                  done_o,

  // Backdoor bank port
  input  logic                  bk_we_i,
  input  logic                  bk_re_i,
  input  logic [Aw-1:0]         bk_addr_i,
  input  logic [Lanes*32-1:0]   bk_wdata_i,
  output logic [Lanes*32-1:0]   bk_rdata_o,

  // Backdoor weight-buffer port
  input  logic                  wb_we_i,
  input  logic [Gw-1:0]         wb_addr_i,
  input  logic [17:0]           wb_hdr_i,
  input  logic [P*32-1:0]       wb_slots_i,

  // Backdoor gradient-buffer port
  input  logic                  gb_we_i,
  input  logic                  gb_re_i,
  input  logic [Gw-1:0]         gb_addr_i,
  input  logic [P*32-1:0]       gb_wdata_i,
  output logic [P*32-1:0]       gb_rdata_o,

  // Performance counters
  input  logic                  clr_i,
  output logic [63:0]           cnt_busy_o,
  output logic [63:0]           cnt_macs_o,
  output logic [63:0]           cnt_conflict_o,
  output logic [63:0]           cnt_starved_o,
  output logic [63:0]           cnt_memory_o
);

  localparam int unsigned AccW     = $clog2(AccDepth);
  localparam int unsigned Sw       = $clog2(S);
  localparam int unsigned SubWords = BankWords / S;
  localparam int unsigned Rw       = $clog2(P + 1);  // ranks and slot numbers 0 .. P
  localparam int unsigned FmaLat   = 5;
  localparam int unsigned RowLat   = FmaLat * $clog2(P);      // lane row-end tree
  localparam int unsigned LaneLat  = FmaLat * $clog2(Lanes);  // cross-lane tree
  // bwd_weight: a window of Win groups is applied to each token in turn, so a slot's chain over
  // the tokens is updated every Win (or more) cycles: the FMA latency, with the bypass.
  localparam int unsigned Win      = FmaLat;
  // Cycles after the last issue until the last result is in the bank (fwd, bwd_data), or after
  // the cross-lane tree's last item until the last dW is in the gradient buffer (bwd_weight).
  localparam int unsigned DrainA   = 1 + FmaLat + RowLat;
  localparam int unsigned DrainB   = LaneLat + 1 + FmaLat + 1;
  // Cycles from handing a window to the cross-lane tree until its partial sums are all written.
  localparam int unsigned TreeWait = 1 + FmaLat + 1;

  localparam logic [1:0] KFwd       = 2'd0;
  localparam logic [1:0] KBwdData   = 2'd1;
  localparam logic [1:0] KBwdWeight = 2'd2;

  // Shortest hold of fwd and bwd_data: fwd reads an accumulator 5 cycles after the previous
  // update (with the bypass); bwd_data reads a bank word again at least 7 cycles after reading it
  // (read, 5 FMA stages, write).
  localparam int unsigned MinHoldFwd = FmaLat;
  localparam int unsigned MinHoldBd  = FmaLat + 2;

  typedef enum logic [1:0] {StIdle, StLoad, StRun, StDrain} state_e;

  // --- Descriptor registers ------------------------------------------------------------------------
  state_e         state_q, state_d;
  logic [1:0]     kern_q;
  logic [Aw:0]    k_q, kn_q;
  logic [15:0]    ntok_q;
  logic [Aw:0]    tpl_q, hold_q;
  logic [Gw:0]    ngroups_q;
  logic           mode_b;  // bwd_weight: window schedule

  assign mode_b = kern_q == KBwdWeight;

  // --- Streamer position ---------------------------------------------------------------------------
  logic [Gw:0]    gidx_q, gidx_d;  // group issued (mode B: g0 + w)
  logic [Gw:0]    g0_q, g0_d;      // mode B: first group of the window
  logic [2:0]     w_q, w_d;        // mode B: position in the window
  logic           par_q, par_d;    // mode B: accumulator half of the window
  logic [Aw:0]    e_q, e_d;
  logic [Rw-1:0]  r_q, r_d;
  logic [Aw-1:0]  tokbase_q, tokbase_d;
  logic [15:0]    el_q, el_d;      // e * Lanes
  logic [7:0]     drain_q, drain_d;
  logic           handoff;         // mode B: the window's last issue; its sums go to the tree
  logic [15:0]    prow_q;          // mode B: row of the group issued last
  logic [15:0]    row0_q;          // mode B: row of the window's first group
  logic           pf_done_q, pf_done_d;  // mode B: next round's first row operand already read
  logic           pf_have_q, pf_have_d;  // mode B: this round's first row operand was prefetched
  logic           pf_go;                 // mode B: prefetch read issued this cycle
  logic           tree_busy;

  // --- Weight buffer and the current group ---------------------------------------------------------
  logic [17:0]     cur_hdr;
  logic [P*32-1:0] cur_slots;

  ttile_wbuf #(.P(P), .Groups(Groups), .Gw(Gw)) u_wbuf (
    .clk_i,
    .re_i   (state_d == StRun),
    .raddr_i(gidx_d[Gw-1:0]),
    .hdr_o  (cur_hdr),
    .slots_o(cur_slots),
    .we_i   (wb_we_i && !busy_o),
    .waddr_i(wb_addr_i),
    .hdr_i  (wb_hdr_i),
    .slots_i(wb_slots_i)
  );

  // Decode of the current group (the weight buffer's output for gidx_q): columns, weights, and the
  // subgroup (rank) of each bank access. Entry P is the row-operand read (bwd_data: first group of
  // a row, the lanes cache it per token; bwd_weight: the window's first group unless it was
  // prefetched, and every group whose row differs from the previous group's; the lanes keep the
  // last one). A group whose accesses share a sub-bank is issued as
  // rmax + 1 subgroups; subgroup r issues the accesses of rank r; the row operand has rank 0.
  // Ranks are the same for every token: token e's region starts at e*(k+n), which shifts every
  // access of the group by the same amount.
  logic [15:0]         cur_row;
  logic                cur_first, cur_last, pos_valid;
  logic [P*16-1:0]     cur_col, cur_w;
  logic [P-1:0]        cur_ne;
  logic                cur_vact;
  logic [(P+1)*Sw-1:0] cls;
  logic [P*Rw-1:0]     rank;
  logic [Rw-1:0]       rnk, rmax;
  logic [Aw:0]         voff;

  always_comb begin
    cur_row   = cur_hdr[15:0];
    cur_first = cur_hdr[16];
    cur_last  = cur_hdr[17];
    pos_valid = !mode_b || gidx_q < ngroups_q;
    for (int p = 0; p < P; p++) begin
      cur_col[16*p +: 16] = cur_slots[32*p+16 +: 16];
      cur_w[16*p +: 16]   = cur_slots[32*p +: 16];
      cur_ne[p]           = cur_slots[32*p+16 +: 16] != 16'hffff;
      cls[Sw*p +: Sw]     = cur_slots[32*p+16 +: Sw];
    end
    cur_vact        = (kern_q == KBwdData && cur_first) ||
                      (kern_q == KBwdWeight && (w_q == '0 ? !pf_have_q : cur_row != prow_q));
    voff            = k_q + (Aw+1)'(cur_row);
    cls[Sw*P +: Sw] = voff[Sw-1:0];
    rank            = '0;
    rmax            = '0;
    for (int p = 0; p < P; p++) begin
      rnk = (cur_vact && cls[Sw*P +: Sw] == cls[Sw*p +: Sw]) ? Rw'(1) : Rw'(0);
      for (int q = 0; q < p; q++) begin
        if (cur_ne[q] && cls[Sw*q +: Sw] == cls[Sw*p +: Sw]) begin
          rnk = rnk + Rw'(1);
        end
      end
      rank[Rw*p +: Rw] = rnk;
      if (cur_ne[p] && rnk > rmax && pos_valid) begin
        rmax = rnk;
      end
    end
  end

  // --- Sequencer -----------------------------------------------------------------------------------
  logic          last_e, last_r, last_g, last_w, last_tok, win_end, blocked, issue_valid;
  logic [Aw:0]   hold_start;
  logic [Gw:0]   g0_next;

  assign busy_o   = state_q != StIdle;
  assign last_e   = e_q == hold_q - (Aw+1)'(1);
  assign last_tok = e_q == tpl_q - (Aw+1)'(1);
  assign last_r   = r_q == rmax;
  assign last_g   = gidx_q == ngroups_q - (Gw+1)'(1);
  assign last_w   = w_q == 3'(Win - 1);
  assign win_end  = mode_b && last_w && last_r && last_tok;
  assign blocked  = win_end && tree_busy;
  assign g0_next  = g0_q + (Gw+1)'(Win);
  assign issue_valid = state_q == StRun && (mode_b ? (pos_valid && !blocked) : e_q < tpl_q);
  assign hold_start  = (kernel_i == KBwdData) ?
                       ((tpl_i > (Aw+1)'(MinHoldBd)) ? tpl_i : (Aw+1)'(MinHoldBd)) :
                       ((tpl_i > (Aw+1)'(MinHoldFwd)) ? tpl_i : (Aw+1)'(MinHoldFwd));

  always_comb begin
    state_d   = state_q;
    gidx_d    = gidx_q;
    g0_d      = g0_q;
    w_d       = w_q;
    par_d     = par_q;
    e_d       = e_q;
    r_d       = r_q;
    tokbase_d = tokbase_q;
    el_d      = el_q;
    drain_d   = drain_q;
    handoff   = 1'b0;
    pf_have_d = pf_have_q;
    pf_done_d = pf_done_q;
    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          state_d = (ngroups_i == '0) ? StDrain : StLoad;
          drain_d = (kernel_i == KBwdWeight) ? 8'(DrainB) : 8'(DrainA);
        end
      end
      StLoad: begin
        // The weight buffer reads group 0 in this cycle.
        gidx_d    = '0;
        g0_d      = '0;
        w_d       = '0;
        par_d     = 1'b0;
        e_d       = '0;
        r_d       = '0;
        tokbase_d = '0;
        el_d      = '0;
        pf_have_d = 1'b0;
        pf_done_d = 1'b0;
        state_d   = StRun;
      end
      StRun: begin
        if (!mode_b) begin
          // fwd, bwd_data: each subgroup of a group is held for hold_q cycles, one token per cycle.
          if (last_e) begin
            e_d       = '0;
            tokbase_d = '0;
            el_d      = '0;
            if (last_r) begin
              r_d = '0;
              if (last_g) begin
                state_d = StDrain;
              end else begin
                gidx_d = gidx_q + (Gw+1)'(1);
              end
            end else begin
              r_d = r_q + Rw'(1);
            end
          end else begin
            e_d       = e_q + (Aw+1)'(1);
            tokbase_d = tokbase_q + kn_q[Aw-1:0];
            el_d      = el_q + 16'(Lanes);
          end
        end else if (!blocked) begin
          // bwd_weight: subgroups, then the Win groups of the window, then the tokens.
          pf_done_d = pf_done_q || pf_go;
          if (!last_r) begin
            r_d = r_q + Rw'(1);
          end else begin
            r_d = '0;
            if (!last_w) begin
              w_d    = w_q + 3'd1;
              gidx_d = gidx_q + (Gw+1)'(1);
            end else begin
              w_d = '0;
              if (!last_tok) begin
                e_d       = e_q + (Aw+1)'(1);
                tokbase_d = tokbase_q + kn_q[Aw-1:0];
                el_d      = el_q + 16'(Lanes);
                gidx_d    = g0_q;
                pf_have_d = pf_done_q || pf_go;
                pf_done_d = 1'b0;
              end else begin
                pf_have_d = 1'b0;
                pf_done_d = 1'b0;
                e_d       = '0;
                tokbase_d = '0;
                el_d      = '0;
                handoff   = 1'b1;
                par_d     = !par_q;
                g0_d      = g0_next;
                gidx_d    = g0_next;
                if (g0_next >= ngroups_q) begin
                  state_d = StDrain;
                end
              end
            end
          end
        end
      end
      StDrain: begin
        if (!tree_busy) begin
          drain_d = drain_q - 8'd1;
          if (drain_q == 8'd1) begin
            state_d = StIdle;
          end
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      kern_q    <= '0;
      k_q       <= '0;
      kn_q      <= '0;
      ntok_q    <= '0;
      tpl_q     <= '0;
      hold_q    <= '0;
      ngroups_q <= '0;
      gidx_q    <= '0;
      g0_q      <= '0;
      w_q       <= '0;
      par_q     <= 1'b0;
      e_q       <= '0;
      r_q       <= '0;
      tokbase_q <= '0;
      el_q      <= '0;
      drain_q   <= '0;
      pf_have_q <= 1'b0;
      pf_done_q <= 1'b0;
      done_o    <= 1'b0;
    end else begin
      state_q   <= state_d;
      gidx_q    <= gidx_d;
      g0_q      <= g0_d;
      w_q       <= w_d;
      par_q     <= par_d;
      e_q       <= e_d;
      r_q       <= r_d;
      tokbase_q <= tokbase_d;
      el_q      <= el_d;
      drain_q   <= drain_d;
      pf_have_q <= pf_have_d;
      pf_done_q <= pf_done_d;
      done_o    <= state_q == StDrain && state_d == StIdle;
      if (state_q == StIdle && start_i) begin
        kern_q    <= kernel_i;
        k_q       <= k_i;
        kn_q      <= kn_i;
        ntok_q    <= ntok_i;
        tpl_q     <= tpl_i;
        hold_q    <= hold_start;
        ngroups_q <= ngroups_i;
      end
    end
  end

  // --- Issue (cycle I): bank addresses of this subgroup's accesses ---------------------------------
  logic [(P+1)*Aw-1:0] acc_addr;
  logic [P:0]          acc_act;
  logic [AccW-1:0]     idx;
  logic [Lanes-1:0]    lane_on;

  always_comb begin
    for (int p = 0; p < P; p++) begin
      acc_addr[Aw*p +: Aw] = tokbase_q + cur_col[16*p +: Aw];
      acc_act[p]           = issue_valid && cur_ne[p] && rank[Rw*p +: Rw] == r_q;
    end
    acc_addr[Aw*P +: Aw] = tokbase_q + voff[Aw-1:0];
    acc_act[P]           = issue_valid && cur_vact && r_q == '0;
    idx = mode_b ? AccW'(par_q ? Win : 0) + AccW'(w_q) : e_q[AccW-1:0];
    for (int l = 0; l < Lanes; l++) begin
      lane_on[l] = el_q + 16'(l) < ntok_q;
    end
  end

  // bwd_weight prefetch: during a round (token e) the next round's first row operand,
  // dY[e+1][row of the window's first group], is read in the first cycle after the window's first
  // group whose accesses leave its sub-bank free; the next round then skips that read (and its
  // possible conflict). The last round of a window prefetches nothing.
  logic [Aw:0]   pf_off;
  logic [Aw-1:0] pf_addr;
  logic          pf_busy;

  always_comb begin
    pf_off  = k_q + (Aw+1)'(row0_q);
    pf_addr = tokbase_q + kn_q[Aw-1:0] + pf_off[Aw-1:0];
    pf_busy = 1'b0;
    for (int q = 0; q <= P; q++) begin
      if (acc_act[q] && acc_addr[Aw*q +: Sw] == pf_addr[Sw-1:0]) begin
        pf_busy = 1'b1;
      end
    end
    pf_go = mode_b && issue_valid && w_q != '0 && !pf_done_q && !last_tok && !pf_busy;
  end

  // --- Stage R registers ---------------------------------------------------------------------------
  logic                r_valid, r_zero, r_last, r_gload, r_gpf, r_pf;
  logic [Sw-1:0]       r_sb_pf;
  logic [1:0]          r_kern;
  logic [Lanes-1:0]    r_on;
  logic [P-1:0]        r_act, r_we;
  logic [P*16-1:0]     r_w;
  logic [(P+1)*Sw-1:0] r_sb;
  logic [P*Aw-1:0]     r_addr;
  logic [AccW-1:0]     r_idx;
  logic [Aw-1:0]       r_yaddr;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      r_valid <= 1'b0;
    end else begin
      r_valid <= issue_valid;
    end
  end

  always_ff @(posedge clk_i) begin
    // Updated after a group's last subgroup, so the ranks stay the same for all its subgroups.
    if (issue_valid && last_r) begin
      prow_q <= cur_row;
    end
    if (issue_valid && w_q == '0) begin
      row0_q <= cur_row;
    end
    r_gpf   <= mode_b && w_q == '0 && pf_have_q && r_q == '0;
    r_pf    <= pf_go;
    r_sb_pf <= pf_addr[Sw-1:0];
    r_kern  <= kern_q;
    r_on    <= lane_on;
    r_zero  <= mode_b ? e_q == '0 : cur_first && r_q == '0;
    r_last  <= cur_last && last_r;
    r_gload <= acc_act[P];
    r_act   <= acc_act[P-1:0];
    r_w     <= cur_w;
    r_idx   <= idx;
    r_yaddr <= acc_addr[Aw*P +: Aw];
    r_addr  <= acc_addr[P*Aw-1:0];
    for (int q = 0; q <= P; q++) begin
      r_sb[Sw*q +: Sw] <= acc_addr[Aw*q +: Sw];
    end
  end

  // Accumulator write enables: fwd writes every slot (a slot not issued rewrites its value, so a
  // row's first group zeroes it); bwd_weight only the slots issued; bwd_data none.
  assign r_we = (r_kern == KFwd) ? '1 : (r_kern == KBwdWeight) ? r_act : '0;

  // --- Stage W controls (R + 5) and Y stage (W + row tree) -----------------------------------------
  localparam int unsigned WcW = 1 + 1 + 1 + AccW + Aw + P + P + P * Aw;
  logic [WcW-1:0]  wc_d, wc_q;
  logic            w_valid, w_bd, w_last;
  logic [AccW-1:0] w_idx;
  logic [Aw-1:0]   w_yaddr;
  logic [P-1:0]    w_act, w_we;
  logic [P*Aw-1:0] w_addr;

  assign wc_d = {r_valid, r_kern == KBwdData, r_last && r_kern == KFwd, r_idx, r_yaddr, r_act, r_we, r_addr};

  ttile_delay #(.Width(WcW), .Depth(FmaLat)) u_wpipe (
    .clk_i, .rst_ni, .d_i(wc_d), .q_o(wc_q)
  );

  assign {w_valid, w_bd, w_last, w_idx, w_yaddr, w_act, w_we, w_addr} = wc_q;

  logic          y_valid;
  logic [Aw-1:0] y_addr;

  if (RowLat == 0) begin : g_ytree0
    assign y_valid = w_valid && w_last;
    assign y_addr  = w_yaddr;
  end else begin : g_ytree
    logic [Aw:0] yc_q;
    ttile_delay #(.Width(Aw + 1), .Depth(RowLat)) u_ypipe (
      .clk_i, .rst_ni, .d_i({w_valid && w_last, w_yaddr}), .q_o(yc_q)
    );
    assign {y_valid, y_addr} = yc_q;
  end

  // --- Cross-lane tree controller (bwd_weight) ----------------------------------------------------
  // A window handed off at its last issue is summed across lanes slot by slot, one item
  // (group w of the window, slot p) per cycle, after TreeWait cycles (its last partial sums are
  // then in the accumulators). The sequencer does not hand off the next window until the items
  // of this one are all read.
  logic            tq_wait_q, tq_run_q;
  logic [3:0]      tq_cnt_q;
  logic            tq_par_q;
  logic [Gw:0]     tq_g0_q;
  logic [2:0]      tq_w_q;
  logic [Rw-1:0]   tq_p_q;
  logic [AccW-1:0] t_idx;
  logic            t_item;
  logic [Gw:0]     t_g;

  assign tree_busy = tq_wait_q || tq_run_q;
  assign t_idx     = AccW'(tq_par_q ? Win : 0) + AccW'(tq_w_q);
  assign t_g       = tq_g0_q + (Gw+1)'(tq_w_q);
  assign t_item    = tq_run_q && t_g < ngroups_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tq_wait_q <= 1'b0;
      tq_run_q  <= 1'b0;
      tq_cnt_q  <= '0;
      tq_par_q  <= 1'b0;
      tq_g0_q   <= '0;
      tq_w_q    <= '0;
      tq_p_q    <= '0;
    end else if (handoff) begin
      tq_wait_q <= 1'b1;
      tq_cnt_q  <= 4'(TreeWait);
      tq_par_q  <= par_q;
      tq_g0_q   <= g0_q;
      tq_w_q    <= '0;
      tq_p_q    <= '0;
    end else if (tq_wait_q) begin
      tq_cnt_q <= tq_cnt_q - 4'd1;
      if (tq_cnt_q == 4'd1) begin
        tq_wait_q <= 1'b0;
        tq_run_q  <= 1'b1;
      end
    end else if (tq_run_q) begin
      if (tq_p_q == Rw'(P - 1)) begin
        tq_p_q <= '0;
        if (tq_w_q == 3'(Win - 1)) begin
          tq_run_q <= 1'b0;
        end else begin
          tq_w_q <= tq_w_q + 3'd1;
        end
      end else begin
        tq_p_q <= tq_p_q + Rw'(1);
      end
    end
  end

  // --- Lanes ---------------------------------------------------------------------------------------
  logic [S*Lanes*32-1:0] rdata;     // sub-bank s, lane l: bits [32(s*Lanes+l)+31 : 32(s*Lanes+l)]
  logic [Lanes*P*32-1:0] lane_res;  // lane l, slot p: bits [32(l*P+p)+31 : 32(l*P+p)]
  logic [Lanes*32-1:0]   lane_y;
  logic [Lanes*32-1:0]   lane_t;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [P*32-1:0] x;
    logic [31:0]     row, pfrow;

    // Gather: slot p takes lane l's word of the sub-bank it read.
    always_comb begin
      x     = '0;
      row   = '0;
      pfrow = '0;
      for (int s = 0; s < S; s++) begin
        for (int p = 0; p < P; p++) begin
          if (r_sb[Sw*p +: Sw] == Sw'(s)) begin
            x[32*p +: 32] = rdata[32*(s*Lanes+l) +: 32];
          end
        end
        if (r_sb[Sw*P +: Sw] == Sw'(s)) begin
          row = rdata[32*(s*Lanes+l) +: 32];
        end
        if (r_sb_pf == Sw'(s)) begin
          pfrow = rdata[32*(s*Lanes+l) +: 32];
        end
      end
    end

    ttile_lane #(.P(P), .AccDepth(AccDepth), .AccW(AccW)) u_lane (
      .clk_i,
      .rst_ni,
      .r_valid_i(r_valid),
      .r_kern_i (r_kern),
      .r_on_i   (r_on[l]),
      .r_act_i  (r_act),
      .r_w_i    (r_w),
      .r_zero_i (r_zero),
      .r_gload_i(r_gload),
      .r_idx_i  (r_idx),
      .r_x_i    (x),
      .r_row_i  (row),
      .r_gpf_i  (r_gpf),
      .r_pf_i   (r_pf),
      .r_pfrow_i(pfrow),
      .w_valid_i(w_valid),
      .w_idx_i  (w_idx),
      .w_we_i   (w_we),
      .w_res_o  (lane_res[32*P*l +: 32*P]),
      .y_o      (lane_y[32*l +: 32]),
      .t_idx_i  (t_idx),
      .t_p_i    (tq_p_q),
      .t_val_o  (lane_t[32*l +: 32])
    );
  end

  // --- Cross-lane tree and dW accumulation (bwd_weight) --------------------------------------------
  // Item at cycle T: lanes' partial sums into the tree; root at T + LaneLat, when the gradient
  // entry is read; at T + LaneLat + 1 the adder takes dW and the root; dW + tree is written back
  // (that slot only) at T + LaneLat + 6.
  logic [31:0]           root, root_q;
  logic [Gw+Rw:0]        tc_q;       // {item valid, group, slot} at the root
  logic                  tr_valid;
  logic [Gw-1:0]         tr_g;
  logic [Rw-1:0]         tr_p;
  logic                  ta_valid;   // at the dW adder
  logic [Gw-1:0]         ta_g;
  logic [Rw-1:0]         ta_p;
  logic [Gw+Rw:0]        tw_q;       // at the write-back
  logic                  tw_valid;
  logic [Gw-1:0]         tw_g;
  logic [Rw-1:0]         tw_p;
  logic [P*32-1:0]       gb_rdata;
  logic [31:0]           dw_old, dw_new;
  logic                  dw_valid;

  ttile_tree #(.N(Lanes)) u_lane_tree (
    .clk_i,
    .rst_ni,
    .v_i  (lane_t),
    .sum_o(root)
  );

  if (LaneLat == 0) begin : g_tc0
    assign tc_q = {t_item, t_g[Gw-1:0], tq_p_q};
  end else begin : g_tc
    ttile_delay #(.Width(1 + Gw + Rw), .Depth(LaneLat)) u_tpipe (
      .clk_i, .rst_ni, .d_i({t_item, t_g[Gw-1:0], tq_p_q}), .q_o(tc_q)
    );
  end
  assign {tr_valid, tr_g, tr_p} = tc_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ta_valid <= 1'b0;
    end else begin
      ta_valid <= tr_valid;
    end
  end

  always_ff @(posedge clk_i) begin
    root_q <= root;
    ta_g   <= tr_g;
    ta_p   <= tr_p;
  end

  assign gb_rdata_o = gb_rdata;
  assign dw_old     = gb_rdata[32*ta_p +: 32];

  tnum_fma u_dw_add (
    .clk_i,
    .rst_ni,
    .in_valid_i (ta_valid),
    .a_i        (dw_old),
    .b_i        (32'h3f80_0000),
    .c_i        (root_q),
    .out_valid_o(dw_valid),
    .result_o   (dw_new)
  );

  ttile_delay #(.Width(1 + Gw + Rw), .Depth(FmaLat)) u_dwpipe (
    .clk_i, .rst_ni, .d_i({ta_valid, ta_g, ta_p}), .q_o(tw_q)
  );
  assign {tw_valid, tw_g, tw_p} = tw_q;

  logic            gb_re;
  logic [Gw-1:0]   gb_raddr, gb_waddr;
  logic [P-1:0]    gb_we;
  logic [P*32-1:0] gb_wdata;

  always_comb begin
    if (!busy_o) begin
      gb_re    = gb_re_i;
      gb_raddr = gb_addr_i;
      gb_we    = gb_we_i ? '1 : '0;
      gb_waddr = gb_addr_i;
      gb_wdata = gb_wdata_i;
    end else begin
      gb_re    = tr_valid;
      gb_raddr = tr_g;
      gb_we    = '0;
      gb_waddr = tw_g;
      gb_wdata = '0;
      for (int p = 0; p < P; p++) begin
        if (tw_valid && tw_p == Rw'(p)) begin
          gb_we[p]             = 1'b1;
          gb_wdata[32*p +: 32] = dw_new;
        end
      end
    end
  end

  ttile_gbuf #(.P(P), .Groups(Groups), .Gw(Gw)) u_gbuf (
    .clk_i,
    .re_i   (gb_re),
    .raddr_i(gb_raddr),
    .rdata_o(gb_rdata),
    .we_i   (gb_we),
    .waddr_i(gb_waddr),
    .wdata_i(gb_wdata)
  );

  // --- Sub-banks: reads from the issue or the backdoor; writes from bwd_data, fwd rows or the backdoor
  for (genvar s = 0; s < S; s++) begin : g_sub
    logic                re, we;
    logic [Aw-Sw-1:0]    raddr, waddr;
    logic [Lanes*32-1:0] wdata;

    always_comb begin
      re    = 1'b0;
      raddr = '0;
      if (!busy_o) begin
        re    = bk_re_i && bk_addr_i[Sw-1:0] == Sw'(s);
        raddr = bk_addr_i[Aw-1:Sw];
      end else begin
        for (int q = 0; q <= P; q++) begin
          if (acc_act[q] && acc_addr[Aw*q +: Sw] == Sw'(s)) begin
            re    = 1'b1;
            raddr = acc_addr[Aw*q+Sw +: Aw-Sw];
          end
        end
        if (pf_go && pf_addr[Sw-1:0] == Sw'(s)) begin
          re    = 1'b1;
          raddr = pf_addr[Aw-1:Sw];
        end
      end
    end

    always_comb begin
      we    = 1'b0;
      waddr = '0;
      wdata = '0;
      if (!busy_o) begin
        we    = bk_we_i && bk_addr_i[Sw-1:0] == Sw'(s);
        waddr = bk_addr_i[Aw-1:Sw];
        wdata = bk_wdata_i;
      end else if (y_valid) begin
        we    = y_addr[Sw-1:0] == Sw'(s);
        waddr = y_addr[Aw-1:Sw];
        wdata = lane_y;
      end else if (w_valid && w_bd) begin
        for (int p = 0; p < P; p++) begin
          if (w_act[p] && w_addr[Aw*p +: Sw] == Sw'(s)) begin
            we    = 1'b1;
            waddr = w_addr[Aw*p+Sw +: Aw-Sw];
            for (int l = 0; l < Lanes; l++) begin
              wdata[32*l +: 32] = lane_res[32*(l*P+p) +: 32];
            end
          end
        end
      end
    end

    ttile_subbank #(.Width(Lanes * 32), .Depth(SubWords), .Aw(Aw - Sw)) u_sub (
      .clk_i,
      .re_i   (re),
      .raddr_i(raddr),
      .rdata_o(rdata[Lanes*32*s +: Lanes*32]),
      .we_i   (we),
      .waddr_i(waddr),
      .wdata_i(wdata)
    );
  end

  // Backdoor read data: the sub-bank addressed in the previous cycle.
  logic [Sw-1:0] bk_sb_q;
  always_ff @(posedge clk_i) begin
    if (bk_re_i) begin
      bk_sb_q <= bk_addr_i[Sw-1:0];
    end
  end
  always_comb begin
    bk_rdata_o = '0;
    for (int s = 0; s < S; s++) begin
      if (bk_sb_q == Sw'(s)) begin
        bk_rdata_o = rdata[Lanes*32*s +: Lanes*32];
      end
    end
  end

  // --- Performance counters ------------------------------------------------------------------------
  // busy: every cycle out of StIdle. Stalls, one cause each: StLoad (first group not yet read) is
  // stream-starved; an issuing subgroup after a group's first is a bank conflict; a run cycle that
  // issues nothing (hold cycles past the fullest lane's tokens, a bwd_weight window waiting for
  // the cross-lane tree or padding the last window) and the drain are memory.
  logic [15:0]   lanes_on, tok_left;
  logic [Rw-1:0] nact;
  logic [63:0]   busy_q, macs_q, conflict_q, starved_q, memory_q;

  always_comb begin
    tok_left = ntok_q - el_q;
    lanes_on = (tok_left > 16'(Lanes)) ? 16'(Lanes) : tok_left;
    nact     = '0;
    for (int p = 0; p < P; p++) begin
      nact = nact + Rw'(acc_act[p]);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q     <= '0;
      macs_q     <= '0;
      conflict_q <= '0;
      starved_q  <= '0;
      memory_q   <= '0;
    end else if (clr_i) begin
      busy_q     <= '0;
      macs_q     <= '0;
      conflict_q <= '0;
      starved_q  <= '0;
      memory_q   <= '0;
    end else begin
      if (busy_o) begin
        busy_q <= busy_q + 64'd1;
      end
      if (issue_valid) begin
        macs_q <= macs_q + 64'(nact) * 64'(lanes_on);
      end
      if (state_q == StLoad) begin
        starved_q <= starved_q + 64'd1;
      end
      if (issue_valid && r_q != '0) begin
        conflict_q <= conflict_q + 64'd1;
      end
      if ((state_q == StRun && !issue_valid) || state_q == StDrain) begin
        memory_q <= memory_q + 64'd1;
      end
    end
  end

  assign cnt_busy_o     = busy_q;
  assign cnt_macs_o     = macs_q;
  assign cnt_conflict_o = conflict_q;
  assign cnt_starved_o  = starved_q;
  assign cnt_memory_o   = memory_q;

  // Bits of the descriptor and stream fields wider than a bank address are not used; the unit
  // valid of the dW adder is tracked by the control pipeline.
  logic unused;
  assign unused = ^{kn_q[Aw], voff[Aw], pf_off[Aw], row0_q, cur_row, cur_col, dw_valid};

endmodule
