/* The core as a backend sees it: every type, variable and function of
 * runtime/core/ that a backend (runtime/real/, sim/backend/) may use, each
 * with its contract. Its twin, backend.h, declares the hooks a backend
 * provides. A backend includes backend.h (which includes this file) and no
 * other core header, so the compiler checks every use; the seam test
 * (tests/seam_check.sh) checks the link: no core symbol a backend object
 * uses, nor backend symbol the core uses, is declared anywhere else.
 * Everything here is internal (kr__*), not public API. See
 * runtime/BACKENDS.md. */
#ifndef KAIROS_CORE_H
#define KAIROS_CORE_H

#include <kairos/kairos.h>
#include <kairos/http.h>

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one thread or many ---------------------------------------------------
 * The core is compiled once per backend. The simulator runs everything on
 * its one driving thread (API.md: "sim: one thread"), so its copy of the
 * core does the hot read-modify-writes (pending counts, slot references,
 * mailbox links) as plain loads and stores: a lock-prefixed instruction
 * costs ~20 cycles, and a step made ~8 of them (issue 15, sim-events). The
 * real backend's copy is unchanged. The fields stay _Atomic either way. */
#ifdef KAIROS_SIM
#define KR__ONE_THREAD 1
#else
#define KR__ONE_THREAD 0
#endif

/* *a += v; returns the old value. */
static inline uint32_t kr__add_u32(_Atomic uint32_t *a, uint32_t v)
{
#if KR__ONE_THREAD
    uint32_t old = atomic_load_explicit(a, memory_order_relaxed);
    atomic_store_explicit(a, old + v, memory_order_relaxed);
    return old;
#else
    return atomic_fetch_add(a, v);
#endif
}

/* *a -= v; returns the old value. */
static inline uint32_t kr__sub_u32(_Atomic uint32_t *a, uint32_t v)
{
#if KR__ONE_THREAD
    uint32_t old = atomic_load_explicit(a, memory_order_relaxed);
    atomic_store_explicit(a, old - v, memory_order_relaxed);
    return old;
#else
    return atomic_fetch_sub(a, v);
#endif
}

/* Relaxed counters of any atomic integer type: *a += v giving the new
 * value / *a -= v. Plain in the one-thread copy (each is a locked
 * instruction otherwise). a is evaluated more than once there. */
#if KR__ONE_THREAD
#define KR__ADD_FETCH_RELAXED(a, v)                                                             \
    (atomic_store_explicit((a), atomic_load_explicit((a), memory_order_relaxed) + (v),         \
                           memory_order_relaxed),                                               \
     atomic_load_explicit((a), memory_order_relaxed))
#define KR__SUB_RELAXED(a, v)                                                                   \
    atomic_store_explicit((a), atomic_load_explicit((a), memory_order_relaxed) - (v),          \
                          memory_order_relaxed)
#else
#define KR__ADD_FETCH_RELAXED(a, v) (atomic_fetch_add_explicit((a), (v), memory_order_relaxed) + (v))
#define KR__SUB_RELAXED(a, v) ((void)atomic_fetch_sub_explicit((a), (v), memory_order_relaxed))
#endif

/* ---- logging and allocation (log.c, alloc.c) ---------------------------- */

/* One line to stderr, prefixed "kairos: ". */
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
/* Any thread. */
void kr__mailbox_push(kr__mailbox *q, kr__node *n);
/* The one consumer. NULL when empty, or while a producer is half-way
 * through a push. */
kr__node *kr__mailbox_pop(kr__mailbox *q);
/* True when a pushed node is (or is about to become) poppable. */
bool kr__mailbox_has_items(const kr__mailbox *q);

/* A process' mailbox is the same queue with its parts apart in kr__proc
 * (see there): kr__inbox_* are kr__mailbox_* on those parts. */
struct kr__proc;
void kr__inbox_init(struct kr__proc *p);
void kr__inbox_push(struct kr__proc *p, kr__node *n);
kr__node *kr__inbox_pop(struct kr__proc *p);

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

/* Event flags. EXTERNAL: queued from outside the node (the wire, the
 * simulated network, an HTTP request) and counted against the mailbox
 * bound (mailbox_bound.c) until popped. One byte that kr__event_new clears
 * anyway, so local events pay no extra store for it. */
enum { KR__EVF_INJECT = 1, /* terminate: drop what is queued before it */
       KR__EVF_EXTERNAL = 2 };

