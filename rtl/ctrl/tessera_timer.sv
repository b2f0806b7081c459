// Machine timer: a 64-bit cycle counter mtime and a compare register mtimecmp.
//
// Registers and offsets come from the generated tessera_map_pkg (spec/tessera.toml, block `timer`).
// mtime counts every cycle since reset; a write to either half replaces that half for the cycle of
// the write (the count continues from the written value). mtimecmp resets to all ones. The timer
// interrupt irq_o is high while mtime >= mtimecmp (unsigned 64-bit compare of the registers).
// Bus: the Tessera bus of docs/bus.md with zero wait states: bus_ready_o = bus_valid_i in the same
// cycle. Bus errors: any offset that names no register (all four registers are read/write).
// Only word accesses are meaningful; a narrower write updates the bytes its strobes name.
module tessera_timer (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Tessera bus (responder), offset within the block's region
  input  logic        bus_valid_i,
  output logic        bus_ready_o,
  input  logic [11:0] bus_addr_i,
  input  logic [3:0]  bus_wstrb_i,
  input  logic [31:0] bus_wdata_i,
  output logic [31:0] bus_rdata_o,
  output logic        bus_err_o,

  // Machine timer interrupt (level)
  output logic        irq_o
);

  logic [63:0] mtime_q, mtime_d;
  logic [63:0] mtimecmp_q, mtimecmp_d;
  logic [31:0] wmask;
  logic        is_write;

  assign is_write = |bus_wstrb_i;
  assign wmask = {{8{bus_wstrb_i[3]}}, {8{bus_wstrb_i[2]}}, {8{bus_wstrb_i[1]}}, {8{bus_wstrb_i[0]}}};

  always_comb begin
    mtime_d     = mtime_q + 64'd1;
    mtimecmp_d  = mtimecmp_q;
    bus_rdata_o = '0;
    bus_err_o   = 1'b0;
    if (bus_valid_i) begin
      unique case (bus_addr_i)
        tessera_map_pkg::TimerMtimeLoOffset: begin
          if (is_write) mtime_d[31:0] = (mtime_q[31:0] & ~wmask) | (bus_wdata_i & wmask);
          else bus_rdata_o = mtime_q[31:0];
        end
        tessera_map_pkg::TimerMtimeHiOffset: begin
          if (is_write) mtime_d[63:32] = (mtime_q[63:32] & ~wmask) | (bus_wdata_i & wmask);
          else bus_rdata_o = mtime_q[63:32];
        end
        tessera_map_pkg::TimerMtimecmpLoOffset: begin
          if (is_write) mtimecmp_d[31:0] = (mtimecmp_q[31:0] & ~wmask) | (bus_wdata_i & wmask);
          else bus_rdata_o = mtimecmp_q[31:0];
        end
        tessera_map_pkg::TimerMtimecmpHiOffset: begin
          if (is_write) mtimecmp_d[63:32] = (mtimecmp_q[63:32] & ~wmask) | (bus_wdata_i & wmask);
          else bus_rdata_o = mtimecmp_q[63:32];
        end
        default: bus_err_o = 1'b1;
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mtime_q    <= '0;
      mtimecmp_q <= {tessera_map_pkg::TimerMtimecmpHiReset, tessera_map_pkg::TimerMtimecmpLoReset};
    end else begin
      mtime_q    <= mtime_d;
      mtimecmp_q <= mtimecmp_d;
    end
  end

  assign bus_ready_o = bus_valid_i;
  assign irq_o       = mtime_q >= mtimecmp_q;

endmodule
