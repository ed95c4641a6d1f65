/* Priority strategies of the simulator: PCT and POS.
 *
 * Both give every schedulable entity a priority and run the enabled entity
 * with the highest one. The entities are the runnable processes (their next
 * event), each network link whose head message is due, and "the next due
 * timer", so timers and deliveries are ordered by the same priorities as
 * processes instead of by a separate coin flip.
 *
 * PCT (Burckhardt et al., ASPLOS 2010): random distinct initial priorities,
 * and d-1 change points drawn uniformly from steps 1..k; the entity chosen at
 * the i-th change point drops to priority d-i, below every initial one. A
 * bug of depth d is then hit with probability >= 1/(n * k^(d-1)) per run,
 * provided k is the run's length in steps: the change points are counted in
 * the simulator's own steps (kr__sim.steps, every process event, timer and
 * delivery), so k must be measured in the same unit (kairos sweep calibrates
 * it; kr_config.pct_steps / KAIROS_PCT_STEPS set it directly).
 *
 * POS (partial order sampling, Yuan et al., CAV 2018): every pending event
 * holds a random priority from the moment it becomes schedulable until it
 * runs; the highest runs, and the entity that ran gets a fresh priority for
 * its next event. Unlike a random walk, an event that lost once keeps its
 * (low) priority, so long delays of one event are as likely as short ones.
 *
 * Beyond the ready queue: PCT also delays d-1 messages, at send numbers
 * drawn uniformly from 0..k/2 (a run of k steps sends fewer than k
 * messages), to their link's largest latency: the network's share of the
 * change points, so a bug that needs one late message is explored too. POS
 * draws every message's latency, loss and copy from a stream of its own
 * (sim_net.c), so pos does not sample the same network timings as random
 * and pct on the same seed. */
#include "priority.h"

/* Initial priorities live above every PCT change-point priority (1..7). */
#define PRIO_BASE 0x10000000u
#define PRIO_SPAN 0x70000000u

static struct {
    int depth;
    uint64_t change_steps[KR_PCT_DEPTH_MAX];
    uint64_t slow_sends[KR_PCT_DEPTH_MAX]; /* PCT: sends delayed to the largest latency */
    int n_slow;
    uint32_t next_low;
    uint32_t timer;      /* the "next due timer" entity */
    uint32_t *links;     /* per link, by the link's creation index */
    size_t links_cap;
} prio;

static uint32_t draw(void) { return PRIO_BASE + (uint32_t)kr__prng_below(&kr__sim.sched, PRIO_SPAN); }

void kr__priority_start(int depth, uint64_t steps)
{
    free(prio.links);
    memset(&prio, 0, sizeof prio);
    if (steps == 0)
        steps = KR__PCT_STEPS_DEFAULT;
    prio.depth = depth < 1 ? 1 : depth > KR_PCT_DEPTH_MAX ? KR_PCT_DEPTH_MAX : depth;
    if (kr__sim.strategy == KR__STRATEGY_PCT) {
        for (int i = 0; i < prio.depth - 1; i++)
            prio.change_steps[i] = 1 + kr__prng_below(&kr__sim.sched, steps);
        /* Their own stream: the change points above stay as they were. */
        kr__prng net;
        kr__prng_seed(&net, kr__sim.seed, 0x7063746e6574ull); /* "pctnet" */
        for (int i = 0; i < prio.depth - 1; i++)
            prio.slow_sends[prio.n_slow++] = kr__prng_below(&net, steps / 2 + 1);
    }
    prio.next_low = (uint32_t)prio.depth;
    prio.timer = draw();
}

bool kr__priority_slow_send(uint64_t send)
{
    for (int i = 0; i < prio.n_slow && kr__sim.strategy == KR__STRATEGY_PCT; i++)
        if (prio.slow_sends[i] == send)
            return true;
    return false;
}

void kr__priority_stop(void)
{
    free(prio.links);
    prio.links = NULL;
    prio.links_cap = 0;
}

uint32_t *kr__priority_timer_slot(void) { return &prio.timer; }

uint32_t *kr__priority_link_slot(size_t link)
{
    if (link >= prio.links_cap) {
        size_t cap = prio.links_cap ? prio.links_cap : 16;
        while (cap <= link)
            cap *= 2;
        uint32_t *l = realloc(prio.links, cap * sizeof *l);
        if (!l)
            return NULL; /* the caller falls back to a fresh draw */
        memset(l + prio.links_cap, 0, (cap - prio.links_cap) * sizeof *l);
        prio.links = l;
        prio.links_cap = cap;
    }
    return &prio.links[link];
}

uint32_t kr__priority_choose(uint32_t *const *slots, uint32_t n)
{
    uint32_t best = 0, best_priority = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (*slots[i] == 0)
            *slots[i] = draw(); /* a new entity: its priority is drawn now */
        if (*slots[i] > best_priority) {
            best_priority = *slots[i];
            best = i;
        }
    }
    if (kr__sim.strategy == KR__STRATEGY_POS) {
        *slots[best] = draw(); /* its next event is a new event */
        return best;
    }
    for (int i = 0; i < prio.depth - 1; i++) {
        if (prio.change_steps[i] == kr__sim.steps + 1 && prio.next_low > 1)
            *slots[best] = --prio.next_low;
    }
    return best;
}
