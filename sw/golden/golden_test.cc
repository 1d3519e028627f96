// Tests for the bit-exact golden model: operators, reduction order, attention, FFNs, and decode
// with the KV cache reproducing prefill bit for bit.
#include "sw/golden/golden.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "sw/core/error.h"
#include "sw/golden/lpu_arith.h"

namespace tinylpu {
namespace {

std::vector<float> RandomVector(int n, uint64_t seed, float a) {
  std::mt19937_64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = (static_cast<float>(rng() >> 40) / (1 << 24) * 2 - 1) * a;
  return v;
}

bool SameBits(const FloatTensor& a, const FloatTensor& b) {
  if (a.rows != b.rows || a.cols != b.cols) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a.data[i]) != std::bit_cast<uint32_t>(b.data[i])) return false;
  }
  return true;
}

struct Built {
  ModelConfig config;
  FloatWeights weights;
  GoldenModel model;
  Int8Tensor input;
};

Built Build(const std::string& name) {
  Built b;
  b.config = BuiltinModel(name);
  b.weights = RandomWeights(b.config);
  const FloatTensor x = BuiltinInput(b.config);
  b.model = BuildGoldenModel(b.config, b.weights, x);
  b.input = QuantizeActivations(x, b.model.scales[0].in);
  return b;
}

TEST(GoldenTest, MxmMatmulWrapsModulo2To32) {
  Int8Tensor x(2, 3), w(3, 1);
  x.data = {1, 2, 3, -128, -128, -128};
  w.data = {4, 5, -6};
  const Int32Tensor y = MxmMatmul(x, w);
  EXPECT_EQ(y.at(0, 0), 4 + 10 - 18);
  EXPECT_EQ(y.at(1, 0), -128 * 3);
  const int k = 140000;  // 140000 * 16384 > 2^31
  const Int8Tensor a(1, k, -128), b(k, 1, -128);
  EXPECT_EQ(MxmMatmul(a, b).at(0, 0), static_cast<int32_t>(static_cast<uint32_t>(k) * 16384u));
}

TEST(GoldenTest, ReduceSumUsesTilesThenLaneTree) {
  const float big = 0x1.0p24f;
  // Lane tree over 4 lanes: (x0 + x2) + (x1 + x3) = (1 + 1) + (2^24 - 2^24) = 2; a sequential
  // sum gives ((1 + 2^24) + 1) - 2^24 = 0.
  const float a[] = {1.0f, big, 1.0f, -big};
  EXPECT_EQ(ReduceSumF32(a, 4, 4), 2.0f);
  EXPECT_EQ(ReduceSumF32(a, 4, 1), 0.0f);
  // Two lanes: tiles [x0 x1] + [x2 x3] first, then the lanes.
  const float b[] = {big, 1.0f, -big, 1.0f};
  EXPECT_EQ(ReduceSumF32(b, 4, 2), 2.0f);
  EXPECT_EQ(ReduceSumF32(b, 4, 1), 1.0f);
  // Zero padding of the last tile and n < W.
  const float c[] = {1, 2, 3, 4, 5};
  EXPECT_EQ(ReduceSumF32(c, 5, 4), 15.0f);
  EXPECT_EQ(ReduceSumF32(c, 5, 16), 15.0f);
  EXPECT_EQ(ReduceSumF32(c, 0, 16), 0.0f);
}

// The documented order equals an independent formulation: per-lane sequential sums over tiles,
// then a recursive halving tree (lane l with l + W/2, ...), and every lane of an XOR butterfly
// (what a compiler may emit instead of rotations) holds the same bits as lane 0.
TEST(GoldenTest, ReduceSumMatchesIndependentFormulations) {
  for (int lanes : {1, 2, 4, 8, 16, 32}) {
    for (int n : {1, 7, 16, 37, 64, 100}) {
      SCOPED_TRACE(testing::Message() << "lanes " << lanes << " n " << n);
      const std::vector<float> x = RandomVector(n, 100 * lanes + n, 1000.0f);
      std::vector<float> acc(lanes, 0.0f);
      for (int i = 0; i < n; ++i) {
        acc[i % lanes] = i < lanes ? x[i] : arith::F32Add(acc[i % lanes], x[i]);
      }
      std::vector<float> xor_acc = acc;
      for (int half = lanes / 2; half >= 1; half /= 2) {
        for (int l = 0; l < half; ++l) acc[l] = arith::F32Add(acc[l], acc[l + half]);
        std::vector<float> next(lanes);
        for (int l = 0; l < lanes; ++l) next[l] = arith::F32Add(xor_acc[l], xor_acc[l ^ half]);
        xor_acc = next;
      }
      const float got = ReduceSumF32(x.data(), n, lanes);
      EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(acc[0]));
      for (int l = 0; l < lanes; ++l) {
        EXPECT_EQ(std::bit_cast<uint32_t>(xor_acc[l]), std::bit_cast<uint32_t>(got));
      }
    }
  }
}

