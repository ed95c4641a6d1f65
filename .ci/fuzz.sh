#!/usr/bin/env bash
# Fuzzes the scenario loader (tests/fuzz/fuzz_scenario_load.c) with libFuzzer
# for FUZZ_SECONDS (default 60), seeded with every scenario file of the
# repository (tests/scenarios/good, tests/scenarios/bad, scenarios/).
# Fails on any finding: a crash, sanitizer report, leak, timeout or
# out-of-memory; the input that caused it is left in $FUZZ_BUILD/fuzz-artifacts/.
#
#   .ci/fuzz.sh                    # 60 s
#   FUZZ_SECONDS=600 .ci/fuzz.sh   # longer
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}

CC=clang cmake -S . -B "$build" -DKAIROS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_scenario_load -j"$(nproc)"

# The first corpus directory is the one libFuzzer writes to: a scratch copy,
# so the repository's files stay as they are.
corpus=$(mktemp -d "${TMPDIR:-/tmp}/kairos-fuzz-corpus.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
find scenarios tests/scenarios -name '*.yaml' -exec cp {} "$corpus"/ \; 2>/dev/null || true
artifacts=$build/fuzz-artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"

status=0
"$build"/tests/fuzz/fuzz_scenario_load \
  -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -dict=tests/fuzz/scenario.dict -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$corpus" || status=$?

findings=$(find "$artifacts" -type f | wc -l)
if [[ $status -ne 0 || $findings -ne 0 ]]; then
  echo "fuzz: FAILED (exit $status, $findings finding(s) in $artifacts)" >&2
  exit 1
fi
echo "fuzz: no finding in ${seconds}s"
