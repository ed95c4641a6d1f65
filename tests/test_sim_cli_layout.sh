#!/usr/bin/env bash
# The shipped kairos knows the built-in actor types only; the example actor
# systems (scenarios/actors: bank, wal) come with the examples' runner,
# which is built as a user's own runner is (kairos_add_scenario_runner).
# Usage: test_sim_cli_layout.sh KAIROS KAIROS_EXAMPLES SOURCE_DIR
set -u
K=${1:?usage: test_sim_cli_layout.sh KAIROS KAIROS_EXAMPLES SOURCE_DIR}
E=${2:?}
SRC=${3:?}
failures=0
check() { # description command...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
types=$("$K" types 2>&1)
example_types=$("$E" types 2>&1)
check "kairos lists the built-in echo" grep -q "echo" <<<"$types"
check "kairos has no bank-teller" bash -c '! grep -q "bank-teller" <<<"$1"' _ "$types"
check "kairos has no wal types" bash -c '! grep -qi "wal" <<<"$1"' _ "$types"
check "kairos-examples has bank-teller" grep -q "bank-teller" <<<"$example_types"
check "kairos-examples has the built-ins too" grep -q "echo" <<<"$example_types"
check "kairos check of a bank scenario names the unknown type" \
    bash -c '"$1" check "$2/scenarios/bank-race.yaml" 2>&1 | grep -q "unknown actor type"' _ "$K" "$SRC"
check "kairos-examples checks it" "$E" check "$SRC/scenarios/bank-race.yaml"
check "kairos runs a built-in scenario" "$K" run "$SRC/scenarios/three-node.yaml" --seed 1
[ "$failures" -eq 0 ] && echo "all passed" || { echo "$failures failure(s)"; exit 1; }
