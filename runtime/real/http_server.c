/* The HTTP server of the real backend: the listening socket and inbound
 * connections. Bytes are parsed with http_parser (the parser libprocess
 * uses); each complete request goes to the shared core (kr__http_handle)
 * with a response slot as its sink.
 *
 * Pipelining: every request gets a slot at the tail of its connection's
 * queue when it is complete; a handler may answer from any thread in any
 * order, and the I/O thread writes answered slots only from the head, so
 * responses leave in request order (libprocess' HttpProxy). A slot is
 * shared by the queue and the pending reply (two references), so either
 * side may go first: a reply for a closed connection is simply freed. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Stop reading a connection with this many unanswered requests; resume
 * below half. Bounds what one pipelining client can make us hold. */
#define PENDING_MAX 256

typedef struct server_conn server_conn;

typedef struct slot {
    kr__io_cmd cmd; /* "answered" notice to the I/O thread */
    struct slot *next;
    server_conn *conn; /* I/O thread only; NULL once the connection is gone */
    atomic_int refs;   /* the connection's queue, the reply */
    atomic_bool ready;
    bool close_after; /* the request asked for Connection: close (or errored) */
    bool http10_keep_alive;
    char *out;
    size_t len;
} slot;

struct server_conn {
    kr__io_conn io;
    http_parser parser;
    kr__sb url, heads, body; /* the request being parsed */
    size_t *offs;            /* name, value offsets into heads */
    size_t noffs, offs_cap;
    int header_state; /* 0 none, 1 in a name, 2 in a value */
    size_t header_bytes;
    int error_status;
    slot *head, *tail;
    size_t pending;
    bool eof, closing;
    /* Chunked bodies: bytes of the CRLF that must follow a chunk's data
     * still to be checked (http_parser, built non-strict, would take any
     * two bytes there), and the end of the bytes being parsed. */
    int crlf_left;
    const char *parse_end;
    /* Slowloris: a request must finish its headers within header_ns of its
     * first byte and its body within body_ns after them, or gets 408. */
    bool in_request, headers_done;
    int64_t phase_start; /* monotonic ns: first byte, then end of headers */
};

/* What the server keeps besides its connections, in one place (I/O thread
 * only, except settings, which are written before the thread starts). */
static struct {
    http_parser_settings settings;
    /* A descriptor held back (on /dev/null) so that when fds run out a
     * pending connection can still be accepted and closed, instead of the
     * level-triggered listener staying readable and the loop spinning. */
    int reserve_fd;
    bool listener_paused; /* no fd even for that: resumed at the next tick */
    long connections;     /* open inbound connections, for the cap */
} kr__http_server = {.reserve_fd = -1};

/* ---- slots ------------------------------------------------------------------ */

static void slot_release(slot *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        kr__free(s->out);
        kr__free(s);
    }
}

static void conn_flush(server_conn *c);

static void slot_ready_cmd(kr__io_cmd *cmd)
{
    slot *s = (slot *)(void *)cmd;
    if (!kr__io_down() && s->conn && !s->conn->io.closed)
        conn_flush(s->conn);
    slot_release(s); /* the reply's reference */
}

/* The Date header's text, formatted once a second per thread: gmtime_r +
 * strftime for every reply were ~9% of a reply's instructions
 * (bench/RESULTS.md, http profile). */
static const char *date_now(void)
{
    static _Thread_local time_t formatted_at = (time_t)-1;
    static _Thread_local char text[40];
    time_t now = time(NULL);
    if (now != formatted_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        formatted_at = now;
    }
    return text;
}


static const char *reason(int status)
{
    const char *r = http_status_str((enum http_status)status);
    return r && strcmp(r, "<unknown>") != 0 ? r : "Unknown";
}

