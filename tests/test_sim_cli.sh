#!/usr/bin/env bash
# Tests of the kairos command (sim/harness/cli), run by ctest as `sim_cli`:
#   tests/test_sim_cli.sh path/to/kairos path/to/source-tree [path/to/crashy.so]
# Exit statuses (0 passed, 1 failure found, 2 bad input), --help everywhere,
# sweeps identical across --jobs and shards, replay reproducing the hash,
# shrink producing a shorter run with the same failure signature.
set -u
K=${1:?usage: test_sim_cli.sh KAIROS SOURCE_DIR}
SRC=${2:?usage: test_sim_cli.sh KAIROS SOURCE_DIR}
D=$SRC/tests/scenarios/cli
PLUGIN=${3:-}
EXEC_TARGET=${4:-}
BANK=$SRC/scenarios/bank-race.yaml
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-cli-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Seed lines of a sweep summary, sorted, without the wall-clock field.
seed_lines() { grep '"type":"seed"' "$1" | sed 's/,"wall_ns":[0-9]*//' | sort; }

# ---- --help and usage errors -------------------------------------------------
expect 0 "kairos --help" -- "$K" --help
has "$T/out" "^usage: kairos" "main help"
for c in run sweep replay shrink check types; do
    expect 0 "kairos $c --help" -- "$K" "$c" --help
    has "$T/out" "^usage: kairos $c" "$c help"
done
expect 2 "no command" -- "$K"
expect 2 "unknown command" -- "$K" frobnicate
expect 2 "unknown flag" -- "$K" run "$D/pass.yaml" --bogus
has "$T/err" "unknown option '--bogus'" "unknown flag message"
expect 2 "flag of another command" -- "$K" run "$D/pass.yaml" --jobs 2
expect 2 "bad seed" -- "$K" run "$D/pass.yaml" --seed 12x
expect 2 "negative seed" -- "$K" run "$D/pass.yaml" --seed -1
# One grammar (kairos/parse.h): 0x hex is a seed, a leading zero is refused.
expect 2 "leading-zero seed" -- "$K" run "$D/pass.yaml" --seed 010
has "$T/err" "--seed: expected a whole number \(decimal without leading zeros, or 0x hex\)" "leading-zero seed message"
expect 0 "hex seed" -- "$K" run "$D/pass.yaml" --seed 0x8
has "$T/out" "^seed 8 " "--seed 0x8 is seed 8"
expect 2 "reversed seed range" -- "$K" sweep "$D/pass.yaml" --seeds 5..1
expect 2 "malformed seed range" -- "$K" sweep "$D/pass.yaml" --seeds 1..
expect 2 "bad shard" -- "$K" sweep "$D/pass.yaml" --shard 0/2
expect 2 "shard past N" -- "$K" sweep "$D/pass.yaml" --shard 3/2
expect 2 "bad jobs" -- "$K" sweep "$D/pass.yaml" --jobs 0
expect 2 "bad strategy" -- "$K" run "$D/pass.yaml" --strategy lifo
expect 2 "missing value" -- "$K" run "$D/pass.yaml" --seed
expect 2 "missing file" -- "$K" run
expect 2 "two files" -- "$K" check "$D/pass.yaml" "$D/pass.yaml"
expect 2 "replay without seed or trace" -- "$K" replay "$D/pass.yaml"
expect 2 "replay with both" -- "$K" replay "$D/pass.yaml" --seed 1 --trace x.jsonl
expect 2 "shrink without seed" -- "$K" shrink "$D/pass.yaml"
expect 2 "--load of a missing library" -- "$K" --load "$T/nope.so" types

# ---- check, types ----------------------------------------------------------------
expect 0 "check a valid scenario" -- "$K" check "$D/pass.yaml"
has "$T/out" "pass.yaml: ok \(2 nodes, 2 processes, 0 actions\)" "check summary"
expect 2 "check an invalid scenario" -- "$K" check "$D/bad-key.yaml"
has "$T/err" "bad-key.yaml:[0-9]+:[0-9]+: " "file:line:col error"
expect 2 "check a missing file" -- "$K" check "$T/missing.yaml"
expect 2 "run an invalid scenario" -- "$K" run "$D/bad-key.yaml"
expect 0 "types" -- "$K" types
has "$T/out" "echo" "types lists the built-ins"

