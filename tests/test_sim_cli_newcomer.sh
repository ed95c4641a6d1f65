#!/usr/bin/env bash
# What a new user of the kairos command trips over (issue 9), run by ctest as
# `sim_cli_newcomer`:
#   tests/test_sim_cli_newcomer.sh path/to/kairos path/to/source-tree
# Each section names the defect it guards; every check here failed before
# its fix.
set -u
K=${1:?usage: test_sim_cli_newcomer.sh KAIROS SOURCE_DIR PLUGIN.so}
SRC=${2:?usage: test_sim_cli_newcomer.sh KAIROS SOURCE_DIR PLUGIN.so}
PLUGIN=${3:?usage: test_sim_cli_newcomer.sh KAIROS SOURCE_DIR PLUGIN.so}
K=$(cd "$(dirname "$K")" && pwd)/$(basename "$K")
D=$SRC/tests/scenarios/cli
BANK=$SRC/scenarios/bank-race.yaml
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-newcomer-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
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

# ---- 8. check validates actor arguments exactly as run does -----------------------
# (tests/scenarios/cli/args-*.yaml: a bank-teller with a bad or missing argument)
for v in "count-lots|12:[0-9]+: 'count' must be an integer, got \"lots\"" \
         "unknown-node|12:[0-9]+: 'account': no process \"account@n9\"" \
         "ambiguous|13:[0-9]+: 'account': \"account\" names processes on several nodes" \
         "missing-required|12:[0-9]+: process 'teller1' \(type bank-teller\) needs argument 'account'"; do
    f=$D/args-${v%%|*}.yaml want=${v#*|}
    expect 2 "check refuses args-${v%%|*}" -- "$K" check "$f"
    has "$T/err" "args-${v%%|*}\.yaml:$want" "check: file:line:col of args-${v%%|*}"
    hasnt "$T/out" ": ok " "check does not call args-${v%%|*} ok"
    expect 2 "run refuses args-${v%%|*}" -- "$K" run "$f" --seed 1
    has "$T/err" "args-${v%%|*}\.yaml:$want" "run: the same error as check for args-${v%%|*}"
    hasnt "$T/out" "hash 0x" "run of args-${v%%|*} prints no trace hash"
    expect 2 "sweep refuses args-${v%%|*}" -- "$K" sweep "$f" --seeds 1..3 --jobs 1
    hasnt "$T/out" "hash 0x" "sweep of args-${v%%|*} prints no trace hash"
done
# A run that cannot start (its trace cannot be written) prints no hash either.
expect 2 "run whose trace cannot be written" -- "$K" run "$D/pass.yaml" --trace "$T/no/such/dir/t.jsonl"
hasnt "$T/out" "hash 0x" "a run that cannot start prints no trace hash"
hasnt "$T/out" "0x00006b6169726f73" "no placeholder hash"

# ---- 9. replay --trace finds the scenario from any working directory -------------
mkdir -p "$T/proj/scen" "$T/elsewhere"
cp "$D/pass.yaml" "$T/proj/scen/p.yaml"
(cd "$T/proj" && "$K" run scen/p.yaml --seed 3 --trace t.jsonl >/dev/null 2>&1) ||
    fail "run with a relative scenario path and --trace"
expect 0 "replay --trace from another directory" -- \
    bash -c 'cd "$1" && "$2" replay --trace ../proj/t.jsonl' _ "$T/elsewhere" "$K"
has "$T/out" "matches the trace" "replay from another directory follows the trace"
# The recorded absolute path is gone: the path is taken relative to the trace.
mv "$T/proj" "$T/moved"
expect 0 "replay --trace of a moved project" -- \
    bash -c 'cd "$1" && "$2" replay --trace ../moved/t.jsonl' _ "$T/elsewhere" "$K"
has "$T/out" "matches the trace" "a moved project's trace replays"
rm "$T/moved/scen/p.yaml"
expect 2 "replay --trace whose scenario is gone" -- \
    bash -c 'cd "$1" && "$2" replay --trace ../moved/t.jsonl' _ "$T/elsewhere" "$K"
has "$T/err" "cannot find the trace's scenario 'scen/p.yaml' \(looked for .*/proj/scen/p\.yaml, \.\./moved/scen/p\.yaml, scen/p\.yaml\); name it: .* replay SCENARIO\.yaml --trace \.\./moved/t\.jsonl" \
    "says what is missing and where it looked"

# ---- 6. the run report's replay hint is a command that works -----------------------
# The commands sit in the report's data ("replay":{"seed":...,"trace":...});
# each is run as written, from where the report was made.
seed_cmd() { sed -n 's/.*"replay":{"seed":"\([^"]*\)".*/\1/p' "$1" | head -1; }
trace_cmd() { sed -n 's/.*"replay":{"seed":"[^"]*","trace":"\([^"]*\)"}.*/\1/p' "$1" | head -1; }
run_hint() { # run_hint DIR COMMAND: runs it in DIR, output in $T/out, $T/err
    (cd "$1" && bash -c "$2") >"$T/out" 2>"$T/err"
}
"$K" sweep "$BANK" --seeds 1..300 --jobs 2 >"$T/out" 2>"$T/err"
fseed=$(sed -n 's/^ *first seed \([0-9]*\) .*/\1/p' "$T/out" | head -1)
[ -n "$fseed" ] || fail "no failing seed of bank-race in 1..300"
R6=$T/r6
mkdir -p "$R6" "$T/tmp6"
expect 1 "run --report of failing seed $fseed (temporary trace)" -- \
    env TMPDIR="$T/tmp6" bash -c 'cd "$1" && "$2" run "$3" --seed "$4" --report r1.html' _ "$R6" "$K" "$BANK" "$fseed"
hash=$(sed -n 's/.*hash \(0x[0-9a-f]*\).*/\1/p' "$T/out" | head -1)
hasnt "$R6/r1.html" "$T/tmp6" "the report names no temporary trace"
cmd=$(seed_cmd "$R6/r1.html")
case "$cmd" in "$K replay "*) pass "seed hint names the program that ran: $cmd" ;;
    *) fail "seed hint does not start with '$K replay': '$cmd'" ;; esac
