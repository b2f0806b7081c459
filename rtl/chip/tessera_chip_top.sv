// Tessera chip (docs/chip.md): the uncore (tchip_uncore: the controller, hostif, the DMA engine and
// the tiles' register blocks) and Tiles compute tiles (ttile_top). Regions and offsets come from
// tessera_map_pkg, sizes from tessera_cfg_pkg. This is the chip's synthesizable top (lint, Yosys);
// the Verilator harness (sim/chip_rtl/chip_model.cpp) simulates the same design as one model of the
// uncore and one model per tile, connected port for port as below.

module tessera_chip_top #(
  parameter int unsigned Tiles = tessera_cfg_pkg::Tiles,
  localparam int unsigned Lanes = tessera_cfg_pkg::Lanes,
  localparam int unsigned P     = tessera_cfg_pkg::NnzPerCycle,
  localparam int unsigned Aw    = $clog2(tessera_cfg_pkg::LaneBankWords),
  localparam int unsigned Gw    = $clog2(tessera_cfg_pkg::WeightBufWords / (tessera_cfg_pkg::NnzPerCycle + 1))
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
  output logic [31:0]      dma_run_row_bytes_o
);

  logic [Tiles-1:0] tile_start_o;
  logic [Tiles*5-1:0] tile_kernel_o;
  logic [Tiles-1:0] tile_epi_bias_o;
  logic [Tiles-1:0] tile_epi_gelu_o;
  logic [Tiles-1:0] tile_epi_residual_o;
  logic [Tiles-1:0] tile_epi_scale_o;
  logic [Tiles-1:0] tile_cast_bf16_o;
  logic [Tiles-1:0] tile_causal_o;
  logic [Tiles*32-1:0] tile_k_o;
  logic [Tiles*32-1:0] tile_kn_o;
  logic [Tiles*32-1:0] tile_ntok_o;
  logic [Tiles*32-1:0] tile_tpl_o;
  logic [Tiles*32-1:0] tile_ngroups_o;
  logic [Tiles*32-1:0] tile_off_a_o;
  logic [Tiles*32-1:0] tile_off_b_o;
  logic [Tiles*32-1:0] tile_off_c_o;
  logic [Tiles*32-1:0] tile_off_d_o;
  logic [Tiles*32-1:0] tile_cols_o;
  logic [Tiles*32-1:0] tile_param_o;
  logic [Tiles*32-1:0] tile_row0_o;
  logic [Tiles*7*32-1:0] tile_s_o;
  logic [Tiles-1:0] tile_busy_i;
  logic [Tiles-1:0] tile_done_i;
  logic [Tiles*8-1:0] tile_code_i;
  logic [Tiles-1:0] tile_bk_we_o;
  logic [Tiles-1:0] tile_bk_re_o;
  logic [Aw-1:0] tile_bk_addr_o;
  logic [Lanes*32-1:0] tile_bk_wdata_o;
  logic [Tiles*Lanes*32-1:0] tile_bk_rdata_i;
  logic [Tiles-1:0] tile_wb_we_o;
  logic [Gw-1:0] tile_wb_addr_o;
  logic [17:0] tile_wb_hdr_o;
  logic [P*32-1:0] tile_wb_slots_o;
  logic [Tiles-1:0] tile_gb_we_o;
  logic [Tiles-1:0] tile_gb_re_o;
  logic [Gw-1:0] tile_gb_addr_o;
  logic [P*32-1:0] tile_gb_wdata_o;
  logic [Tiles*P*32-1:0] tile_gb_rdata_i;
  logic [Tiles-1:0] tile_clr_o;
  logic [Tiles*64-1:0] tile_cnt_busy_i;
  logic [Tiles*64-1:0] tile_cnt_macs_i;
  logic [Tiles*64-1:0] tile_cnt_conflict_i;
  logic [Tiles*64-1:0] tile_cnt_starved_i;
  logic [Tiles*64-1:0] tile_cnt_memory_i;
  logic [Tiles*64-1:0] tile_cnt_backpressure_i;

  tchip_uncore #(.Tiles(Tiles)) u_uncore (
    .clk_i,
    .rst_ni,
    .ctrl_rst_ni,
    .irq_ext_i,
    .console_valid_o,
    .console_char_o,
    .exit_valid_o,
    .exit_code_o,
    .fault_valid_o,
    .fault_addr_o,
    .fault_pc_o,
    .rvfi_valid_o,
    .rvfi_trap_o,
    .rvfi_pc_o,
    .rvfi_cause_o,
    .host_we_i,
    .host_addr_i,
    .host_wdata_i,
    .host_rdata_o,
    .irq_o,
    .irq_set_o,
    .fw_state_o,
    .dram_req_valid_o,
    .dram_req_ready_i,
    .dram_req_addr_o,
    .dram_req_we_o,
    .dram_req_be_o,
    .dram_req_wdata_o,
    .dram_req_src_o,
    .dram_rsp_valid_i,
    .dram_rsp_rdata_i,
    .dma_busy_o,
    .tile_busy_o,
    .dma_run_o,
    .dma_run_ctrl_o,
    .dma_run_rows_o,
    .dma_run_row_bytes_o,
    .tile_start_o,
    .tile_kernel_o,
    .tile_epi_bias_o,
    .tile_epi_gelu_o,
    .tile_epi_residual_o,
    .tile_epi_scale_o,
    .tile_cast_bf16_o,
    .tile_causal_o,
    .tile_k_o,
    .tile_kn_o,
    .tile_ntok_o,
    .tile_tpl_o,
    .tile_ngroups_o,
    .tile_off_a_o,
    .tile_off_b_o,
    .tile_off_c_o,
    .tile_off_d_o,
    .tile_cols_o,
    .tile_param_o,
    .tile_row0_o,
    .tile_s_o,
    .tile_busy_i,
    .tile_done_i,
    .tile_code_i,
    .tile_bk_we_o,
    .tile_bk_re_o,
    .tile_bk_addr_o,
    .tile_bk_wdata_o,
    .tile_bk_rdata_i,
    .tile_wb_we_o,
    .tile_wb_addr_o,
    .tile_wb_hdr_o,
    .tile_wb_slots_o,
    .tile_gb_we_o,
    .tile_gb_re_o,
    .tile_gb_addr_o,
    .tile_gb_wdata_o,
    .tile_gb_rdata_i,
    .tile_clr_o,
    .tile_cnt_busy_i,
    .tile_cnt_macs_i,
    .tile_cnt_conflict_i,
    .tile_cnt_starved_i,
    .tile_cnt_memory_i,
    .tile_cnt_backpressure_i
  );

  // The stream links (docs/chip.md "Stream links"): a chain. Tile i's stream-out drives tile i+1's
  // stream-in, so tile 0 has no stream source (attn_qk and attn_pv are refused with code 2 there)
  // and tile Tiles-1 no sink (send is refused with code 2). With one tile there is no link.
  logic [Tiles-1:0]      tile_si_ready, tile_so_valid;
  logic [Tiles*18-1:0]   tile_so_hdr;
  logic [Tiles*P*32-1:0] tile_so_slots;
  logic [Tiles-1:0]      tile_si_en, tile_so_en, tile_si_valid, tile_so_ready;
  logic [Tiles*18-1:0]   tile_si_hdr;
  logic [Tiles*P*32-1:0] tile_si_slots;

  for (genvar i = 0; i < Tiles; i++) begin : g_link
    if (i == 0) begin : g_first
      assign tile_si_en[i]               = 1'b0;
      assign tile_si_valid[i]            = 1'b0;
      assign tile_si_hdr[18*i +: 18]     = '0;
      assign tile_si_slots[P*32*i +: P*32] = '0;
    end else begin : g_in
      assign tile_si_en[i]               = 1'b1;
      assign tile_si_valid[i]            = tile_so_valid[i-1];
      assign tile_si_hdr[18*i +: 18]     = tile_so_hdr[18*(i-1) +: 18];
      assign tile_si_slots[P*32*i +: P*32] = tile_so_slots[P*32*(i-1) +: P*32];
    end
    if (i == Tiles - 1) begin : g_last
      assign tile_so_en[i]    = 1'b0;
      assign tile_so_ready[i] = 1'b0;
    end else begin : g_out
      assign tile_so_en[i]    = 1'b1;
      assign tile_so_ready[i] = tile_si_ready[i+1];
    end
  end

  // Tile 0's ready and the last tile's stream-out drive nothing.
  logic unused_stream;
  assign unused_stream = ^{tile_si_ready[0], tile_so_valid[Tiles-1], tile_so_hdr[18*(Tiles-1) +: 18],
                           tile_so_slots[P*32*(Tiles-1) +: P*32]};

  for (genvar i = 0; i < Tiles; i++) begin : g_tile
    ttile_top u_tile (
      .clk_i,
      .rst_ni,
      .start_i        (tile_start_o[i]),
      .kernel_i       (tile_kernel_o[5*i +: 5]),
      .epi_bias_i     (tile_epi_bias_o[i]),
      .epi_gelu_i     (tile_epi_gelu_o[i]),
      .epi_residual_i (tile_epi_residual_o[i]),
      .epi_scale_i    (tile_epi_scale_o[i]),
      .cast_bf16_i    (tile_cast_bf16_o[i]),
      .causal_i       (tile_causal_o[i]),
      .k_i            (tile_k_o[32*i +: 32]),
      .kn_i           (tile_kn_o[32*i +: 32]),
      .ntok_i         (tile_ntok_o[32*i +: 32]),
      .tpl_i          (tile_tpl_o[32*i +: 32]),
      .ngroups_i      (tile_ngroups_o[32*i +: 32]),
      .off_a_i        (tile_off_a_o[32*i +: 32]),
      .off_b_i        (tile_off_b_o[32*i +: 32]),
      .off_c_i        (tile_off_c_o[32*i +: 32]),
      .off_d_i        (tile_off_d_o[32*i +: 32]),
      .cols_i         (tile_cols_o[32*i +: 32]),
      .param_i        (tile_param_o[32*i +: 32]),
      .row0_i         (tile_row0_o[32*i +: 32]),
      .s_i            (tile_s_o[7*32*i +: 7*32]),
      .busy_o         (tile_busy_i[i]),
      .done_o         (tile_done_i[i]),
      .code_o         (tile_code_i[8*i +: 8]),
      .bk_we_i        (tile_bk_we_o[i]),
      .bk_re_i        (tile_bk_re_o[i]),
      .bk_addr_i      (tile_bk_addr_o),
      .bk_wdata_i     (tile_bk_wdata_o),
      .bk_rdata_o     (tile_bk_rdata_i[Lanes*32*i +: Lanes*32]),
      .wb_we_i        (tile_wb_we_o[i]),
      .wb_addr_i      (tile_wb_addr_o),
      .wb_hdr_i       (tile_wb_hdr_o),
      .wb_slots_i     (tile_wb_slots_o),
      .gb_we_i        (tile_gb_we_o[i]),
      .gb_re_i        (tile_gb_re_o[i]),
      .gb_addr_i      (tile_gb_addr_o),
      .gb_wdata_i     (tile_gb_wdata_o),
      .gb_rdata_o     (tile_gb_rdata_i[P*32*i +: P*32]),
      .si_en_i        (tile_si_en[i]),
      .si_valid_i     (tile_si_valid[i]),
      .si_ready_o     (tile_si_ready[i]),
      .si_hdr_i       (tile_si_hdr[18*i +: 18]),
      .si_slots_i     (tile_si_slots[P*32*i +: P*32]),
      .so_en_i        (tile_so_en[i]),
      .so_valid_o     (tile_so_valid[i]),
      .so_ready_i     (tile_so_ready[i]),
      .so_hdr_o       (tile_so_hdr[18*i +: 18]),
      .so_slots_o     (tile_so_slots[P*32*i +: P*32]),
      .clr_i          (tile_clr_o[i]),
      .cnt_busy_o     (tile_cnt_busy_i[64*i +: 64]),
      .cnt_macs_o     (tile_cnt_macs_i[64*i +: 64]),
      .cnt_conflict_o (tile_cnt_conflict_i[64*i +: 64]),
      .cnt_starved_o  (tile_cnt_starved_i[64*i +: 64]),
      .cnt_memory_o   (tile_cnt_memory_i[64*i +: 64]),
      .cnt_backpressure_o (tile_cnt_backpressure_i[64*i +: 64])
    );
  end

endmodule
