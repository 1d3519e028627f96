// Tests for the assembler and disassembler: round trips and located error messages.
#include "sw/asm/assembler.h"

#include <gtest/gtest.h>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

const CoreConfig& Default() {
  static const CoreConfig config = NamedConfig("default");
  return config;
}

constexpr const char* kSample = R"(; a sample program
.queue mem0
    READ 12, W3, stride=1   # feed the MXM
    REPEAT 15, 1
    NOP 4
    WRITE 0x20, E4
.queue mxmw
    LW W3
    IW
.queue mxma
    ABC 0, W3, stride=-1, acc
    ACC 63, E12
)";

TEST(AssemblerTest, ParsesOperandsFlagsAndStrides) {
  Program p = Assemble(kSample, "s.asm", Default());
  ASSERT_EQ(p.queues.size(), static_cast<size_t>(Default().num_queues()));
  const auto& mem0 = p.queues[CoreConfig::MemQueue(0)];
  ASSERT_EQ(mem0.size(), 4u);
  EXPECT_EQ(mem0[0].op, isa::Op::kRead);
  EXPECT_EQ(mem0[0].addr, 12u);
  EXPECT_EQ(mem0[0].stream, 3u);
  EXPECT_EQ(mem0[0].dir, Dir::kWest);
  EXPECT_EQ(mem0[0].stride, 1);
  EXPECT_EQ(mem0[1], Instr::Repeat(15, 1));
  EXPECT_EQ(mem0[3].addr, 0x20u);
  const auto& mxma = p.queues[CoreConfig::kQueueMxma];
  EXPECT_TRUE(mxma[0].flag);
  EXPECT_EQ(mxma[0].stride, -1);
  EXPECT_EQ(mxma[1].stream, 12u);
}

TEST(AssemblerTest, SyncAndNotifyRoundTrip) {
  constexpr const char* kSync = R"(.queue mem0
    SYNC
    READ 1, E0
    REPEAT 2, 1
.queue mem1
    NOP 3
    NOTIFY
)";
  Program p = Assemble(kSync, "sync.asm", Default());
  EXPECT_EQ(p.queues[CoreConfig::MemQueue(0)][0], Instr::Sync());
  EXPECT_EQ(p.queues[CoreConfig::MemQueue(1)][1], Instr::Notify());
  EXPECT_EQ(Encode(Instr::Sync()), uint32_t{0x02} << isa::kOpcodeLsb);
  EXPECT_EQ(Encode(Instr::Notify()), uint32_t{0x03} << isa::kOpcodeLsb);
  std::string text = Disassemble(p, Default());
  EXPECT_NE(text.find("SYNC"), std::string::npos);
  EXPECT_NE(text.find("NOTIFY"), std::string::npos);
  EXPECT_EQ(Assemble(text, "round.asm", Default()), p);
  EXPECT_EQ(FromBinary(ToBinary(p), "sync.bin"), p);
  EXPECT_THROW(Assemble(".queue mem0\n    SYNC 3\n", "bad.asm", Default()), Error);
}

TEST(AssemblerTest, DisassemblyRoundTrips) {
  Program p = Assemble(kSample, "s.asm", Default());
  std::string text = Disassemble(p, Default());
  EXPECT_EQ(Assemble(text, "round.asm", Default()), p);
  EXPECT_EQ(Disassemble(Assemble(text, "round.asm", Default()), Default()), text);
}

// Every SXM op: stream operands as E<n>/W<n> with their own directions, the amount, the group
// keyword (group=2|4, 1 by default) and `down`.
TEST(AssemblerTest, SxmOpsParseAndRoundTrip) {
  constexpr const char* kSxm = R"(.queue sxm
    SHIFT W0, 3, E4
    SHIFT E1, 15, W2, group=2, down
    ROTATE W2, 0, W4, group=4
    PERMUTE W0, E5, E8
    DISTRIBUTE W1, W6, W8, group=2
    TRANSPOSE W3, W12, group=4
    SELECT W0, E4, W9, E12, group=4
)";
  Program p = Assemble(kSxm, "sxm.asm", Default());
  const auto& q = p.queues[Default().SxmQueue()];
  ASSERT_EQ(q.size(), 7u);
  EXPECT_EQ(q[0], Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 3, false, 4, Dir::kEast));
  EXPECT_EQ(q[1], Instr::SxmShift(isa::Op::kShift, 1, Dir::kEast, 15, true, 2, Dir::kWest, 1));
  EXPECT_EQ(q[2], Instr::SxmShift(isa::Op::kRotate, 2, Dir::kWest, 0, false, 4, Dir::kWest, 2));
  EXPECT_EQ(q[3], Instr::SxmMap(isa::Op::kPermute, 0, Dir::kWest, 5, Dir::kEast, 8, Dir::kEast));
  EXPECT_EQ(q[4],
            Instr::SxmMap(isa::Op::kDistribute, 1, Dir::kWest, 6, Dir::kWest, 8, Dir::kWest, 1));
  EXPECT_EQ(q[5], Instr::Transpose(3, Dir::kWest, 12, Dir::kWest, 2));
  EXPECT_EQ(q[6], Instr::Select(0, Dir::kWest, 4, Dir::kEast, 9, Dir::kWest, 12, Dir::kEast, 2));
  EXPECT_EQ(FormatInstr(q[1]), "SHIFT E1, 15, W2, group=2, down");
  EXPECT_EQ(FormatInstr(q[6]), "SELECT W0, E4, W9, E12, group=4");
  const std::string text = Disassemble(p, Default());
  EXPECT_EQ(Assemble(text, "round.asm", Default()), p);
  EXPECT_EQ(FromBinary(ToBinary(p), "sxm.bin"), p);
}

