/* The simulator's scheduler: one thread, one decision per step.
 *
 * A step serves one event of one runnable process, or fires one due timer.
 * Which one is the strategy's choice among all candidates (runnable
 * processes in the order they became runnable, then "the next due timer"),
 * drawn from the seed, so every interleaving at event granularity is
 * reachable. When nothing can run and the clock is not paused, virtual time
 * jumps to the next deadline. */
#include "priority.h"

#include <inttypes.h>

kr__sim_state kr__sim;

/* Blocking calls give up after this many steps, so a runaway self-rearming
 * timer is reported instead of hanging. */
#define BLOCK_STEPS_MAX 100000000ull

const char kr__backend_name[] = "sim";

/* The core's copy in this library skips locked instructions (core.h); it
 * is compiled with these files, so a build that lost KAIROS_SIM fails here. */
_Static_assert(KR__ONE_THREAD, "the simulator's core must be built with KAIROS_SIM");

enum {
    STREAM_SCHED = 1,
    STREAM_TIES,
    STREAM_USER,
    STREAM_FAULTS,
    STREAM_NET,
    STREAM_COST,
    STREAM_POWER,
    STREAM_DISK
};

void kr__sim_seed_streams(uint64_t seed)
{
    kr__sim.seed = seed;
    kr__prng_seed(&kr__sim.sched, seed, STREAM_SCHED);
    kr__prng_seed(&kr__sim.ties, seed, STREAM_TIES);
    kr__prng_seed(&kr__sim.user, seed, STREAM_USER);
    kr__prng_seed(&kr__sim.faults, seed, STREAM_FAULTS);
    kr__prng_seed(&kr__sim.net, seed, STREAM_NET);
    kr__prng_seed(&kr__sim.cost, seed, STREAM_COST);
    kr__prng_seed(&kr__sim.power, seed, STREAM_POWER);
    kr__prng_seed(&kr__sim.disk, seed, STREAM_DISK);
}

/* The priority slot of every option, for PCT and POS. */
static uint32_t **slots;
static size_t slots_cap;
static uint32_t spare_slot; /* a link whose slot could not be allocated */

/* What kr_init asked for (kr__backend_configure), for the next start. */
static struct {
    uint64_t seed;
    kr__strategy strategy;
    int pct_depth;
    uint64_t pct_steps; /* 0: KR__PCT_STEPS_DEFAULT */
} configured;

/* PCT's k: a billion steps is far past any run the step limits allow. */
#define PCT_STEPS_MAX 1000000000

static int configure_strategy(const char *name)
{
    if (!name || strcmp(name, "random") == 0)
        configured.strategy = KR__STRATEGY_RANDOM;
    else if (strcmp(name, "fifo") == 0)
        configured.strategy = KR__STRATEGY_FIFO;
    else if (strcmp(name, "pct") == 0)
        configured.strategy = KR__STRATEGY_PCT;
    else if (strcmp(name, "pos") == 0)
        configured.strategy = KR__STRATEGY_POS;
    else {
        kr__log("kr_init: unknown strategy \"%s\" (random, pct, pos or fifo)", name);
        return KR_EINVAL;
    }
    return 0;
}

int kr__backend_configure(const kr_config *cfg)
{
    kr_config c = cfg ? *cfg : (kr_config){0};
    const char *v;
    long n;
    int rc;
    configured.seed = c.seed;
    if (c.seed == 0 && (v = getenv("KAIROS_SEED")) != NULL &&
        (rc = kr__config_u64("KAIROS_SEED", v, &configured.seed)) != 0)
        return rc;
    if ((rc = configure_strategy(c.strategy ? c.strategy : getenv("KAIROS_STRATEGY"))) != 0)
        return rc;
    configured.pct_depth = c.pct_depth;
    if (c.pct_depth == 0 && (v = getenv("KAIROS_PCT_DEPTH")) != NULL) {
        if ((rc = kr__config_int("KAIROS_PCT_DEPTH", v, 1, KR_PCT_DEPTH_MAX, &n)) != 0)
            return rc;
        configured.pct_depth = (int)n;
    }
    if (configured.pct_depth == 0)
        configured.pct_depth = 3;
    if (configured.pct_depth < 1 || configured.pct_depth > KR_PCT_DEPTH_MAX) {
        kr__log("kr_init: pct_depth=%d out of range [1, %d]", configured.pct_depth,
                KR_PCT_DEPTH_MAX);
        return KR_EINVAL;
    }
    configured.pct_steps = c.pct_steps;
    if (c.pct_steps == 0 && (v = getenv("KAIROS_PCT_STEPS")) != NULL) {
        if ((rc = kr__config_int("KAIROS_PCT_STEPS", v, 1, PCT_STEPS_MAX, &n)) != 0)
            return rc;
        configured.pct_steps = (uint64_t)n;
    }
    if (configured.pct_steps > PCT_STEPS_MAX) {
        kr__log("kr_init: pct_steps=%" PRIu64 " out of range [0, %d]", configured.pct_steps,
                PCT_STEPS_MAX);
        return KR_EINVAL;
    }
    return 0;
}

