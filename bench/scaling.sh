#!/usr/bin/env bash
# Usage: bench/scaling.sh
# Scaling runs of issue 6, ROUNDS rounds each (default 3), medians printed as
# Markdown tables:
#   - pingpong, pingpong-dispatch and fanout (real) with 1 and 2 workers;
#   - spawn at 10^4, 10^5, 10^6 leaves on both backends (ns per process
#     should stay flat);
#   - sim-events at 10^4 .. 10^7 events (cost should be linear: flat rate).
# Builds Kairos (Release) first, as compare.sh does. Raw lines go to
# $BENCH_BUILD_DIR/scaling.txt. BENCH_SMOKE=1: one round of the small sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
spawn_sizes=(10000 100000 1000000)
sim_sizes=(10000 100000 1000000 10000000)
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  ROUNDS=1 spawn_sizes=(100 1000) sim_sizes=(1000 10000)
fi

bench_build_kairos
raw=$BENCH_BUILD_DIR/scaling.txt
: >"$raw"

for round in $(seq 1 "$ROUNDS"); do
  echo "# round $round/$ROUNDS" >&2
  for w in 1 2; do
    for b in pingpong pingpong-dispatch fanout; do
      n=()
      [ "${BENCH_SMOKE:-0}" = 1 ] && n=(--n 1000)
      "$KAIROS_BENCH" --workers "$w" "${n[@]}" "$b" |
        sed "s/runtime=kairos-real/runtime=kairos-real-w$w/" | tee -a "$raw"
    done
  done
  for size in "${spawn_sizes[@]}"; do
    "$KAIROS_BENCH" --n "$size" spawn | tee -a "$raw"
    "$KAIROS_BENCH_SIM" --n "$size" spawn | tee -a "$raw"
  done
  for size in "${sim_sizes[@]}"; do
    "$KAIROS_BENCH_SIM" --n "$size" sim-events | tee -a "$raw"
  done
done

medians=$(bench_medians <"$raw")
echo
echo "## Workers (real backend), medians of $ROUNDS"
echo "| bench | runtime | n | median s | median rate/s |"
echo "|---|---|---:|---:|---:|"
awk '$2 ~ /-w[0-9]/ { printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $6 }' <<<"$medians"
echo
echo "## spawn (skynet) size scaling, medians of $ROUNDS"
echo "| runtime | processes | median s | median rate/s | ns per process | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
awk '$1 == "spawn" { printf "| %s | %s | %s | %s | %.0f | %s |\n", $2, $3, $5, $6, 1e9 / $6, $7 }' \
  <<<"$medians"
echo
echo "## sim-events size scaling, medians of $ROUNDS"
echo "| events (steps) | median s | median events/s | ns per event |"
echo "|---:|---:|---:|---:|"
awk '$1 == "sim-events" { printf "| %s | %s | %s | %.0f |\n", $3, $5, $6, 1e9 / $6 }' <<<"$medians"
