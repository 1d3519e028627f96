// Test helpers shared by the compiler's model tests and the RTL end-to-end and random layer
// tests: a model case (model, core config, prompt and decode steps), its GoogleTest printer, a
// model builder and the exactness checks of a model run.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "sw/compiler/model_runner.h"
#include "sw/golden/model_config.h"

namespace tinylpu {

struct ModelCase {
  std::string name;
  std::string config;  // named core configuration
  ModelConfig model;
  int prompt = 0;  // 0: seq_len minus the decode steps
  int decode = 0;
};

// GoogleTest prints a failing case by its name rather than as raw bytes.
inline void PrintTo(const ModelCase& c, std::ostream* os) {
  *os << c.name << " on " << c.config << " (prompt " << c.prompt << ", decode " << c.decode << ")";
}

// A model of the given shape (an encoder has as many KV heads as heads), built-in weights.
inline ModelConfig CustomModel(const std::string& name, BlockType block, int d, int heads,
                               int kv_heads, int head_dim, int ffn, int seq, int layers = 1) {
  ModelConfig m;
  m.name = name;
  m.block = block;
  m.d_model = d;
  m.n_heads = heads;
  m.n_kv_heads = block == BlockType::kEncoder ? heads : kv_heads;
  m.head_dim = head_dim;
  m.ffn_dim = ffn;
  m.seq_len = seq;
  m.n_layers = layers;
  return m;
}

// Every run of a model ended without an error, bit-exact against the golden model, in exactly
// the cycles the compiler predicted.
inline void ExpectRunExact(const ModelRunReport& report, const CoreConfig& config) {
  for (const StepReport& s : report.steps) {
    SCOPED_TRACE(s.what);
    EXPECT_TRUE(s.result.ok()) << s.result.Describe(config);
    EXPECT_TRUE(s.bit_exact);
    EXPECT_EQ(s.cycles, s.predicted_cycles);
  }
  EXPECT_TRUE(report.bit_exact);
  EXPECT_TRUE(report.cycle_exact);
}

}  // namespace tinylpu