int kr__backend_start(const kr__config *cfg)
{
    (void)cfg;
    free(kr__sim.ring);
    free(kr__sim.failure);
    kr__free(kr__sim.log);
    kr__free(kr__sim.log_ids);
    kr__free(kr__sim.replay);
    /* Everything zero, as at load time; of the nodes and the cut matrix
     * only what the last run used can be non-zero (kr_init runs per seed). */
    size_t used = kr__sim.node_count;
    memset(&kr__sim, 0, offsetof(kr__sim_state, nodes));
    memset(kr__sim.nodes, 0, used * sizeof kr__sim.nodes[0]);
    for (size_t i = 0; i < used; i++)
        memset(kr__sim.cut[i], 0, used);
    kr__sim_time_reset();
    kr__sim_seed_streams(configured.seed);
    /* Events come from this thread's pool, not malloc: a step allocates
     * and frees one. The pool stays attached across runs (kr_init is called
     * once per seed), holding at most the largest run's peak of events. */
    kr__event_pool_attach();
    kr__sim.strategy = configured.strategy;
    if (kr__sim.strategy == KR__STRATEGY_PCT || kr__sim.strategy == KR__STRATEGY_POS)
        kr__priority_start(configured.pct_depth, configured.pct_steps);
    kr__sim.now = KR__SIM_EPOCH;
    kr__sim.hash = 0x6b6169726f73ull; /* "kairos" */
    if (kr__local_port == 0)
        kr__local_port = 5050; /* no sockets here: a fixed, readable address */
    kr__sim_net_start(kr__local_ip, kr__local_port);
    return 0;
}

void kr__backend_stop(void)
{
    kr__sim_net_stop();
    kr__priority_stop();
    free(slots);
    slots = NULL;
    slots_cap = 0;
    free(kr__sim.ring);
    kr__sim.ring = NULL;
    kr__sim.ring_len = kr__sim.ring_cap = kr__sim.ring_head = 0;
    /* The failure, the decision log and the hash stay readable after
     * kr_finalize, until the next kr_init. */
}

/* ---- clock -------------------------------------------------------------- */

void kr__backend_pause(void) { kr__sim.paused = true; }
void kr__backend_resume(void) { kr__sim.paused = false; }
bool kr__backend_paused(void) { return kr__sim.paused; }

void kr__backend_advance_to(kr_time t)
{
    if (t > kr__sim.now)
        kr__sim.now = t;
}

void kr__backend_timers_changed(void) {}

/* ---- the ring of runnable processes -------------------------------------- */

/* Doubles the ring (out of line: ring_push runs once per message). */
static __attribute__((noinline)) void ring_grow(void)
{
    size_t cap = kr__sim.ring_cap ? kr__sim.ring_cap * 2 : 64;
    kr__proc **r = malloc(cap * sizeof *r);
    if (!r) {
        kr__log("sim: out of memory growing the run queue");
        abort(); /* cannot lose a runnable process and stay correct */
    }
    for (size_t i = 0; i < kr__sim.ring_len; i++)
        r[i] = kr__sim.ring[(kr__sim.ring_head + i) & (kr__sim.ring_cap - 1)];
    free(kr__sim.ring);
    kr__sim.ring = r;
    kr__sim.ring_cap = cap;
    kr__sim.ring_head = 0;
}

static inline void ring_push(kr__proc *p)
{
    if (kr__sim.ring_len == kr__sim.ring_cap)
        ring_grow();
    kr__sim.ring[(kr__sim.ring_head + kr__sim.ring_len++) & (kr__sim.ring_cap - 1)] = p;
}

static kr__proc **ring_at(size_t i) { return &kr__sim.ring[(kr__sim.ring_head + i) & (kr__sim.ring_cap - 1)]; }

