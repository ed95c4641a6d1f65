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
 * the simulator's own steps (S.steps, every process event, timer and
 * delivery), so k must be measured in the same unit (kairos sweep calibrates
 * it; kr_config.pct_steps / KAIROS_PCT_STEPS set it directly).
 *
 * POS (partial order sampling, Yuan et al., CAV 2018): every pending event
 * holds a random priority from the moment it becomes schedulable until it
 * runs; the highest runs, and the entity that ran gets a fresh priority for
 * its next event. Unlike a random walk, an event that lost once keeps its
 * (low) priority, so long delays of one event are as likely as short ones. */
#include "priority.h"

#define S kr__sim

/* Initial priorities live above every PCT change-point priority (1..7). */
#define PRIO_BASE 0x10000000u
#define PRIO_SPAN 0x70000000u

static struct {
    int depth;
    uint64_t change_steps[KR_PCT_DEPTH_MAX];
    uint32_t next_low;
    uint32_t timer;      /* the "next due timer" entity */
    uint32_t *links;     /* per link, by the link's creation index */
    size_t links_cap;
} P;

static uint32_t draw(void) { return PRIO_BASE + (uint32_t)kr__prng_below(&S.sched, PRIO_SPAN); }

void kr__priority_start(int depth, uint64_t steps)
{
    free(P.links);
    memset(&P, 0, sizeof P);
    if (steps == 0)
        steps = KR__PCT_STEPS_DEFAULT;
    P.depth = depth < 1 ? 1 : depth > KR_PCT_DEPTH_MAX ? KR_PCT_DEPTH_MAX : depth;
    if (S.strategy == KR__STRATEGY_PCT) {
        for (int i = 0; i < P.depth - 1; i++)
            P.change_steps[i] = 1 + kr__prng_below(&S.sched, steps);
    }
    P.next_low = (uint32_t)P.depth;
    P.timer = draw();
}

void kr__priority_stop(void)
{
    free(P.links);
    P.links = NULL;
    P.links_cap = 0;
}

uint32_t *kr__priority_timer_slot(void) { return &P.timer; }

uint32_t *kr__priority_link_slot(size_t link)
{
    if (link >= P.links_cap) {
        size_t cap = P.links_cap ? P.links_cap : 16;
        while (cap <= link)
            cap *= 2;
        uint32_t *l = realloc(P.links, cap * sizeof *l);
        if (!l)
            return NULL; /* the caller falls back to a fresh draw */
        memset(l + P.links_cap, 0, (cap - P.links_cap) * sizeof *l);
        P.links = l;
        P.links_cap = cap;
    }
    return &P.links[link];
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
    if (S.strategy == KR__STRATEGY_POS) {
        *slots[best] = draw(); /* its next event is a new event */
        return best;
    }
    for (int i = 0; i < P.depth - 1; i++) {
        if (P.change_steps[i] == S.steps + 1 && P.next_low > 1)
            *slots[best] = --P.next_low;
    }
    return best;
}
