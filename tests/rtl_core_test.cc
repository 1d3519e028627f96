// Directed RTL tests: stream hop timing, NOP/REPEAT timing, the cycle rule and error codes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "tb/rtl_sim.h"

namespace tinylpu {
namespace {

std::vector<uint8_t> Pattern(const CoreConfig& c, int seed) {
  std::vector<uint8_t> lanes(c.lanes);
  for (int i = 0; i < c.lanes; ++i) lanes[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
  return lanes;
}

// Loads raw instruction words into one queue (to reach encodings the assembler refuses).
void LoadRaw(HostBus& bus, int q, const std::vector<uint32_t>& words) {
  for (size_t i = 0; i < words.size(); ++i) bus.Write(QueueAddr(q, static_cast<int>(i)), words[i]);
  bus.Write(RegAddr(isa::kHostRegQlen + q), static_cast<uint32_t>(words.size()));
}

class RtlCoreTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config_ = NamedConfig(GetParam());
    bus_ = MakeRtlSim(config_);
  }
  Program Empty() const {
    Program p;
    p.queues.resize(config_.num_queues());
    return p;
  }
  CoreConfig config_;
  std::unique_ptr<HostBus> bus_;
};

TEST_P(RtlCoreTest, HostPortReadsBackMem) {
  for (int slice = 0; slice < config_.mem_slices; ++slice) {
    WriteMemWord(*bus_, slice, config_.mem_depth - 1 - slice, Pattern(config_, slice));
  }
  for (int slice = 0; slice < config_.mem_slices; ++slice) {
    EXPECT_EQ(ReadMemWord(*bus_, slice, config_.mem_depth - 1 - slice), Pattern(config_, slice));
  }
}

TEST_P(RtlCoreTest, EmptyProgramTakesTheDrainCycles) {
  LoadProgram(*bus_, Empty());
  RunResult r = RunCore(*bus_, 1000);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, isa::kDrainCycles);
}

// A READ on one slice and a WRITE on another, issued exactly the hop distance apart, moves a
// word; one cycle early or late it captures the empty stream instead.
TEST_P(RtlCoreTest, StreamHopTiming) {
  const int last = config_.mem_slices - 1;
  for (Dir dir : {Dir::kEast, Dir::kWest}) {
    for (int offset : {-1, 0, 1}) {
      SCOPED_TRACE(fmt::format("dir {} offset {}", dir == Dir::kEast ? "E" : "W", offset));
      const int from = dir == Dir::kEast ? 0 : last;
      const int to = dir == Dir::kEast ? last : 0;
      const int hops = std::abs(CoreConfig::MemPosition(to) - CoreConfig::MemPosition(from));
      const uint32_t stream = static_cast<uint32_t>(config_.streams - 1);
      WriteMemWord(*bus_, from, 3, Pattern(config_, 5));
      WriteMemWord(*bus_, to, 9, std::vector<uint8_t>(config_.lanes, 0xaa));
      Program p = Empty();
      p.queues[CoreConfig::MemQueue(from)] = {Instr::Nop(2),
                                              Instr::Addr(isa::Op::kRead, 3, stream, dir)};
      const int write_at = 2 + isa::kLatReadStreamOut + hops - isa::kLatWriteStreamIn + offset;
      p.queues[CoreConfig::MemQueue(to)] = {Instr::Nop(static_cast<uint32_t>(write_at)),
                                            Instr::Addr(isa::Op::kWrite, 9, stream, dir)};
      LoadProgram(*bus_, p);
      RunResult r = RunCore(*bus_, 1000);
      ASSERT_TRUE(r.ok()) << r.Describe(config_);
      EXPECT_EQ(r.cycles, p.PredictedCycles());
      std::vector<uint8_t> got = ReadMemWord(*bus_, to, 9);
      if (offset == 0) {
        EXPECT_EQ(got, Pattern(config_, 5));
      } else {
        EXPECT_EQ(got, std::vector<uint8_t>(config_.lanes, 0));
      }
    }
  }
}

