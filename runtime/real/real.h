/* Internal to the real backend: what its files share, and its state. */
#ifndef KAIROS_REAL_H
#define KAIROS_REAL_H

#include "backend.h"

#include <pthread.h>

typedef struct kr__runq_ops kr__runq_ops;

/* Blocked callers waiting for one kind of change (backend.c). */
typedef struct kr__real_waiters {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int waiters;
} kr__real_waiters;

/* The real backend's mutable state, all of it but the I/O thread's (io.c,
 * http_server.c, remote.c, http_client.c keep theirs): one struct so what a
 * start sets up, a stop tears down and kr__real_reset puts back is in one
 * place. Each part is only touched by the file named, under the rule
 * given. Thread-local state (a worker's own record, the per-thread PRNG)
 * stays thread-local in its file. Parts start on their own cache lines, so
 * a hot counter never shares one with another part's read-mostly fields.
 * Locks are statically initialized and never reset. */
typedef struct kr__real_state {
    /* backend.c: blocked callers, one queue per kind of change; set up by
     * start, torn down by stop. */
    kr__real_waiters waits[KR__WAIT_KINDS];
    /* workers.c (and the timer thread): processes queued, in a next slot or
     * running, plus the timer thread while it fires; at zero the runtime
     * may be settled. */
    alignas(64) atomic_long busy;
    /* workers.c: set by configure and start, read by the workers, cleared
     * by stop. */
    alignas(64) struct kr__real_workers {
        int configured_count;
        const kr__runq_ops *configured_runq;
        const kr__runq_ops *runq;
        struct kr__worker *workers;
        pthread_t *threads;
        int thread_count;
    } workers;
    /* runq_locked.c: guarded by lock (queued is also read as a hint). */
    alignas(64) struct {
        pthread_mutex_t lock;
        pthread_cond_t nonempty;
        kr__node *head, *tail;
        atomic_size_t queued;
        int idle_workers;
        bool stopping;
    } locked;
    /* runq_lockfree.c: queues set up by init (before the workers start);
     * the counters are atomics; idle workers sleep on park_seq (a futex). */
    alignas(64) struct {
        void *queues_mem;
        struct kr__lfq *queues;
        int nq;
        atomic_uint rr;
        atomic_int sleepers;
        atomic_bool stopping;
        atomic_uint park_seq;
    } lockfree;
    /* wall_clock.c: the pausable clock (atomics, changed under lock) and
     * the timer thread (stopping under lock). */
    alignas(64) struct {
        pthread_mutex_t lock;
        pthread_cond_t changed;
        atomic_bool paused;
        _Atomic kr_time paused_time;
        /* Added to the wall clock after a resume, so time never runs
         * backwards when a test advanced paused time past the wall clock. */
        _Atomic kr_duration resume_offset;
        bool stopping;
        pthread_t timer_thread;
        bool timer_thread_started;
    } clock;
} kr__real_state;

extern kr__real_state kr__real;
/* Puts the state of every stopped part back as at load time (locks
 * aside); kr__backend_start calls it first. */
void kr__real_reset(void);

void kr__real_busy_done(void); /* decrement busy; wakes settle at zero */
/* remote.c: a worker thread starts (on) or ends; the end of each of its
 * turns (its corked remote messages leave). */
void kr__remote_worker(bool on);
void kr__remote_end_turn(void);

/* Resolves kr_config.workers / KAIROS_WORKERS and .runq / KAIROS_RUNQ for
 * the next start (kr__backend_configure). */
int kr__real_workers_configure(const kr_config *c);
int kr__real_workers_start(void);
void kr__real_workers_stop(void);
int kr__real_clock_start(void);
void kr__real_clock_stop(void);
kr_time kr__real_wall_now(void);

#endif
