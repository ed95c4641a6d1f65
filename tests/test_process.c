/* Processes: spawn, initialize/finalize, terminate (with and without inject),
 * wait, ids, managed processes, and per-sender ordering of events. */
#include "harness.h"

#define LOG_MAX 4096

/* A process that counts its callbacks and logs the numbers it receives in
 * "num" messages (an int body) and in dispatches (an int argument). */
typedef struct tproc {
    kr_process base;
    atomic_int initialized, finalized;
    atomic_bool init_in_context, fin_in_context;
    atomic_int events;             /* messages and dispatches served */
    atomic_int served_before_init; /* events served before initialize */
    atomic_int events_at_finalize;
    atomic_int nlog;
    int log[LOG_MAX];
    kr_promise *done; /* set when `events` reaches done_at */
    int done_at;
} tproc;

static void tproc_initialize(kr_process *self)
{
    tproc *t = (tproc *)self;
    atomic_store(&t->init_in_context, kr_current() == self);
    atomic_fetch_add(&t->initialized, 1);
}

static void tproc_finalize(kr_process *self)
{
    tproc *t = (tproc *)self;
    atomic_store(&t->fin_in_context, kr_current() == self);
    atomic_store(&t->events_at_finalize, atomic_load(&t->events));
    atomic_fetch_add(&t->finalized, 1);
}

static void tproc_event(tproc *t, int value)
{
    if (atomic_load(&t->initialized) == 0)
        atomic_fetch_add(&t->served_before_init, 1);
    int i = atomic_fetch_add(&t->nlog, 1);
    if (i < LOG_MAX)
        t->log[i] = value;
    int n = atomic_fetch_add(&t->events, 1) + 1;
    if (t->done && n == t->done_at)
        kr_promise_set(t->done, NULL, NULL);
}

static void on_num(kr_process *self, const kr_message *m)
{
    int v = -1;
    if (m->len == sizeof v)
        memcpy(&v, m->body, sizeof v);
    tproc_event((tproc *)self, v);
}

static void log_arg(kr_process *self, const void *arg)
{
    tproc_event((tproc *)self, *(const int *)arg);
}

static void log_call(kr_process *self, const void *arg, kr_promise *result)
{
    tproc_event((tproc *)self, arg ? *(const int *)arg : -1);
    kr_promise_set(result, NULL, NULL);
}

static const kr_process_ops tproc_ops = {
    .initialize = tproc_initialize,
    .finalize = tproc_finalize,
};

static void tproc_init(tproc *t, const char *id)
{
    memset(t, 0, sizeof *t);
    kr_process_init(&t->base, id, &tproc_ops);
    assert_int_equal(kr_install(&t->base, "num", on_num), 0);
}

static void post_num(kr_pid to, int v)
{
    kr_post(to, "num", &v, sizeof v);
}

/* ProcessTest.Spawn */
static void spawn_runs_initialize_and_terminate_runs_finalize(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "spawned");
    kr_pid pid = kr_spawn(&p.base, false);
    assert_false(kr_pid_is_none(pid));
    assert_true(kr_pid_equal(pid, kr_self(&p.base)));

    kt_flush(pid);
    assert_int_equal(atomic_load(&p.initialized), 1);
    assert_true(atomic_load(&p.init_in_context));
    assert_false(kr_wait(pid, 0)); /* alive */
    assert_int_equal(atomic_load(&p.finalized), 0);

    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    assert_int_equal(atomic_load(&p.initialized), 1);
    assert_int_equal(atomic_load(&p.finalized), 1);
    assert_true(atomic_load(&p.fin_in_context));
}

static void initialize_runs_before_the_first_event(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "eager");
    kr_pid pid = kr_spawn(&p.base, false);
    /* Queued right behind the spawn, before initialize can have run. */
    post_num(pid, 1);
    int two = 2;
    kr_dispatch(pid, log_arg, &two, sizeof two);
    post_num(pid, 3);
    kt_flush(pid);

    assert_int_equal(atomic_load(&p.initialized), 1);
    assert_int_equal(atomic_load(&p.served_before_init), 0);
    assert_int_equal(atomic_load(&p.events), 3);
    assert_int_equal(p.log[0], 1);
    assert_int_equal(p.log[1], 2);
    assert_int_equal(p.log[2], 3);
}

static void self_is_known_before_spawn(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "early-bird");
    kr_pid before = kr_self(&p.base);
    assert_string_equal(before.id, "early-bird");
    kr_pid pid = kr_spawn(&p.base, false);
    assert_true(kr_pid_equal(before, pid));
}

