/* Process benchmarks: spawn (skynet), timers and idle memory. */
#include "bench.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- spawn: skynet, a 10-ary tree of managed processes ------------------ */

typedef struct sky_node {
    kr_process base;
    kr_pid parent;  /* KR_PID_NONE for the root, which fires the done signal */
    int64_t num;    /* first leaf number below this node */
    int64_t size;   /* leaves below this node */
    int64_t sum;    /* of the children's replies so far */
    int pending;    /* children yet to reply */
} sky_node;

static _Atomic int64_t sky_total = -1;

static void sky_init(kr_process *self);
static const kr_process_ops sky_ops = {.initialize = sky_init};

static int sky_spawn(kr_pid parent, int64_t num, int64_t size)
{
    sky_node *c = malloc(sizeof *c);
    if (!c)
        return 1;
    kr_process_init(&c->base, NULL, &sky_ops);
    c->parent = parent;
    c->num = num;
    c->size = size;
    c->sum = 0;
    c->pending = 0;
    /* managed: the runtime frees c (free()) once it has terminated */
    return kr_pid_is_none(kr_spawn(&c->base, true)) ? 1 : 0;
}

/* Replies once to the parent (or reports the total) and ends. */
static void sky_reply(sky_node *n, int64_t value)
{
    if (kr_pid_is_none(n->parent)) {
        atomic_store(&sky_total, value);
        bench_done_fire();
    } else {
        bench_send_i64(&n->base, n->parent, "sum", value);
    }
    kr_terminate(kr_self(&n->base), false);
}

static void sky_on_sum(kr_process *self, const kr_message *m)
{
    sky_node *n = (sky_node *)self;
    n->sum += bench_body_i64(m);
    if (--n->pending == 0)
        sky_reply(n, n->sum);
}

static void sky_init(kr_process *self)
{
    sky_node *n = (sky_node *)self;
    if (n->size == 1) {
        sky_reply(n, n->num);
        return;
    }
    kr_install(self, "sum", sky_on_sum);
    int64_t sub = n->size / 10;
    kr_pid me = kr_self(self);
    for (int i = 0; i < 10; i++)
        n->pending += sky_spawn(me, n->num + i * sub, sub) == 0;
    if (n->pending == 0)
        sky_reply(n, -1); /* spawning failed; the sum check reports it */
}

int bench_spawn(const bench_opts *opts, bench_result *out)
{
    int64_t leaves = 1, procs = 1;
    while (leaves < opts->n) {
        leaves *= 10;
        procs += leaves;
    }
    atomic_store(&sky_total, -1);
    bench_done_arm();
    double t0 = bench_clock_now();
    int rc = sky_spawn(KR_PID_NONE, 0, leaves) || bench_done_wait("spawn");
    out->seconds = bench_clock_now() - t0;
    out->n = (long)procs;
    int64_t want = leaves * (leaves - 1) / 2;
    if (rc == 0 && atomic_load(&sky_total) != want) {
        fprintf(stderr, "spawn: wrong sum %lld, want %lld\n", (long long)atomic_load(&sky_total),
                (long long)want);
        rc = 1;
    }
    return rc;
}

/* ---- timers: n processes each delay 1 ms to themselves ------------------ */

typedef struct tick_proc {
    kr_process base;
    kr_pid counter;
} tick_proc;

typedef struct tally_proc {
    kr_process base;
    int64_t n, count;
} tally_proc;

static void tick_fire(kr_process *self, const void *arg)
{
    (void)arg;
    kr_send(self, ((tick_proc *)self)->counter, "fired", NULL, 0);
    kr_terminate(kr_self(self), false);
}

static void tick_init(kr_process *self) { kr_delay(KR_MSEC(1), kr_self(self), tick_fire, NULL, 0); }

static void tally_on_fired(kr_process *self, const kr_message *m)
{
    (void)m;
    tally_proc *t = (tally_proc *)self;
    if (++t->count == t->n)
        bench_done_fire();
}

static void tally_init(kr_process *self) { kr_install(self, "fired", tally_on_fired); }

static const kr_process_ops tick_ops = {.initialize = tick_init};
static const kr_process_ops tally_ops = {.initialize = tally_init};

static int tick_spawn(kr_pid counter)
{
    tick_proc *t = malloc(sizeof *t);
    if (!t)
        return 1;
    kr_process_init(&t->base, NULL, &tick_ops);
    t->counter = counter;
    return kr_pid_is_none(kr_spawn(&t->base, true)) ? 1 : 0;
}

int bench_timers(const bench_opts *opts, bench_result *out)
{
    tally_proc tally = {0};
    kr_process_init(&tally.base, "tally", &tally_ops);
    tally.n = opts->n;
    bench_done_arm();
    /* Spawning is timed, as the peers spawn their timer actors after t0. */
    double t0 = bench_clock_now();
    kr_pid counter = kr_spawn(&tally.base, false);
    int rc = 0;
    for (long i = 0; i < opts->n && rc == 0; i++)
        rc = tick_spawn(counter);
    rc = rc || bench_done_wait("timers");
    out->seconds = bench_clock_now() - t0;
    out->n = opts->n;
    bench_process_end(counter); /* lives in this stack frame */
    return rc;
}

/* ---- idle: resident bytes per spawned, idle process --------------------- */

int bench_idle(const bench_opts *opts, bench_result *out)
{
    long before = bench_rss_bytes();
    double t0 = bench_clock_now();
    int rc = 0;
    for (long i = 0; i < opts->n && rc == 0; i++) {
        kr_process *p = malloc(sizeof *p);
        if (!p)
            return 1;
        kr_process_init(p, NULL, NULL); /* no callbacks: it just exists */
        rc = kr_pid_is_none(kr_spawn(p, true));
    }
    kr_clock_settle(); /* every initialize has run: all are idle */
    out->seconds = bench_clock_now() - t0;
    out->n = opts->n;
    long after = bench_rss_bytes();
    if (rc != 0 || before < 0 || after < 0) {
        fprintf(stderr, "idle: spawn or /proc/self/statm failed\n");
        return 1;
    }
    out->bytes_per_process = (double)(after - before) / (double)opts->n;
    return 0;
}
