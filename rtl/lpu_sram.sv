// Generic single-port RAM with 32-bit chunk write enables and a registered read port.
//
// One port, one access per cycle: a write (`req_i & we_i`) stores the chunks selected by
// `be_i` (chunk c is bits 32c+31:32c); a read (`req_i & ~we_i`) loads word `addr_i` into the
// output register, so `rdata_o` shows it in the next cycle and holds it until the next read
// (writes leave it unchanged). This is the shape FPGA block RAMs and ASIC macros have, so
// Yosys infers a memory instead of flops. The array is not reset; its contents are undefined
// until written.

module lpu_sram #(
  parameter int unsigned Depth = 1024,
  parameter int unsigned Width = 128,  // multiple of 32
  localparam int unsigned AddrWidth = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned NumChunks = Width / 32
) (
  input  logic                 clk_i,
  input  logic                 req_i,
  input  logic                 we_i,
  input  logic [AddrWidth-1:0] addr_i,
  input  logic [NumChunks-1:0] be_i,
  input  logic [Width-1:0]     wdata_i,
  output logic [Width-1:0]     rdata_o
);

  logic [Width-1:0] mem [Depth];
  logic [Width-1:0] rdata_q;

  // A RAM array is the one place where the write logic sits in the clocked process: this is
  // the template synthesis tools recognise as a memory.
  always_ff @(posedge clk_i) begin
    if (req_i) begin
      if (we_i) begin
        for (int unsigned c = 0; c < NumChunks; c++) begin
          if (be_i[c]) begin
            mem[addr_i][c*32 +: 32] <= wdata_i[c*32 +: 32];
          end
        end
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
    assert (Width % 32 == 0 && Width > 0) else $fatal(1, "lpu_sram: Width must be a multiple of 32");
    assert (Depth > 0) else $fatal(1, "lpu_sram: Depth must be positive");
  end

  // Every access addresses an existing word.
  assert property (@(posedge clk_i) req_i |-> int'(addr_i) < Depth)
    else $error("lpu_sram: address %0d out of range", addr_i);
`endif

endmodule
