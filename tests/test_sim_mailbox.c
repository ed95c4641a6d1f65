/* Sim only: wire messages from another node that arrive at a full mailbox
 * are dropped and counted, as on a real node (test_real_mailbox.c), and
 * deterministically: the same seed drops the same messages. The receiver's
 * node is paused, so messages arrive and queue while nothing runs there. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#define A "10.0.0.1:5050"
#define B "10.0.0.2:5050"

typedef struct counter {
    kr_process base;
    int received;
    int order[64];
} counter;

static void on_num(kr_process *self, const kr_message *m)
{
    counter *c = (counter *)self;
    int v;
    memcpy(&v, m->body, sizeof v);
    if (c->received < 64)
        c->order[c->received] = v;
    c->received++;
}

static void counter_init(kr_process *self) { kr_install(self, "num", on_num); }
static const kr_process_ops counter_ops = {.initialize = counter_init};

static kr_pid spawn_on(const char *node, counter *c, const char *id, uint64_t events_max)
{
    assert_int_equal(kr_sim_node(node), 0);
    memset(c, 0, sizeof *c);
    kr_process_init(&c->base, id, &counter_ops);
    if (events_max)
        assert_int_equal(kr_process_set_mailbox_limit(&c->base, events_max, 0), 0);
    kr_pid pid = kr_spawn(&c->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

typedef struct burst {
    kr_pid to;
    int n;
} burst;

static void send_burst(kr_process *self, const void *arg)
{
    const burst *b = arg;
    for (int i = 0; i < b->n; i++)
        kr_send(self, b->to, "num", &i, sizeof i);
}

static double metric(const char *name)
{
    kr_future *f = kr_metrics_snapshot(KR_SEC(5));
    assert_true(kr_future_await(f, KT_TIMEOUT));
    const char *json = kr_future_value(f);
    char key[128];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *at = strstr(json, key);
    assert_non_null(at);
    double v = strtod(at + strlen(key), NULL);
    kr_future_unref(f);
    return v;
}

/* 20 messages A -> B while B is paused, to a process bounded at 3 events:
 * the first 3 to arrive queue (link order: 0, 1, 2), 17 are dropped. */
static uint64_t flood_paused_node(uint64_t seed, counter *sink, counter *src)
{
    kr_config c = kt_config();
    c.seed = seed;
    assert_int_equal(kr_init(&c), 0);
    kr_pid to = spawn_on(B, sink, "sink", 3);
    kr_pid from = spawn_on(A, src, "src", 0);
    kr_sim_run(0);
    kr_stats before;
    kr_stats_get(&before);
    assert_int_equal(kr_sim_pause(B, KR_SEC(1)), 0);
    burst b = {to, 20};
    kr_dispatch(from, send_burst, &b, sizeof b);
    kr_sim_run(0);
    kr_stats after;
    kr_stats_get(&after);
    assert_int_equal(sink->received, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sink->order[i], i);
    assert_int_equal(after.messages_dropped - before.messages_dropped, 17);
    assert_int_equal((int)metric("kairos/mailbox_dropped"), 17);
    assert_int_equal((int)metric("kairos/mailbox_external_events"), 0);
    uint64_t hash = kr_sim_trace_hash();
    kr_finalize();
    return hash;
}

static void wire_messages_to_a_full_mailbox_are_dropped_deterministically(void **state)
{
    (void)state;
    static counter sink, src;
    uint64_t h1 = flood_paused_node(11, &sink, &src);
    uint64_t h2 = flood_paused_node(11, &sink, &src);
    assert_true(h1 == h2);
}

static void the_bound_frees_as_the_receiver_serves(void **state)
{
    (void)state;
    static counter sink, src;
    kr_pid to = spawn_on(B, &sink, "sink", 3);
    kr_pid from = spawn_on(A, &src, "src", 0);
    kr_sim_run(0);
    /* Not paused: B serves as messages arrive (each link delivery is one
     * step), so a burst of 20 over 1..10 ms of latency mostly fits. */
    burst b = {to, 20};
    kr_dispatch(from, send_burst, &b, sizeof b);
    kr_sim_run(0);
    assert_true(sink.received >= 3);
    assert_int_equal(sink.received + (int)metric("kairos/mailbox_dropped"), 20);
    /* Unbounded: everything arrives even while paused. */
    assert_int_equal(kr_process_set_mailbox_limit(&sink.base, UINT64_MAX, UINT64_MAX), 0);
    int had = sink.received;
    assert_int_equal(kr_sim_pause(B, KR_SEC(1)), 0);
    kr_dispatch(from, send_burst, &b, sizeof b);
    kr_sim_run(0);
    assert_int_equal(sink.received, had + 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_BARE_TEST(wire_messages_to_a_full_mailbox_are_dropped_deterministically),
        KT_TEST(the_bound_frees_as_the_receiver_serves),
    };
    return KT_RUN(tests);
}
