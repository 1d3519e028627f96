// Tests for the cycle model: matmuls, queue timing, slice latencies, errors and the host port.
#include "sw/model/cycle_model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {
namespace {

// Keeps every CycleTrace it is given.
class Recorder final : public TraceSink {
 public:
  void OnCycle(const CycleTrace& trace) override { traces.push_back(trace); }

  // Issue cycles of queue q, and the words issued.
  std::vector<int64_t> IssueCycles(int q) const {
    std::vector<int64_t> cycles;
    for (const CycleTrace& t : traces) {
      for (const IssueEvent& e : t.issues) {
        if (e.queue == q) cycles.push_back(t.cycle);
      }
    }
    return cycles;
  }
  std::vector<uint32_t> IssueWords(int q) const {
    std::vector<uint32_t> words;
    for (const CycleTrace& t : traces) {
      for (const IssueEvent& e : t.issues) {
        if (e.queue == q) words.push_back(e.word);
      }
    }
    return words;
  }

  std::vector<CycleTrace> traces;
};

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

Instr Strided(isa::Op op, uint32_t addr, int32_t stride, uint32_t stream, Dir dir,
              bool flag = false) {
  Instr instr = Instr::Addr(op, addr, stream, dir, flag);
  instr.stride = stride;
  return instr;
}

uint32_t Op(isa::Op op) { return static_cast<uint32_t>(op) << isa::kOpcodeLsb; }

class CycleModelTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config_ = NamedConfig(GetParam());
    bus_ = MakeCycleModel(config_);
  }
  Program Empty() const {
    Program p;
    p.queues.resize(config_.num_queues());
    return p;
  }
  // Runs `p` with a trace recorder attached.
  RunResult RunTraced(const Program& p, Recorder& rec) {
    LoadProgram(*bus_, p);
    bus_->SetTraceSink(&rec);
    RunResult r = RunCore(*bus_, 100'000);
    bus_->SetTraceSink(nullptr);
    return r;
  }
  CoreConfig config_;
  std::unique_ptr<HostBus> bus_;
};

///////////////////
// Host register //
///////////////////

TEST_P(CycleModelTest, RegistersReadBack) {
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegId)), isa::kHostId);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegConfig0)),
            static_cast<uint32_t>(config_.lanes | config_.streams << 8 | config_.mem_slices << 16 |
                                  config_.mxm_dim << 24));
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegConfig1)),
            static_cast<uint32_t>(config_.mem_depth | config_.queue_depth << 16));
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegConfig2)), static_cast<uint32_t>(config_.acc_depth));
  // Nothing has run yet.
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegStatus)), 0u);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCycles)), 0u);
  EXPECT_FALSE(bus_->Done());
  // CTRL is write-only, unmapped registers read 0; only addr[7:0] selects a register.
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCtrl)), 0u);
  EXPECT_EQ(bus_->Read(RegAddr(0x30)), 0u);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegId) | 0x0abcd00), isa::kHostId);
  // Unmapped regions read 0.
  EXPECT_EQ(bus_->Read(0x30000000u), 0u);

  // QLEN: read-write, saturating at the queue depth; registers past the queues read 0.
  const int nq = config_.num_queues();
  for (int q = 0; q < nq; ++q) bus_->Write(RegAddr(isa::kHostRegQlen + q), q + 1);
  for (int q = 0; q < nq; ++q) EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegQlen + q)), q + 1u);
  bus_->Write(RegAddr(isa::kHostRegQlen + 1), 0xffffffffu);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegQlen + 1)), static_cast<uint32_t>(config_.queue_depth));
  bus_->Write(RegAddr(isa::kHostRegQlen + nq), 5);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegQlen + nq)), 0u);
  // Read-only registers ignore writes.
  bus_->Write(RegAddr(isa::kHostRegCycles), 77);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCycles)), 0u);
}

