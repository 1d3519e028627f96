// MEM and ICU feature tests on every engine (RTL and model in lockstep, the model alone): SECDED
// correction and detection, GATHER, SCATTER, the two banks and their conflicts, IFETCH through a
// circular queue, overflow and underflow.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <tuple>

#include "sw/core/driver.h"
#include "sw/model/cycle_model.h"
#include "tb/rtl_sim.h"
#include "tests/engines.h"

namespace tinylpu {
namespace {

// Keeps every CycleTrace it receives.
class Recorder final : public TraceSink {
 public:
  void OnCycle(const CycleTrace& trace) override { traces.push_back(trace); }
  std::vector<CycleTrace> traces;
};

class MemFeatureTest : public testing::TestWithParam<EngineConfig> {
 protected:
  void SetUp() override {
    config_ = NamedConfig(std::get<1>(GetParam()));
    bus_ = MakeEngine(std::get<0>(GetParam()), config_);
  }
  Program Empty() const {
    Program p;
    p.queues.resize(config_.num_queues());
    return p;
  }
  std::vector<uint8_t> Pattern(int seed) const {
    std::vector<uint8_t> lanes(config_.lanes);
    for (int i = 0; i < config_.lanes; ++i) lanes[i] = static_cast<uint8_t>(seed * 29 + i * 13 + 5);
    return lanes;
  }
  uint32_t Reg(uint32_t reg) { return bus_->Read(RegAddr(reg)); }
  void Inject(uint32_t mask, uint32_t lanes) {
    bus_->Write(RegAddr(isa::kHostRegEccInject), mask | lanes << 16);
  }
  // Hops from MEM slice a to MEM slice b.
  static int Hops(int a, int b) {
    return std::abs(CoreConfig::MemPosition(b) - CoreConfig::MemPosition(a));
  }
  int mem(int i) const { return CoreConfig::MemQueue(i); }

  CoreConfig config_;
  std::unique_ptr<HostBus> bus_;
};

// Stores `lanes` with codeword bits `mask` flipped in the lanes selected by `lane_sel` (bit j:
// lane 4c+j of every chunk c).
void WriteCorrupted(HostBus& bus, int slice, int word, const std::vector<uint8_t>& lanes,
                    uint32_t mask, uint32_t lane_sel) {
  bus.Write(RegAddr(isa::kHostRegEccInject), mask | lane_sel << 16);
  WriteMemWord(bus, slice, word, lanes);
  bus.Write(RegAddr(isa::kHostRegEccInject), 0);
}

TEST_P(MemFeatureTest, EccInjectRegisterReadsBack) {
  EXPECT_EQ(Reg(isa::kHostRegEccInject), 0u);
  Inject(0x1fff, 0xf);
  EXPECT_EQ(Reg(isa::kHostRegEccInject), 0x000f1fffu);
  Inject(0xffffffff, 0xffff);  // only the defined bits stick
  EXPECT_EQ(Reg(isa::kHostRegEccInject), 0x000f1fffu);
  Inject(0, 0);
  EXPECT_EQ(Reg(isa::kHostRegEccInject), 0u);
}

// Every single codeword bit flipped (data and check bits) is corrected on a READ and on a
// host read, and each corrected lane byte is counted once per read in ECC_CORRECTED.
TEST_P(MemFeatureTest, EccCorrectsEverySingleBitFlip) {
  const int chunks = config_.lanes / 4;
  for (int bit = 0; bit < 13; ++bit) {
    SCOPED_TRACE(fmt::format("codeword bit {}", bit));
    // Lane 1 of every chunk is corrupted.
    WriteCorrupted(*bus_, 0, 5, Pattern(bit), 1u << bit, 0b0010);
    WriteMemWord(*bus_, 1, 9, std::vector<uint8_t>(config_.lanes, 0));
    Program p = Empty();
    p.queues[mem(0)] = {Instr::Addr(isa::Op::kRead, 5, 1, Dir::kEast)};
    // Driven at 2 at mem0, present at mem1 in 2 + hops: WRITE one cycle earlier.
    p.queues[mem(1)] = {Instr::Nop(static_cast<uint32_t>(1 + Hops(0, 1))),
                        Instr::Addr(isa::Op::kWrite, 9, 1, Dir::kEast)};
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(ReadMemWord(*bus_, 1, 9), Pattern(bit));
    EXPECT_EQ(Reg(isa::kHostRegEccCorrected), static_cast<uint32_t>(chunks));
    // The stored word is still corrupted: every host read of a chunk corrects its lane again
    // (counted in the cycle after the read, when the data is returned).
    EXPECT_EQ(ReadMemWord(*bus_, 0, 5), Pattern(bit));
    bus_->Tick(1);
    EXPECT_EQ(Reg(isa::kHostRegEccCorrected), static_cast<uint32_t>(2 * chunks));
  }
}

// Two flipped bits in one lane byte stop the run with ECC_UNCORRECTABLE in the cycle the word
// is driven: t+2 for READ, t+3 for GATHER.
TEST_P(MemFeatureTest, EccDoubleBitErrorStopsTheRun) {
  for (const bool gather : {false, true}) {
    for (const uint32_t mask : {0x0003u, 0x1100u, 0x0180u}) {
      SCOPED_TRACE(fmt::format("{} mask {:#x}", gather ? "GATHER" : "READ", mask));
      WriteMemWord(*bus_, 2, 0, std::vector<uint8_t>(config_.lanes, 0));  // zero indices
      WriteCorrupted(*bus_, 1, 6, Pattern(3), mask, 0b0100);
      Program p = Empty();
      // GATHER at t samples its indices at t+1: mem2 READs them westward at t - 1 - hops.
      const int hops = Hops(1, 2);
      const uint32_t t = static_cast<uint32_t>(3 + hops);
      if (gather) {
        p.queues[mem(2)] = {Instr::Nop(2), Instr::Addr(isa::Op::kRead, 0, 2, Dir::kWest)};
        p.queues[mem(1)] = {Instr::Nop(t),
                            Instr::Gather(isa::Op::kGather, 6, 2, Dir::kWest, 0, Dir::kEast)};
      } else {
        p.queues[mem(1)] = {Instr::Nop(t), Instr::Addr(isa::Op::kRead, 6, 0, Dir::kEast)};
      }
      LoadProgram(*bus_, p);
      RunResult r = RunCore(*bus_, 1000);
      EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kEccUncorrectable));
      EXPECT_EQ(r.err_queue, mem(1));
      EXPECT_EQ(r.err_cycle, t + (gather ? 3 : 2));
      EXPECT_EQ(r.cycles, r.err_cycle + 1);
      EXPECT_EQ(Reg(isa::kHostRegEccCorrected), 0u);
    }
  }
}

