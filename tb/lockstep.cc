// Lockstep: cycle-by-cycle comparison of two engines' traces, with located reports.
#include "tb/lockstep.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "sw/asm/assembler.h"
#include "sw/core/error.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu {
namespace {

// Issues are kept long enough to name the TRANSPOSE behind its last output column.
int64_t HistoryCycles(const CoreConfig& config) {
  return std::max<int64_t>(8, 2 * static_cast<int64_t>(config.lanes) + 2);
}

std::string InstrText(uint32_t word) {
  auto instr = Decode(word);
  return instr ? FormatInstr(*instr) : fmt::format("undecodable word {:#010x}", word);
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
    // The instructions the erring queue issued lately: a queue raises its error at the fetch, a
    // slice up to three cycles after the issue (GATHER's ECC check in t+3).
    const int q = ref.err != isa::Err::kNone ? ref.err_queue : dut.err_queue;
    std::string recent;
    for (int64_t back = 3; back >= 0; --back) {
      if (const IssueEvent* e = FindIssue(history, ref, q, c - back)) {
        recent += fmt::format("\n  queue {} issued `{}` in cycle {}", config.QueueName(q),
                              InstrText(e->word), c - back);
      }
    }
    if (recent.empty()) {
      recent = fmt::format("\n  queue {} issued nothing in cycles {}..{} (a fetch-time check)",
                           config.QueueName(q), c - 3, c);
    }
    return fmt::format("error status: DUT raised {}, reference {}{}", err(dut), err(ref), recent);
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
      responsible =
          Responsible(config, history, ref, CoreConfig::MemQueue(pos - CoreConfig::MemPosition(0)),
                      c - isa::kLatReadStreamOut);
    }
    return fmt::format("stream {}{} at position {} ({}): {}\n  {}", DirLetter(Dir(dir)), stream,
                       pos, PositionName(config, pos), what, responsible);
  }
  // MEM writes, keyed by slice.
  std::map<int, const MemWriteEvent*> dut_mem;
  std::map<int, const MemWriteEvent*> ref_mem;
  for (const auto& e : dut.mem_writes) dut_mem[e.slice] = &e;
  for (const auto& e : ref.mem_writes) ref_mem[e.slice] = &e;
  for (int s = 0; s < config.mem_slices; ++s) {
    const MemWriteEvent* d = dut_mem.count(s) ? dut_mem[s] : nullptr;
    const MemWriteEvent* r = ref_mem.count(s) ? ref_mem[s] : nullptr;
    if ((!d && !r) || (d && r && *d == *r)) continue;
    std::string what;
    if (d && r && d->addr != r->addr) {
      what = fmt::format("DUT wrote word {}, reference word {} (every lane)", d->addr, r->addr);
    } else if (d && r) {
      what = fmt::format("word {}, {}", d->addr, LaneDiff(d->lanes, r->lanes, 2));
    } else {
      what = fmt::format("written by the {} only (word {}, every lane)", d ? "DUT" : "reference",
                         d ? d->addr : r->addr);
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

class Lockstep::Recorder final : public TraceSink {
 public:
  void OnCycle(const CycleTrace& trace) override { traces.push_back(trace); }
  std::deque<CycleTrace> traces;
};

Lockstep::Lockstep(HostBus& dut, HostBus& reference)
    : dut_(dut),
      ref_(reference),
      dut_rec_(std::make_unique<Recorder>()),
      ref_rec_(std::make_unique<Recorder>()) {
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

std::optional<Divergence> Lockstep::CompareReady() {
  auto& dq = dut_rec_->traces;
  auto& rq = ref_rec_->traces;
  while (!dq.empty() && !rq.empty()) {
    const CycleTrace& d = dq.front();
    const CycleTrace& r = rq.front();
    if (d.cycle != r.cycle) {
      return Divergence{r.cycle, fmt::format("trace cycles out of step: DUT reports cycle {}, "
                                             "reference cycle {}",
                                             d.cycle, r.cycle)};
    }
    if (!(d == r)) {
      return Divergence{r.cycle, fmt::format("lockstep divergence in cycle {} (config {}):\n  {}",
                                             r.cycle, dut_.config().name,
                                             DescribeDifference(dut_.config(), d, r, history_))};
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
    result.divergence = CompareReady();
    if (result.divergence) break;
  }
  if (!result.divergence) result.divergence = CompareReady();
  if (!result.divergence && dut_rec_->traces.size() != ref_rec_->traces.size()) {
    result.divergence = Divergence{
        compared_, fmt::format("run lengths differ: the DUT ran {} cycles, the reference {}",
                               compared_ + static_cast<int64_t>(dut_rec_->traces.size()),
                               compared_ + static_cast<int64_t>(ref_rec_->traces.size()))};
  }
  result.cycles_compared = compared_;
  result.dut = ReadRunResult(dut_);
  result.reference = ReadRunResult(ref_);
  return result;
}

}  // namespace tinylpu