# ---- run ---------------------------------------------------------------------------
expect 0 "run a passing scenario" -- "$K" run "$D/pass.yaml" --seed 7
has "$T/out" "^seed 7 .*hash 0x[0-9a-f]{16}.*PASS" "run prints seed and hash"
expect 1 "a sweep finds the bank race" -- "$K" sweep "$BANK" --seeds 1..300 --jobs 2
seed=$(sed -n 's/^ *first seed \([0-9]*\) .*/\1/p' "$T/out" | head -1)
replay_cmd=$(sed -n 's/^ *replay: //p' "$T/out" | head -1)
[ -n "$seed" ] && pass "failing seed $seed" || fail "no failing seed in the sweep summary"
expect 1 "run the failing seed" -- "$K" run "$BANK" --seed "$seed" --trace "$T/fail.jsonl"
has "$T/out" "^  check: " "run names the failing check"
has "$T/out" "^  at: +step [0-9]+, virtual time " "run gives step and virtual time"
has "$T/out" "^  replay: .* replay .* --seed $seed --strategy random" "run prints the replay command"
hash=$(sed -n 's/.*hash \(0x[0-9a-f]*\).*/\1/p' "$T/out" | head -1)

# ---- replay --------------------------------------------------------------------------
expect 1 "the sweep's replay command" -- bash -c "$replay_cmd"
has "$T/out" "hash $hash .*FAIL" "replay by seed reproduces the hash"
has "$T/out" "^ +[0-9]+ +[0-9.]+s .* message " "replay prints the event log"
expect 1 "replay of the trace" -- "$K" replay "$BANK" --trace "$T/fail.jsonl"
has "$T/out" "hash $hash matches the trace" "replay by trace matches the hash"
expect 1 "replay of the trace, scenario from the trace" -- "$K" replay --trace "$T/fail.jsonl"
expect 2 "replay of a missing trace" -- "$K" replay "$BANK" --trace "$T/none.jsonl"

# ---- sweep: --jobs, shards, determinism -------------------------------------------------
for j in 1 2 3; do
    expect 1 "sweep --jobs $j" -- "$K" sweep "$BANK" --seeds 1..400 --jobs "$j" --jsonl "$T/j$j.jsonl"
    grep -v '^rate: ' "$T/out" | grep -v '^results: ' >"$T/summary$j"
    seed_lines "$T/j$j.jsonl" >"$T/seeds$j"
done
cmp -s "$T/summary1" "$T/summary2" && cmp -s "$T/summary1" "$T/summary3" &&
    pass "same summary for --jobs 1, 2, 3" || fail "summaries differ across --jobs"
cmp -s "$T/seeds1" "$T/seeds2" && cmp -s "$T/seeds1" "$T/seeds3" &&
    pass "same per-seed results for --jobs 1, 2, 3" || fail "per-seed results differ across --jobs"
[ "$(wc -l <"$T/seeds1")" -eq 400 ] && pass "400 seed lines" || fail "expected 400 seed lines"
has "$T/j1.jsonl" '^\{"type":"sweep"' "summary file header"
has "$T/j1.jsonl" '^\{"type":"summary","status":"fail"' "summary file summary line"
: >"$T/shards"
for k in 1 2 3; do
    expect 1 "sweep --shard $k/3" -- "$K" sweep "$BANK" --seeds 1..400 --shard "$k/3" --jobs 2 --jsonl "$T/s$k.jsonl"
    seed_lines "$T/s$k.jsonl" >>"$T/shards"
done
sort "$T/shards" | cmp -s - "$T/seeds1" && pass "shards 1/3..3/3 together are the whole sweep" ||
    fail "the union of the shards differs from the whole sweep"
grep -q '"seed":2,' "$T/s1.jsonl" && pass "seed 2 is in shard 2/3" || true
# kairos merge: the shards' summaries give the whole sweep's summary and report.
expect 1 "merge of three shards (a failure found)" -- \
    "$K" merge "$T/s3.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" --jsonl "$T/merged.jsonl"
grep -v '^results: ' "$T/out" | sed -n '/^failure signatures/,/^result:/p' >"$T/merged_sum"
sed -n '/^failure signatures/,/^result:/p' "$T/summary1" >"$T/single_sum"
cmp -s "$T/merged_sum" "$T/single_sum" && pass "merged summary = the single sweep's" ||
    { fail "merged summary differs"; diff "$T/single_sum" "$T/merged_sum" | head; }
has "$T/out" "^seeds run: 400, passed" "merge counts every seed"
seed_lines "$T/merged.jsonl" | cmp -s - "$T/seeds1" && pass "merged seed lines = the single sweep's" ||
    fail "merged seed lines differ from the single sweep"
[ "$(grep '"type":"summary"' "$T/merged.jsonl" | sed 's/"wall_ns":[0-9]*,//')" = \
  "$(grep '"type":"summary"' "$T/j1.jsonl" | sed 's/"wall_ns":[0-9]*,//')" ] &&
    pass "merged summary line = the single sweep's (but wall time)" || fail "merged summary line differs"
