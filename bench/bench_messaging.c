/* Message-passing benchmarks: pingpong (kr_send and kr_dispatch), fanout
 * and ring. Each mirrors the CAF/Erlang peer of the same name: process
 * spawning is inside the timed region for pingpong and fanout (as the peers
 * spawn their actors after t0); the ring is built and settled before it. */
#include "bench.h"

#include <stdlib.h>

/* ---- pingpong with kr_send/kr_install ----------------------------------- */

typedef struct pp_proc {
    kr_process base;
    kr_pid peer;    /* ping: the pong process */
    int64_t rounds; /* ping: round trips to make */
} pp_proc;

/* pong answers every "ping" with the same number, to its sender. */
static void pong_on_ping(kr_process *self, const kr_message *m)
{
    bench_send_i64(self, m->from, "pong", bench_body_i64(m));
}

static void ping_on_pong(kr_process *self, const kr_message *m)
{
    pp_proc *p = (pp_proc *)self;
    int64_t i = bench_body_i64(m);
    if (i < p->rounds)
        bench_send_i64(self, p->peer, "ping", i + 1);
    else
        bench_done_fire();
}

static void pong_init(kr_process *self) { kr_install(self, "ping", pong_on_ping); }

static void ping_init(kr_process *self)
{
    pp_proc *p = (pp_proc *)self;
    kr_install(self, "pong", ping_on_pong);
    bench_send_i64(self, p->peer, "ping", 1);
}

static const kr_process_ops pong_ops = {.initialize = pong_init};
static const kr_process_ops ping_ops = {.initialize = ping_init};

/* Times `rounds` round trips between two processes with the given ops;
 * n = one-way messages, as the peers count. */
static int pingpong_run(const char *name, const bench_opts *opts, const kr_process_ops *ping,
                        const kr_process_ops *pong, bench_result *out)
{
    int64_t rounds = opts->n / 2 > 0 ? opts->n / 2 : 1;
    pp_proc ponger = {0}, pinger = {0};
    kr_process_init(&ponger.base, "pong", pong);
    kr_process_init(&pinger.base, "ping", ping);
    bench_done_arm();
    double t0 = bench_clock_now();
    kr_pid pong_pid = kr_spawn(&ponger.base, false);
    pinger.peer = pong_pid;
    pinger.rounds = rounds;
    kr_pid ping_pid = kr_spawn(&pinger.base, false);
    int rc = bench_done_wait(name);
    out->seconds = bench_clock_now() - t0;
    out->n = 2 * rounds;
    bench_process_end(ping_pid); /* both live in this stack frame */
    bench_process_end(pong_pid);
    return rc;
}

int bench_pingpong(const bench_opts *opts, bench_result *out)
{
    return pingpong_run("pingpong", opts, &ping_ops, &pong_ops, out);
}

/* ---- pingpong with kr_dispatch ------------------------------------------ */

static void dping_fn(kr_process *self, const void *arg);

/* pong learns the pinger's pid from the first dispatch (events from one
 * sender keep their order), then bounces every number back. */
static void dpong_set_peer(kr_process *self, const void *arg)
{
    pp_proc *p = (pp_proc *)self;
    p->peer = *(const kr_pid *)arg;
}

static void dpong_fn(kr_process *self, const void *arg)
{
    pp_proc *p = (pp_proc *)self;
    kr_dispatch(p->peer, dping_fn, arg, sizeof(int64_t));
}

static void dping_fn(kr_process *self, const void *arg)
{
    pp_proc *p = (pp_proc *)self;
    int64_t i = *(const int64_t *)arg;
    if (i < p->rounds) {
        i++;
        kr_dispatch(p->peer, dpong_fn, &i, sizeof i);
    } else {
        bench_done_fire();
    }
}

static void dping_init(kr_process *self)
{
    pp_proc *p = (pp_proc *)self;
    kr_pid me = kr_self(self);
    int64_t one = 1;
    kr_dispatch(p->peer, dpong_set_peer, &me, sizeof me);
    kr_dispatch(p->peer, dpong_fn, &one, sizeof one);
}

static const kr_process_ops dping_ops = {.initialize = dping_init};

int bench_pingpong_dispatch(const bench_opts *opts, bench_result *out)
{
    return pingpong_run("pingpong-dispatch", opts, &dping_ops, NULL, out);
}

