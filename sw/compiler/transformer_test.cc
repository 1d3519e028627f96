// Tests for the transformer compiler on the C++ model: bit-exact layers, decode, every rejection.
#include "sw/compiler/transformer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "sw/compiler/model_case.h"
#include "sw/compiler/model_runner.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "sw/weights/safetensors.h"

namespace tinylpu {
namespace {

// A model for `config`: its reductions run over the core's lanes.
ModelConfig ForCore(ModelConfig m, const CoreConfig& config) {
  m.reduce_lanes = config.lanes;
  return m;
}

using Case = ModelCase;

std::vector<Case> Cases() {
  return {
      {"tiny_decoder", "default", BuiltinModel("tiny-decoder"), 0, 0},
      {"tiny_decoder_decode", "default", BuiltinModel("tiny-decoder"), 12, 3},
      {"tiny_encoder", "default", BuiltinModel("tiny-encoder"), 0, 0},
      {"decoder_2layer", "default", BuiltinModel("decoder-2layer"), 10, 2},
      // Three d tiles, GQA with three heads per KV head, an FFN of 5 tiles, 40 tokens: two
      // prefill runs, key tiles beyond the first.
      {"gqa_tiled", "default", CustomModel("gqa", BlockType::kDecoder, 48, 6, 2, 8, 80, 40), 36, 2},
      // d not a multiple of the lanes (padding in the norms), a per-tensor encoder.
      {"encoder_padded", "default", CustomModel("enc", BlockType::kEncoder, 40, 5, 5, 8, 56, 20), 0,
       0},
      {"small_decoder", "small", CustomModel("s-dec", BlockType::kDecoder, 16, 2, 1, 8, 32, 8), 6,
       2},
      {"small_encoder", "small", CustomModel("s-enc", BlockType::kEncoder, 16, 2, 2, 8, 24, 8), 0,
       0},
  };
}

// Every built-in model, as `tinylpu run --model NAME` runs it: the whole sequence, and two decode
// steps for decoders (decoder-64's prefill needs chunks small enough for its program to fit the
// queues).
std::vector<Case> BuiltinCases() {
  std::vector<Case> cases;
  for (const ModelConfig& m : BuiltinModels()) {
    std::string name = m.name;
    std::replace(name.begin(), name.end(), '-', '_');
    const int decode = m.is_decoder() ? 2 : 0;
    cases.push_back({name, "default", m, decode > 0 ? m.seq_len - decode : 0, decode});
  }
  return cases;
}

class TransformerModelTest : public testing::TestWithParam<Case> {};

TEST_P(TransformerModelTest, RunsBitExactInThePredictedCycles) {
  const Case& c = GetParam();
  const CoreConfig config = NamedConfig(c.config);
  const PreparedModel prepared = PrepareModel(ForCore(c.model, config));
  const MappedModel mapped = MapModel(config, prepared.golden);
  auto bus = MakeCycleModel(config);
  const ModelRunReport report =
      RunModel(*bus, mapped, prepared, ModelRunOptions{.prompt = c.prompt, .decode = c.decode});
  ExpectRunExact(report, config);
  for (const StepReport& s : report.steps) {
    // The program fits the queues (CheckFits would have thrown otherwise).
    EXPECT_LE(s.max_queue, config.queue_depth) << s.what;
  }
  EXPECT_GE(report.accuracy.cosine, 0.99);
  EXPECT_EQ(report.output.rows, (c.prompt > 0 ? c.prompt : c.model.seq_len) + c.decode);
  if (c.decode > 0) {
    EXPECT_GT(report.decode_cycles, 0);
    EXPECT_GT(report.weight_rows_per_token, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TransformerModelTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Builtin, TransformerModelTest, testing::ValuesIn(BuiltinCases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

// A checkpoint written as BF16 safetensors, loaded, quantised and run: bit-exact against the
// golden model built from the same file, and its output differs from the built-in weights'.
TEST(TransformerTest, SafetensorsCheckpointRunsBitExact) {
  const CoreConfig config = NamedConfig("default");
  ModelConfig mc = BuiltinModel("tiny-decoder");
  ModelConfig other = mc;
  other.seed = 1234;
  const std::string path = testing::TempDir() + "/tiny_decoder_bf16.safetensors";
  SaveSafetensorsWeights(path, mc, RandomWeights(other), StDtype::kBF16);
  const FloatWeights loaded = LoadSafetensorsWeights(path, mc);
  const PreparedModel prepared = PrepareModel(mc, &loaded);
  const MappedModel mapped = MapModel(config, prepared.golden);
  auto bus = MakeCycleModel(config);
  const ModelRunReport report = RunModel(*bus, mapped, prepared, {.prompt = 8});
  EXPECT_TRUE(report.bit_exact);
  EXPECT_TRUE(report.cycle_exact);
  EXPECT_GE(report.accuracy.cosine, 0.99);
  const PreparedModel builtin = PrepareModel(mc);
  EXPECT_NE(RunGoldenPrefill(prepared.golden, prepared.input_q.Rows(0, 8)).output,
            RunGoldenPrefill(builtin.golden, builtin.input_q.Rows(0, 8)).output);
}

// A corrupted weight changes the output: the check is not vacuous.
TEST(TransformerTest, AWrongWeightIsCaught) {
  const CoreConfig config = NamedConfig("default");
  const PreparedModel prepared = PrepareModel(BuiltinModel("tiny-decoder"));
  MappedModel mapped = MapModel(config, prepared.golden);
  // Flip a lane of the first W1 word in the image the host loads.
  const WordLoc w1 = mapped.mem.tensor(mapped.layers[0].w1.words).Loc(0, 0);
  for (MemWord& w : mapped.image) {
    if (w.loc == w1) w.lanes[0] ^= 0x40;
  }
  auto bus = MakeCycleModel(config);
  const ModelRunReport report = RunModel(*bus, mapped, prepared, {});
  EXPECT_FALSE(report.bit_exact);
  EXPECT_TRUE(report.cycle_exact);  // the schedule does not depend on the data
}

void ExpectError(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << part << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(TransformerTest, RejectsWhatItCannotMapNamingTheLimit) {
  const GoldenModel golden = PrepareModel(BuiltinModel("tiny-decoder")).golden;
  const CoreConfig base = NamedConfig("default");
  {
    CoreConfig c = base;
    c.mxm_dim = 8;
    ExpectError([&] { MapModel(c, golden); }, "MxmDim == NumLanes");
  }
  {
    GoldenModel g = golden;
    g.config.reduce_lanes = 8;
    ExpectError([&] { MapModel(base, g); }, "reduce_lanes = 8 must equal the core's NumLanes = 16");
  }
  {
    GoldenModel g =
        PrepareModel(CustomModel("wide-head", BlockType::kDecoder, 32, 1, 1, 32, 32, 8)).golden;
    ExpectError([&] { MapModel(base, g); }, "head_dim = 32 must divide NumLanes = 16");
  }
  {
    CoreConfig c = base;
    c.mem_slices = 3;
    ExpectError([&] { MapModel(c, golden); }, "at least 4 MEM slices");
  }
  {
    CoreConfig c = base;
    c.vxm_alus = 1;
    ExpectError([&] { MapModel(c, golden); }, "at least 2 VXM ALUs");
  }
  {
    CoreConfig c = base;
    c.streams = 4;
    ExpectError([&] { MapModel(c, golden); }, "at least 8 streams");
  }
  {
    // Weights beyond MEM: d 256, FFN 1024 is 256 K words of int8 alone.
    GoldenModel g =
        PrepareModel(CustomModel("huge", BlockType::kDecoder, 256, 16, 4, 16, 1024, 16)).golden;
    ExpectError([&] { MapModel(base, g); }, "MEM capacity exceeded");
  }
  const MappedModel m = MapModel(base, golden);
  ExpectError([&] { CompilePrefill(m, 0); }, "a prefill takes 1 to seq_len = 16 tokens, not 0");
  ExpectError([&] { CompilePrefill(m, 17); }, "not 17");
  ExpectError([&] { CompileDecode(m, 16); }, "decode position 16 is outside 1..15");
  const GoldenModel enc = PrepareModel(BuiltinModel("tiny-encoder")).golden;
  const MappedModel me = MapModel(base, enc);
  ExpectError([&] { CompileDecode(me, 3); }, "is an encoder; only decoders decode");
  auto bus = MakeCycleModel(base);
  const PreparedModel p = PrepareModel(BuiltinModel("tiny-decoder"));
  ExpectError([&] { RunModel(*bus, m, p, {.prompt = 10, .decode = 7}); },
              "a prompt of 10 tokens and 7 decode steps do not fit seq_len = 16");
  const PreparedModel pe = PrepareModel(BuiltinModel("tiny-encoder"));
  ExpectError([&] { RunModel(*bus, me, pe, {.decode = 1}); }, "--decode needs a decoder");
}

TEST(TransformerTest, ModelConfigJsonNamesTheBadField) {
  const ModelConfig c = ParseModelConfigJson(
      R"({"name": "mine", "block": "encoder", "d_model": 48, "n_heads": 6, "head_dim": 8,
          "ffn_dim": 96, "seq_len": 24, "weight_quant": "per-tensor"})",
      "mine.json");
  EXPECT_EQ(c.name, "mine");
  EXPECT_EQ(c.block, BlockType::kEncoder);
  EXPECT_EQ(c.n_kv_heads, 6);
  EXPECT_EQ(c.weight_quant, WeightQuant::kPerTensor);
  ExpectError([] { ParseModelConfigJson("{", "a.json"); }, "a.json: not valid JSON");
  ExpectError([] { ParseModelConfigJson("[]", "a.json"); },
              "a.json: a model config is a JSON object");
  ExpectError([] { ParseModelConfigJson(R"({"d_model": "32"})", "a.json"); },
              "\"d_model\" must be an integer");
  ExpectError([] { ParseModelConfigJson(R"({"dmodel": 32})", "a.json"); },
              "unknown key \"dmodel\"");
  ExpectError([] { ParseModelConfigJson(R"({"block": "mixer"})", "a.json"); },
              "\"block\" is \"mixer\"");
  ExpectError([] { ParseModelConfigJson(R"({"n_heads": 3, "n_kv_heads": 2})", "a.json"); },
              "n_kv_heads = 2 must divide n_heads = 3");
  ExpectError([] { ParseModelConfigJson(R"({"norm_eps": "small"})", "a.json"); },
              "\"norm_eps\" must be a number");
}

}  // namespace
}  // namespace tinylpu