expect 1 "merge --report" -- "$K" merge "$T/s1.jsonl" "$T/s2.jsonl" "$T/s3.jsonl" --report "$T/merged.html"
expect 1 "single sweep --report" -- "$K" sweep "$BANK" --seeds 1..400 --jobs 2 --report "$T/single.html"
diff <(grep -v 'id="stat-rate"' "$T/single.html") <(grep -v 'id="stat-rate"' "$T/merged.html") >/dev/null &&
    pass "merged report = the single sweep's report (but seeds/s)" || fail "merged report differs"
expect 2 "merge: a shard given twice" -- "$K" merge "$T/s1.jsonl" "$T/s1.jsonl"
has "$T/err" "given twice" "merge names the repeated shard"
expect 2 "merge: shards of different sweeps" -- "$K" merge "$T/s1.jsonl" "$T/j1.jsonl"
expect 2 "merge: not a summary" -- "$K" merge "$BANK"
expect 2 "merge: nothing to merge" -- "$K" merge
expect 1 "merge: a missing shard still merges" -- "$K" merge "$T/s1.jsonl" "$T/s2.jsonl"
has "$T/err" "shard 3/3 is missing" "merge warns about the missing shard"
expect 1 "sweep --check-determinism" -- "$K" sweep "$BANK" --seeds 1..200 --check-determinism --jobs 2
has "$T/out" "determinism: every seed ran twice; same trace hashes" "determinism check passes"
expect 0 "sweep of a passing scenario" -- "$K" sweep "$D/pass.yaml" --jobs 2 --check-determinism
has "$T/out" "^result: PASS" "passing sweep result"
expect 1 "--stop-after-failures" -- "$K" sweep "$BANK" --seeds 1..2000 --jobs 1 --stop-after-failures 2
has "$T/out" "^seeds run: [0-9]+ of 2000, passed [0-9]+, failed 2$" "stops after 2 failures"
expect 1 "a required probe never hit" -- "$K" sweep "$D/probe-missing.yaml" --jobs 2
has "$T/out" "FAIL: required probe 'never-hit' was never hit" "missing probe reported"
expect 1 "non-tty progress lines" -- "$K" sweep "$BANK" --seeds 1..300 --jobs 2
has "$T/err" "^progress: [0-9]+/300 seeds, [0-9]+ seeds/s, [0-9]+ failures?, ETA " "progress lines"

# ---- shrink ------------------------------------------------------------------------------
expect 1 "shrink" -- "$K" shrink "$D/shrinkable.yaml" --seed 1 --out "$T/shrunk.jsonl"
has "$T/out" "^shrunk trace: " "shrink writes a trace"
before=$(sed -n 's/^before: \([0-9]*\) steps.*/\1/p' "$T/out")
after=$(sed -n 's/^after: *\([0-9]*\) steps.*/\1/p' "$T/out")
sig=$(sed -n 's/^shrunk trace: .* (fails with: \(.*\))$/\1/p' "$T/out")
[ -n "$after" ] && [ -n "$before" ] && [ "$after" -lt "$before" ] &&
    pass "shrunk from $before to $after steps" || fail "shrink did not shorten ($before -> $after)"
expect 1 "replay of the shrunk trace" -- "$K" replay "$D/shrinkable.yaml" --trace "$T/shrunk.jsonl"
has "$T/out" "matches the trace" "shrunk trace replays exactly"
has "$T/out" "^  check: +$sig$" "shrunk trace fails with the same signature"
has "$T/out" "steps $after " "shrunk trace replays in $after steps"
expect 0 "shrink of a passing seed" -- "$K" shrink "$D/pass.yaml" --seed 1 --out "$T/none.jsonl"

# Workload shrinking: the post and the clog are not needed, the crash can
# come earlier; the shrunk trace records the edits and replays by itself.
expect 1 "shrink of a workload" -- "$K" shrink "$D/workload.yaml" --seed 1 --out "$T/workload.jsonl"
has "$T/out" "^  left out action #0 \(post, line 18, at 50.000ms\)$" "shrink leaves out an unneeded stimulus"
has "$T/out" "^  left out action #1 \(clog, line 19, at 120.000ms\)$" "shrink leaves out an unneeded fault"
has "$T/out" "^  moved action #2 \(line 20\) from 350.000ms to " "shrink moves the crash earlier"
has "$T/out" "^        workload: 1 of 3 script actions \(1 fault\)," "after: one action left"
before=$(sed -n 's/^before: \([0-9]*\) steps.*/\1/p' "$T/out")
after=$(sed -n 's/^after: *\([0-9]*\) steps.*/\1/p' "$T/out")
[ -n "$after" ] && [ -n "$before" ] && [ "$after" -lt "$before" ] &&
    pass "workload shrunk from $before to $after steps" || fail "workload shrink did not shorten ($before -> $after)"
