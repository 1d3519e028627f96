// Engines of the directed tests: the RTL and the C++ model in lockstep, and the model alone.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "sw/core/config.h"
#include "sw/core/host_bus.h"

namespace tinylpu {

// (engine, config). "lockstep": the Verilated core and the C++ model behind one bus, compared
// every cycle (tb/lockstep.h, LockstepBus), so any difference fails the test with the located
// report, an FST of the cycles around it and the command that reproduces it; reads and run
// results are the RTL's. "model": the C++ cycle model alone (its fast path, which skips idle
// cycles when no trace sink is set). "rtl": the Verilated core alone.
using EngineConfig = std::tuple<std::string, std::string>;

// lockstep with every configuration that has a Verilated model, model with every named one.
std::vector<EngineConfig> EngineConfigs();

// Test names such as lockstep_small.
std::string EngineConfigName(const testing::TestParamInfo<EngineConfig>& info);

// Builds `engine` for `config`. A lockstep bus names the running test in its reproduce
// command and wave file.
std::unique_ptr<HostBus> MakeEngine(const std::string& engine, const CoreConfig& config);

// "build/bin/rtl_tests --gtest_filter='Suite/Test.Name/param'" for the running test.
std::string ReproduceCurrentTest();

}  // namespace tinylpu
