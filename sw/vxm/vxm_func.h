// VXM function library: exp, reciprocal, rsqrt, sigmoid, SiLU and GELU as fixed VXM op sequences.
//
// Each function is data: a list of steps, each one VXM instruction (op, type, sources) whose
// sources are the function's input, an earlier step's result or a 32-bit constant (which the
// compiler loads into the issuing ALU's IMM register with CONFIG). The result is the last step.
// A compiler maps the steps onto ALUs and streams; Evaluate runs them on one lane through
// vxm_ops, bit for bit what the hardware computes. Accuracy against libm is measured in
// vxm_func_test.cc and documented in docs/architecture.md ("VXM function library").
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sw/vxm/vxm_ops.h"

namespace tinylpu::vxm {

// A source of a step.
struct FuncSrc {
  enum class Kind : uint8_t { kInput, kStep, kConst };
  Kind kind = Kind::kInput;
  int step = 0;        // kStep: index of an earlier step
  uint32_t value = 0;  // kConst: the 32-bit constant (an IMM register value)

  static FuncSrc Input() { return FuncSrc{}; }
  static FuncSrc Step(int index) { return FuncSrc{.kind = Kind::kStep, .step = index}; }
  static FuncSrc Const(uint32_t bits) { return FuncSrc{.kind = Kind::kConst, .value = bits}; }
  static FuncSrc F32(float value);
  friend bool operator==(const FuncSrc&, const FuncSrc&) = default;
};

// One VXM instruction of a function. `b` is unused by unary ops and VCVT; `mask` only by VSEL
// (on the hardware the mask is the ALU's own R[k], so a compiler issues the compare producing
// it on the same ALU one cycle before the VSEL).
struct FuncStep {
  isa::Op op = isa::Op::kVmov;
  VxmType type = VxmType::kF32;
  VxmType stype = VxmType::kF32;  // VCVT source type
  FuncSrc a;
  FuncSrc b;
  FuncSrc mask;
  friend bool operator==(const FuncStep&, const FuncStep&) = default;
};

struct VxmFunction {
  std::string_view name;
  std::vector<FuncStep> steps;  // the result is the last step's
};

enum class Func : uint8_t { kExp, kReciprocal, kRsqrt, kSigmoid, kSilu, kGelu };
inline constexpr Func kAllFuncs[] = {Func::kExp,     Func::kReciprocal, Func::kRsqrt,
                                     Func::kSigmoid, Func::kSilu,       Func::kGelu};

// The op sequence of `f` (built once, then shared).
const VxmFunction& GetFunction(Func f);

// Runs `f` on one lane value (an f32 bit pattern) through vxm_ops.
uint32_t Evaluate(const VxmFunction& f, uint32_t x);
// Convenience: Evaluate(GetFunction(f), bits of x) as a float.
float EvaluateF32(Func f, float x);

}  // namespace tinylpu::vxm
