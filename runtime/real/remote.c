/* The real backend's addresses and its remote transport: libprocess' wire
 * protocol over one persistent TCP connection per peer address.
 *
 * A message to a pid at another address is encoded on the sender's thread
 * (kr__wire_encode_message). When the peer's connection is open and has
 * nothing queued anywhere, the sender writes it straight to the socket
 * (non-blocking, under the peer's lock): no hand-off to the I/O thread, no
 * wake-up. Otherwise the bytes are queued, and the I/O thread writes them:
 * a peer not known yet gets a send command (the I/O thread connects), a
 * known one gets the bytes appended to its locked `pending` buffer plus at
 * most one "kick" command in flight. A direct write only happens when
 * nothing is queued for the peer (pending empty, the I/O thread's buffer
 * drained), and while any send command is in flight every send is one
 * (the commands run in posting order), so bytes leave in append order and
 * messages from one sender to one peer arrive in order. The peer's 202
 * replies are read and discarded, as libprocess' ignore_recv_data does;
 * they do not wake the I/O thread (kr__io_conn.lazy_read): writers drain
 * them.
 *
 * Unlike libprocess, the connection stays open whether or not anything is
 * linked: libprocess sends unlinked messages on temporary sockets closed as
 * soon as their queue drains, which loses pipelined messages to a reset.
 * When the connection breaks or cannot be made, every process linked to a
 * pid at that address gets exited, and the next send reconnects. */
#include "io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct remote_link {
    kr_pid linker, to;
} remote_link;

typedef struct peer {
    kr__io_conn io;
    uint32_t ip;
    uint16_t port;
    remote_link *links;
    size_t nlinks, cap;
    size_t unsent_msgs; /* messages appended since the buffer last drained */
    int64_t since;      /* connect start, then the last time unsent was 0 */
    struct peer *next;  /* kr__remote.peers (I/O thread) */
    uint64_t seen_direct; /* direct_writes at the last tick (I/O thread) */
    atomic_int refs;      /* the connection, plus a kick command in flight */
    /* Shared with sending threads, under lock: */
    pthread_mutex_t lock;
    int fd;             /* the socket once connected, -1 before and once closed */
    bool backlog;       /* bytes queued: pending, or the I/O thread's buffer */
    bool kick_posted;   /* a kick command is in flight */
    kr__sb pending;     /* appended by senders, moved to io.out by a kick */
    size_t pending_msgs;
    size_t io_unsent; /* kr__io_unsent(&io), as of the I/O thread's last write */
    uint64_t direct_writes;
    struct peer *shared_next; /* kr__remote.shared (under shared_lock) */
} peer;

/* Bounds on outbound peers (WIRE.md "Limits"): a forged Libprocess-From
 * makes us open a connection to wherever it names, so none of this may
 * grow without limit. The KAIROS_PEER* settings, read by kr__io_start. */
#define PEERS_MAX (kr__http_limits.peers_max)
#define PEER_OUT_MAX (kr__http_limits.peer_out_max)
#define PEER_CONNECT_NS (kr__http_limits.peer_connect_ns)
#define PEER_WRITE_NS (kr__http_limits.peer_write_ns)
#define PEER_IDLE_NS (kr__http_limits.peer_idle_ns)
/* A direct writer reads the peer's replies every this many writes: often
 * enough that they never fill the socket's receive buffer (which would
 * stall the peer's answers, then its reading), rarely enough to cost
 * little. */
#define DRAIN_EVERY 16

/* The transport's state, in one place. peers and count: I/O thread only.
 * shared: the open peers, for senders on any thread (under shared_lock;
 * a sender takes a peer's lock before releasing shared_lock, and a
 * closing peer leaves the list under both, so a sender holding a peer's
 * lock never writes to a closed fd). unresolved: send commands in flight
 * for an address that had no open peer yet; while any is, every send is
 * a send command too (FIFO with them), since a direct write or a kick
 * could overtake them. */
