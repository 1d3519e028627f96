// Bit-exact golden model: quantisation, calibration, constants, operators and blocks.
#include "sw/golden/golden.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sw/core/error.h"
#include "sw/golden/lpu_arith.h"

namespace tinylpu {

using arith::F32Add;
using arith::F32Mul;
using arith::F32Sub;
using arith::F32ToI8;
using arith::I32ToF32;

namespace {

float ScaleOf(const FloatTensor& t) {
  double mx = 0.0;
  for (float v : t.data) mx = std::max(mx, std::fabs(static_cast<double>(v)));
  return mx > 0.0 ? static_cast<float>(mx / 127.0) : 1.0f;
}

float F(double v) { return static_cast<float>(v); }

// Per-column epilogue multipliers: a * sw[n] / b, rounded once to fp32.
std::vector<float> ColumnMul(double a, const QuantMatrix& m, double b) {
  std::vector<float> out(m.q.cols);
  for (int n = 0; n < m.q.cols; ++n) out[n] = F(a * static_cast<double>(m.Scale(n)) / b);
  return out;
}

std::vector<float> Divided(const std::vector<float>& v, double s) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = F(static_cast<double>(v[i]) / s);
  return out;
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

float InputScale(const FloatTensor& x) { return ScaleOf(x); }

Int8Tensor QuantizeActivations(const FloatTensor& x, float scale) {
  Int8Tensor q(x.rows, x.cols);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = RoundHalfEven(static_cast<double>(x.data[i]) / scale);
    q.data[i] = static_cast<int8_t>(std::clamp(v, -127.0, 127.0));
  }
  return q;
}

FloatTensor DequantizeActivations(const Int8Tensor& x, float scale) {
  FloatTensor f(x.rows, x.cols);
  for (size_t i = 0; i < x.size(); ++i) f.data[i] = static_cast<float>(x.data[i]) * scale;
  return f;
}

GoldenModel BuildGoldenModel(const ModelConfig& config, const FloatWeights& weights,
                             const FloatTensor& calibration_input) {
  ValidateModelConfig(config);
  GoldenModel m;
  m.config = config;
  m.weights = QuantizeWeights(config, weights);
  const float s_in = InputScale(calibration_input);
  const FloatTensor x = DequantizeActivations(QuantizeActivations(calibration_input, s_in), s_in);
  const FloatResult ref = RunFloatPrefill(config, weights, x);
  for (int l = 0; l < config.n_layers; ++l) {
    const FloatLayerTrace& t = ref.layers[l];
    ActScales s;
    s.in = l == 0 ? s_in : m.scales[l - 1].out;
    s.attn_in = config.is_decoder() ? ScaleOf(t.attn_in) : s.in;
    s.q = ScaleOf(t.q);
    s.k = ScaleOf(t.k);
    s.v = ScaleOf(t.v);
    s.attn = ScaleOf(t.attn);
    s.h1 = ScaleOf(t.h1);
    s.ffn_in = config.is_decoder() ? ScaleOf(t.ffn_in) : s.h1;
    s.ffn_mid = ScaleOf(t.ffn_mid);
    s.out = ScaleOf(t.out);
    m.scales.push_back(s);
  }
  return m;
}

LayerConstants BuildLayerConstants(const GoldenModel& model, int layer) {
  const ModelConfig& c = model.config;
  const QuantLayerWeights& w = model.weights.layers.at(layer);
  const ActScales& s = model.scales.at(layer);
  LayerConstants k;
  k.in_scale = s.in;
  k.inv_d = F(1.0 / c.d_model);
  k.eps = c.norm_eps;
  const double x_in = c.is_decoder() ? s.attn_in : s.in;  // scale of the q/k/v input
  k.q_mul = ColumnMul(x_in, w.wq, s.q);
  k.k_mul = ColumnMul(x_in, w.wk, s.k);
  k.v_mul = ColumnMul(x_in, w.wv, s.v);
  k.qk_scale = F(static_cast<double>(s.q) * s.k / std::sqrt(static_cast<double>(c.head_dim)));
  k.pv_scale = F(static_cast<double>(s.v) / s.attn);
  k.o_mul = ColumnMul(s.attn, w.wo, 1.0);
  k.w2_mul = ColumnMul(s.ffn_mid, w.w2, 1.0);
  if (c.is_decoder()) {
    k.norm1_gain = Divided(w.attn_norm, s.attn_in);
    k.norm2_gain = Divided(w.ffn_norm, s.ffn_in);
    k.w1_mul = ColumnMul(s.ffn_in, w.w1, 1.0);
    k.w3_mul = ColumnMul(s.ffn_in, w.w3, s.ffn_mid);
    k.out_inv = F(1.0 / s.out);
  } else {
    k.norm1_gain = Divided(w.attn_norm, s.h1);
    k.norm1_bias = Divided(w.attn_norm_bias, s.h1);
    k.norm2_gain = Divided(w.ffn_norm, s.out);
    k.norm2_bias = Divided(w.ffn_norm_bias, s.out);
    k.q_add = Divided(w.bq, s.q);
    k.k_add = Divided(w.bk, s.k);
    k.v_add = Divided(w.bv, s.v);
    k.o_add = w.bo;
    k.w1_mul = ColumnMul(s.h1, w.w1, 1.0);
    k.w1_add = w.b1;
    k.w2_add = w.b2;
    k.ffn_mid_inv = F(1.0 / s.ffn_mid);
    k.h1_scale = s.h1;
  }
  return k;
}

RopeTable BuildRopeTable(const ModelConfig& c, int positions) {
  RopeTable t{FloatTensor(positions, c.head_dim / 2), FloatTensor(positions, c.head_dim / 2)};
  for (int p = 0; p < positions; ++p) {
    for (int i = 0; i < c.head_dim / 2; ++i) {
      const double theta = std::pow(static_cast<double>(c.rope_base), -2.0 * i / c.head_dim);
      const double angle = static_cast<double>(p) * theta;
      t.cos.at(p, i) = F(std::cos(angle));
      t.sin.at(p, i) = F(std::sin(angle));
    }
  }
  return t;
}

Int32Tensor MxmMatmul(const Int8Tensor& x, const Int8Tensor& w) {
  Int32Tensor y(x.rows, w.cols);
  for (int m = 0; m < x.rows; ++m) {
    for (int n = 0; n < w.cols; ++n) {
      uint32_t acc = 0;
      for (int k = 0; k < x.cols; ++k) {
        acc += static_cast<uint32_t>(static_cast<int32_t>(x.at(m, k)) * w.at(k, n));
      }
      y.at(m, n) = static_cast<int32_t>(acc);
    }
  }
  return y;
}

float ReduceSumF32(const float* x, int n, int lanes) {
  std::vector<float> acc(lanes, 0.0f);
  const int tiles = std::max(1, (n + lanes - 1) / lanes);
  for (int t = 0; t < tiles; ++t) {
    for (int l = 0; l < lanes; ++l) {
      const int i = t * lanes + l;
      const float v = i < n ? x[i] : 0.0f;
      acc[l] = t == 0 ? v : F32Add(acc[l], v);
    }
  }
  for (int s = lanes / 2; s >= 1; s /= 2) {
    std::vector<float> next(lanes);
    for (int l = 0; l < lanes; ++l) next[l] = F32Add(acc[l], acc[(l + s) % lanes]);
    acc = std::move(next);
  }
  return acc[0];
}

float ReduceMaxF32(const float* x, int n) {
  float m = kNegInf;
  for (int i = 0; i < n; ++i) m = arith::F32Max(m, x[i]);
  return m;
}

void GoldenRmsNorm(const float* x, int n, const LayerConstants& k, const std::vector<float>& gain,
                   int lanes, int8_t* out) {
  std::vector<float> sq(n);
  for (int i = 0; i < n; ++i) sq[i] = F32Mul(x[i], x[i]);
  const float ms = F32Mul(ReduceSumF32(sq.data(), n, lanes), k.inv_d);
  const float r = arith::Rsqrt(F32Add(ms, k.eps));
  for (int i = 0; i < n; ++i) out[i] = F32ToI8(F32Mul(F32Mul(x[i], r), gain[i]));
}

void GoldenLayerNorm(const float* x, int n, const LayerConstants& k, const std::vector<float>& gain,
                     const std::vector<float>& bias, int lanes, int8_t* out) {
  const float mean = F32Mul(ReduceSumF32(x, n, lanes), k.inv_d);
  std::vector<float> xc(n), sq(n);
  for (int i = 0; i < n; ++i) {
    xc[i] = F32Sub(x[i], mean);
    sq[i] = F32Mul(xc[i], xc[i]);
  }
  const float var = F32Mul(ReduceSumF32(sq.data(), n, lanes), k.inv_d);
  const float r = arith::Rsqrt(F32Add(var, k.eps));
  for (int i = 0; i < n; ++i) out[i] = F32ToI8(F32Add(F32Mul(F32Mul(xc[i], r), gain[i]), bias[i]));
}

void GoldenRope(float* x, int head_dim, const float* cos, const float* sin) {
  for (int i = 0; i < head_dim / 2; ++i) {
    const float a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = F32Sub(F32Mul(a, cos[i]), F32Mul(b, sin[i]));
    x[2 * i + 1] = F32Add(F32Mul(a, sin[i]), F32Mul(b, cos[i]));
  }
}

int32_t GoldenSoftmaxRow(const float* scores, const std::vector<bool>& valid, int n, int8_t* e_q) {
  float m = kNegInf;
  for (int j = 0; j < n; ++j) {
    if (valid[j]) m = arith::F32Max(m, scores[j]);
  }
  int32_t den = 0;
  for (int j = 0; j < n; ++j) {
    e_q[j] = valid[j] ? F32ToI8(F32Mul(arith::Exp(F32Sub(scores[j], m)), 127.0f)) : 0;
    den += e_q[j];
  }
  return den;
}

namespace {

// One quantised projection: acc * mul[n] (+ add[n]) then int8, with optional RoPE between.
Int8Tensor Project(const Int32Tensor& acc, const std::vector<float>& mul,
                   const std::vector<float>& add, const ModelConfig& c, const RopeTable* rope,
                   int pos0) {
  Int8Tensor out(acc.rows, acc.cols);
  std::vector<float> row(acc.cols);
  for (int r = 0; r < acc.rows; ++r) {
    for (int n = 0; n < acc.cols; ++n) {
      row[n] = F32Mul(I32ToF32(acc.at(r, n)), mul[n]);
      if (!add.empty()) row[n] = F32Add(row[n], add[n]);
    }
    if (rope != nullptr) {
      for (int h0 = 0; h0 < acc.cols; h0 += c.head_dim) {
        GoldenRope(row.data() + h0, c.head_dim, rope->cos.row(pos0 + r), rope->sin.row(pos0 + r));
      }
    }
    for (int n = 0; n < acc.cols; ++n) out.at(r, n) = F32ToI8(row[n]);
  }
  return out;
}

// acc * mul[n] (+ add[n]) in fp32.
FloatTensor Epilogue(const Int32Tensor& acc, const std::vector<float>& mul,
                     const std::vector<float>& add) {
  FloatTensor out(acc.rows, acc.cols);
  for (int r = 0; r < acc.rows; ++r) {
    for (int n = 0; n < acc.cols; ++n) {
      float v = F32Mul(I32ToF32(acc.at(r, n)), mul[n]);
      if (!add.empty()) v = F32Add(v, add[n]);
      out.at(r, n) = v;
    }
  }
  return out;
}

FloatTensor AddF32(const FloatTensor& a, const FloatTensor& b) {
  FloatTensor y(a.rows, a.cols);
  for (size_t i = 0; i < y.size(); ++i) y.data[i] = F32Add(a.data[i], b.data[i]);
  return y;
}

FloatTensor DequantF32(const Int8Tensor& x, float scale) {
  FloatTensor y(x.rows, x.cols);
  for (size_t i = 0; i < y.size(); ++i) y.data[i] = F32Mul(I32ToF32(x.data[i]), scale);
  return y;
}

void GoldenAttention(const ModelConfig& c, const LayerConstants& k, const Int8Tensor& kc,
                     const Int8Tensor& vc, int pos0, GoldenLayerTrace& t) {
  const int rows = t.q.rows;
  const int nk = kc.rows;
  const int hd = c.head_dim;
  const int group = c.group_size();
  t.scores = FloatTensor(c.n_heads * rows, nk);
  t.probs = Int8Tensor(c.n_heads * rows, nk);
  t.denom = Int32Tensor(c.n_heads * rows, 1);
  t.attn = Int8Tensor(rows, c.q_dim());
  std::vector<bool> valid(nk);
  for (int h = 0; h < c.n_heads; ++h) {
    const int g = h / group;
    for (int r = 0; r < rows; ++r) {
      const int pos = pos0 + r;
      const int pr = h * rows + r;
      float* s = t.scores.row(pr);
      for (int j = 0; j < nk; ++j) {
        valid[j] = !c.is_decoder() || j <= pos;
        int32_t acc = 0;
        for (int i = 0; i < hd; ++i) acc += t.q.at(r, h * hd + i) * kc.at(j, g * hd + i);
        s[j] = valid[j] ? F32Mul(I32ToF32(acc), k.qk_scale) : kNegInf;
      }
      int8_t* e = t.probs.row(pr);
      const int32_t den = GoldenSoftmaxRow(s, valid, nk, e);
      t.denom.at(pr, 0) = den;
      const float rs = F32Mul(arith::Reciprocal(I32ToF32(den)), k.pv_scale);
      for (int i = 0; i < hd; ++i) {
        int32_t acc = 0;
        for (int j = 0; j < nk; ++j) acc += e[j] * vc.at(j, g * hd + i);
        t.attn.at(r, h * hd + i) = F32ToI8(F32Mul(I32ToF32(acc), rs));
      }
    }
  }
}

void RmsNormRows(const FloatTensor& x, const LayerConstants& k, const std::vector<float>& gain,
                 int lanes, Int8Tensor& out) {
  out = Int8Tensor(x.rows, x.cols);
  for (int r = 0; r < x.rows; ++r) GoldenRmsNorm(x.row(r), x.cols, k, gain, lanes, out.row(r));
}

void LayerNormRows(const FloatTensor& x, const LayerConstants& k, const std::vector<float>& gain,
                   const std::vector<float>& bias, int lanes, Int8Tensor& out) {
  out = Int8Tensor(x.rows, x.cols);
  for (int r = 0; r < x.rows; ++r) {
    GoldenLayerNorm(x.row(r), x.cols, k, gain, bias, lanes, out.row(r));
  }
}

Int8Tensor GoldenBlock(const GoldenModel& model, int layer, const Int8Tensor& x,
                       GoldenKvCache& cache, const RopeTable& rope, GoldenLayerTrace& t) {
  const ModelConfig& c = model.config;
  const QuantLayerWeights& w = model.weights.layers[layer];
  const LayerConstants k = BuildLayerConstants(model, layer);
  const int pos0 = cache.k[layer].rows;
  const int lanes = c.reduce_lanes;
  t.in = x;
  t.h = DequantF32(x, k.in_scale);
  if (c.is_decoder()) {
    RmsNormRows(t.h, k, k.norm1_gain, lanes, t.attn_in);
  } else {
    t.attn_in = x;
  }
  const RopeTable* r = c.is_decoder() ? &rope : nullptr;
  t.q = Project(MxmMatmul(t.attn_in, w.wq.q), k.q_mul, k.q_add, c, r, pos0);
  t.k = Project(MxmMatmul(t.attn_in, w.wk.q), k.k_mul, k.k_add, c, r, pos0);
  t.v = Project(MxmMatmul(t.attn_in, w.wv.q), k.v_mul, k.v_add, c, nullptr, pos0);
  cache.k[layer].AppendRows(t.k);
  cache.v[layer].AppendRows(t.v);
  GoldenAttention(c, k, cache.k[layer], cache.v[layer], pos0, t);
  t.attn_proj = Epilogue(MxmMatmul(t.attn, w.wo.q), k.o_mul, k.o_add);
  t.h1 = AddF32(t.h, t.attn_proj);
  if (c.is_decoder()) {
    RmsNormRows(t.h1, k, k.norm2_gain, lanes, t.ffn_in);
    const FloatTensor g = Epilogue(MxmMatmul(t.ffn_in, w.w1.q), k.w1_mul, {});
    const FloatTensor u = Epilogue(MxmMatmul(t.ffn_in, w.w3.q), k.w3_mul, {});
    t.ffn_mid = Int8Tensor(g.rows, g.cols);
    for (size_t i = 0; i < g.size(); ++i) {
      t.ffn_mid.data[i] = F32ToI8(F32Mul(arith::Silu(g.data[i]), u.data[i]));
    }
    t.ffn_out = Epilogue(MxmMatmul(t.ffn_mid, w.w2.q), k.w2_mul, {});
    t.h2 = AddF32(t.h1, t.ffn_out);
    t.out = Int8Tensor(t.h2.rows, t.h2.cols);
    for (size_t i = 0; i < t.h2.size(); ++i)
      t.out.data[i] = F32ToI8(F32Mul(t.h2.data[i], k.out_inv));
  } else {
    LayerNormRows(t.h1, k, k.norm1_gain, k.norm1_bias, lanes, t.h1_q);
    t.ffn_in = t.h1_q;
    const FloatTensor u = Epilogue(MxmMatmul(t.h1_q, w.w1.q), k.w1_mul, k.w1_add);
    t.ffn_mid = Int8Tensor(u.rows, u.cols);
    for (size_t i = 0; i < u.size(); ++i) {
      t.ffn_mid.data[i] = F32ToI8(F32Mul(arith::Gelu(u.data[i]), k.ffn_mid_inv));
    }
    t.ffn_out = Epilogue(MxmMatmul(t.ffn_mid, w.w2.q), k.w2_mul, k.w2_add);
    t.h2 = AddF32(DequantF32(t.h1_q, k.h1_scale), t.ffn_out);
    LayerNormRows(t.h2, k, k.norm2_gain, k.norm2_bias, lanes, t.out);
  }
  return t.out;
}

GoldenResult RunGolden(const GoldenModel& model, const Int8Tensor& input, GoldenKvCache& cache) {
  const ModelConfig& c = model.config;
  ValidateModelConfig(c);
  if (static_cast<int>(model.weights.layers.size()) != c.n_layers ||
      static_cast<int>(model.scales.size()) != c.n_layers) {
    throw Error(
        fmt::format("model '{}': golden model has {} weight layers and {} scale layers, "
                    "config needs {}",
                    c.name, model.weights.layers.size(), model.scales.size(), c.n_layers));
  }
  if (input.cols != c.d_model || input.rows < 1) {
    throw Error(fmt::format("model '{}': input is [{}][{}], expected [tokens][{}]", c.name,
                            input.rows, input.cols, c.d_model));
  }
  if (cache.k.empty()) {
    cache.k.assign(c.n_layers, Int8Tensor(0, c.kv_dim()));
    cache.v.assign(c.n_layers, Int8Tensor(0, c.kv_dim()));
  }
  const int pos0 = cache.length();
  if (pos0 + input.rows > c.seq_len) {
    throw Error(fmt::format("model '{}': {} tokens after {} exceed seq_len = {} (KV-cache size)",
                            c.name, input.rows, pos0, c.seq_len));
  }
  const RopeTable rope = BuildRopeTable(c, c.seq_len);
  GoldenResult res;
  res.layers.resize(c.n_layers);
  Int8Tensor x = input;
  for (int l = 0; l < c.n_layers; ++l) x = GoldenBlock(model, l, x, cache, rope, res.layers[l]);
  res.output = std::move(x);
  return res;
}

}  // namespace

GoldenResult RunGoldenPrefill(const GoldenModel& model, const Int8Tensor& input,
                              GoldenKvCache* cache) {
  GoldenKvCache local;
  if (cache != nullptr && cache->length() != 0) {
    throw Error(
        fmt::format("model '{}': prefill needs an empty KV cache, this one holds {} "
                    "positions",
                    model.config.name, cache->length()));
  }
  return RunGolden(model, input, cache != nullptr ? *cache : local);
}

GoldenResult RunGoldenDecode(const GoldenModel& model, const Int8Tensor& token,
                             GoldenKvCache& cache) {
  if (!model.config.is_decoder()) {
    throw Error(fmt::format("model '{}': decode needs a decoder model, this is an encoder",
                            model.config.name));
  }
  if (token.rows != 1) {
    throw Error(
        fmt::format("model '{}': decode takes one token, got {}", model.config.name, token.rows));
  }
  return RunGolden(model, token, cache);
}

PreparedModel PrepareModel(const ModelConfig& config, const FloatWeights* weights) {
  ValidateModelConfig(config);
  PreparedModel p;
  p.config = config;
  p.weights = weights != nullptr ? *weights : RandomWeights(config);
  p.input = BuiltinInput(config);
  p.golden = BuildGoldenModel(config, p.weights, p.input);
  p.input_q = QuantizeActivations(p.input, p.golden.scales[0].in);
  p.input_dq = DequantizeActivations(p.input_q, p.golden.scales[0].in);
  return p;
}

Accuracy CompareTensors(const FloatTensor& actual, const FloatTensor& reference) {
  if (actual.rows != reference.rows || actual.cols != reference.cols) {
    throw Error(fmt::format("cannot compare a [{}][{}] tensor with a [{}][{}] one", actual.rows,
                            actual.cols, reference.rows, reference.cols));
  }
  double dot = 0, na = 0, nb = 0, mx = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual.data[i], b = reference.data[i];
    dot += a * b;
    na += a * a;
    nb += b * b;
    mx = std::max(mx, std::fabs(a - b));
  }
  Accuracy acc;
  acc.cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
  acc.max_abs_error = mx;
  return acc;
}

}  // namespace tinylpu
