/* kairos shrink: a smaller run that fails with the same signature.
 *
 * First the workload (shrink_workload.c): network drop/duplicate rates
 * lowered, scripted actions and the seed's planned random faults left out
 * (ddmin), workload counts (kr_sc_count) lowered, what is left moved
 * earlier in virtual time. Then the schedule (shrink_schedule.c): the
 * shortest failing prefix of the decisions, decisions deleted (ddmin),
 * single decisions set to the first choice. A change is kept only when the
 * seed still fails with the original signature. Every candidate is a full
 * run; the smallest failing one is written as a trace whose header records
 * the workload edits, so `kairos replay --trace` runs it by itself. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "shrink.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 2000

bool shrink_is_fault(sc_action_kind k)
{
    return k != SC_POST && k != SC_DISPATCH && k != SC_HTTP;
}

size_t shrink_choices(const sc_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_decisions; i++)
        n += r->decisions[i].chosen != 0;
    return n;
}

void shrink_free(shrink_run *c)
{
    free(c->skip);
    free(c->at);
    free(c->skip_random);
    free(c->random_at);
    free(c->schedule);
    free(c->schedule_ids);
    kr__sc_result_free(&c->r);
    memset(c, 0, sizeof *c);
}

static void *dup_array(const void *from, size_t n, size_t size)
{
    void *to = calloc(n ? n : 1, size);
    if (to && from && n)
        memcpy(to, from, n * size);
    return to;
}

bool shrink_copy(const shrinker *k, shrink_run *to, const shrink_run *from)
{
    size_t na = k->s->n_actions, nr = k->n_random;
    memset(to, 0, sizeof *to);
    to->no_random = from->no_random;
    to->rates_scaled = from->rates_scaled;
    to->drop = from->drop;
    to->duplicate = from->duplicate;
    memcpy(to->placed, from->placed, sizeof to->placed);
    to->n_placed = from->n_placed;
    to->workload = from->workload;
    to->strategy = from->strategy;
    to->skip = dup_array(from->skip, na, sizeof *to->skip);
    to->at = dup_array(from->at, na, sizeof *to->at);
    to->skip_random = dup_array(from->skip_random, nr, sizeof *to->skip_random);
    to->random_at = dup_array(from->random_at, nr, sizeof *to->random_at);
    if (!to->skip || !to->at || !to->skip_random || !to->random_at)
        return false;
    if (from->schedule_len) {
        to->schedule = dup_array(from->schedule, from->schedule_len, sizeof *to->schedule);
        if (!to->schedule)
            return false;
        if (from->schedule_ids &&
            !(to->schedule_ids = dup_array(from->schedule_ids, from->schedule_len,
                                           sizeof *to->schedule_ids)))
            return false;
        to->schedule_len = from->schedule_len;
    }
    return true;
}

static void options_of(const shrinker *k, const shrink_run *c, sc_options *so,
                       const char *trace)
{
    cli_run_options(k->o, k->s, k->o->seed, so);
    so->strategy = c->strategy;
    so->skip_actions = c->skip;
    so->action_at = c->at;
    so->no_random_faults = c->no_random;
    so->skip_random = c->skip_random;
    so->random_at = c->random_at;
    so->n_random = k->n_random;
    so->rates_scaled = c->rates_scaled;
    so->drop_percent = c->drop;
    so->duplicate_percent = c->duplicate;
    so->message_faults = c->placed;
    so->n_message_faults = c->n_placed;
    so->workload_percent = c->workload;
    so->schedule = c->schedule;
    so->schedule_ids = c->schedule_ids;
    so->record_ids = true; /* the decision passes follow entities */
    so->schedule_len = c->schedule_len;
    so->trace_path = trace;
}

bool shrink_attempt(shrinker *k, shrink_run *c)
{
    sc_options so;
    options_of(k, c, &so, NULL);
    kr__sc_result_free(&c->r);
    cli_run_one(k->s, &so, &c->r);
    k->runs++;
    bool same = c->r.status == SC_FAIL && strcmp(c->r.signature, k->signature) == 0;
    if (k->o->verbose)
        printf("  candidate %ld: schedule %zu, strategy %s: %s, %" PRIu64 " steps (%s)\n",
               k->runs, c->schedule_len, c->strategy, same ? "fails" : "no", c->r.steps,
               c->r.failure);
    return same;
}

