#!/usr/bin/env bash
# Builds the peer benchmarks of bench/compare.sh into PEERS_BUILD_DIR
# (default build-bench/peers): caf/peers.cpp -> peers_caf (g++, libcaf-dev),
# erlang/kairos_peers.erl -> erlang/kairos_peers.beam (erlc). The runtimes
# come from `scripts/install-deps.sh --bench`, which compare.sh runs first.
# Rebuilds only what is older than its source.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${PEERS_BUILD_DIR:-$here/../../build-bench/peers}
mkdir -p "$out/erlang"

for tool in g++ erlc; do
  command -v "$tool" >/dev/null ||
    { echo "peers/build.sh: $tool not found: run scripts/install-deps.sh --bench" >&2; exit 1; }
done

if [[ ! "$out/peers_caf" -nt "$here/caf/peers.cpp" ]]; then
  echo "peers/build.sh: $out/peers_caf" >&2
  g++ -std=c++17 -O2 -pthread -o "$out/peers_caf" "$here/caf/peers.cpp" -lcaf_core
fi
if [[ ! "$out/erlang/kairos_peers.beam" -nt "$here/erlang/kairos_peers.erl" ]]; then
  echo "peers/build.sh: $out/erlang/kairos_peers.beam" >&2
  erlc -o "$out/erlang" "$here/erlang/kairos_peers.erl"
fi
