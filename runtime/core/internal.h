/* Internal definitions shared by the core and both backends. Nothing here is
 * part of the public API; internal non-static functions are named kr__*. */
#ifndef KAIROS_INTERNAL_H
#define KAIROS_INTERNAL_H

#include <kairos/kairos.h>

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- logging and allocation (log.c, alloc.c) ---------------------------- */

void kr__log(const char *fmt, ...) KR_PRINTF(1, 2);
/* One wrapper for every allocation, so a test can make the Nth fail. */
void *kr__malloc(size_t n);
void *kr__calloc(size_t count, size_t size);
void *kr__realloc(void *p, size_t n);
char *kr__strdup(const char *s);
void kr__free(void *p);
/* Room for one more item in a growable array of *cap items holding len:
 * the same array, or a bigger one (doubled, first_cap at first) with *cap
 * updated. NULL on failure, and then items and *cap are unchanged. */
void *kr__grow(void *items, size_t *cap, size_t len, size_t item_size, size_t first_cap);

/* ---- mailbox: Vyukov's intrusive multi-producer single-consumer queue ---- */

typedef struct kr__node {
    _Atomic(struct kr__node *) next;
} kr__node;

typedef struct kr__mailbox {
    _Atomic(kr__node *) head; /* producers exchange this */
    kr__node *tail;           /* only the consumer touches this */
    kr__node stub;
} kr__mailbox;

void kr__mailbox_init(kr__mailbox *q);
void kr__mailbox_push(kr__mailbox *q, kr__node *n);
/* NULL when empty, or while a producer is half-way through a push. */
kr__node *kr__mailbox_pop(kr__mailbox *q);
/* True when a pushed node is (or is about to become) poppable. */
bool kr__mailbox_has_items(const kr__mailbox *q);

/* ---- events (event.c) --------------------------------------------------- */

typedef enum {
    KR__EV_MESSAGE = KR_EVENT_MESSAGE,
    KR__EV_DISPATCH = KR_EVENT_DISPATCH,
    KR__EV_HTTP = KR_EVENT_HTTP,
    KR__EV_EXITED = KR_EVENT_EXITED,
    KR__EV_TERMINATE = KR_EVENT_TERMINATE,
    KR__EV_INTERNAL, /* runtime-made dispatch (future callbacks); seen as DISPATCH */
} kr__event_kind;

typedef void (*kr__internal_fn)(kr_process *self, void *data);

typedef struct kr__event {
    kr__node node;
    uint8_t kind;
    bool inject;  /* terminate only */
    uint8_t aux;  /* message: strlen(name) (0: look it up) */
    uint32_t len; /* bytes of data (arg or body) */
    union {
        struct {
            kr_pid from;
            const char *name; /* inside data, after the body */
        } msg;
        struct {
            kr_fn fn;
            kr_call_fn call_fn;
            kr_promise *promise;
        } dispatch;
        struct {
            kr__internal_fn run, drop;
        } internal;
        struct {
            kr_pid who;
        } exited;
    } u;
    alignas(16) unsigned char data[]; /* arg or body, then the message name */
} kr__event;

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

enum { KR__BOTTOM, KR__READY, KR__BLOCKED, KR__TERMINATING };
enum { KR__F_INITED = 1, KR__F_SPAWNED = 2, KR__F_MANAGED = 4, KR__F_BAD_ID = 8 };

typedef struct kr__handlers kr__handlers;
typedef struct kr__links kr__links;

typedef struct kr__proc {
    kr_pid pid;
    const kr_process_ops *ops;
    _Atomic int state;
    uint32_t flags;
    kr__mailbox mailbox;
    _Atomic uint32_t pending; /* events queued and not yet accounted */
    _Atomic uint32_t purge;   /* injected terminates not yet reached */
    uint32_t sched_index;     /* backend use */
    /* Events served (initialize included), modulo 2^32, for
     * /metrics/snapshot; written by the serving thread, read by anyone. */
    _Atomic uint32_t served;
    kr__node sched_link;      /* backend use (real: run queue link) */
    kr__handlers *handlers;
    kr__links *links; /* who to tell when we exit; guarded by the links lock */
    void *routes;     /* HTTP routes */
} kr__proc;