static void current_is_null_outside_processes(void **state)
{
    (void)state;
    assert_null(kr_current());
}

static void processes_without_an_id_get_distinct_generated_ids(void **state)
{
    (void)state;
    static tproc a, b;
    tproc_init(&a, NULL);
    tproc_init(&b, "");
    kr_pid pa = kr_spawn(&a.base, false);
    kr_pid pb = kr_spawn(&b.base, false);
    assert_false(kr_pid_is_none(pa));
    assert_false(kr_pid_is_none(pb));
    assert_false(kr_pid_equal(pa, pb));
    assert_int_equal(pa.id[0], '(');
    assert_int_equal(pa.id[strlen(pa.id) - 1], ')');
    assert_int_equal(pb.id[0], '(');
}

/* Unnamed ids "(N)" are hashed by number in blocks (table.c): a pid that
 * arrives as text (no slot cache) must still find its process, and a named
 * process cannot take an unnamed one's id. */
#define UNNAMED 100
static void unnamed_processes_are_found_by_their_text(void **state)
{
    (void)state;
    static tproc t[UNNAMED];
    kr_pid pids[UNNAMED];
    for (int i = 0; i < UNNAMED; i++) {
        tproc_init(&t[i], NULL);
        pids[i] = kr_spawn(&t[i].base, false);
        assert_false(kr_pid_is_none(pids[i]));
    }
    for (int i = 0; i < UNNAMED; i++) {
        char text[KR_PID_STRLEN_MAX];
        kr_pid parsed;
        assert_int_equal(kr_pid_format(pids[i], text, sizeof text), 0);
        assert_int_equal(kr_pid_parse(text, &parsed), 0);
        post_num(parsed, i);
    }
    static tproc thief;
    tproc_init(&thief, pids[UNNAMED / 2].id);
    assert_true(kr_pid_is_none(kr_spawn(&thief.base, false)));
    for (int i = 0; i < UNNAMED; i++) {
        kt_flush(pids[i]);
        assert_int_equal(atomic_load(&t[i].events), 1);
        assert_int_equal(atomic_load(&t[i].nlog), 1);
        assert_int_equal(t[i].log[0], i);
        kr_terminate(pids[i], false);
        assert_true(kr_wait(pids[i], KT_TIMEOUT));
    }
}

static void id_generate_counts_per_prefix(void **state)
{
    (void)state;
    const char *expected[][2] = {
        {"p", "p(1)"}, {"p", "p(2)"}, {"q", "q(1)"}, {"p", "p(3)"}, {"q", "q(2)"},
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        char *id = kr_id_generate(expected[i][0]);
        assert_non_null(id);
        assert_string_equal(id, expected[i][1]);
        free(id);
    }
}

/* --- ids taken, spawn refused ------------------------------------------ */

static atomic_int destroyed;
static kr_promise *destroyed_signal;

static void counting_destroy(kr_process *self)
{
    atomic_fetch_add(&destroyed, 1);
    if (destroyed_signal)
        kr_promise_set(destroyed_signal, NULL, NULL);
    free(self);
}

static void duplicate_ids_are_refused(void **state)
{
    (void)state;
    static tproc first, second;
    tproc_init(&first, "twin");
    tproc_init(&second, "twin");
    kr_pid pid = kr_spawn(&first.base, false);
    assert_false(kr_pid_is_none(pid));
    assert_true(kr_pid_is_none(kr_spawn(&second.base, false)));
    /* A process cannot be spawned twice either. */
    assert_true(kr_pid_is_none(kr_spawn(&first.base, false)));

    /* The first one is untouched. */
    kt_flush(pid);
    assert_false(kr_wait(pid, 0));
    assert_int_equal(atomic_load(&first.initialized), 1);
    assert_int_equal(atomic_load(&second.initialized), 0);
}

static void refused_managed_spawn_destroys_the_process(void **state)
{
    (void)state;
    static tproc holder;
    tproc_init(&holder, "taken");
    assert_false(kr_pid_is_none(kr_spawn(&holder.base, false)));

    atomic_store(&destroyed, 0);
    kr_process *dup = malloc(sizeof *dup);
    assert_non_null(dup);
    const kr_process_ops ops = {.destroy = counting_destroy};
    kr_process_init(dup, "taken", &ops);
    assert_true(kr_pid_is_none(kr_spawn(dup, true)));
    kt_settle();
    assert_int_equal(atomic_load(&destroyed), 1);
}

