# Sourced by compare.sh and scaling.sh: paths, the Release build, and the
# median table.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAIROS_ROOT=$(cd "$BENCH_DIR/.." && pwd)
# The CAF and Erlang peer benchmarks (bench/peers/: build.sh, run.sh);
# PEERS_DIR may point at another set with the same two scripts.
PEERS_DIR=${PEERS_DIR:-$BENCH_DIR/peers}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$KAIROS_ROOT/build-bench}
KAIROS_BENCH=$BENCH_BUILD_DIR/bench/kairos-bench
KAIROS_BENCH_SIM=$BENCH_BUILD_DIR/bench/kairos-bench-sim
# The loopback floor of issue 15 (bench/tcp_floor.c: no Kairos at all).
KAIROS_TCP_FLOOR=$BENCH_BUILD_DIR/bench/kairos-tcp-floor

# Configures a Release tree and builds both benchmark binaries (and, through
# them, both libraries), the tcp-floor and the kairos CLI (sim_seeds.sh).
bench_build_kairos() {
  cmake -S "$KAIROS_ROOT" -B "$BENCH_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build "$BENCH_BUILD_DIR" -j"$(nproc)" --target kairos-bench kairos-bench-sim \
    kairos-tcp-floor kairos_cli >&2
}

# Reads result lines on stdin; prints "bench runtime n runs sec rate rss bpp
# p99" per (bench, runtime, n), medians over the runs, in first-seen order;
# bpp (idle's bytes_per_process) and p99 (http's p99_ms) are -1 when absent.
bench_medians() {
  awk '
    function median(list,   a, c, i, j, t) {
      c = split(list, a, " ")
      for (i = 2; i <= c; i++)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
          t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
      return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
    }
    /^bench=/ {
      delete f
      for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      # http: n is what wrk managed in its fixed duration, so runs of one
      # size differ in n; group them under n = 0.
      k = f["bench"] " " f["runtime"] " " (f["bench"] == "http" ? 0 : f["n"])
      if (!(k in runs)) order[++nk] = k
      runs[k]++
      sec[k] = sec[k] " " f["seconds"]; rate[k] = rate[k] " " f["rate"]
      rss[k] = rss[k] " " f["rss_mb"]
      bpp[k] = bpp[k] " " ("bytes_per_process" in f ? f["bytes_per_process"] : -1)
      p99[k] = p99[k] " " ("p99_ms" in f ? f["p99_ms"] : -1)
    }
    END {
      for (j = 1; j <= nk; j++) { k = order[j]
        printf "%s %d %.4f %.0f %.1f %.0f %.3f\n", k, runs[k], median(sec[k]),
          median(rate[k]), median(rss[k]), median(bpp[k]), median(p99[k]) }
    }'
}

# BASELINE=REV: builds that commit's benchmarks (git archive of REV into
# $BENCH_BUILD_DIR/baseline/src, a Release tree beside it), so compare.sh can
# run them alternately with the current ones: "no regressions" measured in
# the same run. Sets BASE_ROOT, BASE_BUILD, BASE_BENCH, BASE_BENCH_SIM.
bench_build_baseline() { # REV
  local rev=$1
  BASE_ROOT=$BENCH_BUILD_DIR/baseline/src
  BASE_BUILD=$BENCH_BUILD_DIR/baseline/build
  git -C "$KAIROS_ROOT" rev-parse --verify --quiet "$rev^{commit}" >/dev/null ||
    { echo "compare.sh: BASELINE=$rev is not a commit of $KAIROS_ROOT" >&2; return 1; }
  rm -rf "$BASE_ROOT"
  mkdir -p "$BASE_ROOT"
  git -C "$KAIROS_ROOT" archive "$rev" | tar -x -C "$BASE_ROOT"
  cmake -S "$BASE_ROOT" -B "$BASE_BUILD" -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build "$BASE_BUILD" -j"$(nproc)" --target kairos-bench kairos-bench-sim kairos_cli >&2
  BASE_BENCH=$BASE_BUILD/bench/kairos-bench
  BASE_BENCH_SIM=$BASE_BUILD/bench/kairos-bench-sim
}