// REPEAT re-issues with a stride, d cycles apart; NOP delays; both sides agree on timing.
TEST_P(RtlCoreTest, RepeatAndNopTiming) {
  for (uint32_t d : {1u, 2u, 5u}) {
    SCOPED_TRACE(fmt::format("d = {}", d));
    for (int i = 0; i < 4; ++i) WriteMemWord(*bus_, 0, i, Pattern(config_, 10 + i));
    for (int i = 0; i < 4; ++i)
      WriteMemWord(*bus_, 1, 20 + i, std::vector<uint8_t>(config_.lanes, 0));
    Instr read = Instr::Addr(isa::Op::kRead, 0, 2, Dir::kEast);
    read.stride = 1;
    Instr write = Instr::Addr(isa::Op::kWrite, 20, 2, Dir::kEast);
    write.stride = 1;
    Program p = Empty();
    p.queues[CoreConfig::MemQueue(0)] = {Instr::Nop(3), read, Instr::Repeat(3, d)};
    // mem0 at position 1 drives at 3 + 2, mem1 at position 2 samples at t + 1.
    p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(3 + 2 + 1 - 1), write, Instr::Repeat(3, d)};
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, p.PredictedCycles());
    EXPECT_EQ(r.cycles, 5 + 1 + 3 * d + isa::kDrainCycles);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(ReadMemWord(*bus_, 1, 20 + i), Pattern(config_, 10 + i));
  }
}

struct ErrorCase {
  std::string name;
  isa::Err err;
  int queue;      // queue index the error must name
  int64_t cycle;  // run cycle the error must name
  std::vector<uint32_t> words;
};

TEST_P(RtlCoreTest, ErrorCodesNameCycleAndQueue) {
  const int mem0 = CoreConfig::MemQueue(0);
  const int mem2 = CoreConfig::MemQueue(2);
  const uint32_t depth = static_cast<uint32_t>(config_.mem_depth);
  Instr strided = Instr::Addr(isa::Op::kRead, depth - 2, 0, Dir::kEast);
  strided.stride = 1;
  const uint32_t nop0 = static_cast<uint32_t>(isa::Op::kNop) << isa::kOpcodeLsb;
  const uint32_t undefined = 0x3fu << isa::kOpcodeLsb;
  const uint32_t read_beyond =
      (static_cast<uint32_t>(isa::Op::kRead) << isa::kOpcodeLsb) | (depth << 13);
  const uint32_t acc_group =
      Encode(Instr::Addr(isa::Op::kAcc, 0, static_cast<uint32_t>(config_.streams - 2), Dir::kEast));
  const std::vector<ErrorCase> cases = {
      {"undefined opcode", isa::Err::kIllegalOpcode, mem2, 5, {Encode(Instr::Nop(5)), undefined}},
      {"op of another unit",
       isa::Err::kIllegalOpcode,
       mem0,
       0,
       {Encode(Instr::Stream(isa::Op::kLw, 0, Dir::kWest))}},
      {"address beyond depth", isa::Err::kAddrRange, mem2, 1, {Encode(Instr::Nop(1)), read_beyond}},
      {"stride runs past the end",
       isa::Err::kAddrRange,
       mem0,
       2,
       {Encode(strided), Encode(Instr::Repeat(3, 1))}},
      {"stream group past the last stream",
       isa::Err::kStreamRange,
       CoreConfig::kQueueMxma,
       0,
       {acc_group}},
      {"NOP 0", isa::Err::kBadOperand, mem0, 3, {Encode(Instr::Nop(3)), nop0}},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    LoadProgram(*bus_, Empty());
    LoadRaw(*bus_, c.queue, c.words);
    RunResult r = RunCore(*bus_, 1000);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(ErrName(r.err), ErrName(c.err));
    EXPECT_EQ(r.err_queue, c.queue);
    EXPECT_EQ(r.err_cycle, c.cycle);
    EXPECT_EQ(r.cycles, c.cycle + 1) << "the core stops at the end of the error cycle";
  }
  // The next clean run clears the error.
  LoadProgram(*bus_, Empty());
  RunResult r = RunCore(*bus_, 1000);
  EXPECT_TRUE(r.ok()) << r.Describe(config_);
}

TEST(RtlSimTest, UnknownConfigIsRejected) {
  CoreConfig c = NamedConfig("default");
  c.name = "nonesuch";
  EXPECT_THROW(MakeRtlSim(c), Error);
}

INSTANTIATE_TEST_SUITE_P(Configs, RtlCoreTest, testing::ValuesIn(RtlConfigNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinylpu
