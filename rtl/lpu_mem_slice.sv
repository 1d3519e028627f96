// MEM slice: one single-port SRAM of MemDepth vectors, read onto and written from the streams.
//
// The slice acts on the instruction in its queue's dispatch register (issued in cycle t, seen
// here in t+1):
//
//   READ  a, <dir><s>   t+1: SRAM read of word a (registered read port);
//                       t+2: the word is driven onto stream s in direction dir here.
//   WRITE a, <dir><s>   t+1: samples present[dir][s] at this position and stores it in word a
//                       at the end of the cycle.
//
// One queue issues at most one instruction per cycle, so the single SRAM port suffices. The
// host reads and writes words as NumLanes/4 32-bit chunks (lane 4c+j in byte j of chunk c)
// through the same port while the core is idle; the control block gates `host_req_i`. An
// instruction still in the dispatch register after a run stopped on an error keeps the port in
// that cycle (a host access in that same cycle is dropped). `flush_i` (the start of a run)
// drops a READ whose word would otherwise be driven into the new run.

module lpu_mem_slice
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumLanes   = 16,
  parameter int unsigned NumStreams = 16,
  parameter int unsigned MemDepth   = 1024,
  localparam int unsigned AddrWidth  = (MemDepth > 1) ? $clog2(MemDepth) : 1,
  localparam int unsigned NumChunks  = NumLanes / 4,
  localparam int unsigned ChunkWidth = (NumChunks > 1) ? $clog2(NumChunks) : 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       flush_i,  // a run starts: drop reads still in flight

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

  // Streams at this position
  input  logic [NumLanes-1:0][7:0]   present_i [2][NumStreams],
  output logic [1:0][NumStreams-1:0] drive_o,
  output logic [NumLanes-1:0][7:0]   data_o    [2][NumStreams]
);

  // Index into this configuration's streams; the queue guarantees stream < NumStreams.
  localparam int unsigned StreamIdxWidth = (NumStreams > 1) ? $clog2(NumStreams) : 1;

  //////////////
  // Decoding //
  //////////////

  instr_addr_t instr;
  logic        do_read, do_write;

  assign instr    = instr_addr_t'(dispatch_instr_i);
  assign do_read  = dispatch_valid_i && (instr.op == OP_READ);
  assign do_write = dispatch_valid_i && (instr.op == OP_WRITE);

  //////////
  // SRAM //
  //////////

  logic                     ram_req, ram_we;
  logic [AddrWidth-1:0]     ram_addr;
  logic [NumChunks-1:0]     ram_be;
  logic [NumLanes-1:0][7:0] ram_wdata, ram_rdata;
  logic                     host_en;

  // The slice's own instructions have the port; the host gets it otherwise.
  assign host_en = host_req_i && !(do_read || do_write);

  always_comb begin
    if (do_read || do_write) begin
      ram_req   = 1'b1;
      ram_we    = do_write;
      ram_addr  = AddrWidth'(instr.addr);
      ram_be    = '1;
      ram_wdata = present_i[instr.dir][StreamIdxWidth'(instr.stream)];
    end else begin
      ram_req   = host_en;
      ram_we    = host_we_i;
      ram_addr  = host_word_i;
      ram_be    = NumChunks'(1) << host_chunk_i;
      ram_wdata = {NumChunks{host_wdata_i}};
    end
  end

  lpu_sram #(
    .Depth (MemDepth),
    .Width (NumLanes * 8)
  ) u_sram (
    .clk_i,
    .req_i   (ram_req),
    .we_i    (ram_we),
    .addr_i  (ram_addr),
    .be_i    (ram_be),
    .wdata_i (ram_wdata),
    .rdata_o (ram_rdata)
  );

  /////////////////////////
  // READ drive and host //
  /////////////////////////

  logic                      rd_valid_d, rd_valid_q;
  logic                      rd_dir_d, rd_dir_q;
  logic [StreamIdxWidth-1:0] rd_stream_d, rd_stream_q;
  logic [ChunkWidth-1:0]     host_chunk_d, host_chunk_q;

  assign rd_valid_d   = do_read && !flush_i;
  assign rd_dir_d     = do_read ? instr.dir : rd_dir_q;
  assign rd_stream_d  = do_read ? StreamIdxWidth'(instr.stream) : rd_stream_q;
  assign host_chunk_d = (host_en && !host_we_i) ? host_chunk_i : host_chunk_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_valid_q   <= 1'b0;
      rd_dir_q     <= 1'b0;
      rd_stream_q  <= '0;
      host_chunk_q <= '0;
    end else begin
      rd_valid_q   <= rd_valid_d;
      rd_dir_q     <= rd_dir_d;
      rd_stream_q  <= rd_stream_d;
      host_chunk_q <= host_chunk_d;
    end
  end

  // The word read in t+1 leaves the SRAM output register onto one stream in t+2.
  always_comb begin
    for (int unsigned d = 0; d < 2; d++) begin
      for (int unsigned s = 0; s < NumStreams; s++) begin
        drive_o[d][s] = rd_valid_q && (rd_dir_q == d[0]) && (int'(rd_stream_q) == s);
        data_o[d][s]  = ram_rdata;
      end
    end
  end

  // Chunk c holds lanes 4c..4c+3, lane 4c+j in byte j.
  assign host_rdata_o = ram_rdata[4*host_chunk_q +: 4];

  // Operand fields this slice does not use.
  logic unused_instr;
  assign unused_instr = ^{instr.stride, instr.flag};

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  // The pipeline above implements these generated latencies.
  initial begin
    assert (LatReadStreamOut == 2 && LatWriteStreamIn == 1)
      else $fatal(1, "lpu_mem_slice: latencies in lpu_isa_pkg differ from the RTL");
    assert (NumLanes % 4 == 0) else $fatal(1, "lpu_mem_slice: NumLanes must be a multiple of 4");
  end

  // Only MEM ops reach a MEM slice, always in range (the queue checks them).
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   dispatch_valid_i |-> (do_read || do_write) && int'(instr.addr) < MemDepth
                                        && int'(instr.stream) < NumStreams)
    else $error("lpu_mem_slice: bad dispatch %h", dispatch_instr_i);

  // Single writer: a slice drives at most one stream register (its READ) per cycle.
  assert property (@(posedge clk_i) disable iff (!rst_ni) $onehot0(drive_o))
    else $error("lpu_mem_slice: drives %h on more than one stream", drive_o);

  // The slice and the host never use the SRAM port for different things in one cycle.
  assert property (@(posedge clk_i) disable iff (!rst_ni) host_en |-> !(do_read || do_write))
    else $error("lpu_mem_slice: host and slice share the SRAM port");

  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   host_req_i |-> int'(host_chunk_i) < NumChunks)
    else $error("lpu_mem_slice: chunk out of range");
`endif

endmodule
