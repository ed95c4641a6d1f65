/* One run of a scenario under one seed.
 *
 * The runner builds the scenario's nodes and network, spawns each node's
 * processes from its start function (so a restart spawns them again), turns
 * every scripted action and every seeded random fault into a timer at its
 * virtual time (so faults are scheduling choices like any other event), then
 * steps the simulation, checking the invariants after every step, until
 * nothing is left, the time limit passes, or something fails. */
#include "runner_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct live_proc {
    kr_process *p;
    const char *type;
    kr_pid pid;
} live_proc;

typedef struct counter {
    char *name;
    uint64_t n;
} counter;

typedef struct counters {
    counter *items;
    size_t len, cap;
} counters;


static struct run {
    bool active;
    const scenario *s;
    const sc_options *o;
    sc_result *r;
    sc_trace *trace;
    kr_time epoch;
    live_proc *live;
    size_t n_live, cap_live;
    counters delivered;
    timed *timeline;
    size_t n_timeline;
    bool dry; /* kr__sc_check_args: build each process, spawn none */
    kr_time last_fault; /* absolute; liveness counts from here */
    bool liveness_met;
    bool fault_done; /* a fault ran since the invariants were last checked */
    sc_swarm swarm;  /* the faults and network this run uses (drawn with swarm) */
    char error[512];
    bool error_set;
} current_run;

/* ---- counting ------------------------------------------------------------- */

static void count(counters *c, const char *name)
{
    for (size_t i = 0; i < c->len; i++) {
        if (strcmp(c->items[i].name, name) == 0) {
            c->items[i].n++;
            return;
        }
    }
    counter *grown = kr__sc_grow(c->items, &c->cap, c->len, sizeof *grown, 16);
    if (!grown)
        return;
    c->items = grown;
    char *copy = strdup(name);
    if (copy)
        c->items[c->len++] = (counter){copy, 1};
}

static uint64_t count_of(const counters *c, const char *name)
{
    for (size_t i = 0; i < c->len; i++)
        if (strcmp(c->items[i].name, name) == 0)
            return c->items[i].n;
    return 0;
}

static void counters_free(counters *c)
{
    for (size_t i = 0; i < c->len; i++)
        free(c->items[i].name);
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* ---- process iteration (public) -------------------------------- */

void kr_sc_each(const char *type, void (*fn)(kr_process *p, const char *type, void *ctx),
                void *ctx)
{
    if (!fn || !current_run.active)
        return;
    for (size_t i = 0; i < current_run.n_live; i++) {
        live_proc *l = &current_run.live[i];
        if (type && strcmp(type, l->type) != 0)
            continue;
        kr_pid pid = l->pid;
        if (kr_sim_alive(pid)) /* crashed ones are gone */
            fn(l->p, l->type, ctx);
    }
}

/* ---- failing ------------------------------------------------------------------ */

static void record_failure(const char *signature, const char *failure)
{
    sc_result *r = current_run.r;
    r->status = SC_FAIL;
    snprintf(r->failure, sizeof r->failure, "%s", failure);
    snprintf(r->signature, sizeof r->signature, "%s", signature);
    r->fail_step = kr_sim_steps();
    r->fail_time = kr_sim_elapsed();
}

/* A failure the runner found (invariant, expectation, limit): recorded and
 * put in the trace as a check event. */
static void fail(const char *signature, const char *fmt, ...) KR_PRINTF(2, 3);

static void fail(const char *signature, const char *fmt, ...)
{
    if (current_run.r->status != SC_PASS)
        return;
    char failure[sizeof current_run.r->failure];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
    record_failure(signature, failure);
    kr_sim_note(&(kr_sim_event){.kind = "check", .name = current_run.r->failure});
}

/* A kr_check that failed in actor code: the simulator already traced it. */
static void fail_traced(const char *signature, const char *failure)
{
    if (current_run.r->status == SC_PASS)
        record_failure(signature, failure);
}

static void setup_error(const char *fmt, ...) KR_PRINTF(1, 2);

static void setup_error(const char *fmt, ...)
{
    if (current_run.error_set)
        return;
    current_run.error_set = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current_run.error, sizeof current_run.error, fmt, ap);
    va_end(ap);
}

