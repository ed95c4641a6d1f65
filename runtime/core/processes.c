/* GET /__processes__: every process of this node with the events still
 * queued in its mailbox, in libprocess' JSON shape
 * ([{"id":...,"events":[{"type":"MESSAGE","name",...}, ...]}, ...]).
 *
 * Why it is built this way. A mailbox is a lock-free MPSC queue
 * (mailbox.c): any thread may push, but only its consumer - the thread
 * serving the process - may read it, because that thread frees the events
 * it pops. So a process' events are read only by a thread that holds the
 * consumer's role, and the hot path (send, enqueue, serve) carries nothing
 * for this endpoint: no per-kind counters, no field in kr__proc. Two ways
 * to hold the role:
 *
 * - An idle process (pending == 0: in no run queue, served by no thread) is
 *   claimed the way a sender that finds it idle would schedule it: pending
 *   goes 0 -> 1 by compare-and-swap. While we hold that count, senders that
 *   push see pending > 0 and do not schedule it, so no worker can serve it;
 *   and our CAS reads the count the last serving thread released, so its
 *   pops happen before our walk. Giving it back is what a serving thread
 *   does at the end of a turn: subtract, and schedule the process if events
 *   were counted meanwhile.
 * - A busy process (queued to run, or running now on a worker) is asked, as
 *   libprocess asks it: a dispatch goes into its mailbox (so it is sure to
 *   get a turn), then the KR__PURGE_LISTING bit is set in its purge word,
 *   which its serving thread already reads before every event
 *   (kr__process_run: a non-zero word is the rare path of injected
 *   terminates). At its next event the process lists that event and the
 *   ones behind it, before serving any - the backlog as it was when we
 *   asked - and answers every listing dispatch it finds queued. A process
 *   running a long handler is listed when the handler returns; past the
 *   timeout (?timeout=, default 5 secs) it is listed with what can be seen
 *   from outside: "events":[] and "unlisted", its queued-event count.
 *
 * A process that terminates before answering is left out, as libprocess
 * recovers it away. On the simulator everything here runs on its one
 * thread, in its order, so the listing is deterministic. */
#include "backend.h"
#include "http_internal.h"

/* Events listed per process at most; the rest are counted in "unlisted". */
#define EVENTS_MAX 10000
#define TIMEOUT_DEFAULT KR_SEC(5)

/* ---- one process' entry ------------------------------------------------------ */

static void listing_call(kr_process *self, const void *arg, kr_promise *out);

/* Our own listing dispatches are machinery, not the process' backlog. */
static bool is_listing(const kr__event *e)
{
    return e->kind == KR__EV_DISPATCH && e->u.dispatch.call_fn == listing_call;
}

static void put_pid(kr__sb *b, const char *key, kr_pid pid)
{
    char text[KR_PID_STRLEN_MAX];
    if (kr_pid_is_none(pid) || kr_pid_format(pid, text, sizeof text) < 0)
        text[0] = '\0';
    kr__sb_printf(b, ",\"%s\":", key);
    kr__sb_json_string(b, text);
}

static void put_http(kr__sb *b, const kr__proc *p, const kr__event *e)
{
    kr_http_reply *r;
    memcpy(&r, e->data, sizeof r);
    const kr_http_request *req = kr_http_reply_request(r);
    kr__sb url = {0};
    kr__sb_puts(&url, "/");
    kr__sb_puts(&url, p->pid.id);
    if (strcmp(req->path, "/") != 0)
        kr__sb_puts(&url, req->path);
    if (*req->query) {
        kr__sb_puts(&url, "?");
        kr__sb_puts(&url, req->query);
    }
    kr__sb_puts(b, "{\"type\":\"HTTP\",\"method\":");
    kr__sb_json_string(b, req->method);
    kr__sb_puts(b, ",\"url\":");
    kr__sb_json_string(b, url.failed ? "" : url.data);
    kr__sb_puts(b, "}");
    if (url.failed)
        b->failed = true;
    kr__sb_free(&url);
}

/* libprocess' JSON form of one event (its event.hpp). */
static void put_event(kr__sb *b, const kr__proc *p, const kr__event *e)
{
    switch (e->kind) {
    case KR__EV_MESSAGE:
        kr__sb_puts(b, "{\"type\":\"MESSAGE\",\"name\":");
        kr__sb_json_string(b, e->u.msg.name);
        put_pid(b, "from", e->u.msg.from);
        put_pid(b, "to", p->pid);
        kr__sb_puts(b, ",\"body\":");
        kr__sb_json_bytes(b, e->data, e->len);
        kr__sb_puts(b, "}");
        break;
    case KR__EV_HTTP:
        put_http(b, p, e);
        break;
    case KR__EV_EXITED:
        kr__sb_puts(b, "{\"type\":\"EXITED\"}");
        break;
    case KR__EV_TERMINATE:
        kr__sb_puts(b, "{\"type\":\"TERMINATE\"}");
        break;
    default: /* kr_dispatch, kr_dispatch_call, runtime-made callbacks */
        kr__sb_puts(b, "{\"type\":\"DISPATCH\"}");
    }
}

