/* Internal to the core (runtime/core/): what its files share beyond the
 * backend seam. A backend never includes this file: what it may use of the
 * core is in core.h (included here), the hooks it provides in backend.h.
 * Nothing here is public API; internal non-static functions are kr__*. */
#ifndef KAIROS_INTERNAL_H
#define KAIROS_INTERNAL_H

#include "core.h"

#include <pthread.h>

/* ---- the core's state ------------------------------------------------------
 * Every mutable file-scope variable of runtime/core/ in one struct, one
 * part per file, so what a file owns, what guards it and what a reset puts
 * back is visible in one place. The seam's variables (kr__is_running,
 * kr__finalizing, kr__local_ip/port, kr__stats, the HTTP gauges) are in
 * core.h, where backends see them; thread-local fast paths (the current
 * process, per-thread counters, event pools, the send cache) stay
 * thread-local in their files; the files other parts own (future*.c,
 * http_firewall.c, storage.c, parse.c) keep theirs. Fields are plain and
 * accessed directly (kr__core.table.live): no indirection on hot paths.
 * Parts start on their own cache lines. Locks are statically initialized
 * (runtime.c) and never reset; kr__core_reset puts the data back. */
#define KR__CHUNKS_MAX 2048 /* process table chunks: 8M processes */

typedef struct kr__core_state {
    /* table.c: slot chunks are published once (atomics, read without a
     * lock on every lookup); the rest under lock, live read as a hint. */
    struct {
        _Atomic(struct kr__slot *) chunks[KR__CHUNKS_MAX];
        pthread_mutex_t lock;
        uint32_t slots_used; /* high-water mark */
        uint32_t *free_slots; /* LIFO stack of released slots */
        size_t free_len, free_cap;
        atomic_size_t live;
        /* id -> slot map: open addressing, linear probing */
        struct kr__table_entry *map;
        size_t map_cap, map_len;
    } table;
    /* timer.c: under lock. */
    alignas(64) struct {
        pthread_mutex_t lock;
        struct kr__timer_entry *heap;
        size_t heap_len, heap_cap;
        uint64_t next_seq;
        kr__timer **by_id; /* open addressing on seq; NULL = empty */
        size_t by_id_cap;
    } timers;
    /* testing.c: filtering is read on every serve; the rest under the
     * recursive lock (made once by lock_once). */
    alignas(64) struct {
        atomic_bool filtering;
        pthread_mutex_t lock;
        pthread_once_t lock_once;
        struct kr__expectation *expectations, **expectations_tail;
        bool (*user_filter)(const kr_event *e, void *ctx);
        void *user_ctx;
    } testing;
    /* pid.c: prefixes under lock; the "" prefix is one atomic counter. */
    alignas(64) struct {
        pthread_mutex_t lock;
        struct kr__id_counter *counters;
        atomic_uint_fast64_t anon_last;
    } ids;
    /* link.c: guards every process' link list. */
    alignas(64) struct {
        pthread_mutex_t lock;
    } links;
    /* event.c: pools of exited threads, under parked_lock. */
    alignas(64) struct {
        pthread_mutex_t parked_lock;
        struct kr__pool *parked;
    } events;
    /* counters.c: every thread's block (a lock-free list, never freed);
     * exit_key made once. */
    alignas(64) struct {
        _Atomic(kr__tcounters *) blocks;
        pthread_key_t exit_key;
        pthread_once_t key_once;
    } counters;
    /* alloc.c: kr_testing_fail_alloc_after's countdown (< 0: never fail). */
    alignas(64) struct {
        atomic_long fail_countdown;
        atomic_bool failing; /* the countdown ran out */
    } alloc;
    /* http_route.c: realms and the delegate under settings_lock; every
     * process' routes under routes_lock (writers: the owner's initialize). */
    alignas(64) struct {
        pthread_mutex_t settings_lock;
        struct kr__realm *realms;
        size_t realm_count;
        char delegate_id[KR_ID_MAX + 1];
        pthread_rwlock_t routes_lock;
    } http;
    /* mailbox_bound.c: the node's default bound (set by kr_init, read
     * without a lock), and what the bound queued and turned away. */
    alignas(64) struct {
        uint64_t events_max, bytes_max;
        atomic_uint_fast64_t events, bytes; /* queued from outside, all processes */
        atomic_uint_fast64_t dropped, rejected; /* messages dropped, requests 503 */
    } bound;
    /* probe.c: under lock, in first-hit order. */
    alignas(64) struct {
        pthread_mutex_t lock;
        struct kr__probe *items;
        size_t len, cap;
    } probes;
} kr__core_state;

extern kr__core_state kr__core;
/* Puts back every part's data (counters, probes, ids, and the table,
 * timers and expectations that kr_finalize already emptied); kr_init. */
void kr__core_reset(void);

