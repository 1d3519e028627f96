// Secded: the extended Hamming code that protects MEM words (rtl/lpu_secded_enc.sv, _dec.sv).
#pragma once

#include <array>
#include <cstdint>

namespace tinylpu {

// An extended Hamming code over `data_bits` (1..64) data bits in systematic form, bit for bit
// the code of rtl/lpu_secded_enc.sv: r Hamming check bits (the smallest r with
// 2^r >= data_bits + r + 1) and an overall parity bit. Data bit i sits at Hamming position
// DataPos(i), the i-th position from 3 up that is not a power of two; check bit j is the XOR
// of the data bits whose position has bit j set; the parity bit makes the codeword even.
class Secded {
 public:
  // A codeword: the data bits, and `check` with the Hamming bits in bits r-1:0 and the parity
  // bit in bit r. As one RTL vector it is {parity, hamming, data}.
  struct Code {
    uint64_t data = 0;
    uint32_t check = 0;
    friend bool operator==(const Code&, const Code&) = default;
  };
  enum class Status : uint8_t { kClean, kCorrected, kUncorrectable };
  struct Decoded {
    uint64_t data = 0;  // corrected; the stored data when uncorrectable
    Status status = Status::kClean;
  };

  // Throws Error unless 1 <= data_bits <= 64.
  explicit Secded(int data_bits);

  int data_bits() const { return data_bits_; }
  int hamming_bits() const { return hamming_bits_; }
  int code_bits() const { return data_bits_ + hamming_bits_ + 1; }
  int DataPos(int i) const { return pos_[i]; }

  Code Encode(uint64_t data) const;
  Decoded Decode(const Code& code) const;

 private:
  uint32_t Hamming(uint64_t data) const;

  int data_bits_;
  int hamming_bits_;
  std::array<int, 64> pos_{};
  std::array<uint64_t, 8> masks_{};  // data bits covered by check bit j
};

// The 13-bit codeword of one MEM lane byte, as the RTL stores it: data in bits 7:0, the four
// Hamming bits in 11:8, parity in 12. Table-driven: the C++ model calls these per lane.
uint16_t EncodeLaneByte(uint8_t byte);
Secded::Decoded DecodeLaneByte(uint16_t code);
inline constexpr int kLaneCodeBits = 13;

}  // namespace tinylpu
