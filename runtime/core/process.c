/* Processes: spawn, the serving loop, terminate, wait and cleanup.
 *
 * Scheduling follows one counter per process, `pending`: the events pushed
 * and not yet accounted for by the thread serving it. A sender pushes, then
 * increments; the one that moves it from 0 schedules the process. The
 * serving thread subtracts what it served; the one that brings it back to 0
 * has made the process idle and must not touch it again (another worker may
 * already be serving it, or it may be gone). So a process is in its
 * backend's run queue at most once and never served by two threads at once.
 * States follow libprocess: BOTTOM until initialize ran, READY/BLOCKED
 * (pending > 0 / == 0), TERMINATING from its terminate event on. */
#include "backend.h"
#include "http_internal.h"

#include <sched.h>

KR__TLS kr__proc *kr__current_proc;

kr_process *kr_current(void) { return kr__current_proc ? kr__process_of(kr__current_proc) : NULL; }

void kr_process_init(kr_process *process, const char *id, const kr_process_ops *ops)
{
    if (!process) {
        kr__log("kr_process_init: NULL process");
        return;
    }
    kr__proc *p = kr__proc_of(process);
    memset(p, 0, sizeof *p);
    p->pid = KR_PID_NONE;
    p->ops = ops;
    p->flags = KR__F_INITED;
    if (!id || !*id) {
        kr__id_generate_anon(p->pid.id); /* "(N)": no lock, no allocation */
    } else if (strlen(id) > KR_ID_MAX) {
        p->flags |= KR__F_BAD_ID;
        kr__log("kr_process_init: id longer than %d bytes: %.40s...", KR_ID_MAX, id);
    } else {
        strcpy(p->pid.id, id);
    }
    atomic_store_explicit(&p->state, KR__BOTTOM, memory_order_relaxed);
    kr__inbox_init(p);
}

kr_pid kr_self(const kr_process *process)
{
    if (!process)
        return KR_PID_NONE;
    kr_pid pid = ((const kr__proc *)(const void *)process)->pid;
    if (pid.port == 0 && pid.ip == 0 && !kr_pid_is_none(pid))
        kr__backend_here(&pid.ip, &pid.port); /* not spawned yet */
    return pid;
}

static void destroy_managed(kr__proc *p)
{
    const kr_process_ops *ops = p->ops;
    if (ops && ops->destroy)
        ops->destroy(kr__process_of(p));
    else
        free(p);
}

void kr_process_discard(kr_process *p)
{
    if (!p)
        return;
    kr__handlers_free(kr__proc_of(p));
    kr__http_routes_free(kr__proc_of(p)); /* and the extra part with them */
    destroy_managed(kr__proc_of(p));
}

kr_pid kr_spawn(kr_process *process, bool manage)
{
    if (!process) {
        kr__log("kr_spawn: NULL process");
        return KR_PID_NONE;
    }
    kr__proc *p = kr__proc_of(process);
    const char *why = NULL;
    int rc = 0;
    if (!atomic_load(&kr__is_running) || atomic_load(&kr__finalizing))
        why = "the runtime is not running";
    else if (!(p->flags & KR__F_INITED))
        why = "process not initialized with kr_process_init";
    else if (p->flags & KR__F_SPAWNED)
        why = "process already spawned";
    else if (p->flags & KR__F_BAD_ID)
        why = "invalid process id";
    if (!why) {
        kr__backend_here(&p->pid.ip, &p->pid.port);
        /* initialize counts as one pending event, set before senders can
         * find p in the table. */
        atomic_store(&p->pending, 1);
        rc = kr__table_insert(p);
        if (rc == KR_EEXIST)
            why = "a process with this id is already running";
        else if (rc != 0)
            why = kr_strerror(rc);
    }
    if (why) {
        kr__log("kr_spawn(%s): %s", p->pid.id, why);
        bool ours = (p->flags & KR__F_INITED) && !(p->flags & KR__F_SPAWNED);
        if (ours) {
            /* Release what kr_install attached; the process must be
             * initialized again before another spawn. */
            kr__handlers_free(p);
            kr__http_routes_free(p);
            p->flags &= ~(uint32_t)KR__F_INITED;
            if (manage)
                destroy_managed(p);
        }
        return KR_PID_NONE;
    }
    p->flags |= KR__F_SPAWNED | (manage ? KR__F_MANAGED : 0);
    kr_pid pid = p->pid;
    KR__COUNT(processes_spawned);
    kr__backend_schedule(p); /* pending is 1 already: senders never schedule it */
    return pid;
}