TEST_P(CycleModelTest, QueueAndMemReadBack) {
  const int last_q = config_.num_queues() - 1;
  bus_->Write(QueueAddr(last_q, config_.queue_depth - 1), 0xdeadbeef);
  bus_->Write(QueueAddr(0, 0), 0x12345678);
  EXPECT_EQ(bus_->Read(QueueAddr(last_q, config_.queue_depth - 1)), 0xdeadbeefu);
  EXPECT_EQ(bus_->Read(QueueAddr(0, 0)), 0x12345678u);
  // Outside the configuration: writes dropped, reads 0.
  bus_->Write(QueueAddr(last_q + 1, 0), 1);
  EXPECT_EQ(bus_->Read(QueueAddr(last_q + 1, 0)), 0u);
  EXPECT_EQ(bus_->Read(QueueAddr(0, config_.queue_depth)), 0u);

  for (int slice = 0; slice < config_.mem_slices; ++slice) {
    WriteMemWord(*bus_, slice, config_.mem_depth - 1 - slice, Pattern(config_, slice));
  }
  for (int slice = 0; slice < config_.mem_slices; ++slice) {
    EXPECT_EQ(ReadMemWord(*bus_, slice, config_.mem_depth - 1 - slice), Pattern(config_, slice));
  }
  // One chunk at a time: lane 4c + j in byte j of chunk c.
  bus_->Write(MemAddr(0, 7, 1), 0x44332211);
  std::vector<uint8_t> word = ReadMemWord(*bus_, 0, 7);
  EXPECT_EQ(word[4], 0x11);
  EXPECT_EQ(word[7], 0x44);
  EXPECT_EQ(word[0], 0);
  EXPECT_EQ(bus_->Read(MemAddr(config_.mem_slices, 0, 0)), 0u);
  EXPECT_EQ(bus_->Read(MemAddr(0, config_.mem_depth, 0)), 0u);
  EXPECT_EQ(bus_->Read(MemAddr(0, 0, config_.lanes / 4)), 0u);
}

// Every call takes whole cycles; registers answer with the state of the request cycle.
TEST_P(CycleModelTest, HostTimingAndAccessWhileRunning) {
  // Three reset cycles and the four reads of the configuration check, as in RtlSim.
  EXPECT_EQ(bus_->Time(), 7u);
  Program p = Empty();
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Nop(40)};
  LoadProgram(*bus_, p);
  WriteMemWord(*bus_, 0, 5, Pattern(config_, 1));
  const uint64_t t0 = bus_->Time();
  StartRun(*bus_);
  EXPECT_EQ(bus_->Time(), t0 + 1);
  // The start cycle is not a run cycle: run cycle 0 is the cycle of this read.
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCycles)), 0u);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCycles)), 1u);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegStatus)), 1u) << "busy";
  bus_->Tick(10);
  EXPECT_EQ(bus_->Time(), t0 + 14);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCycles)), 13u);
  // Queue, MEM and QLEN accesses and a second start are ignored while running.
  EXPECT_EQ(bus_->Read(QueueAddr(CoreConfig::MemQueue(0), 0)), 0u);
  EXPECT_EQ(bus_->Read(MemAddr(0, 5, 0)), 0u);
  bus_->Write(QueueAddr(CoreConfig::MemQueue(0), 0), Encode(Instr::Nop(2)));
  bus_->Write(MemAddr(0, 5, 0), 0);
  bus_->Write(RegAddr(isa::kHostRegQlen), 3);
  bus_->Write(RegAddr(isa::kHostRegCtrl), 1);
  EXPECT_FALSE(bus_->Done());
  bus_->Tick(40 + isa::kDrainCycles - 21);  // run cycles 0 .. 19 are behind us
  EXPECT_FALSE(bus_->Done());
  bus_->Tick(1);
  EXPECT_TRUE(bus_->Done());
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegStatus)), 2u) << "done, no error";
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegCycles)), 40u + isa::kDrainCycles);
  EXPECT_EQ(bus_->Read(QueueAddr(CoreConfig::MemQueue(0), 0)), Encode(Instr::Nop(40)));
  EXPECT_EQ(ReadMemWord(*bus_, 0, 5), Pattern(config_, 1));
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegQlen)), 0u);
  // A start while done begins a new run.
  RunResult r = RunCore(*bus_, 1000);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.cycles, 40 + isa::kDrainCycles);
}

////////////
// Timing //
////////////

TEST_P(CycleModelTest, EmptyProgramTakesTheDrainCycles) {
  Recorder rec;
  RunResult r = RunTraced(Empty(), rec);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, isa::kDrainCycles);
  ASSERT_EQ(rec.traces.size(), static_cast<size_t>(isa::kDrainCycles));
  for (int i = 0; i < isa::kDrainCycles; ++i) {
    CycleTrace idle;
    idle.cycle = i;
    EXPECT_EQ(rec.traces[i], idle);
  }
}

