// Lockstep: cycle-by-cycle comparison of two engines' traces, with located reports.
#include "tb/lockstep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>
#include <vector>

#include "sw/asm/assembler.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu {
namespace {

// Issues are kept long enough to name the TRANSPOSE behind its last output column.
int64_t HistoryCycles(const CoreConfig& config) {
  return std::max<int64_t>(8, 2 * static_cast<int64_t>(config.lanes) + 2);
}

std::string InstrText(uint32_t word) {
  auto instr = Decode(word);
  if (instr) return FormatInstr(*instr);
  if (const isa::OpInfo* info = FindOpByOpcode(word >> isa::kOpcodeLsb)) {
    return fmt::format("{} with reserved bits set (word {:#010x})", info->name, word);
  }
  return fmt::format("undecodable word {:#010x}", word);
}

char DirLetter(Dir dir) { return dir == Dir::kWest ? 'W' : 'E'; }

// "queue mem3 issued `WRITE 12, E2` in cycle 56", from the reference's issue history.
std::string Responsible(const CoreConfig& config,
                        const std::deque<std::pair<int64_t, IssueEvent>>& history,
                        const CycleTrace& ref, int queue, int64_t cycle) {
  auto describe = [&](const IssueEvent& e) {
    return fmt::format("responsible: queue {} issued `{}` in cycle {}", config.QueueName(queue),
                       InstrText(e.word), cycle);
  };
  if (cycle == ref.cycle) {
    for (const IssueEvent& e : ref.issues) {
      if (e.queue == queue) return describe(e);
    }
  }
  for (const auto& [c, e] : history) {
    if (c == cycle && e.queue == queue) return describe(e);
  }
  return fmt::format("responsible: no instruction of queue {} issued in cycle {} (reference)",
                     config.QueueName(queue), cycle);
}

// The issue of queue q in cycle `cycle` (from the reference), if any.
const IssueEvent* FindIssue(const std::deque<std::pair<int64_t, IssueEvent>>& history,
                            const CycleTrace& ref, int queue, int64_t cycle) {
  if (cycle == ref.cycle) {
    for (const IssueEvent& e : ref.issues) {
      if (e.queue == queue) return &e;
    }
  }
  for (const auto& [c, e] : history) {
    if (c == cycle && e.queue == queue) return &e;
  }
  return nullptr;
}

std::string PositionName(const CoreConfig& config, int pos) { return config.PositionName(pos); }

// "responsible: queue vxm2 issued ...": the lowest VXM ALU whose op, issued stream_out cycles
// before `cycle`, drives `stream` in direction `dir` (as the VXM gives a contested stream to the
// lowest ALU).
std::string VxmResponsible(const CoreConfig& config,
                           const std::deque<std::pair<int64_t, IssueEvent>>& history,
                           const CycleTrace& ref, Dir dir, int stream, int64_t cycle) {
  const int64_t issued = cycle - isa::kLatVaddStreamOut;
  for (const auto& [hc, e] : history) {
    if (hc != issued || config.VxmAlu(e.queue) < 0) continue;
    auto instr = Decode(e.word);
    if (!instr || !VxmIsStream(instr->dst) || VxmStreamDir(instr->dst) != static_cast<int>(dir)) {
      continue;
    }
    const int base = static_cast<int>(VxmStreamIndex(instr->dst));
    const isa::VxmOpInfo* info = vxm::FindVxmOp(instr->op);
    const int group = vxm::KindGroup(info->dst, static_cast<isa::VxmType>(instr->vtype),
                                     static_cast<isa::VxmType>(instr->stype));
    if (stream >= base && stream < base + group) {
      return Responsible(config, history, ref, e.queue, issued);
    }
  }
  return fmt::format("responsible: no VXM op issued in cycle {} drives this stream (reference)",
                     issued);
}

// The SXM instruction behind a drive of stream `stream` in direction `dir` in cycle c: an op
// issued at c-2 whose destination group holds the stream, or else a TRANSPOSE whose output
// column c - (issue + lanes + 1) it is.
std::string SxmResponsible(const CoreConfig& config,
                           const std::deque<std::pair<int64_t, IssueEvent>>& history,
                           const CycleTrace& ref, Dir dir, int stream, int64_t c) {
  const int q = config.SxmQueue();
  auto covers = [&](const Instr& instr) {
    const int base = static_cast<int>(instr.stream);
    return instr.dir == dir && stream >= base && stream < base + SxmGroupSize(instr.group);
  };
  if (const IssueEvent* e = FindIssue(history, ref, q, c - isa::kLatShiftStreamOut)) {
    auto instr = Decode(e->word);
    if (instr && instr->op != isa::Op::kTranspose && covers(*instr)) {
      return fmt::format("responsible: queue {} issued `{}` in cycle {}", config.QueueName(q),
                         InstrText(e->word), c - isa::kLatShiftStreamOut);
    }
  }
  for (int col = 0; col < config.lanes; ++col) {
    const int64_t t = c - config.TransposeLatency() - col;
    if (const IssueEvent* e = FindIssue(history, ref, q, t)) {
      auto instr = Decode(e->word);
      if (instr && instr->op == isa::Op::kTranspose && covers(*instr)) {
        return fmt::format("responsible: queue {} issued `{}` in cycle {} (output column {})",
                           config.QueueName(q), InstrText(e->word), t, col);
      }
    }
  }
  return fmt::format("responsible: no SXM instruction of the reference drives it in cycle {}", c);
}

// First differing lane of two byte vectors, and how many differ.
template <typename T>
std::string LaneDiff(const std::vector<T>& dut, const std::vector<T>& ref, int width) {
  if (dut.size() != ref.size()) {
    return fmt::format("{} lanes on the DUT, {} on the reference", dut.size(), ref.size());
  }
  int first = -1;
  int count = 0;
  for (size_t i = 0; i < dut.size(); ++i) {
    if (dut[i] != ref[i]) {
      if (first < 0) first = static_cast<int>(i);
      ++count;
    }
  }
  auto hex = [&](T v) {
    return fmt::format("{:#0{}x}", static_cast<uint64_t>(v) & ((uint64_t{1} << (width * 4)) - 1),
                       width + 2);
  };
  return fmt::format("lane {}: DUT {}, reference {} ({} of {} lanes differ)", first,
                     hex(dut[first]), hex(ref[first]), count, dut.size());
}

}  // namespace

