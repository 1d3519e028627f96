// Functional coverage: bins from the ISA tables, an ICU shadow for control ops, JSON in and out.
#include "sw/verif/func_coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/isa/instr.h"
#include "sw/verif/random_program.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu::verif {
namespace {

std::string_view OpName(isa::Op op) { return FindOp(op)->name; }

int64_t FieldMax(isa::Op op, std::string_view field) {
  return FindField(FormatOf(*FindOp(op)), field)->max;
}

// n=1, n=2, n=max or n=mid for a count field.
std::string CountBin(std::string_view field, int64_t value, int64_t max) {
  if (value == 1 || value == 2) return fmt::format("{}={}", field, value);
  return fmt::format("{}={}", field, value == max ? "max" : "mid");
}

bool Legal(isa::Op op, isa::Unit kind) {
  const isa::OpInfo* info = FindOp(op);
  if (info == nullptr) return false;
  if (op == isa::Op::kConfig) return isa::kUnitConfigRegs[static_cast<size_t>(kind)] > 0;
  return info->unit == isa::Unit::kIcu || info->unit == kind;
}

const char* DirName(int dir) { return dir != 0 ? "W" : "E"; }

// "first", "mid" or "last" of a range 0..top.
const char* Where(int64_t v, int64_t top) { return v == 0 ? "first" : v == top ? "last" : "mid"; }

// Stream group widths the fabric can carry: every op's group, SXM group codes, VXM types.
std::set<int> GroupWidths() {
  std::set<int> w = {1};
  for (const isa::OpInfo& info : isa::kOps) {
    if (info.group > 0) w.insert(info.group);
  }
  for (uint32_t g = 0; g < 3; ++g) w.insert(SxmGroupSize(g));
  for (int g : isa::kVxmTypeGroups) w.insert(g);
  return w;
}

std::string VxmSourceBin(uint32_t s) {
  if (VxmIsStream(s)) return DirName(VxmStreamDir(s));
  return s == kVxmPrev ? "PREV" : s == kVxmSelf ? "SELF" : s == kVxmImm ? "IMM" : "reserved";
}

std::string TypeName(uint32_t t) { return std::string(isa::kVxmTypeNames[t & 3]); }

// The operand bins of op `op` (definitions) or of one instance (`instr` set). Both come from
// this one function so that every bin a run can hit is defined.
void OperandBins(const CoreConfig& c, isa::Op op, const Instr* instr, int q, bool reissue,
                 const std::function<void(const std::string&)>& bin) {
  const isa::OpInfo& info = *FindOp(op);
  const std::string n(info.name);
  const bool sxm = IsSxm(op);
  const isa::VxmOpInfo* vxm = vxm::FindVxmOp(op);
  if (HasField(op, "stream")) {
    if (instr == nullptr) {
      bin(n + ".stream_first");
      bin(n + ".stream_last");
      const int widest = sxm ? 1 : std::max(1, info.group);  // SXM groups vary: mid exists
      if (c.streams - widest >= 2) bin(n + ".stream_mid");
    } else {
      const int width = sxm ? SxmGroupSize(instr->group) : DataGroup(*instr);
      bin(fmt::format("{}.stream_{}", n, Where(instr->stream, c.streams - width)));
    }
  }
  auto dir_bins = [&](const char* field, const char* name) {
    if (!HasField(op, field)) return;
    if (instr == nullptr) {
      bin(fmt::format("{}.{}E", n, name));
      bin(fmt::format("{}.{}W", n, name));
    } else {
      bin(fmt::format("{}.{}{}", n, name, DirName(static_cast<int>(FieldValue(*instr, field)))));
    }
  };
  dir_bins("dir", "");
  dir_bins("idir", "idir=");
  dir_bins("adir", "adir=");
  dir_bins("bdir", "bdir=");
  dir_bins("mdir", "mdir=");
  if (!info.flag.empty()) {
    if (instr == nullptr) {
      bin(fmt::format("{}.{}=0", n, info.flag));
      bin(fmt::format("{}.{}=1", n, info.flag));
    } else {
      bin(fmt::format("{}.{}={}", n, info.flag, instr->flag ? 1 : 0));
    }
  }
  if (HasField(op, "addr")) {
    // GATHER/SCATTER: the base of a lane window; its last word is no boundary of interest.
    const bool window = HasField(op, "istream");
    if (instr == nullptr) {
      bin(n + ".addr_first");
      bin(n + ".addr_mid");
      if (!window) bin(n + ".addr_last");
    } else {
      // A quad's last legal address is the last aligned one.
      const int words = instr->flag && info.flag_group > 0 ? info.flag_group : 1;
      const int64_t last = window ? -1 : c.AddrLimit(q) - words;
      bin(fmt::format("{}.addr_{}", n, Where(instr->addr, last)));
    }
  }
  if (HasField(op, "stride")) {
    if (instr == nullptr) {
      for (const char* s : {"neg", "zero", "pos"}) bin(n + ".reissue_stride_" + s);
    } else if (reissue) {
      const int s = instr->stride;
      bin(n + (s < 0    ? ".reissue_stride_neg"
               : s == 0 ? ".reissue_stride_zero"
                        : ".reissue_stride_pos"));
    }
  }
  if (sxm) {
    if (instr == nullptr) {
      for (uint32_t g = 0; g < 3; ++g) bin(fmt::format("{}.group={}", n, SxmGroupSize(g)));
    } else {
      bin(fmt::format("{}.group={}", n, SxmGroupSize(instr->group)));
    }
    if (HasField(op, "n")) {
      auto amount = [&](int64_t v) {
        return v == 0 ? "0" : v == 1 ? "1" : v == c.lanes - 1 ? "max" : "mid";
      };
      if (instr == nullptr) {
        for (const char* a : {"0", "1", "mid", "max"}) bin(fmt::format("{}.n={}", n, a));
      } else {
        bin(fmt::format("{}.n={}", n, amount(instr->n)));
      }
    }
  }
  if (vxm != nullptr) {
    if (op == isa::Op::kVcvt) {
      if (instr == nullptr) {
        for (const auto& [t, st] : isa::kVxmConversions) {
          bin(fmt::format("{}.{}<-{}", n, TypeName(static_cast<uint32_t>(t)),
                          TypeName(static_cast<uint32_t>(st))));
        }
      } else {
        bin(fmt::format("{}.{}<-{}", n, TypeName(instr->vtype), TypeName(instr->stype)));
      }
    } else if (instr == nullptr) {
      for (uint32_t t = 0; t < 4; ++t) {
        if (vxm->types >> t & 1) bin(fmt::format("{}.type={}", n, TypeName(t)));
      }
    } else {
      bin(fmt::format("{}.type={}", n, TypeName(instr->vtype)));
    }
    auto sources = [&](const char* name, isa::VxmKind kind, uint32_t value) {
      if (kind == isa::VxmKind::kNone) return;
      if (instr == nullptr) {
        for (const char* s : {"E", "W", "PREV", "SELF", "IMM"})
          bin(fmt::format("{}.{}={}", n, name, s));
      } else {
        bin(fmt::format("{}.{}={}", n, name, VxmSourceBin(value)));
      }
    };
    sources("srca", vxm->a, instr ? instr->srca : 0);
    sources("srcb", vxm->b, instr ? instr->srcb : 0);
    if (instr == nullptr) {
      for (const char* s : {"E", "W", "none"}) bin(fmt::format("{}.dst={}", n, s));
    } else {
      bin(fmt::format("{}.dst={}", n,
                      VxmIsStream(instr->dst) ? DirName(VxmStreamDir(instr->dst)) : "none"));
    }
  }
  if (op == isa::Op::kConfig) {
    // The VXM's registers (the only slice with any): IMMLO, IMMHI, QSHIFT.
    const int regs = *std::max_element(isa::kUnitConfigRegs.begin(), isa::kUnitConfigRegs.end());
    if (instr == nullptr) {
      for (int i = 0; i < regs; ++i) {
        bin(fmt::format("{}.index={}.value_zero", n, i));
        bin(fmt::format("{}.index={}.value_max", n, i));
        bin(fmt::format("{}.index={}.value_mid", n, i));
      }
    } else {
      const uint32_t max =
          instr->index == isa::kVxmCfgQshift ? static_cast<uint32_t>(isa::kVxmQshiftMax) : 0xffff;
      bin(fmt::format("{}.index={}.value_{}", n, instr->index,
                      instr->value == 0     ? "zero"
                      : instr->value == max ? "max"
                                            : "mid"));
    }
  }
}

}  // namespace

