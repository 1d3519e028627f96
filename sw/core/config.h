// Core configuration: the parameters of one tinylpu core, its queues and floorplan positions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sw/core/error.h"
#include "sw/isa/isa_gen.h"

namespace tinylpu {

// Parameters of one core; mirrors the lpu_top parameters (see docs/architecture.md).
struct CoreConfig {
  std::string name;
  int lanes = 16;
  int streams = 16;
  int mem_slices = 8;
  int mem_depth = 1024;
  int mxm_dim = 16;
  int acc_depth = 64;
  int queue_depth = 512;
  int vxm_alus = 4;

  // The floorplan, west to east: MXM (position 0), SXM (1), MEM slice i (2 + i), VXM (east of
  // the last MEM slice). Queues: mxmw, mxma, one per MEM slice, sxm, then one per VXM ALU.
  // Every position and queue number goes through these accessors, so a change of floorplan is
  // a change here (and in lpu_top's localparams).
  int num_queues() const { return FirstVxmQueue() + vxm_alus; }
  int num_positions() const { return VxmPosition() + 1; }

  static constexpr int kQueueMxmw = 0;
  static constexpr int kQueueMxma = 1;
  static constexpr int kFirstMemQueue = 2;
  static constexpr int kMxmPosition = 0;
  static constexpr int kSxmPosition = 1;
  static constexpr int kFirstMemPosition = 2;

  static int MemQueue(int slice) { return kFirstMemQueue + slice; }
  static int MemPosition(int slice) { return kFirstMemPosition + slice; }
  static int MxmPosition() { return kMxmPosition; }
  static int SxmPosition() { return kSxmPosition; }
  int SxmQueue() const { return kFirstMemQueue + mem_slices; }
  // Cycles from a TRANSPOSE's issue to its first output vector (it then drives one per cycle).
  int TransposeLatency() const { return lanes + 1; }
  // Queue of VXM ALU k (vxm0 is the first queue after sxm).
  int FirstVxmQueue() const { return SxmQueue() + 1; }
  int VxmQueue(int alu) const { return FirstVxmQueue() + alu; }
  int VxmPosition() const { return kFirstMemPosition + mem_slices; }
  // ALU index of queue q, or -1 when q is no VXM queue.
  int VxmAlu(int q) const;

  // Kind of queue q (mxmw, mxma, mem, sxm or vxm).
  isa::Unit QueueUnit(int q) const;
  // Position of the slice that queue q drives.
  int QueuePosition(int q) const;
  // "mxmw", "mxma", "mem3", "sxm", "vxm1".
  std::string QueueName(int q) const;
  // Inverse of QueueName; -1 when the name does not denote a queue of this core.
  int QueueByName(std::string_view name) const;
  // "MXM", "mem3", "VXM": the slice at a position.
  std::string PositionName(int pos) const;
  // Largest addr operand + 1 for ops issued from queue q (0 when q takes no addr).
  int AddrLimit(int q) const;

  // Throws Error naming the first parameter that is out of range.
  void Validate() const;
};

// The named configurations of the test matrix (sw/isa/isa.toml, `matrix` not false).
std::vector<std::string> ConfigNames();
// Every named configuration: the matrix and the device configurations (e.g. `fpga`).
std::vector<std::string> AllConfigNames();
// Any named configuration. Throws Error listing the valid names when `name` is unknown.
CoreConfig NamedConfig(std::string_view name);

}  // namespace tinylpu
