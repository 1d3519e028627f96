// tinylpu core: control, instruction queues, stream fabric, MXM, SXM, MEM and VXM slices.
//
// The slices sit in a row, west to east: MXM (position PosMxm = 0), SXM (PosSxm = 1), MEM
// slice i (PosMem0 + i), VXM (PosVxm, east of the last MEM slice), joined by the stream fabric.
// Queues are numbered mxmw (0), mxma (1), mem0 .. mem{NumMemSlices-1} (QueueMem0 ..), sxm
// (QueueSxm), then vxm0 .. vxm{VxmAlus-1} (QueueVxm0 ..); each feeds its slice through its
// dispatch register. The localparams below are the only place that numbers them.
// The host loads the queues and MEM words through a word-addressed 32-bit port, then writes
// CTRL.start; lpu_ctrl runs the core until every queue has finished plus four drain cycles (or
// the first error) and raises done.
// docs/architecture.md is the cycle-level contract; docs/isa.md has the encodings and the
// host map.

module lpu_top
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumLanes     = 16,
  parameter int unsigned NumStreams   = 16,
  parameter int unsigned NumMemSlices = 8,
  parameter int unsigned MemDepth     = 1024,
  parameter int unsigned MxmDim       = 16,
  parameter int unsigned AccDepth     = 64,
  parameter int unsigned QueueDepth   = 4096,
  parameter int unsigned VxmAlus      = 4
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        host_req_i,
  input  logic        host_we_i,
  input  logic [31:0] host_addr_i,
  input  logic [31:0] host_wdata_i,
  output logic [31:0] host_rdata_o,
  output logic        host_rvalid_o,
  output logic        busy_o,
  output logic        done_o
);

  localparam int unsigned QueueMxmw    = 0;
  localparam int unsigned QueueMxma    = 1;
  localparam int unsigned QueueMem0    = 2;
  localparam int unsigned QueueSxm     = QueueMem0 + NumMemSlices;
  localparam int unsigned QueueVxm0    = QueueSxm + 1;
  localparam int unsigned NumQueues    = QueueVxm0 + VxmAlus;
  localparam int unsigned PosMxm       = 0;
  localparam int unsigned PosSxm       = 1;
  localparam int unsigned PosMem0      = 2;
  localparam int unsigned PosVxm       = PosMem0 + NumMemSlices;
  localparam int unsigned NumPos       = PosVxm + 1;
  localparam int unsigned EntryWidth   = (QueueDepth > 1) ? $clog2(QueueDepth) : 1;
  localparam int unsigned LenWidth     = $clog2(QueueDepth + 1);
  localparam int unsigned MemAddrWidth = (MemDepth > 1) ? $clog2(MemDepth) : 1;
  localparam int unsigned NumChunks    = NumLanes / 4;
  localparam int unsigned ChunkWidth   = (NumChunks > 1) ? $clog2(NumChunks) : 1;
  localparam int unsigned CodeWidth    = 13;  // SECDED codeword of one MEM lane byte
  localparam int unsigned CorrWidth    = $clog2(5 * NumLanes + 1);

  /////////////
  // Control //
  /////////////

  logic [NumQueues-1:0]    queue_req;
  logic                    queue_we;
  logic [EntryWidth-1:0]   queue_entry;
  logic [31:0]             queue_wdata;
  logic [31:0]             queue_rdata [NumQueues];
  logic [NumMemSlices-1:0] mem_req;
  logic                    mem_we;
  logic [MemAddrWidth-1:0] mem_word;
  logic [ChunkWidth-1:0]   mem_chunk;
  logic [31:0]             mem_wdata;
  logic [31:0]             mem_rdata [NumMemSlices];
  logic                    start, run;
  logic [LenWidth-1:0]     qlen [NumQueues];
  logic [NumQueues-1:0]    finished;
  logic [NumQueues-1:0]    notify, parked;
  logic                    sync_release, sync_deadlock;
  err_e                    queue_err [NumQueues];  // the queues' issue checks
  err_e                    core_err  [NumQueues];  // with the errors the units raise
  logic [VxmAlus-1:0]      vxm_conflict;           // VXM ALUs driving one stream together
  err_e                    slice_err [NumMemSlices];
  logic [CodeWidth-1:0]    inject_mask;
  logic [3:0]              inject_lanes;
  logic [CorrWidth-1:0]    corrected [NumMemSlices];

  lpu_ctrl #(
    .NumQueues    (NumQueues),
    .NumLanes     (NumLanes),
    .NumStreams   (NumStreams),
    .NumMemSlices (NumMemSlices),
    .MemDepth     (MemDepth),
    .MxmDim       (MxmDim),
    .AccDepth     (AccDepth),
    .QueueDepth   (QueueDepth),
    .VxmAlus      (VxmAlus)
  ) u_ctrl (
    .clk_i,
    .rst_ni,
    .host_req_i,
    .host_we_i,
    .host_addr_i,
    .host_wdata_i,
    .host_rdata_o,
    .host_rvalid_o,
    .queue_req_o   (queue_req),
    .queue_we_o    (queue_we),
    .queue_entry_o (queue_entry),
    .queue_wdata_o (queue_wdata),
    .queue_rdata_i (queue_rdata),
    .mem_req_o     (mem_req),
    .mem_we_o      (mem_we),
    .mem_word_o    (mem_word),
    .mem_chunk_o   (mem_chunk),
    .mem_wdata_o   (mem_wdata),
    .mem_rdata_i   (mem_rdata),
    .inject_mask_o (inject_mask),
    .inject_lanes_o(inject_lanes),
    .corrected_i   (corrected),
    .start_o       (start),
    .run_o         (run),
    .qlen_o        (qlen),
    .finished_i    (finished),
    .notify_i      (notify),
    .parked_i      (parked),
    .release_o     (sync_release),
    .deadlock_o    (sync_deadlock),
    .err_i         (core_err),
    .busy_o,
    .done_o
  );

  ////////////
  // Queues //
  ////////////

  logic        dispatch_valid [NumQueues];
  logic [31:0] dispatch_instr [NumQueues];
