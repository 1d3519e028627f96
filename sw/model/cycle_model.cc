// CycleModel: the core's control, queues, stream fabric, MXM and MEM slices, one cycle a step.
#include "sw/model/cycle_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {
namespace {

// RtlSim clocks the core three times through reset (two cycles held, one released) before
// the first host transaction; Time() counts them too.
constexpr uint64_t kResetCycles = 3;
// lpu_mxm's accumulator group: an int32 on four byte streams.
constexpr int kAccGroup = 4;
// Slot key of an empty stream slot.
constexpr int64_t kNoKey = std::numeric_limits<int64_t>::min();
constexpr int kDirEast = static_cast<int>(Dir::kEast);

// One instruction field, taken from the generated format tables (as lpu_isa_pkg does).
struct BitField {
  int lsb = 0;
  uint32_t mask = 0;
  constexpr uint32_t Get(uint32_t word) const { return (word >> lsb) & mask; }
  constexpr uint32_t Put(uint32_t word, uint32_t value) const {
    return (word & ~(mask << lsb)) | ((value & mask) << lsb);
  }
};

// kFormats lists the formats in the order of the Format enum (both are generated together).
constexpr BitField FieldOf(isa::Format format, std::string_view name) {
  const isa::FormatInfo& f = isa::kFormats[static_cast<size_t>(format)];
  for (int i = 0; i < f.num_fields; ++i) {
    if (f.fields[i].name == name) {
      const int width = f.fields[i].msb - f.fields[i].lsb + 1;
      return BitField{f.fields[i].lsb, width >= 32 ? ~0u : (1u << width) - 1};
    }
  }
  return BitField{};
}

static_assert(isa::kFormats[static_cast<size_t>(isa::Format::kAddr)].name == "addr" &&
                  isa::kFormats[static_cast<size_t>(isa::Format::kRepeat)].name == "repeat",
              "kFormats must follow the order of isa::Format");

constexpr BitField kCountN = FieldOf(isa::Format::kCount, "n");
constexpr BitField kRepeatN = FieldOf(isa::Format::kRepeat, "n");
constexpr BitField kRepeatD = FieldOf(isa::Format::kRepeat, "d");
constexpr BitField kStreamStream = FieldOf(isa::Format::kStream, "stream");
constexpr BitField kStreamDir = FieldOf(isa::Format::kStream, "dir");
constexpr BitField kAddrAddr = FieldOf(isa::Format::kAddr, "addr");
constexpr BitField kAddrStride = FieldOf(isa::Format::kAddr, "stride");
constexpr BitField kAddrFlag = FieldOf(isa::Format::kAddr, "flag");
constexpr BitField kAddrStream = FieldOf(isa::Format::kAddr, "stream");
constexpr BitField kAddrDir = FieldOf(isa::Format::kAddr, "dir");
static_assert(kCountN.mask != 0 && kRepeatN.mask != 0 && kRepeatD.mask != 0 &&
                  kStreamStream.mask != 0 && kStreamDir.mask != 0 && kAddrAddr.mask != 0 &&
                  kAddrStride.mask != 0 && kAddrFlag.mask != 0 && kAddrStream.mask != 0 &&
                  kAddrDir.mask != 0,
              "an instruction field the model needs is missing from isa_gen.h");
static_assert(kStreamStream.lsb == kAddrStream.lsb && kStreamDir.lsb == kAddrDir.lsb,
              "the stream and addr formats must place stream and dir alike (as the RTL assumes)");

// The SXM formats share one layout (lpu_sxm reads every op through the select view).
constexpr BitField kSxmGroup = FieldOf(isa::Format::kSxmSelect, "group");
constexpr BitField kSxmA = FieldOf(isa::Format::kSxmSelect, "a");
constexpr BitField kSxmAdir = FieldOf(isa::Format::kSxmSelect, "adir");
constexpr BitField kSxmB = FieldOf(isa::Format::kSxmSelect, "b");
constexpr BitField kSxmBdir = FieldOf(isa::Format::kSxmSelect, "bdir");
constexpr BitField kSxmM = FieldOf(isa::Format::kSxmSelect, "m");
constexpr BitField kSxmMdir = FieldOf(isa::Format::kSxmSelect, "mdir");
constexpr BitField kSxmStream = FieldOf(isa::Format::kSxmSelect, "stream");
constexpr BitField kSxmDir = FieldOf(isa::Format::kSxmSelect, "dir");
constexpr BitField kSxmN = FieldOf(isa::Format::kSxmShift, "n");
constexpr BitField kSxmDown = FieldOf(isa::Format::kSxmShift, "flag");

constexpr bool SameField(BitField a, BitField b) { return a.lsb == b.lsb && a.mask == b.mask; }
static_assert(kSxmGroup.mask != 0 && kSxmM.mask != 0 && kSxmN.mask != 0 && kSxmDown.mask != 0,
              "an SXM field the model needs is missing from isa_gen.h");
static_assert(SameField(kSxmGroup, FieldOf(isa::Format::kSxmShift, "group")) &&
                  SameField(kSxmGroup, FieldOf(isa::Format::kSxmMove, "group")) &&
                  SameField(kSxmGroup, FieldOf(isa::Format::kSxmMap, "group")) &&
                  SameField(kSxmA, FieldOf(isa::Format::kSxmShift, "a")) &&
                  SameField(kSxmA, FieldOf(isa::Format::kSxmMove, "a")) &&
                  SameField(kSxmA, FieldOf(isa::Format::kSxmMap, "a")) &&
                  SameField(kSxmAdir, FieldOf(isa::Format::kSxmShift, "adir")) &&
                  SameField(kSxmB, FieldOf(isa::Format::kSxmMap, "b")) &&
                  SameField(kSxmBdir, FieldOf(isa::Format::kSxmMap, "bdir")) &&
                  SameField(kSxmStream, kStreamStream) && SameField(kSxmDir, kStreamDir) &&
                  SameField(kSxmStream, FieldOf(isa::Format::kSxmShift, "stream")),
              "the SXM formats must share one layout (as lpu_sxm assumes)");

// lpu_sxm's widest group: a 32-bit value on four byte streams.
constexpr int kSxmGroupMax = 4;

constexpr uint32_t OpcodeOf(uint32_t word) {
  return (word >> isa::kOpcodeLsb) & ((1u << (isa::kOpcodeMsb - isa::kOpcodeLsb + 1)) - 1);
}
constexpr uint32_t kNop = static_cast<uint32_t>(isa::Op::kNop);
constexpr uint32_t kSync = static_cast<uint32_t>(isa::Op::kSync);
constexpr uint32_t kNotify = static_cast<uint32_t>(isa::Op::kNotify);
constexpr uint32_t kRepeat = static_cast<uint32_t>(isa::Op::kRepeat);
constexpr uint32_t kRead = static_cast<uint32_t>(isa::Op::kRead);
constexpr uint32_t kWrite = static_cast<uint32_t>(isa::Op::kWrite);
constexpr uint32_t kLw = static_cast<uint32_t>(isa::Op::kLw);
constexpr uint32_t kIw = static_cast<uint32_t>(isa::Op::kIw);
constexpr uint32_t kAbc = static_cast<uint32_t>(isa::Op::kAbc);
constexpr uint32_t kAcc = static_cast<uint32_t>(isa::Op::kAcc);
constexpr uint32_t kShift = static_cast<uint32_t>(isa::Op::kShift);
constexpr uint32_t kRotate = static_cast<uint32_t>(isa::Op::kRotate);
constexpr uint32_t kPermute = static_cast<uint32_t>(isa::Op::kPermute);
constexpr uint32_t kDistribute = static_cast<uint32_t>(isa::Op::kDistribute);
constexpr uint32_t kTranspose = static_cast<uint32_t>(isa::Op::kTranspose);
constexpr uint32_t kSelect = static_cast<uint32_t>(isa::Op::kSelect);

// The signed stride field.
constexpr int32_t StrideOf(uint32_t word) {
  const uint32_t raw = kAddrStride.Get(word);
  const uint32_t sign = (kAddrStride.mask >> 1) + 1;
  return static_cast<int32_t>(raw ^ sign) - static_cast<int32_t>(sign);
}

// What the queues' checks know about each opcode (lpu_isa_pkg's op_legal, op_has_addr and
// op_group). As in the RTL, only ops with a stream field have a stream group to check.
struct OpProps {
  bool defined = false;
  isa::Unit unit = isa::Unit::kIcu;
  bool has_addr = false;
  uint32_t group = 0;
};

constexpr int kNumOpcodes = 1 << (isa::kOpcodeMsb - isa::kOpcodeLsb + 1);

constexpr std::array<OpProps, kNumOpcodes> MakeOpProps() {
  std::array<OpProps, kNumOpcodes> props{};
  for (const isa::OpInfo& info : isa::kOps) {
    OpProps& p = props[static_cast<size_t>(info.op)];
    p.defined = true;
    p.unit = info.unit;
    p.has_addr = info.format == isa::Format::kAddr;
    const bool has_stream =
        info.format == isa::Format::kAddr || info.format == isa::Format::kStream;
    p.group = has_stream ? static_cast<uint32_t>(info.group) : 0;
  }
  return props;
}

constexpr std::array<OpProps, kNumOpcodes> kOpProps = MakeOpProps();

// y[n] = sum_k x[k] * w[k][n] over int8 values. An int8 product fits in int16 and a sum of
// at most 128 of them in int32 (lanes <= 128), so nothing wraps here.
//
// `packed` holds the weights two rows at a time: element (j, n) is the int16 pair
// (w[2j][n], w[2j+1][n]), rows padded to `stride` (a multiple of 4) columns and an odd last row
// paired with zero. With SSE2 one pmaddwd then does two rows of four columns.
#if defined(__SSE2__)
template <int kDim>
void MultiplyFixed(const int16_t* x, const uint32_t* packed, int32_t* y) {
  constexpr int kVecs = kDim / 4;
  __m128i sum[kVecs];
  for (int v = 0; v < kVecs; ++v) sum[v] = _mm_setzero_si128();
  for (int j = 0; j < kDim / 2; ++j) {
    const __m128i xx = _mm_set1_epi32(static_cast<int>(static_cast<uint16_t>(x[2 * j]) |
                                                       static_cast<uint32_t>(x[2 * j + 1]) << 16));
    const __m128i* w = reinterpret_cast<const __m128i*>(packed + static_cast<ptrdiff_t>(j) * kDim);
    for (int v = 0; v < kVecs; ++v) {
      sum[v] = _mm_add_epi32(sum[v], _mm_madd_epi16(xx, _mm_loadu_si128(w + v)));
    }
  }
  for (int v = 0; v < kVecs; ++v) _mm_storeu_si128(reinterpret_cast<__m128i*>(y) + v, sum[v]);
}
#endif

void Multiply(int dim, int stride, const int16_t* x, const uint32_t* packed, int32_t* y) {
#if defined(__SSE2__)
  switch (dim) {
    case 8:
      return MultiplyFixed<8>(x, packed, y);
    case 16:
      return MultiplyFixed<16>(x, packed, y);
    case 32:
      return MultiplyFixed<32>(x, packed, y);
    default:
      break;
  }
#endif
  std::fill(y, y + dim, 0);
  for (int j = 0; 2 * j < dim; ++j) {
    const int32_t x0 = x[2 * j];
    const int32_t x1 = 2 * j + 1 < dim ? x[2 * j + 1] : 0;
    const uint32_t* row = packed + static_cast<ptrdiff_t>(j) * stride;
    for (int n = 0; n < dim; ++n) {
      y[n] += x0 * static_cast<int16_t>(row[n] & 0xffff) + x1 * static_cast<int16_t>(row[n] >> 16);
    }
  }
}

int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

}  // namespace