/* One queued event; a backend only reads it (kr__backend_on_serve). */
typedef struct kr__event {
    kr__node node;
    uint8_t kind;
    uint8_t flags; /* KR__EVF_*; 0 when made */
    uint8_t aux;   /* message: strlen(name) (0: look it up) */
    uint32_t len;  /* bytes of data (arg or body) */
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
        struct {
            uint64_t bytes; /* what the mailbox bound counted for it */
        } http;
    } u;
    alignas(16) unsigned char data[]; /* arg or body, then the message name */
} kr__event;

/* Per-thread event pools, for a backend's long-lived serving threads (real
 * workers): attach once when the thread starts, flush before it may sleep
 * (freed blocks of other threads' pools go home), detach before it ends.
 * Threads that never attach allocate from the shared heap. */
void kr__event_pool_attach(void);
void kr__event_pool_flush(void);
void kr__event_pool_detach(void);

/* ---- processes (process.c, table.c) ------------------------------------- */

enum { KR__BOTTOM, KR__READY, KR__BLOCKED, KR__TERMINATING };
enum { KR__F_INITED = 1, KR__F_SPAWNED = 2, KR__F_MANAGED = 4, KR__F_BAD_ID = 8 };

typedef struct kr__handlers kr__handlers;
typedef struct kr__links kr__links;
typedef struct kr__proc_extra kr__proc_extra;

typedef struct kr__proc {
    /* Senders write these two on every enqueue. They sit at the front and
     * what the serving thread touches per event (pid, inbox_tail, purge,
     * served, handlers) starts 48 bytes after them: with kr_process at
     * least 16-byte aligned, no cache line then holds both, so a sender and
     * the consumer on two cores do not false-share one line per message
     * (fanout: the mailbox head, tail and pending count shared a line). */
    _Atomic(kr__node *) inbox_head; /* the mailbox: producers exchange this */
    _Atomic uint32_t pending;       /* events queued and not yet accounted */
    uint32_t sched_index;           /* backend use */
    /* Cold, or touched once per turn. */
    const kr_process_ops *ops;
    _Atomic int state;
    uint32_t flags;
    kr__node inbox_stub;
    union { /* backend use */
        kr__node sched_link; /* real: run queue link */
        uint64_t sched_key;  /* sim: the id's trace hash, 0 until computed */
    };
    /* Who to tell when we exit; written under the links lock. Atomic so
     * that cleanup can see "no links" without the global lock. */
    _Atomic(kr__links *) links;
    /* What only some processes need (HTTP routes, the mailbox bound's
     * limits and counters), made on first use: mailbox_bound.c. Out of
     * line so an idle process stays small. */
    _Atomic(kr__proc_extra *) extra;
    /* The serving thread's side. */
    kr_pid pid;
    kr__node *inbox_tail; /* only the consumer touches this */
    _Atomic uint32_t purge; /* injected terminates not yet reached, plus
                             * KR__PURGE_LISTING (processes.c) */
    /* Events served (initialize included), modulo 2^32, for
     * /metrics/snapshot; written by the serving thread, read by anyone. */
    _Atomic uint32_t served;
    kr__handlers *handlers;
} kr__proc;

_Static_assert(sizeof(kr__proc) <= sizeof(kr_process), "kr_process too small");
_Static_assert(offsetof(kr__proc, pid) >= offsetof(kr__proc, sched_index) + sizeof(uint32_t) + 48 &&
                   offsetof(kr__proc, sched_index) + sizeof(uint32_t) <= 16,
               "kr__proc: senders' fields must stay a cache line apart from the consumer's");
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

/* initial-exec: no __tls_get_addr call per access from the shared library */
#define KR__TLS _Thread_local __attribute__((tls_model("initial-exec")))
/* The process the calling thread is serving, or NULL. */
extern KR__TLS kr__proc *kr__current_proc;

/* The process table. acquire: a counted reference (NULL if pid is not
 * running here), given back with release. alive: still registered. each:
 * fn for every registered process in slot order, under the table lock (fn
 * must not take it). */
kr__proc *kr__table_acquire(kr_pid pid);
void kr__table_release(kr__proc *p);
bool kr__table_alive(kr_pid pid);
void kr__table_each(void (*fn)(kr__proc *p, void *ctx), void *ctx);

/* The send reference a serving thread may keep for one turn (repeated sends
 * to one target skip the table lookup). A backend enables it on its serving
 * threads (set true at thread start, false at its end) and must call
 * kr__table_send_cache_end_turn() after every kr__process_run: the
 * reference is never held across turns or while the thread sleeps. */
