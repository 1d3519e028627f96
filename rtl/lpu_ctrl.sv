// Control block: host register file, host address decode and run control.
//
// Host port. Every request is decoded here: REG accesses hit the registers below; QUEUE and
// MEM accesses are forwarded to the addressed queue RAM or MEM slice, but only while the core
// is idle and only inside the configured sizes (otherwise writes are dropped and reads return
// 0). A read request in cycle x answers in cycle x+1 (`host_rvalid_o`): register reads are
// captured in x, RAM reads come from the RAMs' output registers, selected by the decode
// remembered from cycle x.
//
// Run control. Writing CTRL bit 0 while idle is the start cycle: `start_o` rewinds the queues
// and clears the streams, and CYCLES, STATUS and the error registers are cleared. The next
// cycle is run cycle 0. In each run cycle CYCLES counts up; once every queue reports
// `finished_i` (cycle F) the core runs DrainCycles more cycles and stops with STATUS.done, so a
// clean run lasts exactly F + DrainCycles cycles. If any queue raises an error in a run cycle,
// the lowest-numbered such queue's error code, the run cycle and the queue index are latched,
// and the core stops at the end of that cycle with done set.
//
// ECC. ECC_CORRECTED adds up the lane bytes the MEM slices corrected in each cycle (READ,
// GATHER and host reads alike) and is cleared by a start. ECC_INJECT (a test feature) holds a
// codeword XOR mask and a lane select that every host MEM write applies (see lpu_mem_slice).
//
// SYNC / NOTIFY. `release_o` is the OR of the queues' `notify_i` in this cycle: every parked
// queue fetches again in the next cycle. `deadlock_o` is raised when at least one queue is
// parked and every other queue has finished or is parked, so no NOTIFY can come; the parked
// queues then report SYNC_DEADLOCK and the lowest one is latched like any error.

