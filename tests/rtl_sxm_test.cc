// Directed SXM tests on every engine (RTL and C++ model in lockstep, the model alone): every op
// with every group size and both directions in and out, shift and rotate amounts, transposes single
// and back to back, and the errors the sxm queue and the SXM raise.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <tuple>

#include "sw/compiler/schedule.h"
#include "sw/core/driver.h"
#include "sw/core/error.h"
#include "sw/model/cycle_model.h"
#include "tb/rtl_sim.h"
#include "tests/engines.h"

namespace tinylpu {
namespace {

using Vec = std::vector<uint8_t>;
// A drive at the SXM position: (cycle, direction, stream).
using DriveKey = std::tuple<int64_t, Dir, int>;

class Recorder final : public TraceSink {
 public:
  void OnCycle(const CycleTrace& trace) override { traces.push_back(trace); }
  std::vector<CycleTrace> traces;
};

std::string DirName(Dir d) { return d == Dir::kWest ? "W" : "E"; }

// Compares the SXM drives of a run with the expected ones and names the first differences.
void ExpectDrives(const std::map<DriveKey, Vec>& got, const std::map<DriveKey, Vec>& want) {
  std::map<DriveKey, int> keys;
  for (const auto& [k, v] : got) keys[k] = 1;
  for (const auto& [k, v] : want) keys[k] = 1;
  int reported = 0;
  for (const auto& [key, unused] : keys) {
    const auto& [cycle, dir, stream] = key;
    auto g = got.find(key);
    auto w = want.find(key);
    std::string what;
    if (g == got.end()) {
      what = "expected but not driven";
    } else if (w == want.end()) {
      what = fmt::format("driven unexpectedly: {:02x}", fmt::join(g->second, " "));
    } else if (g->second != w->second) {
      what = fmt::format("got {:02x}, want {:02x}", fmt::join(g->second, " "),
                         fmt::join(w->second, " "));
    }
    if (!what.empty() && reported++ < 4) {
      ADD_FAILURE() << fmt::format("cycle {} stream {}{}: {}", cycle, DirName(dir), stream, what);
    }
  }
}

// Instructions at absolute issue cycles; the scheduler turns them into a program (NOPs in the
// gaps, REPEATs for runs).
class Timed {
 public:
  void At(int q, int64_t t, const Instr& instr) { events_.push_back({t, q, instr}); }
  Program Build(const CoreConfig& config) const {
    std::vector<Event> events = events_;
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.t < b.t; });
    Schedule schedule(config);
    for (const Event& e : events) schedule.Place(e.q, e.t, e.instr);
    return schedule.Finish();
  }

 private:
  struct Event {
    int64_t t;
    int q;
    Instr instr;
  };
  std::vector<Event> events_;
};

// The reference SXM lane maps: src[l] is the source lane of output lane l, -1 for zero.
std::vector<int> ShiftMap(int lanes, int n, bool down, bool rotate) {
  std::vector<int> src(lanes);
  for (int l = 0; l < lanes; ++l) {
    int j = down ? l + n : l - n;
    if (rotate) {
      j = ((j % lanes) + lanes) % lanes;
    } else if (j < 0 || j >= lanes) {
      j = -1;
    }
    src[l] = j;
  }
  return src;
}

std::vector<int> MapOf(const Vec& map) {
  std::vector<int> src(map.size());
  for (size_t l = 0; l < map.size(); ++l) {
    src[l] = map[l] < map.size() ? map[l] : -1;
  }
  return src;
}

Vec Apply(const Vec& a, const std::vector<int>& src) {
  Vec out(a.size(), 0);
  for (size_t l = 0; l < a.size(); ++l) out[l] = src[l] < 0 ? 0 : a[src[l]];
  return out;
}

