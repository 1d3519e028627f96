#!/usr/bin/env bash
# `make nightly`: the long regression. NIGHTLY_SEEDS runs of the random lockstep test on both
# configurations (LPU_ITERS programs each, seeds from the date unless LPU_SEED is set), the
# illegal-mode and random-init tests with more iterations, 40 random transformer layers per
# configuration, 5 minutes of fuzzing per target,
# every formal proof, the ctests labelled `nightly` (the Icarus cross-check), and the functional
# and code coverage goals over all of it (the small config's code coverage as lcov HTML in
# <build>/nightly/coverage/html).
# Every failure prints its replay command; the log is <build>/nightly/nightly.log.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${BUILD:-build}
seeds=${NIGHTLY_SEEDS:-8}
iters=${LPU_ITERS:-2000}
base=${LPU_SEED:-$(date +%Y%m%d)000}
out=$build/nightly
rm -rf "$out" && mkdir -p "$out/fcov"
# The instrumented small models write their code coverage here (tb/rtl_sim.cc).
export LPU_COVERAGE_DIR=$repo/$out/coverage/dat
[[ $build == /* ]] && export LPU_COVERAGE_DIR=$out/coverage/dat
failed=0
run() {
  echo "nightly: $*"
  if ! "$@" >>"$out/nightly.log" 2>&1; then
    echo "nightly: FAILED: $* (see $out/nightly.log)"
    failed=1
  fi
}
for ((i = 0; i < seeds; i++)); do
  seed=$((base + i * iters))
  run env LPU_SEED=$seed LPU_ITERS=$iters LPU_FCOV_DIR=$out/fcov/legal_$i \
    "$build/bin/verif_tests" --gtest_filter='*LegalProgramsAgree*'
  run env LPU_SEED=$seed LPU_ITERS=100 LPU_FCOV_DIR=$out/fcov/illegal_$i \
    "$build/bin/verif_tests" --gtest_filter='*IllegalProgramsTripEachError*'
done
run env LPU_ITERS=200 "$build/bin/verif_tests" --gtest_filter='*XInitTest*'
run env LPU_SEED=$base LPU_ITERS=40 "$build/bin/verif_tests" --gtest_filter='*RandomLayerTest*'
run ctest --test-dir "$build" --output-on-failure -L nightly
run env LPU_FUZZ_SECONDS=300 bash tools/fuzz.sh
run bash tools/formal.sh
fcov_args=()
for d in "$out"/fcov/*; do fcov_args+=(--fcov "$d"); done
run python3 tools/coverage_check.py "${fcov_args[@]}" --out "$out/fcov_merged.json"
run bash tools/coverage.sh --report "$LPU_COVERAGE_DIR" "$out/coverage" --check
grep -E "^coverage_check|functional|replay:" "$out/nightly.log" | tail -20
exit $failed
