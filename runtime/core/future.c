/* Futures and promises.
 *
 * One allocation holds the shared state; a promise is the same object seen
 * through its write-side type and owns one reference. Completion happens
 * once, under the state's lock; callbacks run after the lock is dropped, on
 * the completing thread (or dispatched to a process). Every completion wakes
 * blocked awaiters through the backend. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>
#include <stddef.h>

typedef struct callback {
    struct callback *next;
    void (*internal)(kr_future *f, void *ctx); /* NULL for a user callback */
    void *ictx;
    kr_future_fn fn;
    kr_pid ctx;
    unsigned states; /* bit (1u << state): the final states fn wants */
    size_t len;
    alignas(16) unsigned char arg[];
} callback;

typedef struct discard_hook {
    struct discard_hook *next;
    void (*fn)(void *ctx);
    void (*release)(void *ctx); /* when the hook is freed, run or not */
    void *ctx;
} discard_hook;

struct kr_future {
    pthread_mutex_t lock;
    atomic_int refs;
    _Atomic int state;
    atomic_bool discard;
    void *value;
    void (*free_value)(void *);
    char *error;
    callback *callbacks, **callbacks_tail;
    discard_hook *discard_hooks;
    kr_future *keep; /* owner of a borrowed value (follow) */
};

struct kr_promise {
    struct kr_future f;
};

static kr_future *as_future(kr_promise *p) { return &p->f; }

kr_promise *kr_promise_new(void)
{
    kr_promise *p = kr__calloc(1, sizeof *p);
    if (!p)
        return NULL;
    kr_future *f = as_future(p);
    pthread_mutex_init(&f->lock, NULL);
    atomic_init(&f->refs, 1);
    atomic_init(&f->state, KR_PENDING);
    f->callbacks_tail = &f->callbacks;
    return p;
}

kr_future *kr_promise_future(kr_promise *p) { return p ? kr_future_ref(as_future(p)) : NULL; }

