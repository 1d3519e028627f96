// HostBus: a core behind its host port, whatever simulates it (the RTL or the C++ model).
#pragma once

#include <cstdint>

#include "sw/core/config.h"
#include "sw/core/trace.h"

namespace tinylpu {

// A core reached through its 32-bit host port (docs/isa.md, "Host port"). Each call advances
// the simulation by whole clock cycles.
class HostBus {
 public:
  virtual ~HostBus() = default;

  virtual const CoreConfig& config() const = 0;
  // One write transaction (one cycle).
  virtual void Write(uint32_t addr, uint32_t data) = 0;
  // One read transaction (request cycle plus the cycle that returns the data).
  virtual uint32_t Read(uint32_t addr) = 0;
  // Idle clock cycles with no host request.
  virtual void Tick(int64_t cycles) = 0;
  // The core's done output.
  virtual bool Done() const = 0;
  // Simulated clock cycles since reset.
  virtual uint64_t Time() const = 0;
  // Receives one CycleTrace per run cycle from now on; nullptr stops tracing. The sink must
  // outlive the bus or be reset first.
  virtual void SetTraceSink(TraceSink* sink) = 0;
};

}  // namespace tinylpu
