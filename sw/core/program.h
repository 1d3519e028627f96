// Program: the per-queue instruction lists of one run, and the cycle count they imply.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sw/core/config.h"
#include "sw/isa/instr.h"

namespace tinylpu {

struct Program {
  // queues[q] is the instruction list of queue q (see CoreConfig for the queue order).
  std::vector<std::vector<Instr>> queues;

  // Cycle in which queue q has finished: the sum of its instructions' durations, where a SYNC
  // fetched in cycle a and released by the first NOTIFY fetched in a cycle b >= a (by any
  // queue) lasts b+1-a. Throws Error when a SYNC is never released (the core would stop with
  // SYNC_DEADLOCK).
  int64_t QueueFinishCycle(int q) const;
  // QueueFinishCycle for every queue.
  std::vector<int64_t> QueueFinishCycles() const;
  // The cycle in which each instruction is fetched (fetch[q][i] for queues[q][i]) and each
  // queue's finish cycle, by the ICU rules including SYNC release. Throws like
  // QueueFinishCycle.
  struct Timing {
    std::vector<std::vector<int64_t>> fetch;
    std::vector<int64_t> finish;
  };
  Timing QueueTiming() const;
  // Cycle in which every queue has finished.
  int64_t FinishCycle() const;
  // Cycles the core takes to run this program: FinishCycle() + drain.
  int64_t PredictedCycles() const { return FinishCycle() + isa::kDrainCycles; }

  // Throws Error when the program does not fit `config` (too many queues or instructions) or
  // an instruction cannot be encoded.
  void CheckFits(const CoreConfig& config) const;

  friend bool operator==(const Program&, const Program&) = default;
};

// Binary image: "LPUB", format version, queue count, then per queue a count and the words,
// all little-endian 32-bit.
std::vector<uint8_t> ToBinary(const Program& program);
// Throws Error naming `filename` when the image is malformed.
Program FromBinary(const std::vector<uint8_t>& bytes, std::string_view filename);

}  // namespace tinylpu