// GATHER: lane l reads byte l of word base + idx[l], from either bank; the result is driven
// in t+3 and a WRITE downstream captures it.
TEST_P(MemFeatureTest, GatherReadsOneWordPerLane) {
  const int half = config_.mem_depth / 2;
  const uint32_t base = static_cast<uint32_t>(half - 4);  // lanes cross into the high bank
  for (int w = 0; w < 12; ++w) WriteMemWord(*bus_, 1, static_cast<int>(base) + w, Pattern(w));
  std::vector<uint8_t> idx(config_.lanes);
  for (int l = 0; l < config_.lanes; ++l) idx[l] = static_cast<uint8_t>((l * 5 + 3) % 12);
  WriteMemWord(*bus_, 0, 7, idx);
  WriteMemWord(*bus_, 2, 3, std::vector<uint8_t>(config_.lanes, 0xee));
  Program p = Empty();
  // mem0 READs idx at 0 (driven at 2, present at mem1 in 2 + h01): GATHER at 1 + h01.
  const uint32_t g = static_cast<uint32_t>(1 + Hops(0, 1));
  p.queues[mem(0)] = {Instr::Addr(isa::Op::kRead, 7, 3, Dir::kEast)};
  p.queues[mem(1)] = {Instr::Nop(g),
                      Instr::Gather(isa::Op::kGather, base, 3, Dir::kEast, 1, Dir::kEast)};
  // The result is driven at g+3 at mem1, present at mem2 in g+3+h12: WRITE one cycle earlier.
  p.queues[mem(2)] = {Instr::Nop(g + 2 + static_cast<uint32_t>(Hops(1, 2))),
                      Instr::Addr(isa::Op::kWrite, 3, 1, Dir::kEast)};
  LoadProgram(*bus_, p);
  RunResult r = RunCore(*bus_, 1000);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, p.PredictedCycles());
  std::vector<uint8_t> want(config_.lanes);
  for (int l = 0; l < config_.lanes; ++l) want[l] = Pattern(idx[l])[l];
  EXPECT_EQ(ReadMemWord(*bus_, 2, 3), want);
}

