// Host bridge: turns framed commands arriving as bytes (from a UART) into host-port
// transactions of lpu_top, and answers each command with a framed response.
//
// The protocol is specified in docs/fpga.md ("Host bridge protocol"); sw/board/ implements the
// host side. In short, a request is
//
//   0xA5, cmd, addr[7:0], addr[15:8], addr[23:16], addr[31:24], count-1, data..., crc
//
// (data only for WRITE: count 32-bit words, little-endian) and the response is
//
//   0x5A, status, data..., crc
//
// with crc the CRC-8 (polynomial 0x07, initial value 0) of every byte after the sync byte.
// Commands: INFO (one word: bridge version and burst limit), WRITE (count words to
// consecutive host addresses), READ (count words from consecutive host addresses), RUN (write
// CTRL.start, wait for the core's done, then answer with STATUS and CYCLES). "Consecutive"
// follows the host map: inside the MEM region the chunk after a word's last one
// (NumLanes/4 - 1) is chunk 0 of the next word, so a burst covers whole MEM words; elsewhere
// the address goes up by one.
//
// A WRITE's data are buffered in a MaxBurst-word RAM and written only after the CRC checked,
// so a damaged frame changes nothing. A frame whose bytes stop coming for TimeoutCycles is
// dropped without an answer, which resynchronises host and bridge after a lost byte. Bytes
// that arrive while the bridge executes or answers are ignored: the host sends one frame and
// waits for its answer.

module lpu_host_bridge
  import lpu_isa_pkg::*;