/* Removes the i-th entry: swapped with the front, then the front popped. */
static kr__proc *ring_take(size_t i)
{
    kr__proc *p = *ring_at(i);
    *ring_at(i) = *ring_at(0);
    kr__sim.ring_head = (kr__sim.ring_head + 1) & (kr__sim.ring_cap - 1);
    kr__sim.ring_len--;
    return p;
}

void kr__sim_unschedule(kr__proc *p)
{
    if (kr__sim_parked() && kr__sim_unpark(p))
        return;
    for (size_t i = 0; i < kr__sim.ring_len; i++) {
        if (*ring_at(i) == p) {
            ring_take(i);
            return;
        }
    }
}

/* Runnable: on the run queue, or parked while its node is paused. */
static void make_runnable(kr__proc *p)
{
    if (kr__sim.paused_nodes && kr__sim_proc_paused(p))
        kr__sim_park(p);
    else
        ring_push(p);
}

void kr__sim_requeue(kr__proc *p) { ring_push(p); }

void kr__sim_park_node(size_t node)
{
    size_t len = kr__sim.ring_len;
    /* Rotate through the ring once, keeping the order of what stays. */
    for (size_t i = 0; i < len; i++) {
        kr__proc *p = ring_take(0);
        if (kr__sim_node_of_pid(p->pid) == (long)node)
            kr__sim_park(p);
        else
            ring_push(p);
    }
}

void kr__backend_schedule(kr__proc *p) { make_runnable(p); }

/* ---- choosing ------------------------------------------------------------ */

/* The options of one step, in this order: runnable processes (in the order
 * they became runnable), "fire the next due timer", then each network link
 * whose head message is due (in link creation order). */
typedef struct step_options {
    uint32_t procs, timer, links;
} step_options;

static uint32_t priority_choice(uint32_t options, const step_options *o)
{
    if (options > slots_cap) {
        size_t cap = slots_cap ? slots_cap : 64;
        while (cap < options)
            cap *= 2;
        uint32_t **grown = realloc(slots, cap * sizeof *grown);
        if (!grown) /* degrade to a random choice, stay correct */
            return (uint32_t)kr__prng_below(&kr__sim.sched, options);
        slots = grown;
        slots_cap = cap;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->procs; i++)
        slots[n++] = &(*ring_at(i))->sched_index;
    if (o->timer)
        slots[n++] = kr__priority_timer_slot();
    /* Grow the link table before taking pointers into it. */
    for (uint32_t i = 0; i < o->links; i++)
        (void)kr__priority_link_slot(kr__sim_net_due_link(i));
    for (uint32_t i = 0; i < o->links; i++) {
        uint32_t *slot = kr__priority_link_slot(kr__sim_net_due_link(i));
        spare_slot = 0;
        slots[n++] = slot ? slot : &spare_slot;
    }
    return kr__priority_choose(slots, n);
}

static uint32_t strategy_choice(uint32_t options, void *ctx)
{
    const step_options *o = ctx;
    switch (kr__sim.strategy) {
    case KR__STRATEGY_FIFO:
        /* timers, then the network, then processes round robin */
        return o->timer ? o->procs : o->links ? o->procs + o->timer : 0;
    case KR__STRATEGY_PCT:
    case KR__STRATEGY_POS:
        return priority_choice(options, o);
    default:
        return (uint32_t)kr__prng_below(&kr__sim.sched, options);
    }
}

static uint32_t tie_choice(uint32_t options, void *ctx)
{
    (void)ctx;
    return kr__sim.strategy == KR__STRATEGY_FIFO ? 0 : (uint32_t)kr__prng_below(&kr__sim.ties, options);
}

static size_t choose_tie(size_t n) { return kr__sim_decide((uint32_t)n, tie_choice, NULL, NULL); }

static kr_time next_event_time(void)
{
    kr_time t = kr__timers_next_deadline(), n = kr__sim_net_next_at();
    kr_time p = kr__sim_pauses_next_end();
    t = n < t ? n : t;
    return p < t ? p : t;
}

/* The id's part of the trace hash, computed once per process (zeroed by
 * kr_process_init; ids never change after it). */
static uint64_t id_hash(kr__proc *p)
{
    if (p->sched_key == 0)
        p->sched_key = kr__hash_str(p->pid.id);
    return p->sched_key;
}

