// Stream registers: the byte-wide, lane-parallel streams that carry vectors between slices.
//
// For every position p (0 = MXM, 1 = SXM, 2 + i = MEM slice i), direction d (0 = eastward, 1 =
// westward) and stream s there is one NumLanes-byte register present[p][d][s]: the value at
// position p in this cycle. The slice at p reads it (`present_o[p]`) and may drive stream s in
// direction d (`drive_i[p][d][s]` with `data_i[p][d][s]`), replacing the value for the next
// hop. Every cycle each value moves one position in its direction of travel:
//
//   out[p][E][s]       = drive[p][E][s] ? data[p][E][s] : present[p][E][s]
//   present[p+1][E][s] <= out[p][E][s]          present[0][E][s]     <= 0
//   present[p-1][W][s] <= out[p][W][s]          present[NumPos-1][W] <= 0
//
// Nothing enters at the edges, and what is driven past an edge leaves the row. `clear_i` (the
// cycle a run starts) empties every stream, so each run begins on zero streams whatever the
// previous run left in flight.

module lpu_stream_fabric #(
  parameter int unsigned NumPos     = 9,
  parameter int unsigned NumStreams = 16,
  parameter int unsigned NumLanes   = 16
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic                         clear_i,
  input  logic [1:0][NumStreams-1:0]   drive_i   [NumPos],
  input  logic [NumLanes-1:0][7:0]     data_i    [NumPos][2][NumStreams],
  output logic [NumLanes-1:0][7:0]     present_o [NumPos][2][NumStreams]
);

  localparam int unsigned DirE = 0;
  localparam int unsigned DirW = 1;

  logic [NumLanes-1:0][7:0] present_d [NumPos][2][NumStreams];
  logic [NumLanes-1:0][7:0] present_q [NumPos][2][NumStreams];

  for (genvar p = 0; p < NumPos; p++) begin : gen_pos
    for (genvar s = 0; s < NumStreams; s++) begin : gen_stream
      // Eastward: position p receives what left position p-1.
      if (p == 0) begin : gen_east_edge
        assign present_d[p][DirE][s] = '0;
      end else begin : gen_east
        assign present_d[p][DirE][s] =
            clear_i                ? '0                         :
            drive_i[p-1][DirE][s]  ? data_i[p-1][DirE][s]       :
                                     present_q[p-1][DirE][s];
      end
      // Westward: position p receives what left position p+1.
      if (p == NumPos - 1) begin : gen_west_edge
        assign present_d[p][DirW][s] = '0;
      end else begin : gen_west
        assign present_d[p][DirW][s] =
            clear_i                ? '0                         :
            drive_i[p+1][DirW][s]  ? data_i[p+1][DirW][s]       :
                                     present_q[p+1][DirW][s];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned p = 0; p < NumPos; p++) begin
        for (int unsigned d = 0; d < 2; d++) begin
          for (int unsigned s = 0; s < NumStreams; s++) begin
            present_q[p][d][s] <= '0;
          end
        end
      end
    end else begin
      present_q <= present_d;
    end
  end

  assign present_o = present_q;

  // What is driven past an edge leaves the row: eastward drives at the east end and westward
  // drives at the west end go nowhere.
  logic unused_edge;
  always_comb begin
    unused_edge = 1'b0;
    for (int unsigned s = 0; s < NumStreams; s++) begin
      unused_edge ^= drive_i[NumPos-1][DirE][s] ^ drive_i[0][DirW][s]
                   ^ (^data_i[NumPos-1][DirE][s]) ^ (^data_i[0][DirW][s]);
    end
  end

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (NumPos >= 2) else $fatal(1, "lpu_stream_fabric: need at least two positions");
  end

  // Nothing ever enters at the edges.
  for (genvar s = 0; s < NumStreams; s++) begin : gen_edge_check
    assert property (@(posedge clk_i) disable iff (!rst_ni)
                     present_q[0][DirE][s] == '0 && present_q[NumPos-1][DirW][s] == '0)
      else $error("lpu_stream_fabric: a value entered at an edge on stream %0d", s);
  end
`endif

endmodule
