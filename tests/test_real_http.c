/* HTTP endpoints and libprocess' wire protocol on the real backend, over
 * raw sockets (libprocess' HTTPTest / ProcessTest.Http1/Http2/Remote /
 * Firewall* / HttpAuthenticationTest), plus remote messaging between two
 * runtimes (a forked child runs the second one). */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "harness.h"

#include <kairos/http.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- raw socket client ------------------------------------------------------ */

static uint16_t our_port(void)
{
    char addr[64];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    return (uint16_t)atoi(strchr(addr, ':') + 1);
}

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(0x7f000001u)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the server may close early (413/431); the reply tells */
        p += w;
        len -= (size_t)w;
    }
}

typedef struct response {
    int status;
    char head[4096];
    char body[4096];
    size_t len;
} response;

/* Reads one response (Content-Length framed, as this server sends). A
 * per-connection buffer keeps bytes of the next pipelined response. */
typedef struct reader {
    int fd;
    char buf[1 << 16];
    size_t len;
} reader;

static bool fill(reader *r)
{
    if (r->len == sizeof r->buf)
        return false;
    ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
    if (n <= 0)
        return false;
    r->len += (size_t)n;
    return true;
}

static bool read_response(reader *r, response *out)
{
    memset(out, 0, sizeof *out);
    char *end;
    while (!(end = memmem(r->buf, r->len, "\r\n\r\n", 4)))
        if (!fill(r))
            return false;
    size_t head_len = (size_t)(end - r->buf) + 4;
    memcpy(out->head, r->buf, head_len < sizeof out->head ? head_len : sizeof out->head - 1);
    out->status = atoi(out->head + 9);
    const char *cl = strcasestr(out->head, "Content-Length:");
    size_t body_len = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    while (r->len < head_len + body_len)
        if (!fill(r))
            return false;
    out->len = body_len;
    memcpy(out->body, r->buf + head_len, body_len < sizeof out->body ? body_len : 0);
    memmove(r->buf, r->buf + head_len + body_len, r->len - head_len - body_len);
    r->len -= head_len + body_len;
    return true;
}

/* One request on a fresh connection. */
static response roundtrip(const char *request)
{
    static reader r;
    r.fd = dial(our_port());
    r.len = 0;
    send_all(r.fd, request, strlen(request));
    response out;
    assert_true(read_response(&r, &out));
    close(r.fd);
    return out;
}

static response get(const char *path)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    return roundtrip(req);
}

/* ---- a process with routes -------------------------------------------------- */

typedef struct server {
    kr_process base;
    atomic_int in_context; /* handlers ran with kr_current() == self */
    kr_http_reply *held;   /* /slow: answered by a later dispatch */
} server;

static server srv;

static void reply_text(kr_http_reply *out, const char *text)
{
    kr_http_respond(out, 200, "text/plain", text, strlen(text));
}

static void h_echo(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    if (kr_current() == self)
        atomic_fetch_add(&srv.in_context, 1);
    char text[1024];
    const char *hdr = kr_http_header(r, "x-test");
    snprintf(text, sizeof text, "%s %s ?%s len=%zu x=%s body=%.*s", r->method, r->path, r->query,
             r->body_len, hdr ? hdr : "-", (int)(r->body_len < 200 ? r->body_len : 200), r->body);
    reply_text(out, text);
}

static void h_a(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    reply_text(out, "a");
}

static void h_abc(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    reply_text(out, "abc");
}

static void h_secret(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    char text[128];
    snprintf(text, sizeof text, "principal=%s", r->principal ? r->principal : "(none)");
    reply_text(out, text);
}

static void answer_later(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
    kr_http_reply *out = srv.held;
    srv.held = NULL;
    char text[128];
    snprintf(text, sizeof text, "slow %s", kr_http_reply_request(out)->query);
    reply_text(out, text);
}

static void h_slow(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)r;
    srv.held = out; /* answered after a delayed dispatch: later than /fast */
    kr_delay(KR_MSEC(50), kr_self(self), answer_later, NULL, 0);
}

static void h_twice(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    reply_text(out, "first");
    reply_text(out, "second"); /* logged and ignored */
}

