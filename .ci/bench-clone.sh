#!/usr/bin/env bash
# The benchmark comparison needs nothing outside the repository: clones the
# current commit into a temporary directory (no ../shared next to it) and
# runs `BENCH_SMOKE=1 bench/compare.sh` there, which installs the peers'
# runtimes (scripts/install-deps.sh --bench), builds Kairos and the CAF and
# Erlang programs of bench/peers/, runs every benchmark once at a tiny size
# and checks that every result line is there; then `BENCH_SMOKE=1
# bench/scaling.sh` (1, 2, 4, 8 workers at a tiny size) and checks that its
# chart is a well-formed SVG. Says nothing about speed.
#
#   .ci/bench-clone.sh            # BENCH_SMOKE_N=1000 by default
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kairos-bench-clone.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

git clone -q "$root" "$tmp/kairos"
cd "$tmp/kairos"
[[ ! -e ../shared ]] || { echo "bench-clone: $tmp/shared exists" >&2; exit 1; }
BENCH_SMOKE=1 bench/compare.sh
# The worker-scaling runs and their chart (checked by bench/svg_check.sh,
# with xmllint from install-deps.sh --bench); reuses compare.sh's build.
BENCH_SMOKE=1 bench/scaling.sh
bench/svg_check.sh build-bench/scaling.svg 3
echo "bench-clone: bench/compare.sh and bench/scaling.sh ran in a fresh clone"
