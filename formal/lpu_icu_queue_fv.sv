// Formal environment of lpu_icu_queue: a free host, a free start/stop and free SYNC signals,
// constrained to what lpu_ctrl can present. The properties live in lpu_icu_queue (`ifdef FORMAL`).
//
// The instruction RAM starts with arbitrary contents and the host may write any word while the
// core is idle, so the solver picks the programs; whatever an IFETCH samples is free too (any
// vector on the stream), so appended words are arbitrary instructions as well. lpu_ctrl's guarantees, assumed here:
//   - reset in the first cycle only; run_i rises the cycle after start_i, start_i only while
//     idle, and a run may stop in any cycle (done or an error elsewhere), at the latest at the
//     end of a cycle in which this queue raises an error;
//   - QLEN saturates at QueueDepth and changes only while idle;
//   - the host reaches the RAM only while idle and not in the start cycle;
//   - release_i is the OR of every queue's NOTIFY (this one's included) in run cycles;
//   - deadlock_i only in run cycles, when this queue is parked or finished, and never together
//     with a release (a queue that fetches NOTIFY is neither).

module lpu_icu_queue_fv
  import lpu_isa_pkg::*;
#(
  parameter int unsigned QueueDepth = 4,
  parameter int unsigned NumLanes   = 8,  // FetchWords = 2 words per IFETCH
  localparam int unsigned EntryWidth = (QueueDepth > 1) ? $clog2(QueueDepth) : 1,
  localparam int unsigned LenWidth   = $clog2(QueueDepth + 1)
) (
  input logic                  clk_i,
  input logic                  start_req_i,
  input logic                  stop_req_i,
  input logic [LenWidth-1:0]   qlen_req_i,
  input logic                  qlen_we_i,
  input logic                  host_req_i,
  input logic                  host_we_i,
  input logic [EntryWidth-1:0] host_entry_i,
  input logic [31:0]           host_wdata_i,
  input logic [NumLanes-1:0][7:0] fetched_i,  // the vector an IFETCH samples
  input logic                  other_notify_i,
  input logic                  deadlock_req_i
);

  logic f_init = 1'b1;
  always_ff @(posedge clk_i) f_init <= 1'b0;

  logic                rst_ni;
  logic                start, run_q;
  logic [LenWidth-1:0] qlen_q;
  logic                notify, parked, finished;
  logic                dispatch_valid, issue_valid;
  logic [31:0]         dispatch_instr, issue_instr, host_rdata;
  logic                ifetch_dir, append;
  logic [4:0]          ifetch_stream;
  logic [EntryWidth-1:0] append_entry;
  logic [NumLanes-1:0][7:0] append_words;
  err_e                err;

  assign rst_ni = !f_init;
  assign start  = start_req_i && !run_q && !f_init;

  always_ff @(posedge clk_i) begin
    if (f_init) begin
      run_q  <= 1'b0;
      qlen_q <= '0;
    end else begin
      run_q <= start ? 1'b1 : ((stop_req_i || err != ERR_NONE) ? 1'b0 : run_q);
      if (qlen_we_i && !run_q && !start) begin
        qlen_q <= (int'(qlen_req_i) > QueueDepth) ? LenWidth'(QueueDepth) : qlen_req_i;
      end
    end
  end

  lpu_icu_queue #(
    .Kind       (UNIT_MEM),
    .AddrLimit  (8),
    .NumStreams (4),
    .NumLanes   (NumLanes),
    .QueueDepth (QueueDepth)
  ) u_dut (
    .clk_i,
    .rst_ni,
    .start_i          (start),
    .run_i            (run_q),
    .qlen_i           (qlen_q),
    .host_req_i       (host_req_i && !run_q && !start),
    .host_we_i,
    .host_entry_i,
    .host_wdata_i,
    .host_rdata_o     (host_rdata),
    .ifetch_dir_o     (ifetch_dir),
    .ifetch_stream_o  (ifetch_stream),
    .fetched_i,
    .dispatch_valid_o (dispatch_valid),
    .dispatch_instr_o (dispatch_instr),
`ifndef SYNTHESIS
    .issue_valid_o    (issue_valid),
    .issue_instr_o    (issue_instr),
    .append_o         (append),
    .append_entry_o   (append_entry),
    .append_words_o   (append_words),
`endif
    .release_i        (run_q && !start && (other_notify_i || notify)),
    .deadlock_i       (run_q && deadlock_req_i && (parked || finished) && !other_notify_i
                       && !notify),
    .notify_o         (notify),
    .parked_o         (parked),
    .finished_o       (finished),
    .err_o            (err)
  );

`ifdef SYNTHESIS
  assign issue_valid = 1'b0;
  assign issue_instr = '0;
  assign append = 1'b0;
  assign append_entry = '0;
  assign append_words = '0;
`endif
  logic unused;
  assign unused = ^{dispatch_valid, dispatch_instr, issue_valid, issue_instr, host_rdata, err,
                    ifetch_dir, ifetch_stream, append, append_entry, append_words};

endmodule
