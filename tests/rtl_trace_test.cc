// RTL trace tests: hand-written programs whose every event and cycle follow from
// docs/architecture.md, checked against the CycleTraces the Verilated core reports (in lockstep
// with the model, which must report the same).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sw/asm/assembler.h"
#include "sw/core/driver.h"
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

std::string InstrText(uint32_t word) {
  auto instr = Decode(word);
  return instr ? FormatInstr(*instr) : fmt::format("{:#010x}", word);
}

// One line per event, so that a failing comparison shows which event differs.
std::string Describe(const CycleTrace& t) {
  std::string s = fmt::format("cycle {}\n", t.cycle);
  for (const IssueEvent& e : t.issues) {
    s += fmt::format("  issue q{} {:#010x} `{}`\n", e.queue, e.word, InstrText(e.word));
  }
  for (const DriveEvent& e : t.drives) {
    s += fmt::format("  drive pos {} {}{} [{:02x}]\n", e.pos, e.dir == Dir::kWest ? 'W' : 'E',
                     e.stream, fmt::join(e.lanes, " "));
  }
  for (const MemWriteEvent& e : t.mem_writes) {
    s += fmt::format("  mem write slice {} addr {} [{:02x}]\n", e.slice, e.addr,
                     fmt::join(e.lanes, " "));
  }
  for (const AccWriteEvent& e : t.acc_writes) {
    s += fmt::format("  acc write addr {} [{}]\n", e.addr, fmt::join(e.values, " "));
  }
  if (t.err != isa::Err::kNone) {
    s += fmt::format("  error {} queue {}\n", ErrName(t.err), t.err_queue);
  }
  return s;
}

// Compares whole runs cycle by cycle (the trace of cycle c is element c).
void ExpectTraces(const std::vector<CycleTrace>& got, const std::vector<CycleTrace>& want) {
  ASSERT_EQ(got.size(), want.size()) << "one CycleTrace per run cycle";
  for (size_t c = 0; c < want.size(); ++c) {
    EXPECT_EQ(Describe(got[c]), Describe(want[c]));
    EXPECT_TRUE(got[c] == want[c]) << "cycle " << c;
  }
}

// Empty traces for cycles 0 .. cycles-1.
std::vector<CycleTrace> EmptyTraces(int64_t cycles) {
  std::vector<CycleTrace> traces(static_cast<size_t>(cycles));
  for (int64_t c = 0; c < cycles; ++c) traces[c].cycle = c;
  return traces;
}

std::vector<uint8_t> Pattern(const CoreConfig& c, int seed) {
  std::vector<uint8_t> lanes(c.lanes);
  for (int i = 0; i < c.lanes; ++i) lanes[i] = static_cast<uint8_t>(seed * 37 + i * 11 + 3);
  return lanes;
}

Instr Strided(isa::Op op, uint32_t addr, uint32_t stream, Dir dir, int32_t stride,
              bool flag = false) {
  Instr instr = Instr::Addr(op, addr, stream, dir, flag);
  instr.stride = stride;
  return instr;
}

class RtlTraceTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config_ = NamedConfig(GetParam());
    // The RTL's traces, compared with the model's every cycle as they come.
    bus_ = MakeEngine("lockstep", config_);
    bus_->SetTraceSink(&recorder_);
  }
  void TearDown() override { bus_->SetTraceSink(nullptr); }

  Program Empty() const {
    Program p;
    p.queues.resize(config_.num_queues());
    return p;
  }
  // Loads and runs `program`, returning the run's traces and checking the run's length.
  std::vector<CycleTrace> Run(const Program& program, RunResult* result = nullptr) {
    LoadProgram(*bus_, program);
    recorder_.traces.clear();
    RunResult r = RunCore(*bus_, 10000);
    EXPECT_FALSE(r.timed_out);
    if (result != nullptr) *result = r;
    EXPECT_EQ(static_cast<int64_t>(recorder_.traces.size()), r.cycles)
        << "one CycleTrace per cycle CYCLES counts";
    return recorder_.traces;
  }

  CoreConfig config_;
  std::unique_ptr<HostBus> bus_;
  Recorder recorder_;
};

