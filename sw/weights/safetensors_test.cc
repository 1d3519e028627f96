// Tests for the safetensors reader/writer, the weight mapping and every rejection of a bad file.
#include "sw/weights/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <fstream>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

class SafetensorsTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return ::testing::TempDir() + "st_" + info->name() + "_" + name;
  }
  // A file with an explicit header length, header text and data bytes.
  std::string Raw(const std::string& name, uint64_t header_len, const std::string& header,
                  size_t data_bytes) {
    const std::string p = Path(name);
    std::ofstream out(p, std::ios::binary);
    for (int k = 0; k < 8; ++k) out.put(static_cast<char>(header_len >> (8 * k)));
    out << header << std::string(data_bytes, '\0');
    return p;
  }
  std::string WithHeader(const std::string& name, const std::string& header, size_t data_bytes) {
    return Raw(name, header.size(), header, data_bytes);
  }
  // Error message of opening (and reading every tensor of) a file.
  static std::string OpenError(const std::string& p) {
    try {
      const SafetensorsFile f = SafetensorsFile::Open(p);
      for (const auto& n : f.Names()) f.Read(n);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  static std::string LoadError(const std::string& p, const ModelConfig& c) {
    try {
      LoadSafetensorsWeights(p, c);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST_F(SafetensorsTest, RoundTripAllDtypes) {
  const std::string p = Path("rt.safetensors");
  std::vector<StTensor> ts = {
      {"a", StDtype::kF32, {2, 3}, {1, -2, 3.25f, 1e-3f, -65504, 0.1f}},
      {"b", StDtype::kF16, {4}, {1, -2, 0.333333f, 1e-6f}},
      {"c", StDtype::kBF16, {1, 2}, {3.14159f, -1e30f}},
      {"empty", StDtype::kF32, {0}, {}},
  };
  WriteSafetensors(p, ts);
  const SafetensorsFile f = SafetensorsFile::Open(p);
  EXPECT_EQ(f.Names(), (std::vector<std::string>{"a", "b", "c", "empty"}));
  const StTensor a = f.Read("a");
  EXPECT_EQ(a.shape, ts[0].shape);
  EXPECT_EQ(a.values, ts[0].values);
  const StTensor b = f.Read("b");
  EXPECT_EQ(b.dtype, StDtype::kF16);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(b.values[i], ts[1].values[i], 1e-3 * std::fabs(ts[1].values[i]) + 1e-7);
  const StTensor c = f.Read("c");
  EXPECT_NEAR(c.values[0], 3.14159f, 0.01f);
  EXPECT_NEAR(c.values[1], -1e30f, 1e28f);
  EXPECT_TRUE(f.Read("empty").values.empty());
}

TEST_F(SafetensorsTest, HalfAndBFloat16Conversions) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);  // rounds up to inf
  EXPECT_EQ(FloatToHalf(0x1.0p-24f), 0x0001);
  EXPECT_EQ(FloatToHalf(0x1.0p-25f), 0x0000);         // tie -> even (0)
  EXPECT_EQ(FloatToHalf(1.0f + 0x1.0p-11f), 0x3C00);  // tie -> even
  EXPECT_EQ(FloatToHalf(1.0f + 0x1.8p-10f), 0x3C02);  // tie above an odd -> up
  EXPECT_EQ(FloatToHalf(1.0f + 0x1.8p-11f), 0x3C01);  // above the tie -> up
  EXPECT_EQ(FloatToHalf(INFINITY), 0x7C00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(HalfToFloat(0x0001), 0x1.0p-24f);
  EXPECT_EQ(HalfToFloat(0x03FF), 0x1.FF8p-15f);
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0xFC00), -INFINITY);
  for (uint32_t h = 0; h < 0x7C00; ++h) {  // every finite half survives a round trip
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h);
  }
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3F80);
  EXPECT_EQ(FloatToBFloat16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(FloatToBFloat16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(BFloat16ToFloat(0xC040), -3.0f);
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(NAN))));
}

