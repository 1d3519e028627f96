#!/usr/bin/env python3
"""Generates the SV package, C++ header, CMake config list and ISA doc from sw/isa/isa.toml."""

import argparse
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = "sw/isa/isa.toml"
OUTPUTS = {
    "sv": "rtl/lpu_isa_pkg.sv",
    "cpp": "sw/isa/isa_gen.h",
    "cmake": "cmake/lpu_configs.cmake",
    "md": "docs/isa.md",
}
CONFIG_KEYS = ["lanes", "streams", "mem_slices", "mem_depth", "mxm_dim", "acc_depth", "queue_depth",
               "vxm_alus"]
LATENCY_KEYS = ["stream_in", "stream_out", "weights_live", "acc_write", "acc_read", "result_write",
                "config_write"]
SYNTAX_OPERANDS = {"addr", "stream", "istream", "n", "d", "a", "b", "m", "dst", "srca", "srcb", "index", "value"}
# Operands written as streams (E<n>/W<n>); each has a direction field beside it.
STREAM_OPERANDS = {"stream": "dir", "istream": "idir", "a": "adir", "b": "bdir", "m": "mdir"}
# VXM operand kinds (isa.toml `operands`): the instruction's type or stype field, or a fixed type.
VXM_KINDS = ["none", "type", "stype", "i32", "u16"]


class IsaError(Exception):
    """A problem in the ISA description."""


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.lower().split("_"))


def field_bits(f):
    return f["msb"] - f["lsb"] + 1


def field_range(f):
    """Inclusive [min, max] of values the field can hold."""
    bits = field_bits(f)
    if f.get("signed", False):
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return f.get("min", 0), (1 << bits) - 1


def validate(isa):
    width = isa["isa"]["width"]
    opc = isa["isa"]["opcode"]
    if not 0 <= opc["lsb"] <= opc["msb"] < width:
        raise IsaError(f"opcode bits {opc['msb']}:{opc['lsb']} do not fit a {width}-bit word")
    opcode_mask = ((1 << (opc["msb"] + 1)) - 1) & ~((1 << opc["lsb"]) - 1)
    for fname, fmt in isa["formats"].items():
        used = opcode_mask
        names = set()
        for f in fmt["fields"]:
            if f["name"] in names:
                raise IsaError(f"format {fname}: field {f['name']} defined twice")
            names.add(f["name"])
            if not 0 <= f["lsb"] <= f["msb"] < width:
                raise IsaError(f"format {fname}: field {f['name']} bits {f['msb']}:{f['lsb']} "
                               f"do not fit a {width}-bit word")
            mask = ((1 << (f["msb"] + 1)) - 1) & ~((1 << f["lsb"]) - 1)
            if mask & used:
                raise IsaError(f"format {fname}: field {f['name']} overlaps another field or the opcode")
            used |= mask
            lo, hi = field_range(f)
            if lo > hi:
                raise IsaError(f"format {fname}: field {f['name']} has min {lo} above its max {hi}")
    opcodes = {}
    names = set()
    max_opcode = (1 << (opc["msb"] - opc["lsb"] + 1)) - 1
    for op in isa["ops"]:
        name = op["name"]
        if name in names:
            raise IsaError(f"op {name} defined twice")
        names.add(name)
        if not 0 <= op["opcode"] <= max_opcode:
            raise IsaError(f"op {name}: opcode {op['opcode']:#x} does not fit the opcode field")
        if op["opcode"] in opcodes:
            raise IsaError(f"op {name}: opcode {op['opcode']:#x} already used by {opcodes[op['opcode']]}")
        opcodes[op["opcode"]] = name
        if op["format"] not in isa["formats"]:
            raise IsaError(f"op {name}: unknown format {op['format']}")
        if op["unit"] not in isa["units"]:
            raise IsaError(f"op {name}: unknown unit {op['unit']}")
        fields = {f["name"] for f in isa["formats"][op["format"]]["fields"]}
        for operand in op["syntax"]:
            if operand not in SYNTAX_OPERANDS:
                raise IsaError(f"op {name}: unknown operand {operand}")
            if operand not in fields:
                raise IsaError(f"op {name}: operand {operand} is not a field of format {op['format']}")
            if operand in STREAM_OPERANDS and STREAM_OPERANDS[operand] not in fields:
                raise IsaError(f"op {name}: stream operand {operand} has no direction field "
                               f"{STREAM_OPERANDS[operand]} in format {op['format']}")
        if "group" in op and "stream" not in fields:
            raise IsaError(f"op {name}: has a stream group but format {op['format']} has no stream field")
        if "flag" in op and "flag" not in fields:
            raise IsaError(f"op {name}: has a flag keyword but format {op['format']} has no flag field")
        if "flag_group" in op and ("flag" not in op or op["flag_group"] not in (2, 4)):
            raise IsaError(f"op {name}: flag_group needs a flag keyword and a group of 2 or 4")
    vxm = isa["vxm"]
    if len(vxm["types"]) != 4 or len(vxm["groups"]) != 4:
        raise IsaError("vxm: types and groups must list the four type field values")
    for op in isa["ops"]:
        if op["unit"] != "vxm":
            continue
        name = op["name"]
        for t in op.get("types", []):
            if t not in vxm["types"]:
                raise IsaError(f"op {name}: unknown VXM type {t}")
        fields = {f["name"] for f in isa["formats"][op["format"]]["fields"]}
        for key, kind in op.get("operands", {}).items():
            if key not in ("srca", "srcb", "dst") or key not in fields:
                raise IsaError(f"op {name}: operand {key} is not a field of format {op['format']}")
            if kind not in VXM_KINDS[1:]:
                raise IsaError(f"op {name}: unknown operand kind {kind}")
        for pair in op.get("conversions", []):
            if len(pair) != 2 or any(t not in vxm["types"] for t in pair):
                raise IsaError(f"op {name}: bad conversion {pair}")
    codes = set()
    for err in isa["errors"]:
        if err["code"] in codes or not 0 <= err["code"] < 256:
            raise IsaError(f"error {err['name']}: code {err['code']} reused or out of 0..255")
        codes.add(err["code"])
    addr_field = next(f for f in isa["formats"]["addr"]["fields"] if f["name"] == "addr")
    stream_field = next(f for f in isa["formats"]["addr"]["fields"] if f["name"] == "stream")
    for cname, cfg in isa["configs"].items():
        if not isinstance(cfg.get("matrix", True), bool):
            raise IsaError(f"config {cname}: matrix must be true or false")
        for key in CONFIG_KEYS:
            if key not in cfg or cfg[key] < 1:
                raise IsaError(f"config {cname}: {key} missing or below 1")
        if cfg["mxm_dim"] > cfg["lanes"]:
            raise IsaError(f"config {cname}: mxm_dim {cfg['mxm_dim']} exceeds lanes {cfg['lanes']}")
        if cfg["lanes"] % 4:
            raise IsaError(f"config {cname}: lanes {cfg['lanes']} is not a multiple of 4")
        if cfg["streams"] < 4 or cfg["streams"] > (1 << field_bits(stream_field)):
            raise IsaError(f"config {cname}: streams {cfg['streams']} outside 4..{1 << field_bits(stream_field)}")
        for key in ("mem_depth", "acc_depth"):
            if cfg[key] > (1 << field_bits(addr_field)):
                raise IsaError(f"config {cname}: {key} {cfg[key]} exceeds the addr field")
        # Queues: mxmw, mxma, one per MEM slice, sxm, one per VXM ALU.
        if cfg["mem_slices"] + 3 + cfg["vxm_alus"] > 64 or cfg["queue_depth"] > (1 << 16):
            raise IsaError(f"config {cname}: too many queues or queue entries for the host map")


