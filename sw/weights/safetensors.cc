// Safetensors: header parsing and checks, tensor decoding, writing, and the model-weight mapping.
#include "sw/weights/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // a header above 100 MiB is rejected
constexpr int64_t kMaxElements = int64_t{1} << 40;

std::string ShapeString(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

[[noreturn]] void FileError(const std::string& path, const std::string& what) {
  throw Error(fmt::format("{}: {}", path, what));
}

[[noreturn]] void TensorError(const std::string& path, const std::string& name,
                              const std::string& what) {
  throw Error(fmt::format("{}: tensor '{}': {}", path, name, what));
}

bool ParseDtype(const std::string& s, StDtype* dtype) {
  if (s == "F32") {
    *dtype = StDtype::kF32;
  } else if (s == "F16") {
    *dtype = StDtype::kF16;
  } else if (s == "BF16") {
    *dtype = StDtype::kBF16;
  } else {
    return false;
  }
  return true;
}

uint64_t ReadU64Le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int64_t Product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

std::string_view StDtypeName(StDtype dtype) {
  switch (dtype) {
    case StDtype::kF32:
      return "F32";
    case StDtype::kF16:
      return "F16";
    case StDtype::kBF16:
      return "BF16";
  }
  return "?";
}

int StDtypeBytes(StDtype dtype) { return dtype == StDtype::kF32 ? 4 : 2; }

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal half: normalise
    int e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t FloatToHalf(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return sign | 0x7E00u;   // NaN
  if (abs >= 0x477FF000u) return sign | 0x7C00u;  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                        // below the smallest normal half
    // Value = abs_f; subnormal half unit is 2^-24. Round to nearest even in float arithmetic,
    // exact because the scaled value has few bits.
    const float scaled = std::bit_cast<float>(abs) * 0x1.0p24f;
    const float r = std::nearbyint(scaled);  // default rounding: ties to even
    return sign | static_cast<uint16_t>(r);
  }
  // Normal: rebias and round the 13 dropped mantissa bits to nearest even.
  uint32_t h = ((abs >> 13) - (112u << 10));
  const uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

float BFloat16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t FloatToBFloat16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  const uint32_t rounded = x + 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

SafetensorsFile SafetensorsFile::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) FileError(path, "cannot open the file");
  const auto file_size = static_cast<uint64_t>(in.tellg());
  if (file_size < 8) {
    FileError(path, fmt::format("truncated: {} bytes, a safetensors file starts with an 8-byte "
                                "header length",
                                file_size));
  }
  in.seekg(0);
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  const uint64_t header_len = ReadU64Le(len_bytes);
  if (header_len > kMaxHeaderBytes) {
    FileError(path, fmt::format("header length {} exceeds the limit of {} bytes", header_len,
                                kMaxHeaderBytes));
  }
  if (header_len > file_size - 8) {
    FileError(path, fmt::format("truncated: header length {} but only {} bytes follow it",
                                header_len, file_size - 8));
  }
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) FileError(path, "cannot read the header");
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;

  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    FileError(path, fmt::format("bad header JSON: {}", e.what()));
  }
  if (!j.is_object()) FileError(path, "bad header JSON: the header is not a JSON object");

  SafetensorsFile file;
  file.path_ = path;
  for (const auto& [name, v] : j.items()) {
    if (name == "__metadata__") continue;
    if (!v.is_object()) TensorError(path, name, "header entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) {
      TensorError(path, name, "header entry has no \"dtype\" string");
    }
    Entry e{};
    const std::string dtype = v["dtype"].get<std::string>();
    if (!ParseDtype(dtype, &e.dtype)) {
      TensorError(path, name,
                  fmt::format("unsupported dtype '{}' (supported: F32, F16, BF16)", dtype));
    }
    if (!v.contains("shape") || !v["shape"].is_array()) {
      TensorError(path, name, "header entry has no \"shape\" array");
    }
    int64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) {
        TensorError(
            path, name,
            fmt::format("shape {} is not a list of non-negative integers", v["shape"].dump()));
      }
      const uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(kMaxElements) ||
          (dim != 0 && numel > kMaxElements / static_cast<int64_t>(dim))) {
        TensorError(path, name, fmt::format("shape {} is too large", v["shape"].dump()));
      }
      numel *= static_cast<int64_t>(dim);
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned()) {
      TensorError(path, name, "\"data_offsets\" is not a pair of non-negative integers");
    }
    const uint64_t begin = off[0].get<uint64_t>();
    const uint64_t end = off[1].get<uint64_t>();
    if (begin > end) {
      TensorError(path, name,
                  fmt::format("data_offsets [{}, {}] end before they begin", begin, end));
    }
    if (end > data_size) {
      TensorError(path, name,
                  fmt::format("data_offsets [{}, {}] are out of range: the data section has {} "
                              "bytes (file truncated?)",
                              begin, end, data_size));
    }
    const uint64_t need = static_cast<uint64_t>(numel) * StDtypeBytes(e.dtype);
    if (end - begin != need) {
      TensorError(path, name,
                  fmt::format("data_offsets [{}, {}] hold {} bytes but shape {} of {} needs {}",
                              begin, end, end - begin, ShapeString(e.shape), dtype, need));
    }
    e.begin = data_start + begin;
    e.end = data_start + end;
    file.entries_.emplace(name, std::move(e));
  }
  // Overlap check: sorted by start, each tensor must end before the next begins.
  std::vector<std::pair<const std::string*, const Entry*>> order;
  for (const auto& [name, e] : file.entries_) order.emplace_back(&name, &e);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second->begin != b.second->begin ? a.second->begin < b.second->begin
                                              : *a.first < *b.first;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const Entry& prev = *order[i - 1].second;
    const Entry& cur = *order[i].second;
    if (cur.begin < prev.end && cur.end > cur.begin) {
      TensorError(path, *order[i].first,
                  fmt::format("data_offsets [{}, {}] overlap tensor '{}' at [{}, {}]",
                              cur.begin - data_start, cur.end - data_start, *order[i - 1].first,
                              prev.begin - data_start, prev.end - data_start));
    }
  }
  return file;
}

