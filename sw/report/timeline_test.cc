// Tests for the schedule timeline: issue expansion and the SVG it draws.
#include "sw/report/timeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sw/compiler/matmul.h"

namespace tinylpu {
namespace {

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(TimelineTest, ExpandsNopsAndRepeats) {
  CoreConfig c = NamedConfig("small");
  Program p;
  p.queues.resize(c.num_queues());
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Repeat(2, 2), Instr::Nop(3),
                                       Instr::Addr(isa::Op::kRead, 0, 0, Dir::kWest),
                                       Instr::Repeat(2, 3)};
  std::vector<TimelineIssue> issues = ExpandIssues(p);
  ASSERT_EQ(issues.size(), 3u);  // the first REPEAT has nothing to re-issue
  EXPECT_EQ(issues[0].cycle, 7);
  EXPECT_EQ(issues[1].cycle, 10);
  EXPECT_EQ(issues[2].cycle, 13);
  EXPECT_EQ(p.FinishCycle(), 14);
}

TEST(TimelineTest, SyncWaitsForNotify) {
  CoreConfig c = NamedConfig("small");
  Program p;
  p.queues.resize(c.num_queues());
  Instr read = Instr::Addr(isa::Op::kRead, 0, 0, Dir::kWest);
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Sync(), read};
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(9), Instr::Notify(), read};
  std::vector<TimelineIssue> issues = ExpandIssues(p);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].cycle, 10);  // released by the NOTIFY fetched in cycle 9
  EXPECT_EQ(issues[1].cycle, 10);
}

TEST(TimelineTest, SvgHasOneMarkPerIssue) {
  CoreConfig c = NamedConfig("default");
  MatmulPlan plan = CompileMatmul(c, {20, 16, 16});
  std::string svg = TimelineSvg(plan.program, c, "matmul");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(Count(svg, "class=\"op-ABC\""), 20);
  EXPECT_EQ(Count(svg, "class=\"op-LW\""), 16);
  EXPECT_EQ(Count(svg, "class=\"op-WRITE\""), 80);
  EXPECT_NE(svg.find(fmt::format("{} cycles", plan.predicted_cycles)), std::string::npos);
  EXPECT_EQ(Count(svg, "<svg"), 1);
  EXPECT_EQ(Count(svg, "</svg>"), 1);
}

}  // namespace
}  // namespace tinylpu
