"""Renders docs/fpga.md from the results of fpga/flow.py (build/fpga/<target>/result.json)."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def older(r):
    """Which sources an out-of-date result came from."""
    if r.get("commit"):
        return f"commit {r['commit']}, {r.get('date', '?')}"
    return "before the merge of main"


def duration(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def pct(used, total):
    return f"{used:,} ({100.0 * used / total:.0f}%)" if total else f"{used:,}"


def unrouted(r):
    """Why a fitted ECP5 design has no routed Fmax, or None when it has one (or never placed)."""
    if r.get("fmax_mhz") or "pnr_state" not in r:
        return None
    state = r["pnr_state"]
    if state in ("running", "routing"):
        return "still running when this page was written"
    m = re.fullmatch(r"routing failed \(exit code -(9|15)\)", state)
    if m:
        minutes = f" after {r['pnr_seconds'] / 60:.0f} minutes" if r.get("pnr_seconds") else ""
        return f"was stopped unfinished{minutes}, by signal {m.group(1)}"
    return state


def trend_sentence(trend):
    """How router2's congestion went down (or did not): a few of its iterations."""
    if len(trend) < 2:
        return ""
    if trend[-1][1] == 0:
        picks = [p for p in trend if p[0] in (1, 2, 5) or p[0] % 20 == 0] + [trend[-1]]
        return (f" Router2 converged in {trend[-1][0]} iterations; wires overused (shared by "
                "several nets) after its iterations: "
                + ", ".join(f"{n:,} after {i}" for i, n in dict.fromkeys(picks)) + ".")
    picks = [p for p in trend if p[0] == 1 or p[0] % 5 == 0] + [trend[-1]]
    picks = list(dict.fromkeys(picks))
    best = min(trend, key=lambda p: p[1])
    return (" Wires still overused (shared by several nets) after router2's iterations: "
            + ", ".join(f"{n:,} after {i}" for i, n in picks)
            + f"; the fewest, {best[1]:,}, after iteration {best[0]}"
            + (f", so the last {trend[-1][0] - best[0]} iterations made no progress."
               if trend[-1][0] - best[0] >= 3 else "."))


def table(results, devices):
    rows = ["| target | device | design (config) | LUTs | FFs | DSPs | block RAMs | Fmax | fits |",
            "|---|---|---|---|---|---|---|---|---|"]
    family = {"ecp5_small": "ecp5", "vxm_alu": "ecp5"}
    for t in ("gates", "ecp5", "ecp5_small", "vxm_alu", "ice40", "xilinx"):
        r = results.get(t)
        dev = devices[family.get(t, t)]
        if not r or "summary" not in r:
            if t in devices:
                state = "not run" if not r else "in progress"
                rows.append(f"| {t} | {dev['name']} | {state} | | | | | | |")
            continue
        s = r["summary"]
        config = r["config"] if r["config"] and len(r["config"]) < 12 else \
            ("first `fpga`, see below" if r["config"] else "")
        design = f"{r['design']} (`{config}`)" if r["config"] and len(r["config"]) < 12 else \
            (f"{r['design']} ({config})" if config else r["design"])
        if t == "gates":
            if not r.get("current", True):
                design += f" (older RTL: {older(r)})"
            rows.append(f"| gates | {dev['name']} | {design} | {s['cells']:,} gates and flip-flops "
                        "(block RAMs kept as memories) | | | | - | - |")
            continue
        bram = s.get("bram", 0)
        bram = int(bram) if float(bram).is_integer() else bram
        if r.get("fmax_mhz"):
            fmax = f"**{r['fmax_mhz']:.1f} MHz**"
        elif r.get("place_fmax_mhz"):
            fmax = (f"{r['place_fmax_mhz']:.1f} MHz estimated after placement (routing "
                    f"{unrouted(r)})")
        elif r.get("pnr_state") == "running":
            fmax = "place and route did not finish (see below)"
        elif family.get(t, t) == "ecp5" and r.get("fits") and not r.get("pnr_ok", True):
            fmax = f"place and route {r.get('pnr_state', 'failed')}"
        else:
            fmax = "synthesis only"
        if not r.get("current", True):
            design += f" (older RTL: {older(r)})"
        rows.append(f"| {t} | {dev['name']} | {design} | {pct(s['lut'], dev['lut'])} | "
                    f"{pct(s['ff'], dev['ff'])} | {pct(s['dsp'], dev['dsp'])} {dev['dsp_kind']} | "
                    f"{pct(bram, dev['bram'])} | {fmax} | {'yes' if r['fits'] else '**no**'} |")
    return "\n".join(rows)


