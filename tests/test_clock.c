/* The clock: pause/advance/update, timers (kr_delay, kr_timer_cancel) and
 * settle, after libprocess' ProcessTest.Delay and ProcessTest.Settle. */
#include "harness.h"

#include <time.h>

/* A process whose timer callbacks append a letter (and the time they ran) to
 * a log. */
typedef struct cproc {
    kr_process base;
    atomic_int n;
    char log[64];
    kr_time when[64];
} cproc;

typedef struct mark_arg {
    char letter;
    kr_promise *signal; /* completed once logged, may be NULL */
} mark_arg;

static void mark(kr_process *self, const void *arg)
{
    cproc *c = (cproc *)self;
    const mark_arg *m = arg;
    int i = atomic_load(&c->n);
    if (i < 63) {
        c->log[i] = m->letter;
        c->log[i + 1] = '\0';
        c->when[i] = kr_clock_now();
        atomic_store(&c->n, i + 1);
    }
    if (m->signal)
        kr_promise_set(m->signal, NULL, NULL);
}

static kr_timer delay_mark(kr_duration d, kr_pid to, char letter)
{
    mark_arg m = {.letter = letter};
    kr_timer t = kr_delay(d, to, mark, &m, sizeof m);
    assert_true(t != 0);
    return t;
}

static kr_pid cproc_spawn(cproc *c, const char *id)
{
    memset(c, 0, sizeof *c);
    kr_process_init(&c->base, id, NULL);
    kr_pid pid = kr_spawn(&c->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

static void pause_and_resume(void **state)
{
    (void)state;
    assert_false(kr_clock_paused());
    kr_clock_pause();
    assert_true(kr_clock_paused());
    kr_clock_pause(); /* idempotent */
    assert_true(kr_clock_paused());
    kr_clock_resume();
    assert_false(kr_clock_paused());
}

static void paused_time_moves_only_by_advance_and_update(void **state)
{
    (void)state;
    kr_clock_pause();
    kr_time t0 = kr_clock_now();
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_true(kr_clock_now() == t0);

    kr_clock_advance(KR_SEC(5));
    assert_true(kr_clock_now() == t0 + KR_SEC(5));
    kr_clock_advance(-KR_SEC(1)); /* negative: ignored */
    assert_true(kr_clock_now() == t0 + KR_SEC(5));

    kr_clock_update(t0); /* the past: ignored */
    assert_true(kr_clock_now() == t0 + KR_SEC(5));
    kr_clock_update(t0 + KR_SEC(10));
    assert_true(kr_clock_now() == t0 + KR_SEC(10));
}

static void advance_is_ignored_while_running(void **state)
{
    (void)state;
    kr_time t0 = kr_clock_now();
    kr_clock_advance(KR_SEC(3600));
    kr_clock_update(t0 + KR_SEC(7200));
    assert_true(kr_clock_now() - t0 < KR_SEC(1800));
}

static void resume_never_moves_time_backwards(void **state)
{
    (void)state;
    kr_clock_pause();
    kr_clock_advance(KR_SEC(3600));
    kr_time paused_at = kr_clock_now();
    kr_clock_resume();
    assert_true(kr_clock_now() >= paused_at);
}

/* ProcessTest.Delay */
static void delay_fires_only_after_advance(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "delayed");
    kr_time t0 = kr_clock_now();
    delay_mark(KR_SEC(5), pid, 'a');

    kr_clock_settle();
    assert_int_equal(atomic_load(&c.n), 0);
    kr_clock_advance(KR_SEC(4));
    kr_clock_settle();
    assert_int_equal(atomic_load(&c.n), 0);
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_int_equal(atomic_load(&c.n), 1);
    assert_string_equal(c.log, "a");
    assert_true(c.when[0] == t0 + KR_SEC(5)); /* now() in the process */
}

static void timers_fire_in_deadline_order_ties_in_creation_order(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "ordered");
    delay_mark(KR_SEC(3), pid, 'c');
    delay_mark(KR_SEC(1), pid, 'a');
    delay_mark(KR_SEC(2), pid, 'b');
    delay_mark(KR_SEC(1), pid, 'A');
    delay_mark(KR_SEC(2), pid, 'B');
    delay_mark(KR_SEC(1), pid, '1');

    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_string_equal(c.log, "aA1");
    kr_clock_advance(KR_SEC(4)); /* several deadlines passed at once */
    kr_clock_settle();
    assert_string_equal(c.log, "aA1bBc");
}