CycleModel::CycleModel(const CoreConfig& config)
    : config_(config),
      lanes_(config.lanes),
      dim_(config.mxm_dim),
      num_queues_(config.num_queues()),
      num_pos_(config.num_positions()),
      time_(kResetCycles),
      sxm_queue_(config.SxmQueue()) {
  imem_.assign(static_cast<size_t>(num_queues_) * config.queue_depth, 0);
  queues_.resize(num_queues_);
  for (int q = 0; q < num_queues_; ++q) {
    Queue& queue = queues_[q];
    queue.kind = config.QueueUnit(q);
    queue.addr_limit =
        static_cast<uint32_t>(q == CoreConfig::kQueueMxma ? config.acc_depth : config.mem_depth);
    queue.imem = &imem_[static_cast<size_t>(q) * config.queue_depth];
  }
  mem_.assign(static_cast<size_t>(config.mem_slices) * config.mem_depth * lanes_, 0);
  rdata_.assign(static_cast<size_t>(config.mem_slices) * lanes_, 0);
  slices_.resize(config.mem_slices);

  const size_t dim2 = static_cast<size_t>(dim_) * dim_;
  mxm_.shadow.assign(dim2, 0);
  mxm_.stride = (dim_ + 3) / 4 * 4;
  mxm_.packed.assign(static_cast<size_t>((dim_ + 1) / 2) * mxm_.stride, 0);
  mxm_.x.assign(dim_, 0);
  mxm_.y.assign(dim_, 0);
  mxm_.drv.assign(dim_, 0);
  mxm_.wr.assign(dim_, 0);
  mxm_.acc.assign(static_cast<size_t>(config.acc_depth) * dim_, 0);
  sxm_.res.assign(static_cast<size_t>(kSxmGroupMax) * lanes_, 0);
  sxm_.tmp.assign(sxm_.res.size(), 0);
  sxm_.cap.assign(static_cast<size_t>(kSxmGroupMax) * lanes_ * lanes_, 0);
  sxm_.out.assign(sxm_.cap.size(), 0);

  // A value lives on its diagonal for at most num_pos_ cycles; more slots than that per stream
  // keep a slot from being reused while its diagonal is still readable.
  while ((1 << slot_bits_) <= num_pos_) ++slot_bits_;
  const size_t slots = size_t{2} * config.streams << slot_bits_;
  slot_key_.assign(slots, kNoKey);
  slot_data_.assign(slots * lanes_, 0);
  zeros_.assign(lanes_, 0);
}