`ifndef SYNTHESIS
  logic                     issue_valid    [NumQueues];  // for the tracer
  logic [31:0]              issue_instr    [NumQueues];
  logic                     append         [NumQueues];
  logic [EntryWidth-1:0]    append_entry   [NumQueues];
  logic [NumLanes-1:0][7:0] append_words   [NumQueues];
`endif

  // The stream fabric's view at every position (declared here: the queues sample it too).
  logic [NumLanes-1:0][7:0]   present   [NumPos][2][NumStreams];

  // IFETCH: each queue samples the stream it names at the position of its slice.
  logic                     ifetch_dir    [NumQueues];
  logic [4:0]               ifetch_stream [NumQueues];
  logic [NumLanes-1:0][7:0] fetched       [NumQueues];
  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;

  for (genvar q = 0; q < NumQueues; q++) begin : gen_queue
    localparam unit_e Kind = (q == QueueMxmw) ? UNIT_MXMW :
                             (q == QueueMxma) ? UNIT_MXMA :
                             (q == QueueSxm)  ? UNIT_SXM  :
                             (q >= QueueVxm0) ? UNIT_VXM  : UNIT_MEM;
    localparam int unsigned AddrLimit = (q == QueueMxma) ? AccDepth : MemDepth;
    // IFETCH samples the streams at the position of the queue's slice.
    localparam int unsigned Pos = (q == QueueMxmw || q == QueueMxma) ? PosMxm :
                                  (q == QueueSxm)                    ? PosSxm :
                                  (q >= QueueVxm0)                   ? PosVxm
                                                                     : PosMem0 + q - QueueMem0;

    assign fetched[q] = present[Pos][ifetch_dir[q]][StreamIdxWidth'(ifetch_stream[q])];

    lpu_icu_queue #(
      .Kind       (Kind),
      .AddrLimit  (AddrLimit),
      .NumStreams (NumStreams),
      .NumLanes   (NumLanes),
      .QueueDepth (QueueDepth),
      .HasPrev    (q > QueueVxm0)
    ) u_queue (
      .clk_i,
      .rst_ni,
      .start_i          (start),
      .run_i            (run),
      .qlen_i           (qlen[q]),
      .host_req_i       (queue_req[q]),
      .host_we_i        (queue_we),
      .host_entry_i     (queue_entry),
      .host_wdata_i     (queue_wdata),
      .host_rdata_o     (queue_rdata[q]),
      .ifetch_dir_o     (ifetch_dir[q]),
      .ifetch_stream_o  (ifetch_stream[q]),
      .fetched_i        (fetched[q]),
      .dispatch_valid_o (dispatch_valid[q]),
      .dispatch_instr_o (dispatch_instr[q]),
`ifndef SYNTHESIS
      .issue_valid_o    (issue_valid[q]),
      .issue_instr_o    (issue_instr[q]),
      .append_o         (append[q]),
      .append_entry_o   (append_entry[q]),
      .append_words_o   (append_words[q]),
`endif
      .release_i        (sync_release),
      .deadlock_i       (sync_deadlock),
      .notify_o         (notify[q]),
      .parked_o         (parked[q]),
      .finished_o       (finished[q]),
      .err_o            (queue_err[q])
    );
  end

  ///////////////////
  // Stream fabric //
  ///////////////////

  logic [1:0][NumStreams-1:0] drive     [NumPos];
  logic [NumLanes-1:0][7:0]   drive_data[NumPos][2][NumStreams];

  lpu_stream_fabric #(
    .NumPos     (NumPos),
    .NumStreams (NumStreams),
    .NumLanes   (NumLanes)
  ) u_streams (
    .clk_i,
    .rst_ni,
    .clear_i   (start),
    .drive_i   (drive),
    .data_i    (drive_data),
    .present_o (present)
  );

  /////////
  // MXM //
  /////////

