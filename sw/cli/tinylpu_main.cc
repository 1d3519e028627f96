// tinylpu: the command line that compiles, assembles and runs programs on the Verilated core.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "sw/asm/assembler.h"
#include "sw/cli/board_cmd.h"
#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "sw/report/timeline.h"
#include "tb/lockstep.h"
#include "tb/rtl_sim.h"

namespace tinylpu {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open file", path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw Error(fmt::format("{}: cannot write file", path));
  }
}

std::string EngineLabel(const std::string& engine) {
  if (engine == "model") return "the C++ model";
  if (engine == "lockstep") return "RTL in lockstep with the C++ model";
  return "RTL";
}

struct RunOptions {
  std::string engine = "rtl";
  std::string config = "default";
  MatmulShape shape{32, 48, 40};
  uint64_t seed = 1;
  bool transpose_w = false;
  bool json = false;
  std::string waves;
  std::string emit_asm;
  std::string timeline;
  int64_t max_cycles = 10'000'000;
};

// The main job: random int8 matrices, compiled to a schedule, printed as assembly, assembled,
// run on the RTL and checked against the host reference.
int RunMatmul(const RunOptions& opt) {
  CoreConfig config = NamedConfig(opt.config);
  MatmulPlan plan =
      CompileMatmul(config, opt.shape,
                    MatmulOptions{.w_layout = opt.transpose_w ? WeightLayout::kTokenMajor
                                                              : WeightLayout::kRowMajor});

  const auto [x, w] = RandomMatmulOperands(opt.shape, opt.seed);

  // The compiler's output goes through the assembler, as a user's hand-written program would.
  std::string text = Disassemble(plan.program, config);
  if (!opt.emit_asm.empty()) WriteBytes(opt.emit_asm, text);
  if (!opt.timeline.empty()) {
    WriteBytes(opt.timeline,
               TimelineSvg(plan.program, config,
                           fmt::format("matmul {}x{}x{}", opt.shape.m, opt.shape.k, opt.shape.n)));
  }
  Program program = Assemble(text, "<matmul>", config);
  if (!(program == plan.program)) throw Error("internal: assembly round trip changed the program");
  plan.program = std::move(program);  // the core runs what the assembler produced

  RunResult result;
  std::vector<int32_t> y;
  std::optional<Divergence> divergence;
  if (opt.engine == "lockstep") {
    auto rtl = MakeRtlSim(config, SimOptions{.wave_path = opt.waves});
    auto model = MakeCycleModel(config);
    Lockstep lockstep(*rtl, *model);
    lockstep.LoadProgram(plan.program);
    for (const MemWord& word : PackMatmulInputs(plan, x, w)) {
      lockstep.WriteMemWord(word.loc.slice, word.loc.addr, word.lanes);
    }
    LockstepResult lr = lockstep.Run(opt.max_cycles);
    result = lr.dut;
    divergence = lr.divergence;
    y = UnpackMatmulOutput(
        plan, [&](const WordLoc& loc) { return lockstep.ReadMemWord(loc.slice, loc.addr); });
  } else {
    std::unique_ptr<HostBus> bus = opt.engine == "model"
                                       ? MakeCycleModel(config)
                                       : MakeRtlSim(config, SimOptions{.wave_path = opt.waves});
    LoadMatmul(*bus, plan, x, w);
    result = RunCore(*bus, opt.max_cycles);
    y = ReadMatmulResult(*bus, plan);
  }
  if (divergence) std::cerr << divergence->message << "\n";
  std::vector<int32_t> expected = ReferenceMatmul(opt.shape, x, w);

  int64_t mismatches = 0;
  for (size_t i = 0; i < y.size(); ++i) mismatches += y[i] != expected[i] ? 1 : 0;
  const bool bit_exact = result.ok() && mismatches == 0 && !divergence;
  // A run cut short (error, time-out, divergence) did not do all its ABCs: no utilisation.
  const double utilization =
      result.ok() && !divergence && result.cycles > 0
          ? static_cast<double>(plan.abc_count) / static_cast<double>(result.cycles)
          : 0.0;
  const std::string status =
      divergence ? fmt::format("stopped at the lockstep divergence in cycle {}", divergence->cycle)
                 : result.Describe(config);
  const std::string shape = fmt::format("{}x{}x{}", opt.shape.m, opt.shape.k, opt.shape.n);
  if (opt.json) {
    nlohmann::json j = {
        {"workload", "matmul"},
        {"shape", {{"m", opt.shape.m}, {"k", opt.shape.k}, {"n", opt.shape.n}}},
        {"config", config.name},
        {"engine", opt.engine},
        {"w_layout", opt.transpose_w ? "token_major" : "row_major"},
        {"lockstep_divergence", divergence ? divergence->message : ""},
        {"seed", opt.seed},
        {"bit_exact", bit_exact},
        {"mismatches", mismatches},
        {"cycles", result.cycles},
        {"predicted_cycles", plan.predicted_cycles},
        {"cycle_exact", result.cycles == plan.predicted_cycles},
        {"mxm_utilization", utilization},
        {"status", status},
    };
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format(
        "matmul {}{} int8 on {}, config '{}' (seed {}): {}, {} cycles (predicted {}), "
        "MXM utilisation {:.1f}%{}\n",
        shape, opt.transpose_w ? " (W transposed by the SXM)" : "", EngineLabel(opt.engine),
        config.name, opt.seed,
        bit_exact ? "bit-exact"
                  : fmt::format("NOT bit-exact ({} of {} wrong)", mismatches, y.size()),
        result.cycles, plan.predicted_cycles, 100.0 * utilization,
        status == "ok" ? "" : ", " + status);
  }
  const bool ok = bit_exact && result.cycles == plan.predicted_cycles;
  if (!ok) {
    std::cerr << fmt::format(
        "reproduce with waves: tinylpu run --engine {} --config {} --m {} --k {} --n {} --seed "
        "{}{} "
        "--waves tinylpu_run.fst\n",
        opt.engine == "model" ? "lockstep" : opt.engine, config.name, opt.shape.m, opt.shape.k,
        opt.shape.n, opt.seed, opt.transpose_w ? " --transpose-w" : "");
  }
  return ok ? 0 : 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"tinylpu: compile, assemble and run programs on the tinylpu core"};
  app.require_subcommand(1);

  RunOptions run;
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Multiply random int8 matrices on the Verilated core and check the result");
  run_cmd->add_option("--config", run.config, "Core configuration (see `tinylpu configs`)");
  run_cmd
      ->add_option(
          "--engine", run.engine,
          "rtl (Verilated core), model (C++ cycle model) or lockstep (both, compared every cycle)")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  run_cmd->add_option("--m", run.shape.m, "Rows of X and Y")->check(CLI::Range(1, 4096));
  run_cmd->add_option("--k", run.shape.k, "Columns of X, rows of W")->check(CLI::Range(1, 4096));
  run_cmd->add_option("--n", run.shape.n, "Columns of W and Y")->check(CLI::Range(1, 4096));
  run_cmd->add_option("--seed", run.seed, "Seed of the random operands");
  run_cmd->add_flag("--transpose-w", run.transpose_w,
                    "Keep W in MEM one column per word and transpose it in the SXM on the way "
                    "to the MXM");
  run_cmd->add_flag("--json", run.json, "Print one JSON object instead of a line");
  run_cmd->add_option("--waves", run.waves, "Write an FST wave file of the run");
  run_cmd->add_option("--emit-asm", run.emit_asm, "Write the compiled program as assembly");
  run_cmd->add_option("--timeline", run.timeline,
                      "Write an SVG timeline of which queue issues what in which cycle");
  run_cmd->add_option("--max-cycles", run.max_cycles, "Give up after this many cycles");

  std::string config_name = "default";
  std::string in_path;
  std::string out_path;
  CLI::App* asm_cmd = app.add_subcommand("asm", "Assemble a text program into a binary image");
  asm_cmd->add_option("input", in_path, "Assembly file")->required();
  asm_cmd->add_option("-o,--output", out_path, "Binary image to write")->required();
  asm_cmd->add_option("--config", config_name, "Core configuration");

  CLI::App* disasm_cmd = app.add_subcommand("disasm", "Print a binary image as assembly");
  disasm_cmd->add_option("input", in_path, "Binary image")->required();
  disasm_cmd->add_option("--config", config_name, "Core configuration");

  CLI::App* timeline_cmd =
      app.add_subcommand("timeline", "Draw an assembly program's schedule as an SVG timeline");
  timeline_cmd->add_option("input", in_path, "Assembly file")->required();
  timeline_cmd->add_option("-o,--output", out_path, "SVG file to write")->required();
  timeline_cmd->add_option("--config", config_name, "Core configuration");

  CLI::App* configs_cmd = app.add_subcommand("configs", "List the named core configurations");
  BoardCommand board(app);

  CLI11_PARSE(app, argc, argv);

  if (run_cmd->parsed()) return RunMatmul(run);
  if (board.parsed()) return board.Run();
  if (asm_cmd->parsed()) {
    CoreConfig config = NamedConfig(config_name);
    Program program = Assemble(ReadText(in_path), in_path, config);
    program.CheckFits(config);
    std::vector<uint8_t> image = ToBinary(program);
    WriteBytes(out_path, std::string(image.begin(), image.end()));
    return 0;
  }
  if (disasm_cmd->parsed()) {
    CoreConfig config = NamedConfig(config_name);
    std::string bytes = ReadText(in_path);
    Program program = FromBinary(std::vector<uint8_t>(bytes.begin(), bytes.end()), in_path);
    program.CheckFits(config);
    std::cout << Disassemble(program, config);
    return 0;
  }
  if (timeline_cmd->parsed()) {
    CoreConfig config = NamedConfig(config_name);
    Program program = Assemble(ReadText(in_path), in_path, config);
    WriteBytes(out_path, TimelineSvg(program, config, in_path));
    return 0;
  }
  if (configs_cmd->parsed()) {
    for (const std::string& name : AllConfigNames()) {
      CoreConfig c = NamedConfig(name);
      std::cout << fmt::format(
          "{:8} lanes {:3}  streams {:2}  mem_slices {:2}  mem_depth {:5}  mxm {:2}x{:<2}  "
          "acc_depth {:4}  queue_depth {:5}  vxm_alus {:2}\n",
          c.name, c.lanes, c.streams, c.mem_slices, c.mem_depth, c.mxm_dim, c.mxm_dim, c.acc_depth,
          c.queue_depth, c.vxm_alus);
    }
    return 0;
  }
  return 1;
}

}  // namespace
}  // namespace tinylpu

int main(int argc, char** argv) {
  try {
    return tinylpu::Main(argc, argv);
  } catch (const tinylpu::Error& e) {
    std::cerr << "tinylpu: " << e.what() << "\n";
    return 2;
  }
}
