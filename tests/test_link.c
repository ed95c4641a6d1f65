/* Links: exited(who) once a linked process ends (ProcessTest.Exited,
 * FutureExited). */
#include "harness.h"

typedef struct watcher {
    kr_process base;
    kr_pid link_in_init; /* linked from initialize, twice if link_twice */
    bool link_twice;
    atomic_int exits;
    kr_pid who[8];
    atomic_bool in_context;
    kr_promise *first_exit; /* set on the first exited() */
} watcher;

static void watcher_initialize(kr_process *self)
{
    watcher *w = (watcher *)self;
    if (!kr_pid_is_none(w->link_in_init)) {
        kr_link(self, w->link_in_init);
        if (w->link_twice)
            kr_link(self, w->link_in_init);
    }
}

static void watcher_exited(kr_process *self, kr_pid who)
{
    watcher *w = (watcher *)self;
    int i = atomic_load(&w->exits);
    if (i < 8)
        w->who[i] = who;
    atomic_store(&w->in_context, kr_current() == self);
    atomic_store(&w->exits, i + 1);
    if (i == 0)
        kr_promise_set(w->first_exit, NULL, NULL);
}

static const kr_process_ops watcher_ops = {
    .initialize = watcher_initialize,
    .exited = watcher_exited,
};

static kr_pid watcher_spawn(watcher *w, const char *id, kr_pid link_to, bool twice)
{
    memset(w, 0, sizeof *w);
    kr_process_init(&w->base, id, &watcher_ops);
    w->link_in_init = link_to;
    w->link_twice = twice;
    w->first_exit = kr_promise_new();
    kr_pid pid = kr_spawn(&w->base, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid); /* initialize (and its links) done */
    return pid;
}

/* Awaits the watcher's first exited() and releases its promise. */
static void await_first_exit(watcher *w)
{
    kt_await_unref(kr_promise_future(w->first_exit), KR_READY);
}

static void watcher_done(watcher *w)
{
    kr_promise_free(w->first_exit);
    w->first_exit = NULL;
}

