// Assembler and disassembler: a line-oriented parser with file:line:col errors.
#include "sw/asm/assembler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "sw/core/error.h"

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
    const isa::OpInfo* info = FindOpByName(op_tok.text);
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
    const bool sxm = info->unit == isa::Unit::kSxm;
    std::vector<Token> stream_toks;  // where each stream operand was written, for SXM errors
    for (int i = 0; i < info->num_syntax; ++i) {
      const Token& tok = operands[i];
      std::string_view kind = info->syntax[i];
      if (IsStreamOperand(kind)) {
        ParseStream(*info, tok, kind, instr);
        stream_toks.push_back(tok);
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

  static bool IsStreamOperand(std::string_view kind) {
    return kind == "stream" || kind == "a" || kind == "b" || kind == "m";
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
    const int group = std::max(info.group, 1);
    if (stream < 0 || stream + group > config_.streams) {
      Fail(num.col, fmt::format("stream {} with a group of {} exceeds the {} streams per direction",
                                stream, group, config_.streams));
    }
    const std::string dir_field = kind == "stream" ? "dir" : std::string(kind) + "dir";
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
                                        "mem0..mem{}, sxm)",
                                        operands[0].text, config_.name, config_.mem_slices - 1));
    }
    return q;
  }

 private:
  std::string_view filename_;
  int line_no_;
  const CoreConfig& config_;
};

}  // namespace

Program Assemble(std::string_view text, std::string_view filename, const CoreConfig& config) {
  Program program;
  program.queues.resize(config.num_queues());
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
  return program;
}

std::string FormatInstr(const Instr& instr) {
  const isa::OpInfo* info = FindOp(instr.op);
  if (info == nullptr) return fmt::format(".word {:#010x}", static_cast<int>(instr.op));
  std::string out(info->name);
  for (int i = 0; i < info->num_syntax; ++i) {
    out += i == 0 ? " " : ", ";
    const std::string_view kind = info->syntax[i];
    if (kind == "stream" || kind == "a" || kind == "b" || kind == "m") {
      const std::string dir_field = kind == "stream" ? "dir" : std::string(kind) + "dir";
      out += fmt::format("{}{}", FieldValue(instr, dir_field) != 0 ? 'W' : 'E',
                         FieldValue(instr, kind));
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
    if (program.queues[q].empty()) continue;
    out += fmt::format(".queue {}\n", config.QueueName(q));
    for (const Instr& instr : program.queues[q]) out += "    " + FormatInstr(instr) + "\n";
  }
  return out;
}

}  // namespace tinylpu
