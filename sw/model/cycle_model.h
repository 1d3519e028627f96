// CycleModel: a fast cycle-accurate C++ model of the tinylpu core (rtl/lpu_top.sv) as a HostBus.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sw/core/config.h"
#include "sw/core/host_bus.h"
#include "sw/core/trace.h"

namespace tinylpu {

// The core, modelled register for register where it is observable: every host transaction,
// register value, run cycle, error, SRAM and accumulator write and stream drive matches the
// Verilated RTL behind RtlSim (tb/rtl_sim.h) cycle for cycle. Where docs/architecture.md and
// the RTL disagree, this model follows the RTL, down to the corner cases: instructions issued
// in an error cycle act after the core stopped, a start drops only the work that would land in
// the new run, a host MEM access in the cycle a slice uses its SRAM is dropped.
//
// Speed comes from doing no work for things that do not change:
//  - the stream fabric is stored by *diagonal*: a value driven eastward at position p in cycle
//    c is present at p + k in cycle c + k, so it lives in one slot keyed by c - p (c + p
//    westward) and is never copied from hop to hop; a slot read finds the latest value driven
//    upstream of the reader on that diagonal, or zero;
//  - idle cycles with nothing in flight, and run cycles in which every queue only counts down
//    a wait (NOP, REPEAT spacing) or stays parked (SYNC), are skipped in one step when no
//    trace sink is set;
//  - the MXM multiplies two weight rows per SSE2 pmaddwd (weights kept packed in pairs);
//  - the SXM's corner turner writes captured rows in place and swaps its two blocks at the
//    hand-over instead of shifting them as the RTL does;
//  - all state lives in flat arrays sized at construction: nothing is allocated per cycle
//    unless a trace sink is set;
//  - SECDED codewords of lane bytes are encoded and decoded by table (sw/core/secded.h).
class CycleModel final : public HostBus {
 public:
  // `config` must be valid (CoreConfig::Validate); MakeCycleModel checks it.
  explicit CycleModel(const CoreConfig& config);

  const CoreConfig& config() const override { return config_; }
  void Write(uint32_t addr, uint32_t data) override;
  uint32_t Read(uint32_t addr) override;
  void Tick(int64_t cycles) override;
  bool Done() const override { return done_; }
  uint64_t Time() const override { return time_; }
  void SetTraceSink(TraceSink* sink) override { sink_ = sink; }
  // The word queue `queue` fetched last in this or the last run (nullopt before any fetch), for
  // reports: control ops and words failing the queue's checks never appear in a trace.
  std::optional<uint32_t> LastFetched(int queue) const;

 private:
  // One host request presented for one cycle.
  struct HostRequest {
    bool we = false;
    uint32_t addr = 0;
    uint32_t wdata = 0;
  };

  // Where the data of a read request comes from in the cycle after it (lpu_ctrl's rsel).
  enum class ReadSel : uint8_t { kZero, kReg, kQueue, kMem };

  // A host access that reached a MEM slice (idle core, inside the configuration).
  struct MemAccess {
    int slice = -1;
    bool we = false;
    int word = 0;
    int chunk = 0;
    uint32_t wdata = 0;
  };

  // One instruction queue (lpu_icu_queue): sequencer state and its dispatch register.
  struct Queue {
    isa::Unit kind = isa::Unit::kMem;
    int vxm_alu = -1;  // ALU index of a VXM queue
    uint32_t addr_limit = 0;
    int pos = 0;               // position of its slice (IFETCH samples the streams there)
    uint32_t* imem = nullptr;  // QueueDepth words inside imem_, a circular buffer
    uint32_t qlen = 0;         // the QLEN register
    uint64_t pc = 0;           // entries fetched; slot pc mod QueueDepth
    uint64_t end = 0;          // entries loaded (QLEN at start, + NumLanes/4 per IFETCH)
    bool ifetch = false;       // an IFETCH fetched last cycle samples its stream now
    uint8_t ifetch_dir = 0;
    uint8_t ifetch_stream = 0;
    uint32_t wait = 0;
    uint32_t rep_left = 0;
    uint32_t rep_dist = 0;
    bool last_valid = false;
    uint32_t last = 0;    // last issued word, addr already strided
    bool parked = false;  // parked by a SYNC, waiting for a NOTIFY
    bool dispatch_valid = false;
    uint32_t dispatch = 0;
  };