`ifndef SYNTHESIS
  // The accumulator write, for the tracer.
  localparam int unsigned AccAddrWidth = (AccDepth > 1) ? $clog2(AccDepth) : 1;

  logic                    acc_we;
  logic [AccAddrWidth-1:0] acc_waddr;
  logic [MxmDim-1:0][31:0] acc_wdata;
`endif

  lpu_mxm #(
    .NumLanes   (NumLanes),
    .NumStreams (NumStreams),
    .MxmDim     (MxmDim),
    .AccDepth   (AccDepth)
  ) u_mxm (
    .clk_i,
    .rst_ni,
    .flush_i     (start),
    .w_valid_i   (dispatch_valid[QueueMxmw]),
    .w_instr_i   (dispatch_instr[QueueMxmw]),
    .a_valid_i   (dispatch_valid[QueueMxma]),
    .a_instr_i   (dispatch_instr[QueueMxma]),
`ifndef SYNTHESIS
    .acc_we_o    (acc_we),
    .acc_waddr_o (acc_waddr),
    .acc_wdata_o (acc_wdata),
`endif
    .present_i   (present[PosMxm]),
    .drive_o     (drive[PosMxm]),
    .data_o      (drive_data[PosMxm])
  );

  /////////
  // SXM //
  /////////

  err_e sxm_err;

  lpu_sxm #(
    .NumLanes   (NumLanes),
    .NumStreams (NumStreams)
  ) u_sxm (
    .clk_i,
    .rst_ni,
    .flush_i          (start),
    .run_i            (run),
    .dispatch_valid_i (dispatch_valid[QueueSxm]),
    .dispatch_instr_i (dispatch_instr[QueueSxm]),
    .present_i        (present[PosSxm]),
    .drive_o          (drive[PosSxm]),
    .data_o           (drive_data[PosSxm]),
    .err_o            (sxm_err)
  );

  // The SXM's, the MEM slices' and the VXM's errors (the latter two in run cycles) count as
  // their queues' (a VXM STREAM_CONFLICT on the queue of every ALU involved):
  // when the queue's own check fails in the same cycle, the lower code wins (as for one
  // instruction failing several checks).
  always_comb begin
    for (int unsigned q = 0; q < NumQueues; q++) begin
      core_err[q] = queue_err[q];
      if (q >= QueueMem0 && q < QueueMem0 + NumMemSlices && run && !start
          && slice_err[q - QueueMem0] != ERR_NONE
          && (queue_err[q] == ERR_NONE || slice_err[q - QueueMem0] < queue_err[q])) begin
        core_err[q] = slice_err[q - QueueMem0];
      end
      if (q >= QueueVxm0 && run && vxm_conflict[q - QueueVxm0]
          && (queue_err[q] == ERR_NONE || queue_err[q] > ERR_STREAM_CONFLICT)) begin
        core_err[q] = ERR_STREAM_CONFLICT;
      end
    end
    if (sxm_err != ERR_NONE && (queue_err[QueueSxm] == ERR_NONE || sxm_err < queue_err[QueueSxm]))
    begin
      core_err[QueueSxm] = sxm_err;
    end
  end

  ////////////////
  // MEM slices //
  ////////////////

