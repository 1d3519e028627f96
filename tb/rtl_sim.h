// RTL simulation: builds the Verilated lpu_top of a named configuration behind a HostBus.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sw/core/host_bus.h"

namespace tinylpu {

// Clock cycles of an RTL simulation are numbered from 0, the first cycle of its reset, in the
// order the harness simulates them; HostBus::Time() is the number of the next one, and a trace
// sink called during clock cycle k sees Time() == k. The FST time of clock cycle k is 2k (inputs
// and combinational values of the cycle) and 2k + 1 (registers after its rising edge).
struct SimOptions {
  // When set, clock cycles wave_first..wave_last (all of them by default) are dumped as an FST
  // wave file at this path.
  std::string wave_path;
  uint64_t wave_first = 0;
  uint64_t wave_last = std::numeric_limits<uint64_t>::max();
  // Seed for Verilator's random initial values (0: zeros, as after a clean reset).
  uint32_t x_seed = 0;
};

// The configurations that have a Verilated model in this build.
std::vector<std::string> RtlConfigNames();

// Builds and resets the Verilated core for `config` and checks that its CONFIG registers match
// the C++ description. Throws Error when no model was built for that configuration.
std::unique_ptr<HostBus> MakeRtlSim(const CoreConfig& config, const SimOptions& options = {});

// Whether `bus` is an RTL simulation made by MakeRtlSim (only those can write waves after the
// fact).
bool IsRtlSim(const HostBus& bus);

// What WriteWaveWindow wrote.
struct WaveWindow {
  std::string path;
  uint64_t first = 0;  // clock cycles dumped, inclusive
  uint64_t last = 0;
  // Empty when the replay read back what the original run read; otherwise where it did not
  // (the wave then does not show the original run).
  std::string replay_mismatch;
};

// Writes an FST wave of clock cycles first..last of the RTL simulation `bus`, after the fact:
// every host transaction `bus` has seen since it was built is replayed on a fresh model of the
// same configuration and initial-value seed, with dumping on from `first` (cycles past the last
// transaction are idle). The original simulation is not touched. Throws Error when `bus` is not
// an RTL simulation or the file cannot be written.
WaveWindow WriteWaveWindow(const HostBus& bus, const std::string& path, uint64_t first,
                           uint64_t last);

}  // namespace tinylpu
