// VXM function library: the op sequences and their one-lane evaluator.
#include "sw/vxm/vxm_func.h"

#include <bit>

#include "sw/core/error.h"

namespace tinylpu::vxm {
namespace {

using isa::Op;

// Appends steps and returns their results as sources.
class Builder {
 public:
  explicit Builder(std::string_view name) { fn_.name = name; }

  FuncSrc Emit(Op op, VxmType type, FuncSrc a, FuncSrc b = {}, VxmType stype = VxmType::kF32,
               FuncSrc mask = {}) {
    fn_.steps.push_back(
        FuncStep{.op = op, .type = type, .stype = stype, .a = a, .b = b, .mask = mask});
    return FuncSrc::Step(static_cast<int>(fn_.steps.size()) - 1);
  }
  FuncSrc F(Op op, FuncSrc a, FuncSrc b = {}) { return Emit(op, VxmType::kF32, a, b); }
  FuncSrc I(Op op, FuncSrc a, FuncSrc b = {}) { return Emit(op, VxmType::kI32, a, b); }

  // e^x: clamp x to [-87, 88] (so 2^n stays a normal number), n = round(x / ln 2),
  // r = x - n ln 2 in two parts (Cody-Waite: n * kLn2Hi is exact for |n| < 2^15),
  // e^r by a degree-7 Taylor polynomial on |r| <= ln2/2 (Horner), times 2^n built as the bit
  // pattern (n + 127) << 23.
  FuncSrc Exp(FuncSrc x) {
    const FuncSrc lo = F(Op::kVmax, x, FuncSrc::F32(-87.0f));
    const FuncSrc xc = F(Op::kVmin, lo, FuncSrc::F32(88.0f));
    const FuncSrc t = F(Op::kVmul, xc, FuncSrc::F32(1.44269504f));
    const FuncSrc n = Emit(Op::kVcvt, VxmType::kI32, t, {}, VxmType::kF32);
    const FuncSrc nf = Emit(Op::kVcvt, VxmType::kF32, n, {}, VxmType::kI32);
    const FuncSrc hi = F(Op::kVmul, nf, FuncSrc::F32(0.693359375f));
    const FuncSrc r1 = F(Op::kVsub, xc, hi);
    const FuncSrc lo2 = F(Op::kVmul, nf, FuncSrc::F32(-2.12194440e-4f));
    const FuncSrc r = F(Op::kVsub, r1, lo2);
    // 1/7!, 1/6!, ..., 1/1!, 1/0!.
    static constexpr float kCoef[] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                      1.0f / 6,    0.5f,       1.0f,       1.0f};
    FuncSrc p = F(Op::kVmul, r, FuncSrc::F32(kCoef[0]));
    for (int i = 1; i < 8; ++i) {
      p = F(Op::kVadd, p, FuncSrc::F32(kCoef[i]));
      if (i < 7) p = F(Op::kVmul, p, r);
    }
    const FuncSrc e = I(Op::kVadd, n, FuncSrc::Const(127));
    const FuncSrc scale = I(Op::kVshl, e, FuncSrc::Const(23));
    return F(Op::kVmul, p, scale);
  }

  // 1/x: seed 0x7ef311c3 - bits(x) (negative x gives the negated seed, as the subtraction
  // wraps), then four Newton steps y = y (2 - x y).
  FuncSrc Reciprocal(FuncSrc x) {
    FuncSrc y = I(Op::kVsub, FuncSrc::Const(0x7ef311c3u), x);
    for (int i = 0; i < 4; ++i) {
      const FuncSrc e = F(Op::kVmul, x, y);
      const FuncSrc c = F(Op::kVsub, FuncSrc::F32(2.0f), e);
      y = F(Op::kVmul, y, c);
    }
    return y;
  }

  // 1/sqrt(x): seed 0x5f3759df - (bits(x) >> 1), then three Newton steps
  // y = y (1.5 - 0.5 (x y) y); x y (about sqrt(x)) keeps every product normal for any normal x.
  FuncSrc Rsqrt(FuncSrc x) {
    const FuncSrc half = I(Op::kVsrl, x, FuncSrc::Const(1));
    FuncSrc y = I(Op::kVsub, FuncSrc::Const(0x5f3759dfu), half);
    for (int i = 0; i < 3; ++i) {
      const FuncSrc xy = F(Op::kVmul, x, y);
      const FuncSrc t = F(Op::kVmul, xy, y);
      const FuncSrc h = F(Op::kVmul, t, FuncSrc::F32(0.5f));
      const FuncSrc c = F(Op::kVsub, FuncSrc::F32(1.5f), h);
      y = F(Op::kVmul, y, c);
    }
    return y;
  }