TEST(GoldenTest, ReduceMax) {
  const float x[] = {-3, 7.5f, 2, 7.25f};
  EXPECT_EQ(ReduceMaxF32(x, 4), 7.5f);
  EXPECT_EQ(ReduceMaxF32(x, 0), -INFINITY);
}

LayerConstants NormConstants(int d, float eps) {
  LayerConstants k;
  k.inv_d = static_cast<float>(1.0 / d);
  k.eps = eps;
  return k;
}

TEST(GoldenTest, RmsNormWithinOneStepOfFloat) {
  const int d = 40;
  const std::vector<float> x = RandomVector(d, 1, 3.0f);
  const std::vector<float> gain = RandomVector(d, 2, 0.5f);
  FloatTensor xt(1, d);
  xt.data = x;
  std::vector<float> g1(d);
  for (int i = 0; i < d; ++i) g1[i] = 1.0f + gain[i];
  const FloatTensor ref = RefRmsNorm(xt, g1, 1e-5f);
  const float s = 2.0f / 127;  // output scale
  std::vector<float> gs(d);
  for (int i = 0; i < d; ++i) gs[i] = g1[i] / s;
  std::vector<int8_t> out(d);
  GoldenRmsNorm(x.data(), d, NormConstants(d, 1e-5f), gs, 16, out.data());
  for (int i = 0; i < d; ++i) {
    const double want = std::clamp(ref.data[i] / s, -128.0f, 127.0f);
    EXPECT_NEAR(out[i], want, 0.51) << i;
  }
}

TEST(GoldenTest, LayerNormWithinOneStepOfFloat) {
  const int d = 24;
  std::vector<float> x = RandomVector(d, 3, 2.0f);
  for (float& v : x) v += 5.0f;  // a mean to remove
  const std::vector<float> g = RandomVector(d, 4, 1.0f), b = RandomVector(d, 5, 0.3f);
  FloatTensor xt(1, d);
  xt.data = x;
  const FloatTensor ref = RefLayerNorm(xt, g, b, 1e-12f);
  const float s = 3.0f / 127;
  std::vector<float> gs(d), bs(d);
  for (int i = 0; i < d; ++i) {
    gs[i] = g[i] / s;
    bs[i] = b[i] / s;
  }
  std::vector<int8_t> out(d);
  GoldenLayerNorm(x.data(), d, NormConstants(d, 1e-12f), gs, bs, 8, out.data());
  for (int i = 0; i < d; ++i) EXPECT_NEAR(out[i], ref.data[i] / s, 0.51) << i;
}

TEST(GoldenTest, RopeTableAndRotation) {
  ModelConfig c;
  c.head_dim = 8;
  const RopeTable t = BuildRopeTable(c, 16);
  EXPECT_EQ(t.cos.at(0, 3), 1.0f);
  EXPECT_EQ(t.sin.at(0, 3), 0.0f);
  EXPECT_EQ(t.sin.at(1, 0), static_cast<float>(std::sin(1.0)));
  EXPECT_EQ(t.cos.at(7, 2), static_cast<float>(std::cos(7.0 * std::pow(10000.0, -0.5))));
  const std::vector<float> x = RandomVector(8, 6, 4.0f);
  std::vector<float> y = x;
  GoldenRope(y.data(), 8, t.cos.row(0), t.sin.row(0));
  EXPECT_EQ(y, x);  // position 0 is exact
  FloatTensor xt(1, 8);
  xt.data = x;
  const FloatTensor ref = RefRope(xt, 8, 11, c.rope_base);
  GoldenRope(y.data(), 8, t.cos.row(11), t.sin.row(11));
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[i], ref.data[i], 1e-5);
}

