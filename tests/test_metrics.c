/* Metrics (libprocess' metrics_tests: Counter, PullGauge, PushGauge, Timer,
 * SnapshotEndpoint, SnapshotTimeout): values, the registry's rules, the
 * flat JSON snapshot (parsed with jansson) read directly and over HTTP (a
 * real socket on real, the simulated network on sim), timeouts, and on sim
 * the same snapshot for the same seed. */
#include "harness.h"

#include <jansson.h>

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fprintf(stderr, "bad JSON (%s) in: %s\n", err.text, text);
    assert_non_null(j);
    assert_true(json_is_object(j));
    /* Flat: every value is a number. */
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) assert_true(json_is_number(v));
    return j;
}

static double num(json_t *j, const char *name)
{
    json_t *v = json_object_get(j, name);
    if (!v)
        fprintf(stderr, "missing metric %s\n", name);
    assert_non_null(v);
    return json_number_value(v);
}

static json_t *snapshot(kr_duration timeout)
{
    kr_future *f = kr_metrics_snapshot(timeout);
    kt_await_state(f, KR_READY);
    json_t *j = parse(kr_future_value(f));
    kr_future_unref(f);
    return j;
}

static void counters_and_gauges_keep_their_values(void **state)
{
    (void)state;
    kr_metric *c = NULL, *g = NULL;
    assert_int_equal(kr_metric_counter("test/requests", &c), 0);
    assert_int_equal(kr_metric_gauge("test/level", &g), 0);
    kr_metric_increment(c);
    kr_metric_add(c, 41);
    kr_metric_set(g, 2.5);
    kr_metric_add(g, -1);
    assert_true(kr_metric_value(c) == 42);
    assert_true(kr_metric_value(g) == 1.5);

    json_t *j = snapshot(KR_FOREVER);
    assert_true(num(j, "test/requests") == 42);
    assert_true(num(j, "test/level") == 1.5);
    assert_true(num(j, "kairos/processes_spawned") >= 0); /* the runtime's own */
    json_decref(j);

    /* Names are unique and checked; a removed name is free again. */
    kr_metric *other = NULL;
    assert_int_equal(kr_metric_counter("test/requests", &other), KR_EEXIST);
    assert_int_equal(kr_metric_counter("", &other), KR_EINVAL);
    assert_int_equal(kr_metric_counter("bad\"name", &other), KR_EINVAL);
    assert_int_equal(kr_metric_counter(NULL, &other), KR_EINVAL);
    assert_int_equal(kr_metric_timer("test/t", -1, &other), KR_EINVAL);
    assert_null(other);
    kr_metric_set(c, 1); /* wrong kind: logged, ignored */
    kr_metric_record(g, 1);
    assert_true(kr_metric_value(c) == 42);
    kr_metric_remove(c);
    j = snapshot(KR_FOREVER);
    assert_null(json_object_get(j, "test/requests"));
    json_decref(j);
    assert_int_equal(kr_metric_counter("test/requests", &c), 0);
    assert_true(kr_metric_value(c) == 0);
    kr_metric_remove(c);
    kr_metric_remove(g);
    kr_metric_remove(NULL);
}

/* A pull gauge: evaluated when read, in its process' context. */
typedef struct holder {
    kr_process base;
    int items;
} holder;

static double items_of(kr_process *self, const void *arg)
{
    (void)arg;
    return self ? ((holder *)self)->items : -1;
}

static double constant(kr_process *self, const void *arg)
{
    (void)self;
    return *(const double *)arg;
}

static void pull_gauges_are_read_when_the_snapshot_is_taken(void **state)
{
    (void)state;
    static holder h;
    memset(&h, 0, sizeof h);
    kr_process_init(&h.base, "holder", NULL);
    kr_pid pid = kr_spawn(&h.base, false);
    kr_metric *in_ctx = NULL, *inline_g = NULL;
    assert_int_equal(kr_metric_pull_gauge("holder/items", pid, items_of, NULL, 0, &in_ctx), 0);
    double pi = 3.25;
    assert_int_equal(kr_metric_pull_gauge("test/pi", KR_PID_NONE, constant, &pi, sizeof pi,
                                          &inline_g),
                     0);
    assert_int_equal(kr_metric_pull_gauge("test/x", KR_PID_NONE, NULL, NULL, 0, &inline_g),
                     KR_EINVAL);
    h.items = 7;
    json_t *j = snapshot(KR_SEC(5));
    assert_true(num(j, "holder/items") == 7);
    assert_true(num(j, "test/pi") == 3.25);
    json_decref(j);
    assert_true(kr_metric_value(in_ctx) == 7); /* what the snapshot read */
    assert_true(kr_metric_value(inline_g) == 3.25);

#ifndef KAIROS_SIM
    /* SnapshotTimeout: a process that does not answer in time is left out. */
    kt_hold(pid);
    j = snapshot(KR_MSEC(50));
    assert_null(json_object_get(j, "holder/items"));
    assert_true(num(j, "test/pi") == 3.25);
    json_decref(j);
    kt_release();
#endif

    /* Its process gone: left out, never a hang. */
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    j = snapshot(KR_FOREVER);
    assert_null(json_object_get(j, "holder/items"));
    json_decref(j);
    kr_metric_remove(in_ctx);
    kr_metric_remove(inline_g);
}

