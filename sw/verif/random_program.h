// Constrained-random tinylpu programs: legal by construction, or built to trip one error code.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
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
  double ecc_flip = 0.08;     // chance a MEM word is loaded with one flipped codeword bit
  int max_ifetch = 3;         // IFETCHes per queue at most
};

// One MEM word the host writes before the run. `inject` is the ECC_INJECT value in effect while
// it is written (0: a clean word; docs/isa.md, ECC_INJECT).
struct MemInit {
  int slice = 0;
  int word = 0;
  std::vector<uint8_t> lanes;
  uint32_t inject = 0;
};

// A generated test case: instruction words per queue (raw, so illegal encodings fit), the MEM
// words to load, and for illegal cases the error the run must stop with.
struct RandomCase {
  std::vector<std::vector<uint32_t>> words;     // loaded by the host (QLEN = size)
  std::vector<std::vector<uint32_t>> appended;  // delivered by IFETCH, in order (listing only)
  std::vector<MemInit> mem;
  isa::Err err = isa::Err::kNone;
  int err_queue = 0;
  int64_t err_cycle = 0;
  int64_t cycles = 0;  // legal cases: the predicted run length (FinishCycle + drain)
  std::string description;

  // Writes the MEM words (with their ECC faults), every queue's words and QLEN through the
  // host port.
  void Load(HostBus& bus) const;
  // Rewrites the words loaded with an ECC fault clean, so that a later case on the same core
  // does not read a fault it did not ask for.
  void Scrub(HostBus& bus) const;
  // The program as assembly (undecodable words as .word), appended entries marked.
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

// One stream operand of an instruction as the fabric sees it: the streams it drives or
// samples and when (cycles after the issue). Field names as in the ISA formats: "stream"
// (the destination or data stream), "istream", "a", "b", "m", "srca", "srcb", "dst".
struct StreamUse {
  std::string_view operand;
  Dir dir = Dir::kEast;
  int stream = 0;  // group base
  int width = 1;   // streams in the group
  int offset = 0;  // first cycle after the issue
  int cycles = 1;  // consecutive cycles (a TRANSPOSE captures and drives L)
};
// Streams in the data group of a non-SXM, non-VXM op: its ISA group, or the flag's group when
// a widening flag is set (READ/WRITE `quad`: 4 streams and 4 aligned words); at least 1.
int DataGroup(const Instr& instr);
std::vector<StreamUse> DrivesOf(const CoreConfig& config, const Instr& instr);
std::vector<StreamUse> SamplesOf(const CoreConfig& config, const Instr& instr);
// Points stream operand `operand` of `instr` at stream `stream` in direction `dir`.
void SetStreamOperand(Instr& instr, std::string_view operand, Dir dir, int stream);

// A routed value: producer `p` on queue `pq` drives its operand `drive`, which reaches operand
// `sample` of consumer `c` on queue `cq` exactly when it samples. `table` >= 0 when the
// producer READs table word `table` (GenContext::NewTable), whose contents the consumer then
// knows (GATHER/SCATTER indices, PERMUTE maps, IFETCH words).
struct RouteSpec {
  int pq = -1;
  Instr p;
  std::string_view drive = "stream";
  int cq = -1;
  Instr c;
  std::string_view sample = "stream";
  int plane = 0;  // byte plane of a wider producer group the consumer samples
  int max_gap = 8;
  int table = -1;
};

// The generator's state while it builds one program: per-queue instruction lists and fetch
// cycles, and the stream cells in use, so that everything it places is legal under the static
// schedule: one writer per stream register and cycle, addresses and stream groups in range,
// and every routed value present at its consumer exactly in the cycle the consumer samples it
// (no other drive overwrites it on the way). The unit rules beyond the ISA tables live in
// TryIssue: ACC after ABC, TRANSPOSE's capture window, the MEM bank collision rule, GATHER and
// SCATTER lanes in range, table words never written, and operands whose value must be known
// (a PERMUTE map, SCATTER indices, IFETCH words) routed from a table.
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
  // pool so that values meet, stream groups inside the streams, VXM types and operands legal.
  Instr RandomOp(int q, isa::Op op);
  // Checks that `instr` may issue on q at cycle t and, if so, records its drives and unit
  // state. `table` names the table word a routed operand carries (-1: none), `routed` whether
  // the operand that needs a known value is routed at all. Does not append anything.
  bool TryIssue(int q, int64_t t, const Instr& instr, int table = -1, bool routed = false);
  // Issues `instr` on q at Now(q): TryIssue, append, advance. False if it may not issue.
  bool Issue(int q, const Instr& instr);
  // Places a routed pair (see RouteSpec): picks the issue cycles, pads both queues with NOPs
  // and issues both, reserving the stream cells in between. False (nothing changed) when it
  // cannot.
  bool Route(RouteSpec spec);
  // Routes a READ of a new table word holding `lanes` (on a MEM slice at another position) to
  // operand `sample` of consumer `c` on queue cq. False (nothing changed) when it cannot.
  bool RouteTable(int cq, const Instr& c, std::string_view sample, std::vector<uint8_t> lanes,
                  bool repeatable = true);
  // Routes the byte planes of a wide value to operand `sample` (a group of planes.size()
  // streams) of consumer c on queue cq: plane b is a table word READ by its own MEM slice onto
  // stream base + b, all arriving in the cycle c samples. So a VXM op sees chosen int32/fp32
  // values in every lane. False (nothing changed) when it cannot.
  bool RouteWide(int cq, const Instr& c, std::string_view sample,
                 const std::vector<std::vector<uint8_t>>& planes);
  // REPEAT n, d on q: re-issues of the last issued op, all checked. False if illegal.
  bool Repeat(int q, uint32_t n, uint32_t d);
  // Issues ops on ALUs k0..k1 (VXM queues) in consecutive cycles, each reading its
  // predecessor's result (PREV). False (nothing changed) when it cannot.
  bool VxmChain(int k0, int k1);

