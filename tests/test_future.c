/* Futures and promises: states, values, callbacks, discard requests,
 * kr_future_all, kr_future_after, stringification (libprocess' future_tests,
 * collect_tests and after_tests). */
#include "harness.h"

static atomic_int freed;
static void count_free(void *v)
{
    atomic_fetch_add(&freed, 1);
    free(v);
}

static int *new_int(int v)
{
    int *p = malloc(sizeof *p);
    assert_non_null(p);
    *p = v;
    return p;
}

static void set_makes_the_future_ready_with_the_value(void **state)
{
    (void)state;
    atomic_store(&freed, 0);
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    assert_int_equal(kr_future_state_of(f), KR_PENDING);
    assert_null(kr_future_value(f));

    int *v = new_int(5);
    assert_true(kr_promise_set(p, v, count_free));
    assert_int_equal(kr_future_state_of(f), KR_READY);
    assert_ptr_equal(kr_future_value(f), v);
    assert_null(kr_future_error(f));

    kr_future_unref(f);
    kr_promise_free(p);
    assert_int_equal(atomic_load(&freed), 1); /* freed with the state */
}

static void fail_makes_the_future_failed_with_a_copy_of_the_reason(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    char reason[16] = "disk full";
    assert_true(kr_promise_fail(p, reason));
    strcpy(reason, "overwritten");
    assert_int_equal(kr_future_state_of(f), KR_FAILED);
    assert_string_equal(kr_future_error(f), "disk full");
    assert_null(kr_future_value(f));
    kr_future_unref(f);
    kr_promise_free(p);
}

static void discard_makes_the_future_discarded(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    assert_true(kr_promise_discard(p));
    assert_int_equal(kr_future_state_of(f), KR_DISCARDED);
    assert_null(kr_future_value(f));
    assert_null(kr_future_error(f));
    kr_future_unref(f);
    kr_promise_free(p);
}

static void freeing_a_pending_promise_abandons_its_future(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_promise_free(p);
    assert_int_equal(kr_future_state_of(f), KR_ABANDONED);
    assert_true(kr_future_await(f, 0)); /* final: nothing waits on it */
    kr_future_unref(f);

    /* Freeing a completed promise changes nothing. */
    p = kr_promise_new();
    f = kr_promise_future(p);
    kr_promise_set(p, NULL, NULL);
    kr_promise_free(p);
    assert_int_equal(kr_future_state_of(f), KR_READY);
    kr_future_unref(f);
}

static void a_future_completes_only_once(void **state)
{
    (void)state;
    atomic_store(&freed, 0);
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    int *first = new_int(1), *second = new_int(2);
    assert_true(kr_promise_set(p, first, count_free));
    assert_false(kr_promise_set(p, second, count_free));
    assert_false(kr_promise_fail(p, "late"));
    assert_false(kr_promise_discard(p));
    assert_int_equal(kr_future_state_of(f), KR_READY);
    assert_ptr_equal(kr_future_value(f), first);
    assert_int_equal(atomic_load(&freed), 0); /* `second` is still ours */
    assert_int_equal(*second, 2);
    free(second);
    kr_future_unref(f);
    kr_promise_free(p);
    assert_int_equal(atomic_load(&freed), 1);

    p = kr_promise_new();
    f = kr_promise_future(p);
    assert_true(kr_promise_fail(p, "first"));
    assert_false(kr_promise_set(p, NULL, NULL));
    assert_int_equal(kr_future_state_of(f), KR_FAILED);
    assert_string_equal(kr_future_error(f), "first");
    kr_future_unref(f);
    kr_promise_free(p);
}

static void the_value_lives_as_long_as_a_reference(void **state)
{
    (void)state;
    atomic_store(&freed, 0);
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *g = kr_future_ref(f);
    assert_ptr_equal(g, f);
    kr_future *h = kr_promise_future(p);
    kr_promise_set(p, new_int(9), count_free);
    assert_int_equal(kr_future_state_of(h), KR_READY);
    kr_promise_free(p);
    kr_future_unref(f);
    kr_future_unref(h);
    assert_int_equal(atomic_load(&freed), 0);
    assert_int_equal(*(int *)kr_future_value(g), 9);
    kr_future_unref(g);
    assert_int_equal(atomic_load(&freed), 1);
}

