/* The HTTP client of the real backend: kr_http_get / kr_http_post.
 *
 * The caller builds the request bytes and posts them; the I/O thread
 * connects, writes, parses the response with http_parser and completes the
 * future there, so no caller (a process included) ever blocks. The idle
 * timeout bounds a server that never answers.
 *
 * Connections are reused (HTTP/1.1 keep-alive): after a complete response
 * without "Connection: close" (and nothing after it) the connection goes
 * into a small pool of idle ones, bounded per host and in total, closed
 * after an idle timeout or when the server closes it. The pool lives on the
 * I/O thread only, like every connection, so it needs no lock. A pooled
 * connection the server closed meanwhile fails the request before any byte
 * of a response: that request is sent once more on a fresh connection
 * (never after a byte was read, which could mean the server acted on it). */
#include "io.h"

#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <pthread.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <strings.h>
#include <unistd.h>

#define RESPONSE_MAX (64u << 20)
#define POOL_PER_HOST 4 /* idle connections kept per ip:port */
#define POOL_MAX 16     /* and in total */
/* A pooled connection idle this long closes (half the server-side idle
 * limit, so ours usually closes first and a reuse rarely meets a close). */
#define POOL_IDLE_NS (kr__http_idle_ns / 2)

typedef struct client {
    kr__io_conn io;
    http_parser parser;
    kr_promise *promise;
    kr_http_response *response; /* parsed, until the promise is set */
    kr__sb name, content_type, body, headers;
    int header_state; /* 0 none, 1 name, 2 value */
    bool name_is_ctype, done;
    const char *failure;
    uint32_t ip;
    uint16_t port;
    bool pooled;    /* idle, in the pool, no promise */
    bool reused;    /* this request runs on a connection taken from the pool */
    bool got_bytes; /* a byte of this request's response was read */
    bool retryable; /* it ended by EOF/reset: stale if reused and !got_bytes */
    kr__sb retry;   /* the request's bytes, kept while reused (for the retry) */
    struct client *pool_next;
} client;

static client *pool_head; /* I/O thread only */
static int pool_count;

static http_parser_settings settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

/* ---- response parsing ----------------------------------------------------------- */

/* A header name may arrive in pieces (split across reads): collect it,
 * decide at its value whether it is Content-Type. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    client *c = p->data;
    if (c->header_state != 1) {
        if (c->header_state == 2)
            kr__sb_puts(&c->headers, "\r\n");
        c->name.len = 0;
        c->header_state = 1;
    }
    if (c->name.len + len < 256)
        kr__sb_append(&c->name, at, len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    client *c = p->data;
    if (c->header_state != 2) {
        c->header_state = 2;
        c->name_is_ctype = c->name.len == 12 && strncasecmp(c->name.data, "content-type", 12) == 0;
        if (c->name_is_ctype)
            c->content_type.len = 0;
        kr__sb_append(&c->headers, c->name.data ? c->name.data : "", c->name.len);
        kr__sb_puts(&c->headers, ": ");
    }
    if (c->headers.len + len < 64 * 1024) /* a limit on everything */
        kr__sb_append(&c->headers, at, len);
    if (c->name_is_ctype)
        kr__sb_append(&c->content_type, at, len);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    client *c = p->data;
    if (c->header_state == 2)
        kr__sb_puts(&c->headers, "\r\n");
    c->header_state = 0;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    client *c = p->data;
    if (c->body.len + len > RESPONSE_MAX) {
        c->failure = "response too large";
        return 1;
    }
    kr__sb_append(&c->body, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    client *c = p->data;
    kr_http_response *r = kr__calloc(1, sizeof *r);
    if (!r || c->body.failed || c->content_type.failed || c->headers.failed) {
        kr__free(r);
        c->failure = "out of memory";
        return 1;
    }
    r->status = (int)p->status_code;
    r->content_type = c->content_type.data ? c->content_type.data : kr__strdup("");
    r->body = c->body.data ? c->body.data : kr__strdup("");
    r->len = c->body.len;
    r->headers = c->headers.data ? c->headers.data : kr__strdup("");
    c->content_type = (kr__sb){0};
    c->body = (kr__sb){0};
    c->headers = (kr__sb){0};
    if (!r->content_type || !r->body || !r->headers) {
        kr__http_response_free(r);
        c->failure = "out of memory";
        return 1;
    }
    c->done = true;
    c->response = r; /* the caller hears of it once the connection is pooled */
    http_parser_pause(p, 1); /* one response per connection */
    return 0;
}

static void init_settings(void)
{
    http_parser_settings_init(&settings);
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
}

/* ---- the connection (I/O thread) -------------------------------------------------- */

/* ---- the pool of idle connections (I/O thread) ------------------------------------- */

static void pool_unlink(client *c)
{
    for (client **pp = &pool_head; *pp; pp = &(*pp)->pool_next) {
        if (*pp == c) {
            *pp = c->pool_next;
            c->pool_next = NULL;
            c->pooled = false;
            pool_count--;
            return;
        }
    }
}

