#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for FUZZ_SECONDS each (default
# 30; three targets, so the stage takes about 1.5 minutes):
#   fuzz_scenario_load  the scenario loader, seeded with every scenario file
#                       of the repository (tests/scenarios, scenarios/);
#   fuzz_http_server    bytes sent to the real backend's HTTP server
#                       (http-parser, limits, routing, firewall, built-ins);
#   fuzz_wire_message   the decoding of a libprocess message POST;
# the last two seeded with tests/fuzz/corpus/<target>/.
# Fails on any finding: a crash, sanitizer report, leak, timeout or
# out-of-memory; the input that caused it is left in
# $FUZZ_BUILD/fuzz-artifacts/<target>/ (add it to the target's corpus once fixed).
#
#   .ci/fuzz.sh                    # 30 s per target
#   FUZZ_SECONDS=600 .ci/fuzz.sh   # longer
#   .ci/fuzz.sh fuzz_http_server   # one target
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD:-build-fuzz}
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_scenario_load fuzz_http_server fuzz_wire_message)

CC=clang cmake -S . -B "$build" -DKAIROS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)"

# The first corpus directory is the one libFuzzer writes to: a scratch
# directory, so the repository's files stay as they are.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kairos-fuzz-corpus.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
artifacts=$build/fuzz-artifacts
rm -rf "$artifacts"

failed=0
for target in "${targets[@]}"; do
  corpus=$scratch/$target
  mkdir -p "$corpus" "$artifacts/$target"
  case $target in
    fuzz_scenario_load)
      find scenarios tests/scenarios -name '*.yaml' -exec cp {} "$corpus"/ \; 2>/dev/null || true
      options=(-max_len=16384 -dict=tests/fuzz/scenario.dict)
      seeds=() ;;
    *)
      options=(-max_len=4096)
      seeds=(tests/fuzz/corpus/"$target") ;;
  esac
  status=0
  echo "fuzz: $target for ${seconds}s"
  "$build"/tests/fuzz/"$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$target/" -print_final_stats=1 \
    "${options[@]}" "$corpus" "${seeds[@]}" || status=$?
  findings=$(find "$artifacts/$target" -type f | wc -l)
  if [[ $status -ne 0 || $findings -ne 0 ]]; then
    echo "fuzz: $target FAILED (exit $status, $findings finding(s) in $artifacts/$target)" >&2
    failed=1
  fi
done
[[ $failed -eq 0 ]] || exit 1
echo "fuzz: no finding in ${seconds}s per target (${targets[*]})"
