// Directed tests of what the unit suites leave out: reserved instruction bits, every queue check
// with its error code, cycle and queue, negative strides and the MXM's operand directions.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <bit>
#include <optional>

#include "sw/compiler/schedule.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/isa/instr.h"
#include "tests/engines.h"

namespace tinylpu {
namespace {

// Keeps every CycleTrace it receives.
class Recorder final : public TraceSink {
 public:
  void OnCycle(const CycleTrace& trace) override { traces.push_back(trace); }
  std::vector<CycleTrace> traces;
};

class DirectedTest : public testing::TestWithParam<EngineConfig> {
 protected:
  void SetUp() override {
    config_ = NamedConfig(std::get<1>(GetParam()));
    bus_ = MakeEngine(std::get<0>(GetParam()), config_);
  }
  // Loads raw words into queues (everything else empty) and runs them.
  RunResult RunRaw(const std::vector<std::pair<int, std::vector<uint32_t>>>& queues) {
    Program empty;
    empty.queues.resize(config_.num_queues());
    LoadProgram(*bus_, empty);
    for (const auto& [q, words] : queues) {
      for (size_t i = 0; i < words.size(); ++i) {
        bus_->Write(QueueAddr(q, static_cast<int>(i)), words[i]);
      }
      bus_->Write(RegAddr(isa::kHostRegQlen + q), static_cast<uint32_t>(words.size()));
    }
    RunResult r = RunCore(*bus_, 10'000);
    EXPECT_FALSE(r.timed_out);
    return r;
  }
  // A queue that may issue `op`.
  int QueueFor(const isa::OpInfo& info) const {
    switch (info.unit) {
      case isa::Unit::kMxmw:
        return CoreConfig::kQueueMxmw;
      case isa::Unit::kMxma:
        return CoreConfig::kQueueMxma;
      case isa::Unit::kSxm:
        return config_.SxmQueue();
      case isa::Unit::kVxm:
        return config_.VxmQueue(1);  // PREV is legal from ALU 1 on
      default:
        return info.op == isa::Op::kConfig ? config_.VxmQueue(0) : CoreConfig::MemQueue(0);
    }
  }

  CoreConfig config_;
  std::unique_ptr<HostBus> bus_;
};

uint32_t ReservedMask(const isa::OpInfo& info) {
  uint32_t covered = ~0u << isa::kOpcodeLsb;
  const isa::FormatInfo& format = FormatOf(info);
  for (int i = 0; i < format.num_fields; ++i) {
    const isa::FieldInfo& f = format.fields[i];
    covered |= ((f.msb - f.lsb + 1 >= 32) ? ~0u : ((1u << (f.msb - f.lsb + 1)) - 1)) << f.lsb;
  }
  return ~covered;
}

// A word with a reserved bit set (a bit its format gives no field) is BAD_OPERAND in the cycle
// the queue fetches it, for every op that has reserved bits, SYNC and NOTIFY included; the same
// word without the bit raises nothing in that cycle.
TEST_P(DirectedTest, ReservedBitsAreBadOperand) {
  int ops_checked = 0;
  for (const isa::OpInfo& info : isa::kOps) {
    const uint32_t rsvd = ReservedMask(info);
    if (rsvd == 0) continue;
    // Base words: all fields 0 (a legal operand everywhere) except VCVT's pair, i32 <- i8.
    uint32_t base = static_cast<uint32_t>(info.op) << isa::kOpcodeLsb;
    if (info.op == isa::Op::kVcvt) {
      base = Encode(
          Instr::Vxm(isa::Op::kVcvt, isa::VxmType::kI32, kVxmNone, kVxmPrev, 0, isa::VxmType::kI8));
    }
    const int q = QueueFor(info);
    // A NOTIFY elsewhere releases a SYNC fetched in cycle 2.
    const int other =
        q == CoreConfig::MemQueue(1) ? CoreConfig::MemQueue(2) : CoreConfig::MemQueue(1);
    const uint32_t nop2 = Encode(Instr::Nop(2));
    const uint32_t notify = Encode(Instr::Notify());
    for (const uint32_t bit : {rsvd & -rsvd, 1u << (31 - std::countl_zero(rsvd))}) {
      SCOPED_TRACE(fmt::format("{} with reserved bit {:#010x}", info.name, bit));
      const RunResult clean = RunRaw({{q, {nop2, base}}, {other, {nop2, notify}}});
      EXPECT_FALSE(!clean.ok() && clean.err_cycle == 2)
          << "without the reserved bit: " << clean.Describe(config_);
      const RunResult r = RunRaw({{q, {nop2, base | bit}}, {other, {nop2, notify}}});
      EXPECT_EQ(ErrName(r.err), "BAD_OPERAND");
      EXPECT_EQ(r.err_cycle, 2);
      EXPECT_EQ(r.err_queue, q);
      EXPECT_EQ(r.cycles, 3);
    }
    ++ops_checked;
  }
  EXPECT_GE(ops_checked, 20);
}

struct CheckCase {
  std::string name;
  isa::Err err;
  int queue;
  int64_t cycle;
  std::vector<uint32_t> words;
};

// Every issue check of the queues that the other suites do not trip, each naming its code,
// cycle and queue: REPEAT counts of 0, a negative stride running below word 0, MXM accumulator
// addresses, stream operands past the last stream, CONFIG registers.
TEST_P(DirectedTest, QueueChecksNameCodeCycleAndQueue) {
  const int mem0 = CoreConfig::MemQueue(0);
  const int mxma = CoreConfig::kQueueMxma;
  const uint32_t streams = static_cast<uint32_t>(config_.streams);
  const uint32_t acc_depth = static_cast<uint32_t>(config_.acc_depth);
  auto raw = [](isa::Op op, uint32_t fields) {
    return static_cast<uint32_t>(op) << isa::kOpcodeLsb | fields;
  };
  Instr down = Instr::Addr(isa::Op::kRead, 1, 0, Dir::kWest);
  down.stride = -1;
  Instr abc_up = Instr::Addr(isa::Op::kAbc, acc_depth - 1, 0, Dir::kWest);
  abc_up.stride = 1;
  const std::vector<CheckCase> cases = {
      {"REPEAT n = 0",
       isa::Err::kBadOperand,
       mem0,
       1,
       {Encode(Instr::Nop(1)), raw(isa::Op::kRepeat, 3)}},
      {"REPEAT d = 0", isa::Err::kBadOperand, mem0, 0, {raw(isa::Op::kRepeat, 2u << 13)}},
      {"negative stride below word 0",
       isa::Err::kAddrRange,
       mem0,
       2,
       {Encode(down), Encode(Instr::Repeat(2, 1))}},
      {"ABC accumulator beyond AccDepth",
       isa::Err::kAddrRange,
       mxma,
       0,
       {raw(isa::Op::kAbc, acc_depth << 13)}},
      {"ACC accumulator beyond AccDepth",
       isa::Err::kAddrRange,
       mxma,
       1,
       {Encode(Instr::Nop(1)), raw(isa::Op::kAcc, acc_depth << 13)}},
      {"ABC stride past AccDepth",
       isa::Err::kAddrRange,
       mxma,
       1,
       {Encode(abc_up), Encode(Instr::Repeat(1, 1))}},
      {"READ stream past the last",
       isa::Err::kStreamRange,
       mem0,
       0,
       {raw(isa::Op::kRead, streams << 1)}},
      {"GATHER index stream past the last",
       isa::Err::kStreamRange,
       CoreConfig::MemQueue(1),
       0,
       {raw(isa::Op::kGather, streams << 8)}},
      {"IFETCH stream past the last",
       isa::Err::kStreamRange,
       CoreConfig::MemQueue(2),
       0,
       {raw(isa::Op::kIfetch, streams << 1 | 1)}},
      {"LW stream past the last",
       isa::Err::kStreamRange,
       CoreConfig::kQueueMxmw,
       0,
       {raw(isa::Op::kLw, streams << 1)}},
      {"CONFIG register the VXM ALU lacks",
       isa::Err::kBadOperand,
       config_.VxmQueue(0),
       0,
       {Encode(Instr::Config(3, 0))}},
      {"QSHIFT above 63",
       isa::Err::kBadOperand,
       config_.VxmQueue(0),
       0,
       {Encode(Instr::Config(2, 64))}},
      {"undefined opcode on a VXM queue",
       isa::Err::kIllegalOpcode,
       config_.VxmQueue(0),
       0,
       {0x3fu << isa::kOpcodeLsb}},
      {"ADDR_RANGE wins over STREAM_RANGE",
       isa::Err::kAddrRange,
       mem0,
       0,
       {raw(isa::Op::kWrite, static_cast<uint32_t>(config_.mem_depth) << 13 | streams << 1)}},
  };
  for (const CheckCase& c : cases) {
    SCOPED_TRACE(c.name);
    const RunResult r = RunRaw({{c.queue, c.words}});
    EXPECT_EQ(ErrName(r.err), ErrName(c.err));
    EXPECT_EQ(r.err_queue, c.queue);
    EXPECT_EQ(r.err_cycle, c.cycle);
    EXPECT_EQ(r.cycles, c.cycle + 1);
  }
}

// REPEAT with a negative stride walks down through the words; a REPEAT fetched before anything
// was issued re-issues nothing but keeps its duration.
TEST_P(DirectedTest, NegativeStrideAndRepeatBeforeIssue) {
  std::vector<uint8_t> lanes(config_.lanes);
  for (int w = 0; w < 3; ++w) {
    for (int l = 0; l < config_.lanes; ++l) lanes[l] = static_cast<uint8_t>(16 * w + l + 1);
    WriteMemWord(*bus_, 0, 10 + w, lanes);
  }
  Instr read = Instr::Addr(isa::Op::kRead, 12, 2, Dir::kEast);
  read.stride = -1;
  Instr write = Instr::Addr(isa::Op::kWrite, 30, 2, Dir::kEast);
  write.stride = 1;
  Program p;
  p.queues.resize(config_.num_queues());
  // A REPEAT first (nothing to re-issue: 2 x 3 cycles), then READ 12, 11, 10 at 6, 7, 8; mem1
  // one hop east WRITEs them to 30, 31, 32 at 6 + 2.
  p.queues[CoreConfig::MemQueue(0)] = {Instr::Repeat(2, 3), read, Instr::Repeat(2, 1)};
  p.queues[CoreConfig::MemQueue(1)] = {Instr::Nop(8), write, Instr::Repeat(2, 1)};
  Recorder rec;
  bus_->SetTraceSink(&rec);
  LoadProgram(*bus_, p);
  const RunResult r = RunCore(*bus_, 1000);
  bus_->SetTraceSink(nullptr);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, p.PredictedCycles());
  ASSERT_GE(rec.traces.size(), 9u);
  for (int c = 0; c < 6; ++c) EXPECT_TRUE(rec.traces[c].issues.empty()) << "cycle " << c;
  for (int w = 0; w < 3; ++w) {
    for (int l = 0; l < config_.lanes; ++l) lanes[l] = static_cast<uint8_t>(16 * (2 - w) + l + 1);
    EXPECT_EQ(ReadMemWord(*bus_, 1, 30 + w), lanes) << "word " << 30 + w;
  }
}

// The MXM's stream operands in both directions: LW and ABC sample westward streams (from MEM)
// or eastward ones (at the west edge nothing arrives: zeros); ACC drives east or west. W = I
// loaded from the west and x from the west give y = x, x from the east y = 0; then W loaded
// with LW E while the identity rows pass on the westward stream gives zero weights: y = 0.
TEST_P(DirectedTest, MxmOperandsInBothDirections) {
  const int dim = config_.mxm_dim;
  const int hops = CoreConfig::MemPosition(0) - CoreConfig::MxmPosition();
  std::vector<uint8_t> row(config_.lanes, 0);
  for (int k = 0; k < dim; ++k) {
    std::fill(row.begin(), row.end(), 0);
    row[k] = 1;
    WriteMemWord(*bus_, 0, k, row);
  }
  std::vector<uint8_t> x(config_.lanes, 0);
  for (int k = 0; k < dim; ++k) x[k] = static_cast<uint8_t>(k + 3);
  WriteMemWord(*bus_, 0, dim, x);
  const int mem0 = CoreConfig::MemQueue(0);
  const int mxmw = CoreConfig::kQueueMxmw;
  const int mxma = CoreConfig::kQueueMxma;
  // A READ on mem0 at t is present at the MXM in t + 2 + hops: an LW or ABC samples it when
  // issued at t + 1 + hops.
  const int64_t lat = isa::kLatReadStreamOut + hops - isa::kLatLwStreamIn;
  Schedule s(config_);
  for (int k = 0; k < dim; ++k) {
    s.Place(mem0, k, Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(k), 1, Dir::kWest));
    s.Place(mxmw, k + lat, Instr::Stream(isa::Op::kLw, 1, Dir::kWest));
  }
  const int64_t iw1 = dim + lat;
  s.Place(mxmw, iw1, Instr{.op = isa::Op::kIw});
  s.Place(mem0, dim, Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(dim), 1, Dir::kWest));
  s.Place(mxma, dim + lat, Instr::Addr(isa::Op::kAbc, 0, 1, Dir::kWest));      // y = x
  s.Place(mxma, dim + lat + 1, Instr::Addr(isa::Op::kAbc, 1, 1, Dir::kEast));  // y = 0
  const int64_t acc0 = dim + lat + 4;
  s.Place(mxma, acc0, Instr::Addr(isa::Op::kAcc, 0, 0, Dir::kEast));
  s.Place(mxma, acc0 + 1, Instr::Addr(isa::Op::kAcc, 1, 4, Dir::kWest));
  // The identity rows again on W1, while LW E samples the (empty) eastward stream.
  for (int k = 0; k < dim; ++k) {
    s.Place(mem0, dim + 1 + k,
            Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(k), 1, Dir::kWest));
    s.Place(mxmw, iw1 + 1 + k, Instr::Stream(isa::Op::kLw, 1, Dir::kEast));
  }
  const int64_t iw2 = iw1 + 1 + dim;
  s.Place(mxmw, iw2, Instr{.op = isa::Op::kIw});
  s.Place(mem0, iw2 - lat, Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(dim), 1, Dir::kWest));
  s.Place(mxma, iw2, Instr::Addr(isa::Op::kAbc, 2, 1, Dir::kWest));
  const int64_t acc2 = iw2 + isa::kLatAbcAccWrite;
  s.Place(mxma, acc2, Instr::Addr(isa::Op::kAcc, 2, 0, Dir::kEast));
  const Program p = s.Finish();
  Recorder rec;
  bus_->SetTraceSink(&rec);
  LoadProgram(*bus_, p);
  const RunResult r = RunCore(*bus_, 1000);
  bus_->SetTraceSink(nullptr);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  EXPECT_EQ(r.cycles, p.PredictedCycles());
  // Byte plane 0 of the ACC drive of `cycle` on stream `stream` in `dir`, if any.
  auto plane0 = [&](int64_t cycle, Dir dir, int stream) -> std::optional<std::vector<uint8_t>> {
    for (const CycleTrace& t : rec.traces) {
      if (t.cycle != cycle) continue;
      for (const DriveEvent& d : t.drives) {
        if (d.pos == CoreConfig::MxmPosition() && d.dir == dir && d.stream == stream) {
          return d.lanes;
        }
      }
    }
    return std::nullopt;
  };
  std::vector<uint8_t> y(config_.lanes, 0);  // byte plane 0 of y = x
  for (int k = 0; k < dim; ++k) y[k] = x[k];
  const std::vector<uint8_t> zero(config_.lanes, 0);
  EXPECT_EQ(plane0(acc0 + isa::kLatAccStreamOut, Dir::kEast, 0), y) << "ABC W, ACC E";
  EXPECT_EQ(plane0(acc0 + 1 + isa::kLatAccStreamOut, Dir::kWest, 4), zero) << "ABC E, ACC W";
  EXPECT_EQ(plane0(acc2 + isa::kLatAccStreamOut, Dir::kEast, 0), zero) << "weights from LW E";
}

