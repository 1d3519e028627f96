// `tinylpu board`: bridge information and a checked matmul run on a board over its serial port.
#include "sw/cli/board_cmd.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "sw/board/board_bus.h"
#include "sw/board/serial_port.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#if LPU_HAVE_BOARD_SIM
#include "tb/board_sim.h"
#endif

namespace tinylpu {
namespace {

// The channel and the configuration it serves: a serial port, or the simulated board (whose
// core configuration is fixed when it is Verilated).
struct Link {
  std::unique_ptr<ByteChannel> channel;
  CoreConfig config;
  std::string label;
};

Link OpenLink(bool sim, const std::string& port, int baud, int timeout_ms,
              const std::string& config_name) {
  if (sim == !port.empty()) {
    throw Error(
        "board: give exactly one of --port DEVICE (a board) and --sim (the simulated "
        "board)");
  }
  if (sim) {
#if LPU_HAVE_BOARD_SIM
    const CoreConfig config = BoardSim::Config();
    if (!config_name.empty() && config_name != config.name) {
      throw Error(fmt::format("board: the simulated board runs config '{}', not '{}'", config.name,
                              config_name));
    }
    return {std::make_unique<BoardSim>(), config,
            fmt::format("the simulated board (UART at {} clocks per bit)", BoardSim::ClksPerBit())};
#else
    throw Error("board: this build has no simulated board (configured with LPU_BOARD_SIM=OFF)");
#endif
  }
  return {std::make_unique<SerialPort>(port, baud, timeout_ms),
          NamedConfig(config_name.empty() ? "fpga" : config_name),
          fmt::format("the board on {} at {} baud", port, baud)};
}

}  // namespace

BoardCommand::BoardCommand(CLI::App& app) {
  cmd_ = app.add_subcommand("board",
                            "Talk to a board's UART host bridge (ULX3S: fpga/ulx3s), or to the "
                            "simulated board with --sim");
  cmd_->require_subcommand(1);
  for (CLI::App* sub :
       {info_cmd_ = cmd_->add_subcommand("info", "Show the bridge and the core's configuration"),
       run_cmd_ = cmd_->add_subcommand(
           "run",
           "Multiply random int8 matrices on the board and check them against the C++ "
           "model")}) {
    sub->add_option("--port", port_, "Serial device of the board, e.g. /dev/ttyUSB0");
    sub->add_option("--baud", baud_, "Baud rate (the bitstream's; ULX3S default 115200)");
    sub->add_option("--timeout-ms", timeout_ms_, "Give up when the board is silent this long");
    sub->add_flag("--sim", sim_, "Use the Verilated board top over a simulated serial line");
    sub->add_option("--config", config_,
                    "Core configuration of the bitstream (default fpga; --sim: small)");
  }
  run_cmd_->add_option("--m", shape_.m, "Rows of X and Y")->check(CLI::Range(1, 4096));
  run_cmd_->add_option("--k", shape_.k, "Columns of X, rows of W")->check(CLI::Range(1, 4096));
  run_cmd_->add_option("--n", shape_.n, "Columns of W and Y")->check(CLI::Range(1, 4096));
  run_cmd_->add_option("--seed", seed_, "Seed of the random operands");
  run_cmd_->add_flag("--json", json_, "Print one JSON object instead of a line");
}

int BoardCommand::Run() { return info_cmd_->parsed() ? Info() : RunMatmulOnBoard(); }

int BoardCommand::Info() {
  Link link = OpenLink(sim_, port_, baud_, timeout_ms_, config_);
  auto bus = ConnectBoard(*link.channel, link.config);
  std::cout << fmt::format(
      "{}: host bridge version {}, bursts of up to {} words; core ID {:#010x}, configuration "
      "'{}' (CONFIG registers match)\n",
      link.label, bus->info().version, bus->info().max_burst, bus->Read(RegAddr(isa::kHostRegId)),
      link.config.name);
  return 0;
}

int BoardCommand::RunMatmulOnBoard() {
  Link link = OpenLink(sim_, port_, baud_, timeout_ms_, config_);
  const CoreConfig& config = link.config;
  const MatmulPlan plan = CompileMatmul(config, shape_);
  const auto [x, w] = RandomMatmulOperands(shape_, seed_);

  auto bus = ConnectBoard(*link.channel, config);
  LoadMatmul(*bus, plan, x, w);
  const RunResult result = RunCore(*bus, 100'000'000);
  const std::vector<int32_t> y = ReadMatmulResult(*bus, plan);

  // The same program and data on the C++ cycle model: same result, same cycle count.
  auto model = MakeCycleModel(config);
  LoadMatmul(*model, plan, x, w);
  const RunResult model_result = RunCore(*model, 100'000'000);
  const std::vector<int32_t> model_y = ReadMatmulResult(*model, plan);
  const std::vector<int32_t> expected = ReferenceMatmul(shape_, x, w);

  int64_t mismatches = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    mismatches += (y[i] != model_y[i] || y[i] != expected[i]) ? 1 : 0;
  }
  const bool bit_exact = result.ok() && mismatches == 0;
  const bool cycle_exact =
      result.cycles == model_result.cycles && result.cycles == plan.predicted_cycles;
  const BridgeStats& stats = bus->stats();
  if (json_) {
    nlohmann::json j = {{"workload", "matmul"},
                        {"shape", {{"m", shape_.m}, {"k", shape_.k}, {"n", shape_.n}}},
                        {"config", config.name},
                        {"engine", sim_ ? "board_sim" : "board"},
                        {"seed", seed_},
                        {"bit_exact", bit_exact},
                        {"mismatches", mismatches},
                        {"cycles", result.cycles},
                        {"model_cycles", model_result.cycles},
                        {"predicted_cycles", plan.predicted_cycles},
                        {"cycle_exact", cycle_exact},
                        {"frames", stats.frames},
                        {"bytes_sent", stats.bytes_sent},
                        {"bytes_received", stats.bytes_received},
                        {"status", result.Describe(config)}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format(
        "matmul {}x{}x{} int8 on {}, config '{}' (seed {}): {}, {} cycles (C++ model {}, "
        "predicted {}); {} frames, {} bytes sent, {} received{}\n",
        shape_.m, shape_.k, shape_.n, link.label, config.name, seed_,
        bit_exact ? "bit-exact"
                  : fmt::format("NOT bit-exact ({} of {} wrong)", mismatches, y.size()),
        result.cycles, model_result.cycles, plan.predicted_cycles, stats.frames, stats.bytes_sent,
        stats.bytes_received, result.ok() ? "" : ", " + result.Describe(config));
  }
  return bit_exact && cycle_exact ? 0 : 1;
}

}  // namespace tinylpu
