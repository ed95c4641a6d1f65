#!/usr/bin/env bash
# The kairos command's output files (issue 11 #4, #5), run by ctest as
# `sim_cli_outputs`:
#   tests/test_sim_cli_outputs.sh path/to/kairos path/to/source-tree
# Every output (--trace, --report, --jsonl, shrink --out, report -o) goes
# through one helper (sim/harness/scenario/out_file.c): devices and FIFOs are
# written straight and never replaced, a temporary is never a planted link,
# and every write failure is exit 2 with the reason and nothing half written
# under the final name.
set -u
K=${1:?usage: test_sim_cli_outputs.sh KAIROS SOURCE_DIR}
SRC=${2:?usage: test_sim_cli_outputs.sh KAIROS SOURCE_DIR}
D=$SRC/tests/scenarios/cli
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-out-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EXPECT_TIMEOUT=60
check() { # check DESCRIPTION TEST-ARGS...
    local what=$1
    shift
    if test "$@"; then pass "$what"; else fail "$what"; fi
}
no_temporaries() { # no_temporaries DIR DESCRIPTION
    if ls "$1" | grep -q '\.tmp$'; then fail "$2: a temporary was left: $(ls "$1")"
    else pass "$2: no temporary left"; fi
}
PASS=$D/pass.yaml
FAILING=$D/shrinkable.yaml

# ---- devices: written straight, never replaced ------------------------------------
# Never name /dev nodes directly: a regression run as root would replace
# them for the whole machine. Our own device nodes (root) or links to them.
if ! mknod -m 666 "$T/full" c 1 7 2>/dev/null || ! mknod -m 666 "$T/null" c 1 3 2>/dev/null; then
    rm -f "$T/full" "$T/null"
    ln -s /dev/full "$T/full"
    ln -s /dev/null "$T/null"
fi
is_dev() { [ -c "$1" ] && { [ -L "$1" ] || [ "$(stat -c %F "$1")" = "character special file" ]; }; }
for args in "run $PASS --trace $T/full" "run $PASS --report $T/full" \
            "sweep $PASS --seeds 1..3 --jsonl $T/full" \
            "shrink $FAILING --seed 1 --out $T/full"; do
    # shellcheck disable=SC2086
    expect 2 "$args" -- "$K" $args
    if grep -q "No space left on device" "$T/err"; then pass "$args: says why"
    else fail "$args: no reason in: $(cat "$T/err")"; fi
    if grep -q "^trace: \|^shrunk trace: \|^results: \|^report: " "$T/out"; then
        fail "$args: claimed an output: $(cat "$T/out")"
    fi
    if is_dev "$T/full"; then pass "the full device is still a device"
    else fail "the full device was replaced"; rm -f "$T/full"; ln -s /dev/full "$T/full"; fi
done
expect 0 "a trace to report" -- "$K" run "$PASS" --trace "$T/t.jsonl"
expect 2 "report -o FULL" -- "$K" report "$T/t.jsonl" -o "$T/full"
if is_dev "$T/full"; then pass "the full device is still a device"; else fail "report replaced it"; fi
rm -f "$T/t.jsonl"
expect 0 "--trace /dev/fd/1" -- "$K" run "$PASS" --trace /dev/fd/1
if grep -q '"format":"kairos-trace"' "$T/out" && grep -q "PASS" "$T/out"; then
    pass "trace and result both on the redirected stdout"
else fail "stdout holds: $(head -c 300 "$T/out")"; fi
expect 0 "--trace NULL" -- "$K" run "$PASS" --trace "$T/null"
if is_dev "$T/null"; then pass "the null device is still a device"; else fail "null replaced"; fi

# ---- a FIFO: written straight, stays a FIFO ------------------------------------
mkfifo "$T/fifo"
timeout 30 cat "$T/fifo" >"$T/from-fifo" &
reader=$!
expect 0 "--trace FIFO" -- "$K" run "$PASS" --trace "$T/fifo"
wait "$reader"
check "the FIFO is still a FIFO" -p "$T/fifo"
if grep -q '"type":"schedule"' "$T/from-fifo"; then pass "the whole trace went through the FIFO"
else fail "FIFO reader got: $(head -c 200 "$T/from-fifo")"; fi
rm -f "$T/fifo" "$T/from-fifo"