def header(comment: str) -> str:
    return f"{comment} Generated by tools/gen_isa.py from {SOURCE}. Do not edit; run `make gen`.\n"


def gen_sv(isa) -> str:
    opc = isa["isa"]["opcode"]
    opw = opc["msb"] - opc["lsb"] + 1
    out = [header("//"), "// The tinylpu ISA: opcodes, instruction formats, timing, error codes, host map.\n",
           "package lpu_isa_pkg;\n\n"]
    out.append(f"  localparam int unsigned InstrWidth = {isa['isa']['width']};\n")
    out.append(f"  localparam int unsigned IsaVersion = {isa['isa']['version']};\n")
    for key, val in isa["timing"].items():
        out.append(f"  localparam int unsigned {camel(key)}Cycles = {val};\n")
    out.append("\n  // Opcodes\n  typedef enum logic [%d:0] {\n" % (opw - 1))
    ops = isa["ops"]
    for i, op in enumerate(ops):
        sep = "," if i + 1 < len(ops) else ""
        out.append(f"    OP_{op['name']} = {opw}'h{op['opcode']:02x}{sep}\n")
    out.append("  } opcode_e;\n\n")
    units = list(isa["units"].keys())
    uw = max(1, (len(units) - 1).bit_length())
    out.append("  // Queue kinds\n  typedef enum logic [%d:0] {\n" % (uw - 1))
    for i, u in enumerate(units):
        sep = "," if i + 1 < len(units) else ""
        out.append(f"    UNIT_{u.upper()} = {uw}'d{i}{sep}\n")
    out.append("  } unit_e;\n\n")
    errs = isa["errors"]
    out.append("  // Error codes (STATUS.err_code)\n  typedef enum logic [7:0] {\n")
    for i, e in enumerate(errs):
        sep = "," if i + 1 < len(errs) else ""
        out.append(f"    ERR_{e['name']} = 8'd{e['code']}{sep}\n")
    out.append("  } err_e;\n\n")
    out.append("  // Instruction formats\n")
    width = isa["isa"]["width"]
    for fname, fmt in isa["formats"].items():
        out.append(f"  typedef struct packed {{  // {fmt['doc']}\n")
        out.append("    opcode_e op;\n")
        pos = opc["lsb"] - 1
        rsvd = 0
        for f in sorted(fmt["fields"], key=lambda f: -f["msb"]):
            if f["msb"] < pos:
                out.append(f"    logic [{pos - f['msb'] - 1}:0] rsvd{rsvd};\n")
                rsvd += 1
            sign = " signed" if f.get("signed", False) else ""
            out.append(f"    logic{sign} [{field_bits(f) - 1}:0] {f['name']};\n")
            pos = f["lsb"] - 1
        if pos >= 0:
            out.append(f"    logic [{pos}:0] rsvd{rsvd};\n")
        out.append(f"  }} instr_{fname}_t;\n\n")
    assert opc["msb"] == width - 1, "formats assume the opcode sits at the top of the word"
    out.append("  // Queue kind that may issue each op (ICU ops issue from any queue).\n")
    out.append("  function automatic logic op_legal(logic [%d:0] op, unit_e unit);\n" % (opw - 1))
    out.append("    unique case (op)\n")
    for op in ops:
        if op["unit"] == "icu":
            out.append(f"      OP_{op['name']}: return 1'b1;\n")
        else:
            out.append(f"      OP_{op['name']}: return unit == UNIT_{op['unit'].upper()};\n")
    out.append("      default: return 1'b0;\n    endcase\n  endfunction\n\n")
    out.append("  // Ops in the addr format: Repeat re-issues add the stride to addr.\n")
    out.append("  function automatic logic op_has_addr(logic [%d:0] op);\n" % (opw - 1))
    out.append("    unique case (op)\n")
    addr_ops = [op for op in ops if op["format"] == "addr"]
    for op in addr_ops:
        out.append(f"      OP_{op['name']}: return 1'b1;\n")
    out.append("      default: return 1'b0;\n    endcase\n  endfunction\n\n")
    out.append("  // Ops with a second (index) stream operand, istream: always a group of one.\n")
    out.append("  function automatic logic op_has_istream(logic [%d:0] op);\n" % (opw - 1))
    out.append("    unique case (op)\n")
    for op in ops:
        if "istream" in {f["name"] for f in isa["formats"][op["format"]]["fields"]}:
            out.append(f"      OP_{op['name']}: return 1'b1;\n")
    out.append("      default: return 1'b0;\n    endcase\n  endfunction\n\n")
    out.append("  // Stream group size of each op with a stream operand (0 = none).\n")
    out.append("  function automatic int unsigned op_group(logic [%d:0] op);\n" % (opw - 1))
    out.append("    unique case (op)\n")
    for op in ops:
        fields = {f["name"] for f in isa["formats"][op["format"]]["fields"]}
        if "stream" in fields:
            out.append(f"      OP_{op['name']}: return {op.get('group', 1)};\n")
    out.append("      default: return 0;\n    endcase\n  endfunction\n\n")
    out.append("  // Stream group of an op whose flag is set, when the flag widens it (0 = it does not);\n"
               "  // its addr must then be a multiple of the group.\n")
    out.append("  function automatic int unsigned op_flag_group(logic [%d:0] op);\n" % (opw - 1))
    out.append("    unique case (op)\n")
    for op in ops:
        if "flag_group" in op:
            out.append(f"      OP_{op['name']}: return {op['flag_group']};\n")
    out.append("      default: return 0;\n    endcase\n  endfunction\n\n")
    out.append("  // Reserved bits of each op: the bits its format gives no field. A queue raises\n"
               "  // BAD_OPERAND for a word with any of them set.\n")
    out.append("  function automatic logic [%d:0] op_rsvd_mask(logic [%d:0] op);\n" % (width - 1, opw - 1))
    out.append("    unique case (op)\n")
    for op in ops:
        out.append(f"      OP_{op['name']}: return {width}'h{reserved_mask(isa, op):08x};\n")
    out.append("      default: return '0;\n    endcase\n  endfunction\n\n")
    out.append(gen_sv_vxm(isa, opw))
    out.append("  // Latencies, in cycles after the issue cycle\n")
    for op in ops:
        for key in LATENCY_KEYS:
            if key in op:
                out.append(f"  localparam int unsigned Lat{camel(op['name'])}{camel(key)} = {op[key]};\n")
    host = isa["host"]
    rw = host["region_msb"] - host["region_lsb"] + 1
    out.append("\n  // Host port map\n")
    out.append(f"  localparam int unsigned HostRegionMsb = {host['region_msb']};\n")
    out.append(f"  localparam int unsigned HostRegionLsb = {host['region_lsb']};\n")
    for r in host["regions"]:
        out.append(f"  localparam logic [{rw - 1}:0] HOST_REGION_{r['name']} = {rw}'d{r['id']};\n")
    for r in host["regs"]:
        out.append(f"  localparam logic [7:0] HOST_REG_{r['name']} = 8'h{r['addr']:02x};\n")
    out.append("  localparam logic [31:0] HostId = 32'h4c505531;\n")
    out.append("\nendpackage\n")
    return "".join(out)


