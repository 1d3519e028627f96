// BoardSim: clocks the Verilated board top and plays both ends of its serial line.
#include "tb/board_sim.h"

#include <fmt/format.h>
#include <verilated.h>
#include <verilated_fst_c.h>

#include "Vlpu_board.h"
#include "sw/core/error.h"

namespace tinylpu {

// Values the board model was Verilated with (tb/CMakeLists.txt).
CoreConfig BoardSim::Config() { return NamedConfig(LPU_BOARD_CONFIG); }
int BoardSim::ClksPerBit() { return LPU_BOARD_CLKS_PER_BIT; }
int64_t BoardSim::TimeoutCycles() { return LPU_BOARD_TIMEOUT_CYCLES; }

struct BoardSim::Model {
  std::unique_ptr<VerilatedContext> context = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vlpu_board> top;
  std::unique_ptr<VerilatedFstC> wave;
};

BoardSim::BoardSim(const BoardSimOptions& options)
    : model_(std::make_unique<Model>()), receive_limit_cycles_(options.receive_limit_cycles) {
  model_->context->randReset(0);
  model_->context->traceEverOn(!options.wave_path.empty());
  model_->context->fatalOnError(false);
  model_->top = std::make_unique<Vlpu_board>(model_->context.get(), "board");
  if (!options.wave_path.empty()) {
    model_->wave = std::make_unique<VerilatedFstC>();
    model_->top->trace(model_->wave.get(), 99);
    model_->wave->open(options.wave_path.c_str());
  }
  model_->top->clk_i = 0;
  model_->top->uart_rx_i = 1;
  model_->top->rst_ni = 1;
  model_->top->eval();
  PressReset();
}

BoardSim::~BoardSim() {
  model_->top->final();
  if (model_->wave) model_->wave->close();
}

uint8_t BoardSim::Leds() const { return model_->top->led_o; }

void BoardSim::PressReset() {
  model_->top->rst_ni = 0;
  for (int i = 0; i < 3; ++i) Cycle();
  model_->top->rst_ni = 1;
  for (int i = 0; i < 4; ++i) Cycle();
}

// One clock cycle: the host's line level is applied while the clock is low, the board's line is
// sampled after the rising edge.
void BoardSim::Cycle() {
  Vlpu_board& top = *model_->top;
  VerilatedContext& context = *model_->context;
  if (!tx_bits_.empty()) {
    top.uart_rx_i = tx_bits_.front();
    tx_bits_.pop_front();
  } else {
    top.uart_rx_i = 1;
  }
  top.eval();
  if (model_->wave) model_->wave->dump(context.time());
  context.timeInc(1);
  top.clk_i = 1;
  top.eval();
  if (model_->wave) model_->wave->dump(context.time());
  context.timeInc(1);
  top.clk_i = 0;
  top.eval();
  ++cycles_;
  if (context.gotError()) {
    throw Error(
        fmt::format("board RTL assertion failed in clock cycle {}: see the %Error line "
                    "above",
                    cycles_));
  }

  // The host's receiver: a falling edge starts a character, every bit is sampled in its middle.
  const int clks = ClksPerBit();
  const bool line = top.uart_tx_o != 0;
  if (rx_state_ == 0) {
    if (!line) {
      rx_state_ = 1;
      rx_count_ = clks / 2;
    }
    return;
  }
  if (--rx_count_ > 0) return;
  rx_count_ = clks;
  if (rx_state_ == 1) {
    rx_state_ = line ? 0 : 2;  // a start bit that is gone by its middle was a glitch
  } else if (rx_state_ <= 9) {
    rx_shift_ = static_cast<uint8_t>((rx_shift_ >> 1) | (line ? 0x80 : 0));
    ++rx_state_;
  } else {
    if (line) {
      received_.push_back(rx_shift_);
    } else {
      ++framing_errors_;
    }
    rx_state_ = 0;
  }
}

void BoardSim::Send(std::span<const uint8_t> bytes) {
  const int clks = ClksPerBit();
  for (uint8_t byte : bytes) {
    const uint16_t frame = static_cast<uint16_t>(0x200 | (byte << 1));  // stop, data, start
    for (int bit = 0; bit < 10; ++bit) {
      for (int c = 0; c < clks; ++c) tx_bits_.push_back((frame >> bit) & 1);
    }
  }
  while (!tx_bits_.empty()) Cycle();
}

std::vector<uint8_t> BoardSim::Receive(size_t n) {
  const uint64_t limit = cycles_ + static_cast<uint64_t>(receive_limit_cycles_);
  while (received_.size() < n) {
    if (cycles_ >= limit) {
      throw Error(fmt::format("simulated board: {} of {} bytes within {} cycles", received_.size(),
                              n, receive_limit_cycles_));
    }
    Cycle();
  }
  std::vector<uint8_t> out(received_.begin(), received_.begin() + static_cast<ptrdiff_t>(n));
  received_.erase(received_.begin(), received_.begin() + static_cast<ptrdiff_t>(n));
  return out;
}

void BoardSim::Idle(int64_t cycles) {
  for (int64_t i = 0; i < cycles; ++i) Cycle();
}

}  // namespace tinylpu
