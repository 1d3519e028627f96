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
//   lpu_trace_mem_write  each MEM slice WRITE stored at the end of the cycle, by slice: the
//                        WRITE in the slice's dispatch register stores the vector present on
//                        its stream at the slice's position;
//   lpu_trace_acc_write  the MXM accumulator write at the end of the cycle (MxmDim int32
//                        values, after forwarding);
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
  parameter int unsigned QueueMem0    = 2,
  parameter int unsigned PosMem0      = 2,
  parameter int unsigned QueueMxmw    = 0,
  parameter int unsigned QueueMxma    = 1,
  parameter int unsigned QueueSxm     = 10,
  parameter int unsigned NumLanes     = 16,
  parameter int unsigned NumStreams   = 16,
  parameter int unsigned NumMemSlices = 8,
  parameter int unsigned MxmDim       = 16,
  parameter int unsigned AccDepth     = 64,
  localparam int unsigned AccAddrWidth = (AccDepth > 1) ? $clog2(AccDepth) : 1
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,

  // Run control
  input  logic                         start_i,  // the cycle before run cycle 0
  input  logic                         run_i,    // a run cycle

  // Queues: the word entering each dispatch register, the dispatch registers and the errors
  input  logic                         issue_valid_i    [NumQueues],
  input  logic [31:0]                  issue_instr_i    [NumQueues],
  input  logic                         dispatch_valid_i [NumQueues],
  input  logic [31:0]                  dispatch_instr_i [NumQueues],
  input  err_e                         err_i            [NumQueues],

  // Stream fabric: what each position drives and what is present there
  input  logic [1:0][NumStreams-1:0]   drive_i      [NumPos],
  input  logic [NumLanes-1:0][7:0]     drive_data_i [NumPos][2][NumStreams],
  input  logic [NumLanes-1:0][7:0]     present_i    [NumPos][2][NumStreams],

  // MXM accumulator write port
  input  logic                         acc_we_i,
  input  logic [AccAddrWidth-1:0]      acc_waddr_i,
  input  logic [MxmDim-1:0][31:0]      acc_wdata_i
);

  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;

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

  // MEM slice i writes in this cycle when a WRITE is in its queue's dispatch register.
  instr_addr_t mem_instr [NumMemSlices];
  logic        mem_write [NumMemSlices];

  always_comb begin
    for (int unsigned i = 0; i < NumMemSlices; i++) begin
      mem_instr[i] = instr_addr_t'(dispatch_instr_i[QueueMem0 + i]);
      mem_write[i] = dispatch_valid_i[QueueMem0 + i] && (mem_instr[i].op == OP_WRITE);
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
        if (mem_write[i]) begin
          report_mem_write(i, int'(mem_instr[i].addr),
                           present_i[PosMem0 + i][mem_instr[i].dir]
                                    [StreamIdxWidth'(mem_instr[i].stream)]);
        end
      end
      if (acc_we_i) begin
        report_acc_write(int'(acc_waddr_i), acc_wdata_i);
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

  // The observed mxmw, mxma and sxm dispatch registers (their effects are traced as drives,
  // accumulator writes and errors), and the MEM operand fields that do not take part in a
  // write.
  logic unused_dispatch;
  always_comb begin
    unused_dispatch = dispatch_valid_i[QueueMxmw] ^ dispatch_valid_i[QueueMxma]
                      ^ dispatch_valid_i[QueueSxm] ^ (^dispatch_instr_i[QueueMxmw])
                      ^ (^dispatch_instr_i[QueueMxma]) ^ (^dispatch_instr_i[QueueSxm]);
    for (int unsigned i = 0; i < NumMemSlices; i++) begin
      unused_dispatch ^= ^{mem_instr[i].stride, mem_instr[i].flag};
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