/* ---- observing the simulation ----------------------------------------------- */

const char *const kr__sc_fault_kinds[SC_FAULT_KINDS] = {
    "crash", "power-off", "restart", "partition", "cut",        "clog",
    "pause", "clock",     "write-lost", "write-torn", "write-kept", "disk-error"};

/* Counts the simulator's fault events (cheap first-letter filter: most
 * events are messages). */
static void count_fault(const char *kind)
{
    if (!strchr("cprw d", kind[0]))
        return;
    for (size_t k = 0; k < SC_FAULT_KINDS; k++)
        if (kr__sc_fault_kinds[k][0] == kind[0] && strcmp(kind, kr__sc_fault_kinds[k]) == 0) {
            current_run.r->faults[k]++;
            return;
        }
}

/* kind == name, with the first letter compared inline: observe sees every
 * event of every seed (~6 strcmp calls per event before). */
static bool kind_is(const char *kind, const char *name)
{
    return kind[0] == name[0] && strcmp(kind, name) == 0;
}

static void observe(const kr_sim_event *e, void *ctx)
{
    (void)ctx;
    count_fault(e->kind);
    bool message = kind_is(e->kind, "message");
    if (message)
        count(&current_run.delivered, e->name);
    if (message || kind_is(e->kind, "dispatch") || kind_is(e->kind, "exited") ||
        kind_is(e->kind, "init"))
        current_run.r->events++;
    if (current_run.trace)
        kr__sc_trace_event(current_run.trace, e);
    if (current_run.o->log) {
        char from[KR_PID_STRLEN_MAX] = "", to[KR_PID_STRLEN_MAX] = "";
        if (!kr_pid_is_none(e->from))
            kr_pid_format(e->from, from, sizeof from);
        if (!kr_pid_is_none(e->to))
            kr_pid_format(e->to, to, sizeof to);
        fprintf(current_run.o->log, "%8" PRIu64 " %12.6fs %-16s %-12s %-10s %-16s%s%s%s%s\n", e->step,
                (double)e->time / 1e9, e->node, e->process, e->kind, e->name,
                *from || *to ? " " : "", from, *from || *to ? " -> " : "", to);
    }
}

/* ---- spawning a node's processes ------------------------------------------------ */

static void remember(kr_process *p, const char *type, kr_pid pid)
{
    live_proc *grown = kr__sc_grow(current_run.live, &current_run.cap_live, current_run.n_live, sizeof *grown, 16);
    if (!grown) {
        setup_error("out of memory");
        return;
    }
    current_run.live = grown;
    current_run.live[current_run.n_live++] = (live_proc){p, type, pid};
}

static void start_node(const char *address, void *ctx)
{
    (void)address;
    size_t node = (size_t)(uintptr_t)ctx;
    const scenario *s = current_run.s;
    for (size_t i = 0; i < s->n_procs && !current_run.error_set; i++) {
        const sc_process *sp = &s->procs[i];
        if (sp->node != node)
            continue;
        const sc_type *t = kr__sc_type(sp->type);
        char why[512] = "";
        kr_sc_args args = {.s = s, .proc = sp, .map = sp->args, .error = why,
                           .error_len = sizeof why};
        kr_process *p = t ? t->make(sp->id, &args) : NULL;
        if (!p || args.failed) {
            if (p) /* built despite a bad argument: not ours to run, ours to free */
                kr_process_discard(p);
            if (args.failed)
                setup_error("%s", why);
            else
                setup_error("%s:%d:%d: actor type '%s' could not build process '%s'", s->file,
                            sp->pos.line, sp->pos.col, sp->type, sp->id);
            return;
        }
        if (current_run.dry) { /* checked, as a run would build it: not to be run */
            kr_process_discard(p);
            continue;
        }
        kr_pid pid = kr_spawn(p, true);
        if (kr_pid_is_none(pid)) {
            setup_error("%s:%d:%d: could not spawn '%s'", s->file, sp->pos.line, sp->pos.col,
                        sp->id);
            return;
        }
        remember(p, t->name, pid);
    }
}

