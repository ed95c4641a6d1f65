#!/usr/bin/env bash
# The main job, for a newcomer: installs the dependencies, builds, and hunts
# the bank race on the simulator.
#
#   1. ping-pong on the simulator for seeds 1 2 3: the same seed always
#      gives the same trace hash;
#   2. `kairos-examples sweep scenarios/bank-race.yaml --seeds 1..2000`
#      (the kairos command with the example actors of scenarios/actors,
#      built as a user's own runner is): finds the seeds where two tellers
#      lose an update;
#   3. `kairos replay` of the first failing seed: the identical run, its
#      event log, the same hash;
#   4. `kairos run --report`: that run as a sequence diagram in
#      reports/bank-race-seed-N.html (open it in a browser);
#   5. a replicated write-ahead log whose backup acknowledges before it
#      syncs: process crashes never find it, power-offs do, and the report
#      of the failing run shows which unsynced write was lost.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/install-deps.sh
# The same configuration as ./scripts/test.sh (build/, warnings as errors,
# the default build type), so the two run in either order in one clone
# without one reconfiguring the other's tree.
cmake -S . -B build -DKAIROS_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)" --target kairos_cli kairos_examples pingpong_sim

echo "== 1. ping-pong on the simulator: same seed, same trace hash"
for seed in 1 2 3 1; do
  ./build/examples/pingpong_sim "$seed"
done

echo
echo "== 2. kairos-examples sweep scenarios/bank-race.yaml --seeds 1..2000"
set +e
./build/examples/kairos-examples sweep scenarios/bank-race.yaml --seeds 1..2000 --jobs "$(nproc)" | tee build/demo-sweep.txt
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 1 ]]; then
  echo "demo: expected the sweep to find the race (exit 1), got exit $status" >&2
  exit 1
fi
seed=$(sed -n 's/.*first seed \([0-9]*\) .*/\1/p' build/demo-sweep.txt | head -1)

echo
echo "== 3. kairos-examples replay scenarios/bank-race.yaml --seed $seed (last 12 lines of the event log)"
./build/examples/kairos-examples replay scenarios/bank-race.yaml --seed "$seed" | tail -12 || true

echo
echo "== 4. kairos-examples run scenarios/bank-race.yaml --seed $seed --report reports/bank-race-seed-$seed.html"
mkdir -p reports
./build/examples/kairos-examples run scenarios/bank-race.yaml --seed "$seed" \
  --trace "build/bank-race-seed-$seed.jsonl" --report "reports/bank-race-seed-$seed.html" || true
echo "open reports/bank-race-seed-$seed.html to see the race"

echo
echo "== 5. a bug only a machine crash finds: scenarios/wal-*.yaml"
./build/examples/kairos-examples sweep scenarios/wal-crash-only.yaml --seeds 1..1000 --jobs "$(nproc)" | grep -E "^(seeds run|faults|result)"
set +e
./build/examples/kairos-examples sweep scenarios/wal-ack-before-sync.yaml --seeds 1..1000 --jobs "$(nproc)" | tee build/demo-wal.txt | grep -E "^(seeds run|faults|result)|first seed"
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 1 ]]; then
  echo "demo: expected power-offs to find the lost acknowledged writes (exit 1), got exit $status" >&2
  exit 1
fi
wal_seed=$(sed -n 's/.*first seed \([0-9]*\) .*/\1/p' build/demo-wal.txt | head -1)
./build/examples/kairos-examples run scenarios/wal-ack-before-sync.yaml --seed "$wal_seed" \
  --trace "build/wal-seed-$wal_seed.jsonl" --report "reports/wal-seed-$wal_seed.html" >/dev/null || true
grep -h '"kind":"write-lost"' "build/wal-seed-$wal_seed.jsonl" | head -3 | sed -n 's/.*"time":\([0-9]*\).*"node":"\([^"]*\)".*"name":"\([^"]*\)".*/  lost at t=\1ns on \2: unsynced write \3/p'
echo "open reports/wal-seed-$wal_seed.html to see the power-off and the lost write"
