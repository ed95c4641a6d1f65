/* Timers: one min-heap ordered by (deadline, creation sequence), shared by
 * both backends; entries carry their key, timers come from event pools. The backend decides *when* to fire (a timer thread on the
 * wall clock, or a simulation step); this file only keeps the order, so
 * ties always break the same way. Cancellation finds a timer by id through
 * a small open-addressing map. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>

struct kr__timer {
    kr_time deadline;
    uint64_t seq; /* creation order; also the timer's id */
    size_t heap_index;
    void (*fn)(void *ctx);
    void (*drop)(void *ctx);
    void *ctx;
    alignas(16) unsigned char inline_ctx[]; /* kr_delay keeps its context here */
};

/* A heap entry carries its timer's key, so sifting compares within the
 * heap array instead of following a pointer per level. */
struct kr__timer_entry {
    kr_time deadline;
    uint64_t seq;
    kr__timer *t;
};
typedef struct kr__timer_entry entry;

static bool before(const entry *a, const entry *b)
{
    return a->deadline != b->deadline ? a->deadline < b->deadline : a->seq < b->seq;
}

static void heap_set(size_t i, entry e)
{
    kr__core.timers.heap[i] = e;
    e.t->heap_index = i;
}

static void sift_up(size_t i)
{
    entry *h = kr__core.timers.heap;
    entry e = h[i];
    while (i > 0 && before(&e, &h[(i - 1) / 2])) {
        heap_set(i, h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(i, e);
}

static void sift_down(size_t i)
{
    entry *h = kr__core.timers.heap;
    size_t len = kr__core.timers.heap_len;
    entry e = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= len)
            break;
        if (c + 1 < len && before(&h[c + 1], &h[c]))
            c++;
        if (!before(&h[c], &e))
            break;
        heap_set(i, h[c]);
        i = c;
    }
    heap_set(i, e);
}

static void heap_push(kr__timer *t)
{
    size_t i = kr__core.timers.heap_len++;
    heap_set(i, (entry){.deadline = t->deadline, .seq = t->seq, .t = t});
    sift_up(i);
}

static void heap_remove(kr__timer *t)
{
    size_t i = t->heap_index;
    entry last = kr__core.timers.heap[--kr__core.timers.heap_len];
    if (i < kr__core.timers.heap_len) {
        heap_set(i, last);
        sift_down(i);
        sift_up(last.t->heap_index);
    }
}

static size_t id_home(uint64_t id)
{
    return (size_t)(id * 0x9E3779B97F4A7C15ull) & (kr__core.timers.by_id_cap - 1);
}

static void id_insert(kr__timer *t)
{
    size_t i = id_home(t->seq);
    while (kr__core.timers.by_id[i])
        i = (i + 1) & (kr__core.timers.by_id_cap - 1);
    kr__core.timers.by_id[i] = t;
}

static long id_find(uint64_t id)
{
    if (kr__core.timers.by_id_cap == 0)
        return -1;
    for (size_t i = id_home(id); kr__core.timers.by_id[i];
         i = (i + 1) & (kr__core.timers.by_id_cap - 1))
        if (kr__core.timers.by_id[i]->seq == id)
            return (long)i;
    return -1;
}

static void id_delete(size_t i)
{
    size_t mask = kr__core.timers.by_id_cap - 1;
    kr__core.timers.by_id[i] = NULL;
    for (size_t j = (i + 1) & mask; kr__core.timers.by_id[j]; j = (j + 1) & mask) {
        size_t home = id_home(kr__core.timers.by_id[j]->seq);
        bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            kr__core.timers.by_id[i] = kr__core.timers.by_id[j];
            kr__core.timers.by_id[j] = NULL;
            i = j;
        }
    }
}