static kr_pid target_spawn(kr_process *t, const char *id)
{
    kr_process_init(t, id, NULL);
    kr_pid pid = kr_spawn(t, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

static void terminating_a_linked_process_delivers_exited(void **state)
{
    (void)state;
    static kr_process target;
    static watcher w;
    kr_pid tpid = target_spawn(&target, "linkee");
    watcher_spawn(&w, "linker", tpid, false);
    assert_int_equal(atomic_load(&w.exits), 0);

    kr_terminate(tpid, false);
    await_first_exit(&w);
    assert_int_equal(atomic_load(&w.exits), 1);
    assert_true(kr_pid_equal(w.who[0], tpid));
    assert_true(atomic_load(&w.in_context));
    watcher_done(&w);
}

static void linking_to_a_pid_that_is_not_running_delivers_exited_at_once(void **state)
{
    (void)state;
    static watcher w, w2;
    static kr_process target;
    kr_pid ghost = kt_ghost_pid("never-spawned");
    watcher_spawn(&w, "hopeful", ghost, false);
    await_first_exit(&w);
    assert_true(kr_pid_equal(w.who[0], ghost));
    watcher_done(&w);

    /* The same for one that ran and has terminated. */
    kr_pid tpid = target_spawn(&target, "already-gone");
    kr_terminate(tpid, false);
    assert_true(kr_wait(tpid, KT_TIMEOUT));
    watcher_spawn(&w2, "late", tpid, false);
    await_first_exit(&w2);
    assert_true(kr_pid_equal(w2.who[0], tpid));
    watcher_done(&w2);
}

static void linking_twice_delivers_once(void **state)
{
    (void)state;
    static kr_process target;
    static watcher w;
    kr_clock_pause();
    kr_pid tpid = target_spawn(&target, "linked-twice");
    watcher_spawn(&w, "double-linker", tpid, true);
    kr_link(&w.base, tpid); /* and a third time, from outside */
    kr_terminate(tpid, false);
    assert_true(kr_wait(tpid, KT_TIMEOUT));
    await_first_exit(&w);
    kr_clock_settle();
    assert_int_equal(atomic_load(&w.exits), 1);
    watcher_done(&w);
}

static void link_from_outside_the_process_is_accepted(void **state)
{
    (void)state;
    static kr_process target;
    static watcher w;
    kr_pid tpid = target_spawn(&target, "outside-linkee");
    watcher_spawn(&w, "outside-linker", KR_PID_NONE, false);
    kr_link(&w.base, tpid);
    kt_flush(kr_self(&w.base));
    kr_terminate(tpid, false);
    await_first_exit(&w);
    assert_true(kr_pid_equal(w.who[0], tpid));
    watcher_done(&w);
}

static void every_linker_is_told(void **state)
{
    (void)state;
    static kr_process target;
    static watcher a, b;
    kr_pid tpid = target_spawn(&target, "popular");
    watcher_spawn(&a, "fan-a", tpid, false);
    watcher_spawn(&b, "fan-b", tpid, false);
    kr_terminate(tpid, true);
    await_first_exit(&a);
    await_first_exit(&b);
    assert_true(kr_pid_equal(a.who[0], tpid));
    assert_true(kr_pid_equal(b.who[0], tpid));
    watcher_done(&a);
    watcher_done(&b);
}

static void a_terminated_linker_is_not_told(void **state)
{
    (void)state;
    static kr_process target;
    static watcher w;
    kr_clock_pause();
    kr_pid tpid = target_spawn(&target, "outlives");
    kr_pid wpid = watcher_spawn(&w, "short-lived", tpid, false);
    kr_terminate(wpid, false);
    assert_true(kr_wait(wpid, KT_TIMEOUT));
    kr_terminate(tpid, false);
    assert_true(kr_wait(tpid, KT_TIMEOUT));
    kr_clock_settle();
    assert_int_equal(atomic_load(&w.exits), 0);
    watcher_done(&w);
}

/* A long-lived process linked to by many short-lived ones keeps only the
 * live linkers: when it ends, exited goes to the live one, and almost none
 * are sent to processes long gone (each would be a dropped event). */
static void ended_linkers_do_not_pile_up(void **state)
{
    (void)state;
    static kr_process target;
    static watcher shorty, keeper;
    kr_clock_pause();
    kr_pid tpid = target_spawn(&target, "long-lived");
    for (int i = 0; i < 200; i++) {
        char id[32];
        snprintf(id, sizeof id, "brief(%d)", i);
        kr_pid wpid = watcher_spawn(&shorty, id, tpid, false);
        kr_terminate(wpid, false);
        assert_true(kr_wait(wpid, KT_TIMEOUT));
        watcher_done(&shorty);
    }
    watcher_spawn(&keeper, "keeper", tpid, false);
    kr_clock_settle();
    kr_stats before, after;
    kr_stats_get(&before);
    kr_terminate(tpid, false);
    await_first_exit(&keeper);
    kr_clock_settle();
    kr_stats_get(&after);
    assert_int_equal(atomic_load(&keeper.exits), 1);
    assert_true(after.events_dropped - before.events_dropped < 8); /* not ~200 */
    watcher_done(&keeper);
}

/* FUTURE_EXITED: observes the exited event, which is still delivered. */
/* A process respawned under an ended one's id, linking again, is the one
 * told (the old entry in the target's list must not shadow it). */
static void a_respawned_linker_with_the_same_id_is_told(void **state)
{
    (void)state;
    static kr_process target;
    static watcher first, second;
    kr_pid tpid = target_spawn(&target, "stays");
    kr_pid old = watcher_spawn(&first, "reborn", tpid, false);
    kr_terminate(old, false);
    assert_true(kr_wait(old, KT_TIMEOUT));
    watcher_spawn(&second, "reborn", tpid, false);
    kr_terminate(tpid, false);
    await_first_exit(&second);
    assert_int_equal(atomic_load(&second.exits), 1);
    assert_true(kr_pid_equal(second.who[0], tpid));
    assert_int_equal(atomic_load(&first.exits), 0);
    watcher_done(&first);
    watcher_done(&second);
}

static void expect_exited_sees_the_event_and_lets_it_through(void **state)
{
    (void)state;
    static kr_process target, other;
    static watcher w;
    kr_pid tpid = target_spawn(&target, "observed");
    kr_pid opid = target_spawn(&other, "unobserved");
    kr_pid wpid = watcher_spawn(&w, "observer", tpid, false);
    kr_link(&w.base, opid);

    kr_future *seen = kr_expect_exited(tpid, wpid);
    assert_non_null(seen);
    kr_terminate(opid, false); /* exited(other) does not match */
    assert_true(kr_wait(opid, KT_TIMEOUT));
    await_first_exit(&w);
    kt_flush(wpid);
    assert_int_equal(kr_future_state_of(seen), KR_PENDING);

    kr_terminate(tpid, false);
    kt_await_state(seen, KR_READY);
    kt_flush(wpid);
    assert_int_equal(atomic_load(&w.exits), 2);
    assert_true(kr_pid_equal(w.who[0], opid));
    assert_true(kr_pid_equal(w.who[1], tpid));
    kr_future_unref(seen);
    watcher_done(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(terminating_a_linked_process_delivers_exited),
        KT_TEST(linking_to_a_pid_that_is_not_running_delivers_exited_at_once),
        KT_TEST(linking_twice_delivers_once),
        KT_TEST(link_from_outside_the_process_is_accepted),
        KT_TEST(every_linker_is_told),
        KT_TEST(a_terminated_linker_is_not_told),
        KT_TEST(ended_linkers_do_not_pile_up),
        KT_TEST(a_respawned_linker_with_the_same_id_is_told),
        KT_TEST(expect_exited_sees_the_event_and_lets_it_through),
    };
    return KT_RUN(tests);
}
