/* The simulated network: nodes, per-link FIFO queues with seeded latency,
 * loss and duplication, partitions, clogs, crashes and restarts.
 *
 * Every message between two different nodes goes through here; faults are
 * one layer wrapped around delivery (SQLite's test_vfs idea), drawn from the
 * seed's network streams. A link whose head message is due is one candidate
 * of the scheduler's choice, so deliveries on different links interleave in
 * every order while each link stays FIFO. */
#include "sim_internal.h"


#include <inttypes.h>

#define S kr__sim_state

typedef struct sim_node {
    char address[24];
    uint32_t ip;
    uint16_t port;
    bool up;
    void (*start)(const char *address, void *ctx);
    void *start_ctx;
} sim_node;

typedef struct net_msg {
    struct net_msg *next;
    kr_time at;
    kr_pid from, to;
    size_t len;
    char *name; /* inside the same block, after the body */
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

typedef struct remote_link {
    kr_pid linker, to;
} remote_link;

static sim_node nodes[KR_SIM_NODES_MAX];
static size_t node_count, driver_node;
static sim_link *links;
static size_t link_count, link_cap;
static uint8_t cut[KR_SIM_NODES_MAX][KR_SIM_NODES_MAX]; /* partitioned pairs */
static kr_sim_net global_net;
static remote_link *rlinks;
static size_t rlink_count, rlink_cap;
static kr_sim_observer observer;
static void *observer_ctx;

/* ---- events for observers ------------------------------------------------- */

void kr_sim_observe(kr_sim_observer fn, void *ctx)
{
    observer = fn;
    observer_ctx = fn ? ctx : NULL;
}

bool kr__sim_observing(void) { return observer != NULL; }

kr_duration kr_sim_elapsed(void) { return S.now - KR__SIM_EPOCH; }

void kr__sim_emit(const char *kind, const char *node, const char *process, const char *name,
                  kr_pid from, kr_pid to, const void *body, size_t len)
{
    if (!observer)
        return;
    kr_sim_event e = {.step = S.steps,
                      .time = S.now - KR__SIM_EPOCH,
                      .kind = kind,
                      .node = node ? node : "",
                      .process = process ? process : "",
                      .name = name ? name : "",
                      .from = from,
                      .to = to,
                      .body = body,
                      .len = len,
                      .options = S.last_options,
                      .chosen = S.last_chosen};
    observer(&e, observer_ctx);
}

static void format_address(uint32_t ip, uint16_t port, char *buf, size_t n)
{
    char text[16];
    kr__ip_format(ip, text, sizeof text);
    snprintf(buf, n, "%s:%u", text, (unsigned)port);
}

/* ---- nodes ----------------------------------------------------------------- */

static long node_at(uint32_t ip, uint16_t port)
{
    for (size_t i = 0; i < node_count; i++)
        if (nodes[i].ip == ip && nodes[i].port == port)
            return (long)i;
    return -1;
}

static int parse_address(const char *address, uint32_t *ip, uint16_t *port)
{
    if (!address)
        return KR_EINVAL;
    const char *colon = strrchr(address, ':');
    char ip_text[16];
    if (!colon || colon == address || (size_t)(colon - address) >= sizeof ip_text)
        return KR_EFORMAT;
    memcpy(ip_text, address, (size_t)(colon - address));
    ip_text[colon - address] = '\0';
    char *end;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (kr__ip_parse(ip_text, ip) != 0 || colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
        v == 0 || v > 65535)
        return KR_EFORMAT;
    *port = (uint16_t)v;
    return 0;
}

/* The node at address, created (up) if new; -1 with *err set otherwise. */
static long node_get(const char *address, bool create, int *err)
{
    uint32_t ip;
    uint16_t port;
    int rc = parse_address(address, &ip, &port);
    if (rc != 0) {
        kr__log("sim: \"%s\" is not an ip:port node address", address ? address : "(null)");
        *err = rc;
        return -1;
    }
    long i = node_at(ip, port);
    if (i >= 0 || !create) {
        *err = i >= 0 ? 0 : KR_ENOENT;
        return i;
    }
    if (node_count == KR_SIM_NODES_MAX) {
        *err = KR_ENOSPC;
        return -1;
    }
    sim_node *n = &nodes[node_count];
    memset(n, 0, sizeof *n);
    n->ip = ip;
    n->port = port;
    n->up = true;
    format_address(ip, port, n->address, sizeof n->address);
    *err = 0;
    return (long)node_count++;
}

static long node_of_pid(kr_pid pid) { return node_at(pid.ip, pid.port); }

void kr__sim_net_start(uint32_t ip, uint16_t port)
{
    kr__sim_net_stop();
    global_net = (kr_sim_net){.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(10)};
    nodes[0] = (sim_node){.ip = ip, .port = port, .up = true};
    format_address(ip, port, nodes[0].address, sizeof nodes[0].address);
    node_count = 1;
    driver_node = 0;
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
    kr__free(rlinks);
    links = NULL;
    rlinks = NULL;
    link_count = link_cap = rlink_count = rlink_cap = 0;
    node_count = driver_node = 0;
    memset(cut, 0, sizeof cut);
}

int kr_sim_node(const char *address)
{
    int err;
    long i = node_get(address, true, &err);
    if (i < 0)
        return err;
    driver_node = (size_t)i;
    return 0;
}

bool kr_sim_node_up(const char *address)
{
    int err;
    long i = node_get(address, false, &err);
    return i >= 0 && nodes[i].up;
}

/* ---- backend hooks: addresses --------------------------------------------- */

void kr__backend_here(uint32_t *ip, uint16_t *port)
{
    if (kr__current_proc) {
        *ip = kr__current_proc->pid.ip;
        *port = kr__current_proc->pid.port;
    } else {
        *ip = nodes[driver_node].ip;
        *port = nodes[driver_node].port;
    }
}

bool kr__backend_hosts(uint32_t ip, uint16_t port)
{
    long i = node_at(ip, port);
    return i >= 0 && nodes[i].up;
}

bool kr__backend_remote(kr_pid from, kr_pid to)
{
    if (kr_pid_is_none(from))
        return false; /* the driver injects directly into any node */
    return from.ip != to.ip || from.port != to.port;
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
    uint64_t h = kr__hash_mix(S.seed ^ 0x6e6574776f726bull, ((uint64_t)l->from << 16) | l->to);
    h = kr__hash_mix(h, (uint64_t)S.now);
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

static void queue_copy(sim_link *l, kr_pid from, kr_pid to, const char *name, const void *body,
                       size_t len, draw_kind what)
{
    size_t name_len = strlen(name) + 1;
    net_msg *m = kr__malloc(sizeof *m + len + name_len);
    if (!m) {
        KR__COUNT(messages_dropped);
        return;
    }
    kr_time at = S.now + draw_latency(l, what);
    if (at < l->last_at)
        at = l->last_at;
    if (at < l->clogged_until)
        at = l->clogged_until;
    l->last_at = at;
    m->at = at;
    m->from = from;
    m->to = to;
    m->len = len;
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
}

void kr__backend_send_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    long a = node_of_pid(from), b = node_of_pid(to);
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
        l->sends_now = l->last_send == S.now ? l->sends_now + 1 : 0;
        l->last_send = S.now;
    }
    if (!why && draw(l, net_of(l)->drop, DRAW_DROP))
        why = "loss";
    if (why) {
        KR__COUNT(messages_dropped);
        kr__sim_emit("drop", here, from.id, name, from, to, body, len);
        return;
    }
    kr__sim_emit("send", here, from.id, name, from, to, body, len);
    queue_copy(l, from, to, name, body, len, DRAW_LATENCY);
    if (draw(l, net_of(l)->duplicate, DRAW_DUPLICATE)) {
        kr__sim_emit("duplicate", here, from.id, name, from, to, body, len);
        queue_copy(l, from, to, name, body, len, DRAW_DUP_LATENCY);
    }
}