/* Keeps room for one more timer in the heap and the id map. */
static int reserve(void)
{
    entry *h = kr__grow(kr__core.timers.heap, &kr__core.timers.heap_cap,
                        kr__core.timers.heap_len, sizeof *h, 64);
    if (!h)
        return KR_ENOMEM;
    kr__core.timers.heap = h;
    if ((kr__core.timers.heap_len + 1) * 2 > kr__core.timers.by_id_cap) {
        size_t cap = kr__core.timers.by_id_cap ? kr__core.timers.by_id_cap * 2 : 128;
        kr__timer **m = kr__calloc(cap, sizeof *m);
        if (!m)
            return KR_ENOMEM;
        kr__free(kr__core.timers.by_id);
        kr__core.timers.by_id = m;
        kr__core.timers.by_id_cap = cap;
        for (size_t i = 0; i < kr__core.timers.heap_len; i++)
            id_insert(kr__core.timers.heap[i].t);
    }
    return 0;
}

/* A timer with room for ctx_size bytes of context inline (kr_delay's),
 * from the calling thread's event pool: made on a worker and freed by the
 * timer thread, it costs no allocator lock either way. */
static kr__timer *timer_new(size_t ctx_size)
{
    return kr__block_alloc(sizeof(kr__timer) + ctx_size);
}

/* Schedules t; 0 when out of memory (t is freed, ctx is the caller's). */
static kr_timer timer_start(kr__timer *t, kr_time deadline, void (*fn)(void *ctx),
                            void (*drop)(void *ctx), void *ctx)
{
    t->deadline = kr__backend_deadline(deadline); /* the caller's clock may be a node's own */
    t->fn = fn;
    t->drop = drop;
    t->ctx = ctx;
    pthread_mutex_lock(&kr__core.timers.lock);
    if (reserve() != 0) {
        pthread_mutex_unlock(&kr__core.timers.lock);
        kr__block_free(t);
        return 0;
    }
    t->seq = kr__core.timers.next_seq++;
    heap_push(t);
    id_insert(t);
    bool earliest = kr__core.timers.heap[0].t == t;
    kr_timer id = t->seq; /* t may fire and be freed once unlocked */
    pthread_mutex_unlock(&kr__core.timers.lock);
    KR__COUNT(timers_created);
    if (earliest)
        kr__backend_timers_changed();
    return id;
}

kr_timer kr__timer_add(kr_time deadline, void (*fn)(void *ctx), void (*drop)(void *ctx),
                       void *ctx)
{
    kr__timer *t = timer_new(0);
    return t ? timer_start(t, deadline, fn, drop, ctx) : 0;
}

kr_time kr__timers_next_deadline(void)
{
#if KR__ONE_THREAD
    /* The simulator asks at every step; nobody else can hold the lock. */
    return kr__core.timers.heap_len ? kr__core.timers.heap[0].deadline : INT64_MAX;
#else
    pthread_mutex_lock(&kr__core.timers.lock);
    kr_time d = kr__core.timers.heap_len ? kr__core.timers.heap[0].deadline : INT64_MAX;
    pthread_mutex_unlock(&kr__core.timers.lock);
    return d;
#endif
}

size_t kr__timers_pending(void)
{
    pthread_mutex_lock(&kr__core.timers.lock);
    size_t n = kr__core.timers.heap_len;
    pthread_mutex_unlock(&kr__core.timers.lock);
    return n;
}

static void unlink_timer(kr__timer *t)
{
    heap_remove(t);
    long i = id_find(t->seq);
    if (i >= 0)
        id_delete((size_t)i);
}

kr__timer *kr__timers_pop_due(kr_time now, size_t (*choose)(size_t n))
{
    pthread_mutex_lock(&kr__core.timers.lock);
    kr__timer *t = NULL;
    if (kr__core.timers.heap_len && kr__core.timers.heap[0].deadline <= now) {
        t = kr__core.timers.heap[0].t;
        if (choose) {
            /* The ties at the earliest deadline, in creation order: collect
             * them by popping, pick one, push the rest back unchanged. */
            kr__timer *ties[64];
            size_t n = 0;
            while (kr__core.timers.heap_len && n < 64 &&
                   kr__core.timers.heap[0].deadline == t->deadline) {
                ties[n] = kr__core.timers.heap[0].t;
                heap_remove(ties[n]);
                n++;
            }
            size_t pick = n > 1 ? choose(n) : 0;
            for (size_t i = 0; i < n; i++)
                if (i != pick)
                    heap_push(ties[i]);
            t = ties[pick];
            long i = id_find(t->seq);
            if (i >= 0)
                id_delete((size_t)i);
        } else {
            unlink_timer(t);
        }
    }
    pthread_mutex_unlock(&kr__core.timers.lock);
    return t;
}

