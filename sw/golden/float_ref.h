// Float reference of the transformer blocks (double arithmetic, float storage), for accuracy.
#pragma once

#include <vector>

#include "sw/golden/model_config.h"
#include "sw/golden/tensor.h"
#include "sw/weights/weights.h"

namespace tinylpu {

// ---- Operators (rows are tokens) ----
// x [m][k] * w [k][n] (+ bias [n] when not empty).
FloatTensor RefMatmul(const FloatTensor& x, const FloatTensor& w,
                      const std::vector<float>& bias = {});
// y = x / sqrt(mean(x^2) + eps) * gain, per row.
FloatTensor RefRmsNorm(const FloatTensor& x, const std::vector<float>& gain, float eps);
// y = (x - mean) / sqrt(var + eps) * gain + bias, per row (biased variance).
FloatTensor RefLayerNorm(const FloatTensor& x, const std::vector<float>& gain,
                         const std::vector<float>& bias, float eps);
// In-place softmax of one row.
void RefSoftmax(std::vector<double>& row);
// RoPE on every head of x ([rows][heads*head_dim], row r at position pos0 + r): each pair
// (2i, 2i+1) rotates by angle pos * base^(-2i/head_dim) (Meta LLaMA's interleaved layout).
FloatTensor RefRope(const FloatTensor& x, int head_dim, int pos0, float base);
// Attention: q [nq][n_heads*hd] for positions q_pos0.., k/v [nk][n_kv_heads*hd] for positions
// 0..nk-1; query head h uses KV head h / (n_heads / n_kv_heads); scores scaled by 1/sqrt(hd);
// causal: the query at position p sees keys 0..p.
FloatTensor RefAttention(const FloatTensor& q, const FloatTensor& k, const FloatTensor& v,
                         int n_heads, int n_kv_heads, int head_dim, bool causal, int q_pos0);
double RefSilu(double x);
double RefGelu(double x);  // exact: x * Phi(x)
// silu(x w1) * (x w3), then w2.
FloatTensor RefSwiGlu(const FloatTensor& x, const FloatTensor& w1, const FloatTensor& w3,
                      const FloatTensor& w2);
// gelu(x w1 + b1) w2 + b2.
FloatTensor RefGeluFfn(const FloatTensor& x, const FloatTensor& w1, const std::vector<float>& b1,
                       const FloatTensor& w2, const std::vector<float>& b2);

// ---- Blocks ----
// The tensors at every point the bit-exact model quantises (calibration reads their ranges).
struct FloatLayerTrace {
  FloatTensor in;       // block input
  FloatTensor attn_in;  // decoder: RMSNorm output; encoder: == in
  FloatTensor q, k, v;  // projections (decoder: q and k after RoPE)
  FloatTensor attn;     // attention output, input of wo
  FloatTensor h1;       // residual after attention (encoder: after LayerNorm)
  FloatTensor ffn_in;   // decoder: RMSNorm output; encoder: == h1
  FloatTensor ffn_mid;  // input of w2
  FloatTensor out;      // block output
};

// Per layer, the keys (after RoPE) and values of all positions so far.
struct FloatKvCache {
  std::vector<FloatTensor> k, v;
  int length() const { return k.empty() ? 0 : k[0].rows; }
};

// One block on rows x at positions cache.length().., appending their K/V to layer `layer` of
// the cache.
FloatTensor RefBlock(const ModelConfig& config, const LayerWeights& w, const FloatTensor& x,
                     int layer, FloatKvCache& cache, FloatLayerTrace* trace);

struct FloatResult {
  FloatTensor output;
  std::vector<FloatLayerTrace> layers;
};
// Prefill of input ([tokens][d_model], tokens <= seq_len); fills `cache` when given.
FloatResult RunFloatPrefill(const ModelConfig& config, const FloatWeights& weights,
                            const FloatTensor& input, FloatKvCache* cache = nullptr);
// Decode of one token (a 1-row input) at position cache.length(); decoders only.
FloatResult RunFloatDecode(const ModelConfig& config, const FloatWeights& weights,
                           const FloatTensor& token, FloatKvCache& cache);

}  // namespace tinylpu
