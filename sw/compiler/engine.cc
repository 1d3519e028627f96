// Engine: cycle-exact placement of VXM chains, MXM matmuls and SXM permutes.
#include "sw/compiler/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// How far beyond its lower bound the engine looks for a free cycle before it gives up: far
// more than any legal placement needs, so hitting it means the work can never fit (a stream
// group wider than the core has, say).
constexpr int64_t kMaxSearch = 200000;
// The largest initiation interval a block may need (beyond it nothing is pipelined anyway).
constexpr int kMaxInterval = 64;

// CONFIG register indices of a VXM ALU (isa.toml `config_regs`: IMMLO, IMMHI, QSHIFT).
constexpr uint32_t kConfigImmLo = 0;
constexpr uint32_t kConfigImmHi = 1;
static_assert(isa::kVxmConfigRegs == 3);

uint32_t GroupCode(int planes) { return static_cast<uint32_t>(SxmGroupCode(planes)); }

}  // namespace

// A chain with its stream operands resolved to sources and its stores to destinations.
struct Engine::ChainRun {
  const Chain* chain = nullptr;
  std::map<int, StreamSrc> src;                         // by node
  std::map<int, std::pair<TensorId, IndexMap>> dst;     // by node
  std::string name;
};

Engine::Engine(const CoreConfig& config, MemPlan& mem)
    : config_(config),
      mem_(mem),
      sched_(config),
      acc_ready_(config.acc_depth, 0),
      acc_drained_(config.acc_depth, -1),
      imm_configs_(config.vxm_alus),
      imm_uses_(config.vxm_alus) {}

Program Engine::Finish() const { return sched_.Finish(); }

EngineStats Engine::stats() const {
  EngineStats s = stats_;
  s.queue_ops.clear();
  for (int q = 0; q < config_.num_queues(); ++q) s.queue_ops.push_back(sched_.PlacedCount(q));
  return s;
}

bool Engine::SlotsFree(const Plan& plan) const {
  for (size_t i = 0; i < plan.claims.size(); ++i) {
    const Claim& c = plan.claims[i];
    if (!sched_.IsFree(c.queue, c.t)) return false;
    for (size_t j = 0; j < i; ++j) {
      if (plan.claims[j].queue == c.queue && plan.claims[j].t == c.t) return false;
    }
  }
  return true;
}

int Engine::ReserveGroup(std::vector<Transfer> transfers, Plan& plan) {
  int width = 0;
  for (const Transfer& tr : transfers) width = std::max(width, tr.stream + tr.group);
  // In a block, every iteration prefers the streams the first one chose (so its instructions
  // repeat exactly); where the route differs (another slice) any free base does.
  std::vector<int> order;
  if (plan.forced != nullptr && plan.bases.size() < plan.forced->size()) {
    order.push_back((*plan.forced)[plan.bases.size()]);
  }
  for (int base = 0; base + width <= config_.streams; ++base) order.push_back(base);
  for (int base : order) {
    if (base + width > config_.streams) continue;
    bool free = true;
    for (const Transfer& tr : transfers) {
      Transfer moved = tr;
      moved.stream += base;
      if (!sched_.StreamFree(moved)) {
        free = false;
        break;
      }
    }
    if (!free) continue;
    for (Transfer& tr : transfers) {
      tr.stream += base;
      sched_.ReserveStream(tr);
      plan.transfers.push_back(tr);
    }
    plan.bases.push_back(base);
    return base;
  }
  return -1;
}

void Engine::Release(const Plan& plan) {
  for (const Transfer& tr : plan.transfers) sched_.UnreserveStream(tr);
}

void Engine::Commit(const Plan& plan) {
  for (const Claim& c : plan.claims) {
    sched_.Place(c.queue, c.t, c.instr);
    if (config_.VxmAlu(c.queue) >= 0 && c.instr.op != isa::Op::kConfig) ++stats_.vxm_ops;
  }
  for (const MemAccess& a : plan.mem) {
    if (a.write) {
      mem_.NoteWrite(a.word, a.t);
    } else {
      mem_.NoteRead(a.word, a.t);
    }
  }
  for (const auto& [acc, t] : plan.acc_drains) acc_drained_[acc] = std::max(acc_drained_[acc], t);
  for (const ImmEvent& e : plan.imm) {
    (e.config ? imm_configs_ : imm_uses_)[e.alu][e.t] = e.value;
  }
}

// ---- VXM chains ----