// SCATTER: lane l stores its byte into byte l of word base + idx[l] at the end of t+2; lanes
// are separate columns, so lanes naming one word all land. A lane beyond MemDepth raises
// ADDR_RANGE in t+1 and nothing is stored.
TEST_P(MemFeatureTest, ScatterWritesOneWordPerLaneAndChecksRange) {
  const int half = config_.mem_depth / 2;
  for (const bool beyond : {false, true}) {
    SCOPED_TRACE(beyond ? "a lane beyond MemDepth" : "in range");
    const uint32_t base =
        beyond ? static_cast<uint32_t>(config_.mem_depth - 2) : static_cast<uint32_t>(half - 2);
    std::vector<uint8_t> idx(config_.lanes);
    for (int l = 0; l < config_.lanes; ++l) idx[l] = static_cast<uint8_t>(l % 4);
    for (int w = 0; w < 4; ++w) {
      if (static_cast<int>(base) + w < config_.mem_depth) {
        WriteMemWord(*bus_, 3, static_cast<int>(base) + w, std::vector<uint8_t>(config_.lanes, 0));
      }
    }
    WriteMemWord(*bus_, 0, 1, idx);
    WriteMemWord(*bus_, 1, 2, Pattern(9));
    Program p = Empty();
    // mem0 READs idx on E0 at a, mem1 READs the data on E1 at b: both present at mem3 in
    // a + 2 + h03 = b + 2 + h13; the SCATTER samples them at s + 1.
    const int h03 = Hops(0, 3);
    const int h13 = Hops(1, 3);
    const uint32_t a = 1;
    const uint32_t b = static_cast<uint32_t>(static_cast<int>(a) + h03 - h13);
    const uint32_t s = static_cast<uint32_t>(static_cast<int>(a) + 1 + h03);
    p.queues[mem(0)] = {Instr::Nop(a), Instr::Addr(isa::Op::kRead, 1, 0, Dir::kEast)};
    p.queues[mem(1)] = {Instr::Nop(b), Instr::Addr(isa::Op::kRead, 2, 1, Dir::kEast)};
    p.queues[mem(3)] = {Instr::Nop(s),
                        Instr::Gather(isa::Op::kScatter, base, 0, Dir::kEast, 1, Dir::kEast)};
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    if (beyond) {
      EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kAddrRange));
      EXPECT_EQ(r.err_queue, mem(3));
      EXPECT_EQ(r.err_cycle, s + 1);
      for (int w = 0; w < 2; ++w) {
        EXPECT_EQ(ReadMemWord(*bus_, 3, static_cast<int>(base) + w),
                  std::vector<uint8_t>(config_.lanes, 0));
      }
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, p.PredictedCycles());
    for (int w = 0; w < 4; ++w) {
      std::vector<uint8_t> want(config_.lanes, 0);
      for (int l = 0; l < config_.lanes; ++l) {
        if (idx[l] == w) want[l] = Pattern(9)[l];
      }
      EXPECT_EQ(ReadMemWord(*bus_, 3, static_cast<int>(base) + w), want) << "word " << w;
    }
  }
}

// A GATHER issued at g and a READ issued at g+1 both use the banks in g+2. In different banks
// both proceed (and both drive in g+3); in the same bank the slice raises BANK_CONFLICT in g+2.
TEST_P(MemFeatureTest, BanksLetGatherAndReadOverlap) {
  const int half = config_.mem_depth / 2;
  for (const bool same_bank : {false, true}) {
    SCOPED_TRACE(same_bank ? "same bank" : "different banks");
    // Gather lanes read words 0..3 (bank 0); the READ reads word `rd` in the other bank or in
    // bank 0.
    const int rd = same_bank ? 20 : half + 20;
    std::vector<uint8_t> idx(config_.lanes);
    for (int l = 0; l < config_.lanes; ++l) idx[l] = static_cast<uint8_t>(l % 4);
    for (int w = 0; w < 4; ++w) WriteMemWord(*bus_, 1, w, Pattern(w));
    WriteMemWord(*bus_, 1, rd, Pattern(40));
    WriteMemWord(*bus_, 0, 0, idx);
    WriteMemWord(*bus_, 2, 5, std::vector<uint8_t>(config_.lanes, 0));
    WriteMemWord(*bus_, 3, 6, std::vector<uint8_t>(config_.lanes, 0));
    Program p = Empty();
    const uint32_t g = static_cast<uint32_t>(1 + Hops(0, 1));
    p.queues[mem(0)] = {Instr::Addr(isa::Op::kRead, 0, 2, Dir::kEast)};
    p.queues[mem(1)] = {Instr::Nop(g),
                        Instr::Gather(isa::Op::kGather, 0, 2, Dir::kEast, 0, Dir::kEast),
                        Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(rd), 1, Dir::kEast)};
    // Both drive at g+3 at mem1: the READ's word on E1 reaches mem2 in g+3+h12, the GATHER's
    // on E0 reaches mem3 in g+3+h13.
    p.queues[mem(2)] = {Instr::Nop(g + 2 + static_cast<uint32_t>(Hops(1, 2))),
                        Instr::Addr(isa::Op::kWrite, 5, 1, Dir::kEast)};
    p.queues[mem(3)] = {Instr::Nop(g + 2 + static_cast<uint32_t>(Hops(1, 3))),
                        Instr::Addr(isa::Op::kWrite, 6, 0, Dir::kEast)};
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    if (same_bank) {
      EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kBankConflict));
      EXPECT_EQ(r.err_queue, mem(1));
      EXPECT_EQ(r.err_cycle, g + 2);
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, p.PredictedCycles());
    EXPECT_EQ(ReadMemWord(*bus_, 2, 5), Pattern(40));
    std::vector<uint8_t> want(config_.lanes);
    for (int l = 0; l < config_.lanes; ++l) want[l] = Pattern(idx[l])[l];
    EXPECT_EQ(ReadMemWord(*bus_, 3, 6), want);
  }
}

