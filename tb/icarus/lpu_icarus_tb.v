// Icarus Verilog test bench: replays a host-port script against lpu_top (as converted to plain
// Verilog by tb/icarus/run_icarus.sh) and checks every read against the value Verilator gave.
//
// The script (+script=FILE) holds three hex 32-bit words per line, one host action, recorded by
// `icarus_script` from a run of the Verilated core: op 1 = write (addr, data, one cycle),
// op 2 = read (addr, expected data; the request cycle, data valid after it), op 3 = idle cycles
// (count in the data word), op 0 = end. Inputs change on the falling clock edge, outputs are
// sampled after the rising edge, the same cycle structure as tb/rtl_sim.cc. The simulation is
// four-state: a read that returns X or Z counts as a mismatch. The last line printed is
//   icarus: <reads> reads, <mismatches> mismatches, <cycles> cycles
// and the process exits with status 1 when anything mismatched.

`timescale 1ns / 1ps

module lpu_icarus_tb;

  reg         clk = 1'b0;
  reg         rst_n = 1'b0;
  reg         req = 1'b0;
  reg         we = 1'b0;
  reg  [31:0] addr = 32'd0;
  reg  [31:0] wdata = 32'd0;
  wire [31:0] rdata;
  wire        rvalid, busy, done;

  reg  [1023:0] script_path;
  reg  [31:0] op, op_addr, op_data;
  integer     fd, fields, line, reads, mismatches, idle, verbose;
  reg  [63:0] cycles;

  lpu_top dut (
    .clk_i        (clk),
    .rst_ni       (rst_n),
    .host_req_i   (req),
    .host_we_i    (we),
    .host_addr_i  (addr),
    .host_wdata_i (wdata),
    .host_rdata_o (rdata),
    .host_rvalid_o(rvalid),
    .busy_o       (busy),
    .done_o       (done)
  );

  always #5 clk = !clk;

  always @(posedge clk) cycles <= cycles + 64'd1;

  // One clock cycle: the inputs are set (clock low), the rising edge, then the falling edge.
  task cycle;
    begin
      @(posedge clk);
      #1;
    end
  endtask

  initial begin
    cycles = 64'd0;
    if (!$value$plusargs("script=%s", script_path)) begin
      $display("icarus: no +script=FILE");
      $finish(1);
    end
    verbose = $test$plusargs("verbose");
    fd = $fopen(script_path, "r");
    if (fd == 0) begin
      $display("icarus: cannot open %0s", script_path);
      $finish(1);
    end
    reads = 0;
    mismatches = 0;
    // Reset: two cycles low, then one cycle high before the first host action.
    cycle;
    cycle;
    @(negedge clk) rst_n = 1'b1;
    cycle;
    line = 0;
    @(negedge clk);
    fields = $fscanf(fd, "%h %h %h\n", op, op_addr, op_data);
    while (fields == 3 && op !== 32'd0) begin
      // Each action is whole cycles; the next one's inputs are set at the falling edge after.
      line = line + 1;
      case (op)
        32'd1: begin
          req = 1'b1; we = 1'b1; addr = op_addr; wdata = op_data;
          cycle;
        end
        32'd2: begin
          req = 1'b1; we = 1'b0; addr = op_addr;
          cycle;
          reads = reads + 1;
          if (rvalid !== 1'b1 || rdata !== op_data) begin
            mismatches = mismatches + 1;
            if (mismatches <= 10 || verbose)
              $display("icarus: line %0d: read %h gave %h (valid %b), Verilator gave %h", line,
                       op_addr, rdata, rvalid, op_data);
          end
        end
        32'd3: begin
          for (idle = 0; idle < op_data; idle = idle + 1) cycle;
        end
        default: begin
          $display("icarus: bad script op %h on line %0d", op, line);
          $finish(1);
        end
      endcase
      @(negedge clk);
      req = 1'b0; we = 1'b0;
      fields = $fscanf(fd, "%h %h %h\n", op, op_addr, op_data);
    end
    if (fields != 3) begin
      $display("icarus: the script ends without its end line (after line %0d)", line);
      mismatches = mismatches + 1;
    end
    $display("icarus: %0d reads, %0d mismatches, %0d cycles", reads, mismatches, cycles);
    if (mismatches != 0) $finish(1);
    $finish(0);
  end

endmodule
