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

kr__sim kr__sim_state;
#define S kr__sim_state

/* Blocking calls give up after this many steps, so a runaway self-rearming
 * timer is reported instead of hanging. */
#define BLOCK_STEPS_MAX 100000000ull

const char kr__backend_name[] = "sim";

enum { STREAM_SCHED = 1, STREAM_TIES, STREAM_USER, STREAM_FAULTS, STREAM_NET, STREAM_COST };

void kr__sim_seed_streams(uint64_t seed)
{
    S.seed = seed;
    kr__prng_seed(&S.sched, seed, STREAM_SCHED);
    kr__prng_seed(&S.ties, seed, STREAM_TIES);
    kr__prng_seed(&S.user, seed, STREAM_USER);
    kr__prng_seed(&S.faults, seed, STREAM_FAULTS);
    kr__prng_seed(&S.net, seed, STREAM_NET);
    kr__prng_seed(&S.cost, seed, STREAM_COST);
}

/* The priority slot of every option, for PCT and POS. */
static uint32_t **slots;
static size_t slots_cap;
static uint32_t spare_slot; /* a link whose slot could not be allocated */

int kr__backend_start(const kr__config *cfg)
{
    free(S.ring);
    free(S.failure);
    kr__free(S.log);
    kr__free(S.replay);
    memset(&S, 0, sizeof S);
    kr__sim_seed_streams(cfg->seed);
    S.strategy = strcmp(cfg->strategy, "fifo") == 0  ? KR__STRATEGY_FIFO
                 : strcmp(cfg->strategy, "pct") == 0 ? KR__STRATEGY_PCT
                 : strcmp(cfg->strategy, "pos") == 0 ? KR__STRATEGY_POS
                                                     : KR__STRATEGY_RANDOM;
    if (S.strategy == KR__STRATEGY_PCT || S.strategy == KR__STRATEGY_POS)
        kr__priority_start(cfg->pct_depth, cfg->pct_steps);
    S.now = KR__SIM_EPOCH;
    S.hash = 0x6b6169726f73ull; /* "kairos" */
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
    free(S.ring);
    S.ring = NULL;
    S.ring_len = S.ring_cap = S.ring_head = 0;
    /* The failure, the decision log and the hash stay readable after
     * kr_finalize, until the next kr_init. */
}

/* ---- clock -------------------------------------------------------------- */

kr_time kr__backend_now(void) { return S.now; }
void kr__backend_pause(void) { S.paused = true; }
void kr__backend_resume(void) { S.paused = false; }
bool kr__backend_paused(void) { return S.paused; }

void kr__backend_advance_to(kr_time t)
{
    if (t > S.now)
        S.now = t;
}

void kr__backend_timers_changed(void) {}

/* ---- the ring of runnable processes -------------------------------------- */

static void ring_push(kr__proc *p)
{
    if (S.ring_len == S.ring_cap) {
        size_t cap = S.ring_cap ? S.ring_cap * 2 : 64;
        kr__proc **r = malloc(cap * sizeof *r);
        if (!r) {
            kr__log("sim: out of memory growing the run queue");
            abort(); /* cannot lose a runnable process and stay correct */
        }
        for (size_t i = 0; i < S.ring_len; i++)
            r[i] = S.ring[(S.ring_head + i) & (S.ring_cap - 1)];
        free(S.ring);
        S.ring = r;
        S.ring_cap = cap;
        S.ring_head = 0;
    }
    S.ring[(S.ring_head + S.ring_len++) & (S.ring_cap - 1)] = p;
}

static kr__proc **ring_at(size_t i) { return &S.ring[(S.ring_head + i) & (S.ring_cap - 1)]; }

/* Removes the i-th entry: swapped with the front, then the front popped. */
static kr__proc *ring_take(size_t i)
{
    kr__proc *p = *ring_at(i);
    *ring_at(i) = *ring_at(0);
    S.ring_head = (S.ring_head + 1) & (S.ring_cap - 1);
    S.ring_len--;
    return p;
}

void kr__sim_unschedule(kr__proc *p)
{
    for (size_t i = 0; i < S.ring_len; i++) {
        if (*ring_at(i) == p) {
            ring_take(i);
            return;
        }
    }
}

void kr__backend_schedule(kr__proc *p) { ring_push(p); }

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
        uint32_t **s = realloc(slots, cap * sizeof *s);
        if (!s)
            return (uint32_t)kr__prng_below(&S.sched, options); /* degrade, stay correct */
        slots = s;
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
    switch (S.strategy) {
    case KR__STRATEGY_FIFO:
        /* timers, then the network, then processes round robin */
        return o->timer ? o->procs : o->links ? o->procs + o->timer : 0;
    case KR__STRATEGY_PCT:
    case KR__STRATEGY_POS:
        return priority_choice(options, o);
    default:
        return (uint32_t)kr__prng_below(&S.sched, options);
    }
}

static uint32_t tie_choice(uint32_t options, void *ctx)
{
    (void)ctx;
    return S.strategy == KR__STRATEGY_FIFO ? 0 : (uint32_t)kr__prng_below(&S.ties, options);
}

static size_t choose_tie(size_t n) { return kr__sim_decide((uint32_t)n, tie_choice, NULL); }

static kr_time next_event_time(void)
{
    kr_time t = kr__timers_next_deadline(), n = kr__sim_net_next_at();
    return n < t ? n : t;
}