////////////////
// Host port  //
////////////////

void CycleModel::Write(uint32_t addr, uint32_t data) {
  HostRequest req{.we = true, .addr = addr, .wdata = data};
  Step(&req);
}

uint32_t CycleModel::Read(uint32_t addr) {
  HostRequest req{.we = false, .addr = addr, .wdata = 0};
  return Step(&req);
}

void CycleModel::Tick(int64_t cycles) {
  while (cycles > 0) {
    if (!running_ && !in_flight_) {
      // Idle with nothing in flight: the streams are keyed by time, so nothing changes.
      time_ += static_cast<uint64_t>(cycles);
      return;
    }
    if (running_ && sink_ == nullptr && skippable_ > 0 && !in_flight_) {
      const int64_t skip = std::min<int64_t>(cycles, skippable_);
      SkipWaits(skip);
      cycles -= skip;
      continue;
    }
    Step(nullptr);
    --cycles;
  }
}

void CycleModel::SkipWaits(int64_t cycles) {
  const uint32_t n = static_cast<uint32_t>(cycles);
  for (Queue& q : queues_) {
    if (q.wait != 0) q.wait -= n;
  }
  skippable_ -= n;
  cycles_ += cycles;
  time_ += static_cast<uint64_t>(cycles);
}

uint32_t CycleModel::ReadRegister(uint32_t reg) const {
  switch (reg) {
    case isa::kHostRegId:
      return isa::kHostId;
    case isa::kHostRegStatus:
      return (static_cast<uint32_t>(err_code_) << 8) | (uint32_t{done_} << 1) | uint32_t{running_};
    case isa::kHostRegCycles:
      return static_cast<uint32_t>(cycles_);
    case isa::kHostRegErrCycle:
      return static_cast<uint32_t>(err_cycle_);
    case isa::kHostRegErrQueue:
      return static_cast<uint32_t>(err_queue_);
    case isa::kHostRegConfig0:
      return (static_cast<uint32_t>(config_.mxm_dim & 0xff) << 24) |
             (static_cast<uint32_t>(config_.mem_slices & 0xff) << 16) |
             (static_cast<uint32_t>(config_.streams & 0xff) << 8) |
             static_cast<uint32_t>(config_.lanes & 0xff);
    case isa::kHostRegConfig1:
      return (static_cast<uint32_t>(config_.queue_depth & 0xffff) << 16) |
             static_cast<uint32_t>(config_.mem_depth & 0xffff);
    case isa::kHostRegConfig2:
      return static_cast<uint32_t>(config_.acc_depth & 0xffff);
    default:
      if (reg >= isa::kHostRegQlen &&
          reg - isa::kHostRegQlen < static_cast<uint32_t>(num_queues_)) {
        return queues_[reg - isa::kHostRegQlen].qlen;
      }
      return 0;
  }
}

///////////
// Cycle //
///////////