bool Engine::TryChainIteration(const ChainRun& run, int v, int64_t t, int k0, Plan& plan) {
  const Chain& chain = *run.chain;
  const int vpos = config_.VxmPosition();
  const int sxm_pos = CoreConfig::SxmPosition();
  plan = Plan{};
  bool ok = true;
  // A stream operand of op j (issued at tj, sampling at tj + 1): returns the stream base.
  auto stream_in = [&](const StreamSrc& src, int64_t tj) -> int {
    const int64_t arrive = tj + 1;
    switch (src.kind) {
      case StreamSrc::Kind::kTensor: {
        const MemTensor& tensor = mem_.tensor(src.tensor);
        const int vec = src.idx(v);
        const WordLoc w0 = tensor.Vector(vec);
        const int pos = CoreConfig::MemPosition(w0.slice);
        const int64_t tr = arrive - isa::kLatReadStreamOut - (vpos - pos);
        for (int p = 0; p < tensor.planes; ++p) {
          if (tr < mem_.last_write(tensor.Loc(p, vec)) + 1) return -1;
        }
        const int base = ReserveGroup(
            {Transfer{Dir::kEast, 0, tensor.planes, pos, tr + isa::kLatReadStreamOut, vpos}}, plan);
        if (base < 0) return -1;
        plan.claims.push_back(Claim{CoreConfig::MemQueue(w0.slice), tr,
                                    Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(w0.addr),
                                                static_cast<uint32_t>(base), Dir::kEast,
                                                /*quad=*/tensor.planes == 4)});
        for (int p = 0; p < tensor.planes; ++p) {
          plan.mem.push_back(MemAccess{tensor.Loc(p, vec), tr, false});
        }
        return base;
      }
      case StreamSrc::Kind::kAcc: {
        const int acc = acc_of_(v);
        const int64_t ta = arrive - isa::kLatAccStreamOut - (vpos - CoreConfig::MxmPosition());
        if (ta < acc_ready_[acc]) return -1;
        const int base = ReserveGroup(
            {Transfer{Dir::kEast, 0, 4, CoreConfig::MxmPosition(), ta + isa::kLatAccStreamOut,
                      vpos}},
            plan);
        if (base < 0) return -1;
        plan.claims.push_back(Claim{CoreConfig::kQueueMxma, ta,
                                    Instr::Addr(isa::Op::kAcc, static_cast<uint32_t>(acc),
                                                static_cast<uint32_t>(base), Dir::kEast)});
        plan.acc_drains.emplace_back(acc, ta);
        return base;
      }
      case StreamSrc::Kind::kPermute: {
        const MemTensor& tensor = mem_.tensor(src.tensor);
        const MemTensor& map = mem_.tensor(src.map);
        const int64_t ts = arrive - isa::kLatPermuteStreamOut - (vpos - sxm_pos);
        // The source vector and the map, READ westward so that they are at the SXM in ts + 1.
        auto west = [&](const MemTensor& t, int vec, Plan& p) -> int {
          const WordLoc w0 = t.Vector(vec);
          const int pos = CoreConfig::MemPosition(w0.slice);
          const int64_t tr =
              ts + isa::kLatPermuteStreamIn - isa::kLatReadStreamOut - (pos - sxm_pos);
          for (int k = 0; k < t.planes; ++k) {
            if (tr < mem_.last_write(t.Loc(k, vec)) + 1) return -1;
          }
          const int base = ReserveGroup(
              {Transfer{Dir::kWest, 0, t.planes, pos, tr + isa::kLatReadStreamOut, sxm_pos}}, p);
          if (base < 0) return -1;
          p.claims.push_back(Claim{CoreConfig::MemQueue(w0.slice), tr,
                                   Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(w0.addr),
                                               static_cast<uint32_t>(base), Dir::kWest,
                                               /*quad=*/t.planes == 4)});
          for (int k = 0; k < t.planes; ++k) p.mem.push_back(MemAccess{t.Loc(k, vec), tr, false});
          return base;
        };
        const int a_base = west(tensor, src.idx(v), plan);
        if (a_base < 0) return -1;
        const int m_base = west(map, src.map_idx(v), plan);
        if (m_base < 0) return -1;
        const int out = ReserveGroup(
            {Transfer{Dir::kEast, 0, tensor.planes, sxm_pos, ts + isa::kLatPermuteStreamOut, vpos}},
            plan);
        if (out < 0) return -1;
        plan.claims.push_back(Claim{
            config_.SxmQueue(), ts,
            Instr::SxmMap(isa::Op::kPermute, static_cast<uint32_t>(a_base), Dir::kWest,
                          static_cast<uint32_t>(m_base), Dir::kWest, static_cast<uint32_t>(out),
                          Dir::kEast, GroupCode(tensor.planes))});
        return out;
      }
    }
    return -1;
  };

  for (size_t j = 0; j < chain.ops.size() && ok; ++j) {
    const ChainOp& op = chain.ops[j];
    const int alu = k0 + static_cast<int>(j);
    const int q = config_.VxmQueue(alu);
    const int64_t tj = t + static_cast<int64_t>(j);
    uint32_t enc[2] = {0, 0};
    int value_base[2] = {-1, -1};
    const ChainOperand* operands[2] = {&op.a, &op.b};
    for (int i = 0; i < 2 && ok; ++i) {
      const ChainOperand& o = *operands[i];
      switch (o.kind) {
        case ChainOperand::Kind::kNone:
          enc[i] = 0;
          break;
        case ChainOperand::Kind::kPrev:
          enc[i] = kVxmPrev;
          break;
        case ChainOperand::Kind::kImm:
          enc[i] = kVxmImm;
          break;
        case ChainOperand::Kind::kStream: {
          int base = -1;
          if (i == 1 && op.a.kind == ChainOperand::Kind::kStream && op.a.value == o.value) {
            base = value_base[0];
          } else {
            base = stream_in(run.src.at(o.value), tj);
          }
          if (base < 0) {
            ok = false;
            break;
          }
          value_base[i] = base;
          enc[i] = VxmStream(Dir::kEast, static_cast<uint32_t>(base));
          break;
        }
      }
    }
    if (!ok) break;
    uint32_t dst = kVxmNone;
    if (op.store) {
      const auto& [tid, idx] = run.dst.at(op.node);
      const MemTensor& tensor = mem_.tensor(tid);
      const int vec = idx(v);
      const WordLoc w0 = tensor.Vector(vec);
      const int pos = CoreConfig::MemPosition(w0.slice);
      const int64_t drive = tj + isa::kLatVaddStreamOut;
      const int64_t tw = drive + (vpos - pos) - isa::kLatWriteStreamIn;
      for (int p = 0; p < tensor.planes; ++p) {
        const WordLoc w = tensor.Loc(p, vec);
        if (tw < std::max(mem_.last_read(w), mem_.last_write(w) + 1)) ok = false;
      }
      if (!ok) break;
      const int base =
          ReserveGroup({Transfer{Dir::kWest, 0, tensor.planes, vpos, drive, pos}}, plan);
      if (base < 0) {
        ok = false;
        break;
      }
      plan.claims.push_back(Claim{CoreConfig::MemQueue(w0.slice), tw,
                                  Instr::Addr(isa::Op::kWrite, static_cast<uint32_t>(w0.addr),
                                              static_cast<uint32_t>(base), Dir::kWest,
                                              /*quad=*/tensor.planes == 4)});
      for (int p = 0; p < tensor.planes; ++p) {
        plan.mem.push_back(MemAccess{tensor.Loc(p, vec), tw, true});
      }
      dst = VxmStream(Dir::kWest, static_cast<uint32_t>(base));
    }
    plan.claims.push_back(
        Claim{q, tj, Instr::Vxm(op.op, op.type, dst, enc[0], enc[1], op.stype)});
  }
  if (!ok || !SlotsFree(plan)) {
    Release(plan);
    return false;
  }
  return true;
}