kr_future *kr_future_ref(kr_future *f)
{
    if (f)
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

static void free_hooks(discard_hook *h)
{
    while (h) {
        discard_hook *next = h->next;
        if (h->release)
            h->release(h->ctx);
        kr__free(h);
        h = next;
    }
}

void kr_future_unref(kr_future *f)
{
    if (!f || atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (f->free_value && f->value)
        f->free_value(f->value);
    kr__free(f->error);
    for (callback *c = f->callbacks; c;) { /* pending when dropped */
        callback *next = c->next;
        kr__free(c);
        c = next;
    }
    free_hooks(f->discard_hooks);
    kr_future_unref(f->keep);
    pthread_mutex_destroy(&f->lock);
    kr__free(f);
}

/* A user callback dispatched into a process: the event's payload. */
typedef struct deferred_call {
    kr_future_fn fn;
    kr_future *f; /* a reference */
    size_t len;
    alignas(16) unsigned char arg[];
} deferred_call;

static void deferred_run(kr_process *self, void *data)
{
    deferred_call *d = data;
    d->fn(self, d->f, d->arg);
    kr_future_unref(d->f);
}

static void deferred_drop(kr_process *self, void *data)
{
    (void)self;
    kr_future_unref(((deferred_call *)data)->f);
}

static void run_callback(kr_future *f, callback *c)
{
    if (c->internal) {
        c->internal(f, c->ictx);
    } else if (!(c->states & (1u << kr_future_state_of(f)))) {
        /* on_ready & co.: not the state this callback listens for */
    } else if (kr_pid_is_none(c->ctx)) {
        c->fn(NULL, f, c->arg);
    } else {
        size_t size = sizeof(deferred_call) + c->len;
        deferred_call *d = kr__malloc(size);
        if (d) {
            d->fn = c->fn;
            d->f = kr_future_ref(f);
            d->len = c->len;
            memcpy(d->arg, c->arg, c->len);
            kr__dispatch_internal(c->ctx, deferred_run, deferred_drop, d, size);
            kr__free(d);
        }
    }
    kr__free(c);
}

static bool complete(kr_future *f, kr_future_state state, void *value,
                     void (*free_value)(void *), const char *error, kr_future *keep)
{
    char *error_copy = error ? kr__strdup(error) : NULL;
    pthread_mutex_lock(&f->lock);
    if (atomic_load(&f->state) != KR_PENDING) {
        pthread_mutex_unlock(&f->lock);
        kr__free(error_copy);
        return false;
    }
    f->value = value;
    f->free_value = free_value;
    f->error = error_copy;
    f->keep = keep ? kr_future_ref(keep) : NULL;
    callback *cbs = f->callbacks;
    discard_hook *hooks = f->discard_hooks;
    f->callbacks = NULL;
    f->callbacks_tail = &f->callbacks;
    f->discard_hooks = NULL;
    atomic_store_explicit(&f->state, state, memory_order_release);
    pthread_mutex_unlock(&f->lock);
    free_hooks(hooks);
    while (cbs) {
        callback *next = cbs->next;
        run_callback(f, cbs);
        cbs = next;
    }
    kr__backend_wake(KR__WAIT_FUTURE);
    return true;
}

bool kr_promise_set(kr_promise *p, void *value, void (*free_value)(void *))
{
    return p && complete(as_future(p), KR_READY, value, free_value, NULL, NULL);
}

bool kr_promise_fail(kr_promise *p, const char *reason)
{
    return p && complete(as_future(p), KR_FAILED, NULL, NULL, reason ? reason : "", NULL);
}

bool kr_promise_discard(kr_promise *p)
{
    return p && complete(as_future(p), KR_DISCARDED, NULL, NULL, NULL, NULL);
}

void kr__promise_abandon(kr_promise *p) { complete(as_future(p), KR_ABANDONED, NULL, NULL, NULL, NULL); }

void kr_promise_free(kr_promise *p)
{
    if (!p)
        return;
    kr__promise_abandon(p); /* no-op unless still pending */
    kr_future_unref(as_future(p));
}

void kr__promise_follow(kr_promise *p, kr_future *f)
{
    switch (kr_future_state_of(f)) {
    case KR_READY:
        complete(as_future(p), KR_READY, f->value, NULL, NULL, f); /* value borrowed */
        break;
    case KR_FAILED:
        kr_promise_fail(p, f->error);
        break;
    case KR_DISCARDED:
        kr_promise_discard(p);
        break;
    default:
        kr__promise_abandon(p);
        break;
    }
}

kr_future_state kr_future_state_of(const kr_future *f)
{
    return f ? (kr_future_state)atomic_load_explicit(&f->state, memory_order_acquire)
             : KR_ABANDONED;
}

void *kr_future_value(const kr_future *f)
{
    return kr_future_state_of(f) == KR_READY ? f->value : NULL;
}

const char *kr_future_error(const kr_future *f)
{
    return kr_future_state_of(f) == KR_FAILED ? f->error : NULL;
}

static void add_callback(kr_future *f, callback *c)
{
    c->next = NULL;
    pthread_mutex_lock(&f->lock);
    if (atomic_load(&f->state) == KR_PENDING) {
        *f->callbacks_tail = c;
        f->callbacks_tail = &c->next;
        pthread_mutex_unlock(&f->lock);
        return;
    }
    pthread_mutex_unlock(&f->lock);
    run_callback(f, c); /* already complete: now */
}

void kr__future_on_states(const char *who, kr_future *f, unsigned states, kr_pid ctx,
                          kr_future_fn fn, const void *arg, size_t len)
{
    if (!f || !fn || (!arg && len)) {
        kr__log("%s: NULL %s", who, !f ? "future" : !fn ? "function" : "arg");
        return;
    }
    callback *c = kr__malloc(sizeof *c + len);
    if (!c) {
        kr__log("%s: out of memory; callback lost", who);
        return;
    }
    c->internal = NULL;
    c->fn = fn;
    c->ctx = ctx;
    c->states = states;
    c->len = len;
    if (len)
        memcpy(c->arg, arg, len);
    add_callback(f, c);
}

void kr_future_on_any(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg, size_t len)
{
    kr__future_on_states("kr_future_on_any", f, ~0u, ctx, fn, arg, len);
}

void kr__future_on_complete(kr_future *f, void (*fn)(kr_future *f, void *ctx), void *ctx)
{
    callback *c = kr__malloc(sizeof *c);
    if (!c) {
        fn(f, ctx); /* cannot wait: run now so nothing is leaked */
        return;
    }
    c->internal = fn;
    c->ictx = ctx;
    c->len = 0;
    add_callback(f, c);
}

void kr__future_on_discard(kr_future *f, void (*fn)(void *ctx), void (*release)(void *ctx),
                           void *ctx)
{
    discard_hook *h = kr__malloc(sizeof *h);
    if (!h) {
        if (release)
            release(ctx);
        return;
    }
    h->fn = fn;
    h->release = release;
    h->ctx = ctx;
    h->next = NULL;
    pthread_mutex_lock(&f->lock);
    bool pending = atomic_load(&f->state) == KR_PENDING;
    bool now = pending && atomic_load(&f->discard);
    if (pending && !now) { /* appended: listeners hear in the order they registered */
        discard_hook **tail = &f->discard_hooks;
        while (*tail)
            tail = &(*tail)->next;
        *tail = h;
        h = NULL;
    }
    pthread_mutex_unlock(&f->lock);
    if (h && now)
        fn(ctx);
    free_hooks(h);
}

void kr_future_discard(kr_future *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    discard_hook *hooks = NULL;
    if (atomic_load(&f->state) == KR_PENDING && !atomic_load(&f->discard)) {
        atomic_store(&f->discard, true);
        hooks = f->discard_hooks;
        f->discard_hooks = NULL;
    }
    pthread_mutex_unlock(&f->lock);
    for (discard_hook *h = hooks; h; h = h->next)
        h->fn(h->ctx);
    free_hooks(hooks);
}

bool kr_future_discard_requested(const kr_future *f) { return f && atomic_load(&f->discard); }

bool kr__future_discard_clear(kr_future *f) { return atomic_exchange(&f->discard, false); }

kr_future *kr__promise_peek(kr_promise *p) { return as_future(p); }

bool kr__future_value_is(const kr_future *f, void (*free_value)(void *))
{
    if (kr_future_state_of(f) != KR_READY)
        return false;
    /* A chain's result borrows its value: the owner is down the keep list. */
    for (const kr_future *g = f; g; g = g->keep)
        if (g->value == f->value && g->free_value == free_value)
            return true;
    return false;
}

static bool not_pending(void *ctx) { return kr_future_state_of(ctx) != KR_PENDING; }

bool kr_future_await(kr_future *f, kr_duration timeout)
{
    if (!f) {
        kr__log("kr_future_await: NULL future");
        return false;
    }
    if (kr_future_state_of(f) != KR_PENDING)
        return true;
    if (kr__inside_process("kr_future_await") || !atomic_load(&kr__is_running))
        return false;
    return kr__backend_block_until(KR__WAIT_FUTURE, not_pending, f, timeout);
}

const char *kr_future_describe(const kr_future *f, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    static const char *const names[] = {"Pending", "Ready", "Failed", "Discarded", "Abandoned"};
    kr_future_state s = kr_future_state_of(f);
    const char *with = kr_future_discard_requested(f) ? " (with discard)" : "";
    if (s == KR_FAILED)
        snprintf(buf, n, "Failed%s: %s", with, f->error ? f->error : "");
    else
        snprintf(buf, n, "%s%s", names[s], with);
    return buf;
}

/* ---- kr_future_all ------------------------------------------------------ */

typedef struct all_ctx {
    atomic_int refs;
    atomic_size_t remaining;
    kr_promise *result;
    size_t n;
    kr_future *inputs[];
} all_ctx;

typedef struct future_vec {
    size_t n;
    kr_future *items[];
} future_vec;

void kr__future_vec_free(void *value)
{
    future_vec *v = (future_vec *)(void *)((char *)value - offsetof(future_vec, items));
    for (size_t i = 0; i < v->n; i++)
        kr_future_unref(v->items[i]);
    kr__free(v);
}

static void all_release(all_ctx *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    for (size_t i = 0; i < c->n; i++)
        kr_future_unref(c->inputs[i]);
    kr_promise_free(c->result);
    kr__free(c);
}

static void all_release_hook(void *ctx) { all_release(ctx); }

void kr__promise_set_vec(kr_promise *p, kr_future *const *fs, size_t n)
{
    future_vec *v = kr__malloc(sizeof *v + n * sizeof v->items[0]);
    if (!v) {
        kr_promise_fail(p, "out of memory");
        return;
    }
    v->n = n;
    for (size_t i = 0; i < n; i++)
        v->items[i] = kr_future_ref(fs[i]);
    if (!kr_promise_set(p, v->items, kr__future_vec_free))
        kr__future_vec_free(v->items);
}

static void all_ready(all_ctx *c) { kr__promise_set_vec(c->result, c->inputs, c->n); }

static void all_input_done(kr_future *f, void *ctx)
{
    all_ctx *c = ctx;
    if (kr_future_state_of(f) == KR_READY) {
        if (atomic_fetch_sub(&c->remaining, 1) == 1)
            all_ready(c);
    } else {
        kr__promise_follow(c->result, f); /* the first non-ready input decides */
    }
    all_release(c);
}

static void all_discard(void *ctx)
{
    all_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        kr_future_discard(c->inputs[i]);
}

kr_future *kr_future_all(kr_future *const *fs, size_t n)
{
    if (!fs && n) {
        kr__log("kr_future_all: NULL array");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) {
            kr__log("kr_future_all: NULL future at %zu", i);
            return NULL;
        }
    kr_promise *result = kr_promise_new();
    all_ctx *c = result ? kr__malloc(sizeof *c + n * sizeof c->inputs[0]) : NULL;
    if (!c) {
        kr_promise_free(result);
        return NULL;
    }
    kr_future *out = kr_promise_future(result);
    c->result = result;
    c->n = n;
    atomic_init(&c->remaining, n);
    atomic_init(&c->refs, (int)n + 2); /* inputs, discard hook, this function */
    for (size_t i = 0; i < n; i++)
        c->inputs[i] = kr_future_ref(fs[i]);
    if (n == 0)
        all_ready(c);
    kr__future_on_discard(out, all_discard, all_release_hook, c);
    for (size_t i = 0; i < n; i++)
        kr__future_on_complete(c->inputs[i], all_input_done, c);
    all_release(c);
    return out;
}

/* ---- kr_future_after ---------------------------------------------------- */

typedef struct after_ctx {
    atomic_int refs;
    kr_promise *result;
    kr_future *source;
    kr_timer timer;
} after_ctx;

static void after_release(after_ctx *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    kr_future_unref(c->source);
    kr_promise_free(c->result);
    kr__free(c);
}

static void after_timeout(void *ctx)
{
    after_ctx *c = ctx;
    kr_promise_fail(c->result, "timed out");
    after_release(c);
}

static void after_timer_dropped(void *ctx)
{
    after_ctx *c = ctx;
    kr__promise_abandon(c->result); /* runtime ended: nobody can time it out */
    after_release(c);
}

static void after_source_done(kr_future *f, void *ctx)
{
    after_ctx *c = ctx;
    kr__promise_follow(c->result, f);
    kr_timer_cancel(c->timer);
    after_release(c);
}

static void after_discard(void *ctx) { kr_future_discard(ctx); }
static void after_unref_source(void *ctx) { kr_future_unref(ctx); }

kr_future *kr_future_after(kr_future *f, kr_duration d)
{
    if (!f) {
        kr__log("kr_future_after: NULL future");
        return NULL;
    }
    kr_promise *result = kr_promise_new();
    after_ctx *c = result ? kr__malloc(sizeof *c) : NULL;
    if (!c) {
        kr_promise_free(result);
        return NULL;
    }
    kr_future *out = kr_promise_future(result);
    c->result = result;
    c->source = kr_future_ref(f);
    atomic_init(&c->refs, 3); /* timer, source callback, this function */
    kr_time now = kr_clock_now();
    if (d < 0)
        d = 0;
    kr_time deadline = kr__time_after(now, d);
    c->timer = kr__timer_add(deadline, after_timeout, after_timer_dropped, c);
    if (!c->timer)
        after_release(c); /* no timeout: it only follows the source */
    kr__future_on_discard(out, after_discard, after_unref_source, kr_future_ref(f));
    kr__future_on_complete(f, after_source_done, c);
    after_release(c);
    return out;
}
