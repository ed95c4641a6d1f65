/* Per-thread counter blocks for kr_stats (see KR__COUNT in internal.h).
 * A thread takes a block on its first count and gives it back when it
 * exits; blocks are never freed, so their counts stay in the sums and a
 * later thread reuses them. Plain calloc, not kr__calloc: counting must not
 * shift the fail-Nth-allocation hook's numbering. */
#include "internal.h"

#include <pthread.h>

KR__TLS kr__tcounters *kr__tcount;

static void release_block(void *b) { atomic_store(&((kr__tcounters *)b)->in_use, false); }

static void make_key(void) { pthread_key_create(&kr__core.counters.exit_key, release_block); }

kr__tcounters *kr__tcount_attach(void)
{
    pthread_once(&kr__core.counters.key_once, make_key);
    kr__tcounters *t;
    for (t = atomic_load(&kr__core.counters.blocks); t; t = t->next) {
        bool free_block = false;
        if (atomic_compare_exchange_strong(&t->in_use, &free_block, true))
            break;
    }
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            return NULL;
        atomic_init(&t->in_use, true);
        t->next = atomic_load(&kr__core.counters.blocks);
        while (!atomic_compare_exchange_weak(&kr__core.counters.blocks, &t->next, t))
            ;
    }
    if (pthread_setspecific(kr__core.counters.exit_key, t) != 0) {
        atomic_store(&t->in_use, false);
        return NULL;
    }
    kr__tcount = t;
    return t;
}

void kr__counters_reset(void)
{
    atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)&kr__stats;
    for (size_t i = 0; i < KR__NCOUNTERS; i++)
        atomic_store(&c[i], 0);
    for (kr__tcounters *t = atomic_load(&kr__core.counters.blocks); t; t = t->next)
        for (size_t i = 0; i < KR__NCOUNTERS; i++)
            atomic_store_explicit(&t->v[i], 0, memory_order_relaxed);
}

uint64_t kr__counter_total(size_t index)
{
    uint64_t sum = atomic_load((atomic_uint_fast64_t *)&kr__stats + index);
    for (kr__tcounters *t = atomic_load(&kr__core.counters.blocks); t; t = t->next)
        sum += atomic_load_explicit(&t->v[index], memory_order_relaxed);
    return sum;
}