bool shrink_smaller(const sc_result *a, const sc_result *b)
{
    if (a->steps != b->steps)
        return a->steps < b->steps;
    return shrink_choices(a) < shrink_choices(b);
}

bool shrink_keep(shrinker *k, shrink_run *c, bool failed, shrink_keep_when when)
{
    bool keep = failed && (when == KEEP_IF_FAILS ||
                           (when == KEEP_NOT_LARGER && c->r.steps <= k->best.r.steps) ||
                           shrink_smaller(&c->r, &k->best.r));
    if (!keep) {
        shrink_free(c);
        return false;
    }
    shrink_free(&k->best);
    k->best = *c;
    memset(c, 0, sizeof *c);
    return true;
}

bool shrink_budget_left(const shrinker *k)
{
    return k->runs < k->budget;
}

/* ---- reporting ------------------------------------------------------------------ */

/* The simulator's fault events in a run (crashes, restarts, partitions,
 * clogs, power-offs, lost writes, ...). */
static long fault_events(const sc_result *r)
{
    long n = 0;
    for (size_t i = 0; i < SC_FAULT_KINDS; i++)
        n += (long)r->faults[i];
    return n;
}

/* What before/after report. */
typedef struct run_size {
    uint64_t steps;
    kr_duration time;
    long faults; /* fault events in the run */
    size_t actions, scripted_faults; /* scripted actions run; faults among them */
    size_t random;                   /* planned random faults run */
    int workload, drop, duplicate;   /* percent of the scenario's */
    size_t placed;                   /* network faults placed on given sends */
    size_t decisions, choices;
} run_size;

static run_size size_of(const shrinker *k, const shrink_run *c)
{
    run_size z = {c->r.steps, c->r.time, fault_events(&c->r), 0, 0, 0, c->workload,
                  c->rates_scaled ? c->drop : 100, c->rates_scaled ? c->duplicate : 100,
                  c->n_placed, c->r.n_decisions, shrink_choices(&c->r)};
    for (size_t i = 0; i < k->s->n_actions; i++) {
        z.actions += !c->skip[i];
        z.scripted_faults += !c->skip[i] && shrink_is_fault(k->s->actions[i].kind);
    }
    for (size_t i = 0; i < k->n_random && !c->no_random; i++)
        z.random += !c->skip_random[i];
    return z;
}

static void describe(const shrinker *k, const char *label, const run_size *z)
{
    char t[32];
    printf("%s %" PRIu64 " steps, virtual time %s, %zu decisions (%zu not the first choice)\n",
           label, z->steps, cli_fmt_time(z->time, t, sizeof t), z->decisions, z->choices);
    printf("        workload: %zu of %zu script actions (%zu fault%s), %zu of %zu random faults, "
           "counts %d%%, drop rate %d%%, duplicate rate %d%%, %zu placed message fault%s; "
           "%ld fault event%s\n",
           z->actions, k->s->n_actions, z->scripted_faults, z->scripted_faults == 1 ? "" : "s",
           z->random, k->n_random, z->workload, z->drop, z->duplicate, z->placed,
           z->placed == 1 ? "" : "s", z->faults, z->faults == 1 ? "" : "s");
}

static void default_out(const cli_opts *o, const scenario *s, char *buf, size_t n)
{
    const char *base = strrchr(o->file, '/');
    base = base ? base + 1 : o->file;
    char name[512];
    snprintf(name, sizeof name, "%s", s->name && s->name[0] ? s->name : base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name && !(s->name && s->name[0]))
        *dot = '\0';
    snprintf(buf, n, "%s.seed%" PRIu64 ".shrunk.jsonl", name, o->seed);
}

