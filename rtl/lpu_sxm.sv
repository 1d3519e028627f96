// SXM slice (switch execution module): moves bytes between lanes of stream vectors.
//
// It sits between the MXM and the MEM slices and executes the sxm queue. Every op acts on a
// group of 1, 2 or 4 adjacent streams (8-, 16- or 32-bit values as byte planes): the same
// lane mapping is applied to every stream of the group. Issued in cycle t, an op reads its
// sources from the streams present here in t+1 and drives its result on the destination
// group, in the destination's own direction, in t+2:
//
//   SHIFT   a, n, dst [down]   out[l] = a[l-n] (up) or a[l+n] (down), zero where that is off
//                              the vector;
//   ROTATE  a, n, dst [down]   the same modulo NumLanes;
//   PERMUTE a, map, dst        out[l] = a[map[l]]; a map that is not a bijection raises
//                              BAD_OPERAND in t+1 and drives nothing;
//   DISTRIBUTE a, map, dst     out[l] = a[map[l]], or 0 where map[l] >= NumLanes (top bit set);
//   SELECT  a, b, mask, dst    out[l] = mask[l] != 0 ? a[l] : b[l];
//   TRANSPOSE a, dst           corner turn of NumLanes vectors (lpu_sxm_transpose): capture in
//                              t+1 .. t+L, drive column i in t+L+1+i; UNIT_BUSY when it arrives
//                              while the previous one still captures.
//
// SHIFT, ROTATE, PERMUTE and DISTRIBUTE compute one source-lane index per output lane and share
// one crossbar; SELECT is a per-lane multiplexer. The result is registered in t+1 and driven in
// t+2. When a TRANSPOSE column and such a result drive the same stream in one cycle, the
// result wins on the shared streams and the SXM raises STREAM_CONFLICT. Errors are reported
// only in run cycles (`run_i`), as the queues report theirs; lpu_top merges them into the sxm
// queue's error. `flush_i` (the start of a run) drops work that would land in the new run.