static void discard_is_a_request_the_producer_may_honour(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *other = kr_promise_future(p);
    assert_false(kr_future_discard_requested(f));
    kr_future_discard(f);
    assert_true(kr_future_discard_requested(f));
    assert_true(kr_future_discard_requested(other)); /* one shared state */
    assert_int_equal(kr_future_state_of(f), KR_PENDING);
    assert_true(kr_promise_discard(p));
    assert_int_equal(kr_future_state_of(f), KR_DISCARDED);
    kr_future_unref(f);
    kr_future_unref(other);
    kr_promise_free(p);
}

/* --- callbacks ---------------------------------------------------------- */

typedef struct cb_arg {
    int tag;
    kr_promise *signal; /* completed by the callback, may be NULL */
} cb_arg;

static atomic_int cb_calls;
static int cb_tags[8];
static kr_process *cb_self;
static atomic_bool cb_in_context;
static kr_future_state cb_state;

static void reset_callbacks(void)
{
    atomic_store(&cb_calls, 0);
    memset(cb_tags, 0, sizeof cb_tags);
    cb_self = (kr_process *)(uintptr_t)1; /* "never called" */
    atomic_store(&cb_in_context, false);
    cb_state = KR_PENDING;
}

static void on_any_cb(kr_process *self, kr_future *f, const void *arg)
{
    const cb_arg *a = arg;
    int i = atomic_load(&cb_calls);
    if (i < 8)
        cb_tags[i] = a->tag;
    cb_self = self;
    cb_state = kr_future_state_of(f);
    atomic_store(&cb_in_context, self != NULL && kr_current() == self);
    atomic_store(&cb_calls, i + 1);
    if (a->signal)
        kr_promise_set(a->signal, NULL, NULL);
}

static void on_any_runs_at_once_on_a_completed_future(void **state)
{
    (void)state;
    reset_callbacks();
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_promise_set(p, NULL, NULL);
    cb_arg a = {.tag = 77};
    kr_future_on_any(f, KR_PID_NONE, on_any_cb, &a, sizeof a);
    a.tag = 0; /* the argument was copied */
    assert_int_equal(atomic_load(&cb_calls), 1);
    assert_int_equal(cb_tags[0], 77);
    assert_null(cb_self);
    assert_int_equal(cb_state, KR_READY);
    kr_future_unref(f);
    kr_promise_free(p);
}

static void on_any_runs_on_the_completing_thread_in_order(void **state)
{
    (void)state;
    reset_callbacks();
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    for (int i = 1; i <= 3; i++) {
        cb_arg a = {.tag = i};
        kr_future_on_any(f, KR_PID_NONE, on_any_cb, &a, sizeof a);
    }
    assert_int_equal(atomic_load(&cb_calls), 0);
    kr_promise_fail(p, "nope");
    assert_int_equal(atomic_load(&cb_calls), 3); /* synchronously, once each */
    assert_int_equal(cb_tags[0], 1);
    assert_int_equal(cb_tags[1], 2);
    assert_int_equal(cb_tags[2], 3);
    assert_int_equal(cb_state, KR_FAILED);
    kr_promise_discard(p); /* no second completion, no second call */
    assert_int_equal(atomic_load(&cb_calls), 3);
    kr_future_unref(f);
    kr_promise_free(p);
}

static void on_any_runs_when_abandoned(void **state)
{
    (void)state;
    reset_callbacks();
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    cb_arg a = {.tag = 5};
    kr_future_on_any(f, KR_PID_NONE, on_any_cb, &a, sizeof a);
    kr_promise_free(p);
    assert_int_equal(atomic_load(&cb_calls), 1);
    assert_int_equal(cb_state, KR_ABANDONED);
    kr_future_unref(f);
}

