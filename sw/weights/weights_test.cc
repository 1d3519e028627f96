// Tests for model weights: seeded random weights, shape checks and int8 quantisation.
#include "sw/weights/weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

TEST(WeightsTest, RandomWeightsAreDeterministicAndShaped) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  const FloatWeights a = RandomWeights(c);
  const FloatWeights b = RandomWeights(c);
  EXPECT_NO_THROW(CheckWeights(c, a));
  EXPECT_EQ(a.layers[0].wq, b.layers[0].wq);
  EXPECT_EQ(a.layers[0].ffn_norm, b.layers[0].ffn_norm);
  ModelConfig other = c;
  other.seed = 99;
  EXPECT_NE(RandomWeights(other).layers[0].wq, a.layers[0].wq);
  // Pinned so that a change of the generator (or a platform difference) is noticed: the
  // built-in models' golden outputs depend on these values.
  EXPECT_EQ(a.layers[0].attn_norm[0], RandomWeights(c).layers[0].attn_norm[0]);
  EXPECT_FLOAT_EQ(a.layers[0].attn_norm[0], 0.92677534f);
  EXPECT_FLOAT_EQ(a.layers[0].wq.at(0, 0), 0.018332783f);
}

TEST(WeightsTest, RandomWeightMagnitudes) {
  const ModelConfig c = BuiltinModel("decoder-64");
  const FloatWeights w = RandomWeights(c);
  double ss = 0;
  for (float v : w.layers[0].w1.data) ss += static_cast<double>(v) * v;
  const double var = ss / w.layers[0].w1.size();
  EXPECT_NEAR(var, 1.0 / c.d_model, 0.1 / c.d_model);  // variance 1/in
  for (float g : w.layers[0].attn_norm) {
    EXPECT_GE(g, 0.9f);
    EXPECT_LE(g, 1.1f);
  }
  const FloatTensor x = BuiltinInput(c);
  EXPECT_EQ(x.rows, c.seq_len);
  EXPECT_EQ(x.cols, c.d_model);
}

TEST(WeightsTest, EncoderHasBiasesAndNoW3) {
  const ModelConfig c = BuiltinModel("tiny-encoder");
  const FloatWeights w = RandomWeights(c);
  EXPECT_TRUE(w.layers[0].w3.empty());
  EXPECT_EQ(static_cast<int>(w.layers[0].bq.size()), c.q_dim());
  EXPECT_EQ(static_cast<int>(w.layers[0].ffn_norm_bias.size()), c.d_model);
}

TEST(WeightsTest, CheckWeightsNamesTheTensor) {
  const ModelConfig c = BuiltinModel("decoder-2layer");
  FloatWeights w = RandomWeights(c);
  w.layers[1].wk = FloatTensor(32, 8);
  try {
    CheckWeights(c, w);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "weight 'layers.1.attention.wk.weight' is [32][8] (in x out), model "
                 "'decoder-2layer' needs [32][16]");
  }
  w = RandomWeights(c);
  w.layers[0].ffn_norm.pop_back();
  EXPECT_THROW(CheckWeights(c, w), Error);
  w.layers.pop_back();
  EXPECT_THROW(CheckWeights(c, w), Error);
}

TEST(WeightsTest, RoundHalfEven) {
  EXPECT_EQ(RoundHalfEven(0.5), 0.0);
  EXPECT_EQ(RoundHalfEven(1.5), 2.0);
  EXPECT_EQ(RoundHalfEven(2.5), 2.0);
  EXPECT_EQ(RoundHalfEven(-0.5), 0.0);
  EXPECT_EQ(RoundHalfEven(-1.5), -2.0);
  EXPECT_EQ(RoundHalfEven(-2.5), -2.0);
  EXPECT_EQ(RoundHalfEven(2.4999), 2.0);
  EXPECT_EQ(RoundHalfEven(-2.5001), -3.0);
}

TEST(WeightsTest, PerChannelQuantisation) {
  FloatTensor w(3, 2);
  // Column 0: max 31.75 -> scale 0.25; column 1 all zero -> scale 1.
  w.at(0, 0) = 31.75f;
  w.at(1, 0) = -0.625f;  // -2.5 -> -2 (ties to even)
  w.at(2, 0) = 0.875f;   // 3.5 -> 4
  const QuantMatrix q = QuantizeMatrix(w, WeightQuant::kPerChannel);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_EQ(q.scales[0], 0.25f);
  EXPECT_EQ(q.scales[1], 1.0f);
  EXPECT_EQ(q.q.at(0, 0), 127);
  EXPECT_EQ(q.q.at(1, 0), -2);
  EXPECT_EQ(q.q.at(2, 0), 4);
  EXPECT_EQ(q.q.at(0, 1), 0);
}

TEST(WeightsTest, PerTensorQuantisationErrorIsHalfAStep) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  const FloatWeights all = RandomWeights(c);
  const FloatTensor& w = all.layers[0].w2;
  for (WeightQuant g : {WeightQuant::kPerTensor, WeightQuant::kPerChannel}) {
    const QuantMatrix q = QuantizeMatrix(w, g);
    EXPECT_EQ(q.scales.size(), g == WeightQuant::kPerTensor ? 1u : static_cast<size_t>(w.cols));
    const FloatTensor d = Dequantize(q);
    int max_q = 0;
    for (int r = 0; r < w.rows; ++r) {
      for (int col = 0; col < w.cols; ++col) {
        EXPECT_LE(std::fabs(d.at(r, col) - w.at(r, col)), q.Scale(col) * 0.5001f);
        max_q = std::max(max_q, std::abs(static_cast<int>(q.q.at(r, col))));
      }
    }
    EXPECT_EQ(max_q, 127);
  }
}

TEST(WeightsTest, QuantizeWeightsKeepsFloatParameters) {
  const ModelConfig c = BuiltinModel("tiny-encoder");
  const FloatWeights w = RandomWeights(c);
  const QuantWeights q = QuantizeWeights(c, w);
  ASSERT_EQ(q.layers.size(), 1u);
  EXPECT_EQ(q.layers[0].bq, w.layers[0].bq);
  EXPECT_EQ(q.layers[0].attn_norm_bias, w.layers[0].attn_norm_bias);
  EXPECT_EQ(q.layers[0].wq.q.rows, c.d_model);
  EXPECT_TRUE(q.layers[0].w3.q.empty());
}

TEST(WeightsTest, SpecsUseLlamaNames) {
  const auto specs = WeightSpecs(BuiltinModel("tiny-decoder"));
  ASSERT_EQ(specs.size(), 9u);
  EXPECT_EQ(specs[1].name, "layers.0.attention.wq.weight");
  EXPECT_EQ(specs[1].CheckpointShape(), (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(specs[2].CheckpointShape(), (std::vector<int64_t>{16, 32}));  // wk: [kv_dim][d]
  EXPECT_EQ(specs[8].name, "layers.0.feed_forward.w3.weight");
}

// A non-finite weight has no int8 value: quantising it is an Error naming the position.
TEST(WeightsTest, QuantisationRejectsNonFiniteWeights) {
  FloatTensor w(2, 3);
  w.at(1, 2) = std::numeric_limits<float>::infinity();
  try {
    QuantizeMatrix(w, WeightQuant::kPerChannel);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 1, column 2"), std::string::npos) << e.what();
  }
  w.at(1, 2) = std::nanf("");
  EXPECT_THROW(QuantizeMatrix(w, WeightQuant::kPerTensor), Error);
}

}  // namespace
}  // namespace tinylpu
