// Transformer compiler: maps a quantised model onto a core and schedules prefill and decode.
//
// MapModel fixes the MEM layout once: the int8 weights (rearranged per head, see
// docs/compiler.md), the fp32 constants of BuildLayerConstants, the RoPE tables, the masks and
// lane maps, the KV caches and the input and output buffers. CompilePrefill and CompileDecode
// then produce one program per run that computes every layer exactly as docs/numerics.md
// specifies, so the result matches the golden model bit for bit, and predict its cycle count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sw/compiler/engine.h"
#include "sw/compiler/mem_plan.h"
#include "sw/core/host_bus.h"
#include "sw/core/program.h"
#include "sw/golden/golden.h"

namespace tinylpu {

// A model mapped onto a core: its persistent MEM layout and contents.
struct MappedModel {
  MappedModel(const CoreConfig& core, const GoldenModel& model)
      : config(core), golden(model), mem(core) {}

  CoreConfig config;
  GoldenModel golden;
  MemPlan mem;  // the persistent tensors only

  struct Matrix {
    TensorId words = -1;  // tile word (kt, nt, r) at vector (kt * tiles_n + nt) * D + r
    int tiles_k = 0, tiles_n = 0;
  };
  struct Layer {
    Matrix wq, wk, wv, wo, w1, w3, w2;
    // fp32 vectors, one per N tile of their matrix (or per d tile).
    TensorId q_mul = -1, q_add = -1, k_mul = -1, k_add = -1, v_mul = -1, v_add = -1;
    TensorId o_mul = -1, o_add = -1, w1_mul = -1, w1_add = -1, w3_mul = -1, w2_mul = -1,
             w2_add = -1;
    TensorId norm1_gain = -1, norm1_bias = -1, norm2_gain = -1, norm2_bias = -1;
    LayerConstants consts;
    // KV cache: word (kv tile j, position p) at vector j * seq_len + p, one token per word.
    TensorId k_cache = -1, v_cache = -1;
    TensorId out = -1;  // int8 [seq_len][d tiles]: the layer output of the last run
  };
  std::vector<Layer> layers;
  TensorId input = -1;        // int8 [seq_len][d tiles]
  TensorId rope_cos = -1;     // fp32 per position: lane l = cos[p][(l mod hd) / 2]
  TensorId rope_sin = -1;     // fp32 per position: -sin for even l mod hd, +sin for odd
  TensorId masks = -1;        // fp32 vector j (0..L): lanes < j are 0, the others -inf
  // int8 lane maps l -> l xor s for s = L/2, ..., 1; one copy on every MEM slice, so a map can
  // be read in the same cycle as the planes of the vector it permutes.
  std::vector<TensorId> xor_maps;
  TensorId ones = -1;         // int8, 1 in every lane
  TensorId pad_mask = -1;     // fp32 per d tile: 1.0 in the lanes of a feature, 0.0 beyond d
  std::vector<MemWord> image;  // what the host writes before the first run

  int lanes() const { return config.lanes; }
  int d_tiles() const;
  int kv_tiles() const;
};

// Maps `golden` onto `config`. Throws Error naming the limit when it cannot (lanes and the
// model's reduction width, head size, MEM capacity, ...).
MappedModel MapModel(const CoreConfig& config, const GoldenModel& golden);

// One compiled run: `tokens` tokens from position `pos0` through every layer (a chunk of a
// prefill, or a decode step with tokens = 1 at the cache length).
struct CompiledRun {
  std::string what;
  int tokens = 0;
  int pos0 = 0;
  Program program;
  int64_t predicted_cycles = 0;
  EngineStats stats;
  // Lower bounds for the benchmark: cycles the MXM needs for every ABC and every weight row,
  // and the weight rows streamed (MxmDim words per tile).
  int64_t weight_rows = 0;
};

// Prefill of `tokens` tokens (positions 0..tokens-1); decoders fill the KV cache. A long
// prompt is cut into chunks of rows, one run each (run.pos0 its first position; the host writes
// its rows to input rows 0.. and reads its output rows from 0..).
std::vector<CompiledRun> CompilePrefill(const MappedModel& model, int tokens);
// Decode of one token at position `pos` (decoders only), attending to the cache 0..pos.
CompiledRun CompileDecode(const MappedModel& model, int pos);

// Host side.
// Writes the persistent image (weights, constants, zeroed caches and buffers).
void LoadModelImage(HostBus& bus, const MappedModel& model);
// Writes int8 rows into the input buffer rows 0.. (the run's tokens).
void WriteInput(HostBus& bus, const MappedModel& model, const Int8Tensor& x);
// Reads the output rows of a layer after a run of `tokens` tokens.
Int8Tensor ReadLayerOutput(HostBus& bus, const MappedModel& model, int layer, int tokens);
// Reads the KV cache of a layer, positions 0..positions-1.
void ReadKvCache(HostBus& bus, const MappedModel& model, int layer, int positions, Int8Tensor& k,
                 Int8Tensor& v);

}  // namespace tinylpu
