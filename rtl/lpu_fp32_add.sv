// fp32 adder: IEEE-754 binary32 a + b, round to nearest even, DAZ/FTZ, canonical NaN.
//
// Purely combinational. Subnormal inputs count as zeros of their sign; NaN results are
// 0x7FC00000; inf + -inf is NaN. Otherwise the operands are ordered by magnitude and the
// smaller significand is shifted right onto the larger one with eight guard bits, the bits
// shifted out jammed into the lowest bit (sticky). For an exponent difference of 0 or 1 nothing
// is lost and the sum is exact; otherwise cancellation normalises by at most one bit and the
// rounding point stays well above the sticky bit, so rounding the 33-bit sum to 24 bits is
// exact rounding. A sum below 2^-126 after rounding flushes to zero of its sign, an exact
// cancellation gives +0. sw/vxm/vxm_ops.cc (F32Add) is the reference; the RTL-vs-model tests
// hold the two together.

module lpu_fp32_add (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] sum_o
);

  localparam logic [31:0] CanonicalNan = 32'h7fc0_0000;

  logic [31:0] a, b, big, little;
  logic        a_nan, b_nan, a_inf, b_inf, a_zero, b_zero;

  // DAZ: an exponent of 0 is a (signed) zero.
  assign a = (a_i[30:23] == 8'd0) ? {a_i[31], 31'd0} : a_i;
  assign b = (b_i[30:23] == 8'd0) ? {b_i[31], 31'd0} : b_i;
  assign a_nan  = (a[30:23] == 8'hff) && (a[22:0] != '0);
  assign b_nan  = (b[30:23] == 8'hff) && (b[22:0] != '0);
  assign a_inf  = (a[30:0] == 31'h7f80_0000);
  assign b_inf  = (b[30:0] == 31'h7f80_0000);
  assign a_zero = (a[30:0] == '0);
  assign b_zero = (b[30:0] == '0);

  // |big| >= |little|.
  assign big   = (a[30:0] >= b[30:0]) ? a : b;
  assign little = (a[30:0] >= b[30:0]) ? b : a;

  logic [7:0]  diff;
  logic [32:0] m_big, m_small, m_shifted, sum;
  logic        sticky, subtract;

  assign diff     = big[30:23] - little[30:23];
  assign subtract = big[31] ^ little[31];
  assign m_big    = {2'b01, big[22:0], 8'd0};
  assign m_small  = {2'b01, little[22:0], 8'd0};

  always_comb begin
    logic [32:0] lost;
    lost = '0;
    if (diff >= 8'd33) begin
      m_shifted = '0;
      sticky    = 1'b1;
      lost      = m_small;
    end else begin
      m_shifted = m_small >> diff;
      lost      = m_small & ~({33{1'b1}} << diff);
      sticky    = (lost != '0);
    end
  end

  assign sum = subtract ? m_big - (m_shifted | 33'(sticky)) : m_big + (m_shifted | 33'(sticky));

  // Normalise: the leading one to bit 32.
  logic [5:0]        lzc;
  logic [32:0]       norm;
  logic signed [9:0] exp_norm;

  always_comb begin
    lzc = 6'd33;
    for (int i = 0; i <= 32; i++) begin
      if (sum[i]) lzc = 6'(32 - i);
    end
  end

  assign norm     = sum << lzc;
  assign exp_norm = $signed({2'b00, big[30:23]}) + 10'sd1 - $signed({4'd0, lzc});

  // Round to 24 bits: keep norm[32:9], remainder norm[8:0].
  logic [24:0]       rounded;
  logic signed [9:0] exp_round;
  logic              round_up;
  logic [31:0]       packed_sum;

  assign round_up  = (norm[8:0] > 9'h100) || ((norm[8:0] == 9'h100) && norm[9]);
  assign rounded   = {1'b0, norm[32:9]} + 25'(round_up);
  assign exp_round = rounded[24] ? exp_norm + 10'sd1 : exp_norm;

  always_comb begin
    logic [22:0] frac;
    frac = rounded[24] ? rounded[23:1] : rounded[22:0];
    if (exp_round >= 10'sd255) begin
      packed_sum = {big[31], 8'hff, 23'd0};
    end else if (exp_round <= 10'sd0) begin
      packed_sum = {big[31], 31'd0};
    end else begin
      packed_sum = {big[31], exp_round[7:0], frac};
    end
  end

  always_comb begin
    if (a_nan || b_nan || (a_inf && b_inf && (a[31] != b[31]))) begin
      sum_o = CanonicalNan;
    end else if (a_inf) begin
      sum_o = a;
    end else if (b_inf) begin
      sum_o = b;
    end else if (a_zero && b_zero) begin
      sum_o = {a[31] & b[31], 31'd0};
    end else if (a_zero) begin
      sum_o = b;
    end else if (b_zero) begin
      sum_o = a;
    end else if (sum == '0) begin
      sum_o = '0;
    end else begin
      sum_o = packed_sum;
    end
  end

endmodule
