// Tile register block (docs/registers.md, block tile; docs/chip.md, "Tile"): the descriptor
// registers, start / status / done / clear and the counter registers of one compute tile.
//
// Start: a write of go while the tile is busy is refused with code 1. Otherwise the descriptor is
// copied into the run registers (the tile's descriptor ports; the bus registers may be rewritten at
// once) and start_o pulses in the next cycle. The tile checks the descriptor as it starts
// (ttile_top, docs/tile.md "One descriptor run") and reports a refusal (2, 3) or an abort (4: a
// label outside its row) on code_i, ending the run without done. When the run ends (the tile idle
// again), a non-zero code sets status.error with the first code since the last clear; a run that
// completes pulses done_i and counts in `done`. status.error also shows a code of the run in flight,
// so a read of status right after go sees a refusal (a status read waits out the start cycle).
// status.busy covers the start pulse, the tile's busy and its done cycle, so `done` has counted the
// run once busy reads low.
//
// Counters: the tile's 64-bit counters; reading a _lo word latches the _hi word. clear.counters
// pulses clr_o (the tile zeroes them) and zeroes the latches.
//
// Bus port (docs/bus.md): zero wait states except a read of status or done in a start cycle (one
// wait state); 32-bit registers only (partial strobes: bus_err).
module tchip_tilereg (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Tessera bus (responder), offset within the block
  input  logic              bus_valid_i,
  output logic              bus_ready_o,
  input  logic [11:0]       bus_addr_i,
  input  logic [3:0]        bus_wstrb_i,
  input  logic [31:0]       bus_wdata_i,
  output logic [31:0]       bus_rdata_o,
  output logic              bus_err_o,

  // The tile's descriptor ports and handshake (ttile_top)
  output logic              start_o,
  output logic [4:0]        kernel_o,
  output logic              epi_bias_o,
  output logic              epi_gelu_o,
  output logic              epi_residual_o,
  output logic              epi_scale_o,
  output logic              cast_bf16_o,
  output logic              causal_o,
  output logic [31:0]       k_o,
  output logic [31:0]       kn_o,
  output logic [31:0]       ntok_o,
  output logic [31:0]       tpl_o,
  output logic [31:0]       ngroups_o,
  output logic [31:0]       off_a_o,
  output logic [31:0]       off_b_o,
  output logic [31:0]       off_c_o,
  output logic [31:0]       off_d_o,
  output logic [31:0]       cols_o,
  output logic [31:0]       param_o,
  output logic [31:0]       row0_o,
  output logic [7*32-1:0]   s_o,      // s0 .. s6
  input  logic              busy_i,
  input  logic              done_i,
  input  logic [7:0]        code_i,
  output logic              busy_o,   // status.busy, for the chip's counters and the DMA

  // The tile's counters
  output logic              clr_o,
  input  logic [63:0]       cnt_busy_i,
  input  logic [63:0]       cnt_macs_i,
  input  logic [63:0]       cnt_conflict_i,
  input  logic [63:0]       cnt_starved_i,
  input  logic [63:0]       cnt_memory_i,
  input  logic [63:0]       cnt_backpressure_i
);

  // Descriptor registers: word index = offset / 4, kernel .. s7.
  localparam int unsigned NDesc = 32'(tessera_map_pkg::TileS7Offset) / 4 + 1;
  localparam int unsigned Dw    = $clog2(NDesc);
  localparam int           NCnt  = 6;

  function automatic int unsigned wi(input logic [11:0] off);
    wi = 32'(off) / 4;
  endfunction

  logic [31:0] desc_q [NDesc];
  logic [31:0] run_q  [NDesc];
  logic        desc_hit [NDesc];
  logic [31:0] latch_q [NCnt];
  logic [63:0] cnt [NCnt];
  logic [11:0] cnt_lo [NCnt];
  logic [11:0] cnt_hi [NCnt];
  logic        error_q;
  logic [7:0]  code_q;
  logic [31:0] done_q;
  logic        start_q, run_q_on;

  logic        is_read, is_write, full_write, hit, ro_hit, wo_hit, wait_st;
  logic [31:0] rdata;
  logic        do_start, do_clear_err, do_clear_cnt, latch_en [NCnt], run_end, err_now;
  logic [7:0]  code_now, code_rd;

  assign cnt[0]    = cnt_busy_i;
  assign cnt[1]    = cnt_macs_i;
  assign cnt[2]    = cnt_conflict_i;
  assign cnt[3]    = cnt_starved_i;
  assign cnt[4]    = cnt_memory_i;
  assign cnt[5]    = cnt_backpressure_i;
  assign cnt_lo[0] = tessera_map_pkg::TileCntBusyLoOffset;
  assign cnt_hi[0] = tessera_map_pkg::TileCntBusyHiOffset;
  assign cnt_lo[1] = tessera_map_pkg::TileCntMacsLoOffset;
  assign cnt_hi[1] = tessera_map_pkg::TileCntMacsHiOffset;
  assign cnt_lo[2] = tessera_map_pkg::TileCntConflictLoOffset;
  assign cnt_hi[2] = tessera_map_pkg::TileCntConflictHiOffset;
  assign cnt_lo[3] = tessera_map_pkg::TileCntStarvedLoOffset;
  assign cnt_hi[3] = tessera_map_pkg::TileCntStarvedHiOffset;
  assign cnt_lo[4] = tessera_map_pkg::TileCntMemoryLoOffset;
  assign cnt_hi[4] = tessera_map_pkg::TileCntMemoryHiOffset;
  assign cnt_lo[5] = tessera_map_pkg::TileCntBackpressureLoOffset;
  assign cnt_hi[5] = tessera_map_pkg::TileCntBackpressureHiOffset;

  // Which words are registers (the map may leave gaps in the descriptor range).
  always_comb begin
    for (int unsigned i = 0; i < NDesc; i++) desc_hit[i] = 1'b0;
    desc_hit[wi(tessera_map_pkg::TileKernelOffset)]  = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileKOffset)]       = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileKnOffset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileNtokOffset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileTplOffset)]     = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileNgroupsOffset)] = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileOffAOffset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileOffBOffset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileOffCOffset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileOffDOffset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileColsOffset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileParamOffset)]   = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileRow0Offset)]    = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS0Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS1Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS2Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS3Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS4Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS5Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS6Offset)]      = 1'b1;
    desc_hit[wi(tessera_map_pkg::TileS7Offset)]      = 1'b1;
  end

  // --- The run registers as the tile's descriptor ports --------------------------------------------
  logic [31:0] rk;
  assign rk             = run_q[wi(tessera_map_pkg::TileKernelOffset)];
  assign kernel_o       = rk[tessera_map_pkg::TileKernelCodeLsb +: tessera_map_pkg::TileKernelCodeWidth];
  assign epi_bias_o     = rk[tessera_map_pkg::TileKernelEpiBiasLsb];
  assign epi_gelu_o     = rk[tessera_map_pkg::TileKernelEpiGeluLsb];
  assign epi_residual_o = rk[tessera_map_pkg::TileKernelEpiResidualLsb];
  assign epi_scale_o    = rk[tessera_map_pkg::TileKernelEpiScaleLsb];
  assign cast_bf16_o    = rk[tessera_map_pkg::TileKernelCastBf16Lsb];
  assign causal_o       = rk[tessera_map_pkg::TileKernelCausalLsb];
  assign k_o            = run_q[wi(tessera_map_pkg::TileKOffset)];
  assign kn_o           = run_q[wi(tessera_map_pkg::TileKnOffset)];
  assign ntok_o         = run_q[wi(tessera_map_pkg::TileNtokOffset)];
  assign tpl_o          = run_q[wi(tessera_map_pkg::TileTplOffset)];
  assign ngroups_o      = run_q[wi(tessera_map_pkg::TileNgroupsOffset)];
  assign off_a_o        = run_q[wi(tessera_map_pkg::TileOffAOffset)];
  assign off_b_o        = run_q[wi(tessera_map_pkg::TileOffBOffset)];
  assign off_c_o        = run_q[wi(tessera_map_pkg::TileOffCOffset)];
  assign off_d_o        = run_q[wi(tessera_map_pkg::TileOffDOffset)];
  assign cols_o         = run_q[wi(tessera_map_pkg::TileColsOffset)];
  assign param_o        = run_q[wi(tessera_map_pkg::TileParamOffset)];
  assign row0_o         = run_q[wi(tessera_map_pkg::TileRow0Offset)];
  assign s_o            = {run_q[wi(tessera_map_pkg::TileS6Offset)], run_q[wi(tessera_map_pkg::TileS5Offset)], run_q[wi(tessera_map_pkg::TileS4Offset)],
                           run_q[wi(tessera_map_pkg::TileS3Offset)], run_q[wi(tessera_map_pkg::TileS2Offset)], run_q[wi(tessera_map_pkg::TileS1Offset)],
                           run_q[wi(tessera_map_pkg::TileS0Offset)]};

  // --- Bus decode ------------------------------------------------------------------------------------
  logic [31:0] widx;
  logic        desc_sel;
  assign widx       = 32'(bus_addr_i[11:2]);
  assign desc_sel   = bus_addr_i[1:0] == 2'b00 && widx < NDesc && desc_hit[widx[Dw-1:0]];
  assign is_read    = bus_valid_i && bus_wstrb_i == 4'b0000;
  assign is_write   = bus_valid_i && bus_wstrb_i != 4'b0000;
  assign full_write = bus_wstrb_i == 4'b1111;

  // The run in flight: from the start pulse until the tile is idle again. Its code (a refusal or an
  // abort) is visible in status at once and latched into status.error when the run ends.
  assign run_end  = run_q_on && !start_q && !busy_i;
  assign err_now  = run_q_on && !start_q && code_i != 8'd0;
  assign code_now = error_q ? code_q : code_i;
  assign code_rd  = (error_q || err_now) ? code_now : 8'd0;

  always_comb begin
    ro_hit = bus_addr_i == tessera_map_pkg::TileStatusOffset || bus_addr_i == tessera_map_pkg::TileDoneOffset;
    for (int i = 0; i < NCnt; i++) begin
      if (bus_addr_i == cnt_lo[i] || bus_addr_i == cnt_hi[i]) ro_hit = 1'b1;
    end
    wo_hit  = bus_addr_i == tessera_map_pkg::TileStartOffset || bus_addr_i == tessera_map_pkg::TileClearOffset;
    hit     = desc_sel || ro_hit || wo_hit;
    wait_st = is_read && start_q && (bus_addr_i == tessera_map_pkg::TileStatusOffset || bus_addr_i == tessera_map_pkg::TileDoneOffset);
  end

  always_comb begin
    rdata = '0;
    if (desc_sel) rdata = desc_q[widx[Dw-1:0]];
    if (bus_addr_i == tessera_map_pkg::TileStatusOffset) begin
      rdata = (32'(busy_o) << tessera_map_pkg::TileStatusBusyLsb) | (32'(error_q || err_now) << tessera_map_pkg::TileStatusErrorLsb) |
              (32'(code_rd) << tessera_map_pkg::TileStatusCodeLsb);
    end
    if (bus_addr_i == tessera_map_pkg::TileDoneOffset) rdata = done_q;
    for (int i = 0; i < NCnt; i++) begin
      if (bus_addr_i == cnt_lo[i]) rdata = cnt[i][31:0];
      if (bus_addr_i == cnt_hi[i]) rdata = latch_q[i];
      latch_en[i] = is_read && bus_addr_i == cnt_lo[i];
    end
  end

  assign bus_ready_o = bus_valid_i && !wait_st;
  assign bus_err_o   = bus_valid_i && (!hit || (is_write && (!full_write || ro_hit)) || (is_read && wo_hit));
  assign bus_rdata_o = (is_read && hit && !wo_hit) ? rdata : '0;

  assign do_start     = is_write && full_write && bus_addr_i == tessera_map_pkg::TileStartOffset && bus_wdata_i[tessera_map_pkg::TileStartGoLsb];
  assign do_clear_err = is_write && full_write && bus_addr_i == tessera_map_pkg::TileClearOffset && bus_wdata_i[tessera_map_pkg::TileClearErrorLsb];
  assign do_clear_cnt = is_write && full_write && bus_addr_i == tessera_map_pkg::TileClearOffset && bus_wdata_i[tessera_map_pkg::TileClearCountersLsb];

  assign busy_o  = start_q || busy_i || done_i;
  assign clr_o   = do_clear_cnt;
  assign start_o = start_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NDesc; i++) begin
        desc_q[i] <= '0;
        run_q[i]  <= '0;
      end
      for (int i = 0; i < NCnt; i++) latch_q[i] <= '0;
      error_q  <= 1'b0;
      code_q   <= '0;
      done_q   <= '0;
      start_q  <= 1'b0;
      run_q_on <= 1'b0;
    end else begin
      start_q <= 1'b0;
      if (is_write && full_write && desc_sel) desc_q[widx[Dw-1:0]] <= bus_wdata_i;
      for (int i = 0; i < NCnt; i++) begin
        if (latch_en[i]) latch_q[i] <= cnt[i][63:32];
        if (do_clear_cnt) latch_q[i] <= '0;
      end
      if (done_i) done_q <= done_q + 32'd1;
      if (run_end) begin
        run_q_on <= 1'b0;
        if (code_i != 8'd0 && !error_q) begin
          error_q <= 1'b1;
          code_q  <= code_i;
        end
      end
      if (do_clear_err) begin
        error_q <= 1'b0;
        code_q  <= '0;
        if (err_now) run_q_on <= 1'b0;  // the run's code has been seen and cleared
      end
      if (do_start) begin
        if (busy_o) begin
          if (!error_q) code_q <= 8'd1;
          error_q <= 1'b1;
        end else begin
          start_q  <= 1'b1;
          run_q_on <= 1'b1;
          for (int unsigned i = 0; i < NDesc; i++) run_q[i] <= desc_q[i];
        end
      end
    end
  end

  logic unused;
  assign unused = ^{widx[31:Dw], rk};

endmodule
