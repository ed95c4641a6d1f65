/* GET /__processes__ lists every process of the node with the events still
 * queued in its mailbox, in libprocess' JSON shape (issue 14), on both
 * backends: messages (name, from, to, body), dispatches, HTTP requests
 * (method, url), exited notices and terminates. The target is kept from
 * running while events queue behind it - on real a worker is held inside
 * it (kt_hold), on sim its node is paused - so the listing is exact. */
#include "harness.h"

#include <kairos/http.h>
#include <kairos/metrics.h>
#ifdef KAIROS_SIM
#include <kairos/sim.h>
#else
#include <time.h>
#endif

#include <jansson.h>

typedef struct target {
    kr_process base;
    kr_pid watch; /* linked from initialize */
    atomic_int got;
} target;

static void on_msg(kr_process *self, const kr_message *m)
{
    (void)m;
    atomic_fetch_add(&((target *)self)->got, 1);
}

static void look(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    kr_http_respond(out, 200, "text/plain", "seen", 4);
}

static void target_init(kr_process *self)
{
    target *t = (target *)self;
    kr_install(self, "m", on_msg);
    kr_install(self, "other", on_msg);
    kr_route(self, "/look", "Answers seen.", look);
    if (!kr_pid_is_none(t->watch))
        kr_link(self, t->watch);
}
static const kr_process_ops target_ops = {.initialize = target_init};

static void noop(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static void url_of(char *url, size_t n, const char *path)
{
    char addr[64];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    snprintf(url, n, "http://%s%s", addr, path);
}

static kr_future *get_async(const char *path)
{
    char url[256];
    url_of(url, sizeof url, path);
    kr_future *f = kr_http_get(url);
    assert_non_null(f);
    return f;
}

/* The response body of a completed GET, parsed (status 200 checked). */
static json_t *json_of(kr_future *f)
{
    kt_await_state(f, KR_READY);
    kr_http_response *r = kr_future_value(f);
    assert_int_equal(r->status, 200);
    json_error_t err;
    json_t *j = json_loadb(r->body, r->len, JSON_ALLOW_NUL, &err);
    if (!j)
        fprintf(stderr, "not JSON (%s): %s\n", err.text, r->body);
    assert_non_null(j);
    assert_true(json_is_array(j));
    return j;
}

/* The events array of process `id` in a listing, or NULL if not listed. */
static json_t *events_of(json_t *list, const char *id)
{
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        const char *got = json_string_value(json_object_get(entry, "id"));
        if (got && strcmp(got, id) == 0) {
            json_t *events = json_object_get(entry, "events");
            assert_true(json_is_array(events));
            return events;
        }
    }
    return NULL;
}

static const char *field(json_t *event, const char *key)
{
    const char *v = json_string_value(json_object_get(event, key));
    assert_non_null(v);
    return v;
}

/* The queued-event count of `id`, as /metrics/snapshot reports it. */
static long depth(const char *id)
{
    kr_future *f = kr_metrics_snapshot(KR_FOREVER);
    kt_await_state(f, KR_READY);
    json_t *j = json_loads(kr_future_value(f), 0, NULL);
    assert_non_null(j);
    char key[128];
    snprintf(key, sizeof key, "kairos/queue_depth/%s", id);
    json_t *v = json_object_get(j, key);
    long n = v ? (long)json_integer_value(v) : -1;
    json_decref(j);
    kr_future_unref(f);
    return n;
}

/* Waits until `id` has n events counted: an HTTP request made
 * asynchronously has been handled and its event queued. */
static void await_depth(const char *id, long n)
{
    for (int i = 0; i < 30000 && depth(id) < n; i++) {
#ifdef KAIROS_SIM
        kr_sim_step(); /* the request's network leg */
#else
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
#endif
    }
    assert_int_equal(depth(id), n);
}

/* After kt_hold(pid), keeps the node's processes from serving anything
 * for a virtual second (sim: kt_hold only settles; requests are still
 * handled at the node, their events queue). On real kt_hold suffices. */
static void freeze(void)
{
#ifdef KAIROS_SIM
    char addr[64];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    assert_int_equal(kr_sim_pause(addr, KR_SEC(1)), 0);
#endif
}

static void check_target_events(json_t *events, const char *to)
{
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 7);
    assert_string_equal(field(json_array_get(events, 0), "type"), "EXITED");
    json_t *m = json_array_get(events, 1);
    assert_string_equal(field(m, "type"), "MESSAGE");
    assert_string_equal(field(m, "name"), "m");
    assert_string_equal(field(m, "body"), "first");
    assert_string_equal(field(m, "from"), "");
    assert_string_equal(field(m, "to"), to);
    m = json_array_get(events, 2);
    assert_string_equal(field(m, "name"), "other");
    /* A body that is not UTF-8 still makes valid JSON: bytes as U+00XX. */
    static const char body[] = "a\"\n\xc3\xbf\xc3\xa9\0z";
    json_t *b = json_object_get(m, "body");
    assert_int_equal(json_string_length(b), sizeof body - 1);
    assert_memory_equal(json_string_value(b), body, sizeof body - 1);
    assert_string_equal(field(json_array_get(events, 3), "type"), "DISPATCH");
    assert_string_equal(field(json_array_get(events, 4), "type"), "DISPATCH");
    json_t *h = json_array_get(events, 5);
    assert_string_equal(field(h, "type"), "HTTP");
    assert_string_equal(field(h, "method"), "GET");
    assert_string_equal(field(h, "url"), "/lister/look?x=1");
    assert_string_equal(field(json_array_get(events, 6), "type"), "TERMINATE");
}

