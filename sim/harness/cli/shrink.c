/* kairos shrink: a smaller run that fails with the same signature.
 *
 * 1. Actions: leave out random faults, then each scripted action (faults
 *    and stimuli alike: partition, crash, post, dispatch, http, ...) in
 *    turn, keeping every removal after which the seed still fails the same
 *    way; repeated until nothing more can go.
 * 2. Schedule: the failing run's decisions; a binary search for the shortest
 *    prefix that, followed by the fifo strategy, still fails the same way;
 *    then single decisions replaced by choice 0 (the prefix up to it, then
 *    fifo), a bounded number of times.
 * Every candidate is a full run. The smallest failing run is written as a
 * trace that `kairos replay --trace` follows. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_BUDGET 500
#define MAX_ZERO_TRIES 200

/* A candidate's inputs and, once run, its result. */
typedef struct shrink_run {
    bool *skip;     /* n_actions long */
    bool no_random; /* random faults left out */
    sc_decision *schedule;
    size_t schedule_len;
    const char *strategy;
    int workload; /* kr_sc_count's share in percent, 1..100 */
    sc_result r;
} shrink_run;

typedef struct shrinker {
    const cli_opts *o;
    const scenario *s;
    char signature[sizeof(((sc_result *)0)->signature)];
    long runs, budget;
    shrink_run best;
} shrinker;

static bool is_fault(sc_action_kind k)
{
    return k == SC_PARTITION || k == SC_HEAL || k == SC_CRASH || k == SC_RESTART || k == SC_CLOG;
}

/* Decisions that did not take the first choice. */
static size_t choices(const sc_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_decisions; i++)
        n += r->decisions[i].chosen != 0;
    return n;
}

static size_t scripted_faults(const shrinker *k, const bool *skip)
{
    size_t n = 0;
    for (size_t i = 0; i < k->s->n_actions; i++)
        n += is_fault(k->s->actions[i].kind) && !(skip && skip[i]);
    return n;
}

static void run_free(shrink_run *c)
{
    free(c->skip);
    free(c->schedule);
    kr__sc_result_free(&c->r);
    memset(c, 0, sizeof *c);
}

/* A copy of `from`'s inputs (not its result). */
static bool run_copy(shrink_run *to, const shrink_run *from, size_t n_actions)
{
    memset(to, 0, sizeof *to);
    to->no_random = from->no_random;
    to->workload = from->workload;
    to->strategy = from->strategy;
    to->skip = calloc(n_actions ? n_actions : 1, sizeof *to->skip);
    if (!to->skip)
        return false;
    if (from->skip)
        memcpy(to->skip, from->skip, n_actions * sizeof *to->skip);
    if (from->schedule_len) {
        to->schedule = malloc(from->schedule_len * sizeof *to->schedule);
        if (!to->schedule)
            return false;
        memcpy(to->schedule, from->schedule, from->schedule_len * sizeof *to->schedule);
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
    so->workload_percent = c->workload;
    so->no_random_faults = c->no_random;
    so->schedule = c->schedule;
    so->schedule_len = c->schedule_len;
    so->trace_path = trace;
}

/* Runs the candidate; true when it fails with the signature we keep. */
static bool attempt(shrinker *k, shrink_run *c)
{
    sc_options so;
    options_of(k, c, &so, NULL);
    kr__sc_result_free(&c->r);
    cli_run_one(k->s, &so, &c->r);
    k->runs++;
    bool same = c->r.status == SC_FAIL && strcmp(c->r.signature, k->signature) == 0;
    if (k->o->verbose)
        printf("  candidate %ld: schedule %zu, strategy %s, no_random %d: %s, %" PRIu64
                        " steps (%s)\n",
                k->runs, c->schedule_len, c->strategy, c->no_random, same ? "fails" : "no",
                c->r.steps, c->r.failure);
    return same;
}

static bool smaller(const sc_result *a, const sc_result *b)
{
    if (a->steps != b->steps)
        return a->steps < b->steps;
    return choices(a) < choices(b);
}

/* Keeps c as the best run when it failed the same way and is no larger
 * (faults only ever go, so fewer faults with as many steps still wins). */
static bool keep_if_better(shrinker *k, shrink_run *c, bool failed, bool fewer_faults)
{
    if (!failed || (!fewer_faults && !smaller(&c->r, &k->best.r))) {
        run_free(c);
        return false;
    }
    run_free(&k->best);
    k->best = *c;
    memset(c, 0, sizeof *c);
    return true;
}

static bool budget_left(const shrinker *k)
{
    return k->runs < k->budget;
}

/* ---- 0. workload ------------------------------------------------------------- */

/* Lowers every kr_sc_count (requests, records, ...) to the smallest share
 * of its written value under which the seed still fails the same way:
 * halving, then stepping back up in tenths of the gap. */
static void lower_workload(shrinker *k)
{
    int lo = 0, hi = 100; /* fails at hi; unknown below */
    static const int tries[] = {50, 25, 12, 6, 3, 1};
    for (size_t i = 0; i < sizeof tries / sizeof *tries && budget_left(k); i++) {
        shrink_run c;
        if (k->best.schedule_len || !run_copy(&c, &k->best, k->s->n_actions))
            return;
        c.workload = tries[i];
        if (keep_if_better(k, &c, attempt(k, &c), false)) {
            hi = tries[i];
            printf("  workload counts (kr_sc_count) at %d%%\n", hi);
        } else {
            lo = tries[i];
            break;
        }
    }
    for (int share = lo + 1; share < hi && budget_left(k); share += (hi - lo + 9) / 10) {
        shrink_run c;
        if (!run_copy(&c, &k->best, k->s->n_actions))
            return;
        c.workload = share;
        if (keep_if_better(k, &c, attempt(k, &c), false)) {
            printf("  workload counts (kr_sc_count) at %d%%\n", share);
            break;
        }
    }
}

/* ---- 1. faults ---------------------------------------------------------------- */

static void drop_faults(shrinker *k)
{
    shrink_run c;
    if (k->s->random_faults.enabled && !k->best.no_random && budget_left(k) &&
        run_copy(&c, &k->best, k->s->n_actions)) {
        c.no_random = true;
        if (keep_if_better(k, &c, attempt(k, &c), true))
            printf("  left out the random faults\n");
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < k->s->n_actions && budget_left(k); i++) {
            const sc_action *a = &k->s->actions[i];
            if (k->best.skip[i] || !run_copy(&c, &k->best, k->s->n_actions))
                continue;
            c.skip[i] = true;
            if (keep_if_better(k, &c, attempt(k, &c), true)) {
                char t[32];
                printf("  left out action #%zu (line %d, at %s)\n", i, a->pos.line,
                       cli_fmt_time(a->at, t, sizeof t));
                changed = true;
            }
        }
    }
}

