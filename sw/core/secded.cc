// Secded: encoder, decoder and the lane-byte tables of the MEM slices' SECDED code.
#include "sw/core/secded.h"

#include <fmt/format.h>

#include <bit>

#include "sw/core/error.h"

namespace tinylpu {

Secded::Secded(int data_bits) : data_bits_(data_bits), hamming_bits_(1) {
  if (data_bits < 1 || data_bits > 64) {
    throw Error(fmt::format("SECDED data width {} is outside 1..64", data_bits));
  }
  while ((1 << hamming_bits_) < data_bits + hamming_bits_ + 1) ++hamming_bits_;
  int p = 3;
  for (int i = 0; i < data_bits; ++i, ++p) {
    while (std::has_single_bit(static_cast<unsigned>(p))) ++p;
    pos_[i] = p;
    for (int j = 0; j < hamming_bits_; ++j) {
      if ((p >> j) & 1) masks_[j] |= uint64_t{1} << i;
    }
  }
}

uint32_t Secded::Hamming(uint64_t data) const {
  uint32_t check = 0;
  for (int j = 0; j < hamming_bits_; ++j) {
    check |= static_cast<uint32_t>(std::popcount(data & masks_[j]) & 1) << j;
  }
  return check;
}

Secded::Code Secded::Encode(uint64_t data) const {
  if (data_bits_ < 64) data &= (uint64_t{1} << data_bits_) - 1;
  const uint32_t hamming = Hamming(data);
  const uint32_t parity = (std::popcount(data) + std::popcount(hamming)) & 1;
  return Code{data, hamming | parity << hamming_bits_};
}

Secded::Decoded Secded::Decode(const Code& code) const {
  const uint64_t data = data_bits_ < 64 ? code.data & ((uint64_t{1} << data_bits_) - 1) : code.data;
  const uint32_t check = code.check & ((1u << (hamming_bits_ + 1)) - 1);
  const uint32_t syndrome = (check ^ Hamming(data)) & ((1u << hamming_bits_) - 1);
  const bool odd = ((std::popcount(data) + std::popcount(check)) & 1) != 0;
  const bool known = syndrome <= static_cast<uint32_t>(data_bits_ + hamming_bits_);
  Decoded out{data, Status::kClean};
  if (odd && known) {
    out.status = Status::kCorrected;
    for (int i = 0; i < data_bits_; ++i) {
      if (static_cast<uint32_t>(pos_[i]) == syndrome) out.data ^= uint64_t{1} << i;
    }
  } else if (odd || syndrome != 0) {
    out.status = Status::kUncorrectable;
  }
  return out;
}

namespace {

struct LaneTables {
  std::array<uint16_t, 256> encode{};
  std::array<Secded::Decoded, 1 << kLaneCodeBits> decode{};
  LaneTables() {
    const Secded code(8);
    for (int b = 0; b < 256; ++b) {
      const Secded::Code c = code.Encode(static_cast<uint64_t>(b));
      encode[b] = static_cast<uint16_t>(c.data | c.check << 8);
    }
    for (uint32_t w = 0; w < decode.size(); ++w) decode[w] = code.Decode({w & 0xff, w >> 8});
  }
};

const LaneTables& Tables() {
  static const LaneTables tables;
  return tables;
}

}  // namespace

uint16_t EncodeLaneByte(uint8_t byte) { return Tables().encode[byte]; }

Secded::Decoded DecodeLaneByte(uint16_t code) {
  return Tables().decode[code & ((1u << kLaneCodeBits) - 1)];
}

}  // namespace tinylpu