// A GATHER at g and a READ at g+1 in the other bank both drive in g+3: onto one stream that is
// STREAM_CONFLICT, raised in g+3 by the slice's queue.
TEST_P(MemFeatureTest, GatherAndReadOnOneStreamConflict) {
  const int half = config_.mem_depth / 2;
  WriteMemWord(*bus_, 0, 0, std::vector<uint8_t>(config_.lanes, 0));  // indices 0: bank 0
  Program p = Empty();
  const uint32_t g = static_cast<uint32_t>(1 + Hops(0, 1));
  p.queues[mem(0)] = {Instr::Addr(isa::Op::kRead, 0, 2, Dir::kEast)};
  p.queues[mem(1)] = {Instr::Nop(g),
                      Instr::Gather(isa::Op::kGather, 0, 2, Dir::kEast, 1, Dir::kWest),
                      Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(half), 1, Dir::kWest)};
  LoadProgram(*bus_, p);
  RunResult r = RunCore(*bus_, 1000);
  EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kStreamConflict));
  EXPECT_EQ(r.err_queue, mem(1));
  EXPECT_EQ(r.err_cycle, g + 3);
}

// READ quad moves words a..a+3 onto streams s..s+3 in one instruction and WRITE quad stores
// them back, with REPEAT and a stride of 4, in both banks and both directions; each word of a
// quad is checked by its own SECDED code: one flipped bit in every lane byte of all four words is
// corrected and counted, 4 x lanes corrections in one cycle (the per-cycle count is wide enough
// for a quad and a GATHER together).
TEST_P(MemFeatureTest, QuadReadAndWriteMoveFourWords) {
  const int half = config_.mem_depth / 2;
  for (const int base : {8, half + 8}) {
    SCOPED_TRACE(fmt::format("quads from word {}", base));
    for (int w = 0; w < 8; ++w) {
      if (w < 4) {
        WriteCorrupted(*bus_, 0, base + w, Pattern(base + w), 1u << (w + 2), 0b1111);
      } else {
        WriteMemWord(*bus_, 0, base + w, Pattern(base + w));
      }
    }
    Program p = Empty();  // (a start clears ECC_CORRECTED)
    // mem0 READs two quads east at 0 and 1 (stride 4); mem1 WRITEs them as they pass, and
    // sends them back west as quads for mem0 to store.
    Instr rd = Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(base), 4, Dir::kEast, true);
    rd.stride = 4;
    p.queues[mem(0)] = {rd, Instr::Repeat(1, 1)};
    const int h = Hops(0, 1);
    Instr wr = Instr::Addr(isa::Op::kWrite, 40, 4, Dir::kEast, true);
    wr.stride = 4;
    // Driven at 2 and 3 at mem0, present at mem1 in 2 + h: WRITE one cycle earlier.
    const uint32_t back = static_cast<uint32_t>(config_.streams - 4);  // the top group, west
    p.queues[mem(1)] = {Instr::Nop(static_cast<uint32_t>(1 + h)), wr, Instr::Repeat(1, 1),
                        Instr::Addr(isa::Op::kRead, 40, back, Dir::kWest, true)};
    // mem1's READ quad at 3 + h drives at 5 + h; at mem0 in 5 + 2h.
    p.queues[mem(0)].push_back(Instr::Nop(static_cast<uint32_t>(5 + 2 * h - 1 - 2)));
    p.queues[mem(0)].push_back(
        Instr::Addr(isa::Op::kWrite, static_cast<uint32_t>(half - 8), back, Dir::kWest, true));
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    for (int w = 0; w < 8; ++w) EXPECT_EQ(ReadMemWord(*bus_, 1, 40 + w), Pattern(base + w)) << w;
    for (int w = 0; w < 4; ++w) {
      EXPECT_EQ(ReadMemWord(*bus_, 0, half - 8 + w), Pattern(base + w)) << w;
    }
    // Words base..base+3 had one flipped bit in every lane each.
    EXPECT_EQ(Reg(isa::kHostRegEccCorrected), static_cast<uint32_t>(4 * config_.lanes));
  }
}

