/* Worker threads of the real backend: a run queue (runq.h: `locked` or
 * `lockfree`, KAIROS_RUNQ / kr_config.runq) plus a per-worker "next" slot.
 *
 * When a worker's running process makes another process runnable (a send,
 * a spawn), that process goes into the worker's next slot and runs right
 * after the current turn, on the same worker and with warm caches (Go's
 * runnext, Tokio's LIFO slot). The slot's previous occupant, if any, moves
 * to the run queue, and only then is an idle worker woken: there is surplus.
 * So a strict ping-pong never wakes a second thread. Bounds: a process in a
 * next slot waits at most for the current turn (BATCH_EVENTS events) of
 * the process that made it runnable; a chain of next-slot hand-offs yields
 * to the run queue after NEXT_STREAK turns when the queue has work.
 *
 * Each worker takes a process, serves a batch of its events and, if it
 * still has work, queues it again behind whatever is queued (or runs it
 * again at once when nothing else is waiting). kr__real_busy counts the
 * processes that are queued, in a next slot or running: +1 at schedule,
 * -1 when a turn leaves the process idle or gone. */
#include "runq.h"

#include <pthread.h>
#include <unistd.h>

#define BATCH_EVENTS 256
#define NEXT_STREAK 32

typedef struct kr__worker {
    int index;
    kr__proc *next; /* the next slot; only this worker touches it */
} worker;

static KR__TLS worker *self_worker;

void kr__real_busy_done(void)
{
    if (atomic_fetch_sub(&kr__real.busy, 1) == 1)
        kr__backend_wake(KR__WAIT_QUIET);
}

void kr__backend_schedule(kr__proc *p)
{
    atomic_fetch_add(&kr__real.busy, 1);
    worker *w = self_worker;
    if (!w) {
        kr__real.workers.runq->push(-1, p, true);
        return;
    }
    kr__proc *old = w->next;
    w->next = p;
    if (old)
        kr__real.workers.runq->push(w->index, old, true); /* surplus: two runnable here */
}

/* A sender running on this worker has queued a backlog for p (message.c
 * calls this when p's pending count reaches a threshold). If p waits in
 * this worker's next slot it would only run after the sender's turn, with
 * every queued event alive meanwhile (fanout: 10^6): move it to the run
 * queue and wake an idle worker, so it drains concurrently. p is in our
 * slot, hence neither queued nor running, and only this thread touches the
 * slot; kr__real_busy is unchanged (p stays scheduled). */
void kr__backend_backlog(kr__proc *p)
{
    worker *w = self_worker;
    if (!w || w->next != p || kr__real.workers.thread_count < 2)
        return;
    w->next = NULL;
    kr__real.workers.runq->push(w->index, p, true);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    self_worker = w;
    kr__event_pool_attach();
    kr__table_send_cache = true;
    kr__remote_worker(true);
    unsigned streak = 0; /* consecutive turns taken from the next slot */
    kr__proc *p = NULL;  /* to run now */
    for (;;) {
        if (!p && (p = w->next) != NULL) {
            w->next = NULL;
            if (++streak > NEXT_STREAK && kr__real.workers.runq->nonempty(w->index)) {
                kr__real.workers.runq->push(w->index, p, false); /* let the queue go first */
                p = NULL;
            }
        }
        if (!p) {
            streak = 0;
            /* Freed foreign event blocks go home before we may sleep. */
            kr__event_pool_flush();
            if ((p = kr__real.workers.runq->pop(w->index, true)) == NULL)
                break; /* stopping */
        }
        kr__run_result r = kr__process_run(p, BATCH_EVENTS);
        kr__table_send_cache_end_turn(); /* never held across turns or asleep */
        kr__remote_end_turn(); /* corked remote messages leave */
        if (r == KR__RUN_MORE) {
            if (w->next || kr__real.workers.runq->nonempty(w->index)) {
                kr__real.workers.runq->push(w->index, p, w->next != NULL);
                p = NULL;
            } /* else nothing else waits here: another turn at once */
        } else {
            kr__real_busy_done();
            p = NULL;
        }
    }
    kr__table_send_cache = false;
    kr__remote_worker(false);
    kr__event_pool_detach();
    self_worker = NULL;
    return NULL;
}

/* What kr_init asked for, kept by kr__real_workers_configure. */

static const kr__runq_ops *runq_named(const char *name)
{
    if (strcmp(name, "lockfree") == 0)
        return &kr__runq_lockfree;
    if (strcmp(name, "locked") == 0)
        return &kr__runq_locked;
    return NULL;
}

int kr__real_workers_configure(const kr_config *c)
{
    const char *v;
    long n;
    int rc;
    if (c->workers < 0 || c->workers > 1024) {
        kr__log("kr_init: workers=%d out of range [0, 1024]", c->workers);
        return KR_EINVAL;
    }
    int count = c->workers;
    if (count == 0 && (v = getenv("KAIROS_WORKERS")) != NULL) {
        if ((rc = kr__config_int("KAIROS_WORKERS", v, 0, 1024, &n)) != 0)
            return rc;
        count = (int)n;
    }
    const char *name = c->runq ? c->runq : getenv("KAIROS_RUNQ");
    const kr__runq_ops *ops = runq_named(name ? name : "lockfree");
    if (!ops) {
        kr__log("kr_init: unknown run queue \"%s\" (locked or lockfree)", name);
        return KR_EINVAL;
    }
    kr__real.workers.configured_count = count;
    kr__real.workers.configured_runq = ops;
    return 0;
}

int kr__real_workers_start(void)
{
    int count = kr__real.workers.configured_count;
    if (count <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        count = cpus > 0 ? (int)cpus : 1;
    }
    struct kr__real_workers *w = &kr__real.workers;
    w->runq = w->configured_runq;
    w->threads = kr__calloc((size_t)count, sizeof *w->threads);
    w->workers = kr__calloc((size_t)count, sizeof *w->workers);
    int rc = (w->threads && w->workers) ? w->runq->init(count) : KR_ENOMEM;
    if (rc != 0) {
        kr__free(w->threads);
        kr__free(w->workers);
        w->threads = NULL;
        w->workers = NULL;
        return rc;
    }
    for (w->thread_count = 0; w->thread_count < count; w->thread_count++) {
        worker *self = &w->workers[w->thread_count];
        self->index = w->thread_count;
        if (pthread_create(&w->threads[w->thread_count], NULL, worker_main, self) != 0) {
            kr__real_workers_stop();
            return KR_ENOMEM;
        }
    }
    return 0;
}

void kr__real_workers_stop(void)
{
    if (!kr__real.workers.runq)
        return;
    kr__real.workers.runq->stop();
    for (int i = 0; i < kr__real.workers.thread_count; i++)
        pthread_join(kr__real.workers.threads[i], NULL);
    kr__real.workers.runq->fini();
    kr__free(kr__real.workers.threads);
    kr__free(kr__real.workers.workers);
    kr__real.workers.threads = NULL;
    kr__real.workers.workers = NULL;
    kr__real.workers.thread_count = 0;
    kr__real.workers.runq = NULL;
}
