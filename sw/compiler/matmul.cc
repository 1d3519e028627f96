// Matmul compiler: MEM layout, weight-stationary tiling and greedy cycle-exact scheduling.
#include "sw/compiler/matmul.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "sw/compiler/schedule.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {
namespace {

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

// Per-slice bump allocator for MEM words.
class MemAllocator {
 public:
  explicit MemAllocator(const CoreConfig& config) : config_(config), used_(config.mem_slices, 0) {}

  // Spreads `words` round robin over `slices`.
  TensorLayout RoundRobin(std::string_view name, const std::vector<int>& slices, int words) {
    TensorLayout layout;
    for (int i = 0; i < words; ++i) {
      layout.words.push_back(Take(name, slices[i % slices.size()]));
    }
    return layout;
  }

  // Groups of `group` words, each group on `group` different slices, chosen greedily among the
  // slices with the most free words (so tensors that filled some slices are worked around).
  TensorLayout Grouped(std::string_view name, int groups, int group) {
    TensorLayout layout;
    std::vector<int> order(config_.mem_slices);
    for (int g = 0; g < groups; ++g) {
      for (int s = 0; s < config_.mem_slices; ++s) order[s] = (g * group + s) % config_.mem_slices;
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return used_[a] < used_[b]; });
      for (int b = 0; b < group; ++b) layout.words.push_back(Take(name, order[b]));
    }
    return layout;
  }

 private:
  WordLoc Take(std::string_view name, int slice) {
    if (used_[slice] >= config_.mem_depth) {
      int total = 0;
      for (int u : used_) total += u;
      throw Error(fmt::format(
          "MEM capacity exceeded: {} does not fit; MEM slice {} is full and config '{}' has {} "
          "slices of {} words ({} used)",
          name, slice, config_.name, config_.mem_slices, config_.mem_depth, total));
    }
    return WordLoc{slice, used_[slice]++};
  }

  const CoreConfig& config_;
  std::vector<int> used_;
};

std::vector<int> SliceRange(int first, int count) {
  std::vector<int> slices(count);
  for (int i = 0; i < count; ++i) slices[i] = first + i;
  return slices;
}

class MatmulScheduler {
 public:
  explicit MatmulScheduler(MatmulPlan& plan) : plan_(plan), sched_(plan.config) {}

  void Run() {
    const CoreConfig& c = plan_.config;
    for (int m0 = 0; m0 < plan_.shape.m; m0 += c.acc_depth) {
      int rows = std::min(c.acc_depth, plan_.shape.m - m0);
      for (int nt = 0; nt < plan_.tiles_n; ++nt) {
        for (int kt = 0; kt < plan_.tiles_k; ++kt) {
          LoadWeights(kt, nt);
          for (int m = 0; m < rows; ++m) Activate(m0 + m, kt, m);
        }
        for (int m = 0; m < rows; ++m) Drain(m0 + m, nt, m);
      }
    }
    plan_.program = sched_.Finish();
    plan_.predicted_cycles = plan_.program.PredictedCycles();
    plan_.abc_count = sched_.CountOp(isa::Op::kAbc);
  }