def vxm_group_expr(kind: str, groups, field: str) -> str:
    """SV expression for the group size of an operand of `kind`."""
    if kind == "type" or kind == "stype":
        sel = "ty" if kind == "type" else "sty"
        return f"vxm_type_group({sel})"
    if kind == "i32":
        return str(groups[2])
    if kind == "u16":
        return "2"
    raise IsaError(f"bad operand kind {kind} for {field}")


def reserved_mask(isa, op) -> int:
    """The bits of op's instruction word that neither the opcode nor a field of its format covers."""
    width = isa["isa"]["width"]
    opc = isa["isa"]["opcode"]
    covered = ((1 << (opc["msb"] - opc["lsb"] + 1)) - 1) << opc["lsb"]
    for f in isa["formats"][op["format"]]["fields"]:
        covered |= ((1 << field_bits(f)) - 1) << f["lsb"]
    return ~covered & ((1 << width) - 1)


def gen_sv_vxm(isa, opw) -> str:
    vxm = isa["vxm"]
    types = vxm["types"]
    ops = [op for op in isa["ops"] if op["unit"] == "vxm"]
    out = ["  // VXM: types, operand encodings and the checks of each VXM op.\n"]
    out.append("  typedef enum logic [1:0] {\n")
    for i, t in enumerate(types):
        sep = "," if i + 1 < len(types) else ""
        out.append(f"    VT_{t.upper()} = 2'd{i}{sep}\n")
    out.append("  } vxm_type_e;\n\n")
    out.append(f"  localparam int unsigned VxmStreamBit = {vxm['stream_bit']};\n")
    out.append(f"  localparam logic [6:0] VXM_SRC_PREV = 7'd{vxm['src_prev']};\n")
    out.append(f"  localparam logic [6:0] VXM_SRC_SELF = 7'd{vxm['src_self']};\n")
    out.append(f"  localparam logic [6:0] VXM_SRC_IMM = 7'd{vxm['src_imm']};\n")
    for i, r in enumerate(vxm["config_regs"]):
        out.append(f"  localparam logic [3:0] VXM_CFG_{r} = 4'd{i};\n")
    out.append(f"  localparam int unsigned VxmConfigRegs = {len(vxm['config_regs'])};\n")
    out.append(f"  localparam int unsigned VxmQshiftMax = {vxm['qshift_max']};\n\n")
    out.append("  function automatic int unsigned vxm_type_group(logic [1:0] ty);\n    unique case (ty)\n")
    for i, g in enumerate(vxm["groups"]):
        out.append(f"      2'd{i}: return {g};\n")
    out.append("      default: return 0;\n    endcase\n  endfunction\n\n")
    out.append("  // Is (type, stype) legal for a VXM op? (stype only matters for conversions)\n")
    out.append(f"  function automatic logic vxm_type_ok(logic [{opw - 1}:0] op, logic [1:0] ty, "
               "logic [1:0] sty);\n    unique case (op)\n")
    for op in ops:
        if "conversions" in op:
            conds = " || ".join(f"(ty == 2'd{types.index(a)} && sty == 2'd{types.index(b)})"
                                for a, b in op["conversions"])
            out.append(f"      OP_{op['name']}: return {conds};\n")
        else:
            conds = " || ".join(f"ty == 2'd{types.index(t)}" for t in op["types"])
            out.append(f"      OP_{op['name']}: return {conds};\n")
    out.append("      default: return 1'b0;\n    endcase\n  endfunction\n\n")
    for key, field in (("srca", "a"), ("srcb", "b"), ("dst", "dst")):
        uses_sty = any(op.get("operands", {}).get(key) == "stype" for op in ops)
        sty_arg = ", logic [1:0] sty" if uses_sty else ""
        out.append(f"  // Stream group of operand {field} (0 = the op has no {field}).\n")
        out.append(f"  function automatic int unsigned vxm_{field}_group(logic [{opw - 1}:0] op, "
                   f"logic [1:0] ty{sty_arg});\n    unique case (op)\n")
        for op in ops:
            kind = op.get("operands", {}).get(key)
            if kind:
                out.append(f"      OP_{op['name']}: return {vxm_group_expr(kind, vxm['groups'], field)};\n")
        out.append("      default: return 0;\n    endcase\n  endfunction\n\n")
    out.append("  // CONFIG registers of each queue kind's slice (0 = CONFIG is BAD_OPERAND).\n")
    out.append("  function automatic int unsigned unit_config_regs(unit_e unit);\n    unique case (unit)\n")
    for u, info in isa["units"].items():
        if info.get("config_regs", 0):
            out.append(f"      UNIT_{u.upper()}: return {info['config_regs']};\n")
    out.append("      default: return 0;\n    endcase\n  endfunction\n\n")
    return "".join(out)


