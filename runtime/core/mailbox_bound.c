/* The mailbox bound: what outsiders may queue for a process, and the
 * out-of-line part of a process that holds it (kr__proc_extra).
 *
 * A process' mailbox is an unbounded MPSC queue, and local senders keep it
 * that way: bounding them would cost every kr_send an atomic on the
 * receiver's cache line (fanout measured that at ~25%), and a local sender
 * is this program's own code. What a peer or an HTTP client pushes is
 * different: it arrives as fast as the network carries it, whatever the
 * process can serve (issue 11: 50,000 x 10 KB messages to a slow process
 * all queued, 488 MB). So only events queued from outside the node are
 * counted, per process, in events and bytes; the producer (the I/O thread,
 * the simulator's network) increments before queueing, the consumer
 * decrements when it pops an event flagged KR__EVF_EXTERNAL. Over the bound a
 * wire message is dropped and counted, an HTTP request is answered 503
 * (runtime/WIRE.md "Limits").
 *
 * The counters and the per-process limits live in kr__proc_extra, made on
 * first use so that an idle process stays small; HTTP routes live there
 * too. */
#include "backend.h"
#include "http_internal.h"

#include <stdint.h>

#define EVENTS_MAX_DEFAULT 65536u
#define BYTES_MAX_DEFAULT (64u << 20)

int kr_process_set_mailbox_limit(kr_process *process, uint64_t events_max, uint64_t bytes_max)
{
    if (!process) {
        kr__log("kr_process_set_mailbox_limit: NULL process");
        return KR_EINVAL;
    }
    kr__proc_extra *x = kr__proc_extra_get(kr__proc_of(process));
    if (!x)
        return KR_ENOMEM;
    atomic_store_explicit(&x->events_max, events_max, memory_order_relaxed);
    atomic_store_explicit(&x->bytes_max, bytes_max, memory_order_relaxed);
    return 0;
}

kr__proc_extra *kr__proc_extra_get(kr__proc *p)
{
    kr__proc_extra *x = atomic_load_explicit(&p->extra, memory_order_acquire);
    if (x)
        return x;
    kr__proc_extra *made = kr__calloc(1, sizeof *made);
    if (!made)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(&p->extra, &x, made, memory_order_acq_rel,
                                                memory_order_acquire))
        return made;
    kr__free(made); /* another thread made it first: x is theirs */
    return x;
}

void kr__proc_extra_free(kr__proc *p)
{
    kr__free(atomic_exchange_explicit(&p->extra, NULL, memory_order_acq_rel));
}

/* One KAIROS_MAILBOX_* value: unset is def, else a positive integer. */
static int env_limit(const char *name, uint64_t def, uint64_t *out)
{
    const char *v = getenv(name);
    *out = def;
    if (!v)
        return 0;
    if (kr__config_u64(name, v, out) != 0)
        return KR_EINVAL;
    if (*out == 0) {
        kr__log("kr_init: %s=0: the bound must be at least 1", name);
        return KR_EINVAL;
    }
    return 0;
}

int kr__bound_configure(void)
{
    uint64_t events, bytes;
    int rc = env_limit("KAIROS_MAILBOX_MAX_EVENTS", EVENTS_MAX_DEFAULT, &events);
    if (rc == 0)
        rc = env_limit("KAIROS_MAILBOX_MAX_BYTES", BYTES_MAX_DEFAULT, &bytes);
    if (rc != 0)
        return rc;
    kr__core.bound.events_max = events;
    kr__core.bound.bytes_max = bytes;
    atomic_store(&kr__core.bound.events, 0);
    atomic_store(&kr__core.bound.bytes, 0);
    atomic_store(&kr__core.bound.dropped, 0);
    atomic_store(&kr__core.bound.rejected, 0);
    return 0;
}

/* What an external event holds in memory, near enough: the event with its
 * body and name, or an HTTP request's copied strings (set by its maker). */
static uint64_t event_bytes(const kr__event *e)
{
    if (e->kind == KR__EV_HTTP)
        return e->u.http.bytes;
    return sizeof *e + (uint64_t)e->len + e->aux + 1;
}

static uint64_t limit_of(_Atomic uint64_t *own, uint64_t node_default)
{
    uint64_t v = atomic_load_explicit(own, memory_order_relaxed);
    return v ? v : node_default;
}

bool kr__bound_admit(kr__proc *p, kr__event *e)
{
    kr__proc_extra *x = kr__proc_extra_get(p);
    if (!x)
        return false;
    uint64_t bytes = event_bytes(e);
    /* Relaxed counts, plain in the simulator (KR__ONE_THREAD). */
    uint64_t events = KR__ADD_FETCH_RELAXED(&x->events, 1);
    uint64_t held = KR__ADD_FETCH_RELAXED(&x->bytes, bytes);
    bool fits = events <= limit_of(&x->events_max, kr__core.bound.events_max) &&
                held <= limit_of(&x->bytes_max, kr__core.bound.bytes_max);
    if (!fits && events > 1) {
        KR__SUB_RELAXED(&x->events, 1);
        KR__SUB_RELAXED(&x->bytes, bytes);
        return false;
    }
    e->flags |= KR__EVF_EXTERNAL;
    (void)KR__ADD_FETCH_RELAXED(&kr__core.bound.events, 1);
    (void)KR__ADD_FETCH_RELAXED(&kr__core.bound.bytes, bytes);
    return true;
}

void kr__bound_release(kr__proc *p, kr__event *e)
{
    /* Admitted, so the extra part exists and lives as long as p. */
    kr__proc_extra *x = atomic_load_explicit(&p->extra, memory_order_relaxed);
    uint64_t bytes = event_bytes(e);
    KR__SUB_RELAXED(&x->events, 1);
    KR__SUB_RELAXED(&x->bytes, bytes);
    KR__SUB_RELAXED(&kr__core.bound.events, 1);
    KR__SUB_RELAXED(&kr__core.bound.bytes, bytes);
}

int kr__deliver_external(kr__proc *p, kr__event *e)
{
    if (!e) {
        KR__COUNT(messages_dropped);
        return KR_ENOMEM;
    }
    if (!kr__bound_admit(p, e)) {
        atomic_fetch_add_explicit(&kr__core.bound.dropped, 1, memory_order_relaxed);
        KR__COUNT(messages_dropped);
        kr__event_free(e); /* never queued: nothing else to undo */
        return KR_ENOSPC;
    }
    kr__enqueue(p, e);
    return 0;
}

int kr__message_deliver_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                               size_t len)
{
    kr__proc *p = kr__table_acquire(to);
    if (!p) {
        KR__COUNT(messages_dropped);
        return KR_ENOENT;
    }
    int rc = kr__deliver_external(p, kr__message_event(from, to, name, body, len));
    kr__table_release(p);
    return rc;
}