std::string DescribeDifference(const CoreConfig& config, const CycleTrace& dut,
                               const CycleTrace& ref,
                               const std::deque<std::pair<int64_t, IssueEvent>>& history) {
  const int64_t c = ref.cycle;
  // Issues: the root cause when a queue went astray.
  std::map<int, uint32_t> dut_issues;
  std::map<int, uint32_t> ref_issues;
  for (const auto& e : dut.issues) dut_issues[e.queue] = e.word;
  for (const auto& e : ref.issues) ref_issues[e.queue] = e.word;
  for (int q = 0; q < config.num_queues(); ++q) {
    auto d = dut_issues.find(q);
    auto r = ref_issues.find(q);
    bool dh = d != dut_issues.end();
    bool rh = r != ref_issues.end();
    if (dh != rh || (dh && d->second != r->second)) {
      return fmt::format("queue {} issued {} on the DUT but {} on the reference",
                         config.QueueName(q), dh ? "`" + InstrText(d->second) + "`" : "nothing",
                         rh ? "`" + InstrText(r->second) + "`" : "nothing");
    }
  }
  if (dut.err != ref.err || (dut.err != isa::Err::kNone && dut.err_queue != ref.err_queue)) {
    auto err = [&](const CycleTrace& t) {
      for (const auto& info : isa::kErrors) {
        if (info.err == t.err) {
          return t.err == isa::Err::kNone
                     ? std::string("no error")
                     : fmt::format("{} in queue {}", info.name, config.QueueName(t.err_queue));
        }
      }
      return fmt::format("error code {}", static_cast<int>(t.err));
    };
    // Name the instructions behind the error: what each queue involved issued last (a queue's
    // own check fails before issuing; a slice raises its error cycles after the issue).
    std::string last;
    for (const CycleTrace* t : {&dut, &ref}) {
      const int q = t->err_queue;
      if (t->err == isa::Err::kNone || q < 0 || q >= config.num_queues()) continue;
      const std::string name = config.QueueName(q);
      if (last.find("queue " + name + " ") != std::string::npos) continue;
      const IssueEvent* found = nullptr;
      int64_t at = -1;
      for (const IssueEvent& e : ref.issues) {
        if (e.queue == q) found = &e, at = c;
      }
      for (auto it = history.rbegin(); found == nullptr && it != history.rend(); ++it) {
        if (it->second.queue == q) found = &it->second, at = it->first;
      }
      last += found != nullptr
                  ? fmt::format("\n  last issue of queue {} (reference): `{}` in cycle {}", name,
                                InstrText(found->word), at)
                  : fmt::format("\n  queue {} issued nothing in the last {} cycles (reference)",
                                name, HistoryCycles(config));
    }
    return fmt::format("error status: DUT raised {}, reference {}{}", err(dut), err(ref), last);
  }
  // Stream drives, keyed by (position, direction, stream).
  using DriveKey = std::tuple<int, int, int>;
  std::map<DriveKey, const DriveEvent*> dut_drives;
  std::map<DriveKey, const DriveEvent*> ref_drives;
  for (const auto& e : dut.drives) dut_drives[{e.pos, static_cast<int>(e.dir), e.stream}] = &e;
  for (const auto& e : ref.drives) ref_drives[{e.pos, static_cast<int>(e.dir), e.stream}] = &e;
  std::map<DriveKey, int> keys;
  for (const auto& [k, v] : dut_drives) keys[k] = 1;
  for (const auto& [k, v] : ref_drives) keys[k] = 1;
  for (const auto& [key, unused] : keys) {
    auto [pos, dir, stream] = key;
    const DriveEvent* d = dut_drives.count(key) ? dut_drives[key] : nullptr;
    const DriveEvent* r = ref_drives.count(key) ? ref_drives[key] : nullptr;
    if (d && r && *d == *r) continue;
    std::string what = d && r ? LaneDiff(d->lanes, r->lanes, 2)
                              : fmt::format("driven by the {} only (every lane; lane 0 = {:#04x})",
                                            d ? "DUT" : "reference", (d ? d : r)->lanes.at(0));
    std::string responsible;
    if (pos == CoreConfig::SxmPosition()) {
      responsible = SxmResponsible(config, history, ref, Dir(dir), stream, c);
    } else if (pos == config.VxmPosition()) {
      responsible = VxmResponsible(config, history, ref, Dir(dir), stream, c);
    } else if (pos == CoreConfig::MxmPosition()) {
      responsible =
          Responsible(config, history, ref, CoreConfig::kQueueMxma, c - isa::kLatAccStreamOut);
    } else {
      // A MEM slice drives a READ's word at t+2 and a GATHER's at t+3: the op whose data stream
      // this is.
      const int q = CoreConfig::MemQueue(pos - CoreConfig::MemPosition(0));
      responsible = Responsible(config, history, ref, q, c - isa::kLatReadStreamOut);
      if (const IssueEvent* g = FindIssue(history, ref, q, c - isa::kLatGatherStreamOut)) {
        auto instr = Decode(g->word);
        if (instr && instr->op == isa::Op::kGather && static_cast<int>(instr->stream) == stream &&
            static_cast<int>(instr->dir) == dir) {
          const IssueEvent* r = FindIssue(history, ref, q, c - isa::kLatReadStreamOut);
          auto rinstr = r != nullptr ? Decode(r->word) : std::nullopt;
          if (!(rinstr && rinstr->op == isa::Op::kRead &&
                static_cast<int>(rinstr->stream) == stream &&
                static_cast<int>(rinstr->dir) == dir)) {
            responsible = Responsible(config, history, ref, q, c - isa::kLatGatherStreamOut);
          }
        }
      }
    }
    return fmt::format("stream {}{} at position {} ({}): {}\n  {}", DirLetter(Dir(dir)), stream,
                       pos, PositionName(config, pos), what, responsible);
  }
  // MEM writes, by slice (a WRITE quad stores four words in one cycle).
  std::map<int, std::vector<const MemWriteEvent*>> dut_mem;
  std::map<int, std::vector<const MemWriteEvent*>> ref_mem;
  for (const auto& e : dut.mem_writes) dut_mem[e.slice].push_back(&e);
  for (const auto& e : ref.mem_writes) ref_mem[e.slice].push_back(&e);
  auto words = [](const std::vector<const MemWriteEvent*>& events) {
    std::vector<int> addrs;
    for (const MemWriteEvent* e : events) addrs.push_back(e->addr);
    return addrs.empty() ? std::string("none") : fmt::format("{}", fmt::join(addrs, ", "));
  };
  for (int s = 0; s < config.mem_slices; ++s) {
    const std::vector<const MemWriteEvent*>& d = dut_mem[s];
    const std::vector<const MemWriteEvent*>& r = ref_mem[s];
    bool same = d.size() == r.size();
    for (size_t i = 0; same && i < d.size(); ++i) same = *d[i] == *r[i];
    if (same) continue;
    std::string what = fmt::format("DUT wrote words {}, reference words {}", words(d), words(r));
    for (size_t i = 0; i < std::min(d.size(), r.size()); ++i) {
      if (d[i]->addr == r[i]->addr && !(*d[i] == *r[i])) {
        what = fmt::format("word {}, {}", d[i]->addr, LaneDiff(d[i]->lanes, r[i]->lanes, 2));
        break;
      }
    }
    return fmt::format(
        "MEM write on slice {}: {}\n  {}", s, what,
        Responsible(config, history, ref, CoreConfig::MemQueue(s), c - isa::kLatWriteStreamIn));
  }
  // SCATTER stores, by slice.
  if (dut.scatters != ref.scatters) {
    int slice = -1;
    std::string what;
    for (size_t i = 0; i < std::max(dut.scatters.size(), ref.scatters.size()); ++i) {
      const ScatterEvent* d = i < dut.scatters.size() ? &dut.scatters[i] : nullptr;
      const ScatterEvent* r = i < ref.scatters.size() ? &ref.scatters[i] : nullptr;
      if (d && r && *d == *r) continue;
      slice = r ? r->slice : d->slice;
      if (d && r && d->slice == r->slice) {
        what = d->addrs != r->addrs ? fmt::format("addresses {}", LaneDiff(d->addrs, r->addrs, 4))
                                    : fmt::format("bytes {}", LaneDiff(d->lanes, r->lanes, 2));
      } else {
        what = fmt::format("stored by the {} only", d ? "DUT" : "reference");
      }
      break;
    }
    return fmt::format("SCATTER on slice {}: {}\n  {}", slice, what,
                       Responsible(config, history, ref, CoreConfig::MemQueue(slice), c - 2));
  }
  // IFETCH appends, by queue.
  if (dut.appends != ref.appends) {
    for (size_t i = 0; i < std::max(dut.appends.size(), ref.appends.size()); ++i) {
      const AppendEvent* d = i < dut.appends.size() ? &dut.appends[i] : nullptr;
      const AppendEvent* r = i < ref.appends.size() ? &ref.appends[i] : nullptr;
      if (d && r && *d == *r) continue;
      const int queue = r ? r->queue : d->queue;
      std::string what =
          !(d && r && d->queue == r->queue)
              ? fmt::format("appended by the {} only", d ? "DUT" : "reference")
          : d->entry != r->entry
              ? fmt::format("DUT appended at entry {}, reference at {}", d->entry, r->entry)
              : fmt::format("entry {}, {}", d->entry, LaneDiff(d->words, r->words, 8));
      return fmt::format("IFETCH into queue {}: {} (the IFETCH was fetched in cycle {})",
                         config.QueueName(queue), what, c - 1);
    }
  }
  if (dut.ecc_corrected != ref.ecc_corrected) {
    return fmt::format("SECDED corrected {} lane bytes on the DUT, {} on the reference",
                       dut.ecc_corrected, ref.ecc_corrected);
  }
  // Accumulator writes.
  if (dut.acc_writes != ref.acc_writes) {
    std::string what;
    if (dut.acc_writes.size() != ref.acc_writes.size()) {
      what = fmt::format("{} accumulator writes on the DUT, {} on the reference",
                         dut.acc_writes.size(), ref.acc_writes.size());
    } else {
      for (size_t i = 0; i < dut.acc_writes.size(); ++i) {
        const auto& d = dut.acc_writes[i];
        const auto& r = ref.acc_writes[i];
        if (d == r) continue;
        what = d.addr != r.addr
                   ? fmt::format("DUT wrote accumulator {}, reference {}", d.addr, r.addr)
                   : fmt::format("accumulator {}, {}", d.addr, LaneDiff(d.values, r.values, 8));
        break;
      }
    }
    return fmt::format(
        "MXM accumulator write: {}\n  {}", what,
        Responsible(config, history, ref, CoreConfig::kQueueMxma, c - isa::kLatAbcAccWrite));
  }
  // VXM result register writes, keyed by ALU.
  std::map<int, const VxmWriteEvent*> dut_vxm;
  std::map<int, const VxmWriteEvent*> ref_vxm;
  for (const auto& e : dut.vxm_writes) dut_vxm[e.alu] = &e;
  for (const auto& e : ref.vxm_writes) ref_vxm[e.alu] = &e;
  for (int k = 0; k < config.vxm_alus; ++k) {
    const VxmWriteEvent* d = dut_vxm.count(k) ? dut_vxm[k] : nullptr;
    const VxmWriteEvent* r = ref_vxm.count(k) ? ref_vxm[k] : nullptr;
    if ((!d && !r) || (d && r && *d == *r)) continue;
    const std::string what =
        d && r ? LaneDiff(d->values, r->values, 8)
               : fmt::format("written by the {} only (every lane; lane 0 = {:#010x})",
                             d ? "DUT" : "reference", (d ? d : r)->values.at(0));
    return fmt::format(
        "VXM ALU {} result register R[{}]: {}\n  {}", k, k, what,
        Responsible(config, history, ref, config.VxmQueue(k), c - isa::kLatVaddResultWrite));
  }
  return "";
}