uint32_t CycleModel::Step(const HostRequest* host) {
  const bool running = running_;
  const int64_t now_cycle = cycles_;
  CycleTrace* trace = nullptr;
  if (sink_ != nullptr && running) {
    trace = &trace_;
    trace->cycle = now_cycle;
    trace->issues.clear();
    trace->drives.clear();
    trace->mem_writes.clear();
    trace->acc_writes.clear();
    trace->err = isa::Err::kNone;
    trace->err_queue = 0;
  }

  // Host port (lpu_ctrl decode). Registers answer from this cycle's state; queue and MEM
  // accesses reach the RAMs only while idle and inside the configuration.
  bool start = false;
  ReadSel sel = ReadSel::kZero;
  uint32_t sel_data = 0;
  MemAccess mem_access;
  if (host != nullptr) {
    const uint32_t addr = host->addr;
    const uint32_t region = addr >> isa::kHostRegionLsb;
    if (region == isa::kHostRegionReg) {
      const uint32_t reg = addr & 0xff;
      sel = ReadSel::kReg;
      sel_data = ReadRegister(reg);
      if (host->we && !running) {
        if (reg == isa::kHostRegCtrl) {
          start = (host->wdata & 1) != 0;
        } else if (reg >= isa::kHostRegQlen &&
                   reg - isa::kHostRegQlen < static_cast<uint32_t>(num_queues_)) {
          queues_[reg - isa::kHostRegQlen].qlen =
              std::min(host->wdata, static_cast<uint32_t>(config_.queue_depth));
        }
      }
    } else if (region == isa::kHostRegionQueue && !running) {
      const uint32_t q = (addr >> 16) & 0xfff;
      const uint32_t entry = addr & 0xffff;
      if (q < static_cast<uint32_t>(num_queues_) &&
          entry < static_cast<uint32_t>(config_.queue_depth)) {
        uint32_t& word = imem_[static_cast<size_t>(q) * config_.queue_depth + entry];
        if (host->we) {
          word = host->wdata;
        } else {
          sel = ReadSel::kQueue;
          sel_data = word;
        }
      }
    } else if (region == isa::kHostRegionMem && !running) {
      const uint32_t slice = (addr >> 21) & 0x7f;
      const uint32_t word = (addr >> 5) & 0xffff;
      const uint32_t chunk = addr & 0x1f;
      if (slice < static_cast<uint32_t>(config_.mem_slices) &&
          word < static_cast<uint32_t>(config_.mem_depth) &&
          chunk < static_cast<uint32_t>(lanes_ / 4)) {
        mem_access = MemAccess{.slice = static_cast<int>(slice),
                               .we = host->we,
                               .word = static_cast<int>(word),
                               .chunk = static_cast<int>(chunk),
                               .wdata = host->wdata};
        sel = ReadSel::kMem;
      }
    }
  }

  // Slices act on the dispatch registers (issued last cycle) before the queues refill them.
  // A start flushes what would otherwise reach into the new run.
  const Mxm& m = mxm_;
  if (m.s1_valid || m.s2_valid || m.drv_valid || queues_[CoreConfig::kQueueMxmw].dispatch_valid ||
      queues_[CoreConfig::kQueueMxma].dispatch_valid) {
    StepMxm(start, trace);
  }
  isa::Err sxm_err = isa::Err::kNone;
  if (sxm_.Active() || queues_[sxm_queue_].dispatch_valid) {
    sxm_err = StepSxm(start, running, trace);
  }
  bool reading = false;
  for (int i = 0; i < config_.mem_slices; ++i) {
    if (slices_[i].rd_valid || queues_[CoreConfig::MemQueue(i)].dispatch_valid ||
        mem_access.slice == i) {
      StepMem(i, start, mem_access, trace);
      reading |= slices_[i].rd_valid;
    }
  }

  // Queues.
  isa::Err err = isa::Err::kNone;
  int err_queue = -1;
  bool all_finished = false;
  bool issued = false;
  skippable_ = 0;
  if (running) {
    issued = StepQueues(trace, &err, &err_queue, &all_finished);
    // The SXM's error counts as its queue's (lpu_top): the lowest queue wins, and within the
    // sxm queue the lower code.
    if (sxm_err != isa::Err::kNone) {
      if (err_queue < 0 || err_queue > sxm_queue_) {
        err = sxm_err;
        err_queue = sxm_queue_;
      } else if (err_queue == sxm_queue_ && sxm_err < err) {
        err = sxm_err;
      }
    }
  } else {
    for (Queue& q : queues_) {
      q.dispatch_valid = false;
      if (start) {
        q.pc = 0;
        q.wait = 0;
        q.rep_left = 0;
        q.rep_dist = 0;
        q.last_valid = false;
        q.last = 0;
        q.parked = false;
      }
    }
  }

  // Run control.
  if (start) {
    running_ = true;
    done_ = false;
    drain_ = 0;
    cycles_ = 0;
    err_code_ = isa::Err::kNone;
    err_cycle_ = 0;
    err_queue_ = 0;
    ClearStreams();
  } else if (running) {
    ++cycles_;
    if (err_queue >= 0) {
      err_code_ = err;
      err_cycle_ = now_cycle;
      err_queue_ = err_queue;
      running_ = false;
      done_ = true;
      skippable_ = 0;
    } else if (all_finished) {
      if (drain_ == isa::kDrainCycles - 1) {
        running_ = false;
        done_ = true;
      } else {
        ++drain_;
      }
    }
  }

  in_flight_ =
      issued || reading || mxm_.s1_valid || mxm_.s2_valid || mxm_.drv_valid || sxm_.Active();
  ++time_;
  if (trace != nullptr) {
    if (err_queue >= 0) {
      trace->err = err;
      trace->err_queue = err_queue;
    }
    sink_->OnCycle(*trace);
  }

  // host_rdata_o in the cycle after the request.
  switch (sel) {
    case ReadSel::kReg:
    case ReadSel::kQueue:
      return sel_data;
    case ReadSel::kMem: {
      const uint8_t* r = &rdata_[static_cast<size_t>(mem_access.slice) * lanes_ +
                                 4 * slices_[mem_access.slice].host_chunk];
      return uint32_t{r[0]} | uint32_t{r[1]} << 8 | uint32_t{r[2]} << 16 | uint32_t{r[3]} << 24;
    }
    default:
      return 0;
  }
}

