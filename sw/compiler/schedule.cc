// Schedule: queue placement, stream reservation, NOP filling and REPEAT compression.
#include "sw/compiler/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <utility>

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

void CycleSet::Set(int64_t t) {
  assert(t >= 0);
  const size_t w = static_cast<size_t>(t) >> 6;
  if (w >= bits_.size()) bits_.resize(std::max(w + 1, bits_.size() * 2), 0);
  bits_[w] |= uint64_t{1} << (t & 63);
}

void CycleSet::Clear(int64_t t) {
  const size_t w = static_cast<size_t>(t) >> 6;
  if (t >= 0 && w < bits_.size()) bits_[w] &= ~(uint64_t{1} << (t & 63));
}

bool CycleSet::NoneIn(int64_t a, int64_t b) const {
  for (int64_t t = std::max<int64_t>(a, 0); t <= b; ++t) {
    const size_t w = static_cast<size_t>(t) >> 6;
    if (w >= bits_.size()) return true;
    if ((t & 63) == 0 && b - t >= 63) {
      if (bits_[w] != 0) return false;
      t += 63;
      continue;
    }
    if (((bits_[w] >> (t & 63)) & 1) != 0) return false;
  }
  return true;
}

Schedule::Schedule(const CoreConfig& config)
    : config_(config),
      next_free_(config.num_queues(), 0),
      last_placed_(config.num_queues(), -1),
      busy_(config.num_queues()),
      placed_(config.num_queues()),
      cells_(static_cast<size_t>(2) * config.streams * config.num_positions()) {}

void Schedule::Place(int q, int64_t t, const Instr& instr) {
  if (q < 0 || q >= config_.num_queues() || t < 0) {
    const isa::OpInfo* info = FindOp(instr.op);
    throw Error(
        fmt::format("internal: cannot place {} on queue {} in cycle {}: config '{}' has "
                    "queues 0..{}",
                    info != nullptr ? info->name : "an instruction", q, t, config_.name,
                    config_.num_queues() - 1));
  }
  assert(IsFree(q, t) && "a queue issues at most one instruction per cycle");
  assert(!IsControl(instr.op));
  placed_[q].push_back(Placed{t, instr});
  busy_[q].Set(t);
  next_free_[q] = std::max(next_free_[q], t + 1);
  last_placed_[q] = std::max(last_placed_[q], t);
}

void Schedule::Block(int q, int64_t a, int64_t b) {
  for (int64_t t = a; t <= b; ++t) busy_[q].Set(t);
  next_free_[q] = std::max(next_free_[q], b + 1);
}

template <typename Fn>
bool Schedule::ForEachCell(const Transfer& transfer, Fn fn) const {
  int step = transfer.dir == Dir::kEast ? 1 : -1;
  int hops = (transfer.to - transfer.from) * step;
  assert(hops >= 1 && "a transfer must travel in its direction");
  for (int s = transfer.stream; s < transfer.stream + transfer.group; ++s) {
    for (int k = 1; k <= hops; ++k) {
      if (!fn(CellIndex(transfer.dir, s, transfer.from + k * step), transfer.drive_cycle + k)) {
        return false;
      }
    }
  }
  return true;
}

bool Schedule::StreamFree(const Transfer& transfer) const {
  if (transfer.stream < 0 || transfer.stream + transfer.group > config_.streams) return false;
  return ForEachCell(transfer, [&](size_t cell, int64_t t) { return !cells_[cell].Test(t); });
}

void Schedule::ReserveStream(const Transfer& transfer) {
  ForEachCell(transfer, [&](size_t cell, int64_t t) {
    cells_[cell].Set(t);
    return true;
  });
}

void Schedule::UnreserveStream(const Transfer& transfer) {
  ForEachCell(transfer, [&](size_t cell, int64_t t) {
    cells_[cell].Clear(t);
    return true;
  });
}

int Schedule::FindStream(Transfer transfer) const {
  for (int base = 0; base + transfer.group <= config_.streams; base += transfer.group) {
    transfer.stream = base;
    if (StreamFree(transfer)) return base;
  }
  return -1;
}

int64_t Schedule::FinishCycle() const {
  return *std::max_element(last_placed_.begin(), last_placed_.end()) + 1;
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
    std::vector<Placed> placed = placed_[q];
    std::sort(placed.begin(), placed.end(),
              [](const Placed& a, const Placed& b) { return a.t < b.t; });
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
