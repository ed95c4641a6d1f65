#!/usr/bin/env bash
# How the simulator's cost grows (issue 15 item 5): sim-events with 10 ..
# 100,000 processes in the ring (1,000,000 steps each), then 10^4 .. 10^7
# steps with 1,000 processes. Cost is linear when the time per event stays
# flat. Prints two Markdown tables of medians over ROUNDS runs (default 5):
# CPU time per event of the bench's timed region (--cpu-time: on a shared
# machine wall time also counts the time other programs held the core, more
# of it the longer the run) and, with CALLGRIND=1,
# instructions per event measured by valgrind as the difference between
# two run lengths (setup cancels out; exact and independent of load).
#
#   bench/sim_scaling.sh [BUILD_DIR]          (default: build)
#   BENCH_SMOKE=1 bench/sim_scaling.sh ...    (one round, small sizes)
set -euo pipefail
shopt -s inherit_errexit # a failing run fails the script, even inside $(...)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
bin=$build/bench/kairos-bench-sim
[[ -x $bin ]] || { echo "sim_scaling.sh: $bin not built" >&2; exit 2; }
rounds=${ROUNDS:-5}
procs_sizes=(10 100 1000 10000 100000)
lengths=(10000 100000 1000000 10000000)
steps=1000000
if [[ ${BENCH_SMOKE:-0} = 1 ]]; then
  rounds=1 procs_sizes=(10 1000) lengths=(10000 100000) steps=10000
fi

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Median ns per event and events/s of `rounds` runs: run PROCS N.
run() {
  local procs=$1 n=$2 out ns=() i
  for ((i = 0; i < rounds; i++)); do
    out=$("$bin" --cpu-time --procs "$procs" --n "$n" sim-events)
    [[ $out == bench=sim-events* ]] || { echo "sim_scaling.sh: no result line" >&2; exit 1; }
    ns+=("$(awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}}
                 END {printf "%.1f", v["seconds"] * 1e9 / v["n"]}' <<<"$out")")
  done
  printf '%s\n' "${ns[@]}" | median
}

# Instructions per event: callgrind at n and 3n, difference over 2n.
instructions() {
  local procs=$1 n=$2 a b
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --procs "$procs" --n "$n" \
        sim-events 2>&1 | sed -n 's/.*Collected : //p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --procs "$procs" \
        --n $((3 * n)) sim-events 2>&1 | sed -n 's/.*Collected : //p')
  echo $(((b - a) / (2 * n)))
}

callgrind=${CALLGRIND:-0}
echo "## sim-events by processes ($steps steps, medians of $rounds)"
echo
if [[ $callgrind = 1 ]]; then
  echo "| processes | ns per event | events/s | instructions per event |"
  echo "|---:|---:|---:|---:|"
else
  echo "| processes | ns per event | events/s |"
  echo "|---:|---:|---:|"
fi
for p in "${procs_sizes[@]}"; do
  ns=$(run "$p" "$steps")
  rate=$(awk -v ns="$ns" 'BEGIN {printf "%.0f", 1e9 / ns}')
  if [[ $callgrind = 1 ]]; then
    echo "| $p | $ns | $rate | $(instructions "$p" 100000) |"
  else
    echo "| $p | $ns | $rate |"
  fi
done
echo
echo "## sim-events by run length (1,000 processes, medians of $rounds)"
echo
echo "| events (steps) | ns per event | events/s |"
echo "|---:|---:|---:|"
for n in "${lengths[@]}"; do
  ns=$(run 1000 "$n")
  echo "| $n | $ns | $(awk -v ns="$ns" 'BEGIN {printf "%.0f", 1e9 / ns}') |"
done
