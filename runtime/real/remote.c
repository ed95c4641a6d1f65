/* The real backend's addresses and its remote transport: libprocess' wire
 * protocol over one persistent TCP connection per peer address.
 *
 * A message to a pid at another address is encoded on the sender's thread
 * (kr__wire_encode_message) and posted to the I/O thread, which appends it
 * to that peer's connection (connecting first if there is none). Commands
 * run in posting order and a connection's bytes go out in append order, so
 * messages from one sender to one peer arrive in order. The peer's 202
 * replies are read and discarded, as libprocess' ignore_recv_data does.
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
    struct peer *next;
} peer;

/* Bounds on outbound peers (WIRE.md "Limits"): a forged Libprocess-From
 * makes us open a connection to wherever it names, so none of this may
 * grow without limit. The KAIROS_PEER* settings, read by kr__io_start. */
#define PEERS_MAX (kr__http_limits.peers_max)
#define PEER_OUT_MAX (kr__http_limits.peer_out_max)
#define PEER_CONNECT_NS (kr__http_limits.peer_connect_ns)
#define PEER_WRITE_NS (kr__http_limits.peer_write_ns)
#define PEER_IDLE_NS (kr__http_limits.peer_idle_ns)

/* The transport's state, in one place (I/O thread only). */
static struct {
    peer *peers;
    size_t count;
} kr__remote;

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
}

/* Deadlines: connecting, draining; an idle peer nobody is linked to
 * closes (the next send reconnects). */
static void peer_tick(kr__io_conn *io, int64_t now)
{
    peer *p = (peer *)(void *)io;
    bool unsent = kr__io_unsent(io) > 0;
    if ((io->connecting && now - p->since > PEER_CONNECT_NS) ||
        (unsent && now - io->last_active > PEER_WRITE_NS) ||
        (!io->connecting && !unsent && p->nlinks == 0 && now - io->last_active > PEER_IDLE_NS))
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
    }
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
    /* What never left (a refused connect, a reset, a deadline) is lost. */
    if (kr__io_unsent(io) > 0)
        for (size_t i = 0; i < p->unsent_msgs; i++)
            KR__COUNT(messages_dropped);
    if (kr__io_down())
        return;
    for (size_t i = 0; i < p->nlinks; i++)
        kr__send_exited(p->links[i].linker, p->links[i].to);
}

static void peer_free(kr__io_conn *io)
{
    peer *p = (peer *)(void *)io;
    kr__free(p->links);
    kr__free(p);
}

static const kr__io_ops peer_ops = {
    .on_read = peer_read,
    .on_connect = peer_connect,
    .on_drained = peer_drained,
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
            (!oldest || p->io.last_active < oldest->io.last_active))
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
    p->next = kr__remote.peers;
    kr__remote.peers = p;
    kr__remote.count++;
    atomic_fetch_add(&kr__http_stat_peers, 1);
    kr__io_add(&p->io, fd, &peer_ops, rc != 0);
    return p->io.closed ? NULL : p;
}

/* ---- sends and links, posted from any thread ------------------------------------ */

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
        if (kr__io_unsent(&p->io) == 0)
            p->since = kr__io_monotonic();
        p->unsent_msgs++;
        kr__io_write(&p->io, s->bytes, s->len);
    } else {
        KR__COUNT(messages_dropped); /* unreachable, or its buffer is full */
    }
    kr__free(s->bytes);
    kr__free(s);
}

void kr__backend_send_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    send_cmd *s = kr__malloc(sizeof *s);
    char *bytes = s ? kr__wire_encode_message(from, to, name, body, len, &s->len) : NULL;
    if (!bytes) {
        kr__free(s);
        kr__log("network: out of memory sending '%s' to %s", name, to.id);
        KR__COUNT(messages_dropped);
        return;
    }
    s->bytes = bytes;
    s->ip = to.ip;
    s->port = to.port;
    s->cmd.fn = send_run;
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
