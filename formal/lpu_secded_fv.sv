// Formal harness of the SECDED pair (rtl/lpu_secded_enc.sv, rtl/lpu_secded_dec.sv): for every
// data word and every choice of up to two flipped codeword bits,
//   - no flip:       decode(encode(d)) == d, nothing flagged;
//   - one flip:      the data comes back corrected and single_o is set (double_o clear);
//   - two flips:     double_o is set (single_o clear).
// Both blocks are combinational, so a one-step check covers every input: a proof.

module lpu_secded_fv
  import lpu_secded_pkg::*;
#(
  parameter int unsigned DataWidth = 8,
  localparam int unsigned HammingWidth = lpu_secded_hamming_width(DataWidth),
  localparam int unsigned CodeWidth    = DataWidth + HammingWidth + 1,
  localparam int unsigned IdxWidth     = $clog2(CodeWidth)
) (
  input logic [DataWidth-1:0] data_i,
  input logic [1:0]           flips_i,  // number of flipped bits (0, 1, 2; 3 is assumed away)
  input logic [IdxWidth-1:0]  bit_a_i,
  input logic [IdxWidth-1:0]  bit_b_i
);

  logic [CodeWidth-1:0] code, flipped;
  logic [DataWidth-1:0] data;
  logic                 single, double;

  lpu_secded_enc #(.DataWidth(DataWidth)) u_enc (.data_i, .code_o(code));

  always_comb begin
    flipped = code;
    if (flips_i >= 2'd1) flipped[bit_a_i] = !flipped[bit_a_i];
    if (flips_i == 2'd2) flipped[bit_b_i] = !flipped[bit_b_i];
  end

  lpu_secded_dec #(.DataWidth(DataWidth)) u_dec (
    .code_i   (flipped),
    .data_o   (data),
    .single_o (single),
    .double_o (double)
  );

  always_comb begin
    assume (flips_i != 2'd3);
    assume (int'(bit_a_i) < CodeWidth && int'(bit_b_i) < CodeWidth);
    if (flips_i == 2'd2) assume (bit_a_i != bit_b_i);
    if (flips_i == 2'd0) assert (data == data_i && !single && !double);
    if (flips_i == 2'd1) assert (data == data_i && single && !double);
    if (flips_i == 2'd2) assert (double && !single);
  end

endmodule
