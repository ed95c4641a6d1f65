#!/usr/bin/env bash
# Usage: smoke.sh KAIROS_BENCH KAIROS_BENCH_SIM [KAIROS_TCP_FLOOR]
# Runs every benchmark once at a tiny size on both backends (the ctest test
# bench_smoke and compare.sh's BENCH_SMOKE=1 mode) and checks that each
# printed its result line. Says nothing about speed. The real run includes
# remote-w1/remote-w100 (a second OS process over loopback) and, when wrk is
# installed, http (1 s of wrk, with its p99 latency); without wrk, http says SKIPPED and prints no
# result line. KAIROS_TCP_FLOOR (the loopback floor of issue 15), when given,
# runs once too.
set -euo pipefail
real=$1 sim=$2 floor=${3:-}
n=${BENCH_SMOKE_N:-1000}

check() { # check LABEL EXPECTED-COUNT OUTPUT
  local got
  got=$(grep -c '^bench=.* n=[0-9]* seconds=[0-9.]* rate=[0-9]* rss_mb=' <<<"$3" || true)
  if [ "$got" -ne "$2" ]; then
    echo "smoke: $1 printed $got result lines, expected $2" >&2
    exit 1
  fi
}

want_real=9
if command -v wrk >/dev/null; then
  want_real=10
else
  echo "smoke: http benchmark skipped: wrk not installed (apt-get install -y wrk)"
fi
out=$("$real" --n "$n")
echo "$out"
check real "$want_real" "$out"
# http reports wrk's 99th percentile latency beside its rate.
if [ "$want_real" = 10 ] && ! grep -q '^bench=http .* p99_ms=[0-9.]*$' <<<"$out"; then
  echo "smoke: http printed no p99_ms" >&2
  exit 1
fi
out=$("$sim" --n "$n")
echo "$out"
check sim 8 "$out"
out=$("$real" --backend sim --n "$n" pingpong)   # the re-exec path
echo "$out"
check "--backend sim" 1 "$out"
grep -q 'runtime=kairos-sim' <<<"$out"
if [ -n "$floor" ]; then
  out=$("$floor" --n "$n")
  echo "$out"
  check tcp-floor 1 "$out"
  grep -q '^bench=tcp-floor runtime=tcp ' <<<"$out"
fi
