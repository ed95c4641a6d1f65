#!/usr/bin/env bash
# Install smoke check: `cmake --install` into a temporary prefix; the
# installed `kairos` runs (--help, a scenario) with no environment variables
# at all (its RPATH finds the installed libraries); then build
# examples/pingpong.c against each installed library twice, through
# pkg-config (kairos, kairos-sim) and through find_package(kairos) in a tiny
# CMake project, and a scenario runner against the harness both ways
# (kairos-harness, kairos_add_scenario_runner), and run every binary;
# ldd/nm show that libkairos_sim links no harness library (libyaml,
# jansson, libdl) nor http-parser, and that neither runtime library exports
# an internal kr__ symbol; last, a parent project that
# add_subdirectory()s the source tree without cmocka builds and runs
# (tests/test_subproject.sh --build).
#
# Usage: .ci/install-check.sh [BUILD_DIR]   (default: build; configured and
# built here if needed)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kairos-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build"
fi
cmake --build "$build" -j"$(nproc)" --target kairos kairos_sim kairos_harness kairos_cli
cmake --install "$build" --prefix "$prefix"

echo "--- installed files"
(cd "$prefix" && find . -type f -o -type l | sort)

# Before anything below sets LD_LIBRARY_PATH: env -i, as a user's shell
# without it would. A passing seed of the shipped scenario, so exit 0.
echo "--- installed kairos, no environment"
env -i "$prefix/bin/kairos" --help >"$tmp/help.txt" ||
  { echo "install-check: $prefix/bin/kairos --help failed" >&2; exit 1; }
head -3 "$tmp/help.txt"
env -i "$prefix/bin/kairos" run "$root/scenarios/three-node.yaml" --seed 1 ||
  { echo "install-check: $prefix/bin/kairos run failed" >&2; exit 1; }

# Three libraries, one direction of use: the simulator needs nothing but
# libc (and libm/pthreads); the harness alone brings libyaml, jansson, libdl.
echo "--- libkairos_sim links nothing of the harness"
simlib=$(find "$prefix" -name 'libkairos_sim.so.0' -print -quit)
harnesslib=$(find "$prefix" -name 'libkairos_harness.so.0' -print -quit)
[[ -n "$simlib" && -n "$harnesslib" ]] ||
  { echo "install-check: libkairos_sim.so.0 or libkairos_harness.so.0 not installed" >&2; exit 1; }
# Captured first: with pipefail, grep -q ending early would fail the pipe.
sim_ldd=$(ldd "$simlib") sim_undef=$(nm -D --undefined-only "$simlib") harness_ldd=$(ldd "$harnesslib")
echo "$sim_ldd"
if grep -Eq 'libyaml|libjansson|libdl\.|libhttp_parser' <<<"$sim_ldd"; then
  echo "install-check: libkairos_sim links a harness or HTTP library" >&2; exit 1
fi
if grep -Eq ' (yaml_|json_|dlopen|dlsym|http_parser)' <<<"$sim_undef"; then
  echo "install-check: libkairos_sim uses yaml/jansson/libdl/http_parser symbols" >&2
  grep -E ' (yaml_|json_|dl|http_parser)' <<<"$sim_undef" >&2; exit 1
fi
# The runtime libraries export the public API only: no internal kr__ name
# (a test or fuzzer that needs one links the runtime's objects instead).
for lib in libkairos.so.0 libkairos_sim.so.0; do
  path=$(find "$prefix" -name "$lib" -print -quit)
  internal=$(nm -D --defined-only "$path" | awk '$3 ~ /^kr__/ {print $3}')
  if [[ -n "$internal" ]]; then
    echo "install-check: $lib exports internal symbols:" $internal >&2; exit 1
  fi
done
grep -q 'libkairos_sim' <<<"$harness_ldd" ||
  { echo "install-check: libkairos_harness does not link libkairos_sim" >&2; exit 1; }

# pkg-config finds the .pc files wherever GNUInstallDirs put the libraries.
pc=$(find "$prefix" -name kairos.pc -print -quit)
[[ -n "$pc" ]] || { echo "install-check: kairos.pc not installed" >&2; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir kairos)
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cc=${CC:-cc}

for header in "$prefix"/include/kairos/kairos.h "$prefix"/include/kairos/sim.h; do
  [[ -f "$header" ]] || { echo "install-check: $header not installed" >&2; exit 1; }
done

echo "--- pkg-config"
for pkg in kairos kairos-sim; do
  # shellcheck disable=SC2046 # pkg-config prints several words on purpose
  "$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/pingpong-pc-$pkg" "$root/examples/pingpong.c" \
    $(pkg-config --cflags --libs "$pkg")
  echo "$pkg: $(pkg-config --cflags --libs "$pkg")"
done
pkg-config --cflags kairos-sim | grep -q -- '-DKAIROS_SIM' ||
  { echo "install-check: kairos-sim.pc lacks -DKAIROS_SIM" >&2; exit 1; }
# A user's own scenario runner through kairos-harness.pc.
printf '%s\n' '#include <kairos/scenario.h>' \
  'int main(int argc, char **argv) { return kr_scenario_main(argc, argv); }' >"$tmp/runner.c"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/runner-pc" "$tmp/runner.c" \
  $(pkg-config --cflags --libs kairos-harness)
echo "kairos-harness: $(pkg-config --cflags --libs kairos-harness)"
"$tmp/runner-pc" run "$root/scenarios/three-node.yaml" --seed 1
"$tmp/pingpong-pc-kairos"
"$tmp/pingpong-pc-kairos-sim" 1

echo "--- find_package(kairos)"
proj="$tmp/consumer"
mkdir -p "$proj"
cp "$root/examples/pingpong.c" "$proj/"
cat >"$proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(kairos_consumer LANGUAGES C)
find_package(kairos 0.1 REQUIRED)
add_executable(pingpong_real pingpong.c)
target_link_libraries(pingpong_real PRIVATE kairos::kairos)
add_executable(pingpong_sim pingpong.c)
target_link_libraries(pingpong_sim PRIVATE kairos::kairos_sim)
kairos_add_scenario_runner(my_runner runner.c)
EOF
cp "$tmp/runner.c" "$proj/"
cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc"
cmake --build "$proj/build" -j"$(nproc)"
"$proj/build/pingpong_real"
"$proj/build/pingpong_sim" 2
"$proj/build/my_runner" run "$root/scenarios/three-node.yaml" --seed 1

echo "--- add_subdirectory(kairos) in a parent project, without cmocka"
bash "$root/tests/test_subproject.sh" "$root" "$tmp/subproject" --build

echo "install-check: OK"