/* ---- actions ------------------------------------------------------------------- */

/* An HTTP request from outside every node to `node` (its answer, if any,
 * shows in the trace; stimuli do not wait for it). */
static kr_future *http_request(size_t node, const char *method, const char *path,
                               const char *body, size_t len)
{
    char url[512];
    snprintf(url, sizeof url, "http://%s%s", current_run.s->nodes[node].address, path);
    if (strcmp(method, "GET") == 0)
        return kr_http_get(url);
    return kr_http_post(url, "application/octet-stream", body ? body : "", body ? len : 0);
}

static kr_pid target_pid(size_t proc)
{
    kr_pid pid = KR_PID_NONE;
    const sc_process *sp = &current_run.s->procs[proc];
    char text[KR_PID_STRLEN_MAX];
    snprintf(text, sizeof text, "%s@%s", sp->id, current_run.s->nodes[sp->node].address);
    kr_pid_parse(text, &pid);
    return pid;
}

static bool is_fault(sc_action_kind k)
{
    return k != SC_POST && k != SC_DISPATCH && k != SC_HTTP;
}

/* How long after it starts a fault is over by itself (clog, pause). */
static kr_duration fault_length(const sc_action *a)
{
    return a->kind == SC_CLOG || a->kind == SC_PAUSE ? a->duration : 0;
}

/* A scripted stimulus in the event stream, before it takes effect. */
static void note_stimulus(const char *node, const char *process, const char *name, kr_pid to,
                          const void *body, size_t len)
{
    kr_sim_note(&(kr_sim_event){.kind = "stimulus", .node = node, .process = process,
                                .name = name, .to = to, .body = body, .len = len});
}

static void perform(const sc_action *a)
{
    const scenario *s = current_run.s;
    if (is_fault(a->kind))
        current_run.fault_done = true;
    switch (a->kind) {
    case SC_POST: {
        kr_pid to = target_pid(a->target);
        note_stimulus(s->nodes[s->procs[a->target].node].address, to.id, a->name, to, a->body,
                      a->body_len);
        kr_post(to, a->name, a->body ? a->body : "", a->body_len);
        break;
    }
    case SC_DISPATCH: {
        kr_pid to = target_pid(a->target);
        kr_fn fn = kr__sc_action(s->procs[a->target].type, a->name);
        note_stimulus(s->nodes[s->procs[a->target].node].address, to.id, a->name, to, NULL, 0);
        if (fn)
            kr_dispatch(to, fn, NULL, 0);
        break;
    }
    case SC_HTTP: {
        note_stimulus(s->nodes[a->node].address, "", a->path, KR_PID_NONE, a->body, a->body_len);
        kr_future_unref(http_request(a->node, a->method, a->path, a->body, a->body_len));
        break;
    }
    case SC_PARTITION: {
        const char *left[KR_SIM_NODES_MAX], *right[KR_SIM_NODES_MAX];
        for (size_t i = 0; i < a->na; i++)
            left[i] = s->nodes[a->side_a[i]].address;
        for (size_t i = 0; i < a->nb; i++)
            right[i] = s->nodes[a->side_b[i]].address;
        kr_sim_partition(left, a->na, right, a->nb);
        break;
    }
    case SC_HEAL:
        kr_sim_heal();
        break;
    case SC_CRASH:
        kr_sim_crash(s->nodes[a->node].address);
        break;
    case SC_RESTART:
        kr_sim_restart(s->nodes[a->node].address);
        break;
    case SC_CLOG:
        kr_sim_clog(s->nodes[a->from_node].address, s->nodes[a->to_node].address, a->duration);
        break;
    case SC_POWER_OFF:
        kr_sim_power_off(s->nodes[a->node].address);
        break;
    case SC_CUT:
        kr_sim_cut(s->nodes[a->from_node].address, s->nodes[a->to_node].address);
        break;
    case SC_PAUSE:
        kr_sim_pause(s->nodes[a->node].address, a->duration);
        break;
    case SC_CLOCK:
        kr_sim_clock_skew(s->nodes[a->node].address, a->clock_offset, a->clock_drift);
        break;
    case SC_DISK:
        kr_sim_disk_faults(s->nodes[a->node].address, &a->disk);
        break;
    }
}