// Keeps the traces of one engine with the clock cycle (the engine's Time()) each came in.
class Lockstep::Recorder final : public TraceSink {
 public:
  struct Entry {
    CycleTrace trace;
    uint64_t clock = 0;
  };
  explicit Recorder(const HostBus& bus) : bus_(bus) {}
  void OnCycle(const CycleTrace& trace) override { traces.push_back({trace, bus_.Time()}); }
  std::deque<Entry> traces;

 private:
  const HostBus& bus_;
};

Lockstep::Lockstep(HostBus& dut, HostBus& reference)
    : dut_(dut),
      ref_(reference),
      dut_rec_(std::make_unique<Recorder>(dut)),
      ref_rec_(std::make_unique<Recorder>(reference)) {
  if (dut.config().name != reference.config().name) {
    throw Error(fmt::format("lockstep needs one configuration, got '{}' and '{}'",
                            dut.config().name, reference.config().name));
  }
  dut_.SetTraceSink(dut_rec_.get());
  ref_.SetTraceSink(ref_rec_.get());
}

Lockstep::~Lockstep() {
  dut_.SetTraceSink(nullptr);
  ref_.SetTraceSink(nullptr);
}

void Lockstep::LoadProgram(const Program& program) {
  tinylpu::LoadProgram(dut_, program);
  tinylpu::LoadProgram(ref_, program);
}

