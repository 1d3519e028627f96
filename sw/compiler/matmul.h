// Matmul compiler: Y[M][N] = X[M][K] * W[K][N] (int8 in, int32 out) as a static schedule.
#pragma once

#include <cstdint>
#include <vector>

#include "sw/compiler/mem_plan.h"
#include "sw/core/config.h"
#include "sw/core/host_bus.h"
#include "sw/core/program.h"

namespace tinylpu {

struct MatmulShape {
  int m = 0;
  int k = 0;
  int n = 0;
};

// How W sits in MEM.
enum class WeightLayout {
  // One word per row of W (input index k), as LW takes it: the MEM words go straight to the MXM.
  kRowMajor,
  // One word per column of W (output index n): W^T row by row, as a K matrix is kept one token
  // per word. The SXM transposes each tile on its way from MEM to the MXM (TRANSPOSE -> LW).
  kTokenMajor,
};

struct MatmulOptions {
  WeightLayout w_layout = WeightLayout::kRowMajor;
};

// Where each word of a tensor lives.
struct TensorLayout {
  std::vector<WordLoc> words;
  WordLoc Loc(int word) const { return words[word]; }
};

// The compiled matmul: the program, where every tensor lives and what the run will take.
struct MatmulPlan {
  CoreConfig config;
  MatmulShape shape;
  WeightLayout w_layout = WeightLayout::kRowMajor;
  int tiles_k = 0;  // ceil(K / MxmDim)
  int tiles_n = 0;  // ceil(N / MxmDim)
  // X word (m, kt): lane k holds X[m][kt*D + k]. W word (kt, nt, r): lane n holds
  // W[kt*D + r][nt*D + n] (kRowMajor), or lane k holds W[kt*D + k][nt*D + r] (kTokenMajor).
  // Y word (m, nt, b): lane n holds byte b of Y[m][nt*D + n].
  TensorLayout x, w, y;
  Program program;
  int64_t predicted_cycles = 0;
  int64_t abc_count = 0;  // cycles in which the MXM array multiplies

  WordLoc XWord(int m, int kt) const { return x.Loc(m * tiles_k + kt); }
  WordLoc WWord(int kt, int nt, int r) const {
    return w.Loc((kt * tiles_n + nt) * config.mxm_dim + r);
  }
  WordLoc YWord(int m, int nt, int b) const { return y.Loc((m * tiles_n + nt) * 4 + b); }
  // ABC cycles over all cycles.
  double MxmUtilization() const {
    return predicted_cycles == 0 ? 0.0 : static_cast<double>(abc_count) / predicted_cycles;
  }
};

// Compiles the matmul. Throws Error naming the limit when the shape cannot be mapped (MEM
// capacity, queue depth, too few MEM slices, non-positive dimensions).
MatmulPlan CompileMatmul(const CoreConfig& config, const MatmulShape& shape,
                         const MatmulOptions& options = {});

// Host-side packing of the operands into MEM words and unpacking of the result.
// x is M*K row-major int8, w is K*N row-major int8 (whatever the plan's layout in MEM), y is M*N
// row-major int32.
std::vector<MemWord> PackMatmulInputs(const MatmulPlan& plan, const std::vector<int8_t>& x,
                                      const std::vector<int8_t>& w);
// `read_word` returns the lanes of the MEM word at a location.
template <typename ReadWord>
std::vector<int32_t> UnpackMatmulOutput(const MatmulPlan& plan, ReadWord read_word);

// Random int8 operands, uniform in -128..127, X then W from one std::mt19937_64 stream: the
// same seed gives the same operands in the CLI, the tests and the benchmarks (for replay).
struct MatmulOperands {
  std::vector<int8_t> x;  // M*K row-major
  std::vector<int8_t> w;  // K*N row-major
};
MatmulOperands RandomMatmulOperands(const MatmulShape& shape, uint64_t seed);

// Loads the plan's program and the packed operands into a core through its host port, and
// reads Y back after the run.
void LoadMatmul(HostBus& bus, const MatmulPlan& plan, const std::vector<int8_t>& x,
                const std::vector<int8_t>& w);
std::vector<int32_t> ReadMatmulResult(HostBus& bus, const MatmulPlan& plan);

// Reference result computed on the host (int32 wrapping sums).
std::vector<int32_t> ReferenceMatmul(const MatmulShape& shape, const std::vector<int8_t>& x,
                                     const std::vector<int8_t>& w);

template <typename ReadWord>
std::vector<int32_t> UnpackMatmulOutput(const MatmulPlan& plan, ReadWord read_word) {
  const MatmulShape& s = plan.shape;
  const int dim = plan.config.mxm_dim;
  std::vector<uint32_t> y(static_cast<size_t>(s.m) * s.n, 0);
  for (int m = 0; m < s.m; ++m) {
    for (int nt = 0; nt < plan.tiles_n; ++nt) {
      for (int b = 0; b < 4; ++b) {
        std::vector<uint8_t> lanes = read_word(plan.YWord(m, nt, b));
        for (int n = 0; n < dim && nt * dim + n < s.n; ++n) {
          y[static_cast<size_t>(m) * s.n + nt * dim + n] |= uint32_t{lanes[n]} << (8 * b);
        }
      }
    }
  }
  return std::vector<int32_t>(y.begin(), y.end());
}

}  // namespace tinylpu
