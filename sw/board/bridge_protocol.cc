// Host bridge protocol: frame encoding, response checking and the burst address rule.
#include "sw/board/bridge_protocol.h"

#include <fmt/format.h>

#include "sw/core/error.h"
#include "sw/isa/isa_gen.h"

namespace tinylpu::bridge {

std::string StatusName(uint8_t status) {
  switch (static_cast<Status>(status)) {
    case Status::kOk:
      return "OK";
    case Status::kBadCrc:
      return "BAD_CRC";
    case Status::kBadCommand:
      return "BAD_COMMAND";
    case Status::kTooLong:
      return "TOO_LONG";
  }
  return fmt::format("UNKNOWN({:#04x})", status);
}

uint8_t Crc8(std::span<const uint8_t> bytes, uint8_t crc) {
  for (uint8_t byte : bytes) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x80) != 0 ? static_cast<uint8_t>((crc << 1) ^ 0x07)
                              : static_cast<uint8_t>(crc << 1);
    }
  }
  return crc;
}

std::vector<uint8_t> EncodeRequest(Command cmd, uint32_t addr, int count,
                                   std::span<const uint32_t> data) {
  if (count < 1 || count > kMaxWordsPerFrame) {
    throw Error(fmt::format("bridge frame of {} words: must be 1..{}", count, kMaxWordsPerFrame));
  }
  const size_t want_data = cmd == Command::kWrite ? static_cast<size_t>(count) : 0;
  if (data.size() != want_data) {
    throw Error(fmt::format("bridge frame: {} data words for a count of {}", data.size(), count));
  }
  std::vector<uint8_t> frame = {kSyncRequest,
                                static_cast<uint8_t>(cmd),
                                static_cast<uint8_t>(addr),
                                static_cast<uint8_t>(addr >> 8),
                                static_cast<uint8_t>(addr >> 16),
                                static_cast<uint8_t>(addr >> 24),
                                static_cast<uint8_t>(count - 1)};
  for (uint32_t word : data) {
    for (int b = 0; b < 4; ++b) frame.push_back(static_cast<uint8_t>(word >> (8 * b)));
  }
  frame.push_back(Crc8(std::span(frame).subspan(1)));
  return frame;
}

uint32_t NextAddr(uint32_t addr, int lanes) {
  const uint32_t region = addr >> isa::kHostRegionLsb;
  const uint32_t last_chunk = static_cast<uint32_t>(lanes / 4 - 1);
  if (region == isa::kHostRegionMem && (addr & 0x1f) == last_chunk) {
    return ((addr >> 5) + 1) << 5;
  }
  return addr + 1;
}

std::vector<uint32_t> DecodeResponse(std::span<const uint8_t> frame, int words) {
  if (frame.size() < 3) {
    throw Error(fmt::format("bridge response of {} bytes is too short", frame.size()));
  }
  if (frame[0] != kSyncResponse) {
    throw Error(fmt::format("bridge response starts with {:#04x}, expected {:#04x}", frame[0],
                            kSyncResponse));
  }
  const uint8_t crc = Crc8(frame.subspan(1, frame.size() - 2));
  if (crc != frame.back()) {
    throw Error(
        fmt::format("bridge response CRC {:#04x}, computed {:#04x}: the serial line "
                    "damaged it",
                    frame.back(), crc));
  }
  if (frame[1] != static_cast<uint8_t>(Status::kOk)) {
    throw Error(fmt::format("bridge answered {} (status {:#04x})", StatusName(frame[1]), frame[1]));
  }
  if (frame.size() != static_cast<size_t>(ResponseSize(words))) {
    throw Error(fmt::format("bridge response of {} bytes, expected {} ({} words)", frame.size(),
                            ResponseSize(words), words));
  }
  std::vector<uint32_t> out(words);
  for (int i = 0; i < words; ++i) {
    uint32_t word = 0;
    for (int b = 0; b < 4; ++b) word |= uint32_t{frame[2 + 4 * i + b]} << (8 * b);
    out[i] = word;
  }
  return out;
}

}  // namespace tinylpu::bridge
