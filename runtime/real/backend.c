/* The real backend's entry points: start/stop, blocking callers, settle,
 * randomness and checks. */
#include "io.h"
#include "real.h"
#include "prng.h"

#include <pthread.h>
#include <sys/random.h>
#include <time.h>

const char kr__backend_name[] = "real";

/* Worker threads: the core's atomics must be real ones (core.h). */
_Static_assert(!KR__ONE_THREAD, "the real backend's core must not be built with KAIROS_SIM");

kr__real_state kr__real = {
    .locked = {.lock = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER},
    .clock = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

void kr__real_reset(void)
{
    atomic_store(&kr__real.busy, 0);
    kr__real.locked.head = kr__real.locked.tail = NULL;
    atomic_store(&kr__real.locked.queued, 0);
    kr__real.locked.idle_workers = 0;
    kr__real.locked.stopping = false;
    atomic_store(&kr__real.lockfree.rr, 0);
    atomic_store(&kr__real.lockfree.sleepers, 0);
    atomic_store(&kr__real.lockfree.stopping, false);
    atomic_store(&kr__real.clock.paused, false);
    atomic_store(&kr__real.clock.resume_offset, 0);
    kr__real.clock.stopping = false;
}

static void queues_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    for (int k = 0; k < KR__WAIT_KINDS; k++) {
        pthread_mutex_init(&kr__real.waits[k].lock, NULL);
        pthread_cond_init(&kr__real.waits[k].cond, &a);
        atomic_store(&kr__real.waits[k].waiters, 0);
    }
    pthread_condattr_destroy(&a);
}

static void queues_destroy(void)
{
    for (int k = 0; k < KR__WAIT_KINDS; k++) {
        pthread_cond_destroy(&kr__real.waits[k].cond);
        pthread_mutex_destroy(&kr__real.waits[k].lock);
    }
}

int kr__backend_configure(const kr_config *cfg)
{
    kr_config c = cfg ? *cfg : (kr_config){0};
    return kr__real_workers_configure(&c);
}

int kr__backend_start(const kr__config *cfg)
{
    kr__real_reset();
    queues_init();
    /* The listener first: kr__local_port must be the bound port before any
     * process is spawned (pids carry it). */
    int rc = kr__io_start(cfg);
    if (rc != 0) {
        queues_destroy();
        return rc;
    }
    rc = kr__real_clock_start();
    if (rc == 0 && (rc = kr__real_workers_start()) != 0)
        kr__real_clock_stop();
    if (rc != 0) {
        kr__io_stop();
        queues_destroy();
    }
    return rc;
}

void kr__backend_stop(void)
{
    kr__real_workers_stop();
    kr__real_clock_stop();
    kr__io_stop(); /* last: no worker can post to it any more */
    queues_destroy();
}

/* Waiters announce themselves before testing their condition and wakers
 * change state before looking for waiters; the fences make one of the two
 * see the other, so no wake-up is lost and wakers skip the lock when nobody
 * waits. */
void kr__backend_wake(kr__wait_kind kind)
{
    kr__real_waiters *q = &kr__real.waits[kind];
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&q->waiters) == 0)
        return;
    pthread_mutex_lock(&q->lock);
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

bool kr__backend_block_until(kr__wait_kind kind, bool (*done)(void *ctx), void *ctx,
                             kr_duration timeout)
{
    kr__real_waiters *q = &kr__real.waits[kind];
    if (done(ctx))
        return true;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    bool forever = timeout == KR_FOREVER || timeout > KR_SEC(86400LL * 365 * 100);
    if (!forever) {
        if (timeout < 0)
            timeout = 0;
        until.tv_sec += timeout / 1000000000LL;
        until.tv_nsec += timeout % 1000000000LL;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    atomic_fetch_add(&q->waiters, 1);
    atomic_thread_fence(memory_order_seq_cst);
    pthread_mutex_lock(&q->lock);
    bool ok;
    while (!(ok = done(ctx))) {
        if (forever)
            pthread_cond_wait(&q->cond, &q->lock);
        else if (pthread_cond_timedwait(&q->cond, &q->lock, &until) != 0) {
            ok = done(ctx);
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    atomic_fetch_sub(&q->waiters, 1);
    return ok;
}

static bool quiet(void *ctx)
{
    (void)ctx;
    return atomic_load(&kr__real.busy) == 0 &&
           kr__timers_next_deadline() > kr__backend_now();
}

void kr__backend_settle(void)
{
    /* Twice: a timer may become due exactly as the first quiet moment is
     * observed; the second pass sees it fired. */
    kr__backend_block_until(KR__WAIT_QUIET, quiet, NULL, KR_FOREVER);
    kr__backend_block_until(KR__WAIT_QUIET, quiet, NULL, KR_FOREVER);
}

/* One stream per thread, seeded from the OS. */
static _Thread_local kr__prng rng;
static _Thread_local bool rng_seeded;

uint64_t kr__backend_random(void)
{
    if (!rng_seeded) {
        uint64_t seed;
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
            seed = (uint64_t)kr__real_wall_now();
        kr__prng_seed(&rng, seed, (uint64_t)(uintptr_t)&rng);
        rng_seeded = true;
    }
    return kr__prng_next(&rng);
}

bool kr__backend_buggify(double p, const char *file, int line)
{
    (void)p;
    (void)file;
    (void)line;
    return false; /* fault points are a simulation-only tool */
}

void kr__backend_probe_hit(const char *name) { (void)name; /* counted by the core */ }

void kr__backend_check_failed(const char *msg) { kr__log("check failed: %s", msg); }