def gen_cpp(isa) -> str:
    opc = isa["isa"]["opcode"]
    out = [header("//"), "// The tinylpu ISA tables for C++: opcodes, formats, timing, errors, host map, configs.\n",
           "#pragma once\n\n#include <array>\n#include <cstdint>\n#include <string_view>\n\n",
           "namespace tinylpu::isa {\n\n"]
    out.append(f"inline constexpr int kInstrWidth = {isa['isa']['width']};\n")
    out.append(f"inline constexpr int kIsaVersion = {isa['isa']['version']};\n")
    out.append(f"inline constexpr int kOpcodeMsb = {opc['msb']};\n")
    out.append(f"inline constexpr int kOpcodeLsb = {opc['lsb']};\n")
    for key, val in isa["timing"].items():
        out.append(f"inline constexpr int k{camel(key)}Cycles = {val};\n")
    out.append("\nenum class Op : uint8_t {\n")
    for op in isa["ops"]:
        out.append(f"  k{camel(op['name'])} = 0x{op['opcode']:02x},\n")
    out.append("};\n\nenum class Unit : uint8_t {\n")
    for u in isa["units"]:
        out.append(f"  k{camel(u)},\n")
    out.append("};\n\nenum class Format : uint8_t {\n")
    for f in isa["formats"]:
        out.append(f"  k{camel(f)},\n")
    out.append("};\n\nenum class Err : uint8_t {\n")
    for e in isa["errors"]:
        out.append(f"  k{camel(e['name'])} = {e['code']},\n")
    out.append("};\n\n")
    out.append("struct FieldInfo {\n  std::string_view name;\n  int msb;\n  int lsb;\n  bool is_signed;\n"
               "  int64_t min;\n  int64_t max;\n};\n\n")
    max_fields = max(len(fmt["fields"]) for fmt in isa["formats"].values())
    max_syntax = max(len(op["syntax"]) for op in isa["ops"])
    out.append(f"inline constexpr int kMaxFields = {max_fields};\n")
    out.append(f"inline constexpr int kMaxSyntax = {max_syntax};\n\n")
    out.append("struct FormatInfo {\n  std::string_view name;\n  std::array<FieldInfo, kMaxFields> fields;\n"
               "  int num_fields;\n};\n\n")
    out.append("inline constexpr std::array<FormatInfo, %d> kFormats = {{\n" % len(isa["formats"]))
    for fname, fmt in isa["formats"].items():
        items = []
        for f in fmt["fields"]:
            lo, hi = field_range(f)
            signed = "true" if f.get("signed", False) else "false"
            items.append(f"FieldInfo{{\"{f['name']}\", {f['msb']}, {f['lsb']}, {signed}, {lo}, {hi}}}")
        out.append(f"    {{\"{fname}\", {{{{{', '.join(items)}}}}}, {len(fmt['fields'])}}},\n")
    out.append("}};\n\n")
    out.append("struct OpInfo {\n  Op op;\n  std::string_view name;\n  Format format;\n  Unit unit;\n"
               "  std::array<std::string_view, kMaxSyntax> syntax;\n  int num_syntax;\n  std::string_view flag;\n"
               "  int group;\n  int flag_group;\n  int stream_in;\n  int stream_out;\n};\n\n")
    out.append("inline constexpr std::array<OpInfo, %d> kOps = {{\n" % len(isa["ops"]))
    for op in isa["ops"]:
        syn = list(op["syntax"]) + [""] * (max_syntax - len(op["syntax"]))
        syn_s = ", ".join(f'"{s}"' for s in syn)
        out.append(f"    {{Op::k{camel(op['name'])}, \"{op['name']}\", Format::k{camel(op['format'])}, "
                   f"Unit::k{camel(op['unit'])}, {{{{{syn_s}}}}}, {len(op['syntax'])}, \"{op.get('flag', '')}\", "
                   f"{op.get('group', 0)}, {op.get('flag_group', 0)}, {op.get('stream_in', 0)}, "
                   f"{op.get('stream_out', 0)}}},\n")
    out.append("}};\n\n")
    out.append("// Latencies, in cycles after the issue cycle.\n")
    for op in isa["ops"]:
        for key in LATENCY_KEYS:
            if key in op:
                out.append(f"inline constexpr int kLat{camel(op['name'])}{camel(key)} = {op[key]};\n")
    out.append(gen_cpp_vxm(isa))
    out.append("\nstruct ErrInfo {\n  Err err;\n  std::string_view name;\n  std::string_view doc;\n};\n\n")
    out.append("inline constexpr std::array<ErrInfo, %d> kErrors = {{\n" % len(isa["errors"]))
    for e in isa["errors"]:
        out.append(f"    {{Err::k{camel(e['name'])}, \"{e['name']}\", \"{e['doc']}\"}},\n")
    out.append("}};\n\n")
    host = isa["host"]
    out.append("// Host port map.\n")
    out.append(f"inline constexpr int kHostRegionLsb = {host['region_lsb']};\n")
    for r in host["regions"]:
        out.append(f"inline constexpr uint32_t kHostRegion{camel(r['name'])} = {r['id']};\n")
    for r in host["regs"]:
        out.append(f"inline constexpr uint32_t kHostReg{camel(r['name'])} = 0x{r['addr']:02x};\n")
    out.append("inline constexpr uint32_t kHostId = 0x4c505531;\n\n")
    out.append("struct NamedConfig {\n  std::string_view name;\n")
    for key in CONFIG_KEYS:
        out.append(f"  int {key};\n")
    out.append("  // In the test matrix (ConfigNames()); false for a device configuration.\n")
    out.append("  bool matrix;\n")
    out.append("};\n\n")
    out.append("inline constexpr std::array<NamedConfig, %d> kConfigs = {{\n" % len(isa["configs"]))
    for cname, cfg in isa["configs"].items():
        vals = ", ".join(str(cfg[k]) for k in CONFIG_KEYS)
        matrix = "true" if cfg.get("matrix", True) else "false"
        out.append(f"    {{\"{cname}\", {vals}, {matrix}}},\n")
    out.append("}};\n\n}  // namespace tinylpu::isa\n")
    return "".join(out)


