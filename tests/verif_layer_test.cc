// Random layer shapes and quantisation options through the transformer compiler, run on the RTL
// and the C++ model in lockstep: bit-exact against the golden model, in the predicted cycles.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "sw/compiler/model_case.h"
#include "sw/compiler/model_runner.h"
#include "sw/compiler/transformer.h"
#include "sw/core/error.h"
#include "sw/golden/model_config.h"
#include "tb/lockstep.h"
#include "tb/rtl_sim.h"
#include "tests/test_env.h"

namespace tinylpu {
namespace {

template <typename T>
T Pick(std::mt19937_64& rng, const std::vector<T>& from) {
  return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
}

int Uniform(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// One random layer for a core of `lanes` lanes: a decoder (GQA with any divisor of the heads as
// KV heads) or an encoder, d and FFN widths that need tiling and padding, per-tensor or
// per-channel weights, one or two layers, weights and input from the seed.
ModelConfig RandomModel(std::mt19937_64& rng, int lanes, uint64_t seed) {
  ModelConfig m;
  m.name = fmt::format("random-{}", seed);
  m.block = Uniform(rng, 0, 2) == 0 ? BlockType::kEncoder : BlockType::kDecoder;
  std::vector<int> head_dims;
  for (int h = 2; h <= lanes; h *= 2) head_dims.push_back(h);
  m.head_dim = Pick(rng, head_dims);
  m.n_heads = Uniform(rng, 1, 4);
  std::vector<int> kv;
  for (int k = 1; k <= m.n_heads; ++k) {
    if (m.n_heads % k == 0) kv.push_back(k);
  }
  m.n_kv_heads = m.is_decoder() ? Pick(rng, kv) : m.n_heads;
  m.d_model = Uniform(rng, 4, 3 * lanes);
  m.ffn_dim = Uniform(rng, 4, 4 * lanes);
  m.seq_len = Uniform(rng, 2, 20);
  m.n_layers = Uniform(rng, 0, 4) == 0 ? 2 : 1;
  m.weight_quant = Uniform(rng, 0, 1) == 0 ? WeightQuant::kPerTensor : WeightQuant::kPerChannel;
  m.reduce_lanes = lanes;
  m.seed = seed;
  return m;
}

std::string Describe(const ModelConfig& m) {
  return fmt::format("{} {}: d {}, {} heads / {} KV heads of {}, FFN {}, seq {}, {} layer(s), {}",
                     m.name, BlockTypeName(m.block), m.d_model, m.n_heads, m.n_kv_heads, m.head_dim,
                     m.ffn_dim, m.seq_len, m.n_layers, WeightQuantName(m.weight_quant));
}

class RandomLayerTest : public testing::TestWithParam<std::string> {};

// LPU_SEED=<n> sets the first seed (iteration i uses n + i), LPU_ITERS the number of layers. A
// shape the compiler rejects (its message names the limit) is logged and counted; every test
// must run at least one layer. A divergence writes its wave window and reproduce command.
TEST_P(RandomLayerTest, ShapesRunBitExactInLockstep) {
  const CoreConfig config = NamedConfig(GetParam());
  const uint64_t first = static_cast<uint64_t>(EnvInt("LPU_SEED", 1));
  const int64_t iters = EnvInt("LPU_ITERS", 2);
  int ran = 0;
  for (int64_t i = 0; i < iters; ++i) {
    const uint64_t seed = first + static_cast<uint64_t>(i);
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 17);
    const ModelConfig mc = RandomModel(rng, config.lanes, seed);
    const std::string replay = fmt::format(
        "replay: LPU_SEED={} LPU_ITERS=1 build/bin/verif_tests "
        "--gtest_filter='*RandomLayerTest*/{}'",
        seed, config.name);
    std::cout << "seed " << seed << ": " << Describe(mc) << "\n";
    SCOPED_TRACE(fmt::format("seed {}: {} ({})", seed, Describe(mc), replay));
    const int decode = mc.is_decoder() ? Uniform(rng, 0, std::min(2, mc.seq_len - 1)) : 0;
    const PreparedModel prepared = PrepareModel(mc);
    std::unique_ptr<MappedModel> mapped;
    try {
      // Mapping and compiling every run is where a shape is rejected (MEM capacity, queues,
      // ...); RunModel compiles the same runs again.
      mapped = std::make_unique<MappedModel>(MapModel(config, prepared.golden));
      CompilePrefill(*mapped, mc.seq_len - decode);
      for (int k = 0; k < decode; ++k) CompileDecode(*mapped, mc.seq_len - decode + k);
    } catch (const Error& e) {
      std::cout << "  rejected by the compiler: " << e.what() << "\n";
      continue;
    }
    LockstepBus bus(config);
    LockstepWaves waves;
    waves.stem = fmt::format("RandomLayerTest_{}_seed{}", config.name, seed);
    bus.lockstep().set_waves(waves);
    bus.lockstep().set_reproduce(replay);
    const ModelRunReport report =
        RunModel(bus, *mapped, prepared, ModelRunOptions{.prompt = 0, .decode = decode});
    ++ran;
    ExpectRunExact(report, config);
    std::cout << fmt::format("  {} run(s), {} cycles, cosine {:.5f}\n", report.steps.size(),
                             report.prefill_cycles + report.decode_cycles * decode,
                             report.accuracy.cosine);
  }
  EXPECT_GT(ran, 0) << "every random shape was rejected; widen the generator";
}

INSTANTIATE_TEST_SUITE_P(Configs, RandomLayerTest, testing::ValuesIn(RtlConfigNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace tinylpu
