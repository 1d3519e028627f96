// tinylpu: the command line: runs transformer layers and matmuls on the core, assembles programs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
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
#include "sw/compiler/model_runner.h"
#include "sw/compiler/transformer.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/golden/golden.h"
#include "sw/model/cycle_model.h"
#include "sw/report/timeline.h"
#include "sw/weights/safetensors.h"
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

struct MatmulRunOptions {
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

// Random int8 matrices, compiled to a schedule, printed as assembly, assembled, run on the RTL
// and checked against the host reference.
int RunMatmul(const MatmulRunOptions& opt) {
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
    // A divergence writes an FST of the cycles around it next to --waves (or here).
    const std::filesystem::path waves(opt.waves);
    lockstep.set_waves({.dir = waves.has_parent_path() ? waves.parent_path().string() : ".",
                        .stem = "tinylpu_lockstep"});
    lockstep.set_reproduce(
        fmt::format("tinylpu matmul --engine lockstep --config {} --m {} --k {} --n {} --seed {}{}",
                    config.name, opt.shape.m, opt.shape.k, opt.shape.n, opt.seed,
                    opt.transpose_w ? " --transpose-w" : ""));
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
        "reproduce with waves: tinylpu matmul --engine {} --config {} --m {} --k {} --n {} --seed "
        "{}{} "
        "--waves tinylpu_run.fst\n",
        opt.engine == "model" ? "lockstep" : opt.engine, config.name, opt.shape.m, opt.shape.k,
        opt.shape.n, opt.seed, opt.transpose_w ? " --transpose-w" : "");
  }
  return ok ? 0 : 1;
}

struct ModelCliOptions {
  std::string model = std::string(kDefaultModel);
  std::string model_config;  // a JSON model config file instead of a built-in model
  std::string weights;       // a safetensors checkpoint instead of the built-in weights
  std::string engine = "rtl";
  std::string config = "default";
  int prompt = 0;
  int decode = 0;
  double clock_mhz = 100.0;
  bool json = false;
  bool quiet = false;
  std::string waves;
  std::string timeline;
  std::string emit_asm;
  std::string show = "prefill";  // the program --timeline and --emit-asm write
};

std::unique_ptr<HostBus> MakeBus(const std::string& engine, const CoreConfig& config,
                                 const std::string& waves, const std::string& reproduce) {
  if (engine == "model") return MakeCycleModel(config);
  if (engine == "lockstep") {
    auto bus = std::make_unique<LockstepBus>(config, SimOptions{.wave_path = waves});
    bus->lockstep().set_waves({.dir = ".", .stem = "tinylpu_lockstep"});
    bus->lockstep().set_reproduce(reproduce);
    return bus;
  }
  return MakeRtlSim(config, SimOptions{.wave_path = waves});
}

