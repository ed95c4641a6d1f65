/* Metrics, after libprocess' process::metrics: counters, gauges and timers
 * registered by name ("role/name"), read together as one flat JSON object
 * by kr_metrics_snapshot() and by GET /metrics/snapshot[?timeout=5secs].
 *
 * The registry outlives kr_init/kr_finalize: a metric lives until
 * kr_metric_remove. Every function may be called from any thread. The
 * runtime's own counters are metrics too ("kairos/messages_sent", ...,
 * "kairos/queue_depth/<id>"); they cannot be removed. */
#ifndef KAIROS_METRICS_H
#define KAIROS_METRICS_H

#include <kairos/future.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kr_metric kr_metric;

/* The longest metric name, in bytes. Names are non-empty, printable ASCII
 * (no control bytes, no '"' or '\\'), and unique: a taken name is
 * KR_EEXIST, a bad one KR_EINVAL. On success *out is the new metric. */
#define KR_METRIC_NAME_MAX 255

/* A counter (int64, starts at 0): kr_metric_add / kr_metric_increment. */
KR_API int kr_metric_counter(const char *name, kr_metric **out);
/* A gauge pushed by its owner (double, starts at 0): kr_metric_set,
 * kr_metric_add. */
KR_API int kr_metric_gauge(const char *name, kr_metric **out);
/* A gauge evaluated when read (libprocess' PullGauge). With a ctx pid fn
 * runs in that process' context (its state is safe to read); the snapshot
 * waits for it up to its timeout and leaves it out if it did not answer or
 * the process is gone. With KR_PID_NONE fn runs on the reading thread. arg
 * is copied (len bytes). */
typedef double (*kr_gauge_fn)(kr_process *self, const void *arg);
KR_API int kr_metric_pull_gauge(const char *name, kr_pid ctx, kr_gauge_fn fn, const void *arg,
                                size_t len, kr_metric **out);
/* A timer (libprocess' Timer<Milliseconds>): kr_metric_record adds a
 * duration. The snapshot shows "<name>_ms" (the last one) and, over the
 * samples of the last `window` (0: none), "<name>_ms/count", "/min",
 * "/max", "/p50", "/p90", "/p95", "/p99", "/p999", "/p9999" (linear
 * interpolation). At most KR_METRIC_SAMPLES_MAX samples are kept. */
#define KR_METRIC_SAMPLES_MAX 4096
KR_API int kr_metric_timer(const char *name, kr_duration window, kr_metric **out);

KR_API void kr_metric_increment(kr_metric *m);           /* counter: +1 */
KR_API void kr_metric_add(kr_metric *m, int64_t n);      /* counter, gauge: +n */
KR_API void kr_metric_set(kr_metric *m, double value);   /* gauge */
KR_API void kr_metric_record(kr_metric *m, kr_duration d); /* timer */
/* Timer: records the time from now until f is no longer pending. */
KR_API void kr_metric_time(kr_metric *m, kr_future *f);
/* The metric's current value (a timer's last sample in ms; a pull gauge is
 * evaluated here, inline even with a ctx). */
KR_API double kr_metric_value(const kr_metric *m);
/* Unregisters and releases m (a pending kr_metric_time keeps it alive until
 * it records). NULL is a no-op. */
KR_API void kr_metric_remove(kr_metric *m);

/* A future of every metric as one flat JSON object ({"name": number, ...},
 * names sorted; the value is a NUL-terminated char * owned by the future).
 * Pull gauges with a ctx that have not answered within timeout (KR_FOREVER:
 * no limit) are left out, as libprocess does. */
KR_API kr_future *kr_metrics_snapshot(kr_duration timeout);

#ifdef __cplusplus
}
#endif
#endif
