// Schedule: places instructions on queues at exact issue cycles and tracks stream occupancy.
#pragma once

#include <cstdint>
#include <vector>

#include "sw/core/config.h"
#include "sw/core/program.h"
#include "sw/isa/instr.h"

namespace tinylpu {

// A value travelling on a stream group: driven at position `from` in cycle `drive_cycle`,
// sampled at position `to` (which must lie in the direction of travel).
struct Transfer {
  Dir dir = Dir::kWest;
  int stream = 0;
  int group = 1;
  int from = 0;
  int64_t drive_cycle = 0;
  int to = 0;
};

// A growable set of cycles (one bit per cycle).
class CycleSet {
 public:
  bool Test(int64_t t) const {
    const size_t w = static_cast<size_t>(t) >> 6;
    return t >= 0 && w < bits_.size() && ((bits_[w] >> (t & 63)) & 1) != 0;
  }
  void Set(int64_t t);
  void Clear(int64_t t);
  // True when no cycle of [a, b] is in the set.
  bool NoneIn(int64_t a, int64_t b) const;

 private:
  std::vector<uint64_t> bits_;
};

// Builds a static schedule. A queue issues at most one instruction per cycle; instructions may
// be placed in any order into any free cycle (earlier gaps included). The gaps become NOPs and
// runs of equally spaced, equally strided instructions become REPEATs. Stream reservations
// make sure no value is overwritten before its consumer samples it.
class Schedule {
 public:
  explicit Schedule(const CoreConfig& config);

  const CoreConfig& config() const { return config_; }

  // One more than the last cycle used on queue q (placed or blocked): the earliest cycle at
  // which an instruction may go when a queue is filled in cycle order.
  int64_t NextFree(int q) const { return next_free_[q]; }
  // True when queue q neither issues nor is blocked in cycle t (t >= 0).
  bool IsFree(int q, int64_t t) const { return t >= 0 && !busy_[q].Test(t); }
  // True when queue q is free in every cycle of [a, b].
  bool IsFreeRange(int q, int64_t a, int64_t b) const {
    return a >= 0 && busy_[q].NoneIn(a, b);
  }
  // Places `instr` on queue q at issue cycle t; the cycle must be free.
  void Place(int q, int64_t t, const Instr& instr);
  // Keeps queue q from issuing anything else in [a, b] without placing an instruction (a unit
  // state, such as a VXM ALU's IMM register, that other work must not disturb).
  void Block(int q, int64_t a, int64_t b);

  // True when every stream register the transfer passes through is free.
  bool StreamFree(const Transfer& transfer) const;
  void ReserveStream(const Transfer& transfer);
  // Undoes ReserveStream (for a tentative reservation that did not work out).
  void UnreserveStream(const Transfer& transfer);
  // A stream group base (a multiple of the group size) free for the transfer, or -1.
  int FindStream(Transfer transfer) const;

  // Cycle in which every queue has finished.
  int64_t FinishCycle() const;
  // Number of instructions with op `op` placed (re-issues counted one by one).
  int64_t CountOp(isa::Op op) const;
  // Instructions placed on queue q (re-issues counted one by one).
  int64_t PlacedCount(int q) const { return static_cast<int64_t>(placed_[q].size()); }

  // The program: NOPs fill gaps, REPEAT compresses runs. Its durations reproduce the placed
  // cycles exactly, so Finish().FinishCycle() == FinishCycle().
  Program Finish() const;

 private:
  struct Placed {
    int64_t t;
    Instr instr;
  };
  template <typename Fn>
  bool ForEachCell(const Transfer& transfer, Fn fn) const;
  size_t CellIndex(Dir dir, int stream, int pos) const {
    return (static_cast<size_t>(dir) * config_.streams + stream) * config_.num_positions() + pos;
  }

  CoreConfig config_;
  std::vector<int64_t> next_free_;
  std::vector<int64_t> last_placed_;  // last cycle with an instruction, -1 when none
  std::vector<CycleSet> busy_;
  std::vector<std::vector<Placed>> placed_;
  std::vector<CycleSet> cells_;  // per (direction, stream, position)
};

}  // namespace tinylpu
