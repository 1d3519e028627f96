// CycleModel: the core's control, queues, stream fabric, MXM and MEM slices, one cycle a step.
#include "sw/model/cycle_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string_view>
#include <tuple>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/core/secded.h"
#include "sw/vxm/vxm_ops.h"

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
constexpr BitField kGatherAddr = FieldOf(isa::Format::kGather, "addr");
constexpr BitField kGatherIstream = FieldOf(isa::Format::kGather, "istream");
constexpr BitField kGatherIdir = FieldOf(isa::Format::kGather, "idir");
constexpr BitField kGatherStream = FieldOf(isa::Format::kGather, "stream");
constexpr BitField kGatherDir = FieldOf(isa::Format::kGather, "dir");
static_assert(kGatherAddr.mask != 0 && kGatherIstream.mask != 0 && kGatherIdir.mask != 0 &&
                  kGatherStream.lsb == kAddrStream.lsb && kGatherDir.lsb == kAddrDir.lsb,
              "the gather format must carry addr, istream and idir, and place stream and dir as "
              "the addr format does");
constexpr BitField kCfgIndex = FieldOf(isa::Format::kConfig, "index");
constexpr BitField kCfgValue = FieldOf(isa::Format::kConfig, "value");
// Every VXM format places its fields alike (vxm2 has them all but stype).
constexpr BitField kVxmType = FieldOf(isa::Format::kVxm2, "vtype");
constexpr BitField kVxmStype = FieldOf(isa::Format::kVxmcvt, "stype");
constexpr BitField kVxmDst = FieldOf(isa::Format::kVxm2, "dst");
constexpr BitField kVxmA = FieldOf(isa::Format::kVxm2, "srca");
constexpr BitField kVxmB = FieldOf(isa::Format::kVxm2, "srcb");
static_assert(kCfgIndex.mask != 0 && kCfgValue.mask != 0 && kVxmType.mask != 0 &&
                  kVxmStype.mask != 0 && kVxmDst.mask != 0 && kVxmA.mask != 0 && kVxmB.mask != 0,
              "a VXM or CONFIG field the model needs is missing from isa_gen.h");
static_assert(FieldOf(isa::Format::kVxm1, "srca").lsb == kVxmA.lsb &&
                  FieldOf(isa::Format::kVxmcvt, "srca").lsb == kVxmA.lsb &&
                  FieldOf(isa::Format::kVxmcvt, "dst").lsb == kVxmDst.lsb &&
                  FieldOf(isa::Format::kVxmcvt, "vtype").lsb == kVxmType.lsb,
              "the VXM formats must place their common fields alike (as the RTL assumes)");
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
constexpr uint32_t kGather = static_cast<uint32_t>(isa::Op::kGather);
constexpr uint32_t kScatter = static_cast<uint32_t>(isa::Op::kScatter);
constexpr uint32_t kIfetch = static_cast<uint32_t>(isa::Op::kIfetch);
constexpr uint32_t kLw = static_cast<uint32_t>(isa::Op::kLw);
constexpr uint32_t kIw = static_cast<uint32_t>(isa::Op::kIw);
constexpr uint32_t kAbc = static_cast<uint32_t>(isa::Op::kAbc);
constexpr uint32_t kAcc = static_cast<uint32_t>(isa::Op::kAcc);
constexpr uint32_t kConfig = static_cast<uint32_t>(isa::Op::kConfig);
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
  bool has_istream = false;
  uint32_t group = 0;
  uint32_t flag_group = 0;  // the group with the flag set (READ/WRITE `quad`), 0 if unchanged
  uint32_t rsvd = 0;  // reserved bits (op_rsvd_mask): set, they are a BAD_OPERAND
};

constexpr int kNumOpcodes = 1 << (isa::kOpcodeMsb - isa::kOpcodeLsb + 1);

constexpr std::array<OpProps, kNumOpcodes> MakeOpProps() {
  std::array<OpProps, kNumOpcodes> props{};
  for (const isa::OpInfo& info : isa::kOps) {
    OpProps& p = props[static_cast<size_t>(info.op)];
    p.defined = true;
    p.unit = info.unit;
    p.has_addr = info.format == isa::Format::kAddr;
    const bool has_stream = info.format == isa::Format::kAddr ||
                            info.format == isa::Format::kStream ||
                            info.format == isa::Format::kGather;
    p.group = has_stream ? static_cast<uint32_t>(info.group) : 0;
    p.flag_group = static_cast<uint32_t>(info.flag_group);
    p.has_istream = info.format == isa::Format::kGather;
    uint32_t covered = ~0u << isa::kOpcodeLsb;
    const isa::FormatInfo& format = isa::kFormats[static_cast<size_t>(info.format)];
    for (int i = 0; i < format.num_fields; ++i) {
      const isa::FieldInfo& f = format.fields[i];
      const int bits = f.msb - f.lsb + 1;
      covered |= (bits >= 32 ? ~0u : ((1u << bits) - 1u)) << f.lsb;
    }
    p.rsvd = ~covered;
  }
  return props;
}

constexpr std::array<OpProps, kNumOpcodes> kOpProps = MakeOpProps();

// The SECDED lane code (sw/core/secded.h) by compact tables: 2 bytes per codeword, so that the
// decode table (16 KiB) stays in the cache. A decoded entry holds the corrected byte in bits
// 7:0 and the Secded::Status in bits 9:8.
struct LaneCodes {
  std::array<uint16_t, 256> encode{};
  std::array<uint16_t, 1 << kLaneCodeBits> decode{};
};