static client *pool_take(uint32_t ip, uint16_t port)
{
    for (client *c = pool_head; c; c = c->pool_next) {
        if (c->ip == ip && c->port == port && !c->io.closed) {
            pool_unlink(c);
            return c;
        }
    }
    return NULL;
}

/* After a complete response: keeps c for the next request to its host if
 * the server allows it and there is room. false: the caller closes c. */
static bool pool_put(client *c, bool clean_end)
{
    if (!clean_end || !http_should_keep_alive(&c->parser) || kr__io_unsent(&c->io) != 0 ||
        pool_count >= POOL_MAX || kr__io_down())
        return false;
    int same = 0;
    for (client *o = pool_head; o; o = o->pool_next)
        same += o->ip == c->ip && o->port == c->port;
    if (same >= POOL_PER_HOST)
        return false;
    c->done = c->reused = c->got_bytes = c->retryable = false;
    c->failure = NULL;
    c->header_state = 0;
    c->name.len = 0;
    kr__sb_free(&c->retry);
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->pooled = true;
    c->pool_next = pool_head;
    pool_head = c;
    pool_count++;
    return true;
}

static void client_read(kr__io_conn *io)
{
    client *c = (client *)(void *)io;
    ssize_t n = recv(io->fd, kr__io_rbuf, KR__IO_RBUF, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (c->pooled) { /* the server closed it, or sent what nobody asked for */
        kr__io_close(io);
        return;
    }
    if (n < 0) {
        c->failure = "connection reset";
        c->retryable = true;
        kr__io_close(io);
        return;
    }
    if (n == 0)
        c->retryable = true;
    else
        c->got_bytes = true;
    /* n == 0 tells the parser the stream ended (a body delimited by EOF). */
    size_t used = http_parser_execute(&c->parser, &settings, kr__io_rbuf, (size_t)n);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (!c->done && err != HPE_OK && err != HPE_PAUSED && !c->failure)
        c->failure = "malformed response";
    if (c->done && !c->failure) {
        /* Pool the connection before the caller hears of the response, so
         * a next request sent at once finds it idle, not still in use. */
        kr_promise *promise = c->promise;
        kr_http_response *r = c->response;
        c->promise = NULL;
        c->response = NULL;
        bool pooled = pool_put(c, n > 0 && used == (size_t)n);
        kr_promise_set(promise, r, kr__http_response_free);
        kr_promise_free(promise);
        if (pooled)
            return;
    }
    if (c->done || c->failure || n == 0)
        kr__io_close(io);
}

static void client_connect(kr__io_conn *io, bool ok)
{
    if (!ok)
        ((client *)(void *)io)->failure = "connection refused";
}

static void client_tick(kr__io_conn *io, int64_t now)
{
    if (((client *)(void *)io)->pooled) {
        if (now - io->last_active > POOL_IDLE_NS)
            kr__io_close(io);
        return;
    }
    if (now - io->last_active > kr__http_idle_ns) {
        ((client *)(void *)io)->failure = "timed out";
        kr__io_close(io);
    }
}

static void retry_fresh(client *c);

static void client_close(kr__io_conn *io)
{
    client *c = (client *)(void *)io;
    if (c->pooled) {
        pool_unlink(c);
        return;
    }
    if (!c->done && c->reused && c->retryable && !c->got_bytes && !kr__io_down() &&
        c->retry.data && !c->retry.failed) {
        retry_fresh(c);
        return;
    }
    if (!c->done)
        kr_promise_fail(c->promise, c->failure ? c->failure
                                    : kr__io_down() || !kr__is_running
                                        ? "runtime stopped"
                                        : "connection closed before a response");
}

static void client_free(kr__io_conn *io)
{
    client *c = (client *)(void *)io;
    kr_promise_free(c->promise);
    if (c->response)
        kr__http_response_free(c->response);
    kr__sb_free(&c->name);
    kr__sb_free(&c->content_type);
    kr__sb_free(&c->body);
    kr__sb_free(&c->headers);
    kr__sb_free(&c->retry);
    kr__free(c);
}

static const kr__io_ops client_ops = {
    .on_read = client_read,
    .on_connect = client_connect,
    .on_tick = client_tick,
    .on_close = client_close,
    .free = client_free,
};

/* ---- requests, posted from any thread ------------------------------------------------- */

typedef struct request_cmd {
    kr__io_cmd cmd;
    uint32_t ip;
    uint16_t port;
    bool fresh; /* a retry: never from the pool */
    kr_promise *promise;
    kr__sb bytes;
} request_cmd;

static void request_run(kr__io_cmd *cmd);

/* A reused connection went stale before any of the response: the same
 * request once more, on a new connection (posted, so it runs after this
 * close completes). */
static void retry_fresh(client *c)
{
    request_cmd *r = kr__calloc(1, sizeof *r);
    if (!r) {
        kr_promise_fail(c->promise, "out of memory");
        return;
    }
    r->ip = c->ip;
    r->port = c->port;
    r->fresh = true;
    r->promise = c->promise;
    c->promise = NULL;
    r->bytes = c->retry;
    c->retry = (kr__sb){0};
    r->cmd.fn = request_run;
    kr__io_post(&r->cmd);
}

static void request_run(kr__io_cmd *cmd)
{
    request_cmd *r = (request_cmd *)(void *)cmd;
    client *c = NULL;
    int fd = -1;
    if (kr__io_down()) {
        kr_promise_fail(r->promise, "runtime not running");
        goto done;
    }
    c = r->fresh ? NULL : pool_take(r->ip, r->port);
    if (c) {
        c->promise = r->promise;
        r->promise = NULL;
        c->reused = true;
        c->retry = r->bytes; /* kept for a retry if c turns out stale */
        r->bytes = (kr__sb){0};
        kr__io_write(&c->io, c->retry.data, c->retry.len);
        c = NULL;
        goto done;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c = fd >= 0 ? kr__calloc(1, sizeof *c) : NULL;
    if (!c) {
        kr_promise_fail(r->promise, fd < 0 ? strerror(errno) : "out of memory");
        goto done;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(r->port),
                            .sin_addr.s_addr = htonl(r->ip)};
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno != EINPROGRESS) {
        kr_promise_fail(r->promise, strerror(errno));
        goto done;
    }
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->ip = r->ip;
    c->port = r->port;
    c->promise = r->promise;
    r->promise = NULL; /* the connection owns it now */
    kr__io_add(&c->io, fd, &client_ops, rc != 0);
    kr__io_write(&c->io, r->bytes.data, r->bytes.len);
    c = NULL;
    fd = -1;
done:
    if (fd >= 0)
        close(fd);
    kr__free(c);
    if (r->promise)
        kr_promise_free(r->promise);
    kr__sb_free(&r->bytes);
    kr__free(r);
}

static kr_future *failed_future(const char *why)
{
    kr_promise *p = kr_promise_new();
    if (!p)
        return NULL;
    kr_future *f = kr_promise_future(p);
    kr_promise_fail(p, why);
    kr_promise_free(p);
    return f;
}

/* "http://a.b.c.d[:port][/path][?query]" ("localhost" allowed) into the
 * request; NULL or the reason it cannot be sent. */
static const char *build_request(request_cmd *r, const char *method, const char *url,
                                 const char *content_type, const void *body, size_t len)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (!url || http_parser_parse_url(url, strlen(url), 0, &u) != 0 ||
        !(u.field_set & (1u << UF_HOST)) || !(u.field_set & (1u << UF_SCHEMA)))
        return "malformed URL";
    if (u.field_data[UF_SCHEMA].len != 4 ||
        strncasecmp(url + u.field_data[UF_SCHEMA].off, "http", 4) != 0)
        return "only http:// URLs are supported";
    char host[64];
    size_t hl = u.field_data[UF_HOST].len;
    if (hl >= sizeof host)
        return "host name too long";
    memcpy(host, url + u.field_data[UF_HOST].off, hl);
    host[hl] = '\0';
    if (strcmp(host, "localhost") == 0)
        r->ip = 0x7f000001u;
    else if (kr__ip_parse(host, &r->ip) != 0)
        return "host must be an IPv4 address (no name resolution)";
    r->port = (u.field_set & (1u << UF_PORT)) ? u.port : 80;
    kr__sb_printf(&r->bytes, "%s ", method);
    if (u.field_set & (1u << UF_PATH))
        kr__sb_append(&r->bytes, url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    else
        kr__sb_puts(&r->bytes, "/");
    if (u.field_set & (1u << UF_QUERY)) {
        kr__sb_puts(&r->bytes, "?");
        kr__sb_append(&r->bytes, url + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
    }
    kr__sb_printf(&r->bytes, " HTTP/1.1\r\nHost: %s:%u\r\nConnection: keep-alive\r\n", host,
                  (unsigned)r->port);
    if (body) {
        kr__sb_printf(&r->bytes, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                      content_type ? content_type : "application/octet-stream", len);
    }
    kr__sb_puts(&r->bytes, "\r\n");
    if (body)
        kr__sb_append(&r->bytes, body, len);
    return r->bytes.failed ? "out of memory" : NULL;
}

static kr_future *request(const char *method, const char *url, const char *content_type,
                          const void *body, size_t len)
{
    pthread_once(&settings_once, init_settings);
    request_cmd *r = kr__calloc(1, sizeof *r);
    if (!r)
        return failed_future("out of memory");
    const char *why = build_request(r, method, url, content_type, body, len);
    r->promise = why ? NULL : kr_promise_new();
    kr_future *f = r->promise ? kr_promise_future(r->promise) : NULL;
    if (!f) {
        kr__sb_free(&r->bytes);
        if (r->promise)
            kr_promise_free(r->promise);
        kr__free(r);
        return failed_future(why ? why : "out of memory");
    }
    r->cmd.fn = request_run;
    kr__io_post(&r->cmd);
    return f;
}

kr_future *kr_http_get(const char *url) { return request("GET", url, NULL, NULL, 0); }

kr_future *kr_http_post(const char *url, const char *content_type, const void *body, size_t len)
{
    return request("POST", url, content_type, body ? body : "", body ? len : 0);
}
