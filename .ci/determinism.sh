#!/usr/bin/env bash
# Determinism across compilers and optimisation levels: the same scenario
# and seed must give the same trace hash whichever build runs it. Sweeps the
# shipped scenarios with the `kairos-examples` runner (kairos plus the
# example actors) of each build directory given, the
# ping-pong demo and the harsh-world demo (every fault of issue 12 enabled:
# power-off, crash, clock skew/drift/jump, pause, one-way cut, disk
# faults), and compares every seed's hash.
#
#   .ci/determinism.sh build build-clang build-cov
#   (gcc -O2, clang -O2, gcc -O0 in CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -ge 2 ]] || { echo "usage: determinism.sh BUILD_DIR BUILD_DIR [...]" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kairos-determinism.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

# One "seed hash" line per seed, sorted, from a sweep's JSON Lines.
hashes() {
  sed -n 's/^{"type":"seed","seed":\([0-9]*\),.*"hash":"\(0x[0-9a-f]*\)".*/\1 \2/p' "$1" | sort -n
}

# Every strategy, on both scenarios (pct's k is calibrated by each build:
# it must agree too, or the hashes would differ); and the write-ahead-log
# scenario, whose random faults crash and power off its backup, also with
# swarm testing (each seed draws its own fault configuration).
for run in "bank-race random" "bank-race pct" "bank-race pos" "bank-race fifo" \
           "three-node random" "three-node pct" "three-node pos" \
           "wal-ack-before-sync random" "wal-ack-before-sync pct" \
           "wal-ack-before-sync random --swarm" "wal-ack-before-sync pos --swarm"; do
  read -r base strategy extra <<<"$run"
  scenario=scenarios/$base.yaml
  for dir in "$@"; do
    name=$(basename "$dir")
    "$dir/examples/kairos-examples" sweep "$scenario" --seeds 1..300 --jobs 2 --strategy "$strategy" ${extra:-} \
      --jsonl "$tmp/$name.jsonl" >/dev/null 2>&1 || true
    hashes "$tmp/$name.jsonl" >"$tmp/$name.hashes"
    [[ $(wc -l <"$tmp/$name.hashes") -eq 300 ]] || { echo "FAIL: $dir: expected 300 seeds" >&2; status=1; }
  done
  first=$(basename "$1")
  for dir in "${@:2}"; do
    name=$(basename "$dir")
    if cmp -s "$tmp/$first.hashes" "$tmp/$name.hashes"; then
      echo "$scenario ($strategy${extra:+ $extra}): $first and $name agree on all 300 trace hashes"
    else
      echo "FAIL: $scenario ($strategy): $first and $name disagree:" >&2
      diff "$tmp/$first.hashes" "$tmp/$name.hashes" | head -5 >&2
      status=1
    fi
  done
done

for dir in "$@"; do
  for seed in 1 2 3; do
    "$dir/examples/pingpong_sim" "$seed"
  done >"$tmp/$(basename "$dir").pingpong"
done
for dir in "${@:2}"; do
  if cmp -s "$tmp/$(basename "$1").pingpong" "$tmp/$(basename "$dir").pingpong"; then
    echo "pingpong_sim: $(basename "$1") and $(basename "$dir") agree on seeds 1-3"
  else
    echo "FAIL: pingpong_sim hashes differ between $1 and $dir" >&2
    status=1
  fi
done
for dir in "$@"; do
  for seed in $(seq 1 50); do
    "$dir/examples/harsh_world_sim" "$seed"
  done >"$tmp/$(basename "$dir").harsh"
done
for dir in "${@:2}"; do
  if cmp -s "$tmp/$(basename "$1").harsh" "$tmp/$(basename "$dir").harsh"; then
    echo "harsh_world_sim: $(basename "$1") and $(basename "$dir") agree on seeds 1-50"
  else
    echo "FAIL: harsh_world_sim hashes differ between $1 and $dir" >&2
    diff "$tmp/$(basename "$1").harsh" "$tmp/$(basename "$dir").harsh" | head -5 >&2
    status=1
  fi
done
exit $status
