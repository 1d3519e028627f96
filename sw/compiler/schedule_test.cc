// Tests for Schedule: NOP filling, REPEAT compression and stream reservations.
#include "sw/compiler/schedule.h"

#include <gtest/gtest.h>

#include <string>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

Instr Read(uint32_t addr) { return Instr::Addr(isa::Op::kRead, addr, 0, Dir::kWest); }

TEST(ScheduleTest, GapsBecomeNops) {
  Schedule s(NamedConfig("default"));
  const int q = CoreConfig::MemQueue(0);
  s.Place(q, 3, Read(1));
  Instr other = Instr::Addr(isa::Op::kWrite, 7, 0, Dir::kEast);
  s.Place(q, 10, other);
  Program p = s.Finish();
  EXPECT_EQ(p.queues[q], (std::vector<Instr>{Instr::Nop(3), Read(1), Instr::Nop(6), other}));
  EXPECT_EQ(p.FinishCycle(), 11);
  EXPECT_EQ(s.FinishCycle(), 11);
}

TEST(ScheduleTest, PlacingOnAQueueTheConfigLacksIsAnError) {
  const CoreConfig config = NamedConfig("fpga");  // one VXM ALU
  Schedule s(config);
  EXPECT_THROW(s.Place(config.VxmQueue(1), 0, Instr::Config(0, 7)), Error);
  EXPECT_THROW(s.Place(-1, 0, Read(1)), Error);
  EXPECT_THROW(s.Place(CoreConfig::MemQueue(0), -1, Read(1)), Error);
  try {
    s.Place(config.VxmQueue(1), 0, Instr::Config(0, 7));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config 'fpga'"), std::string::npos) << e.what();
  }
}

TEST(ScheduleTest, EquallySpacedStridedRunsBecomeRepeats) {
  Schedule s(NamedConfig("default"));
  const int q = CoreConfig::MemQueue(1);
  for (int i = 0; i < 5; ++i) s.Place(q, 2 + 3 * i, Read(10 + 2 * i));
  s.Place(q, 40, Read(100));
  Program p = s.Finish();
  Instr first = Read(10);
  first.stride = 2;
  EXPECT_EQ(p.queues[q], (std::vector<Instr>{Instr::Nop(2), first, Instr::Repeat(4, 3),
                                             Instr::Nop(40 - 15), Read(100)}));
  EXPECT_EQ(p.FinishCycle(), 41);
}

TEST(ScheduleTest, BackToBackPairsStayPlain) {
  Schedule s(NamedConfig("default"));
  const int q = CoreConfig::MemQueue(1);
  s.Place(q, 0, Read(0));
  s.Place(q, 1, Read(1));
  Program p = s.Finish();
  EXPECT_EQ(p.queues[q], (std::vector<Instr>{Read(0), Read(1)}));
}

TEST(ScheduleTest, StrideBeyondTheFieldIsNotCompressed) {
  Schedule s(NamedConfig("default"));
  const int q = CoreConfig::MemQueue(1);
  for (int i = 0; i < 4; ++i) s.Place(q, i, Read(100 * i));
  Program p = s.Finish();
  EXPECT_EQ(p.queues[q].size(), 4u);
  EXPECT_EQ(p.FinishCycle(), 4);
}

TEST(ScheduleTest, StreamReservationsCollideOnTheSameDiagonal) {
  Schedule s(NamedConfig("default"));
  // Slice at position 5 drives westward at cycle 10 to the MXM at position 0.
  Transfer far{Dir::kWest, 0, 1, 5, 10, 0};
  ASSERT_TRUE(s.StreamFree(far));
  s.ReserveStream(far);
  // A slice at position 3 driving stream 0 at cycle 12 would overwrite it on the way.
  Transfer near{Dir::kWest, 0, 1, 3, 12, 0};
  EXPECT_FALSE(s.StreamFree(near));
  EXPECT_EQ(s.FindStream(near), 1);
  // One cycle later the diagonals differ.
  Transfer later{Dir::kWest, 0, 1, 3, 13, 0};
  EXPECT_TRUE(s.StreamFree(later));
  // Eastward traffic never collides with westward traffic.
  Transfer east{Dir::kEast, 0, 4, 0, 10, 5};
  EXPECT_TRUE(s.StreamFree(east));
  s.ReserveStream(east);
  Transfer east2{Dir::kEast, 0, 4, 0, 10, 2};
  EXPECT_EQ(s.FindStream(east2), 4);
}

}  // namespace
}  // namespace tinylpu
