#!/usr/bin/env bash
# Warning-free at every optimisation level: builds every target of the tree
# (libraries, kairos, examples, tests, benchmarks) with -Werror for each
# compiler and level given. gcc's -Wmaybe-uninitialized and friends depend on
# the optimiser (what inlining exposes), so a tree clean at -O2 can fail at
# -O3 or -Os: this is what README's demo-then-tests order once tripped over.
# Builds only; the test suites run in the other CI stages.
#
#   .ci/opt-levels.sh                       # gcc and clang, -O0 -O1 -O3 -Os
#   OPT_LEVELS="-O3" OPT_COMPILERS=gcc .ci/opt-levels.sh
# Build trees: build-opt/<compiler><level> (kept, so a rerun is incremental).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

levels=${OPT_LEVELS:--O0 -O1 -O3 -Os}
compilers=${OPT_COMPILERS:-gcc clang}
jobs=$(nproc)
status=0
for cc in $compilers; do
  for level in $levels; do
    dir=build-opt/$cc$level
    # CMAKE_BUILD_TYPE=None: the level given is the only -O on the line.
    CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$level" \
      -DKAIROS_WERROR=ON >/dev/null
    start=$SECONDS
    if cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1; then
      echo "opt-levels: $cc $level: warning-free ($((SECONDS - start))s)"
    else
      echo "FAIL: opt-levels: $cc $level:" >&2
      grep -E 'error|warning' "$dir/build.log" | head -20 >&2
      status=1
    fi
  done
done
exit $status