static struct {
    peer *peers;
    size_t count;
    pthread_mutex_t shared_lock;
    peer *shared;
    atomic_long unresolved;
} kr__remote = {.shared_lock = PTHREAD_MUTEX_INITIALIZER};

void kr__backend_here(uint32_t *ip, uint16_t *port)
{
    *ip = kr__local_ip;
    *port = kr__local_port;
}

bool kr__backend_hosts(uint32_t ip, uint16_t port)
{
    return ip == kr__local_ip && port == kr__local_port;
}

bool kr__backend_remote(const kr_pid *from, const kr_pid *to)
{
    (void)from;
    return !kr__backend_hosts(to->ip, to->port);
}

void kr__backend_on_serve(kr__proc *p, const kr__event *e)
{
    (void)p;
    (void)e;
}

/* ---- peer connections (I/O thread) ------------------------------------------- */

static void peer_unref(peer *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        pthread_mutex_destroy(&p->lock);
        kr__sb_free(&p->pending);
        kr__free(p->links);
        kr__free(p);
    }
}

static void peer_read(kr__io_conn *io)
{
    /* Replies (202 Accepted, or 404 for a missing process) carry nothing a
     * sender acts on; only EOF or an error matters. */
    ssize_t n = recv(io->fd, kr__io_rbuf, KR__IO_RBUF, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        kr__io_close(io);
}

static void peer_drained(kr__io_conn *io)
{
    peer *p = (peer *)(void *)io;
    p->unsent_msgs = 0;
    p->since = kr__io_monotonic();
    pthread_mutex_lock(&p->lock);
    p->io_unsent = 0;
    p->backlog = p->pending.len > 0; /* then a kick is on its way with it */
    pthread_mutex_unlock(&p->lock);
}

/* The I/O thread's buffer changed: senders see its size for the limit. */
static void peer_wrote(kr__io_conn *io)
{
    peer *p = (peer *)(void *)io;
    pthread_mutex_lock(&p->lock);
    p->io_unsent = kr__io_unsent(io);
    pthread_mutex_unlock(&p->lock);
}

/* Whether p holds bytes anywhere (the I/O thread's buffer, pending). */
static bool peer_backlog(peer *p)
{
    pthread_mutex_lock(&p->lock);
    bool b = p->backlog;
    pthread_mutex_unlock(&p->lock);
    return b;
}

/* Deadlines: connecting, draining; an idle peer nobody is linked to
 * closes (the next send reconnects). Direct writes count as activity. */
static void peer_tick(kr__io_conn *io, int64_t now)
{
    peer *p = (peer *)(void *)io;
    pthread_mutex_lock(&p->lock);
    uint64_t direct = p->direct_writes;
    pthread_mutex_unlock(&p->lock);
    if (direct != p->seen_direct) {
        p->seen_direct = direct;
        io->last_active = now;
    }
    if (!io->connecting)
        peer_read(io); /* replies that no writer drained */
    if (io->closed)
        return;
    bool unsent = kr__io_unsent(io) > 0;
    if ((io->connecting && now - p->since > PEER_CONNECT_NS) ||
        (unsent && now - io->last_active > PEER_WRITE_NS) ||
        (!io->connecting && !unsent && p->nlinks == 0 && !peer_backlog(p) &&
         now - io->last_active > PEER_IDLE_NS))
        kr__io_close(io);
}

static void peer_connect(kr__io_conn *io, bool ok)
{
    peer *p = (peer *)(void *)io;
    p->since = kr__io_monotonic();
    if (!ok) {
        char ip[16];
        kr__ip_format(p->ip, ip, sizeof ip);
        kr__log("network: cannot connect to %s:%u", ip, (unsigned)p->port);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fd = io->fd; /* senders may write directly once nothing is queued */
    pthread_mutex_unlock(&p->lock);
}

static void peer_close(kr__io_conn *io)
{
    peer *p = (peer *)(void *)io;
    for (peer **at = &kr__remote.peers; *at; at = &(*at)->next)
        if (*at == p) {
            *at = p->next;
            break;
        }
    kr__remote.count--;
    atomic_fetch_sub(&kr__http_stat_peers, 1);
    /* No sender may find p or write to its fd from now on (io.c closes the
     * fd after this returns). */
    pthread_mutex_lock(&kr__remote.shared_lock);
    for (peer **at = &kr__remote.shared; *at; at = &(*at)->shared_next)
        if (*at == p) {
            *at = p->shared_next;
            break;
        }
    pthread_mutex_lock(&p->lock);
    p->fd = -1;
    size_t lost = p->pending_msgs;
    p->pending_msgs = 0;
    p->pending.len = 0;
    p->backlog = false;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&kr__remote.shared_lock);
    /* What never left (a refused connect, a reset, a deadline) is lost. */
    if (kr__io_unsent(io) > 0)
        lost += p->unsent_msgs;
    for (size_t i = 0; i < lost; i++)
        KR__COUNT(messages_dropped);
    if (kr__io_down())
        return;
    for (size_t i = 0; i < p->nlinks; i++)
        kr__send_exited(p->links[i].linker, p->links[i].to);
}

static void peer_free(kr__io_conn *io) { peer_unref((peer *)(void *)io); }

static const kr__io_ops peer_ops = {
    .on_read = peer_read,
    .on_connect = peer_connect,
    .on_drained = peer_drained,
    .on_wrote = peer_wrote,
    .on_tick = peer_tick,
    .on_close = peer_close,
    .free = peer_free,
};

/* At PEERS_MAX: closes the least recently active peer that has nothing
 * buffered and nobody linked; false if there is none. */
static bool evict_idle_peer(void)
{
    peer *oldest = NULL;
    for (peer *p = kr__remote.peers; p; p = p->next)
        if (!p->io.closed && !p->io.connecting && p->nlinks == 0 && kr__io_unsent(&p->io) == 0 &&
            !peer_backlog(p) && (!oldest || p->io.last_active < oldest->io.last_active))
            oldest = p;
    if (oldest)
        kr__io_close(&oldest->io);
    return oldest != NULL;
}

/* The open connection to ip:port, or a new one; NULL if no socket could
 * even be started (the peer is unreachable). */
static peer *peer_get(uint32_t ip, uint16_t port)
{
    for (peer *p = kr__remote.peers; p; p = p->next)
        if (p->ip == ip && p->port == port && !p->io.closed)
            return p;
    if (kr__remote.count >= (size_t)PEERS_MAX && !evict_idle_peer())
        return NULL; /* every peer busy or linked: the message is dropped */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(ip)};
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        return NULL;
    }
    peer *p = kr__calloc(1, sizeof *p);
    if (!p) {
        close(fd);
        return NULL;
    }
    p->ip = ip;
    p->port = port;
    p->since = kr__io_monotonic();
    p->fd = -1;
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->lock, NULL);
    p->next = kr__remote.peers;
    kr__remote.peers = p;
    kr__remote.count++;
    atomic_fetch_add(&kr__http_stat_peers, 1);
    kr__io_add(&p->io, fd, &peer_ops, rc != 0);
    if (p->io.closed)
        return NULL;
    /* The peer's replies do not wake the loop: writers drain them. */
    kr__io_lazy_read(&p->io, true);
    if (rc == 0)
        peer_connect(&p->io, true); /* connected at once (io.c only reports async ones) */
    pthread_mutex_lock(&kr__remote.shared_lock);
    p->shared_next = kr__remote.shared;
    kr__remote.shared = p;
    pthread_mutex_unlock(&kr__remote.shared_lock);
    return p;
}

