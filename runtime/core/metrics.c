/* The metrics registry (libprocess' process::metrics): counters, push and
 * pull gauges, timers, kept sorted by name so a snapshot lists them in one
 * order on every run (the simulator's snapshots are then identical for a
 * seed). Metrics are reference counted: the registry holds one reference
 * and a pending kr_metric_time another, so removing a metric while a future
 * is being timed is safe. */
#include "backend.h"
#include "internal.h"
#include "metrics_internal.h"

#include <pthread.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static kr_metric **registry; /* sorted by name */
static size_t registry_len, registry_cap;

static bool name_ok(const char *name)
{
    size_t n = 0;
    for (const char *c = name; *c; c++, n++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e || *c == '"' || *c == '\\')
            return false;
    return n > 0 && n <= KR_METRIC_NAME_MAX;
}

/* The index of name in the registry, or where it would go. */
static size_t registry_find(const char *name, bool *found)
{
    size_t lo = 0, hi = registry_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(registry[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void metric_unref(kr_metric *m)
{
    if (atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    if (m->kind == KR__METRIC_TIMER)
        pthread_mutex_destroy(&m->samples_lock);
    kr__free(m->samples);
    kr__free(m);
}

static int metric_register(const char *name, kr__metric_kind kind, size_t extra,
                           kr_metric **out)
{
    if (!out || !name || !name_ok(name)) {
        kr__log("kr_metric: invalid name %s%s%s", name ? "\"" : "", name ? name : "(NULL)",
                name ? "\"" : "");
        return KR_EINVAL;
    }
    kr_metric *m = kr__calloc(1, sizeof *m + extra);
    if (!m)
        return KR_ENOMEM;
    memcpy(m->name, name, strlen(name) + 1);
    m->kind = kind;
    atomic_init(&m->refs, 1);
    pthread_mutex_lock(&registry_lock);
    bool found;
    size_t at = registry_find(name, &found);
    kr_metric **grown =
        found ? NULL : kr__grow(registry, &registry_cap, registry_len, sizeof *registry, 16);
    if (grown) {
        registry = grown;
        memmove(registry + at + 1, registry + at, (registry_len - at) * sizeof *registry);
        registry[at] = m;
        registry_len++;
    }
    pthread_mutex_unlock(&registry_lock);
    if (!grown) {
        kr__free(m);
        if (found)
            kr__log("kr_metric: \"%s\" is already registered", name);
        return found ? KR_EEXIST : KR_ENOMEM;
    }
    *out = m;
    return 0;
}

int kr_metric_counter(const char *name, kr_metric **out)
{
    return metric_register(name, KR__METRIC_COUNTER, 0, out);
}

int kr_metric_gauge(const char *name, kr_metric **out)
{
    return metric_register(name, KR__METRIC_GAUGE, 0, out);
}

int kr_metric_pull_gauge(const char *name, kr_pid ctx, kr_gauge_fn fn, const void *arg, size_t len,
                         kr_metric **out)
{
    if (!fn || (!arg && len)) {
        kr__log("kr_metric_pull_gauge: NULL %s", !fn ? "function" : "arg");
        return KR_EINVAL;
    }
    int rc = metric_register(name, KR__METRIC_PULL, len, out);
    if (rc == 0) {
        kr_metric *m = *out;
        m->pull = fn;
        m->ctx = ctx;
        m->len = len;
        if (len)
            memcpy(m->arg, arg, len);
    }
    return rc;
}

int kr_metric_timer(const char *name, kr_duration window, kr_metric **out)
{
    if (window < 0) {
        kr__log("kr_metric_timer: negative window");
        return KR_EINVAL;
    }
    int rc = metric_register(name, KR__METRIC_TIMER, 0, out);
    if (rc == 0) {
        kr_metric *m = *out;
        m->window = window;
        pthread_mutex_init(&m->samples_lock, NULL);
    }
    return rc;
}

static bool kind_is(const kr_metric *m, kr__metric_kind kind, const char *who)
{
    if (m && m->kind == kind)
        return true;
    kr__log("%s: %s", who, m ? "wrong kind of metric" : "NULL metric");
    return false;
}

void kr_metric_increment(kr_metric *m) { kr_metric_add(m, 1); }

static void gauge_store(kr_metric *m, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    atomic_store_explicit(&m->bits, bits, memory_order_relaxed);
}

static double gauge_load(const kr_metric *m)
{
    uint64_t bits = atomic_load_explicit(&m->bits, memory_order_relaxed);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

void kr_metric_add(kr_metric *m, int64_t n)
{
    if (m && m->kind == KR__METRIC_COUNTER) {
        atomic_fetch_add_explicit(&m->count, n, memory_order_relaxed);
        return;
    }
    if (!kind_is(m, KR__METRIC_GAUGE, "kr_metric_add"))
        return;
    uint64_t old = atomic_load_explicit(&m->bits, memory_order_relaxed), next;
    do {
        double v;
        memcpy(&v, &old, sizeof v);
        v += (double)n;
        memcpy(&next, &v, sizeof next);
    } while (!atomic_compare_exchange_weak(&m->bits, &old, next));
}

void kr_metric_set(kr_metric *m, double value)
{
    if (kind_is(m, KR__METRIC_GAUGE, "kr_metric_set"))
        gauge_store(m, value);
}

void kr_metric_record(kr_metric *m, kr_duration d)
{
    if (!kind_is(m, KR__METRIC_TIMER, "kr_metric_record"))
        return;
    double ms = (double)d / 1e6;
    kr_time now = kr_clock_now();
    gauge_store(m, ms);
    pthread_mutex_lock(&m->samples_lock);
    if (m->window > 0) {
        if (!m->samples)
            m->samples = kr__calloc(KR_METRIC_SAMPLES_MAX, sizeof *m->samples);
        if (m->samples) { /* a ring: the oldest sample makes room */
            size_t at = (m->first + m->nsamples) % KR_METRIC_SAMPLES_MAX;
            m->samples[at] = (kr__metric_sample){now, ms};
            if (m->nsamples < KR_METRIC_SAMPLES_MAX)
                m->nsamples++;
            else
                m->first = (m->first + 1) % KR_METRIC_SAMPLES_MAX;
        }
    }
    m->recorded = true;
    pthread_mutex_unlock(&m->samples_lock);
}

typedef struct timing {
    kr_metric *m; /* a reference */
    kr_time start;
} timing;

static void timing_done(kr_future *f, void *ctx)
{
    (void)f;
    timing *t = ctx;
    kr_metric_record(t->m, kr_clock_now() - t->start);
    metric_unref(t->m);
    kr__free(t);
}

void kr_metric_time(kr_metric *m, kr_future *f)
{
    if (!kind_is(m, KR__METRIC_TIMER, "kr_metric_time") || !f)
        return;
    timing *t = kr__malloc(sizeof *t);
    if (!t)
        return;
    atomic_fetch_add(&m->refs, 1);
    t->m = m;
    t->start = kr_clock_now();
    kr__future_on_complete(f, timing_done, t);
}

double kr_metric_value(const kr_metric *m)
{
    if (!m)
        return 0;
    switch (m->kind) {
    case KR__METRIC_COUNTER:
        return (double)atomic_load_explicit(&m->count, memory_order_relaxed);
    case KR__METRIC_PULL:
        if (kr_pid_is_none(m->ctx))
            return m->pull(NULL, m->arg);
        return gauge_load(m); /* the last value a snapshot read */
    default:
        return gauge_load(m);
    }
}

void kr_metric_remove(kr_metric *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&registry_lock);
    bool found;
    size_t at = registry_find(m->name, &found);
    bool ours = found && registry[at] == m;
    if (ours) {
        memmove(registry + at, registry + at + 1, (registry_len - at - 1) * sizeof *registry);
        registry_len--;
    }
    if (registry_len == 0) { /* nothing left: give the array back */
        kr__free(registry);
        registry = NULL;
        registry_cap = 0;
    }
    pthread_mutex_unlock(&registry_lock);
    if (ours)
        metric_unref(m);
    else
        kr__log("kr_metric_remove: not a registered metric");
}

/* ---- reading, for the snapshot (metrics_snapshot.c) ----------------------- */

kr_metric **kr__metrics_list(size_t *n)
{
    pthread_mutex_lock(&registry_lock);
    kr_metric **copy = kr__malloc((registry_len ? registry_len : 1) * sizeof *copy);
    *n = 0;
    if (copy) {
        for (size_t i = 0; i < registry_len; i++) {
            atomic_fetch_add(&registry[i]->refs, 1);
            copy[i] = registry[i];
        }
        *n = registry_len;
    }
    pthread_mutex_unlock(&registry_lock);
    return copy;
}

void kr__metrics_list_free(kr_metric **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        metric_unref(list[i]);
    kr__free(list);
}

void kr__metric_remember(kr_metric *m, double v) { gauge_store(m, v); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* libprocess' Statistics: linear interpolation between the two closest
 * ranks. */
static double percentile(const double *sorted, size_t n, double p)
{
    double pos = p * (double)(n - 1); /* >= 0: truncation is floor */
    size_t lo = (size_t)pos, hi = lo + ((double)lo < pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - (double)lo);
}

size_t kr__metric_timer_stats(kr_metric *m, kr_time now, double stats[KR__TIMER_STATS])
{
    pthread_mutex_lock(&m->samples_lock);
    double *v = m->nsamples ? kr__malloc(m->nsamples * sizeof *v) : NULL;
    size_t n = 0;
    for (size_t i = 0; v && i < m->nsamples; i++) {
        const kr__metric_sample *s = &m->samples[(m->first + i) % KR_METRIC_SAMPLES_MAX];
        if (now - s->at <= m->window)
            v[n++] = s->ms;
    }
    pthread_mutex_unlock(&m->samples_lock);
    if (n == 0) {
        kr__free(v);
        return 0;
    }
    qsort(v, n, sizeof *v, cmp_double);
    static const double ps[] = {0.5, 0.9, 0.95, 0.99, 0.999, 0.9999};
    stats[0] = (double)n;
    stats[1] = v[0];
    stats[2] = v[n - 1];
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        stats[3 + i] = percentile(v, n, ps[i]);
    kr__free(v);
    return n;
}
