// Benchmark: simulated cycles per second of the Verilated RTL and the C++ model, same program.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "tb/rtl_sim.h"

namespace tinylpu {
namespace {

struct Measurement {
  int64_t cycles = 0;  // run cycles per repetition
  double seconds = 0;  // wall time of all repetitions' runs (loading excluded)
  int reps = 0;
};

// Loads the program once per repetition and times only the runs.
Measurement Measure(HostBus& bus, const MatmulPlan& plan, const MatmulOperands& ops,
                    double min_seconds) {
  Measurement m;
  while (m.seconds < min_seconds || m.reps < 3) {
    LoadMatmul(bus, plan, ops.x, ops.w);
    auto start = std::chrono::steady_clock::now();
    RunResult r = RunCore(bus, 100'000'000);
    m.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok() || r.cycles != plan.predicted_cycles) {
      throw Error("benchmark run failed: " + r.Describe(bus.config()));
    }
    m.cycles = r.cycles;
    ++m.reps;
  }
  return m;
}

int Main(int argc, char** argv) {
  CLI::App app{"Simulation speed: Verilated RTL against the C++ cycle model"};
  std::vector<std::string> configs = {"small", "default"};
  MatmulShape shape{32, 64, 32};
  double min_seconds = 1.0;
  app.add_option("--configs", configs, "Named configurations to measure");
  app.add_option("--m", shape.m);
  app.add_option("--k", shape.k);
  app.add_option("--n", shape.n);
  app.add_option("--min-seconds", min_seconds, "Minimum timed run time per engine");
  CLI11_PARSE(app, argc, argv);

  nlohmann::json out = nlohmann::json::array();
  for (const std::string& name : configs) {
    CoreConfig config = NamedConfig(name);
    MatmulPlan plan = CompileMatmul(config, shape);
    const MatmulOperands ops = RandomMatmulOperands(shape, 1);
    auto rtl = MakeRtlSim(config);
    auto model = MakeCycleModel(config);
    Measurement r = Measure(*rtl, plan, ops, min_seconds);
    Measurement c = Measure(*model, plan, ops, min_seconds);
    double rtl_hz = r.cycles * r.reps / r.seconds;
    double model_hz = c.cycles * c.reps / c.seconds;
    out.push_back({{"config", name},
                   {"workload", fmt::format("matmul {}x{}x{}", shape.m, shape.k, shape.n)},
                   {"run_cycles", r.cycles},
                   {"rtl_cycles_per_second", rtl_hz},
                   {"model_cycles_per_second", model_hz},
                   {"model_over_rtl", model_hz / rtl_hz}});
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace tinylpu

int main(int argc, char** argv) {
  try {
    return tinylpu::Main(argc, argv);
  } catch (const tinylpu::Error& e) {
    std::cerr << "sim_speed: " << e.what() << "\n";
    return 2;
  }
}