static void fire_timed(void *ctx)
{
    timed *t = ctx;
    for (size_t i = 0; i < t->batch; i++)
        perform(&t[i].action);
}

static void schedule_action(timed *t)
{
    kr_time at = current_run.epoch + t->action.at;
    kr_time settled = at + fault_length(&t->action);
    if (is_fault(t->action.kind) && settled > current_run.last_fault)
        current_run.last_fault = settled;
    if (t->batch && !kr_sim_at(at, fire_timed, NULL, t))
        setup_error("out of memory scheduling actions");
}

/* A node that joins late: its processes start now. */
static void join_node(void *ctx)
{
    size_t i = (size_t)(uintptr_t)ctx;
    kr_sim_on_start(current_run.s->nodes[i].address, start_node, ctx);
}

/* Each node's clock and disk, then its processes: at once, or at its
 * `start` time (until then the node exists but runs nothing). */
static void start_nodes(void)
{
    const scenario *s = current_run.s;
    for (size_t i = 0; i < s->n_nodes && !current_run.error_set; i++) {
        const sc_node *n = &s->nodes[i];
        if (n->start > 0 && !current_run.dry)
            kr_sim_node(n->address); /* exists from the start, though it joins late */
        if (n->clock_offset != 0 || n->clock_drift != 0)
            kr_sim_clock_skew(n->address, n->clock_offset, n->clock_drift);
        if (n->disk.write_error > 0 || n->disk.read_error > 0 || n->disk.corrupt > 0)
            kr_sim_disk_faults(n->address, &n->disk);
        if (n->start == 0 || current_run.dry)
            kr_sim_on_start(n->address, start_node, (void *)(uintptr_t)i);
        else if (!kr_sim_at(current_run.epoch + n->start, join_node, NULL, (void *)(uintptr_t)i))
            setup_error("out of memory scheduling node '%s'", n->name);
    }
}

static bool build_timeline(void)
{
    const scenario *s = current_run.s;
    size_t max_random = 0;
    if (s->random_faults.enabled && !current_run.o->no_random_faults)
        max_random = KR__SC_RANDOM_FAULTS_MAX;
    current_run.timeline = calloc(s->n_actions + max_random + 1, sizeof *current_run.timeline);
    if (!current_run.timeline)
        return false;
    size_t n = kr__sc_timeline(s, current_run.o, max_random ? &current_run.swarm.faults : NULL,
                               current_run.timeline);
    if (n == SIZE_MAX)
        return false;
    current_run.n_timeline = n;
    for (size_t i = 0; i < n; i++)
        schedule_action(&current_run.timeline[i]);
    return true;
}

/* ---- checks --------------------------------------------------------------------- */

static void check_invariants(void)
{
    const scenario *s = current_run.s;
    for (size_t i = 0; i < s->n_invariants && current_run.r->status == SC_PASS; i++) {
        char why[256] = "";
        kr_invariant_fn check = kr__sc_invariant(s->invariants[i]);
        if (check && !check(why, sizeof why)) {
            char sig[96];
            snprintf(sig, sizeof sig, "invariant %s", s->invariants[i]);
            fail(sig, "invariant %s: %s", s->invariants[i], why[0] ? why : "does not hold");
        }
    }
}

/* Whether this step's state is one the scenario's `every` checks: every
 * step, every N-th step, and with N or `end` also right after a fault. */
static bool invariants_due(void)
{
    uint64_t every = current_run.s->invariants_every;
    if (every == SC_INVARIANTS_EVERY_STEP)
        return true;
    bool due = current_run.fault_done || (every != SC_INVARIANTS_AT_END && kr_sim_steps() % every == 0);
    if (due)
        current_run.fault_done = false;
    return due;
}