void kr__enqueue(kr__proc *p, kr__event *e)
{
    kr__inbox_push(p, &e->node);
    if (kr__add_u32(&p->pending, 1) == 0)
        kr__backend_schedule(p);
}

bool kr__deliver(kr_pid to, kr__event *e)
{
    kr__proc *p = kr__table_acquire(to);
    if (!p) {
        kr__event_drop(e);
        return false;
    }
    kr__enqueue(p, e);
    kr__table_release(p);
    return true;
}

/* Drops every queued event. Called after kr__table_close, so every push
 * has completed and none can start. */
static void drain(kr__proc *p)
{
    kr__node *n;
    while ((n = kr__inbox_pop(p)) != NULL)
        kr__event_drop((kr__event *)n);
}

static void cleanup(kr__proc *p)
{
    atomic_store(&p->state, KR__TERMINATING);
    kr__table_close(p); /* no sender can reach p any more */
    drain(p);
    kr__links_notify(p);
    kr__handlers_free(p);
    kr__http_routes_free(p);
    bool managed = p->flags & KR__F_MANAGED;
    KR__COUNT(processes_terminated);
    kr__table_remove(p); /* kr_wait may return (and free p) from here on */
    kr__backend_wake(KR__WAIT_PROCESS);
    if (managed)
        destroy_managed(p);
}

void kr__process_kill(kr__proc *p) { cleanup(p); }

static void serve_terminate(kr__proc *p, kr__event *e)
{
    if (e->flags & KR__EVF_INJECT)
        atomic_fetch_sub(&p->purge, 1);
    kr__event_free(e);
    if (p->ops && p->ops->finalize)
        p->ops->finalize(kr__process_of(p));
}

static void serve_dispatch(kr__proc *p, kr__event *e)
{
    kr_process *self = kr__process_of(p);
    if (e->u.dispatch.fn) {
        e->u.dispatch.fn(self, e->data);
        return;
    }
    kr_promise *promise = e->u.dispatch.promise;
    e->u.dispatch.call_fn(self, e->data, promise);
    /* Completed now: ours to free. Still pending: the callee kept it. */
    if (kr_future_state_of((kr_future *)promise) != KR_PENDING)
        kr_promise_free(promise);
}

static void serve(kr__proc *p, kr__event *e)
{
    kr_process *self = kr__process_of(p);
    switch (e->kind) {
    case KR__EV_MESSAGE:
        kr__message_serve(p, e);
        break;
    case KR__EV_DISPATCH:
        serve_dispatch(p, e);
        break;
    case KR__EV_INTERNAL:
        e->u.internal.run(self, e->data);
        break;
    case KR__EV_HTTP:
        kr__http_serve(p, e);
        break;
    case KR__EV_EXITED:
        if (p->ops && p->ops->exited)
            p->ops->exited(self, e->u.exited.who);
        break;
    default:
        break;
    }
    KR__COUNT(events_served);
    kr__event_free(e);
}

/* Pops the next event; spins through a push caught half-way (the sender
 * has counted it, so it is about to appear). */
static kr__event *next_event(kr__proc *p)
{
    kr__node *n;
    while ((n = kr__inbox_pop(p)) == NULL)
        sched_yield();
    return (kr__event *)n;
}

/* The rare path of a non-zero purge word, out of line so the hot path
 * keeps its layout: /__processes__ asked for our queue (processes.c lists
 * it now, e first, before e is served), and/or an injected terminate is
 * ahead (e is dropped: true). */
__attribute__((cold, noinline)) static bool purge_or_list(kr__proc *p, kr__event *e,
                                                          uint32_t purge)
{
    if (purge & KR__PURGE_LISTING)
        purge = kr__processes_turn(p, e);
    if (purge == 0)
        return false;
    kr__event_drop(e);
    return true;
}

/* Serves one event; false when it was the terminate (p is gone). */
static bool serve_next(kr__proc *p)
{
    kr__event *e = next_event(p);
    if (e->kind == KR__EV_TERMINATE) {
        kr__backend_on_serve(p, e);
        serve_terminate(p, e);
        cleanup(p);
        return false;
    }
    /* Local events never take this branch: the hot path pays one test. */
    if (__builtin_expect(e->flags & KR__EVF_EXTERNAL, 0))
        kr__bound_release(p, e);
    /* One test on the hot path covers both rare cases (purge_or_list). */
    uint32_t purge = atomic_load_explicit(&p->purge, memory_order_acquire);
    if (purge != 0 && purge_or_list(p, e, purge))
        return true;
    if (atomic_load_explicit(&kr__core.testing.filtering, memory_order_relaxed) &&
        kr__filter_drops(p, e))
        kr__event_drop(e);
    else {
        kr__backend_on_serve(p, e);
        serve(p, e);
    }
    return true;
}