/* The original run; CLI_OK to go on, else the exit status. */
static int original(shrinker *k)
{
    k->best.strategy = cli_strategy(k->o, k->s);
    k->best.workload = 100;
    k->best.drop = k->best.duplicate = 100;
    sc_options so;
    options_of(k, &k->best, &so, NULL);
    k->n_random = kr__sc_random_plan(k->s, &so, NULL, 0);
    size_t na = k->s->n_actions ? k->s->n_actions : 1, nr = k->n_random ? k->n_random : 1;
    k->plan = calloc(nr, sizeof *k->plan);
    k->best.skip = calloc(na, sizeof *k->best.skip);
    k->best.at = calloc(na, sizeof *k->best.at);
    k->best.skip_random = calloc(nr, sizeof *k->best.skip_random);
    k->best.random_at = calloc(nr, sizeof *k->best.random_at);
    if (!k->plan || !k->best.skip || !k->best.at || !k->best.skip_random || !k->best.random_at)
        return cli_error(k->o, "cannot prepare the runs (out of memory)");
    kr__sc_random_plan(k->s, &so, k->plan, k->n_random);
    for (size_t i = 0; i < k->s->n_actions; i++)
        k->best.at[i] = k->s->actions[i].at;
    for (size_t i = 0; i < k->n_random; i++)
        k->best.random_at[i] = k->plan[i].at;
    options_of(k, &k->best, &so, NULL);
    cli_run_one(k->s, &so, &k->best.r);
    k->runs++;
    sc_result *r = &k->best.r;
    char cmd[2048];
    cli_replay_seed_cmd(k->o, k->s, k->o->seed, cmd, sizeof cmd);
    cli_print_result(stdout, r, k->best.strategy, cmd);
    if (r->status == SC_ERROR)
        return CLI_BAD_INPUT;
    if (r->status == SC_PASS) {
        printf("seed %" PRIu64 " passes: nothing to shrink\n", k->o->seed);
        return CLI_OK;
    }
    snprintf(k->signature, sizeof k->signature, "%s", r->signature);
    return -1;
}

/* Writes the best run as the shrunk trace and checks it fails the same. */
static int write_result(shrinker *k, const run_size *before)
{
    char out[4096], cmd[4096];
    if (k->o->out)
        snprintf(out, sizeof out, "%s", k->o->out);
    else
        default_out(k->o, k->s, out, sizeof out);
    sc_result final;
    sc_options so;
    options_of(k, &k->best, &so, out);
    cli_run_one(k->s, &so, &final);
    bool same = final.status == SC_FAIL && strcmp(final.signature, k->signature) == 0 &&
                final.hash == k->best.r.hash;
    char trace_error[sizeof final.trace_error];
    memcpy(trace_error, final.trace_error, sizeof trace_error);
    kr__sc_result_free(&final);
    run_size after = size_of(k, &k->best);
    describe(k, "before:", before);
    describe(k, "after: ", &after);
    if (after.steps == before->steps && after.choices == before->choices &&
        after.faults == before->faults && after.actions == before->actions &&
        after.random == before->random && after.workload == before->workload &&
        after.drop == before->drop && after.duplicate == before->duplicate &&
        after.placed == before->placed)
        printf("no smaller failing run found: the trace is the original run\n");
    printf("candidate runs: %ld%s\n", k->runs, shrink_budget_left(k) ? "" : " (budget used up)");
    if (trace_error[0])
        return cli_error(k->o, "%s", trace_error);
    if (!same)
        return cli_error(k->o, "the shrunk run did not reproduce when written to %s", out);
    cli_replay_trace_cmd(k->o, k->o->file, out, cmd, sizeof cmd);
    printf("shrunk trace: %s (fails with: %s)\n", out, k->signature);
    printf("replay: %s\n", cmd);
    return CLI_FAILED;
}

int cli_shrink(const cli_opts *o)
{
    scenario *s;
    int rc = cli_load(o, &s);
    if (rc)
        return rc;
    shrinker k;
    memset(&k, 0, sizeof k);
    k.o = o;
    k.s = s;
    k.budget = o->budget > 0 ? o->budget : DEFAULT_BUDGET;
    rc = original(&k);
    if (rc < 0) {
        run_size before = size_of(&k, &k.best);
        printf("shrinking (signature: %s)\n", k.signature);
        shrink_workload(&k);
        shrink_schedule(&k);
        rc = write_result(&k, &before);
    }
    shrink_free(&k.best);
    free(k.plan);
    kr__sc_free(s);
    return rc;
}