def gen_cpp_vxm(isa) -> str:
    vxm = isa["vxm"]
    types = vxm["types"]
    out = ["\n// VXM: types (the type/stype field values), operand encodings and per-op operand kinds.\n"]
    out.append("enum class VxmType : uint8_t {\n")
    for i, t in enumerate(types):
        out.append(f"  k{t.upper()} = {i},\n")
    out.append("};\n")
    out.append("inline constexpr std::array<std::string_view, 4> kVxmTypeNames = {{"
               + ", ".join(f'"{t}"' for t in types) + "}};\n")
    out.append("inline constexpr std::array<int, 4> kVxmTypeGroups = {{"
               + ", ".join(str(g) for g in vxm["groups"]) + "}};\n")
    out.append(f"inline constexpr int kVxmStreamBit = {vxm['stream_bit']};\n")
    out.append(f"inline constexpr uint32_t kVxmSrcPrev = {vxm['src_prev']};\n")
    out.append(f"inline constexpr uint32_t kVxmSrcSelf = {vxm['src_self']};\n")
    out.append(f"inline constexpr uint32_t kVxmSrcImm = {vxm['src_imm']};\n")
    for i, r in enumerate(vxm["config_regs"]):
        out.append(f"inline constexpr uint32_t kVxmCfg{camel(r)} = {i};\n")
    out.append(f"inline constexpr int kVxmConfigRegs = {len(vxm['config_regs'])};\n")
    out.append(f"inline constexpr int kVxmQshiftMax = {vxm['qshift_max']};\n\n")
    out.append("// How an operand's type is given: none (no such operand), the type field, the stype\n"
               "// field, or fixed (int32, unsigned 16-bit).\n")
    out.append("enum class VxmKind : uint8_t { " + ", ".join(f"k{camel(k)}" for k in VXM_KINDS) + " };\n\n")
    out.append("struct VxmOpInfo {\n  Op op;\n  uint8_t types;  // bit t: type field value t is legal\n"
               "  VxmKind a;\n  VxmKind b;\n  VxmKind dst;\n};\n\n")
    ops = [op for op in isa["ops"] if op["unit"] == "vxm"]
    out.append(f"inline constexpr std::array<VxmOpInfo, {len(ops)}> kVxmOps = {{{{\n")
    for op in ops:
        mask = 0
        for t in op.get("types", []):
            mask |= 1 << types.index(t)
        kinds = [f"VxmKind::k{camel(op.get('operands', {}).get(f, 'none'))}" for f in ("srca", "srcb", "dst")]
        out.append(f"    {{Op::k{camel(op['name'])}, 0x{mask:x}, {', '.join(kinds)}}},\n")
    out.append("}};\n\n")
    convs = [pair for op in ops for pair in op.get("conversions", [])]
    out.append("// Legal VCVT (result type, source type) pairs.\n")
    out.append(f"inline constexpr std::array<std::array<VxmType, 2>, {len(convs)}> kVxmConversions = {{{{\n")
    for a, b in convs:
        out.append(f"    {{{{VxmType::k{a.upper()}, VxmType::k{b.upper()}}}}},\n")
    out.append("}};\n\n")
    out.append("// CONFIG registers of each queue kind's slice (indexed by Unit; 0 = none).\n")
    regs = ", ".join(str(info.get("config_regs", 0)) for info in isa["units"].values())
    out.append(f"inline constexpr std::array<int, {len(isa['units'])}> kUnitConfigRegs = {{{{{regs}}}}};\n")
    return "".join(out)