void Lockstep::WriteMemWord(int slice, int word, const std::vector<uint8_t>& lanes) {
  tinylpu::WriteMemWord(dut_, slice, word, lanes);
  tinylpu::WriteMemWord(ref_, slice, word, lanes);
}

std::vector<uint8_t> Lockstep::ReadMemWord(int slice, int word) {
  tinylpu::ReadMemWord(ref_, slice, word);  // keeps both engines on the same cycle
  return tinylpu::ReadMemWord(dut_, slice, word);
}

void Lockstep::Complete(Divergence& divergence, std::optional<uint64_t> clock) {
  const HostBus* rtl = waves_.rtl;
  if (rtl == nullptr) rtl = IsRtlSim(dut_) ? &dut_ : IsRtlSim(ref_) ? &ref_ : nullptr;
  if (waves_.enabled && rtl != nullptr && clock) {
    std::string dir = waves_.dir;
    if (dir.empty()) {
      const char* env = std::getenv("LPU_WAVE_DIR");
      dir = env != nullptr && *env != '\0' ? env : ".";
    }
    const std::string stem =
        waves_.stem.empty() ? fmt::format("lockstep_{}", dut_.config().name) : waves_.stem;
    const std::string file = divergence.cycle >= 0
                                 ? fmt::format("{}_cycle{}.fst", stem, divergence.cycle)
                                 : fmt::format("{}_clock{}.fst", stem, *clock);
    const std::string path =
        (std::filesystem::absolute(std::filesystem::path(dir) / file)).lexically_normal().string();
    const uint64_t before = static_cast<uint64_t>(std::max<int64_t>(0, waves_.before));
    const uint64_t first = *clock > before ? *clock - before : 0;
    const uint64_t last = *clock + static_cast<uint64_t>(std::max<int64_t>(0, waves_.after));
    try {
      const WaveWindow window = WriteWaveWindow(*rtl, path, first, last);
      divergence.wave_path = window.path;
      std::string runs;
      if (divergence.cycle >= 0) {
        const int64_t run_first = divergence.cycle - static_cast<int64_t>(*clock - first);
        const int64_t run_last = divergence.cycle + static_cast<int64_t>(last - *clock);
        runs =
            run_first >= 0
                ? fmt::format(" = run cycles {}..{}", run_first, run_last)
                : fmt::format(" = the {} clock cycles before the run's start and run cycles 0..{}",
                              -run_first, run_last);
      }
      divergence.message += fmt::format(
          "\n  wave: {} (RTL clock cycles {}..{}{}; the divergent one is clock cycle {}, FST "
          "time {} before and {} after its rising edge)",
          window.path, first, last, runs, *clock, 2 * *clock, 2 * *clock + 1);
      if (!window.replay_mismatch.empty()) {
        divergence.message += fmt::format("\n  warning: the wave's replay differs from the run: {}",
                                          window.replay_mismatch);
      }
    } catch (const Error& e) {
      divergence.message += fmt::format("\n  wave: not written: {}", e.what());
    }
  }
  if (!reproduce_.empty()) divergence.message += "\n  reproduce: " + reproduce_;
}