/* ---- 2. schedule --------------------------------------------------------------- */

/* A candidate following the first `len` decisions of `decisions` then fifo;
 * decision `zero` (if < len) set to choice 0. */
static bool prefix_candidate(shrinker *k, shrink_run *c, const sc_decision *decisions,
                             size_t len, size_t zero)
{
    if (!run_copy(c, &k->best, k->s->n_actions))
        return false;
    free(c->schedule);
    c->schedule = NULL;
    c->schedule_len = 0;
    if (len) {
        c->schedule = malloc(len * sizeof *c->schedule);
        if (!c->schedule)
            return false;
        memcpy(c->schedule, decisions, len * sizeof *c->schedule);
        if (zero < len)
            c->schedule[zero].chosen = 0;
    }
    c->schedule_len = len;
    c->strategy = "fifo";
    return true;
}

/* Binary search for the shortest failing prefix; the full schedule (hi)
 * is the failing run itself. */
static void shortest_prefix(shrinker *k)
{
    size_t n = k->best.r.n_decisions;
    sc_decision *d = malloc((n ? n : 1) * sizeof *d);
    if (!d)
        return;
    memcpy(d, k->best.r.decisions, n * sizeof *d);
    size_t hi = n, lo_fails_not = SIZE_MAX; /* lo: largest known non-failing */
    shrink_run found;
    memset(&found, 0, sizeof found);
    while (budget_left(k) && (lo_fails_not == SIZE_MAX ? hi > 0 : hi - lo_fails_not > 1)) {
        size_t mid = lo_fails_not == SIZE_MAX ? 0 : lo_fails_not + (hi - lo_fails_not) / 2;
        shrink_run c;
        if (!prefix_candidate(k, &c, d, mid, SIZE_MAX)) {
            run_free(&c);
            break;
        }
        if (attempt(k, &c)) {
            hi = mid;
            run_free(&found);
            found = c;
        } else {
            lo_fails_not = mid;
            run_free(&c);
        }
    }
    if (found.skip && keep_if_better(k, &found, true, false))
        printf("  schedule: the first %zu of %zu decisions, then fifo\n", hi, n);
    run_free(&found);
    free(d);
}