////////////
// Queues //
////////////

isa::Err CycleModel::CheckIssue(const Queue& q, uint32_t word, bool addr_ok) const {
  const OpProps& op = kOpProps[OpcodeOf(word)];
  if (!op.defined || (op.unit != isa::Unit::kIcu && op.unit != q.kind)) {
    return isa::Err::kIllegalOpcode;
  }
  if (op.has_addr && !addr_ok) return isa::Err::kAddrRange;
  if (op.group != 0 &&
      kStreamStream.Get(word) + op.group > static_cast<uint32_t>(config_.streams)) {
    return isa::Err::kStreamRange;
  }
  if (q.kind == isa::Unit::kSxm) return CheckSxm(word);
  return isa::Err::kNone;
}

// lpu_icu_queue's check_sxm: the destination and a span the group, b spans it for SELECT and
// is one stream for PERMUTE and DISTRIBUTE, m is one stream; group code 3 counts as 8 streams
// and is a BAD_OPERAND, as is a SHIFT or ROTATE amount of lanes or more.
isa::Err CycleModel::CheckSxm(uint32_t word) const {
  const uint32_t op = OpcodeOf(word);
  const uint32_t code = kSxmGroup.Get(word);
  const uint32_t group = 1u << code;
  const uint32_t streams = static_cast<uint32_t>(config_.streams);
  const bool has_b = op == kPermute || op == kDistribute || op == kSelect;
  const bool has_m = op == kSelect;
  const bool has_n = op == kShift || op == kRotate;
  const uint32_t b_width = has_m ? group : 1;
  if (kSxmStream.Get(word) + group > streams || kSxmA.Get(word) + group > streams ||
      (has_b && kSxmB.Get(word) + b_width > streams) || (has_m && kSxmM.Get(word) + 1 > streams)) {
    return isa::Err::kStreamRange;
  }
  if (code == 3 || (has_n && kSxmN.Get(word) >= static_cast<uint32_t>(lanes_))) {
    return isa::Err::kBadOperand;
  }
  return isa::Err::kNone;
}

bool CycleModel::StepQueues(CycleTrace* trace, isa::Err* first_err, int* first_err_queue,
                            bool* all_finished) {
  bool finished = true;
  bool issued = false;
  bool blocked = true;  // after this cycle, every unfinished queue has a wait to count down
  uint32_t min_wait = std::numeric_limits<uint32_t>::max();

  // SYNC / NOTIFY (lpu_ctrl): a NOTIFY fetched in this cycle releases every parked queue;
  // with at least one queue parked and every other one finished, no NOTIFY can come.
  bool release = false;
  bool any_parked = false;
  bool all_idle = true;  // every queue parked or finished
  for (const Queue& q : queues_) {
    const bool fetching = !q.parked && q.wait == 0 && q.rep_left == 0 && q.pc < q.qlen;
    if (fetching && OpcodeOf(q.imem[q.pc]) == kNotify) release = true;
    any_parked |= q.parked;
    if (!q.parked && !(q.wait == 0 && q.rep_left == 0 && q.pc >= q.qlen)) all_idle = false;
  }
  const bool deadlock = any_parked && all_idle;

  for (int qi = 0; qi < num_queues_; ++qi) {
    Queue& q = queues_[qi];
    q.dispatch_valid = false;
    if (q.parked) {
      // 0. parked: released by a NOTIFY in this cycle, fetch again in the next
      finished = false;
      if (release) {
        q.parked = false;
        blocked = false;
      } else if (deadlock && *first_err_queue < 0) {
        *first_err = isa::Err::kSyncDeadlock;
        *first_err_queue = qi;
      }
      continue;
    }
    if (q.wait != 0) {
      // 1. wait
      finished = false;
      if (--q.wait != 0) {
        min_wait = std::min(min_wait, q.wait);
      } else if (q.rep_left != 0 || q.pc < q.qlen) {
        blocked = false;
      }
      continue;
    }
    if (q.rep_left == 0 && q.pc >= q.qlen) continue;  // finished
    finished = false;

    isa::Err err = isa::Err::kNone;
    bool issue = false;
    uint32_t issue_word = 0;
    bool reissue = false;
    uint32_t reissue_left = q.rep_left;
    uint32_t reissue_dist = q.rep_dist;
    if (q.rep_left != 0) {
      // 2. re-issue
      reissue = true;
    } else {
      // 3. fetch
      const uint32_t word = q.imem[q.pc];
      ++q.pc;
      const uint32_t op = OpcodeOf(word);
      if (op == kNop) {
        const uint32_t n = kCountN.Get(word);
        if (n == 0) {
          err = isa::Err::kBadOperand;
        } else {
          q.wait = n - 1;
        }
      } else if (op == kRepeat) {
        const uint32_t n = kRepeatN.Get(word);
        const uint32_t d = kRepeatD.Get(word);
        if (n == 0 || d == 0) {
          err = isa::Err::kBadOperand;
        } else {
          q.rep_dist = d;
          if (d == 1) {
            // The first re-issue happens in the fetch cycle itself.
            reissue = true;
            reissue_left = n;
            reissue_dist = d;
          } else {
            q.rep_left = n;
            q.wait = d - 2;
          }
        }
      } else if (op == kSync) {
        q.parked = !release;
      } else if (op == kNotify) {
        // The release was computed above; nothing is issued.
      } else {
        err = CheckIssue(q, word, kAddrAddr.Get(word) < q.addr_limit);
        issue = err == isa::Err::kNone;
        issue_word = word;
      }
    }
    if (reissue) {
      q.rep_left = reissue_left - 1;
      q.wait = q.rep_left != 0 ? reissue_dist - 1 : 0;
      // A REPEAT before anything was issued in this run re-issues nothing.
      if (q.last_valid) {
        uint32_t word = q.last;
        bool addr_ok = true;
        if (kOpProps[OpcodeOf(word)].has_addr) {
          // Formed wide: a strided address neither wraps nor overflows.
          const int32_t strided = static_cast<int32_t>(kAddrAddr.Get(word)) + StrideOf(word);
          addr_ok = strided >= 0 && strided < static_cast<int32_t>(q.addr_limit);
          word = kAddrAddr.Put(word, static_cast<uint32_t>(strided));
        }
        err = CheckIssue(q, q.last, addr_ok);
        issue = err == isa::Err::kNone;
        issue_word = word;
      }
    }
    if (issue) {
      issued = true;
      q.dispatch_valid = true;
      q.dispatch = issue_word;
      q.last_valid = true;
      q.last = issue_word;
      if (trace != nullptr) trace->issues.push_back(IssueEvent{.queue = qi, .word = issue_word});
    }
    if (err != isa::Err::kNone && *first_err_queue < 0) {
      *first_err = err;
      *first_err_queue = qi;
    }
    if (q.wait != 0) {
      min_wait = std::min(min_wait, q.wait);
    } else if (q.rep_left != 0 || q.pc < q.qlen) {
      blocked = false;
    }
  }
  *all_finished = finished;
  if (blocked && min_wait != std::numeric_limits<uint32_t>::max()) skippable_ = min_wait;
  return issued;
}