TEST_F(SafetensorsTest, ModelWeightsRoundTripAndTranspose) {
  for (const char* name : {"tiny-decoder", "tiny-encoder"}) {
    SCOPED_TRACE(name);
    const ModelConfig c = BuiltinModel(name);
    const FloatWeights w = RandomWeights(c);
    const std::string p = Path(std::string(name) + ".safetensors");
    SaveSafetensorsWeights(p, c, w);
    const FloatWeights r = LoadSafetensorsWeights(p, c);
    EXPECT_EQ(r.layers[0].wq, w.layers[0].wq);
    EXPECT_EQ(r.layers[0].w2, w.layers[0].w2);
    EXPECT_EQ(r.layers[0].attn_norm, w.layers[0].attn_norm);
    EXPECT_EQ(r.layers[0].bq, w.layers[0].bq);
    // The file holds [out][in]: element (o, i) of the checkpoint is W[i][o] here.
    const StTensor t = SafetensorsFile::Open(p).Read("layers.0.attention.wk.weight");
    EXPECT_EQ(t.shape, (std::vector<int64_t>{c.kv_dim(), c.d_model}));
    EXPECT_EQ(t.values[1 * c.d_model + 5], w.layers[0].wk.at(5, 1));
  }
}

TEST_F(SafetensorsTest, Bf16CheckpointLoadsCloseToFloat) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  const FloatWeights w = RandomWeights(c);
  const std::string p = Path("bf16.safetensors");
  SaveSafetensorsWeights(p, c, w, StDtype::kBF16);
  const FloatWeights r = LoadSafetensorsWeights(p, c);
  for (size_t i = 0; i < w.layers[0].w1.size(); ++i) {
    EXPECT_NEAR(r.layers[0].w1.data[i], w.layers[0].w1.data[i],
                std::fabs(w.layers[0].w1.data[i]) / 128);
  }
}

TEST_F(SafetensorsTest, ExtraTensorsAndMetadataAreIgnored) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  const std::string p = Path("extra.safetensors");
  std::vector<StTensor> ts;
  const FloatWeights w = RandomWeights(c);
  SaveSafetensorsWeights(p, c, w);
  // Append an unrelated tensor by rewriting with one more entry.
  const SafetensorsFile f = SafetensorsFile::Open(p);
  for (const auto& n : f.Names()) ts.push_back(f.Read(n));
  ts.push_back({"tok_embeddings.weight", StDtype::kF32, {2, 2}, {1, 2, 3, 4}});
  WriteSafetensors(p, ts);
  EXPECT_EQ(LoadSafetensorsWeights(p, c).layers[0].wv, w.layers[0].wv);
  const std::string m = WithHeader(
      "meta",
      R"({"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      4);
  EXPECT_EQ(OpenError(m), "");
}

// ---- One test per rejection ----

TEST_F(SafetensorsTest, RejectsMissingFile) {
  const std::string p = Path("nope");
  EXPECT_EQ(OpenError(p), p + ": cannot open the file");
}

TEST_F(SafetensorsTest, RejectsFileShorterThanTheLength) {
  const std::string p = Path("short");
  std::ofstream(p, std::ios::binary) << "abc";
  EXPECT_HAS(OpenError(p), p + ": truncated: 3 bytes");
}

TEST_F(SafetensorsTest, RejectsTruncatedHeader) {
  const std::string p = Raw("trunc", 100, "{}", 0);
  EXPECT_EQ(OpenError(p), p + ": truncated: header length 100 but only 2 bytes follow it");
}

TEST_F(SafetensorsTest, RejectsHugeHeaderLength) {
  const std::string p = Raw("huge", uint64_t{1} << 62, "{}", 0);
  EXPECT_HAS(OpenError(p), "exceeds the limit");
}

TEST_F(SafetensorsTest, RejectsBadJson) {
  const std::string p = WithHeader("json", R"({"a": {"dtype": "F32",)", 0);
  EXPECT_HAS(OpenError(p), p + ": bad header JSON: ");
}

TEST_F(SafetensorsTest, RejectsNonObjectHeader) {
  const std::string p = WithHeader("array", "[1, 2]", 0);
  EXPECT_EQ(OpenError(p), p + ": bad header JSON: the header is not a JSON object");
}

TEST_F(SafetensorsTest, RejectsNonObjectEntry) {
  const std::string p = WithHeader("entry", R"({"w": 3})", 0);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': header entry is not an object");
}

TEST_F(SafetensorsTest, RejectsMissingDtype) {
  const std::string p =
      WithHeader("nodtype", R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': header entry has no \"dtype\" string");
}

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  const std::string p =
      WithHeader("dtype", R"({"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", 8);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': unsupported dtype 'I64' (supported: F32, F16, BF16)");
}

