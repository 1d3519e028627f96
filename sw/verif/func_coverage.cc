// Functional coverage: bins from the ISA tables, an ICU shadow for control ops, JSON in and out.
#include "sw/verif/func_coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/isa/instr.h"

namespace tinylpu::verif {
namespace {

std::string_view OpName(isa::Op op) { return FindOp(op)->name; }
const char* DirName(Dir dir) { return dir == Dir::kWest ? "W" : "E"; }

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
  return info != nullptr && (info->unit == isa::Unit::kIcu || info->unit == kind);
}

}  // namespace

FunctionalCoverage::FunctionalCoverage(const CoreConfig& config) : config_(config) {
  configs_.push_back(config.name);
  std::set<std::string> groups;
  for (const isa::OpInfo& info : isa::kOps) {
    for (int q = 0; q < config.num_queues(); ++q) {
      if (Legal(info.op, config.QueueUnit(q))) {
        Define("op_queue", fmt::format("{}@{}", info.name, config.QueueName(q)));
      }
    }
    if (IsControl(info.op)) continue;
    const std::string n(info.name);
    if (HasField(info.op, "stream")) {
      Define("operand", n + ".stream_first");
      Define("operand", n + ".stream_last");
      if (config.streams - std::max(1, info.group) >= 2) Define("operand", n + ".stream_mid");
    }
    if (HasField(info.op, "dir")) {
      Define("operand", n + ".E");
      Define("operand", n + ".W");
      for (const char* dir : {"E", "W"}) {
        if (info.stream_out > 0) Define("group_dir", fmt::format("drive.g{}.{}", info.group, dir));
        if (info.stream_in > 0) Define("group_dir", fmt::format("sample.g{}.{}", info.group, dir));
      }
    }
    if (!info.flag.empty()) {
      Define("operand", fmt::format("{}.{}=0", n, info.flag));
      Define("operand", fmt::format("{}.{}=1", n, info.flag));
    }
    if (HasField(info.op, "addr")) {
      Define("operand", n + ".addr_first");
      Define("operand", n + ".addr_mid");
      Define("operand", n + ".addr_last");
    }
    if (HasField(info.op, "stride")) {
      for (const char* s : {"neg", "zero", "pos"}) Define("operand", n + ".reissue_stride_" + s);
    }
  }
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

void FunctionalCoverage::SampleIssue(int q, uint32_t word, bool reissue) {
  auto instr = Decode(word);
  if (!instr) return;
  const isa::OpInfo& info = *FindOp(instr->op);
  const std::string n(info.name);
  Hit("op_queue", fmt::format("{}@{}", n, config_.QueueName(q)));
  if (HasField(instr->op, "stream")) {
    const int top = config_.streams - std::max(1, info.group);
    const int s = static_cast<int>(instr->stream);
    Hit("operand", n + (s == 0 ? ".stream_first" : s == top ? ".stream_last" : ".stream_mid"));
  }
  if (HasField(instr->op, "dir")) {
    Hit("operand", n + "." + DirName(instr->dir));
    if (info.stream_out > 0) {
      Hit("group_dir", fmt::format("drive.g{}.{}", info.group, DirName(instr->dir)));
    }
    if (info.stream_in > 0) {
      Hit("group_dir", fmt::format("sample.g{}.{}", info.group, DirName(instr->dir)));
    }
  }
  if (!info.flag.empty())
    Hit("operand", fmt::format("{}.{}={}", n, info.flag, instr->flag ? 1 : 0));
  if (HasField(instr->op, "addr")) {
    const uint32_t a = instr->addr;
    const uint32_t last = static_cast<uint32_t>(config_.AddrLimit(q) - 1);
    Hit("operand", n + (a == 0 ? ".addr_first" : a == last ? ".addr_last" : ".addr_mid"));
  }
  if (reissue && HasField(instr->op, "stride")) {
    const int s = instr->stride;
    Hit("operand", n + (s < 0    ? ".reissue_stride_neg"
                        : s == 0 ? ".reissue_stride_zero"
                                 : ".reissue_stride_pos"));
  }
}

void FunctionalCoverage::SampleRun(const std::vector<std::vector<uint32_t>>& words,
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
  };
  std::vector<Shadow> sh(nq);
  auto word_at = [&](int q, size_t pc) -> std::optional<uint32_t> {
    if (q >= static_cast<int>(words.size()) || pc >= words[q].size()) return std::nullopt;
    return words[q][pc];
  };
  auto opcode = [](uint32_t w) { return static_cast<isa::Op>(w >> isa::kOpcodeLsb); };
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
    for (const IssueEvent& e : tr.issues) {
      actual[e.queue] = e.word;
      SampleIssue(e.queue, e.word, reissued.contains(e.queue));
      sh[e.queue].last_valid = true;
      sh[e.queue].last = e.word;
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