static void server_init(kr_process *self)
{
    kr_route(self, "/echo", "Echoes the request.", h_echo);
    kr_route(self, "/a", "The /a route.", h_a);
    kr_route(self, "/a/b/c", "The /a/b/c route.", h_abc);
    kr_route(self, "body/", "Normalized to /body.", h_echo);
    kr_route_auth(self, "/secret", "vault", "Needs credentials.", h_secret);
    kr_route(self, "/slow", "Answers after a delay.", h_slow);
    kr_route(self, "/twice", "Answers twice (bug).", h_twice);
}

static const kr_process_ops server_ops = {.initialize = server_init};

static kr_pid server_start(void)
{
    memset(&srv, 0, sizeof srv);
    kr_process_init(&srv.base, "srv", &server_ops);
    kr_pid pid = kr_spawn(&srv.base, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid);
    return pid;
}

/* ---- tests ------------------------------------------------------------------------ */

static void route_runs_in_process_context(void **state)
{
    (void)state;
    server_start();
    response r = get("/srv/echo/x?q=1");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Type: text/plain"));
    assert_non_null(strstr(r.head, "Date: "));
    assert_string_equal(r.body, "GET /echo/x ?q=1 len=0 x=- body=");
    assert_int_equal(atomic_load(&srv.in_context), 1);
    /* HTTP/1.0 as in HTTPTest.Endpoints, and "body/" resolved to /body. */
    r = roundtrip("GET /srv/body HTTP/1.0\r\nX-Test: yes\r\n\r\n");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "HTTP/1.1 200 OK"));
    assert_string_equal(r.body, "GET /body ? len=0 x=yes body=");
}

static void unknown_process_or_route_is_404(void **state)
{
    (void)state;
    server_start();
    assert_int_equal(get("/nobody/echo").status, 404);
    assert_int_equal(get("/srv/nothing").status, 404);
    assert_int_equal(get("/srv").status, 404);
    assert_int_equal(get("/srv/../srv/echo").status, 404);
}

static void longest_prefix_wins(void **state)
{
    (void)state;
    server_start();
    response r = get("/srv/a/b");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "a");
    r = get("/srv/a/b/c");
    assert_string_equal(r.body, "abc");
    r = get("/srv/a/b/c/d/");
    assert_string_equal(r.body, "abc");
    assert_int_equal(get("/srv/ab").status, 404); /* prefixes end at '/' */
    /* Percent-encoded id (ProcessTest.PercentEncodedURLs). */
    assert_string_equal(get("/%73rv/a").body, "a");
}

static void firewall_refuses_exact_paths(void **state)
{
    (void)state;
    server_start();
    const char *paths[] = {"/srv/a", "/srv/echo/*"};
    assert_int_equal(kr_firewall_disable(paths, 2), 0);
    response r = get("/srv/a");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.body, "Endpoint '/srv/a' is disabled");
    assert_int_equal(get("/srv/a/b/c").status, 200); /* nested path still reaches a route */
    assert_int_equal(get("/srv/echo/x").status, 200); /* no wildcards */
    assert_int_equal(get("/%73rv/a").status, 403);    /* encoding is no way around it */
    /* Spellings routing sends to /a are /a for the firewall too (issue 11
     * #3): trailing '/', repeated '/', "." segments, and sub-paths that
     * only the /a route would take. */
    const char *bypass[] = {"/srv/a/",   "/srv/a//",  "/srv/a/.",   "/srv//a",
                            "/srv/./a",  "/srv/a/b",  "/srv/a/zzz", "/srv/a/./b/",
                            "/srv/a?x=1", "/srv/a/b/c/../c"};
    for (size_t i = 0; i < sizeof bypass / sizeof *bypass; i++) {
        int status = get(bypass[i]).status;
        if (status != 403 && status != 404)
            fail_msg("%s reached the disabled endpoint (%d)", bypass[i], status);
        if (strstr(bypass[i], "..") == NULL && status != 403)
            fail_msg("%s: %d, not 403", bypass[i], status);
    }
    /* A rule spelled with a trailing '/' is the same rule. */
    const char *slashed[] = {"/srv/echo/"};
    assert_int_equal(kr_firewall_disable(slashed, 1), 0);
    assert_int_equal(get("/srv/echo").status, 403);
    assert_int_equal(get("/srv/echo/x").status, 403);
    assert_int_equal(get("/srv/a").status, 200);
    /* Built-in endpoints: every path the built-in serves. */
    const char *builtins[] = {"/help", "/metrics/snapshot"};
    assert_int_equal(kr_firewall_disable(builtins, 2), 0);
    assert_int_equal(get("/help/srv").status, 403);
    assert_int_equal(get("/help//").status, 403);
    assert_int_equal(get("/metrics/snapshot/").status, 403);
    assert_int_equal(get("/metrics//snapshot").status, 403);
    assert_int_equal(kr_firewall_disable(NULL, 0), 0);
    assert_int_equal(get("/srv/a").status, 200);
}