static void run_process(kr__proc *p)
{
    kr__sim_hash(id_hash(p));
    if (kr__sim_observing() && atomic_load_explicit(&p->state, memory_order_relaxed) == KR__BOTTOM) {
        char buf[24];
        const char *node = kr__sim_address_text(p->pid.ip, p->pid.port, buf, sizeof buf);
        kr__sim_emit("init", node, p->pid.id, "", KR_PID_NONE, p->pid, NULL, 0);
    }
    kr__sim.stepping = true;
    if (kr__process_run(p, 1) == KR__RUN_MORE)
        make_runnable(p);
    kr__sim.stepping = false;
    if (kr__sim.event_cost_max > 0) /* a busy machine: each event takes time */
        kr__sim.now += (kr_duration)kr__prng_below(&kr__sim.cost, (uint64_t)kr__sim.event_cost_max + 1);
}

/* The entity behind option i of a step, by name, not position: the
 * process (its pid), the timer, the link (its two nodes); never 0. */
static uint64_t identify(uint32_t i, void *ctx)
{
    const step_options *o = ctx;
    if (i < o->procs) {
        kr__proc *p = *ring_at(i);
        return kr__hash_mix(id_hash(p), ((uint64_t)p->pid.ip << 16) | p->pid.port) | 1;
    }
    if (i < o->procs + o->timer)
        return 2;
    return kr__hash_mix(0x6c696e6bull, kr__sim_net_link_key(kr__sim_net_due_link(i - o->procs - o->timer))) | 1;
}