size_t kr__sim_net_due(void)
{
    size_t n = 0;
    for (size_t i = 0; i < link_count; i++)
        if (links[i].head && links[i].head->at <= S.now)
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
        if (links[i].head && links[i].head->at <= S.now && k-- == 0)
            return i;
    return link_count;
}

/* Delivers the head of the k-th link (in creation order) with a due head. */
void kr__sim_net_deliver(size_t k)
{
    sim_link *l = NULL;
    for (size_t i = 0; i < link_count; i++) {
        if (links[i].head && links[i].head->at <= S.now && k-- == 0) {
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
    if (cut[l->from][l->to] || !nodes[l->to].up) {
        KR__COUNT(messages_dropped);
        kr__sim_emit("drop", there, m->to.id, m->name, m->from, m->to, m->body, m->len);
    } else {
        kr__sim_emit("deliver", there, m->to.id, m->name, m->from, m->to, m->body, m->len);
        kr__message_deliver_local(m->from, m->to, m->name, m->body, m->len);
    }
    kr__free(m);
}

/* ---- what the HTTP layer needs --------------------------------------------- */

const kr_sim_net *kr__sim_net_settings(void) { return &global_net; }

bool kr__sim_net_reachable(uint32_t from_ip, uint16_t from_port, uint32_t to_ip, uint16_t to_port)
{
    long b = node_at(to_ip, to_port);
    if (b < 0 || !nodes[b].up)
        return false;
    if (from_ip == 0 && from_port == 0)
        return true; /* a client outside every node */
    long a = node_at(from_ip, from_port);
    return a >= 0 && nodes[a].up && !cut[a][b] && !cut[b][a];
}

void kr__sim_net_serve_http(uint32_t ip, uint16_t port, const kr__http_in *req,
                            const kr__http_sink *sink)
{
    long node = node_at(ip, port);
    size_t saved = driver_node;
    driver_node = (size_t)node; /* the request is served on that node */
    kr__http_handle(req, sink);
    driver_node = saved;
}

/* ---- links between processes on different nodes ---------------------------- */

static bool reachable(long a, long b) { return a >= 0 && b >= 0 && nodes[b].up && !cut[a][b] && !cut[b][a]; }

void kr__backend_link_remote(kr_pid linker, kr_pid to)
{
    long a = node_of_pid(linker), b = node_of_pid(to);
    if (!reachable(a, b) || !kr__link_add(linker, to)) {
        kr__send_exited(linker, to);
        return;
    }
    remote_link *grown = kr__grow(rlinks, &rlink_cap, rlink_count, sizeof *grown, 16);
    if (!grown)
        return; /* still linked; only a partition would go unnoticed */
    rlinks = grown;
    rlinks[rlink_count++] = (remote_link){linker, to};
}

/* Remote links that can no longer hold report exited, in link order. */
static void break_unreachable_links(void)
{
    size_t kept = 0;
    for (size_t i = 0; i < rlink_count; i++) {
        remote_link r = rlinks[i];
        bool target_alive = kr__table_alive(r.to);
        bool linker_alive = kr__table_alive(r.linker);
        if (target_alive && linker_alive && reachable(node_of_pid(r.linker), node_of_pid(r.to))) {
            rlinks[kept++] = r;
            continue;
        }
        if (target_alive && linker_alive)
            kr__send_exited(r.linker, r.to);
    }
    rlink_count = kept;
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
    long a = node_get(from, true, &err);
    long b = a >= 0 ? node_get(to, true, &err) : -1;
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
        if ((a_idx[i] = node_get(side_a[i], true, &err)) < 0)
            return err;
    for (size_t j = 0; j < nb; j++)
        if ((b_idx[j] = node_get(side_b[j], true, &err)) < 0)
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
    break_unreachable_links();
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
    long a = node_get(from, true, &err);
    long b = a >= 0 ? node_get(to, true, &err) : -1;
    if (b < 0)
        return err;
    if (d < 0)
        return KR_EINVAL;
    sim_link *l = link_get((uint16_t)a, (uint16_t)b);
    if (!l)
        return KR_ENOMEM;
    kr_time until = d > INT64_MAX - S.now ? INT64_MAX : S.now + d;
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

static void run_start(size_t node)
{
    size_t saved = driver_node;
    driver_node = node;
    nodes[node].start(nodes[node].address, nodes[node].start_ctx);
    driver_node = saved;
}

int kr_sim_on_start(const char *address, void (*start)(const char *address, void *ctx), void *ctx)
{
    if (!start)
        return KR_EINVAL;
    int err;
    long i = node_get(address, true, &err);
    if (i < 0)
        return err;
    nodes[i].start = start;
    nodes[i].start_ctx = ctx;
    if (nodes[i].up)
        run_start((size_t)i);
    return 0;
}

typedef struct pid_vec {
    kr_pid items[256];
    size_t len;
    uint32_t ip;
    uint16_t port;
    bool more;
} pid_vec;

static void collect_on_node(kr__proc *p, void *ctx)
{
    pid_vec *v = ctx;
    if (p->pid.ip != v->ip || p->pid.port != v->port ||
        atomic_load(&p->state) == KR__TERMINATING)
        return;
    if (v->len < sizeof v->items / sizeof v->items[0])
        v->items[v->len++] = p->pid;
    else
        v->more = true;
}

int kr_sim_crash(const char *address)
{
    int err;
    long i = node_get(address, false, &err);
    if (i < 0)
        return err;
    if (!nodes[i].up)
        return 0;
    if (kr__current_proc) {
        kr__log("kr_sim_crash: only the driving thread may crash nodes");
        return KR_ESTATE;
    }
    kr__sim_hash(0x6372617368ull ^ (uint64_t)i); /* "crash" */
    kr__sim_emit("crash", nodes[i].address, "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
    pid_vec v = {.ip = nodes[i].ip, .port = nodes[i].port};
    do {
        v.len = 0;
        v.more = false;
        kr__table_each(collect_on_node, &v);
        for (size_t k = 0; k < v.len; k++) {
            kr__proc *p = kr__table_acquire(v.items[k]);
            if (!p)
                continue;
            kr__table_release(p);
            kr__sim_unschedule(p);
            kr__process_kill(p); /* no finalize: the machine just stopped */
        }
    } while (v.more);
    nodes[i].up = false;
    break_unreachable_links();
    return 0;
}

int kr_sim_restart(const char *address)
{
    int err;
    long i = node_get(address, false, &err);
    if (i < 0)
        return err;
    if (nodes[i].up)
        return 0;
    nodes[i].up = true;
    kr__sim_hash(0x72657374ull ^ (uint64_t)i); /* "rest" */
    kr__sim_emit("restart", nodes[i].address, "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
    if (nodes[i].start)
        run_start((size_t)i);
    return 0;
}

/* ---- serving events: the trace -------------------------------------------- */

void kr__backend_on_serve(kr__proc *p, const kr__event *e)
{
    if (!observer)
        return;
    char node[24];
    format_address(p->pid.ip, p->pid.port, node, sizeof node);
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