static bool check_creds(const char *user, const char *password, void *ctx)
{
    (void)ctx;
    return strcmp(user, "alice") == 0 && strcmp(password, "s3cret") == 0;
}

static void authentication_basic(void **state)
{
    (void)state;
    server_start();
    /* No authenticator for the realm: refused. */
    response r = get("/srv/secret");
    assert_int_equal(r.status, 401);
    assert_int_equal(kr_http_authenticator("vault", check_creds, NULL), 0);
    r = get("/srv/secret");
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.head, "WWW-Authenticate: Basic realm=\"vault\""));
    /* alice:wrong */
    r = roundtrip("GET /srv/secret HTTP/1.1\r\nAuthorization: Basic YWxpY2U6d3Jvbmc=\r\n\r\n");
    assert_int_equal(r.status, 401);
    /* alice:s3cret */
    r = roundtrip("GET /srv/secret HTTP/1.1\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n\r\n");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "principal=alice");
    assert_string_equal(get("/srv/echo").body, "GET /echo ? len=0 x=- body=");
    kr_http_authenticator("vault", NULL, NULL);
}

/* KAIROS_HTTP_BODY_MAX sets the 413 limit; a bad value fails kr_init. */
static void body_limit_is_configurable(void **state)
{
    (void)state;
    kr_finalize(); /* restart with the setting */
    setenv("KAIROS_HTTP_BODY_MAX", "junk", 1);
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), KR_EINVAL);
    setenv("KAIROS_HTTP_BODY_MAX", "1000", 1);
    assert_int_equal(kr_init(&c), 0);
    unsetenv("KAIROS_HTTP_BODY_MAX");
    server_start();
    char req[4096];
    int n = snprintf(req, sizeof req, "POST /srv/echo HTTP/1.1\r\nContent-Length: 1500\r\n\r\n");
    memset(req + n, 'x', 1500);
    req[n + 1500] = '\0';
    assert_int_equal(roundtrip(req).status, 413);
    n = snprintf(req, sizeof req, "POST /srv/echo HTTP/1.1\r\nContent-Length: 900\r\n\r\n");
    memset(req + n, 'x', 900);
    req[n + 900] = '\0';
    assert_int_equal(roundtrip(req).status, 200);
}

static void bad_input_is_answered(void **state)
{
    (void)state;
    server_start();
    assert_int_equal(roundtrip("NONSENSE\r\n\r\n").status, 400);
    assert_int_equal(roundtrip("GET /srv/echo HTTP/1.1\r\nBad Header\r\n\r\n").status, 400);
    assert_int_equal(roundtrip("GET srv/echo HTTP/1.1\r\n\r\n").status, 400);
    response r = roundtrip("POST /srv/echo HTTP/1.1\r\nContent-Length: 9000000\r\n\r\nxx");
    assert_int_equal(r.status, 413);
    /* A chunked body that grows past the limit. */
    int fd = dial(our_port());
    const char *head = "POST /srv/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    send_all(fd, head, strlen(head));
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    static reader rd;
    rd.fd = fd;
    rd.len = 0;
    for (int i = 0; i < 9; i++) {
        char size[32];
        snprintf(size, sizeof size, "%zx\r\n", sizeof chunk);
        send_all(fd, size, strlen(size));
        send_all(fd, chunk, sizeof chunk);
        send_all(fd, "\r\n", 2);
    }
    assert_true(read_response(&rd, &r));
    assert_int_equal(r.status, 413);
    close(fd);
    /* A header block over 64 KiB. */
    size_t big = 70 * 1024;
    char *req = malloc(big + 128);
    strcpy(req, "GET /srv/echo HTTP/1.1\r\nX-Big: ");
    size_t n = strlen(req);
    memset(req + n, 'y', big);
    strcpy(req + n + big, "\r\n\r\n");
    r = roundtrip(req);
    free(req);
    assert_int_equal(r.status, 431);
    /* A client that vanishes mid-request costs nothing. */
    fd = dial(our_port());
    send_all(fd, "POST /srv/echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", 51);
    close(fd);
    /* And the server keeps serving. */
    assert_int_equal(get("/srv/echo").status, 200);
}

