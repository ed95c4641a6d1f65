#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the ping-pong demo on the
# simulator for seeds 1 2 3, printing each run's trace hash (the same seed
# always gives the same hash), then once on the real backend.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/install-deps.sh
cmake -S . -B build
cmake --build build -j"$(nproc)" --target pingpong_sim pingpong_real

for seed in 1 2 3; do
  ./build/examples/pingpong_sim "$seed"
done
./build/examples/pingpong_real
