// End-to-end tests of the ULX3S board top through its UART host bridge: the host library talks
// to the Verilated board over a simulated serial line (tb/board_sim.h), bit by bit.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sw/board/board_bus.h"
#include "sw/board/bridge_protocol.h"
#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "tb/board_sim.h"

namespace tinylpu {
namespace {

constexpr uint8_t kLedBadFrame = 1 << 2;

// Sends one raw request and returns the whole response frame (error responses are 3 bytes).
std::vector<uint8_t> Exchange(BoardSim& sim, const std::vector<uint8_t>& request, int words) {
  sim.Send(request);
  std::vector<uint8_t> frame = sim.Receive(2);
  const size_t rest = frame[1] == 0 ? static_cast<size_t>(bridge::ResponseSize(words) - 2) : 1;
  std::vector<uint8_t> tail = sim.Receive(rest);
  frame.insert(frame.end(), tail.begin(), tail.end());
  return frame;
}

// Counts the host-port transactions made through it.
class CountingBus final : public HostBus {
 public:
  explicit CountingBus(HostBus& inner) : inner_(inner) {}
  const CoreConfig& config() const override { return inner_.config(); }
  void Write(uint32_t addr, uint32_t data) override {
    ++transactions;
    inner_.Write(addr, data);
  }
  uint32_t Read(uint32_t addr) override {
    ++transactions;
    return inner_.Read(addr);
  }
  void Tick(int64_t cycles) override { inner_.Tick(cycles); }
  bool Done() const override { return inner_.Done(); }
  uint64_t Time() const override { return inner_.Time(); }
  void SetTraceSink(TraceSink* sink) override { inner_.SetTraceSink(sink); }
  int64_t transactions = 0;

 private:
  HostBus& inner_;
};

uint32_t ReadOverBridge(BoardSim& sim, uint32_t addr) {
  return bridge::DecodeResponse(
             Exchange(sim, bridge::EncodeRequest(bridge::Command::kRead, addr, 1), 1), 1)
      .at(0);
}

TEST(BoardTest, MatmulThroughTheBridgeMatchesTheModel) {
  const MatmulShape shape{10, 12, 9};
  const uint64_t seed = 5;
  SCOPED_TRACE(
      fmt::format("matmul {}x{}x{} seed {}; replay: tinylpu board run --sim --m {} "
                  "--k {} --n {} --seed {}",
                  shape.m, shape.k, shape.n, seed, shape.m, shape.k, shape.n, seed));
  BoardSim sim;
  const CoreConfig config = BoardSim::Config();
  auto board = ConnectBoard(sim, config);
  const MatmulPlan plan = CompileMatmul(config, shape);
  const auto [x, w] = RandomMatmulOperands(shape, seed);

  LoadMatmul(*board, plan, x, w);
  const RunResult result = RunCore(*board, 1'000'000);
  const std::vector<int32_t> y = ReadMatmulResult(*board, plan);

  auto model_bus = MakeCycleModel(config);
  CountingBus model(*model_bus);
  LoadMatmul(model, plan, x, w);
  const RunResult model_result = RunCore(model, 1'000'000);
  const std::vector<int32_t> model_y = ReadMatmulResult(model, plan);

  EXPECT_TRUE(result.ok()) << result.Describe(config);
  EXPECT_EQ(result.cycles, model_result.cycles);
  EXPECT_EQ(result.cycles, plan.predicted_cycles);
  EXPECT_EQ(y, model_y);
  EXPECT_EQ(y, ReferenceMatmul(shape, x, w));
  EXPECT_EQ(sim.FramingErrors(), 0);
  EXPECT_EQ(sim.Leds() & kLedBadFrame, 0);
  // Writes went out in bursts: several host-port words per WRITE frame on average.
  const BridgeStats& stats = board->stats();
  EXPECT_GT(stats.words_written, 4 * stats.write_frames)
      << stats.write_frames << " WRITE frames for " << stats.words_written << " words";
  EXPECT_LT(stats.frames, model.transactions)
      << stats.frames << " frames, " << stats.bytes_sent << " bytes sent";
}

TEST(BoardTest, InfoReportsTheVersionAndTheBurstLimit) {
  BoardSim sim;
  const std::vector<uint32_t> info = bridge::DecodeResponse(
      Exchange(sim, bridge::EncodeRequest(bridge::Command::kInfo, 0, 1), 1), 1);
  EXPECT_EQ(info.at(0) & 0xff, static_cast<uint32_t>(bridge::kVersion));
  EXPECT_EQ(info.at(0) >> 16, 256u);
  EXPECT_EQ(ReadOverBridge(sim, RegAddr(isa::kHostRegId)), isa::kHostId);
}

TEST(BoardTest, DamagedOrUnknownFramesChangeNothing) {
  BoardSim sim;
  const uint32_t qlen0 = RegAddr(isa::kHostRegQlen);
  const std::vector<uint32_t> five = {5};
  std::vector<uint8_t> write = bridge::EncodeRequest(bridge::Command::kWrite, qlen0, 1, five);
  write.back() ^= 0x01;  // the CRC no longer matches
  std::vector<uint8_t> answer = Exchange(sim, write, 0);
  EXPECT_EQ(answer.at(1), static_cast<uint8_t>(bridge::Status::kBadCrc));
  EXPECT_NE(sim.Leds() & kLedBadFrame, 0);
  EXPECT_EQ(ReadOverBridge(sim, qlen0), 0u) << "a frame with a bad CRC was executed";

  std::vector<uint8_t> unknown = bridge::EncodeRequest(bridge::Command::kRead, qlen0, 1);
  unknown[1] = 0x7e;
  unknown.back() = bridge::Crc8(std::span(unknown).subspan(1, unknown.size() - 2));
  answer = Exchange(sim, unknown, 0);
  EXPECT_EQ(answer.at(1), static_cast<uint8_t>(bridge::Status::kBadCommand));

  // The same write, intact, lands.
  write.back() ^= 0x01;
  answer = Exchange(sim, write, 0);
  EXPECT_TRUE(bridge::DecodeResponse(answer, 0).empty());
  EXPECT_EQ(ReadOverBridge(sim, qlen0), 5u);
  EXPECT_EQ(sim.Leds() & kLedBadFrame, 0);
}

TEST(BoardTest, AStalledFrameIsDroppedAndTheNextOneIsAnswered) {
  BoardSim sim(
      BoardSimOptions{.wave_path = "", .receive_limit_cycles = 200 * BoardSim::ClksPerBit()});
  const std::vector<uint8_t> read =
      bridge::EncodeRequest(bridge::Command::kRead, RegAddr(isa::kHostRegId), 1);
  // Half a frame, then silence past the bridge's time-out: no answer comes.
  sim.Send(std::span(read).first(4));
  sim.Idle(BoardSim::TimeoutCycles() + 16 * BoardSim::ClksPerBit());
  EXPECT_NE(sim.Leds() & kLedBadFrame, 0);
  EXPECT_THROW(sim.Receive(1), Error);  // nothing within 20 byte times
  EXPECT_EQ(ReadOverBridge(sim, RegAddr(isa::kHostRegId)), isa::kHostId);
}

TEST(BoardTest, ResetDuringAFrameStartsClean) {
  BoardSim sim;
  const std::vector<uint8_t> read =
      bridge::EncodeRequest(bridge::Command::kRead, RegAddr(isa::kHostRegId), 1);
  sim.Send(std::span(read).first(3));
  sim.PressReset();
  EXPECT_EQ(ReadOverBridge(sim, RegAddr(isa::kHostRegId)), isa::kHostId);
}

}  // namespace
}  // namespace tinylpu