module lpu_ctrl
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumQueues    = 15,  // set by lpu_top: mxmw, mxma, MEM, sxm, vxm
  parameter int unsigned NumLanes     = 16,
  parameter int unsigned NumStreams   = 16,
  parameter int unsigned NumMemSlices = 8,
  parameter int unsigned MemDepth     = 1024,
  parameter int unsigned MxmDim       = 16,
  parameter int unsigned AccDepth     = 64,
  parameter int unsigned QueueDepth   = 512,
  parameter int unsigned VxmAlus      = 4,
  localparam int unsigned EntryWidth   = (QueueDepth > 1) ? $clog2(QueueDepth) : 1,
  localparam int unsigned LenWidth     = $clog2(QueueDepth + 1),
  localparam int unsigned MemAddrWidth = (MemDepth > 1) ? $clog2(MemDepth) : 1,
  localparam int unsigned NumChunks    = NumLanes / 4,
  localparam int unsigned ChunkWidth   = (NumChunks > 1) ? $clog2(NumChunks) : 1,
  localparam int unsigned CodeWidth    = 13,  // SECDED codeword of one lane byte
  localparam int unsigned CorrWidth    = $clog2(5 * NumLanes + 1)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,

  // Host port
  input  logic                          host_req_i,
  input  logic                          host_we_i,
  input  logic [31:0]                   host_addr_i,
  input  logic [31:0]                   host_wdata_i,
  output logic [31:0]                   host_rdata_o,
  output logic                          host_rvalid_o,

  // Queue RAMs (shared request fields, one select per queue)
  output logic [NumQueues-1:0]          queue_req_o,
  output logic                          queue_we_o,
  output logic [EntryWidth-1:0]         queue_entry_o,
  output logic [31:0]                   queue_wdata_o,
  input  logic [31:0]                   queue_rdata_i [NumQueues],

  // MEM slice SRAMs (shared request fields, one select per slice)
  output logic [NumMemSlices-1:0]       mem_req_o,
  output logic                          mem_we_o,
  output logic [MemAddrWidth-1:0]       mem_word_o,
  output logic [ChunkWidth-1:0]         mem_chunk_o,
  output logic [31:0]                   mem_wdata_o,
  input  logic [31:0]                   mem_rdata_i [NumMemSlices],
  output logic [CodeWidth-1:0]          inject_mask_o,
  output logic [3:0]                    inject_lanes_o,
  input  logic [CorrWidth-1:0]          corrected_i [NumMemSlices],

  // Queues
  output logic                          start_o,
  output logic                          run_o,
  output logic [LenWidth-1:0]           qlen_o [NumQueues],
  input  logic [NumQueues-1:0]          finished_i,
  input  logic [NumQueues-1:0]          notify_i,
  input  logic [NumQueues-1:0]          parked_i,
  output logic                          release_o,
  output logic                          deadlock_o,
  input  err_e                          err_i [NumQueues],

  // Status
  output logic                          busy_o,
  output logic                          done_o
);

  localparam int unsigned QueueIdxWidth = (NumQueues > 1) ? $clog2(NumQueues) : 1;
  localparam int unsigned DrainWidth    = (DrainCycles > 1) ? $clog2(DrainCycles) : 1;
  localparam int unsigned MaxQlenRegs   = 64;  // size of the QLEN register window
  localparam int unsigned SelIdxWidth   =
      (NumQueues > NumMemSlices) ? QueueIdxWidth
                                 : ((NumMemSlices > 1) ? $clog2(NumMemSlices) : 1);

  // Where the data of a read answered in the next cycle comes from.
  typedef enum logic [1:0] {
    RSEL_ZERO  = 2'd0,
    RSEL_REG   = 2'd1,
    RSEL_QUEUE = 2'd2,
    RSEL_MEM   = 2'd3
  } rsel_e;

  ///////////
  // State //
  ///////////

  logic                     running_d, running_q;
  logic                     done_d, done_q;
  logic [DrainWidth-1:0]    drain_d, drain_q;
  logic [31:0]              cycles_d, cycles_q;
  err_e                     err_code_d, err_code_q;
  logic [31:0]              err_cycle_d, err_cycle_q;
  logic [QueueIdxWidth-1:0] err_queue_d, err_queue_q;
  logic [LenWidth-1:0]      qlen_d [NumQueues];
  logic [LenWidth-1:0]      qlen_q [NumQueues];
  logic                     rvalid_d, rvalid_q;
  rsel_e                    rsel_d, rsel_q;
  logic [SelIdxWidth-1:0]   ridx_d, ridx_q;
  logic [31:0]              reg_rdata_d, reg_rdata_q;
  logic [31:0]              ecc_corrected_d, ecc_corrected_q;
  logic [CodeWidth-1:0]     inject_mask_d, inject_mask_q;
  logic [3:0]               inject_lanes_d, inject_lanes_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      running_q   <= 1'b0;
      done_q      <= 1'b0;
      drain_q     <= '0;
      cycles_q    <= '0;
      err_code_q  <= ERR_NONE;
      err_cycle_q <= '0;
      err_queue_q <= '0;
      qlen_q      <= '{default: '0};
      rvalid_q    <= 1'b0;
      rsel_q      <= RSEL_ZERO;
      ridx_q      <= '0;
      reg_rdata_q <= '0;
      ecc_corrected_q <= '0;
      inject_mask_q   <= '0;
      inject_lanes_q  <= '0;
    end else begin
      running_q   <= running_d;
      done_q      <= done_d;
      drain_q     <= drain_d;
      cycles_q    <= cycles_d;
      err_code_q  <= err_code_d;
      err_cycle_q <= err_cycle_d;
      err_queue_q <= err_queue_d;
      qlen_q      <= qlen_d;
      rvalid_q    <= rvalid_d;
      rsel_q      <= rsel_d;
      ridx_q      <= ridx_d;
      reg_rdata_q <= reg_rdata_d;
      ecc_corrected_q <= ecc_corrected_d;
      inject_mask_q   <= inject_mask_d;
      inject_lanes_q  <= inject_lanes_d;
    end
  end

  ////////////
  // Decode //
  ////////////

  logic [3:0]  region;
  logic [7:0]  reg_addr;
  logic [11:0] queue_idx;
  logic [15:0] queue_entry;
  logic [6:0]  mem_slice;
  logic [15:0] mem_word;
  logic [4:0]  mem_chunk;
  logic        is_reg, queue_hit, mem_hit;
  logic        qlen_hit;
  logic [7:0]  qlen_idx;

  assign region      = host_addr_i[HostRegionMsb:HostRegionLsb];
  assign reg_addr    = host_addr_i[7:0];
  assign queue_idx   = host_addr_i[27:16];
  assign queue_entry = host_addr_i[15:0];
  assign mem_slice   = host_addr_i[27:21];
  assign mem_word    = host_addr_i[20:5];
  assign mem_chunk   = host_addr_i[4:0];

  assign is_reg    = host_req_i && (region == HOST_REGION_REG);
  // Queue and MEM accesses reach the RAMs only while idle and inside the configuration.
  assign queue_hit = host_req_i && (region == HOST_REGION_QUEUE) && !running_q
                     && (int'(queue_idx) < NumQueues) && (int'(queue_entry) < QueueDepth);
  assign mem_hit   = host_req_i && (region == HOST_REGION_MEM) && !running_q
                     && (int'(mem_slice) < NumMemSlices) && (int'(mem_word) < MemDepth)
                     && (int'(mem_chunk) < NumChunks);
  assign qlen_idx  = reg_addr - HOST_REG_QLEN;
  assign qlen_hit  = (reg_addr >= HOST_REG_QLEN) && (int'(qlen_idx) < MaxQlenRegs);

  always_comb begin
    for (int unsigned q = 0; q < NumQueues; q++) begin
      queue_req_o[q] = queue_hit && (int'(queue_idx) == q);
    end
    for (int unsigned i = 0; i < NumMemSlices; i++) begin
      mem_req_o[i] = mem_hit && (int'(mem_slice) == i);
    end
  end

  assign queue_we_o    = host_we_i;
  assign queue_entry_o = EntryWidth'(queue_entry);
  assign queue_wdata_o = host_wdata_i;
  assign mem_we_o      = host_we_i;
  assign mem_word_o    = MemAddrWidth'(mem_word);
  assign mem_chunk_o   = ChunkWidth'(mem_chunk);
  assign mem_wdata_o   = host_wdata_i;

  ///////////////////
  // Register read //
  ///////////////////

  logic [31:0] config0, config1, config2, config3;
  assign config0 = {8'(MxmDim), 8'(NumMemSlices), 8'(NumStreams), 8'(NumLanes)};
  assign config1 = {16'(QueueDepth), 16'(MemDepth)};
  assign config2 = {16'd0, 16'(AccDepth)};
  assign config3 = {24'd0, 8'(VxmAlus)};

  always_comb begin
    reg_rdata_d = '0;
    unique case (reg_addr)
      HOST_REG_ID:        reg_rdata_d = HostId;
      HOST_REG_STATUS:    reg_rdata_d = {16'd0, err_code_q, 6'd0, done_q, running_q};
      HOST_REG_CYCLES:    reg_rdata_d = cycles_q;
      HOST_REG_ERR_CYCLE: reg_rdata_d = err_cycle_q;
      HOST_REG_ERR_QUEUE: reg_rdata_d = 32'(err_queue_q);
      HOST_REG_CONFIG0:   reg_rdata_d = config0;
      HOST_REG_CONFIG1:   reg_rdata_d = config1;
      HOST_REG_CONFIG2:   reg_rdata_d = config2;
      HOST_REG_ECC_CORRECTED: reg_rdata_d = ecc_corrected_q;
      HOST_REG_ECC_INJECT: reg_rdata_d = {12'd0, inject_lanes_q, 3'd0, inject_mask_q};
      HOST_REG_CONFIG3:   reg_rdata_d = config3;
      default: begin
        for (int unsigned q = 0; q < NumQueues; q++) begin
          if (qlen_hit && int'(qlen_idx) == q) begin
            reg_rdata_d = 32'(qlen_q[q]);
          end
        end
      end
    endcase
  end

  always_comb begin
    rvalid_d = host_req_i && !host_we_i;
    rsel_d   = RSEL_ZERO;
    ridx_d   = '0;
    if (is_reg) begin
      rsel_d = RSEL_REG;
    end else if (queue_hit) begin
      rsel_d = RSEL_QUEUE;
      ridx_d = SelIdxWidth'(queue_idx);
    end else if (mem_hit) begin
      rsel_d = RSEL_MEM;
      ridx_d = SelIdxWidth'(mem_slice);
    end
  end

  always_comb begin
    host_rdata_o = '0;
    unique case (rsel_q)
      RSEL_REG:   host_rdata_o = reg_rdata_q;
      RSEL_QUEUE: begin
        for (int unsigned q = 0; q < NumQueues; q++) begin
          if (int'(ridx_q) == q) begin
            host_rdata_o = queue_rdata_i[q];
          end
        end
      end
      RSEL_MEM: begin
        for (int unsigned i = 0; i < NumMemSlices; i++) begin
          if (int'(ridx_q) == i) begin
            host_rdata_o = mem_rdata_i[i];
          end
        end
      end
      default: host_rdata_o = '0;
    endcase
  end

  assign host_rvalid_o = rvalid_q;

  ////////////////////////////
  // Register write / QLEN  //
  ////////////////////////////

  logic start;
  assign start = is_reg && host_we_i && (reg_addr == HOST_REG_CTRL) && host_wdata_i[0]
                 && !running_q;

  // QLEN writes saturate at QueueDepth and are ignored while the core runs.
  always_comb begin
    qlen_d = qlen_q;
    if (is_reg && host_we_i && qlen_hit && !running_q) begin
      for (int unsigned q = 0; q < NumQueues; q++) begin
        if (int'(qlen_idx) == q) begin
          qlen_d[q] = (host_wdata_i > 32'(QueueDepth)) ? LenWidth'(QueueDepth)
                                                       : LenWidth'(host_wdata_i);
        end
      end
    end
  end

  // ECC_INJECT is written at any time; ECC_CORRECTED counts every cycle and clears on start.
  always_comb begin
    inject_mask_d  = inject_mask_q;
    inject_lanes_d = inject_lanes_q;
    if (is_reg && host_we_i && reg_addr == HOST_REG_ECC_INJECT) begin
      inject_mask_d  = host_wdata_i[CodeWidth-1:0];
      inject_lanes_d = host_wdata_i[19:16];
    end
  end

  always_comb begin
    ecc_corrected_d = ecc_corrected_q;
    for (int unsigned i = 0; i < NumMemSlices; i++) begin
      ecc_corrected_d = ecc_corrected_d + 32'(corrected_i[i]);
    end
    if (start) begin
      ecc_corrected_d = '0;
    end
  end

  assign inject_mask_o  = inject_mask_q;
  assign inject_lanes_o = inject_lanes_q;

  /////////////////
  // Run control //
  /////////////////

  logic                     err_any;
  err_e                     err_first;
  logic [QueueIdxWidth-1:0] err_first_queue;

  // The lowest-numbered queue with an error wins.
  always_comb begin
    err_any         = 1'b0;
    err_first       = ERR_NONE;
    err_first_queue = '0;
    for (int q = int'(NumQueues) - 1; q >= 0; q--) begin
      if (err_i[q] != ERR_NONE) begin
        err_any         = 1'b1;
        err_first       = err_i[q];
        err_first_queue = QueueIdxWidth'(q);
      end
    end
  end

  always_comb begin
    running_d   = running_q;
    done_d      = done_q;
    drain_d     = drain_q;
    cycles_d    = cycles_q;
    err_code_d  = err_code_q;
    err_cycle_d = err_cycle_q;
    err_queue_d = err_queue_q;

    if (start) begin
      running_d   = 1'b1;
      done_d      = 1'b0;
      drain_d     = '0;
      cycles_d    = '0;
      err_code_d  = ERR_NONE;
      err_cycle_d = '0;
      err_queue_d = '0;
    end else if (running_q) begin
      cycles_d = cycles_q + 1'b1;
      if (err_any) begin
        err_code_d  = err_first;
        err_cycle_d = cycles_q;
        err_queue_d = err_first_queue;
        running_d   = 1'b0;
        done_d      = 1'b1;
      end else if (&finished_i) begin
        // Drain cycles 0 .. DrainCycles-1 follow the cycle F in which all queues finished.
        if (int'(drain_q) == DrainCycles - 1) begin
          running_d = 1'b0;
          done_d    = 1'b1;
        end else begin
          drain_d = drain_q + 1'b1;
        end
      end
    end
  end

  assign release_o  = |notify_i;
  assign deadlock_o = running_q && (|parked_i) && (&(finished_i | parked_i));

  assign start_o = start;
  assign run_o   = running_q;
  assign qlen_o  = qlen_q;
  assign busy_o  = running_q;
  assign done_o  = done_q;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (NumQueues <= MaxQlenRegs) else $fatal(1, "lpu_ctrl: more queues than QLEN registers");
    assert (NumLanes % 4 == 0 && NumLanes <= 255) else $fatal(1, "lpu_ctrl: bad NumLanes");
    assert (QueueDepth <= 65536 && MemDepth <= 65536) else $fatal(1, "lpu_ctrl: depth too big");
  end

  // busy and done are never set together.
  assert property (@(posedge clk_i) disable iff (!rst_ni) !(running_q && done_q))
    else $error("lpu_ctrl: busy and done together");

  // A run without an error never stops before its queues are done.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   running_q && !running_d && !err_any |-> &finished_i)
    else $error("lpu_ctrl: stopped with queues still working");

  // A deadlock always stops the run with SYNC_DEADLOCK.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   deadlock_o |-> err_any && err_first == ERR_SYNC_DEADLOCK)
    else $error("lpu_ctrl: deadlock without SYNC_DEADLOCK");

  // One-hot selects: a host request reaches at most one queue RAM or one MEM slice.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   $onehot0({queue_req_o, mem_req_o}))
    else $error("lpu_ctrl: host request selects %b / %b", queue_req_o, mem_req_o);

  // done without an error means every queue finished.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   $rose(done_q) && err_code_q == ERR_NONE |-> &finished_i)
    else $error("lpu_ctrl: clean done with queues still working");

  // An error always ends the run, and the latched queue is a real queue.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   err_code_q != ERR_NONE |-> !running_q && done_q
                                              && int'(err_queue_q) < NumQueues)
    else $error("lpu_ctrl: error latched while running");

  // The drain counter stays below DrainCycles.
  assert property (@(posedge clk_i) disable iff (!rst_ni) int'(drain_q) < DrainCycles)
    else $error("lpu_ctrl: drain counter out of range");

  // start only while idle, and the run begins in the next cycle.
  assert property (@(posedge clk_i) disable iff (!rst_ni) start |-> !running_q)
    else $error("lpu_ctrl: start while running");
  assert property (@(posedge clk_i) disable iff (!rst_ni) start |=> running_q)
    else $error("lpu_ctrl: start did not begin a run");
`endif

endmodule
