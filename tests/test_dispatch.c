/* Dispatch: run a function in a process' context; dispatch_call and the
 * future of its result (set, fail, discard, async, abandoned). */
#include "harness.h"

typedef struct dproc {
    kr_process base;
    atomic_int calls;
    kr_process *seen_self;
    atomic_bool in_context;
    int value;
    char text[32];
    kr_promise *kept; /* a dispatch_call result taken over for later */
} dproc;

/* What a dispatch carries: copied by the runtime. */
typedef struct job {
    kr_promise *signal; /* completed by the function, may be NULL */
    int value;
    char text[32];
} job;

static kr_pid dproc_spawn(dproc *d, const char *id)
{
    memset(d, 0, sizeof *d);
    kr_process_init(&d->base, id, NULL);
    kr_pid pid = kr_spawn(&d->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

static void run_job(kr_process *self, const void *arg)
{
    dproc *d = (dproc *)self;
    const job *j = arg;
    d->seen_self = self;
    atomic_store(&d->in_context, kr_current() == self);
    d->value = j->value;
    memcpy(d->text, j->text, sizeof d->text);
    atomic_fetch_add(&d->calls, 1);
    if (j->signal)
        kr_promise_set(j->signal, NULL, NULL);
}

static void dispatch_runs_in_the_target_context(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "target");
    job j = {.signal = kr_promise_new(), .value = 42};
    kr_future *ran = kr_promise_future(j.signal);
    kr_dispatch(pid, run_job, &j, sizeof j);
    kt_await_unref(ran, KR_READY);
    kr_promise_free(j.signal);

    assert_int_equal(atomic_load(&d.calls), 1);
    assert_ptr_equal(d.seen_self, &d.base);
    assert_true(atomic_load(&d.in_context));
    assert_int_equal(d.value, 42);
}

static void dispatch_copies_its_argument(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "copied");
    job j = {.value = 1};
    strcpy(j.text, "before");
    kt_hold(pid);
    kr_dispatch(pid, run_job, &j, sizeof j);
    strcpy(j.text, "after");
    j.value = 2;
    kt_release();
    kt_flush(pid);
    assert_int_equal(atomic_load(&d.calls), 1);
    assert_string_equal(d.text, "before");
    assert_int_equal(d.value, 1);
}

static void count_call(kr_process *self, const void *arg)
{
    (void)arg;
    atomic_fetch_add(&((dproc *)self)->calls, 1);
}

static void dispatch_without_argument(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "no-arg");
    kr_dispatch(pid, count_call, NULL, 0);
    kt_flush(pid);
    assert_int_equal(atomic_load(&d.calls), 1);
}

static void dispatch_to_a_gone_process_is_dropped(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "gone");
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kr_dispatch(pid, count_call, NULL, 0);
    kr_dispatch(kt_ghost_pid("never-was"), count_call, NULL, 0);
    kt_settle();
    assert_int_equal(atomic_load(&d.calls), 0);
}

/* --- dispatch_call ------------------------------------------------------ */

static atomic_int values_freed;
static void free_value(void *v)
{
    atomic_fetch_add(&values_freed, 1);
    free(v);
}

static void answer_double(kr_process *self, const void *arg, kr_promise *result)
{
    (void)self;
    int *v = malloc(sizeof *v);
    *v = 2 * *(const int *)arg;
    if (!kr_promise_set(result, v, free_value))
        free(v);
}

static void answer_fail(kr_process *self, const void *arg, kr_promise *result)
{
    (void)self;
    kr_promise_fail(result, (const char *)arg);
}

static void answer_discard(kr_process *self, const void *arg, kr_promise *result)
{
    (void)self;
    (void)arg;
    kr_promise_discard(result);
}

static void dispatch_call_returns_the_value_set(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "doubler");
    atomic_store(&values_freed, 0);
    int x = 21;
    kr_future *f = kr_dispatch_call(pid, answer_double, &x, sizeof x);
    x = 1000; /* the argument was copied */
    kt_await_state(f, KR_READY);
    assert_non_null(kr_future_value(f));
    assert_int_equal(*(int *)kr_future_value(f), 42);
    assert_null(kr_future_error(f));
    kr_future_unref(f);
    kt_settle(); /* the runtime has released its promise */
    assert_int_equal(atomic_load(&values_freed), 1);
}

static void dispatch_call_failure_carries_the_reason(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "failer");
    kr_future *f = kr_dispatch_call(pid, answer_fail, "boom", 5);
    kt_await_state(f, KR_FAILED);
    assert_string_equal(kr_future_error(f), "boom");
    assert_null(kr_future_value(f));
    kr_future_unref(f);
}

