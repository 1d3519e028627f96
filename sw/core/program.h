// Program: the per-queue instruction lists of one run, and the cycle count they imply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sw/core/config.h"
#include "sw/isa/instr.h"

namespace tinylpu {

// A name the assembler attached to a queue entry (`name:`); entry == the queue's length marks
// its end.
struct Label {
  int queue = 0;
  int entry = 0;
  std::string name;
  friend bool operator==(const Label&, const Label&) = default;
};

struct Program {
  // queues[q] is the instruction list of queue q (see CoreConfig for the queue order).
  std::vector<std::vector<Instr>> queues;
  // Labels, sorted by (queue, entry, order of definition); names are unique.
  std::vector<Label> labels;

  // "loop+3" for entry 3 after label `loop` of queue q (the nearest label at or before the
  // entry), "loop" on the label itself, "" when no label precedes it.
  std::string EntryName(int q, int entry) const;
  // The entry of queue q fetched last at or before `cycle` (by QueueTiming), or -1 when none
  // is (or the timing cannot be predicted: a SYNC never released).
  int EntryAt(int q, int64_t cycle) const;

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
// all little-endian 32-bit. Version 2 (written only when there are labels) appends the label
// count and per label queue, entry, name length and the name's bytes padded to 4.
std::vector<uint8_t> ToBinary(const Program& program);
// Throws Error naming `filename` when the image is malformed.
Program FromBinary(const std::vector<uint8_t>& bytes, std::string_view filename);

}  // namespace tinylpu