// NOP n: the next fetch is n cycles later. REPEAT n, d fetched at t: re-issues at t+d-1, ...,
// t+nd-1 with the stride applied each time, next fetch at t+nd.
TEST_P(CycleModelTest, NopAndRepeatTiming) {
  const int q = CoreConfig::MemQueue(1);
  for (uint32_t d : {1u, 2u, 5u}) {
    SCOPED_TRACE(fmt::format("d = {}", d));
    Program p = Empty();
    Instr read = Strided(isa::Op::kRead, 10, -2, 3, Dir::kEast);
    p.queues[q] = {Instr::Nop(3), read, Instr::Repeat(3, d), Instr::Nop(2), read};
    Recorder rec;
    RunResult r = RunTraced(p, rec);
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, p.PredictedCycles());
    EXPECT_EQ(r.cycles, 3 + 1 + 3 * d + 2 + 1 + isa::kDrainCycles);
    const int64_t t = 4;  // the REPEAT's fetch cycle
    EXPECT_EQ(rec.IssueCycles(q),
              (std::vector<int64_t>{3, t + d - 1, t + 2 * d - 1, t + 3 * d - 1, t + 3 * d + 2}));
    std::vector<uint32_t> words;
    for (uint32_t a : {10u, 8u, 6u, 4u, 10u}) {
      Instr i = read;
      i.addr = a;
      words.push_back(Encode(i));
    }
    EXPECT_EQ(rec.IssueWords(q), words);
    // One trace per run cycle, numbered from 0.
    ASSERT_EQ(rec.traces.size(), static_cast<size_t>(r.cycles));
    for (size_t i = 0; i < rec.traces.size(); ++i) EXPECT_EQ(rec.traces[i].cycle, int64_t(i));
  }
}

// A REPEAT before anything was issued in the run re-issues nothing but keeps its duration;
// the instruction issued in an earlier run does not count.
TEST_P(CycleModelTest, RepeatBeforeAnyIssue) {
  const int q = CoreConfig::MemQueue(0);
  Program p = Empty();
  p.queues[q] = {Instr::Repeat(2, 3), Instr::Addr(isa::Op::kRead, 1, 0, Dir::kWest),
                 Instr::Repeat(1, 1)};
  for (int run = 0; run < 2; ++run) {
    Recorder rec;
    RunResult r = RunTraced(p, rec);
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, 6 + 1 + 1 + isa::kDrainCycles);
    EXPECT_EQ(rec.IssueCycles(q), (std::vector<int64_t>{6, 7}));
  }
}

// Without a trace sink the model skips waiting cycles; the result must not change.
TEST_P(CycleModelTest, SkippingWaitsChangesNothing) {
  Program p = Empty();
  p.queues[CoreConfig::MemQueue(0)] = {
      Instr::Nop(1000), Instr::Addr(isa::Op::kRead, 2, 1, Dir::kEast), Instr::Repeat(5, 300)};
  p.queues[CoreConfig::MemQueue(2)] = {
      Instr::Nop(1003), Instr::Addr(isa::Op::kWrite, 9, 1, Dir::kEast), Instr::Nop(5000)};
  WriteMemWord(*bus_, 0, 2, Pattern(config_, 3));
  LoadProgram(*bus_, p);
  RunResult fast = RunCore(*bus_, 100'000);
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast.cycles, p.PredictedCycles());
  EXPECT_EQ(ReadMemWord(*bus_, 2, 9), Pattern(config_, 3));
  WriteMemWord(*bus_, 2, 9, std::vector<uint8_t>(config_.lanes, 0));
  Recorder rec;
  RunResult slow = RunTraced(p, rec);
  EXPECT_EQ(slow.cycles, fast.cycles);
  EXPECT_EQ(ReadMemWord(*bus_, 2, 9), Pattern(config_, 3));
}

//////////////////////////
// Slices and streams   //
//////////////////////////

// READ at t drives at t+2 at its position; the value hops one position per cycle; WRITE at t
// samples in t+1 and stores at the end of t+1.
TEST_P(CycleModelTest, StreamHopTiming) {
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
      Recorder rec;
      RunResult r = RunTraced(p, rec);
      ASSERT_TRUE(r.ok()) << r.Describe(config_);
      EXPECT_EQ(r.cycles, p.PredictedCycles());
      const std::vector<uint8_t> expected =
          offset == 0 ? Pattern(config_, 5) : std::vector<uint8_t>(config_.lanes, 0);
      EXPECT_EQ(ReadMemWord(*bus_, to, 9), expected);
      // The trace: one drive at t+2, one MEM write at t+1.
      ASSERT_GT(rec.traces.size(), static_cast<size_t>(write_at + 1));
      EXPECT_EQ(rec.traces[4].drives,
                (std::vector<DriveEvent>{{CoreConfig::MemPosition(from), dir,
                                          static_cast<int>(stream), Pattern(config_, 5)}}));
      EXPECT_EQ(rec.traces[write_at + 1].mem_writes,
                (std::vector<MemWriteEvent>{{to, 9, expected}}));
      int drives = 0;
      int writes = 0;
      for (const CycleTrace& t : rec.traces) {
        drives += static_cast<int>(t.drives.size());
        writes += static_cast<int>(t.mem_writes.size());
      }
      EXPECT_EQ(drives, 1);
      EXPECT_EQ(writes, 1);
    }
  }
}