 private:
  // READ a word on its slice so that it arrives at the MXM for a consumer issued at
  // `consumer_t` with stream_in latency `lat_in`. Returns the stream used, or -1 when the
  // slice or every stream is busy for that cycle.
  int TryFeedMxm(const WordLoc& loc, int64_t consumer_t, int lat_in) {
    const int pos = CoreConfig::MemPosition(loc.slice);
    const int q = CoreConfig::MemQueue(loc.slice);
    int64_t t_read =
        consumer_t + lat_in - isa::kLatReadStreamOut - (pos - CoreConfig::kMxmPosition);
    if (t_read < sched_.NextFree(q)) return -1;
    Transfer tr{Dir::kWest, 0, 1, pos, t_read + isa::kLatReadStreamOut, CoreConfig::kMxmPosition};
    int stream = sched_.FindStream(tr);
    if (stream < 0) return -1;
    tr.stream = stream;
    sched_.ReserveStream(tr);
    sched_.Place(q, t_read,
                 Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(loc.addr), stream, Dir::kWest));
    return stream;
  }

  void LoadWeights(int kt, int nt) {
    const int mxmw = CoreConfig::kQueueMxmw;
    if (plan_.w_layout == WeightLayout::kTokenMajor) {
      LoadTransposedWeights(kt, nt);
    } else {
      for (int r = 0; r < plan_.config.mxm_dim; ++r) {
        for (int64_t t = sched_.NextFree(mxmw);; ++t) {
          int stream = TryFeedMxm(plan_.WWord(kt, nt, r), t, isa::kLatLwStreamIn);
          if (stream < 0) continue;
          sched_.Place(mxmw, t, Instr::Stream(isa::Op::kLw, stream, Dir::kWest));
          break;
        }
      }
    }
    // The new weights may replace the active ones only after the last ABC that uses them.
    install_cycle_ = std::max(sched_.NextFree(mxmw), last_abc_ + 1);
    sched_.Place(mxmw, install_cycle_, Instr{.op = isa::Op::kIw});
  }

  // Tile (kt, nt) stored one column of W per word: its D words are READ westward so that word j
  // reaches the SXM in cycle tx+1+j, a TRANSPOSE issued in tx turns them into the rows of W,
  // driven westward in tx+L+1+r (L = lanes), and LW r samples row r at the MXM one hop on.
  // Only the first D captured words matter (lanes >= MxmDim never enter the array), but all L
  // output columns are driven, so all L are reserved on the way to the MXM.
  void LoadTransposedWeights(int kt, int nt) {
    const CoreConfig& c = plan_.config;
    const int mxmw = CoreConfig::kQueueMxmw;
    const int sxm = c.SxmQueue();
    const int dim = c.mxm_dim;
    const int sxm_pos = CoreConfig::SxmPosition();
    const int hop_out = sxm_pos - CoreConfig::MxmPosition();
    int64_t tx = std::max(sched_.NextFree(sxm), next_transpose_);
    // The first LW, at tx + L + 1 + hop_out - 1, may not come before the mxmw queue is free.
    tx = std::max(tx, sched_.NextFree(mxmw) - c.TransposeLatency() - hop_out + isa::kLatLwStreamIn);
    for (;; ++tx) {
      // READ of word j: its value must be present at the SXM in tx + stream_in + j.
      std::vector<int64_t> t_read(dim);
      bool slices_free = true;
      for (int j = 0; j < dim; ++j) {
        const WordLoc loc = plan_.WWord(kt, nt, j);
        t_read[j] = tx + isa::kLatTransposeStreamIn + j - isa::kLatReadStreamOut -
                    (CoreConfig::MemPosition(loc.slice) - sxm_pos);
        slices_free = slices_free && t_read[j] >= sched_.NextFree(CoreConfig::MemQueue(loc.slice));
      }
      if (!slices_free) continue;
      auto in_transfer = [&](int j, int stream) {
        return Transfer{Dir::kWest,
                        stream,
                        1,
                        CoreConfig::MemPosition(plan_.WWord(kt, nt, j).slice),
                        t_read[j] + isa::kLatReadStreamOut,
                        sxm_pos};
      };
      auto out_transfer = [&](int r, int stream) {
        return Transfer{Dir::kWest,
                        stream,
                        1,
                        sxm_pos,
                        tx + c.TransposeLatency() + r,
                        CoreConfig::MxmPosition()};
      };
      const int in_stream = FindStreamForAll(dim, in_transfer);
      const int out_stream = FindStreamForAll(c.lanes, out_transfer);
      if (in_stream < 0 || out_stream < 0) continue;
      for (int j = 0; j < dim; ++j) {
        sched_.ReserveStream(in_transfer(j, in_stream));
        const WordLoc loc = plan_.WWord(kt, nt, j);
        sched_.Place(CoreConfig::MemQueue(loc.slice), t_read[j],
                     Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(loc.addr),
                                 static_cast<uint32_t>(in_stream), Dir::kWest));
      }
      for (int r = 0; r < c.lanes; ++r) sched_.ReserveStream(out_transfer(r, out_stream));
      sched_.Place(sxm, tx,
                   Instr::Transpose(static_cast<uint32_t>(in_stream), Dir::kWest,
                                    static_cast<uint32_t>(out_stream), Dir::kWest));
      for (int r = 0; r < dim; ++r) {
        sched_.Place(mxmw, tx + c.TransposeLatency() + r + hop_out - isa::kLatLwStreamIn,
                     Instr::Stream(isa::Op::kLw, static_cast<uint32_t>(out_stream), Dir::kWest));
      }
      // The next TRANSPOSE may reach the SXM once this one has captured its L vectors.
      next_transpose_ = tx + c.lanes;
      return;
    }
  }

  // The lowest stream free for every transfer(i, stream), i < count; -1 when none is.
  template <typename MakeTransfer>
  int FindStreamForAll(int count, MakeTransfer transfer) const {
    for (int s = 0; s < plan_.config.streams; ++s) {
      bool free = true;
      for (int i = 0; i < count && free; ++i) free = sched_.StreamFree(transfer(i, s));
      if (free) return s;
    }
    return -1;
  }

  void Activate(int m, int kt, int acc) {
    const int mxma = CoreConfig::kQueueMxma;
    for (int64_t t = std::max(sched_.NextFree(mxma), install_cycle_);; ++t) {
      int stream = TryFeedMxm(plan_.XWord(m, kt), t, isa::kLatAbcStreamIn);
      if (stream < 0) continue;
      sched_.Place(mxma, t,
                   Instr::Addr(isa::Op::kAbc, static_cast<uint32_t>(acc), stream, Dir::kWest,
                               /*flag=*/kt > 0));
      last_abc_ = t;
      acc_ready_[acc] = t + isa::kLatAbcAccWrite;
      break;
    }
  }

  void Drain(int m, int nt, int acc) {
    const int mxma = CoreConfig::kQueueMxma;
    WordLoc planes[4];
    int last_pos = 0;
    for (int b = 0; b < 4; ++b) {
      planes[b] = plan_.YWord(m, nt, b);
      last_pos = std::max(last_pos, CoreConfig::MemPosition(planes[b].slice));
    }
    for (int64_t t = std::max(sched_.NextFree(mxma), acc_ready_[acc]);; ++t) {
      const int64_t drive = t + isa::kLatAccStreamOut;
      bool slices_free = true;
      for (const WordLoc& loc : planes) {
        int64_t t_write = drive + CoreConfig::MemPosition(loc.slice) - isa::kLatWriteStreamIn;
        slices_free = slices_free && t_write >= sched_.NextFree(CoreConfig::MemQueue(loc.slice));
      }
      if (!slices_free) continue;
      Transfer tr{Dir::kEast, 0, 4, CoreConfig::kMxmPosition, drive, last_pos};
      int group = sched_.FindStream(tr);
      if (group < 0) continue;
      tr.stream = group;
      sched_.ReserveStream(tr);
      sched_.Place(mxma, t,
                   Instr::Addr(isa::Op::kAcc, static_cast<uint32_t>(acc), group, Dir::kEast));
      for (int b = 0; b < 4; ++b) {
        const WordLoc& loc = planes[b];
        int64_t t_write = drive + CoreConfig::MemPosition(loc.slice) - isa::kLatWriteStreamIn;
        sched_.Place(
            CoreConfig::MemQueue(loc.slice), t_write,
            Instr::Addr(isa::Op::kWrite, static_cast<uint32_t>(loc.addr), group + b, Dir::kEast));
      }
      break;
    }
  }

  MatmulPlan& plan_;
  Schedule sched_;
  int64_t last_abc_ = -1;
  int64_t install_cycle_ = 0;
  int64_t next_transpose_ = 0;  // earliest issue cycle of the next TRANSPOSE
  std::vector<int64_t> acc_ready_ = std::vector<int64_t>(plan_.config.acc_depth, 0);
};

}  // namespace

