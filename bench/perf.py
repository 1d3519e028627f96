#!/usr/bin/env python3
"""Performance report: simulation speed, build time, decode rate; writes docs/performance.md.

Usage: bench/perf.py [--configs small,default,fpga] [--threads 2] [--icarus-configs small,fpga]
                     [--skip-build-time] [--report-only]

One run measures, on this machine and in this order:
  1. build time from clean: configure and build the standard tree (`make build`'s, the test
     matrix configurations) in build-perf/st with ccache disabled; wall and CPU seconds;
  2. simulation speed of the same matmul on every engine, per configuration: the Verilated
     core single-threaded (build-perf/st, reconfigured to Verilate the device configurations
     too) and with --threads N (build-perf/mt), and the C++ cycle model (bench/sim_speed);
  3. Icarus Verilog on the same RTL (tb/icarus/run_icarus.sh's conversion), replaying the
     matmul recorded on Verilator: run cycles per second from a full replay minus a replay of
     the loading alone;
  4. decode tokens per second at the ECP5 Fmax of docs/fpga.md (build/fpga/ecp5/result.json),
     from the decode cycles per token of `tinylpu run --json --decode 1` where that exists.
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


def sim_speed(tree, configs):
    r = sh([tree / "bin" / "sim_speed", "--configs", *configs, "--m", SHAPE[0], "--k", SHAPE[1],
            "--n", SHAPE[2]], capture=True)
    return {e["config"]: e for e in json.loads(r.stdout)}


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


def decode_rate(fmax_mhz):
    tinylpu = ROOT / "build" / "bin" / "tinylpu"
    if not tinylpu.exists():
        return {"available": False, "why": "build/bin/tinylpu is not built"}
    r = subprocess.run([str(tinylpu), "run", "--json", "--decode", "1"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        first = (r.stderr or r.stdout).strip().splitlines()
        return {"available": False,
                "why": "`tinylpu run --json --decode 1` is not available yet"
                       + (f" ({first[0][:120]})" if first else "")}
    try:
        cycles = int(json.loads(r.stdout.strip().splitlines()[-1])["cycles"])
    except (ValueError, KeyError, IndexError):
        return {"available": False, "why": "`tinylpu run --json --decode 1` printed no cycles"}
    out = {"available": True, "cycles_per_token": cycles}
    if fmax_mhz:
        out["fmax_mhz"] = fmax_mhz
        out["tokens_per_second"] = fmax_mhz * 1e6 / cycles
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="small,default,fpga")
    parser.add_argument("--icarus-configs", default="small,fpga")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    parser.add_argument("--skip-build-time", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    result_path = OUT / "perf.json"

    if not args.report_only:
        OUT.mkdir(exist_ok=True)
        old = json.loads(result_path.read_text()) if result_path.exists() else {}
        res = {"date": datetime.date.today().isoformat(), "shape": SHAPE,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "load_average": os.getloadavg()[0]}
        if args.skip_build_time and "build_time" in old:
            res["build_time"] = dict(old["build_time"], reused_from=old.get("date"))
        elif not args.skip_build_time:
            res["build_time"] = build_time(args.jobs)
        st, mt = OUT / "st", OUT / "mt"
        rtl = ";".join(dict.fromkeys(configs + args.icarus_configs.split(",")))
        configure(st, [f"-DLPU_RTL_CONFIGS={rtl}"])
        sh(["cmake", "--build", st, "-j", args.jobs, "--target", "sim_speed", "icarus_script"])
        configure(mt, [f"-DLPU_RTL_CONFIGS={';'.join(configs)}",
                       f"-DLPU_VERILATOR_THREADS={args.threads}", "-DLPU_BOARD_SIM=OFF"])
        sh(["cmake", "--build", mt, "-j", args.jobs, "--target", "sim_speed"])
        single = sim_speed(st, configs)
        multi = sim_speed(mt, configs)
        res["threads"] = args.threads
        res["speed"] = {}
        for c in configs:
            res["speed"][c] = {"run_cycles": single[c]["run_cycles"],
                               "verilator_1t": single[c]["rtl_cycles_per_second"],
                               f"verilator_{args.threads}t": multi[c]["rtl_cycles_per_second"],
                               "model": single[c]["model_cycles_per_second"]}
        for c in [c for c in args.icarus_configs.split(",") if c]:
            res["speed"].setdefault(c, {})["icarus"] = icarus_speed(st, c)["cycles_per_second"]
        fpga = ROOT / "build" / "fpga" / "ecp5" / "result.json"
        fmax = json.loads(fpga.read_text()).get("fmax_mhz") if fpga.exists() else None
        res["decode"] = decode_rate(fmax)
        result_path.write_text(json.dumps(res, indent=2) + "\n")

    res = json.loads(result_path.read_text())
    sys.path.insert(0, str(ROOT / "bench"))
    import perf_report  # noqa: E402  (bench/perf_report.py renders the document and plots)
    perf_report.write(res, ROOT / "docs" / "performance.md", ROOT / "docs" / "perf")
    print("perf: wrote docs/performance.md and docs/perf/*.svg")


if __name__ == "__main__":
    main()
