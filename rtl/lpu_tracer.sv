// Simulation-only tracer: reports what the core does in every run cycle through DPI-C calls.
//
// lpu_top instantiates it outside synthesis (`ifndef SYNTHESIS`); like Ibex's ibex_tracer it
// only observes, through its input ports. At every rising clock edge that ends a run cycle
// (a cycle CYCLES counts) it reports that cycle's events, in this order, to the C++ harness
// (tb/rtl_trace.cc), which collects them into a CycleTrace (sw/core/trace.h):
//
//   lpu_trace_issue      each queue that issued: the word entering its dispatch register
//                        (re-issues carry the strided addr), by queue;
//   lpu_trace_drive      each stream a slice drives, by (position, direction, stream):
//                        out[dir][pos][stream] = lanes;
//   lpu_trace_append     each queue into which an IFETCH appends at the end of the cycle: the
//                        first entry's slot and the sampled vector (NumLanes/4 words);
//   lpu_trace_mem_write  each MEM slice WRITE stored at the end of the cycle, by slice (the
//                        slice reports what it stores; a BANK_CONFLICT stores nothing);
//   lpu_trace_scatter    each MEM slice SCATTER stored at the end of the cycle: per lane the
//                        word address and the byte;
//   lpu_trace_ecc        the lane bytes SECDED corrected in the cycle (when any);
//   lpu_trace_acc_write  the MXM accumulator write at the end of the cycle (MxmDim int32
//                        values, after forwarding);
//   lpu_trace_vxm_write  each VXM ALU's result register write at the end of the cycle, by ALU
//                        (NumLanes 32-bit values);
//   lpu_trace_error      the error raised in the cycle, by the lowest-numbered failing queue;
//   lpu_trace_cycle      the end of the cycle, with its number (the CYCLES count, from 0).
//
// Everything is gated by `lpu_trace_enabled()`, asked once per run cycle: with no trace sink
// the tracer costs one DPI call per run cycle. The cycle counter restarts with each run
// (`start_i`) and counts the run cycles (`run_i`), exactly as CYCLES does.

module lpu_tracer
  import lpu_isa_pkg::*;
