#!/usr/bin/env bash
# Workload shrinking on the bug bench and the shipped failing scenarios
# (issue 13): per bug, the first K failing seeds of a sweep are shrunk with
# `kairos shrink`, and each shrunk trace is replayed by itself (it must
# match its hash and fail the same way). Printed per bug: the steps before
# and after (median and worst of the K seeds) and the hand-made smallest
# failing run: the shortest failing seed (same signature) of a sweep of
# bench/bugs/minimal/NAME.yaml, the bug's workload cut by hand to what it
# needs (each file says how). Target: after <= 2x hand.
#
#   bench/bugs/shrink.sh [--quick] [--seeds N] [--shrink K] [--enforce] [--markdown] [BUILD_DIR]
#
# --seeds N: seeds swept to find failures (default 1000); --shrink K: failing
# seeds shrunk per bug (default 5); --quick: 300 and 2 (the CI test
# `bench_shrink`). Exit 1 when a shrunk trace does not replay to its hash
# and signature, or a bug has no failing seed, or (--enforce) a shrunk run
# is over 2x the hand-made one; 2 on bad usage.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seeds=1000
shrink_k=5
markdown=false
enforce=false
build=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) seeds=300; shrink_k=2 ;;
    --seeds) seeds=${2:?--seeds N}; shift ;;
    --shrink) shrink_k=${2:?--shrink K}; shift ;;
    --markdown) markdown=true ;;
    --enforce) enforce=true ;;
    -*) echo "shrink.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1 ;;
    esac
    shift
done
build=${build:-$root/build}
bugs_runner=$build/bench/kairos-bugs
examples_runner=$build/examples/kairos-examples
for r in "$bugs_runner" "$examples_runner"; do
    [ -x "$r" ] || { echo "shrink.sh: $r not found; give the build directory" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kairos-shrink.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

# name, scenario, runner, strategy the bench finds it with
cases="race:$here/race.yaml:bugs:random
ordering-d2:$here/ordering-d2.yaml:bugs:pct
ordering-d3:$here/ordering-d3.yaml:bugs:pct
timeout:$here/timeout.yaml:bugs:random
duplicate:$here/duplicate.yaml:bugs:random
split-brain:$here/split-brain.yaml:bugs:random
crash:$here/crash.yaml:bugs:random
liveness:$here/liveness.yaml:bugs:random
bank-race:$root/scenarios/bank-race.yaml:examples:random
wal-ack-before-sync:$root/scenarios/wal-ack-before-sync.yaml:examples:random"

# "STEPS SIGNATURE" of each failing seed of a sweep's JSON Lines.
failures() {
    sed -n 's/^{"type":"seed","seed":\([0-9]*\),"status":"fail".*"steps":\([0-9]*\),.*"signature":"\([^"]*\)".*/\1 \2 \3/p' "$1"
}

median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }

if $markdown; then
    echo "| bug | seeds shrunk | steps before (median) | after: median, worst | hand-made smallest | worst after / hand |"
    echo "|---|---|---|---|---|---|"
else
    printf '%-20s %6s %8s %8s %7s %6s %8s\n' bug shrunk before after worst hand ratio
fi
while IFS=: read -r name file which strategy; do
    runner=$bugs_runner
    [ "$which" = examples ] && runner=$examples_runner
    "$runner" sweep "$file" --seeds "1..$seeds" --strategy "$strategy" --jobs 2 \
        --jsonl "$tmp/sweep.jsonl" >/dev/null 2>&1
    failures "$tmp/sweep.jsonl" | sort -n | head -n "$shrink_k" >"$tmp/seeds"
    if [ ! -s "$tmp/seeds" ]; then
        echo "shrink.sh: $name: no failing seed in 1..$seeds" >&2
        status=1
        continue
    fi
    signature=$(head -1 "$tmp/seeds" | cut -d' ' -f3-)
    : >"$tmp/before"
    : >"$tmp/after"
    while read -r seed _; do
        out=$tmp/$name.$seed.jsonl
        "$runner" shrink "$file" --seed "$seed" --strategy "$strategy" --out "$out" \
            >"$tmp/shrink.txt" 2>&1
        sed -n 's/^before: \([0-9]*\) steps.*/\1/p' "$tmp/shrink.txt" >>"$tmp/before"
        after=$(sed -n 's/^after: *\([0-9]*\) steps.*/\1/p' "$tmp/shrink.txt")
        echo "$after" >>"$tmp/after"
        "$runner" replay --trace "$out" >"$tmp/replay.txt" 2>&1
        if ! grep -q "matches the trace" "$tmp/replay.txt" ||
            ! grep -q "steps $after " "$tmp/replay.txt"; then
            echo "shrink.sh: $name seed $seed: the shrunk trace does not replay by itself" >&2
            status=1
        fi
    done <"$tmp/seeds"
    minimal=$here/minimal/$name.yaml
    "$runner" sweep "$minimal" --seeds 1..2000 --jobs 2 --jsonl "$tmp/hand.jsonl" >/dev/null 2>&1
    hand=$(failures "$tmp/hand.jsonl" | awk -v sig="$signature" \
        '{s = $3; for (i = 4; i <= NF; i++) s = s " " $i; if (s == sig) print $2}' | sort -n | head -1)
    before=$(median <"$tmp/before")
    after=$(median <"$tmp/after")
    worst=$(sort -n "$tmp/after" | tail -1)
    n=$(wc -l <"$tmp/after")
    ratio=$(awk -v a="$worst" -v h="${hand:-0}" 'BEGIN {if (h > 0) printf "%.2f", a / h; else print "-"}')
    if $enforce && { [ -z "$hand" ] || [ "$worst" -gt $((2 * hand)) ]; }; then
        echo "shrink.sh: $name: shrunk to $worst steps, over 2x the hand-made ${hand:-(none)}" >&2
        status=1
    fi
    if $markdown; then
        echo "| $name | $n | $before | $after, $worst | ${hand:--} | ${ratio}x |"
    else
        printf '%-20s %6s %8s %8s %7s %6s %7sx\n' "$name" "$n" "$before" "$after" "$worst" \
            "${hand:--}" "$ratio"
    fi
done <<<"$cases"
exit $status
