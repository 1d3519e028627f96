// Generic simple dual-port RAM: one write port and one registered read port.
//
// A write (`we_i`) stores `wdata_i` into word `waddr_i` at the end of the cycle. A read
// (`re_i`) loads word `raddr_i` into the output register, so `rdata_o` shows it in the next
// cycle and holds it until the next read. A read and a write of the same word in one cycle
// return the old contents (read-before-write), exactly what a register array read in that
// cycle would give. Users that need a write's data earlier forward it themselves. The array
// is not reset; its contents are undefined until written.

module lpu_ram_1r1w #(
  parameter int unsigned Depth = 64,
  parameter int unsigned Width = 512,
  localparam int unsigned AddrWidth = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic                 clk_i,
  input  logic                 we_i,
  input  logic [AddrWidth-1:0] waddr_i,
  input  logic [Width-1:0]     wdata_i,
  input  logic                 re_i,
  input  logic [AddrWidth-1:0] raddr_i,
  output logic [Width-1:0]     rdata_o
);

  logic [Width-1:0] mem [Depth];
  logic [Width-1:0] rdata_q;

  // A RAM array is the one place where the write logic sits in the clocked process: this is
  // the template synthesis tools recognise as a memory.
  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem[waddr_i] <= wdata_i;
    end
    if (re_i) begin
      rdata_q <= mem[raddr_i];
    end
  end

  assign rdata_o = rdata_q;

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (Depth > 0 && Width > 0) else $fatal(1, "lpu_ram_1r1w: empty RAM");
  end

  // Every access addresses an existing word.
  assert property (@(posedge clk_i) we_i |-> int'(waddr_i) < Depth)
    else $error("lpu_ram_1r1w: write address out of range");
  assert property (@(posedge clk_i) re_i |-> int'(raddr_i) < Depth)
    else $error("lpu_ram_1r1w: read address out of range");
`endif

endmodule
