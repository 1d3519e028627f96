// Model weights: float parameters, their tensor names, seeded random weights, int8 quantisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sw/golden/model_config.h"
#include "sw/golden/tensor.h"

namespace tinylpu {

// Float parameters of one block. Matrices are stored [in][out] (Y = X * W, the MXM's
// orientation), i.e. transposed with respect to PyTorch's nn.Linear [out][in].
// Decoder: wq [d][q_dim], wk/wv [d][kv_dim], wo [q_dim][d], w1 (gate) and w3 (up) [d][ffn],
// w2 (down) [ffn][d], attn_norm/ffn_norm RMSNorm gains [d]; biases and norm biases empty.
// Encoder: the same without w3, plus biases bq/bk/bv [q_dim|kv_dim], bo [d], b1 [ffn], b2 [d],
// and LayerNorm biases attn_norm_bias/ffn_norm_bias [d].
struct LayerWeights {
  FloatTensor wq, wk, wv, wo, w1, w2, w3;
  std::vector<float> attn_norm, ffn_norm, attn_norm_bias, ffn_norm_bias;
  std::vector<float> bq, bk, bv, bo, b1, b2;
};

struct FloatWeights {
  std::vector<LayerWeights> layers;
};

// One named tensor of a model, as it appears in a checkpoint (docs/numerics.md lists them).
struct WeightSpec {
  enum class Init { kLinear, kGain, kBias };
  std::string name;  // e.g. "layers.0.attention.wq.weight"
  int layer = 0;
  bool is_matrix = false;
  int in = 0;   // matrix: input features (checkpoint shape is [out][in])
  int out = 0;  // matrix: output features; vector: length
  FloatTensor LayerWeights::*matrix = nullptr;
  std::vector<float> LayerWeights::*vector = nullptr;
  Init init = Init::kLinear;

  std::vector<int64_t> CheckpointShape() const {
    return is_matrix ? std::vector<int64_t>{out, in} : std::vector<int64_t>{out};
  }
};

// Every tensor the model needs, layer by layer, in a fixed order.
std::vector<WeightSpec> WeightSpecs(const ModelConfig& config);

// Deterministic random weights from config.seed (std::mt19937_64, our own uniform mapping, so
// every platform gets the same values): linear weights uniform in +-sqrt(3/in) (variance 1/in),
// norm gains 1 +- 0.1, biases and norm biases +- 0.05.
FloatWeights RandomWeights(const ModelConfig& config);

// The built-in input of a model: seq_len x d_model values uniform in +-sqrt(3) (variance 1),
// from a stream seeded with config.seed + 1000.
FloatTensor BuiltinInput(const ModelConfig& config);

// Throws Error naming the tensor whose shape does not match the config.
void CheckWeights(const ModelConfig& config, const FloatWeights& weights);

// An int8 matrix [in][out] with one fp32 scale per output column (per-channel) or one for all
// (per-tensor): w ~= q * scale.
struct QuantMatrix {
  Tensor<int8_t> q;
  std::vector<float> scales;  // size 1 (per-tensor) or q.cols (per-channel)
  float Scale(int col) const { return scales.size() == 1 ? scales[0] : scales[col]; }
};

// Symmetric int8 quantisation: scale = fp32(max|w| / 127) over the tensor or the column (1 when
// the max is 0), q = clamp(round_half_even(w / scale), -127, 127), computed in double.
QuantMatrix QuantizeMatrix(const FloatTensor& w, WeightQuant granularity);
FloatTensor Dequantize(const QuantMatrix& m);

// Round to nearest, ties to even (the rounding used for all host-side quantisation).
double RoundHalfEven(double x);

struct QuantLayerWeights {
  QuantMatrix wq, wk, wv, wo, w1, w2, w3;  // w3 empty for the encoder
  std::vector<float> attn_norm, ffn_norm, attn_norm_bias, ffn_norm_bias;
  std::vector<float> bq, bk, bv, bo, b1, b2;
};

struct QuantWeights {
  std::vector<QuantLayerWeights> layers;
};

QuantWeights QuantizeWeights(const ModelConfig& config, const FloatWeights& weights);

}  // namespace tinylpu