std::vector<std::string> SafetensorsFile::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, e] : entries_) names.push_back(name);
  return names;
}

StTensor SafetensorsFile::Read(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) TensorError(path_, name, "missing from the file");
  const Entry& e = it->second;
  std::ifstream in(path_, std::ios::binary);
  std::vector<unsigned char> bytes(e.end - e.begin);
  in.seekg(static_cast<std::streamoff>(e.begin));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) TensorError(path_, name, "cannot read its data (file changed or truncated?)");
  StTensor t;
  t.name = name;
  t.dtype = e.dtype;
  t.shape = e.shape;
  const int width = StDtypeBytes(e.dtype);
  t.values.resize(bytes.size() / width);
  for (size_t i = 0; i < t.values.size(); ++i) {
    const unsigned char* p = bytes.data() + i * width;
    if (e.dtype == StDtype::kF32) {
      const uint32_t b = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
      t.values[i] = std::bit_cast<float>(b);
    } else {
      const auto b = static_cast<uint16_t>(p[0] | (p[1] << 8));
      t.values[i] = e.dtype == StDtype::kF16 ? HalfToFloat(b) : BFloat16ToFloat(b);
    }
  }
  return t;
}

void WriteSafetensors(const std::string& path, const std::vector<StTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::vector<unsigned char> data;
  for (const StTensor& t : tensors) {
    if (Product(t.shape) != static_cast<int64_t>(t.values.size())) {
      throw Error(fmt::format("{}: tensor '{}': {} values do not fill shape {}", path, t.name,
                              t.values.size(), ShapeString(t.shape)));
    }
    const size_t begin = data.size();
    for (float v : t.values) {
      if (t.dtype == StDtype::kF32) {
        const uint32_t b = std::bit_cast<uint32_t>(v);
        for (int k = 0; k < 4; ++k) data.push_back(static_cast<unsigned char>(b >> (8 * k)));
      } else {
        const uint16_t b = t.dtype == StDtype::kF16 ? FloatToHalf(v) : FloatToBFloat16(v);
        data.push_back(static_cast<unsigned char>(b));
        data.push_back(static_cast<unsigned char>(b >> 8));
      }
    }
    header[t.name] = {{"dtype", StDtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');  // align the data section to 8 bytes
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) FileError(path, "cannot create the file");
  unsigned char len[8];
  for (int k = 0; k < 8; ++k) len[k] = static_cast<unsigned char>(uint64_t{text.size()} >> (8 * k));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) FileError(path, "cannot write the file");
}

FloatWeights LoadSafetensorsWeights(const std::string& path, const ModelConfig& config) {
  ValidateModelConfig(config);
  const SafetensorsFile file = SafetensorsFile::Open(path);
  FloatWeights w;
  w.layers.resize(config.n_layers);
  for (const WeightSpec& s : WeightSpecs(config)) {
    if (!file.Has(s.name)) {
      TensorError(path, s.name, fmt::format("missing (model '{}' needs it)", config.name));
    }
    const StTensor t = file.Read(s.name);
    const std::vector<int64_t> want = s.CheckpointShape();
    if (t.shape != want) {
      TensorError(path, s.name,
                  fmt::format("shape {} does not match {} expected by model '{}'",
                              ShapeString(t.shape), ShapeString(want), config.name));
    }
    // Weights are quantised and run: an infinity or a NaN has no int8 value (found by the
    // safetensors fuzz target).
    for (size_t i = 0; i < t.values.size(); ++i) {
      if (!std::isfinite(t.values[i])) {
        TensorError(path, s.name,
                    fmt::format("value {} at index {} is not finite", t.values[i], i));
      }
    }
    LayerWeights& lw = w.layers[s.layer];
    if (s.is_matrix) {
      FloatTensor& m = lw.*s.matrix;
      m = FloatTensor(s.in, s.out);
      for (int o = 0; o < s.out; ++o) {
        for (int i = 0; i < s.in; ++i) m.at(i, o) = t.values[static_cast<size_t>(o) * s.in + i];
      }
    } else {
      lw.*s.vector = t.values;
    }
  }
  return w;
}

void SaveSafetensorsWeights(const std::string& path, const ModelConfig& config,
                            const FloatWeights& weights, StDtype dtype) {
  CheckWeights(config, weights);
  std::vector<StTensor> tensors;
  for (const WeightSpec& s : WeightSpecs(config)) {
    StTensor t;
    t.name = s.name;
    t.dtype = dtype;
    t.shape = s.CheckpointShape();
    const LayerWeights& lw = weights.layers[s.layer];
    if (s.is_matrix) {
      const FloatTensor& m = lw.*s.matrix;
      for (int o = 0; o < s.out; ++o) {
        for (int i = 0; i < s.in; ++i) t.values.push_back(m.at(i, o));
      }
    } else {
      t.values = lw.*s.vector;
    }
    tensors.push_back(std::move(t));
  }
  WriteSafetensors(path, tensors);
}

}  // namespace tinylpu
