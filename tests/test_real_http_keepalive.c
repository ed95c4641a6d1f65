/* The real backend's HTTP client reuses connections (keep-alive): a raw
 * HTTP/1.1 server in a thread of this test counts the connections it
 * accepted, so N sequential requests over 1 connection are visible, as are
 * "Connection: close" (no reuse) and a stale pooled connection (the request
 * is sent once more on a fresh one). */
#define _GNU_SOURCE /* memmem */
#include "harness.h"

#include <kairos/http.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode { KEEP, CLOSE_HEADER, DROP_SECOND };

typedef struct server {
    int lfd;
    uint16_t port;
    enum mode mode;
    atomic_int accepted, answered;
    atomic_bool stop;
    pthread_t thread;
} server;

typedef struct conn {
    int fd;
    int served; /* requests answered on it */
    char buf[8192];
    size_t len;
} conn;

/* Answers every complete request head in c->buf; false: close c. */
static bool serve(server *s, conn *c)
{
    char *end;
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL) {
        size_t used = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        if (s->mode == DROP_SECOND && c->served == 1)
            return false; /* as a server closing an idle connection would */
        const char *r = s->mode == CLOSE_HEADER
                            ? "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        /* Counted before it is sent: the client may act on the answer
         * before this thread runs again. */
        atomic_fetch_add(&s->answered, 1);
        if (send(c->fd, r, strlen(r), MSG_NOSIGNAL) < 0)
            return false;
        c->served++;
        if (s->mode == CLOSE_HEADER)
            return false;
    }
    return c->len < sizeof c->buf;
}

static void *server_main(void *arg)
{
    server *s = arg;
    conn cs[8];
    int n = 0;
    while (!atomic_load(&s->stop)) {
        struct pollfd p[9];
        p[0] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
        for (int i = 0; i < n; i++)
            p[i + 1] = (struct pollfd){.fd = cs[i].fd, .events = POLLIN};
        if (poll(p, (nfds_t)n + 1, 50) <= 0)
            continue;
        for (int i = n - 1; i >= 0; i--) {
            if (!p[i + 1].revents)
                continue;
            ssize_t r = recv(cs[i].fd, cs[i].buf + cs[i].len, sizeof cs[i].buf - cs[i].len, 0);
            if (r > 0)
                cs[i].len += (size_t)r;
            if (r <= 0 || !serve(s, &cs[i])) {
                close(cs[i].fd);
                cs[i] = cs[--n];
            }
        }
        if ((p[0].revents & POLLIN) && n < 8) {
            int fd = accept(s->lfd, NULL, NULL);
            if (fd >= 0) {
                atomic_fetch_add(&s->accepted, 1);
                cs[n] = (conn){.fd = fd};
                n++;
            }
        }
    }
    for (int i = 0; i < n; i++)
        close(cs[i].fd);
    return NULL;
}

static void server_start(server *s, enum mode mode)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 16), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

/* n sequential GETs (each awaited before the next), all 200 "ok". */
static void get_n(server *s, int n)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/x", (unsigned)s->port);
    for (int i = 0; i < n; i++) {
        kr_future *f = i % 2 ? kr_http_post(url, "text/plain", "b", 1) : kr_http_get(url);
        kt_await_state(f, KR_READY);
        kr_http_response *r = kr_future_value(f);
        assert_int_equal(r->status, 200);
        assert_string_equal(r->body, "ok");
        kr_future_unref(f);
    }
}

static void sequential_requests_share_one_connection(void **state)
{
    (void)state;
    static server s;
    server_start(&s, KEEP);
    get_n(&s, 10);
    assert_int_equal(atomic_load(&s.answered), 10);
    assert_int_equal(atomic_load(&s.accepted), 1);
    server_stop(&s);
}

static void connection_close_is_not_reused(void **state)
{
    (void)state;
    static server s;
    server_start(&s, CLOSE_HEADER);
    get_n(&s, 3);
    assert_int_equal(atomic_load(&s.accepted), 3);
    server_stop(&s);
}

static void stale_connection_is_retried_once_on_a_fresh_one(void **state)
{
    (void)state;
    static server s;
    /* Each connection answers one request and closes on the second, before
     * answering: every reuse fails without a byte and is retried. */
    server_start(&s, DROP_SECOND);
    get_n(&s, 3);
    assert_int_equal(atomic_load(&s.answered), 3);
    assert_int_equal(atomic_load(&s.accepted), 3);
    server_stop(&s);
}

static void a_server_gone_fails_the_request(void **state)
{
    (void)state;
    static server s;
    server_start(&s, KEEP);
    get_n(&s, 1);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/x", (unsigned)s.port);
    server_stop(&s); /* closes the pooled connection's peer and the listener */
    kr_future *f = kr_http_get(url);
    kt_await_state(f, KR_FAILED);
    kr_future_unref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(sequential_requests_share_one_connection),
        KT_TEST(connection_close_is_not_reused),
        KT_TEST(stale_connection_is_retried_once_on_a_fresh_one),
        KT_TEST(a_server_gone_fails_the_request),
    };
    return KT_RUN(tests);
}
