// Tests for the assembler and disassembler: round trips and located error messages.
#include "sw/asm/assembler.h"

#include <gtest/gtest.h>

#include "sw/core/error.h"
#include "sw/vxm/vxm_ops.h"

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

// Labels name queue entries: they survive disassembly and reassembly, and an instruction may
// follow a label on its line.
TEST(AssemblerTest, LabelsAttachToEntriesAndRoundTrip) {
  constexpr const char* kLabels = R"(.queue mem0
start:
    NOP 2
loop: READ 1, E0, stride=1
    REPEAT 3, 1
    IFETCH W5
    GATHER 7, W2, E1
    SCATTER 8, E3, W0
done:
.queue mem1
top: again: NOP 1
)";
  Program p = Assemble(kLabels, "l.asm", Default());
  const int mem0 = CoreConfig::MemQueue(0);
  const int mem1 = CoreConfig::MemQueue(1);
  ASSERT_EQ(p.labels.size(), 5u);
  EXPECT_EQ(p.labels[0], (Label{mem0, 0, "start"}));
  EXPECT_EQ(p.labels[1], (Label{mem0, 1, "loop"}));
  EXPECT_EQ(p.labels[2], (Label{mem0, 6, "done"}));
  EXPECT_EQ(p.labels[3], (Label{mem1, 0, "top"}));
  EXPECT_EQ(p.labels[4], (Label{mem1, 0, "again"}));
  EXPECT_EQ(p.queues[mem0][3], Instr::Ifetch(5, Dir::kWest));
  EXPECT_EQ(p.queues[mem0][4], Instr::Gather(isa::Op::kGather, 7, 2, Dir::kWest, 1, Dir::kEast));
  EXPECT_EQ(p.queues[mem0][5], Instr::Gather(isa::Op::kScatter, 8, 3, Dir::kEast, 0, Dir::kWest));
  EXPECT_EQ(p.EntryName(mem0, 3), "loop+2");
  EXPECT_EQ(p.EntryName(mem0, 1), "loop");
  EXPECT_EQ(p.EntryName(CoreConfig::MemQueue(2), 0), "");
  const std::string text = Disassemble(p, Default());
  EXPECT_NE(text.find("loop:\n    READ 1, E0, stride=1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    GATHER 7, W2, E1\n"), std::string::npos) << text;
  EXPECT_EQ(Assemble(text, "dis.asm", Default()), p);
  EXPECT_EQ(FromBinary(ToBinary(p), "l.bin"), p);
}

TEST(AssemblerTest, LabelErrorsNameFileLineAndColumn) {
  auto error = [](const char* text) {
    try {
      Assemble(text, "e.asm", Default());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(".queue mem0\nx: NOP 1\n.queue mem1\n  x:\n"),
            "e.asm:4:3: error: duplicate label 'x' (first defined at e.asm:2:1)");
  EXPECT_EQ(error("x:\n"), "e.asm:1:1: error: label 'x' before any .queue");
  EXPECT_EQ(error(".queue mem0\nnop: NOP 1\n"),
            "e.asm:2:1: error: label 'nop' is an instruction name");
  EXPECT_EQ(error(".queue mem0\nGATHER 1, W99, E0\n"),
            "e.asm:2:12: error: stream 99 with a group of 1 exceeds the 16 streams per direction");
}

// Every VXM op with every legal type, and CONFIG, survives Disassemble -> Assemble.
TEST(AssemblerTest, VxmOpsRoundTrip) {
  const CoreConfig& c = Default();
  Program p;
  p.queues.resize(c.num_queues());
  auto& q = p.queues[c.VxmQueue(1)];
  q.push_back(Instr::Config(isa::kVxmCfgImmhi, 0xbeef));
  const uint32_t sources[] = {VxmStream(Dir::kEast, 0), VxmStream(Dir::kWest, 12), kVxmPrev,
                              kVxmSelf, kVxmImm};
  int i = 0;
  for (const isa::VxmOpInfo& info : isa::kVxmOps) {
    for (int t = 0; t < 4; ++t) {
      for (int st = 0; st < 4; ++st) {
        const auto type = static_cast<isa::VxmType>(t);
        const auto stype = static_cast<isa::VxmType>(st);
        if ((info.op != isa::Op::kVcvt && st != 0) || !vxm::TypeLegal(info.op, type, stype)) {
          continue;
        }
        const uint32_t dst = i % 3 == 0 ? kVxmNone : VxmStream(i % 2 ? Dir::kWest : Dir::kEast, 8);
        Instr instr = Instr::Vxm(info.op, type, dst, sources[i % 5],
                                 info.b == isa::VxmKind::kNone ? 0 : sources[(i + 2) % 5],
                                 info.op == isa::Op::kVcvt ? stype : isa::VxmType::kI8);
        q.push_back(instr);
        ++i;
      }
    }
  }
  const std::string text = Disassemble(p, c);
  EXPECT_NE(text.find("VCVT.i32.f32 "), std::string::npos) << text;
  EXPECT_NE(text.find("VADD.f32 "), std::string::npos) << text;
  EXPECT_NE(text.find("CONFIG 1, 48879"), std::string::npos) << text;
  EXPECT_EQ(Assemble(text, "rt.asm", c).queues, p.queues);
  // Raw operand fields print as $n and parse back.
  Program raw;
  raw.queues.resize(c.num_queues());
  raw.queues[c.VxmQueue(0)] = {Instr::Vxm(isa::Op::kVmov, isa::VxmType::kI8, 5, 9)};
  EXPECT_EQ(Assemble(Disassemble(raw, c), "raw.asm", c).queues, raw.queues);
}

TEST(AssemblerTest, VxmErrorsAreLocated) {
  auto error = [](std::string_view text) {
    try {
      Assemble(text, "v.asm", Default());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(".queue vxm0\n  VADD E0, E1, E2\n"),
            "v.asm:2:3: error: VADD needs 1 type suffix(es) such as .f32");
  EXPECT_EQ(error(".queue vxm0\n  VSHL.f32 -, E0, IMM\n"),
            "v.asm:2:8: error: VSHL does not take type VSHL.f32");
  EXPECT_EQ(error(".queue vxm0\n  VADD.u8 -, E0, IMM\n"),
            "v.asm:2:8: error: unknown type 'u8' (types: i8, i16, i32, f32)");
  EXPECT_EQ(error(".queue vxm0\n  VADD.i32 -, PREV, IMM\n"),
            "v.asm:2:15: error: PREV (the previous ALU's result) does not exist on vxm0");
  EXPECT_EQ(error(".queue vxm1\n  VADD.i32 -, E13, IMM\n"),
            "v.asm:2:16: error: stream 13 with a group of 4 exceeds the 16 streams per direction");
  EXPECT_EQ(error(".queue vxm1\n  VMOV.i32 IMM, E0\n"),
            "v.asm:2:12: error: expected a destination such as E3, W0 or - (none), found 'IMM'");
  EXPECT_EQ(error(".queue mem0\n  VMOV.i32 -, E0\n"),
            "v.asm:2:3: error: VMOV cannot be issued from queue mem0");
  EXPECT_EQ(error(".queue vxm9\n"),
            "v.asm:1:8: error: no queue 'vxm9' in config 'default' (queues: mxmw, mxma, "
            "mem0..mem7, sxm, vxm0..vxm3)");
}

}  // namespace
}  // namespace tinylpu
