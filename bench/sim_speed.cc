// Benchmark: simulated cycles per second of the Verilated RTL and the C++ model, same program.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "sw/compiler/matmul.h"
#include "sw/compiler/schedule.h"
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

// Loads the program once per repetition (`load`) and times only the runs.
template <typename Load>
Measurement Measure(HostBus& bus, int64_t predicted_cycles, Load load, double min_seconds) {
  Measurement m;
  while (m.seconds < min_seconds || m.reps < 3) {
    load(bus);
    auto start = std::chrono::steady_clock::now();
    RunResult r = RunCore(bus, 100'000'000);
    m.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok() || r.cycles != predicted_cycles) {
      throw Error("benchmark run failed: " + r.Describe(bus.config()));
    }
    m.cycles = r.cycles;
    ++m.reps;
  }
  return m;
}

// A busy program for the VXM, SXM and MEM, one op per queue and cycle for `n` cycles: mem0
// READs words east into a two-ALU VXM chain (VMUL by IMM, then VADD of IMM; the VMUL alone on a
// one-ALU core) whose results go west to the last MEM slice, which WRITEs them; mem1 READs
// words west into the SXM, which ROTATEs them and drives them east, where mem2 uses them as
// GATHER indices.
Program VectorPipeline(const CoreConfig& c, int n) {
  const int p_vxm = c.VxmPosition();
  const int last = c.mem_slices - 1;
  // With two ALUs the VMUL's product goes to ALU 1 (PREV) for a VADD, which drives it west;
  // a core with one ALU drives the VMUL's product west itself.
  const bool chain = c.vxm_alus > 1;
  Schedule s(c);
  s.Place(c.VxmQueue(0), 0, Instr::Config(0, 3));
  if (chain) s.Place(c.VxmQueue(1), 0, Instr::Config(0, 7));
  const int hops_sxm = CoreConfig::MemPosition(1) - CoreConfig::SxmPosition();
  const int hops_gather = CoreConfig::MemPosition(2) - CoreConfig::SxmPosition();
  for (int i = 0; i < n; ++i) {
    const uint32_t word = static_cast<uint32_t>(i);
    // VXM chain: READ at i is present at the VXM in i + 2 + (p_vxm - p_mem0).
    const int64_t v = i + isa::kLatReadStreamOut + (p_vxm - CoreConfig::MemPosition(0)) - 1;
    s.Place(CoreConfig::MemQueue(0), i, Instr::Addr(isa::Op::kRead, word, 0, Dir::kEast));
    s.Place(
        c.VxmQueue(0), v,
        Instr::Vxm(isa::Op::kVmul, isa::VxmType::kI8, chain ? kVxmNone : VxmStream(Dir::kWest, 0),
                   VxmStream(Dir::kEast, 0), kVxmImm));
    if (chain) {
      s.Place(c.VxmQueue(1), v + 1,
              Instr::Vxm(isa::Op::kVadd, isa::VxmType::kI8, VxmStream(Dir::kWest, 0), kVxmPrev,
                         kVxmImm));
    }
    const int64_t out = chain ? v + 1 : v;  // issue cycle of the op that drives the result west
    const int64_t w = out + isa::kLatVaddStreamOut + (p_vxm - CoreConfig::MemPosition(last)) - 1;
    s.Place(CoreConfig::MemQueue(last), w,
            Instr::Addr(isa::Op::kWrite, static_cast<uint32_t>(n + i), 0, Dir::kWest));
    // SXM: READ west at i, ROTATE at the SXM, indices east to mem2's GATHER.
    s.Place(CoreConfig::MemQueue(1), i, Instr::Addr(isa::Op::kRead, word, 1, Dir::kWest));
    const int64_t r = i + isa::kLatReadStreamOut + hops_sxm - 1;
    s.Place(c.SxmQueue(), r,
            Instr::SxmShift(isa::Op::kRotate, 1, Dir::kWest, 3, false, 1, Dir::kEast));
    s.Place(CoreConfig::MemQueue(2), r + isa::kLatShiftStreamOut + hops_gather - 1,
            Instr::Gather(isa::Op::kGather, 0, 1, Dir::kEast, 2, Dir::kWest));
  }
  return s.Finish();
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
    auto add = [&](const std::string& workload, int64_t predicted, auto load) {
      const Measurement r = Measure(*rtl, predicted, load, min_seconds);
      const Measurement c = Measure(*model, predicted, load, min_seconds);
      const double rtl_hz = r.cycles * r.reps / r.seconds;
      const double model_hz = c.cycles * c.reps / c.seconds;
      out.push_back({{"config", name},
                     {"workload", workload},
                     {"run_cycles", r.cycles},
                     {"rtl_cycles_per_second", rtl_hz},
                     {"model_cycles_per_second", model_hz},
                     {"model_over_rtl", model_hz / rtl_hz}});
    };
    add(fmt::format("matmul {}x{}x{}", shape.m, shape.k, shape.n), plan.predicted_cycles,
        [&](HostBus& bus) { LoadMatmul(bus, plan, ops.x, ops.w); });
    // The same with W turned by the SXM's TRANSPOSE on its way from MEM to the MXM.
    const MatmulPlan turned = CompileMatmul(config, shape, {.w_layout = WeightLayout::kTokenMajor});
    add(fmt::format("matmul {}x{}x{}, W transposed by the SXM", shape.m, shape.k, shape.n),
        turned.predicted_cycles, [&](HostBus& bus) { LoadMatmul(bus, turned, ops.x, ops.w); });
    // VXM chain, SXM ROTATE and MEM READ/WRITE/GATHER every cycle.
    const int words = config.mem_depth / 4;
    const Program pipeline = VectorPipeline(config, words);
    std::mt19937 rng(1);
    add(fmt::format("vector pipeline: VXM, SXM, MEM READ/WRITE/GATHER, {} words", words),
        pipeline.PredictedCycles(), [&](HostBus& bus) {
          LoadProgram(bus, pipeline);
          std::vector<uint8_t> lanes(config.lanes);
          for (int slice : {0, 1}) {
            for (int w = 0; w < words; ++w) {
              for (auto& b : lanes) b = static_cast<uint8_t>(rng());
              WriteMemWord(bus, slice, w, lanes);
            }
          }
        });
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
