// Fuzz checks: entry points for the libFuzzer targets that add invariants beyond "no crash".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinylpu::fuzz {

// Assembles `text` for the small config; when it assembles, disassembling and assembling
// again must give the same program (aborts otherwise).
int AssembleRoundTrip(const std::string& text);
// A configuration from bytes: a named config (text) or a CoreConfig with the first 28 bytes as
// seven int32 fields, validated; a valid one must name and find its queues consistently.
int ConfigFromBytes(const std::vector<uint8_t>& bytes);
// Program image (FromBinary); a loaded image must serialise back to the same bytes.
int ImageRoundTrip(const std::vector<uint8_t>& bytes);

}  // namespace tinylpu::fuzz
