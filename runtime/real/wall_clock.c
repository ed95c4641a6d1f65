/* The real backend's clock and timer thread.
 *
 * Time is the wall clock (CLOCK_REALTIME) unless paused; while paused it is
 * a value moved only by advance. One thread sleeps until the earliest timer
 * deadline (or until woken by a new earliest timer, an advance, a resume)
 * and fires what is due, in the heap's (deadline, creation) order. */
#include "real.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t clock_changed;
static atomic_bool paused;
static _Atomic kr_time paused_time;
/* Added to the wall clock after a resume, so time never runs backwards
 * when a test advanced paused time past the wall clock. */
static _Atomic kr_duration resume_offset;
static bool stopping;
static pthread_t timer_thread;
static bool timer_thread_started;

kr_time kr__real_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (kr_time)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

kr_time kr__backend_now(void)
{
    return atomic_load(&paused) ? atomic_load(&paused_time)
                                : kr__real_wall_now() + atomic_load(&resume_offset);
}

static void signal_timer_thread(void)
{
    pthread_mutex_lock(&clock_lock);
    pthread_cond_signal(&clock_changed);
    pthread_mutex_unlock(&clock_lock);
}

void kr__backend_pause(void)
{
    pthread_mutex_lock(&clock_lock);
    if (!atomic_load(&paused)) {
        atomic_store(&paused_time, kr__real_wall_now() + atomic_load(&resume_offset));
        atomic_store(&paused, true);
    }
    pthread_mutex_unlock(&clock_lock);
}

void kr__backend_resume(void)
{
    pthread_mutex_lock(&clock_lock);
    if (atomic_load(&paused)) {
        kr_duration ahead = atomic_load(&paused_time) - kr__real_wall_now();
        if (ahead > atomic_load(&resume_offset))
            atomic_store(&resume_offset, ahead);
        atomic_store(&paused, false);
    }
    pthread_mutex_unlock(&clock_lock);
    signal_timer_thread();
}

bool kr__backend_paused(void) { return atomic_load(&paused); }

void kr__backend_advance_to(kr_time t)
{
    pthread_mutex_lock(&clock_lock);
    if (t > atomic_load(&paused_time))
        atomic_store(&paused_time, t);
    pthread_cond_signal(&clock_changed);
    pthread_mutex_unlock(&clock_lock);
}

void kr__backend_timers_changed(void) { signal_timer_thread(); }

static void fire_due(void)
{
    kr__timer *t;
    while ((t = kr__timers_pop_due(kr__backend_now(), NULL)) != NULL)
        kr__timer_fire(t);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&clock_lock);
    while (!stopping) {
        kr_time now = kr__backend_now();
        kr_time next = kr__timers_next_deadline();
        if (next <= now) {
            /* Count as busy before popping, so settle never sees a due
             * timer gone but its dispatch not yet queued. */
            atomic_fetch_add(&kr__real_busy, 1);
            pthread_mutex_unlock(&clock_lock);
            fire_due();
            kr__real_busy_done();
            pthread_mutex_lock(&clock_lock);
            continue;
        }
        if (atomic_load(&paused) || next == INT64_MAX) {
            pthread_cond_wait(&clock_changed, &clock_lock);
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
        pthread_cond_timedwait(&clock_changed, &clock_lock, &until);
    }
    pthread_mutex_unlock(&clock_lock);
    return NULL;
}

int kr__real_clock_start(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&clock_changed, &a);
    pthread_condattr_destroy(&a);
    atomic_store(&paused, false);
    atomic_store(&resume_offset, 0);
    stopping = false;
    if (pthread_create(&timer_thread, NULL, timer_main, NULL) != 0)
        return KR_ENOMEM;
    timer_thread_started = true;
    return 0;
}

void kr__real_clock_stop(void)
{
    if (timer_thread_started) {
        pthread_mutex_lock(&clock_lock);
        stopping = true;
        pthread_cond_signal(&clock_changed);
        pthread_mutex_unlock(&clock_lock);
        pthread_join(timer_thread, NULL);
        timer_thread_started = false;
    }
    pthread_cond_destroy(&clock_changed);
    atomic_store(&paused, false); /* finalize resumes the clock, as libprocess */
}

/* One clock for every process of this node: deadlines need no translation. */
kr_time kr__backend_deadline(kr_time local) { return local; }
