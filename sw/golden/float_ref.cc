// Float reference of the transformer blocks: straightforward double arithmetic per operator.
#include "sw/golden/float_ref.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sw/core/error.h"

namespace tinylpu {

FloatTensor RefMatmul(const FloatTensor& x, const FloatTensor& w, const std::vector<float>& bias) {
  FloatTensor y(x.rows, w.cols);
  for (int m = 0; m < x.rows; ++m) {
    for (int n = 0; n < w.cols; ++n) {
      double s = bias.empty() ? 0.0 : bias[n];
      for (int k = 0; k < x.cols; ++k) s += static_cast<double>(x.at(m, k)) * w.at(k, n);
      y.at(m, n) = static_cast<float>(s);
    }
  }
  return y;
}

FloatTensor RefRmsNorm(const FloatTensor& x, const std::vector<float>& gain, float eps) {
  FloatTensor y(x.rows, x.cols);
  for (int r = 0; r < x.rows; ++r) {
    double ss = 0.0;
    for (int c = 0; c < x.cols; ++c) ss += static_cast<double>(x.at(r, c)) * x.at(r, c);
    const double inv = 1.0 / std::sqrt(ss / x.cols + eps);
    for (int c = 0; c < x.cols; ++c) y.at(r, c) = static_cast<float>(x.at(r, c) * inv * gain[c]);
  }
  return y;
}

FloatTensor RefLayerNorm(const FloatTensor& x, const std::vector<float>& gain,
                         const std::vector<float>& bias, float eps) {
  FloatTensor y(x.rows, x.cols);
  for (int r = 0; r < x.rows; ++r) {
    double mean = 0.0;
    for (int c = 0; c < x.cols; ++c) mean += x.at(r, c);
    mean /= x.cols;
    double var = 0.0;
    for (int c = 0; c < x.cols; ++c) var += (x.at(r, c) - mean) * (x.at(r, c) - mean);
    var /= x.cols;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int c = 0; c < x.cols; ++c) {
      y.at(r, c) = static_cast<float>((x.at(r, c) - mean) * inv * gain[c] + bias[c]);
    }
  }
  return y;
}

void RefSoftmax(std::vector<double>& row) {
  double mx = -std::numeric_limits<double>::infinity();
  for (double v : row) mx = std::max(mx, v);
  double sum = 0.0;
  for (double& v : row) {
    v = std::exp(v - mx);
    sum += v;
  }
  for (double& v : row) v /= sum;
}

FloatTensor RefRope(const FloatTensor& x, int head_dim, int pos0, float base) {
  FloatTensor y = x;
  for (int r = 0; r < x.rows; ++r) {
    const double pos = pos0 + r;
    for (int h0 = 0; h0 < x.cols; h0 += head_dim) {
      for (int i = 0; i < head_dim / 2; ++i) {
        const double angle = pos * std::pow(static_cast<double>(base), -2.0 * i / head_dim);
        const double c = std::cos(angle), s = std::sin(angle);
        const double a = x.at(r, h0 + 2 * i), b = x.at(r, h0 + 2 * i + 1);
        y.at(r, h0 + 2 * i) = static_cast<float>(a * c - b * s);
        y.at(r, h0 + 2 * i + 1) = static_cast<float>(a * s + b * c);
      }
    }
  }
  return y;
}

FloatTensor RefAttention(const FloatTensor& q, const FloatTensor& k, const FloatTensor& v,
                         int n_heads, int n_kv_heads, int head_dim, bool causal, int q_pos0) {
  FloatTensor out(q.rows, n_heads * head_dim);
  const int group = n_heads / n_kv_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (int r = 0; r < q.rows; ++r) {
    const int pos = q_pos0 + r;
    const int nk = causal ? std::min(pos + 1, k.rows) : k.rows;
    for (int h = 0; h < n_heads; ++h) {
      const int g = h / group;
      std::vector<double> p(nk);
      for (int j = 0; j < nk; ++j) {
        double s = 0.0;
        for (int i = 0; i < head_dim; ++i) {
          s += static_cast<double>(q.at(r, h * head_dim + i)) * k.at(j, g * head_dim + i);
        }
        p[j] = s * scale;
      }
      RefSoftmax(p);
      for (int i = 0; i < head_dim; ++i) {
        double o = 0.0;
        for (int j = 0; j < nk; ++j) o += p[j] * v.at(j, g * head_dim + i);
        out.at(r, h * head_dim + i) = static_cast<float>(o);
      }
    }
  }
  return out;
}

double RefSilu(double x) { return x / (1.0 + std::exp(-x)); }
double RefGelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

FloatTensor RefSwiGlu(const FloatTensor& x, const FloatTensor& w1, const FloatTensor& w3,
                      const FloatTensor& w2) {
  const FloatTensor g = RefMatmul(x, w1);
  const FloatTensor u = RefMatmul(x, w3);
  FloatTensor m(g.rows, g.cols);
  for (size_t i = 0; i < m.size(); ++i) {
    m.data[i] = static_cast<float>(RefSilu(g.data[i]) * u.data[i]);
  }
  return RefMatmul(m, w2);
}