TEST_F(SafetensorsTest, RejectsBadShape) {
  const std::string p = WithHeader(
      "shape", R"({"w": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 8]}})", 8);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': shape [2,-1] is not a list of non-negative integers");
}

TEST_F(SafetensorsTest, RejectsBadOffsetsField) {
  const std::string p =
      WithHeader("offs", R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})", 8);
  EXPECT_EQ(OpenError(p),
            p + ": tensor 'w': \"data_offsets\" is not a pair of non-negative integers");
}

TEST_F(SafetensorsTest, RejectsReversedOffsets) {
  const std::string p =
      WithHeader("rev", R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': data_offsets [8, 4] end before they begin");
}

TEST_F(SafetensorsTest, RejectsOffsetsOutOfRange) {
  // The header promises 16 bytes but the data section has 12: a truncated file.
  const std::string p =
      WithHeader("range", R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 12);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': data_offsets [0, 16] are out of range: the data "
                              "section has 12 bytes (file truncated?)");
}

TEST_F(SafetensorsTest, RejectsSizeMismatch) {
  const std::string p =
      WithHeader("size", R"({"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}})", 8);
  EXPECT_EQ(OpenError(p), p + ": tensor 'w': data_offsets [0, 8] hold 8 bytes but shape [3] of "
                              "F16 needs 6");
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  const std::string p =
      WithHeader("overlap",
                 R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                 R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                 12);
  EXPECT_EQ(OpenError(p), p + ": tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]");
}

TEST_F(SafetensorsTest, RejectsMissingTensor) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  const std::string p = Path("missing.safetensors");
  SaveSafetensorsWeights(p, c, RandomWeights(c));
  const SafetensorsFile f = SafetensorsFile::Open(p);
  std::vector<StTensor> ts;
  for (const auto& n : f.Names()) {
    if (n != "layers.0.feed_forward.w3.weight") ts.push_back(f.Read(n));
  }
  WriteSafetensors(p, ts);
  EXPECT_EQ(LoadError(p, c), p + ": tensor 'layers.0.feed_forward.w3.weight': missing (model "
                                 "'tiny-decoder' needs it)");
  EXPECT_HAS(OpenError(p), "");  // the file itself is fine
}

TEST_F(SafetensorsTest, RejectsWrongShape) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  ModelConfig wide = c;
  wide.d_model = 48;
  const std::string p = Path("shape.safetensors");
  SaveSafetensorsWeights(p, wide, RandomWeights(wide));
  EXPECT_EQ(LoadError(p, c), p + ": tensor 'layers.0.attention_norm.weight': shape [48] does not "
                                 "match [32] expected by model 'tiny-decoder'");
}

TEST_F(SafetensorsTest, RejectsFewerLayersThanTheModel) {
  const ModelConfig two = BuiltinModel("decoder-2layer");
  ModelConfig one = two;
  one.n_layers = 1;
  const std::string p = Path("layers.safetensors");
  SaveSafetensorsWeights(p, one, RandomWeights(one));
  EXPECT_EQ(LoadError(p, two), p + ": tensor 'layers.1.attention_norm.weight': missing (model "
                                   "'decoder-2layer' needs it)");
}

// An infinity or NaN in a checkpoint has no int8 value: loading names the tensor and index
// instead of quantising it (the safetensors fuzz target found the undefined cast).
TEST_F(SafetensorsTest, RejectsNonFiniteWeights) {
  const ModelConfig c = BuiltinModel("tiny-decoder");
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    FloatWeights w = RandomWeights(c);
    w.layers[0].wk.at(3, 5) = bad;
    const std::string p = Path("nonfinite.safetensors");
    SaveSafetensorsWeights(p, c, w);
    EXPECT_HAS(LoadError(p, c), "tensor 'layers.0.attention.wk.weight': value");
    EXPECT_HAS(LoadError(p, c), "is not finite");
  }
}

TEST_F(SafetensorsTest, WriterRejectsValuesNotFillingTheShape) {
  const std::string p = Path("bad_write");
  EXPECT_THROW(WriteSafetensors(p, {{"w", StDtype::kF32, {2, 2}, {1, 2, 3}}}), Error);
  EXPECT_THROW(WriteSafetensors("/nonexistent-dir/x.safetensors", {}), Error);
}

}  // namespace
}  // namespace tinylpu
