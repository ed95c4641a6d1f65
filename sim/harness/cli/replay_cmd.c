/* The kairos command's replay: a seed again, event by event, or a recorded
 * trace (its schedule, or a shrunk one) followed decision by decision. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- replay ---------------------------------------------------------------- */

/* The scenario's skip list from a trace's, checked against its actions. */
static int trace_skips(const cli_opts *o, const scenario *s, const sc_trace_info *ti,
                       bool **out)
{
    *out = NULL;
    if (!ti->skip_actions)
        return 0;
    bool *skip = calloc(s->n_actions ? s->n_actions : 1, sizeof *skip);
    if (!skip)
        return cli_error(o, "out of memory");
    for (size_t i = 0; i < ti->n_skip; i++) {
        if (!ti->skip_actions[i])
            continue;
        if (i >= s->n_actions) {
            free(skip);
            return cli_error(o, "%s: the trace leaves out action #%zu but %s has only %zu "
                                "actions: the scenario changed since the trace was written",
                             o->trace, i, o->file, s->n_actions);
        }
        skip[i] = true;
    }
    *out = skip;
    return 0;
}

/* The arrays a trace's edits become for the scenario (sc_options). */
typedef struct trace_edits {
    bool *skip;
    kr_duration *action_at;
    bool *skip_random;
    kr_duration *random_at;
    size_t n_random;
} trace_edits;

static void edits_free(trace_edits *e)
{
    free(e->skip);
    free(e->action_at);
    free(e->skip_random);
    free(e->random_at);
    memset(e, 0, sizeof *e);
}

static int changed_scenario(const cli_opts *o, const char *what, size_t index, size_t n)
{
    return cli_error(o, "%s: the trace edits %s #%zu but %s has only %zu: the scenario changed "
                        "since the trace was written",
                     o->trace, what, index, o->file, n);
}

/* Moved scripted actions and the planned random faults' edits. */
static int trace_moves(const cli_opts *o, const scenario *s, const sc_trace_info *ti,
                       const sc_options *so, trace_edits *e)
{
    if (ti->n_action_at) {
        e->action_at = malloc((s->n_actions ? s->n_actions : 1) * sizeof *e->action_at);
        if (!e->action_at)
            return cli_error(o, "out of memory");
        for (size_t i = 0; i < s->n_actions; i++)
            e->action_at[i] = s->actions[i].at;
        for (size_t i = 0; i < ti->n_action_at; i++) {
            if (ti->action_at[i].index >= s->n_actions)
                return changed_scenario(o, "action", ti->action_at[i].index, s->n_actions);
            e->action_at[ti->action_at[i].index] = ti->action_at[i].at;
        }
    }
    if (!ti->n_random_at && !ti->n_skip_random)
        return 0;
    size_t n = kr__sc_random_plan(s, so, NULL, 0);
    sc_planned *plan = calloc(n ? n : 1, sizeof *plan);
    e->skip_random = calloc(n ? n : 1, sizeof *e->skip_random);
    e->random_at = malloc((n ? n : 1) * sizeof *e->random_at);
    if (!plan || !e->skip_random || !e->random_at) {
        free(plan);
        return cli_error(o, "out of memory");
    }
    kr__sc_random_plan(s, so, plan, n);
    for (size_t i = 0; i < n; i++)
        e->random_at[i] = plan[i].at;
    free(plan);
    e->n_random = n;
    for (size_t i = 0; i < ti->n_skip_random; i++) {
        if (ti->skip_random[i] >= n)
            return changed_scenario(o, "random fault", ti->skip_random[i], n);
        e->skip_random[ti->skip_random[i]] = true;
    }
    for (size_t i = 0; i < ti->n_random_at; i++) {
        if (ti->random_at[i].index >= n)
            return changed_scenario(o, "random fault", ti->random_at[i].index, n);
        e->random_at[ti->random_at[i].index] = ti->random_at[i].at;
    }
    return 0;
}