SV_PARAMS = {"lanes": "NumLanes", "streams": "NumStreams", "mem_slices": "NumMemSlices",
             "mem_depth": "MemDepth", "mxm_dim": "MxmDim", "acc_depth": "AccDepth",
             "queue_depth": "QueueDepth", "vxm_alus": "VxmAlus"}


def gen_cmake(isa) -> str:
    out = [header("#"), "# Named core configurations and their lpu_top parameters.\n"]
    matrix = [c for c, cfg in isa["configs"].items() if cfg.get("matrix", True)]
    out.append("# LPU_CONFIGS: the test matrix; LPU_ALL_CONFIGS adds the device configurations.\n")
    out.append(f"set(LPU_CONFIGS {' '.join(matrix)})\n")
    out.append(f"set(LPU_ALL_CONFIGS {' '.join(isa['configs'])})\n")
    for cname, cfg in isa["configs"].items():
        params = " ".join(f"-G{SV_PARAMS[k]}={cfg[k]}" for k in CONFIG_KEYS)
        out.append(f"set(LPU_CONFIG_{cname}_PARAMS {params})\n")
    return "".join(out)


def gen_md(isa) -> str:
    opc = isa["isa"]["opcode"]
    out = ["<!-- " + header("").strip() + " -->\n\n", "# tinylpu instruction set\n\n"]
    out.append(f"Instructions are {isa['isa']['width']} bits; the opcode is bits "
               f"{opc['msb']}:{opc['lsb']}. Every queue issues at most one instruction per cycle. "
               f"An instruction issued (fetched) in cycle *t* reaches its slice in cycle "
               f"*t*+{isa['timing']['dispatch']}; the latencies below count from *t*. After the last "
               f"queue finishes, the core runs {isa['timing']['drain']} more cycles and raises done.\n\n")
    out.append("## Operations\n\n| op | opcode | queue kind | format | assembly | latency | semantics |\n"
               "|---|---|---|---|---|---|---|\n")
    for op in isa["ops"]:
        syn = ", ".join(f"{'' if s == 'stream' else s + ':'}E&lt;s&gt;/W&lt;s&gt;"
                        if s in STREAM_OPERANDS else s for s in op["syntax"])
        fields = {f["name"] for f in isa["formats"][op["format"]]["fields"]}
        extras = []
        if "stride" in fields:
            extras.append("[, stride=k]")
        if "group" in fields:
            extras.append("[, group=2&#124;4]")
        if "flag" in op:
            extras.append(f"[, {op['flag']}]")
        mnemonic = op["name"]
        if "vtype" in fields:
            mnemonic += ".&lt;type&gt;" + (".&lt;stype&gt;" if "stype" in fields else "")
        asm = f"`{mnemonic} {syn}{''.join(extras)}`".replace("  ", " ").replace(" `", "`")
        lat = "; ".join(f"{k.replace('_', ' ')} {op[k]}" for k in LATENCY_KEYS if k in op and op[k])
        if op.get("group", 1) > 1:
            lat += f"; group of {op['group']} streams"
        if "flag_group" in op:
            lat += f"; with `{op['flag']}`: group of {op['flag_group']} streams"
        if "group" in fields:
            lat += "; group of 1, 2 or 4 streams"
        doc = " ".join(op["doc"].split())
        out.append(f"| {op['name']} | 0x{op['opcode']:02x} | {op['unit']} | {op['format']} | {asm} | "
                   f"{lat or '-'} | {doc} |\n")
    out.append(gen_md_vxm(isa))
    out.append("\n## Formats\n\nBits that neither the opcode nor a field of the op's format covers are "
               "reserved and must be 0: a queue that fetches (or re-issues) a word with a reserved bit set "
               "raises BAD_OPERAND instead of executing it, whatever the op (SYNC and NOTIFY included).\n\n")
    for fname, fmt in isa["formats"].items():
        out.append(f"**{fname}**: {fmt['doc']}\n\n| field | bits | range | meaning |\n|---|---|---|---|\n")
        out.append(f"| opcode | {opc['msb']}:{opc['lsb']} | | |\n")
        for f in fmt["fields"]:
            lo, hi = field_range(f)
            out.append(f"| {f['name']} | {f['msb']}:{f['lsb']} | {lo}..{hi} | {f['doc']} |\n")
        out.append("\n")
    out.append("## Queue kinds\n\n| kind | role |\n|---|---|\n")
    for u, info in isa["units"].items():
        out.append(f"| {u} | {info['doc']} |\n")
    out.append("\n## Error codes\n\n| code | name | meaning |\n|---|---|---|\n")
    for e in isa["errors"]:
        out.append(f"| {e['code']} | {e['name']} | {e['doc']} |\n")
    host = isa["host"]
    out.append(f"\n## Host port\n\nWord-addressed 32-bit bus; addr[{host['region_msb']}:{host['region_lsb']}] "
               "selects the region.\n\n| region | id | layout |\n|---|---|---|\n")
    for r in host["regions"]:
        out.append(f"| {r['name']} | {r['id']} | {r['doc']} |\n")
    out.append("\n| register | addr | access | meaning |\n|---|---|---|---|\n")
    for r in host["regs"]:
        count = f" (x{r['count']})" if "count" in r else ""
        out.append(f"| {r['name']}{count} | 0x{r['addr']:02x} | {r['access']} | {r['doc']} |\n")
    out.append("\n## Named configurations\n\n| name | " + " | ".join(CONFIG_KEYS) + " | |\n|---|"
               + "---|" * (len(CONFIG_KEYS) + 1) + "\n")
    for cname, cfg in isa["configs"].items():
        device = "" if cfg.get("matrix", True) else " (device configuration: not in the test matrix)"
        out.append(f"| {cname} | " + " | ".join(str(cfg[k]) for k in CONFIG_KEYS)
                   + f" | {cfg['doc']}{device} |\n")
    return "".join(out)


