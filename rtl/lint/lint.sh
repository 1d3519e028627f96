#!/usr/bin/env bash
# Lint the tinylpu RTL with Verilator -Wall for every named configuration; fails on any warning.
#
# Usage: rtl/lint/lint.sh [CONFIG...]   (default: every configuration in cmake/lpu_configs.cmake,
#                                        the device configurations included)
# Environment: VERILATOR = verilator binary (default: verilator from PATH).
# The file list is rtl/lpu_core.f and the waivers, each with its reason, are in
# rtl/lint/verilator_waivers.vlt. Lint runs without SYNTHESIS, so the assertions are linted too.
# Without arguments the board tops (rtl/lpu_uart_top.f and fpga/ulx3s/lpu_ulx3s.f, `fpga`
# configuration) are linted as well.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$(cd "${here}/.." && pwd)"
root="$(cd "${rtl}/.." && pwd)"
verilator="${VERILATOR:-verilator}"

if ! command -v "${verilator}" >/dev/null 2>&1; then
  echo "lint: verilator not found (set VERILATOR or put verilator on PATH)" >&2
  exit 2
fi

configs_file="${root}/cmake/lpu_configs.cmake"
if (( $# > 0 )); then
  configs=("$@")
else
  read -r -a configs <<< "$(sed -nE 's/^set\(LPU_ALL_CONFIGS (.*)\)$/\1/p' "${configs_file}")"
  lint_board=1
fi
if (( ${#configs[@]} == 0 )); then
  echo "lint: no configurations found in ${configs_file}" >&2
  exit 2
fi

lint_board="${lint_board:-0}"
status=0

# lint_one NAME TOP FILE...: lints TOP from the core's file list plus FILE...; Verilator prints
# its report on stdout and every warning on stderr.
lint_one() {
  local name="$1" top="$2" rc=0 log
  shift 2
  log="$("${verilator}" --lint-only -Wall -I"${rtl}" "${here}/verilator_waivers.vlt" \
           -F "${rtl}/lpu_core.f" "$@" --top-module "${top}" "${params[@]}" 2>&1 >/dev/null)" \
    || rc=$?
  if [[ -n "${log}" || ${rc} -ne 0 ]]; then
    echo "lint: ${name}: FAILED" >&2
    echo "${log}" >&2
    status=1
  else
    echo "lint: ${name}: clean (${params[*]})"
  fi
}

for config in "${configs[@]}"; do
  params_line="$(grep -E "^set\(LPU_CONFIG_${config}_PARAMS " "${configs_file}" || true)"
  if [[ -z "${params_line}" ]]; then
    echo "lint: unknown configuration '${config}'" >&2
    exit 2
  fi
  params=()
  for word in ${params_line}; do
    if [[ "${word}" =~ ^(-G[A-Za-z0-9_]+=[0-9]+)\)?$ ]]; then
      params+=("${BASH_REMATCH[1]}")
    fi
  done

  lint_one "${config}" lpu_top

  # The board tops around the core of the `fpga` configuration: the board-independent UART
  # top, and the ULX3S top with a stand-in for the ECP5 PLL primitive.
  if (( lint_board )) && [[ "${config}" == "fpga" ]]; then
    board=()
    for list in rtl/lpu_uart_top.f fpga/ulx3s/lpu_ulx3s.f; do
      while IFS= read -r line || [[ -n "${line}" ]]; do
        line="${line%%#*}"; line="${line//[[:space:]]/}"
        [[ -n "${line}" ]] && board+=("${root}/${line}")
      done < "${root}/${list}"
    done
    for top in lpu_uart_top lpu_ulx3s_top; do
      lint_one "board top ${top} (${config})" "${top}" "${board[@]}" "${root}/fpga/lint/EHXPLLL.sv"
    done
  fi
done
exit "${status}"