struct BadCase {
  const char* text;
  const char* where;    // "file:line:col"
  const char* message;  // part of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.where << " " << c.message; }

class AssemblerErrorTest : public testing::TestWithParam<BadCase> {};

TEST_P(AssemblerErrorTest, NamesFileLineAndColumn) {
  const BadCase& c = GetParam();
  try {
    Assemble(c.text, "bad.asm", Default());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(c.where, 0), 0u) << what;
    EXPECT_NE(what.find(c.message), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AssemblerErrorTest,
    testing::Values(
        BadCase{"READ 1, W0\n", "bad.asm:1:1:", "before any .queue"},
        BadCase{".queue mem0\n  FROB 1\n", "bad.asm:2:3:", "unknown instruction 'FROB'"},
        BadCase{".queue mem9\n", "bad.asm:1:8:", "no queue 'mem9'"},
        BadCase{".queu mem0\n", "bad.asm:1:1:", "unknown directive"},
        BadCase{".queue mem0\n  READ 1, X0\n", "bad.asm:2:11:", "expected a stream"},
        BadCase{".queue mem0\n  READ 1, W16\n", "bad.asm:2:12:", "exceeds the 16 streams"},
        BadCase{".queue mxma\n  ACC 0, E14\n", "bad.asm:2:11:", "group of 4"},
        BadCase{".queue mem0\n  READ 1024, W0\n", "bad.asm:2:8:", "beyond queue mem0's depth"},
        BadCase{".queue mem0\n  READ 12x, W0\n", "bad.asm:2:8:", "expected an integer"},
        BadCase{".queue mem0\n  READ 1\n", "bad.asm:2:8:", "takes 2 operand(s)"},
        BadCase{".queue mem0\n  READ 1, W0, bogus\n", "bad.asm:2:15:", "unexpected operand"},
        BadCase{".queue mem0\n  READ 1, W0, stride=40\n", "bad.asm:2:22:", "outside -32..31"},
        BadCase{".queue mem0\n  READ 1,, W0\n", "bad.asm:2:10:", "empty operand"},
        BadCase{".queue mem0\n  NOP 0\n", "bad.asm:2:7:", "outside 1.."},
        BadCase{".queue mem0\n  LW W0\n", "bad.asm:2:3:", "cannot be issued from queue mem0"},
        BadCase{".queue mem0\n  SHIFT W0, 1, E0\n", "bad.asm:2:3:", "cannot be issued"},
        BadCase{".queue sxm\n  SHIFT W0, 16, E0\n", "bad.asm:2:13:", "below the 16 lanes"},
        BadCase{".queue sxm\n  SHIFT W0, 1, E0, group=3\n", "bad.asm:2:26:", "1, 2 or 4"},
        BadCase{".queue sxm\n  SHIFT W0, 1, E14, group=4\n",
                "bad.asm:2:17:", "stream 14 with a group of 4"},
        BadCase{".queue sxm\n  TRANSPOSE W13, E0, group=4\n",
                "bad.asm:2:14:", "stream 13 with a group of 4"},
        BadCase{".queue sxm\n  SELECT W0, E15, W0, E0, group=2\n",
                "bad.asm:2:15:", "stream 15 with a group of 2"},
        BadCase{".queue sxm\n  PERMUTE W0, E16, E0\n", "bad.asm:2:16:", "exceeds the 16"},
        BadCase{".queue sxm\n  TRANSPOSE W0, E0, down\n", "bad.asm:2:21:", "unexpected operand"}));

}  // namespace
}  // namespace tinylpu
