// MXM slice: weight-stationary MxmDim x MxmDim int8 matrix unit with int32 accumulators.
//
// It sits at position 0 and executes two queues, each instruction one cycle after its issue
// cycle t (when it is in the queue's dispatch register):
//
//   mxmw  LW <dir><s>      t+1: lanes 0..MxmDim-1 of the stream become shadow row `row`
//                               (input index k; lane n holds W[k][n]); row advances, wrapping.
//         IW               t+1: shadow -> active (live from t+2), row returns to 0.
//   mxma  ABC a, <dir><s>  t+1: sample x (stage 1) and read acc[a] for a possible `acc`;
//                          t+2: y[n] = sum_k x[k] * active[k][n] in int32 (stage 2);
//                          t+3: acc[a] = y, or acc[a] + y with the `acc` flag (stage 3).
//         ACC a, <dir><s>  t+1: read acc[a]; t+2: drive its bytes on streams s..s+3 (stream
//                          s+b carries byte b of each lane's int32; lanes >= MxmDim carry 0).
//
// The accumulators live in a simple dual-port RAM (one write port for stage 3, one registered
// read port). Both mxma ops read in t+1, so they never compete for the read port. An `acc`
// update reads its old value in t+1 but adds in t+3: the two writes of the ABCs issued in t-2
// and t-1 land in between, so stage 3 forwards them from a two-entry write history. The
// result is exactly what a register array updated at the end of t+3 would hold. Weights are
// registers: the whole active array feeds the multipliers every cycle. `flush_i` (the start of
// a run) drops ABC and ACC work that would otherwise land inside the new run; this only
// matters after a run stopped on an error, since a clean run drains before it stops. The
// accumulator write port is also an output in simulation, for the tracer (lpu_tracer).

module lpu_mxm
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumLanes   = 16,
  parameter int unsigned NumStreams = 16,
  parameter int unsigned MxmDim     = 16,
  parameter int unsigned AccDepth   = 64,
  localparam int unsigned AccAddrWidth = (AccDepth > 1) ? $clog2(AccDepth) : 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       flush_i,  // a run starts: drop ABC/ACC work in flight

  // Dispatch registers of the mxmw and mxma queues
  input  logic                       w_valid_i,
  input  logic [31:0]                w_instr_i,
  input  logic                       a_valid_i,
  input  logic [31:0]                a_instr_i,