/* The sink: any thread, exactly once per slot. */
static void slot_respond(void *ctx, int status, const char *content_type, const char *headers,
                         const void *body, size_t len)
{
    slot *s = ctx;
    /* Appended piece by piece, no printf: formatting was half of a
     * reply's instructions. status is 100..999 (kr_http_respond checks). */
    char num[24];
    kr__sb b = {0};
    kr__sb_puts(&b, "HTTP/1.1 ");
    uint64_t code = status > 0 ? (uint64_t)status : 0;
    kr__sb_append(&b, num, (size_t)(kr__put_decimal(num, code) - num));
    kr__sb_puts(&b, " ");
    kr__sb_puts(&b, reason(status));
    kr__sb_puts(&b, "\r\nDate: ");
    kr__sb_puts(&b, date_now());
    if (content_type) {
        kr__sb_puts(&b, "\r\nContent-Type: ");
        kr__sb_puts(&b, content_type);
    }
    kr__sb_puts(&b, "\r\nContent-Length: ");
    kr__sb_append(&b, num, (size_t)(kr__put_decimal(num, len) - num));
    kr__sb_puts(&b, "\r\n");
    if (s->close_after)
        kr__sb_puts(&b, "Connection: close\r\n");
    else if (s->http10_keep_alive)
        kr__sb_puts(&b, "Connection: keep-alive\r\n");
    if (headers)
        kr__sb_puts(&b, headers);
    kr__sb_puts(&b, "\r\n");
    kr__sb_append(&b, body, len);
    if (b.failed) {
        /* Out of memory: a bodiless 500 is better than a hung client. */
        kr__sb_free(&b);
        static const char oom[] = "HTTP/1.1 500 Internal Server Error\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n";
        b.data = kr__strdup(oom);
        b.len = b.data ? sizeof oom - 1 : 0;
        s->close_after = true;
    }
    s->out = b.data;
    s->len = b.len;
    atomic_store_explicit(&s->ready, true, memory_order_release);
    s->cmd.fn = slot_ready_cmd;
    if (kr__io_on_thread())
        slot_ready_cmd(&s->cmd);
    else
        kr__io_post(&s->cmd);
}

static slot *slot_push(server_conn *c, bool close_after)
{
    slot *s = kr__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 2);
    s->conn = c;
    s->close_after = close_after;
    if (c->tail)
        c->tail->next = s;
    else
        c->head = s;
    c->tail = s;
    c->pending++;
    if (c->pending >= PENDING_MAX)
        kr__io_want_read(&c->io, false); /* backpressure */
    return s;
}

/* Unhooks every queued slot; their replies still complete, into nothing. */
static void orphan_slots(server_conn *c)
{
    slot *s = c->head;
    c->head = c->tail = NULL;
    c->pending = 0;
    while (s) {
        slot *next = s->next;
        s->conn = NULL;
        slot_release(s);
        s = next;
    }
}

/* Writes answered slots from the head, in request order. */
static void conn_flush(server_conn *c)
{
    slot *s;
    while ((s = c->head) && atomic_load_explicit(&s->ready, memory_order_acquire)) {
        kr__io_write(&c->io, s->out, s->len);
        c->head = s->next;
        if (!c->head)
            c->tail = NULL;
        c->pending--;
        bool close_after = s->close_after;
        s->conn = NULL;
        slot_release(s);
        if (close_after) {
            c->closing = true;
            orphan_slots(c); /* nothing after a closing response is sent */
            kr__io_close_when_drained(&c->io);
            return;
        }
    }
    if (c->io.closed)
        return;
    /* A client that sends requests but does not read the answers: stop
     * reading while more than out_max bytes wait to be sent (on_drained
     * resumes); if it never reads again, the idle timeout closes it. */
    bool backlog = kr__io_unsent(&c->io) > kr__http_limits.out_max;
    if (c->eof && c->pending == 0)
        kr__io_close_when_drained(&c->io);
    else if (backlog && c->io.want_read)
        kr__io_want_read(&c->io, false);
    else if (!backlog && !c->closing && !c->eof && c->pending < PENDING_MAX / 2 &&
             !c->io.want_read)
        kr__io_want_read(&c->io, true);
}

static void conn_drained(kr__io_conn *io) { conn_flush((server_conn *)(void *)io); }

/* An error answer queued behind what is pending; then the connection
 * closes (the stream can no longer be trusted). */
static void conn_fail(server_conn *c, int status, const char *text)
{
    c->closing = true;
    kr__io_want_read(&c->io, false);
    slot *s = slot_push(c, true);
    if (!s) {
        kr__io_close(&c->io);
        return;
    }
    slot_respond(s, status, "text/plain", NULL, text, strlen(text));
}

/* ---- parser callbacks --------------------------------------------------------- */

static server_conn *conn_of(http_parser *p) { return p->data; }

static int too_big_headers(server_conn *c, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes >= KR__HTTP_HEADER_MAX) {
        c->error_status = 431;
        return 1;
    }
    return 0;
}

static int on_message_begin(http_parser *p)
{
    server_conn *c = conn_of(p);
    if (c->body.cap > (1u << 20))
        kr__sb_free(&c->body); /* do not keep a big body's buffer around */
    c->url.len = c->heads.len = c->body.len = 0;
    c->url.failed = c->heads.failed = c->body.failed = false;
    c->noffs = 0;
    c->header_state = 0;
    c->header_bytes = 0;
    c->crlf_left = 0;
    c->in_request = true;
    c->headers_done = false;
    c->phase_start = kr__io_monotonic();
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    server_conn *c = conn_of(p);
    if (too_big_headers(c, len))
        return 1;
    kr__sb_append(&c->url, at, len);
    return 0;
}

