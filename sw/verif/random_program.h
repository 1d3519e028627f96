// Constrained-random tinylpu programs: legal by construction, or built to trip one error code.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sw/core/config.h"
#include "sw/core/host_bus.h"
#include "sw/core/program.h"
#include "sw/isa/instr.h"

namespace tinylpu::verif {

// Relative weights of the instruction classes the generator draws from (0 disables a class).
// Slice ops are named as in the ISA tables, so ops added to sw/isa/isa.toml get `op_default`
// without any change here.
struct GenWeights {
  int nop = 12;     // NOP gaps
  int repeat = 10;  // REPEAT of the queue's last issued op
  int sync = 3;     // a SYNC barrier: some queues park, another NOTIFYs them
  int notify = 2;   // a NOTIFY with nobody parked
  int op_default = 10;
  std::map<std::string, int, std::less<>> op;      // per op name ("READ"), overrides op_default
  std::map<std::string, int, std::less<>> custom;  // per custom class (random_program.cc)

  int OpWeight(std::string_view name) const;
  // Applies "nop=5,repeat=0,READ=20,custom:name=3"; throws Error for an unknown key or value.
  void Apply(std::string_view overrides);
  // Defaults with $LPU_GEN_WEIGHTS applied when it is set.
  static GenWeights FromEnv();
};

struct GenOptions {
  GenWeights weights;
  int horizon_min = 20;  // each queue gets instructions up to a cycle in [min, max]
  int horizon_max = 140;
  double empty_queue = 0.12;  // chance a queue stays empty
  double pair = 0.75;         // chance a producer's value is routed to a consumer
  double boundary = 0.2;      // chance a NOP or REPEAT count is a boundary value (1, 2)
  double long_count = 0.01;   // chance of a REPEAT with n or d at its field maximum
};

// One MEM word the host writes before the run.
struct MemInit {
  int slice = 0;
  int word = 0;
  std::vector<uint8_t> lanes;
};

// A generated test case: instruction words per queue (raw, so illegal encodings fit), the MEM
// words to load, and for illegal cases the error the run must stop with.
struct RandomCase {
  std::vector<std::vector<uint32_t>> words;
  std::vector<MemInit> mem;
  isa::Err err = isa::Err::kNone;
  int err_queue = 0;
  int64_t err_cycle = 0;
  int64_t cycles = 0;  // legal cases: the predicted run length (FinishCycle + drain)
  std::string description;

  // Writes the MEM words, every queue's words and QLEN through the host port.
  void Load(HostBus& bus) const;
  // The words as instructions (undecodable words are left out); for reports.
  std::string Listing(const CoreConfig& config) const;
};

class GenContext;

// A class of instructions the generator can place, as one function: it appends instructions
// to queue `q` (whose next fetch is ctx.Now(q), the earliest of all queues still open) and
// returns false when it placed nothing. Register new classes in kCustomClasses
// (random_program.cc); their weight key is "custom:<name>".
struct OpClass {
  std::string_view name;
  bool (*applies)(const CoreConfig& config, int q);
  bool (*place)(GenContext& ctx, int q);
  int default_weight;
};

// The generator's state while it builds one program: per-queue instruction lists and fetch
// cycles, and the stream cells in use, so that everything it places is legal under the static
// schedule: one writer per stream register and cycle, addresses and stream groups in range,
// and every routed value present at its consumer exactly in the cycle the consumer samples it
// (no other drive overwrites it on the way).
class GenContext {
 public:
  GenContext(const CoreConfig& config, std::mt19937_64& rng, const GenOptions& options);

  const CoreConfig& config() const { return config_; }
  const GenOptions& options() const { return options_; }
  int Uniform(int lo, int hi);
  bool Chance(double p);

  // Fetch cycle of queue q's next instruction.
  int64_t Now(int q) const { return now_[q]; }
  const std::vector<Instr>& Instrs(int q) const { return queues_[q]; }
  // Appends a control op (NOP, REPEAT, NOTIFY; SYNC only through the barrier class).
  void AppendControl(int q, const Instr& instr);
  // NOPs until Now(q) == cycle (>= Now(q)).
  void GapTo(int q, int64_t cycle);

