// Constrained-random program generator: cell-occupancy model, instruction classes, error makers.
#include "sw/verif/random_program.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>

#include "sw/asm/assembler.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu::verif {
namespace {

int64_t FieldMax(isa::Op op, std::string_view field) {
  return FindField(FormatOf(*FindOp(op)), field)->max;
}

// Slice ops (not ICU control ops) of the ISA tables that queue q may issue.
std::vector<isa::Op> SliceOps(const CoreConfig& config, int q) {
  std::vector<isa::Op> ops;
  for (const isa::OpInfo& info : isa::kOps) {
    if (info.unit == config.QueueUnit(q) && !IsControl(info.op)) ops.push_back(info.op);
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Custom classes: one function each. A class places instructions that the generic per-op
// placement cannot (a multi-op idiom, a unit with its own occupancy rule) and is drawn with
// weight "custom:<name>". Add an entry to kCustomClasses to register one.
// ---------------------------------------------------------------------------------------------

// MXM weight load: MxmDim READ -> LW transfers in a row (every slice that can reach the MXM
// westward), then IW. Exercises the LW row pointer wrap and the install.
bool PlaceWeightLoad(GenContext& ctx, int q) {
  const CoreConfig& c = ctx.config();
  const int mxmw = CoreConfig::kQueueMxmw;
  if (q != mxmw) return false;
  int placed = 0;
  for (int k = 0; k < c.mxm_dim; ++k) {
    const int slice = ctx.Uniform(0, c.mem_slices - 1);
    Instr read = ctx.RandomOp(CoreConfig::MemQueue(slice), isa::Op::kRead);
    read.dir = Dir::kWest;
    read.stride = 0;
    Instr lw = ctx.RandomOp(mxmw, isa::Op::kLw);
    if (ctx.Route(CoreConfig::MemQueue(slice), read, mxmw, lw, 0, 6)) ++placed;
  }
  if (placed == 0) return false;
  ctx.Issue(mxmw, Instr{.op = isa::Op::kIw});
  return true;
}

bool OnMxmw(const CoreConfig&, int q) { return q == CoreConfig::kQueueMxmw; }

constexpr OpClass kCustomClasses[] = {
    {"weight_load", OnMxmw, PlaceWeightLoad, 2},
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

// Units whose ops the generic placement cannot yet make legal (operand ranges, busy times
// beyond the ISA tables): their ops get weight 0 unless LPU_GEN_WEIGHTS names them, until a
// constraint (TryIssue) and, where needed, a custom class cover them.
constexpr isa::Unit kUnitsWithoutConstraints[] = {isa::Unit::kSxm, isa::Unit::kVxm};
// Single ops likewise: CONFIG (legal on VXM queues only), IFETCH (needs instruction words in
// MEM), GATHER and SCATTER (index vectors and bank timing). RtlModelDiffTest covers them.
constexpr std::string_view kOpsWithoutConstraints[] = {"CONFIG", "IFETCH", "GATHER", "SCATTER"};

int GenWeights::OpWeight(std::string_view name) const {
  auto it = op.find(name);
  if (it != op.end()) return it->second;
  const isa::OpInfo* info = FindOpByName(name);
  for (isa::Unit u : kUnitsWithoutConstraints) {
    if (info != nullptr && info->unit == u) return 0;
  }
  for (std::string_view o : kOpsWithoutConstraints) {
    if (name == o) return 0;
  }
  return op_default;
}

void GenWeights::Apply(std::string_view overrides) {
  size_t pos = 0;
  while (pos < overrides.size()) {
    size_t end = overrides.find(',', pos);
    if (end == std::string_view::npos) end = overrides.size();
    std::string_view item = overrides.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw Error(fmt::format("generator weights: '{}' is not key=value", item));
    }
    const std::string key(item.substr(0, eq));
    const std::string value(item.substr(eq + 1));
    char* rest = nullptr;
    const long w = std::strtol(value.c_str(), &rest, 10);
    if (value.empty() || *rest != '\0' || w < 0) {
      throw Error(fmt::format("generator weights: '{}' needs a weight >= 0", item));
    }
    const int weight = static_cast<int>(w);
    if (key == "nop") {
      nop = weight;
    } else if (key == "repeat") {
      repeat = weight;
    } else if (key == "sync") {
      sync = weight;
    } else if (key == "notify") {
      notify = weight;
    } else if (key == "op") {
      op_default = weight;
    } else if (key.starts_with("custom:")) {
      const std::string name = key.substr(7);
      bool known = false;
      for (const OpClass& c : kCustomClasses) known = known || c.name == name;
      if (!known) throw Error(fmt::format("generator weights: no custom class '{}'", name));
      custom[name] = weight;
    } else if (const isa::OpInfo* info = FindOpByName(key);
               info != nullptr && !IsControl(info->op)) {
      op[std::string(info->name)] = weight;
    } else {
      throw Error(fmt::format(
          "generator weights: unknown key '{}' (nop, repeat, sync, notify, op, a slice op name "
          "or custom:<class>)",
          key));
    }
  }
}

GenWeights GenWeights::FromEnv() {
  GenWeights w;
  if (const char* env = std::getenv("LPU_GEN_WEIGHTS"); env != nullptr) w.Apply(env);
  return w;
}

uint64_t SeedFromEnv(uint64_t fallback) {
  const char* env = std::getenv("LPU_SEED");
  return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 0) : fallback;
}

// ---------------------------------------------------------------------------------------------
// RandomCase
// ---------------------------------------------------------------------------------------------

void RandomCase::Load(HostBus& bus) const {
  for (const MemInit& m : mem) WriteMemWord(bus, m.slice, m.word, m.lanes);
  for (size_t q = 0; q < words.size(); ++q) {
    for (size_t i = 0; i < words[q].size(); ++i) {
      bus.Write(QueueAddr(static_cast<int>(q), static_cast<int>(i)), words[q][i]);
    }
    bus.Write(RegAddr(isa::kHostRegQlen + static_cast<uint32_t>(q)),
              static_cast<uint32_t>(words[q].size()));
  }
}

std::string RandomCase::Listing(const CoreConfig& config) const {
  std::string out;
  for (size_t q = 0; q < words.size(); ++q) {
    if (words[q].empty()) continue;
    out += fmt::format(".queue {}\n", config.QueueName(static_cast<int>(q)));
    for (uint32_t w : words[q]) {
      auto instr = Decode(w);
      out +=
          instr ? fmt::format("  {}\n", FormatInstr(*instr)) : fmt::format("  .word {:#010x}\n", w);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// GenContext
// ---------------------------------------------------------------------------------------------

GenContext::GenContext(const CoreConfig& config, std::mt19937_64& rng, const GenOptions& options)
    : config_(config),
      rng_(rng),
      options_(options),
      queues_(config.num_queues()),
      now_(config.num_queues(), 0),
      has_last_(config.num_queues(), false),
      last_(config.num_queues()),
      route_end_(config.num_queues()) {}

int GenContext::Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

bool GenContext::Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

void GenContext::AppendControl(int q, const Instr& instr) {
  queues_[q].push_back(instr);
  now_[q] += Duration(instr);
  route_end_[q] = {};
}

void GenContext::GapTo(int q, int64_t cycle) {
  const int64_t max = FieldMax(isa::Op::kNop, "n");
  while (now_[q] < cycle)
    AppendControl(q, Instr::Nop(static_cast<uint32_t>(std::min(max, cycle - now_[q]))));
}

Instr GenContext::RandomOp(int q, isa::Op op) {
  const isa::OpInfo& info = *FindOp(op);
  Instr instr{.op = op};
  if (HasField(op, "addr")) {
    const int limit = config_.AddrLimit(q);
    const int pick = Uniform(0, 99);
    int addr = pick < 70   ? Uniform(0, std::min(7, limit - 1))
               : pick < 85 ? limit - 1 - Uniform(0, std::min(2, limit - 1))
                           : Uniform(0, limit - 1);
    instr.addr = static_cast<uint32_t>(addr);
  }
  if (HasField(op, "stride") && Chance(0.5)) instr.stride = Uniform(-3, 3);
  // A flag that widens the op to a stream group (READ/WRITE `quad`) needs aligned addresses and
  // four-stream bookkeeping the generic placement does not do yet; such ops stay single-word.
  if (HasField(op, "flag") && info.flag_group == 0) instr.flag = Chance(0.5);
  if (HasField(op, "stream")) {
    const int group = std::max(1, info.group);
    const int top = config_.streams - group;
    const int pick = Uniform(0, 9);
    instr.stream = static_cast<uint32_t>(pick < 3 ? 0 : pick < 5 ? top : Uniform(0, top));
  }
  if (HasField(op, "dir")) instr.dir = Chance(0.5) ? Dir::kWest : Dir::kEast;
  return instr;
}

void GenContext::Rollback(const Mark& mark) {
  while (drive_log_.size() > mark.drives) {
    drives_.erase(drive_log_.back());
    drive_log_.pop_back();
  }
  while (written_log_.size() > mark.written) {
    written_.erase(written_log_.back());
    written_log_.pop_back();
  }
  while (reserved_log_.size() > mark.reserved) {
    reserved_.erase(reserved_log_.back());
    reserved_log_.pop_back();
  }
}

// ACC reads accumulator a at t + acc_read; the ABC that writes a must have landed by then
// (docs/architecture.md: an ACC issues at least 3 cycles after the ABC).
bool GenContext::AccRuleOk(int /*q*/, int64_t t, const Instr& instr) const {
  if (instr.op != isa::Op::kAcc) return true;
  auto it = abc_issue_.find(instr.addr);
  return it == abc_issue_.end() || t + isa::kLatAccAccRead > it->second + isa::kLatAbcAccWrite;
}

bool GenContext::TryIssue(int q, int64_t t, const Instr& instr) {
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr || IsControl(instr.op) || info->unit != config_.QueueUnit(q)) return false;
  if (HasField(instr.op, "addr") && instr.addr >= static_cast<uint32_t>(config_.AddrLimit(q))) {
    return false;
  }
  const int group = info->group;
  if (group > 0 && static_cast<int>(instr.stream) + group > config_.streams) return false;
  if (!AccRuleOk(q, t, instr)) return false;
  last_producer_id_ = 0;
  if (info->stream_out > 0) {
    const int pos = config_.QueuePosition(q);
    const int64_t c0 = t + info->stream_out;
    const int id = next_id_++;
    for (int s = static_cast<int>(instr.stream); s < static_cast<int>(instr.stream) + group; ++s) {
      const Cell drive{pos, instr.dir, s, c0};
      const Cell hit{pos + Step(instr.dir), instr.dir, s, c0 + 1};
      if (drives_.contains(drive)) return false;  // a second writer in the same cycle
      if (InRow(hit.pos) && reserved_.contains(hit) && reserved_.at(hit) != id) return false;
    }
    for (int s = static_cast<int>(instr.stream); s < static_cast<int>(instr.stream) + group; ++s) {
      const Cell drive{pos, instr.dir, s, c0};
      const Cell hit{pos + Step(instr.dir), instr.dir, s, c0 + 1};
      drives_[drive] = id;
      drive_log_.push_back(drive);
      if (InRow(hit.pos)) {
        written_[hit] = id;
        written_log_.push_back(hit);
      }
    }
    last_producer_id_ = id;
  }
  return true;
}

void GenContext::IssueAt(int q, int64_t t, const Instr& instr) {
  if (instr.op == isa::Op::kAbc) abc_issue_[instr.addr] = t;
  has_last_[q] = true;
  last_[q] = instr;
}

bool GenContext::Issue(int q, const Instr& instr) {
  if (!TryIssue(q, now_[q], instr)) return false;
  IssueAt(q, now_[q], instr);
  queues_[q].push_back(instr);
  now_[q] += 1;
  route_end_[q] = {};
  return true;
}

// The value driven at `from` in `drive_cycle` must reach `to` untouched: no other drive writes
// the cells after its first hop.
bool GenContext::Carry(int from, Dir dir, int stream, int64_t drive_cycle, int to, int id) {
  const int step = Step(dir);
  const int hops = (to - from) * step;
  if (hops < 1) return false;
  for (int k = 2; k <= hops; ++k) {
    const Cell cell{from + k * step, dir, stream, drive_cycle + k};
    if (written_.contains(cell)) return false;
  }
  for (int k = 1; k <= hops; ++k) {
    const Cell cell{from + k * step, dir, stream, drive_cycle + k};
    if (!reserved_.contains(cell)) {
      reserved_[cell] = id;
      reserved_log_.push_back(cell);
    }
  }
  return true;
}

bool GenContext::Route(int pq, Instr p, int cq, Instr c, int plane, int max_gap) {
  if (pq == cq) return false;
  const isa::OpInfo& pi = *FindOp(p.op);
  const isa::OpInfo& ci = *FindOp(c.op);
  if (pi.stream_out <= 0 || ci.stream_in <= 0) return false;
  const int from = config_.QueuePosition(pq);
  const int to = config_.QueuePosition(cq);
  if (from == to) return false;
  p.dir = to > from ? Dir::kEast : Dir::kWest;
  c.dir = p.dir;
  const int pgroup = std::max(1, pi.group);
  const int cgroup = std::max(1, ci.group);
  if (cgroup != pgroup && cgroup != 1) return false;
  if (cgroup == pgroup) plane = 0;
  c.stream = p.stream + static_cast<uint32_t>(plane);
  const int hops = std::abs(to - from);
  const int64_t tp = std::max(now_[pq], now_[cq] - pi.stream_out - hops + ci.stream_in);
  const int64_t tc = tp + pi.stream_out + hops - ci.stream_in;
  if (tp - now_[pq] > max_gap || tc - now_[cq] > max_gap) return false;
  const Mark mark = Checkpoint();
  if (!TryIssue(pq, tp, p)) {
    Rollback(mark);
    return false;
  }
  const int id = last_producer_id_;
  bool ok = true;
  for (int s = 0; s < cgroup && ok; ++s) {
    ok = Carry(from, p.dir, static_cast<int>(c.stream) + s, tp + pi.stream_out, to, id);
  }
  // The consumer's own rule (ACC after ABC) sees the producer as issued.
  if (ok) ok = TryIssue(cq, tc, c);
  if (!ok) {
    Rollback(mark);
    return false;
  }
  GapTo(pq, tp);
  IssueAt(pq, tp, p);
  queues_[pq].push_back(p);
  now_[pq] = tp + 1;
  GapTo(cq, tc);
  IssueAt(cq, tc, c);
  queues_[cq].push_back(c);
  now_[cq] = tc + 1;
  route_end_[pq] = {pq, cq, plane};
  route_end_[cq] = {pq, cq, plane};
  return true;
}

namespace {

// The instruction re-issued k times: addr advanced by k strides (nullopt when it leaves the
// field, which the ISA treats as out of range).
std::optional<Instr> Strided(const Instr& instr, int k) {
  if (!HasField(instr.op, "addr")) return instr;
  const int64_t addr = static_cast<int64_t>(instr.addr) + int64_t{k} * instr.stride;
  if (addr < 0 || addr > FieldMax(instr.op, "addr")) return std::nullopt;
  Instr out = instr;
  out.addr = static_cast<uint32_t>(addr);
  return out;
}

}  // namespace

bool GenContext::Repeat(int q, uint32_t n, uint32_t d) {
  const Instr rep = Instr::Repeat(n, d);
  if (!has_last_[q]) {  // a REPEAT before any issue re-issues nothing
    AppendControl(q, rep);
    return true;
  }
  const RouteEnd end = route_end_[q];
  if (end.pq >= 0 && route_end_[end.pq].cq == end.cq && route_end_[end.cq].pq == end.pq &&
      Chance(0.8) && PairedRepeat(q, n, d)) {
    return true;
  }
  const Mark mark = Checkpoint();
  const auto abc = abc_issue_;
  const int64_t tf = now_[q];
  Instr cur = last_[q];
  for (uint32_t k = 1; k <= n; ++k) {
    const int64_t t = tf + int64_t{k} * d - 1;
    auto next = Strided(cur, 1);
    if (!next || !TryIssue(q, t, *next)) {
      Rollback(mark);
      abc_issue_ = abc;
      return false;
    }
    cur = *next;
    IssueAt(q, t, cur);
  }
  queues_[q].push_back(rep);
  now_[q] = tf + int64_t{n} * d;
  route_end_[q] = {};
  return true;
}

// Both ends of a routed pair repeat with the same n and d, so every re-issued value reaches its
// re-issued consumer.
bool GenContext::PairedRepeat(int q, uint32_t n, uint32_t d) {
  const RouteEnd end = route_end_[q];
  const int pq = end.pq;
  const int cq = end.cq;
  const isa::OpInfo& pi = *FindOp(last_[pq].op);
  const isa::OpInfo& ci = *FindOp(last_[cq].op);
  const int from = config_.QueuePosition(pq);
  const int to = config_.QueuePosition(cq);
  const int cgroup = std::max(1, ci.group);
  const Mark mark = Checkpoint();
  const auto abc = abc_issue_;
  const Instr last_p = last_[pq];
  const Instr last_c = last_[cq];
  Instr p = last_p;
  Instr c = last_c;
  bool ok = true;
  for (uint32_t k = 1; k <= n && ok; ++k) {
    const int64_t tp = now_[pq] + int64_t{k} * d - 1;
    const int64_t tc = now_[cq] + int64_t{k} * d - 1;
    auto np = Strided(p, 1);
    auto nc = Strided(c, 1);
    ok = np && nc && TryIssue(pq, tp, *np);
    const int id = last_producer_id_;
    for (int s = 0; s < cgroup && ok; ++s) {
      ok = Carry(from, np->dir, static_cast<int>(nc->stream) + s, tp + pi.stream_out, to, id);
    }
    ok = ok && TryIssue(cq, tc, *nc);
    if (ok) {
      p = *np;
      c = *nc;
      IssueAt(pq, tp, p);
      IssueAt(cq, tc, c);
    }
  }
  if (!ok) {
    Rollback(mark);
    abc_issue_ = abc;
    last_[pq] = last_p;
    last_[cq] = last_c;
    return false;
  }
  for (int side : {pq, cq}) {
    queues_[side].push_back(Instr::Repeat(n, d));
    now_[side] += int64_t{n} * d;
  }
  route_end_[pq] = {pq, cq, end.plane};
  route_end_[cq] = {pq, cq, end.plane};
  return true;
}

bool GenContext::Barrier(int q) {
  const int nq = config_.num_queues();
  const int64_t a = now_[q];
  const int64_t b = a + (Chance(0.3) ? 0 : Uniform(1, 6));
  auto notify_in = [&](int64_t lo, int64_t hi) {  // a NOTIFY fetched in [lo, hi]
    return std::any_of(notifies_.begin(), notifies_.end(),
                       [&](int64_t x) { return x >= lo && x <= hi; });
  };
  auto parks_at = [&](int64_t x) {  // x falls in a window in which some queue waits
    return std::any_of(park_windows_.begin(), park_windows_.end(),
                       [&](const auto& w) { return x >= w.first && x < w.second; });
  };
  if (notify_in(a, b - 1) || parks_at(b)) return false;
  std::vector<int> notifiers;
  for (int r = 0; r < nq; ++r) {
    if (r != q && now_[r] <= b) notifiers.push_back(r);
  }
  if (notifiers.empty()) return false;
  const int r = notifiers[Uniform(0, static_cast<int>(notifiers.size()) - 1)];
  std::vector<int> parkers = {q};
  for (int s : notifiers) {
    if (s != r && Chance(0.3) && !notify_in(now_[s], b - 1)) parkers.push_back(s);
  }
  GapTo(r, b);
  AppendControl(r, Instr::Notify());
  notifies_.push_back(b);
  for (int s : parkers) {
    const int64_t at = s == q ? a : now_[s] + Uniform(0, static_cast<int>(b - now_[s]));
    GapTo(s, at);
    queues_[s].push_back(Instr::Sync());
    now_[s] = b + 1;
    route_end_[s] = {};
    park_windows_.emplace_back(at, b);
  }
  return true;
}

bool GenContext::LoneNotify(int q) {
  const int64_t x = now_[q];
  for (const auto& [lo, hi] : park_windows_) {
    if (x >= lo && x <= hi) return false;  // it would release (or join) a barrier
  }
  AppendControl(q, Instr::Notify());
  notifies_.push_back(x);
  return true;
}

Program GenContext::TakeProgram() const {
  Program p;
  p.queues = queues_;
  return p;
}

// ---------------------------------------------------------------------------------------------
// ProgramGenerator
// ---------------------------------------------------------------------------------------------

ProgramGenerator::ProgramGenerator(const CoreConfig& config, uint64_t seed, GenOptions options)
    : config_(config), options_(std::move(options)), rng_(seed) {}

namespace {

// One weighted choice of what to place next on a queue.
struct Choice {
  int weight;
  std::function<bool()> place;
};

uint32_t CountValue(GenContext& ctx, isa::Op op, std::string_view field, bool allow_max) {
  const int64_t max = FieldMax(op, field);
  if (allow_max && ctx.Chance(ctx.options().long_count)) return static_cast<uint32_t>(max);
  if (ctx.Chance(ctx.options().boundary)) return ctx.Chance(0.5) ? 1 : 2;
  return static_cast<uint32_t>(ctx.Chance(0.85) ? ctx.Uniform(3, 6) : ctx.Uniform(7, 40));
}

// The generic placement of one slice op, driven by the ISA tables: producers are routed to a
// consumer (and consumers fed by a producer) with probability options().pair.
bool PlaceOp(GenContext& ctx, int q, isa::Op op) {
  const CoreConfig& c = ctx.config();
  const isa::OpInfo& info = *FindOp(op);
  Instr x = ctx.RandomOp(q, op);
  const bool producer = info.stream_out > 0;
  const bool consumer = info.stream_in > 0;
  if ((producer || consumer) && ctx.Chance(ctx.options().pair)) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const int r = ctx.Uniform(0, c.num_queues() - 1);
      if (r == q || c.QueuePosition(r) == c.QueuePosition(q)) continue;
      std::vector<isa::Op> partners;
      for (isa::Op o : SliceOps(c, r)) {
        const isa::OpInfo& oi = *FindOp(o);
        const bool fits = producer ? oi.stream_in > 0 : oi.stream_out > 0;
        if (fits && ctx.options().weights.OpWeight(oi.name) > 0) partners.push_back(o);
      }
      if (partners.empty()) continue;
      const isa::Op po = partners[ctx.Uniform(0, static_cast<int>(partners.size()) - 1)];
      Instr y = ctx.RandomOp(r, po);
      const isa::OpInfo& pinfo = producer ? info : *FindOp(po);
      const int plane = ctx.Uniform(0, std::max(1, pinfo.group) - 1);
      if (producer ? ctx.Route(q, x, r, y, plane, 8) : ctx.Route(r, y, q, x, plane, 8)) return true;
    }
  }
  return ctx.Issue(q, x);
}

}  // namespace

RandomCase ProgramGenerator::Build(int horizon_min, int horizon_max, Program* program) {
  const int nq = config_.num_queues();
  GenContext ctx(config_, rng_, options_);
  const GenWeights& w = options_.weights;
  std::vector<int64_t> horizon(nq);
  for (int q = 0; q < nq; ++q) {
    horizon[q] = ctx.Chance(options_.empty_queue) ? 0 : ctx.Uniform(horizon_min, horizon_max);
  }
  const size_t max_len = static_cast<size_t>(config_.queue_depth) - 8;
  for (int guard = 0; guard < 100000; ++guard) {
    int q = -1;
    for (int r = 0; r < nq; ++r) {
      if (ctx.Now(r) >= horizon[r] || ctx.Instrs(r).size() >= max_len) continue;
      if (q < 0 || ctx.Now(r) < ctx.Now(q) || (ctx.Now(r) == ctx.Now(q) && ctx.Chance(0.5))) q = r;
    }
    if (q < 0) break;
    std::vector<Choice> choices;
    choices.push_back({w.nop, [&] {
                         const bool big = ctx.Chance(0.05);
                         ctx.AppendControl(
                             q, Instr::Nop(big ? ctx.Uniform(41, 300)
                                               : CountValue(ctx, isa::Op::kNop, "n", false)));
                         return true;
                       }});
    choices.push_back({w.repeat, [&] {
                         const uint32_t n = CountValue(ctx, isa::Op::kRepeat, "n", true);
                         const uint32_t d =
                             n > 64 ? 1 : CountValue(ctx, isa::Op::kRepeat, "d", n < 3);
                         return ctx.Repeat(q, n, d) || ctx.Repeat(q, 1, d > 64 ? 1 : d);
                       }});
    if (nq > 1) choices.push_back({w.sync, [&] { return ctx.Barrier(q); }});
    choices.push_back({w.notify, [&] { return ctx.LoneNotify(q); }});
    for (isa::Op op : SliceOps(config_, q)) {
      choices.push_back({w.OpWeight(FindOp(op)->name), [&, op] { return PlaceOp(ctx, q, op); }});
    }
    for (const OpClass& cls : kCustomClasses) {
      if (!cls.applies(config_, q)) continue;
      auto it = w.custom.find(cls.name);
      const int weight = it == w.custom.end() ? cls.default_weight : it->second;
      choices.push_back({weight, [&, cls] { return cls.place(ctx, q); }});
    }
    int total = 0;
    for (const Choice& c : choices) total += c.weight;
    bool placed = false;
    if (total > 0) {
      int pick = ctx.Uniform(0, total - 1);
      for (Choice& c : choices) {
        if (pick < c.weight) {
          placed = c.place();
          break;
        }
        pick -= c.weight;
      }
    }
    if (!placed) ctx.AppendControl(q, Instr::Nop(static_cast<uint32_t>(ctx.Uniform(1, 3))));
  }
  *program = ctx.TakeProgram();
  program->CheckFits(config_);

  RandomCase rc;
  rc.words.resize(nq);
  for (int q = 0; q < nq; ++q) {
    for (const Instr& i : program->queues[q]) rc.words[q].push_back(Encode(i));
  }
  // The words the address pool draws from, in every slice.
  std::vector<int> words;
  for (int a = 0; a < std::min(8, config_.mem_depth); ++a) words.push_back(a);
  for (int a = std::max(8, config_.mem_depth - 3); a < config_.mem_depth; ++a) words.push_back(a);
  for (int slice = 0; slice < config_.mem_slices; ++slice) {
    for (int word : words) {
      if (ctx.Chance(0.5)) continue;
      MemInit m{slice, word, std::vector<uint8_t>(config_.lanes)};
      for (auto& b : m.lanes) b = static_cast<uint8_t>(rng_());
      rc.mem.push_back(std::move(m));
    }
  }
  return rc;
}

RandomCase ProgramGenerator::Legal() {
  Program program;
  RandomCase rc = Build(options_.horizon_min, options_.horizon_max, &program);
  rc.cycles = program.PredictedCycles();
  int instrs = 0;
  for (const auto& q : rc.words) instrs += static_cast<int>(q.size());
  rc.description = fmt::format("legal program, {} instructions, {} cycles", instrs, rc.cycles);
  return rc;
}

// ---------------------------------------------------------------------------------------------
// Illegal mode: one maker per error code. A maker gets a short legal program with its timing
// and appends the bad instruction(s) to one queue; it returns false when the program does not
// suit it (the caller draws a new one).
// ---------------------------------------------------------------------------------------------

namespace {

struct IllegalCtx {
  const CoreConfig& config;
  std::mt19937_64& rng;
  const Program& program;
  const Program::Timing& timing;
  RandomCase& rc;
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  int AnyQueue() { return Uniform(0, config.num_queues() - 1); }
  void Expect(isa::Err err, int q, int64_t cycle) {
    rc.err = err;
    rc.err_queue = q;
    rc.err_cycle = cycle;
  }
  uint32_t Word(isa::Op op) { return static_cast<uint32_t>(op) << isa::kOpcodeLsb; }
  // A slice op of queue q's kind with random legal fields, or nullopt when the kind has none
  // that `want` accepts.
  std::optional<Instr> OpOf(int q, const std::function<bool(const isa::OpInfo&)>& want) {
    std::vector<isa::Op> ops;
    for (isa::Op op : SliceOps(config, q)) {
      if (want(*FindOp(op))) ops.push_back(op);
    }
    if (ops.empty()) return std::nullopt;
    Instr i{.op = ops[Uniform(0, static_cast<int>(ops.size()) - 1)]};
    if (HasField(i.op, "addr")) i.addr = static_cast<uint32_t>(Uniform(0, config.AddrLimit(q) - 1));
    if (HasField(i.op, "dir")) i.dir = Chance(0.5) ? Dir::kWest : Dir::kEast;
    return i;
  }
};

bool MakeIllegalOpcode(IllegalCtx& m) {
  const int q = m.AnyQueue();
  std::vector<uint32_t> words;
  for (uint32_t opcode = 0; opcode < (1u << (isa::kOpcodeMsb - isa::kOpcodeLsb + 1)); ++opcode) {
    const isa::OpInfo* info = FindOpByOpcode(opcode);
    if (info == nullptr) {
      words.push_back(opcode << isa::kOpcodeLsb);  // undefined
    } else if (info->unit != isa::Unit::kIcu && info->unit != m.config.QueueUnit(q)) {
      words.push_back(Encode(Instr{.op = info->op}));  // another unit's op
    }
  }
  m.rc.words[q].push_back(words[m.Uniform(0, static_cast<int>(words.size()) - 1)]);
  m.Expect(isa::Err::kIllegalOpcode, q, m.timing.finish[q]);
  return true;
}

bool MakeAddrRange(IllegalCtx& m) {
  const int q = m.AnyQueue();
  auto op = m.OpOf(q, [](const isa::OpInfo& i) { return HasField(i.op, "addr") && HasField(i.op, "stride"); });
  if (!op) return false;
  const int limit = m.config.AddrLimit(q);
  const int64_t f = m.timing.finish[q];
  if (m.Chance(0.5) && limit <= FieldMax(op->op, "addr")) {
    op->addr = static_cast<uint32_t>(m.Uniform(limit, static_cast<int>(FieldMax(op->op, "addr"))));
    m.rc.words[q].push_back(Encode(*op));
    m.Expect(isa::Err::kAddrRange, q, f);
    return true;
  }
  // A strided re-issue leaves the memory: up past the end or down past 0.
  const bool up = m.Chance(0.5);
  const int stride = m.Uniform(1, 3) * (up ? 1 : -1);
  op->stride = stride;
  op->addr = static_cast<uint32_t>(up ? limit - 1 - m.Uniform(0, std::min(4, limit - 1))
                                      : m.Uniform(0, std::min(4, limit - 1)));
  const int64_t room = up ? (limit - 1 - static_cast<int64_t>(op->addr)) / stride
                          : static_cast<int64_t>(op->addr) / -stride;
  const int k = static_cast<int>(room) + 1;  // first re-issue out of range
  const uint32_t d = static_cast<uint32_t>(m.Uniform(1, 3));
  const uint32_t n = static_cast<uint32_t>(k + m.Uniform(0, 2));
  m.rc.words[q].push_back(Encode(*op));
  m.rc.words[q].push_back(Encode(Instr::Repeat(n, d)));
  // X issues at f, REPEAT is fetched at f + 1, re-issue k happens at f + 1 + k*d - 1.
  m.Expect(isa::Err::kAddrRange, q, f + int64_t{k} * d);
  return true;
}

bool MakeStreamRange(IllegalCtx& m) {
  const int q = m.AnyQueue();
  auto op = m.OpOf(q, [](const isa::OpInfo& i) { return i.group > 0 && HasField(i.op, "stream"); });
  if (!op) return false;
  const int group = FindOp(op->op)->group;
  const int max = static_cast<int>(FieldMax(op->op, "stream"));
  const int lo = m.config.streams - group + 1;
  if (lo > max) return false;
  op->stream = static_cast<uint32_t>(m.Chance(0.5) ? lo : m.Uniform(lo, max));
  m.rc.words[q].push_back(Encode(*op));
  m.Expect(isa::Err::kStreamRange, q, m.timing.finish[q]);
  return true;
}

bool MakeBadOperand(IllegalCtx& m) {
  const int q = m.AnyQueue();
  uint32_t word = 0;
  switch (m.Uniform(0, 2)) {
    case 0:
      word = m.Word(isa::Op::kNop);  // NOP 0
      break;
    case 1:
      word = m.Word(isa::Op::kRepeat) | 1u;  // REPEAT 0, 1
      break;
    default:
      word = m.Word(isa::Op::kRepeat) | (1u << 13);  // REPEAT 1, 0
  }
  m.rc.words[q].push_back(word);
  m.Expect(isa::Err::kBadOperand, q, m.timing.finish[q]);
  return true;
}

bool MakeSyncDeadlock(IllegalCtx& m) {
  const int nq = m.config.num_queues();
  int64_t last_notify = -1;
  for (int q = 0; q < nq; ++q) {
    for (size_t i = 0; i < m.program.queues[q].size(); ++i) {
      if (m.program.queues[q][i].op == isa::Op::kNotify) {
        last_notify = std::max(last_notify, m.timing.fetch[q][i]);
      }
    }
  }
  std::vector<int> parkers;
  for (int q = 0; q < nq; ++q) {
    if (m.timing.finish[q] > last_notify && (parkers.empty() || m.Chance(0.25))) {
      parkers.push_back(q);
    }
  }
  if (parkers.empty()) return false;
  int64_t cycle = 0;
  for (int q = 0; q < nq; ++q) {
    const bool parks = std::find(parkers.begin(), parkers.end(), q) != parkers.end();
    cycle = std::max(cycle, m.timing.finish[q] + (parks ? 1 : 0));
    if (parks) m.rc.words[q].push_back(Encode(Instr::Sync()));
  }
  m.Expect(isa::Err::kSyncDeadlock, *std::min_element(parkers.begin(), parkers.end()), cycle);
  return true;
}

using Maker = bool (*)(IllegalCtx&);
struct MakerEntry {
  isa::Err err;
  Maker make;
};
// One maker per error code; codes without one are reported by UntrippableErrors().
constexpr MakerEntry kMakers[] = {
    {isa::Err::kIllegalOpcode, MakeIllegalOpcode}, {isa::Err::kAddrRange, MakeAddrRange},
    {isa::Err::kStreamRange, MakeStreamRange},     {isa::Err::kBadOperand, MakeBadOperand},
    {isa::Err::kSyncDeadlock, MakeSyncDeadlock},
};

Maker FindMaker(isa::Err err) {
  for (const MakerEntry& e : kMakers) {
    if (e.err == err) return e.make;
  }
  return nullptr;
}

}  // namespace

std::vector<isa::Err> ProgramGenerator::TrippableErrors() {
  std::vector<isa::Err> out;
  for (const isa::ErrInfo& e : isa::kErrors) {
    if (e.err != isa::Err::kNone && FindMaker(e.err) != nullptr) out.push_back(e.err);
  }
  return out;
}

std::vector<isa::Err> ProgramGenerator::UntrippableErrors() {
  std::vector<isa::Err> out;
  for (const isa::ErrInfo& e : isa::kErrors) {
    if (e.err != isa::Err::kNone && FindMaker(e.err) == nullptr) out.push_back(e.err);
  }
  return out;
}

RandomCase ProgramGenerator::Illegal(isa::Err err) {
  const Maker make = FindMaker(err);
  if (make == nullptr) {
    throw Error(
        fmt::format("the generator has no maker for error code {} ({}): add one to "
                    "kMakers in sw/verif/random_program.cc",
                    static_cast<int>(err), ErrName(err)));
  }
  for (int attempt = 0; attempt < 50; ++attempt) {
    Program program;
    RandomCase rc = Build(0, 40, &program);
    const Program::Timing timing = program.QueueTiming();
    IllegalCtx m{config_, rng_, program, timing, rc};
    if (!make(m)) continue;
    // A NOP or REPEAT at its field maximum fetched before the error, still pending when the
    // run stops (not with a deadlock, which such a queue would prevent).
    if (err != isa::Err::kSyncDeadlock && m.Chance(0.4)) {
      const int r = m.AnyQueue();
      if (r != rc.err_queue && timing.finish[r] <= rc.err_cycle) {
        const uint32_t nmax = static_cast<uint32_t>(FieldMax(isa::Op::kNop, "n"));
        const uint32_t rmax = static_cast<uint32_t>(FieldMax(isa::Op::kRepeat, "n"));
        rc.words[r].push_back(m.Chance(0.5) ? Encode(Instr::Nop(nmax))
                                            : Encode(Instr::Repeat(rmax, rmax)));
      }
    }
    rc.cycles = rc.err_cycle + 1;
    rc.description = fmt::format("illegal program: {} in queue {} at cycle {}", ErrName(err),
                                 config_.QueueName(rc.err_queue), rc.err_cycle);
    return rc;
  }
  throw Error(fmt::format("could not make a program that trips {}", ErrName(err)));
}

}  // namespace tinylpu::verif
