// Model configs: validation with field-naming messages, and the built-in named models.
#include "sw/golden/model_config.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

[[noreturn]] void Fail(const ModelConfig& c, const std::string& what) {
  throw Error(fmt::format("model config '{}': {}", c.name, what));
}

void CheckRange(const ModelConfig& c, const char* field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    Fail(c, fmt::format("{} = {} is out of range [{}, {}]", field, value, lo, hi));
  }
}

}  // namespace

void ValidateModelConfig(const ModelConfig& c) {
  CheckRange(c, "d_model", c.d_model, 1, kMaxModelDim);
  CheckRange(c, "n_heads", c.n_heads, 1, kMaxHeads);
  CheckRange(c, "n_kv_heads", c.n_kv_heads, 1, c.n_heads);
  CheckRange(c, "head_dim", c.head_dim, 1, kMaxModelDim);
  CheckRange(c, "ffn_dim", c.ffn_dim, 1, kMaxModelDim);
  CheckRange(c, "seq_len", c.seq_len, 1, kMaxSeqLen);
  CheckRange(c, "n_layers", c.n_layers, 1, kMaxLayers);
  CheckRange(c, "reduce_lanes", c.reduce_lanes, 1, kMaxReduceLanes);
  if (c.n_heads % c.n_kv_heads != 0) {
    Fail(c, fmt::format("n_kv_heads = {} must divide n_heads = {}", c.n_kv_heads, c.n_heads));
  }
  if (c.q_dim() > kMaxModelDim) {
    Fail(c, fmt::format("n_heads * head_dim = {} exceeds the limit {}", c.q_dim(), kMaxModelDim));
  }
  if ((c.reduce_lanes & (c.reduce_lanes - 1)) != 0) {
    Fail(c, fmt::format("reduce_lanes = {} must be a power of two", c.reduce_lanes));
  }
  if (!(c.norm_eps > 0.0f) || !std::isfinite(c.norm_eps)) {
    Fail(c, fmt::format("norm_eps = {} must be a positive finite number", c.norm_eps));
  }
  if (c.is_decoder()) {
    if (c.head_dim % 2 != 0) {
      Fail(c, fmt::format("head_dim = {} must be even for RoPE", c.head_dim));
    }
    if (!(c.rope_base > 1.0f) || !std::isfinite(c.rope_base)) {
      Fail(c, fmt::format("rope_base = {} must be a finite number > 1", c.rope_base));
    }
  } else if (c.n_kv_heads != c.n_heads) {
    Fail(c, fmt::format("n_kv_heads = {} must equal n_heads = {} in an encoder", c.n_kv_heads,
                        c.n_heads));
  }
}