  // A SYNC barrier opened by q: q (and maybe others) SYNC, another queue NOTIFYs.
  bool Barrier(int q);
  // A NOTIFY on q that releases nobody.
  bool LoneNotify(int q);

  // MEM table words: addresses no WRITE or SCATTER touches, loaded with known contents.
  bool InTableZone(int addr) const;
  // A new table word on `slice` (its lanes filled later for IFETCH blocks); -1 when full.
  int NewTable(int slice, std::vector<uint8_t> lanes);
  // The IFETCHes of queue q so far.
  int Ifetches(int q) const { return static_cast<int>(ifetch_[q].size()); }
  // Words possibly read or written on `slice` so far (for fault injection by the makers).
  bool Touched(int slice, int addr) const;
  // Issue cycle of the last TRANSPOSE (far in the past when none).
  int64_t LastTranspose() const { return last_transpose_; }
  // Fetch cycle of the last NOTIFY (-1 when none).
  int64_t LastNotify() const {
    return notifies_.empty() ? -1 : *std::max_element(notifies_.begin(), notifies_.end());
  }
  // No drive of stream `stream` in direction `dir` at `pos` in `cycle` so far.
  bool DriveFree(int pos, Dir dir, int stream, int64_t cycle) const;
  int BankOf(int addr) const { return addr >= config_.mem_depth / 2 ? 1 : 0; }
  // Bank mask of a GATHER/SCATTER access or bank of a READ/WRITE access on `slice` in `cycle`.
  int GatherBanksAt(int slice, int64_t cycle) const;
  int RwBankAt(int slice, int64_t cycle) const;

  // Closes the program: pads each queue that has IFETCHes with NOP 1 so that every appended
  // block lands before it is fetched, and splits it into loaded entries and IFETCH blocks
  // (written into their table words).
  void Finish();
  Program TakeProgram() const;
  // Loaded words of q (all entries when it has no IFETCH) and the words IFETCH appends.
  std::vector<uint32_t> LoadedWords(int q) const;
  std::vector<uint32_t> AppendedWords(int q) const;
  struct Table {
    int slice = 0;
    int addr = 0;
    std::vector<uint8_t> lanes;
  };
  const std::vector<Table>& tables() const { return tables_; }

