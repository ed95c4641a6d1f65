#!/usr/bin/env bash
# Line and branch coverage of runtime/ and sim/ from the test suite.
#
# Usage: cmake/coverage.sh BUILD_DIR [SOURCE_DIR]
#   BUILD_DIR   a build configured with -DKAIROS_COVERAGE=ON (gcc), already built
#   SOURCE_DIR  defaults to the source dir recorded in BUILD_DIR/CMakeCache.txt
#
# Zeroes the counters, runs ctest, captures with lcov, keeps only runtime/ and
# sim/ sources, writes the HTML report to SOURCE_DIR/reports/coverage/index.html
# and prints lcov's summary. Its last line is machine-readable:
#   KAIROS_LINE_COVERAGE=87.3
# (also written to reports/coverage/line-coverage.txt). Exits non-zero if a
# test failed (after writing the report) or if lcov fails.
# Environment: GCOV (default gcov) names the gcov matching the compiler;
# CTEST_JOBS (default nproc) sets ctest's parallelism.
set -euo pipefail

build=${1:?usage: coverage.sh BUILD_DIR [SOURCE_DIR]}
build=$(cd "$build" && pwd)
if [[ $# -ge 2 ]]; then
  src=$2
else
  # The exact spelling CMake gave the compiler, so the lcov filters match.
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
fi
[[ -n "$src" && -d "$src" ]] || { echo "coverage.sh: cannot find the source dir" >&2; exit 2; }
src=${src%/}

out="$src/reports/coverage"
work="$build/coverage"
lcov_opts=(--rc lcov_branch_coverage=1 --gcov-tool "${GCOV:-gcov}" --quiet)

rm -rf "$work" "$out"
mkdir -p "$work" "$out"

lcov "${lcov_opts[@]}" --zerocounters --directory "$build"
# A zero baseline of every instrumented file, so sources that no test reaches
# still count (as uncovered) instead of vanishing from the report.
lcov "${lcov_opts[@]}" --capture --initial --directory "$build" \
  --output-file "$work/base.info"

tests_rc=0
ctest --test-dir "$build" --output-on-failure -j"${CTEST_JOBS:-$(nproc)}" || tests_rc=$?

lcov "${lcov_opts[@]}" --capture --directory "$build" --output-file "$work/tests.info"
lcov "${lcov_opts[@]}" --add-tracefile "$work/base.info" --add-tracefile "$work/tests.info" \
  --output-file "$work/total.info"
lcov "${lcov_opts[@]}" --extract "$work/total.info" "$src/runtime/*" "$src/sim/*" \
  --output-file "$out/coverage.info"

genhtml --rc lcov_branch_coverage=1 --rc genhtml_branch_coverage=1 --quiet \
  --title "Kairos: runtime/ and sim/" --prefix "$src" --legend \
  --output-directory "$out" "$out/coverage.info"

summary=$(lcov --rc lcov_branch_coverage=1 --summary "$out/coverage.info" 2>&1)
printf '%s\n' "$summary"
# "  lines......: 87.3% (1234 of 1413 lines)"
line_pct=$(printf '%s\n' "$summary" | sed -n 's/^ *lines\.*: *\([0-9.]*\)%.*/\1/p' | head -n 1)
[[ -n "$line_pct" ]] || line_pct=0.0
printf '%s\n' "$line_pct" >"$out/line-coverage.txt"
echo "report: $out/index.html"
if [[ $tests_rc -ne 0 ]]; then
  echo "coverage.sh: ctest failed (exit $tests_rc); the coverage above is of a failing run" >&2
fi
echo "KAIROS_LINE_COVERAGE=$line_pct"
exit "$tests_rc"
