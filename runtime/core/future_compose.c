/* Future composition: then, recover, ready/failed, state-filtered callbacks,
 * discard hooks for producers, await_all and select (libprocess' future.hpp).
 *
 * A chain (then/recover, and the sequence's "always") owns the result's
 * promise and follows first its input, then the future its continuation
 * returned. `current` is what the result follows now, so a discard request
 * on the result is forwarded to whichever future is in flight. The chain is
 * reference counted: by this function while it wires things up, by the
 * result's discard hook, and by whichever completion callback or dispatched
 * step is outstanding. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>
#include <stddef.h>

typedef struct chain {
    atomic_int refs;
    pthread_mutex_t lock; /* guards current */
    kr_promise *result;
    kr_future *current;
    kr__chain_kind kind;
    kr_pid ctx;
    kr_then_fn fn;
    size_t len;
    alignas(16) unsigned char arg[];
} chain;

static void chain_release(chain *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    kr_future_unref(c->current);
    kr_promise_free(c->result); /* abandons the result if still pending */
    pthread_mutex_destroy(&c->lock);
    kr__free(c);
}

static void chain_release_hook(void *ctx) { chain_release(ctx); }

static kr_future *chain_out(chain *c) { return kr__promise_peek(c->result); }

/* A discard request on the result: forward it to the future in flight. */
static void chain_discard(void *ctx)
{
    chain *c = ctx;
    pthread_mutex_lock(&c->lock);
    kr_future *cur = kr_future_ref(c->current);
    pthread_mutex_unlock(&c->lock);
    kr_future_discard(cur);
    kr_future_unref(cur);
}

static void chain_next_done(kr_future *g, void *ctx)
{
    chain *c = ctx;
    kr__promise_follow(c->result, g);
    chain_release(c);
}

/* Runs the continuation and makes the result follow its future. */
static void chain_step(kr_process *self, chain *c, kr_future *done)
{
    kr_future *g = c->fn(self, done, c->arg);
    if (!g) {
        kr__log("future continuation returned NULL");
        g = kr_future_failed("continuation returned NULL");
        if (!g) {
            kr__promise_abandon(c->result);
            chain_release(c);
            return;
        }
    }
    pthread_mutex_lock(&c->lock);
    kr_future *old = c->current;
    c->current = g; /* takes over fn's reference */
    pthread_mutex_unlock(&c->lock);
    kr_future_unref(old);
    if (kr_future_discard_requested(chain_out(c)))
        kr_future_discard(g); /* requested while fn ran */
    kr__future_on_complete(g, chain_next_done, c);
}

typedef struct chain_call {
    chain *c;
    kr_future *done; /* a reference */
} chain_call;

static void chain_call_run(kr_process *self, void *data)
{
    chain_call *call = data;
    chain_step(self, call->c, call->done);
    kr_future_unref(call->done);
}

/* ctx is gone (or the runtime ended): nobody can run the continuation. */
static void chain_call_drop(kr_process *self, void *data)
{
    (void)self;
    chain_call *call = data;
    kr__promise_abandon(call->c->result);
    kr_future_unref(call->done);
    chain_release(call->c);
}

static bool chain_wants(kr__chain_kind kind, kr_future_state s)
{
    switch (kind) {
    case KR__CHAIN_THEN:
        return s == KR_READY;
    case KR__CHAIN_RECOVER:
        return s != KR_READY;
    default:
        return true;
    }
}

static void chain_input_done(kr_future *f, void *ctx)
{
    chain *c = ctx;
    if (!chain_wants(c->kind, kr_future_state_of(f))) {
        kr__promise_follow(c->result, f);
        chain_release(c);
        return;
    }
    kr_future *out = chain_out(c);
    if (c->kind == KR__CHAIN_RECOVER) {
        /* libprocess clears the result's discard so the recovered future
         * only hears a request made after this point. */
        if (kr__future_discard_clear(out)) {
            atomic_fetch_add(&c->refs, 1);
            kr__future_on_discard(out, chain_discard, chain_release_hook, c);
        }
    } else if (kr_future_discard_requested(out)) {
        kr_promise_discard(c->result); /* fn never runs once discarded */
        chain_release(c);
        return;
    }
    if (kr_pid_is_none(c->ctx)) {
        chain_step(NULL, c, f);
        return;
    }
    chain_call call = {c, kr_future_ref(f)};
    kr__dispatch_internal(c->ctx, chain_call_run, chain_call_drop, &call, sizeof call);
}