FunctionalCoverage::FunctionalCoverage(const CoreConfig& config) : config_(config) {
  configs_.push_back(config.name);
  for (const isa::OpInfo& info : isa::kOps) {
    for (int q = 0; q < config.num_queues(); ++q) {
      if (Legal(info.op, config.QueueUnit(q))) {
        Define("op_queue", fmt::format("{}@{}", info.name, config.QueueName(q)));
      }
    }
    if (info.op == isa::Op::kNop || info.op == isa::Op::kRepeat || info.op == isa::Op::kSync ||
        info.op == isa::Op::kNotify) {
      continue;
    }
    OperandBins(config, info.op, nullptr, 0, false,
                [&](const std::string& b) { Define("operand", b); });
  }
  for (int w : GroupWidths()) {
    for (const char* dir : {"E", "W"}) {
      Define("group_dir", fmt::format("drive.g{}.{}", w, dir));
      Define("group_dir", fmt::format("sample.g{}.{}", w, dir));
    }
  }
  for (isa::Op op : {isa::Op::kRead, isa::Op::kWrite, isa::Op::kGather, isa::Op::kScatter}) {
    for (int b = 0; b < 2; ++b) Define("mem_bank", fmt::format("{}.bank{}", FindOp(op)->name, b));
  }
  for (const char* v : {"corrected", "corrected_read", "corrected_gather"}) Define("ecc", v);
  for (const char* v : {"appended", "appended_twice"}) Define("ifetch", v);
  for (const char* v : {"transpose_streaming", "op_during_transpose"}) Define("sxm", v);
  if (config.vxm_alus > 1) Define("vxm", "chain_prev");
  for (const char* v : {"self_back_to_back", "imm_after_config"}) Define("vxm", v);
  for (const char* v : {"n=1", "n=2", "n=mid", "n=max"}) Define("nop", v);
  for (const char* v : {"n=1", "n=2", "n=mid", "n=max", "d=1", "d=2", "d=mid", "d=max"}) {
    Define("repeat", v);
  }
  Define("repeat", "before_issue");
  for (const char* v : {"sync_same_cycle", "sync_parked", "notify_idle", "notify_release_1",
                        "notify_release_many"}) {
    Define("sync", v);
  }
  for (const isa::ErrInfo& e : isa::kErrors) {
    if (e.err != isa::Err::kNone) Define("error", std::string(e.name));
  }
}