////////////////////
// Stream fabric  //
////////////////////

// Eastward values keep time - position constant as they travel, westward ones time + position.
const uint8_t* CycleModel::Present(int pos, int dir, int stream) const {
  const int64_t now = static_cast<int64_t>(time_);
  const int64_t key = dir == kDirEast ? now - pos : now + pos;
  const size_t idx = ((static_cast<size_t>(dir) * config_.streams + stream) << slot_bits_) +
                     static_cast<size_t>(key & ((int64_t{1} << slot_bits_) - 1));
  return slot_key_[idx] == key ? &slot_data_[idx * lanes_] : zeros_.data();
}

// Every read of this cycle at `pos` must come before a drive at `pos`: the slot of a value
// present at pos is the slot pos drives into.
uint8_t* CycleModel::Drive(int pos, int dir, int stream, CycleTrace* trace) {
  const int64_t now = static_cast<int64_t>(time_);
  const int64_t key = dir == kDirEast ? now - pos : now + pos;
  const size_t idx = ((static_cast<size_t>(dir) * config_.streams + stream) << slot_bits_) +
                     static_cast<size_t>(key & ((int64_t{1} << slot_bits_) - 1));
  slot_key_[idx] = key;
  if (trace != nullptr) {
    trace->drives.push_back(DriveEvent{.pos = pos,
                                       .dir = static_cast<Dir>(dir),
                                       .stream = stream,
                                       .lanes = std::vector<uint8_t>(lanes_, 0)});
  }
  return &slot_data_[idx * lanes_];
}

void CycleModel::ClearStreams() { std::fill(slot_key_.begin(), slot_key_.end(), kNoKey); }

/////////
// MXM //
/////////