uint32_t Engine::ImmAt(int alu, int64_t t) const {
  const auto& configs = imm_configs_[alu];
  auto it = configs.upper_bound(t);
  return it == configs.begin() ? 0u : std::prev(it)->second;
}

// An op on ALU `alu` issued at t reading IMM = value: adds the CONFIG pair it needs to `plan`
// (or nothing when the IMM already holds the value then). False when the pair cannot go in
// right before it, or would change the IMM under a later op that expects the old value.
bool Engine::PlanImm(int alu, int64_t t, uint32_t value, Plan& plan) const {
  if (ImmAt(alu, t) == value) return true;
  const int q = config_.VxmQueue(alu);
  if (!sched_.IsFree(q, t - 2) || !sched_.IsFree(q, t - 1)) return false;
  const auto& configs = imm_configs_[alu];
  const auto next = configs.upper_bound(t);
  const int64_t until = next == configs.end() ? std::numeric_limits<int64_t>::max() : next->first;
  const auto& uses = imm_uses_[alu];
  for (auto it = uses.upper_bound(t); it != uses.end() && it->first < until; ++it) {
    if (it->second != value) return false;
  }
  plan.claims.push_back(Claim{q, t - 2, Instr::Config(kConfigImmLo, value & 0xffffu)});
  plan.claims.push_back(Claim{q, t - 1, Instr::Config(kConfigImmHi, value >> 16)});
  plan.imm.push_back(ImmEvent{alu, t, value, true});
  return true;
}

void Engine::Append(Plan& total, Plan&& part) {
  total.claims.insert(total.claims.end(), part.claims.begin(), part.claims.end());
  total.transfers.insert(total.transfers.end(), part.transfers.begin(), part.transfers.end());
  total.mem.insert(total.mem.end(), part.mem.begin(), part.mem.end());
  total.acc_drains.insert(total.acc_drains.end(), part.acc_drains.begin(), part.acc_drains.end());
  total.imm.insert(total.imm.end(), part.imm.begin(), part.imm.end());
}

bool Engine::BlockFree(const Plan& plan) const {
  std::map<int, std::vector<int64_t>> by_queue;
  for (const Claim& c : plan.claims) by_queue[c.queue].push_back(c.t);
  for (auto& [q, ts] : by_queue) {
    std::sort(ts.begin(), ts.end());
    if (std::adjacent_find(ts.begin(), ts.end()) != ts.end()) return false;
    if (!sched_.IsFreeRange(q, ts.front(), ts.back())) return false;
  }
  return true;
}

void Engine::CommitBlock(const Plan& plan) {
  Commit(plan);
  // Keep other work out of the gaps, so each queue's part compresses into op + REPEAT.
  std::map<int, std::pair<int64_t, int64_t>> span;
  for (const Claim& c : plan.claims) {
    auto [it, fresh] = span.emplace(c.queue, std::make_pair(c.t, c.t));
    if (!fresh) {
      it->second.first = std::min(it->second.first, c.t);
      it->second.second = std::max(it->second.second, c.t);
    }
  }
  for (const auto& [q, range] : span) sched_.Block(q, range.first, range.second);
}

