// RTL simulation: builds the Verilated lpu_top of a named configuration behind a HostBus.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sw/core/host_bus.h"

namespace tinylpu {

struct SimOptions {
  // When set, the whole run is dumped as an FST wave file at this path.
  std::string wave_path;
  // Seed for Verilator's random initial values (0: zeros, as after a clean reset).
  uint32_t x_seed = 0;
};

// The configurations that have a Verilated model in this build.
std::vector<std::string> RtlConfigNames();

// Builds and resets the Verilated core for `config` and checks that its CONFIG registers match
// the C++ description. Throws Error when no model was built for that configuration.
std::unique_ptr<HostBus> MakeRtlSim(const CoreConfig& config, const SimOptions& options = {});

}  // namespace tinylpu