// A READ issued at t drives its word at t+2 at the slice's position; a WRITE issued at t
// samples the stream at t+1 and commits at the end of t+1, also when nothing is on the stream.
TEST_P(RtlTraceTest, ReadDrivesAtTPlus2AndWriteCommitsAtTPlus1) {
  ASSERT_GE(config_.mem_slices, 4);
  const int last = config_.mem_slices - 1;
  const uint32_t top = static_cast<uint32_t>(config_.streams - 1);
  WriteMemWord(*bus_, 0, 3, Pattern(config_, 1));
  WriteMemWord(*bus_, last, 0, Pattern(config_, 2));
  const Instr read = Instr::Addr(isa::Op::kRead, 3, 1, Dir::kEast);
  const Instr write_early = Instr::Addr(isa::Op::kWrite, 9, 1, Dir::kEast);
  const Instr write = Instr::Addr(isa::Op::kWrite, 7, 1, Dir::kEast);
  const Instr read_west = Instr::Addr(isa::Op::kRead, 0, top, Dir::kWest);
  Program p = Empty();
  // mem0 (position 2) reads at 3 and drives at 5; mem2 (position 4) sees the word at 7, so
  // its WRITE issues at 6; mem1 (position 3) samples at 5, before the word arrives.
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Nop(3), read};
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(4), write_early};
  p.queues[CoreConfig::MemQueue(2)] = {Instr::Nop(6), write};
  // The last slice reads at 0 and drives westward at 2.
  p.queues[CoreConfig::MemQueue(last)] = {read_west};
  ASSERT_EQ(p.FinishCycle(), 7);

  RunResult r;
  std::vector<CycleTrace> got = Run(p, &r);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  std::vector<CycleTrace> want = EmptyTraces(7 + isa::kDrainCycles);
  want[0].issues = {{CoreConfig::MemQueue(last), Encode(read_west)}};
  want[2].drives = {
      {CoreConfig::MemPosition(last), Dir::kWest, static_cast<int>(top), Pattern(config_, 2)}};
  want[3].issues = {{CoreConfig::MemQueue(0), Encode(read)}};
  want[4].issues = {{CoreConfig::MemQueue(1), Encode(write_early)}};
  want[5].drives = {{CoreConfig::MemPosition(0), Dir::kEast, 1, Pattern(config_, 1)}};
  want[5].mem_writes = {{1, 9, std::vector<uint8_t>(config_.lanes, 0)}};
  want[6].issues = {{CoreConfig::MemQueue(2), Encode(write)}};
  want[7].mem_writes = {{2, 7, Pattern(config_, 1)}};
  ExpectTraces(got, want);
  EXPECT_EQ(ReadMemWord(*bus_, 2, 7), Pattern(config_, 1));
}

// Re-issues carry the strided addr, d cycles apart; NOP and REPEAT issue nothing themselves.
TEST_P(RtlTraceTest, RepeatReissuesStridedWords) {
  for (int i = 0; i < 3; ++i) WriteMemWord(*bus_, 1, 10 - 3 * i, Pattern(config_, 20 + i));
  const Instr read = Strided(isa::Op::kRead, 10, 0, Dir::kEast, -3);
  Program p = Empty();
  // Fetched at 0, REPEAT 2, 3 fetched at 1: re-issues at 1+3-1 = 3 and 1+6-1 = 6.
  p.queues[CoreConfig::MemQueue(1)] = {read, Instr::Repeat(2, 3)};
  ASSERT_EQ(p.FinishCycle(), 7);

  RunResult r;
  std::vector<CycleTrace> got = Run(p, &r);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  std::vector<CycleTrace> want = EmptyTraces(7 + isa::kDrainCycles);
  for (int i = 0; i < 3; ++i) {
    Instr issued = read;
    issued.addr = 10 - 3 * i;
    want[3 * i].issues = {{CoreConfig::MemQueue(1), Encode(issued)}};
    want[3 * i + 2].drives = {
        {CoreConfig::MemPosition(1), Dir::kEast, 0, Pattern(config_, 20 + i)}};
  }
  ExpectTraces(got, want);
}