// A slice downstream that drives the same stream replaces the value from there on.
TEST_P(CycleModelTest, DownstreamDriveOverrides) {
  const uint32_t s = 1;
  WriteMemWord(*bus_, 0, 0, Pattern(config_, 1));
  WriteMemWord(*bus_, 1, 0, Pattern(config_, 2));
  Program p = Empty();
  // mem0 (position 2) drives E in cycle 2. mem1 (position 3) samples that value in cycle 3 and
  // in the same cycle drives its own, which mem2 (position 4) samples in cycle 4.
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Addr(isa::Op::kRead, 0, s, Dir::kEast)};
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(1), Instr::Addr(isa::Op::kRead, 0, s, Dir::kEast),
                                       Instr::Addr(isa::Op::kWrite, 1, s, Dir::kEast)};
  p.queues[CoreConfig::MemQueue(2)] = {Instr::Nop(3),
                                       Instr::Addr(isa::Op::kWrite, 1, s, Dir::kEast)};
  LoadProgram(*bus_, p);
  RunResult r = RunCore(*bus_, 1000);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(ReadMemWord(*bus_, 1, 1), Pattern(config_, 1));
  EXPECT_EQ(ReadMemWord(*bus_, 2, 1), Pattern(config_, 2));
}

// LW, IW, ABC, ACC through the trace: weights live for an ABC issued with or after the IW,
// accumulators written at t+3, ACC drives four byte planes at t+2.
TEST_P(CycleModelTest, MxmPipeline) {
  const int dim = config_.mxm_dim;
  const int mxmw = CoreConfig::kQueueMxmw;
  const int mxma = CoreConfig::kQueueMxma;
  // W = identity * 3 (first set), then identity * -2 (second set). x[k] = k + 1.
  for (int r = 0; r < dim; ++r) {
    std::vector<uint8_t> a(config_.lanes, 0);
    std::vector<uint8_t> b(config_.lanes, 0);
    a[r] = 3;
    b[r] = static_cast<uint8_t>(-2);
    WriteMemWord(*bus_, 0, r, a);
    WriteMemWord(*bus_, 0, 100 + r, b);
  }
  std::vector<uint8_t> x(config_.lanes, 0);
  for (int k = 0; k < dim; ++k) x[k] = static_cast<uint8_t>(k + 1);
  WriteMemWord(*bus_, 1, 0, x);

  Program p = Empty();
  const uint32_t ws = 0;
  const uint32_t xs = 1;
  // Hops from mem0 and mem1 to the MXM.
  const int h0 = CoreConfig::MemPosition(0) - CoreConfig::MxmPosition();
  const int h1 = CoreConfig::MemPosition(1) - CoreConfig::MxmPosition();
  // mem0 READ at t drives at t+2, present at the MXM at t+2+h0: LW at t+1+h0.
  p.queues[CoreConfig::MemQueue(0)] = {Strided(isa::Op::kRead, 0, 1, ws, Dir::kWest),
                                       Instr::Repeat(static_cast<uint32_t>(dim - 1), 1),
                                       Strided(isa::Op::kRead, 100, 1, ws, Dir::kWest),
                                       Instr::Repeat(static_cast<uint32_t>(dim - 1), 1)};
  const int64_t lw0 = 1 + h0;         // the first LW
  const int64_t iw1 = lw0 + dim;      // after the first dim LWs (cycles lw0 .. lw0+dim-1)
  const int64_t iw2 = iw1 + 1 + dim;  // after the second set
  p.queues[mxmw] = {Instr::Nop(static_cast<uint32_t>(lw0)),
                    Instr::Stream(isa::Op::kLw, ws, Dir::kWest),
                    Instr::Repeat(static_cast<uint32_t>(dim - 1), 1),
                    Instr{.op = isa::Op::kIw},
                    Instr::Stream(isa::Op::kLw, ws, Dir::kWest),
                    Instr::Repeat(static_cast<uint32_t>(dim - 1), 1),
                    Instr{.op = isa::Op::kIw}};
  // The second set of LWs starts one cycle after the first IW: its READs start at iw1 - h0.
  p.queues[CoreConfig::MemQueue(0)].insert(p.queues[CoreConfig::MemQueue(0)].begin() + 2,
                                           Instr::Nop(static_cast<uint32_t>(iw1 - h0 - dim)));
  // mem1 feeds x: READ at t arrives at the MXM at t+2+h1, ABC issued at t+1+h1.
  // ABC at iw1 (new weights), ABC at iw2 - 1 (still the first set), ABC acc at iw2 (second).
  const int64_t abc0 = iw1;
  const int64_t abc1 = iw2 - 1;
  const int64_t abc2 = iw2;
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(static_cast<uint32_t>(abc0 - 1 - h1)),
                                       Instr::Addr(isa::Op::kRead, 0, xs, Dir::kWest),
                                       Instr::Nop(static_cast<uint32_t>(abc1 - abc0 - 1)),
                                       Instr::Addr(isa::Op::kRead, 0, xs, Dir::kWest),
                                       Instr::Addr(isa::Op::kRead, 0, xs, Dir::kWest)};
  const int64_t acc_at = abc2 + 3;  // the earliest ACC after the last ABC to accumulator 5
  p.queues[mxma] = {Instr::Nop(static_cast<uint32_t>(abc0)),
                    Instr::Addr(isa::Op::kAbc, 4, xs, Dir::kWest),
                    Instr::Nop(static_cast<uint32_t>(abc1 - abc0 - 1)),
                    Instr::Addr(isa::Op::kAbc, 5, xs, Dir::kWest),
                    Instr::Addr(isa::Op::kAbc, 5, xs, Dir::kWest, /*flag=*/true),
                    Instr::Nop(2),
                    Instr::Addr(isa::Op::kAcc, 5, 0, Dir::kEast)};
  Recorder rec;
  RunResult r = RunTraced(p, rec);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(rec.IssueCycles(mxmw).back(), iw2);
  EXPECT_EQ(rec.IssueCycles(mxma), (std::vector<int64_t>{abc0, abc1, abc2, acc_at}));

  std::vector<int32_t> three(dim), minus(dim);
  for (int n = 0; n < dim; ++n) {
    three[n] = 3 * (n + 1);
    minus[n] = 3 * (n + 1) - 2 * (n + 1);
  }
  std::vector<std::pair<int64_t, AccWriteEvent>> acc_writes;
  for (const CycleTrace& t : rec.traces) {
    for (const AccWriteEvent& e : t.acc_writes) acc_writes.push_back({t.cycle, e});
  }
  ASSERT_EQ(acc_writes.size(), 3u);
  EXPECT_EQ(acc_writes[0].first, abc0 + 3);
  EXPECT_EQ(acc_writes[0].second, (AccWriteEvent{4, three}));
  EXPECT_EQ(acc_writes[1].first, abc1 + 3);
  EXPECT_EQ(acc_writes[1].second, (AccWriteEvent{5, three}));
  EXPECT_EQ(acc_writes[2].first, abc2 + 3);
  EXPECT_EQ(acc_writes[2].second, (AccWriteEvent{5, minus}));

  const CycleTrace& drive = rec.traces[acc_at + 2];
  ASSERT_EQ(drive.drives.size(), 4u);
  for (int b = 0; b < 4; ++b) {
    std::vector<uint8_t> plane(config_.lanes, 0);
    for (int n = 0; n < dim; ++n) plane[n] = static_cast<uint8_t>(minus[n] >> (8 * b));
    EXPECT_EQ(drive.drives[b], (DriveEvent{0, Dir::kEast, b, plane}));
  }
}

