// Assembler and disassembler for the tinylpu text format (see docs/isa.md for the syntax).
#pragma once

#include <string>
#include <string_view>

#include "sw/core/config.h"
#include "sw/core/program.h"

namespace tinylpu {

// Parses assembly text:
//   ; comment (also #)
//   .queue mem0            selects the queue the following instructions go to
//   loop:                  labels the next entry of the queue (names are unique; an
//                          instruction may follow on the same line); no operand takes a
//                          label: they name entries in disassembly and error reports
//   READ 12, W3, stride=1  op, operands in the op's syntax order, then stride=/flag keywords
//   VADD.f32 W4, E0, SELF  VXM op with its type suffix; dst E<s>/W<s>/-, sources E<s>/W<s>,
//                          PREV, SELF, IMM ($<n> writes a raw operand field)
//   CONFIG 1, 0x3f80       CONFIG index, value
// Throws Error "file:line:col: message" for the first problem found.
Program Assemble(std::string_view text, std::string_view filename, const CoreConfig& config);

// Prints `program` in the canonical form Assemble accepts; Assemble(Disassemble(p)) == p.
std::string Disassemble(const Program& program, const CoreConfig& config);

// One instruction in canonical form, e.g. "ABC 3, W0, stride=1, acc".
std::string FormatInstr(const Instr& instr);

}  // namespace tinylpu