/* Every workload edit of the trace into `so` (arrays owned by `e`). */
static int trace_edits_apply(const cli_opts *o, const scenario *s, const sc_trace_info *ti,
                             sc_options *so, trace_edits *e)
{
    int rc = trace_skips(o, s, ti, &e->skip);
    if (rc == 0)
        rc = trace_moves(o, s, ti, so, e);
    so->workload_percent = ti->workload_percent;
    so->skip_actions = e->skip;
    so->action_at = e->action_at;
    so->no_random_faults = ti->no_random_faults;
    so->skip_random = e->skip_random;
    so->random_at = e->random_at;
    so->n_random = e->n_random;
    so->rates_scaled = ti->rates_scaled;
    so->drop_percent = ti->drop_percent;
    so->duplicate_percent = ti->duplicate_percent;
    so->message_faults = ti->message_faults;
    so->n_message_faults = ti->n_message_faults;
    return rc;
}

/* Replay of a trace: the result against the trace's hash. */
static int report_trace_replay(const sc_result *r, const sc_trace_info *ti)
{
    if (r->status == SC_FAIL && strncmp(r->failure, "replay:", 7) == 0) {
        printf("the trace no longer fits this scenario or build: %s\n"
               "(the code under test or the scenario changed since the trace was written)\n",
               r->failure);
        return CLI_FAILED;
    }
    if (r->status == SC_ERROR) /* it never ran: there is no hash to compare */
        return CLI_BAD_INPUT;
    if (r->hash == ti->hash) {
        printf("trace hash 0x%016" PRIx64 " matches the trace\n", r->hash);
        return cli_status_exit(r->status);
    }
    printf("trace hash 0x%016" PRIx64 " DIFFERS from the trace's 0x%016" PRIx64
           ": the run is not the recorded one\n",
           r->hash, ti->hash);
    if (r->n_decisions < ti->schedule_len)
        printf("the run made %zu decisions where the trace recorded %zu: the schedule no "
               "longer fits (the code under test or the scenario changed)\n",
               r->n_decisions, ti->schedule_len);
    return r->status == SC_ERROR ? CLI_BAD_INPUT : CLI_FAILED;
}

static bool readable(const char *path)
{
    return path[0] && access(path, R_OK) == 0;
}

/* The scenario of a trace replayed without FILE, whatever the working
 * directory: the absolute path the run recorded, else the recorded path
 * taken relative to the trace's directory, else relative to here. */
static int trace_scenario(const cli_opts *o, const sc_trace_info *ti, char *buf, size_t n)
{
    const char *given = ti->scenario, *slash = strrchr(o->trace, '/');
    char beside[2100] = "", tried[4400] = "";
    if (given[0] != '/' && slash)
        snprintf(beside, sizeof beside, "%.*s/%s", (int)(slash - o->trace), o->trace, given);
    const char *candidates[] = {ti->scenario_path, beside, given};
    for (size_t i = 0; i < 3; i++) {
        if (readable(candidates[i])) {
            snprintf(buf, n, "%s", candidates[i]);
            return 0;
        }
        bool again = false;
        for (size_t j = 0; j < i; j++)
            again |= strcmp(candidates[j], candidates[i]) == 0;
        size_t used = strlen(tried);
        if (candidates[i][0] && !again)
            snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", candidates[i]);
    }
    return cli_error(o, "%s: cannot find the trace's scenario '%s' (looked for %s); name it: "
                        "%s replay SCENARIO.yaml --trace %s",
                     o->trace, given, tried, o->prog, o->trace);
}

