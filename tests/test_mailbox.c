/* The mailbox bound (kr_process_set_mailbox_limit, KAIROS_MAILBOX_MAX_*):
 * what outsiders queue for a process is bounded, what local processes send
 * is not. HTTP requests over the bound are answered 503 and counted in
 * kairos/mailbox_rejected. On real the target is held busy in a handler;
 * on sim its node is paused, so requests arrive and queue while nothing
 * runs there. Wire messages: test_sim_mailbox.c (the simulated network)
 * and test_real_mailbox.c (a real socket). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct web {
    kr_process base;
    int handled, messages;
} web;

static void h_hello(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)r;
    ((web *)self)->handled++;
    kr_http_respond(out, 200, "text/plain", "hi", 2);
}

static void on_note(kr_process *self, const kr_message *m)
{
    (void)m;
    ((web *)self)->messages++;
}

static void web_init(kr_process *self)
{
    kr_route(self, "/hello", "Says hi.", h_hello);
    kr_install(self, "note", on_note);
}

static const kr_process_ops web_ops = {.initialize = web_init};

static kr_pid spawn_web(web *w, uint64_t events_max, uint64_t bytes_max)
{
    memset(w, 0, sizeof *w);
    kr_process_init(&w->base, "web", &web_ops);
    assert_int_equal(kr_process_set_mailbox_limit(&w->base, events_max, bytes_max), 0);
    kr_pid pid = kr_spawn(&w->base, false);
    assert_false(kr_pid_is_none(pid));
    kt_settle();
    return pid;
}

/* Nothing of pid runs until unblock(): held in a handler on real, its
 * node paused on sim (requests still arrive there and queue). */
static void block(kr_pid pid)
{
#ifdef KAIROS_SIM
    (void)pid;
    char addr[64];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    assert_int_equal(kr_sim_pause(addr, KR_SEC(5)), 0);
#else
    kt_hold(pid);
#endif
}

static void unblock(void) { kt_release(); }

#ifndef KAIROS_SIM
static void nap_ms(long ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}
#endif

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

static int status_of(kr_future *f)
{
    assert_true(kr_future_await(f, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(f), KR_READY);
    int status = ((kr_http_response *)kr_future_value(f))->status;
    kr_future_unref(f);
    return status;
}

static void http_requests_over_the_bound_get_503(void **state)
{
    (void)state;
    static web w;
    kr_pid pid = spawn_web(&w, 2, 0);
    char addr[64], url[128];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    snprintf(url, sizeof url, "http://%s/web/hello", addr);
    block(pid);
    enum { N = 6 };
    kr_future *f[N];
    for (int i = 0; i < N; i++)
        f[i] = kr_http_get(url);
#ifndef KAIROS_SIM
    /* Let every request reach the node before the process may serve. */
    for (int tries = 0; tries < 500 && metric("kairos/mailbox_rejected") < N - 2; tries++)
        nap_ms(10);
#endif
    int ok = 0, full = 0;
    unblock();
    for (int i = 0; i < N; i++) {
        int s = status_of(f[i]);
        ok += s == 200;
        full += s == 503;
    }
    assert_int_equal(ok, 2);
    assert_int_equal(full, N - 2);
    assert_int_equal(w.handled, 2);
    assert_int_equal((int)metric("kairos/mailbox_rejected"), N - 2);
    assert_int_equal((int)metric("kairos/mailbox_external_events"), 0); /* all served */
    /* The bound frees as events are served: a new request goes in. */
    assert_int_equal(status_of(kr_http_get(url)), 200);
}

static void local_sends_are_never_bounded(void **state)
{
    (void)state;
    static web w;
    kr_pid pid = spawn_web(&w, 1, 1);
#ifdef KAIROS_SIM
    /* Nothing runs while the driving thread posts. */
#else
    kt_hold(pid);
#endif
    for (int i = 0; i < 50; i++)
        kr_post(pid, "note", "x", 1);
    kt_release();
    kt_flush(pid);
    assert_int_equal(w.messages, 50);
    assert_int_equal((int)metric("kairos/mailbox_dropped"), 0);
}

static void a_byte_bound_lets_one_event_into_an_empty_mailbox(void **state)
{
    (void)state;
    static web w;
    kr_pid pid = spawn_web(&w, 0, 1); /* 1 byte: smaller than any event */
    char addr[64], url[128];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    snprintf(url, sizeof url, "http://%s/web/hello", addr);
    assert_int_equal(status_of(kr_http_get(url)), 200);
    block(pid);
    kr_future *first = kr_http_get(url);
    kr_future *second = kr_http_get(url);
#ifndef KAIROS_SIM
    for (int tries = 0; tries < 500 && metric("kairos/mailbox_rejected") < 1; tries++)
        nap_ms(10);
#endif
    unblock();
    /* Which of the two arrives first is the network's (the seed's) choice. */
    int a = status_of(first), b = status_of(second);
    assert_int_equal(a + b, 200 + 503);
    assert_true(a == 503 || b == 503);
}

static void bad_arguments_and_settings_are_errors(void **state)
{
    (void)state;
    assert_int_equal(kr_process_set_mailbox_limit(NULL, 1, 1), KR_EINVAL);
    /* A limit set on a process that is never spawned is released with it. */
    web *w = calloc(1, sizeof *w);
    assert_non_null(w);
    kr_process_init(&w->base, "never", &web_ops);
    assert_int_equal(kr_process_set_mailbox_limit(&w->base, 5, 5), 0);
    kr_process_discard(&w->base);
    kr_finalize();
    const char *bad[][2] = {{"KAIROS_MAILBOX_MAX_EVENTS", "0"},
                            {"KAIROS_MAILBOX_MAX_EVENTS", "many"},
                            {"KAIROS_MAILBOX_MAX_BYTES", "-1"},
                            {"KAIROS_MAILBOX_MAX_BYTES", "12k"}};
    kr_config c = kt_config();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i][0], bad[i][1], 1);
        assert_int_equal(kr_init(&c), KR_EINVAL);
        unsetenv(bad[i][0]);
    }
    /* A good global setting is the default of every process. */
    setenv("KAIROS_MAILBOX_MAX_EVENTS", "1", 1);
    assert_int_equal(kr_init(&c), 0);
    unsetenv("KAIROS_MAILBOX_MAX_EVENTS");
    static web g;
    kr_pid pid = spawn_web(&g, 0, 0);
    char addr[64], url[128];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    snprintf(url, sizeof url, "http://%s/web/hello", addr);
    block(pid);
    kr_future *first = kr_http_get(url);
    kr_future *second = kr_http_get(url);
#ifndef KAIROS_SIM
    for (int tries = 0; tries < 500 && metric("kairos/mailbox_rejected") < 1; tries++)
        nap_ms(10);
#endif
    unblock();
    /* Which of the two arrives first is the network's (the seed's) choice. */
    int a = status_of(first), b = status_of(second);
    assert_int_equal(a + b, 200 + 503);
    assert_true(a == 503 || b == 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(http_requests_over_the_bound_get_503),
        KT_TEST(local_sends_are_never_bounded),
        KT_TEST(a_byte_bound_lets_one_event_into_an_empty_mailbox),
        KT_TEST(bad_arguments_and_settings_are_errors),
    };
    return KT_RUN(tests);
}
