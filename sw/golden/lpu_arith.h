// LPU arithmetic used by the bit-exact golden model: one function per VXM operation it needs.
#pragma once

#include <cstdint>

namespace tinylpu::arith {

// fp32 follows the VXM: IEEE binary32, round to nearest even, subnormal inputs and results
// flushed to +-0 (FTZ/DAZ), every NaN result is the canonical 0x7FC00000.
float F32Add(float a, float b);
float F32Sub(float a, float b);
float F32Mul(float a, float b);
float F32Max(float a, float b);
// Conversions: exact for int8; int32 -> fp32 rounds to nearest even.
float I32ToF32(int32_t x);
// fp32 -> int8: round to nearest even, saturate to [-128, 127], NaN -> 0.
int8_t F32ToI8(float x);

// Functions from the VXM's fixed primitive sequences (vxm_func).
float Exp(float x);
float Reciprocal(float x);
float Rsqrt(float x);
float Silu(float x);
float Gelu(float x);

// Flush a subnormal to zero of the same sign; canonicalise NaN.
float Canonical(float x);

}  // namespace tinylpu::arith
