/* The `lockfree` run queue: one Vyukov intrusive MPSC queue per worker
 * (the mailbox code, linked through kr__proc.sched_link). Pushing never
 * takes a lock: a worker pushes to its own queue, other threads place
 * round-robin. A queue's consumer side is guarded by a try-flag, so the
 * owner pops with one exchange and an idle worker can steal from another's
 * queue. Idle workers park on one futex word only after every queue
 * looked empty; pushers look for parked workers after a fence and make the
 * wake-up call only when there is one (see RUNQ.md). */
#include "runq.h"

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A bare futex instead of a mutex and condition variable: a wake-up is
 * one system call on each side, where glibc's condition variable also
 * makes the woken worker re-take the mutex as contended (a third call). */
static void park_wait(unsigned seen)
{
    syscall(SYS_futex, &kr__real.lockfree.park_seq, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void park_wake(int n)
{
    atomic_fetch_add(&kr__real.lockfree.park_seq, 1);
    syscall(SYS_futex, &kr__real.lockfree.park_seq, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

struct kr__lfq {
    kr__mailbox q;
    atomic_bool taken; /* consumer side held (owner or a thief) */
    char pad[64 - (sizeof(kr__mailbox) + sizeof(atomic_bool)) % 64];
};

static int lf_init(int workers)
{
    kr__real.lockfree.nq = workers;
    kr__real.lockfree.queues_mem = kr__calloc((size_t)workers + 1, sizeof(struct kr__lfq));
    if (!kr__real.lockfree.queues_mem)
        return KR_ENOMEM;
    uintptr_t a = ((uintptr_t)kr__real.lockfree.queues_mem + 63) & ~(uintptr_t)63;
    kr__real.lockfree.queues = (struct kr__lfq *)a;
    for (int i = 0; i < workers; i++) {
        kr__mailbox_init(&kr__real.lockfree.queues[i].q);
        atomic_init(&kr__real.lockfree.queues[i].taken, false);
    }
    return 0;
}

/* An empty queue's head is its stub (pop re-pushes the stub as it takes
 * the last node); anything else means a node is there or being pushed. */
static bool maybe_items(struct kr__lfq *l)
{
    return atomic_load_explicit(&l->q.head, memory_order_acquire) != &l->q.stub;
}

static bool any_items(void)
{
    for (int i = 0; i < kr__real.lockfree.nq; i++)
        if (maybe_items(&kr__real.lockfree.queues[i]))
            return true;
    return false;
}

static kr__proc *try_take(struct kr__lfq *l)
{
    if (!maybe_items(l))
        return NULL;
    if (atomic_exchange_explicit(&l->taken, true, memory_order_acquire))
        return NULL;
    kr__node *n = kr__mailbox_pop(&l->q);
    atomic_store_explicit(&l->taken, false, memory_order_release);
    return n ? kr__proc_of_link(n) : NULL;
}

static void lf_push(int self, kr__proc *p, bool wake)
{
    int t = self;
    if (t < 0) /* round robin from outside the workers */
        t = (int)(atomic_fetch_add_explicit(&kr__real.lockfree.rr, 1, memory_order_relaxed) %
                  (unsigned)kr__real.lockfree.nq);
    kr__mailbox_push(&kr__real.lockfree.queues[t].q, &p->sched_link);
    if (!wake && self >= 0)
        return; /* the pushing worker takes it itself */
    /* Pairs with the fence in lf_pop: either we see the sleeper, or it sees
     * our node before it waits. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&kr__real.lockfree.sleepers, memory_order_relaxed) > 0)
        park_wake(1);
}

static kr__proc *lf_pop(int self, bool wait)
{
    if (self < 0)
        self = 0;
    for (;;) {
        for (int k = 0; k < kr__real.lockfree.nq; k++) {
            kr__proc *p = try_take(&kr__real.lockfree.queues[(self + k) % kr__real.lockfree.nq]);
            if (p)
                return p;
        }
        if (!wait)
            return NULL;
        if (any_items()) {
            sched_yield(); /* a push half-done or a thief busy: retry */
            continue;
        }
        /* The word is read before the last look: a push after that look
         * changes it, so the wait returns at once instead of sleeping. */
        unsigned seen = atomic_load(&kr__real.lockfree.park_seq);
        atomic_fetch_add(&kr__real.lockfree.sleepers, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (!any_items() && !atomic_load(&kr__real.lockfree.stopping))
            park_wait(seen);
        atomic_fetch_sub(&kr__real.lockfree.sleepers, 1);
        if (atomic_load(&kr__real.lockfree.stopping) && !any_items())
            return NULL;
    }
}

static bool lf_nonempty(int self)
{
    return maybe_items(&kr__real.lockfree.queues[self < 0 ? 0 : self]);
}

static void lf_stop(void)
{
    atomic_store(&kr__real.lockfree.stopping, true);
    park_wake(INT_MAX);
}

static void lf_fini(void)
{
    kr__free(kr__real.lockfree.queues_mem);
    kr__real.lockfree.queues_mem = NULL;
    kr__real.lockfree.queues = NULL;
    kr__real.lockfree.nq = 0;
}

const kr__runq_ops kr__runq_lockfree = {
    .name = "lockfree",
    .init = lf_init,
    .push = lf_push,
    .pop = lf_pop,
    .nonempty = lf_nonempty,
    .stop = lf_stop,
    .fini = lf_fini,
};