_Static_assert(sizeof(kr__proc) <= sizeof(kr_process), "kr_process too small");
_Static_assert(alignof(kr__proc) <= alignof(kr_process), "kr_process misaligned");

static inline kr__proc *kr__proc_of(kr_process *p) { return (kr__proc *)(void *)p; }
static inline kr_process *kr__process_of(kr__proc *p) { return (kr_process *)(void *)p; }

/* Result of serving some events of a runnable process. */
typedef enum {
    KR__RUN_IDLE, /* nothing left: idle; the next enqueue schedules it again */
    KR__RUN_MORE, /* still READY with events left: run it again later */
    KR__RUN_GONE, /* terminated: p must not be touched any more */
} kr__run_result;

/* Serves up to max_events events of p (initialize counts as one). Called by
 * the backend for a process it scheduled; never concurrently for one p. */
kr__run_result kr__process_run(kr__proc *p, unsigned max_events);

/* Ends p without finalize (a simulated crash); p must not be running. */
void kr__process_kill(kr__proc *p);
/* Queues e for p and schedules p if it was idle. Takes ownership of e. */
void kr__enqueue(kr__proc *p, kr__event *e);
/* Local delivery to a pid: looks it up, enqueues, or drops e. */
bool kr__deliver(kr_pid to, kr__event *e);

/* The process table: a slot array indexed by pid.kr_slot plus an id map. */
kr__proc *kr__table_acquire(kr_pid pid); /* NULL if not running here */
kr__proc *kr__table_acquire_ref(const kr_pid *pid); /* the same, without copying pid */
void kr__table_release(kr__proc *p);
int kr__table_insert(kr__proc *p);       /* sets pid slot/gen; KR_EEXIST */
void kr__table_close(kr__proc *p);       /* stop lookups, drain refs */
void kr__table_remove(kr__proc *p);      /* free the id and slot */
bool kr__table_alive(kr_pid pid);        /* still registered (until remove) */
typedef enum { KR__PID_UNKNOWN, KR__PID_ALIVE, KR__PID_ENDED } kr__pid_state;
/* ENDED when pid names a process of this runtime that has terminated (its
 * slot moved on); fills pid's slot cache when it came from text. */
kr__pid_state kr__table_state(kr_pid *pid);
size_t kr__table_live(void);
/* Calls fn for every registered process in slot order, under the table
 * lock (fn must not take it). */
void kr__table_each(void (*fn)(kr__proc *p, void *ctx), void *ctx);
void kr__table_reset(void);

/* initial-exec: no __tls_get_addr call per access from the shared library */
#define KR__TLS _Thread_local __attribute__((tls_model("initial-exec")))
extern KR__TLS kr__proc *kr__current_proc;

/* ---- links (link.c) ----------------------------------------------------- */
void kr__links_notify(kr__proc *p); /* p is terminating: tell its linkers */
/* Adds linker to to's list; false if `to` is not running here. */
bool kr__link_add(kr_pid linker, kr_pid to);
void kr__send_exited(kr_pid to, kr_pid who);

/* ---- handlers (message.c) ----------------------------------------------- */
void kr__handlers_free(kr__proc *p);
void kr__message_serve(kr__proc *p, kr__event *e);
/* Enqueues a message for a process in this runtime's table (or drops it). */
void kr__message_deliver_local(kr_pid from, kr_pid to, const char *name, const void *body,
                               size_t len);
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

/* ---- filter and expectations (testing.c) -------------------------------- */
extern atomic_bool kr__filtering;
/* True if e must be dropped unserved (it is still owned by the caller). */
bool kr__filter_drops(kr__proc *p, kr__event *e);
void kr__testing_reset(void);

/* ---- timers (timer.c): shared data, fired by the backend ---------------- */
typedef struct kr__timer kr__timer;
/* A timer that runs fn(ctx) on firing, or drop(ctx) if cleared unfired. */
kr_timer kr__timer_add(kr_time deadline, void (*fn)(void *ctx), void (*drop)(void *ctx),
                       void *ctx);
