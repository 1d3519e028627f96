// Program durations, fit checks and the binary image format.
#include "sw/core/program.h"

#include <fmt/format.h>

#include <algorithm>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

constexpr uint32_t kMagic = 0x4250554c;      // "LPUB" little-endian
constexpr uint32_t kImageVersion = 1;        // no labels
constexpr uint32_t kImageVersionLabels = 2;  // with a label table

void Put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

// Without SYNC every queue's durations are static. With SYNC, the queues are advanced in
// rounds: each running queue runs until it parks or ends, recording its NOTIFY cycles; then the
// parked queues whose earliest recorded NOTIFY at or after their SYNC is the smallest such
// cycle b* resume at b*+1. No NOTIFY not yet recorded can come before b*: it would belong to a
// queue still parked, which resumes only after a NOTIFY that is itself at least b*.
std::vector<int64_t> Program::QueueFinishCycles() const { return QueueTiming().finish; }

Program::Timing Program::QueueTiming() const {
  const size_t nq = queues.size();
  Timing timing;
  timing.fetch.resize(nq);
  for (size_t q = 0; q < nq; ++q) timing.fetch[q].resize(queues[q].size());
  std::vector<int64_t> t(nq, 0);
  std::vector<size_t> pc(nq, 0);
  std::vector<int64_t> parked_at(nq, -1);
  std::vector<int64_t> notifies;
  for (;;) {
    for (size_t q = 0; q < nq; ++q) {
      if (parked_at[q] >= 0) continue;
      while (pc[q] < queues[q].size()) {
        timing.fetch[q][pc[q]] = t[q];
        const Instr& instr = queues[q][pc[q]++];
        if (instr.op == isa::Op::kSync) {
          parked_at[q] = t[q];
          break;
        }
        if (instr.op == isa::Op::kNotify) notifies.push_back(t[q]);
        t[q] += Duration(instr);
      }
    }
    int64_t best_all = -1;
    std::vector<int64_t> best(nq, -1);
    bool any_parked = false;
    for (size_t q = 0; q < nq; ++q) {
      if (parked_at[q] < 0) continue;
      any_parked = true;
      for (int64_t b : notifies) {
        if (b >= parked_at[q] && (best[q] < 0 || b < best[q])) best[q] = b;
      }
      if (best[q] >= 0 && (best_all < 0 || best[q] < best_all)) best_all = best[q];
    }
    if (!any_parked) break;
    if (best_all < 0) {
      for (size_t q = 0; q < nq; ++q) {
        if (parked_at[q] >= 0) {
          throw Error(
              fmt::format("queue {}: the SYNC fetched in cycle {} is never released by a "
                          "NOTIFY (SYNC_DEADLOCK)",
                          q, parked_at[q]));
        }
      }
    }
    for (size_t q = 0; q < nq; ++q) {
      if (parked_at[q] >= 0 && best[q] == best_all) {
        t[q] = best_all + 1;
        parked_at[q] = -1;
      }
    }
  }
  timing.finish = std::move(t);
  return timing;
}

std::string Program::EntryName(int q, int entry) const {
  const Label* best = nullptr;
  for (const Label& l : labels) {
    if (l.queue == q && l.entry <= entry && (best == nullptr || l.entry > best->entry)) best = &l;
  }
  if (best == nullptr) return "";
  return best->entry == entry ? best->name : fmt::format("{}+{}", best->name, entry - best->entry);
}

int Program::EntryAt(int q, int64_t cycle) const {
  if (q < 0 || q >= static_cast<int>(queues.size())) return -1;
  Timing timing;
  try {
    timing = QueueTiming();
  } catch (const Error&) {
    return -1;
  }
  int found = -1;
  for (size_t i = 0; i < timing.fetch[q].size(); ++i) {
    if (timing.fetch[q][i] <= cycle) found = static_cast<int>(i);
  }
  return found;
}

int64_t Program::QueueFinishCycle(int q) const { return QueueFinishCycles()[q]; }

int64_t Program::FinishCycle() const {
  int64_t finish = 0;
  for (int64_t f : QueueFinishCycles()) finish = std::max(finish, f);
  return finish;
}

