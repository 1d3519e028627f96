// MEM slice: MemDepth words of NumLanes bytes in two banks, SECDED on every lane byte, read onto
// and written from the streams one word or a quad of four at a time, with per-lane addressed
// GATHER and SCATTER.
//
// Organisation. Every lane is its own set of SRAM columns, so each lane can address a different
// word in the same cycle: per lane and bank, four sub-banks (one lpu_ram_1rw each, 13-bit
// codewords: the lane byte and 5 check bits from lpu_secded_enc) hold the words whose address
// ends in 0, 1, 2 and 3, so the four words of an aligned quad are read or written together.
// Bank 0 holds the low half of the addresses, bank 1 the high half (bank = top address bit): a
// compiler keeps a gather table or scatter target in one half and the words it streams with
// READ and WRITE in the other, and the two never meet.
//
// The slice acts on the instruction in its queue's dispatch register (issued in cycle t, seen
// here in t+1):
//
//   READ  a          t+1: read word a from its bank;  t+2: drive it (decoded) onto the stream.
//   READ  a, quad    the same for words a..a+3 (a a multiple of 4) onto streams s..s+3.
//   WRITE a          t+1: sample the stream, encode, store word a at the end of t+1.
//   WRITE a, quad    the same for streams s..s+3 into words a..a+3.
//   GATHER a, I, D   t+1: sample idx on I; lane l addresses word a + idx[l] (ADDR_RANGE here if
//                          any lane is beyond MemDepth: the op is dropped);
//                    t+2: every lane reads its word from that word's bank;
//                    t+3: drive lane l's decoded byte onto D.
//   SCATTER a, I, D  t+1: sample idx on I and the data on D (ADDR_RANGE as for GATHER);
//                    t+2: lane l stores its encoded byte into word a + idx[l].
//
// So a GATHER or SCATTER issued at t and a READ or WRITE issued at t+1 both use the banks in
// t+2; in every lane they must use different banks, otherwise the slice raises BANK_CONFLICT
// and neither access happens. A READ and a GATHER that drive in the same cycle onto the same
// stream raise STREAM_CONFLICT (the READ's word is driven).
//
// ECC. Every byte read (READ, GATHER, host read) goes through lpu_secded_dec after the read
// muxes (per lane four decoders for a READ quad's words and one for GATHER, plus four for the
// host's chunk; not one per sub-bank). A single flipped bit is corrected and counted
// (`corrected_o`, summed into ECC_CORRECTED), two flipped bits raise ECC_UNCORRECTABLE in the
// drive cycle (the stored byte is driven as is).
// Host writes store the chunk's four lanes, XORed with `inject_mask_i` for the lanes selected
// by `inject_lanes_i` (the ECC_INJECT test register).
//
// The host has the banks only in cycles in which the slice makes no access (it is locked out
// while the core runs; an instruction still in flight after a run stopped on an error wins and
// the host access of that cycle is dropped). `flush_i` (the start of a run) drops reads, gathers
// and scatters that would otherwise act inside the new run.

module lpu_mem_slice
  import lpu_isa_pkg::*;
  import lpu_secded_pkg::*;
#(
  parameter int unsigned NumLanes   = 16,
  parameter int unsigned NumStreams = 16,
  parameter int unsigned MemDepth   = 1024,  // a power of two, at least 16
  localparam int unsigned AddrWidth  = $clog2(MemDepth),
  localparam int unsigned NumChunks  = NumLanes / 4,
  localparam int unsigned ChunkWidth = (NumChunks > 1) ? $clog2(NumChunks) : 1,
  localparam int unsigned CodeWidth  = 8 + lpu_secded_hamming_width(8) + 1,
  localparam int unsigned CorrWidth  = $clog2(5 * NumLanes + 1)
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       flush_i,  // a run starts: drop work still in flight

  // Dispatch register of this slice's queue
  input  logic                       dispatch_valid_i,
  input  logic [31:0]                dispatch_instr_i,

  // Host access (idle only)
  input  logic                       host_req_i,
  input  logic                       host_we_i,
  input  logic [AddrWidth-1:0]       host_word_i,
  input  logic [ChunkWidth-1:0]      host_chunk_i,
  input  logic [31:0]                host_wdata_i,
  output logic [31:0]                host_rdata_o,  // valid the cycle after a read request
  input  logic [CodeWidth-1:0]       inject_mask_i,
  input  logic [3:0]                 inject_lanes_i,

  // Streams at this position
  input  logic [NumLanes-1:0][7:0]   present_i [2][NumStreams],
  output logic [1:0][NumStreams-1:0] drive_o,
  output logic [NumLanes-1:0][7:0]   data_o    [2][NumStreams],

  // Errors of this cycle (lowest code first) and lane bytes corrected in this cycle
  output err_e                       err_o,
  output logic [CorrWidth-1:0]       corrected_o