////////////
// Errors //
////////////

struct ErrorCase {
  std::string name;
  isa::Err err;
  int queue;      // queue index the error must name
  int64_t cycle;  // run cycle the error must name
  std::vector<std::pair<int, std::vector<uint32_t>>> queues;
};

TEST_P(CycleModelTest, ErrorCodesNameCycleAndQueue) {
  const int mxmw = CoreConfig::kQueueMxmw;
  const int mxma = CoreConfig::kQueueMxma;
  const int mem0 = CoreConfig::MemQueue(0);
  const int mem1 = CoreConfig::MemQueue(1);
  const int mem2 = CoreConfig::MemQueue(2);
  const uint32_t depth = static_cast<uint32_t>(config_.mem_depth);
  const uint32_t acc_depth = static_cast<uint32_t>(config_.acc_depth);
  const uint32_t streams = static_cast<uint32_t>(config_.streams);
  auto addr_word = [](isa::Op op, uint32_t addr, uint32_t stream) {
    return Op(op) | (addr << 13) | (stream << 1);
  };
  const uint32_t nop1 = Encode(Instr::Nop(1));
  const uint32_t read_ok = Encode(Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast));
  const std::vector<ErrorCase> cases = {
      {"undefined opcode",
       isa::Err::kIllegalOpcode,
       mem2,
       5,
       {{mem2, {Encode(Instr::Nop(5)), 0x3fu << isa::kOpcodeLsb}}}},
      {"op of another unit",
       isa::Err::kIllegalOpcode,
       mem0,
       0,
       {{mem0, {Encode(Instr::Stream(isa::Op::kLw, 0, Dir::kWest))}}}},
      {"MEM op on the MXM", isa::Err::kIllegalOpcode, mxma, 1, {{mxma, {nop1, read_ok}}}},
      {"illegal beats a bad address",
       isa::Err::kIllegalOpcode,
       mxmw,
       0,
       {{mxmw, {addr_word(isa::Op::kAbc, 0x1fff, 31)}}}},
      {"address beyond depth",
       isa::Err::kAddrRange,
       mem2,
       1,
       {{mem2, {nop1, addr_word(isa::Op::kRead, depth, 0)}}}},
      {"accumulator beyond depth",
       isa::Err::kAddrRange,
       mxma,
       0,
       {{mxma, {addr_word(isa::Op::kAcc, acc_depth, 0)}}}},
      {"bad address beats a bad stream",
       isa::Err::kAddrRange,
       mem1,
       0,
       {{mem1, {addr_word(isa::Op::kWrite, depth, 31)}}}},
      {"stride runs past the end",
       isa::Err::kAddrRange,
       mem0,
       2,
       {{mem0,
         {Encode(Strided(isa::Op::kRead, depth - 2, 1, 0, Dir::kEast)),
          Encode(Instr::Repeat(3, 1))}}}},
      {"negative strided address",
       isa::Err::kAddrRange,
       mem1,
       2 + 2 * 4 - 1,
       {{mem1,
         {nop1, Encode(Strided(isa::Op::kWrite, 1, -1, 0, Dir::kEast)),
          Encode(Instr::Repeat(3, 4))}}}},
      {"stream past the last",
       isa::Err::kStreamRange,
       mem0,
       0,
       {{mem0, {addr_word(isa::Op::kRead, 0, streams)}}}},
      {"LW stream past the last",
       isa::Err::kStreamRange,
       mxmw,
       0,
       {{mxmw, {Op(isa::Op::kLw) | (streams << 1)}}}},
      {"stream group past the last stream",
       isa::Err::kStreamRange,
       mxma,
       0,
       {{mxma, {Encode(Instr::Addr(isa::Op::kAcc, 0, streams - 3, Dir::kEast))}}}},
      {"NOP 0",
       isa::Err::kBadOperand,
       mem0,
       3,
       {{mem0, {Encode(Instr::Nop(3)), Op(isa::Op::kNop)}}}},
      {"REPEAT n = 0", isa::Err::kBadOperand, mem1, 0, {{mem1, {Op(isa::Op::kRepeat) | 1}}}},
      {"REPEAT d = 0",
       isa::Err::kBadOperand,
       mxmw,
       1,
       {{mxmw, {nop1, Op(isa::Op::kRepeat) | 1 << 13}}}},
      // Several queues fail in one cycle: the lowest queue index wins, not the lowest code.
      {"lowest queue wins",
       isa::Err::kStreamRange,
       mem1,
       2,
       {{mem2, {Encode(Instr::Nop(2)), 0x3fu << isa::kOpcodeLsb}},
        {mem1, {Encode(Instr::Nop(2)), addr_word(isa::Op::kRead, 0, streams)}}}},
      // An earlier error wins over a lower queue's later one.
      {"first cycle wins",
       isa::Err::kBadOperand,
       mem2,
       1,
       {{mem2, {nop1, Op(isa::Op::kNop)}}, {mem0, {Encode(Instr::Nop(2)), 0x3fu << 26}}}},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    LoadProgram(*bus_, Empty());
    for (const auto& [q, words] : c.queues) LoadRaw(*bus_, q, words);
    Recorder rec;
    bus_->SetTraceSink(&rec);
    RunResult r = RunCore(*bus_, 1000);
    bus_->SetTraceSink(nullptr);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(ErrName(r.err), ErrName(c.err));
    EXPECT_EQ(r.err_queue, c.queue);
    EXPECT_EQ(r.err_cycle, c.cycle);
    EXPECT_EQ(r.cycles, c.cycle + 1) << "the core stops at the end of the error cycle";
    EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegStatus)), (static_cast<uint32_t>(c.err) << 8) | 2u);
    ASSERT_EQ(rec.traces.size(), static_cast<size_t>(c.cycle + 1));
    EXPECT_EQ(rec.traces.back().err, c.err);
    EXPECT_EQ(rec.traces.back().err_queue, c.queue);
    for (size_t i = 0; i + 1 < rec.traces.size(); ++i) {
      EXPECT_EQ(rec.traces[i].err, isa::Err::kNone);
    }
  }
  // The next clean run clears the error.
  LoadProgram(*bus_, Empty());
  RunResult r = RunCore(*bus_, 1000);
  EXPECT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegErrCycle)), 0u);
  EXPECT_EQ(bus_->Read(RegAddr(isa::kHostRegErrQueue)), 0u);
}

