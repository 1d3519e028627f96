// VXM lane arithmetic: integer ops, soft-float f32 (RNE, FTZ/DAZ, canonical NaN), conversions.
#include "sw/vxm/vxm_ops.h"

#include <bit>
#include <limits>
#include <utility>

namespace tinylpu::vxm {
namespace {

constexpr uint32_t kSignBit = 0x80000000u;
constexpr uint32_t kExpMask = 0x7f800000u;
constexpr uint32_t kFracMask = 0x007fffffu;
constexpr uint32_t kInf = 0x7f800000u;

uint32_t ExpField(uint32_t a) { return (a >> 23) & 0xff; }
bool IsNan(uint32_t a) { return (a & kExpMask) == kExpMask && (a & kFracMask) != 0; }
bool IsInf(uint32_t a) { return (a & ~kSignBit) == kInf; }
bool IsZero(uint32_t a) { return (a & ~kSignBit) == 0; }  // after Daz
// The 24-bit significand of a normal number (hidden bit included).
uint64_t Significand(uint32_t a) { return (a & kFracMask) | 0x800000u; }

// Rounds m, whose leading one is at bit k (k >= 24), to 24 bits (nearest, ties to even) and
// packs it with biased exponent e (the exponent of bit k). Overflow gives infinity; a result
// below 2^-126 after rounding gives zero of the same sign (FTZ).
uint32_t RoundPack(bool negative, int e, uint64_t m, int k) {
  const uint32_t sign = negative ? kSignBit : 0;
  const int shift = k - 23;
  uint64_t keep = m >> shift;
  const uint64_t rem = m & ((uint64_t{1} << shift) - 1);
  const uint64_t half = uint64_t{1} << (shift - 1);
  if (rem > half || (rem == half && (keep & 1) != 0)) ++keep;
  if (keep == (uint64_t{1} << 24)) {
    keep >>= 1;
    ++e;
  }
  if (e >= 255) return sign | kInf;
  if (e <= 0) return sign;
  return sign | static_cast<uint32_t>(e) << 23 | (static_cast<uint32_t>(keep) & kFracMask);
}

// Order of non-NaN patterns as unsigned keys: -inf < ... < -0 < +0 < ... < +inf.
uint32_t OrderKey(uint32_t a) { return (a & kSignBit) != 0 ? ~a : a | kSignBit; }

uint32_t Mask(int bits) { return bits >= 32 ? ~0u : (1u << bits) - 1; }

}  // namespace

int TypeBits(VxmType type) { return 8 * TypeGroup(type); }

int TypeGroup(VxmType type) { return isa::kVxmTypeGroups[static_cast<size_t>(type) & 3]; }

uint32_t Narrow(VxmType type, uint32_t v) {
  switch (type) {
    case VxmType::kI8:
      return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(v & 0xff)));
    case VxmType::kI16:
      return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(v & 0xffff)));
    default:
      return v;
  }
}

uint32_t F32Daz(uint32_t a) { return ExpField(a) == 0 ? a & kSignBit : a; }

uint32_t F32Add(uint32_t a, uint32_t b) {
  a = F32Daz(a);
  b = F32Daz(b);
  if (IsNan(a) || IsNan(b)) return kCanonicalNan;
  if (IsInf(a) || IsInf(b)) {
    if (IsInf(a) && IsInf(b) && ((a ^ b) & kSignBit) != 0) return kCanonicalNan;
    return IsInf(a) ? a : b;
  }
  if (IsZero(a) && IsZero(b)) return a & b & kSignBit;  // -0 only for -0 + -0
  if (IsZero(a)) return b;
  if (IsZero(b)) return a;
  // |a| >= |b| from here on.
  if ((a & ~kSignBit) < (b & ~kSignBit)) std::swap(a, b);
  const bool negative = (a & kSignBit) != 0;
  const bool subtract = ((a ^ b) & kSignBit) != 0;
  const int ea = static_cast<int>(ExpField(a));
  const int d = ea - static_cast<int>(ExpField(b));
  // 32 bits below the significands; what the alignment shifts out is jammed into bit 0,
  // which is always well below the rounding point.
  const uint64_t ma = Significand(a) << 32;
  uint64_t mb = Significand(b) << 32;
  if (d >= 56) {
    mb = 1;
  } else if (d > 0) {
    const bool sticky = (mb & ((uint64_t{1} << d) - 1)) != 0;
    mb = (mb >> d) | (sticky ? 1 : 0);
  }
  const uint64_t sum = subtract ? ma - mb : ma + mb;
  if (sum == 0) return 0;  // exact cancellation: +0
  const int k = 63 - std::countl_zero(sum);
  return RoundPack(negative, ea + (k - 55), sum, k);
}

