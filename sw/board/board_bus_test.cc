// Tests of BoardBus against a scripted bridge: which frames each HostBus call sends, and errors.
#include "sw/board/board_bus.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {
namespace {

struct Frame {
  bridge::Command cmd;
  uint32_t addr;
  int count;
  std::vector<uint32_t> data;
};

// Decodes every request it is sent and answers it through `answer` (default: OK, with the
// number of words the command returns, all equal to `fill`).
class ScriptedBridge : public ByteChannel {
 public:
  explicit ScriptedBridge(int version = bridge::kVersion, int max_burst = 256)
      : version_(version), max_burst_(max_burst) {}

  void Send(std::span<const uint8_t> bytes) override {
    std::vector<uint8_t> frame(bytes.begin(), bytes.end());
    EXPECT_EQ(frame.at(0), bridge::kSyncRequest);
    EXPECT_EQ(bridge::Crc8(std::span(frame).subspan(1)), 0) << "request CRC";
    Frame f{static_cast<bridge::Command>(frame[1]),
            uint32_t{frame[2]} | uint32_t{frame[3]} << 8 | uint32_t{frame[4]} << 16 |
                uint32_t{frame[5]} << 24,
            frame[6] + 1,
            {}};
    for (size_t i = 7; i + 4 < frame.size(); i += 4) {
      f.data.push_back(uint32_t{frame[i]} | uint32_t{frame[i + 1]} << 8 |
                       uint32_t{frame[i + 2]} << 16 | uint32_t{frame[i + 3]} << 24);
    }
    frames.push_back(f);
    std::vector<uint8_t> reply = answer ? answer(f) : Ok(f);
    pending_.insert(pending_.end(), reply.begin(), reply.end());
  }

  std::vector<uint8_t> Receive(size_t n) override {
    if (pending_.size() < n) throw Error("scripted bridge: no more bytes");
    std::vector<uint8_t> out(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(n));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(n));
    return out;
  }

  static std::vector<uint8_t> Reply(uint8_t status, const std::vector<uint32_t>& words) {
    std::vector<uint8_t> r = {bridge::kSyncResponse, status};
    for (uint32_t w : words) {
      for (int b = 0; b < 4; ++b) r.push_back(static_cast<uint8_t>(w >> (8 * b)));
    }
    r.push_back(bridge::Crc8(std::span(r).subspan(1)));
    return r;
  }

  std::vector<uint8_t> Ok(const Frame& f) const {
    switch (f.cmd) {
      case bridge::Command::kInfo:
        return Reply(0,
                     {static_cast<uint32_t>(max_burst_) << 16 | static_cast<uint32_t>(version_)});
      case bridge::Command::kRead:
        return Reply(0, std::vector<uint32_t>(static_cast<size_t>(f.count), fill));
      case bridge::Command::kRun:
        return Reply(0, {2, 1234});
      default:
        return Reply(0, {});
    }
  }

  std::vector<Frame> frames;
  std::function<std::vector<uint8_t>(const Frame&)> answer;
  uint32_t fill = 2;  // STATUS.done

 private:
  int version_;
  int max_burst_;
  std::deque<uint8_t> pending_;
};

TEST(BoardBusTest, AsksForTheBridgeVersionFirst) {
  ScriptedBridge bridge;
  BoardBus bus(bridge, NamedConfig("small"));
  ASSERT_EQ(bridge.frames.size(), 1u);
  EXPECT_EQ(bridge.frames[0].cmd, bridge::Command::kInfo);
  EXPECT_EQ(bus.info().version, bridge::kVersion);
  EXPECT_EQ(bus.info().max_burst, 256);

  ScriptedBridge old(/*version=*/7);
  try {
    BoardBus other(old, NamedConfig("small"));
    FAIL() << "a bridge of another protocol version was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("version 7"), std::string::npos) << e.what();
  }
}

