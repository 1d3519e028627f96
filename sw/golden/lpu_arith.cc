// LPU arithmetic for the golden model: each function is one VXM op (or a fixed pair) of sw/vxm.
#include "sw/golden/lpu_arith.h"

#include <bit>

#include "sw/vxm/vxm_func.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu::arith {
namespace {

uint32_t Bits(float x) { return std::bit_cast<uint32_t>(x); }
float Float(uint32_t b) { return std::bit_cast<float>(b); }

}  // namespace

float Canonical(float x) {
  const uint32_t b = vxm::F32Daz(Bits(x));
  if ((b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu) != 0) return Float(vxm::kCanonicalNan);
  return Float(b);
}

// VADD.f32, VSUB.f32, VMUL.f32, VMAX.f32.
float F32Add(float a, float b) { return Float(vxm::F32Add(Bits(a), Bits(b))); }
float F32Sub(float a, float b) { return Float(vxm::F32Sub(Bits(a), Bits(b))); }
float F32Mul(float a, float b) { return Float(vxm::F32Mul(Bits(a), Bits(b))); }
float F32Max(float a, float b) { return Float(vxm::F32Max(Bits(a), Bits(b))); }
// VCVT.f32.i32 (an int8 operand first goes through VCVT.i32.i8, which is exact).
float I32ToF32(int32_t x) { return Float(vxm::F32FromI32(x)); }
// VCVT.i32.f32 (round to nearest even, saturating, NaN -> 0) then VCVT.i8.i32 (saturating).
int8_t F32ToI8(float x) {
  return static_cast<int8_t>(vxm::SatNarrow(vxm::VxmType::kI8, vxm::F32ToI32(Bits(x))));
}

float Exp(float x) { return vxm::EvaluateF32(vxm::Func::kExp, x); }
float Reciprocal(float x) { return vxm::EvaluateF32(vxm::Func::kReciprocal, x); }
float Rsqrt(float x) { return vxm::EvaluateF32(vxm::Func::kRsqrt, x); }
float Silu(float x) { return vxm::EvaluateF32(vxm::Func::kSilu, x); }
float Gelu(float x) { return vxm::EvaluateF32(vxm::Func::kGelu, x); }

}  // namespace tinylpu::arith
