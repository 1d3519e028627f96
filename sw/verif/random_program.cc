// Constrained-random program generator: cell-occupancy model, instruction classes, error makers.
#include "sw/verif/random_program.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdlib>
#include <numeric>

#include "sw/asm/assembler.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu::verif {
namespace {

int64_t FieldMax(isa::Op op, std::string_view field) {
  return FindField(FormatOf(*FindOp(op)), field)->max;
}

bool IsVxm(isa::Op op) { return vxm::FindVxmOp(op) != nullptr; }

int ConfigRegs(isa::Unit unit) { return isa::kUnitConfigRegs[static_cast<size_t>(unit)]; }

// Slice ops (not ICU control ops) of the ISA tables that queue q may issue: its unit's ops and
// CONFIG where its slice has configuration registers.
std::vector<isa::Op> SliceOps(const CoreConfig& config, int q) {
  std::vector<isa::Op> ops;
  for (const isa::OpInfo& info : isa::kOps) {
    if (info.op == isa::Op::kConfig) {
      if (ConfigRegs(config.QueueUnit(q)) > 0) ops.push_back(info.op);
    } else if (info.unit == config.QueueUnit(q) && !IsControl(info.op)) {
      ops.push_back(info.op);
    }
  }
  return ops;
}

// The table zone of every MEM slice: words no WRITE or SCATTER touches, loaded with known
// contents (IFETCH blocks, PERMUTE maps, GATHER/SCATTER indices). In bank 0, above the low
// address pool (words 0..7) the other ops draw from.
constexpr int kTableBase = 8;
int TableWords(const CoreConfig& c) { return std::clamp(c.mem_depth / 8 - kTableBase, 0, 24); }

// Encodes entries as IFETCH delivers them: word j in lanes 4j..4j+3, little-endian.
std::vector<uint8_t> PackWords(const std::vector<uint32_t>& words, int lanes) {
  std::vector<uint8_t> out(static_cast<size_t>(lanes));
  for (size_t j = 0; j < words.size(); ++j) {
    for (int b = 0; b < 4; ++b) out[4 * j + b] = static_cast<uint8_t>(words[j] >> (8 * b));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Stream operands
// ---------------------------------------------------------------------------------------------

int DataGroup(const Instr& instr) {
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr) return 1;
  if (instr.flag && info->flag_group > 0) return info->flag_group;
  return std::max(1, info->group);
}

std::vector<StreamUse> DrivesOf(const CoreConfig& config, const Instr& instr) {
  std::vector<StreamUse> out;
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr) return out;
  if (IsSxm(instr.op)) {
    const int g = SxmGroupSize(instr.group);
    if (instr.op == isa::Op::kTranspose) {
      out.push_back({"stream", instr.dir, static_cast<int>(instr.stream), g,
                     config.TransposeLatency(), config.lanes});
    } else {
      out.push_back({"stream", instr.dir, static_cast<int>(instr.stream), g, info->stream_out, 1});
    }
  } else if (const isa::VxmOpInfo* v = vxm::FindVxmOp(instr.op)) {
    if (VxmIsStream(instr.dst)) {
      const auto type = static_cast<isa::VxmType>(instr.vtype);
      const auto stype = static_cast<isa::VxmType>(instr.stype);
      out.push_back({"dst", Dir(VxmStreamDir(instr.dst)),
                     static_cast<int>(VxmStreamIndex(instr.dst)),
                     vxm::KindGroup(v->dst, type, stype), info->stream_out, 1});
    }
  } else if (info->stream_out > 0 && HasField(instr.op, "stream")) {
    out.push_back({"stream", instr.dir, static_cast<int>(instr.stream), DataGroup(instr),
                   info->stream_out, 1});
  }
  return out;
}

std::vector<StreamUse> SamplesOf(const CoreConfig& config, const Instr& instr) {
  std::vector<StreamUse> out;
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr || info->stream_in <= 0) return out;
  const int in = info->stream_in;
  if (IsSxm(instr.op)) {
    for (const StreamOperand& o : SxmStreamOperands(instr)) {
      if (o.name == "stream") continue;
      out.push_back({o.name, o.dir, static_cast<int>(o.stream), o.width, in,
                     instr.op == isa::Op::kTranspose ? config.lanes : 1});
    }
  } else if (const isa::VxmOpInfo* v = vxm::FindVxmOp(instr.op)) {
    const auto type = static_cast<isa::VxmType>(instr.vtype);
    const auto stype = static_cast<isa::VxmType>(instr.stype);
    if (v->a != isa::VxmKind::kNone && VxmIsStream(instr.srca)) {
      out.push_back({"srca", Dir(VxmStreamDir(instr.srca)),
                     static_cast<int>(VxmStreamIndex(instr.srca)),
                     vxm::KindGroup(v->a, type, stype), in, 1});
    }
    if (v->b != isa::VxmKind::kNone && VxmIsStream(instr.srcb)) {
      out.push_back({"srcb", Dir(VxmStreamDir(instr.srcb)),
                     static_cast<int>(VxmStreamIndex(instr.srcb)),
                     vxm::KindGroup(v->b, type, stype), in, 1});
    }
  } else {
    if (HasField(instr.op, "istream")) {
      out.push_back({"istream", instr.idir, static_cast<int>(instr.istream), 1, in, 1});
    }
    // GATHER samples only its index; every other op samples its data stream.
    if (instr.op != isa::Op::kGather && HasField(instr.op, "stream")) {
      out.push_back({"stream", instr.dir, static_cast<int>(instr.stream), DataGroup(instr), in, 1});
    }
  }
  return out;
}

void SetStreamOperand(Instr& instr, std::string_view operand, Dir dir, int stream) {
  const auto s = static_cast<uint32_t>(stream);
  if (operand == "stream") {
    instr.stream = s;
    instr.dir = dir;
  } else if (operand == "istream") {
    instr.istream = s;
    instr.idir = dir;
  } else if (operand == "a") {
    instr.a = s;
    instr.adir = dir;
  } else if (operand == "b") {
    instr.b = s;
    instr.bdir = dir;
  } else if (operand == "m") {
    instr.m = s;
    instr.mdir = dir;
  } else if (operand == "srca") {
    instr.srca = VxmStream(dir, s);
  } else if (operand == "srcb") {
    instr.srcb = VxmStream(dir, s);
  } else if (operand == "dst") {
    instr.dst = VxmStream(dir, s);
  } else {
    throw Error(fmt::format("no stream operand '{}'", operand));
  }
}