def gen_md_vxm(isa) -> str:
    vxm = isa["vxm"]
    out = ["\n## VXM operands and types\n\n"]
    out.append("Type (and stype) field values: " + ", ".join(
        f"{i} = {t} (group of {g})" for i, (t, g) in enumerate(zip(vxm["types"], vxm["groups"])))
        + ". A source field (srca, srcb) is 7 bits: bit " + str(vxm["stream_bit"])
        + " set = a stream group (bit 5 the direction, 0 = E, 1 = W; bits 4:0 the base stream), "
        f"else {vxm['src_prev']} = PREV (R[k-1], the previous ALU's result; BAD_OPERAND on ALU 0), "
        f"{vxm['src_self']} = SELF (R[k]), {vxm['src_imm']} = IMM (the ALU's immediate register); "
        "other values are BAD_OPERAND. The dst field is a stream group the same way, or 0 = no drive "
        "(the result stays in R[k]). Assembly: `VADD.f32 W4, E0, SELF`, `VCVT.i32.f32 -, PREV`; "
        "dst is E&lt;s&gt;, W&lt;s&gt; or -, sources E&lt;s&gt;, W&lt;s&gt;, PREV, SELF or IMM. "
        "CONFIG registers of a VXM ALU: " + ", ".join(
            f"{i} = {r}" for i, r in enumerate(vxm["config_regs"])) + ".\n\n")
    out.append("| op | types | srca | srcb | dst |\n|---|---|---|---|---|\n")
    for op in isa["ops"]:
        if op["unit"] != "vxm":
            continue
        opnds = op.get("operands", {})
        types = ", ".join(op["types"])
        if "conversions" in op:
            types = ", ".join(f"{a}&lt;-{b}" for a, b in op["conversions"])
        out.append(f"| {op['name']} | {types} | {opnds.get('srca', '-')} | {opnds.get('srcb', '-')} | "
                   f"{opnds.get('dst', '-')} |\n")
    return "".join(out)


GENERATORS = {"sv": gen_sv, "cpp": gen_cpp, "cmake": gen_cmake, "md": gen_md}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a committed output is stale")
    parser.add_argument("--source", default=str(ROOT / SOURCE), help="ISA description to read")
    parser.add_argument("--out-dir", default=str(ROOT), help="where to write (or check) the outputs")
    args = parser.parse_args()
    try:
        with open(args.source, "rb") as f:
            isa = tomllib.load(f)
        validate(isa)
    except (IsaError, tomllib.TOMLDecodeError, KeyError) as e:
        print(f"{args.source}: error: {e}", file=sys.stderr)
        return 2
    stale = []
    for key, rel in OUTPUTS.items():
        text = GENERATORS[key](isa)
        path = pathlib.Path(args.out_dir) / rel
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
    if stale:
        print("stale generated files (run `make gen` and commit): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