int64_t Engine::PlaceBlock(int n, int64_t lower_bound, const BlockBuilder& one, Plan& out,
                           const std::string& what) {
  // The initiation interval: the smallest at which no queue needs two slots of one cycle,
  // from every iteration built alone far beyond everything placed (iterations may differ, e.g.
  // a tensor cut into blocks on two slices).
  int ii = 1;
  {
    std::vector<std::vector<std::pair<int, int64_t>>> offs(n);  // (queue, offset) per iteration
    const int64_t far = sched_.FinishCycle() + 4 * kMaxSearch;
    for (int i = 0; i < n; ++i) {
      Plan probe;
      const int64_t at = far + static_cast<int64_t>(i) * 4096;
      if (!one(i, at, probe)) {
        Release(probe);
        throw Error(fmt::format("compiler: {} cannot be placed on config '{}' at all", what,
                                config_.name));
      }
      for (const Claim& c : probe.claims) offs[i].emplace_back(c.queue, c.t - at);
      Release(probe);
    }
    for (;; ++ii) {
      std::set<std::pair<int, int64_t>> slots;
      bool distinct = true;
      for (int i = 0; i < n && distinct; ++i) {
        for (const auto& [q, o] : offs[i]) {
          distinct = slots.emplace(q, o + static_cast<int64_t>(i) * ii).second;
          if (!distinct) break;
        }
      }
      if (distinct) break;
    }
  }
  // The whole block at t0: every iteration with the streams of the first where it can, and no
  // other work on its queues between their first and last slot.
  auto try_block = [&](int64_t t0, int interval, Plan& out_plan) {
    Plan total;
    std::vector<int> bases;
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) {
      Plan part;
      if (i > 0) part.forced = &bases;
      ok = one(i, t0 + static_cast<int64_t>(i) * interval, part);
      if (!ok) {
        Release(part);
        break;
      }
      if (i == 0) {
        bases = part.bases;
        // Cheap early test: each queue of the first iteration must be free for the block.
        for (const Claim& c : part.claims) {
          ok = ok &&
               sched_.IsFreeRange(c.queue, c.t, c.t + static_cast<int64_t>(n - 1) * interval);
        }
      }
      Append(total, std::move(part));
    }
    if (ok) ok = BlockFree(total);
    if (!ok) {
      Release(total);
      return false;
    }
    out_plan = std::move(total);
    return true;
  };
  // Streams can limit the interval too (iterations overlapping in flight need more stream
  // groups than the core has): the smallest interval at which the block fits on its own.
  {
    const int64_t far = sched_.FinishCycle() + 4 * kMaxSearch;
    Plan alone;
    while (!try_block(far, ii, alone)) {
      if (++ii > kMaxInterval) {
        throw Error(fmt::format("compiler: {} does not fit config '{}' even alone", what,
                                config_.name));
      }
    }
    Release(alone);
  }
  for (int64_t t0 = std::max<int64_t>(lower_bound, 0); t0 < lower_bound + kMaxSearch; ++t0) {
    if (try_block(t0, ii, out)) return t0;
  }
  throw Error(fmt::format(
      "compiler: cannot place {} on config '{}': no cycle within {} of its earliest ({}, at an "
      "interval of {}) has the queues and streams it needs",
      what, config_.name, kMaxSearch, lower_bound, ii));
}

void Engine::PlaceChain(const ChainRun& run, int begin, int end) {
  const Chain& chain = *run.chain;
  const int n = static_cast<int>(chain.ops.size());
  std::vector<std::optional<uint32_t>> imm(n);
  for (int j = 0; j < n; ++j) {
    for (const ChainOperand* o : {&chain.ops[j].a, &chain.ops[j].b}) {
      if (o->kind == ChainOperand::Kind::kImm) imm[j] = o->imm;
    }
  }
  std::string ops;
  for (const ChainOp& op : chain.ops) {
    ops += fmt::format("{}{}", ops.empty() ? "" : " ", FindOp(op.op)->name);
  }
  const std::string what = fmt::format("{} ({}) over {} iterations", run.name, ops, end - begin);
  // The ALU base with the earliest start.
  Plan best;
  int64_t best_t = -1;
  for (int k0 = 0; k0 + n <= config_.vxm_alus; ++k0) {
    int64_t lb = 0;
    for (int v = begin; v < end; ++v) {
      lb = std::max(lb, ChainLowerBound(run, v, k0) - static_cast<int64_t>(v - begin));
    }
    auto one = [&](int i, int64_t t, Plan& plan) {
      if (!TryChainIteration(run, begin + i, t, k0, plan)) return false;
      for (int j = 0; j < n; ++j) {
        if (!imm[j]) continue;
        // The IMM is set once before the first iteration; the block keeps other work off the
        // ALU until its last one.
        if (i == 0 && !PlanImm(k0 + j, t + j, *imm[j], plan)) return false;
        plan.imm.push_back(ImmEvent{k0 + j, t + j, *imm[j], false});
      }
      return true;
    };
    Plan plan;
    const int64_t t = PlaceBlock(end - begin, lb, one, plan, what);
    if (best_t < 0 || t < best_t) {
      if (best_t >= 0) Release(best);
      best = std::move(plan);
      best_t = t;
    } else {
      Release(plan);
    }
  }
  CommitBlock(best);
  stats_.chains += end - begin;
}

