/* A run's timeline: its scripted actions and the seed's planned random
 * faults, each a timed action, with kairos shrink's edits applied (actions
 * and planned faults left out or moved earlier: sc_options). The runner
 * turns every entry into a timer. */
#include "runner_internal.h"

#include <stdlib.h>

/* A scripted action and the time it runs at (shrink may have moved it). */
typedef struct ordered {
    kr_duration at;
    size_t index;
} ordered;

/* By time, file order among equal times (scenarios/FORMAT.md). */
static int by_time(const void *a, const void *b)
{
    const ordered *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Scripted actions at the same virtual time share one timer (`batch`). */
static size_t scripted(const scenario *s, const sc_options *o, timed *out)
{
    ordered *order = malloc((s->n_actions ? s->n_actions : 1) * sizeof *order);
    if (!order)
        return SIZE_MAX;
    size_t n_order = 0;
    for (size_t i = 0; i < s->n_actions; i++)
        if (!(o->skip_actions && o->skip_actions[i]))
            order[n_order++] = (ordered){o->action_at ? o->action_at[i] : s->actions[i].at, i};
    if (o->action_at) /* s->actions is sorted by time already */
        qsort(order, n_order, sizeof *order, by_time);
    size_t n = 0, batch_head = 0;
    for (size_t k = 0; k < n_order; k++) {
        sc_action a = s->actions[order[k].index];
        a.at = order[k].at;
        if (n > 0 && out[batch_head].action.at == a.at) {
            out[batch_head].batch++;
            out[n++] = (timed){a, false, 0};
        } else {
            batch_head = n;
            out[n++] = (timed){a, false, 1};
        }
    }
    free(order);
    return n;
}

/* The seed's random faults, drawn from their own stream, so that leaving
 * some out or moving them does not change the others. */
static size_t plan(const scenario *s, const sc_random_faults *f, uint64_t seed, timed *out)
{
    kr_sim_random rng;
    kr_sim_random_seed(&rng, seed, 0x52616e64466c74ull); /* "RandFlt" */
    return kr__sc_plan_random_faults(f, s->n_nodes, out, KR__SC_RANDOM_FAULTS_MAX, &rng);
}

void kr__sc_timed_free(timed *t)
{
    if (t->owns_sides) {
        free(t->action.side_a);
        free(t->action.side_b);
        t->owns_sides = false;
    }
}

/* The planned random faults with shrink's edits. */
static size_t planned_faults(const scenario *s, const sc_options *o, const sc_random_faults *f,
                             timed *out)
{
    size_t planned = plan(s, f, o->seed, out), n = 0;
    for (size_t i = 0; i < planned; i++) {
        bool edited = i < o->n_random;
        if (edited && o->skip_random && o->skip_random[i]) {
            kr__sc_timed_free(&out[i]);
            continue;
        }
        out[n] = out[i];
        if (edited && o->random_at)
            out[n].action.at = o->random_at[i];
        n++;
    }
    return n;
}

size_t kr__sc_timeline(const scenario *s, const sc_options *o, const sc_random_faults *f,
                       timed *out)
{
    size_t n = scripted(s, o, out);
    if (n != SIZE_MAX && f)
        n += planned_faults(s, o, f, out + n);
    return n;
}

size_t kr__sc_random_plan(const scenario *s, const sc_options *o, sc_planned *out, size_t max)
{
    if (!s || !o || !s->random_faults.enabled)
        return 0;
    timed *t = calloc(KR__SC_RANDOM_FAULTS_MAX, sizeof *t);
    if (!t)
        return 0;
    sc_random_faults f = s->random_faults;
    if (o->swarm || s->swarm) {
        sc_swarm w;
        kr__sc_swarm_draw(s, o->seed, &w);
        f = w.faults;
    }
    size_t n = plan(s, &f, o->seed, t);
    for (size_t i = 0; i < n; i++) {
        if (i < max && out)
            out[i] = (sc_planned){t[i].action.kind, t[i].action.at};
        kr__sc_timed_free(&t[i]);
    }
    free(t);
    return n;
}