uint32_t F32Sub(uint32_t a, uint32_t b) {
  // a - b = a + (-b); a NaN b stays a NaN whatever its sign.
  return F32Add(a, b ^ kSignBit);
}

uint32_t F32Mul(uint32_t a, uint32_t b) {
  a = F32Daz(a);
  b = F32Daz(b);
  if (IsNan(a) || IsNan(b)) return kCanonicalNan;
  const uint32_t sign = (a ^ b) & kSignBit;
  if (IsInf(a) || IsInf(b)) {
    if (IsZero(a) || IsZero(b)) return kCanonicalNan;
    return sign | kInf;
  }
  if (IsZero(a) || IsZero(b)) return sign;
  const uint64_t m = Significand(a) * Significand(b);  // leading one at bit 46 or 47
  const int k = 63 - std::countl_zero(m);
  const int e = static_cast<int>(ExpField(a)) + static_cast<int>(ExpField(b)) - 127 + (k - 46);
  return RoundPack(sign != 0, e, m, k);
}

uint32_t F32Min(uint32_t a, uint32_t b) {
  a = F32Daz(a);
  b = F32Daz(b);
  if (IsNan(a) || IsNan(b)) return kCanonicalNan;
  return OrderKey(a) <= OrderKey(b) ? a : b;
}

uint32_t F32Max(uint32_t a, uint32_t b) {
  a = F32Daz(a);
  b = F32Daz(b);
  if (IsNan(a) || IsNan(b)) return kCanonicalNan;
  return OrderKey(a) >= OrderKey(b) ? a : b;
}

uint32_t F32Abs(uint32_t a) { return IsNan(a) ? kCanonicalNan : F32Daz(a) & ~kSignBit; }

uint32_t F32Neg(uint32_t a) { return IsNan(a) ? kCanonicalNan : F32Daz(a) ^ kSignBit; }

bool F32Eq(uint32_t a, uint32_t b) {
  a = F32Daz(a);
  b = F32Daz(b);
  if (IsNan(a) || IsNan(b)) return false;
  return a == b || (IsZero(a) && IsZero(b));
}

bool F32Lt(uint32_t a, uint32_t b) {
  a = F32Daz(a);
  b = F32Daz(b);
  if (IsNan(a) || IsNan(b) || (IsZero(a) && IsZero(b))) return false;
  return OrderKey(a) < OrderKey(b);
}

bool F32Le(uint32_t a, uint32_t b) { return F32Lt(a, b) || F32Eq(a, b); }

uint32_t F32FromI32(int32_t x) {
  if (x == 0) return 0;
  const bool negative = x < 0;
  const uint32_t mag = negative ? 0u - static_cast<uint32_t>(x) : static_cast<uint32_t>(x);
  const int k = 31 - std::countl_zero(mag);
  if (k <= 23) {
    return (negative ? kSignBit : 0) | static_cast<uint32_t>(127 + k) << 23 |
           ((mag << (23 - k)) & kFracMask);
  }
  return RoundPack(negative, 127 + k, mag, k);
}

int32_t F32ToI32(uint32_t a) {
  a = F32Daz(a);
  if (IsNan(a)) return 0;
  const bool negative = (a & kSignBit) != 0;
  const int e = static_cast<int>(ExpField(a)) - 127;
  if (e >= 31) {
    return negative ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max();
  }
  if (IsZero(a) || e < -1) return 0;
  const uint64_t m = Significand(a);
  uint64_t q = 0;
  if (e >= 23) {
    q = m << (e - 23);
  } else {
    const int shift = 23 - e;
    q = m >> shift;
    const uint64_t rem = m & ((uint64_t{1} << shift) - 1);
    const uint64_t half = uint64_t{1} << (shift - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) ++q;
  }
  const int64_t v = negative ? -static_cast<int64_t>(q) : static_cast<int64_t>(q);
  return static_cast<int32_t>(v);
}

int32_t SatNarrow(VxmType type, int64_t x) {
  const int bits = type == VxmType::kI8 ? 8 : type == VxmType::kI16 ? 16 : 32;
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  const int64_t lo = -(int64_t{1} << (bits - 1));
  return static_cast<int32_t>(x > hi ? hi : x < lo ? lo : x);
}