/* ---- allocation (alloc.c) ---------------------------------------------- */
/* kr_testing_fail_alloc_after's countdown, for allocators that bypass
 * kr__malloc (the event pools): true when this allocation must fail. */
bool kr__alloc_should_fail(void);
/* The same, with the usual answer (no failure armed: countdown < 0) inline
 * for the event pools' per-message allocation. */
static inline bool kr__alloc_should_fail_fast(void)
{
    if (!atomic_load_explicit(&kr__core.alloc.failing, memory_order_relaxed) &&
        atomic_load_explicit(&kr__core.alloc.fail_countdown, memory_order_relaxed) < 0)
        return false;
    return kr__alloc_should_fail();
}

/* ---- mailbox (mailbox.c) ----------------------------------------------- */
/* The one consumer (or a thread that holds the consumer's role, with a
 * happens-before edge from the consumer's last pop): fn for every queued
 * node in order, without popping. Stops at a push caught half-way (nodes
 * behind it are not linked yet). */
void kr__inbox_each(const kr__proc *p, void (*fn)(kr__node *n, void *ctx), void *ctx);

/* ---- events (event.c) --------------------------------------------------- */

/* What a filter sees: the event plus its owner, and a message view. */
struct kr_event {
    kr__event *e;
    kr_pid to;
    kr_message msg;
};

kr__event *kr__event_new(kr__event_kind kind, size_t data_len, size_t extra);
/* Frees an event that was never served, completing what it owed (a
 * dispatch_call promise is abandoned, an internal event's drop runs). */
void kr__event_drop(kr__event *e);
void kr__event_free(kr__event *e);
/* A small object from the calling thread's event pool (kr__malloc when the
 * thread has none or size is too big; 16-byte aligned); NULL when out of
 * memory. Freed with kr__block_free on any thread. */
void *kr__block_alloc(size_t size);
void kr__block_free(void *ptr);

/* ---- processes (process.c, table.c) ------------------------------------- */

/* Queues e for p and schedules p if it was idle. Takes ownership of e. */
void kr__enqueue(kr__proc *p, kr__event *e);
/* Local delivery to a pid: looks it up, enqueues, or drops e. */
bool kr__deliver(kr_pid to, kr__event *e);

/* The process table: a slot array indexed by pid.kr_slot plus an id map. */
/* kr__table_acquire without copying pid. */
kr__proc *kr__table_acquire_ref(const kr_pid *pid);
/* The same for a send: *release says whether the caller must
 * kr__table_release the result (false: the turn's cached reference). */
kr__proc *kr__table_acquire_send(const kr_pid *pid, bool *release);
int kr__table_insert(kr__proc *p);       /* sets pid slot/gen; KR_EEXIST */
void kr__table_close(kr__proc *p);       /* stop lookups, drain refs */
void kr__table_remove(kr__proc *p);      /* free the id and slot */
typedef enum { KR__PID_UNKNOWN, KR__PID_ALIVE, KR__PID_ENDED } kr__pid_state;
/* ENDED when pid names a process of this runtime that has terminated (its
 * slot moved on); fills pid's slot cache when it came from text. */
kr__pid_state kr__table_state(kr_pid *pid);
size_t kr__table_live(void);
void kr__table_reset(void);

/* ---- what only some processes have, and the mailbox bound (mailbox_bound.c)
 * What outsiders push (the wire, the simulated network, HTTP requests) is
 * counted per process while queued and refused over the process' bound;
 * local sends are never counted, so the hot path pays nothing but the
 * consumer's one test of KR__EVF_EXTERNAL (a load and a branch). */
struct kr__proc_extra {
    void *routes; /* http_route.c, under kr__core.http.routes_lock */
    _Atomic uint64_t events_max, bytes_max; /* 0: the node's default */
    _Atomic uint64_t events, bytes;         /* queued from outside now */
};
/* p's extra part, made if missing (any thread, lock-free); NULL when out
 * of memory. */
kr__proc_extra *kr__proc_extra_get(kr__proc *p);
/* Frees p's extra part (its routes must be freed already); p is
 * terminating and unreachable, or was never spawned. */
void kr__proc_extra_free(kr__proc *p);
/* Reads KAIROS_MAILBOX_MAX_EVENTS / _BYTES into kr__core.bound (kr_init);
 * KR_EINVAL (logged) on a bad value. */
int kr__bound_configure(void);
/* Counts e (an event from outside, not yet queued) against p's bound and
 * marks it external; false when it does not fit (e is still the caller's,
 * uncounted). An event is always let into a mailbox holding no other
 * external event, so a bound below one event's size still lets one in. */
bool kr__bound_admit(kr__proc *p, kr__event *e);
/* e, flagged KR__EVF_EXTERNAL, has left p's mailbox (served or dropped). */
void kr__bound_release(kr__proc *p, kr__event *e);
/* A message from outside for p: queued within the bound (0), or dropped
 * and counted: KR_ENOSPC (full), KR_ENOMEM. Takes ownership of e. */
