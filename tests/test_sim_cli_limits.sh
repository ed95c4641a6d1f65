#!/usr/bin/env bash
# limits: wall and limits: memory in kairos sweep (issue 11 #10), run by
# ctest as `sim_cli_limits`:
#   tests/test_sim_cli_limits.sh path/to/kairos path/to/source-tree path/to/hog.so
# The hog plugin (tests/scenarios/cli/hog.c) spins forever for seeds
# s % 5 == 1 and eats memory for s % 5 == 2. Without the limits the sweep
# hangs (every command here is bounded by `timeout`, exit 124); with them
# each such seed is its own failure kind with a replay command, and the
# other seeds run and pass.
set -u
K=${1:?usage: test_sim_cli_limits.sh KAIROS SOURCE_DIR HOG_PLUGIN}
SRC=${2:?usage: test_sim_cli_limits.sh KAIROS SOURCE_DIR HOG_PLUGIN}
PLUGIN=${3:?usage: test_sim_cli_limits.sh KAIROS SOURCE_DIR HOG_PLUGIN}
D=$SRC/tests/scenarios/cli
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-limits-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# expect STATUS DESCRIPTION -- COMMAND...: runs it (at most 30 s), output in
# $T/out, $T/err; a hang is exit 137.
expect() {
    local want=$1 what=$2
    shift 3
    # KILL: timeout signals the whole group, and workers ignore SIGTERM.
    timeout -s KILL 30 "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"; else
        fail "$what: exit $got, expected $want: $*"
        sed 's/^/    out: /' "$T/out" | head -10
        sed 's/^/    err: /' "$T/err" | head -10
    fi
}
has() { # has DESCRIPTION FILE PATTERN (grep -E)
    if grep -Eq -- "$3" "$2"; then pass "$1"; else
        fail "$1: no /$3/ in $2:"
        sed 's/^/    /' "$2" | head -20
    fi
}

for j in 1 2; do
    expect 1 "sweep with spinning and memory-eating seeds ends, --jobs $j" -- \
        "$K" --load "$PLUGIN" sweep "$D/hog.yaml" --jobs $j --jsonl "$T/sweep$j.jsonl"
    has "--jobs $j: the other seeds pass" "$T/out" 'seeds run: 10 of 10, passed 6, failed 4'
    has "--jobs $j: spinning seeds are their own kind" "$T/out" '^  2 x wall-clock limit 1s exceeded$'
    has "--jobs $j: memory-eating seeds are their own kind" "$T/out" '^  2 x memory limit exceeded$'
    has "--jobs $j: replay of the spinning seed" "$T/out" 'replay: .* replay .*hog.yaml --seed 1 '
    has "--jobs $j: replay of the memory-eating seed" "$T/out" 'replay: .* replay .*hog.yaml --seed 2 '
    has "--jobs $j: the JSONL summary has the seed's kind" "$T/sweep$j.jsonl" \
        '"seed":6,.*"signature":"wall-clock limit 1s exceeded"'
done

# The limits are real-machine ones, never read by the simulation: a passing
# seed's trace hash is the same with and without them.
sed '/^limits:/,/memory:/d' "$D/hog.yaml" >"$T/nolimits.yaml"
expect 0 "a passing seed with limits" -- "$K" --load "$PLUGIN" run "$D/hog.yaml" --seed 3
hash_with=$(grep -o 'hash 0x[0-9a-f]*' "$T/out")
expect 0 "a passing seed without limits" -- "$K" --load "$PLUGIN" run "$T/nolimits.yaml" --seed 3
hash_without=$(grep -o 'hash 0x[0-9a-f]*' "$T/out")
if [ -n "$hash_with" ] && [ "$hash_with" = "$hash_without" ]; then
    pass "the limits do not change the trace hash ($hash_with)"
else fail "trace hash with limits '$hash_with', without '$hash_without'"; fi

# kairos run and replay apply the limits too, with the sweep's failure kind
# and exit status; a trace being written is not left behind.
expect 1 "run of a spinning seed ends" -- "$K" --load "$PLUGIN" run "$D/hog.yaml" --seed 1 \
    --trace "$T/spin.jsonl"
has "run: the spinning seed is its own kind" "$T/out" '^  check:  wall-clock limit 1s exceeded$'
has "run: the spinning seed's replay command" "$T/out" 'replay: .* replay .*hog.yaml --seed 1 '
if ls "$T"/spin.jsonl* >/dev/null 2>&1; then fail "run: a killed run left $(ls "$T"/spin.jsonl*)"
else pass "run: a killed run leaves no trace file nor temporary"; fi
expect 1 "run of a memory-eating seed ends" -- "$K" --load "$PLUGIN" run "$D/hog.yaml" --seed 2
has "run: the memory-eating seed is its own kind" "$T/out" '^  check:  memory limit exceeded$'
expect 1 "replay of a spinning seed ends" -- "$K" --load "$PLUGIN" replay "$D/hog.yaml" --seed 6
has "replay: the spinning seed is its own kind" "$T/out" '^  check:  wall-clock limit 1s exceeded$'
expect 1 "replay of a memory-eating seed ends" -- "$K" --load "$PLUGIN" replay "$D/hog.yaml" --seed 7
has "replay: the memory-eating seed is its own kind" "$T/out" '^  check:  memory limit exceeded$'
expect 0 "run of a passing seed under limits writes its trace" -- \
    "$K" --load "$PLUGIN" run "$D/hog.yaml" --seed 3 --trace "$T/ok.jsonl"
expect 0 "replay of that trace under limits" -- "$K" --load "$PLUGIN" replay --trace "$T/ok.jsonl"
has "replay of that trace passes" "$T/out" 'PASS'

# The values: one duration grammar, byte counts with KiB/MiB/GiB.
limits_yaml() { # limits_yaml FILE WALL MEMORY
    sed -e "s/^  wall: .*/  wall: $2/" -e "s/^  memory: .*/  memory: $3/" "$D/hog.yaml" >"$1"
}
for good in "0 0" "250ms 512MiB" "1.5s 1GiB" "2m 4096" "1h 0x10KiB"; do
    set -- $good
    limits_yaml "$T/good.yaml" "$1" "$2"
    expect 0 "limits wall $1 memory $2 are accepted" -- "$K" --load "$PLUGIN" check "$T/good.yaml"
done
for bad in "1s 512MB" "1s -1" "1s 1.5GiB" "1s 010MiB" "1s 99999999999GiB" "1s MiB" "-1s 0" "1 0x"; do
    set -- $bad
    limits_yaml "$T/bad.yaml" "$1" "$2"
    expect 2 "limits wall $1 memory $2 are refused" -- "$K" --load "$PLUGIN" check "$T/bad.yaml"
    has "limits wall $1 memory $2: the error says where" "$T/err" 'bad.yaml:1[0-9]:'
done

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