  // A random instance of slice op `op` for queue q: fields in range, addresses from a small
  // pool so that values meet, stream groups inside the streams.
  Instr RandomOp(int q, isa::Op op);
  // Checks that `instr` may issue on q at cycle t (from the ISA tables: stream drives at
  // t + stream_out, samples at t + stream_in; plus the op's extra constraint, if any) and, if
  // so, records it. Does not append anything.
  bool TryIssue(int q, int64_t t, const Instr& instr);
  // Issues `instr` on q at Now(q): TryIssue, append, advance. False if it may not issue.
  bool Issue(int q, const Instr& instr);
  // Routes producer `p` (on queue pq) to consumer `c` (on queue cq, sampling stream plane
  // `plane` of p's group): picks the issue cycles, pads both queues with NOPs and issues both,
  // reserving the stream cells in between. False (nothing changed) when it cannot.
  bool Route(int pq, Instr p, int cq, Instr c, int plane, int max_gap);
  // REPEAT n, d on q: re-issues of the last issued op, all checked. False if illegal.
  bool Repeat(int q, uint32_t n, uint32_t d);

  // A SYNC barrier opened by q: q (and maybe others) SYNC, another queue NOTIFYs.
  bool Barrier(int q);
  // A NOTIFY on q that releases nobody.
  bool LoneNotify(int q);

  Program TakeProgram() const;

 private:
  friend class ProgramGenerator;
  struct Cell {
    int pos;
    Dir dir;
    int stream;
    int64_t cycle;
    auto operator<=>(const Cell&) const = default;
  };
  // Undo log for a failed multi-part placement.
  struct Mark {
    size_t drives, written, reserved;
  };
  Mark Checkpoint() const { return {drive_log_.size(), written_log_.size(), reserved_log_.size()}; }
  void Rollback(const Mark& mark);
  int Step(Dir dir) const { return dir == Dir::kEast ? 1 : -1; }
  bool InRow(int pos) const { return pos >= 0 && pos < config_.num_positions(); }
  bool AccRuleOk(int q, int64_t t, const Instr& instr) const;
  void IssueAt(int q, int64_t t, const Instr& instr);

  const CoreConfig& config_;
  std::mt19937_64& rng_;
  const GenOptions& options_;
  std::vector<std::vector<Instr>> queues_;
  std::vector<int64_t> now_;
  std::vector<bool> has_last_;
  std::vector<Instr> last_;  // last issued op per queue (addr strided)
  // The routed pair that ends two queues (for paired REPEATs); pq < 0 when none.
  struct RouteEnd {
    int pq = -1;
    int cq = -1;
    int plane = 0;
  };
  std::vector<RouteEnd> route_end_;
  bool Carry(int from, Dir dir, int stream, int64_t drive_cycle, int to, int id);
  bool PairedRepeat(int q, uint32_t n, uint32_t d);
  // Stream cells: drives (pos, dir, stream, cycle) -> producer id; cells of `present` written
  // by a drive -> producer id; cells reserved for a routed value -> producer id.
  std::map<Cell, int> drives_, written_, reserved_;
  std::vector<Cell> drive_log_, written_log_, reserved_log_;
  int next_id_ = 1;
  int last_producer_id_ = 0;
  // SYNC/NOTIFY: NOTIFY fetch cycles and the windows [sync, notify) in which queues are parked.
  std::vector<int64_t> notifies_;
  std::vector<std::pair<int64_t, int64_t>> park_windows_;
  // ABC/ACC: last ABC issue cycle per accumulator.
  std::map<uint32_t, int64_t> abc_issue_;
};

class ProgramGenerator {
 public:
  ProgramGenerator(const CoreConfig& config, uint64_t seed, GenOptions options = {});

  // A program that runs to completion without an error, with MEM contents to load.
  RandomCase Legal();
  // A program that must stop with `err` in a known cycle and queue: a legal prefix and one bad
  // instruction (sometimes with a NOP or REPEAT at its field maximum still pending elsewhere).
  // Throws Error when there is no maker for `err` (see TrippableErrors).
  RandomCase Illegal(isa::Err err);
  // Every error code of the ISA tables that Illegal can produce, and those it cannot.
  static std::vector<isa::Err> TrippableErrors();
  static std::vector<isa::Err> UntrippableErrors();

  std::mt19937_64& rng() { return rng_; }

 private:
  RandomCase Build(int horizon_min, int horizon_max, Program* program);
  CoreConfig config_;
  GenOptions options_;
  std::mt19937_64 rng_;
};

// Seed from $LPU_SEED when set, else `fallback`.
uint64_t SeedFromEnv(uint64_t fallback);

}  // namespace tinylpu::verif