int64_t Engine::ChainLowerBound(const ChainRun& run, int v, int k0) const {
  (void)k0;
  const Chain& chain = *run.chain;
  const int vpos = config_.VxmPosition();
  const int sxm_pos = CoreConfig::SxmPosition();
  int64_t lb = 0;
  // A READ issued at t + off must follow the WRITE of each of its words.
  auto after_writes = [&](const MemTensor& t, int vec, int64_t off) {
    for (int p = 0; p < t.planes; ++p) lb = std::max(lb, mem_.last_write(t.Loc(p, vec)) + 1 - off);
  };
  for (size_t j = 0; j < chain.ops.size(); ++j) {
    const ChainOp& op = chain.ops[j];
    const int64_t arrive = static_cast<int64_t>(j) + 1;
    for (const ChainOperand* o : {&op.a, &op.b}) {
      if (o->kind != ChainOperand::Kind::kStream) continue;
      const StreamSrc& src = run.src.at(o->value);
      if (src.kind == StreamSrc::Kind::kTensor) {
        const MemTensor& t = mem_.tensor(src.tensor);
        after_writes(t, src.idx(v),
                     arrive - isa::kLatReadStreamOut -
                         (vpos - CoreConfig::MemPosition(t.SliceOf(src.idx(v)))));
      } else if (src.kind == StreamSrc::Kind::kAcc) {
        const int64_t off = arrive - isa::kLatAccStreamOut - vpos;
        lb = std::max(lb, acc_ready_[acc_of_(v)] - off);
      } else {
        const int64_t ts = arrive - isa::kLatPermuteStreamOut - (vpos - sxm_pos);
        for (const auto& [id, vec] : {std::pair{src.tensor, src.idx(v)},
                                      std::pair{src.map, src.map_idx(v)}}) {
          const MemTensor& t = mem_.tensor(id);
          after_writes(t, vec,
                       ts + isa::kLatPermuteStreamIn - isa::kLatReadStreamOut -
                           (CoreConfig::MemPosition(t.SliceOf(vec)) - sxm_pos));
        }
      }
    }
    if (op.store) {
      const auto& [tid, idx] = run.dst.at(op.node);
      const MemTensor& t = mem_.tensor(tid);
      const int64_t off = static_cast<int64_t>(j) + isa::kLatVaddStreamOut +
                          (vpos - CoreConfig::MemPosition(t.SliceOf(idx(v)))) -
                          isa::kLatWriteStreamIn;
      for (int p = 0; p < t.planes; ++p) {
        const WordLoc w = t.Loc(p, idx(v));
        lb = std::max(lb, std::max(mem_.last_read(w), mem_.last_write(w) + 1) - off);
      }
    }
  }
  return lb;
}