  // One MEM slice's pipeline registers (its SRAM codewords live in mem_, the lane columns'
  // output registers in rdata_).
  struct MemSlice {
    bool rd_valid = false;  // drive the word (or quad) READ last cycle in this cycle
    uint8_t rd_bank = 0;
    bool rd_quad = false;
    uint8_t rd_sub = 0;  // sub-bank (addr mod 4) of a single word
    uint8_t rd_dir = 0;
    uint8_t rd_stream = 0;
    bool b_gather = false;  // GATHER / SCATTER stage 2: bank access in this cycle
    bool b_scatter = false;
    std::vector<uint16_t> b_addr;  // per lane
    std::vector<uint8_t> b_data;   // SCATTER bytes
    uint8_t b_dir = 0;
    uint8_t b_stream = 0;
    bool gd_valid = false;  // drive the GATHER bytes read last cycle
    std::vector<uint8_t> gd_bank;
    std::vector<uint8_t> gd_sub;
    uint8_t gd_dir = 0;
    uint8_t gd_stream = 0;
    bool host_rd = false;  // a host read last cycle: its data is decoded (and counted) now
    uint8_t host_bank = 0;
    uint8_t host_sub = 0;
    int host_chunk = 0;              // chunk of the last host read (host_chunk_q)
    isa::Err err = isa::Err::kNone;  // raised in this cycle
  };

  // The MXM: weights, the three ABC stages and the ACC drive register.
  struct Mxm {
    std::vector<int16_t> shadow;  // [k][n], int8 values
    // The active weights, two rows a pair: (j, n) holds int16 w[2j][n] low, w[2j+1][n] high.
    std::vector<uint32_t> packed;  // [(dim + 1) / 2][stride]
    int stride = 0;                // dim rounded up to a multiple of 4
    int row = 0;
    bool s1_valid = false;
    bool s1_acc = false;
    uint32_t s1_addr = 0;
    std::vector<int16_t> x;  // stage 1: sampled activations (int8 values)
    bool s2_valid = false;
    bool s2_acc = false;
    uint32_t s2_addr = 0;
    std::vector<int32_t> y;  // stage 2: products summed
    bool drv_valid = false;
    uint8_t drv_dir = 0;
    uint8_t drv_base = 0;
    std::vector<int32_t> drv;  // the accumulator read by ACC, driven in the next cycle
    std::vector<int32_t> acc;  // [AccDepth][MxmDim]
    std::vector<int32_t> wr;   // stage 3 write data of the current cycle
  };

  // One VXM ALU: its result register R[k] (one 32-bit value per lane), its CONFIG registers and
  // its drive register (the result of the op dispatched last cycle goes out in this one).
  struct VxmAlu {
    uint32_t imm = 0;
    uint32_t qshift = 0;
    std::vector<uint32_t> r;
    std::vector<uint32_t> next;  // this cycle's result, written at the end of the cycle
    bool drv_valid = false;
    uint8_t drv_dir = 0;
    uint8_t drv_base = 0;
    uint8_t drv_group = 0;
  };

  // The SXM (lpu_sxm): the result register, driven in the cycle after an op acts, and the
  // corner turner (lpu_sxm_transpose), whose capture rows and output block are kept by index
  // rather than shifted. Blocks are [group stream k][row][lane].
  struct Sxm {
    bool res_valid = false;
    uint8_t res_dir = 0;
    uint8_t res_base = 0;
    uint8_t res_group = 0;     // group code
    std::vector<uint8_t> res;  // [k][lane]
    std::vector<uint8_t> tmp;  // the result being computed in this cycle
    bool cap_active = false;   // rows 1..lanes-1 still to capture
    int cap_rows = 0;
    uint8_t cap_a = 0;
    uint8_t cap_adir = 0;
    uint8_t cap_group = 0;
    uint8_t cap_dst = 0;
    uint8_t cap_ddir = 0;
    std::vector<uint8_t> cap;
    bool out_valid = false;
    int out_col = 0;  // column driven in this cycle
    uint8_t out_dir = 0;
    uint8_t out_base = 0;
    uint8_t out_group = 0;
    std::vector<uint8_t> out;
    bool Active() const { return res_valid || cap_active || out_valid; }
  };

  // One clock cycle with an optional host request; returns what host_rdata_o shows after it.
  uint32_t Step(const HostRequest* host);
  // Skips `cycles` run cycles in which every queue only waits and nothing is in flight.
  void SkipWaits(int64_t cycles);

