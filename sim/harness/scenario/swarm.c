/* Swarm testing (Groce et al., ISSTA 2012; FoundationDB and TigerBeetle
 * randomize their fault configuration per seed): with `run: swarm: true`
 * or `--swarm`, each seed draws its own fault configuration within the
 * bounds the scenario gives, so some seeds run with whole fault kinds off
 * and reach states that a seed with every kind on never does.
 *
 * Drawn from the seed alone (its own stream), before the run: which random
 * fault kinds are on (each enabled kind with probability 1/2), how often
 * they strike (every: a sub-range of the scenario's), how long they last
 * (heal_after's maximum), the global network's drop and duplicate rates
 * (0..the scenario's), its latency spread (maximum between the scenario's
 * minimum and maximum) and the per-event cost (0..the scenario's). A seed
 * therefore replays with --swarm and nothing else; the trace header records
 * the drawn configuration for the reader. */
#include "scenario_internal.h"

#include <inttypes.h>

static kr_duration between(kr_sim_random *r, kr_duration lo, kr_duration hi)
{
    return hi > lo ? lo + (kr_duration)kr_sim_random_below(r, (uint64_t)(hi - lo) + 1) : lo;
}

static double up_to(kr_sim_random *r, double p)
{
    return p > 0 ? p * (double)kr_sim_random_below(r, 1000001) / 1e6 : 0;
}

static bool coin(kr_sim_random *r, bool allowed)
{
    return kr_sim_random_below(r, 2) == 1 && allowed; /* always draws: stable streams */
}

void kr__sc_swarm_draw(const scenario *s, uint64_t seed, sc_swarm *out)
{
    kr_sim_random r;
    kr_sim_random_seed(&r, seed, 0x537761726dull); /* "Swarm" */
    const sc_random_faults *f = &s->random_faults;
    out->faults = *f;
    out->faults.partition = coin(&r, f->partition);
    out->faults.crash = coin(&r, f->crash);
    out->faults.clog = coin(&r, f->clog);
    out->faults.power_off = coin(&r, f->power_off);
    out->faults.every_min = between(&r, f->every_min, f->every_max);
    out->faults.every_max = between(&r, out->faults.every_min, f->every_max);
    out->faults.heal_max = between(&r, f->heal_min, f->heal_max);
    out->net = s->net;
    out->net.drop = up_to(&r, s->net.drop);
    out->net.duplicate = up_to(&r, s->net.duplicate);
    out->net.latency_max = between(&r, s->net.latency_min, s->net.latency_max);
    out->event_cost_max = between(&r, 0, s->event_cost_max);
}

void kr__sc_swarm_json(FILE *f, const sc_swarm *w)
{
    fprintf(f,
            "{\"partition\":%s,\"crash\":%s,\"clog\":%s,\"power_off\":%s,\"every_min\":%" PRId64
            ",\"every_max\":%" PRId64 ",\"heal_max\":%" PRId64 ",\"drop\":%.6f,\"duplicate\":%.6f"
            ",\"latency_max\":%" PRId64 ",\"event_cost_max\":%" PRId64 "}",
            w->faults.partition ? "true" : "false", w->faults.crash ? "true" : "false",
            w->faults.clog ? "true" : "false", w->faults.power_off ? "true" : "false",
            w->faults.every_min, w->faults.every_max, w->faults.heal_max, w->net.drop,
            w->net.duplicate, w->net.latency_max, w->event_cost_max);
}
