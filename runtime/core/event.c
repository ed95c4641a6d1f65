/* Events: one block each, the payload (arg or body, then name) inline.
 *
 * Worker threads of the real backend allocate small events from a
 * per-thread pool (kr__event_pool_attach): fixed blocks carved from slabs,
 * a local free list, and a lock-free "remote" stack that other threads push
 * freed blocks onto (a Treiber push; only the owner takes the whole stack
 * with one exchange, so there is no ABA). A message sent on one worker and
 * served on another thus costs no malloc/free and no allocator lock — with
 * glibc both took the sender's arena lock on every message. Other threads
 * (main, I/O, timers, the simulator) and big events use kr__malloc. Every
 * block starts with a 16-byte header naming its pool (NULL: malloc'd).
 * kr__block_alloc/kr__block_free hand the same blocks out for other small
 * objects that cross threads the way events do (timers: made on a worker,
 * freed by the timer thread, which also has a pool).
 *
 * Two costs of that hand-off are kept off the per-message path (fanout's
 * profile, pass 4): the owner takes the whole remote stack as its new local
 * list in O(1) instead of walking it (the walk missed the cache on every
 * block, ~11% of fanout), so blocks are only counted when a pool detaches;
 * and a worker returning foreign blocks collects up to FREE_BATCH of them
 * per owner and pushes the chain with one CAS, flushed when full, when the
 * owner changes, and before the worker looks for work in the run queue
 * (kr__event_pool_flush), so at most FREE_BATCH blocks sit in a buffer.
 *
 * A pool outlives its thread while any of its blocks is out: a detaching
 * worker whose blocks are all home frees its slabs, otherwise the pool is
 * parked and adopted by the next attaching worker. Under AddressSanitizer
 * events are always malloc'd, so use-after-free stays detectable. */
#include "http_internal.h"

#include <pthread.h>

#if defined(__SANITIZE_ADDRESS__)
#define POOLING 0
#else
#define POOLING 1
#endif

#define BLOCK_SIZE 160 /* header included: a message event with <= 32 bytes of body+name */
#define SLAB_BLOCKS 256
#define FREE_BATCH 32

typedef struct kr__pool pool;

typedef struct block {
    alignas(16) pool *owner; /* NULL: kr__malloc'd */
    struct block *next;      /* on a free list */
} block;
_Static_assert(sizeof(block) == 16, "event block header must keep 16-byte alignment");

typedef struct slab {
    struct slab *next;
} slab;

struct kr__pool {
    block *local;              /* owner only */
    _Atomic(block *) remote;   /* any thread pushes */
    slab *slabs;               /* owner only (or the detacher) */
    size_t total;              /* blocks carved */
    struct kr__pool *next_parked;
};

static KR__TLS pool *my_pool;
/* Foreign blocks freed by this worker, not yet pushed to their owner. */
static KR__TLS pool *batch_owner;
static KR__TLS block *batch_head, *batch_tail;
static KR__TLS unsigned batch_len;

void kr__event_pool_attach(void)
{
    if (!POOLING || my_pool)
        return;
    pthread_mutex_lock(&kr__core.events.parked_lock);
    pool *p = kr__core.events.parked;
    if (p)
        kr__core.events.parked = p->next_parked;
    pthread_mutex_unlock(&kr__core.events.parked_lock);
    if (!p)
        p = calloc(1, sizeof *p);
    my_pool = p; /* NULL (no memory): this thread just mallocs */
}

static void push_remote(pool *p, block *first, block *last)
{
    block *head = atomic_load_explicit(&p->remote, memory_order_relaxed);
    do
        last->next = head;
    while (!atomic_compare_exchange_weak_explicit(&p->remote, &head, first, memory_order_release,
                                                  memory_order_relaxed));
}

/* Returns this worker's buffered foreign blocks to their owner. */
void kr__event_pool_flush(void)
{
    if (batch_len == 0)
        return;
    push_remote(batch_owner, batch_head, batch_tail);
    batch_owner = NULL;
    batch_head = batch_tail = NULL;
    batch_len = 0;
}

