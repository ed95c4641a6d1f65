/* Per-process mailboxes: Dmitry Vyukov's intrusive MPSC queue. Any number of
 * threads push with one atomic exchange and no lock; only the thread serving
 * the process pops. A stub node keeps the queue never truly empty, so push
 * and pop never contend on the same pointer. */
#include "internal.h"

/* The queue is written once, over its three parts (head, tail, stub), so
 * the run queue's kr__mailbox and a process' split inbox share it. */
typedef struct parts {
    _Atomic(kr__node *) *head;
    kr__node **tail;
    kr__node *stub;
} parts;

static inline void init(parts q)
{
    atomic_store_explicit(&q.stub->next, NULL, memory_order_relaxed);
    atomic_store_explicit(q.head, q.stub, memory_order_relaxed);
    *q.tail = q.stub;
}

static inline void push(_Atomic(kr__node *) *head, kr__node *n)
{
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
#if KR__ONE_THREAD
    /* One thread (core.h): the same links, without the two locked exchanges. */
    kr__node *last = atomic_load_explicit(head, memory_order_relaxed);
    atomic_store_explicit(head, n, memory_order_relaxed);
    atomic_store_explicit(&last->next, n, memory_order_relaxed);
#else
    kr__node *prev = atomic_exchange_explicit(head, n, memory_order_acq_rel);
    /* Between the exchange and this store the queue is briefly unlinked; the
     * consumer sees that as "empty for now" (see kr__mailbox_has_items). */
    atomic_store_explicit(&prev->next, n, memory_order_seq_cst);
#endif
}

static inline kr__node *pop(parts q)
{
    kr__node *tail = *q.tail;
    kr__node *next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == q.stub) {
        if (!next)
            return NULL;
        *q.tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        *q.tail = next;
        return tail;
    }
    if (tail != atomic_load_explicit(q.head, memory_order_acquire))
        return NULL; /* a producer is mid-push behind tail */
    push(q.head, q.stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        *q.tail = next;
        return tail;
    }
    return NULL;
}

static inline void each(const kr__node *tail, const kr__node *stub,
                        void (*fn)(kr__node *n, void *ctx), void *ctx)
{
    /* From the next node to pop along the links producers store: only the
     * consumer unlinks and frees nodes, and it is the caller, so every node
     * reached stays valid; producers only ever link a node after the last.
     * The stub may sit anywhere in the chain (pop pushes it back). */
    for (kr__node *n = (kr__node *)tail; n; n = atomic_load_explicit(&n->next, memory_order_acquire))
        if (n != stub)
            fn(n, ctx);
}

void kr__mailbox_init(kr__mailbox *q) { init((parts){&q->head, &q->tail, &q->stub}); }
void kr__mailbox_push(kr__mailbox *q, kr__node *n) { push(&q->head, n); }
kr__node *kr__mailbox_pop(kr__mailbox *q) { return pop((parts){&q->head, &q->tail, &q->stub}); }

void kr__inbox_init(kr__proc *p) { init((parts){&p->inbox_head, &p->inbox_tail, &p->inbox_stub}); }
void kr__inbox_push(kr__proc *p, kr__node *n) { push(&p->inbox_head, n); }
kr__node *kr__inbox_pop(kr__proc *p)
{
    return pop((parts){&p->inbox_head, &p->inbox_tail, &p->inbox_stub});
}

void kr__inbox_each(const kr__proc *p, void (*fn)(kr__node *n, void *ctx), void *ctx)
{
    each(p->inbox_tail, &p->inbox_stub, fn, ctx);
}

bool kr__mailbox_has_items(const kr__mailbox *q)
{
    const kr__node *tail = q->tail;
    if (tail != &q->stub)
        return true;
    return atomic_load_explicit(&tail->next, memory_order_seq_cst) != NULL;
}

