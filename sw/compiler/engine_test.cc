// Tests for the compiler's engine: MEM plan, graph partition, block placement and their programs.
#include "sw/compiler/engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>

#include "sw/compiler/mem_plan.h"
#include "sw/compiler/vgraph.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu {
namespace {

TEST(IndexMapTest, TwoTermsAndClamp) {
  const IndexMap row_tile{.add = 3, .mod = 4, .mul = 5, .div2 = 4, .mul2 = 1};
  EXPECT_EQ(row_tile(0), 3);
  EXPECT_EQ(row_tile(3), 3 + 15);
  EXPECT_EQ(row_tile(5), 3 + 5 + 1);
  IndexMap clamped{.add = 2, .div2 = 1, .mul2 = -3};
  clamped.lo = 0;
  clamped.hi = 16;
  EXPECT_EQ(clamped(0), 2);
  EXPECT_EQ(clamped(1), 0);
  EXPECT_EQ(clamped(5), 0);
  EXPECT_EQ(IndexMap::Every(3)(7), 2);
  EXPECT_EQ(IndexMap::Cyclic(3)(7), 1);
  EXPECT_EQ(IndexMap::Constant(9)(7), 9);
}

TEST(MemPlanTest, QuadsAlignBlocksSplitAndFreedWordsReturn) {
  CoreConfig config = NamedConfig("small");  // 4 slices of 512 words
  MemPlan mem(config);
  const TensorId a = mem.Allocate("a", 1, 3);
  const TensorId q = mem.Allocate("q", 4, 10);
  EXPECT_EQ(mem.tensor(q).Vector(0).addr % 4, 0);
  EXPECT_EQ(mem.tensor(q).Loc(2, 3).addr, mem.tensor(q).Vector(0).addr + 14);
  EXPECT_NE(mem.tensor(a).slice(), mem.tensor(q).slice());  // round robin
  // 300 quads (1200 words) fit no slice: blocks on several.
  const TensorId big = mem.Allocate("big", 4, 300);
  const MemTensor& t = mem.tensor(big);
  EXPECT_GT(t.blocks.size(), 1u);
  EXPECT_NE(t.SliceOf(0), t.SliceOf(299));
  const int used = mem.TotalWordsUsed();
  mem.Free(big);
  EXPECT_LT(mem.TotalWordsUsed(), used);
  // A slice that must be avoided is never used.
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(mem.tensor(mem.Allocate("x", 1, 4, {}, {0, 1, 2})).slice(), 0);
  }
  try {
    mem.Allocate("huge", 4, 2000);
    ADD_FAILURE() << "no capacity error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MEM capacity exceeded: tensor 'huge'"),
              std::string::npos)
        << e.what();
  }
}

// (f32(x) * 3) + y for int8 x and fp32 y: one chain of four ops (two VCVTs, VMUL with IMM,
// VADD reading y), PREV between them, only the last stored.
TEST(PartitionTest, ChainsFollowPrevAndStoreOnlyWhatLeaves) {
  VGraph g;
  const int x = g.Input(StreamSrc::Tensor(0, IndexMap::Identity(), VxmType::kI8));
  const int y = g.Input(StreamSrc::Tensor(1, IndexMap::Identity(), VxmType::kF32));
  const int f = g.I8ToF32(x);
  const int r = g.Add(g.Mul(f, g.ConstF32(3.0f)), y);
  g.Output(r, 2, IndexMap::Identity());
  const Partition p = PartitionGraph(g, 4, [](int, int) { return false; });
  ASSERT_EQ(p.chains.size(), 1u);
  const auto& ops = p.chains[0].ops;
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].a.kind, ChainOperand::Kind::kStream);
  EXPECT_EQ(ops[1].a.kind, ChainOperand::Kind::kPrev);
  EXPECT_EQ(ops[2].b.kind, ChainOperand::Kind::kImm);
  EXPECT_EQ(ops[2].b.imm, std::bit_cast<uint32_t>(3.0f));
  EXPECT_EQ(ops[3].a.kind, ChainOperand::Kind::kPrev);
  EXPECT_EQ(ops[3].b.kind, ChainOperand::Kind::kStream);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(ops[i].store);
  EXPECT_TRUE(ops[3].store);
  // With two ALUs the same graph takes two chains, the second op's value stored between them.
  const Partition p2 = PartitionGraph(g, 2, [](int, int) { return false; });
  EXPECT_EQ(p2.chains.size(), 2u);
  EXPECT_TRUE(p2.chains[0].ops[1].store);
  EXPECT_EQ(p2.chains[1].ops[0].a.kind, ChainOperand::Kind::kStream);
}