// A quad must start at a multiple of 4 (BAD_OPERAND at issue, also when a strided re-issue
// leaves the alignment), and its four streams must exist (STREAM_RANGE).
TEST_P(MemFeatureTest, QuadChecksAlignmentAndStreams) {
  struct Case {
    std::vector<Instr> prog;
    isa::Err err;
    int64_t cycle;
  };
  const uint32_t top = static_cast<uint32_t>(config_.streams - 3);
  Instr strided = Instr::Addr(isa::Op::kRead, 8, 0, Dir::kEast, true);
  strided.stride = 2;
  const std::vector<Case> cases = {
      {{Instr::Addr(isa::Op::kRead, 6, 0, Dir::kEast, true)}, isa::Err::kBadOperand, 0},
      {{Instr::Nop(2), Instr::Addr(isa::Op::kWrite, 5, 0, Dir::kWest, true)},
       isa::Err::kBadOperand,
       2},
      {{strided, Instr::Repeat(2, 1)}, isa::Err::kBadOperand, 1},
      {{Instr::Addr(isa::Op::kRead, 8, top, Dir::kEast, true)}, isa::Err::kStreamRange, 0},
      {{Instr::Addr(isa::Op::kWrite, 8, top, Dir::kWest, true)}, isa::Err::kStreamRange, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(fmt::format("case {}", i));
    Program p = Empty();
    p.queues[mem(1)] = cases[i].prog;
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    EXPECT_EQ(ErrName(r.err), ErrName(cases[i].err));
    EXPECT_EQ(r.err_queue, mem(1));
    EXPECT_EQ(r.err_cycle, cases[i].cycle);
  }
  // The same words with the top stream group that fits run clean.
  Program p = Empty();
  p.queues[mem(1)] = {Instr::Addr(isa::Op::kRead, 8, top - 1, Dir::kEast, true)};
  LoadProgram(*bus_, p);
  EXPECT_TRUE(RunCore(*bus_, 1000).ok());
}

// A READ quad and a GATHER driving in one cycle conflict when the GATHER's stream is any of the
// quad's four (STREAM_CONFLICT), and not when it is the next one.
TEST_P(MemFeatureTest, QuadAndGatherConflictOnAnyOfTheFourStreams) {
  const int half = config_.mem_depth / 2;
  WriteMemWord(*bus_, 0, 0, std::vector<uint8_t>(config_.lanes, 0));  // indices 0: bank 0
  const uint32_t g = static_cast<uint32_t>(1 + Hops(0, 1));
  for (const uint32_t gs : {2u, 5u, 6u}) {
    SCOPED_TRACE(fmt::format("GATHER onto W{}, quad onto W2..W5", gs));
    Program p = Empty();
    p.queues[mem(0)] = {Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast)};
    p.queues[mem(1)] = {
        Instr::Nop(g), Instr::Gather(isa::Op::kGather, 0, 0, Dir::kEast, gs, Dir::kWest),
        Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(half), 2, Dir::kWest, true)};
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    if (gs == 6u) {
      EXPECT_TRUE(r.ok()) << r.Describe(config_);
    } else {
      EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kStreamConflict));
      EXPECT_EQ(r.err_queue, mem(1));
      EXPECT_EQ(r.err_cycle, g + 3);
    }
  }
}

// A SCATTER at s (bank access in s+2) and a WRITE at s+1 into the other bank both land.
TEST_P(MemFeatureTest, ScatterAndWriteInDifferentBanksBothLand) {
  const int half = config_.mem_depth / 2;
  std::vector<uint8_t> idx(config_.lanes, 0);  // every lane into word base
  WriteMemWord(*bus_, 0, 0, idx);
  WriteMemWord(*bus_, 1, 0, Pattern(1));
  WriteMemWord(*bus_, 3, 2, std::vector<uint8_t>(config_.lanes, 0));
  WriteMemWord(*bus_, 3, half + 2, std::vector<uint8_t>(config_.lanes, 0));
  Program p = Empty();
  const int h03 = Hops(0, 3);
  const int h13 = Hops(1, 3);
  const uint32_t a = 1;
  const uint32_t b = static_cast<uint32_t>(static_cast<int>(a) + h03 - h13);
  const uint32_t s = static_cast<uint32_t>(static_cast<int>(a) + 1 + h03);
  p.queues[mem(0)] = {Instr::Nop(a), Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast)};
  // mem1 drives the data on E1 in b+2 and again in b+3 (READ re-issued), so the WRITE at s+1
  // samples the same word one cycle later.
  p.queues[mem(1)] = {Instr::Nop(b), Instr::Addr(isa::Op::kRead, 0, 1, Dir::kEast),
                      Instr::Repeat(1, 1)};
  p.queues[mem(3)] = {Instr::Nop(s),
                      Instr::Gather(isa::Op::kScatter, 2, 0, Dir::kEast, 1, Dir::kEast),
                      Instr::Addr(isa::Op::kWrite, static_cast<uint32_t>(half + 2), 1, Dir::kEast)};
  LoadProgram(*bus_, p);
  RunResult r = RunCore(*bus_, 1000);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(ReadMemWord(*bus_, 3, 2), Pattern(1));
  EXPECT_EQ(ReadMemWord(*bus_, 3, half + 2), Pattern(1));
}