TEST(GoldenTest, SoftmaxRowQuantisesRelativeToTheMax) {
  const float s[] = {0.0f, 2.0f, -1.0f, 100.0f, 1.5f};
  const std::vector<bool> valid = {true, true, true, false, true};  // key 3 masked
  int8_t e[5];
  const int32_t den = GoldenSoftmaxRow(s, valid, 5, e);
  EXPECT_EQ(e[1], 127);  // the max
  EXPECT_EQ(e[3], 0);    // masked, even though its score is the largest
  EXPECT_EQ(e[0], static_cast<int8_t>(std::lround(127 * std::exp(-2.0))));
  EXPECT_EQ(e[2], static_cast<int8_t>(std::lround(127 * std::exp(-3.0))));
  EXPECT_EQ(e[4], static_cast<int8_t>(std::lround(127 * std::exp(-0.5))));
  EXPECT_EQ(den, e[0] + e[1] + e[2] + e[4]);
}

TEST(GoldenTest, ConstantsAreRoundedOnceFromScales) {
  const Built b = Build("tiny-decoder");
  const LayerConstants k = BuildLayerConstants(b.model, 0);
  const ActScales& s = b.model.scales[0];
  EXPECT_EQ(k.qk_scale, static_cast<float>(static_cast<double>(s.q) * s.k / std::sqrt(8.0)));
  EXPECT_EQ(k.pv_scale, static_cast<float>(static_cast<double>(s.v) / s.attn));
  EXPECT_EQ(k.q_mul[5], static_cast<float>(static_cast<double>(s.attn_in) *
                                           b.model.weights.layers[0].wq.Scale(5) / s.q));
  EXPECT_EQ(k.norm1_gain[3],
            static_cast<float>(static_cast<double>(b.weights.layers[0].attn_norm[3]) / s.attn_in));
  EXPECT_EQ(k.inv_d, 1.0f / 32);
  EXPECT_EQ(static_cast<int>(k.w3_mul.size()), b.config.ffn_dim);
  EXPECT_TRUE(k.q_add.empty());
}

// Attention with GQA (4 heads over 2 KV heads) and the causal mask: the golden int8 output
// tracks the float attention of the same int8 q/k/v, and row 0 copies its value row.
TEST(GoldenTest, AttentionGqaCausal) {
  const Built b = Build("tiny-decoder");
  const GoldenResult r = RunGoldenPrefill(b.model, b.input);
  const GoldenLayerTrace& t = r.layers[0];
  const ActScales& s = b.model.scales[0];
  const FloatTensor ref =
      RefAttention(DequantizeActivations(t.q, s.q), DequantizeActivations(t.k, s.k),
                   DequantizeActivations(t.v, s.v), 4, 2, 8, true, 0);
  const Accuracy a = CompareTensors(DequantizeActivations(t.attn, s.attn), ref);
  EXPECT_GE(a.cosine, 0.995);
  EXPECT_LE(a.max_abs_error, 4 * s.attn);
  // Masked keys are -inf and get e_q = 0; row 0 of each head has one key.
  EXPECT_EQ(t.scores.at(0, 1), -INFINITY);
  EXPECT_EQ(t.probs.at(0, 0), 127);
  EXPECT_EQ(t.probs.at(0, 1), 0);
  EXPECT_EQ(t.denom.at(0, 0), 127);
  for (int h = 0; h < 4; ++h) {
    for (int i = 0; i < 8; ++i) {
      EXPECT_NEAR(t.attn.at(0, h * 8 + i) * s.attn, t.v.at(0, (h / 2) * 8 + i) * s.v, s.attn);
    }
  }
  // Heads 0 and 1 share KV head 0: equal q rows would give equal outputs; at least the
  // probabilities differ between heads because their queries differ.
  EXPECT_NE(t.probs.Rows(15, 16), t.probs.Rows(16 + 15, 16 + 16));
}