/* Appends bytes to the I/O thread's buffer of p, counted as one message. */
static void peer_queue(peer *p, const char *bytes, size_t len)
{
    /* Marked first: kr__io_write may flush at once, and peer_drained
     * clears the mark. */
    pthread_mutex_lock(&p->lock);
    p->backlog = true;
    pthread_mutex_unlock(&p->lock);
    if (kr__io_unsent(&p->io) == 0)
        p->since = kr__io_monotonic();
    p->unsent_msgs++;
    kr__io_write(&p->io, bytes, len);
    peer_wrote(&p->io);
}

/* ---- sends and links, posted from any thread ------------------------------------ */

/* A send to an address with no open peer: the I/O thread finds or opens
 * the connection. */
typedef struct send_cmd {
    kr__io_cmd cmd;
    uint32_t ip;
    uint16_t port;
    size_t len;
    char *bytes;
} send_cmd;

static void send_run(kr__io_cmd *cmd)
{
    send_cmd *s = (send_cmd *)(void *)cmd;
    peer *p = kr__io_down() ? NULL : peer_get(s->ip, s->port);
    if (p && kr__io_unsent(&p->io) + s->len <= PEER_OUT_MAX) {
        peer_queue(p, s->bytes, s->len);
        if (!p->io.connecting && !p->io.closed)
            peer_read(&p->io); /* replies to what went before */
    } else
        KR__COUNT(messages_dropped); /* unreachable, or its buffer is full */
    /* After the backlog is marked: a sender that sees no unresolved
     * command sees the backlog. */
    atomic_fetch_sub(&kr__remote.unresolved, 1);
    kr__free(s->bytes);
    kr__free(s);
}