 private:
  friend class ProgramGenerator;
  struct Cell {
    int pos;
    Dir dir;
    int stream;
    int64_t cycle;
    auto operator<=>(const Cell&) const = default;
  };
  // Everything a placement changes is undone through this log when a multi-part placement
  // fails half-way.
  size_t Checkpoint() const { return undo_.size(); }
  void Rollback(size_t mark);
  template <typename Map, typename Key, typename Value>
  void Set(Map& map, const Key& key, const Value& value);
  int Step(Dir dir) const { return dir == Dir::kEast ? 1 : -1; }
  bool InRow(int pos) const { return pos >= 0 && pos < config_.num_positions(); }
  // Unit rules beyond the stream cells; record == false only checks.
  bool UnitRulesOk(int q, int64_t t, const Instr& instr, int table, bool routed, bool record);
  void IssueAt(int q, int64_t t, const Instr& instr);
  void Append(int q, int64_t t, const Instr& instr);
  bool Carry(int from, Dir dir, int stream, int64_t drive_cycle, int to, int id);
  bool PairedRepeat(int q, uint32_t n, uint32_t d);
  // Per-lane addresses of a GATHER/SCATTER: known from a table, or nullopt.
  std::optional<std::vector<int>> LaneAddrs(const Instr& instr, int table) const;

  const CoreConfig& config_;
  std::mt19937_64& rng_;
  const GenOptions& options_;
  std::vector<std::vector<Instr>> queues_;
  std::vector<int64_t> now_;
  std::vector<bool> has_last_;
  std::vector<Instr> last_;  // last issued op per queue (addr strided)
  std::vector<int> last_table_;
  // The routed pair that ends two queues (for paired REPEATs); pq < 0 when none.
  std::vector<RouteSpec> route_end_;
  // Stream cells: drives (pos, dir, stream, cycle) -> producer id; cells of `present` written
  // by a drive -> producer id; cells reserved for a routed value -> producer id.
  std::map<Cell, int> drives_, written_, reserved_;
  std::vector<std::function<void()>> undo_;
  int next_id_ = 1;
  int last_producer_id_ = 0;
  // SYNC/NOTIFY: NOTIFY fetch cycles and the windows [sync, notify] in which queues are parked.
  std::vector<int64_t> notifies_;
  std::vector<std::pair<int64_t, int64_t>> park_windows_;
  // ABC/ACC: last ABC issue cycle per accumulator.
  std::map<uint32_t, int64_t> abc_issue_;
  // SXM: issue cycle of the last TRANSPOSE (its capture window is L cycles).
  int64_t last_transpose_ = -1'000'000;
  // MEM banks in use: (slice, cycle) -> bank mask of a GATHER/SCATTER access, bank of a
  // READ/WRITE access.
  std::map<std::pair<int, int64_t>, int> gs_banks_, rw_bank_;
  std::vector<std::set<int>> touched_;  // per slice, words possibly accessed
  std::vector<Table> tables_;
  std::vector<int> table_next_;  // per slice, next free table address offset
  // IFETCH: per queue, (entry index of the IFETCH, its table word).
  std::vector<std::vector<std::pair<int, int>>> ifetch_;
  std::vector<int> qlen_;  // after Finish: loaded entries per queue
};

class ProgramGenerator {
 public:
  ProgramGenerator(const CoreConfig& config, uint64_t seed, GenOptions options = {});

  // A program that runs to completion without an error, with MEM contents to load.
  RandomCase Legal();
  // A program that must stop with `err` in a known cycle and queue: a legal prefix and the bad
  // instruction(s) (sometimes with a NOP or REPEAT at its field maximum still pending
  // elsewhere). The seed also enumerates the maker's variants and queue kinds (its digits in
  // mixed radix), so consecutive seeds cover every combination. Throws Error when there is no
  // maker for `err` (see TrippableErrors).
  RandomCase Illegal(isa::Err err);
  // Every error code of the ISA tables that Illegal can produce, and those it cannot.
  static std::vector<isa::Err> TrippableErrors();
  static std::vector<isa::Err> UntrippableErrors();

  std::mt19937_64& rng() { return rng_; }

 private:
  void Generate(GenContext& ctx, int horizon_min, int horizon_max, const GenOptions& options);
  RandomCase MakeCase(const GenContext& ctx, const std::vector<std::vector<uint32_t>>& tails);
  CoreConfig config_;
  GenOptions options_;
  uint64_t seed_;
  std::mt19937_64 rng_;
};

// The table zone of every MEM slice, [first, first + count): words no legal program's WRITE or
// SCATTER touches, loaded with known contents (PERMUTE/DISTRIBUTE maps, GATHER/SCATTER
// indices, IFETCH blocks).
std::pair<int, int> TableZone(const CoreConfig& config);

// Seed from $LPU_SEED when set, else `fallback`.
uint64_t SeedFromEnv(uint64_t fallback);

}  // namespace tinylpu::verif