# ---- planted links --------------------------------------------------------------------
mkdir "$T/p"
echo precious >"$T/p/victim"
ln -s victim "$T/p/out.jsonl.tmp" # the old fixed temporary name
expect 0 "a link planted at OUT.tmp" -- "$K" run "$PASS" --trace "$T/p/out.jsonl"
check "the link's target is untouched" "$(cat "$T/p/victim")" = precious
check "OUT is a regular file" -f "$T/p/out.jsonl" -a ! -L "$T/p/out.jsonl"
ln -s nowhere "$T/p/dangling"
expect 2 "a dangling link as OUT" -- "$K" run "$PASS" --trace "$T/p/dangling"
check "nothing created through it" ! -e "$T/p/nowhere"
ln -s victim "$T/p/via-link"
expect 0 "a link to a regular file as OUT" -- "$K" run "$PASS" --trace "$T/p/via-link"
check "the link stays a link" -L "$T/p/via-link"
if grep -q '"type":"schedule"' "$T/p/victim"; then pass "written through the link"
else fail "the link's target was not written"; fi
expect 2 "a directory as OUT" -- "$K" run "$PASS" --trace "$T/p"
rm -f "$T/p/out.jsonl.tmp"
no_temporaries "$T/p" "planted links"

# ---- a full disk: exit 2, the old file intact, nothing half written -------------------
mkdir "$T/disk"
echo "the previous trace" >"$T/disk/old.jsonl"
# 1 KiB file size limit (ulimit -f), SIGXFSZ ignored: writes fail with EFBIG.
for args in "run $PASS --trace $T/disk/old.jsonl" "run $PASS --trace $T/disk/new.jsonl" \
            "sweep $PASS --seeds 1..40 --jsonl $T/disk/sweep.jsonl" \
            "shrink $FAILING --seed 1 --out $T/disk/shrunk.jsonl" \
            "run $PASS --report $T/disk/run.html"; do
    # shellcheck disable=SC2086
    expect 2 "$args under a 1 KiB file limit" -- bash -c 'ulimit -f 1; trap "" XFSZ; exec "$@"' \
        _ "$K" $args
    if grep -q "File too large" "$T/err"; then pass "says why"
    else fail "no reason in: $(cat "$T/err")"; fi
done
check "the old trace is intact" "$(cat "$T/disk/old.jsonl")" = "the previous trace"
for f in new.jsonl sweep.jsonl shrunk.jsonl run.html; do
    check "no half-written $f" ! -e "$T/disk/$f"
done
no_temporaries "$T/disk" "full disk"

# ---- a regular file: replaced whole, mode kept ---------------------------------------
echo old >"$T/mode.jsonl"
chmod 600 "$T/mode.jsonl"
expect 0 "replace a regular file" -- "$K" run "$PASS" --trace "$T/mode.jsonl"
check "its mode is kept" "$(stat -c %a "$T/mode.jsonl")" = 600
if grep -q '"type":"schedule"' "$T/mode.jsonl"; then pass "replaced whole"; else fail "not replaced"; fi

# ---- traces read back (issue 11 #11) ---------------------------------------------------
expect 0 "a trace to read back" -- "$K" run "$PASS" --trace "$T/good.jsonl"
sed 's/"version":1/"version":2/' "$T/good.jsonl" >"$T/v2.jsonl"
expect 2 "trace version 2 is refused" -- "$K" replay --trace "$T/v2.jsonl"
has_err() { if grep -q "$1" "$T/err"; then pass "$2"; else fail "$2: $(cat "$T/err")"; fi; }
has_err "not a version 1 kairos-trace" "says which version"
sed 's/"pct_depth":[0-9]*/"pct_depth":2147483648/' "$T/good.jsonl" >"$T/depth.jsonl"
expect 2 "pct_depth 2^31 is refused" -- "$K" replay --trace "$T/depth.jsonl"
has_err "pct_depth is not an integer in 0..8" "says pct_depth is out of range"
{ cat "$T/good.jsonl"; tail -1 "$T/good.jsonl"; } >"$T/two.jsonl"
expect 2 "two schedule records are refused" -- "$K" replay --trace "$T/two.jsonl"
has_err "a second schedule record" "says which record"
expect 2 "--seeds 0..2^64-1" -- "$K" sweep "$PASS" --seeds 0..18446744073709551615
has_err "2^64 seeds" "says why the full range is refused"

# ---- SIGINT/SIGTERM during a sweep (issue 11 #11) ---------------------------------------
for sig in INT TERM; do
    want=$([ $sig = INT ] && echo 130 || echo 143)
    rm -f "$T/sig.jsonl"
    timeout 60 "$K" sweep "$PASS" --seeds 1..100000000 --jobs 2 --jsonl "$T/sig.jsonl" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    sleep 1
    kill -$sig $pid
    wait $pid
    got=$?
    if [ $got -eq "$want" ]; then pass "SIG$sig: exit $got"; else fail "SIG$sig: exit $got, expected $want"; fi
    if tail -1 "$T/sig.jsonl" 2>/dev/null | grep -q '"type":"summary".*"stopped_early":true'; then
        pass "SIG$sig: the summary of what ran is written"
    else fail "SIG$sig: no summary: $(tail -c 200 "$T/sig.jsonl" 2>&1)"; fi
    if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/sig.jsonl" 2>/dev/null; then
        pass "SIG$sig: every line is whole JSON"
    else fail "SIG$sig: a cut line"; fi
done
no_temporaries "$T" "interrupted sweeps"

finish
