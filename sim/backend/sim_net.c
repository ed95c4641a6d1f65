/* The simulated network: nodes, per-link FIFO queues with seeded latency,
 * loss and duplication, partitions, clogs, crashes and restarts.
 *
 * Every message between two different nodes goes through here; faults are
 * one layer wrapped around delivery (SQLite's test_vfs idea), drawn from the
 * seed's network streams. A link whose head message is due is one candidate
 * of the scheduler's choice, so deliveries on different links interleave in
 * every order while each link stays FIFO. */
#include "sim_internal.h"

#include "priority.h"


#include <inttypes.h>


typedef struct net_msg {
    struct net_msg *next;
    kr_time at;
    kr_pid from, to;
    size_t len;
    bool exited; /* the notice exited(from) for linker `to` (sim_links.c) */
    char *name;  /* inside the same block, after the body */
    alignas(16) unsigned char body[];
} net_msg;

typedef struct sim_link {
    uint16_t from, to;
    net_msg *head, *tail;
    kr_time last_at;       /* FIFO: no message overtakes the one before */
    kr_time clogged_until; /* held until then */
    kr_time last_send;     /* the draws' key: time of the latest send ... */
    uint64_t sends_now;    /* ... and how many sends before it at that time */
    bool own_net;
    kr_sim_net net;
} sim_link;

#define nodes kr__sim.nodes
#define cut kr__sim.cut

static sim_link *links;
static size_t link_count, link_cap;
static kr_sim_net global_net;

/* Message faults placed on given sends (kr_sim_message_fault), besides the
 * seeded draws; sends between nodes are counted in the order they happen. */
#define PLACED_MAX 64
static struct {
    uint64_t send;
    kr_sim_message_fault_kind kind;
} placed[PLACED_MAX];
static size_t n_placed;
static uint64_t remote_sends;
static kr_sim_observer observer;
static void *observer_ctx;

/* ---- events for observers ------------------------------------------------- */

void kr_sim_observe(kr_sim_observer fn, void *ctx)
{
    observer = fn;
    observer_ctx = fn ? ctx : NULL;
}

bool kr__sim_observing(void) { return observer != NULL; }

kr_duration kr_sim_elapsed(void) { return kr__sim.now - KR__SIM_EPOCH; }

void kr__sim_emit(const char *kind, const char *node, const char *process, const char *name,
                  kr_pid from, kr_pid to, const void *body, size_t len)
{
    if (!observer)
        return;
    kr_sim_event e = {.step = kr__sim.steps,
                      .time = kr__sim.now - KR__SIM_EPOCH,
                      .kind = kind,
                      .node = node ? node : "",
                      .process = process ? process : "",
                      .name = name ? name : "",
                      .from = from,
                      .to = to,
                      .body = body,
                      .len = len,
                      .options = kr__sim.last_options,
                      .chosen = kr__sim.last_chosen};
    observer(&e, observer_ctx);
}

void kr__sim_net_start(uint32_t ip, uint16_t port)
{
    kr__sim_net_stop();
    n_placed = 0;
    remote_sends = 0;
    global_net = (kr_sim_net){.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(10)};
    kr__sim_nodes_reset(ip, port);
}

static void free_queue(sim_link *l)
{
    while (l->head) {
        net_msg *m = l->head;
        l->head = m->next;
        kr__free(m);
    }
    l->tail = NULL;
}

void kr__sim_net_stop(void)
{
    for (size_t i = 0; i < link_count; i++)
        free_queue(&links[i]);
    kr__free(links);
    links = NULL;
    link_count = link_cap = 0;
    kr__sim_links_reset();
    kr__sim_disks_reset();
}

/* ---- links and delivery ---------------------------------------------------- */

static sim_link *link_get(uint16_t from, uint16_t to)
{
    for (size_t i = 0; i < link_count; i++)
        if (links[i].from == from && links[i].to == to)
            return &links[i];
    sim_link *grown = kr__grow(links, &link_cap, link_count, sizeof *grown, 16);
    if (!grown)
        return NULL;
    links = grown;
    sim_link *l = &links[link_count++];
    memset(l, 0, sizeof *l);
    l->from = from;
    l->to = to;
    return l;
}