static void run_process(kr__proc *p)
{
    kr__sim_hash(kr__hash_str(p->pid.id));
    if (kr__sim_observing() && atomic_load_explicit(&p->state, memory_order_relaxed) == KR__BOTTOM) {
        char node[24], ip[16];
        kr__ip_format(p->pid.ip, ip, sizeof ip);
        snprintf(node, sizeof node, "%s:%u", ip, (unsigned)p->pid.port);
        kr__sim_emit("init", node, p->pid.id, "", KR_PID_NONE, p->pid, NULL, 0);
    }
    S.stepping = true;
    if (kr__process_run(p, 1) == KR__RUN_MORE)
        ring_push(p);
    S.stepping = false;
    if (S.event_cost_max > 0) /* a busy machine: each event takes time */
        S.now += (kr_duration)kr__prng_below(&S.cost, (uint64_t)S.event_cost_max + 1);
}

/* One step; virtual time may jump at most to `horizon`. */
bool kr__sim_step_until(kr_time horizon)
{
    /* A failed check stops the run, but kr_finalize must still be able to
     * terminate every process; it does so under the plain strategy. */
    bool finalizing = atomic_load(&kr__finalizing);
    if (S.failure && !finalizing)
        return false;
    if (finalizing)
        S.replay_pos = S.replay_len;
    step_options o = {.procs = (uint32_t)S.ring_len};
    o.timer = kr__timers_next_deadline() <= S.now;
    o.links = (uint32_t)kr__sim_net_due();
    if (o.procs == 0 && !o.timer && o.links == 0) {
        kr_time next = next_event_time();
        if (S.paused || next == INT64_MAX || next > horizon)
            return false;
        S.now = next; /* nothing can run: jump to the next deadline */
        kr__sim_hash((uint64_t)S.now);
        o.timer = kr__timers_next_deadline() <= S.now;
        o.links = (uint32_t)kr__sim_net_due();
    }
    uint32_t options = o.procs + o.timer + o.links;
    uint32_t chosen = kr__sim_decide(options, strategy_choice, &o);
    if (S.failure && !finalizing)
        return false; /* the schedule being replayed no longer fits */
    S.steps++;
    if (chosen < o.procs) {
        run_process(ring_take(chosen));
    } else if (chosen < o.procs + o.timer) {
        /* Paused time promises creation order among equal deadlines. */
        kr__timer *t = kr__timers_pop_due(S.now, S.paused ? NULL : choose_tie);
        if (t) {
            kr__sim_emit("timer", "", "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
            kr__timer_fire(t);
        }
    } else {
        kr__sim_net_deliver(chosen - o.procs - o.timer);
    }
    return true;
}

/* ---- the public driving API and blocking calls ---------------------------- */

uint64_t kr_sim_seed(void) { return S.seed; }

int kr_sim_event_cost(kr_duration max)
{
    if (max < 0)
        return KR_EINVAL;
    S.event_cost_max = max;
    return 0;
}

bool kr_sim_quiescent(void) { return S.ring_len == 0 && kr__sim_net_next_at() == INT64_MAX; }
uint64_t kr_sim_steps(void) { return S.steps; }
const char *kr_sim_failure(void) { return S.failure; }
uint64_t kr_sim_trace_hash(void) { return S.hash; }

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
    bool forever = timeout == KR_FOREVER || timeout > INT64_MAX - S.now;
    kr_time horizon = forever ? INT64_MAX : S.now + (timeout < 0 ? 0 : timeout);
    for (uint64_t n = 0; !done(ctx); n++) {
        if (n == BLOCK_STEPS_MAX) {
            kr__log("sim: a blocking call gave up after %llu steps (runaway timers or "
                    "messages?) at step %" PRIu64,
                    (unsigned long long)n, S.steps);
            return false;
        }
        if (!kr__sim_step_until(horizon)) {
            /* Nothing left before the timeout: the wait used that virtual
             * time up, as a real wait would. */
            if (!forever && !S.paused && !S.failure && horizon > S.now)
                S.now = horizon;
            return done(ctx);
        }
    }
    return true;
}

void kr__backend_wake(kr__wait_kind kind) { (void)kind; }

/* One thread, one event per step: nothing to hand over. */
void kr__backend_backlog(kr__proc *p) { (void)p; }

static bool settled(void)
{
    return S.ring_len == 0 && kr__timers_next_deadline() > S.now && kr__sim_net_due() == 0;
}

void kr__backend_settle(void)
{
    for (uint64_t n = 0; !settled(); n++) {
        if (n == BLOCK_STEPS_MAX) {
            kr__log("sim: kr_clock_settle gave up after %llu steps", (unsigned long long)n);
            return;
        }
        if (!kr__sim_step_until(S.now)) /* settle never moves time */
            return;
    }
}

/* ---- randomness, fault points, checks ------------------------------------ */

uint64_t kr__backend_random(void) { return kr__prng_next(&S.user); }

bool kr__backend_buggify(double p, const char *file, int line)
{
    /* The site's fate for this seed depends only on (seed, file name, line):
     * the base name, so build directories do not change it. */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    uint64_t site = kr__hash_mix(kr__hash_mix(S.seed, kr__hash_str(base)), (uint64_t)line);
    if ((site & 3) != 0)
        return false; /* enabled for one seed in four, as FoundationDB */
    return kr__prng_unit(&S.faults) < p;
}

void kr__backend_check_failed(const char *msg)
{
    char full[768];
    snprintf(full, sizeof full, "%s (process %s, step %" PRIu64 ", time %+.9fs, seed %" PRIu64 ")",
             msg, kr__current_proc ? kr__current_proc->pid.id : "-", S.steps,
             (double)(S.now - KR__SIM_EPOCH) / 1e9, S.seed);
    kr__sim_fail(full);
    kr__sim_emit("check", "", kr__current_proc ? kr__current_proc->pid.id : "", msg, KR_PID_NONE,
                 KR_PID_NONE, NULL, 0);
}