/* Moves what senders appended to p->pending into the I/O thread's buffer
 * (written at the end of this loop turn). */
typedef struct kick_cmd {
    kr__io_cmd cmd;
    peer *p;
} kick_cmd;

static void kick_run(kr__io_cmd *cmd)
{
    kick_cmd *k = (kick_cmd *)(void *)cmd;
    peer *p = k->p;
    pthread_mutex_lock(&p->lock);
    p->kick_posted = false;
    kr__sb bytes = p->pending;
    size_t msgs = p->pending_msgs;
    p->pending = (kr__sb){0};
    p->pending_msgs = 0;
    pthread_mutex_unlock(&p->lock);
    if (bytes.len > 0 && !kr__io_down() && !p->io.closed) {
        /* Outside the lock: kr__io_write may flush, and on_drained locks. */
        if (kr__io_unsent(&p->io) == 0)
            p->since = kr__io_monotonic();
        p->unsent_msgs += msgs;
        kr__io_write(&p->io, bytes.data, bytes.len);
        peer_wrote(&p->io);
        if (!p->io.connecting && !p->io.closed)
            peer_read(&p->io); /* replies to what went before */
    } else {
        for (size_t i = 0; i < msgs; i++)
            KR__COUNT(messages_dropped); /* the connection closed meanwhile */
    }
    kr__sb_free(&bytes);
    kr__free(k);
    peer_unref(p);
}

/* Under p->lock: appends a message (or the unwritten tail of one, which
 * must follow its head whatever the limit says), msgs messages, for the
 * I/O thread to write. Returns false if it had to be dropped; *kick is a command the
 * caller posts once it released the lock (NULL: one is in flight). */
static bool pending_append(peer *p, const char *bytes, size_t len, size_t msgs, bool tail,
                           kick_cmd **kick)
{
    *kick = NULL;
    if (!tail && p->pending.len + p->io_unsent + len > PEER_OUT_MAX)
        return false;
    kick_cmd *k = p->kick_posted ? NULL : kr__malloc(sizeof *k);
    if (!p->kick_posted && !k)
        return false;
    kr__sb_append(&p->pending, bytes, len);
    if (p->pending.failed) {
        kr__free(k);
        return false;
    }
    p->pending_msgs += msgs;
    p->backlog = true;
    if (k) {
        p->kick_posted = true;
        atomic_fetch_add(&p->refs, 1);
        k->p = p;
        k->cmd.fn = kick_run;
        *kick = k;
    }
    return true;
}

/* Writes what the socket takes now; the bytes written (0 on EAGAIN). An
 * error leaves everything to the I/O thread, which sees it too. */
