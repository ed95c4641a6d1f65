# compare.sh's side-by-side table: reads bench_medians' lines
# ("bench runtime n runs sec rate rss bpp p99") and prints one Markdown row per
# issue-15 target (and one per benchmark without a target), with Kairos real
# and sim, CAF, Erlang and the tcp-floor side by side and peak RSS for each
# (every row: "-" where that runtime does not run the benchmark); a p99
# latency (http) is printed beside its rate. With compare.sh's BASELINE=REV
# the "baseline" column holds REV's rate from the same run (real, or sim for
# the simulator-only rows) and now/then; the rows without an issue-15 target
# then check "no regression" against it (met: now/then >= 1).
# Only figures of this run enter a ratio: a missing one is "not measured" and
# its ratio and "met" say so; libprocess is never measured here, so it is in
# no ratio.
{ rate[$1 " " $2] = $6; rss[$1 " " $2] = $7; bpp[$1 " " $2] = $8; p99[$1 " " $2] = $9 }

function has(b, rt) { return (b " " rt) in rate }
function cell(b, rt) {
  if (!has(b, rt)) return "not measured"
  if (p99[b " " rt] != "" && p99[b " " rt] + 0 >= 0)
    return sprintf("%.0f (p99 %.2f ms)", rate[b " " rt], p99[b " " rt])
  return sprintf("%.0f", rate[b " " rt])
}
function mem(b, rt) { return has(b, rt) ? rss[b " " rt] : "-" }
function peer(b) { return b == "pingpong-dispatch" ? "pingpong" : b }
function has_peer(b) { return b ~ /^(pingpong|pingpong-dispatch|fanout|ring|spawn|timers)$/ }
function sim_runs(b) { return b !~ /^(http|remote.*)$/ }
function real_runs(b) { return b != "sim-events" && b != "sim-seeds" }
# The runtime a row's baseline comparison uses: real where it runs, else sim.
function base_rt(b) { return real_runs(b) ? "real" : "sim" }
function base_ran() { for (k in rate) if (k ~ / baseline-/) return 1; return 0 }
function base_cell(b,   rt) {
  rt = base_rt(b)
  if (!has(b, "baseline-" rt)) return base_ran() ? "not measured" : "-"
  if (!has(b, "kairos-" rt) || rate[b " baseline-" rt] + 0 <= 0)
    return sprintf("%.0f", rate[b " baseline-" rt])
  return sprintf("%.0f (%.2fx)", rate[b " baseline-" rt], rate[b " kairos-" rt] / rate[b " baseline-" rt])
}

# One row: the rates, the target's text, the ratio's text and met.
function row(b, target, ratio_text, met,   p, c, e, s, f) {
  p = peer(b)
  s = sim_runs(b) ? cell(b, "kairos-sim") : "-"
  c = has_peer(b) ? cell(p, "caf") : "-"
  e = has_peer(b) ? cell(p, "erlang") : "-"
  f = b ~ /^remote/ ? cell("tcp-floor", "tcp") : "-"
  printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s / %s | %s | %s | %s |\n",
    b, real_runs(b) ? cell(b, "kairos-real") : "-", s, c, e, f, base_cell(b),
    mem(b, "kairos-real"), mem(b, "kairos-sim"), has_peer(b) ? mem(p, "caf") : "-",
    has_peer(b) ? mem(p, "erlang") : "-", b ~ /^remote/ ? mem("tcp-floor", "tcp") : "-",
    target, ratio_text, met
}

# Kairos (runtime rt) at least `want` times `other` (bench ob, runtime ort).
function vs(b, rt, ob, ort, want, target, name,   k, o) {
  if (!has(b, rt) || !has(ob, ort) || rate[ob " " ort] + 0 <= 0) {
    row(b, target, "n/a: " (has(b, rt) ? name : b " " rt) " not measured in this run", "n/a")
    return
  }
  k = rate[b " " rt]; o = rate[ob " " ort]
  row(b, target, sprintf("%.2fx %s", k / o, name), k / o >= want ? "yes" : "no")
}

# Kairos at least `want` per second.
function abs_rate(b, rt, want, target) {
  if (!has(b, rt)) { row(b, target, "n/a: not measured in this run", "n/a"); return }
  row(b, target, sprintf("%.2fx the target", rate[b " " rt] / want),
      rate[b " " rt] >= want ? "yes" : "no")
}

END {
  # No issue-15 target: shown for "no regressions" (item 8).
  split("pingpong pingpong-dispatch ring", plain, " ")
  for (i = 1; i in plain; i++)
    if (has(plain[i], "kairos-real")) {
      if (has(plain[i], "baseline-real"))
        vs(plain[i], "kairos-real", plain[i], "baseline-real", 1, "no regression (>= baseline)", "baseline")
      else
        row(plain[i], "none (no regression)", "-", "-")
    }
  if (has("fanout", "kairos-real")) vs("fanout", "kairos-real", "fanout", "erlang", 2, ">= 2x Erlang", "Erlang")
  if (has("spawn", "kairos-real")) vs("spawn", "kairos-real", "spawn", "caf", 4, ">= 4x CAF", "CAF")
  if (has("timers", "kairos-real")) vs("timers", "kairos-real", "timers", "erlang", 2, ">= 2x Erlang", "Erlang")
  if (has("idle", "kairos-real")) {
    v = bpp["idle kairos-real"] + 0
    row("idle", "<= 256 bytes/process", sprintf("%.0f bytes/process (real), %s (sim)", v,
        has("idle", "kairos-sim") ? bpp["idle kairos-sim"] : "not measured"), v <= 256 ? "yes" : "no")
  }
  if (has("sim-events", "kairos-sim")) abs_rate("sim-events", "kairos-sim", 20e6, ">= 20 M events/s")
  if (has("remote-w1", "kairos-real")) {
    vs("remote-w1", "kairos-real", "tcp-floor", "tcp", 0.75, ">= 0.75x tcp-floor", "tcp-floor")
    abs_rate("remote-w1", "kairos-real", 24000, ">= 24 k round trips/s")
  }
  if (has("remote-w100", "kairos-real")) abs_rate("remote-w100", "kairos-real", 300000, ">= 300 k round trips/s")
  if (has("remote-w1000", "kairos-real")) row("remote-w1000", "none", "-", "-")
  if (has("http", "kairos-real")) abs_rate("http", "kairos-real", 70000, ">= 70 k requests/s")
  if (has("sim-seeds", "kairos-sim"))
    abs_rate("sim-seeds", "kairos-sim", 60000, ">= 60,000 seeds/s (three-node, one core)")
  if (has("tcp-floor", "tcp"))
    printf "| tcp-floor | - | - | - | - | %.0f | - | - / - / - / - / %s | the floor (no runtime) | - | - |\n",
      rate["tcp-floor tcp"], rss["tcp-floor tcp"]
}