void FunctionalCoverage::Hit(const std::string& point, const std::string& bin) {
  // Hits of bins this configuration does not define are kept too (a new op before its bins).
  ++points_[point][bin];
}

void FunctionalCoverage::SampleOperands(int q, const Instr& instr, bool reissue) {
  OperandBins(config_, instr.op, &instr, q, reissue,
              [&](const std::string& b) { Hit("operand", b); });
  for (const StreamUse& u : DrivesOf(config_, instr)) {
    Hit("group_dir", fmt::format("drive.g{}.{}", u.width, DirName(static_cast<int>(u.dir))));
  }
  for (const StreamUse& u : SamplesOf(config_, instr)) {
    Hit("group_dir", fmt::format("sample.g{}.{}", u.width, DirName(static_cast<int>(u.dir))));
  }
}

void FunctionalCoverage::SampleIssue(int q, uint32_t word, bool reissue) {
  auto instr = Decode(word);
  if (!instr) return;
  const isa::OpInfo& info = *FindOp(instr->op);
  Hit("op_queue", fmt::format("{}@{}", info.name, config_.QueueName(q)));
  SampleOperands(q, *instr, reissue);
  if (instr->op == isa::Op::kRead || instr->op == isa::Op::kWrite ||
      instr->op == isa::Op::kGather) {
    Hit("mem_bank",
        fmt::format("{}.bank{}", info.name, instr->addr >= config_.mem_depth / 2u ? 1 : 0));
  }
}