// The MEM slice's own errors that the MEM suite raises only for the other op of a pair: a
// GATHER lane beyond MemDepth (ADDR_RANGE in t+1), and a SCATTER at s with a WRITE at s+1 into
// the same bank (BANK_CONFLICT in s+2), each naming cycle and queue; and a SCATTER whose index
// and data streams travel west.
TEST_P(DirectedTest, GatherRangeAndScatterWriteBankConflict) {
  std::vector<uint8_t> idx(config_.lanes);
  for (int l = 0; l < config_.lanes; ++l) idx[l] = static_cast<uint8_t>(l);
  WriteMemWord(*bus_, 0, 0, idx);
  const int mem1 = CoreConfig::MemQueue(1);
  const uint32_t last = static_cast<uint32_t>(config_.mem_depth - 1);
  // mem0 READs idx east at 0: present at mem1 (one hop) in 3, sampled by an op issued at 2.
  const uint32_t read = Encode(Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast));
  const uint32_t nop2 = Encode(Instr::Nop(2));
  {
    SCOPED_TRACE("GATHER lane 1 at MemDepth");
    const RunResult r = RunRaw(
        {{CoreConfig::MemQueue(0), {read}},
         {mem1,
          {nop2, Encode(Instr::Gather(isa::Op::kGather, last, 0, Dir::kEast, 1, Dir::kEast))}}});
    EXPECT_EQ(ErrName(r.err), "ADDR_RANGE");
    EXPECT_EQ(r.err_queue, mem1);
    EXPECT_EQ(r.err_cycle, 3);
  }
  {
    SCOPED_TRACE("SCATTER with index and data travelling west");
    std::vector<uint8_t> data(config_.lanes);
    for (int l = 0; l < config_.lanes; ++l) data[l] = static_cast<uint8_t>(0xa0 + l);
    WriteMemWord(*bus_, 2, 0, idx);
    WriteMemWord(*bus_, 3, 0, data);
    // mem2 READs idx west at 1, mem3 the data at 0: both present at mem1 in 4.
    const RunResult r =
        RunRaw({{CoreConfig::MemQueue(2),
                 {Encode(Instr::Nop(1)), Encode(Instr::Addr(isa::Op::kRead, 0, 0, Dir::kWest))}},
                {CoreConfig::MemQueue(3), {Encode(Instr::Addr(isa::Op::kRead, 0, 1, Dir::kWest))}},
                {mem1,
                 {Encode(Instr::Nop(3)),
                  Encode(Instr::Gather(isa::Op::kScatter, 100, 0, Dir::kWest, 1, Dir::kWest))}}});
    ASSERT_TRUE(r.ok()) << r.Describe(config_);
    for (int l = 0; l < config_.lanes; ++l) {
      EXPECT_EQ(ReadMemWord(*bus_, 1, 100 + l)[l], data[l]) << "lane " << l;
    }
  }
  for (const bool same_bank : {false, true}) {
    SCOPED_TRACE(same_bank ? "SCATTER and WRITE in bank 0" : "WRITE in bank 1");
    const uint32_t waddr = same_bank ? 5u : static_cast<uint32_t>(config_.mem_depth / 2 + 5);
    const RunResult r =
        RunRaw({{CoreConfig::MemQueue(0), {read}},
                {mem1,
                 {nop2, Encode(Instr::Gather(isa::Op::kScatter, 0, 0, Dir::kEast, 1, Dir::kEast)),
                  Encode(Instr::Addr(isa::Op::kWrite, waddr, 2, Dir::kEast))}}});
    if (same_bank) {
      EXPECT_EQ(ErrName(r.err), "BANK_CONFLICT");
      EXPECT_EQ(r.err_queue, mem1);
      EXPECT_EQ(r.err_cycle, 4);
    } else {
      EXPECT_TRUE(r.ok()) << r.Describe(config_);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, DirectedTest, testing::ValuesIn(EngineConfigs()),
                         EngineConfigName);

}  // namespace
}  // namespace tinylpu
