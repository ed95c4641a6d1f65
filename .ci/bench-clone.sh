#!/usr/bin/env bash
# The benchmark comparison needs nothing outside the repository: clones the
# current commit into a temporary directory (no ../shared next to it) and
# runs `BENCH_SMOKE=1 bench/compare.sh` there, which installs the peers'
# runtimes (scripts/install-deps.sh --bench), builds Kairos and the CAF and
# Erlang programs of bench/peers/, runs every benchmark once at a tiny size
# and checks that every result line is there. Says nothing about speed.
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
echo "bench-clone: bench/compare.sh ran in a fresh clone"
