#!/usr/bin/env bash
# Usage: bench/compare.sh [bench...]
#   (default: pingpong pingpong-dispatch fanout ring spawn timers idle
#    http remote-w1 remote-w100 sim-seeds)
#
# Installs what is missing (scripts/install-deps.sh --bench: libcaf-dev,
# erlang-nox, g++, wrk), builds Kairos (Release, in $BENCH_BUILD_DIR, default
# build-bench/) and the CAF/Erlang peers of bench/peers/ (bench/peers/build.sh,
# into $BENCH_BUILD_DIR/peers), then runs, for
# ROUNDS rounds (default 3) and per benchmark: kairos-bench (real), the peers
# (CAF, then Erlang), kairos-bench-sim; plus sim-events once per round.
# When a remote-* benchmark is named, the tcp-floor (bench/tcp_floor.c: a
# blocking TCP ping-pong between two OS processes over loopback, 8-byte
# messages, 1 in flight, no Kairos at all) runs once per round just before the
# first of them; `tcp-floor` may also be named alone. `sim-seeds` is
# bench/sim_seeds.sh (seeds/s of a one-job sweep of scenarios/three-node.yaml,
# 20,000 seeds; 200 in smoke mode) with the kairos CLI of the same build.
# Every run is its own OS process, so peak RSS is per benchmark as for the
# peers. Prints the raw lines, a table of medians and ONE side-by-side table
# (Kairos real and sim, CAF, Erlang, tcp-floor, peak RSS of each; http's p99
# latency beside its rate) with each target of issue 15, the measured ratio
# and yes/no. Ratios use only figures measured in
# this run: a figure that was not is printed as "not measured" and gives no
# ratio (libprocess is not measured here, so it is in no ratio). http (wrk -t2
# -c64 --latency: the rate and wrk's 99th percentile latency, p99_ms) is
# skipped with a message when wrk is missing; no peer serves http here. Raw lines also
# go to $BENCH_BUILD_DIR/compare.txt.
#
#   ROUNDS=5 bench/compare.sh            # more rounds
#   BENCH_SMOKE=1 bench/compare.sh       # CI: one round at n=1000, checks lines
#   TABLE_ONLY=1 bench/compare.sh        # tables of the last run's compare.txt again
#   BASELINE=REV bench/compare.sh        # also REV's kairos-bench, alternating
#
# BASELINE=REV (a commit, e.g. dd8827d, issue 15's starting point) builds
# that commit's benchmarks too (lib.sh: bench_build_baseline) and runs them
# right after the current ones for every benchmark (runtime=baseline-real,
# baseline-sim), so the table's "baseline" column and its "now/then" ratios
# are same-run figures: issue 15's "no regressions". A benchmark the
# baseline does not have is reported on stderr and left out.
#   CAF_THREADS=N, KAIROS_WORKERS=N      # worker counts (default one per core)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
n_args=()
peers_n=0
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  ROUNDS=1
  n_args=(--n "${BENCH_SMOKE_N:-1000}")
  peers_n=${BENCH_SMOKE_N:-1000}
fi
seeds_n=20000
[ "${BENCH_SMOKE:-0}" = 1 ] && seeds_n=200
benches=("${@:-pingpong pingpong-dispatch fanout ring spawn timers idle http remote-w1 remote-w100 sim-seeds}")
read -r -a benches <<<"${benches[*]}"

# The peers' benchmark for a Kairos one (dispatch is compared to pingpong).
peer_of() {
  case "$1" in
    pingpong | pingpong-dispatch) echo pingpong ;;
    fanout | ring | spawn | timers) echo "$1" ;;
    *) echo "" ;;
  esac
}
real_only() { case "$1" in http | remote* | tcp-floor) return 0 ;; *) return 1 ;; esac; }
# Whether the tcp-floor runs in each round: named, or implied by a remote-*.
with_floor=0
for b in "${benches[@]}"; do
  case "$b" in remote* | tcp-floor) with_floor=1 ;; esac
done

raw=$BENCH_BUILD_DIR/compare.txt
if [ "${TABLE_ONLY:-0}" = 1 ]; then
  : # re-print the tables of an existing $raw without running anything