static void dispatch_call_can_discard(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "discarder");
    kt_await_unref(kr_dispatch_call(pid, answer_discard, NULL, 0), KR_DISCARDED);
}

/* The callee keeps the promise and completes it in a later event. */
static void start_async(kr_process *self, const void *arg, kr_promise *result)
{
    (void)arg;
    ((dproc *)self)->kept = result;
}

static void finish_async(kr_process *self, const void *arg)
{
    dproc *d = (dproc *)self;
    kr_promise_set(d->kept, (void *)(intptr_t)(*(const int *)arg), NULL);
    kr_promise_free(d->kept);
    d->kept = NULL;
}

static void give_up_async(kr_process *self, const void *arg)
{
    (void)arg;
    dproc *d = (dproc *)self;
    kr_promise_free(d->kept);
    d->kept = NULL;
}

static void dispatch_call_completes_asynchronously(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "async");
    kr_future *f = kr_dispatch_call(pid, start_async, NULL, 0);
    kt_flush(pid); /* start_async has run and returned */
    assert_int_equal(kr_future_state_of(f), KR_PENDING);

    int seven = 7;
    kr_dispatch(pid, finish_async, &seven, sizeof seven);
    kt_await_state(f, KR_READY);
    assert_int_equal((intptr_t)kr_future_value(f), 7);
    kr_future_unref(f);
}

static void kept_promise_freed_unset_abandons_the_future(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "quitter");
    kr_future *f = kr_dispatch_call(pid, start_async, NULL, 0);
    kt_flush(pid);
    assert_int_equal(kr_future_state_of(f), KR_PENDING);
    kr_dispatch(pid, give_up_async, NULL, 0);
    kt_await_unref(f, KR_ABANDONED);
}

static void dispatch_call_to_a_dead_process_is_abandoned(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "dead");
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    int x = 1;
    kt_await_unref(kr_dispatch_call(pid, answer_double, &x, sizeof x), KR_ABANDONED);
    kt_await_unref(kr_dispatch_call(kt_ghost_pid("nobody"), answer_double, &x, sizeof x),
                   KR_ABANDONED);
    kt_await_unref(kr_dispatch_call(KR_PID_NONE, answer_double, &x, sizeof x), KR_ABANDONED);
}

/* A dispatch made from inside a process reaches the other one. */
typedef struct relay_arg {
    kr_pid next;
    job j;
} relay_arg;

static void relay(kr_process *self, const void *arg)
{
    (void)self;
    const relay_arg *r = arg;
    kr_dispatch(r->next, run_job, &r->j, sizeof r->j);
}

static void dispatch_from_inside_a_process(void **state)
{
    (void)state;
    static dproc a, b;
    kr_pid pa = dproc_spawn(&a, "relay");
    kr_pid pb = dproc_spawn(&b, "end");
    relay_arg r = {.next = pb, .j = {.signal = kr_promise_new(), .value = 5}};
    kr_future *ran = kr_promise_future(r.j.signal);
    kr_dispatch(pa, relay, &r, sizeof r);
    kt_await_unref(ran, KR_READY);
    kr_promise_free(r.j.signal);
    assert_int_equal(atomic_load(&b.calls), 1);
    assert_int_equal(atomic_load(&a.calls), 0);
    assert_ptr_equal(b.seen_self, &b.base);
}

static void stats_count_dispatches(void **state)
{
    (void)state;
    static dproc d;
    kr_pid pid = dproc_spawn(&d, "counted");
    kt_flush(pid);
    kr_stats before, after;
    kr_stats_get(&before);
    for (int i = 0; i < 5; i++)
        kr_dispatch(pid, count_call, NULL, 0);
    kt_flush(pid);
    kr_stats_get(&after);
    assert_int_equal(atomic_load(&d.calls), 5);
    /* 5, plus the flush's dispatch_call if the runtime counts those too. */
    assert_in_range(after.dispatches - before.dispatches, 5, 6);
    /* The flush itself may be counted only after its result was awaited. */
    assert_true(after.events_served >= before.events_served + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(dispatch_runs_in_the_target_context),
        KT_TEST(dispatch_copies_its_argument),
        KT_TEST(dispatch_without_argument),
        KT_TEST(dispatch_to_a_gone_process_is_dropped),
        KT_TEST(dispatch_call_returns_the_value_set),
        KT_TEST(dispatch_call_failure_carries_the_reason),
        KT_TEST(dispatch_call_can_discard),
        KT_TEST(dispatch_call_completes_asynchronously),
        KT_TEST(kept_promise_freed_unset_abandons_the_future),
        KT_TEST(dispatch_call_to_a_dead_process_is_abandoned),
        KT_TEST(dispatch_from_inside_a_process),
        KT_TEST(stats_count_dispatches),
    };
    return KT_RUN(tests);
}
