/* The metrics registry's insides, shared by metrics.c (the registry and the
 * values) and metrics_snapshot.c (the JSON snapshot and its endpoint). */
#ifndef KAIROS_METRICS_INTERNAL_H
#define KAIROS_METRICS_INTERNAL_H

#include <kairos/metrics.h>

#include "http_internal.h"

#include <pthread.h>

typedef enum {
    KR__METRIC_COUNTER,
    KR__METRIC_GAUGE,
    KR__METRIC_PULL,
    KR__METRIC_TIMER
} kr__metric_kind;

typedef struct kr__metric_sample {
    kr_time at;
    double ms;
} kr__metric_sample;

struct kr_metric {
    atomic_int refs;
    kr__metric_kind kind;
    char name[KR_METRIC_NAME_MAX + 1];
    atomic_int_fast64_t count; /* counter */
    atomic_uint_fast64_t bits; /* gauge value, a timer's last ms, a pull gauge's last read */
    /* timer */
    kr_duration window;
    pthread_mutex_t samples_lock;
    kr__metric_sample *samples; /* a ring of KR_METRIC_SAMPLES_MAX */
    size_t first, nsamples;
    bool recorded;
    /* pull gauge */
    kr_gauge_fn pull;
    kr_pid ctx;
    size_t len;
    alignas(16) unsigned char arg[];
};

/* A referenced copy of the registry, in name order. */
kr_metric **kr__metrics_list(size_t *n);
void kr__metrics_list_free(kr_metric **list, size_t n);
/* A pull gauge with a ctx: the value a snapshot just read. */
void kr__metric_remember(kr_metric *m, double v);
/* count, min, max, p50, p90, p95, p99, p999, p9999 over the window; returns
 * the count (0: nothing to show). */
#define KR__TIMER_STATS 9
size_t kr__metric_timer_stats(kr_metric *m, kr_time now, double stats[KR__TIMER_STATS]);

/* GET /metrics/snapshot[?timeout=...] (http_route.c calls it). */
void kr__metrics_serve(const char *query, const kr__http_sink *sink);

#endif