static void check_liveness(bool at_end)
{
    const scenario *s = current_run.s;
    if (!s->liveness_check || current_run.liveness_met || current_run.r->status != SC_PASS)
        return;
    kr_time now = kr_clock_now();
    if (now < current_run.last_fault && !at_end)
        return;
    char why[256] = "";
    kr_invariant_fn check = kr__sc_invariant(s->liveness_check);
    if (check && check(why, sizeof why)) {
        current_run.liveness_met = true;
        return;
    }
    kr_time deadline = current_run.last_fault + s->liveness_within;
    if (now > deadline || at_end) {
        char sig[96];
        snprintf(sig, sizeof sig, "liveness %s", s->liveness_check);
        fail(sig, "liveness: %s did not hold within %.3fs after the last fault (%s)",
             s->liveness_check, (double)s->liveness_within / 1e9, why[0] ? why : "never true");
    }
}

/* The node answers method path with the status (and a body containing
 * x->body), asked from outside at the end of the run. */
static void check_http(const sc_expect *x)
{
    char sig[160];
    snprintf(sig, sizeof sig, "expect http %s %s", x->method, x->path);
    kr_future *f = http_request(x->node, x->method, x->path, NULL, 0);
    bool done = f && kr_future_await(f, KR_SEC(30));
    kr_http_response *r = done ? kr_future_value(f) : NULL;
    if (!r)
        fail(sig, "expected %s %s on %s to answer %d, got %s", x->method, x->path,
             current_run.s->nodes[x->node].name, x->status,
             !done ? "no answer" : kr_future_error(f) ? kr_future_error(f) : "no response");
    else if (r->status != x->status || (x->body && !strstr(r->body, x->body)))
        fail(sig, "expected %s %s on %s to answer %d%s%s, got %d \"%.80s\"", x->method, x->path,
             current_run.s->nodes[x->node].name, x->status, x->body ? " with " : "", x->body ? x->body : "",
             r->status, r->body);
    kr_future_unref(f);
}

static void check_expectations(void)
{
    const scenario *s = current_run.s;
    for (size_t i = 0; i < s->n_expects && current_run.r->status == SC_PASS; i++) {
        const sc_expect *x = &s->expects[i];
        char sig[160];
        switch (x->kind) {
        case SC_EXPECT_DELIVERED: {
            uint64_t n = count_of(&current_run.delivered, x->name);
            if (n < (uint64_t)x->at_least) { /* the signature only for a failure */
                snprintf(sig, sizeof sig, "expect delivered %s", x->name);
                fail(sig, "expected message '%s' delivered at least %" PRId64 " times, got %" PRIu64,
                     x->name, x->at_least, n);
            }
            break;
        }
        case SC_EXPECT_QUIESCENT:
            if (!kr_sim_quiescent())
                fail("expect quiescent", "expected all processes quiescent at the end");
            break;
        case SC_EXPECT_INVARIANT: {
            char why[256] = "";
            kr_invariant_fn check = kr__sc_invariant(x->name);
            if (check && !check(why, sizeof why)) {
                snprintf(sig, sizeof sig, "invariant %s", x->name);
                fail(sig, "invariant %s at the end: %s", x->name, why[0] ? why : "does not hold");
            }
            break;
        }
        case SC_EXPECT_PROBE: {
            uint64_t n = kr_probe_count(x->name);
            if (n < (uint64_t)x->at_least) {
                snprintf(sig, sizeof sig, "expect probe %s", x->name);
                fail(sig, "expected probe '%s' hit at least %" PRId64 " times, got %" PRIu64, x->name,
                     x->at_least, n);
            }
            break;
        }
        case SC_EXPECT_HTTP:
            check_http(x);
            break;
        }
    }
}

/* ---- the run ---------------------------------------------------------------------- */

/* A network's drop and duplicate rates as shrink lowered them. The draws
 * are per message and compared with the rate, so a lower rate drops or
 * duplicates a subset of the same messages. */