// When the error status differs: the word each erring queue fetched last, from whichever engine
// is the C++ model (a queue's own check fails before anything is issued, and control ops never
// appear in a trace, so only the model can name it).
std::string Lockstep::FetchNote(const CycleTrace& dut, const CycleTrace& ref) const {
  if (dut.err == ref.err && (dut.err == isa::Err::kNone || dut.err_queue == ref.err_queue)) {
    return "";
  }
  const auto* model = dynamic_cast<const CycleModel*>(&ref_);
  if (model == nullptr) model = dynamic_cast<const CycleModel*>(&dut_);
  if (model == nullptr) return "";
  std::string note;
  for (const CycleTrace* t : {&dut, &ref}) {
    if (t->err == isa::Err::kNone) continue;
    const std::string name = dut_.config().QueueName(t->err_queue);
    if (note.find("queue " + name + " ") != std::string::npos) continue;
    if (std::optional<uint32_t> word = model->LastFetched(t->err_queue)) {
      note += fmt::format("\n  queue {} last fetched `{}` (C++ model)", name, InstrText(*word));
    }
  }
  return note;
}

Divergence Lockstep::Diverged(int64_t run_cycle, std::string message) {
  const HostBus* rtl = waves_.rtl;
  if (rtl == nullptr) rtl = IsRtlSim(dut_) ? &dut_ : IsRtlSim(ref_) ? &ref_ : nullptr;
  Divergence d{.cycle = run_cycle, .message = std::move(message), .wave_path = ""};
  std::optional<uint64_t> clock;
  if (rtl != nullptr && rtl->Time() > 0) clock = rtl->Time() - 1;
  Complete(d, clock);
  return d;
}