static void timers_show_percentiles_over_their_window(void **state)
{
    (void)state;
    kr_clock_pause();
    kr_metric *t = NULL;
    assert_int_equal(kr_metric_timer("test/latency", KR_SEC(60), &t), 0);
    json_t *j = snapshot(KR_FOREVER);
    assert_null(json_object_get(j, "test/latency_ms")); /* nothing recorded yet */
    json_decref(j);
    for (int i = 1; i <= 100; i++)
        kr_metric_record(t, KR_MSEC(i));
    j = snapshot(KR_FOREVER);
    assert_true(num(j, "test/latency_ms") == 100);
    assert_true(num(j, "test/latency_ms/count") == 100);
    assert_true(num(j, "test/latency_ms/min") == 1);
    assert_true(num(j, "test/latency_ms/max") == 100);
    assert_true(num(j, "test/latency_ms/p50") == 50.5);
    assert_true(num(j, "test/latency_ms/p90") > 90.0 && num(j, "test/latency_ms/p90") < 91.0);
    assert_true(num(j, "test/latency_ms/p99") > 99.0 && num(j, "test/latency_ms/p99") < 100.0);
    json_decref(j);

    /* Samples older than the window no longer count. */
    kr_clock_advance(KR_SEC(61));
    kr_metric_record(t, KR_MSEC(3));
    j = snapshot(KR_FOREVER);
    assert_true(num(j, "test/latency_ms/count") == 1);
    assert_true(num(j, "test/latency_ms/p50") == 3);
    json_decref(j);

    /* Timing a future: from now until it completes. */
    kr_promise *p = kr_promise_new();
    kr_future *f = kr_promise_future(p);
    kr_metric_time(t, f);
    kr_clock_advance(KR_MSEC(250));
    kr_promise_set(p, NULL, NULL);
    assert_true(kr_metric_value(t) == 250);
    kr_future_unref(f);
    kr_promise_free(p);

    /* Removed while a timing is pending: that timing keeps it alive. */
    p = kr_promise_new();
    f = kr_promise_future(p);
    kr_metric_time(t, f);
    kr_metric_remove(t);
    kr_promise_set(p, NULL, NULL);
    kr_future_unref(f);
    kr_promise_free(p);
    kr_clock_resume();
}

static kr_http_response *http_get(const char *path, kr_future **keep)
{
    char addr[64], url[256];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    snprintf(url, sizeof url, "http://%s%s", addr, path);
    kr_future *f = kr_http_get(url);
    kt_await_state(f, KR_READY);
    *keep = f;
    return kr_future_value(f);
}

/* SnapshotEndpoint: the same object over HTTP, with ?timeout=. */
static void the_snapshot_endpoint_serves_flat_json(void **state)
{
    (void)state;
    static holder h;
    memset(&h, 0, sizeof h);
    kr_process_init(&h.base, "served", NULL);
    kr_pid pid = kr_spawn(&h.base, false);
    kr_metric *c = NULL, *g = NULL;
    assert_int_equal(kr_metric_counter("web/hits", &c), 0);
    assert_int_equal(kr_metric_pull_gauge("served/items", pid, items_of, NULL, 0, &g), 0);
    kr_metric_add(c, 3);
    h.items = 11;
    kr_future *keep;
    kr_http_response *r = http_get("/metrics/snapshot", &keep);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->content_type, "application/json"));
    json_t *j = parse(r->body);
    assert_true(num(j, "web/hits") == 3);
    assert_true(num(j, "served/items") == 11);
    assert_true(num(j, "kairos/queue_depth/served") >= 0); /* listed per process */
    json_decref(j);
    kr_future_unref(keep);

    r = http_get("/metrics/snapshot?timeout=5secs", &keep);
    assert_int_equal(r->status, 200);
    j = parse(r->body);
    assert_true(num(j, "served/items") == 11);
    json_decref(j);
    kr_future_unref(keep);

    r = http_get("/metrics/snapshot?timeout=soon", &keep);
    assert_int_equal(r->status, 400);
    kr_future_unref(keep);
    kr_metric_remove(c);
    kr_metric_remove(g);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

#ifdef KAIROS_SIM
/* The simulator's snapshot depends only on the seed. */
static void pinger(kr_process *self, const void *arg)
{
    (void)arg;
    kr_send(self, kr_self(self), "ping", "x", 1);
}

static char *one_run(uint64_t seed)
{
    kr_config c = kt_config();
    c.seed = seed;
    assert_int_equal(kr_init(&c), 0);
    static kr_process procs[4];
    char id[16];
    kr_metric *t = NULL;
    assert_int_equal(kr_metric_timer("sim/step", KR_SEC(10), &t), 0);
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "p%d", i);
        kr_process_init(&procs[i], id, NULL);
        kr_pid pid = kr_spawn(&procs[i], false);
        kr_dispatch(pid, pinger, NULL, 0);
        kr_future *call = kr_dispatch_call(pid, kt_noop_call, NULL, 0);
        kr_metric_time(t, call);
        kr_future_unref(call);
    }
    kt_settle();
    kr_future *f = kr_metrics_snapshot(KR_SEC(1));
    kt_await_state(f, KR_READY);
    char *text = strdup(kr_future_value(f));
    kr_future_unref(f);
    kr_metric_remove(t);
    kr_finalize();
    return text;
}

static void the_same_seed_gives_the_same_snapshot(void **state)
{
    (void)state;
    char *a = one_run(7), *b = one_run(7);
    assert_string_equal(a, b);
    json_t *j = parse(a);
    assert_true(num(j, "kairos/processes_spawned") == 4);
    json_decref(j);
    free(a);
    free(b);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(counters_and_gauges_keep_their_values),
        KT_TEST(pull_gauges_are_read_when_the_snapshot_is_taken),
        KT_TEST(timers_show_percentiles_over_their_window),
        KT_TEST(the_snapshot_endpoint_serves_flat_json),
#ifdef KAIROS_SIM
        KT_BARE_TEST(the_same_seed_gives_the_same_snapshot),
#endif
    };
    return KT_RUN(tests);
}