else
# KAIROS_SKIP_DEPS=1: the caller installed them (or cannot: not root).
[ "${KAIROS_SKIP_DEPS:-0}" = 1 ] || "$KAIROS_ROOT/scripts/install-deps.sh" --bench >&2
bench_build_kairos
[ -z "${BASELINE:-}" ] || bench_build_baseline "$BASELINE"
[ -x "$PEERS_DIR/build.sh" ] && [ -x "$PEERS_DIR/run.sh" ] ||
  { echo "compare.sh: no peer benchmarks in $PEERS_DIR (build.sh, run.sh)" >&2; exit 1; }
export PEERS_BUILD_DIR=${PEERS_BUILD_DIR:-$BENCH_BUILD_DIR/peers}
"$PEERS_DIR/build.sh" >&2

: >"$raw"
run() { "$@" | tee -a "$raw"; }
# The baseline's run of the same benchmark, tagged runtime=baseline-*.
run_base() {
  [ -n "${BASELINE:-}" ] || return 0
  local out
  if out=$("$@"); then
    sed 's/ runtime=kairos-/ runtime=baseline-/' <<<"$out" | grep '^bench=' | tee -a "$raw" || true
  else
    echo "compare.sh: the baseline ($BASELINE) failed or lacks: ${*: -1}" >&2
  fi
}

for round in $(seq 1 "$ROUNDS"); do
  echo "# round $round/$ROUNDS" >&2
  floor_ran=0
  for b in "${benches[@]}"; do
    case "$b" in
      remote* | tcp-floor)
        if [ "$floor_ran" = 0 ]; then
          run "$KAIROS_TCP_FLOOR" "${n_args[@]}"
          floor_ran=1
        fi
        [ "$b" = tcp-floor ] && continue ;;
      sim-seeds)
        run "$BENCH_DIR/sim_seeds.sh" "$BENCH_BUILD_DIR" "$seeds_n"
        run_base "${BASE_ROOT:-}/bench/sim_seeds.sh" "${BASE_BUILD:-}" "$seeds_n"
        continue ;;
    esac
    run "$KAIROS_BENCH" "${n_args[@]}" "$b"
    run_base "${BASE_BENCH:-}" "${n_args[@]}" "$b"
    peer=$(peer_of "$b")
    if [ -n "$peer" ] && [ "$b" = "$peer" ]; then
      PEERS_N=$peers_n run "$PEERS_DIR/run.sh" "$peer"
    fi
    if ! real_only "$b"; then
      run "$KAIROS_BENCH_SIM" "${n_args[@]}" "$b"
      run_base "${BASE_BENCH_SIM:-}" "${n_args[@]}" "$b"
    fi
  done
  run "$KAIROS_BENCH_SIM" "${n_args[@]}" sim-events
  run_base "${BASE_BENCH_SIM:-}" "${n_args[@]}" sim-events
done
fi

medians=$(bench_medians <"$raw")

echo
echo "## Medians of $ROUNDS round(s)"
echo "| bench | runtime | n | runs | median s | median rate/s | median p99 ms | median peak RSS MiB | bytes/process |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6,
       ($9 < 0 ? "" : $9), $7, ($8 < 0 ? "" : $8) }' <<<"$medians"

echo
echo "## Side by side, with issue 15's targets (figures of this run only)"
echo "| bench | kairos-real /s | kairos-sim /s | caf /s | erlang /s | tcp-floor /s | baseline /s (now/then) | peak RSS MiB (real / sim / caf / erlang / floor) | target (issue 15) | measured ratio | met |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|---|---|"
awk -f "$BENCH_DIR/compare_table.awk" <<<"$medians"

if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  # Each Kairos benchmark on both backends, each peer benchmark twice.
  want=$(( ${#benches[@]} * 2 + 1 + with_floor ))
  for b in "${benches[@]}"; do
    [ "$b" = tcp-floor ] && { want=$((want - 2)); continue; }
    [ "$b" = sim-seeds ] && { want=$((want - 1)); continue; }
    [ "$b" = "$(peer_of "$b")" ] && want=$((want + 2))
    real_only "$b" && want=$((want - 1))
    [ "$b" = http ] && ! command -v wrk >/dev/null && want=$((want - 1))
  done
  got=$(grep '^bench=' "$raw" | grep -vc ' runtime=baseline-' || true)
  [ "$got" -eq "$want" ] || { echo "compare.sh: $got result lines, expected $want" >&2; exit 1; }
fi