// In the error cycle the other queues still issue, and their instructions act in the next
// cycle although the core has stopped.
TEST_P(CycleModelTest, ErrorCycleIssuesStillAct) {
  const int mem0 = CoreConfig::MemQueue(0);
  const int mem1 = CoreConfig::MemQueue(1);
  const int mem2 = CoreConfig::MemQueue(2);
  WriteMemWord(*bus_, 0, 0, Pattern(config_, 7));
  WriteMemWord(*bus_, 1, 4, std::vector<uint8_t>(config_.lanes, 0xaa));
  Program p = Empty();
  // mem0 (position 2) drives in cycle 3; mem1 (position 3) samples in 4, after the run.
  p.queues[mem0] = {Instr::Nop(1), Instr::Addr(isa::Op::kRead, 0, 2, Dir::kEast)};
  p.queues[mem1] = {Instr::Nop(3), Instr::Addr(isa::Op::kWrite, 4, 2, Dir::kEast)};
  LoadProgram(*bus_, p);
  LoadRaw(*bus_, mem2, {Encode(Instr::Nop(3)), Op(isa::Op::kNop)});
  Recorder rec;
  bus_->SetTraceSink(&rec);
  RunResult r = RunCore(*bus_, 1000);
  bus_->SetTraceSink(nullptr);
  EXPECT_EQ(r.err, isa::Err::kBadOperand);
  EXPECT_EQ(r.err_cycle, 3);
  ASSERT_EQ(rec.traces.size(), 4u);
  EXPECT_EQ(
      rec.traces[3].issues,
      (std::vector<IssueEvent>{{mem1, Encode(Instr::Addr(isa::Op::kWrite, 4, 2, Dir::kEast))}}));
  EXPECT_EQ(ReadMemWord(*bus_, 1, 4), Pattern(config_, 7));
}

