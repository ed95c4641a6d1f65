/* Per-process mailboxes: Dmitry Vyukov's intrusive MPSC queue. Any number of
 * threads push with one atomic exchange and no lock; only the thread serving
 * the process pops. A stub node keeps the queue never truly empty, so push
 * and pop never contend on the same pointer. */
#include "internal.h"

void kr__mailbox_init(kr__mailbox *q)
{
    atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->head, &q->stub, memory_order_relaxed);
    q->tail = &q->stub;
}

void kr__mailbox_push(kr__mailbox *q, kr__node *n)
{
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
#if KR__ONE_THREAD
    /* One thread (core.h): the same links, without the two locked exchanges. */
    kr__node *last = atomic_load_explicit(&q->head, memory_order_relaxed);
    atomic_store_explicit(&q->head, n, memory_order_relaxed);
    atomic_store_explicit(&last->next, n, memory_order_relaxed);
#else
    kr__node *prev = atomic_exchange_explicit(&q->head, n, memory_order_acq_rel);
    /* Between the exchange and this store the queue is briefly unlinked; the
     * consumer sees that as "empty for now" (see kr__mailbox_has_items). */
    atomic_store_explicit(&prev->next, n, memory_order_seq_cst);
#endif
}

kr__node *kr__mailbox_pop(kr__mailbox *q)
{
    kr__node *tail = q->tail;
    kr__node *next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == &q->stub) {
        if (!next)
            return NULL;
        q->tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        q->tail = next;
        return tail;
    }
    if (tail != atomic_load_explicit(&q->head, memory_order_acquire))
        return NULL; /* a producer is mid-push behind tail */
    kr__mailbox_push(q, &q->stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        q->tail = next;
        return tail;
    }
    return NULL;
}

bool kr__mailbox_has_items(const kr__mailbox *q)
{
    const kr__node *tail = q->tail;
    if (tail != &q->stub)
        return true;
    return atomic_load_explicit(&tail->next, memory_order_seq_cst) != NULL;
}

void kr__mailbox_each(const kr__mailbox *q, void (*fn)(kr__node *n, void *ctx), void *ctx)
{
    /* From the next node to pop along the links producers store: only the
     * consumer unlinks and frees nodes, and it is the caller, so every node
     * reached stays valid; producers only ever link a node after the last.
     * The stub may sit anywhere in the chain (pop pushes it back). */
    for (kr__node *n = q->tail; n; n = atomic_load_explicit(&n->next, memory_order_acquire))
        if (n != &q->stub)
            fn(n, ctx);
}
