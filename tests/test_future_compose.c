/* Future composition: then, recover, ready/failed, on_ready & co., promise
 * discard listeners, await_all and select (libprocess' FutureTest: OnAny,
 * Then, Chain, Discard1-3, Select, Abandoned, AbandonedChain, Recover*).
 * Written only against the contract's functions, so it also shows that such
 * a program compiles and behaves the same against both libraries. */
#include "harness.h"

static int *new_int(int v)
{
    int *p = malloc(sizeof *p);
    assert_non_null(p);
    *p = v;
    return p;
}

static int int_of(kr_future *f) { return *(int *)kr_future_value(f); }

static atomic_int calls;
static _Atomic(kr_process *) seen_self;

static kr_future *add_one(kr_process *self, kr_future *done, const void *arg)
{
    (void)arg;
    atomic_fetch_add(&calls, 1);
    atomic_store(&seen_self, self);
    return kr_future_ready(new_int(int_of(done) + 1), free);
}

/* Returns the future of the promise passed (by pointer) in arg. */
static kr_future *follow_promise(kr_process *self, kr_future *done, const void *arg)
{
    (void)self;
    (void)done;
    atomic_fetch_add(&calls, 1);
    return kr_promise_future(*(kr_promise *const *)arg);
}

static kr_future *recovered_7(kr_process *self, kr_future *done, const void *arg)
{
    (void)self;
    (void)done;
    (void)arg;
    atomic_fetch_add(&calls, 1);
    return kr_future_ready(new_int(7), free);
}

static void then_runs_on_ready_and_follows_the_continuation(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *g = kr_future_then(f, KR_PID_NONE, add_one, NULL, 0);
    kr_future *h = kr_future_then(g, KR_PID_NONE, add_one, NULL, 0);
    assert_int_equal(kr_future_state_of(h), KR_PENDING);
    kr_promise_set(p, new_int(40), free);
    kt_await_state(h, KR_READY);
    assert_int_equal(int_of(h), 42);
    assert_int_equal(atomic_load(&calls), 2);
    assert_null(atomic_load(&seen_self)); /* no ctx: no process */
    kr_future_unref(f);
    kr_future_unref(g);
    kr_future_unref(h);
    kr_promise_free(p);

    /* On an already complete future the continuation runs at once. */
    f = kr_future_ready(new_int(1), free);
    g = kr_future_then(f, KR_PID_NONE, add_one, NULL, 0);
    assert_int_equal(kr_future_state_of(g), KR_READY);
    assert_int_equal(int_of(g), 2);
    kr_future_unref(f);
    kr_future_unref(g);
}

static void then_passes_failure_discard_and_abandonment_through(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    kr_future *failed = kr_future_failed("boom");
    kr_future *g = kr_future_then(failed, KR_PID_NONE, add_one, NULL, 0);
    assert_int_equal(kr_future_state_of(g), KR_FAILED);
    assert_string_equal(kr_future_error(g), "boom");
    kr_future_unref(g);
    kr_future_unref(failed);

    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    g = kr_future_then(f, KR_PID_NONE, add_one, NULL, 0);
    kr_promise_discard(p);
    assert_int_equal(kr_future_state_of(g), KR_DISCARDED);
    kr_future_unref(g);
    kr_future_unref(f);
    kr_promise_free(p);

    /* FutureTest.AbandonedChain: abandonment flows down the chain. */
    p = kr_promise_new();
    f = kr_promise_future(p);
    g = kr_future_then(f, KR_PID_NONE, add_one, NULL, 0);
    kr_future *h = kr_future_then(g, KR_PID_NONE, add_one, NULL, 0);
    kr_promise_free(p);
    assert_int_equal(kr_future_state_of(h), KR_ABANDONED);
    assert_int_equal(atomic_load(&calls), 0);
    kr_future_unref(f);
    kr_future_unref(g);
    kr_future_unref(h);
}