#(
  // Floorplan and queue numbering, from lpu_top.
  parameter int unsigned NumQueues    = 11,
  parameter int unsigned NumPos       = 10,
  parameter int unsigned NumLanes     = 16,
  parameter int unsigned NumStreams   = 16,
  parameter int unsigned NumMemSlices = 8,
  parameter int unsigned MxmDim       = 16,
  parameter int unsigned AccDepth     = 64,
  parameter int unsigned MemDepth     = 1024,
  parameter int unsigned QueueDepth   = 512,
  parameter int unsigned VxmAlus      = 4,
  localparam int unsigned AccAddrWidth = (AccDepth > 1) ? $clog2(AccDepth) : 1,
  localparam int unsigned MemAddrWidth = (MemDepth > 1) ? $clog2(MemDepth) : 1,
  localparam int unsigned EntryWidth   = (QueueDepth > 1) ? $clog2(QueueDepth) : 1,
  localparam int unsigned CorrWidth    = $clog2(5 * NumLanes + 1)
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,

  // Run control
  input  logic                         start_i,  // the cycle before run cycle 0
  input  logic                         run_i,    // a run cycle

  // Queues: the word entering each dispatch register, IFETCH appends and the errors
  input  logic                         issue_valid_i    [NumQueues],
  input  logic [31:0]                  issue_instr_i    [NumQueues],
  input  logic                         append_i         [NumQueues],
  input  logic [EntryWidth-1:0]        append_entry_i   [NumQueues],
  input  logic [NumLanes-1:0][7:0]     append_words_i   [NumQueues],
  input  err_e                         err_i            [NumQueues],

  // Stream fabric: what each position drives
  input  logic [1:0][NumStreams-1:0]   drive_i      [NumPos],
  input  logic [NumLanes-1:0][7:0]     drive_data_i [NumPos][2][NumStreams],

  // MEM slices: WRITE and SCATTER stores and ECC corrections
  input  logic [3:0]                   mem_write_i      [NumMemSlices],  // words base + j
  input  logic [MemAddrWidth-1:0]      mem_write_addr_i [NumMemSlices],  // base (a quad's)
  input  logic [NumLanes-1:0][7:0]     mem_write_data_i [NumMemSlices][4],
  input  logic                         scatter_i        [NumMemSlices],
  input  logic [MemAddrWidth-1:0]      scatter_addr_i   [NumMemSlices][NumLanes],
  input  logic [NumLanes-1:0][7:0]     scatter_data_i   [NumMemSlices],
  input  logic [CorrWidth-1:0]         corrected_i      [NumMemSlices],

  // MXM accumulator write port
  input  logic                         acc_we_i,
  input  logic [AccAddrWidth-1:0]      acc_waddr_i,
  input  logic [MxmDim-1:0][31:0]      acc_wdata_i,

  // VXM result register writes
  input  logic                         vxm_we_i    [VxmAlus],
  input  logic [NumLanes-1:0][31:0]    vxm_wdata_i [VxmAlus]
);


  /////////
  // DPI //
  /////////

  // Implemented once in tb/rtl_trace.cc for every Verilated configuration; the data arguments
  // are open arrays so that the C signatures do not depend on the parameters.
  import "DPI-C" function bit  lpu_trace_enabled();
  import "DPI-C" function void lpu_trace_issue(input int queue_idx, input int unsigned word);
  import "DPI-C" function void lpu_trace_drive(input int pos, input int dir, input int stream,
                                               input byte unsigned lanes[]);
  import "DPI-C" function void lpu_trace_mem_write(input int slice, input int addr,
                                                   input byte unsigned lanes[]);
  import "DPI-C" function void lpu_trace_acc_write(input int addr, input int values[]);
  import "DPI-C" function void lpu_trace_append(input int queue_idx, input int entry,
                                                input int unsigned words[]);
  import "DPI-C" function void lpu_trace_scatter(input int slice, input int addrs[],
                                                 input byte unsigned lanes[]);
  import "DPI-C" function void lpu_trace_ecc(input int corrected);
  import "DPI-C" function void lpu_trace_vxm_write(input int alu, input int values[]);
  import "DPI-C" function void lpu_trace_error(input int code, input int queue_idx);
  import "DPI-C" function void lpu_trace_cycle(input longint cycle);

  function automatic void report_drive(int pos, int dir, int stream,
                                       logic [NumLanes-1:0][7:0] data);
    byte unsigned lanes [NumLanes];
    for (int unsigned l = 0; l < NumLanes; l++) begin
      lanes[l] = data[l];
    end
    lpu_trace_drive(pos, dir, stream, lanes);
  endfunction

  function automatic void report_mem_write(int slice, int addr, logic [NumLanes-1:0][7:0] data);
    byte unsigned lanes [NumLanes];
    for (int unsigned l = 0; l < NumLanes; l++) begin
      lanes[l] = data[l];
    end
    lpu_trace_mem_write(slice, addr, lanes);
  endfunction

  function automatic void report_acc_write(int addr, logic [MxmDim-1:0][31:0] data);
    int values [MxmDim];
    for (int unsigned n = 0; n < MxmDim; n++) begin
      values[n] = data[n];
    end
    lpu_trace_acc_write(addr, values);
  endfunction

  function automatic void report_append(int queue_idx, int entry,
                                        logic [NumLanes-1:0][7:0] data);
    int unsigned words [NumLanes / 4];
    for (int unsigned j = 0; j < NumLanes / 4; j++) begin
      words[j] = data[4 * j +: 4];
    end
    lpu_trace_append(queue_idx, entry, words);
  endfunction

  function automatic void report_scatter(int slice, logic [MemAddrWidth-1:0] addr [NumLanes],
                                         logic [NumLanes-1:0][7:0] data);
    int           addrs [NumLanes];
    byte unsigned lanes [NumLanes];
    for (int unsigned l = 0; l < NumLanes; l++) begin
      addrs[l] = int'(addr[l]);
      lanes[l] = data[l];
    end
    lpu_trace_scatter(slice, addrs, lanes);
  endfunction

  function automatic void report_vxm_write(int alu, logic [NumLanes-1:0][31:0] data);
    int values [NumLanes];
    for (int unsigned l = 0; l < NumLanes; l++) begin
      values[l] = data[l];
    end
    lpu_trace_vxm_write(alu, values);
  endfunction

  ///////////
  // Cycle //
  ///////////

  logic [63:0] cycle_d, cycle_q;

  assign cycle_d = start_i ? '0 :
                   run_i   ? cycle_q + 64'd1 : cycle_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cycle_q <= '0;
    end else begin
      cycle_q <= cycle_d;
    end
  end

  ////////////
  // Report //
  ////////////

  int corrected;
  always_comb begin
    corrected = 0;
    for (int unsigned i = 0; i < NumMemSlices; i++) begin
      corrected += int'(corrected_i[i]);
    end
  end

  // The events of the run cycle that ends at this edge, in the order the trace sorts them.
  always_ff @(posedge clk_i) begin
    if (run_i && lpu_trace_enabled()) begin
      for (int q = 0; q < int'(NumQueues); q++) begin
        if (issue_valid_i[q]) begin
          lpu_trace_issue(q, issue_instr_i[q]);
        end
      end
      for (int q = 0; q < int'(NumQueues); q++) begin
        if (append_i[q]) begin
          report_append(q, int'(append_entry_i[q]), append_words_i[q]);
        end
      end
      for (int p = 0; p < int'(NumPos); p++) begin
        for (int d = 0; d < 2; d++) begin
          for (int s = 0; s < int'(NumStreams); s++) begin
            if (drive_i[p][d][s]) begin
              report_drive(p, d, s, drive_data_i[p][d][s]);
            end
          end
        end
      end
      for (int i = 0; i < int'(NumMemSlices); i++) begin
        for (int j = 0; j < 4; j++) begin
          if (mem_write_i[i][j]) begin
            report_mem_write(i, int'(mem_write_addr_i[i]) + j, mem_write_data_i[i][j]);
          end
        end
        if (scatter_i[i]) begin
          report_scatter(i, scatter_addr_i[i], scatter_data_i[i]);
        end
      end
      if (acc_we_i) begin
        report_acc_write(int'(acc_waddr_i), acc_wdata_i);
      end
      if (corrected != 0) begin
        lpu_trace_ecc(corrected);
      end
      for (int k = 0; k < int'(VxmAlus); k++) begin
        if (vxm_we_i[k]) begin
          report_vxm_write(k, vxm_wdata_i[k]);
        end
      end
      for (int q = 0; q < int'(NumQueues); q++) begin
        if (err_i[q] != ERR_NONE) begin
          lpu_trace_error(int'(err_i[q]), q);
          break;
        end
      end
      lpu_trace_cycle(cycle_q);
    end
  end

  ////////////////
  // Assertions //
  ////////////////

  // The cycle counter restarts with every run, as CYCLES does.
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |=> cycle_q == '0)
    else $error("lpu_tracer: cycle counter did not restart");

  // Queues issue and raise errors only in run cycles, so the trace misses none of them.
  for (genvar q = 0; q < NumQueues; q++) begin : gen_queue_check
    assert property (@(posedge clk_i) disable iff (!rst_ni)
                     issue_valid_i[q] || err_i[q] != ERR_NONE |-> run_i)
      else $error("lpu_tracer: queue %0d active outside a run", q);
  end
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |-> !run_i)
    else $error("lpu_tracer: start inside a run");

endmodule