// GQA is MHA with shared KV heads: a 4-head/2-KV-head model gives the same bits as a 4/4 model
// whose wk/wv columns repeat each KV head for the two query heads that use it.
TEST(GoldenTest, GqaEqualsMhaWithRepeatedKvHeadsBitForBit) {
  const ModelConfig gqa = BuiltinModel("tiny-decoder");
  ModelConfig mha = gqa;
  mha.n_kv_heads = gqa.n_heads;
  const FloatWeights wg = RandomWeights(gqa);
  FloatWeights wm = wg;
  const int hd = gqa.head_dim;
  for (FloatTensor LayerWeights::*m : {&LayerWeights::wk, &LayerWeights::wv}) {
    const FloatTensor& src = wg.layers[0].*m;
    FloatTensor dst(src.rows, mha.kv_dim());
    for (int r = 0; r < src.rows; ++r) {
      for (int h = 0; h < mha.n_heads; ++h) {
        for (int i = 0; i < hd; ++i) dst.at(r, h * hd + i) = src.at(r, (h / 2) * hd + i);
      }
    }
    wm.layers[0].*m = dst;
  }
  const FloatTensor x = BuiltinInput(gqa);
  const GoldenModel g = BuildGoldenModel(gqa, wg, x);
  const GoldenModel m = BuildGoldenModel(mha, wm, x);
  EXPECT_EQ(g.scales[0].k, m.scales[0].k);
  const Int8Tensor xq = QuantizeActivations(x, g.scales[0].in);
  const GoldenResult rg = RunGoldenPrefill(g, xq);
  const GoldenResult rm = RunGoldenPrefill(m, xq);
  EXPECT_EQ(rg.layers[0].attn, rm.layers[0].attn);
  EXPECT_EQ(rg.output, rm.output);
}

TEST(GoldenTest, EncoderAttentionHasNoMask) {
  const Built b = Build("tiny-encoder");
  const GoldenResult r = RunGoldenPrefill(b.model, b.input);
  const GoldenLayerTrace& t = r.layers[0];
  for (int j = 0; j < 16; ++j) EXPECT_NE(t.scores.at(0, j), -INFINITY);
  int nonzero = 0;
  for (int j = 0; j < 16; ++j) nonzero += t.probs.at(0, j) != 0;
  EXPECT_GT(nonzero, 1);
}

TEST(GoldenTest, SwiGluFfnTracksFloat) {
  const Built b = Build("decoder-64");
  const GoldenResult r = RunGoldenPrefill(b.model, b.input);
  const GoldenLayerTrace& t = r.layers[0];
  const ActScales& s = b.model.scales[0];
  const LayerWeights& w = b.weights.layers[0];
  const FloatTensor ref = RefSwiGlu(DequantizeActivations(t.ffn_in, s.ffn_in), w.w1, w.w3, w.w2);
  const Accuracy a = CompareTensors(t.ffn_out, ref);
  EXPECT_GE(a.cosine, 0.99);
}

TEST(GoldenTest, GeluFfnTracksFloat) {
  const Built b = Build("tiny-encoder");
  const GoldenResult r = RunGoldenPrefill(b.model, b.input);
  const GoldenLayerTrace& t = r.layers[0];
  const ActScales& s = b.model.scales[0];
  const LayerWeights& w = b.weights.layers[0];
  const FloatTensor ref = RefGeluFfn(DequantizeActivations(t.ffn_in, s.h1), w.w1, w.b1, w.w2, w.b2);
  EXPECT_GE(CompareTensors(t.ffn_out, ref).cosine, 0.99);
}

TEST(GoldenTest, NormsTrackFloat) {
  for (const char* name : {"tiny-decoder", "tiny-encoder"}) {
    SCOPED_TRACE(name);
    const Built b = Build(name);
    const GoldenResult r = RunGoldenPrefill(b.model, b.input);
    const GoldenLayerTrace& t = r.layers[0];
    const ActScales& s = b.model.scales[0];
    const LayerWeights& w = b.weights.layers[0];
    const float eps = b.config.norm_eps;
    if (b.config.is_decoder()) {
      const FloatTensor ref = RefRmsNorm(t.h, w.attn_norm, eps);
      const Accuracy a = CompareTensors(DequantizeActivations(t.attn_in, s.attn_in), ref);
      EXPECT_LE(a.max_abs_error, 0.51 * s.attn_in);
    } else {
      const FloatTensor ref = RefLayerNorm(t.h1, w.attn_norm, w.attn_norm_bias, eps);
      const Accuracy a = CompareTensors(DequantizeActivations(t.h1_q, s.h1), ref);
      EXPECT_LE(a.max_abs_error, 0.51 * s.h1);
    }
  }
}

