// Timeline: expands a program into issue cycles and draws them as an SVG Gantt chart.
#include "sw/report/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tinylpu {
namespace {

constexpr double kLeft = 70;  // room for queue names
constexpr double kPlotWidth = 1100;
constexpr double kRowHeight = 18;
constexpr double kTop = 48;

const char* OpColour(isa::Op op) {
  switch (op) {
    case isa::Op::kRead:
      return "#3b7dd8";
    case isa::Op::kWrite:
      return "#3aa655";
    case isa::Op::kLw:
      return "#e39a2d";
    case isa::Op::kIw:
      return "#d64545";
    case isa::Op::kAbc:
      return "#8e5cc9";
    case isa::Op::kAcc:
      return "#8a6a3c";
    case isa::Op::kShift:
    case isa::Op::kRotate:
    case isa::Op::kPermute:
    case isa::Op::kDistribute:
    case isa::Op::kSelect:
      return "#1f9e9e";
    case isa::Op::kTranspose:
      return "#136b6b";
    default:
      return "#888888";
  }
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<TimelineIssue> ExpandIssues(const Program& program) {
  const Program::Timing timing = program.QueueTiming();
  std::vector<TimelineIssue> issues;
  for (int q = 0; q < static_cast<int>(program.queues.size()); ++q) {
    const Instr* last = nullptr;
    for (size_t i = 0; i < program.queues[q].size(); ++i) {
      const Instr& instr = program.queues[q][i];
      const int64_t t = timing.fetch[q][i];
      if (instr.op == isa::Op::kRepeat) {
        for (uint32_t k = 1; k <= instr.n && last != nullptr; ++k) {
          issues.push_back({q, t + int64_t{k} * instr.d - 1, last->op});
        }
      } else if (!IsControl(instr.op)) {
        issues.push_back({q, t, instr.op});
        last = &instr;
      }
    }
  }
  return issues;
}

std::string TimelineSvg(const Program& program, const CoreConfig& config,
                        const std::string& title) {
  const std::vector<TimelineIssue> issues = ExpandIssues(program);
  const int64_t cycles = program.PredictedCycles();
  std::vector<int> rows;  // queues that issue something, in queue order
  std::map<int, int> row_of;
  for (int q = 0; q < static_cast<int>(program.queues.size()); ++q) {
    bool used = std::any_of(issues.begin(), issues.end(),
                            [&](const TimelineIssue& i) { return i.queue == q; });
    if (used) {
      row_of[q] = static_cast<int>(rows.size());
      rows.push_back(q);
    }
  }
  const int64_t abc = std::count_if(issues.begin(), issues.end(),
                                    [](const TimelineIssue& i) { return i.op == isa::Op::kAbc; });
  const double scale = kPlotWidth / static_cast<double>(std::max<int64_t>(cycles, 1));
  const double mark = std::max(scale, 0.6);
  const double height = kTop + kRowHeight * static_cast<double>(rows.size()) + 60;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n",
      kLeft + kPlotWidth + 20, height);
  svg += "<!-- tinylpu schedule timeline, written by tinylpu -->\n";
  svg += fmt::format(
      "<text x=\"{}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n"
      "<text x=\"{}\" y=\"36\">config {}: {} cycles, {} ABC issues, MXM utilisation "
      "{:.1f}%</text>\n",
      kLeft, Escape(title), kLeft, Escape(config.name), cycles, abc,
      cycles > 0 ? 100.0 * static_cast<double>(abc) / static_cast<double>(cycles) : 0.0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const double y = kTop + kRowHeight * static_cast<double>(r);
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n"
        "<text x=\"4\" y=\"{:.1f}\">{}</text>\n",
        kLeft, y, kPlotWidth, kRowHeight - 2, r % 2 ? "#f4f4f4" : "#ebebeb", y + 12,
        config.QueueName(rows[r]));
  }
  for (const TimelineIssue& issue : issues) {
    const double x = kLeft + scale * static_cast<double>(issue.cycle);
    const double y = kTop + kRowHeight * row_of[issue.queue] + 2;
    svg += fmt::format(
        "<rect class=\"op-{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\" "
        "fill=\"{}\"><title>cycle {}</title></rect>\n",
        FindOp(issue.op)->name, x, y, mark, kRowHeight - 6, OpColour(issue.op), issue.cycle);
  }
  // Cycle axis with about ten ticks, and the legend.
  const double axis_y = kTop + kRowHeight * static_cast<double>(rows.size()) + 14;
  const int64_t step = std::max<int64_t>(1, cycles / 10);
  for (int64_t c = 0; c <= cycles; c += step) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       kLeft + scale * static_cast<double>(c), axis_y, c);
  }
  double lx = kLeft;
  const std::pair<isa::Op, std::string_view> legend[] = {{isa::Op::kRead, "READ"},
                                                         {isa::Op::kWrite, "WRITE"},
                                                         {isa::Op::kLw, "LW"},
                                                         {isa::Op::kIw, "IW"},
                                                         {isa::Op::kAbc, "ABC"},
                                                         {isa::Op::kAcc, "ACC"},
                                                         {isa::Op::kTranspose, "TRANSPOSE"},
                                                         {isa::Op::kShift, "other SXM"}};
  for (const auto& [op, name] : legend) {
    svg += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.0f}\" y=\"{:.1f}\">{}</text>\n",
        lx, axis_y + 14, OpColour(op), lx + 14, axis_y + 23, name);
    lx += 90;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace tinylpu
