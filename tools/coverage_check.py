#!/usr/bin/env python3
"""Merges coverage and compares it with the goals of docs/testplan.json.

Functional coverage: every JSON file written by the tests (default <build>/fcov/*.json) is
merged (hits added per bin, bins united) into one file; each coverpoint's share of hit bins
(waived bins left out) must reach its goal. Code coverage (optional, --code): the Verilator
coverage file of rtl/ (build-cov/coverage/rtl.dat from `make coverage`) gives line and toggle
coverage, with the points waived in docs/coverage_waivers.json left out.

Exit 0 when every goal is met, 1 with the list of what is missing otherwise, 2 on bad input.

  tools/coverage_check.py --fcov build/fcov [--code build-cov/coverage/rtl.dat]
  tools/coverage_check.py --merge-only --fcov a.json --fcov dir/ --out merged.json
"""
import argparse
import collections
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(msg):
    print(f"coverage_check: error: {msg}", file=sys.stderr)
    sys.exit(2)


def fcov_files(paths):
    files = []
    for p in paths:
        files += sorted(glob.glob(os.path.join(p, "*.json"))) if os.path.isdir(p) else [p]
    return files


def merge(files):
    merged = {"format": "tinylpu-fcov/1", "tests": [], "configs": [], "runs": 0,
              "shadow_mismatches": 0, "coverpoints": {}}
    for f in files:
        try:
            with open(f) as fh:
                j = json.load(fh)
        except (OSError, ValueError) as e:
            die(f"{f}: {e}")
        if j.get("format") != "tinylpu-fcov/1":
            die(f"{f}: not a tinylpu-fcov/1 file")
        for key in ("tests", "configs"):
            merged[key] += [t for t in j.get(key, []) if t not in merged[key]]
        merged["runs"] += j.get("runs", 0)
        merged["shadow_mismatches"] += j.get("shadow_mismatches", 0)
        for point, bins in j["coverpoints"].items():
            mp = merged["coverpoints"].setdefault(point, {})
            for b, hits in bins.items():
                mp[b] = mp.get(b, 0) + hits
    return merged


def check_functional(merged, plan, problems, report):
    waivers = [re.compile(w["bin"]) for w in plan.get("waivers", {}).get("functional", [])]
    for point, goal in plan["goals"]["functional"].items():
        bins = merged["coverpoints"].get(point)
        if bins is None:
            problems.append(f"functional {point}: no such coverpoint in the coverage files")
            continue
        counted = {b: h for b, h in bins.items()
                   if not any(w.fullmatch(f"{point}/{b}") for w in waivers)}
        if len(counted) < len(bins):
            report.append(f"  functional {point:10s} {len(bins) - len(counted)} bins waived "
                          f"(docs/testplan.json)")
        hit = sum(1 for h in counted.values() if h > 0)
        pct = 100.0 * hit / len(counted) if counted else 100.0
        missing = sorted(b for b, h in counted.items() if h == 0)
        report.append(f"  functional {point:10s} {pct:6.1f}% ({hit}/{len(counted)} bins, goal {goal}%)")
        if pct + 1e-9 < goal:
            problems.append(f"functional {point}: {pct:.1f}% < {goal}%, missing: {', '.join(missing)}")
    if merged["shadow_mismatches"]:
        problems.append(f"functional: the ICU shadow disagreed with the traces in "
                        f"{merged['shadow_mismatches']} cycles (sw/verif/func_coverage.cc)")


def code_points(path):
    """(type, file, signal, hierarchy, line, count) of every point in a Verilator coverage file."""
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            if not line.startswith("C '"):
                continue
            body, count = line.rstrip("\n").rsplit("' ", 1)
            fields = dict(kv.split("\x02", 1) for kv in body[3:].split("\x01")[1:] if "\x02" in kv)
            yield (fields.get("t", ""), os.path.basename(fields.get("f", "")),
                   fields.get("o", ""), fields.get("h", ""), fields.get("l", ""), int(count))


