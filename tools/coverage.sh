#!/usr/bin/env bash
# `make coverage`: Verilator code coverage (line, toggle, expression) of rtl/ from the RTL tests.
#
# Builds a separate tree (default build-cov, -DLPU_COVERAGE=ON: every configuration
# instrumented) so the normal build stays as it is, runs the RTL tests (ctest -R 'rtl\.' and the
# cli.* and verif.* tests), whose models each write one coverage file on destruction
# (tb/rtl_sim.cc), merges them with verilator_coverage, converts the result to lcov and renders
# HTML with genhtml.
#
#   tools/coverage.sh                      the above
#   tools/coverage.sh --report DAT_DIR OUT [--check]
#                                          only merge the coverage files in DAT_DIR into OUT
#                                          (rtl.dat, rtl.info, html/ unless LPU_COV_HTML=0) and,
#                                          with --check, compare line and toggle coverage with
#                                          the goals (tools/coverage_check.py): the normal build
#                                          instruments `small`, so after `make test` this is
#                                          the quick regression's coverage (gate.code_coverage,
#                                          `make coverage-report`)
#
# Env: LPU_COV_BUILD=dir (default build-cov), JOBS=n (default nproc), LPU_VENV (default .venv),
#      LPU_COV_TESTS=regex (ctest -R, default 'rtl\.|cli\.|verif\.'), LPU_COV_HTML=0 (no HTML).
# Result: <out>/html/index.html; <out>/merged.dat (all points), rtl.dat and rtl.info (the
#         reported points, Verilator and lcov formats).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${LPU_COV_BUILD:-build-cov}
jobs=${JOBS:-$(nproc)}
venv=${LPU_VENV:-.venv}
tests=${LPU_COV_TESTS:-'rtl\.|cli\.|verif\.'}
say() { echo "coverage: $*"; }
die() { echo "coverage: error: $*" >&2; exit 1; }

start=$(date +%s)
html=${LPU_COV_HTML:-1}
# shellcheck source=/dev/null
. "$venv/toolchain.sh"
[[ -x ${VERILATOR_COVERAGE:-} ]] || die "verilator_coverage not found (run tools/bootstrap.sh)"
if [[ $html != 0 ]]; then
  command -v genhtml >/dev/null || die "genhtml not found (lcov; run tools/bootstrap.sh)"
fi

check=0
if [[ ${1:-} == --report ]]; then
  (($# == 3 || $# == 4)) || die "usage: tools/coverage.sh --report DAT_DIR OUT [--check]"
  dat_dir=$2
  cov=$3
  [[ ${4:-} == --check ]] && check=1
  mkdir -p "$cov"
  rm -rf "$cov/html" "$cov/merged.dat" "$cov/rtl.dat" "$cov/rtl.info"
else
  if [[ ! -f $build/build.ninja ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLPU_COVERAGE=ON \
      -C "$venv/toolchain.cmake"
  fi
  grep -q '^LPU_COVERAGE:BOOL=ON' "$build/CMakeCache.txt" ||
    die "$build is not a coverage build (configure it with -DLPU_COVERAGE=ON or remove it)"
  cmake --build "$build" -j "$jobs"

  cov=$repo/$build/coverage
  [[ $build == /* ]] && cov=$build/coverage
  rm -rf "$cov"
  mkdir -p "$cov/dat"
  dat_dir=$cov/dat
  say "running tests matching '$tests'"
  LPU_COVERAGE_DIR=$cov/dat ctest --test-dir "$build" -R "$tests" --output-on-failure -j "$jobs"
fi

shopt -s nullglob
dats=("$dat_dir"/*.dat)
((${#dats[@]})) || die "no coverage files in $dat_dir (run the tests first)"
say "merging ${#dats[@]} coverage files"
"$VERILATOR_COVERAGE" --write "$cov/merged.dat" "${dats[@]}"

# Only rtl/ is reported, and two files in it are excluded:
#  - rtl/lpu_tracer.sv is simulation-only instrumentation (DPI calls feeding the C++ trace, not
#    synthesized): not design logic, and exercised only by the trace tests.
#  - rtl/lpu_isa_pkg.sv is generated from sw/isa/isa.toml by tools/gen_isa.py (constants and
#    helper functions): its coverage is that of its callers, and fixes belong in the generator.
# The filter works on the merged points (each .dat record names its source file after \001f\002),
# so verilator_coverage's own per-type summary and the HTML count the same points.
{
  echo '# SystemC::Coverage-3'
  grep -aF $'\001f\002'"$repo/rtl/" "$cov/merged.dat" |
    grep -avE $'\001f\002[^\001]*/(lpu_tracer|lpu_isa_pkg)\\.sv\001' || true
} >"$cov/rtl.dat"
echo
say "rtl/ without lpu_tracer.sv and lpu_isa_pkg.sv, coverage points hit (verilator_coverage):"
"$VERILATOR_COVERAGE" --report summary "$cov/rtl.dat" |
  sed -n -E 's/^ *(line|toggle|branch|expr) *: */coverage:   \1 /p'
if ((check)); then
  python3 tools/coverage_check.py --code "$cov/rtl.dat" || exit 1
fi
if [[ $html == 0 ]]; then
  say "merged $cov/rtl.dat ($(($(date +%s) - start)) s; no HTML: LPU_COV_HTML=0)"
  exit 0
fi

# verilator_coverage names each BRDA branch after its point ("clk_i:0->1"); lcov 1.16 accepts
# only numbers there and silently drops the rest, so number the points of each line instead.
"$VERILATOR_COVERAGE" --write-info "$cov/rtl.raw.info" "$cov/rtl.dat" >/dev/null
awk -F, -v OFS=, '/^SF:/ { delete n } /^BRDA:/ { print $1, $2, n[$1]++, $NF; next } { print }' \
  "$cov/rtl.raw.info" >"$cov/rtl.info"

# In the HTML, a line's count is the highest count of its points; every line with more than one
# point (toggle bits, branch arms, expression terms) also lists each point as a "branch".
genhtml --quiet --branch-coverage --rc lcov_branch_coverage=1 --title "tinylpu rtl/ coverage" \
  --output-directory "$cov/html" "$cov/rtl.info"

say "HTML: $(lcov --rc lcov_branch_coverage=1 --summary "$cov/rtl.info" 2>&1 |
  sed -n -E 's/^ *(lines|branches)\.*: *([0-9.]+%) .*/\1 \2/p' | paste -sd, - | sed 's/,/, /'
  ) (a line is hit when any of its points is; branches = the points of multi-point lines)"
say "report: $cov/html/index.html ($(($(date +%s) - start)) s)"
