// Host bridge protocol: the framed commands a host sends to rtl/lpu_host_bridge.sv over a UART.
//
// docs/fpga.md ("Host bridge protocol") is the specification; this file and the RTL implement
// it. A request is 0xA5, cmd, addr (4 bytes, little-endian), count-1, data (WRITE only: count
// words, little-endian), CRC-8; a response is 0x5A, status, data, CRC-8. The CRC covers every
// byte after the sync byte.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tinylpu::bridge {

inline constexpr uint8_t kSyncRequest = 0xa5;
inline constexpr uint8_t kSyncResponse = 0x5a;
// Words a WRITE or READ may carry (the count byte holds count - 1).
inline constexpr int kMaxWordsPerFrame = 256;
// The bridge version this host side speaks.
inline constexpr int kVersion = 1;

enum class Command : uint8_t {
  kInfo = 0x00,   // response: one word, version in bits 7:0, burst limit in bits 31:16
  kWrite = 0x01,  // count words to consecutive host addresses
  kRead = 0x02,   // count words from consecutive host addresses
  kRun = 0x03,    // start the core, wait for done; response: STATUS and CYCLES
};

enum class Status : uint8_t {
  kOk = 0x00,
  kBadCrc = 0x01,      // the request's CRC did not match; nothing was done
  kBadCommand = 0x02,  // unknown command; nothing was done
  kTooLong = 0x03,     // a WRITE longer than the bridge's buffer; nothing was done
};

// "OK", "BAD_CRC", ... or "UNKNOWN(0x..)".
std::string StatusName(uint8_t status);

// CRC-8 with polynomial x^8 + x^2 + x + 1, initial value 0, no reflection (CRC-8/SMBUS).
uint8_t Crc8(std::span<const uint8_t> bytes, uint8_t crc = 0);

// The whole request frame. `count` is the number of words (1..kMaxWordsPerFrame); for WRITE
// it must equal data.size(), for the other commands data must be empty. Throws Error otherwise.
std::vector<uint8_t> EncodeRequest(Command cmd, uint32_t addr, int count,
                                   std::span<const uint32_t> data = {});

// The host address after `addr` in a burst, as the bridge steps it: in the MEM region the chunk
// after a word's last one (lanes/4 - 1) is chunk 0 of the next word; elsewhere addr + 1.
uint32_t NextAddr(uint32_t addr, int lanes);

// Number of response bytes (sync to CRC) of a successful command that returns `words` words.
inline int ResponseSize(int words) { return 3 + 4 * words; }

// Checks a complete response frame (sync, status, payload, CRC) and returns its payload words.
// Throws Error naming what is wrong: bad sync byte, CRC mismatch, a status other than OK, or a
// length that does not match `words` (an error response has no payload).
std::vector<uint32_t> DecodeResponse(std::span<const uint8_t> frame, int words);

}  // namespace tinylpu::bridge