`ifndef SYNTHESIS
  // The slices' stores, for the tracer.
  logic [3:0]               mem_tr_write        [NumMemSlices];
  logic [MemAddrWidth-1:0]  mem_tr_write_addr   [NumMemSlices];
  logic [NumLanes-1:0][7:0] mem_tr_write_data   [NumMemSlices][4];
  logic                     mem_tr_scatter      [NumMemSlices];
  logic [MemAddrWidth-1:0]  mem_tr_scatter_addr [NumMemSlices][NumLanes];
  logic [NumLanes-1:0][7:0] mem_tr_scatter_data [NumMemSlices];
`endif

  for (genvar i = 0; i < NumMemSlices; i++) begin : gen_mem
    lpu_mem_slice #(
      .NumLanes   (NumLanes),
      .NumStreams (NumStreams),
      .MemDepth   (MemDepth)
    ) u_mem (
      .clk_i,
      .rst_ni,
      .flush_i          (start),
      .dispatch_valid_i (dispatch_valid[QueueMem0 + i]),
      .dispatch_instr_i (dispatch_instr[QueueMem0 + i]),
      .host_req_i       (mem_req[i]),
      .host_we_i        (mem_we),
      .host_word_i      (mem_word),
      .host_chunk_i     (mem_chunk),
      .host_wdata_i     (mem_wdata),
      .host_rdata_o     (mem_rdata[i]),
      .inject_mask_i    (inject_mask),
      .inject_lanes_i   (inject_lanes),
      .present_i        (present[PosMem0 + i]),
      .drive_o          (drive[PosMem0 + i]),
      .data_o           (drive_data[PosMem0 + i]),
      .err_o            (slice_err[i]),
      .corrected_o      (corrected[i])
`ifndef SYNTHESIS
      ,
      .tr_write_o        (mem_tr_write[i]),
      .tr_write_addr_o   (mem_tr_write_addr[i]),
      .tr_write_data_o   (mem_tr_write_data[i]),
      .tr_scatter_o      (mem_tr_scatter[i]),
      .tr_scatter_addr_o (mem_tr_scatter_addr[i]),
      .tr_scatter_data_o (mem_tr_scatter_data[i])
`endif
    );
  end

  /////////
  // VXM //
  /////////

  logic        vxm_valid [VxmAlus];
  logic [31:0] vxm_instr [VxmAlus];
`ifndef SYNTHESIS
  logic                      vxm_we    [VxmAlus];
  logic [NumLanes-1:0][31:0] vxm_wdata [VxmAlus];
`endif

  for (genvar k = 0; k < VxmAlus; k++) begin : gen_vxm_dispatch
    assign vxm_valid[k] = dispatch_valid[QueueVxm0 + k];
    assign vxm_instr[k] = dispatch_instr[QueueVxm0 + k];
  end

  lpu_vxm #(
    .NumLanes   (NumLanes),
    .NumStreams (NumStreams),
    .VxmAlus    (VxmAlus)
  ) u_vxm (
    .clk_i,
    .rst_ni,
    .flush_i    (start),
    .valid_i    (vxm_valid),
    .instr_i    (vxm_instr),
    .conflict_o (vxm_conflict),
`ifndef SYNTHESIS
    .rwrite_o   (vxm_we),
    .rdata_o    (vxm_wdata),
`endif
    .present_i  (present[PosVxm]),
    .drive_o    (drive[PosVxm]),
    .data_o     (drive_data[PosVxm])
  );

  ////////////
  // Tracer //
  ////////////

