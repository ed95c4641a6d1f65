/* The `locked` run queue: one FIFO of processes behind a mutex and a
 * condition variable (the shape of libprocess' default run queue). */
#include "runq.h"

#include <pthread.h>

static int locked_init(int workers)
{
    (void)workers;
    /* empty since kr__real_reset */
    return 0;
}

static void locked_push(int self, kr__proc *p, bool wake)
{
    kr__node *n = &p->sched_link;
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    pthread_mutex_lock(&kr__real.locked.lock);
    if (kr__real.locked.tail)
        atomic_store_explicit(&kr__real.locked.tail->next, n, memory_order_relaxed);
    else
        kr__real.locked.head = n;
    kr__real.locked.tail = n;
    atomic_fetch_add_explicit(&kr__real.locked.queued, 1, memory_order_relaxed);
    bool signal = (wake || self < 0) && kr__real.locked.idle_workers > 0;
    pthread_mutex_unlock(&kr__real.locked.lock);
    /* After the unlock: the woken worker does not at once block again on
     * the lock (the head it will see was set under it). */
    if (signal)
        pthread_cond_signal(&kr__real.locked.nonempty);
}

static kr__proc *locked_pop(int self, bool wait)
{
    (void)self;
    if (!wait && atomic_load_explicit(&kr__real.locked.queued, memory_order_relaxed) == 0)
        return NULL;
    pthread_mutex_lock(&kr__real.locked.lock);
    while (wait && !kr__real.locked.head && !kr__real.locked.stopping) {
        kr__real.locked.idle_workers++;
        pthread_cond_wait(&kr__real.locked.nonempty, &kr__real.locked.lock);
        kr__real.locked.idle_workers--;
    }
    kr__node *n = kr__real.locked.head;
    if (n) {
        kr__real.locked.head = atomic_load_explicit(&n->next, memory_order_relaxed);
        if (!kr__real.locked.head)
            kr__real.locked.tail = NULL;
        atomic_fetch_sub_explicit(&kr__real.locked.queued, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&kr__real.locked.lock);
    return n ? kr__proc_of_link(n) : NULL;
}

static bool locked_nonempty(int self)
{
    (void)self;
    return atomic_load_explicit(&kr__real.locked.queued, memory_order_relaxed) > 0;
}

static void locked_stop(void)
{
    pthread_mutex_lock(&kr__real.locked.lock);
    kr__real.locked.stopping = true;
    pthread_cond_broadcast(&kr__real.locked.nonempty);
    pthread_mutex_unlock(&kr__real.locked.lock);
}

static void locked_fini(void) { kr__real.locked.head = kr__real.locked.tail = NULL; }

const kr__runq_ops kr__runq_locked = {
    .name = "locked",
    .init = locked_init,
    .push = locked_push,
    .pop = locked_pop,
    .nonempty = locked_nonempty,
    .stop = locked_stop,
    .fini = locked_fini,
};
