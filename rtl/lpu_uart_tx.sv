// UART transmitter: 8 data bits, no parity, one stop bit (8N1), least significant bit first.
//
// A byte is taken when `valid_i` and `ready_o` are both high; the transmitter then sends the
// start bit, the eight data bits and the stop bit, each for ClksPerBit clock cycles, and is
// ready again in the cycle after the stop bit ends. The line output is registered and idles
// high.

module lpu_uart_tx #(
  parameter int unsigned ClksPerBit = 217,  // clock cycles per bit (25 MHz / 115200 baud)
  localparam int unsigned CountWidth = $clog2(ClksPerBit + 1)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       valid_i,
  input  logic [7:0] data_i,
  output logic       ready_o,
  output logic       tx_o
);

  localparam logic [CountWidth-1:0] FullBit = CountWidth'(ClksPerBit - 1);

  logic                  busy_d, busy_q;
  logic [CountWidth-1:0] count_d, count_q;
  logic [3:0]            bits_d, bits_q;   // bits still to send after the current one
  logic [8:0]            shift_d, shift_q; // {stop, data[7:1]} waiting behind the line bit
  logic                  line_d, line_q;

  always_comb begin
    busy_d  = busy_q;
    count_d = count_q;
    bits_d  = bits_q;
    shift_d = shift_q;
    line_d  = line_q;
    if (!busy_q) begin
      if (valid_i) begin
        busy_d  = 1'b1;
        line_d  = 1'b0;  // start bit
        shift_d = {1'b1, data_i};
        bits_d  = 4'd9;
        count_d = FullBit;
      end
    end else if (count_q != '0) begin
      count_d = count_q - 1'b1;
    end else if (bits_q != '0) begin
      line_d  = shift_q[0];
      shift_d = {1'b1, shift_q[8:1]};
      bits_d  = bits_q - 1'b1;
      count_d = FullBit;
    end else begin
      busy_d = 1'b0;  // the stop bit has lasted its full time
      line_d = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q  <= 1'b0;
      count_q <= '0;
      bits_q  <= '0;
      shift_q <= '1;
      line_q  <= 1'b1;
    end else begin
      busy_q  <= busy_d;
      count_q <= count_d;
      bits_q  <= bits_d;
      shift_q <= shift_d;
      line_q  <= line_d;
    end
  end

  assign ready_o = !busy_q;
  assign tx_o    = line_q;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (ClksPerBit >= 4) else $fatal(1, "lpu_uart_tx: ClksPerBit must be at least 4");
  end

  // The line is high whenever no character is being sent.
  assert property (@(posedge clk_i) disable iff (!rst_ni) !busy_q |-> tx_o)
    else $error("lpu_uart_tx: line low while idle");
`endif

endmodule
