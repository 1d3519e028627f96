// Tests for the VXM lane arithmetic: f32 against the host FPU with FTZ/DAZ, integers, conversions.
#include "sw/vxm/vxm_ops.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <vector>

namespace tinylpu::vxm {
namespace {

using isa::Op;

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }
float Flt(uint32_t u) { return std::bit_cast<float>(u); }

// The host float with subnormals as signed zeros (DAZ on an input, FTZ on a result).
float Flush(float f) { return std::fpclassify(f) == FP_SUBNORMAL ? std::copysign(0.0f, f) : f; }
uint32_t Canon(float f) { return std::isnan(f) ? kCanonicalNan : Bits(f); }

// Host references. The host adds floats exactly when the result is subnormal (both inputs are
// multiples of 2^-149), so flushing its result equals flushing the exact sum. A product of two
// floats is exact in double; it is rounded once, with the exponent scaled into the normal range
// when it is tiny, so the FTZ threshold applies after rounding with an unbounded exponent.
uint32_t RefAdd(uint32_t a, uint32_t b) {
  volatile float x = Flush(Flt(a));
  volatile float y = Flush(Flt(b));
  return Canon(Flush(x + y));
}

uint32_t RefMul(uint32_t a, uint32_t b) {
  const double p = static_cast<double>(Flush(Flt(a))) * static_cast<double>(Flush(Flt(b)));
  if (std::isnan(p)) return kCanonicalNan;
  const double mag = std::fabs(p);
  if (mag == 0 || std::isinf(p) || mag >= std::ldexp(1.0, -100)) {
    return Bits(static_cast<float>(p));
  }
  if (mag < std::ldexp(1.0, -127)) return Bits(std::copysign(0.0f, static_cast<float>(p)));
  const float scaled = static_cast<float>(std::ldexp(p, 64));
  if (std::fabs(scaled) < std::ldexp(1.0f, -62)) return Bits(std::copysign(0.0f, scaled));
  return Bits(std::ldexp(scaled, -64));
}

int32_t RefToI32(uint32_t a) {
  const float f = Flush(Flt(a));
  if (std::isnan(f)) return 0;
  const double d = f;
  if (d >= 2147483648.0) return std::numeric_limits<int32_t>::max();
  if (d < -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(std::nearbyint(d));
}

// Bit patterns that exercise every path: specials, subnormals, boundaries, close exponents.
std::vector<uint32_t> Values(int count, uint32_t seed) {
  std::vector<uint32_t> v = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
                             0xffc00001, 0x7f800001, 0x00000001, 0x807fffff, 0x00800000,
                             0x80800000, 0x00800001, 0x7f7fffff, 0xff7fffff, 0x3f800000,
                             0xbf800000, 0x3f800001, 0x3fffffff, 0x4b000000, 0x4effffff,
                             0x4f000000, 0xcf000000, 0xcf000001, 0x3f000000, 0x3fc00000,
                             0x40200000, 0xbfc00000, 0x1f800000, 0x20000000, 0x1fffffff};
  std::mt19937 rng(seed);
  while (static_cast<int>(v.size()) < count) {
    uint32_t r = rng();
    switch (rng() % 4) {
      case 0:  // anything
        break;
      case 1:  // exponent near 127 (values around 1, lots of cancellation)
        r = (r & 0x807fffff) | (124 + rng() % 7) << 23;
        break;
      case 2:  // exponent near 63 or 191: products near 2^-126 or overflow
        r = (r & 0x807fffff) | ((rng() % 2 ? 60 : 188) + rng() % 8) << 23;
        break;
      default:  // few mantissa bits: ties
        r &= 0xfff00000 | (rng() % 2 ? 0xfff : 0);
        break;
    }
    v.push_back(r);
  }
  return v;
}

uint32_t Seed() {
  const char* s = std::getenv("LPU_SEED");
  return s != nullptr ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : 12345u;
}

TEST(VxmOpsTest, F32AddSubMulMatchTheHostWithFtz) {
  const uint32_t seed = Seed();
  std::cout << "LPU_SEED=" << seed << "\n";
  const std::vector<uint32_t> v = Values(1500, seed);
  int checked = 0;
  for (uint32_t a : v) {
    for (size_t j = 0; j < v.size(); j += 7) {
      const uint32_t b = v[(j + a) % v.size()];
      ASSERT_EQ(F32Add(a, b), RefAdd(a, b)) << std::hex << a << " + " << b;
      ASSERT_EQ(F32Sub(a, b), RefAdd(a, b ^ 0x80000000u)) << std::hex << a << " - " << b;
      ASSERT_EQ(F32Mul(a, b), RefMul(a, b)) << std::hex << a << " * " << b;
      ++checked;
    }
  }
  EXPECT_GT(checked, 300000);
}

TEST(VxmOpsTest, F32EdgeCases) {
  const uint32_t inf = 0x7f800000, ninf = 0xff800000, one = Bits(1.0f);
  EXPECT_EQ(F32Add(inf, ninf), kCanonicalNan);
  EXPECT_EQ(F32Mul(inf, 0), kCanonicalNan);
  EXPECT_EQ(F32Mul(0x80000000, one), 0x80000000u);
  EXPECT_EQ(F32Add(0x80000000, 0x80000000), 0x80000000u);
  EXPECT_EQ(F32Add(0x80000000, 0), 0u);
  EXPECT_EQ(F32Sub(one, one), 0u);                // exact cancellation is +0
  EXPECT_EQ(F32Add(0x00000005, 0), 0u);           // DAZ
  EXPECT_EQ(F32Mul(0x00800000, Bits(0.5f)), 0u);  // 2^-127 flushes
  EXPECT_EQ(F32Mul(0x80800000, Bits(0.5f)), 0x80000000u);
  EXPECT_EQ(F32Mul(0x7f7fffff, Bits(2.0f)), inf);     // overflow
  EXPECT_EQ(F32Add(0xffc00001, one), kCanonicalNan);  // NaN payloads are not kept
  EXPECT_EQ(F32Abs(0xffc00001), kCanonicalNan);
  EXPECT_EQ(F32Neg(0x00000003), 0x80000000u);
  EXPECT_EQ(F32Abs(Bits(-2.5f)), Bits(2.5f));
}

TEST(VxmOpsTest, F32MinMaxAndCompare) {
  const std::vector<uint32_t> v = Values(400, Seed() + 1);
  for (uint32_t a : v) {
    for (uint32_t b : v) {
      const float x = Flush(Flt(a));
      const float y = Flush(Flt(b));
      if (std::isnan(x) || std::isnan(y)) {
        EXPECT_EQ(F32Min(a, b), kCanonicalNan);
        EXPECT_EQ(F32Max(a, b), kCanonicalNan);
      } else {
        // -0 < +0: among equal values the sign decides.
        const float lo = x < y ? x : y < x ? y : std::signbit(x) ? x : y;
        const float hi = x > y ? x : y > x ? y : std::signbit(x) ? y : x;
        ASSERT_EQ(F32Min(a, b), Bits(lo)) << std::hex << a << " " << b;
        ASSERT_EQ(F32Max(a, b), Bits(hi)) << std::hex << a << " " << b;
      }
      ASSERT_EQ(F32Eq(a, b), x == y);
      ASSERT_EQ(F32Lt(a, b), x < y);
      ASSERT_EQ(F32Le(a, b), x <= y);
    }
  }
  EXPECT_EQ(F32Min(0x80000000, 0), 0x80000000u);
  EXPECT_EQ(F32Max(0x80000000, 0), 0u);
  EXPECT_EQ(F32Min(0, 0x80000000), 0x80000000u);
}

TEST(VxmOpsTest, Conversions) {
  for (uint32_t a : Values(20000, Seed() + 2)) {
    ASSERT_EQ(F32ToI32(a), RefToI32(a)) << std::hex << a;
    const int32_t i = static_cast<int32_t>(a);
    ASSERT_EQ(F32FromI32(i), Bits(static_cast<float>(i))) << i;
  }
  EXPECT_EQ(F32ToI32(Bits(2.5f)), 2);
  EXPECT_EQ(F32ToI32(Bits(3.5f)), 4);
  EXPECT_EQ(F32ToI32(Bits(-2.5f)), -2);
  EXPECT_EQ(F32ToI32(Bits(0.5f)), 0);
  EXPECT_EQ(F32ToI32(kCanonicalNan), 0);
  EXPECT_EQ(F32ToI32(0xff800000), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(F32ToI32(Bits(3e9f)), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(F32FromI32(16777217), Bits(16777216.0f));  // tie to even
  EXPECT_EQ(F32FromI32(std::numeric_limits<int32_t>::min()), 0xcf000000u);
  EXPECT_EQ(Apply(Op::kVcvt, VxmType::kI8, VxmType::kI32, 300, 0, 0, 0), 127u);
  EXPECT_EQ(Apply(Op::kVcvt, VxmType::kI8, VxmType::kI32, static_cast<uint32_t>(-300), 0, 0, 0),
            static_cast<uint32_t>(-128));
  EXPECT_EQ(Apply(Op::kVcvt, VxmType::kI16, VxmType::kI32, 40000, 0, 0, 0), 32767u);
  EXPECT_EQ(Apply(Op::kVcvt, VxmType::kI32, VxmType::kI8, 0xff, 0, 0, 0), 0xffffffffu);
  EXPECT_EQ(Apply(Op::kVcvt, VxmType::kI32, VxmType::kI16, 0x18000, 0, 0, 0), 0xffff8000u);
}

TEST(VxmOpsTest, IntegerOpsWrapAtTheirWidth) {
  EXPECT_EQ(Apply(Op::kVadd, VxmType::kI8, VxmType::kI8, 127, 1, 0, 0),
            static_cast<uint32_t>(-128));
  EXPECT_EQ(Apply(Op::kVadd, VxmType::kI16, VxmType::kI16, 0x7fff, 1, 0, 0), 0xffff8000u);
  EXPECT_EQ(Apply(Op::kVmul, VxmType::kI8, VxmType::kI8, 16, 16, 0, 0), 0u);
  EXPECT_EQ(Apply(Op::kVmul, VxmType::kI32, VxmType::kI32, 0x10000, 0x10001, 0, 0), 0x10000u);
  EXPECT_EQ(Apply(Op::kVabs, VxmType::kI8, VxmType::kI8, 0x80, 0, 0, 0),
            static_cast<uint32_t>(-128));
  EXPECT_EQ(Apply(Op::kVneg, VxmType::kI32, VxmType::kI32, 5, 0, 0, 0), static_cast<uint32_t>(-5));
  EXPECT_EQ(Apply(Op::kVmin, VxmType::kI8, VxmType::kI8, 0x80, 0x7f, 0, 0),
            static_cast<uint32_t>(-128));
  EXPECT_EQ(Apply(Op::kVmax, VxmType::kI16, VxmType::kI16, 0x8000, 0x1, 0, 0), 1u);
  EXPECT_EQ(Apply(Op::kVshl, VxmType::kI8, VxmType::kI8, 0x41, 9, 0, 0), 0xffffff82u);
  EXPECT_EQ(Apply(Op::kVsra, VxmType::kI16, VxmType::kI16, 0x8000, 3, 0, 0), 0xfffff000u);
  EXPECT_EQ(Apply(Op::kVsrl, VxmType::kI16, VxmType::kI16, 0x8000, 3, 0, 0), 0x1000u);
  EXPECT_EQ(Apply(Op::kVsrl, VxmType::kI32, VxmType::kI32, 0x80000000u, 33, 0, 0), 0x40000000u);
  EXPECT_EQ(Apply(Op::kVand, VxmType::kI8, VxmType::kI8, 0x1f0, 0x0ff, 0, 0), 0xfffffff0u);
  EXPECT_EQ(Apply(Op::kVxor, VxmType::kF32, VxmType::kF32, 0x3f800000, 0x80000000, 0, 0),
            0xbf800000u);
  EXPECT_EQ(Apply(Op::kVlt, VxmType::kI8, VxmType::kI8, 0xff, 0x01, 0, 0), 0xffffffffu);
  EXPECT_EQ(Apply(Op::kVle, VxmType::kI32, VxmType::kI32, 2, 1, 0, 0), 0u);
  EXPECT_EQ(Apply(Op::kVeq, VxmType::kF32, VxmType::kF32, 0, 0x80000000, 0, 0), 0xffffffffu);
  EXPECT_EQ(Apply(Op::kVsel, VxmType::kI8, VxmType::kI8, 3, 4, 0x100, 0), 4u);
  EXPECT_EQ(Apply(Op::kVsel, VxmType::kI8, VxmType::kI8, 3, 4, 0x101, 0), 3u);
  EXPECT_EQ(Apply(Op::kVmov, VxmType::kI16, VxmType::kI16, 0x12348765, 0, 0, 0), 0xffff8765u);
  EXPECT_EQ(Apply(Op::kVmov, VxmType::kF32, VxmType::kF32, 0xffc00001, 0, 0, 0), 0xffc00001u);
}

TEST(VxmOpsTest, RequantRoundsHalfUpAndSaturates) {
  // (x * m + 2^(s-1)) >> s
  EXPECT_EQ(Requant(VxmType::kI8, 3, 1, 1), 2);    // 1.5 -> 2
  EXPECT_EQ(Requant(VxmType::kI8, -3, 1, 1), -1);  // -1.5 -> -1 (half up)
  EXPECT_EQ(Requant(VxmType::kI8, -5, 1, 1), -2);  // -2.5 -> -2
  EXPECT_EQ(Requant(VxmType::kI8, 1000, 1, 0), 127);
  EXPECT_EQ(Requant(VxmType::kI8, -1000, 1, 0), -128);
  EXPECT_EQ(Requant(VxmType::kI16, 1 << 30, 0xffff, 63), 0);
  // -2^31 * 65535 / 2^32 = -32767.5, rounded half up.
  EXPECT_EQ(Requant(VxmType::kI16, std::numeric_limits<int32_t>::min(), 0xffff, 32), -32767);
  EXPECT_EQ(Requant(VxmType::kI16, 12345, 40000, 20), (12345LL * 40000 + (1 << 19)) >> 20);
  EXPECT_EQ(Requant(VxmType::kI8, 12345, 40000, 20), 127);
  EXPECT_EQ(Apply(Op::kVreq, VxmType::kI8, VxmType::kI8, 3, 0x10001, 0, 1), 2u);  // m = b[15:0]
  std::mt19937 rng(Seed() + 3);
  for (int i = 0; i < 10000; ++i) {
    const int32_t x = static_cast<int32_t>(rng());
    const uint32_t m = rng() & 0xffff;
    const int s = static_cast<int>(rng() % 64);
    const long double exact =
        std::floor((static_cast<long double>(x) * m) / std::ldexp(1.0L, s) + (s > 0 ? 0.5L : 0.0L));
    const long double sat = std::fmin(127.0L, std::fmax(-128.0L, exact));
    ASSERT_EQ(Requant(VxmType::kI8, x, m, s), static_cast<int32_t>(sat))
        << x << " " << m << " " << s;
  }
}

TEST(VxmOpsTest, TypeLegalityFollowsTheIsa) {
  EXPECT_TRUE(TypeLegal(Op::kVadd, VxmType::kF32, VxmType::kI8));
  EXPECT_FALSE(TypeLegal(Op::kVshl, VxmType::kF32, VxmType::kF32));
  EXPECT_TRUE(TypeLegal(Op::kVcvt, VxmType::kF32, VxmType::kI32));
  EXPECT_FALSE(TypeLegal(Op::kVcvt, VxmType::kF32, VxmType::kI8));
  EXPECT_FALSE(TypeLegal(Op::kVreq, VxmType::kI32, VxmType::kI32));
  EXPECT_FALSE(TypeLegal(Op::kRead, VxmType::kI8, VxmType::kI8));
  EXPECT_EQ(KindGroup(isa::VxmKind::kU16, VxmType::kI8, VxmType::kI8), 2);
  EXPECT_EQ(KindGroup(isa::VxmKind::kStype, VxmType::kI8, VxmType::kI16), 2);
  EXPECT_EQ(KindGroup(isa::VxmKind::kNone, VxmType::kI8, VxmType::kI16), 0);
}

}  // namespace
}  // namespace tinylpu::vxm
