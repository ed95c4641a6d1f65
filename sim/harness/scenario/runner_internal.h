/* What the runner's files share: a timed action, and the planner of the
 * seeded random faults (random_faults.c). */
#ifndef KAIROS_RUNNER_INTERNAL_H
#define KAIROS_RUNNER_INTERNAL_H

#include "scenario_internal.h"

/* A timed action instance: scripted (index into s->actions) or random.
 * Scripted actions at the same virtual time share one timer, fired by the
 * first of them (`batch` > 0: it and the next batch-1 entries), so they run
 * in file order (scenarios/FORMAT.md) rather than in an order the seed picks
 * among timers due together. */
typedef struct timed {
    sc_action action;
    bool owns_sides; /* random partitions own their side arrays */
    size_t batch;    /* entries this one's timer performs; 0: none (batched) */
} timed;

/* Random faults: drawn up front from the seed's own stream (`rng`), so the
 * fault plan of a seed does not depend on how its run unfolds. At most
 * `max` entries are written to `out`; returns how many. */
size_t kr__sc_plan_random_faults(const sc_random_faults *f, size_t n_nodes, timed *out, size_t max,
                                 kr_sim_random *rng);

/* timeline.c: the run's timed actions into `out` (room for n_actions +
 * KR__SC_RANDOM_FAULTS_MAX): the scripted ones, then (when `f` is given)
 * the seed's random faults under `f`, with the options' shrink edits.
 * Returns how many, or SIZE_MAX when out of memory. */
#define KR__SC_RANDOM_FAULTS_MAX 2048
size_t kr__sc_timeline(const scenario *s, const sc_options *o, const sc_random_faults *f,
                       timed *out);
/* Frees what an entry owns (a random partition's sides). */
void kr__sc_timed_free(timed *t);

#endif