static bool push_offset(server_conn *c)
{
    if (c->noffs == c->offs_cap) {
        size_t cap = c->offs_cap ? c->offs_cap * 2 : 32;
        size_t *grown = kr__realloc(c->offs, cap * sizeof *grown);
        if (!grown)
            return false;
        c->offs = grown;
        c->offs_cap = cap;
    }
    c->offs[c->noffs++] = c->heads.len;
    return true;
}

/* A name or value may arrive in pieces (split across reads): a new one
 * starts when the callback kind changes. */
static int on_header_part(http_parser *p, const char *at, size_t len, int state)
{
    server_conn *c = conn_of(p);
    if (too_big_headers(c, len + 4))
        return 1;
    if (c->header_state != state) {
        if (c->header_state != 0)
            kr__sb_append(&c->heads, "", 1); /* NUL ends the previous part */
        if (!push_offset(c))
            return 1;
        c->header_state = state;
    }
    kr__sb_append(&c->heads, at, len);
    return c->heads.failed ? 1 : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    return on_header_part(p, at, len, 1);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    return on_header_part(p, at, len, 2);
}

static int on_headers_complete(http_parser *p)
{
    server_conn *c = conn_of(p);
    if (c->header_state != 0)
        kr__sb_append(&c->heads, "", 1);
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > KR__HTTP_BODY_MAX) {
        c->error_status = 413;
        return -1;
    }
    c->headers_done = true;
    c->phase_start = kr__io_monotonic();
    if (p->upgrade) {
        /* CONNECT or Connection: Upgrade: we speak neither tunnels nor
         * other protocols. Refused here, so the request gets exactly one
         * answer and nothing after it is read. */
        c->error_status = 501;
        return -1;
    }
    return 0;
}

/* Checks the CRLF after a chunk's data from at (up to the end of the bytes
 * being parsed; the rest is checked at the next read). */
static bool chunk_crlf_ok(server_conn *c, const char *at)
{
    for (; c->crlf_left > 0 && at < c->parse_end; at++, c->crlf_left--)
        if (*at != (c->crlf_left == 2 ? '\r' : '\n'))
            return false;
    return true;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    server_conn *c = conn_of(p);
    if (c->body.len + len > KR__HTTP_BODY_MAX) {
        c->error_status = 413; /* chunked: counted as it arrives */
        return 1;
    }
    kr__sb_append(&c->body, at, len);
    if ((p->flags & F_CHUNKED) && p->content_length == 0) {
        c->crlf_left = 2; /* this chunk's data ends here */
        if (!chunk_crlf_ok(c, at + len)) {
            c->error_status = 400;
            return 1;
        }
    }
    return c->body.failed ? 1 : 0;
}

static char *url_part(const server_conn *c, const struct http_parser_url *u, int field)
{
    if (!(u->field_set & (1u << field)))
        return kr__strdup("");
    size_t len = u->field_data[field].len;
    char *s = kr__malloc(len + 1);
    if (s) {
        memcpy(s, c->url.data + u->field_data[field].off, len);
        s[len] = '\0';
    }
    return s;
}

/* Hands the complete request to the core with a fresh slot as its sink. */
static void dispatch_request(server_conn *c, http_parser *p)
{
    bool keep_alive = http_should_keep_alive(p) != 0;
    slot *s = slot_push(c, !keep_alive);
    if (!s) {
        c->error_status = 500;
        return;
    }
    s->http10_keep_alive = keep_alive && p->http_major == 1 && p->http_minor == 0;
    kr__http_sink sink = {slot_respond, s};
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (c->url.failed || c->heads.failed || c->body.failed) {
        slot_respond(s, 500, "text/plain", NULL, "out of memory", 13);
        return;
    }
    if (c->url.len == 0 || http_parser_parse_url(c->url.data, c->url.len, 0, &u) != 0 ||
        !(u.field_set & (1u << UF_PATH))) {
        static const char msg[] = "Bad Request: malformed URL";
        slot_respond(s, 400, "text/plain", NULL, msg, sizeof msg - 1);
        return;
    }
    char *path = url_part(c, &u, UF_PATH), *query = url_part(c, &u, UF_QUERY);
    size_t nheaders = c->noffs / 2;
    kr__http_header *headers = kr__malloc((nheaders + 1) * sizeof *headers);
    if (!path || !query || !headers) {
        slot_respond(s, 500, "text/plain", NULL, "out of memory", 13);
    } else {
        for (size_t i = 0; i < nheaders; i++)
            headers[i] = (kr__http_header){c->heads.data + c->offs[2 * i],
                                           c->heads.data + c->offs[2 * i + 1]};
        kr__http_in in = {.method = http_method_str((enum http_method)p->method),
                          .path = path,
                          .query = query,
                          .headers = headers,
                          .nheaders = nheaders,
                          .body = c->body.data ? c->body.data : "",
                          .body_len = c->body.len};
        kr__http_handle(&in, &sink);
    }
    kr__free(path);
    kr__free(query);
    kr__free(headers);
}