#if KR__ONE_THREAD
/* The simulator's step: one counted event of a process already
 * initialized, without the batch loop's bookkeeping (the same result as
 * the loop below with max_events = 1). */
static kr__run_result run_one(kr__proc *p)
{
    kr__proc *outer = kr__current_proc;
    kr__current_proc = p;
    kr__run_result result = KR__RUN_GONE;
    if (serve_next(p)) {
        atomic_store_explicit(&p->served, atomic_load_explicit(&p->served, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        result = kr__sub_u32(&p->pending, 1) == 1 ? KR__RUN_IDLE : KR__RUN_MORE;
    }
    kr__current_proc = outer;
    return result;
}
#endif

kr__run_result kr__process_run(kr__proc *p, unsigned max_events)
{
#if KR__ONE_THREAD
    if (max_events == 1 && atomic_load_explicit(&p->pending, memory_order_relaxed) > 0 &&
        atomic_load_explicit(&p->state, memory_order_relaxed) != KR__BOTTOM)
        return run_one(p);
#endif
    kr__proc *outer = kr__current_proc;
    kr__current_proc = p;
    kr__run_result result;
    uint32_t accounted = 0; /* served since the last subtraction */
    uint32_t budget = 0;    /* counted events not yet served */
    unsigned served = 0;
    if (atomic_load_explicit(&p->state, memory_order_relaxed) == KR__BOTTOM) {
        atomic_store(&p->state, KR__READY);
        if (p->ops && p->ops->initialize)
            p->ops->initialize(kr__process_of(p));
        accounted = 1; /* spawn counted initialize as one pending event */
        served = 1;
    }
    for (;;) {
        /* Only counted events are served: a push whose sender has not
         * counted it yet is left for the next round (its count schedules
         * us again if we go idle first). */
        if (budget == 0 || served >= max_events) {
            /* Still ours: count what was served before letting go, after
             * the turn's corked remote messages have left. */
            kr__backend_turn_releasing();
            atomic_store_explicit(&p->served,
                                  atomic_load_explicit(&p->served, memory_order_relaxed) + accounted,
                                  memory_order_relaxed);
            uint32_t left = kr__sub_u32(&p->pending, accounted) - accounted;
            accounted = 0;
            if (left == 0) {
                result = KR__RUN_IDLE; /* p may be running elsewhere now */
                break;
            }
            if (served >= max_events) {
                result = KR__RUN_MORE;
                break;
            }
            budget = left;
        }
        budget--;
        accounted++;
        served++;
        if (!serve_next(p)) {
            result = KR__RUN_GONE;
            break;
        }
    }
    kr__current_proc = outer;
    return result;
}

void kr_terminate(kr_pid pid, bool inject)
{
    kr__proc *p = kr__table_acquire(pid);
    if (!p)
        return;
    kr__event *e = kr__event_new(KR__EV_TERMINATE, 0, 0);
    if (!e) {
        kr__log("kr_terminate(%s): out of memory", pid.id);
        kr__table_release(p);
        return;
    }
    e->flags = inject ? KR__EVF_INJECT : 0;
    if (inject)
        atomic_fetch_add(&p->purge, 1);
    kr__enqueue(p, e);
    kr__table_release(p);
}

bool kr__inside_process(const char *what)
{
    if (!kr__current_proc)
        return false;
    kr__log("%s called inside process %s: blocking there would deadlock", what,
            kr__current_proc->pid.id);
    return true;
}

static bool pid_gone(void *ctx) { return !kr__table_alive(*(kr_pid *)ctx); }

bool kr_wait(kr_pid pid, kr_duration timeout)
{
    if (kr__inside_process("kr_wait") || kr_pid_is_none(pid) || !atomic_load(&kr__is_running))
        return false;
    switch (kr__table_state(&pid)) {
    case KR__PID_UNKNOWN:
        return false;
    case KR__PID_ENDED:
        return true; /* terminated before we looked */
    default:
        return kr__backend_block_until(KR__WAIT_PROCESS, pid_gone, &pid, timeout);
    }
}
