// Tile register block (docs/registers.md, block tile; docs/chip.md, "Tile"): the descriptor
// registers, start / status / done / clear and the counter registers of one compute tile.
//
// Start: a write of go checks the descriptor in the cycle of the write. Refused (status.error set
// with the first code since the last clear, nothing started): 1 while busy, 2 an unknown kernel,
// 3 operands outside the bank or the weight buffer. Accepted: the descriptor is copied into the
// run registers (the tile samples them until done, the bus registers may be rewritten at once) and
// start_o pulses in the next cycle. status.busy covers the start pulse, the tile's busy and its
// done cycle, so `done` has counted the run once busy reads low.
//
// Counters: the tile's 64-bit counters; reading a _lo word latches the _hi word. clear.counters
// pulses clr_o (the tile zeroes them) and zeroes the latches.
//
// Bus port (docs/bus.md): zero wait states; 32-bit registers only (partial strobes: bus_err).
module tchip_tilereg #(
  parameter int unsigned Lanes     = tessera_cfg_pkg::Lanes,
  parameter int unsigned BankWords = tessera_cfg_pkg::LaneBankWords,
  parameter int unsigned Groups    = tessera_cfg_pkg::WeightBufWords / (tessera_cfg_pkg::NnzPerCycle + 1),
  parameter int unsigned AccDepth  = tessera_cfg_pkg::AccDepth,
  localparam int unsigned Aw       = $clog2(BankWords),
  localparam int unsigned Gw       = $clog2(Groups)
) (
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

  // The tile's descriptor and handshake (ttile_top)
  output logic              start_o,
  output logic [1:0]        kernel_o,
  output logic [Aw:0]       k_o,
  output logic [Aw:0]       kn_o,
  output logic [15:0]       ntok_o,
  output logic [Aw:0]       tpl_o,
  output logic [Gw:0]       ngroups_o,
  input  logic              busy_i,
  input  logic              done_i,
  output logic              busy_o,  // status.busy, for the chip's counters and the DMA

  // The tile's counters
  output logic              clr_o,
  input  logic [63:0]       cnt_busy_i,
  input  logic [63:0]       cnt_macs_i,
  input  logic [63:0]       cnt_conflict_i,
  input  logic [63:0]       cnt_starved_i,
  input  logic [63:0]       cnt_memory_i
);

  // Field positions of tile.kernel, tile.status and tile.clear (docs/registers.md).
  // TODO(spec): take them from tessera_map_pkg once tools/gen.py emits field constants for SV.
  localparam int unsigned KernelCodeW   = 5;
  localparam int unsigned StatusCodeLsb = 8;
  localparam int unsigned StatusErrBit  = 1;
  localparam int unsigned ClearErrBit   = 0;
  localparam int unsigned ClearCntBit   = 1;

  // Descriptor registers: word index = offset / 4, up to s7.
  localparam int unsigned NDesc = 32'(tessera_map_pkg::TileS7Offset) / 4 + 1;

  logic [31:0] desc_q [NDesc];
  logic        desc_hit [NDesc];
  logic [31:0] latch_q [5];
  logic [63:0] cnt [5];
  logic [11:0] cnt_lo [5];
  logic [11:0] cnt_hi [5];
  logic        error_q;
  logic [7:0]  code_q;
  logic [31:0] done_q;
  logic        start_q;

  logic        is_read, is_write, full_write, hit, ro_hit, wo_hit;
  logic [31:0] rdata;
  logic        do_start, do_clear_err, do_clear_cnt, latch_en [5];
  logic [7:0]  chk_code;

  assign cnt[0]    = cnt_busy_i;
  assign cnt[1]    = cnt_macs_i;
  assign cnt[2]    = cnt_conflict_i;
  assign cnt[3]    = cnt_starved_i;
  assign cnt[4]    = cnt_memory_i;
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

  // Names of the descriptor words (the offsets, never numbers).
  localparam int unsigned IKernel  = 32'(tessera_map_pkg::TileKernelOffset) / 4;
  localparam int unsigned IK       = 32'(tessera_map_pkg::TileKOffset) / 4;
  localparam int unsigned IKn      = 32'(tessera_map_pkg::TileKnOffset) / 4;
  localparam int unsigned INtok    = 32'(tessera_map_pkg::TileNtokOffset) / 4;
  localparam int unsigned ITpl     = 32'(tessera_map_pkg::TileTplOffset) / 4;
  localparam int unsigned INgroups = 32'(tessera_map_pkg::TileNgroupsOffset) / 4;

  // Which words are registers: the map has a gap between row0 and s0.
  always_comb begin
    for (int unsigned i = 0; i < NDesc; i++) begin
      desc_hit[i] = 1'b0;
    end
    desc_hit[32'(tessera_map_pkg::TileKernelOffset) / 4]  = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileKOffset) / 4]       = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileKnOffset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileNtokOffset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileTplOffset) / 4]     = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileNgroupsOffset) / 4] = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileOffAOffset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileOffBOffset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileOffCOffset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileOffDOffset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileColsOffset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileParamOffset) / 4]   = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileRow0Offset) / 4]    = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS0Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS1Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS2Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS3Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS4Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS5Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS6Offset) / 4]      = 1'b1;
    desc_hit[32'(tessera_map_pkg::TileS7Offset) / 4]      = 1'b1;
  end

  // The descriptor check of a start (docs/chip.md). The RTL tile runs the linear kernels only.
  // TODO(integration): kernels 3 .. 12 once ttile_top has the vector unit (then only codes beyond
  // TileKernelAdamw are unknown, and their operand ranges are checked here).
  logic [31:0] ck_kernel, ck_k, ck_kn, ck_ntok, ck_tpl, ck_ngroups;
  logic [63:0] ck_words, ck_rows;
  assign ck_kernel  = desc_q[IKernel];
  assign ck_k       = desc_q[IK];
  assign ck_kn      = desc_q[IKn];
  assign ck_ntok    = desc_q[INtok];
  assign ck_tpl     = desc_q[ITpl];
  assign ck_ngroups = desc_q[INgroups];
  assign ck_words   = 64'(ck_tpl) * 64'(ck_kn);
  assign ck_rows    = 64'(ck_tpl) * 64'(Lanes);

  always_comb begin
    chk_code = 8'd0;
    if (32'(ck_kernel[KernelCodeW-1:0]) > tessera_map_pkg::TileKernelBwdWeight) begin
      chk_code = 8'd2;
    end else if (ck_kn == 32'd0 || ck_k > ck_kn || ck_tpl == 32'd0 || ck_ntok == 32'd0 ||
                 ck_ntok > 32'hffff || 64'(ck_ntok) > ck_rows || ck_words > 64'(BankWords) ||
                 ck_ngroups > Groups ||
                 (32'(ck_kernel[KernelCodeW-1:0]) != tessera_map_pkg::TileKernelBwdWeight &&
                  ck_tpl > AccDepth)) begin
      chk_code = 8'd3;
    end
  end

  // --- Bus decode ------------------------------------------------------------------------------------
  logic [31:0] widx;
  logic        desc_sel;
  assign widx       = 32'(bus_addr_i[11:2]);
  assign desc_sel   = bus_addr_i[1:0] == 2'b00 && widx < NDesc && desc_hit[widx[4:0]];
  assign is_read    = bus_valid_i && bus_wstrb_i == 4'b0000;
  assign is_write   = bus_valid_i && bus_wstrb_i != 4'b0000;
  assign full_write = bus_wstrb_i == 4'b1111;

  always_comb begin
    ro_hit = bus_addr_i == tessera_map_pkg::TileStatusOffset ||
             bus_addr_i == tessera_map_pkg::TileDoneOffset;
    for (int i = 0; i < 5; i++) begin
      if (bus_addr_i == cnt_lo[i] || bus_addr_i == cnt_hi[i]) ro_hit = 1'b1;
    end
    wo_hit = bus_addr_i == tessera_map_pkg::TileStartOffset ||
             bus_addr_i == tessera_map_pkg::TileClearOffset;
    hit    = desc_sel || ro_hit || wo_hit;
  end

  always_comb begin
    rdata = '0;
    if (desc_sel) rdata = desc_q[widx[4:0]];
    if (bus_addr_i == tessera_map_pkg::TileStatusOffset) begin
      rdata = 32'(busy_o) | (32'(error_q) << StatusErrBit) | (32'(code_q) << StatusCodeLsb);
    end
    if (bus_addr_i == tessera_map_pkg::TileDoneOffset) rdata = done_q;
    for (int i = 0; i < 5; i++) begin
      if (bus_addr_i == cnt_lo[i]) rdata = cnt[i][31:0];
      if (bus_addr_i == cnt_hi[i]) rdata = latch_q[i];
      latch_en[i] = is_read && bus_addr_i == cnt_lo[i];
    end
  end

  assign bus_ready_o = bus_valid_i;
  assign bus_err_o   = bus_valid_i && (!hit || (is_write && (!full_write || ro_hit)) || (is_read && wo_hit));
  assign bus_rdata_o = (is_read && hit && !wo_hit) ? rdata : '0;

  assign do_start     = is_write && full_write && bus_addr_i == tessera_map_pkg::TileStartOffset &&
                        bus_wdata_i[0];
  assign do_clear_err = is_write && full_write && bus_addr_i == tessera_map_pkg::TileClearOffset &&
                        bus_wdata_i[ClearErrBit];
  assign do_clear_cnt = is_write && full_write && bus_addr_i == tessera_map_pkg::TileClearOffset &&
                        bus_wdata_i[ClearCntBit];

  assign busy_o = start_q || busy_i || done_i;
  assign clr_o  = do_clear_cnt;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NDesc; i++) desc_q[i] <= '0;
      for (int i = 0; i < 5; i++) latch_q[i] <= '0;
      error_q   <= 1'b0;
      code_q    <= '0;
      done_q    <= '0;
      start_q   <= 1'b0;
      kernel_o  <= '0;
      k_o       <= '0;
      kn_o      <= '0;
      ntok_o    <= '0;
      tpl_o     <= '0;
      ngroups_o <= '0;
    end else begin
      start_q <= 1'b0;
      if (is_write && full_write && desc_sel) desc_q[widx[4:0]] <= bus_wdata_i;
      for (int i = 0; i < 5; i++) begin
        if (latch_en[i]) latch_q[i] <= cnt[i][63:32];
        if (do_clear_cnt) latch_q[i] <= '0;
      end
      if (done_i) done_q <= done_q + 32'd1;
      if (do_clear_err) begin
        error_q <= 1'b0;
        code_q  <= '0;
      end
      if (do_start) begin
        if (busy_o || chk_code != 8'd0) begin
          if (!error_q) code_q <= busy_o ? 8'd1 : chk_code;
          error_q <= 1'b1;
        end else begin
          start_q   <= 1'b1;
          kernel_o  <= ck_kernel[1:0];
          k_o       <= ck_k[Aw:0];
          kn_o      <= ck_kn[Aw:0];
          ntok_o    <= ck_ntok[15:0];
          tpl_o     <= ck_tpl[Aw:0];
          ngroups_o <= ck_ngroups[Gw:0];
        end
      end
    end
  end

  assign start_o = start_q;

  // TODO(integration): the vector-kernel fields (off_a .. off_d, cols, param, row0, s0 .. s7, the
  // kernel's flags) go to ttile_top's new descriptor ports, copied at start like the fields above.
  logic unused;
  assign unused = ^{widx[31:5], ck_kernel[31:2]};

endmodule
