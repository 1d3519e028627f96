// Instr: one decoded tinylpu instruction, with encoding and decoding driven by the ISA tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sw/isa/isa_gen.h"

namespace tinylpu {

enum class Dir : uint8_t { kEast = 0, kWest = 1 };

// A decoded instruction. Fields an op's format lacks stay zero.
struct Instr {
  isa::Op op = isa::Op::kNop;
  uint32_t addr = 0;
  int32_t stride = 0;
  bool flag = false;
  uint32_t stream = 0;
  Dir dir = Dir::kEast;
  uint32_t n = 0;
  uint32_t d = 0;
  // SXM operands: group code (0, 1, 2 = 1, 2, 4 streams), sources a and b, mask m.
  uint32_t group = 0;
  uint32_t a = 0;
  Dir adir = Dir::kEast;
  uint32_t b = 0;
  Dir bdir = Dir::kEast;
  uint32_t m = 0;
  Dir mdir = Dir::kEast;

  friend bool operator==(const Instr&, const Instr&) = default;

  static Instr Nop(uint32_t cycles) { return Instr{.op = isa::Op::kNop, .n = cycles}; }
  static Instr Sync() { return Instr{.op = isa::Op::kSync}; }
  static Instr Notify() { return Instr{.op = isa::Op::kNotify}; }
  static Instr Repeat(uint32_t count, uint32_t distance) {
    return Instr{.op = isa::Op::kRepeat, .n = count, .d = distance};
  }
  // An op in the addr format (READ, WRITE, ABC, ACC).
  static Instr Addr(isa::Op op, uint32_t addr, uint32_t stream, Dir dir, bool flag = false) {
    return Instr{.op = op, .addr = addr, .flag = flag, .stream = stream, .dir = dir};
  }
  static Instr Stream(isa::Op op, uint32_t stream, Dir dir) {
    return Instr{.op = op, .stream = stream, .dir = dir};
  }
  // SHIFT or ROTATE of source a by n lanes (up, or down with `down`) onto stream/dir.
  static Instr SxmShift(isa::Op op, uint32_t a, Dir adir, uint32_t n, bool down, uint32_t stream,
                        Dir dir, uint32_t group = 0) {
    return Instr{.op = op,
                 .flag = down,
                 .stream = stream,
                 .dir = dir,
                 .n = n,
                 .group = group,
                 .a = a,
                 .adir = adir};
  }
  // TRANSPOSE of source a onto stream/dir.
  static Instr Transpose(uint32_t a, Dir adir, uint32_t stream, Dir dir, uint32_t group = 0) {
    return Instr{.op = isa::Op::kTranspose,
                 .stream = stream,
                 .dir = dir,
                 .group = group,
                 .a = a,
                 .adir = adir};
  }
  // PERMUTE or DISTRIBUTE of source a by the map on stream b.
  static Instr SxmMap(isa::Op op, uint32_t a, Dir adir, uint32_t b, Dir bdir, uint32_t stream,
                      Dir dir, uint32_t group = 0) {
    return Instr{.op = op,
                 .stream = stream,
                 .dir = dir,
                 .group = group,
                 .a = a,
                 .adir = adir,
                 .b = b,
                 .bdir = bdir};
  }
  // SELECT: a where the mask on m is non-zero, b elsewhere.
  static Instr Select(uint32_t a, Dir adir, uint32_t b, Dir bdir, uint32_t m, Dir mdir,
                      uint32_t stream, Dir dir, uint32_t group = 0) {
    return Instr{.op = isa::Op::kSelect,
                 .stream = stream,
                 .dir = dir,
                 .group = group,
                 .a = a,
                 .adir = adir,
                 .b = b,
                 .bdir = bdir,
                 .m = m,
                 .mdir = mdir};
  }
};

// Streams per group for an SXM group code: 1, 2, 4 (and 8 for the reserved code 3, which the
// queue rejects with BAD_OPERAND; its stream range is checked as if 8 wide).
constexpr int SxmGroupSize(uint32_t group_code) { return 1 << (group_code & 3); }
// Group code of 1, 2 or 4 streams; -1 for any other size.
int SxmGroupCode(int streams);

// One stream operand of an instruction as the queue checks it: base stream and width.
struct StreamOperand {
  std::string_view name;  // "stream", "a", "b", "m"
  uint32_t stream = 0;
  Dir dir = Dir::kEast;
  int width = 1;
};
// The stream operands of an SXM op with the widths the STREAM_RANGE check uses: the destination
// and a span the group, b spans it for SELECT and is one stream (the map) for PERMUTE and
// DISTRIBUTE, m is one stream. Empty for other ops.
std::vector<StreamOperand> SxmStreamOperands(const Instr& instr);
bool IsSxm(isa::Op op);

// ISA table lookups; nullptr when not found.
const isa::OpInfo* FindOp(isa::Op op);
const isa::OpInfo* FindOpByOpcode(uint32_t opcode);
const isa::OpInfo* FindOpByName(std::string_view name);  // case-insensitive
const isa::FormatInfo& FormatOf(const isa::OpInfo& info);
const isa::FieldInfo* FindField(const isa::FormatInfo& format, std::string_view name);
bool HasField(isa::Op op, std::string_view name);

// Value of a named field of `instr` ("addr", "stride", "flag", "stream", "dir", "n", "d").
int64_t FieldValue(const Instr& instr, std::string_view name);
void SetFieldValue(Instr& instr, std::string_view name, int64_t value);

// Encodes `instr`. Throws Error naming the field when a value does not fit or is below its
// minimum.
uint32_t Encode(const Instr& instr);
// Decodes `word`; nullopt when the opcode is undefined or a reserved bit is set.
std::optional<Instr> Decode(uint32_t word);

// The cycles a queue spends on `instr`: n for NOP, n*d for REPEAT, 1 otherwise. A SYNC's true
// duration depends on its NOTIFY (Program::QueueFinishCycles); here it counts its fetch cycle.
int64_t Duration(const Instr& instr);
// True for the ICU control ops (NOP, REPEAT, SYNC, NOTIFY), which issue nothing to a slice.
bool IsControl(isa::Op op);

}  // namespace tinylpu