// A start in the cycle right after an error cycle drops the READ and ACC drives and the ABC
// accumulator writes still in flight and clears the stream registers.
TEST_P(CycleModelTest, StartFlushesWorkInFlight) {
  const int mem0 = CoreConfig::MemQueue(0);
  const int mem1 = CoreConfig::MemQueue(1);
  const int mem2 = CoreConfig::MemQueue(2);
  const int mem3 = CoreConfig::MemQueue(3);
  const int mxma = CoreConfig::kQueueMxma;
  WriteMemWord(*bus_, 1, 0, Pattern(config_, 7));
  WriteMemWord(*bus_, 3, 7, std::vector<uint8_t>(config_.lanes, 0xaa));
  Program p = Empty();
  p.queues[mem0] = {Instr::Addr(isa::Op::kWrite, 6, 2, Dir::kEast)};
  // mem1 (position 3): the READ issued in 2 drives in the start cycle of the next run; the one
  // issued in 3 (the error cycle) would drive in its run cycle 0.
  p.queues[mem1] = {Instr::Nop(2), Instr::Addr(isa::Op::kRead, 0, 3, Dir::kEast),
                    Instr::Addr(isa::Op::kRead, 0, 3, Dir::kEast)};
  // mem3 (position 5) samples E3 in cycle 1: without the clear it would catch the start-cycle
  // drive, two hops on.
  p.queues[mem3] = {Instr::Addr(isa::Op::kWrite, 7, 3, Dir::kEast)};
  // ABC issued in 2 would write in run cycle 0 of the next run, ACC issued in 3 would drive.
  p.queues[mxma] = {Instr::Nop(1), Instr::Addr(isa::Op::kAbc, 0, 0, Dir::kEast),
                    Instr::Addr(isa::Op::kAbc, 1, 0, Dir::kEast),
                    Instr::Addr(isa::Op::kAcc, 2, 4, Dir::kEast)};
  LoadProgram(*bus_, p);
  LoadRaw(*bus_, mem2, {Encode(Instr::Nop(3)), Op(isa::Op::kNop)});
  StartRun(*bus_);
  while (!bus_->Done()) bus_->Tick(1);
  Recorder rec;
  bus_->SetTraceSink(&rec);
  StartRun(*bus_);  // the cycle after the error cycle
  while (!bus_->Done()) bus_->Tick(1);
  bus_->SetTraceSink(nullptr);
  RunResult r = ReadRunResult(*bus_);
  EXPECT_EQ(r.err, isa::Err::kBadOperand);
  EXPECT_EQ(r.err_cycle, 3);
  ASSERT_EQ(rec.traces.size(), 4u);
  for (int c = 0; c < 4; ++c) {
    EXPECT_TRUE(rec.traces[c].drives.empty()) << "cycle " << c;
    EXPECT_TRUE(rec.traces[c].acc_writes.empty()) << "cycle " << c;
  }
  EXPECT_EQ(ReadMemWord(*bus_, 3, 7), std::vector<uint8_t>(config_.lanes, 0));
}