// A program up to three times longer than the queue (as long as one MEM slice can hold the
// appended part) runs through IFETCH: the queue starts with QueueDepth - W entries
// (W = NumLanes/4), and every W-th entry is an IFETCH that appends the next W entries from a
// MEM word that the neighbouring slice READs towards it, so the circular queue overwrites
// entries it has already fetched. Every slice op issues in the cycle the static timing
// predicts, on both engines.
TEST_P(MemFeatureTest, IfetchRunsAProgramLongerThanTheQueue) {
  const int depth = config_.queue_depth;
  const int w = config_.lanes / 4;
  const int loaded = depth - w;
  const int groups = std::min(2 * depth / w, config_.mem_depth);
  // The program mem0 executes: NOP 3, groups of [IFETCH W5, READ x W-1], then a tail of READs.
  std::vector<Instr> prog = {Instr::Nop(3)};
  int next_addr = 0;
  auto read = [&] {
    return Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(next_addr++ % config_.mem_depth), 3,
                       Dir::kEast);
  };
  for (int k = 0; k < groups; ++k) {
    prog.push_back(Instr::Ifetch(5, Dir::kWest));
    for (int j = 1; j < w; ++j) prog.push_back(read());
  }
  while (static_cast<int>(prog.size()) < loaded + groups * w) prog.push_back(read());
  ASSERT_EQ(static_cast<int>(prog.size()), loaded + groups * w);
  ASSERT_GT(static_cast<int>(prog.size()), depth + depth / 2);

  // IFETCH k (entry 1 + k*w, fetched at 3 + k*w) samples W5 at mem0 in 4 + k*w: mem1 puts the
  // entries loaded + k*w .. + w-1 into word k and READs it at 4 + k*w - 2 - hops.
  const int hops = Hops(0, 1);
  for (int k = 0; k < groups; ++k) {
    std::vector<uint8_t> lanes(config_.lanes);
    for (int j = 0; j < w; ++j) {
      const uint32_t word = Encode(prog[loaded + k * w + j]);
      for (int b = 0; b < 4; ++b) lanes[4 * j + b] = static_cast<uint8_t>(word >> (8 * b));
    }
    WriteMemWord(*bus_, 1, k, lanes);
  }
  Program loaded_program = Empty();
  loaded_program.queues[mem(0)] = std::vector<Instr>(prog.begin(), prog.begin() + loaded);
  const uint32_t first_read = static_cast<uint32_t>(4 - 2 - hops);
  Instr fetch_read = Instr::Addr(isa::Op::kRead, 0, 5, Dir::kWest);
  fetch_read.stride = 1;
  loaded_program.queues[mem(1)] = {
      Instr::Nop(first_read), fetch_read,
      Instr::Repeat(static_cast<uint32_t>(groups - 1), static_cast<uint32_t>(w))};
  Program logical = loaded_program;
  logical.queues[mem(0)] = prog;
  const Program::Timing timing = logical.QueueTiming();

  LoadProgram(*bus_, loaded_program);
  Recorder rec;
  bus_->SetTraceSink(&rec);
  RunResult r = RunCore(*bus_, 100000);
  bus_->SetTraceSink(nullptr);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, logical.PredictedCycles());

  std::vector<std::pair<int64_t, uint32_t>> want;
  for (size_t i = 0; i < prog.size(); ++i) {
    if (!IsControl(prog[i].op)) want.emplace_back(timing.fetch[mem(0)][i], Encode(prog[i]));
  }
  std::vector<std::pair<int64_t, uint32_t>> got;
  int appends = 0;
  for (const CycleTrace& t : rec.traces) {
    for (const IssueEvent& e : t.issues) {
      if (e.queue == mem(0)) got.emplace_back(t.cycle, e.word);
    }
    for (const AppendEvent& e : t.appends) {
      EXPECT_EQ(e.queue, mem(0));
      EXPECT_EQ(e.entry, (loaded + appends * w) % depth);
      ++appends;
    }
  }
  EXPECT_EQ(appends, groups);
  EXPECT_EQ(got, want);
}

