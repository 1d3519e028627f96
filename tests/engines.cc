// Engines of the directed tests: builds lockstep, model and rtl buses for a named config.
#include "tests/engines.h"

#include <fmt/format.h>

#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "tb/lockstep.h"
#include "tb/rtl_sim.h"

namespace tinylpu {

std::vector<EngineConfig> EngineConfigs() {
  std::vector<EngineConfig> params;
  for (const std::string& config : RtlConfigNames()) params.emplace_back("lockstep", config);
  for (const std::string& config : ConfigNames()) params.emplace_back("model", config);
  return params;
}

std::string EngineConfigName(const testing::TestParamInfo<EngineConfig>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}

std::string ReproduceCurrentTest() {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "build/bin/rtl_tests";
  return fmt::format("build/bin/rtl_tests --gtest_filter='{}.{}'", info->test_suite_name(),
                     info->name());
}

std::unique_ptr<HostBus> MakeEngine(const std::string& engine, const CoreConfig& config) {
  if (engine == "model") return MakeCycleModel(config);
  if (engine == "rtl") return MakeRtlSim(config);
  if (engine != "lockstep") throw Error(fmt::format("unknown engine '{}'", engine));
  auto bus = std::make_unique<LockstepBus>(config);
  LockstepWaves waves;
  if (const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info()) {
    waves.stem = fmt::format("{}.{}", info->test_suite_name(), info->name());
    for (char& c : waves.stem) {
      if (c == '/') c = '_';
    }
  }
  bus->lockstep().set_waves(waves);
  bus->lockstep().set_reproduce(ReproduceCurrentTest());
  return bus;
}

}  // namespace tinylpu
