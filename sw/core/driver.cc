// Driver: host-port transactions for loading, running and checking a core.
#include "sw/core/driver.h"

#include <fmt/format.h>

#include "sw/core/error.h"

namespace tinylpu {

uint32_t RegAddr(uint32_t reg) { return (isa::kHostRegionReg << isa::kHostRegionLsb) | reg; }

uint32_t QueueAddr(int queue, int entry) {
  return (isa::kHostRegionQueue << isa::kHostRegionLsb) | (static_cast<uint32_t>(queue) << 16) |
         static_cast<uint32_t>(entry);
}

uint32_t MemAddr(int slice, int word, int chunk) {
  return (isa::kHostRegionMem << isa::kHostRegionLsb) | (static_cast<uint32_t>(slice) << 21) |
         (static_cast<uint32_t>(word) << 5) | static_cast<uint32_t>(chunk);
}

void CheckCoreConfig(HostBus& bus) {
  const CoreConfig& c = bus.config();
  uint32_t id = bus.Read(RegAddr(isa::kHostRegId));
  if (id != isa::kHostId) {
    throw Error(
        fmt::format("core ID register reads {:#010x}, expected {:#010x}", id, isa::kHostId));
  }
  uint32_t config0 = bus.Read(RegAddr(isa::kHostRegConfig0));
  uint32_t config1 = bus.Read(RegAddr(isa::kHostRegConfig1));
  uint32_t config2 = bus.Read(RegAddr(isa::kHostRegConfig2));
  uint32_t config3 = bus.Read(RegAddr(isa::kHostRegConfig3));
  uint32_t want0 = (c.lanes & 0xff) | (c.streams & 0xff) << 8 | (c.mem_slices & 0xff) << 16 |
                   (c.mxm_dim & 0xff) << 24;
  uint32_t want1 = (c.mem_depth & 0xffff) | (c.queue_depth & 0xffff) << 16;
  uint32_t want2 = c.acc_depth & 0xffff;
  uint32_t want3 = c.vxm_alus & 0xff;
  if (config0 != want0 || config1 != want1 || config2 != want2 || config3 != want3) {
    throw Error(fmt::format(
        "core CONFIG registers {:#010x} {:#010x} {:#010x} {:#010x} do not match config '{}' "
        "({:#010x} {:#010x} {:#010x} {:#010x})",
        config0, config1, config2, config3, c.name, want0, want1, want2, want3));
  }
}

void LoadProgram(HostBus& bus, const Program& program) {
  const CoreConfig& c = bus.config();
  program.CheckFits(c);
  for (int q = 0; q < c.num_queues(); ++q) {
    const std::vector<Instr> empty;
    const auto& queue = q < static_cast<int>(program.queues.size()) ? program.queues[q] : empty;
    for (size_t i = 0; i < queue.size(); ++i) {
      bus.Write(QueueAddr(q, static_cast<int>(i)), Encode(queue[i]));
    }
    bus.Write(RegAddr(isa::kHostRegQlen + q), static_cast<uint32_t>(queue.size()));
  }
}

void WriteMemWord(HostBus& bus, int slice, int word, const std::vector<uint8_t>& lanes) {
  const int lanes_n = bus.config().lanes;
  if (static_cast<int>(lanes.size()) != lanes_n) {
    throw Error(fmt::format("MEM word has {} lanes; the core has {}", lanes.size(), lanes_n));
  }
  for (int chunk = 0; chunk < lanes_n / 4; ++chunk) {
    uint32_t data = 0;
    for (int j = 0; j < 4; ++j) data |= uint32_t{lanes[chunk * 4 + j]} << (8 * j);
    bus.Write(MemAddr(slice, word, chunk), data);
  }
}

std::vector<uint8_t> ReadMemWord(HostBus& bus, int slice, int word) {
  const int lanes_n = bus.config().lanes;
  std::vector<uint8_t> lanes(lanes_n);
  for (int chunk = 0; chunk < lanes_n / 4; ++chunk) {
    uint32_t data = bus.Read(MemAddr(slice, word, chunk));
    for (int j = 0; j < 4; ++j) lanes[chunk * 4 + j] = static_cast<uint8_t>(data >> (8 * j));
  }
  return lanes;
}

void StartRun(HostBus& bus) { bus.Write(RegAddr(isa::kHostRegCtrl), 1); }

RunResult ReadRunResult(HostBus& bus) {
  RunResult result;
  result.timed_out = !bus.Done();
  uint32_t status = bus.Read(RegAddr(isa::kHostRegStatus));
  result.cycles = bus.Read(RegAddr(isa::kHostRegCycles));
  result.err = static_cast<isa::Err>((status >> 8) & 0xff);
  if (result.err != isa::Err::kNone) {
    result.err_cycle = bus.Read(RegAddr(isa::kHostRegErrCycle));
    result.err_queue = static_cast<int>(bus.Read(RegAddr(isa::kHostRegErrQueue)));
  }
  return result;
}

RunResult RunCore(HostBus& bus, int64_t max_cycles) {
  StartRun(bus);
  for (int64_t waited = 0; !bus.Done() && waited < max_cycles; ++waited) bus.Tick(1);
  return ReadRunResult(bus);
}

std::string ErrName(isa::Err err) {
  for (const auto& info : isa::kErrors) {
    if (info.err == err) return std::string(info.name);
  }
  return fmt::format("UNKNOWN({})", static_cast<int>(err));
}

std::string RunResult::Describe(const CoreConfig& config) const {
  if (timed_out) return fmt::format("timed out after {} cycles without done", cycles);
  if (err == isa::Err::kNone) return "ok";
  return fmt::format("error {} in queue {} (cycle {})", ErrName(err), config.QueueName(err_queue),
                     err_cycle);
}

std::string RunResult::Describe(const CoreConfig& config, const Program& program) const {
  std::string text = Describe(config);
  if (err == isa::Err::kNone || timed_out) return text;
  const int entry = program.EntryAt(err_queue, err_cycle);
  if (entry < 0) return text;
  const std::string name = program.EntryName(err_queue, entry);
  const Instr& instr = program.queues[err_queue][entry];
  std::string op(FindOp(instr.op) ? FindOp(instr.op)->name : "?");
  return fmt::format("{}, last fetched at {}: {}", text,
                     name.empty() ? fmt::format("entry {}", entry) : "label " + name, op);
}

}  // namespace tinylpu