std::optional<Divergence> Lockstep::CompareReady() {
  auto& dq = dut_rec_->traces;
  auto& rq = ref_rec_->traces;
  while (!dq.empty() && !rq.empty()) {
    const CycleTrace& d = dq.front().trace;
    const CycleTrace& r = rq.front().trace;
    // The clock cycle of the RTL's side (the DUT's unless only the reference is an RTL).
    const uint64_t clock =
        (waves_.rtl == &ref_ || (waves_.rtl == nullptr && !IsRtlSim(dut_) && IsRtlSim(ref_)))
            ? rq.front().clock
            : dq.front().clock;
    std::optional<Divergence> divergence;
    if (d.cycle != r.cycle) {
      divergence = Divergence{r.cycle,
                              fmt::format("trace cycles out of step: DUT reports cycle "
                                          "{}, reference cycle {}",
                                          d.cycle, r.cycle),
                              ""};
    } else if (!(d == r)) {
      divergence = Divergence{
          r.cycle,
          fmt::format("lockstep divergence in cycle {} (config {}):\n  {}{}", r.cycle,
                      dut_.config().name, DescribeDifference(dut_.config(), d, r, history_),
                      FetchNote(d, r)),
          ""};
    }
    if (divergence) {
      Complete(*divergence, clock);
      return divergence;
    }
    if (r.cycle == 0) {
      history_.clear();  // a new run
      compared_ = 0;
    }
    if (observer_ != nullptr) observer_->OnCycle(r);
    for (const IssueEvent& e : r.issues) history_.emplace_back(r.cycle, e);
    while (!history_.empty() && history_.front().first < r.cycle - HistoryCycles(dut_.config())) {
      history_.pop_front();
    }
    dq.pop_front();
    rq.pop_front();
    ++compared_;
  }
  return std::nullopt;
}