TEST(BoardBusTest, CollectsConsecutiveWritesIntoOneFrame) {
  ScriptedBridge bridge;
  BoardBus bus(bridge, NamedConfig("small"));
  for (int i = 0; i < 5; ++i) bus.Write(QueueAddr(3, i), 100 + i);
  // 8 lanes: two chunks per MEM word, and a burst runs on into the next word.
  for (int w = 10; w < 12; ++w) {
    for (int c = 0; c < 2; ++c) bus.Write(MemAddr(1, w, c), static_cast<uint32_t>(w * 2 + c));
  }
  bus.Write(RegAddr(isa::kHostRegQlen + 3), 5);  // not consecutive: a third frame
  EXPECT_EQ(bridge.frames.size(), 3u) << "writes are held until something else happens";
  EXPECT_EQ(bus.Read(RegAddr(isa::kHostRegId)), 2u);
  ASSERT_EQ(bridge.frames.size(), 5u);
  EXPECT_EQ(bridge.frames[1].cmd, bridge::Command::kWrite);
  EXPECT_EQ(bridge.frames[1].addr, QueueAddr(3, 0));
  EXPECT_EQ(bridge.frames[1].data, (std::vector<uint32_t>{100, 101, 102, 103, 104}));
  EXPECT_EQ(bridge.frames[2].addr, MemAddr(1, 10, 0));
  EXPECT_EQ(bridge.frames[2].data, (std::vector<uint32_t>{20, 21, 22, 23}));
  EXPECT_EQ(bridge.frames[3].addr, RegAddr(isa::kHostRegQlen + 3));
  EXPECT_EQ(bridge.frames[4].cmd, bridge::Command::kRead);
  EXPECT_EQ(bus.stats().frames, 5);
}

TEST(BoardBusTest, SplitsBurstsAtTheBridgeLimit) {
  ScriptedBridge bridge(bridge::kVersion, /*max_burst=*/2);
  BoardBus bus(bridge, NamedConfig("small"));
  for (int i = 0; i < 5; ++i) bus.Write(QueueAddr(0, i), i);
  bus.Flush();
  ASSERT_EQ(bridge.frames.size(), 4u);
  EXPECT_EQ(bridge.frames[1].count, 2);
  EXPECT_EQ(bridge.frames[2].addr, QueueAddr(0, 2));
  EXPECT_EQ(bridge.frames[3].count, 1);
}

TEST(BoardBusTest, StartBecomesRunAndDoneReadsStatus) {
  ScriptedBridge bridge;
  BoardBus bus(bridge, NamedConfig("small"));
  bus.Write(QueueAddr(0, 0), 7);
  RunResult r = RunCore(bus, 100);
  ASSERT_GE(bridge.frames.size(), 4u);
  EXPECT_EQ(bridge.frames[1].cmd, bridge::Command::kWrite) << "pending writes go first";
  EXPECT_EQ(bridge.frames[2].cmd, bridge::Command::kRun);
  EXPECT_EQ(bridge.frames[3].cmd, bridge::Command::kRead);
  EXPECT_EQ(bridge.frames[3].addr, RegAddr(isa::kHostRegStatus));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.cycles, 2) << "CYCLES as read back (the scripted bridge answers 2)";
}

TEST(BoardBusTest, ReportsBridgeErrorsAndRefusesTracing) {
  ScriptedBridge bridge;
  BoardBus bus(bridge, NamedConfig("small"));
  bridge.answer = [](const Frame&) { return ScriptedBridge::Reply(1, {}); };
  try {
    bus.Read(RegAddr(isa::kHostRegId));
    FAIL() << "an error status was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("BAD_CRC"), std::string::npos) << e.what();
  }
  bridge.answer = [](const Frame&) { return std::vector<uint8_t>{}; };
  EXPECT_THROW(bus.Read(RegAddr(isa::kHostRegId)), Error);  // no answer at all

  class NullSink : public TraceSink {
    void OnCycle(const CycleTrace&) override {}
  } sink;
  EXPECT_THROW(bus.SetTraceSink(&sink), Error);
  bus.SetTraceSink(nullptr);
}

TEST(BoardBusTest, ReadBurstUsesFramesOfAtMost256Words) {
  ScriptedBridge bridge;
  BoardBus bus(bridge, NamedConfig("small"));
  bridge.fill = 9;
  const std::vector<uint32_t> words = bus.ReadBurst(MemAddr(0, 0, 0), 300);
  EXPECT_EQ(words, std::vector<uint32_t>(300, 9));
  ASSERT_EQ(bridge.frames.size(), 3u);
  EXPECT_EQ(bridge.frames[1].count, 256);
  EXPECT_EQ(bridge.frames[2].count, 44);
  EXPECT_EQ(bridge.frames[2].addr, MemAddr(0, 128, 0)) << "256 chunks = 128 words of 8 lanes";
}

}  // namespace
}  // namespace tinylpu