static void queued_events_are_listed_as_libprocess_does(void **state)
{
    (void)state;
    static kr_process victim, idle;
    static target t;
    memset(&t, 0, sizeof t);
    kr_process_init(&victim, "victim", NULL);
    kr_pid v = kr_spawn(&victim, false);
    kr_process_init(&idle, "idle", NULL);
    kr_pid i = kr_spawn(&idle, false);
    t.watch = v;
    kr_process_init(&t.base, "lister", &target_ops);
    kr_pid pid = kr_spawn(&t.base, false);
    kt_flush(pid);
    kt_flush(i);
    char to[KR_PID_STRLEN_MAX];
    assert_int_equal(kr_pid_format(pid, to, sizeof to), 0);

    kt_hold(pid);
    kr_terminate(v, false);
    assert_true(kr_wait(v, KT_TIMEOUT)); /* queues EXITED to the target */
    freeze();
    kr_post(pid, "m", "first", 5);
    kr_post(pid, "other", "a\"\n\xff\xe9\0z", 7);
    kr_dispatch(pid, noop, NULL, 0);
    kr_future *dispatched = kr_dispatch_call(pid, kt_noop_call, NULL, 0);
    long base = depth("lister");
    kr_future *seen = get_async("/lister/look?x=1");
    await_depth("lister", base + 1);
    kr_terminate(pid, false);
    /* Two listings in flight: each is answered by the same turn. */
    kr_future *first = get_async("/__processes__");
    await_depth("lister", base + 3);
    kr_future *second = get_async("/__processes__?timeout=1mins");
    await_depth("lister", base + 4);
    kt_release();

    json_t *list = json_of(first);
    check_target_events(events_of(list, "lister"), to);
    json_t *idle_events = events_of(list, "idle");
    assert_non_null(idle_events); /* idle: listed at once, nothing queued */
    assert_int_equal(json_array_size(idle_events), 0);
    assert_null(events_of(list, "victim")); /* terminated: not listed */
    json_decref(list);
    list = json_of(second);
    check_target_events(events_of(list, "lister"), to);
    json_decref(list);
    kr_future_unref(first);
    kr_future_unref(second);
    /* Listing served nothing: everything queued ran, in order, then the
     * terminate dropped the listing dispatches (answered already). */
    kt_await_state(seen, KR_READY);
    assert_int_equal(((kr_http_response *)kr_future_value(seen))->status, 200);
    kr_future_unref(seen);
    kt_await_unref(dispatched, KR_READY);
    assert_int_equal(atomic_load(&t.got), 2);
}

/* libprocess' ProcessesEndpointNoHang: an injected terminate purges the
 * events queued before it, the listing's dispatch among them, yet the
 * endpoint answers 200: the process lists its queue (as it was) at its
 * next event, before the purge drops that event. */
static void an_injected_terminate_does_not_hang_the_listing(void **state)
{
    (void)state;
    static target t;
    memset(&t, 0, sizeof t);
    t.watch = KR_PID_NONE;
    kr_process_init(&t.base, "doomed", &target_ops);
    kr_pid pid = kr_spawn(&t.base, false);
    kt_flush(pid);
    kt_hold(pid);
    freeze();
    kr_post(pid, "m", "x", 1);
    long base = depth("doomed");
    kr_future *f = get_async("/__processes__");
    await_depth("doomed", base + 1);
    kr_terminate(pid, true);
    kt_release();
    json_t *list = json_of(f);
    json_t *events = events_of(list, "doomed");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 2);
    assert_string_equal(field(json_array_get(events, 0), "name"), "m");
    assert_string_equal(field(json_array_get(events, 1), "type"), "TERMINATE");
    json_decref(list);
    kr_future_unref(f);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    assert_int_equal(atomic_load(&t.got), 0); /* purged unserved */
}

