// LPU arithmetic for the golden model (interim host implementation until sw/vxm lands).
#include "sw/golden/lpu_arith.h"

#include <bit>
#include <cmath>

namespace tinylpu::arith {

float Canonical(float x) {
  const uint32_t b = std::bit_cast<uint32_t>(x);
  if ((b & 0x7F800000u) == 0) return std::bit_cast<float>(b & 0x80000000u);
  if (std::isnan(x)) return std::bit_cast<float>(0x7FC00000u);
  return x;
}

float F32Add(float a, float b) { return Canonical(Canonical(a) + Canonical(b)); }
float F32Sub(float a, float b) { return Canonical(Canonical(a) - Canonical(b)); }
float F32Mul(float a, float b) { return Canonical(Canonical(a) * Canonical(b)); }
float F32Max(float a, float b) {
  a = Canonical(a);
  b = Canonical(b);
  if (std::isnan(a) || std::isnan(b)) return Canonical(NAN);
  return a >= b ? a : b;
}
float I32ToF32(int32_t x) { return static_cast<float>(x); }
int8_t F32ToI8(float x) {
  x = Canonical(x);
  if (std::isnan(x)) return 0;
  const float r = std::nearbyint(x);
  if (r >= 127.0f) return 127;
  if (r <= -128.0f) return -128;
  return static_cast<int8_t>(r);
}

float Exp(float x) { return Canonical(std::exp(Canonical(x))); }
float Reciprocal(float x) { return Canonical(1.0f / Canonical(x)); }
float Rsqrt(float x) { return Canonical(1.0f / std::sqrt(Canonical(x))); }
float Silu(float x) {
  x = Canonical(x);
  return Canonical(x / (1.0f + std::exp(-x)));
}
float Gelu(float x) {
  x = Canonical(x);
  return Canonical(0.5f * x * (1.0f + std::erf(x * 0.70710678f)));
}

}  // namespace tinylpu::arith