class SxmTest : public testing::TestWithParam<EngineConfig> {
 protected:
  void SetUp() override {
    config_ = NamedConfig(std::get<1>(GetParam()));
    bus_ = MakeEngine(std::get<0>(GetParam()), config_);
    lanes_ = config_.lanes;
    dim_ = config_.mxm_dim;
    sxm_ = config_.SxmQueue();
    rng_.seed(17);
  }

  Vec Random() {
    Vec v(lanes_);
    for (auto& b : v) b = static_cast<uint8_t>(rng_());
    return v;
  }

  // The issue cycle of the SXM op under test when `count` vectors arrive per source stream:
  // late enough for the MXM to have produced `count` accumulators to drain eastward.
  int64_t IssueCycle(int count) const { return dim_ + 5 + std::max(count, 3); }

  // Sources present at the SXM in cycles T+1 .. T+count:
  //  - west[i][j] on stream W(i), read by MEM slice i from its word j;
  //  - the int32 sign extension of east_x[j] on streams E0..E3 (byte b on E(b)), drained by
  //    ACC from an accumulator that ABC filled through identity weights (lanes >= MxmDim 0).
  void Sources(Timed& timed, int64_t t, const std::vector<std::vector<Vec>>& west,
               const std::vector<Vec>& east_x) {
    const int mem0 = CoreConfig::MemQueue(0);
    const int h = CoreConfig::SxmPosition() - CoreConfig::MxmPosition();
    for (size_t i = 0; i < west.size(); ++i) {
      const int hops = CoreConfig::MemPosition(static_cast<int>(i)) - CoreConfig::SxmPosition();
      for (size_t j = 0; j < west[i].size(); ++j) {
        WriteMemWord(*bus_, static_cast<int>(i), static_cast<int>(j), west[i][j]);
        // Present at the SXM in t+1+j: READ at t+1+j - 2 - hops.
        timed.At(CoreConfig::MemQueue(static_cast<int>(i)),
                 t + 1 + static_cast<int64_t>(j) - isa::kLatReadStreamOut - hops,
                 Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(j), static_cast<uint32_t>(i),
                             Dir::kWest));
      }
    }
    if (east_x.empty()) return;
    // Identity weights from mem0 words 100.., x_j from words 200+j; rows on the top stream and
    // activations on the one below (westward, long before t).
    const uint32_t rs = static_cast<uint32_t>(config_.streams - 1);
    const uint32_t xs = static_cast<uint32_t>(config_.streams - 2);
    const int h0 = CoreConfig::MemPosition(0) - CoreConfig::MxmPosition();
    for (int r = 0; r < dim_; ++r) {
      Vec row(lanes_, 0);
      row[r] = 1;
      WriteMemWord(*bus_, 0, 100 + r, row);
      timed.At(mem0, r,
               Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(100 + r), rs, Dir::kWest));
      timed.At(CoreConfig::kQueueMxmw, r + 1 + h0, Instr::Stream(isa::Op::kLw, rs, Dir::kWest));
    }
    const int64_t iw = dim_ + 1 + h0;
    timed.At(CoreConfig::kQueueMxmw, iw, Instr{.op = isa::Op::kIw});
    for (size_t j = 0; j < east_x.size(); ++j) {
      const int64_t abc = iw + static_cast<int64_t>(j);
      WriteMemWord(*bus_, 0, 200 + static_cast<int>(j), east_x[j]);
      timed.At(mem0, abc - 1 - h0,
               Instr::Addr(isa::Op::kRead, static_cast<uint32_t>(200 + j), xs, Dir::kWest));
      timed.At(CoreConfig::kQueueMxma, abc,
               Instr::Addr(isa::Op::kAbc, static_cast<uint32_t>(j), xs, Dir::kWest));
      // ACC drives at the MXM in its t+2, present at the SXM h cycles later.
      const int64_t acc = t + 1 + static_cast<int64_t>(j) - h - isa::kLatAccStreamOut;
      ASSERT_GE(acc, abc + isa::kLatAbcAccWrite);
      timed.At(CoreConfig::kQueueMxma, acc,
               Instr::Addr(isa::Op::kAcc, static_cast<uint32_t>(j), 0, Dir::kEast));
    }
  }

  // Byte plane b of the accumulator that holds x (identity weights): the int32 of each int8.
  Vec EastPlane(const Vec& x, int b) const {
    Vec plane(lanes_, 0);
    for (int n = 0; n < dim_; ++n) {
      const int32_t v = static_cast<int8_t>(x[n]);
      plane[n] = static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * b));
    }
    return plane;
  }

  // Runs `p` with a trace and returns the drives at the SXM position.
  std::map<DriveKey, Vec> RunSxm(const Program& p, RunResult* result) {
    LoadProgram(*bus_, p);
    Recorder rec;
    bus_->SetTraceSink(&rec);
    *result = RunCore(*bus_, 100'000);
    bus_->SetTraceSink(nullptr);
    std::map<DriveKey, Vec> drives;
    for (const CycleTrace& t : rec.traces) {
      for (const DriveEvent& d : t.drives) {
        if (d.pos == CoreConfig::SxmPosition()) drives[{t.cycle, d.dir, d.stream}] = d.lanes;
      }
    }
    last_traces_ = std::move(rec.traces);
    return drives;
  }

  CoreConfig config_;
  std::unique_ptr<HostBus> bus_;
  int lanes_ = 0;
  int dim_ = 0;
  int sxm_ = 0;
  std::mt19937_64 rng_;
  std::vector<CycleTrace> last_traces_;
};

