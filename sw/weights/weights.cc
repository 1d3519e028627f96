// Model weights: tensor specs, seeded random weights and symmetric int8 quantisation.
#include "sw/weights/weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// Uniform in [-a, a) from the top 53 bits of one mt19937_64 draw (platform independent, unlike
// std::uniform_real_distribution).
float Uniform(std::mt19937_64& rng, double a) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
  return static_cast<float>((2.0 * u - 1.0) * a);
}

WeightSpec Matrix(const std::string& name, int layer, int in, int out,
                  FloatTensor LayerWeights::*field) {
  WeightSpec s;
  s.name = fmt::format("layers.{}.{}", layer, name);
  s.layer = layer;
  s.is_matrix = true;
  s.in = in;
  s.out = out;
  s.matrix = field;
  s.init = WeightSpec::Init::kLinear;
  return s;
}

WeightSpec Vector(const std::string& name, int layer, int len,
                  std::vector<float> LayerWeights::*field, WeightSpec::Init init) {
  WeightSpec s;
  s.name = fmt::format("layers.{}.{}", layer, name);
  s.layer = layer;
  s.out = len;
  s.vector = field;
  s.init = init;
  return s;
}

}  // namespace

std::vector<WeightSpec> WeightSpecs(const ModelConfig& c) {
  using L = LayerWeights;
  using I = WeightSpec::Init;
  std::vector<WeightSpec> specs;
  const int d = c.d_model;
  for (int l = 0; l < c.n_layers; ++l) {
    if (c.is_decoder()) {
      specs.push_back(Vector("attention_norm.weight", l, d, &L::attn_norm, I::kGain));
      specs.push_back(Matrix("attention.wq.weight", l, d, c.q_dim(), &L::wq));
      specs.push_back(Matrix("attention.wk.weight", l, d, c.kv_dim(), &L::wk));
      specs.push_back(Matrix("attention.wv.weight", l, d, c.kv_dim(), &L::wv));
      specs.push_back(Matrix("attention.wo.weight", l, c.q_dim(), d, &L::wo));
      specs.push_back(Vector("ffn_norm.weight", l, d, &L::ffn_norm, I::kGain));
      specs.push_back(Matrix("feed_forward.w1.weight", l, d, c.ffn_dim, &L::w1));
      specs.push_back(Matrix("feed_forward.w2.weight", l, c.ffn_dim, d, &L::w2));
      specs.push_back(Matrix("feed_forward.w3.weight", l, d, c.ffn_dim, &L::w3));
    } else {
      specs.push_back(Matrix("attention.wq.weight", l, d, c.q_dim(), &L::wq));
      specs.push_back(Vector("attention.wq.bias", l, c.q_dim(), &L::bq, I::kBias));
      specs.push_back(Matrix("attention.wk.weight", l, d, c.kv_dim(), &L::wk));
      specs.push_back(Vector("attention.wk.bias", l, c.kv_dim(), &L::bk, I::kBias));
      specs.push_back(Matrix("attention.wv.weight", l, d, c.kv_dim(), &L::wv));
      specs.push_back(Vector("attention.wv.bias", l, c.kv_dim(), &L::bv, I::kBias));
      specs.push_back(Matrix("attention.wo.weight", l, c.q_dim(), d, &L::wo));
      specs.push_back(Vector("attention.wo.bias", l, d, &L::bo, I::kBias));
      specs.push_back(Vector("attention_norm.weight", l, d, &L::attn_norm, I::kGain));
      specs.push_back(Vector("attention_norm.bias", l, d, &L::attn_norm_bias, I::kBias));
      specs.push_back(Matrix("feed_forward.w1.weight", l, d, c.ffn_dim, &L::w1));
      specs.push_back(Vector("feed_forward.w1.bias", l, c.ffn_dim, &L::b1, I::kBias));
      specs.push_back(Matrix("feed_forward.w2.weight", l, c.ffn_dim, d, &L::w2));
      specs.push_back(Vector("feed_forward.w2.bias", l, d, &L::b2, I::kBias));
      specs.push_back(Vector("ffn_norm.weight", l, d, &L::ffn_norm, I::kGain));
      specs.push_back(Vector("ffn_norm.bias", l, d, &L::ffn_norm_bias, I::kBias));
    }
  }
  return specs;
}

FloatWeights RandomWeights(const ModelConfig& config) {
  ValidateModelConfig(config);
  std::mt19937_64 rng(config.seed);
  FloatWeights w;
  w.layers.resize(config.n_layers);
  for (const WeightSpec& s : WeightSpecs(config)) {
    LayerWeights& lw = w.layers[s.layer];
    if (s.is_matrix) {
      FloatTensor& m = lw.*s.matrix;
      m = FloatTensor(s.in, s.out);
      const double a = std::sqrt(3.0 / s.in);
      for (float& v : m.data) v = Uniform(rng, a);
    } else {
      std::vector<float>& v = lw.*s.vector;
      v.resize(s.out);
      for (float& x : v) {
        x = s.init == WeightSpec::Init::kGain ? 1.0f + Uniform(rng, 0.1) : Uniform(rng, 0.05);
      }
    }
  }
  return w;
}