static int on_message_complete(http_parser *p)
{
    server_conn *c = conn_of(p);
    c->in_request = false;
    dispatch_request(c, p);
    if (c->error_status)
        return 1;
    if (!http_should_keep_alive(p))
        c->closing = true; /* ignore whatever follows a closing request */
    if (c->closing || c->io.closed)
        http_parser_pause(p, 1);
    return 0;
}

/* ---- connections ---------------------------------------------------------------- */

static void conn_read(kr__io_conn *io)
{
    server_conn *c = (server_conn *)(void *)io;
    ssize_t n = recv(io->fd, kr__io_rbuf, KR__IO_RBUF, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        /* EOF or reset: a half-sent request costs nothing; answers to the
         * complete ones still go out if the client only half-closed. */
        c->eof = true;
        if (n < 0 || c->pending == 0)
            kr__io_close(io);
        else
            kr__io_want_read(io, false);
        return;
    }
    if (c->closing)
        return;
    c->parse_end = kr__io_rbuf + n;
    if (!chunk_crlf_ok(c, kr__io_rbuf)) {
        conn_fail(c, 400, "Bad Request");
        goto flush;
    }
    http_parser_execute(&c->parser, &kr__http_server.settings, kr__io_rbuf, (size_t)n);
    if (io->closed || c->closing)
        goto flush;
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (err != HPE_OK || c->parser.upgrade) {
        int status = c->error_status ? c->error_status
                     : err == HPE_HEADER_OVERFLOW ? 431
                                                  : 400;
        const char *text = status == 413   ? "Payload Too Large"
                           : status == 431 ? "Request Header Fields Too Large"
                           : status == 501 ? "Not Implemented"
                           : status == 500 ? "Internal Server Error"
                                           : "Bad Request";
        conn_fail(c, status, text);
    }
flush:
    if (!io->closed)
        conn_flush(c);
}

static void conn_tick(kr__io_conn *io, int64_t now)
{
    server_conn *c = (server_conn *)(void *)io;
    /* Idle (or not reading our answers): closed. Waiting on our own
     * handler is not idleness. */
    if (c->pending == 0 && now - io->last_active > kr__http_idle_ns) {
        kr__io_close(io);
        return;
    }
    if (!c->in_request || c->closing)
        return;
    int64_t limit = c->headers_done ? kr__http_limits.body_ns : kr__http_limits.header_ns;
    if (now - c->phase_start > limit)
        conn_fail(c, 408, "Request Timeout"); /* a slow client holds no slot for long */
}

static void conn_close(kr__io_conn *io)
{
    server_conn *c = (server_conn *)(void *)io;
    orphan_slots(c);
    kr__http_server.connections--;
    atomic_fetch_sub(&kr__http_stat_connections, 1);
}

static void conn_free(kr__io_conn *io)
{
    server_conn *c = (server_conn *)(void *)io;
    kr__sb_free(&c->url);
    kr__sb_free(&c->heads);
    kr__sb_free(&c->body);
    kr__free(c->offs);
    kr__free(c);
}

static const kr__io_ops conn_ops = {
    .on_read = conn_read,
    .on_drained = conn_drained,
    .on_tick = conn_tick,
    .on_close = conn_close,
    .free = conn_free,
};

/* ---- a testing hook ------------------------------------------------------------ */

/* Serves an already connected socket as an inbound connection (the HTTP
 * fuzzer hands over one end of a socketpair, so every input runs through
 * the real parser, routing and writes without a listener or TCP). The
 * connection is added on the I/O thread, where connections live. */
typedef struct {
    kr__io_cmd cmd;
    int fd;
} adopt_cmd;