static void nest(kr_process *self, const void *arg)
{
    (void)arg;
    mark_arg n = {.letter = 'n'};
    mark(self, &n);
    mark_arg z = {.letter = 'z'}, y = {.letter = 'y'};
    kr_delay(0, kr_self(self), mark, &z, sizeof z);         /* due now */
    kr_delay(KR_SEC(1), kr_self(self), mark, &y, sizeof y); /* due later */
}

static void delays_made_by_a_timer_at_the_current_time_fire_without_advance(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "nested");
    assert_true(kr_delay(KR_SEC(1), pid, nest, NULL, 0) != 0);
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_string_equal(c.log, "nz");
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_string_equal(c.log, "nzy");
}

static void delay_zero_fires_while_paused_without_advance(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "immediate");
    delay_mark(0, pid, 'x');
    kr_clock_settle();
    assert_string_equal(c.log, "x");
}

static void cancel_is_true_only_before_the_timer_fires(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "cancelled");
    kr_stats before, after;
    kr_stats_get(&before);

    kr_timer t = delay_mark(KR_SEC(1), pid, 'x');
    assert_true(kr_timer_cancel(t));
    assert_false(kr_timer_cancel(t)); /* already cancelled */
    kr_clock_advance(KR_SEC(2));
    kr_clock_settle();
    assert_int_equal(atomic_load(&c.n), 0);

    kr_timer fired = delay_mark(KR_SEC(1), pid, 'y');
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_string_equal(c.log, "y");
    assert_false(kr_timer_cancel(fired));
    assert_false(kr_timer_cancel(0));

    kr_stats_get(&after);
    assert_int_equal(after.timers_created - before.timers_created, 2);
    assert_int_equal(after.timers_fired - before.timers_fired, 1);
    assert_int_equal(after.timers_cancelled - before.timers_cancelled, 1);
}

/* Many timers due at once: the real timer thread pops kr_delay timers in
 * batches (64 per lock); order must hold across batch boundaries. */
#define MANY_TIMERS 300
typedef struct seq_proc {
    kr_process base;
    atomic_int n;
    int order[MANY_TIMERS];
} seq_proc;

static void record_seq(kr_process *self, const void *arg)
{
    seq_proc *s = (seq_proc *)self;
    int i = atomic_load(&s->n);
    if (i < MANY_TIMERS)
        s->order[i] = *(const int *)arg;
    atomic_store(&s->n, i + 1);
}

static void many_due_timers_fire_in_deadline_then_creation_order(void **state)
{
    (void)state;
    static seq_proc s;
    memset(&s, 0, sizeof s);
    kr_clock_pause();
    kr_process_init(&s.base, "many", NULL);
    kr_pid pid = kr_spawn(&s.base, false);
    assert_false(kr_pid_is_none(pid));
    /* Timer i is due at (i % 3) ms: three runs of ties, made interleaved. */
    for (int i = 0; i < MANY_TIMERS; i++)
        assert_true(kr_delay(KR_MSEC(i % 3), pid, record_seq, &i, sizeof i) != 0);
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_int_equal(atomic_load(&s.n), MANY_TIMERS);
    int k = 0;
    for (int tie = 0; tie < 3; tie++)
        for (int i = tie; i < MANY_TIMERS; i += 3)
            assert_int_equal(s.order[k++], i);
}

/* A timeout (kr_future_after) whose callback cancels a kr_delay due at the
 * same instant, made after it: the delay is still in the heap when the
 * timeout fires, so the cancel succeeds and the delay never runs. */
static kr_timer victim;
static atomic_int victim_cancelled;

static void cancel_victim(kr_process *self, kr_future *f, const void *arg)
{
    (void)self;
    (void)f;
    (void)arg;
    atomic_store(&victim_cancelled, kr_timer_cancel(victim) ? 1 : 2);
}

static void a_timeout_can_cancel_a_delay_due_at_the_same_time(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "victim");
    atomic_store(&victim_cancelled, 0);
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_future *a = kr_future_after(f, KR_SEC(1));
    assert_non_null(a);
    kr_future_on_any(a, KR_PID_NONE, cancel_victim, NULL, 0);
    victim = delay_mark(KR_SEC(1), pid, 'v');
    for (int i = 0; i < 10; i++)
        delay_mark(KR_SEC(1), pid, 'x'); /* a batch's worth after it */
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_int_equal(atomic_load(&victim_cancelled), 1);
    assert_string_equal(c.log, "xxxxxxxxxx");
    kr_future_unref(a);
    kr_future_unref(f);
    kr_promise_free(p);
}