// SHIFT, ROTATE (amounts 0, 1 and lanes-1, up and down), PERMUTE, DISTRIBUTE (replicated lanes
// and zero fill) and SELECT, with groups of 1, 2 and 4 streams, sources travelling west (from
// MEM) or east (from the MXM), results driven east or west: each drives exactly its group in
// t+2, lane-mapped alike on every stream.
TEST_P(SxmTest, LaneOpsEveryGroupAndDirection) {
  ASSERT_GE(config_.mem_slices, 4);
  const int64_t t = IssueCycle(1);
  const std::vector<isa::Op> ops = {isa::Op::kShift, isa::Op::kRotate, isa::Op::kPermute,
                                    isa::Op::kDistribute, isa::Op::kSelect};
  int runs = 0;
  for (isa::Op op : ops) {
    const bool shift = op == isa::Op::kShift || op == isa::Op::kRotate;
    const bool map_op = op == isa::Op::kPermute || op == isa::Op::kDistribute;
    std::vector<std::pair<int, bool>> amounts = {{0, false}};
    if (shift)
      amounts = {{0, false}, {1, false}, {lanes_ - 1, false},
                 {0, true},  {1, true},  {lanes_ - 1, true}};
    for (int g : {1, 2, 4}) {
      for (Dir in : {Dir::kWest, Dir::kEast}) {
        for (Dir out : {Dir::kEast, Dir::kWest}) {
          for (const auto& [n, down] : amounts) {
            SCOPED_TRACE(fmt::format("{} group {} in {} out {} n {}{}", FindOp(op)->name, g,
                                     DirName(in), DirName(out), n, down ? " down" : ""));
            // The map: a permutation, or for DISTRIBUTE replicated lanes and zero fill.
            std::vector<int> perm(lanes_);
            std::iota(perm.begin(), perm.end(), 0);
            std::shuffle(perm.begin(), perm.end(), rng_);
            Vec map(lanes_);
            for (int l = 0; l < lanes_; ++l) map[l] = static_cast<uint8_t>(perm[l]);
            if (op == isa::Op::kDistribute) {
              map[0] = map[1] = 2;
              map[2] = 0x80;
              map[3] = 0xff;
              map[lanes_ - 1] = static_cast<uint8_t>(lanes_);  // also beyond the lanes: zero
            }
            // West: four MEM streams; east: x with zero lanes (the mask) and negative values,
            // or the map itself when the map must come from the east.
            std::vector<std::vector<Vec>> west(4);
            for (auto& w : west) w = {Random()};
            Vec x = Random();
            for (int l = 0; l < lanes_; l += 3) x[l] = 0;
            if (map_op && in == Dir::kWest) x = map;
            if (map_op && in == Dir::kEast) west[0][0] = map;

            Timed timed;
            Sources(timed, t, west, {x});
            std::vector<Vec> east(4);
            for (int b = 0; b < 4; ++b) east[b] = EastPlane(x, b);
            const std::vector<Vec> west_planes = {west[0][0], west[1][0], west[2][0], west[3][0]};
            const std::vector<Vec>& a = in == Dir::kWest ? west_planes : east;
            const uint32_t dst = static_cast<uint32_t>(config_.streams - g);
            const uint32_t code = static_cast<uint32_t>(SxmGroupCode(g));
            Instr instr;
            std::vector<Vec> want(g);
            if (shift) {
              instr = Instr::SxmShift(op, 0, in, static_cast<uint32_t>(n), down, dst, out, code);
              const auto src = ShiftMap(lanes_, n, down, op == isa::Op::kRotate);
              for (int k = 0; k < g; ++k) want[k] = Apply(a[k], src);
            } else if (map_op) {
              // The map comes on plane 0 of the other direction.
              const Dir map_dir = in == Dir::kWest ? Dir::kEast : Dir::kWest;
              instr = Instr::SxmMap(op, 0, in, 0, map_dir, dst, out, code);
              const auto src = MapOf(map);
              for (int k = 0; k < g; ++k) want[k] = Apply(a[k], src);
            } else {
              // SELECT a (direction `in`) or b (the other direction) by the mask E0 (x).
              const Dir b_dir = in == Dir::kWest ? Dir::kEast : Dir::kWest;
              const std::vector<Vec>& b = in == Dir::kWest ? east : west_planes;
              instr = Instr::Select(0, in, 0, b_dir, 0, Dir::kEast, dst, out, code);
              for (int k = 0; k < g; ++k) {
                want[k].resize(lanes_);
                for (int l = 0; l < lanes_; ++l) want[k][l] = east[0][l] != 0 ? a[k][l] : b[k][l];
              }
            }
            timed.At(sxm_, t, instr);
            const Program p = timed.Build(config_);
            RunResult r;
            const auto drives = RunSxm(p, &r);
            ASSERT_TRUE(r.ok()) << r.Describe(config_);
            EXPECT_EQ(r.cycles, p.PredictedCycles());
            std::map<DriveKey, Vec> expected;
            for (int k = 0; k < g; ++k) {
              expected[{t + isa::kLatShiftStreamOut, out, static_cast<int>(dst) + k}] = want[k];
            }
            ExpectDrives(drives, expected);
            ++runs;
          }
        }
      }
    }
  }
  EXPECT_EQ(runs, 2 * 3 * 2 * 2 * 6 + 3 * 3 * 2 * 2);
}

