// Safetensors: read and write .safetensors files (F32/F16/BF16) and map them onto model weights.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sw/golden/model_config.h"
#include "sw/weights/weights.h"

namespace tinylpu {

enum class StDtype { kF32, kF16, kBF16 };
std::string_view StDtypeName(StDtype dtype);  // "F32", "F16", "BF16"
int StDtypeBytes(StDtype dtype);

// One tensor of a file: name, dtype, shape and its values widened to float.
struct StTensor {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major, product(shape) values
};

// A parsed .safetensors file. Open() reads and checks the whole header: an 8-byte little-endian
// header length N, N bytes of JSON mapping names to {"dtype", "shape", "data_offsets"}
// (offsets relative to the byte after the header, within the file, non-overlapping, matching
// dtype x shape) and an optional "__metadata__" object. Every problem throws Error naming the
// file, the tensor and what is wrong.
class SafetensorsFile {
 public:
  static SafetensorsFile Open(const std::string& path);

  const std::string& path() const { return path_; }
  std::vector<std::string> Names() const;  // sorted
  bool Has(const std::string& name) const { return entries_.count(name) != 0; }
  // Reads one tensor; throws Error when it is missing.
  StTensor Read(const std::string& name) const;

 private:
  struct Entry {
    StDtype dtype;
    std::vector<int64_t> shape;
    uint64_t begin;  // absolute file offsets
    uint64_t end;
  };
  std::string path_;
  std::map<std::string, Entry> entries_;
};

// Writes tensors (values converted to each tensor's dtype, round to nearest even) in the order
// given. Throws Error when the file cannot be written or a tensor's values do not fit its shape.
void WriteSafetensors(const std::string& path, const std::vector<StTensor>& tensors);

// Loads a model's float weights by the names of WeightSpecs (docs/numerics.md): matrices are
// [out][in] in the file (PyTorch nn.Linear) and transposed on load. Tensors the model does not
// use are ignored; a missing tensor or a wrong shape throws Error.
FloatWeights LoadSafetensorsWeights(const std::string& path, const ModelConfig& config);
// Writes a model's weights under the same names and layout.
void SaveSafetensorsWeights(const std::string& path, const ModelConfig& config,
                            const FloatWeights& weights, StDtype dtype = StDtype::kF32);

// IEEE half and bfloat16 conversions (round to nearest even; NaN stays NaN).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);

}  // namespace tinylpu