void FunctionalCoverage::SampleRun(const std::vector<std::vector<uint32_t>>& loaded,
                                   const std::vector<CycleTrace>& traces) {
  ++runs_;
  const int nq = config_.num_queues();
  struct Shadow {
    size_t pc = 0;
    int64_t wait = 0;
    int64_t rep_left = 0;
    int64_t rep_dist = 0;
    bool last_valid = false;
    uint32_t last = 0;
    bool parked = false;
    int appends = 0;
  };
  std::vector<Shadow> sh(nq);
  // The queue's entries: loaded ones, then what IFETCH appends (from the trace).
  std::vector<std::vector<uint32_t>> words = loaded;
  words.resize(nq);
  auto word_at = [&](int q, size_t pc) -> std::optional<uint32_t> {
    if (pc >= words[q].size()) return std::nullopt;
    return words[q][pc];
  };
  auto opcode = [](uint32_t w) { return static_cast<isa::Op>(w >> isa::kOpcodeLsb); };
  // Recent issues (cycle -> queue -> instruction) for the bins about sequences.
  std::map<int64_t, std::map<int, Instr>> recent;
  std::vector<int64_t> config_at(nq, -1);  // last CONFIG of an IMM half per queue
  int64_t last_transpose = -1'000'000;
  for (const CycleTrace& tr : traces) {
    // Which queues fetch in this cycle, and does any fetch a NOTIFY (the release broadcast)?
    std::vector<std::optional<uint32_t>> fetch(nq);
    bool release = false;
    int parked_now = 0;
    for (int q = 0; q < nq; ++q) {
      const Shadow& s = sh[q];
      parked_now += s.parked ? 1 : 0;
      if (!s.parked && s.wait == 0 && s.rep_left == 0) fetch[q] = word_at(q, s.pc);
      if (fetch[q] && opcode(*fetch[q]) == isa::Op::kNotify) release = true;
    }
    int syncs_now = 0;
    for (int q = 0; q < nq; ++q) {
      if (fetch[q] && opcode(*fetch[q]) == isa::Op::kSync) ++syncs_now;
    }
    std::map<int, uint32_t> predicted;  // queue -> issued word
    std::set<int> reissued;
    for (int q = 0; q < nq; ++q) {
      Shadow& s = sh[q];
      bool reissue = false;
      int64_t reissue_left = s.rep_left;
      int64_t reissue_dist = s.rep_dist;
      if (s.parked) {
        if (release) {
          s.parked = false;
          Hit("sync", "sync_parked");
        }
        continue;
      }
      if (s.wait > 0) {
        --s.wait;
        continue;
      }
      if (s.rep_left > 0) {
        reissue = true;
      } else if (fetch[q]) {
        const uint32_t w = *fetch[q];
        ++s.pc;
        const isa::Op op = opcode(w);
        auto instr = Decode(w);
        if (instr && IsControl(op))
          Hit("op_queue", fmt::format("{}@{}", OpName(op), config_.QueueName(q)));
        if (!instr) {
          // undefined: ILLEGAL_OPCODE (from the trace)
        } else if (op == isa::Op::kNop) {
          if (instr->n != 0) {
            Hit("nop", CountBin("n", instr->n, FieldMax(op, "n")));
            s.wait = instr->n - 1;
          }
        } else if (op == isa::Op::kRepeat) {
          if (instr->n != 0 && instr->d != 0) {
            Hit("repeat", CountBin("n", instr->n, FieldMax(op, "n")));
            Hit("repeat", CountBin("d", instr->d, FieldMax(op, "d")));
            if (!s.last_valid) Hit("repeat", "before_issue");
            s.rep_dist = instr->d;
            if (instr->d == 1) {
              reissue = true;
              reissue_left = instr->n;
              reissue_dist = instr->d;
            } else {
              s.rep_left = instr->n;
              s.wait = instr->d - 2;
            }
          }
        } else if (op == isa::Op::kSync) {
          s.parked = !release;
          if (release) Hit("sync", "sync_same_cycle");
        } else if (op == isa::Op::kNotify) {
          const int released = parked_now + syncs_now;
          Hit("sync", released == 0   ? "notify_idle"
                      : released == 1 ? "notify_release_1"
                                      : "notify_release_many");
        } else if (op == isa::Op::kIfetch) {
          if (tr.err == isa::Err::kNone) SampleOperands(q, *instr, false);
        } else if (Legal(op, config_.QueueUnit(q))) {
          predicted[q] = w;
        }
      }
      if (reissue) {
        s.rep_left = reissue_left - 1;
        s.wait = s.rep_left != 0 ? reissue_dist - 1 : 0;
        if (s.last_valid) {
          uint32_t w = s.last;
          if (auto li = Decode(w); li && HasField(li->op, "addr")) {
            const int64_t a = static_cast<int64_t>(li->addr) + li->stride;
            Instr next = *li;
            next.addr = static_cast<uint32_t>(a & FieldMax(li->op, "addr"));
            w = Encode(next);
          }
          predicted[q] = w;
          reissued.insert(q);
        }
      }
    }
    // The trace says what was issued; the shadow remembers it as the last issued op.
    std::map<int, uint32_t> actual;
    const int64_t c = tr.cycle;
    for (const IssueEvent& e : tr.issues) {
      actual[e.queue] = e.word;
      SampleIssue(e.queue, e.word, reissued.contains(e.queue));
      sh[e.queue].last_valid = true;
      sh[e.queue].last = e.word;
      auto instr = Decode(e.word);
      if (!instr) continue;
      recent[c][e.queue] = *instr;
      const int alu = config_.VxmAlu(e.queue);
      if (instr->op == isa::Op::kTranspose) {
        if (c - last_transpose == config_.lanes) Hit("sxm", "transpose_streaming");
        last_transpose = c;
      } else if (IsSxm(instr->op) && c - last_transpose <= config_.lanes) {
        Hit("sxm", "op_during_transpose");
      }
      if (instr->op == isa::Op::kConfig && instr->index != isa::kVxmCfgQshift)
        config_at[e.queue] = c;
      if (alu >= 0 && vxm::FindVxmOp(instr->op) != nullptr) {
        const isa::VxmOpInfo* v = vxm::FindVxmOp(instr->op);
        auto reads = [&](uint32_t src) {
          return (v->a != isa::VxmKind::kNone && instr->srca == src) ||
                 (v->b != isa::VxmKind::kNone && instr->srcb == src);
        };
        auto issued_at = [&](int64_t cycle, int queue) {
          auto it = recent.find(cycle);
          return it != recent.end() && it->second.contains(queue);
        };
        if (alu > 0 && reads(kVxmPrev) && issued_at(c - 1, config_.VxmQueue(alu - 1))) {
          Hit("vxm", "chain_prev");
        }
        if (reads(kVxmSelf) && issued_at(c - 1, e.queue)) Hit("vxm", "self_back_to_back");
        if (reads(kVxmImm) && config_at[e.queue] >= 0) Hit("vxm", "imm_after_config");
      }
    }
    for (const ScatterEvent& e : tr.scatters) {
      for (int a : e.addrs)
        Hit("mem_bank", fmt::format("SCATTER.bank{}", a >= config_.mem_depth / 2 ? 1 : 0));
    }
    if (tr.ecc_corrected > 0) {
      auto any = [&](int64_t cycle, isa::Op op) {
        auto it = recent.find(cycle);
        if (it == recent.end()) return false;
        for (const auto& [q, instr] : it->second) {
          if (instr.op == op) return true;
        }
        return false;
      };
      const bool read = any(c - isa::kLatReadStreamOut, isa::Op::kRead);
      const bool gather = any(c - isa::kLatGatherStreamOut, isa::Op::kGather);
      Hit("ecc", "corrected");
      if (read && !gather) Hit("ecc", "corrected_read");
      if (gather && !read) Hit("ecc", "corrected_gather");
    }
    for (const AppendEvent& a : tr.appends) {
      if (a.queue < 0 || a.queue >= nq) continue;
      words[a.queue].insert(words[a.queue].end(), a.words.begin(), a.words.end());
      Hit("ifetch", ++sh[a.queue].appends >= 2 ? "appended_twice" : "appended");
    }
    while (!recent.empty() && recent.begin()->first < c - 2 * config_.lanes - 4) {
      recent.erase(recent.begin());
    }
    if (tr.err != isa::Err::kNone) {
      Hit("error", ErrName(tr.err));
    } else if (predicted != actual) {
      ++shadow_mismatches_;
    }
  }
}