module lpu_sxm
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumLanes   = 16,
  parameter int unsigned NumStreams = 16
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       flush_i,  // a run starts: drop work in flight
  input  logic                       run_i,    // a run cycle: errors count

  // Dispatch register of the sxm queue
  input  logic                       dispatch_valid_i,
  input  logic [31:0]                dispatch_instr_i,

  // Streams at the SXM position
  input  logic [NumLanes-1:0][7:0]   present_i [2][NumStreams],
  output logic [1:0][NumStreams-1:0] drive_o,
  output logic [NumLanes-1:0][7:0]   data_o    [2][NumStreams],

  output err_e                       err_o
);

  localparam int unsigned GroupMax       = 4;  // streams in the widest group (32-bit values)
  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;
  localparam int unsigned LaneIdxWidth   = (NumLanes > 1) ? $clog2(NumLanes) : 1;

  typedef logic [NumLanes-1:0][7:0] vec_t;
  typedef vec_t [GroupMax-1:0]      group_vec_t;

  //////////////
  // Decoding //
  //////////////

  // All SXM formats place group, a, b, m and the destination alike; SHIFT and ROTATE keep
  // their amount and direction where b and m would be.
  instr_sxm_select_t instr;
  instr_sxm_shift_t  shift;
  logic              do_shift, do_rotate, do_permute, do_distribute, do_transpose, do_select;
  logic              do_lane_map;

  assign instr         = instr_sxm_select_t'(dispatch_instr_i);
  assign shift         = instr_sxm_shift_t'(dispatch_instr_i);
  assign do_shift      = dispatch_valid_i && (instr.op == OP_SHIFT);
  assign do_rotate     = dispatch_valid_i && (instr.op == OP_ROTATE);
  assign do_permute    = dispatch_valid_i && (instr.op == OP_PERMUTE);
  assign do_distribute = dispatch_valid_i && (instr.op == OP_DISTRIBUTE);
  assign do_transpose  = dispatch_valid_i && (instr.op == OP_TRANSPOSE);
  assign do_select     = dispatch_valid_i && (instr.op == OP_SELECT);
  assign do_lane_map   = do_shift || do_rotate || do_permute || do_distribute;

  // Each source first picks its direction for all streams, then its streams: one 2:1
  // multiplexer per stream shared by the group, instead of a 2 * NumStreams way one per stream
  // of the group. Streams past the last one read as zero.
  vec_t a_dir [NumStreams];
  vec_t b_dir [NumStreams];
  vec_t m_dir [NumStreams];

  always_comb begin
    for (int unsigned s = 0; s < NumStreams; s++) begin
      a_dir[s] = present_i[instr.adir][s];
      b_dir[s] = present_i[instr.bdir][s];
      m_dir[s] = present_i[instr.mdir][s];
    end
  end

  function automatic vec_t pick(vec_t streams [NumStreams], int s);
    if (s < int'(NumStreams)) begin
      return streams[StreamIdxWidth'(s)];
    end
    return '0;
  endfunction

  group_vec_t src_a, src_b;
  vec_t       map, mask;

  always_comb begin
    for (int unsigned k = 0; k < GroupMax; k++) begin
      src_a[k] = pick(a_dir, int'(instr.a) + int'(k));
      src_b[k] = pick(b_dir, int'(instr.b) + int'(k));
    end
    map  = src_b[0];
    mask = pick(m_dir, int'(instr.m));
  end

  //////////////
  // Lane map //
  //////////////

  // Output lane l takes source lane idx[l], or zero.
  logic [NumLanes-1:0][LaneIdxWidth-1:0] idx;
  logic [NumLanes-1:0]                   zero;

  // Lane arithmetic in 9-bit signed: lanes and amounts are below 128, sums below 256.
  localparam logic signed [8:0] Lanes = 9'(NumLanes);

  always_comb begin
    for (int l = 0; l < int'(NumLanes); l++) begin
      logic signed [8:0] n, src;
      n       = $signed({2'b00, shift.n});
      src     = '0;
      zero[l] = 1'b0;
      if (do_shift || do_rotate) begin
        src = shift.flag ? 9'(l) + n : 9'(l) - n;
        if (do_rotate) begin
          src = (src < 0) ? src + Lanes : (src >= Lanes) ? src - Lanes : src;
        end else begin
          zero[l] = (src < 0) || (src >= Lanes);
        end
      end else begin
        src     = $signed({1'b0, map[l]});
        zero[l] = src >= Lanes;
      end
      idx[l] = zero[l] ? '0 : LaneIdxWidth'(src);
    end
  end

  // PERMUTE: every source lane is taken by some output lane (then, with as many outputs as
  // sources, each exactly once and every map byte is below NumLanes).
  logic [NumLanes-1:0] hit;
  logic                map_ok;

  always_comb begin
    for (int j = 0; j < int'(NumLanes); j++) begin
      hit[j] = 1'b0;
      for (int l = 0; l < int'(NumLanes); l++) begin
        hit[j] |= (int'(map[l]) == j);
      end
    end
  end

  assign map_ok = &hit;

  ////////////
  // Result //
  ////////////

  logic                      res_valid_d, res_valid_q;
  logic                      res_dir_d, res_dir_q;
  logic [4:0]                res_base_d, res_base_q;
  logic [1:0]                res_group_d, res_group_q;
  group_vec_t                res_d, res_q;
  logic                      res_op;

  assign res_op = (do_lane_map && !(do_permute && !map_ok)) || do_select;

  always_comb begin
    res_d = res_q;
    if (res_op) begin
      for (int unsigned k = 0; k < GroupMax; k++) begin
        for (int unsigned l = 0; l < NumLanes; l++) begin
          if (do_select) begin
            res_d[k][l] = (mask[l] != 8'h00) ? src_a[k][l] : src_b[k][l];
          end else begin
            res_d[k][l] = zero[l] ? 8'h00 : src_a[k][idx[l]];
          end
        end
      end
    end
  end

  assign res_valid_d = res_op && !flush_i;
  assign res_dir_d   = res_op ? instr.dir : res_dir_q;
  assign res_base_d  = res_op ? instr.stream : res_base_q;
  assign res_group_d = res_op ? instr.group : res_group_q;

  ///////////////
  // Transpose //
  ///////////////

  logic       t_busy, t_start;
  logic       t_valid, t_dir;
  logic [4:0] t_base;
  logic [1:0] t_group;
  group_vec_t t_data;

  assign t_start = do_transpose && !t_busy && !flush_i;

  lpu_sxm_transpose #(
    .NumLanes   (NumLanes),
    .NumStreams (NumStreams),
    .GroupMax   (GroupMax)
  ) u_transpose (
    .clk_i,
    .rst_ni,
    .flush_i,
    .start_i     (t_start),
    .a_i         (instr.a),
    .adir_i      (instr.adir),
    .group_i     (instr.group),
    .dst_i       (instr.stream),
    .ddir_i      (instr.dir),
    .present_i,
    .busy_o      (t_busy),
    .out_valid_o (t_valid),
    .out_dir_o   (t_dir),
    .out_base_o  (t_base),
    .out_group_o (t_group),
    .out_data_o  (t_data)
  );

  ////////////
  // Drives //
  ////////////

  // Stream s is in a group of `code` (1 << code streams) based at `base`; its plane is
  // s - base, wrapping modulo GroupMax.
  function automatic logic in_group(int s, logic [4:0] base, logic [1:0] code);
    return (s >= int'(base)) && (s - int'(base) < (1 << code));
  endfunction

  logic [1:0][NumStreams-1:0] res_drive, t_drive;
  logic                       conflict;

  always_comb begin
    conflict = 1'b0;
    for (int s = 0; s < int'(NumStreams); s++) begin
      logic [1:0] res_plane, t_plane;
      res_plane = 2'(s - int'(res_base_q));
      t_plane   = 2'(s - int'(t_base));
      for (int unsigned d = 0; d < 2; d++) begin
        res_drive[d][s] = res_valid_q && (res_dir_q == d[0])
                          && in_group(s, res_base_q, res_group_q);
        t_drive[d][s]   = t_valid && (t_dir == d[0]) && in_group(s, t_base, t_group);
        drive_o[d][s]   = res_drive[d][s] || t_drive[d][s];
        data_o[d][s]    = res_drive[d][s] ? res_q[res_plane] : t_data[t_plane];
        conflict       |= res_drive[d][s] && t_drive[d][s];
      end
    end
  end

  ////////////
  // Errors //
  ////////////

  // At most one op reaches the SXM per cycle; a conflict can meet a bad map or a busy
  // transpose, and the lowest code wins as for the queues' checks.
  always_comb begin
    err_o = ERR_NONE;
    if (run_i) begin
      if (do_permute && !map_ok) begin
        err_o = ERR_BAD_OPERAND;
      end else if (conflict) begin
        err_o = ERR_STREAM_CONFLICT;
      end else if (do_transpose && t_busy) begin
        err_o = ERR_UNIT_BUSY;
      end
    end
  end

  ///////////////
  // Registers //
  ///////////////

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      res_valid_q <= 1'b0;
      res_dir_q   <= 1'b0;
      res_base_q  <= '0;
      res_group_q <= '0;
      res_q       <= '0;
    end else begin
      res_valid_q <= res_valid_d;
      res_dir_q   <= res_dir_d;
      res_base_q  <= res_base_d;
      res_group_q <= res_group_d;
      res_q       <= res_d;
    end
  end

  // The shift view serves only for the amount and direction (the other fields are read
  // through the select view).
  logic unused_instr;
  assign unused_instr = ^{shift.op, shift.group, shift.rsvd0, shift.a, shift.adir, shift.stream,
                          shift.dir};

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  // The pipeline above implements these generated latencies.
  initial begin
    assert (LatShiftStreamIn == 1 && LatShiftStreamOut == 2 && LatRotateStreamIn == 1
            && LatRotateStreamOut == 2 && LatPermuteStreamIn == 1 && LatPermuteStreamOut == 2
            && LatDistributeStreamIn == 1 && LatDistributeStreamOut == 2
            && LatSelectStreamIn == 1 && LatSelectStreamOut == 2 && LatTransposeStreamIn == 1)
      else $fatal(1, "lpu_sxm: latencies in lpu_isa_pkg differ from the RTL");
    assert (NumLanes >= 4 && NumLanes <= 128)
      else $fatal(1, "lpu_sxm: NumLanes must be in 4..128 (7-bit amount, 8-bit map bytes)");
    assert (NumStreams >= GroupMax) else $fatal(1, "lpu_sxm: groups need 4 streams");
  end

  // Only SXM ops reach the SXM, with operands the queue has checked.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   dispatch_valid_i |-> (do_lane_map || do_transpose || do_select)
                                        && instr.group != 2'd3
                                        && int'(instr.stream) + (1 << instr.group) <= NumStreams
                                        && int'(instr.a) + (1 << instr.group) <= NumStreams)
    else $error("lpu_sxm: bad dispatch %h", dispatch_instr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   (do_shift || do_rotate) |-> int'(shift.n) < NumLanes)
    else $error("lpu_sxm: amount %0d beyond the lanes", shift.n);
`endif

endmodule
