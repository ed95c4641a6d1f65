/* The metrics snapshot: every metric as one flat JSON object, as libprocess'
 * /metrics/snapshot serves it, and the endpoint with its ?timeout=.
 *
 * Values that can be read now are read at once; a pull gauge with a ctx is
 * read in its process through kr_dispatch_call, and the snapshot completes
 * when all of those have answered or the timeout fired (the late ones are
 * left out). The runtime's own counters come first, as ordinary
 * "kairos/..." metrics. Nothing here reads a wall clock: the simulator's
 * snapshot depends only on the seed. */
#include "backend.h"
#include "http_internal.h"
#include "metrics_internal.h"

#include <math.h>

/* ---- the runtime's own metrics --------------------------------------------- */

static void put_number(kr__sb *b, size_t *count, const char *name, double v)
{
    if (!isfinite(v))
        return; /* JSON has no NaN or infinity */
    kr__sb_puts(b, (*count)++ ? "," : "{");
    kr__sb_json_string(b, name);
    if (v > -9e15 && v < 9e15 && v == (double)(long long)v)
        kr__sb_printf(b, ":%lld", (long long)v);
    else
        kr__sb_printf(b, ":%.15g", v);
}

typedef struct proc_walk {
    kr__sb *b;
    size_t *count;
    const char *prefix;
    bool served; /* events served, else queued */
    size_t processes;
    uint64_t queued, deepest;
} proc_walk;

static void proc_item(kr__proc *p, void *ctx)
{
    proc_walk *w = ctx;
    char name[KR_ID_MAX + 64];
    snprintf(name, sizeof name, "%s%s", w->prefix, p->pid.id);
    uint32_t v = w->served ? atomic_load_explicit(&p->served, memory_order_relaxed)
                           : atomic_load_explicit(&p->pending, memory_order_relaxed);
    w->processes++;
    w->queued += w->served ? 0 : v;
    if (!w->served && v > w->deepest)
        w->deepest = v;
    put_number(w->b, w->count, name, v);
}

static void probe_item(const char *name, uint64_t hits, void *ctx)
{
    proc_walk *w = ctx;
    char full[256];
    snprintf(full, sizeof full, "kairos/probe/%s", name);
    put_number(w->b, w->count, full, (double)hits);
}

static void put_builtins(kr__sb *b, size_t *count)
{
    kr_stats s;
    kr_stats_get(&s);
    const struct {
        const char *name;
        double v;
    } stats[] = {
        {"kairos/check_failures", (double)kr_check_failures()},
        {"kairos/dispatches", (double)s.dispatches},
        {"kairos/events_dropped", (double)s.events_dropped},
        {"kairos/events_served", (double)s.events_served},
        {"kairos/http_connections", (double)atomic_load(&kr__http_stat_connections)},
        {"kairos/http_peers", (double)atomic_load(&kr__http_stat_peers)},
        {"kairos/http_requests", (double)atomic_load(&kr__http_stat_requests)},
        {"kairos/mailbox_dropped", (double)atomic_load(&kr__core.bound.dropped)},
        {"kairos/mailbox_external_bytes", (double)atomic_load(&kr__core.bound.bytes)},
        {"kairos/mailbox_external_events", (double)atomic_load(&kr__core.bound.events)},
        {"kairos/mailbox_rejected", (double)atomic_load(&kr__core.bound.rejected)},
        {"kairos/messages_delivered", (double)s.messages_delivered},
        {"kairos/messages_dropped", (double)s.messages_dropped},
        {"kairos/messages_sent", (double)s.messages_sent},
        {"kairos/processes_spawned", (double)s.processes_spawned},
        {"kairos/processes_terminated", (double)s.processes_terminated},
        {"kairos/timers_cancelled", (double)s.timers_cancelled},
        {"kairos/timers_created", (double)s.timers_created},
        {"kairos/timers_fired", (double)s.timers_fired},
        {"kairos/timers_pending", (double)kr__timers_pending()},
    };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        put_number(b, count, stats[i].name, stats[i].v);
    proc_walk w = {.b = b, .count = count, .prefix = "kairos/events_served/", .served = true};
    if (atomic_load(&kr__is_running))
        kr__table_each(proc_item, &w);
    proc_walk q = {.b = b, .count = count, .prefix = "kairos/queue_depth/"};
    if (atomic_load(&kr__is_running))
        kr__table_each(proc_item, &q);
    kr_probe_each(probe_item, &q);
    put_number(b, count, "kairos/processes", (double)q.processes);
    put_number(b, count, "kairos/queued_events", (double)q.queued);
    put_number(b, count, "kairos/queue_depth_max", (double)q.deepest);
}

/* ---- one snapshot ------------------------------------------------------------ */

typedef struct snapshot {
    kr_promise *result;
    kr_metric **list;
    size_t n;
    kr_future **reads; /* per metric: a pull gauge read in its ctx, or NULL */
    kr_future *waiting; /* all reads, bounded by the timeout */
} snapshot;

