// Generator tests on the C++ model: legal programs run clean, illegal ones stop as predicted.
#include "sw/verif/random_program.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "sw/verif/func_coverage.h"

namespace tinylpu::verif {
namespace {

class GeneratorTest : public testing::TestWithParam<std::string> {};

TEST_P(GeneratorTest, LegalProgramsRunCleanInThePredictedCycles) {
  const CoreConfig config = NamedConfig(GetParam());
  auto model = MakeCycleModel(config);
  TraceRecorder rec;
  model->SetTraceSink(&rec);
  FunctionalCoverage cov(config);
  const uint64_t base = SeedFromEnv(100);
  for (int i = 0; i < 150; ++i) {
    const uint64_t seed = base + i;
    SCOPED_TRACE(fmt::format("seed {}", seed));
    ProgramGenerator gen(config, seed);
    RandomCase rc = gen.Legal();
    rc.Load(*model);
    rec.Clear();
    RunResult r = RunCore(*model, rc.cycles + 100);
    ASSERT_TRUE(r.ok()) << r.Describe(config) << "\n" << rc.Listing(config);
    ASSERT_EQ(r.cycles, rc.cycles) << rc.Listing(config);
    cov.SampleRun(rc.words, rec.traces());
  }
  model->SetTraceSink(nullptr);
  EXPECT_EQ(cov.shadow_mismatches(), 0);
  // The generator reaches every slice op on every queue and both directions.
  for (const std::string& bin : cov.Missing()) {
    if (!bin.starts_with("op_queue/")) continue;
    const std::string op = bin.substr(9, bin.find('@') - 9);
    const isa::OpInfo* info = FindOpByName(op);
    if (info != nullptr && GenWeights().OpWeight(info->name) > 0) {
      ADD_FAILURE() << "never generated: " << bin;
    }
  }
}

// What the generator promises beyond "no error": no WRITE or SCATTER touches a table word (the
// PERMUTE maps, index vectors and IFETCH blocks other ops READ), every IFETCH block lands
// (appends == IFETCHes), and every sampled bin is one the coverage model defined up front.
TEST_P(GeneratorTest, TablesStayIntactAndEveryBlockLands) {
  const CoreConfig config = NamedConfig(GetParam());
  auto model = MakeCycleModel(config);
  TraceRecorder rec;
  model->SetTraceSink(&rec);
  FunctionalCoverage cov(config);
  std::map<std::string, size_t> defined;
  for (const auto& [point, bins] : cov.points()) defined[point] = bins.size();
  int ifetches = 0;
  int appends = 0;
  for (int i = 0; i < 60; ++i) {
    const uint64_t seed = 300 + i;
    SCOPED_TRACE(fmt::format("seed {}", seed));
    ProgramGenerator gen(config, seed);
    const RandomCase rc = gen.Legal();
    const auto [first, count] = TableZone(config);
    std::set<std::pair<int, int>> tables;
    for (const MemInit& m : rc.mem) {
      if (m.word >= first && m.word < first + count) tables.emplace(m.slice, m.word);
    }
    rc.Load(*model);
    rec.Clear();
    ASSERT_TRUE(RunCore(*model, rc.cycles + 100).ok());
    rc.Scrub(*model);
    for (const CycleTrace& t : rec.traces()) {
      for (const MemWriteEvent& w : t.mem_writes) {
        EXPECT_FALSE(tables.contains({w.slice, w.addr})) << "WRITE into a table word";
      }
      for (const ScatterEvent& e : t.scatters) {
        for (int a : e.addrs)
          EXPECT_FALSE(tables.contains({e.slice, a})) << "SCATTER into a table word";
      }
      appends += static_cast<int>(t.appends.size());
    }
    for (const auto& q : rc.words) {
      for (uint32_t w : q) ifetches += Decode(w)->op == isa::Op::kIfetch ? 1 : 0;
    }
    for (const auto& q : rc.appended) {
      for (uint32_t w : q) ifetches += Decode(w)->op == isa::Op::kIfetch ? 1 : 0;
    }
    cov.SampleRun(rc.words, rec.traces());
  }
  model->SetTraceSink(nullptr);
  EXPECT_GT(ifetches, 10);
  EXPECT_EQ(appends, ifetches);
  EXPECT_EQ(cov.shadow_mismatches(), 0);
  for (const auto& [point, bins] : cov.points()) {
    EXPECT_EQ(bins.size(), defined[point]) << point << " has bins the model did not define";
  }
}

TEST_P(GeneratorTest, IllegalProgramsStopWithTheirError) {
  const CoreConfig config = NamedConfig(GetParam());
  auto model = MakeCycleModel(config);
  const uint64_t base = SeedFromEnv(200);
  for (isa::Err err : ProgramGenerator::TrippableErrors()) {
    for (int i = 0; i < 30; ++i) {  // 30 consecutive seeds: every maker variant and queue kind
      const uint64_t seed = base + i;
      SCOPED_TRACE(fmt::format("{} seed {}", ErrName(err), seed));
      ProgramGenerator gen(config, seed);
      RandomCase rc = gen.Illegal(err);
      rc.Load(*model);
      RunResult r = RunCore(*model, rc.cycles + 100);
      rc.Scrub(*model);
      ASSERT_FALSE(r.timed_out);
      EXPECT_EQ(ErrName(r.err), ErrName(rc.err)) << rc.Listing(config);
      EXPECT_EQ(r.err_queue, rc.err_queue) << rc.Listing(config);
      EXPECT_EQ(r.err_cycle, rc.err_cycle) << rc.Listing(config);
      if (testing::Test::HasFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, GeneratorTest, testing::Values("small", "default"),
                         [](const auto& info) { return info.param; });

TEST(GenWeightsTest, OverridesByName) {
  GenWeights w;
  w.Apply("nop=0,repeat=3,READ=25,op=4,custom:weight_load=0");
  EXPECT_EQ(w.nop, 0);
  EXPECT_EQ(w.repeat, 3);
  EXPECT_EQ(w.OpWeight("READ"), 25);
  EXPECT_EQ(w.OpWeight("WRITE"), 4);
  EXPECT_EQ(w.custom.at("weight_load"), 0);
  EXPECT_THROW(w.Apply("bogus=1"), Error);
  EXPECT_THROW(w.Apply("nop"), Error);
  EXPECT_THROW(w.Apply("nop=-1"), Error);
  EXPECT_THROW(w.Apply("NOP=1"), Error);  // control ops have their own keys
  EXPECT_THROW(w.Apply("custom:nonesuch=1"), Error);
}

// Weights steer the mix: with only READ and NOP, nothing else is generated.
TEST(GenWeightsTest, ZeroWeightsExcludeClasses) {
  const CoreConfig config = NamedConfig("small");
  GenOptions options;
  options.weights.Apply("op=0,READ=10,repeat=0,sync=0,notify=0,custom:weight_load=0");
  ProgramGenerator gen(config, 5, options);
  RandomCase rc = gen.Legal();
  for (const auto& q : rc.words) {
    for (uint32_t w : q) {
      const isa::Op op = Decode(w)->op;
      EXPECT_TRUE(op == isa::Op::kRead || op == isa::Op::kNop) << FindOp(op)->name;
    }
  }
}

TEST(GeneratorTest, EveryErrorCodeIsTrippableOrListed) {
  const size_t codes = isa::kErrors.size() - 1;  // without NONE
  EXPECT_EQ(
      ProgramGenerator::TrippableErrors().size() + ProgramGenerator::UntrippableErrors().size(),
      codes);
  ProgramGenerator gen(NamedConfig("small"), 1);
  for (isa::Err err : ProgramGenerator::UntrippableErrors()) EXPECT_THROW(gen.Illegal(err), Error);
}

}  // namespace
}  // namespace tinylpu::verif