// TRANSPOSE of every group size from the west, driven east and west: two issued L cycles
// apart stream their 2L columns in t+L+1 .. t+3L without a gap, column i of a block holding
// lane i of the L captured vectors. Eastward, the first column also lands in MEM.
TEST_P(SxmTest, TransposeSingleAndBackToBack) {
  ASSERT_GE(config_.mem_slices, 4);
  const int lanes = lanes_;
  const int64_t t = IssueCycle(2 * lanes);
  for (int g : {1, 2, 4}) {
    for (Dir out : {Dir::kEast, Dir::kWest}) {
      SCOPED_TRACE(fmt::format("group {} out {}", g, DirName(out)));
      std::vector<std::vector<Vec>> west(g);
      for (auto& w : west) {
        for (int j = 0; j < 2 * lanes; ++j) w.push_back(Random());
      }
      Timed timed;
      Sources(timed, t, west, {});
      const uint32_t dst = static_cast<uint32_t>(config_.streams - g);
      const uint32_t code = static_cast<uint32_t>(SxmGroupCode(g));
      const Instr transpose = Instr::Transpose(0, Dir::kWest, dst, out, code);
      timed.At(sxm_, t, transpose);
      timed.At(sxm_, t + lanes, transpose);
      // Eastward, mem3 (not a source) stores column 0 of the first block (stream dst).
      const int hops = CoreConfig::MemPosition(3) - CoreConfig::SxmPosition();
      const bool store = out == Dir::kEast && g < 4;
      if (store) {
        WriteMemWord(*bus_, 3, 300, Vec(lanes, 0xaa));
        timed.At(CoreConfig::MemQueue(3),
                 t + config_.TransposeLatency() + hops - isa::kLatWriteStreamIn,
                 Instr::Addr(isa::Op::kWrite, 300, dst, Dir::kEast));
      }
      // The run lasts until the last column is driven (a scratch WRITE keeps mem3 busy).
      timed.At(CoreConfig::MemQueue(3), t + config_.TransposeLatency() + 2 * lanes - 1,
               Instr::Addr(isa::Op::kWrite, 301, 0, Dir::kEast));
      const Program p = timed.Build(config_);
      RunResult r;
      const auto drives = RunSxm(p, &r);
      ASSERT_TRUE(r.ok()) << r.Describe(config_);
      std::map<DriveKey, Vec> expected;
      for (int c = 0; c < 2 * lanes; ++c) {
        const int block = c / lanes;
        const int col = c % lanes;
        for (int k = 0; k < g; ++k) {
          Vec v(lanes);
          for (int l = 0; l < lanes; ++l) v[l] = west[k][block * lanes + l][col];
          expected[{t + config_.TransposeLatency() + c, out, static_cast<int>(dst) + k}] = v;
        }
      }
      ExpectDrives(drives, expected);
      if (store) {
        Vec col0(lanes);
        for (int l = 0; l < lanes; ++l) col0[l] = west[0][l][0];
        EXPECT_EQ(ReadMemWord(*bus_, 3, 300), col0);
      }
    }
  }
}

