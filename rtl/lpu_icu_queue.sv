// One instruction queue (ICU): instruction memory, program counter, NOP/REPEAT/SYNC/NOTIFY
// sequencing and IFETCH.
//
// The host loads instructions into the instruction memory while the core is idle. A run begins
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
//                  IFETCH      -> sample a stream in the next cycle (below),
//                  anything else is issued.
//
// A parked queue does nothing until `release_i` (some queue fetched NOTIFY in this cycle); it
// fetches again in the next cycle. A SYNC fetched in a cycle with `release_i` does not park.
// When lpu_ctrl sees every unfinished queue parked it raises `deadlock_i`, and every parked
// queue reports SYNC_DEADLOCK (the lowest one is latched).
//
// An issued instruction goes into the dispatch register and reaches the slice one cycle
// later. Before issuing, the queue checks it (opcode legal for this queue's kind, addr below
// AddrLimit after striding, stream groups inside NumStreams, NOP/REPEAT operands non-zero; for
// SXM ops every stream operand with its group, the group code and the shift amount; VXM types
// and operands legal, CONFIG registers present) and,
// on a failure, raises `err_o` instead of issuing. The queue has finished once it has nothing
// left to wait, re-issue or fetch; the control block ends the run from `finished_o`.
//
// Circular instruction memory and IFETCH. `pc_q` (entries fetched) and `end_q` (entries loaded)
// count modulo 2*QueueDepth; entry e lives in slot e mod QueueDepth, so the queue holds up to
// QueueDepth loaded-but-unfetched entries and a slot is free again once fetched (a REPEAT
// re-issues from `last_q`, never from memory). A start sets pc = 0 and end = QLEN. An IFETCH
// fetched in t samples present[dir][stream] at this queue's slice in t+1 and appends its
// FetchWords = NumLanes/4 words (word j = lanes 4j..4j+3) at entries end .. end+FetchWords-1:
// the memory is FetchWords single-write banks (entry e in bank e mod FetchWords), so the
// consecutive entries land in one cycle. Appended entries can be fetched from t+2; the
// fetch-ahead read of t+1 is forwarded from the write. QUEUE_OVERFLOW (in t+1, nothing appended)
// when more than QueueDepth entries would be loaded and unfetched after t+1; QUEUE_UNDERFLOW
// when the queue must fetch in t+1 but every loaded entry has been fetched.
//
// The banks have registered read ports, so the queue reads the *next* pc (`pc_d`) every cycle:
// in any cycle the RAM output already holds the instruction at `pc_q`. The host and the queue
// never fetch through the read port in the same cycle (the host is locked out while the core
// runs, and in the start cycle the host is busy writing CTRL). A host write in a cycle in which
// an IFETCH lands (right after a run stopped on an error) is dropped.

module lpu_icu_queue
  import lpu_isa_pkg::*;
#(
  parameter unit_e       Kind       = UNIT_MEM,
  parameter int unsigned AddrLimit  = 1024,  // words addressable by addr-format ops
  parameter int unsigned NumStreams = 16,
  parameter int unsigned NumLanes   = 16,   // SHIFT/ROTATE amounts must be below it
  parameter int unsigned QueueDepth = 512,  // a power of two, at least NumLanes/4 and 2
  parameter bit          HasPrev    = 1'b1,  // a VXM ALU with a previous ALU (PREV is legal)
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

  // IFETCH: the stream to sample at this queue's slice (from state only), and what is present
  // there; lpu_top does the selection.
  output logic                  ifetch_dir_o,
  output logic [4:0]            ifetch_stream_o,
  input  logic [NumLanes-1:0][7:0] fetched_i,

  // Issue
  output logic                  dispatch_valid_o,
  output logic [31:0]           dispatch_instr_o,
