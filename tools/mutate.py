#!/usr/bin/env python3
"""`make mutate`: does the random regression catch bugs? Applies each RTL mutation below to a
copy of rtl/ (build-mutate/rtl; the source tree is never touched), rebuilds the small-config
Verilated model in build-mutate, and runs the random regression (verif_tests on `small`:
legal programs, illegal programs per error code, random initial values), then the directed RTL
tests. A mutant is caught by the first test that fails (an assertion, a lockstep divergence, a
wrong error or cycle count). Prints a Markdown table (also written to
build-mutate/mutations.md) for docs/verification.md.

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
     "ram_addr  = AddrWidth'(instr.addr);", "ram_addr  = AddrWidth'(instr.addr) & ~AddrWidth'(2);",
     "MEM address bit 1 stuck at 0 for READ/WRITE"),
    ("mem_write_dir", "lpu_mem_slice.sv",
     "ram_wdata = present_i[instr.dir][StreamIdxWidth'(instr.stream)];",
     "ram_wdata = present_i[1'b0][StreamIdxWidth'(instr.stream)];",
     "WRITE always samples the eastward stream"),
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
     "              err = ERR_BAD_OPERAND;\n            end else begin\n              wait_d",
     "              err = ERR_ADDR_RANGE;\n            end else begin\n              wait_d",
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
]

# Regression steps, in order; the first failing one catches the mutant.
STEPS = [
    ("verif_tests", "*RandomLockstepTest.LegalProgramsAgree/small"),
    ("verif_tests", "*RandomLockstepTest.IllegalProgramsTripEachError/small"),
    ("verif_tests", "*XInitTest*small_x1"),
    ("rtl_tests", "*small*"),
]


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
    rtl = os.path.join(args.build, "rtl")
    os.makedirs(args.build, exist_ok=True)
    if not os.path.exists(os.path.join(args.build, "build.ninja")):
        shutil.rmtree(rtl, ignore_errors=True)
        shutil.copytree(os.path.join(ROOT, "rtl"), rtl)
        r = sh(["cmake", "-S", ROOT, "-B", args.build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                "-C", os.path.join(venv, "toolchain.cmake"), f"-DLPU_RTL_DIR={rtl}",
                "-DLPU_RTL_CONFIGS=small", "-DLPU_BOARD_SIM=OFF"])
        if r.returncode:
            print(r.stdout[-3000:], r.stderr[-3000:])
            return 2
    selected = [m for m in MUTATIONS if not args.only or re.search(args.only, m[0])]
    rows, start, missed = [], time.time(), 0
    for name, fname, old, new, what in selected:
        if time.time() - start > args.budget:
            rows.append((name, what, "not run (budget)", "", 0))
            continue
        shutil.rmtree(rtl)
        shutil.copytree(os.path.join(ROOT, "rtl"), rtl)
        path = os.path.join(rtl, fname)
        text = open(path).read()
        if text.count(old) != 1:
            rows.append((name, what, f"STALE: pattern found {text.count(old)} times in {fname}", "", 0))
            missed += 1
            continue
        open(path, "w").write(text.replace(old, new))
        t0 = time.time()
        b = sh(["cmake", "--build", args.build, "-j", args.jobs, "--target", "verif_tests", "rtl_tests"])
        if b.returncode:
            rows.append((name, what, "caught", "build (Verilator rejects it)", time.time() - t0))
            continue
        caught = None
        for exe, filt in STEPS:
            r = sh([os.path.join(args.build, "bin", exe), f"--gtest_filter={filt}"], timeout=600)
            if r.returncode:
                why = "assertion" if "Assertion failed" in r.stdout + r.stderr else "mismatch"
                caught = f"{exe} {filt} ({why})"
                break
        if caught is None:
            missed += 1
        rows.append((name, what, "caught" if caught else "MISSED", caught or "", time.time() - t0))
        print(f"mutate: {name}: {'caught by ' + caught if caught else 'MISSED'} ({time.time() - t0:.0f} s)",
              flush=True)
    # Restore a clean copy so the build tree matches rtl/ again.
    shutil.rmtree(rtl)
    shutil.copytree(os.path.join(ROOT, "rtl"), rtl)
    table = ["| mutation | what it breaks | result | first test that fails | s |",
             "|---|---|---|---|---|"]
    table += [f"| `{n}` | {w} | {res} | {by} | {sec:.0f} |" for n, w, res, by, sec in rows]
    out = "\n".join(table) + "\n"
    open(os.path.join(args.build, "mutations.md"), "w").write(out)
    print(out)
    print(f"mutate: {len(rows) - missed} of {len(rows)} caught in {time.time() - start:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