// TRANSPOSE of a group of four from the east (the MXM's accumulator planes, one per cycle).
TEST_P(SxmTest, TransposeFromTheEast) {
  const int lanes = lanes_;
  const int64_t t = IssueCycle(lanes);
  std::vector<Vec> xs;
  for (int j = 0; j < lanes; ++j) xs.push_back(Random());
  Timed timed;
  Sources(timed, t, {}, xs);
  const uint32_t dst = static_cast<uint32_t>(config_.streams - 4);
  timed.At(sxm_, t, Instr::Transpose(0, Dir::kEast, dst, Dir::kWest, 2));
  // The run lasts until the last column is driven (a scratch WRITE keeps mem3 busy).
  timed.At(CoreConfig::MemQueue(3), t + config_.TransposeLatency() + lanes - 1,
           Instr::Addr(isa::Op::kWrite, 301, 0, Dir::kEast));
  const Program p = timed.Build(config_);
  RunResult r;
  const auto drives = RunSxm(p, &r);
  ASSERT_TRUE(r.ok()) << r.Describe(config_);
  std::map<DriveKey, Vec> expected;
  for (int c = 0; c < lanes; ++c) {
    for (int b = 0; b < 4; ++b) {
      Vec v(lanes);
      for (int l = 0; l < lanes; ++l) v[l] = EastPlane(xs[l], b)[c];
      expected[{t + config_.TransposeLatency() + c, Dir::kWest, static_cast<int>(dst) + b}] = v;
    }
  }
  ExpectDrives(drives, expected);
}

