#!/usr/bin/env bash
# The whole test suite: configure (build dir `build`, warnings as errors),
# build, and run every ctest test on both backends. Exits non-zero on failure.
# Extra arguments go to the configure step, e.g. ./scripts/test.sh -DCMAKE_BUILD_TYPE=Debug
# ./scripts/demo.sh configures build/ the same way, so the two run in either
# order in one clone (CI runs demo.sh first, as README does).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake -S . -B build -DKAIROS_WERROR=ON "$@"
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j2