static void keep_alive_and_pipelining_in_order(void **state)
{
    (void)state;
    server_start();
    static reader r;
    r.fd = dial(our_port());
    r.len = 0;
    /* Keep-alive: two requests one after the other on one connection. */
    response out;
    for (int i = 0; i < 2; i++) {
        const char *req = "GET /srv/a HTTP/1.1\r\nHost: x\r\n\r\n";
        send_all(r.fd, req, strlen(req));
        assert_true(read_response(&r, &out));
        assert_int_equal(out.status, 200);
    }
    /* Pipelined: the slow one is answered last but comes back first. */
    const char *burst = "GET /srv/slow?n=1 HTTP/1.1\r\n\r\n"
                        "GET /srv/a HTTP/1.1\r\n\r\n"
                        "POST /srv/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                        "GET /srv/a/b/c HTTP/1.1\r\n\r\n";
    send_all(r.fd, burst, strlen(burst));
    assert_true(read_response(&r, &out));
    assert_string_equal(out.body, "slow n=1");
    assert_true(read_response(&r, &out));
    assert_string_equal(out.body, "a");
    assert_true(read_response(&r, &out));
    assert_string_equal(out.body, "POST /echo ? len=11 x=- body=hello world");
    assert_true(read_response(&r, &out));
    assert_string_equal(out.body, "abc");
    /* Connection: close answers, then closes. */
    const char *last = "GET /srv/a HTTP/1.1\r\nConnection: close\r\n\r\nGET /srv/a HTTP/1.1\r\n\r\n";
    send_all(r.fd, last, strlen(last));
    assert_true(read_response(&r, &out));
    assert_non_null(strstr(out.head, "Connection: close"));
    assert_false(read_response(&r, &out)); /* EOF: the second is ignored */
    close(r.fd);
}

static void second_answer_is_ignored(void **state)
{
    (void)state;
    server_start();
    response r = get("/srv/twice");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "first");
}

static bool drop_http(const kr_event *e, void *ctx)
{
    (void)ctx;
    return kr_event_kind(e) == KR_EVENT_HTTP;
}

static void dropped_request_is_answered(void **state)
{
    (void)state;
    server_start();
    kr_filter_install(drop_http, NULL);
    assert_int_equal(get("/srv/a").status, 503);
    kr_filter_install(NULL, NULL);
    assert_int_equal(get("/srv/a").status, 200);
}

typedef struct weird {
    kr_process base;
} weird;

static void builtin_endpoints(void **state)
{
    (void)state;
    server_start();
    static weird w;
    kr_process_init(&w.base, "we\"ird\\id\x01", NULL);
    assert_false(kr_pid_is_none(kr_spawn(&w.base, false)));
    response r = get("/__processes__");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "application/json"));
    assert_non_null(strstr(r.body, "{\"id\":\"srv\",\"events\":"));
    /* The JSON escaper: quote, backslash and a control byte. */
    assert_non_null(strstr(r.body, "{\"id\":\"we\\\"ird\\\\id\\u0001\",\"events\":"));
    r = get("/help");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "/srv/a/b/c\n    The /a/b/c route.\n"));
    assert_non_null(strstr(r.body, "/srv/body\n"));
    assert_int_equal(get("/help/srv").status, 200);
    assert_int_equal(get("/help/nobody").status, 400);
    assert_int_equal(get("/help/srv/nothing").status, 400);
    get("/srv/a");
    kr_clock_settle(); /* srv's worker finishes its turn after replying */
    r = get("/metrics/snapshot");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"kairos/processes_spawned\":2"));
    assert_non_null(strstr(r.body, "\"kairos/http_connections\":1"));
    assert_non_null(strstr(r.body, "\"kairos/queue_depth/srv\":0"));
    assert_non_null(strstr(r.body, "\"kairos/queue_depth/we\\\"ird\\\\id\\u0001\":0"));
    /* srv ran initialize and the /srv/a request: two events at least. */
    const char *key = "\"kairos/events_served/srv\":";
    const char *n = strstr(r.body, key);
    assert_non_null(n);
    assert_true(atoi(n + strlen(key)) >= 2);
}