/* Decision by decision, choice 0 instead of the recorded choice. */
static void zero_choices(shrinker *k)
{
    size_t zeroed = 0;
    for (size_t i = 0, tries = 0; tries < MAX_ZERO_TRIES && budget_left(k); i++) {
        if (i >= k->best.r.n_decisions)
            break;
        const sc_decision *d = &k->best.r.decisions[i];
        if (d->options <= 1 || d->chosen == 0)
            continue;
        tries++;
        shrink_run c;
        if (!prefix_candidate(k, &c, k->best.r.decisions, i + 1, i)) {
            run_free(&c);
            break;
        }
        if (keep_if_better(k, &c, attempt(k, &c), false))
            zeroed++;
    }
    if (zeroed)
        printf("  schedule: %zu decision%s set to the first choice\n", zeroed,
               zeroed == 1 ? "" : "s");
}

/* ---- reporting ------------------------------------------------------------------ */

/* Faults that happened in a trace: its partition/heal/crash/restart/clog
 * events. */
static long count_trace_faults(const char *path)
{
    static const char *const kinds[] = {"partition", "heal", "crash", "restart", "clog"};
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1; /* written to a device or FIFO: nothing to read back */
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "\"kind\":");
        if (!p || !strstr(line, "\"type\":\"event\""))
            continue;
        p += 7;
        while (*p == ' ')
            p++;
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            size_t len = strlen(kinds[i]);
            if (p[0] == '"' && strncmp(p + 1, kinds[i], len) == 0 && p[1 + len] == '"')
                n++;
        }
    }
    fclose(f);
    return n;
}

/* Runs c again writing a trace to `path`; its fault events, or -1. */
static long traced_faults(shrinker *k, const shrink_run *c, const char *path, sc_result *r)
{
    sc_options so;
    options_of(k, c, &so, path);
    cli_run_one(k->s, &so, r);
    return r->status == SC_ERROR ? -1 : count_trace_faults(path);
}

/* What before/after report. */
typedef struct run_size {
    uint64_t steps;
    kr_duration time;
    long faults; /* fault events in the trace */
    size_t scripted, decisions, choices;
    const char *random; /* "none", "on", "off" */
} run_size;

static run_size size_of(const shrinker *k, const shrink_run *c, long faults)
{
    return (run_size){c->r.steps, c->r.time, faults, scripted_faults(k, c->skip),
                      c->r.n_decisions, choices(&c->r),
                      !k->s->random_faults.enabled ? "none" : c->no_random ? "off" : "on"};
}

static void describe(const char *label, const run_size *z)
{
    char t[32];
    printf("%s %" PRIu64 " steps, virtual time %s, %ld fault event%s (%zu scripted fault "
           "action%s, random faults %s), %zu decisions (%zu not the first choice)\n",
           label, z->steps, cli_fmt_time(z->time, t, sizeof t), z->faults,
           z->faults == 1 ? "" : "s", z->scripted, z->scripted == 1 ? "" : "s", z->random,
           z->decisions, z->choices);
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
static int original(shrinker *k, long *faults)
{
    char temp[1024];
    k->best.strategy = cli_strategy(k->o, k->s);
    k->best.workload = 100;
    k->best.skip = calloc(k->s->n_actions ? k->s->n_actions : 1, sizeof *k->best.skip);
    if (!k->best.skip || !cli_temp_path(temp, sizeof temp))
        return cli_error(k->o, "cannot prepare the runs (memory or temporary file)");
    *faults = traced_faults(k, &k->best, temp, &k->best.r);
    remove(temp);
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
    long faults = traced_faults(k, &k->best, out, &final);
    bool same = final.status == SC_FAIL && strcmp(final.signature, k->signature) == 0 &&
                final.hash == k->best.r.hash;
    char trace_error[sizeof final.trace_error];
    memcpy(trace_error, final.trace_error, sizeof trace_error);
    kr__sc_result_free(&final);
    run_size after = size_of(k, &k->best, faults);
    describe("before:", before);
    describe("after: ", &after);
    if (after.steps == before->steps && after.choices == before->choices &&
        after.faults == before->faults && after.scripted == before->scripted)
        printf("no smaller failing run found: the trace is the original run\n");
    printf("candidate runs: %ld%s\n", k->runs, budget_left(k) ? "" : " (budget used up)");
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
    long before_faults = 0;
    rc = original(&k, &before_faults);
    if (rc < 0) {
        run_size before = size_of(&k, &k.best, before_faults);
        printf("shrinking (signature: %s)\n", k.signature);
        lower_workload(&k);
        drop_faults(&k);
        shortest_prefix(&k);
        zero_choices(&k);
        rc = write_result(&k, &before);
    }
    run_free(&k.best);
    kr__sc_free(s);
    return rc;
}