static const kr_sim_net *net_of(const sim_link *l) { return l->own_net ? &l->net : &global_net; }

/* The network's random draws are keyed by the message (seed, link, send
 * time, its rank among the link's sends at that time, what is drawn), not
 * taken from one running stream: leaving out an earlier message (as
 * `kairos shrink` does) does not change the fate of the later ones. */
typedef enum { DRAW_LATENCY = 1, DRAW_DROP, DRAW_DUPLICATE, DRAW_DUP_LATENCY } draw_kind;

static uint64_t draw_key(const sim_link *l, draw_kind what)
{
    /* POS samples the network from a stream of its own (priority.c). */
    uint64_t salt = kr__sim.strategy == KR__STRATEGY_POS ? 0x706f736e6574ull : 0; /* "posnet" */
    uint64_t h = kr__hash_mix(kr__sim.seed ^ 0x6e6574776f726bull ^ salt,
                              ((uint64_t)l->from << 16) | l->to);
    h = kr__hash_mix(h, (uint64_t)kr__sim.now);
    h = kr__hash_mix(h, l->sends_now);
    return kr__hash_mix(h, what);
}

static double draw_unit(const sim_link *l, draw_kind what)
{
    return (double)(draw_key(l, what) >> 11) * (1.0 / 9007199254740992.0);
}

static kr_duration draw_latency(const sim_link *l, draw_kind what)
{
    const kr_sim_net *net = net_of(l);
    kr_duration lo = net->latency_min, hi = net->latency_max;
    if (hi <= lo)
        return lo;
    return lo + (kr_duration)(draw_key(l, what) % ((uint64_t)(hi - lo) + 1));
}

static bool draw(const sim_link *l, double p, draw_kind what)
{
    return p > 0 && draw_unit(l, what) < p;
}

/* Appends a message arriving no earlier than `at`, behind the link's
 * earlier messages and after any clog. */
static net_msg *queue_at(sim_link *l, kr_time at, kr_pid from, kr_pid to, const char *name,
                         const void *body, size_t len)
{
    size_t name_len = strlen(name) + 1;
    net_msg *m = kr__malloc(sizeof *m + len + name_len);
    if (!m)
        return NULL;
    if (at < l->last_at)
        at = l->last_at;
    if (at < l->clogged_until)
        at = l->clogged_until;
    l->last_at = at;
    m->at = at;
    m->from = from;
    m->to = to;
    m->len = len;
    m->exited = false;
    if (len)
        memcpy(m->body, body, len);
    m->name = (char *)m->body + len;
    memcpy(m->name, name, name_len);
    m->next = NULL;
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
    kr__sim_hash((uint64_t)at);
    return m;
}

static void queue_copy(sim_link *l, kr_pid from, kr_pid to, const char *name, const void *body,
                       size_t len, draw_kind what)
{
    if (!queue_at(l, kr__sim.now + draw_latency(l, what), from, to, name, body, len))
        KR__COUNT(messages_dropped);
}

kr_duration kr__sim_net_latency_draw(size_t from, size_t to)
{
    sim_link *l = link_get((uint16_t)from, (uint16_t)to);
    if (!l)
        return global_net.latency_min;
    l->sends_now = l->last_send == kr__sim.now ? l->sends_now + 1 : 0;
    l->last_send = kr__sim.now;
    return draw_latency(l, DRAW_LATENCY);
}

void kr__sim_net_exited(kr_pid linker, kr_pid who, kr_time at)
{
    long a = kr__sim_node_of_pid(who), b = kr__sim_node_of_pid(linker);
    sim_link *l = a >= 0 && b >= 0 ? link_get((uint16_t)a, (uint16_t)b) : NULL;
    net_msg *m = l ? queue_at(l, at, who, linker, "", NULL, 0) : NULL;
    if (m)
        m->exited = true;
    else
        kr__send_exited(linker, who); /* out of memory: at once rather than never */
}

/* A power-off: each message node i sent that is still in flight is lost
 * with probability 1/2 (its buffers died with the machine), drawn from the
 * seed's power stream in link and queue order. */
