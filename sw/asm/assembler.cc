// Assembler and disassembler: a line-oriented parser with file:line:col errors.
#include "sw/asm/assembler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>
#include <vector>

#include "sw/core/error.h"
#include "sw/vxm/vxm_ops.h"

namespace tinylpu {
namespace {

struct Token {
  std::string_view text;
  int col;  // 1-based
};

class LineParser {
 public:
  LineParser(std::string_view filename, int line_no, const CoreConfig& config)
      : filename_(filename), line_no_(line_no), config_(config) {}

  [[noreturn]] void Fail(int col, std::string_view message) const {
    throw Error(fmt::format("{}:{}:{}: error: {}", filename_, line_no_, col, message));
  }

  // Splits "OP a, b, c" into the op token and comma-separated operand tokens.
  static void Split(std::string_view line, Token& op, std::vector<Token>& operands,
                    std::vector<int>& empty_cols) {
    size_t i = 0;
    auto skip_space = [&] {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    };
    skip_space();
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    op = Token{line.substr(start, i - start), static_cast<int>(start) + 1};
    skip_space();
    if (i >= line.size()) return;
    while (true) {
      skip_space();
      start = i;
      while (i < line.size() && line[i] != ',') ++i;
      size_t end = i;
      while (end > start && std::isspace(static_cast<unsigned char>(line[end - 1]))) --end;
      if (end == start) empty_cols.push_back(static_cast<int>(start) + 1);
      operands.push_back(Token{line.substr(start, end - start), static_cast<int>(start) + 1});
      if (i >= line.size()) break;
      ++i;  // skip ','
    }
  }

  int64_t Integer(const Token& tok) const {
    std::string_view s = tok.text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      negative = s[0] == '-';
      s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s.remove_prefix(2);
    }
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
      Fail(tok.col, fmt::format("expected an integer, found '{}'", tok.text));
    }
    return negative ? -value : value;
  }

  void CheckRange(const isa::OpInfo& info, const Token& tok, std::string_view field,
                  int64_t value) const {
    const isa::FieldInfo* f = FindField(FormatOf(info), field);
    if (value < f->min || value > f->max) {
      Fail(tok.col, fmt::format("{} operand {} = {} is outside {}..{}", info.name, field, value,
                                f->min, f->max));
    }
  }

  Instr Parse(std::string_view line, int q) const {
    Token op_tok;
    std::vector<Token> operands;
    std::vector<int> empty_cols;
    Split(line, op_tok, operands, empty_cols);
    if (!empty_cols.empty()) Fail(empty_cols.front(), "empty operand");
    // VXM ops carry their types as suffixes: VADD.f32, VCVT.i32.f32.
    std::string_view mnemonic = op_tok.text;
    std::vector<Token> suffixes;
    if (size_t dot = mnemonic.find('.'); dot != std::string_view::npos) {
      std::string_view rest = mnemonic.substr(dot + 1);
      int col = op_tok.col + static_cast<int>(dot) + 1;
      mnemonic = mnemonic.substr(0, dot);
      while (true) {
        size_t next = rest.find('.');
        suffixes.push_back(Token{rest.substr(0, next), col});
        if (next == std::string_view::npos) break;
        col += static_cast<int>(next) + 1;
        rest = rest.substr(next + 1);
      }
    }
    const isa::OpInfo* info = FindOpByName(mnemonic);
    if (info == nullptr) Fail(op_tok.col, fmt::format("unknown instruction '{}'", op_tok.text));
    if (info->unit != isa::Unit::kIcu && info->unit != config_.QueueUnit(q)) {
      Fail(op_tok.col,
           fmt::format("{} cannot be issued from queue {}", info->name, config_.QueueName(q)));
    }
    if (static_cast<int>(operands.size()) < info->num_syntax) {
      int col = operands.empty() ? op_tok.col + static_cast<int>(op_tok.text.size())
                                 : operands.back().col;
      Fail(col, fmt::format("{} takes {} operand(s), found {}", info->name, info->num_syntax,
                            operands.size()));
    }
    Instr instr{.op = info->op};
    ParseTypes(*info, op_tok, suffixes, instr);
    const bool sxm = info->unit == isa::Unit::kSxm;
    std::vector<Token> stream_toks;  // where each stream operand was written, for SXM errors
    for (int i = 0; i < info->num_syntax; ++i) {
      const Token& tok = operands[i];
      std::string_view kind = info->syntax[i];
      if (IsStreamOperand(kind)) {
        ParseStream(*info, tok, kind, instr);
        stream_toks.push_back(tok);
      } else if (kind == "dst" || kind == "srca" || kind == "srcb") {
        ParseVxmOperand(*info, tok, kind, q, instr);
      } else {
        int64_t value = Integer(tok);
        CheckRange(*info, tok, kind, value);
        if (kind == "addr" && value >= config_.AddrLimit(q)) {
          Fail(tok.col, fmt::format("address {} is beyond queue {}'s depth {}", value,
                                    config_.QueueName(q), config_.AddrLimit(q)));
        }
        if (kind == "n" && sxm && value >= config_.lanes) {
          Fail(tok.col, fmt::format("{} by {} lanes: the amount must be below the {} lanes",
                                    info->name, value, config_.lanes));
        }
        SetFieldValue(instr, kind, value);
      }
    }
    for (size_t i = info->num_syntax; i < operands.size(); ++i) {
      const Token& tok = operands[i];
      if (tok.text.starts_with("stride=") && HasField(info->op, "stride")) {
        Token value_tok{tok.text.substr(7), tok.col + 7};
        int64_t value = Integer(value_tok);
        CheckRange(*info, value_tok, "stride", value);
        instr.stride = static_cast<int32_t>(value);
      } else if (tok.text.starts_with("group=") && HasField(info->op, "group")) {
        Token value_tok{tok.text.substr(6), tok.col + 6};
        const int code = SxmGroupCode(static_cast<int>(Integer(value_tok)));
        if (code < 0) Fail(value_tok.col, "group must be 1, 2 or 4 streams");
        instr.group = static_cast<uint32_t>(code);
      } else if (!info->flag.empty() && tok.text == info->flag) {
        instr.flag = true;
      } else {
        Fail(tok.col, fmt::format("unexpected operand '{}' for {}", tok.text, info->name));
      }
    }
    if (sxm) {
      // Every stream operand with its group must fit, now that the group is known.
      const std::vector<StreamOperand> streams = SxmStreamOperands(instr);
      for (int i = 0; i < info->num_syntax; ++i) {
        for (const StreamOperand& s : streams) {
          if (s.name != info->syntax[i]) continue;
          if (static_cast<int>(s.stream) + s.width > config_.streams) {
            Fail(operands[i].col + 1,
                 fmt::format("stream {} with a group of {} exceeds the {} streams per direction",
                             s.stream, s.width, config_.streams));
          }
        }
      }
    }
    return instr;
  }