`ifndef SYNTHESIS
  ,
  // Simulation only, for lpu_tracer: the stores at the end of this cycle.
  output logic [3:0]                 tr_write_o,       // words base + j stored
  output logic [AddrWidth-1:0]       tr_write_addr_o,  // base: the quad's first word
  output logic [NumLanes-1:0][7:0]   tr_write_data_o [4],
  output logic                       tr_scatter_o,
  output logic [AddrWidth-1:0]       tr_scatter_addr_o [NumLanes],
  output logic [NumLanes-1:0][7:0]   tr_scatter_data_o
`endif
);

  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;
  localparam int unsigned RowWidth       = AddrWidth - 3;  // row of a sub-bank
  localparam int unsigned SubDepth       = MemDepth / 8;   // two banks of four sub-banks
  localparam int unsigned LaneAddrWidth  = 14;  // 13-bit base + 8-bit index, without wrapping

  //////////////
  // Decoding //
  //////////////

  instr_addr_t   instr;
  instr_gather_t ginstr;
  logic          do_read, do_write, do_gather, do_scatter, a_access;
  logic          a_bank, a_quad;
  logic [1:0]    a_sub;
  logic [RowWidth-1:0] a_row;

  assign instr      = instr_addr_t'(dispatch_instr_i);
  assign ginstr     = instr_gather_t'(dispatch_instr_i);
  assign do_read    = dispatch_valid_i && (instr.op == OP_READ);
  assign do_write   = dispatch_valid_i && (instr.op == OP_WRITE);
  assign do_gather  = dispatch_valid_i && (instr.op == OP_GATHER);
  assign do_scatter = dispatch_valid_i && (instr.op == OP_SCATTER);
  assign a_access   = do_read || do_write;
  assign a_quad     = instr.flag;  // READ/WRITE `quad`: words a..a+3 on streams s..s+3
  assign a_bank     = instr.addr[AddrWidth-1];
  assign a_row      = instr.addr[AddrWidth-2:2];
  assign a_sub      = instr.addr[1:0];

  ////////////////////////////////////////////
  // GATHER / SCATTER stage 1: lane addresses //
  ////////////////////////////////////////////

  logic [NumLanes-1:0][7:0]     idx, sdata;
  logic [LaneAddrWidth-1:0]     lane_addr [NumLanes];
  logic [NumLanes-1:0]          lane_bad;
  logic                         range_err;

  assign idx   = present_i[ginstr.idir][StreamIdxWidth'(ginstr.istream)];
  assign sdata = present_i[ginstr.dir][StreamIdxWidth'(ginstr.stream)];

  always_comb begin
    for (int unsigned l = 0; l < NumLanes; l++) begin
      lane_addr[l] = LaneAddrWidth'(ginstr.addr) + LaneAddrWidth'(idx[l]);
      lane_bad[l]  = int'(lane_addr[l]) >= MemDepth;
    end
  end

  assign range_err = (do_gather || do_scatter) && (|lane_bad);

  // Stage 2 registers
  logic                     b_gather_d, b_gather_q;
  logic                     b_scatter_d, b_scatter_q;
  logic [AddrWidth-1:0]     b_addr_d [NumLanes];
  logic [AddrWidth-1:0]     b_addr_q [NumLanes];
  logic [NumLanes-1:0][7:0] b_data_d, b_data_q;
  logic                     b_dir_d, b_dir_q;
  logic [StreamIdxWidth-1:0] b_stream_d, b_stream_q;

  assign b_gather_d  = do_gather && !range_err && !flush_i;
  assign b_scatter_d = do_scatter && !range_err && !flush_i;
  always_comb begin
    for (int unsigned l = 0; l < NumLanes; l++) begin
      b_addr_d[l] = (do_gather || do_scatter) ? AddrWidth'(lane_addr[l]) : b_addr_q[l];
    end
  end
  assign b_data_d   = do_scatter ? sdata : b_data_q;
  assign b_dir_d    = do_gather ? ginstr.dir : b_dir_q;
  assign b_stream_d = do_gather ? StreamIdxWidth'(ginstr.stream) : b_stream_q;

  //////////////////////
  // Bank arbitration //
  //////////////////////

  logic                b_any;
  logic [NumLanes-1:0] b_bank;
  logic [1:0]          b_sub [NumLanes];
  logic [RowWidth-1:0] b_row [NumLanes];
  logic                conflict, a_go, b_go, host_en, host_bank;
  logic [1:0]          host_sub;
  logic [RowWidth-1:0] host_row;

  assign b_any = b_gather_q || b_scatter_q;
  always_comb begin
    for (int unsigned l = 0; l < NumLanes; l++) begin
      b_bank[l] = b_addr_q[l][AddrWidth-1];
      b_row[l]  = b_addr_q[l][AddrWidth-2:2];
      b_sub[l]  = b_addr_q[l][1:0];
    end
  end

  // Per lane, the stage-2 access and a READ or WRITE want the same bank.
  assign conflict  = a_access && b_any && (b_bank != {NumLanes{!a_bank}});
  assign a_go      = a_access && !conflict;
  assign b_go      = b_any && !conflict;
  assign host_en   = host_req_i && !a_access && !b_any;
  assign host_bank = host_word_i[AddrWidth-1];
  assign host_row  = host_word_i[AddrWidth-2:2];
  assign host_sub  = host_word_i[1:0];

  ///////////////////
  // Lane columns  //
  ///////////////////

  logic [CodeWidth-1:0] ram_rdata [NumLanes][2][4];

  for (genvar l = 0; l < NumLanes; l++) begin : gen_lane
    logic [CodeWidth-1:0] b_code;
    logic                 host_lane;

    assign host_lane = (l / 4) == int'(host_chunk_i);

    lpu_secded_enc #(.DataWidth (8)) u_enc_b (
      .data_i (b_data_q[l]),
      .code_o (b_code)
    );

    for (genvar j = 0; j < 4; j++) begin : gen_sub
      // The byte a READ-stage write stores into sub-bank j (WRITE: its stream, or stream + j
      // for a quad; otherwise the host's).
      logic [7:0]           a_wbyte;
      logic [CodeWidth-1:0] a_code, host_code;
      logic                 a_hit;

      assign a_hit   = a_go && (a_quad || a_sub == 2'(j));
      assign a_wbyte = a_access
          ? present_i[instr.dir][StreamIdxWidth'(instr.stream) + (a_quad ? StreamIdxWidth'(j) : '0)][l]
          : host_wdata_i[8 * (l % 4) +: 8];

      lpu_secded_enc #(.DataWidth (8)) u_enc_a (
        .data_i (a_wbyte),
        .code_o (a_code)
      );
      assign host_code = a_code ^ (inject_lanes_i[l % 4] ? inject_mask_i : '0);

      for (genvar b = 0; b < 2; b++) begin : gen_bank
        logic                 req, we;
        logic [RowWidth-1:0]  addr;
        logic [CodeWidth-1:0] wdata;

        always_comb begin
          req   = 1'b0;
          we    = 1'b0;
          addr  = a_row;
          wdata = a_code;
          if (a_hit && a_bank == b[0]) begin
            req = 1'b1;
            we  = do_write;
          end else if (b_go && b_bank[l] == b[0] && b_sub[l] == 2'(j)) begin
            req   = 1'b1;
            we    = b_scatter_q;
            addr  = b_row[l];
            wdata = b_code;
          end else if (host_en && host_bank == b[0] && host_sub == 2'(j)
                       && (!host_we_i || host_lane)) begin
            req   = 1'b1;
            we    = host_we_i;
            addr  = host_row;
            wdata = host_code;
          end
        end

        lpu_ram_1rw #(
          .Depth (SubDepth),
          .Width (CodeWidth)
        ) u_ram (
          .clk_i,
          .req_i   (req),
          .we_i    (we),
          .addr_i  (addr),
          .wdata_i (wdata),
          .rdata_o (ram_rdata[l][b][j])
        );

      end
    end
  end

  ////////////////////////////
  // Drive and host read    //
  ////////////////////////////

  logic                      rd_valid_d, rd_valid_q;
  logic                      rd_bank_d, rd_bank_q;
  logic                      rd_quad_d, rd_quad_q;
  logic [1:0]                rd_sub_d, rd_sub_q;
  logic                      rd_dir_d, rd_dir_q;
  logic [StreamIdxWidth-1:0] rd_stream_d, rd_stream_q;
  logic                      gd_valid_d, gd_valid_q;
  logic [NumLanes-1:0]       gd_bank_d, gd_bank_q;
  logic [1:0]                gd_sub_d [NumLanes];
  logic [1:0]                gd_sub_q [NumLanes];
  logic                      gd_dir_d, gd_dir_q;
  logic [StreamIdxWidth-1:0] gd_stream_d, gd_stream_q;
  logic                      host_rd_d, host_rd_q;
  logic                      host_bank_d, host_bank_q;
  logic [1:0]                host_sub_d, host_sub_q;
  logic [ChunkWidth-1:0]     host_chunk_d, host_chunk_q;

  assign rd_valid_d   = do_read && a_go && !flush_i;
  assign rd_bank_d    = do_read ? a_bank : rd_bank_q;
  assign rd_quad_d    = do_read ? a_quad : rd_quad_q;
  assign rd_sub_d     = do_read ? a_sub : rd_sub_q;
  assign rd_dir_d     = do_read ? instr.dir : rd_dir_q;
  assign rd_stream_d  = do_read ? StreamIdxWidth'(instr.stream) : rd_stream_q;
  assign gd_valid_d   = b_gather_q && b_go && !flush_i;
  assign gd_bank_d    = b_gather_q ? b_bank : gd_bank_q;
  assign gd_sub_d     = b_gather_q ? b_sub : gd_sub_q;
  assign gd_dir_d     = b_gather_q ? b_dir_q : gd_dir_q;
  assign gd_stream_d  = b_gather_q ? b_stream_q : gd_stream_q;
  assign host_rd_d    = host_en && !host_we_i;
  assign host_bank_d  = host_rd_d ? host_bank : host_bank_q;
  assign host_sub_d   = host_rd_d ? host_sub : host_sub_q;
  assign host_chunk_d = host_rd_d ? host_chunk_i : host_chunk_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      b_gather_q   <= 1'b0;
      b_scatter_q  <= 1'b0;
      b_addr_q     <= '{default: '0};
      b_data_q     <= '0;
      b_dir_q      <= 1'b0;
      b_stream_q   <= '0;
      rd_valid_q   <= 1'b0;
      rd_bank_q    <= 1'b0;
      rd_quad_q    <= 1'b0;
      rd_sub_q     <= '0;
      rd_dir_q     <= 1'b0;
      rd_stream_q  <= '0;
      gd_valid_q   <= 1'b0;
      gd_bank_q    <= '0;
      gd_sub_q     <= '{default: '0};
      gd_dir_q     <= 1'b0;
      gd_stream_q  <= '0;
      host_rd_q    <= 1'b0;
      host_bank_q  <= 1'b0;
      host_sub_q   <= '0;
      host_chunk_q <= '0;
    end else begin
      b_gather_q   <= b_gather_d;
      b_scatter_q  <= b_scatter_d;
      b_addr_q     <= b_addr_d;
      b_data_q     <= b_data_d;
      b_dir_q      <= b_dir_d;
      b_stream_q   <= b_stream_d;
      rd_valid_q   <= rd_valid_d;
      rd_bank_q    <= rd_bank_d;
      rd_quad_q    <= rd_quad_d;
      rd_sub_q     <= rd_sub_d;
      rd_dir_q     <= rd_dir_d;
      rd_stream_q  <= rd_stream_d;
      gd_valid_q   <= gd_valid_d;
      gd_bank_q    <= gd_bank_d;
      gd_sub_q     <= gd_sub_d;
      gd_dir_q     <= gd_dir_d;
      gd_stream_q  <= gd_stream_d;
      host_rd_q    <= host_rd_d;
      host_bank_q  <= host_bank_d;
      host_sub_q   <= host_sub_d;
      host_chunk_q <= host_chunk_d;
    end
  end

  // Decoding after the read muxes: a SECDED decoder for each byte a use can take in one cycle
  // (word j of a READ, j = 0 only unless it is a quad; the GATHER's byte; the host's chunk), not
  // one per sub-bank. The select registers above pick the codewords.
  logic [CodeWidth-1:0]     rd_code [4][NumLanes];
  logic [CodeWidth-1:0]     g_code  [NumLanes];
  logic [CodeWidth-1:0]     h_code  [4];
  logic [NumLanes-1:0][7:0] rd_data [4];
  logic [NumLanes-1:0][7:0] g_data;
  logic [3:0][7:0]          h_data;
  logic [NumLanes-1:0]      rd_single_raw [4];
  logic [NumLanes-1:0]      rd_double_raw [4];
  logic [NumLanes-1:0]      g_single_raw, g_double_raw;
  logic [3:0]               h_single_raw, h_double_raw;

  always_comb begin
    for (int unsigned j = 0; j < 4; j++) begin
      for (int unsigned l = 0; l < NumLanes; l++) begin
        rd_code[j][l] = ram_rdata[l][rd_bank_q][rd_quad_q ? 2'(j) : rd_sub_q];
      end
      // Chunk c holds lanes 4c..4c+3, lane 4c+j in byte j.
      h_code[j] = ram_rdata[4 * int'(host_chunk_q) + j][host_bank_q][host_sub_q];
    end
    for (int unsigned l = 0; l < NumLanes; l++) begin
      g_code[l] = ram_rdata[l][gd_bank_q[l]][gd_sub_q[l]];
    end
  end

  for (genvar l = 0; l < NumLanes; l++) begin : gen_lane_dec
    for (genvar j = 0; j < 4; j++) begin : gen_word
      lpu_secded_dec #(.DataWidth (8)) u_dec_rd (
        .code_i   (rd_code[j][l]),
        .data_o   (rd_data[j][l]),
        .single_o (rd_single_raw[j][l]),
        .double_o (rd_double_raw[j][l])
      );
    end

    lpu_secded_dec #(.DataWidth (8)) u_dec_g (
      .code_i   (g_code[l]),
      .data_o   (g_data[l]),
      .single_o (g_single_raw[l]),
      .double_o (g_double_raw[l])
    );
  end

  for (genvar j = 0; j < 4; j++) begin : gen_host_dec
    lpu_secded_dec #(.DataWidth (8)) u_dec_h (
      .code_i   (h_code[j]),
      .data_o   (h_data[j]),
      .single_o (h_single_raw[j]),
      .double_o (h_double_raw[j])
    );
  end

  // The ECC flags of the bytes actually used in this cycle.
  logic [NumLanes-1:0] rd_single [4];
  logic [NumLanes-1:0] rd_double [4];
  logic [NumLanes-1:0] g_single, g_double;
  logic [3:0]          h_single;

  always_comb begin
    for (int unsigned j = 0; j < 4; j++) begin
      logic used;
      used         = rd_valid_q && (rd_quad_q || j == 0);
      rd_single[j] = used ? rd_single_raw[j] : '0;
      rd_double[j] = used ? rd_double_raw[j] : '0;
    end
  end
  assign g_single = gd_valid_q ? g_single_raw : '0;
  assign g_double = gd_valid_q ? g_double_raw : '0;
  assign h_single = host_rd_q ? h_single_raw : '0;

  // Streams the READ drives: rd_stream_q .. +3 for a quad.
  logic [NumStreams-1:0] rd_hits;
  logic                  g_in_rd;

  always_comb begin
    for (int unsigned s = 0; s < NumStreams; s++) begin
      rd_hits[s] = rd_valid_q && (s >= int'(rd_stream_q))
                   && (s < int'(rd_stream_q) + (rd_quad_q ? 4 : 1));
    end
  end
  assign g_in_rd = (rd_dir_q == gd_dir_q) && rd_hits[gd_stream_q];

  always_comb begin
    for (int unsigned d = 0; d < 2; d++) begin
      for (int unsigned s = 0; s < NumStreams; s++) begin
        logic rd_hit, g_hit;
        rd_hit        = rd_hits[s] && (rd_dir_q == d[0]);
        g_hit         = gd_valid_q && (gd_dir_q == d[0]) && (int'(gd_stream_q) == s);
        drive_o[d][s] = rd_hit || g_hit;
        data_o[d][s]  = rd_hit ? rd_data[2'(s - int'(rd_stream_q))] : g_data;
      end
    end
  end

  assign host_rdata_o = h_data;

  always_comb begin
    corrected_o = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      for (int unsigned j = 0; j < 4; j++) begin
        corrected_o = corrected_o + CorrWidth'(rd_single[j][l]);
      end
      corrected_o = corrected_o + CorrWidth'(g_single[l]);
    end
    for (int unsigned j = 0; j < 4; j++) begin
      corrected_o = corrected_o + CorrWidth'(h_single[j]);
    end
  end

  logic rd_any_double;
  always_comb begin
    rd_any_double = 1'b0;
    for (int unsigned j = 0; j < 4; j++) rd_any_double |= |rd_double[j];
  end

  always_comb begin
    if (range_err) begin
      err_o = ERR_ADDR_RANGE;
    end else if (rd_valid_q && gd_valid_q && g_in_rd) begin
      err_o = ERR_STREAM_CONFLICT;
    end else if (rd_any_double || (|g_double)) begin
      err_o = ERR_ECC_UNCORRECTABLE;
    end else if (conflict) begin
      err_o = ERR_BANK_CONFLICT;
    end else begin
      err_o = ERR_NONE;
    end
  end

  // Operand fields this slice does not use.
  logic unused_instr;
  assign unused_instr = ^{instr.stride, ginstr.op, ginstr.rsvd0};
  // A host read returns the stored bytes as they are; it counts corrections but raises no error.
  logic unused_host_double;
  assign unused_host_double = ^h_double_raw;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  always_comb begin
    for (int unsigned j = 0; j < 4; j++) begin
      tr_write_o[j]      = a_go && do_write && (a_quad || a_sub == 2'(j));
      tr_write_data_o[j] = present_i[instr.dir][StreamIdxWidth'(instr.stream)
                                                + (a_quad ? StreamIdxWidth'(j) : '0)];
    end
  end
  assign tr_write_addr_o   = {instr.addr[AddrWidth-1:2], 2'b00};
  assign tr_scatter_o      = b_go && b_scatter_q;
  assign tr_scatter_addr_o = b_addr_q;
  assign tr_scatter_data_o = b_data_q;

  // The pipeline above implements these generated latencies.
  initial begin
    assert (LatReadStreamOut == 2 && LatWriteStreamIn == 1 && LatGatherStreamIn == 1
            && LatGatherStreamOut == 3 && LatScatterStreamIn == 1)
      else $fatal(1, "lpu_mem_slice: latencies in lpu_isa_pkg differ from the RTL");
    assert (NumLanes % 4 == 0) else $fatal(1, "lpu_mem_slice: NumLanes must be a multiple of 4");
    assert (MemDepth >= 16 && (MemDepth & (MemDepth - 1)) == 0 && MemDepth <= 8192)
      else $fatal(1, "lpu_mem_slice: MemDepth must be a power of two in 16..8192");
  end

  // Only MEM ops reach a MEM slice, always in range (the queue checks them).
  // A quad is aligned and its four streams exist (the queue checks both).
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   dispatch_valid_i |-> (a_access || do_gather || do_scatter)
                                        && (!a_access || int'(instr.addr) < MemDepth)
                                        && int'(instr.stream) + (a_access && a_quad ? 4 : 1)
                                           <= NumStreams
                                        && !(a_access && a_quad && a_sub != 2'b00)
                                        && (a_access || int'(ginstr.istream) < NumStreams))
    else $error("lpu_mem_slice: bad dispatch %h", dispatch_instr_i);

  // A slice drives at most five stream registers per cycle: a READ quad's four and a GATHER's
  // (on a shared stream they raise STREAM_CONFLICT and only the READ drives).
  assert property (@(posedge clk_i) disable iff (!rst_ni) $countones(drive_o) <= 5)
    else $error("lpu_mem_slice: drives %h on more than five streams", drive_o);

  // The slice and the host never use the SRAM port for different things in one cycle.
  assert property (@(posedge clk_i) disable iff (!rst_ni) host_en |-> !(do_read || do_write))
    else $error("lpu_mem_slice: host and slice share the SRAM port");

  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   host_req_i |-> int'(host_chunk_i) < NumChunks)
    else $error("lpu_mem_slice: chunk out of range");

  // A bank serves at most one access per cycle: stage 2 and READ/WRITE never meet in a bank.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   a_go && b_go |-> b_bank == {NumLanes{!a_bank}})
    else $error("lpu_mem_slice: two accesses to one bank");
`endif

endmodule