head -1 "$T/workload.jsonl" > "$T/header"
has "$T/header" '"skip_actions":\[0,1\]' "the trace header records the left-out actions"
has "$T/header" '"action_at":\[\[2,[0-9]+\]\]' "the trace header records the moved crash"
expect 1 "replay of the shrunk workload" -- "$K" replay --trace "$T/workload.jsonl"
has "$T/out" "matches the trace" "the shrunk workload replays exactly, by itself"
has "$T/out" "^  check: +invariant requests-answered$" "with the same signature"
has "$T/out" "steps $after " "in $after steps"

# ---- --load and crashing workers ----------------------------------------------------------
if [ -n "$PLUGIN" ]; then
    expect 2 "a plugin's type is unknown without --load" -- "$K" check "$D/crashy.yaml"
    expect 0 "--load before the command" -- "$K" --load "$PLUGIN" check "$D/crashy.yaml"
    expect 0 "--load after the command" -- "$K" types --load "$PLUGIN"
    has "$T/out" "crasher" "types lists the plugin's type"
    for j in 1 3; do
        expect 1 "sweep with crashing seeds, --jobs $j" -- "$K" --load "$PLUGIN" sweep "$D/crashy.yaml" --jobs $j
        has "$T/out" "^seeds run: 30 of 30, passed 26, failed 4$" "every seed accounted for (--jobs $j)"
        has "$T/out" "^  4 x crash: signal 6" "crashes grouped by signal (--jobs $j)"
        has "$T/out" "first seed 3 " "first crashing seed (--jobs $j)"
        has "$T/out" "replay: .* --load .*replay .*--seed 3 " "the replay command keeps --load"
    done
fi

# ---- reports (when this build has them) -------------------------------------------------------
"$K" run "$D/pass.yaml" --report "$T/run.html" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$T/run.html" ]; then pass "run --report"
else fail "run --report: exit $rc"; cat "$T/err"; fi
"$K" sweep "$BANK" --seeds 1..100 --jobs 2 --report "$T/sweep.html" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && [ -s "$T/sweep.html" ] && [ -s "$T/sweep.jsonl" ]; then pass "sweep --report"
else fail "sweep --report: exit $rc"; cat "$T/err"; fi

# ---- the shipped scenarios -------------------------------------------------------------------
expect 0 "bank-safe never loses money (with the determinism check)" -- \
    "$K" sweep "$SRC/scenarios/bank-safe.yaml" --seeds 1..500 --jobs 2 --check-determinism
has "$T/out" "^result: PASS" "bank-safe sweep passes"
expect 1 "bank-race under pct" -- "$K" sweep "$BANK" --seeds 1..300 --jobs 2 --strategy pct
has "$T/out" "lost update" "pct finds the race too"
has "$T/out" "^pct: depth 3, k = [0-9]+ steps \(calibrated" "pct sweep prints its calibrated k"
has "$T/out" "replay: .* --strategy pct --pct-depth 3 --pct-steps [0-9]+" "pct replay command records k"
k=$(sed -n 's/^pct: depth 3, k = \([0-9]*\) steps.*/\1/p' "$T/out")
seed=$(sed -n 's/.*replay: .* --seed \([0-9]*\) --strategy pct.*/\1/p' "$T/out" | head -1)
expect 1 "one pct seed replays alone with its k" -- \
    "$K" replay "$BANK" --seed "$seed" --strategy pct --pct-depth 3 --pct-steps "$k"
has "$T/out" "lost update" "the replayed pct seed fails the same way"
expect 0 "a sweep under --pct-steps K does not calibrate" -- \
    "$K" sweep "$SRC/scenarios/bank-safe.yaml" --seeds 1..50 --strategy pct --pct-steps 77
has "$T/out" "^pct: depth 3, k = 77 steps \(--pct-steps\)" "--pct-steps overrides the calibration"
expect 2 "--pct-steps 0 is refused" -- "$K" sweep "$BANK" --seeds 1..5 --pct-steps 0
expect 0 "pos sweeps the safe bank" -- "$K" sweep "$SRC/scenarios/bank-safe.yaml" --seeds 1..100 --strategy pos
expect 1 "pos finds the bank race" -- "$K" sweep "$BANK" --seeds 1..300 --strategy pos