static void adopt_run(kr__io_cmd *cmd)
{
    adopt_cmd *a = (adopt_cmd *)(void *)cmd;
    server_conn *c = kr__io_down() ? NULL : kr__calloc(1, sizeof *c);
    if (!c) {
        close(a->fd);
    } else {
        http_parser_init(&c->parser, HTTP_REQUEST);
        c->parser.data = c;
        kr__http_server.connections++;
        atomic_fetch_add(&kr__http_stat_connections, 1);
        kr__io_add(&c->io, a->fd, &conn_ops, false);
    }
    kr__free(a);
}

int kr__http_server_adopt(int fd)
{
    adopt_cmd *a = kr__calloc(1, sizeof *a);
    if (!a)
        return KR_ENOMEM;
    a->fd = fd;
    a->cmd.fn = adopt_run;
    kr__io_post(&a->cmd);
    return 0;
}

/* ---- the listener ------------------------------------------------------------------- */

static void log_once(atomic_bool *flag, const char *what, int err)
{
    if (!atomic_exchange(flag, true))
        kr__log("http: accept: %s: %s (logged once)", what, strerror(err));
}

/* Out of descriptors: accept one pending connection on the reserve and
 * close it (the client sees a close, not a hang), or pause the listener
 * until the next tick. Either way the loop does not spin. */
static void out_of_fds(kr__io_conn *io, int err)
{
    static atomic_bool logged;
    log_once(&logged, "out of file descriptors; refusing connections", err);
    if (kr__http_server.reserve_fd >= 0) {
        close(kr__http_server.reserve_fd);
        int fd = accept4(io->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        kr__http_server.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (kr__http_server.reserve_fd < 0) {
        kr__http_server.listener_paused = true;
        kr__io_want_read(io, false);
    }
}

/* Over KAIROS_HTTP_CONNECTIONS_MAX: one 503, best effort, and close. */
static void refuse(int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 32\r\nConnection: close\r\n\r\n"
                               "Service Unavailable: connections";
    ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    close(fd);
}

static void listener_read(kr__io_conn *io)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
                out_of_fds(io, err);
            else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR &&
                     err != ECONNABORTED) {
                static atomic_bool logged;
                log_once(&logged, "failed", err);
            }
            return;
        }
        if (kr__http_server.connections >= kr__http_limits.connections_max) {
            refuse(fd);
            continue;
        }
        server_conn *c = kr__calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        http_parser_init(&c->parser, HTTP_REQUEST);
        c->parser.data = c;
        kr__http_server.connections++;
        atomic_fetch_add(&kr__http_stat_connections, 1);
        kr__io_add(&c->io, fd, &conn_ops, false);
    }
}

static void listener_tick(kr__io_conn *io, int64_t now)
{
    (void)now;
    if (!kr__http_server.listener_paused)
        return;
    if (kr__http_server.reserve_fd < 0)
        kr__http_server.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    kr__http_server.listener_paused = false;
    kr__io_want_read(io, true);
}

static void listener_close(kr__io_conn *io)
{
    (void)io;
    if (kr__http_server.reserve_fd >= 0)
        close(kr__http_server.reserve_fd);
    kr__http_server.reserve_fd = -1;
}

static void listener_free(kr__io_conn *io) { kr__free(io); }

static const kr__io_ops listener_ops = {
    .on_read = listener_read,
    .on_tick = listener_tick,
    .on_close = listener_close,
    .free = listener_free,
};

int kr__http_server_listen(const kr__config *cfg)
{
    http_parser_settings_init(&kr__http_server.settings);
    kr__http_server.settings.on_message_begin = on_message_begin;
    kr__http_server.settings.on_url = on_url;
    kr__http_server.settings.on_header_field = on_header_field;
    kr__http_server.settings.on_header_value = on_header_value;
    kr__http_server.settings.on_headers_complete = on_headers_complete;
    kr__http_server.settings.on_body = on_body;
    kr__http_server.settings.on_message_complete = on_message_complete;
    if (cfg->port < 0)
        return 0; /* no listener at all */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return KR_EIO;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)cfg->port),
                            .sin_addr.s_addr = htonl(cfg->ip)};
    socklen_t alen = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        char ip[16];
        kr__ip_format(cfg->ip, ip, sizeof ip);
        kr__log("http: cannot listen on %s:%d: %s", ip, cfg->port, strerror(errno));
        close(fd);
        return KR_EIO;
    }
    kr__local_port = ntohs(a.sin_port); /* port 0: the one the kernel chose */
    kr__io_conn *l = kr__calloc(1, sizeof *l);
    if (!l) {
        close(fd);
        return KR_ENOMEM;
    }
    kr__http_server.connections = 0;
    kr__http_server.listener_paused = false;
    kr__http_server.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    kr__io_add(l, fd, &listener_ops, false);
    return 0;
}