static void on_any_with_a_context_runs_in_that_process(void **state)
{
    (void)state;
    reset_callbacks();
    static kr_process proc;
    kr_process_init(&proc, "callback-home", NULL);
    kr_pid pid = kr_spawn(&proc, false);

    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    cb_arg a = {.tag = 1, .signal = kr_promise_new()};
    kr_future *called = kr_promise_future(a.signal);
    kr_future_on_any(f, pid, on_any_cb, &a, sizeof a);
    kr_promise_set(p, NULL, NULL);
    kt_await_unref(called, KR_READY);
    kr_promise_free(a.signal);
    assert_int_equal(atomic_load(&cb_calls), 1);
    assert_ptr_equal(cb_self, &proc);
    assert_true(atomic_load(&cb_in_context));

    /* Already complete: dispatched to the process all the same. */
    reset_callbacks();
    a.signal = kr_promise_new();
    called = kr_promise_future(a.signal);
    kr_future_on_any(f, pid, on_any_cb, &a, sizeof a);
    kt_await_unref(called, KR_READY);
    kr_promise_free(a.signal);
    assert_ptr_equal(cb_self, &proc);
    assert_true(atomic_load(&cb_in_context));

    kr_future_unref(f);
    kr_promise_free(p);
}

static void on_any_with_a_gone_context_is_dropped(void **state)
{
    (void)state;
    reset_callbacks();
    static kr_process proc;
    kr_process_init(&proc, "gone-home", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));

    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_promise_set(p, NULL, NULL);
    cb_arg a = {.tag = 1};
    kr_future_on_any(f, pid, on_any_cb, &a, sizeof a);
    kt_settle();
    assert_int_equal(atomic_load(&cb_calls), 0);
    kr_future_unref(f);
    kr_promise_free(p);
}

/* --- await ---------------------------------------------------------------- */

static void await_times_out_on_a_future_nobody_completes(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    assert_false(kr_future_await(f, KR_MSEC(50)));
    assert_int_equal(kr_future_state_of(f), KR_PENDING);
    kr_promise_set(p, NULL, NULL);
    assert_true(kr_future_await(f, 0));
    kr_future_unref(f);
    kr_promise_free(p);
}

/* A paused clock does not stretch an await's timeout forever: on real the
 * timeout is wall time (libprocess' AWAIT polls in real time), on sim a wait
 * whose condition can no longer hold gives up. */
static void await_times_out_with_the_clock_paused(void **state)
{
    (void)state;
    kr_clock_pause();
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    assert_false(kr_future_await(f, KR_MSEC(50)));
    assert_int_equal(kr_future_state_of(f), KR_PENDING);
    kr_future_unref(f);
    kr_promise_free(p);
}

/* --- kr_future_all (collect) -------------------------------------------- */

typedef struct three {
    kr_promise *p[3];
    kr_future *f[3];
} three;

static void three_new(three *t)
{
    for (int i = 0; i < 3; i++) {
        t->p[i] = kr_promise_new();
        t->f[i] = kr_promise_future(t->p[i]);
    }
}

static void three_free(three *t)
{
    for (int i = 0; i < 3; i++) {
        kr_future_unref(t->f[i]);
        kr_promise_free(t->p[i]);
    }
}

static void all_is_ready_with_the_inputs_in_order(void **state)
{
    (void)state;
    three t;
    three_new(&t);
    kr_future *all = kr_future_all(t.f, 3);
    assert_non_null(all);
    kr_promise_set(t.p[2], (void *)(intptr_t)30, NULL);
    kr_promise_set(t.p[0], (void *)(intptr_t)10, NULL);
    assert_int_equal(kr_future_state_of(all), KR_PENDING);
    kr_promise_set(t.p[1], (void *)(intptr_t)20, NULL);
    assert_true(kr_future_await(all, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(all), KR_READY);

    kr_future *const *inputs = kr_future_value(all);
    assert_non_null(inputs);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(kr_future_state_of(inputs[i]), KR_READY);
        assert_int_equal((intptr_t)kr_future_value(inputs[i]), 10 * (i + 1));
    }
    kr_future_unref(all);
    three_free(&t);
}