MatmulPlan CompileMatmul(const CoreConfig& config, const MatmulShape& shape,
                         const MatmulOptions& options) {
  config.Validate();
  if (shape.m < 1 || shape.k < 1 || shape.n < 1) {
    throw Error(fmt::format("matmul shape {}x{}x{}: every dimension must be at least 1", shape.m,
                            shape.k, shape.n));
  }
  if (config.mem_slices < 4) {
    throw Error(fmt::format(
        "config '{}' has {} MEM slices; the matmul needs at least 4 (the four byte planes of an "
        "int32 result row are written by four slices in the same cycle)",
        config.name, config.mem_slices));
  }
  MatmulPlan plan;
  plan.config = config;
  plan.shape = shape;
  plan.w_layout = options.w_layout;
  plan.tiles_k = CeilDiv(shape.k, config.mxm_dim);
  plan.tiles_n = CeilDiv(shape.n, config.mxm_dim);

  // X and W each get the fewest leading slices that hold them (one slice each feeds the MXM
  // at one word per cycle); the four byte planes of each Y row go to four slices with the most
  // room, so a row's planes can all be written in the cycle they pass.
  MemAllocator alloc(config);
  const int x_words = shape.m * plan.tiles_k;
  const int w_words = plan.tiles_k * plan.tiles_n * config.mxm_dim;
  const int x_slices = std::max(1, CeilDiv(x_words, config.mem_depth));
  const int w_slices = std::max(1, CeilDiv(w_words, config.mem_depth));
  if (x_slices + w_slices > config.mem_slices) {
    throw Error(fmt::format(
        "MEM capacity exceeded: X needs {} words and W {} words ({} + {} slices of {} words), "
        "but config '{}' has {} MEM slices",
        x_words, w_words, x_slices, w_slices, config.mem_depth, config.name, config.mem_slices));
  }
  plan.x = alloc.RoundRobin("X", SliceRange(0, x_slices), x_words);
  plan.w = alloc.RoundRobin("W", SliceRange(x_slices, w_slices), w_words);
  plan.y = alloc.Grouped("Y", shape.m * plan.tiles_n, 4);

  MatmulScheduler(plan).Run();
  plan.program.CheckFits(config);
  return plan;
}

