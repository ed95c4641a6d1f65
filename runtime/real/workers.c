/* Worker threads and the run queue of the real backend.
 *
 * A FIFO of runnable processes behind one mutex and condition variable (the
 * shape of libprocess' default run queue). Each worker takes a process,
 * serves a batch of its events and puts it back if it still has work, so one
 * busy process cannot starve the rest. */
#include "real.h"

#include <pthread.h>
#include <unistd.h>

#define BATCH_EVENTS 256

static pthread_mutex_t runq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t runq_nonempty = PTHREAD_COND_INITIALIZER;
static kr__proc *runq_head, *runq_tail;
static int idle_workers;
static bool stopping;
static pthread_t *threads;
static int thread_count;

atomic_long kr__real_busy;

void kr__real_busy_done(void)
{
    if (atomic_fetch_sub(&kr__real_busy, 1) == 1)
        kr__backend_wake();
}

static void runq_push(kr__proc *p)
{
    p->sched_link = NULL;
    pthread_mutex_lock(&runq_lock);
    if (runq_tail)
        runq_tail->sched_link = p;
    else
        runq_head = p;
    runq_tail = p;
    if (idle_workers > 0)
        pthread_cond_signal(&runq_nonempty);
    pthread_mutex_unlock(&runq_lock);
}

/* Blocks until a process is runnable; NULL when stopping. */
static kr__proc *runq_pop(void)
{
    pthread_mutex_lock(&runq_lock);
    while (!runq_head && !stopping) {
        idle_workers++;
        pthread_cond_wait(&runq_nonempty, &runq_lock);
        idle_workers--;
    }
    kr__proc *p = runq_head;
    if (p) {
        runq_head = p->sched_link;
        if (!runq_head)
            runq_tail = NULL;
    }
    pthread_mutex_unlock(&runq_lock);
    return p;
}

void kr__backend_schedule(kr__proc *p)
{
    atomic_fetch_add(&kr__real_busy, 1);
    runq_push(p);
}

static void *worker_main(void *arg)
{
    (void)arg;
    kr__proc *p;
    while ((p = runq_pop()) != NULL) {
        if (kr__process_run(p, BATCH_EVENTS) == KR__RUN_MORE)
            runq_push(p);
        else
            kr__real_busy_done();
    }
    return NULL;
}

int kr__real_workers_start(int workers)
{
    if (workers <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        workers = cpus > 0 ? (int)cpus : 1;
    }
    stopping = false;
    runq_head = runq_tail = NULL;
    threads = kr__calloc((size_t)workers, sizeof *threads);
    if (!threads)
        return KR_ENOMEM;
    for (thread_count = 0; thread_count < workers; thread_count++) {
        if (pthread_create(&threads[thread_count], NULL, worker_main, NULL) != 0) {
            kr__real_workers_stop();
            return KR_ENOMEM;
        }
    }
    return 0;
}

void kr__real_workers_stop(void)
{
    pthread_mutex_lock(&runq_lock);
    stopping = true;
    pthread_cond_broadcast(&runq_nonempty);
    pthread_mutex_unlock(&runq_lock);
    for (int i = 0; i < thread_count; i++)
        pthread_join(threads[i], NULL);
    kr__free(threads);
    threads = NULL;
    thread_count = 0;
}
