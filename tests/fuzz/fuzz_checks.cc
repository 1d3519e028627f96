// Fuzz checks: round trips and consistency checks behind the libFuzzer targets.
#include "tests/fuzz/fuzz_checks.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sw/asm/assembler.h"
#include "sw/core/config.h"
#include "sw/core/program.h"

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
  int32_t f[7];
  std::memcpy(f, bytes.data(), sizeof(f));
  CoreConfig c{"fuzz", f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
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

}  // namespace tinylpu::fuzz
