// DMA engine (docs/chip.md, "DMA"; docs/registers.md, block dma): a queue of four descriptors run
// one at a time in order, modes copy / gather / wload, endpoints DRAM, DMEM, a tile's lane banks
// (rows interleaved over the lanes from lane0, or broadcast to every lane), weight buffer and
// gradient buffer, pack16 / unpack16, the done count and the DRAM byte counter.
//
// Start: a write of go checks the descriptor registers in the cycle of the write (the checks and
// their order are the chip cmodel's: 1 queue full, 2 kinds or mode, 3 tile, 5 alignment, 4 ranges).
// A refused descriptor sets status.error with the first code since the last clear and is not
// queued. A gather row whose index falls outside the source is written as zeros and sets code 4.
//
// Datapath: one unit at a time. A unit is a word of the row, or with pack16 / unpack16 a bf16 half
// at the byte-addressed side; each unit is a read of the source and a write of the destination.
// DRAM accesses go through the chip's DRAM port (one request in flight, a response for each,
// reads and writes); DMEM through its second port; a tile's memories through the tile's backdoor
// ports, waiting while that tile is busy. A write to one lane of a bank (and one slot of a gradient
// entry) is a read-modify-write of the whole bank word (entry): the backdoor port writes all lanes.
// TODO(perf): a per-lane write enable on the tile's bank port removes the read; bursts on the
// DRAM port and a row buffer would let transfers approach dram_bytes_per_cycle.
//
// Bus port (docs/bus.md): zero wait states; 32-bit registers only (partial strobes: bus_err).
module tchip_dma #(
  parameter int unsigned Tiles     = tessera_cfg_pkg::Tiles,
  parameter int unsigned Lanes     = tessera_cfg_pkg::Lanes,
  parameter int unsigned P         = tessera_cfg_pkg::NnzPerCycle,
  parameter int unsigned BankWords = tessera_cfg_pkg::LaneBankWords,
  parameter int unsigned Groups    = tessera_cfg_pkg::WeightBufWords / (tessera_cfg_pkg::NnzPerCycle + 1),
  parameter int unsigned DramBytes = tessera_cfg_pkg::DramBytes,
  parameter int unsigned DmemBytes = tessera_cfg_pkg::DmemBytes,
  localparam int unsigned Aw       = $clog2(BankWords),
  localparam int unsigned Gw       = $clog2(Groups),
  localparam int unsigned Tw       = Tiles > 1 ? $clog2(Tiles) : 1
) (
  input  logic                clk_i,
  input  logic                rst_ni,

  // Tessera bus (responder), offset within the block
  input  logic                bus_valid_i,
  output logic                bus_ready_o,
  input  logic [11:0]         bus_addr_i,
  input  logic [3:0]          bus_wstrb_i,
  input  logic [31:0]         bus_wdata_i,
  output logic [31:0]         bus_rdata_o,
  output logic                bus_err_o,

  // DMEM second port (tessera_ctrl_dmem): byte offset
  output logic                dm_req_o,
  output logic                dm_we_o,
  output logic [3:0]          dm_be_o,
  output logic [31:0]         dm_addr_o,
  output logic [31:0]         dm_wdata_o,
  input  logic [31:0]         dm_rdata_i,

  // DRAM requester (docs/chip.md, "RTL chip": the DRAM port)
  output logic                dram_req_valid_o,
  input  logic                dram_req_ready_i,
  output logic [31:0]         dram_req_addr_o,
  output logic                dram_req_we_o,
  output logic [3:0]          dram_req_be_o,
  output logic [31:0]         dram_req_wdata_o,
  input  logic                dram_rsp_valid_i,
  input  logic [31:0]         dram_rsp_rdata_i,

  // The tiles' backdoor ports (ttile_top), for tile tile_o
  output logic [Tw-1:0]       tile_o,
  input  logic [Tiles-1:0]    tile_busy_i,
  output logic                bk_we_o,
  output logic                bk_re_o,
  output logic [Aw-1:0]       bk_addr_o,
  output logic [Lanes*32-1:0] bk_wdata_o,
  input  logic [Lanes*32-1:0] bk_rdata_i,
  output logic                wb_we_o,
  output logic [Gw-1:0]       wb_addr_o,
  output logic [17:0]         wb_hdr_o,
  output logic [P*32-1:0]     wb_slots_o,
  output logic                gb_we_o,
  output logic                gb_re_o,
  output logic [Gw-1:0]       gb_addr_o,
  output logic [P*32-1:0]     gb_wdata_o,
  input  logic [P*32-1:0]     gb_rdata_i,

  output logic                busy_o,        // a descriptor queued or running

  // Observation (the harness's timeline): the running descriptor
  output logic                run_o,         // a descriptor is running
  output logic [31:0]         run_ctrl_o,
  output logic [31:0]         run_rows_o,
  output logic [31:0]         run_row_bytes_o
);

  // Field positions of dma.status (docs/registers.md).
  localparam int unsigned StatusQueuedLsb = tessera_map_pkg::DmaStatusQueuedLsb;
  localparam int unsigned StatusErrBit    = tessera_map_pkg::DmaStatusErrorLsb;
  localparam int unsigned StatusCodeLsb   = tessera_map_pkg::DmaStatusCodeLsb;

  localparam logic [2:0] KDram = 3'(tessera_map_pkg::DmaKindDram);
  localparam logic [2:0] KDmem = 3'(tessera_map_pkg::DmaKindDmem);
  localparam logic [2:0] KBank = 3'(tessera_map_pkg::DmaKindBank);
  localparam logic [2:0] KWbuf = 3'(tessera_map_pkg::DmaKindWbuf);
  localparam logic [2:0] KGbuf = 3'(tessera_map_pkg::DmaKindGbuf);
  localparam logic [1:0] MGather = 2'(tessera_map_pkg::DmaModeGather);
  localparam logic [1:0] MWload  = 2'(tessera_map_pkg::DmaModeWload);
  localparam int unsigned NKinds = 32'(tessera_map_pkg::DmaKindGbuf) + 1;
  localparam int unsigned NModes = 32'(tessera_map_pkg::DmaModeWload) + 1;

  localparam int unsigned Depth  = 4;
  localparam int unsigned NRegs  = 32'(tessera_map_pkg::DmaCtrlOffset) / 4 + 1;
  localparam int unsigned WlHalves = 2 + 2 * P;  // a group's row, flags, P columns; P values

  localparam int unsigned ISrcLo = 32'(tessera_map_pkg::DmaSrcLoOffset) / 4;
  localparam int unsigned ISrcHi = 32'(tessera_map_pkg::DmaSrcHiOffset) / 4;
  localparam int unsigned IDstLo = 32'(tessera_map_pkg::DmaDstLoOffset) / 4;
  localparam int unsigned IDstHi = 32'(tessera_map_pkg::DmaDstHiOffset) / 4;
  localparam int unsigned IAuxLo = 32'(tessera_map_pkg::DmaAuxLoOffset) / 4;
  localparam int unsigned IAuxHi = 32'(tessera_map_pkg::DmaAuxHiOffset) / 4;
  localparam int unsigned IRows  = 32'(tessera_map_pkg::DmaRowsOffset) / 4;
  localparam int unsigned IRowB  = 32'(tessera_map_pkg::DmaRowBytesOffset) / 4;
  localparam int unsigned ISStr  = 32'(tessera_map_pkg::DmaSrcStrideOffset) / 4;
  localparam int unsigned IDStr  = 32'(tessera_map_pkg::DmaDstStrideOffset) / 4;
  localparam int unsigned ICtrl  = 32'(tessera_map_pkg::DmaCtrlOffset) / 4;

  typedef struct packed {
    logic [63:0] src, dst, aux;
    logic [31:0] rows, row_bytes, src_stride, dst_stride, ctrl;
  } desc_t;

  // ---- ctrl fields (docs/registers.md, dma.ctrl) ----------------------------------------------------
  typedef struct packed {
    logic [4:0] lane0;
    logic       up;     // unpack16
    logic       pk;     // pack16
    logic       bc;     // broadcast
    logic [1:0] rsvd1;
    logic [5:0] dt;
    logic [1:0] rsvd0;
    logic [5:0] st;
    logic [1:0] mode;
    logic [2:0] dk;
    logic [2:0] sk;
  } ctrl_t;

  function automatic logic is_byte(logic [2:0] k);
    is_byte = k == KDram || k == KDmem;
  endfunction
  function automatic logic is_tile(logic [2:0] k);
    is_tile = k == KBank || k == KWbuf || k == KGbuf;
  endfunction
  function automatic logic [63:0] cap_of(logic [2:0] k);
    cap_of = k == KDram ? 64'(DramBytes) : 64'(DmemBytes);
  endfunction

  // Rows of len bytes at base + r * stride, r < rows, inside [0, cap).
  function automatic logic byte_fit(logic [63:0] base, logic [31:0] stride, logic [31:0] rows,
                                    logic [63:0] len, logic [63:0] cap);
    logic [63:0] last;
    logic [31:0] rm1;
    rm1  = rows - 32'd1;
    last = 64'(rm1) * 64'(stride);
    byte_fit = base <= cap && len <= cap && last <= cap && base + last <= cap - len;
  endfunction

  // Bank words of the rows of one side inside the lane banks.
  function automatic logic bank_fit(logic [63:0] a, logic [31:0] stride, logic [31:0] rows,
                                    logic [4:0] lane0, logic bcast, logic [63:0] words);
    logic [63:0] qmax, fin;
    logic [31:0] rm1, sw;
    rm1  = rows - 32'd1;
    sw   = stride >> 2;
    qmax = bcast ? 64'(rm1) : (64'(lane0) + 64'(rm1)) / 64'(Lanes);
    fin  = a + qmax * 64'(sw) + words;
    bank_fit = a < 64'(BankWords) && fin <= 64'(BankWords);
  endfunction


  // ---- Registers and queue --------------------------------------------------------------------------
  logic [31:0] regs_q [NRegs];
  desc_t       q_q [Depth];
  logic [1:0]  head_q;
  logic [2:0]  count_q;
  logic        error_q;
  logic [3:0]  code_q;
  logic [31:0] done_q;
  logic [63:0] bytes_q;
  logic [31:0] bytes_latch_q;

  desc_t       cand;
  logic [3:0]  cand_code;
  logic        is_read, is_write, full_write, reg_sel, ro_hit, wo_hit, hit;
  logic [31:0] widx, rdata;
  logic        do_start, do_clear, push, pop, run_err;
  logic [63:0] bytes_add;

  assign cand.src        = {regs_q[ISrcHi], regs_q[ISrcLo]};
  assign cand.dst        = {regs_q[IDstHi], regs_q[IDstLo]};
  assign cand.aux        = {regs_q[IAuxHi], regs_q[IAuxLo]};
  assign cand.rows       = regs_q[IRows];
  assign cand.row_bytes  = regs_q[IRowB];
  assign cand.src_stride = regs_q[ISStr];
  assign cand.dst_stride = regs_q[IDStr];
  assign cand.ctrl       = regs_q[ICtrl];

  // The checks of a start, on the descriptor registers.
  logic [2:0]  ck_sk, ck_dk;
  logic [1:0]  ck_mode;
  logic        ck_bc, ck_pk, ck_up;
  logic [63:0] ck_sb, ck_db, ck_sa, ck_da;
  logic [31:0] ck_half;
  logic [3:0]  ck_code;
  ctrl_t       ck_c;
  always_comb begin
    ck_c        = cand.ctrl;
    ck_sk       = ck_c.sk;
    ck_dk       = ck_c.dk;
    ck_mode     = ck_c.mode;
    ck_bc       = ck_c.bc;
    ck_pk       = ck_c.pk;
    ck_up       = ck_c.up;
    ck_half     = cand.row_bytes >> 1;
    ck_sb       = ck_up ? 64'(ck_half) : 64'(cand.row_bytes);
    ck_db       = ck_pk ? 64'(ck_half) : 64'(cand.row_bytes);
    ck_sa       = ck_up ? 64'd2 : 64'd4;
    ck_da       = ck_pk ? 64'd2 : 64'd4;
    ck_code     = 4'd0;
    // 2: kinds and mode
    if (32'(ck_sk) >= NKinds || 32'(ck_dk) >= NKinds || 32'(ck_mode) >= NModes) begin
      ck_code = 4'd2;
    end else if (ck_mode == MWload) begin
      if (ck_sk != KDram || ck_dk != KWbuf || ck_bc || ck_pk || ck_up) ck_code = 4'd2;
    end else begin
      if (ck_sk == KWbuf || ck_dk == KWbuf) ck_code = 4'd2;
      if (ck_mode == MGather && !is_byte(ck_sk)) ck_code = 4'd2;
      if (ck_pk && ck_up) ck_code = 4'd2;
      if (ck_pk && !is_byte(ck_dk)) ck_code = 4'd2;
      if (ck_up && !is_byte(ck_sk)) ck_code = 4'd2;
      if (ck_bc && ck_dk != KBank) ck_code = 4'd2;
    end
    // 3: tiles
    if (ck_code == 4'd0) begin
      if ((is_tile(ck_sk) && 32'(ck_c.st) >= Tiles) || (is_tile(ck_dk) && 32'(ck_c.dt) >= Tiles)) begin
        ck_code = 4'd3;
      end
    end
    // 5: alignment (a word side 4 bytes, a bf16 side 2)
    if (ck_code == 4'd0) begin
      if (ck_mode == MWload) begin
        if (cand.src[0] || cand.aux[0]) ck_code = 4'd5;
      end else begin
        if (cand.row_bytes[1:0] != 2'b00) ck_code = 4'd5;
        if (ck_sk == KBank && cand.src_stride[1:0] != 2'b00) ck_code = 4'd5;
        if (ck_dk == KBank && cand.dst_stride[1:0] != 2'b00) ck_code = 4'd5;
        if (is_byte(ck_sk) && ((cand.src % ck_sa) != 0 || (64'(cand.src_stride) % ck_sa) != 0)) ck_code = 4'd5;
        if (is_byte(ck_dk) && ((cand.dst % ck_da) != 0 || (64'(cand.dst_stride) % ck_da) != 0)) ck_code = 4'd5;
        if (ck_mode == MGather && cand.aux[1:0] != 2'b00) ck_code = 4'd5;
      end
    end
    // 4: ranges
    if (ck_code == 4'd0) begin
      if (cand.rows == 32'd0) begin
        ck_code = 4'd4;
      end else if (ck_mode == MWload) begin
        if (cand.dst >= 64'(Groups) || 64'(cand.rows) > 64'(Groups) - cand.dst) ck_code = 4'd4;
        if (!byte_fit(cand.src, 32'd0, 32'd1, 64'(4 + 2 * P) * 64'(cand.rows), 64'(DramBytes))) ck_code = 4'd4;
        if (!byte_fit(cand.aux, 32'd0, 32'd1, 64'(2 * P) * 64'(cand.rows), 64'(DramBytes))) ck_code = 4'd4;
      end else if (cand.row_bytes == 32'd0) begin
        ck_code = 4'd4;
      end else begin
        if (ck_mode == MGather) begin
          if (!byte_fit(cand.aux, 32'd0, 32'd1, 64'd4 * 64'(cand.rows), 64'(DramBytes))) ck_code = 4'd4;
        end else if (is_byte(ck_sk)) begin
          if (!byte_fit(cand.src, cand.src_stride, cand.rows, ck_sb, cap_of(ck_sk))) ck_code = 4'd4;
        end else if (ck_sk == KBank) begin
          if (!bank_fit(cand.src, cand.src_stride, cand.rows, ck_c.lane0, 1'b0, ck_sb >> 2)) ck_code = 4'd4;
        end else begin
          if (ck_sb != 64'(4 * P) || cand.src >= 64'(Groups) || 64'(cand.rows) > 64'(Groups) - cand.src) ck_code = 4'd4;
        end
        if (is_byte(ck_dk)) begin
          if (!byte_fit(cand.dst, cand.dst_stride, cand.rows, ck_db, cap_of(ck_dk))) ck_code = 4'd4;
        end else if (ck_dk == KBank) begin
          if (!bank_fit(cand.dst, cand.dst_stride, cand.rows, ck_c.lane0, ck_bc, ck_db >> 2)) ck_code = 4'd4;
        end else begin
          if (ck_db != 64'(4 * P) || cand.dst >= 64'(Groups) || 64'(cand.rows) > 64'(Groups) - cand.dst) ck_code = 4'd4;
        end
      end
    end
  end
  assign cand_code       = count_q == 3'(Depth) ? 4'd1 : ck_code;

  assign widx       = 32'(bus_addr_i[11:2]);
  assign reg_sel    = bus_addr_i[1:0] == 2'b00 && widx < NRegs;
  assign is_read    = bus_valid_i && bus_wstrb_i == 4'b0000;
  assign is_write   = bus_valid_i && bus_wstrb_i != 4'b0000;
  assign full_write = bus_wstrb_i == 4'b1111;
  assign ro_hit     = bus_addr_i == tessera_map_pkg::DmaStatusOffset ||
                      bus_addr_i == tessera_map_pkg::DmaDoneOffset ||
                      bus_addr_i == tessera_map_pkg::DmaDramBytesLoOffset ||
                      bus_addr_i == tessera_map_pkg::DmaDramBytesHiOffset;
  assign wo_hit     = bus_addr_i == tessera_map_pkg::DmaStartOffset ||
                      bus_addr_i == tessera_map_pkg::DmaClearOffset;
  assign hit        = reg_sel || ro_hit || wo_hit;

  always_comb begin
    rdata = '0;
    if (reg_sel) rdata = regs_q[widx[3:0]];
    if (bus_addr_i == tessera_map_pkg::DmaStatusOffset) begin
      rdata = 32'(count_q != 3'd0) | (32'(count_q) << StatusQueuedLsb) | (32'(error_q) << StatusErrBit) |
              (32'(code_q) << StatusCodeLsb);
    end
    if (bus_addr_i == tessera_map_pkg::DmaDoneOffset) rdata = done_q;
    if (bus_addr_i == tessera_map_pkg::DmaDramBytesLoOffset) rdata = bytes_q[31:0];
    if (bus_addr_i == tessera_map_pkg::DmaDramBytesHiOffset) rdata = bytes_latch_q;
  end

  assign bus_ready_o = bus_valid_i;
  assign bus_err_o   = bus_valid_i && (!hit || (is_write && (!full_write || ro_hit)) || (is_read && wo_hit));
  assign bus_rdata_o = (is_read && hit && !wo_hit) ? rdata : '0;
  assign do_start    = is_write && full_write && bus_addr_i == tessera_map_pkg::DmaStartOffset && bus_wdata_i[0];
  assign do_clear    = is_write && full_write && bus_addr_i == tessera_map_pkg::DmaClearOffset && bus_wdata_i[0];
  assign push        = do_start && cand_code == 4'd0;
  assign busy_o      = count_q != 3'd0;
  assign run_o           = state_q != StIdle;
  assign run_ctrl_o      = cur_q.ctrl;
  assign run_rows_o      = cur_q.rows;
  assign run_row_bytes_o = cur_q.row_bytes;

  // ---- Engine -------------------------------------------------------------------------------------
  typedef enum logic [3:0] {
    StIdle, StRow, StSrc, StDst, StMod, StNext, StWlRd, StWlWr, StDone
  } state_e;

  state_e      state_q, state_d;
  desc_t       cur_q;               // the running descriptor (queue head)
  logic [31:0] row_q, unit_q, nunits;
  logic [31:0] srow_q, drow_q, arow_q;  // row bases: bytes, bank words or gradient entries
  logic [63:0] gsrc;                    // gather: this row's source byte address
  logic        gvalid_q;
  logic [31:0] lane_q;
  logic [31:0] data_q;
  logic [Lanes*32-1:0] line_q;
  logic [P*32-1:0]     gline_q;
  logic [17:0]         hdr_q;
  logic [P*16-1:0]     col_q, val_q;
  logic                phase_q;         // access: 0 issue, 1 waiting for the answer

  logic [2:0]  sk, dk;
  logic [1:0]  mode;
  logic        bc, pk, up;
  ctrl_t       cc, hc;  // the running descriptor's ctrl, the queue head's
  desc_t       qh;      // the queue head
  assign qh     = q_q[head_q];
  assign cc     = cur_q.ctrl;
  assign hc     = qh.ctrl;
  assign sk     = cc.sk;
  assign dk     = cc.dk;
  assign mode   = cc.mode;
  assign bc     = cc.bc;
  assign pk     = cc.pk;
  assign up     = cc.up;
  assign nunits = cur_q.row_bytes >> 2;

  // The access of the current state.
  logic        acc_go, acc_we, acc_done;
  logic [2:0]  acc_kind;
  logic [31:0] acc_addr, acc_wdata;
  logic [3:0]  acc_be;
  logic [5:0]  acc_tile;
  logic [31:0] acc_rdata;   // DRAM / DMEM word
  logic [31:0] sbyte, dbyte, wl_addr;
  logic [31:0] wl_h;
  logic [15:0] half;

  assign sbyte   = srow_q + (up ? unit_q << 1 : unit_q << 2);
  assign dbyte   = drow_q + (pk ? unit_q << 1 : unit_q << 2);
  assign wl_h    = unit_q;
  assign wl_addr = wl_h < 32'(2 + P) ? srow_q + (wl_h << 1) : arow_q + ((wl_h - 32'(2 + P)) << 1);

  always_comb begin
    acc_go    = 1'b0;
    acc_we    = 1'b0;
    acc_kind  = KDram;
    acc_addr  = '0;
    acc_be    = 4'b1111;
    acc_wdata = '0;
    acc_tile  = '0;
    unique case (state_q)
      StRow: begin
        acc_go   = mode == MGather;
        acc_addr = cur_q.aux[31:0] + (row_q << 2);
      end
      StSrc: begin
        acc_go   = !(mode == MGather && !gvalid_q);
        acc_kind = sk;
        acc_tile = cc.st;
        if (is_byte(sk)) begin
          acc_addr = {sbyte[31:2], 2'b00};
          acc_be   = up ? (sbyte[1] ? 4'b1100 : 4'b0011) : 4'b1111;
        end else if (sk == KBank) begin
          acc_addr = srow_q + unit_q;
        end else begin
          acc_addr = srow_q;
        end
      end
      StDst: begin
        acc_go   = 1'b1;
        acc_kind = dk;
        acc_tile = cc.dt;
        // Byte sides and broadcast write at once; a lane or a slot is read first (StMod writes).
        acc_we   = is_byte(dk) || (dk == KBank && bc);
        if (is_byte(dk)) begin
          acc_addr  = {dbyte[31:2], 2'b00};
          acc_be    = pk ? (dbyte[1] ? 4'b1100 : 4'b0011) : 4'b1111;
          acc_wdata = pk ? {data_q[31:16], data_q[31:16]} : data_q;
        end else if (dk == KBank) begin
          acc_addr = drow_q + unit_q;
        end else begin
          acc_addr = drow_q;
        end
      end
      StMod: begin
        acc_go   = 1'b1;
        acc_we   = 1'b1;
        acc_kind = dk;
        acc_tile = cc.dt;
        acc_addr = dk == KBank ? drow_q + unit_q : drow_q;
      end
      StWlRd: begin
        acc_go   = 1'b1;
        acc_addr = {wl_addr[31:2], 2'b00};
        acc_be   = wl_addr[1] ? 4'b1100 : 4'b0011;
      end
      StWlWr: begin
        acc_go   = 1'b1;
        acc_we   = 1'b1;
        acc_kind = KWbuf;
        acc_tile = cc.dt;
        acc_addr = drow_q;
      end
      default: ;
    endcase
  end

  // Drive the endpoint ports and see when the access completes.
  logic tile_free;
  assign tile_o    = acc_tile[Tw-1:0];
  assign tile_free = !tile_busy_i[acc_tile[Tw-1:0]];

  always_comb begin
    dram_req_valid_o = 1'b0;
    dram_req_addr_o  = acc_addr;
    dram_req_we_o    = acc_we;
    dram_req_be_o    = acc_be;
    dram_req_wdata_o = acc_wdata;
    dm_req_o         = 1'b0;
    dm_we_o          = acc_we;
    dm_be_o          = acc_be;
    dm_addr_o        = acc_addr;
    dm_wdata_o       = acc_wdata;
    bk_we_o          = 1'b0;
    bk_re_o          = 1'b0;
    bk_addr_o        = acc_addr[Aw-1:0];
    bk_wdata_o       = (state_q == StDst) ? {Lanes{data_q}} : line_q;  // broadcast, or the RMW word
    wb_we_o          = 1'b0;
    wb_addr_o        = acc_addr[Gw-1:0];
    wb_hdr_o         = hdr_q;
    for (int p = 0; p < P; p++) wb_slots_o[32*p +: 32] = {col_q[16*p +: 16], val_q[16*p +: 16]};
    gb_we_o          = 1'b0;
    gb_re_o          = 1'b0;
    gb_addr_o        = acc_addr[Gw-1:0];
    gb_wdata_o       = gline_q;
    acc_done         = 1'b0;
    acc_rdata        = dram_rsp_rdata_i;
    if (acc_go) begin
      unique case (acc_kind)
        KDram: begin
          dram_req_valid_o = !phase_q;
          acc_done         = phase_q && dram_rsp_valid_i;
        end
        KDmem: begin
          dm_req_o  = !phase_q;
          acc_done  = acc_we || phase_q;
          acc_rdata = dm_rdata_i;
        end
        KBank: begin
          bk_we_o  = !phase_q && acc_we && tile_free;
          bk_re_o  = !phase_q && !acc_we && tile_free;
          acc_done = (acc_we && tile_free) || phase_q;
        end
        KGbuf: begin
          gb_we_o  = !phase_q && acc_we && tile_free;
          gb_re_o  = !phase_q && !acc_we && tile_free;
          acc_done = (acc_we && tile_free) || phase_q;
        end
        default: begin  // KWbuf: writes only
          wb_we_o  = tile_free;
          acc_done = tile_free;
        end
      endcase
    end
  end

  // The unit's source word once read (a lane of a bank word, a slot of a gradient entry, a word or
  // half at a byte address), as it goes to the destination.
  logic [31:0] src_word, src_unit;
  always_comb begin
    src_word = acc_rdata;
    if (sk == KBank) src_word = bk_rdata_i[32*lane_q[$clog2(Lanes > 1 ? Lanes : 2)-1:0] +: 32];
    if (sk == KGbuf) src_word = gb_rdata_i[32*unit_q[$clog2(P > 1 ? P : 2)-1:0] +: 32];
    src_unit = src_word;
    if (up) src_unit = {(sbyte[1] ? src_word[31:16] : src_word[15:0]), 16'h0000};
  end
  assign half = wl_addr[1] ? acc_rdata[31:16] : acc_rdata[15:0];

  // Gather: the row's source from its index (signed), inside the source endpoint or not.
  logic signed [31:0] gidx;
  logic [63:0]        goff;
  logic               gok;
  logic [31:0]        cur_half;
  assign cur_half = cur_q.row_bytes >> 1;
  assign gidx = signed'(acc_rdata);
  assign goff = 64'(unsigned'(gidx)) * 64'(cur_q.src_stride);
  assign gsrc = cur_q.src + goff;
  assign gok  = !gidx[31] && gsrc >= cur_q.src &&
                byte_fit(gsrc, 32'd0, 32'd1, up ? 64'(cur_half) : 64'(cur_q.row_bytes), cap_of(sk));

  // Row bases of a new descriptor and their step from one row to the next.
  function automatic logic [31:0] row_init(logic [2:0] k, logic [31:0] base, logic [31:0] stride,
                                           logic [4:0] lane0, logic bcast);
    row_init = (k == KBank && !bcast) ? base + (32'(lane0) / Lanes) * (stride >> 2) : base;
  endfunction
  function automatic logic [31:0] row_step(logic [2:0] k, logic [31:0] stride, logic bcast, logic wrap);
    if (is_byte(k)) row_step = stride;
    else if (k == KBank) row_step = (bcast || wrap) ? stride >> 2 : 32'd0;
    else row_step = 32'd1;  // gradient entries
  endfunction

  logic last_unit, last_row, lane_wrap;
  assign last_unit = unit_q + 32'd1 >= nunits;
  assign last_row  = row_q + 32'd1 >= cur_q.rows;
  assign lane_wrap = lane_q == 32'(Lanes - 1);

  always_comb begin
    state_d = state_q;
    unique case (state_q)
      StIdle:  if (count_q != 3'd0) state_d = hc.mode == MWload ? StWlRd : StRow;
      StRow:   if (mode != MGather || acc_done) state_d = StSrc;
      StSrc:   if (!acc_go || acc_done) state_d = StDst;
      StDst:   if (acc_done) state_d = acc_we ? StNext : StMod;
      StMod:   if (acc_done) state_d = StNext;
      StNext:  state_d = !last_unit ? StSrc : !last_row ? StRow : StDone;
      StWlRd:  if (acc_done && wl_h == 32'(WlHalves - 1)) state_d = StWlWr;
      StWlWr:  if (acc_done) state_d = last_row ? StDone : StWlRd;
      StDone:  state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end

  assign pop     = state_q == StDone;
  assign run_err = state_q == StRow && mode == MGather && acc_done && !gok;
  logic [2:0] be_bytes;
  assign be_bytes  = {2'b00, acc_be[0]} + {2'b00, acc_be[1]} + {2'b00, acc_be[2]} + {2'b00, acc_be[3]};
  assign bytes_add = (acc_go && acc_kind == KDram && acc_done) ? 64'(be_bytes) : 64'd0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NRegs; i++) regs_q[i] <= '0;
      for (int unsigned i = 0; i < Depth; i++) q_q[i] <= '0;
      head_q        <= '0;
      count_q       <= '0;
      error_q       <= 1'b0;
      code_q        <= '0;
      done_q        <= '0;
      bytes_q       <= '0;
      bytes_latch_q <= '0;
      state_q       <= StIdle;
      cur_q         <= '0;
      row_q         <= '0;
      unit_q        <= '0;
      srow_q        <= '0;
      drow_q        <= '0;
      arow_q        <= '0;
      gvalid_q      <= 1'b0;
      lane_q        <= '0;
      data_q        <= '0;
      line_q        <= '0;
      gline_q       <= '0;
      hdr_q         <= '0;
      col_q         <= '0;
      val_q         <= '0;
      phase_q       <= 1'b0;
    end else begin
      // Registers and queue
      if (is_write && full_write && reg_sel) regs_q[widx[3:0]] <= bus_wdata_i;
      if (is_read && bus_addr_i == tessera_map_pkg::DmaDramBytesLoOffset) bytes_latch_q <= bytes_q[63:32];
      if (push) q_q[2'(head_q + count_q[1:0])] <= cand;
      count_q <= count_q + 3'(push) - 3'(pop);
      if (pop) begin
        head_q <= head_q + 2'd1;
        done_q <= done_q + 32'd1;
      end
      if (do_clear) begin
        error_q <= 1'b0;
        code_q  <= '0;
      end else if ((do_start && cand_code != 4'd0) || run_err) begin
        if (!error_q) code_q <= (do_start && cand_code != 4'd0) ? cand_code : 4'd4;
        error_q <= 1'b1;
      end
      bytes_q <= bytes_q + bytes_add;

      // Access phase: an issued read (or DRAM write) waits for its answer
      if (acc_go && !acc_done) begin
        unique case (acc_kind)
          KDram:        if (dram_req_ready_i) phase_q <= 1'b1;
          KDmem:        phase_q <= 1'b1;
          KBank, KGbuf: if (tile_free) phase_q <= 1'b1;
          default: ;
        endcase
      end
      if (acc_done) phase_q <= 1'b0;

      state_q <= state_d;
      unique case (state_q)
        StIdle: begin
          if (count_q != 3'd0) begin
            cur_q  <= q_q[head_q];
            row_q  <= '0;
            unit_q <= '0;
            lane_q <= 32'(hc.lane0) % Lanes;
            srow_q <= row_init(hc.sk, qh.src[31:0], qh.src_stride,
                               hc.lane0, 1'b0);
            drow_q <= row_init(hc.dk, qh.dst[31:0], qh.dst_stride,
                               hc.lane0, hc.bc);
            arow_q <= qh.aux[31:0];
          end
        end
        StRow: begin
          if (mode == MGather && acc_done) begin
            gvalid_q <= gok;
            srow_q   <= gsrc[31:0];
          end
        end
        StSrc: begin
          if (!acc_go) data_q <= '0;
          else if (acc_done) data_q <= src_unit;
        end
        StDst: begin
          if (acc_done && !acc_we) begin
            // Replace this unit's lane (bank) or slot (gradient entry) of the word just read.
            line_q  <= bk_rdata_i;
            line_q[32*lane_q[$clog2(Lanes > 1 ? Lanes : 2)-1:0] +: 32] <= data_q;
            gline_q <= gb_rdata_i;
            gline_q[32*unit_q[$clog2(P > 1 ? P : 2)-1:0] +: 32] <= data_q;
          end
        end
        StNext: begin
          if (!last_unit) begin
            unit_q <= unit_q + 32'd1;
          end else begin
            unit_q <= '0;
            row_q  <= row_q + 32'd1;
            lane_q <= lane_wrap ? 32'd0 : lane_q + 32'd1;
            if (mode != MGather) srow_q <= srow_q + row_step(sk, cur_q.src_stride, 1'b0, lane_wrap);
            drow_q <= drow_q + row_step(dk, cur_q.dst_stride, bc, lane_wrap);
          end
        end
        StWlRd: begin
          if (acc_done) begin
            if (wl_h == 32'd0) hdr_q[15:0] <= half;
            else if (wl_h == 32'd1) hdr_q[17:16] <= half[1:0];
            for (int p = 0; p < P; p++) begin
              if (wl_h == 32'(2 + p)) col_q[16*p +: 16] <= half;
              if (wl_h == 32'(2 + P + p)) val_q[16*p +: 16] <= half;
            end
            unit_q <= wl_h == 32'(WlHalves - 1) ? 32'd0 : unit_q + 32'd1;
          end
        end
        StWlWr: begin
          if (acc_done) begin
            row_q  <= row_q + 32'd1;
            srow_q <= srow_q + 32'(4 + 2 * P);
            arow_q <= arow_q + 32'(2 * P);
            drow_q <= drow_q + 32'd1;
          end
        end
        default: ;
      endcase
    end
  end

  logic unused;
  assign unused = ^{widx[31:4], cur_q.dst[63:32], cur_q.aux[63:32], half[15:2], cc.rsvd0, cc.rsvd1,
                    hc.rsvd0, hc.rsvd1, hc.up, hc.pk, hc.st, hc.dt, cc.lane0, acc_tile, sbyte[0], dbyte[0],
                    wl_addr[0], ck_c.rsvd0, ck_c.rsvd1, qh.rows, qh.row_bytes};

endmodule
