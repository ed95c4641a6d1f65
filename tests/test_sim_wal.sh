#!/bin/bash
# The shipped write-ahead-log example (scenarios/actors/wal.c, issue 12):
# its ack-before-sync bug is found by a sweep with power-offs, never by
# crashes alone, and the log without the bug passes under power-offs; a
# failing seed replays to the same hash and its trace names the lost write.
# usage: test_sim_wal.sh KAIROS SOURCE_DIR
set -u
K=$1
SRC=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-wal.XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$K" sweep "$SRC/scenarios/wal-ack-before-sync.yaml" --seeds 1..300 --jobs 2 >"$T/bug" 2>&1
[ $? -eq 1 ] || fail "the buggy log under power-offs must fail the sweep"
grep -q "acknowledged writes lost" "$T/bug" || fail "the failure names the lost acknowledged writes"
grep -q "^faults: .*power-off [0-9]* in [0-9]* seeds.*write-lost" "$T/bug" ||
    fail "the sweep summary counts the power-offs and lost writes"
"$K" sweep "$SRC/scenarios/wal-ack-before-sync.yaml" --seeds 1..20 --jobs 2 --report "$T/sweep.html" >/dev/null 2>&1
grep -q "Faults injected" "$T/sweep.html" || fail "the sweep report lists the faults injected"

"$K" sweep "$SRC/scenarios/wal-crash-only.yaml" --seeds 1..1000 --jobs 2 >"$T/crash" 2>&1 ||
    fail "crashes alone must not find the bug: $(tail -3 "$T/crash")"
"$K" sweep "$SRC/scenarios/wal-safe.yaml" --seeds 1..1000 --jobs 2 >"$T/safe" 2>&1 ||
    fail "the log without the bug must pass under power-offs: $(tail -3 "$T/safe")"

seed=$(sed -n 's/.*first seed \([0-9]*\) .*/\1/p' "$T/bug" | head -1)
[ -n "$seed" ] || fail "no first failing seed in the sweep output"
"$K" run "$SRC/scenarios/wal-ack-before-sync.yaml" --seed "${seed:-1}" --trace "$T/t.jsonl" >"$T/run" 2>&1
grep -q '"kind":"write-lost"\|"kind":"write-torn"' "$T/t.jsonl" ||
    fail "the failing run's trace shows a lost or torn write"
grep -q '"kind":"power-off"' "$T/t.jsonl" || fail "the failing run's trace shows the power-off"
"$K" report "$T/t.jsonl" -o "$T/r.html" >/dev/null 2>&1 || fail "the failing run renders as a report"
grep -q 'write-lost\|write-torn' "$T/r.html" || fail "the report holds the lost write"

[ $failures -eq 0 ] && echo "wal: all checks passed"
exit $((failures > 0))