static void delegate_gets_root_and_unknown_ids(void **state)
{
    (void)state;
    kr_pid pid = server_start();
    assert_int_equal(get("/").status, 404);
    kr_http_delegate(pid);
    assert_string_equal(get("/echo/z").body, "GET /echo/z ? len=0 x=- body=");
    assert_string_equal(get("/a").body, "a");
    kr_http_delegate(KR_PID_NONE);
    assert_int_equal(get("/a").status, 404);
}

/* ---- libprocess messages over HTTP ---------------------------------------------- */

typedef struct receiver {
    kr_process base;
} receiver;

static void receiver_init(kr_process *self) { (void)self; }
static void on_hello(kr_process *self, const kr_message *m)
{
    (void)self;
    (void)m;
}
static const kr_process_ops receiver_ops = {.initialize = receiver_init};

static void libprocess_bytes_are_accepted(void **state)
{
    (void)state;
    static receiver rcv;
    kr_process_init(&rcv.base, "receiver", &receiver_ops);
    kr_install(&rcv.base, "hello", on_hello);
    kr_pid to = kr_spawn(&rcv.base, false);
    kr_pid from;
    assert_int_equal(kr_pid_parse("sender@127.0.0.1:9", &from), 0);
    /* Exactly what libprocess' MessageEncoder writes (libprocess.md §3). */
    char req[512];
    snprintf(req, sizeof req,
             "POST /receiver/hello HTTP/1.1\r\n"
             "User-Agent: libprocess/sender@127.0.0.1:9\r\n"
             "Libprocess-From: sender@127.0.0.1:9\r\n"
             "Connection: Keep-Alive\r\n"
             "Host: 127.0.0.1:%u\r\n"
             "Transfer-Encoding: chunked\r\n"
             "\r\n"
             "b\r\nhello world\r\n0\r\n\r\n",
             (unsigned)our_port());
    kr_future *f = kr_expect_message("hello", from, to);
    response r = roundtrip(req);
    assert_int_equal(r.status, 202);
    assert_non_null(strstr(r.head, "HTTP/1.1 202 Accepted"));
    kt_await_state(f, KR_READY);
    const kr_message *m = kr_future_value(f);
    assert_true(kr_pid_equal(m->from, from));
    assert_int_equal(m->len, 11);
    assert_memory_equal(m->body, "hello world", 11);
    kr_future_unref(f);
    /* ProcessTest.Http1: only a User-Agent, Content-Length body. */
    f = kr_expect_message("hello", from, to);
    r = roundtrip("POST /receiver/hello HTTP/1.1\r\nUser-Agent: libprocess/sender@127.0.0.1:9\r\n"
                  "Content-Length: 2\r\n\r\nhi");
    assert_int_equal(r.status, 202);
    kt_await_state(f, KR_READY);
    kr_future_unref(f);
    /* ProcessTest.Http2: only Libprocess-From, no body. */
    f = kr_expect_message("hello", from, to);
    r = roundtrip("POST /receiver/hello HTTP/1.1\r\nLibprocess-From: sender@127.0.0.1:9\r\n\r\n");
    assert_int_equal(r.status, 202);
    kt_await_state(f, KR_READY);
    assert_int_equal(((const kr_message *)kr_future_value(f))->len, 0);
    kr_future_unref(f);
    /* No such process: 404. */
    r = roundtrip("POST /ghost/hello HTTP/1.1\r\nLibprocess-From: sender@127.0.0.1:9\r\n\r\n");
    assert_int_equal(r.status, 404);
}

/* ---- the HTTP client --------------------------------------------------------------- */

