// Lockstep: runs the RTL and the C++ model side by side and stops at the first divergence.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sw/core/driver.h"
#include "sw/core/host_bus.h"
#include "sw/core/program.h"

namespace tinylpu {

// The first cycle in which the two engines did something different.
struct Divergence {
  int64_t cycle = 0;
  // Multi-line report: what differed (queue, slice, stream, lane, both values) and the
  // instruction responsible, with the cycle it issued.
  std::string message;
};

struct LockstepResult {
  RunResult dut;        // as the design under test (the RTL) reported it
  RunResult reference;  // as the reference model reported it
  int64_t cycles_compared = 0;
  std::optional<Divergence> divergence;
  bool ok() const { return !divergence && dut.ok() && reference.ok(); }
};

// Drives two engines of the same configuration with identical host transactions, so they stay
// cycle-aligned, and compares their CycleTraces every run cycle.
class Lockstep {
 public:
  Lockstep(HostBus& dut, HostBus& reference);
  ~Lockstep();
  Lockstep(const Lockstep&) = delete;
  Lockstep& operator=(const Lockstep&) = delete;

  void LoadProgram(const Program& program);
  void WriteMemWord(int slice, int word, const std::vector<uint8_t>& lanes);
  std::vector<uint8_t> ReadMemWord(int slice, int word);  // from the DUT
  LockstepResult Run(int64_t max_cycles);
  // Receives every reference cycle that matched the DUT (e.g. functional coverage); nullptr:
  // none. Must outlive the runs it observes.
  void set_observer(TraceSink* observer) { observer_ = observer; }

 private:
  class Recorder;
  // Compares the oldest traces of both engines while both have one.
  std::optional<Divergence> CompareReady();

  HostBus& dut_;
  HostBus& ref_;
  std::unique_ptr<Recorder> dut_rec_;
  std::unique_ptr<Recorder> ref_rec_;
  // Recent issues of the reference, to name the instruction behind a divergent effect.
  std::deque<std::pair<int64_t, IssueEvent>> history_;
  int64_t compared_ = 0;
  TraceSink* observer_ = nullptr;
};

// Explains how two traces of the same cycle differ ("" when equal). `history` holds earlier
// issues (cycle, event) used to name the responsible instruction.
std::string DescribeDifference(const CoreConfig& config, const CycleTrace& dut,
                               const CycleTrace& ref,
                               const std::deque<std::pair<int64_t, IssueEvent>>& history);

}  // namespace tinylpu
