// Tessera chip without its tiles (docs/chip.md, "RTL chip"): the controller (tessera_ctrl_top with
// its external bus), the host interface registers, the DMA engine, a register block per tile
// (tchip_tilereg) and the controller's window on the device DRAM. tessera_chip_top connects Tiles
// compute tiles (ttile_top) to the tile ports below; the Verilator harness (sim/chip_rtl/) makes the
// same connections between this model and one model per tile. Every tile output this module reads
// is a register output of ttile_top, so the two models exchange values once per clock edge.
//
// The device DRAM is outside the chip: the DRAM port carries one request at a time, from the DMA
// engine or from the controller's dram window (the controller first: it stalls on it), and takes one
// response per request. dram_req_src_o names the requester.
//
// Resets: rst_ni resets the whole chip; ctrl_rst_ni holds only the controller (core, timer,
// simctrl), so the host can write the hostif registers after reset and before the firmware runs
// (docs/chip.md, "Host interface and boot").
module tchip_uncore #(
  parameter int unsigned Tiles = tessera_cfg_pkg::Tiles,
  localparam int unsigned Lanes = tessera_cfg_pkg::Lanes,
  localparam int unsigned P     = tessera_cfg_pkg::NnzPerCycle,
  localparam int unsigned Aw    = $clog2(tessera_cfg_pkg::LaneBankWords),
  localparam int unsigned Gw    = $clog2(tessera_cfg_pkg::WeightBufWords / (tessera_cfg_pkg::NnzPerCycle + 1)),
  localparam int unsigned Tw    = Tiles > 1 ? $clog2(Tiles) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             ctrl_rst_ni,

  // Controller: external interrupt line, simulation control, fault (as tessera_ctrl_top)
  input  logic             irq_ext_i,
  output logic             console_valid_o,
  output logic [7:0]       console_char_o,
  output logic             exit_valid_o,
  output logic [31:0]      exit_code_o,
  output logic             fault_valid_o,
  output logic [31:0]      fault_addr_o,
  output logic [31:0]      fault_pc_o,
  output logic             rvfi_valid_o,
  output logic             rvfi_trap_o,
  output logic [31:0]      rvfi_pc_o,
  output logic [31:0]      rvfi_cause_o,

  // Host side of the hostif registers
  input  logic             host_we_i,
  input  logic [11:0]      host_addr_i,
  input  logic [31:0]      host_wdata_i,
  output logic [31:0]      host_rdata_o,
  output logic             irq_o,
  output logic             irq_set_o,  // a firmware write of hostif.irq with pending set
  output logic [7:0]       fw_state_o,

  // DRAM port
  output logic             dram_req_valid_o,
  input  logic             dram_req_ready_i,
  output logic [31:0]      dram_req_addr_o,
  output logic             dram_req_we_o,
  output logic [3:0]       dram_req_be_o,
  output logic [31:0]      dram_req_wdata_o,
  output logic             dram_req_src_o,   // 0 the DMA engine, 1 the controller's window
  input  logic             dram_rsp_valid_i,
  input  logic [31:0]      dram_rsp_rdata_i,

  // Activity, for the harness's counters
  output logic             dma_busy_o,
  output logic [Tiles-1:0] tile_busy_o,
  output logic             dma_run_o,           // a DMA descriptor is running: its ctrl, rows, row_bytes
  output logic [31:0]      dma_run_ctrl_o,
  output logic [31:0]      dma_run_rows_o,
  output logic [31:0]      dma_run_row_bytes_o,

  // Tile t's ports (ttile_top): descriptor and handshake
  output logic [Tiles-1:0]              tile_start_o,
  output logic [Tiles*5-1:0]            tile_kernel_o,
  output logic [Tiles-1:0]              tile_epi_bias_o,
  output logic [Tiles-1:0]              tile_epi_gelu_o,
  output logic [Tiles-1:0]              tile_epi_residual_o,
  output logic [Tiles-1:0]              tile_epi_scale_o,
  output logic [Tiles-1:0]              tile_cast_bf16_o,
  output logic [Tiles-1:0]              tile_causal_o,
  output logic [Tiles*32-1:0]           tile_k_o,
  output logic [Tiles*32-1:0]           tile_kn_o,
  output logic [Tiles*32-1:0]           tile_ntok_o,
  output logic [Tiles*32-1:0]           tile_tpl_o,
  output logic [Tiles*32-1:0]           tile_ngroups_o,
  output logic [Tiles*32-1:0]           tile_off_a_o,
  output logic [Tiles*32-1:0]           tile_off_b_o,
  output logic [Tiles*32-1:0]           tile_off_c_o,
  output logic [Tiles*32-1:0]           tile_off_d_o,
  output logic [Tiles*32-1:0]           tile_cols_o,
  output logic [Tiles*32-1:0]           tile_param_o,
  output logic [Tiles*32-1:0]           tile_row0_o,
  output logic [Tiles*7*32-1:0]       tile_s_o,
  input  logic [Tiles-1:0]              tile_busy_i,
  input  logic [Tiles-1:0]              tile_done_i,
  input  logic [Tiles*8-1:0]            tile_code_i,
  // backdoor ports (the DMA engine): enables per tile, address and data shared
  output logic [Tiles-1:0]              tile_bk_we_o,
  output logic [Tiles-1:0]              tile_bk_re_o,
  output logic [Aw-1:0]                 tile_bk_addr_o,
  output logic [Lanes*32-1:0]           tile_bk_wdata_o,
  input  logic [Tiles*Lanes*32-1:0]     tile_bk_rdata_i,
  output logic [Tiles-1:0]              tile_wb_we_o,
  output logic [Gw-1:0]                 tile_wb_addr_o,
  output logic [17:0]                   tile_wb_hdr_o,
  output logic [P*32-1:0]               tile_wb_slots_o,
  output logic [Tiles-1:0]              tile_gb_we_o,
  output logic [Tiles-1:0]              tile_gb_re_o,
  output logic [Gw-1:0]                 tile_gb_addr_o,
  output logic [P*32-1:0]               tile_gb_wdata_o,
  input  logic [Tiles*P*32-1:0]         tile_gb_rdata_i,
  // counters
  output logic [Tiles-1:0]              tile_clr_o,
  input  logic [Tiles*64-1:0]           tile_cnt_busy_i,
  input  logic [Tiles*64-1:0]           tile_cnt_macs_i,
  input  logic [Tiles*64-1:0]           tile_cnt_conflict_i,
  input  logic [Tiles*64-1:0]           tile_cnt_starved_i,
  input  logic [Tiles*64-1:0]           tile_cnt_memory_i,
  input  logic [Tiles*64-1:0]           tile_cnt_backpressure_i
);

  localparam int unsigned TileShift = $clog2(tessera_map_pkg::TileStride);

  // --- Controller ------------------------------------------------------------------------------------
  logic        ext_valid, ext_ready, ext_err;
  logic [31:0] ext_addr, ext_wdata, ext_rdata;
  logic [3:0]  ext_wstrb;
  logic        dm_req, dm_we;
  logic [3:0]  dm_be;
  logic [31:0] dm_addr, dm_wdata, dm_rdata;
  logic [4:0]  rvfi_rd_unused;
  logic [31:0] rvfi_insn_unused, rvfi_rdv_unused, rvfi_maddr_unused, rvfi_mwdata_unused, rvfi_tval_unused;
  logic [3:0]  rvfi_wstrb_unused;

  tessera_ctrl_top #(.ExtEn(1'b1)) u_ctrl (
    .clk_i,
    .rst_ni           (rst_ni && ctrl_rst_ni),
    .irq_ext_i,
    .console_valid_o,
    .console_char_o,
    .exit_valid_o,
    .exit_code_o,
    .fault_valid_o,
    .fault_addr_o,
    .fault_pc_o,
    .ext_valid_o      (ext_valid),
    .ext_ready_i      (ext_ready),
    .ext_addr_o       (ext_addr),
    .ext_wstrb_o      (ext_wstrb),
    .ext_wdata_o      (ext_wdata),
    .ext_rdata_i      (ext_rdata),
    .ext_err_i        (ext_err),
    .dmem_b_req_i     (dm_req),
    .dmem_b_we_i      (dm_we),
    .dmem_b_be_i      (dm_be),
    .dmem_b_addr_i    (dm_addr),
    .dmem_b_wdata_i   (dm_wdata),
    .dmem_b_rdata_o   (dm_rdata),
    .rvfi_valid_o,
    .rvfi_pc_o,
    .rvfi_insn_o      (rvfi_insn_unused),
    .rvfi_rd_o        (rvfi_rd_unused),
    .rvfi_rd_value_o  (rvfi_rdv_unused),
    .rvfi_mem_wstrb_o (rvfi_wstrb_unused),
    .rvfi_mem_addr_o  (rvfi_maddr_unused),
    .rvfi_mem_wdata_o (rvfi_mwdata_unused),
    .rvfi_trap_o,
    .rvfi_cause_o,
    .rvfi_tval_o      (rvfi_tval_unused)
  );

  // --- External bus decode -------------------------------------------------------------------------
  logic [31:0] off_h, off_d, off_t, off_r, tidx;
  logic        sel_h, sel_d, sel_t, sel_r;
  logic        h_ready, h_err, d_ready, d_err, r_ready;
  logic [31:0] h_rdata, d_rdata, r_rdata;
  logic [Tiles-1:0] t_valid, t_ready, t_err;
  logic [31:0] t_rdata [Tiles];

  assign off_h = ext_addr - tessera_map_pkg::HostifBase;
  assign off_d = ext_addr - tessera_map_pkg::DmaBase;
  assign off_t = ext_addr - tessera_map_pkg::TileBase;
  assign off_r = ext_addr - tessera_map_pkg::DramBase;
  assign tidx  = off_t >> TileShift;
  assign sel_h = off_h < tessera_map_pkg::HostifSize;
  assign sel_d = off_d < tessera_map_pkg::DmaSize;
  assign sel_t = tidx < Tiles && (off_t - (tidx << TileShift)) < tessera_map_pkg::TileSize;
  assign sel_r = off_r < tessera_cfg_pkg::DramBytes;

  always_comb begin
    ext_ready = ext_valid;  // no device: answered at once, with an error
    ext_rdata = '0;
    ext_err   = 1'b1;
    if (sel_h) begin
      ext_ready = h_ready;
      ext_rdata = h_rdata;
      ext_err   = h_err;
    end else if (sel_d) begin
      ext_ready = d_ready;
      ext_rdata = d_rdata;
      ext_err   = d_err;
    end else if (sel_t) begin
      ext_ready = t_ready[tidx[Tw-1:0]];
      ext_rdata = t_rdata[tidx[Tw-1:0]];
      ext_err   = t_err[tidx[Tw-1:0]];
    end else if (sel_r) begin
      ext_ready = r_ready;
      ext_rdata = r_rdata;
      ext_err   = 1'b0;
    end
  end

  // --- Host interface ------------------------------------------------------------------------------
  tchip_hostif u_hostif (
    .clk_i,
    .rst_ni,
    .bus_valid_i  (ext_valid && sel_h),
    .bus_ready_o  (h_ready),
    .bus_addr_i   (off_h[11:0]),
    .bus_wstrb_i  (ext_wstrb),
    .bus_wdata_i  (ext_wdata),
    .bus_rdata_o  (h_rdata),
    .bus_err_o    (h_err),
    .host_we_i,
    .host_addr_i,
    .host_wdata_i,
    .host_rdata_o,
    .irq_o,
    .irq_set_o,
    .fw_state_o
  );

  // --- DMA engine ----------------------------------------------------------------------------------
  logic                dma_dram_valid, dma_dram_ready, dma_dram_we, dma_rsp_valid;
  logic [31:0]         dma_dram_addr, dma_dram_wdata;
  logic [3:0]          dma_dram_be;
  logic [Tw-1:0]       dma_tile;
  logic [Tiles-1:0]    treg_busy;
  logic                bk_we, bk_re, wb_we, gb_we, gb_re;
  logic [Aw-1:0]       bk_addr;
  logic [Lanes*32-1:0] bk_wdata, bk_rdata;
  logic [Lanes*32-1:0] bk_rdata_t [Tiles];
  logic [Gw-1:0]       wb_addr, gb_addr;
  logic [17:0]         wb_hdr;
  logic [P*32-1:0]     wb_slots, gb_wdata, gb_rdata;
  logic [P*32-1:0]     gb_rdata_t [Tiles];

  tchip_dma #(.Tiles(Tiles)) u_dma (
    .clk_i,
    .rst_ni,
    .bus_valid_i      (ext_valid && !sel_h && sel_d),
    .bus_ready_o      (d_ready),
    .bus_addr_i       (off_d[11:0]),
    .bus_wstrb_i      (ext_wstrb),
    .bus_wdata_i      (ext_wdata),
    .bus_rdata_o      (d_rdata),
    .bus_err_o        (d_err),
    .dm_req_o         (dm_req),
    .dm_we_o          (dm_we),
    .dm_be_o          (dm_be),
    .dm_addr_o        (dm_addr),
    .dm_wdata_o       (dm_wdata),
    .dm_rdata_i       (dm_rdata),
    .dram_req_valid_o (dma_dram_valid),
    .dram_req_ready_i (dma_dram_ready),
    .dram_req_addr_o  (dma_dram_addr),
    .dram_req_we_o    (dma_dram_we),
    .dram_req_be_o    (dma_dram_be),
    .dram_req_wdata_o (dma_dram_wdata),
    .dram_rsp_valid_i (dma_rsp_valid),
    .dram_rsp_rdata_i (dram_rsp_rdata_i),
    .tile_o           (dma_tile),
    .tile_busy_i      (treg_busy),
    .bk_we_o          (bk_we),
    .bk_re_o          (bk_re),
    .bk_addr_o        (bk_addr),
    .bk_wdata_o       (bk_wdata),
    .bk_rdata_i       (bk_rdata),
    .wb_we_o          (wb_we),
    .wb_addr_o        (wb_addr),
    .wb_hdr_o         (wb_hdr),
    .wb_slots_o       (wb_slots),
    .gb_we_o          (gb_we),
    .gb_re_o          (gb_re),
    .gb_addr_o        (gb_addr),
    .gb_wdata_o       (gb_wdata),
    .gb_rdata_i       (gb_rdata),
    .busy_o           (dma_busy_o),
    .run_o            (dma_run_o),
    .run_ctrl_o       (dma_run_ctrl_o),
    .run_rows_o       (dma_run_rows_o),
    .run_row_bytes_o  (dma_run_row_bytes_o)
  );

  assign bk_rdata = bk_rdata_t[dma_tile];
  assign gb_rdata = gb_rdata_t[dma_tile];

  // --- Tile register blocks and the tiles' ports -------------------------------------------------------
  assign tile_bk_addr_o  = bk_addr;
  assign tile_bk_wdata_o = bk_wdata;
  assign tile_wb_addr_o  = wb_addr;
  assign tile_wb_hdr_o   = wb_hdr;
  assign tile_wb_slots_o = wb_slots;
  assign tile_gb_addr_o  = gb_addr;
  assign tile_gb_wdata_o = gb_wdata;

  for (genvar i = 0; i < Tiles; i++) begin : g_tile
    logic mine;

    assign mine            = 32'(dma_tile) == i;
    assign t_valid[i]      = ext_valid && !sel_h && !sel_d && sel_t && tidx == i;
    assign bk_rdata_t[i]   = tile_bk_rdata_i[Lanes*32*i +: Lanes*32];
    assign gb_rdata_t[i]   = tile_gb_rdata_i[P*32*i +: P*32];
    assign tile_bk_we_o[i] = bk_we && mine;
    assign tile_bk_re_o[i] = bk_re && mine;
    assign tile_wb_we_o[i] = wb_we && mine;
    assign tile_gb_we_o[i] = gb_we && mine;
    assign tile_gb_re_o[i] = gb_re && mine;

    tchip_tilereg u_reg (
      .clk_i,
      .rst_ni,
      .bus_valid_i    (t_valid[i]),
      .bus_ready_o    (t_ready[i]),
      .bus_addr_i     (off_t[11:0]),
      .bus_wstrb_i    (ext_wstrb),
      .bus_wdata_i    (ext_wdata),
      .bus_rdata_o    (t_rdata[i]),
      .bus_err_o      (t_err[i]),
      .start_o        (tile_start_o[i]),
      .kernel_o       (tile_kernel_o[5*i +: 5]),
      .epi_bias_o     (tile_epi_bias_o[i]),
      .epi_gelu_o     (tile_epi_gelu_o[i]),
      .epi_residual_o (tile_epi_residual_o[i]),
      .epi_scale_o    (tile_epi_scale_o[i]),
      .cast_bf16_o    (tile_cast_bf16_o[i]),
      .causal_o       (tile_causal_o[i]),
      .k_o            (tile_k_o[32*i +: 32]),
      .kn_o           (tile_kn_o[32*i +: 32]),
      .ntok_o         (tile_ntok_o[32*i +: 32]),
      .tpl_o          (tile_tpl_o[32*i +: 32]),
      .ngroups_o      (tile_ngroups_o[32*i +: 32]),
      .off_a_o        (tile_off_a_o[32*i +: 32]),
      .off_b_o        (tile_off_b_o[32*i +: 32]),
      .off_c_o        (tile_off_c_o[32*i +: 32]),
      .off_d_o        (tile_off_d_o[32*i +: 32]),
      .cols_o         (tile_cols_o[32*i +: 32]),
      .param_o        (tile_param_o[32*i +: 32]),
      .row0_o         (tile_row0_o[32*i +: 32]),
      .s_o            (tile_s_o[7*32*i +: 7*32]),
      .busy_i         (tile_busy_i[i]),
      .done_i         (tile_done_i[i]),
      .code_i         (tile_code_i[8*i +: 8]),
      .busy_o         (treg_busy[i]),
      .clr_o          (tile_clr_o[i]),
      .cnt_busy_i     (tile_cnt_busy_i[64*i +: 64]),
      .cnt_macs_i     (tile_cnt_macs_i[64*i +: 64]),
      .cnt_conflict_i (tile_cnt_conflict_i[64*i +: 64]),
      .cnt_starved_i  (tile_cnt_starved_i[64*i +: 64]),
      .cnt_memory_i   (tile_cnt_memory_i[64*i +: 64]),
      .cnt_backpressure_i (tile_cnt_backpressure_i[64*i +: 64])
    );
  end

  assign tile_busy_o = treg_busy;

  // --- DRAM port: one request in flight, the controller's window before the DMA engine ------------
  logic ctrl_dram, pend_q, own_ctrl_q, grant_ctrl;

  assign ctrl_dram        = ext_valid && !sel_h && !sel_d && !sel_t && sel_r;
  assign grant_ctrl       = ctrl_dram && !(pend_q && own_ctrl_q);
  assign dram_req_valid_o = !pend_q && (grant_ctrl || dma_dram_valid);
  assign dram_req_src_o   = grant_ctrl;
  assign dram_req_addr_o  = grant_ctrl ? {off_r[31:2], 2'b00} : dma_dram_addr;
  assign dram_req_we_o    = grant_ctrl ? ext_wstrb != 4'b0000 : dma_dram_we;
  assign dram_req_be_o    = grant_ctrl ? (ext_wstrb != 4'b0000 ? ext_wstrb : 4'b1111) : dma_dram_be;
  assign dram_req_wdata_o = grant_ctrl ? ext_wdata : dma_dram_wdata;
  assign dma_dram_ready   = !pend_q && !grant_ctrl && dram_req_ready_i;
  assign dma_rsp_valid    = dram_rsp_valid_i && pend_q && !own_ctrl_q;
  assign r_ready          = dram_rsp_valid_i && pend_q && own_ctrl_q;
  assign r_rdata          = ext_wstrb == 4'b0000 ? dram_rsp_rdata_i : '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pend_q     <= 1'b0;
      own_ctrl_q <= 1'b0;
    end else if (dram_req_valid_o && dram_req_ready_i) begin
      pend_q     <= 1'b1;
      own_ctrl_q <= grant_ctrl;
    end else if (dram_rsp_valid_i) begin
      pend_q     <= 1'b0;
    end
  end

  logic unused;
  assign unused = ^{rvfi_rd_unused, rvfi_insn_unused, rvfi_rdv_unused, rvfi_maddr_unused,
                    rvfi_mwdata_unused, rvfi_tval_unused, rvfi_wstrb_unused, t_valid, off_r[1:0],
                    off_h[31:12], off_d[31:12]};

endmodule
