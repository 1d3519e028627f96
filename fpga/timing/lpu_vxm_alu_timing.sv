// Timing harness (FPGA flow only): one lane of one VXM ALU between input and output registers,
// so place and route measures the ALU's own register-to-register delay (fpga/flow.py, target
// vxm_alu). In the core the same path runs from the stream registers and R[k] through the
// operand selection of lpu_vxm into lpu_vxm_alu and back into R[k], within one cycle.

module lpu_vxm_alu_timing
  import lpu_isa_pkg::*;
(
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [5:0]  op_i,
  input  logic [1:0]  ty_i,
  input  logic [1:0]  sty_i,
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  input  logic [31:0] self_i,
  input  logic [5:0]  qshift_i,
  output logic [31:0] result_o
);

  logic [5:0]  op_q, qshift_q;
  vxm_type_e   ty_q, sty_q;
  logic [31:0] a_q, b_q, self_q, result_d, result_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      op_q     <= '0;
      ty_q     <= VT_I8;
      sty_q    <= VT_I8;
      a_q      <= '0;
      b_q      <= '0;
      self_q   <= '0;
      qshift_q <= '0;
      result_q <= '0;
    end else begin
      op_q     <= op_i;
      ty_q     <= vxm_type_e'(ty_i);
      sty_q    <= vxm_type_e'(sty_i);
      a_q      <= a_i;
      b_q      <= b_i;
      self_q   <= self_i;
      qshift_q <= qshift_i;
      result_q <= result_d;
    end
  end

  lpu_vxm_alu u_alu (
    .op_i     (op_q),
    .ty_i     (ty_q),
    .sty_i    (sty_q),
    .a_i      (a_q),
    .b_i      (b_q),
    .self_i   (self_q),
    .qshift_i (qshift_q),
    .result_o (result_d)
  );

  assign result_o = result_q;

endmodule