/* ---- fanout: one sender, one counter ------------------------------------ */

typedef struct fan_proc {
    kr_process base;
    kr_pid target; /* sender: the counter */
    int64_t n;     /* messages to send / to count */
    int64_t count; /* counter: received so far */
} fan_proc;

static void counter_on_msg(kr_process *self, const kr_message *m)
{
    (void)m;
    fan_proc *c = (fan_proc *)self;
    if (++c->count == c->n)
        bench_done_fire(); /* the acknowledgement */
}

static void counter_init(kr_process *self) { kr_install(self, "n", counter_on_msg); }

/* Sends everything from its initialize, as CAF's sender does from start-up. */
static void sender_init(kr_process *self)
{
    fan_proc *s = (fan_proc *)self;
    for (int64_t i = 0; i < s->n; i++)
        bench_send_i64(self, s->target, "n", 1);
}

static const kr_process_ops counter_ops = {.initialize = counter_init};
static const kr_process_ops sender_ops = {.initialize = sender_init};

int bench_fanout(const bench_opts *opts, bench_result *out)
{
    fan_proc counter = {0}, sender = {0};
    kr_process_init(&counter.base, "counter", &counter_ops);
    kr_process_init(&sender.base, "sender", &sender_ops);
    counter.n = sender.n = opts->n;
    bench_done_arm();
    double t0 = bench_clock_now();
    kr_pid counter_pid = kr_spawn(&counter.base, false);
    sender.target = counter_pid;
    kr_pid sender_pid = kr_spawn(&sender.base, false);
    int rc = bench_done_wait("fanout");
    out->seconds = bench_clock_now() - t0;
    out->n = opts->n;
    bench_process_end(sender_pid); /* both live in this stack frame */
    bench_process_end(counter_pid);
    return rc;
}

/* ---- ring: RING_SIZE processes pass a token n hops ---------------------- */

#define RING_SIZE 1000

typedef struct ring_node {
    kr_process base;
    kr_pid next;
} ring_node;

static void node_on_next(kr_process *self, const kr_message *m)
{
    ring_node *r = (ring_node *)self;
    if (m->len == sizeof r->next)
        r->next = *(const kr_pid *)m->body;
}

static void node_on_hop(kr_process *self, const kr_message *m)
{
    int64_t hops = bench_body_i64(m);
    if (hops == 0)
        bench_done_fire();
    else
        bench_send_i64(self, ((ring_node *)self)->next, "hop", hops - 1);
}

static void node_init(kr_process *self)
{
    kr_install(self, "next", node_on_next);
    kr_install(self, "hop", node_on_hop);
}

static const kr_process_ops node_ops = {.initialize = node_init};

/* Spawns the ring, tells each node its successor and waits until every node
 * is idle, so that only the token's trip is timed. */
static int ring_build(ring_node *ring, kr_pid *pids)
{
    for (int i = 0; i < RING_SIZE; i++) {
        kr_process_init(&ring[i].base, NULL, &node_ops);
        pids[i] = kr_spawn(&ring[i].base, false);
        if (kr_pid_is_none(pids[i]))
            return 1;
    }
    for (int i = 0; i < RING_SIZE; i++)
        kr_post(pids[i], "next", &pids[(i + 1) % RING_SIZE], sizeof(kr_pid));
    kr_clock_settle();
    return 0;
}

int bench_ring(const bench_opts *opts, bench_result *out)
{
    ring_node *ring = calloc(RING_SIZE, sizeof *ring);
    kr_pid *pids = calloc(RING_SIZE, sizeof *pids);
    int rc = (ring && pids) ? ring_build(ring, pids) : 1;
    if (rc == 0) {
        int64_t hops = opts->n;
        bench_done_arm();
        double t0 = bench_clock_now();
        kr_post(pids[0], "hop", &hops, sizeof hops);
        rc = bench_done_wait("ring");
        out->seconds = bench_clock_now() - t0;
        out->n = opts->n;
    }
    /* The nodes live in our array: end them before freeing it. */
    for (int i = 0; pids && i < RING_SIZE; i++)
        bench_process_end(pids[i]);
    free(pids);
    free(ring);
    return rc;
}
