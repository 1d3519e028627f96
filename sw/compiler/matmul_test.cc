// Tests for the matmul compiler: layout, schedule invariants and rejection messages.
#include "sw/compiler/matmul.h"

#include <gtest/gtest.h>

#include <set>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

void ExpectRejected(const CoreConfig& config, MatmulShape shape, const std::string& what) {
  try {
    CompileMatmul(config, shape);
    ADD_FAILURE() << "expected a rejection mentioning " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(MatmulTest, PlanCountsOneAbcPerRowPerTile) {
  CoreConfig c = NamedConfig("default");
  MatmulPlan plan = CompileMatmul(c, {32, 48, 40});
  EXPECT_EQ(plan.tiles_k, 3);
  EXPECT_EQ(plan.tiles_n, 3);
  EXPECT_EQ(plan.abc_count, 32 * 3 * 3);
  EXPECT_EQ(plan.predicted_cycles, plan.program.PredictedCycles());
  EXPECT_GT(plan.MxmUtilization(), 0.0);
  EXPECT_LE(plan.MxmUtilization(), 1.0);
}

TEST(MatmulTest, WordsDoNotOverlap) {
  CoreConfig c = NamedConfig("small");
  MatmulPlan plan = CompileMatmul(c, {20, 17, 9});
  std::set<std::pair<int, int>> used;
  auto claim = [&](WordLoc loc) {
    EXPECT_LT(loc.addr, c.mem_depth);
    EXPECT_TRUE(used.insert({loc.slice, loc.addr}).second) << loc.slice << ":" << loc.addr;
  };
  for (int m = 0; m < 20; ++m) {
    for (int kt = 0; kt < plan.tiles_k; ++kt) claim(plan.XWord(m, kt));
    for (int nt = 0; nt < plan.tiles_n; ++nt) {
      std::set<int> slices;
      for (int b = 0; b < 4; ++b) {
        claim(plan.YWord(m, nt, b));
        slices.insert(plan.YWord(m, nt, b).slice);
      }
      EXPECT_EQ(slices.size(), 4u) << "the four planes of a row need four slices";
    }
  }
  for (int kt = 0; kt < plan.tiles_k; ++kt) {
    for (int nt = 0; nt < plan.tiles_n; ++nt) {
      for (int r = 0; r < c.mxm_dim; ++r) claim(plan.WWord(kt, nt, r));
    }
  }
}

TEST(MatmulTest, RejectionsNameTheLimit) {
  CoreConfig small = NamedConfig("small");
  ExpectRejected(small, {0, 4, 4}, "at least 1");
  ExpectRejected(small, {4096, 64, 64}, "MEM capacity exceeded");
  CoreConfig three = small;
  three.mem_slices = 3;
  ExpectRejected(three, {4, 4, 4}, "at least 4");
  CoreConfig shallow = small;
  shallow.queue_depth = 16;
  ExpectRejected(shallow, {8, 8, 64}, "queues hold 16");
}

TEST(MatmulTest, ReferenceWrapsLikeHardware) {
  MatmulShape s{1, 2, 1};
  std::vector<int8_t> x{-128, -128};
  std::vector<int8_t> w{-128, -128};
  EXPECT_EQ(ReferenceMatmul(s, x, w)[0], 2 * 16384);
}

}  // namespace
}  // namespace tinylpu
