// Bit-exact golden model: the int8 MXM and fp32 VXM operations the LPU performs per layer.
//
// Every function here is specified in docs/numerics.md; the compiler must emit exactly these
// operations, in this order, with exactly the constants BuildLayerConstants and BuildRopeTable
// return, for the RTL to match bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "sw/golden/float_ref.h"
#include "sw/golden/model_config.h"
#include "sw/golden/tensor.h"
#include "sw/weights/weights.h"

namespace tinylpu {

// ---- Quantised model ----

// Per-tensor activation scales of one layer (real value = int8 * scale), calibrated from the
// float reference: scale = fp32(max|t| / 127), or 1 when the tensor is all zero.
struct ActScales {
  float in = 1;       // layer input
  float attn_in = 1;  // decoder: RMSNorm output (q/k/v projection input)
  float q = 1, k = 1, v = 1;
  float attn = 1;     // attention output (wo input)
  float h1 = 1;       // encoder: LayerNorm-1 output (FFN input and residual)
  float ffn_in = 1;   // decoder: RMSNorm-2 output
  float ffn_mid = 1;  // w2 input
  float out = 1;      // layer output (== next layer's `in`)
};

// What the LPU runs: config, int8 weights with their scales, fp32 norm/bias parameters and the
// activation scales.
struct GoldenModel {
  ModelConfig config;
  QuantWeights weights;
  std::vector<ActScales> scales;  // per layer
};

// Quantises the weights (config.weight_quant) and calibrates activation scales by running the
// float reference (with the float weights) on QuantizeInput's dequantised calibration input.
GoldenModel BuildGoldenModel(const ModelConfig& config, const FloatWeights& weights,
                             const FloatTensor& calibration_input);
// Scale of the model input: fp32(max|x| / 127) (1 when all zero).
float InputScale(const FloatTensor& x);
// int8 input = F32ToI8-style round half even of x / scale, saturated to [-127, 127].
Int8Tensor QuantizeActivations(const FloatTensor& x, float scale);
FloatTensor DequantizeActivations(const Int8Tensor& x, float scale);

// ---- Host-side constants (fp32, loaded into MEM by the compiler) ----

// Every value is computed in double from fp32 scales and weights and rounded once to fp32.
// Names: s_* are ActScales, sw_X[n] the weight scale of matrix X for column n.
struct LayerConstants {
  float in_scale = 0;  // s_in: dequantises the layer input
  float inv_d = 0;     // 1 / d_model
  float eps = 0;       // norm_eps
  // Norm outputs feed int8 directly: gain / s and bias / s of the consumer's scale.
  std::vector<float> norm1_gain, norm1_bias;  // decoder: / s_attn_in; encoder LN1: / s_h1
  std::vector<float> norm2_gain, norm2_bias;  // decoder: / s_ffn_in;  encoder LN2: / s_out
  // Linear epilogues y[n] = acc[n] * mul[n] (+ add[n]); decoder biases are empty.
  std::vector<float> q_mul, q_add;    // s_attn_in*sw_q[n]/s_q, bq[n]/s_q (encoder input: s_in)
  std::vector<float> k_mul, k_add;    // same with k
  std::vector<float> v_mul, v_add;    // same with v
  float qk_scale = 0;                 // s_q * s_k / sqrt(head_dim)
  float pv_scale = 0;                 // s_v / s_attn
  std::vector<float> o_mul, o_add;    // s_attn * sw_o[n], bo[n]
  std::vector<float> w1_mul, w1_add;  // decoder gate: s_ffn_in*sw_1[n]; encoder: s_h1*sw_1[n], b1
  std::vector<float> w3_mul;          // decoder up: s_ffn_in * sw_3[n] / s_ffn_mid
  std::vector<float> w2_mul, w2_add;  // s_ffn_mid * sw_2[n], b2[n]
  float ffn_mid_inv = 0;              // encoder: 1 / s_ffn_mid
  float h1_scale = 0;                 // encoder: s_h1
  float out_inv = 0;                  // decoder: 1 / s_out
};
LayerConstants BuildLayerConstants(const GoldenModel& model, int layer);

// RoPE tables for positions 0..positions-1: cos/sin [pos][i] = fp32(cos/sin(pos * theta_i)),
// theta_i = base^(-2i/head_dim) in double, i < head_dim/2.
struct RopeTable {
  FloatTensor cos, sin;
};
RopeTable BuildRopeTable(const ModelConfig& config, int positions);

// ---- Operators (bit-exact) ----

// The MXM: x [m][k] int8 * w [k][n] int8, int32 sums wrapping modulo 2^32.
Int32Tensor MxmMatmul(const Int8Tensor& x, const Int8Tensor& w);
// fp32 sum of x[0..n) in the documented order: W-lane tiles (the last zero-padded with +0.0)
// added sequentially, tile 0 first, then a lane tree: for s = W/2, W/4, .., 1, every lane l
// becomes lane l + lane (l+s) mod W; the result is lane 0.
float ReduceSumF32(const float* x, int n, int lanes);
// fp32 max over x[0..n) (exact, so order-free).
float ReduceMaxF32(const float* x, int n);
// RMSNorm of one row to int8: gain already divided by the output scale.
void GoldenRmsNorm(const float* x, int n, const LayerConstants& k, const std::vector<float>& gain,
                   int lanes, int8_t* out);
// LayerNorm of one row to int8: gain and bias already divided by the output scale.
void GoldenLayerNorm(const float* x, int n, const LayerConstants& k, const std::vector<float>& gain,
                     const std::vector<float>& bias, int lanes, int8_t* out);
// RoPE of one head vector in place: pairs (2i, 2i+1) with cos/sin row of the position.
void GoldenRope(float* x, int head_dim, const float* cos, const float* sin);
// Softmax numerator of one query row: scores s[0..n) (fp32), valid[j] false for masked keys.
// e_q[j] = valid ? F32ToI8(F32Mul(Exp(F32Sub(s[j], max)), 127)) : 0; returns sum_j e_q[j].
int32_t GoldenSoftmaxRow(const float* scores, const std::vector<bool>& valid, int n, int8_t* e_q);

// ---- Blocks ----

// Everything a layer computes, for checking the RTL tensor by tensor. Rows are the tokens of
// this call; per-head tensors are [head * rows + row][...].
struct GoldenLayerTrace {
  Int8Tensor in;
  FloatTensor h;          // F32Mul(I32ToF32(in), s_in)
  Int8Tensor attn_in;     // decoder: RMSNorm-1 output; encoder: == in
  Int8Tensor q, k, v;     // quantised projections (decoder q/k after RoPE)
  FloatTensor scores;     // [heads*rows][keys]: fp32 scaled scores (masked keys: -inf)
  Int8Tensor probs;       // [heads*rows][keys]: e_q
  Int32Tensor denom;      // [heads*rows][1]: sum of e_q
  Int8Tensor attn;        // [rows][q_dim]: attention output (wo input)
  FloatTensor attn_proj;  // wo epilogue
  FloatTensor h1;         // h + attn_proj
  Int8Tensor h1_q;        // encoder: LayerNorm-1 output
  Int8Tensor ffn_in;      // decoder: RMSNorm-2 output; encoder: == h1_q
  Int8Tensor ffn_mid;     // w2 input
  FloatTensor ffn_out;    // w2 epilogue
  FloatTensor h2;         // residual sum before the output quantisation / LayerNorm-2
  Int8Tensor out;
};

// Per layer, int8 K (after RoPE) and V of every position so far, [positions][kv_dim].
struct GoldenKvCache {
  std::vector<Int8Tensor> k, v;
  int length() const { return k.empty() ? 0 : k[0].rows; }
};

struct GoldenResult {
  Int8Tensor output;
  std::vector<GoldenLayerTrace> layers;
};

// Prefill of input ([tokens][d_model] int8 at the model's input scale, tokens <= seq_len).
// Fills `cache` when given (it must be empty).
GoldenResult RunGoldenPrefill(const GoldenModel& model, const Int8Tensor& input,
                              GoldenKvCache* cache = nullptr);
// Decode of one token at position cache.length(), decoders only. The output equals row t of
// a prefill of t+1 tokens bit for bit.
GoldenResult RunGoldenDecode(const GoldenModel& model, const Int8Tensor& token,
                             GoldenKvCache& cache);

// A model ready to run: weights (random from config.seed unless given), the built-in input,
// the calibrated golden model and the quantised input.
struct PreparedModel {
  ModelConfig config;
  FloatWeights weights;
  FloatTensor input;     // BuiltinInput(config), [seq_len][d_model]
  GoldenModel golden;    // calibrated on `input`
  Int8Tensor input_q;    // input quantised at golden.scales[0].in
  FloatTensor input_dq;  // input_q dequantised: what the float reference runs on
};
PreparedModel PrepareModel(const ModelConfig& config, const FloatWeights* weights = nullptr);

// Cosine similarity and max |a-b| of two equal-size tensors (accuracy reports).
struct Accuracy {
  double cosine = 0;
  double max_abs_error = 0;
};
Accuracy CompareTensors(const FloatTensor& actual, const FloatTensor& reference);

}  // namespace tinylpu