`ifndef SYNTHESIS
  // Simulation only, for lpu_tracer: the instruction entering the dispatch register at the end
  // of this cycle, and the entries an IFETCH appends at its end.
  output logic                  issue_valid_o,
  output logic [31:0]           issue_instr_o,
  output logic                  append_o,
  output logic [EntryWidth-1:0] append_entry_o,
  output logic [NumLanes-1:0][7:0] append_words_o,
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
  // IFETCH: words per vector, instruction memory banks and their rows.
  localparam int unsigned FetchWords     = NumLanes / 4;
  localparam int unsigned Rows           = QueueDepth / FetchWords;
  localparam int unsigned RowWidth       = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int unsigned BankIdxWidth   = (FetchWords > 1) ? $clog2(FetchWords) : 1;
  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;

  ///////////
  // State //
  ///////////

  logic [LenWidth-1:0]  pc_d, pc_q;                // entries fetched (mod 2*QueueDepth)
  logic [LenWidth-1:0]  end_d, end_q;              // entries loaded (mod 2*QueueDepth)
  logic                 ifetch_d, ifetch_q;        // an IFETCH samples its stream this cycle
  logic                 ifetch_dir_d, ifetch_dir_q;
  logic [StreamIdxWidth-1:0] ifetch_stream_d, ifetch_stream_q;
  logic                 fwd_d, fwd_q;              // the fetch-ahead read was overwritten
  logic [31:0]          fwd_word_d, fwd_word_q;
  logic [BankIdxWidth-1:0] rbank_d, rbank_q;       // bank the read port read
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
      end_q            <= '0;
      ifetch_q         <= 1'b0;
      ifetch_dir_q     <= 1'b0;
      ifetch_stream_q  <= '0;
      fwd_q            <= 1'b0;
      fwd_word_q       <= '0;
      rbank_q          <= '0;
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
      end_q            <= end_d;
      ifetch_q         <= ifetch_d;
      ifetch_dir_q     <= ifetch_dir_d;
      ifetch_stream_q  <= ifetch_stream_d;
      fwd_q            <= fwd_d;
      fwd_word_q       <= fwd_word_d;
      rbank_q          <= rbank_d;
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

  logic [31:0]           bank_rdata [FetchWords];
  logic [31:0]           ram_rdata;       // the entry the read port read last cycle
  logic [EntryWidth-1:0] rd_entry;
  logic                  append;          // an IFETCH appends in this cycle
  logic [NumLanes-1:0][7:0] fetched;      // the vector it appends

  // The read port follows pc_d, or the host while it reads. pc_d may equal QueueDepth once
  // the last entry has been fetched; the slot is pc_d mod QueueDepth.
  assign rd_entry = host_req_i ? host_entry_i : EntryWidth'(pc_d);
  assign rbank_d  = BankIdxWidth'(int'(rd_entry) % FetchWords);
  assign fetched         = fetched_i;
  assign ifetch_dir_o    = ifetch_dir_q;
  assign ifetch_stream_o = 5'(ifetch_stream_q);

  for (genvar b = 0; b < FetchWords; b++) begin : gen_bank
    // The appended entry that lands in this bank: word j of the vector, entry end + j.
    localparam int unsigned Bank = b;
    logic [BankIdxWidth-1:0] j;
    logic [LenWidth-1:0]     entry;
    logic                    host_write;
    logic                    we;
    logic [RowWidth-1:0]     waddr;
    logic [31:0]             wdata;

    assign j          = BankIdxWidth'((Bank + FetchWords - (int'(end_q) % FetchWords)) % FetchWords);
    assign entry      = end_q + LenWidth'(j);
    assign host_write = host_req_i && host_we_i && (int'(host_entry_i) % FetchWords == Bank);
    assign we         = append || host_write;
    assign waddr      = append ? RowWidth'((int'(entry) % QueueDepth) / FetchWords)
                               : RowWidth'(int'(host_entry_i) / FetchWords);
    assign wdata      = append ? fetched[4 * int'(j) +: 4] : host_wdata_i;

    lpu_ram_1r1w #(
      .Depth (Rows),
      .Width (32)
    ) u_imem (
      .clk_i,
      .we_i    (we),
      .waddr_i (waddr),
      .wdata_i (wdata),
      .re_i    (1'b1),
      .raddr_i (RowWidth'(int'(rd_entry) / FetchWords)),
      .rdata_o (bank_rdata[b])
    );
  end

  assign ram_rdata    = bank_rdata[rbank_q];
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
    instr_gather_t     gather;
    instr_sxm_shift_t  sxm_shift;
    instr_sxm_select_t sxm;
    instr_config_t     cfg;
    instr_vxm2_t       vxm;
    instr_vxmcvt_t     vcvt;
  } instr_view_t;

  // VXM ops: every stream group the op reads or drives lies inside NumStreams (STREAM_RANGE);
  // the type is legal for the op, no source or destination uses a reserved encoding and PREV
  // is not used on ALU 0 (BAD_OPERAND). The lower code wins.
  function automatic err_e check_vxm(instr_view_t v);
    logic [5:0]  op;
    int unsigned group_a, group_b, group_dst;
    logic        range, bad;
    op        = v.raw[31:26];
    group_a   = vxm_a_group(op, v.vxm.vtype, v.vcvt.stype);
    group_b   = vxm_b_group(op, v.vxm.vtype);
    group_dst = vxm_dst_group(op, v.vxm.vtype);
    range     = 1'b0;
    bad       = !vxm_type_ok(op, v.vxm.vtype, v.vcvt.stype);
    if (group_a != 0) begin
      if (v.vxm.srca[VxmStreamBit]) begin
        range |= int'(v.vxm.srca[4:0]) + group_a > NumStreams;
      end else begin
        bad |= (v.vxm.srca > VXM_SRC_IMM) || (v.vxm.srca == VXM_SRC_PREV && !HasPrev);
      end
    end
    if (group_b != 0) begin
      if (v.vxm.srcb[VxmStreamBit]) begin
        range |= int'(v.vxm.srcb[4:0]) + group_b > NumStreams;
      end else begin
        bad |= (v.vxm.srcb > VXM_SRC_IMM) || (v.vxm.srcb == VXM_SRC_PREV && !HasPrev);
      end
    end
    if (group_dst != 0) begin
      if (v.vxm.dst[VxmStreamBit]) begin
        range |= int'(v.vxm.dst[4:0]) + group_dst > NumStreams;
      end else begin
        bad |= (v.vxm.dst != '0);
      end
    end
    return range ? ERR_STREAM_RANGE : bad ? ERR_BAD_OPERAND : ERR_NONE;
  endfunction

  // CONFIG writes one of the registers of this queue's slice (none: BAD_OPERAND); a VXM ALU's
  // QSHIFT takes 0..VxmQshiftMax.
  function automatic err_e check_config(instr_view_t v);
    if (int'(v.cfg.index) >= unit_config_regs(Kind)) begin
      return ERR_BAD_OPERAND;
    end else if (Kind == UNIT_VXM && v.cfg.index == VXM_CFG_QSHIFT
                 && int'(v.cfg.value) > VxmQshiftMax) begin
      return ERR_BAD_OPERAND;
    end
    return ERR_NONE;
  endfunction

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

  // The error an instruction about to be issued raises (ERR_NONE if it may issue), with
  // `addr_lo` the low bits of its effective (strided) addr. When two checks fail at once the
  // lower error code wins; a reserved bit set (BAD_OPERAND) comes last.
  function automatic err_e check_issue(instr_view_t v, logic addr_ok, logic [1:0] addr_lo);
    logic [5:0]  op;
    int unsigned group, wide;
    err_e        unit_err;
    op       = v.raw[31:26];
    wide     = v.addr.flag ? op_flag_group(op) : 0;  // READ/WRITE `quad`: four words and streams
    group    = wide != 0 ? wide : op_group(op);
    unit_err = ERR_NONE;
    if (!op_legal(op, Kind)) begin
      return ERR_ILLEGAL_OPCODE;
    end else if (op_has_addr(op) && !addr_ok) begin
      return ERR_ADDR_RANGE;
    end else if ((group != 0 && int'(v.strm.stream) + group > NumStreams)
                 || (op_has_istream(op) && int'(v.gather.istream) >= NumStreams)) begin
      return ERR_STREAM_RANGE;
    end else if (wide != 0 && (addr_lo & 2'(wide - 1)) != 2'b00) begin
      unit_err = ERR_BAD_OPERAND;
    end else if (op == OP_CONFIG) begin
      unit_err = check_config(v);
    end else if (Kind == UNIT_SXM && op != OP_IFETCH) begin
      // SXM ops only (IFETCH, an ICU op, passes through here too).
      unit_err = check_sxm(v);
    end else if (Kind == UNIT_VXM && op != OP_IFETCH) begin
      unit_err = check_vxm(v);
    end
    if (unit_err == ERR_NONE && (v.raw & op_rsvd_mask(op)) != '0) begin
      unit_err = ERR_BAD_OPERAND;
    end
    return unit_err;
  endfunction

  // The lower of two error codes, ERR_NONE counting as none.
  function automatic err_e first_err(err_e a, err_e b);
    if (a == ERR_NONE) return b;
    if (b == ERR_NONE) return a;
    return (a < b) ? a : b;
  endfunction

  // The instruction at pc.
  instr_view_t fetch;
  logic        fetch_addr_ok;

  logic        fetch_rsvd;     // a reserved bit of the fetched op's format is set

  assign fetch.raw     = fwd_q ? fwd_word_q : ram_rdata;
  assign fetch_addr_ok = int'(fetch.addr.addr) < AddrLimit;
  assign fetch_rsvd    = (fetch.raw & op_rsvd_mask(fetch.raw[31:26])) != '0;

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
  logic [LenWidth-1:0] unfetched;      // loaded entries not fetched after this cycle
  logic                overflow;
  err_e                seq_err;
  logic                reissue;       // re-issue the last instruction in this cycle
  logic [RepWidth-1:0] reissue_left;  // re-issues left, this one included
  logic [RepWidth-1:0] reissue_dist;  // cycles to the next re-issue
  logic                issue;
  logic [31:0]         issue_instr;
  err_e                err;

  assign fetch_avail = pc_q != end_q;
  assign finished_o  = (wait_q == '0) && (rep_left_q == '0) && !fetch_avail && !parked_q
                       && !ifetch_q;
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

    end_d            = end_q;
    ifetch_d         = 1'b0;
    ifetch_dir_d     = ifetch_dir_q;
    ifetch_stream_d  = ifetch_stream_q;

    reissue      = 1'b0;
    reissue_left = rep_left_q;
    reissue_dist = rep_dist_q;
    issue        = 1'b0;
    issue_instr  = fetch.raw;
    seq_err      = ERR_NONE;

    if (start_i) begin
      pc_d         = '0;
      end_d        = qlen_i;
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
          seq_err = ERR_SYNC_DEADLOCK;
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
            if (fetch.count.n == '0 || fetch_rsvd) begin
              seq_err = ERR_BAD_OPERAND;
            end else begin
              wait_d = fetch.count.n - 1'b1;
            end
          end
          OP_REPEAT: begin
            if (fetch.rpt.n == '0 || fetch.rpt.d == '0 || fetch_rsvd) begin
              seq_err = ERR_BAD_OPERAND;
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
            if (fetch_rsvd) begin
              seq_err = ERR_BAD_OPERAND;
            end else begin
              parked_d = !release_i;
            end
          end
          OP_NOTIFY: begin
            // notify_o already broadcasts the release (by opcode alone: with a reserved bit set
            // the run stops in this cycle anyway); nothing is issued.
            if (fetch_rsvd) begin
              seq_err = ERR_BAD_OPERAND;
            end
          end
          OP_IFETCH: begin
            seq_err         = check_issue(fetch, 1'b1, 2'b00);
            ifetch_d        = (seq_err == ERR_NONE);
            ifetch_dir_d    = fetch.strm.dir[0];
            ifetch_stream_d = StreamIdxWidth'(fetch.strm.stream);
          end
          default: begin
            seq_err     = check_issue(fetch, fetch_addr_ok, fetch.addr.addr[1:0]);
            issue       = (seq_err == ERR_NONE);
            issue_instr = fetch.raw;
          end
        endcase
      end else if (ifetch_q) begin
        // Every loaded entry is fetched and the IFETCH of last cycle lands only now.
        seq_err = ERR_QUEUE_UNDERFLOW;
      end

      if (reissue) begin
        rep_left_d = reissue_left - 1'b1;
        // After the last re-issue the next fetch follows at once.
        wait_d     = (rep_left_d != '0) ? WaitWidth'(reissue_dist) - 1'b1 : '0;
        // Nothing was issued yet in this run: the re-issue issues nothing.
        if (last_valid_q) begin
          seq_err     = check_issue(last, reissue_addr_ok, strided_addr[1:0]);
          issue       = (seq_err == ERR_NONE);
          issue_instr = reissue_instr.raw;
        end
      end
    end

    // IFETCH landing: the entries loaded and unfetched after this cycle must fit the queue.
    unfetched = end_q - pc_d;
    overflow  = ifetch_q && !start_i && (int'(unfetched) + FetchWords > QueueDepth);
    append    = ifetch_q && !start_i && !overflow;
    if (append) begin
      end_d = end_q + LenWidth'(FetchWords);
    end
    err = run_i && !start_i ? first_err(seq_err, overflow ? ERR_QUEUE_OVERFLOW : ERR_NONE)
                            : ERR_NONE;
    if (err != ERR_NONE) begin
      issue    = 1'b0;
      ifetch_d = 1'b0;
    end

    // The fetch-ahead read of pc_d meets the first appended entry: forward it.
    fwd_d      = append && !host_req_i && (pc_d == end_q);
    fwd_word_d = fetched[0 +: 4];

    if (run_i && !start_i) begin
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
  assign issue_valid_o  = dispatch_valid_d;
  assign issue_instr_o  = dispatch_d;
  assign append_o       = append;
  assign append_entry_o = EntryWidth'(end_q);
  assign append_words_o = fetched;

  // The sequencing above is built for these generated constants.
  initial begin
    assert (InstrWidth == 32 && DispatchCycles == 1)
      else $fatal(1, "lpu_icu_queue: built for 32-bit instructions and dispatch = 1");
    assert ($bits(fetch.count.n) == WaitWidth && $bits(fetch.rpt.n) == RepWidth
            && $bits(fetch.rpt.d) == RepWidth)
      else $fatal(1, "lpu_icu_queue: counter widths differ from the instruction formats");
    assert (QueueDepth >= 2 && (QueueDepth & (QueueDepth - 1)) == 0
            && QueueDepth >= NumLanes / 4)
      else $fatal(1, "lpu_icu_queue: QueueDepth must be a power of two, at least 2 and NumLanes/4");
    assert (NumLanes % 4 == 0 && ((NumLanes / 4) & (NumLanes / 4 - 1)) == 0)
      else $fatal(1, "lpu_icu_queue: NumLanes/4 must be a power of two");
    assert (LenWidth == EntryWidth + 1) else $fatal(1, "lpu_icu_queue: counter width");
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

  // The queue never holds more loaded-but-unfetched entries than it has slots.
  assert property (@(posedge clk_i) disable iff (!rst_ni) int'(LenWidth'(end_q - pc_q)) <= QueueDepth)
    else $error("lpu_icu_queue: more entries loaded than slots");

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