def check_code(path, plan, waivers, problems, report, show):
    if not os.path.exists(path):
        die(f"{path} not found (run `make coverage` first)")
    file_waivers = {w["file"] for w in waivers.get("files", [])}
    toggle_waivers = [(re.compile(w["file"]), re.compile(w["signal"])) for w in waivers.get("toggle", [])]
    line_waivers = [(re.compile(w["file"]), {str(n) for n in w["lines"]}) for w in waivers.get("line", [])]
    total = collections.Counter()
    hit = collections.Counter()
    waived = collections.Counter()
    missing = collections.defaultdict(collections.Counter)
    for kind, fname, signal, hier, lineno, count in code_points(path):
        if kind not in ("line", "toggle") or fname in file_waivers:
            continue
        if kind == "toggle" and any(f.fullmatch(fname) and s.search(signal) for f, s in toggle_waivers):
            waived[kind] += 1
            continue
        if kind == "line" and any(f.fullmatch(fname) and lineno in ls for f, ls in line_waivers):
            waived[kind] += 1
            continue
        total[kind] += 1
        if count > 0:
            hit[kind] += 1
        else:
            where = f"line {lineno} ({signal})" if kind == "line" else re.sub(r"\[[0-9]+\]", "[]", signal)
            missing[kind][f"{fname}: {where}"] += 1
    for kind, goal in plan["goals"]["code"].items():
        pct = 100.0 * hit[kind] / total[kind] if total[kind] else 0.0
        report.append(f"  code {kind:16s} {pct:6.1f}% ({hit[kind]}/{total[kind]} points, "
                      f"{waived[kind]} waived, goal {goal}%)")
        if pct + 1e-9 < goal:
            worst = ", ".join(f"{k} x{n}" for k, n in missing[kind].most_common(show))
            problems.append(f"code {kind}: {pct:.1f}% < {goal}%; most missed: {worst}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fcov", action="append", default=[], help="functional coverage JSON file or directory")
    ap.add_argument("--code", help="Verilator coverage file of rtl/ (build-cov/coverage/rtl.dat)")
    ap.add_argument("--plan", default=os.path.join(ROOT, "docs", "testplan.json"))
    ap.add_argument("--waivers", default=os.path.join(ROOT, "docs", "coverage_waivers.json"))
    ap.add_argument("--out", help="write the merged functional coverage here")
    ap.add_argument("--merge-only", action="store_true", help="merge, write --out, check nothing")
    ap.add_argument("--show", type=int, default=12, help="missed code points listed per goal")
    args = ap.parse_args()

    files = fcov_files(args.fcov)
    if args.fcov and not files:
        die(f"no functional coverage files in {', '.join(args.fcov)} (run the verif tests first)")
    merged = merge(files) if files else None
    if merged and args.out:
        with open(args.out, "w") as fh:
            json.dump(merged, fh, indent=1, sort_keys=True)
    if args.merge_only:
        return 0
    with open(args.plan) as fh:
        plan = json.load(fh)
    problems, report = [], []
    if merged:
        report.append(f"coverage_check: {len(files)} functional coverage files, {merged['runs']} runs, "
                      f"configs {', '.join(merged['configs'])}")
        check_functional(merged, plan, problems, report)
    if args.code:
        with open(args.waivers) as fh:
            waivers = json.load(fh)
        report.append(f"coverage_check: code coverage from {args.code}")
        check_code(args.code, plan, waivers, problems, report, args.show)
    if not merged and not args.code:
        die("nothing to check: give --fcov and/or --code")
    for f in plan.get("features", []):
        if f.get("status") == "pending":
            report.append(f"coverage_check: pending feature '{f['name']}': {f.get('reason', 'no reason given')}")
    print("\n".join(report))
    if problems:
        print("coverage_check: goals NOT met:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("coverage_check: all goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