void kr__event_pool_detach(void)
{
    kr__event_pool_flush();
    pool *p = my_pool;
    if (!p)
        return;
    my_pool = NULL;
    /* Count the blocks at home: the local list plus the remote stack. */
    size_t home = 0;
    for (block *b = p->local; b; b = b->next)
        home++;
    for (block *b = atomic_exchange_explicit(&p->remote, NULL, memory_order_acquire), *next; b;
         b = next) {
        next = b->next;
        b->next = p->local;
        p->local = b;
        home++;
    }
    if (home == p->total) { /* nothing out: nobody can free into it */
        for (slab *s = p->slabs, *next; s; s = next) {
            next = s->next;
            free(s);
        }
        free(p);
        return;
    }
    pthread_mutex_lock(&kr__core.events.parked_lock);
    p->next_parked = kr__core.events.parked;
    kr__core.events.parked = p;
    pthread_mutex_unlock(&kr__core.events.parked_lock);
}

static block *pool_take(pool *p)
{
    if (!p->local) {
        p->local = atomic_exchange_explicit(&p->remote, NULL, memory_order_acquire);
        if (!p->local) {
            /* A slab: its header, then SLAB_BLOCKS blocks. */
            slab *s = malloc(BLOCK_SIZE + (size_t)SLAB_BLOCKS * BLOCK_SIZE);
            if (!s)
                return NULL;
            s->next = p->slabs;
            p->slabs = s;
            for (int i = SLAB_BLOCKS; i >= 1; i--) {
                block *b = (block *)(void *)((char *)s + (size_t)i * BLOCK_SIZE);
                b->owner = p;
                b->next = p->local;
                p->local = b;
            }
            p->total += SLAB_BLOCKS;
        }
    }
    block *b = p->local;
    p->local = b->next;
    return b;
}

/* A block of `size` bytes (plus the header) from this thread's pool when it
 * fits, else from kr__malloc; NULL when out of memory. */
static block *block_new(size_t size)
{
    size_t need = sizeof(block) + size;
    block *b;
    pool *p = my_pool;
    if (p && need <= BLOCK_SIZE) {
        b = kr__alloc_should_fail_fast() ? NULL : pool_take(p);
    } else {
        b = kr__malloc(need);
        if (b)
            b->owner = NULL;
    }
    return b;
}

static void block_free(block *b)
{
    pool *p = b->owner;
    if (!p) {
        kr__free(b);
    } else if (p == my_pool) {
        b->next = p->local;
        p->local = b;
    } else if (!my_pool) { /* not a worker: no flush point, push at once */
        push_remote(p, b, b);
    } else {
        if (p != batch_owner)
            kr__event_pool_flush();
        batch_owner = p;
        b->next = batch_head;
        batch_head = b;
        if (!batch_tail)
            batch_tail = b;
        if (++batch_len == FREE_BATCH)
            kr__event_pool_flush();
    }
}

void *kr__block_alloc(size_t size)
{
    block *b = block_new(size);
    return b ? b + 1 : NULL;
}

void kr__block_free(void *ptr)
{
    if (ptr)
        block_free((block *)ptr - 1);
}

kr__event *kr__event_new(kr__event_kind kind, size_t data_len, size_t extra)
{
    if (data_len > UINT32_MAX)
        return NULL;
    block *b = block_new(sizeof(kr__event) + data_len + extra);
    if (!b)
        return NULL;
    kr__event *e = (kr__event *)(void *)(b + 1);
    e->kind = (uint8_t)kind;
    e->flags = 0;
    e->aux = 0;
    e->len = (uint32_t)data_len;
    return e;
}

void kr__event_free(kr__event *e) { block_free((block *)(void *)e - 1); }

void kr__event_drop(kr__event *e)
{
    switch (e->kind) {
    case KR__EV_DISPATCH:
        if (e->u.dispatch.promise)
            kr_promise_free(e->u.dispatch.promise); /* pending: abandoned */
        break;
    case KR__EV_INTERNAL:
        if (e->u.internal.drop)
            e->u.internal.drop(NULL, e->data);
        break;
    case KR__EV_HTTP:
        kr__http_event_drop(e); /* answers, so no client hangs */
        break;
    default:
        break;
    }
    KR__COUNT(events_dropped);
    if (e->kind == KR__EV_MESSAGE)
        KR__COUNT(messages_dropped);
    kr__event_free(e);
}
