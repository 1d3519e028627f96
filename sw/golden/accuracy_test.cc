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
  const FloatWeights w = RandomWeights(c);
  const FloatTensor input = BuiltinInput(c);
  const GoldenModel m = BuildGoldenModel(c, w, input);
  const Int8Tensor xq = QuantizeActivations(input, m.scales[0].in);
  const GoldenResult g = RunGoldenPrefill(m, xq);
  const FloatResult f = RunFloatPrefill(c, w, DequantizeActivations(xq, m.scales[0].in));
  for (int l = 0; l < c.n_layers; ++l) {
    const Accuracy a = CompareTensors(
        DequantizeActivations(g.layers[l].out, m.scales[l].out), f.layers[l].out);
    // The block's own contribution (output minus input), which the residual does not mask,
    // and the attention output.
    const FloatTensor gin = DequantizeActivations(g.layers[l].in, m.scales[l].in);
    FloatTensor gd = DequantizeActivations(g.layers[l].out, m.scales[l].out), fd = f.layers[l].out;
    for (size_t i = 0; i < gd.size(); ++i) {
      gd.data[i] -= gin.data[i];
      fd.data[i] -= f.layers[l].in.data[i];
    }
    const Accuracy delta = CompareTensors(gd, fd);
    const Accuracy attn = CompareTensors(
        DequantizeActivations(g.layers[l].attn, m.scales[l].attn), f.layers[l].attn);
    std::printf("[ accuracy ] %s layer %d: cosine %.5f max_abs_error %.4f (output scale %.4f); "
                "block delta cosine %.4f; attention cosine %.4f\n",
                c.name.c_str(), l, a.cosine, a.max_abs_error, m.scales[l].out, delta.cosine,
                attn.cosine);
    EXPECT_GE(delta.cosine, 0.98) << "layer " << l;
    EXPECT_GE(attn.cosine, 0.98) << "layer " << l;
  }
  const Accuracy a =
      CompareTensors(DequantizeActivations(g.output, m.scales.back().out), f.output);
  RecordProperty("cosine", std::to_string(a.cosine));
  RecordProperty("max_abs_error", std::to_string(a.max_abs_error));
  EXPECT_GE(a.cosine, 0.99) << "max_abs_error " << a.max_abs_error;
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
