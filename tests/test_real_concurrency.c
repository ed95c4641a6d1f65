/* Real backend only: many threads against the runtime at once. A process
 * never runs two events at the same time, events from one thread to one
 * process keep their order, nothing is lost, and racing with termination
 * never crashes. Meant to be run under ASan and TSan too. */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#define THREADS 8
#define PROCS 3
#define PER_THREAD 3000 /* a multiple of PROCS */

typedef struct item {
    int thread, seq;
} item;

typedef struct cproc {
    kr_process base;
    atomic_bool in_handler;
    atomic_int overlaps, order_violations, count;
    int last_seq[THREADS]; /* only touched inside handlers */
    int expected;
    kr_promise *done;
} cproc;

static void on_item(kr_process *self, const kr_message *m)
{
    cproc *c = (cproc *)self;
    if (atomic_exchange(&c->in_handler, true))
        atomic_fetch_add(&c->overlaps, 1);
    item it;
    memcpy(&it, m->body, sizeof it);
    if (it.seq <= c->last_seq[it.thread])
        atomic_fetch_add(&c->order_violations, 1);
    c->last_seq[it.thread] = it.seq;
    for (volatile int spin = 0; spin < 50; spin++)
        ;
    atomic_store(&c->in_handler, false);
    if (atomic_fetch_add(&c->count, 1) + 1 == c->expected)
        kr_promise_set(c->done, NULL, NULL);
}

static cproc procs[PROCS];
static kr_pid pids[PROCS];
static atomic_bool go;

static void *poster(void *arg)
{
    int t = (int)(intptr_t)arg;
    while (!atomic_load(&go))
        sched_yield();
    for (int i = 0; i < PER_THREAD; i++) {
        item it = {t, i};
        kr_post(pids[i % PROCS], "item", &it, sizeof it);
    }
    return NULL;
}

static void many_threads_post_to_few_processes(void **state)
{
    (void)state;
    kr_future *done[PROCS];
    for (int p = 0; p < PROCS; p++) {
        cproc *c = &procs[p];
        memset(c, 0, sizeof *c);
        for (int t = 0; t < THREADS; t++)
            c->last_seq[t] = -1;
        c->expected = THREADS * PER_THREAD / PROCS;
        c->done = kr_promise_new();
        done[p] = kr_promise_future(c->done);
        kr_process_init(&c->base, NULL, NULL);
        assert_int_equal(kr_install(&c->base, "item", on_item), 0);
        pids[p] = kr_spawn(&c->base, false);
        assert_false(kr_pid_is_none(pids[p]));
    }

    pthread_t th[THREADS];
    atomic_store(&go, false);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, poster, (void *)(intptr_t)t), 0);
    atomic_store(&go, true);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    for (int p = 0; p < PROCS; p++) {
        kt_await_unref(done[p], KR_READY);
        assert_int_equal(atomic_load(&procs[p].count), procs[p].expected);
        assert_int_equal(atomic_load(&procs[p].overlaps), 0);
        assert_int_equal(atomic_load(&procs[p].order_violations), 0);
        for (int t = 0; t < THREADS; t++)
            assert_int_equal(procs[p].last_seq[t], PER_THREAD - PROCS + p);
        kr_promise_free(procs[p].done);
        procs[p].done = NULL;
    }
}

/* --- many callers awaiting dispatch_call results ------------------------ */

typedef struct counter {
    kr_process base;
    atomic_bool in_handler;
    atomic_int overlaps, calls;
} counter;

static counter shared_counter;
static kr_pid counter_pid;
static atomic_int call_failures;

static void bump(kr_process *self, const void *arg, kr_promise *result)
{
    (void)arg;
    counter *c = (counter *)self;
    if (atomic_exchange(&c->in_handler, true))
        atomic_fetch_add(&c->overlaps, 1);
    int n = atomic_fetch_add(&c->calls, 1) + 1;
    atomic_store(&c->in_handler, false);
    kr_promise_set(result, (void *)(intptr_t)n, NULL);
}

static void *caller(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        kr_future *f = kr_dispatch_call(counter_pid, bump, &i, sizeof i);
        if (!f || !kr_future_await(f, KT_TIMEOUT) || kr_future_state_of(f) != KR_READY)
            atomic_fetch_add(&call_failures, 1);
        kr_future_unref(f);
    }
    return NULL;
}