# ---- swarm: each seed draws its own fault configuration ----------------------------------
WAL=$SRC/scenarios/wal-ack-before-sync.yaml
expect 1 "sweep --swarm (with the determinism check)" -- \
    "$K" sweep "$WAL" --seeds 1..100 --jobs 2 --swarm --check-determinism
has "$T/out" "determinism: every seed ran twice; same trace hashes" "swarm seeds are deterministic"
has "$T/out" "replay: .* --swarm" "swarm replay commands say --swarm"
swarm_seed=$(sed -n 's/.*replay: .* --seed \([0-9]*\) .*--swarm.*/\1/p' "$T/out" | head -1)
expect 1 "run of a swarm seed" -- "$K" run "$WAL" --seed "$swarm_seed" --swarm --trace "$T/swarm.jsonl"
h1=$(sed -n 's/.*hash \(0x[0-9a-f]*\).*/\1/p' "$T/out" | head -1)
expect 1 "replay of the swarm seed" -- "$K" replay "$WAL" --seed "$swarm_seed" --swarm
h2=$(sed -n 's/.*hash \(0x[0-9a-f]*\).*/\1/p' "$T/out" | tail -1)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && pass "a swarm seed replays to the same hash" ||
    fail "swarm replay hash $h2 != run hash $h1"
has "$T/swarm.jsonl" '"swarm":\{"partition":(true|false),.*"drop":' "the trace records the drawn configuration"
expect 1 "replay --trace of a swarm run" -- "$K" replay --trace "$T/swarm.jsonl"
has "$T/out" "trace hash 0x[0-9a-f]+ matches the trace" "the swarm trace replays"

# ---- sweep --exec: a C test program per seed ---------------------------------------------
if [ -n "$EXEC_TARGET" ]; then
    expect 1 "sweep --exec finds the failing seeds" -- \
        "$K" sweep --seeds 1..40 --jobs 2 --jsonl "$T/exec.jsonl" --exec "$EXEC_TARGET" plain
    has "$T/out" "^seeds run: 40 of 40, passed 32, failed 8" "--exec counts 5 check and 3 exit failures"
    has "$T/out" "^  5 x check exec_target.c:[0-9]+" "--exec names the kr_check"
    has "$T/out" "first seed 7: .*seed 7 is a multiple of 7" "--exec reports the check's message"
    has "$T/out" "^  3 x exit 3" "--exec names the exit status"
    has "$T/out" "first seed 11: eleven divides seed 11" "--exec shows the program's last line"
    has "$T/out" "replay: KAIROS_SEED=7 .*exec_target plain" "--exec prints the replay command"
    KAIROS_SEED=7 "$EXEC_TARGET" plain >/dev/null 2>&1; rc=$?
    [ "$rc" -eq 1 ] && pass "the replay command fails again" || fail "replay of seed 7: exit $rc"
    expect 0 "sweep --exec of passing seeds" -- "$K" sweep --seeds 1..6 --exec "$EXEC_TARGET"
    has "$T/out" "^result: PASS" "--exec passing result"
    expect 1 "sweep --exec: a crashing program" -- "$K" sweep --seeds 1..6 --exec "$EXEC_TARGET" crash
    has "$T/out" "^  1 x signal 6" "--exec names the signal"
    : >"$T/exec_shards"
    for k in 1 2; do
        expect 1 "sweep --exec --shard $k/2" -- \
            "$K" sweep --seeds 1..40 --shard "$k/2" --jsonl "$T/exec$k.jsonl" --exec "$EXEC_TARGET" plain
    done
    expect 1 "merge of --exec shards" -- "$K" merge "$T/exec1.jsonl" "$T/exec2.jsonl" --jsonl "$T/exec_m.jsonl"
    seed_lines "$T/exec_m.jsonl" | cmp -s - <(seed_lines "$T/exec.jsonl") &&
        pass "merged --exec shards = the whole --exec sweep" || fail "merged --exec shards differ"
    expect 1 "sweep --exec --strategy pct" -- \
        "$K" sweep --seeds 1..14 --strategy pct --pct-steps 50 --exec "$EXEC_TARGET"
    has "$T/out" "replay: KAIROS_SEED=7 KAIROS_STRATEGY=pct KAIROS_PCT_STEPS=50 " \
        "--exec passes the strategy on and records it"
    expect 2 "sweep --exec of a missing program" -- "$K" sweep --seeds 1..2 --exec /nonexistent/prog
    expect 2 "sweep --exec without a program" -- "$K" sweep --seeds 1..2 --exec
fi

finish