int kr__deliver_external(kr__proc *p, kr__event *e);

/* ---- links (link.c) ----------------------------------------------------- */
void kr__links_notify(kr__proc *p); /* p is terminating: tell its linkers */

/* ---- /__processes__ (processes.c) -------------------------------------- */
/* Set in kr__proc.purge when /__processes__ asks a busy process to list
 * its queue; the low bits keep counting injected terminates. */
#define KR__PURGE_LISTING 0x80000000u
/* The serving thread saw a non-zero purge word before serving `first`
 * (just popped, still owned): if the listing bit is set, clears it, lists
 * first and the queue behind it and answers the listing requests queued.
 * Returns the injected-terminate count. */
uint32_t kr__processes_turn(kr__proc *p, kr__event *first);
/* GET /__processes__[?timeout=]. */
void kr__processes_serve(const char *query, const kr__http_sink *sink);

/* ---- handlers (message.c) ----------------------------------------------- */
void kr__handlers_free(kr__proc *p);
void kr__message_serve(kr__proc *p, kr__event *e);
kr__event *kr__message_event(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len);

bool kr__dispatch_internal(kr_pid to, kr__internal_fn run, kr__internal_fn drop,
                           const void *data, size_t len);

/* ---- futures (future.c) ------------------------------------------------- */
/* Runs fn(f, ctx) once f is not pending (at once if it already is). */
void kr__future_on_complete(kr_future *f, void (*fn)(kr_future *f, void *ctx), void *ctx);
/* Runs fn(ctx) when a discard is requested on f while pending (at once if it
 * was); release(ctx) (may be NULL) runs when the hook is dropped, run or not. */
void kr__future_on_discard(kr_future *f, void (*fn)(void *ctx), void (*release)(void *ctx),
                           void *ctx);
/* Completes p with f's final state (f must not be pending). */
void kr__promise_follow(kr_promise *p, kr_future *f);
void kr__promise_abandon(kr_promise *p);
/* kr_future_on_any restricted to the final states in `states` (bit 1u << state);
 * `who` names the public caller in log lines. */
void kr__future_on_states(const char *who, kr_future *f, unsigned states, kr_pid ctx,
                          kr_future_fn fn, const void *arg, size_t len);
/* Sets p to a vector of new references to fs (kr_future_all's value). */
void kr__promise_set_vec(kr_promise *p, kr_future *const *fs, size_t n);
void kr__future_vec_free(void *value);
/* Clears a discard request on f; returns whether there was one (recover:
 * a discard must be requested again to reach the recovered future). */
bool kr__future_discard_clear(kr_future *f);
/* p's future, without a new reference. */
kr_future *kr__promise_peek(kr_promise *p);
/* f is READY with a value freed by free_value (tells kr_loop's control
 * values from a user's). */
bool kr__future_value_is(const kr_future *f, void (*free_value)(void *));

/* ---- future composition (future_compose.c) ------------------------------ */
typedef enum {
    KR__CHAIN_THEN,    /* fn on READY */
    KR__CHAIN_RECOVER, /* fn on anything but READY */
    KR__CHAIN_ALWAYS   /* fn once f is not pending (kr_sequence) */
} kr__chain_kind;
/* The engine of then/recover: a result that follows f, then fn's future. */
kr_future *kr__future_chain(const char *who, kr__chain_kind kind, kr_future *f, kr_pid ctx,
                            kr_then_fn fn, const void *arg, size_t len);

/* ---- filter and expectations (testing.c) -------------------------------- */
/* True if e must be dropped unserved (it is still owned by the caller). */
bool kr__filter_drops(kr__proc *p, kr__event *e);
void kr__testing_reset(void);

/* ---- dispatch (dispatch.c) ---------------------------------------------- */
/* A kr_dispatch made now and delivered later (kr_delay): the event, then
 * kr__dispatch_deliver, which counts it and takes it (dropped if `to` is
 * not running here); kr__event_free if it is never delivered. */
kr__event *kr__dispatch_event(kr_fn fn, const void *arg, size_t len);
void kr__dispatch_deliver(const kr_pid *to, kr__event *e);

/* ---- timers (timer.c) -------------------------------------------------- */
size_t kr__timers_pending(void);
void kr__timers_clear(void); /* drops every pending timer */

/* ---- probes (probe.c) -------------------------------------------------- */
void kr__probes_reset(void); /* forgets every probe (kr_init) */

/* ---- runtime state (runtime.c) ------------------------------------------ */
bool kr__inside_process(const char *what); /* logs misuse when true */

void kr__counters_reset(void);
uint64_t kr__counter_total(size_t index);
/* Ids (pid.c) */
void kr__ids_reset(void);
/* The next generated "" id, "(N)", without allocating (kr_process_init). */
void kr__id_generate_anon(char id[KR_ID_MAX + 1]);

#endif
