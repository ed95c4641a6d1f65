/* Bad input never aborts: NULL pointers, calls from the wrong place, calls
 * while the runtime is not running. Each call below must return an error or
 * do nothing, and the runtime must keep working afterwards. */
#include "harness.h"

static void handler(kr_process *self, const kr_message *m)
{
    (void)self;
    (void)m;
}

static void fn(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static void call_fn(kr_process *self, const void *arg, kr_promise *r)
{
    (void)self;
    (void)arg;
    kr_promise_set(r, NULL, NULL);
}

static void future_fn(kr_process *self, kr_future *f, const void *arg)
{
    (void)self;
    (void)f;
    (void)arg;
}

/* A dispatch_call result that is never left pending. */
static void expect_not_pending(kr_future *f)
{
    if (f) {
        assert_true(kr_future_await(f, KT_TIMEOUT));
        assert_int_not_equal(kr_future_state_of(f), KR_PENDING);
        kr_future_unref(f);
    }
}

static void null_pointers_to_process_and_message_functions(void **state)
{
    (void)state;
    static kr_process p;
    kr_process_init(&p, "target", NULL);
    assert_int_equal(kr_install(&p, "ok", handler), 0);
    kr_pid pid = kr_spawn(&p, false);

    kr_process_init(NULL, "x", NULL);
    assert_true(kr_pid_is_none(kr_spawn(NULL, false)));
    assert_true(kr_pid_is_none(kr_spawn(NULL, true)));
    assert_true(kr_pid_is_none(kr_self(NULL)));
    kr_link(NULL, pid);

    assert_int_equal(kr_install(NULL, "x", handler), KR_EINVAL);
    assert_int_equal(kr_install(&p, NULL, handler), KR_EINVAL);
    assert_int_equal(kr_install(&p, "x", NULL), KR_EINVAL);

    kr_send(NULL, pid, "ok", "x", 1);
    kr_send(&p, pid, NULL, "x", 1);
    kr_post(pid, NULL, "x", 1);
    kr_post(pid, "ok", NULL, 5); /* NULL body with a length */

    kr_dispatch(pid, NULL, NULL, 0);
    kr_dispatch(pid, fn, NULL, 8); /* NULL arg with a length */
    expect_not_pending(kr_dispatch_call(pid, NULL, NULL, 0));
    assert_true(kr_delay(KR_SEC(1), pid, NULL, NULL, 0) == 0);

    char *id = kr_id_generate(NULL);
    free(id);

    assert_true(kr_address(NULL, 64) < 0);
    char buf[4];
    assert_int_equal(kr_address(buf, 0), KR_ENOSPC);
    kr_stats_get(NULL);

    /* Still working. */
    kt_flush(pid);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

static void null_pointers_to_future_functions(void **state)
{
    (void)state;
    assert_null(kr_promise_future(NULL));
    assert_false(kr_promise_set(NULL, NULL, NULL));
    assert_false(kr_promise_fail(NULL, "x"));
    assert_false(kr_promise_discard(NULL));
    kr_promise_free(NULL);

    assert_null(kr_future_value(NULL));
    assert_null(kr_future_error(NULL));
    assert_null(kr_future_ref(NULL));
    kr_future_unref(NULL);
    (void)kr_future_state_of(NULL);
    kr_future_on_any(NULL, KR_PID_NONE, future_fn, NULL, 0);
    assert_false(kr_future_await(NULL, 0));
    kr_future_discard(NULL);
    assert_false(kr_future_discard_requested(NULL));
    assert_null(kr_future_after(NULL, KR_SEC(1)));
    char buf[32];
    kr_future_describe(NULL, buf, sizeof buf);

    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future_on_any(f, KR_PID_NONE, NULL, NULL, 0);
    kr_future_on_any(f, KR_PID_NONE, future_fn, NULL, 16); /* NULL arg, len */
    kr_future_describe(f, NULL, 0);
    assert_true(kr_promise_fail(p, NULL) || kr_future_state_of(f) == KR_PENDING);
    kr_future_unref(f);
    kr_promise_free(p);

    kr_future *none[2] = {NULL, NULL};
    kr_future *all = kr_future_all(none, 2);
    if (all) {
        assert_int_not_equal(kr_future_state_of(all), KR_READY);
        kr_future_unref(all);
    }
    all = kr_future_all(NULL, 3);
    if (all) {
        assert_int_not_equal(kr_future_state_of(all), KR_READY);
        kr_future_unref(all);
    }
}

static void null_pointers_to_testing_functions(void **state)
{
    (void)state;
    assert_null(kr_event_message(NULL));
    assert_null(kr_event_function(NULL));
    assert_true(kr_pid_is_none(kr_event_to(NULL)));
    (void)kr_event_kind(NULL);
    kr_filter_install(NULL, NULL);
    kr_future *e = kr_expect_dispatch(KR_PID_NONE, NULL);
    if (e)
        kr_future_unref(e);
    kr_expect_clear();
}

/* --- blocking calls from inside a process ------------------------------- */

typedef struct inside {
    kr_process base;
    kr_pid other;
    atomic_int await_result, wait_self, wait_other;
    kr_promise *never;
} inside;

static void block_inside(kr_process *self, const void *arg, kr_promise *result)
{
    (void)arg;
    inside *in = (inside *)self;
    kr_future *f = kr_promise_future(in->never);
    atomic_store(&in->await_result, kr_future_await(f, KR_MSEC(100)));
    kr_future_unref(f);
    atomic_store(&in->wait_self, kr_wait(kr_self(self), KR_MSEC(100)));
    atomic_store(&in->wait_other, kr_wait(in->other, KR_MSEC(100)));
    kr_finalize(); /* logged and ignored */
    kr_promise_set(result, NULL, NULL);
}

static void blocking_calls_inside_a_process_return_false(void **state)
{
    (void)state;
    static inside in;
    static kr_process other;
    memset(&in, 0, sizeof in);
    kr_process_init(&other, "other", NULL);
    in.other = kr_spawn(&other, false);
    kr_terminate(in.other, false); /* even a wait that could succeed */
    assert_true(kr_wait(in.other, KT_TIMEOUT));
    in.other = kr_self(&other);
    in.never = kr_promise_new();
    atomic_store(&in.await_result, -1);
    atomic_store(&in.wait_self, -1);
    atomic_store(&in.wait_other, -1);
    kr_process_init(&in.base, "impatient", NULL);
    kr_pid pid = kr_spawn(&in.base, false);

    kt_await_unref(kr_dispatch_call(pid, block_inside, NULL, 0), KR_READY);
    assert_int_equal(atomic_load(&in.await_result), 0);
    assert_int_equal(atomic_load(&in.wait_self), 0);
    assert_int_equal(atomic_load(&in.wait_other), 0);
    assert_true(kr_running()); /* kr_finalize inside was ignored */
    kt_flush(pid);
    kr_promise_free(in.never);
}

/* --- the runtime not running -------------------------------------------- */

static void calls_while_not_running_do_not_crash(void **state)
{
    (void)state;
    assert_false(kr_running());
    kr_pid ghost;
    assert_int_equal(kr_pid_parse("ghost@127.0.0.1:1", &ghost), 0);
    static kr_process p;
    kr_process_init(&p, "never-spawned", NULL);
    assert_int_equal(kr_install(&p, "x", handler), 0);

    assert_true(kr_pid_is_none(kr_spawn(&p, false)));
    kr_post(ghost, "x", "y", 1);
    kr_send(&p, ghost, "x", "y", 1);
    kr_dispatch(ghost, fn, NULL, 0);
    expect_not_pending(kr_dispatch_call(ghost, call_fn, NULL, 0));
    assert_true(kr_delay(KR_SEC(1), ghost, fn, NULL, 0) == 0);
    assert_false(kr_timer_cancel(1));
    kr_terminate(ghost, true);
    assert_false(kr_wait(ghost, KR_MSEC(10)));
    kr_link(&p, ghost);
    assert_null(kr_current());
    char buf[64];
    assert_int_equal(kr_address(buf, sizeof buf), KR_ESTATE);

    (void)kr_clock_now();
    kr_clock_pause();
    kr_clock_advance(KR_SEC(1));
    kr_clock_update(0);
    kr_clock_settle();
    kr_clock_resume();

    kr_stats st;
    kr_stats_get(&st);
    kr_filter_install(NULL, NULL);
    kr_future *e = kr_expect_message("x", KR_PID_NONE, KR_PID_NONE);
    if (e)
        kr_future_unref(e);
    kr_drop_messages("x", KR_PID_NONE, KR_PID_NONE);
    kr_expect_clear();
    (void)kr_random();
    char *id = kr_id_generate("p");
    free(id);

    /* Promises do not need the runtime. */
    kr_promise *pr = kr_promise_new();
    kr_future *f = kr_promise_future(pr);
    assert_true(kr_promise_set(pr, NULL, NULL));
    assert_true(kr_future_await(f, 0));
    kr_future_unref(f);
    kr_promise_free(pr);

    /* And a runtime started afterwards works. */
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    kr_process_init(&p, "now-spawned", NULL);
    kr_pid pid = kr_spawn(&p, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid);
}

static atomic_int destroyed;
static void count_destroy(kr_process *self)
{
    atomic_fetch_add(&destroyed, 1);
    free(self);
}

static void spawn_after_finalize_returns_none(void **state)
{
    (void)state;
    kr_finalize();
    static kr_process p;
    kr_process_init(&p, "after-the-end", NULL);
    assert_true(kr_pid_is_none(kr_spawn(&p, false)));

    /* A managed spawn that fails is destroyed all the same. */
    atomic_store(&destroyed, 0);
    static const kr_process_ops ops = {.destroy = count_destroy};
    kr_process *m = malloc(sizeof *m);
    kr_process_init(m, "managed-after-the-end", &ops);
    assert_true(kr_pid_is_none(kr_spawn(m, true)));
    assert_int_equal(atomic_load(&destroyed), 1);
}

static void invalid_process_ids_are_refused(void **state)
{
    (void)state;
    static kr_process p;
    char long_id[KR_ID_MAX + 2];
    memset(long_id, 'i', KR_ID_MAX + 1);
    long_id[KR_ID_MAX + 1] = '\0';
    kr_process_init(&p, long_id, NULL);
    assert_true(kr_pid_is_none(kr_spawn(&p, false)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(null_pointers_to_process_and_message_functions),
        KT_TEST(null_pointers_to_future_functions),
        KT_TEST(null_pointers_to_testing_functions),
        KT_TEST(blocking_calls_inside_a_process_return_false),
        KT_BARE_TEST(calls_while_not_running_do_not_crash),
        KT_TEST(spawn_after_finalize_returns_none),
        KT_TEST(invalid_process_ids_are_refused),
    };
    return KT_RUN(tests);
}
