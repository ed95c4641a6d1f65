/* Sim only: HTTP over the simulated network. Requests reach a route in the
 * owning process' context on the node named by the URL, answers come back
 * after the seeded latency, and partitions and crashes fail the future
 * instead of hanging it. */
#include "harness.h"

#define A "10.0.0.1:5050"
#define B "10.0.0.2:5050"

typedef struct web {
    kr_process base;
    int handled;
    bool in_context;
} web;

static void hello(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    web *w = (web *)self;
    w->handled++;
    w->in_context = kr_current() == self;
    char body[128];
    int n = snprintf(body, sizeof body, "hello %s %s q=%s", r->method, r->path, r->query);
    kr_http_respond(out, 200, "text/plain", body, (size_t)n);
}

static void web_init(kr_process *self) { kr_route(self, "/hello", "says hello", hello); }
static const kr_process_ops web_ops = {.initialize = web_init};

static kr_pid spawn_web(const char *node, web *w)
{
    assert_int_equal(kr_sim_node(node), 0);
    memset(w, 0, sizeof *w);
    kr_process_init(&w->base, "web", &web_ops);
    kr_pid pid = kr_spawn(&w->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

static kr_http_response *await_response(kr_future *f)
{
    assert_non_null(f);
    assert_true(kr_future_await(f, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(f), KR_READY);
    return kr_future_value(f);
}

static void get_reaches_the_route_in_process_context(void **state)
{
    (void)state;
    static web w;
    spawn_web(B, &w);
    kr_time t0 = kr_clock_now();
    kr_future *f = kr_http_get("http://10.0.0.2:5050/web/hello?x=1");
    kr_http_response *r = await_response(f);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "hello GET /hello q=x=1");
    assert_int_equal(w.handled, 1);
    assert_true(w.in_context);
    assert_true(kr_clock_now() - t0 >= KR_MSEC(2)); /* two legs of >= 1 ms */
    kr_future_unref(f);

    f = kr_http_get("http://10.0.0.2:5050/nobody/hello");
    assert_int_equal(await_response(f)->status, 404);
    kr_future_unref(f);

    /* Any case of scheme; the fragment is not sent. */
    f = kr_http_get("HTTP://10.0.0.2:5050/web/hello?y=2#frag");
    r = await_response(f);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "hello GET /hello q=y=2");
    kr_future_unref(f);
}

static void bad_urls_and_unknown_nodes_fail(void **state)
{
    (void)state;
    kr_future *f = kr_http_get("not a url");
    assert_int_equal(kr_future_state_of(f), KR_FAILED);
    kr_future_unref(f);
    /* The simulator splits URLs itself (runtime/core/http_url.c). */
    static const char *const bad[] = {
        "ftp://10.0.0.2:5050/web/hello", "http://10.0.0.2/web/hello", "http://10.0.0.2:0/x",
        "http://10.0.0.2:65536/x", "http://10.0.0.2:5050 /x", "http://:5050/x",
        "http://10.0.0.2:50x0/x", "http://host.example:5050/x", "http://10.0.0.2:5050/a b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        f = kr_http_get(bad[i]);
        assert_int_equal(kr_future_state_of(f), KR_FAILED);
        assert_non_null(strstr(kr_future_error(f), "bad URL"));
        kr_future_unref(f);
    }
    f = kr_http_get("http://10.9.9.9:1/x/y");
    assert_true(kr_future_await(f, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(f), KR_FAILED);
    assert_string_equal(kr_future_error(f), "unreachable");
    kr_future_unref(f);
}

/* A request from a process on A to a web on B fails across a partition. */
typedef struct client {
    kr_process base;
    kr_future *result;
} client;

static void client_get(kr_process *self, const void *arg)
{
    (void)arg;
    ((client *)self)->result = kr_http_get("http://10.0.0.2:5050/web/hello");
}

static void partition_fails_requests_between_nodes(void **state)
{
    (void)state;
    static web w;
    static client c;
    spawn_web(B, &w);
    kr_sim_node(A);
    memset(&c, 0, sizeof c);
    kr_process_init(&c.base, "client", NULL);
    kr_pid cp = kr_spawn(&c.base, false);
    const char *left[] = {A}, *right[] = {B};
    kr_sim_partition(left, 1, right, 1);
    kr_dispatch(cp, client_get, NULL, 0);
    kr_sim_run(0);
    assert_non_null(c.result);
    assert_int_equal(kr_future_state_of(c.result), KR_FAILED);
    assert_int_equal(w.handled, 0);
    kr_future_unref(c.result);

    kr_sim_heal();
    kr_dispatch(cp, client_get, NULL, 0);
    kr_sim_run(0);
    assert_int_equal(kr_future_state_of(c.result), KR_READY);
    assert_int_equal(((kr_http_response *)kr_future_value(c.result))->status, 200);
    kr_future_unref(c.result);
}

static void builtin_processes_endpoint_lists_the_node(void **state)
{
    (void)state;
    static web w;
    spawn_web(B, &w);
    kr_future *f = kr_http_get("http://10.0.0.2:5050/__processes__");
    kr_http_response *r = await_response(f);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"web\""));
    kr_future_unref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(get_reaches_the_route_in_process_context),
        KT_TEST(bad_urls_and_unknown_nodes_fail),
        KT_TEST(partition_fails_requests_between_nodes),
        KT_TEST(builtin_processes_endpoint_lists_the_node),
    };
    return KT_RUN(tests);
}
