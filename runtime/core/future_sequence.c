/* kr_sequence: libprocess' process::Sequence, callbacks run one at a time.
 *
 * Each added callback waits on a "notifier": a promise completed when the
 * callback added before it has finished (its result is no longer pending).
 * The callback itself is an "always" chain on that notifier, so a discard
 * request before it starts keeps it from ever running, and one after it
 * started is forwarded to its future. The sequence keeps its results so
 * freeing it can discard what has not finished. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>

struct kr_sequence {
    pthread_mutex_t lock;
    kr_future *last;     /* the notifier the next callback waits for */
    kr_future **results; /* not yet seen complete */
    size_t n, cap;
};

kr_sequence *kr_sequence_new(void)
{
    kr_sequence *s = kr__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->last = kr_future_ready(NULL, NULL);
    if (!s->last) {
        kr__free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

/* The callback's chain function: drops `done` (the notifier) and calls the
 * user's function with its copied argument. */
typedef struct seq_call {
    kr_sequence_fn fn;
    size_t len;
    alignas(16) unsigned char arg[];
} seq_call;

static kr_future *seq_run(kr_process *self, kr_future *done, const void *arg)
{
    (void)done;
    const seq_call *call = arg;
    return call->fn(self, call->arg);
}

static void seq_notify(kr_future *f, void *ctx)
{
    (void)f;
    kr_promise *next = ctx;
    kr_promise_set(next, NULL, NULL);
    kr_promise_free(next);
}

/* Forgets results already complete, so a long-lived sequence stays small. */
static void seq_prune(kr_sequence *s)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (kr_future_state_of(s->results[i]) == KR_PENDING)
            s->results[kept++] = s->results[i];
        else
            kr_future_unref(s->results[i]);
    }
    s->n = kept;
}

kr_future *kr_sequence_add(kr_sequence *s, kr_pid ctx, kr_sequence_fn fn, const void *arg,
                           size_t len)
{
    if (!s || !fn || (!arg && len)) {
        kr__log("kr_sequence_add: NULL %s", !s ? "sequence" : !fn ? "function" : "arg");
        return NULL;
    }
    seq_call *call = kr__malloc(sizeof *call + len);
    kr_promise *next = call ? kr_promise_new() : NULL;
    if (!next) {
        kr__free(call);
        return NULL;
    }
    call->fn = fn;
    call->len = len;
    if (len)
        memcpy(call->arg, arg, len);

    pthread_mutex_lock(&s->lock);
    seq_prune(s);
    kr_future **grown = kr__grow(s->results, &s->cap, s->n, sizeof *s->results, 8);
    kr_future *out = NULL;
    if (grown) {
        s->results = grown;
        out = kr__future_chain("kr_sequence_add", KR__CHAIN_ALWAYS, s->last, ctx, seq_run, call,
                               sizeof *call + len);
    }
    if (out) {
        s->results[s->n++] = kr_future_ref(out);
        kr_future_unref(s->last);
        s->last = kr_promise_future(next);
    }
    pthread_mutex_unlock(&s->lock);
    kr__free(call);
    if (!out) {
        kr_promise_free(next);
        return NULL;
    }
    kr__future_on_complete(out, seq_notify, next);
    return out;
}

void kr_sequence_free(kr_sequence *s)
{
    if (!s)
        return;
    /* Discarding may complete chains synchronously and those only touch
     * their own notifiers, never s: no lock is held while doing it. */
    for (size_t i = 0; i < s->n; i++) {
        kr_future_discard(s->results[i]);
        kr_future_unref(s->results[i]);
    }
    kr__free(s->results);
    kr_future_unref(s->last);
    pthread_mutex_destroy(&s->lock);
    kr__free(s);
}