void Engine::RunGraphRange(const VGraph& g, int begin, int end, int chunk) {
  if (end <= begin) return;
  const auto& nodes = g.nodes();
  // Where each graph output node is stored (its first output).
  std::map<int, const VOutput*> output_of;
  for (const VOutput& o : g.outputs()) output_of.emplace(o.node, &o);
  // The slice of a node's tensor when it is known already (an input or an output), else -1.
  auto known_slice = [&](int node) -> int {
    const VNode& n = nodes[node];
    TensorId id = -1;
    if (n.kind == VNode::Kind::kInput) {
      const StreamSrc& s = g.inputs()[n.input];
      if (s.kind != StreamSrc::Kind::kTensor) return -1;
      id = s.tensor;
    } else if (auto it = output_of.find(node); it != output_of.end()) {
      id = it->second->tensor;
    }
    return id < 0 || !mem_.Realized(id) ? -1 : mem_.tensor(id).slice();
  };
  auto reads_mem_east = [&](int node) {
    const VNode& n = nodes[node];
    return n.kind != VNode::Kind::kInput || g.inputs()[n.input].kind == StreamSrc::Kind::kTensor;
  };
  // Two stream operands read in one cycle from one slice. A temporary of this graph is kept
  // off its partner's slice; two tensors placed elsewhere may collide unless their slices are
  // known to differ, so those are read one cycle apart (VMOV pair) to be safe.
  auto is_temp = [&](int node) {
    return nodes[node].kind == VNode::Kind::kOp && !output_of.contains(node);
  };
  auto conflicting = [&](int x, int y) {
    if (!reads_mem_east(x) || !reads_mem_east(y)) return false;
    if (is_temp(x) || is_temp(y)) return false;
    const int sx = known_slice(x);
    const int sy = known_slice(y);
    return sx < 0 || sy < 0 || sx == sy;
  };
  const Partition part = PartitionGraph(g, config_.vxm_alus, conflicting);

  // The values every chain reads and stores, to keep each temporary off the slices of the
  // other tensors of the chains that touch it (one slice access per chain iteration each, so
  // every queue's part of a chain compresses into one op and a REPEAT).
  std::vector<std::vector<int>> chain_values(part.chains.size());
  for (size_t ci = 0; ci < part.chains.size(); ++ci) {
    for (const ChainOp& op : part.chains[ci].ops) {
      for (const ChainOperand* o : {&op.a, &op.b}) {
        if (o->kind == ChainOperand::Kind::kStream && reads_mem_east(o->value)) {
          chain_values[ci].push_back(o->value);
        }
      }
      if (op.store) chain_values[ci].push_back(op.node);
    }
  }

  // The last chain reading each stored value: its temporary is freed once that chain is placed.
  std::map<int, size_t> last_reader;
  for (size_t ci = 0; ci < part.chains.size(); ++ci) {
    for (int value : chain_values[ci]) last_reader[value] = ci;
  }

  const int step = chunk > 0 ? chunk : end - begin;
  for (int c0 = begin; c0 < end; c0 += step) {
    const int c1 = std::min(end, c0 + step);
    std::map<int, TensorId> temps;
    std::map<int, std::pair<TensorId, IndexMap>> stored_at;
    auto slice_of = [&](int node) {
      if (auto it = temps.find(node); it != temps.end()) return mem_.tensor(it->second).slice();
      return known_slice(node);
    };
    for (int node : part.stored) {
      if (auto it = output_of.find(node); it != output_of.end()) {
        stored_at[node] = {it->second->tensor, it->second->idx};
      }
    }
    // A temporary is allocated when the chain computing it is placed and freed after its last
    // reader, so a chunk holds only the values live across a chain boundary. A deferred output
    // tensor is realized the same way, off the slices of the chains that touch it.
    auto avoid_for = [&](int node) {
      std::vector<int> avoid;
      for (size_t ci = 0; ci < part.chains.size(); ++ci) {
        const auto& vals = chain_values[ci];
        if (std::find(vals.begin(), vals.end(), node) == vals.end()) continue;
        for (int other : vals) {
          const int s = other == node ? -1 : slice_of(other);
          if (s >= 0) avoid.push_back(s);
        }
      }
      return avoid;
    };
    // Slices a value must not share: its partner operand in an op that reads both from
    // streams in one cycle.
    auto must_avoid = [&](int node) {
      std::vector<int> avoid;
      for (const Chain& c : part.chains) {
        for (const ChainOp& op : c.ops) {
          if (op.a.kind != ChainOperand::Kind::kStream ||
              op.b.kind != ChainOperand::Kind::kStream || op.a.value == op.b.value) {
            continue;
          }
          const int other = op.a.value == node ? op.b.value : op.b.value == node ? op.a.value : -1;
          if (other >= 0 && reads_mem_east(other) && slice_of(other) >= 0) {
            avoid.push_back(slice_of(other));
          }
        }
      }
      return avoid;
    };
    auto allocate = [&](int node) {
      const TensorId id =
          mem_.Allocate(fmt::format("tmp{}", node), TypePlanes(nodes[node].type), c1 - c0,
                        avoid_for(node), must_avoid(node));
      temps[node] = id;
      stored_at[node] = {id, IndexMap::Identity(-c0)};
    };
    for (size_t ci = 0; ci < part.chains.size(); ++ci) {
      for (const ChainOp& op : part.chains[ci].ops) {
        if (!op.store) continue;
        if (!stored_at.contains(op.node)) {
          allocate(op.node);
        } else if (const TensorId id = stored_at.at(op.node).first; !mem_.Realized(id)) {
          mem_.Realize(id, avoid_for(op.node), must_avoid(op.node));
        }
      }
      ChainRun run;
      run.name = fmt::format("chain {} of {}", ci, part.chains.size());
      for (const ChainOp& op : part.chains[ci].ops) {
        for (const ChainOperand* o : {&op.a, &op.b}) {
          if (o->kind != ChainOperand::Kind::kStream) continue;
          const VNode& n = nodes[o->value];
          if (n.kind == VNode::Kind::kInput) {
            run.src[o->value] = g.inputs()[n.input];
          } else {
            const auto& [tid, idx] = stored_at.at(o->value);
            run.src[o->value] = StreamSrc::Tensor(tid, idx, n.type);
          }
        }
        if (op.store) run.dst[op.node] = stored_at.at(op.node);
      }
      // Two stream operands that turned out to share a slice (their tensors were placed after
      // the partition) cannot be read in one cycle: split as PartitionGraph would have.
      for (const Chain& piece : SplitConflicts(part.chains[ci], run, c0)) {
        run.chain = &piece;
        PlaceChain(run, c0, c1);
      }
      for (auto it = temps.begin(); it != temps.end();) {
        if (last_reader[it->first] <= ci) {
          mem_.Free(it->second);
          it = temps.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& [node, id] : temps) mem_.Free(id);
  }
}

std::vector<Chain> Engine::SplitConflicts(const Chain& chain, const ChainRun& run, int v) const {
  auto slice = [&](const ChainOperand& o) -> int {
    const StreamSrc& src = run.src.at(o.value);
    if (src.kind != StreamSrc::Kind::kTensor) return -1;
    return mem_.tensor(src.tensor).SliceOf(src.idx(v));
  };
  std::vector<Chain> pieces(1);
  for (const ChainOp& op : chain.ops) {
    const bool clash = op.a.kind == ChainOperand::Kind::kStream &&
                       op.b.kind == ChainOperand::Kind::kStream && op.a.value != op.b.value &&
                       slice(op.a) >= 0 && slice(op.a) == slice(op.b);
    if (!clash) {
      pieces.back().ops.push_back(op);
      continue;
    }
    // b one cycle early through a VMOV on the ALU before (neither operand was PREV, so
    // nothing before the op in its chain feeds it); a new piece when the chain is full.
    if (static_cast<int>(pieces.back().ops.size()) + 2 > config_.vxm_alus) pieces.emplace_back();
    ChainOp mov;
    mov.op = isa::Op::kVmov;
    mov.type = vxm::KindType(vxm::FindVxmOp(op.op)->b, op.type, op.stype);
    mov.a = op.b;
    ChainOp rest = op;
    rest.b = ChainOperand{.kind = ChainOperand::Kind::kPrev};
    pieces.back().ops.push_back(mov);
    pieces.back().ops.push_back(rest);
  }
  if (pieces.size() == 1 && pieces[0].ops.size() == chain.ops.size()) return pieces;
  // Ops after the split point that used PREV keep it: they follow their producer in the same
  // piece. Check that a full piece still fits.
  for (const Chain& p : pieces) {
    if (static_cast<int>(p.ops.size()) > config_.vxm_alus) {
      throw Error("internal: a split chain is longer than the VXM");
    }
  }
  return pieces;
}

// ---- MXM ----

int Engine::TryReadWest(const WordLoc& word, int to, int64_t at, Plan& plan) {
  const int pos = CoreConfig::MemPosition(word.slice);
  const int64_t tr = at - isa::kLatReadStreamOut - (pos - to);
  const int q = CoreConfig::MemQueue(word.slice);
  if (tr < mem_.last_write(word) + 1 || !sched_.IsFree(q, tr)) return -1;
  for (const Claim& c : plan.claims) {
    if (c.queue == q && c.t == tr) return -1;
  }
  const int stream =
      ReserveGroup({Transfer{Dir::kWest, 0, 1, pos, tr + isa::kLatReadStreamOut, to}}, plan);
  if (stream < 0) return -1;
  plan.claims.push_back(Claim{q, tr,
                              Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(word.addr),
                                          static_cast<uint32_t>(stream), Dir::kWest)});
  plan.mem.push_back(MemAccess{word, tr, false});
  return stream;
}

void Engine::LoadTile(const MatmulSpec& spec, int kt, int nt) {
  const int mxmw = CoreConfig::kQueueMxmw;
  if (spec.transposed) {
    LoadTransposedTile(spec, kt, nt);
  } else {
    // The D rows stream in back to back: LW r in t0 + r, its word READ westward in time.
    const int dim = config_.mxm_dim;
    int64_t lb = std::max(last_lw_ + 1, last_iw_ + 1);
    for (int r = 0; r < dim; ++r) {
      const WordLoc w = spec.w(kt, nt, r);
      lb = std::max(lb, mem_.last_write(w) + 1 + isa::kLatReadStreamOut +
                            CoreConfig::MemPosition(w.slice) - isa::kLatLwStreamIn - r);
    }
    auto one = [&](int r, int64_t t, Plan& plan) {
      const int stream =
          TryReadWest(spec.w(kt, nt, r), CoreConfig::MxmPosition(), t + isa::kLatLwStreamIn, plan);
      if (stream < 0) return false;
      plan.claims.push_back(
          Claim{mxmw, t, Instr::Stream(isa::Op::kLw, static_cast<uint32_t>(stream), Dir::kWest)});
      return true;
    };
    Plan plan;
    const int64_t t0 = PlaceBlock(dim, lb, one, plan, fmt::format("{}: LW of tile ({}, {})",
                                                                  spec.name, kt, nt));
    CommitBlock(plan);
    if (first_lw_of_job_ < 0) first_lw_of_job_ = t0;
    for (const Claim& c : plan.claims) {
      if (c.queue == mxmw) last_lw_ = std::max(last_lw_, c.t);
    }
    stats_.lw += dim;
  }
  // Install once the rows are in and the previous tile's last ABC has issued.
  int64_t t = std::max({last_lw_ + 1, last_abc_ + 1, last_iw_ + 1});
  while (!sched_.IsFree(mxmw, t)) ++t;
  sched_.Place(mxmw, t, Instr{.op = isa::Op::kIw});
  last_iw_ = t;
}

// Tile (kt, nt) stored one column per word: its L words are READ westward so that word j is at
// the SXM in tx + 1 + j, a TRANSPOSE issued in tx drives the rows westward in tx + L + 1 + r,
// and LW r samples row r at the MXM one hop on. All L output columns are driven, so all are
// reserved on the way to the MXM.
void Engine::LoadTransposedTile(const MatmulSpec& spec, int kt, int nt) {
  const int mxmw = CoreConfig::kQueueMxmw;
  const int sxm = config_.SxmQueue();
  const int lanes = config_.lanes;
  const int dim = config_.mxm_dim;
  const int sxm_pos = CoreConfig::SxmPosition();
  const int hop_out = sxm_pos - CoreConfig::MxmPosition();
  const int64_t lw0 = config_.TransposeLatency() + hop_out - isa::kLatLwStreamIn;  // LW 0 - tx
  int64_t tx = std::max({next_transpose_, last_lw_ + 1 - lw0, last_iw_ + 1 - lw0, int64_t{0}});
  for (int64_t guard = 0;; ++tx, ++guard) {
    if (guard > kMaxSearch) throw Error("compiler: cannot place a TRANSPOSE weight load");
    if (!sched_.IsFree(sxm, tx)) continue;
    bool lw_free = true;
    for (int r = 0; r < dim && lw_free; ++r) lw_free = sched_.IsFree(mxmw, tx + lw0 + r);
    if (!lw_free) continue;
    Plan plan;
    // The L captured words on one stream.
    int in_stream = -1;
    bool ok = true;
    for (int s = 0; s < config_.streams && in_stream < 0; ++s) {
      Plan trial;
      bool all = true;
      for (int j = 0; j < lanes && all; ++j) {
        const WordLoc w = spec.w(kt, nt, j);
        const int pos = CoreConfig::MemPosition(w.slice);
        const int64_t tr = tx + isa::kLatTransposeStreamIn + j - isa::kLatReadStreamOut -
                           (pos - sxm_pos);
        const int q = CoreConfig::MemQueue(w.slice);
        bool slot = tr >= mem_.last_write(w) + 1 && sched_.IsFree(q, tr);
        for (const Claim& c : trial.claims) slot = slot && !(c.queue == q && c.t == tr);
        Transfer tr_in{Dir::kWest, s, 1, pos, tr + isa::kLatReadStreamOut, sxm_pos};
        if (!slot || !sched_.StreamFree(tr_in)) {
          all = false;
          break;
        }
        sched_.ReserveStream(tr_in);
        trial.transfers.push_back(tr_in);
        trial.claims.push_back(Claim{q, tr,
                                     Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(w.addr),
                                                 static_cast<uint32_t>(s), Dir::kWest)});
        trial.mem.push_back(MemAccess{w, tr, false});
      }
      if (all) {
        in_stream = s;
        plan = std::move(trial);
      } else {
        Release(trial);
      }
    }
    if (in_stream < 0) continue;
    std::vector<Transfer> outs;
    for (int i = 0; i < lanes; ++i) {
      outs.push_back(Transfer{Dir::kWest, 0, 1, sxm_pos, tx + config_.TransposeLatency() + i,
                              CoreConfig::MxmPosition()});
    }
    const int out_stream = ReserveGroup(outs, plan);
    ok = out_stream >= 0;
    if (!ok) {
      Release(plan);
      continue;
    }
    plan.claims.push_back(Claim{sxm, tx,
                                Instr::Transpose(static_cast<uint32_t>(in_stream), Dir::kWest,
                                                 static_cast<uint32_t>(out_stream), Dir::kWest)});
    for (int r = 0; r < dim; ++r) {
      plan.claims.push_back(
          Claim{mxmw, tx + lw0 + r,
                Instr::Stream(isa::Op::kLw, static_cast<uint32_t>(out_stream), Dir::kWest)});
    }
    if (!SlotsFree(plan)) {
      Release(plan);
      continue;
    }
    Commit(plan);
    if (first_lw_of_job_ < 0) first_lw_of_job_ = tx + lw0;
    last_lw_ = tx + lw0 + dim - 1;
    stats_.lw += dim;
    next_transpose_ = tx + lanes;
    return;
  }
}