ModelConfig ParseModelConfigJson(std::string_view text, std::string_view source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("{}: a model config is a JSON object", source));
  ModelConfig c;
  c.name = std::string(source);
  auto integer = [&](const std::string& key, const nlohmann::json& v) {
    if (!v.is_number_integer()) {
      throw Error(fmt::format("{}: \"{}\" must be an integer, not {}", source, key, v.dump()));
    }
    const int64_t x = v.get<int64_t>();
    if (x < 0 || x > 1'000'000) {
      throw Error(fmt::format("{}: \"{}\" = {} is out of range", source, key, x));
    }
    return static_cast<int>(x);
  };
  auto number = [&](const std::string& key, const nlohmann::json& v) {
    if (!v.is_number()) {
      throw Error(fmt::format("{}: \"{}\" must be a number, not {}", source, key, v.dump()));
    }
    return v.get<double>();
  };
  auto text_of = [&](const std::string& key, const nlohmann::json& v) {
    if (!v.is_string()) {
      throw Error(fmt::format("{}: \"{}\" must be a string, not {}", source, key, v.dump()));
    }
    return v.get<std::string>();
  };
  for (const auto& [key, v] : j.items()) {
    if (key == "name") {
      c.name = text_of(key, v);
    } else if (key == "block") {
      const std::string b = text_of(key, v);
      if (b != "decoder" && b != "encoder") {
        throw Error(fmt::format("{}: \"block\" is \"{}\", expected \"decoder\" or \"encoder\"",
                                source, b));
      }
      c.block = b == "decoder" ? BlockType::kDecoder : BlockType::kEncoder;
    } else if (key == "d_model") {
      c.d_model = integer(key, v);
    } else if (key == "n_heads") {
      c.n_heads = integer(key, v);
    } else if (key == "n_kv_heads") {
      c.n_kv_heads = integer(key, v);
    } else if (key == "head_dim") {
      c.head_dim = integer(key, v);
    } else if (key == "ffn_dim") {
      c.ffn_dim = integer(key, v);
    } else if (key == "seq_len") {
      c.seq_len = integer(key, v);
    } else if (key == "n_layers") {
      c.n_layers = integer(key, v);
    } else if (key == "seed") {
      c.seed = static_cast<uint64_t>(integer(key, v));
    } else if (key == "norm_eps") {
      c.norm_eps = static_cast<float>(number(key, v));
    } else if (key == "rope_base") {
      c.rope_base = static_cast<float>(number(key, v));
    } else if (key == "weight_quant") {
      const std::string q = text_of(key, v);
      if (q != "per-tensor" && q != "per-channel") {
        throw Error(fmt::format(
            "{}: \"weight_quant\" is \"{}\", expected \"per-tensor\" or \"per-channel\"", source,
            q));
      }
      c.weight_quant = q == "per-tensor" ? WeightQuant::kPerTensor : WeightQuant::kPerChannel;
    } else {
      throw Error(fmt::format(
          "{}: unknown key \"{}\" (known: name, block, d_model, n_heads, n_kv_heads, head_dim, "
          "ffn_dim, seq_len, n_layers, norm_eps, rope_base, weight_quant, seed)",
          source, key));
    }
  }
  if (!c.is_decoder() && !j.contains("n_kv_heads")) c.n_kv_heads = c.n_heads;
  ValidateModelConfig(c);
  return c;
}

std::string_view BlockTypeName(BlockType block) {
  return block == BlockType::kDecoder ? "decoder" : "encoder";
}

std::string_view WeightQuantName(WeightQuant quant) {
  return quant == WeightQuant::kPerTensor ? "per-tensor" : "per-channel";
}

const std::vector<ModelConfig>& BuiltinModels() {
  static const std::vector<ModelConfig> models = [] {
    std::vector<ModelConfig> m;
    ModelConfig tiny;  // the defaults: d 32, 4 heads, 2 KV heads, head 8, FFN 64, seq 16
    tiny.name = "tiny-decoder";
    tiny.seed = 1;
    m.push_back(tiny);

    ModelConfig enc;
    enc.name = "tiny-encoder";
    enc.block = BlockType::kEncoder;
    enc.n_kv_heads = 4;
    enc.norm_eps = 1e-12f;
    enc.seed = 2;
    m.push_back(enc);

    ModelConfig two = tiny;
    two.name = "decoder-2layer";
    two.n_layers = 2;
    two.seed = 3;
    m.push_back(two);

    ModelConfig big = tiny;  // needs tiling on a 16x16 MXM in every dimension
    big.name = "decoder-64";
    big.d_model = 64;
    big.n_heads = 4;
    big.n_kv_heads = 2;
    big.head_dim = 16;
    big.ffn_dim = 176;
    big.seq_len = 64;
    big.seed = 4;
    m.push_back(big);

    ModelConfig enc2 = enc;
    enc2.name = "encoder-2layer";
    enc2.n_layers = 2;
    enc2.seq_len = 32;
    enc2.weight_quant = WeightQuant::kPerTensor;
    enc2.seed = 5;
    m.push_back(enc2);
    for (const auto& c : m) ValidateModelConfig(c);
    return m;
  }();
  return models;
}

std::vector<std::string> BuiltinModelNames() {
  std::vector<std::string> names;
  for (const auto& m : BuiltinModels()) names.push_back(m.name);
  return names;
}

ModelConfig BuiltinModel(std::string_view name) {
  for (const auto& m : BuiltinModels()) {
    if (m.name == name) return m;
  }
  throw Error(fmt::format("unknown model '{}' (built-in models: {})", name,
                          fmt::join(BuiltinModelNames(), ", ")));
}

}  // namespace tinylpu
