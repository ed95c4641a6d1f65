/* Internal to the core (runtime/core/): what its files share beyond the
 * backend seam. A backend never includes this file: what it may use of the
 * core is in core.h (included here), the hooks it provides in backend.h.
 * Nothing here is public API; internal non-static functions are kr__*. */
#ifndef KAIROS_INTERNAL_H
#define KAIROS_INTERNAL_H

#include "core.h"

/* ---- allocation (alloc.c) ---------------------------------------------- */
/* kr_testing_fail_alloc_after's countdown, for allocators that bypass
 * kr__malloc (the event pools): true when this allocation must fail. */
bool kr__alloc_should_fail(void);

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

/* ---- links (link.c) ----------------------------------------------------- */
void kr__links_notify(kr__proc *p); /* p is terminating: tell its linkers */

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
extern atomic_bool kr__filtering;
/* True if e must be dropped unserved (it is still owned by the caller). */
bool kr__filter_drops(kr__proc *p, kr__event *e);
void kr__testing_reset(void);

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
