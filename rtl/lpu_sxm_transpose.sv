// SXM corner turner: transposes a NumLanes x NumLanes byte block on every stream of a group.
//
// A TRANSPOSE issued in cycle t is accepted here in t+1 (`start_i`), unless a capture is still
// in progress (`busy_o`; lpu_sxm then raises UNIT_BUSY). With L = NumLanes:
//
//   capture  t+1 .. t+L      the vector present on each source stream a+k (k < GroupMax) enters
//                            the capture register as its new last row while the older rows
//                            move up by one, so that after L captures row j holds the vector
//                            of cycle t+1+j;
//   hand-over t+L            together with the last capture, the whole block is copied into
//                            the output register;
//   output   t+L+1 .. t+2L   the output register drives column i (out[l] = row_l[i]) in
//                            t+L+1+i, then moves every row's lanes down by one.
//
// Capture and output registers are separate (double buffering): the next TRANSPOSE may start
// capturing in the cycle after the last capture, while this one drives, so transposes issued
// L cycles apart stream with no gap. All GroupMax source streams are captured; lpu_sxm drives
// only the streams of the instruction's group. `flush_i` (the start of a run) drops a capture
// and an output in progress.

module lpu_sxm_transpose #(
  parameter int unsigned NumLanes   = 16,
  parameter int unsigned NumStreams = 16,
  parameter int unsigned GroupMax   = 4,
  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1,
  localparam int unsigned RowWidth       = $clog2(NumLanes + 1)
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  input  logic                                   flush_i,

  // An accepted TRANSPOSE in the SXM's dispatch register: its operands
  input  logic                                   start_i,
  input  logic [4:0]                             a_i,      // source group base
  input  logic                                   adir_i,
  input  logic [1:0]                             group_i,  // group code of the instruction
  input  logic [4:0]                             dst_i,    // destination group base
  input  logic                                   ddir_i,

  // Streams at the SXM position
  input  logic [NumLanes-1:0][7:0]               present_i [2][NumStreams],

  output logic                                   busy_o,   // a capture is in progress

  // The column driven in this cycle, for the destination group
  output logic                                   out_valid_o,
  output logic                                   out_dir_o,
  output logic [4:0]                             out_base_o,
  output logic [1:0]                             out_group_o,
  output logic [GroupMax-1:0][NumLanes-1:0][7:0] out_data_o
);

  // One block per group stream: [k][row][lane].
  typedef logic [GroupMax-1:0][NumLanes-1:0][NumLanes-1:0][7:0] block_t;

  ///////////
  // State //
  ///////////

  logic                cap_active_d, cap_active_q;  // rows 1..L-1 still to capture
  logic [RowWidth-1:0] cap_rows_d, cap_rows_q;      // rows captured so far
  logic [4:0]          cap_a_d, cap_a_q;
  logic                cap_adir_d, cap_adir_q;
  logic [1:0]          cap_group_d, cap_group_q;
  logic [4:0]          cap_dst_d, cap_dst_q;
  logic                cap_ddir_d, cap_ddir_q;
  block_t              cap_d, cap_q;

  logic                out_valid_d, out_valid_q;
  logic [RowWidth-1:0] out_col_d, out_col_q;  // column driven in this cycle
  logic                out_dir_d, out_dir_q;
  logic [4:0]          out_base_d, out_base_q;
  logic [1:0]          out_group_d, out_group_q;
  block_t              out_d, out_q;

  /////////////
  // Capture //
  /////////////

  logic                                   capturing, last_row;
  logic [4:0]                             src_a;
  logic                                   src_dir;
  logic [GroupMax-1:0][NumLanes-1:0][7:0] src_vec;

  assign capturing = start_i || cap_active_q;
  assign src_a     = start_i ? a_i : cap_a_q;
  assign src_dir   = start_i ? adir_i : cap_adir_q;

  // The direction is picked once for all streams, then the group's streams. Group streams
  // past the last stream read as zero (the queue's range check keeps the instruction's own
  // group inside).
  logic [NumLanes-1:0][7:0] dir_vec [NumStreams];

  always_comb begin
    for (int unsigned s = 0; s < NumStreams; s++) begin
      dir_vec[s] = present_i[src_dir][s];
    end
    for (int unsigned k = 0; k < GroupMax; k++) begin
      if (int'(src_a) + int'(k) < int'(NumStreams)) begin
        src_vec[k] = dir_vec[StreamIdxWidth'(int'(src_a) + int'(k))];
      end else begin
        src_vec[k] = '0;
      end
    end
  end

  always_comb begin
    cap_d       = cap_q;
    cap_rows_d  = cap_rows_q;
    cap_a_d     = cap_a_q;
    cap_adir_d  = cap_adir_q;
    cap_group_d = cap_group_q;
    cap_dst_d   = cap_dst_q;
    cap_ddir_d  = cap_ddir_q;
    if (start_i) begin
      cap_a_d     = a_i;
      cap_adir_d  = adir_i;
      cap_group_d = group_i;
      cap_dst_d   = dst_i;
      cap_ddir_d  = ddir_i;
    end
    if (capturing) begin
      for (int unsigned k = 0; k < GroupMax; k++) begin
        for (int unsigned r = 0; r + 1 < NumLanes; r++) begin
          cap_d[k][r] = cap_q[k][r+1];
        end
        cap_d[k][NumLanes-1] = src_vec[k];
      end
      cap_rows_d = start_i ? RowWidth'(1) : cap_rows_q + 1'b1;
    end
  end

  assign last_row     = capturing && (int'(cap_rows_d) == NumLanes);
  assign cap_active_d = capturing && !last_row && !flush_i;
  assign busy_o       = cap_active_q;

  ////////////
  // Output //
  ////////////

  always_comb begin
    out_d       = out_q;
    out_col_d   = out_col_q;
    out_valid_d = out_valid_q;
    out_dir_d   = out_dir_q;
    out_base_d  = out_base_q;
    out_group_d = out_group_q;
    if (out_valid_q) begin
      // The next column moves to lane 0 of every row.
      for (int unsigned k = 0; k < GroupMax; k++) begin
        for (int unsigned r = 0; r < NumLanes; r++) begin
          out_d[k][r] = {8'h00, out_q[k][r][NumLanes-1:1]};
        end
      end
      out_col_d   = out_col_q + 1'b1;
      out_valid_d = int'(out_col_q) != NumLanes - 1;
    end
    if (last_row) begin
      out_d       = cap_d;
      out_col_d   = '0;
      out_valid_d = 1'b1;
      out_dir_d   = cap_ddir_d;
      out_base_d  = cap_dst_d;
      out_group_d = cap_group_d;
    end
    if (flush_i) begin
      out_valid_d = 1'b0;
    end
  end

  always_comb begin
    for (int unsigned k = 0; k < GroupMax; k++) begin
      for (int unsigned l = 0; l < NumLanes; l++) begin
        out_data_o[k][l] = out_q[k][l][0];
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_dir_o   = out_dir_q;
  assign out_base_o  = out_base_q;
  assign out_group_o = out_group_q;

  ///////////////
  // Registers //
  ///////////////

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cap_active_q <= 1'b0;
      cap_rows_q   <= '0;
      cap_a_q      <= '0;
      cap_adir_q   <= 1'b0;
      cap_group_q  <= '0;
      cap_dst_q    <= '0;
      cap_ddir_q   <= 1'b0;
      cap_q        <= '0;
      out_valid_q  <= 1'b0;
      out_col_q    <= '0;
      out_dir_q    <= 1'b0;
      out_base_q   <= '0;
      out_group_q  <= '0;
      out_q        <= '0;
    end else begin
      cap_active_q <= cap_active_d;
      cap_rows_q   <= cap_rows_d;
      cap_a_q      <= cap_a_d;
      cap_adir_q   <= cap_adir_d;
      cap_group_q  <= cap_group_d;
      cap_dst_q    <= cap_dst_d;
      cap_ddir_q   <= cap_ddir_d;
      cap_q        <= cap_d;
      out_valid_q  <= out_valid_d;
      out_col_q    <= out_col_d;
      out_dir_q    <= out_dir_d;
      out_base_q   <= out_base_d;
      out_group_q  <= out_group_d;
      out_q        <= out_d;
    end
  end

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (NumLanes >= 2) else $fatal(1, "lpu_sxm_transpose: NumLanes must be at least 2");
  end

  // lpu_sxm starts a transpose only when no capture is in progress.
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |-> !cap_active_q)
    else $error("lpu_sxm_transpose: start while capturing");

  // A capture lasts exactly NumLanes cycles; an output exactly NumLanes cycles.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   cap_active_q |-> int'(cap_rows_q) >= 1 && int'(cap_rows_q) < NumLanes)
    else $error("lpu_sxm_transpose: capture row count out of range");
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   out_valid_q |-> int'(out_col_q) < NumLanes)
    else $error("lpu_sxm_transpose: output column out of range");
`endif

endmodule
