/* kr_loop and kr_sequence (libprocess' LoopTest: Sync, Async,
 * DiscardIterate, DiscardBody; SequenceTest: Serialize, DiscardOne,
 * DiscardAll). */
#include "harness.h"

static int *new_int(int v)
{
    int *p = malloc(sizeof *p);
    assert_non_null(p);
    *p = v;
    return p;
}

/* --- loop ----------------------------------------------------------------- */

typedef struct counter {
    int i, n;
    _Atomic(kr_process *) self;
    kr_promise *pending; /* async: the item or control in flight */
    bool async_item, async_body;
    atomic_bool freed;
} counter;

static kr_future *count_iterate(kr_process *self, void *state)
{
    counter *c = state;
    atomic_store(&c->self, self);
    if (c->async_item) {
        c->pending = kr_promise_new();
        return kr_promise_future(c->pending);
    }
    return kr_future_ready(new_int(c->i), free);
}

static kr_future *count_body(kr_process *self, kr_future *item, void *state)
{
    (void)self;
    counter *c = state;
    if (item && *(int *)kr_future_value(item) != c->i)
        return kr_future_failed("items out of order");
    if (++c->i == c->n)
        return kr_loop_break(new_int(c->i), free);
    if (c->async_body) {
        c->pending = kr_promise_new();
        return kr_promise_future(c->pending);
    }
    return kr_loop_continue();
}

static void mark_freed(void *state) { atomic_store(&((counter *)state)->freed, true); }

/* LoopTest.Sync: many synchronous iterations, no stack growth (a recursive
 * loop would overflow the stack here, especially under ASan). */