static size_t write_direct(int fd, const char *bytes, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = send(fd, bytes + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    return done;
}

/* Discards the peer's replies waiting on fd (they do not wake the I/O
 * thread, see kr__io_conn.lazy_read). EOF and errors are left to the I/O
 * thread, which is woken by them. */
static void drain_replies(int fd)
{
    char buf[4096];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) == (ssize_t)sizeof buf) {
    }
}

/* Under p->lock, p open: writes what the socket takes now (nothing if
 * bytes are queued for p) and queues the rest; msgs messages. */
static void write_or_queue(peer *p, const char *bytes, size_t len, size_t msgs,
                           kick_cmd **kick)
{
    size_t done = 0;
    if (!p->backlog) {
        done = write_direct(p->fd, bytes, len);
        uint64_t before = p->direct_writes;
        p->direct_writes += msgs;
        if (before / DRAIN_EVERY != p->direct_writes / DRAIN_EVERY)
            drain_replies(p->fd);
    }
    if (done < len && !pending_append(p, bytes + done, len - done, msgs, done > 0, kick)) {
        for (size_t i = 0; i < msgs; i++)
            KR__COUNT(messages_dropped); /* the buffer is full (or no memory) */
        if (done > 0) {
            /* Half a message went out and its tail cannot follow: the
             * stream is broken, so the connection must go. */
            kr__log("network: out of memory queueing a message; closing the connection");
            shutdown(p->fd, SHUT_RDWR);
        }
    }
}

/* A worker's cork: during a turn, messages to an idle peer collect here
 * and leave in one write at the end of the turn (kr__remote_end_turn), so
 * a process answering a batch of messages makes one system call, not one
 * per message. One peer at a time, holding a reference to it; flushed
 * before any send of this thread that does not join it, so one sender's
 * messages to one peer keep their order. */
#define CORK_MAX (64u << 10)
static _Thread_local struct {
    bool on;  /* a worker thread */
    peer *p;  /* corked for; NULL: empty */
    kr__sb buf;
    size_t msgs;
} cork;

static void cork_flush(void)
{
    peer *p = cork.p;
    if (!p)
        return;
    cork.p = NULL;
    kick_cmd *kick = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->fd < 0) { /* closed since */
        for (size_t i = 0; i < cork.msgs; i++)
            KR__COUNT(messages_dropped);
    } else {
        write_or_queue(p, cork.buf.data, cork.buf.len, cork.msgs, &kick);
    }
    pthread_mutex_unlock(&p->lock);
    if (kick)
        kr__io_post(&kick->cmd);
    cork.buf.len = 0;
    cork.msgs = 0;
    if (cork.buf.cap > 4 * CORK_MAX)
        kr__sb_free(&cork.buf); /* one big message: do not keep its buffer */
    peer_unref(p);
}

void kr__remote_end_turn(void) { cork_flush(); }

void kr__backend_turn_releasing(void) { cork_flush(); }

void kr__remote_worker(bool on)
{
    cork_flush();
    if (!on)
        kr__sb_free(&cork.buf);
    cork.on = on;
}

typedef enum { SENT, NO_PEER, FLUSH_FIRST } send_result;

/* Sends through the open peer of ip:port if there is one: into the cork
 * (may_cork), straight to the socket, or queued. NO_PEER: the caller
 * posts a send command; FLUSH_FIRST: this thread's corked messages for
 * that peer must go first. */
