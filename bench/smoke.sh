#!/usr/bin/env bash
# Usage: smoke.sh KAIROS_BENCH KAIROS_BENCH_SIM
# Runs every benchmark once at a tiny size on both backends (the ctest test
# bench_smoke and compare.sh's BENCH_SMOKE=1 mode) and checks that each
# printed its result line. Says nothing about speed.
set -euo pipefail
real=$1 sim=$2
n=${BENCH_SMOKE_N:-1000}

check() { # check LABEL EXPECTED-COUNT OUTPUT
  local got
  got=$(grep -c '^bench=.* n=[0-9]* seconds=[0-9.]* rate=[0-9]* rss_mb=' <<<"$3" || true)
  if [ "$got" -ne "$2" ]; then
    echo "smoke: $1 printed $got result lines, expected $2" >&2
    exit 1
  fi
}

out=$("$real" --n "$n")
echo "$out"
check real 7 "$out"
out=$("$sim" --n "$n")
echo "$out"
check sim 8 "$out"
out=$("$real" --backend sim --n "$n" pingpong)   # the re-exec path
echo "$out"
check "--backend sim" 1 "$out"
grep -q 'runtime=kairos-sim' <<<"$out"