`ifndef SYNTHESIS
  // Simulation only, for lpu_tracer: the accumulator write at the end of this cycle
  output logic                       acc_we_o,
  output logic [AccAddrWidth-1:0]    acc_waddr_o,
  output logic [MxmDim-1:0][31:0]    acc_wdata_o,

`endif
  // Streams at position 0
  input  logic [NumLanes-1:0][7:0]   present_i [2][NumStreams],
  output logic [1:0][NumStreams-1:0] drive_o,
  output logic [NumLanes-1:0][7:0]   data_o    [2][NumStreams]
);

  localparam int unsigned RowWidth       = (MxmDim > 1) ? $clog2(MxmDim) : 1;
  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;
  localparam int unsigned AccGroup       = 4;  // streams per int32 (one per byte)

  typedef logic [MxmDim-1:0][7:0]             x_vec_t;    // one int8 per MXM lane
  typedef logic [MxmDim-1:0][31:0]            acc_vec_t;  // one int32 per MXM lane
  typedef logic [MxmDim-1:0][MxmDim-1:0][7:0] weights_t;  // int8 weight [k][n]

  //////////////
  // Decoding //
  //////////////

  instr_stream_t w_instr;
  instr_addr_t   a_instr;
  logic          do_lw, do_iw, do_abc, do_acc;

  assign w_instr = instr_stream_t'(w_instr_i);
  assign a_instr = instr_addr_t'(a_instr_i);
  assign do_lw   = w_valid_i && (w_instr.op == OP_LW);
  assign do_iw   = w_valid_i && (w_instr.op == OP_IW);
  assign do_abc  = a_valid_i && (a_instr.op == OP_ABC);
  assign do_acc  = a_valid_i && (a_instr.op == OP_ACC);

  // The streams LW and ABC sample; only their first MxmDim lanes enter the array.
  logic [NumLanes-1:0][7:0] lw_vec, abc_vec;
  assign lw_vec  = present_i[w_instr.dir][StreamIdxWidth'(w_instr.stream)];
  assign abc_vec = present_i[a_instr.dir][StreamIdxWidth'(a_instr.stream)];

  /////////////
  // Weights //
  /////////////

  weights_t            shadow_d, shadow_q;
  weights_t            active_d, active_q;
  logic [RowWidth-1:0] row_d, row_q;

  always_comb begin
    shadow_d = shadow_q;
    active_d = active_q;
    row_d    = row_q;
    if (do_lw) begin
      shadow_d[row_q] = lw_vec[MxmDim-1:0];
      row_d = (int'(row_q) == MxmDim - 1) ? '0 : row_q + 1'b1;
    end else if (do_iw) begin
      active_d = shadow_q;
      row_d    = '0;
    end
  end

  ////////////////////
  // ABC stage 1: x //
  ////////////////////

  logic                    s1_valid_d, s1_valid_q;
  logic                    s1_acc_d, s1_acc_q;
  logic [AccAddrWidth-1:0] s1_addr_d, s1_addr_q;
  x_vec_t                  x_d, x_q;

  assign s1_valid_d = do_abc && !flush_i;
  assign s1_acc_d   = do_abc ? a_instr.flag : s1_acc_q;
  assign s1_addr_d  = do_abc ? AccAddrWidth'(a_instr.addr) : s1_addr_q;
  assign x_d        = do_abc ? abc_vec[MxmDim-1:0] : x_q;

  /////////////////////////
  // ABC stage 2: y = xW //
  /////////////////////////

  logic                    s2_valid_d, s2_valid_q;
  logic                    s2_acc_d, s2_acc_q;
  logic [AccAddrWidth-1:0] s2_addr_d, s2_addr_q;
  acc_vec_t                y_d, y_q;
  acc_vec_t                old_d, old_q;  // acc[a] as read in t+1
  acc_vec_t                acc_rdata;

  always_comb begin
    for (int unsigned n = 0; n < MxmDim; n++) begin
      logic signed [31:0] sum;
      sum = '0;
      for (int unsigned k = 0; k < MxmDim; k++) begin
        logic signed [15:0] prod;
        prod = $signed(x_q[k]) * $signed(active_q[k][n]);
        sum  = sum + 32'(prod);
      end
      y_d[n] = sum;
    end
  end

  assign s2_valid_d = s1_valid_q && !flush_i;
  assign s2_acc_d   = s1_valid_q ? s1_acc_q : s2_acc_q;
  assign s2_addr_d  = s1_valid_q ? s1_addr_q : s2_addr_q;
  assign old_d      = s1_valid_q ? acc_rdata : old_q;

  ///////////////////////////////
  // ABC stage 3: accumulators //
  ///////////////////////////////

  // Write history: the accumulator writes at the end of the previous two cycles.
  logic                    wr1_valid_q, wr2_valid_q;
  logic [AccAddrWidth-1:0] wr1_addr_q, wr2_addr_q;
  acc_vec_t                wr1_data_q, wr2_data_q;

  logic                    acc_we;
  logic [AccAddrWidth-1:0] acc_waddr;
  acc_vec_t                acc_wdata;
  acc_vec_t                acc_old;  // acc[a] at t+3, after every earlier write

  always_comb begin
    acc_old = old_q;
    if (wr2_valid_q && wr2_addr_q == s2_addr_q) begin
      acc_old = wr2_data_q;
    end
    if (wr1_valid_q && wr1_addr_q == s2_addr_q) begin
      acc_old = wr1_data_q;
    end
    acc_we    = s2_valid_q;
    acc_waddr = s2_addr_q;
    for (int unsigned n = 0; n < MxmDim; n++) begin
      acc_wdata[n] = s2_acc_q ? acc_old[n] + y_q[n] : y_q[n];
    end
  end

  ////////////////
  // ACC: drain //
  ////////////////

  logic                      acc_re;
  logic [AccAddrWidth-1:0]   acc_raddr;
  logic                      drv_valid_d, drv_valid_q;
  logic                      drv_dir_d, drv_dir_q;
  logic [StreamIdxWidth-1:0] drv_base_d, drv_base_q;

  // Both mxma ops read their accumulator in t+1.
  assign acc_re    = do_abc || do_acc;
  assign acc_raddr = AccAddrWidth'(a_instr.addr);

  lpu_ram_1r1w #(
    .Depth (AccDepth),
    .Width (MxmDim * 32)
  ) u_acc (
    .clk_i,
    .we_i    (acc_we),
    .waddr_i (acc_waddr),
    .wdata_i (acc_wdata),
    .re_i    (acc_re),
    .raddr_i (acc_raddr),
    .rdata_o (acc_rdata)
  );

  assign drv_valid_d = do_acc && !flush_i;
  assign drv_dir_d   = do_acc ? a_instr.dir : drv_dir_q;
  assign drv_base_d  = do_acc ? StreamIdxWidth'(a_instr.stream) : drv_base_q;

  // Byte plane b of the accumulator read in t+1, widened to all lanes with zeros above MxmDim.
  logic [AccGroup-1:0][NumLanes-1:0][7:0] plane;

  always_comb begin
    plane = '0;
    for (int unsigned b = 0; b < AccGroup; b++) begin
      for (int unsigned n = 0; n < MxmDim; n++) begin
        plane[b][n] = acc_rdata[n][8*b +: 8];
      end
    end
  end

  // Stream s of the group carries plane (s - base); the subtraction wraps modulo AccGroup.
  always_comb begin
    for (int s = 0; s < int'(NumStreams); s++) begin
      logic       in_group;
      logic [1:0] b;
      in_group = drv_valid_q && (s >= int'(drv_base_q))
                 && (s - int'(drv_base_q) < int'(AccGroup));
      b        = 2'(s - int'(drv_base_q));
      for (int unsigned d = 0; d < 2; d++) begin
        drive_o[d][s] = in_group && (drv_dir_q == d[0]);
        data_o[d][s]  = plane[b];
      end
    end
  end

  ///////////////
  // Registers //
  ///////////////

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      shadow_q    <= '0;
      active_q    <= '0;
      row_q       <= '0;
      s1_valid_q  <= 1'b0;
      s1_acc_q    <= 1'b0;
      s1_addr_q   <= '0;
      x_q         <= '0;
      s2_valid_q  <= 1'b0;
      s2_acc_q    <= 1'b0;
      s2_addr_q   <= '0;
      y_q         <= '0;
      old_q       <= '0;
      wr1_valid_q <= 1'b0;
      wr1_addr_q  <= '0;
      wr1_data_q  <= '0;
      wr2_valid_q <= 1'b0;
      wr2_addr_q  <= '0;
      wr2_data_q  <= '0;
      drv_valid_q <= 1'b0;
      drv_dir_q   <= 1'b0;
      drv_base_q  <= '0;
    end else begin
      shadow_q    <= shadow_d;
      active_q    <= active_d;
      row_q       <= row_d;
      s1_valid_q  <= s1_valid_d;
      s1_acc_q    <= s1_acc_d;
      s1_addr_q   <= s1_addr_d;
      x_q         <= x_d;
      s2_valid_q  <= s2_valid_d;
      s2_acc_q    <= s2_acc_d;
      s2_addr_q   <= s2_addr_d;
      y_q         <= y_d;
      old_q       <= old_d;
      wr1_valid_q <= acc_we;
      wr1_addr_q  <= acc_waddr;
      wr1_data_q  <= acc_wdata;
      wr2_valid_q <= wr1_valid_q;
      wr2_addr_q  <= wr1_addr_q;
      wr2_data_q  <= wr1_data_q;
      drv_valid_q <= drv_valid_d;
      drv_dir_q   <= drv_dir_d;
      drv_base_q  <= drv_base_d;
    end
  end

  // Operand fields the MXM does not use: mxmw ops carry no addr; strides are applied by the
  // queue; the flag of ACC is reserved.
  logic unused_instr;
  assign unused_instr = ^{w_instr.rsvd0, a_instr.stride};

  // Lanes at or above MxmDim do not take part in the MXM.
  if (MxmDim < NumLanes) begin : gen_unused_lanes
    logic unused_lanes;
    assign unused_lanes = ^{lw_vec[NumLanes-1:MxmDim], abc_vec[NumLanes-1:MxmDim]};
  end

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  assign acc_we_o    = acc_we;
  assign acc_waddr_o = acc_waddr;
  assign acc_wdata_o = acc_wdata;

  // The pipeline above implements these generated latencies.
  initial begin
    assert (LatLwStreamIn == 1 && LatIwWeightsLive == 2 && LatAbcStreamIn == 1
            && LatAbcAccWrite == 3 && LatAccStreamOut == 2 && LatAccAccRead == 1)
      else $fatal(1, "lpu_mxm: latencies in lpu_isa_pkg differ from the RTL");
    assert (MxmDim >= 1 && MxmDim <= NumLanes)
      else $fatal(1, "lpu_mxm: MxmDim must be in 1..NumLanes");
    assert (NumStreams >= AccGroup) else $fatal(1, "lpu_mxm: ACC needs 4 streams");
  end

  assert property (@(posedge clk_i) disable iff (!rst_ni) w_valid_i |-> do_lw || do_iw)
    else $error("lpu_mxm: op %h on mxmw", w_instr.op);

  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   a_valid_i |-> (do_abc || do_acc) && int'(a_instr.addr) < AccDepth)
    else $error("lpu_mxm: bad mxma dispatch %h", a_instr_i);

  // An ACC stream group always fits inside the streams.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   drv_valid_q |-> int'(drv_base_q) + AccGroup <= NumStreams)
    else $error("lpu_mxm: ACC group beyond the streams");

  // Single writer: the MXM drives nothing, or exactly one ACC group in one direction.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   $countones(drive_o) == (drv_valid_q ? AccGroup : 0)
                   && (drive_o[0] == '0 || drive_o[1] == '0))
    else $error("lpu_mxm: drives %h are not one ACC group", drive_o);
`endif

endmodule
