// Lockstep: runs the RTL and the C++ model side by side and stops at the first divergence.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sw/core/driver.h"
#include "sw/core/host_bus.h"
#include "sw/core/program.h"
#include "tb/rtl_sim.h"

namespace tinylpu {

// The first cycle in which the two engines did something different.
struct Divergence {
  int64_t cycle = 0;  // run cycle (-1: outside a run, e.g. a host read)
  // Multi-line report: what differed (queue, slice, stream, lane, both values) and the
  // instruction responsible, with the cycle it issued; then the wave file and the command that
  // reproduces the run, when there are.
  std::string message;
  std::string wave_path;  // the FST written around the divergence ("" when none)
};

// The wave lockstep writes at a divergence: an FST of the RTL around the divergent clock cycle,
// made by replaying the RTL's host transactions (tb/rtl_sim.h, WriteWaveWindow), so runs
// without a divergence pay nothing.
struct LockstepWaves {
  bool enabled = true;
  // Directory of the wave files; "" means $LPU_WAVE_DIR, or the current directory.
  std::string dir;
  // File name stem; "" means "lockstep_<config>". The file is <stem>_cycle<run cycle>.fst.
  std::string stem;
  int64_t before = 64;  // clock cycles dumped before the divergent one
  int64_t after = 8;    // and after it
  // The RTL simulation to replay; nullptr: whichever of the two engines is one (none: no wave).
  const HostBus* rtl = nullptr;
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
  void set_waves(const LockstepWaves& waves) { waves_ = waves; }
  // The command that reproduces this run, printed with every divergence report.
  void set_reproduce(std::string command) { reproduce_ = std::move(command); }

  // Compares every cycle both engines have reported since the last call (the engines must have
  // simulated the same clock cycles): the first divergence, with its wave written, or nothing.
  std::optional<Divergence> Check();
  // A divergence found outside the traces (a host read, done, the time), in the clock cycle
  // the engines just finished: completes the report with the wave and the reproduce command.
  Divergence Diverged(int64_t run_cycle, std::string message);

 private:
  class Recorder;
  // Compares the oldest traces of both engines while both have one.
  std::optional<Divergence> CompareReady();
  // The words the queues in an error difference fetched last (from the C++ model), or "".
  std::string FetchNote(const CycleTrace& dut, const CycleTrace& ref) const;
  // Adds the wave (around clock cycle `clock` of the RTL) and the reproduce command.
  void Complete(Divergence& divergence, std::optional<uint64_t> clock);

  HostBus& dut_;
  HostBus& ref_;
  std::unique_ptr<Recorder> dut_rec_;
  std::unique_ptr<Recorder> ref_rec_;
  // Recent issues of the reference, to name the instruction behind a divergent effect.
  std::deque<std::pair<int64_t, IssueEvent>> history_;
  int64_t compared_ = 0;
  TraceSink* observer_ = nullptr;
  LockstepWaves waves_;
  std::string reproduce_;
};

// Thrown by LockstepBus at the first divergence; what() is the whole report. Not a
// tinylpu::Error, so that code expecting an Error for bad input never swallows it.
class LockstepDivergence : public std::runtime_error {
 public:
  explicit LockstepDivergence(Divergence divergence)
      : std::runtime_error(divergence.message), divergence_(std::move(divergence)) {}
  const Divergence& divergence() const { return divergence_; }

 private:
  Divergence divergence_;
};

// The RTL and the C++ model in lockstep behind one HostBus, so that any code written for one
// engine (the directed tests, the driver) runs on both, compared every cycle: every host
// transaction goes to both, reads, done and time must agree and so must every run cycle's
// trace. The first difference throws LockstepDivergence (wave written, see LockstepWaves).
// Reads return the DUT's data; a trace sink receives the cycles that matched.
class LockstepBus final : public HostBus {
 public:
  // The Verilated core of `config` (with `options`) as the DUT and the cycle model as the
  // reference.
  explicit LockstepBus(const CoreConfig& config, const SimOptions& options = {});
  // Any two engines of one configuration.
  LockstepBus(std::unique_ptr<HostBus> dut, std::unique_ptr<HostBus> reference);
  ~LockstepBus() override;

  const CoreConfig& config() const override { return dut_->config(); }
  void Write(uint32_t addr, uint32_t data) override;
  uint32_t Read(uint32_t addr) override;
  void Tick(int64_t cycles) override;
  bool Done() const override;
  uint64_t Time() const override { return dut_->Time(); }
  void SetTraceSink(TraceSink* sink) override { lockstep_->set_observer(sink); }

  Lockstep& lockstep() { return *lockstep_; }
  HostBus& dut() { return *dut_; }
  HostBus& reference() { return *ref_; }

 private:
  void Check();

  std::unique_ptr<HostBus> dut_;
  std::unique_ptr<HostBus> ref_;
  std::unique_ptr<Lockstep> lockstep_;
};

// Explains how two traces of the same cycle differ ("" when equal). `history` holds earlier
// issues (cycle, event) used to name the responsible instruction.
std::string DescribeDifference(const CoreConfig& config, const CycleTrace& dut,
                               const CycleTrace& ref,
                               const std::deque<std::pair<int64_t, IssueEvent>>& history);

}  // namespace tinylpu
