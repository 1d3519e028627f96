// Timeline: an SVG Gantt chart of which queue issues what in which cycle of a program.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sw/core/config.h"
#include "sw/core/program.h"

namespace tinylpu {

// One issued instruction (after NOP waits and REPEAT re-issues are resolved).
struct TimelineIssue {
  int queue = 0;
  int64_t cycle = 0;
  isa::Op op = isa::Op::kNop;
};

// Every op the program issues, in queue order then cycle order, with the cycles the ICU rules
// give (docs/architecture.md), SYNC release included. REPEAT before any op issues nothing.
// Throws Error for a program that would stop with SYNC_DEADLOCK.
std::vector<TimelineIssue> ExpandIssues(const Program& program);

// A self-contained SVG: one row per non-empty queue, one coloured mark per issued op, a legend,
// and a title line with the run's cycle count and the MXM (ABC) utilisation.
std::string TimelineSvg(const Program& program, const CoreConfig& config, const std::string& title);

}  // namespace tinylpu