  // The type suffixes of a VXM op: one (vtype), two for VCVT (vtype, stype); none otherwise.
  void ParseTypes(const isa::OpInfo& info, const Token& op_tok, const std::vector<Token>& suffixes,
                  Instr& instr) const {
    const bool has_type = HasField(info.op, "vtype");
    const size_t want = has_type ? (HasField(info.op, "stype") ? 2 : 1) : 0;
    if (suffixes.size() != want) {
      Fail(op_tok.col, want == 0 ? fmt::format("{} takes no type suffix", info.name)
                                 : fmt::format("{} needs {} type suffix(es) such as .{}", info.name,
                                               want, isa::kVxmTypeNames[3]));
    }
    auto type_of = [&](const Token& tok) -> uint32_t {
      for (size_t t = 0; t < isa::kVxmTypeNames.size(); ++t) {
        if (isa::kVxmTypeNames[t] == tok.text) return static_cast<uint32_t>(t);
      }
      Fail(tok.col, fmt::format("unknown type '{}' (types: i8, i16, i32, f32)", tok.text));
    };
    if (want >= 1) instr.vtype = type_of(suffixes[0]);
    if (want >= 2) instr.stype = type_of(suffixes[1]);
    if (has_type && !vxm::TypeLegal(info.op, static_cast<isa::VxmType>(instr.vtype),
                                    static_cast<isa::VxmType>(instr.stype))) {
      Fail(suffixes[0].col, fmt::format("{} does not take type {}", info.name, op_tok.text));
    }
  }