FloatTensor RefGeluFfn(const FloatTensor& x, const FloatTensor& w1, const std::vector<float>& b1,
                       const FloatTensor& w2, const std::vector<float>& b2) {
  FloatTensor u = RefMatmul(x, w1, b1);
  for (float& v : u.data) v = static_cast<float>(RefGelu(v));
  return RefMatmul(u, w2, b2);
}

namespace {

FloatTensor Add(const FloatTensor& a, const FloatTensor& b) {
  FloatTensor y = a;
  for (size_t i = 0; i < y.size(); ++i) y.data[i] = a.data[i] + b.data[i];
  return y;
}

}  // namespace

FloatTensor RefBlock(const ModelConfig& c, const LayerWeights& w, const FloatTensor& x, int layer,
                     FloatKvCache& cache, FloatLayerTrace* trace) {
  FloatLayerTrace t;
  if (static_cast<int>(cache.k.size()) != c.n_layers) {
    cache.k.assign(c.n_layers, FloatTensor(0, c.kv_dim()));
    cache.v.assign(c.n_layers, FloatTensor(0, c.kv_dim()));
  }
  const int pos0 = cache.k[layer].rows;
  if (pos0 + x.rows > c.seq_len) {
    throw Error(fmt::format("model '{}': {} tokens after {} exceed seq_len = {} (KV-cache size)",
                            c.name, x.rows, pos0, c.seq_len));
  }
  t.in = x;
  if (c.is_decoder()) {
    t.attn_in = RefRmsNorm(x, w.attn_norm, c.norm_eps);
    t.q = RefRope(RefMatmul(t.attn_in, w.wq), c.head_dim, pos0, c.rope_base);
    t.k = RefRope(RefMatmul(t.attn_in, w.wk), c.head_dim, pos0, c.rope_base);
    t.v = RefMatmul(t.attn_in, w.wv);
  } else {
    t.attn_in = x;
    t.q = RefMatmul(x, w.wq, w.bq);
    t.k = RefMatmul(x, w.wk, w.bk);
    t.v = RefMatmul(x, w.wv, w.bv);
  }
  cache.k[layer].AppendRows(t.k);
  cache.v[layer].AppendRows(t.v);
  t.attn = RefAttention(t.q, cache.k[layer], cache.v[layer], c.n_heads, c.n_kv_heads, c.head_dim,
                        c.is_decoder(), pos0);
  if (c.is_decoder()) {
    t.h1 = Add(x, RefMatmul(t.attn, w.wo));
    t.ffn_in = RefRmsNorm(t.h1, w.ffn_norm, c.norm_eps);
    const FloatTensor g = RefMatmul(t.ffn_in, w.w1);
    const FloatTensor u = RefMatmul(t.ffn_in, w.w3);
    t.ffn_mid = FloatTensor(g.rows, g.cols);
    for (size_t i = 0; i < g.size(); ++i) {
      t.ffn_mid.data[i] = static_cast<float>(RefSilu(g.data[i]) * u.data[i]);
    }
    t.out = Add(t.h1, RefMatmul(t.ffn_mid, w.w2));
  } else {
    t.h1 = RefLayerNorm(Add(x, RefMatmul(t.attn, w.wo, w.bo)), w.attn_norm, w.attn_norm_bias,
                        c.norm_eps);
    t.ffn_in = t.h1;
    t.ffn_mid = RefMatmul(t.h1, w.w1, w.b1);
    for (float& v : t.ffn_mid.data) v = static_cast<float>(RefGelu(v));
    t.out = RefLayerNorm(Add(t.h1, RefMatmul(t.ffn_mid, w.w2, w.b2)), w.ffn_norm, w.ffn_norm_bias,
                         c.norm_eps);
  }
  FloatTensor out = t.out;
  if (trace != nullptr) *trace = std::move(t);
  return out;
}

namespace {

FloatResult RunFloat(const ModelConfig& c, const FloatWeights& weights, const FloatTensor& input,
                     FloatKvCache& cache) {
  ValidateModelConfig(c);
  CheckWeights(c, weights);
  if (input.cols != c.d_model || input.rows < 1) {
    throw Error(fmt::format("model '{}': input is [{}][{}], expected [tokens][{}]", c.name,
                            input.rows, input.cols, c.d_model));
  }
  FloatResult res;
  FloatTensor x = input;
  res.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; ++l) {
    x = RefBlock(c, weights.layers[l], x, l, cache, &res.layers[l]);
  }
  res.output = std::move(x);
  return res;
}

}  // namespace

FloatResult RunFloatPrefill(const ModelConfig& config, const FloatWeights& weights,
                            const FloatTensor& input, FloatKvCache* cache) {
  FloatKvCache local;
  return RunFloat(config, weights, input, cache != nullptr ? *cache : local);
}

FloatResult RunFloatDecode(const ModelConfig& config, const FloatWeights& weights,
                           const FloatTensor& token, FloatKvCache& cache) {
  if (!config.is_decoder()) {
    throw Error(
        fmt::format("model '{}': decode needs a decoder model, this is an encoder", config.name));
  }
  if (token.rows != 1) {
    throw Error(fmt::format("model '{}': decode takes one token, got {}", config.name, token.rows));
  }
  return RunFloat(config, weights, token, cache);
}

}  // namespace tinylpu
