// Fuzz checks: entry points for the libFuzzer targets that add invariants beyond "no crash".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinylpu::fuzz {

// Assembles `text` for the small config; when it assembles, disassembling and assembling
// again must give the same program (aborts otherwise).
int AssembleRoundTrip(const std::string& text);
// A configuration from bytes: a named config (text) or a CoreConfig with the first 28 (32) bytes
// as seven (eight, vxm_alus last) int32 fields, validated; a valid one must name and find its
// queues consistently.
int ConfigFromBytes(const std::vector<uint8_t>& bytes);
// Program image (FromBinary); a loaded image must serialise back to the same bytes.
int ImageRoundTrip(const std::vector<uint8_t>& bytes);
// A .safetensors file (written to a per-process temporary file): every tensor it declares must
// read back with product(shape) values, and writing them again and reopening must give the same
// names, dtypes, shapes and values; then the file is loaded as the weights of a tiny decoder and
// a tiny encoder and quantised to int8.
int SafetensorsRoundTrip(const std::vector<uint8_t>& bytes);
// A model configuration from bytes (a built-in name as text, or the ModelConfig fields as
// little-endian int32/float32), validated; a valid one must have consistent derived sizes and
// weight specs within the limits.
int ModelConfigFromBytes(const std::vector<uint8_t>& bytes);

}  // namespace tinylpu::fuzz