static void a_synchronous_loop_runs_in_constant_stack(void **state)
{
    (void)state;
    static kr_process proc;
    kr_process_init(&proc, "looper", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    counter c = {.n = 300000};
    kr_future *done = kr_loop(KR_PID_NONE, count_iterate, count_body, &c, mark_freed);
    assert_int_equal(kr_future_state_of(done), KR_READY);
    assert_int_equal(*(int *)kr_future_value(done), 300000);
    assert_true(atomic_load(&c.freed));
    kr_future_unref(done);

    counter d = {.n = 300000};
    done = kr_loop(pid, count_iterate, count_body, &d, mark_freed);
    kt_await_state(done, KR_READY);
    assert_int_equal(*(int *)kr_future_value(done), 300000);
    assert_ptr_equal(atomic_load(&d.self), &proc);
    kr_future_unref(done);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

static kr_future *body_only(kr_process *self, kr_future *item, void *state)
{
    (void)self;
    assert_null(item);
    int *left = state;
    return --*left == 0 ? kr_loop_break(NULL, NULL) : kr_loop_continue();
}

/* The test keeps completing the loop's pending futures from outside, as
 * LoopTest.Async does with its promises. */
static void drive(counter *c, kr_future *done)
{
    while (kr_future_state_of(done) == KR_PENDING) {
        kt_settle();
        if (c->pending) {
            kr_promise *p = c->pending;
            c->pending = NULL;
            if (c->async_item)
                kr_promise_set(p, new_int(c->i), free);
            else
                kr_promise_set(p, NULL, NULL); /* not a control value */
            kr_promise_free(p);
        }
    }
}

static void an_asynchronous_loop_waits_for_each_item(void **state)
{
    (void)state;
    static kr_process proc;
    kr_process_init(&proc, "async-looper", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    counter c = {.n = 5, .async_item = true};
    kr_future *done = kr_loop(pid, count_iterate, count_body, &c, NULL);
    drive(&c, done);
    kt_await_state(done, KR_READY);
    assert_int_equal(*(int *)kr_future_value(done), 5);
    kr_future_unref(done);

    int left = 3;
    done = kr_loop(KR_PID_NONE, NULL, body_only, &left, NULL);
    assert_int_equal(kr_future_state_of(done), KR_READY);
    assert_int_equal(left, 0);
    kr_future_unref(done);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

/* A body may end in a chain: the control value comes through then. */
static kr_future *continue_unless_last(kr_process *self, kr_future *done, const void *arg)
{
    (void)self;
    (void)done;
    int *left = *(int *const *)arg;
    return --*left == 0 ? kr_loop_break(new_int(99), free) : kr_loop_continue();
}

static kr_future *chained_body(kr_process *self, kr_future *item, void *state)
{
    (void)item;
    kr_future *step = kr_future_ready(NULL, NULL);
    kr_future *next = kr_future_then(step, self ? kr_self(self) : KR_PID_NONE,
                                     continue_unless_last, &state, sizeof state);
    kr_future_unref(step);
    return next;
}

static void a_body_may_return_a_chain(void **state)
{
    (void)state;
    int left = 5;
    kr_future *done = kr_loop(KR_PID_NONE, NULL, chained_body, &left, NULL);
    assert_int_equal(kr_future_state_of(done), KR_READY);
    assert_int_equal(*(int *)kr_future_value(done), 99);
    assert_int_equal(left, 0);
    kr_future_unref(done);

    static kr_process proc;
    kr_process_init(&proc, "chain-looper", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    left = 1000;
    done = kr_loop(pid, NULL, chained_body, &left, NULL);
    kt_await_state(done, KR_READY);
    assert_int_equal(*(int *)kr_future_value(done), 99);
    kr_future_unref(done);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

static void a_body_must_return_a_control_value(void **state)
{
    (void)state;
    counter c = {.n = 5, .async_body = true};
    kr_future *done = kr_loop(KR_PID_NONE, count_iterate, count_body, &c, NULL);
    drive(&c, done);
    assert_int_equal(kr_future_state_of(done), KR_FAILED);
    kr_future_unref(done);
    assert_null(kr_loop(KR_PID_NONE, count_iterate, NULL, &c, NULL));
}

/* LoopTest.DiscardIterate / DiscardBody: the request reaches the future in
 * flight; the loop ends DISCARDED. */
static void discarding_a_loop_discards_what_is_in_flight(void **state)
{
    (void)state;
    for (int body = 0; body < 2; body++) {
        counter c = {.n = 1000, .async_item = !body, .async_body = body};
        kr_future *done = kr_loop(KR_PID_NONE, count_iterate, count_body, &c, mark_freed);
        assert_non_null(c.pending);
        kr_future *inflight = kr_promise_future(c.pending);
        kr_future_discard(done);
        assert_true(kr_future_discard_requested(inflight));
        kr_promise_discard(c.pending);
        assert_int_equal(kr_future_state_of(done), KR_DISCARDED);
        assert_true(atomic_load(&c.freed));
        kr_promise_free(c.pending);
        kr_future_unref(inflight);
        kr_future_unref(done);
    }

    /* The in-flight future completes anyway: the loop stops before its
     * next step. */
    counter c = {.n = 1000, .async_item = true};
    kr_future *done = kr_loop(KR_PID_NONE, count_iterate, count_body, &c, NULL);
    kr_promise *p = c.pending;
    kr_future_discard(done);
    kr_promise_set(p, new_int(0), free);
    assert_int_equal(kr_future_state_of(done), KR_DISCARDED);
    assert_int_equal(c.i, 1);
    kr_promise_free(p);
    kr_future_unref(done);
}

static void a_loop_whose_process_is_gone_is_abandoned(void **state)
{
    (void)state;
    static kr_process proc;
    kr_process_init(&proc, "loop-gone", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    counter c = {.n = 10};
    kr_future *done = kr_loop(pid, count_iterate, count_body, &c, mark_freed);
    kt_await_state(done, KR_ABANDONED);
    assert_true(atomic_load(&c.freed));
    kr_future_unref(done);
}

/* --- sequence --------------------------------------------------------------- */

typedef struct step {
    int id;
    kr_promise **gate; /* where to leave the promise this step waits on */
} step;

static atomic_int started[4];
static atomic_int order_pos;

static kr_future *run_step(kr_process *self, const void *arg)
{
    (void)self;
    const step *s = arg;
    atomic_store(&started[s->id], atomic_fetch_add(&order_pos, 1) + 1);
    *s->gate = kr_promise_new();
    return kr_promise_future(*s->gate);
}

static void reset_steps(void)
{
    atomic_store(&order_pos, 0);
    for (int i = 0; i < 4; i++)
        atomic_store(&started[i], 0);
}

/* SequenceTest.Serialize: the second callback starts only once the first
 * one's future is complete (whatever its state). */
static void a_sequence_runs_callbacks_one_after_another(void **state)
{
    (void)state;
    reset_steps();
    static kr_process proc;
    kr_process_init(&proc, "sequencer", NULL);
    kr_pid pid = kr_spawn(&proc, false);
    static kr_promise *gates[3];
    kr_sequence *s = kr_sequence_new();
    kr_future *r[3];
    for (int i = 0; i < 3; i++) {
        step st = {i, &gates[i]};
        r[i] = kr_sequence_add(s, pid, run_step, &st, sizeof st);
    }
    kt_settle();
    assert_int_equal(atomic_load(&started[0]), 1);
    assert_int_equal(atomic_load(&started[1]), 0);
    kr_promise_fail(gates[0], "first failed");
    kt_await_state(r[0], KR_FAILED);
    kt_settle();
    assert_int_equal(atomic_load(&started[1]), 2);
    assert_int_equal(atomic_load(&started[2]), 0);
    kr_promise_set(gates[1], NULL, NULL);
    kt_await_state(r[1], KR_READY);
    kt_settle();
    assert_int_equal(atomic_load(&started[2]), 3);
    kr_promise_set(gates[2], NULL, NULL);
    kt_await_state(r[2], KR_READY);
    for (int i = 0; i < 3; i++) {
        kr_future_unref(r[i]);
        kr_promise_free(gates[i]);
    }
    kr_sequence_free(s);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

/* SequenceTest.DiscardOne / DiscardAll. */
static void discarded_callbacks_never_run(void **state)
{
    (void)state;
    reset_steps();
    static kr_promise *gates[3];
    kr_sequence *s = kr_sequence_new();
    kr_future *r[3];
    for (int i = 0; i < 3; i++) {
        step st = {i, &gates[i]};
        r[i] = kr_sequence_add(s, KR_PID_NONE, run_step, &st, sizeof st);
    }
    assert_int_equal(atomic_load(&started[0]), 1);
    kr_future_discard(r[1]); /* not started: never will */
    kr_promise_set(gates[0], NULL, NULL);
    assert_int_equal(kr_future_state_of(r[1]), KR_DISCARDED);
    assert_int_equal(atomic_load(&started[1]), 0);
    assert_int_equal(atomic_load(&started[2]), 2); /* the next one runs */

    /* Freeing the sequence discards what has not finished. */
    step st = {3, &gates[1]};
    kr_future *last = kr_sequence_add(s, KR_PID_NONE, run_step, &st, sizeof st);
    kr_future *running = kr_promise_future(gates[2]);
    kr_sequence_free(s);
    assert_true(kr_future_discard_requested(running));
    kr_promise_discard(gates[2]);
    assert_int_equal(kr_future_state_of(r[2]), KR_DISCARDED);
    assert_int_equal(kr_future_state_of(last), KR_DISCARDED);
    assert_int_equal(atomic_load(&started[3]), 0);
    kr_future_unref(running);
    kr_future_unref(last);
    for (int i = 0; i < 3; i++)
        kr_future_unref(r[i]);
    kr_promise_free(gates[0]);
    kr_promise_free(gates[2]);
    assert_null(kr_sequence_add(NULL, KR_PID_NONE, run_step, NULL, 0));
    kr_sequence_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(a_synchronous_loop_runs_in_constant_stack),
        KT_TEST(an_asynchronous_loop_waits_for_each_item),
        KT_TEST(a_body_may_return_a_chain),
        KT_TEST(a_body_must_return_a_control_value),
        KT_TEST(discarding_a_loop_discards_what_is_in_flight),
        KT_TEST(a_loop_whose_process_is_gone_is_abandoned),
        KT_TEST(a_sequence_runs_callbacks_one_after_another),
        KT_TEST(discarded_callbacks_never_run),
    };
    return KT_RUN(tests);
}
