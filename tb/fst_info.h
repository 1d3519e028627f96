// FstInfo: reads the block structure and time range of an FST wave file, to check waves in tests.
#pragma once

#include <cstdint>
#include <string>

namespace tinylpu {

// What the header and the blocks of an FST file say. Only the framing is read (the block
// types, their lengths and the time fields), not the compressed signal data.
struct FstInfo {
  uint64_t start_time = 0;  // header: first and last time with value changes
  uint64_t end_time = 0;
  uint64_t num_scopes = 0;
  uint64_t num_vars = 0;
  int value_change_blocks = 0;  // blocks of value changes found in the file
  bool has_hierarchy = false;   // a (compressed) hierarchy block, the signal names
  bool has_geometry = false;    // a geometry block, the signal widths
  // The smallest start and largest end time over the value change blocks.
  uint64_t blocks_start_time = 0;
  uint64_t blocks_end_time = 0;
};

// Reads `path`; throws Error naming the byte offset when the file is not a complete FST: a
// header block first, blocks whose lengths end exactly at the end of the file, value change
// blocks inside the header's time range, hierarchy and geometry present.
FstInfo ReadFstInfo(const std::string& path);

}  // namespace tinylpu
