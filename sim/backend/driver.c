/* The simulator's calls for drivers (kairos/sim.h, "driving a run"): what
 * the scenario harness needs beyond kr_sim_step and the fault calls, so that
 * it is built on exported functions only and includes no internal header. */
#include "sim_internal.h"

#include "prng.h"

bool kr_sim_at(kr_time at, void (*fn)(void *ctx), void (*drop)(void *ctx), void *ctx)
{
    if (!fn || !atomic_load(&kr__is_running))
        return false;
    return kr__timer_add(at, fn, drop, ctx) != 0;
}

void kr_sim_note(const kr_sim_event *e)
{
    if (e && e->kind)
        kr__sim_emit(e->kind, e->node, e->process, e->name, e->from, e->to, e->body, e->len);
}

bool kr_sim_alive(kr_pid pid)
{
    return atomic_load(&kr__is_running) && kr__table_alive(pid);
}

/* kr_sim_random is kr__prng under a public name: the same four words. */
_Static_assert(sizeof(kr_sim_random) == sizeof(kr__prng), "kr_sim_random mirrors kr__prng");

void kr_sim_random_seed(kr_sim_random *r, uint64_t seed, uint64_t stream)
{
    kr__prng p;
    kr__prng_seed(&p, seed, stream);
    memcpy(r->state, p.s, sizeof p.s);
}

uint64_t kr_sim_random_below(kr_sim_random *r, uint64_t n)
{
    kr__prng p;
    memcpy(p.s, r->state, sizeof p.s);
    uint64_t x = n ? kr__prng_below(&p, n) : 0;
    memcpy(r->state, p.s, sizeof p.s);
    return x;
}