LaneCodes MakeLaneCodes() {
  LaneCodes t;
  for (int b = 0; b < 256; ++b) t.encode[b] = EncodeLaneByte(static_cast<uint8_t>(b));
  for (size_t c = 0; c < t.decode.size(); ++c) {
    const Secded::Decoded d = DecodeLaneByte(static_cast<uint16_t>(c));
    t.decode[c] = static_cast<uint16_t>((d.data & 0xff) | static_cast<uint32_t>(d.status) << 8);
  }
  return t;
}

const LaneCodes kLaneCodes = MakeLaneCodes();

uint16_t EncodeLane(uint8_t byte) { return kLaneCodes.encode[byte]; }
uint16_t DecodeLane(uint16_t code) { return kLaneCodes.decode[code & ((1u << kLaneCodeBits) - 1)]; }
constexpr uint16_t kLaneCorrected = static_cast<uint16_t>(Secded::Status::kCorrected) << 8;
constexpr uint16_t kLaneUncorrectable = static_cast<uint16_t>(Secded::Status::kUncorrectable) << 8;

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
    queue.vxm_alu = config.VxmAlu(q);
    queue.addr_limit =
        static_cast<uint32_t>(q == CoreConfig::kQueueMxma ? config.acc_depth : config.mem_depth);
    queue.pos = config.QueuePosition(q);
    queue.imem = &imem_[static_cast<size_t>(q) * config.queue_depth];
  }
  fetched_.assign(static_cast<size_t>(num_queues_) * lanes_, 0);
  landed_.assign(num_queues_, false);
  lane_addr_.assign(lanes_, 0);
  sampled_.assign(static_cast<size_t>(4) * lanes_, 0);
  queue_errs_.assign(num_queues_, isa::Err::kNone);
  // Codeword 0 is the code of byte 0: the zeroed arrays are valid, as the RTL's are.
  mem_.assign(static_cast<size_t>(config.mem_slices) * config.mem_depth * lanes_, 0);
  rdata_.assign(static_cast<size_t>(config.mem_slices) * lanes_ * 8, 0);
  slices_.resize(config.mem_slices);
  for (MemSlice& s : slices_) {
    s.b_addr.assign(lanes_, 0);
    s.b_data.assign(lanes_, 0);
    s.gd_bank.assign(lanes_, 0);
    s.gd_sub.assign(lanes_, 0);
  }

  const size_t dim2 = static_cast<size_t>(dim_) * dim_;
  mxm_.shadow.assign(dim2, 0);
  mxm_.stride = (dim_ + 3) / 4 * 4;
  mxm_.packed.assign(static_cast<size_t>((dim_ + 1) / 2) * mxm_.stride, 0);
  mxm_.x.assign(dim_, 0);
  mxm_.y.assign(dim_, 0);
  mxm_.drv.assign(dim_, 0);
  mxm_.wr.assign(dim_, 0);
  mxm_.acc.assign(static_cast<size_t>(config.acc_depth) * dim_, 0);
  vxm_.resize(config.vxm_alus);
  for (VxmAlu& alu : vxm_) {
    alu.r.assign(lanes_, 0);
    alu.next.assign(lanes_, 0);
  }
  vxm_conflict_.assign(config.vxm_alus, false);
  vxm_driver_.assign(size_t{2} * config.streams, -1);
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
    case isa::kHostRegEccCorrected:
      return ecc_corrected_;
    case isa::kHostRegEccInject:
      return uint32_t{inject_mask_} | uint32_t{inject_lanes_} << 16;
    case isa::kHostRegConfig3:
      return static_cast<uint32_t>(config_.vxm_alus & 0xff);
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
    trace->appends.clear();
    trace->drives.clear();
    trace->mem_writes.clear();
    trace->scatters.clear();
    trace->acc_writes.clear();
    trace->ecc_corrected = 0;
    trace->vxm_writes.clear();
    trace->err = isa::Err::kNone;
    trace->err_queue = 0;
  }

  // Host port (lpu_ctrl decode). Registers answer from this cycle's state; queue and MEM
  // accesses reach the RAMs only while idle and inside the configuration.
  bool start = false;
  ReadSel sel = ReadSel::kZero;
  uint32_t sel_data = 0;
  MemAccess mem_access;
  // A host queue write lands at the end of the cycle unless an IFETCH appends to that queue.
  int queue_write = -1;
  uint32_t queue_write_entry = 0;
  if (host != nullptr) {
    const uint32_t addr = host->addr;
    const uint32_t region = addr >> isa::kHostRegionLsb;
    if (region == isa::kHostRegionReg) {
      const uint32_t reg = addr & 0xff;
      sel = ReadSel::kReg;
      sel_data = ReadRegister(reg);
      if (host->we && reg == isa::kHostRegEccInject) {
        inject_mask_ = static_cast<uint16_t>(host->wdata & ((1u << kLaneCodeBits) - 1));
        inject_lanes_ = static_cast<uint8_t>((host->wdata >> 16) & 0xf);
      }
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
        if (host->we) {
          queue_write = static_cast<int>(q);
          queue_write_entry = entry;
        } else {
          sel = ReadSel::kQueue;
          sel_data = imem_[static_cast<size_t>(q) * config_.queue_depth + entry];
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

  // IFETCHes sample the streams at their queues' positions before any slice drives there.
  for (int qi = 0; qi < num_queues_; ++qi) {
    const Queue& q = queues_[qi];
    if (q.ifetch) {
      std::memcpy(&fetched_[static_cast<size_t>(qi) * lanes_],
                  Present(q.pos, q.ifetch_dir, q.ifetch_stream), lanes_);
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
  int corrected = 0;
  for (int i = 0; i < config_.mem_slices; ++i) {
    MemSlice& s = slices_[i];
    s.err = isa::Err::kNone;
    if (s.rd_valid || s.b_gather || s.b_scatter || s.gd_valid || s.host_rd ||
        queues_[CoreConfig::MemQueue(i)].dispatch_valid || mem_access.slice == i) {
      corrected += StepMem(i, start, mem_access, trace);
      reading |= s.rd_valid || s.b_gather || s.b_scatter || s.gd_valid || s.host_rd;
    }
  }
  ecc_corrected_ = start ? 0 : ecc_corrected_ + static_cast<uint32_t>(corrected);
  if (trace != nullptr) trace->ecc_corrected = corrected;

  std::fill(vxm_conflict_.begin(), vxm_conflict_.end(), false);
  if (start || VxmBusy()) StepVxm(start, trace);

  // Queues.
  isa::Err err = isa::Err::kNone;
  int err_queue = -1;
  bool all_finished = false;
  bool issued = false;
  bool fetching = false;
  skippable_ = 0;
  std::fill(landed_.begin(), landed_.end(), false);
  if (running) {
    std::fill(queue_errs_.begin(), queue_errs_.end(), isa::Err::kNone);
    issued = StepQueues(trace, queue_errs_, &all_finished);
    // The MEM slices' and the SXM's errors count as their queues' (lpu_top): the lower code
    // wins within a queue, the lowest queue overall.
    auto merge = [&](int q, isa::Err unit_err) {
      isa::Err& e = queue_errs_[q];
      if (unit_err != isa::Err::kNone && (e == isa::Err::kNone || unit_err < e)) e = unit_err;
    };
    for (int i = 0; i < config_.mem_slices; ++i) merge(CoreConfig::MemQueue(i), slices_[i].err);
    merge(sxm_queue_, sxm_err);
    for (int qi = 0; qi < num_queues_; ++qi) {
      if (queue_errs_[qi] != isa::Err::kNone) {
        err = queue_errs_[qi];
        err_queue = qi;
        break;
      }
    }
  } else {
    for (int qi = 0; qi < num_queues_; ++qi) {
      Queue& q = queues_[qi];
      q.dispatch_valid = false;
      if (q.ifetch && !start) LandIfetch(qi, nullptr);
      q.ifetch = false;
      if (start) {
        q.pc = 0;
        q.end = q.qlen;
        q.wait = 0;
        q.rep_left = 0;
        q.rep_dist = 0;
        q.last_valid = false;
        q.last = 0;
        q.parked = false;
      }
    }
  }
  for (const Queue& q : queues_) fetching |= q.ifetch;
  if (queue_write >= 0) {
    // lpu_icu_queue drops a host write in a cycle in which an IFETCH lands in that queue; such
    // a landing leaves end past the entry it appended, which the queue remembers below.
    if (!landed_[queue_write]) {
      imem_[static_cast<size_t>(queue_write) * config_.queue_depth + queue_write_entry] =
          host->wdata;
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

  in_flight_ = issued || reading || fetching || mxm_.s1_valid || mxm_.s2_valid || mxm_.drv_valid ||
               sxm_.Active() || VxmBusy();
  ++time_;
  if (trace != nullptr) {
    if (err_queue >= 0) {
      trace->err = err;
      trace->err_queue = err_queue;
    }
    // A slice driving a READ and a GATHER in one cycle may report them out of stream order.
    std::sort(trace->drives.begin(), trace->drives.end(),
              [](const DriveEvent& a, const DriveEvent& b) {
                return std::tie(a.pos, a.dir, a.stream) < std::tie(b.pos, b.dir, b.stream);
              });
    sink_->OnCycle(*trace);
  }

  // host_rdata_o in the cycle after the request.
  switch (sel) {
    case ReadSel::kReg:
    case ReadSel::kQueue:
      return sel_data;
    case ReadSel::kMem: {
      const MemSlice& s = slices_[mem_access.slice];
      uint32_t data = 0;
      for (int j = 0; j < 4; ++j) {
        const int lane = 4 * s.host_chunk + j;
        const uint16_t code =
            rdata_[((static_cast<size_t>(mem_access.slice) * lanes_ + lane) * 2 + s.host_bank) * 4 +
                   s.host_sub];
        data |= static_cast<uint32_t>(DecodeLane(code) & 0xff) << (8 * j);
      }
      return data;
    }
    default:
      return 0;
  }
}

////////////
// Queues //
////////////

// lpu_icu_queue's check_issue; a reserved bit set is a BAD_OPERAND of the lowest priority.
isa::Err CycleModel::CheckIssue(const Queue& q, uint32_t word, bool addr_ok,
                                uint32_t addr) const {
  const isa::Err err = CheckOperands(q, word, addr_ok, addr);
  if (err == isa::Err::kNone && (word & kOpProps[OpcodeOf(word)].rsvd) != 0) {
    return isa::Err::kBadOperand;
  }
  return err;
}

isa::Err CycleModel::CheckOperands(const Queue& q, uint32_t word, bool addr_ok,
                                   uint32_t addr) const {
  const OpProps& op = kOpProps[OpcodeOf(word)];
  if (!op.defined || (op.unit != isa::Unit::kIcu && op.unit != q.kind)) {
    return isa::Err::kIllegalOpcode;
  }
  if (op.has_addr && !addr_ok) return isa::Err::kAddrRange;
  // READ/WRITE `quad`: four streams, and the addr a multiple of four.
  const uint32_t wide = op.has_addr && kAddrFlag.Get(word) != 0 ? op.flag_group : 0;
  const uint32_t group = wide != 0 ? wide : op.group;
  if ((group != 0 && kStreamStream.Get(word) + group > static_cast<uint32_t>(config_.streams)) ||
      (op.has_istream && kGatherIstream.Get(word) >= static_cast<uint32_t>(config_.streams))) {
    return isa::Err::kStreamRange;
  }
  if (wide != 0 && addr % wide != 0) return isa::Err::kBadOperand;
  if (OpcodeOf(word) == kConfig) {
    // lpu_icu_queue: the queue kind's registers, and QSHIFT's range on a VXM ALU.
    const uint32_t regs = static_cast<uint32_t>(isa::kUnitConfigRegs[static_cast<size_t>(q.kind)]);
    const uint32_t index = kCfgIndex.Get(word);
    if (index >= regs || (q.kind == isa::Unit::kVxm && index == isa::kVxmCfgQshift &&
                          kCfgValue.Get(word) > static_cast<uint32_t>(isa::kVxmQshiftMax))) {
      return isa::Err::kBadOperand;
    }
  }
  if (op.unit == isa::Unit::kVxm) return CheckVxm(q, word);
  if (q.kind == isa::Unit::kSxm && op.unit == isa::Unit::kSxm) return CheckSxm(word);
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

// lpu_icu_queue's VXM checks: every stream group an op reads or drives inside NumStreams
// (STREAM_RANGE), a legal type, no reserved source or destination encoding and no PREV on
// ALU 0 (BAD_OPERAND); the lower code wins.
isa::Err CycleModel::CheckVxm(const Queue& q, uint32_t word) const {
  const isa::VxmOpInfo* info = vxm::FindVxmOp(static_cast<isa::Op>(OpcodeOf(word)));
  const auto type = static_cast<isa::VxmType>(kVxmType.Get(word));
  const auto stype = static_cast<isa::VxmType>(kVxmStype.Get(word));
  bool range = false;
  bool bad = !vxm::TypeLegal(info->op, type, stype);
  auto check = [&](isa::VxmKind kind, uint32_t v, bool is_dst) {
    if (kind == isa::VxmKind::kNone) return;
    if (VxmIsStream(v)) {
      range |= VxmStreamIndex(v) + static_cast<uint32_t>(vxm::KindGroup(kind, type, stype)) >
               static_cast<uint32_t>(config_.streams);
    } else if (is_dst) {
      bad |= v != kVxmNone;
    } else {
      bad |= v > kVxmImm || (v == kVxmPrev && q.vxm_alu == 0);
    }
  };
  check(info->a, kVxmA.Get(word), false);
  check(info->b, kVxmB.Get(word), false);
  check(info->dst, kVxmDst.Get(word), true);
  if (range) return isa::Err::kStreamRange;
  return bad ? isa::Err::kBadOperand : isa::Err::kNone;
}

bool CycleModel::StepQueues(CycleTrace* trace, std::vector<isa::Err>& errs, bool* all_finished) {
  bool finished = true;
  bool issued = false;
  bool blocked = true;  // after this cycle, every unfinished queue has a wait to count down
  uint32_t min_wait = std::numeric_limits<uint32_t>::max();
  const uint64_t slot_mask = static_cast<uint64_t>(config_.queue_depth) - 1;

  // SYNC / NOTIFY (lpu_ctrl): a NOTIFY fetched in this cycle releases every parked queue;
  // with at least one queue parked and every other one finished, no NOTIFY can come.
  bool release = false;
  bool any_parked = false;
  bool all_idle = true;  // every queue parked or finished
  for (const Queue& q : queues_) {
    const bool avail = q.pc != q.end;
    const bool fetching = !q.parked && q.wait == 0 && q.rep_left == 0 && avail;
    if (fetching && OpcodeOf(q.imem[q.pc & slot_mask]) == kNotify) release = true;
    any_parked |= q.parked;
    if (!q.parked && !(q.wait == 0 && q.rep_left == 0 && !avail && !q.ifetch)) all_idle = false;
  }
  const bool deadlock = any_parked && all_idle;

  for (int qi = 0; qi < num_queues_; ++qi) {
    Queue& q = queues_[qi];
    q.dispatch_valid = false;
    const bool landing = q.ifetch;  // an IFETCH fetched last cycle samples its stream now
    q.ifetch = false;
    isa::Err err = isa::Err::kNone;
    bool issue = false;
    uint32_t issue_word = 0;
    bool ifetch = false;
    uint32_t ifetch_word = 0;
    bool parked_branch = false;
    if (q.parked) {
      // 0. parked: released by a NOTIFY in this cycle, fetch again in the next
      parked_branch = true;
      finished = false;
      if (release) {
        q.parked = false;
        blocked = false;
      } else if (deadlock) {
        err = isa::Err::kSyncDeadlock;
      }
    } else if (q.wait != 0) {
      // 1. wait
      finished = false;
      --q.wait;
    } else if (q.rep_left == 0 && q.pc == q.end) {
      // Finished, unless an IFETCH lands now: then the queue runs dry before it.
      if (landing) {
        finished = false;
        err = isa::Err::kQueueUnderflow;
      }
    } else {
      finished = false;
      bool reissue = false;
      uint32_t reissue_left = q.rep_left;
      uint32_t reissue_dist = q.rep_dist;
      if (q.rep_left != 0) {
        // 2. re-issue
        reissue = true;
      } else {
        // 3. fetch
        const uint32_t word = q.imem[q.pc & slot_mask];
        ++q.pc;
        const uint32_t op = OpcodeOf(word);
        const bool rsvd = (word & kOpProps[op].rsvd) != 0;
        if (op == kNop) {
          const uint32_t n = kCountN.Get(word);
          if (n == 0 || rsvd) {
            err = isa::Err::kBadOperand;
          } else {
            q.wait = n - 1;
          }
        } else if (op == kRepeat) {
          const uint32_t n = kRepeatN.Get(word);
          const uint32_t d = kRepeatD.Get(word);
          if (n == 0 || d == 0 || rsvd) {
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
          if (rsvd) {
            err = isa::Err::kBadOperand;
          } else {
            q.parked = !release;
          }
        } else if (op == kNotify) {
          // The release was computed above (by opcode, as in the RTL); nothing is issued.
          if (rsvd) err = isa::Err::kBadOperand;
        } else if (op == kIfetch) {
          err = CheckIssue(q, word, true, 0);
          ifetch = err == isa::Err::kNone;
          ifetch_word = word;
        } else {
          err = CheckIssue(q, word, kAddrAddr.Get(word) < q.addr_limit, kAddrAddr.Get(word));
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
          uint32_t addr = 0;
          if (kOpProps[OpcodeOf(word)].has_addr) {
            // Formed wide: a strided address neither wraps nor overflows.
            const int32_t strided = static_cast<int32_t>(kAddrAddr.Get(word)) + StrideOf(word);
            addr_ok = strided >= 0 && strided < static_cast<int32_t>(q.addr_limit);
            addr = static_cast<uint32_t>(strided);
            word = kAddrAddr.Put(word, addr);
          }
          err = CheckIssue(q, q.last, addr_ok, addr);
          issue = err == isa::Err::kNone;
          issue_word = word;
        }
      }
    }
    // The IFETCH of last cycle lands (or overflows) after this cycle's fetch.
    if (landing && LandIfetch(qi, trace)) {
      if (err == isa::Err::kNone || isa::Err::kQueueOverflow < err) err = isa::Err::kQueueOverflow;
    }
    if (err != isa::Err::kNone) {
      issue = false;
      ifetch = false;
      errs[qi] = err;
    }
    if (issue) {
      issued = true;
      q.dispatch_valid = true;
      q.dispatch = issue_word;
      q.last_valid = true;
      q.last = issue_word;
      if (trace != nullptr) trace->issues.push_back(IssueEvent{.queue = qi, .word = issue_word});
    }
    if (ifetch) {
      q.ifetch = true;
      q.ifetch_dir = static_cast<uint8_t>(kStreamDir.Get(ifetch_word));
      q.ifetch_stream = static_cast<uint8_t>(kStreamStream.Get(ifetch_word));
      blocked = false;
    }
    if (parked_branch) continue;
    if (q.wait != 0) {
      min_wait = std::min(min_wait, q.wait);
    } else if (q.rep_left != 0 || q.pc != q.end) {
      blocked = false;
    }
  }
  // STREAM_CONFLICT comes from the VXM slice, not from a queue's checks: it is raised for each
  // ALU involved, whatever its queue does in this cycle (the lower code wins on one queue).
  for (int alu = 0; alu < config_.vxm_alus; ++alu) {
    if (!vxm_conflict_[alu]) continue;
    const int qi = config_.VxmQueue(alu);
    if (errs[qi] == isa::Err::kNone || errs[qi] > isa::Err::kStreamConflict) {
      errs[qi] = isa::Err::kStreamConflict;
    }
  }
  *all_finished = finished;
  if (blocked && min_wait != std::numeric_limits<uint32_t>::max()) skippable_ = min_wait;
  return issued;
}

bool CycleModel::LandIfetch(int qi, CycleTrace* trace) {
  Queue& q = queues_[qi];
  const uint64_t words = static_cast<uint64_t>(lanes_ / 4);
  const uint64_t depth = static_cast<uint64_t>(config_.queue_depth);
  if (q.end - q.pc + words > depth) return true;
  const uint8_t* v = &fetched_[static_cast<size_t>(qi) * lanes_];
  AppendEvent* event = nullptr;
  if (trace != nullptr) {
    event = &trace->appends.emplace_back(
        AppendEvent{.queue = qi, .entry = static_cast<int>(q.end & (depth - 1)), .words = {}});
  }
  for (uint64_t j = 0; j < words; ++j) {
    const uint8_t* b = v + 4 * j;
    const uint32_t word =
        uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
    q.imem[(q.end + j) & (depth - 1)] = word;
    if (event != nullptr) event->words.push_back(word);
  }
  q.end += words;
  landed_[qi] = true;
  return false;
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

int CycleModel::StepMem(int slice, bool flush, const MemAccess& access, CycleTrace* trace) {
  MemSlice& s = slices_[slice];
  const Queue& q = queues_[CoreConfig::MemQueue(slice)];
  const int pos = CoreConfig::MemPosition(slice);
  const int half = config_.mem_depth / 2;
  uint16_t* words = &mem_[static_cast<size_t>(slice) * config_.mem_depth * lanes_];
  uint16_t* rdata = &rdata_[static_cast<size_t>(slice) * lanes_ * 8];
  auto cell = [&](int addr, int lane) -> uint16_t& {
    return words[static_cast<size_t>(addr) * lanes_ + lane];
  };
  // The output register of lane column (bank, sub-bank) and the one serving word addr.
  auto out = [&](int lane, int bank, int sub) -> uint16_t& {
    return rdata[(lane * 2 + bank) * 4 + sub];
  };
  auto bank_of = [&](int addr) { return addr >= half ? 1 : 0; };
  const uint32_t op = q.dispatch_valid ? OpcodeOf(q.dispatch) : kNop;
  const uint32_t word = q.dispatch;
  const bool a_access = op == kRead || op == kWrite;
  const bool a_quad = a_access && kAddrFlag.Get(word) != 0;
  const int a_words = a_quad ? 4 : 1;
  const int a_addr = static_cast<int>(kAddrAddr.Get(word));
  const int a_bank = bank_of(a_addr);
  const bool stage1 = op == kGather || op == kScatter;
  int corrected = 0;
  bool uncorrectable = false;

  // What this cycle samples at this position, before the slice drives here.
  bool range_err = false;
  if (stage1) {
    const uint8_t* idx = Present(pos, static_cast<int>(kGatherIdir.Get(word)),
                                 static_cast<int>(kGatherIstream.Get(word)));
    const int base = static_cast<int>(kGatherAddr.Get(word));
    for (int l = 0; l < lanes_; ++l) {
      const int a = base + idx[l];
      lane_addr_[l] = static_cast<uint16_t>(a);
      range_err |= a >= config_.mem_depth;
    }
  }
  if (op == kWrite || op == kScatter) {
    const int n = op == kWrite ? a_words : 1;
    for (int j = 0; j < n; ++j) {
      std::memcpy(sampled_.data() + static_cast<size_t>(j) * lanes_,
                  Present(pos, static_cast<int>(kAddrDir.Get(word)),
                          static_cast<int>(kAddrStream.Get(word)) + j),
                  lanes_);
    }
  }

  // Drives: the words READ last cycle and the bytes GATHERed last cycle, decoded. A READ and a
  // GATHER on a shared stream: the READ's word goes out (and STREAM_CONFLICT below).
  const int rd_words = s.rd_quad ? 4 : 1;
  if (s.rd_valid) {
    for (int j = 0; j < rd_words; ++j) {
      uint8_t* o = Drive(pos, s.rd_dir, s.rd_stream + j, trace);
      const int sub = s.rd_quad ? j : s.rd_sub;
      for (int l = 0; l < lanes_; ++l) {
        const uint16_t d = DecodeLane(out(l, s.rd_bank, sub));
        o[l] = static_cast<uint8_t>(d);
        corrected += (d & 0x300) == kLaneCorrected ? 1 : 0;
        uncorrectable |= (d & 0x300) == kLaneUncorrectable;
      }
      if (trace != nullptr) std::memcpy(trace->drives.back().lanes.data(), o, lanes_);
    }
  }
  const bool same_stream = s.rd_valid && s.gd_valid && s.rd_dir == s.gd_dir &&
                           s.gd_stream >= s.rd_stream && s.gd_stream < s.rd_stream + rd_words;
  if (s.gd_valid) {
    uint8_t* o = same_stream ? nullptr : Drive(pos, s.gd_dir, s.gd_stream, trace);
    for (int l = 0; l < lanes_; ++l) {
      const uint16_t d = DecodeLane(out(l, s.gd_bank[l], s.gd_sub[l]));
      if (o != nullptr) o[l] = static_cast<uint8_t>(d);
      corrected += (d & 0x300) == kLaneCorrected ? 1 : 0;
      uncorrectable |= (d & 0x300) == kLaneUncorrectable;
    }
    if (trace != nullptr && o != nullptr) {
      std::memcpy(trace->drives.back().lanes.data(), o, lanes_);
    }
  }
  // The host read of last cycle is decoded now (Step returns its chunk).
  if (s.host_rd) {
    for (int j = 0; j < 4; ++j) {
      const int lane = 4 * s.host_chunk + j;
      corrected += (DecodeLane(out(lane, s.host_bank, s.host_sub)) & 0x300) == kLaneCorrected ? 1 : 0;
    }
  }

  // Banks: a READ or WRITE and the GATHER or SCATTER of the cycle before it must use different
  // banks in every lane.
  const bool b_any = s.b_gather || s.b_scatter;
  bool conflict = false;
  if (a_access && b_any) {
    for (int l = 0; l < lanes_; ++l) conflict |= bank_of(s.b_addr[l]) == a_bank;
  }
  s.err = range_err       ? isa::Err::kAddrRange
          : same_stream   ? isa::Err::kStreamConflict
          : uncorrectable ? isa::Err::kEccUncorrectable
          : conflict      ? isa::Err::kBankConflict
                          : isa::Err::kNone;
  const bool a_go = a_access && !conflict;
  const bool b_go = b_any && !conflict;

  if (a_go && op == kWrite) {
    for (int j = 0; j < a_words; ++j) {
      const uint8_t* data = sampled_.data() + static_cast<size_t>(j) * lanes_;
      for (int l = 0; l < lanes_; ++l) cell(a_addr + j, l) = EncodeLane(data[l]);
      if (trace != nullptr) {
        trace->mem_writes.push_back(MemWriteEvent{
            .slice = slice, .addr = a_addr + j, .lanes = std::vector<uint8_t>(data, data + lanes_)});
      }
    }
  } else if (a_go) {
    for (int j = 0; j < a_words; ++j) {
      for (int l = 0; l < lanes_; ++l) out(l, a_bank, (a_addr + j) % 4) = cell(a_addr + j, l);
    }
  }
  if (b_go) {
    for (int l = 0; l < lanes_; ++l) {
      const int a = s.b_addr[l];
      if (s.b_scatter) {
        cell(a, l) = EncodeLane(s.b_data[l]);
      } else {
        out(l, bank_of(a), a % 4) = cell(a, l);
      }
    }
    if (trace != nullptr && s.b_scatter) {
      trace->scatters.push_back(
          ScatterEvent{.slice = slice,
                       .addrs = std::vector<int>(s.b_addr.begin(), s.b_addr.end()),
                       .lanes = s.b_data});
    }
  }
  // The host has the banks only when the slice makes no access.
  s.host_rd = false;
  if (access.slice == slice && !a_access && !b_any) {
    const int bank = bank_of(access.word);
    if (access.we) {
      for (int j = 0; j < 4; ++j) {
        const uint16_t flip = (inject_lanes_ >> j) & 1 ? inject_mask_ : 0;
        cell(access.word, 4 * access.chunk + j) =
            EncodeLane(static_cast<uint8_t>(access.wdata >> (8 * j))) ^ flip;
      }
    } else {
      for (int l = 0; l < lanes_; ++l) out(l, bank, access.word % 4) = cell(access.word, l);
      s.host_rd = true;
      s.host_bank = static_cast<uint8_t>(bank);
      s.host_sub = static_cast<uint8_t>(access.word % 4);
      s.host_chunk = access.chunk;
    }
  }

  // Pipeline registers.
  s.rd_valid = op == kRead && a_go && !flush;
  if (op == kRead) {
    s.rd_bank = static_cast<uint8_t>(a_bank);
    s.rd_quad = a_quad;
    s.rd_sub = static_cast<uint8_t>(a_addr % 4);
    s.rd_dir = static_cast<uint8_t>(kAddrDir.Get(word));
    s.rd_stream = static_cast<uint8_t>(kAddrStream.Get(word));
  }
  s.gd_valid = s.b_gather && b_go && !flush;
  if (s.b_gather) {
    for (int l = 0; l < lanes_; ++l) {
      s.gd_bank[l] = static_cast<uint8_t>(bank_of(s.b_addr[l]));
      s.gd_sub[l] = static_cast<uint8_t>(s.b_addr[l] % 4);
    }
    s.gd_dir = s.b_dir;
    s.gd_stream = s.b_stream;
  }
  s.b_gather = op == kGather && !range_err && !flush;
  s.b_scatter = op == kScatter && !range_err && !flush;
  if (stage1) std::copy(lane_addr_.begin(), lane_addr_.end(), s.b_addr.begin());
  if (op == kScatter) std::copy(sampled_.begin(), sampled_.begin() + lanes_, s.b_data.begin());
  if (op == kGather) {
    s.b_dir = static_cast<uint8_t>(kGatherDir.Get(word));
    s.b_stream = static_cast<uint8_t>(kGatherStream.Get(word));
  }
  return corrected;
}

/////////
// VXM //
/////////

bool CycleModel::VxmBusy() const {
  for (int k = 0; k < config_.vxm_alus; ++k) {
    if (vxm_[k].drv_valid || queues_[config_.VxmQueue(k)].dispatch_valid) return true;
  }
  return false;
}

// lpu_vxm: the op dispatched to ALU k (issued last cycle) samples its sources now, writes R[k]
// at the end of this cycle and drives it in the next; CONFIG writes IMM or QSHIFT at the end of
// this cycle. The drives of this cycle send out R[k] as it is now (before this cycle's write).
// Where two ALUs drive one stream the lower ALU's byte goes out and both raise STREAM_CONFLICT.
// A start clears every ALU's registers and drops the drives in flight.
void CycleModel::StepVxm(bool flush, CycleTrace* trace) {
  const int pos = config_.VxmPosition();
  const int n = config_.vxm_alus;
  // Sources are sampled before this position drives anything (see Drive).
  std::vector<bool> writes(n, false);
  for (int k = 0; k < n; ++k) {
    const Queue& q = queues_[config_.VxmQueue(k)];
    if (!q.dispatch_valid || OpcodeOf(q.dispatch) == kConfig) continue;
    const uint32_t word = q.dispatch;
    const auto op = static_cast<isa::Op>(OpcodeOf(word));
    const isa::VxmOpInfo* info = vxm::FindVxmOp(op);
    const auto type = static_cast<isa::VxmType>(kVxmType.Get(word));
    const auto stype = static_cast<isa::VxmType>(kVxmStype.Get(word));
    VxmAlu& alu = vxm_[k];
    // Each source as a pointer per byte plane (streams) or a register (R[k-1], R[k], IMM).
    struct Source {
      const uint8_t* plane[4] = {};
      const uint32_t* reg = nullptr;
      uint32_t imm = 0;
    };
    auto source = [&](isa::VxmKind kind, uint32_t v) {
      Source src;
      if (kind == isa::VxmKind::kNone) {
        src.reg = nullptr;
      } else if (VxmIsStream(v)) {
        const int group = vxm::KindGroup(kind, type, stype);
        for (int b = 0; b < group; ++b) {
          src.plane[b] = Present(pos, VxmStreamDir(v), static_cast<int>(VxmStreamIndex(v)) + b);
        }
      } else if (v == kVxmPrev) {
        src.reg = vxm_[k - 1].r.data();
      } else if (v == kVxmSelf) {
        src.reg = alu.r.data();
      } else {
        src.imm = alu.imm;
      }
      return src;
    };
    const Source a = source(info->a, kVxmA.Get(word));
    const Source b = source(info->b, kVxmB.Get(word));
    auto value = [](const Source& src, int lane) {
      if (src.reg != nullptr) return src.reg[lane];
      uint32_t v = src.imm;
      if (src.plane[0] != nullptr) {
        v = 0;
        for (int p = 0; p < 4 && src.plane[p] != nullptr; ++p) {
          v |= uint32_t{src.plane[p][lane]} << (8 * p);
        }
      }
      return v;
    };
    for (int l = 0; l < lanes_; ++l) {
      alu.next[l] = vxm::Apply(op, type, stype, value(a, l), value(b, l), alu.r[l],
                               static_cast<int>(alu.qshift));
    }
    writes[k] = true;
  }

  // Drives of the ops dispatched last cycle; the lower ALU wins a stream.
  std::fill(vxm_driver_.begin(), vxm_driver_.end(), -1);
  const size_t first_drive = trace != nullptr ? trace->drives.size() : 0;
  for (int k = 0; k < n; ++k) {
    VxmAlu& alu = vxm_[k];
    if (!alu.drv_valid) continue;
    for (int b = 0; b < alu.drv_group; ++b) {
      const int stream = alu.drv_base + b;
      int& driver = vxm_driver_[static_cast<size_t>(alu.drv_dir) * config_.streams + stream];
      if (driver >= 0) {
        vxm_conflict_[driver] = true;
        vxm_conflict_[k] = true;
        continue;
      }
      driver = k;
      uint8_t* out = Drive(pos, alu.drv_dir, stream, trace);
      for (int l = 0; l < lanes_; ++l) out[l] = static_cast<uint8_t>(alu.r[l] >> (8 * b));
      if (trace != nullptr) std::memcpy(trace->drives.back().lanes.data(), out, lanes_);
    }
  }

  if (trace != nullptr) {
    std::sort(trace->drives.begin() + static_cast<ptrdiff_t>(first_drive), trace->drives.end(),
              [](const DriveEvent& x, const DriveEvent& y) {
                return std::tie(x.dir, x.stream) < std::tie(y.dir, y.stream);
              });
  }

  // End of the cycle: R[k], CONFIG registers and the next cycle's drives.
  for (int k = 0; k < n; ++k) {
    VxmAlu& alu = vxm_[k];
    const Queue& q = queues_[config_.VxmQueue(k)];
    alu.drv_valid = false;
    if (flush) {
      std::fill(alu.r.begin(), alu.r.end(), 0);
      alu.imm = 0;
      alu.qshift = 0;
      continue;
    }
    if (!q.dispatch_valid) continue;
    const uint32_t word = q.dispatch;
    if (OpcodeOf(word) == kConfig) {
      const uint32_t value = kCfgValue.Get(word);
      switch (kCfgIndex.Get(word)) {
        case isa::kVxmCfgImmlo:
          alu.imm = (alu.imm & 0xffff0000u) | value;
          break;
        case isa::kVxmCfgImmhi:
          alu.imm = (alu.imm & 0xffffu) | value << 16;
          break;
        default:
          alu.qshift = value;
          break;
      }
      continue;
    }
    if (!writes[k]) continue;
    alu.r.swap(alu.next);
    if (trace != nullptr) trace->vxm_writes.push_back(VxmWriteEvent{.alu = k, .values = alu.r});
    const uint32_t dst = kVxmDst.Get(word);
    if (VxmIsStream(dst)) {
      const isa::VxmOpInfo* info = vxm::FindVxmOp(static_cast<isa::Op>(OpcodeOf(word)));
      alu.drv_valid = true;
      alu.drv_dir = static_cast<uint8_t>(VxmStreamDir(dst));
      alu.drv_base = static_cast<uint8_t>(VxmStreamIndex(dst));
      alu.drv_group = static_cast<uint8_t>(
          vxm::KindGroup(info->dst, static_cast<isa::VxmType>(kVxmType.Get(word)),
                         static_cast<isa::VxmType>(kVxmStype.Get(word))));
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

std::optional<uint32_t> CycleModel::LastFetched(int queue) const {
  if (queue < 0 || queue >= num_queues_) return std::nullopt;
  const Queue& q = queues_[queue];
  if (q.pc == 0) return std::nullopt;
  return q.imem[(q.pc - 1) & (static_cast<uint64_t>(config_.queue_depth) - 1)];
}

std::unique_ptr<HostBus> MakeCycleModel(const CoreConfig& config) {
  config.Validate();
  auto bus = std::make_unique<CycleModel>(config);
  CheckCoreConfig(*bus);
  return bus;
}

}  // namespace tinylpu