static void many_threads_await_dispatch_calls(void **state)
{
    (void)state;
    memset(&shared_counter, 0, sizeof shared_counter);
    atomic_store(&call_failures, 0);
    kr_process_init(&shared_counter.base, "counter", NULL);
    counter_pid = kr_spawn(&shared_counter.base, false);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, caller, NULL), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(atomic_load(&call_failures), 0);
    assert_int_equal(atomic_load(&shared_counter.calls), THREADS * 300);
    assert_int_equal(atomic_load(&shared_counter.overlaps), 0);
}

/* --- sending while processes terminate ---------------------------------- */

#define ROUNDS 60

typedef struct victim {
    kr_process base;
    atomic_int *handled;
} victim;

static atomic_int victim_handled, victim_posted, victim_pending_calls;
static atomic_bool stop;
static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static kr_pid current; /* the live victim's pid, with its lookup cache */
static kr_pid stale;   /* the first victim's pid: cache points at old slots */

static void victim_on_hit(kr_process *self, const kr_message *m)
{
    (void)m;
    atomic_fetch_add(((victim *)self)->handled, 1);
}

static void victim_call(kr_process *self, const void *arg, kr_promise *result)
{
    (void)arg;
    atomic_fetch_add(((victim *)self)->handled, 1);
    kr_promise_set(result, NULL, NULL);
}

static void *harasser(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(&current_mu);
        kr_pid target = current;
        pthread_mutex_unlock(&current_mu);
        kr_post(target, "hit", NULL, 0);
        kr_post(stale, "hit", NULL, 0);
        atomic_fetch_add(&victim_posted, 2);
        kr_future *f = kr_dispatch_call(target, victim_call, NULL, 0);
        atomic_fetch_add(&victim_posted, 1);
        /* Answered or abandoned, never left pending. */
        if (!f || !kr_future_await(f, KT_TIMEOUT))
            atomic_fetch_add(&victim_pending_calls, 1);
        kr_future_unref(f);
    }
    return NULL;
}

static void sends_racing_with_termination_never_crash(void **state)
{
    (void)state;
    static victim victims[ROUNDS];
    atomic_store(&victim_handled, 0);
    atomic_store(&victim_posted, 0);
    atomic_store(&victim_pending_calls, 0);
    atomic_store(&stop, false);

    for (int r = 0; r < ROUNDS; r++) {
        memset(&victims[r], 0, sizeof victims[r]);
        victims[r].handled = &victim_handled;
        kr_process_init(&victims[r].base, "victim", NULL);
        assert_int_equal(kr_install(&victims[r].base, "hit", victim_on_hit), 0);
    }
    current = kr_spawn(&victims[0].base, false);
    stale = current;
    assert_false(kr_pid_is_none(current));

    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        assert_int_equal(pthread_create(&th[t], NULL, harasser, NULL), 0);

    for (int r = 0; r < ROUNDS; r++) {
        kr_pid pid;
        pthread_mutex_lock(&current_mu);
        pid = current;
        pthread_mutex_unlock(&current_mu);
        kr_terminate(pid, r % 2 == 0);
        assert_true(kr_wait(pid, KT_TIMEOUT));
        if (r + 1 < ROUNDS) {
            kr_pid next = kr_spawn(&victims[r + 1].base, false);
            assert_false(kr_pid_is_none(next)); /* the id is free again */
            pthread_mutex_lock(&current_mu);
            current = next;
            pthread_mutex_unlock(&current_mu);
        }
    }
    atomic_store(&stop, true);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);

    assert_int_equal(atomic_load(&victim_pending_calls), 0);
    assert_true(atomic_load(&victim_handled) <= atomic_load(&victim_posted));
}

/* --- ids, promises and callbacks under contention ----------------------- */

#define IDS_PER_THREAD 200
static char *ids[THREADS * IDS_PER_THREAD];

static void *id_maker(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < IDS_PER_THREAD; i++)
        ids[t * IDS_PER_THREAD + i] = kr_id_generate("t");
    return NULL;
}