void FunctionalCoverage::Merge(const FunctionalCoverage& other) {
  for (const auto& [point, bins] : other.points_) {
    for (const auto& [bin, hits] : bins) points_[point][bin] += hits;
  }
  for (const auto& t : other.tests_) {
    if (std::find(tests_.begin(), tests_.end(), t) == tests_.end()) tests_.push_back(t);
  }
  for (const auto& c : other.configs_) {
    if (std::find(configs_.begin(), configs_.end(), c) == configs_.end()) configs_.push_back(c);
  }
  runs_ += other.runs_;
  shadow_mismatches_ += other.shadow_mismatches_;
}

std::vector<std::string> FunctionalCoverage::Missing() const {
  std::vector<std::string> out;
  for (const auto& [point, bins] : points_) {
    for (const auto& [bin, hits] : bins) {
      if (hits == 0) out.push_back(point + "/" + bin);
    }
  }
  return out;
}

double FunctionalCoverage::Percent(std::string_view coverpoint) const {
  auto it = points_.find(std::string(coverpoint));
  if (it == points_.end() || it->second.empty()) return 0;
  int64_t hit = 0;
  for (const auto& [bin, hits] : it->second) hit += hits > 0 ? 1 : 0;
  return 100.0 * static_cast<double>(hit) / static_cast<double>(it->second.size());
}

