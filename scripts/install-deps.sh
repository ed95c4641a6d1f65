#!/usr/bin/env bash
# Installs Kairos' build and test dependencies on Debian/Ubuntu.
# Only the missing packages are installed, `apt-get update` runs at most once
# (and only when something is missing), and sudo is used only when not root.
set -euo pipefail

packages=(
  build-essential  # gcc, make, libc headers
  cmake
  pkg-config
  clang            # second compiler for the -Werror build in CI
  libcmocka-dev    # unit tests
  libyaml-dev      # scenario files
  lcov             # coverage report
  libhttp-parser-dev
  libjansson-dev
  libprotobuf-c-dev    # typed protobuf messages (the kairos_protobuf add-on)
  protobuf-c-compiler  # protoc-c, for the add-on's tests and the kv_service example
)

# --ci: also what only CI needs: Chromium for the report's browser test and
# clang's sanitizer/fuzzer runtime for the libFuzzer stage.
# --bench: also what bench/compare.sh needs: the peers' runtimes (CAF for
# C++, built with g++; Erlang/OTP) and wrk for the HTTP benchmark; GNU time
# for sim_seeds.sh's peak RSS; and xmllint (libxml2-utils) with which
# bench/svg_check.sh checks scaling.sh's chart.
for flag in "$@"; do
  case $flag in
    --ci) packages+=(chromium libclang-rt-14-dev) ;;
    --bench) packages+=(g++ libcaf-dev erlang-nox wrk time libxml2-utils) ;;
    *)
      echo "usage: install-deps.sh [--ci] [--bench]" >&2
      exit 2
      ;;
  esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps.sh: not a Debian-like system; install these yourself: ${packages[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all dependencies present"
  exit 0
fi

# As root (CI, containers) run apt-get directly; otherwise through sudo.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-deps.sh: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
}

echo "install-deps.sh: installing ${missing[*]}"
as_root apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