void CycleModel::StepMxm(bool flush, CycleTrace* trace) {
  Mxm& m = mxm_;
  const Queue& wq = queues_[CoreConfig::kQueueMxmw];
  const Queue& aq = queues_[CoreConfig::kQueueMxma];
  const uint32_t wop = wq.dispatch_valid ? OpcodeOf(wq.dispatch) : kNop;
  const uint32_t aop = aq.dispatch_valid ? OpcodeOf(aq.dispatch) : kNop;
  const int dim = dim_;

  // Stage 3: acc[a] = y or acc[a] + y, written at the end of this cycle (after ACC reads).
  const bool write = m.s2_valid;
  const uint32_t write_addr = m.s2_addr;
  if (write) {
    const int32_t* old = &m.acc[static_cast<size_t>(write_addr) * dim];
    for (int n = 0; n < dim; ++n) m.wr[n] = m.s2_acc ? WrapAdd(old[n], m.y[n]) : m.y[n];
  }

  // Stage 2: y = x * active (the weights of this cycle).
  if (m.s1_valid) {
    Multiply(dim, m.stride, m.x.data(), m.packed.data(), m.y.data());
    m.s2_acc = m.s1_acc;
    m.s2_addr = m.s1_addr;
  }
  m.s2_valid = m.s1_valid && !flush;

  // Stage 1 (ABC dispatch): sample x.
  m.s1_valid = false;
  if (aop == kAbc) {
    const uint32_t word = aq.dispatch;
    const uint8_t* v = Present(CoreConfig::kMxmPosition, static_cast<int>(kAddrDir.Get(word)),
                               static_cast<int>(kAddrStream.Get(word)));
    for (int k = 0; k < dim; ++k) m.x[k] = static_cast<int8_t>(v[k]);
    m.s1_valid = !flush;
    m.s1_acc = kAddrFlag.Get(word) != 0;
    m.s1_addr = kAddrAddr.Get(word);
  }

  // Weights.
  if (wop == kLw) {
    const uint8_t* v =
        Present(CoreConfig::kMxmPosition, static_cast<int>(kStreamDir.Get(wq.dispatch)),
                static_cast<int>(kStreamStream.Get(wq.dispatch)));
    int16_t* row = &m.shadow[static_cast<size_t>(m.row) * dim];
    for (int n = 0; n < dim; ++n) row[n] = static_cast<int8_t>(v[n]);
    m.row = m.row == dim - 1 ? 0 : m.row + 1;
  } else if (wop == kIw) {
    for (int k = 0; k < dim; ++k) {
      for (int n = 0; n < dim; ++n) {
        uint32_t& pair = m.packed[static_cast<size_t>(k / 2) * m.stride + n];
        const uint32_t w = static_cast<uint16_t>(m.shadow[static_cast<size_t>(k) * dim + n]);
        pair = k % 2 == 0 ? (pair & 0xffff0000u) | w : (pair & 0xffffu) | w << 16;
      }
    }
    m.row = 0;
  }

  // ACC drive: byte plane b of the accumulator read last cycle on stream base + b.
  if (m.drv_valid) {
    for (int b = 0; b < kAccGroup; ++b) {
      uint8_t* out = Drive(CoreConfig::kMxmPosition, m.drv_dir, m.drv_base + b, trace);
      for (int n = 0; n < dim; ++n) out[n] = static_cast<uint8_t>(m.drv[n] >> (8 * b));
      std::memset(out + dim, 0, static_cast<size_t>(lanes_ - dim));
      if (trace != nullptr) std::memcpy(trace->drives.back().lanes.data(), out, lanes_);
    }
  }
  m.drv_valid = false;
  if (aop == kAcc) {
    const uint32_t word = aq.dispatch;
    const int32_t* a = &m.acc[static_cast<size_t>(kAddrAddr.Get(word)) * dim];
    std::copy(a, a + dim, m.drv.begin());
    m.drv_valid = !flush;
    m.drv_dir = static_cast<uint8_t>(kAddrDir.Get(word));
    m.drv_base = static_cast<uint8_t>(kAddrStream.Get(word));
  }

  if (write) {
    std::copy(m.wr.begin(), m.wr.end(), m.acc.begin() + static_cast<ptrdiff_t>(write_addr) * dim);
    if (trace != nullptr) {
      trace->acc_writes.push_back(
          AccWriteEvent{.addr = static_cast<int>(write_addr), .values = m.wr});
    }
  }
}

////////////////
// MEM slices //
////////////////

void CycleModel::StepMem(int slice, bool flush, const MemAccess& access, CycleTrace* trace) {
  MemSlice& s = slices_[slice];
  const Queue& q = queues_[CoreConfig::MemQueue(slice)];
  const int pos = CoreConfig::MemPosition(slice);
  uint8_t* rdata = &rdata_[static_cast<size_t>(slice) * lanes_];
  uint8_t* words = &mem_[static_cast<size_t>(slice) * config_.mem_depth * lanes_];
  const uint32_t op = q.dispatch_valid ? OpcodeOf(q.dispatch) : kNop;

  // WRITE samples the stream here and stores it at the end of the cycle.
  if (op == kWrite) {
    const uint32_t addr = kAddrAddr.Get(q.dispatch);
    uint8_t* word = &words[static_cast<size_t>(addr) * lanes_];
    std::memcpy(word,
                Present(pos, static_cast<int>(kAddrDir.Get(q.dispatch)),
                        static_cast<int>(kAddrStream.Get(q.dispatch))),
                lanes_);
    if (trace != nullptr) {
      trace->mem_writes.push_back(
          MemWriteEvent{.slice = slice,
                        .addr = static_cast<int>(addr),
                        .lanes = std::vector<uint8_t>(word, word + lanes_)});
    }
  }

  // The word read last cycle leaves the SRAM output register.
  if (s.rd_valid) {
    uint8_t* out = Drive(pos, s.rd_dir, s.rd_stream, trace);
    std::memcpy(out, rdata, lanes_);
    if (trace != nullptr) std::memcpy(trace->drives.back().lanes.data(), rdata, lanes_);
  }
  s.rd_valid = false;

  if (op == kRead) {
    std::memcpy(rdata, &words[static_cast<size_t>(kAddrAddr.Get(q.dispatch)) * lanes_], lanes_);
    s.rd_valid = !flush;
    s.rd_dir = static_cast<uint8_t>(kAddrDir.Get(q.dispatch));
    s.rd_stream = static_cast<uint8_t>(kAddrStream.Get(q.dispatch));
  } else if (op != kWrite && access.slice == slice) {
    // The host has the port only when the slice's own instruction does not.
    uint8_t* word = &words[static_cast<size_t>(access.word) * lanes_];
    if (access.we) {
      for (int j = 0; j < 4; ++j)
        word[4 * access.chunk + j] = static_cast<uint8_t>(access.wdata >> (8 * j));
    } else {
      std::memcpy(rdata, word, lanes_);
      s.host_chunk = access.chunk;
    }
  }
}

/////////
// SXM //
/////////