// QUEUE_UNDERFLOW: the queue must fetch in t+1 while its IFETCH of t has not landed. One NOP
// more in between and the appended entries are fetched in t+2.
TEST_P(MemFeatureTest, IfetchUnderflowNamesCycleAndQueue) {
  for (const uint32_t lead : {0u, 3u}) {
    SCOPED_TRACE(fmt::format("IFETCH at {}", lead));
    Program p = Empty();
    if (lead != 0) p.queues[mem(2)].push_back(Instr::Nop(lead));
    p.queues[mem(2)].push_back(Instr::Ifetch(0, Dir::kEast));
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kQueueUnderflow));
    EXPECT_EQ(r.err_queue, mem(2));
    EXPECT_EQ(r.err_cycle, lead + 1);
  }
  // With a NOP after the IFETCH the appended entries (all NOP 1, from a READ of mem1) run.
  std::vector<uint8_t> nops(config_.lanes);
  for (int j = 0; j < config_.lanes / 4; ++j) {
    const uint32_t word = Encode(Instr::Nop(1));
    for (int b = 0; b < 4; ++b) nops[4 * j + b] = static_cast<uint8_t>(word >> (8 * b));
  }
  WriteMemWord(*bus_, 1, 4, nops);
  Program p = Empty();
  // mem1 READs at 0, drives at 2 westward; present at mem0 in 2 + hops = IFETCH's t + 1.
  const uint32_t t = static_cast<uint32_t>(1 + Hops(0, 1));
  p.queues[mem(1)] = {Instr::Addr(isa::Op::kRead, 4, 6, Dir::kWest)};
  p.queues[mem(0)] = {Instr::Nop(t), Instr::Ifetch(6, Dir::kWest), Instr::Nop(1)};
  LoadProgram(*bus_, p);
  RunResult r = RunCore(*bus_, 1000);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, t + 2 + config_.lanes / 4 + isa::kDrainCycles);
}

// IFETCH samples the stream at the position of the queue's own slice, for every queue: the
// MXM's two queues, every MEM slice, the SXM and every VXM ALU. A MEM slice READs a word of
// NOP 1 instructions towards the queue so that it is present there exactly in the IFETCH's
// t+1; sampled anywhere else the queue would append zeros (NOP 0, BAD_OPERAND).
TEST_P(MemFeatureTest, IfetchSamplesAtTheQueuesOwnPosition) {
  std::vector<uint8_t> nops(config_.lanes, 0);
  for (int j = 0; j < config_.lanes / 4; ++j) nops[4 * j] = 1;  // NOP 1, little-endian
  ASSERT_EQ(Encode(Instr::Nop(1)), 1u);
  for (int slice = 0; slice < 2; ++slice) WriteMemWord(*bus_, slice, 9, nops);
  for (int q = 0; q < config_.num_queues(); ++q) {
    SCOPED_TRACE(config_.QueueName(q));
    const int pos = config_.QueuePosition(q);
    const int slice = pos == CoreConfig::MemPosition(0) ? 1 : 0;
    const int from = CoreConfig::MemPosition(slice);
    const Dir dir = pos > from ? Dir::kEast : Dir::kWest;
    // READ at 0 drives at 2; present at the queue's position in 2 + hops = IFETCH's t + 1.
    const uint32_t t = static_cast<uint32_t>(1 + std::abs(pos - from));
    Program p = Empty();
    p.queues[mem(slice)] = {Instr::Addr(isa::Op::kRead, 9, 2, dir)};
    p.queues[q] = {Instr::Nop(t), Instr::Ifetch(2, dir), Instr::Nop(1)};
    LoadProgram(*bus_, p);
    RunResult r = RunCore(*bus_, 1000);
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, t + 2 + config_.lanes / 4 + isa::kDrainCycles);
  }
}

// QUEUE_OVERFLOW: a full queue whose first entries are IFETCHes. IFETCH i (fetched at i) lands
// at i+1 with i+2 entries fetched: it overflows once QueueDepth + (i+1)W - (i+2) > QueueDepth.
TEST_P(MemFeatureTest, IfetchOverflowNamesCycleAndQueue) {
  const int depth = config_.queue_depth;
  const int w = config_.lanes / 4;
  int first = 0;
  while ((first + 1) * (w - 1) <= 1) ++first;
  const int q = CoreConfig::kQueueMxma;
  for (int i = 0; i < depth; ++i) {
    const uint32_t word = i < 4 ? Encode(Instr::Ifetch(0, Dir::kEast)) : Encode(Instr::Nop(1));
    bus_->Write(QueueAddr(q, i), word);
  }
  Program p = Empty();
  LoadProgram(*bus_, p);  // QLEN 0 everywhere ...
  bus_->Write(RegAddr(isa::kHostRegQlen + q), static_cast<uint32_t>(depth));  // ... but mxma
  RunResult r = RunCore(*bus_, 10000);
  EXPECT_EQ(ErrName(r.err), ErrName(isa::Err::kQueueOverflow));
  EXPECT_EQ(r.err_queue, q);
  EXPECT_EQ(r.err_cycle, first + 1);
}