kr_future *kr__future_chain(const char *who, kr__chain_kind kind, kr_future *f, kr_pid ctx,
                            kr_then_fn fn, const void *arg, size_t len)
{
    if (!f || !fn || (!arg && len)) {
        kr__log("%s: NULL %s", who, !f ? "future" : !fn ? "function" : "arg");
        return NULL;
    }
    kr_promise *result = kr_promise_new();
    chain *c = result ? kr__malloc(sizeof *c + len) : NULL;
    if (!c) {
        kr_promise_free(result);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->refs, 3); /* discard hook, input callback, this function */
    c->result = result;
    c->current = kr_future_ref(f);
    c->kind = kind;
    c->ctx = ctx;
    c->fn = fn;
    c->len = len;
    if (len)
        memcpy(c->arg, arg, len);
    kr_future *out = kr_promise_future(result);
    kr__future_on_discard(out, chain_discard, chain_release_hook, c);
    kr__future_on_complete(f, chain_input_done, c);
    chain_release(c);
    return out;
}

kr_future *kr_future_then(kr_future *f, kr_pid ctx, kr_then_fn fn, const void *arg, size_t len)
{
    return kr__future_chain("kr_future_then", KR__CHAIN_THEN, f, ctx, fn, arg, len);
}

kr_future *kr_future_recover(kr_future *f, kr_pid ctx, kr_then_fn fn, const void *arg,
                             size_t len)
{
    return kr__future_chain("kr_future_recover", KR__CHAIN_RECOVER, f, ctx, fn, arg, len);
}

/* ---- already complete futures and filtered callbacks ------------------- */

kr_future *kr_future_ready(void *value, void (*free_value)(void *))
{
    kr_promise *p = kr_promise_new();
    if (!p) {
        if (free_value && value)
            free_value(value); /* the caller handed it over */
        return NULL;
    }
    kr_future *f = kr_promise_future(p);
    kr_promise_set(p, value, free_value);
    kr_promise_free(p);
    return f;
}

kr_future *kr_future_failed(const char *reason)
{
    kr_promise *p = kr_promise_new();
    if (!p)
        return NULL;
    kr_future *f = kr_promise_future(p);
    kr_promise_fail(p, reason);
    kr_promise_free(p);
    return f;
}

void kr_future_on_ready(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg, size_t len)
{
    kr__future_on_states("kr_future_on_ready", f, 1u << KR_READY, ctx, fn, arg, len);
}

void kr_future_on_failed(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg, size_t len)
{
    kr__future_on_states("kr_future_on_failed", f, 1u << KR_FAILED, ctx, fn, arg, len);
}

void kr_future_on_discarded(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                            size_t len)
{
    kr__future_on_states("kr_future_on_discarded", f, 1u << KR_DISCARDED, ctx, fn, arg, len);
}

void kr_future_on_abandoned(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                            size_t len)
{
    kr__future_on_states("kr_future_on_abandoned", f, 1u << KR_ABANDONED, ctx, fn, arg, len);
}

/* ---- kr_promise_on_discard ---------------------------------------------- */

typedef struct discard_listener {
    kr_discard_fn fn;
    kr_pid ctx;
    size_t len;
    alignas(16) unsigned char arg[];
} discard_listener;

static void listener_run(kr_process *self, void *data)
{
    discard_listener *l = data;
    l->fn(self, l->arg);
}

static void listener_fire(void *ctx)
{
    discard_listener *l = ctx;
    if (kr_pid_is_none(l->ctx))
        l->fn(NULL, l->arg);
    else
        kr__dispatch_internal(l->ctx, listener_run, NULL, l, sizeof *l + l->len);
}

