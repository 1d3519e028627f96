// VXM slice: VxmAlus chained vector ALUs at the east end of the stream fabric.
//
// ALU k executes queue vxm k. Each ALU has a result register R[k] (one 32-bit value per lane),
// a 32-bit immediate register IMM and a requantisation shift QSHIFT. An op issued in cycle t is
// in the queue's dispatch register in t+1 and
//
//   t+1  samples its sources: a stream group present at this position (stream s+b carries byte
//        b of each lane's value, zero-extended), R[k-1] (PREV: the chain), R[k] (SELF) or IMM,
//        all as they are in t+1; one lpu_vxm_alu per lane computes the result, which is written
//        to R[k] at the end of t+1;
//   t+2  drives R[k]'s low group bytes onto its destination stream group, if it has one.
//
// So one vector passes ALU0 -> ALU1 -> ... one cycle per ALU, each op reading PREV. CONFIG
// (issued on vxm k at t) writes IMM[15:0], IMM[31:16] or QSHIFT at the end of t+1. When two ALUs
// drive overlapping stream groups (same direction) in one cycle, the lower ALU's bytes go out
// and every ALU involved raises `conflict_o` (STREAM_CONFLICT, merged into its queue's error in
// lpu_top). `flush_i` (the start of a run) clears R, IMM and QSHIFT of every ALU and drops the
// drives in flight. The queues have checked every dispatched op (lpu_icu_queue), so fields,
// groups and types are legal here.

module lpu_vxm
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumLanes   = 16,
  parameter int unsigned NumStreams = 16,
  parameter int unsigned VxmAlus    = 4
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       flush_i,  // a run starts: clear the ALUs, drop drives

  // Dispatch registers of the queues vxm0 .. vxm{VxmAlus-1}
  input  logic                       valid_i [VxmAlus],
  input  logic [31:0]                instr_i [VxmAlus],

  // ALUs whose drives overlap another ALU's in this cycle
  output logic [VxmAlus-1:0]         conflict_o,

