// One instruction queue (ICU): instruction memory, program counter, NOP/REPEAT/SYNC/NOTIFY
// sequencing.
//
// The host loads instructions into a single-port RAM while the core is idle. A run begins
// with `start_i` (the cycle the host writes CTRL.start), which rewinds the queue; from the
// next cycle on (`run_i`, run cycle 0) the queue does exactly one thing per cycle, as
// docs/architecture.md specifies:
//
//   1. wait      if the wait counter is non-zero (it counts down);
//   2. re-issue  if a REPEAT has re-issues left: the last issued instruction again, its addr
//                field advanced by its stride;
//   3. fetch     the instruction at pc, if pc < QLEN:
//                  NOP n       -> wait n-1 further cycles,
//                  REPEAT n, d -> n re-issues d cycles apart; with d = 1 the first happens in
//                                 this very cycle, otherwise the queue waits d-2 cycles first,
//                  SYNC        -> park (unless released in this very cycle),
//                  NOTIFY      -> raise `notify_o`, which lpu_ctrl broadcasts as `release_i`,
//                  anything else is issued.
//
// A parked queue does nothing until `release_i` (some queue fetched NOTIFY in this cycle); it
// fetches again in the next cycle. A SYNC fetched in a cycle with `release_i` does not park.
// When lpu_ctrl sees every unfinished queue parked it raises `deadlock_i`, and every parked
// queue reports SYNC_DEADLOCK (the lowest one is latched).
//
// An issued instruction goes into the dispatch register and reaches the slice one cycle
// later. Before issuing, the queue checks it (opcode legal for this queue's kind, addr below
// AddrLimit after striding, stream group inside NumStreams, NOP/REPEAT operands non-zero; for
// SXM ops every stream operand with its group, the group code and the shift amount) and,
// on a failure, raises `err_o` instead of issuing. The queue has finished once it has nothing
// left to wait, re-issue or fetch; the control block ends the run from `finished_o`.
//
// The RAM has a registered read port, so the queue reads the *next* pc (`pc_d`) every cycle:
// in any cycle the RAM output already holds the instruction at `pc_q`. The host and the queue
// never use the RAM in the same cycle (the host is locked out while the core runs, and in the
// start cycle the host is busy writing CTRL).

module lpu_icu_queue
  import lpu_isa_pkg::*;
#(
  parameter unit_e       Kind       = UNIT_MEM,
  parameter int unsigned AddrLimit  = 1024,  // words addressable by addr-format ops
  parameter int unsigned NumStreams = 16,
  parameter int unsigned NumLanes   = 16,   // SHIFT/ROTATE amounts must be below it
  parameter int unsigned QueueDepth = 512,
  localparam int unsigned EntryWidth = (QueueDepth > 1) ? $clog2(QueueDepth) : 1,
  localparam int unsigned LenWidth   = $clog2(QueueDepth + 1)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,

  // Run control
  input  logic                  start_i,  // rewind: the next cycle is run cycle 0
  input  logic                  run_i,    // the core runs in this cycle
  input  logic [LenWidth-1:0]   qlen_i,   // number of valid instructions

  // Host access to the instruction memory (only while idle)
  input  logic                  host_req_i,
  input  logic                  host_we_i,
  input  logic [EntryWidth-1:0] host_entry_i,
  input  logic [31:0]           host_wdata_i,
  output logic [31:0]           host_rdata_o,  // valid the cycle after a read request

  // Issue
  output logic                  dispatch_valid_o,
  output logic [31:0]           dispatch_instr_o,
