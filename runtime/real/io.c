/* The I/O thread: one level-triggered epoll loop, a command queue woken
 * through an eventfd, write batching, a once-a-second tick for timeouts.
 *
 * Writes are batched: kr__io_write only appends and marks the connection
 * kr__io.dirty; the loop flushes kr__io.dirty connections once per turn, so a burst of
 * messages to one peer costs one send() instead of one per message. A
 * closed connection is freed at the end of the turn, so an epoll event or a
 * kr__io.dirty-list entry already in hand never points at freed memory. */
#include "io.h"

#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS KR_SEC(1)

char kr__io_rbuf[KR__IO_RBUF];
kr__http_limit_set kr__http_limits = {
    .body_max = 8u << 20,
    .idle_ns = KR_SEC(60),
    .header_ns = KR_SEC(10),
    .body_ns = KR_SEC(60),
    .out_max = 1u << 20,
    .connections_max = 16384,
};

/* Thread-locals cannot live in a struct: whether this thread is the loop,
 * and whether it is running a command while the loop is down. */
static _Thread_local bool on_thread;
static _Thread_local bool running_down;

/* Everything else the I/O layer keeps, in one place. */
static struct {
    int epfd, evfd;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop_requested;
    pthread_mutex_t cmd_lock;
    kr__io_cmd *cmd_head, *cmd_tail; /* under cmd_lock */
    bool running; /* under cmd_lock: posts are queued (else run as down) */
    kr__io_conn *conns;  /* every open connection (I/O thread) */
    kr__io_conn *dead;   /* closed this turn, freed at its end */
    kr__io_conn **dirty; /* connections with bytes to flush */
    size_t dirty_len, dirty_cap;
} kr__io = {.epfd = -1, .evfd = -1, .cmd_lock = PTHREAD_MUTEX_INITIALIZER};

int64_t kr__io_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

bool kr__io_on_thread(void) { return on_thread; }
bool kr__io_down(void) { return running_down; }

void kr__io_post(kr__io_cmd *cmd)
{
    cmd->next = NULL;
    pthread_mutex_lock(&kr__io.cmd_lock);
    if (!kr__io.running) {
        pthread_mutex_unlock(&kr__io.cmd_lock);
        running_down = true;
        cmd->fn(cmd);
        running_down = false;
        return;
    }
    bool was_empty = kr__io.cmd_head == NULL;
    if (kr__io.cmd_tail)
        kr__io.cmd_tail->next = cmd;
    else
        kr__io.cmd_head = cmd;
    kr__io.cmd_tail = cmd;
    pthread_mutex_unlock(&kr__io.cmd_lock);
    /* The loop reads the eventfd before taking the queue, so only the
     * poster that made the queue non-empty needs to wake it. */
    if (was_empty) {
        uint64_t one = 1;
        ssize_t w = write(kr__io.evfd, &one, sizeof one);
        (void)w;
    }
}

static void run_commands(void)
{
    uint64_t n;
    ssize_t r = read(kr__io.evfd, &n, sizeof n);
    (void)r;
    pthread_mutex_lock(&kr__io.cmd_lock);
    kr__io_cmd *c = kr__io.cmd_head;
    kr__io.cmd_head = kr__io.cmd_tail = NULL;
    pthread_mutex_unlock(&kr__io.cmd_lock);
    while (c) {
        kr__io_cmd *next = c->next; /* fn may free c */
        c->fn(c);
        c = next;
    }
}

/* ---- connections ------------------------------------------------------------ */