`ifndef SYNTHESIS
  // Simulation only: reports every run cycle's issues, drives, writes and errors through DPI-C
  // (tb/rtl_trace.cc). The queue and MXM outputs it needs exist in simulation only, so
  // synthesis sees none of it.
  lpu_tracer #(
    .NumQueues    (NumQueues),
    .NumPos       (NumPos),
    .NumLanes     (NumLanes),
    .NumStreams   (NumStreams),
    .NumMemSlices (NumMemSlices),
    .MxmDim       (MxmDim),
    .AccDepth     (AccDepth),
    .MemDepth     (MemDepth),
    .QueueDepth   (QueueDepth),
    .VxmAlus      (VxmAlus)
  ) u_tracer (
    .clk_i,
    .rst_ni,
    .start_i          (start),
    .run_i            (run),
    .issue_valid_i    (issue_valid),
    .issue_instr_i    (issue_instr),
    .append_i         (append),
    .append_entry_i   (append_entry),
    .append_words_i   (append_words),
    .err_i            (core_err),
    .drive_i          (drive),
    .drive_data_i     (drive_data),
    .mem_write_i      (mem_tr_write),
    .mem_write_addr_i (mem_tr_write_addr),
    .mem_write_data_i (mem_tr_write_data),
    .scatter_i        (mem_tr_scatter),
    .scatter_addr_i   (mem_tr_scatter_addr),
    .scatter_data_i   (mem_tr_scatter_data),
    .corrected_i      (corrected),
    .acc_we_i         (acc_we),
    .acc_waddr_i      (acc_waddr),
    .acc_wdata_i      (acc_wdata),
    .vxm_we_i         (vxm_we),
    .vxm_wdata_i      (vxm_wdata)
  );
`endif

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (NumLanes % 4 == 0 && NumLanes >= 4)
      else $fatal(1, "lpu_top: NumLanes must be a positive multiple of 4");
    assert (NumStreams >= 4 && NumStreams <= 32)
      else $fatal(1, "lpu_top: NumStreams must be in 4..32 (5-bit stream field, ACC groups)");
    assert (MxmDim >= 1 && MxmDim <= NumLanes) else $fatal(1, "lpu_top: MxmDim > NumLanes");
    assert (NumMemSlices >= 1 && VxmAlus >= 1 && VxmAlus <= 16 && NumQueues <= 64)
      else $fatal(1, "lpu_top: need 1..16 VXM ALUs and at most 64 queues (MEM, sxm, vxm)");
    assert (MemDepth >= 4 && MemDepth <= 8192 && (MemDepth & (MemDepth - 1)) == 0)
      else $fatal(1, "lpu_top: MemDepth must be a power of two in 4..8192 (13-bit addr field)");
    assert (AccDepth >= 1 && AccDepth <= 8192)
      else $fatal(1, "lpu_top: AccDepth must be in 1..8192 (13-bit addr field)");
    assert (QueueDepth >= 2 && QueueDepth <= 65536 && (QueueDepth & (QueueDepth - 1)) == 0
            && QueueDepth >= NumLanes / 4)
      else $fatal(1, "lpu_top: QueueDepth must be a power of two in max(2, NumLanes/4)..65536");
  end

  // The core is never busy and done at once.
  assert property (@(posedge clk_i) disable iff (!rst_ni) !(busy_o && done_o))
    else $error("lpu_top: busy and done together");

  // Every host read answers in the next cycle, and nothing else answers.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   (host_req_i && !host_we_i) |=> host_rvalid_o)
    else $error("lpu_top: host read not answered");
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(host_req_i && !host_we_i) |=> !host_rvalid_o)
    else $error("lpu_top: spurious host_rvalid_o");
`endif

endmodule
