#!/usr/bin/env bash
# Usage: bench/scaling.sh
# Scaling runs of issues 6 and 15, ROUNDS rounds each (default 3), medians
# printed as Markdown tables:
#   - rate against worker threads: pingpong, ring and fanout (real backend)
#     with 1, 2, 4 and 8 workers (SCALING_WORKERS="1 2 4 8"; `--workers W`
#     of kairos-bench), the worker counts alternating within each round; the
#     chart of it is written to bench/scaling.svg (SCALING_SVG=path to put it
#     elsewhere), drawn by bench/scaling_svg.awk and checked by
#     bench/svg_check.sh. On this 2-core machine 4 and 8 workers
#     oversubscribe the cores: the chart shades that region. A second table
#     gives the CPU time (user + sys of the whole process, from `times`) per
#     million messages, which a loaded machine disturbs less than the rate;
#   - spawn at 10^4, 10^5, 10^6 leaves on both backends (ns per process
#     should stay flat);
#   - sim-events at 10^4 .. 10^7 events (cost should be linear: flat rate).
# SCALING_PARTS="workers spawn sim-events" (the default: all three) picks
# which of them run. Builds Kairos (Release) first, as compare.sh does. Raw
# lines go to
# $BENCH_BUILD_DIR/scaling.txt. BENCH_SMOKE=1: one round of the small sizes
# (n = 1000), and the chart goes to $BENCH_BUILD_DIR/scaling.svg so the
# committed one is not overwritten by smoke numbers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
read -r -a workers <<<"${SCALING_WORKERS:-1 2 4 8}"
parts=" ${SCALING_PARTS:-workers spawn sim-events} "
for p in $parts; do
  case $p in
    workers | spawn | sim-events) ;;
    *) echo "scaling.sh: unknown part '$p' in SCALING_PARTS (workers spawn sim-events)" >&2; exit 2 ;;
  esac
done
part() { [[ $parts == *" $1 "* ]]; }
worker_benches=(pingpong ring fanout)
spawn_sizes=(10000 100000 1000000)
sim_sizes=(10000 100000 1000000 10000000)
svg=${SCALING_SVG:-$BENCH_DIR/scaling.svg}
n=()
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  ROUNDS=1 spawn_sizes=(100 1000) sim_sizes=(1000 10000) n=(--n 1000)
  svg=${SCALING_SVG:-$BENCH_BUILD_DIR/scaling.svg}
fi

bench_build_kairos
raw=$BENCH_BUILD_DIR/scaling.txt
: >"$raw"
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
times_file=$(mktemp "${TMPDIR:-/tmp}/kairos-scaling.XXXXXX")
trap 'rm -f "$times_file"' EXIT

# Sets cpu_now to the CPU seconds (user + sys) used so far by this shell's
# finished children, from the `times` builtin. Not called as $(...): in a
# subshell `times` would count that subshell's children only.
children_cpu() {
  times >"$times_file"
  cpu_now=$(awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
    printf "%.3f", t
  }' "$times_file")
}