namespace {

const StreamUse* FindUse(const std::vector<StreamUse>& uses, std::string_view operand) {
  for (const StreamUse& u : uses) {
    if (u.operand == operand) return &u;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Custom classes: one function each. A class places instructions that the generic per-op
// placement cannot (a multi-op idiom, an operand whose value must be known) and is drawn with
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
    RouteSpec r;
    r.pq = CoreConfig::MemQueue(slice);
    r.p = ctx.RandomOp(r.pq, isa::Op::kRead);
    r.p.stride = 0;
    r.cq = mxmw;
    r.c = ctx.RandomOp(mxmw, isa::Op::kLw);
    r.max_gap = 6;
    if (ctx.Route(r)) ++placed;
  }
  if (placed == 0) return false;
  ctx.Issue(mxmw, Instr{.op = isa::Op::kIw});
  return true;
}

// A lane map for PERMUTE (a bijection) or DISTRIBUTE (any bytes, out-of-range ones give 0).
std::vector<uint8_t> LaneMap(GenContext& ctx, bool bijection) {
  const int lanes = ctx.config().lanes;
  std::vector<uint8_t> map(static_cast<size_t>(lanes));
  std::iota(map.begin(), map.end(), uint8_t{0});
  if (bijection) {
    switch (ctx.Uniform(0, 3)) {
      case 0:  // identity
        break;
      case 1:  // reversal
        std::reverse(map.begin(), map.end());
        break;
      default:
        for (int i = lanes - 1; i > 0; --i) std::swap(map[i], map[ctx.Uniform(0, i)]);
    }
    return map;
  }
  for (auto& b : map) {
    const int pick = ctx.Uniform(0, 9);
    b = static_cast<uint8_t>(pick < 7   ? ctx.Uniform(0, lanes - 1)
                             : pick < 8 ? 0x80
                                        : ctx.Uniform(lanes, 255));
  }
  return map;
}

bool OnSxm(const CoreConfig& c, int q) { return q == c.SxmQueue(); }

// PERMUTE with a bijective map, or DISTRIBUTE with any map, READ from a table word.
bool PlaceLaneMap(GenContext& ctx, int q) {
  if (!OnSxm(ctx.config(), q)) return false;
  const bool permute = ctx.Chance(0.6);
  const Instr op = ctx.RandomOp(q, permute ? isa::Op::kPermute : isa::Op::kDistribute);
  return ctx.RouteTable(q, op, "b", LaneMap(ctx, permute));
}

bool OnMem(const CoreConfig& c, int q) { return c.QueueUnit(q) == isa::Unit::kMem; }

// GATHER or SCATTER with an index vector READ from a table word: lane addresses in range, in
// one bank or both, and (for SCATTER) outside the table zone.
bool PlaceIndexed(GenContext& ctx, int q, isa::Op op) {
  const CoreConfig& c = ctx.config();
  if (!OnMem(c, q)) return false;
  const int depth = c.mem_depth;
  const int half = depth / 2;
  Instr x = ctx.RandomOp(q, op);
  int lo = 0;
  int hi = depth - 1;
  switch (ctx.Uniform(0, 2)) {
    case 0:  // bank 0 only
      hi = half - 1;
      break;
    case 1:  // bank 1 only
      lo = half;
      break;
    default:  // straddling the banks
      lo = std::max(0, half - ctx.Uniform(1, 128));
  }
  const int base = ctx.Uniform(lo, hi);
  const int top = std::min(hi, base + 255);
  x.addr = static_cast<uint32_t>(base);
  std::vector<uint8_t> idx(static_cast<size_t>(c.lanes));
  for (auto& b : idx) {
    int word = base;
    for (int tries = 0; tries < 8; ++tries) {
      word = ctx.Chance(0.2) ? base : ctx.Uniform(base, top);
      if (op != isa::Op::kScatter || !ctx.InTableZone(word)) break;
    }
    if (op == isa::Op::kScatter && ctx.InTableZone(word)) return false;
    b = static_cast<uint8_t>(word - base);
  }
  return ctx.RouteTable(q, x, "istream", std::move(idx));
}

bool PlaceGather(GenContext& ctx, int q) { return PlaceIndexed(ctx, q, isa::Op::kGather); }
bool PlaceScatter(GenContext& ctx, int q) { return PlaceIndexed(ctx, q, isa::Op::kScatter); }

bool Anywhere(const CoreConfig&, int) { return true; }

// IFETCH: the queue's next entries arrive as one MEM word READ from a table (filled with them
// when the program is finished, GenContext::Finish).
bool PlaceIfetch(GenContext& ctx, int q) {
  if (ctx.Ifetches(q) >= ctx.options().max_ifetch) return false;
  return ctx.RouteTable(q, Instr::Ifetch(0, Dir::kEast), "stream", {}, false);
}

bool OnVxm(const CoreConfig& c, int q) { return c.VxmAlu(q) >= 0; }

// The byte planes (plane b = byte b of every lane's value) of 32-bit lane values.
std::vector<std::vector<uint8_t>> Planes(const std::vector<uint32_t>& values) {
  std::vector<std::vector<uint8_t>> planes(4, std::vector<uint8_t>(values.size()));
  for (size_t l = 0; l < values.size(); ++l) {
    for (int b = 0; b < 4; ++b) planes[b][l] = static_cast<uint8_t>(values[l] >> (8 * b));
  }
  return planes;
}

// An fp32 value near 2^(e-127): random, sparse (1 + 2^-k, whose products round to ties) or the
// boundary cases of the format.
uint32_t NearFloat(GenContext& ctx, int e) {
  static constexpr uint32_t kSpecials[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000,
                                           0x7fc00000, 0x00000001, 0x807fffff, 0x00800000,
                                           0x7f7fffff, 0xff7fffff};
  const int pick = ctx.Uniform(0, 9);
  if (pick == 0) return kSpecials[ctx.Uniform(0, static_cast<int>(std::size(kSpecials)) - 1)];
  const uint32_t sign = ctx.Chance(0.5) ? 0x80000000u : 0;
  const int exp = std::clamp(e + ctx.Uniform(-2, 2), 1, 254);
  uint32_t frac = static_cast<uint32_t>(ctx.Uniform(0, (1 << 23) - 1));
  if (pick <= 3) frac = 1u << ctx.Uniform(0, 22);  // sparse significand
  return sign | static_cast<uint32_t>(exp) << 23 | frac;
}

// VXM arithmetic on chosen values: an f32 op (VADD, VSUB, VMUL, VMIN/VMAX, compares, VCVT in
// both directions) or VREQ, whose source a gets lane values READ as four byte planes from table
// words (RouteWide) and whose source b is IMM, set by CONFIG just before (and QSHIFT for VREQ):
// exponents close together, so sums and products round to ties often; VREQ shifts that keep
// results inside the type.
bool PlaceVxmNumeric(GenContext& ctx, int q) {
  const CoreConfig& c = ctx.config();
  if (!OnVxm(c, q)) return false;
  static constexpr isa::Op kOps[] = {isa::Op::kVadd, isa::Op::kVsub, isa::Op::kVmul,
                                     isa::Op::kVmin, isa::Op::kVlt,  isa::Op::kVcvt,
                                     isa::Op::kVreq, isa::Op::kVreq};
  const isa::Op op = kOps[ctx.Uniform(0, static_cast<int>(std::size(kOps)) - 1)];
  Instr x = ctx.RandomOp(q, op);
  std::vector<uint32_t> a(static_cast<size_t>(c.lanes));
  uint32_t imm = 0;
  const int e = ctx.Chance(0.8) ? ctx.Uniform(110, 140) : ctx.Uniform(1, 254);
  if (op == isa::Op::kVreq) {
    // y = sat((x * M + 2^(S-1)) >> S): S in 24..47 keeps many lanes inside i8/i16.
    x.vtype = static_cast<uint32_t>(ctx.Uniform(0, 1));
    for (auto& v : a) v = static_cast<uint32_t>(ctx.Uniform(INT32_MIN, INT32_MAX));
    imm = static_cast<uint32_t>(ctx.Uniform(1, 0xffff));
    const uint32_t s = static_cast<uint32_t>(ctx.Uniform(24, 47));
    if (!ctx.Issue(q, Instr::Config(isa::kVxmCfgQshift, s))) return false;
  } else if (op == isa::Op::kVcvt) {
    const bool to_int = ctx.Chance(0.5);
    x.vtype = static_cast<uint32_t>(to_int ? isa::VxmType::kI32 : isa::VxmType::kF32);
    x.stype = static_cast<uint32_t>(to_int ? isa::VxmType::kF32 : isa::VxmType::kI32);
    for (auto& v : a) {
      if (to_int) {  // halves (ties to even), large values and specials
        const int n = ctx.Uniform(-1000, 1000);
        v = ctx.Chance(0.5) ? std::bit_cast<uint32_t>(static_cast<float>(n) + 0.5f)
                            : NearFloat(ctx, ctx.Uniform(120, 160));
      } else if (ctx.Chance(0.7)) {
        // An exact tie: a 24-bit significand m and k > 0 dropped bits 10..0 (ties to even
        // round m up only when it is odd), either sign.
        const int k = ctx.Uniform(1, 7);
        const uint32_t m = static_cast<uint32_t>(ctx.Uniform(1 << 23, (1 << 24) - 1));
        v = m << k | 1u << (k - 1);
        if (ctx.Chance(0.5)) v = ~v + 1;
      } else {  // integers beyond 2^24, whose low bits round
        v = static_cast<uint32_t>(ctx.Uniform(1 << 24, INT32_MAX)) |
            (ctx.Chance(0.5) ? 0x80000000u : 0);
      }
    }
  } else {
    x.vtype = static_cast<uint32_t>(isa::VxmType::kF32);
    for (auto& v : a) v = NearFloat(ctx, e);
    imm = NearFloat(ctx, e);
  }
  x.srca = VxmStream(Dir::kEast, 0);
  const isa::VxmOpInfo* v = vxm::FindVxmOp(op);
  if (v->b != isa::VxmKind::kNone) {
    x.srcb = kVxmImm;
    if (!ctx.Issue(q, Instr::Config(isa::kVxmCfgImmlo, imm & 0xffff)) ||
        !ctx.Issue(q, Instr::Config(isa::kVxmCfgImmhi, imm >> 16))) {
      return false;
    }
  }
  return ctx.RouteWide(q, x, "srca", Planes(a));
}

bool OnVxmNotLast(const CoreConfig& c, int q) {
  const int k = c.VxmAlu(q);
  return k >= 0 && k + 1 < c.vxm_alus;
}

// A chain of VXM ops on ALUs k..k1 in consecutive cycles, each reading PREV.
bool PlaceVxmChain(GenContext& ctx, int q) {
  const CoreConfig& c = ctx.config();
  if (!OnVxmNotLast(c, q)) return false;
  const int k = c.VxmAlu(q);
  return ctx.VxmChain(k, ctx.Uniform(k + 1, c.vxm_alus - 1));
}

// `gate`: the op whose weight also switches the class off (a class is on when its op is);
// empty for classes that only need slice ops at all (op_default > 0).
struct CustomClass {
  OpClass cls;
  std::string_view gate;
};

constexpr CustomClass kCustomClasses[] = {
    {{"weight_load", [](const CoreConfig&, int q) { return q == CoreConfig::kQueueMxmw; },
      PlaceWeightLoad, 2},
     "LW"},
    {{"lane_map", OnSxm, PlaceLaneMap, 6}, "PERMUTE"},
    {{"gather", OnMem, PlaceGather, 3}, "GATHER"},
    {{"scatter", OnMem, PlaceScatter, 4}, "SCATTER"},
    {{"ifetch", Anywhere, PlaceIfetch, 2}, ""},
    {{"vxm_chain", OnVxmNotLast, PlaceVxmChain, 4}, ""},
    {{"vxm_numeric", OnVxm, PlaceVxmNumeric, 5}, ""},
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

int GenWeights::OpWeight(std::string_view name) const {
  auto it = op.find(name);
  return it != op.end() ? it->second : op_default;
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
      for (const CustomClass& c : kCustomClasses) known = known || c.cls.name == name;
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
  for (const MemInit& m : mem) {
    if (m.inject != 0) bus.Write(RegAddr(isa::kHostRegEccInject), m.inject);
    WriteMemWord(bus, m.slice, m.word, m.lanes);
    if (m.inject != 0) bus.Write(RegAddr(isa::kHostRegEccInject), 0);
  }
  for (size_t q = 0; q < words.size(); ++q) {
    for (size_t i = 0; i < words[q].size(); ++i) {
      bus.Write(QueueAddr(static_cast<int>(q), static_cast<int>(i)), words[q][i]);
    }
    bus.Write(RegAddr(isa::kHostRegQlen + static_cast<uint32_t>(q)),
              static_cast<uint32_t>(words[q].size()));
  }
}

void RandomCase::Scrub(HostBus& bus) const {
  for (const MemInit& m : mem) {
    if (m.inject != 0) WriteMemWord(bus, m.slice, m.word, m.lanes);
  }
}

std::string RandomCase::Listing(const CoreConfig& config) const {
  std::string out;
  auto line = [](uint32_t w) {
    auto instr = Decode(w);
    return instr ? fmt::format("  {}\n", FormatInstr(*instr))
                 : fmt::format("  .word {:#010x}\n", w);
  };
  for (size_t q = 0; q < words.size(); ++q) {
    const bool more = q < appended.size() && !appended[q].empty();
    if (words[q].empty() && !more) continue;
    out += fmt::format(".queue {}\n", config.QueueName(static_cast<int>(q)));
    for (uint32_t w : words[q]) out += line(w);
    if (more) {
      out += "  ; appended by IFETCH:\n";
      for (uint32_t w : appended[q]) out += line(w);
    }
  }
  for (const MemInit& m : mem) {
    if (m.inject != 0) {
      out += fmt::format("; MEM slice {} word {} loaded with ECC_INJECT {:#x}\n", m.slice, m.word,
                         m.inject);
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
      last_table_(config.num_queues(), -1),
      route_end_(config.num_queues()),
      touched_(config.mem_slices),
      table_next_(config.mem_slices, 0),
      ifetch_(config.num_queues()) {}

int GenContext::Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

bool GenContext::Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

template <typename Map, typename Key, typename Value>
void GenContext::Set(Map& map, const Key& key, const Value& value) {
  auto it = map.find(key);
  if (it == map.end()) {
    map.emplace(key, value);
    undo_.push_back([&map, key] { map.erase(key); });
  } else {
    const auto old = it->second;
    it->second = value;
    undo_.push_back([&map, key, old] { map[key] = old; });
  }
}

void GenContext::Rollback(size_t mark) {
  while (undo_.size() > mark) {
    undo_.back()();
    undo_.pop_back();
  }
}

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

std::pair<int, int> TableZone(const CoreConfig& config) { return {kTableBase, TableWords(config)}; }

bool GenContext::InTableZone(int addr) const {
  return addr >= kTableBase && addr < kTableBase + TableWords(config_);
}

int GenContext::NewTable(int slice, std::vector<uint8_t> lanes) {
  if (table_next_[slice] >= TableWords(config_)) return -1;
  lanes.resize(static_cast<size_t>(config_.lanes));
  tables_.push_back({slice, kTableBase + table_next_[slice]++, std::move(lanes)});
  return static_cast<int>(tables_.size()) - 1;
}

bool GenContext::Touched(int slice, int addr) const { return touched_[slice].contains(addr); }

bool GenContext::DriveFree(int pos, Dir dir, int stream, int64_t cycle) const {
  return !drives_.contains(Cell{pos, dir, stream, cycle});
}

int GenContext::GatherBanksAt(int slice, int64_t cycle) const {
  auto it = gs_banks_.find({slice, cycle});
  return it == gs_banks_.end() ? 0 : it->second;
}

int GenContext::RwBankAt(int slice, int64_t cycle) const {
  auto it = rw_bank_.find({slice, cycle});
  return it == rw_bank_.end() ? -1 : it->second;
}

Instr GenContext::RandomOp(int q, isa::Op op) {
  const isa::OpInfo& info = *FindOp(op);
  const int streams = config_.streams;
  const int lanes = config_.lanes;
  auto base = [&](int width) {  // a group base: first, last or any
    const int top = streams - width;
    const int pick = Uniform(0, 9);
    return pick < 3 ? 0 : pick < 5 ? top : Uniform(0, top);
  };
  auto dir = [&] { return Chance(0.5) ? Dir::kWest : Dir::kEast; };
  Instr instr{.op = op};
  if (HasField(op, "addr")) {
    const int limit = config_.AddrLimit(q);
    int addr = 0;
    for (int tries = 0; tries < 4; ++tries) {
      const int pick = Uniform(0, 99);
      addr = pick < 70   ? Uniform(0, std::min(7, limit - 1))
             : pick < 85 ? limit - 1 - Uniform(0, std::min(2, limit - 1))
                         : Uniform(0, limit - 1);
      if (op != isa::Op::kWrite || !InTableZone(addr)) break;
    }
    // A GATHER with an unknown index reads a 256-word window: keep it inside the memory.
    if (op == isa::Op::kGather) addr = std::min(addr, std::max(0, config_.mem_depth - 256));
    instr.addr = static_cast<uint32_t>(addr);
  }
  if (HasField(op, "stride") && Chance(0.5)) instr.stride = Uniform(-3, 3);
  if (HasField(op, "flag")) {
    if (info.flag_group == 0) {
      instr.flag = Chance(0.5);
    } else if (Chance(0.3) && config_.AddrLimit(q) >= info.flag_group) {
      // READ/WRITE `quad`: words addr..addr+3 on streams s..s+3, addr (and so every strided
      // re-issue) a multiple of the group.
      const int g = info.flag_group;
      instr.flag = true;
      instr.addr -= instr.addr % static_cast<uint32_t>(g);
      instr.stride = instr.stride > 0 ? g : instr.stride < 0 ? -g : 0;
    }
  }
  if (IsSxm(op)) {
    const int pick = Uniform(0, 3);
    instr.group = pick < 2 ? 0u : static_cast<uint32_t>(pick - 1);
    const int g = SxmGroupSize(instr.group);
    instr.a = static_cast<uint32_t>(base(g));
    instr.adir = dir();
    if (HasField(op, "b")) {
      instr.b = static_cast<uint32_t>(base(op == isa::Op::kSelect ? g : 1));
      instr.bdir = dir();
    }
    if (HasField(op, "m")) {
      instr.m = static_cast<uint32_t>(base(1));
      instr.mdir = dir();
    }
    instr.stream = static_cast<uint32_t>(base(g));
    instr.dir = dir();
    if (HasField(op, "n")) {
      const int pick_n = Uniform(0, 9);
      instr.n = static_cast<uint32_t>(pick_n < 2   ? 0
                                      : pick_n < 3 ? 1
                                      : pick_n < 5 ? lanes - 1
                                                   : Uniform(0, lanes - 1));
    }
  } else if (const isa::VxmOpInfo* v = vxm::FindVxmOp(op)) {
    if (op == isa::Op::kVcvt) {
      const auto& pair =
          isa::kVxmConversions[Uniform(0, static_cast<int>(isa::kVxmConversions.size()) - 1)];
      instr.vtype = static_cast<uint32_t>(pair[0]);
      instr.stype = static_cast<uint32_t>(pair[1]);
    } else {
      std::vector<uint32_t> types;
      for (uint32_t t = 0; t < 4; ++t) {
        if (v->types >> t & 1) types.push_back(t);
      }
      instr.vtype = types[Uniform(0, static_cast<int>(types.size()) - 1)];
    }
    const auto type = static_cast<isa::VxmType>(instr.vtype);
    const auto stype = static_cast<isa::VxmType>(instr.stype);
    const bool has_prev = config_.VxmAlu(q) > 0;
    auto source = [&](isa::VxmKind kind) -> uint32_t {
      const int pick = Uniform(0, 99);
      if (pick < 55)
        return VxmStream(dir(), static_cast<uint32_t>(base(vxm::KindGroup(kind, type, stype))));
      if (pick < 70 && has_prev) return kVxmPrev;
      return pick < 85 ? kVxmSelf : kVxmImm;
    };
    if (v->a != isa::VxmKind::kNone) instr.srca = source(v->a);
    if (v->b != isa::VxmKind::kNone) instr.srcb = source(v->b);
    if (Chance(0.7)) {
      instr.dst =
          VxmStream(dir(), static_cast<uint32_t>(base(vxm::KindGroup(v->dst, type, stype))));
    }
  } else if (op == isa::Op::kConfig) {
    // fp32 values the VXM treats specially (zeros, infinities, NaNs, subnormals, the extremes
    // of the normal range, 1 and its neighbours): IMM halves often come from them.
    static constexpr uint32_t kFpSpecials[] = {
        0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001,
        0x7f800001, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
        0xff7fffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x33800000, 0x4b800001};
    instr.index = static_cast<uint32_t>(Uniform(0, ConfigRegs(config_.QueueUnit(q)) - 1));
    const bool qshift =
        config_.QueueUnit(q) == isa::Unit::kVxm && instr.index == isa::kVxmCfgQshift;
    const int max = qshift ? isa::kVxmQshiftMax : 0xffff;
    const int pick = Uniform(0, 9);
    instr.value = static_cast<uint32_t>(pick < 2 ? 0 : pick < 4 ? max : Uniform(0, max));
    if (!qshift && pick >= 6) {
      const uint32_t v = kFpSpecials[Uniform(0, static_cast<int>(std::size(kFpSpecials)) - 1)];
      instr.value = instr.index == isa::kVxmCfgImmhi ? v >> 16 : v & 0xffff;
    }
  } else {
    if (HasField(op, "stream")) {
      instr.stream = static_cast<uint32_t>(base(DataGroup(instr)));
      instr.dir = dir();
    }
    if (HasField(op, "istream")) {
      instr.istream = static_cast<uint32_t>(base(1));
      instr.idir = dir();
    }
  }
  return instr;
}

std::optional<std::vector<int>> GenContext::LaneAddrs(const Instr& instr, int table) const {
  if (table < 0) return std::nullopt;
  std::vector<int> out;
  for (uint8_t idx : tables_[table].lanes) out.push_back(static_cast<int>(instr.addr) + idx);
  return out;
}

// The rules of the units beyond stream cells (docs/architecture.md): ACC at least 3 cycles
// after the ABC of its accumulator; a TRANSPOSE at least L cycles after the previous one
// (UNIT_BUSY); in a MEM slice, a GATHER/SCATTER (bank access at t+2) and a READ/WRITE issued one
// cycle later (access at t+1) in different banks in every lane (BANK_CONFLICT); GATHER/SCATTER
// lanes in range (ADDR_RANGE); table words never written; operands whose value matters routed
// from a table.
bool GenContext::UnitRulesOk(int q, int64_t t, const Instr& instr, int table, bool routed,
                             bool record) {
  switch (instr.op) {
    case isa::Op::kAcc: {
      auto it = abc_issue_.find(instr.addr);
      return it == abc_issue_.end() || t + isa::kLatAccAccRead > it->second + isa::kLatAbcAccWrite;
    }
    case isa::Op::kTranspose:
      if (t - last_transpose_ < config_.lanes) return false;
      if (record) {
        const int64_t old = last_transpose_;
        last_transpose_ = t;
        undo_.push_back([this, old] { last_transpose_ = old; });
      }
      return true;
    case isa::Op::kIfetch:
      return routed && table >= 0;
    case isa::Op::kPermute:
      return routed && table >= 0;
    case isa::Op::kRead:
    case isa::Op::kWrite: {
      // A quad's words addr..addr+3 are aligned, so they share a bank (MemDepth >= 16).
      const int slice = q - CoreConfig::kFirstMemQueue;
      const int first = static_cast<int>(instr.addr);
      const int words = DataGroup(instr);
      if (words > 1 && (first % words != 0 || first + words > config_.mem_depth)) return false;
      const int bank = BankOf(first);
      if (GatherBanksAt(slice, t + 1) >> bank & 1) return false;
      for (int a = first; a < first + words; ++a) {
        if (instr.op == isa::Op::kWrite && InTableZone(a)) return false;
      }
      if (record) {
        Set(rw_bank_, std::pair{slice, t + 1}, bank);
        for (int a = first; a < first + words; ++a) {
          if (touched_[slice].insert(a).second) {
            undo_.push_back([this, slice, a] { touched_[slice].erase(a); });
          }
        }
      }
      return true;
    }
    case isa::Op::kGather:
    case isa::Op::kScatter: {
      const int slice = q - CoreConfig::kFirstMemQueue;
      auto lanes = LaneAddrs(instr, routed ? table : -1);
      std::vector<int> words;
      if (lanes) {
        words = *lanes;
      } else {
        // Unknown indices: a GATHER may read any word of its 256-word window.
        if (instr.op == isa::Op::kScatter) return false;
        const int base = static_cast<int>(instr.addr);
        if (base + 255 >= config_.mem_depth) return false;
        for (int a = base; a <= base + 255; ++a) words.push_back(a);
      }
      int mask = 0;
      for (int a : words) {
        if (a >= config_.mem_depth) return false;
        if (instr.op == isa::Op::kScatter && InTableZone(a)) return false;
        mask |= 1 << BankOf(a);
      }
      const int rw = RwBankAt(slice, t + 2);
      if (rw >= 0 && (mask >> rw & 1)) return false;
      if (record) {
        Set(gs_banks_, std::pair{slice, t + 2}, mask);
        for (int a : words) {
          if (touched_[slice].insert(a).second) {
            undo_.push_back([this, slice, a] { touched_[slice].erase(a); });
          }
        }
      }
      return true;
    }
    default:
      return true;
  }
}

bool GenContext::TryIssue(int q, int64_t t, const Instr& instr, int table, bool routed) {
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr) return false;
  const isa::Unit unit = config_.QueueUnit(q);
  if (instr.op == isa::Op::kConfig) {
    const int regs = ConfigRegs(unit);
    if (static_cast<int>(instr.index) >= regs) return false;
    if (unit == isa::Unit::kVxm && instr.index == isa::kVxmCfgQshift &&
        instr.value > static_cast<uint32_t>(isa::kVxmQshiftMax)) {
      return false;
    }
  } else if (instr.op != isa::Op::kIfetch && (IsControl(instr.op) || info->unit != unit)) {
    return false;
  }
  if (info->format == isa::Format::kAddr &&
      instr.addr >= static_cast<uint32_t>(config_.AddrLimit(q))) {
    return false;
  }
  if (IsSxm(instr.op)) {
    if (instr.group > 2) return false;
    if (HasField(instr.op, "n") && instr.n >= static_cast<uint32_t>(config_.lanes)) return false;
  }
  if (const isa::VxmOpInfo* v = vxm::FindVxmOp(instr.op)) {
    const auto type = static_cast<isa::VxmType>(instr.vtype);
    const auto stype = static_cast<isa::VxmType>(instr.stype);
    if (!vxm::TypeLegal(instr.op, type, stype)) return false;
    auto source_ok = [&](isa::VxmKind kind, uint32_t s) {
      if (kind == isa::VxmKind::kNone || VxmIsStream(s)) return true;
      return s == kVxmSelf || s == kVxmImm || (s == kVxmPrev && config_.VxmAlu(q) > 0);
    };
    if (!source_ok(v->a, instr.srca) || !source_ok(v->b, instr.srcb)) return false;
    if (!VxmIsStream(instr.dst) && instr.dst != kVxmNone) return false;
  }
  const std::vector<StreamUse> drives = DrivesOf(config_, instr);
  for (const auto& uses : {drives, SamplesOf(config_, instr)}) {
    for (const StreamUse& u : uses) {
      if (u.stream < 0 || u.stream + u.width > config_.streams) return false;
    }
  }
  if (!UnitRulesOk(q, t, instr, table, routed, false)) return false;
  const int pos = config_.QueuePosition(q);
  last_producer_id_ = 0;
  if (drives.empty()) return UnitRulesOk(q, t, instr, table, routed, true);
  const int id = next_id_++;
  for (const StreamUse& u : drives) {
    for (int64_t k = 0; k < u.cycles; ++k) {
      for (int s = u.stream; s < u.stream + u.width; ++s) {
        const Cell drive{pos, u.dir, s, t + u.offset + k};
        const Cell hit{pos + Step(u.dir), u.dir, s, t + u.offset + k + 1};
        if (drives_.contains(drive)) return false;  // a second writer in the same cycle
        if (InRow(hit.pos) && reserved_.contains(hit) && reserved_.at(hit) != id) return false;
      }
    }
  }
  UnitRulesOk(q, t, instr, table, routed, true);
  for (const StreamUse& u : drives) {
    for (int64_t k = 0; k < u.cycles; ++k) {
      for (int s = u.stream; s < u.stream + u.width; ++s) {
        const Cell drive{pos, u.dir, s, t + u.offset + k};
        const Cell hit{pos + Step(u.dir), u.dir, s, t + u.offset + k + 1};
        Set(drives_, drive, id);
        if (InRow(hit.pos)) Set(written_, hit, id);
      }
    }
  }
  last_producer_id_ = id;
  return true;
}

void GenContext::IssueAt(int q, int64_t t, const Instr& instr) {
  if (instr.op == isa::Op::kIfetch) return;  // IFETCH issues nothing to a slice
  if (instr.op == isa::Op::kAbc) Set(abc_issue_, instr.addr, t);
  const bool had = has_last_[q];
  const Instr old = last_[q];
  const int old_table = last_table_[q];
  has_last_[q] = true;
  last_[q] = instr;
  last_table_[q] = -1;
  undo_.push_back([this, q, had, old, old_table] {
    has_last_[q] = had;
    last_[q] = old;
    last_table_[q] = old_table;
  });
}

void GenContext::Append(int q, int64_t t, const Instr& instr) {
  GapTo(q, t);
  if (instr.op == isa::Op::kIfetch) {
    ifetch_[q].emplace_back(static_cast<int>(queues_[q].size()), -1);
  }
  queues_[q].push_back(instr);
  IssueAt(q, t, instr);
  now_[q] = t + 1;
  route_end_[q] = {};
}

bool GenContext::Issue(int q, const Instr& instr) {
  if (!TryIssue(q, now_[q], instr)) return false;
  Append(q, now_[q], instr);
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
    if (!reserved_.contains(cell)) Set(reserved_, cell, id);
  }
  return true;
}

bool GenContext::Route(RouteSpec r) {
  if (r.pq == r.cq) return false;
  const int from = config_.QueuePosition(r.pq);
  const int to = config_.QueuePosition(r.cq);
  if (from == to) return false;
  const Dir dir = to > from ? Dir::kEast : Dir::kWest;
  const std::vector<StreamUse> pdrives = DrivesOf(config_, r.p);
  const std::vector<StreamUse> csamples = SamplesOf(config_, r.c);
  const StreamUse* d0 = FindUse(pdrives, r.drive);
  const StreamUse* s0 = FindUse(csamples, r.sample);
  if (d0 == nullptr || s0 == nullptr || d0->cycles != 1 || s0->cycles != 1) return false;
  const StreamUse d = *d0;
  const StreamUse s = *s0;
  SetStreamOperand(r.p, r.drive, dir, d.stream);
  int base = d.stream;
  if (s.width <= d.width) {
    r.plane = std::clamp(r.plane, 0, d.width - s.width);
    base = d.stream + r.plane;
  } else {
    r.plane = std::clamp(r.plane, 0, s.width - d.width);
    base = d.stream - r.plane;
  }
  if (base < 0 || base + s.width > config_.streams) return false;
  SetStreamOperand(r.c, r.sample, dir, base);
  const int lo = std::max(d.stream, base);
  const int hi = std::min(d.stream + d.width, base + s.width);
  const int hops = std::abs(to - from);
  const int64_t tp = std::max(now_[r.pq], now_[r.cq] - d.offset - hops + s.offset);
  const int64_t tc = tp + d.offset + hops - s.offset;
  if (tp - now_[r.pq] > r.max_gap || tc - now_[r.cq] > r.max_gap) return false;
  const size_t mark = Checkpoint();
  bool ok = TryIssue(r.pq, tp, r.p);
  const int id = last_producer_id_;
  for (int st = lo; st < hi && ok; ++st) ok = Carry(from, dir, st, tp + d.offset, to, id);
  // The consumer's own rules (ACC after ABC, banks) see the producer as issued.
  ok = ok && TryIssue(r.cq, tc, r.c, r.table, true);
  if (!ok) {
    Rollback(mark);
    return false;
  }
  Append(r.pq, tp, r.p);
  Append(r.cq, tc, r.c);
  if (r.c.op == isa::Op::kIfetch) {
    ifetch_[r.cq].back().second = r.table;
  } else {
    route_end_[r.pq] = r;
    route_end_[r.cq] = r;
    if (r.table >= 0) last_table_[r.cq] = r.table;
  }
  return true;
}

bool GenContext::RouteTable(int cq, const Instr& c, std::string_view sample,
                            std::vector<uint8_t> lanes, bool repeatable) {
  const int at = config_.QueuePosition(cq);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int slice = Uniform(0, config_.mem_slices - 1);
    if (CoreConfig::MemPosition(slice) == at) continue;
    const int table = NewTable(slice, lanes);
    if (table < 0) continue;
    RouteSpec r;
    r.pq = CoreConfig::MemQueue(slice);
    r.p = Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(tables_[table].addr),
                      static_cast<uint32_t>(Uniform(0, config_.streams - 1)), Dir::kEast);
    r.cq = cq;
    r.c = c;
    r.sample = sample;
    r.table = table;
    if (Route(r)) {
      if (!repeatable) {
        route_end_[r.pq] = {};
        route_end_[cq] = {};
      }
      return true;
    }
    tables_.pop_back();
    --table_next_[slice];
  }
  return false;
}

bool GenContext::RouteWide(int cq, const Instr& c, std::string_view sample,
                           const std::vector<std::vector<uint8_t>>& planes) {
  const int width = static_cast<int>(planes.size());
  const int to = config_.QueuePosition(cq);
  const std::vector<StreamUse> samples = SamplesOf(config_, c);
  const StreamUse* use = FindUse(samples, sample);
  if (use == nullptr || use->width != width || use->cycles != 1) return false;
  // One MEM slice per plane, all west of the consumer (values travel east).
  std::vector<int> west;
  for (int s = 0; s < config_.mem_slices; ++s) {
    if (CoreConfig::MemPosition(s) < to) west.push_back(s);
  }
  if (static_cast<int>(west.size()) < width) return false;
  const int lo = isa::kLatReadStreamOut;
  const int li = use->offset;
  constexpr int kMaxGap = 32;  // busy MEM queues: the consumer may wait a while for them
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::vector<int> slices = west;
    for (int i = static_cast<int>(slices.size()) - 1; i > 0; --i) {
      std::swap(slices[i], slices[Uniform(0, i)]);
    }
    slices.resize(width);
    const int base = Uniform(0, config_.streams - width);
    Instr consumer = c;
    SetStreamOperand(consumer, sample, Dir::kEast, base);
    int64_t tc = now_[cq];
    for (int s : slices) {
      const int hops = to - CoreConfig::MemPosition(s);
      tc = std::max(tc, now_[CoreConfig::MemQueue(s)] + lo + hops - li);
    }
    if (tc - now_[cq] > kMaxGap) continue;
    const size_t tables_before = tables_.size();
    const std::vector<int> next_before = table_next_;
    std::vector<Instr> reads(width);
    std::vector<int64_t> tp(width);
    const size_t mark = Checkpoint();
    bool ok = true;
    for (int b = 0; b < width && ok; ++b) {
      const int slice = slices[b];
      const int from = CoreConfig::MemPosition(slice);
      tp[b] = tc + li - lo - (to - from);
      const int table = NewTable(slice, planes[b]);
      if (table < 0) {
        ok = false;
        break;
      }
      reads[b] = Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(tables_[table].addr),
                             static_cast<uint32_t>(base + b), Dir::kEast);
      ok = TryIssue(CoreConfig::MemQueue(slice), tp[b], reads[b]);
      const int id = last_producer_id_;
      ok = ok && Carry(from, Dir::kEast, base + b, tp[b] + lo, to, id);
    }
    ok = ok && TryIssue(cq, tc, consumer, -1, true);
    if (!ok) {
      Rollback(mark);
      tables_.resize(tables_before);
      table_next_ = next_before;
      continue;
    }
    for (int b = 0; b < width; ++b) Append(CoreConfig::MemQueue(slices[b]), tp[b], reads[b]);
    Append(cq, tc, consumer);
    return true;
  }
  return false;
}

