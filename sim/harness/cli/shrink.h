/* kairos shrink's shared state: a candidate run (a workload edit of the
 * scenario plus a schedule) and the shrinker that keeps the smallest one
 * failing with the original signature. shrink.c drives the passes and
 * reports, shrink_workload.c edits the workload, shrink_schedule.c the
 * decisions. */
#ifndef KAIROS_CLI_SHRINK_H
#define KAIROS_CLI_SHRINK_H

#include "cli.h"

/* A candidate's inputs and, once run, its result. Every edit is one the
 * trace header records (sc_options), so the best candidate replays alone. */
typedef struct shrink_run {
    bool *skip;          /* n_actions: scripted actions left out */
    kr_duration *at;     /* n_actions: their times */
    bool no_random;      /* every random fault left out */
    bool *skip_random;   /* n_random: planned random faults left out */
    kr_duration *random_at; /* n_random: their times */
    bool rates_scaled;
    int drop, duplicate; /* network rates, percent of the scenario's */
    sc_message_fault placed[4]; /* losses, copies, slow messages on given sends */
    size_t n_placed;
    int workload;        /* kr_sc_count's share in percent, 1..100 */
    sc_decision *schedule;
    uint64_t *schedule_ids; /* NULL, or each decision's entity (loose ones follow it) */
    size_t schedule_len;
    const char *strategy;
    sc_result r;
} shrink_run;

typedef struct shrinker {
    const cli_opts *o;
    const scenario *s;
    char signature[sizeof(((sc_result *)0)->signature)];
    long runs, budget;
    sc_planned *plan; /* the seed's planned random faults */
    size_t n_random;
    shrink_run best;
} shrinker;

/* A copy of `from`'s inputs (not its result); false when out of memory
 * (`to` is then freeable). */
bool shrink_copy(const shrinker *k, shrink_run *to, const shrink_run *from);
void shrink_free(shrink_run *c);
/* Runs the candidate; true when it fails with the signature we keep. */
bool shrink_attempt(shrinker *k, shrink_run *c);
/* When a candidate that failed the same way replaces the best run. */
typedef enum {
    KEEP_SMALLER,    /* fewer steps (or as many, fewer non-first choices) */
    KEEP_NOT_LARGER, /* no more steps: an earlier fault, a lower count */
    KEEP_IF_FAILS,   /* any length: less workload (an item or a rate gone) */
} shrink_keep_when;
/* Makes c the best run when it failed the same way and `when` allows;
 * frees it otherwise. True when kept. */
bool shrink_keep(shrinker *k, shrink_run *c, bool failed, shrink_keep_when when);
bool shrink_budget_left(const shrinker *k);
bool shrink_smaller(const sc_result *a, const sc_result *b);
/* Decisions that did not take the first choice. */
size_t shrink_choices(const sc_result *r);
bool shrink_is_fault(sc_action_kind kind);

/* shrink_workload.c: network rates, random faults and scripted actions
 * left out (ddmin), what is left moved earlier, counts lowered. */
void shrink_workload(shrinker *k);
/* shrink_schedule.c: the decisions (shortest prefix, ddmin, zeroes). */
void shrink_schedule(shrinker *k);

#endif