// The SXM's own errors, in the cycle they arise, naming the sxm queue; the core stops there.
TEST_P(SxmTest, UnitErrorsNameCycleAndQueue) {
  const int lanes = lanes_;
  auto expect_error = [&](const Program& p, isa::Err err, int64_t cycle) {
    RunResult r;
    RunSxm(p, &r);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(ErrName(r.err), ErrName(err));
    EXPECT_EQ(r.err_queue, sxm_);
    EXPECT_EQ(r.err_cycle, cycle);
    EXPECT_EQ(r.cycles, cycle + 1);
    ASSERT_EQ(static_cast<int64_t>(last_traces_.size()), cycle + 1);
    EXPECT_EQ(last_traces_.back().err, err);
    EXPECT_EQ(last_traces_.back().err_queue, sxm_);
  };
  {
    SCOPED_TRACE("PERMUTE with a map that is not a bijection");
    const int64_t t = IssueCycle(1);
    Vec map(lanes);
    for (int l = 0; l < lanes; ++l) map[l] = static_cast<uint8_t>(lanes - 1 - l);
    map[3] = map[4];  // lane map[4] twice, lane map[3] never
    Timed timed;
    Sources(timed, t, {{Random()}, {map}}, {});
    timed.At(sxm_, t,
             Instr::SxmMap(isa::Op::kPermute, 0, Dir::kWest, 1, Dir::kWest, 0, Dir::kEast));
    expect_error(timed.Build(config_), isa::Err::kBadOperand, t + 1);
  }
  {
    SCOPED_TRACE("PERMUTE with a map byte beyond the lanes");
    const int64_t t = IssueCycle(1);
    Vec map(lanes);
    for (int l = 0; l < lanes; ++l) map[l] = static_cast<uint8_t>(l);
    map[0] = static_cast<uint8_t>(lanes);
    Timed timed;
    Sources(timed, t, {{Random()}, {map}}, {});
    timed.At(sxm_, t,
             Instr::SxmMap(isa::Op::kPermute, 0, Dir::kWest, 1, Dir::kWest, 0, Dir::kEast));
    expect_error(timed.Build(config_), isa::Err::kBadOperand, t + 1);
  }
  const Instr transpose = Instr::Transpose(0, Dir::kWest, 2, Dir::kWest, 1);
  {
    SCOPED_TRACE("TRANSPOSE while the previous one still captures");
    Timed timed;
    timed.At(sxm_, 3, transpose);
    timed.At(sxm_, 3 + lanes - 1, transpose);
    expect_error(timed.Build(config_), isa::Err::kUnitBusy, 3 + lanes);
  }
  {
    SCOPED_TRACE("a result and a transposed column on one stream register");
    // The SHIFT issued at 3+L-1 drives W3 in 3+L+1, when the transpose drives W2..W3.
    Timed timed;
    timed.At(sxm_, 3, transpose);
    timed.At(sxm_, 3 + lanes - 1,
             Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 1, false, 3, Dir::kWest));
    expect_error(timed.Build(config_), isa::Err::kStreamConflict, 3 + config_.TransposeLatency());
  }
  {
    SCOPED_TRACE("the same stream number eastward is another register");
    Timed timed;
    timed.At(sxm_, 3, transpose);
    timed.At(sxm_, 3 + lanes - 1,
             Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 1, false, 3, Dir::kEast));
    timed.At(sxm_, 3 + lanes, transpose);  // back to back: no UNIT_BUSY
    const Program p = timed.Build(config_);
    RunResult r;
    RunSxm(p, &r);
    EXPECT_TRUE(r.ok()) << r.Describe(config_);
    EXPECT_EQ(r.cycles, p.PredictedCycles());
  }
  // A clean run afterwards.
  RunResult r;
  Program empty;
  empty.queues.resize(config_.num_queues());
  RunSxm(empty, &r);
  EXPECT_TRUE(r.ok()) << r.Describe(config_);
}