`ifndef SYNTHESIS
  // Simulation only, for lpu_tracer: the R[k] writes at the end of this cycle
  output logic                       rwrite_o [VxmAlus],
  output logic [NumLanes-1:0][31:0]  rdata_o  [VxmAlus],

`endif
  // Streams at this position
  input  logic [NumLanes-1:0][7:0]   present_i [2][NumStreams],
  output logic [1:0][NumStreams-1:0] drive_o,
  output logic [NumLanes-1:0][7:0]   data_o    [2][NumStreams]
);

  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;

  typedef logic [NumLanes-1:0][31:0] lanes_t;

  // Every ALU's registers, for the chain (PREV) and the drives.
  lanes_t     r_all         [VxmAlus];
  logic       drv_valid_all [VxmAlus];
  logic       drv_dir_all   [VxmAlus];
  logic [4:0] drv_base_all  [VxmAlus];
  logic [2:0] drv_group_all [VxmAlus];

  //////////
  // ALUs //
  //////////

  for (genvar k = 0; k < VxmAlus; k++) begin : gen_alu
    lanes_t        r_d, r_q;
    logic [31:0]   imm_d, imm_q;
    logic [5:0]    qshift_d, qshift_q;
    logic          drv_valid_d, drv_valid_q;
    logic          drv_dir_d, drv_dir_q;
    logic [4:0]    drv_base_d, drv_base_q;
    logic [2:0]    drv_group_d, drv_group_q;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        r_q         <= '0;
        imm_q       <= '0;
        qshift_q    <= '0;
        drv_valid_q <= 1'b0;
        drv_dir_q   <= 1'b0;
        drv_base_q  <= '0;
        drv_group_q <= '0;
      end else begin
        r_q         <= r_d;
        imm_q       <= imm_d;
        qshift_q    <= qshift_d;
        drv_valid_q <= drv_valid_d;
        drv_dir_q   <= drv_dir_d;
        drv_base_q  <= drv_base_d;
        drv_group_q <= drv_group_d;
      end
    end

    assign r_all[k]         = r_q;
    assign drv_valid_all[k] = drv_valid_q;
    assign drv_dir_all[k]   = drv_dir_q;
    assign drv_base_all[k]  = drv_base_q;
    assign drv_group_all[k] = drv_group_q;

    instr_vxm2_t   ins;
    instr_vxmcvt_t cvt;
    instr_config_t cfg;
    vxm_type_e     ty, sty;
    logic          do_op, do_cfg;
    int unsigned   a_group, b_group;
    logic [2:0]    dst_group;
    lanes_t        prev, a_val, b_val, result;

    assign ins       = instr_vxm2_t'(instr_i[k]);
    assign cvt       = instr_vxmcvt_t'(instr_i[k]);
    assign cfg       = instr_config_t'(instr_i[k]);
    assign ty        = vxm_type_e'(ins.vtype);
    assign sty       = vxm_type_e'(cvt.stype);
    assign do_cfg    = valid_i[k] && (ins.op == OP_CONFIG);
    assign do_op     = valid_i[k] && (ins.op != OP_CONFIG);
    assign a_group   = vxm_a_group(ins.op, ins.vtype, cvt.stype);
    assign b_group   = vxm_b_group(ins.op, ins.vtype);
    assign dst_group = 3'(vxm_dst_group(ins.op, ins.vtype));

    // PREV: the previous ALU's result register (ALU 0 has none; the queue rejects PREV there).
    if (k == 0) begin : gen_first
      assign prev = '0;
    end else begin : gen_chain
      assign prev = r_all[k-1];
    end

    // Source values per lane: a stream group (zero-extended), PREV, SELF or IMM.
    always_comb begin
      for (int unsigned l = 0; l < NumLanes; l++) begin
        a_val[l] = '0;
        b_val[l] = '0;
        for (int unsigned j = 0; j < 4; j++) begin
          if (ins.srca[VxmStreamBit] && j < a_group && int'(ins.srca[4:0]) + j < NumStreams) begin
            a_val[l][8*j +: 8] = present_i[ins.srca[5]][StreamIdxWidth'(int'(ins.srca[4:0]) + j)][l];
          end
          if (ins.srcb[VxmStreamBit] && j < b_group && int'(ins.srcb[4:0]) + j < NumStreams) begin
            b_val[l][8*j +: 8] = present_i[ins.srcb[5]][StreamIdxWidth'(int'(ins.srcb[4:0]) + j)][l];
          end
        end
        if (!ins.srca[VxmStreamBit]) begin
          a_val[l] = (ins.srca == VXM_SRC_PREV) ? prev[l] :
                     (ins.srca == VXM_SRC_SELF) ? r_q[l] : imm_q;
        end
        if (!ins.srcb[VxmStreamBit]) begin
          b_val[l] = (ins.srcb == VXM_SRC_PREV) ? prev[l] :
                     (ins.srcb == VXM_SRC_SELF) ? r_q[l] : imm_q;
        end
      end
    end

    for (genvar l = 0; l < NumLanes; l++) begin : gen_lane
      lpu_vxm_alu u_alu (
        .op_i     (ins.op),
        .ty_i     (ty),
        .sty_i    (sty),
        .a_i      (a_val[l]),
        .b_i      (b_val[l]),
        .self_i   (r_q[l]),
        .qshift_i (qshift_q),
        .result_o (result[l])
      );
    end

    // End of the cycle: R[k], the CONFIG registers and the drive of the next cycle.
    always_comb begin
      r_d         = r_q;
      imm_d       = imm_q;
      qshift_d    = qshift_q;
      drv_valid_d = 1'b0;
      drv_dir_d   = ins.dst[5];
      drv_base_d  = ins.dst[4:0];
      drv_group_d = dst_group;
      if (flush_i) begin
        r_d      = '0;
        imm_d    = '0;
        qshift_d = '0;
      end else if (do_cfg) begin
        unique case (cfg.index)
          VXM_CFG_IMMLO: imm_d[15:0] = cfg.value;
          VXM_CFG_IMMHI: imm_d[31:16] = cfg.value;
          default:       qshift_d = cfg.value[5:0];
        endcase
      end else if (do_op) begin
        r_d         = result;
        drv_valid_d = ins.dst[VxmStreamBit];
      end
    end