// SYNC and NOTIFY issue nothing themselves: the trace shows only the READ after the release,
// in the cycle after the NOTIFY. An unreleased SYNC shows SYNC_DEADLOCK in its cycle.
TEST_P(RtlTraceTest, SyncNotifyIssueNothingAndDeadlockIsTraced) {
  const int mem0 = CoreConfig::MemQueue(0);
  WriteMemWord(*bus_, 0, 1, Pattern(config_, 70));
  const Instr read = Instr::Addr(isa::Op::kRead, 1, 0, Dir::kWest);
  Program p = Empty();
  p.queues[mem0] = {Instr::Sync(), read};
  p.queues[mem0 + 1] = {Instr::Nop(3), Instr::Notify(), Instr::Notify()};
  ASSERT_EQ(p.FinishCycle(), 5);  // READ at 4 (drives at 6, in the drain); NOTIFYs at 3, 4
  RunResult r;
  std::vector<CycleTrace> got = Run(p, &r);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  std::vector<CycleTrace> want = EmptyTraces(5 + isa::kDrainCycles);
  want[4].issues = {{mem0, Encode(read)}};
  want[6].drives = {{CoreConfig::MemPosition(0), Dir::kWest, 0, Pattern(config_, 70)}};
  ExpectTraces(got, want);

  p = Empty();
  p.queues[mem0 + 1] = {Instr::Notify(), Instr::Sync()};
  got = Run(p, &r);
  ASSERT_EQ(r.err, isa::Err::kSyncDeadlock) << r.Describe(config_);
  want = EmptyTraces(3);
  want[2].err = isa::Err::kSyncDeadlock;
  want[2].err_queue = mem0 + 1;
  ExpectTraces(got, want);
}

// Weights loaded with LW, installed with IW; ABC writes its accumulator at t+3 (the second
// one adds to the first, forwarded from the write one cycle earlier); ACC drives the four byte
// planes at t+2 from position 0.
TEST_P(RtlTraceTest, AbcWritesAccumulatorAtTPlus3) {
  const int dim = config_.mxm_dim;
  ASSERT_GT(dim, 1);
  const uint32_t d = static_cast<uint32_t>(dim);
  // Weight rows k at words 0..dim-1 of mem0, the activations at words dim and dim+1.
  std::vector<std::vector<uint8_t>> words;
  for (int k = 0; k < dim + 2; ++k) {
    words.push_back(Pattern(config_, 40 + k));
    WriteMemWord(*bus_, 0, k, words.back());
  }
  auto product = [&](const std::vector<uint8_t>& x) {
    std::vector<int32_t> y(dim, 0);
    for (int n = 0; n < dim; ++n) {
      for (int k = 0; k < dim; ++k) {
        y[n] += static_cast<int8_t>(x[k]) * static_cast<int8_t>(words[k][n]);
      }
    }
    return y;
  };
  const std::vector<int32_t> y1 = product(words[dim]);
  const std::vector<int32_t> y2 = product(words[dim + 1]);
  std::vector<int32_t> sum(dim);
  for (int n = 0; n < dim; ++n) sum[n] = y1[n] + y2[n];

  // mem0 reads the rows at 0..dim-1 (westward, stream 0: present at the MXM at k+2+h, h hops
  // away) and the activations at dim and dim+1 (stream 1): the first LW issues at l0 = 1+h.
  const int h = CoreConfig::MemPosition(0) - CoreConfig::MxmPosition();
  const int l0 = 1 + h;
  const Instr rows = Strided(isa::Op::kRead, 0, 0, Dir::kWest, 1);
  const Instr acts = Strided(isa::Op::kRead, d, 1, Dir::kWest, 1);
  const Instr lw = Instr::Stream(isa::Op::kLw, 0, Dir::kWest);
  const Instr iw = Instr{.op = isa::Op::kIw};
  const Instr abc = Instr::Addr(isa::Op::kAbc, 5, 1, Dir::kWest);
  const Instr abc_acc = Instr::Addr(isa::Op::kAbc, 5, 1, Dir::kWest, /*flag=*/true);
  const Instr acc = Instr::Addr(isa::Op::kAcc, 5, 0, Dir::kEast);
  Program p = Empty();
  p.queues[CoreConfig::MemQueue(0)] = {rows, Instr::Repeat(d - 1, 1), acts, Instr::Repeat(1, 1)};
  p.queues[CoreConfig::kQueueMxmw] = {Instr::Nop(static_cast<uint32_t>(l0)), lw,
                                      Instr::Repeat(d - 1, 1), iw};
  p.queues[CoreConfig::kQueueMxma] = {Instr::Nop(d + static_cast<uint32_t>(l0)), abc, abc_acc,
                                      Instr::Nop(2), acc};
  const int t = l0 + dim;  // IW and the first ABC
  ASSERT_EQ(p.FinishCycle(), t + 5);

  RunResult r;
  std::vector<CycleTrace> got = Run(p, &r);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  std::vector<CycleTrace> want = EmptyTraces(t + 5 + isa::kDrainCycles);
  const int mem0 = CoreConfig::MemQueue(0);
  const int pos = CoreConfig::MemPosition(0);
  for (int k = 0; k < dim + 2; ++k) {
    Instr issued = k < dim ? rows : acts;
    issued.addr = static_cast<uint32_t>(k);
    want[k].issues.push_back({mem0, Encode(issued)});
    want[k + 2].drives.push_back({pos, Dir::kWest, k < dim ? 0 : 1, words[k]});
  }
  for (int k = 0; k < dim; ++k) {
    want[k + l0].issues.push_back({CoreConfig::kQueueMxmw, Encode(lw)});
  }
  want[t].issues.push_back({CoreConfig::kQueueMxmw, Encode(iw)});
  want[t].issues.push_back({CoreConfig::kQueueMxma, Encode(abc)});
  want[t + 1].issues.push_back({CoreConfig::kQueueMxma, Encode(abc_acc)});
  want[t + 4].issues.push_back({CoreConfig::kQueueMxma, Encode(acc)});
  for (auto& t : want) {
    std::sort(t.issues.begin(), t.issues.end(),
              [](const IssueEvent& a, const IssueEvent& b) { return a.queue < b.queue; });
  }
  want[t + 3].acc_writes = {{5, y1}};
  want[t + 4].acc_writes = {{5, sum}};
  // ACC at t+4 reads at t+5 and drives at t+6: stream b carries byte b of each lane.
  for (int b = 0; b < 4; ++b) {
    std::vector<uint8_t> plane(config_.lanes, 0);
    for (int n = 0; n < dim; ++n) {
      plane[n] = static_cast<uint8_t>(static_cast<uint32_t>(sum[n]) >> (8 * b));
    }
    want[t + 6].drives.push_back({CoreConfig::kMxmPosition, Dir::kEast, b, plane});
  }
  ExpectTraces(got, want);
}