  uint32_t ReadRegister(uint32_t reg) const;
  // Returns whether any queue issued; errs[q] is queue q's own error of this cycle.
  bool StepQueues(CycleTrace* trace, std::vector<isa::Err>& errs, bool* all_finished);
  // The IFETCH landing of queue q (running or not): appends the sampled words unless they
  // overflow the queue; returns whether it overflowed.
  bool LandIfetch(int qi, CycleTrace* trace);
  void StepMxm(bool flush, CycleTrace* trace);
  // Returns the lane bytes SECDED corrected in this cycle.
  int StepMem(int slice, bool flush, const MemAccess& access, CycleTrace* trace);
  // The VXM slice; sets vxm_conflict_ for ALUs whose drives overlap in this cycle.
  void StepVxm(bool flush, CycleTrace* trace);
  bool VxmBusy() const;
  // Returns the error the SXM raises in this cycle (kNone outside run cycles).
  isa::Err StepSxm(bool flush, bool running, CycleTrace* trace);
  // lpu_icu_queue's checks; `addr` is the effective (strided) addr of an addr-format op.
  isa::Err CheckIssue(const Queue& q, uint32_t word, bool addr_ok, uint32_t addr) const;
  // CheckIssue without the reserved-bits check.
  isa::Err CheckOperands(const Queue& q, uint32_t word, bool addr_ok, uint32_t addr) const;
  isa::Err CheckVxm(const Queue& q, uint32_t word) const;
  isa::Err CheckSxm(uint32_t word) const;

  // Stream fabric, stored by diagonal (see the class comment).
  const uint8_t* Present(int pos, int dir, int stream) const;
  uint8_t* Drive(int pos, int dir, int stream, CycleTrace* trace);
  void ClearStreams();

  CoreConfig config_;
  int lanes_ = 0;
  int dim_ = 0;
  int num_queues_ = 0;
  int num_pos_ = 0;
  TraceSink* sink_ = nullptr;
  CycleTrace trace_;

  // lpu_ctrl
  uint64_t time_ = 0;
  bool running_ = false;
  bool done_ = false;
  int drain_ = 0;
  int64_t cycles_ = 0;  // CYCLES (the register shows the low 32 bits)
  isa::Err err_code_ = isa::Err::kNone;
  int64_t err_cycle_ = 0;
  int err_queue_ = 0;
  uint32_t ecc_corrected_ = 0;  // ECC_CORRECTED
  uint16_t inject_mask_ = 0;    // ECC_INJECT
  uint8_t inject_lanes_ = 0;

  // Fast-forward hints, valid after each Step: something still acts in a later cycle without
  // a queue issuing it (dispatch registers, READ/ABC/ACC pipelines), and how many cycles every
  // unfinished queue will only wait for.
  bool in_flight_ = false;
  uint32_t skippable_ = 0;

  std::vector<uint32_t> imem_;  // [queue][QueueDepth]
  std::vector<Queue> queues_;
  std::vector<uint8_t> fetched_;  // [queue][lanes]: the vector each IFETCH samples this cycle
  std::vector<isa::Err> queue_errs_;
  std::vector<bool> landed_;         // [queue]: an IFETCH appended in this cycle
  std::vector<uint16_t> lane_addr_;  // scratch: GATHER / SCATTER lane addresses
  std::vector<uint8_t> sampled_;     // scratch: WRITE / SCATTER data, [4][lanes] for a quad
  std::vector<uint16_t> mem_;        // [slice][MemDepth][lanes]: SECDED codewords
  // [slice][lanes][2 banks][4 sub-banks]: the lane columns' output registers (a sub-bank holds
  // the words whose addr mod 4 is its index).
  std::vector<uint16_t> rdata_;
  std::vector<MemSlice> slices_;
  Mxm mxm_;
  std::vector<VxmAlu> vxm_;
  std::vector<bool> vxm_conflict_;  // ALU k drove a stream another ALU drove in this cycle
  std::vector<int> vxm_driver_;     // [dir][stream]: ALU driving it in this cycle, or -1
  Sxm sxm_;
  int sxm_queue_ = 0;

  // Stream slots: [dir][stream][slot] with a key (the diagonal, kNoKey when empty) and lanes.
  int slot_bits_ = 0;
  std::vector<int64_t> slot_key_;
  std::vector<uint8_t> slot_data_;
  std::vector<uint8_t> zeros_;
};

// Builds a model of `config` in its reset state and reads back its ID and CONFIG registers, as
// MakeRtlSim does (so Time() agrees with the RTL too). Throws Error for an invalid config.
std::unique_ptr<HostBus> MakeCycleModel(const CoreConfig& config);

}  // namespace tinylpu
