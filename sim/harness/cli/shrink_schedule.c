/* kairos shrink's schedule passes, on the workload the workload passes
 * left: the failing run's decisions made fewer and simpler.
 *
 * 1. The shortest prefix of the decisions that, followed by the fifo
 *    strategy, still fails the same way (binary search).
 * 2. Decisions deleted, ddmin style (halves, quarters, ... single ones):
 *    the rest are followed loosely (each its choice modulo however many
 *    options the run then has, kr_sim_schedule's {0, c} pairs), then fifo.
 *    This is what cuts a random walk's detours: a deleted decision is a
 *    step the run no longer takes.
 * 3. Single decisions set to the first choice, the rest followed loosely.
 * A candidate is kept only when it is smaller (shrink_keep). */
#include "shrink.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ZERO_TRIES 200
#define SLIDE_MAX 3
#define LONG_WINDOW_MAX 32

/* A candidate following `decisions` (n of them; loose ones, following
 * the entities `ids` names, when `ids`), then fifo. */
static bool schedule_candidate(shrinker *k, shrink_run *c, const sc_decision *decisions,
                               const uint64_t *ids, size_t n)
{
    if (!shrink_copy(k, c, &k->best))
        return false;
    free(c->schedule);
    free(c->schedule_ids);
    c->schedule = NULL;
    c->schedule_ids = NULL;
    c->schedule_len = 0;
    if (n) {
        c->schedule = malloc(n * sizeof *c->schedule);
        c->schedule_ids = ids ? malloc(n * sizeof *c->schedule_ids) : NULL;
        if (!c->schedule || (ids && !c->schedule_ids))
            return false;
        for (size_t i = 0; i < n; i++)
            c->schedule[i] = (sc_decision){ids ? 0 : decisions[i].options, decisions[i].chosen};
        if (ids)
            memcpy(c->schedule_ids, ids, n * sizeof *ids);
    }
    c->schedule_len = n;
    c->strategy = "fifo";
    return true;
}

/* ---- 1. shortest prefix -------------------------------------------------------- */

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
    while (shrink_budget_left(k) &&
           (lo_fails_not == SIZE_MAX ? hi > 0 : hi - lo_fails_not > 1)) {
        size_t mid = lo_fails_not == SIZE_MAX ? 0 : lo_fails_not + (hi - lo_fails_not) / 2;
        shrink_run c;
        if (!schedule_candidate(k, &c, d, NULL, mid)) {
            shrink_free(&c);
            break;
        }
        if (shrink_attempt(k, &c)) {
            hi = mid;
            shrink_free(&found);
            found = c;
        } else {
            lo_fails_not = mid;
            shrink_free(&c);
        }
    }
    if (found.skip && shrink_keep(k, &found, true, KEEP_SMALLER))
        printf("  schedule: the first %zu of %zu decisions, then fifo\n", hi, n);
    shrink_free(&found);
    free(d);
}

/* ---- 2. decisions deleted (ddmin) --------------------------------------------------- */

/* The best run's decisions without [from, from + len), followed loosely. */
static bool delete_decisions(shrinker *k, size_t from, size_t len)
{
    const sc_result *b = &k->best.r;
    size_t n = b->n_decisions ? b->n_decisions : 1;
    sc_decision *d = malloc(n * sizeof *d);
    uint64_t *ids = malloc(n * sizeof *ids);
    if (!d || !ids) {
        free(d);
        free(ids);
        return false;
    }
    memcpy(d, b->decisions, from * sizeof *d);
    memcpy(d + from, b->decisions + from + len, (b->n_decisions - from - len) * sizeof *d);
    memcpy(ids, b->decision_ids, from * sizeof *ids);
    memcpy(ids + from, b->decision_ids + from + len, (b->n_decisions - from - len) * sizeof *ids);
    shrink_run c;
    bool ok = schedule_candidate(k, &c, d, ids, b->n_decisions - len);
    free(d);
    free(ids);
    if (!ok) {
        shrink_free(&c);
        return false;
    }
    return shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_SMALLER);
}

/* Chunks of half the decisions, then quarters, ... then single ones until
 * none can go. A kept deletion replaces the best run, whose own (shorter)
 * decisions the next candidates edit. */
static void delete_decisions_ddmin(shrinker *k)
{
    size_t steps_before = (size_t)k->best.r.steps, deleted = 0;
    size_t chunk = k->best.r.n_decisions > 1 ? k->best.r.n_decisions / 2 : 1;
    while (k->best.r.n_decisions > 0 && shrink_budget_left(k)) {
        bool removed = false;
        for (size_t from = 0; from < k->best.r.n_decisions && shrink_budget_left(k);) {
            size_t n = k->best.r.n_decisions;
            size_t len = from + chunk <= n ? chunk : n - from;
            if (delete_decisions(k, from, len)) {
                deleted += len;
                removed = true;
            } else {
                from += len;
            }
        }
        if (chunk > 1)
            chunk /= 2;
        else if (!removed)
            break;
    }
    /* Small windows at every offset, not only ddmin's aligned chunks: a
     * detour often takes two or three decisions (an event and the delivery
     * it caused) that straddle a chunk boundary. */
    for (bool removed = true; removed && shrink_budget_left(k);) {
        removed = false;
        for (size_t len = 2; len <= SLIDE_MAX; len++)
            for (size_t from = 0; from + len <= k->best.r.n_decisions && shrink_budget_left(k);
                 from++)
                if (delete_decisions(k, from, len)) {
                    deleted += len;
                    removed = true;
                }
    }
    /* Longer windows at half-overlapping offsets: a whole stretch of one
     * entity's events (a run that leads nowhere) is seldom aligned. */
    for (size_t len = 4; len <= LONG_WINDOW_MAX && shrink_budget_left(k); len *= 2)
        for (size_t from = 0; from + len <= k->best.r.n_decisions && shrink_budget_left(k);
             from += len / 2)
            if (delete_decisions(k, from, len))
                deleted += len;
    if (deleted)
        printf("  schedule: %zu decisions deleted (%zu -> %zu steps)\n", deleted, steps_before,
               (size_t)k->best.r.steps);
}

/* ---- 3. first choices ----------------------------------------------------------------- */

/* Decision by decision, choice 0 instead of the recorded choice. */
static void zero_choices(shrinker *k)
{
    size_t zeroed = 0;
    for (size_t i = 0, tries = 0; tries < MAX_ZERO_TRIES && shrink_budget_left(k); i++) {
        if (i >= k->best.r.n_decisions)
            break;
        const sc_decision *d = &k->best.r.decisions[i];
        if (d->options <= 1 || d->chosen == 0)
            continue;
        tries++;
        shrink_run c;
        if (!schedule_candidate(k, &c, k->best.r.decisions, k->best.r.decision_ids,
                                k->best.r.n_decisions)) {
            shrink_free(&c);
            break;
        }
        c.schedule[i].chosen = 0;
        c.schedule_ids[i] = 0; /* the first option, whatever it is */
        if (shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_SMALLER))
            zeroed++;
    }
    if (zeroed)
        printf("  schedule: %zu decision%s set to the first choice\n", zeroed,
               zeroed == 1 ? "" : "s");
}

void shrink_schedule(shrinker *k)
{
    shortest_prefix(k);
    /* Each pass opens chances for the other: again while the run shrinks. */
    for (uint64_t steps = UINT64_MAX; k->best.r.steps < steps && shrink_budget_left(k);) {
        steps = k->best.r.steps;
        delete_decisions_ddmin(k);
        zero_choices(k);
    }
}