void Engine::Activate(const MatmulSpec& spec, int m0, int rows, int kt, int acc0) {
  const int mxma = CoreConfig::kQueueMxma;
  // Rows back to back: ABC i in t0 + i into accumulator acc0 + i.
  int64_t lb = std::max(last_abc_ + 1, last_iw_);
  for (int i = 0; i < rows; ++i) {
    const WordLoc x = spec.x(m0 + i, kt);
    lb = std::max(lb, mem_.last_write(x) + 1 + isa::kLatReadStreamOut +
                          CoreConfig::MemPosition(x.slice) - isa::kLatAbcStreamIn - i);
    // A fresh result overwrites an accumulator only after its last drain read it.
    if (kt == 0) lb = std::max(lb, acc_drained_[acc0 + i] + 1 - i);
  }
  auto one = [&](int i, int64_t t, Plan& plan) {
    const int stream =
        TryReadWest(spec.x(m0 + i, kt), CoreConfig::MxmPosition(), t + isa::kLatAbcStreamIn, plan);
    if (stream < 0) return false;
    plan.claims.push_back(Claim{mxma, t,
                                Instr::Addr(isa::Op::kAbc, static_cast<uint32_t>(acc0 + i),
                                            static_cast<uint32_t>(stream), Dir::kWest,
                                            /*flag=*/kt > 0)});
    return true;
  };
  Plan plan;
  PlaceBlock(rows, lb, one, plan, fmt::format("{}: ABC of rows {}..{}, K tile {}", spec.name, m0,
                                              m0 + rows - 1, kt));
  CommitBlock(plan);
  for (const Claim& c : plan.claims) {
    if (c.queue != mxma) continue;
    last_abc_ = std::max(last_abc_, c.t);
    acc_ready_[c.instr.addr] = c.t + isa::kLatAbcAccWrite;
    ++stats_.abc;
  }
}

