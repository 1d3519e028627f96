#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of tests/fuzz with clang and ASan/UBSan (build dir
# build-fuzz) and runs each for a bounded time from its seed corpus tests/fuzz/corpus/<name>.
# Fails on any crash, sanitizer report or failed check; the reproducer is left in
# <build>/findings/<name>/ (replay: <build>/bin/fuzz_<name> <file>).
#
# Env: LPU_FUZZ_BUILD=dir (default build-fuzz), LPU_FUZZ_SECONDS=n per target (default 20),
#      LPU_FUZZ_TARGETS="asm config ..." (default: every fuzz_* built), CXX (default clang++-14).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${LPU_FUZZ_BUILD:-build-fuzz}
seconds=${LPU_FUZZ_SECONDS:-20}
cxx=${CXX:-clang++-14}
say() { echo "fuzz: $*"; }

command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (tools/bootstrap.sh installs clang-14)" >&2; exit 2; }
start=$(date +%s)
if [[ ! -f $build/build.ninja ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPU_FUZZ=ON \
    -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
fi
cmake --build "$build" -j "${JOBS:-2}" --target fuzzers >/dev/null
say "built in $(($(date +%s) - start)) s"

targets=${LPU_FUZZ_TARGETS:-$(cd "$build/bin" && ls fuzz_* | sed "s/^fuzz_//")}
failed=0
for t in $targets; do
  work=$build/corpus/$t
  findings=$build/findings/$t
  mkdir -p "$work" "$findings"
  seeds=tests/fuzz/corpus/$t
  [[ -d $seeds ]] || seeds=
  # New inputs go to the work corpus; the seeds in the source tree are only read.
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$build/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$findings/" -print_final_stats=1 "$work" $seeds >"$build/fuzz_$t.log" 2>&1; then
    say "$t: ok, $(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$build/fuzz_$t.log" |
      grep -oE '[0-9]+$') runs in ${seconds} s, corpus $(ls "$work" | wc -l) inputs"
  else
    say "$t: FAILED (log $build/fuzz_$t.log, reproducer in $findings/)"
    grep -E "ERROR|SUMMARY|fuzz check failed|runtime error" "$build/fuzz_$t.log" | head -5
    failed=1
  fi
done
exit $failed
