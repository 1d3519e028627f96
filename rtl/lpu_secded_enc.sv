// SECDED encoder: an extended Hamming code over DataWidth data bits, in systematic form.
//
// The codeword is {parity, check, data}: data bits stay in bits DataWidth-1:0, the
// HammingWidth check bits follow, and the top bit makes the parity of the whole codeword even.
// Data bit i sits at Hamming position data_pos(i), the i-th position (counting from 1) that is
// not a power of two; check bit j is the XOR of the data bits whose position has bit j set.
// lpu_secded_dec corrects any single flipped bit and detects any two. For DataWidth = 8 (one
// MEM lane byte) the codeword has 13 bits; for 64 it has 72.

module lpu_secded_enc
  import lpu_secded_pkg::*;
#(
  parameter int unsigned DataWidth = 8,
  localparam int unsigned HammingWidth = lpu_secded_hamming_width(DataWidth),
  localparam int unsigned CodeWidth    = DataWidth + HammingWidth + 1
) (
  input  logic [DataWidth-1:0] data_i,
  output logic [CodeWidth-1:0] code_o
);

  logic [HammingWidth-1:0] check;

  for (genvar j = 0; j < HammingWidth; j++) begin : gen_check
    localparam logic [DataWidth-1:0] Mask = DataWidth'(lpu_secded_check_mask64(DataWidth, j));
    assign check[j] = ^(data_i & Mask);
  end

  assign code_o = {^{check, data_i}, check, data_i};

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (DataWidth >= 1 && DataWidth <= 64)
      else $fatal(1, "lpu_secded_enc: DataWidth must be in 1..64");
    assert ((1 << HammingWidth) >= DataWidth + HammingWidth + 1)
      else $fatal(1, "lpu_secded_enc: too few check bits");
  end

  // No clocked checks here: the properties (even codewords, single and double flips) are
  // proved formally and tested exhaustively through sw/core/secded.h.
`endif

endmodule