std::vector<MemWord> PackMatmulInputs(const MatmulPlan& plan, const std::vector<int8_t>& x,
                                      const std::vector<int8_t>& w) {
  const MatmulShape& s = plan.shape;
  const int dim = plan.config.mxm_dim;
  const int lanes = plan.config.lanes;
  if (x.size() != static_cast<size_t>(s.m) * s.k || w.size() != static_cast<size_t>(s.k) * s.n) {
    throw Error(fmt::format("matmul operands have {} and {} elements; {}x{}x{} needs {} and {}",
                            x.size(), w.size(), s.m, s.k, s.n, s.m * s.k, s.k * s.n));
  }
  std::vector<MemWord> words;
  for (int m = 0; m < s.m; ++m) {
    for (int kt = 0; kt < plan.tiles_k; ++kt) {
      MemWord word{plan.XWord(m, kt), std::vector<uint8_t>(lanes, 0)};
      for (int k = 0; k < dim && kt * dim + k < s.k; ++k) {
        word.lanes[k] = static_cast<uint8_t>(x[static_cast<size_t>(m) * s.k + kt * dim + k]);
      }
      words.push_back(std::move(word));
    }
  }
  for (int kt = 0; kt < plan.tiles_k; ++kt) {
    for (int nt = 0; nt < plan.tiles_n; ++nt) {
      for (int r = 0; r < dim; ++r) {
        MemWord word{plan.WWord(kt, nt, r), std::vector<uint8_t>(lanes, 0)};
        if (plan.w_layout == WeightLayout::kTokenMajor) {
          // Column n = nt*D + r of W, lane k holding W[kt*D + k][n].
          const int n = nt * dim + r;
          for (int k = 0; k < dim && kt * dim + k < s.k && n < s.n; ++k) {
            word.lanes[k] = static_cast<uint8_t>(w[static_cast<size_t>(kt * dim + k) * s.n + n]);
          }
        } else {
          const int k = kt * dim + r;
          for (int n = 0; n < dim && k < s.k && nt * dim + n < s.n; ++n) {
            word.lanes[n] = static_cast<uint8_t>(w[static_cast<size_t>(k) * s.n + nt * dim + n]);
          }
        }
        words.push_back(std::move(word));
      }
    }
  }
  return words;
}

void LoadMatmul(HostBus& bus, const MatmulPlan& plan, const std::vector<int8_t>& x,
                const std::vector<int8_t>& w) {
  LoadProgram(bus, plan.program);
  for (const MemWord& word : PackMatmulInputs(plan, x, w)) {
    WriteMemWord(bus, word.loc.slice, word.loc.addr, word.lanes);
  }
}

std::vector<int32_t> ReadMatmulResult(HostBus& bus, const MatmulPlan& plan) {
  return UnpackMatmulOutput(
      plan, [&](const WordLoc& loc) { return ReadMemWord(bus, loc.slice, loc.addr); });
}

MatmulOperands RandomMatmulOperands(const MatmulShape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(-128, 127);
  MatmulOperands ops;
  ops.x.resize(static_cast<size_t>(shape.m) * shape.k);
  ops.w.resize(static_cast<size_t>(shape.k) * shape.n);
  for (auto& v : ops.x) v = static_cast<int8_t>(dist(rng));
  for (auto& v : ops.w) v = static_cast<int8_t>(dist(rng));
  return ops;
}

std::vector<int32_t> ReferenceMatmul(const MatmulShape& shape, const std::vector<int8_t>& x,
                                     const std::vector<int8_t>& w) {
  std::vector<int32_t> y(static_cast<size_t>(shape.m) * shape.n, 0);
  for (int m = 0; m < shape.m; ++m) {
    for (int n = 0; n < shape.n; ++n) {
      uint32_t sum = 0;  // wraps modulo 2^32 like the hardware
      for (int k = 0; k < shape.k; ++k) {
        sum += static_cast<uint32_t>(int32_t{x[static_cast<size_t>(m) * shape.k + k]} *
                                     int32_t{w[static_cast<size_t>(k) * shape.n + n]});
      }
      y[static_cast<size_t>(m) * shape.n + n] = static_cast<int32_t>(sum);
    }
  }
  return y;
}

}  // namespace tinylpu
