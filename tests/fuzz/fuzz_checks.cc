// Fuzz checks: round trips and consistency checks behind the libFuzzer targets.
#include "tests/fuzz/fuzz_checks.h"

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sw/asm/assembler.h"
#include "sw/core/config.h"
#include "sw/core/error.h"
#include "sw/core/program.h"
#include "sw/golden/model_config.h"
#include "sw/weights/safetensors.h"
#include "sw/weights/weights.h"

namespace tinylpu::fuzz {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

int AssembleRoundTrip(const std::string& text) {
  const CoreConfig config = NamedConfig("small");
  const Program program = Assemble(text, "fuzz.asm", config);
  const Program again = Assemble(Disassemble(program, config), "fuzz.asm", config);
  Check(again == program, "Assemble(Disassemble(p)) != p");
  return 0;
}

int ConfigFromBytes(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 28) {
    const CoreConfig c = NamedConfig(std::string(bytes.begin(), bytes.end()));
    c.Validate();
    return 0;
  }
  int32_t f[8];
  const size_t n = bytes.size() >= 32 ? 8 : 7;
  std::memcpy(f, bytes.data(), n * sizeof(int32_t));
  CoreConfig c{"fuzz", f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
  if (n == 8) c.vxm_alus = f[7];
  c.Validate();
  for (int q = 0; q < c.num_queues(); ++q) {
    Check(c.QueueByName(c.QueueName(q)) == q, "QueueByName(QueueName(q)) != q");
    Check(c.QueuePosition(q) >= 0 && c.QueuePosition(q) < c.num_positions(), "position range");
  }
  return 0;
}

int ImageRoundTrip(const std::vector<uint8_t>& bytes) {
  const Program p = FromBinary(bytes, "fuzz.bin");
  Check(FromBinary(ToBinary(p), "again.bin") == p, "FromBinary(ToBinary(p)) != p");
  return 0;
}

namespace {

bool SameValue(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

// A tiny model of each block type whose weights a small file can hold.
ModelConfig TinyModel(BlockType block) {
  ModelConfig m;
  m.name = block == BlockType::kDecoder ? "fuzz-decoder" : "fuzz-encoder";
  m.block = block;
  m.d_model = 4;
  m.n_heads = 2;
  m.n_kv_heads = block == BlockType::kDecoder ? 1 : 2;
  m.head_dim = 2;
  m.ffn_dim = 4;
  m.seq_len = 2;
  m.reduce_lanes = 4;
  return m;
}

}  // namespace

int SafetensorsRoundTrip(const std::vector<uint8_t>& bytes) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path =
      (dir / ("lpu_fuzz_" + std::to_string(::getpid()) + ".safetensors")).string();
  const std::string again = path + ".again";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  const SafetensorsFile file = SafetensorsFile::Open(path);
  std::vector<StTensor> tensors;
  for (const std::string& name : file.Names()) {
    StTensor t = file.Read(name);
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    Check(static_cast<int64_t>(t.values.size()) == numel, "values != product(shape)");
    tensors.push_back(std::move(t));
  }
  WriteSafetensors(again, tensors);
  const SafetensorsFile reread = SafetensorsFile::Open(again);
  Check(reread.Names() == file.Names(), "names differ after a round trip");
  for (const StTensor& t : tensors) {
    const StTensor u = reread.Read(t.name);
    Check(u.dtype == t.dtype && u.shape == t.shape && u.values.size() == t.values.size(),
          "dtype or shape differs after a round trip");
    for (size_t i = 0; i < t.values.size(); ++i) {
      Check(SameValue(u.values[i], t.values[i]), "a value differs after a round trip");
    }
  }
  for (BlockType block : {BlockType::kDecoder, BlockType::kEncoder}) {
    const ModelConfig m = TinyModel(block);
    try {
      const FloatWeights w = LoadSafetensorsWeights(path, m);
      CheckWeights(m, w);
      (void)QuantizeWeights(m, w);
    } catch (const Error&) {
      // Not this model's weights (or values it rejects): the expected answer.
    }
  }
  return 0;
}

int ModelConfigFromBytes(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 44) {
    ValidateModelConfig(BuiltinModel(std::string(bytes.begin(), bytes.end())));
    return 0;
  }
  int32_t f[9];
  float g[2];
  std::memcpy(f, bytes.data(), sizeof(f));
  std::memcpy(g, bytes.data() + sizeof(f), sizeof(g));
  ModelConfig m;
  m.name = "fuzz";
  m.block = (f[0] & 1) != 0 ? BlockType::kEncoder : BlockType::kDecoder;
  m.weight_quant = (f[0] & 2) != 0 ? WeightQuant::kPerTensor : WeightQuant::kPerChannel;
  m.d_model = f[1];
  m.n_heads = f[2];
  m.n_kv_heads = f[3];
  m.head_dim = f[4];
  m.ffn_dim = f[5];
  m.seq_len = f[6];
  m.n_layers = f[7];
  m.reduce_lanes = f[8];
  m.norm_eps = g[0];
  m.rope_base = g[1];
  ValidateModelConfig(m);
  Check(m.group_size() * m.n_kv_heads == m.n_heads, "n_kv_heads does not divide n_heads");
  Check(m.q_dim() >= 1 && m.q_dim() <= kMaxModelDim, "q_dim out of range");
  Check(m.kv_dim() >= 1 && m.kv_dim() <= m.q_dim(), "kv_dim out of range");
  const std::vector<WeightSpec> specs = WeightSpecs(m);
  Check(!specs.empty(), "no weight specs");
  for (const WeightSpec& s : specs) {
    Check(s.layer >= 0 && s.layer < m.n_layers, "weight spec layer out of range");
    Check(s.out >= 1 && s.out <= kMaxModelDim, "weight spec size out of range");
    Check(!s.is_matrix || (s.in >= 1 && s.in <= kMaxModelDim), "weight spec size out of range");
  }
  return 0;
}

}  // namespace tinylpu::fuzz