int32_t Requant(VxmType type, int32_t x, uint32_t m16, int s) {
  int64_t p = int64_t{x} * static_cast<int64_t>(m16 & 0xffff);
  if (s > 0) p += int64_t{1} << (s - 1);
  return SatNarrow(type, p >> s);
}

const isa::VxmOpInfo* FindVxmOp(isa::Op op) {
  for (const isa::VxmOpInfo& info : isa::kVxmOps) {
    if (info.op == op) return &info;
  }
  return nullptr;
}

bool TypeLegal(isa::Op op, VxmType type, VxmType stype) {
  const isa::VxmOpInfo* info = FindVxmOp(op);
  if (info == nullptr) return false;
  if (op == isa::Op::kVcvt) {
    for (const auto& pair : isa::kVxmConversions) {
      if (pair[0] == type && pair[1] == stype) return true;
    }
    return false;
  }
  return (info->types >> static_cast<int>(type) & 1) != 0;
}

VxmType KindType(isa::VxmKind kind, VxmType type, VxmType stype) {
  switch (kind) {
    case isa::VxmKind::kType:
      return type;
    case isa::VxmKind::kStype:
      return stype;
    case isa::VxmKind::kU16:
      return VxmType::kI16;
    default:
      return VxmType::kI32;
  }
}

int KindGroup(isa::VxmKind kind, VxmType type, VxmType stype) {
  return kind == isa::VxmKind::kNone ? 0 : TypeGroup(KindType(kind, type, stype));
}

uint32_t Apply(isa::Op op, VxmType type, VxmType stype, uint32_t a, uint32_t b, uint32_t self,
               int qshift) {
  if (!TypeLegal(op, type, stype)) return 0;
  const bool fp = type == VxmType::kF32;
  const int bits = TypeBits(type);
  const uint32_t na = Narrow(type, a);
  const uint32_t nb = Narrow(type, b);
  const int32_t sa = static_cast<int32_t>(na);
  const int32_t sb = static_cast<int32_t>(nb);
  auto mask = [&](bool v) { return v ? ~0u : 0u; };
  switch (op) {
    case isa::Op::kVadd:
      return fp ? F32Add(a, b) : Narrow(type, na + nb);
    case isa::Op::kVsub:
      return fp ? F32Sub(a, b) : Narrow(type, na - nb);
    case isa::Op::kVmul:
      return fp ? F32Mul(a, b) : Narrow(type, na * nb);
    case isa::Op::kVmin:
      return fp ? F32Min(a, b) : (sa <= sb ? na : nb);
    case isa::Op::kVmax:
      return fp ? F32Max(a, b) : (sa >= sb ? na : nb);
    case isa::Op::kVabs:
      return fp ? F32Abs(a) : Narrow(type, sa < 0 ? 0u - na : na);
    case isa::Op::kVneg:
      return fp ? F32Neg(a) : Narrow(type, 0u - na);
    case isa::Op::kVshl:
      return Narrow(type, na << (b & static_cast<uint32_t>(bits - 1)));
    case isa::Op::kVsra:
      return Narrow(type, static_cast<uint32_t>(sa >> (b & static_cast<uint32_t>(bits - 1))));
    case isa::Op::kVsrl:
      return Narrow(type, (na & Mask(bits)) >> (b & static_cast<uint32_t>(bits - 1)));
    case isa::Op::kVand:
      return Narrow(type, a & b);
    case isa::Op::kVor:
      return Narrow(type, a | b);
    case isa::Op::kVxor:
      return Narrow(type, a ^ b);
    case isa::Op::kVeq:
      return mask(fp ? F32Eq(a, b) : sa == sb);
    case isa::Op::kVlt:
      return mask(fp ? F32Lt(a, b) : sa < sb);
    case isa::Op::kVle:
      return mask(fp ? F32Le(a, b) : sa <= sb);
    case isa::Op::kVsel:
      return (self & Mask(bits)) != 0 ? na : nb;
    case isa::Op::kVmov:
      return na;
    case isa::Op::kVcvt: {
      const uint32_t x = Narrow(stype, a);
      if (stype == VxmType::kF32) return static_cast<uint32_t>(F32ToI32(x));
      if (type == VxmType::kF32) return F32FromI32(static_cast<int32_t>(x));
      return static_cast<uint32_t>(SatNarrow(type, static_cast<int32_t>(x)));
    }
    case isa::Op::kVreq:
      return static_cast<uint32_t>(Requant(type, static_cast<int32_t>(a), b, qshift));
    default:
      return 0;
  }
}

}  // namespace tinylpu::vxm
