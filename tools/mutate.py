#!/usr/bin/env python3
"""`make mutate`: does the random regression catch bugs? Applies each RTL mutation below to a
copy of rtl/ (build-mutate/rtl; the source tree is never touched), rebuilds the small-config
Verilated model in build-mutate, and runs the random regression (verif_tests on `small`:
legal programs, illegal programs per error code, random initial values), then the directed RTL
tests. A mutant is caught by the first test that fails (an assertion, a lockstep divergence, a
wrong error or cycle count); its failure report is kept in build-mutate/mutant_<name>.log, and
the table says where the report points: the cycle, the lane and the instruction it names.
Prints a Markdown table (also written to build-mutate/mutations.md) for docs/verification.md.

To add a mutation, append (name, file, old, new, what) to MUTATIONS: `old` must occur exactly
once in rtl/<file>.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MUTATIONS = [
    ("hop_west_edge", "lpu_stream_fabric.sv",
     "if (p == NumPos - 1) begin : gen_west_edge", "if (p >= NumPos - 2) begin : gen_west_edge",
     "off-by-one at the west-going edge: the last position's westward drives are lost"),
    ("hop_east_stream", "lpu_stream_fabric.sv",
     "drive_i[p-1][DirE][s]  ? data_i[p-1][DirE][s]",
     "drive_i[p-1][DirE][s]  ? data_i[p-1][DirE][(s+1)%NumStreams]",
     "an eastward hop takes the neighbouring stream's data"),
    ("mem_addr_bit", "lpu_mem_slice.sv",
     "assign a_row      = instr.addr[AddrWidth-2:2];",
     "assign a_row      = instr.addr[AddrWidth-2:2] & ~RowWidth'(1);",
     "MEM address bit 2 stuck at 0 for READ/WRITE (the row of a sub-bank)"),
    ("mem_write_dir", "lpu_mem_slice.sv",
     "? present_i[instr.dir][StreamIdxWidth'(instr.stream) + (a_quad",
     "? present_i[1'b0][StreamIdxWidth'(instr.stream) + (a_quad",
     "WRITE always samples the eastward stream"),
    # MEM quad (READ/WRITE `quad`: four aligned words on streams s..s+3)
    ("quad_write_stream_j", "lpu_mem_slice.sv",
     "(a_quad ? StreamIdxWidth'(j) : '0)][l]", "'0][l]",
     "WRITE quad stores stream s into all four words instead of stream s+j into word a+j"),
    ("quad_write_one_sub", "lpu_mem_slice.sv",
     "assign a_hit   = a_go && (a_quad || a_sub == 2'(j));",
     "assign a_hit   = a_go && (a_sub == 2'(j));",
     "WRITE quad writes only its first word (the other sub-banks keep their data)"),
    ("quad_read_sub_bank", "lpu_mem_slice.sv",
     "rd_code[j][l] = ram_rdata[l][rd_bank_q][rd_quad_q ? 2'(j) : rd_sub_q];",
     "rd_code[j][l] = ram_rdata[l][rd_bank_q][rd_quad_q ? 2'(j ^ 1) : rd_sub_q];",
     "READ quad drives words a+1, a, a+3, a+2 (wrong sub-bank per stream)"),
    ("quad_read_three", "lpu_mem_slice.sv",
     "&& (s < int'(rd_stream_q) + (rd_quad_q ? 4 : 1));",
     "&& (s < int'(rd_stream_q) + (rd_quad_q ? 3 : 1));",
     "READ quad drives only three of its four streams"),
    ("repeat_stride_dropped", "lpu_icu_queue.sv",
     "reissue_instr.addr.addr = strided_addr[12:0];", "reissue_instr.addr.addr = last.addr.addr;",
     "REPEAT re-issues without the stride"),
    ("repeat_first_wait", "lpu_icu_queue.sv",
     "wait_d     = WaitWidth'(fetch.rpt.d) - WaitWidth'(2);",
     "wait_d     = WaitWidth'(fetch.rpt.d) - WaitWidth'(1);",
     "REPEAT's first re-issue one cycle late"),
    ("nop_off_by_one", "lpu_icu_queue.sv",
     "wait_d = fetch.count.n - 1'b1;", "wait_d = fetch.count.n;",
     "NOP n waits n+1 cycles"),
    ("sync_same_cycle", "lpu_icu_queue.sv",
     "parked_d = !release_i;", "parked_d = 1'b1;",
     "a SYNC fetched in the NOTIFY's cycle is not released"),
    ("wrong_error_code", "lpu_icu_queue.sv",
     "              seq_err = ERR_BAD_OPERAND;\n            end else begin\n              wait_d",
     "              seq_err = ERR_ADDR_RANGE;\n            end else begin\n              wait_d",
     "NOP 0 reports ADDR_RANGE instead of BAD_OPERAND"),
    ("acc_byte_plane", "lpu_mxm.sv",
     "data_o[d][s]  = plane[b];", "data_o[d][s]  = plane[~b];",
     "ACC drives the byte planes in reverse order"),
    ("abc_acc_flag_stuck", "lpu_mxm.sv",
     "assign s1_acc_d   = do_abc ? a_instr.flag : s1_acc_q;",
     "assign s1_acc_d   = do_abc ? 1'b0 : s1_acc_q;",
     "ABC's acc flag stuck at 0 (never accumulates)"),
    ("error_priority", "lpu_ctrl.sv",
     "for (int q = int'(NumQueues) - 1; q >= 0; q--) begin",
     "for (int q = 0; q < int'(NumQueues); q++) begin",
     "the highest queue with an error wins instead of the lowest"),
    ("drain_short", "lpu_ctrl.sv",
     "if (int'(drain_q) == DrainCycles - 1) begin", "if (int'(drain_q) == DrainCycles - 2) begin",
     "one drain cycle fewer"),
    # VXM
    ("vxm_vadd_is_vsub", "lpu_vxm_alu.sv",
     "result_o = narrow(ty_i, (op_i == OP_VSUB) ? na - nb : na + nb);",
     "result_o = narrow(ty_i, na - nb);",
     "integer VADD computes VSUB"),
    ("fp32_round_ties_up", "lpu_fp32_add.sv",
     "assign round_up  = (norm[8:0] > 9'h100) || ((norm[8:0] == 9'h100) && norm[9]);",
     "assign round_up  = (norm[8:0] >= 9'h100);",
     "fp32 VADD/VSUB round ties away from zero instead of to even"),
    ("fmul_truncates", "lpu_vxm_alu.sv",
     "fmul_up   = (prod[22:0] > 23'h40_0000) || ((prod[22:0] == 23'h40_0000) && prod[23]);",
     "fmul_up   = 1'b0;",
     "fp32 VMUL truncates instead of rounding (products of significands below 2)"),
    ("i2f_ties_up", "lpu_vxm_alu.sv",
     "up   = (norm[7:0] > 8'h80) || ((norm[7:0] == 8'h80) && norm[8]);",
     "up   = (norm[7:0] >= 8'h80);",
     "VCVT int32 -> fp32 rounds ties away from zero instead of to even"),
    ("vreq_no_rounding", "lpu_vxm_alu.sv",
     "rq_sum = $signed({prod[47], prod[47:0]}) + (49'sd1 <<< (qshift_i - 6'd1));",
     "rq_sum = $signed({prod[47], prod[47:0]});",
     "VREQ drops the rounding term 2^(S-1)"),
    ("vxm_prev_is_self", "lpu_vxm.sv",
     "a_val[l] = (ins.srca == VXM_SRC_PREV) ? prev[l] :",
     "a_val[l] = (ins.srca == VXM_SRC_PREV) ? r_q[l] :",
     "source a = PREV reads the ALU's own result register"),
    ("vxm_conflict_missed", "lpu_vxm.sv",
     "          conflict_o[j] = 1'b1;", "          conflict_o[j] = 1'b0;",
     "two VXM ALUs driving one stream raise no STREAM_CONFLICT"),
    # MEM: banks, GATHER/SCATTER, ECC
    ("rw_bank_select", "lpu_mem_slice.sv",
     "assign a_bank     = instr.addr[AddrWidth-1];", "assign a_bank     = instr.addr[AddrWidth-2];",
     "READ/WRITE select the bank by the wrong address bit"),
    ("gather_bank_select", "lpu_mem_slice.sv",
     "b_bank[l] = b_addr_q[l][AddrWidth-1];", "b_bank[l] = b_addr_q[l][AddrWidth-2];",
     "GATHER/SCATTER lanes select the bank by the wrong address bit"),
    ("gather_lane_addr", "lpu_mem_slice.sv",
     "lane_addr[l] = LaneAddrWidth'(ginstr.addr) + LaneAddrWidth'(idx[l]);",
     "lane_addr[l] = LaneAddrWidth'(ginstr.addr) + LaneAddrWidth'(idx[(l + 1) % NumLanes]);",
     "a GATHER/SCATTER lane uses its neighbour's index"),
    ("bank_conflict_missed", "lpu_mem_slice.sv",
     "assign conflict  = a_access && b_any && (b_bank != {NumLanes{!a_bank}});",
     "assign conflict  = 1'b0;",
     "BANK_CONFLICT never raised (both accesses go ahead)"),
    ("ecc_correction_dropped", "lpu_secded_dec.sv",
     "assign data_o[i] = data[i] ^ (odd && int'(syndrome) == Pos);", "assign data_o[i] = data[i];",
     "a single-bit error is counted but not corrected"),
    ("ecc_double_missed", "lpu_secded_dec.sv",
     "assign double_o  = (!odd && syndrome != '0) || (odd && !known_pos);",
     "assign double_o  = 1'b0;",
     "a double-bit error is not detected (no ECC_UNCORRECTABLE)"),
    # SXM
    ("sxm_shift_off_by_one", "lpu_sxm.sv",
     "src = shift.flag ? 9'(l) + n : 9'(l) - n;", "src = shift.flag ? 9'(l) + n : 9'(l) - n - 9'sd1;",
     "SHIFT/ROTATE up move the lanes one too far"),
    ("sxm_shift_edge", "lpu_sxm.sv",
     "zero[l] = (src < 0) || (src >= Lanes);", "zero[l] = (src < 0) || (src > Lanes);",
     "SHIFT down keeps the first lane past the end instead of zero"),
    ("select_mask_inverted", "lpu_sxm.sv",
     "res_d[k][l] = (mask[l] != 8'h00) ? src_a[k][l] : src_b[k][l];",
     "res_d[k][l] = (mask[l] == 8'h00) ? src_a[k][l] : src_b[k][l];",
     "SELECT picks b where the mask is set"),
    ("transpose_column", "lpu_sxm_transpose.sv",
     "out_d[k][r] = {8'h00, out_q[k][r][NumLanes-1:1]};",
     "out_d[k][r] = {8'h00, out_q[k][r][NumLanes-1:2], out_q[k][r][0]};",
     "TRANSPOSE's second output column repeats the first's lane 0"),
    ("unit_busy_missed", "lpu_sxm.sv",
     "end else if (do_transpose && t_busy) begin", "end else if (1'b0) begin",
     "a TRANSPOSE while the last one captures raises no UNIT_BUSY"),
    # ICU: IFETCH
    ("ifetch_word_order", "lpu_icu_queue.sv",
     "assign wdata      = append ? fetched[4 * int'(j) +: 4] : host_wdata_i;",
     "assign wdata      = append ? fetched[4 * (int'(FetchWords) - 1 - int'(j)) +: 4] : host_wdata_i;",
     "IFETCH appends the words of a vector in reverse order"),
    ("ifetch_overflow_edge", "lpu_icu_queue.sv",
     "overflow  = ifetch_q && !start_i && (int'(unfetched) + FetchWords > QueueDepth);",
     "overflow  = ifetch_q && !start_i && (int'(unfetched) + FetchWords >= QueueDepth);",
     "QUEUE_OVERFLOW raised one entry early"),
]

# Regression steps, in order; the first failing one catches the mutant.
STEPS = [
    ("verif_tests", "*RandomLockstepTest.LegalProgramsAgree/small"),
    ("verif_tests", "*RandomLockstepTest.IllegalProgramsTripEachError/small"),
    ("verif_tests", "*XInitTest*small_x1"),
    ("rtl_tests", "*small*"),
]


def locate(output):
    """Where the first failure message puts the bug: (cycle, lane, instruction, excerpt).

    The lockstep report names the cycle in its first line, then what differs (stream, lane,
    values) and the instruction responsible; an error-status difference names the field and
    both values; an RTL assertion names its message and the illegal program's error cycle. Any
    of the first three is None when the message lacks it."""
    text = output
    start = text.find("lockstep divergence in cycle")
    if start < 0:
        start = text.find("%Error:")
    if start < 0:
        start = text.find("Failure")
    if start < 0:
        return None, None, None, ""
    block = text[start:start + 1500]
    end = block.find("replay:")
    if end > 0:
        block = block[:end]
    cycle = re.search(r"lockstep divergence in cycle (\d+)|at cycle (\d+)", block)
    lane = re.search(r"lane (\d+)|every lane", block)
    instr = re.search(r"`([^`]+)`", block)
    excerpt = " ".join(block.split())[:220]
    return (next(g for g in cycle.groups() if g) if cycle else None,
            (lane.group(1) or "every") if lane else None,
            instr.group(1) if instr else None, excerpt)


def what_differs(output):
    """For a failure that names no instruction: the assertion's message, the status field that
    differs, or the first line of the lockstep report after its heading."""
    m = re.search(r"Assertion failed in \S+: ([^\n]+)", output)
    if m:
        return f"SVA: {m.group(1).strip()}"
    m = re.search(r"Expected equality of these values:\s+(\S+)\s+Which is: (\S+)\s+(\S+)\s+"
                  r"Which is: (\S+)", output)
    if m:
        return f"{m.group(1).split('.')[-1]}: DUT {m.group(2)}, expected {m.group(4)}"
    m = re.search(r"lockstep divergence in cycle \d+ \([^)]*\):\n\s*([^\n]+)", output)
    return m.group(1).strip() if m else "?"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-mutate"))
    ap.add_argument("--venv", default=".venv")
    ap.add_argument("--only", help="regex of mutation names to run")
    ap.add_argument("--budget", type=int, default=3600, help="seconds for all mutants")
    ap.add_argument("--jobs", default="2")
    args = ap.parse_args()
    venv = args.venv if os.path.isabs(args.venv) else os.path.join(ROOT, args.venv)
    # Lockstep divergences write their wave window here, next to the mutant's log.
    os.environ.setdefault("LPU_WAVE_DIR", os.path.abspath(args.build))
    rtl = os.path.join(args.build, "rtl")
    os.makedirs(args.build, exist_ok=True)
    if not os.path.exists(os.path.join(args.build, "build.ninja")):
        shutil.rmtree(rtl, ignore_errors=True)
        shutil.copytree(os.path.join(ROOT, "rtl"), rtl)
        r = sh(["cmake", "-S", ROOT, "-B", args.build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                "-C", os.path.join(venv, "toolchain.cmake"), f"-DLPU_RTL_DIR={rtl}",
                "-DLPU_RTL_CONFIGS=small", "-DLPU_COVERAGE_CONFIGS=", "-DLPU_BOARD_SIM=OFF"])
        if r.returncode:
            print(r.stdout[-3000:], r.stderr[-3000:])
            return 2
    selected = [m for m in MUTATIONS if not args.only or re.search(args.only, m[0])]
    rows, start, missed = [], time.time(), 0
    for name, fname, old, new, what in selected:
        if time.time() - start > args.budget:
            rows.append((name, what, "not run (budget)", "", "", 0))
            continue
        shutil.rmtree(rtl)
        shutil.copytree(os.path.join(ROOT, "rtl"), rtl)
        path = os.path.join(rtl, fname)
        text = open(path).read()
        if text.count(old) != 1:
            rows.append((name, what, f"STALE: pattern found {text.count(old)} times in {fname}", "", "", 0))
            missed += 1
            continue
        open(path, "w").write(text.replace(old, new))
        t0 = time.time()
        b = sh(["cmake", "--build", args.build, "-j", args.jobs, "--target", "verif_tests", "rtl_tests"])
        if b.returncode:
            rows.append((name, what, "caught", "build (Verilator rejects it)", "", time.time() - t0))
            continue
        caught, where = None, ""
        for exe, filt in STEPS:
            r = sh([os.path.join(args.build, "bin", exe), f"--gtest_filter={filt}"], timeout=600)
            if r.returncode:
                why = "assertion" if "Assertion failed" in r.stdout + r.stderr else "mismatch"
                caught = f"{exe} {filt} ({why})"
                cycle, lane, instr, excerpt = locate(r.stdout + r.stderr)
                where = (f"cycle {cycle or '?'}, lane {lane or '-'}, " +
                         (f"`{instr}`" if instr else what_differs(r.stdout + r.stderr)))
                with open(os.path.join(args.build, f"mutant_{name}.log"), "w") as fh:
                    fh.write(r.stdout + r.stderr)
                print(f"mutate: {name}: {excerpt}", flush=True)
                break
        if caught is None:
            missed += 1
        rows.append((name, what, "caught" if caught else "MISSED", caught or "", where,
                     time.time() - t0))
        print(f"mutate: {name}: {'caught by ' + caught if caught else 'MISSED'} ({time.time() - t0:.0f} s)",
              flush=True)
    # Restore a clean copy so the build tree matches rtl/ again.
    shutil.rmtree(rtl)
    shutil.copytree(os.path.join(ROOT, "rtl"), rtl)
    table = ["| mutation | what it breaks | result | first test that fails | where the report points | s |",
             "|---|---|---|---|---|---|"]
    table += [f"| `{n}` | {w} | {res} | {by} | {at} | {sec:.0f} |" for n, w, res, by, at, sec in rows]
    out = "\n".join(table) + "\n"
    open(os.path.join(args.build, "mutations.md"), "w").write(out)
    print(out)
    print(f"mutate: {len(rows) - missed} of {len(rows)} caught in {time.time() - start:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