void Program::CheckFits(const CoreConfig& config) const {
  if (static_cast<int>(queues.size()) > config.num_queues()) {
    throw Error(fmt::format("program has {} queues; config '{}' has {}", queues.size(), config.name,
                            config.num_queues()));
  }
  for (int q = 0; q < static_cast<int>(queues.size()); ++q) {
    if (static_cast<int>(queues[q].size()) > config.queue_depth) {
      throw Error(fmt::format("queue {} holds {} instructions; config '{}' queues hold {}",
                              config.QueueName(q), queues[q].size(), config.name,
                              config.queue_depth));
    }
    for (const Instr& instr : queues[q]) Encode(instr);
  }
}

std::vector<uint8_t> ToBinary(const Program& program) {
  std::vector<uint8_t> out;
  Put32(out, kMagic);
  Put32(out, program.labels.empty() ? kImageVersion : kImageVersionLabels);
  Put32(out, static_cast<uint32_t>(program.queues.size()));
  for (const auto& queue : program.queues) {
    Put32(out, static_cast<uint32_t>(queue.size()));
    for (const Instr& instr : queue) Put32(out, Encode(instr));
  }
  if (!program.labels.empty()) {
    Put32(out, static_cast<uint32_t>(program.labels.size()));
    for (const Label& l : program.labels) {
      Put32(out, static_cast<uint32_t>(l.queue));
      Put32(out, static_cast<uint32_t>(l.entry));
      Put32(out, static_cast<uint32_t>(l.name.size()));
      for (size_t i = 0; i < (l.name.size() + 3) / 4 * 4; ++i) {
        out.push_back(i < l.name.size() ? static_cast<uint8_t>(l.name[i]) : 0);
      }
    }
  }
  return out;
}

Program FromBinary(const std::vector<uint8_t>& bytes, std::string_view filename) {
  size_t pos = 0;
  auto get = [&](std::string_view what) {
    if (pos + 4 > bytes.size()) {
      throw Error(
          fmt::format("{}: truncated binary image at byte {} (reading {})", filename, pos, what));
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{bytes[pos + i]} << (8 * i);
    pos += 4;
    return v;
  };
  if (get("magic") != kMagic) throw Error(fmt::format("{}: not a tinylpu binary image", filename));
  uint32_t version = get("version");
  if (version != kImageVersion && version != kImageVersionLabels) {
    throw Error(fmt::format("{}: image version {} is not supported (expected {} or {})", filename,
                            version, kImageVersion, kImageVersionLabels));
  }
  uint32_t num_queues = get("queue count");
  if (num_queues > 64) throw Error(fmt::format("{}: {} queues is too many", filename, num_queues));
  Program program;
  program.queues.resize(num_queues);
  for (uint32_t q = 0; q < num_queues; ++q) {
    uint32_t count = get("instruction count");
    if (count > (bytes.size() - pos) / 4) {
      throw Error(fmt::format("{}: queue {} claims {} instructions but the file is shorter",
                              filename, q, count));
    }
    for (uint32_t i = 0; i < count; ++i) {
      size_t at = pos;
      uint32_t word = get("instruction");
      auto instr = Decode(word);
      if (!instr) {
        throw Error(fmt::format("{}: byte {}: word {:#010x} is not a valid instruction", filename,
                                at, word));
      }
      program.queues[q].push_back(*instr);
    }
  }
  if (version == kImageVersionLabels) {
    const uint32_t count = get("label count");
    if (count > (bytes.size() - pos) / 12) {
      throw Error(fmt::format("{}: {} labels do not fit the rest of the file", filename, count));
    }
    for (uint32_t i = 0; i < count; ++i) {
      Label l;
      l.queue = static_cast<int>(get("label queue"));
      l.entry = static_cast<int>(get("label entry"));
      const uint32_t len = get("label length");
      if (l.queue < 0 || l.queue >= static_cast<int>(num_queues) || l.entry < 0 ||
          l.entry > static_cast<int>(program.queues[l.queue].size()) || len == 0 || len > 256 ||
          (len + 3) / 4 * 4 > bytes.size() - pos) {
        throw Error(fmt::format("{}: label {} is malformed", filename, i));
      }
      l.name.assign(reinterpret_cast<const char*>(&bytes[pos]), len);
      pos += (len + 3) / 4 * 4;
      for (const Label& other : program.labels) {
        if (other.name == l.name) {
          throw Error(fmt::format("{}: label '{}' is defined twice", filename, l.name));
        }
      }
      program.labels.push_back(std::move(l));
    }
  }
  if (pos != bytes.size()) {
    throw Error(
        fmt::format("{}: {} trailing bytes after the last queue", filename, bytes.size() - pos));
  }
  return program;
}

}  // namespace tinylpu