static void spawn_when_not_running_returns_none(void **state)
{
    (void)state;
    assert_false(kr_running());
    static tproc p;
    tproc_init(&p, "too-early");
    assert_true(kr_pid_is_none(kr_spawn(&p.base, false)));

    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    kr_finalize();
    tproc_init(&p, "too-late");
    assert_true(kr_pid_is_none(kr_spawn(&p.base, false)));
}

/* --- managed processes --------------------------------------------------- */

typedef struct managed {
    kr_process base;
    atomic_int *finalized;
} managed;

static atomic_int managed_finalized;
static atomic_int finalized_before_destroy;

static void managed_finalize(kr_process *self)
{
    atomic_fetch_add(((managed *)self)->finalized, 1);
}

static void managed_destroy(kr_process *self)
{
    atomic_store(&finalized_before_destroy, atomic_load(&managed_finalized));
    counting_destroy(self);
}

static void managed_process_is_destroyed_after_it_terminates(void **state)
{
    (void)state;
    atomic_store(&destroyed, 0);
    atomic_store(&managed_finalized, 0);
    atomic_store(&finalized_before_destroy, -1);
    destroyed_signal = kr_promise_new();
    kr_future *gone = kr_promise_future(destroyed_signal);

    managed *m = malloc(sizeof *m);
    assert_non_null(m);
    m->finalized = &managed_finalized;
    const kr_process_ops ops = {.finalize = managed_finalize, .destroy = managed_destroy};
    kr_process_init(&m->base, "managed", &ops);
    kr_pid pid = kr_spawn(&m->base, true);
    assert_false(kr_pid_is_none(pid));
    m = NULL; /* the runtime owns it now */

    kt_flush(pid);
    assert_int_equal(atomic_load(&destroyed), 0);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kt_await_unref(gone, KR_READY);
    assert_int_equal(atomic_load(&destroyed), 1);
    assert_int_equal(atomic_load(&finalized_before_destroy), 1);
    kr_promise_free(destroyed_signal);
    destroyed_signal = NULL;
}

static void managed_process_without_destroy_is_freed(void **state)
{
    (void)state;
    /* ops.destroy == NULL means free(): under ASan/LSan a leak fails this. */
    kr_process *p = malloc(sizeof *p);
    assert_non_null(p);
    kr_process_init(p, "freed-by-runtime", NULL);
    kr_pid pid = kr_spawn(p, true);
    assert_false(kr_pid_is_none(pid));
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    /* And one still alive at kr_finalize is freed then. */
    kr_process *q = malloc(sizeof *q);
    assert_non_null(q);
    kr_process_init(q, NULL, NULL);
    assert_false(kr_pid_is_none(kr_spawn(q, true)));
}

/* --- terminate and wait ------------------------------------------------- */

static void terminating_an_unknown_pid_is_a_no_op(void **state)
{
    (void)state;
    static tproc live;
    tproc_init(&live, "bystander");
    kr_pid pid = kr_spawn(&live.base, false);
    kr_pid ghost = kt_ghost_pid("ghost");
    kr_terminate(ghost, true);
    kr_terminate(ghost, false);
    kr_terminate(KR_PID_NONE, true);
    assert_false(kr_wait(ghost, KR_MSEC(10)));
    assert_false(kr_wait(KR_PID_NONE, KR_MSEC(10)));
    kt_flush(pid);
    assert_int_equal(atomic_load(&live.finalized), 0);
}

static void terminating_twice_finalizes_once(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "twice");
    kr_pid pid = kr_spawn(&p.base, false);
    kr_terminate(pid, false);
    kr_terminate(pid, true);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kr_terminate(pid, false); /* gone: a no-op */
    kt_settle();
    assert_int_equal(atomic_load(&p.finalized), 1);
    (void)kr_wait(pid, 0); /* a pid that is gone: must neither crash nor hang */
}

static void wait_times_out_on_a_live_process(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "alive");
    kr_pid pid = kr_spawn(&p.base, false);
    assert_false(kr_wait(pid, KR_MSEC(50)));
    kt_flush(pid); /* still serving */
    assert_int_equal(atomic_load(&p.finalized), 0);
}

static void wait_times_out_with_the_clock_paused(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "alive-paused");
    kr_clock_pause();
    kr_pid pid = kr_spawn(&p.base, false);
    assert_false(kr_wait(pid, KR_MSEC(50)));
    kt_flush(pid);
}

static void on_quit(kr_process *self, const kr_message *m)
{
    (void)m;
    kr_terminate(kr_self(self), false);
}

