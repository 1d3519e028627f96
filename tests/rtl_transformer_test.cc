// Transformer layers end to end on the RTL, in lockstep with the C++ model: prefill and decode
// of decoder and encoder blocks for several shapes on two core configurations, bit-exact
// against the golden model and in exactly the predicted cycles.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sw/compiler/model_case.h"
#include "sw/compiler/model_runner.h"
#include "sw/compiler/transformer.h"
#include "tb/lockstep.h"
#include "tests/engines.h"

namespace tinylpu {
namespace {

using Case = ModelCase;

std::vector<Case> Cases() {
  return {
      // The default model: prefill of 14 tokens, then two decode steps with the KV cache.
      {"tiny_decoder", "default", BuiltinModel("tiny-decoder"), 14, 2},
      {"tiny_encoder", "default", BuiltinModel("tiny-encoder"), 0, 0},
      // Tiling (3 d tiles, 5 FFN tiles, 3 key tiles), GQA (3 query heads per KV head) and a
      // prompt longer than one prefill run.
      {"gqa_tiled", "default", CustomModel("gqa-tiled", BlockType::kDecoder, 48, 6, 2, 8, 80, 40),
       36, 1},
      {"small_decoder", "small",
       CustomModel("small-decoder", BlockType::kDecoder, 16, 2, 1, 8, 32, 8), 6, 2},
      {"small_encoder", "small",
       CustomModel("small-encoder", BlockType::kEncoder, 16, 2, 2, 8, 24, 8), 0, 0},
  };
}

class RtlTransformerTest : public testing::TestWithParam<Case> {};

TEST_P(RtlTransformerTest, LayerIsBitExactInThePredictedCycles) {
  const Case& c = GetParam();
  const CoreConfig config = NamedConfig(c.config);
  ModelConfig mc = c.model;
  mc.reduce_lanes = config.lanes;
  const PreparedModel prepared = PrepareModel(mc);
  const MappedModel mapped = MapModel(config, prepared.golden);
  // Any cycle in which RTL and model differ throws with the located report and a wave.
  auto bus = MakeEngine("lockstep", config);
  const ModelRunReport report =
      RunModel(*bus, mapped, prepared, ModelRunOptions{.prompt = c.prompt, .decode = c.decode});
  ExpectRunExact(report, config);
  EXPECT_GE(report.accuracy.cosine, 0.99);
}

INSTANTIATE_TEST_SUITE_P(Models, RtlTransformerTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace tinylpu
