// Instruction encoding and decoding from the generated ISA tables.
#include "sw/isa/instr.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

uint32_t FieldMask(const isa::FieldInfo& f) {
  int bits = f.msb - f.lsb + 1;
  return bits >= 32 ? 0xffffffffu : ((1u << bits) - 1u);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

}  // namespace

const isa::OpInfo* FindOp(isa::Op op) {
  for (const auto& info : isa::kOps) {
    if (info.op == op) return &info;
  }
  return nullptr;
}

const isa::OpInfo* FindOpByOpcode(uint32_t opcode) { return FindOp(static_cast<isa::Op>(opcode)); }

const isa::OpInfo* FindOpByName(std::string_view name) {
  for (const auto& info : isa::kOps) {
    if (EqualsIgnoreCase(info.name, name)) return &info;
  }
  return nullptr;
}

const isa::FormatInfo& FormatOf(const isa::OpInfo& info) {
  return isa::kFormats[static_cast<size_t>(info.format)];
}

const isa::FieldInfo* FindField(const isa::FormatInfo& format, std::string_view name) {
  for (int i = 0; i < format.num_fields; ++i) {
    if (format.fields[i].name == name) return &format.fields[i];
  }
  return nullptr;
}

bool HasField(isa::Op op, std::string_view name) {
  const isa::OpInfo* info = FindOp(op);
  return info != nullptr && FindField(FormatOf(*info), name) != nullptr;
}

int64_t FieldValue(const Instr& instr, std::string_view name) {
  if (name == "addr") return instr.addr;
  if (name == "stride") return instr.stride;
  if (name == "flag") return instr.flag ? 1 : 0;
  if (name == "stream") return instr.stream;
  if (name == "dir") return static_cast<int64_t>(instr.dir);
  if (name == "n") return instr.n;
  if (name == "d") return instr.d;
  if (name == "group") return instr.group;
  if (name == "a") return instr.a;
  if (name == "adir") return static_cast<int64_t>(instr.adir);
  if (name == "b") return instr.b;
  if (name == "bdir") return static_cast<int64_t>(instr.bdir);
  if (name == "m") return instr.m;
  if (name == "mdir") return static_cast<int64_t>(instr.mdir);
  throw Error(fmt::format("unknown instruction field '{}'", name));
}

void SetFieldValue(Instr& instr, std::string_view name, int64_t value) {
  if (name == "addr") {
    instr.addr = static_cast<uint32_t>(value);
  } else if (name == "stride") {
    instr.stride = static_cast<int32_t>(value);
  } else if (name == "flag") {
    instr.flag = value != 0;
  } else if (name == "stream") {
    instr.stream = static_cast<uint32_t>(value);
  } else if (name == "dir") {
    instr.dir = value != 0 ? Dir::kWest : Dir::kEast;
  } else if (name == "n") {
    instr.n = static_cast<uint32_t>(value);
  } else if (name == "d") {
    instr.d = static_cast<uint32_t>(value);
  } else if (name == "group") {
    instr.group = static_cast<uint32_t>(value);
  } else if (name == "a") {
    instr.a = static_cast<uint32_t>(value);
  } else if (name == "adir") {
    instr.adir = value != 0 ? Dir::kWest : Dir::kEast;
  } else if (name == "b") {
    instr.b = static_cast<uint32_t>(value);
  } else if (name == "bdir") {
    instr.bdir = value != 0 ? Dir::kWest : Dir::kEast;
  } else if (name == "m") {
    instr.m = static_cast<uint32_t>(value);
  } else if (name == "mdir") {
    instr.mdir = value != 0 ? Dir::kWest : Dir::kEast;
  } else {
    throw Error(fmt::format("unknown instruction field '{}'", name));
  }
}

uint32_t Encode(const Instr& instr) {
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr) {
    throw Error(fmt::format("opcode {:#x} is not defined", static_cast<int>(instr.op)));
  }
  uint32_t word = static_cast<uint32_t>(instr.op) << isa::kOpcodeLsb;
  const isa::FormatInfo& format = FormatOf(*info);
  for (int i = 0; i < format.num_fields; ++i) {
    const isa::FieldInfo& f = format.fields[i];
    int64_t value = FieldValue(instr, f.name);
    if (value < f.min || value > f.max) {
      throw Error(
          fmt::format("{}: {} = {} is outside {}..{}", info->name, f.name, value, f.min, f.max));
    }
    word |= (static_cast<uint32_t>(value) & FieldMask(f)) << f.lsb;
  }
  return word;
}

std::optional<Instr> Decode(uint32_t word) {
  const isa::OpInfo* info = FindOpByOpcode(word >> isa::kOpcodeLsb);
  if (info == nullptr) return std::nullopt;
  Instr instr{.op = info->op};
  const isa::FormatInfo& format = FormatOf(*info);
  uint32_t covered = ~0u << isa::kOpcodeLsb;
  for (int i = 0; i < format.num_fields; ++i) {
    const isa::FieldInfo& f = format.fields[i];
    uint32_t raw = (word >> f.lsb) & FieldMask(f);
    covered |= FieldMask(f) << f.lsb;
    int64_t value = raw;
    int bits = f.msb - f.lsb + 1;
    if (f.is_signed && (raw >> (bits - 1)) != 0) value -= int64_t{1} << bits;
    SetFieldValue(instr, f.name, value);
  }
  if ((word & ~covered) != 0) return std::nullopt;
  return instr;
}

int64_t Duration(const Instr& instr) {
  switch (instr.op) {
    case isa::Op::kNop:
      return instr.n;
    case isa::Op::kRepeat:
      return int64_t{instr.n} * instr.d;
    default:
      return 1;
  }
}

int SxmGroupCode(int streams) {
  switch (streams) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 4:
      return 2;
    default:
      return -1;
  }
}

bool IsSxm(isa::Op op) {
  const isa::OpInfo* info = FindOp(op);
  return info != nullptr && info->unit == isa::Unit::kSxm;
}

std::vector<StreamOperand> SxmStreamOperands(const Instr& instr) {
  std::vector<StreamOperand> out;
  if (!IsSxm(instr.op)) return out;
  const int group = SxmGroupSize(instr.group);
  out.push_back({"a", instr.a, instr.adir, group});
  if (HasField(instr.op, "b")) {
    out.push_back({"b", instr.b, instr.bdir, instr.op == isa::Op::kSelect ? group : 1});
  }
  if (HasField(instr.op, "m")) out.push_back({"m", instr.m, instr.mdir, 1});
  out.push_back({"stream", instr.stream, instr.dir, group});
  return out;
}

bool IsControl(isa::Op op) {
  return op == isa::Op::kNop || op == isa::Op::kRepeat || op == isa::Op::kSync ||
         op == isa::Op::kNotify;
}

}  // namespace tinylpu
