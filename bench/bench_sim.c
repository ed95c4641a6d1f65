/* sim-events: simulator steps per second on a message-heavy workload.
 *
 * A ring of processes (1,000, or --procs) passes SIM_TOKENS tokens at once
 * (one per process in rings under that), so the scheduler always chooses
 * among many runnable processes (unlike a single token, which leaves it one
 * option). Every hop is one event and one step; n is the steps actually
 * taken (kr_sim_steps), rate their speed. Building and ending the ring are
 * outside the timed region. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef KAIROS_SIM

#define SIM_RING_DEFAULT 1000
#define SIM_TOKENS 64

typedef struct sim_node {
    kr_process base;
    kr_pid next;
} sim_node;

static int tokens_left; /* the simulator is single-threaded */

static void sim_on_next(kr_process *self, const kr_message *m)
{
    if (m->len == sizeof(kr_pid))
        ((sim_node *)self)->next = *(const kr_pid *)m->body;
}

static void sim_on_token(kr_process *self, const kr_message *m)
{
    int64_t hops = bench_body_i64(m);
    if (hops > 0)
        bench_send_i64(self, ((sim_node *)self)->next, "token", hops - 1);
    else if (--tokens_left == 0)
        bench_done_fire();
}

static void sim_node_init(kr_process *self)
{
    kr_install(self, "next", sim_on_next);
    kr_install(self, "token", sim_on_token);
}

static const kr_process_ops sim_node_ops = {.initialize = sim_node_init};

static void sim_ring_build(sim_node *ring, kr_pid *pids, long size)
{
    for (long i = 0; i < size; i++) {
        kr_process_init(&ring[i].base, NULL, &sim_node_ops);
        pids[i] = kr_spawn(&ring[i].base, false);
    }
    for (long i = 0; i < size; i++)
        kr_post(pids[i], "next", &pids[(i + 1) % size], sizeof(kr_pid));
    kr_clock_settle();
}

/* Starts the tokens at evenly spaced nodes; together they make ~n hops. */
static void sim_tokens_start(const kr_pid *pids, long size, long n)
{
    int tokens = size < SIM_TOKENS ? (int)size : SIM_TOKENS;
    int64_t hops = n / tokens > 0 ? n / tokens - 1 : 0;
    tokens_left = tokens;
    for (int t = 0; t < tokens; t++)
        kr_post(pids[t * (size / tokens)], "token", &hops, sizeof hops);
}

int bench_sim_events(const bench_opts *opts, bench_result *out)
{
    long size = opts->procs > 0 ? opts->procs : SIM_RING_DEFAULT;
    sim_node *ring = calloc((size_t)size, sizeof *ring);
    kr_pid *pids = calloc((size_t)size, sizeof *pids);
    if (!ring || !pids) {
        free(ring);
        free(pids);
        return 1;
    }
    sim_ring_build(ring, pids, size);
    bench_done_arm();
    uint64_t steps0 = kr_sim_steps();
    double t0 = bench_clock_now();
    sim_tokens_start(pids, size, opts->n);
    int rc = bench_done_wait("sim-events");
    out->seconds = bench_clock_now() - t0;
    out->n = (long)(kr_sim_steps() - steps0);
    for (long i = 0; i < size; i++)
        bench_process_end(pids[i]);
    free(pids);
    free(ring);
    return rc;
}

#else

int bench_sim_events(const bench_opts *opts, bench_result *out)
{
    (void)opts;
    (void)out;
    fprintf(stderr, "sim-events: only on the sim backend (kairos-bench-sim)\n");
    return 1;
}

#endif
