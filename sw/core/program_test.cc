// Tests for Program: durations and the binary image format.
#include "sw/core/program.h"

#include <gtest/gtest.h>

#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {
namespace {

Program Sample() {
  Program p;
  p.queues.resize(4);
  p.queues[2] = {Instr::Addr(isa::Op::kRead, 5, 3, Dir::kWest), Instr::Nop(7), Instr::Repeat(4, 3)};
  p.queues[0] = {Instr::Stream(isa::Op::kLw, 1, Dir::kWest), Instr{.op = isa::Op::kIw}};
  return p;
}

TEST(ProgramTest, DurationsSumPerQueue) {
  Program p = Sample();
  EXPECT_EQ(p.QueueFinishCycle(2), 1 + 7 + 12);
  EXPECT_EQ(p.QueueFinishCycle(0), 2);
  EXPECT_EQ(p.FinishCycle(), 20);
  EXPECT_EQ(p.PredictedCycles(), 20 + isa::kDrainCycles);
}

// A SYNC at a lasts until the first NOTIFY at b >= a (any queue), the queue resumes at b+1;
// an earlier NOTIFY releases nothing; released queues may notify others in turn.
TEST(ProgramTest, SyncDurationsFollowTheirNotify) {
  Program p;
  p.queues.resize(4);
  p.queues[0] = {Instr::Notify(), Instr::Nop(4), Instr::Notify()};  // NOTIFY at 0 and 5
  p.queues[1] = {Instr::Nop(2), Instr::Sync(), Instr::Nop(1)};
  p.queues[2] = {Instr::Sync(), Instr::Nop(3), Instr::Notify(), Instr::Sync()};
  p.queues[3] = {Instr::Nop(5), Instr::Sync(), Instr::Nop(2)};
  // Queue 2: SYNC at 0 released by the NOTIFY at 0 (same cycle), NOP 1..3, NOTIFY at 4, SYNC
  // at 5 released at 5 -> finishes 6. Queue 1: SYNC at 2 released by queue 2's NOTIFY at 4,
  // NOP at 5 -> 6. Queue 3: SYNC at 5 released at 5, NOP 6..7 -> 8.
  EXPECT_EQ(p.QueueFinishCycles(), (std::vector<int64_t>{6, 6, 6, 8}));
  EXPECT_EQ(p.FinishCycle(), 8);
  EXPECT_EQ(p.PredictedCycles(), 8 + isa::kDrainCycles);
  p.queues[0].pop_back();
  EXPECT_THROW(p.FinishCycle(), Error);
}

TEST(ProgramTest, BinaryRoundTrip) {
  Program p = Sample();
  EXPECT_EQ(FromBinary(ToBinary(p), "x.bin"), p);
}

TEST(ProgramTest, MalformedImagesNameTheProblem) {
  std::vector<uint8_t> image = ToBinary(Sample());
  auto expect_error = [](const std::vector<uint8_t>& bytes, const std::string& what) {
    try {
      FromBinary(bytes, "bad.bin");
      ADD_FAILURE() << "expected an error containing " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.bin"), std::string::npos) << e.what();
    }
  };
  expect_error({}, "truncated");
  expect_error({1, 2, 3, 4, 5, 6, 7, 8}, "not a tinylpu binary");
  std::vector<uint8_t> truncated(image.begin(), image.end() - 2);
  expect_error(truncated, "truncated");
  std::vector<uint8_t> short_queue = image;
  short_queue[12] = 0xff;  // queue 0 claims 255 instructions
  expect_error(short_queue, "shorter");
  std::vector<uint8_t> trailing = image;
  trailing.push_back(0);
  expect_error(trailing, "trailing");
  std::vector<uint8_t> bad_word = image;
  bad_word[19] = 0xfc;  // the first word of queue 0 gets opcode 0x3f: undefined
  expect_error(bad_word, "not a valid instruction");
}

TEST(ProgramTest, CheckFitsNamesTheLimit) {
  CoreConfig c = NamedConfig("small");
  Program p;
  p.queues.resize(c.num_queues());
  p.queues[1].assign(c.queue_depth + 1, Instr::Nop(1));
  try {
    p.CheckFits(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("queue mxma holds"), std::string::npos) << e.what();
  }
}

// A run error is located at the last entry its queue fetched, named by the nearest label.
TEST(ProgramTest, ErrorsAreLocatedByLabel) {
  const CoreConfig config = NamedConfig("small");
  const int mem0 = CoreConfig::MemQueue(0);
  Program p;
  p.queues.resize(config.num_queues());
  const Instr read = Instr::Addr(isa::Op::kRead, 1, 0, Dir::kEast);
  p.queues[mem0] = {Instr::Nop(3), read, read, read};
  p.labels = {Label{mem0, 1, "loop"}};
  EXPECT_EQ(p.EntryAt(mem0, 0), 0);
  EXPECT_EQ(p.EntryAt(mem0, 4), 2);
  EXPECT_EQ(p.EntryAt(CoreConfig::MemQueue(1), 4), -1);
  RunResult r{.cycles = 5, .err = isa::Err::kAddrRange, .err_cycle = 4, .err_queue = mem0};
  EXPECT_EQ(r.Describe(config, p),
            "error ADDR_RANGE in queue mem0 (cycle 4), last fetched at label loop+1: READ");
  p.labels.clear();
  EXPECT_EQ(r.Describe(config, p),
            "error ADDR_RANGE in queue mem0 (cycle 4), last fetched at entry 2: READ");
}

}  // namespace
}  // namespace tinylpu
