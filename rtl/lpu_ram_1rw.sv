// Generic single-port RAM of any width with a registered read port.
//
// One access per cycle: a write (`req_i & we_i`) stores `wdata_i` into word `addr_i`; a read
// (`req_i & ~we_i`) loads the word into the output register, so `rdata_o` shows it in the next
// cycle and holds it until the next read (writes leave it unchanged). The MEM slices build
// each lane column of each bank from one of these (13-bit SECDED codewords), so Yosys infers
// one memory per column. The array is not reset.

module lpu_ram_1rw #(
  parameter int unsigned Depth = 512,
  parameter int unsigned Width = 13,
  localparam int unsigned AddrWidth = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic                 clk_i,
  input  logic                 req_i,
  input  logic                 we_i,
  input  logic [AddrWidth-1:0] addr_i,
  input  logic [Width-1:0]     wdata_i,
  output logic [Width-1:0]     rdata_o
);

  logic [Width-1:0] mem [Depth];
  logic [Width-1:0] rdata_q;

  // The memory template synthesis tools recognise: the write sits in the clocked process.
  always_ff @(posedge clk_i) begin
    if (req_i) begin
      if (we_i) begin
        mem[addr_i] <= wdata_i;
      end else begin
        rdata_q <= mem[addr_i];
      end
    end
  end

  assign rdata_o = rdata_q;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (Depth > 0 && Width > 0) else $fatal(1, "lpu_ram_1rw: empty RAM");
  end

  assert property (@(posedge clk_i) req_i |-> int'(addr_i) < Depth)
    else $error("lpu_ram_1rw: address %0d out of range", addr_i);
`endif

endmodule
