// Environment knobs of the random tests (LPU_SEED, LPU_ITERS, ...), read the same way everywhere.
#pragma once

#include <cstdint>
#include <cstdlib>

namespace tinylpu {

// $name as an integer (decimal, or hex with 0x), or `fallback` when unset or empty.
inline int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 0) : fallback;
}

}  // namespace tinylpu
