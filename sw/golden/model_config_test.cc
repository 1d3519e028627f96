// Tests for model configs: validation messages name the field and limit; built-ins are sound.
#include "sw/golden/model_config.h"

#include <gtest/gtest.h>

#include <functional>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

std::string ErrorOf(const ModelConfig& c) {
  try {
    ValidateModelConfig(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfigTest, BuiltinsValidateAndDefaultIsTinyDecoder) {
  for (const auto& m : BuiltinModels()) {
    SCOPED_TRACE(m.name);
    EXPECT_NO_THROW(ValidateModelConfig(m));
    EXPECT_EQ(BuiltinModel(m.name).name, m.name);
  }
  const ModelConfig d = BuiltinModel(kDefaultModel);
  EXPECT_EQ(d.block, BlockType::kDecoder);
  EXPECT_EQ(d.d_model, 32);
  EXPECT_EQ(d.n_heads, 4);
  EXPECT_EQ(d.n_kv_heads, 2);
  EXPECT_EQ(d.ffn_dim, 64);
  EXPECT_EQ(d.seq_len, 16);
}

TEST(ModelConfigTest, BuiltinsCoverRequiredShapes) {
  EXPECT_EQ(BuiltinModel("tiny-encoder").block, BlockType::kEncoder);
  EXPECT_EQ(BuiltinModel("decoder-2layer").n_layers, 2);
  const ModelConfig big = BuiltinModel("decoder-64");
  EXPECT_GT(big.d_model, 16);
  EXPECT_GE(big.seq_len, 64);
  EXPECT_GT(big.ffn_dim, 16);
}

TEST(ModelConfigTest, UnknownModelListsNames) {
  try {
    BuiltinModel("gpt-5");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown model 'gpt-5'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("tiny-decoder"), std::string::npos);
  }
}

struct BadCase {
  const char* name;
  std::function<void(ModelConfig&)> edit;
  const char* message;
};

TEST(ModelConfigTest, RejectsEachBadFieldWithItsName) {
  const std::vector<BadCase> cases = {
      {"d_model", [](ModelConfig& c) { c.d_model = 0; }, "d_model = 0 is out of range [1, 8192]"},
      {"n_heads", [](ModelConfig& c) { c.n_heads = 0; }, "n_heads = 0 is out of range"},
      {"n_kv_heads_zero", [](ModelConfig& c) { c.n_kv_heads = 0; },
       "n_kv_heads = 0 is out of range [1, 4]"},
      {"n_kv_heads_big", [](ModelConfig& c) { c.n_kv_heads = 8; },
       "n_kv_heads = 8 is out of range [1, 4]"},
      {"n_kv_heads_divide", [](ModelConfig& c) { c.n_kv_heads = 3; },
       "n_kv_heads = 3 must divide n_heads = 4"},
      {"head_dim", [](ModelConfig& c) { c.head_dim = -2; }, "head_dim = -2 is out of range"},
      {"head_dim_odd", [](ModelConfig& c) { c.head_dim = 7; },
       "head_dim = 7 must be even for RoPE"},
      {"ffn_dim", [](ModelConfig& c) { c.ffn_dim = 9000; }, "ffn_dim = 9000 is out of range"},
      {"seq_len", [](ModelConfig& c) { c.seq_len = 0; }, "seq_len = 0 is out of range [1, 8192]"},
      {"n_layers", [](ModelConfig& c) { c.n_layers = 300; }, "n_layers = 300 is out of range"},
      {"q_dim", [](ModelConfig& c) { c.n_heads = 256, c.n_kv_heads = 1, c.head_dim = 64; },
       "n_heads * head_dim = 16384 exceeds the limit 8192"},
      {"reduce_lanes", [](ModelConfig& c) { c.reduce_lanes = 12; },
       "reduce_lanes = 12 must be a power of two"},
      {"reduce_lanes_range", [](ModelConfig& c) { c.reduce_lanes = 128; },
       "reduce_lanes = 128 is out of range [1, 64]"},
      {"norm_eps", [](ModelConfig& c) { c.norm_eps = 0; }, "norm_eps = 0 must be a positive"},
      {"rope_base", [](ModelConfig& c) { c.rope_base = 1; }, "rope_base = 1 must be a finite"},
      {"encoder_kv", [](ModelConfig& c) { c.block = BlockType::kEncoder; },
       "n_kv_heads = 2 must equal n_heads = 4 in an encoder"},
  };
  for (const BadCase& bc : cases) {
    SCOPED_TRACE(bc.name);
    ModelConfig c;
    c.name = "m";
    bc.edit(c);
    const std::string msg = ErrorOf(c);
    EXPECT_NE(msg.find("model config 'm': "), std::string::npos) << msg;
    EXPECT_NE(msg.find(bc.message), std::string::npos) << msg;
  }
}

TEST(ModelConfigTest, EncoderAllowsOddHeadDim) {
  ModelConfig c;
  c.block = BlockType::kEncoder;
  c.n_kv_heads = 4;
  c.head_dim = 7;
  EXPECT_EQ(ErrorOf(c), "");
}

}  // namespace
}  // namespace tinylpu