/* A process lists at most 10000 events; "unlisted" counts the rest. */
static void a_long_queue_is_listed_up_to_a_bound(void **state)
{
    (void)state;
    static target t;
    memset(&t, 0, sizeof t);
    t.watch = KR_PID_NONE;
    kr_process_init(&t.base, "long", &target_ops);
    kr_pid pid = kr_spawn(&t.base, false);
    kt_flush(pid);
    kt_hold(pid);
    freeze();
    for (int i = 0; i < 10003; i++)
        kr_post(pid, "m", &i, sizeof i);
    long base = depth("long");
    kr_future *f = get_async("/__processes__");
    await_depth("long", base + 1);
    kt_release();
    json_t *list = json_of(f);
    size_t i;
    json_t *entry;
    bool found = false;
    json_array_foreach(list, i, entry) {
        if (strcmp(json_string_value(json_object_get(entry, "id")), "long") != 0)
            continue;
        found = true;
        assert_int_equal(json_array_size(json_object_get(entry, "events")), 10000);
        assert_int_equal(json_integer_value(json_object_get(entry, "unlisted")), 3);
    }
    assert_true(found);
    json_decref(list);
    kr_future_unref(f);
    kt_flush(pid);
    assert_int_equal(atomic_load(&t.got), 10003);
}

static void a_bad_timeout_is_a_400(void **state)
{
    (void)state;
    kr_future *f = get_async("/__processes__?timeout=soon");
    kt_await_state(f, KR_READY);
    assert_int_equal(((kr_http_response *)kr_future_value(f))->status, 400);
    kr_future_unref(f);
}

#ifndef KAIROS_SIM
/* A process that stays busy past the timeout is listed with what can be
 * seen from outside its serving thread: its queued-event count. */
static void a_process_busy_past_the_timeout_is_listed_by_count(void **state)
{
    (void)state;
    static target t;
    memset(&t, 0, sizeof t);
    t.watch = KR_PID_NONE;
    kr_process_init(&t.base, "stuck", &target_ops);
    kr_pid pid = kr_spawn(&t.base, false);
    kt_flush(pid);
    kt_hold(pid);
    kr_post(pid, "m", "1", 1);
    kr_post(pid, "m", "2", 1);
    kr_future *f = get_async("/__processes__?timeout=50ms");
    json_t *list = json_of(f);
    kr_future_unref(f);
    kt_release();
    size_t i;
    json_t *entry;
    bool found = false;
    json_array_foreach(list, i, entry) {
        if (strcmp(json_string_value(json_object_get(entry, "id")), "stuck") != 0)
            continue;
        found = true;
        assert_int_equal(json_array_size(json_object_get(entry, "events")), 0);
        /* the held call, two messages and the listing's own dispatch */
        assert_int_equal(json_integer_value(json_object_get(entry, "unlisted")), 4);
    }
    assert_true(found);
    json_decref(list);
    kt_flush(pid);
    assert_int_equal(atomic_load(&t.got), 2);
}

/* Listing while two processes bounce a message: each listing claims idle
 * ones and asks busy ones, racing their turns (TSan checks the handover);
 * no bounce is lost or served twice. */
typedef struct bouncer {
    kr_process base;
    kr_pid peer;
    atomic_long got;
    long last;
} bouncer;

static void on_ball(kr_process *self, const kr_message *m)
{
    bouncer *b = (bouncer *)self;
    long n;
    memcpy(&n, m->body, sizeof n);
    atomic_fetch_add(&b->got, 1);
    if (n < b->last) {
        n++;
        kr_send(self, b->peer, "ball", &n, sizeof n);
    }
}

static void bouncer_init(kr_process *self) { kr_install(self, "ball", on_ball); }
static const kr_process_ops bouncer_ops = {.initialize = bouncer_init};

static void listing_races_busy_processes(void **state)
{
    (void)state;
    static bouncer a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    kr_process_init(&a.base, "ping", &bouncer_ops);
    kr_process_init(&b.base, "pong", &bouncer_ops);
    a.last = b.last = 20000;
    kr_pid pa = kr_spawn(&a.base, false), pb = kr_spawn(&b.base, false);
    a.peer = pb;
    b.peer = pa;
    kt_flush(pa);
    kt_flush(pb);
    long zero = 0;
    kr_post(pa, "ball", &zero, sizeof zero);
    for (int i = 0; i < 20; i++) {
        kr_future *f = get_async("/__processes__");
        json_t *list = json_of(f);
        assert_non_null(events_of(list, "ping"));
        assert_non_null(events_of(list, "pong"));
        json_decref(list);
        kr_future_unref(f);
    }
    for (int i = 0; i < 30000 && atomic_load(&a.got) + atomic_load(&b.got) < 20001; i++)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    kt_flush(pa);
    kt_flush(pb);
    assert_int_equal(atomic_load(&a.got) + atomic_load(&b.got), 20001);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(queued_events_are_listed_as_libprocess_does),
        KT_TEST(an_injected_terminate_does_not_hang_the_listing),
        KT_TEST(a_long_queue_is_listed_up_to_a_bound),
        KT_TEST(a_bad_timeout_is_a_400),
#ifndef KAIROS_SIM
        KT_TEST(a_process_busy_past_the_timeout_is_listed_by_count),
        KT_TEST(listing_races_busy_processes),
#endif
    };
    return KT_RUN(tests);
}