// An op reading an earlier op of its chain that is not the one before it ends the chain; two
// stream operands that may share a slice read b one cycle early through a VMOV.
TEST(PartitionTest, NonAdjacentUseBreaksTheChainAndPairsGetAVmov) {
  VGraph g;
  const int a = g.Input(StreamSrc::Tensor(0, IndexMap::Identity(), VxmType::kF32));
  const int b = g.Input(StreamSrc::Tensor(1, IndexMap::Identity(), VxmType::kF32));
  const int s1 = g.Mul(a, a);        // chain 0
  const int s2 = g.Add(s1, g.ConstF32(1.0f));
  const int s3 = g.Mul(s2, s1);      // s1 is not the op before: new chain, s1 stored
  g.Output(s3, 2, IndexMap::Identity());
  Partition p = PartitionGraph(g, 4, [](int, int) { return false; });
  ASSERT_EQ(p.chains.size(), 2u);
  EXPECT_TRUE(p.chains[0].ops[0].store);  // s1
  EXPECT_TRUE(p.chains[0].ops[1].store);  // s2
  VGraph h;
  const int x = h.Input(StreamSrc::Tensor(0, IndexMap::Identity(), VxmType::kF32));
  const int y = h.Input(StreamSrc::Tensor(1, IndexMap::Identity(), VxmType::kF32));
  h.Output(h.Sub(x, y), 2, IndexMap::Identity());
  (void)a;
  (void)b;
  p = PartitionGraph(h, 4, [](int, int) { return true; });
  ASSERT_EQ(p.chains.size(), 1u);
  ASSERT_EQ(p.chains[0].ops.size(), 2u);
  EXPECT_EQ(p.chains[0].ops[0].op, isa::Op::kVmov);
  EXPECT_EQ(p.chains[0].ops[1].b.kind, ChainOperand::Kind::kPrev);  // y, one cycle early
}

// A graph over 24 vectors placed as blocks: the C++ model computes exactly vxm_ops' values,
// and where each value is read once per iteration (everything but the Reciprocal's Newton
// steps, which read their input twice in one chain) a queue's part is an op and a REPEAT.
TEST(EngineTest, GraphRunsAsRepeatedBlocksAndComputesTheOps) {
  const CoreConfig config = NamedConfig("default");
  MemPlan mem(config);
  const int n = 24;
  const TensorId x = mem.Allocate("x", 1, n);
  const TensorId y = mem.Allocate("y", 4, n);
  const TensorId out = mem.Defer("out", 4, n);
  Engine eng(config, mem);
  VGraph g;
  const int f = g.I8ToF32(g.Input(StreamSrc::Tensor(x, IndexMap::Identity(), VxmType::kI8)));
  const int v = g.Add(g.Mul(f, g.ConstF32(0.5f)),
                      g.Input(StreamSrc::Tensor(y, IndexMap::Identity(), VxmType::kF32)));
  g.Output(g.Func(vxm::Func::kReciprocal, v), out, IndexMap::Identity());
  eng.RunGraph(g, n);
  const Program program = eng.Finish();
  // The first chain (two VCVTs, VMUL, VADD) compresses on every queue it touches: x's and y's
  // READs and the VXM ops each appear once with a REPEAT of 23.
  for (const int q : {config.FirstVxmQueue(), CoreConfig::MemQueue(mem.tensor(x).slice()),
                      CoreConfig::MemQueue(mem.tensor(y).slice())}) {
    const auto& prog = program.queues[q];
    ASSERT_GE(prog.size(), 2u);
    const auto rep = std::find_if(prog.begin(), prog.end(), [](const Instr& i) {
      return i.op == isa::Op::kRepeat && i.n == 23;
    });
    EXPECT_NE(rep, prog.end()) << config.QueueName(q);
  }
  auto bus = MakeCycleModel(config);
  const int lanes = config.lanes;
  auto f32_word = [&](const MemTensor& t, int vec, std::vector<float> values) {
    for (int p = 0; p < 4; ++p) {
      std::vector<uint8_t> w(lanes);
      for (int l = 0; l < lanes; ++l) {
        w[l] = static_cast<uint8_t>(std::bit_cast<uint32_t>(values[l]) >> (8 * p));
      }
      const WordLoc loc = t.Loc(p, vec);
      WriteMemWord(*bus, loc.slice, loc.addr, w);
    }
  };
  for (int i = 0; i < n; ++i) {
    std::vector<uint8_t> xv(lanes);
    std::vector<float> yv(lanes);
    for (int l = 0; l < lanes; ++l) {
      xv[l] = static_cast<uint8_t>(i * 7 + l * 13 - 60);
      yv[l] = 0.25f * static_cast<float>(l - i);
    }
    const WordLoc xl = mem.tensor(x).Loc(0, i);
    WriteMemWord(*bus, xl.slice, xl.addr, xv);
    f32_word(mem.tensor(y), i, yv);
  }
  LoadProgram(*bus, program);
  const RunResult r = RunCore(*bus, 100000);
  ASSERT_TRUE(r.ok()) << r.Describe(config);
  EXPECT_EQ(r.cycles, program.PredictedCycles());
  const MemTensor& o = mem.tensor(out);
  for (int i = 0; i < n; ++i) {
    std::vector<uint32_t> got(lanes, 0);
    for (int p = 0; p < 4; ++p) {
      const WordLoc loc = o.Loc(p, i);
      const std::vector<uint8_t> w = ReadMemWord(*bus, loc.slice, loc.addr);
      for (int l = 0; l < lanes; ++l) got[l] |= uint32_t{w[l]} << (8 * p);
    }
    for (int l = 0; l < lanes; ++l) {
      const int8_t xi = static_cast<int8_t>(i * 7 + l * 13 - 60);
      const uint32_t fx = vxm::F32FromI32(xi);
      const uint32_t m = vxm::F32Mul(fx, std::bit_cast<uint32_t>(0.5f));
      const uint32_t s = vxm::F32Add(m, std::bit_cast<uint32_t>(0.25f * static_cast<float>(l - i)));
      EXPECT_EQ(got[l], vxm::Evaluate(vxm::GetFunction(vxm::Func::kReciprocal), s))
          << "vector " << i << " lane " << l;
    }
  }
}

}  // namespace
}  // namespace tinylpu
