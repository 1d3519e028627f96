// MEM plan: vector tensors laid out over MEM slices, their allocation and per-word hazards.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sw/core/config.h"

namespace tinylpu {

// Where one MEM word lives.
struct WordLoc {
  int slice = 0;
  int addr = 0;
  friend bool operator==(const WordLoc&, const WordLoc&) = default;
};

// The contents of one MEM word, as the host writes it.
struct MemWord {
  WordLoc loc;
  std::vector<uint8_t> lanes;
};

// A tensor of `vectors` lane vectors in MEM. A value of `planes` bytes per lane (1 for int8, 4
// for int32 and fp32) is stored as byte planes in consecutive words: plane p of vector v is word
// base + planes * v + p, so a READ or WRITE `quad` moves a 32-bit vector in one instruction (base
// is then a multiple of 4) and consecutive vectors are evenly strided (REPEAT with stride
// `planes`). A tensor too large for one slice is cut into blocks of `block_vectors` vectors,
// block b on slice blocks[b].
struct MemTensor {
  struct Block {
    int slice = 0;
    int base = 0;
  };
  std::string name;
  int planes = 1;
  int vectors = 0;
  int block_vectors = 0;
  std::vector<Block> blocks;

  WordLoc Loc(int plane, int v) const {
    const Block& b = blocks[static_cast<size_t>(v / block_vectors)];
    return WordLoc{b.slice, b.base + planes * (v % block_vectors) + plane};
  }
  // The first word of vector v (a quad's address when planes == 4).
  WordLoc Vector(int v) const { return Loc(0, v); }
  // The slice of vector v, and of the tensor's first block.
  int SliceOf(int v) const { return Loc(0, v).slice; }
  int slice() const { return blocks.front().slice; }
  bool OnSlice(int s) const {
    for (const Block& b : blocks) {
      if (b.slice == s) return true;
    }
    return false;
  }
};
using TensorId = int;

// Vector index of a source or destination as a function of the iteration number v:
// add + ((v / div) % mod) * mul + ((v / div2) % mod2) * mul2, clamped to [lo, hi].
struct IndexMap {
  static constexpr int kNoMod = std::numeric_limits<int>::max();
  int add = 0;
  int div = 1, mod = kNoMod, mul = 1;
  int div2 = 1, mod2 = kNoMod, mul2 = 0;
  int lo = std::numeric_limits<int>::min();
  int hi = std::numeric_limits<int>::max();

  int operator()(int v) const {
    const int x = add + (v / div) % mod * mul + (v / div2) % mod2 * mul2;
    return x < lo ? lo : (x > hi ? hi : x);
  }

  static IndexMap Identity(int offset = 0) { return IndexMap{.add = offset}; }
  static IndexMap Constant(int vector) { return IndexMap{.add = vector, .mul = 0}; }
  // v / n: one vector per group of n iterations (a row value reused by the row's n tiles).
  static IndexMap Every(int n, int offset = 0) { return IndexMap{.add = offset, .div = n}; }
  // v % n: the same n vectors for every group (per-column constants of a row of n tiles).
  static IndexMap Cyclic(int n, int offset = 0) { return IndexMap{.add = offset, .mod = n}; }
};

// MEM words of every slice: bump allocation of persistent regions, a free list for
// temporaries, and for each word the last cycles it was written and read (so a READ is placed
// after the WRITE that produced its value and a WRITE after the READs of the old value).
class MemPlan {
 public:
  explicit MemPlan(const CoreConfig& config);

  const CoreConfig& config() const { return config_; }

  // A tensor of `vectors` vectors of `planes` planes (1 or 4), on the slices in turn (skipping
  // those in `avoid` while others have room); one too large for any slice's free space is cut
  // into blocks on several slices. Throws Error naming the tensor
  // and the capacity when MEM is full.
  // Slices in `must_avoid` are never used (Error when nothing else has room).
  TensorId Allocate(const std::string& name, int planes, int vectors,
                    const std::vector<int>& avoid = {}, const std::vector<int>& must_avoid = {});
  // The same on a given slice.
  TensorId AllocateOn(const std::string& name, int planes, int vectors, int slice);
  // A tensor whose words are chosen later, by Realize, when the first work writing it is
  // placed and knows which slices that work reads (so the two need not share a slice).
  TensorId Defer(const std::string& name, int planes, int vectors);
  bool Realized(TensorId id) const { return !tensors_[id].blocks.empty(); }
  void Realize(TensorId id, const std::vector<int>& avoid,
               const std::vector<int>& must_avoid = {});
  // Returns a temporary's words to the free list (their hazard history is kept).
  void Free(TensorId id);

  const MemTensor& tensor(TensorId id) const { return tensors_[id]; }
  int num_tensors() const { return static_cast<int>(tensors_.size()); }

  // Hazards of one word.
  int64_t last_write(const WordLoc& w) const { return words_[w.slice][w.addr].last_write; }
  int64_t last_read(const WordLoc& w) const { return words_[w.slice][w.addr].last_read; }
  void NoteWrite(const WordLoc& w, int64_t t);
  void NoteRead(const WordLoc& w, int64_t t);

  // Words in use on each slice (high-water mark of the allocations).
  int WordsUsed(int slice) const { return high_water_[slice]; }
  int TotalWordsUsed() const;

 private:
  struct Word {
    int64_t last_write = -1;
    int64_t last_read = -1;
  };
  struct Extent {
    int base = 0;
    int size = 0;
  };
  // The first free extent of at least `size` words on `slice` starting at a multiple of
  // `align` (when aligned), or -1.
  int FindExtent(int slice, int size, int align) const;
  int Take(int slice, int size, int align, const std::string& name);
  int FreeWords(int slice) const;

  CoreConfig config_;
  std::vector<MemTensor> tensors_;
  std::vector<bool> freed_;
  std::vector<std::vector<Extent>> free_;  // per slice, sorted by base
  std::vector<int> high_water_;
  int next_slice_ = 0;
  std::vector<std::vector<Word>> words_;
};

}  // namespace tinylpu
