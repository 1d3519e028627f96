// Core configuration: queue naming, positions and the named configurations.
#include "sw/core/config.h"

#include <fmt/format.h>

#include <charconv>

namespace tinylpu {

int CoreConfig::VxmAlu(int q) const {
  return q >= FirstVxmQueue() && q < num_queues() ? q - FirstVxmQueue() : -1;
}

isa::Unit CoreConfig::QueueUnit(int q) const {
  if (q == kQueueMxmw) return isa::Unit::kMxmw;
  if (q == kQueueMxma) return isa::Unit::kMxma;
  if (q == SxmQueue()) return isa::Unit::kSxm;
  if (q >= FirstVxmQueue()) return isa::Unit::kVxm;
  return isa::Unit::kMem;
}

int CoreConfig::QueuePosition(int q) const {
  if (q < kFirstMemQueue) return kMxmPosition;
  if (q == SxmQueue()) return kSxmPosition;
  if (q >= FirstVxmQueue()) return VxmPosition();
  return MemPosition(q - kFirstMemQueue);
}

std::string CoreConfig::QueueName(int q) const {
  if (q == kQueueMxmw) return "mxmw";
  if (q == kQueueMxma) return "mxma";
  if (q == SxmQueue()) return "sxm";
  if (q >= FirstVxmQueue()) return fmt::format("vxm{}", q - FirstVxmQueue());
  return fmt::format("mem{}", q - kFirstMemQueue);
}

std::string CoreConfig::PositionName(int pos) const {
  if (pos == kMxmPosition) return "MXM";
  if (pos == kSxmPosition) return "SXM";
  if (pos == VxmPosition()) return "VXM";
  return fmt::format("mem{}", pos - kFirstMemPosition);
}

int CoreConfig::QueueByName(std::string_view name) const {
  if (name == "mxmw") return kQueueMxmw;
  if (name == "mxma") return kQueueMxma;
  if (name == "sxm") return SxmQueue();
  // "mem<i>" or "vxm<k>" with a decimal index below the count.
  auto indexed = [&](std::string_view prefix, int count) {
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return -1;
    int index = 0;
    auto digits = name.substr(prefix.size());
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    return ec == std::errc() && ptr == digits.data() + digits.size() && index < count ? index : -1;
  };
  if (int slice = indexed("mem", mem_slices); slice >= 0) return MemQueue(slice);
  if (int alu = indexed("vxm", vxm_alus); alu >= 0) return VxmQueue(alu);
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
  auto pow2 = [](int v) { return v > 0 && (v & (v - 1)) == 0; };
  check(lanes >= 4 && lanes % 4 == 0 && lanes <= 128 && pow2(lanes / 4),
        "lanes must be 4 times a power of two in 4..128 (IFETCH banks)");
  check(streams >= 4 && streams <= 32, "streams must be in 4..32");
  check(mem_slices >= 1 && mem_slices <= 61,
        "mem_slices must be in 1..61 (the host map has 64 queues: mxmw, mxma, MEM, sxm)");
  check(mem_depth >= 16 && mem_depth <= 8192 && pow2(mem_depth),
        "mem_depth must be a power of two in 16..8192 (two banks of four sub-banks)");
  check(mxm_dim >= 1 && mxm_dim <= lanes, "mxm_dim must be in 1..lanes");
  check(acc_depth >= 1 && acc_depth <= 8192, "acc_depth must be in 1..8192");
  check(queue_depth >= 2 && queue_depth >= lanes / 4 && queue_depth <= 65536 && pow2(queue_depth),
        "queue_depth must be a power of two in max(2, lanes/4)..65536 (circular queue)");
  check(vxm_alus >= 1 && vxm_alus <= 16, "vxm_alus must be in 1..16");
  check(num_queues() <= 64,
        "mem_slices + vxm_alus must be at most 61 (the host map has 64 queues: mxmw, mxma, MEM, "
        "sxm, VXM)");
}

std::vector<std::string> ConfigNames() {
  std::vector<std::string> names;
  for (const auto& c : isa::kConfigs) {
    if (c.matrix) names.emplace_back(c.name);
  }
  return names;
}

std::vector<std::string> AllConfigNames() {
  std::vector<std::string> names;
  for (const auto& c : isa::kConfigs) names.emplace_back(c.name);
  return names;
}

CoreConfig NamedConfig(std::string_view name) {
  for (const auto& c : isa::kConfigs) {
    if (c.name == name) {
      return CoreConfig{std::string(c.name), c.lanes,     c.streams,     c.mem_slices, c.mem_depth,
                        c.mxm_dim,           c.acc_depth, c.queue_depth, c.vxm_alus};
    }
  }
  throw Error(
      fmt::format("unknown config '{}' (known: {})", name, fmt::join(AllConfigNames(), ", ")));
}

}  // namespace tinylpu