static void a_process_can_terminate_itself(void **state)
{
    (void)state;
    static tproc p;
    tproc_init(&p, "quitter");
    assert_int_equal(kr_install(&p.base, "quit", on_quit), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, "quit", NULL, 0);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    assert_int_equal(atomic_load(&p.finalized), 1);
}

/* --- ordering ----------------------------------------------------------- */

static void posts_from_one_thread_arrive_in_order(void **state)
{
    (void)state;
    enum { N = 1000 };
    static tproc r;
    tproc_init(&r, "ordered");
    r.done = kr_promise_new();
    r.done_at = N;
    kr_future *done = kr_promise_future(r.done);
    kr_pid pid = kr_spawn(&r.base, false);
    for (int i = 0; i < N; i++)
        post_num(pid, i);
    kt_await_unref(done, KR_READY);
    assert_int_equal(atomic_load(&r.events), N);
    for (int i = 0; i < N; i++)
        assert_int_equal(r.log[i], i);
    kr_promise_free(r.done);
    r.done = NULL;
}

typedef struct sender {
    kr_process base;
    kr_pid to;
    int count;
} sender;

static void on_go(kr_process *self, const kr_message *m)
{
    (void)m;
    sender *s = (sender *)self;
    for (int i = 0; i < s->count; i++)
        kr_send(self, s->to, "num", &i, sizeof i);
}

static void sends_from_one_process_arrive_in_order(void **state)
{
    (void)state;
    enum { N = 1000 };
    static tproc r;
    static sender s;
    tproc_init(&r, "receiver");
    r.done = kr_promise_new();
    r.done_at = N;
    kr_future *done = kr_promise_future(r.done);
    kr_pid rpid = kr_spawn(&r.base, false);

    memset(&s, 0, sizeof s);
    kr_process_init(&s.base, "sender", NULL);
    s.to = rpid;
    s.count = N;
    assert_int_equal(kr_install(&s.base, "go", on_go), 0);
    kr_pid spid = kr_spawn(&s.base, false);
    kr_post(spid, "go", NULL, 0);

    kt_await_unref(done, KR_READY);
    for (int i = 0; i < N; i++)
        assert_int_equal(r.log[i], i);
    kr_promise_free(r.done);
    r.done = NULL;
}

static void messages_and_dispatches_share_one_order(void **state)
{
    (void)state;
    enum { N = 200 };
    static tproc r;
    tproc_init(&r, "mixed");
    kr_pid pid = kr_spawn(&r.base, false);
    for (int i = 0; i < N; i++) {
        if (i % 2)
            kr_dispatch(pid, log_arg, &i, sizeof i);
        else
            post_num(pid, i);
    }
    kt_flush(pid);
    assert_int_equal(atomic_load(&r.events), N);
    for (int i = 0; i < N; i++)
        assert_int_equal(r.log[i], i);
}

/* --- terminate vs queued events (libprocess' inject) -------------------- */

static void inject_terminate_purges_events_queued_before_it(void **state)
{
    (void)state;
    static tproc b;
    tproc_init(&b, "purged");
    kr_pid pid = kr_spawn(&b.base, false);

    kt_hold(pid); /* b serves nothing until kt_release */
    for (int i = 0; i < 10; i++)
        post_num(pid, i);
    int v = 99;
    kr_future *call = kr_dispatch_call(pid, log_call, &v, sizeof v);
    kr_terminate(pid, true);
    kt_release();

    assert_true(kr_wait(pid, KT_TIMEOUT));
    assert_int_equal(atomic_load(&b.events), 0);
    kt_await_unref(call, KR_ABANDONED); /* purged, never pending */
    assert_int_equal(atomic_load(&b.finalized), 1);
}

static void terminate_without_inject_serves_queued_events_first(void **state)
{
    (void)state;
    static tproc b;
    tproc_init(&b, "drained");
    kr_pid pid = kr_spawn(&b.base, false);

    kt_hold(pid);
    for (int i = 0; i < 10; i++)
        post_num(pid, i);
    int v = 10;
    kr_future *call = kr_dispatch_call(pid, log_call, &v, sizeof v);
    kr_terminate(pid, false);
    kt_release();

    assert_true(kr_wait(pid, KT_TIMEOUT));
    kt_await_unref(call, KR_READY);
    assert_int_equal(atomic_load(&b.events), 11);
    for (int i = 0; i <= 10; i++)
        assert_int_equal(b.log[i], i);
    assert_int_equal(atomic_load(&b.finalized), 1);
    assert_int_equal(atomic_load(&b.events_at_finalize), 11); /* finalize last */
}

/* The same, race-free on every backend: a handler queues events to its own
 * process and then terminates it, with and without inject. */
