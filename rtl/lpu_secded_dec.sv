// SECDED decoder for the extended Hamming code of lpu_secded_enc: corrects one flipped bit,
// detects two.
//
// The syndrome is the XOR of the stored check bits with the check bits recomputed from the
// stored data; for a single flipped bit it is that bit's Hamming position (0 for the overall
// parity bit). The parity of the whole codeword tells one flip (odd) from two (even):
//
//   parity even, syndrome 0          no error;
//   parity odd,  syndrome a position one error, corrected (`single_o`); if it is a data
//                                    position, that data bit is flipped back;
//   parity even, syndrome non-zero   two errors: `double_o`, data passed through uncorrected;
//   parity odd,  syndrome beyond the last position   three or more errors: `double_o` too.
//
// Purely combinational.

module lpu_secded_dec
  import lpu_secded_pkg::*;
#(
  parameter int unsigned DataWidth = 8,
  localparam int unsigned HammingWidth = lpu_secded_hamming_width(DataWidth),
  localparam int unsigned CodeWidth    = DataWidth + HammingWidth + 1
) (
  input  logic [CodeWidth-1:0] code_i,
  output logic [DataWidth-1:0] data_o,    // corrected data
  output logic                 single_o,  // one bit was flipped and is corrected
  output logic                 double_o   // uncorrectable: data_o is the stored data
);

  localparam int unsigned LastPos = DataWidth + HammingWidth;

  logic [DataWidth-1:0]    data;
  logic [HammingWidth-1:0] syndrome;
  logic                    odd;
  logic                    known_pos;

  assign data = code_i[DataWidth-1:0];
  assign odd  = ^code_i;

  for (genvar j = 0; j < HammingWidth; j++) begin : gen_syndrome
    localparam logic [DataWidth-1:0] Mask = DataWidth'(lpu_secded_check_mask64(DataWidth, j));
    assign syndrome[j] = code_i[DataWidth + j] ^ (^(data & Mask));
  end

  assign known_pos = int'(syndrome) <= LastPos;
  assign single_o  = odd && known_pos;
  assign double_o  = (!odd && syndrome != '0) || (odd && !known_pos);

  for (genvar i = 0; i < DataWidth; i++) begin : gen_correct
    localparam int unsigned Pos = lpu_secded_data_pos(DataWidth, i);
    assign data_o[i] = data[i] ^ (odd && int'(syndrome) == Pos);
  end

  ////////////////
  // Assertions //
  ////////////////

`ifndef SYNTHESIS
  initial begin
    assert (DataWidth >= 1 && DataWidth <= 64)
      else $fatal(1, "lpu_secded_dec: DataWidth must be in 1..64");
  end

  // Syndrome handling, on every decode in simulation (the code's properties themselves, even
  // codewords and single and double flips, are proved formally, formal/lpu_secded_fv.sv): a
  // codeword is clean, corrected or uncorrectable, never two of them; only a corrected one
  // changes the data, in at most one bit; an uncorrectable one passes the stored data through.
  always_comb begin
    assert (!(single_o && double_o))
      else $error("lpu_secded_dec: single and double flag together (code %h)", code_i);
    if (!single_o) begin
      assert (data_o == data)
        else $error("lpu_secded_dec: data changed without a correction (code %h)", code_i);
    end else begin
      assert ($countones(data_o ^ data) <= 1)
        else $error("lpu_secded_dec: a correction changed more than one bit (code %h)", code_i);
    end
  end
`endif

endmodule