INSTANTIATE_TEST_SUITE_P(Configs, CycleModelTest, testing::ValuesIn(ConfigNames()),
                         [](const auto& info) { return info.param; });

TEST(CycleModelConfigTest, InvalidConfigIsRejected) {
  CoreConfig c = NamedConfig("default");
  c.mxm_dim = c.lanes + 4;
  EXPECT_THROW(MakeCycleModel(c), Error);
}

////////////
// Matmul //
////////////

struct MatmulCase {
  std::string config;
  MatmulShape shape;
  uint64_t seed;
};

void PrintTo(const MatmulCase& c, std::ostream* os) {
  *os << fmt::format("{} {}x{}x{} seed {}", c.config, c.shape.m, c.shape.k, c.shape.n, c.seed);
}

class ModelMatmulTest : public testing::TestWithParam<MatmulCase> {};

TEST_P(ModelMatmulTest, BitExactAndCycleExact) {
  const MatmulCase& c = GetParam();
  CoreConfig config = NamedConfig(c.config);
  MatmulPlan plan = CompileMatmul(config, c.shape);
  const auto [x, w] = RandomMatmulOperands(c.shape, c.seed);

  auto bus = MakeCycleModel(config);
  LoadMatmul(*bus, plan, x, w);
  RunResult result = RunCore(*bus, 10'000'000);
  ASSERT_TRUE(result.ok()) << result.Describe(config);
  EXPECT_EQ(result.cycles, plan.predicted_cycles);
  std::vector<int32_t> y = ReadMatmulResult(*bus, plan);
  EXPECT_EQ(y, ReferenceMatmul(c.shape, x, w));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ModelMatmulTest,
    testing::Values(MatmulCase{"small", {1, 1, 1}, 11}, MatmulCase{"small", {8, 8, 8}, 12},
                    MatmulCase{"small", {20, 30, 17}, 13}, MatmulCase{"small", {70, 16, 24}, 14},
                    MatmulCase{"small", {33, 9, 40}, 15}, MatmulCase{"default", {1, 1, 1}, 21},
                    MatmulCase{"default", {16, 16, 16}, 22},
                    MatmulCase{"default", {32, 48, 40}, 23},
                    MatmulCase{"default", {80, 70, 33}, 24},
                    MatmulCase{"default", {64, 64, 64}, 25},
                    MatmulCase{"default", {96, 40, 50}, 26}),
    [](const testing::TestParamInfo<MatmulCase>& info) {
      const MatmulCase& c = info.param;
      return fmt::format("{}_M{}K{}N{}", c.config, c.shape.m, c.shape.k, c.shape.n);
    });

}  // namespace
}  // namespace tinylpu
