// UART receiver: 8 data bits, no parity, one stop bit (8N1), least significant bit first.
//
// The line idles high. The input passes a two-flop synchroniser; a falling edge starts a
// character, which is confirmed half a bit later (a glitch shorter than that is ignored). Each
// data bit and the stop bit are then sampled in the middle of their bit time, ClksPerBit clock
// cycles apart. A high stop bit delivers the byte (`valid_o` for one cycle with `data_o`); a
// low one drops it and pulses `frame_err_o`. The receiver is ready for the next start bit
// right after the middle of the stop bit, so characters may follow back to back.

module lpu_uart_rx #(
  parameter int unsigned ClksPerBit = 217,  // clock cycles per bit (25 MHz / 115200 baud)
  localparam int unsigned CountWidth = $clog2(ClksPerBit + 1)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       rx_i,         // the serial line (asynchronous)
  output logic       valid_o,      // one cycle: data_o holds a received byte
  output logic [7:0] data_o,
  output logic       frame_err_o   // one cycle: a character ended with a low stop bit
);

  typedef enum logic [1:0] {
    RX_IDLE  = 2'd0,
    RX_START = 2'd1,
    RX_DATA  = 2'd2,
    RX_STOP  = 2'd3
  } rx_state_e;

  localparam logic [CountWidth-1:0] FullBit = CountWidth'(ClksPerBit - 1);
  localparam logic [CountWidth-1:0] HalfBit = CountWidth'(ClksPerBit / 2 - 1);

  logic [1:0]            sync_q;
  rx_state_e             state_d, state_q;
  logic [CountWidth-1:0] count_d, count_q;
  logic [2:0]            bit_d, bit_q;
  logic [7:0]            shift_d, shift_q;
  logic                  valid_d, valid_q;
  logic                  frame_err_d, frame_err_q;
  logic                  line;

  assign line = sync_q[1];

  always_comb begin
    state_d     = state_q;
    count_d     = count_q;
    bit_d       = bit_q;
    shift_d     = shift_q;
    valid_d     = 1'b0;
    frame_err_d = 1'b0;
    unique case (state_q)
      RX_IDLE: begin
        if (!line) begin
          state_d = RX_START;
          count_d = HalfBit;
        end
      end
      RX_START: begin
        if (count_q != '0) begin
          count_d = count_q - 1'b1;
        end else if (line) begin
          state_d = RX_IDLE;  // too short for a start bit
        end else begin
          state_d = RX_DATA;
          count_d = FullBit;
          bit_d   = '0;
        end
      end
      RX_DATA: begin
        if (count_q != '0) begin
          count_d = count_q - 1'b1;
        end else begin
          shift_d = {line, shift_q[7:1]};
          count_d = FullBit;
          bit_d   = bit_q + 1'b1;
          if (bit_q == 3'd7) begin
            state_d = RX_STOP;
          end
        end
      end
      RX_STOP: begin
        if (count_q != '0) begin
          count_d = count_q - 1'b1;
        end else begin
          state_d     = RX_IDLE;
          valid_d     = line;
          frame_err_d = !line;
        end
      end
      default: state_d = RX_IDLE;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sync_q      <= 2'b11;
      state_q     <= RX_IDLE;
      count_q     <= '0;
      bit_q       <= '0;
      shift_q     <= '0;
      valid_q     <= 1'b0;
      frame_err_q <= 1'b0;
    end else begin
      sync_q      <= {sync_q[0], rx_i};
      state_q     <= state_d;
      count_q     <= count_d;
      bit_q       <= bit_d;
      shift_q     <= shift_d;
      valid_q     <= valid_d;
      frame_err_q <= frame_err_d;
    end
  end

  assign valid_o     = valid_q;
  assign data_o      = shift_q;
  assign frame_err_o = frame_err_q;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (ClksPerBit >= 4) else $fatal(1, "lpu_uart_rx: ClksPerBit must be at least 4");
  end

  // A character either arrives or fails its stop bit, never both.
  assert property (@(posedge clk_i) disable iff (!rst_ni) !(valid_o && frame_err_o))
    else $error("lpu_uart_rx: byte and framing error together");
`endif

endmodule