def critical_path(r, target_mhz, alu=None):
    cp = r.get("critical_path")
    prog = r.get("pnr_progress")
    if not cp and r.get("pnr_state") == "running" and prog:
        return (f"Place and route of the `fpga` board top did not finish: nextpnr-ecp5 started "
                f"{r.get('pnr_started', '?')} and was still running (or was stopped) when this "
                f"page was written; its log was last written {prog['log_updated']}, at "
                f"\"{prog['last_line']}\" (`build/fpga/ecp5/pnr.log`). No Fmax or critical path "
                "of the whole core from this run.")
    if not cp and r.get("place_fmax_mhz"):
        where = (f" The router's last progress line: \"{r['route_last']}\"."
                 if r.get("route_last") else
                 f" Its log was last written {prog['log_updated']}: \"{prog['last_line']}\"."
                 if prog else "")
        return (f"nextpnr placed the `fpga` board top in {r.get('place_seconds', 0) / 60:.0f} "
                f"minutes; its timing analysis of the placed design (wire delays estimated from "
                f"the placement) gives **{r['place_fmax_mhz']:.1f} MHz**. Routing "
                f"(`build/fpga/ecp5/pnr.log`, router2) {unrouted(r)}.{where}"
                + (f" On the one VXM lane below the same estimate was {alu['place_fmax_mhz']:.1f} "
                   f"MHz and routing reached {alu['fmax_mhz']:.1f} MHz."
                   if alu and alu.get("place_fmax_mhz") and alu.get("fmax_mhz") else "")
                + trend_sentence(r.get("route_trend", []))
                + " The estimate is not a sign-off number, and there is no routed critical "
                "path of the whole core.")
    if not cp:
        return "No critical path was reported (place and route did not run)."
    blocks = " -> ".join(f"`{b}`" for b in cp["blocks"]) or "?"
    util = r.get("utilization", {})
    packed = ""
    if "TRELLIS_COMB" in util:
        comb = util["TRELLIS_COMB"]
        packed = (f"After packing, nextpnr uses {comb['used']:,} of {comb['available']:,} "
                  f"logic cells (TRELLIS_COMB, {100.0 * comb['used'] / comb['available']:.0f}%). ")
    return (packed +f"nextpnr-ecp5's critical path (target {target_mhz} MHz, "
            f"{1000.0 / target_mhz:.1f} ns): **{cp['total_ns']:.1f} ns** "
            f"({cp['logic_ns']:.1f} ns in cells, {cp['routing_ns']:.1f} ns in routing, "
            f"{cp.get('logic_levels', '?')} cells), from `{cp['from']}` to `{cp['to']}`, "
            f"through {blocks}. "
            "The full report is `build/fpga/ecp5/pnr.log` (\"Critical path report\"). Yosys "
            "names each mapped cell after a net near it, so these names say in whose logic cone "
            "a cell sits (a memory port, a multiplier), not which register or unit it is."
            + (f" Placement took {r['place_seconds'] / 60:.0f} minutes (its estimate: "
               f"{r['place_fmax_mhz']:.1f} MHz), routing {r.get('pnr_seconds', 0) / 60:.0f}."
               if r.get("place_seconds") and r.get("place_fmax_mhz") else "")
            + trend_sentence(r.get("route_trend", [])))


