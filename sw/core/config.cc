// Core configuration: queue naming, positions and the named configurations.
#include "sw/core/config.h"

#include <fmt/format.h>

#include <charconv>

namespace tinylpu {

isa::Unit CoreConfig::QueueUnit(int q) const {
  if (q == kQueueMxmw) return isa::Unit::kMxmw;
  if (q == kQueueMxma) return isa::Unit::kMxma;
  if (q == SxmQueue()) return isa::Unit::kSxm;
  return isa::Unit::kMem;
}

int CoreConfig::QueuePosition(int q) const {
  if (q < kFirstMemQueue) return kMxmPosition;
  if (q == SxmQueue()) return kSxmPosition;
  return MemPosition(q - kFirstMemQueue);
}

std::string CoreConfig::QueueName(int q) const {
  if (q == kQueueMxmw) return "mxmw";
  if (q == kQueueMxma) return "mxma";
  if (q == SxmQueue()) return "sxm";
  return fmt::format("mem{}", q - kFirstMemQueue);
}

int CoreConfig::QueueByName(std::string_view name) const {
  if (name == "mxmw") return kQueueMxmw;
  if (name == "mxma") return kQueueMxma;
  if (name == "sxm") return SxmQueue();
  if (name.size() > 3 && name.substr(0, 3) == "mem") {
    int slice = 0;
    auto digits = name.substr(3);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), slice);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && slice < mem_slices) {
      return MemQueue(slice);
    }
  }
  return -1;
}

int CoreConfig::AddrLimit(int q) const {
  switch (QueueUnit(q)) {
    case isa::Unit::kMem:
      return mem_depth;
    case isa::Unit::kMxma:
      return acc_depth;
    default:
      return 0;
  }
}

void CoreConfig::Validate() const {
  auto check = [&](bool ok, std::string_view what) {
    if (!ok) throw Error(fmt::format("config '{}': {}", name, what));
  };
  check(lanes >= 4 && lanes % 4 == 0 && lanes <= 128, "lanes must be a multiple of 4 in 4..128");
  check(streams >= 4 && streams <= 32, "streams must be in 4..32");
  check(mem_slices >= 1 && mem_slices <= 61,
        "mem_slices must be in 1..61 (the host map has 64 queues: mxmw, mxma, MEM, sxm)");
  check(mem_depth >= 1 && mem_depth <= 8192, "mem_depth must be in 1..8192");
  check(mxm_dim >= 1 && mxm_dim <= lanes, "mxm_dim must be in 1..lanes");
  check(acc_depth >= 1 && acc_depth <= 8192, "acc_depth must be in 1..8192");
  check(queue_depth >= 1 && queue_depth <= 65536, "queue_depth must be in 1..65536");
}

std::vector<std::string> ConfigNames() {
  std::vector<std::string> names;
  for (const auto& c : isa::kConfigs) names.emplace_back(c.name);
  return names;
}

CoreConfig NamedConfig(std::string_view name) {
  for (const auto& c : isa::kConfigs) {
    if (c.name == name) {
      return CoreConfig{std::string(c.name), c.lanes,   c.streams,   c.mem_slices,
                        c.mem_depth,         c.mxm_dim, c.acc_depth, c.queue_depth};
    }
  }
  throw Error(fmt::format("unknown config '{}' (known: {})", name, fmt::join(ConfigNames(), ", ")));
}

}  // namespace tinylpu