#(
  parameter int unsigned NumLanes      = 16,       // for the MEM chunk wrap
  parameter int unsigned MaxBurst      = 256,      // words a WRITE may carry (1..256)
  parameter int unsigned TimeoutCycles = 1 << 20,  // idle cycles that drop a partial frame
  localparam int unsigned BufAddrWidth = (MaxBurst > 1) ? $clog2(MaxBurst) : 1
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Bytes from and to the serial line
  input  logic        rx_valid_i,
  input  logic [7:0]  rx_data_i,
  output logic        tx_valid_o,
  output logic [7:0]  tx_data_o,
  input  logic        tx_ready_i,

  // lpu_top's host port and done output
  output logic        host_req_o,
  output logic        host_we_o,
  output logic [31:0] host_addr_o,
  output logic [31:0] host_wdata_o,
  input  logic [31:0] host_rdata_i,
  input  logic        host_rvalid_i,
  input  logic        core_done_i,

  // A frame was dropped for a bad CRC, an unknown command or a timeout (one cycle)
  output logic        frame_err_o
);

  localparam logic [7:0] SyncReq       = 8'ha5;
  localparam logic [7:0] SyncResp      = 8'h5a;
  localparam logic [7:0] CmdInfo       = 8'h00;
  localparam logic [7:0] CmdWrite      = 8'h01;
  localparam logic [7:0] CmdRead       = 8'h02;
  localparam logic [7:0] CmdRun        = 8'h03;
  localparam logic [7:0] StatusOk      = 8'h00;
  localparam logic [7:0] StatusBadCrc  = 8'h01;
  localparam logic [7:0] StatusBadCmd  = 8'h02;
  localparam logic [7:0] StatusTooLong = 8'h03;
  localparam logic [7:0] BridgeVersion = 8'h01;
  localparam int unsigned NumChunks    = NumLanes / 4;
  localparam int unsigned TimeoutWidth = $clog2(TimeoutCycles + 1);

  typedef enum logic [3:0] {
    ST_SYNC,       // wait for the sync byte
    ST_HEADER,     // cmd, addr (4 bytes), count-1
    ST_DATA,       // WRITE data bytes
    ST_CRC,        // the request's CRC byte
    ST_WR_FETCH,   // read the next buffered word
    ST_WR_ISSUE,   // write it to the host port
    ST_RUN_START,  // write CTRL.start
    ST_RUN_WAIT,   // wait for done
    ST_RESP_SYNC,  // send 0x5A
    ST_RESP_STAT,  // send the status byte
    ST_RD_ISSUE,   // issue a host read
    ST_RD_WAIT,    // take its data
    ST_RESP_WORD,  // send a payload word, byte by byte
    ST_RESP_CRC    // send the response CRC
  } state_e;

  // One byte of CRC-8 with polynomial x^8 + x^2 + x + 1, most significant bit first.
  function automatic logic [7:0] crc8(logic [7:0] crc, logic [7:0] data);
    logic [7:0] c;
    c = crc ^ data;
    for (int unsigned i = 0; i < 8; i++) begin
      c = c[7] ? ((c << 1) ^ 8'h07) : (c << 1);
    end
    return c;
  endfunction

  // The host address after `addr`, MEM chunks wrapping into the next word.
  function automatic logic [31:0] next_addr(logic [31:0] addr);
    if (addr[HostRegionMsb:HostRegionLsb] == HOST_REGION_MEM
        && addr[4:0] == 5'(NumChunks - 1)) begin
      return {addr[31:5] + 27'd1, 5'd0};
    end
    return addr + 32'd1;
  endfunction

  state_e                  state_d, state_q;
  logic [7:0]              cmd_d, cmd_q;
  logic [31:0]             base_d, base_q;      // address of the next word
  logic [7:0]              last_d, last_q;      // count - 1
  logic [7:0]              idx_d, idx_q;        // word index (transfers) or header byte index
  logic [1:0]              byte_d, byte_q;      // byte within a word
  logic [31:0]             word_d, word_q;      // word being assembled or sent
  logic [7:0]              crc_d, crc_q;
  logic [7:0]              status_d, status_q;
  logic                    too_long_d, too_long_q;
  logic [TimeoutWidth-1:0] idle_d, idle_q;
  logic                    frame_err_d, frame_err_q;

  // The WRITE buffer.
  logic                    buf_we, buf_re;
  logic [BufAddrWidth-1:0] buf_waddr, buf_raddr;
  logic [31:0]             buf_rdata;

  lpu_ram_1r1w #(
    .Depth (MaxBurst),
    .Width (32)
  ) u_buffer (
    .clk_i,
    .we_i    (buf_we),
    .waddr_i (buf_waddr),
    .wdata_i (word_d),
    .re_i    (buf_re),
    .raddr_i (buf_raddr),
    .rdata_o (buf_rdata)
  );

  logic receiving;
  assign receiving = (state_q == ST_HEADER) || (state_q == ST_DATA) || (state_q == ST_CRC);

  always_comb begin
    state_d     = state_q;
    cmd_d       = cmd_q;
    base_d      = base_q;
    last_d      = last_q;
    idx_d       = idx_q;
    byte_d      = byte_q;
    word_d      = word_q;
    crc_d       = crc_q;
    status_d    = status_q;
    too_long_d  = too_long_q;
    frame_err_d = 1'b0;
    idle_d      = (receiving && !rx_valid_i) ? idle_q + 1'b1 : '0;

    buf_we    = 1'b0;
    buf_waddr = BufAddrWidth'(idx_q);
    buf_re    = 1'b0;
    buf_raddr = BufAddrWidth'(idx_q);

    host_req_o   = 1'b0;
    host_we_o    = 1'b0;
    host_addr_o  = base_q;
    host_wdata_o = buf_rdata;

    tx_valid_o = 1'b0;
    tx_data_o  = '0;

    unique case (state_q)
      ST_SYNC: begin
        if (rx_valid_i && rx_data_i == SyncReq) begin
          state_d    = ST_HEADER;
          idx_d      = '0;
          crc_d      = '0;
          too_long_d = 1'b0;
        end
      end
      ST_HEADER: begin
        if (rx_valid_i) begin
          crc_d = crc8(crc_q, rx_data_i);
          idx_d = idx_q + 8'd1;
          unique case (idx_q)
            8'd0:    cmd_d = rx_data_i;
            8'd1:    base_d[7:0] = rx_data_i;
            8'd2:    base_d[15:8] = rx_data_i;
            8'd3:    base_d[23:16] = rx_data_i;
            8'd4:    base_d[31:24] = rx_data_i;
            default: begin
              last_d  = rx_data_i;
              idx_d   = '0;
              byte_d  = '0;
              state_d = (cmd_q == CmdWrite) ? ST_DATA : ST_CRC;
            end
          endcase
        end
      end
      ST_DATA: begin
        if (rx_valid_i) begin
          crc_d  = crc8(crc_q, rx_data_i);
          word_d = {rx_data_i, word_q[31:8]};
          byte_d = byte_q + 2'd1;
          if (byte_q == 2'd3) begin
            // A whole word: buffer it (words beyond the buffer make the frame too long).
            if (int'(idx_q) < MaxBurst) begin
              buf_we = 1'b1;
            end else begin
              too_long_d = 1'b1;
            end
            idx_d = idx_q + 8'd1;
            if (idx_q == last_q) begin
              state_d = ST_CRC;
            end
          end
        end
      end
      ST_CRC: begin
        if (rx_valid_i) begin
          idx_d    = '0;
          status_d = StatusOk;
          if (rx_data_i != crc_q) begin
            status_d = StatusBadCrc;
            state_d  = ST_RESP_SYNC;
          end else if (too_long_q) begin
            status_d = StatusTooLong;
            state_d  = ST_RESP_SYNC;
          end else begin
            unique case (cmd_q)
              CmdWrite: state_d = ST_WR_FETCH;
              CmdRun:   state_d = ST_RUN_START;
              CmdInfo, CmdRead: state_d = ST_RESP_SYNC;
              default: begin
                status_d = StatusBadCmd;
                state_d  = ST_RESP_SYNC;
              end
            endcase
          end
          frame_err_d = (status_d != StatusOk);
        end
      end
      ST_WR_FETCH: begin
        buf_re  = 1'b1;
        state_d = ST_WR_ISSUE;
      end
      ST_WR_ISSUE: begin
        host_req_o = 1'b1;
        host_we_o  = 1'b1;
        base_d     = next_addr(base_q);
        idx_d      = idx_q + 8'd1;
        state_d    = (idx_q == last_q) ? ST_RESP_SYNC : ST_WR_FETCH;
      end
      ST_RUN_START: begin
        host_req_o   = 1'b1;
        host_we_o    = 1'b1;
        host_addr_o  = 32'(HOST_REG_CTRL);
        host_wdata_o = 32'd1;
        state_d      = ST_RUN_WAIT;
      end
      ST_RUN_WAIT: begin
        // done falls in the cycle after the start write, so this first sees the new run's.
        if (core_done_i) begin
          base_d  = 32'(HOST_REG_STATUS);  // then STATUS and CYCLES, like a READ of two words
          last_d  = 8'd1;
          state_d = ST_RESP_SYNC;
        end
      end
      ST_RESP_SYNC: begin
        tx_valid_o = 1'b1;
        tx_data_o  = SyncResp;
        if (tx_ready_i) begin
          crc_d   = '0;
          state_d = ST_RESP_STAT;
        end
      end
      ST_RESP_STAT: begin
        tx_valid_o = 1'b1;
        tx_data_o  = status_q;
        if (tx_ready_i) begin
          crc_d  = crc8(crc_q, status_q);
          idx_d  = '0;
          byte_d = '0;
          if (status_q != StatusOk) begin
            state_d = ST_RESP_CRC;
          end else if (cmd_q == CmdInfo) begin
            word_d  = {16'(MaxBurst), 8'd0, BridgeVersion};
            last_d  = '0;
            state_d = ST_RESP_WORD;
          end else if (cmd_q == CmdRead || cmd_q == CmdRun) begin
            state_d = ST_RD_ISSUE;
          end else begin
            state_d = ST_RESP_CRC;
          end
        end
      end
      ST_RD_ISSUE: begin
        host_req_o = 1'b1;
        state_d    = ST_RD_WAIT;
      end
      ST_RD_WAIT: begin
        // lpu_top answers every read in the next cycle.
        word_d  = host_rdata_i;
        base_d  = next_addr(base_q);
        state_d = ST_RESP_WORD;
      end
      ST_RESP_WORD: begin
        tx_valid_o = 1'b1;
        tx_data_o  = word_q[8*byte_q +: 8];
        if (tx_ready_i) begin
          crc_d  = crc8(crc_q, tx_data_o);
          byte_d = byte_q + 2'd1;
          if (byte_q == 2'd3) begin
            idx_d = idx_q + 8'd1;
            if (idx_q == last_q) begin
              state_d = ST_RESP_CRC;
            end else begin
              state_d = ST_RD_ISSUE;
            end
          end
        end
      end
      ST_RESP_CRC: begin
        tx_valid_o = 1'b1;
        tx_data_o  = crc_q;
        if (tx_ready_i) begin
          state_d = ST_SYNC;
        end
      end
      default: state_d = ST_SYNC;
    endcase

    // A frame that stalls is dropped.
    if (receiving && int'(idle_q) >= TimeoutCycles) begin
      state_d     = ST_SYNC;
      frame_err_d = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= ST_SYNC;
      cmd_q       <= '0;
      base_q      <= '0;
      last_q      <= '0;
      idx_q       <= '0;
      byte_q      <= '0;
      word_q      <= '0;
      crc_q       <= '0;
      status_q    <= '0;
      too_long_q  <= 1'b0;
      idle_q      <= '0;
      frame_err_q <= 1'b0;
    end else begin
      state_q     <= state_d;
      cmd_q       <= cmd_d;
      base_q      <= base_d;
      last_q      <= last_d;
      idx_q       <= idx_d;
      byte_q      <= byte_d;
      word_q      <= word_d;
      crc_q       <= crc_d;
      status_q    <= status_d;
      too_long_q  <= too_long_d;
      idle_q      <= idle_d;
      frame_err_q <= frame_err_d;
    end
  end

  assign frame_err_o = frame_err_q;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (MaxBurst >= 1 && MaxBurst <= 256)
      else $fatal(1, "lpu_host_bridge: MaxBurst must be in 1..256 (the count byte)");
    assert (NumLanes >= 4 && NumLanes % 4 == 0 && NumLanes <= 128)
      else $fatal(1, "lpu_host_bridge: NumLanes must be a multiple of 4 in 4..128");
  end

  // A read issued by the bridge is answered in the next cycle, as lpu_top promises.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   (state_q == ST_RD_WAIT) |-> host_rvalid_i)
    else $error("lpu_host_bridge: host read not answered in the next cycle");

  // The bridge only ever sends while answering.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   tx_valid_o |-> (state_q inside {ST_RESP_SYNC, ST_RESP_STAT, ST_RESP_WORD,
                                                   ST_RESP_CRC}))
    else $error("lpu_host_bridge: byte sent outside a response");
`endif

endmodule
