/* Typed protobuf-c messages (kairos/protobuf.h), on both backends: a round
 * trip between two Kairos nodes (sim: two simulated nodes over the
 * simulated network; real: a forked second node, over loopback TCP with the
 * libprocess wire format), the wire name is the full type name, and a body
 * that does not decode is dropped and counted, never handled. */
#include "harness.h"

#include <kairos/protobuf.h>

#include "kv_test.pb-c.h"

#ifndef KAIROS_SIM
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

/* The server answers a Put with a PutReply echoing the key. */
typedef struct server {
    kr_process base;
    atomic_int puts;
} server;

static void on_put(kr_process *self, kr_pid from, const ProtobufCMessage *msg)
{
    server *s = (server *)self;
    const Kairos__Test__Put *put = (const Kairos__Test__Put *)msg;
    int n = atomic_fetch_add(&s->puts, 1) + 1;
    Kairos__Test__PutReply reply = KAIROS__TEST__PUT_REPLY__INIT;
    reply.ok = put->value.len == 5 && memcmp(put->value.data, "hello", 5) == 0;
    reply.has_version = true;
    reply.version = (uint64_t)n;
    reply.echo = put->key;
    kr_protobuf_send(self, from, &reply.base);
}

static void server_init(kr_process *self)
{
    kr_protobuf_install(self, &kairos__test__put__descriptor, on_put);
}
static const kr_process_ops server_ops = {.initialize = server_init};

/* The client sends one Put and keeps the reply. */
typedef struct client {
    kr_process base;
    kr_pid to;
    kr_promise *replied;
    bool ok;
    uint64_t version;
    char echo[32];
} client;

static void on_reply(kr_process *self, kr_pid from, const ProtobufCMessage *msg)
{
    (void)from;
    client *c = (client *)self;
    const Kairos__Test__PutReply *r = (const Kairos__Test__PutReply *)msg;
    c->ok = r->ok;
    c->version = r->version;
    snprintf(c->echo, sizeof c->echo, "%s", r->echo ? r->echo : "");
    kr_promise_set(c->replied, NULL, NULL);
}

static void client_init(kr_process *self)
{
    client *c = (client *)self;
    kr_protobuf_install(self, &kairos__test__put_reply__descriptor, on_reply);
    Kairos__Test__Put put = KAIROS__TEST__PUT__INIT;
    put.key = "answer";
    put.value.data = (uint8_t *)"hello";
    put.value.len = 5;
    kr_protobuf_send(self, c->to, &put.base);
}
static const kr_process_ops client_ops = {.initialize = client_init};

static void run_client(kr_pid server_pid)
{
    static client c;
    memset(&c, 0, sizeof c);
    c.to = server_pid;
    c.replied = kr_promise_new();
    kr_future *replied = kr_promise_future(c.replied);
    kr_process_init(&c.base, "client", &client_ops);
    kr_pid pid = kr_spawn(&c.base, false);
    kt_await_unref(replied, KR_READY);
    assert_true(c.ok);
    assert_int_equal(c.version, 1);
    assert_string_equal(c.echo, "answer");
    kr_promise_free(c.replied);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

#ifdef KAIROS_SIM
static void a_typed_round_trip_between_two_nodes(void **state)
{
    (void)state;
    static server s;
    memset(&s, 0, sizeof s);
    assert_int_equal(kr_sim_node("10.0.0.2:5050"), 0);
    kr_process_init(&s.base, "kv", &server_ops);
    kr_pid server_pid = kr_spawn(&s.base, false);
    assert_int_equal(kr_sim_node("10.0.0.1:5050"), 0);
    run_client(server_pid);
    assert_int_equal(atomic_load(&s.puts), 1);
}
#else
/* The second node is a child process with its own runtime: it serves until
 * the parent kills it. */
static void serve_in_child(int fd)
{
    kr_config cfg = {.workers = 2};
    if (kr_init(&cfg) != 0)
        _exit(2);
    static server s;
    kr_process_init(&s.base, "kv", &server_ops);
    kr_pid pid = kr_spawn(&s.base, false);
    char text[KR_PID_STRLEN_MAX];
    kr_pid_format(pid, text, sizeof text);
    if (write(fd, text, strlen(text) + 1) < 0)
        _exit(3);
    close(fd);
    kr_wait(pid, KR_SEC(60));
    _exit(0);
}

static void a_typed_round_trip_between_two_nodes(void **state)
{
    (void)state;
    kr_finalize(); /* fork before threads: the child starts its own runtime */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        serve_in_child(fds[1]);
    }
    close(fds[1]);
    char text[KR_PID_STRLEN_MAX] = "";
    ssize_t got = read(fds[0], text, sizeof text - 1);
    close(fds[0]);
    assert_true(got > 0);
    kr_pid server_pid;
    assert_int_equal(kr_pid_parse(text, &server_pid), 0);
    kr_config cfg = kt_config();
    assert_int_equal(kr_init(&cfg), 0);
    run_client(server_pid);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}
#endif

static void a_malformed_body_is_dropped_and_counted(void **state)
{
    (void)state;
    static server s;
    memset(&s, 0, sizeof s);
    kr_process_init(&s.base, "kv-local", &server_ops);
    kr_pid pid = kr_spawn(&s.base, false);
    uint64_t before = kr_protobuf_malformed();
    /* Field 1, length-delimited, claims 127 bytes that are not there. */
    static const unsigned char garbage[] = {0x0a, 0x7f, 'x'};
    kr_post(pid, "kairos.test.Put", garbage, sizeof garbage);
    kr_post(pid, "kairos.test.Put", NULL, 0); /* required fields missing */
    kt_flush(pid);
    assert_int_equal(kr_protobuf_malformed(), before + 2);
    assert_int_equal(atomic_load(&s.puts), 0);

    kr_future *f = kr_metrics_snapshot(KR_FOREVER);
    kt_await_state(f, KR_READY);
    assert_non_null(strstr(kr_future_value(f), "\"kairos/protobuf_malformed\":"));
    kr_future_unref(f);

    /* Bad arguments are errors. */
    assert_int_equal(kr_protobuf_install(NULL, &kairos__test__put__descriptor, on_put),
                     KR_EINVAL);
    assert_int_equal(kr_protobuf_send(NULL, pid, NULL), KR_EINVAL);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(a_typed_round_trip_between_two_nodes),
        KT_TEST(a_malformed_body_is_dropped_and_counted),
    };
    return KT_RUN(tests);
}
