// Tests for the golden model's arithmetic: the VXM rounding, flushing and saturation it relies on.
#include "sw/golden/lpu_arith.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

namespace tinylpu::arith {
namespace {

uint32_t Bits(float x) { return std::bit_cast<uint32_t>(x); }

TEST(LpuArithTest, F32ToI8RoundsHalfEvenAndSaturates) {
  EXPECT_EQ(F32ToI8(2.5f), 2);
  EXPECT_EQ(F32ToI8(3.5f), 4);
  EXPECT_EQ(F32ToI8(-2.5f), -2);
  EXPECT_EQ(F32ToI8(126.6f), 127);
  EXPECT_EQ(F32ToI8(1e9f), 127);
  EXPECT_EQ(F32ToI8(-128.4f), -128);
  EXPECT_EQ(F32ToI8(-1e30f), -128);
  EXPECT_EQ(F32ToI8(INFINITY), 127);
  EXPECT_EQ(F32ToI8(NAN), 0);
}

TEST(LpuArithTest, FlushesSubnormalsAndCanonicalisesNan) {
  const float tiny = 0x1.0p-126f;
  EXPECT_EQ(Bits(F32Mul(tiny, 0.5f)), 0u);                   // FTZ result
  EXPECT_EQ(Bits(F32Add(0x1.0p-140f, 0.0f)), 0u);            // DAZ input
  EXPECT_EQ(Bits(F32Mul(-tiny, 0.5f)), 0x80000000u);         // signed zero
  EXPECT_EQ(Bits(F32Sub(INFINITY, INFINITY)), 0x7FC00000u);  // canonical NaN
  EXPECT_EQ(Bits(Canonical(std::bit_cast<float>(0xFFC12345u))), 0x7FC00000u);
  EXPECT_EQ(F32Max(-0.0f, 0.0f), 0.0f);
  EXPECT_EQ(Bits(F32Max(0.0f, -0.0f)), 0u);
  EXPECT_EQ(I32ToF32(16777217), 16777216.0f);  // round to nearest even
  EXPECT_EQ(I32ToF32(-128), -128.0f);
}

TEST(LpuArithTest, FunctionsAreCloseToLibm) {
  for (float x : {-10.0f, -1.0f, -0.1f, 0.0f, 0.5f, 3.0f}) {
    EXPECT_NEAR(Exp(x), std::exp(x), 1e-6 * std::exp(x)) << x;
    EXPECT_NEAR(Silu(x), x / (1 + std::exp(-x)), 1e-5) << x;
    EXPECT_NEAR(Gelu(x), 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), 2e-3) << x;
  }
  for (float x : {1e-3f, 0.5f, 1.0f, 7.0f, 1e4f}) {
    EXPECT_NEAR(Reciprocal(x), 1.0 / x, 1e-6 / x) << x;
    EXPECT_NEAR(Rsqrt(x), 1.0 / std::sqrt(x), 1e-6 / std::sqrt(x)) << x;
  }
  EXPECT_EQ(F32ToI8(F32Mul(Exp(0.0f), 127.0f)), 127);
}

}  // namespace
}  // namespace tinylpu::arith