// The sxm queue's issue checks: every stream operand with its group inside the streams
// (STREAM_RANGE), the group code and the shift amount (BAD_OPERAND); ops of other units are
// illegal on it, and SXM ops illegal elsewhere.
TEST_P(SxmTest, QueueChecksCoverTheWholeGroup) {
  const uint32_t s = static_cast<uint32_t>(config_.streams);
  const uint32_t lanes = static_cast<uint32_t>(lanes_);
  auto raw = [](Instr instr) {
    // Encode() refuses group code 3; put it in by hand.
    const uint32_t code = instr.group;
    instr.group = 0;
    uint32_t word = Encode(instr);
    const isa::FieldInfo* f = FindField(FormatOf(*FindOp(instr.op)), "group");
    return word | code << f->lsb;
  };
  struct Case {
    std::string name;
    isa::Err err;
    int queue;
    uint32_t word;
  };
  const int mem0 = CoreConfig::MemQueue(0);
  const std::vector<Case> cases = {
      {"destination group past the last stream", isa::Err::kStreamRange, sxm_,
       raw(Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 1, false, s - 2, Dir::kEast, 2))},
      {"source group past the last stream", isa::Err::kStreamRange, sxm_,
       raw(Instr::Transpose(s - 1, Dir::kWest, 0, Dir::kEast, 1))},
      {"SELECT b group past the last stream", isa::Err::kStreamRange, sxm_,
       raw(Instr::Select(0, Dir::kWest, s - 1, Dir::kEast, 0, Dir::kEast, 0, Dir::kEast, 1))},
      {"SELECT mask past the last stream", isa::Err::kStreamRange, sxm_,
       raw(Instr::Select(0, Dir::kWest, 0, Dir::kEast, s, Dir::kEast, 0, Dir::kEast, 0))},
      {"PERMUTE map past the last stream", isa::Err::kStreamRange, sxm_,
       raw(Instr::SxmMap(isa::Op::kPermute, 0, Dir::kWest, s, Dir::kWest, 0, Dir::kEast, 0))},
      {"group code 3", isa::Err::kBadOperand, sxm_,
       raw(Instr::Transpose(0, Dir::kWest, 0, Dir::kEast, 3))},
      {"group code 3 counts 8 streams", isa::Err::kStreamRange, sxm_,
       raw(Instr::Transpose(0, Dir::kWest, s - 4, Dir::kEast, 3))},
      {"SHIFT by the lane count", isa::Err::kBadOperand, sxm_,
       raw(Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, lanes, false, 0, Dir::kEast))},
      {"ROTATE by 127", isa::Err::kBadOperand, sxm_,
       raw(Instr::SxmShift(isa::Op::kRotate, 0, Dir::kWest, 127, true, 0, Dir::kEast))},
      {"range before operand", isa::Err::kStreamRange, sxm_,
       raw(Instr::SxmShift(isa::Op::kShift, s - 1, Dir::kWest, lanes, false, 0, Dir::kEast, 1))},
      {"READ on the sxm queue", isa::Err::kIllegalOpcode, sxm_,
       Encode(Instr::Addr(isa::Op::kRead, 0, 0, Dir::kEast))},
      {"SHIFT on a MEM queue", isa::Err::kIllegalOpcode, mem0,
       raw(Instr::SxmShift(isa::Op::kShift, 0, Dir::kWest, 1, false, 0, Dir::kEast))},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LoadProgram(*bus_, Program{});
    bus_->Write(QueueAddr(c.queue, 0), Encode(Instr::Nop(2)));
    bus_->Write(QueueAddr(c.queue, 1), c.word);
    bus_->Write(RegAddr(isa::kHostRegQlen + c.queue), 2);
    RunResult r = RunCore(*bus_, 1000);
    EXPECT_EQ(ErrName(r.err), ErrName(c.err));
    EXPECT_EQ(r.err_queue, c.queue);
    EXPECT_EQ(r.err_cycle, 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, SxmTest, testing::ValuesIn(EngineConfigs()), EngineConfigName);

}  // namespace
}  // namespace tinylpu
