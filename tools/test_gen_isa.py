#!/usr/bin/env python3
"""Checks that gen_isa.py rejects broken ISA descriptions with a message naming the problem."""

import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOOD = (ROOT / "sw/isa/isa.toml").read_text()

# (description, text to replace, replacement, expected message fragment)
CASES = [
    ("overlapping fields", '{ name = "flag", msb = 6, lsb = 6', '{ name = "flag", msb = 7, lsb = 6',
     "overlaps"),
    ("field beyond the word", '{ name = "n", msb = 25, lsb = 0', '{ name = "n", msb = 32, lsb = 0',
     "do not fit"),
    ("field over the opcode", '{ name = "n", msb = 25, lsb = 13', '{ name = "n", msb = 27, lsb = 13',
     "overlaps"),
    ("reused opcode", "opcode = 0x11", "opcode = 0x10", "already used by READ"),
    ("opcode too wide", "opcode = 0x23", "opcode = 0x40", "does not fit the opcode field"),
    ("unknown format", 'format = "stream"', 'format = "streem"', "unknown format"),
    ("operand not in format", 'syntax = ["stream"]', 'syntax = ["addr"]', "not a field"),
    ("MXM wider than lanes", "mxm_dim = 8", "mxm_dim = 12", "exceeds lanes"),
    ("matrix not a boolean", "matrix = false\nlanes", 'matrix = "no"\nlanes', "matrix must be true or false"),
    ("group without a stream field", "syntax = []\nweights_live = 2",
     "syntax = []\ngroup = 1\nweights_live = 2",
     "has a stream group but format none has no stream field"),
]


def run(text: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp) / "isa.toml"
        src.write_text(text)
        return subprocess.run([sys.executable, str(ROOT / "tools/gen_isa.py"), "--source", str(src),
                               "--out-dir", tmp], capture_output=True, text=True)


def main() -> int:
    failures = 0
    good = run(GOOD)
    if good.returncode != 0:
        print(f"FAIL: the committed ISA is rejected: {good.stderr}")
        failures += 1
    for name, old, new, message in CASES:
        if old not in GOOD:
            print(f"FAIL: {name}: test pattern {old!r} not in isa.toml")
            failures += 1
            continue
        result = run(GOOD.replace(old, new, 1))
        if result.returncode != 2 or message not in result.stderr:
            print(f"FAIL: {name}: exit {result.returncode}, stderr {result.stderr.strip()!r}")
            failures += 1
        else:
            print(f"ok: {name}: {result.stderr.strip()}")
    print(f"{len(CASES) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
