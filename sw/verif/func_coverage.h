// Functional coverage: coverpoints whose bins come from the ISA tables, sampled from runs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sw/core/config.h"
#include "sw/core/trace.h"

namespace tinylpu::verif {

// Coverpoints (coverpoint -> bin -> hits), defined up front so that a bin never hit shows as
// missing. Every op, queue, operand field and error code comes from the generated ISA tables:
// an op or error code added to sw/isa/isa.toml appears as new bins, missing until covered.
//
//   op_queue   <OP>@<queue>            every op fetched or issued on every queue that may run it
//                                      (CONFIG only where the slice has registers)
//   operand    <OP>.<class>            per op field: stream first/mid/last, dir E/W (and the
//                                      directions of a, b, m, istream), flag, addr first/mid/last,
//                                      re-issue stride neg/zero/pos, SXM group 1/2/4 and shift
//                                      amount 0/1/mid/max, VXM type (VCVT: type pair), sources
//                                      E/W/PREV/SELF/IMM and destination E/W/none, CONFIG
//                                      register and value 0/max
//   group_dir  drive|sample.g<n>.<E|W> stream groups by width and direction, as the fabric sees
//                                      them (sw/verif/random_program.h, DrivesOf/SamplesOf)
//   mem_bank   <OP>.bank<0|1>          READ/WRITE word, GATHER base, SCATTER lanes per bank
//   ecc        corrected, corrected_read, corrected_gather: SECDED corrections in a run
//   ifetch     appended, appended_twice (a second IFETCH block into one queue in a run)
//   sxm        transpose_streaming (issued exactly NumLanes after the last), op_during_transpose
//   vxm        chain_prev (PREV read one cycle after the ALU before issued), self_back_to_back,
//              imm_after_config (IMM read after a CONFIG of the same ALU)
//   nop        n=1|2|mid|max           NOP counts at their boundaries
//   repeat     n=..., d=..., before_issue
//   sync       SYNC released in its own cycle or after parking; NOTIFY releasing 0, 1, many
//   error      <ERROR_NAME>            every error code a run stopped with
//
// Control ops never appear in a CycleTrace, so SampleRun follows each queue's sequencing
// (docs/architecture.md, "Instruction queues") over the loaded words and the words IFETCH
// appends (from the trace), cycle by cycle, for as many cycles as the trace has; slice-op bins
// come from the trace's issue events. The issues it predicts are compared with the trace's
// (shadow_mismatches(), 0 when they agree).
class FunctionalCoverage {
 public:
  using Points = std::map<std::string, std::map<std::string, int64_t>>;

  explicit FunctionalCoverage(const CoreConfig& config);
  FunctionalCoverage() = default;

  // One run: the words loaded into each queue, and every run cycle's trace in order.
  void SampleRun(const std::vector<std::vector<uint32_t>>& words,
                 const std::vector<CycleTrace>& traces);

  void Merge(const FunctionalCoverage& other);
  const Points& points() const { return points_; }
  int64_t runs() const { return runs_; }
  int64_t shadow_mismatches() const { return shadow_mismatches_; }
  // "coverpoint/bin" of every bin with no hit.
  std::vector<std::string> Missing() const;
  // Hit bins / all bins, in percent.
  double Percent(std::string_view coverpoint) const;

  // JSON: {"format", "tests", "configs", "runs", "shadow_mismatches", "coverpoints"}.
  std::string ToJson(std::string_view test) const;
  static FunctionalCoverage FromJson(std::string_view text);
  // Writes ToJson(test) to <dir>/<file>, dir from $LPU_FCOV_DIR or `default_dir`.
  std::string Write(std::string_view test, std::string_view file,
                    std::string_view default_dir) const;

 private:
  void Define(const std::string& point, const std::string& bin) { points_[point][bin] += 0; }
  void Hit(const std::string& point, const std::string& bin);
  void SampleIssue(int q, uint32_t word, bool reissue);
  void SampleOperands(int q, const Instr& instr, bool reissue);

  CoreConfig config_;
  Points points_;
  std::vector<std::string> tests_;
  std::vector<std::string> configs_;
  int64_t runs_ = 0;
  int64_t shadow_mismatches_ = 0;
};

// A TraceSink that keeps every cycle (for one run; Clear() between runs).
class TraceRecorder final : public TraceSink {
 public:
  void OnCycle(const CycleTrace& trace) override { traces_.push_back(trace); }
  const std::vector<CycleTrace>& traces() const { return traces_; }
  void Clear() { traces_.clear(); }

 private:
  std::vector<CycleTrace> traces_;
};

}  // namespace tinylpu::verif
