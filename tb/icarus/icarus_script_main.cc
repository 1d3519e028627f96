// icarus_script: runs a compiled matmul on the Verilated core and records every host-port
// action (writes, reads with the values Verilator returned, idle cycles) as a script that
// tb/icarus/lpu_icarus_tb.v replays on Icarus Verilog.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "tb/rtl_sim.h"

namespace tinylpu {
namespace {

// Passes every call through to `inner` and records it: one line of three hex words per action.
class RecordingBus final : public HostBus {
 public:
  explicit RecordingBus(HostBus& inner) : inner_(inner) {}

  const CoreConfig& config() const override { return inner_.config(); }
  void Write(uint32_t addr, uint32_t data) override {
    FlushIdle();
    if (addr == RegAddr(isa::kHostRegCtrl) && (data & 1) != 0 && load_end_ == 0) {
      load_end_ = text_.size();
    }
    Emit(1, addr, data);
    inner_.Write(addr, data);
  }
  uint32_t Read(uint32_t addr) override {
    FlushIdle();
    const uint32_t data = inner_.Read(addr);
    Emit(2, addr, data);
    return data;
  }
  void Tick(int64_t cycles) override {
    idle_ += cycles;
    inner_.Tick(cycles);
  }
  bool Done() const override { return inner_.Done(); }
  uint64_t Time() const override { return inner_.Time(); }
  void SetTraceSink(TraceSink* sink) override { inner_.SetTraceSink(sink); }

  // The script, ending with op 0.
  std::string Finish() {
    FlushIdle();
    Emit(0, 0, 0);
    return text_;
  }
  // The actions before the first start: loading only.
  std::string LoadPrefix() const { return text_.substr(0, load_end_) + Line(0, 0, 0); }
  int64_t actions() const { return actions_; }

 private:
  void FlushIdle() {
    while (idle_ > 0) {
      const int64_t n = std::min<int64_t>(idle_, 0xffffffff);
      Emit(3, 0, static_cast<uint32_t>(n));
      idle_ -= n;
    }
  }
  static std::string Line(uint32_t op, uint32_t addr, uint32_t data) {
    return fmt::format("{:08x} {:08x} {:08x}\n", op, addr, data);
  }
  void Emit(uint32_t op, uint32_t addr, uint32_t data) {
    text_ += Line(op, addr, data);
    ++actions_;
  }

  HostBus& inner_;
  std::string text_;
  int64_t idle_ = 0;
  int64_t actions_ = 0;
  size_t load_end_ = 0;
};

int Main(int argc, char** argv) {
  CLI::App app{"Record a matmul's host-port actions on the Verilated core for Icarus"};
  std::string config_name = "small";
  std::string out_path;
  MatmulShape shape{8, 8, 8};
  uint64_t seed = 1;
  app.add_option("--config", config_name, "Core configuration (Verilated in this build)");
  app.add_option("--m", shape.m);
  app.add_option("--k", shape.k);
  app.add_option("--n", shape.n);
  app.add_option("--seed", seed);
  std::string load_path;
  app.add_option("-o,--output", out_path, "Script to write")->required();
  app.add_option("--load-script", load_path,
                 "Also write the script up to the start (loading only), for timing the run");
  CLI11_PARSE(app, argc, argv);

  const CoreConfig config = NamedConfig(config_name);
  const MatmulPlan plan = CompileMatmul(config, shape);
  const auto [x, w] = RandomMatmulOperands(shape, seed);
  auto rtl = MakeRtlSim(config);
  RecordingBus bus(*rtl);
  LoadMatmul(bus, plan, x, w);
  const RunResult result = RunCore(bus, 10'000'000);
  const std::vector<int32_t> y = ReadMatmulResult(bus, plan);
  if (!result.ok() || y != ReferenceMatmul(shape, x, w)) {
    throw Error("the Verilated run itself failed: " + result.Describe(config));
  }
  const std::string script = bus.Finish();
  const std::vector<std::pair<std::string, std::string>> files = {{out_path, script},
                                                                  {load_path, bus.LoadPrefix()}};
  for (const auto& [path, text] : files) {
    if (path.empty()) continue;
    std::ofstream out(path);
    out << text;
    if (!out) throw Error(fmt::format("{}: cannot write", path));
  }
  std::cout << fmt::format(
      "icarus_script: matmul {}x{}x{} seed {} on config '{}': {} actions, {} run cycles "
      "(Verilator), {} host cycles\n",
      shape.m, shape.k, shape.n, seed, config.name, bus.actions(), result.cycles, rtl->Time());
  return 0;
}

}  // namespace
}  // namespace tinylpu

int main(int argc, char** argv) {
  try {
    return tinylpu::Main(argc, argv);
  } catch (const tinylpu::Error& e) {
    std::cerr << "icarus_script: " << e.what() << "\n";
    return 2;
  }
}