  // A VXM operand: E<s>/W<s> (a stream group), PREV, SELF, IMM, - (dst: none) or $<raw field>.
  void ParseVxmOperand(const isa::OpInfo& info, const Token& tok, std::string_view field, int q,
                       Instr& instr) const {
    std::string text;
    for (char c : tok.text) text += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    uint32_t value = 0;
    const bool is_dst = field == "dst";
    if (text == "-" && is_dst) {
      value = kVxmNone;
    } else if (text == "PREV" && !is_dst) {
      if (config_.VxmAlu(q) == 0) {
        Fail(tok.col, "PREV (the previous ALU's result) does not exist on vxm0");
      }
      value = kVxmPrev;
    } else if (text == "SELF" && !is_dst) {
      value = kVxmSelf;
    } else if (text == "IMM" && !is_dst) {
      value = kVxmImm;
    } else if (text.size() > 1 && text[0] == '$') {
      const int64_t raw = Integer(Token{tok.text.substr(1), tok.col + 1});
      CheckRange(info, tok, field, raw);
      value = static_cast<uint32_t>(raw);
    } else if (text.size() > 1 && (text[0] == 'E' || text[0] == 'W')) {
      Token num{tok.text.substr(1), tok.col + 1};
      const int64_t stream = Integer(num);
      const isa::VxmOpInfo* vinfo = vxm::FindVxmOp(info.op);
      const isa::VxmKind kind = field == "srca"   ? vinfo->a
                                : field == "srcb" ? vinfo->b
                                                  : vinfo->dst;
      const int group = vxm::KindGroup(kind, static_cast<isa::VxmType>(instr.vtype),
                                       static_cast<isa::VxmType>(instr.stype));
      if (stream < 0 || stream + group > config_.streams) {
        Fail(num.col,
             fmt::format("stream {} with a group of {} exceeds the {} streams per direction",
                         stream, group, config_.streams));
      }
      value = VxmStream(text[0] == 'W' ? Dir::kWest : Dir::kEast, static_cast<uint32_t>(stream));
    } else {
      Fail(tok.col, fmt::format("expected {} such as E3, W0{}, found '{}'",
                                is_dst ? "a destination" : "a source",
                                is_dst ? " or - (none)" : ", PREV, SELF or IMM", tok.text));
    }
    SetFieldValue(instr, field, value);
  }

  static bool IsStreamOperand(std::string_view kind) {
    return kind == "stream" || kind == "istream" || kind == "a" || kind == "b" || kind == "m";
  }

  // A stream operand (E<n> or W<n>) into the field `kind` and its direction field.
  void ParseStream(const isa::OpInfo& info, const Token& tok, std::string_view kind,
                   Instr& instr) const {
    std::string_view s = tok.text;
    if (s.size() < 2 || (s[0] != 'E' && s[0] != 'W' && s[0] != 'e' && s[0] != 'w')) {
      Fail(tok.col, fmt::format("expected a stream such as E3 or W0, found '{}'", s));
    }
    Token num{s.substr(1), tok.col + 1};
    int64_t stream = Integer(num);
    // SXM groups are checked once the group= keyword is known (Parse).
    // The index stream of GATHER / SCATTER is one stream.
    const int group = kind == "istream" ? 1 : std::max(info.group, 1);
    if (stream < 0 || stream + group > config_.streams) {
      Fail(num.col, fmt::format("stream {} with a group of {} exceeds the {} streams per direction",
                                stream, group, config_.streams));
    }
    const std::string dir_field = kind == "stream"    ? "dir"
                                  : kind == "istream" ? "idir"
                                                      : std::string(kind) + "dir";
    SetFieldValue(instr, kind, stream);
    SetFieldValue(instr, dir_field, (s[0] == 'W' || s[0] == 'w') ? 1 : 0);
  }

  int ParseDirective(std::string_view line) const {
    Token op;
    std::vector<Token> operands;
    std::vector<int> empty_cols;
    Split(line, op, operands, empty_cols);
    if (op.text != ".queue") Fail(op.col, fmt::format("unknown directive '{}'", op.text));
    if (operands.size() != 1 || !empty_cols.empty()) {
      Fail(op.col, ".queue takes one queue name");
    }
    int q = config_.QueueByName(operands[0].text);
    if (q < 0) {
      Fail(operands[0].col, fmt::format("no queue '{}' in config '{}' (queues: mxmw, mxma, "
                                        "mem0..mem{}, sxm, vxm0..vxm{})",
                                        operands[0].text, config_.name, config_.mem_slices - 1,
                                        config_.vxm_alus - 1));
    }
    return q;
  }

 private:
  std::string_view filename_;
  int line_no_;
  const CoreConfig& config_;
};

}  // namespace