void kr_promise_on_discard(kr_promise *p, kr_pid ctx, kr_discard_fn fn, const void *arg,
                           size_t len)
{
    if (!p || !fn || (!arg && len)) {
        kr__log("kr_promise_on_discard: NULL %s", !p ? "promise" : !fn ? "function" : "arg");
        return;
    }
    discard_listener *l = kr__malloc(sizeof *l + len);
    if (!l) {
        kr__log("kr_promise_on_discard: out of memory; listener lost");
        return;
    }
    l->fn = fn;
    l->ctx = ctx;
    l->len = len;
    if (len)
        memcpy(l->arg, arg, len);
    kr__future_on_discard(kr__promise_peek(p), listener_fire, kr__free, l);
}

/* ---- await_all and select ----------------------------------------------- */

typedef struct gather {
    atomic_int refs;
    atomic_size_t remaining;
    kr_promise *result;
    size_t n;
    kr_future *inputs[];
} gather;

static void gather_release(gather *g)
{
    if (atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    for (size_t i = 0; i < g->n; i++)
        kr_future_unref(g->inputs[i]);
    kr_promise_free(g->result);
    kr__free(g);
}

static void gather_release_hook(void *ctx) { gather_release(ctx); }

static void gather_discard(void *ctx)
{
    gather *g = ctx;
    for (size_t i = 0; i < g->n; i++)
        kr_future_discard(g->inputs[i]);
}

/* Shared set-up: checks the array, references the inputs and hooks every
 * input's completion to on_done. */
static kr_future *gather_start(const char *who, kr_future *const *fs, size_t n,
                               void (*on_done)(kr_future *f, void *ctx), gather **out_g)
{
    if (!fs && n) {
        kr__log("%s: NULL array", who);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) {
            kr__log("%s: NULL future at %zu", who, i);
            return NULL;
        }
    kr_promise *result = kr_promise_new();
    gather *g = result ? kr__malloc(sizeof *g + n * sizeof g->inputs[0]) : NULL;
    if (!g) {
        kr_promise_free(result);
        return NULL;
    }
    kr_future *out = kr_promise_future(result);
    g->result = result;
    g->n = n;
    atomic_init(&g->remaining, n);
    atomic_init(&g->refs, (int)n + 2); /* inputs, discard hook, the caller */
    for (size_t i = 0; i < n; i++)
        g->inputs[i] = kr_future_ref(fs[i]);
    kr__future_on_discard(out, gather_discard, gather_release_hook, g);
    *out_g = g;
    for (size_t i = 0; i < n; i++)
        kr__future_on_complete(g->inputs[i], on_done, g);
    return out;
}

static void await_input_done(kr_future *f, void *ctx)
{
    (void)f;
    gather *g = ctx;
    if (atomic_fetch_sub(&g->remaining, 1) == 1)
        kr__promise_set_vec(g->result, g->inputs, g->n);
    gather_release(g);
}

kr_future *kr_future_await_all(kr_future *const *fs, size_t n)
{
    gather *g = NULL;
    kr_future *out = gather_start("kr_future_await_all", fs, n, await_input_done, &g);
    if (!out)
        return NULL;
    if (n == 0)
        kr__promise_set_vec(g->result, g->inputs, 0);
    gather_release(g);
    return out;
}

static void unref_value(void *value) { kr_future_unref(value); }

static void select_input_done(kr_future *f, void *ctx)
{
    gather *g = ctx;
    if (kr_future_state_of(f) == KR_READY) {
        kr_future *winner = kr_future_ref(f);
        if (!kr_promise_set(g->result, winner, unref_value))
            kr_future_unref(winner); /* another input was first */
    }
    if (atomic_fetch_sub(&g->remaining, 1) == 1)
        kr_promise_fail(g->result, "no input became ready"); /* no-op after a winner */
    gather_release(g);
}

kr_future *kr_future_select(kr_future *const *fs, size_t n)
{
    gather *g = NULL;
    kr_future *out = gather_start("kr_future_select", fs, n, select_input_done, &g);
    if (!out)
        return NULL;
    if (n == 0)
        kr_promise_fail(g->result, "no input to select from");
    gather_release(g);
    return out;
}
