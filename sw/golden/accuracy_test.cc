// Accuracy of the bit-exact model against the float reference for every built-in model.
#include <gtest/gtest.h>

#include <cstdio>

#include "sw/golden/golden.h"
#include "sw/weights/weights.h"

namespace tinylpu {
namespace {

class AccuracyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AccuracyTest, BitExactModelTracksFloatReference) {
  const ModelConfig c = BuiltinModel(GetParam());
  const PreparedModel p = PrepareModel(c);
  const GoldenModel& m = p.golden;
  const GoldenResult g = RunGoldenPrefill(m, p.input_q);
  const FloatResult f = RunFloatPrefill(c, p.weights, p.input_dq);
  for (int l = 0; l < c.n_layers; ++l) {
    const Accuracy a =
        CompareTensors(DequantizeActivations(g.layers[l].out, m.scales[l].out), f.layers[l].out);
    // The block's own contribution (output minus input), which the residual does not mask,
    // and the attention output.
    const FloatTensor gin = DequantizeActivations(g.layers[l].in, m.scales[l].in);
    FloatTensor gd = DequantizeActivations(g.layers[l].out, m.scales[l].out), fd = f.layers[l].out;
    for (size_t i = 0; i < gd.size(); ++i) {
      gd.data[i] -= gin.data[i];
      fd.data[i] -= f.layers[l].in.data[i];
    }
    const Accuracy delta = CompareTensors(gd, fd);
    const Accuracy attn =
        CompareTensors(DequantizeActivations(g.layers[l].attn, m.scales[l].attn), f.layers[l].attn);
    std::printf(
        "[ accuracy ] %s layer %d: cosine %.5f max_abs_error %.4f (output scale %.4f); "
        "block delta cosine %.4f; attention cosine %.4f\n",
        c.name.c_str(), l, a.cosine, a.max_abs_error, m.scales[l].out, delta.cosine, attn.cosine);
    EXPECT_GE(delta.cosine, 0.98) << "layer " << l;
    EXPECT_GE(attn.cosine, 0.98) << "layer " << l;
  }
  const Accuracy a = CompareTensors(DequantizeActivations(g.output, m.scales.back().out), f.output);
  RecordProperty("cosine", std::to_string(a.cosine));
  RecordProperty("max_abs_error", std::to_string(a.max_abs_error));
  EXPECT_GE(a.cosine, 0.99) << "max_abs_error " << a.max_abs_error;
}

// Decode with the KV cache tracks the float decode (it equals prefill bit for bit, so this
// mostly checks the float side and the API).
TEST(AccuracyDecodeTest, DecodeTracksFloatDecode) {
  const PreparedModel p = PrepareModel(BuiltinModel("decoder-2layer"));
  GoldenKvCache gc;
  FloatKvCache fc;
  RunGoldenPrefill(p.golden, p.input_q.Rows(0, 8), &gc);
  RunFloatPrefill(p.config, p.weights, p.input_dq.Rows(0, 8), &fc);
  for (int t = 8; t < p.config.seq_len; ++t) {
    const GoldenResult g = RunGoldenDecode(p.golden, p.input_q.Rows(t, t + 1), gc);
    const FloatResult f = RunFloatDecode(p.config, p.weights, p.input_dq.Rows(t, t + 1), fc);
    const Accuracy a =
        CompareTensors(DequantizeActivations(g.output, p.golden.scales.back().out), f.output);
    EXPECT_GE(a.cosine, 0.99) << t;
  }
}

TEST(AccuracyLoadedWeightsTest, PrepareModelUsesGivenWeights) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  FloatWeights w = RandomWeights(c);
  for (float& v : w.layers[0].wq.data) v *= 2;
  const PreparedModel p = PrepareModel(c, &w);
  EXPECT_EQ(p.weights.layers[0].wq, w.layers[0].wq);
  EXPECT_NE(p.golden.scales[0].q, PrepareModel(c).golden.scales[0].q);
}

INSTANTIATE_TEST_SUITE_P(Builtins, AccuracyTest, ::testing::ValuesIn(BuiltinModelNames()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace tinylpu
