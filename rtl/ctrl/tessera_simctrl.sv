// Simulation-control register block: console, exit and a 64-bit cycle counter.
//
// Registers and offsets come from the generated tessera_map_pkg (spec/tessera.toml), named with the
// package prefix because Yosys 0.23 does not read `import`.
// Bus: the Tessera bus of docs/bus.md. This block answers every request one cycle after it sees
// it (one wait state): ready is high in the cycle after valid rises, for exactly one cycle.
// Bus errors: a read of a write-only register, a write of a read-only register, a console write
// without byte lane 0, and any offset that names no register.
module tessera_simctrl (
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

  // Side effects, each a one-cycle pulse in the cycle the write completes
  output logic        console_valid_o,
  output logic [7:0]  console_char_o,
  output logic        exit_valid_o,
  output logic [31:0] exit_code_o
);

  logic [63:0] cycle_q;
  logic [31:0] cycle_hi_q, cycle_hi_d;
  logic        ready_q, ready_d;
  logic [31:0] rdata_q, rdata_d;
  logic        err_q, err_d;
  logic        console_valid_d, exit_valid_d;
  logic [7:0]  console_char_d;
  logic [31:0] exit_code_d, strobed_wdata;
  logic        is_write;

  assign is_write = |bus_wstrb_i;
  assign strobed_wdata = bus_wdata_i & {{8{bus_wstrb_i[3]}}, {8{bus_wstrb_i[2]}},
                                        {8{bus_wstrb_i[1]}}, {8{bus_wstrb_i[0]}}};

  // A request is decoded in the cycle it is first seen; its response is registered.
  always_comb begin
    ready_d         = bus_valid_i && !ready_q;
    rdata_d         = '0;
    err_d           = 1'b0;
    cycle_hi_d      = cycle_hi_q;
    console_valid_d = 1'b0;
    console_char_d  = bus_wdata_i[7:0];
    exit_valid_d    = 1'b0;
    exit_code_d     = strobed_wdata;
    if (ready_d) begin
      unique case (bus_addr_i)
        tessera_map_pkg::SimctrlConsoleOffset: begin
          err_d           = !is_write || !bus_wstrb_i[0];
          console_valid_d = !err_d;
        end
        tessera_map_pkg::SimctrlExitOffset: begin
          err_d        = !is_write;
          exit_valid_d = is_write;
        end
        tessera_map_pkg::SimctrlCycleLoOffset: begin
          err_d = is_write;
          if (!is_write) begin
            rdata_d    = cycle_q[31:0];
            cycle_hi_d = cycle_q[63:32];
          end
        end
        tessera_map_pkg::SimctrlCycleHiOffset: begin
          err_d   = is_write;
          rdata_d = is_write ? '0 : cycle_hi_q;
        end
        default: err_d = 1'b1;
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cycle_q         <= '0;
      cycle_hi_q      <= '0;
      ready_q         <= 1'b0;
      rdata_q         <= '0;
      err_q           <= 1'b0;
      console_valid_o <= 1'b0;
      console_char_o  <= '0;
      exit_valid_o    <= 1'b0;
      exit_code_o     <= '0;
    end else begin
      cycle_q         <= cycle_q + 64'd1;
      cycle_hi_q      <= cycle_hi_d;
      ready_q         <= ready_d;
      rdata_q         <= rdata_d;
      err_q           <= err_d;
      console_valid_o <= console_valid_d;
      console_char_o  <= console_char_d;
      exit_valid_o    <= exit_valid_d;
      exit_code_o     <= exit_code_d;
    end
  end

  assign bus_ready_o = ready_q;
  assign bus_rdata_o = rdata_q;
  assign bus_err_o   = err_q;

endmodule