FloatTensor BuiltinInput(const ModelConfig& config) {
  ValidateModelConfig(config);
  std::mt19937_64 rng(config.seed + 1000);
  FloatTensor x(config.seq_len, config.d_model);
  for (float& v : x.data) v = Uniform(rng, std::sqrt(3.0));
  return x;
}

void CheckWeights(const ModelConfig& config, const FloatWeights& weights) {
  if (static_cast<int>(weights.layers.size()) != config.n_layers) {
    throw Error(fmt::format("weights have {} layers, model '{}' needs {}", weights.layers.size(),
                            config.name, config.n_layers));
  }
  for (const WeightSpec& s : WeightSpecs(config)) {
    const LayerWeights& lw = weights.layers[s.layer];
    if (s.is_matrix) {
      const FloatTensor& m = lw.*s.matrix;
      if (m.rows != s.in || m.cols != s.out) {
        throw Error(fmt::format("weight '{}' is [{}][{}] (in x out), model '{}' needs [{}][{}]",
                                s.name, m.rows, m.cols, config.name, s.in, s.out));
      }
    } else if (static_cast<int>((lw.*s.vector).size()) != s.out) {
      throw Error(fmt::format("weight '{}' has {} values, model '{}' needs {}", s.name,
                              (lw.*s.vector).size(), config.name, s.out));
    }
  }
}

double RoundHalfEven(double x) {
  const double f = std::floor(x);
  const double diff = x - f;
  if (diff > 0.5) return f + 1.0;
  if (diff < 0.5) return f;
  return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

QuantMatrix QuantizeMatrix(const FloatTensor& w, WeightQuant granularity) {
  QuantMatrix m;
  m.q = Tensor<int8_t>(w.rows, w.cols);
  const int groups = granularity == WeightQuant::kPerTensor ? 1 : w.cols;
  std::vector<double> max_abs(groups, 0.0);
  for (int r = 0; r < w.rows; ++r) {
    for (int c = 0; c < w.cols; ++c) {
      if (!std::isfinite(w.at(r, c))) {
        throw Error(
            fmt::format("cannot quantise a weight matrix with a non-finite value ({} at "
                        "row {}, column {})",
                        w.at(r, c), r, c));
      }
      double& mx = max_abs[groups == 1 ? 0 : c];
      mx = std::max(mx, std::fabs(static_cast<double>(w.at(r, c))));
    }
  }
  m.scales.resize(groups);
  for (int g = 0; g < groups; ++g) {
    m.scales[g] = max_abs[g] > 0.0 ? static_cast<float>(max_abs[g] / 127.0) : 1.0f;
  }
  for (int r = 0; r < w.rows; ++r) {
    for (int c = 0; c < w.cols; ++c) {
      const double q = RoundHalfEven(static_cast<double>(w.at(r, c)) / m.Scale(c));
      m.q.at(r, c) = static_cast<int8_t>(std::clamp(q, -127.0, 127.0));
    }
  }
  return m;
}

FloatTensor Dequantize(const QuantMatrix& m) {
  FloatTensor w(m.q.rows, m.q.cols);
  for (int r = 0; r < w.rows; ++r) {
    for (int c = 0; c < w.cols; ++c) w.at(r, c) = static_cast<float>(m.q.at(r, c) * m.Scale(c));
  }
  return w;
}

QuantWeights QuantizeWeights(const ModelConfig& config, const FloatWeights& weights) {
  CheckWeights(config, weights);
  QuantWeights q;
  for (const LayerWeights& lw : weights.layers) {
    QuantLayerWeights ql;
    const WeightQuant g = config.weight_quant;
    ql.wq = QuantizeMatrix(lw.wq, g);
    ql.wk = QuantizeMatrix(lw.wk, g);
    ql.wv = QuantizeMatrix(lw.wv, g);
    ql.wo = QuantizeMatrix(lw.wo, g);
    ql.w1 = QuantizeMatrix(lw.w1, g);
    ql.w2 = QuantizeMatrix(lw.w2, g);
    if (config.is_decoder()) ql.w3 = QuantizeMatrix(lw.w3, g);
    ql.attn_norm = lw.attn_norm;
    ql.ffn_norm = lw.ffn_norm;
    ql.attn_norm_bias = lw.attn_norm_bias;
    ql.ffn_norm_bias = lw.ffn_norm_bias;
    ql.bq = lw.bq;
    ql.bk = lw.bk;
    ql.bv = lw.bv;
    ql.bo = lw.bo;
    ql.b1 = lw.b1;
    ql.b2 = lw.b2;
    q.layers.push_back(std::move(ql));
  }
  return q;
}

}  // namespace tinylpu