# One worker-scaling run: its result line, tagged with the worker count, and
# cpu_s: the CPU seconds the whole process used (all threads, user + sys,
# init and finalize included). On a loaded machine CPU per message says what
# the extra workers cost even when the wall-clock rate is mostly noise.
workers_run() { # BENCH WORKERS
  local before line
  children_cpu
  before=$cpu_now
  line=$("$KAIROS_BENCH" --workers "$2" "${n[@]}" "$1")
  children_cpu
  printf '%s cpu_s=%s\n' "${line/runtime=kairos-real /runtime=kairos-real-w$2 }" \
    "$(awk -v a="$before" -v b="$cpu_now" 'BEGIN { printf "%.3f", b - a }')"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "# round $round/$ROUNDS" >&2
  for b in "${worker_benches[@]}"; do
    part workers || break
    for w in "${workers[@]}"; do
      workers_run "$b" "$w" | tee -a "$raw"
    done
  done
  for size in "${spawn_sizes[@]}"; do
    part spawn || break
    "$KAIROS_BENCH" --n "$size" spawn | tee -a "$raw"
    "$KAIROS_BENCH_SIM" --n "$size" spawn | tee -a "$raw"
  done
  for size in "${sim_sizes[@]}"; do
    part sim-events || break
    "$KAIROS_BENCH_SIM" --n "$size" sim-events | tee -a "$raw"
  done
done
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")

medians=$(bench_medians <"$raw")
cores=$(nproc)

# The workers table (one row per benchmark, one column per worker count,
# M/s) and the chart.
workers_report() {
  echo
  echo "## Rate against worker threads (real backend, $cores cores), medians of $ROUNDS"
  awk -v list="${workers[*]}" '
    BEGIN { nw = split(list, ws, " ") }
    $2 ~ /^kairos-real-w[0-9]+$/ {
      if (!($1 in seen)) { seen[$1] = 1; order[++nb] = $1 }
      rate[$1 " " substr($2, 14)] = $6
    }
    END {
      printf "| bench |"
      for (i = 1; i <= nw; i++) printf " %s worker%s M/s |", ws[i], ws[i] == 1 ? "" : "s"
      printf "\n|---|"
      for (i = 1; i <= nw; i++) printf "---:|"
      printf "\n"
      for (b = 1; b <= nb; b++) {
        printf "| %s |", order[b]
        for (i = 1; i <= nw; i++) {
          k = order[b] " " ws[i]
          printf " %s |", (k in rate) ? sprintf("%.2f", rate[k] / 1e6) : "-"
        }
        printf "\n"
      }
    }' <<<"$medians"
  echo
  echo "CPU (user + sys, all threads, whole process) per million messages, ms, medians of $ROUNDS:"
  echo
  awk -v list="${workers[*]}" '
    function median(list,   a, c, i, j, t) {
      c = split(list, a, " ")
      for (i = 2; i <= c; i++)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
    }
    BEGIN { nw = split(list, ws, " ") }
    /^bench=/ && / runtime=kairos-real-w[0-9]+ / && / cpu_s=/ {
      delete f
      for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (!(f["bench"] in seen)) { seen[f["bench"]] = 1; order[++nb] = f["bench"] }
      k = f["bench"] " " substr(f["runtime"], 14)
      per[k] = per[k] " " (f["n"] > 0 ? f["cpu_s"] * 1e9 / f["n"] : 0)
    }
    END {
      printf "| bench |"
      for (i = 1; i <= nw; i++) printf " %s worker%s |", ws[i], ws[i] == 1 ? "" : "s"
      printf "\n|---|"
      for (i = 1; i <= nw; i++) printf "---:|"
      printf "\n"
      for (b = 1; b <= nb; b++) {
        printf "| %s |", order[b]
        for (i = 1; i <= nw; i++) {
          k = order[b] " " ws[i]
          printf " %s |", (k in per) ? sprintf("%.0f", median(per[k])) : "-"
        }
        printf "\n"
      }
    }' "$raw"
  local commit
  commit=$(git -C "$KAIROS_ROOT" describe --always --dirty 2>/dev/null || echo "unknown commit")
  awk -v cores="$cores" \
    -v title="Kairos (real backend): rate against worker threads, medians of $ROUNDS" \
    -v subtitle="$(date -u '+%Y-%m-%d %H:%M UTC'), $commit, ${n[*]:-default sizes}, $cores cores, load average $load_before -> $load_after" \
    -f "$BENCH_DIR/scaling_svg.awk" <<<"$medians" >"$svg.tmp"
  "$BENCH_DIR/svg_check.sh" "$svg.tmp" "${#worker_benches[@]}"
  mv "$svg.tmp" "$svg"
  echo
  echo "Chart: $svg"
}

spawn_report() {
  echo
  echo "## spawn (skynet) size scaling, medians of $ROUNDS"
  echo "| runtime | processes | median s | median rate/s | ns per process | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk '$1 == "spawn" { printf "| %s | %s | %s | %s | %.0f | %s |\n", $2, $3, $5, $6, 1e9 / $6, $7 }' \
    <<<"$medians"
}

sim_events_report() {
  echo
  echo "## sim-events size scaling, medians of $ROUNDS"
  echo "| events (steps) | median s | median events/s | ns per event |"
  echo "|---:|---:|---:|---:|"
  awk '$1 == "sim-events" { printf "| %s | %s | %s | %.0f |\n", $3, $5, $6, 1e9 / $6 }' \
    <<<"$medians"
}

part workers && workers_report
part spawn && spawn_report
part sim-events && sim_events_report
exit 0