static void delayed_fire(void *ctx);

/* Only kr_delay timers share a batch: firing one runs no code that could
 * cancel another, so a timer popped early behaves as if it were still in
 * the heap. Any other timer is popped alone and fired before the next pop. */
size_t kr__timers_pop_due_batch(kr_time now, kr__timer **out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&kr__core.timers.lock);
    while (n < max && kr__core.timers.heap_len && kr__core.timers.heap[0].deadline <= now) {
        kr__timer *t = kr__core.timers.heap[0].t;
        if (n > 0 && (t->fn != delayed_fire || out[0]->fn != delayed_fire))
            break;
        out[n++] = t;
        unlink_timer(t);
    }
    pthread_mutex_unlock(&kr__core.timers.lock);
    return n;
}

void kr__timer_fire(kr__timer *t)
{
    KR__COUNT(timers_fired);
    t->fn(t->ctx);
    kr__block_free(t);
}

bool kr_timer_cancel(kr_timer id)
{
    pthread_mutex_lock(&kr__core.timers.lock);
    long i = id_find(id);
    kr__timer *t = i >= 0 ? kr__core.timers.by_id[i] : NULL;
    if (t)
        unlink_timer(t);
    pthread_mutex_unlock(&kr__core.timers.lock);
    if (!t)
        return false;
    KR__COUNT(timers_cancelled);
    if (t->drop)
        t->drop(t->ctx);
    kr__block_free(t);
    return true;
}

void kr__timers_clear(void)
{
    for (;;) {
        pthread_mutex_lock(&kr__core.timers.lock);
        kr__timer *t =
            kr__core.timers.heap_len ? kr__core.timers.heap[kr__core.timers.heap_len - 1].t : NULL;
        if (t)
            unlink_timer(t);
        pthread_mutex_unlock(&kr__core.timers.lock);
        if (!t)
            break;
        if (t->drop)
            t->drop(t->ctx);
        kr__block_free(t);
    }
    pthread_mutex_lock(&kr__core.timers.lock);
    kr__free(kr__core.timers.heap);
    kr__free(kr__core.timers.by_id);
    kr__core.timers.heap = NULL;
    kr__core.timers.by_id = NULL;
    kr__core.timers.heap_len = kr__core.timers.heap_cap = kr__core.timers.by_id_cap = 0;
    kr__core.timers.next_seq = 1;
    pthread_mutex_unlock(&kr__core.timers.lock);
}

/* kr_delay: a timer whose firing delivers a dispatch event made when the
 * delay was set (on a worker, from its pool), so the timer thread neither
 * allocates, copies nor frees per timer; the timer carries the target. */
typedef struct delayed {
    kr_pid to;
    kr__event *e;
} delayed;

static void delayed_fire(void *ctx)
{
    delayed *d = ctx;
    kr__dispatch_deliver(&d->to, d->e);
}

static void delayed_drop(void *ctx) { kr__event_free(((delayed *)ctx)->e); }

kr_timer kr_delay(kr_duration dur, kr_pid to, kr_fn fn, const void *arg, size_t len)
{
    if (!fn || (!arg && len)) {
        kr__log("kr_delay: NULL %s", fn ? "arg" : "function");
        return 0;
    }
    if (!atomic_load(&kr__is_running) || atomic_load(&kr__finalizing))
        return 0;
    kr__event *e = kr__dispatch_event(fn, arg, len);
    if (!e)
        return 0;
    kr__timer *t = timer_new(sizeof(delayed));
    if (!t) {
        kr__event_free(e);
        return 0;
    }
    delayed *d = (delayed *)(void *)t->inline_ctx;
    d->to = to;
    d->e = e;
    if (dur < 0)
        dur = 0;
    kr_time deadline = kr__time_after(kr_clock_now(), dur);
    kr_timer id = timer_start(t, deadline, delayed_fire, delayed_drop, d);
    if (!id)
        kr__event_free(e); /* timer_start freed t */
    return id;
}
