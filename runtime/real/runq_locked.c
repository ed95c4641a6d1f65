/* The `locked` run queue: one FIFO of processes behind a mutex and a
 * condition variable (the shape of libprocess' default run queue). */
#include "runq.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty_cond = PTHREAD_COND_INITIALIZER;
static kr__node *head, *tail;
static atomic_size_t queued; /* read without the lock as a hint */
static int idle_workers;
static bool stopping;

static int locked_init(int workers)
{
    (void)workers;
    head = tail = NULL;
    atomic_store(&queued, 0);
    idle_workers = 0;
    stopping = false;
    return 0;
}

static void locked_push(int self, kr__proc *p, bool wake)
{
    kr__node *n = &p->sched_link;
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    pthread_mutex_lock(&lock);
    if (tail)
        atomic_store_explicit(&tail->next, n, memory_order_relaxed);
    else
        head = n;
    tail = n;
    atomic_fetch_add_explicit(&queued, 1, memory_order_relaxed);
    if ((wake || self < 0) && idle_workers > 0)
        pthread_cond_signal(&nonempty_cond);
    pthread_mutex_unlock(&lock);
}

static kr__proc *locked_pop(int self, bool wait)
{
    (void)self;
    if (!wait && atomic_load_explicit(&queued, memory_order_relaxed) == 0)
        return NULL;
    pthread_mutex_lock(&lock);
    while (wait && !head && !stopping) {
        idle_workers++;
        pthread_cond_wait(&nonempty_cond, &lock);
        idle_workers--;
    }
    kr__node *n = head;
    if (n) {
        head = atomic_load_explicit(&n->next, memory_order_relaxed);
        if (!head)
            tail = NULL;
        atomic_fetch_sub_explicit(&queued, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&lock);
    return n ? kr__proc_of_link(n) : NULL;
}

static bool locked_nonempty(int self)
{
    (void)self;
    return atomic_load_explicit(&queued, memory_order_relaxed) > 0;
}

static void locked_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&nonempty_cond);
    pthread_mutex_unlock(&lock);
}

static void locked_fini(void) { head = tail = NULL; }

const kr__runq_ops kr__runq_locked = {
    .name = "locked",
    .init = locked_init,
    .push = locked_push,
    .pop = locked_pop,
    .nonempty = locked_nonempty,
    .stop = locked_stop,
    .fini = locked_fini,
};