static void queue_then_quit(kr_process *self, const void *arg)
{
    bool inject = *(const bool *)arg;
    for (int i = 0; i < 5; i++)
        kr_send(self, kr_self(self), "num", &i, sizeof i);
    kr_terminate(kr_self(self), inject);
}

static void terminate_from_inside_purges_or_serves_what_the_handler_queued(void **state)
{
    (void)state;
    static tproc a, b;
    bool inject = true;
    tproc_init(&a, "self-purge");
    kr_pid pa = kr_spawn(&a.base, false);
    kr_dispatch(pa, queue_then_quit, &inject, sizeof inject);
    assert_true(kr_wait(pa, KT_TIMEOUT));
    assert_int_equal(atomic_load(&a.events), 0);
    assert_int_equal(atomic_load(&a.finalized), 1);

    inject = false;
    tproc_init(&b, "self-drain");
    kr_pid pb = kr_spawn(&b.base, false);
    kr_dispatch(pb, queue_then_quit, &inject, sizeof inject);
    assert_true(kr_wait(pb, KT_TIMEOUT));
    assert_int_equal(atomic_load(&b.events), 5);
    assert_int_equal(atomic_load(&b.events_at_finalize), 5);
}

/* As in libprocess, initialize is not an event that a terminate can purge:
 * a process terminated (even with inject) right after its spawn is still
 * initialized before it is finalized. */
static void a_process_terminated_at_once_is_initialized_then_finalized(void **state)
{
    (void)state;
    static tproc b;
    tproc_init(&b, "short-lived");
    kr_pid pid = kr_spawn(&b.base, false);
    kr_terminate(pid, true);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    assert_int_equal(atomic_load(&b.initialized), 1);
    assert_int_equal(atomic_load(&b.finalized), 1);
}

static void events_after_terminate_are_dropped(void **state)
{
    (void)state;
    static tproc b;
    tproc_init(&b, "closing");
    kr_pid pid = kr_spawn(&b.base, false);

    kt_hold(pid);
    for (int i = 0; i < 3; i++)
        post_num(pid, i);
    kr_terminate(pid, false);
    for (int i = 3; i < 7; i++)
        post_num(pid, i);
    int v = 7;
    kr_dispatch(pid, log_arg, &v, sizeof v);
    kr_future *late = kr_dispatch_call(pid, log_call, &v, sizeof v);
    kt_release();

    assert_true(kr_wait(pid, KT_TIMEOUT));
    kt_await_unref(late, KR_ABANDONED);
    assert_int_equal(atomic_load(&b.events), 3);
    assert_int_equal(atomic_load(&b.finalized), 1);

    /* And after it is gone. */
    post_num(pid, 8);
    kt_await_unref(kr_dispatch_call(pid, log_call, &v, sizeof v), KR_ABANDONED);
    kt_settle();
    assert_int_equal(atomic_load(&b.events), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(spawn_runs_initialize_and_terminate_runs_finalize),
        KT_TEST(initialize_runs_before_the_first_event),
        KT_TEST(self_is_known_before_spawn),
        KT_TEST(current_is_null_outside_processes),
        KT_TEST(processes_without_an_id_get_distinct_generated_ids),
        KT_TEST(unnamed_processes_are_found_by_their_text),
        KT_TEST(id_generate_counts_per_prefix),
        KT_TEST(duplicate_ids_are_refused),
        KT_TEST(refused_managed_spawn_destroys_the_process),
        KT_BARE_TEST(spawn_when_not_running_returns_none),
        KT_TEST(managed_process_is_destroyed_after_it_terminates),
        KT_TEST(managed_process_without_destroy_is_freed),
        KT_TEST(terminating_an_unknown_pid_is_a_no_op),
        KT_TEST(terminating_twice_finalizes_once),
        KT_TEST(wait_times_out_on_a_live_process),
        KT_TEST(wait_times_out_with_the_clock_paused),
        KT_TEST(a_process_can_terminate_itself),
        KT_TEST(posts_from_one_thread_arrive_in_order),
        KT_TEST(sends_from_one_process_arrive_in_order),
        KT_TEST(messages_and_dispatches_share_one_order),
        KT_TEST(inject_terminate_purges_events_queued_before_it),
        KT_TEST(terminate_without_inject_serves_queued_events_first),
        KT_TEST(events_after_terminate_are_dropped),
        KT_TEST(terminate_from_inside_purges_or_serves_what_the_handler_queued),
        KT_TEST(a_process_terminated_at_once_is_initialized_then_finalized),
    };
    return KT_RUN(tests);
}
