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

int MemPlan::FindExtent(int slice, int size) const {
  // Next fit: the first extent at or after the slice's high-water mark, else the first one
  // from the bottom, so that freed temporaries rest while fresh words remain.
  const auto& list = free_[slice];
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].size >= size && list[i].base + list[i].size > high_water_[slice]) {
      return static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].size >= size) return static_cast<int>(i);
  }
  return -1;
}

int MemPlan::Take(int slice, int size, const std::string& name) {
  const int i = FindExtent(slice, size);
  if (i < 0) {
    throw Error(fmt::format(
        "MEM capacity exceeded: tensor '{}' needs {} free consecutive words on MEM slice {}, which "
        "has {} free of {} (config '{}': {} slices of {} words, {} words in use)",
        name, size, slice, FreeWords(slice), config_.mem_depth, config_.name, config_.mem_slices,
        config_.mem_depth, TotalWordsUsed()));
  }
  Extent& e = free_[slice][i];
  // Inside the extent, start at the high-water mark when it lies within (next fit).
  int base = e.base;
  if (high_water_[slice] > e.base && high_water_[slice] + size <= e.base + e.size) {
    base = high_water_[slice];
  }
  const Extent before{e.base, base - e.base};
  const Extent after{base + size, e.base + e.size - base - size};
  free_[slice].erase(free_[slice].begin() + i);
  if (after.size > 0) free_[slice].insert(free_[slice].begin() + i, after);
  if (before.size > 0) free_[slice].insert(free_[slice].begin() + i, before);
  high_water_[slice] = std::max(high_water_[slice], base + size);
  return base;
}

TensorId MemPlan::Allocate(const std::string& name, int planes, int vectors,
                           const std::vector<int>& avoid) {
  if (planes > config_.mem_slices) {
    throw Error(fmt::format("tensor '{}' has {} byte planes, but config '{}' has only {} MEM slices",
                            name, planes, config_.name, config_.mem_slices));
  }
  std::vector<int> order(config_.mem_slices);
  std::iota(order.begin(), order.end(), 0);
  auto avoided = [&](int s) { return std::find(avoid.begin(), avoid.end(), s) != avoid.end(); };
  std::vector<int> free_words(config_.mem_slices);
  for (int s = 0; s < config_.mem_slices; ++s) free_words[s] = FreeWords(s);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (avoided(a) != avoided(b)) return !avoided(a);
    return free_words[a] > free_words[b];
  });
  std::vector<int> slices(order.begin(), order.begin() + planes);
  std::sort(slices.begin(), slices.end());
  return AllocateOn(name, vectors, slices);
}

TensorId MemPlan::AllocateOn(const std::string& name, int vectors,
                             const std::vector<int>& slices) {
  MemTensor t;
  t.name = name;
  t.planes = static_cast<int>(slices.size());
  t.vectors = vectors;
  for (int p = 0; p < t.planes; ++p) {
    t.slice[p] = slices[p];
    t.base[p] = vectors > 0 ? Take(slices[p], vectors, name) : 0;
  }
  tensors_.push_back(t);
  freed_.push_back(false);
  return static_cast<TensorId>(tensors_.size()) - 1;
}

void MemPlan::Free(TensorId id) {
  if (freed_[id]) return;
  freed_[id] = true;
  const MemTensor& t = tensors_[id];
  if (t.vectors == 0) return;
  for (int p = 0; p < t.planes; ++p) {
    auto& list = free_[t.slice[p]];
    Extent e{t.base[p], t.vectors};
    auto it = std::lower_bound(list.begin(), list.end(), e,
                               [](const Extent& a, const Extent& b) { return a.base < b.base; });
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