/* One walk over a mailbox by its consumer. */
typedef struct walk {
    const kr__proc *p;
    kr__sb b;
    size_t listed, unlisted;
    kr_promise **asks; /* listing dispatches found queued, to answer */
    size_t asks_len, asks_cap;
} walk;

static void visit(kr__node *n, void *ctx)
{
    walk *w = ctx;
    kr__event *e = (kr__event *)n;
    if (is_listing(e)) {
        kr_promise **grown = kr__grow(w->asks, &w->asks_cap, w->asks_len, sizeof *grown, 4);
        if (grown) {
            w->asks = grown;
            w->asks[w->asks_len++] = e->u.dispatch.promise;
        } /* else its own turn answers it */
        return;
    }
    if (w->listed == EVENTS_MAX) {
        w->unlisted++;
        return;
    }
    if (w->listed++)
        kr__sb_puts(&w->b, ",");
    put_event(&w->b, w->p, e);
}

static void walk_begin(walk *w, const kr__proc *p)
{
    *w = (walk){.p = p};
    kr__sb_puts(&w->b, "{\"id\":");
    kr__sb_json_string(&w->b, p->pid.id);
    kr__sb_puts(&w->b, ",\"events\":[");
}

/* Finishes the entry; NULL when out of memory. */
static char *walk_end(walk *w)
{
    kr__sb_puts(&w->b, "]");
    if (w->unlisted)
        kr__sb_printf(&w->b, ",\"unlisted\":%zu", w->unlisted);
    kr__sb_puts(&w->b, "}");
    if (w->b.failed) {
        kr__sb_free(&w->b);
        return NULL;
    }
    return w->b.data;
}

static void free_text(void *v) { kr__free(v); }

/* Completes promise with a copy of entry (out of memory: fails it). */
static void answer(kr_promise *promise, const char *entry)
{
    if (kr_future_state_of(kr__promise_peek(promise)) != KR_PENDING)
        return; /* answered by an earlier walk */
    char *copy = entry ? kr__strdup(entry) : NULL;
    if (!copy)
        kr_promise_fail(promise, "out of memory");
    else if (!kr_promise_set(promise, copy, free_text))
        kr__free(copy);
}

/* Lists p's queued events - `first` (just popped, or NULL) and the mailbox
 * behind it - and answers own (or NULL) and every listing dispatch queued.
 * The caller holds p's consumer role. */
static void list_and_answer(kr__proc *p, kr__event *first, kr_promise *own)
{
    walk w;
    walk_begin(&w, p);
    if (first)
        visit(&first->node, &w);
    kr__inbox_each(p, visit, &w);
    char *entry = walk_end(&w);
    if (own)
        answer(own, entry);
    for (size_t i = 0; i < w.asks_len; i++)
        answer(w.asks[i], entry);
    kr__free(w.asks);
    kr__free(entry);
}

uint32_t kr__processes_turn(kr__proc *p, kr__event *first)
{
    uint32_t purge = atomic_fetch_and(&p->purge, ~KR__PURGE_LISTING);
    if (purge & KR__PURGE_LISTING)
        list_and_answer(p, first, NULL);
    return purge & ~KR__PURGE_LISTING;
}

/* The listing dispatch's own turn: answered already by an earlier event's
 * turn, or it lists what is queued behind it (libprocess' way). */
static void listing_call(kr_process *self, const void *arg, kr_promise *out)
{
    (void)arg;
    if (kr_future_state_of(kr__promise_peek(out)) == KR_PENDING)
        list_and_answer(kr__proc_of(self), NULL, out);
}

/* ---- the request --------------------------------------------------------------- */

typedef struct item {
    kr_pid pid;
    char *entry;       /* listed at once (it was idle) */
    kr_future *asked;  /* or asked: its entry, when it answers */
} item;

typedef struct listing {
    kr__http_sink sink;
    item *items;
    size_t len, cap;
    uint32_t ip; /* this node */
    uint16_t port;
    bool failed;
    kr_future *waiting;
} listing;

static void collect(kr__proc *p, void *ctx)
{
    listing *l = ctx;
    if (p->pid.ip != l->ip || p->pid.port != l->port)
        return; /* another simulated node's */
    item *grown = kr__grow(l->items, &l->cap, l->len, sizeof *grown, 16);
    if (!grown) {
        l->failed = true;
        return;
    }
    l->items = grown;
    l->items[l->len++] = (item){.pid = p->pid};
}

/* Takes p's consumer role if p is idle (see the top of the file). */
static bool claim(kr__proc *p)
{
    uint32_t idle = 0;
    return atomic_compare_exchange_strong(&p->pending, &idle, 1);
}

static void unclaim(kr__proc *p)
{
    if (atomic_fetch_sub(&p->pending, 1) != 1)
        kr__backend_schedule(p); /* events counted while we held it */
}

