// Engine: places VXM chains, MXM matmuls and SXM permutes at exact cycles on a Schedule.
//
// Every unit has a fixed latency and every value a fixed route, so placing one piece of work
// means choosing its issue cycle: the engine derives the cycle of every READ, WRITE, ACC, SXM
// op and VXM op of an iteration from it, picks free stream registers for every transfer, and
// takes the earliest cycle at which every queue slot, every stream register and every MEM word
// (a READ after the WRITE of its value, a WRITE after the READs of the old value) is free.
// docs/compiler.md describes the rules; docs/architecture.md has the timing they rest on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sw/compiler/mem_plan.h"
#include "sw/compiler/schedule.h"
#include "sw/compiler/vgraph.h"

namespace tinylpu {

// A matmul Y = X W on the MXM, tiled by MxmDim, whose int32 results are drained into an
// epilogue graph (its kAcc input). Iteration u of the epilogue is output vector (nt, m),
// u = nt * rows + m.
struct MatmulSpec {
  std::string name;
  int rows = 0;     // M
  int tiles_k = 0;  // K / MxmDim (rounded up)
  int tiles_n = 0;  // N / MxmDim (rounded up)
  // The int8 X word of row m and K tile kt (lane k holds X[m][kt*D + k]).
  std::function<WordLoc(int m, int kt)> x;
  // Word r of weight tile (kt, nt): the row W[kt*D + r][nt*D ..] (LW takes it as is), or, when
  // `transposed`, column nt*D + r (lane k holds W[kt*D + k][nt*D + r]), which the SXM turns.
  std::function<WordLoc(int kt, int nt, int r)> w;
  bool transposed = false;
};

// What the engine did, for reports.
struct EngineStats {
  int64_t abc = 0;             // ABC instructions (MXM busy cycles)
  int64_t lw = 0;              // LW instructions (weight rows streamed into the MXM)
  int64_t matmul_cycles = 0;   // cycles from the first LW to the last ABC, summed over matmuls
  int64_t vxm_ops = 0;         // VXM operations (ALU busy cycles)
  int64_t chains = 0;          // chain iterations placed
  std::vector<int64_t> queue_ops;  // instructions issued per queue (filled by Finish)
};

class Engine {
 public:
  Engine(const CoreConfig& config, MemPlan& mem);

  const CoreConfig& config() const { return config_; }
  MemPlan& mem() { return mem_; }
  const Schedule& schedule() const { return sched_; }
  // The figures so far, with the instructions issued per queue.
  EngineStats stats() const;

  // Runs graph `g` for iterations [begin, end). Temporaries are allocated per chunk of at most
  // `chunk` iterations (0: all at once) and freed after it.
  void RunGraphRange(const VGraph& g, int begin, int end, int chunk = 0);
  void RunGraph(const VGraph& g, int n, int chunk = 0) { RunGraphRange(g, 0, n, chunk); }
  // Runs a matmul; the accumulators of N tile nt are drained by graph epilogue(nt).
  void RunMatmul(const MatmulSpec& spec, const std::function<const VGraph&(int nt)>& epilogue,
                 int chunk = 0);
  void RunMatmul(const MatmulSpec& spec, const VGraph& epilogue, int chunk = 0) {
    RunMatmul(spec, [&](int) -> const VGraph& { return epilogue; }, chunk);
  }

  // The cycle by which everything placed so far has issued.
  int64_t FinishCycle() const { return sched_.FinishCycle(); }
  Program Finish() const;