[ -z "$(trace_cmd "$R6/r1.html")" ] && pass "no trace hint for a temporary trace" ||
    fail "a trace hint for a temporary trace: $(trace_cmd "$R6/r1.html")"
run_hint "$R6" "$cmd"
[ $? -eq 1 ] && grep -q "hash $hash .*FAIL" "$T/out" && pass "the seed hint replays the run ($hash)" ||
    { fail "the seed hint '$cmd' did not replay hash $hash"; head -3 "$T/out"; }

expect 1 "run --trace --report" -- bash -c 'cd "$1" && "$2" run "$3" --seed "$4" --trace t.jsonl --report r2.html' \
    _ "$R6" "$K" "$BANK" "$fseed"
cmd=$(trace_cmd "$R6/r2.html")
case "$cmd" in "$K replay "*" --trace t.jsonl") pass "trace hint: $cmd" ;;
    *) fail "no trace hint naming t.jsonl: '$cmd'" ;; esac
run_hint "$R6" "$cmd"
[ $? -eq 1 ] && grep -q "hash $hash matches the trace" "$T/out" && pass "the trace hint follows the trace" ||
    { fail "the trace hint '$cmd' did not follow the trace"; head -3 "$T/out"; }

expect 0 "report of a trace" -- bash -c 'cd "$1" && "$2" report t.jsonl -o r4.html' _ "$R6" "$K"
[ -z "$(seed_cmd "$R6/r4.html")" ] && pass "report of a (maybe shrunk) trace: no seed hint" ||
    fail "report of a trace offers a seed hint: $(seed_cmd "$R6/r4.html")"
cmd=$(trace_cmd "$R6/r4.html")
run_hint "$R6" "$cmd"
[ $? -eq 1 ] && grep -q "hash $hash matches the trace" "$T/out" && pass "report's trace hint works: $cmd" ||
    { fail "report's trace hint '$cmd' did not follow the trace"; head -3 "$T/out"; }

# A user's runner (another argv[0]) with --load: the hint names both.
mkdir -p "$T/bin"
ln -s "$K" "$T/bin/my-runner"
expect 0 "a user's runner with --load, --report" -- \
    bash -c 'cd "$1" && "$2" --load "$3" run "$4" --seed 1 --report r3.html' _ "$R6" "$T/bin/my-runner" "$PLUGIN" "$D/crashy.yaml"
cmd=$(seed_cmd "$R6/r3.html")
case "$cmd" in "$T/bin/my-runner --load $PLUGIN replay "*) pass "hint names the runner and its --load" ;;
    *) fail "hint does not name the runner and --load: '$cmd'" ;; esac
run_hint "$R6" "$cmd"
[ $? -eq 0 ] && grep -q "PASS" "$T/out" && pass "the runner's hint runs" || { fail "'$cmd' failed"; head -3 "$T/err"; }

# ---- 3. the sweep report's links to run reports lead to run reports ----------------
# check_links SWEEP.html: every run-report link, resolved against the sweep
# report's directory, is a run report of the seed it names, offering that
# seed's replay command. Prints how many links there were.
check_links() {
    local html=$1 dir n=0 href seed target
    dir=$(dirname "$html")
    for href in $(grep -o 'class="run-link" href="[^"]*"' "$html" | sed 's/.*href="\([^"]*\)"/\1/'); do
        n=$((n + 1))
        seed=$(printf '%s' "$href" | sed -n 's/^run-seed-\([0-9]*\)\.html$/\1/p')
        target=$dir/$href
        if [ ! -f "$target" ]; then fail "link $href of $html: $target does not exist"; continue; fi
        head -c 15 "$target" | grep -q '<!DOCTYPE html>' && grep -q 'id="kairos-data"' "$target" &&
            grep -q "\"seed\":$seed," "$target" && grep -q '"status":"fail"' "$target" &&
            grep -Eq "\"replay\":\\{\"seed\":\"[^\"]* replay [^\"]* --seed $seed " "$target" &&
            pass "link $href opens the failing run report of seed $seed" ||
            fail "link $href: $target is not the run report of failing seed $seed"
    done
    echo "$n" >"$T/links"
}
mkdir -p "$T/s3/out" "$T/s3/cwd"
expect 1 "sweep --report into another directory" -- \
    bash -c 'cd "$1" && "$2" sweep "$3" --seeds 1..300 --jobs 2 --report ../out/sweep.html' _ "$T/s3/cwd" "$K" "$BANK"
check_links "$T/s3/out/sweep.html"
nsig=$(sed -n 's/^failure signatures: \([0-9]*\)$/\1/p' "$T/out")
[ "$(cat "$T/links")" -ge 1 ] && [ "$(cat "$T/links")" -eq "$nsig" ] &&
    pass "one run report link per signature ($nsig)" || fail "$(cat "$T/links") links for $nsig signatures"
# A seed that crashes the process has no run report, and no link to one.
expect 1 "sweep --report with crashing seeds" -- "$K" --load "$PLUGIN" sweep "$D/crashy.yaml" --jobs 2 --report "$T/s3/crashy.html"
check_links "$T/s3/crashy.html"
has "$T/out" "no run report for seed 3 \(its run crashed\)" "says which run report is missing"
has "$T/s3/crashy.html" "<td>seed 3<div" "the crashing seed is named, not linked"

finish