// The trace shows each new event in the cycle the timing rules give. One word, NOP 1 in every
// 32-bit chunk (bytes 1 0 0 0 ...), stored with one flipped bit in lane 0 of every chunk, is
// READ by mem0 at 0 onto E3 (corrected: W lane bytes counted in cycle 2) and serves as GATHER
// indices on mem1, as SCATTER indices and data on mem2, and as instructions for an IFETCH on mem3.
TEST_P(MemFeatureTest, TraceShowsEachEventInItsCycle) {
  const int w = config_.lanes / 4;
  std::vector<uint8_t> word(config_.lanes, 0);
  for (int j = 0; j < w; ++j) word[4 * j] = 1;  // NOP 1, little-endian
  ASSERT_EQ(Encode(Instr::Nop(1)), 1u);
  WriteCorrupted(*bus_, 0, 7, word, 1u << 3, 0b0001);
  for (int a = 40; a < 42; ++a) WriteMemWord(*bus_, 1, a, Pattern(a));
  const int h01 = Hops(0, 1);
  const int h02 = Hops(0, 2);
  const int h03 = Hops(0, 3);
  Program p = Empty();
  p.queues[mem(0)] = {Instr::Addr(isa::Op::kRead, 7, 3, Dir::kEast)};
  const uint32_t g = static_cast<uint32_t>(1 + h01);
  const uint32_t sc = static_cast<uint32_t>(1 + h02);
  const uint32_t f = static_cast<uint32_t>(1 + h03);
  p.queues[mem(1)] = {Instr::Nop(g),
                      Instr::Gather(isa::Op::kGather, 40, 3, Dir::kEast, 1, Dir::kWest)};
  p.queues[mem(2)] = {Instr::Nop(sc),
                      Instr::Gather(isa::Op::kScatter, 50, 3, Dir::kEast, 3, Dir::kEast)};
  p.queues[mem(3)] = {Instr::Nop(f), Instr::Ifetch(3, Dir::kEast), Instr::Nop(1)};
  LoadProgram(*bus_, p);
  Recorder rec;
  bus_->SetTraceSink(&rec);
  RunResult r = RunCore(*bus_, 1000);
  bus_->SetTraceSink(nullptr);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, f + 2 + w + isa::kDrainCycles);
  auto at = [&](int64_t c) -> const CycleTrace& { return rec.traces.at(static_cast<size_t>(c)); };

  ASSERT_EQ(at(2).drives.size(), 1u);
  EXPECT_EQ(at(2).drives[0].lanes, word);
  EXPECT_EQ(at(2).ecc_corrected, w);
  int corrections = 0;
  for (const CycleTrace& t : rec.traces) corrections += t.ecc_corrected;
  EXPECT_EQ(corrections, w);

  std::vector<uint8_t> gathered(config_.lanes);
  for (int l = 0; l < config_.lanes; ++l) gathered[l] = Pattern(40 + word[l])[l];
  const DriveEvent gather_drive{
      .pos = CoreConfig::MemPosition(1), .dir = Dir::kWest, .stream = 1, .lanes = gathered};
  EXPECT_EQ(at(g + 3).drives, std::vector<DriveEvent>{gather_drive});

  std::vector<int> addrs(config_.lanes);
  for (int l = 0; l < config_.lanes; ++l) addrs[l] = 50 + word[l];
  const ScatterEvent scatter{.slice = 2, .addrs = addrs, .lanes = word};
  EXPECT_EQ(at(sc + 2).scatters, std::vector<ScatterEvent>{scatter});

  const AppendEvent append{.queue = mem(3), .entry = 3, .words = std::vector<uint32_t>(w, 1)};
  EXPECT_EQ(at(f + 1).appends, std::vector<AppendEvent>{append});
  for (const CycleTrace& t : rec.traces) {
    if (t.cycle != static_cast<int64_t>(sc + 2)) {
      EXPECT_TRUE(t.scatters.empty()) << t.cycle;
    }
    if (t.cycle != static_cast<int64_t>(f + 1)) {
      EXPECT_TRUE(t.appends.empty()) << t.cycle;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, MemFeatureTest, testing::ValuesIn(EngineConfigs()),
                         EngineConfigName);

}  // namespace
}  // namespace tinylpu