static void update_events(kr__io_conn *c)
{
    if (c->closed)
        return;
    bool queued = c->connecting || c->out.len > c->out_off;
    uint32_t in = c->lazy_read && !queued ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
    uint32_t want = (c->want_read ? in : 0) | (queued ? EPOLLOUT : 0);
    if (want == c->events)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    if (epoll_ctl(kr__io.epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = want;
}

void kr__io_add(kr__io_conn *c, int fd, const kr__io_ops *ops, bool connecting)
{
    c->ops = ops;
    c->fd = fd;
    c->connecting = connecting;
    c->closed = false;
    c->want_read = true;
    c->close_when_drained = false;
    c->lazy_read = false;
    c->out = (kr__sb){0};
    c->out_off = 0;
    c->last_active = kr__io_monotonic();
    c->events = EPOLLIN | EPOLLRDHUP | (connecting ? EPOLLOUT : 0);
    struct epoll_event ev = {.events = c->events, .data.ptr = c};
    c->prev = NULL;
    c->next = kr__io.conns;
    if (kr__io.conns)
        kr__io.conns->prev = c;
    kr__io.conns = c;
    if (epoll_ctl(kr__io.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        kr__log("io: epoll_ctl(ADD): %s", strerror(errno));
        kr__io_close(c);
    }
}

void kr__io_close(kr__io_conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    if (c->ops->on_close)
        c->ops->on_close(c);
    epoll_ctl(kr__io.epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        kr__io.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    kr__sb_free(&c->out);
    c->next_dead = kr__io.dead;
    kr__io.dead = c;
}

void kr__io_want_read(kr__io_conn *c, bool on)
{
    c->want_read = on;
    update_events(c);
}

void kr__io_lazy_read(kr__io_conn *c, bool on)
{
    c->lazy_read = on;
    update_events(c);
}

/* Writes what the socket takes; false if the connection was closed. */
static bool flush(kr__io_conn *c)
{
    size_t before = c->out_off;
    while (!c->connecting && c->out.len > c->out_off) {
        ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            kr__io_close(c);
            return false;
        }
        c->out_off += (size_t)w;
        c->last_active = kr__io_monotonic();
    }
    if (c->out.len > c->out_off && c->out_off != before && c->ops->on_wrote)
        c->ops->on_wrote(c);
    if (c->out.len == c->out_off && c->out.len > 0) {
        c->out.len = c->out_off = 0; /* keep the allocation for the next burst */
        if (c->ops->on_drained)
            c->ops->on_drained(c);
        if (c->closed)
            return false;
    }
    if (c->out.len == c->out_off && c->close_when_drained && !c->connecting) {
        kr__io_close(c);
        return false;
    }
    update_events(c);
    return true;
}

void kr__io_write(kr__io_conn *c, const void *data, size_t len)
{
    if (c->closed)
        return;
    if (c->out_off > 0 && c->out_off * 2 > c->out.len) {
        /* Compact: most of the buffer has been written already. */
        memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
        c->out.len -= c->out_off;
        c->out_off = 0;
    }
    bool was_empty = c->out.len == c->out_off;
    kr__sb_append(&c->out, data, len);
    if (c->out.failed) {
        kr__log("io: out of memory buffering %zu bytes; closing the connection", len);
        kr__io_close(c);
        return;
    }
    if (was_empty) {
        if (kr__io.dirty_len == kr__io.dirty_cap) {
            size_t cap = kr__io.dirty_cap ? kr__io.dirty_cap * 2 : 64;
            kr__io_conn **grown = kr__realloc(kr__io.dirty, cap * sizeof *grown);
            if (!grown) {
                flush(c);
                return;
            }
            kr__io.dirty = grown;
            kr__io.dirty_cap = cap;
        }
        kr__io.dirty[kr__io.dirty_len++] = c;
    }
}

void kr__io_close_when_drained(kr__io_conn *c)
{
    c->close_when_drained = true;
    kr__io_want_read(c, false);
    if (c->out.len == c->out_off && !c->connecting)
        kr__io_close(c);
}

static void flush_dirty(void)
{
    /* flush() may make more connections kr__io.dirty (on_drained); index loop. */
    for (size_t i = 0; i < kr__io.dirty_len; i++)
        if (!kr__io.dirty[i]->closed)
            flush(kr__io.dirty[i]);
    kr__io.dirty_len = 0;
}

static void free_dead(void)
{
    while (kr__io.dead) {
        kr__io_conn *c = kr__io.dead;
        kr__io.dead = c->next_dead;
        c->ops->free(c);
    }
}

static void finish_connect(kr__io_conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    c->connecting = false;
    c->ops->on_connect(c, err == 0);
    if (c->closed)
        return;
    if (err != 0) {
        kr__io_close(c);
        return;
    }
    flush(c);
}

static void handle_event(kr__io_conn *c, uint32_t events)
{
    if (c->closed)
        return;
    c->last_active = kr__io_monotonic();
    if (c->connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            finish_connect(c);
        return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && c->want_read)
        c->ops->on_read(c);
    else if (events & (EPOLLHUP | EPOLLERR)) {
        kr__io_close(c); /* not reading and the socket failed */
        return;
    }
    if (!c->closed && (events & EPOLLOUT))
        flush(c);
}

static void tick(void)
{
    int64_t now = kr__io_monotonic();
    for (kr__io_conn *c = kr__io.conns, *next; c; c = next) {
        next = c->next; /* on_tick may close c (it stays readable until freed) */
        if (c->ops->on_tick)
            c->ops->on_tick(c, now);
    }
}

static void *loop_main(void *arg)
{
    (void)arg;
    on_thread = true;
    struct epoll_event evs[256];
    int64_t next_tick = kr__io_monotonic() + TICK_NS;
    while (!kr__io.stop_requested) {
        int64_t wait_ns = next_tick - kr__io_monotonic();
        int timeout = wait_ns <= 0 ? 0 : (int)(wait_ns / 1000000) + 1;
        int n = epoll_wait(kr__io.epfd, evs, 256, timeout);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                run_commands();
            else
                handle_event(evs[i].data.ptr, evs[i].events);
        }
        if (kr__io_monotonic() >= next_tick) {
            tick();
            next_tick = kr__io_monotonic() + TICK_NS;
        }
        flush_dirty();
        free_dead();
    }
    /* Stopping: every connection closes (clients fail, peers report). */
    while (kr__io.conns)
        kr__io_close(kr__io.conns);
    kr__io.dirty_len = 0;
    free_dead();
    return NULL;
}

static void stop_cmd(kr__io_cmd *cmd)
{
    kr__io.stop_requested = true;
    kr__free(cmd);
}

/* A positive integer from the environment, or def; false (logged) when set
 * but not a number in [1, max]: a bad setting is an error, not a default. */
static bool env_positive(const char *name, long long max, long long def, long long *out)
{
    const char *v = getenv(name);
    *out = def;
    if (!v)
        return true;
    int64_t n;
    if (kr_parse_i64(v, &n) != 0 || n < 1 || n > max) {
        kr__log("kr_init: %s=\"%s\" is not an integer in [1, %lld]", name, v, max);
        return false;
    }
    *out = n;
    return true;
}

int kr__io_start(const kr__config *cfg)
{
    /* KAIROS_HTTP_* and KAIROS_PEER* settings (WIRE.md "Limits"); a bad one
     * fails kr_init. */
    long long idle_ms, body_max, header_ms, body_ms, out_max, conns_max;
    long long peers_max, peer_out_max, peer_connect_ms, peer_write_ms, peer_idle_ms;
    if (!env_positive("KAIROS_HTTP_IDLE_MS", 86400000LL, 60000, &idle_ms) ||
        !env_positive("KAIROS_HTTP_BODY_MAX", 1LL << 32, 8LL << 20, &body_max) ||
        !env_positive("KAIROS_HTTP_HEADER_MS", 86400000LL, 10000, &header_ms) ||
        !env_positive("KAIROS_HTTP_BODY_MS", 86400000LL, 60000, &body_ms) ||
        !env_positive("KAIROS_HTTP_OUT_MAX", 1LL << 32, 1LL << 20, &out_max) ||
        !env_positive("KAIROS_HTTP_CONNECTIONS_MAX", 1000000, 16384, &conns_max) ||
        !env_positive("KAIROS_PEERS_MAX", 1000000, 1024, &peers_max) ||
        !env_positive("KAIROS_PEER_OUT_MAX", 1LL << 32, 16LL << 20, &peer_out_max) ||
        !env_positive("KAIROS_PEER_CONNECT_MS", 86400000LL, 5000, &peer_connect_ms) ||
        !env_positive("KAIROS_PEER_WRITE_MS", 86400000LL, 30000, &peer_write_ms) ||
        !env_positive("KAIROS_PEER_IDLE_MS", 86400000LL, idle_ms, &peer_idle_ms))
        return KR_EINVAL;
    kr__http_limits = (kr__http_limit_set){
        .body_max = (size_t)body_max,
        .idle_ns = KR_MSEC(idle_ms),
        .header_ns = KR_MSEC(header_ms),
        .body_ns = KR_MSEC(body_ms),
        .out_max = (size_t)out_max,
        .connections_max = (long)conns_max,
        .peers_max = (long)peers_max,
        .peer_out_max = (size_t)peer_out_max,
        .peer_connect_ns = KR_MSEC(peer_connect_ms),
        .peer_write_ns = KR_MSEC(peer_write_ms),
        .peer_idle_ns = KR_MSEC(peer_idle_ms),
    };
    kr__io.stop_requested = false;
    kr__io.conns = kr__io.dead = NULL;
    kr__io.dirty_len = 0;
    kr__io.epfd = epoll_create1(EPOLL_CLOEXEC);
    kr__io.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (kr__io.epfd < 0 || kr__io.evfd < 0) {
        kr__log("io: epoll/eventfd: %s", strerror(errno));
        goto fail;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(kr__io.epfd, EPOLL_CTL_ADD, kr__io.evfd, &ev) != 0)
        goto fail;
    int rc = kr__http_server_listen(cfg);
    if (rc != 0) {
        while (kr__io.conns)
            kr__io_close(kr__io.conns);
        free_dead();
        close(kr__io.epfd);
        close(kr__io.evfd);
        kr__io.epfd = kr__io.evfd = -1;
        return rc;
    }
    pthread_mutex_lock(&kr__io.cmd_lock);
    kr__io.running = true;
    pthread_mutex_unlock(&kr__io.cmd_lock);
    if (pthread_create(&kr__io.thread, NULL, loop_main, NULL) != 0) {
        pthread_mutex_lock(&kr__io.cmd_lock);
        kr__io.running = false;
        pthread_mutex_unlock(&kr__io.cmd_lock);
        while (kr__io.conns)
            kr__io_close(kr__io.conns);
        free_dead();
        goto fail;
    }
    kr__io.thread_started = true;
    return 0;
fail:
    if (kr__io.epfd >= 0)
        close(kr__io.epfd);
    if (kr__io.evfd >= 0)
        close(kr__io.evfd);
    kr__io.epfd = kr__io.evfd = -1;
    return KR_EIO;
}

void kr__io_stop(void)
{
    if (!kr__io.thread_started)
        return;
    kr__io_cmd *stop = kr__malloc(sizeof *stop);
    if (stop) {
        stop->fn = stop_cmd;
        kr__io_post(stop);
    } else {
        kr__io.stop_requested = true; /* seen within a tick */
    }
    pthread_join(kr__io.thread, NULL);
    kr__io.thread_started = false;
    pthread_mutex_lock(&kr__io.cmd_lock);
    kr__io.running = false;
    kr__io_cmd *c = kr__io.cmd_head;
    kr__io.cmd_head = kr__io.cmd_tail = NULL;
    pthread_mutex_unlock(&kr__io.cmd_lock);
    /* Commands posted after the loop ended: they release what they carry. */
    running_down = true;
    while (c) {
        kr__io_cmd *next = c->next;
        c->fn(c);
        c = next;
    }
    running_down = false;
    kr__free(kr__io.dirty);
    kr__io.dirty = NULL;
    kr__io.dirty_cap = 0;
    close(kr__io.epfd);
    close(kr__io.evfd);
    kr__io.epfd = kr__io.evfd = -1;
}
