#!/usr/bin/env bash
# The bug bench (bench/bugs/README.md): sweeps every planted bug and its
# repaired control under each strategy and prints, per bug and strategy, the
# first failing seed (the seeds a sweep needs to find the bug) and the hit
# rate over N seeds. Fails (exit 1) if a control ever fails, or if a bug is
# never found: by the default strategy (random) with 1000 seeds or more, by
# any strategy with fewer (--quick).
#
#   bench/bugs/run.sh [--quick] [--seeds N] [--markdown] [path/to/kairos-bugs]
#
# --quick: 200 seeds (the CI test `bench_bugs`); default 1000. --markdown
# prints the table as Markdown (bench/RESULTS.md).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seeds=1000
markdown=false
runner=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) seeds=200 ;;
    --seeds) seeds=${2:?--seeds N}; shift ;;
    --markdown) markdown=true ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) runner=$1 ;;
    esac
    shift
done
if [ -z "$runner" ]; then
    for c in "$here/../../build/bench/kairos-bugs" ./bench/kairos-bugs; do
        [ -x "$c" ] && runner=$c && break
    done
fi
[ -x "${runner:-}" ] || { echo "run.sh: kairos-bugs not found; give its path" >&2; exit 2; }

bugs="race ordering-d2 ordering-d3 timeout duplicate split-brain crash liveness"
strategies="random pct pos"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kairos-bugs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0
declare -A found

# sweep FILE STRATEGY -> "FIRST HITS" (FIRST "-" when none failed)
sweep() {
    "$runner" sweep "$1" --seeds "1..$seeds" --strategy "$2" --jobs 2 \
        --jsonl "$tmp/out.jsonl" >"$tmp/out.txt" 2>&1
    local rc=$?
    if [ $rc -eq 2 ]; then
        echo "run.sh: $1 ($2) could not run:" >&2
        cat "$tmp/out.txt" >&2
        echo "ERR ERR"
        return
    fi
    local fails first
    fails=$(grep -c '"type":"seed".*"status":"fail"' "$tmp/out.jsonl")
    first=$(sed -n 's/^{"type":"seed","seed":\([0-9]*\),"status":"fail".*/\1/p' "$tmp/out.jsonl" |
        sort -n | head -1)
    echo "${first:--} $fails"
}

if $markdown; then
    echo "| bug | strategy | first failing seed | hit rate ($seeds seeds) | control failures |"
    echo "|---|---|---|---|---|"
else
    printf '%-12s %-7s %8s %16s %9s\n' bug strategy first "hit rate" control
fi
for bug in $bugs; do
    for st in $strategies; do
        read -r first hits < <(sweep "$here/$bug.yaml" "$st")
        read -r _ control < <(sweep "$here/$bug-fixed.yaml" "$st")
        if [ "$hits" = ERR ] || [ "$control" = ERR ]; then
            status=1
            continue
        fi
        if [ "$control" -ne 0 ]; then
            echo "run.sh: FAIL: the repaired control $bug-fixed failed $control seeds under $st" >&2
            status=1
        fi
        if [ "$st" = random ] && [ "$hits" -eq 0 ] && [ "$seeds" -ge 1000 ]; then
            echo "run.sh: FAIL: $bug was never found under random in $seeds seeds" >&2
            status=1
        fi
        found[$bug]=$(( ${found[$bug]:-0} + hits ))
        rate=$(awk -v h="$hits" -v n="$seeds" 'BEGIN { printf "%.2f%%", 100 * h / n }')
        if $markdown; then
            echo "| $bug | $st | $first | $rate ($hits) | $control |"
        else
            printf '%-12s %-7s %8s %9s (%4s) %9s\n' "$bug" "$st" "$first" "$rate" "$hits" "$control"
        fi
    done
done
for bug in $bugs; do
    if [ "${found[$bug]}" -eq 0 ]; then
        echo "run.sh: FAIL: no strategy found $bug in $seeds seeds" >&2
        status=1
    fi
done
exit $status
