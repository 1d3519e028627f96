// The core behind a UART host bridge: the board-independent part of every board top.
//
// The serial port carries the framed protocol of lpu_host_bridge (docs/fpga.md, "Host bridge
// protocol"); `tinylpu board` (sw/board/) is the host side. A board top (fpga/ulx3s/) adds the
// clock (a PLL) and the pins; this module is plain SystemVerilog, and it is what the end-to-end
// test Verilates (tests/board_test.cc drives its serial pins bit by bit). rst_ni (low: reset,
// for example a button or a PLL that has not locked) resets everything asynchronously; the
// reset synchroniser releases it three cycles after it goes high.
//
// LEDs: 0 busy, 1 done, 2 a dropped frame (until the next good one), 3 serial line in,
// 4 serial line out, 7:5 a heartbeat of the clock.

module lpu_uart_top #(
  // Core configuration (defaults: the `fpga` configuration of sw/isa/isa.toml)
  parameter int unsigned NumLanes     = 4,
  parameter int unsigned NumStreams   = 4,
  parameter int unsigned NumMemSlices = 4,
  parameter int unsigned MemDepth     = 2048,
  parameter int unsigned MxmDim       = 4,
  parameter int unsigned AccDepth     = 64,
  parameter int unsigned QueueDepth   = 512,
  parameter int unsigned VxmAlus      = 1,
  // Serial line: clock cycles per bit (25 MHz / 115200 baud by default)
  parameter int unsigned ClksPerBit   = 217,
  parameter int unsigned MaxBurst     = 256,
  parameter int unsigned TimeoutCycles = 1 << 22  // about 0.17 s at 25 MHz
) (
  input  logic       clk_i,
  input  logic       rst_ni,     // asynchronous, active low; released synchronously here
  input  logic       uart_rx_i,  // from the host
  output logic       uart_tx_o,  // to the host
  output logic [7:0] led_o
);

  logic clk, rst_n;
  assign clk = clk_i;

  ///////////
  // Reset //
  ///////////

  // Asserted asynchronously by rst_ni, released synchronously (two flops against
  // metastability, then the reset flop itself).
  logic [1:0] rst_meta_q;
  logic       rst_n_q;

  always_ff @(posedge clk or negedge rst_ni) begin
    if (!rst_ni) begin
      rst_meta_q <= '0;
      rst_n_q    <= 1'b0;
    end else begin
      rst_meta_q <= {rst_meta_q[0], 1'b1};
      rst_n_q    <= rst_meta_q[1];
    end
  end

  assign rst_n = rst_n_q;

  ///////////////////////
  // Serial and bridge //
  ///////////////////////

  logic        rx_valid, rx_frame_err;
  logic [7:0]  rx_data;
  logic        tx_valid, tx_ready;
  logic [7:0]  tx_data;
  logic        host_req, host_we, host_rvalid;
  logic [31:0] host_addr, host_wdata, host_rdata;
  logic        busy, done, frame_err;

  lpu_uart_rx #(
    .ClksPerBit (ClksPerBit)
  ) u_uart_rx (
    .clk_i       (clk),
    .rst_ni      (rst_n),
    .rx_i        (uart_rx_i),
    .valid_o     (rx_valid),
    .data_o      (rx_data),
    .frame_err_o (rx_frame_err)
  );

  lpu_uart_tx #(
    .ClksPerBit (ClksPerBit)
  ) u_uart_tx (
    .clk_i   (clk),
    .rst_ni  (rst_n),
    .valid_i (tx_valid),
    .data_i  (tx_data),
    .ready_o (tx_ready),
    .tx_o    (uart_tx_o)
  );

  lpu_host_bridge #(
    .NumLanes      (NumLanes),
    .MaxBurst      (MaxBurst),
    .TimeoutCycles (TimeoutCycles)
  ) u_bridge (
    .clk_i         (clk),
    .rst_ni        (rst_n),
    .rx_valid_i    (rx_valid),
    .rx_data_i     (rx_data),
    .tx_valid_o    (tx_valid),
    .tx_data_o     (tx_data),
    .tx_ready_i    (tx_ready),
    .host_req_o    (host_req),
    .host_we_o     (host_we),
    .host_addr_o   (host_addr),
    .host_wdata_o  (host_wdata),
    .host_rdata_i  (host_rdata),
    .host_rvalid_i (host_rvalid),
    .core_done_i   (done),
    .frame_err_o   (frame_err)
  );

  //////////
  // Core //
  //////////

  lpu_top #(
    .NumLanes     (NumLanes),
    .NumStreams   (NumStreams),
    .NumMemSlices (NumMemSlices),
    .MemDepth     (MemDepth),
    .MxmDim       (MxmDim),
    .AccDepth     (AccDepth),
    .QueueDepth   (QueueDepth),
    .VxmAlus      (VxmAlus)
  ) u_core (
    .clk_i         (clk),
    .rst_ni        (rst_n),
    .host_req_i    (host_req),
    .host_we_i     (host_we),
    .host_addr_i   (host_addr),
    .host_wdata_i  (host_wdata),
    .host_rdata_o  (host_rdata),
    .host_rvalid_o (host_rvalid),
    .busy_o        (busy),
    .done_o        (done)
  );

  //////////
  // LEDs //
  //////////

  logic        bad_frame_d, bad_frame_q;
  logic [25:0] beat_q;

  // Lit by a dropped frame or a broken character, off again when a byte 0x5A goes out (the
  // next response starting, or a payload byte of that value).
  assign bad_frame_d = (frame_err || rx_frame_err) ? 1'b1
                     : (tx_valid && tx_ready && tx_data == 8'h5a) ? 1'b0 : bad_frame_q;

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      bad_frame_q <= 1'b0;
      beat_q      <= '0;
    end else begin
      bad_frame_q <= bad_frame_d;
      beat_q      <= beat_q + 1'b1;
    end
  end

  assign led_o = {beat_q[25:23], !uart_tx_o, !uart_rx_i, bad_frame_q, done, busy};

endmodule
