// End-to-end: random int8 matmuls compiled, run on each engine (the Verilated core and the C++
// cycle model) and checked bit for bit and cycle for cycle, with W stored row by row (straight
// into the MXM) or one column per word (MEM -> SXM TRANSPOSE -> MXM LW).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "sw/compiler/matmul.h"
#include "sw/core/driver.h"
#include "sw/model/cycle_model.h"
#include "tb/rtl_sim.h"

namespace tinylpu {
namespace {

struct MatmulCase {
  std::string config;
  MatmulShape shape;
  uint64_t seed;
  bool transpose_w = false;  // W kept token-major and transposed by the SXM
};

void PrintTo(const MatmulCase& c, std::ostream* os) {
  *os << fmt::format("{} {}x{}x{} seed {}{}", c.config, c.shape.m, c.shape.k, c.shape.n, c.seed,
                     c.transpose_w ? " transposed W" : "");
}

// (engine, case): "rtl" is the Verilated core, "model" the C++ cycle model.
using EngineCase = std::tuple<std::string, MatmulCase>;

std::string CaseName(const testing::TestParamInfo<EngineCase>& info) {
  const auto& [engine, c] = info.param;
  return fmt::format("{}_{}_M{}K{}N{}{}", engine, c.config, c.shape.m, c.shape.k, c.shape.n,
                     c.transpose_w ? "_TransposedW" : "");
}

class RtlMatmulTest : public testing::TestWithParam<EngineCase> {};

TEST_P(RtlMatmulTest, BitExactAndCycleExact) {
  const auto& [engine, c] = GetParam();
  const std::string replay = fmt::format(
      "replay: build/bin/tinylpu matmul --engine {} --config {} --m {} --k {} --n {} --seed {}{}{}",
      engine, c.config, c.shape.m, c.shape.k, c.shape.n, c.seed,
      c.transpose_w ? " --transpose-w" : "", engine == "rtl" ? " --waves run.fst" : "");
  SCOPED_TRACE(replay);
  std::cout << "seed " << c.seed << " (" << replay << ")\n";
  CoreConfig config = NamedConfig(c.config);
  MatmulPlan plan = CompileMatmul(
      config, c.shape,
      {.w_layout = c.transpose_w ? WeightLayout::kTokenMajor : WeightLayout::kRowMajor});
  if (c.transpose_w) {
    // Every weight row reached the MXM through a TRANSPOSE.
    int64_t transposes = 0;
    for (const Instr& instr : plan.program.queues[config.SxmQueue()]) {
      transposes += instr.op == isa::Op::kTranspose ? 1 : 0;
    }
    EXPECT_GT(transposes, 0);
  }

  const auto [x, w] = RandomMatmulOperands(c.shape, c.seed);

  auto bus = engine == "rtl" ? MakeRtlSim(config) : MakeCycleModel(config);
  LoadMatmul(*bus, plan, x, w);
  RunResult result = RunCore(*bus, 1'000'000);
  ASSERT_TRUE(result.ok()) << result.Describe(config);
  EXPECT_EQ(result.cycles, plan.predicted_cycles);

  std::vector<int32_t> y = ReadMatmulResult(*bus, plan);
  std::vector<int32_t> expected = ReferenceMatmul(c.shape, x, w);
  int reported = 0;
  for (int m = 0; m < c.shape.m; ++m) {
    for (int n = 0; n < c.shape.n; ++n) {
      size_t i = static_cast<size_t>(m) * c.shape.n + n;
      if (y[i] != expected[i] && reported++ < 10) {
        ADD_FAILURE() << fmt::format("Y[{}][{}] = {}, expected {}", m, n, y[i], expected[i]);
      }
    }
  }
  EXPECT_EQ(reported, 0) << "mismatching elements";
}

// Shapes: single element, exactly one tile, tiling in K and N with ragged edges, more rows
// than the accumulators hold (the compiler splits M into chunks).
INSTANTIATE_TEST_SUITE_P(
    Shapes, RtlMatmulTest,
    testing::Combine(
        testing::Values("rtl", "model"),
        testing::Values(
            MatmulCase{"small", {1, 1, 1}, 11}, MatmulCase{"small", {8, 8, 8}, 12},
            MatmulCase{"small", {20, 30, 17}, 13}, MatmulCase{"small", {70, 16, 24}, 14},
            MatmulCase{"default", {1, 1, 1}, 21}, MatmulCase{"default", {16, 16, 16}, 22},
            MatmulCase{"default", {32, 48, 40}, 23}, MatmulCase{"default", {80, 70, 33}, 24},
            // K held one token per word (as attention keeps K), W = K^T.
            MatmulCase{"small", {8, 8, 8}, 15, true}, MatmulCase{"small", {20, 30, 17}, 16, true},
            MatmulCase{"default", {16, 16, 16}, 25, true},
            MatmulCase{"default", {40, 33, 50}, 26, true})),
    CaseName);

}  // namespace
}  // namespace tinylpu