  // 1 / (1 + e^-x), with x clamped below at -80 so that 1 + e^-x stays inside the
  // reciprocal's range (sigmoid(-80) is 1.8e-35).
  FuncSrc Sigmoid(FuncSrc x) {
    const FuncSrc xc = F(Op::kVmax, x, FuncSrc::F32(-80.0f));
    const FuncSrc n = F(Op::kVneg, xc);
    const FuncSrc e = Exp(n);
    const FuncSrc d = F(Op::kVadd, e, FuncSrc::F32(1.0f));
    return Reciprocal(d);
  }

  // x * sigmoid(x).
  FuncSrc Silu(FuncSrc x) { return F(Op::kVmul, x, Sigmoid(x)); }

  // GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), computed as the equal
  // x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)).
  FuncSrc Gelu(FuncSrc x) {
    const FuncSrc x2 = F(Op::kVmul, x, x);
    const FuncSrc x3 = F(Op::kVmul, x2, x);
    const FuncSrc t = F(Op::kVmul, x3, FuncSrc::F32(0.044715f));
    const FuncSrc u = F(Op::kVadd, t, x);
    const FuncSrc v = F(Op::kVmul, u, FuncSrc::F32(1.59576912f));
    return F(Op::kVmul, x, Sigmoid(v));
  }

  VxmFunction Take() { return std::move(fn_); }

 private:
  VxmFunction fn_;
};

VxmFunction Build(Func f) {
  switch (f) {
    case Func::kExp: {
      Builder b("exp");
      b.Exp(FuncSrc::Input());
      return b.Take();
    }
    case Func::kReciprocal: {
      Builder b("reciprocal");
      b.Reciprocal(FuncSrc::Input());
      return b.Take();
    }
    case Func::kRsqrt: {
      Builder b("rsqrt");
      b.Rsqrt(FuncSrc::Input());
      return b.Take();
    }
    case Func::kSigmoid: {
      Builder b("sigmoid");
      b.Sigmoid(FuncSrc::Input());
      return b.Take();
    }
    case Func::kSilu: {
      Builder b("silu");
      b.Silu(FuncSrc::Input());
      return b.Take();
    }
    case Func::kGelu: {
      Builder b("gelu");
      b.Gelu(FuncSrc::Input());
      return b.Take();
    }
  }
  throw Error("unknown VXM function");
}

}  // namespace

FuncSrc FuncSrc::F32(float value) { return Const(std::bit_cast<uint32_t>(value)); }

const VxmFunction& GetFunction(Func f) {
  static const VxmFunction kTable[] = {Build(Func::kExp),   Build(Func::kReciprocal),
                                       Build(Func::kRsqrt), Build(Func::kSigmoid),
                                       Build(Func::kSilu),  Build(Func::kGelu)};
  return kTable[static_cast<size_t>(f)];
}

uint32_t Evaluate(const VxmFunction& f, uint32_t x) {
  std::vector<uint32_t> values(f.steps.size(), 0);
  auto get = [&](const FuncSrc& s) -> uint32_t {
    switch (s.kind) {
      case FuncSrc::Kind::kInput:
        return x;
      case FuncSrc::Kind::kConst:
        return s.value;
      case FuncSrc::Kind::kStep:
        return values[static_cast<size_t>(s.step)];
    }
    return 0;
  };
  for (size_t i = 0; i < f.steps.size(); ++i) {
    const FuncStep& s = f.steps[i];
    values[i] = Apply(s.op, s.type, s.stype, get(s.a), get(s.b), get(s.mask), 0);
  }
  return values.empty() ? x : values.back();
}

float EvaluateF32(Func f, float x) {
  return std::bit_cast<float>(Evaluate(GetFunction(f), std::bit_cast<uint32_t>(x)));
}

}  // namespace tinylpu::vxm
