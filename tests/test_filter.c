/* Testing hooks: the event filter (applied at serve time, never to
 * terminate) and libprocess' FUTURE_MESSAGE / DROP_MESSAGE(S) /
 * FUTURE_DISPATCH helpers. */
#include "harness.h"

typedef struct fproc {
    kr_process base;
    atomic_int keep, other, marks, finalized;
    atomic_int last_body;
} fproc;

static void on_keep(kr_process *self, const kr_message *m)
{
    fproc *f = (fproc *)self;
    int v = -1;
    if (m->len == sizeof v)
        memcpy(&v, m->body, sizeof v);
    atomic_store(&f->last_body, v);
    atomic_fetch_add(&f->keep, 1);
}

static void on_other(kr_process *self, const kr_message *m)
{
    (void)m;
    atomic_fetch_add(&((fproc *)self)->other, 1);
}

static void marker(kr_process *self, const void *arg)
{
    (void)arg;
    atomic_fetch_add(&((fproc *)self)->marks, 1);
}

static void not_marker(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static void fproc_finalize(kr_process *self)
{
    atomic_fetch_add(&((fproc *)self)->finalized, 1);
}

static const kr_process_ops fproc_ops = {.finalize = fproc_finalize};

static kr_pid fproc_spawn(fproc *f, const char *id)
{
    memset(f, 0, sizeof *f);
    kr_process_init(&f->base, id, &fproc_ops);
    assert_int_equal(kr_install(&f->base, "keep", on_keep), 0);
    assert_int_equal(kr_install(&f->base, "other", on_other), 0);
    kr_pid pid = kr_spawn(&f->base, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid);
    return pid;
}

static void post_int(kr_pid to, const char *name, int v)
{
    kr_post(to, name, &v, sizeof v);
}

/* --- kr_filter_install ---------------------------------------------------- */

static bool drop_other(const kr_event *e, void *ctx)
{
    (void)ctx;
    const kr_message *m = kr_event_message(e);
    return m && strcmp(m->name, "other") == 0;
}

static void filter_drops_selected_messages_when_they_are_served(void **state)
{
    (void)state;
    static fproc f;
    kr_pid pid = fproc_spawn(&f, "filtered");
    kt_hold(pid);
    post_int(pid, "keep", 1);
    post_int(pid, "other", 2);
    post_int(pid, "keep", 3);
    post_int(pid, "other", 4);
    /* Installed after the messages were queued: filtering is at serve time. */
    kr_filter_install(drop_other, NULL);
    kt_release();
    kt_flush(pid);
    assert_int_equal(atomic_load(&f.keep), 2);
    assert_int_equal(atomic_load(&f.other), 0);

    kr_filter_install(NULL, NULL);
    post_int(pid, "other", 5);
    kt_flush(pid);
    assert_int_equal(atomic_load(&f.other), 1);
}

/* What the filter saw of the events addressed to one process. */
typedef struct sightings {
    kr_pid target;
    atomic_int messages, dispatches, exits, terminates;
    atomic_bool message_ok, dispatch_ok;
} sightings;

static bool look(const kr_event *e, void *ctx)
{
    sightings *s = ctx;
    if (!kr_pid_equal(kr_event_to(e), s->target))
        return false;
    const kr_message *m = kr_event_message(e);
    switch (kr_event_kind(e)) {
    case KR_EVENT_MESSAGE:
        atomic_fetch_add(&s->messages, 1);
        atomic_store(&s->message_ok, m && strcmp(m->name, "keep") == 0 && m->len == sizeof(int) &&
                                         kr_pid_is_none(m->from) &&
                                         kr_pid_equal(m->to, s->target) &&
                                         kr_event_function(e) == NULL);
        break;
    case KR_EVENT_DISPATCH:
        if (kr_event_function(e) == (void *)marker) {
            atomic_fetch_add(&s->dispatches, 1);
            atomic_store(&s->dispatch_ok, m == NULL);
        }
        break;
    case KR_EVENT_EXITED: atomic_fetch_add(&s->exits, 1); break;
    case KR_EVENT_TERMINATE: atomic_fetch_add(&s->terminates, 1); break;
    default: break;
    }
    return false;
}

static void filter_sees_each_event_kind_target_and_contents(void **state)
{
    (void)state;
    static fproc f;
    static sightings s;
    kr_pid pid = fproc_spawn(&f, "watched");
    memset(&s, 0, sizeof s);
    s.target = pid;
    kr_filter_install(look, &s);

    post_int(pid, "keep", 7);
    kr_dispatch(pid, marker, NULL, 0);
    kt_flush(pid);
    assert_int_equal(atomic_load(&s.messages), 1);
    assert_true(atomic_load(&s.message_ok));
    assert_int_equal(atomic_load(&s.dispatches), 1);
    assert_true(atomic_load(&s.dispatch_ok));
    assert_int_equal(atomic_load(&f.keep), 1);
    assert_int_equal(atomic_load(&f.marks), 1);
    kr_filter_install(NULL, NULL);
}

static bool drop_exited(const kr_event *e, void *ctx)
{
    (void)ctx;
    return kr_event_kind(e) == KR_EVENT_EXITED;
}

typedef struct linker {
    kr_process base;
    atomic_int exits;
} linker;

static void linker_exited(kr_process *self, kr_pid who)
{
    (void)who;
    atomic_fetch_add(&((linker *)self)->exits, 1);
}

/* DROP_EXITED, written as a filter. */
static void filter_can_drop_exited_events(void **state)
{
    (void)state;
    static fproc target;
    static linker l;
    static const kr_process_ops linker_ops = {.exited = linker_exited};
    static sightings s;
    kr_pid tpid = fproc_spawn(&target, "linkee");
    memset(&l, 0, sizeof l);
    kr_process_init(&l.base, "linker", &linker_ops);
    kr_pid lpid = kr_spawn(&l.base, false);
    kr_link(&l.base, tpid);
    kt_flush(lpid);

    memset(&s, 0, sizeof s);
    s.target = lpid;
    kr_filter_install(look, &s); /* first just look */
    kr_terminate(tpid, false);
    assert_true(kr_wait(tpid, KT_TIMEOUT));
    kt_flush(lpid);
    assert_int_equal(atomic_load(&s.exits), 1);
    assert_int_equal(atomic_load(&l.exits), 1);

    static fproc second;
    kr_pid spid = fproc_spawn(&second, "second-linkee");
    kr_link(&l.base, spid);
    kt_flush(lpid);
    kr_filter_install(drop_exited, NULL);
    kr_terminate(spid, false);
    assert_true(kr_wait(spid, KT_TIMEOUT));
    kt_flush(lpid);
    assert_int_equal(atomic_load(&l.exits), 1); /* the second was dropped */
    kr_filter_install(NULL, NULL);
}

static bool drop_everything(const kr_event *e, void *ctx)
{
    (void)e;
    atomic_fetch_add((atomic_int *)ctx, 1);
    return true;
}

static void terminate_is_never_filtered(void **state)
{
    (void)state;
    static fproc f;
    static atomic_int consulted;
    atomic_store(&consulted, 0);
    kr_pid pid = fproc_spawn(&f, "unstoppable");
    kr_filter_install(drop_everything, &consulted);
    post_int(pid, "keep", 1);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    assert_int_equal(atomic_load(&f.keep), 0);      /* the message was dropped */
    assert_int_equal(atomic_load(&f.finalized), 1); /* the terminate was not */
    assert_true(atomic_load(&consulted) >= 1);
    kr_filter_install(NULL, NULL);
}

static void answer(kr_process *self, const void *arg, kr_promise *result)
{
    (void)self;
    (void)arg;
    kr_promise_set(result, NULL, NULL);
}

static bool drop_answer(const kr_event *e, void *ctx)
{
    (void)ctx;
    return kr_event_kind(e) == KR_EVENT_DISPATCH && kr_event_function(e) == (void *)answer;
}

static void a_filtered_dispatch_call_is_abandoned(void **state)
{
    (void)state;
    static fproc f;
    kr_pid pid = fproc_spawn(&f, "unanswered");
    kr_filter_install(drop_answer, NULL);
    kt_await_unref(kr_dispatch_call(pid, answer, NULL, 0), KR_ABANDONED);
    kr_filter_install(NULL, NULL);
    kt_await_unref(kr_dispatch_call(pid, answer, NULL, 0), KR_READY);
}

/* --- FUTURE_MESSAGE, DROP_MESSAGE(S), FUTURE_DISPATCH ------------------- */

static void expect_message_yields_a_copy_and_the_message_is_delivered(void **state)
{
    (void)state;
    static fproc f;
    kr_pid pid = fproc_spawn(&f, "expecting");
    kr_future *seen = kr_expect_message("keep", KR_PID_NONE, pid);
    assert_non_null(seen);
    post_int(pid, "other", 1); /* another name: no match */
    kt_flush(pid);
    assert_int_equal(kr_future_state_of(seen), KR_PENDING);

    post_int(pid, "keep", 42);
    kt_await_state(seen, KR_READY);
    kt_flush(pid);
    assert_int_equal(atomic_load(&f.keep), 1); /* still delivered */
    assert_int_equal(atomic_load(&f.last_body), 42);

    const kr_message *m = kr_future_value(seen);
    assert_non_null(m);
    assert_string_equal(m->name, "keep");
    assert_int_equal(m->len, sizeof(int));
    int v;
    memcpy(&v, m->body, sizeof v);
    assert_int_equal(v, 42);
    assert_true(kr_pid_equal(m->to, pid));
    assert_true(kr_pid_is_none(m->from));
    kr_future_unref(seen);
}

typedef struct sender {
    kr_process base;
    kr_pid to;
} sender;

static void on_go(kr_process *self, const kr_message *m)
{
    (void)m;
    int v = 9;
    kr_send(self, ((sender *)self)->to, "keep", &v, sizeof v);
}

static void expect_message_matches_the_sender(void **state)
{
    (void)state;
    static fproc f;
    static sender s;
    kr_pid pid = fproc_spawn(&f, "receiver");
    memset(&s, 0, sizeof s);
    kr_process_init(&s.base, "sender", NULL);
    s.to = pid;
    assert_int_equal(kr_install(&s.base, "go", on_go), 0);
    kr_pid spid = kr_spawn(&s.base, false);

    kr_future *from_sender = kr_expect_message(NULL, spid, KR_PID_NONE);
    post_int(pid, "keep", 1); /* from nobody: no match */
    kt_flush(pid);
    assert_int_equal(kr_future_state_of(from_sender), KR_PENDING);
    kr_post(spid, "go", NULL, 0);
    kt_await_state(from_sender, KR_READY);
    const kr_message *m = kr_future_value(from_sender);
    assert_true(kr_pid_equal(m->from, spid));
    kr_future_unref(from_sender);
}

static void drop_message_drops_exactly_one(void **state)
{
    (void)state;
    static fproc f;
    kr_pid pid = fproc_spawn(&f, "drop-one");
    kr_future *dropped = kr_drop_message("keep", KR_PID_NONE, pid);
    assert_non_null(dropped);
    post_int(pid, "keep", 1);
    post_int(pid, "keep", 2);
    post_int(pid, "keep", 3);
    kt_flush(pid);
    kt_await_state(dropped, KR_READY);
    assert_int_equal(atomic_load(&f.keep), 2);
    assert_int_equal(atomic_load(&f.last_body), 3);
    int v;
    memcpy(&v, ((const kr_message *)kr_future_value(dropped))->body, sizeof v);
    assert_int_equal(v, 1); /* the first one was the one dropped */
    kr_future_unref(dropped);
}

static void drop_messages_drops_every_match_until_cleared(void **state)
{
    (void)state;
    static fproc f, bystander;
    kr_pid pid = fproc_spawn(&f, "drop-all");
    kr_pid other = fproc_spawn(&bystander, "not-me");
    kr_drop_messages("keep", KR_PID_NONE, pid);
    for (int i = 0; i < 5; i++)
        post_int(pid, "keep", i);
    post_int(pid, "other", 0);
    post_int(other, "keep", 0);
    kt_flush(pid);
    kt_flush(other);
    assert_int_equal(atomic_load(&f.keep), 0);
    assert_int_equal(atomic_load(&f.other), 1);
    assert_int_equal(atomic_load(&bystander.keep), 1);

    kr_expect_clear();
    post_int(pid, "keep", 7);
    kt_flush(pid);
    assert_int_equal(atomic_load(&f.keep), 1);
}

static void expect_dispatch_sees_the_function_and_lets_it_run(void **state)
{
    (void)state;
    static fproc f;
    kr_pid pid = fproc_spawn(&f, "dispatched");
    kr_future *seen = kr_expect_dispatch(pid, marker);
    assert_non_null(seen);
    kr_dispatch(pid, not_marker, NULL, 0);
    kt_flush(pid);
    assert_int_equal(kr_future_state_of(seen), KR_PENDING);
    kr_dispatch(pid, marker, NULL, 0);
    kt_await_state(seen, KR_READY);
    assert_null(kr_future_value(seen));
    kt_flush(pid);
    assert_int_equal(atomic_load(&f.marks), 1);
    kr_future_unref(seen);
}

static void expect_dispatch_matches_a_dispatch_call_too(void **state)
{
    (void)state;
    static fproc f;
    kr_pid pid = fproc_spawn(&f, "called");
    kr_future *seen = kr_expect_dispatch(pid, (kr_fn)(void (*)(void))answer); /* the API takes either kind */
    kr_future *result = kr_dispatch_call(pid, answer, NULL, 0);
    kt_await_unref(seen, KR_READY);
    kt_await_unref(result, KR_READY); /* and it still ran */
}

static void expect_clear_abandons_pending_expectations(void **state)
{
    (void)state;
    kr_future *never = kr_expect_message("never-sent", KR_PID_NONE, KR_PID_NONE);
    assert_int_equal(kr_future_state_of(never), KR_PENDING);
    kr_expect_clear();
    kt_await_unref(never, KR_ABANDONED);
}

/* A failed test must not leave its filter behind for the next one. */
static int filter_teardown(void **state)
{
    kr_filter_install(NULL, NULL);
    kr_expect_clear();
    return kt_teardown(state);
}
#undef KT_TEST
#define KT_TEST(fn) cmocka_unit_test_setup_teardown(fn, kt_setup, filter_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(filter_drops_selected_messages_when_they_are_served),
        KT_TEST(filter_sees_each_event_kind_target_and_contents),
        KT_TEST(filter_can_drop_exited_events),
        KT_TEST(terminate_is_never_filtered),
        KT_TEST(a_filtered_dispatch_call_is_abandoned),
        KT_TEST(expect_message_yields_a_copy_and_the_message_is_delivered),
        KT_TEST(expect_message_matches_the_sender),
        KT_TEST(drop_message_drops_exactly_one),
        KT_TEST(drop_messages_drops_every_match_until_cleared),
        KT_TEST(expect_dispatch_sees_the_function_and_lets_it_run),
        KT_TEST(expect_dispatch_matches_a_dispatch_call_too),
        KT_TEST(expect_clear_abandons_pending_expectations),
    };
    return KT_RUN(tests);
}