static void put_metric(kr__sb *b, size_t *count, kr_metric *m, kr_future *read, kr_time now)
{
    char name[KR_METRIC_NAME_MAX + 32];
    switch (m->kind) {
    case KR__METRIC_PULL:
        if (!read) {
            put_number(b, count, m->name, kr_metric_value(m));
        } else if (kr_future_state_of(read) == KR_READY) {
            double v = *(double *)kr_future_value(read);
            kr__metric_remember(m, v);
            put_number(b, count, m->name, v);
        } /* else: did not answer in time, or its process is gone */
        return;
    case KR__METRIC_TIMER: {
        if (!m->recorded)
            return; /* libprocess shows a timer once it has a value */
        snprintf(name, sizeof name, "%s_ms", m->name);
        put_number(b, count, name, kr_metric_value(m));
        double st[KR__TIMER_STATS];
        if (!kr__metric_timer_stats(m, now, st))
            return;
        static const char *const suffix[KR__TIMER_STATS] = {
            "count", "min", "max", "p50", "p90", "p95", "p99", "p999", "p9999"};
        for (size_t i = 0; i < KR__TIMER_STATS; i++) {
            snprintf(name, sizeof name, "%s_ms/%s", m->name, suffix[i]);
            put_number(b, count, name, st[i]);
        }
        return;
    }
    default:
        put_number(b, count, m->name, kr_metric_value(m));
    }
}

static void free_text(void *v) { kr__free(v); }

static void snapshot_finish(kr_future *f, void *ctx)
{
    (void)f;
    snapshot *s = ctx;
    kr__sb b = {0};
    size_t count = 0;
    put_builtins(&b, &count);
    kr_time now = kr_clock_now();
    for (size_t i = 0; i < s->n; i++)
        put_metric(&b, &count, s->list[i], s->reads[i], now);
    kr__sb_puts(&b, count ? "}" : "{}");
    if (b.failed) {
        kr__sb_free(&b);
        kr_promise_fail(s->result, "out of memory");
    } else if (!kr_promise_set(s->result, b.data, free_text)) {
        kr__sb_free(&b);
    }
    for (size_t i = 0; i < s->n; i++)
        kr_future_unref(s->reads[i]);
    kr__metrics_list_free(s->list, s->n);
    kr__free(s->reads);
    kr_future_unref(s->waiting);
    kr_promise_free(s->result);
    kr__free(s);
}

static void free_double(void *v) { kr__free(v); }

static void read_gauge(kr_process *self, const void *arg, kr_promise *out)
{
    kr_metric *m = *(kr_metric *const *)arg; /* referenced by the snapshot */
    double *v = kr__malloc(sizeof *v);
    if (!v) {
        kr_promise_fail(out, "out of memory");
        return;
    }
    *v = m->pull(self, m->arg);
    if (!kr_promise_set(out, v, free_double))
        kr__free(v);
}

kr_future *kr_metrics_snapshot(kr_duration timeout)
{
    kr_promise *result = kr_promise_new();
    snapshot *s = result ? kr__calloc(1, sizeof *s) : NULL;
    if (!s) {
        kr_promise_free(result);
        return kr_future_failed("out of memory");
    }
    s->result = result;
    kr_future *out = kr_promise_future(result);
    s->list = kr__metrics_list(&s->n);
    s->reads = kr__calloc(s->n ? s->n : 1, sizeof *s->reads);
    kr_future **pending = kr__calloc(s->n ? s->n : 1, sizeof *pending);
    size_t npending = 0;
    if (!s->list || !s->reads || !pending) {
        kr__free(pending);
        kr_promise_fail(result, "out of memory");
        s->n = s->list ? s->n : 0;
        snapshot_finish(NULL, s);
        return out;
    }
    for (size_t i = 0; i < s->n; i++) {
        kr_metric *m = s->list[i];
        if (m->kind != KR__METRIC_PULL || kr_pid_is_none(m->ctx))
            continue;
        s->reads[i] = kr_dispatch_call(m->ctx, read_gauge, &m, sizeof m);
        if (s->reads[i])
            pending[npending++] = s->reads[i];
    }
    if (npending == 0) { /* nothing to wait for */
        kr__free(pending);
        snapshot_finish(NULL, s);
        return out;
    }
    kr_future *all = kr_future_await_all(pending, npending);
    kr__free(pending);
    s->waiting = all && timeout != KR_FOREVER ? kr_future_after(all, timeout) : kr_future_ref(all);
    kr_future_unref(all);
    if (!s->waiting) {
        snapshot_finish(NULL, s);
        return out;
    }
    kr__future_on_complete(s->waiting, snapshot_finish, s);
    return out;
}

/* ---- GET /metrics/snapshot ------------------------------------------------------ */

typedef struct reply_to {
    kr__http_sink sink;
} reply_to;

static void snapshot_reply(kr_future *f, void *ctx)
{
    reply_to *r = ctx;
    const char *json = kr_future_value(f);
    if (json)
        r->sink.respond(r->sink.conn, 200, "application/json", NULL, json, strlen(json));
    else
        r->sink.respond(r->sink.conn, 500, "text/plain", NULL, "snapshot failed", 15);
    kr_future_unref(f);
    kr__free(r);
}

void kr__metrics_serve(const char *query, const kr__http_sink *sink)
{
    kr_duration timeout = KR_FOREVER;
    for (const char *q = query ? query : ""; *q;) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > 8 && strncmp(q, "timeout=", 8) == 0 &&
            kr__http_duration_parse(q + 8, len - 8, &timeout) != 0) {
            static const char msg[] = "Invalid timeout";
            sink->respond(sink->conn, 400, "text/plain", NULL, msg, sizeof msg - 1);
            return;
        }
        q = end ? end + 1 : q + len;
    }
    reply_to *r = kr__malloc(sizeof *r);
    if (!r) {
        sink->respond(sink->conn, 500, "text/plain", NULL, "out of memory", 13);
        return;
    }
    r->sink = *sink;
    kr_future *f = kr_metrics_snapshot(timeout);
    if (!f) {
        kr__free(r);
        sink->respond(sink->conn, 500, "text/plain", NULL, "out of memory", 13);
        return;
    }
    kr__future_on_complete(f, snapshot_reply, r);
}
