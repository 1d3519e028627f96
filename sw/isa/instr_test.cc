// Tests for instruction encoding and decoding against the generated ISA tables.
#include "sw/isa/instr.h"

#include <gtest/gtest.h>

#include <set>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// An instruction of `op` with every field at its minimum or maximum.
Instr Extreme(const isa::OpInfo& info, bool use_max) {
  Instr instr{.op = info.op};
  const isa::FormatInfo& format = FormatOf(info);
  for (int i = 0; i < format.num_fields; ++i) {
    const auto& f = format.fields[i];
    SetFieldValue(instr, f.name, use_max ? f.max : f.min);
  }
  return instr;
}

TEST(InstrTest, EveryOpRoundTripsAtFieldExtremes) {
  for (const auto& info : isa::kOps) {
    SCOPED_TRACE(std::string(info.name));
    for (bool use_max : {false, true}) {
      Instr instr = Extreme(info, use_max);
      auto decoded = Decode(Encode(instr));
      ASSERT_TRUE(decoded.has_value());
      EXPECT_EQ(*decoded, instr);
    }
  }
}

TEST(InstrTest, OpcodesAndNamesAreUnique) {
  std::set<int> opcodes;
  std::set<std::string_view> names;
  for (const auto& info : isa::kOps) {
    EXPECT_TRUE(opcodes.insert(static_cast<int>(info.op)).second);
    EXPECT_TRUE(names.insert(info.name).second);
    EXPECT_EQ(FindOpByName(info.name), &info);
  }
  EXPECT_EQ(FindOpByName("read"), FindOp(isa::Op::kRead));
}

TEST(InstrTest, OutOfRangeFieldsAreRejectedByName) {
  Instr read = Instr::Addr(isa::Op::kRead, 1u << 13, 0, Dir::kEast);
  try {
    Encode(read);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("READ: addr"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Encode(Instr::Nop(0)), Error);
  Instr strided = Instr::Addr(isa::Op::kWrite, 0, 0, Dir::kEast);
  strided.stride = 32;
  EXPECT_THROW(Encode(strided), Error);
  strided.stride = -32;
  EXPECT_NO_THROW(Encode(strided));
}

TEST(InstrTest, DecodeRejectsUndefinedOpcodesAndReservedBits) {
  EXPECT_FALSE(Decode(0x3fu << isa::kOpcodeLsb).has_value());
  uint32_t iw = Encode(Instr{.op = isa::Op::kIw});
  EXPECT_TRUE(Decode(iw).has_value());
  EXPECT_FALSE(Decode(iw | 1u).has_value());
}

TEST(InstrTest, SignedStrideDecodes) {
  Instr abc = Instr::Addr(isa::Op::kAbc, 9, 2, Dir::kWest, true);
  abc.stride = -3;
  EXPECT_EQ(Decode(Encode(abc))->stride, -3);
}

// The SXM stream operands the queue checks, with the widths of their groups.
TEST(InstrTest, SxmStreamOperandsSpanTheirGroups) {
  auto widths = [](const Instr& instr) {
    std::vector<std::pair<std::string_view, int>> out;
    for (const StreamOperand& s : SxmStreamOperands(instr)) out.emplace_back(s.name, s.width);
    return out;
  };
  using W = std::vector<std::pair<std::string_view, int>>;
  EXPECT_EQ(widths(Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 1, false, 4, Dir::kEast, 2)),
            (W{{"a", 4}, {"stream", 4}}));
  EXPECT_EQ(
      widths(Instr::SxmMap(isa::Op::kPermute, 0, Dir::kWest, 1, Dir::kEast, 4, Dir::kEast, 1)),
      (W{{"a", 2}, {"b", 1}, {"stream", 2}}));
  EXPECT_EQ(widths(Instr::Select(0, Dir::kWest, 4, Dir::kWest, 8, Dir::kEast, 12, Dir::kEast, 2)),
            (W{{"a", 4}, {"b", 4}, {"m", 1}, {"stream", 4}}));
  EXPECT_EQ(widths(Instr::Transpose(0, Dir::kWest, 0, Dir::kEast, 3)),
            (W{{"a", 8}, {"stream", 8}}));
  EXPECT_TRUE(SxmStreamOperands(Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast)).empty());
  EXPECT_EQ(SxmGroupCode(4), 2);
  EXPECT_EQ(SxmGroupCode(3), -1);
  // The SXM formats share one layout: a, group and the destination sit alike in every one.
  for (isa::Op op : {isa::Op::kShift, isa::Op::kTranspose, isa::Op::kPermute, isa::Op::kSelect}) {
    const isa::FormatInfo& f = FormatOf(*FindOp(op));
    EXPECT_EQ(FindField(f, "a")->lsb, 7);
    EXPECT_EQ(FindField(f, "group")->lsb, 24);
    EXPECT_EQ(FindField(f, "stream")->lsb, 1);
  }
}

TEST(InstrTest, Durations) {
  EXPECT_EQ(Duration(Instr::Nop(5)), 5);
  EXPECT_EQ(Duration(Instr::Repeat(4, 3)), 12);
  EXPECT_EQ(Duration(Instr{.op = isa::Op::kIw}), 1);
}

}  // namespace
}  // namespace tinylpu
