// Tests of the SECDED code: every single-bit error corrected, double-bit errors detected.
#include "sw/core/secded.h"

#include <gtest/gtest.h>

#include <random>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// Flips codeword bit `bit` (data bits first, then the check bits with parity on top).
Secded::Code Flip(const Secded& code, Secded::Code c, int bit) {
  if (bit < code.data_bits()) {
    c.data ^= uint64_t{1} << bit;
  } else {
    c.check ^= 1u << (bit - code.data_bits());
  }
  return c;
}

TEST(SecdedTest, Geometry) {
  EXPECT_EQ(Secded(8).code_bits(), 13);
  EXPECT_EQ(Secded(32).code_bits(), 39);
  EXPECT_EQ(Secded(64).code_bits(), 72);
  EXPECT_EQ(Secded(8).DataPos(0), 3);
  EXPECT_EQ(Secded(8).DataPos(1), 5);
  EXPECT_EQ(Secded(8).DataPos(7), 12);
  EXPECT_THROW(Secded(0), Error);
  EXPECT_THROW(Secded(65), Error);
}

// Known codewords of the lane code, worked by hand: data bit 0 sits at position 3 (check bits
// 0 and 1), and three set bits need the parity bit. All ones: positions 3,5,6,7,9,10,11,12
// set check bits 0 and 1 (five each, odd) but not 2 and 3 (four each); ten bits, even parity.
TEST(SecdedTest, LaneCodewords) {
  EXPECT_EQ(EncodeLaneByte(0x00), 0x0000);
  EXPECT_EQ(EncodeLaneByte(0x01), 0x0001 | 0x3 << 8 | 1 << 12);
  EXPECT_EQ(EncodeLaneByte(0xff), 0x00ff | 0x3 << 8);
}

// Every byte, every single flip (13) corrected; every pair of flips (78) detected.
TEST(SecdedTest, LaneByteExhaustive) {
  for (int b = 0; b < 256; ++b) {
    const uint16_t code = EncodeLaneByte(static_cast<uint8_t>(b));
    Secded::Decoded clean = DecodeLaneByte(code);
    ASSERT_EQ(clean.status, Secded::Status::kClean) << b;
    ASSERT_EQ(clean.data, static_cast<uint64_t>(b));
    for (int i = 0; i < kLaneCodeBits; ++i) {
      Secded::Decoded one = DecodeLaneByte(static_cast<uint16_t>(code ^ (1u << i)));
      ASSERT_EQ(one.status, Secded::Status::kCorrected) << b << " bit " << i;
      ASSERT_EQ(one.data, static_cast<uint64_t>(b)) << b << " bit " << i;
      for (int j = i + 1; j < kLaneCodeBits; ++j) {
        Secded::Decoded two = DecodeLaneByte(static_cast<uint16_t>(code ^ (1u << i) ^ (1u << j)));
        ASSERT_EQ(two.status, Secded::Status::kUncorrectable) << b << " bits " << i << "," << j;
      }
    }
  }
}

// Wider words: all single flips of random words, and a sample of double flips.
TEST(SecdedTest, WideWordsSingleExhaustiveDoubleSampled) {
  std::mt19937_64 rng(7);
  for (int width : {1, 4, 11, 26, 32, 57, 64}) {
    SCOPED_TRACE(width);
    const Secded code(width);
    for (int trial = 0; trial < 50; ++trial) {
      const uint64_t data = width == 64 ? rng() : rng() & ((uint64_t{1} << width) - 1);
      const Secded::Code c = code.Encode(data);
      ASSERT_EQ(code.Decode(c).status, Secded::Status::kClean);
      for (int i = 0; i < code.code_bits(); ++i) {
        Secded::Decoded one = code.Decode(Flip(code, c, i));
        ASSERT_EQ(one.status, Secded::Status::kCorrected) << "bit " << i;
        ASSERT_EQ(one.data, data) << "bit " << i;
      }
      for (int k = 0; k < 40; ++k) {
        const int i = static_cast<int>(rng() % code.code_bits());
        int j = static_cast<int>(rng() % (code.code_bits() - 1));
        if (j >= i) ++j;
        ASSERT_EQ(code.Decode(Flip(code, Flip(code, c, i), j)).status,
                  Secded::Status::kUncorrectable)
            << "bits " << i << "," << j;
      }
    }
  }
}

}  // namespace
}  // namespace tinylpu
