// BoardSim: the Verilated UART top (rtl/lpu_uart_top.sv, the ULX3S board top without its PLL)
// behind a ByteChannel, reached through a simulated serial line driven and sampled bit by bit.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "sw/board/byte_channel.h"
#include "sw/core/config.h"

namespace tinylpu {

struct BoardSimOptions {
  // When set, the whole simulation is dumped as an FST wave file at this path.
  std::string wave_path;
  // Receive() gives up after this many clock cycles without the requested bytes.
  int64_t receive_limit_cycles = 50'000'000;
};

// The host side of the board's serial line: Send() puts each byte on the board's receive pin as
// a start bit, eight data bits (LSB first) and a stop bit, ClksPerBit() clock cycles each, while
// the board's transmit pin is sampled in the middle of every bit by a receiver of the same kind.
// No byte bypasses the UARTs. Every call advances the simulation.
class BoardSim final : public ByteChannel {
 public:
  explicit BoardSim(const BoardSimOptions& options = {});
  ~BoardSim() override;
  BoardSim(const BoardSim&) = delete;
  BoardSim& operator=(const BoardSim&) = delete;

  void Send(std::span<const uint8_t> bytes) override;
  std::vector<uint8_t> Receive(size_t n) override;

  // Clock cycles with the line idle (bytes the board sends meanwhile are kept for Receive).
  void Idle(int64_t cycles);
  // Holds the PWR button (reset) for a few cycles and waits until the board is out of reset.
  void PressReset();

  // The board's LEDs, its clock cycles so far, and the characters its UART sent with a low
  // stop bit (0 on a healthy line).
  uint8_t Leds() const;
  uint64_t Cycles() const { return cycles_; }
  int64_t FramingErrors() const { return framing_errors_; }

  // Parameters the board model was Verilated with.
  static CoreConfig Config();      // the core configuration (`small`)
  static int ClksPerBit();         // clock cycles per bit on the serial line
  static int64_t TimeoutCycles();  // the bridge's partial-frame time-out

 private:
  struct Model;
  void Cycle();

  std::unique_ptr<Model> model_;
  uint64_t cycles_ = 0;
  int64_t receive_limit_cycles_;
  // Host -> board: the line level for each remaining cycle of the byte being sent.
  std::deque<uint8_t> tx_bits_;
  // Board -> host receiver state.
  int rx_state_ = 0;  // 0 idle, 1 start, 2..9 data bits, 10 stop
  int rx_count_ = 0;
  uint8_t rx_shift_ = 0;
  std::deque<uint8_t> received_;
  int64_t framing_errors_ = 0;
};

}  // namespace tinylpu