static void client_get_and_post(void **state)
{
    (void)state;
    server_start();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/srv/echo?k=v", (unsigned)our_port());
    kr_future *f = kr_http_get(url);
    kt_await_state(f, KR_READY);
    kr_http_response *r = kr_future_value(f);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->content_type, "text/plain");
    assert_string_equal(r->body, "GET /echo ?k=v len=0 x=- body=");
    kr_future_unref(f);
    f = kr_http_post(url, "text/plain", "payload", 7);
    kt_await_state(f, KR_READY);
    r = kr_future_value(f);
    assert_string_equal(r->body, "POST /echo ?k=v len=7 x=- body=payload");
    kr_future_unref(f);
    f = kr_http_get("http://127.0.0.1:1/nothing"); /* nobody listens */
    kt_await_state(f, KR_FAILED);
    kr_future_unref(f);
    f = kr_http_get("ftp://127.0.0.1/x");
    kt_await_state(f, KR_FAILED);
    kr_future_unref(f);
}

static void idle_connections_are_closed(void **state)
{
    (void)state;
    setenv("KAIROS_HTTP_IDLE_MS", "100", 1);
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    unsetenv("KAIROS_HTTP_IDLE_MS");
    int fd = dial(our_port());
    /* Idle after 100 ms: EOF well within 5 s, or recv fails (EAGAIN) and so
     * does the test, rather than hanging to the ctest limit. */
    struct timeval tv = {.tv_sec = 5};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    char b;
    assert_int_equal(recv(fd, &b, 1, 0), 0);
    close(fd);
}

static void port_minus_one_has_no_listener(void **state)
{
    (void)state;
    kr_config c = kt_config();
    c.port = -1;
    assert_int_equal(kr_init(&c), 0);
    char addr[64];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    assert_string_equal(addr, "127.0.0.1:0");
}

/* ---- two runtimes: a forked child runs the second one --------------------------- */

#define MESSAGES 100000

typedef struct echo {
    kr_process base;
    uint32_t expect;
    atomic_int out_of_order;
} echo;

static void echo_ping(kr_process *self, const kr_message *m)
{
    echo *e = (echo *)self;
    uint32_t seq;
    memcpy(&seq, m->body, sizeof seq);
    if (seq != e->expect)
        atomic_fetch_add(&e->out_of_order, 1);
    e->expect = seq + 1;
    uint32_t reply[2] = {seq, (uint32_t)atomic_load(&e->out_of_order)};
    kr_send(self, m->from, "pong", reply, sizeof reply);
}

/* The child: a runtime on its own port with an echo process. Writes its
 * port to `out`, then serves until killed. */
static void child_main(int out)
{
    kr_config c = kt_config();
    if (kr_init(&c) != 0)
        _exit(2);
    static echo e;
    kr_process_init(&e.base, "echo", NULL);
    /* All MESSAGES may be queued at once: above the default bound on what
     * a peer may queue (65536), which would drop some. */
    kr_process_set_mailbox_limit(&e.base, UINT64_MAX, UINT64_MAX);
    kr_install(&e.base, "ping", echo_ping);
    kr_pid pid = kr_spawn(&e.base, false);
    uint16_t port = our_port();
    if (write(out, &port, sizeof port) != (ssize_t)sizeof port)
        _exit(3);
    kr_wait(pid, KR_FOREVER);
    _exit(0);
}

typedef struct client_proc {
    kr_process base;
    kr_pid peer;
    uint32_t received;
    atomic_int out_of_order, peer_out_of_order;
    kr_promise *all_back, *exited;
} client_proc;

static void client_pong(kr_process *self, const kr_message *m)
{
    client_proc *c = (client_proc *)self;
    uint32_t reply[2];
    memcpy(reply, m->body, sizeof reply);
    if (reply[0] != c->received)
        atomic_fetch_add(&c->out_of_order, 1);
    atomic_store(&c->peer_out_of_order, (int)reply[1]);
    if (++c->received == MESSAGES)
        kr_promise_set(c->all_back, NULL, NULL);
}

static void client_start(kr_process *self, const void *arg)
{
    (void)arg;
    client_proc *c = (client_proc *)self;
    kr_link(self, c->peer);
    for (uint32_t seq = 0; seq < MESSAGES; seq++)
        kr_send(self, c->peer, "ping", &seq, sizeof seq);
}

