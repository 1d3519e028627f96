// Driver: the host-port protocol: load programs and MEM, run the core, read its status.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sw/core/host_bus.h"
#include "sw/core/program.h"

namespace tinylpu {

// Host addresses of the three regions (docs/isa.md, "Host port").
uint32_t RegAddr(uint32_t reg);
uint32_t QueueAddr(int queue, int entry);
uint32_t MemAddr(int slice, int word, int chunk);

// Reads ID and CONFIG0..3 and throws Error when they differ from bus.config().
void CheckCoreConfig(HostBus& bus);

// Writes every queue's instructions and QLEN (0 for queues the program leaves empty).
void LoadProgram(HostBus& bus, const Program& program);
// Writes/reads one MEM word of config().lanes bytes.
void WriteMemWord(HostBus& bus, int slice, int word, const std::vector<uint8_t>& lanes);
std::vector<uint8_t> ReadMemWord(HostBus& bus, int slice, int word);

struct RunResult {
  int64_t cycles = 0;  // the CYCLES register
  isa::Err err = isa::Err::kNone;
  int64_t err_cycle = 0;   // ERR_CYCLE, valid when err != kNone
  int err_queue = 0;       // ERR_QUEUE, valid when err != kNone
  bool timed_out = false;  // done did not rise within the cycle budget

  bool ok() const { return err == isa::Err::kNone && !timed_out; }
  // "ok", or e.g. "error ADDR_RANGE in queue mem2 (cycle 17)".
  std::string Describe(const CoreConfig& config) const;
  // As above, naming the last instruction the failing queue fetched by the error cycle, by
  // label when `program` has one before it: "... (cycle 17), last fetched at label loop+3:
  // `READ 5, E1`".
  std::string Describe(const CoreConfig& config, const Program& program) const;
};

// Starts a run and waits for done, at most `max_cycles` cycles.
RunResult RunCore(HostBus& bus, int64_t max_cycles);
// The two halves of RunCore: one start write, and the status of the finished (or stopped) run.
void StartRun(HostBus& bus);
RunResult ReadRunResult(HostBus& bus);

// Name of an error code ("ILLEGAL_OPCODE"), or "UNKNOWN(n)".
std::string ErrName(isa::Err err);

}  // namespace tinylpu