std::string FunctionalCoverage::ToJson(std::string_view test) const {
  nlohmann::json j;
  j["format"] = "tinylpu-fcov/1";
  std::vector<std::string> tests = tests_;
  if (!test.empty() && std::find(tests.begin(), tests.end(), test) == tests.end()) {
    tests.emplace_back(test);
  }
  j["tests"] = tests;
  j["configs"] = configs_;
  j["runs"] = runs_;
  j["shadow_mismatches"] = shadow_mismatches_;
  j["coverpoints"] = points_;
  return j.dump(1) + "\n";
}

FunctionalCoverage FunctionalCoverage::FromJson(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("functional coverage JSON: {}", e.what()));
  }
  if (!j.is_object() || j.value("format", "") != "tinylpu-fcov/1") {
    throw Error("functional coverage JSON: not a tinylpu-fcov/1 file");
  }
  FunctionalCoverage f;
  try {
    f.tests_ = j.value("tests", std::vector<std::string>{});
    f.configs_ = j.value("configs", std::vector<std::string>{});
    f.runs_ = j.value("runs", int64_t{0});
    f.shadow_mismatches_ = j.value("shadow_mismatches", int64_t{0});
    f.points_ = j.at("coverpoints").get<Points>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("functional coverage JSON: {}", e.what()));
  }
  return f;
}

std::string FunctionalCoverage::Write(std::string_view test, std::string_view file,
                                      std::string_view default_dir) const {
  const char* env = std::getenv("LPU_FCOV_DIR");
  const std::filesystem::path dir = env != nullptr && *env != '\0'
                                        ? std::filesystem::path(env)
                                        : std::filesystem::path(default_dir);
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / file;
  std::ofstream out(path);
  out << ToJson(test);
  if (!out) throw Error(fmt::format("cannot write {}", path.string()));
  return path.string();
}

}  // namespace tinylpu::verif
