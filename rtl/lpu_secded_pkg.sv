// Constant functions shared by lpu_secded_enc and lpu_secded_dec: the code's geometry.
//
// An extended Hamming code over K data bits uses the smallest r with 2^r >= K + r + 1 check
// bits plus one overall parity bit. Data bit i takes Hamming position data_pos(i): the i-th
// position from 3 upwards that is not a power of two. These are elaboration-time helpers only.

package lpu_secded_pkg;

  // Hamming check bits for `data_width` data bits (without the overall parity bit).
  function automatic int unsigned lpu_secded_hamming_width(int unsigned data_width);
    int unsigned r;
    r = 1;
    for (int unsigned k = 1; k < 32; k++) begin
      if ((1 << r) < data_width + r + 1) begin
        r++;
      end
    end
    return r;
  endfunction

  // Hamming position (1-based) of data bit `i`.
  function automatic int unsigned lpu_secded_data_pos(int unsigned data_width, int unsigned i);
    int unsigned seen;
    int unsigned pos;
    seen = 0;
    pos  = 0;
    for (int unsigned p = 3; p < 2 * (data_width + 8); p++) begin
      if ((p & (p - 1)) != 0) begin
        if (seen == i) begin
          pos = p;
        end
        seen++;
      end
    end
    return pos;
  endfunction

  // The data bits that check bit `j` covers.
  function automatic logic [63:0] lpu_secded_check_mask64(int unsigned data_width,
                                                           int unsigned j);
    logic [63:0] mask;
    mask = '0;
    for (int unsigned i = 0; i < data_width && i < 64; i++) begin
      mask[i] = ((lpu_secded_data_pos(data_width, i) >> j) & 1) != 0;
    end
    return mask;
  endfunction

endpackage
