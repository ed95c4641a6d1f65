/* libprocess' delegate(name, pid) for messages, response headers
 * (kr_http_respond_headers, read back with kr_http_response_header) and
 * /help?format=json, on both backends (real: over a socket; sim: over the
 * simulated network). */
#include "harness.h"

#include <jansson.h>

typedef struct box {
    kr_process base;
    atomic_int got;
    kr_pid last_from;
    char body[16];
    kr_promise *arrived;
} box;

static void on_job(kr_process *self, const kr_message *m)
{
    box *b = (box *)self;
    b->last_from = m->from;
    snprintf(b->body, sizeof b->body, "%.*s", (int)m->len, (const char *)m->body);
    atomic_fetch_add(&b->got, 1);
    if (b->arrived)
        kr_promise_set(b->arrived, NULL, NULL);
}

static void box_init(kr_process *self) { kr_install(self, "job", on_job); }
static const kr_process_ops box_ops = {.initialize = box_init};

typedef struct delegating {
    box base;
    kr_pid to;
} delegating;

static void delegating_init(kr_process *self)
{
    kr_install(self, "job", on_job); /* the delegation wins over it */
    kr_delegate(self, "job", ((delegating *)self)->to);
}
static const kr_process_ops delegating_ops = {.initialize = delegating_init};

static void undelegate(kr_process *self, const void *arg)
{
    (void)arg;
    kr_delegate(self, "job", KR_PID_NONE);
}

static void messages_of_a_delegated_name_are_forwarded(void **state)
{
    (void)state;
    static box worker;
    static delegating front;
    memset(&worker, 0, sizeof worker);
    memset(&front, 0, sizeof front);
    kr_process_init(&worker.base, "worker", &box_ops);
    kr_pid w = kr_spawn(&worker.base, false);
    front.to = w;
    kr_process_init(&front.base.base, "front", &delegating_ops);
    kr_pid f = kr_spawn(&front.base.base, false);
    kt_flush(f);

    worker.arrived = kr_promise_new();
    kr_future *arrived = kr_promise_future(worker.arrived);
    kr_post(f, "job", "abc", 3);
    kt_await_unref(arrived, KR_READY);
    kt_flush(f);
    assert_int_equal(atomic_load(&worker.got), 1);
    assert_int_equal(atomic_load(&front.base.got), 0);
    assert_string_equal(worker.body, "abc");
    assert_true(kr_pid_is_none(worker.last_from)); /* the sender is kept: none */
    kr_promise_free(worker.arrived);
    worker.arrived = NULL;

    /* Ended: the front handles it itself again. */
    kr_dispatch(f, undelegate, NULL, 0);
    kr_post(f, "job", "x", 1);
    kt_flush(f);
    assert_int_equal(atomic_load(&front.base.got), 1);
    assert_int_equal(atomic_load(&worker.got), 1);

    assert_int_equal(kr_delegate(NULL, "job", w), KR_EINVAL);
    kr_terminate(f, false);
    kr_terminate(w, false);
    assert_true(kr_wait(f, KT_TIMEOUT));
    assert_true(kr_wait(w, KT_TIMEOUT));
}

/* --- HTTP ------------------------------------------------------------------ */

static void with_headers(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    const char *h[] = {"Cache-Control", "no-cache", "X-Kairos-Id", "7"};
    kr_http_respond_headers(out, 201, "text/plain", h, 2, "made", 4);
}

static void bad_header(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    const char *h[] = {"X-Evil", "a\r\nSet-Cookie: x=1"};
    kr_http_respond_headers(out, 200, NULL, h, 1, "no", 2);
}

static void site_init(kr_process *self)
{
    kr_route(self, "/made", "Answers 201 with headers.", with_headers);
    kr_route(self, "/bad", "Tries to inject a header.", bad_header);
}
static const kr_process_ops site_ops = {.initialize = site_init};

static kr_future *get(const char *path)
{
    char addr[64], url[256];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    snprintf(url, sizeof url, "http://%s%s", addr, path);
    kr_future *f = kr_http_get(url);
    kt_await_state(f, KR_READY);
    return f;
}

static void responses_carry_extra_headers_and_help_has_json(void **state)
{
    (void)state;
    static kr_process site;
    kr_process_init(&site, "site", &site_ops);
    kr_pid pid = kr_spawn(&site, false);

    kr_future *f = get("/site/made");
    kr_http_response *r = kr_future_value(f);
    assert_int_equal(r->status, 201);
    assert_string_equal(r->body, "made");
    char v[32];
    assert_non_null(kr_http_response_header(r, "x-kairos-id", v, sizeof v));
    assert_string_equal(v, "7");
    assert_non_null(kr_http_response_header(r, "Cache-Control", v, sizeof v));
    assert_string_equal(v, "no-cache");
    assert_null(kr_http_response_header(r, "X-Absent", v, sizeof v));
    assert_null(kr_http_response_header(r, "Cache-Control", v, 3)); /* does not fit */
    kr_future_unref(f);

    f = get("/site/bad");
    r = kr_future_value(f);
    assert_int_equal(r->status, 500);
    assert_null(kr_http_response_header(r, "Set-Cookie", v, sizeof v));
    kr_future_unref(f);

    f = get("/help?format=json");
    r = kr_future_value(f);
    assert_int_equal(r->status, 200);
    json_error_t err;
    json_t *j = json_loads(r->body, 0, &err);
    assert_non_null(j);
    json_t *procs = json_object_get(j, "processes");
    assert_true(json_is_array(procs));
    bool found = false;
    size_t i;
    json_t *p;
    json_array_foreach(procs, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "id")), "site") != 0)
            continue;
        json_t *eps = json_object_get(p, "endpoints");
        assert_int_equal(json_array_size(eps), 2);
        json_t *e = json_array_get(eps, 0);
        assert_string_equal(json_string_value(json_object_get(e, "name")), "/made");
        assert_string_equal(json_string_value(json_object_get(e, "text")),
                            "Answers 201 with headers.");
        found = true;
    }
    assert_true(found);
    json_decref(j);
    kr_future_unref(f);

    f = get("/help/site?format=json");
    r = kr_future_value(f);
    j = json_loads(r->body, 0, &err);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "processes")), 1);
    json_decref(j);
    kr_future_unref(f);

    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(messages_of_a_delegated_name_are_forwarded),
        KT_TEST(responses_carry_extra_headers_and_help_has_json),
    };
    return KT_RUN(tests);
}