static send_result send_to_open_peer(uint32_t ip, uint16_t port, const char *bytes, size_t len,
                                     bool may_cork)
{
    /* While a send command is in flight, every send is one: appending to
     * a peer's pending bytes could let a kick posted before that command
     * carry this message ahead of it. */
    if (atomic_load(&kr__remote.unresolved) > 0)
        return NO_PEER;
    pthread_mutex_lock(&kr__remote.shared_lock);
    peer *p = kr__remote.shared;
    while (p && !(p->ip == ip && p->port == port))
        p = p->shared_next;
    if (!p) {
        pthread_mutex_unlock(&kr__remote.shared_lock);
        return NO_PEER;
    }
    pthread_mutex_lock(&p->lock);
    pthread_mutex_unlock(&kr__remote.shared_lock);
    kick_cmd *kick = NULL;
    send_result r = SENT;
    if (len > PEER_OUT_MAX) {
        KR__COUNT(messages_dropped);
    } else if (cork.p && (cork.p != p || p->fd < 0 || p->backlog ||
                          cork.buf.len + len > CORK_MAX)) {
        r = FLUSH_FIRST; /* the cork cannot take this one */
    } else if (may_cork && p->fd >= 0 && !p->backlog && len <= CORK_MAX) {
        kr__sb_append(&cork.buf, bytes, len);
        if (cork.buf.failed) {
            cork.buf.failed = false; /* nothing appended: sent uncorked instead */
            r = FLUSH_FIRST;
        } else {
            if (!cork.p) {
                cork.p = p;
                atomic_fetch_add(&p->refs, 1);
            }
            cork.msgs++;
        }
    } else if (p->fd >= 0) {
        write_or_queue(p, bytes, len, 1, &kick);
    } else if (!pending_append(p, bytes, len, 1, false, &kick)) {
        KR__COUNT(messages_dropped); /* connecting, and the buffer is full */
    }
    pthread_mutex_unlock(&p->lock);
    if (kick) /* after the unlock: a post may run the command at once (loop down) */
        kr__io_post(&kick->cmd);
    return r;
}

void kr__backend_send_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    size_t n;
    char *bytes = kr__wire_encode_message(from, to, name, body, len, &n);
    if (!bytes) {
        kr__log("network: out of memory sending '%s' to %s", name, to.id);
        KR__COUNT(messages_dropped);
        return;
    }
    if (cork.p && !(cork.p->ip == to.ip && cork.p->port == to.port))
        cork_flush(); /* another peer: its messages leave first */
    send_result r = send_to_open_peer(to.ip, to.port, bytes, n, cork.on);
    if (r == FLUSH_FIRST) {
        cork_flush();
        r = send_to_open_peer(to.ip, to.port, bytes, n, false);
    }
    if (r == SENT) {
        kr__free(bytes);
        return;
    }
    cork_flush(); /* before a send command: it could overtake the cork */
    send_cmd *s = kr__malloc(sizeof *s);
    if (!s) {
        kr__free(bytes);
        kr__log("network: out of memory sending '%s' to %s", name, to.id);
        KR__COUNT(messages_dropped);
        return;
    }
    s->bytes = bytes;
    s->len = n;
    s->ip = to.ip;
    s->port = to.port;
    s->cmd.fn = send_run;
    atomic_fetch_add(&kr__remote.unresolved, 1); /* before the post: see send_run */
    kr__io_post(&s->cmd);
}

typedef struct link_cmd {
    kr__io_cmd cmd;
    remote_link link;
} link_cmd;

static bool add_link(peer *p, remote_link l)
{
    for (size_t i = 0; i < p->nlinks; i++)
        if (kr_pid_equal(p->links[i].linker, l.linker) && kr_pid_equal(p->links[i].to, l.to))
            return true;
    if (p->nlinks == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        remote_link *grown = kr__realloc(p->links, cap * sizeof *grown);
        if (!grown)
            return false;
        p->links = grown;
        p->cap = cap;
    }
    p->links[p->nlinks++] = l;
    return true;
}

static void link_run(kr__io_cmd *cmd)
{
    link_cmd *c = (link_cmd *)(void *)cmd;
    if (!kr__io_down()) {
        peer *p = peer_get(c->link.to.ip, c->link.to.port);
        if (!p || !add_link(p, c->link))
            kr__send_exited(c->link.linker, c->link.to); /* unreachable */
    }
    kr__free(c);
}

void kr__backend_link_remote(kr_pid linker, kr_pid to)
{
    link_cmd *c = kr__malloc(sizeof *c);
    if (!c) {
        kr__send_exited(linker, to);
        return;
    }
    c->link = (remote_link){linker, to};
    c->cmd.fn = link_run;
    kr__io_post(&c->cmd);
}
