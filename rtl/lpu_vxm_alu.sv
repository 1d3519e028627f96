// One lane of one VXM ALU: every VXM op on 32-bit lane values, combinational.
//
// The slice (lpu_vxm) hands it the op's fields and the sampled sources a and b (32-bit
// patterns: stream groups zero-extended, R[k-1], R[k] or IMM as they are), R[k] for VSEL's mask
// and the ALU's QSHIFT, and registers the result into R[k]. Integer ops work on the low 8, 16 or
// 32 bits of their operands, sign-extended (`narrow`), and wrap; the result is sign-extended to
// 32 bits. f32 follows docs/architecture.md ("Numerics"): round to nearest even, DAZ/FTZ,
// canonical NaN. One signed 33 x 25 multiplier per lane serves the f32 significand product
// (24 x 24), the requantisation product (int32 x unsigned 16-bit) and the integer multiply: the
// low 32 bits of a * b are a * b[23:0] plus (a[7:0] * b[31:24]) << 24, the second term from an
// 8 x 8 multiplier of which only the low byte is kept. One right shifter serves the three
// integer shifts (a left shift is a right shift of the bit-reversed value).
// sw/vxm/vxm_ops.cc (Apply) is the reference, bit for bit.

module lpu_vxm_alu
  import lpu_isa_pkg::*;
