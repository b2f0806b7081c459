// Tessera compute tile: the linear-layer kernels fwd, bwd_data and bwd_weight over a sparse
// weight stream (docs/tile.md: stream format, token placement, summation order; its section
// "RTL microarchitecture" describes this implementation), and the vector unit (ttile_vlane per
// lane; docs/tile.md, "Vector unit") for fwd's epilogue and the vector kernels.
// attn_qk and attn_pv are fwd and bwd_data with their groups taken from the stream-in port instead
// of the weight buffer (docs/tile.md, "Stream ports"): a beat per group, waiting (StWait,
// stream-starved) while the source has none. send (StSend) puts rows of the banks on the
// stream-out port in the same group format, holding a beat the sink does not take (back-pressure).
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
// Descriptor: the registers of block `tile` (docs/chip.md, "Tile"): kernel_i (enum tile_kernel)
// and its flags, k_i, kn_i (words of a row's region), ntok_i (rows; lane l owns rows l, l + L, ...),
// tpl_i (rows of the fullest lane), ngroups_i (groups in the weight buffer, entries
// 0 .. ngroups-1), the vector operands off_*_i, cols_i, param_i, row0_i and the scalars s_i.
// It is sampled in the cycle start_i is high while busy_o is low; start_i is ignored while busy_o
// is high. A descriptor that docs/tile.md ("One descriptor run") refuses runs nothing: the tile is
// busy for one cycle and code_o gives the status code (2 or 3) until the next start; xent with a
// label outside its row stops after loading the labels (code 4), before writing anything; a linear
// or attn run whose stream is malformed writes nothing from its first malformed group on and ends
// after its drain with code 3 (section "Stream check" below). done_o is
// high for one cycle when every result is in the banks or the gradient buffer. Only the rows
// r < ntok are written (per-lane write enables).
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
  input  logic [4:0]            kernel_i,
  input  logic                  epi_bias_i,
  input  logic                  epi_gelu_i,
  input  logic                  epi_residual_i,
  input  logic                  epi_scale_i,
  input  logic                  cast_bf16_i,
  input  logic                  causal_i,
  input  logic [31:0]           k_i,
  input  logic [31:0]           kn_i,
  input  logic [31:0]           ntok_i,
  input  logic [31:0]           tpl_i,
  input  logic [31:0]           ngroups_i,
  input  logic [31:0]           off_a_i,
  input  logic [31:0]           off_b_i,
  input  logic [31:0]           off_c_i,
  input  logic [31:0]           off_d_i,
  input  logic [31:0]           cols_i,
  input  logic [31:0]           param_i,
  input  logic [31:0]           row0_i,
  input  logic [7*32-1:0]       s_i,      // s0 .. s6: s_i[32i +: 32]
  output logic                  busy_o,
  output logic                  done_o,
  output logic [7:0]            code_o,

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

  // Stream-in port (docs/tile.md, "Stream ports"): one weight group per beat (header and P slot
  // words as a weight-buffer entry), taken at a clock edge where si_valid_i and si_ready_o are both
  // high; attn_qk and attn_pv take their groups from it instead of the weight buffer. si_en_i: a
  // stream source is attached; without one, attn_qk and attn_pv are refused (code 2).
  input  logic                  si_en_i,
  input  logic                  si_valid_i,
  output logic                  si_ready_o,
  input  logic [17:0]           si_hdr_i,
  input  logic [P*32-1:0]       si_slots_i,

  // Stream-out port (docs/tile.md, "Stream ports"): the send kernel presents one group per beat
  // (so_hdr_o, so_slots_o: the stream-in port's layout), taken at a clock edge where so_valid_o
  // and so_ready_i are both high. so_en_i: a stream sink is attached; without one, send is
  // refused (code 2).
  input  logic                  so_en_i,
  output logic                  so_valid_o,
  input  logic                  so_ready_i,
  output logic [17:0]           so_hdr_o,
  output logic [P*32-1:0]       so_slots_o,

  // Performance counters
  input  logic                  clr_i,
  output logic [63:0]           cnt_busy_o,
  output logic [63:0]           cnt_macs_o,
  output logic [63:0]           cnt_conflict_o,
  output logic [63:0]           cnt_starved_o,
  output logic [63:0]           cnt_memory_o,
  output logic [63:0]           cnt_backpressure_o
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

  typedef enum logic [3:0] {StIdle, StLoad, StRun, StDrain, StVec, StVDrain, StErr, StWait, StSend} state_e;

  localparam logic [4:0] CFwd       = 5'(tessera_map_pkg::TileKernelFwd);
  localparam logic [4:0] CBwdData   = 5'(tessera_map_pkg::TileKernelBwdData);
  localparam logic [4:0] CBwdWeight = 5'(tessera_map_pkg::TileKernelBwdWeight);
  localparam logic [4:0] CGeluFwd   = 5'(tessera_map_pkg::TileKernelGeluFwd);
  localparam logic [4:0] CGeluBwd   = 5'(tessera_map_pkg::TileKernelGeluBwd);
  localparam logic [4:0] CAdd       = 5'(tessera_map_pkg::TileKernelAdd);
  localparam logic [4:0] CScale     = 5'(tessera_map_pkg::TileKernelScale);
  localparam logic [4:0] CSmaxFwd   = 5'(tessera_map_pkg::TileKernelSoftmaxFwd);
  localparam logic [4:0] CSmaxBwd   = 5'(tessera_map_pkg::TileKernelSoftmaxBwd);
  localparam logic [4:0] CLnFwd     = 5'(tessera_map_pkg::TileKernelLayernormFwd);
  localparam logic [4:0] CXentFwd   = 5'(tessera_map_pkg::TileKernelXentFwd);
  localparam logic [4:0] CXentBwd   = 5'(tessera_map_pkg::TileKernelXentBwd);
  localparam logic [4:0] CAdamw     = 5'(tessera_map_pkg::TileKernelAdamw);
  localparam logic [4:0] CLnBwd     = 5'(tessera_map_pkg::TileKernelLayernormBwd);
  localparam logic [4:0] CEmbBwd    = 5'(tessera_map_pkg::TileKernelEmbedBwd);
  localparam logic [4:0] CAttnQk    = 5'(tessera_map_pkg::TileKernelAttnQk);
  localparam logic [4:0] CAttnPv    = 5'(tessera_map_pkg::TileKernelAttnPv);
  localparam logic [4:0] CSend      = 5'(tessera_map_pkg::TileKernelSend);
  localparam logic [4:0] CCount     = 5'(tessera_map_pkg::TileKernelSend + 1);

  // --- Descriptor registers ------------------------------------------------------------------------
  state_e         state_q, state_d;
  logic [1:0]     kern_q;
  logic [Aw:0]    k_q, kn_q;
  logic [15:0]    ntok_q;
  logic [Aw:0]    tpl_q, hold_q;
  logic [Gw:0]    ngroups_q;
  logic           mode_b;  // bwd_weight: window schedule
  logic           strm_q;  // attn_qk, attn_pv: groups from the stream-in port
  logic           k_lin, k_attn;  // kernel_i: a linear kernel (attn included); attn_qk or attn_pv

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

  // --- Weight buffer, stream-in register and the current group -------------------------------------
  logic [17:0]     cur_hdr, wb_hdr, sg_hdr_q;
  logic [P*32-1:0] cur_slots, wb_slots, sg_slots_q;
  logic            si_take;  // a beat is taken at this edge

  assign k_attn = kernel_i == CAttnQk || kernel_i == CAttnPv;
  assign k_lin  = kernel_i <= CBwdWeight || k_attn;

  // The stream-in register holds the last beat taken: the current group of attn_qk and attn_pv,
  // read in the cycle after the take as the weight buffer's output is after its read.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sg_hdr_q   <= '0;
      sg_slots_q <= '0;
    end else if (si_take) begin
      sg_hdr_q   <= si_hdr_i;
      sg_slots_q <= si_slots_i;
    end
  end
  assign cur_hdr   = strm_q ? sg_hdr_q : wb_hdr;
  assign cur_slots = strm_q ? sg_slots_q : wb_slots;

  ttile_wbuf #(.P(P), .Groups(Groups), .Gw(Gw)) u_wbuf (
    .clk_i,
    .re_i   (state_d == StRun),
    .raddr_i(gidx_d[Gw-1:0]),
    .hdr_o  (wb_hdr),
    .slots_o(wb_slots),
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

  // --- Stream check (docs/tile.md, "One descriptor run") -------------------------------------------
  // Every group of a linear or attn run is checked once, in stream order, in the first cycle it is
  // the current group (weight buffer or stream-in alike; bwd_weight: in the window's first round).
  // A group is malformed when its row is >= n = kn - k or below the previous group's row, its
  // first flag is not "group 0 or a new row", the previous group's last flag is not "this row is a
  // new one", it is the run's final group without its last flag, or a non-empty slot has a column
  // >= k or the column of an earlier slot: the cases of the cmodel's stream_from_groups. The first
  // malformed group sets sc_bad_q: from the next cycle on no bank or gradient-buffer word is
  // written (the malformed group's own writes come 6 or more cycles after its first), the run keeps
  // its schedule to the end of its drain and then stops through StErr with code 3 and no done_o.
  logic [Gw:0]  sc_next_q;   // groups checked in this run: the next one to check
  logic [15:0]  sc_prow_q;   // the row of the group checked last
  logic         sc_plast_q;  // its last flag
  logic         sc_bad_q;    // a malformed group seen in this run
  logic         sc_chk, sc_bad;
  logic [31:0]  sc_n;

  always_comb begin
    sc_chk = state_q == StRun && pos_valid && gidx_q == sc_next_q;
    sc_n   = 32'(kn_q) - 32'(k_q);
    sc_bad = 32'(cur_row) >= sc_n || cur_first != (gidx_q == '0 || cur_row != sc_prow_q) ||
             (gidx_q != '0 && (cur_row < sc_prow_q || sc_plast_q != (cur_row != sc_prow_q))) ||
             (gidx_q == ngroups_q - (Gw+1)'(1) && !cur_last);
    for (int p = 0; p < P; p++) begin
      if (cur_ne[p] && 32'(cur_col[16*p +: 16]) >= 32'(k_q)) begin
        sc_bad = 1'b1;
      end
      for (int q = 0; q < p; q++) begin
        if (cur_ne[p] && cur_col[16*q +: 16] == cur_col[16*p +: 16]) begin
          sc_bad = 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sc_next_q  <= '0;
      sc_prow_q  <= '0;
      sc_plast_q <= 1'b0;
      sc_bad_q   <= 1'b0;
    end else if (state_q == StIdle && start_i) begin
      sc_next_q <= '0;
      sc_bad_q  <= 1'b0;
    end else if (sc_chk) begin
      sc_next_q  <= sc_next_q + (Gw+1)'(1);
      sc_prow_q  <= cur_row;
      sc_plast_q <= cur_last;
      sc_bad_q   <= sc_bad_q || sc_bad;
    end
  end

  logic [S*Lanes*32-1:0] rdata;  // sub-bank s, lane l: bits [32(s*Lanes+l)+31 : 32(s*Lanes+l)]

  // --- Start checks (docs/tile.md, "One descriptor run"): status code 2, 3, or 0 ----------------
  logic [7:0]  chk_code, code_q;
  logic        chk_bad, any_epi;
  logic [63:0] w_k, w_kn, w_n, w_cols, w_oa, w_ob, w_oc, w_od, w_par, w_tpl, w_ntok, w_reg;

  function automatic logic fits(input logic [63:0] off, input logic [63:0] len, input logic [63:0] kn);
    fits = off + len <= kn;
  endfunction
  function automatic logic meets(input logic [63:0] x, input logic [63:0] xl, input logic [63:0] y,
                                 input logic [63:0] yl);
    meets = x < y + yl && y < x + xl;
  endfunction
  // Two operands of len words: the same words or apart.
  function automatic logic clash(input logic [63:0] x, input logic [63:0] y, input logic [63:0] len);
    clash = x != y && meets(x, len, y, len);
  endfunction

  always_comb begin
    w_k    = 64'(k_i);
    w_kn   = 64'(kn_i);
    w_n    = w_kn - w_k;
    w_cols = 64'(cols_i);
    w_oa   = 64'(off_a_i);
    w_ob   = 64'(off_b_i);
    w_oc   = 64'(off_c_i);
    w_od   = 64'(off_d_i);
    w_par  = 64'(param_i);
    w_tpl  = 64'(tpl_i);
    w_ntok = 64'(ntok_i);
    w_reg  = w_tpl * w_kn;  // the run's regions: bank words 0 .. w_reg-1
    any_epi = epi_bias_i || epi_gelu_i || epi_residual_i || epi_scale_i || cast_bf16_i;
    chk_bad = w_ntok == 64'd0 || w_ntok > 64'hffff || w_tpl == 64'd0 ||
              w_tpl != ((w_ntok + 64'(Lanes) - 64'd1) >> $clog2(Lanes)) || w_kn == 64'd0 ||
              w_reg > 64'(BankWords) || (kernel_i != CBwdWeight && kernel_i != CSend && w_tpl > 64'(AccDepth));
    if (k_lin) begin
      chk_bad = chk_bad || w_k == 64'd0 || w_k >= w_kn || 64'(ngroups_i) > 64'(Groups);
      if (kernel_i == CFwd && any_epi) begin
        chk_bad = chk_bad || (epi_bias_i && (w_par < w_reg || w_par + w_n > 64'(BankWords))) ||
                  (epi_residual_i && (!fits(w_oa, w_n, w_kn) || clash(w_oa, w_k, w_n)));
      end
    end else begin
      chk_bad = chk_bad || w_cols == 64'd0;
      unique case (kernel_i)
        CGeluFwd, CScale, CSmaxFwd, CXentBwd: begin
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || !fits(w_ob, w_cols, w_kn) || clash(w_oa, w_ob, w_cols);
          if (kernel_i == CXentBwd) chk_bad = chk_bad || w_oc >= w_kn;
        end
        CGeluBwd, CAdd, CSmaxBwd: begin
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || !fits(w_ob, w_cols, w_kn) || !fits(w_oc, w_cols, w_kn) ||
                    clash(w_oa, w_ob, w_cols) || clash(w_oa, w_oc, w_cols) || clash(w_ob, w_oc, w_cols);
        end
        CLnFwd: begin
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || !fits(w_ob, w_cols, w_kn) || clash(w_oa, w_ob, w_cols) ||
                    !fits(w_oc, 64'd2, w_kn) || meets(w_oc, 64'd2, w_oa, w_cols) || meets(w_oc, 64'd2, w_ob, w_cols) ||
                    w_par < w_reg || w_par + 2 * w_cols > 64'(BankWords);
        end
        CXentFwd: begin
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || w_oc >= w_kn || w_od >= w_kn;
        end
        CEmbBwd: begin  // the table rows at A; k ids, then k dY rows of cols words at param
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || w_k == 64'd0 || w_par < w_reg ||
                    w_par + w_k + w_k * w_cols > 64'(BankWords);
        end
        CLnBwd: begin  // C (xh, then dX) apart from A, B and the statistics; gamma, dgamma, dbeta at param
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || !fits(w_ob, w_cols, w_kn) || clash(w_oa, w_ob, w_cols) ||
                    !fits(w_oc, w_cols, w_kn) || !fits(w_od, 64'd2, w_kn) || meets(w_oc, w_cols, w_oa, w_cols) ||
                    meets(w_oc, w_cols, w_ob, w_cols) || meets(w_oc, w_cols, w_od, 64'd2) ||
                    w_par < w_reg || w_par + 3 * w_cols > 64'(BankWords);
        end
        CSend: begin  // cols words at A of each row; rows row0 .. row0 + ntok - 1 fit a 16-bit header
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || 64'(row0_i) + w_ntok > 64'h10000;
        end
        default: begin  // adamw: A, B, C, D and the bf16 copy at region offset param
          chk_bad = chk_bad || !fits(w_oa, w_cols, w_kn) || !fits(w_ob, w_cols, w_kn) || !fits(w_oc, w_cols, w_kn) ||
                    !fits(w_od, w_cols, w_kn) || !fits(w_par, w_cols, w_kn) ||
                    clash(w_oa, w_ob, w_cols) || clash(w_oa, w_oc, w_cols) || clash(w_oa, w_od, w_cols) ||
                    clash(w_oa, w_par, w_cols) || clash(w_ob, w_oc, w_cols) || clash(w_ob, w_od, w_cols) ||
                    clash(w_ob, w_par, w_cols) || clash(w_oc, w_od, w_cols) || clash(w_oc, w_par, w_cols) ||
                    clash(w_od, w_par, w_cols);
        end
      endcase
    end
    chk_code = (kernel_i >= CCount || (k_attn && !si_en_i) || (kernel_i == CSend && !so_en_i)) ? 8'd2 :
               chk_bad ? 8'd3 : 8'd0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      code_q <= '0;
    end else if (state_q == StIdle && start_i) begin
      code_q <= chk_code;
    end else if (v_abort) begin
      code_q <= 8'd4;
    end else if (state_q == StDrain && state_d == StErr) begin
      code_q <= 8'd3;  // a malformed stream (sc_bad_q)
    end
  end
  assign code_o = code_q;

  // --- Vector unit: descriptor, program and sequencer (docs/tile.md, "Vector unit") -------------
  // A micro-op (UopW bits): kind, op, destination register, three sources (0..15 a register,
  // 32 + id a constant), sign flips of a and b, predicate, and for loads and stores the operand
  // base and a +1.
  localparam int unsigned UopW = 39;
  localparam logic [1:0]  VNum = 2'd0;
  localparam logic [1:0]  VSp  = 2'd1;
  localparam logic [1:0]  VLd  = 2'd2;
  localparam logic [1:0]  VSt  = 2'd3;
  // Numerics ops (enum tnum_op) and the lanes' special ops (ttile_vlane).
  localparam logic [3:0]  OAdd = 4'd0, OMul = 4'd1, OFma = 4'd2, OToBf = 4'd4, OFromBf = 4'd5, OExp = 4'd10,
                          ORcp = 4'd11, ORsq = 4'd12, OTanh = 4'd13, OGelu = 4'd14;
  localparam logic [3:0]  XMov = 4'd0, XMaxf = 4'd1, XGfix = 4'd2, XZfix = 4'd3, XLogm = 4'd4, XLoge = 4'd5,
                          XLogfix = 4'd6;
  // Predicates.
  localparam logic [1:0]  PAll = 2'd0, PVal = 2'd1, PNval = 2'd2, PLab = 2'd3;
  // Load / store bases: region offsets A..D, k (Y), absolute param, param + cols and param + 2 cols,
  // region param.
  localparam logic [3:0]  BA = 4'd0, BB = 4'd1, BC = 4'd2, BD = 4'd3, BY = 4'd4, BPar = 4'd5, BPar2 = 4'd6,
                          BPreg = 4'd7, BPar3 = 4'd8, BId = 4'd9, BDy = 4'd10;
  // BId: param + t, token t's id; BDy: param + k + t * cols, token t's dY row (embed_bwd).
  // Constants (source 32 + id).
  localparam logic [5:0]  KZero = 6'd32, KOne = 6'd33, KHalf = 6'd34, KTwo = 6'd35, KK0 = 6'd36, KHK0 = 6'd37,
                          KK1 = 6'd38, K3K1 = 6'd39, KLn2 = 6'd40, KP11 = 6'd41, KP9 = 6'd42, KP7 = 6'd43,
                          KP5 = 6'd44, KP3 = 6'd45, KDf = 6'd46, KEpiS = 6'd47, KS0 = 6'd48, KS1 = 6'd49,
                          KS2 = 6'd50, KS3 = 6'd51, KS4 = 6'd52, KS5 = 6'd53, KS6 = 6'd54;
  localparam logic [5:0]  XR = 6'd15;  // the label register (ttile_vlane LabelReg)

  localparam logic [5:0]  R0 = 6'd0, R1 = 6'd1, R2 = 6'd2, R3 = 6'd3, R4 = 6'd4, R5 = 6'd5, R6 = 6'd6, R7 = 6'd7,
                          R8 = 6'd8, R9 = 6'd9, R10 = 6'd10, R11 = 6'd11, R12 = 6'd12, R13 = 6'd13, R14 = 6'd14;
  function automatic logic [UopW-1:0] u_num(input logic [3:0] op, input logic [5:0] dst, input logic [5:0] sa,
                                            input logic [5:0] sb, input logic [5:0] sc, input logic na,
                                            input logic nb, input logic [1:0] pred);
    u_num = {VNum, op, dst, sa, sb, sc, na, nb, pred, 4'd0, 1'b0};
  endfunction
  function automatic logic [UopW-1:0] u_sp(input logic [3:0] op, input logic [5:0] dst, input logic [5:0] sa,
                                           input logic [5:0] sb, input logic [1:0] pred);
    u_sp = {VSp, op, dst, sa, sb, KZero, 1'b0, 1'b0, pred, 4'd0, 1'b0};
  endfunction
  function automatic logic [UopW-1:0] u_ld(input logic [5:0] dst, input logic [3:0] base, input logic imm);
    u_ld = {VLd, 4'd0, dst, KZero, KZero, KZero, 1'b0, 1'b0, PAll, base, imm};
  endfunction
  function automatic logic [UopW-1:0] u_st(input logic [5:0] src, input logic [3:0] base, input logic imm);
    u_st = {VSt, 4'd0, 6'd0, src, KZero, KZero, 1'b0, 1'b0, PAll, base, imm};
  endfunction

  // Sections of a program: {exists, loops over the columns, micro-ops, first micro-op}.
  localparam int unsigned SecW = 1 + 1 + 6 + 6;
  function automatic logic [SecW-1:0] vsec(input logic [4:0] code, input logic [3:0] ef, input logic [2:0] sn);
    logic [5:0] ne;
    ne  = 6'd3 + (ef[0] ? 6'd2 : 6'd0) + (ef[1] ? 6'd1 : 6'd0) + (ef[2] ? 6'd2 : 6'd0) + (ef[3] ? 6'd2 : 6'd0);
    vsec = '0;
    unique case (code)
      CFwd:                 if (sn == 3'd0) vsec = {1'b1, 1'b1, ne, 6'd0};
      CGeluFwd, CScale:     if (sn == 3'd0) vsec = {1'b1, 1'b1, 6'd3, 6'd0};
      CAdd:                 if (sn == 3'd0) vsec = {1'b1, 1'b1, 6'd4, 6'd0};
      CGeluBwd:             if (sn == 3'd0) vsec = {1'b1, 1'b1, 6'd17, 6'd0};
      CSmaxFwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd1, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd2, 6'd1};
          3'd2: vsec = {1'b1, 1'b1, 6'd5, 6'd3};
          3'd3: vsec = {1'b1, 1'b0, 6'd1, 6'd8};
          3'd4: vsec = {1'b1, 1'b1, 6'd4, 6'd9};
          default: vsec = '0;
        endcase
      end
      CSmaxBwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd1, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd3, 6'd1};
          3'd2: vsec = {1'b1, 1'b1, 6'd6, 6'd4};
          default: vsec = '0;
        endcase
      end
      CLnFwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd2, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd2, 6'd2};
          3'd2: vsec = {1'b1, 1'b0, 6'd3, 6'd4};
          3'd3: vsec = {1'b1, 1'b1, 6'd3, 6'd7};
          3'd4: vsec = {1'b1, 1'b0, 6'd7, 6'd10};
          3'd5: vsec = {1'b1, 1'b1, 6'd7, 6'd17};
          default: vsec = '0;
        endcase
      end
      CXentFwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd2, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd3, 6'd2};
          3'd2: vsec = {1'b1, 1'b1, 6'd4, 6'd5};
          3'd3: vsec = {1'b1, 1'b0, 6'd19, 6'd9};
          default: vsec = '0;
        endcase
      end
      CXentBwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd2, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd2, 6'd2};
          3'd2: vsec = {1'b1, 1'b1, 6'd5, 6'd4};
          3'd3: vsec = {1'b1, 1'b0, 6'd1, 6'd9};
          3'd4: vsec = {1'b1, 1'b1, 6'd5, 6'd10};
          default: vsec = '0;
        endcase
      end
      CAdamw: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd5, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd25, 6'd5};
          default: vsec = '0;
        endcase
      end
      CEmbBwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd1, 6'd0};
          3'd1: vsec = {1'b1, 1'b0, 6'd1, 6'd1};
          3'd2: vsec = {1'b1, 1'b1, 6'd5, 6'd2};
          default: vsec = '0;
        endcase
      end
      CLnBwd: begin
        unique case (sn)
          3'd0: vsec = {1'b1, 1'b0, 6'd4, 6'd0};
          3'd1: vsec = {1'b1, 1'b1, 6'd9, 6'd4};
          3'd2: vsec = {1'b1, 1'b0, 6'd2, 6'd13};
          3'd3: vsec = {1'b1, 1'b1, 6'd8, 6'd15};
          3'd4: vsec = {1'b1, 1'b1, 6'd10, 6'd23};
          default: vsec = '0;
        endcase
      end
      default: vsec = '0;
    endcase
  endfunction

  // A serial section runs its micro-ops once per block of 9 columns and run row r = 0 .. ntok-1
  // in turn (rows inner); each micro-op is held 9 cycles (the numerics latency, whatever tpl is)
  // and issued in slot e for column 9 * block + e (while below cols) with register entry e: its
  // region loads read row r's word (entry r div L) and hand the word of lane r mod L to every
  // lane; its param loads and stores are each lane's own words, and its stores write every lane.
  // layernorm_bwd's cross-row chains, one per column.
  function automatic logic vser(input logic [4:0] code, input logic [2:0] sn);
    vser = code == CLnBwd && sn == 3'd3;
  endfunction

  // A token section runs its micro-ops once per token t = 0 .. k-1 in turn (inside the column
  // loop when it has one): embed_bwd's id check (section 0) and its accumulation (section 2).
  function automatic logic vtsec(input logic [4:0] code, input logic [2:0] sn);
    vtsec = code == CEmbBwd && (sn == 3'd0 || sn == 3'd2);
  endfunction

  // The fwd epilogue's micro-ops, those of the flags set ({cast, residual, gelu, bias}),
  // in this order: the pc-th of them.
  function automatic logic [UopW-1:0] epi_uop(input logic [3:0] ef, input logic [5:0] pc);
    logic [UopW-1:0] u [10];
    logic [9:0]      en;
    logic [5:0]      n;
    u[0] = u_ld(R0, BY, 1'b0);
    u[1] = u_ld(R1, BPar, 1'b0);
    u[2] = u_num(OAdd, R0, R0, R1, KZero, 1'b0, 1'b0, PAll);
    u[3] = u_num(OGelu, R0, R0, KZero, KZero, 1'b0, 1'b0, PAll);
    u[4] = u_ld(R2, BA, 1'b0);
    u[5] = u_num(OAdd, R0, R0, R2, KZero, 1'b0, 1'b0, PAll);
    u[6] = u_num(OMul, R0, R0, KEpiS, KZero, 1'b0, 1'b0, PAll);
    u[7] = u_num(OToBf, R3, R0, KZero, KZero, 1'b0, 1'b0, PAll);
    u[8] = u_num(OFromBf, R0, R3, KZero, KZero, 1'b0, 1'b0, PAll);
    u[9] = u_st(R0, BY, 1'b0);
    en = {1'b1, ef[3], ef[3], 1'b1, ef[2], ef[2], ef[1], ef[0], ef[0], 1'b1};
    epi_uop = u[0];
    n = '0;
    for (int i = 0; i < 10; i++) begin
      if (en[i]) begin
        if (n == pc) epi_uop = u[i];
        n = n + 6'd1;
      end
    end
  endfunction

  // Micro-op pc of a kernel's program (docs/tile.md's table, in its order).
  function automatic logic [UopW-1:0] vuop(input logic [4:0] code, input logic [3:0] ef, input logic [5:0] pc);
    vuop = u_sp(XMov, R14, KZero, KZero, PAll);
    unique case (code)
      CFwd: vuop = epi_uop(ef, pc);
      CGeluFwd: begin
        unique case (pc)
          6'd0: vuop = u_ld(R0, BA, 1'b0);
          6'd1: vuop = u_num(OGelu, R1, R0, KZero, KZero, 1'b0, 1'b0, PAll);
          default: vuop = u_st(R1, BB, 1'b0);
        endcase
      end
      CScale: begin
        unique case (pc)
          6'd0: vuop = u_ld(R0, BA, 1'b0);
          6'd1: vuop = u_num(OMul, R1, R0, KS0, KZero, 1'b0, 1'b0, PAll);
          default: vuop = u_st(R1, BB, 1'b0);
        endcase
      end
      CAdd: begin
        unique case (pc)
          6'd0: vuop = u_ld(R0, BA, 1'b0);
          6'd1: vuop = u_ld(R1, BB, 1'b0);
          6'd2: vuop = u_num(OAdd, R2, R0, R1, KZero, 1'b0, 1'b0, PAll);
          default: vuop = u_st(R2, BC, 1'b0);
        endcase
      end
      CGeluBwd: begin
        unique case (pc)
          6'd0:  vuop = u_ld(R0, BA, 1'b0);                                        // x
          6'd1:  vuop = u_ld(R1, BB, 1'b0);                                        // dy
          6'd2:  vuop = u_num(OMul, R2, R0, R0, KZero, 1'b0, 1'b0, PAll);      // x2
          6'd3:  vuop = u_num(OFma, R3, KK1, R2, KOne, 1'b0, 1'b0, PAll);        // a
          6'd4:  vuop = u_num(OMul, R4, KK0, R0, KZero, 1'b0, 1'b0, PAll);       // k0 x
          6'd5:  vuop = u_num(OMul, R5, R4, R3, KZero, 1'b0, 1'b0, PAll);      // u
          6'd6:  vuop = u_num(OTanh, R6, R5, KZero, KZero, 1'b0, 1'b0, PAll);    // t
          6'd7:  vuop = u_num(OFma, R7, K3K1, R2, KOne, 1'b0, 1'b0, PAll);       // b
          6'd8:  vuop = u_num(OFma, R8, R6, R6, KOne, 1'b1, 1'b0, PAll);       // s = 1 - t^2
          6'd9:  vuop = u_num(OMul, R9, KHK0, R0, KZero, 1'b0, 1'b0, PAll);      // k0/2 x
          6'd10: vuop = u_num(OMul, R10, R8, R7, KZero, 1'b0, 1'b0, PAll);     // s b
          6'd11: vuop = u_num(OMul, R11, R9, R10, KZero, 1'b0, 1'b0, PAll);    // r
          6'd12: vuop = u_num(OFma, R12, KHalf, R6, KHalf, 1'b0, 1'b0, PAll);    // g
          6'd13: vuop = u_num(OAdd, R13, R12, R11, KZero, 1'b0, 1'b0, PAll);   // gp
          6'd14: vuop = u_sp(XGfix, R13, R0, R13, PAll);
          6'd15: vuop = u_num(OMul, R14, R1, R13, KZero, 1'b0, 1'b0, PAll);    // dx
          default: vuop = u_st(R14, BC, 1'b0);
        endcase
      end
      CSmaxFwd: begin
        unique case (pc)
          6'd0:  vuop = u_sp(XMov, R1, KZero, KZero, PAll);                        // s = +0
          6'd1:  vuop = u_ld(R0, BA, 1'b0);
          6'd2:  vuop = u_sp(XMaxf, R2, R2, R0, PVal);                         // mx
          6'd3:  vuop = u_ld(R0, BA, 1'b0);
          6'd4:  vuop = u_num(OAdd, R3, R0, R2, KZero, 1'b0, 1'b1, PAll);      // x - mx
          6'd5:  vuop = u_num(OExp, R4, R3, KZero, KZero, 1'b0, 1'b0, PAll);     // e
          6'd6:  vuop = u_num(OAdd, R1, R1, R4, KZero, 1'b0, 1'b0, PVal);      // s
          6'd7:  vuop = u_st(R4, BB, 1'b0);
          6'd8:  vuop = u_num(ORcp, R5, R1, KZero, KZero, 1'b0, 1'b0, PAll);     // rs
          6'd9:  vuop = u_ld(R4, BB, 1'b0);
          6'd10: vuop = u_num(OMul, R6, R4, R5, KZero, 1'b0, 1'b0, PAll);
          6'd11: vuop = u_sp(XMov, R6, KZero, KZero, PNval);
          default: vuop = u_st(R6, BB, 1'b0);
        endcase
      end
      CSmaxBwd: begin
        unique case (pc)
          6'd0:  vuop = u_sp(XMov, R2, KZero, KZero, PAll);                        // dot = +0
          6'd1:  vuop = u_ld(R0, BA, 1'b0);
          6'd2:  vuop = u_ld(R1, BB, 1'b0);
          6'd3:  vuop = u_num(OFma, R2, R0, R1, R2, 1'b0, 1'b0, PVal);       // dot
          6'd4:  vuop = u_ld(R0, BA, 1'b0);
          6'd5:  vuop = u_ld(R1, BB, 1'b0);
          6'd6:  vuop = u_num(OAdd, R3, R1, R2, KZero, 1'b0, 1'b1, PAll);      // dy - dot
          6'd7:  vuop = u_num(OMul, R4, R0, R3, KZero, 1'b0, 1'b0, PAll);
          6'd8:  vuop = u_sp(XMov, R4, KZero, KZero, PNval);
          default: vuop = u_st(R4, BC, 1'b0);
        endcase
      end
      CLnFwd: begin
        unique case (pc)
          6'd0:  vuop = u_sp(XMov, R1, KZero, KZero, PAll);                        // s = +0
          6'd1:  vuop = u_sp(XMov, R2, KZero, KZero, PAll);                        // v = +0
          6'd2:  vuop = u_ld(R0, BA, 1'b0);
          6'd3:  vuop = u_num(OAdd, R1, R1, R0, KZero, 1'b0, 1'b0, PAll);      // s
          6'd4:  vuop = u_num(OMul, R3, R1, KS1, KZero, 1'b0, 1'b0, PAll);       // q
          6'd5:  vuop = u_num(OFma, R4, R3, KDf, R1, 1'b1, 1'b0, PAll);        // s - q d
          6'd6:  vuop = u_num(OFma, R5, R4, KS1, R3, 1'b0, 1'b0, PAll);        // mean
          6'd7:  vuop = u_ld(R0, BA, 1'b0);
          6'd8:  vuop = u_num(OAdd, R6, R0, R5, KZero, 1'b0, 1'b1, PAll);      // x - mean
          6'd9:  vuop = u_num(OFma, R2, R6, R6, R2, 1'b0, 1'b0, PAll);       // v
          6'd10: vuop = u_num(OMul, R3, R2, KS1, KZero, 1'b0, 1'b0, PAll);
          6'd11: vuop = u_num(OFma, R4, R3, KDf, R2, 1'b1, 1'b0, PAll);
          6'd12: vuop = u_num(OFma, R7, R4, KS1, R3, 1'b0, 1'b0, PAll);        // var
          6'd13: vuop = u_num(OAdd, R8, R7, KS0, KZero, 1'b0, 1'b0, PAll);       // var + eps
          6'd14: vuop = u_num(ORsq, R9, R8, KZero, KZero, 1'b0, 1'b0, PAll);     // rstd
          6'd15: vuop = u_st(R5, BC, 1'b0);
          6'd16: vuop = u_st(R9, BC, 1'b1);
          6'd17: vuop = u_ld(R0, BA, 1'b0);
          6'd18: vuop = u_ld(R10, BPar, 1'b0);                                     // gamma
          6'd19: vuop = u_ld(R11, BPar2, 1'b0);                                    // beta
          6'd20: vuop = u_num(OAdd, R6, R0, R5, KZero, 1'b0, 1'b1, PAll);
          6'd21: vuop = u_num(OMul, R12, R6, R9, KZero, 1'b0, 1'b0, PAll);     // xh
          6'd22: vuop = u_num(OFma, R13, R12, R10, R11, 1'b0, 1'b0, PAll);   // y
          default: vuop = u_st(R13, BB, 1'b0);
        endcase
      end
      CXentFwd: begin
        unique case (pc)
          6'd0:  vuop = u_ld(XR, BC, 1'b0);                                          // label
          6'd1:  vuop = u_sp(XMov, R1, KZero, KZero, PAll);                        // s = +0
          6'd2:  vuop = u_ld(R0, BA, 1'b0);
          6'd3:  vuop = u_sp(XMaxf, R2, R2, R0, PAll);                         // mx
          6'd4:  vuop = u_sp(XMov, R3, R0, KZero, PLab);                         // x[label]
          6'd5:  vuop = u_ld(R0, BA, 1'b0);
          6'd6:  vuop = u_num(OAdd, R4, R0, R2, KZero, 1'b0, 1'b1, PAll);
          6'd7:  vuop = u_num(OExp, R5, R4, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd8:  vuop = u_num(OAdd, R1, R1, R5, KZero, 1'b0, 1'b0, PAll);      // s
          6'd9:  vuop = u_sp(XLogm, R6, R1, KZero, PAll);                        // m
          6'd10: vuop = u_sp(XLoge, R7, R1, KZero, PAll);                        // e
          6'd11: vuop = u_num(OAdd, R8, R6, KOne, KZero, 1'b0, 1'b1, PAll);      // f = m - 1
          6'd12: vuop = u_num(OAdd, R9, R6, KOne, KZero, 1'b0, 1'b0, PAll);      // m + 1
          6'd13: vuop = u_num(ORcp, R9, R9, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd14: vuop = u_num(OMul, R8, R8, R9, KZero, 1'b0, 1'b0, PAll);      // z
          6'd15: vuop = u_num(OMul, R9, R8, R8, KZero, 1'b0, 1'b0, PAll);      // w
          6'd16: vuop = u_num(OFma, R10, KP11, R9, KP9, 1'b0, 1'b0, PAll);
          6'd17: vuop = u_num(OFma, R10, R10, R9, KP7, 1'b0, 1'b0, PAll);
          6'd18: vuop = u_num(OFma, R10, R10, R9, KP5, 1'b0, 1'b0, PAll);
          6'd19: vuop = u_num(OFma, R10, R10, R9, KP3, 1'b0, 1'b0, PAll);
          6'd20: vuop = u_num(OFma, R10, R10, R9, KOne, 1'b0, 1'b0, PAll);
          6'd21: vuop = u_num(OMul, R11, R8, KTwo, KZero, 1'b0, 1'b0, PAll);
          6'd22: vuop = u_num(OMul, R11, R11, R10, KZero, 1'b0, 1'b0, PAll);
          6'd23: vuop = u_num(OFma, R11, R7, KLn2, R11, 1'b0, 1'b0, PAll);     // log s
          6'd24: vuop = u_sp(XLogfix, R11, R1, R11, PAll);
          6'd25: vuop = u_num(OAdd, R12, R2, R11, KZero, 1'b0, 1'b0, PAll);    // lse
          6'd26: vuop = u_num(OAdd, R12, R12, R3, KZero, 1'b0, 1'b1, PAll);    // loss
          default: vuop = u_st(R12, BD, 1'b0);
        endcase
      end
      CXentBwd: begin
        unique case (pc)
          6'd0:  vuop = u_ld(XR, BC, 1'b0);
          6'd1:  vuop = u_sp(XMov, R1, KZero, KZero, PAll);
          6'd2:  vuop = u_ld(R0, BA, 1'b0);
          6'd3:  vuop = u_sp(XMaxf, R2, R2, R0, PAll);
          6'd4:  vuop = u_ld(R0, BA, 1'b0);
          6'd5:  vuop = u_num(OAdd, R4, R0, R2, KZero, 1'b0, 1'b1, PAll);
          6'd6:  vuop = u_num(OExp, R5, R4, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd7:  vuop = u_num(OAdd, R1, R1, R5, KZero, 1'b0, 1'b0, PAll);
          6'd8:  vuop = u_st(R5, BB, 1'b0);
          6'd9:  vuop = u_num(ORcp, R6, R1, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd10: vuop = u_ld(R5, BB, 1'b0);
          6'd11: vuop = u_num(OMul, R7, R5, R6, KZero, 1'b0, 1'b0, PAll);
          6'd12: vuop = u_num(OAdd, R7, R7, KOne, KZero, 1'b0, 1'b1, PLab);
          6'd13: vuop = u_num(OMul, R7, R7, KS0, KZero, 1'b0, 1'b0, PAll);
          default: vuop = u_st(R7, BB, 1'b0);
        endcase
      end
      CEmbBwd: begin
        unique case (pc)
          6'd0:  vuop = u_ld(XR, BId, 1'b0);                                       // id, checked
          6'd1:  vuop = u_sp(XMov, R2, KZero, KZero, PAll);                        // the last id's check
          6'd2:  vuop = u_ld(R1, BA, 1'b0);                                        // the row's sum
          6'd3:  vuop = u_ld(R0, BDy, 1'b0);                                       // dy[t][c]
          6'd4:  vuop = u_ld(XR, BId, 1'b0);                                       // id[t]
          6'd5:  vuop = u_num(OAdd, R1, R1, R0, KZero, 1'b0, 1'b0, PLab);        // id[t] == row0 + r
          default: vuop = u_st(R1, BA, 1'b0);
        endcase
      end
      CLnBwd: begin
        unique case (pc)
          6'd0:  vuop = u_sp(XMov, R1, KZero, KZero, PAll);                        // s1 = +0
          6'd1:  vuop = u_sp(XMov, R2, KZero, KZero, PAll);                        // s2 = +0
          6'd2:  vuop = u_ld(R3, BD, 1'b0);                                        // mean
          6'd3:  vuop = u_ld(R4, BD, 1'b1);                                        // rstd
          6'd4:  vuop = u_ld(R0, BA, 1'b0);                                        // x
          6'd5:  vuop = u_ld(R5, BB, 1'b0);                                        // dy
          6'd6:  vuop = u_ld(R6, BPar, 1'b0);                                      // gamma
          6'd7:  vuop = u_num(OAdd, R7, R0, R3, KZero, 1'b0, 1'b1, PAll);        // x - mean
          6'd8:  vuop = u_num(OMul, R7, R7, R4, KZero, 1'b0, 1'b0, PAll);        // xh
          6'd9:  vuop = u_num(OMul, R8, R5, R6, KZero, 1'b0, 1'b0, PAll);        // g
          6'd10: vuop = u_num(OAdd, R1, R1, R8, KZero, 1'b0, 1'b0, PAll);        // s1
          6'd11: vuop = u_num(OFma, R2, R8, R7, R2, 1'b0, 1'b0, PAll);           // s2
          6'd12: vuop = u_st(R7, BC, 1'b0);                                        // xh to C
          6'd13: vuop = u_num(OMul, R1, R1, KS1, KZero, 1'b0, 1'b0, PAll);       // m1
          6'd14: vuop = u_num(OMul, R2, R2, KS1, KZero, 1'b0, 1'b0, PAll);       // m2
          6'd15: vuop = u_ld(R9, BPar2, 1'b0);                                     // dgamma
          6'd16: vuop = u_ld(R10, BPar3, 1'b0);                                    // dbeta
          6'd17: vuop = u_ld(R11, BB, 1'b0);                                       // dy of row r
          6'd18: vuop = u_ld(R12, BC, 1'b0);                                       // xh of row r
          6'd19: vuop = u_num(OFma, R9, R11, R12, R9, 1'b0, 1'b0, PAll);         // dgamma
          6'd20: vuop = u_num(OAdd, R10, R10, R11, KZero, 1'b0, 1'b0, PAll);     // dbeta
          6'd21: vuop = u_st(R9, BPar2, 1'b0);
          6'd22: vuop = u_st(R10, BPar3, 1'b0);
          6'd23: vuop = u_ld(R0, BA, 1'b0);
          6'd24: vuop = u_ld(R5, BB, 1'b0);
          6'd25: vuop = u_ld(R6, BPar, 1'b0);
          6'd26: vuop = u_num(OAdd, R7, R0, R3, KZero, 1'b0, 1'b1, PAll);
          6'd27: vuop = u_num(OMul, R7, R7, R4, KZero, 1'b0, 1'b0, PAll);        // xh
          6'd28: vuop = u_num(OMul, R8, R5, R6, KZero, 1'b0, 1'b0, PAll);        // g
          6'd29: vuop = u_num(OFma, R13, R7, R2, R8, 1'b1, 1'b0, PAll);          // g - xh m2
          6'd30: vuop = u_num(OAdd, R13, R13, R1, KZero, 1'b0, 1'b1, PAll);      // - m1
          6'd31: vuop = u_num(OMul, R13, R13, R4, KZero, 1'b0, 1'b0, PAll);      // dx
          default: vuop = u_st(R13, BC, 1'b0);
        endcase
      end
      CAdamw: begin
        unique case (pc)
          6'd0:  vuop = u_num(OFma, R4, KS0, KS4, KOne, 1'b1, 1'b0, PAll);         // cwd
          6'd1:  vuop = u_num(OAdd, R5, KOne, KS1, KZero, 1'b0, 1'b1, PAll);       // 1 - beta1
          6'd2:  vuop = u_num(OAdd, R6, KOne, KS2, KZero, 1'b0, 1'b1, PAll);       // 1 - beta2
          6'd3:  vuop = u_num(ORcp, R7, KS5, KZero, KZero, 1'b0, 1'b0, PAll);      // ib1
          6'd4:  vuop = u_num(ORcp, R8, KS6, KZero, KZero, 1'b0, 1'b0, PAll);      // ib2
          6'd5:  vuop = u_ld(R0, BA, 1'b0);                                        // w
          6'd6:  vuop = u_ld(R1, BB, 1'b0);                                        // g
          6'd7:  vuop = u_ld(R2, BC, 1'b0);                                        // m
          6'd8:  vuop = u_ld(R3, BD, 1'b0);                                        // v
          6'd9:  vuop = u_num(OMul, R9, R0, R4, KZero, 1'b0, 1'b0, PAll);      // w1
          6'd10: vuop = u_num(OMul, R10, R5, R1, KZero, 1'b0, 1'b0, PAll);
          6'd11: vuop = u_num(OFma, R2, KS1, R2, R10, 1'b0, 1'b0, PAll);       // m'
          6'd12: vuop = u_num(OMul, R11, R1, R1, KZero, 1'b0, 1'b0, PAll);
          6'd13: vuop = u_num(OMul, R11, R6, R11, KZero, 1'b0, 1'b0, PAll);
          6'd14: vuop = u_num(OFma, R3, KS2, R3, R11, 1'b0, 1'b0, PAll);       // v'
          6'd15: vuop = u_num(OMul, R12, R2, R7, KZero, 1'b0, 1'b0, PAll);     // mh
          6'd16: vuop = u_num(OMul, R13, R3, R8, KZero, 1'b0, 1'b0, PAll);     // vh
          6'd17: vuop = u_num(ORsq, R14, R13, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd18: vuop = u_num(OMul, R14, R13, R14, KZero, 1'b0, 1'b0, PAll);   // sqrt(vh)
          6'd19: vuop = u_sp(XZfix, R14, R13, R14, PAll);
          6'd20: vuop = u_num(OAdd, R14, R14, KS3, KZero, 1'b0, 1'b0, PAll);     // + eps
          6'd21: vuop = u_num(ORcp, R14, R14, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd22: vuop = u_num(OMul, R12, R12, R14, KZero, 1'b0, 1'b0, PAll);   // up
          6'd23: vuop = u_num(OFma, R0, KS0, R12, R9, 1'b1, 1'b0, PAll);       // w'
          6'd24: vuop = u_st(R0, BA, 1'b0);
          6'd25: vuop = u_st(R2, BC, 1'b0);
          6'd26: vuop = u_st(R3, BD, 1'b0);
          6'd27: vuop = u_num(OToBf, R1, R0, KZero, KZero, 1'b0, 1'b0, PAll);
          6'd28: vuop = u_num(OFromBf, R1, R1, KZero, KZero, 1'b0, 1'b0, PAll);
          default: vuop = u_st(R1, BPreg, 1'b0);
        endcase
      end
      default: ;
    endcase
  endfunction

  // The fp32 value of an integer below 2^16 (exact): cols for layernorm's division.
  function automatic logic [31:0] u16_to_f32(input logic [15:0] v);
    u16_to_f32 = '0;
    for (int i = 0; i < 16; i++) begin
      if (v[i]) u16_to_f32 = {1'b0, 8'(127 + i), 23'({v, 23'd0} >> i)};
    end
  endfunction

  // Descriptor of the vector part.
  logic [4:0]   vcode_q;
  logic [3:0]   vef_q;   // {cast, residual, gelu, bias}: the epilogue's optional micro-ops
  logic         causal_q, epi_q;
  logic [Aw:0]  vcols_q, off_a_q, off_b_q, off_c_q, off_d_q, param_q, vhold_q;
  logic [31:0]  vrow0_q, df_q, epis_q;
  logic [31:0]  s_q [7];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vcode_q  <= '0;
      vef_q    <= '0;
      causal_q <= 1'b0;
      epi_q    <= 1'b0;
      vcols_q  <= '0;
      vhold_q  <= '0;
    end else if (state_q == StIdle && start_i) begin
      vcode_q  <= kernel_i;
      vef_q    <= {cast_bf16_i, epi_residual_i, epi_gelu_i, epi_bias_i};
      causal_q <= causal_i && (kernel_i == CSmaxFwd || kernel_i == CSmaxBwd);
      epi_q    <= kernel_i == CFwd && any_epi;
      vcols_q  <= (kernel_i == CFwd) ? (kn_i[Aw:0] - k_i[Aw:0]) : cols_i[Aw:0];
      vhold_q  <= (tpl_i[Aw:0] > (Aw+1)'(9)) ? tpl_i[Aw:0] : (Aw+1)'(9);
    end
  end

  always_ff @(posedge clk_i) begin
    if (state_q == StIdle && start_i) begin
      off_a_q <= off_a_i[Aw:0];
      off_b_q <= off_b_i[Aw:0];
      off_c_q <= off_c_i[Aw:0];
      off_d_q <= off_d_i[Aw:0];
      param_q <= param_i[Aw:0];
      vrow0_q  <= row0_i;
      df_q    <= u16_to_f32(cols_i[15:0]);
      epis_q  <= epi_scale_i ? s_i[31:0] : 32'h3f80_0000;
      for (int i = 0; i < 7; i++) begin
        s_q[i] <= s_i[32*i +: 32];
      end
    end
  end

  // Sequencer: section vs_q, its micro-op vn_q, column vc_q, issue slot ve_q of hold vhold_q
  // (entry ve_q while ve_q < tpl).
  logic [2:0]      vs_q, vs_d;
  logic [5:0]      vn_q, vn_d;
  logic [Aw:0]     vc_q, vc_d, ve_q, ve_d;
  logic [15:0]     vr_q, vr_d;  // serial section: the run row
  logic            sec_ser;
  logic [Aw:0]     vt_q, vt_d;    // token section: the token
  logic [Aw:0]     vtc_q, vtc_d;  // token section: t * cols
  logic            sec_tok;
  logic            v_last, v_issue, v_abort;
  logic [SecW-1:0] sec_cur, sec_next;
  logic            sec_loops;
  logic [5:0]      sec_len, sec_start;
  logic [UopW-1:0] uop;

  assign sec_cur = vsec(vcode_q, vef_q, vs_q);
  assign sec_next = vsec(vcode_q, vef_q, vs_q + 3'd1);
  assign {sec_loops, sec_len, sec_start} = sec_cur[SecW-2:0];
  assign uop = vuop(vcode_q, vef_q, sec_start + vn_q);
  assign sec_ser = vser(vcode_q, vs_q);
  assign sec_tok = vtsec(vcode_q, vs_q);
  assign v_issue = state_q == StVec && !v_abort && (sec_ser ? vc_q + ve_q < vcols_q : ve_q < tpl_q);

  always_comb begin
    vs_d   = vs_q;
    vn_d   = vn_q;
    vc_d   = vc_q;
    ve_d   = ve_q;
    vr_d   = vr_q;
    vt_d   = vt_q;
    vtc_d  = vtc_q;
    v_last = 1'b0;
    // xent: the first cycle of section 1, when every label of section 0 is in the register files
    // (the last one 9 cycles after its issue): a label outside its row stops the run with code 4,
    // before anything is written.
    v_abort = state_q == StVec && vn_q == '0 && vc_q == '0 && ve_q == '0 && vt_q == '0 && |v_lerr &&
              (((vcode_q == CXentFwd || vcode_q == CXentBwd) && vs_q == 3'd1) || (vcode_q == CEmbBwd && vs_q == 3'd2));
    if (state_q != StVec) begin
      vs_d = '0;
      vn_d = '0;
      vc_d = '0;
      ve_d = '0;
      vr_d = '0;
      vt_d = '0;
      vtc_d = '0;
    end else if (ve_q == (sec_ser ? (Aw+1)'(8) : vhold_q - (Aw+1)'(1))) begin
      ve_d = '0;
      if (vn_q + 6'd1 < sec_len) begin
        vn_d = vn_q + 6'd1;
      end else if (sec_ser && vr_q + 16'd1 < ntok_q) begin
        vn_d = '0;
        vr_d = vr_q + 16'd1;
      end else if (sec_tok && vt_q + (Aw+1)'(1) < k_q) begin
        vn_d  = '0;
        vt_d  = vt_q + (Aw+1)'(1);
        vtc_d = vtc_q + vcols_q;
      end else if (sec_loops && vc_q + (sec_ser ? (Aw+1)'(9) : (Aw+1)'(1)) < vcols_q) begin
        vn_d = '0;
        vr_d = '0;
        vt_d = '0;
        vtc_d = '0;
        vc_d = vc_q + (sec_ser ? (Aw+1)'(9) : (Aw+1)'(1));
      end else if (sec_next[SecW-1] && vs_q != 3'd7) begin
        vn_d = '0;
        vc_d = '0;
        vr_d = '0;
        vt_d = '0;
        vtc_d = '0;
        vs_d = vs_q + 3'd1;
      end else begin
        v_last = 1'b1;
      end
    end else begin
      ve_d = ve_q + (Aw+1)'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vs_q <= '0;
      vn_q <= '0;
      vc_q <= '0;
      ve_q <= '0;
      vr_q <= '0;
      vt_q <= '0;
      vtc_q <= '0;
    end else begin
      vs_q <= vs_d;
      vn_q <= vn_d;
      vc_q <= vc_d;
      ve_q <= ve_d;
      vr_q <= vr_d;
      vt_q <= vt_d;
      vtc_q <= vtc_d;
    end
  end

  // The issued micro-op's fields, its bank address, the rows present and the shared operands.
  logic [1:0]        v_kind, v_pred;
  logic [3:0]        v_op;
  logic [5:0]        v_dst;
  logic [5:0]        v_sa, v_sb, v_sc;
  logic              v_na, v_nb, v_imm, v_bc;
  logic [3:0]        v_base;
  logic [Aw+1:0]     v_sum;
  logic [Aw-1:0]     v_addr;
  logic [2*Aw+1:0]   v_tok;
  logic [Aw:0]       v_ent;
  logic [Lanes-1:0]  v_on;
  logic [31:0]       v_ka, v_kb, v_kc, v_col;
  logic signed [33:0] v_lim;
  logic [Lanes*32-1:0] v_st, v_ld;
  logic [Sw-1:0]     v_sb_q;
  logic [Lanes-1:0]  v_lerr;

  function automatic logic [31:0] kval(input logic [5:0] src, input logic [31:0] df, input logic [31:0] epis,
                                       input logic [7*32-1:0] sv);
    unique case (src)
      KOne:  kval = 32'h3f80_0000;
      KHalf: kval = 32'h3f00_0000;
      KTwo:  kval = 32'h4000_0000;
      KK0:   kval = 32'h3f4c_422a;  // sqrt(2/pi)
      KHK0:  kval = 32'h3ecc_422a;  // sqrt(2/pi) / 2
      KK1:   kval = 32'h3d37_2713;  // 0.044715
      K3K1:  kval = 32'h3e09_5d4f;  // 3 * 0.044715
      KLn2:  kval = 32'h3f31_7218;  // ln 2
      KP11:  kval = 32'h3dba_2e8c;  // 1/11
      KP9:   kval = 32'h3de3_8e39;  // 1/9
      KP7:   kval = 32'h3e12_4925;  // 1/7
      KP5:   kval = 32'h3e4c_cccd;  // 1/5
      KP3:   kval = 32'h3eaa_aaab;  // 1/3
      KDf:   kval = df;
      KEpiS: kval = epis;
      KS0:   kval = sv[0 +: 32];
      KS1:   kval = sv[32 +: 32];
      KS2:   kval = sv[64 +: 32];
      KS3:   kval = sv[96 +: 32];
      KS4:   kval = sv[128 +: 32];
      KS5:   kval = sv[160 +: 32];
      KS6:   kval = sv[192 +: 32];
      default: kval = '0;
    endcase
  endfunction

  logic [7*32-1:0] s_flat;
  always_comb begin
    for (int i = 0; i < 7; i++) begin
      s_flat[32*i +: 32] = s_q[i];
    end
    {v_kind, v_op, v_dst, v_sa, v_sb, v_sc, v_na, v_nb, v_pred, v_base, v_imm} = uop;
    // A serial section addresses run row vr_q's region (entry vr_q div L).
    v_ent = sec_ser ? (Aw+1)'(vr_q >> $clog2(Lanes)) : ve_q;
    v_tok = v_ent * kn_q;
    unique case (v_base)
      BA:      v_sum = (Aw+2)'(v_tok) + (Aw+2)'(off_a_q);
      BB:      v_sum = (Aw+2)'(v_tok) + (Aw+2)'(off_b_q);
      BC:      v_sum = (Aw+2)'(v_tok) + (Aw+2)'(off_c_q);
      BD:      v_sum = (Aw+2)'(v_tok) + (Aw+2)'(off_d_q);
      BY:      v_sum = (Aw+2)'(v_tok) + (Aw+2)'(k_q);
      BPar:    v_sum = (Aw+2)'(param_q);
      BPar2:   v_sum = (Aw+2)'(param_q) + (Aw+2)'(vcols_q);
      BPar3:   v_sum = (Aw+2)'(param_q) + (Aw+2)'({vcols_q, 1'b0});
      BId:     v_sum = (Aw+2)'(param_q) + (Aw+2)'(vt_q);
      BDy:     v_sum = (Aw+2)'(param_q) + (Aw+2)'(k_q) + (Aw+2)'(vtc_q);
      default: v_sum = (Aw+2)'(v_tok) + (Aw+2)'(param_q);
    endcase
    // A serial section's region load hands lane (vr_q mod L)'s word to every lane.
    v_bc = sec_ser && v_base != BPar && v_base != BPar2 && v_base != BPar3 && v_base != BId && v_base != BDy;
    v_sum  = v_sum + ((sec_loops && v_base != BId) ? (Aw+2)'(vc_q) : '0) + (sec_ser ? (Aw+2)'(ve_q) : '0) +
             (Aw+2)'(v_imm);
    v_addr = v_sum[Aw-1:0];
    for (int l = 0; l < Lanes; l++) begin
      v_on[l] = sec_ser || 32'(ve_q) * 32'(Lanes) + 32'(l) < 32'(ntok_q);
    end
    v_ka  = kval(v_sa, df_q, epis_q, s_flat);
    v_kb  = kval(v_sb, df_q, epis_q, s_flat);
    v_kc  = kval(v_sc, df_q, epis_q, s_flat);
    v_col = (vcode_q == CEmbBwd) ? vrow0_q : 32'(vc_q);  // embed_bwd: ids compare with row0 + row
    v_lim = $signed({2'b00, vrow0_q}) + $signed({{2{s_q[1][31]}}, s_q[1]}) - $signed({2'b00, v_col});
  end

  // The lanes' clock runs while the vector unit has work: its program and 16 cycles after it (the
  // write-backs in flight drain, every pipeline's valid bits are zero again). The enable is taken
  // while the clock is low, as a clock-gating cell does, so the gated clock has no glitch; an idle
  // vector unit then costs neither power nor simulation time.
  logic       v_en, v_en_n, clk_v;
  logic [4:0] v_tail_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_tail_q <= '0;
    end else if (state_q == StVec) begin
      v_tail_q <= 5'd16;
    end else if (v_tail_q != '0) begin
      v_tail_q <= v_tail_q - 5'd1;
    end
  end

  assign v_en = state_q == StVec || v_tail_q != '0;

  always_ff @(negedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_en_n <= 1'b0;
    end else begin
      v_en_n <= v_en;
    end
  end

  assign clk_v = clk_i & v_en_n;

  // Issue stage: the sequencer's micro-op is issued to the lanes and the banks one cycle later,
  // from registers on the lanes' gated clock (so that the lanes' logic changes only while the
  // vector unit runs). Every micro-op moves by the same cycle: the schedule is unchanged, and the
  // last one issues in the cycle after the program (StVDrain).
  logic              x_valid, x_na, x_nb, x_first, x_clr;
  logic [1:0]        x_kind, x_pred;
  logic [3:0]        x_op, x_dst;
  logic [5:0]        x_sa, x_sb, x_sc;
  logic [AccW-1:0]   x_idx;
  logic [31:0]       x_ka, x_kb, x_kc, x_col;
  logic signed [33:0] x_lim;
  logic [Lanes-1:0]  x_on;
  logic [Aw-1:0]     x_addr;
  logic              x_bc;
  logic [$clog2(Lanes)-1:0] x_bl;

  always_ff @(posedge clk_v or negedge rst_ni) begin
    if (!rst_ni) begin
      x_valid <= 1'b0;
      x_clr   <= 1'b0;
    end else begin
      x_valid <= v_issue;
      x_clr   <= state_q == StVec && vs_q == '0 && vn_q == '0 && vc_q == '0 && ve_q == '0 && vt_q == '0;
    end
  end

  always_ff @(posedge clk_v) begin
    x_kind  <= v_kind;
    x_op    <= v_op;
    x_dst   <= v_dst[3:0];
    x_sa    <= v_sa;
    x_sb    <= v_sb;
    x_sc    <= v_sc;
    x_na    <= v_na;
    x_nb    <= v_nb;
    x_pred  <= v_pred;
    x_idx   <= ve_q[AccW-1:0];
    x_ka    <= v_ka;
    x_kb    <= v_kb;
    x_kc    <= v_kc;
    x_col   <= v_col;
    x_first <= vc_q == '0;
    x_lim   <= v_lim;
    x_on    <= v_on;
    x_addr  <= v_addr;
    x_bc    <= v_bc;
    x_bl    <= vr_q[$clog2(Lanes)-1:0];
  end

  // A load's word arrives from the sub-bank it addressed in the next cycle.
  logic                     v_bc_q;
  logic [$clog2(Lanes)-1:0] v_bl_q;
  logic [Lanes*32-1:0]      v_ldw;  // the addressed sub-bank's word, every lane
  always_ff @(posedge clk_i) begin
    v_sb_q <= x_addr[Sw-1:0];
    v_bc_q <= x_bc;
    v_bl_q <= x_bl;
  end

  always_comb begin
    v_ldw = '0;
    for (int s = 0; s < S; s++) begin
      if (v_sb_q == Sw'(s)) begin
        v_ldw = rdata[Lanes*32*s +: Lanes*32];
      end
    end
  end


  for (genvar l = 0; l < Lanes; l++) begin : g_vlane
    assign v_ld[32*l +: 32] = v_bc_q ? v_ldw[32*v_bl_q +: 32] : v_ldw[32*l +: 32];

    ttile_vlane #(.AccDepth(AccDepth), .AccW(AccW), .Lanes(Lanes), .Lane(l)) u_vlane (
      .clk_i    (clk_v),
      .rst_ni,
      .valid_i  (x_valid),
      .kind_i   (x_kind),
      .op_i     (x_op),
      .dst_i    (x_dst),
      .idx_i    (x_idx),
      .src_a_i  (x_sa),
      .src_b_i  (x_sb),
      .src_c_i  (x_sc),
      .neg_a_i  (x_na),
      .neg_b_i  (x_nb),
      .k_a_i    (x_ka),
      .k_b_i    (x_kb),
      .k_c_i    (x_kc),
      .pred_i   (x_pred),
      .first_i  (x_first),
      .col_i    (x_col),
      .lab_row_i(vcode_q == CEmbBwd),
      .causal_i (causal_q),
      .lim_i    (x_lim),
      .on_i     (x_on[l]),
      .st_data_o(v_st[32*l +: 32]),
      .clr_i    (x_clr),
      .cols_i   ((vcode_q == CEmbBwd) ? s_q[0] : 32'(vcols_q)),  // embed_bwd: the vocabulary
      .label_err_o(v_lerr[l]),
      .ld_data_i(v_ld[32*l +: 32])
    );
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
  // attn: the sequencer takes a beat for the run's first group (StLoad), at the last cycle of a
  // group when another follows, and while waiting for one (StWait).
  assign si_ready_o  = strm_q && (state_q == StLoad || state_q == StWait ||
                                  (state_q == StRun && last_e && last_r && !last_g));
  assign si_take     = si_ready_o && si_valid_i;
  assign hold_start  = (kernel_i == CBwdData || kernel_i == CAttnPv) ?
                       ((tpl_i[Aw:0] > (Aw+1)'(MinHoldBd)) ? tpl_i[Aw:0] : (Aw+1)'(MinHoldBd)) :
                       ((tpl_i[Aw:0] > (Aw+1)'(MinHoldFwd)) ? tpl_i[Aw:0] : (Aw+1)'(MinHoldFwd));

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
          if (chk_code != 8'd0) begin
            state_d = StErr;
          end else if (kernel_i == CSend) begin
            state_d = StSend;
          end else if (!k_lin) begin
            state_d = StVec;
          end else begin
            state_d = (ngroups_i == '0) ? StDrain : StLoad;
            drain_d = (kernel_i == CBwdWeight) ? 8'(DrainB) : 8'(DrainA);
          end
        end
      end
      StErr: state_d = StIdle;
      StVec: begin
        if (v_abort) begin
          state_d = StErr;
        end else if (v_last) begin
          state_d = StVDrain;
        end
      end
      StVDrain: state_d = StIdle;
      StSend: begin
        if (sd_fin) begin
          state_d = StIdle;
        end
      end
      StLoad: begin
        // The weight buffer reads group 0 in this cycle (attn: the stream's first beat, waited for).
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
        state_d   = (!strm_q || si_valid_i) ? StRun : StLoad;
      end
      StWait: begin
        // attn: the next group's beat has not come; its group starts in the cycle after the take.
        if (si_valid_i) begin
          gidx_d  = gidx_q + (Gw+1)'(1);
          state_d = StRun;
        end
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
              end else if (strm_q && !si_valid_i) begin
                state_d = StWait;
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
            state_d = sc_bad_q ? StErr : epi_q ? StVec : StIdle;
          end
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      kern_q    <= KFwd;
      strm_q    <= 1'b0;
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
      done_o    <= (state_q == StDrain || state_q == StVDrain || state_q == StSend) && state_d == StIdle;
      if (state_q == StIdle && start_i) begin
        kern_q    <= (kernel_i <= CBwdWeight) ? kernel_i[1:0] : (kernel_i == CAttnPv) ? KBwdData : KFwd;
        strm_q    <= k_attn;
        k_q       <= k_i[Aw:0];
        kn_q      <= kn_i[Aw:0];
        ntok_q    <= ntok_i[15:0];
        tpl_q     <= tpl_i[Aw:0];
        hold_q    <= hold_start;
        ngroups_q <= ngroups_i[Gw:0];
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
  logic [P-1:0]        r_act, r_we, r_empty;
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
    r_empty <= ~cur_ne;
    r_w     <= cur_w;
    r_idx   <= idx;
    r_yaddr <= acc_addr[Aw*P +: Aw];
    r_addr  <= acc_addr[P*Aw-1:0];
    for (int q = 0; q <= P; q++) begin
      r_sb[Sw*q +: Sw] <= acc_addr[Aw*q +: Sw];
    end
  end

  // Accumulator write enables: fwd writes every slot (a slot not issued rewrites its value, so a
  // row's first group zeroes it); bwd_weight the slots issued and the empty ones (whose chains
  // are then +0, so the cross-lane tree adds +0 onto their dW); bwd_data none.
  assign r_we = (r_kern == KFwd) ? '1 : (r_kern == KBwdWeight) ? (r_act | r_empty) : '0;

  // --- Stage W controls (R + 5) and Y stage (W + row tree) -----------------------------------------
  localparam int unsigned WcW = 1 + 1 + 1 + Lanes + AccW + Aw + P + P + P * Aw;
  logic [WcW-1:0]  wc_d, wc_q;
  logic            w_valid, w_bd, w_last;
  logic [Lanes-1:0] w_on, y_on;
  logic [AccW-1:0] w_idx;
  logic [Aw-1:0]   w_yaddr;
  logic [P-1:0]    w_act, w_we;
  logic [P*Aw-1:0] w_addr;

  assign wc_d = {r_valid, r_kern == KBwdData, r_last && r_kern == KFwd, r_on, r_idx, r_yaddr, r_act, r_we, r_addr};

  ttile_delay #(.Width(WcW), .Depth(FmaLat)) u_wpipe (
    .clk_i, .rst_ni, .d_i(wc_d), .q_o(wc_q)
  );

  assign {w_valid, w_bd, w_last, w_on, w_idx, w_yaddr, w_act, w_we, w_addr} = wc_q;

  logic          y_valid;
  logic [Aw-1:0] y_addr;

  if (RowLat == 0) begin : g_ytree0
    assign y_valid = w_valid && w_last;
    assign y_addr  = w_yaddr;
    assign y_on    = w_on;
  end else begin : g_ytree
    logic [Aw+Lanes:0] yc_q;
    ttile_delay #(.Width(Aw + Lanes + 1), .Depth(RowLat)) u_ypipe (
      .clk_i, .rst_ni, .d_i({w_valid && w_last, w_on, w_yaddr}), .q_o(yc_q)
    );
    assign {y_valid, y_on, y_addr} = yc_q;
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
        if (tw_valid && tw_p == Rw'(p) && !sc_bad_q) begin
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

  // --- Stream-out: the send kernel (docs/tile.md, "Stream ports") ---------------------------------
  // Beat b is group g of row r: the words at region offset off_a + g*P .. of row r (lane r mod L,
  // region r div L), read from P consecutive bank words (so P distinct sub-banks) in one cycle and
  // rounded to bf16 on their way into the output register. Two stages: the read, whose data waits
  // in the sub-banks' output registers while the output register is full, and the output register
  // (so_valid_o). A read is issued when the read stage is empty or hands its beat on in this cycle.
  localparam int unsigned Lw = $clog2(Lanes);
  logic            sd_more_q;   // beats left to read
  logic [15:0]     sd_r_q;      // row of the next read
  logic [Lw-1:0]   sd_lane_q;   // its lane
  logic [Aw:0]     sd_base_q;   // bank word of its column 0
  logic [Aw:0]     sd_c_q;      // column of its slot 0
  logic            rd_v_q;      // a read's words are at the sub-banks' outputs
  logic [17:0]     rd_hdr_q;
  logic [Aw:0]     rd_c_q;
  logic [Lw-1:0]   rd_lane_q;
  logic [Sw-1:0]   rd_sb_q;     // sub-bank of the read's slot 0
  logic            so_v_q;
  logic [17:0]     so_hdr_q;
  logic [P*32-1:0] so_slots_q, so_slots_d;
  logic            sd_take, sd_load, sd_issue, sd_last_c, sd_last_r, sd_fin;
  logic [Aw:0]     sd_addr;     // bank word of slot 0 of the read issued now
  logic [Sw-1:0]   sd_sb;
  logic [Aw:0]     sd_col;
  logic [31:0]     sd_word;

  // binary32 -> bf16, round to nearest even, every NaN the canonical 0x7fc0 (tnum_f32_to_bf16).
  function automatic logic [15:0] to_bf16(input logic [31:0] a);
    logic inc;
    inc     = a[15] && ((a[14:0] != '0) || a[16]);
    to_bf16 = (a[30:23] == 8'hff && a[22:0] != '0) ? 16'h7fc0 : a[31:16] + 16'(inc);
  endfunction

  assign sd_take   = state_q == StSend && so_v_q && so_ready_i;
  assign sd_load   = rd_v_q && (!so_v_q || sd_take);
  assign sd_issue  = state_q == StSend && sd_more_q && (!rd_v_q || sd_load);
  assign sd_last_c = sd_c_q + (Aw+1)'(P) >= vcols_q;
  assign sd_last_r = sd_r_q == ntok_q - 16'd1;
  assign sd_fin    = sd_take && !rd_v_q && !sd_more_q;
  assign sd_addr   = sd_base_q + sd_c_q;

  // The sub-banks' read words, sub-bank s lane l at s * Lanes + l (L and S are powers of two).
  logic [31:0] sd_rw [S*Lanes];
  for (genvar i = 0; i < S * Lanes; i++) begin : g_sd_rw
    assign sd_rw[i] = rdata[32*i +: 32];
  end

  always_comb begin
    so_slots_d = '0;
    sd_sb      = '0;
    sd_col     = '0;
    sd_word    = '0;
    for (int q = 0; q < P; q++) begin
      sd_sb   = rd_sb_q + Sw'(q);
      sd_col  = rd_c_q + (Aw+1)'(q);
      sd_word = sd_rw[{sd_sb, rd_lane_q}];
      so_slots_d[32*q +: 32] = (sd_col < vcols_q) ? {16'(sd_col), to_bf16(sd_word)} : {16'hffff, 16'h0000};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sd_more_q  <= 1'b0;
      sd_r_q     <= '0;
      sd_lane_q  <= '0;
      sd_base_q  <= '0;
      sd_c_q     <= '0;
      rd_v_q     <= 1'b0;
      rd_hdr_q   <= '0;
      rd_c_q     <= '0;
      rd_lane_q  <= '0;
      rd_sb_q    <= '0;
      so_v_q     <= 1'b0;
      so_hdr_q   <= '0;
      so_slots_q <= '0;
    end else if (state_q == StIdle) begin
      sd_more_q <= 1'b1;
      sd_r_q    <= '0;
      sd_lane_q <= '0;
      sd_base_q <= off_a_i[Aw:0];
      sd_c_q    <= '0;
      rd_v_q    <= 1'b0;
      so_v_q    <= 1'b0;
    end else begin
      if (sd_issue) begin
        rd_hdr_q  <= {sd_last_c, sd_c_q == '0, vrow0_q[15:0] + sd_r_q};
        rd_c_q    <= sd_c_q;
        rd_lane_q <= sd_lane_q;
        rd_sb_q   <= sd_addr[Sw-1:0];
        if (!sd_last_c) begin
          sd_c_q <= sd_c_q + (Aw+1)'(P);
        end else begin
          sd_c_q    <= '0;
          sd_r_q    <= sd_r_q + 16'd1;
          sd_lane_q <= sd_lane_q + Lw'(1);
          if (sd_lane_q == Lw'(Lanes - 1)) begin
            sd_base_q <= sd_base_q + kn_q;
          end
          if (sd_last_r) begin
            sd_more_q <= 1'b0;
          end
        end
      end
      rd_v_q <= sd_issue || (rd_v_q && !sd_load);
      if (sd_load) begin
        so_hdr_q   <= rd_hdr_q;
        so_slots_q <= so_slots_d;
      end
      so_v_q <= sd_load || (so_v_q && !sd_take);
    end
  end

  assign so_valid_o = so_v_q;
  assign so_hdr_o   = so_hdr_q;
  assign so_slots_o = so_slots_q;

  // Bank words of the send read's slots.
  logic [P*Aw-1:0] sd_qaddr;
  always_comb begin
    for (int q = 0; q < P; q++) begin
      sd_qaddr[Aw*q +: Aw] = sd_addr[Aw-1:0] + Aw'(q);
    end
  end

  // --- Sub-banks: reads from the issue or the backdoor; writes from bwd_data, fwd rows or the backdoor
  for (genvar s = 0; s < S; s++) begin : g_sub
    logic                re, we;
    logic [Aw-Sw-1:0]    raddr, waddr;
    logic [Lanes*32-1:0] wdata;
    logic [Lanes-1:0]    wmask;

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
        if (x_valid && x_kind == VLd && x_addr[Sw-1:0] == Sw'(s)) begin
          re    = 1'b1;
          raddr = x_addr[Aw-1:Sw];
        end
        for (int q = 0; q < P; q++) begin
          if (sd_issue && sd_c_q + (Aw+1)'(q) < vcols_q && sd_qaddr[Aw*q +: Sw] == Sw'(s)) begin
            re    = 1'b1;
            raddr = sd_qaddr[Aw*q+Sw +: Aw-Sw];
          end
        end
      end
    end

    always_comb begin
      we    = 1'b0;
      waddr = '0;
      wdata = '0;
      wmask = '1;
      if (!busy_o) begin
        we    = bk_we_i && bk_addr_i[Sw-1:0] == Sw'(s);
        waddr = bk_addr_i[Aw-1:Sw];
        wdata = bk_wdata_i;
      end else if (y_valid) begin
        we    = y_addr[Sw-1:0] == Sw'(s);
        waddr = y_addr[Aw-1:Sw];
        wdata = lane_y;
        wmask = y_on;
      end else if (w_valid && w_bd) begin
        wmask = w_on;
        for (int p = 0; p < P; p++) begin
          if (w_act[p] && w_addr[Aw*p +: Sw] == Sw'(s)) begin
            we    = 1'b1;
            waddr = w_addr[Aw*p+Sw +: Aw-Sw];
            for (int l = 0; l < Lanes; l++) begin
              wdata[32*l +: 32] = lane_res[32*(l*P+p) +: 32];
            end
          end
        end
      end else if (x_valid && x_kind == VSt) begin
        we    = x_addr[Sw-1:0] == Sw'(s);
        waddr = x_addr[Aw-1:Sw];
        wdata = v_st;
        wmask = x_on;
      end
      if (busy_o && sc_bad_q) begin
        we = 1'b0;  // a malformed stream: the run writes nothing more
      end
    end

    ttile_subbank #(.Lanes(Lanes), .Depth(SubWords), .Aw(Aw - Sw)) u_sub (
      .clk_i,
      .re_i   (re),
      .raddr_i(raddr),
      .rdata_o(rdata[Lanes*32*s +: Lanes*32]),
      .we_i   (we),
      .wmask_i(wmask),
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
  // the cross-lane tree or padding the last window) and the drain are memory. send: a cycle
  // whose beat the sink refuses is back-pressure, a cycle without a beat (filling) memory.
  logic [15:0]   lanes_on, tok_left;
  logic [Rw-1:0] nact;
  logic [63:0]   busy_q, macs_q, conflict_q, starved_q, memory_q, bp_q;

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
      bp_q       <= '0;
    end else if (clr_i) begin
      busy_q     <= '0;
      macs_q     <= '0;
      conflict_q <= '0;
      starved_q  <= '0;
      memory_q   <= '0;
      bp_q       <= '0;
    end else begin
      if (busy_o) begin
        busy_q <= busy_q + 64'd1;
      end
      if (issue_valid) begin
        macs_q <= macs_q + 64'(nact) * 64'(lanes_on);
      end
      if (state_q == StLoad || state_q == StWait) begin
        starved_q <= starved_q + 64'd1;
      end
      if (issue_valid && r_q != '0) begin
        conflict_q <= conflict_q + 64'd1;
      end
      if ((state_q == StRun && !issue_valid) || state_q == StDrain || (state_q == StVec && !v_issue) ||
          state_q == StVDrain || (state_q == StSend && !so_v_q)) begin
        memory_q <= memory_q + 64'd1;
      end
      if (state_q == StSend && so_v_q && !so_ready_i) begin
        bp_q <= bp_q + 64'd1;
      end
    end
  end

  assign cnt_busy_o     = busy_q;
  assign cnt_macs_o     = macs_q;
  assign cnt_conflict_o = conflict_q;
  assign cnt_starved_o  = starved_q;
  assign cnt_memory_o   = memory_q;
  assign cnt_backpressure_o = bp_q;

  // Bits of the descriptor and stream fields wider than a bank address are not used; the unit
  // valid of the dW adder is tracked by the control pipeline.
  logic unused;
  assign unused = ^{kn_q[Aw], voff[Aw], sd_addr[Aw], pf_off[Aw], row0_q, cur_row, cur_col, dw_valid, sec_cur[SecW-1], v_tok, v_sum,
                    v_dst[5:4]};

endmodule
