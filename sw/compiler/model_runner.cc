// Model runner: prefill and decode steps on an engine, checked against the golden model.
#include "sw/compiler/model_runner.h"

#include <fmt/format.h>

#include <algorithm>

#include "sw/core/error.h"
#include "sw/golden/float_ref.h"

namespace tinylpu {
namespace {

// The KV cache the core left in MEM against the golden model's.
bool CacheMatches(HostBus& bus, const MappedModel& model, const GoldenKvCache& cache) {
  for (int l = 0; l < model.golden.config.n_layers; ++l) {
    Int8Tensor k, v;
    ReadKvCache(bus, model, l, cache.length(), k, v);
    if (!(k == cache.k[l] && v == cache.v[l])) return false;
  }
  return true;
}

StepReport RunStep(HostBus& bus, const MappedModel& model, const CompiledRun& run,
                   const Int8Tensor& x) {
  StepReport step;
  step.what = run.what;
  step.tokens = run.tokens;
  step.predicted_cycles = run.predicted_cycles;
  step.stats = run.stats;
  for (const auto& q : run.program.queues) {
    step.instructions += q.size();
    step.max_queue = std::max(step.max_queue, static_cast<int>(q.size()));
  }
  WriteInput(bus, model, x);
  LoadProgram(bus, run.program);
  step.result = RunCore(bus, run.predicted_cycles + 1000);
  step.cycles = step.result.cycles;
  return step;
}

}  // namespace

ModelRunReport RunModel(HostBus& bus, const MappedModel& model, const PreparedModel& prepared,
                        const ModelRunOptions& options) {
  const ModelConfig& c = model.golden.config;
  if (options.decode < 0) throw Error("the number of decode steps cannot be negative");
  if (options.decode > 0 && !c.is_decoder()) {
    throw Error(fmt::format("model '{}' is an encoder; --decode needs a decoder", c.name));
  }
  const int prompt = options.prompt > 0 ? options.prompt : c.seq_len - options.decode;
  if (prompt < 1 || prompt + options.decode > c.seq_len) {
    throw Error(fmt::format(
        "model '{}': a prompt of {} tokens and {} decode steps do not fit seq_len = {} (the "
        "KV-cache size)",
        c.name, prompt, options.decode, c.seq_len));
  }
  ModelRunReport report;
  LoadModelImage(bus, model);

  // Prefill, in as many runs as the compiler cut it into.
  GoldenKvCache cache;
  const Int8Tensor x = prepared.input_q.Rows(0, prompt);
  if (options.progress) options.progress(fmt::format("compiling the prefill of {} tokens", prompt));
  const std::vector<CompiledRun> pre = CompilePrefill(model, prompt);
  const GoldenResult gold = RunGoldenPrefill(prepared.golden, x, &cache);
  const int layers = c.n_layers;
  int64_t abc = 0, matmul_cycles = 0;
  for (const CompiledRun& run : pre) {
    if (options.progress) options.progress(run.what);
    StepReport step = RunStep(bus, model, run, x.Rows(run.pos0, run.pos0 + run.tokens));
    const Int8Tensor out = ReadLayerOutput(bus, model, layers - 1, run.tokens);
    step.bit_exact =
        step.result.ok() && out == gold.output.Rows(run.pos0, run.pos0 + run.tokens);
    report.output.AppendRows(out);
    report.prefill_cycles += step.cycles;
    abc += step.stats.abc;
    matmul_cycles += step.stats.matmul_cycles;
    report.steps.push_back(step);
  }
  // The cache the prefill left.
  if (!CacheMatches(bus, model, cache)) report.steps.back().bit_exact = false;
  report.prefill_mxm_utilization =
      matmul_cycles > 0 ? static_cast<double>(abc) / static_cast<double>(matmul_cycles) : 0.0;

  // Decode steps, one token each at positions prompt, prompt + 1, ...
  int64_t decode_total = 0;
  for (int i = 0; i < options.decode; ++i) {
    const int pos = prompt + i;
    if (options.progress) options.progress(fmt::format("compiling the decode at position {}", pos));
    const CompiledRun dec = CompileDecode(model, pos);
    if (options.progress) options.progress(dec.what);
    const Int8Tensor token = prepared.input_q.Rows(pos, pos + 1);
    StepReport s = RunStep(bus, model, dec, token);
    const GoldenResult g = RunGoldenDecode(prepared.golden, token, cache);
    const Int8Tensor row = ReadLayerOutput(bus, model, layers - 1, 1);
    s.bit_exact = s.result.ok() && row == g.output && CacheMatches(bus, model, cache);
    report.output.AppendRows(row);
    decode_total += s.cycles;
    report.weight_rows_per_token = s.stats.lw;
    report.steps.push_back(s);
  }
  if (options.decode > 0) report.decode_cycles = decode_total / options.decode;

  report.bit_exact = std::all_of(report.steps.begin(), report.steps.end(),
                                 [](const StepReport& s) { return s.bit_exact; });
  report.cycle_exact =
      std::all_of(report.steps.begin(), report.steps.end(), [](const StepReport& s) {
        return s.result.ok() && s.cycles == s.predicted_cycles;
      });

  // Accuracy: the float reference on the same (dequantised) input, the same rows.
  const int rows = prompt + options.decode;
  const FloatResult ref =
      RunFloatPrefill(c, prepared.weights, prepared.input_dq.Rows(0, rows));
  const float s_out = prepared.golden.scales.back().out;
  report.accuracy = CompareTensors(DequantizeActivations(report.output, s_out), ref.output);
  return report;
}

}  // namespace tinylpu
