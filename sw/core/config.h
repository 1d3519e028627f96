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

  // The floorplan, west to east: MXM (position 0), SXM (1), MEM slice i (2 + i). Queues: mxmw,
  // mxma, one per MEM slice, then sxm. Every position and queue number goes through these
  // accessors, so a change of floorplan is a change here (and in lpu_top's localparams).
  int num_queues() const { return SxmQueue() + 1; }
  int num_positions() const { return kFirstMemPosition + mem_slices; }

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

  // Kind of queue q (mxmw, mxma, mem or sxm).
  isa::Unit QueueUnit(int q) const;
  // Position of the slice that queue q drives.
  int QueuePosition(int q) const;
  // "mxmw", "mxma", "mem3", "sxm".
  std::string QueueName(int q) const;
  // Inverse of QueueName; -1 when the name does not denote a queue of this core.
  int QueueByName(std::string_view name) const;
  // Largest addr operand + 1 for ops issued from queue q (0 when q takes no addr).
  int AddrLimit(int q) const;

  // Throws Error naming the first parameter that is out of range.
  void Validate() const;
};

// The named configurations from sw/isa/isa.toml.
std::vector<std::string> ConfigNames();
// Throws Error listing the valid names when `name` is unknown.
CoreConfig NamedConfig(std::string_view name);

}  // namespace tinylpu