void kr__sim_net_lose_in_flight(size_t i)
{
    for (size_t k = 0; k < link_count; k++) {
        sim_link *l = &links[k];
        if (l->from != i)
            continue;
        net_msg **at = &l->head, *last = NULL;
        while (*at) {
            net_msg *m = *at;
            if (m->exited || (kr__prng_next(&kr__sim.power) & 1) == 0) {
                last = m;
                at = &m->next;
                continue;
            }
            *at = m->next;
            KR__COUNT(messages_dropped);
            kr__sim_emit("drop", nodes[i].address, m->from.id, m->name, m->from, m->to, m->body,
                         m->len);
            kr__free(m);
        }
        l->tail = last;
    }
    kr__sim_hash(0x6c6f7374ull); /* "lost" */
}

int kr_sim_message_fault(uint64_t send, kr_sim_message_fault_kind kind)
{
    if (kind != KR_SIM_MESSAGE_LOST && kind != KR_SIM_MESSAGE_DUPLICATED &&
        kind != KR_SIM_MESSAGE_SLOW)
        return KR_EINVAL;
    if (!atomic_load(&kr__is_running))
        return KR_ESTATE;
    if (n_placed == PLACED_MAX)
        return KR_ERANGE;
    placed[n_placed].send = send;
    placed[n_placed++].kind = kind;
    return 0;
}

static bool placed_on(uint64_t send, kr_sim_message_fault_kind kind)
{
    for (size_t i = 0; i < n_placed; i++)
        if (placed[i].send == send && placed[i].kind == kind)
            return true;
    return false;
}

void kr__backend_send_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    uint64_t send = remote_sends++;
    long a = kr__sim_node_of_pid(from), b = kr__sim_node_of_pid(to);
    const char *here = a >= 0 ? nodes[a].address : "";
    const char *why = NULL;
    if (b < 0)
        why = "unknown address";
    else if (a >= 0 && cut[a][b])
        why = "partition";
    sim_link *l = NULL;
    if (!why && a >= 0 && !(l = link_get((uint16_t)a, (uint16_t)b)))
        why = "out of memory";
    if (!why && a < 0)
        why = "sender not on a node";
    if (l) { /* rank among this link's sends at this instant, for the draws */
        l->sends_now = l->last_send == kr__sim.now ? l->sends_now + 1 : 0;
        l->last_send = kr__sim.now;
    }
    if (!why && (draw(l, net_of(l)->drop, DRAW_DROP) || placed_on(send, KR_SIM_MESSAGE_LOST)))
        why = "loss";
    if (why) {
        KR__COUNT(messages_dropped);
        kr__sim_emit("drop", here, from.id, name, from, to, body, len);
        return;
    }
    kr__sim_emit("send", here, from.id, name, from, to, body, len);
    if (placed_on(send, KR_SIM_MESSAGE_SLOW) || kr__priority_slow_send(send)) {
        if (!queue_at(l, kr__sim.now + net_of(l)->latency_max, from, to, name, body, len))
            KR__COUNT(messages_dropped);
    } else {
        queue_copy(l, from, to, name, body, len, DRAW_LATENCY);
    }
    if (draw(l, net_of(l)->duplicate, DRAW_DUPLICATE) ||
        placed_on(send, KR_SIM_MESSAGE_DUPLICATED)) {
        kr__sim_emit("duplicate", here, from.id, name, from, to, body, len);
        queue_copy(l, from, to, name, body, len, DRAW_DUP_LATENCY);
    }
}

size_t kr__sim_net_due(void)
{
    size_t n = 0;
    for (size_t i = 0; i < link_count; i++)
        if (links[i].head && links[i].head->at <= kr__sim.now)
            n++;
    return n;
}

kr_time kr__sim_net_next_at(void)
{
    kr_time t = INT64_MAX;
    for (size_t i = 0; i < link_count; i++)
        if (links[i].head && links[i].head->at < t)
            t = links[i].head->at;
    return t;
}

size_t kr__sim_net_due_link(size_t k)
{
    for (size_t i = 0; i < link_count; i++)
        if (links[i].head && links[i].head->at <= kr__sim.now && k-- == 0)
            return i;
    return link_count;
}