static kr_sim_net scaled(const kr_sim_net *net, const sc_options *o)
{
    kr_sim_net n = *net;
    if (o->rates_scaled) {
        n.drop = n.drop * o->drop_percent / 100;
        n.duplicate = n.duplicate * o->duplicate_percent / 100;
    }
    return n;
}

/* The scenario's faults and network, or with swarm the seed's draw. */
static sc_swarm run_config(const scenario *s, const sc_options *o)
{
    sc_swarm w = {.faults = s->random_faults, .net = s->net, .event_cost_max = s->event_cost_max};
    if (o->swarm || s->swarm)
        kr__sc_swarm_draw(s, o->seed, &w);
    w.net = scaled(&w.net, o);
    return w;
}

static int start_runtime(const scenario *s, const sc_options *o)
{
    kr_config c = {.seed = o->seed,
                   .strategy = o->strategy ? o->strategy : s->strategy,
                   .pct_depth = o->pct_depth ? o->pct_depth : s->pct_depth,
                   .pct_steps = o->pct_steps ? o->pct_steps : s->pct_steps};
    int rc = kr_init(&c);
    if (rc != 0)
        return rc;
    if (o->schedule_len)
        rc = kr_sim_schedule((const uint32_t(*)[2])(const void *)o->schedule, o->schedule_len);
    if (rc == 0 && (o->schedule_ids || o->record_ids))
        rc = kr_sim_schedule_ids(o->schedule_ids, o->schedule_ids ? o->schedule_len : 0);
    if (rc != 0) {
        kr_finalize();
        return rc;
    }
    for (size_t i = 0; i < o->n_message_faults; i++) {
        rc = kr_sim_message_fault(o->message_faults[i].send, o->message_faults[i].kind);
        if (rc != 0) {
            kr_finalize();
            return rc;
        }
    }
    current_run.swarm = run_config(s, o);
    kr_sim_network(&current_run.swarm.net);
    kr_sim_event_cost(current_run.swarm.event_cost_max);
    for (size_t i = 0; i < s->n_links; i++) {
        kr_sim_net net = scaled(&s->links[i].net, o);
        kr_sim_link_network(s->nodes[s->links[i].from].address, s->nodes[s->links[i].to].address,
                            &net);
    }
    return 0;
}

static void run_loop(void)
{
    const scenario *s = current_run.s;
    kr_time end = current_run.epoch + s->time_limit;
    while (current_run.r->status == SC_PASS) {
        if (kr_sim_steps() >= s->step_limit) {
            fail("limit steps", "step limit %" PRIu64 " reached at %.3fs: runaway timers or "
                 "messages (raise limits.steps if this is expected)", s->step_limit,
                 (double)kr_sim_elapsed() / 1e9);
            break;
        }
        bool stepped = kr_sim_step_until(end);
        const char *failure = kr_sim_failure(); /* a kr_check, or a replay misfit */
        if (failure) {
            char sig[160];
            const char *colon = strstr(failure, ": ");
            if (strncmp(failure, "replay:", 7) == 0)
                snprintf(sig, sizeof sig, "replay misfit");
            else { /* "check FILE:LINE", the file's base name: the same everywhere */
                int len = colon ? (int)(colon - failure) : 60;
                const char *base = failure;
                for (const char *c = failure; c < failure + len && *c; c++)
                    if (*c == '/')
                        base = c + 1;
                snprintf(sig, sizeof sig, "check %.*s", len - (int)(base - failure), base);
            }
            fail_traced(sig, failure);
            break;
        }
        if (!stepped)
            break; /* nothing left before the time limit */
        if (invariants_due())
            check_invariants();
        check_liveness(false);
    }
    /* The end state, when not every step's was checked. */
    if (current_run.s->invariants_every != SC_INVARIANTS_EVERY_STEP && current_run.r->status == SC_PASS)
        check_invariants();
}

/* The run's probes (counted by the runtime since this run's kr_init). */
static void collect_probe(const char *name, uint64_t hits, void *ctx)
{
    sc_result *r = ctx;
    if (r->n_probes < SC_PROBES_MAX) {
        r->probe_names[r->n_probes] = strdup(name);
        r->probe_hits[r->n_probes++] = hits;
    }
}