`ifndef SYNTHESIS
  // Simulation only, for lpu_tracer: the instruction entering the dispatch register at the end
  // of this cycle.
  output logic                  issue_valid_o,
  output logic [31:0]           issue_instr_o,
`endif
  // SYNC / NOTIFY
  input  logic                  release_i,   // a NOTIFY was fetched in this cycle
  input  logic                  deadlock_i,  // every unfinished queue is parked
  output logic                  notify_o,    // this queue fetches NOTIFY in this cycle
  output logic                  parked_o,    // parked by a SYNC fetched in an earlier cycle

  output logic                  finished_o,
  output err_e                  err_o
);

  // Counter widths: NOP's n fills the count format below the opcode; REPEAT's n and d split
  // the repeat format in halves (both checked against the package below).
  localparam int unsigned WaitWidth = $bits(instr_count_t) - $bits(opcode_e);
  localparam int unsigned RepWidth  = ($bits(instr_repeat_t) - $bits(opcode_e)) / 2;

  ///////////
  // State //
  ///////////

  logic [LenWidth-1:0]  pc_d, pc_q;
  logic [WaitWidth-1:0] wait_d, wait_q;          // cycles left to wait
  logic [RepWidth-1:0]  rep_left_d, rep_left_q;  // re-issues left
  logic [RepWidth-1:0]  rep_dist_d, rep_dist_q;  // cycles between re-issues
  logic                 last_valid_d, last_valid_q;
  logic                 parked_d, parked_q;           // waiting for a NOTIFY
  logic [31:0]          last_d, last_q;          // last issued instruction (addr strided)
  logic                 dispatch_valid_d, dispatch_valid_q;
  logic [31:0]          dispatch_d, dispatch_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pc_q             <= '0;
      wait_q           <= '0;
      rep_left_q       <= '0;
      rep_dist_q       <= '0;
      last_valid_q     <= 1'b0;
      parked_q         <= 1'b0;
      last_q           <= '0;
      dispatch_valid_q <= 1'b0;
      dispatch_q       <= '0;
    end else begin
      pc_q             <= pc_d;
      wait_q           <= wait_d;
      rep_left_q       <= rep_left_d;
      rep_dist_q       <= rep_dist_d;
      last_valid_q     <= last_valid_d;
      parked_q         <= parked_d;
      last_q           <= last_d;
      dispatch_valid_q <= dispatch_valid_d;
      dispatch_q       <= dispatch_d;
    end
  end

  ////////////////////////
  // Instruction memory //
  ////////////////////////

  logic [31:0]           ram_rdata;
  logic [EntryWidth-1:0] ram_addr;

  // pc_d may equal QueueDepth once the last entry has been fetched; the word read then is
  // never used, so the address simply drops the top bit.
  assign ram_addr = host_req_i ? host_entry_i : EntryWidth'(pc_d);

  lpu_sram #(
    .Depth (QueueDepth),
    .Width (32)
  ) u_imem (
    .clk_i,
    .req_i   (1'b1),
    .we_i    (host_req_i & host_we_i),
    .addr_i  (ram_addr),
    .be_i    (1'b1),
    .wdata_i (host_wdata_i),
    .rdata_o (ram_rdata)
  );

  assign host_rdata_o = ram_rdata;

  ////////////
  // Checks //
  ////////////

  // One instruction word seen through every format; all views share the opcode bits, and
  // the stream and addr formats place the stream field alike (checked below).
  typedef union packed {
    logic [31:0]       raw;
    instr_count_t      count;
    instr_repeat_t     rpt;
    instr_stream_t     strm;
    instr_addr_t       addr;
    instr_sxm_shift_t  sxm_shift;
    instr_sxm_select_t sxm;
  } instr_view_t;

  // The STREAM_RANGE and BAD_OPERAND checks of an SXM op (every SXM format places group, a, b,
  // m and the destination alike): the destination and a span the group, b spans it for SELECT
  // and is one stream (the map) for PERMUTE and DISTRIBUTE, m is one stream. The reserved group
  // code 3 counts as 8 streams for the range check and is a BAD_OPERAND, as is a SHIFT or
  // ROTATE amount of NumLanes or more.
  function automatic err_e check_sxm(instr_view_t v);
    int  group;
    int  b_width;
    logic has_b, has_m, has_n;
    group   = 1 << v.sxm.group;
    has_b   = v.sxm.op inside {OP_PERMUTE, OP_DISTRIBUTE, OP_SELECT};
    has_m   = v.sxm.op == OP_SELECT;
    has_n   = v.sxm.op inside {OP_SHIFT, OP_ROTATE};
    b_width = has_m ? group : 1;
    if (int'(v.sxm.stream) + group > int'(NumStreams) || int'(v.sxm.a) + group > int'(NumStreams)
        || (has_b && int'(v.sxm.b) + b_width > int'(NumStreams))
        || (has_m && int'(v.sxm.m) + 1 > int'(NumStreams))) begin
      return ERR_STREAM_RANGE;
    end else if (v.sxm.group == 2'd3 || (has_n && int'(v.sxm_shift.n) >= int'(NumLanes))) begin
      return ERR_BAD_OPERAND;
    end
    return ERR_NONE;
  endfunction

  // The error an instruction about to be issued raises (ERR_NONE if it may issue). When two
  // checks fail at once the lower error code wins.
  function automatic err_e check_issue(instr_view_t v, logic addr_ok);
    logic [5:0]  op;
    int unsigned group;
    op    = v.raw[31:26];
    group = op_group(op);
    if (!op_legal(op, Kind)) begin
      return ERR_ILLEGAL_OPCODE;
    end else if (op_has_addr(op) && !addr_ok) begin
      return ERR_ADDR_RANGE;
    end else if (group != 0 && int'(v.strm.stream) + group > NumStreams) begin
      return ERR_STREAM_RANGE;
    end else if (Kind == UNIT_SXM) begin
      return check_sxm(v);
    end
    return ERR_NONE;
  endfunction

  // The instruction at pc.
  instr_view_t fetch;
  logic        fetch_addr_ok;

  assign fetch.raw     = ram_rdata;
  assign fetch_addr_ok = int'(fetch.addr.addr) < AddrLimit;

  // Re-issue candidate: the last issued instruction with its addr advanced by its stride.
  // The sum is formed wide enough that it can neither wrap nor overflow.
  instr_view_t        last;
  instr_view_t        reissue_instr;
  logic signed [14:0] strided_addr;
  logic               reissue_addr_ok;

  always_comb begin
    last.raw        = last_q;
    strided_addr    = $signed({2'b00, last.addr.addr}) + 15'(last.addr.stride);
    reissue_addr_ok = (strided_addr >= 0) && (int'(strided_addr) < AddrLimit);
    reissue_instr   = last;
    if (op_has_addr(last.addr.op)) begin
      reissue_instr.addr.addr = strided_addr[12:0];
    end
  end

  //////////////
  // Sequence //
  //////////////

  logic                fetch_avail;
  logic                reissue;       // re-issue the last instruction in this cycle
  logic [RepWidth-1:0] reissue_left;  // re-issues left, this one included
  logic [RepWidth-1:0] reissue_dist;  // cycles to the next re-issue
  logic                issue;
  logic [31:0]         issue_instr;
  err_e                err;

  assign fetch_avail = pc_q < qlen_i;
  assign finished_o  = (wait_q == '0) && (rep_left_q == '0) && !fetch_avail && !parked_q;
  assign parked_o    = parked_q;
  // Depends on state only (never on release_i), so the release broadcast has no loop.
  assign notify_o    = run_i && !start_i && !parked_q && (wait_q == '0) && (rep_left_q == '0)
                       && fetch_avail && (fetch.raw[31:26] == OP_NOTIFY);

  always_comb begin
    pc_d             = pc_q;
    wait_d           = wait_q;
    rep_left_d       = rep_left_q;
    rep_dist_d       = rep_dist_q;
    last_valid_d     = last_valid_q;
    parked_d         = parked_q;
    last_d           = last_q;
    dispatch_valid_d = 1'b0;
    dispatch_d       = dispatch_q;

    reissue      = 1'b0;
    reissue_left = rep_left_q;
    reissue_dist = rep_dist_q;
    issue        = 1'b0;
    issue_instr  = fetch.raw;
    err          = ERR_NONE;

    if (start_i) begin
      pc_d         = '0;
      wait_d       = '0;
      rep_left_d   = '0;
      rep_dist_d   = '0;
      last_valid_d = 1'b0;
      parked_d     = 1'b0;
      last_d       = '0;
    end else if (run_i) begin
      if (parked_q) begin
        // 0. parked: released by a NOTIFY in this cycle, fetch again in the next
        if (release_i) begin
          parked_d = 1'b0;
        end else if (deadlock_i) begin
          err = ERR_SYNC_DEADLOCK;
        end
      end else if (wait_q != '0) begin
        // 1. wait
        wait_d = wait_q - 1'b1;
      end else if (rep_left_q != '0) begin
        // 2. re-issue
        reissue = 1'b1;
      end else if (fetch_avail) begin
        // 3. fetch
        pc_d = pc_q + 1'b1;
        unique case (fetch.raw[31:26])
          OP_NOP: begin
            if (fetch.count.n == '0) begin
              err = ERR_BAD_OPERAND;
            end else begin
              wait_d = fetch.count.n - 1'b1;
            end
          end
          OP_REPEAT: begin
            if (fetch.rpt.n == '0 || fetch.rpt.d == '0) begin
              err = ERR_BAD_OPERAND;
            end else begin
              rep_dist_d = fetch.rpt.d;
              if (fetch.rpt.d == RepWidth'(1)) begin
                // The first re-issue happens in the fetch cycle itself.
                reissue      = 1'b1;
                reissue_left = fetch.rpt.n;
                reissue_dist = fetch.rpt.d;
              end else begin
                rep_left_d = fetch.rpt.n;
                wait_d     = WaitWidth'(fetch.rpt.d) - WaitWidth'(2);
              end
            end
          end
          OP_SYNC: begin
            parked_d = !release_i;
          end
          OP_NOTIFY: begin
            // notify_o already broadcasts the release; nothing is issued.
          end
          default: begin
            err         = check_issue(fetch, fetch_addr_ok);
            issue       = (err == ERR_NONE);
            issue_instr = fetch.raw;
          end
        endcase
      end

      if (reissue) begin
        rep_left_d = reissue_left - 1'b1;
        // After the last re-issue the next fetch follows at once.
        wait_d     = (rep_left_d != '0) ? WaitWidth'(reissue_dist) - 1'b1 : '0;
        // Nothing was issued yet in this run: the re-issue issues nothing.
        if (last_valid_q) begin
          err         = check_issue(last, reissue_addr_ok);
          issue       = (err == ERR_NONE);
          issue_instr = reissue_instr.raw;
        end
      end

      if (issue) begin
        dispatch_valid_d = 1'b1;
        dispatch_d       = issue_instr;
        last_valid_d     = 1'b1;
        last_d           = issue_instr;
      end
    end
  end

  assign dispatch_valid_o = dispatch_valid_q;
  assign dispatch_instr_o = dispatch_q;
  assign err_o            = err;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  assign issue_valid_o = dispatch_valid_d;
  assign issue_instr_o = dispatch_d;

  // The sequencing above is built for these generated constants.
  initial begin
    assert (InstrWidth == 32 && DispatchCycles == 1)
      else $fatal(1, "lpu_icu_queue: built for 32-bit instructions and dispatch = 1");
    assert ($bits(fetch.count.n) == WaitWidth && $bits(fetch.rpt.n) == RepWidth
            && $bits(fetch.rpt.d) == RepWidth)
      else $fatal(1, "lpu_icu_queue: counter widths differ from the instruction formats");
    assert (QueueDepth > 0) else $fatal(1, "lpu_icu_queue: QueueDepth must be positive");
    assert (Kind != UNIT_ICU) else $fatal(1, "lpu_icu_queue: a queue needs a slice kind");
  end

  // The stream and addr formats place the stream field alike.
  assert property (@(posedge clk_i) fetch.strm.stream == fetch.addr.stream)
    else $error("lpu_icu_queue: stream field differs between formats");

  // The host never touches the RAM while the queue runs or rewinds.
  assert property (@(posedge clk_i) disable iff (!rst_ni) host_req_i |-> !run_i && !start_i)
    else $error("lpu_icu_queue: host access while running");

  // Only issuable ops of this queue's kind reach the dispatch register.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   dispatch_valid_q |-> op_legal(dispatch_q[31:26], Kind)
                                        && dispatch_q[31:26] != OP_NOP
                                        && dispatch_q[31:26] != OP_REPEAT
                                        && dispatch_q[31:26] != OP_SYNC
                                        && dispatch_q[31:26] != OP_NOTIFY)
    else $error("lpu_icu_queue: dispatched a non-issuable op %h", dispatch_q[31:26]);

  // The program counter never runs past the queue length while running.
  assert property (@(posedge clk_i) disable iff (!rst_ni) run_i |-> pc_q <= qlen_i)
    else $error("lpu_icu_queue: pc beyond QLEN");

  // A queue that has finished issues nothing and raises nothing.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   run_i && finished_o |-> err == ERR_NONE && !issue)
    else $error("lpu_icu_queue: activity after finish");

  // No dispatch outside a run: nothing enters the dispatch register unless the core runs (and
  // not in the start cycle), and a queue raises errors only in run cycles.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !run_i || start_i |-> !dispatch_valid_d && err == ERR_NONE && !notify_o)
    else $error("lpu_icu_queue: dispatch, error or NOTIFY outside a run");

  // The sequencer state only moves in run cycles or on start.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !run_i && !start_i |=> $stable(pc_q) && $stable(wait_q) && $stable(rep_left_q)
                                          && $stable(parked_q))
    else $error("lpu_icu_queue: sequencer moved while idle");

  // REPEAT counters: a pending re-issue has a distance, and the wait before it is shorter.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   rep_left_q != '0 |-> rep_dist_q != '0 && wait_q < WaitWidth'(rep_dist_q))
    else $error("lpu_icu_queue: REPEAT counters out of step");

  // A queue issues at most one instruction per cycle, and a re-issue needs an earlier issue.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   reissue && issue |-> last_valid_q)
    else $error("lpu_icu_queue: re-issue before any issue");

  // A parked queue issues nothing, and it is never parked with a wait or re-issue pending.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   parked_q |-> !issue && !notify_o && wait_q == '0 && rep_left_q == '0)
    else $error("lpu_icu_queue: activity while parked");
`endif

`ifdef FORMAL
  // Bounded proofs (formal/lpu_icu_queue.sby, `make formal`, environment in
  // formal/lpu_icu_queue_fv.sv). Yosys's read_slang keeps only immediate assertions, so the
  // invariants above are restated in that form, with end-to-end timing checks against
  // formal-only reference counters (docs/architecture.md): an issued op, NOTIFY and a SYNC
  // released in its own cycle last 1 cycle, NOP n lasts n; REPEAT n, d re-issues exactly in
  // cycles t+d-1, t+2d-1, ..., t+nd-1 and the next fetch follows the last re-issue.
  localparam int unsigned FCount = 8;  // durations up to 255 cycles are checked (depth < 255)

  logic              f_fetch;     // this cycle fetches the instruction at pc
  logic [FCount-1:0] f_expect_d;  // cycles until the next fetch (0: not promised here)
  logic [FCount-1:0] f_since_q, f_expect_q;
  logic              f_released_q;  // a NOTIFY released this parked queue in the last cycle
  logic              f_rep_fetch;   // this cycle fetches a valid REPEAT
  logic [RepWidth-1:0] f_left_q, f_due_q, f_dist_q;  // reference REPEAT: re-issues left,
                                                    // cycles to the next one, distance
  logic              f_due_now;     // the reference expects a re-issue in this cycle
  logic              f_last_q;      // the last re-issue happened in the previous cycle

  assign f_fetch = run_i && !start_i && !parked_q && (wait_q == '0) && (rep_left_q == '0)
                   && fetch_avail;
  assign f_rep_fetch = f_fetch && fetch.raw[31:26] == OP_REPEAT && fetch.rpt.n != '0
                       && fetch.rpt.d != '0;
  assign f_due_now = f_rep_fetch ? (fetch.rpt.d == RepWidth'(1))
                                 : (f_left_q != '0 && f_due_q == '0);

  always_comb begin
    unique case (fetch.raw[31:26])
      OP_NOP:    f_expect_d = (fetch.count.n < WaitWidth'(256)) ? FCount'(fetch.count.n) : '0;
      OP_REPEAT: f_expect_d = '0;
      OP_SYNC:   f_expect_d = release_i ? FCount'(1) : '0;
      default:   f_expect_d = FCount'(1);
    endcase
    if (err != ERR_NONE) f_expect_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_since_q    <= '0;
      f_expect_q   <= '0;
      f_released_q <= 1'b0;
      f_left_q     <= '0;
      f_due_q      <= '0;
      f_dist_q     <= '0;
      f_last_q     <= 1'b0;
    end else begin
      f_released_q <= run_i && !start_i && parked_q && release_i;
      f_last_q     <= 1'b0;
      if (start_i) begin
        f_since_q  <= '0;
        f_expect_q <= '0;
        f_left_q   <= '0;
      end else if (run_i) begin
        if (f_fetch) begin
          f_since_q  <= FCount'(1);
          f_expect_q <= f_expect_d;
        end else if (f_since_q != '1) begin
          f_since_q <= f_since_q + 1'b1;
        end
        if (f_rep_fetch) begin
          f_dist_q <= fetch.rpt.d;
          f_left_q <= fetch.rpt.n - (f_due_now ? RepWidth'(1) : '0);
          f_due_q  <= f_due_now ? fetch.rpt.d - 1'b1 : fetch.rpt.d - RepWidth'(2);
          f_last_q <= f_due_now && fetch.rpt.n == RepWidth'(1);
        end else if (f_left_q != '0) begin
          f_left_q <= f_left_q - (f_due_now ? RepWidth'(1) : '0);
          f_due_q  <= f_due_now ? f_dist_q - 1'b1 : f_due_q - 1'b1;
          f_last_q <= f_due_now && f_left_q == RepWidth'(1);
        end
      end
    end
  end

  always_comb begin
    if (rst_ni) begin
      // Queue pointer bounds.
      assert (pc_q <= LenWidth'(QueueDepth));
      if (run_i) assert (pc_q <= qlen_i);
      // REPEAT counters.
      if (rep_left_q != '0) assert (rep_dist_q != '0 && wait_q < WaitWidth'(rep_dist_q));
      // Parked: nothing pending, nothing issued or broadcast.
      if (parked_q) assert (wait_q == '0 && rep_left_q == '0 && !issue && !notify_o);
      // No dispatch, error or NOTIFY outside a run.
      if (!run_i || start_i) assert (!dispatch_valid_d && err == ERR_NONE && !notify_o);
      // Only issuable ops of this kind reach the dispatch register.
      if (dispatch_valid_q) begin
        assert (op_legal(dispatch_q[31:26], Kind) && dispatch_q[31:26] != OP_NOP
                && dispatch_q[31:26] != OP_REPEAT && dispatch_q[31:26] != OP_SYNC
                && dispatch_q[31:26] != OP_NOTIFY);
      end
      // A finished queue does nothing.
      if (run_i && !start_i && finished_o) assert (!issue && err == ERR_NONE);
      // Durations: the next fetch comes exactly when the last fetched instruction said.
      if (f_fetch && f_expect_q != '0) assert (f_since_q == f_expect_q);
      if (run_i && !start_i && f_expect_q != '0 && f_since_q == f_expect_q && fetch_avail) begin
        assert (f_fetch);
      end
      // REPEAT: re-issues exactly when the reference expects them, no fetch while any is
      // left, and the fetch right after the last one.
      if (run_i && !start_i) assert (reissue == f_due_now);
      if (f_fetch) assert (f_left_q == '0);
      if (run_i && !start_i && f_last_q && fetch_avail) assert (f_fetch);
      // SYNC: a queue parks only by fetching SYNC without a release in the same cycle, stays
      // parked until a release, and fetches in the cycle after it.
      if (run_i && !start_i && parked_d && !parked_q) begin
        assert (f_fetch && fetch.raw[31:26] == OP_SYNC && !release_i);
      end
      if (run_i && !start_i && parked_q) assert (parked_d == !release_i);
      if (run_i && !start_i && parked_q && deadlock_i && !release_i) begin
        assert (err == ERR_SYNC_DEADLOCK);
      end
      if (run_i && !start_i && f_released_q) assert (!parked_q && wait_q == '0 && rep_left_q == '0);
      // A strided re-issue carries addr + stride, in range.
      if (reissue && issue && op_has_addr(last.addr.op)) begin
        assert (strided_addr >= 0 && int'(strided_addr) < AddrLimit
                && dispatch_d[25:13] == strided_addr[12:0]);
      end
    end
  end

  // Reachability: a release, a re-issue, a REPEAT or NOP duration of more than two cycles.
  always_comb begin
    if (rst_ni) begin
      cover (run_i && parked_q && release_i);
      cover (reissue && issue);
      cover (f_fetch && f_expect_q > FCount'(2) && f_since_q == f_expect_q);
      cover (f_last_q && f_dist_q > RepWidth'(1) && f_fetch);
    end
  end
`endif

endmodule