/* One step; virtual time may jump at most to `horizon`. */
bool kr__sim_step_until(kr_time horizon)
{
    /* A failed check stops the run, but kr_finalize must still be able to
     * terminate every process; it does so under the plain strategy. */
    bool finalizing = atomic_load(&kr__finalizing);
    if (kr__sim.failure && !finalizing)
        return false;
    if (finalizing)
        kr__sim.replay_pos = kr__sim.replay_len;
    if (kr__sim.paused_nodes)
        kr__sim_unpark_due();
    step_options o = {.procs = (uint32_t)kr__sim.ring_len};
    o.timer = kr__timers_next_deadline() <= kr__sim.now;
    o.links = (uint32_t)kr__sim_net_due();
    if (o.procs == 0 && !o.timer && o.links == 0) {
        kr_time next = next_event_time();
        if (kr__sim.paused || next == INT64_MAX || next > horizon)
            return false;
        kr__sim.now = next; /* nothing can run: jump to the next deadline */
        kr__sim_hash((uint64_t)kr__sim.now);
        if (kr__sim.paused_nodes)
            kr__sim_unpark_due();
        o.procs = (uint32_t)kr__sim.ring_len;
        o.timer = kr__timers_next_deadline() <= kr__sim.now;
        o.links = (uint32_t)kr__sim_net_due();
    }
    uint32_t options = o.procs + o.timer + o.links;
    uint32_t chosen = kr__sim_decide(options, strategy_choice, identify, &o);
    if (kr__sim.failure && !finalizing)
        return false; /* the schedule being replayed no longer fits */
    kr__sim.steps++;
    if (chosen < o.procs) {
        run_process(ring_take(chosen));
    } else if (chosen < o.procs + o.timer) {
        /* Paused time promises creation order among equal deadlines. */
        kr__timer *t = kr__timers_pop_due(kr__sim.now, kr__sim.paused ? NULL : choose_tie);
        if (t) {
            kr__sim_emit("timer", "", "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
            kr__timer_fire(t);
        }
    } else {
        kr__sim_net_deliver(chosen - o.procs - o.timer);
    }
    if (kr__sim.process_ended)
        kr__sim_links_check(); /* remote links to what ended now close */
    return true;
}

/* ---- the public driving API and blocking calls ---------------------------- */

uint64_t kr_sim_seed(void) { return kr__sim.seed; }

int kr_sim_event_cost(kr_duration max)
{
    if (max < 0)
        return KR_EINVAL;
    kr__sim.event_cost_max = max;
    return 0;
}

bool kr_sim_quiescent(void)
{
    return kr__sim.ring_len == 0 && kr__sim_parked() == 0 && kr__sim_net_next_at() == INT64_MAX;
}
uint64_t kr_sim_steps(void) { return kr__sim.steps; }
const char *kr_sim_failure(void) { return kr__sim.failure; }
uint64_t kr_sim_trace_hash(void) { return kr__sim.hash; }

static bool driving_thread(const char *what)
{
    if (!atomic_load(&kr__is_running))
        return false;
    if (kr__current_proc) {
        kr__log("%s called inside process %s: only the driving thread steps", what,
                kr__current_proc->pid.id);
        return false;
    }
    return true;
}

bool kr_sim_step(void) { return driving_thread("kr_sim_step") && kr__sim_step_until(INT64_MAX); }

bool kr_sim_step_until(kr_time horizon)
{
    return driving_thread("kr_sim_step_until") && kr__sim_step_until(horizon);
}

size_t kr_sim_run(size_t max_steps)
{
    if (!driving_thread("kr_sim_run"))
        return 0;
    size_t n = 0;
    while ((max_steps == 0 || n < max_steps) && kr__sim_step_until(INT64_MAX))
        n++;
    return n;
}

bool kr__backend_block_until(kr__wait_kind kind, bool (*done)(void *ctx), void *ctx,
                             kr_duration timeout)
{
    (void)kind; /* one thread: the simulation runs until done holds */
    bool forever = timeout == KR_FOREVER || timeout > INT64_MAX - kr__sim.now;
    kr_time horizon = forever ? INT64_MAX : kr__sim.now + (timeout < 0 ? 0 : timeout);
    for (uint64_t n = 0; !done(ctx); n++) {
        if (n == BLOCK_STEPS_MAX) {
            kr__log("sim: a blocking call gave up after %llu steps (runaway timers or "
                    "messages?) at step %" PRIu64,
                    (unsigned long long)n, kr__sim.steps);
            return false;
        }
        if (!kr__sim_step_until(horizon)) {
            /* Nothing left before the timeout: the wait used that virtual
             * time up, as a real wait would. */
            if (!forever && !kr__sim.paused && !kr__sim.failure && horizon > kr__sim.now)
                kr__sim.now = horizon;
            return done(ctx);
        }
    }
    return true;
}

void kr__backend_wake(kr__wait_kind kind)
{
    if (kind == KR__WAIT_PROCESS)
        kr__sim.process_ended = true; /* its remote links close after this step */
}

/* One thread, one event per step: nothing to hand over. */
void kr__backend_backlog(kr__proc *p) { (void)p; }

void kr__backend_turn_releasing(void) {}

static bool settled(void)
{
    return kr__sim.ring_len == 0 && kr__timers_next_deadline() > kr__sim.now && kr__sim_net_due() == 0;
}

void kr__backend_settle(void)
{
    for (uint64_t n = 0; !settled(); n++) {
        if (n == BLOCK_STEPS_MAX) {
            kr__log("sim: kr_clock_settle gave up after %llu steps", (unsigned long long)n);
            return;
        }
        if (!kr__sim_step_until(kr__sim.now)) /* settle never moves time */
            return;
    }
}

/* ---- randomness, fault points, checks ------------------------------------ */

uint64_t kr__backend_random(void) { return kr__prng_next(&kr__sim.user); }

bool kr__backend_buggify(double p, const char *file, int line)
{
    /* The site's fate for this seed depends only on (seed, file name, line):
     * the base name, so build directories do not change it. */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    uint64_t site = kr__hash_mix(kr__hash_mix(kr__sim.seed, kr__hash_str(base)), (uint64_t)line);
    if ((site & 3) != 0)
        return false; /* enabled for one seed in four, as FoundationDB */
    return kr__prng_unit(&kr__sim.faults) < p;
}

/* `kairos sweep --exec` runs a test program per seed and names each
 * failure by its kr_check: it sets KAIROS_FAILURE_FILE, and every failed
 * check appends one line there (a program may stop at the first one or go
 * on; the sweep keeps the first line). */
static void report_check_failure(const char *full)
{
    const char *path = getenv("KAIROS_FAILURE_FILE");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    fprintf(f, "%s\n", full);
    fclose(f);
}

void kr__backend_check_failed(const char *msg)
{
    char full[768];
    snprintf(full, sizeof full, "%s (process %s, step %" PRIu64 ", time %+.9fs, seed %" PRIu64 ")",
             msg, kr__current_proc ? kr__current_proc->pid.id : "-", kr__sim.steps,
             (double)(kr__sim.now - KR__SIM_EPOCH) / 1e9, kr__sim.seed);
    kr__sim_fail(full);
    kr__sim_emit("check", "", kr__current_proc ? kr__current_proc->pid.id : "", msg, KR_PID_NONE,
                 KR_PID_NONE, NULL, 0);
    report_check_failure(full);
}
