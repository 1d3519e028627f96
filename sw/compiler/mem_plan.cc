// MEM plan: tensor allocation over MEM slices (next fit, so freed words rest before reuse).
#include "sw/compiler/mem_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "sw/core/error.h"

namespace tinylpu {

MemPlan::MemPlan(const CoreConfig& config)
    : config_(config),
      free_(config.mem_slices, std::vector<Extent>{Extent{0, config.mem_depth}}),
      high_water_(config.mem_slices, 0),
      words_(config.mem_slices, std::vector<Word>(config.mem_depth)) {}

int MemPlan::FreeWords(int slice) const {
  int n = 0;
  for (const Extent& e : free_[slice]) n += e.size;
  return n;
}

namespace {

int AlignUp(int x, int align) { return (x + align - 1) / align * align; }

}  // namespace

int MemPlan::FindExtent(int slice, int size, int align) const {
  // Next fit: the first extent that has room at or after the slice's high-water mark, else the
  // first one from the bottom, so that freed temporaries rest while fresh words remain.
  const auto& list = free_[slice];
  auto fits = [&](const Extent& e, int from) {
    const int start = AlignUp(std::max(e.base, from), align);
    return start + size <= e.base + e.size;
  };
  for (size_t i = 0; i < list.size(); ++i) {
    if (fits(list[i], high_water_[slice])) return static_cast<int>(i);
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (fits(list[i], 0)) return static_cast<int>(i);
  }
  return -1;
}

int MemPlan::Take(int slice, int size, int align, const std::string& name) {
  const int i = FindExtent(slice, size, align);
  if (i < 0) {
    throw Error(fmt::format(
        "MEM capacity exceeded: tensor '{}' needs {} free consecutive words on MEM slice {}, which "
        "has {} free of {} (config '{}': {} slices of {} words, {} words in use)",
        name, size, slice, FreeWords(slice), config_.mem_depth, config_.name, config_.mem_slices,
        config_.mem_depth, TotalWordsUsed()));
  }
  Extent& e = free_[slice][i];
  // Inside the extent, start at the high-water mark when the tensor fits there (next fit).
  int base = AlignUp(e.base, align);
  const int hw = AlignUp(std::max(e.base, high_water_[slice]), align);
  if (hw + size <= e.base + e.size) base = hw;
  const Extent before{e.base, base - e.base};
  const Extent after{base + size, e.base + e.size - base - size};
  free_[slice].erase(free_[slice].begin() + i);
  if (after.size > 0) free_[slice].insert(free_[slice].begin() + i, after);
  if (before.size > 0) free_[slice].insert(free_[slice].begin() + i, before);
  high_water_[slice] = std::max(high_water_[slice], base + size);
  return base;
}

TensorId MemPlan::Allocate(const std::string& name, int planes, int vectors,
                           const std::vector<int>& avoid, const std::vector<int>& must_avoid) {
  // Round robin from the slice after the last one chosen, so that consecutive tensors (which
  // tend to be used together) land on different slices and the load spreads; slices in
  // `avoid` come last.
  std::vector<int> order(config_.mem_slices);
  for (int i = 0; i < config_.mem_slices; ++i) order[i] = (next_slice_ + i) % config_.mem_slices;
  auto avoided = [&](int s) { return std::find(avoid.begin(), avoid.end(), s) != avoid.end(); };
  std::stable_partition(order.begin(), order.end(), [&](int s) { return !avoided(s); });
  std::erase_if(order, [&](int s) {
    return std::find(must_avoid.begin(), must_avoid.end(), s) != must_avoid.end();
  });
  if (order.empty()) {
    throw Error(fmt::format("tensor '{}': every MEM slice is excluded ({} slices)", name,
                            config_.mem_slices));
  }
  for (int s : order) {
    if (FindExtent(s, planes * vectors, planes) >= 0) {
      next_slice_ = (s + 1) % config_.mem_slices;
      return AllocateOn(name, planes, vectors, s);
    }
  }
  // Blocks: the fewest equal power-of-two blocks that fit, one per slice in turn.
  for (int parts = 2; parts <= config_.mem_slices; parts *= 2) {
    const int block = (vectors + parts - 1) / parts;
    std::vector<int> slices;
    for (int s : order) {
      if (static_cast<int>(slices.size()) < parts && FindExtent(s, planes * block, planes) >= 0) {
        slices.push_back(s);
      }
    }
    if (static_cast<int>(slices.size()) < parts) continue;
    MemTensor t;
    t.name = name;
    t.planes = planes;
    t.vectors = vectors;
    t.block_vectors = block;
    for (int s : slices) t.blocks.push_back({s, Take(s, planes * block, planes, name)});
    next_slice_ = (slices.back() + 1) % config_.mem_slices;
    tensors_.push_back(t);
    freed_.push_back(false);
    return static_cast<TensorId>(tensors_.size()) - 1;
  }
  return AllocateOn(name, planes, vectors, order.front());  // throws, naming the capacity
}

TensorId MemPlan::Defer(const std::string& name, int planes, int vectors) {
  MemTensor t;
  t.name = name;
  t.planes = planes;
  t.vectors = vectors;
  t.block_vectors = std::max(vectors, 1);
  tensors_.push_back(t);
  freed_.push_back(false);
  return static_cast<TensorId>(tensors_.size()) - 1;
}

void MemPlan::Realize(TensorId id, const std::vector<int>& avoid,
                      const std::vector<int>& must_avoid) {
  if (Realized(id)) return;
  const MemTensor t = tensors_[id];
  const TensorId real = Allocate(t.name, t.planes, t.vectors, avoid, must_avoid);
  tensors_[id] = tensors_[real];
  tensors_.pop_back();
  freed_.pop_back();
}

TensorId MemPlan::AllocateOn(const std::string& name, int planes, int vectors, int slice) {
  MemTensor t;
  t.name = name;
  t.planes = planes;
  t.vectors = vectors;
  t.block_vectors = std::max(vectors, 1);
  t.blocks.push_back({slice, vectors > 0 ? Take(slice, planes * vectors, planes, name) : 0});
  tensors_.push_back(t);
  freed_.push_back(false);
  return static_cast<TensorId>(tensors_.size()) - 1;
}

void MemPlan::Free(TensorId id) {
  if (freed_[id]) return;
  freed_[id] = true;
  const MemTensor& t = tensors_[id];
  if (t.vectors == 0) return;
  for (const MemTensor::Block& b : t.blocks) {  // none when never realized
    auto& list = free_[b.slice];
    Extent e{b.base, t.planes * t.block_vectors};
    auto it = std::lower_bound(list.begin(), list.end(), e,
                               [](const Extent& x, const Extent& y) { return x.base < y.base; });
    it = list.insert(it, e);
    // Merge with the neighbours.
    if (it + 1 != list.end() && it->base + it->size == (it + 1)->base) {
      it->size += (it + 1)->size;
      list.erase(it + 1);
    }
    if (it != list.begin() && (it - 1)->base + (it - 1)->size == it->base) {
      (it - 1)->size += it->size;
      list.erase(it);
    }
  }
}

void MemPlan::NoteWrite(const WordLoc& w, int64_t t) {
  Word& word = words_[w.slice][w.addr];
  word.last_write = std::max(word.last_write, t);
}

void MemPlan::NoteRead(const WordLoc& w, int64_t t) {
  Word& word = words_[w.slice][w.addr];
  word.last_read = std::max(word.last_read, t);
}

int MemPlan::TotalWordsUsed() const {
  int n = 0;
  for (int s = 0; s < config_.mem_slices; ++s) n += config_.mem_depth - FreeWords(s);
  return n;
}

}  // namespace tinylpu
