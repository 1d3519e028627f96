// VGraph: building per-vector VXM dataflow graphs and cutting them into ALU chains.
#include "sw/compiler/vgraph.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "sw/core/error.h"

namespace tinylpu {

int TypePlanes(VxmType type) { return vxm::TypeGroup(type); }

int VGraph::Input(const StreamSrc& src) {
  inputs_.push_back(src);
  nodes_.push_back(VNode{.kind = VNode::Kind::kInput,
                         .type = src.type,
                         .input = static_cast<int>(inputs_.size()) - 1});
  return static_cast<int>(nodes_.size()) - 1;
}

int VGraph::Const(uint32_t bits) {
  nodes_.push_back(VNode{.kind = VNode::Kind::kConst, .type = VxmType::kI32, .bits = bits});
  return static_cast<int>(nodes_.size()) - 1;
}

int VGraph::ConstF32(float value) { return Const(std::bit_cast<uint32_t>(value)); }

int VGraph::Op(isa::Op op, VxmType type, int a, int b) {
  nodes_.push_back(VNode{.kind = VNode::Kind::kOp, .type = type, .op = op, .a = a, .b = b});
  return static_cast<int>(nodes_.size()) - 1;
}

int VGraph::Cvt(VxmType to, VxmType from, int a) {
  nodes_.push_back(VNode{.kind = VNode::Kind::kOp,
                         .type = to,
                         .op = isa::Op::kVcvt,
                         .stype = from,
                         .a = a});
  return static_cast<int>(nodes_.size()) - 1;
}

int VGraph::I8ToF32(int a) {
  return Cvt(VxmType::kF32, VxmType::kI32, Cvt(VxmType::kI32, VxmType::kI8, a));
}

int VGraph::F32ToI8(int a) {
  return Cvt(VxmType::kI8, VxmType::kI32, Cvt(VxmType::kI32, VxmType::kF32, a));
}

int VGraph::Func(vxm::Func f, int x) {
  const vxm::VxmFunction& fn = vxm::GetFunction(f);
  std::vector<int> step_node(fn.steps.size(), -1);
  auto src = [&](const vxm::FuncSrc& s) -> int {
    switch (s.kind) {
      case vxm::FuncSrc::Kind::kInput:
        return x;
      case vxm::FuncSrc::Kind::kStep:
        return step_node[static_cast<size_t>(s.step)];
      case vxm::FuncSrc::Kind::kConst:
        return Const(s.value);
    }
    return -1;
  };
  for (size_t i = 0; i < fn.steps.size(); ++i) {
    const vxm::FuncStep& s = fn.steps[i];
    if (s.op == isa::Op::kVsel) {
      throw Error(fmt::format("VXM function '{}': VSEL steps are not supported by the compiler",
                              fn.name));
    }
    const isa::VxmOpInfo* info = vxm::FindVxmOp(s.op);
    const bool binary = info != nullptr && info->b != isa::VxmKind::kNone;
    const int a = src(s.a);
    const int b = binary ? src(s.b) : -1;
    nodes_.push_back(VNode{.kind = VNode::Kind::kOp,
                           .type = s.type,
                           .op = s.op,
                           .stype = s.stype,
                           .a = a,
                           .b = b});
    step_node[i] = static_cast<int>(nodes_.size()) - 1;
  }
  return step_node.empty() ? x : step_node.back();
}

void VGraph::Output(int node, TensorId tensor, const IndexMap& idx) {
  outputs_.push_back(VOutput{node, tensor, idx});
}

Partition PartitionGraph(const VGraph& g, int alus,
                         const std::function<bool(int, int)>& conflicting) {
  const auto& nodes = g.nodes();
  Partition p;
  p.chain_of.assign(nodes.size(), -1);
  std::vector<int> index_in_chain(nodes.size(), -1);
  std::vector<bool> stored(nodes.size(), false);
  for (const VOutput& o : g.outputs()) {
    if (nodes[o.node].kind != VNode::Kind::kOp) {
      throw Error("a graph output must be computed by an operation (add a VMOV)");
    }
    stored[o.node] = true;
  }

  int cur = -1;
  auto chain_size = [&] { return cur < 0 ? 0 : static_cast<int>(p.chains[cur].ops.size()); };
  for (size_t n = 0; n < nodes.size(); ++n) {
    const VNode& node = nodes[n];
    if (node.kind != VNode::Kind::kOp) continue;
    // How each operand arrives if the op joins the current chain.
    auto classify = [&](int x, bool joining) -> ChainOperand {
      if (x < 0) return ChainOperand{};
      const VNode& v = nodes[x];
      if (v.kind == VNode::Kind::kConst) {
        return ChainOperand{.kind = ChainOperand::Kind::kImm, .imm = v.bits};
      }
      if (v.kind == VNode::Kind::kOp && joining && p.chain_of[x] == cur &&
          index_in_chain[x] == chain_size() - 1) {
        return ChainOperand{.kind = ChainOperand::Kind::kPrev};
      }
      return ChainOperand{.kind = ChainOperand::Kind::kStream, .value = x};
    };
    auto breaks_chain = [&](int x) {
      return x >= 0 && nodes[x].kind == VNode::Kind::kOp && p.chain_of[x] == cur && cur >= 0 &&
             index_in_chain[x] != chain_size() - 1;
    };
    const bool two_imms = node.a >= 0 && node.b >= 0 && node.a != node.b &&
                          nodes[node.a].kind == VNode::Kind::kConst &&
                          nodes[node.b].kind == VNode::Kind::kConst &&
                          nodes[node.a].bits != nodes[node.b].bits;
    if (two_imms) throw Error("a VXM operation cannot take two different constants");
    bool join = cur >= 0 && chain_size() < alus && !breaks_chain(node.a) && !breaks_chain(node.b);
    ChainOperand a = classify(node.a, join);
    ChainOperand b = classify(node.b, join);
    const bool pair = a.kind == ChainOperand::Kind::kStream &&
                      b.kind == ChainOperand::Kind::kStream && a.value != b.value &&
                      conflicting(a.value, b.value);
    const int needed = pair ? 2 : 1;
    if (join && chain_size() + needed > alus) {
      join = false;
      a = classify(node.a, false);
      b = classify(node.b, false);
    }
    if (!join) {
      if (needed > alus) {
        throw Error(fmt::format(
            "a VXM operation needs two stream operands on the same MEM slices, which takes two "
            "chained ALUs; the core has {}",
            alus));
      }
      p.chains.emplace_back();
      cur = static_cast<int>(p.chains.size()) - 1;
    }
    Chain& chain = p.chains[cur];
    if (pair) {
      // b arrives one cycle early into the ALU before: VMOV b, then op a, PREV.
      const VxmType btype = vxm::KindType(vxm::FindVxmOp(node.op)->b, node.type, node.stype);
      ChainOp mov;
      mov.op = isa::Op::kVmov;
      mov.type = btype;
      mov.a = b;
      chain.ops.push_back(mov);
      b = ChainOperand{.kind = ChainOperand::Kind::kPrev};
    }
    for (const ChainOperand* o : {&a, &b}) {
      if (o->kind == ChainOperand::Kind::kStream && nodes[o->value].kind == VNode::Kind::kOp) {
        stored[o->value] = true;
      }
    }
    chain.ops.push_back(ChainOp{.node = static_cast<int>(n),
                                .op = node.op,
                                .type = node.type,
                                .stype = node.stype,
                                .a = a,
                                .b = b});
    p.chain_of[n] = cur;
    index_in_chain[n] = chain_size() - 1;
  }
  for (Chain& chain : p.chains) {
    for (ChainOp& op : chain.ops) op.store = op.node >= 0 && stored[op.node];
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (stored[n]) p.stored.push_back(static_cast<int>(n));
  }
  return p;
}

}  // namespace tinylpu
