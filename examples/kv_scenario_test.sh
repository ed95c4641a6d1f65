#!/usr/bin/env bash
# ctest example_kv_scenario: the key-value service of examples/kv.c runs
# under the scenario harness. scenarios/kv-service.yaml passes on every
# seed, twice the same (the trace hash), with its HTTP expectations (a value,
# the metrics, the server's empty /__processes__ queue); the broken
# scenarios/kv-service-full.yaml (a server too small for its client) fails
# on the client's read-back check, with a replay command that reproduces it.
# Usage: kv_scenario_test.sh KAIROS_EXAMPLES SOURCE_DIR
set -u
E=${1:?usage: kv_scenario_test.sh KAIROS_EXAMPLES SOURCE_DIR}
SRC=${2:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$SRC/tests/lib.sh"

expect 0 "the kv types are in kairos-examples" -- "$E" types
has "$T/out" "kv-server" "kv-server listed"
has "$T/out" "kv-clients-done" "the invariant listed"
expect 0 "kv-service.yaml checks" -- "$E" check "$SRC/scenarios/kv-service.yaml"
expect 0 "kv-service.yaml passes seeds 1..100, each run twice" -- \
    "$E" sweep "$SRC/scenarios/kv-service.yaml" --seeds 1..100 --jobs 2 --check-determinism
has "$T/out" "passed 100, failed 0" "every seed passed"
expect 0 "one run" -- "$E" run "$SRC/scenarios/kv-service.yaml" --seed 7
has "$T/out" "PASS" "seed 7 passes"

expect 1 "kv-service-full.yaml fails" -- \
    "$E" sweep "$SRC/scenarios/kv-service-full.yaml" --seeds 1..5 --jobs 2
has "$T/out" "passed 0, failed 5" "every seed fails"
expect 1 "its first seed fails on the read-back check" -- \
    "$E" run "$SRC/scenarios/kv-service-full.yaml" --seed 1
has "$T/out" "read back .*wanted value-4" "the failing check names the lost write"
has "$T/out" "replay: .*kv-service-full.yaml --seed 1" "with its replay command"
finish