isa::Err CycleModel::StepSxm(bool flush, bool running, CycleTrace* trace) {
  Sxm& x = sxm_;
  const Queue& q = queues_[sxm_queue_];
  const uint32_t word = q.dispatch;
  const uint32_t op = q.dispatch_valid ? OpcodeOf(word) : kNop;
  const int pos = CoreConfig::SxmPosition();
  const int lanes = lanes_;
  auto stream_vec = [&](uint32_t dir, uint32_t s) -> const uint8_t* {
    return s < static_cast<uint32_t>(config_.streams)
               ? Present(pos, static_cast<int>(dir), static_cast<int>(s))
               : zeros_.data();
  };

  // Every read of this cycle comes before the drives (see Drive).
  // Ops with a result in the next cycle: one source lane per output lane, or a select.
  bool new_res = false;
  bool bad_map = false;
  if (op == kShift || op == kRotate || op == kPermute || op == kDistribute || op == kSelect) {
    const uint32_t a = kSxmA.Get(word);
    const uint32_t adir = kSxmAdir.Get(word);
    if (op == kSelect) {
      const uint8_t* mask = stream_vec(kSxmMdir.Get(word), kSxmM.Get(word));
      for (int k = 0; k < kSxmGroupMax; ++k) {
        const uint8_t* va = stream_vec(adir, a + k);
        const uint8_t* vb = stream_vec(kSxmBdir.Get(word), kSxmB.Get(word) + k);
        uint8_t* out = &x.tmp[static_cast<size_t>(k) * lanes];
        for (int l = 0; l < lanes; ++l) out[l] = mask[l] != 0 ? va[l] : vb[l];
      }
      new_res = true;
    } else {
      // src[l] is the source lane of output lane l, or -1 for zero.
      int src[128];
      if (op == kShift || op == kRotate) {
        const int n = static_cast<int>(kSxmN.Get(word));
        const bool down = kSxmDown.Get(word) != 0;
        for (int l = 0; l < lanes; ++l) {
          int j = down ? l + n : l - n;
          if (op == kRotate) {
            j = j < 0 ? j + lanes : j >= lanes ? j - lanes : j;
          } else if (j < 0 || j >= lanes) {
            j = -1;
          }
          src[l] = j;
        }
      } else {
        const uint8_t* map = stream_vec(kSxmBdir.Get(word), kSxmB.Get(word));
        bool hit[128] = {};
        for (int l = 0; l < lanes; ++l) {
          src[l] = map[l] < lanes ? map[l] : -1;
          if (src[l] >= 0) hit[src[l]] = true;
        }
        if (op == kPermute) bad_map = !std::all_of(hit, hit + lanes, [](bool h) { return h; });
      }
      if (!bad_map) {
        for (int k = 0; k < kSxmGroupMax; ++k) {
          const uint8_t* va = stream_vec(adir, a + k);
          uint8_t* out = &x.tmp[static_cast<size_t>(k) * lanes];
          for (int l = 0; l < lanes; ++l) out[l] = src[l] < 0 ? 0 : va[src[l]];
        }
        new_res = true;
      }
    }
  }

  // The corner turner captures one row per stream of the group.
  const bool busy = x.cap_active;
  const bool start = op == kTranspose && !busy && !flush;
  const bool capturing = start || x.cap_active;
  bool last_row = false;
  if (start) {
    x.cap_a = static_cast<uint8_t>(kSxmA.Get(word));
    x.cap_adir = static_cast<uint8_t>(kSxmAdir.Get(word));
    x.cap_group = static_cast<uint8_t>(kSxmGroup.Get(word));
    x.cap_dst = static_cast<uint8_t>(kSxmStream.Get(word));
    x.cap_ddir = static_cast<uint8_t>(kSxmDir.Get(word));
    x.cap_rows = 0;
  }
  if (capturing) {
    for (int k = 0; k < kSxmGroupMax; ++k) {
      std::memcpy(&x.cap[(static_cast<size_t>(k) * lanes + x.cap_rows) * lanes],
                  stream_vec(x.cap_adir, x.cap_a + k), lanes);
    }
    ++x.cap_rows;
    last_row = x.cap_rows == lanes;
  }

  // Drives: the result of the op two cycles back, and a transposed column; the result wins
  // where both drive one stream.
  bool conflict = false;
  if (x.res_valid || x.out_valid) {
    for (int d = 0; d < 2; ++d) {
      for (int s = 0; s < config_.streams; ++s) {
        const bool rd =
            x.res_valid && x.res_dir == d && s >= x.res_base && s - x.res_base < (1 << x.res_group);
        const bool td =
            x.out_valid && x.out_dir == d && s >= x.out_base && s - x.out_base < (1 << x.out_group);
        if (!rd && !td) continue;
        conflict |= rd && td;
        uint8_t* out = Drive(pos, d, s, trace);
        if (rd) {
          std::memcpy(out, &x.res[static_cast<size_t>(s - x.res_base) * lanes], lanes);
        } else {
          const uint8_t* block = &x.out[static_cast<size_t>(s - x.out_base) * lanes * lanes];
          for (int l = 0; l < lanes; ++l)
            out[l] = block[static_cast<size_t>(l) * lanes + x.out_col];
        }
        if (trace != nullptr) std::memcpy(trace->drives.back().lanes.data(), out, lanes);
      }
    }
  }

  // Registers.
  if (x.out_valid) {
    x.out_valid = x.out_col != lanes - 1;
    ++x.out_col;
  }
  if (last_row) {
    std::swap(x.cap, x.out);
    x.out_valid = true;
    x.out_col = 0;
    x.out_dir = x.cap_ddir;
    x.out_base = x.cap_dst;
    x.out_group = x.cap_group;
  }
  if (flush) x.out_valid = false;
  x.cap_active = capturing && !last_row && !flush;
  x.res_valid = new_res && !flush;
  if (new_res) {
    std::swap(x.res, x.tmp);
    x.res_dir = static_cast<uint8_t>(kSxmDir.Get(word));
    x.res_base = static_cast<uint8_t>(kSxmStream.Get(word));
    x.res_group = static_cast<uint8_t>(kSxmGroup.Get(word));
  }

  if (!running) return isa::Err::kNone;
  if (bad_map) return isa::Err::kBadOperand;
  if (conflict) return isa::Err::kStreamConflict;
  if (op == kTranspose && busy) return isa::Err::kUnitBusy;
  return isa::Err::kNone;
}

std::unique_ptr<HostBus> MakeCycleModel(const CoreConfig& config) {
  config.Validate();
  auto bus = std::make_unique<CycleModel>(config);
  CheckCoreConfig(*bus);
  return bus;
}

}  // namespace tinylpu