static void update_fires_due_timers(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "updated");
    kr_time t0 = kr_clock_now();
    delay_mark(KR_SEC(3), pid, 'u');
    kr_clock_update(t0 + KR_SEC(2));
    kr_clock_settle();
    assert_int_equal(atomic_load(&c.n), 0);
    kr_clock_update(t0 + KR_SEC(3));
    kr_clock_settle();
    assert_string_equal(c.log, "u");
    assert_true(c.when[0] == t0 + KR_SEC(3));
}

static void timer_to_a_terminated_process_is_dropped(void **state)
{
    (void)state;
    static cproc c;
    kr_clock_pause();
    kr_pid pid = cproc_spawn(&c, "departed");
    delay_mark(KR_SEC(1), pid, 'x');
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kr_clock_advance(KR_SEC(1));
    kr_clock_settle();
    assert_int_equal(atomic_load(&c.n), 0);
}

static void delay_fires_with_the_clock_running(void **state)
{
    (void)state;
    static cproc c;
    kr_pid pid = cproc_spawn(&c, "running-clock");
    kr_time t0 = kr_clock_now();
    mark_arg m = {.letter = 'r', .signal = kr_promise_new()};
    kr_future *fired = kr_promise_future(m.signal);
    assert_true(kr_delay(KR_MSEC(20), pid, mark, &m, sizeof m) != 0);
    kt_await_unref(fired, KR_READY);
    kr_promise_free(m.signal);
    assert_true(c.when[0] - t0 >= KR_MSEC(20));
    assert_true(kr_clock_now() - t0 >= KR_MSEC(20));
}

/* ProcessTest.Settle: settle returns only after the whole chain
 * initialize -> delay(0) -> dispatch(self) -> spawn/link/terminate child ->
 * exited has run. (libprocess waits on the child inside the process; Kairos
 * forbids blocking inside a process, so the chain ends with exited.) */
typedef struct settler {
    kr_process base;
    kr_process child;
    atomic_bool called_dispatch;
} settler;

static void settle_step_dispatch(kr_process *self, const void *arg)
{
    (void)arg;
    settler *s = (settler *)self;
    kr_process_init(&s->child, "settle-child", NULL);
    kr_pid child = kr_spawn(&s->child, false);
    kr_link(self, child);
    kr_terminate(child, false);
}

static void settle_step_delay(kr_process *self, const void *arg)
{
    (void)arg;
    kr_dispatch(kr_self(self), settle_step_dispatch, NULL, 0);
}

static void settler_initialize(kr_process *self)
{
    kr_delay(0, kr_self(self), settle_step_delay, NULL, 0);
}

static void settler_exited(kr_process *self, kr_pid who)
{
    (void)who;
    atomic_store(&((settler *)self)->called_dispatch, true);
}

static void settle_waits_for_a_chain_of_events(void **state)
{
    (void)state;
    static settler s;
    static const kr_process_ops ops = {.initialize = settler_initialize,
                                       .exited = settler_exited};
    memset(&s, 0, sizeof s);
    kr_clock_pause();
    kr_process_init(&s.base, "settler", &ops);
    assert_false(kr_pid_is_none(kr_spawn(&s.base, false)));
    kr_clock_settle();
    assert_true(atomic_load(&s.called_dispatch));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(pause_and_resume),
        KT_TEST(paused_time_moves_only_by_advance_and_update),
        KT_TEST(advance_is_ignored_while_running),
        KT_TEST(resume_never_moves_time_backwards),
        KT_TEST(delay_fires_only_after_advance),
        KT_TEST(timers_fire_in_deadline_order_ties_in_creation_order),
        KT_TEST(delays_made_by_a_timer_at_the_current_time_fire_without_advance),
        KT_TEST(delay_zero_fires_while_paused_without_advance),
        KT_TEST(cancel_is_true_only_before_the_timer_fires),
        KT_TEST(many_due_timers_fire_in_deadline_then_creation_order),
        KT_TEST(a_timeout_can_cancel_a_delay_due_at_the_same_time),
        KT_TEST(update_fires_due_timers),
        KT_TEST(timer_to_a_terminated_process_is_dropped),
        KT_TEST(delay_fires_with_the_clock_running),
        KT_TEST(settle_waits_for_a_chain_of_events),
    };
    return KT_RUN(tests);
}
