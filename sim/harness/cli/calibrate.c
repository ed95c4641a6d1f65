/* PCT's k for a scenario: the --pct-steps flag, else the scenario's
 * `run: pct_steps`, else measured by a short calibration pass.
 *
 * PCT draws its d-1 priority change points uniformly from steps 1..k; its
 * guarantee (a depth-d bug found with probability >= 1/(n*k^(d-1)) per run)
 * holds only when k is the run's length. Change points past the end of a run
 * never happen, so an estimate far above the real length turns PCT into
 * fixed priorities. The calibration runs the scenario under seeds 1..8 with
 * the random strategy and takes the longest run, in the simulator's own
 * steps (the unit PCT counts in). The seeds are fixed, not the sweep's, so
 * every shard of a sweep and every later replay of a single seed computes
 * the same k; the replay commands spell it out anyway (--pct-steps K). */
#include "cli.h"

#include <inttypes.h>
#include <string.h>

#define CALIBRATION_RUNS 8

static uint64_t measure(const scenario *s)
{
    uint64_t longest = 0;
    for (uint64_t seed = 1; seed <= CALIBRATION_RUNS; seed++) {
        sc_options so = {.seed = seed, .strategy = "random"};
        sc_result r;
        cli_run_one(s, &so, &r);
        if (r.status != SC_ERROR && r.steps > longest)
            longest = r.steps;
        kr__sc_result_free(&r);
    }
    return longest; /* 0: no run could complete; the runtime's default applies */
}

uint64_t cli_pct_steps(const cli_opts *o, const scenario *s)
{
    static const scenario *measured_for;
    static uint64_t measured;
    if (o->pct_steps)
        return o->pct_steps;
    if (s->pct_steps)
        return s->pct_steps;
    if (measured_for != s) {
        measured = measure(s);
        measured_for = s;
    }
    return measured;
}

bool cli_uses_pct_steps(const cli_opts *o, const scenario *s)
{
    return strcmp(cli_strategy(o, s), "pct") == 0;
}

void cli_print_pct_steps(FILE *f, const cli_opts *o, const scenario *s)
{
    if (!cli_uses_pct_steps(o, s))
        return;
    uint64_t k = cli_pct_steps(o, s);
    const char *from = o->pct_steps   ? "--pct-steps"
                       : s->pct_steps ? "the scenario's run: pct_steps"
                       : k            ? "calibrated: the longest of 8 runs, seeds 1..8, random"
                                      : "calibration failed: the runtime's default";
    fprintf(f, "pct: depth %d, k = %" PRIu64 " steps (%s)\n", cli_pct_depth(o, s),
            k ? k : 2000, from);
}