static void list_one(listing *l, item *it)
{
    kr__proc *p = kr__table_acquire(it->pid);
    if (!p)
        return; /* gone: left out */
    if (claim(p)) {
        walk w;
        walk_begin(&w, p);
        kr__inbox_each(p, visit, &w);
        kr__free(w.asks); /* listing dispatches of an idle process: none counted */
        unclaim(p);
        it->entry = walk_end(&w);
        l->failed |= !it->entry;
    } else {
        /* Dispatch first, then the bit: whichever event of p sees the bit,
         * the dispatch is linked behind it (or is it) and gets answered. */
        it->asked = kr_dispatch_call(p->pid, listing_call, NULL, 0);
        atomic_fetch_or(&p->purge, KR__PURGE_LISTING);
    }
    kr__table_release(p);
}

/* A process still busy at the timeout: what can be seen from outside. */
static void put_unlisted(kr__sb *b, kr_pid pid)
{
    kr__proc *p = kr__table_acquire(pid);
    if (!p)
        return; /* gone since: left out */
    kr__sb_puts(b, b->len > 1 ? ",{\"id\":" : "{\"id\":");
    kr__sb_json_string(b, pid.id);
    kr__sb_printf(b, ",\"events\":[],\"unlisted\":%u}",
                  (unsigned)atomic_load_explicit(&p->pending, memory_order_relaxed));
    kr__table_release(p);
}

/* Answers once every asked process has (or the timeout fired), in table
 * order. A process whose listing was abandoned terminated first: left
 * out. */
static void finish(kr_future *f, void *ctx)
{
    (void)f;
    listing *l = ctx;
    kr__sb b = {0};
    kr__sb_puts(&b, "[");
    for (size_t i = 0; i < l->len; i++) {
        item *it = &l->items[i];
        kr_future_state st = it->asked ? kr_future_state_of(it->asked) : KR_ABANDONED;
        const char *entry = it->entry ? it->entry : st == KR_READY ? kr_future_value(it->asked) : NULL;
        if (entry) {
            kr__sb_puts(&b, b.len > 1 ? "," : "");
            kr__sb_puts(&b, entry);
        } else if (st == KR_PENDING) {
            put_unlisted(&b, it->pid);
        } else if (st == KR_FAILED) {
            l->failed = true; /* out of memory in its turn */
        }
        kr__free(it->entry);
        kr_future_unref(it->asked);
    }
    kr__sb_puts(&b, "]");
    if (b.failed || l->failed)
        l->sink.respond(l->sink.conn, 500, "text/plain", NULL, "out of memory", 13);
    else
        l->sink.respond(l->sink.conn, 200, "application/json", NULL, b.data, b.len);
    kr__sb_free(&b);
    kr_future_unref(l->waiting);
    kr__free(l->items);
    kr__free(l);
}

/* ?timeout= in libprocess' Duration syntax ("100ms", "5secs"). */
static int query_timeout(const char *query, kr_duration *out)
{
    *out = TIMEOUT_DEFAULT;
    for (const char *q = query ? query : ""; *q;) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len >= 8 && strncmp(q, "timeout=", 8) == 0 &&
            kr__http_duration_parse(q + 8, len - 8, out) != 0)
            return KR_EINVAL;
        q = end ? end + 1 : q + len;
    }
    return 0;
}

void kr__processes_serve(const char *query, const kr__http_sink *sink)
{
    kr_duration timeout;
    if (query_timeout(query, &timeout) != 0) {
        static const char msg[] = "Invalid timeout";
        sink->respond(sink->conn, 400, "text/plain", NULL, msg, sizeof msg - 1);
        return;
    }
    listing *l = kr__calloc(1, sizeof *l);
    if (!l) {
        sink->respond(sink->conn, 500, "text/plain", NULL, "out of memory", 13);
        return;
    }
    l->sink = *sink;
    kr__backend_here(&l->ip, &l->port);
    /* Copy the pids under the table lock, list them outside it: claiming
     * may schedule, asking dispatches. */
    if (atomic_load(&kr__is_running))
        kr__table_each(collect, l);
    kr_future **asked = kr__calloc(l->len ? l->len : 1, sizeof *asked);
    size_t nasked = 0;
    if (!asked)
        l->failed = true;
    for (size_t i = 0; i < l->len && !l->failed; i++) {
        list_one(l, &l->items[i]);
        if (l->items[i].asked)
            asked[nasked++] = l->items[i].asked;
    }
    kr_future *all = nasked ? kr_future_await_all(asked, nasked) : NULL;
    kr__free(asked);
    if (!all) { /* nothing to wait for (or out of memory: finish says so) */
        finish(NULL, l);
        return;
    }
    l->waiting = timeout == KR_FOREVER ? kr_future_ref(all) : kr_future_after(all, timeout);
    kr_future_unref(all);
    if (!l->waiting) {
        finish(NULL, l);
        return;
    }
    kr__future_on_complete(l->waiting, finish, l);
}