static void all_fails_as_soon_as_one_input_fails(void **state)
{
    (void)state;
    three t;
    three_new(&t);
    kr_future *all = kr_future_all(t.f, 3);
    kr_promise_set(t.p[0], NULL, NULL);
    kr_promise_fail(t.p[1], "bad input");
    assert_true(kr_future_await(all, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(all), KR_FAILED); /* p[2] still pending */
    assert_non_null(kr_future_error(all));
    assert_non_null(strstr(kr_future_error(all), "bad input"));
    assert_int_equal(kr_future_state_of(t.f[2]), KR_PENDING);
    kr_future_unref(all);
    three_free(&t);
}

static void all_follows_a_discarded_or_abandoned_input(void **state)
{
    (void)state;
    three t;
    three_new(&t);
    kr_future *all = kr_future_all(t.f, 3);
    kr_promise_discard(t.p[1]);
    assert_true(kr_future_await(all, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(all), KR_DISCARDED);
    kr_future_unref(all);
    three_free(&t);

    three_new(&t);
    all = kr_future_all(t.f, 3);
    kr_promise_free(t.p[0]);
    t.p[0] = kr_promise_new(); /* so three_free has something to free */
    assert_true(kr_future_await(all, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(all), KR_ABANDONED);
    kr_future_unref(all);
    three_free(&t);
}

static void all_of_nothing_is_ready_at_once(void **state)
{
    (void)state;
    kr_future *all = kr_future_all(NULL, 0);
    assert_non_null(all);
    assert_int_equal(kr_future_state_of(all), KR_READY);
    kr_future_unref(all);
}

static void discarding_all_asks_every_input_to_discard(void **state)
{
    (void)state;
    three t;
    three_new(&t);
    kr_future *all = kr_future_all(t.f, 3);
    kr_future_discard(all);
    for (int i = 0; i < 3; i++)
        assert_true(kr_future_discard_requested(t.f[i]));
    kr_future_unref(all);
    three_free(&t);
}

/* --- kr_future_after ---------------------------------------------------- */

/* FutureTest.After1 / AfterTest.After */
static void after_fails_with_timed_out_once_the_time_passes(void **state)
{
    (void)state;
    kr_clock_pause();
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *a = kr_future_after(f, KR_SEC(3600));
    assert_non_null(a);

    kr_clock_settle();
    assert_int_equal(kr_future_state_of(a), KR_PENDING);
    kr_clock_advance(KR_SEC(1800));
    kr_clock_settle();
    assert_int_equal(kr_future_state_of(a), KR_PENDING);

    kr_future_discard(a); /* forwarded to the source, still pending */
    assert_true(kr_future_discard_requested(f));
    assert_int_equal(kr_future_state_of(a), KR_PENDING);

    kr_clock_advance(KR_SEC(1800));
    kr_clock_settle();
    assert_true(kr_future_await(a, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(a), KR_FAILED);
    assert_string_equal(kr_future_error(a), "timed out");
    kr_future_unref(a);
    kr_future_unref(f);
    kr_promise_free(p);
}

static void after_follows_a_source_that_completes_first(void **state)
{
    (void)state;
    kr_clock_pause();
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *a = kr_future_after(f, KR_SEC(60));
    kr_promise_set(p, (void *)(intptr_t)42, NULL);
    assert_true(kr_future_await(a, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(a), KR_READY);
    assert_int_equal((intptr_t)kr_future_value(a), 42);
    kr_clock_advance(KR_SEC(120)); /* the timeout passing later changes nothing */
    kr_clock_settle();
    assert_int_equal(kr_future_state_of(a), KR_READY);
    kr_future_unref(a);
    kr_future_unref(f);
    kr_promise_free(p);

    p = kr_promise_new();
    f = kr_promise_future(p);
    a = kr_future_after(f, KR_SEC(60));
    kr_promise_fail(p, "source failed");
    assert_true(kr_future_await(a, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(a), KR_FAILED);
    assert_string_equal(kr_future_error(a), "source failed");
    kr_future_unref(a);
    kr_future_unref(f);
    kr_promise_free(p);
}

static void after_times_out_with_the_clock_running(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *a = kr_future_after(f, KR_MSEC(20));
    assert_true(kr_future_await(a, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(a), KR_FAILED);
    assert_string_equal(kr_future_error(a), "timed out");
    kr_future_unref(a);
    kr_future_unref(f);
    kr_promise_free(p);
}

/* --- FutureTest.Stringify ----------------------------------------------- */

static void expect_description(kr_future *f, const char *expected)
{
    char buf[128];
    memset(buf, 'X', sizeof buf);
    const char *s = kr_future_describe(f, buf, sizeof buf);
    assert_ptr_equal(s, buf);
    assert_string_equal(buf, expected);
}

typedef enum { COMPLETE_NONE, COMPLETE_SET, COMPLETE_FAIL, COMPLETE_DISCARD, COMPLETE_FREE } how;

static void describe_case(how h, bool discard_first, const char *expected)
{
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    if (discard_first)
        kr_future_discard(f);
    switch (h) {
    case COMPLETE_NONE: break;
    case COMPLETE_SET: kr_promise_set(p, NULL, NULL); break;
    case COMPLETE_FAIL: kr_promise_fail(p, "Failure"); break;
    case COMPLETE_DISCARD: kr_promise_discard(p); break;
    case COMPLETE_FREE: kr_promise_free(p); p = NULL; break;
    }
    expect_description(f, expected);
    kr_future_unref(f);
    kr_promise_free(p);
}

static void describe_matches_libprocess(void **state)
{
    (void)state;
    describe_case(COMPLETE_NONE, false, "Pending");
    describe_case(COMPLETE_NONE, true, "Pending (with discard)");
    describe_case(COMPLETE_SET, false, "Ready");
    describe_case(COMPLETE_SET, true, "Ready (with discard)");
    describe_case(COMPLETE_FAIL, false, "Failed: Failure");
    describe_case(COMPLETE_FAIL, true, "Failed (with discard): Failure");
    describe_case(COMPLETE_DISCARD, false, "Discarded");
    describe_case(COMPLETE_DISCARD, true, "Discarded (with discard)");
    describe_case(COMPLETE_FREE, false, "Abandoned");
    describe_case(COMPLETE_FREE, true, "Abandoned (with discard)");
}

static void describe_truncates_into_a_small_buffer(void **state)
{
    (void)state;
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    char buf[4];
    kr_future_describe(f, buf, sizeof buf);
    assert_string_equal(buf, "Pen");
    kr_future_unref(f);
    kr_promise_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(set_makes_the_future_ready_with_the_value),
        KT_TEST(fail_makes_the_future_failed_with_a_copy_of_the_reason),
        KT_TEST(discard_makes_the_future_discarded),
        KT_TEST(freeing_a_pending_promise_abandons_its_future),
        KT_TEST(a_future_completes_only_once),
        KT_TEST(the_value_lives_as_long_as_a_reference),
        KT_TEST(discard_is_a_request_the_producer_may_honour),
        KT_TEST(on_any_runs_at_once_on_a_completed_future),
        KT_TEST(on_any_runs_on_the_completing_thread_in_order),
        KT_TEST(on_any_runs_when_abandoned),
        KT_TEST(on_any_with_a_context_runs_in_that_process),
        KT_TEST(on_any_with_a_gone_context_is_dropped),
        KT_TEST(await_times_out_on_a_future_nobody_completes),
        KT_TEST(await_times_out_with_the_clock_paused),
        KT_TEST(all_is_ready_with_the_inputs_in_order),
        KT_TEST(all_fails_as_soon_as_one_input_fails),
        KT_TEST(all_follows_a_discarded_or_abandoned_input),
        KT_TEST(all_of_nothing_is_ready_at_once),
        KT_TEST(discarding_all_asks_every_input_to_discard),
        KT_TEST(after_fails_with_timed_out_once_the_time_passes),
        KT_TEST(after_follows_a_source_that_completes_first),
        KT_TEST(after_times_out_with_the_clock_running),
        KT_TEST(describe_matches_libprocess),
        KT_TEST(describe_truncates_into_a_small_buffer),
    };
    return KT_RUN(tests);
}
