// Tests for the float reference operators and blocks (prefill, decode with a KV cache, GQA).
#include "sw/golden/float_ref.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

FloatTensor Random(int rows, int cols, uint64_t seed, float a = 1.0f) {
  std::mt19937_64 rng(seed);
  FloatTensor t(rows, cols);
  for (float& v : t.data) v = (static_cast<float>(rng() >> 40) / (1 << 24) * 2 - 1) * a;
  return t;
}

TEST(FloatRefTest, RmsNorm) {
  FloatTensor x(1, 2);
  x.at(0, 0) = 3;
  x.at(0, 1) = 4;
  const FloatTensor y = RefRmsNorm(x, {1.0f, 2.0f}, 0.0f);
  const double rms = std::sqrt(12.5);
  EXPECT_NEAR(y.at(0, 0), 3 / rms, 1e-6);
  EXPECT_NEAR(y.at(0, 1), 2 * 4 / rms, 1e-6);
}

TEST(FloatRefTest, LayerNorm) {
  const FloatTensor x = Random(3, 16, 1, 5.0f);
  const FloatTensor y =
      RefLayerNorm(x, std::vector<float>(16, 1.0f), std::vector<float>(16, 0.5f), 1e-12f);
  for (int r = 0; r < 3; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < 16; ++c) mean += y.at(r, c) - 0.5;
    mean /= 16;
    for (int c = 0; c < 16; ++c) var += (y.at(r, c) - 0.5 - mean) * (y.at(r, c) - 0.5 - mean);
    EXPECT_NEAR(mean, 0.0, 1e-6);
    EXPECT_NEAR(var / 16, 1.0, 1e-5);
  }
}

TEST(FloatRefTest, Softmax) {
  std::vector<double> a = {1, 2, 3}, b = {101, 102, 103};
  RefSoftmax(a);
  RefSoftmax(b);
  EXPECT_NEAR(a[0] + a[1] + a[2], 1.0, 1e-12);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], 1e-12);
  EXPECT_NEAR(a[2] / a[1], std::exp(1.0), 1e-12);
}

TEST(FloatRefTest, RopeIsARotationByRelativePosition) {
  const FloatTensor q = Random(1, 8, 2), k = Random(1, 8, 3);
  EXPECT_EQ(RefRope(q, 8, 0, 10000.0f), q);  // position 0: identity
  // Pair norms are preserved; the q.k dot product depends only on the position difference.
  const FloatTensor q5 = RefRope(q, 8, 5, 10000.0f);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(std::hypot(q5.at(0, 2 * i), q5.at(0, 2 * i + 1)),
                std::hypot(q.at(0, 2 * i), q.at(0, 2 * i + 1)), 1e-6);
  }
  auto dot = [](const FloatTensor& a, const FloatTensor& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a.data[i]) * b.data[i];
    return s;
  };
  EXPECT_NEAR(dot(RefRope(q, 8, 7, 100.0f), RefRope(k, 8, 4, 100.0f)),
              dot(RefRope(q, 8, 13, 100.0f), RefRope(k, 8, 10, 100.0f)), 1e-5);
  // Pair 0 turns by exactly `pos` radians.
  EXPECT_NEAR(q5.at(0, 0), q.at(0, 0) * std::cos(5.0) - q.at(0, 1) * std::sin(5.0), 1e-6);
}

TEST(FloatRefTest, CausalAttentionFirstRowCopiesFirstValue) {
  const FloatTensor q = Random(4, 8, 4), k = Random(4, 4, 5), v = Random(4, 4, 6);
  // 2 query heads of 4 share one KV head (GQA 2:1).
  const FloatTensor o = RefAttention(q, k, v, 2, 1, 4, true, 0);
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(o.at(0, h * 4 + i), v.at(0, i), 1e-6);
  }
  // The last row sees everything: equal to the unmasked attention's last row.
  const FloatTensor full = RefAttention(q, k, v, 2, 1, 4, false, 0);
  for (int c = 0; c < 8; ++c) EXPECT_NEAR(o.at(3, c), full.at(3, c), 1e-6);
  EXPECT_GT(std::fabs(o.at(1, 0) - full.at(1, 0)), 1e-6);
}

