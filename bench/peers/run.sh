#!/usr/bin/env bash
# Runs peer benchmarks, CAF then Erlang, one result line each (the format of
# kairos-bench). Builds them first if needed (build.sh).
#
#   bench/peers/run.sh [BENCH...]   (default: pingpong fanout ring spawn timers)
#   PEERS_N=N          size of every benchmark (0 or unset: each one's full size)
#   CAF_THREADS=N      CAF scheduler threads (default one per core)
#   PEERS_BUILD_DIR    where build.sh put them (default build-bench/peers)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PEERS_BUILD_DIR=${PEERS_BUILD_DIR:-$here/../../build-bench/peers}
out=$PEERS_BUILD_DIR
"$here/build.sh"

n=${PEERS_N:-0}
benches=("$@")
[[ ${#benches[@]} -gt 0 ]] || benches=(pingpong fanout ring spawn timers)
for bench in "${benches[@]}"; do
  case $bench in
    pingpong | fanout | ring | spawn | timers) ;;
    *) echo "peers/run.sh: no peer benchmark '$bench'" >&2; exit 2 ;;
  esac
  "$out/peers_caf" "$bench" "$n"
  # skynet keeps about a million processes alive (the default limit is
  # 262144); only there, as a bigger process table costs memory up front.
  limit=()
  [[ $bench == spawn ]] && limit=(+P 4000000)
  # Run from the build directory so an erl_crash.dump never lands elsewhere.
  (cd "$out" && erl "${limit[@]}" -noshell -pa "$out/erlang" -run kairos_peers main "$bench" "$n")
done
