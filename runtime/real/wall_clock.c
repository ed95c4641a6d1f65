/* The real backend's clock and timer thread.
 *
 * Time is the wall clock (CLOCK_REALTIME) unless paused; while paused it is
 * a value moved only by advance. One thread sleeps until the earliest timer
 * deadline (or until woken by a new earliest timer, an advance, a resume)
 * and fires what is due, in the heap's (deadline, creation) order, popping
 * kr_delay timers in batches. */
#include "real.h"

#include <pthread.h>
#include <time.h>

kr_time kr__real_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (kr_time)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

kr_time kr__backend_now(void)
{
    return atomic_load(&kr__real.clock.paused) ? atomic_load(&kr__real.clock.paused_time)
                                : kr__real_wall_now() + atomic_load(&kr__real.clock.resume_offset);
}

static void signal_timer_thread(void)
{
    pthread_mutex_lock(&kr__real.clock.lock);
    pthread_cond_signal(&kr__real.clock.changed);
    pthread_mutex_unlock(&kr__real.clock.lock);
}

void kr__backend_pause(void)
{
    pthread_mutex_lock(&kr__real.clock.lock);
    if (!atomic_load(&kr__real.clock.paused)) {
        atomic_store(&kr__real.clock.paused_time,
                     kr__real_wall_now() + atomic_load(&kr__real.clock.resume_offset));
        atomic_store(&kr__real.clock.paused, true);
    }
    pthread_mutex_unlock(&kr__real.clock.lock);
}

void kr__backend_resume(void)
{
    pthread_mutex_lock(&kr__real.clock.lock);
    if (atomic_load(&kr__real.clock.paused)) {
        kr_duration ahead = atomic_load(&kr__real.clock.paused_time) - kr__real_wall_now();
        if (ahead > atomic_load(&kr__real.clock.resume_offset))
            atomic_store(&kr__real.clock.resume_offset, ahead);
        atomic_store(&kr__real.clock.paused, false);
    }
    pthread_mutex_unlock(&kr__real.clock.lock);
    signal_timer_thread();
}

bool kr__backend_paused(void) { return atomic_load(&kr__real.clock.paused); }

void kr__backend_advance_to(kr_time t)
{
    pthread_mutex_lock(&kr__real.clock.lock);
    if (t > atomic_load(&kr__real.clock.paused_time))
        atomic_store(&kr__real.clock.paused_time, t);
    pthread_cond_signal(&kr__real.clock.changed);
    pthread_mutex_unlock(&kr__real.clock.lock);
}

void kr__backend_timers_changed(void) { signal_timer_thread(); }

#define FIRE_BATCH 64

/* Fires what is due, taking the timer lock once per batch (workers take it
 * to add timers meanwhile). */
static void fire_due(void)
{
    kr__timer *due[FIRE_BATCH];
    size_t n;
    do {
        n = kr__timers_pop_due_batch(kr__backend_now(), due, FIRE_BATCH);
        for (size_t i = 0; i < n; i++)
            kr__timer_fire(due[i]);
    } while (n > 0);
}

static void *timer_main(void *arg)
{
    (void)arg;
    /* Timers are made on workers from their event pools and freed here;
     * with a pool of its own this thread hands them back in batches (and
     * the events its timers make need no malloc). Flushed before waiting. */
    kr__event_pool_attach();
    pthread_mutex_lock(&kr__real.clock.lock);
    while (!kr__real.clock.stopping) {
        kr_time now = kr__backend_now();
        kr_time next = kr__timers_next_deadline();
        if (next <= now) {
            /* Count as busy before popping, so settle never sees a due
             * timer gone but its dispatch not yet queued. */
            atomic_fetch_add(&kr__real.busy, 1);
            pthread_mutex_unlock(&kr__real.clock.lock);
            fire_due();
            kr__real_busy_done();
            pthread_mutex_lock(&kr__real.clock.lock);
            continue;
        }
        kr__event_pool_flush(); /* freed blocks go home before we sleep */
        if (atomic_load(&kr__real.clock.paused) || next == INT64_MAX) {
            pthread_cond_wait(&kr__real.clock.changed, &kr__real.clock.lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        kr_duration wait = next - now;
        if (wait > KR_SEC(1))
            wait = KR_SEC(1); /* re-read the wall clock now and then */
        until.tv_sec += wait / 1000000000LL;
        until.tv_nsec += wait % 1000000000LL;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&kr__real.clock.changed, &kr__real.clock.lock, &until);
    }
    pthread_mutex_unlock(&kr__real.clock.lock);
    kr__event_pool_detach();
    return NULL;
}

int kr__real_clock_start(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&kr__real.clock.changed, &a);
    pthread_condattr_destroy(&a);
    if (pthread_create(&kr__real.clock.timer_thread, NULL, timer_main, NULL) != 0)
        return KR_ENOMEM;
    kr__real.clock.timer_thread_started = true;
    return 0;
}

void kr__real_clock_stop(void)
{
    if (kr__real.clock.timer_thread_started) {
        pthread_mutex_lock(&kr__real.clock.lock);
        kr__real.clock.stopping = true;
        pthread_cond_signal(&kr__real.clock.changed);
        pthread_mutex_unlock(&kr__real.clock.lock);
        pthread_join(kr__real.clock.timer_thread, NULL);
        kr__real.clock.timer_thread_started = false;
    }
    pthread_cond_destroy(&kr__real.clock.changed);
    atomic_store(&kr__real.clock.paused, false); /* finalize resumes the clock, as libprocess */
}

/* One clock for every process of this node: deadlines need no translation. */
kr_time kr__backend_deadline(kr_time local) { return local; }
