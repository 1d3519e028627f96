// Model runner: runs a mapped model on any engine (RTL, C++ model, lockstep) and checks it.
//
// A run is a prefill of the prompt followed by decode steps, each one a compiled program
// loaded through the host port. Every step is checked bit for bit against the golden model
// (its output rows and the KV cache it leaves) and cycle for cycle against the compiler's
// prediction; the output is compared with the float reference for accuracy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sw/compiler/transformer.h"
#include "sw/core/driver.h"
#include "sw/golden/golden.h"

namespace tinylpu {

struct ModelRunOptions {
  int prompt = 0;  // tokens of the prefill (0: seq_len - decode)
  int decode = 0;  // decode steps after it (decoders only), tokens prompt .. prompt+decode-1
  // Called before each step with its description ("prefill of 16 tokens", ...).
  std::function<void(const std::string&)> progress = nullptr;
};

struct StepReport {
  std::string what;
  int tokens = 0;
  int64_t cycles = 0;            // as the core counted them
  int64_t predicted_cycles = 0;  // as the compiler predicted them
  bool bit_exact = false;        // output rows and KV cache equal the golden model's
  RunResult result;
  EngineStats stats;
  size_t instructions = 0;  // program words over all queues
  int max_queue = 0;        // the longest queue's words
};

struct ModelRunReport {
  std::vector<StepReport> steps;
  bool bit_exact = false;    // every step
  bool cycle_exact = false;  // every step: cycles == predicted
  Int8Tensor output;         // last layer's output rows of every step, in token order
  Accuracy accuracy;         // dequantised output against the float reference
  // Figures.
  int64_t prefill_cycles = 0;
  double prefill_mxm_utilization = 0;  // ABC cycles over the cycles of the matmul phases
  int64_t decode_cycles = 0;           // per token, averaged over the decode steps
  int64_t weight_rows_per_token = 0;   // weight rows a decode step streams into the MXM
};

// Runs prompt + decode on `bus` (a fresh core of model.config). Throws Error for options the
// model cannot take.
ModelRunReport RunModel(HostBus& bus, const MappedModel& model, const PreparedModel& prepared,
                        const ModelRunOptions& options);

}  // namespace tinylpu
