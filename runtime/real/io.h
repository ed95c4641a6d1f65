/* The real backend's I/O thread: one epoll loop that owns every socket.
 *
 * Other threads never touch a socket or a connection: they post a command
 * (kr__io_post), which the loop runs in order. So the sockets, the peer
 * table and the connection lists need no locks, and commands posted by one
 * thread run in the order they were posted (per-link FIFO for messages). */
#ifndef KAIROS_REAL_IO_H
#define KAIROS_REAL_IO_H

#include "real.h"

typedef struct kr__io_conn kr__io_conn;

typedef struct kr__io_ops {
    /* Readable (or EOF/error pending): read what is there. */
    void (*on_read)(kr__io_conn *c);
    /* Connect finished (ok = false: failed). NULL for accepted sockets. */
    void (*on_connect)(kr__io_conn *c, bool ok);
    /* The output buffer drained completely. May be NULL. */
    void (*on_drained)(kr__io_conn *c);
    /* Some bytes were written and some remain. May be NULL. */
    void (*on_wrote)(kr__io_conn *c);
    /* Once a second: now is CLOCK_MONOTONIC ns. May close c. */
    void (*on_tick)(kr__io_conn *c, int64_t now);
    /* c is being closed (fd still open); the last call before free. */
    void (*on_close)(kr__io_conn *c);
    void (*free)(kr__io_conn *c);
} kr__io_ops;

struct kr__io_conn {
    const kr__io_ops *ops;
    int fd;
    bool connecting, closed, want_read, close_when_drained;
    /* Readable bytes do not wake the loop while nothing is queued to send
     * (only EOF, errors and, with bytes queued, data do): the owner drains
     * them itself (peers, whose replies nobody waits for). */
    bool lazy_read;
    uint32_t events; /* registered epoll events */
    kr__sb out;      /* bytes not yet written, from out_off */
    size_t out_off;
    int64_t last_active; /* monotonic ns of the last read or write */
    kr__io_conn *next, *prev; /* every live connection */
    kr__io_conn *next_dead;
};

/* Bytes queued on c and not yet written. */
static inline size_t kr__io_unsent(const kr__io_conn *c) { return c->out.len - c->out_off; }
/* Registers a connection on fd (non-blocking already). connecting: a
 * connect() is in progress. I/O thread only. */
void kr__io_add(kr__io_conn *c, int fd, const kr__io_ops *ops, bool connecting);
/* Queues bytes and writes what the socket takes now. I/O thread only. */
void kr__io_write(kr__io_conn *c, const void *data, size_t len);
/* Stops (or resumes) reading, for backpressure. */
void kr__io_want_read(kr__io_conn *c, bool on);
/* Sets c->lazy_read (see there). I/O thread only. */
void kr__io_lazy_read(kr__io_conn *c, bool on);
/* Closes now (on_close runs, free after the current loop turn). */
void kr__io_close(kr__io_conn *c);
/* Closes once every queued byte is written. */
void kr__io_close_when_drained(kr__io_conn *c);
int64_t kr__io_monotonic(void);
/* The shared read buffer of the I/O thread. */
extern char kr__io_rbuf[];
#define KR__IO_RBUF 65536

/* A command for the I/O thread, embedded first in the poster's struct so
 * posting allocates nothing. fn runs on the I/O thread after every command
 * posted before it; when the loop is not running (stopped) it runs at once
 * on the poster's thread with kr__io_down() true and must only release. */
typedef struct kr__io_cmd {
    struct kr__io_cmd *next;
    void (*fn)(struct kr__io_cmd *cmd);
} kr__io_cmd;
void kr__io_post(kr__io_cmd *cmd);
bool kr__io_on_thread(void);
bool kr__io_down(void);

/* Creates the loop, binds the listener (kr__local_port is the bound port
 * afterwards) and starts the thread. */
int kr__io_start(const kr__config *cfg);
/* Closes every connection and joins the thread. */
void kr__io_stop(void);
/* The listener (http_server.c); called by kr__io_start before the thread
 * runs. port -1: none. */
int kr__http_server_listen(const kr__config *cfg);

/* Testing (the HTTP fuzzer, test_real_http_adopt): serves the connected,
 * non-blocking socket fd as an inbound connection; the server owns fd from
 * then on. Not exported: both callers are built from the runtime's
 * sources or objects (tests/fuzz/CMakeLists.txt, tests/CMakeLists.txt). */
int kr__http_server_adopt(int fd);

/* Limits of the HTTP server and of outbound peers (see WIRE.md "Limits"),
 * read from the KAIROS_HTTP_* and KAIROS_PEER* environment variables by
 * kr__io_start. */
typedef struct kr__http_limit_set {
    size_t body_max;      /* KAIROS_HTTP_BODY_MAX: request bodies above get 413 */
    int64_t idle_ns;      /* KAIROS_HTTP_IDLE_MS: an idle connection closes */
    int64_t header_ns;    /* KAIROS_HTTP_HEADER_MS: a request's headers, or 408 */
    int64_t body_ns;      /* KAIROS_HTTP_BODY_MS: its body after them, or 408 */
    size_t out_max;       /* KAIROS_HTTP_OUT_MAX: unsent bytes before reading stops */
    long connections_max; /* KAIROS_HTTP_CONNECTIONS_MAX: more get 503 */
    /* Outbound peers (remote.c) */
    long peers_max;          /* KAIROS_PEERS_MAX: open peer connections */
    size_t peer_out_max;     /* KAIROS_PEER_OUT_MAX: bytes buffered for one peer */
    int64_t peer_connect_ns; /* KAIROS_PEER_CONNECT_MS: to finish connecting */
    int64_t peer_write_ns;   /* KAIROS_PEER_WRITE_MS: without write progress */
    int64_t peer_idle_ns;    /* KAIROS_PEER_IDLE_MS: idle and unlinked */
} kr__http_limit_set;
extern kr__http_limit_set kr__http_limits;
#define KR__HTTP_BODY_MAX (kr__http_limits.body_max)
#define KR__HTTP_HEADER_MAX (64u << 10)
#define kr__http_idle_ns (kr__http_limits.idle_ns) /* the name http_client.c uses */

#endif
