/* Helpers shared by the Kairos tests. Each test file includes this header
 * first; the same file is compiled against both backends.
 *
 * Rules the tests follow so one source passes on both backends:
 * - never sleep to wait for an outcome: await a future, kr_wait a pid, or
 *   settle a paused clock (on sim these run the simulation);
 * - never call cmocka asserts from handlers (on real they run on worker
 *   threads): handlers record what they saw, the test asserts afterwards. */
#ifndef KAIROS_TESTS_HARNESS_H
#define KAIROS_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kairos/kairos.h>

#ifndef KAIROS_SIM
#include <pthread.h>
#endif

/* Upper bound for anything a test waits for; outcomes normally arrive in
 * milliseconds (real) or in virtual time (sim). */
#define KT_TIMEOUT KR_SEC(30)
#define KT_DEFAULT_SEED 1

#ifdef KAIROS_SIM
#define KT_BACKEND "sim"
#else
#define KT_BACKEND "real"
#endif

/* The configuration every test starts from. On sim the seed comes from
 * KAIROS_SEED (left for kr_init to read) or KT_DEFAULT_SEED; on real a few
 * workers unless KAIROS_WORKERS says otherwise. */
static inline kr_config kt_config(void)
{
    kr_config c;
    memset(&c, 0, sizeof c);
#ifdef KAIROS_SIM
    const char *seed = getenv("KAIROS_SEED");
    c.seed = (seed && *seed) ? 0 : KT_DEFAULT_SEED;
#else
    c.workers = getenv("KAIROS_WORKERS") ? 0 : 4;
#endif
    return c;
}

static inline int kt_setup(void **state)
{
    (void)state;
    kr_config c = kt_config();
    int rc = kr_init(&c);
    if (rc != 0) {
        fprintf(stderr, "kr_init failed: %s\n", kr_strerror(rc));
        return -1;
    }
    return 0;
}

static inline void kt_release(void);

static inline int kt_teardown(void **state)
{
    (void)state;
    kt_release(); /* a failed test may leave a worker held */
    kr_finalize();
    return 0;
}

#define KT_TEST(fn) cmocka_unit_test_setup_teardown(fn, kt_setup, kt_teardown)
/* For tests that manage kr_init/kr_finalize themselves. */
#define KT_BARE_TEST(fn) cmocka_unit_test_teardown(fn, kt_teardown)

/* Runs a group from main(), first printing the backend and seed so a
 * failure can be reproduced: return KT_RUN(tests); */
static inline void kt_banner(void)
{
    const char *seed = getenv("KAIROS_SEED");
    fprintf(stderr, "# backend=%s seed=%s\n", KT_BACKEND, seed ? seed : "1 (default)");
}
#define KT_RUN(tests) (kt_banner(), cmocka_run_group_tests(tests, NULL, NULL))

/* Waits (bounded) for f to complete and checks its final state. */
#define kt_await_state(f, st)                                                  \
    do {                                                                       \
        kr_future *kt__f = (f);                                                \
        assert_non_null(kt__f);                                                \
        assert_true(kr_future_await(kt__f, KT_TIMEOUT));                       \
        assert_int_equal(kr_future_state_of(kt__f), (st));                     \
    } while (0)

/* Awaits f, checks it is in state st, and releases it. */
#define kt_await_unref(f, st)                                                  \
    do {                                                                       \
        kr_future *kt__g = (f);                                                \
        kt_await_state(kt__g, st);                                             \
        kr_future_unref(kt__g);                                                \
    } while (0)

/* kr_clock_settle with the clock paused (libprocess requires a paused clock
 * for settle); restores the previous clock state. */
static inline void kt_settle(void)
{
    bool was_paused = kr_clock_paused();
    if (!was_paused)
        kr_clock_pause();
    kr_clock_settle();
    if (!was_paused)
        kr_clock_resume();
}

/* A round trip through `pid`'s queue: returns once every event enqueued to it
 * from this thread before the call has been served. */
static inline void kt_noop_call(kr_process *self, const void *arg, kr_promise *r)
{
    (void)self;
    (void)arg;
    kr_promise_set(r, NULL, NULL);
}
static inline void kt_flush(kr_pid pid)
{
    kt_await_unref(kr_dispatch_call(pid, kt_noop_call, NULL, 0), KR_READY);
}

/* kt_hold(pid) makes sure pid serves nothing until kt_release(), so the test
 * can queue events behind it deterministically (libprocess tests block a
 * process the same way). On real, pid is made busy running a function that
 * waits on a gate; on sim nothing runs while the driving thread queues
 * events, so it only settles (pid initialized and idle). */
#ifndef KAIROS_SIM
static pthread_mutex_t kt_gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kt_gate_cv = PTHREAD_COND_INITIALIZER;
static bool kt_gate_closed;

static inline void kt_gate_wait(kr_process *self, const void *arg, kr_promise *entered)
{
    (void)self;
    (void)arg;
    kr_promise_set(entered, NULL, NULL);
    pthread_mutex_lock(&kt_gate_mu);
    while (kt_gate_closed)
        pthread_cond_wait(&kt_gate_cv, &kt_gate_mu);
    pthread_mutex_unlock(&kt_gate_mu);
}
#endif

static inline void kt_hold(kr_pid pid)
{
#ifdef KAIROS_SIM
    kt_settle();
    (void)pid;
#else
    pthread_mutex_lock(&kt_gate_mu);
    kt_gate_closed = true;
    pthread_mutex_unlock(&kt_gate_mu);
    kt_await_unref(kr_dispatch_call(pid, kt_gate_wait, NULL, 0), KR_READY);
#endif
}

static inline void kt_release(void)
{
#ifndef KAIROS_SIM
    pthread_mutex_lock(&kt_gate_mu);
    kt_gate_closed = false;
    pthread_cond_broadcast(&kt_gate_cv);
    pthread_mutex_unlock(&kt_gate_mu);
#endif
}

/* A pid nobody owns, on this node's address. */
static inline kr_pid kt_ghost_pid(const char *id)
{
    char addr[64], text[KR_PID_STRLEN_MAX];
    kr_pid p = KR_PID_NONE;
    if (kr_address(addr, sizeof addr) != 0)
        strcpy(addr, "127.0.0.1:1");
    snprintf(text, sizeof text, "%s@%s", id, addr);
    if (kr_pid_parse(text, &p) != 0)
        fprintf(stderr, "kt_ghost_pid: cannot parse %s\n", text);
    return p;
}

#endif