static void client_exited(kr_process *self, kr_pid who)
{
    client_proc *c = (client_proc *)self;
    if (kr_pid_equal(who, c->peer))
        kr_promise_set(c->exited, NULL, NULL);
}

static const kr_process_ops client_ops = {.exited = client_exited};

static void remote_messages_between_two_runtimes(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork(); /* before kr_init: the child starts clean */
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        child_main(fds[1]);
    }
    close(fds[1]);
    uint16_t child_port = 0;
    assert_int_equal(read(fds[0], &child_port, sizeof child_port), (ssize_t)sizeof child_port);
    close(fds[0]);
    kr_config cfg = kt_config();
    assert_int_equal(kr_init(&cfg), 0);
    assert_int_not_equal(our_port(), child_port);

    static client_proc c;
    memset(&c, 0, sizeof c);
    kr_process_init(&c.base, "client", &client_ops);
    /* Pongs queue while client_start still sends (one turn, MESSAGES
     * sends): more than the default bound lets a peer queue (65536). */
    kr_process_set_mailbox_limit(&c.base, UINT64_MAX, UINT64_MAX);
    kr_install(&c.base, "pong", client_pong);
    c.all_back = kr_promise_new();
    c.exited = kr_promise_new();
    char text[64];
    snprintf(text, sizeof text, "echo@127.0.0.1:%u", (unsigned)child_port);
    assert_int_equal(kr_pid_parse(text, &c.peer), 0);
    kr_pid pid = kr_spawn(&c.base, false);
    kr_dispatch(pid, client_start, NULL, 0);

    kr_future *all = kr_promise_future(c.all_back);
    bool done = kr_future_await(all, KR_SEC(60));
    kr_future_unref(all);
    assert_true(done);
    assert_int_equal(c.received, MESSAGES);
    assert_int_equal(atomic_load(&c.out_of_order), 0);
    assert_int_equal(atomic_load(&c.peer_out_of_order), 0);

    /* Killing the peer's OS process breaks the link: exited. */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    kr_future *ex = kr_promise_future(c.exited);
    kt_await_state(ex, KR_READY);
    kr_future_unref(ex);
    kr_terminate(pid, false);
    kr_wait(pid, KT_TIMEOUT);
    kr_promise_free(c.all_back);
    kr_promise_free(c.exited);
}

static void client_start_link_only(kr_process *self, const void *arg)
{
    (void)arg;
    kr_link(self, ((client_proc *)self)->peer);
}

static void link_to_unreachable_peer_exits(void **state)
{
    (void)state;
    static client_proc c;
    memset(&c, 0, sizeof c);
    kr_process_init(&c.base, "lonely", &client_ops);
    c.exited = kr_promise_new();
    assert_int_equal(kr_pid_parse("nobody@127.0.0.1:1", &c.peer), 0);
    kr_pid pid = kr_spawn(&c.base, false);
    kr_dispatch(pid, client_start_link_only, NULL, 0);
    kr_future *ex = kr_promise_future(c.exited);
    kt_await_state(ex, KR_READY);
    kr_future_unref(ex);
    kr_terminate(pid, false);
    kr_wait(pid, KT_TIMEOUT);
    kr_promise_free(c.exited);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(route_runs_in_process_context),
        KT_TEST(unknown_process_or_route_is_404),
        KT_TEST(longest_prefix_wins),
        KT_TEST(firewall_refuses_exact_paths),
        KT_TEST(authentication_basic),
        KT_TEST(bad_input_is_answered),
        KT_TEST(body_limit_is_configurable),
        KT_TEST(keep_alive_and_pipelining_in_order),
        KT_TEST(second_answer_is_ignored),
        KT_TEST(dropped_request_is_answered),
        KT_TEST(builtin_endpoints),
        KT_TEST(delegate_gets_root_and_unknown_ids),
        KT_TEST(libprocess_bytes_are_accepted),
        KT_TEST(client_get_and_post),
        KT_BARE_TEST(idle_connections_are_closed),
        KT_BARE_TEST(port_minus_one_has_no_listener),
        KT_BARE_TEST(remote_messages_between_two_runtimes),
        KT_TEST(link_to_unreachable_peer_exits),
    };
    return KT_RUN(tests);
}
