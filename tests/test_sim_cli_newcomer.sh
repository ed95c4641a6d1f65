#!/usr/bin/env bash
# What a new user of the kairos command trips over (issue 9), run by ctest as
# `sim_cli_newcomer`:
#   tests/test_sim_cli_newcomer.sh path/to/kairos path/to/source-tree
# Each section names the defect it guards; every check here failed before
# its fix.
set -u
K=${1:?usage: test_sim_cli_newcomer.sh KAIROS SOURCE_DIR}
SRC=${2:?usage: test_sim_cli_newcomer.sh KAIROS SOURCE_DIR}
K=$(cd "$(dirname "$K")" && pwd)/$(basename "$K")
D=$SRC/tests/scenarios/cli
BANK=$SRC/scenarios/bank-race.yaml
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-newcomer-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# expect STATUS DESCRIPTION -- COMMAND...: runs it, output in $T/out, $T/err.
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"; else
        fail "$what: exit $got, expected $want: $*"
        sed 's/^/    out: /' "$T/out" | head -20
        sed 's/^/    err: /' "$T/err" | head -20
    fi
}
has() { # has FILE REGEX DESCRIPTION
    if grep -Eq -- "$2" "$1"; then pass "$3"; else
        fail "$3: no /$2/ in $1"
        sed 's/^/    /' "$1" | head -20
    fi
}
hasnt() { # hasnt FILE REGEX DESCRIPTION
    if grep -Eq -- "$2" "$1"; then
        fail "$3: /$2/ in $1"
        grep -E -- "$2" "$1" | sed 's/^/    /' | head -5
    else pass "$3"; fi
}

# ---- 4. --pct-depth: one range (the simulator's), said by --help, checked once ----
for c in run sweep replay shrink; do
    expect 0 "$c --help" -- "$K" "$c" --help
    has "$T/out" "--pct-depth D +PCT bug depth, 1\.\.8 " "$c --help gives the depth range 1..8"
done
expect 0 "--pct-depth 8 (the largest) runs" -- "$K" run "$D/pass.yaml" --strategy pct --pct-depth 8
expect 2 "--pct-depth 9 is a usage error" -- "$K" sweep "$D/pass.yaml" --strategy pct --pct-depth 9 --jobs 1
has "$T/err" "--pct-depth: expected a whole number in 1\.\.8, got '9'" "--pct-depth 9: says the range"
hasnt "$T/out" "cannot start the simulator" "--pct-depth 9: no seed runs"
expect 2 "--pct-depth 0 is a usage error" -- "$K" run "$D/pass.yaml" --pct-depth 0

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
