# Shared by scripts/demo and scripts/test: install what is missing, configure, build.
# Sourced, not run. Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail

OSTWIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OSTWIN_BUILD=${OSTWIN_BUILD:-$OSTWIN_ROOT/build}

# Debian packages ostwin needs to build, test and view (see README "Dependencies").
OSTWIN_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libyaml-cpp-dev libboost-graph-dev catch2 libcli11-dev nlohmann-json3-dev zlib1g-dev
  libsfml-dev fonts-dejavu-core xvfb xauth xdotool python3-simpy
  ccache
  # rt-app: its examples are imported by the tests (docs/rtapp.md); bench_native_rtapp runs it.
  rt-app
  # `ostwin sweep` draws its plots with gnuplot (docs/sweep.md).
  gnuplot-nox
  # The Slurm test (tests/slurm/slurm_sweep.sh) starts its own single-node cluster.
  slurmctld slurmd slurm-client munge
  # The man pages (help2man at build time) and the install test (man -w, bash completion).
  help2man man-db bash-completion
  # The scenario schema's test (tests/schema/schema_test.py).
  python3-jsonschema python3-yaml
  # Sanitizer and fuzz stages of scripts/test (docs/security.md): clang-14 and its
  # compiler-rt (libclang_rt.fuzzer, asan, ubsan for clang). GCC's own ASan/UBSan/TSan
  # runtimes come with g++ (libasan8, libubsan1, libtsan2).
  clang-14 libclang-rt-14-dev
)

ostwin_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ostwin_install_missing() {
  local missing=()
  for p in "${OSTWIN_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "ostwin: installing missing packages: ${missing[*]}" >&2
    ostwin_as_root apt-get update -qq
    ostwin_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

ostwin_build() {
  cmake -S "$OSTWIN_ROOT" -B "$OSTWIN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$OSTWIN_BUILD" -j "$(nproc)"
}

# Configures and builds one CMakePresets.json preset (asan, tsan, fuzz; docs/security.md).
# Extra arguments are build targets (default: the preset's own).
ostwin_build_preset() {
  local preset=$1
  shift
  local launcher=""
  command -v ccache >/dev/null && launcher=ccache
  (cd "$OSTWIN_ROOT" && cmake --preset "$preset" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" >/dev/null)
  if [ $# -gt 0 ]; then
    (cd "$OSTWIN_ROOT" && cmake --build --preset "$preset" -j "$(nproc)" --target "$@")
  else
    (cd "$OSTWIN_ROOT" && cmake --build --preset "$preset" -j "$(nproc)")
  fi
}