// An error appears in the cycle it is raised, from the lowest failing queue; the other queues
// still issue in that cycle; nothing after the stop is reported. The next run starts afresh.
TEST_P(RtlTraceTest, ErrorInItsCycle) {
  ASSERT_GE(config_.mem_slices, 4);
  const int mem0 = CoreConfig::MemQueue(0);
  const uint32_t nop0 = static_cast<uint32_t>(isa::Op::kNop) << isa::kOpcodeLsb;
  const uint32_t undefined = 0x3fu << isa::kOpcodeLsb;
  const Instr read = Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast);
  const Instr read1 = Instr::Addr(isa::Op::kRead, 1, 2, Dir::kEast);
  WriteMemWord(*bus_, 2, 0, Pattern(config_, 60));
  WriteMemWord(*bus_, 3, 1, Pattern(config_, 61));
  LoadProgram(*bus_, Empty());
  auto load = [&](int q, const std::vector<uint32_t>& words) {
    for (size_t i = 0; i < words.size(); ++i) {
      bus_->Write(QueueAddr(q, static_cast<int>(i)), words[i]);
    }
    bus_->Write(RegAddr(isa::kHostRegQlen + q), static_cast<uint32_t>(words.size()));
  };
  // At cycle 3 mem0 fails NOP 0 and mem1 an undefined opcode (mem0, the lower queue, is
  // reported), mem2 issues a READ (whose drive would come after the stop) and mem3's READ of
  // cycle 1 drives.
  load(mem0, {Encode(Instr::Nop(3)), nop0});
  load(mem0 + 1, {Encode(Instr::Nop(3)), undefined});
  load(mem0 + 2, {Encode(Instr::Nop(3)), Encode(read)});
  load(mem0 + 3, {Encode(Instr::Nop(1)), Encode(read1)});
  recorder_.traces.clear();
  RunResult r = RunCore(*bus_, 1000);
  ASSERT_EQ(r.err, isa::Err::kBadOperand) << r.Describe(config_);
  ASSERT_EQ(r.err_cycle, 3);
  ASSERT_EQ(r.cycles, 4);
  std::vector<CycleTrace> want = EmptyTraces(4);
  want[1].issues = {{mem0 + 3, Encode(read1)}};
  want[3].issues = {{mem0 + 2, Encode(read)}};
  want[3].drives = {{CoreConfig::MemPosition(3), Dir::kEast, 2, Pattern(config_, 61)}};
  want[3].err = isa::Err::kBadOperand;
  want[3].err_queue = mem0;
  ExpectTraces(recorder_.traces, want);

  // A strided re-issue past the end fails when it would issue.
  const int end = config_.mem_depth;
  const Instr strided = Strided(isa::Op::kRead, static_cast<uint32_t>(end - 2), 0, Dir::kEast, 1);
  WriteMemWord(*bus_, 1, end - 2, Pattern(config_, 62));
  Program p = Empty();
  p.queues[mem0 + 1] = {strided, Instr::Repeat(3, 1)};
  std::vector<CycleTrace> got = Run(p, &r);
  ASSERT_EQ(r.err, isa::Err::kAddrRange) << r.Describe(config_);
  want = EmptyTraces(3);
  for (int i = 0; i < 2; ++i) {
    Instr issued = strided;
    issued.addr += static_cast<uint32_t>(i);
    want[i].issues = {{mem0 + 1, Encode(issued)}};
  }
  // The first READ drives in the error cycle; the second would drive after the stop.
  want[2].drives = {{CoreConfig::MemPosition(1), Dir::kEast, 0, Pattern(config_, 62)}};
  want[2].err = isa::Err::kAddrRange;
  want[2].err_queue = mem0 + 1;
  ExpectTraces(got, want);

  // The next run starts on empty streams and pipelines.
  got = Run(Empty(), &r);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  ExpectTraces(got, EmptyTraces(isa::kDrainCycles));
}