uint64_t kr__sim_net_link_key(size_t i)
{
    return i < link_count ? ((uint64_t)links[i].from << 16) | links[i].to : UINT64_MAX;
}

/* Delivers the head of the k-th link (in creation order) with a due head. */
void kr__sim_net_deliver(size_t k)
{
    sim_link *l = NULL;
    for (size_t i = 0; i < link_count; i++) {
        if (links[i].head && links[i].head->at <= kr__sim.now && k-- == 0) {
            l = &links[i];
            break;
        }
    }
    if (!l)
        return;
    net_msg *m = l->head;
    l->head = m->next;
    if (!l->head)
        l->tail = NULL;
    const char *there = nodes[l->to].address;
    if (m->exited) { /* the end of a remote link reaches its linker */
        kr__send_exited(m->to, m->from);
    } else if (cut[l->from][l->to] || !nodes[l->to].up) {
        KR__COUNT(messages_dropped);
        kr__sim_emit("drop", there, m->to.id, m->name, m->from, m->to, m->body, m->len);
    } else {
        /* Queued within the receiver's mailbox bound, or dropped (counted)
         * as a real node drops a wire message to a full mailbox. */
        int rc = kr__message_deliver_remote(m->from, m->to, m->name, m->body, m->len);
        kr__sim_emit(rc == KR_ENOSPC ? "drop" : "deliver", there, m->to.id, m->name, m->from,
                     m->to, m->body, m->len);
    }
    kr__free(m);
}

/* ---- what the HTTP layer needs --------------------------------------------- */

const kr_sim_net *kr__sim_net_settings(void) { return &global_net; }

bool kr__sim_net_reachable(uint32_t from_ip, uint16_t from_port, uint32_t to_ip, uint16_t to_port)
{
    long b = kr__sim_node_at(to_ip, to_port);
    if (b < 0 || !nodes[b].up)
        return false;
    if (from_ip == 0 && from_port == 0)
        return true; /* a client outside every node */
    long a = kr__sim_node_at(from_ip, from_port);
    return a >= 0 && nodes[a].up && !cut[a][b] && !cut[b][a];
}

void kr__sim_net_serve_http(uint32_t ip, uint16_t port, const kr__http_in *req,
                            const kr__http_sink *sink)
{
    long node = kr__sim_node_at(ip, port);
    size_t saved = kr__sim.driver_node;
    kr__sim.driver_node = (size_t)node; /* the request is served on that node */
    kr__http_handle(req, sink);
    kr__sim.driver_node = saved;
}

/* ---- faults ------------------------------------------------------------------- */

static int set_net(kr_sim_net *dst, const kr_sim_net *net)
{
    if (!net || net->latency_min < 0 || net->latency_max < net->latency_min ||
        !(net->drop >= 0 && net->drop <= 1) || !(net->duplicate >= 0 && net->duplicate <= 1))
        return KR_EINVAL;
    *dst = *net;
    return 0;
}

int kr_sim_network(const kr_sim_net *net) { return set_net(&global_net, net); }

int kr_sim_link_network(const char *from, const char *to, const kr_sim_net *net)
{
    int err;
    long a = kr__sim_node_get(from, true, &err);
    long b = a >= 0 ? kr__sim_node_get(to, true, &err) : -1;
    if (b < 0)
        return err;
    sim_link *l = link_get((uint16_t)a, (uint16_t)b);
    if (!l)
        return KR_ENOMEM;
    int rc = set_net(&l->net, net);
    if (rc == 0)
        l->own_net = true;
    return rc;
}

