// VGraph: a per-vector dataflow graph of VXM operations, and its partition into ALU chains.
//
// A graph describes what happens to one iteration (one lane vector); the engine runs it for
// every iteration v. Inputs arrive on streams (a tensor in MEM, an MXM accumulator, or a tensor
// permuted by the SXM), constants come from an ALU's IMM register, and every operation is one
// VXM instruction. Partition() cuts the graph into chains of at most VxmAlus operations on
// consecutive ALUs, where each operation reads the previous one's result as PREV; a value used
// anywhere else travels through MEM (a temporary tensor).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sw/compiler/mem_plan.h"
#include "sw/vxm/vxm_func.h"

namespace tinylpu {

using vxm::VxmType;

// Byte planes (stream group width) of a value of `type`.
int TypePlanes(VxmType type);

// A stream source of one iteration.
struct StreamSrc {
  enum class Kind : uint8_t {
    kTensor,   // vector idx(v) of `tensor`, READ eastward from its slices
    kAcc,      // the accumulator the matmul job assigns to iteration v, drained by ACC
    kPermute,  // vector idx(v) of `tensor` READ westward to the SXM and permuted by the lane
               // map in vector map_idx(v) of `map` (PERMUTE), then sent east
  };
  Kind kind = Kind::kTensor;
  TensorId tensor = -1;
  IndexMap idx;
  TensorId map = -1;
  IndexMap map_idx;
  VxmType type = VxmType::kF32;  // of the value (kAcc: i32)

  static StreamSrc Tensor(TensorId t, const IndexMap& idx, VxmType type) {
    StreamSrc s;
    s.tensor = t;
    s.idx = idx;
    s.type = type;
    return s;
  }
  static StreamSrc Acc() {
    StreamSrc s;
    s.kind = Kind::kAcc;
    s.type = VxmType::kI32;
    return s;
  }
  static StreamSrc Permute(TensorId t, const IndexMap& idx, TensorId map, const IndexMap& map_idx,
                           VxmType type) {
    StreamSrc s = Tensor(t, idx, type);
    s.kind = Kind::kPermute;
    s.map = map;
    s.map_idx = map_idx;
    return s;
  }

  friend bool operator==(const StreamSrc&, const StreamSrc&) = default;
};

struct VNode {
  enum class Kind : uint8_t { kInput, kConst, kOp };
  Kind kind = Kind::kOp;
  VxmType type = VxmType::kF32;  // of the value
  int input = -1;                // kInput: index into inputs
  uint32_t bits = 0;             // kConst
  isa::Op op = isa::Op::kVmov;   // kOp
  VxmType stype = VxmType::kF32;  // kOp: VCVT source type
  int a = -1;                     // kOp: operand nodes (-1: none)
  int b = -1;
};

// A graph output: node `node` of iteration v is stored as vector idx(v) of `tensor`.
struct VOutput {
  int node = -1;
  TensorId tensor = -1;
  IndexMap idx;
};

class VGraph {
 public:
  int Input(const StreamSrc& src);
  int Const(uint32_t bits);
  int ConstF32(float value);
  // An operation of `type` on nodes a (and b for binary ops).
  int Op(isa::Op op, VxmType type, int a, int b = -1);
  int Cvt(VxmType to, VxmType from, int a);
  // f32 shorthands.
  int Add(int a, int b) { return Op(isa::Op::kVadd, VxmType::kF32, a, b); }
  int Sub(int a, int b) { return Op(isa::Op::kVsub, VxmType::kF32, a, b); }
  int Mul(int a, int b) { return Op(isa::Op::kVmul, VxmType::kF32, a, b); }
  // int8 -> f32 and f32 -> int8 (round to nearest even, saturate) as two VCVTs each.
  int I8ToF32(int a);
  int F32ToI8(int a);
  int I32ToF32(int a) { return Cvt(VxmType::kF32, VxmType::kI32, a); }
  // Splices in the op sequence of a function-library function applied to x.
  int Func(vxm::Func f, int x);
  void Output(int node, TensorId tensor, const IndexMap& idx);

  const std::vector<VNode>& nodes() const { return nodes_; }
  const std::vector<StreamSrc>& inputs() const { return inputs_; }
  const std::vector<VOutput>& outputs() const { return outputs_; }

 private:
  std::vector<VNode> nodes_;
  std::vector<StreamSrc> inputs_;
  std::vector<VOutput> outputs_;
};

// ---- Partition into chains ----

// Where a chain operation's operand comes from.
struct ChainOperand {
  enum class Kind : uint8_t { kNone, kPrev, kImm, kStream };
  Kind kind = Kind::kNone;
  uint32_t imm = 0;  // kImm
  int value = -1;    // kStream: the graph node whose value arrives (an input or a stored value)
};

struct ChainOp {
  int node = -1;
  isa::Op op = isa::Op::kVmov;
  VxmType type = VxmType::kF32;
  VxmType stype = VxmType::kF32;
  ChainOperand a, b;
  bool store = false;  // the result leaves on a stream to MEM (a temporary or a graph output)
};

struct Chain {
  std::vector<ChainOp> ops;
};

struct Partition {
  std::vector<Chain> chains;
  // For every node: the chain computing it (-1 for inputs and constants).
  std::vector<int> chain_of;
  // Nodes whose value is stored to MEM, in creation order, and whether each is a graph output
  // (then its store goes to the output tensor and later chains read it from there).
  std::vector<int> stored;
};

// Cuts `g` into chains of at most `alus` operations. `conflicting(x, y)` tells whether the
// values of nodes x and y, both arriving on streams, may need the same MEM slice in the same
// cycle; an operation with two such operands reads b one cycle early through a VMOV on the ALU
// before it. Throws Error for a graph the VXM cannot run (an op with two different constants).
Partition PartitionGraph(const VGraph& g, int alus,
                         const std::function<bool(int, int)>& conflicting);

}  // namespace tinylpu