std::optional<Divergence> Lockstep::Check() {
  std::optional<Divergence> divergence = CompareReady();
  if (divergence) return divergence;
  // Both engines simulated the same clock cycles, so both reported the same run cycles.
  auto& dq = dut_rec_->traces;
  auto& rq = ref_rec_->traces;
  if (!dq.empty() || !rq.empty()) {
    const auto& extra = dq.empty() ? rq.front() : dq.front();
    Divergence d{.cycle = extra.trace.cycle,
                 .message = fmt::format(
                     "lockstep divergence in cycle {} (config {}):\n  the {} ran run "
                     "cycle {}, the {} did not (it had stopped, or not started)",
                     extra.trace.cycle, dut_.config().name, dq.empty() ? "reference" : "DUT",
                     extra.trace.cycle, dq.empty() ? "DUT" : "reference"),
                 .wave_path = ""};
    Complete(d, extra.clock);
    return d;
  }
  return std::nullopt;
}

LockstepResult Lockstep::Run(int64_t max_cycles) {
  dut_rec_->traces.clear();
  ref_rec_->traces.clear();
  history_.clear();
  compared_ = 0;
  LockstepResult result;
  StartRun(dut_);
  StartRun(ref_);
  for (int64_t waited = 0; waited < max_cycles && !(dut_.Done() && ref_.Done()); ++waited) {
    dut_.Tick(1);
    ref_.Tick(1);
    result.divergence = Check();
    if (result.divergence) break;
  }
  if (!result.divergence) result.divergence = Check();
  if (!result.divergence && dut_.Done() != ref_.Done()) {
    result.divergence = Diverged(
        compared_, fmt::format("run lengths differ: the {} finished after {} cycles, the {} "
                               "did not",
                               dut_.Done() ? "DUT" : "reference", compared_,
                               dut_.Done() ? "reference" : "DUT"));
  }
  result.cycles_compared = compared_;
  result.dut = ReadRunResult(dut_);
  result.reference = ReadRunResult(ref_);
  return result;
}

