/* The seeded random faults of a run (a scenario's `faults: random:`), drawn
 * up front as timed actions: partitions, crashes, power-offs and clogs, each
 * with its undo (heal, restart) unless the scenario says it stays. */
#include "runner_internal.h"

#include <stdlib.h>
#include <string.h>

/* Random faults: drawn up front from the seed's own stream, so the fault
 * plan of a seed does not depend on how its run unfolds. */
size_t kr__sc_plan_random_faults(const sc_random_faults *f, size_t n_nodes, timed *out, size_t max,
                                 kr_sim_random *rng)
{
    size_t n = 0;
    /* The nodes faults may hit (all when not limited), in file order. */
    size_t allowed[KR_SIM_NODES_MAX], n_allowed = 0;
    for (size_t i = 0; i < n_nodes; i++)
        if (!f->nodes || f->nodes[i])
            allowed[n_allowed++] = i;
    const char *kinds[4];
    size_t n_kinds = 0;
    if (f->partition && n_nodes >= 2)
        kinds[n_kinds++] = "partition";
    if (f->crash)
        kinds[n_kinds++] = "crash";
    if (f->clog && n_nodes >= 2)
        kinds[n_kinds++] = "clog";
    if (f->power_off)
        kinds[n_kinds++] = "power_off";
    if (n_kinds == 0 || n_allowed == 0)
        return 0;
    kr_duration span = f->every_max - f->every_min;
    for (kr_duration t = f->every_min; t <= f->until && n + 2 <= max;) {
        const char *kind = kinds[kr_sim_random_below(rng, n_kinds)];
        kr_duration heal = f->heal_min +
                           (kr_duration)kr_sim_random_below(rng, (uint64_t)(f->heal_max - f->heal_min) + 1);
        sc_action a = {.at = t, .pos = f->pos};
        sc_action undo = {.at = t + heal, .pos = f->pos};
        if (strcmp(kind, "partition") == 0) {
            /* A random non-trivial split: node i goes left on bit i. */
            size_t *left = malloc(n_nodes * sizeof *left), *right = malloc(n_nodes * sizeof *right);
            if (!left || !right) {
                free(left);
                free(right);
                break;
            }
            a.kind = SC_PARTITION;
            a.side_a = left;
            a.side_b = right;
            if (f->nodes) { /* limited: one chosen node cut off from the rest */
                size_t alone = allowed[kr_sim_random_below(rng, n_allowed)];
                for (size_t i = 0; i < n_nodes; i++) {
                    if (i == alone)
                        left[a.na++] = i;
                    else
                        right[a.nb++] = i;
                }
            } else {
                uint64_t mask =
                    1 + kr_sim_random_below(rng, (UINT64_C(1) << (n_nodes > 20 ? 20 : n_nodes)) - 2);
                for (size_t i = 0; i < n_nodes; i++) {
                    if (i < 64 && (mask >> i) & 1)
                        left[a.na++] = i;
                    else
                        right[a.nb++] = i;
                }
            }
            undo.kind = SC_HEAL;
            out[n++] = (timed){a, true, 1};
        } else if (strcmp(kind, "crash") == 0 || strcmp(kind, "power_off") == 0) {
            a.kind = kind[0] == 'c' ? SC_CRASH : SC_POWER_OFF;
            a.node = allowed[kr_sim_random_below(rng, n_allowed)];
            undo.kind = SC_RESTART;
            undo.node = a.node;
            out[n++] = (timed){a, false, 1};
        } else {
            a.kind = SC_CLOG;
            a.from_node = allowed[kr_sim_random_below(rng, n_allowed)];
            a.to_node = (a.from_node + 1 + kr_sim_random_below(rng, n_nodes - 1)) % n_nodes;
            a.duration = heal; /* a clog ends by itself: no undo */
            out[n++] = (timed){a, false, 1};
        }
        /* A clog ends by itself; without `restart`, a node stays down. */
        if (a.kind != SC_CLOG && (f->restart || a.kind == SC_PARTITION))
            out[n++] = (timed){undo, false, 1};
        t += f->every_min + (span > 0 ? (kr_duration)kr_sim_random_below(rng, (uint64_t)span + 1) : 0);
    }
    return n;
}