void Engine::RunMatmul(const MatmulSpec& spec,
                       const std::function<const VGraph&(int nt)>& epilogue, int chunk) {
  if (spec.rows <= 0 || spec.tiles_k <= 0 || spec.tiles_n <= 0) return;
  // Two halves of the accumulators take turns, so the next tile's ABCs never wait for the
  // drains of the last one.
  const int half = std::max(1, config_.acc_depth / 2);
  const int block = std::min(spec.rows, half);
  int parity = 0;
  first_lw_of_job_ = -1;
  for (int m0 = 0; m0 < spec.rows; m0 += block) {
    const int rows = std::min(block, spec.rows - m0);
    for (int nt = 0; nt < spec.tiles_n; ++nt) {
      const int base = config_.acc_depth >= 2 ? parity * half : 0;
      parity ^= 1;
      for (int kt = 0; kt < spec.tiles_k; ++kt) {
        LoadTile(spec, kt, nt);
        Activate(spec, m0, rows, kt, base);
      }
      const int u0 = nt * spec.rows + m0;
      acc_of_ = [=](int u) { return base + (u - u0); };
      RunGraphRange(epilogue(nt), u0, u0 + rows, chunk);
    }
  }
  if (first_lw_of_job_ >= 0) stats_.matmul_cycles += last_abc_ + 1 - first_lw_of_job_;
}

}  // namespace tinylpu