/* ProcessTest.Defer2: with a ctx the continuation runs inside the process. */
static void then_with_a_context_runs_in_that_process(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    static kr_process proc;
    kr_process_init(&proc, "then-home", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    kr_future *f = kr_future_ready(new_int(41), free);
    kr_future *g = kr_future_then(f, pid, add_one, NULL, 0);
    kt_await_state(g, KR_READY);
    assert_int_equal(int_of(g), 42);
    assert_ptr_equal(atomic_load(&seen_self), &proc);
    kr_future_unref(f);
    kr_future_unref(g);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

/* A chain whose ctx process is gone is ABANDONED, never pending forever. */
static void then_with_a_gone_context_is_abandoned(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    static kr_process proc;
    kr_process_init(&proc, "then-gone", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *g = kr_future_then(f, pid, add_one, NULL, 0);
    kr_future *r = kr_future_recover(f, pid, recovered_7, NULL, 0);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kr_promise_fail(p, "late");
    kt_await_state(g, KR_FAILED); /* not run: passes the failure */
    kt_await_state(r, KR_ABANDONED);
    kr_future *h = kr_future_then(g, pid, add_one, NULL, 0);
    kt_await_state(h, KR_FAILED);
    kr_future *ok = kr_future_ready(new_int(1), free);
    kr_future *k = kr_future_then(ok, pid, add_one, NULL, 0);
    kt_await_state(k, KR_ABANDONED);
    assert_int_equal(atomic_load(&calls), 0);
    kr_future_unref(f);
    kr_future_unref(g);
    kr_future_unref(h);
    kr_future_unref(r);
    kr_future_unref(ok);
    kr_future_unref(k);
    kr_promise_free(p);
}

/* FutureTest.Discard1/2/3: a discard on the result reaches the future the
 * chain waits on; the producer decides. */
static void a_discard_travels_up_the_chain(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    kr_promise *p1 = kr_promise_new();
    kr_future *f1 = kr_promise_future(p1);
    kr_promise *p2 = kr_promise_new();
    kr_future *g = kr_future_then(f1, KR_PID_NONE, follow_promise, &p2, sizeof p2);
    kr_future_discard(g);
    assert_true(kr_future_discard_requested(f1));
    assert_int_equal(kr_future_state_of(g), KR_PENDING);
    /* Discard1: the source still becomes READY, but the continuation never
     * runs: the result is DISCARDED. */
    kr_promise_set(p1, NULL, NULL);
    assert_int_equal(kr_future_state_of(g), KR_DISCARDED);
    assert_int_equal(atomic_load(&calls), 0);
    kr_future_unref(f1);
    kr_future_unref(g);
    kr_promise_free(p1);

    /* Discard3: the producer fails instead. */
    p1 = kr_promise_new();
    f1 = kr_promise_future(p1);
    g = kr_future_then(f1, KR_PID_NONE, follow_promise, &p2, sizeof p2);
    kr_future_discard(g);
    kr_promise_fail(p1, "no");
    assert_int_equal(kr_future_state_of(g), KR_FAILED);
    kr_future_unref(f1);
    kr_future_unref(g);
    kr_promise_free(p1);

    /* Discard2: once the continuation's future is in flight the request
     * goes there. */
    p1 = kr_promise_new();
    f1 = kr_promise_future(p1);
    g = kr_future_then(f1, KR_PID_NONE, follow_promise, &p2, sizeof p2);
    kr_promise_set(p1, NULL, NULL);
    assert_int_equal(atomic_load(&calls), 1);
    kr_future *f2 = kr_promise_future(p2);
    assert_false(kr_future_discard_requested(f2));
    kr_future_discard(g);
    assert_true(kr_future_discard_requested(f2));
    assert_false(kr_future_discard_requested(f1)); /* already complete */
    kr_promise_discard(p2);
    assert_int_equal(kr_future_state_of(g), KR_DISCARDED);
    kr_future_unref(f1);
    kr_future_unref(f2);
    kr_future_unref(g);
    kr_promise_free(p1);
    kr_promise_free(p2);
}

/* FutureTest.Chain: discarding the head's promise discards the chain. */
static void discarding_the_head_discards_the_chain(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *chain[4];
    chain[0] = kr_future_then(f, KR_PID_NONE, add_one, NULL, 0);
    for (int i = 1; i < 4; i++)
        chain[i] = kr_future_then(chain[i - 1], KR_PID_NONE, add_one, NULL, 0);
    kr_promise_discard(p);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(kr_future_state_of(chain[i]), KR_DISCARDED);
        kr_future_unref(chain[i]);
    }
    kr_future_unref(f);
    kr_promise_free(p);
}

/* FutureTest.Recover*: recover catches failed, discarded and abandoned; a
 * READY input passes through. */
static void recover_catches_everything_but_ready(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    kr_future *in[3];
    in[0] = kr_future_failed("bad");
    kr_promise *p = kr_promise_new();
    in[1] = kr_promise_future(p);
    kr_promise_discard(p);
    kr_promise_free(p);
    p = kr_promise_new();
    in[2] = kr_promise_future(p);
    kr_promise_free(p); /* abandoned */
    for (int i = 0; i < 3; i++) {
        kr_future *r = kr_future_recover(in[i], KR_PID_NONE, recovered_7, NULL, 0);
        kt_await_state(r, KR_READY);
        assert_int_equal(int_of(r), 7);
        kr_future_unref(r);
        kr_future_unref(in[i]);
    }
    assert_int_equal(atomic_load(&calls), 3);

    kr_future *ok = kr_future_ready(new_int(3), free);
    kr_future *r = kr_future_recover(ok, KR_PID_NONE, recovered_7, NULL, 0);
    assert_int_equal(kr_future_state_of(r), KR_READY);
    assert_int_equal(int_of(r), 3);
    assert_int_equal(atomic_load(&calls), 3);
    kr_future_unref(ok);
    kr_future_unref(r);
}

/* FutureTest.RecoverDiscard: a discard that made the input DISCARDED does
 * not reach the recovered future unless requested again. */
static void discard_does_not_cross_recover_until_requested_again(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    kr_promise *p1 = kr_promise_new(), *p2 = kr_promise_new();
    kr_future *f1 = kr_promise_future(p1), *f2 = kr_promise_future(p2);
    kr_future *r = kr_future_recover(f1, KR_PID_NONE, follow_promise, &p2, sizeof p2);
    kr_future_discard(r);
    assert_true(kr_future_discard_requested(f1));
    kr_promise_discard(p1);
    assert_int_equal(atomic_load(&calls), 1);
    assert_false(kr_future_discard_requested(f2));
    assert_false(kr_future_discard_requested(r));
    kr_future_discard(r);
    assert_true(kr_future_discard_requested(f2));
    kr_promise_set(p2, new_int(9), free);
    assert_int_equal(kr_future_state_of(r), KR_READY);
    assert_int_equal(int_of(r), 9);
    kr_future_unref(f1);
    kr_future_unref(f2);
    kr_future_unref(r);
    kr_promise_free(p1);
    kr_promise_free(p2);
}

static kr_future *returns_null(kr_process *self, kr_future *done, const void *arg)
{
    (void)self;
    (void)done;
    (void)arg;
    return NULL;
}

static void bad_arguments_are_errors_not_crashes(void **state)
{
    (void)state;
    kr_future *f = kr_future_ready(NULL, NULL);
    assert_null(kr_future_then(NULL, KR_PID_NONE, add_one, NULL, 0));
    assert_null(kr_future_then(f, KR_PID_NONE, NULL, NULL, 0));
    assert_null(kr_future_recover(f, KR_PID_NONE, add_one, NULL, 4));
    assert_null(kr_future_select(NULL, 2));
    kr_future *holes[2] = {f, NULL};
    assert_null(kr_future_await_all(holes, 2));
    kr_future_on_ready(NULL, KR_PID_NONE, NULL, NULL, 0);
    kr_promise_on_discard(NULL, KR_PID_NONE, NULL, NULL, 0);
    /* A continuation that breaks the contract fails the result. */
    kr_future *g = kr_future_then(f, KR_PID_NONE, returns_null, NULL, 0);
    assert_int_equal(kr_future_state_of(g), KR_FAILED);
    kr_future_unref(g);
    kr_future_unref(f);
}

/* --- filtered callbacks (FutureTest.OnAny/Then: only matching ones run) --- */

static atomic_int mask_seen;
static void mark(kr_process *self, kr_future *f, const void *arg)
{
    (void)self;
    (void)f;
    atomic_fetch_add(&mask_seen, *(const int *)arg);
}

static void state_callbacks_run_only_for_their_state(void **state)
{
    (void)state;
    static const int one = 1, ten = 10, hundred = 100, thousand = 1000, any = 10000;
    kr_future_state want[4] = {KR_READY, KR_FAILED, KR_DISCARDED, KR_ABANDONED};
    int expect[4] = {1, 10, 100, 1000};
    for (int i = 0; i < 4; i++) {
        atomic_store(&mask_seen, 0);
        kr_promise *p = kr_promise_new();
        kr_future *f = kr_promise_future(p);
        kr_future_on_ready(f, KR_PID_NONE, mark, &one, sizeof one);
        kr_future_on_failed(f, KR_PID_NONE, mark, &ten, sizeof ten);
        kr_future_on_discarded(f, KR_PID_NONE, mark, &hundred, sizeof hundred);
        kr_future_on_abandoned(f, KR_PID_NONE, mark, &thousand, sizeof thousand);
        kr_future_on_any(f, KR_PID_NONE, mark, &any, sizeof any);
        if (want[i] == KR_READY)
            kr_promise_set(p, NULL, NULL);
        else if (want[i] == KR_FAILED)
            kr_promise_fail(p, "x");
        else if (want[i] == KR_DISCARDED)
            kr_promise_discard(p);
        kr_promise_free(p);
        assert_int_equal(atomic_load(&mask_seen), expect[i] + any);
        /* Added after completion: runs at once, still filtered. */
        kr_future_on_ready(f, KR_PID_NONE, mark, &one, sizeof one);
        kr_future_on_failed(f, KR_PID_NONE, mark, &ten, sizeof ten);
        assert_int_equal(atomic_load(&mask_seen),
                         2 * expect[i] * (i < 2) + expect[i] * (i >= 2) + any);
        kr_future_unref(f);
    }
}

/* --- kr_promise_on_discard ------------------------------------------------ */

static atomic_int discards_heard;
static _Atomic(kr_process *) discard_self;
static void heard(kr_process *self, const void *arg)
{
    atomic_store(&discard_self, self);
    atomic_fetch_add(&discards_heard, *(const int *)arg);
}

static void on_discard_honour(kr_process *self, const void *arg)
{
    (void)self;
    kr_promise_discard(*(kr_promise *const *)arg);
}

static void the_producer_hears_a_discard_request(void **state)
{
    (void)state;
    atomic_store(&discards_heard, 0);
    static const int one = 1;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_promise_on_discard(p, KR_PID_NONE, heard, &one, sizeof one);
    assert_int_equal(atomic_load(&discards_heard), 0);
    kr_future_discard(f);
    kr_future_discard(f); /* once only */
    assert_int_equal(atomic_load(&discards_heard), 1);
    /* Registered after the request: heard at once. */
    kr_promise_on_discard(p, KR_PID_NONE, heard, &one, sizeof one);
    assert_int_equal(atomic_load(&discards_heard), 2);
    kr_future_unref(f);
    kr_promise_free(p);

    /* Completed first: never heard. */
    p = kr_promise_new();
    f = kr_promise_future(p);
    kr_promise_on_discard(p, KR_PID_NONE, heard, &one, sizeof one);
    kr_promise_set(p, NULL, NULL);
    kr_future_discard(f);
    assert_int_equal(atomic_load(&discards_heard), 2);
    kr_future_unref(f);
    kr_promise_free(p);

    /* With a ctx it is heard in the process, which honours it. */
    static kr_process proc;
    kr_process_init(&proc, "producer", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    p = kr_promise_new();
    f = kr_promise_future(p);
    kr_promise_on_discard(p, pid, heard, &one, sizeof one);
    kr_promise_on_discard(p, pid, on_discard_honour, &p, sizeof p);
    kr_future_discard(f);
    kt_await_state(f, KR_DISCARDED);
    kt_flush(pid);
    assert_int_equal(atomic_load(&discards_heard), 3);
    assert_ptr_equal(atomic_load(&discard_self), &proc);
    kr_future_unref(f);
    kr_promise_free(p);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

/* --- await_all and select --------------------------------------------------- */

static void await_all_is_ready_once_nothing_is_pending(void **state)
{
    (void)state;
    kr_promise *p[3] = {kr_promise_new(), kr_promise_new(), kr_promise_new()};
    kr_future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = kr_promise_future(p[i]);
    kr_future *all = kr_future_await_all(fs, 3);
    kr_promise_fail(p[1], "one failed");
    assert_int_equal(kr_future_state_of(all), KR_PENDING); /* unlike kr_future_all */
    kr_promise_set(p[0], NULL, NULL);
    kr_promise_free(p[2]);
    p[2] = NULL; /* abandoned */
    assert_int_equal(kr_future_state_of(all), KR_READY);
    kr_future *const *v = kr_future_value(all);
    assert_int_equal(kr_future_state_of(v[0]), KR_READY);
    assert_int_equal(kr_future_state_of(v[1]), KR_FAILED);
    assert_int_equal(kr_future_state_of(v[2]), KR_ABANDONED);
    for (int i = 0; i < 3; i++) {
        kr_future_unref(fs[i]);
        kr_promise_free(p[i]);
    }
    kr_future_unref(all);

    kr_future *none = kr_future_await_all(NULL, 0);
    assert_int_equal(kr_future_state_of(none), KR_READY);
    kr_future_unref(none);

    /* A discard request is forwarded to every input. */
    kr_promise *q = kr_promise_new();
    kr_future *qf = kr_promise_future(q);
    all = kr_future_await_all(&qf, 1);
    kr_future_discard(all);
    assert_true(kr_future_discard_requested(qf));
    kr_promise_discard(q);
    assert_int_equal(kr_future_state_of(all), KR_READY);
    kr_future_unref(all);
    kr_future_unref(qf);
    kr_promise_free(q);
}

static void select_gives_the_first_ready_input(void **state)
{
    (void)state;
    kr_promise *p[3] = {kr_promise_new(), kr_promise_new(), kr_promise_new()};
    kr_future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = kr_promise_future(p[i]);
    kr_future *s = kr_future_select(fs, 3);
    kr_promise_fail(p[0], "ignored"); /* failures are skipped */
    assert_int_equal(kr_future_state_of(s), KR_PENDING);
    kr_promise_set(p[2], new_int(2), free);
    kr_promise_set(p[1], new_int(1), free);
    assert_int_equal(kr_future_state_of(s), KR_READY);
    assert_ptr_equal(kr_future_value(s), fs[2]);
    for (int i = 0; i < 3; i++) {
        kr_future_unref(fs[i]);
        kr_promise_free(p[i]);
    }
    kr_future_unref(s); /* drops the last reference to the winner */

    /* Fails only once every input failed, was discarded or abandoned. */
    kr_promise *q[2] = {kr_promise_new(), kr_promise_new()};
    kr_future *qs[2] = {kr_promise_future(q[0]), kr_promise_future(q[1])};
    s = kr_future_select(qs, 2);
    kr_future_discard(s);
    assert_true(kr_future_discard_requested(qs[0]));
    assert_true(kr_future_discard_requested(qs[1]));
    kr_promise_discard(q[0]);
    assert_int_equal(kr_future_state_of(s), KR_PENDING);
    kr_promise_free(q[1]);
    q[1] = NULL; /* abandoned */
    assert_int_equal(kr_future_state_of(s), KR_FAILED);
    for (int i = 0; i < 2; i++) {
        kr_future_unref(qs[i]);
        kr_promise_free(q[i]);
    }
    kr_future_unref(s);

    s = kr_future_select(NULL, 0);
    assert_int_equal(kr_future_state_of(s), KR_FAILED);
    kr_future_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(then_runs_on_ready_and_follows_the_continuation),
        KT_TEST(then_passes_failure_discard_and_abandonment_through),
        KT_TEST(then_with_a_context_runs_in_that_process),
        KT_TEST(then_with_a_gone_context_is_abandoned),
        KT_TEST(a_discard_travels_up_the_chain),
        KT_TEST(discarding_the_head_discards_the_chain),
        KT_TEST(recover_catches_everything_but_ready),
        KT_TEST(discard_does_not_cross_recover_until_requested_again),
        KT_TEST(bad_arguments_are_errors_not_crashes),
        KT_TEST(state_callbacks_run_only_for_their_state),
        KT_TEST(the_producer_hears_a_discard_request),
        KT_TEST(await_all_is_ready_once_nothing_is_pending),
        KT_TEST(select_gives_the_first_ready_input),
    };
    return KT_RUN(tests);
}