TEST(FloatRefTest, GqaEqualsMhaWithRepeatedKv) {
  const FloatTensor q = Random(5, 16, 7), k = Random(5, 8, 8), v = Random(5, 8, 9);
  // 4 heads over 2 KV heads == 4 heads over 4 KV heads where KV head h copies KV head h/2.
  FloatTensor k4(5, 16), v4(5, 16);
  for (int r = 0; r < 5; ++r) {
    for (int h = 0; h < 4; ++h) {
      for (int i = 0; i < 4; ++i) {
        k4.at(r, h * 4 + i) = k.at(r, (h / 2) * 4 + i);
        v4.at(r, h * 4 + i) = v.at(r, (h / 2) * 4 + i);
      }
    }
  }
  EXPECT_EQ(RefAttention(q, k, v, 4, 2, 4, true, 0), RefAttention(q, k4, v4, 4, 4, 4, true, 0));
}

TEST(FloatRefTest, EncoderAttentionIsPermutationEquivariant) {
  const FloatTensor q = Random(3, 4, 10), k = Random(3, 4, 11), v = Random(3, 4, 12);
  const FloatTensor o = RefAttention(q, k, v, 1, 1, 4, false, 0);
  auto swap01 = [](FloatTensor t) {
    for (int c = 0; c < t.cols; ++c) std::swap(t.at(0, c), t.at(1, c));
    return t;
  };
  const FloatTensor os = RefAttention(swap01(q), swap01(k), swap01(v), 1, 1, 4, false, 0);
  for (int c = 0; c < 4; ++c) {
    EXPECT_NEAR(os.at(0, c), o.at(1, c), 1e-6);
    EXPECT_NEAR(os.at(2, c), o.at(2, c), 1e-6);
  }
}

TEST(FloatRefTest, SwiGluAndGeluFfn) {
  FloatTensor x(1, 1, 2.0f), w1(1, 1, 0.5f), w3(1, 1, 3.0f), w2(1, 1, -1.0f);
  // silu(1) * 6 * -1
  EXPECT_NEAR(RefSwiGlu(x, w1, w3, w2).at(0, 0), -6.0 / (1 + std::exp(-1.0)), 1e-6);
  // gelu(2*0.5 + 0.25) * -1 + 0.5
  EXPECT_NEAR(RefGeluFfn(x, w1, {0.25f}, w2, {0.5f}).at(0, 0), -RefGelu(1.25) + 0.5, 1e-6);
  EXPECT_NEAR(RefGelu(1.0), 0.8413447460685429, 1e-12);
  EXPECT_EQ(RefGelu(0.0), 0.0);
  EXPECT_NEAR(RefSilu(1.0), 0.7310585786300049, 1e-12);
}

TEST(FloatRefTest, DecodeWithKvCacheMatchesPrefill) {
  for (const char* name : {"tiny-decoder", "decoder-2layer"}) {
    SCOPED_TRACE(name);
    const ModelConfig c = BuiltinModel(name);
    const FloatWeights w = RandomWeights(c);
    const FloatTensor x = BuiltinInput(c);
    const FloatResult pre = RunFloatPrefill(c, w, x);
    // Prefill 5 tokens, then decode the rest one at a time.
    FloatKvCache cache;
    RunFloatPrefill(c, w, x.Rows(0, 5), &cache);
    for (int t = 5; t < c.seq_len; ++t) {
      const FloatResult d = RunFloatDecode(c, w, x.Rows(t, t + 1), cache);
      EXPECT_EQ(cache.length(), t + 1);
      for (int col = 0; col < c.d_model; ++col) {
        EXPECT_NEAR(d.output.at(0, col), pre.output.at(t, col), 1e-5);
      }
    }
    EXPECT_THROW(RunFloatDecode(c, w, x.Rows(0, 1), cache), Error);  // cache full
  }
}

TEST(FloatRefTest, RejectsBadUse) {
  const ModelConfig enc = BuiltinModel("tiny-encoder");
  const FloatWeights w = RandomWeights(enc);
  FloatKvCache cache;
  EXPECT_THROW(RunFloatDecode(enc, w, FloatTensor(1, 32), cache), Error);
  EXPECT_THROW(RunFloatPrefill(enc, w, FloatTensor(17, 32)), Error);  // > seq_len
  EXPECT_THROW(RunFloatPrefill(enc, w, FloatTensor(4, 31)), Error);
  const ModelConfig dec = BuiltinModel("tiny-decoder");
  EXPECT_THROW(RunFloatDecode(dec, RandomWeights(dec), FloatTensor(2, 32), cache), Error);
}

}  // namespace
}  // namespace tinylpu
