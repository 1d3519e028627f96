"""Renders docs/fpga.md from the results of fpga/flow.py (build/fpga/<target>/result.json)."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pct(used, total):
    return f"{used:,} ({100.0 * used / total:.0f}%)" if total else f"{used:,}"


def table(results, devices):
    rows = ["| target | device | design (config) | LUTs | FFs | DSPs | block RAMs | Fmax | fits |",
            "|---|---|---|---|---|---|---|---|---|"]
    for t in ("gates", "ecp5", "ice40", "xilinx"):
        r = results.get(t)
        if not r:
            rows.append(f"| {t} | {devices[t]['name']} | not run | | | | | | |")
            continue
        s, dev = r["summary"], devices[t]
        design = f"{r['design']} (`{r['config']}`)"
        if t == "gates":
            rows.append(f"| gates | {dev['name']} | {design} | {s['cells']:,} gates and flip-flops "
                        "(block RAMs kept as memories) | | | | - | - |")
            continue
        bram = s.get("bram", 0)
        bram = int(bram) if float(bram).is_integer() else bram
        if r.get("fmax_mhz"):
            fmax = f"**{r['fmax_mhz']:.1f} MHz**"
        elif t == "ecp5" and r.get("fits") and not r.get("pnr_ok", True):
            fmax = "place and route failed"
        else:
            fmax = "synthesis only"
        rows.append(f"| {t} | {dev['name']} | {design} | {pct(s['lut'], dev['lut'])} | "
                    f"{pct(s['ff'], dev['ff'])} | {pct(s['dsp'], dev['dsp'])} {dev['dsp_kind']} | "
                    f"{pct(bram, dev['bram'])} | {fmax} | {'yes' if r['fits'] else '**no**'} |")
    return "\n".join(rows)


def critical_path(r, target_mhz):
    cp = r.get("critical_path")
    if not cp:
        return "No critical path was reported (place and route did not run)."
    blocks = " -> ".join(f"`{b}`" for b in cp["blocks"]) or "?"
    return (f"nextpnr-ecp5's critical path (target {target_mhz} MHz, "
            f"{1000.0 / target_mhz:.1f} ns): **{cp['total_ns']:.1f} ns** "
            f"({cp['logic_ns']:.1f} ns in cells, {cp['routing_ns']:.1f} ns in routing, "
            f"{cp['steps']} steps), from `{cp['from']}` to `{cp['to']}`, through {blocks}. "
            "The full report is `build/fpga/ecp5/pnr.log` (\"Critical path report\").")


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
        "CRITICAL_PATH": critical_path(ecp5, target_mhz),
        "TARGET_MHZ": str(target_mhz),
        "FMAX": f"{fmax:.1f} MHz" if fmax else "not measured",
        "TIMING_VERDICT": (
            "not measured (run `make fpga`)" if not fmax else
            f"met: {fmax:.1f} MHz >= {target_mhz} MHz" if fmax >= target_mhz else
            f"**not met**: {fmax:.1f} MHz, {100.0 * fmax / target_mhz:.0f}% of the "
            f"{target_mhz} MHz bar"),
        "SECONDS": ", ".join(
            f"{t} {r.get('synth_seconds', 0) / 60:.0f} min synthesis"
            + (f" + {r['pnr_seconds'] / 60:.0f} min place and route" if r.get("pnr_seconds")
               else "")
            for t, r in results.items()),
    }
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template
