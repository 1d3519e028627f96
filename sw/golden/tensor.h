// Tensor: a dense row-major matrix of int8, int32 or fp32 values for the golden models and weights.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tinylpu {

// A rows x cols matrix stored row-major. Activations are [tokens][features]; weights are
// [in][out] (the MXM computes Y = X * W).
template <typename T>
struct Tensor {
  int rows = 0;
  int cols = 0;
  std::vector<T> data;

  Tensor() = default;
  Tensor(int r, int c, T fill = T{})
      : rows(r), cols(c), data(static_cast<size_t>(r) * static_cast<size_t>(c), fill) {}

  T& at(int r, int c) {
    assert(r >= 0 && r < rows && c >= 0 && c < cols);
    return data[static_cast<size_t>(r) * cols + c];
  }
  const T& at(int r, int c) const {
    assert(r >= 0 && r < rows && c >= 0 && c < cols);
    return data[static_cast<size_t>(r) * cols + c];
  }
  T* row(int r) { return data.data() + static_cast<size_t>(r) * cols; }
  const T* row(int r) const { return data.data() + static_cast<size_t>(r) * cols; }
  bool empty() const { return data.empty(); }
  size_t size() const { return data.size(); }

  // Rows [begin, end) as a new tensor.
  Tensor Rows(int begin, int end) const {
    Tensor out(end - begin, cols);
    for (int r = begin; r < end; ++r) {
      for (int c = 0; c < cols; ++c) out.at(r - begin, c) = at(r, c);
    }
    return out;
  }
  // Appends the rows of `other` (same number of columns, or this tensor is empty).
  void AppendRows(const Tensor& other) {
    assert(empty() || cols == other.cols);
    if (rows == 0) cols = other.cols;
    data.insert(data.end(), other.data.begin(), other.data.end());
    rows += other.rows;
  }

  bool operator==(const Tensor&) const = default;
};

using Int8Tensor = Tensor<int8_t>;
using Int32Tensor = Tensor<int32_t>;
using FloatTensor = Tensor<float>;

}  // namespace tinylpu