kr_time kr__timers_next_deadline(void); /* INT64_MAX when none */
size_t kr__timers_pending(void);
/* Pops the due timer (deadline <= now) to fire next: the earliest, ties by
 * creation order; with choose != NULL, choose(n) picks among the n timers
 * sharing the earliest deadline (in creation order). NULL if none is due. */
kr__timer *kr__timers_pop_due(kr_time now, size_t (*choose)(size_t n));
void kr__timer_fire(kr__timer *t); /* runs and frees it */
void kr__timers_clear(void);       /* drops every pending timer */

/* ---- runtime state (runtime.c) ------------------------------------------ */
typedef struct kr__config {
    int workers;
    uint32_t ip;
    int port;
    uint64_t seed;
    char strategy[16];
    int pct_depth;
    uint64_t pct_steps; /* 0: the backend's default */
    char runq[16]; /* "locked", "lockfree" or "" (default) */
} kr__config;

/* Run queue asked for by kr_config.runq or KAIROS_RUNQ ("" = the
 * backend's default); validated by kr_init, used by the real backend. */
extern char kr__runq_requested[16];

extern atomic_bool kr__is_running;
extern atomic_bool kr__finalizing;
extern uint32_t kr__local_ip;
extern uint16_t kr__local_port;
bool kr__inside_process(const char *what); /* logs misuse when true */

/* Counters (kr_stats). Relaxed atomics: exact totals, no ordering. */
typedef struct kr__counters {
    atomic_uint_fast64_t messages_sent, messages_delivered, messages_dropped;
    atomic_uint_fast64_t dispatches, events_served, events_dropped;
    atomic_uint_fast64_t processes_spawned, processes_terminated;
    atomic_uint_fast64_t timers_created, timers_fired, timers_cancelled;
    atomic_uint_fast64_t check_failures;
} kr__counters;
extern kr__counters kr__stats;
/* The hot counters are per thread (counters.c): each thread adds to its own
 * block with a plain load and store, and kr_stats_get sums the blocks, so
 * workers never bounce a shared cache line per message. check_failures
 * stays in kr__stats (kr_check_failures reads it directly); kr__stats also
 * takes the counts of a thread that could not get a block. */
#define KR__NCOUNTERS (sizeof(kr__counters) / sizeof(atomic_uint_fast64_t))
typedef struct kr__tcounters {
    struct kr__tcounters *next;
    atomic_bool in_use;
    atomic_uint_fast64_t v[KR__NCOUNTERS];
} kr__tcounters;
extern KR__TLS kr__tcounters *kr__tcount;
kr__tcounters *kr__tcount_attach(void); /* NULL if out of memory */
void kr__counters_reset(void);
uint64_t kr__counter_total(size_t index);
static inline void kr__count_at(size_t index)
{
    kr__tcounters *t = kr__tcount;
    if (!t && !(t = kr__tcount_attach())) {
        atomic_fetch_add_explicit((atomic_uint_fast64_t *)&kr__stats + index, 1,
                                  memory_order_relaxed);
        return;
    }
    atomic_store_explicit(&t->v[index],
                          atomic_load_explicit(&t->v[index], memory_order_relaxed) + 1,
                          memory_order_relaxed);
}
#define KR__COUNTER_INDEX(field) (offsetof(kr__counters, field) / sizeof(atomic_uint_fast64_t))
#define KR__COUNT(field)                                                                          \
    (KR__COUNTER_INDEX(field) == KR__COUNTER_INDEX(check_failures)                                \
         ? (void)atomic_fetch_add_explicit(&kr__stats.field, 1, memory_order_relaxed)             \
         : kr__count_at(KR__COUNTER_INDEX(field)))

/* Ids (pid.c) */
void kr__ids_reset(void);
/* The next generated "" id, "(N)", without allocating (kr_process_init). */
void kr__id_generate_anon(char id[KR_ID_MAX + 1]);
int kr__ip_parse(const char *s, uint32_t *out);
void kr__ip_format(uint32_t ip, char *buf, size_t n);

#endif