def analysis(results, target_mhz):
    """What holds timing back, with the measured numbers."""
    ecp5, alu, small = results.get("ecp5", {}), results.get("vxm_alu", {}), \
        results.get("ecp5_small", {})
    out = ["### What holds timing back\n"]
    if alu.get("fmax_mhz"):
        cp = alu.get("critical_path", {})
        period = 1000.0 / alu["fmax_mhz"]
        stages = max(2, -(-int(period * target_mhz) // 1000))  # ceil(period / target period)
        out.append(
            f"**The VXM ALU.** One lane of one ALU, placed and routed alone between input and "
            f"output registers (`fpga/timing/lpu_vxm_alu_timing.sv`, target `vxm_alu`), reaches "
            f"**{alu['fmax_mhz']:.1f} MHz** ({period:.1f} ns) and takes "
            f"{alu['summary']['lut']:,} LUTs and {alu['summary']['dsp']} MULT18X18D. Its "
            f"critical path is {cp.get('total_ns', 0):.1f} ns through {cp.get('logic_levels', '?')} "
            f"cells ({cp.get('logic_ns', 0):.1f} ns logic, {cp.get('routing_ns', 0):.1f} ns "
            f"routing): {' -> '.join('`' + b + '`' for b in cp.get('blocks', []))}. In the core "
            "the same path is longer still: it starts at the stream registers (or R[k-1], R[k], "
            "IMM), passes lpu_vxm's operand selection (stream group, direction, byte planes) and "
            "ends in R[k]. docs/isa.md fixes every VXM op at `result write 1` (the whole op in "
            "the cycle after issue; `SELF` lets an op use the previous cycle's result, and "
            "chained ALUs hand over one cycle apart), so this delay is a floor under the clock "
            "period of any core with a VXM: no retiming that keeps the latencies can move part "
            "of an op into another cycle, because every cycle may start a new dependent op.\n")
        out.append(
            "**What would close 100 MHz (an ISA change, proposed, not made).** Pipeline the VXM: "
            f"at {target_mhz} MHz the ALU's {period:.0f} ns need about {stages} stages "
            "(operand selection and the registered DSP inputs; the 33 x 25 product or the "
            "fp32 alignment; normalisation; rounding and the result multiplexer). In the ISA "
            f"that is `result_write` = {stages} and `stream_out` = {stages + 1} for every VXM "
            f"op: chaining costs {stages} cycles per ALU instead of one, an accumulation on "
            f"`SELF` can issue every {stages} cycles (the compiler interleaves {stages} "
            "independent accumulators to keep one op per cycle), and `VSEL`'s mask is the "
            f"result of the op issued {stages} cycles before. The MXM, MEM and SXM keep their "
            "latencies. Two cheaper steps help but cannot close the gap alone: select the "
            "stream operand one cycle early from the neighbouring position's outgoing value "
            "(legal today: the value present at t+1 is known at the end of t), and give "
            "VMUL's integer product its own 32 x 32 low-half multiplier instead of the shared "
            "33 x 25 array plus the 8 x 8 correction.\n")
    if ecp5.get("fmax_mhz") or ecp5.get("place_fmax_mhz"):
        f = ecp5.get("fmax_mhz") or ecp5["place_fmax_mhz"]
        out.append(
            f"**The whole core** (`fpga` configuration, board top) reaches {f:.1f} MHz "
            f"({1000.0 / f:.1f} ns{'' if ecp5.get('fmax_mhz') else ', estimated after placement'}"
            ")"
            + (f"; its critical path spends {cp['routing_ns']:.1f} of {cp['total_ns']:.1f} ns in "
               "routing and runs through the logic around the VXM lanes' multipliers "
               "(`u_alu.imul`): the VXM ALU's one-cycle path again"
               if (cp := ecp5.get("critical_path")) and any("imul" in b for b in cp["blocks"])
               else "")
            + ". The ULX3S board top's PLL clocks the core at "
            + (f"{board_clock_mhz():g} MHz, which this Fmax allows."
               if f >= board_clock_mhz() else
               f"{board_clock_mhz():g} MHz: **above** this Fmax, so a bitstream of it is not "
               "expected to work; lower the PLL dividers (`PllClkiDiv`, `PllClkfbDiv`, "
               "`PllClkopDiv`; `yowasp-ecppll`, in the venv, computes them).")
            + ("" if ecp5.get("bitstream") else
               " This run wrote no bitstream: routing did not finish.")
            + "\n")
    if small.get("summary"):
        s = small["summary"]
        out.append(
            f"**Size.** A first `fpga` configuration with the `small` core's logic (8 lanes, "
            f"two VXM ALUs, 8 x 8 MXM) and 2048-word MEM slices synthesised to "
            f"{s['lut']:,} LUTs, {100.0 * s['lut'] / 83640:.0f}% of the LFE5U-85F "
            f"({s['dsp']} MULT18X18D, {s['bram']} DP16KD). `fpga/flow.py --targets ecp5_small` "
            "measures the `small` core itself (the same logic with smaller memories; not in the "
            "default list: an hour of synthesis). Its sixteen VXM lane-ALUs of about "
            f"{alu.get('summary', {}).get('lut', 4200):,} LUTs each are half of it, so `fpga` "
            "has four lanes and one ALU.\n")
    return "\n".join(out)


def run_status(results):
    """One line per target that is not a finished result of the current sources."""
    import datetime
    build = ROOT / "build" / "fpga"
    out = []
    for t in ("gates", "ecp5", "ice40", "xilinx", "vxm_alu"):
        r = results.get(t)
        if r and r.get("place_fmax_mhz") and not r.get("fmax_mhz"):
            stale = "" if r.get("current", True) else f" (on older RTL: {older(r)})"
            out.append(f"- `{t}`: synthesis and placement finished{stale}; routing "
                       f"{unrouted(r)}.")
            continue
        if r and r.get("pnr_state") == "running":
            prog = r.get("pnr_progress", {})
            stale = "" if r.get("current", True) else f" (on older RTL: {older(r)})"
            out.append(f"- `{t}`: synthesis finished{stale}; place and route (started "
                       f"{r.get('pnr_started', '?')}) had not finished when this page was written "
                       f"(log last written {prog.get('log_updated', '?')}: \""
                       f"{prog.get('last_line', '?')}\").")
            continue
        if r and "summary" in r:
            if not r.get("current", True):
                out.append(f"- `{t}`: figures from an earlier run on older RTL ({older(r)}); not "
                           "rerun on the current sources.")
            continue
        log = build / t / "synth.log"
        if log.exists():
            sections = re.findall(r"^\d+(?:\.\d+)*\. Executing ([^\n]+)", log.read_text(
                errors="replace"), re.M)
            when = datetime.datetime.fromtimestamp(log.stat().st_mtime, datetime.timezone.utc)
            started = datetime.datetime.fromtimestamp((build / t / "synth.ys").stat().st_mtime,
                                                      datetime.timezone.utc)
            last = sections[-1] if sections else "?"
            out.append(f"- `{t}`: synthesis started {started:%Y-%m-%d %H:%M} UTC did not finish; "
                       f"its log was last written {when:%H:%M} UTC, in \"{last}\" "
                       f"(`build/fpga/{t}/synth.log`).")
        else:
            out.append(f"- `{t}`: not run.")
    return ("Targets without a current result in this run:\n\n" + "\n".join(out) + "\n") if out \
        else "Every target finished on the current sources."


def board_clock_mhz():
    """The core clock of the ULX3S board top: its PLL dividers' defaults applied to 25 MHz."""
    text = (ROOT / "fpga" / "ulx3s" / "lpu_ulx3s_top.sv").read_text()
    div = {name: int(re.search(rf"parameter int unsigned {name}\s*=\s*(\d+)", text).group(1))
           for name in ("PllClkiDiv", "PllClkfbDiv")}
    return 25.0 / div["PllClkiDiv"] * div["PllClkfbDiv"]


def board_status(ecp5):
    """Whether the last ECP5 run gives a bitstream that can be expected to work on the board."""
    fmax = ecp5.get("fmax_mhz") or ecp5.get("place_fmax_mhz")
    problems = []
    if not ecp5.get("bitstream"):
        problems.append("the last ECP5 run wrote no `lpu_ulx3s.bit` (routing did not finish)")
    clock = board_clock_mhz()
    if fmax and fmax < clock:
        problems.append(f"the core's Fmax ({fmax:.1f} MHz"
                        + ("" if ecp5.get("fmax_mhz") else ", estimated after placement")
                        + f") is below the {clock:g} MHz core clock of the top's PLL (see "
                        "\"Timing\")")
    if not problems:
        return (f"The last ECP5 run wrote `build/fpga/ecp5/lpu_ulx3s.bit`: routed, with an Fmax "
                f"of {fmax:.1f} MHz above the {clock:g} MHz core clock of the top's PLL. It has "
                "not been tried on a board (there is none here): the bridge and the host side "
                "are tested in simulation.\n")
    return ("**Not yet usable on a board**: " + "; ".join(problems) + ". The bridge and the host "
            "side are tested in simulation only.\n")


def render(results, versions, devices, target_mhz, date):
    ecp5 = results.get("ecp5", {})
    fmax = ecp5.get("fmax_mhz")
    template = (ROOT / "fpga" / "fpga_doc.md").read_text()
    values = {
        "DATE": date,
        "YOSYS": versions["yosys"],
        "NEXTPNR": versions["nextpnr-ecp5"],
        "YOSYS_PIN": versions["pins"].get("LPU_PIP_YOSYS", "?"),
        "NEXTPNR_PIN": versions["pins"].get("LPU_PIP_NEXTPNR_ECP5", "?"),
        "TABLE": table(results, devices),
        "STATUS": run_status(results),
        "CRITICAL_PATH": critical_path(ecp5, target_mhz, results.get("vxm_alu")),
        "ANALYSIS": analysis(results, target_mhz),
        "TARGET_MHZ": str(target_mhz),
        "BOARD_STATUS": board_status(ecp5),
        "BOARD_CLOCK": f"{board_clock_mhz():g}",
        "XILINX_INV": (
            f"They also include the {results['xilinx']['cells']['INV']:,} INV cells (an INV is "
            "a LUT1 on the device)." if results.get("xilinx", {}).get("cells", {}).get("INV")
            else ""),
        "FMAX": f"{fmax:.1f} MHz" if fmax else "not measured",
        "TIMING_VERDICT": (
            (f"**not met**: nextpnr estimates {ecp5['place_fmax_mhz']:.1f} MHz for the placed "
             f"core ({100.0 * ecp5['place_fmax_mhz'] / target_mhz:.0f}% of the bar; routing "
             f"{unrouted(ecp5)}), and one VXM ALU lane alone, placed and routed between "
             f"registers, reaches {results['vxm_alu']['fmax_mhz']:.1f} MHz: the core puts that "
             "whole path, plus operand selection, into one cycle")
            if not fmax and ecp5.get("place_fmax_mhz") and
            results.get("vxm_alu", {}).get("fmax_mhz") else
            (f"**not met** (by the bound below; the whole core's place and route did not finish "
             f"in this run, so no Fmax of its own): one VXM ALU lane alone, between registers, "
             f"reaches {results['vxm_alu']['fmax_mhz']:.1f} MHz, and the core puts that whole "
             "path, plus operand selection, into one cycle")
            if not fmax and results.get("vxm_alu", {}).get("fmax_mhz") else
            "not measured (run `make fpga`)" if not fmax else
            f"met: {fmax:.1f} MHz >= {target_mhz} MHz" if fmax >= target_mhz else
            f"**not met**: {fmax:.1f} MHz, {100.0 * fmax / target_mhz:.0f}% of the "
            f"{target_mhz} MHz bar"
            + (f"; one VXM ALU lane alone, placed and routed between registers, reaches "
               f"{results['vxm_alu']['fmax_mhz']:.1f} MHz, and the core puts that whole path, "
               "plus operand selection, into one cycle (below)"
               if results.get("vxm_alu", {}).get("fmax_mhz") else "")),
        "SECONDS": ", ".join(
            f"{t} {duration(r.get('synth_seconds', 0))} synthesis"
            + (f" + {duration(r['place_seconds'])} placement" if r.get("place_seconds") else "")
            + (f" + {duration(r['pnr_seconds'])} routing" if r.get("pnr_seconds") else "")
            for t, r in results.items() if r.get("current")),
    }
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template