static int replay_trace(cli_opts *o)
{
    sc_trace_info ti;
    char err[1024] = "";
    memset(&ti, 0, sizeof ti);
    if (kr__sc_trace_read(o->trace, &ti, err, sizeof err) != 0) {
        kr__sc_trace_info_free(&ti);
        return cli_error(o, "%s", err[0] ? err : "cannot read the trace");
    }
    char found[2100];
    if (!o->file) {
        if (trace_scenario(o, &ti, found, sizeof found) != 0) {
            kr__sc_trace_info_free(&ti);
            return CLI_BAD_INPUT;
        }
        o->file = found;
    }
    scenario *s;
    int rc = cli_load(o, &s);
    if (rc) {
        kr__sc_trace_info_free(&ti);
        return rc;
    }
    sc_options so;
    cli_run_options(o, s, ti.seed, &so);
    so.strategy = o->strategy ? o->strategy : ti.strategy[0] ? ti.strategy : so.strategy;
    so.pct_depth = o->pct_depth ? o->pct_depth : ti.pct_depth ? ti.pct_depth : so.pct_depth;
    so.pct_steps = o->pct_steps ? o->pct_steps : ti.pct_steps ? ti.pct_steps : so.pct_steps;
    so.swarm = o->swarm || ti.swarm;
    so.schedule = ti.schedule;
    so.schedule_len = ti.schedule_len;
    so.log = stdout;
    trace_edits edits;
    memset(&edits, 0, sizeof edits);
    if ((rc = trace_edits_apply(o, s, &ti, &so, &edits)) != 0) {
        edits_free(&edits);
        kr__sc_free(s);
        kr__sc_trace_info_free(&ti);
        return rc;
    }
    char temp[1024] = "";
    if (o->report && !cli_temp_path(temp, sizeof temp))
        rc = cli_error(o, "--report: cannot create a temporary trace file");
    so.trace_path = temp[0] ? temp : NULL;
    if (rc == 0) {
        sc_result r;
        printf("replaying %s: %zu recorded decisions, seed %" PRIu64 "\n", o->trace,
               ti.schedule_len, ti.seed);
        char cmd[2048];
        cli_replay_trace_cmd(o, o->file, o->trace, cmd, sizeof cmd);
        cli_run_watch(s, ti.seed, so.strategy, cmd, temp); /* limits: wall, memory */
        cli_run_one(s, &so, &r);
        fflush(stdout);
        cli_print_result(stdout, &r, so.strategy, cmd);
        rc = report_trace_replay(&r, &ti);
        if (temp[0] && r.status != SC_ERROR)
            rc = cli_finish_report(o, &r, temp, true, rc, NULL, cmd);
        kr__sc_result_free(&r);
    }
    if (temp[0])
        remove(temp);
    edits_free(&edits);
    kr__sc_free(s);
    kr__sc_trace_info_free(&ti);
    return rc;
}

static int replay_seed(const cli_opts *o)
{
    scenario *s;
    int rc = cli_load(o, &s);
    if (rc)
        return rc;
    sc_options so;
    cli_run_options(o, s, o->seed, &so);
    so.log = stdout;
    char temp[1024] = "";
    if (o->report && !cli_temp_path(temp, sizeof temp)) {
        kr__sc_free(s);
        return cli_error(o, "--report: cannot create a temporary trace file");
    }
    so.trace_path = temp[0] ? temp : NULL;
    char cmd[2048];
    cli_replay_seed_cmd(o, s, so.seed, cmd, sizeof cmd);
    cli_run_watch(s, so.seed, so.strategy, cmd, temp); /* limits: wall, memory */
    sc_result r;
    cli_run_one(s, &so, &r);
    fflush(stdout);
    cli_print_result(stdout, &r, so.strategy, cmd);
    rc = cli_status_exit(r.status);
    if (temp[0] && r.status != SC_ERROR)
        rc = cli_finish_report(o, &r, temp, true, rc, cmd, NULL);
    else if (temp[0])
        remove(temp);
    kr__sc_result_free(&r);
    kr__sc_free(s);
    return rc;
}

int cli_cmd_replay(const cli_opts *o)
{
    cli_opts copy = *o;
    return o->trace ? replay_trace(&copy) : replay_seed(o);
}
