// Schedule: queue placement, stream reservation, NOP filling and REPEAT compression.
#include "sw/compiler/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// Largest values the NOP n and REPEAT n, d fields hold (from the ISA tables).
int64_t FieldMax(isa::Op op, std::string_view field) {
  return FindField(FormatOf(*FindOp(op)), field)->max;
}

// True when `b` is `a` re-issued with addr advanced by `stride`.
bool IsStridedCopy(const Instr& a, const Instr& b, int64_t stride) {
  Instr a_cmp = a;
  Instr b_cmp = b;
  a_cmp.stride = b_cmp.stride = 0;
  a_cmp.addr = b_cmp.addr = 0;
  if (!(a_cmp == b_cmp)) return false;
  if (!HasField(a.op, "addr")) return stride == 0 && a.addr == b.addr;
  return static_cast<int64_t>(b.addr) - static_cast<int64_t>(a.addr) == stride;
}

}  // namespace

Schedule::Schedule(const CoreConfig& config)
    : config_(config), next_free_(config.num_queues(), 0), placed_(config.num_queues()) {}

void Schedule::Place(int q, int64_t t, const Instr& instr) {
  assert(t >= next_free_[q] && "instructions on a queue must be placed in cycle order");
  assert(!IsControl(instr.op));
  placed_[q].push_back(Placed{t, instr});
  next_free_[q] = t + 1;
}

uint64_t Schedule::CellKey(Dir dir, int stream, int pos, int64_t cycle) const {
  return (static_cast<uint64_t>(cycle) << 20) | (static_cast<uint64_t>(pos) << 6) |
         (static_cast<uint64_t>(stream) << 1) | static_cast<uint64_t>(dir);
}

template <typename Fn>
void Schedule::ForEachCell(const Transfer& transfer, Fn fn) const {
  int step = transfer.dir == Dir::kEast ? 1 : -1;
  int hops = (transfer.to - transfer.from) * step;
  assert(hops >= 1 && "a transfer must travel in its direction");
  for (int s = transfer.stream; s < transfer.stream + transfer.group; ++s) {
    for (int k = 1; k <= hops; ++k) {
      fn(CellKey(transfer.dir, s, transfer.from + k * step, transfer.drive_cycle + k));
    }
  }
}

bool Schedule::StreamFree(const Transfer& transfer) const {
  bool free = true;
  ForEachCell(transfer, [&](uint64_t key) { free = free && !cells_.contains(key); });
  return free;
}

void Schedule::ReserveStream(const Transfer& transfer) {
  ForEachCell(transfer, [&](uint64_t key) { cells_.insert(key); });
}

int Schedule::FindStream(Transfer transfer) const {
  for (int base = 0; base + transfer.group <= config_.streams; base += transfer.group) {
    transfer.stream = base;
    if (StreamFree(transfer)) return base;
  }
  return -1;
}

int64_t Schedule::FinishCycle() const {
  return *std::max_element(next_free_.begin(), next_free_.end());
}

int64_t Schedule::CountOp(isa::Op op) const {
  int64_t count = 0;
  for (const auto& queue : placed_) {
    count += std::count_if(queue.begin(), queue.end(),
                           [&](const Placed& p) { return p.instr.op == op; });
  }
  return count;
}

Program Schedule::Finish() const {
  const int64_t max_nop = FieldMax(isa::Op::kNop, "n");
  const int64_t max_count = FieldMax(isa::Op::kRepeat, "n");
  const int64_t max_dist = FieldMax(isa::Op::kRepeat, "d");
  const isa::FieldInfo* stride_field = FindField(FormatOf(*FindOp(isa::Op::kRead)), "stride");
  Program program;
  program.queues.resize(placed_.size());
  for (size_t q = 0; q < placed_.size(); ++q) {
    const auto& placed = placed_[q];
    auto& out = program.queues[q];
    int64_t cursor = 0;  // the cycle in which the queue fetches its next instruction
    size_t i = 0;
    while (i < placed.size()) {
      for (int64_t gap = placed[i].t - cursor; gap > 0;) {
        int64_t n = std::min(gap, max_nop);
        out.push_back(Instr::Nop(static_cast<uint32_t>(n)));
        gap -= n;
      }
      // Extend a run of re-issues: equal spacing d, equal addr stride.
      size_t j = i + 1;
      int64_t d = 0;
      int64_t stride = 0;
      if (j < placed.size()) {
        d = placed[j].t - placed[i].t;
        stride = HasField(placed[i].instr.op, "addr")
                     ? static_cast<int64_t>(placed[j].instr.addr) - placed[i].instr.addr
                     : 0;
        bool stride_ok = stride >= stride_field->min && stride <= stride_field->max;
        while (stride_ok && d <= max_dist && j < placed.size() &&
               static_cast<int64_t>(j - i) <= max_count && placed[j].t - placed[j - 1].t == d &&
               IsStridedCopy(placed[j - 1].instr, placed[j].instr, stride)) {
          ++j;
        }
      }
      int64_t reissues = static_cast<int64_t>(j - i) - 1;
      Instr first = placed[i].instr;
      if (reissues >= 2 || (reissues == 1 && d > 1)) {
        first.stride = static_cast<int32_t>(stride);
        out.push_back(first);
        out.push_back(Instr::Repeat(static_cast<uint32_t>(reissues), static_cast<uint32_t>(d)));
        cursor = placed[j - 1].t + 1;
        i = j;
      } else {
        out.push_back(first);
        cursor = placed[i].t + 1;
        ++i;
      }
    }
  }
  assert(program.FinishCycle() == FinishCycle());
  return program;
}

}  // namespace tinylpu