namespace {

bool IsLabelStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// Length of a `name:` label at the start of `s` (0 when there is none).
size_t LabelLength(std::string_view s) {
  if (s.empty() || !IsLabelStart(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() && IsLabelChar(s[i])) ++i;
  return i < s.size() && s[i] == ':' ? i : 0;
}

}  // namespace

Program Assemble(std::string_view text, std::string_view filename, const CoreConfig& config) {
  Program program;
  program.queues.resize(config.num_queues());
  // Where each label was defined, for the duplicate message.
  std::vector<std::pair<int, int>> label_at;
  int queue = -1;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t comment = line.find_first_of(";#");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    LineParser parser(filename, line_no, config);
    // `name:` labels the next entry of the current queue; an instruction may follow it.
    while (const size_t len = LabelLength(line.substr(first))) {
      const std::string name(line.substr(first, len));
      const int col = static_cast<int>(first) + 1;
      if (queue < 0) parser.Fail(col, fmt::format("label '{}' before any .queue", name));
      if (FindOpByName(name) != nullptr) {
        parser.Fail(col, fmt::format("label '{}' is an instruction name", name));
      }
      for (size_t i = 0; i < program.labels.size(); ++i) {
        if (program.labels[i].name == name) {
          parser.Fail(col, fmt::format("duplicate label '{}' (first defined at {}:{}:{})", name,
                                       filename, label_at[i].first, label_at[i].second));
        }
      }
      program.labels.push_back(Label{
          .queue = queue, .entry = static_cast<int>(program.queues[queue].size()), .name = name});
      label_at.emplace_back(line_no, col);
      first = line.find_first_not_of(" \t\r", first + len + 1);
      if (first == std::string_view::npos) break;
    }
    if (first == std::string_view::npos) continue;
    // The instruction after labels, parsed with the labels blanked so columns stay true.
    std::string rest(line);
    std::fill(rest.begin(), rest.begin() + static_cast<ptrdiff_t>(first), ' ');
    line = rest;
    if (line[first] == '.') {
      queue = parser.ParseDirective(line);
      continue;
    }
    if (queue < 0) parser.Fail(static_cast<int>(first) + 1, "instruction before any .queue");
    program.queues[queue].push_back(parser.Parse(line, queue));
    if (static_cast<int>(program.queues[queue].size()) > config.queue_depth) {
      parser.Fail(static_cast<int>(first) + 1,
                  fmt::format("queue {} overflows its {} entries", config.QueueName(queue),
                              config.queue_depth));
    }
  }
  std::stable_sort(program.labels.begin(), program.labels.end(),
                   [](const Label& x, const Label& y) {
                     return std::tie(x.queue, x.entry) < std::tie(y.queue, y.entry);
                   });
  return program;
}

namespace {

// A VXM operand field in assembly form (the inverse of ParseVxmOperand).
std::string FormatVxmOperand(uint32_t value, bool is_dst) {
  if (VxmIsStream(value)) {
    return fmt::format("{}{}", VxmStreamDir(value) != 0 ? 'W' : 'E', VxmStreamIndex(value));
  }
  if (is_dst && value == kVxmNone) return "-";
  if (!is_dst && value == kVxmPrev) return "PREV";
  if (!is_dst && value == kVxmSelf) return "SELF";
  if (!is_dst && value == kVxmImm) return "IMM";
  return fmt::format("${}", value);
}

}  // namespace

std::string FormatInstr(const Instr& instr) {
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr) return fmt::format(".word {:#010x}", static_cast<int>(instr.op));
  std::string out(info->name);
  if (HasField(instr.op, "vtype")) out += fmt::format(".{}", isa::kVxmTypeNames[instr.vtype & 3]);
  if (HasField(instr.op, "stype")) out += fmt::format(".{}", isa::kVxmTypeNames[instr.stype & 3]);
  for (int i = 0; i < info->num_syntax; ++i) {
    out += i == 0 ? " " : ", ";
    const std::string_view kind = info->syntax[i];
    if (kind == "stream" || kind == "istream" || kind == "a" || kind == "b" || kind == "m") {
      const std::string dir_field = kind == "stream"    ? "dir"
                                    : kind == "istream" ? "idir"
                                                        : std::string(kind) + "dir";
      out += fmt::format("{}{}", FieldValue(instr, dir_field) != 0 ? 'W' : 'E',
                         FieldValue(instr, kind));
    } else if (kind == "dst" || kind == "srca" || kind == "srcb") {
      out += FormatVxmOperand(static_cast<uint32_t>(FieldValue(instr, kind)), kind == "dst");
    } else {
      out += fmt::format("{}", FieldValue(instr, info->syntax[i]));
    }
  }
  if (HasField(instr.op, "stride") && instr.stride != 0) {
    out += fmt::format(", stride={}", instr.stride);
  }
  if (HasField(instr.op, "group") && instr.group != 0) {
    out += fmt::format(", group={}", SxmGroupSize(instr.group));
  }
  if (!info->flag.empty() && instr.flag) out += fmt::format(", {}", info->flag);
  return out;
}

std::string Disassemble(const Program& program, const CoreConfig& config) {
  std::string out = fmt::format("; tinylpu program for config '{}'\n", config.name);
  for (int q = 0; q < static_cast<int>(program.queues.size()); ++q) {
    const bool labelled = std::any_of(program.labels.begin(), program.labels.end(),
                                      [&](const Label& l) { return l.queue == q; });
    if (program.queues[q].empty() && !labelled) continue;
    out += fmt::format(".queue {}\n", config.QueueName(q));
    const int n = static_cast<int>(program.queues[q].size());
    for (int i = 0; i <= n; ++i) {
      for (const Label& l : program.labels) {
        if (l.queue == q && l.entry == i) out += l.name + ":\n";
      }
      if (i < n) out += "    " + FormatInstr(program.queues[q][i]) + "\n";
    }
  }
  return out;
}

}  // namespace tinylpu