namespace {

// The instruction re-issued k times: addr advanced by k strides (nullopt when it leaves the
// field, which the ISA treats as out of range).
std::optional<Instr> Strided(const Instr& instr, int k) {
  if (!HasField(instr.op, "addr") || !HasField(instr.op, "stride")) return instr;
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
  const RouteSpec& end = route_end_[q];
  if (end.pq >= 0 && route_end_[end.pq].cq == end.cq && route_end_[end.cq].pq == end.pq &&
      Chance(0.8) && PairedRepeat(q, n, d)) {
    return true;
  }
  const size_t mark = Checkpoint();
  const int64_t tf = now_[q];
  Instr cur = last_[q];
  for (uint32_t k = 1; k <= n; ++k) {
    const int64_t t = tf + int64_t{k} * d - 1;
    auto next = Strided(cur, 1);
    if (!next || !TryIssue(q, t, *next)) {
      Rollback(mark);
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
// re-issued consumer (a table READ re-reads its word: stride 0).
bool GenContext::PairedRepeat(int q, uint32_t n, uint32_t d) {
  const RouteSpec end = route_end_[q];
  const int pq = end.pq;
  const int cq = end.cq;
  const int from = config_.QueuePosition(pq);
  const int to = config_.QueuePosition(cq);
  const size_t mark = Checkpoint();
  Instr p = last_[pq];
  Instr c = last_[cq];
  const int table = p.stride == 0 ? end.table : -1;
  bool ok = true;
  for (uint32_t k = 1; k <= n && ok; ++k) {
    const int64_t tp = now_[pq] + int64_t{k} * d - 1;
    const int64_t tc = now_[cq] + int64_t{k} * d - 1;
    auto np = Strided(p, 1);
    auto nc = Strided(c, 1);
    ok = np && nc && TryIssue(pq, tp, *np);
    const int id = last_producer_id_;
    if (ok) {
      const std::vector<StreamUse> pdrives = DrivesOf(config_, *np);
      const std::vector<StreamUse> csamples = SamplesOf(config_, *nc);
      const StreamUse* du = FindUse(pdrives, end.drive);
      const StreamUse* su = FindUse(csamples, end.sample);
      ok = du != nullptr && su != nullptr;
      if (ok) {
        const int lo = std::max(du->stream, su->stream);
        const int hi = std::min(du->stream + du->width, su->stream + su->width);
        for (int s = lo; s < hi && ok; ++s) {
          ok = Carry(from, du->dir, s, tp + du->offset, to, id);
        }
      }
    }
    ok = ok && TryIssue(cq, tc, *nc, table, true);
    if (ok) {
      p = *np;
      c = *nc;
      IssueAt(pq, tp, p);
      IssueAt(cq, tc, c);
    }
  }
  if (!ok) {
    Rollback(mark);
    return false;
  }
  last_table_[cq] = table;
  for (int side : {pq, cq}) {
    queues_[side].push_back(Instr::Repeat(n, d));
    now_[side] += int64_t{n} * d;
  }
  return true;
}

bool GenContext::VxmChain(int k0, int k1) {
  int64_t t0 = 0;
  for (int k = k0; k <= k1; ++k) t0 = std::max(t0, now_[config_.VxmQueue(k)] - (k - k0));
  for (int k = k0; k <= k1; ++k) {
    if (t0 + (k - k0) - now_[config_.VxmQueue(k)] > 8) return false;
  }
  std::vector<isa::Op> ops;
  for (const isa::VxmOpInfo& v : isa::kVxmOps) ops.push_back(v.op);
  const size_t mark = Checkpoint();
  std::vector<Instr> chain;
  for (int k = k0; k <= k1; ++k) {
    const int q = config_.VxmQueue(k);
    const isa::Op op = ops[Uniform(0, static_cast<int>(ops.size()) - 1)];
    Instr x = RandomOp(q, op);
    if (k > k0) {
      const isa::VxmOpInfo* v = vxm::FindVxmOp(op);
      if (v->b != isa::VxmKind::kNone && Chance(0.3)) {
        x.srcb = kVxmPrev;
      } else {
        x.srca = kVxmPrev;
      }
    }
    if (!TryIssue(q, t0 + (k - k0), x)) {
      Rollback(mark);
      return false;
    }
    chain.push_back(x);
  }
  for (int k = k0; k <= k1; ++k) Append(config_.VxmQueue(k), t0 + (k - k0), chain[k - k0]);
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

// IFETCH j of a queue (entry i_j) appends block j, entries QLEN + jW .. QLEN + (j+1)W - 1, in
// the cycle after its fetch; its next entry (i_j + 1) must already be loaded (else
// QUEUE_UNDERFLOW), so i_j + 2 <= QLEN + jW. With k IFETCHes and N entries, QLEN = N - kW:
// pad the queue with NOP 1 until N >= i_j + 2 + (k - j)W for every j. No overflow is possible
// while N <= QueueDepth (the loaded-but-unfetched entries never exceed N).
void GenContext::Finish() {
  const int w = config_.lanes / 4;
  qlen_.assign(config_.num_queues(), 0);
  for (int q = 0; q < config_.num_queues(); ++q) {
    const auto& fetches = ifetch_[q];
    const int k = static_cast<int>(fetches.size());
    int need = static_cast<int>(queues_[q].size());
    for (int j = 0; j < k; ++j) need = std::max(need, fetches[j].first + 2 + (k - j) * w);
    while (static_cast<int>(queues_[q].size()) < need) AppendControl(q, Instr::Nop(1));
    const int n = static_cast<int>(queues_[q].size());
    qlen_[q] = n - k * w;
    for (int j = 0; j < k; ++j) {
      std::vector<uint32_t> block;
      for (int e = qlen_[q] + j * w; e < qlen_[q] + (j + 1) * w; ++e) {
        block.push_back(Encode(queues_[q][e]));
      }
      tables_[fetches[j].second].lanes = PackWords(block, config_.lanes);
    }
  }
}

std::vector<uint32_t> GenContext::LoadedWords(int q) const {
  std::vector<uint32_t> out;
  const int n = qlen_.empty() ? static_cast<int>(queues_[q].size()) : qlen_[q];
  for (int e = 0; e < n; ++e) out.push_back(Encode(queues_[q][e]));
  return out;
}

std::vector<uint32_t> GenContext::AppendedWords(int q) const {
  std::vector<uint32_t> out;
  if (qlen_.empty()) return out;
  for (size_t e = static_cast<size_t>(qlen_[q]); e < queues_[q].size(); ++e) {
    out.push_back(Encode(queues_[q][e]));
  }
  return out;
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
    : config_(config), options_(std::move(options)), seed_(seed), rng_(seed) {}

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

// Operands a routed value may feed: not those whose value must come from a table.
bool RoutableSample(const Instr& c, std::string_view operand) {
  if (c.op == isa::Op::kPermute && operand == "b") return false;
  if (c.op == isa::Op::kScatter && operand == "istream") return false;
  return c.op != isa::Op::kIfetch;
}

// The generic placement of one slice op, driven by the ISA tables: with probability
// options().pair a producer's drive is routed to a consumer's sample (or the other way round).
// Ops whose operand value matters (SCATTER indices, a PERMUTE map) go to their table class.
bool PlaceOp(GenContext& ctx, int q, isa::Op op) {
  if (op == isa::Op::kScatter) return PlaceScatter(ctx, q);
  if (op == isa::Op::kPermute) return PlaceLaneMap(ctx, q);
  const CoreConfig& c = ctx.config();
  Instr x = ctx.RandomOp(q, op);
  const auto drives = DrivesOf(c, x);
  const auto samples = SamplesOf(c, x);
  const bool producer = !drives.empty() && drives[0].cycles == 1;
  bool consumer = false;
  for (const StreamUse& s : samples)
    consumer = consumer || (s.cycles == 1 && RoutableSample(x, s.operand));
  if ((producer || consumer) && ctx.Chance(ctx.options().pair)) {
    const bool as_producer = producer && (!consumer || ctx.Chance(0.5));
    for (int attempt = 0; attempt < 4; ++attempt) {
      const int r = ctx.Uniform(0, c.num_queues() - 1);
      if (r == q || c.QueuePosition(r) == c.QueuePosition(q)) continue;
      std::vector<isa::Op> partners;
      for (isa::Op o : SliceOps(c, r)) {
        if (o == isa::Op::kScatter || o == isa::Op::kPermute) continue;
        if (ctx.options().weights.OpWeight(FindOp(o)->name) > 0) partners.push_back(o);
      }
      if (partners.empty()) continue;
      Instr y = ctx.RandomOp(r, partners[ctx.Uniform(0, static_cast<int>(partners.size()) - 1)]);
      RouteSpec spec;
      if (as_producer) {
        spec.pq = q;
        spec.p = x;
        spec.cq = r;
        spec.c = y;
      } else {
        spec.pq = r;
        spec.p = y;
        spec.cq = q;
        spec.c = x;
      }
      const auto pd = DrivesOf(c, spec.p);
      const auto cs = SamplesOf(c, spec.c);
      std::vector<std::string_view> ins;
      for (const StreamUse& s : cs) {
        if (s.cycles == 1 && RoutableSample(spec.c, s.operand)) ins.push_back(s.operand);
      }
      if (pd.empty() || pd[0].cycles != 1 || ins.empty()) continue;
      spec.drive = pd[0].operand;
      spec.sample = ins[ctx.Uniform(0, static_cast<int>(ins.size()) - 1)];
      spec.plane = ctx.Uniform(0, 3);
      if (ctx.Route(spec)) return true;
    }
  }
  return ctx.Issue(q, x);
}

int ClassWeight(const GenWeights& w, const CustomClass& c) {
  auto it = w.custom.find(c.cls.name);
  if (it != w.custom.end()) return it->second;
  const bool on = c.gate.empty() ? w.op_default > 0 : w.OpWeight(c.gate) > 0;
  return on ? c.cls.default_weight : 0;
}

}  // namespace

void ProgramGenerator::Generate(GenContext& ctx, int horizon_min, int horizon_max,
                                const GenOptions& options) {
  const int nq = config_.num_queues();
  const GenWeights& w = options.weights;
  std::vector<int64_t> horizon(nq);
  for (int q = 0; q < nq; ++q) {
    horizon[q] = ctx.Chance(options.empty_queue) ? 0 : ctx.Uniform(horizon_min, horizon_max);
  }
  const int fetch_words = config_.lanes / 4;
  const size_t max_len = static_cast<size_t>(
      std::max(8, config_.queue_depth - 48 - options.max_ifetch * (fetch_words + 1)));
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
    for (const CustomClass& cls : kCustomClasses) {
      if (!cls.cls.applies(config_, q)) continue;
      choices.push_back({ClassWeight(w, cls), [&, cls] { return cls.cls.place(ctx, q); }});
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
}

RandomCase ProgramGenerator::MakeCase(const GenContext& ctx,
                                      const std::vector<std::vector<uint32_t>>& tails) {
  const int nq = config_.num_queues();
  RandomCase rc;
  rc.words.resize(nq);
  rc.appended.resize(nq);
  for (int q = 0; q < nq; ++q) {
    rc.words[q] = ctx.LoadedWords(q);
    rc.words[q].insert(rc.words[q].end(), tails[q].begin(), tails[q].end());
    rc.appended[q] = ctx.AppendedWords(q);
  }
  std::uniform_int_distribution<int> coin(0, 99);
  auto flip = [&]() -> uint32_t {  // one flipped codeword bit in the lanes of some chunks
    if (coin(rng_) >= options_.ecc_flip * 100) return 0;
    const uint32_t bit = 1u << (coin(rng_) % 13);
    const uint32_t lanes = 1u + static_cast<uint32_t>(coin(rng_) % 15);
    return bit | lanes << 16;
  };
  // The words the address pool draws from, in every slice.
  std::vector<int> words;
  for (int a = 0; a < std::min(8, config_.mem_depth); ++a) words.push_back(a);
  for (int a = std::max(8, config_.mem_depth - 3); a < config_.mem_depth; ++a) words.push_back(a);
  for (int slice = 0; slice < config_.mem_slices; ++slice) {
    for (int word : words) {
      if (coin(rng_) < 50) continue;
      MemInit m{slice, word, std::vector<uint8_t>(config_.lanes), flip()};
      for (auto& b : m.lanes) b = static_cast<uint8_t>(rng_());
      rc.mem.push_back(std::move(m));
    }
  }
  for (const GenContext::Table& t : ctx.tables()) {
    rc.mem.push_back(MemInit{t.slice, t.addr, t.lanes, flip()});
  }
  return rc;
}

RandomCase ProgramGenerator::Legal() {
  GenContext ctx(config_, rng_, options_);
  Generate(ctx, options_.horizon_min, options_.horizon_max, options_);
  ctx.Finish();
  const Program program = ctx.TakeProgram();
  // The generator's own timing must be the ICU's (Program::QueueTiming): a cheap self-check.
  const Program::Timing timing = program.QueueTiming();
  for (int q = 0; q < config_.num_queues(); ++q) {
    if (timing.finish[q] != ctx.Now(q)) {
      throw Error(fmt::format("generator: queue {} finishes at {}, the generator thought {}",
                              config_.QueueName(q), timing.finish[q], ctx.Now(q)));
    }
  }
  program.CheckFits(config_);
  RandomCase rc = MakeCase(ctx, std::vector<std::vector<uint32_t>>(config_.num_queues()));
  rc.cycles = program.PredictedCycles();
  int instrs = 0;
  for (const auto& q : program.queues) instrs += static_cast<int>(q.size());
  rc.description = fmt::format("legal program, {} instructions, {} cycles", instrs, rc.cycles);
  return rc;
}

// ---------------------------------------------------------------------------------------------
// Illegal mode: one maker per error code. A maker gets a short legal program (a GenContext, so
// it can still place legal instructions with their timing) and appends the bad instruction(s)
// to the queues' tails; it returns false when the program does not suit it (the caller draws a
// new one). Legal instructions in a tail are checked with TryIssue, so that nothing but the
// intended error can happen first.
// ---------------------------------------------------------------------------------------------

namespace {

struct IllegalCtx {
  GenContext& ctx;
  std::vector<std::vector<uint32_t>>& tails;
  std::vector<MemInit>& mem;
  RandomCase& rc;
  uint64_t variant;  // the seed: its digits pick the maker's variants (Pick)
  const CoreConfig& config() const { return ctx.config(); }
  int Uniform(int lo, int hi) { return ctx.Uniform(lo, hi); }
  bool Chance(double p) { return ctx.Chance(p); }
  // One of n choices from the next digit of the variant (radix n): consecutive seeds walk
  // through every combination of the choices a maker makes.
  int Pick(int n) {
    const int v = static_cast<int>(variant % static_cast<uint64_t>(n));
    variant /= static_cast<uint64_t>(n);
    return v;
  }
  // A queue of every kind in turn (Pick), the queue within the kind at random.
  int AnyQueue() {
    std::vector<isa::Unit> kinds;
    for (int q = 0; q < config().num_queues(); ++q) {
      if (std::find(kinds.begin(), kinds.end(), config().QueueUnit(q)) == kinds.end()) {
        kinds.push_back(config().QueueUnit(q));
      }
    }
    const isa::Unit kind = kinds[Pick(static_cast<int>(kinds.size()))];
    std::vector<int> queues;
    for (int q = 0; q < config().num_queues(); ++q) {
      if (config().QueueUnit(q) == kind) queues.push_back(q);
    }
    return queues[Uniform(0, static_cast<int>(queues.size()) - 1)];
  }
  int AnyMemQueue() { return CoreConfig::MemQueue(Uniform(0, config().mem_slices - 1)); }
  int64_t Now(int q) const { return ctx.Now(q); }
  void Expect(isa::Err err, int q, int64_t cycle) {
    rc.err = err;
    rc.err_queue = q;
    rc.err_cycle = cycle;
  }
  void Tail(int q, const Instr& instr) { tails[q].push_back(Encode(instr)); }
  void TailNop(int q, int64_t n) {
    if (n > 0) Tail(q, Instr::Nop(static_cast<uint32_t>(n)));
  }
  uint32_t Word(isa::Op op) { return static_cast<uint32_t>(op) << isa::kOpcodeLsb; }
  // A slice op of queue q's kind with random legal fields, or nullopt when the kind has none
  // that `want` accepts.
  std::optional<Instr> OpOf(int q, const std::function<bool(isa::Op)>& want) {
    std::vector<isa::Op> ops;
    for (isa::Op op : SliceOps(config(), q)) {
      if (want(op)) ops.push_back(op);
    }
    if (ops.empty()) return std::nullopt;
    return ctx.RandomOp(q, ops[Uniform(0, static_cast<int>(ops.size()) - 1)]);
  }
};

bool MakeIllegalOpcode(IllegalCtx& m) {
  const int q = m.AnyQueue();
  std::vector<uint32_t> words;
  for (uint32_t opcode = 0; opcode < (1u << (isa::kOpcodeMsb - isa::kOpcodeLsb + 1)); ++opcode) {
    const isa::OpInfo* info = FindOpByOpcode(opcode);
    if (info == nullptr) {
      words.push_back(opcode << isa::kOpcodeLsb);  // undefined
    } else if (info->unit != isa::Unit::kIcu && info->unit != m.config().QueueUnit(q)) {
      words.push_back(Encode(Instr{.op = info->op}));  // another unit's op
    }
  }
  m.tails[q].push_back(words[m.Uniform(0, static_cast<int>(words.size()) - 1)]);
  m.Expect(isa::Err::kIllegalOpcode, q, m.Now(q));
  return true;
}

bool MakeAddrRange(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  if (m.Pick(3) == 0) {
    // GATHER or SCATTER whose lanes leave the memory: the slice raises it in t+1.
    const int q = m.AnyMemQueue();
    Instr x = m.ctx.RandomOp(q, m.Chance(0.5) ? isa::Op::kGather : isa::Op::kScatter);
    x.addr =
        static_cast<uint32_t>(m.Uniform(c.mem_depth, static_cast<int>(FieldMax(x.op, "addr"))));
    m.Tail(q, x);
    m.Expect(isa::Err::kAddrRange, q, m.Now(q) + 1);
    return true;
  }
  const int q = m.AnyQueue();
  auto op = m.OpOf(q, [](isa::Op o) { return HasField(o, "addr") && HasField(o, "stride"); });
  if (!op) return false;
  const int limit = c.AddrLimit(q);
  const int64_t f = m.Now(q);
  if (m.Chance(0.5) && limit <= FieldMax(op->op, "addr")) {
    op->addr = static_cast<uint32_t>(m.Uniform(limit, static_cast<int>(FieldMax(op->op, "addr"))));
    m.Tail(q, *op);
    m.Expect(isa::Err::kAddrRange, q, f);
    return true;
  }
  // A strided re-issue leaves the memory: up past the end or down past 0. A quad moves in
  // whole groups (its addresses stay aligned), so only the range is wrong.
  const bool up = m.Chance(0.5);
  const int g = DataGroup(*op);
  const int top = (limit - 1) / g * g;  // the last legal (aligned) address
  const int stride = m.Uniform(1, 3) * g * (up ? 1 : -1);
  op->stride = stride;
  const int shift = g * m.Uniform(0, std::min(4, top / g));
  op->addr = static_cast<uint32_t>(up ? top - shift : shift);
  const int64_t room = up ? (top - static_cast<int64_t>(op->addr)) / stride
                          : static_cast<int64_t>(op->addr) / -stride;
  const int k = static_cast<int>(room) + 1;  // first re-issue out of range
  const uint32_t d = static_cast<uint32_t>(m.Uniform(1, 3));
  const uint32_t n = static_cast<uint32_t>(k + m.Uniform(0, 2));
  // The legal issues before it must not collide with anything (they are checked as placed).
  Instr cur = *op;
  if (!m.ctx.TryIssue(q, f, cur)) return false;
  for (int i = 1; i < k; ++i) {
    cur.addr = static_cast<uint32_t>(static_cast<int>(cur.addr) + stride);
    if (!m.ctx.TryIssue(q, f + int64_t{i} * d, cur)) return false;
  }
  m.Tail(q, *op);
  m.Tail(q, Instr::Repeat(n, d));
  // X issues at f, REPEAT is fetched at f + 1, re-issue k happens at f + 1 + k*d - 1.
  m.Expect(isa::Err::kAddrRange, q, f + int64_t{k} * d);
  return true;
}

// Ops with a stream operand of queue q, IFETCH included.
std::optional<Instr> WithStreams(IllegalCtx& m, int q) {
  for (int tries = 0; tries < 8; ++tries) {
    std::optional<Instr> x;
    if (m.Chance(0.15)) {
      x = Instr::Ifetch(static_cast<uint32_t>(m.Uniform(0, m.config().streams - 1)),
                        m.Chance(0.5) ? Dir::kWest : Dir::kEast);
    } else {
      x = m.OpOf(q, [](isa::Op) { return true; });
    }
    if (x && !(DrivesOf(m.config(), *x).empty() && SamplesOf(m.config(), *x).empty())) return x;
  }
  return std::nullopt;
}

bool MakeStreamRange(IllegalCtx& m) {
  if (m.Pick(4) == 0) {
    // A READ/WRITE quad (aligned address) whose four-stream group runs past the last stream.
    const int q = m.AnyMemQueue();
    Instr x = m.ctx.RandomOp(q, m.Chance(0.5) ? isa::Op::kRead : isa::Op::kWrite);
    const int g = FindOp(x.op)->flag_group;
    x.flag = true;
    x.addr -= x.addr % static_cast<uint32_t>(g);
    x.stride = 0;
    x.stream = static_cast<uint32_t>(m.Uniform(m.config().streams - g + 1, 31));  // 5 bits
    m.Tail(q, x);
    m.Expect(isa::Err::kStreamRange, q, m.Now(q));
    return true;
  }
  const int q = m.AnyQueue();
  auto x = WithStreams(m, q);
  if (!x) return false;
  std::vector<StreamUse> uses = DrivesOf(m.config(), *x);
  for (const StreamUse& u : SamplesOf(m.config(), *x)) uses.push_back(u);
  const StreamUse u = uses[m.Uniform(0, static_cast<int>(uses.size()) - 1)];
  const int lo = m.config().streams - u.width + 1;
  const int max = 31;  // every stream field is 5 bits
  if (lo > max) return false;
  SetStreamOperand(*x, u.operand, u.dir, m.Chance(0.5) ? lo : m.Uniform(lo, max));
  m.Tail(q, *x);
  m.Expect(isa::Err::kStreamRange, q, m.Now(q));
  return true;
}

bool MakeBadOperand(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  switch (m.Pick(7)) {
    case 0: {  // NOP 0, REPEAT 0, d, REPEAT n, 0 on any queue
      const int q = m.AnyQueue();
      const int pick = m.Uniform(0, 2);
      m.tails[q].push_back(pick == 0   ? m.Word(isa::Op::kNop)
                           : pick == 1 ? m.Word(isa::Op::kRepeat) | 1u
                                       : m.Word(isa::Op::kRepeat) | (1u << 13));
      m.Expect(isa::Err::kBadOperand, q, m.Now(q));
      return true;
    }
    case 1: {  // CONFIG of a register the slice does not have, or QSHIFT > 63
      const int q = m.AnyQueue();
      const int regs = ConfigRegs(c.QueueUnit(q));
      Instr x = Instr::Config(static_cast<uint32_t>(m.Uniform(regs, 15)), 0);
      if (regs > 0 && m.Chance(0.5)) {
        x = Instr::Config(isa::kVxmCfgQshift,
                          static_cast<uint32_t>(m.Uniform(isa::kVxmQshiftMax + 1, 0xffff)));
      }
      m.Tail(q, x);
      m.Expect(isa::Err::kBadOperand, q, m.Now(q));
      return true;
    }
    case 2: {  // SXM: group code 3 or a shift amount >= NumLanes
      const int q = c.SxmQueue();
      Instr x = *m.OpOf(q, [](isa::Op o) { return o != isa::Op::kPermute; });
      if (HasField(x.op, "n") && m.Chance(0.5)) {
        x.n = static_cast<uint32_t>(m.Uniform(c.lanes, static_cast<int>(FieldMax(x.op, "n"))));
      } else {
        if (c.streams < 8) return false;
        x.group = 3;  // counts as 8 streams for the range check
        x.a = x.b = x.m = x.stream = 0;
      }
      m.Tail(q, x);
      m.Expect(isa::Err::kBadOperand, q, m.Now(q));
      return true;
    }
    case 3: {  // VXM: a type the op does not take, a reserved operand encoding, PREV on vxm0
      const int k = m.Uniform(0, c.vxm_alus - 1);
      const int q = c.VxmQueue(k);
      Instr x = *m.OpOf(q, [](isa::Op o) { return IsVxm(o); });
      const isa::VxmOpInfo* v = vxm::FindVxmOp(x.op);
      switch (m.Uniform(0, 3)) {
        case 0: {
          std::vector<std::pair<uint32_t, uint32_t>> bad;
          for (uint32_t t = 0; t < 4; ++t) {
            for (uint32_t s = 0; s < 4; ++s) {
              if (!vxm::TypeLegal(x.op, isa::VxmType(t), isa::VxmType(s)) &&
                  (x.op == isa::Op::kVcvt || s == 0)) {
                bad.emplace_back(t, s);
              }
            }
          }
          if (bad.empty()) return false;
          const auto [t, s] = bad[m.Uniform(0, static_cast<int>(bad.size()) - 1)];
          x.vtype = t;
          x.stype = s;
          // Stream operands of the wrong width could trip STREAM_RANGE first.
          if (v->a != isa::VxmKind::kNone) x.srca = kVxmSelf;
          if (v->b != isa::VxmKind::kNone) x.srcb = kVxmImm;
          x.dst = kVxmNone;
          break;
        }
        case 1:
          x.srca = static_cast<uint32_t>(m.Uniform(kVxmImm + 1, (1 << isa::kVxmStreamBit) - 1));
          break;
        case 2:
          x.dst = static_cast<uint32_t>(m.Uniform(1, (1 << isa::kVxmStreamBit) - 1));
          break;
        default:
          if (k != 0) return false;
          x.srca = kVxmPrev;
      }
      m.Tail(q, x);
      m.Expect(isa::Err::kBadOperand, q, m.Now(q));
      return true;
    }
    case 4: {  // a READ/WRITE quad at an address that is no multiple of 4 (streams in range)
      const int q = m.AnyMemQueue();
      Instr x = m.ctx.RandomOp(q, m.Chance(0.5) ? isa::Op::kRead : isa::Op::kWrite);
      const int g = FindOp(x.op)->flag_group;
      const int limit = c.AddrLimit(q);
      x.flag = true;
      x.addr = static_cast<uint32_t>(g * m.Uniform(0, limit / g - 1) + m.Uniform(1, g - 1));
      x.stream = static_cast<uint32_t>(m.Uniform(0, c.streams - g));
      m.Tail(q, x);
      m.Expect(isa::Err::kBadOperand, q, m.Now(q));
      return true;
    }
    default: {  // a PERMUTE map that is not a bijection (raised by the SXM in t+1)
      const int q = c.SxmQueue();
      if (m.Chance(0.5)) {
        // An eastward map: at the SXM only the MXM (position 0) drives eastward streams, so
        // where it does not drive in the issue cycle, the map is all zeros.
        const int64_t f = m.Now(q);
        Instr x = m.ctx.RandomOp(q, isa::Op::kPermute);
        x.bdir = Dir::kEast;
        if (!m.ctx.DriveFree(CoreConfig::MxmPosition(), Dir::kEast, static_cast<int>(x.b), f)) {
          return false;
        }
        m.Tail(q, x);
        m.Expect(isa::Err::kBadOperand, q, f + 1);
        return true;
      }
      std::vector<uint8_t> map(static_cast<size_t>(c.lanes));
      for (auto& b : map) b = static_cast<uint8_t>(m.Uniform(0, c.lanes - 1));
      map[m.Uniform(1, c.lanes - 1)] = map[0];  // a repeated lane
      if (m.Chance(0.3))
        map[m.Uniform(0, c.lanes - 1)] = static_cast<uint8_t>(m.Uniform(c.lanes, 255));
      if (!m.ctx.RouteTable(q, m.ctx.RandomOp(q, isa::Op::kPermute), "b", map, false)) return false;
      m.Expect(isa::Err::kBadOperand, q, m.Now(q));  // issued at Now - 1
      return true;
    }
  }
}

bool MakeSyncDeadlock(IllegalCtx& m) {
  const int nq = m.config().num_queues();
  const int64_t last_notify = m.ctx.LastNotify();
  std::vector<int> parkers;
  for (int q = 0; q < nq; ++q) {
    if (m.Now(q) > last_notify && (parkers.empty() || m.Chance(0.25))) parkers.push_back(q);
  }
  if (parkers.empty()) return false;
  int64_t cycle = 0;
  for (int q = 0; q < nq; ++q) {
    const bool parks = std::find(parkers.begin(), parkers.end(), q) != parkers.end();
    cycle = std::max(cycle, m.Now(q) + (parks ? 1 : 0));
    if (parks) m.Tail(q, Instr::Sync());
  }
  m.Expect(isa::Err::kSyncDeadlock, *std::min_element(parkers.begin(), parkers.end()), cycle);
  return true;
}

bool MakeStreamConflict(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  const int variant = m.Pick(3);
  if (variant == 0 && c.vxm_alus >= 2) {
    // Two VXM ALUs drive overlapping groups in one direction in one cycle (t+2).
    const int i = m.Uniform(0, c.vxm_alus - 2);
    const int j = m.Uniform(i + 1, c.vxm_alus - 1);
    const int qi = c.VxmQueue(i);
    const int qj = c.VxmQueue(j);
    auto with_dst = [&](int q) -> std::optional<Instr> {
      for (int tries = 0; tries < 8; ++tries) {
        auto x = m.OpOf(q, [](isa::Op o) { return IsVxm(o); });
        if (x && VxmIsStream(x->dst)) return x;
      }
      return std::nullopt;
    };
    auto xi = with_dst(qi);
    auto xj = with_dst(qj);
    if (!xi || !xj) return false;
    const StreamUse di = DrivesOf(c, *xi)[0];
    const StreamUse dj = DrivesOf(c, *xj)[0];
    // Move j's group onto i's, overlapping by at least one stream.
    const int lo = std::max(0, di.stream - dj.width + 1);
    const int hi = std::min(c.streams - dj.width, di.stream + di.width - 1);
    if (lo > hi) return false;
    SetStreamOperand(*xj, "dst", di.dir, m.Uniform(lo, hi));
    const int64_t t = std::max(m.Now(qi), m.Now(qj)) + m.Uniform(0, 2);
    for (const Instr& x : {*xi, *xj}) {
      const StreamUse d = DrivesOf(c, x)[0];
      for (int s = d.stream; s < d.stream + d.width; ++s) {
        if (!m.ctx.DriveFree(c.VxmPosition(), d.dir, s, t + d.offset)) return false;
      }
    }
    m.TailNop(qi, t - m.Now(qi));
    m.Tail(qi, *xi);
    m.TailNop(qj, t - m.Now(qj));
    m.Tail(qj, *xj);
    m.Expect(isa::Err::kStreamConflict, qi, t + isa::kLatVaddStreamOut);
    return true;
  }
  if (variant == 1) {
    // A GATHER at f and a READ at f+1 on one slice drive the same stream in f+3 (their bank
    // accesses in f+2 in different banks).
    const int q = m.AnyMemQueue();
    const int half = c.mem_depth / 2;
    if (half < 256) return false;
    const int64_t f = m.Now(q);
    Instr g = m.ctx.RandomOp(q, isa::Op::kGather);
    g.addr = static_cast<uint32_t>(m.Uniform(0, half - 256));  // lanes in bank 0
    if (!m.ctx.TryIssue(q, f, g)) return false;
    Instr r = m.ctx.RandomOp(q, isa::Op::kRead);
    r.addr = static_cast<uint32_t>(m.Uniform(half, c.mem_depth - 1));
    r.stream = g.stream;
    r.dir = g.dir;
    if (r.flag) {  // a quad: aligned, its group covering the GATHER's stream
      const int w = DataGroup(r);
      r.addr -= r.addr % static_cast<uint32_t>(w);
      r.stream =
          static_cast<uint32_t>(m.Uniform(std::max(0, static_cast<int>(g.stream) - w + 1),
                                          std::min(c.streams - w, static_cast<int>(g.stream))));
    }
    m.Tail(q, g);
    m.Tail(q, r);
    m.Expect(isa::Err::kStreamConflict, q, f + 3);
    return true;
  }
  // A TRANSPOSE column and another SXM op's result on the same stream in one cycle.
  const int q = c.SxmQueue();
  const int L = c.lanes;
  const int64_t t = std::max(m.Now(q), m.ctx.LastTranspose() + L);
  Instr tr = m.ctx.RandomOp(q, isa::Op::kTranspose);
  if (!m.ctx.TryIssue(q, t, tr)) return false;
  auto x = m.OpOf(q, [](isa::Op o) { return o != isa::Op::kTranspose && o != isa::Op::kPermute; });
  const int col = m.Uniform(0, L - 1);
  const StreamUse dt = DrivesOf(c, tr)[0];
  const int w = SxmGroupSize(x->group);
  const int lo = std::max(0, dt.stream - w + 1);
  const int hi = std::min(c.streams - w, dt.stream + dt.width - 1);
  if (lo > hi) return false;
  SetStreamOperand(*x, "stream", dt.dir, m.Uniform(lo, hi));
  m.TailNop(q, t - m.Now(q));
  m.Tail(q, tr);
  m.TailNop(q, L - 2 + col);
  m.Tail(q, *x);
  m.Expect(isa::Err::kStreamConflict, q, t + L + 1 + col);
  return true;
}

bool MakeQueueOverflow(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  const int q = m.AnyQueue();
  const int n = static_cast<int>(m.ctx.Instrs(q).size());
  const int w = c.lanes / 4;
  const int depth = c.queue_depth;
  // IFETCH j (entry n + j, fetched at f + j) lands at f + j + 1, when n + j + 2 entries have
  // been fetched and depth + j*w are loaded (every earlier one appended).
  if (w < 2) return false;  // one word per IFETCH never gets ahead of the fetches
  int j = 0;
  while (depth + w * j + w - (n + j + 2) <= depth) ++j;
  if (n + j + 3 > depth) return false;
  for (int i = 0; i <= j; ++i) {
    m.Tail(q, Instr::Ifetch(static_cast<uint32_t>(m.Uniform(0, c.streams - 1)),
                            m.Chance(0.5) ? Dir::kWest : Dir::kEast));
  }
  while (n + static_cast<int>(m.tails[q].size()) < depth) m.Tail(q, Instr::Nop(1));
  m.Expect(isa::Err::kQueueOverflow, q, m.Now(q) + j + 1);
  return true;
}

bool MakeQueueUnderflow(IllegalCtx& m) {
  const int q = m.AnyQueue();
  // An IFETCH as the last loaded entry: the queue must fetch in t+1, but its words land only
  // at the end of t+1.
  if (m.Chance(0.3)) m.TailNop(q, m.Uniform(1, 3));
  const int64_t f = m.Now(q) + (m.tails[q].empty() ? 0 : Decode(m.tails[q].back())->n);
  m.Tail(q, Instr::Ifetch(static_cast<uint32_t>(m.Uniform(0, m.config().streams - 1)),
                          m.Chance(0.5) ? Dir::kWest : Dir::kEast));
  m.Expect(isa::Err::kQueueUnderflow, q, f + 1);
  return true;
}

bool MakeEccUncorrectable(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  const int slice = m.Uniform(0, c.mem_slices - 1);
  const int q = CoreConfig::MemQueue(slice);
  // A word nothing before reads or writes, loaded with two flipped codeword bits.
  int word = -1;
  for (int tries = 0; tries < 20 && word < 0; ++tries) {
    const int w = m.Uniform(0, c.mem_depth - 1);
    if (!m.ctx.InTableZone(w) && !m.ctx.Touched(slice, w)) word = w;
  }
  if (word < 0) return false;
  const int b1 = m.Uniform(0, 12);
  int b2 = m.Uniform(0, 11);
  if (b2 >= b1) ++b2;
  const uint32_t inject = (1u << b1) | (1u << b2) | static_cast<uint32_t>(m.Uniform(1, 15)) << 16;
  MemInit poison{slice, word, std::vector<uint8_t>(static_cast<size_t>(c.lanes)), inject};
  for (auto& b : poison.lanes) b = static_cast<uint8_t>(m.Uniform(0, 255));
  if (m.Chance(0.3) && word >= 1) {
    // A GATHER whose lanes include the word.
    Instr g = m.ctx.RandomOp(q, isa::Op::kGather);
    const int base = std::max(0, word - m.Uniform(0, std::min(255, word)));
    g.addr = static_cast<uint32_t>(base);
    std::vector<uint8_t> idx(static_cast<size_t>(c.lanes), static_cast<uint8_t>(word - base));
    if (m.ctx.RouteTable(q, g, "istream", idx, false)) {
      m.mem.push_back(poison);
      m.Expect(isa::Err::kEccUncorrectable, q, m.Now(q) - 1 + isa::kLatGatherStreamOut);
      return true;
    }
  }
  Instr r = m.ctx.RandomOp(q, isa::Op::kRead);
  r.addr = static_cast<uint32_t>(word - word % DataGroup(r));  // a quad: the aligned group
  r.stride = 0;
  const int64_t f = m.Now(q);
  if (!m.ctx.TryIssue(q, f, r)) return false;
  m.Tail(q, r);
  m.mem.push_back(poison);
  m.Expect(isa::Err::kEccUncorrectable, q, f + isa::kLatReadStreamOut);
  return true;
}

bool MakeUnitBusy(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  const int q = c.SxmQueue();
  const int L = c.lanes;
  const int64_t f = m.Now(q);
  Instr tr = m.ctx.RandomOp(q, isa::Op::kTranspose);
  if (f - m.ctx.LastTranspose() < L) {
    m.Tail(q, tr);  // the one before still captures
    m.Expect(isa::Err::kUnitBusy, q, f + 1);
    return true;
  }
  if (!m.ctx.TryIssue(q, f, tr)) return false;
  m.Tail(q, tr);
  const int g = m.Uniform(1, L - 1);
  if (m.Chance(0.5)) {
    m.Tail(q, Instr::Repeat(1, static_cast<uint32_t>(g)));  // re-issued at f + g
  } else {
    m.TailNop(q, g - 1);
    m.Tail(q, m.ctx.RandomOp(q, isa::Op::kTranspose));
  }
  m.Expect(isa::Err::kUnitBusy, q, f + g + 1);
  return true;
}

bool MakeBankConflict(IllegalCtx& m) {
  const CoreConfig& c = m.config();
  const int half = c.mem_depth / 2;
  if (half < 256) return false;
  const int q = m.AnyMemQueue();
  const int bank = m.Uniform(0, 1);
  // Every lane of the GATHER/SCATTER (idx unknown: a 256-word window) in `bank`.
  const int base = bank == 0 ? m.Uniform(0, half - 256) : m.Uniform(half, c.mem_depth - 256);
  Instr x = m.ctx.RandomOp(q, m.Chance(0.5) ? isa::Op::kGather : isa::Op::kScatter);
  x.addr = static_cast<uint32_t>(base);
  Instr y = m.ctx.RandomOp(q, m.Chance(0.5) ? isa::Op::kRead : isa::Op::kWrite);
  y.addr =
      static_cast<uint32_t>(bank == 0 ? m.Uniform(0, half - 1) : m.Uniform(half, c.mem_depth - 1));
  y.addr -= y.addr % static_cast<uint32_t>(DataGroup(y));  // a quad: aligned, same bank
  y.stride = 0;
  const int64_t f = m.Now(q);
  if (x.op == isa::Op::kGather && !m.ctx.TryIssue(q, f, x)) return false;
  m.Tail(q, x);
  m.Tail(q, y);
  m.Expect(isa::Err::kBankConflict, q, f + 2);
  return true;
}

using Maker = bool (*)(IllegalCtx&);
struct MakerEntry {
  isa::Err err;
  Maker make;
};
// One maker per error code; codes without one are reported by UntrippableErrors().
constexpr MakerEntry kMakers[] = {
    {isa::Err::kIllegalOpcode, MakeIllegalOpcode},
    {isa::Err::kAddrRange, MakeAddrRange},
    {isa::Err::kStreamRange, MakeStreamRange},
    {isa::Err::kBadOperand, MakeBadOperand},
    {isa::Err::kSyncDeadlock, MakeSyncDeadlock},
    {isa::Err::kStreamConflict, MakeStreamConflict},
    {isa::Err::kQueueOverflow, MakeQueueOverflow},
    {isa::Err::kQueueUnderflow, MakeQueueUnderflow},
    {isa::Err::kEccUncorrectable, MakeEccUncorrectable},
    {isa::Err::kUnitBusy, MakeUnitBusy},
    {isa::Err::kBankConflict, MakeBankConflict},
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
  // The legal prefix loads every entry (no IFETCH), so a tail follows it directly.
  GenOptions options = options_;
  options.weights.custom["ifetch"] = 0;
  const int nq = config_.num_queues();
  for (int attempt = 0; attempt < 50; ++attempt) {
    GenContext ctx(config_, rng_, options);
    Generate(ctx, 0, 40, options);
    std::vector<std::vector<uint32_t>> tails(nq);
    std::vector<MemInit> mem;
    RandomCase expect;
    // A variant a program cannot host (an ADDR_RANGE maker on a queue kind without addresses)
    // moves on to the next one.
    IllegalCtx m{ctx, tails, mem, expect, seed_ + static_cast<uint64_t>(attempt)};
    if (!make(m)) continue;
    ctx.Finish();
    RandomCase rc = MakeCase(ctx, tails);
    rc.mem.insert(rc.mem.end(), mem.begin(), mem.end());
    rc.err = expect.err;
    rc.err_queue = expect.err_queue;
    rc.err_cycle = expect.err_cycle;
    // A NOP or REPEAT at its field maximum fetched before the error, still pending when the
    // run stops (not with a deadlock, which such a queue would prevent).
    if (err != isa::Err::kSyncDeadlock && m.Chance(0.4)) {
      const int r = m.AnyQueue();
      if (r != rc.err_queue && tails[r].empty() && ctx.Now(r) <= rc.err_cycle) {
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