static void id_generate_is_unique_across_threads(void **state)
{
    (void)state;
    enum { N = THREADS * IDS_PER_THREAD };
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, id_maker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    static bool seen[N + 1];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < N; i++) {
        int n = 0;
        char again[32];
        assert_non_null(ids[i]);
        assert_int_equal(sscanf(ids[i], "t(%d)", &n), 1);
        snprintf(again, sizeof again, "t(%d)", n);
        assert_string_equal(ids[i], again);
        assert_in_range(n, 1, N);
        assert_false(seen[n]);
        seen[n] = true;
        free(ids[i]);
    }
}

typedef struct race {
    kr_promise *p;
    kr_future *f;
    atomic_int wins, callbacks;
    atomic_bool go;
} race;

static void race_cb(kr_process *self, kr_future *f, const void *arg)
{
    (void)self;
    (void)f;
    race *r = *(race *const *)arg;
    atomic_fetch_add(&r->callbacks, 1);
}

static void *race_setter(void *arg)
{
    race *r = arg;
    while (!atomic_load(&r->go))
        sched_yield();
    if (kr_promise_set(r->p, NULL, NULL))
        atomic_fetch_add(&r->wins, 1);
    return NULL;
}

static void *race_listener(void *arg)
{
    race *r = arg;
    while (!atomic_load(&r->go))
        sched_yield();
    kr_future_on_any(r->f, KR_PID_NONE, race_cb, &r, sizeof r);
    return NULL;
}

static void completion_races_complete_once_and_call_back_once(void **state)
{
    (void)state;
    for (int i = 0; i < 300; i++) {
        race r;
        memset(&r, 0, sizeof r);
        r.p = kr_promise_new();
        r.f = kr_promise_future(r.p);
        race *rp = &r;
        pthread_t a, b, c;
        assert_int_equal(pthread_create(&a, NULL, race_setter, rp), 0);
        assert_int_equal(pthread_create(&b, NULL, race_setter, rp), 0);
        assert_int_equal(pthread_create(&c, NULL, race_listener, rp), 0);
        atomic_store(&r.go, true);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        pthread_join(c, NULL);
        assert_int_equal(atomic_load(&r.wins), 1);
        assert_int_equal(atomic_load(&r.callbacks), 1);
        kr_future_unref(r.f);
        kr_promise_free(r.p);
    }
}

static kr_pid waited_pid;
static atomic_int waits_true, waiters_started, waiters_blocked;
static atomic_bool terminate_sent;

static void *waiter(void *arg)
{
    (void)arg;
    atomic_fetch_add(&waiters_started, 1);
    /* Blocked: in kr_wait before the terminate was sent (read right before
     * the call), woken with true after it. A waiter that only arrives once
     * the process is gone returns true too, but does not count. */
    bool before = !atomic_load(&terminate_sent);
    if (kr_wait(waited_pid, KT_TIMEOUT)) {
        atomic_fetch_add(&waits_true, 1);
        if (before && atomic_load(&terminate_sent))
            atomic_fetch_add(&waiters_blocked, 1);
    }
    return NULL;
}

static void many_threads_wait_for_one_process(void **state)
{
    (void)state;
    static kr_process p;
    kr_process_init(&p, "awaited", NULL);
    waited_pid = kr_spawn(&p, false);
    atomic_store(&waits_true, 0);
    atomic_store(&waiters_started, 0);
    atomic_store(&waiters_blocked, 0);
    atomic_store(&terminate_sent, false);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, waiter, NULL), 0);
    while (atomic_load(&waiters_started) < THREADS)
        sched_yield();
    /* Give every waiter time to block in kr_wait (a late one would see an
     * unknown pid and rightly return false). */
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_store(&terminate_sent, true);
    kr_terminate(waited_pid, false);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(atomic_load(&waits_true), THREADS);
    assert_int_equal(atomic_load(&waiters_blocked), THREADS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(many_threads_post_to_few_processes),
        KT_TEST(many_threads_await_dispatch_calls),
        KT_TEST(sends_racing_with_termination_never_crash),
        KT_TEST(id_generate_is_unique_across_threads),
        KT_TEST(completion_races_complete_once_and_call_back_once),
        KT_TEST(many_threads_wait_for_one_process),
    };
    return KT_RUN(tests);
}