(
  input  logic [5:0]  op_i,
  input  vxm_type_e   ty_i,      // the op's type (VCVT: the result type)
  input  vxm_type_e   sty_i,     // VCVT: the source type
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  input  logic [31:0] self_i,    // R[k] as it is now: VSEL's mask
  input  logic [5:0]  qshift_i,  // VREQ's shift S
  output logic [31:0] result_o
);

  localparam logic [31:0] CanonicalNan = 32'h7fc0_0000;

  ///////////////
  // Integers  //
  ///////////////

  // The low bits of v as a value of type ty, sign-extended (f32 and i32: v itself).
  function automatic logic [31:0] narrow(vxm_type_e ty, logic [31:0] v);
    unique case (ty)
      VT_I8:   return {{24{v[7]}}, v[7:0]};
      VT_I16:  return {{16{v[15]}}, v[15:0]};
      default: return v;
    endcase
  endfunction

  // Saturates a signed value to type ty (i8, i16; i32 and f32 pass unchanged), sign-extended:
  // v fits the type exactly when all bits from the type's sign bit up are equal.
  function automatic logic [31:0] sat_narrow(vxm_type_e ty, logic signed [48:0] v);
    logic        fits;
    logic [31:0] limit;
    unique case (ty)
      VT_I8: begin
        fits  = (v[48:7] == '0) || (v[48:7] == '1);
        limit = v[48] ? 32'hffff_ff80 : 32'h0000_007f;
      end
      VT_I16: begin
        fits  = (v[48:15] == '0) || (v[48:15] == '1);
        limit = v[48] ? 32'hffff_8000 : 32'h0000_7fff;
      end
      default: begin
        fits  = (v[48:31] == '0) || (v[48:31] == '1);
        limit = v[48] ? 32'h8000_0000 : 32'h7fff_ffff;
      end
    endcase
    return fits ? v[31:0] : limit;
  endfunction

  logic [31:0]        na, nb, mask;
  logic signed [31:0] sa, sb;
  logic [4:0]         amt;
  logic               is_fp, int_lt, int_eq;

  assign na    = narrow(ty_i, a_i);
  assign nb    = narrow(ty_i, b_i);
  assign sa    = $signed(na);
  assign sb    = $signed(nb);
  assign is_fp = (ty_i == VT_F32);
  assign mask  = (ty_i == VT_I8) ? 32'h0000_00ff : (ty_i == VT_I16) ? 32'h0000_ffff : '1;
  // Shift amounts are taken modulo the type width.
  assign amt   = b_i[4:0] & ((ty_i == VT_I8) ? 5'd7 : (ty_i == VT_I16) ? 5'd15 : 5'd31);
  assign int_lt = sa < sb;
  assign int_eq = sa == sb;

  // The integer shifts. VSRA shifts the sign-extended value, VSRL the type-width pattern; VSHL
  // reverses the bits, shifts right with zeros and reverses back.
  function automatic logic [31:0] reverse(logic [31:0] v);
    for (int i = 0; i < 32; i++) begin
      reverse[i] = v[31 - i];
    end
  endfunction

  logic [31:0] shift_in, shift_out;
  logic        shift_fill;
  always_comb begin
    shift_in   = (op_i == OP_VSHL) ? reverse(na) : (op_i == OP_VSRL) ? (na & mask) : na;
    shift_fill = (op_i == OP_VSRA) && na[31];
    shift_out  = 32'($signed({shift_fill, shift_in}) >>> amt);
  end

  ////////////////////
  // f32 primitives //
  ////////////////////

  logic [31:0] fa, fb;  // DAZ
  logic        fa_nan, fb_nan, fa_inf, fb_inf, fa_zero, fb_zero;

  assign fa      = (a_i[30:23] == 8'd0) ? {a_i[31], 31'd0} : a_i;
  assign fb      = (b_i[30:23] == 8'd0) ? {b_i[31], 31'd0} : b_i;
  assign fa_nan  = (fa[30:23] == 8'hff) && (fa[22:0] != '0);
  assign fb_nan  = (fb[30:23] == 8'hff) && (fb[22:0] != '0);
  assign fa_inf  = (fa[30:0] == 31'h7f80_0000);
  assign fb_inf  = (fb[30:0] == 31'h7f80_0000);
  assign fa_zero = (fa[30:0] == '0);
  assign fb_zero = (fb[30:0] == '0);

  // Order of non-NaN patterns: -inf < ... < -0 < +0 < ... < +inf.
  function automatic logic [31:0] order_key(logic [31:0] v);
    return v[31] ? ~v : {1'b1, v[30:0]};
  endfunction

  logic fp_eq, fp_lt, fp_le, key_lt, key_eq;

  assign key_lt = order_key(fa) < order_key(fb);
  assign key_eq = (fa == fb);  // order_key is a bijection
  assign fp_eq  = !fa_nan && !fb_nan && (key_eq || (fa_zero && fb_zero));
  assign fp_lt  = !fa_nan && !fb_nan && !(fa_zero && fb_zero) && key_lt;
  assign fp_le  = fp_lt || fp_eq;

  // Rounds keep (24 bits, leading one at bit 23) with the round-up decision and packs it with
  // biased exponent e: overflow gives infinity, a result below 2^-126 zero of its sign.
  function automatic logic [31:0] round_pack(logic sign, logic signed [10:0] e, logic [23:0] keep,
                                             logic up);
    logic [24:0]        r;
    logic signed [10:0] er;
    logic [22:0]        frac;
    r    = {1'b0, keep} + 25'(up);
    er   = r[24] ? e + 11'sd1 : e;
    frac = r[24] ? r[23:1] : r[22:0];
    if (er >= 11'sd255) return {sign, 8'hff, 23'd0};
    if (er <= 11'sd0) return {sign, 31'd0};
    return {sign, er[7:0], frac};
  endfunction

  // Adder (VADD, and VSUB with b's sign flipped; a NaN b stays a NaN).
  logic [31:0] add_b, add_sum;
  assign add_b = (op_i == OP_VSUB) ? {~b_i[31], b_i[30:0]} : b_i;

  lpu_fp32_add u_add (
    .a_i   (a_i),
    .b_i   (add_b),
    .sum_o (add_sum)
  );

  ////////////////////////////
  // The shared multiplier  //
  ////////////////////////////

  logic signed [32:0] mul_a;
  logic signed [24:0] mul_b;
  logic signed [57:0] prod;
  logic [7:0]         prod_hi;  // low byte of a[7:0] * b[31:24]
  logic [31:0]        imul;

  always_comb begin
    if (op_i == OP_VREQ) begin
      mul_a = {a_i[31], a_i};
      mul_b = {9'd0, b_i[15:0]};
    end else if (is_fp) begin
      mul_a = {9'd0, 1'b1, fa[22:0]};
      mul_b = {1'b0, 1'b1, fb[22:0]};
    end else begin
      mul_a = {1'b0, na};
      mul_b = {1'b0, nb[23:0]};
    end
  end

  assign prod    = mul_a * mul_b;
  assign prod_hi = 8'(na[7:0] * nb[31:24]);
  assign imul    = prod[31:0] + {prod_hi, 24'd0};

  // No use needs the top product bits: at most 48 (f32, requantisation) or the low 32.
  logic unused_prod;
  assign unused_prod = ^prod[57:48];

  // f32 product: the significand product has its leading one at bit 47 or 46.
  logic [31:0]        fmul;
  logic signed [10:0] fmul_e;
  logic [23:0]        fmul_keep;
  logic               fmul_up;

  always_comb begin
    fmul_e = $signed({3'd0, fa[30:23]}) + $signed({3'd0, fb[30:23]}) - 11'sd127;
    if (prod[47]) begin
      fmul_keep = prod[47:24];
      fmul_up   = (prod[23:0] > 24'h80_0000) || ((prod[23:0] == 24'h80_0000) && prod[24]);
      fmul_e    = fmul_e + 11'sd1;
    end else begin
      fmul_keep = prod[46:23];
      fmul_up   = (prod[22:0] > 23'h40_0000) || ((prod[22:0] == 23'h40_0000) && prod[23]);
    end
    if (fa_nan || fb_nan || ((fa_inf || fb_inf) && (fa_zero || fb_zero))) begin
      fmul = CanonicalNan;
    end else if (fa_inf || fb_inf) begin
      fmul = {fa[31] ^ fb[31], 8'hff, 23'd0};
    end else if (fa_zero || fb_zero) begin
      fmul = {fa[31] ^ fb[31], 31'd0};
    end else begin
      fmul = round_pack(fa[31] ^ fb[31], fmul_e, fmul_keep, fmul_up);
    end
  end

  // Requantisation: (x * m + 2^(s-1)) >>> s, saturated to the type. |x * m| < 2^47, so the sum
  // fits 49 bits, and for s >= 48 the result is 0 (the sum lies in [0, 2^s)).
  logic signed [48:0] rq_sum, rq_shifted;
  always_comb begin
    rq_sum = $signed({prod[47], prod[47:0]});
    if (qshift_i != 6'd0 && qshift_i < 6'd48) begin
      rq_sum = $signed({prod[47], prod[47:0]}) + (49'sd1 <<< (qshift_i - 6'd1));
    end
    // (An if, not ?:, so that the shift stays signed: an unsigned '0 would make it logical.)
    if (qshift_i >= 6'd48) begin
      rq_shifted = '0;
    end else begin
      rq_shifted = rq_sum >>> qshift_i;
    end
  end

  /////////////////
  // Conversions //
  /////////////////

  // int32 -> f32: normalise |x| to bit 31, round to 24 bits.
  logic [31:0] i2f, cvt_src;
  always_comb begin
    logic [31:0] mag, norm;
    logic [5:0]  lz;
    logic        up;
    mag = cvt_src[31] ? 32'd0 - cvt_src : cvt_src;
    lz  = 6'd32;
    for (int i = 0; i < 32; i++) begin
      if (mag[i]) lz = 6'(31 - i);
    end
    norm = mag << lz[4:0];
    up   = (norm[7:0] > 8'h80) || ((norm[7:0] == 8'h80) && norm[8]);
    i2f  = (mag == '0) ? 32'd0
                       : round_pack(cvt_src[31], 11'sd158 - $signed({5'd0, lz}), norm[31:8], up);
  end

  // f32 -> int32: round to nearest even, saturate, NaN gives 0.
  logic [31:0] f2i, fc;
  always_comb begin
    logic signed [9:0] e;
    logic [23:0]       m;
    logic [47:0]       shifted;
    logic [31:0]       q;
    logic [4:0]        sh;
    fc = (cvt_src[30:23] == 8'd0) ? {cvt_src[31], 31'd0} : cvt_src;
    e  = $signed({2'b00, fc[30:23]}) - 10'sd127;
    m  = {1'b1, fc[22:0]};
    sh = 5'(10'sd23 - e);
    shifted = {m, 24'd0} >> sh;
    q = '0;
    if (e >= 10'sd23) begin
      q = 32'({m, 7'd0} >> (5'd30 - 5'(e)));
    end else if (e >= -10'sd1) begin
      q = 32'(shifted[47:24]);
      if ((shifted[23:0] > 24'h80_0000) || ((shifted[23:0] == 24'h80_0000) && q[0])) begin
        q = q + 32'd1;
      end
    end
    if ((fc[30:23] == 8'hff) && (fc[22:0] != '0)) begin
      f2i = '0;
    end else if (e >= 10'sd31) begin
      f2i = fc[31] ? 32'h8000_0000 : 32'h7fff_ffff;
    end else if (fc[30:0] == '0 || e < -10'sd1) begin
      f2i = '0;
    end else begin
      f2i = fc[31] ? 32'd0 - q : q;
    end
  end

  assign cvt_src = narrow(sty_i, a_i);

  ////////////
  // Result //
  ////////////

  always_comb begin
    result_o = '0;
    unique case (op_i)
      OP_VADD, OP_VSUB: begin
        if (is_fp) begin
          result_o = add_sum;
        end else begin
          result_o = narrow(ty_i, (op_i == OP_VSUB) ? na - nb : na + nb);
        end
      end
      OP_VMUL: result_o = is_fp ? fmul : narrow(ty_i, imul);
      OP_VMIN: begin
        if (is_fp) begin
          result_o = (fa_nan || fb_nan) ? CanonicalNan : ((key_lt || key_eq) ? fa : fb);
        end else begin
          result_o = (int_lt || int_eq) ? na : nb;
        end
      end
      OP_VMAX: begin
        if (is_fp) begin
          result_o = (fa_nan || fb_nan) ? CanonicalNan : (!key_lt ? fa : fb);
        end else begin
          result_o = !int_lt ? na : nb;
        end
      end
      OP_VABS: begin
        if (is_fp) begin
          result_o = fa_nan ? CanonicalNan : {1'b0, fa[30:0]};
        end else begin
          result_o = narrow(ty_i, sa[31] ? 32'd0 - na : na);
        end
      end
      OP_VNEG: begin
        if (is_fp) begin
          result_o = fa_nan ? CanonicalNan : {~fa[31], fa[30:0]};
        end else begin
          result_o = narrow(ty_i, 32'd0 - na);
        end
      end
      OP_VSHL: result_o = narrow(ty_i, reverse(shift_out));
      OP_VSRA, OP_VSRL: result_o = narrow(ty_i, shift_out);
      OP_VAND: result_o = narrow(ty_i, a_i & b_i);
      OP_VOR:  result_o = narrow(ty_i, a_i | b_i);
      OP_VXOR: result_o = narrow(ty_i, a_i ^ b_i);
      OP_VEQ:  result_o = {32{is_fp ? fp_eq : int_eq}};
      OP_VLT:  result_o = {32{is_fp ? fp_lt : int_lt}};
      OP_VLE:  result_o = {32{is_fp ? fp_le : (int_lt || int_eq)}};
      OP_VSEL: result_o = ((self_i & mask) != '0) ? na : nb;
      OP_VMOV: result_o = na;
      OP_VCVT: begin
        if (sty_i == VT_F32) begin
          result_o = f2i;
        end else if (ty_i == VT_F32) begin
          result_o = i2f;
        end else begin
          result_o = sat_narrow(ty_i, 49'($signed(cvt_src)));
        end
      end
      OP_VREQ: result_o = sat_narrow(ty_i, rq_shifted);
      default: result_o = '0;
    endcase
  end

endmodule