///////////////////
// LockstepBus   //
///////////////////

LockstepBus::LockstepBus(const CoreConfig& config, const SimOptions& options)
    : LockstepBus(MakeRtlSim(config, options), MakeCycleModel(config)) {}

LockstepBus::LockstepBus(std::unique_ptr<HostBus> dut, std::unique_ptr<HostBus> reference)
    : dut_(std::move(dut)),
      ref_(std::move(reference)),
      lockstep_(std::make_unique<Lockstep>(*dut_, *ref_)) {
  if (dut_->Time() != ref_->Time()) {
    throw Error(
        fmt::format("lockstep engines start at different times: DUT clock cycle {}, "
                    "reference {}",
                    dut_->Time(), ref_->Time()));
  }
}

LockstepBus::~LockstepBus() = default;

void LockstepBus::Check() {
  if (std::optional<Divergence> d = lockstep_->Check()) throw LockstepDivergence(std::move(*d));
  if (dut_->Time() != ref_->Time()) {
    throw LockstepDivergence(lockstep_->Diverged(
        -1, fmt::format("lockstep divergence: the DUT is at clock cycle {}, the reference at {}",
                        dut_->Time(), ref_->Time())));
  }
}

void LockstepBus::Write(uint32_t addr, uint32_t data) {
  dut_->Write(addr, data);
  ref_->Write(addr, data);
  Check();
}

uint32_t LockstepBus::Read(uint32_t addr) {
  const uint32_t d = dut_->Read(addr);
  const uint32_t r = ref_->Read(addr);
  Check();
  if (d != r) {
    throw LockstepDivergence(lockstep_->Diverged(
        -1, fmt::format("lockstep divergence (config {}): host read of {:#010x} returned {:#010x} "
                        "on the DUT, {:#010x} on the reference (clock cycle {})",
                        config().name, addr, d, r, dut_->Time() - 1)));
  }
  return d;
}

void LockstepBus::Tick(int64_t cycles) {
  dut_->Tick(cycles);
  ref_->Tick(cycles);
  Check();
}

bool LockstepBus::Done() const {
  const bool d = dut_->Done();
  if (d != ref_->Done()) {
    throw LockstepDivergence(lockstep_->Diverged(
        -1, fmt::format("lockstep divergence (config {}): done is {} on the DUT and {} on the "
                        "reference after clock cycle {}",
                        config().name, d ? 1 : 0, d ? 0 : 1, dut_->Time() - 1)));
  }
  return d;
}

}  // namespace tinylpu