// Tracing belongs to one bus: buses of every configuration run interleaved, and each sink
// hears only its own bus; a bus without a sink, or whose sink was reset, reports nothing.
TEST(RtlTraceSinkTest, EachBusHasItsOwnSink) {
  struct Entry {
    CoreConfig config;
    std::unique_ptr<HostBus> bus;
    Recorder recorder;
    bool traced;
  };
  std::vector<std::unique_ptr<Entry>> entries;
  for (const std::string& name : RtlConfigNames()) {
    for (bool traced : {true, false}) {
      auto e = std::make_unique<Entry>();
      e->config = NamedConfig(name);
      e->bus = MakeRtlSim(e->config);
      e->traced = traced;
      if (traced) e->bus->SetTraceSink(&e->recorder);
      entries.push_back(std::move(e));
    }
  }
  // Each bus reads a word of its own lane count on mem0 at cycle 0 (drive at 2).
  for (auto& e : entries) {
    WriteMemWord(*e->bus, 0, 0, Pattern(e->config, 70));
    Program p;
    p.queues.resize(e->config.num_queues());
    p.queues[CoreConfig::MemQueue(0)] = {Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast)};
    LoadProgram(*e->bus, p);
  }
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    for (auto& e : entries) e->bus->Write(RegAddr(isa::kHostRegCtrl), 1);
    for (int cycle = 0; cycle < 20; ++cycle) {
      for (auto& e : entries) e->bus->Tick(1);
    }
    for (auto& e : entries) {
      SCOPED_TRACE(e->config.name);
      ASSERT_TRUE(e->bus->Done());
      std::vector<CycleTrace> want;
      if (e->traced && round == 0) {
        want = EmptyTraces(1 + isa::kDrainCycles);
        want[0].issues = {
            {CoreConfig::MemQueue(0), Encode(Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast))}};
        want[2].drives = {{CoreConfig::MemPosition(0), Dir::kEast, 0, Pattern(e->config, 70)}};
      }
      ExpectTraces(e->recorder.traces, want);
      // The second round runs with every sink reset.
      e->recorder.traces.clear();
      e->bus->SetTraceSink(nullptr);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, RtlTraceTest, testing::ValuesIn(RtlConfigNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinylpu
