// Trace: what a core did in one run cycle, as both the RTL and the C++ model report it.
#pragma once

#include <cstdint>
#include <vector>

#include "sw/isa/instr.h"
#include "sw/isa/isa_gen.h"

namespace tinylpu {

// Every event is stamped with the run cycle (the CYCLES count, from 0 in each run) in which it
// happens. Conventions both engines follow:
// - Effects that would land after a run stopped on an error are outside the run: not reported.
// - Drives that leave the row at an edge are still reported.
// - Lane vectors are NumLanes long (ACC drives carry zeros above MxmDim); accumulator writes
//   carry exactly MxmDim values.
// - Ops without an addr field re-issue the same word; a REPEAT before any issue reports nothing.

// A queue issued (fetched or re-issued) an instruction in this cycle; `word` is the encoding
// that entered the dispatch register, with the stride already applied to addr on re-issues.
struct IssueEvent {
  int queue = 0;
  uint32_t word = 0;
  friend bool operator==(const IssueEvent&, const IssueEvent&) = default;
};

// A slice drove a stream register in this cycle (out[dir][pos][stream] = lanes).
struct DriveEvent {
  int pos = 0;
  Dir dir = Dir::kEast;
  int stream = 0;
  std::vector<uint8_t> lanes;
  friend bool operator==(const DriveEvent&, const DriveEvent&) = default;
};

// A MEM slice's SRAM was written by the core (not the host) at the end of this cycle.
struct MemWriteEvent {
  int slice = 0;
  int addr = 0;
  std::vector<uint8_t> lanes;
  friend bool operator==(const MemWriteEvent&, const MemWriteEvent&) = default;
};

// A MEM slice SCATTER stored lane l's byte into byte l of word addrs[l] at the end of this cycle.
struct ScatterEvent {
  int slice = 0;
  std::vector<int> addrs;
  std::vector<uint8_t> lanes;
  friend bool operator==(const ScatterEvent&, const ScatterEvent&) = default;
};

// An IFETCH appended NumLanes/4 instruction words to queue `queue` at the end of this cycle,
// the first into slot `entry` (the following ones into the next slots, wrapping).
struct AppendEvent {
  int queue = 0;
  int entry = 0;
  std::vector<uint32_t> words;
  friend bool operator==(const AppendEvent&, const AppendEvent&) = default;
};

// The MXM wrote accumulator `addr` at the end of this cycle (MxmDim int32 values).
struct AccWriteEvent {
  int addr = 0;
  std::vector<int32_t> values;
  friend bool operator==(const AccWriteEvent&, const AccWriteEvent&) = default;
};

// VXM ALU `alu` wrote its result register R[alu] at the end of this cycle (NumLanes 32-bit
// values: the op's result per lane, narrow types sign-extended).
struct VxmWriteEvent {
  int alu = 0;
  std::vector<uint32_t> values;
  friend bool operator==(const VxmWriteEvent&, const VxmWriteEvent&) = default;
};

// Everything observable in one run cycle. Events in each list are sorted: issues by queue,
// drives by (pos, dir, stream), MEM writes by (slice, addr), scatters by slice, appends by queue.
struct CycleTrace {
  int64_t cycle = 0;
  std::vector<IssueEvent> issues;
  std::vector<AppendEvent> appends;
  std::vector<DriveEvent> drives;
  std::vector<MemWriteEvent> mem_writes;
  std::vector<ScatterEvent> scatters;
  std::vector<AccWriteEvent> acc_writes;
  // Lane bytes SECDED corrected in this cycle (READ and GATHER drives, host MEM reads).
  int ecc_corrected = 0;
  std::vector<VxmWriteEvent> vxm_writes;
  // The error raised in this cycle (kNone when none) and the queue that raised it; when several
  // queues fail in one cycle, the lowest queue (as ERR_QUEUE reports it).
  isa::Err err = isa::Err::kNone;
  int err_queue = 0;
  friend bool operator==(const CycleTrace&, const CycleTrace&) = default;
};

// Receives one CycleTrace per run cycle while a run is in progress.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void OnCycle(const CycleTrace& trace) = 0;
};

}  // namespace tinylpu
