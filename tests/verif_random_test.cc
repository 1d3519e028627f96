// Random lockstep regression: generated programs on the RTL and the C++ model compared every
// cycle, illegal programs checked for code, cycle and queue, runs under random initial values;
// functional coverage of every run goes to a JSON file per test (tools/coverage_check.py).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <tuple>

#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "sw/verif/func_coverage.h"
#include "sw/verif/random_program.h"
#include "tb/lockstep.h"
#include "tb/rtl_sim.h"
#include "tests/test_env.h"

namespace tinylpu::verif {
namespace {

std::string Waves() {
  const char* v = std::getenv("LPU_WAVES");
  return v != nullptr ? v : "";
}

// The command that replays one seed of this test with waves.
std::string Replay(uint64_t seed, const std::string& extra = "") {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  return fmt::format(
      "replay: LPU_SEED={} LPU_ITERS=1{} LPU_WAVES=fail.fst build/bin/verif_tests "
      "--gtest_filter='{}.{}'",
      seed, extra, info->test_suite_name(), info->name());
}

std::string FcovFile(const std::string& config) {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  std::string name = fmt::format("{}.{}", info->test_suite_name(), info->name());
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  (void)config;
  return name + ".json";
}

// The RTL (optionally with random initial values) and the model in lockstep, with coverage.
struct Bench {
  Bench(const CoreConfig& config, uint32_t x_seed)
      : config(config),
        rtl(MakeRtlSim(config, SimOptions{.wave_path = Waves(), .x_seed = x_seed})),
        model(MakeCycleModel(config)),
        lockstep(*rtl, *model),
        cov(config) {
    lockstep.set_observer(&rec);
  }
  // Runs one case on both engines; returns the RTL's result (failures recorded).
  RunResult Run(const RandomCase& rc, const std::string& replay) {
    LockstepResult r;
    try {
      rc.Load(*rtl);
      rc.Load(*model);
      rec.Clear();
      r = lockstep.Run(rc.cycles + 200);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what() << "\n"
                    << rc.description << "\n"
                    << replay << "\nprogram:\n"
                    << rc.Listing(config);
      return RunResult{.timed_out = true};
    }
    rc.Scrub(*rtl);
    rc.Scrub(*model);
    cov.SampleRun(rc.words, rec.traces());
    if (r.divergence) {
      ADD_FAILURE() << r.divergence->message << "\n"
                    << rc.description << "\n"
                    << replay << "\nprogram:\n"
                    << rc.Listing(config);
    }
    return r.dut;
  }
  CoreConfig config;
  std::unique_ptr<HostBus> rtl;
  std::unique_ptr<HostBus> model;
  Lockstep lockstep;
  TraceRecorder rec;
  FunctionalCoverage cov;
};

class RandomLockstepTest : public testing::TestWithParam<std::string> {};

// Legal programs run to completion in the predicted number of cycles, and the RTL and the model
// agree in every cycle. LPU_SEED=<n> sets the first seed (iteration i uses n + i), LPU_ITERS the
// number of programs, LPU_GEN_WEIGHTS the class weights.
TEST_P(RandomLockstepTest, LegalProgramsAgree) {
  const CoreConfig config = NamedConfig(GetParam());
  const uint64_t base = SeedFromEnv(1);
  const int64_t iters = EnvInt("LPU_ITERS", config.name == "small" ? 150 : 50);
  std::cout << fmt::format("seeds {}..{} ({})\n", base, base + iters - 1, Replay(base));
  GenOptions options;
  options.weights = GenWeights::FromEnv();
  Bench bench(config, 0);
  for (int64_t i = 0; i < iters && !HasFailure(); ++i) {
    const uint64_t seed = base + i;
    ProgramGenerator gen(config, seed, options);
    const RandomCase rc = gen.Legal();
    const RunResult r = bench.Run(rc, Replay(seed));
    EXPECT_TRUE(r.ok()) << r.Describe(config) << " in a legal program\n"
                        << Replay(seed) << "\n"
                        << rc.Listing(config);
    EXPECT_EQ(r.cycles, rc.cycles) << Replay(seed);
  }
  EXPECT_EQ(bench.cov.shadow_mismatches(), 0);
  std::cout << "functional coverage: "
            << bench.cov.Write("random_legal", FcovFile(config.name), LPU_FCOV_DEFAULT_DIR) << "\n";
}

// Illegal programs: each error code the generator can trip stops the run in the predicted
// cycle and queue, on both engines alike. LPU_ERR=<NAME> restricts it to one code.
TEST_P(RandomLockstepTest, IllegalProgramsTripEachError) {
  const CoreConfig config = NamedConfig(GetParam());
  const uint64_t base = SeedFromEnv(1);
  // 30 consecutive seeds enumerate every maker variant and queue kind (ProgramGenerator::
  // Illegal); the default config, five times slower to run, gets 12.
  const int64_t iters = EnvInt("LPU_ITERS", config.name == "small" ? 30 : 12);
  const char* only = std::getenv("LPU_ERR");
  std::cout << fmt::format("seeds {}..{} per error code\n", base, base + iters - 1);
  Bench bench(config, 0);
  for (isa::Err err : ProgramGenerator::TrippableErrors()) {
    if (only != nullptr && *only != '\0' && ErrName(err) != only) continue;
    for (int64_t i = 0; i < iters && !HasFailure(); ++i) {
      const uint64_t seed = base + i;
      const std::string replay = Replay(seed, " LPU_ERR=" + ErrName(err));
      ProgramGenerator gen(config, seed);
      const RandomCase rc = gen.Illegal(err);
      const RunResult r = bench.Run(rc, replay);
      EXPECT_EQ(ErrName(r.err), ErrName(rc.err)) << replay << "\n" << rc.Listing(config);
      EXPECT_EQ(r.err_queue, rc.err_queue) << replay << "\n" << rc.Listing(config);
      EXPECT_EQ(r.err_cycle, rc.err_cycle) << replay << "\n" << rc.Listing(config);
      EXPECT_EQ(r.cycles, rc.err_cycle + 1) << replay;
    }
  }
  std::cout << "functional coverage: "
            << bench.cov.Write("random_illegal", FcovFile(config.name), LPU_FCOV_DEFAULT_DIR)
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(Configs, RandomLockstepTest, testing::ValuesIn(RtlConfigNames()),
                         [](const auto& info) { return info.param; });

// X and reset robustness: the RTL starts from Verilator's random initial values (every
// variable, the RAMs included), the model from zeros. After reset and after the host has
// cleared the state a program may read (MEM words, weights, accumulators), the two must agree
// in every cycle, and a compiled matmul must be bit-exact.
using XCase = std::tuple<std::string, uint32_t>;
class XInitTest : public testing::TestWithParam<XCase> {};

// Clears MEM through the host port and the MXM weights and accumulators with a program.
void ClearState(Bench& b) {
  const CoreConfig& c = b.config;
  // The RTL's RAMs start random: the first words of a slice are not all zero.
  uint32_t any = 0;
  for (int word = 0; word < 4; ++word) {
    any |= b.rtl->Read(MemAddr(0, word, 0));
    b.model->Read(MemAddr(0, word, 0));
  }
  EXPECT_NE(any, 0u) << "random initial values are not in effect";
  for (int slice = 0; slice < c.mem_slices; ++slice) {
    for (int word = 0; word < c.mem_depth; ++word) {
      for (int chunk = 0; chunk < c.lanes / 4; ++chunk) {
        b.rtl->Write(MemAddr(slice, word, chunk), 0);
        b.model->Write(MemAddr(slice, word, chunk), 0);
      }
    }
  }
  Program p;
  p.queues.resize(c.num_queues());
  auto& w = p.queues[CoreConfig::kQueueMxmw];
  auto& a = p.queues[CoreConfig::kQueueMxma];
  // East-going stream 0 at position 0 is always zero: LW loads zero rows, ABC multiplies zero.
  for (int k = 0; k < c.mxm_dim; ++k) w.push_back(Instr::Stream(isa::Op::kLw, 0, Dir::kEast));
  w.push_back(Instr{.op = isa::Op::kIw});
  for (int k = 0; k < c.mxm_dim; ++k) w.push_back(Instr::Stream(isa::Op::kLw, 0, Dir::kEast));
  for (int i = 0; i < c.acc_depth; ++i) {
    a.push_back(Instr::Addr(isa::Op::kAbc, static_cast<uint32_t>(i), 0, Dir::kEast));
  }
  RandomCase rc;
  for (const auto& q : p.queues) {
    rc.words.emplace_back();
    for (const Instr& i : q) rc.words.back().push_back(Encode(i));
  }
  rc.cycles = p.PredictedCycles();
  rc.description = "state-clearing prologue";
  const RunResult r = b.Run(rc, "");
  EXPECT_TRUE(r.ok()) << r.Describe(c);
}

TEST_P(XInitTest, RandomProgramsAndMatmulAgree) {
  const auto& [name, x_seed] = GetParam();
  const CoreConfig config = NamedConfig(name);
  {
    Bench bench(config, x_seed);
    ClearState(bench);
    const uint64_t base = SeedFromEnv(1000 + x_seed);
    // Fewer programs on the default config: a clean run there costs about five times more.
    const int64_t iters = EnvInt("LPU_ITERS", name == "small" ? 25 : 10);
    std::cout << fmt::format("x seed {}, program seeds {}..{}\n", x_seed, base, base + iters - 1);
    for (int64_t i = 0; i < iters && !HasFailure(); ++i) {
      const uint64_t seed = base + i;
      ProgramGenerator gen(config, seed);
      const RandomCase rc = gen.Legal();
      const RunResult r = bench.Run(rc, Replay(seed));
      EXPECT_TRUE(r.ok()) << r.Describe(config) << "\n" << Replay(seed);
    }
  }
  const MatmulShape shape = name == "small" ? MatmulShape{20, 30, 17} : MatmulShape{16, 40, 24};
  auto rtl = MakeRtlSim(config, SimOptions{.wave_path = "", .x_seed = x_seed});
  const MatmulPlan plan = CompileMatmul(config, shape);
  const auto [x, w] = RandomMatmulOperands(shape, x_seed);
  LoadMatmul(*rtl, plan, x, w);
  const RunResult r = RunCore(*rtl, 1'000'000);
  ASSERT_TRUE(r.ok()) << r.Describe(config);
  EXPECT_EQ(r.cycles, plan.predicted_cycles);
  EXPECT_EQ(ReadMatmulResult(*rtl, plan), ReferenceMatmul(shape, x, w));
}

// Three random-init seeds on `small`, one on the other configurations (a default-core run costs
// about twice as much; `make nightly` runs more seeds through LPU_SEED).
std::vector<XCase> XCases() {
  std::vector<XCase> cases;
  for (const std::string& c : RtlConfigNames()) {
    for (uint32_t s : {1u, 2u, 3u}) {
      if (c == "small" || s == 1) cases.emplace_back(c, s);
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Seeds, XInitTest, testing::ValuesIn(XCases()),
                         [](const testing::TestParamInfo<XCase>& info) {
                           return fmt::format("{}_x{}", std::get<0>(info.param),
                                              std::get<1>(info.param));
                         });

}  // namespace
}  // namespace tinylpu::verif
