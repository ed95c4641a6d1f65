/* Named messages: install, send, post; what the handler sees; drops. */
#include "harness.h"

/* Records the last message its handlers saw. */
typedef struct mproc {
    kr_process base;
    atomic_int count, other_count;
    atomic_bool in_context;
    kr_pid from, to;
    char name[KR_NAME_MAX + 1];
    char body[64];
    size_t len;
    uint64_t hash; /* FNV-1a of the whole body */
} mproc;

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static void record(kr_process *self, const kr_message *m)
{
    mproc *p = (mproc *)self;
    p->from = m->from;
    p->to = m->to;
    snprintf(p->name, sizeof p->name, "%s", m->name ? m->name : "(null)");
    memset(p->body, 0, sizeof p->body);
    if (m->len && m->body)
        memcpy(p->body, m->body, m->len < sizeof p->body - 1 ? m->len : sizeof p->body - 1);
    p->len = m->len;
    p->hash = fnv1a(m->body, m->len);
    atomic_store(&p->in_context, kr_current() == self);
    atomic_fetch_add(&p->count, 1);
}

static void record_other(kr_process *self, const kr_message *m)
{
    (void)m;
    atomic_fetch_add(&((mproc *)self)->other_count, 1);
}

static kr_pid mproc_spawn(mproc *p, const char *id)
{
    memset(p, 0, sizeof *p);
    kr_process_init(&p->base, id, NULL);
    assert_int_equal(kr_install(&p->base, "ping", record), 0);
    kr_pid pid = kr_spawn(&p->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

static void post_reaches_the_installed_handler(void **state)
{
    (void)state;
    static mproc p;
    kr_pid pid = mproc_spawn(&p, "listener");
    kr_post(pid, "ping", "hello", 6);
    kt_flush(pid);

    assert_int_equal(atomic_load(&p.count), 1);
    assert_true(kr_pid_is_none(p.from)); /* posted from outside */
    assert_true(kr_pid_equal(p.to, pid));
    assert_string_equal(p.name, "ping");
    assert_int_equal(p.len, 6);
    assert_string_equal(p.body, "hello");
    assert_true(atomic_load(&p.in_context));
}

/* A process that, on "go", sends "ping" to its target (or to itself). */
typedef struct pinger {
    kr_process base;
    kr_pid target;
} pinger;

static void on_go(kr_process *self, const kr_message *m)
{
    (void)m;
    pinger *p = (pinger *)self;
    kr_send(self, p->target, "ping", "hi", 3);
}

static void send_carries_the_sender_pid(void **state)
{
    (void)state;
    static mproc receiver;
    static pinger sender;
    kr_pid rpid = mproc_spawn(&receiver, "receiver");
    memset(&sender, 0, sizeof sender);
    kr_process_init(&sender.base, "sender", NULL);
    sender.target = rpid;
    assert_int_equal(kr_install(&sender.base, "go", on_go), 0);
    kr_pid spid = kr_spawn(&sender.base, false);

    kr_post(spid, "go", NULL, 0);
    kt_flush(spid); /* the send happened... */
    kt_flush(rpid); /* ...and was served */
    assert_int_equal(atomic_load(&receiver.count), 1);
    assert_true(kr_pid_equal(receiver.from, spid));
    assert_true(kr_pid_equal(receiver.to, rpid));
    assert_string_equal(receiver.body, "hi");
}

static void on_go_self(kr_process *self, const kr_message *m)
{
    (void)m;
    kr_send(self, kr_self(self), "ping", "me", 3);
}

static void a_process_can_send_to_itself(void **state)
{
    (void)state;
    static mproc p;
    memset(&p, 0, sizeof p);
    kr_process_init(&p.base, "narcissus", NULL);
    assert_int_equal(kr_install(&p.base, "ping", record), 0);
    assert_int_equal(kr_install(&p.base, "go", on_go_self), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, "go", NULL, 0);
    kt_flush(pid); /* "go" was served, so the self-send is queued... */
    kt_flush(pid); /* ...ahead of this one */
    assert_int_equal(atomic_load(&p.count), 1);
    assert_true(kr_pid_equal(p.from, pid));
    assert_true(kr_pid_equal(p.to, pid));
    assert_string_equal(p.body, "me");
}

static void message_without_a_handler_is_dropped_and_counted(void **state)
{
    (void)state;
    static mproc p;
    kr_pid pid = mproc_spawn(&p, "picky");
    kt_flush(pid);
    kr_stats before, after;
    kr_stats_get(&before);
    kr_post(pid, "nobody-listens", "x", 1);
    kt_flush(pid);
    kr_stats_get(&after);
    assert_int_equal(atomic_load(&p.count), 0);
    assert_int_equal(after.messages_dropped, before.messages_dropped + 1);
    assert_int_equal(after.messages_delivered, before.messages_delivered);
}

static void message_to_an_unknown_pid_is_dropped_and_counted(void **state)
{
    (void)state;
    kr_stats before, after;
    kr_stats_get(&before);
    kr_post(kt_ghost_pid("nobody"), "ping", "x", 1);
    kt_settle();
    kr_stats_get(&after);
    assert_int_equal(after.messages_dropped, before.messages_dropped + 1);

    /* The same for a send from inside a process. */
    static pinger p;
    memset(&p, 0, sizeof p);
    kr_process_init(&p.base, "lost-sender", NULL);
    p.target = kt_ghost_pid("nobody-either");
    assert_int_equal(kr_install(&p.base, "go", on_go), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, "go", NULL, 0);
    kt_flush(pid);
    kt_settle();
    kr_stats later;
    kr_stats_get(&later);
    assert_int_equal(later.messages_dropped, after.messages_dropped + 1);
}

static void body_is_copied_at_send_time(void **state)
{
    (void)state;
    static mproc p;
    kr_pid pid = mproc_spawn(&p, "copier");
    char buf[16] = "original";
    kt_hold(pid); /* not served before we scribble over the buffer */
    kr_post(pid, "ping", buf, strlen(buf) + 1);
    memset(buf, 'X', sizeof buf);
    kt_release();
    kt_flush(pid);
    assert_int_equal(atomic_load(&p.count), 1);
    assert_string_equal(p.body, "original");
}

static void empty_body_arrives_with_len_zero(void **state)
{
    (void)state;
    static mproc p;
    kr_pid pid = mproc_spawn(&p, "empty");
    kr_post(pid, "ping", NULL, 0);
    kt_flush(pid);
    assert_int_equal(atomic_load(&p.count), 1);
    assert_int_equal(p.len, 0);
}

static void large_bodies_arrive_intact(void **state)
{
    (void)state;
    static mproc p;
    kr_pid pid = mproc_spawn(&p, "bulk");
    size_t sizes[] = {64 * 1024, 1024 * 1024, 8 * 1024 * 1024};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *body = malloc(sizes[s]);
        assert_non_null(body);
        for (size_t i = 0; i < sizes[s]; i++)
            body[i] = (unsigned char)(i * 31 + s);
        uint64_t expected = fnv1a(body, sizes[s]);
        kr_post(pid, "ping", body, sizes[s]);
        free(body); /* the runtime has its own copy */
        kt_flush(pid);
        assert_int_equal(p.len, sizes[s]);
        assert_true(p.hash == expected);
    }
    assert_int_equal(atomic_load(&p.count), 3);
}

static void handlers_are_chosen_by_name(void **state)
{
    (void)state;
    static mproc p;
    memset(&p, 0, sizeof p);
    kr_process_init(&p.base, "switchboard", NULL);
    assert_int_equal(kr_install(&p.base, "ping", record), 0);
    assert_int_equal(kr_install(&p.base, "pong", record_other), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, "ping", NULL, 0);
    kr_post(pid, "pong", NULL, 0);
    kr_post(pid, "ping", NULL, 0);
    kr_post(pid, "PING", NULL, 0); /* names are case-sensitive */
    kt_flush(pid);
    assert_int_equal(atomic_load(&p.count), 2);
    assert_int_equal(atomic_load(&p.other_count), 1);
}

static void install_replaces_the_handler(void **state)
{
    (void)state;
    static mproc p;
    memset(&p, 0, sizeof p);
    kr_process_init(&p.base, "replaced", NULL);
    assert_int_equal(kr_install(&p.base, "ping", record), 0);
    assert_int_equal(kr_install(&p.base, "ping", record_other), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, "ping", NULL, 0);
    kt_flush(pid);
    assert_int_equal(atomic_load(&p.count), 0);
    assert_int_equal(atomic_load(&p.other_count), 1);
}

static void install_checks_the_name_length(void **state)
{
    (void)state;
    static mproc p;
    char name[KR_NAME_MAX + 2];
    memset(&p, 0, sizeof p);
    kr_process_init(&p.base, "long-names", NULL);

    memset(name, 'n', KR_NAME_MAX + 1);
    name[KR_NAME_MAX + 1] = '\0';
    assert_int_equal(kr_install(&p.base, name, record), KR_EINVAL);

    name[KR_NAME_MAX] = '\0';
    assert_int_equal(kr_install(&p.base, name, record), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, name, NULL, 0);
    kt_flush(pid);
    assert_int_equal(atomic_load(&p.count), 1);
    assert_string_equal(p.name, name);
}

static void install_in_initialize(kr_process *self)
{
    kr_install(self, "ping", record);
}

static void handlers_installed_in_initialize_receive(void **state)
{
    (void)state;
    static mproc p;
    static const kr_process_ops ops = {.initialize = install_in_initialize};
    memset(&p, 0, sizeof p);
    kr_process_init(&p.base, "late-installer", &ops);
    kr_pid pid = kr_spawn(&p.base, false);
    kr_post(pid, "ping", "x", 2);
    kt_flush(pid);
    assert_int_equal(atomic_load(&p.count), 1);
}

static void stats_count_delivered_messages(void **state)
{
    (void)state;
    static mproc p;
    kr_pid pid = mproc_spawn(&p, "counted");
    kt_flush(pid);
    kr_stats before, after;
    kr_stats_get(&before);
    for (int i = 0; i < 3; i++)
        kr_post(pid, "ping", NULL, 0);
    kt_flush(pid);
    kr_stats_get(&after);
    assert_int_equal(after.messages_delivered, before.messages_delivered + 3);
    assert_true(after.messages_sent >= before.messages_sent + 3);
    assert_int_equal(after.messages_dropped, before.messages_dropped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(post_reaches_the_installed_handler),
        KT_TEST(send_carries_the_sender_pid),
        KT_TEST(a_process_can_send_to_itself),
        KT_TEST(message_without_a_handler_is_dropped_and_counted),
        KT_TEST(message_to_an_unknown_pid_is_dropped_and_counted),
        KT_TEST(body_is_copied_at_send_time),
        KT_TEST(empty_body_arrives_with_len_zero),
        KT_TEST(large_bodies_arrive_intact),
        KT_TEST(handlers_are_chosen_by_name),
        KT_TEST(install_replaces_the_handler),
        KT_TEST(install_checks_the_name_length),
        KT_TEST(handlers_installed_in_initialize_receive),
        KT_TEST(stats_count_delivered_messages),
    };
    return KT_RUN(tests);
}
