// Model configs: the shape and quantisation options of a transformer model, and the built-ins.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinylpu {

// LLaMA-style decoder block (pre-RMSNorm, GQA attention with RoPE and a causal mask, SwiGLU)
// or BERT-style encoder block (post-LayerNorm, biased linears, MHA without mask, GELU FFN).
enum class BlockType { kDecoder, kEncoder };

// Weight quantisation granularity: one scale per matrix, or one per output column.
enum class WeightQuant { kPerTensor, kPerChannel };

struct ModelConfig {
  std::string name = "custom";
  BlockType block = BlockType::kDecoder;
  int d_model = 32;    // residual width
  int n_heads = 4;     // query heads
  int n_kv_heads = 2;  // key/value heads (GQA when < n_heads); encoder: == n_heads
  int head_dim = 8;    // even for RoPE
  int ffn_dim = 64;    // hidden width of the feed-forward block
  int seq_len = 16;    // prefill length and KV-cache capacity
  int n_layers = 1;
  float norm_eps = 1e-5f;
  float rope_base = 10000.0f;  // decoder only

  // Quantisation and numerics options (docs/numerics.md).
  WeightQuant weight_quant = WeightQuant::kPerChannel;
  // Vector width W of the fp32 reductions (RMSNorm/LayerNorm sums): sequential over W-lane
  // tiles, then a lane tree. Must equal the core's NumLanes when the compiler maps the model.
  int reduce_lanes = 16;
  // Seed of the built-in random weights and the built-in input.
  uint64_t seed = 1;

  int q_dim() const { return n_heads * head_dim; }
  int kv_dim() const { return n_kv_heads * head_dim; }
  int group_size() const { return n_kv_heads > 0 ? n_heads / n_kv_heads : 0; }
  bool is_decoder() const { return block == BlockType::kDecoder; }
};

// Limits checked by ValidateModelConfig.
inline constexpr int kMaxModelDim = 8192;   // d_model, ffn_dim, head_dim
inline constexpr int kMaxHeads = 256;       // n_heads
inline constexpr int kMaxSeqLen = 8192;     // seq_len
inline constexpr int kMaxLayers = 256;      // n_layers
inline constexpr int kMaxReduceLanes = 64;  // reduce_lanes

// Throws Error naming the model, the first bad field and the limit it breaks.
void ValidateModelConfig(const ModelConfig& config);

std::string_view BlockTypeName(BlockType block);      // "decoder" / "encoder"
std::string_view WeightQuantName(WeightQuant quant);  // "per-tensor" / "per-channel"

// A model config from JSON text: {"name": ..., "block": "decoder"|"encoder", "d_model": ...,
// "n_heads", "n_kv_heads", "head_dim", "ffn_dim", "seq_len", "n_layers", "norm_eps",
// "rope_base", "weight_quant": "per-tensor"|"per-channel", "seed"}; fields left out keep the
// defaults of ModelConfig. Throws Error naming `source` and the bad field (unknown keys, wrong
// types and out-of-range values included); the result is validated.
ModelConfig ParseModelConfigJson(std::string_view text, std::string_view source);

// Built-in models: tiny-decoder (the default), tiny-encoder, decoder-2layer, decoder-64,
// encoder-2layer. All validate.
const std::vector<ModelConfig>& BuiltinModels();
std::vector<std::string> BuiltinModelNames();
// Throws Error listing the built-in names when `name` is unknown.
ModelConfig BuiltinModel(std::string_view name);
inline constexpr std::string_view kDefaultModel = "tiny-decoder";

}  // namespace tinylpu