static void collect_result(sc_result *r)
{
    r->counts_read = kr__sc_counts_read;
    r->hash = kr_sim_trace_hash();
    r->steps = kr_sim_steps();
    r->time = kr_sim_elapsed();
    size_t n = kr_sim_decisions(NULL, 0);
    r->decisions = n ? malloc(n * sizeof *r->decisions) : NULL;
    r->decision_ids = n ? malloc(n * sizeof *r->decision_ids) : NULL;
    if (r->decisions && r->decision_ids) {
        kr_sim_decisions((uint32_t(*)[2])(void *)r->decisions, n);
        kr_sim_decision_ids(r->decision_ids, n);
        r->n_decisions = n;
    }
    kr_probe_each(collect_probe, r);
}

static void reset_run(void)
{
    for (size_t i = 0; i < current_run.n_timeline; i++)
        kr__sc_timed_free(&current_run.timeline[i]);
    free(current_run.timeline);
    free(current_run.live);
    counters_free(&current_run.delivered);
    memset(&current_run, 0, sizeof current_run);
    kr__sc_workload_percent = 100;
    kr__sc_counts_read = 0;
}

int kr__sc_run(const scenario *s, const sc_options *o, sc_result *r)
{
    if (!s || !o || !r)
        return KR_EINVAL;
    memset(r, 0, sizeof *r);
    r->seed = o->seed;
    int rc = start_runtime(s, o);
    if (rc != 0) {
        r->status = SC_ERROR;
        snprintf(r->failure, sizeof r->failure, "cannot start the simulator: %s", kr_strerror(rc));
        return rc;
    }
    kr__sc_workload_percent = o->workload_percent > 0 && o->workload_percent < 100
                                  ? o->workload_percent
                                  : 100;
    current_run.active = true;
    current_run.s = s;
    current_run.o = o;
    current_run.r = r;
    current_run.epoch = kr_clock_now();
    current_run.last_fault = current_run.epoch;
    char trace_err[400] = "";
    if (o->trace_path &&
        !(current_run.trace = kr__sc_trace_open(o->trace_path, s, o, trace_err, sizeof trace_err)))
        setup_error("cannot write the trace: %s", trace_err);
    kr_sim_observe(observe, NULL);
    start_nodes();
    if (!current_run.error_set && !build_timeline())
        setup_error("out of memory");
    if (current_run.error_set) {
        r->status = SC_ERROR;
        snprintf(r->failure, sizeof r->failure, "%s", current_run.error);
        snprintf(r->signature, sizeof r->signature, "error");
    } else {
        run_loop();
        check_liveness(true);
        check_expectations();
    }
    collect_result(r);
    kr_sim_observe(NULL, NULL);
    if (current_run.trace && kr__sc_trace_close(current_run.trace, r, r->trace_error, sizeof r->trace_error) != 0 &&
        !r->trace_error[0])
        snprintf(r->trace_error, sizeof r->trace_error, "%s: cannot write", o->trace_path);
    kr_finalize(); /* frees the managed processes, drops pending timers */
    reset_run();
    return 0;
}

int kr__sc_check_args(const scenario *s, char *err, size_t err_len)
{
    if (!s || !err || !err_len)
        return KR_EINVAL;
    err[0] = '\0';
    sc_options o = {.seed = s->seed_first};
    int rc = start_runtime(s, &o);
    if (rc != 0) {
        snprintf(err, err_len, "%s: cannot start the simulator: %s", s->file, kr_strerror(rc));
        return rc;
    }
    current_run.s = s;
    current_run.o = &o;
    current_run.dry = true;
    start_nodes();
    rc = current_run.error_set ? KR_EINVAL : 0;
    if (rc)
        snprintf(err, err_len, "%s", current_run.error);
    kr_finalize();
    reset_run();
    return rc;
}

void kr__sc_result_free(sc_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_probes; i++)
        free(r->probe_names[i]);
    free(r->decisions);
    free(r->decision_ids);
    memset(r, 0, sizeof *r);
}