extern KR__TLS bool kr__table_send_cache;
extern KR__TLS kr__proc *kr__table_cached; /* the reference held, or NULL */
void kr__table_send_cache_drop(void);
static inline void kr__table_send_cache_end_turn(void)
{
    if (kr__table_cached)
        kr__table_send_cache_drop();
}

/* ---- messages and links (message.c, link.c) ----------------------------- */

/* Enqueues a message that came from another node (the simulator's
 * network; the real backend's arrive through kr__http_handle) within the
 * receiver's mailbox bound (0), else drops and counts it: KR_ENOSPC (the
 * mailbox is full), KR_ENOENT (no such process), KR_ENOMEM
 * (mailbox_bound.c). */
int kr__message_deliver_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                                size_t len);
/* Adds linker to to's list; false if `to` is not running here. */
bool kr__link_add(kr_pid linker, kr_pid to);
/* Queues exited(who) for `to` (a linker told that who is gone). */
void kr__send_exited(kr_pid to, kr_pid who);

/* ---- timers (timer.c): shared data, fired by the backend ---------------- */

typedef struct kr__timer kr__timer;
/* A timer that runs fn(ctx) on firing, or drop(ctx) if cleared unfired.
 * deadline is read from the caller's clock (kr_clock_now() + d); the
 * backend translates it (kr__backend_deadline). */
/* now + d, saturating at INT64_MAX. A node's skewed clock can read before
 * 1970 (a negative now), where INT64_MAX - now would itself overflow. */
static inline kr_time kr__time_after(kr_time now, kr_duration d)
{
    if (d < 0)
        d = 0;
    return (now > 0 && d > INT64_MAX - now) ? INT64_MAX : now + d;
}
kr_timer kr__timer_add(kr_time deadline, void (*fn)(void *ctx), void (*drop)(void *ctx),
                       void *ctx);
kr_time kr__timers_next_deadline(void); /* INT64_MAX when none */
/* Pops the due timer (deadline <= now) to fire next: the earliest, ties by
 * creation order; with choose != NULL, choose(n) picks among the n timers
 * sharing the earliest deadline (in creation order). NULL if none is due. */
kr__timer *kr__timers_pop_due(kr_time now, size_t (*choose)(size_t n));
/* Pops up to max due timers in firing order under one lock (the real
 * backend's timer thread, which then fires them in that order). */
size_t kr__timers_pop_due_batch(kr_time now, kr__timer **out, size_t max);
void kr__timer_fire(kr__timer *t); /* runs and frees it */

/* ---- runtime state (runtime.c) ------------------------------------------ */

/* What kr_init resolved for the core from kr_config and KAIROS_IP /
 * KAIROS_PORT. A backend's own fields (workers, seed, strategy, ...) never
 * come here: kr__backend_configure reads and validates them. */
typedef struct kr__config {
    uint32_t ip;
    int port; /* -1: no listener, 0: any free port */
} kr__config;

/* The grammar of configuration values, for kr__backend_configure: `text`
 * (a field's or a KAIROS_* variable's value, named `name` in the log) is a
 * decimal integer in [min, max] / an unsigned 64-bit integer. 0, or
 * KR_EINVAL after logging "kr_init: name=..." . */
int kr__config_int(const char *name, const char *text, long min, long max, long *out);
int kr__config_u64(const char *name, const char *text, uint64_t *out);

extern atomic_bool kr__is_running;
extern atomic_bool kr__finalizing; /* kr_finalize is terminating everything */
/* This node's address; a backend that binds a free port stores it here
 * before any process is spawned (pids carry it). */
extern uint32_t kr__local_ip;
extern uint16_t kr__local_port;

/* ---- counters (counters.c; kr_stats). ------------------------------------
 * Relaxed atomics: exact totals, no ordering. The hot counters are per
 * thread: each thread adds to its own block with a plain load and store,
 * and kr_stats_get sums the blocks, so workers never bounce a shared cache
 * line per message. check_failures stays in kr__stats (kr_check_failures
 * reads it directly); kr__stats also takes the counts of a thread that could
 * not get a block. A backend counts with KR__COUNT(field). */