// Decoding token t with the KV cache gives exactly the bits of prefill's row t, in every layer
// and every intermediate, and leaves the same cache.
class DecodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DecodeTest, DecodeEqualsPrefillBitForBit) {
  const Built b = Build(GetParam());
  GoldenKvCache full;
  const GoldenResult pre = RunGoldenPrefill(b.model, b.input, &full);
  GoldenKvCache cache;
  RunGoldenPrefill(b.model, b.input.Rows(0, 1), &cache);
  for (int t = 1; t < b.config.seq_len; ++t) {
    SCOPED_TRACE(t);
    const GoldenResult d = RunGoldenDecode(b.model, b.input.Rows(t, t + 1), cache);
    ASSERT_EQ(d.output, pre.output.Rows(t, t + 1));
    for (int l = 0; l < b.config.n_layers; ++l) {
      const GoldenLayerTrace& dl = d.layers[l];
      const GoldenLayerTrace& pl = pre.layers[l];
      ASSERT_EQ(dl.q, pl.q.Rows(t, t + 1));
      ASSERT_EQ(dl.k, pl.k.Rows(t, t + 1));
      ASSERT_EQ(dl.attn, pl.attn.Rows(t, t + 1));
      ASSERT_TRUE(SameBits(dl.h1, pl.h1.Rows(t, t + 1)));
      ASSERT_TRUE(SameBits(dl.h2, pl.h2.Rows(t, t + 1)));
      // Head 0's probabilities over the t+1 visible keys.
      for (int j = 0; j <= t; ++j) ASSERT_EQ(dl.probs.at(0, j), pl.probs.at(t, j));
    }
  }
  EXPECT_EQ(cache.k, full.k);
  EXPECT_EQ(cache.v, full.v);
  EXPECT_THROW(RunGoldenDecode(b.model, b.input.Rows(0, 1), cache), Error);  // cache full
}

TEST_P(DecodeTest, ShortPrefillEqualsRowsOfLongPrefill) {
  const Built b = Build(GetParam());
  const GoldenResult pre = RunGoldenPrefill(b.model, b.input);
  for (int n : {1, 3, b.config.seq_len / 2 + 1}) {
    const GoldenResult p = RunGoldenPrefill(b.model, b.input.Rows(0, n));
    EXPECT_EQ(p.output, pre.output.Rows(0, n)) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Decoders, DecodeTest,
                         ::testing::Values("tiny-decoder", "decoder-2layer", "decoder-64"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

TEST(GoldenTest, RejectsBadUse) {
  const Built enc = Build("tiny-encoder");
  GoldenKvCache cache;
  EXPECT_THROW(RunGoldenDecode(enc.model, enc.input.Rows(0, 1), cache), Error);
  EXPECT_THROW(RunGoldenPrefill(enc.model, Int8Tensor(4, 31)), Error);
  EXPECT_THROW(RunGoldenPrefill(enc.model, Int8Tensor(17, 32)), Error);
  const Built dec = Build("tiny-decoder");
  RunGoldenPrefill(dec.model, dec.input.Rows(0, 2), &cache);
  EXPECT_THROW(RunGoldenPrefill(dec.model, dec.input.Rows(0, 2), &cache), Error);  // not empty
  EXPECT_THROW(RunGoldenDecode(dec.model, dec.input.Rows(2, 4), cache), Error);    // 2 rows
  GoldenModel broken = dec.model;
  broken.scales.pop_back();
  EXPECT_THROW(RunGoldenPrefill(broken, dec.input), Error);
}

}  // namespace
}  // namespace tinylpu

namespace tinylpu {
namespace {

uint64_t Fnv1a(const Int8Tensor& t) {
  uint64_t h = 1469598103934665603ull;
  for (int8_t v : t.data) {
    h ^= static_cast<uint8_t>(v);
    h *= 1099511628211ull;
  }
  return h;
}

// The built-in models' golden outputs, pinned: a change here changes what the compiler and the
// RTL must produce (numerics, weights generator, calibration or the VXM function library), so
// it must be deliberate and documented in docs/numerics.md.
TEST(GoldenTest, BuiltinOutputsArePinned) {
  const std::vector<std::pair<std::string, uint64_t>> pinned = {
      {"tiny-decoder", 0xd0067e249fcc6c55ull},   {"tiny-encoder", 0xede09d6f122b48a2ull},
      {"decoder-2layer", 0xa1e61f1b24830595ull}, {"decoder-64", 0x991287534f9400f6ull},
      {"encoder-2layer", 0x3accf04789da0c47ull},
  };
  for (const auto& [name, hash] : pinned) {
    const Built b = Build(name);
    const uint64_t got = Fnv1a(RunGoldenPrefill(b.model, b.input).output);
    EXPECT_EQ(got, hash) << name << " 0x" << std::hex << got;
  }
}

}  // namespace
}  // namespace tinylpu
