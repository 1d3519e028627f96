// Schedule: places instructions on queues at exact issue cycles and tracks stream occupancy.
#pragma once

#include <cstdint>
#include <unordered_set>
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

// Builds a static schedule. Instructions are placed per queue in increasing cycle order; the
// gaps become NOPs and runs of equally spaced, equally strided instructions become REPEATs.
// Stream reservations make sure no value is overwritten before its consumer samples it.
class Schedule {
 public:
  explicit Schedule(const CoreConfig& config);

  const CoreConfig& config() const { return config_; }

  // Earliest cycle at which a new instruction may issue on queue q.
  int64_t NextFree(int q) const { return next_free_[q]; }
  // Places `instr` on queue q at issue cycle t >= NextFree(q).
  void Place(int q, int64_t t, const Instr& instr);

  // True when every stream register the transfer passes through is free.
  bool StreamFree(const Transfer& transfer) const;
  void ReserveStream(const Transfer& transfer);
  // A stream group base (a multiple of the group size) free for the transfer, or -1.
  int FindStream(Transfer transfer) const;

  // Cycle in which every queue has finished.
  int64_t FinishCycle() const;
  // Number of instructions with op `op` placed (re-issues counted one by one).
  int64_t CountOp(isa::Op op) const;

  // The program: NOPs fill gaps, REPEAT compresses runs. Its durations reproduce the placed
  // cycles exactly, so Finish().FinishCycle() == FinishCycle().
  Program Finish() const;

 private:
  struct Placed {
    int64_t t;
    Instr instr;
  };
  template <typename Fn>
  void ForEachCell(const Transfer& transfer, Fn fn) const;
  uint64_t CellKey(Dir dir, int stream, int pos, int64_t cycle) const;

  CoreConfig config_;
  std::vector<int64_t> next_free_;
  std::vector<std::vector<Placed>> placed_;
  std::unordered_set<uint64_t> cells_;
};

}  // namespace tinylpu
