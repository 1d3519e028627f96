// ByteChannel: a two-way byte stream to a board's host bridge (a serial port, or the simulated
// UART of the Verilated board top in tb/board_sim.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tinylpu {

class ByteChannel {
 public:
  virtual ~ByteChannel() = default;

  // Sends every byte, in order.
  virtual void Send(std::span<const uint8_t> bytes) = 0;
  // Receives exactly n bytes. Throws Error when they do not all arrive within the channel's
  // time limit (the message says how many did).
  virtual std::vector<uint8_t> Receive(size_t n) = 0;
};

}  // namespace tinylpu