int kr_sim_partition(const char *const *side_a, size_t na, const char *const *side_b, size_t nb)
{
    if ((!side_a && na) || (!side_b && nb))
        return KR_EINVAL;
    long a_idx[KR_SIM_NODES_MAX], b_idx[KR_SIM_NODES_MAX];
    if (na > KR_SIM_NODES_MAX || nb > KR_SIM_NODES_MAX)
        return KR_ERANGE;
    int err;
    for (size_t i = 0; i < na; i++)
        if ((a_idx[i] = kr__sim_node_get(side_a[i], true, &err)) < 0)
            return err;
    for (size_t j = 0; j < nb; j++)
        if ((b_idx[j] = kr__sim_node_get(side_b[j], true, &err)) < 0)
            return err;
    /* "a1,a2|b1,b2": the node addresses of each side, for traces/reports. */
    char detail[KR_SIM_NODES_MAX * 2 * 24];
    size_t used = 0;
    for (size_t i = 0; i < na + nb; i++) {
        const char *addr = nodes[i < na ? a_idx[i] : b_idx[i - na]].address;
        const char *sep = i == 0 ? "" : i == na ? "|" : ",";
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s", sep, addr);
    }
    if (na + nb == 0)
        detail[0] = '\0';
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (a_idx[i] != b_idx[j])
                cut[a_idx[i]][b_idx[j]] = cut[b_idx[j]][a_idx[i]] = 1;
    kr__sim_hash(0x70617274ull); /* "part" */
    kr__sim_emit("partition", "", "", detail, KR_PID_NONE, KR_PID_NONE, NULL, 0);
    kr__sim_links_check();
    return 0;
}

int kr_sim_cut(const char *from, const char *to)
{
    int err;
    long a = kr__sim_node_get(from, true, &err);
    long b = a >= 0 ? kr__sim_node_get(to, true, &err) : -1;
    if (b < 0)
        return err;
    if (a == b)
        return KR_EINVAL; /* a node always reaches itself */
    cut[a][b] = 1;
    kr__sim_hash(0x637574ull ^ ((uint64_t)a << 8) ^ (uint64_t)b); /* "cut" */
    kr__sim_emit("cut", nodes[a].address, "", nodes[b].address, KR_PID_NONE, KR_PID_NONE, NULL,
                 0);
    kr__sim_links_check();
    return 0;
}

void kr_sim_heal(void)
{
    memset(cut, 0, sizeof cut);
    kr__sim_hash(0x6865616cull); /* "heal" */
    kr__sim_emit("heal", "", "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
}

int kr_sim_clog(const char *from, const char *to, kr_duration d)
{
    int err;
    long a = kr__sim_node_get(from, true, &err);
    long b = a >= 0 ? kr__sim_node_get(to, true, &err) : -1;
    if (b < 0)
        return err;
    if (d < 0)
        return KR_EINVAL;
    sim_link *l = link_get((uint16_t)a, (uint16_t)b);
    if (!l)
        return KR_ENOMEM;
    kr_time until = d > INT64_MAX - kr__sim.now ? INT64_MAX : kr__sim.now + d;
    if (until > l->clogged_until)
        l->clogged_until = until;
    for (net_msg *m = l->head; m; m = m->next) /* in flight: held too, in order */
        if (m->at < until)
            m->at = until;
    if (l->last_at < until)
        l->last_at = until;
    kr__sim_emit("clog", nodes[a].address, "", nodes[b].address, KR_PID_NONE, KR_PID_NONE, NULL,
                 0);
    return 0;
}

/* ---- serving events: the trace -------------------------------------------- */

void kr__backend_on_serve(kr__proc *p, const kr__event *e)
{
    if (!observer)
        return;
    char buf[24];
    const char *node = kr__sim_address_text(p->pid.ip, p->pid.port, buf, sizeof buf);
    static const char *const kinds[] = {"message", "dispatch", "http", "exited", "terminate",
                                        "dispatch"};
    const char *kind = e->kind < sizeof kinds / sizeof *kinds ? kinds[e->kind] : "event";
    switch (e->kind) {
    case KR__EV_MESSAGE:
        kr__sim_emit(kind, node, p->pid.id, e->u.msg.name, e->u.msg.from, p->pid, e->data,
                     e->len);
        break;
    case KR__EV_EXITED:
        kr__sim_emit(kind, node, p->pid.id, e->u.exited.who.id, e->u.exited.who, p->pid, NULL,
                     0);
        break;
    default:
        kr__sim_emit(kind, node, p->pid.id, "", KR_PID_NONE, p->pid, NULL, 0);
        break;
    }
}
