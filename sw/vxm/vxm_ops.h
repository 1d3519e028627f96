// VXM lane arithmetic: the one bit-exact definition of every VXM primitive on one lane's values.
//
// The cycle model (sw/model/cycle_model.cc), the function library (vxm_func.h) and the golden
// model all call these; the RTL (rtl/lpu_vxm_alu.sv) implements the same numerics and the
// RTL-vs-model tests hold it to them. Values are 32-bit patterns: i8/i16 values are the low
// 8/16 bits, sign-extended when a result is formed; f32 is IEEE-754 binary32. The rules
// (docs/architecture.md, "Numerics"):
//  - integers wrap at their type width unless the op saturates (VCVT narrowing, VREQ);
//  - f32 rounds to nearest, ties to even; subnormal inputs count as zero of the same sign (DAZ)
//    and a result whose magnitude, rounded to 24 bits with an unbounded exponent, is below
//    2^-126 becomes zero of the same sign (FTZ); every NaN result is 0x7FC00000; infinities
//    follow IEEE; VMIN/VMAX return the canonical NaN for any NaN operand and order -0 < +0.
#pragma once

#include <cstdint>

#include "sw/isa/isa_gen.h"

namespace tinylpu::vxm {

using isa::VxmType;

inline constexpr uint32_t kCanonicalNan = 0x7fc00000u;

// Bits of a value of `type` (8, 16, 32, 32) and its stream group (1, 2, 4, 4).
int TypeBits(VxmType type);
int TypeGroup(VxmType type);
// The low TypeBits(type) bits of `v`, sign-extended to 32 bits (f32 and i32: v itself).
uint32_t Narrow(VxmType type, uint32_t v);

// f32 primitives on bit patterns.
uint32_t F32Add(uint32_t a, uint32_t b);
uint32_t F32Sub(uint32_t a, uint32_t b);
uint32_t F32Mul(uint32_t a, uint32_t b);
uint32_t F32Min(uint32_t a, uint32_t b);
uint32_t F32Max(uint32_t a, uint32_t b);
uint32_t F32Abs(uint32_t a);
uint32_t F32Neg(uint32_t a);
bool F32Eq(uint32_t a, uint32_t b);
bool F32Lt(uint32_t a, uint32_t b);
bool F32Le(uint32_t a, uint32_t b);
// int32 -> f32, rounded to nearest even.
uint32_t F32FromI32(int32_t x);
// f32 -> int32, rounded to nearest even, saturated to [-2^31, 2^31-1]; NaN gives 0.
int32_t F32ToI32(uint32_t a);
// Subnormals (and zeros) to signed zero; everything else unchanged.
uint32_t F32Daz(uint32_t a);

// Saturating narrowing of an int32 to `type` (i8 or i16); the result sign-extended to 32 bits.
int32_t SatNarrow(VxmType type, int64_t x);
// VREQ: sat_type((x * m + 2^(s-1)) >> s), exact in 64 bits, s = 0 without the rounding term.
int32_t Requant(VxmType type, int32_t x, uint32_t m16, int s);

// Is the (type, stype) combination legal for VXM op `op` (stype matters only for VCVT)?
bool TypeLegal(isa::Op op, VxmType type, VxmType stype);
// The operand kinds of a VXM op (isa.toml `operands`); nullptr when `op` is no VXM op.
const isa::VxmOpInfo* FindVxmOp(isa::Op op);
// The type of operand kind `kind` for an op with fields (type, stype); kNone has none.
VxmType KindType(isa::VxmKind kind, VxmType type, VxmType stype);
// Stream group of an operand kind (0 for kNone); u16 is 2.
int KindGroup(isa::VxmKind kind, VxmType type, VxmType stype);

// One lane of VXM op `op`: `a` and `b` are the sampled source values (32-bit patterns; the op
// uses their low bits as its operand types), `self` is R[k] as the op sees it (the VSEL mask),
// `qshift` this ALU's QSHIFT. Returns the 32-bit value written to R[k] (narrow results
// sign-extended). The op and types must be legal (TypeLegal); otherwise the result is 0.
uint32_t Apply(isa::Op op, VxmType type, VxmType stype, uint32_t a, uint32_t b, uint32_t self,
               int qshift);

}  // namespace tinylpu::vxm