 private:
  struct Claim {
    int queue;
    int64_t t;
    Instr instr;
  };
  struct MemAccess {
    WordLoc word;
    int64_t t;
    bool write;
  };
  // An ALU's IMM register: a CONFIG pair making `value` visible from cycle t on, or an op at t
  // that reads it.
  struct ImmEvent {
    int alu;
    int64_t t;
    uint32_t value;
    bool config;
  };
  // The instructions, transfers and MEM accesses of one iteration at a candidate cycle.
  struct Plan {
    std::vector<Claim> claims;
    std::vector<Transfer> transfers;
    std::vector<MemAccess> mem;
    std::vector<std::pair<int, int64_t>> acc_drains;  // (accumulator, ACC issue cycle)
    std::vector<ImmEvent> imm;
    // Stream bases chosen, in order; a block's later iterations must use `forced` ones.
    std::vector<int> bases;
    const std::vector<int>* forced = nullptr;
  };
  // Builds iteration i of a block issued from cycle t into `plan` (false: does not fit there).
  using BlockBuilder = std::function<bool(int i, int64_t t, Plan& plan)>;
  struct ChainRun;  // a chain with its operands resolved for one chunk

  // Tries to place iteration v of `run` with its first op issued at t on ALUs k0...; on success
  // fills `plan` and keeps its stream reservations.
  bool TryChainIteration(const ChainRun& run, int v, int64_t t, int k0, Plan& plan);
  // Lower bound on t for iteration v from MEM word and accumulator hazards.
  int64_t ChainLowerBound(const ChainRun& run, int v, int k0) const;
  void PlaceChain(const ChainRun& run, int begin, int end);
  // `chain` with every op whose two stream operands lie on one slice (for iteration v) turned
  // into VMOV b, op a PREV; cut into pieces where it no longer fits the ALUs.
  std::vector<Chain> SplitConflicts(const Chain& chain, const ChainRun& run, int v) const;
  // Places n iterations of `one` at t0, t0 + II, ... for the earliest t0 >= lower_bound at which
  // all fit with the same streams and no other work on their queues between their first and
  // last slot (so each queue's part is an op and a REPEAT); II is the smallest interval at which
  // no queue needs one cycle twice. Returns t0 and the plan (reserved, not committed).
  int64_t PlaceBlock(int n, int64_t lower_bound, const BlockBuilder& one, Plan& out,
                     const std::string& what);
  static void Append(Plan& total, Plan&& part);
  bool BlockFree(const Plan& plan) const;
  void CommitBlock(const Plan& plan);
  // The IMM value ALU `alu` holds in cycle t, by the CONFIGs placed so far (0 after a start).
  uint32_t ImmAt(int alu, int64_t t) const;
  bool PlanImm(int alu, int64_t t, uint32_t value, Plan& plan) const;
  void Commit(const Plan& plan);
  // Rolls back the stream reservations of a failed plan.
  void Release(const Plan& plan);
  bool SlotsFree(const Plan& plan) const;

  // Picks a stream base for `planes` transfers (one per plane) that differ only in their
  // stream, reserves them into `plan` and returns the base, or -1.
  int ReserveGroup(std::vector<Transfer> transfers, Plan& plan);

  // MXM.
  void LoadTile(const MatmulSpec& spec, int kt, int nt);
  void LoadTransposedTile(const MatmulSpec& spec, int kt, int nt);
  // ABCs of rows m0.. (K tile kt) into accumulators acc0..
  void Activate(const MatmulSpec& spec, int m0, int rows, int kt, int acc0);
  // READ of `word` westward so that it is present at position `to` in cycle `at`; -1 when the
  // slice, the word or every stream is busy.
  int TryReadWest(const WordLoc& word, int to, int64_t at, Plan& plan);

  CoreConfig config_;
  MemPlan& mem_;
  Schedule sched_;
  EngineStats stats_;
  // MXM state.
  int64_t last_lw_ = -1, last_iw_ = -1, last_abc_ = -1, next_transpose_ = 0;
  int64_t first_lw_of_job_ = -1;
  std::vector<int64_t> acc_ready_;    // earliest ACC of each accumulator (last ABC + 3)
  std::vector<int64_t> acc_drained_;  // last ACC of each accumulator
  std::function<int(int)> acc_of_;   // accumulator of an epilogue iteration
  // Per VXM ALU: cycle from which a CONFIG pair's value is visible -> value, and cycle of each
  // op reading IMM -> the value it needs.
  std::vector<std::map<int64_t, uint32_t>> imm_configs_;
  std::vector<std::map<int64_t, uint32_t>> imm_uses_;
};

}  // namespace tinylpu