typedef struct kr__counters {
    atomic_uint_fast64_t messages_sent, messages_delivered, messages_dropped;
    atomic_uint_fast64_t dispatches, events_served, events_dropped;
    atomic_uint_fast64_t processes_spawned, processes_terminated;
    atomic_uint_fast64_t timers_created, timers_fired, timers_cancelled;
    atomic_uint_fast64_t check_failures;
} kr__counters;
extern kr__counters kr__stats;
#define KR__NCOUNTERS (sizeof(kr__counters) / sizeof(atomic_uint_fast64_t))
typedef struct kr__tcounters {
    struct kr__tcounters *next;
    atomic_bool in_use;
    atomic_uint_fast64_t v[KR__NCOUNTERS];
} kr__tcounters;
extern KR__TLS kr__tcounters *kr__tcount;
kr__tcounters *kr__tcount_attach(void); /* NULL if out of memory */
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

/* ---- addresses (pid.c) -------------------------------------------------- */

/* Dotted IPv4 <-> host-order value; parse returns 0 or KR_EINVAL. */
int kr__ip_parse(const char *s, uint32_t *out);
void kr__ip_format(uint32_t ip, char *buf, size_t n);
/* Writes v in decimal at p (up to 20 digits, no NUL); returns the end.
 * For text built per message or per seed, where snprintf costs too much. */
char *kr__put_decimal(char *p, uint64_t v);

/* ---- HTTP (http_route.c, http_wire.c) ------------------------------------
 * Nothing here does I/O: the real backend parses bytes off sockets (with
 * http_parser) and the simulator builds requests from its network; both
 * call kr__http_handle with a fully parsed request. */

/* A growable byte string. */
typedef struct kr__sb {
    char *data; /* NUL-terminated whenever len > 0 or after any append */
    size_t len, cap;
    bool failed; /* an allocation failed: the content is incomplete */
} kr__sb;

void kr__sb_append(kr__sb *b, const void *data, size_t len);
void kr__sb_puts(kr__sb *b, const char *s);
void kr__sb_printf(kr__sb *b, const char *fmt, ...) KR_PRINTF(2, 3);
void kr__sb_free(kr__sb *b);

typedef struct kr__http_header {
    const char *name, *value;
} kr__http_header;

/* An incoming request. */
typedef struct kr__http_in {
    const char *method; /* "GET", "POST", ... */
    /* The URL path as received, still percent-encoded: "/{id}/rest". The
     * core decodes the id segment, as libprocess does; the rest is kept as
     * sent (routes match it byte for byte). */
    const char *path;
    const char *query; /* after '?', without it; "" when absent */
    const kr__http_header *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
} kr__http_in;

/* Where the answer to one request goes. respond() is called exactly once
 * per request, from any thread, possibly after the request's process is
 * gone. content_type NULL = no Content-Type header; headers NULL or extra
 * header lines, each ending in "\r\n". */
typedef struct kr__http_sink {
    void (*respond)(void *conn, int status, const char *content_type, const char *headers,
                    const void *body, size_t len);
    void *conn;
} kr__http_sink;

/* The one entry point for a parsed request, on both backends. Answers
 * malformed (400), firewalled (403) and unknown (404) requests and the
 * built-in endpoints itself; decodes libprocess messages (POST with
 * Libprocess-From or User-Agent: libprocess/...) and answers 202 or 404;
 * otherwise queues an HTTP event for the owning process, whose route
 * answers later (404/401 from route lookup and authentication happen in the
 * process' context). req is only read during the call. */
void kr__http_handle(const kr__http_in *req, const kr__http_sink *sink);

/* Gauges the backend keeps for /metrics/snapshot. */
extern atomic_long kr__http_stat_connections; /* open inbound HTTP connections */
extern atomic_long kr__http_stat_peers;       /* open outbound peer connections */

/* A client URL "http://a.b.c.d:port/path?query#fragment" split in place
 * (http_url.c): the scheme is http (any case), the host a dotted IPv4
 * address, the port 1..65535 and required; path "/" and query "" when
 * absent; the fragment is dropped. No spaces or control characters. Lengths
 * index into the caller's string; KR_EINVAL (with *why) when malformed. The
 * simulator's client uses it; the real one parses with http_parser. */
typedef struct kr__url {
    uint32_t ip;
    uint16_t port;
    const char *path, *query;
    size_t path_len, query_len;
} kr__url;
int kr__url_split(const char *url, kr__url *out, const char **why);

/* Frees a client's kr_http_response (the free_value of its future). */
void kr__http_response_free(void *response);

/* The exact bytes libprocess' MessageEncoder writes for a message (see
 * runtime/WIRE.md): a chunked POST /{to.id}/{name}. Returns a malloc'd
 * buffer (kr__free) and its length, or NULL when out of memory. */
char *kr__wire_encode_message(kr_pid from, kr_pid to, const char *name, const void *body,
                              size_t len, size_t *out_len);

#endif