`ifndef SYNTHESIS
    assign rwrite_o[k] = do_op && !flush_i;
    assign rdata_o[k]  = result;
`endif

    // Fields the slice does not use: reserved bits, and QSHIFT values above 63 (rejected).
    logic unused_fields;
    assign unused_fields = ^{ins.rsvd0, cfg.rsvd0, cfg.value[15:6], cvt, cfg.op};
  end

  ////////////
  // Drives //
  ////////////

  // Stream s in direction d carries byte (s - base) of the lowest ALU whose group covers it.
  always_comb begin
    for (int unsigned d = 0; d < 2; d++) begin
      for (int unsigned s = 0; s < NumStreams; s++) begin
        drive_o[d][s] = 1'b0;
        data_o[d][s]  = '0;
        for (int k = int'(VxmAlus) - 1; k >= 0; k--) begin
          if (drv_valid_all[k] && (drv_dir_all[k] == d[0]) && (s >= int'(drv_base_all[k]))
              && (s < int'(drv_base_all[k]) + int'(drv_group_all[k]))) begin
            drive_o[d][s] = 1'b1;
            for (int unsigned l = 0; l < NumLanes; l++) begin
              data_o[d][s][l] = r_all[k][l][8*(s - int'(drv_base_all[k])) +: 8];
            end
          end
        end
      end
    end
  end

  // Two ALUs conflict when both drive, in one direction, overlapping stream groups.
  always_comb begin
    conflict_o = '0;
    for (int unsigned j = 0; j < VxmAlus; j++) begin
      for (int unsigned k = 0; k < VxmAlus; k++) begin
        if (j != k && drv_valid_all[j] && drv_valid_all[k] && (drv_dir_all[j] == drv_dir_all[k])
            && (int'(drv_base_all[j]) < int'(drv_base_all[k]) + int'(drv_group_all[k]))
            && (int'(drv_base_all[k]) < int'(drv_base_all[j]) + int'(drv_group_all[j]))) begin
          conflict_o[j] = 1'b1;
        end
      end
    end
  end

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (LatVaddStreamIn == 1 && LatVaddResultWrite == 1 && LatVaddStreamOut == 2
            && LatConfigConfigWrite == 1)
      else $fatal(1, "lpu_vxm: latencies in lpu_isa_pkg differ from the RTL");
    assert (VxmAlus >= 1 && NumStreams >= 4) else $fatal(1, "lpu_vxm: bad parameters");
  end

  // Only legal VXM ops and CONFIG reach the slice, with every stream group inside the streams.
  for (genvar k = 0; k < VxmAlus; k++) begin : gen_check
    assert property (@(posedge clk_i) disable iff (!rst_ni)
                     gen_alu[k].do_op |-> op_legal(gen_alu[k].ins.op, UNIT_VXM)
                                          && vxm_type_ok(gen_alu[k].ins.op, gen_alu[k].ins.vtype,
                                                         gen_alu[k].cvt.stype))
      else $error("lpu_vxm: bad op %h on ALU %0d", instr_i[k], k);
    assert property (@(posedge clk_i) disable iff (!rst_ni)
                     drv_valid_all[k] |-> int'(drv_base_all[k]) + int'(drv_group_all[k]) <= NumStreams)
      else $error("lpu_vxm: ALU %0d drives beyond the streams", k);
  end
`endif

endmodule
