// Lockstep tests: RTL and C++ model agree cycle by cycle, and a divergence is reported precisely.
#include "tb/lockstep.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "sw/asm/assembler.h"
#include "sw/compiler/matmul.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "tb/fst_info.h"
#include "tb/rtl_sim.h"

namespace tinylpu {
namespace {

struct LockstepCase {
  std::string config;
  MatmulShape shape;
  uint64_t seed;
  bool transpose_w = false;  // W kept token-major, transposed by the SXM
};

void PrintTo(const LockstepCase& c, std::ostream* os) {
  *os << fmt::format("{} {}x{}x{} seed {}", c.config, c.shape.m, c.shape.k, c.shape.n, c.seed);
}

// Loads a random matmul into both engines of `lockstep` and returns its plan.
MatmulPlan LoadMatmul(Lockstep& lockstep, const CoreConfig& config, MatmulShape shape,
                      uint64_t seed, const MatmulOptions& options = {}) {
  MatmulPlan plan = CompileMatmul(config, shape, options);
  const auto [x, w] = RandomMatmulOperands(shape, seed);
  lockstep.LoadProgram(plan.program);
  for (const MemWord& word : PackMatmulInputs(plan, x, w)) {
    lockstep.WriteMemWord(word.loc.slice, word.loc.addr, word.lanes);
  }
  return plan;
}

class LockstepMatmulTest : public testing::TestWithParam<LockstepCase> {};

TEST_P(LockstepMatmulTest, RtlAndModelAgreeEveryCycle) {
  const LockstepCase& c = GetParam();
  std::cout << fmt::format(
      "seed {} (replay: build/bin/tinylpu matmul --engine lockstep --config {} --m {} --k {} --n {} "
      "--seed {}{} --waves run.fst)\n",
      c.seed, c.config, c.shape.m, c.shape.k, c.shape.n, c.seed,
      c.transpose_w ? " --transpose-w" : "");
  CoreConfig config = NamedConfig(c.config);
  auto rtl = MakeRtlSim(config);
  auto model = MakeCycleModel(config);
  Lockstep lockstep(*rtl, *model);
  MatmulPlan plan =
      LoadMatmul(lockstep, config, c.shape, c.seed,
                 {.w_layout = c.transpose_w ? WeightLayout::kTokenMajor : WeightLayout::kRowMajor});
  LockstepResult result = lockstep.Run(1'000'000);
  ASSERT_FALSE(result.divergence.has_value()) << result.divergence->message;
  EXPECT_TRUE(result.dut.ok()) << result.dut.Describe(config);
  EXPECT_EQ(result.dut.cycles, plan.predicted_cycles);
  EXPECT_EQ(result.cycles_compared, plan.predicted_cycles);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LockstepMatmulTest,
                         testing::Values(LockstepCase{"small", {20, 30, 17}, 31},
                                         LockstepCase{"small", {70, 16, 24}, 32},
                                         LockstepCase{"default", {32, 48, 40}, 33},
                                         LockstepCase{"default", {80, 70, 33}, 34},
                                         LockstepCase{"small", {20, 30, 17}, 35, true},
                                         LockstepCase{"default", {40, 33, 50}, 36, true}),
                         [](const testing::TestParamInfo<LockstepCase>& info) {
                           const LockstepCase& c = info.param;
                           return fmt::format("{}_M{}K{}N{}{}", c.config, c.shape.m, c.shape.k,
                                              c.shape.n, c.transpose_w ? "_TransposedW" : "");
                         });

// SYNC and NOTIFY: parked queues released together (one of them then re-issuing with REPEAT),
// a chain of releases, and an unreleased SYNC that ends in SYNC_DEADLOCK, compared every cycle.
TEST(LockstepSyncTest, RtlAndModelAgreeOnSyncNotify) {
  for (const std::string& name : RtlConfigNames()) {
    SCOPED_TRACE(name);
    CoreConfig config = NamedConfig(name);
    auto rtl = MakeRtlSim(config);
    auto model = MakeCycleModel(config);
    Lockstep lockstep(*rtl, *model);
    const int mem0 = CoreConfig::MemQueue(0);
    std::vector<uint8_t> lanes(config.lanes);
    for (int i = 0; i < config.lanes; ++i) lanes[i] = static_cast<uint8_t>(3 * i + 1);
    for (int w = 0; w < 4; ++w) {
      lanes[0] = static_cast<uint8_t>(w);
      lockstep.WriteMemWord(0, w, lanes);
      lockstep.WriteMemWord(1, w, lanes);
    }
    Instr read = Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast);
    read.stride = 1;
    Program p;
    p.queues.resize(config.num_queues());
    p.queues[mem0] = {read, Instr::Sync(), Instr::Repeat(2, 2), Instr::Notify()};
    p.queues[mem0 + 1] = {Instr::Nop(2), Instr::Sync(),
                          Instr::Addr(isa::Op::kRead, 2, 1, Dir::kEast), Instr::Sync(),
                          Instr::Addr(isa::Op::kRead, 3, 1, Dir::kEast)};
    p.queues[mem0 + 2] = {Instr::Nop(7), Instr::Addr(isa::Op::kWrite, 8, 0, Dir::kEast),
                          Instr::Repeat(2, 1)};
    p.queues[CoreConfig::kQueueMxmw] = {Instr::Nop(4), Instr::Notify()};
    lockstep.LoadProgram(p);
    LockstepResult result = lockstep.Run(10'000);
    ASSERT_FALSE(result.divergence.has_value()) << result.divergence->message;
    EXPECT_TRUE(result.dut.ok()) << result.dut.Describe(config);
    EXPECT_EQ(result.dut.cycles, p.PredictedCycles());
    EXPECT_EQ(result.cycles_compared, p.PredictedCycles());

    // Without the last NOTIFY mem1's second SYNC is never released.
    p.queues[mem0].pop_back();
    lockstep.LoadProgram(p);
    result = lockstep.Run(10'000);
    ASSERT_FALSE(result.divergence.has_value()) << result.divergence->message;
    EXPECT_EQ(ErrName(result.dut.err), ErrName(isa::Err::kSyncDeadlock));
    EXPECT_EQ(result.dut.err_queue, mem0 + 1);
    EXPECT_EQ(result.cycles_compared, result.dut.cycles);
  }
}

// A HostBus that forwards to another one but corrupts what it reports: a stand-in for a broken
// design, to prove that the checker catches and locates the fault.
class FaultyBus final : public HostBus, public TraceSink {
 public:
  enum class Fault { kMemWriteLane, kSwapOp, kDropDrive, kSxmDriveLane, kVxmLane, kErrorCode };
  // kSxmDriveLane corrupts lane 2 of the SXM's drive in its (skip+1)-th driving cycle.
  FaultyBus(HostBus& inner, Fault fault, int skip = 0)
      : inner_(inner), fault_(fault), skip_(skip) {}
  // Owns the engine it corrupts (for a LockstepBus, which owns its engines).
  FaultyBus(std::unique_ptr<HostBus> inner, Fault fault)
      : owned_(std::move(inner)), inner_(*owned_), fault_(fault) {}

  const CoreConfig& config() const override { return inner_.config(); }
  void Write(uint32_t addr, uint32_t data) override { inner_.Write(addr, data); }
  uint32_t Read(uint32_t addr) override { return inner_.Read(addr); }
  void Tick(int64_t cycles) override { inner_.Tick(cycles); }
  bool Done() const override { return inner_.Done(); }
  uint64_t Time() const override { return inner_.Time(); }
  void SetTraceSink(TraceSink* sink) override {
    sink_ = sink;
    inner_.SetTraceSink(sink ? this : nullptr);
  }

  void OnCycle(const CycleTrace& trace) override {
    CycleTrace t = trace;
    const bool before = injected_;
    if (!injected_) {
      if (fault_ == Fault::kMemWriteLane && !t.mem_writes.empty()) {
        t.mem_writes.front().lanes[3] ^= 0x10;
        injected_ = true;
      } else if (fault_ == Fault::kSwapOp) {
        for (IssueEvent& issue : t.issues) {
          auto instr = Decode(issue.word);
          if (instr && instr->op == isa::Op::kRead) {
            instr->op = isa::Op::kWrite;
            issue.word = Encode(*instr);
            injected_ = true;
            break;
          }
        }
      } else if (fault_ == Fault::kDropDrive && !t.drives.empty() && t.cycle > 20) {
        t.drives.erase(t.drives.begin());
        injected_ = true;
      } else if (fault_ == Fault::kVxmLane && !t.vxm_writes.empty() &&
                 t.vxm_writes.back().alu == 1) {
        t.vxm_writes.back().values[2] ^= 0x100;  // one ALU op computes one lane wrong
        injected_ = true;
      } else if (fault_ == Fault::kErrorCode && t.err != isa::Err::kNone) {
        t.err = isa::Err::kStreamConflict;  // a slice reports the wrong error
        injected_ = true;
      } else if (fault_ == Fault::kSxmDriveLane) {
        for (DriveEvent& d : t.drives) {
          if (d.pos != CoreConfig::SxmPosition()) continue;
          if (skip_-- == 0) {
            d.lanes[2] ^= 0x01;
            injected_ = true;
          }
          break;
        }
      }
      if (injected_ && !before) {
        fault_cycle_ = t.cycle;
        fault_clock_ = inner_.Time();
      }
    }
    if (sink_) sink_->OnCycle(t);
  }

  int64_t fault_cycle() const { return fault_cycle_; }
  // The inner engine's clock cycle (Time()) in which the fault was injected.
  uint64_t fault_clock() const { return fault_clock_; }
  const HostBus& inner() const { return inner_; }

 private:
  std::unique_ptr<HostBus> owned_;
  HostBus& inner_;
  Fault fault_;
  int skip_ = 0;
  TraceSink* sink_ = nullptr;
  bool injected_ = false;
  int64_t fault_cycle_ = -1;
  uint64_t fault_clock_ = 0;
};

// Runs a small matmul with `fault` injected into the DUT's trace; returns the divergence report
// and checks that it points at the injected cycle.
std::string FaultReport(FaultyBus::Fault fault, int64_t* fault_cycle,
                        const MatmulOptions& options = {}, int skip = 0) {
  CoreConfig config = NamedConfig("small");
  auto model_a = MakeCycleModel(config);
  auto model_b = MakeCycleModel(config);
  FaultyBus faulty(*model_a, fault, skip);
  Lockstep lockstep(faulty, *model_b);
  LoadMatmul(lockstep, config, {8, 8, 8}, 5, options);
  LockstepResult result = lockstep.Run(100'000);
  *fault_cycle = faulty.fault_cycle();
  EXPECT_GE(*fault_cycle, 0) << "the fault was never injected";
  if (!result.divergence) {
    ADD_FAILURE() << "no divergence reported";
    return "";
  }
  EXPECT_EQ(result.divergence->cycle, *fault_cycle);
  EXPECT_NE(result.divergence->message.find(fmt::format("divergence in cycle {}", *fault_cycle)),
            std::string::npos)
      << result.divergence->message;
  return result.divergence->message;
}

TEST(LockstepFaultTest, CorruptMemWriteIsLocatedBySliceLaneAndInstruction) {
  int64_t cycle = 0;
  const std::string msg = FaultReport(FaultyBus::Fault::kMemWriteLane, &cycle);
  EXPECT_NE(msg.find("MEM write on slice"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lane 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("issued `WRITE"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("in cycle {}", cycle - isa::kLatWriteStreamIn)), std::string::npos)
      << msg;
}

TEST(LockstepFaultTest, WrongOpcodeIsNamed) {
  int64_t cycle = 0;
  const std::string msg = FaultReport(FaultyBus::Fault::kSwapOp, &cycle);
  EXPECT_NE(msg.find("issued `WRITE"), std::string::npos) << msg;
  EXPECT_NE(msg.find("on the DUT but `READ"), std::string::npos) << msg;
}

TEST(LockstepFaultTest, MissingStreamDriveIsNamed) {
  int64_t cycle = 0;
  const std::string msg = FaultReport(FaultyBus::Fault::kDropDrive, &cycle);
  EXPECT_NE(msg.find("driven by the reference only"), std::string::npos) << msg;
  EXPECT_NE(msg.find("responsible: queue"), std::string::npos) << msg;
}

// A broken VXM ALU op (one lane of ALU 1's result wrong on the DUT) is named with its ALU, lane,
// cycle and instruction; the reference here is the RTL.
TEST(LockstepFaultTest, BrokenVxmOpIsLocatedByAluLaneAndInstruction) {
  const CoreConfig config = NamedConfig("small");
  auto model = MakeCycleModel(config);
  auto rtl = MakeRtlSim(config);
  FaultyBus faulty(*model, FaultyBus::Fault::kVxmLane);
  Lockstep lockstep(faulty, *rtl);
  const Program program = Assemble(R"(
.queue vxm0
    CONFIG 0, 100
    VMOV.i32 -, IMM
.queue vxm1
    CONFIG 0, 5
    NOP 2
    VADD.i32 W0, PREV, IMM
)",
                                   "vxm.asm", config);
  lockstep.LoadProgram(program);
  const LockstepResult result = lockstep.Run(1000);
  ASSERT_TRUE(result.divergence.has_value());
  EXPECT_EQ(faulty.fault_cycle(), 4);
  EXPECT_EQ(result.divergence->cycle, 4);
  const std::string& msg = result.divergence->message;
  EXPECT_NE(msg.find("divergence in cycle 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("VXM ALU 1 result register R[1]: lane 2: DUT 0x00000169, reference "
                     "0x00000069"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("queue vxm1 issued `VADD.i32 W0, PREV, IMM` in cycle 3"), std::string::npos)
      << msg;
}

// A wrong byte in a transposed column (K kept one token per word, turned by the SXM on its way
// to the MXM) is named by position, stream, lane and the TRANSPOSE with its output column.
TEST(LockstepFaultTest, BrokenSxmColumnIsLocatedByLaneAndTranspose) {
  const MatmulOptions transposed{.w_layout = WeightLayout::kTokenMajor};
  const CoreConfig config = NamedConfig("small");
  const MatmulPlan plan = CompileMatmul(config, {8, 8, 8}, transposed);
  ASSERT_FALSE(plan.program.queues[config.SxmQueue()].empty());
  for (int column : {0, 5}) {
    SCOPED_TRACE(fmt::format("column {}", column));
    int64_t cycle = 0;
    const std::string msg =
        FaultReport(FaultyBus::Fault::kSxmDriveLane, &cycle, transposed, column);
    EXPECT_NE(msg.find(fmt::format("at position {} (SXM)", CoreConfig::SxmPosition())),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("lane 2:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("queue sxm issued `TRANSPOSE"), std::string::npos) << msg;
    EXPECT_NE(msg.find(fmt::format("in cycle {} (output column {})",
                                   cycle - config.TransposeLatency() - column, column)),
              std::string::npos)
        << msg;
  }
}

// The same for a lane op: the SHIFT issued two cycles before the drive is named.
TEST(LockstepFaultTest, BrokenShiftIsLocatedByLaneAndInstruction) {
  CoreConfig config = NamedConfig("small");
  auto model_a = MakeCycleModel(config);
  auto model_b = MakeCycleModel(config);
  FaultyBus faulty(*model_a, FaultyBus::Fault::kSxmDriveLane);
  Lockstep lockstep(faulty, *model_b);
  std::vector<uint8_t> lanes(config.lanes);
  for (int l = 0; l < config.lanes; ++l) lanes[l] = static_cast<uint8_t>(l + 1);
  lockstep.WriteMemWord(0, 0, lanes);
  const Instr shift = Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 3, true, 2, Dir::kEast);
  Program p;
  p.queues.resize(config.num_queues());
  // mem0 READ at 1 drives at 3, present at the SXM at 3 + hops: SHIFT at 2 + hops.
  const int hops = CoreConfig::MemPosition(0) - CoreConfig::SxmPosition();
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Nop(1),
                                       Instr::Addr(isa::Op::kRead, 0, 0, Dir::kWest)};
  p.queues[config.SxmQueue()] = {Instr::Nop(static_cast<uint32_t>(2 + hops)), shift};
  lockstep.LoadProgram(p);
  LockstepResult result = lockstep.Run(1000);
  ASSERT_TRUE(result.divergence.has_value());
  const std::string& msg = result.divergence->message;
  EXPECT_EQ(result.divergence->cycle, faulty.fault_cycle());
  EXPECT_EQ(faulty.fault_cycle(), 2 + hops + isa::kLatShiftStreamOut);
  EXPECT_NE(msg.find("stream E2 at position 1 (SXM): lane 2:"), std::string::npos) << msg;
  EXPECT_NE(
      msg.find(fmt::format("queue sxm issued `{}` in cycle {}", FormatInstr(shift), 2 + hops)),
      std::string::npos)
      << msg;
}

// A fresh directory for wave files under the test's working directory.
std::string WaveDir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::absolute("lockstep_waves") / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}

// At a divergence the harness writes an FST of the RTL around the divergent cycle, names it in
// the report with the command that reproduces the run, and the file holds exactly that window.
// The DUT is the Verilated core with a corrupting bus on its trace; the reference is the model.
TEST(LockstepWaveTest, DivergenceWritesAWaveAroundItsCycle) {
  const CoreConfig config = NamedConfig("small");
  auto rtl = MakeRtlSim(config);
  auto model = MakeCycleModel(config);
  FaultyBus faulty(*rtl, FaultyBus::Fault::kMemWriteLane);
  Lockstep lockstep(faulty, *model);
  const std::string dir = WaveDir("mem_write");
  constexpr int64_t kBefore = 20;
  constexpr int64_t kAfter = 5;
  lockstep.set_waves(
      {.dir = dir, .stem = "faulty", .before = kBefore, .after = kAfter, .rtl = rtl.get()});
  lockstep.set_reproduce("build/bin/rtl_tests --gtest_filter='LockstepWaveTest.*'");
  LoadMatmul(lockstep, config, {8, 8, 8}, 5);
  const LockstepResult result = lockstep.Run(100'000);
  ASSERT_TRUE(result.divergence.has_value());
  const Divergence& d = *result.divergence;
  ASSERT_GT(faulty.fault_cycle(), 0);
  EXPECT_EQ(d.cycle, faulty.fault_cycle());
  const std::string path = fmt::format("{}/faulty_cycle{}.fst", dir, faulty.fault_cycle());
  EXPECT_EQ(d.wave_path, path);
  EXPECT_NE(d.message.find("MEM write on slice"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("\n  wave: " + path + " (RTL clock cycles"), std::string::npos)
      << d.message;
  EXPECT_NE(
      d.message.find(fmt::format("the divergent one is clock cycle {}", faulty.fault_clock())),
      std::string::npos)
      << d.message;
  EXPECT_NE(
      d.message.find("\n  reproduce: build/bin/rtl_tests --gtest_filter='LockstepWaveTest.*'"),
      std::string::npos)
      << d.message;
  EXPECT_EQ(d.message.find("warning"), std::string::npos) << d.message;
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const FstInfo info = ReadFstInfo(path);
  // Clock cycle k is dumped at times 2k and 2k + 1 (tb/rtl_sim.h).
  const uint64_t clock = faulty.fault_clock();
  EXPECT_EQ(info.start_time, 2 * (clock - kBefore));
  EXPECT_EQ(info.end_time, 2 * (clock + kAfter) + 1);
  EXPECT_EQ(info.blocks_start_time, info.start_time);
  EXPECT_EQ(info.blocks_end_time, info.end_time);
  EXPECT_GT(info.num_vars, 100u);  // the whole core's signals

  // The replay did not disturb the original: the RTL goes on and agrees with a second model.
  auto model2 = MakeCycleModel(config);
  Lockstep clean(*rtl, *model2);
  LoadMatmul(clean, config, {8, 8, 8}, 6);
  const LockstepResult again = clean.Run(100'000);
  EXPECT_FALSE(again.divergence.has_value()) << again.divergence->message;
  EXPECT_TRUE(again.ok());

  // A truncated or foreign file is not an FST.
  const std::string cut = dir + "/cut.fst";
  std::filesystem::copy_file(path, cut);
  std::filesystem::resize_file(cut, std::filesystem::file_size(path) - 3);
  EXPECT_THROW(ReadFstInfo(cut), Error);
  EXPECT_THROW(ReadFstInfo(dir), Error);
}

// The same through LockstepBus, the bus the directed tests run on: the first divergence throws
// with the located report, the wave and the reproduce command.
TEST(LockstepWaveTest, LockstepBusThrowsAtTheFirstDivergence) {
  const CoreConfig config = NamedConfig("small");
  auto faulty_owned =
      std::make_unique<FaultyBus>(MakeRtlSim(config), FaultyBus::Fault::kMemWriteLane);
  FaultyBus& faulty = *faulty_owned;
  LockstepBus bus(std::move(faulty_owned), MakeCycleModel(config));
  const std::string dir = WaveDir("bus");
  LockstepWaves waves;
  waves.dir = dir;
  waves.rtl = &faulty.inner();
  bus.lockstep().set_waves(waves);
  bus.lockstep().set_reproduce("the command");
  // mem0 READs word 0 eastward at 0; mem1 WRITEs it one hop east at 2.
  WriteMemWord(bus, 0, 0, std::vector<uint8_t>(config.lanes, 0x5a));
  Program p;
  p.queues.resize(config.num_queues());
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Addr(isa::Op::kRead, 0, 1, Dir::kEast)};
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(2),
                                       Instr::Addr(isa::Op::kWrite, 4, 1, Dir::kEast)};
  LoadProgram(bus, p);
  try {
    RunCore(bus, 1000);
    FAIL() << "no divergence";
  } catch (const LockstepDivergence& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.divergence().cycle, 3);
    EXPECT_EQ(faulty.fault_cycle(), 3);
    EXPECT_NE(msg.find("lockstep divergence in cycle 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("MEM write on slice 1: word 4, lane 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("queue mem1 issued `WRITE 4, E1` in cycle 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find(fmt::format("wave: {}/lockstep_small_cycle3.fst", dir)), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("reproduce: the command"), std::string::npos) << msg;
    EXPECT_NO_THROW(ReadFstInfo(e.divergence().wave_path));
  }
}

// Host reads are compared too: the model and the RTL hold different words.
TEST(LockstepWaveTest, LockstepBusComparesHostReads) {
  const CoreConfig config = NamedConfig("small");
  LockstepBus bus(config);
  LockstepWaves no_waves;
  no_waves.enabled = false;
  bus.lockstep().set_waves(no_waves);
  WriteMemWord(bus.dut(), 0, 1, std::vector<uint8_t>(config.lanes, 1));  // the RTL only
  bus.reference().Tick(config.lanes / 4);  // the same clock cycles, no writes
  try {
    ReadMemWord(bus, 0, 1);
    FAIL() << "no divergence";
  } catch (const LockstepDivergence& e) {
    EXPECT_NE(std::string(e.what()).find("host read of 0x20000020 returned 0x01010101 on the DUT, "
                                         "0x00000000 on the reference"),
              std::string::npos)
        << e.what();
  }
}

// A wrong error code is named with the queue and the instruction behind it: a SCATTER at 2 and
// a WRITE at 3 into one bank conflict in 4 (BANK_CONFLICT, here misreported by the DUT).
TEST(LockstepFaultTest, WrongErrorNamesQueueAndInstruction) {
  const CoreConfig config = NamedConfig("small");
  auto model_a = MakeCycleModel(config);
  auto model_b = MakeCycleModel(config);
  FaultyBus faulty(*model_a, FaultyBus::Fault::kErrorCode);
  Lockstep lockstep(faulty, *model_b);
  const Program p = Assemble(R"(
.queue mem1
    NOP 2
    SCATTER 0, E0, E1
    WRITE 5, E2
)",
                             "bank.asm", config);
  lockstep.LoadProgram(p);
  const LockstepResult result = lockstep.Run(1000);
  ASSERT_TRUE(result.divergence.has_value());
  const std::string& msg = result.divergence->message;
  EXPECT_EQ(result.divergence->cycle, 4);
  EXPECT_NE(msg.find("error status: DUT raised STREAM_CONFLICT in queue mem1, reference "
                     "BANK_CONFLICT in queue mem1"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("last issue of queue mem1 (reference): `WRITE 5, E2` in cycle 3"),
            std::string::npos)
      << msg;

  // A queue's own check on a control op: nothing is issued, so the model names the word.
  auto model_c = MakeCycleModel(config);
  auto model_d = MakeCycleModel(config);
  FaultyBus faulty2(*model_c, FaultyBus::Fault::kErrorCode);
  Lockstep lockstep2(faulty2, *model_d);
  Program sync;
  sync.queues.resize(config.num_queues());
  lockstep2.LoadProgram(sync);
  const uint32_t bad_sync = Encode(Instr::Sync()) | 1u;  // a reserved bit
  for (HostBus* bus : {static_cast<HostBus*>(&faulty2), model_d.get()}) {
    bus->Write(QueueAddr(CoreConfig::MemQueue(0), 0), Encode(Instr::Nop(2)));
    bus->Write(QueueAddr(CoreConfig::MemQueue(0), 1), bad_sync);
    bus->Write(RegAddr(isa::kHostRegQlen + CoreConfig::MemQueue(0)), 2);
  }
  const LockstepResult result2 = lockstep2.Run(1000);
  ASSERT_TRUE(result2.divergence.has_value());
  const std::string& msg2 = result2.divergence->message;
  EXPECT_EQ(result2.divergence->cycle, 2);
  EXPECT_NE(msg2.find("reference BAD_OPERAND in queue mem0"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find(fmt::format("queue mem0 last fetched `SYNC with reserved bits set (word "
                                  "{:#010x})` (C++ model)",
                                  bad_sync)),
            std::string::npos)
      << msg2;
}

TEST(LockstepTest, ConfigsMustMatch) {
  auto a = MakeCycleModel(NamedConfig("small"));
  auto b = MakeCycleModel(NamedConfig("default"));
  EXPECT_THROW(Lockstep(*a, *b), Error);
}

}  // namespace
}  // namespace tinylpu
