// Engine: cycle-exact placement of VXM chains, MXM matmuls and SXM permutes.
#include "sw/compiler/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <optional>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// How far beyond its lower bound the engine looks for a free cycle before it gives up: far
// more than any legal placement needs, so hitting it means the work can never fit (a stream
// group wider than the core has, say).
constexpr int64_t kMaxSearch = 200000;

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
  for (int base = 0; base + width <= config_.streams; ++base) {
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
        std::vector<Transfer> trs;
        std::vector<std::pair<WordLoc, int64_t>> reads;
        for (int p = 0; p < tensor.planes; ++p) {
          const WordLoc w = tensor.Loc(p, vec);
          const int pos = CoreConfig::MemPosition(w.slice);
          const int64_t tr = arrive - isa::kLatReadStreamOut - (vpos - pos);
          if (tr < mem_.last_write(w) + 1) return -1;
          reads.emplace_back(w, tr);
          trs.push_back(Transfer{Dir::kEast, p, 1, pos, tr + isa::kLatReadStreamOut, vpos});
        }
        const int base = ReserveGroup(trs, plan);
        if (base < 0) return -1;
        for (int p = 0; p < tensor.planes; ++p) {
          const auto& [w, tr] = reads[p];
          plan.claims.push_back(Claim{CoreConfig::MemQueue(w.slice), tr,
                                      Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(w.addr),
                                                  static_cast<uint32_t>(base + p), Dir::kEast)});
          plan.mem.push_back(MemAccess{w, tr, false});
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
        // Source planes and the map, READ westward so that they are at the SXM in ts + 1.
        std::vector<Transfer> trs;
        std::vector<std::pair<WordLoc, int64_t>> reads;
        auto west = [&](const WordLoc& w, int stream) -> bool {
          const int pos = CoreConfig::MemPosition(w.slice);
          const int64_t tr = ts + isa::kLatPermuteStreamIn - isa::kLatReadStreamOut - (pos - sxm_pos);
          if (tr < mem_.last_write(w) + 1) return false;
          reads.emplace_back(w, tr);
          trs.push_back(Transfer{Dir::kWest, stream, 1, pos, tr + isa::kLatReadStreamOut, sxm_pos});
          return true;
        };
        for (int p = 0; p < tensor.planes; ++p) {
          if (!west(tensor.Loc(p, src.idx(v)), p)) return -1;
        }
        const int a_base = ReserveGroup(trs, plan);
        if (a_base < 0) return -1;
        std::vector<std::pair<WordLoc, int64_t>> src_reads = reads;
        trs.clear();
        reads.clear();
        if (!west(map.Loc(0, src.map_idx(v)), 0)) return -1;
        const int m_base = ReserveGroup(trs, plan);
        if (m_base < 0) return -1;
        const int out = ReserveGroup(
            {Transfer{Dir::kEast, 0, tensor.planes, sxm_pos, ts + isa::kLatPermuteStreamOut, vpos}},
            plan);
        if (out < 0) return -1;
        for (int p = 0; p < tensor.planes; ++p) {
          const auto& [w, tr] = src_reads[p];
          plan.claims.push_back(Claim{CoreConfig::MemQueue(w.slice), tr,
                                      Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(w.addr),
                                                  static_cast<uint32_t>(a_base + p), Dir::kWest)});
          plan.mem.push_back(MemAccess{w, tr, false});
        }
        const auto& [mw, mtr] = reads[0];
        plan.claims.push_back(Claim{CoreConfig::MemQueue(mw.slice), mtr,
                                    Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(mw.addr),
                                                static_cast<uint32_t>(m_base), Dir::kWest)});
        plan.mem.push_back(MemAccess{mw, mtr, false});
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
      std::vector<Transfer> trs;
      std::vector<std::pair<WordLoc, int64_t>> writes;
      for (int p = 0; p < tensor.planes; ++p) {
        const WordLoc w = tensor.Loc(p, vec);
        const int pos = CoreConfig::MemPosition(w.slice);
        const int64_t drive = tj + isa::kLatVaddStreamOut;
        const int64_t tw = drive + (vpos - pos) - isa::kLatWriteStreamIn;
        if (tw < std::max(mem_.last_read(w), mem_.last_write(w) + 1)) {
          ok = false;
          break;
        }
        writes.emplace_back(w, tw);
        trs.push_back(Transfer{Dir::kWest, p, 1, vpos, drive, pos});
      }
      if (!ok) break;
      const int base = ReserveGroup(trs, plan);
      if (base < 0) {
        ok = false;
        break;
      }
      for (int p = 0; p < tensor.planes; ++p) {
        const auto& [w, tw] = writes[p];
        plan.claims.push_back(Claim{CoreConfig::MemQueue(w.slice), tw,
                                    Instr::Addr(isa::Op::kWrite, static_cast<uint32_t>(w.addr),
                                                static_cast<uint32_t>(base + p), Dir::kWest)});
        plan.mem.push_back(MemAccess{w, tw, true});
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

void Engine::PlaceChain(const ChainRun& run, int begin, int end) {
  const Chain& chain = *run.chain;
  const int n = static_cast<int>(chain.ops.size());
  // IMM of each op, if it reads one.
  std::vector<std::optional<uint32_t>> imm(n);
  for (int j = 0; j < n; ++j) {
    for (const ChainOperand* o : {&chain.ops[j].a, &chain.ops[j].b}) {
      if (o->kind == ChainOperand::Kind::kImm) imm[j] = o->imm;
    }
  }
  auto try_at = [&](int v, int64_t t, int k0, Plan& plan) -> bool {
    if (!TryChainIteration(run, v, t, k0, plan)) return false;
    for (int j = 0; j < n; ++j) {
      if (!imm[j]) continue;
      if (!PlanImm(k0 + j, t + j, *imm[j], plan)) {
        Release(plan);
        return false;
      }
      plan.imm.push_back(ImmEvent{k0 + j, t + j, *imm[j], false});
    }
    if (!SlotsFree(plan)) {
      Release(plan);
      return false;
    }
    return true;
  };

  int k0 = -1;
  int64_t last_t = -1;
  for (int v = begin; v < end; ++v) {
    const bool first = v == begin;
    Plan plan;
    int64_t best_t = -1;
    int best_k0 = -1;
    const int k_lo = first ? 0 : k0;
    const int k_hi = first ? config_.vxm_alus - n : k0;
    for (int k = k_lo; k <= k_hi; ++k) {
      const int64_t start = std::max<int64_t>(ChainLowerBound(run, v, k), last_t + 1);
      for (int64_t t = start; t < start + kMaxSearch; ++t) {
        if (best_t >= 0 && t >= best_t) break;
        Plan candidate;
        if (try_at(v, t, k, candidate)) {
          if (best_t >= 0) Release(plan);
          plan = std::move(candidate);
          best_t = t;
          best_k0 = k;
          break;
        }
      }
    }
    if (best_t < 0) {
      std::string ops;
      for (const ChainOp& op : chain.ops) {
        ops += fmt::format("{}{}", ops.empty() ? "" : " ", FindOp(op.op)->name);
      }
      throw Error(fmt::format(
          "compiler: cannot place iteration {} of {} ({}) on config '{}': no cycle within {} of "
          "its earliest has the queues and streams it needs",
          v, run.name, ops, config_.name, kMaxSearch));
    }
    Commit(plan);
    ++stats_.chains;
    k0 = best_k0;
    last_t = best_t;
  }
}

int64_t Engine::ChainLowerBound(const ChainRun& run, int v, int k0) const {
  (void)k0;
  const Chain& chain = *run.chain;
  const int vpos = config_.VxmPosition();
  int64_t lb = 0;
  for (size_t j = 0; j < chain.ops.size(); ++j) {
    const ChainOp& op = chain.ops[j];
    for (const ChainOperand* o : {&op.a, &op.b}) {
      if (o->kind != ChainOperand::Kind::kStream) continue;
      const StreamSrc& src = run.src.at(o->value);
      if (src.kind == StreamSrc::Kind::kTensor) {
        const MemTensor& tensor = mem_.tensor(src.tensor);
        for (int p = 0; p < tensor.planes; ++p) {
          const WordLoc w = tensor.Loc(p, src.idx(v));
          // READ at t + j + 1 - 2 - (vpos - pos) >= last_write + 1.
          const int64_t off = static_cast<int64_t>(j) + 1 - isa::kLatReadStreamOut -
                              (vpos - CoreConfig::MemPosition(w.slice));
          lb = std::max(lb, mem_.last_write(w) + 1 - off);
        }
      } else if (src.kind == StreamSrc::Kind::kAcc) {
        const int64_t off = static_cast<int64_t>(j) + 1 - isa::kLatAccStreamOut - vpos;
        lb = std::max(lb, acc_ready_[acc_of_(v)] - off);
      }
    }
    if (op.store) {
      const auto& [tid, idx] = run.dst.at(op.node);
      const MemTensor& tensor = mem_.tensor(tid);
      for (int p = 0; p < tensor.planes; ++p) {
        const WordLoc w = tensor.Loc(p, idx(v));
        const int64_t off = static_cast<int64_t>(j) + isa::kLatVaddStreamOut +
                            (vpos - CoreConfig::MemPosition(w.slice)) - isa::kLatWriteStreamIn;
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
  auto known_slices = [&](int node) -> std::vector<int> {
    const VNode& n = nodes[node];
    TensorId id = -1;
    if (n.kind == VNode::Kind::kInput) {
      const StreamSrc& s = g.inputs()[n.input];
      if (s.kind != StreamSrc::Kind::kTensor) return {};
      id = s.tensor;
    } else if (auto it = output_of.find(node); it != output_of.end()) {
      id = it->second->tensor;
    }
    if (id < 0) return {};
    const MemTensor& t = mem_.tensor(id);
    return std::vector<int>(t.slice.begin(), t.slice.begin() + t.planes);
  };
  auto reads_mem_east = [&](int node) {
    const VNode& n = nodes[node];
    return n.kind != VNode::Kind::kInput || g.inputs()[n.input].kind == StreamSrc::Kind::kTensor;
  };
  auto conflicting = [&](int x, int y) {
    if (!reads_mem_east(x) || !reads_mem_east(y)) return false;
    const std::vector<int> sx = known_slices(x);
    const std::vector<int> sy = known_slices(y);
    if (sx.empty() || sy.empty()) {
      return TypePlanes(nodes[x].type) + TypePlanes(nodes[y].type) > config_.mem_slices;
    }
    for (int s : sx) {
      if (std::find(sy.begin(), sy.end(), s) != sy.end()) return true;
    }
    return false;
  };
  const Partition part = PartitionGraph(g, config_.vxm_alus, conflicting);

  // The other stream operand of every op reading a stored value, to keep temporaries off its
  // slices.
  std::map<int, std::vector<int>> partners;
  for (const Chain& c : part.chains) {
    for (const ChainOp& op : c.ops) {
      if (op.a.kind == ChainOperand::Kind::kStream && op.b.kind == ChainOperand::Kind::kStream &&
          op.a.value != op.b.value) {
        partners[op.a.value].push_back(op.b.value);
        partners[op.b.value].push_back(op.a.value);
      }
    }
  }

  const int step = chunk > 0 ? chunk : end - begin;
  for (int c0 = begin; c0 < end; c0 += step) {
    const int c1 = std::min(end, c0 + step);
    std::map<int, TensorId> temps;
    std::map<int, std::pair<TensorId, IndexMap>> stored_at;
    for (int node : part.stored) {
      if (auto it = output_of.find(node); it != output_of.end()) {
        stored_at[node] = {it->second->tensor, it->second->idx};
        continue;
      }
      std::vector<int> avoid;
      for (int other : partners[node]) {
        std::vector<int> s = known_slices(other);
        if (auto it = temps.find(other); it != temps.end()) {
          const MemTensor& t = mem_.tensor(it->second);
          s.assign(t.slice.begin(), t.slice.begin() + t.planes);
        }
        avoid.insert(avoid.end(), s.begin(), s.end());
      }
      const TensorId id = mem_.Allocate(fmt::format("tmp{}", node), TypePlanes(nodes[node].type),
                                        c1 - c0, avoid);
      temps[node] = id;
      stored_at[node] = {id, IndexMap::Identity(-c0)};
    }
    for (size_t ci = 0; ci < part.chains.size(); ++ci) {
      ChainRun run;
      run.chain = &part.chains[ci];
      run.name = fmt::format("chain {} of {}", ci, part.chains.size());
      for (const ChainOp& op : run.chain->ops) {
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
      PlaceChain(run, c0, c1);
    }
    for (const auto& [node, id] : temps) mem_.Free(id);
  }
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
  if (spec.transposed) {
    LoadTransposedTile(spec, kt, nt);
  } else {
    const int mxmw = CoreConfig::kQueueMxmw;
    for (int r = 0; r < config_.mxm_dim; ++r) {
      const WordLoc w = spec.w(kt, nt, r);
      int64_t t = std::max({last_lw_ + 1, last_iw_ + 1,
                            mem_.last_write(w) + 1 + isa::kLatReadStreamOut +
                                CoreConfig::MemPosition(w.slice) - isa::kLatLwStreamIn});
      for (int64_t guard = 0;; ++t, ++guard) {
        if (guard > kMaxSearch) throw Error("compiler: cannot place an LW (no free stream)");
        if (!sched_.IsFree(mxmw, t)) continue;
        Plan plan;
        const int stream = TryReadWest(w, CoreConfig::MxmPosition(), t + isa::kLatLwStreamIn, plan);
        if (stream < 0) {
          Release(plan);
          continue;
        }
        plan.claims.push_back(
            Claim{mxmw, t, Instr::Stream(isa::Op::kLw, static_cast<uint32_t>(stream), Dir::kWest)});
        Commit(plan);
        last_lw_ = t;
        if (first_lw_of_job_ < 0) first_lw_of_job_ = t;
        ++stats_.lw;
        break;
      }
    }
  }
  // Install once the rows are in and the previous tile's last ABC has issued.
  const int mxmw = CoreConfig::kQueueMxmw;
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

void Engine::Activate(const MatmulSpec& spec, int m, int kt, int acc) {
  const int mxma = CoreConfig::kQueueMxma;
  const WordLoc x = spec.x(m, kt);
  int64_t t = std::max({last_abc_ + 1, last_iw_,
                        mem_.last_write(x) + 1 + isa::kLatReadStreamOut +
                            CoreConfig::MemPosition(x.slice) - isa::kLatAbcStreamIn});
  // A fresh result overwrites the accumulator only after its last drain read it.
  if (kt == 0) t = std::max(t, acc_drained_[acc] + 1);
  for (int64_t guard = 0;; ++t, ++guard) {
    if (guard > kMaxSearch) throw Error("compiler: cannot place an ABC (no free stream)");
    if (!sched_.IsFree(mxma, t)) continue;
    Plan plan;
    const int stream = TryReadWest(x, CoreConfig::MxmPosition(), t + isa::kLatAbcStreamIn, plan);
    if (stream < 0) {
      Release(plan);
      continue;
    }
    plan.claims.push_back(Claim{mxma, t,
                                Instr::Addr(isa::Op::kAbc, static_cast<uint32_t>(acc),
                                            static_cast<uint32_t>(stream), Dir::kWest,
                                            /*flag=*/kt > 0)});
    Commit(plan);
    last_abc_ = t;
    acc_ready_[acc] = t + isa::kLatAbcAccWrite;
    ++stats_.abc;
    return;
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
        for (int m = 0; m < rows; ++m) Activate(spec, m0 + m, kt, base + m);
      }
      const int u0 = nt * spec.rows + m0;
      acc_of_ = [=](int u) { return base + (u - u0); };
      RunGraphRange(epilogue(nt), u0, u0 + rows, chunk);
    }
  }
  if (first_lw_of_job_ >= 0) stats_.matmul_cycles += last_abc_ + 1 - first_lw_of_job_;
}

}  // namespace tinylpu