// The main job: a transformer model compiled for the core, its prefill (and decode steps) run on
// the RTL (or another engine), checked bit for bit against the golden model and cycle for cycle
// against the compiler's prediction, with accuracy against the float reference.
int RunModelCommand(const ModelCliOptions& opt) {
  CoreConfig config = NamedConfig(opt.config);
  ModelConfig mc = opt.model_config.empty()
                       ? BuiltinModel(opt.model)
                       : ParseModelConfigJson(ReadText(opt.model_config), opt.model_config);
  // The reductions of the golden model run over the core's lanes (docs/numerics.md).
  mc.reduce_lanes = config.lanes;
  FloatWeights weights;
  if (!opt.weights.empty()) weights = LoadSafetensorsWeights(opt.weights, mc);
  const PreparedModel prepared = PrepareModel(mc, opt.weights.empty() ? nullptr : &weights);
  const MappedModel mapped = MapModel(config, prepared.golden);

  // The prompt fills the sequence up to the decode steps unless --prompt says otherwise.
  const int prompt = opt.prompt > 0 ? opt.prompt : mc.seq_len - opt.decode;
  if (!opt.timeline.empty() || !opt.emit_asm.empty()) {
    // The first (or only) run of the prefill, or the first decode step.
    if (opt.show == "decode" && opt.decode == 0) {
      throw Error("--show decode needs --decode 1 or more");
    }
    const CompiledRun shown = opt.show == "decode" ? CompileDecode(mapped, prompt)
                                                   : CompilePrefill(mapped, prompt).front();
    if (!opt.timeline.empty()) {
      WriteBytes(opt.timeline,
                 TimelineSvg(shown.program, config, fmt::format("{}: {}", mc.name, shown.what)));
    }
    if (!opt.emit_asm.empty()) WriteBytes(opt.emit_asm, Disassemble(shown.program, config));
  }

  const std::string reproduce = fmt::format(
      "tinylpu run --engine lockstep --config {} {}{}{}{}", config.name,
      opt.model_config.empty() ? "--model " + mc.name : "--model-config " + opt.model_config,
      opt.weights.empty() ? "" : " --weights " + opt.weights,
      opt.prompt > 0 ? fmt::format(" --prompt {}", opt.prompt) : "",
      opt.decode > 0 ? fmt::format(" --decode {}", opt.decode) : "");
  auto bus = MakeBus(opt.engine, config, opt.waves, reproduce);
  ModelRunOptions run_opt{.prompt = opt.prompt, .decode = opt.decode};
  if (!opt.quiet) {
    run_opt.progress = [&](const std::string& what) {
      std::cerr << fmt::format("tinylpu: {} ...\n", what);
    };
  }
  ModelRunReport report;
  std::string divergence;
  try {
    report = RunModel(*bus, mapped, prepared, run_opt);
  } catch (const LockstepDivergence& d) {
    divergence = d.what();
  }
  if (!divergence.empty()) {
    std::cerr << divergence << "\n";
    return 1;
  }
  int64_t cycles = 0, predicted = 0;
  for (const StepReport& s : report.steps) {
    cycles += s.cycles;
    predicted += s.predicted_cycles;
  }
  const double tps = report.decode_cycles > 0
                         ? opt.clock_mhz * 1e6 / static_cast<double>(report.decode_cycles)
                         : 0.0;
  const bool ok = report.bit_exact && report.cycle_exact;
  const std::string shape =
      fmt::format("{}, d {}, {} heads / {} KV heads of {}, FFN {}, {} layer{}",
                  BlockTypeName(mc.block), mc.d_model, mc.n_heads, mc.n_kv_heads, mc.head_dim,
                  mc.ffn_dim, mc.n_layers, mc.n_layers == 1 ? "" : "s");
  if (opt.json) {
    nlohmann::json steps = nlohmann::json::array();
    for (const StepReport& s : report.steps) {
      steps.push_back({{"step", s.what},
                       {"tokens", s.tokens},
                       {"cycles", s.cycles},
                       {"predicted_cycles", s.predicted_cycles},
                       {"bit_exact", s.bit_exact},
                       {"status", s.result.Describe(config)},
                       {"abc", s.stats.abc},
                       {"vxm_ops", s.stats.vxm_ops},
                       {"weight_rows", s.stats.lw},
                       {"instructions", s.instructions},
                       {"longest_queue", s.max_queue}});
    }
    nlohmann::json j = {{"workload", "transformer"},
                        {"model", mc.name},
                        {"block", BlockTypeName(mc.block)},
                        {"config", config.name},
                        {"engine", opt.engine},
                        {"weights", opt.weights.empty() ? "built-in random" : opt.weights},
                        {"prompt_tokens", prompt},
                        {"decode_tokens", opt.decode},
                        {"bit_exact", report.bit_exact},
                        {"cycle_exact", report.cycle_exact},
                        {"cycles", cycles},
                        {"predicted_cycles", predicted},
                        {"prefill_cycles", report.prefill_cycles},
                        {"mxm_utilization", report.prefill_mxm_utilization},
                        {"cosine_similarity", report.accuracy.cosine},
                        {"max_abs_error", report.accuracy.max_abs_error},
                        {"steps", steps}};
    if (opt.decode > 0) {
      j["decode_cycles_per_token"] = report.decode_cycles;
      j["tokens_per_second"] = tps;
      j["clock_mhz"] = opt.clock_mhz;
    }
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format("{} ({}) on {}, config '{}', {} weights\n", mc.name, shape,
                             EngineLabel(opt.engine), config.name,
                             opt.weights.empty() ? "built-in random" : opt.weights);
    for (const StepReport& s : report.steps) {
      std::cout << fmt::format("  {}: {}, {} cycles (predicted {}){}\n", s.what,
                               s.bit_exact ? "bit-exact" : "NOT bit-exact", s.cycles,
                               s.predicted_cycles,
                               s.result.ok() ? "" : ", " + s.result.Describe(config));
    }
    std::cout << fmt::format(
        "  MXM utilisation on the prefill matmuls {:.1f}%; accuracy against the float reference: "
        "cosine similarity {:.5f}, max abs error {:.4f}\n",
        100.0 * report.prefill_mxm_utilization, report.accuracy.cosine,
        report.accuracy.max_abs_error);
    if (opt.decode > 0) {
      std::cout << fmt::format("  decode: {} cycles per token = {:.0f} tokens/s at {:.0f} MHz\n",
                               report.decode_cycles, tps, opt.clock_mhz);
    }
    std::cout << (ok ? "  result: bit-exact against the golden model, cycles as predicted\n"
                     : "  result: FAILED\n");
  }
  if (!ok) std::cerr << "reproduce in lockstep with waves: " << reproduce << " --waves run.fst\n";
  return ok ? 0 : 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"tinylpu: compile, assemble and run programs on the tinylpu core"};
  app.set_version_flag("--version", "tinylpu 0.1.0");
  app.require_subcommand(1);

  ModelCliOptions model;
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Compile a transformer model, run it on the core and check it (the main job)");
  run_cmd->add_option("--model", model.model, "Built-in model (see `tinylpu models`)");
  run_cmd->add_option("--model-config", model.model_config,
                      "A model config JSON file (shape and options) instead of a built-in model");
  run_cmd->add_option("--weights", model.weights,
                      "A safetensors checkpoint (F32/F16/BF16, LLaMA-style names) to quantise and "
                      "run instead of the built-in random weights");
  run_cmd->add_option("--config", model.config, "Core configuration (see `tinylpu configs`)");
  run_cmd
      ->add_option(
          "--engine", model.engine,
          "rtl (Verilated core), model (C++ cycle model) or lockstep (both, compared every cycle)")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  run_cmd
      ->add_option("--prompt", model.prompt,
                   "Tokens of the prefill (default: seq_len minus the decode steps)")
      ->check(CLI::Range(1, 8192));
  run_cmd
      ->add_option("--decode", model.decode,
                   "Decode steps after the prefill, one token each, with the KV cache in MEM")
      ->check(CLI::Range(0, 8192));
  run_cmd->add_option("--clock-mhz", model.clock_mhz, "Clock for the tokens-per-second figure")
      ->check(CLI::Range(1.0, 10000.0));
  run_cmd->add_flag("--json", model.json, "Print one JSON object instead of lines");
  run_cmd->add_flag("-q,--quiet", model.quiet, "No progress lines on stderr");
  run_cmd->add_option("--waves", model.waves, "Write an FST wave file of the RTL");
  run_cmd->add_option("--timeline", model.timeline,
                      "Write an SVG timeline of the program --show picks");
  run_cmd->add_option("--emit-asm", model.emit_asm, "Write the program --show picks as assembly");
  run_cmd
      ->add_option("--show", model.show,
                   "The program --timeline and --emit-asm write: prefill (its first run) or "
                   "decode (the first step)")
      ->check(CLI::IsMember({"prefill", "decode"}));

  CLI::App* models_cmd = app.add_subcommand("models", "List the built-in transformer models");

  MatmulRunOptions run;
  CLI::App* matmul_cmd = app.add_subcommand(
      "matmul", "Multiply random int8 matrices on the core and check the result");
  matmul_cmd->add_option("--config", run.config, "Core configuration (see `tinylpu configs`)");
  matmul_cmd
      ->add_option(
          "--engine", run.engine,
          "rtl (Verilated core), model (C++ cycle model) or lockstep (both, compared every cycle)")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  matmul_cmd->add_option("--m", run.shape.m, "Rows of X and Y")->check(CLI::Range(1, 4096));
  matmul_cmd->add_option("--k", run.shape.k, "Columns of X, rows of W")->check(CLI::Range(1, 4096));
  matmul_cmd->add_option("--n", run.shape.n, "Columns of W and Y")->check(CLI::Range(1, 4096));
  matmul_cmd->add_option("--seed", run.seed, "Seed of the random operands");
  matmul_cmd->add_flag("--transpose-w", run.transpose_w,
                       "Keep W in MEM one column per word and transpose it in the SXM on the way "
                       "to the MXM");
  matmul_cmd->add_flag("--json", run.json, "Print one JSON object instead of a line");
  matmul_cmd->add_option("--waves", run.waves, "Write an FST wave file of the run");
  matmul_cmd->add_option("--emit-asm", run.emit_asm, "Write the compiled program as assembly");
  matmul_cmd->add_option("--timeline", run.timeline,
                         "Write an SVG timeline of which queue issues what in which cycle");
  matmul_cmd->add_option("--max-cycles", run.max_cycles, "Give up after this many cycles");

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

  if (run_cmd->parsed()) return RunModelCommand(model);
  if (matmul_cmd->parsed()) return RunMatmul(run);
  if (models_cmd->parsed()) {
    for (const ModelConfig& m : BuiltinModels()) {
      std::cout << fmt::format(
          "{:15} {}  d {:3}  heads {:2}  kv_heads {:2}  head_dim {:2}  ffn {:4}  seq {:3}  "
          "layers {}  {} weights\n",
          m.name, BlockTypeName(m.block), m.d_model, m.n_heads, m.n_kv_heads, m.head_dim, m.ffn_dim,
          m.seq_len, m.n_layers, WeightQuantName(m.weight_quant));
    }
    return 0;
  }
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
