// FstInfo: a reader of the FST framing (block types, lengths and times), enough to check a wave.
#include "tb/fst_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <vector>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// Block types of the FST format (GTKWave's fstapi names them FST_BL_*).
constexpr uint8_t kHeader = 0;
constexpr uint8_t kVcData = 1;
constexpr uint8_t kBlackout = 2;
constexpr uint8_t kGeometry = 3;
constexpr uint8_t kHierarchy = 4;
constexpr uint8_t kVcDataDynAlias = 5;
constexpr uint8_t kHierarchyLz4 = 6;
constexpr uint8_t kHierarchyLz4Duo = 7;
constexpr uint8_t kVcDataDynAlias2 = 8;
constexpr uint8_t kSkip = 255;
// The header block's payload: start and end time, endianness double, memory use, scopes,
// vars, handles, value change blocks (8 bytes each), timescale, writer, date, reserved,
// file type, time zero.
constexpr uint64_t kHeaderPayload = 8 * 8 + 1 + 128 + 26 + 93 + 1 + 8;

uint64_t Be64(const std::vector<uint8_t>& b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | b[at + i];
  return v;
}

}  // namespace

FstInfo ReadFstInfo(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(fmt::format("{}: not a file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open", path));
  const std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  auto fail = [&](size_t at, const std::string& what) {
    return Error(fmt::format("{}: not a valid FST at byte {}: {}", path, at, what));
  };
  if (b.size() < 9 + kHeaderPayload || b[0] != kHeader) throw fail(0, "no header block");
  FstInfo info;
  info.blocks_start_time = std::numeric_limits<uint64_t>::max();
  size_t at = 0;
  while (at < b.size()) {
    if (b.size() - at < 9) throw fail(at, "truncated block header");
    const uint8_t type = b[at];
    const uint64_t length = Be64(b, at + 1);  // counts its own 8 bytes and the payload
    if (length < 8 || length > b.size() - at - 1) {
      throw fail(at, fmt::format("block of type {} claims {} bytes, {} are left", type, length,
                                 b.size() - at - 1));
    }
    const size_t payload = at + 9;
    switch (type) {
      case kHeader:
        if (at != 0) throw fail(at, "a second header block");
        if (length - 8 != kHeaderPayload) throw fail(at, "header of the wrong size");
        info.start_time = Be64(b, payload);
        info.end_time = Be64(b, payload + 8);
        info.num_scopes = Be64(b, payload + 32);
        info.num_vars = Be64(b, payload + 40);
        break;
      case kVcData:
      case kVcDataDynAlias:
      case kVcDataDynAlias2: {
        if (length < 8 + 16) throw fail(at, "value change block without its times");
        const uint64_t start = Be64(b, payload);
        const uint64_t end = Be64(b, payload + 8);
        if (start > end || start < info.start_time || end > info.end_time) {
          throw fail(at, fmt::format("value change block {}..{} outside the header's {}..{}", start,
                                     end, info.start_time, info.end_time));
        }
        ++info.value_change_blocks;
        info.blocks_start_time = std::min(info.blocks_start_time, start);
        info.blocks_end_time = std::max(info.blocks_end_time, end);
        break;
      }
      case kGeometry:
        info.has_geometry = true;
        break;
      case kHierarchy:
      case kHierarchyLz4:
      case kHierarchyLz4Duo:
        info.has_hierarchy = true;
        break;
      case kBlackout:
      case kSkip:
        break;
      default:
        throw fail(at, fmt::format("unknown block type {}", type));
    }
    at += 1 + length;
  }
  if (info.value_change_blocks == 0) throw fail(b.size(), "no value change block");
  if (!info.has_hierarchy || !info.has_geometry) throw fail(b.size(), "no signal hierarchy");
  return info;
}

}  // namespace tinylpu
